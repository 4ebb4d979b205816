/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-token-manager"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>

#include "clave-protocol.h"
#include "clave-token-manager-private.h"

/*
 * Imported certificate files. The soft cert dir (0700) holds, per
 * certificate, named after the SHA-256 of the certificate:
 *   <hash>.p12   the file as the person imported it, still under its own
 *                password (0600)
 *   <hash>.pem   its certificate chain, leaf first: public data, so that
 *                the list can show the certificate without the password
 *   <hash>.name  the name of the imported file, for display
 */

#define MAX_PKCS12_SIZE (1024 * 1024)

static GError *
invalid_file (void)
{
  return g_error_new_literal (CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_INVALID_FILE,
                              _("This is not a certificate file (PKCS#12, .p12 or .pfx), or it is damaged. Choose the file you got from the certificate issuer."));
}

static GError *
wrong_password (void)
{
  return g_error_new_literal (CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PASSWORD,
                              _("The password of the certificate file is not correct. Check it and try again."));
}

static char *
sibling_path (const char *p12_path,
              const char *extension)
{
  g_autofree char *stem = NULL;

  if (g_str_has_suffix (p12_path, ".p12"))
    stem = g_strndup (p12_path, strlen (p12_path) - strlen (".p12"));
  else
    stem = g_strdup (p12_path);

  return g_strconcat (stem, extension, NULL);
}

static GPtrArray *
chain_from_pem (const char *pem,
                gsize       length)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gnutls_x509_crt_t *crts = NULL;
  unsigned int n_crts = 0;
  gnutls_datum_t datum = { (unsigned char *) pem, (unsigned int) length };

  if (gnutls_x509_crt_list_import2 (&crts, &n_crts, &datum, GNUTLS_X509_FMT_PEM, 0) < 0)
    return NULL;

  for (unsigned int i = 0; i < n_crts; i++)
    {
      gnutls_datum_t der = { NULL, 0 };

      if (gnutls_x509_crt_export2 (crts[i], GNUTLS_X509_FMT_DER, &der) >= 0)
        {
          g_ptr_array_add (chain, g_bytes_new (der.data, der.size));
          gnutls_free (der.data);
        }
      gnutls_x509_crt_deinit (crts[i]);
    }
  gnutls_free (crts);

  if (chain->len == 0)
    return NULL;

  return g_steal_pointer (&chain);
}

static ClaveCertificate *
load_entry (const char *p12_path)
{
  g_autofree char *pem_path = sibling_path (p12_path, ".pem");
  g_autofree char *name_path = sibling_path (p12_path, ".name");
  g_autofree char *pem = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *chain;
  gsize length = 0;
  ClaveCertificate *certificate;

  if (!g_file_get_contents (pem_path, &pem, &length, &error))
    {
      g_debug ("Skipping %s: %s", p12_path, error->message);
      return NULL;
    }

  chain = chain_from_pem (pem, length);
  if (chain == NULL)
    {
      g_debug ("Skipping %s: no certificate in %s", p12_path, pem_path);
      return NULL;
    }

  if (!g_file_get_contents (name_path, &name, NULL, NULL) || !g_utf8_validate (name, -1, NULL))
    {
      g_clear_pointer (&name, g_free);
      name = g_path_get_basename (p12_path);
    }
  g_strstrip (name);

  certificate = _clave_certificate_new_for_file (p12_path, name, chain, &error);
  if (certificate == NULL)
    g_debug ("Skipping %s: %s", p12_path, error->message);

  return certificate;
}

static int
compare_certificates (gconstpointer a,
                      gconstpointer b)
{
  ClaveCertificate *ca = *(ClaveCertificate **) a;
  ClaveCertificate *cb = *(ClaveCertificate **) b;
  int result = g_utf8_collate (clave_certificate_get_holder_name (ca),
                               clave_certificate_get_holder_name (cb));

  return result != 0 ? result : strcmp (clave_certificate_get_id (ca),
                                        clave_certificate_get_id (cb));
}

GPtrArray *
_clave_pkcs12_list (const char *dir)
{
  GPtrArray *certificates = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GDir) directory = g_dir_open (dir, 0, NULL);
  const char *name;

  if (directory == NULL)
    return certificates;

  while ((name = g_dir_read_name (directory)) != NULL)
    {
      g_autofree char *path = NULL;
      ClaveCertificate *certificate;

      if (!g_str_has_suffix (name, ".p12"))
        continue;

      path = g_build_filename (dir, name, NULL);
      certificate = load_entry (path);
      if (certificate != NULL)
        g_ptr_array_add (certificates, certificate);
    }

  g_ptr_array_sort (certificates, compare_certificates);
  return certificates;
}

/* Opens @bytes with @password: the key and the chain (leaf first). */
static gboolean
open_pkcs12 (GBytes                *bytes,
             const char            *password,
             gnutls_x509_privkey_t *key_out,
             GPtrArray            **chain_out,
             GError               **error)
{
  gnutls_pkcs12_t p12 = NULL;
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t *chain = NULL;
  unsigned int chain_size = 0;
  gnutls_datum_t datum;
  g_autoptr(GPtrArray) der_chain = NULL;
  gsize size = 0;
  int ret;

  if (password == NULL)
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PASSWORD,
                           _("Enter the password of the certificate file."));
      return FALSE;
    }

  datum.data = (unsigned char *) g_bytes_get_data (bytes, &size);
  datum.size = (unsigned int) size;

  if (gnutls_pkcs12_init (&p12) < 0)
    g_error ("Out of memory");

  ret = gnutls_pkcs12_import (p12, &datum, GNUTLS_X509_FMT_DER, 0);
  if (ret < 0)
    ret = gnutls_pkcs12_import (p12, &datum, GNUTLS_X509_FMT_PEM, 0);
  if (ret < 0)
    {
      gnutls_pkcs12_deinit (p12);
      g_propagate_error (error, invalid_file ());
      return FALSE;
    }

  /* The MAC tells a wrong password from a damaged file. */
  ret = gnutls_pkcs12_verify_mac (p12, password);
  if (ret == GNUTLS_E_MAC_VERIFY_FAILED)
    {
      gnutls_pkcs12_deinit (p12);
      g_propagate_error (error, wrong_password ());
      return FALSE;
    }

  ret = gnutls_pkcs12_simple_parse (p12, password, &key, &chain, &chain_size,
                                    NULL, NULL, NULL, 0);
  gnutls_pkcs12_deinit (p12);
  if (ret == GNUTLS_E_DECRYPTION_FAILED)
    {
      g_propagate_error (error, wrong_password ());
      return FALSE;
    }
  if (ret < 0 || key == NULL || chain_size == 0)
    {
      g_debug ("PKCS#12 parse: %s", gnutls_strerror (ret));
      if (key != NULL)
        gnutls_x509_privkey_deinit (key);
      for (unsigned int i = 0; i < chain_size; i++)
        gnutls_x509_crt_deinit (chain[i]);
      gnutls_free (chain);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || ret >= 0)
        g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES,
                             _("The file holds no certificate with its private key. Export the certificate again with its private key."));
      else
        g_propagate_error (error, invalid_file ());
      return FALSE;
    }

  der_chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (unsigned int i = 0; i < chain_size; i++)
    {
      gnutls_datum_t der = { NULL, 0 };

      /* The service takes at most this many, leaf first. */
      if (der_chain->len < CLAVE_PROOF_MAX_CERTIFICATES &&
          gnutls_x509_crt_export2 (chain[i], GNUTLS_X509_FMT_DER, &der) >= 0)
        {
          g_ptr_array_add (der_chain, g_bytes_new (der.data, der.size));
          gnutls_free (der.data);
        }
      gnutls_x509_crt_deinit (chain[i]);
    }
  gnutls_free (chain);

  if (der_chain->len == 0)
    {
      gnutls_x509_privkey_deinit (key);
      g_propagate_error (error, invalid_file ());
      return FALSE;
    }

  *key_out = key;
  *chain_out = g_steal_pointer (&der_chain);
  return TRUE;
}

static char *
chain_to_pem (GPtrArray *chain)
{
  GString *pem = g_string_new (NULL);

  for (guint i = 0; i < chain->len; i++)
    {
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (chain, i), &size);
      gnutls_datum_t der = { (unsigned char *) data, (unsigned int) size };
      gnutls_datum_t out = { NULL, 0 };

      if (gnutls_pem_base64_encode2 ("CERTIFICATE", &der, &out) >= 0)
        {
          g_string_append_len (pem, (const char *) out.data, out.size);
          gnutls_free (out.data);
        }
    }

  return g_string_free (pem, FALSE);
}

static GBytes *
read_file (const char  *path,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_debug ("Cannot read %s: %s", path, local_error->message);
      g_set_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_INVALID_FILE,
                   _("The file “%s” cannot be read."), path);
      return NULL;
    }

  if (g_mapped_file_get_length (mapped) > MAX_PKCS12_SIZE)
    {
      g_propagate_error (error, invalid_file ());
      return NULL;
    }

  return g_bytes_new (g_mapped_file_get_contents (mapped), g_mapped_file_get_length (mapped));
}

static gboolean
write_private_file (const char  *path,
                    const char  *contents,
                    gsize        length,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, contents, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_debug ("Cannot write %s: %s", path, local_error->message);
      g_set_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_FAILED,
                   _("The certificate could not be saved (%s). Check the free disk space and try again."),
                   local_error->message);
      return FALSE;
    }

  return TRUE;
}

ClaveCertificate *
_clave_pkcs12_import (const char  *dir,
                      const char  *path,
                      const char  *password,
                      GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(ClaveCertificate) check = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *p12_path = NULL;
  g_autofree char *pem_path = NULL;
  g_autofree char *name_path = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *display_name = NULL;
  gnutls_x509_privkey_t key = NULL;
  GBytes *leaf;
  gsize size = 0;
  const guint8 *data;

  bytes = read_file (path, error);
  if (bytes == NULL)
    return NULL;

  if (!open_pkcs12 (bytes, password, &key, &chain, error))
    return NULL;
  /* Only the certificate is needed from here on. */
  gnutls_x509_privkey_deinit (key);

  leaf = g_ptr_array_index (chain, 0);
  display_name = g_filename_display_basename (path);
  check = _clave_certificate_new_for_file (path, display_name, g_ptr_array_ref (chain), error);
  if (check == NULL)
    return NULL;

  if (clave_certificate_get_document_number (check) == NULL)
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES,
                           _("This certificate does not name a DNI or NIE, so Cl@ve cannot use it. Choose a personal certificate."));
      return NULL;
    }
  if (!_clave_certificate_can_sign (check))
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES,
                           _("This certificate cannot be used to identify yourself. Choose an authentication certificate."));
      return NULL;
    }

  data = g_bytes_get_data (leaf, &size);
  hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);

  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_FAILED,
                   _("The certificate could not be saved (%s). Check the free disk space and try again."),
                   g_strerror (saved_errno));
      return NULL;
    }

  stem = g_build_filename (dir, hash, NULL);
  p12_path = g_strconcat (stem, ".p12", NULL);
  pem_path = g_strconcat (stem, ".pem", NULL);
  name_path = g_strconcat (stem, ".name", NULL);
  pem = chain_to_pem (chain);

  /* The .p12 last: it is what the list looks for. */
  data = g_bytes_get_data (bytes, &size);
  if (!write_private_file (pem_path, pem, strlen (pem), error) ||
      !write_private_file (name_path, display_name, strlen (display_name), error) ||
      !write_private_file (p12_path, (const char *) data, size, error))
    return NULL;

  return _clave_certificate_new_for_file (p12_path, display_name, g_steal_pointer (&chain), error);
}

GBytes *
_clave_pkcs12_sign (ClaveCertificate  *certificate,
                    const char        *password,
                    GBytes            *data,
                    GError           **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  gnutls_x509_privkey_t x509_key = NULL;
  gnutls_privkey_t key = NULL;
  gnutls_datum_t input, signature = { NULL, 0 };
  const char *algorithm_name;
  int algorithm;
  gsize size = 0;
  int ret;
  GBytes *result;

  if (!_clave_token_signature_algorithm (certificate, &algorithm, &algorithm_name, error))
    return NULL;

  if (!g_file_test (clave_certificate_get_id (certificate), G_FILE_TEST_IS_REGULAR))
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES,
                           _("The imported certificate file is missing. Import it again."));
      return NULL;
    }

  bytes = read_file (clave_certificate_get_id (certificate), error);
  if (bytes == NULL)
    return NULL;

  if (!open_pkcs12 (bytes, password, &x509_key, &chain, error))
    return NULL;

  if (!g_bytes_equal (g_ptr_array_index (chain, 0), _clave_certificate_get_der (certificate)))
    {
      gnutls_x509_privkey_deinit (x509_key);
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_INVALID_FILE,
                           _("The imported certificate file was changed. Remove it and import it again."));
      return NULL;
    }

  input.data = (unsigned char *) g_bytes_get_data (data, &size);
  input.size = (unsigned int) size;

  if (gnutls_privkey_init (&key) < 0)
    g_error ("Out of memory");
  /* AUTO_RELEASE: the privkey owns (and on deinit wipes) the key. */
  ret = gnutls_privkey_import_x509 (key, x509_key, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
  if (ret < 0)
    gnutls_x509_privkey_deinit (x509_key);
  else
    ret = gnutls_privkey_sign_data2 (key, algorithm, 0, &input, &signature);
  gnutls_privkey_deinit (key);

  if (ret < 0)
    {
      g_set_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_FAILED,
                   _("The certificate could not sign (%s)."), gnutls_strerror (ret));
      return NULL;
    }

  result = g_bytes_new (signature.data, signature.size);
  gnutls_free (signature.data);
  return result;
}

gboolean
_clave_pkcs12_remove (ClaveCertificate  *certificate,
                      GError           **error)
{
  const char *p12_path = clave_certificate_get_id (certificate);
  g_autofree char *pem_path = sibling_path (p12_path, ".pem");
  g_autofree char *name_path = sibling_path (p12_path, ".name");

  if (g_unlink (p12_path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_FAILED,
                   _("The certificate could not be removed (%s)."), g_strerror (saved_errno));
      return FALSE;
    }

  g_unlink (pem_path);
  g_unlink (name_path);
  return TRUE;
}
