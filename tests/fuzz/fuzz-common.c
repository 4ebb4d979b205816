/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-fuzz"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"

static GLogLevelFlags fatal_mask;
static gboolean verbose;
static char *tmp_dir;

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if (log_level & fatal_mask)
    {
      const char *domain = NULL, *message = NULL;

      for (gsize i = 0; i < n_fields; i++)
        {
          if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
            domain = fields[i].value;
          else if (g_str_equal (fields[i].key, "MESSAGE"))
            message = fields[i].value;
        }
      fprintf (stderr, "fuzz: fatal log message (%s): %s\n",
               domain != NULL ? domain : "?", message != NULL ? message : "?");
      abort ();
    }

  if (verbose)
    return g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
remove_tmp_dir (void)
{
  if (tmp_dir != NULL)
    remove_tree (tmp_dir);
}

void
fuzz_setup (GLogLevelFlags fatal_levels)
{
  static const struct {
    const char *variable;
    const char *subdir;
  } dirs[] = {
    { "HOME", "home" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_RUNTIME_DIR", "runtime" },
  };
  g_autoptr(GError) error = NULL;

  fatal_mask = fatal_levels | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR;
  verbose = g_getenv ("CLAVE_FUZZ_VERBOSE") != NULL;
  g_log_set_writer_func (log_writer, NULL, NULL);

  tmp_dir = g_dir_make_tmp ("clave-fuzz-XXXXXX", &error);
  if (tmp_dir == NULL)
    {
      fprintf (stderr, "fuzz: no temporary directory: %s\n", error->message);
      abort ();
    }
  atexit (remove_tmp_dir);

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (tmp_dir, dirs[i].subdir, NULL);

      g_mkdir_with_parents (path, 0700);
      g_setenv (dirs[i].variable, path, TRUE);
    }
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_setenv ("GIO_USE_VFS", "local", TRUE);
}

const char *
fuzz_tmp_dir (void)
{
  return tmp_dir;
}

void
fuzz_fail (const char *where,
           const char *condition,
           const char *format,
           ...)
{
  va_list args;

  fprintf (stderr, "fuzz: property violated at %s: %s\nfuzz: ", where, condition);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fprintf (stderr, "\n");
  fflush (stderr);
  abort ();
}

gboolean
fuzz_is_known (const char *finding)
{
  static GStrv names;

  if (names == NULL)
    names = g_strsplit (g_getenv ("CLAVE_FUZZ_KNOWN") != NULL ? g_getenv ("CLAVE_FUZZ_KNOWN") : "",
                        ",", -1);
  return g_strv_contains ((const char * const *) names, finding);
}

gboolean
fuzz_known_violation (const char *finding,
                      const char *where,
                      const char *condition)
{
  if (fuzz_is_known (finding))
    return TRUE;

  fuzz_fail (where, condition, "finding \"%s\" (docs/fuzzing.md); set CLAVE_FUZZ_KNOWN=%s to "
             "look past it", finding, finding);
}

void
fuzz_input_init (FuzzInput    *input,
                 const guint8 *data,
                 gsize         size)
{
  input->data = data;
  input->size = size;
  input->pos = 0;
}

char *
fuzz_strndup (const guint8 *data,
              gsize         size)
{
  const guint8 *nul = memchr (data, '\0', size);

  if (nul != NULL)
    size = (gsize) (nul - data);
  return g_strndup ((const char *) data, size);
}

char *
fuzz_input_field (FuzzInput *input,
                  char       separator)
{
  const guint8 *start = input->data + input->pos;
  gsize left = input->size - input->pos;
  const guint8 *end = memchr (start, separator, left);
  gsize len = end != NULL ? (gsize) (end - start) : left;

  input->pos += len + (end != NULL ? 1 : 0);
  return fuzz_strndup (start, len);
}

guint8
fuzz_input_byte (FuzzInput *input)
{
  if (input->pos >= input->size)
    return 0;
  return input->data[input->pos++];
}

GBytes *
fuzz_input_rest (FuzzInput *input)
{
  GBytes *rest = g_bytes_new (input->data + input->pos, input->size - input->pos);

  input->pos = input->size;
  return rest;
}

gboolean
fuzz_json_is_valid_utf8 (JsonNode *node)
{
  if (node == NULL)
    return TRUE;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          if (!g_utf8_validate (name, -1, NULL) || !fuzz_json_is_valid_utf8 (member))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          if (!fuzz_json_is_valid_utf8 (json_array_get_element (array, i)))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return g_utf8_validate (json_node_get_string (node), -1, NULL);
      return TRUE;
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}
