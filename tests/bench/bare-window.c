/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The baseline of bench-first-window: a bare libadwaita window (header bar
 * and a status page, as a page of Clave Desktop shows), built the same way
 * as the real one, that prints "first-frame" once its first frame is on
 * the screen and quits.
 */

#include <stdio.h>

#include <adwaita.h>

#include "bench-first-frame.h"

static void
on_activate (GtkApplication *app)
{
  GtkWidget *window = adw_application_window_new (app);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *status = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (status), "Clave Desktop");
  adw_status_page_set_description (ADW_STATUS_PAGE (status), "A bare window");
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "auth-smartcard-symbolic");
  gtk_widget_set_vexpand (status, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), status);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 640);

  bench_report_first_frame (GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = adw_application_new ("io.github.clavedesktop.BareWindow",
                                                       G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
