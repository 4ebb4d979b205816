/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-document"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "clave-document.h"

#define CONTROL_LETTERS "TRWAGMYFPDXBNJZSQVHLCKE"
#define DOCUMENT_LENGTH 9

/* Upper bound on what we look at: nobody types a document or a date this
 * long, and it keeps hostile input (the server validates requests with the
 * same code) cheap. */
#define MAX_INPUT_LENGTH 256

static gboolean
is_separator (char c)
{
  return c == ' ' || c == '\t' || c == '-' || c == '.';
}

char *
clave_document_normalize (const char *input)
{
  GString *out;

  if (input == NULL)
    return g_strdup ("");

  out = g_string_sized_new (DOCUMENT_LENGTH + 1);
  for (const char *p = input; *p != '\0'; p++)
    {
      if (is_separator (*p) || g_ascii_isspace (*p))
        continue;
      g_string_append_c (out, g_ascii_toupper (*p));
    }

  return g_string_free (out, FALSE);
}

char
clave_document_control_letter (guint32 number)
{
  return CONTROL_LETTERS[number % 23];
}

static gboolean
all_digits (const char *s,
            gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

static guint32
parse_digits (const char *s,
              gsize       len)
{
  guint32 value = 0;

  for (gsize i = 0; i < len; i++)
    value = value * 10 + (guint32) (s[i] - '0');

  return value;
}

static int
nie_prefix_value (char c)
{
  switch (c)
    {
    case 'X': return 0;
    case 'Y': return 1;
    case 'Z': return 2;
    default:  return -1;
    }
}

/* Shape checks only; the letter is checked separately so that the person
 * learns which part is wrong. */
static ClaveDocumentType
document_shape (const char *doc,
                guint32    *number)
{
  gsize len = strlen (doc);
  int prefix;

  if (len != DOCUMENT_LENGTH || !g_ascii_isupper (doc[DOCUMENT_LENGTH - 1]))
    return CLAVE_DOCUMENT_TYPE_UNKNOWN;

  if (all_digits (doc, 8))
    {
      *number = parse_digits (doc, 8);
      return CLAVE_DOCUMENT_TYPE_DNI;
    }

  prefix = nie_prefix_value (doc[0]);
  if (prefix >= 0 && all_digits (doc + 1, 7))
    {
      *number = (guint32) prefix * 10000000 + parse_digits (doc + 1, 7);
      return CLAVE_DOCUMENT_TYPE_NIE;
    }

  return CLAVE_DOCUMENT_TYPE_UNKNOWN;
}

static gboolean
is_ascii (const char *s)
{
  for (const char *p = s; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      return FALSE;
  return TRUE;
}

ClaveDocumentType
clave_document_validate (const char  *input,
                         char       **normalized,
                         GError     **error)
{
  g_autofree char *doc = NULL;
  ClaveDocumentType type;
  guint32 number = 0;

  if (normalized != NULL)
    *normalized = NULL;

  if (input != NULL && strlen (input) > MAX_INPUT_LENGTH)
    {
      g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT,
                           _("A DNI has 8 digits and a letter; a NIE has X, Y or Z, 7 digits and a letter. Check the number."));
      return CLAVE_DOCUMENT_TYPE_UNKNOWN;
    }

  doc = clave_document_normalize (input);

  if (doc[0] == '\0')
    {
      g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_EMPTY,
                           _("Type the number of your DNI or NIE."));
      return CLAVE_DOCUMENT_TYPE_UNKNOWN;
    }

  if (is_ascii (doc) && strlen (doc) == DOCUMENT_LENGTH
      && (doc[0] == 'K' || doc[0] == 'L' || doc[0] == 'M')
      && all_digits (doc + 1, 7))
    {
      g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT,
                           _("Cl@ve registers holders of a DNI or a NIE. Type the number of your DNI or NIE."));
      return CLAVE_DOCUMENT_TYPE_UNKNOWN;
    }

  type = is_ascii (doc) ? document_shape (doc, &number) : CLAVE_DOCUMENT_TYPE_UNKNOWN;
  if (type == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    {
      g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT,
                           _("A DNI has 8 digits and a letter; a NIE has X, Y or Z, 7 digits and a letter. Check the number."));
      return CLAVE_DOCUMENT_TYPE_UNKNOWN;
    }

  if (doc[DOCUMENT_LENGTH - 1] != clave_document_control_letter (number))
    {
      g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_LETTER,
                           _("The letter does not match the number. Check the DNI or NIE."));
      return CLAVE_DOCUMENT_TYPE_UNKNOWN;
    }

  if (normalized != NULL)
    *normalized = g_steal_pointer (&doc);

  return type;
}

gboolean
clave_document_is_prefix (const char *input)
{
  g_autofree char *doc = NULL;
  gsize len;

  if (input != NULL && strlen (input) > MAX_INPUT_LENGTH)
    return FALSE;

  doc = clave_document_normalize (input);
  len = strlen (doc);

  if (len == 0)
    return TRUE;
  if (!is_ascii (doc) || len > DOCUMENT_LENGTH)
    return FALSE;
  if (len == DOCUMENT_LENGTH)
    return clave_document_validate (doc, NULL, NULL) != CLAVE_DOCUMENT_TYPE_UNKNOWN;

  /* Shorter than a full document: every character typed so far must fit
   * the DNI shape (digits) or the NIE shape (X/Y/Z then digits). */
  if (g_ascii_isdigit (doc[0]))
    return all_digits (doc, len);
  if (nie_prefix_value (doc[0]) >= 0)
    return all_digits (doc + 1, len - 1);

  return FALSE;
}

char *
clave_document_mask (const char *normalized)
{
  gsize len;
  gsize keep_start = 0;
  char *masked;

  if (normalized == NULL)
    return g_strdup ("");

  len = strlen (normalized);
  masked = g_strdup (normalized);

  /* The NIE's leading letter says nothing about the person. */
  if (len > 0 && nie_prefix_value (normalized[0]) >= 0)
    keep_start = 1;

  /* Keep the last three digits and the letter. */
  for (gsize i = keep_start; i + 4 < len; i++)
    masked[i] = '*';

  return masked;
}

char *
clave_phone_hint (const char *phone)
{
  char last[4] = { 0 };
  gsize n = 0;

  if (phone != NULL)
    {
      for (gsize i = strlen (phone); i > 0 && n < 3; i--)
        {
          if (g_ascii_isdigit (phone[i - 1]))
            last[2 - n++] = phone[i - 1];
        }
    }

  if (n < 3)
    return g_strdup ("******");

  /* A fixed number of asterisks so that the hint does not reveal the
   * length of the number. */
  return g_strdup_printf ("******%s", last);
}

char *
clave_support_number_normalize (const char  *input,
                                GError     **error)
{
  g_autofree char *text = NULL;
  gsize len;

  if (input != NULL && strlen (input) <= MAX_INPUT_LENGTH)
    {
      text = clave_document_normalize (input);
      len = strlen (text);

      if ((len == 8 || len == 9)
          && (text[0] == 'E' || text[0] == 'C')
          && all_digits (text + 1, len - 1))
        {
          if (len == 8)
            return g_strdup_printf ("%c0%s", text[0], text + 1);
          return g_steal_pointer (&text);
        }
    }

  g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_SUPPORT_NUMBER,
                       _("The support number is the letter E or C followed by 8 digits, as printed on your card or certificate. Check it."));
  return NULL;
}

/* Parses 1..max_digits ASCII digits at *p; advances *p. */
static gboolean
take_number (const char **p,
             guint        min_digits,
             guint        max_digits,
             guint       *value)
{
  guint n = 0;

  *value = 0;
  while (g_ascii_isdigit (**p))
    {
      if (++n > max_digits)
        return FALSE;
      *value = *value * 10 + (guint) (**p - '0');
      (*p)++;
    }

  return n >= min_digits;
}

static gboolean
parse_date (const char *text,
            guint      *year,
            guint      *month,
            guint      *day)
{
  const char *p = text;
  guint first;
  char sep;
  gsize digits_first = 0;

  while (g_ascii_isdigit (text[digits_first]))
    digits_first++;

  if (digits_first == 4)
    {
      /* ISO 8601 calendar date: yyyy-mm-dd. */
      if (!take_number (&p, 4, 4, year) || *p++ != '-'
          || !take_number (&p, 2, 2, month) || *p++ != '-'
          || !take_number (&p, 2, 2, day))
        return FALSE;
      return *p == '\0';
    }

  if (!take_number (&p, 1, 2, &first))
    return FALSE;

  sep = *p;
  if (sep != '/' && sep != '-' && sep != '.')
    return FALSE;
  p++;

  *day = first;
  if (!take_number (&p, 1, 2, month) || *p++ != sep
      || !take_number (&p, 4, 4, year))
    return FALSE;

  return *p == '\0';
}

char *
clave_date_normalize (const char  *input,
                      GError     **error)
{
  g_autofree char *text = NULL;
  guint year = 0, month = 0, day = 0;

  if (input == NULL || strlen (input) > MAX_INPUT_LENGTH)
    goto bad_format;

  text = g_strstrip (g_strdup (input));
  if (!parse_date (text, &year, &month, &day))
    goto bad_format;

  if (year < 1900 || year > 9999 || month < 1 || month > 12
      || !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    {
      g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_DATE,
                           _("That date does not exist. Check the day, the month and the year."));
      return NULL;
    }

  return g_strdup_printf ("%04u-%02u-%02u", year, month, day);

bad_format:
  g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_DATE,
                       _("Type the date as dd/mm/yyyy, for example 04/05/2031."));
  return NULL;
}

char *
clave_date_format_display (const char *iso)
{
  g_autofree char *normalized = NULL;

  if (iso == NULL)
    return NULL;

  normalized = clave_date_normalize (iso, NULL);
  if (normalized == NULL || strlen (normalized) != 10)
    return g_strdup (iso);

  return g_strdup_printf ("%.2s/%.2s/%.4s", normalized + 8, normalized + 5, normalized);
}

char *
clave_contrast_normalize (ClaveContrastKind   kind,
                          const char         *input,
                          GError            **error)
{
  switch (kind)
    {
    case CLAVE_CONTRAST_VALIDITY_DATE:
    case CLAVE_CONTRAST_ISSUE_DATE:
      return clave_date_normalize (input, error);

    case CLAVE_CONTRAST_SUPPORT_NUMBER:
      return clave_support_number_normalize (input, error);

    default:
      g_set_error_literal (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT,
                           _("Choose which data proves you hold the document."));
      return NULL;
    }
}

static const char * const contrast_kind_names[] = {
  [CLAVE_CONTRAST_VALIDITY_DATE] = "validity_date",
  [CLAVE_CONTRAST_ISSUE_DATE] = "issue_date",
  [CLAVE_CONTRAST_SUPPORT_NUMBER] = "support_number",
};

const char *
clave_contrast_kind_to_string (ClaveContrastKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (contrast_kind_names))
    return NULL;
  return contrast_kind_names[kind];
}

int
clave_contrast_kind_from_string (const char *str)
{
  if (str == NULL)
    return -1;

  for (guint i = 0; i < G_N_ELEMENTS (contrast_kind_names); i++)
    if (strcmp (str, contrast_kind_names[i]) == 0)
      return (int) i;

  return -1;
}

const char *
clave_document_type_to_string (ClaveDocumentType type)
{
  switch (type)
    {
    case CLAVE_DOCUMENT_TYPE_DNI:
      return "dni";
    case CLAVE_DOCUMENT_TYPE_NIE:
      return "nie";
    case CLAVE_DOCUMENT_TYPE_UNKNOWN:
    default:
      return "unknown";
    }
}
