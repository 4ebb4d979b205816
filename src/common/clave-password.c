/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clave-password.h"

guint
clave_password_count_groups (const char *password)
{
  gboolean lower = FALSE, upper = FALSE, digit = FALSE, other = FALSE;

  for (const char *p = password; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isdigit (c))
        digit = TRUE;
      else if (g_unichar_islower (c))
        lower = TRUE;
      else if (g_unichar_isupper (c))
        upper = TRUE;
      else
        other = TRUE;
    }
  return (guint) lower + (guint) upper + (guint) digit + (guint) other;
}

/* @text without case or accents, for comparing names: "García" and
 * "GARCIA" both give "garcia". */
static char *
fold (const char *text)
{
  g_autofree char *ascii = g_str_to_ascii (text, "C");

  return g_ascii_strdown (ascii, -1);
}

static gboolean
has_any_word (const char *folded_password,
              const char *names)
{
  g_autofree char *folded = NULL;
  g_auto(GStrv) words = NULL;

  if (names == NULL)
    return FALSE;
  folded = fold (names);
  /* Hyphenated surnames and apostrophes count as separate words too. */
  words = g_strsplit_set (folded, " -'", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (strlen (words[i]) >= CLAVE_PASSWORD_NAME_MIN_WORD &&
        strstr (folded_password, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* The document's number without its letters ("12345678Z" -> "12345678",
 * "X1234567L" -> "1234567"), and the whole document. */
static gboolean
has_document (const char *folded_password,
              const char *document)
{
  g_autofree char *folded = NULL;
  g_autoptr(GString) digits = g_string_new (NULL);

  if (document == NULL || *document == '\0')
    return FALSE;
  folded = fold (document);
  if (strstr (folded_password, folded) != NULL)
    return TRUE;
  for (const char *p = folded; *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (digits, *p);
  return digits->len >= 6 && strstr (folded_password, digits->str) != NULL;
}

ClavePasswordProblems
clave_password_check (const char *password,
                      const char *given_name,
                      const char *surnames,
                      const char *document)
{
  ClavePasswordProblems problems = CLAVE_PASSWORD_OK;
  g_autofree char *folded = NULL;
  glong length;

  if (password == NULL || !g_utf8_validate (password, -1, NULL))
    return CLAVE_PASSWORD_UNUSABLE;
  for (const char *p = password; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return CLAVE_PASSWORD_UNUSABLE;

  length = g_utf8_strlen (password, -1);
  if (length < CLAVE_PASSWORD_MIN_LENGTH)
    problems |= CLAVE_PASSWORD_TOO_SHORT;
  if (length > CLAVE_PASSWORD_MAX_LENGTH)
    problems |= CLAVE_PASSWORD_TOO_LONG;
  if (length < CLAVE_PASSWORD_FREE_LENGTH &&
      clave_password_count_groups (password) < CLAVE_PASSWORD_GROUPS_NEEDED)
    problems |= CLAVE_PASSWORD_FEW_GROUPS;

  folded = fold (password);
  if (has_any_word (folded, given_name) || has_any_word (folded, surnames))
    problems |= CLAVE_PASSWORD_HAS_NAME;
  if (has_document (folded, document))
    problems |= CLAVE_PASSWORD_HAS_DOCUMENT;
  return problems;
}
