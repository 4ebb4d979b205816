/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* clave-admin's whole program (main() only calls this): the registry
 * office's tool working on clave-server's state directory. Returns the
 * exit status: 0 done, 1 failed, 2 wrong usage. */
int clave_admin_run (int    argc,
                     char **argv);

G_END_DECLS
