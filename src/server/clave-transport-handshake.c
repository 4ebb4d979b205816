/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveTransport: TLS handshakes, started once a whole ClientHello is in,
 * a few at a time and two per address, each in its turn; addresses whose
 * handshakes stalled wait. */
/* POLLRDHUP (Linux): the client closed its end. */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "clave-http.h"
#include "clave-transport-private.h"

/* Handshakes -------------------------------------------------------------- */

/* @conn's handshake stalled in its thread (STALLED_MEMORY_US). */
void
_clave_transport_mark_stalled (ClaveTransport  *self,
                               ClaveConnection *conn)
{
  const char *keys[] = { conn->bucket, conn->site };
  gint64 now = g_get_monotonic_time ();

  if (g_hash_table_size (self->stalled) >= STALLED_MARKS_KEPT)
    {
      GHashTableIter iter;
      gpointer end;

      g_hash_table_iter_init (&iter, self->stalled);
      while (g_hash_table_iter_next (&iter, NULL, &end))
        if (*(gint64 *) end <= now)
          g_hash_table_iter_remove (&iter);
    }
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (keys[i] != NULL)
      g_hash_table_insert (self->stalled, g_strdup (keys[i]),
                           g_memdup2 (&(gint64) { now + STALLED_MEMORY_US }, sizeof (gint64)));
}

static gboolean
is_stalled (ClaveTransport  *self,
            ClaveConnection *conn,
            gint64           now)
{
  const char *keys[] = { conn->bucket, conn->site };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      gint64 *end = keys[i] != NULL ? g_hash_table_lookup (self->stalled, keys[i]) : NULL;

      if (end != NULL && *end > now)
        return TRUE;
    }
  return FALSE;
}

void
_clave_transport_handshake_done (GObject      *source,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  ClaveConnection *conn = user_data;
  ClaveTransport *self = conn->transport;
  g_autoptr(GError) error = NULL;
  gboolean done = g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error);

  _clave_transport_conn_thread_done (conn);
  /* NULL once the transport shut down, which forgot the handshakes in
   * threads. */
  if (self == NULL)
    {
      _clave_transport_conn_unref (conn);
      return;
    }

  _clave_transport_queue_leave (&conn->turn_in, &conn->turn);
  self->handshakes--;
  _clave_transport_bucket_get (self, conn->bucket)->handshakes--;
  _clave_transport_bucket_release (self, conn->bucket);

  if (conn->state == CONN_HANDSHAKE)
    {
      if (done)
        _clave_transport_conn_serve (conn);
      else
        {
          g_debug ("TLS handshake with %s failed: %s", conn->address, error->message);
          conn->abrupt = TRUE;
          _clave_transport_conn_close (conn);
        }
    }
  _clave_transport_handshakes_next (self);
  _clave_transport_conn_unref (conn);
}

static void
handshake_start (ClaveConnection *conn)
{
  ClaveTransport *self = conn->transport;

  _clave_transport_bucket_get (self, conn->bucket)->waiting--;
  _clave_transport_queue_join (&conn->turn_in, &conn->turn, &self->running, conn);
  conn->turn_start = g_get_monotonic_time ();
  self->handshakes++;
  _clave_transport_bucket_get (self, conn->bucket)->handshakes++;
  conn->in_thread++;
  g_tls_connection_handshake_async (conn->tls, G_PRIORITY_DEFAULT, conn->cancellable,
                                    _clave_transport_handshake_done, _clave_transport_conn_ref (conn));
}

static gboolean on_turns_check (gpointer user_data);

/* While handshakes wait for a turn, those that keep them waiting (any,
 * when every turn is taken; else those of an address whose handshakes
 * wait for its own turns) and have had theirs for HANDSHAKE_TURN_MS lose
 * it, as many as wait: their connections are closed, their threads end at
 * once, and _clave_transport_handshake_done() starts the next. Otherwise wakes up when the
 * first of those turns runs out. */
static void
handshakes_check_turns (ClaveTransport *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 first_end = G_MAXINT64;
  guint waiting = self->waiting.length;
  gboolean all_taken = self->handshakes >= HANDSHAKES_AT_ONCE;

  _clave_transport_clear_source (&self->turns_check);
  if (self->shut_down)
    return;

  /* _clave_transport_conn_finish() leaves a running handshake in the list. */
  for (GList *l = self->running.head; l != NULL && waiting > 0; l = l->next)
    {
      ClaveConnection *conn = l->data;
      gint64 end = conn->turn_start + HANDSHAKE_TURN_MS * 1000;

      if (conn->finished || (!all_taken && _clave_transport_bucket_get (self, conn->bucket)->waiting == 0))
        continue;
      if (end > now)
        {
          first_end = MIN (first_end, end);
          continue;
        }
      _clave_transport_notice (self, "Closed the connection from %s: its TLS handshake took over %u s while "
                               "others waited for a turn", conn->address, HANDSHAKE_TURN_MS / 1000);
      _clave_transport_mark_stalled (self, conn);
      conn->abrupt = TRUE;
      _clave_transport_conn_finish (conn);
      waiting--;
    }

  if (waiting > 0 && first_end != G_MAXINT64)
    {
      self->turns_check = g_timeout_source_new ((guint) ((first_end - now) / 1000) + 1);
      g_source_set_callback (self->turns_check, on_turns_check, self, NULL);
      g_source_attach (self->turns_check, NULL);
    }
}

static gboolean
on_turns_check (gpointer user_data)
{
  ClaveTransport *self = user_data;

  g_clear_pointer (&self->turns_check, g_source_unref);
  handshakes_check_turns (self);
  return G_SOURCE_REMOVE;
}

/* Starts waiting handshakes while there are turns, first come first
 * within each rank: first those from an address with none running, then
 * from one with some, then the same from addresses that stalled lately. */
void
_clave_transport_handshakes_next (ClaveTransport *self)
{
  gint64 now = g_get_monotonic_time ();

  while (!self->shut_down && self->handshakes < HANDSHAKES_AT_ONCE)
    {
      ClaveConnection *next = NULL;
      guint best = G_MAXUINT;

      for (GList *l = self->waiting.head; l != NULL && best > 0; l = l->next)
        {
          ClaveConnection *conn = l->data;
          guint running = _clave_transport_bucket_get (self, conn->bucket)->handshakes;
          guint rank;

          if (running >= HANDSHAKES_PER_BUCKET)
            continue;
          rank = (running > 0 ? 1 : 0) + (is_stalled (self, conn, now) ? 2 : 0);
          if (rank < best)
            {
              best = rank;
              next = conn;
            }
        }
      if (next == NULL)
        break;
      handshake_start (next);
    }
  handshakes_check_turns (self);
}

/* The ClientHello is here: the TLS connection, and the handshake when its
 * turn comes. */
static void
conn_handshake (ClaveConnection *conn)
{
  static const char * const protocols[] = { "http/1.1", "http/1.0", NULL };
  ClaveTransport *self = conn->transport;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;

  /* As libsoup's own server makes them. "database" NULL: clients show
   * no certificates, and without it GLib's TLS backend would load the
   * system's trusted CAs for every connection (some 10 ms each). A client
   * may end without close_notify. */
  tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                        NULL, &error,
                        "base-io-stream", conn->tcp,
                        "certificate", self->certificate,
                        "database", NULL,
                        "authentication-mode", G_TLS_AUTHENTICATION_NONE,
                        "require-close-notify", FALSE,
                        "advertised-protocols", protocols,
                        NULL);
  if (tls == NULL)
    {
      g_warning ("Cannot start TLS with %s: %s", conn->address, error->message);
      conn->abrupt = TRUE;
      _clave_transport_conn_close (conn);
      return;
    }
  conn->tls = G_TLS_CONNECTION (g_steal_pointer (&tls));

  _clave_transport_queue_join (&conn->turn_in, &conn->turn, &self->waiting, conn);
  _clave_transport_bucket_get (self, conn->bucket)->waiting++;
  _clave_transport_handshakes_next (self);
}

/* Whether the client has gone (closed or reset its end). */
static gboolean
peer_gone (GSocket *socket)
{
  struct pollfd pfd = { .fd = g_socket_get_fd (socket), .events = POLLIN | POLLRDHUP };

  return poll (&pfd, 1, 0) > 0 &&
         (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* FALSE when the system refuses. */
static gboolean
set_lowat (ClaveConnection *conn,
           int              lowat)
{
  if (conn->hello_lowat == lowat)
    return TRUE;
  if (setsockopt (g_socket_get_fd (conn->socket), SOL_SOCKET, SO_RCVLOWAT, &lowat,
                  sizeof lowat) != 0)
    {
      g_debug ("Cannot set SO_RCVLOWAT on the connection from %s: %s", conn->address,
               g_strerror (errno));
      return FALSE;
    }
  conn->hello_lowat = lowat;
  return TRUE;
}

static gboolean on_hello (GSocket *socket, GIOCondition condition, gpointer user_data);

void
_clave_transport_hello_watch (ClaveConnection *conn)
{
  conn->hello = g_socket_create_source (conn->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (conn->hello, G_SOURCE_FUNC (on_hello), _clave_transport_conn_ref (conn),
                         (GDestroyNotify) _clave_transport_conn_unref);
  g_source_attach (conn->hello, NULL);
}

static gboolean
on_hello_later (gpointer user_data)
{
  ClaveConnection *conn = user_data;

  g_clear_pointer (&conn->hello, g_source_unref);
  _clave_transport_hello_watch (conn);
  return G_SOURCE_REMOVE;
}

/* The socket has bytes, or the client left: a peek at what came, without
 * taking it (the handshake reads it). The whole first record there, the
 * handshake may start; part of it, the socket is readable again only once
 * the rest is there (SO_RCVLOWAT), so that a client that sends a byte at a
 * time wakes the service once. */
static gboolean
on_hello (GSocket      *socket,
          GIOCondition  condition,
          gpointer      user_data)
{
  ClaveConnection *conn = user_data;
  guint8 record[TLS_RECORD_HEADER + TLS_RECORD_MAX];
  gsize needed = TLS_RECORD_HEADER;
  gssize n;

  n = recv (g_socket_get_fd (socket), record, sizeof record, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return G_SOURCE_CONTINUE;

  if (n >= TLS_RECORD_HEADER)
    {
      gsize length = (gsize) record[3] << 8 | record[4];

      if (record[0] != TLS_HANDSHAKE || record[1] != 3 || length == 0 ||
          length > TLS_RECORD_MAX || (n > TLS_RECORD_HEADER && record[5] != TLS_CLIENT_HELLO))
        {
          _clave_transport_notice (conn->transport, "Closed the connection from %s: its first bytes are not a "
                                   "TLS ClientHello", conn->address);
          g_clear_pointer (&conn->hello, g_source_unref);
          conn->abrupt = TRUE;
          _clave_transport_conn_finish (conn);
          return G_SOURCE_REMOVE;
        }
      needed += length;
    }

  if (n > 0 && (gsize) n >= needed)
    {
      g_clear_pointer (&conn->hello, g_source_unref);
      if (conn->hello_lowat > 1)
        set_lowat (conn, 1);
      conn_handshake (conn);
      return G_SOURCE_REMOVE;
    }

  if (n <= 0 || peer_gone (socket))
    {
      g_debug ("The connection from %s ended before its ClientHello", conn->address);
      g_clear_pointer (&conn->hello, g_source_unref);
      conn->abrupt = TRUE;
      _clave_transport_conn_finish (conn);
      return G_SOURCE_REMOVE;
    }

  if (!set_lowat (conn, (int) needed))
    {
      /* The socket stays readable: look again a little later. */
      g_clear_pointer (&conn->hello, g_source_unref);
      conn->hello = _clave_transport_conn_attach (conn, g_timeout_source_new (HELLO_POLL_MS), on_hello_later);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}
