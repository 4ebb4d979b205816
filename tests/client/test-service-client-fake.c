/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-service-client-fake"

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"
#include "clave-protocol.h"
#include "clave-device-key-private.h"
#include "clave-service-client.h"
#include "client-test-util.h"

/*
 * ClaveServiceClient against a scripted HTTPS server on loopback: the
 * answers a real clave-server never gives (wrong JSON types, redirects,
 * HTML error pages) and a close look at what the client sends (headers,
 * bodies, the exact URI it signs). tests/client/test-service-client.c
 * drives the real clave-server.
 */

typedef struct {
  /* The scripted answer. */
  guint              status;
  char              *body;
  char              *content_type;
  char              *location;

  /* What the last request looked like on the server side. */
  guint              n_requests;
  char              *method;
  char              *target_uri;   /* as RFC 9421 defines it: https://Host + path?query */
  char              *path;
  SoupMessageHeaders *headers;
  GBytes            *request_body;

  SoupServer        *server;
  char              *dir;
  char              *ca_file;
  char              *base_url;
  SoupSession       *session;
  ClaveServiceClient *client;
} Fixture;

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fixture *fixture = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) flat = soup_message_body_flatten (body);

  fixture->n_requests++;
  g_free (fixture->method);
  fixture->method = g_strdup (soup_server_message_get_method (msg));
  g_free (fixture->path);
  fixture->path = g_strdup (g_uri_get_path (uri));
  g_free (fixture->target_uri);
  fixture->target_uri = g_strdup_printf ("https://%s%s%s%s",
                                         soup_message_headers_get_one (headers, "Host"),
                                         g_uri_get_path (uri),
                                         g_uri_get_query (uri) ? "?" : "",
                                         g_uri_get_query (uri) ? g_uri_get_query (uri) : "");
  g_clear_pointer (&fixture->headers, soup_message_headers_unref);
  fixture->headers = soup_message_headers_ref (headers);
  g_clear_pointer (&fixture->request_body, g_bytes_unref);
  fixture->request_body = g_bytes_ref (flat);

  soup_server_message_set_status (msg, fixture->status, NULL);
  if (fixture->location != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Location", fixture->location);
  if (fixture->body != NULL)
    soup_server_message_set_response (msg, fixture->content_type, SOUP_MEMORY_COPY,
                                      fixture->body, strlen (fixture->body));
}

static void
script (Fixture    *fixture,
        guint       status,
        const char *body)
{
  fixture->status = status;
  g_free (fixture->body);
  fixture->body = g_strdup (body);
  g_free (fixture->content_type);
  fixture->content_type = g_strdup ("application/json");
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  GSList *uris;
  const char *prefix = data;

  fixture->dir = g_dir_make_tmp ("clave-fake-XXXXXX", &error);
  g_assert_no_error (error);
  certificate = client_test_make_tls_certificate (fixture->dir, &fixture->ca_file);

  fixture->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (fixture->server, NULL, handler, fixture, NULL);
  soup_server_listen_local (fixture->server, 0, SOUP_SERVER_LISTEN_HTTPS | SOUP_SERVER_LISTEN_IPV4_ONLY,
                            &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (fixture->server);
  g_assert_nonnull (uris);
  fixture->base_url = g_strdup_printf ("https://127.0.0.1:%d%s",
                                       g_uri_get_port (uris->data), prefix ? prefix : "");
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  database = g_tls_file_database_new (fixture->ca_file, &error);
  g_assert_no_error (error);
  fixture->session = soup_session_new_with_options ("tls-database", database, "timeout", 10, NULL);
  fixture->client = clave_service_client_new (fixture->session, fixture->base_url);
  script (fixture, 200, "{}");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  client_test_assert_finalize (g_steal_pointer (&fixture->client));
  g_clear_object (&fixture->session);
  soup_server_disconnect (fixture->server);
  g_clear_object (&fixture->server);
  g_remove (fixture->ca_file);
  g_rmdir (fixture->dir);
  g_free (fixture->ca_file);
  g_free (fixture->dir);
  g_free (fixture->base_url);
  g_free (fixture->body);
  g_free (fixture->content_type);
  g_free (fixture->location);
  g_free (fixture->method);
  g_free (fixture->path);
  g_free (fixture->target_uri);
  g_clear_pointer (&fixture->headers, soup_message_headers_unref);
  g_clear_pointer (&fixture->request_body, g_bytes_unref);
}

static JsonObject *
request_json (Fixture *fixture)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (fixture->request_body, &len);

  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static ClaveActivation *
test_activation (void)
{
  ClaveActivation activation = {
    .id = (char *) "act_123",
    .token = (char *) "secret-token",
    .methods = NULL,
    .phone_hint = (char *) "******789",
    .expires_at = 0,
  };

  return clave_activation_copy (&activation);
}

static ClaveDeviceKey *
unlocked_key (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ClaveDeviceKey *key;

  _clave_device_key_generate_with_iterations_async ("802461", 1000, NULL,
                                                    client_test_store_result, &result);
  client_test_wait_result (&result);
  key = clave_device_key_generate_finish (result, &error);
  g_assert_no_error (error);
  return key;
}

/* Checks the request the server received carries a valid RFC 9421
 * signature by @key over the URI the server saw. */
static void
assert_signed_request (Fixture        *fixture,
                       ClaveDeviceKey *key,
                       const char     *device_id)
{
  g_autoptr(ClaveHttpSigInput) input = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_pubkey_t) pubkey = NULL;
  const char *digest = soup_message_headers_get_one (fixture->headers, "Content-Digest");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_nonnull (digest);
  input = clave_http_sig_parse (soup_message_headers_get_one (fixture->headers, "Signature-Input"),
                                soup_message_headers_get_one (fixture->headers, "Signature"),
                                &error);
  g_assert_no_error (error);
  g_assert_cmpstr (input->keyid, ==, device_id);
  g_assert_cmpstr (input->alg, ==, CLAVE_HTTP_SIG_ALG);
  g_assert_cmpint (ABS (input->created - now), <=, 5);
  /* 16 random bytes as unpadded base64url. */
  g_assert_cmpuint (strlen (input->nonce), ==, 22);

  pubkey = clave_pubkey_import_spki (clave_device_key_get_public_key (key), &error);
  g_assert_no_error (error);
  g_assert_true (clave_http_sig_verify (input, pubkey, fixture->method, fixture->target_uri,
                                        digest, fixture->request_body, &error));
  g_assert_no_error (error);

  /* The same signature must not verify for another URI: the check above
   * is about the exact URI. */
  {
    g_autofree char *other = g_strconcat (fixture->target_uri, "x", NULL);

    g_assert_false (clave_http_sig_verify (input, pubkey, fixture->method, other,
                                           digest, fixture->request_body, NULL));
  }
}

/* identify */

static gboolean
identify (Fixture          *fixture,
          gboolean         *registered,
          ClaveActivation **activation,
          GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_identify_async (fixture->client, "12345678Z", "validity_date",
                                       "2031-05-04", NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_identify_finish (fixture->client, result, registered, activation,
                                               error);
}

static void
test_identify_registered (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) sent = NULL;
  JsonObject *contrast;
  gboolean registered = FALSE;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  script (fixture, 200,
          "{\"registered\": true, \"activation\": {\"id\": \"act_1-x\", \"token\": \"tok\","
          " \"expires_in\": 900, \"methods\": [\"sms\"], \"phone_hint\": \"******789\","
          " \"future_member\": {\"ignored\": true}}}");
  g_assert_true (identify (fixture, &registered, &activation, &error));
  g_assert_no_error (error);
  g_assert_true (registered);
  g_assert_nonnull (activation);
  g_assert_cmpstr (activation->id, ==, "act_1-x");
  g_assert_cmpstr (activation->token, ==, "tok");
  g_assert_cmpstrv (activation->methods, ((const char *[]) { "sms", NULL }));
  g_assert_cmpstr (activation->phone_hint, ==, "******789");
  g_assert_cmpint (activation->expires_at, >=, now + 900);
  g_assert_cmpint (activation->expires_at, <=, now + 905);

  g_assert_cmpstr (fixture->method, ==, "POST");
  g_assert_cmpstr (fixture->path, ==, CLAVE_PATH_IDENTIFY);
  g_assert_cmpstr (soup_message_headers_get_content_type (fixture->headers, NULL), ==,
                   "application/json");
  g_assert_null (soup_message_headers_get_one (fixture->headers, "Authorization"));
  g_assert_null (soup_message_headers_get_one (fixture->headers, "Signature"));
  sent = request_json (fixture);
  g_assert_cmpstr (json_object_get_string_member (sent, "document"), ==, "12345678Z");
  contrast = json_object_get_object_member (sent, "contrast");
  g_assert_cmpstr (json_object_get_string_member (contrast, "kind"), ==, "validity_date");
  g_assert_cmpstr (json_object_get_string_member (contrast, "value"), ==, "2031-05-04");
}

static void
test_identify_not_registered (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  gboolean registered = TRUE;

  script (fixture, 200, "{\"registered\": false}");
  g_assert_true (identify (fixture, &registered, &activation, &error));
  g_assert_no_error (error);
  g_assert_false (registered);
  g_assert_null (activation);
}

static void
test_identify_malformed (Fixture       *fixture,
                         gconstpointer  data)
{
  static const char *answers[] = {
    "",
    "not json",
    "[]",
    "\"registered\"",
    "{}",
    "{\"registered\": \"yes\"}",
    "{\"registered\": 1}",
    "{\"registered\": true}",
    "{\"registered\": true, \"activation\": []}",
    "{\"registered\": true, \"activation\": {\"id\": 5, \"token\": \"t\", \"expires_in\": 900, \"methods\": []}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a/../b\", \"token\": \"t\", \"expires_in\": 900, \"methods\": []}}",
    "{\"registered\": true, \"activation\": {\"id\": \"\", \"token\": \"t\", \"expires_in\": 900, \"methods\": []}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a\", \"token\": \"t\\r\\nX: y\", \"expires_in\": 900, \"methods\": []}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a\", \"token\": \"\", \"expires_in\": 900, \"methods\": []}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a\", \"token\": \"t\", \"expires_in\": -1, \"methods\": []}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a\", \"token\": \"t\", \"expires_in\": \"900\", \"methods\": []}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a\", \"token\": \"t\", \"expires_in\": 9.5, \"methods\": []}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a\", \"token\": \"t\", \"expires_in\": 900, \"methods\": \"sms\"}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a\", \"token\": \"t\", \"expires_in\": 900, \"methods\": [1]}}",
    "{\"registered\": true, \"activation\": {\"id\": \"a\", \"token\": \"t\", \"expires_in\": 900, \"methods\": [], \"phone_hint\": 789}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_autoptr(ClaveActivation) activation = NULL;
      g_autoptr(GError) error = NULL;
      gboolean registered = TRUE;

      g_test_message ("answer: %s", answers[i]);
      script (fixture, 200, answers[i]);
      g_assert_false (identify (fixture, &registered, &activation, &error));
      g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL);
      g_assert_false (registered);
      g_assert_null (activation);
    }
}

static void
test_identify_errors (Fixture       *fixture,
                      gconstpointer  data)
{
  static const struct {
    guint              status;
    const char        *body;
    const char        *content_type;
    ClaveServiceError  expected;
    const char        *needle;
  } cases[] = {
    { 401, "{\"error\": \"identification_failed\", \"message\": \"x\"}", "application/json",
      CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED, "contrast data are not correct" },
    { 429, "{\"error\": \"too_many_attempts\", \"message\": \"x\", \"retry_after\": 600}", "application/json",
      CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS, "10 minutes" },
    { 429, "{\"error\": \"too_many_attempts\", \"retry_after\": \"soon\"}", "application/json",
      CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS, "a few minutes" },
    { 400, "{\"error\": 42}", "application/json",
      CLAVE_SERVICE_ERROR_INVALID_REQUEST, "did not accept" },
    { 502, "<html>Bad gateway</html>", "text/html",
      CLAVE_SERVICE_ERROR_SERVER, "Try again later" },
    { 500, NULL, NULL, CLAVE_SERVICE_ERROR_SERVER, "Try again later" },
    { 404, "{\"error\": \"not_found\"}", "application/json",
      CLAVE_SERVICE_ERROR_PROTOCOL, "service address" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      script (fixture, cases[i].status, cases[i].body);
      g_free (fixture->content_type);
      fixture->content_type = g_strdup (cases[i].content_type);
      g_assert_false (identify (fixture, NULL, NULL, &error));
      g_test_message ("%u -> %s", cases[i].status, error->message);
      g_assert_error (error, CLAVE_SERVICE_ERROR, (gint) cases[i].expected);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
    }
}

static void
test_redirect_is_not_followed (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  script (fixture, 302, NULL);
  fixture->location = g_strdup_printf ("%s/elsewhere", fixture->base_url);
  g_assert_false (identify (fixture, NULL, NULL, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL);
  g_assert_cmpuint (fixture->n_requests, ==, 1);
  g_assert_cmpstr (fixture->path, ==, CLAVE_PATH_IDENTIFY);
}

/* SMS */

static void
test_send_sms (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = test_activation ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveSmsStatus) status = NULL;

  script (fixture, 200, "{\"sent\": true, \"code_expires_in\": 300, \"resend_after\": 30,"
                        " \"sends_left\": 2, \"phone_hint\": \"******789\"}");
  clave_service_client_send_sms_async (fixture->client, activation, NULL,
                                       client_test_store_result, &result);
  client_test_wait_result (&result);
  status = clave_service_client_send_sms_finish (fixture->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status->code_expires_in, ==, 300);
  g_assert_cmpuint (status->resend_after, ==, 30);
  g_assert_cmpuint (status->sends_left, ==, 2);
  g_assert_cmpstr (status->phone_hint, ==, "******789");

  g_assert_cmpstr (fixture->method, ==, "POST");
  g_assert_cmpstr (fixture->path, ==, "/v1/activations/act_123/sms");
  g_assert_cmpstr (soup_message_headers_get_one (fixture->headers, "Authorization"), ==,
                   "Bearer secret-token");
  g_assert_cmpmem (g_bytes_get_data (fixture->request_body, NULL),
                   g_bytes_get_size (fixture->request_body), "{}", 2);
}

static void
test_send_sms_errors (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = test_activation ();
  static const struct {
    guint status;
    const char *body;
    ClaveServiceError expected;
    const char *needle;
  } cases[] = {
    { 429, "{\"error\": \"resend_too_soon\", \"retry_after\": 12}",
      CLAVE_SERVICE_ERROR_RESEND_TOO_SOON, "12 seconds" },
    { 429, "{\"error\": \"resend_limit_reached\"}", CLAVE_SERVICE_ERROR_RESEND_LIMIT, "activation again" },
    { 410, "{\"error\": \"activation_expired\"}", CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED, "activation again" },
    { 423, "{\"error\": \"activation_locked\"}", CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED, "activation again" },
    { 200, "{\"sent\": false, \"code_expires_in\": 300, \"resend_after\": 30, \"sends_left\": 2}",
      CLAVE_SERVICE_ERROR_PROTOCOL, "does not understand" },
    { 200, "{\"sent\": true, \"code_expires_in\": 300, \"resend_after\": 30}",
      CLAVE_SERVICE_ERROR_PROTOCOL, "does not understand" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(ClaveSmsStatus) status = NULL;

      script (fixture, cases[i].status, cases[i].body);
      clave_service_client_send_sms_async (fixture->client, activation, NULL,
                                           client_test_store_result, &result);
      client_test_wait_result (&result);
      status = clave_service_client_send_sms_finish (fixture->client, result, &error);
      g_assert_null (status);
      g_assert_error (error, CLAVE_SERVICE_ERROR, (gint) cases[i].expected);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
    }
}

static gboolean
verify_code (Fixture     *fixture,
             const char  *code,
             guint       *attempts_left,
             GError     **error)
{
  g_autoptr(ClaveActivation) activation = test_activation ();
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_verify_sms_async (fixture->client, activation, code, NULL,
                                         client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_verify_sms_finish (fixture->client, result, attempts_left, error);
}

static void
test_verify_sms (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) sent = NULL;
  guint attempts_left = 99;

  script (fixture, 401, "{\"error\": \"invalid_code\", \"message\": \"Wrong code\", \"attempts_left\": 2}");
  g_assert_false (verify_code (fixture, "000000", &attempts_left, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE);
  g_assert_cmpuint (attempts_left, ==, 2);
  g_assert_nonnull (strstr (error->message, "The code is not correct."));
  g_assert_nonnull (strstr (error->message, "2 tries left"));
  g_clear_error (&error);
  g_assert_cmpstr (fixture->path, ==, "/v1/activations/act_123/sms/verify");
  sent = request_json (fixture);
  g_assert_cmpstr (json_object_get_string_member (sent, "code"), ==, "000000");

  script (fixture, 401, "{\"error\": \"invalid_code\", \"attempts_left\": 1}");
  g_assert_false (verify_code (fixture, "000001", &attempts_left, &error));
  g_assert_cmpuint (attempts_left, ==, 1);
  g_assert_nonnull (strstr (error->message, "1 try left"));
  g_clear_error (&error);

  script (fixture, 423, "{\"error\": \"activation_locked\"}");
  attempts_left = 99;
  g_assert_false (verify_code (fixture, "000002", &attempts_left, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED);
  g_assert_cmpuint (attempts_left, ==, 0);
  g_clear_error (&error);

  script (fixture, 410, "{\"error\": \"code_expired\"}");
  g_assert_false (verify_code (fixture, "000003", NULL, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CODE_EXPIRED);
  g_clear_error (&error);

  script (fixture, 200, "{\"verified\": false}");
  g_assert_false (verify_code (fixture, "123456", NULL, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL);
  g_clear_error (&error);

  script (fixture, 200, "{\"verified\": true}");
  g_assert_true (verify_code (fixture, "123456", &attempts_left, &error));
  g_assert_no_error (error);
}

static void
test_bad_activation (Fixture       *fixture,
                     gconstpointer  data)
{
  ClaveActivation activation = { .id = (char *) "../../v1/device", .token = (char *) "t" };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveSmsStatus) status = NULL;

  clave_service_client_send_sms_async (fixture->client, &activation, NULL,
                                       client_test_store_result, &result);
  client_test_wait_result (&result);
  status = clave_service_client_send_sms_finish (fixture->client, result, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED);
  g_assert_cmpuint (fixture->n_requests, ==, 0);
}

/* Device registration and signed requests */

static void
test_register_device (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = test_activation ();
  g_autoptr(ClaveDeviceKey) key = unlocked_key ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) proof = NULL;
  g_autoptr(GBytes) proof_input = NULL;
  g_auto(gnutls_pubkey_t) pubkey = NULL;
  g_autofree char *device_id = NULL;

  script (fixture, 201, "{\"device_id\": \"dev_42\"}");
  clave_service_client_register_device_async (fixture->client, activation, key, "My laptop",
                                              NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  device_id = clave_service_client_register_device_finish (fixture->client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device_id, ==, "dev_42");

  g_assert_cmpstr (fixture->path, ==, "/v1/activations/act_123/device");
  g_assert_cmpstr (soup_message_headers_get_one (fixture->headers, "Authorization"), ==,
                   "Bearer secret-token");
  sent = request_json (fixture);
  g_assert_cmpstr (json_object_get_string_member (sent, "name"), ==, "My laptop");
  public_key = clave_base64url_decode (json_object_get_string_member (sent, "public_key"), &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (public_key, clave_device_key_get_public_key (key)));

  proof = clave_base64url_decode (json_object_get_string_member (sent, "proof"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (proof), ==, 64);
  pubkey = clave_pubkey_import_spki (public_key, &error);
  g_assert_no_error (error);
  proof_input = g_bytes_new_static (CLAVE_REGISTRATION_PROOF_PREFIX "act_123",
                                    strlen (CLAVE_REGISTRATION_PROOF_PREFIX "act_123"));
  g_assert_true (clave_ecdsa_verify (pubkey, proof_input, proof, &error));
  g_assert_no_error (error);

  /* The answer's device id goes into headers later: it must be clean. */
  g_clear_object (&result);
  g_clear_pointer (&device_id, g_free);
  script (fixture, 201, "{\"device_id\": \"dev 42\\r\\n\"}");
  clave_service_client_register_device_async (fixture->client, activation, key, NULL,
                                              NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  device_id = clave_service_client_register_device_finish (fixture->client, result, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL);
  g_assert_null (device_id);
  g_clear_pointer (&sent, json_object_unref);
  sent = request_json (fixture);
  /* No name given: a default one naming the program. */
  g_assert_nonnull (strstr (json_object_get_string_member (sent, "name"), "Clave Desktop"));

  client_test_assert_finalize (g_steal_pointer (&key));
}

static ClaveMyData *
get_my_data (Fixture         *fixture,
             ClaveDeviceKey  *key,
             gboolean         reveal,
             GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_get_my_data_async (fixture->client, key, "dev_42", reveal, NULL,
                                          client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_get_my_data_finish (fixture->client, result, error);
}

static const char my_data_json[] =
  "{\"document\": \"*****678Z\", \"document_type\": \"dni\", \"given_name\": \"Lucía\","
  " \"surnames\": \"García Pérez\", \"phone\": \"******789\", \"email\": \"lucia@example.org\","
  " \"level\": \"advanced\", \"registration_channel\": \"in_person\"}";

static void
test_get_my_data (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = unlocked_key ();
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected_uri = NULL;
  const char *prefix = data;

  script (fixture, 200, my_data_json);
  my_data = get_my_data (fixture, key, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (my_data->document, ==, "*****678Z");
  g_assert_cmpstr (my_data->document_type, ==, "dni");
  g_assert_cmpstr (my_data->given_name, ==, "Lucía");
  g_assert_cmpstr (my_data->surnames, ==, "García Pérez");
  g_assert_cmpstr (my_data->phone, ==, "******789");
  g_assert_cmpstr (my_data->email, ==, "lucia@example.org");
  g_assert_cmpstr (my_data->level, ==, "advanced");
  g_assert_cmpstr (my_data->registration_channel, ==, "in_person");

  g_assert_cmpstr (fixture->method, ==, "GET");
  expected_uri = g_strdup_printf ("%s%s", fixture->base_url, CLAVE_PATH_ME);
  if (prefix != NULL)
    g_assert_cmpstr (fixture->path, ==, "/clave" CLAVE_PATH_ME);
  else
    g_assert_cmpstr (fixture->path, ==, CLAVE_PATH_ME);
  g_assert_cmpstr (fixture->target_uri, ==, expected_uri);
  g_assert_null (soup_message_headers_get_one (fixture->headers, "Authorization"));
  assert_signed_request (fixture, key, "dev_42");

  g_clear_pointer (&my_data, clave_my_data_free);
  g_clear_pointer (&expected_uri, g_free);
  my_data = get_my_data (fixture, key, TRUE, &error);
  g_assert_no_error (error);
  expected_uri = g_strdup_printf ("%s%s?reveal=document", fixture->base_url, CLAVE_PATH_ME);
  g_assert_cmpstr (fixture->target_uri, ==, expected_uri);
  assert_signed_request (fixture, key, "dev_42");

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_get_my_data_malformed (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = unlocked_key ();
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  static const char *answers[] = {
    "{\"document\": 5, \"document_type\": \"dni\", \"given_name\": \"L\", \"surnames\": \"G\","
    " \"level\": \"advanced\", \"registration_channel\": \"in_person\"}",
    "{\"document\": \"*****678Z\", \"document_type\": \"dni\", \"given_name\": \"L\","
    " \"level\": \"advanced\", \"registration_channel\": \"in_person\"}",
    "{\"document\": \"*****678Z\", \"document_type\": \"dni\", \"given_name\": \"L\", \"surnames\": \"G\","
    " \"phone\": 789, \"level\": \"advanced\", \"registration_channel\": \"in_person\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      script (fixture, 200, answers[i]);
      my_data = get_my_data (fixture, key, FALSE, &error);
      g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL);
      g_assert_null (my_data);
      g_clear_error (&error);
    }

  /* Phone and e-mail may be missing or null. */
  script (fixture, 200, "{\"document\": \"*****678Z\", \"document_type\": \"dni\", \"given_name\": \"L\","
                        " \"surnames\": \"G\", \"phone\": null, \"level\": \"basic\","
                        " \"registration_channel\": \"video\"}");
  my_data = get_my_data (fixture, key, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (my_data->phone);
  g_assert_null (my_data->email);
  g_assert_cmpstr (my_data->level, ==, "basic");

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_signed_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = unlocked_key ();
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;

  script (fixture, 401, "{\"error\": \"device_deactivated\"}");
  my_data = get_my_data (fixture, key, FALSE, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED);
  g_clear_error (&error);

  script (fixture, 401, "{\"error\": \"stale_signature\"}");
  my_data = get_my_data (fixture, key, FALSE, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED);
  g_assert_nonnull (strstr (error->message, "clock"));
  g_clear_error (&error);

  /* A locked key sends nothing. */
  clave_device_key_lock (key);
  fixture->n_requests = 0;
  script (fixture, 200, my_data_json);
  my_data = get_my_data (fixture, key, FALSE, &error);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_LOCKED);
  g_assert_null (my_data);
  g_assert_cmpuint (fixture->n_requests, ==, 0);

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_deactivate (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = unlocked_key ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  script (fixture, 200, "{\"deactivated\": true}");
  clave_service_client_deactivate_async (fixture->client, key, "dev_42", NULL,
                                         client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_true (clave_service_client_deactivate_finish (fixture->client, result, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fixture->method, ==, "DELETE");
  g_assert_cmpstr (fixture->path, ==, CLAVE_PATH_DEVICE);
  assert_signed_request (fixture, key, "dev_42");

  g_clear_object (&result);
  script (fixture, 200, "{\"deactivated\": \"yes\"}");
  clave_service_client_deactivate_async (fixture->client, key, "dev_42", NULL,
                                         client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_false (clave_service_client_deactivate_finish (fixture->client, result, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL);

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_invalid_base_url (void)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(ClaveServiceClient) client = clave_service_client_new (session, "http://127.0.0.1:1");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  clave_service_client_identify_async (client, "12345678Z", "validity_date", "2031-05-04",
                                       NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_false (clave_service_client_identify_finish (client, result, NULL, NULL, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "https://"));
}

static void
test_network_down (void)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u", client_test_closed_port ());
  g_autoptr(ClaveServiceClient) client = clave_service_client_new (session, url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  clave_service_client_identify_async (client, "12345678Z", "validity_date", "2031-05-04",
                                       NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_false (clave_service_client_identify_finish (client, result, NULL, NULL, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK);
  g_assert_cmpstr (error->message, ==,
                   "Cannot reach the Cl@ve service. Check your connection and try again.");
}

static void
test_untrusted_certificate (Fixture       *fixture,
                            gconstpointer  data)
{
  /* The system's trust store does not know the test CA. */
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(ClaveServiceClient) client = clave_service_client_new (session, fixture->base_url);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  clave_service_client_identify_async (client, "12345678Z", "validity_date", "2031-05-04",
                                       NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_false (clave_service_client_identify_finish (client, result, NULL, NULL, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "not trusted"));
  g_assert_cmpuint (fixture->n_requests, ==, 0);
}

static void
test_cancelled (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean registered = TRUE;

  script (fixture, 200, "{\"registered\": false}");
  clave_service_client_identify_async (fixture->client, "12345678Z", "validity_date",
                                       "2031-05-04", cancellable, client_test_store_result,
                                       &result);
  g_cancellable_cancel (cancellable);
  client_test_wait_result (&result);
  g_assert_false (clave_service_client_identify_finish (fixture->client, result, &registered,
                                                        NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (registered);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func, prefix) \
  g_test_add (path, Fixture, prefix, fixture_set_up, func, fixture_tear_down)

  ADD ("/service-client-fake/identify/registered", test_identify_registered, NULL);
  ADD ("/service-client-fake/identify/not-registered", test_identify_not_registered, NULL);
  ADD ("/service-client-fake/identify/malformed", test_identify_malformed, NULL);
  ADD ("/service-client-fake/identify/errors", test_identify_errors, NULL);
  ADD ("/service-client-fake/redirect-is-not-followed", test_redirect_is_not_followed, NULL);
  ADD ("/service-client-fake/sms/send", test_send_sms, NULL);
  ADD ("/service-client-fake/sms/send-errors", test_send_sms_errors, NULL);
  ADD ("/service-client-fake/sms/verify", test_verify_sms, NULL);
  ADD ("/service-client-fake/bad-activation", test_bad_activation, NULL);
  ADD ("/service-client-fake/register-device", test_register_device, NULL);
  ADD ("/service-client-fake/me", test_get_my_data, NULL);
  ADD ("/service-client-fake/me/path-prefix", test_get_my_data, "/clave");
  ADD ("/service-client-fake/me/malformed", test_get_my_data_malformed, NULL);
  ADD ("/service-client-fake/signed-errors", test_signed_errors, NULL);
  ADD ("/service-client-fake/deactivate", test_deactivate, NULL);
  ADD ("/service-client-fake/untrusted-certificate", test_untrusted_certificate, NULL);
  ADD ("/service-client-fake/cancelled", test_cancelled, NULL);
  g_test_add_func ("/service-client-fake/invalid-base-url", test_invalid_base_url);
  g_test_add_func ("/service-client-fake/network-down", test_network_down);

#undef ADD

  return g_test_run ();
}
