/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-cert-path.h"
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

static void
free_certificate (gpointer crt)
{
  gnutls_x509_crt_deinit (crt);
}

/* The certificates of the files of @dir, in file name order so that the
 * log reads the same on every start; @files (if not NULL) gets the file
 * of each, at the same index. @label names the folder in messages. An
 * unreadable folder, or one without a single certificate, is an error:
 * the folder was given on purpose. */
static GPtrArray *
load_folder (const char  *dir,
             const char  *label,
             GPtrArray  **files,
             GError     **error)
{
  g_autoptr(GDir) handle = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (free_certificate);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  handle = g_dir_open (dir, 0, error);
  if (handle == NULL)
    {
      g_prefix_error (error, "%s: ", label);
      return NULL;
    }

  while ((name = g_dir_read_name (handle)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      gnutls_x509_crt_t *list = NULL;
      guint n;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;

      n = import_file (path, &list);
      if (n == 0)
        {
          g_warning ("%s: %s holds no certificate; skipped", label, path);
          continue;
        }
      for (guint j = 0; j < n; j++)
        {
          g_ptr_array_add (certs, list[j]);
          g_ptr_array_add (paths, g_strdup (path));
        }
      gnutls_free (list);
      g_debug ("%s: %u from %s", label, n, path);
    }

  if (certs->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: %s holds no certificates",
                   label, dir);
      return NULL;
    }

  if (files != NULL)
    *files = g_steal_pointer (&paths);
  return g_steal_pointer (&certs);
}

gnutls_x509_trust_list_t
clave_trust_anchors_load (const char  *dir,
                          guint       *n_loaded,
                          GError     **error)
{
  gnutls_x509_trust_list_t list = NULL;
  g_autoptr(GPtrArray) certs = load_folder (dir, "--trust-anchors", NULL, error);
  g_autofree gnutls_x509_crt_t *array = NULL;
  guint n;
  int ret;

  if (certs == NULL)
    return NULL;

  ret = gnutls_x509_trust_list_init (&list, 0);
  if (ret < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "gnutls_x509_trust_list_init: %s",
                   gnutls_strerror (ret));
      return NULL;
    }

  /* The list takes the certificates; only the array is ours. */
  n = certs->len;
  array = (gnutls_x509_crt_t *) g_ptr_array_steal (certs, NULL);
  ret = gnutls_x509_trust_list_add_cas (list, array, n, 0);
  if (ret < 0)
    {
      gnutls_x509_trust_list_deinit (list, 1);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Trust anchors in %s: %s", dir,
                   gnutls_strerror (ret));
      return NULL;
    }

  *n_loaded = (guint) ret;
  return list;
}

/* basicConstraints CA, and keyUsage keyCertSign when there is a keyUsage:
 * what GnuTLS asks of an issuer. */
static gboolean
is_ca (gnutls_x509_crt_t crt)
{
  unsigned int critical = 0, ca = 0, key_usage = 0;
  int ret;

  if (gnutls_x509_crt_get_basic_constraints (crt, &critical, &ca, NULL) < 0 || !ca)
    return FALSE;
  ret = gnutls_x509_crt_get_key_usage (crt, &key_usage, &critical);
  if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return TRUE;
  return ret >= 0 && (key_usage & GNUTLS_KEY_KEY_CERT_SIGN);
}

/* "FILE (SUBJECT DN)", for messages. */
static char *
describe (gnutls_x509_crt_t  crt,
          const char        *file)
{
  g_autofree char *subject = clave_cert_subject_dn (crt);

  return g_strdup_printf ("%s (%s)", file, subject != NULL ? subject : "unreadable subject");
}

GPtrArray *
clave_intermediates_load (const char                *dir,
                          const char                *label,
                          gnutls_x509_trust_list_t   anchors,
                          GError                   **error)
{
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) certs = load_folder (dir, label, &files, error);

  if (certs == NULL)
    return NULL;

  for (guint i = 0; i < certs->len;)
    {
      gnutls_x509_crt_t crt = g_ptr_array_index (certs, i);
      g_autofree char *what = describe (crt, g_ptr_array_index (files, i));

      /* It would pass for a root, and roots are trusted on purpose only. */
      if (clave_cert_is_self_signed (crt))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s: %s is self-signed, a root: intermediate certificates are never "
                       "trusted by themselves. Put it among --trust-anchors if it is to be "
                       "trusted, and remove it from here", label, what);
          return NULL;
        }
      if (!is_ca (crt))
        {
          g_warning ("%s: %s is not a CA certificate (basicConstraints, keyUsage "
                     "keyCertSign); skipped", label, what);
          g_ptr_array_remove_index (certs, i);
          g_ptr_array_remove_index (files, i);
          continue;
        }
      i++;
    }

  if (certs->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: %s holds no CA certificates",
                   label, dir);
      return NULL;
    }

  /* One that leads to no anchor completes no path: the operator probably
   * forgot its root. */
  for (guint i = 0; i < certs->len; i++)
    {
      gnutls_x509_crt_t crt = g_ptr_array_index (certs, i);
      g_autofree char *missing = NULL;
      g_autoptr(GPtrArray) path = clave_cert_path_build (anchors, certs, &crt, 1, &missing);

      if (clave_cert_path_verify (anchors, path, GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                                                 GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS) != 0)
        {
          g_autofree char *what = describe (crt, g_ptr_array_index (files, i));

          g_warning ("%s: %s does not chain to any trust anchor; it completes no path",
                     label, what);
        }
    }

  return g_steal_pointer (&certs);
}
