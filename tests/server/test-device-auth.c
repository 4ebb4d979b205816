/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"
#include "clave-protocol.h"
#include "server-test-util.h"

/* Device signatures (docs/protocol.md "Device signatures"): one server
 * and one device activated for Lucía, used by every test; each test
 * checks the device still works afterwards where that matters. */
static ClaveTestServer *server;
static SoupSession *session;
static TestDevice *device;

#define BASE (clave_test_server_get_base_url (server))

static void
assert_device_works (void)
{
  g_autoptr(TestResponse) me = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME,
                                                    NULL, NULL);
  test_assert_status (me, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (me, "document"), ==, "*****678Z");
}

static void
test_signed_request (void)
{
  assert_device_works ();
}

static void
test_replayed_nonce (void)
{
  TestSignOptions options = { .nonce = "bm9uY2Utb25lLXRpbWUtb25seQ" };
  g_autoptr(TestResponse) first = NULL;
  g_autoptr(TestResponse) replay = NULL;

  first = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &options);
  test_assert_status (first, SOUP_STATUS_OK);

  replay = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &options);
  test_assert_error (replay, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_REPLAYED_NONCE);
}

static void
test_stale_signature (void)
{
  TestSignOptions past = { .created_offset = -600 };
  TestSignOptions future = { .created_offset = 600 };
  g_autoptr(TestResponse) old = NULL;
  g_autoptr(TestResponse) ahead = NULL;

  old = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &past);
  test_assert_error (old, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_STALE_SIGNATURE);

  ahead = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &future);
  test_assert_error (ahead, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_STALE_SIGNATURE);

  assert_device_works ();
}

static void
test_expired_signature (void)
{
  TestSignOptions expired = { .has_expires = TRUE, .expires_offset = -10 };
  TestSignOptions unexpired = { .has_expires = TRUE, .expires_offset = 60 };
  g_autoptr(TestResponse) old = NULL;
  g_autoptr(TestResponse) fresh = NULL;

  /* Created now, but its signer said it expired ten seconds ago. */
  old = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &expired);
  test_assert_error (old, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_STALE_SIGNATURE);

  fresh = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &unexpired);
  test_assert_status (fresh, SOUP_STATUS_OK);
}

static void
test_tampered_body (void)
{
  TestSignOptions options = { .signed_body = "{\"keep\": true}" };
  g_autoptr(TestResponse) tampered = NULL;

  /* Signed one body, sent another: the sign-out must not happen. */
  tampered = test_device_request (session, BASE, device, "DELETE", CLAVE_PATH_DEVICE,
                                  "{\"keep\": false}", &options);
  test_assert_error (tampered, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_DIGEST_MISMATCH);

  assert_device_works ();
}

static void
test_other_key (void)
{
  g_autoptr(TestDevice) intruder = test_device_new ();
  TestSignOptions options = { .signer = intruder };
  g_autoptr(TestResponse) response = NULL;

  response = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &options);
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);
}

static void
test_unknown_device (void)
{
  TestSignOptions options = { .keyid = "dev_doesnotexist" };
  g_autoptr(TestResponse) response = NULL;

  response = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &options);
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_UNKNOWN_DEVICE);
}

static void
test_signature_required (void)
{
  TestSignOptions no_digest = { .no_digest = TRUE };
  TestSignOptions no_signature = { .no_signature = TRUE };
  g_autoptr(TestResponse) bare = NULL;
  g_autoptr(TestResponse) without_digest = NULL;
  g_autoptr(TestResponse) without_signature = NULL;

  bare = test_request (session, BASE, "GET", CLAVE_PATH_ME, NULL, NULL, 0, FALSE, NULL);
  test_assert_error (bare, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_SIGNATURE_REQUIRED);

  without_digest = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL,
                                        &no_digest);
  test_assert_error (without_digest, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_SIGNATURE_REQUIRED);

  without_signature = test_device_request (session, BASE, device, "DELETE", CLAVE_PATH_DEVICE,
                                           NULL, &no_signature);
  test_assert_error (without_signature, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_SIGNATURE_REQUIRED);

  assert_device_works ();
}

static void
test_malformed_signature (void)
{
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autofree char *digest = clave_content_digest (empty);
  g_autofree char *other_components = NULL;
  g_autofree char *other_alg = NULL;
  g_autoptr(TestResponse) garbage = NULL;
  g_autoptr(TestResponse) components = NULL;
  g_autoptr(TestResponse) alg = NULL;
  const char *signature = "clave=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:";
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  {
    const char *headers[] = { "Content-Digest", digest, "Signature-Input", "clave=(((",
                              "Signature", "clave=:nope", NULL };
    garbage = test_request (session, BASE, "GET", CLAVE_PATH_ME, NULL, NULL, 0, FALSE, headers);
    test_assert_error (garbage, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);
  }

  other_components = g_strdup_printf ("clave=(\"@method\" \"@path\");created=%" G_GINT64_FORMAT
                                      ";nonce=\"abc\";keyid=\"%s\";alg=\"ecdsa-p256-sha256\"",
                                      now, device->device_id);
  {
    const char *headers[] = { "Content-Digest", digest, "Signature-Input", other_components,
                              "Signature", signature, NULL };
    components = test_request (session, BASE, "GET", CLAVE_PATH_ME, NULL, NULL, 0, FALSE,
                               headers);
    test_assert_error (components, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);
  }

  other_alg = g_strdup_printf ("clave=(\"@method\" \"@target-uri\" \"content-digest\");created=%"
                               G_GINT64_FORMAT ";nonce=\"abc\";keyid=\"%s\";alg=\"hmac-sha256\"",
                               now, device->device_id);
  {
    const char *headers[] = { "Content-Digest", digest, "Signature-Input", other_alg,
                              "Signature", signature, NULL };
    alg = test_request (session, BASE, "GET", CLAVE_PATH_ME, NULL, NULL, 0, FALSE, headers);
    test_assert_error (alg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);
  }
}

static void
test_target_uri (void)
{
  g_autofree char *other_host = NULL;
  TestSignOptions other_path = { .signed_path = CLAVE_PATH_ME "?reveal=document" };
  TestSignOptions other_query = { .signed_path = CLAVE_PATH_ME };
  TestSignOptions other_method_path = { .signed_path = CLAVE_PATH_DEVICE };
  g_autoptr(TestResponse) path = NULL;
  g_autoptr(TestResponse) query = NULL;
  g_autoptr(TestResponse) host = NULL;
  g_autoptr(TestResponse) moved = NULL;
  const char *port;

  /* A signature for the masked document does not reveal it. */
  path = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, &other_path);
  test_assert_error (path, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);
  query = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME "?reveal=document",
                               NULL, &other_query);
  test_assert_error (query, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);

  /* Signed for another authority (same server, other name). */
  port = strrchr (BASE, ':');
  other_host = g_strconcat ("https://localhost", port, NULL);
  {
    TestSignOptions other_authority = { .signed_base = other_host };
    host = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL,
                                &other_authority);
    test_assert_error (host, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);
  }

  moved = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL,
                               &other_method_path);
  test_assert_error (moved, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);

  assert_device_works ();
}

static void
test_localhost_authority (void)
{
  g_autofree char *base = NULL;
  g_autoptr(TestResponse) response = NULL;
  const char *port = strrchr (BASE, ':');

  /* The certificate covers localhost too, and the signature follows the
   * Host header the client sent. */
  base = g_strconcat ("https://localhost", port, NULL);
  response = test_device_request (session, base, device, "GET", CLAVE_PATH_ME, NULL, NULL);
  test_assert_status (response, SOUP_STATUS_OK);
}

/* A signed GET of @path_as_sent, signed for @signed_target, sent as
 * written with the Host header @host. */
static TestResponse *
raw_signed_get (const char *path_as_sent,
                const char *signed_target,
                const char *host)
{
  g_autoptr(ClaveHttpSigHeaders) sig = test_device_sign (device, "GET", signed_target, NULL);
  g_autofree char *request = NULL;

  request = g_strdup_printf ("GET %s HTTP/1.1\r\n"
                             "Host: %s\r\n"
                             "Content-Digest: %s\r\n"
                             "Signature-Input: %s\r\n"
                             "Signature: %s\r\n"
                             "Connection: close\r\n"
                             "\r\n",
                             path_as_sent, host, sig->content_digest, sig->signature_input,
                             sig->signature);
  return test_raw_request (server, request);
}

static void
test_normalised_target_uri (void)
{
  g_autofree char *authority = test_server_authority (server);
  const char *sent = "/v1/x/../%6de?reveal=%64ocument&x=%2f%7e";
  g_autofree char *normalised = g_strconcat ("https://", authority,
                                             CLAVE_PATH_ME "?reveal=document&x=%2F~", NULL);
  g_autofree char *as_sent = g_strconcat ("https://", authority, sent, NULL);
  g_autoptr(TestResponse) ok = NULL;
  g_autoptr(TestResponse) literal = NULL;

  /* The service reads the URI as RFC 3986 normalises it (dot segments
   * removed, unreserved characters decoded, the hex of other escapes in
   * upper case): the client signs that form... */
  ok = raw_signed_get (sent, normalised, authority);
  test_assert_status (ok, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (ok, "document"), ==, LUCIA_DOC);

  /* ...not the one it may have written. */
  literal = raw_signed_get (sent, as_sent, authority);
  test_assert_error (literal, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_SIGNATURE);
}

static void
test_signed_for_other_host (void)
{
  g_autofree char *authority = test_server_authority (server);
  const char *port = strrchr (authority, ':');
  g_autofree char *other = g_strconcat ("clave.example.org", port, NULL);
  g_autofree char *target = g_strconcat ("https://", other, CLAVE_PATH_ME, NULL);
  g_autoptr(TestResponse) response = NULL;

  /* A signature made for another service, even a valid one, is not
   * looked at: the request was not meant for this one. */
  response = raw_signed_get (CLAVE_PATH_ME, target, other);
  test_assert_error (response, 421, CLAVE_ERR_MISDIRECTED_REQUEST);

  assert_device_works ();
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/device-auth/signed-request", test_signed_request);
  g_test_add_func ("/device-auth/replayed-nonce", test_replayed_nonce);
  g_test_add_func ("/device-auth/stale-signature", test_stale_signature);
  g_test_add_func ("/device-auth/expired-signature", test_expired_signature);
  g_test_add_func ("/device-auth/tampered-body", test_tampered_body);
  g_test_add_func ("/device-auth/other-key", test_other_key);
  g_test_add_func ("/device-auth/unknown-device", test_unknown_device);
  g_test_add_func ("/device-auth/signature-required", test_signature_required);
  g_test_add_func ("/device-auth/malformed-signature", test_malformed_signature);
  g_test_add_func ("/device-auth/target-uri", test_target_uri);
  g_test_add_func ("/device-auth/localhost-authority", test_localhost_authority);
  g_test_add_func ("/device-auth/normalised-target-uri", test_normalised_target_uri);
  g_test_add_func ("/device-auth/signed-for-other-host", test_signed_for_other_host);

  server = test_server_start (NULL);
  session = test_session_new (server);
  device = test_device_new ();
  test_activate_device (server, session, device, LUCIA_DOC, "validity_date", LUCIA_VALIDITY,
                        LUCIA_PHONE);

  status = g_test_run ();

  g_clear_pointer (&device, test_device_free);
  g_clear_object (&session);
  clave_test_server_stop (server);
  return status;
}
