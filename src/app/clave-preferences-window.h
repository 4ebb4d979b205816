/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-application.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_PREFERENCES_WINDOW (clave_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (ClavePreferencesWindow, clave_preferences_window, CLAVE, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

ClavePreferencesWindow *clave_preferences_window_new (ClaveApplication *application);

/* Writes (@enabled) or removes the autostart entry
 * $XDG_CONFIG_HOME/autostart/APP_ID.desktop, which starts the
 * application with --background when the person logs in. */
gboolean clave_preferences_set_autostart (gboolean   enabled,
                                          GError   **error);

G_END_DECLS
