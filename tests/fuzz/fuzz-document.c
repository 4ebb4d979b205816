/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Documents, dates and support numbers (src/common/clave-document.c): what
 * a person types on the login and registration pages, and what the
 * service reads from every identify and registration request. The input
 * is that text.
 *
 * Properties:
 * - a document that validates is the normalised input, 9 characters,
 *   validates again to itself (same type), has the control letter of its
 *   number, is a prefix of itself at every length, and masks to the same
 *   length keeping the last four characters; an error is EMPTY exactly
 *   when nothing is left after normalising;
 * - a date is accepted exactly when a regular expression of the documented
 *   forms matches and the day exists; the ISO result normalises to
 *   itself, and its display form (the formatter) normalises back to it;
 * - a support number is accepted exactly when the normalised text is E or
 *   C and 7 or 8 digits, and comes out as letter + 8 digits, normalising to
 *   itself;
 * - the contrast kinds and the phone hint say what their headers say. */

#include "config.h"

#include <string.h>

#include "clave-document.h"
#include "fuzz-common.h"

#define MAX_INPUT_LENGTH 256   /* documented in clave-document.c */

static GRegex *date_dmy;
static GRegex *date_iso;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_setup (0);
  /* What clave-document.h documents, written independently of the
   * hand-written parser: blanks around (g_strstrip: space, \t, \n, \f,
   * \r), d/m/yyyy with one separator of / - . used twice, or yyyy-mm-dd. */
#define BLANKS "[ \\t\\n\\f\\r]*"
  date_dmy = g_regex_new ("^" BLANKS "([0-9]{1,2})([/.-])([0-9]{1,2})\\2([0-9]{4})" BLANKS "$",
                          G_REGEX_RAW | G_REGEX_DOLLAR_ENDONLY, 0, NULL);
  date_iso = g_regex_new ("^" BLANKS "([0-9]{4})-([0-9]{2})-([0-9]{2})" BLANKS "$",
                          G_REGEX_RAW | G_REGEX_DOLLAR_ENDONLY, 0, NULL);
#undef BLANKS
  return 0;
}

static guint
group_number (GMatchInfo *match,
              int         group)
{
  g_autofree char *text = g_match_info_fetch (match, group);

  return (guint) g_ascii_strtoull (text, NULL, 10);
}

/* The ISO date that @text stands for by the regular expressions, or NULL. */
static char *
expected_date (const char *text)
{
  g_autoptr(GMatchInfo) match = NULL;
  guint day, month, year;

  if (strlen (text) > MAX_INPUT_LENGTH)
    return NULL;

  if (g_regex_match (date_iso, text, 0, &match))
    {
      year = group_number (match, 1);
      month = group_number (match, 2);
      day = group_number (match, 3);
    }
  else
    {
      g_clear_pointer (&match, g_match_info_free);
      if (!g_regex_match (date_dmy, text, 0, &match))
        return NULL;
      day = group_number (match, 1);
      month = group_number (match, 3);
      year = group_number (match, 4);
    }

  if (year < 1900 || month < 1 || month > 12 || day < 1 ||
      !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    return NULL;
  return g_strdup_printf ("%04u-%02u-%02u", year, month, day);
}

static void
check_document (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *bare = clave_document_normalize (text);
  ClaveDocumentType type = clave_document_validate (text, &normalized, &error);

  if (type == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    {
      FUZZ_CHECK (normalized == NULL, "\"%s\" failed but normalized to \"%s\"", text, normalized);
      FUZZ_CHECK (g_error_matches (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_EMPTY) ||
                  g_error_matches (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT) ||
                  g_error_matches (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_LETTER),
                  "\"%s\": unexpected error", text);
      FUZZ_CHECK (g_error_matches (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_EMPTY) ==
                  (strlen (text) <= MAX_INPUT_LENGTH && bare[0] == '\0'),
                  "\"%s\": EMPTY is for an input that normalises to nothing", text);
      /* Nine characters that do not validate cannot be a finished
       * document still being typed. */
      if (strlen (bare) == 9 && strlen (text) <= MAX_INPUT_LENGTH)
        FUZZ_CHECK (!clave_document_is_prefix (text), "\"%s\": invalid yet a prefix", text);
      return;
    }

  {
    g_autofree char *again = NULL;
    g_autofree char *masked = NULL;
    const char *digits = normalized;
    guint32 number = 0;

    FUZZ_CHECK (error == NULL, "\"%s\": success with an error", text);
    FUZZ_CHECK (normalized != NULL && strlen (normalized) == 9, "\"%s\" -> \"%s\"", text, normalized);
    FUZZ_CHECK (g_strcmp0 (normalized, bare) == 0,
                "\"%s\": validated \"%s\" is not the normalised input \"%s\"", text, normalized, bare);
    FUZZ_CHECK (clave_document_validate (normalized, &again, NULL) == type &&
                g_strcmp0 (again, normalized) == 0,
                "\"%s\": normalised \"%s\" does not validate to itself", text, normalized);

    if (type == CLAVE_DOCUMENT_TYPE_NIE)
      {
        FUZZ_CHECK (normalized[0] == 'X' || normalized[0] == 'Y' || normalized[0] == 'Z',
                    "NIE \"%s\"", normalized);
        number = (guint32) (normalized[0] - 'X');
        digits = normalized + 1;
      }
    FUZZ_CHECK (g_str_equal (clave_document_type_to_string (type),
                             type == CLAVE_DOCUMENT_TYPE_DNI ? "dni" : "nie"), "type name");
    for (const char *p = digits; p < normalized + 8; p++)
      {
        FUZZ_CHECK (g_ascii_isdigit (*p), "\"%s\" has a non-digit", normalized);
        number = number * 10 + (guint32) (*p - '0');
      }
    FUZZ_CHECK (normalized[8] == "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23],
                "\"%s\": wrong control letter accepted", normalized);

    for (gsize len = 0; len <= 9; len++)
      {
        g_autofree char *prefix = g_strndup (normalized, len);

        FUZZ_CHECK (clave_document_is_prefix (prefix), "\"%s\" is not a prefix of \"%s\"",
                    prefix, normalized);
      }
    FUZZ_CHECK (clave_document_is_prefix (text), "\"%s\" validates but is no prefix", text);

    masked = clave_document_mask (normalized);
    FUZZ_CHECK (strlen (masked) == 9 && g_str_equal (masked + 5, normalized + 5),
                "\"%s\" masked to \"%s\"", normalized, masked);
    for (gsize i = type == CLAVE_DOCUMENT_TYPE_NIE ? 1 : 0; i < 5; i++)
      FUZZ_CHECK (masked[i] == '*', "\"%s\" masked to \"%s\"", normalized, masked);
  }
}

static void
check_date (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *iso = clave_date_normalize (text, &error);
  g_autofree char *expected = expected_date (text);
  g_autofree char *display = clave_date_format_display (text);

  FUZZ_CHECK (g_strcmp0 (iso, expected) == 0, "date \"%s\": got %s, expected %s", text,
              iso != NULL ? iso : "an error", expected != NULL ? expected : "an error");

  if (iso == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_DATE),
                  "date \"%s\": unexpected error", text);
      FUZZ_CHECK (g_strcmp0 (display, text) == 0, "\"%s\" is displayed as \"%s\"", text, display);
      return;
    }

  {
    g_autofree char *again = clave_date_normalize (iso, NULL);
    g_autofree char *back = NULL;
    g_autofree char *expected_display = g_strdup_printf ("%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);

    FUZZ_CHECK (g_strcmp0 (again, iso) == 0, "\"%s\" normalises to \"%s\"", iso, again);
    FUZZ_CHECK (g_strcmp0 (display, expected_display) == 0, "\"%s\" is displayed as \"%s\"",
                text, display);
    /* Round trip through the formatter. */
    back = clave_date_normalize (display, NULL);
    FUZZ_CHECK (g_strcmp0 (back, iso) == 0, "display \"%s\" of %s reads back as %s", display, iso,
                back);
  }
}

static void
check_support_number (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bare = clave_document_normalize (text);
  g_autofree char *support = clave_support_number_normalize (text, &error);
  gsize len = strlen (bare);
  gboolean expected = strlen (text) <= MAX_INPUT_LENGTH && (len == 8 || len == 9) &&
                      (bare[0] == 'E' || bare[0] == 'C');

  for (gsize i = 1; expected && i < len; i++)
    expected = g_ascii_isdigit (bare[i]);

  FUZZ_CHECK ((support != NULL) == expected, "support number \"%s\": got %s", text,
              support != NULL ? support : "an error");
  if (support == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, CLAVE_DOCUMENT_ERROR,
                                   CLAVE_DOCUMENT_ERROR_BAD_SUPPORT_NUMBER), "error");
      return;
    }

  {
    g_autofree char *again = clave_support_number_normalize (support, NULL);

    FUZZ_CHECK (strlen (support) == 9 && support[0] == bare[0] &&
                g_str_has_suffix (support, bare + 1) &&
                (len == 9 || support[1] == '0'),
                "\"%s\" -> \"%s\"", text, support);
    FUZZ_CHECK (g_strcmp0 (again, support) == 0, "\"%s\" normalises to \"%s\"", support, again);
  }
}

static void
check_contrast (const char *text)
{
  for (int kind = 0; kind <= CLAVE_CONTRAST_SUPPORT_NUMBER + 1; kind++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *value = clave_contrast_normalize (kind, text, &error);
      g_autofree char *direct = NULL;

      switch (kind)
        {
        case CLAVE_CONTRAST_VALIDITY_DATE:
        case CLAVE_CONTRAST_ISSUE_DATE:
          direct = clave_date_normalize (text, NULL);
          break;
        case CLAVE_CONTRAST_SUPPORT_NUMBER:
          direct = clave_support_number_normalize (text, NULL);
          break;
        default:
          FUZZ_CHECK (g_error_matches (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT),
                      "unknown contrast kind");
          break;
        }
      FUZZ_CHECK (g_strcmp0 (value, direct) == 0, "contrast %d of \"%s\"", kind, text);
      FUZZ_CHECK ((value == NULL) == (error != NULL), "contrast %d: result and error", kind);
    }

  {
    int kind = clave_contrast_kind_from_string (text);

    if (kind >= 0)
      FUZZ_CHECK (g_strcmp0 (clave_contrast_kind_to_string (kind), text) == 0,
                  "contrast kind \"%s\" -> %d", text, kind);
  }
}

static void
check_phone_hint (const char *text)
{
  g_autofree char *hint = clave_phone_hint (text);
  char last[4] = { 0 };
  gsize n = 0;

  for (gsize i = strlen (text); i > 0 && n < 3; i--)
    if (g_ascii_isdigit (text[i - 1]))
      last[2 - n++] = text[i - 1];

  if (n < 3)
    FUZZ_CHECK (g_str_equal (hint, "******"), "phone \"%s\" -> \"%s\"", text, hint);
  else
    FUZZ_CHECK (g_str_has_prefix (hint, "******") && g_str_equal (hint + 6, last),
                "phone \"%s\" -> \"%s\"", text, hint);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = fuzz_strndup (data, size);

  check_document (text);
  check_date (text);
  check_support_number (text);
  check_contrast (text);
  check_phone_hint (text);

  if (size >= 4)
    {
      guint32 number = (guint32) data[0] << 24 | (guint32) data[1] << 16 |
                       (guint32) data[2] << 8 | data[3];

      FUZZ_CHECK (strchr ("TRWAGMYFPDXBNJZSQVHLCKE", clave_document_control_letter (number)) != NULL,
                  "control letter of %u", number);
    }

  return 0;
}
