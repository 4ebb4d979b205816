/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Parses "error", "warning", "info" or "debug". */
gboolean clave_log_level_parse (const char      *name,
                                GLogLevelFlags  *threshold);
/* Sends every log message (structured or not) of this process to stderr,
 * or to the journal when stderr is connected to it, dropping those less
 * severe than @threshold. stdout is left alone. */
void     clave_log_init        (GLogLevelFlags   threshold);

G_END_DECLS
