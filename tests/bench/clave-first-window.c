/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Clave Desktop as it starts, the real application from libclave-app,
 * printing "first-frame" once its first window's first frame is on the
 * screen (bench-first-window's subject).
 */

#include "config.h"

#include <glib/gi18n.h>

#include "bench-first-frame.h"
#include "clave-application.h"

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window)
{
  bench_report_first_frame (window);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ClaveApplication) app = NULL;

  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = clave_application_new ();
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
