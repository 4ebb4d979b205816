/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-request-uri"

#include "config.h"

#include "clave-request-uri.h"

static void
test_good (void)
{
  static const struct {
    const char *uri;
    const char *id;
    const char *code;
  } cases[] = {
    { "clave:request?id=req_abcdefgh&code=123", "req_abcdefgh", "123" },
    { "clave:request?code=007&id=req_AbC-_0123456789", "req_AbC-_0123456789", "007" },
    { "CLAVE:request?id=req_abcdefgh&code=999", "req_abcdefgh", "999" },
    { "  clave:request?id=req_abcdefgh&code=000\n", "req_abcdefgh", "000" },
    { "clave:request?id=req_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&code=100",
      "req_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "100" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = NULL;
      g_autofree char *code = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i].uri);
      g_assert_true (clave_request_uri_parse (cases[i].uri, &id, &code, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (id, ==, cases[i].id);
      g_assert_cmpstr (code, ==, cases[i].code);
    }
}

static void
test_bad (void)
{
  static const char *const cases[] = {
    "",
    "clave:",
    "clave:request",
    "clave:request?",
    "https://example.org/?id=req_abcdefgh&code=123",
    "clavex:request?id=req_abcdefgh&code=123",
    "clave://request?id=req_abcdefgh&code=123",
    "clave:Request?id=req_abcdefgh&code=123",
    "clave:requests?id=req_abcdefgh&code=123",
    "clave:request?id=req_abcdefgh",
    "clave:request?code=123",
    "clave:request?id=req_abcdefg&code=123",             /* 7 after req_ */
    "clave:request?id=req_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&code=123", /* 65 */
    "clave:request?id=abc_abcdefgh&code=123",
    "clave:request?id=req_abc.efgh&code=123",
    "clave:request?id=req_abcdefgh&code=12",
    "clave:request?id=req_abcdefgh&code=1234",
    "clave:request?id=req_abcdefgh&code=12a",
    "clave:request?id=req_abcdefgh&code=123&code=123",
    "clave:request?id=req_abcdefgh&id=req_abcdefgh&code=123",
    "clave:request?id=req_abcdefgh&code=123&extra=1",
    "clave:request?id=req_abcdefgh&code=123#frag",
    "clave:request?id=req_abcd%65fgh&code=123",
    "clave:request?id=req_abcdefgh&&code=123",
    "clave:request?id=req_abcd efgh&code=123",
    "clave:request?id=req_abcdefgh&code=123&",
    "clave:request?ID=req_abcdefgh&code=123",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = NULL;
      g_autofree char *code = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", cases[i]);
      g_assert_false (clave_request_uri_parse (cases[i], &id, &code, &error));
      g_assert_error (error, CLAVE_REQUEST_URI_ERROR, CLAVE_REQUEST_URI_ERROR_INVALID);
      g_assert_null (id);
      g_assert_null (code);
    }

  g_assert_false (clave_request_uri_parse (NULL, NULL, NULL, NULL));
}

static void
test_format (void)
{
  g_autofree char *uri = clave_request_uri_format ("req_0123456789", "042");
  g_autofree char *id = NULL;
  g_autofree char *code = NULL;
  g_autofree char *bad_id = clave_request_uri_format ("req_short", "042");
  g_autofree char *bad_code = clave_request_uri_format ("req_0123456789", "42");

  g_assert_cmpstr (uri, ==, "clave:request?id=req_0123456789&code=042");
  g_assert_true (clave_request_uri_parse (uri, &id, &code, NULL));
  g_assert_cmpstr (id, ==, "req_0123456789");
  g_assert_cmpstr (code, ==, "042");
  g_assert_null (bad_id);
  g_assert_null (bad_code);

  g_assert_true (clave_request_id_is_valid ("req_abcdefgh"));
  g_assert_false (clave_request_id_is_valid ("req_"));
  g_assert_false (clave_request_id_is_valid (NULL));
  g_assert_true (clave_request_code_is_valid ("000"));
  g_assert_false (clave_request_code_is_valid (""));
  g_assert_false (clave_request_code_is_valid (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/request-uri/good", test_good);
  g_test_add_func ("/request-uri/bad", test_bad);
  g_test_add_func ("/request-uri/format", test_format);

  return g_test_run ();
}
