/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and, for a folder, everything under it (symbolic links
 * are removed, never followed). Safe on NULL and on a missing path. */
void clave_test_remove_tree (const char *path);

G_END_DECLS
