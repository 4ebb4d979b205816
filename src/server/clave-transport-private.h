/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-request-stream.h"
#include "clave-transport.h"

G_BEGIN_DECLS

/* Shared by clave-transport.c (connections, requests, accepting,
 * notices) and clave-transport-handshake.c (TLS handshakes: admission,
 * turns, stalled addresses). Not for other modules. */

#define CONNECTION_KEY        "clave-transport-connection"
#define HSTS_VALUE            "max-age=31536000"
/* Accepts per wake-up of the listening socket, so that a flood of
 * connections does not starve the requests in progress. */
#define ACCEPT_BATCH          32
#define LISTEN_BACKLOG        1024
/* Out of descriptors: wait this long before accepting again, and warn at
 * most this often. */
#define ACCEPT_PAUSE_MS       1000
#define ACCEPT_WARN_US        (60 * G_USEC_PER_SEC)
/* After an answer before the body: time to write it and read what the
 * client still sends, and how much of that to read. */
#define EARLY_ANSWER_MS       2000
#define LINGER_MAX_BYTES      (1024 * 1024)
/* A polite close (TLS close_notify) that takes longer becomes abrupt. */
#define CLOSE_NOTIFY_MS       2000
/* Connections refused, closed to make room, or cut off by a timeout are
 * logged one by one up to this many a minute; past that they are
 * counted, and the count logged with the first of the next minute (or at
 * shutdown): a flood must not flood the log too. */
#define NOTICE_WINDOW_US      (60 * G_USEC_PER_SEC)
#define NOTICES_PER_WINDOW    20
/* Handshakes running in GLib's GTask threads at once, in all and from
 * one address (what --max-connections-per-address counts). The pool has
 * 10 threads before it starts growing, slowly; 6 leave 4 at all times
 * for the device signature checks (clave_device_auth_check_run_async()),
 * the TLS close_notify of closing connections and GLib's own tasks,
 * whatever clients do. A handshake holds its thread from the ClientHello
 * to the client's last flight, one round trip (TLS 1.3) or two (TLS 1.2)
 * and a millisecond or two of work: 6 at once are some hundreds of
 * handshakes a second with clients 20 ms away, some tens with clients on
 * a slow mobile link 300 ms away; one address (a NAT) has 2 at once. */
#define HANDSHAKES_AT_ONCE    6
#define HANDSHAKES_PER_BUCKET 2
/* A client that stalls mid-handshake (after its ClientHello) would hold
 * its turn until --handshake-timeout: three addresses, two stalled
 * handshakes each, would keep every other client from shaking hands. So
 * while handshakes wait for a turn, one that has had its thread this long
 * loses it, and its connection is closed: some ten round trips of a slow
 * mobile link. */
#define HANDSHAKE_TURN_MS     3000
/* An address (IPv6: its /64, and its /48) whose handshake stalled in its
 * thread (lost its turn, or reached --handshake-timeout there) has its
 * handshakes start after everyone else's for this long: the few
 * addresses of one attacker stall the others once, not over and over. */
#define STALLED_MEMORY_US     (60 * G_USEC_PER_SEC)
/* Marks of stalled addresses past which the expired ones are dropped. */
#define STALLED_MARKS_KEPT    256
/* The first TLS record: a 5-byte header (content type, version, length)
 * and at most 2^14 bytes (RFC 8446 section 5.1); a ClientHello comes in a
 * handshake record (22), its first byte the message type (1). */
#define TLS_RECORD_HEADER     5
#define TLS_RECORD_MAX        16384
#define TLS_HANDSHAKE         22
#define TLS_CLIENT_HELLO      1
/* Should the system refuse SO_RCVLOWAT, a part of a first record is
 * looked at again this often rather than on every wake-up. */
#define HELLO_POLL_MS         100
/* IPv6: besides the /64 that --max-connections-per-address counts, a /48
 * (what one site or customer is usually given: 65,536 /64s) may have
 * this many times as many connections, so that one site cannot take
 * them all by spreading over its /64s. */
#define SITE_FACTOR           4

typedef enum {
  CONN_HANDSHAKE,      /* --handshake-timeout: waiting for the whole first
                        * record, for a turn, then in a thread */
  CONN_WAITING,        /* no byte of the next request: --header-timeout
                        * for the first, --idle-timeout after one */
  CONN_HEAD,           /* --header-timeout */
  CONN_BODY,           /* --body-timeout */
  CONN_HANDLING,       /* the routes answer: long polls, the push channel */
  CONN_EARLY_ANSWER,   /* answered before the body: writing, lingering */
  CONN_CLOSING,
} ConnState;

typedef struct {
  ClaveTransport     *transport;   /* not a reference: it ends every connection */
  ConnState           state;
  GSocket            *socket;
  GIOStream          *tcp;
  GTlsConnection     *tls;
  GSocketAddress     *local;
  GSocketAddress     *remote;
  char               *address;     /* for the log */
  char               *bucket;      /* what --max-connections-per-address counts */
  char               *site;        /* IPv6: its /48, counted too (SITE_FACTOR) */
  GCancellable       *cancellable; /* handshake, early answer, close */
  GSource            *hello;       /* waiting for the whole first TLS record */
  int                 hello_lowat; /* SO_RCVLOWAT meanwhile; 0: never set (1) */
  GList               turn;        /* its link in turn_in */
  gint64              turn_start;  /* when its handshake got a thread */
  GQueue             *turn_in;     /* the transport's waiting or running
                                    * handshakes, or NULL */
  GList               place;       /* its link in place_in */
  GQueue             *place_in;    /* the transport's fresh or idle
                                    * connections, or NULL */
  GSource            *timer;
  GSource            *step;
  GSource            *drain;
  ClaveRequestStream *stream;      /* weak: the stream libsoup has */
  SoupServerMessage  *msg;         /* weak: its message */
  GIOStream          *stolen;      /* libsoup's stream, for an early answer */
  GBytes             *answer;      /* the early answer */
  GBytes             *pending;     /* the start of the next request */
  gsize               drained;
  guint               n_requests;
  /* TLS operations running in GLib's threads (handshake, close_notify,
   * writes): the socket may only be shut down, not closed, under them. */
  guint               in_thread;
  gboolean            reusable;    /* the last answer lets another request come */
  gboolean            abrupt;      /* no close_notify: the client is gone or stalled */
  gboolean            finished;
} ClaveConnection;

/* Counts per --max-connections-per-address bucket (and per IPv6 /48). */
typedef struct {
  guint connections;
  guint handshakes;    /* running in threads */
  guint waiting;       /* handshakes waiting for a turn */
} BucketCount;

struct _ClaveTransport
{
  GObject               parent_instance;

  SoupServer           *soup;
  GTlsCertificate      *certificate;
  ClaveTransportLimits  limits;
  guint                 max_connections;   /* limits' total cap, fit to RLIMIT_NOFILE */
  GSocket              *listener;
  GInetSocketAddress   *address;
  GSource              *accept_source;
  GSource              *accept_pause;
  gint64                last_accept_warning;
  gint64                notice_window;     /* when the current minute of notices began */
  guint                 notices;           /* logged in it */
  guint                 notices_dropped;   /* not logged in it */
  GHashTable           *connections;       /* ClaveConnection* (a reference each) */
  GHashTable           *per_bucket;        /* bucket or site -> BucketCount */
  guint                 handshakes;        /* running in threads */
  GQueue                waiting;           /* handshakes waiting for a turn, first come
                                            * first */
  GQueue                running;           /* handshakes in threads, oldest first */
  GSource              *turns_check;       /* the next end of a turn (HANDSHAKE_TURN_MS) */
  GHashTable           *stalled;           /* bucket or site -> gint64 end of the mark */
  GQueue                fresh;             /* no request started yet, oldest first */
  GQueue                idle;              /* between two requests, idle longest first */
  ClaveConnection      *accepting;         /* during soup_server_accept_iostream () */
  gboolean              shut_down;
};

BucketCount *
_clave_transport_bucket_get (ClaveTransport *self,
                             const char     *bucket);

void
_clave_transport_bucket_release (ClaveTransport *self,
                                 const char     *bucket);

void
_clave_transport_clear_source (GSource **source);

GSource *
_clave_transport_conn_attach (ClaveConnection *conn,
                              GSource         *source,
                              GSourceFunc      func);

void
_clave_transport_conn_close (ClaveConnection *conn);

void
_clave_transport_conn_finish (ClaveConnection *conn);

ClaveConnection *
_clave_transport_conn_ref (ClaveConnection *conn);

void
_clave_transport_conn_serve (ClaveConnection *conn);

void
_clave_transport_conn_thread_done (ClaveConnection *conn);

void
_clave_transport_conn_unref (ClaveConnection *conn);

void
_clave_transport_handshake_done (GObject      *source,
                                 GAsyncResult *result,
                                 gpointer      user_data);

void
_clave_transport_handshakes_next (ClaveTransport *self);

void
_clave_transport_hello_watch (ClaveConnection *conn);

void
_clave_transport_mark_stalled (ClaveTransport  *self,
                               ClaveConnection *conn);

void
_clave_transport_notice (ClaveTransport *self,
                         const char     *format,
                         ...) G_GNUC_PRINTF (2, 3);

void
_clave_transport_queue_join (GQueue          **in,
                             GList            *link,
                             GQueue           *queue,
                             ClaveConnection  *conn);

void
_clave_transport_queue_leave (GQueue **in,
                              GList   *link);

/* clave-transport.c: a connection's timer (@ms 0: none), whether it may
 * be closed to make room (and counted idle), and a GClosureNotify that
 * drops a reference to a connection. */
void _clave_transport_conn_set_timer       (ClaveConnection *conn,
                                            guint            ms);
void _clave_transport_conn_set_evictable   (ClaveConnection *conn,
                                            gboolean         evictable,
                                            gboolean         idle);
void _clave_transport_conn_unref_closure   (gpointer         data,
                                            GClosure        *closure);

/* clave-transport-serve.c: follows libsoup's requests on the transport's
 * server (started, finished, aborted). */
void _clave_transport_watch_requests       (ClaveTransport  *self);

G_END_DECLS
