/* SPDX-License-Identifier: GPL-3.0-or-later */
/* POLLRDHUP (Linux): the client closed its end. */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "clave-http.h"
#include "clave-request-stream.h"
#include "clave-transport.h"
#include "clave-transport-private.h"

/* Why clave-server does not let libsoup listen.
 *
 * libsoup 3.2 (Debian 12) never closes a keep-alive connection that the
 * client closes between two requests: after an answer it makes the
 * connection's next message without a completion callback, so when that
 * message ends on the client's end of stream nothing disconnects it. The
 * socket stays in CLOSE-WAIT for ever; at the descriptor limit the
 * service stops answering without a word (upstream commit d20c6601,
 * "server: do not leak idle connections closed by the client", fixed it
 * in 3.3.0). libsoup 3.2 also gives a connection unlimited time for the
 * TLS handshake and for a request, and has no cap on connections.
 *
 * So the transport is ours. A listening socket of our own; per
 * connection our own GTlsServerConnection, with a handshake timeout; and
 * every request handed to libsoup with soup_server_accept_iostream() on a
 * ClaveRequestStream of its own. A SoupServer with no listener of its own
 * disconnects after each request, every libsoup version alike, so libsoup
 * only ever sees a connection's first message, which it ends correctly,
 * and never the keep-alive state that leaks: the stream's "released" is
 * libsoup letting go, and keep-alive is ours to decide (as libsoup would:
 * HTTP/1.1 unless either side said "Connection: close"). Bytes read past
 * a request stay in the stream for the next one (pipelining). Each
 * connection has one timer for the phase it is in (handshake, waiting
 * for a request, head, body) and a failed stream wakes libsoup when it
 * runs out; caps on connections per address (and per IPv6 /48) refuse a
 * connection before its handshake, and so does the cap in all when no
 * connection can make room (below).
 *
 * The handshake itself is glib-networking's, and glib-networking 2.74
 * runs it in GLib's shared pool of GTask threads (10, growing by about
 * one thread every 100 ms or more while all are busy), blocking a thread
 * on every read from the client until the handshake ends. The device
 * signature checks run in the same pool. So a handshake starts only once
 * the client's whole first TLS record (its ClientHello) has arrived,
 * watched from the main loop with a peek at the socket: a client that
 * sends nothing, or a few bytes, costs a descriptor and no thread, until
 * --handshake-timeout. And only so many handshakes run at once, in all
 * and per address; the others wait their turn, their timer running.
 * While some wait, a handshake that keeps its thread for 3 s (a client
 * that stalls after its ClientHello) loses it, and its address goes after
 * the others for a minute.
 *
 * At the cap on connections, a newcomer takes the place of the oldest
 * connection that has not started a request (in its handshake, or
 * waiting for its first request), else of the one idle longest between
 * two requests; only when every connection is in a request is it
 * refused. Holding connections open without a request then keeps no one
 * out; holding them in a request costs a handshake and a request head
 * trickled out within --header-timeout.
 *
 * The stream is a GTlsConnection of its own (its handshake done, its
 * properties the real one's), so that libsoup still builds https URIs
 * and redirects. libsoup's keep-alive would need a listener of its own in
 * the SoupServer, and brings back the leak.
 *
 * libmicrohttpd (in Debian) has all of this built in, but every route
 * speaks SoupServerMessage and the push channel is libsoup's WebSocket:
 * moving would rewrite the service for what this file does in a few
 * hundred lines. A request per libsoup connection costs some objects and
 * a main loop turn more than libsoup's keep-alive: measured on loopback,
 * 3,000 GETs on one connection took 0.19 ms each against 0.14 ms with
 * libsoup's own listener, where a new TLS handshake costs about 1 ms.
 *
 * One more thing libsoup 3.2 cannot do is answer before reading the
 * body: a status set by an early handler (413, 421, 400) still waits for
 * every declared byte. Such a request's connection is taken from libsoup
 * (soup_server_message_steal_connection), the answer written here, and
 * the connection closed after a short lingering read, so that a client
 * still sending gets the answer rather than a reset. */

G_DEFINE_FINAL_TYPE (ClaveTransport, clave_transport, G_TYPE_OBJECT)

/* Notices --------------------------------------------------------------- */

static void
notices_flush (ClaveTransport *self)
{
  if (self->notices_dropped > 0)
    g_info ("%u more connections were refused or cut off in a minute "
            "(at most %u a minute are logged one by one)",
            self->notices_dropped, NOTICES_PER_WINDOW);
  self->notices_dropped = 0;
}

/* A connection refused, closed to make room or by a timeout, at level
 * info, within the rate above. */
void
_clave_transport_notice (ClaveTransport *self,
                         const char     *format,
                         ...)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *text = NULL;
  va_list ap;

  if (now - self->notice_window >= NOTICE_WINDOW_US)
    {
      notices_flush (self);
      self->notice_window = now;
      self->notices = 0;
    }
  if (self->notices >= NOTICES_PER_WINDOW)
    {
      self->notices_dropped++;
      return;
    }
  self->notices++;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_info ("%s", text);
}

/* Connections ----------------------------------------------------------- */

static void
conn_clear (ClaveConnection *conn)
{
  g_clear_weak_pointer (&conn->stream);
  g_clear_weak_pointer (&conn->msg);
  g_clear_object (&conn->socket);
  g_clear_object (&conn->tcp);
  g_clear_object (&conn->tls);
  g_clear_object (&conn->local);
  g_clear_object (&conn->remote);
  g_clear_object (&conn->cancellable);
  g_clear_object (&conn->stolen);
  g_clear_pointer (&conn->answer, g_bytes_unref);
  g_clear_pointer (&conn->pending, g_bytes_unref);
  g_free (conn->address);
  g_free (conn->bucket);
  g_free (conn->site);
}

ClaveConnection *
_clave_transport_conn_ref (ClaveConnection *conn)
{
  return g_rc_box_acquire (conn);
}

void
_clave_transport_conn_unref (ClaveConnection *conn)
{
  g_rc_box_release_full (conn, (GDestroyNotify) conn_clear);
}

void
_clave_transport_conn_unref_closure (gpointer  data,
                    GClosure *closure)
{
  _clave_transport_conn_unref (data);
}

void
_clave_transport_clear_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* Attaches @source with @func called with a reference to @conn. */
GSource *
_clave_transport_conn_attach (ClaveConnection *conn,
                              GSource         *source,
                              GSourceFunc      func)
{
  g_source_set_callback (source, func, _clave_transport_conn_ref (conn), (GDestroyNotify) _clave_transport_conn_unref);
  g_source_attach (source, NULL);
  return source;
}

static gboolean on_timer (gpointer user_data);

void
_clave_transport_conn_set_timer (ClaveConnection *conn,
                guint            ms)
{
  _clave_transport_clear_source (&conn->timer);
  if (ms > 0)
    conn->timer = _clave_transport_conn_attach (conn, g_timeout_source_new (ms), on_timer);
}

static gboolean
is_ipv6 (GInetAddress *address)
{
  /* ::ffff:a.b.c.d is an IPv4 client of a dual-stack socket. */
  return g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
         memcmp (g_inet_address_to_bytes (address), "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) != 0;
}

/* "prefix/bits" of an IPv6 address. */
static char *
ipv6_prefix (GInetAddress *address,
             guint         bits)
{
  g_autoptr(GInetAddress) prefix = NULL;
  g_autofree char *text = NULL;
  guint8 masked[16] = { 0 };

  memcpy (masked, g_inet_address_to_bytes (address), bits / 8);
  prefix = g_inet_address_new_from_bytes (masked, G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (prefix);
  return g_strdup_printf ("%s/%u", text, bits);
}

/* What --max-connections-per-address counts: an IPv4 address, or the /64
 * of an IPv6 one (anyone with one IPv6 address has a /64 of them). */
static char *
address_bucket (GInetAddress *address)
{
  const guint8 *bytes = g_inet_address_to_bytes (address);

  if (g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return g_inet_address_to_string (address);
  if (!is_ipv6 (address))
    return g_strdup_printf ("%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
  return ipv6_prefix (address, 64);
}

/* The /48 of an IPv6 address, counted too (SITE_FACTOR); NULL for IPv4. */
static char *
address_site (GInetAddress *address)
{
  return is_ipv6 (address) ? ipv6_prefix (address, 48) : NULL;
}

static BucketCount *
bucket_lookup (ClaveTransport *self,
               const char     *bucket)
{
  return bucket != NULL ? g_hash_table_lookup (self->per_bucket, bucket) : NULL;
}

/* The counts of a bucket that has some: a connection's own bucket and
 * site while it is counted, or its bucket while its handshake holds a
 * turn. */
BucketCount *
_clave_transport_bucket_get (ClaveTransport *self,
                             const char     *bucket)
{
  BucketCount *count = g_hash_table_lookup (self->per_bucket, bucket);

  if (G_UNLIKELY (count == NULL))
    g_error ("No count of connections from %s", bucket);
  return count;
}

static guint
bucket_connections (ClaveTransport *self,
                    const char     *bucket)
{
  BucketCount *count = bucket_lookup (self, bucket);

  return count != NULL ? count->connections : 0;
}

static BucketCount *
bucket_ensure (ClaveTransport *self,
               const char     *bucket)
{
  BucketCount *count = bucket_lookup (self, bucket);

  if (count == NULL)
    {
      count = g_new0 (BucketCount, 1);
      g_hash_table_insert (self->per_bucket, g_strdup (bucket), count);
    }
  return count;
}

/* Forgets @bucket once nothing of it is counted. */
void
_clave_transport_bucket_release (ClaveTransport *self,
                                 const char     *bucket)
{
  BucketCount *count = bucket_lookup (self, bucket);

  if (count != NULL && count->connections == 0 && count->handshakes == 0)
    g_hash_table_remove (self->per_bucket, bucket);
}

/* A connection's @link in one of the transport's queues, *@in (NULL:
 * none). */
void
_clave_transport_queue_leave (GQueue **in,
                              GList   *link)
{
  if (*in == NULL)
    return;
  g_queue_unlink (*in, link);
  *in = NULL;
}

void
_clave_transport_queue_join (GQueue          **in,
                             GList            *link,
                             GQueue           *queue,
                             ClaveConnection  *conn)
{
  _clave_transport_queue_leave (in, link);
  link->data = conn;
  g_queue_push_tail_link (queue, link);
  *in = queue;
}

/* Where a newcomer at the cap may take @conn's place: it has started no
 * request (@idle FALSE), or it is between two (@idle TRUE); or neither. */
void
_clave_transport_conn_set_evictable (ClaveConnection *conn,
                    gboolean         evictable,
                    gboolean         idle)
{
  ClaveTransport *self = conn->transport;

  if (!evictable)
    _clave_transport_queue_leave (&conn->place_in, &conn->place);
  else
    _clave_transport_queue_join (&conn->place_in, &conn->place, idle ? &self->idle : &self->fresh, conn);
}

/* Closes the socket and forgets the connection. */
void
_clave_transport_conn_finish (ClaveConnection *conn)
{
  ClaveTransport *self = conn->transport;
  BucketCount *count;

  if (conn->finished)
    return;
  conn->finished = TRUE;
  conn->state = CONN_CLOSING;

  _clave_transport_conn_set_evictable (conn, FALSE, FALSE);
  /* A handshake waiting for its turn goes; one in a thread keeps its
   * turn until the thread is done (_clave_transport_handshake_done()). */
  if (conn->turn_in == &self->waiting)
    {
      _clave_transport_queue_leave (&conn->turn_in, &conn->turn);
      _clave_transport_bucket_get (self, conn->bucket)->waiting--;
    }
  _clave_transport_clear_source (&conn->hello);
  _clave_transport_clear_source (&conn->timer);
  _clave_transport_clear_source (&conn->step);
  _clave_transport_clear_source (&conn->drain);
  g_cancellable_cancel (conn->cancellable);
  if (conn->stream != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                     "The connection was closed");

      clave_request_stream_fail (conn->stream, error);
    }
  /* Closed here rather than when the last reference to the TLS
   * connection goes, which can be much later; under a thread that uses
   * it, shut down first (the thread sees the end at once) and closed
   * when the thread is done. */
  if (conn->in_thread > 0)
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  else
    g_socket_close (conn->socket, NULL);
  g_clear_object (&conn->stolen);

  count = _clave_transport_bucket_get (self, conn->bucket);
  count->connections--;
  _clave_transport_bucket_release (self, conn->bucket);
  if (conn->site != NULL)
    {
      count = _clave_transport_bucket_get (self, conn->site);
      count->connections--;
      _clave_transport_bucket_release (self, conn->site);
    }
  g_hash_table_remove (self->connections, conn);
}

/* At the end of a threaded TLS operation. */
void
_clave_transport_conn_thread_done (ClaveConnection *conn)
{
  g_assert (conn->in_thread > 0);
  conn->in_thread--;
  if (conn->finished && conn->in_thread == 0)
    g_socket_close (conn->socket, NULL);
}

static void
closed_politely (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ClaveConnection *conn = user_data;

  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  _clave_transport_conn_thread_done (conn);
  _clave_transport_conn_finish (conn);
  _clave_transport_conn_unref (conn);
}

/* Ends the connection; with a TLS close_notify unless conn->abrupt. */
void
_clave_transport_conn_close (ClaveConnection *conn)
{
  if (conn->state == CONN_CLOSING)
    return;
  conn->state = CONN_CLOSING;
  _clave_transport_conn_set_evictable (conn, FALSE, FALSE);
  _clave_transport_clear_source (&conn->step);

  if (conn->abrupt || conn->tls == NULL || conn->stream != NULL)
    {
      _clave_transport_conn_finish (conn);
      return;
    }

  _clave_transport_conn_set_timer (conn, CLOSE_NOTIFY_MS);
  conn->in_thread++;
  g_io_stream_close_async (G_IO_STREAM (conn->tls), G_PRIORITY_DEFAULT, conn->cancellable,
                           closed_politely, _clave_transport_conn_ref (conn));
}

/* Ends the request libsoup is reading (it sees @message as a read error
 * and lets go of the stream, which closes the connection), or the
 * connection itself when libsoup has none. */
static void
conn_kill (ClaveConnection *conn,
           gboolean         abrupt,
           const char      *message)
{
  conn->reusable = FALSE;
  conn->abrupt = conn->abrupt || abrupt;
  _clave_transport_clear_source (&conn->timer);
  if (conn->stream != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, message);

      clave_request_stream_fail (conn->stream, error);
    }
  else
    _clave_transport_conn_close (conn);
}

static gboolean
on_timer (gpointer user_data)
{
  ClaveConnection *conn = user_data;
  const ClaveTransportLimits *limits = &conn->transport->limits;

  g_clear_pointer (&conn->timer, g_source_unref);

  switch (conn->state)
    {
    case CONN_HANDSHAKE:
      if (conn->turn_in == &conn->transport->running)
        _clave_transport_mark_stalled (conn->transport, conn);
      _clave_transport_notice (conn->transport,
                               "Closed the connection from %s: no TLS handshake within %u s "
                               "(--handshake-timeout)%s", conn->address, limits->handshake_timeout,
                               conn->hello != NULL ? ", its ClientHello incomplete"
                               : conn->turn_in == &conn->transport->waiting ? ", waiting for a turn among the "
                                                                              "handshakes at once" : "");
      _clave_transport_conn_finish (conn);
      break;
    case CONN_WAITING:
      if (conn->n_requests > 0)
        {
          g_debug ("Closed the idle connection from %s (--idle-timeout)", conn->address);
          conn_kill (conn, FALSE, "The connection was idle too long");
        }
      else
        {
          _clave_transport_notice (conn->transport,
                                   "Closed the connection from %s: no request within %u s (--header-timeout)",
                                   conn->address, limits->header_timeout);
          conn_kill (conn, TRUE, "No request came in time");
        }
      break;
    case CONN_HEAD:
      _clave_transport_notice (conn->transport,
                               "Closed the connection from %s: no complete request head within %u s "
                               "(--header-timeout)", conn->address, limits->header_timeout);
      conn_kill (conn, TRUE, "The request head did not come in time");
      break;
    case CONN_BODY:
      _clave_transport_notice (conn->transport,
                               "Closed the connection from %s: no complete request body within %u s "
                               "(--body-timeout)", conn->address, limits->body_timeout);
      conn_kill (conn, TRUE, "The request body did not come in time");
      break;
    case CONN_EARLY_ANSWER:
    case CONN_CLOSING:
      _clave_transport_conn_finish (conn);
      break;
    case CONN_HANDLING:
      break;
    }
  return G_SOURCE_REMOVE;
}

/* Accepting ------------------------------------------------------------- */

/* At the cap on connections: closes the oldest connection that has not
 * started a request, else the one idle longest between two requests, to
 * make room for one from @address. FALSE when there is none. */
static gboolean
make_room (ClaveTransport *self,
           const char     *address)
{
  gboolean idle = self->fresh.head == NULL;
  GList *oldest = idle ? self->idle.head : self->fresh.head;
  ClaveConnection *conn;

  if (oldest == NULL)
    return FALSE;
  conn = oldest->data;
  if (idle)
    _clave_transport_notice (self, "Closed the idle connection from %s to make room for one from %s: "
                             "%u connections open (--max-connections)", conn->address, address,
                             g_hash_table_size (self->connections));
  else
    _clave_transport_notice (self, "Closed the connection from %s (no request yet) to make room for one "
                             "from %s: %u connections open (--max-connections)", conn->address, address,
                             g_hash_table_size (self->connections));
  conn->abrupt = TRUE;
  _clave_transport_conn_finish (conn);
  return TRUE;
}

static void
admit (ClaveTransport *self,
       GSocket        *socket)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (socket, &error);
  g_autoptr(GSocketAddress) local = NULL;
  g_autofree char *address = NULL;
  g_autofree char *bucket = NULL;
  g_autofree char *site = NULL;
  GInetAddress *inet;
  ClaveConnection *conn;
  guint from_bucket, from_site;

  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote) ||
      (local = g_socket_get_local_address (socket, &error)) == NULL)
    {
      g_debug ("Dropped a connection: %s", error != NULL ? error->message : "not IP");
      g_socket_close (socket, NULL);
      return;
    }

  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  address = g_inet_address_to_string (inet);
  bucket = address_bucket (inet);
  site = address_site (inet);
  from_bucket = bucket_connections (self, bucket);
  from_site = bucket_connections (self, site);

  if (from_bucket >= self->limits.max_connections_per_address)
    {
      _clave_transport_notice (self, "Refused a connection from %s: %u connections open from %s "
                               "(--max-connections-per-address)", address, from_bucket, bucket);
      g_socket_close (socket, NULL);
      return;
    }
  if (site != NULL && from_site >= self->limits.max_connections_per_address * SITE_FACTOR)
    {
      _clave_transport_notice (self, "Refused a connection from %s: %u connections open from %s "
                               "(%u × --max-connections-per-address)", address, from_site, site, SITE_FACTOR);
      g_socket_close (socket, NULL);
      return;
    }
  if (g_hash_table_size (self->connections) >= self->max_connections &&
      !make_room (self, address))
    {
      _clave_transport_notice (self, "Refused a connection from %s: %u connections open (--max-connections)",
                               address, g_hash_table_size (self->connections));
      g_socket_close (socket, NULL);
      return;
    }

  /* Answers go out in pieces (headers, body, TLS records): without this,
   * Nagle's algorithm holds the last one until the client's delayed ACK,
   * some 40 ms a request. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  /* --send-timeout: a client that stops reading (its window closed, our
   * answer unsent) or that vanished (our bytes never acknowledged) has the
   * connection aborted by the kernel after this long, whatever phase it is
   * in: a long poll or the push channel, as well as an answer half
   * written. The write then fails and the connection ends as any other.
   * Idle connections are not concerned: they have nothing in flight. */
  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_USER_TIMEOUT,
                            (int) MIN (self->limits.send_timeout, G_MAXINT / 1000) * 1000,
                            &error))
    {
      g_warning ("Could not set the send timeout of a connection from %s: %s",
                 address, error->message);
      g_clear_error (&error);
    }

  conn = g_rc_box_new0 (ClaveConnection);
  conn->transport = self;
  conn->state = CONN_HANDSHAKE;
  conn->socket = g_object_ref (socket);
  conn->tcp = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  conn->local = g_steal_pointer (&local);
  conn->remote = g_steal_pointer (&remote);
  conn->address = g_steal_pointer (&address);
  conn->bucket = g_steal_pointer (&bucket);
  conn->site = g_steal_pointer (&site);
  conn->cancellable = g_cancellable_new ();
  g_hash_table_add (self->connections, conn);
  bucket_ensure (self, conn->bucket)->connections++;
  if (conn->site != NULL)
    bucket_ensure (self, conn->site)->connections++;
  _clave_transport_conn_set_evictable (conn, TRUE, FALSE);

  /* The handshake timeout runs from now: waiting for the ClientHello, for
   * a turn, and in a thread. */
  _clave_transport_conn_set_timer (conn, self->limits.handshake_timeout * 1000);
  _clave_transport_hello_watch (conn);
}

static gboolean on_incoming (GSocket *listener, GIOCondition condition, gpointer user_data);

static void
watch_listener (ClaveTransport *self)
{
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_attach (self->accept_source, NULL);
}

static gboolean
resume_accepting (gpointer user_data)
{
  ClaveTransport *self = user_data;

  g_clear_pointer (&self->accept_pause, g_source_unref);
  watch_listener (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket      *listener,
             GIOCondition  condition,
             gpointer      user_data)
{
  ClaveTransport *self = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = g_socket_accept (listener, NULL, &error);

      if (socket != NULL)
        {
          admit (self, socket);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
        {
          gint64 now = g_get_monotonic_time ();

          /* The socket stays readable: wait rather than spin. */
          if (now - self->last_accept_warning > ACCEPT_WARN_US)
            {
              g_warning ("Cannot accept connections (%s) with %u open; raise the limit of "
                         "open files (LimitNOFILE) or lower --max-connections",
                         error->message, g_hash_table_size (self->connections));
              self->last_accept_warning = now;
            }
          g_clear_pointer (&self->accept_source, g_source_unref);
          self->accept_pause = g_timeout_source_new (ACCEPT_PAUSE_MS);
          g_source_set_callback (self->accept_pause, resume_accepting, self, NULL);
          g_source_attach (self->accept_pause, NULL);
          return G_SOURCE_REMOVE;
        }
      /* A client that reset before we accepted it, and the like. */
      g_debug ("Accepting a connection failed: %s", error->message);
    }
  return G_SOURCE_CONTINUE;
}

/* The caps are only worth something if the descriptors are there: a
 * service out of them stops accepting anyone. */
static void
fit_descriptor_limit (ClaveTransport *self)
{
  struct rlimit limit;
  rlim_t needed = (rlim_t) self->limits.max_connections + CLAVE_TRANSPORT_RESERVED_FDS;

  self->max_connections = self->limits.max_connections;
  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed)
    return;

  if (limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= needed)
    limit.rlim_cur = needed;
  else
    limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    getrlimit (RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= needed)
    return;

  self->max_connections = limit.rlim_cur > 2 * CLAVE_TRANSPORT_RESERVED_FDS
                            ? (guint) (limit.rlim_cur - CLAVE_TRANSPORT_RESERVED_FDS)
                            : (guint) MAX (limit.rlim_cur / 2, 1);
  g_warning ("The limit of open files (%lu) is too low for --max-connections %u: "
             "accepting at most %u connections; raise LimitNOFILE",
             (unsigned long) limit.rlim_cur, self->limits.max_connections,
             self->max_connections);
}

gboolean
clave_transport_listen (ClaveTransport      *self,
                        GInetSocketAddress  *address,
                        GError             **error)
{
  GSocketFamily family;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  g_return_val_if_fail (CLAVE_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (self->listener == NULL, FALSE);

  fit_descriptor_limit (self);

  family = g_socket_address_get_family (G_SOCKET_ADDRESS (address));
  listener = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (listener == NULL)
    return FALSE;
  /* An IPv6 address means IPv6 only, as with libsoup's listeners. */
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (listener, IPPROTO_IPV6, IPV6_V6ONLY, 1, NULL);
  g_socket_set_blocking (listener, FALSE);
  g_socket_set_listen_backlog (listener, LISTEN_BACKLOG);
  if (!g_socket_bind (listener, G_SOCKET_ADDRESS (address), TRUE, error) ||
      !g_socket_listen (listener, error))
    return FALSE;

  bound = g_socket_get_local_address (listener, error);
  if (bound == NULL)
    return FALSE;

  self->listener = g_steal_pointer (&listener);
  self->address = G_INET_SOCKET_ADDRESS (g_steal_pointer (&bound));
  watch_listener (self);
  return TRUE;
}

GInetSocketAddress *
clave_transport_get_address (ClaveTransport *self)
{
  g_return_val_if_fail (CLAVE_IS_TRANSPORT (self), NULL);
  return self->address;
}

void
clave_transport_shutdown (ClaveTransport *self)
{
  g_autoptr(GList) connections = NULL;

  g_return_if_fail (CLAVE_IS_TRANSPORT (self));

  self->shut_down = TRUE;
  notices_flush (self);
  _clave_transport_clear_source (&self->turns_check);
  _clave_transport_clear_source (&self->accept_source);
  _clave_transport_clear_source (&self->accept_pause);
  if (self->listener != NULL)
    g_socket_close (self->listener, NULL);

  connections = g_hash_table_get_keys (self->connections);
  for (GList *l = connections; l != NULL; l = l->next)
    _clave_transport_conn_finish (l->data);

  /* Handshakes still in threads end on their own (their sockets are shut
   * down), without the transport, which may be gone by then. */
  while (self->running.head != NULL)
    {
      ClaveConnection *conn = self->running.head->data;

      _clave_transport_queue_leave (&conn->turn_in, &conn->turn);
      conn->transport = NULL;
    }
  self->handshakes = 0;
  g_hash_table_remove_all (self->per_bucket);
}

static void
clave_transport_dispose (GObject *object)
{
  ClaveTransport *self = CLAVE_TRANSPORT (object);

  if (!self->shut_down)
    clave_transport_shutdown (self);
  if (self->soup != NULL)
    g_signal_handlers_disconnect_by_data (self->soup, self);
  g_clear_object (&self->soup);
  g_clear_object (&self->certificate);
  g_clear_object (&self->listener);
  g_clear_object (&self->address);

  G_OBJECT_CLASS (clave_transport_parent_class)->dispose (object);
}

static void
clave_transport_finalize (GObject *object)
{
  ClaveTransport *self = CLAVE_TRANSPORT (object);

  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->per_bucket, g_hash_table_unref);
  g_clear_pointer (&self->stalled, g_hash_table_unref);

  G_OBJECT_CLASS (clave_transport_parent_class)->finalize (object);
}

static void
clave_transport_class_init (ClaveTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clave_transport_dispose;
  object_class->finalize = clave_transport_finalize;
}

static void
clave_transport_init (ClaveTransport *self)
{
  self->connections = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) _clave_transport_conn_unref, NULL);
  self->per_bucket = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->stalled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

ClaveTransport *
clave_transport_new (SoupServer                 *soup,
                     GTlsCertificate            *certificate,
                     const ClaveTransportLimits *limits)
{
  ClaveTransport *self;

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (limits != NULL, NULL);

  self = g_object_new (CLAVE_TYPE_TRANSPORT, NULL);
  self->soup = g_object_ref (soup);
  self->certificate = g_object_ref (certificate);
  self->limits = *limits;
  self->max_connections = limits->max_connections;

  _clave_transport_watch_requests (self);
  return self;
}
