/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Gives the widgets GTK 4.8 and libadwaita 1.2 leave badly named a clean
 * accessible name (mnemonic buttons and check buttons, some libadwaita
 * parts) and toggle buttons their pressed state, as each is mapped.
 * Once per process; later calls do nothing. */
void clave_accessible_names_install (void);

G_END_DECLS
