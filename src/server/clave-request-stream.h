/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The stream clave-transport.c hands libsoup for ONE request of a
 * connection (see the comment at the top of clave-transport.c for why):
 * it reads and writes through @base, the client's TLS connection, but
 * closing it only tells its owner that libsoup let go ("released"); the
 * TLS connection stays open for the next request.
 *
 * It is a GTlsConnection itself, one whose handshake is done and whose
 * properties are @base's: libsoup takes a connection for HTTPS (request
 * URIs, redirects) when its stream is one.
 *
 * Reads never hand out more than the reader may consume of this
 * request: bytes read from @base past what the reader takes stay in the
 * stream (clave_request_stream_steal_pending()) for the next one, and
 * with line reads on (the request head and chunked bodies) a read ends at
 * the first "\n", so that libsoup's own read-ahead buffer never holds the
 * start of a pipelined request when it drops the stream.
 *
 * Signals: "first-data" once, when the first byte goes to the reader;
 * "released" once, when the reader closes or drops the stream. */
#define CLAVE_TYPE_REQUEST_STREAM (clave_request_stream_get_type ())
G_DECLARE_FINAL_TYPE (ClaveRequestStream, clave_request_stream, CLAVE, REQUEST_STREAM,
                      GTlsConnection)

/* @base: a TLS connection after its handshake. @pending: bytes already
 * read from @base for this request (may be NULL). */
ClaveRequestStream *clave_request_stream_new           (GTlsConnection     *base,
                                                        GBytes             *pending);
void                clave_request_stream_set_line_reads (ClaveRequestStream *self,
                                                        gboolean            line_reads);
/* From now on every read fails with @error, and a reader waiting for
 * data wakes up to see it. */
void                clave_request_stream_fail          (ClaveRequestStream *self,
                                                        const GError       *error);
/* The bytes read from the base but not by the reader (NULL: none). */
GBytes             *clave_request_stream_steal_pending (ClaveRequestStream *self);
/* TRUE once a read of the base met the end of the stream or an error:
 * the connection cannot carry another request. */
gboolean            clave_request_stream_base_ended    (ClaveRequestStream *self);

G_END_DECLS
