/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveTransport: serving the requests of one connection through libsoup
 * (soup_server_accept_iostream()), one at a time, with the early answers
 * (413, 421) written without waiting for a body, HSTS, and the timers of
 * each phase. Accepting, caps and timers are clave-transport.c; TLS
 * handshakes clave-transport-handshake.c. */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "clave-http.h"
#include "clave-request-stream.h"
#include "clave-transport.h"
#include "clave-transport-private.h"

/* Requests ---------------------------------------------------------------- */

static void
add_hsts (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Strict-Transport-Security", HSTS_VALUE);
}

/* Whether the connection may carry another request after @msg's answer:
 * what libsoup's soup_server_message_is_keepalive() says, which is not
 * public. */
static gboolean
answer_keeps_connection (SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

  if (soup_message_headers_get_encoding (response) == SOUP_ENCODING_EOF)
    return FALSE;
  if (soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0)
    return soup_message_headers_header_contains (response, "Connection", "Keep-Alive");
  return !soup_message_headers_header_contains (request, "Connection", "close") &&
         !soup_message_headers_header_contains (response, "Connection", "close");
}

static ClaveConnection *
conn_of (SoupServerMessage *msg)
{
  return g_object_get_data (G_OBJECT (msg), CONNECTION_KEY);
}

static void
on_first_data (ClaveRequestStream *stream,
               ClaveConnection    *conn)
{
  if (conn->state != CONN_WAITING)
    return;
  conn->state = CONN_HEAD;
  _clave_transport_conn_set_evictable (conn, FALSE, FALSE);
  /* The first request's head counts from the end of the handshake. */
  if (conn->n_requests > 0)
    _clave_transport_conn_set_timer (conn, conn->transport->limits.header_timeout * 1000);
  if (conn->msg != NULL)
    clave_http_note_request_start (conn->msg);
}

static gboolean
after_request (gpointer user_data)
{
  ClaveConnection *conn = user_data;

  g_clear_pointer (&conn->step, g_source_unref);
  if (conn->transport->shut_down || !conn->reusable)
    _clave_transport_conn_close (conn);
  else
    _clave_transport_conn_serve (conn);
  return G_SOURCE_REMOVE;
}

static void
on_released (ClaveRequestStream *stream,
             ClaveConnection    *conn)
{
  g_clear_pointer (&conn->pending, g_bytes_unref);
  conn->pending = clave_request_stream_steal_pending (stream);
  if (clave_request_stream_base_ended (stream))
    {
      conn->reusable = FALSE;
      conn->abrupt = TRUE;
    }
  g_clear_weak_pointer (&conn->stream);

  if (conn->state == CONN_EARLY_ANSWER || conn->state == CONN_CLOSING || conn->step != NULL)
    return;
  /* libsoup is still unwinding (this comes from its disconnect): go on
   * from the main loop, as soon as a request would be. */
  conn->step = g_idle_source_new ();
  g_source_set_priority (conn->step, G_PRIORITY_DEFAULT);
  _clave_transport_conn_attach (conn, conn->step, after_request);
}

static GBytes *
serialize_answer (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  GString *out = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  guint status = soup_server_message_get_status (msg);

  g_string_append_printf (out, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "Content-Length") == 0 ||
          g_ascii_strcasecmp (name, "Transfer-Encoding") == 0 ||
          g_ascii_strcasecmp (name, "Connection") == 0)
        continue;
      g_string_append_printf (out, "%s: %s\r\n", name, value);
    }
  g_string_append_printf (out, "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                               "Connection: close\r\n\r\n", g_bytes_get_size (body));
  g_string_append_len (out, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body));
  return g_string_free_to_bytes (out);
}

static gboolean
on_drain (GSocket      *socket,
          GIOCondition  condition,
          gpointer      user_data)
{
  ClaveConnection *conn = user_data;
  char buffer[16384];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive_with_blocking (socket, buffer, sizeof buffer, FALSE, NULL,
                                                 &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      if (n <= 0)
        break;
      conn->drained += (gsize) n;
      if (conn->drained > LINGER_MAX_BYTES)
        break;
    }

  g_clear_pointer (&conn->drain, g_source_unref);
  _clave_transport_conn_finish (conn);
  return G_SOURCE_REMOVE;
}

static void
early_answer_written (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  ClaveConnection *conn = user_data;
  gboolean written = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL,
                                                       NULL);

  _clave_transport_conn_thread_done (conn);
  if (written && !conn->finished)
    {
      /* Read (and drop) what the client still sends until it has the
       * answer and stops, so that closing with unread bytes does not
       * reset the connection under the answer. */
      g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
      conn->drain = g_socket_create_source (conn->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (conn->drain, G_SOURCE_FUNC (on_drain), _clave_transport_conn_ref (conn),
                             (GDestroyNotify) _clave_transport_conn_unref);
      g_source_attach (conn->drain, NULL);
    }
  else
    _clave_transport_conn_finish (conn);
  _clave_transport_conn_unref (conn);
}

/* @msg has its answer before its body was read (413, 421, 400): take the
 * connection from libsoup, which would read the whole body first, write
 * the answer and close. */
static void
answer_early (ClaveConnection   *conn,
              SoupServerMessage *msg)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (conn->tls));

  conn->state = CONN_EARLY_ANSWER;
  conn->reusable = FALSE;
  _clave_transport_conn_set_timer (conn, EARLY_ANSWER_MS);
  conn->answer = serialize_answer (msg);
  clave_http_log_request (msg, "(before its body)");

  /* libsoup lets go of the stream here; "released" finds the early
   * answer under way. */
  conn->stolen = soup_server_message_steal_connection (msg);

  conn->in_thread++;
  g_output_stream_write_all_async (output, g_bytes_get_data (conn->answer, NULL),
                                   g_bytes_get_size (conn->answer), G_PRIORITY_DEFAULT,
                                   conn->cancellable, early_answer_written, _clave_transport_conn_ref (conn));
}

static void
on_got_headers (SoupServerMessage *msg,
                ClaveConnection   *conn)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  gboolean has_body = encoding == SOUP_ENCODING_CHUNKED ||
                      (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
                       soup_message_headers_get_content_length (headers) != 0);

  if (conn->state != CONN_HEAD)
    return;

  if (soup_server_message_get_status (msg) != 0 && has_body)
    {
      answer_early (conn, msg);
      return;
    }

  conn->state = CONN_BODY;
  _clave_transport_conn_set_timer (conn, conn->transport->limits.body_timeout * 1000);
  /* A body of known length is read to its end and no further; chunks are
   * read line by line. */
  if (conn->stream != NULL)
    clave_request_stream_set_line_reads (conn->stream, encoding == SOUP_ENCODING_CHUNKED);
}

static void
on_got_body (SoupServerMessage *msg,
             ClaveConnection   *conn)
{
  if (conn->state != CONN_BODY)
    return;
  conn->state = CONN_HANDLING;
  _clave_transport_clear_source (&conn->timer);
  if (conn->stream != NULL)
    clave_request_stream_set_line_reads (conn->stream, FALSE);
  /* A "100 Continue" cleared the headers set when the request started. */
  add_hsts (msg);
}

static void
on_request_started (SoupServer        *soup,
                    SoupServerMessage *msg,
                    ClaveTransport    *self)
{
  ClaveConnection *conn = self->accepting;

  add_hsts (msg);

  /* Every connection comes through _clave_transport_conn_serve(), one request each. */
  if (conn == NULL || conn->msg != NULL)
    {
      g_debug ("A request outside of the transport's requests");
      return;
    }

  g_object_set_data_full (G_OBJECT (msg), CONNECTION_KEY, _clave_transport_conn_ref (conn),
                          (GDestroyNotify) _clave_transport_conn_unref);
  g_set_weak_pointer (&conn->msg, msg);
  /* After libsoup's own handler of these, which runs the early
   * handlers. */
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), conn);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_got_body), conn);
}

/* The answer is out (@finished) or the request failed: whether the
 * connection can take another. */
static void
request_ended (SoupServerMessage *msg,
               gboolean           finished)
{
  ClaveConnection *conn = conn_of (msg);

  if (conn == NULL)
    return;
  conn->n_requests++;
  conn->reusable = finished && conn->state == CONN_HANDLING && answer_keeps_connection (msg);
  /* Idle from the end of the answer on (_clave_transport_conn_serve() soon after). */
  if (conn->reusable)
    _clave_transport_conn_set_evictable (conn, TRUE, TRUE);
}

static void
on_request_finished (SoupServer        *soup,
                     SoupServerMessage *msg,
                     ClaveTransport    *self)
{
  request_ended (msg, TRUE);
}

static void
on_request_aborted (SoupServer        *soup,
                    SoupServerMessage *msg,
                    ClaveTransport    *self)
{
  request_ended (msg, FALSE);
}

/* Hands the connection's next request to libsoup. */
void
_clave_transport_conn_serve (ClaveConnection *conn)
{
  ClaveTransport *self = conn->transport;
  g_autoptr(ClaveRequestStream) stream = NULL;
  g_autoptr(GBytes) pending = g_steal_pointer (&conn->pending);
  guint timeout = conn->n_requests == 0 ? self->limits.header_timeout
                                        : self->limits.idle_timeout;

  conn->state = CONN_WAITING;
  conn->reusable = FALSE;
  g_clear_weak_pointer (&conn->msg);
  _clave_transport_conn_set_timer (conn, timeout * 1000);
  /* Idle between two requests: the newest at the end. A first request
   * keeps its place among the fresh connections (since the accept). */
  if (conn->n_requests > 0)
    _clave_transport_conn_set_evictable (conn, TRUE, TRUE);

  stream = clave_request_stream_new (conn->tls, pending);
  clave_request_stream_set_line_reads (stream, TRUE);
  g_signal_connect_data (stream, "first-data", G_CALLBACK (on_first_data), _clave_transport_conn_ref (conn),
                         _clave_transport_conn_unref_closure, 0);
  g_signal_connect_data (stream, "released", G_CALLBACK (on_released), _clave_transport_conn_ref (conn),
                         _clave_transport_conn_unref_closure, 0);
  g_set_weak_pointer (&conn->stream, stream);

  /* libsoup may read, answer and let go of a request already buffered
   * before this returns. */
  self->accepting = conn;
  soup_server_accept_iostream (self->soup, G_IO_STREAM (stream), conn->local, conn->remote,
                               NULL);
  self->accepting = NULL;
}

void
_clave_transport_watch_requests (ClaveTransport *self)
{
  g_signal_connect (self->soup, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (on_request_aborted), self);
}
