/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-response-cap"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "clave-history-store.h"
#include "clave-protocol.h"
#include "clave-push-channel.h"
#include "clave-push-channel-private.h"
#include "clave-push-key.h"
#include "clave-service-client.h"
#include "clave-service-client-private.h"
#include "client-test-util.h"

/*
 * Answers larger than the client reads (CLAVE_CLIENT_MAX_RESPONSE_BODY,
 * docs/protocol.md): a scripted HTTPS server on loopback streams bodies of
 * a chosen size, with a Content-Length, chunked or gzip-encoded, a chunk
 * at a time and counting what it hands on; the client's metrics say what
 * it read. And push messages over the push channel's cap, in one frame or
 * in fragments.
 */

#define CAP        ((gsize) CLAVE_CLIENT_MAX_RESPONSE_BODY)
#define CHUNK      ((gsize) 64 * 1024)
#define HUGE       ((gsize) 100 * 1000 * 1000)
/* What the client may read past what it asked for: the body bytes that
 * came with the headers, the rest of its last read, chunk framing. */
#define SLACK      ((gsize) 64 * 1024)
/* The push channel's cap (clave-push-channel.c MAX_FRAME_SIZE). */
#define PUSH_CAP   ((gsize) CLAVE_MAX_BODY)

#define IDENTIFY_PREFIX "{\"registered\": false, \"pad\": \""
#define HISTORY_PREFIX \
  "{\"items\": [{\"seq\": 7, \"id\": \"req_old\", \"type\": \"push\", \"organisation\": \"Org\"," \
  " \"origin\": \"https://rp.example\", \"status\": \"confirmed\", \"created_at\": 1764400000," \
  " \"answered_at\": 1764400042}], \"next\": 7, \"more\": false, \"pad\": \""
#define REQUEST_OBJECT(id) \
  "{\"id\": \"" id "\", \"type\": \"push\", \"status\": \"pending\", \"organisation\": \"Org\"," \
  " \"origin\": \"https://rp.example\", \"verification_code\": \"123\"," \
  " \"created_at\": 1764400000, \"expires_at\": 1764400300}"
#define BIG_EVENT_PREFIX \
  "{\"event\": \"request\", \"request\": " REQUEST_OBJECT ("req_big") ", \"pad\": \""
#define SMALL_EVENT \
  "{\"event\": \"request\", \"request\": " REQUEST_OBJECT ("req_small") "}"

typedef enum {
  SEND_LENGTH,
  SEND_CHUNKED,
  SEND_GZIP,        /* gzip-encoded, with the Content-Length of the compressed body */
} SendMode;

typedef enum {
  PUSH_ONE_FRAME,   /* the whole message in one text frame */
  PUSH_FRAGMENTS,   /* in two frames, each under the cap */
} PushMode;

typedef struct {
  /* The scripted answer: @prefix, then 'x', then "\"}" at the end, @total
   * bytes in all (before compression). */
  guint               status;
  const char         *prefix;
  gsize               total;
  SendMode            mode;
  GBytes             *gzipped;

  /* The server's side of the last answer. */
  guint               n_requests;
  gsize               produced;      /* bytes handed to libsoup (compressed ones for gzip) */
  gboolean            finished;

  /* Push: the first connection gets a message of push_total bytes
   * (BIG_EVENT_PREFIX…), the later ones SMALL_EVENT. */
  PushMode            push_mode;
  gsize               push_total;
  GPtrArray          *ws_connections;
  GPtrArray          *requests;      /* ClaveAuthRequestInfo the channel emitted */

  SoupServer         *server;
  char               *dir;
  char               *ca_file;
  char               *base_url;
  SoupSession        *session;
  ClaveServiceClient *client;
  SoupMessage        *last_message;  /* the client's, with metrics */
} Fixture;

/* Bytes @offset to @offset + @len of the scripted body. */
static void
fill_body (const char *prefix,
           gsize       total,
           guint8     *buf,
           gsize       offset,
           gsize       len)
{
  static const char suffix[] = "\"}";
  gsize prefix_len = strlen (prefix);
  gsize suffix_at = total - strlen (suffix);

  g_assert_cmpuint (total, >=, prefix_len + strlen (suffix));
  memset (buf, 'x', len);
  for (gsize at = offset; at < MIN (offset + len, prefix_len); at++)
    buf[at - offset] = (guint8) prefix[at];
  for (gsize at = MAX (offset, suffix_at); at < offset + len; at++)
    buf[at - offset] = (guint8) suffix[at - suffix_at];
}

static GBytes *
make_body (const char *prefix,
           gsize       total)
{
  guint8 *buf = g_malloc (total + 1);

  fill_body (prefix, total, buf, 0, total);
  buf[total] = '\0';
  return g_bytes_new_take (buf, total);
}

static GBytes *
gzip_body (const char *prefix,
           gsize       total)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *in = g_malloc (CHUNK);
  g_autofree guint8 *buf = g_malloc (CHUNK);
  gsize offset = 0;

  for (;;)
    {
      gsize len = MIN (CHUNK, total - offset);
      gboolean last = offset + len == total;
      gsize done = 0;

      fill_body (prefix, total, in, offset, len);
      for (;;)
        {
          g_autoptr(GError) error = NULL;
          gsize bytes_read = 0, bytes_written = 0;
          GConverterResult result;

          result = g_converter_convert (G_CONVERTER (compressor), in + done, len - done,
                                        buf, CHUNK,
                                        last ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS,
                                        &bytes_read, &bytes_written, &error);
          g_assert_no_error (error);
          g_byte_array_append (out, buf, (guint) bytes_written);
          done += bytes_read;
          if (result == G_CONVERTER_FINISHED)
            return g_byte_array_free_to_bytes (g_steal_pointer (&out));
          if (!last && done == len)
            break;
        }
      offset += len;
    }
}

/* HTTP */

static void
write_next_chunk (SoupServerMessage *msg,
                  gpointer           user_data)
{
  Fixture *fixture = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize size = fixture->mode == SEND_GZIP ? g_bytes_get_size (fixture->gzipped) : fixture->total;
  gsize len = MIN (CHUNK, size - fixture->produced);

  if (len == 0)
    {
      soup_message_body_complete (body);
      return;
    }

  if (fixture->mode == SEND_GZIP)
    {
      g_autoptr(GBytes) chunk = g_bytes_new_from_bytes (fixture->gzipped, fixture->produced, len);

      soup_message_body_append_bytes (body, chunk);
    }
  else
    {
      guint8 *buf = g_malloc (len);

      fill_body (fixture->prefix, fixture->total, buf, fixture->produced, len);
      soup_message_body_append_take (body, buf, len);
    }
  fixture->produced += len;
}

static void
on_server_finished (SoupServerMessage *msg,
                    gpointer           user_data)
{
  Fixture *fixture = user_data;

  fixture->finished = TRUE;
  g_main_context_wakeup (NULL);
}

static void
handler (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  Fixture *fixture = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  fixture->n_requests++;
  fixture->produced = 0;
  fixture->finished = FALSE;

  soup_server_message_set_status (msg, fixture->status, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  if (fixture->mode == SEND_CHUNKED)
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  else
    {
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CONTENT_LENGTH);
      soup_message_headers_set_content_length (headers,
                                               fixture->mode == SEND_GZIP
                                               ? (goffset) g_bytes_get_size (fixture->gzipped)
                                               : (goffset) fixture->total);
    }
  if (fixture->mode == SEND_GZIP)
    soup_message_headers_replace (headers, "Content-Encoding", "gzip");

  /* Written a chunk at a time as the connection takes them, and not kept. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (write_next_chunk), fixture);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (write_next_chunk), fixture);
  g_signal_connect (msg, "finished", G_CALLBACK (on_server_finished), fixture);
}

static void
script (Fixture    *fixture,
        guint       status,
        const char *prefix,
        gsize       total,
        SendMode    mode)
{
  fixture->status = status;
  fixture->prefix = prefix;
  fixture->total = total;
  fixture->mode = mode;
  g_clear_pointer (&fixture->gzipped, g_bytes_unref);
  if (mode == SEND_GZIP)
    fixture->gzipped = gzip_body (prefix, total);
}

static void
on_request_queued (SoupSession *session,
                   SoupMessage *msg,
                   gpointer     user_data)
{
  Fixture *fixture = user_data;

  soup_message_add_flags (msg, SOUP_MESSAGE_COLLECT_METRICS);
  g_set_object (&fixture->last_message, msg);
}

/* Body bytes the client took from the connection for its last request. */
static guint64
client_body_bytes (Fixture *fixture)
{
  SoupMessageMetrics *metrics;

  g_assert_nonnull (fixture->last_message);
  metrics = soup_message_get_metrics (fixture->last_message);
  g_assert_nonnull (metrics);
  return soup_message_metrics_get_response_body_bytes_received (metrics);
}

/* The server gives up the answer once the client dropped the connection. */
static void
wait_server_finished (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!fixture->finished)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  GSList *uris;

  fixture->dir = g_dir_make_tmp ("clave-cap-XXXXXX", &error);
  g_assert_no_error (error);
  certificate = client_test_make_tls_certificate (fixture->dir, &fixture->ca_file);

  fixture->server = soup_server_new ("tls-certificate", certificate, NULL);
  soup_server_add_handler (fixture->server, NULL, handler, fixture, NULL);
  soup_server_listen_local (fixture->server, 0, SOUP_SERVER_LISTEN_HTTPS | SOUP_SERVER_LISTEN_IPV4_ONLY,
                            &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (fixture->server);
  g_assert_nonnull (uris);
  fixture->base_url = g_strdup_printf ("https://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  database = g_tls_file_database_new (fixture->ca_file, &error);
  g_assert_no_error (error);
  fixture->session = soup_session_new_with_options ("tls-database", database, "timeout", 30, NULL);
  g_signal_connect (fixture->session, "request-queued", G_CALLBACK (on_request_queued), fixture);
  fixture->client = clave_service_client_new (fixture->session, fixture->base_url);

  fixture->ws_connections = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_auth_request_info_free);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  client_test_assert_finalize (g_steal_pointer (&fixture->client));
  g_clear_object (&fixture->last_message);
  g_signal_handlers_disconnect_by_data (fixture->session, fixture);
  g_clear_object (&fixture->session);
  g_clear_pointer (&fixture->ws_connections, g_ptr_array_unref);
  g_clear_pointer (&fixture->requests, g_ptr_array_unref);
  soup_server_disconnect (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_pointer (&fixture->gzipped, g_bytes_unref);

  dir = g_dir_open (fixture->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->ca_file);
  g_free (fixture->dir);
  g_free (fixture->base_url);
}

/* POST /v1/identify: NULL when it succeeded (and said "not registered"). */
static GError *
identify (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = NULL;
  gboolean registered = TRUE;

  clave_service_client_identify_async (fixture->client, "12345678Z", "validity_date",
                                       "2031-05-04", NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  if (clave_service_client_identify_finish (fixture->client, result, &registered, NULL, &error))
    g_assert_false (registered);
  return error;
}

static void
assert_too_large (GError *error)
{
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL);
  g_assert_cmpstr (error->message, ==,
                   "The Cl@ve service gave an answer larger than Clave Desktop accepts. "
                   "Check the service address or update Clave Desktop.");
}

/* A Content-Length over the cap: refused before any of the body is read. */
static void
test_length_over_cap (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  script (fixture, 200, IDENTIFY_PREFIX, CAP + 1, SEND_LENGTH);
  error = identify (fixture);
  assert_too_large (error);
  g_assert_cmpuint (client_body_bytes (fixture), <=, SLACK);
}

/* 100 MB announced: the call ends as soon, and the server could hand on
 * only what the sockets between hold. */
static void
test_length_huge (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  script (fixture, 200, IDENTIFY_PREFIX, HUGE, SEND_LENGTH);
  error = identify (fixture);
  assert_too_large (error);
  g_assert_cmpuint (client_body_bytes (fixture), <=, SLACK);
  wait_server_finished (fixture);
  g_test_message ("client read %" G_GUINT64_FORMAT " body bytes; server handed on %"
                  G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, client_body_bytes (fixture),
                  fixture->produced, HUGE);
  g_assert_cmpuint (fixture->produced, <, HUGE / 2);
}

/* No Content-Length: read up to the byte past the cap, no further. */
static void
test_chunked_over_cap (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  script (fixture, 200, IDENTIFY_PREFIX, CAP + 1, SEND_CHUNKED);
  error = identify (fixture);
  assert_too_large (error);
  g_assert_cmpuint (client_body_bytes (fixture), <=, CAP + SLACK);
}

static void
test_chunked_huge (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  script (fixture, 200, IDENTIFY_PREFIX, HUGE, SEND_CHUNKED);
  error = identify (fixture);
  assert_too_large (error);
  g_assert_cmpuint (client_body_bytes (fixture), <=, CAP + SLACK);
  wait_server_finished (fixture);
  g_test_message ("client read %" G_GUINT64_FORMAT " body bytes; server handed on %"
                  G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, client_body_bytes (fixture),
                  fixture->produced, HUGE);
  g_assert_cmpuint (fixture->produced, <, HUGE / 2);

  /* The connection was dropped, not left half read: the next call works. */
  script (fixture, 200, IDENTIFY_PREFIX, 100, SEND_LENGTH);
  g_assert_no_error (identify (fixture));
}

/* The cap counts what the body holds, not what the wire carried: a small
 * gzip body that inflates past the cap is not inflated further. */
static void
test_gzip_over_cap (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  script (fixture, 200, IDENTIFY_PREFIX, 8 * CAP, SEND_GZIP);
  g_assert_cmpuint (g_bytes_get_size (fixture->gzipped), <, CAP);
  error = identify (fixture);
  assert_too_large (error);
}

/* An error answer is capped as any other. */
static void
test_error_status_over_cap (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  script (fixture, 404, "{\"error\": \"not_found\", \"pad\": \"", HUGE, SEND_CHUNKED);
  error = identify (fixture);
  assert_too_large (error);
  g_assert_cmpuint (client_body_bytes (fixture), <=, CAP + SLACK);
}

/* A body of just the cap is read whole and used, however it comes. */
static void
test_at_cap (Fixture       *fixture,
             gconstpointer  data)
{
  static const SendMode modes[] = { SEND_LENGTH, SEND_CHUNKED, SEND_GZIP };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      script (fixture, 200, IDENTIFY_PREFIX, CAP, modes[i]);
      g_assert_no_error (identify (fixture));
      if (modes[i] != SEND_GZIP)
        g_assert_cmpuint (client_body_bytes (fixture), >=, CAP);
    }

  /* And an empty one is an answer without JSON, as before. */
  {
    g_autoptr(GError) error = NULL;

    fixture->prefix = "";
    fixture->total = 0;
    fixture->mode = SEND_LENGTH;
    error = identify (fixture);
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL);
    g_assert_nonnull (strstr (error->message, "does not understand"));
  }
}

/* A history page over the cap stores nothing: neither entries nor the
 * cursor. */
static void
test_history_unchanged (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, "history.db", NULL);
  g_autoptr(ClaveHistoryStore) store = NULL;
  g_autoptr(ClavePushKey) key = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cursor = NULL;
  guint received = 0;

  key = clave_push_key_generate (&error);
  g_assert_no_error (error);
  store = clave_history_store_open (path, &error);
  g_assert_no_error (error);

  script (fixture, 200, HISTORY_PREFIX, CAP + 1, SEND_CHUNKED);
  clave_history_store_sync_async (store, fixture->client, key, "dev_42", NULL,
                                  client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_false (clave_history_store_sync_finish (store, result, &received, &error));
  assert_too_large (error);
  g_assert_cmpuint (clave_history_store_count (store), ==, 0);
  cursor = clave_history_store_dup_cursor (store);
  g_assert_null (cursor);

  /* The same page, small enough, is stored. */
  g_clear_error (&error);
  g_clear_object (&result);
  script (fixture, 200, HISTORY_PREFIX, 1000, SEND_CHUNKED);
  clave_history_store_sync_async (store, fixture->client, key, "dev_42", NULL,
                                  client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_true (clave_history_store_sync_finish (store, result, &received, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (received, ==, 1);
  g_assert_cmpuint (clave_history_store_count (store), ==, 1);
  cursor = clave_history_store_dup_cursor (store);
  g_assert_cmpstr (cursor, ==, "7");

  g_clear_object (&result);
  client_test_assert_finalize (g_steal_pointer (&store));
}

/* Push */

/* A server's frame header (no mask) for @len bytes, 126 to 65535. */
static void
append_frame (GByteArray   *out,
              gboolean      fin,
              guint8        opcode,
              const guint8 *payload,
              gsize         len)
{
  guint8 header[4];

  g_assert_cmpuint (len, >=, 126);
  g_assert_cmpuint (len, <=, G_MAXUINT16);
  header[0] = (guint8) ((fin ? 0x80 : 0) | opcode);
  header[1] = 126;
  header[2] = (guint8) (len >> 8);
  header[3] = (guint8) (len & 0xff);
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, payload, (guint) len);
}

static void
on_raw_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GBytes) frames = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_assert_no_error (error);
}

typedef struct {
  Fixture                 *fixture;
  SoupWebsocketConnection *connection;
  gboolean                 first;
} PushSend;

static gboolean
send_push (gpointer user_data)
{
  PushSend *send = user_data;
  Fixture *fixture = send->fixture;
  g_autoptr(GBytes) message = NULL;
  gsize size;
  const guint8 *data;

  if (soup_websocket_connection_get_state (send->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return G_SOURCE_REMOVE;

  if (!send->first)
    {
      soup_websocket_connection_send_text (send->connection, SMALL_EVENT);
      return G_SOURCE_REMOVE;
    }

  message = make_body (BIG_EVENT_PREFIX, fixture->push_total);
  if (fixture->push_mode == PUSH_ONE_FRAME)
    {
      soup_websocket_connection_send_text (send->connection, g_bytes_get_data (message, NULL));
      return G_SOURCE_REMOVE;
    }

  /* libsoup sends no fragments: write them on its stream, which is idle
   * (no keepalive, nothing queued). */
  {
    GIOStream *stream = soup_websocket_connection_get_io_stream (send->connection);
    g_autoptr(GByteArray) frames = g_byte_array_new ();
    gsize half;

    data = g_bytes_get_data (message, &size);
    half = size / 2;
    append_frame (frames, FALSE, 0x1, data, half);
    append_frame (frames, TRUE, 0x0, data + half, size - half);
    {
      GBytes *bytes = g_byte_array_free_to_bytes (g_steal_pointer (&frames));

      g_output_stream_write_all_async (g_io_stream_get_output_stream (stream),
                                       g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                       G_PRIORITY_DEFAULT, NULL, on_raw_written, bytes);
    }
  }

  return G_SOURCE_REMOVE;
}

static void
push_send_free (gpointer data)
{
  PushSend *send = data;

  g_object_unref (send->connection);
  g_free (send);
}

static void
on_websocket (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *connection,
              gpointer                 user_data)
{
  Fixture *fixture = user_data;
  PushSend *send = g_new0 (PushSend, 1);

  g_ptr_array_add (fixture->ws_connections, g_object_ref (connection));
  send->fixture = fixture;
  send->connection = g_object_ref (connection);
  send->first = fixture->ws_connections->len == 1;
  /* Once the client has its connection and has set its cap. */
  g_timeout_add_full (G_PRIORITY_DEFAULT, 100, send_push, send, push_send_free);
}

static void
on_push_request (ClavePushChannel     *channel,
                 ClaveAuthRequestInfo *info,
                 gpointer              user_data)
{
  Fixture *fixture = user_data;

  g_ptr_array_add (fixture->requests, clave_auth_request_info_copy (info));
  g_main_context_wakeup (NULL);
}

/* Runs a push channel until it emitted a request. */
static void
run_push (Fixture    *fixture,
          PushMode    mode,
          gsize       total)
{
  g_autoptr(ClavePushKey) key = NULL;
  g_autoptr(ClavePushChannel) channel = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  fixture->push_mode = mode;
  fixture->push_total = total;
  soup_server_add_websocket_handler (fixture->server, CLAVE_PATH_DEVICE_PUSH, NULL, NULL,
                                     on_websocket, fixture, NULL);

  key = clave_push_key_generate (&error);
  g_assert_no_error (error);
  channel = clave_push_channel_new (fixture->client, key, "dev_42");
  _clave_push_channel_set_backoff (channel, 10, 50);
  g_signal_connect (channel, "request", G_CALLBACK (on_push_request), fixture);
  clave_push_channel_start (channel);

  while (fixture->requests->len == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  clave_push_channel_stop (channel);
  g_signal_handlers_disconnect_by_data (channel, fixture);
  client_test_assert_finalize (g_steal_pointer (&channel));
}

static const char *
first_request_id (Fixture *fixture)
{
  ClaveAuthRequestInfo *info = g_ptr_array_index (fixture->requests, 0);

  return info->id;
}

/* One frame over the cap: libsoup refuses it (max-incoming-payload-size)
 * and closes; the channel connects again and goes on. 100 KiB is under
 * libsoup's own default (128 KiB): only the channel's cap stops it. */
static void
test_push_frame_over_cap (Fixture       *fixture,
                          gconstpointer  data)
{
  run_push (fixture, PUSH_ONE_FRAME, 100 * 1024);
  g_assert_cmpstr (first_request_id (fixture), ==, "req_small");
  g_assert_cmpuint (fixture->ws_connections->len, >=, 2);
}

/* A message over the cap in two frames under it: libsoup 3.2 hands it on
 * whole; the channel closes rather than parse it, and connects again. */
static void
test_push_fragments_over_cap (Fixture       *fixture,
                              gconstpointer  data)
{
  run_push (fixture, PUSH_FRAGMENTS, PUSH_CAP + 1);
  g_assert_cmpstr (first_request_id (fixture), ==, "req_small");
  g_assert_cmpuint (fixture->ws_connections->len, >=, 2);
}

/* Just the cap, in fragments: parsed, on the first connection. */
static void
test_push_fragments_at_cap (Fixture       *fixture,
                            gconstpointer  data)
{
  run_push (fixture, PUSH_FRAGMENTS, PUSH_CAP);
  g_assert_cmpstr (first_request_id (fixture), ==, "req_big");
  g_assert_cmpuint (fixture->ws_connections->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/response-cap/length/over-cap", test_length_over_cap);
  ADD ("/response-cap/length/huge", test_length_huge);
  ADD ("/response-cap/chunked/over-cap", test_chunked_over_cap);
  ADD ("/response-cap/chunked/huge", test_chunked_huge);
  ADD ("/response-cap/gzip/over-cap", test_gzip_over_cap);
  ADD ("/response-cap/error-status/over-cap", test_error_status_over_cap);
  ADD ("/response-cap/at-cap", test_at_cap);
  ADD ("/response-cap/history/unchanged", test_history_unchanged);
  ADD ("/response-cap/push/frame-over-cap", test_push_frame_over_cap);
  ADD ("/response-cap/push/fragments-over-cap", test_push_fragments_over_cap);
  ADD ("/response-cap/push/fragments-at-cap", test_push_fragments_at_cap);

#undef ADD

  return g_test_run ();
}
