/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-x509"

#include "config.h"

#include <glib.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <string.h>

#include "clave-crypto.h"
#include "clave-x509.h"

/* The fixture PKI of tests/fixtures/make-test-pki.sh, built by meson. */
static char *
pki_path (const char *name)
{
  const char *dir = g_getenv ("CLAVE_TEST_PKI_DIR");

  if (dir == NULL)
    return NULL;
  return g_build_filename (dir, name, NULL);
}

static GBytes *
load_pem_as_der (const char *name)
{
  g_autofree char *path = pki_path (name);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gnutls_x509_crt_t crt;
  gnutls_datum_t pem, der = { NULL, 0 };
  gsize len;
  GBytes *bytes;

  g_assert_nonnull (path);
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);

  pem.data = (unsigned char *) contents;
  pem.size = (unsigned int) len;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &pem, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);
  gnutls_x509_crt_deinit (crt);

  bytes = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  return bytes;
}

static ClaveX509Identity *
load_identity (const char *name)
{
  g_autoptr(GBytes) der = load_pem_as_der (name);
  g_autoptr(GError) error = NULL;
  ClaveX509Identity *identity;

  identity = clave_x509_identity_from_der (der, &error);
  g_assert_no_error (error);
  g_assert_nonnull (identity);
  return identity;
}

static gboolean
need_pki (void)
{
  if (g_getenv ("CLAVE_TEST_PKI_DIR") == NULL)
    {
      g_test_skip ("CLAVE_TEST_PKI_DIR is not set (run through meson test)");
      return FALSE;
    }
  return TRUE;
}

static void
test_dnie_style (void)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autofree char *holder = NULL;

  if (!need_pki ())
    return;

  identity = load_identity ("marta-dnie-auth.pem");
  g_assert_cmpstr (identity->document, ==, "87654321X");
  g_assert_cmpstr (identity->given_name, ==, "MARTA");
  g_assert_cmpstr (identity->surnames, ==, "VIDAL SOLER");
  g_assert_cmpstr (identity->common_name, ==, "VIDAL SOLER, MARTA (AUTENTICACIÓN)");
  g_assert_cmpstr (identity->issuer_cn, ==, "AC DNIE 004");
  g_assert_cmpstr (identity->issuer_o, ==, "DIRECCION GENERAL DE LA POLICIA");
  g_assert_true (identity->dnie_style);
  g_assert_cmpint (identity->not_before, <, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpint (identity->not_after, >, g_get_real_time () / G_USEC_PER_SEC);

  holder = clave_x509_identity_holder_name (identity);
  g_assert_cmpstr (holder, ==, "VIDAL SOLER, MARTA");
}

static void
test_dnie_utf8_names (void)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autofree char *holder = NULL;

  if (!need_pki ())
    return;

  identity = load_identity ("lucia-dnie-sign.pem");
  g_assert_cmpstr (identity->document, ==, "12345678Z");
  g_assert_cmpstr (identity->given_name, ==, "LUCÍA");
  g_assert_cmpstr (identity->surnames, ==, "GARCÍA PÉREZ");
  g_assert_cmpstr (identity->common_name, ==, "GARCÍA PÉREZ, LUCÍA (FIRMA)");
  g_assert_true (identity->dnie_style);

  holder = clave_x509_identity_holder_name (identity);
  g_assert_cmpstr (holder, ==, "GARCÍA PÉREZ, LUCÍA");
}

static void
test_fnmt_style (void)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autofree char *holder = NULL;

  if (!need_pki ())
    return;

  identity = load_identity ("lucia-fnmt.pem");
  g_assert_cmpstr (identity->document, ==, "12345678Z");
  g_assert_cmpstr (identity->given_name, ==, "LUCIA");
  g_assert_cmpstr (identity->surnames, ==, "GARCIA PEREZ");
  g_assert_cmpstr (identity->issuer_cn, ==, "AC FNMT Usuarios");
  g_assert_cmpstr (identity->issuer_o, ==, "FNMT-RCM");
  g_assert_false (identity->dnie_style);

  holder = clave_x509_identity_holder_name (identity);
  g_assert_cmpstr (holder, ==, "GARCIA PEREZ LUCIA");
}

static void
test_expired_dates (void)
{
  g_autoptr(ClaveX509Identity) identity = NULL;

  if (!need_pki ())
    return;

  identity = load_identity ("expired.pem");
  /* 2015-01-01 and 2020-01-01, 00:00 UTC. */
  g_assert_cmpint (identity->not_before, ==, G_GINT64_CONSTANT (1420070400));
  g_assert_cmpint (identity->not_after, ==, G_GINT64_CONSTANT (1577836800));
  g_assert_cmpstr (identity->document, ==, "12345678Z");
}

static void
test_no_identity (void)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autofree char *holder = NULL;

  if (!need_pki ())
    return;

  identity = load_identity ("no-identity.pem");
  g_assert_null (identity->document);
  g_assert_null (identity->given_name);
  g_assert_null (identity->surnames);
  g_assert_false (identity->dnie_style);
  g_assert_cmpstr (identity->issuer_cn, ==, "AC FNMT Usuarios");

  holder = clave_x509_identity_holder_name (identity);
  g_assert_cmpstr (holder, ==, "SIN IDENTIDAD PRUEBA");
}

/* A self-signed certificate with a chosen serialNumber and O, for the
 * forms the fixture PKI does not hold. */
static GBytes *
make_certificate (const char *serial_number,
                  const char *organization)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t der = { NULL, 0 };
  guint8 serial[] = { 0x01, 0x02, 0x03 };
  time_t now = time (NULL);
  GBytes *bytes;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                                 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (crt, 3), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (crt, now - 60), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (crt, now + 3600), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                                  "PRUEBA", strlen ("PRUEBA")), ==, 0);
  if (organization != NULL)
    g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
                                                    organization, strlen (organization)), ==, 0);
  if (serial_number != NULL)
    g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, "2.5.4.5", 0, serial_number,
                                                    strlen (serial_number)), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);

  bytes = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
  return bytes;
}

static void
test_serial_number_forms (void)
{
  static const struct {
    const char *serial;
    const char *organization;
    const char *document;
    gboolean    dnie_style;
  } cases[] = {
    { "12345678Z", "DIRECCION GENERAL DE LA POLICIA", "12345678Z", TRUE },
    { "IDCES-12345678Z", "DIRECCION GENERAL DE LA POLICIA", "12345678Z", FALSE },
    { "VATES-X1234567L", "FNMT-RCM", "X1234567L", FALSE },
    { "IDCES-X1234567L", "FNMT-RCM", "X1234567L", FALSE },
    /* A bare DNI from another issuer is a certificate, not a DNIe. */
    { "12345678Z", "FNMT-RCM", "12345678Z", FALSE },
    { "12345678Z", NULL, "12345678Z", FALSE },
    /* Not exactly a valid DNI/NIE: no identity. */
    { "12345678A", "DIRECCION GENERAL DE LA POLICIA", NULL, FALSE },
    { "12345678z", "FNMT-RCM", NULL, FALSE },
    { "IDCES-12345678", "FNMT-RCM", NULL, FALSE },
    { "IDCES-1234 5678Z", "FNMT-RCM", NULL, FALSE },
    { "PASES-12345678Z", "FNMT-RCM", NULL, FALSE },
    { "idces-12345678Z", "FNMT-RCM", NULL, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) der = make_certificate (cases[i].serial, cases[i].organization);
      g_autoptr(GError) error = NULL;
      g_autoptr(ClaveX509Identity) identity = NULL;

      g_test_message ("serialNumber '%s'", cases[i].serial);
      identity = clave_x509_identity_from_der (der, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (identity->document, ==, cases[i].document);
      g_assert_cmpint (identity->dnie_style, ==, cases[i].dnie_style);
      g_assert_cmpstr (identity->issuer_o, ==, cases[i].organization);
    }
}

/* A self-signed certificate whose subject holds the serialNumber values
 * @raw (DER: tag, length, bytes), one attribute each. */
static GBytes *
make_certificate_raw_serials (const GByteArray *const *raw,
                              guint                    n_raw)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t der = { NULL, 0 };
  guint8 serial[] = { 0x01, 0x02, 0x04 };
  time_t now = time (NULL);
  GBytes *bytes;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                                 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (crt, 3), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (crt, now - 60), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (crt, now + 3600), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                                  "PRUEBA", strlen ("PRUEBA")), ==, 0);
  for (guint i = 0; i < n_raw; i++)
    g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, "2.5.4.5", 1, raw[i]->data,
                                                    raw[i]->len), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);

  bytes = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
  return bytes;
}

/* @text as a DER string of @tag: PrintableString (19) as is, BMPString
 * (30) as UTF-16BE of its ASCII characters. @len counts a NUL inside. */
static GByteArray *
der_string (guint8      tag,
            const char *text,
            gsize       len)
{
  GByteArray *array = g_byte_array_new ();
  guint8 header[2] = { tag, 0 };

  header[1] = (guint8) (tag == 30 ? 2 * len : len);
  g_byte_array_append (array, header, 2);
  for (gsize i = 0; i < len; i++)
    {
      guint8 c = (guint8) text[i];

      if (tag == 30)
        {
          guint8 pair[2] = { 0, c };
          g_byte_array_append (array, pair, 2);
        }
      else
        g_byte_array_append (array, &c, 1);
    }
  return array;
}

static ClaveX509Identity *
identity_of_raw_serials (const GByteArray *const *raw,
                         guint                    n_raw)
{
  g_autoptr(GBytes) der = make_certificate_raw_serials (raw, n_raw);
  g_autoptr(GError) error = NULL;
  ClaveX509Identity *identity = clave_x509_identity_from_der (der, &error);

  g_assert_no_error (error);
  g_assert_nonnull (identity);
  return identity;
}

/* What a sloppy or hostile issuer might write: the identity must come out
 * exactly or not at all. */
static void
test_serial_number_tricks (void)
{
  g_autoptr(GByteArray) bmp = der_string (30, "12345678Z", 9);
  g_autoptr(GByteArray) bmp_nul = der_string (30, "12345678Z\0X", 11);
  g_autoptr(GByteArray) first = der_string (19, "12345678Z", 9);
  g_autoptr(GByteArray) second = der_string (19, "00000023T", 9);
  g_autoptr(ClaveX509Identity) from_bmp = NULL;
  g_autoptr(ClaveX509Identity) from_bmp_nul = NULL;
  g_autoptr(ClaveX509Identity) from_two = NULL;
  g_autoptr(ClaveX509Identity) from_one = NULL;

  /* A BMPString decodes like any other string type... */
  from_bmp = identity_of_raw_serials ((const GByteArray *const[]) { bmp }, 1);
  g_assert_cmpstr (from_bmp->document, ==, "12345678Z");
  /* ...but a NUL inside it must not cut the value short. */
  from_bmp_nul = identity_of_raw_serials ((const GByteArray *const[]) { bmp_nul }, 1);
  g_assert_null (from_bmp_nul->document);
  /* Two serialNumbers: which one names the person is not for the reader to
   * guess. */
  from_two = identity_of_raw_serials ((const GByteArray *const[]) { first, second }, 2);
  g_assert_null (from_two->document);
  from_one = identity_of_raw_serials ((const GByteArray *const[]) { second }, 1);
  g_assert_cmpstr (from_one->document, ==, "00000023T");
}

static void
test_not_a_certificate (void)
{
  static const guint8 garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) junk = g_bytes_new_static (garbage, sizeof garbage);
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveX509Identity) identity = NULL;

  identity = clave_x509_identity_from_der (empty, &error);
  g_assert_null (identity);
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  identity = clave_x509_identity_from_der (junk, &error);
  g_assert_null (identity);
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
}

static void
test_holder_name (void)
{
  static const struct {
    const char *cn;
    const char *given_name;
    const char *surnames;
    const char *holder;
  } cases[] = {
    { "RUIZ GOMEZ, ANTONIO (AUTENTICACIÓN)", "ANTONIO", "RUIZ GOMEZ", "RUIZ GOMEZ, ANTONIO" },
    { "RUIZ GOMEZ, ANTONIO (AUTENTICACION)", NULL, NULL, "RUIZ GOMEZ, ANTONIO" },
    { "RUIZ GOMEZ, ANTONIO (FIRMA)", NULL, NULL, "RUIZ GOMEZ, ANTONIO" },
    { "MÜLLER ANNA - X1234567L", NULL, NULL, "MÜLLER ANNA" },
    /* Only a document number is dropped after " - ". */
    { "PEREZ-LLORCA ANA - SEDE", NULL, NULL, "PEREZ-LLORCA ANA - SEDE" },
    { "ANA - 12345678A", NULL, NULL, "ANA - 12345678A" },
    { "(FIRMA)", NULL, NULL, "(FIRMA)" },
    { NULL, "LUCÍA", "GARCÍA PÉREZ", "LUCÍA GARCÍA PÉREZ" },
    { "", "LUCÍA", NULL, "LUCÍA" },
    { NULL, NULL, "GARCÍA PÉREZ", "GARCÍA PÉREZ" },
    { NULL, NULL, NULL, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ClaveX509Identity identity = {
        .common_name = (char *) cases[i].cn,
        .given_name = (char *) cases[i].given_name,
        .surnames = (char *) cases[i].surnames,
      };
      g_autofree char *holder = clave_x509_identity_holder_name (&identity);

      g_assert_cmpstr (holder, ==, cases[i].holder);
    }
}

static void
test_proof_data (void)
{
  g_autoptr(GBytes) data = NULL;
  static const char expected[] =
    "clave-certificate-proof\nactivation:act_abc\nch_123\nAAECAw";

  data = clave_certificate_proof_data ("activation:act_abc", "ch_123", "AAECAw");
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   expected, strlen (expected));

  g_clear_pointer (&data, g_bytes_unref);
  data = clave_certificate_proof_data ("registration", "ch_x", "y");
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   "clave-certificate-proof\nregistration\nch_x\ny",
                   strlen ("clave-certificate-proof\nregistration\nch_x\ny"));
}

static void
test_dn_display_name (void)
{
  const struct {
    const char *dn;
    const char *name;
  } cases[] = {
    { "CN=AC DNIE 004,OU=DNIE,O=DIRECCION GENERAL DE LA POLICIA,C=ES", "AC DNIE 004" },
    { "OU=Ceres,CN=AC FNMT Usuarios,O=FNMT-RCM,C=ES", "AC FNMT Usuarios" },
    { "CN=GARCIA PEREZ\\, LUCIA,C=ES", "GARCIA PEREZ, LUCIA" },
    { "O=Nadie\\, S.A.,C=ES", "O=Nadie\\, S.A.,C=ES" },
    { "cn=Lower Case+serialNumber=1", "Lower Case" },
    { "CN=,O=Empty", "CN=,O=Empty" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = clave_x509_dn_display_name (cases[i].dn);

      g_assert_cmpstr (name, ==, cases[i].name);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/x509/dnie-style", test_dnie_style);
  g_test_add_func ("/x509/dnie-utf8-names", test_dnie_utf8_names);
  g_test_add_func ("/x509/fnmt-style", test_fnmt_style);
  g_test_add_func ("/x509/expired-dates", test_expired_dates);
  g_test_add_func ("/x509/no-identity", test_no_identity);
  g_test_add_func ("/x509/serial-number-forms", test_serial_number_forms);
  g_test_add_func ("/x509/serial-number-tricks", test_serial_number_tricks);
  g_test_add_func ("/x509/not-a-certificate", test_not_a_certificate);
  g_test_add_func ("/x509/holder-name", test_holder_name);
  g_test_add_func ("/x509/proof-data", test_proof_data);
  g_test_add_func ("/x509/dn-display-name", test_dn_display_name);

  return g_test_run ();
}
