/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* clave-server's connections: it listens, runs the TLS handshake, counts
 * and times every connection, and hands each request to @soup (see the
 * comment at the top of clave-transport.c). The defaults are those of
 * clave-server's options (docs/clave-server.1). */
#define CLAVE_TRANSPORT_HANDSHAKE_TIMEOUT_DEFAULT     10
#define CLAVE_TRANSPORT_HEADER_TIMEOUT_DEFAULT        10
#define CLAVE_TRANSPORT_BODY_TIMEOUT_DEFAULT          30
#define CLAVE_TRANSPORT_IDLE_TIMEOUT_DEFAULT          60
#define CLAVE_TRANSPORT_SEND_TIMEOUT_DEFAULT          30
#define CLAVE_TRANSPORT_MAX_CONNECTIONS_DEFAULT       1024
#define CLAVE_TRANSPORT_MAX_PER_ADDRESS_DEFAULT       64
/* The bounds clave-server accepts for them. */
#define CLAVE_TRANSPORT_TIMEOUT_MAX                   3600
#define CLAVE_TRANSPORT_CONNECTIONS_MAX               65536
/* Descriptors the service needs besides one per connection: the
 * listening socket, the database with its journal, the log, the pipes of
 * --sms-command, GLib's wake-up descriptors. */
#define CLAVE_TRANSPORT_RESERVED_FDS                  64

typedef struct {
  guint handshake_timeout;             /* seconds to finish the TLS handshake */
  guint header_timeout;                /* seconds for a whole request head */
  guint body_timeout;                  /* seconds for a whole request body */
  guint idle_timeout;                  /* seconds between two requests */
  guint send_timeout;                  /* seconds an answer may wait for a client that does
                                        * not read it (TCP_USER_TIMEOUT) */
  guint max_connections;               /* open at once, in all: at the cap, a newcomer
                                        * takes the place of a connection with no
                                        * request under way, if there is one */
  guint max_connections_per_address;   /* open at once from one address (IPv6: one /64;
                                        * a /48 has four times as many) */
} ClaveTransportLimits;

#define CLAVE_TYPE_TRANSPORT (clave_transport_get_type ())
G_DECLARE_FINAL_TYPE (ClaveTransport, clave_transport, CLAVE, TRANSPORT, GObject)

ClaveTransport     *clave_transport_new         (SoupServer                 *soup,
                                                 GTlsCertificate            *certificate,
                                                 const ClaveTransportLimits *limits);
/* Listens on @address (port 0: a free one). Raises the soft limit of
 * open files to what the caps need, or lowers the total cap (with a
 * warning) when the hard limit is lower. */
gboolean            clave_transport_listen      (ClaveTransport             *self,
                                                 GInetSocketAddress         *address,
                                                 GError                    **error);
/* Where it listens, the port filled in. */
GInetSocketAddress *clave_transport_get_address (ClaveTransport             *self);
/* Stops listening and closes every connection. */
void                clave_transport_shutdown    (ClaveTransport             *self);

G_END_DECLS
