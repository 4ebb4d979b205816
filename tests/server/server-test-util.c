/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"
#include "clave-protocol.h"
#include "server-test-util.h"

void
test_response_free (TestResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response->body);
  g_clear_pointer (&response->json, json_node_unref);
  g_clear_object (&response->msg);
  g_free (response);
}

JsonObject *
test_response_object (TestResponse *response)
{
  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;
  return json_node_get_object (response->json);
}

static JsonNode *
member (TestResponse *response,
        const char   *name)
{
  JsonObject *object = test_response_object (response);
  return object != NULL ? json_object_get_member (object, name) : NULL;
}

const char *
test_response_string (TestResponse *response,
                      const char   *name)
{
  JsonNode *node = member (response, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
test_response_int (TestResponse *response,
                   const char   *name)
{
  JsonNode *node = member (response, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_true (json_node_get_value_type (node) == G_TYPE_INT64);
  return json_node_get_int (node);
}

gboolean
test_response_bool (TestResponse *response,
                    const char   *name)
{
  JsonNode *node = member (response, name);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  g_assert_true (json_node_get_value_type (node) == G_TYPE_BOOLEAN);
  return json_node_get_boolean (node);
}

const char *
test_response_header (TestResponse *response,
                      const char   *name)
{
  if (response->msg == NULL)
    return soup_message_headers_get_one (response->headers, name);
  return soup_message_headers_get_one (soup_message_get_response_headers (response->msg), name);
}

char *
test_server_authority (ClaveTestServer *server)
{
  const char *base = clave_test_server_get_base_url (server);

  g_assert_true (g_str_has_prefix (base, "https://"));
  return g_strdup (base + strlen ("https://"));
}

static guint16
server_port (ClaveTestServer *server)
{
  const char *colon = strrchr (clave_test_server_get_base_url (server), ':');
  guint64 port = 0;

  g_assert_nonnull (colon);
  g_assert_true (g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL));
  return (guint16) port;
}

struct _TestTls
{
  int                               fd;
  gnutls_session_t                  session;
  gnutls_certificate_credentials_t  credentials;
  /* Received and not yet read as an answer (answers may come together). */
  GString                          *received;
};

void
test_tls_free (TestTls *tls)
{
  if (tls == NULL)
    return;
  if (tls->session != NULL)
    gnutls_deinit (tls->session);
  if (tls->credentials != NULL)
    gnutls_certificate_free_credentials (tls->credentials);
  if (tls->fd >= 0)
    close (tls->fd);
  g_string_free (tls->received, TRUE);
  g_free (tls);
}

TestTls *
test_tls_open (ClaveTestServer      *server,
               const TestTlsOptions *options,
               int                  *ret)
{
  static const TestTlsOptions defaults = { NULL };
  g_autoptr(TestTls) tls = g_new0 (TestTls, 1);
  struct sockaddr_in address = { .sin_family = AF_INET };
  const char *err_pos = NULL;
  unsigned int status = 0;

  if (options == NULL)
    options = &defaults;
  tls->received = g_string_new (NULL);
  address.sin_port = htons (server_port (server));
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  tls->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (tls->fd, >=, 0);
  if (options->bind_address != NULL)
    {
      struct sockaddr_in source = { .sin_family = AF_INET };

      g_assert_cmpint (inet_pton (AF_INET, options->bind_address, &source.sin_addr), ==, 1);
      g_assert_cmpint (bind (tls->fd, (struct sockaddr *) &source, sizeof source), ==, 0);
    }
  /* Before connect(): the window the client offers is set then. */
  if (options->rcvbuf > 0)
    g_assert_cmpint (setsockopt (tls->fd, SOL_SOCKET, SO_RCVBUF, &options->rcvbuf,
                                 sizeof options->rcvbuf), ==, 0);
  g_assert_cmpint (connect (tls->fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  *ret = 0;
  if (options->tcp_only)
    return g_steal_pointer (&tls);

  g_assert_cmpint (gnutls_certificate_allocate_credentials (&tls->credentials), ==, 0);
  if (!options->no_verify)
    g_assert_cmpint (gnutls_certificate_set_x509_trust_file (tls->credentials,
                                                             clave_test_server_get_ca_file (server),
                                                             GNUTLS_X509_FMT_PEM), ==, 1);
  g_assert_cmpint (gnutls_init (&tls->session, GNUTLS_CLIENT), ==, 0);
  g_assert_cmpint (gnutls_priority_set_direct (tls->session,
                                               options->priority != NULL ? options->priority
                                                                         : "NORMAL",
                                               &err_pos), ==, 0);
  g_assert_cmpint (gnutls_credentials_set (tls->session, GNUTLS_CRD_CERTIFICATE,
                                           tls->credentials), ==, 0);
  if (!options->no_verify)
    gnutls_session_set_verify_cert (tls->session, "127.0.0.1", 0);
  gnutls_transport_set_int (tls->session, tls->fd);
  gnutls_handshake_set_timeout (tls->session, 20 * 1000);
  gnutls_record_set_timeout (tls->session, 30 * 1000);

  if (options->hello_only)
    {
      /* The first step of the handshake writes the ClientHello, then
       * would wait for the server's answer. */
      g_assert_cmpint (fcntl (tls->fd, F_SETFL, fcntl (tls->fd, F_GETFL) | O_NONBLOCK), ==, 0);
      *ret = gnutls_handshake (tls->session);
      return g_steal_pointer (&tls);
    }

  do
    *ret = gnutls_handshake (tls->session);
  while (*ret < 0 && gnutls_error_is_fatal (*ret) == 0);

  if (*ret == 0 && !options->no_verify)
    {
      /* The handshake verified the chain; say so if it did not. */
      status = gnutls_session_get_verify_cert_status (tls->session);
      g_assert_cmpuint (status, ==, 0);
    }
  return g_steal_pointer (&tls);
}

static ssize_t
hello_push (gnutls_transport_ptr_t  ptr,
            const void             *data,
            size_t                  len)
{
  g_byte_array_append (ptr, data, (guint) len);
  return (ssize_t) len;
}

static ssize_t
hello_pull (gnutls_transport_ptr_t  ptr,
            void                   *data,
            size_t                  len)
{
  errno = EAGAIN;
  return -1;
}

static int
hello_pull_timeout (gnutls_transport_ptr_t ptr,
                    unsigned int           ms)
{
  return 0;
}

GBytes *
test_tls_client_hello (const char *priority)
{
  gnutls_certificate_credentials_t credentials = NULL;
  gnutls_session_t session = NULL;
  GByteArray *hello = g_byte_array_new ();
  const char *err_pos = NULL;

  g_assert_cmpint (gnutls_certificate_allocate_credentials (&credentials), ==, 0);
  g_assert_cmpint (gnutls_init (&session, GNUTLS_CLIENT | GNUTLS_NONBLOCK), ==, 0);
  g_assert_cmpint (gnutls_priority_set_direct (session, priority != NULL ? priority : "NORMAL",
                                               &err_pos), ==, 0);
  g_assert_cmpint (gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, credentials), ==, 0);
  gnutls_transport_set_ptr (session, hello);
  gnutls_transport_set_push_function (session, hello_push);
  gnutls_transport_set_pull_function (session, hello_pull);
  gnutls_transport_set_pull_timeout_function (session, hello_pull_timeout);
  g_assert_cmpint (gnutls_handshake (session), ==, GNUTLS_E_AGAIN);
  g_assert_cmpuint (hello->len, >, 5);
  g_assert_cmpuint (hello->data[0], ==, 22);

  gnutls_deinit (session);
  gnutls_certificate_free_credentials (credentials);
  return g_byte_array_free_to_bytes (hello);
}

int
test_tls_handshake (ClaveTestServer   *server,
                    const char        *priority,
                    gnutls_protocol_t *version)
{
  TestTlsOptions options = { .priority = priority };
  g_autoptr(TestTls) tls = NULL;
  int ret = 0;

  tls = test_tls_open (server, &options, &ret);
  if (ret == 0 && version != NULL)
    *version = gnutls_protocol_get_version (tls->session);
  if (ret == 0)
    gnutls_bye (tls->session, GNUTLS_SHUT_WR);
  else
    g_test_message ("TLS handshake with %s failed: %s", priority, gnutls_strerror (ret));
  return ret;
}

gboolean
test_tls_send (TestTls    *tls,
               const char *data,
               gsize       len)
{
  gsize sent = 0;

  while (sent < len)
    {
      ssize_t n = tls->session != NULL ? gnutls_record_send (tls->session, data + sent, len - sent)
                                       : send (tls->fd, data + sent, len - sent, MSG_NOSIGNAL);

      if (tls->session != NULL && (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED))
        continue;
      if (n <= 0)
        return FALSE;
      sent += (gsize) n;
    }
  return TRUE;
}

guint
test_tls_send_until_stalled (TestTls    *tls,
                             const char *data,
                             gsize       len,
                             guint       stall_ms)
{
  gsize sent = 0;
  guint copies = 0;

  g_assert_nonnull (tls->session);
  g_assert_cmpint (fcntl (tls->fd, F_SETFL, fcntl (tls->fd, F_GETFL) | O_NONBLOCK), ==, 0);
  for (;;)
    {
      /* After GNUTLS_E_AGAIN, GnuTLS wants the same call again. */
      ssize_t n = gnutls_record_send (tls->session, data + sent, len - sent);

      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        {
          struct pollfd pfd = { .fd = tls->fd, .events = POLLOUT };

          if (poll (&pfd, 1, (int) stall_ms) == 0)
            return copies;
          continue;
        }
      /* The server may give up on the client first (--send-timeout):
       * that is a stall too. */
      if (n < 0)
        return copies;
      sent += (gsize) n;
      if (sent == len)
        {
          sent = 0;
          copies++;
        }
    }
}

/* Appends what comes within @timeout_ms to tls->received: 1 when
 * something came, 0 when the server closed the connection (or reset it),
 * -1 when the time ran out. */
static int
tls_receive (TestTls *tls,
             guint    timeout_ms)
{
  char buffer[16384];
  ssize_t n;

  if (tls->session != NULL)
    {
      gnutls_record_set_timeout (tls->session, MAX (timeout_ms, 1));
      do
        n = gnutls_record_recv (tls->session, buffer, sizeof buffer);
      while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
      if (n == GNUTLS_E_TIMEDOUT)
        return -1;
    }
  else
    {
      struct pollfd pfd = { .fd = tls->fd, .events = POLLIN };

      if (poll (&pfd, 1, (int) timeout_ms) == 0)
        return -1;
      n = recv (tls->fd, buffer, sizeof buffer, 0);
    }

  if (n <= 0)
    return 0;
  g_string_append_len (tls->received, buffer, n);
  return 1;
}

/* An answer as it came over the wire. */
static TestResponse *
response_from_text (const char *text,
                    gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *end_of_headers;
  guint64 status = 0;
  TestResponse *response;

  /* libsoup answers what it cannot parse as HTTP/1.0. */
  g_assert_true (g_str_has_prefix (text, "HTTP/1.1 ") || g_str_has_prefix (text, "HTTP/1.0 "));
  status = g_ascii_strtoull (text + strlen ("HTTP/1.1 "), NULL, 10);
  g_assert_cmpuint (status, >=, 100);
  g_assert_cmpuint (status, <=, 599);
  end_of_headers = strstr (text, "\r\n\r\n");
  g_assert_nonnull (end_of_headers);

  response = g_new0 (TestResponse, 1);
  response->status = (guint) status;
  response->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_assert_true (soup_headers_parse_response (text, (int) (end_of_headers + 4 - text),
                                              response->headers, NULL, NULL, NULL));
  response->body_len = len - (gsize) (end_of_headers + 4 - text);
  response->body = g_malloc0 (response->body_len + 1);
  memcpy (response->body, end_of_headers + 4, response->body_len);
  if (*response->body != '\0' && json_parser_load_from_data (parser, response->body, -1, NULL))
    response->json = json_node_copy (json_parser_get_root (parser));
  return response;
}

TestResponse *
test_tls_read_response (TestTls *tls,
                        guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  const char *end_of_headers;
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  gsize head_len, total;
  TestResponse *response;

  while ((end_of_headers = strstr (tls->received->str, "\r\n\r\n")) == NULL)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;

      if (left <= 0 || tls_receive (tls, (guint) left) <= 0)
        return NULL;
    }

  head_len = (gsize) (end_of_headers + 4 - tls->received->str);
  g_assert_true (soup_headers_parse_response (tls->received->str, (int) head_len, headers, NULL,
                                              NULL, NULL));
  g_assert_cmpint (soup_message_headers_get_encoding (headers), ==, SOUP_ENCODING_CONTENT_LENGTH);
  total = head_len + (gsize) soup_message_headers_get_content_length (headers);
  while (tls->received->len < total)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;

      if (left <= 0 || tls_receive (tls, (guint) left) <= 0)
        return NULL;
    }

  response = response_from_text (tls->received->str, total);
  g_string_erase (tls->received, 0, (gssize) total);
  return response;
}

gboolean
test_tls_wait_closed (TestTls *tls,
                      guint    timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      int got;

      if (left <= 0)
        return FALSE;
      got = tls_receive (tls, (guint) left);
      if (got == 0)
        return TRUE;
      if (got < 0)
        return FALSE;
    }
}

gboolean
test_tls_wait_for (TestTls    *tls,
                   const char *text,
                   guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  const char *found, *end;

  while ((found = strstr (tls->received->str, text)) == NULL ||
         (end = strstr (found, "\r\n\r\n")) == NULL)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;

      if (left <= 0 || tls_receive (tls, (guint) left) <= 0)
        return FALSE;
    }
  g_string_erase (tls->received, 0, end + 4 - tls->received->str);
  return TRUE;
}

void
test_tls_close (TestTls  *tls,
                gboolean  bye)
{
  if (bye && tls->session != NULL)
    gnutls_bye (tls->session, GNUTLS_SHUT_WR);
  close (tls->fd);
  tls->fd = -1;
}

TestResponse *
test_raw_request (ClaveTestServer *server,
                  const char      *request)
{
  g_autoptr(TestTls) tls = NULL;
  int ret = 0;

  tls = test_tls_open (server, NULL, &ret);
  g_assert_cmpint (ret, ==, 0);
  g_assert_true (test_tls_send (tls, request, strlen (request)));

  /* Up to the end of the connection (the server may close without a
   * close_notify). */
  while (tls_receive (tls, 30 * 1000) > 0)
    ;
  return response_from_text (tls->received->str, tls->received->len);
}

SoupSession *
test_session_new_from (ClaveTestServer *server,
                       const char      *local_address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  database = g_tls_file_database_new (clave_test_server_get_ca_file (server), &error);
  g_assert_no_error (error);
  if (local_address != NULL)
    {
      local = g_inet_socket_address_new_from_string (local_address, 0);
      g_assert_nonnull (local);
    }

  return g_object_new (SOUP_TYPE_SESSION,
                       "tls-database", database,
                       "timeout", 30,
                       "user-agent", "clave-server-tests",
                       "local-address", local,
                       NULL);
}

SoupSession *
test_session_new (ClaveTestServer *server)
{
  return test_session_new_from (server, NULL);
}

TestResponse *
test_request (SoupSession       *session,
              const char        *base_url,
              const char        *method,
              const char        *path,
              const char        *content_type,
              const char        *body,
              gssize             len,
              gboolean           chunked,
              const char *const *headers)
{
  g_autofree char *uri = g_strconcat (base_url, path, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  TestResponse *response = g_new0 (TestResponse, 1);
  gsize answer_len = 0;
  const char *data;

  response->msg = soup_message_new (method, uri);
  g_assert_nonnull (response->msg);

  if (body != NULL)
    {
      gsize size = len < 0 ? strlen (body) : (gsize) len;

      if (chunked)
        {
          g_autoptr(GInputStream) stream =
            g_memory_input_stream_new_from_data (g_memdup2 (body, size), (gssize) size, g_free);
          soup_message_set_request_body (response->msg, content_type, stream, -1);
        }
      else
        {
          g_autoptr(GBytes) bytes = g_bytes_new (body, size);
          soup_message_set_request_body_from_bytes (response->msg, content_type, bytes);
        }
    }

  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (response->msg),
                                  headers[i], headers[i + 1]);

  answer = soup_session_send_and_read (session, response->msg, NULL, &error);
  g_assert_no_error (error);

  response->status = soup_message_get_status (response->msg);
  data = g_bytes_get_data (answer, &answer_len);
  /* Binary bodies (a DER CRL) whole, with a NUL after them. */
  response->body = g_malloc0 (answer_len + 1);
  if (answer_len > 0)
    memcpy (response->body, data, answer_len);
  response->body_len = answer_len;
  if (answer_len > 0 && json_parser_load_from_data (parser, response->body, -1, NULL))
    response->json = json_node_copy (json_parser_get_root (parser));

  return response;
}

TestResponse *
test_post_json (SoupSession *session,
                const char  *base_url,
                const char  *path,
                const char  *json,
                const char  *bearer)
{
  g_autofree char *authorization = bearer != NULL ? g_strconcat ("Bearer ", bearer, NULL) : NULL;
  const char *headers[] = { "Authorization", authorization, NULL };

  return test_request (session, base_url, "POST", path, "application/json", json, -1, FALSE,
                       authorization != NULL ? headers : NULL);
}

TestDevice *
test_device_new (void)
{
  g_autoptr(GError) error = NULL;
  TestDevice *device = g_new0 (TestDevice, 1);

  device->key = clave_ec_key_generate (&error);
  g_assert_no_error (error);
  g_assert_nonnull (device->key);
  return device;
}

void
test_device_free (TestDevice *device)
{
  if (device == NULL)
    return;
  g_clear_pointer (&device->key, gnutls_privkey_deinit);
  g_free (device->device_id);
  g_free (device);
}

char *
test_device_public_key (TestDevice *device)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = clave_privkey_export_spki (device->key, &error);
  gsize len = 0;
  const guint8 *data;

  g_assert_no_error (error);
  data = g_bytes_get_data (spki, &len);
  return clave_base64url_encode (data, len);
}

char *
test_device_proof (TestDevice *device,
                   const char *activation_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = clave_registration_proof_data (activation_id);
  g_autoptr(GBytes) signature = clave_ecdsa_sign (device->key, data, &error);
  gsize len = 0;
  const guint8 *raw;

  g_assert_no_error (error);
  raw = g_bytes_get_data (signature, &len);
  g_assert_cmpuint (len, ==, 64);
  return clave_base64url_encode (raw, len);
}

static GBytes *
sign_with_device (GBytes    *base,
                  gpointer   user_data,
                  GError   **error)
{
  TestDevice *device = user_data;
  return clave_ecdsa_sign (device->key, base, error);
}

ClaveHttpSigHeaders *
test_device_sign (TestDevice *device,
                  const char *method,
                  const char *target_uri,
                  const char *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;
  g_autofree char *nonce = clave_random_token (16);
  ClaveHttpSigHeaders *headers;

  headers = clave_http_sig_sign (method, target_uri, bytes, device->device_id,
                                 g_get_real_time () / G_USEC_PER_SEC, nonce, sign_with_device,
                                 device, &error);
  g_assert_no_error (error);
  return headers;
}

TestResponse *
test_device_request (SoupSession           *session,
                     const char            *base_url,
                     TestDevice            *device,
                     const char            *method,
                     const char            *path,
                     const char            *body,
                     const TestSignOptions *options)
{
  static const TestSignOptions defaults = { NULL };
  g_autoptr(ClaveHttpSigHeaders) sig = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signed_body = NULL;
  g_autofree char *target_uri = NULL;
  g_autofree char *nonce = NULL;
  const char *headers[8] = { NULL };
  const char *signed_body_text;
  guint n = 0;

  if (options == NULL)
    options = &defaults;

  signed_body_text = options->signed_body != NULL ? options->signed_body : body;
  if (signed_body_text != NULL)
    signed_body = g_bytes_new (signed_body_text, strlen (signed_body_text));
  target_uri = g_strconcat (options->signed_base != NULL ? options->signed_base : base_url,
                            options->signed_path != NULL ? options->signed_path : path, NULL);
  nonce = options->nonce != NULL ? g_strdup (options->nonce) : clave_random_token (16);

  sig = clave_http_sig_sign (method, target_uri, signed_body,
                             options->keyid != NULL ? options->keyid : device->device_id,
                             g_get_real_time () / G_USEC_PER_SEC + options->created_offset,
                             nonce, sign_with_device,
                             options->signer != NULL ? options->signer : device, &error);
  g_assert_no_error (error);
  if (options->has_expires)
    {
      /* clave_http_sig_sign() has no expires: sign the longer parameters
       * here. */
      g_autofree char *params = clave_http_sig_params (
        g_get_real_time () / G_USEC_PER_SEC + options->created_offset, nonce,
        options->keyid != NULL ? options->keyid : device->device_id);
      g_autofree char *with_expires = g_strdup_printf (
        "%s;expires=%" G_GINT64_FORMAT, params,
        g_get_real_time () / G_USEC_PER_SEC + options->expires_offset);
      g_autofree char *base = clave_http_sig_base (method, target_uri, sig->content_digest,
                                                   with_expires);
      g_autoptr(GBytes) base_bytes = g_bytes_new (base, strlen (base));
      g_autoptr(GBytes) raw = sign_with_device (base_bytes,
                                                options->signer != NULL ? options->signer
                                                                        : device, &error);
      g_autofree char *raw_b64 = NULL;

      g_assert_no_error (error);
      raw_b64 = g_base64_encode (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
      g_free (sig->signature_input);
      sig->signature_input = g_strconcat (CLAVE_HTTP_SIG_LABEL "=", with_expires, NULL);
      g_free (sig->signature);
      sig->signature = g_strdup_printf (CLAVE_HTTP_SIG_LABEL "=:%s:", raw_b64);
    }

  if (!options->no_digest)
    {
      headers[n++] = "Content-Digest";
      headers[n++] = sig->content_digest;
    }
  if (!options->no_signature)
    {
      headers[n++] = "Signature-Input";
      headers[n++] = sig->signature_input;
      headers[n++] = "Signature";
      headers[n++] = sig->signature;
    }

  return test_request (session, base_url, method, path,
                       body != NULL ? "application/json" : NULL, body, -1, FALSE, headers);
}

void
test_activation_free (TestActivation *activation)
{
  if (activation == NULL)
    return;
  g_free (activation->id);
  g_free (activation->token);
  g_free (activation);
}

TestResponse *
test_identify (SoupSession *session,
               const char  *base_url,
               const char  *document,
               const char  *kind,
               const char  *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "document");
  json_builder_add_string_value (builder, document);
  json_builder_set_member_name (builder, "contrast");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, kind);
  json_builder_set_member_name (builder, "value");
  json_builder_add_string_value (builder, value);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);

  return test_post_json (session, base_url, CLAVE_PATH_IDENTIFY, json, NULL);
}

TestActivation *
test_start_activation (SoupSession *session,
                       const char  *base_url,
                       const char  *document,
                       const char  *kind,
                       const char  *value)
{
  g_autoptr(TestResponse) response = test_identify (session, base_url, document, kind, value);
  TestActivation *activation;
  JsonObject *object;

  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (response, "registered"));
  object = json_object_get_object_member (test_response_object (response), "activation");
  g_assert_nonnull (object);
  g_assert_cmpint (json_object_get_int_member (object, "expires_in"), ==,
                   CLAVE_ACTIVATION_TTL_SECS);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "phone_hint"),
                                   "******"));

  activation = g_new0 (TestActivation, 1);
  activation->id = g_strdup (json_object_get_string_member (object, "id"));
  activation->token = g_strdup (json_object_get_string_member (object, "token"));
  g_assert_true (g_str_has_prefix (activation->id, "act_"));
  g_assert_cmpuint (strlen (activation->token), >=, 32);
  return activation;
}

static char *
activation_path (TestActivation *activation,
                 const char     *step)
{
  return g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id, step, NULL);
}

TestResponse *
test_send_sms (SoupSession    *session,
               const char     *base_url,
               TestActivation *activation)
{
  g_autofree char *path = activation_path (activation, "/sms");
  return test_post_json (session, base_url, path, "{}", activation->token);
}

TestResponse *
test_verify_code (SoupSession    *session,
                  const char     *base_url,
                  TestActivation *activation,
                  const char     *code)
{
  g_autofree char *path = activation_path (activation, "/sms/verify");
  g_autofree char *json = g_strdup_printf ("{\"code\": \"%s\"}", code);
  return test_post_json (session, base_url, path, json, activation->token);
}

TestResponse *
test_register_device (SoupSession    *session,
                      const char     *base_url,
                      TestActivation *activation,
                      const char     *public_key,
                      const char     *proof,
                      const char     *name)
{
  g_autofree char *path = activation_path (activation, "/device");
  g_autofree char *json = g_strdup_printf ("{\"public_key\": \"%s\", \"proof\": \"%s\", "
                                           "\"name\": \"%s\"}", public_key, proof, name);
  return test_post_json (session, base_url, path, json, activation->token);
}

void
test_activate_device (ClaveTestServer *server,
                      SoupSession     *session,
                      TestDevice      *device,
                      const char      *document,
                      const char      *kind,
                      const char      *value,
                      const char      *phone)
{
  const char *base_url = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autoptr(TestResponse) verified = NULL;
  g_autoptr(TestResponse) registered = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *public_key = NULL;
  g_autofree char *proof = NULL;

  activation = test_start_activation (session, base_url, document, kind, value);
  sms = test_send_sms (session, base_url, activation);
  test_assert_status (sms, SOUP_STATUS_OK);

  code = clave_test_server_last_sms_code (server, phone, &error);
  g_assert_no_error (error);

  verified = test_verify_code (session, base_url, activation, code);
  test_assert_status (verified, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (verified, "verified"));

  public_key = test_device_public_key (device);
  proof = test_device_proof (device, activation->id);
  registered = test_register_device (session, base_url, activation, public_key, proof,
                                     "Clave Desktop test device");
  test_assert_status (registered, SOUP_STATUS_CREATED);

  g_free (device->device_id);
  device->device_id = g_strdup (test_response_string (registered, "device_id"));
  g_assert_nonnull (device->device_id);
  g_assert_true (g_str_has_prefix (device->device_id, "dev_"));
}

char *
test_server_run_once (GSubprocessLauncher *launcher,
                      const char          *state_dir,
                      const char *const   *args,
                      gboolean             expect_listening)
{
  g_autoptr(GSubprocessLauncher) plain = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  char *err = NULL;

  g_assert_nonnull (g_getenv ("CLAVE_SERVER"));
  g_ptr_array_add (argv, (gpointer) g_getenv ("CLAVE_SERVER"));
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, (gpointer) state_dir);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  if (launcher == NULL)
    launcher = plain = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                  G_SUBPROCESS_FLAGS_STDERR_PIPE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (expect_listening)
    {
      g_assert_nonnull (line);
      g_assert_true (g_str_has_prefix (line, "clave-server listening on https://127.0.0.1:"));
      g_subprocess_send_signal (process, SIGTERM);
    }
  else
    g_assert_null (line);

  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, expect_listening ? 0 : 1);
  return err;
}

ClaveTestServer *
test_server_start (const char *const *extra_args)
{
  g_autoptr(GError) error = NULL;
  ClaveTestServer *server = clave_test_server_start (extra_args, &error);

  g_assert_no_error (error);
  g_assert_nonnull (server);
  return server;
}

/* Cl@ve Móvil ------------------------------------------------------------ */

char *
test_add_rp (ClaveTestServer  *server,
             const char       *name,
             const char       *origin,
             char            **key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = clave_test_server_admin (server, &error, "add-rp", "--name", name,
                                                  "--origin", origin, NULL);
  g_auto(GStrv) lines = NULL;

  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "rp_id: rp_"));
  g_assert_true (g_str_has_prefix (lines[1], "api_key: ck_"));
  *key = g_strdup (lines[1] + strlen ("api_key: "));
  return g_strdup (lines[0] + strlen ("rp_id: "));
}

void
test_mobile_device_free (TestMobileDevice *device)
{
  if (device == NULL)
    return;
  test_device_free (device->device);
  test_device_free (device->push);
  g_free (device);
}

TestMobileDevice *
test_mobile_device_activate (ClaveTestServer *server,
                             SoupSession     *session,
                             const char      *document,
                             const char      *kind,
                             const char      *value,
                             const char      *phone)
{
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autoptr(TestResponse) verified = NULL;
  g_autoptr(TestResponse) registered = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *public_key = NULL;
  g_autofree char *push_key = NULL;
  g_autofree char *proof = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  TestMobileDevice *device = g_new0 (TestMobileDevice, 1);

  device->device = test_device_new ();
  device->push = test_device_new ();

  activation = test_start_activation (session, base, document, kind, value);
  sms = test_send_sms (session, base, activation);
  test_assert_status (sms, SOUP_STATUS_OK);
  code = clave_test_server_last_sms_code (server, phone, &error);
  g_assert_no_error (error);
  verified = test_verify_code (session, base, activation, code);
  test_assert_status (verified, SOUP_STATUS_OK);

  public_key = test_device_public_key (device->device);
  push_key = test_device_public_key (device->push);
  proof = test_device_proof (device->device, activation->id);
  body = g_strdup_printf ("{\"public_key\":\"%s\",\"proof\":\"%s\",\"name\":\"test\","
                          "\"push_key\":\"%s\"}", public_key, proof, push_key);
  path = g_strdup_printf ("/v1/activations/%s/device", activation->id);
  registered = test_post_json (session, base, path, body, activation->token);
  test_assert_status (registered, SOUP_STATUS_CREATED);
  device->device->device_id = g_strdup (test_response_string (registered, "device_id"));
  device->push->device_id = g_strconcat (device->device->device_id, CLAVE_PUSH_KEYID_SUFFIX, NULL);
  return device;
}

void
test_iterate_once (void)
{
  if (!g_main_context_iteration (NULL, FALSE))
    g_usleep (500);
}

gboolean
test_iterate_until (gboolean *flag,
                    guint     timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!*flag && g_get_monotonic_time () < end)
    test_iterate_once ();
  return *flag;
}

static void
push_on_message (SoupWebsocketConnection *conn,
                 SoupWebsocketDataType    type,
                 GBytes                  *message,
                 gpointer                 user_data)
{
  TestPushChannel *channel = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  JsonNode *node;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  g_queue_push_tail (&channel->events, node);
}

static void
push_on_closed (SoupWebsocketConnection *conn,
                gpointer                 user_data)
{
  ((TestPushChannel *) user_data)->closed = TRUE;
}

static void
push_connected_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TestPushChannel *channel = user_data;

  channel->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                         &channel->error);
  channel->done = TRUE;
}

TestPushChannel *
test_push_channel_open (ClaveTestServer *server,
                        SoupSession     *session,
                        TestDevice      *signer,
                        guint           *status)
{
  g_autofree char *uri = g_strconcat (clave_test_server_get_base_url (server),
                                      CLAVE_PATH_DEVICE_PUSH, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr(ClaveHttpSigHeaders) sig = test_device_sign (signer, "GET", uri, "");
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  TestPushChannel *channel = g_new0 (TestPushChannel, 1);

  soup_message_headers_replace (headers, "Content-Digest", sig->content_digest);
  soup_message_headers_replace (headers, "Signature-Input", sig->signature_input);
  soup_message_headers_replace (headers, "Signature", sig->signature);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        push_connected_cb, channel);
  g_assert_true (test_iterate_until (&channel->done, 10000));
  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (channel->conn != NULL)
    {
      g_signal_connect (channel->conn, "message", G_CALLBACK (push_on_message), channel);
      g_signal_connect (channel->conn, "closed", G_CALLBACK (push_on_closed), channel);
    }
  return channel;
}

void
test_push_channel_free (TestPushChannel *channel)
{
  if (channel == NULL)
    return;
  if (channel->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (channel->conn, channel);
      if (soup_websocket_connection_get_state (channel->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (channel->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (channel->conn);
    }
  g_queue_clear_full (&channel->events, (GDestroyNotify) json_node_unref);
  g_clear_pointer (&channel->last, json_node_unref);
  g_clear_error (&channel->error);
  g_free (channel);
}

JsonObject *
test_push_channel_next (TestPushChannel *channel,
                        guint            timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_queue_is_empty (&channel->events) && g_get_monotonic_time () < end)
    test_iterate_once ();
  if (g_queue_is_empty (&channel->events))
    return NULL;
  g_clear_pointer (&channel->last, json_node_unref);
  channel->last = g_queue_pop_head (&channel->events);
  return json_node_get_object (channel->last);
}

char *
test_server_db_path (ClaveTestServer *server)
{
  return g_build_filename (clave_test_server_get_state_dir (server), "clave.db", NULL);
}

sqlite3 *
test_db_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  return db;
}

void
test_db_exec (const char *path,
              const char *sql)
{
  sqlite3 *db = test_db_open (path);
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

