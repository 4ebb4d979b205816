/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

/* Prints "first-frame" on stdout when @window's first frame has been
 * painted, then quits the application. Shared by both sides of
 * bench-first-window, so that they are measured alike. */
void bench_report_first_frame (GtkWindow *window);
