/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "clave-protocol.h"
#include "server-test-util.h"

/* Benchmarks of the service on loopback (meson benchmark):
 * - confirmations per second against clave-server over HTTPS, one client
 *   on one keep-alive TLS connection, each request signed by the device
 *   key; and, in the same run, the same signed POSTs against a bare
 *   libsoup HTTPS handler (same certificate, answers 200 {}), for the
 *   ratio. The client is a minimal HTTP/1.1 writer over GIO's TLS (one
 *   write per request): libsoup's synchronous client, used by the tests,
 *   costs several times what the service does and would hide it;
 * - push latency: from the relying party's create call to the device's
 *   WebSocket receiving the event, p50/p95 over 100 requests.
 * CLAVE_BENCH_N sets the number of confirmations (default 2000). */

#define LATENCY_SAMPLES 100

typedef struct {
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *soup;
  char         *base;
  GMutex        lock;
  GCond         ready;
  const char   *cert_file;
  const char   *key_file;
} Bare;

/* As clave-server does for its sockets (on_request_started). */
static void
bare_started (SoupServer        *soup,
              SoupServerMessage *msg,
              gpointer           user_data)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

/* The client too: a request is written in pieces as well. */
static void
client_network_event (SoupMessage        *msg,
                      GSocketClientEvent  event,
                      GIOStream          *connection,
                      gpointer            user_data)
{
  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)),
                         IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static void
client_request_queued (SoupSession *session,
                       SoupMessage *msg,
                       gpointer     user_data)
{
  g_signal_connect (msg, "network-event", G_CALLBACK (client_network_event), NULL);
}

static void
bare_handler (SoupServer        *soup,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

static gpointer
bare_thread (gpointer user_data)
{
  Bare *bare = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GInetAddress) inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, 0);
  GSList *uris;

  g_main_context_push_thread_default (bare->context);
  certificate = g_tls_certificate_new_from_files (bare->cert_file, bare->key_file, &error);
  g_assert_no_error (error);
  bare->soup = g_object_new (SOUP_TYPE_SERVER, "tls-certificate", certificate, NULL);
  soup_server_add_handler (bare->soup, NULL, bare_handler, NULL, NULL);
  g_signal_connect (bare->soup, "request-started", G_CALLBACK (bare_started), NULL);
  soup_server_listen (bare->soup, address, SOUP_SERVER_LISTEN_HTTPS, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (bare->soup);
  g_mutex_lock (&bare->lock);
  bare->base = g_strdup_printf ("https://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_cond_signal (&bare->ready);
  g_mutex_unlock (&bare->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (bare->loop);
  soup_server_disconnect (bare->soup);
  g_clear_object (&bare->soup);
  g_main_context_pop_thread_default (bare->context);
  return NULL;
}


/* A minimal keep-alive HTTP/1.1 client over TLS. */
typedef struct {
  GSocketClient    *client;
  GIOStream        *conn;
  GDataInputStream *in;
  GTlsDatabase     *database;
  char             *authority;   /* "127.0.0.1:PORT" */
} RawClient;

static void
raw_event (GSocketClient      *client,
           GSocketClientEvent  event,
           GSocketConnectable *connectable,
           GIOStream          *connection,
           gpointer            user_data)
{
  RawClient *raw = user_data;

  if (event == G_SOCKET_CLIENT_CONNECTED && G_IS_SOCKET_CONNECTION (connection))
    g_socket_set_option (g_socket_connection_get_socket (G_SOCKET_CONNECTION (connection)),
                         IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  else if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection), raw->database);
}

static RawClient *
raw_connect (const char *base,
             const char *ca_file)
{
  g_autoptr(GError) error = NULL;
  RawClient *raw = g_new0 (RawClient, 1);

  g_assert_true (g_str_has_prefix (base, "https://"));
  raw->authority = g_strdup (base + strlen ("https://"));
  raw->database = g_tls_file_database_new (ca_file, &error);
  g_assert_no_error (error);
  raw->client = g_socket_client_new ();
  g_socket_client_set_tls (raw->client, TRUE);
  g_signal_connect (raw->client, "event", G_CALLBACK (raw_event), raw);
  raw->conn = G_IO_STREAM (g_socket_client_connect_to_host (raw->client, raw->authority, 443,
                                                            NULL, &error));
  g_assert_no_error (error);
  raw->in = g_data_input_stream_new (g_io_stream_get_input_stream (raw->conn));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (raw->in), FALSE);
  return raw;
}

static void
raw_free (RawClient *raw)
{
  g_clear_object (&raw->in);
  g_io_stream_close (raw->conn, NULL, NULL);
  g_clear_object (&raw->conn);
  g_clear_object (&raw->client);
  g_clear_object (&raw->database);
  g_free (raw->authority);
  g_free (raw);
}

/* POSTs {} to @path signed by @device; the status. */
static guint
raw_post (RawClient  *raw,
          TestDevice *device,
          const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *target = g_strconcat ("https://", raw->authority, path, NULL);
  g_autoptr(ClaveHttpSigHeaders) sig = test_device_sign (device, "POST", target, "{}");
  g_autofree char *request = NULL;
  g_autofree char *status_line = NULL;
  g_autofree char *body = NULL;
  gsize length = 0, read = 0;
  guint status = 0;

  request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: %s\r\n"
                             "Content-Type: application/json\r\nContent-Length: 2\r\n"
                             "Content-Digest: %s\r\nSignature-Input: %s\r\nSignature: %s\r\n"
                             "\r\n{}", path, raw->authority, sig->content_digest,
                             sig->signature_input, sig->signature);
  g_output_stream_write_all (g_io_stream_get_output_stream (raw->conn), request, strlen (request),
                             NULL, NULL, &error);
  g_assert_no_error (error);

  status_line = g_data_input_stream_read_line (raw->in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (status_line);
  g_assert_cmpint (sscanf (status_line, "HTTP/1.1 %u", &status), ==, 1);
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (raw->in, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_strchomp (line);
      if (*line == '\0')
        break;
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        length = (gsize) g_ascii_strtoull (line + 15, NULL, 10);
    }
  body = g_malloc (length + 1);
  g_input_stream_read_all (G_INPUT_STREAM (raw->in), body, length, &read, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read, ==, length);
  return status;
}

static double
run_confirms (const char   *base,
              const char   *ca_file,
              TestDevice   *device,
              GPtrArray    *ids,
              guint         expected_status)
{
  RawClient *raw = raw_connect (base, ca_file);
  gint64 started = g_get_monotonic_time ();
  double secs;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *path = g_strconcat (CLAVE_PATH_DEVICE_REQUEST_PREFIX,
                                           (const char *) g_ptr_array_index (ids, i),
                                           CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM, NULL);

      g_assert_cmpuint (raw_post (raw, device, path), ==, expected_status);
    }
  secs = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  raw_free (raw);
  return secs;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

#define LUCIA_PUSH "{\"type\":\"push\",\"document\":\"" LUCIA_DOC "\",\"contrast\":" \
                   "{\"kind\":\"validity_date\",\"value\":\"" LUCIA_VALIDITY "\"}}"

static char *
create_push (SoupSession *session,
             const char  *base,
             const char  *key)
{
  g_autoptr(TestResponse) created = test_post_json (session, base, CLAVE_PATH_RP_REQUESTS,
                                                    LUCIA_PUSH, key);

  test_assert_status (created, SOUP_STATUS_CREATED);
  return g_strdup (test_response_string (created, "id"));
}

static void
bench_confirm (void)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupSession) push_session = NULL;
  g_autoptr(TestMobileDevice) lucia = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TestPushChannel) channel = NULL;
  g_autofree char *rp_key = NULL;
  g_autofree char *rp_id = NULL;
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (double));
  const char *n_env = g_getenv ("CLAVE_BENCH_N");
  guint n = n_env != NULL ? (guint) g_ascii_strtoull (n_env, NULL, 10) : 2000;
  ClaveTestServer *server;
  const char *base;
  double clave_secs, bare_secs, p50, p95;
  GThread *thread;
  Bare bare = { NULL };

  g_assert_cmpuint (n, >, 0);
  server = test_server_start (NULL);
  base = clave_test_server_get_base_url (server);
  session = test_session_new (server);
  g_signal_connect (session, "request-queued", G_CALLBACK (client_request_queued), NULL);
  rp_id = test_add_rp (server, "Agencia Tributaria", "https://sede.agenciatributaria.gob.es",
                       &rp_key);
  lucia = test_mobile_device_activate (server, session, LUCIA_DOC, "validity_date",
                                       LUCIA_VALIDITY, LUCIA_PHONE);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (ids, create_push (session, base, rp_key));

  clave_secs = run_confirms (base, clave_test_server_get_ca_file (server), lucia->device, ids,
                             SOUP_STATUS_OK);

  /* The bare handler: same certificate, same client, same signed POSTs. */
  cert_file = g_build_filename (clave_test_server_get_state_dir (server), "tls", "server.pem",
                                NULL);
  key_file = g_build_filename (clave_test_server_get_state_dir (server), "tls",
                               "server-key.pem", NULL);
  bare.cert_file = cert_file;
  bare.key_file = key_file;
  bare.context = g_main_context_new ();
  bare.loop = g_main_loop_new (bare.context, FALSE);
  g_mutex_init (&bare.lock);
  g_cond_init (&bare.ready);
  g_mutex_lock (&bare.lock);
  thread = g_thread_new ("bare-https", bare_thread, &bare);
  while (bare.base == NULL)
    g_cond_wait (&bare.ready, &bare.lock);
  g_mutex_unlock (&bare.lock);

  bare_secs = run_confirms (bare.base, clave_test_server_get_ca_file (server), lucia->device, ids,
                            SOUP_STATUS_OK);

  g_main_loop_quit (bare.loop);
  g_thread_join (thread);
  g_main_loop_unref (bare.loop);
  g_main_context_unref (bare.context);
  g_mutex_clear (&bare.lock);
  g_cond_clear (&bare.ready);
  g_free (bare.base);

  g_test_message ("confirmations: %u in %.2f s: %.0f/s (clave-server, HTTPS, signed)", n,
                  clave_secs, n / clave_secs);
  g_test_message ("bare libsoup HTTPS handler: %u in %.2f s: %.0f/s", n, bare_secs,
                  n / bare_secs);
  g_test_message ("ratio clave-server / bare: %.3f (the bare handler is %.0fx faster; each "
                  "confirmation is two fsync'd SQLite commits: nonce and answer)",
                  bare_secs / clave_secs, clave_secs / bare_secs);

  /* Push latency. */
  push_session = test_session_new (server);
  channel = test_push_channel_open (server, push_session, lucia->push, NULL);
  g_assert_no_error (channel->error);
  for (guint i = 0; i < LATENCY_SAMPLES; i++)
    {
      gint64 started = g_get_monotonic_time ();
      g_autofree char *id = create_push (session, base, rp_key);
      JsonObject *event = test_push_channel_next (channel, 10000);
      double ms = (double) (g_get_monotonic_time () - started) / 1000.0;

      g_assert_nonnull (event);
      g_assert_cmpstr (json_object_get_string_member (event, "event"), ==, "request");
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event,
                                                                                     "request"),
                                                      "id"), ==, id);
      g_array_append_val (latencies, ms);
    }
  g_array_sort (latencies, compare_doubles);
  p50 = g_array_index (latencies, double, LATENCY_SAMPLES / 2);
  p95 = g_array_index (latencies, double, (LATENCY_SAMPLES * 95) / 100);
  g_test_message ("push latency (RP create -> device WebSocket event), %u requests: "
                  "p50 %.1f ms, p95 %.1f ms", LATENCY_SAMPLES, p50, p95);

  g_clear_pointer (&channel, test_push_channel_free);
  g_clear_object (&push_session);
  g_clear_object (&session);
  clave_test_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/confirm", bench_confirm);
  return g_test_run ();
}
