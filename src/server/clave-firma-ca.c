/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "clave-crypto.h"
#include "clave-firma-ca.h"
#include "clave-state.h"
#include "clave-tls-private.h"

#define CA_VALIDITY_SECS  ((gint64) 20 * 365 * 24 * 60 * 60)
#define CA_DN             "CN=AC Cl@ve Firma de pruebas,OU=Clave Desktop," \
                          "O=clave-server,C=ES"
#define OID_SERIAL_NUMBER "2.5.4.5"

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crl_t, gnutls_x509_crl_deinit, NULL)

struct _ClaveFirmaCa {
  gnutls_x509_crt_t      crt;
  gnutls_x509_privkey_t  key;
  GBytes                *keys_key;   /* seals the citizens' keys */
  char                  *issuer;     /* the CA's DN, RFC 4514 */
};

void
clave_firma_ca_free (ClaveFirmaCa *ca)
{
  if (ca == NULL)
    return;
  g_clear_pointer (&ca->crt, gnutls_x509_crt_deinit);
  g_clear_pointer (&ca->key, gnutls_x509_privkey_deinit);
  g_clear_pointer (&ca->keys_key, g_bytes_unref);
  g_free (ca->issuer);
  g_free (ca);
}

ClaveFirmaCa *
clave_firma_ca_open (const char  *state_dir,
                     GError     **error)
{
  g_autofree char *dir = g_build_filename (state_dir, "firma", NULL);
  g_autofree char *ca_file = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *ca_key_file = g_build_filename (dir, "ca-key.pem", NULL);
  g_autofree char *keys_file = g_build_filename (dir, "keys.key", NULL);
  g_autoptr(ClaveFirmaCa) ca = g_new0 (ClaveFirmaCa, 1);
  gnutls_datum_t dn = { NULL, 0 };
  int ret;

  if (!clave_state_dir_prepare (dir, error))
    return NULL;
  /* Certificates already issued chain to ca.pem: never replace it. */
  if (!g_file_test (ca_file, G_FILE_TEST_EXISTS) &&
      !_clave_tls_create_ca (ca_file, ca_key_file, CA_DN, CA_VALIDITY_SECS, error))
    return NULL;

  ca->crt = _clave_tls_load_cert (ca_file, error);
  if (ca->crt == NULL)
    return NULL;
  ca->key = _clave_tls_load_key (ca_key_file, error);
  if (ca->key == NULL)
    return NULL;
  ca->keys_key = clave_state_load_key (keys_file, error);
  if (ca->keys_key == NULL)
    return NULL;

  if ((ret = gnutls_x509_crt_get_dn3 (ca->crt, &dn, 0)) < 0)
    {
      _clave_tls_tls_error (error, ret, "Cannot read the Cl@ve Firma CA's name");
      return NULL;
    }
  ca->issuer = g_strndup ((const char *) dn.data, dn.size);
  gnutls_free (dn.data);
  return g_steal_pointer (&ca);
}

GBytes *
clave_firma_ca_get_certificate (ClaveFirmaCa *ca)
{
  gnutls_datum_t out = { NULL, 0 };
  GBytes *der;

  g_return_val_if_fail (ca != NULL, NULL);
  if (gnutls_x509_crt_export2 (ca->crt, GNUTLS_X509_FMT_DER, &out) < 0)
    return NULL;
  der = g_bytes_new (out.data, out.size);
  gnutls_free (out.data);
  return der;
}

static gboolean
set_name (gnutls_x509_crt_t   crt,
          const char         *oid,
          const char         *value,
          GError            **error)
{
  int ret = gnutls_x509_crt_set_dn_by_oid (crt, oid, 0, value, (unsigned int) strlen (value));

  if (ret < 0)
    return _clave_tls_tls_error (error, ret, "Cannot set a certificate name");
  return TRUE;
}

static char *
serial_hex (gnutls_x509_crt_t crt)
{
  guint8 serial[64];
  size_t size = sizeof serial;
  GString *hex;

  if (gnutls_x509_crt_get_serial (crt, serial, &size) < 0)
    return NULL;
  hex = g_string_sized_new (size * 2);
  for (size_t i = 0; i < size; i++)
    g_string_append_printf (hex, "%02x", serial[i]);
  return g_string_free (hex, FALSE);
}

static GBytes *
seal_key (ClaveFirmaCa           *ca,
          gnutls_x509_privkey_t   key,
          const char             *serial,
          GError                **error)
{
  gnutls_datum_t der = { NULL, 0 };
  g_autoptr(GBytes) plain = NULL;
  GBytes *sealed;
  int ret;

  ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN, &der);
  if (ret < 0)
    {
      _clave_tls_tls_error (error, ret, "Cannot export a signing key");
      return NULL;
    }
  plain = g_bytes_new_static (der.data, der.size);
  sealed = clave_aead_seal (ca->keys_key, serial, plain, error);
  gnutls_memset (der.data, 0, der.size);
  gnutls_free (der.data);
  return sealed;
}

ClaveFirmaRecord *
clave_firma_ca_issue (ClaveFirmaCa         *ca,
                      const ClaveIdentity  *identity,
                      gint64                now,
                      GError              **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_autoptr(ClaveFirmaRecord) record = g_new0 (ClaveFirmaRecord, 1);
  g_autofree char *surnames = NULL;
  g_autofree char *given_name = NULL;
  g_autofree char *serial_number = NULL;
  gnutls_datum_t pem = { NULL, 0 };
  guint8 akid[64];
  size_t akid_size = sizeof akid;
  int ret;

  g_return_val_if_fail (ca != NULL && identity != NULL, NULL);

  surnames = g_utf8_strup (identity->surnames != NULL ? identity->surnames : "", -1);
  given_name = g_utf8_strup (identity->given_name != NULL ? identity->given_name : "", -1);
  serial_number = g_strconcat ("IDCES-", identity->document, NULL);
  record->holder = g_strdup_printf ("%s, %s (FIRMA)", surnames, given_name);

  key = _clave_tls_generate_key (error);
  if (key == NULL)
    return NULL;
  if ((ret = gnutls_x509_crt_init (&crt)) < 0)
    {
      _clave_tls_tls_error (error, ret, "Cannot create a certificate");
      return NULL;
    }
  /* The names one by one: a surname with a comma needs no escaping. */
  if (!_clave_tls_init_cert (crt, key, NULL, now, CLAVE_FIRMA_VALIDITY_SECS, error) ||
      !set_name (crt, GNUTLS_OID_X520_COUNTRY_NAME, "ES", error) ||
      !set_name (crt, OID_SERIAL_NUMBER, serial_number, error) ||
      !set_name (crt, GNUTLS_OID_X520_SURNAME, surnames, error) ||
      !set_name (crt, GNUTLS_OID_X520_GIVEN_NAME, given_name, error) ||
      !set_name (crt, GNUTLS_OID_X520_COMMON_NAME, record->holder, error))
    return NULL;
  if (!_clave_tls_key_id (ca->key, akid, &akid_size, error))
    return NULL;
  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                                 GNUTLS_KEY_NON_REPUDIATION)) < 0 ||
      (ret = gnutls_x509_crt_set_authority_key_id (crt, akid, akid_size)) < 0 ||
      (ret = gnutls_x509_crt_sign2 (crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0)) < 0 ||
      (ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &pem)) < 0)
    {
      _clave_tls_tls_error (error, ret, "Cannot sign the signing certificate");
      return NULL;
    }
  record->cert_pem = g_strndup ((const char *) pem.data, pem.size);
  gnutls_free (pem.data);

  record->serial = serial_hex (crt);
  if (record->serial == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read the serial");
      return NULL;
    }
  record->key_box = seal_key (ca, key, record->serial, error);
  if (record->key_box == NULL)
    return NULL;
  record->document = g_strdup (identity->document);
  record->issuer = g_strdup (ca->issuer);
  record->not_before = (gint64) gnutls_x509_crt_get_activation_time (crt);
  record->not_after = (gint64) gnutls_x509_crt_get_expiration_time (crt);
  record->issued_at = now;
  return g_steal_pointer (&record);
}

GBytes *
clave_firma_ca_open_key (ClaveFirmaCa            *ca,
                         const ClaveFirmaRecord  *record,
                         GError                 **error)
{
  g_return_val_if_fail (ca != NULL && record != NULL, NULL);

  if (record->key_box == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "The certificate's key was destroyed when it was revoked");
      return NULL;
    }
  return clave_aead_open (ca->keys_key, record->serial, record->key_box, error);
}

static GBytes *
hex_to_bytes (const char *hex)
{
  gsize len = strlen (hex);
  GByteArray *bytes;

  if (len == 0 || len % 2 != 0 || len > 128)
    return NULL;
  bytes = g_byte_array_sized_new ((guint) len / 2);
  for (gsize i = 0; i < len; i += 2)
    {
      int hi = g_ascii_xdigit_value (hex[i]), lo = g_ascii_xdigit_value (hex[i + 1]);
      guint8 byte;

      if (hi < 0 || lo < 0)
        {
          g_byte_array_unref (bytes);
          return NULL;
        }
      byte = (guint8) (hi << 4 | lo);
      g_byte_array_append (bytes, &byte, 1);
    }
  return g_byte_array_free_to_bytes (bytes);
}

GBytes *
clave_firma_ca_make_crl (ClaveFirmaCa  *ca,
                         GPtrArray     *revoked,
                         gint64         now,
                         GError       **error)
{
  g_auto(gnutls_x509_crl_t) crl = NULL;
  gnutls_datum_t der = { NULL, 0 };
  guint8 akid[64];
  size_t akid_size = sizeof akid;
  guint8 number[8];
  GBytes *out;
  int ret;

  g_return_val_if_fail (ca != NULL && revoked != NULL, NULL);

  for (guint i = 0; i < 8; i++)
    number[i] = (guint8) ((guint64) now >> (8 * (7 - i)));

  if ((ret = gnutls_x509_crl_init (&crl)) < 0 ||
      (ret = gnutls_x509_crl_set_version (crl, 2)) < 0 ||
      (ret = gnutls_x509_crl_set_this_update (crl, (time_t) now)) < 0 ||
      (ret = gnutls_x509_crl_set_next_update (crl, (time_t) (now + CLAVE_FIRMA_CRL_VALIDITY_SECS))) < 0 ||
      (ret = gnutls_x509_crl_set_number (crl, number, sizeof number)) < 0)
    {
      _clave_tls_tls_error (error, ret, "Cannot make the CRL");
      return NULL;
    }

  for (guint i = 0; i < revoked->len; i++)
    {
      const ClaveFirmaRecord *record = g_ptr_array_index (revoked, i);
      g_autoptr(GBytes) serial = hex_to_bytes (record->serial);
      gsize serial_len = 0;
      const void *serial_data;

      if (serial == NULL)
        {
          g_warning ("The CRL leaves out a certificate with the unreadable serial “%s”",
                     record->serial);
          continue;
        }
      serial_data = g_bytes_get_data (serial, &serial_len);
      if ((ret = gnutls_x509_crl_set_crt_serial (crl, serial_data, serial_len,
                                                 (time_t) record->revoked_at)) < 0)
        {
          _clave_tls_tls_error (error, ret, "Cannot list a certificate in the CRL");
          return NULL;
        }
    }

  if (!_clave_tls_key_id (ca->key, akid, &akid_size, error))
    return NULL;
  if ((ret = gnutls_x509_crl_set_authority_key_id (crl, akid, akid_size)) < 0 ||
      (ret = gnutls_x509_crl_sign2 (crl, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0)) < 0 ||
      (ret = gnutls_x509_crl_export2 (crl, GNUTLS_X509_FMT_DER, &der)) < 0)
    {
      _clave_tls_tls_error (error, ret, "Cannot sign the CRL");
      return NULL;
    }
  out = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  return out;
}
