/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and, for a folder, everything under it (symbolic links
 * are removed, never followed). Safe on NULL and on a missing path. */
void clave_test_remove_tree (const char *path);

/* A real PNG of @width × @height grey pixels of @shade (8-bit greyscale,
 * stored deflate blocks, every CRC and the Adler-32 right), as a camera
 * or a file chooser would hand one to the app. */
GBytes *clave_test_png_new (guint  width,
                            guint  height,
                            guint8 shade);

G_END_DECLS
