/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-desktop"

#include "config.h"

#include <locale.h>
#include <signal.h>

#include <glib/gi18n.h>

#include "clave-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ClaveApplication) app = NULL;

  /* The desktop's language, also for what --diagnose prints before (or
   * without) gtk_init(); the catalogue is found here. */
  setlocale (LC_ALL, "");
  /* libpcsclite writes to pcscd's socket with write(): a smart card
   * service that restarts or drops a client would otherwise kill the app
   * with SIGPIPE instead of failing that one call with EPIPE. */
  signal (SIGPIPE, SIG_IGN);
  /* Run from the build tree (build-aux/run-demo.sh), the catalogues are
   * the build's, not yet installed: CLAVE_DESKTOP_LOCALEDIR names them. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("CLAVE_DESKTOP_LOCALEDIR") != NULL
                                   ? g_getenv ("CLAVE_DESKTOP_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = clave_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
