/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "server-test-util.h"

G_BEGIN_DECLS

/* What the service benchmarks and the load test share: a lean HTTP/1.1
 * client over TLS and readings of a process from /proc.
 *
 * The client is GnuTLS on a blocking socket, one connection per thread,
 * a request written in one piece and its answer read by Content-Length:
 * libsoup's client costs several times what the service does per
 * request and would measure itself. */
typedef struct _LoadConn LoadConn;

/* Connects to 127.0.0.1:@port and shakes hands, trusting @ca_file. */
LoadConn *load_conn_open     (guint16      port,
                              const char  *ca_file,
                              GError     **error);
void      load_conn_free     (LoadConn    *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadConn, load_conn_free)
/* Writes @request (a whole HTTP/1.1 request) and reads its answer: the
 * status and, if @body is not NULL, the body as a string. */
gboolean  load_conn_exchange (LoadConn    *conn,
                              const char  *request,
                              gsize        len,
                              guint       *status,
                              char       **body,
                              GError     **error);

/* A request with a JSON body (@json may be NULL: none) and, if not NULL,
 * "Authorization: Bearer @bearer". @authority is "127.0.0.1:PORT". */
char     *load_request        (const char  *authority,
                               const char  *method,
                               const char  *path,
                               const char  *bearer,
                               const char  *json);
/* The same signed by @device (docs/protocol.md "Device signatures"). */
char     *load_signed_request (const char  *authority,
                               TestDevice  *device,
                               const char  *method,
                               const char  *path,
                               const char  *json);

/* Readings of process @pid: resident memory (KiB), open descriptors, and
 * CPU time (user + system, seconds); -1 when unreadable. */
gint64    load_proc_rss_kib   (GPid         pid);
int       load_proc_fds       (GPid         pid);
double    load_proc_cpu_secs  (GPid         pid);
/* CPU time of this process, all threads. */
double    load_self_cpu_secs  (void);
/* The first three fields of /proc/loadavg. */
char     *load_loadavg        (void);

/* The value at fraction @p (0 to 1) of @values (doubles), which it
 * sorts. */
double    load_percentile     (GArray      *values,
                               double       p);

G_END_DECLS
