/* SPDX-License-Identifier: GPL-3.0-or-later */

/* clave: request URIs (src/common/clave-request-uri.c): what a QR code or
 * an "open in Clave Desktop" link hands the app, and what the app checks
 * before it shows a request. The input is the URI text.
 *
 * Properties:
 * - clave_request_uri_parse() accepts exactly the texts that a regular
 *   expression of docs/protocol.md's form matches (blanks around, scheme in
 *   any case, id and code once each in either order, 256 bytes at most),
 *   and gives the id and code that the expression captures;
 * - what it accepts is one spelling of clave_request_uri_format() of the
 *   result (up to blanks, the scheme's case and the order), which parses
 *   back to the same id and code;
 * - the id and code checks agree with their expressions. */

#include "config.h"

#include <string.h>

#include "clave-request-uri.h"
#include "fuzz-common.h"

#define REQUEST_URI_MAX_LEN 256   /* clave-request-uri.c */

static GRegex *uri_id_first;
static GRegex *uri_code_first;
static GRegex *id_regex;
static GRegex *code_regex;

#define ID   "(req_[A-Za-z0-9_-]{8,64})"
#define CODE "([0-9]{3})"
#define BLANKS "[ \\t\\n\\f\\r]*"

static GRegex *
regex (const char *pattern)
{
  return g_regex_new (pattern, G_REGEX_RAW | G_REGEX_DOLLAR_ENDONLY, 0, NULL);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_setup (0);
  uri_id_first = regex ("^" BLANKS "[cC][lL][aA][vV][eE]:request\\?id=" ID "&code=" CODE BLANKS "$");
  uri_code_first = regex ("^" BLANKS "[cC][lL][aA][vV][eE]:request\\?code=" CODE "&id=" ID BLANKS "$");
  id_regex = regex ("^" ID "$");
  code_regex = regex ("^" CODE "$");
  return 0;
}

static void
check_parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *id = NULL;
  g_autofree char *code = NULL;
  g_autofree char *expected_id = NULL;
  g_autofree char *expected_code = NULL;
  gboolean ok = clave_request_uri_parse (text, &id, &code, &error);

  if (strlen (text) <= REQUEST_URI_MAX_LEN)
    {
      if (g_regex_match (uri_id_first, text, 0, &match))
        {
          expected_id = g_match_info_fetch (match, 1);
          expected_code = g_match_info_fetch (match, 2);
        }
      else
        {
          g_clear_pointer (&match, g_match_info_free);
          if (g_regex_match (uri_code_first, text, 0, &match))
            {
              expected_code = g_match_info_fetch (match, 1);
              expected_id = g_match_info_fetch (match, 2);
            }
        }
    }

  FUZZ_CHECK (ok == (expected_id != NULL), "\"%s\": parse says %s", text, ok ? "yes" : "no");
  if (!ok)
    {
      FUZZ_CHECK (id == NULL && code == NULL, "\"%s\": outputs set on failure", text);
      FUZZ_CHECK (g_error_matches (error, CLAVE_REQUEST_URI_ERROR, CLAVE_REQUEST_URI_ERROR_INVALID),
                  "\"%s\": unexpected error", text);
      return;
    }

  FUZZ_CHECK (error == NULL, "success with an error");
  FUZZ_CHECK (g_strcmp0 (id, expected_id) == 0 && g_strcmp0 (code, expected_code) == 0,
              "\"%s\": id %s code %s", text, id, code);

  {
    g_autofree char *canonical = clave_request_uri_format (id, code);
    g_autofree char *swapped = g_strdup_printf ("clave:request?code=%s&id=%s", code, id);
    g_autofree char *stripped = g_strstrip (g_strdup (text));
    g_autofree char *id2 = NULL;
    g_autofree char *code2 = NULL;

    FUZZ_CHECK (canonical != NULL, "format(%s, %s) failed", id, code);
    /* The scheme's case aside, one spelling per request and order. */
    memcpy (stripped, "clave", 5);
    FUZZ_CHECK (g_str_equal (stripped, canonical) || g_str_equal (stripped, swapped),
                "\"%s\" is another spelling of %s", text, canonical);
    FUZZ_CHECK (clave_request_uri_parse (canonical, &id2, &code2, NULL) &&
                g_strcmp0 (id2, id) == 0 && g_strcmp0 (code2, code) == 0,
                "%s does not parse back", canonical);
  }
}

static void
check_parts (const char *id,
             const char *code)
{
  g_autofree char *formatted = clave_request_uri_format (id, code);
  gboolean id_ok = g_regex_match (id_regex, id, 0, NULL);
  gboolean code_ok = g_regex_match (code_regex, code, 0, NULL);

  FUZZ_CHECK (clave_request_id_is_valid (id) == id_ok, "id \"%s\"", id);
  FUZZ_CHECK (clave_request_code_is_valid (code) == code_ok, "code \"%s\"", code);
  FUZZ_CHECK ((formatted != NULL) == (id_ok && code_ok), "format (\"%s\", \"%s\")", id, code);
  if (formatted != NULL)
    {
      g_autofree char *id2 = NULL;
      g_autofree char *code2 = NULL;

      FUZZ_CHECK (clave_request_uri_parse (formatted, &id2, &code2, NULL) &&
                  g_str_equal (id2, id) && g_str_equal (code2, code),
                  "%s does not parse back", formatted);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  FuzzInput input;

  check_parse (text);

  /* The same bytes as an id and a code, split at the first '&'. */
  fuzz_input_init (&input, data, size);
  {
    g_autofree char *id = fuzz_input_field (&input, '&');
    g_autofree char *code = fuzz_input_field (&input, '\n');

    check_parts (id, code);
  }

  return 0;
}
