/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "clave-crypto.h"
#include "clave-state.h"
#include "clave-tls.h"
#include "clave-tls-private.h"

#define CA_VALIDITY_SECS      ((gint64) 10 * 365 * 24 * 60 * 60)
#define SERVER_VALIDITY_SECS  ((gint64) 2 * 365 * 24 * 60 * 60)
/* Issue the server certificate again this long before it expires. */
#define RENEW_BEFORE_SECS     ((gint64) 30 * 24 * 60 * 60)


void
clave_tls_files_free (ClaveTlsFiles *files)
{
  if (files == NULL)
    return;
  g_free (files->ca_file);
  g_free (files->ca_key_file);
  g_free (files->cert_file);
  g_free (files->key_file);
  g_free (files);
}

gboolean
_clave_tls_tls_error (GError    **error,
                      int         ret,
                      const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what, gnutls_strerror (ret));
  return FALSE;
}

gnutls_x509_crt_t
_clave_tls_load_cert (const char  *path,
                      GError     **error)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_datum_t datum;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  int ret;

  if (!g_file_get_contents (path, &pem, &len, error))
    return NULL;

  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  if ((ret = gnutls_x509_crt_init (&crt)) < 0 ||
      (ret = gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM)) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Cannot read the certificate %s: %s", path, gnutls_strerror (ret));
      return NULL;
    }
  return g_steal_pointer (&crt);
}

gnutls_x509_privkey_t
_clave_tls_load_key (const char  *path,
                     GError     **error)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_datum_t datum;
  g_auto(gnutls_x509_privkey_t) key = NULL;
  int ret;

  if (!g_file_get_contents (path, &pem, &len, error))
    return NULL;

  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  if ((ret = gnutls_x509_privkey_init (&key)) < 0 ||
      (ret = gnutls_x509_privkey_import2 (key, &datum, GNUTLS_X509_FMT_PEM, NULL,
                                          GNUTLS_PKCS_PLAIN)) < 0)
    {
      explicit_bzero (pem, len);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Cannot read the key %s: %s", path, gnutls_strerror (ret));
      return NULL;
    }
  explicit_bzero (pem, len);
  return g_steal_pointer (&key);
}

gnutls_x509_privkey_t
_clave_tls_generate_key (GError **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  int ret;

  if ((ret = gnutls_x509_privkey_init (&key)) < 0 ||
      (ret = gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                           GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                           0)) < 0)
    {
      _clave_tls_tls_error (error, ret, "Cannot generate a key");
      return NULL;
    }
  return g_steal_pointer (&key);
}

gboolean
_clave_tls_save_key (gnutls_x509_privkey_t   key,
                     const char             *path,
                     GError                **error)
{
  gnutls_datum_t out = { NULL, 0 };
  gboolean ok;
  int ret;

  ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                           GNUTLS_PKCS_PLAIN, &out);
  if (ret < 0)
    return _clave_tls_tls_error (error, ret, "Cannot export a key");

  ok = clave_state_write_private (path, out.data, out.size, error);
  explicit_bzero (out.data, out.size);
  gnutls_free (out.data);
  return ok;
}

gboolean
_clave_tls_save_cert (gnutls_x509_crt_t   crt,
                      const char         *path,
                      GError            **error)
{
  gnutls_datum_t out = { NULL, 0 };
  gboolean ok;
  int ret;

  ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out);
  if (ret < 0)
    return _clave_tls_tls_error (error, ret, "Cannot export a certificate");

  /* Certificates are public, but 0600 costs nothing and keeps the whole
   * tls/ directory uniform. */
  ok = clave_state_write_private (path, out.data, out.size, error);
  gnutls_free (out.data);
  return ok;
}

gboolean
_clave_tls_key_id (gnutls_x509_privkey_t   key,
                   guint8                 *buf,
                   size_t                 *size,
                   GError                **error)
{
  int ret = gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA1, buf, size);

  if (ret < 0)
    return _clave_tls_tls_error (error, ret, "Cannot compute a key id");
  return TRUE;
}

/* Fields common to both certificates. */
gboolean
_clave_tls_init_cert (gnutls_x509_crt_t       crt,
                      gnutls_x509_privkey_t   key,
                      const char             *dn,
                      gint64                  now,
                      gint64                  validity,
                      GError                **error)
{
  g_autoptr(GBytes) serial = clave_random_bytes (16);
  guint8 serial_buf[16];
  guint8 skid[64];
  size_t skid_size = sizeof skid;
  const char *err_pos = NULL;
  int ret;

  memcpy (serial_buf, g_bytes_get_data (serial, NULL), sizeof serial_buf);
  /* A positive INTEGER, and never zero. */
  serial_buf[0] = (serial_buf[0] & 0x7f) | 0x01;

  if ((ret = gnutls_x509_crt_set_version (crt, 3)) < 0 ||
      (ret = gnutls_x509_crt_set_serial (crt, serial_buf, sizeof serial_buf)) < 0 ||
      (ret = gnutls_x509_crt_set_key (crt, key)) < 0 ||
      /* Backdated a little so that a clock a few minutes behind accepts it. */
      (ret = gnutls_x509_crt_set_activation_time (crt, (time_t) (now - 3600))) < 0 ||
      (ret = gnutls_x509_crt_set_expiration_time (crt, (time_t) (now + validity))) < 0)
    return _clave_tls_tls_error (error, ret, "Cannot fill in a certificate");

  if (dn != NULL && (ret = gnutls_x509_crt_set_dn (crt, dn, &err_pos)) < 0)
    return _clave_tls_tls_error (error, ret, "Cannot set a certificate name");

  if (!_clave_tls_key_id (key, skid, &skid_size, error))
    return FALSE;
  if ((ret = gnutls_x509_crt_set_subject_key_id (crt, skid, skid_size)) < 0)
    return _clave_tls_tls_error (error, ret, "Cannot set the subject key id");

  return TRUE;
}

gboolean
_clave_tls_create_ca (const char  *ca_file,
                      const char  *ca_key_file,
                      const char  *dn,
                      gint64       validity,
                      GError     **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  int ret;

  key = _clave_tls_generate_key (error);
  if (key == NULL)
    return FALSE;

  if ((ret = gnutls_x509_crt_init (&crt)) < 0)
    return _clave_tls_tls_error (error, ret, "Cannot create a certificate");
  if (!_clave_tls_init_cert (crt, key, dn, g_get_real_time () / G_USEC_PER_SEC, validity, error))
    return FALSE;

  /* pathLen 0: each CA issues end-entity certificates and nothing else. */
  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 1, 0)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_KEY_CERT_SIGN |
                                                 GNUTLS_KEY_CRL_SIGN)) < 0 ||
      (ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
    return _clave_tls_tls_error (error, ret, "Cannot sign the CA certificate");

  /* The key first: a ca.pem without its key would be a dead end. */
  if (!_clave_tls_save_key (key, ca_key_file, error) ||
      !_clave_tls_save_cert (crt, ca_file, error))
    return FALSE;

  g_info ("Created the CA %s", ca_file);
  return TRUE;
}

static gboolean
create_ca (const ClaveTlsFiles  *files,
           GError              **error)
{
  g_autofree char *dn = g_strdup_printf ("CN=Clave Desktop local CA %s,O=clave-server",
                                         g_get_host_name ());

  return _clave_tls_create_ca (files->ca_file, files->ca_key_file, dn, CA_VALIDITY_SECS, error);
}

static gboolean
add_san (gnutls_x509_crt_t   crt,
         const char         *name,
         GError            **error)
{
  int ret;

  if (g_hostname_is_ip_address (name))
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (name);
      const guint8 *bytes;
      gsize size;

      if (address == NULL)
        return TRUE;
      bytes = g_inet_address_to_bytes (address);
      size = g_inet_address_get_native_size (address);
      ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, bytes,
                                                  (unsigned int) size, GNUTLS_FSAN_APPEND);
    }
  else
    {
      ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, name,
                                                  (unsigned int) strlen (name),
                                                  GNUTLS_FSAN_APPEND);
    }

  if (ret < 0)
    return _clave_tls_tls_error (error, ret, "Cannot add a subject alternative name");
  return TRUE;
}

static GPtrArray *
wanted_names (const char * const *hostnames)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  static const char * const fixed[] = { "localhost", "127.0.0.1", "::1" };

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (names, g_strdup (fixed[i]));

  for (guint i = 0; hostnames != NULL && hostnames[i] != NULL; i++)
    {
      g_autofree char *name = g_ascii_strdown (hostnames[i], -1);
      gboolean seen = FALSE;

      if (*name == '\0')
        continue;
      for (guint j = 0; j < names->len && !seen; j++)
        seen = g_str_equal (g_ptr_array_index (names, j), name);
      if (!seen)
        g_ptr_array_add (names, g_steal_pointer (&name));
    }

  return names;
}

static gboolean
create_server_cert (const ClaveTlsFiles    *files,
                    gnutls_x509_crt_t       ca,
                    gnutls_x509_privkey_t   ca_key,
                    GPtrArray              *names,
                    GError                **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_autofree char *dn = NULL;
  guint8 akid[64];
  size_t akid_size = sizeof akid;
  const char *cn = names->len > 3 ? g_ptr_array_index (names, 3) : "localhost";
  int ret;

  key = _clave_tls_generate_key (error);
  if (key == NULL)
    return FALSE;

  /* Names with a comma or other DN specials would need escaping; the CN
   * is informative only (clients match the SAN), so keep it simple. */
  if (strpbrk (cn, ",+=\"\\<>;#") != NULL)
    cn = "localhost";
  dn = g_strdup_printf ("CN=%s,O=clave-server", cn);

  if ((ret = gnutls_x509_crt_init (&crt)) < 0)
    return _clave_tls_tls_error (error, ret, "Cannot create a certificate");
  if (!_clave_tls_init_cert (crt, key, dn, g_get_real_time () / G_USEC_PER_SEC,
                             SERVER_VALIDITY_SECS, error))
    return FALSE;

  for (guint i = 0; i < names->len; i++)
    if (!add_san (crt, g_ptr_array_index (names, i), error))
      return FALSE;

  if (!_clave_tls_key_id (ca_key, akid, &akid_size, error))
    return FALSE;

  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
      (ret = gnutls_x509_crt_set_authority_key_id (crt, akid, akid_size)) < 0 ||
      (ret = gnutls_x509_crt_sign2 (crt, ca, ca_key, GNUTLS_DIG_SHA256, 0)) < 0)
    return _clave_tls_tls_error (error, ret, "Cannot sign the server certificate");

  if (!_clave_tls_save_key (key, files->key_file, error) ||
      !_clave_tls_save_cert (crt, files->cert_file, error))
    return FALSE;

  g_info ("Issued the server certificate %s", files->cert_file);
  return TRUE;
}

/* TRUE when the existing server certificate and key can be used as they
 * are: readable, matching, issued by @ca, valid for a while yet and
 * covering every wanted name. */
static gboolean
server_cert_usable (const ClaveTlsFiles *files,
                    gnutls_x509_crt_t    ca,
                    GPtrArray           *names)
{
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_auto(gnutls_x509_privkey_t) key = NULL;
  guint8 crt_id[64], key_id_buf[64];
  size_t crt_id_size = sizeof crt_id, key_id_size = sizeof key_id_buf;
  unsigned int status = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (!g_file_test (files->cert_file, G_FILE_TEST_EXISTS) ||
      !g_file_test (files->key_file, G_FILE_TEST_EXISTS))
    return FALSE;

  crt = _clave_tls_load_cert (files->cert_file, &error);
  if (crt != NULL)
    key = _clave_tls_load_key (files->key_file, &error);
  if (crt == NULL || key == NULL)
    {
      g_warning ("Issuing a new server certificate: %s", error->message);
      return FALSE;
    }

  if (gnutls_x509_crt_get_key_id (crt, GNUTLS_KEYID_USE_SHA1, crt_id, &crt_id_size) < 0 ||
      gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA1, key_id_buf, &key_id_size) < 0 ||
      crt_id_size != key_id_size || memcmp (crt_id, key_id_buf, crt_id_size) != 0)
    {
      g_warning ("Issuing a new server certificate: it does not match its key");
      return FALSE;
    }

  if (gnutls_x509_crt_verify (crt, &ca, 1, 0, &status) < 0 || status != 0)
    {
      g_info ("Issuing a new server certificate: not issued by the current CA");
      return FALSE;
    }

  if ((gint64) gnutls_x509_crt_get_expiration_time (crt) < now + RENEW_BEFORE_SECS)
    {
      g_info ("Issuing a new server certificate: the current one expires soon");
      return FALSE;
    }

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      if (!gnutls_x509_crt_check_hostname (crt, name))
        {
          g_info ("Issuing a new server certificate to cover %s", name);
          return FALSE;
        }
    }

  return TRUE;
}

ClaveTlsFiles *
clave_tls_ensure (const char         *state_dir,
                  const char * const *hostnames,
                  GError            **error)
{
  g_autoptr(ClaveTlsFiles) files = g_new0 (ClaveTlsFiles, 1);
  g_autofree char *dir = g_build_filename (state_dir, "tls", NULL);
  g_autoptr(GPtrArray) names = NULL;
  g_auto(gnutls_x509_crt_t) ca = NULL;
  g_auto(gnutls_x509_privkey_t) ca_key = NULL;

  if (!clave_state_dir_prepare (dir, error))
    return NULL;

  files->ca_file = g_build_filename (dir, "ca.pem", NULL);
  files->ca_key_file = g_build_filename (dir, "ca-key.pem", NULL);
  files->cert_file = g_build_filename (dir, "server.pem", NULL);
  files->key_file = g_build_filename (dir, "server-key.pem", NULL);

  /* Clients may already trust ca.pem: never replace it behind their back.
   * It only counts as existing once ca.pem is there. */
  if (!g_file_test (files->ca_file, G_FILE_TEST_EXISTS) && !create_ca (files, error))
    return NULL;

  ca = _clave_tls_load_cert (files->ca_file, error);
  if (ca == NULL)
    return NULL;
  ca_key = _clave_tls_load_key (files->ca_key_file, error);
  if (ca_key == NULL)
    return NULL;

  names = wanted_names (hostnames);
  if (!server_cert_usable (files, ca, names) &&
      !create_server_cert (files, ca, ca_key, names, error))
    return NULL;

  return g_steal_pointer (&files);
}
