/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "clave-log.h"

static GLogLevelFlags log_threshold = G_LOG_LEVEL_INFO;

gboolean
clave_log_level_parse (const char     *name,
                       GLogLevelFlags *threshold)
{
  static const struct {
    const char     *name;
    GLogLevelFlags  level;
  } levels[] = {
    { "error", G_LOG_LEVEL_CRITICAL },
    { "warning", G_LOG_LEVEL_MESSAGE },
    { "info", G_LOG_LEVEL_INFO },
    { "debug", G_LOG_LEVEL_DEBUG },
  };

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (levels); i++)
    if (g_ascii_strcasecmp (name, levels[i].name) == 0)
      {
        *threshold = levels[i].level;
        return TRUE;
      }
  return FALSE;
}

/* GLib's levels grow less severe as the flag value grows. */
static gboolean
level_enabled (GLogLevelFlags level)
{
  GLogLevelFlags plain = level & G_LOG_LEVEL_MASK;

  return plain == 0 || plain <= log_threshold;
}

static GLogWriterOutput
writer (GLogLevelFlags   log_level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  static int use_journal = -1;
  g_autofree char *line = NULL;

  if (!level_enabled (log_level))
    return G_LOG_WRITER_HANDLED;

  if (use_journal < 0)
    use_journal = g_log_writer_is_journald (fileno (stderr)) ? 1 : 0;
  if (use_journal == 1 &&
      g_log_writer_journald (log_level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;

  line = g_log_writer_format_fields (log_level, fields, n_fields,
                                     g_log_writer_supports_color (fileno (stderr)));
  fprintf (stderr, "%s\n", line);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

void
clave_log_init (GLogLevelFlags threshold)
{
  log_threshold = threshold;
  /* Let GLib's default handler pass debug and info messages of other
   * libraries on to the writer, which filters by level instead of
   * G_MESSAGES_DEBUG. */
  g_log_set_debug_enabled (threshold >= G_LOG_LEVEL_INFO);
  g_log_set_writer_func (writer, NULL, NULL);
}
