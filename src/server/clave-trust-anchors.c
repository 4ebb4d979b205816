/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-trust-anchors.h"

/* A certificate file larger than this is not a certificate file. */
#define MAX_ANCHOR_FILE_SIZE (1024 * 1024)

/* The certificates of one file, PEM (any number) or DER (one); 0 when it
 * holds none. */
static guint
import_file (const char         *path,
             gnutls_x509_crt_t **certs)
{
  g_autofree char *contents = NULL;
  gnutls_datum_t datum;
  unsigned int n = 0;
  gsize len;
  int ret;

  if (!g_file_get_contents (path, &contents, &len, NULL) || len == 0 ||
      len > MAX_ANCHOR_FILE_SIZE)
    return 0;

  datum.data = (unsigned char *) contents;
  datum.size = (unsigned int) len;

  ret = gnutls_x509_crt_list_import2 (certs, &n, &datum, GNUTLS_X509_FMT_PEM, 0);
  if (ret < 0 || n == 0)
    ret = gnutls_x509_crt_list_import2 (certs, &n, &datum, GNUTLS_X509_FMT_DER, 0);
  if (ret < 0)
    return 0;
  return n;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

gnutls_x509_trust_list_t
clave_trust_anchors_load (const char  *dir,
                          guint       *n_loaded,
                          GError     **error)
{
  gnutls_x509_trust_list_t list = NULL;
  g_autoptr(GDir) handle = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint total = 0;
  const char *name;
  int ret;

  handle = g_dir_open (dir, 0, error);
  if (handle == NULL)
    {
      g_prefix_error (error, "--trust-anchors: ");
      return NULL;
    }

  /* Sorted, so that the log reads the same on every start. */
  while ((name = g_dir_read_name (handle)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  ret = gnutls_x509_trust_list_init (&list, 0);
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "gnutls_x509_trust_list_init: %s",
                   gnutls_strerror (ret));
      return NULL;
    }

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      gnutls_x509_crt_t *certs = NULL;
      guint n;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;

      n = import_file (path, &certs);
      if (n == 0)
        {
          g_warning ("Trust anchors: %s holds no certificate; skipped", path);
          continue;
        }

      /* The list takes the certificates; only the array is ours. */
      ret = gnutls_x509_trust_list_add_cas (list, certs, n, 0);
      gnutls_free (certs);
      if (ret < 0)
        {
          gnutls_x509_trust_list_deinit (list, 1);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Trust anchors in %s: %s", path,
                       gnutls_strerror (ret));
          return NULL;
        }
      g_debug ("Trust anchors: %u from %s", (guint) ret, path);
      total += (guint) ret;
    }

  if (total == 0)
    {
      gnutls_x509_trust_list_deinit (list, 1);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "--trust-anchors: %s holds no certificates", dir);
      return NULL;
    }

  *n_loaded = total;
  return list;
}
