/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "clave-crypto.h"
#include "clave-http.h"
#include "clave-state.h"
#include "clave-video-files.h"

#define MAX_FACE_FRAMES 8

struct _ClaveVideoFiles {
  char   *dir;   /* STATE_DIR/video */
  GBytes *key;
};

void
clave_video_files_free (ClaveVideoFiles *files)
{
  if (files == NULL)
    return;
  g_free (files->dir);
  g_clear_pointer (&files->key, g_bytes_unref);
  g_free (files);
}

ClaveVideoFiles *
clave_video_files_open (const char  *state_dir,
                        GError     **error)
{
  g_autoptr(ClaveVideoFiles) files = g_new0 (ClaveVideoFiles, 1);
  g_autofree char *key_path = NULL;

  files->dir = g_build_filename (state_dir, "video", NULL);
  if (!clave_state_dir_prepare (files->dir, error))
    return NULL;
  key_path = g_build_filename (files->dir, "keys.key", NULL);
  files->key = clave_state_load_key (key_path, error);
  if (files->key == NULL)
    return NULL;
  return g_steal_pointer (&files);
}

gboolean
clave_video_files_is_kind (const char *text)
{
  if (g_strcmp0 (text, "front") == 0 || g_strcmp0 (text, "back") == 0)
    return TRUE;
  return text != NULL && g_str_has_prefix (text, "face-") && text[5] >= '1' &&
         text[5] <= '0' + MAX_FACE_FRAMES && text[6] == '\0';
}

static char *
path_of (ClaveVideoFiles  *files,
         const char       *id,
         const char       *kind,
         GError          **error)
{
  if (!clave_http_is_path_id (id) || (kind != NULL && !clave_video_files_is_kind (kind)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "Not a registration's picture");
      return NULL;
    }
  return g_build_filename (files->dir, id, kind, NULL);
}

static char *
aad_of (const char *id,
        const char *kind)
{
  return g_strconcat (id, "/", kind, NULL);
}

gboolean
clave_video_files_put (ClaveVideoFiles  *files,
                       const char       *id,
                       const char       *kind,
                       GBytes           *data,
                       GError          **error)
{
  g_autofree char *folder = path_of (files, id, NULL, error);
  g_autofree char *path = NULL;
  g_autofree char *aad = NULL;
  g_autoptr(GBytes) sealed = NULL;
  gsize len = 0;
  const void *bytes;

  if (folder == NULL || (path = path_of (files, id, kind, error)) == NULL)
    return FALSE;
  if (!clave_state_dir_prepare (folder, error))
    return FALSE;
  aad = aad_of (id, kind);
  sealed = clave_aead_seal (files->key, aad, data, error);
  if (sealed == NULL)
    return FALSE;
  bytes = g_bytes_get_data (sealed, &len);
  return clave_state_write_private (path, bytes, len, error);
}

GBytes *
clave_video_files_get (ClaveVideoFiles  *files,
                       const char       *id,
                       const char       *kind,
                       GError          **error)
{
  g_autofree char *path = path_of (files, id, kind, error);
  g_autofree char *aad = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (path == NULL)
    return NULL;
  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No picture %s", kind);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  sealed = g_bytes_new_take (contents, len);
  aad = aad_of (id, kind);
  return clave_aead_open (files->key, aad, sealed, error);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

GStrv
clave_video_files_list (ClaveVideoFiles *files,
                        const char      *id)
{
  g_autofree char *folder = path_of (files, id, NULL, NULL);
  g_autoptr(GPtrArray) kinds = g_ptr_array_new ();
  g_autoptr(GDir) dir = folder != NULL ? g_dir_open (folder, 0, NULL) : NULL;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (clave_video_files_is_kind (name))
      g_ptr_array_add (kinds, g_strdup (name));
  g_ptr_array_sort (kinds, compare_strings);
  g_ptr_array_add (kinds, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&kinds), FALSE);
}

GStrv
clave_video_files_list_ids (ClaveVideoFiles *files)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GDir) dir = g_dir_open (files->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (files->dir, name, NULL);

      if (clave_http_is_path_id (name) && g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (ids, g_strdup (name));
    }
  g_ptr_array_add (ids, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&ids), FALSE);
}

gboolean
clave_video_files_delete (ClaveVideoFiles  *files,
                          const char       *id,
                          GError          **error)
{
  g_autofree char *folder = path_of (files, id, NULL, error);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (folder == NULL)
    return FALSE;
  dir = g_dir_open (folder, 0, NULL);
  if (dir == NULL)
    return TRUE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);

      if (g_unlink (path) != 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       "Cannot delete a picture: %s", g_strerror (saved));
          return FALSE;
        }
    }
  if (g_rmdir (folder) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot delete a registration's folder: %s", g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
