/* SPDX-License-Identifier: GPL-3.0-or-later */

#include <stdio.h>

#include "bench-first-frame.h"

static void
on_after_paint (GdkFrameClock *clock,
                GtkWindow     *window)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (window));

  g_signal_handlers_disconnect_by_func (clock, on_after_paint, window);
  fputs ("first-frame\n", stdout);
  fflush (stdout);
  if (app != NULL)
    g_application_quit (app);
}

static void
on_realize (GtkWidget *window)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (on_after_paint), window);
}

void
bench_report_first_frame (GtkWindow *window)
{
  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    on_realize (GTK_WIDGET (window));
  else
    g_signal_connect (window, "realize", G_CALLBACK (on_realize), NULL);
}
