/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clave-limits.h"
#include "clave-log.h"
#include "clave-server.h"
#include "clave-state.h"
#include "clave-tls.h"
#include "clave-transport.h"

/* The SMS text states the TTL; more than a day makes no sense for a code
 * and would let the number grow to six digits, like the code. */
#define MAX_SMS_CODE_TTL      86400
#define MAX_RESEND_INTERVAL   3600

/* TLS 1.2 or later, and only AEAD cipher suites (docs/protocol.md
 * "Transport"). glib-networking gives no way to choose the versions or
 * suites of a server connection, but GnuTLS applies the [overrides] of
 * its system-wide configuration file to every session; it reads that
 * file, named by GNUTLS_SYSTEM_PRIORITY_FILE, when the library loads. So
 * clave-server writes its own file and, unless it was already started
 * with it, runs itself again with the variable set. Without SHA-1 as a
 * MAC and without the CBC ciphers, GnuTLS's NORMAL keeps GCM, CCM and
 * ChaCha20-Poly1305 (TLS 1.2 CBC is the Lucky Thirteen family and has
 * nothing a client of this service needs). */
#define TLS_POLICY_FILE_NAME  "gnutls-priority.conf"
#define TLS_POLICY                                                           \
  "# Written by clave-server (docs/security.md): TLS 1.2 or later, AEAD\n" \
  "# cipher suites only.\n"                                                 \
  "[overrides]\n"                                                            \
  "disabled-version = tls1.0\n"                                              \
  "disabled-version = tls1.1\n"                                              \
  "tls-disabled-mac = sha1\n"                                                \
  "tls-disabled-cipher = aes-128-cbc\n"                                      \
  "tls-disabled-cipher = aes-256-cbc\n"                                      \
  "tls-disabled-cipher = camellia-128-cbc\n"                                 \
  "tls-disabled-cipher = camellia-256-cbc\n"                                 \
  "tls-disabled-cipher = 3des-cbc\n"
#define GNUTLS_PRIORITY_FILE_ENV "GNUTLS_SYSTEM_PRIORITY_FILE"
/* Set in the environment of the second run only: it must not run itself
 * a third time. */
#define TLS_POLICY_REEXEC_ENV "CLAVE_SERVER_TLS_POLICY_REEXEC"

static gboolean
on_quit_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_info ("Stopping");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static int
fail (const char *message)
{
  g_printerr ("clave-server: %s\n", message);
  return 1;
}

/* Checks one option of seconds or a count, in [@min, @max]. */
static gboolean
option_in_range (const char *name,
                 int         value,
                 int         min,
                 int         max,
                 guint      *out)
{
  if (value < min || value > max)
    {
      g_printerr ("clave-server: %s must be between %d and %d\n", name, min, max);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

/* Returns TRUE when GnuTLS runs with the TLS policy; otherwise replaces
 * the process (same pid, same stdout for the "listening on" line) with a
 * run that does, or fails. */
static gboolean
apply_tls_policy (const char  *state_dir,
                  char       **original_argv,
                  GError     **error)
{
  g_autofree char *tls_dir = g_build_filename (state_dir, "tls", NULL);
  g_autofree char *path = g_build_filename (tls_dir, TLS_POLICY_FILE_NAME, NULL);
  g_autofree char *current = NULL;
  gboolean up_to_date;

  if (!clave_state_dir_prepare (tls_dir, error))
    return FALSE;

  up_to_date = g_file_get_contents (path, &current, NULL, NULL) &&
               g_str_equal (current, TLS_POLICY);

  /* The file was there, as it is now, when GnuTLS loaded: nobody else
   * writes in the private state directory. */
  if (up_to_date && g_strcmp0 (g_getenv (GNUTLS_PRIORITY_FILE_ENV), path) == 0)
    {
      g_unsetenv (TLS_POLICY_REEXEC_ENV);
      g_debug ("TLS policy %s in force", path);
      return TRUE;
    }

  if (!up_to_date && !clave_state_write_private (path, TLS_POLICY, strlen (TLS_POLICY), error))
    return FALSE;

  if (g_getenv (TLS_POLICY_REEXEC_ENV) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Started again with %s=%s, but GnuTLS still does not use it",
                   GNUTLS_PRIORITY_FILE_ENV, path);
      return FALSE;
    }

  g_debug ("Starting again with %s=%s", GNUTLS_PRIORITY_FILE_ENV, path);
  g_setenv (GNUTLS_PRIORITY_FILE_ENV, path, TRUE);
  g_setenv (TLS_POLICY_REEXEC_ENV, "1", TRUE);
  execv ("/proc/self/exe", original_argv);

  {
    int saved_errno = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 "Cannot start again with the TLS policy (/proc/self/exe): %s",
                 g_strerror (saved_errno));
  }
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveServerConfig) config = clave_server_config_new ();
  g_autoptr(ClaveServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *address = NULL;
  g_autofree char *log_level = NULL;
  g_autofree char *sms_command = NULL;
  g_autofree char *mail_command = NULL;
  g_autofree char *trust_anchors = NULL;
  g_autofree char *intermediates = NULL;
  g_auto(GStrv) hostnames = NULL;
  /* Option parsing removes what it reads; a second run needs it all. */
  g_auto(GStrv) original_argv = g_strdupv (argv);
  int port = 8443;
  int resend_interval = CLAVE_SMS_RESEND_INTERVAL_DEFAULT;
  int code_ttl = CLAVE_SMS_CODE_TTL_SECS;
  int handshake_timeout = CLAVE_TRANSPORT_HANDSHAKE_TIMEOUT_DEFAULT;
  int header_timeout = CLAVE_TRANSPORT_HEADER_TIMEOUT_DEFAULT;
  int body_timeout = CLAVE_TRANSPORT_BODY_TIMEOUT_DEFAULT;
  int idle_timeout = CLAVE_TRANSPORT_IDLE_TIMEOUT_DEFAULT;
  int send_timeout = CLAVE_TRANSPORT_SEND_TIMEOUT_DEFAULT;
  int max_connections = CLAVE_TRANSPORT_MAX_CONNECTIONS_DEFAULT;
  int max_per_address = CLAVE_TRANSPORT_MAX_PER_ADDRESS_DEFAULT;
  int retention_days = CLAVE_REQUEST_RETENTION_DAYS_DEFAULT;
  gboolean print_ca_path = FALSE;
  gboolean version = FALSE;
  GLogLevelFlags threshold = G_LOG_LEVEL_INFO;
  guint sigint_id, sigterm_id;
  const GOptionEntry entries[] = {
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Directory for the database, keys and certificates (required)", "DIR" },
    { "address", 0, 0, G_OPTION_ARG_STRING, &address,
      "IP address to listen on (default 127.0.0.1)", "ADDRESS" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port,
      "TCP port (default 8443; 0 picks a free one)", "PORT" },
    { "hostname", 0, 0, G_OPTION_ARG_STRING_ARRAY, &hostnames,
      "Extra name for the server certificate (repeatable)", "NAME" },
    { "log-level", 0, 0, G_OPTION_ARG_STRING, &log_level,
      "error, warning, info (default) or debug", "LEVEL" },
    { "sms-command", 0, 0, G_OPTION_ARG_STRING, &sms_command,
      "Program that sends an SMS: text on stdin, number in $CLAVE_SMS_TO", "CMD" },
    { "mail-command", 0, 0, G_OPTION_ARG_STRING, &mail_command,
      "Program that sends an e-mail: the message on stdin (as sendmail -t reads it), "
      "address in $CLAVE_MAIL_TO", "CMD" },
    { "sms-resend-interval", 0, 0, G_OPTION_ARG_INT, &resend_interval,
      "Seconds before a code may be sent again (default 30)", "SECS" },
    { "sms-code-ttl", 0, 0, G_OPTION_ARG_INT, &code_ttl,
      "Seconds an SMS code stays valid (default 300)", "SECS" },
    { "trust-anchors", 0, 0, G_OPTION_ARG_FILENAME, &trust_anchors,
      "Directory of CA certificates (PEM or DER) that certificate and DNIe proofs must "
      "chain to; without it only SMS is offered", "DIR" },
    { "intermediates", 0, 0, G_OPTION_ARG_FILENAME, &intermediates,
      "Directory of intermediate CA certificates (PEM or DER) that complete the chains of "
      "proofs, never trusted by themselves (default: \"intermediates\" beside "
      "--trust-anchors, if there is one)", "DIR" },
    { "handshake-timeout", 0, 0, G_OPTION_ARG_INT, &handshake_timeout,
      "Seconds a client has to finish the TLS handshake (default 10)", "SECS" },
    { "header-timeout", 0, 0, G_OPTION_ARG_INT, &header_timeout,
      "Seconds a client has to send a whole request head (default 10)", "SECS" },
    { "body-timeout", 0, 0, G_OPTION_ARG_INT, &body_timeout,
      "Seconds a client has to send a whole request body (default 30)", "SECS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
      "Seconds a connection may wait for its next request (default 60)", "SECS" },
    { "send-timeout", 0, 0, G_OPTION_ARG_INT, &send_timeout,
      "Seconds an answer may wait for a client that does not read it (default 30)", "SECS" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
      "Connections open at once, in all (default 1024)", "N" },
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &max_per_address,
      "Connections open at once from one client address, an IPv6 /64 counting as one "
      "(default 64)", "N" },
    { "request-retention-days", 0, 0, G_OPTION_ARG_INT, &retention_days,
      "Days answered and expired requests of relying parties are kept, then deleted "
      "(default 180)", "DAYS" },
    { "print-ca-path", 0, 0, G_OPTION_ARG_NONE, &print_ca_path,
      "Create the CA if needed, print the path of its PEM file and exit", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  /* Everything this process creates (database, WAL, keys) is private. */
  umask (0077);
  /* A gateway command that exits without reading its stdin must not take
   * the service down with it. */
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new ("- the reference Cl@ve service");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error->message);

  if (version)
    {
      g_print ("clave-server %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (state_dir == NULL)
    return fail ("--state-dir is required");
  if (argc > 1)
    return fail ("unexpected arguments");
  if (log_level != NULL && !clave_log_level_parse (log_level, &threshold))
    return fail ("--log-level must be error, warning, info or debug");
  if (port < 0 || port > 65535)
    return fail ("--port must be between 0 and 65535");
  if (resend_interval < 0 || resend_interval > MAX_RESEND_INTERVAL)
    return fail ("--sms-resend-interval must be between 0 and 3600");
  if (code_ttl < 1 || code_ttl > MAX_SMS_CODE_TTL)
    return fail ("--sms-code-ttl must be between 1 and 86400");
  if (!option_in_range ("--handshake-timeout", handshake_timeout, 1,
                        CLAVE_TRANSPORT_TIMEOUT_MAX, &config->handshake_timeout) ||
      !option_in_range ("--header-timeout", header_timeout, 1, CLAVE_TRANSPORT_TIMEOUT_MAX,
                        &config->header_timeout) ||
      !option_in_range ("--body-timeout", body_timeout, 1, CLAVE_TRANSPORT_TIMEOUT_MAX,
                        &config->body_timeout) ||
      !option_in_range ("--idle-timeout", idle_timeout, 1, CLAVE_TRANSPORT_TIMEOUT_MAX,
                        &config->idle_timeout) ||
      !option_in_range ("--send-timeout", send_timeout, 1, CLAVE_TRANSPORT_TIMEOUT_MAX,
                        &config->send_timeout) ||
      !option_in_range ("--max-connections", max_connections, 1,
                        CLAVE_TRANSPORT_CONNECTIONS_MAX, &config->max_connections) ||
      !option_in_range ("--max-connections-per-address", max_per_address, 1,
                        CLAVE_TRANSPORT_CONNECTIONS_MAX, &config->max_connections_per_address) ||
      !option_in_range ("--request-retention-days", retention_days,
                        CLAVE_REQUEST_RETENTION_DAYS_MIN, CLAVE_REQUEST_RETENTION_DAYS_MAX,
                        &config->request_retention_days))
    return 1;

  clave_log_init (threshold);

  g_clear_pointer (&config->state_dir, g_free);
  config->state_dir = g_steal_pointer (&state_dir);
  if (address != NULL)
    {
      g_free (config->address);
      config->address = g_steal_pointer (&address);
    }
  config->port = (guint) port;
  config->hostnames = g_steal_pointer (&hostnames);
  config->sms_command = g_steal_pointer (&sms_command);
  config->mail_command = g_steal_pointer (&mail_command);
  config->sms_resend_interval = (guint) resend_interval;
  config->sms_code_ttl = (guint) code_ttl;
  config->trust_anchors = g_steal_pointer (&trust_anchors);
  config->intermediates = g_steal_pointer (&intermediates);

  if (print_ca_path)
    {
      g_autoptr(ClaveTlsFiles) files = NULL;

      if (!clave_state_dir_prepare (config->state_dir, &error))
        return fail (error->message);
      files = clave_tls_ensure (config->state_dir, (const char * const *) config->hostnames,
                                &error);
      if (files == NULL)
        return fail (error->message);
      g_print ("%s\n", files->ca_file);
      return 0;
    }

  if (!clave_state_dir_prepare (config->state_dir, &error) ||
      !apply_tls_policy (config->state_dir, original_argv, &error))
    return fail (error->message);

  server = clave_server_new (config, &error);
  if (server == NULL || !clave_server_listen (server, &error))
    return fail (error->message);

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  /* Exactly one line on stdout: supervisors and tests wait for it. */
  printf ("clave-server listening on %s\n", clave_server_get_url (server));
  fflush (stdout);
  g_info ("Listening on %s (CA %s)", clave_server_get_url (server),
          clave_server_get_ca_file (server));

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  clave_server_shutdown (server);
  g_clear_object (&server);
  g_info ("Stopped");
  return 0;
}
