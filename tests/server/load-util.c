/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clave-http-sig.h"
#include "load-util.h"

struct _LoadConn
{
  int                               fd;
  gnutls_session_t                  session;
  gnutls_certificate_credentials_t  credentials;
  GString                          *in;   /* read, not yet consumed */
};

void
load_conn_free (LoadConn *conn)
{
  if (conn == NULL)
    return;
  if (conn->session != NULL)
    {
      gnutls_bye (conn->session, GNUTLS_SHUT_WR);
      gnutls_deinit (conn->session);
    }
  if (conn->credentials != NULL)
    gnutls_certificate_free_credentials (conn->credentials);
  if (conn->fd >= 0)
    close (conn->fd);
  g_string_free (conn->in, TRUE);
  g_free (conn);
}

static gboolean
gnutls_failed (int          ret,
               const char  *what,
               GError     **error)
{
  if (ret >= 0)
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, gnutls_strerror (ret));
  return TRUE;
}

LoadConn *
load_conn_open (guint16      port,
                const char  *ca_file,
                GError     **error)
{
  g_autoptr(LoadConn) conn = g_new0 (LoadConn, 1);
  struct sockaddr_in address = { .sin_family = AF_INET };
  int one = 1;
  int ret;

  conn->in = g_string_new (NULL);
  conn->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (conn->fd < 0 || connect (conn->fd, (struct sockaddr *) &address, sizeof address) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "connect: %s",
                   g_strerror (saved));
      return NULL;
    }
  setsockopt (conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  if (gnutls_failed (gnutls_certificate_allocate_credentials (&conn->credentials),
                     "credentials", error))
    return NULL;
  ret = gnutls_certificate_set_x509_trust_file (conn->credentials, ca_file, GNUTLS_X509_FMT_PEM);
  if (ret <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read the CA %s", ca_file);
      return NULL;
    }
  if (gnutls_failed (gnutls_init (&conn->session, GNUTLS_CLIENT), "init", error) ||
      gnutls_failed (gnutls_set_default_priority (conn->session), "priority", error) ||
      gnutls_failed (gnutls_credentials_set (conn->session, GNUTLS_CRD_CERTIFICATE,
                                             conn->credentials), "credentials", error))
    return NULL;
  gnutls_session_set_verify_cert (conn->session, NULL, 0);
  gnutls_transport_set_int (conn->session, conn->fd);
  do
    ret = gnutls_handshake (conn->session);
  while (ret < 0 && !gnutls_error_is_fatal (ret));
  if (gnutls_failed (ret, "handshake", error))
    return NULL;
  return g_steal_pointer (&conn);
}

static gboolean
read_more (LoadConn  *conn,
           GError   **error)
{
  char buffer[16384];
  ssize_t n;

  do
    n = gnutls_record_recv (conn->session, buffer, sizeof buffer);
  while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
  if (n == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                           "The service closed the connection");
      return FALSE;
    }
  if (gnutls_failed ((int) n, "read", error))
    return FALSE;
  g_string_append_len (conn->in, buffer, n);
  return TRUE;
}

gboolean
load_conn_exchange (LoadConn    *conn,
                    const char  *request,
                    gsize        len,
                    guint       *status,
                    char       **body,
                    GError     **error)
{
  const char *end = NULL;
  gsize head_len, body_len = 0;
  g_autofree char *head = NULL;
  g_auto(GStrv) lines = NULL;

  for (gsize sent = 0; sent < len;)
    {
      ssize_t n = gnutls_record_send (conn->session, request + sent, len - sent);

      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        continue;
      if (gnutls_failed ((int) n, "write", error))
        return FALSE;
      sent += (gsize) n;
    }

  while ((end = g_strstr_len (conn->in->str, conn->in->len, "\r\n\r\n")) == NULL)
    if (!read_more (conn, error))
      return FALSE;
  head_len = (gsize) (end - conn->in->str) + 4;

  head = g_strndup (conn->in->str, head_len - 4);
  lines = g_strsplit (head, "\r\n", -1);
  if (lines[0] == NULL || sscanf (lines[0], "HTTP/1.1 %u", status) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not an HTTP answer: %.40s",
                   conn->in->str);
      return FALSE;
    }
  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], "Content-Length:", 15) == 0)
      body_len = (gsize) g_ascii_strtoull (lines[i] + 15, NULL, 10);

  while (conn->in->len < head_len + body_len)
    if (!read_more (conn, error))
      return FALSE;
  if (body != NULL)
    *body = g_strndup (conn->in->str + head_len, body_len);
  g_string_erase (conn->in, 0, (gssize) (head_len + body_len));
  return TRUE;
}

char *
load_request (const char *authority,
              const char *method,
              const char *path,
              const char *bearer,
              const char *json)
{
  g_autofree char *authorization = bearer != NULL
                                   ? g_strdup_printf ("Authorization: Bearer %s\r\n", bearer)
                                   : NULL;
  g_autofree char *content = json != NULL
                             ? g_strdup_printf ("Content-Type: application/json\r\n"
                                                "Content-Length: %zu\r\n", strlen (json))
                             : NULL;

  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n%s", method, path, authority,
                          authorization != NULL ? authorization : "",
                          content != NULL ? content : "", json != NULL ? json : "");
}

char *
load_signed_request (const char *authority,
                     TestDevice *device,
                     const char *method,
                     const char *path,
                     const char *json)
{
  g_autofree char *target = g_strconcat ("https://", authority, path, NULL);
  g_autoptr(ClaveHttpSigHeaders) sig = test_device_sign (device, method, target,
                                                         json != NULL ? json : "");
  g_autofree char *content = json != NULL
                             ? g_strdup_printf ("Content-Type: application/json\r\n"
                                                "Content-Length: %zu\r\n", strlen (json))
                             : NULL;

  return g_strdup_printf ("%s %s HTTP/1.1\r\nHost: %s\r\n%s"
                          "Content-Digest: %s\r\nSignature-Input: %s\r\nSignature: %s\r\n\r\n%s",
                          method, path, authority, content != NULL ? content : "",
                          sig->content_digest, sig->signature_input, sig->signature,
                          json != NULL ? json : "");
}

gint64
load_proc_rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  line = strstr (text, "\nVmRSS:");
  return line != NULL ? g_ascii_strtoll (line + 7, NULL, 10) : -1;
}

int
load_proc_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  int n = 0;

  if (dir == NULL)
    return -1;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

double
load_proc_cpu_secs (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  /* The name may hold spaces: fields count from after its ")". */
  after_name = strrchr (text, ')');
  if (after_name == NULL)
    return -1;
  fields = g_strsplit (after_name + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return -1;
  /* utime and stime, the 14th and 15th fields of the line. */
  return (double) (g_ascii_strtoull (fields[11], NULL, 10) +
                   g_ascii_strtoull (fields[12], NULL, 10)) / (double) sysconf (_SC_CLK_TCK);
}

double
load_self_cpu_secs (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (double) usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         (double) usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

char *
load_loadavg (void)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  fields = g_strsplit (text, " ", 4);
  if (g_strv_length (fields) < 3)
    return g_strdup ("?");
  return g_strdup_printf ("%s %s %s", fields[0], fields[1], fields[2]);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

double
load_percentile (GArray *values,
                 double  p)
{
  guint i;

  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_doubles);
  i = (guint) (p * (values->len - 1) + 0.5);
  return g_array_index (values, double, MIN (i, values->len - 1));
}
