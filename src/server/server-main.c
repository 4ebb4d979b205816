/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "clave-limits.h"
#include "clave-log.h"
#include "clave-server.h"
#include "clave-state.h"
#include "clave-tls.h"

/* The SMS text states the TTL; more than a day makes no sense for a code
 * and would let the number grow to six digits, like the code. */
#define MAX_SMS_CODE_TTL      86400
#define MAX_RESEND_INTERVAL   3600

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
  g_auto(GStrv) hostnames = NULL;
  int port = 8443;
  int resend_interval = CLAVE_SMS_RESEND_INTERVAL_DEFAULT;
  int code_ttl = CLAVE_SMS_CODE_TTL_SECS;
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
    { "sms-resend-interval", 0, 0, G_OPTION_ARG_INT, &resend_interval,
      "Seconds before a code may be sent again (default 30)", "SECS" },
    { "sms-code-ttl", 0, 0, G_OPTION_ARG_INT, &code_ttl,
      "Seconds an SMS code stays valid (default 300)", "SECS" },
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
  config->sms_resend_interval = (guint) resend_interval;
  config->sms_code_ttl = (guint) code_ttl;

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
