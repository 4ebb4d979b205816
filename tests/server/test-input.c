/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <string.h>

#include "clave-protocol.h"
#include "server-test-util.h"

/* Bad input of every kind gets the documented 4xx JSON error, never a 5xx
 * or a dead server (docs/protocol.md "Transport"). */
static ClaveTestServer *server;
static SoupSession *session;

#define BASE (clave_test_server_get_base_url (server))

static TestResponse *
post_identify (const char *content_type,
               const char *body,
               gssize      len)
{
  return test_request (session, BASE, "POST", CLAVE_PATH_IDENTIFY, content_type, body, len,
                       FALSE, NULL);
}

/* Each of @bodies is 400 invalid_json. */
static void
assert_invalid_json (const char * const *bodies,
                     gsize               n_bodies)
{
  for (gsize i = 0; i < n_bodies; i++)
    {
      g_autoptr(TestResponse) response = post_identify ("application/json", bodies[i], -1);

      g_test_message ("body: %s", bodies[i]);
      test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_JSON);
    }
}

static void
test_malformed_json (void)
{
  static const char * const bodies[] = {
    "{", "{\"document\": }", "not json at all", "{\"document\": \"12345678Z\",}", "\"\\u12\"",
  };

  assert_invalid_json (bodies, G_N_ELEMENTS (bodies));
}

static void
test_invalid_text (void)
{
  g_autoptr(TestResponse) latin1 = NULL;
  g_autoptr(TestResponse) nul = NULL;
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(TestResponse) nested = NULL;

  latin1 = post_identify ("application/json", "{\"document\": \"Mu\xfcller\"}", -1);
  test_assert_error (latin1, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_JSON);

  nul = post_identify ("application/json", "{\"document\": \"1\0\"}", 18);
  test_assert_error (nul, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_JSON);

  /* Deep nesting must not exhaust the server's stack. */
  for (guint i = 0; i < 30000; i++)
    g_string_append_c (deep, '[');
  nested = post_identify ("application/json", deep->str, (gssize) deep->len);
  test_assert_error (nested, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_JSON);
}

static void
test_escaped_nul (void)
{
  /* json-glib would read "12345678Z\u0000x" as "12345678Z": the string
   * checked would not be the one sent. */
  static const char * const refused[] = {
    "{\"document\": \"12345678Z\\u0000x\", \"contrast\": {\"kind\": \"validity_date\","
    " \"value\": \"2031-05-04\"}}",
    "{\"document\": \"12345678Z\", \"contrast\": {\"kind\": \"validity_date\","
    " \"value\": \"2031-05-04\\u0000\"}}",
    "{\"document\\u0000x\": 1}",
    "{\"a\": [\"\\\\\", \"\\u0000\"]}",
  };
  g_autoptr(TestResponse) escaped_backslash = NULL;

  assert_invalid_json (refused, G_N_ELEMENTS (refused));

  /* An escaped backslash followed by "u0000" is plain text, not a NUL. */
  escaped_backslash = post_identify ("application/json",
                                     "{\"document\": \"\\\\u0000\", \"contrast\": "
                                     "{\"kind\": \"validity_date\", \"value\": "
                                     "\"2031-05-04\"}}", -1);
  test_assert_error (escaped_backslash, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_DOCUMENT);
}

static void
test_not_an_object (void)
{
  static const char * const bodies[] = { "[1, 2]", "42", "\"12345678Z\"", "null" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(TestResponse) response = post_identify ("application/json", bodies[i], -1);
      test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
    }
}

static void
test_wrong_types (void)
{
  static const char * const bodies[] = {
    "{\"document\": 12345678, \"contrast\": {\"kind\": \"validity_date\", \"value\": \"2031-05-04\"}}",
    "{\"document\": \"12345678Z\", \"contrast\": \"2031-05-04\"}",
    "{\"document\": \"12345678Z\", \"contrast\": {\"kind\": 1, \"value\": \"2031-05-04\"}}",
    "{\"document\": \"12345678Z\", \"contrast\": {\"kind\": \"validity_date\", \"value\": null}}",
    "{\"document\": [\"12345678Z\"], \"contrast\": {\"kind\": \"validity_date\", \"value\": \"x\"}}",
    "{\"document\": \"12345678Z\", \"contrast\": {\"kind\": \"validity_date\", \"value\": true}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(TestResponse) response = post_identify ("application/json", bodies[i], -1);
      test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
    }
}

static void
test_missing_members (void)
{
  static const char * const bodies[] = {
    "{}",
    "{\"document\": \"12345678Z\"}",
    "{\"contrast\": {\"kind\": \"validity_date\", \"value\": \"2031-05-04\"}}",
    "{\"document\": \"12345678Z\", \"contrast\": {\"kind\": \"validity_date\"}}",
    "{\"document\": \"12345678Z\", \"contrast\": {}}",
  };
  g_autoptr(TestResponse) empty = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(TestResponse) response = post_identify ("application/json", bodies[i], -1);
      test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
    }

  empty = post_identify (NULL, NULL, 0);
  test_assert_error (empty, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
}

static void
test_unknown_members_ignored (void)
{
  g_autoptr(TestResponse) response = NULL;

  response = post_identify ("application/json",
                            "{\"document\": \"87654321X\", \"extra\": [1, {\"a\": null}],"
                            " \"contrast\": {\"kind\": \"validity_date\", \"value\": \"2029-11-30\","
                            " \"note\": 1}}", -1);
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_false (test_response_bool (response, "registered"));
}

static void
test_invalid_document (void)
{
  static const char * const documents[] = {
    "12345678A",   /* wrong letter */
    "12345678z",   /* not upper case */
    "1234567Z",    /* too short */
    " 12345678Z",  /* not normalised */
    "X1234567A",   /* NIE, wrong letter */
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(TestResponse) response = test_identify (session, BASE, documents[i],
                                                        "validity_date", "2031-05-04");
      test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_DOCUMENT);
    }
}

static void
test_invalid_contrast (void)
{
  static const struct {
    const char *document, *kind, *value;
  } cases[] = {
    { LUCIA_DOC, "support_number", "E01234567" },   /* kind of a NIE */
    { ANNA_DOC, "issue_date", "2015-03-10" },       /* kind of a DNI */
    { LUCIA_DOC, "birth_date", "2031-05-04" },      /* unknown kind */
    { LUCIA_DOC, "validity_date", "04/05/2031" },   /* not the wire form */
    { LUCIA_DOC, "validity_date", "2031-02-30" },   /* no such day */
    { LUCIA_DOC, "validity_date", "" },
    { ANNA_DOC, "support_number", "e01234567" },
    { ANNA_DOC, "support_number", "E0123456789" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestResponse) response = test_identify (session, BASE, cases[i].document,
                                                        cases[i].kind, cases[i].value);
      test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_CONTRAST);
    }
}

static void
test_body_too_large (void)
{
  gsize size = CLAVE_MAX_BODY + 1;
  g_autofree char *big = g_malloc (size);
  g_autofree char *padded = NULL;
  g_autoptr(TestResponse) declared = NULL;
  g_autoptr(TestResponse) chunked = NULL;
  g_autoptr(TestResponse) at_limit = NULL;
  g_autoptr(TestResponse) after = NULL;
  const char *json = "{\"document\": \"87654321X\", \"contrast\": {\"kind\": \"validity_date\","
                     " \"value\": \"2029-11-30\"}}";

  memset (big, ' ', size);
  declared = post_identify ("application/json", big, (gssize) size);
  test_assert_error (declared, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, CLAVE_ERR_BODY_TOO_LARGE);

  /* Without Content-Length the cap applies to what arrives. */
  chunked = test_request (session, BASE, "POST", CLAVE_PATH_IDENTIFY, "application/json", big,
                          (gssize) size, TRUE, NULL);
  test_assert_error (chunked, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, CLAVE_ERR_BODY_TOO_LARGE);

  /* Exactly 64 KiB is allowed. */
  padded = g_malloc (CLAVE_MAX_BODY + 1);
  memset (padded, ' ', CLAVE_MAX_BODY);
  memcpy (padded, json, strlen (json));
  padded[CLAVE_MAX_BODY] = '\0';
  at_limit = post_identify ("application/json", padded, CLAVE_MAX_BODY);
  test_assert_status (at_limit, SOUP_STATUS_OK);

  after = test_request (session, BASE, "GET", CLAVE_PATH_HEALTH, NULL, NULL, 0, FALSE, NULL);
  test_assert_status (after, SOUP_STATUS_OK);
}

/* Sends @request on a connection of its own and reads the answer, which
 * must come while the declared body never does. */
static TestResponse *
answer_without_body (const char *request)
{
  g_autoptr(TestTls) tls = NULL;
  TestResponse *response;
  int ret = 0;

  tls = test_tls_open (server, NULL, &ret);
  g_assert_cmpint (ret, ==, 0);
  g_assert_true (test_tls_send (tls, request, strlen (request)));
  response = test_tls_read_response (tls, 5000);
  g_assert_nonnull (response);
  /* Nothing more is read from a request whose body was not. */
  g_assert_cmpstr (test_response_header (response, "Connection"), ==, "close");
  g_assert_true (test_tls_wait_closed (tls, 5000));
  return response;
}

static void
test_too_large_before_body (void)
{
  g_autoptr(TestResponse) response = NULL;

  /* libsoup alone waited for the ten million bytes before answering. */
  response = answer_without_body ("POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\n"
                                  "Host: 127.0.0.1\r\n"
                                  "Content-Type: application/json\r\n"
                                  "Content-Length: 10000000\r\n"
                                  "\r\n");
  test_assert_error (response, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, CLAVE_ERR_BODY_TOO_LARGE);
}

static void
test_ambiguous_framing (void)
{
  /* Headers that two readers could take two ways: where the body ends,
   * or which host the request is for. */
  static const char * const headers[] = {
    "Host: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n",
    "Host: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 60\r\n",
    "Host: 127.0.0.1\r\nContent-Length: -1\r\n",
    "Host: 127.0.0.1\r\nContent-Length: +5\r\n",
    "Host: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    "Host: 127.0.0.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n",
    "Host: 127.0.0.1\r\nHost: clave.example.org\r\nContent-Length: 100\r\n",
  };
  g_autoptr(TestResponse) get = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *request = g_strconcat ("POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\n",
                                              headers[i],
                                              "Content-Type: application/json\r\n\r\n", NULL);
      g_autoptr(TestResponse) response = NULL;

      g_test_message ("headers: %s", headers[i]);
      response = answer_without_body (request);
      test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
    }

  /* A repeated Host without a body too. */
  get = answer_without_body ("GET " CLAVE_PATH_HEALTH " HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n");
  test_assert_error (get, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);

  /* A transfer coding other than chunked: libsoup answers 501 itself, as
   * RFC 9112 section 6.1 asks, before any handler of ours sees the
   * request (docs/protocol.md), reads nothing of the body and closes. */
  for (guint i = 0; i < 2; i++)
    {
      static const char * const codings[] = { "gzip", "gzip, chunked" };
      g_autofree char *request = g_strdup_printf ("POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\n"
                                                  "Host: 127.0.0.1\r\n"
                                                  "Transfer-Encoding: %s\r\n\r\n",
                                                  codings[i]);
      g_autoptr(TestTls) tls = NULL;
      g_autoptr(TestResponse) response = NULL;
      int ret = 0;

      tls = test_tls_open (server, NULL, &ret);
      g_assert_cmpint (ret, ==, 0);
      g_assert_true (test_tls_send (tls, request, strlen (request)));
      response = test_tls_read_response (tls, 5000);
      g_assert_nonnull (response);
      g_assert_cmpuint (response->status, ==, SOUP_STATUS_NOT_IMPLEMENTED);
      g_assert_true (test_tls_wait_closed (tls, 5000));
    }
}

static void
test_strict_json (void)
{
  /* JSON that json-glib reads, its own way, and others would read
   * another way or refuse. */
  static const char * const refused[] = {
    "{}{}",
    "{} x",
    "{}\n{\"document\": \"87654321X\"}",
    "{\"document\": \"12345678Z\", \"document\": \"87654321X\"}",
    "{\"document\": \"12345678Z\", \"\\u0064ocument\": \"87654321X\"}",
    "{\"contrast\": {\"kind\": \"validity_date\", \"kind\": \"issue_date\"}}",
    "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"g\": 7, \"h\": 8, "
    "\"i\": 9, \"j\": 10, \"\\u0061\": 11}",
    "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"g\": 7, \"h\": 8, "
    "\"i\": 9, \"j\": 10, \"i\": 11}",
    "/* a comment */ {}",
    "{} // a comment",
    "{\"a\": \"\\ud800\"}",
    "{\"a\": \"\\udc00\\ud800\"}",
    "{'a': 1}",
    "{\"a\": 01}",
    "{\"a\": 1.}",
    "{\"a\": .5}",
    "{\"a\": 1e}",
    "{\"a\": +1}",
    "{\"a\": tru}",
    "{\"a\": nul}",
    "{\"a\": [1, ]}",
    "{\"a\": \"tab\there\"}",
    "{\"a\": \"\\x41\"}",
    "{\"a\" 1}",
    "{a: 1}",
  };
  g_autoptr(TestResponse) accepted = NULL;

  assert_invalid_json (refused, G_N_ELEMENTS (refused));

  /* Every form of JSON, names repeated in different objects only. */
  accepted = post_identify ("application/json",
                            " {\"document\": \"87654321X\", \"contrast\": {\"kind\": "
                            "\"validity_date\", \"value\": \"2029-11-30\"}, \"x\": "
                            "{\"kind\": [1, -0.5e+3, 0, 2E-2, true, false, null, {}, []]}, "
                            "\"y\": \"\\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t "
                            "\\u00e9\"}\r\n", -1);
  test_assert_status (accepted, SOUP_STATUS_OK);
  g_assert_false (test_response_bool (accepted, "registered"));
}

static void
test_large_json (void)
{
  g_autoptr(GString) body = g_string_new ("{\"document\": \"87654321X\", \"contrast\": "
                                          "{\"kind\": \"validity_date\", \"value\": "
                                          "\"2029-11-30\"}");
  g_autoptr(TestResponse) response = NULL;
  gint64 start;

  /* 64 KiB of distinct members: the strict check stays cheap. */
  for (guint i = 0; body->len < CLAVE_MAX_BODY - 32; i++)
    g_string_append_printf (body, ", \"m%u\": %u", i, i);
  g_string_append_c (body, '}');
  g_assert_cmpuint (body->len, <=, CLAVE_MAX_BODY);

  start = g_get_monotonic_time ();
  response = post_identify ("application/json", body->str, (gssize) body->len);
  g_test_message ("%" G_GSIZE_FORMAT " bytes answered in %.1f ms", body->len,
                  (double) (g_get_monotonic_time () - start) / 1000.0);
  test_assert_status (response, SOUP_STATUS_OK);
}

static void
test_hsts (void)
{
  static const char * const paths[] = { CLAVE_PATH_HEALTH, "/v1/nowhere", CLAVE_PATH_IDENTIFY,
                                        "/demo/" };
  g_autoptr(TestResponse) invalid_json = NULL;
  g_autoptr(TestResponse) early = NULL;
  g_autoptr(TestResponse) unparsable = NULL;

  /* Every answer: routes, errors, the demo website... */
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(TestResponse) response = test_request (session, BASE, "GET", paths[i], NULL, NULL,
                                                       0, FALSE, NULL);

      g_test_message ("GET %s: %u", paths[i], response->status);
      g_assert_cmpstr (test_response_header (response, "Strict-Transport-Security"), ==,
                       "max-age=31536000");
    }
  invalid_json = post_identify ("application/json", "{", -1);
  g_assert_cmpstr (test_response_header (invalid_json, "Strict-Transport-Security"), ==,
                   "max-age=31536000");

  /* ...answers before the body, and libsoup's own to what is not HTTP. */
  early = answer_without_body ("POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Content-Length: 70000\r\n\r\n");
  g_assert_cmpstr (test_response_header (early, "Strict-Transport-Security"), ==,
                   "max-age=31536000");
  unparsable = test_raw_request (server, "NOT HTTP AT ALL\r\n\r\n");
  test_assert_status (unparsable, SOUP_STATUS_BAD_REQUEST);
  g_assert_cmpstr (test_response_header (unparsable, "Strict-Transport-Security"), ==,
                   "max-age=31536000");
}

static void
test_content_type (void)
{
  const char *json = "{\"document\": \"87654321X\", \"contrast\": {\"kind\": \"validity_date\","
                     " \"value\": \"2029-11-30\"}}";
  g_autoptr(TestResponse) text = NULL;
  g_autoptr(TestResponse) form = NULL;
  g_autoptr(TestResponse) none = NULL;
  g_autoptr(TestResponse) latin1 = NULL;
  g_autoptr(TestResponse) utf8 = NULL;

  text = post_identify ("text/plain", json, -1);
  test_assert_error (text, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE);
  form = post_identify ("application/x-www-form-urlencoded", "document=12345678Z", -1);
  test_assert_error (form, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE);
  none = post_identify (NULL, json, -1);
  test_assert_error (none, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE);
  latin1 = post_identify ("application/json; charset=iso-8859-1", json, -1);
  test_assert_error (latin1, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                     CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE);

  utf8 = post_identify ("Application/JSON; charset=UTF-8", json, -1);
  test_assert_status (utf8, SOUP_STATUS_OK);
}

static void
test_unknown_path (void)
{
  static const char * const paths[] = {
    "/", "/v1", "/v1/", "/v2/health", "/v1/healthz", "/v1/activations/", "/v1/activations/act_x",
    "/v1/activations/act_x/", "/v1/activations/act_x/email", "/v1/activations//sms",
    "/v1/activations/act_x/sms/verify/again", "/v1/me/extra",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(TestResponse) get = test_request (session, BASE, "GET", paths[i], NULL, NULL, 0,
                                                  FALSE, NULL);
      g_autoptr(TestResponse) post = test_request (session, BASE, "POST", paths[i],
                                                   "application/json", "{}", -1, FALSE, NULL);
      test_assert_error (get, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
      test_assert_error (post, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
    }
}

static void
test_wrong_method (void)
{
  static const struct {
    const char *method, *path, *allow;
  } cases[] = {
    { "GET", CLAVE_PATH_IDENTIFY, "POST" },
    { "DELETE", CLAVE_PATH_IDENTIFY, "POST" },
    { "POST", CLAVE_PATH_HEALTH, "GET" },
    { "PUT", CLAVE_PATH_ME, "GET" },
    { "POST", CLAVE_PATH_ME, "GET" },
    { "GET", CLAVE_PATH_DEVICE, "DELETE" },
    { "GET", CLAVE_PATH_ME_GIVE_UP, "POST" },
    { "PUT", CLAVE_PATH_ME_LEVEL, "POST" },
    { "GET", CLAVE_PATH_ME_PHONE, "POST" },
    { "GET", CLAVE_PATH_ME_PHONE_PREFIX "chg_x/verify", "POST" },
    { "GET", CLAVE_PATH_ACTIVATIONS "act_x/sms", "POST" },
    { "PATCH", CLAVE_PATH_ACTIVATIONS "act_x/device", "POST" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestResponse) response = test_request (session, BASE, cases[i].method,
                                                       cases[i].path, NULL, NULL, 0, FALSE, NULL);
      test_assert_error (response, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED);
      g_assert_cmpstr (test_response_header (response, "Allow"), ==, cases[i].allow);
    }
}

static void
test_activation_bodies (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms_array = NULL;
  g_autoptr(TestResponse) verify_missing = NULL;
  g_autoptr(TestResponse) device_types = NULL;
  g_autoptr(TestResponse) device_name = NULL;
  g_autofree char *sms_path = NULL;
  g_autofree char *verify_path = NULL;
  g_autofree char *device_path = NULL;

  activation = test_start_activation (session, BASE, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  sms_path = g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id, "/sms", NULL);
  verify_path = g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id, "/sms/verify", NULL);
  device_path = g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id, "/device", NULL);

  sms_array = test_post_json (session, BASE, sms_path, "[]", activation->token);
  test_assert_error (sms_array, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);

  verify_missing = test_post_json (session, BASE, verify_path, "{\"kode\": \"123456\"}",
                                   activation->token);
  test_assert_error (verify_missing, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);

  device_types = test_post_json (session, BASE, device_path,
                                 "{\"public_key\": 1, \"proof\": \"x\", \"name\": \"n\"}",
                                 activation->token);
  test_assert_error (device_types, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);

  device_name = test_post_json (session, BASE, device_path,
                                "{\"public_key\": \"x\", \"proof\": \"x\", \"name\": \"  \"}",
                                activation->token);
  test_assert_error (device_name, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
}

static void
test_health (void)
{
  g_autoptr(TestResponse) response = test_request (session, BASE, "GET", CLAVE_PATH_HEALTH,
                                                   NULL, NULL, 0, FALSE, NULL);

  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (response, "status"), ==, "ok");
  g_assert_cmpstr (test_response_string (response, "version"), ==, PACKAGE_VERSION);
  g_assert_true (clave_test_server_is_running (server));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/input/health", test_health);
  g_test_add_func ("/input/malformed-json", test_malformed_json);
  g_test_add_func ("/input/invalid-text", test_invalid_text);
  g_test_add_func ("/input/escaped-nul", test_escaped_nul);
  g_test_add_func ("/input/not-an-object", test_not_an_object);
  g_test_add_func ("/input/wrong-types", test_wrong_types);
  g_test_add_func ("/input/missing-members", test_missing_members);
  g_test_add_func ("/input/unknown-members-ignored", test_unknown_members_ignored);
  g_test_add_func ("/input/invalid-document", test_invalid_document);
  g_test_add_func ("/input/invalid-contrast", test_invalid_contrast);
  g_test_add_func ("/input/body-too-large", test_body_too_large);
  g_test_add_func ("/input/too-large-before-body", test_too_large_before_body);
  g_test_add_func ("/input/ambiguous-framing", test_ambiguous_framing);
  g_test_add_func ("/input/strict-json", test_strict_json);
  g_test_add_func ("/input/large-json", test_large_json);
  g_test_add_func ("/input/hsts", test_hsts);
  g_test_add_func ("/input/content-type", test_content_type);
  g_test_add_func ("/input/unknown-path", test_unknown_path);
  g_test_add_func ("/input/wrong-method", test_wrong_method);
  g_test_add_func ("/input/activation-bodies", test_activation_bodies);
  /* After all of the above, the server still answers. */
  g_test_add_func ("/input/health-after-all", test_health);

  server = test_server_start (NULL);
  session = test_session_new (server);

  status = g_test_run ();

  g_clear_object (&session);
  clave_test_server_stop (server);
  return status;
}
