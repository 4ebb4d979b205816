/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "clave-demo-resources.h"
#include "clave-demo-template.h"

#define RESOURCE_DIR "/io/github/clavedesktop/ClaveServer/demo/"
#define MAX_VARIABLES 16

typedef struct {
  const char *name;
  const char *value;
  gboolean    used;
} Variable;

static Variable *
find_variable (Variable   *variables,
               guint       n_variables,
               const char *name,
               gsize       len)
{
  for (guint i = 0; i < n_variables; i++)
    if (strlen (variables[i].name) == len && strncmp (variables[i].name, name, len) == 0)
      return &variables[i];
  return NULL;
}

static void
render (GString    *out,
        const char *template_name,
        const char *text,
        Variable   *variables,
        guint       n_variables)
{
  const char *p = text;
  const char *open;

  while ((open = strstr (p, "{{")) != NULL)
    {
      gboolean raw = open[2] == '{';
      const char *name = open + (raw ? 3 : 2);
      const char *close = strstr (name, raw ? "}}}" : "}}");
      Variable *variable;

      g_string_append_len (out, p, open - p);
      if (close == NULL)
        {
          g_critical ("Template %s: unclosed placeholder", template_name);
          return;
        }
      variable = find_variable (variables, n_variables, name, (gsize) (close - name));
      if (variable == NULL)
        g_critical ("Template %s: no value for %.*s", template_name, (int) (close - name), name);
      else
        {
          variable->used = TRUE;
          if (variable->value != NULL && raw)
            g_string_append (out, variable->value);
          else if (variable->value != NULL)
            {
              g_autofree char *escaped = g_markup_escape_text (variable->value, -1);

              g_string_append (out, escaped);
            }
        }
      p = close + (raw ? 3 : 2);
    }
  g_string_append (out, p);
}

char *
clave_demo_template_render (const char *name,
                            ...)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, name, NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *text = NULL;
  Variable variables[MAX_VARIABLES];
  guint n_variables = 0;
  const char *variable;
  va_list args;
  gsize len = 0;
  const char *data;

  va_start (args, name);
  while ((variable = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      g_assert (n_variables < MAX_VARIABLES);
      variables[n_variables++] = (Variable) { variable, value, FALSE };
    }
  va_end (args);

  bytes = g_resource_lookup_data (clave_demo_get_resource (), path,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (bytes == NULL)
    {
      g_critical ("Template %s: %s", name, error->message);
      return g_strdup ("");
    }
  data = g_bytes_get_data (bytes, &len);
  text = g_strndup (data, len);

  render (out, name, text, variables, n_variables);
  for (guint i = 0; i < n_variables; i++)
    if (!variables[i].used)
      g_critical ("Template %s: %s is not used", name, variables[i].name);
  return g_string_free (g_steal_pointer (&out), FALSE);
}
