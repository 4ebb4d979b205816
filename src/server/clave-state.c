/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clave-crypto.h"
#include "clave-state.h"

gboolean
clave_state_dir_prepare (const char  *dir,
                         GError     **error)
{
  GStatBuf st;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create the state directory %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (g_stat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                   "The state directory %s is not a directory", dir);
      return FALSE;
    }

  /* It holds keys and the database: nobody else may even list it. */
  if ((st.st_mode & 0777) != 0700 && g_chmod (dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot make %s private: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

gboolean
clave_state_check_writable (const char  *dir,
                            GError     **error)
{
  g_autofree char *path = g_build_filename (dir, ".clave-write-check-XXXXXX", NULL);
  static const char probe[] = "clave-server";
  int saved_errno = 0;
  int fd;

  fd = g_mkstemp_full (path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    saved_errno = errno;
  else
    {
      errno = 0;
      if (write (fd, probe, sizeof probe) != (ssize_t) sizeof probe || fsync (fd) != 0)
        saved_errno = errno != 0 ? errno : EIO;
      if (close (fd) != 0 && saved_errno == 0)
        saved_errno = errno;
      g_unlink (path);
    }

  if (saved_errno != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot write in the state directory %s (%s): it must be writable by the "
                   "service", dir, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

char *
clave_state_db_path (const char *dir)
{
  return g_build_filename (dir, CLAVE_STATE_DB_NAME, NULL);
}

gboolean
clave_state_write_private (const char  *path,
                           const void  *data,
                           gsize        len,
                           GError     **error)
{
  return g_file_set_contents_full (path, data, (gssize) len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

GBytes *
clave_state_load_key (const char  *path,
                      GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (g_file_get_contents (path, &contents, &len, &local_error))
    {
      GBytes *secret;

      if (len != CLAVE_STATE_SECRET_SIZE)
        {
          explicit_bzero (contents, len);
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s has %" G_GSIZE_FORMAT " bytes instead of %d",
                       path, len, CLAVE_STATE_SECRET_SIZE);
          return NULL;
        }
      secret = g_bytes_new (contents, len);
      explicit_bzero (contents, len);
      return secret;
    }

  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  {
    g_autoptr(GBytes) secret = clave_random_bytes (CLAVE_STATE_SECRET_SIZE);
    gsize size = 0;
    const guint8 *data = g_bytes_get_data (secret, &size);

    if (!clave_state_write_private (path, data, size, error))
      return NULL;
    g_info ("Created the key %s", path);
    return g_steal_pointer (&secret);
  }
}

GBytes *
clave_state_load_secret (const char  *dir,
                         GError     **error)
{
  g_autofree char *path = g_build_filename (dir, CLAVE_STATE_SECRET_NAME, NULL);

  return clave_state_load_key (path, error);
}
