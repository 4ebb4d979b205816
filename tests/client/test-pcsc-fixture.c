/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-pcsc-fixture"

#include "config.h"

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <winscard.h>

#include "clave-test-pcsc.h"

/*
 * The PC/SC fixture (tests/common/clave-test-pcsc.h) under OpenSC, loaded
 * as the client loads it (p11-kit): pcscd with vsmartcard's vpcd reader
 * and a libcacard CAC card carrying Lucía's DNIe-style certificates.
 *
 * Besides proving the fixture, these tests pin down what OpenSC 0.23 does
 * with such a card, which the token layer relies on: which calls send
 * APDUs, what a wrong PIN returns, which token flags count the tries, and
 * that another program's PC/SC transaction blocks OpenSC. The figures are
 * printed as TAP comments (meson test -v).
 */

#define WRONG_PIN      "654321"
#define IDLE_USEC      (1500 * 1000)
#define BLOCKED_USEC   (1000 * 1000)
#define RELEASE_USEC   (10 * 1000 * 1000)

typedef struct {
  ClaveTestPcsc    *pcsc;
  CK_FUNCTION_LIST *p11;
  guint64           apdus_before_opensc;
} Fixture;

/* Helpers */

static double
ms_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / 1000.0;
}

static void
fixture_start (Fixture                *fixture,
               const char             *card,
               ClaveTestPcscCardFlags  flags)
{
  g_autoptr(GError) error = NULL;
  const char *module;
  gint64 start;
  CK_RV rv;

  start = g_get_monotonic_time ();
  fixture->pcsc = clave_test_pcsc_start (&error);
  if (g_error_matches (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);
  g_test_message ("pcscd started, reader listed: %.0f ms", ms_since (start));

  start = g_get_monotonic_time ();
  clave_test_pcsc_insert_card_with_flags (fixture->pcsc, card, flags, &error);
  if (g_error_matches (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE))
    {
      g_test_skip (error->message);
      g_clear_pointer (&fixture->pcsc, clave_test_pcsc_stop);
      return;
    }
  g_assert_no_error (error);
  g_test_message ("card %s inserted, pcscd sees it: %.0f ms", card, ms_since (start));

  module = clave_test_pcsc_get_opensc_module ();
  if (module == NULL)
    {
      g_test_skip ("CLAVE_TEST_OPENSC_MODULE is not set (OpenSC's PKCS#11 module missing)");
      g_clear_pointer (&fixture->pcsc, clave_test_pcsc_stop);
      return;
    }

  fixture->apdus_before_opensc = clave_test_pcsc_get_apdu_count (fixture->pcsc);
  fixture->p11 = p11_kit_module_load (module, 0);
  g_assert_nonnull (fixture->p11);
  start = g_get_monotonic_time ();
  rv = p11_kit_module_initialize (fixture->p11);
  g_assert_cmphex (rv, ==, CKR_OK);
  g_test_message ("OpenSC C_Initialize: %.0f ms, %" G_GUINT64_FORMAT " APDUs",
                  ms_since (start),
                  clave_test_pcsc_get_apdu_count (fixture->pcsc) - fixture->apdus_before_opensc);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture_start (fixture, data, CLAVE_TEST_PCSC_CARD_DEFAULT);
}

static void
fixture_setup_raw_libcacard (Fixture       *fixture,
                             gconstpointer  data)
{
  fixture_start (fixture, data, CLAVE_TEST_PCSC_CARD_RAW_LIBCACARD);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->p11 != NULL)
    {
      p11_kit_module_finalize (fixture->p11);
      p11_kit_module_release (fixture->p11);
    }
  clave_test_pcsc_stop (fixture->pcsc);
}

static guint64
apdus (Fixture *fixture)
{
  return clave_test_pcsc_get_apdu_count (fixture->pcsc);
}

/* The slots with a token, as C_GetSlotList (CK_TRUE) lists them. */
static GArray *
token_slots (Fixture *fixture)
{
  GArray *slots = g_array_new (FALSE, TRUE, sizeof (CK_SLOT_ID));
  CK_ULONG count = 0;
  CK_RV rv;

  rv = fixture->p11->C_GetSlotList (CK_TRUE, NULL, &count);
  g_assert_cmphex (rv, ==, CKR_OK);
  g_array_set_size (slots, count);
  rv = fixture->p11->C_GetSlotList (CK_TRUE, (CK_SLOT_ID *) slots->data, &count);
  g_assert_cmphex (rv, ==, CKR_OK);
  g_array_set_size (slots, count);
  return slots;
}

static CK_SLOT_ID
the_slot (Fixture *fixture)
{
  g_autoptr(GArray) slots = token_slots (fixture);

  g_assert_cmpuint (slots->len, ==, 1);
  return g_array_index (slots, CK_SLOT_ID, 0);
}

static char *
padded_string (const CK_UTF8CHAR *value,
               gsize              len)
{
  g_autofree char *text = g_strndup ((const char *) value, len);

  return g_strdup (g_strchomp (text));
}

static CK_FLAGS
token_flags (Fixture    *fixture,
             CK_SLOT_ID  slot)
{
  CK_TOKEN_INFO info;
  CK_RV rv;

  rv = fixture->p11->C_GetTokenInfo (slot, &info);
  g_assert_cmphex (rv, ==, CKR_OK);
  return info.flags;
}

static const char *
pin_flags_string (CK_FLAGS flags)
{
  static char text[128];

  g_snprintf (text, sizeof text, "%s%s%s%s",
              flags & CKF_USER_PIN_COUNT_LOW ? "COUNT_LOW " : "",
              flags & CKF_USER_PIN_FINAL_TRY ? "FINAL_TRY " : "",
              flags & CKF_USER_PIN_LOCKED ? "LOCKED " : "",
              flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)
                ? "" : "(none)");
  return text;
}

static GBytes *
get_attribute (Fixture           *fixture,
               CK_SESSION_HANDLE  session,
               CK_OBJECT_HANDLE   object,
               CK_ATTRIBUTE_TYPE  type)
{
  CK_ATTRIBUTE attr = { type, NULL, 0 };
  g_autofree guint8 *value = NULL;
  CK_RV rv;

  rv = fixture->p11->C_GetAttributeValue (session, object, &attr, 1);
  g_assert_cmphex (rv, ==, CKR_OK);
  value = g_malloc (attr.ulValueLen + 1);
  attr.pValue = value;
  rv = fixture->p11->C_GetAttributeValue (session, object, &attr, 1);
  g_assert_cmphex (rv, ==, CKR_OK);
  return g_bytes_new (value, attr.ulValueLen);
}

static GArray *
find_objects (Fixture           *fixture,
              CK_SESSION_HANDLE  session,
              CK_OBJECT_CLASS    klass)
{
  GArray *objects = g_array_new (FALSE, TRUE, sizeof (CK_OBJECT_HANDLE));
  CK_ATTRIBUTE templ = { CKA_CLASS, &klass, sizeof klass };
  CK_OBJECT_HANDLE handles[16];
  CK_ULONG count;
  CK_RV rv;

  rv = fixture->p11->C_FindObjectsInit (session, &templ, 1);
  g_assert_cmphex (rv, ==, CKR_OK);
  do
    {
      rv = fixture->p11->C_FindObjects (session, handles, G_N_ELEMENTS (handles), &count);
      g_assert_cmphex (rv, ==, CKR_OK);
      g_array_append_vals (objects, handles, count);
    }
  while (count > 0);
  rv = fixture->p11->C_FindObjectsFinal (session);
  g_assert_cmphex (rv, ==, CKR_OK);
  return objects;
}

static CK_SESSION_HANDLE
open_session (Fixture    *fixture,
              CK_SLOT_ID  slot)
{
  CK_SESSION_HANDLE session;
  CK_RV rv;

  rv = fixture->p11->C_OpenSession (slot, CKF_SERIAL_SESSION, NULL, NULL, &session);
  g_assert_cmphex (rv, ==, CKR_OK);
  return session;
}

static char *
dn_value (gnutls_x509_crt_t  crt,
          const char        *oid)
{
  char buf[512];
  size_t size = sizeof buf;

  if (gnutls_x509_crt_get_dn_by_oid (crt, oid, 0, 0, buf, &size) != GNUTLS_E_SUCCESS)
    return NULL;
  return g_strndup (buf, size);
}

static GBytes *
pki_certificate_der (const char *name)
{
  const char *dir = g_getenv ("CLAVE_TEST_PKI_DIR");
  g_autofree char *path = NULL;
  g_autofree char *pem = NULL;
  gsize len;
  gnutls_datum_t in, out = { NULL, 0 };
  gnutls_x509_crt_t crt;
  GBytes *der;

  g_assert_nonnull (dir);
  path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_get_contents (path, &pem, &len, NULL));
  in.data = (unsigned char *) pem;
  in.size = (unsigned int) len;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &in, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &out), ==, 0);
  der = g_bytes_new (out.data, out.size);
  gnutls_free (out.data);
  gnutls_x509_crt_deinit (crt);
  return der;
}

typedef struct {
  CK_OBJECT_HANDLE handle;
  char            *label;
  GBytes          *value;
  char            *cn;
  char            *serial_number;
} Certificate;

static void
certificate_clear (gpointer data)
{
  Certificate *cert = data;

  g_free (cert->label);
  g_bytes_unref (cert->value);
  g_free (cert->cn);
  g_free (cert->serial_number);
}

static GArray *
read_certificates (Fixture           *fixture,
                   CK_SESSION_HANDLE  session)
{
  g_autoptr(GArray) handles = find_objects (fixture, session, CKO_CERTIFICATE);
  GArray *certs = g_array_new (FALSE, TRUE, sizeof (Certificate));

  g_array_set_clear_func (certs, certificate_clear);
  for (guint i = 0; i < handles->len; i++)
    {
      Certificate cert = { g_array_index (handles, CK_OBJECT_HANDLE, i) };
      g_autoptr(GBytes) label = get_attribute (fixture, session, cert.handle, CKA_LABEL);
      gnutls_x509_crt_t crt;
      gnutls_datum_t der;

      cert.label = g_strndup (g_bytes_get_data (label, NULL), g_bytes_get_size (label));
      cert.value = get_attribute (fixture, session, cert.handle, CKA_VALUE);
      der.data = (unsigned char *) g_bytes_get_data (cert.value, NULL);
      der.size = (unsigned int) g_bytes_get_size (cert.value);
      g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
      g_assert_cmpint (gnutls_x509_crt_import (crt, &der, GNUTLS_X509_FMT_DER), ==, 0);
      cert.cn = dn_value (crt, GNUTLS_OID_X520_COMMON_NAME);
      cert.serial_number = dn_value (crt, "2.5.4.5");
      gnutls_x509_crt_deinit (crt);
      g_array_append_val (certs, cert);
    }
  return certs;
}

static const Certificate *
find_certificate (GArray     *certs,
                  const char *cn_part)
{
  for (guint i = 0; i < certs->len; i++)
    {
      const Certificate *cert = &g_array_index (certs, Certificate, i);

      if (cert->cn != NULL && strstr (cert->cn, cn_part) != NULL)
        return cert;
    }
  return NULL;
}

static const Certificate *
require_certificate (GArray     *certs,
                     const char *cn_part)
{
  const Certificate *cert = find_certificate (certs, cn_part);

  if (cert == NULL)
    g_error ("No certificate whose CN has \"%s\" on the card", cn_part);
  return cert;
}

/* Tests */

static void
test_objects (Fixture       *fixture,
              gconstpointer  data)
{
  gboolean with_intermediate = g_str_equal (data, CLAVE_TEST_PCSC_CARD_LUCIA);
  g_autoptr(GArray) certs = NULL;
  g_autoptr(GBytes) auth_der = NULL;
  g_autoptr(GBytes) sign_der = NULL;
  const Certificate *auth, *sign, *intermediate;
  g_autofree char *label = NULL;
  g_autofree char *description = NULL;
  CK_SLOT_INFO slot_info;
  CK_TOKEN_INFO info;
  CK_SESSION_HANDLE session;
  CK_ULONG all_slots = 0;
  CK_SLOT_ID slot;
  CK_RV rv;

  if (fixture->p11 == NULL)
    return;

  slot = the_slot (fixture);
  /* vpcd's second reader is listed too, always empty. */
  rv = fixture->p11->C_GetSlotList (CK_FALSE, NULL, &all_slots);
  g_assert_cmphex (rv, ==, CKR_OK);
  g_assert_cmpuint (all_slots, >=, 2);

  rv = fixture->p11->C_GetSlotInfo (slot, &slot_info);
  g_assert_cmphex (rv, ==, CKR_OK);
  description = padded_string (slot_info.slotDescription, sizeof slot_info.slotDescription);
  g_assert_true (g_str_has_prefix (description, clave_test_pcsc_get_reader_name (fixture->pcsc)));
  g_assert_true (slot_info.flags & CKF_TOKEN_PRESENT);
  g_assert_true (slot_info.flags & CKF_REMOVABLE_DEVICE);

  rv = fixture->p11->C_GetTokenInfo (slot, &info);
  g_assert_cmphex (rv, ==, CKR_OK);
  label = padded_string (info.label, sizeof info.label);
  g_test_message ("token label \"%s\", model \"%.16s\", flags 0x%lx", label, info.model, info.flags);
  /* OpenSC's CAC emulation names the token after the first certificate's
   * CN (cut at 32 bytes): nothing DNIe-specific. */
  g_assert_true (g_str_has_prefix (label, "GARC"));
  g_assert_true (info.flags & CKF_LOGIN_REQUIRED);
  g_assert_true (info.flags & CKF_TOKEN_INITIALIZED);
  g_assert_false (info.flags & CKF_PROTECTED_AUTHENTICATION_PATH);

  session = open_session (fixture, slot);
  certs = read_certificates (fixture, session);
  for (guint i = 0; i < certs->len; i++)
    {
      const Certificate *cert = &g_array_index (certs, Certificate, i);

      g_test_message ("certificate \"%s\": CN=%s serialNumber=%s (%zu bytes)",
                      cert->label, cert->cn, cert->serial_number ? cert->serial_number : "-",
                      g_bytes_get_size (cert->value));
      /* A CAC card: none of the labels OpenSC gives a DNIe's objects. */
      g_assert_false (g_str_has_prefix (cert->label, "Cert"));
      g_assert_null (strstr (cert->label, "Autenticacion"));
    }
  g_assert_cmpuint (certs->len, ==, with_intermediate ? 3 : 2);

  auth = find_certificate (certs, "(AUTENTICACIÓN)");
  sign = find_certificate (certs, "(FIRMA)");
  intermediate = find_certificate (certs, "AC DNIE 004");
  g_assert_nonnull (auth);
  g_assert_nonnull (sign);
  g_assert_cmpstr (auth->serial_number, ==, "12345678Z");
  g_assert_cmpstr (sign->serial_number, ==, "12345678Z");
  auth_der = pki_certificate_der ("lucia-dnie-auth.pem");
  sign_der = pki_certificate_der ("lucia-dnie-sign.pem");
  g_assert_true (g_bytes_equal (auth->value, auth_der));
  g_assert_true (g_bytes_equal (sign->value, sign_der));
  if (with_intermediate)
    {
      g_autoptr(GBytes) int_der = pki_certificate_der ("dnie-int.pem");

      g_assert_nonnull (intermediate);
      g_assert_true (g_bytes_equal (intermediate->value, int_der));
    }
  else
    {
      g_assert_null (intermediate);
    }

  g_assert_cmphex (fixture->p11->C_CloseSession (session), ==, CKR_OK);
}

static void
test_remove_insert (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) slots = NULL;
  CK_SESSION_HANDLE session;
  CK_SESSION_INFO session_info;
  CK_TOKEN_INFO info;
  CK_SLOT_ID slot, again;
  guint64 before;
  gint64 start;
  CK_RV rv;

  if (fixture->p11 == NULL)
    return;

  slot = the_slot (fixture);
  session = open_session (fixture, slot);

  start = g_get_monotonic_time ();
  clave_test_pcsc_remove_card (fixture->pcsc, &error);
  g_assert_no_error (error);
  g_test_message ("card removed, pcscd sees it: %.0f ms", ms_since (start));

  slots = token_slots (fixture);
  g_assert_cmpuint (slots->len, ==, 0);
  rv = fixture->p11->C_GetTokenInfo (slot, &info);
  g_assert_cmphex (rv, ==, CKR_TOKEN_NOT_PRESENT);
  rv = fixture->p11->C_GetSessionInfo (session, &session_info);
  g_test_message ("after removal: C_GetTokenInfo 0x%lx, C_GetSessionInfo on the old session 0x%lx",
                  (unsigned long) CKR_TOKEN_NOT_PRESENT, (unsigned long) rv);
  g_assert_cmphex (rv, !=, CKR_OK);

  start = g_get_monotonic_time ();
  clave_test_pcsc_insert_card (fixture->pcsc, CLAVE_TEST_PCSC_CARD_LUCIA, &error);
  g_assert_no_error (error);
  g_test_message ("card inserted again, pcscd sees it: %.0f ms", ms_since (start));

  before = apdus (fixture);
  again = the_slot (fixture);
  g_test_message ("slot id before removal %lu, after insertion %lu; "
                  "C_GetSlotList(TRUE) after the insertion: %" G_GUINT64_FORMAT " APDUs",
                  (unsigned long) slot, (unsigned long) again, apdus (fixture) - before);
  g_assert_cmpuint (apdus (fixture), >, before);
  rv = fixture->p11->C_GetTokenInfo (again, &info);
  g_assert_cmphex (rv, ==, CKR_OK);
  session = open_session (fixture, again);
  g_assert_cmphex (fixture->p11->C_CloseSession (session), ==, CKR_OK);
}

static void
test_apdu_count (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GArray) slots = NULL;
  g_autoptr(GArray) certs = NULL;
  CK_SESSION_HANDLE session;
  CK_TOKEN_INFO info;
  CK_SLOT_ID slot;
  guint64 before, token_info_apdus;
  CK_RV rv;

  if (fixture->p11 == NULL)
    return;

  /* C_Initialize binds the card: OpenSC reads it then. */
  g_assert_cmpuint (apdus (fixture), >, fixture->apdus_before_opensc);

  before = apdus (fixture);
  slot = the_slot (fixture);
  g_test_message ("first C_GetSlotList(TRUE): %" G_GUINT64_FORMAT " APDUs", apdus (fixture) - before);

  /* Nobody talks to the card: pcscd's presence polls (vpcd's ATR
   * requests) are no APDUs. */
  before = apdus (fixture);
  g_usleep (IDLE_USEC);
  g_assert_cmpuint (apdus (fixture), ==, before);

  /* Polling the slot list of an unchanged card costs no card I/O. */
  for (guint i = 0; i < 5; i++)
    {
      slots = token_slots (fixture);
      g_assert_cmpuint (slots->len, ==, 1);
      g_clear_pointer (&slots, g_array_unref);
    }
  g_assert_cmpuint (apdus (fixture), ==, before);

  /* C_GetTokenInfo asks the card for the PIN's tries left (VERIFY without
   * data) every time. */
  before = apdus (fixture);
  rv = fixture->p11->C_GetTokenInfo (slot, &info);
  g_assert_cmphex (rv, ==, CKR_OK);
  token_info_apdus = apdus (fixture) - before;
  g_test_message ("C_GetTokenInfo: %" G_GUINT64_FORMAT " APDUs", token_info_apdus);
  g_assert_cmpuint (token_info_apdus, >, 0);
  before = apdus (fixture);
  rv = fixture->p11->C_GetTokenInfo (slot, &info);
  g_assert_cmphex (rv, ==, CKR_OK);
  g_assert_cmpuint (apdus (fixture) - before, ==, token_info_apdus);

  /* The certificates were read when the card was bound. */
  before = apdus (fixture);
  session = open_session (fixture, slot);
  certs = read_certificates (fixture, session);
  g_assert_cmpuint (certs->len, ==, 3);
  g_test_message ("C_OpenSession + reading the certificates: %" G_GUINT64_FORMAT " APDUs",
                  apdus (fixture) - before);

  before = apdus (fixture);
  g_usleep (IDLE_USEC);
  g_assert_cmpuint (apdus (fixture), ==, before);
  g_assert_cmphex (fixture->p11->C_CloseSession (session), ==, CKR_OK);
}

static CK_OBJECT_HANDLE
find_private_key (Fixture           *fixture,
                  CK_SESSION_HANDLE  session,
                  GBytes            *id)
{
  CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE templ[] = {
    { CKA_CLASS, &klass, sizeof klass },
    { CKA_ID, (void *) g_bytes_get_data (id, NULL), g_bytes_get_size (id) },
  };
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  CK_ULONG count = 0;
  CK_RV rv;

  rv = fixture->p11->C_FindObjectsInit (session, templ, G_N_ELEMENTS (templ));
  g_assert_cmphex (rv, ==, CKR_OK);
  rv = fixture->p11->C_FindObjects (session, &key, 1, &count);
  g_assert_cmphex (rv, ==, CKR_OK);
  g_assert_cmphex (fixture->p11->C_FindObjectsFinal (session), ==, CKR_OK);
  g_assert_cmpuint (count, ==, 1);
  return key;
}

/* What gnutls_privkey_sign_data2 (GNUTLS_SIGN_RSA_SHA256) does with a
 * PKCS#11 RSA key: CKM_RSA_PKCS over the DigestInfo of the SHA-256 hash. */
static CK_RV
sign_sha256 (Fixture           *fixture,
             CK_SESSION_HANDLE  session,
             CK_OBJECT_HANDLE   key,
             const char        *message,
             GBytes           **signature)
{
  static const guint8 prefix[] = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
    0x01, 0x05, 0x00, 0x04, 0x20
  };
  CK_MECHANISM mechanism = { CKM_RSA_PKCS, NULL, 0 };
  guint8 digest_info[sizeof prefix + 32];
  gsize digest_len = 32;
  guint8 out[512];
  CK_ULONG out_len = sizeof out;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  CK_RV rv;

  memcpy (digest_info, prefix, sizeof prefix);
  g_checksum_update (checksum, (const guchar *) message, -1);
  g_checksum_get_digest (checksum, digest_info + sizeof prefix, &digest_len);

  rv = fixture->p11->C_SignInit (session, &mechanism, key);
  if (rv != CKR_OK)
    return rv;
  rv = fixture->p11->C_Sign (session, digest_info, sizeof digest_info, out, &out_len);
  if (rv == CKR_OK)
    *signature = g_bytes_new (out, out_len);
  return rv;
}

static void
assert_signature (GBytes     *cert_der,
                  const char *message,
                  GBytes     *signature)
{
  gnutls_x509_crt_t crt;
  gnutls_pubkey_t pubkey;
  gnutls_datum_t der = { (unsigned char *) g_bytes_get_data (cert_der, NULL),
                         (unsigned int) g_bytes_get_size (cert_der) };
  gnutls_datum_t data = { (unsigned char *) message, (unsigned int) strlen (message) };
  gnutls_datum_t sig = { (unsigned char *) g_bytes_get_data (signature, NULL),
                         (unsigned int) g_bytes_get_size (signature) };

  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &der, GNUTLS_X509_FMT_DER), ==, 0);
  g_assert_cmpint (gnutls_pubkey_init (&pubkey), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_x509 (pubkey, crt, 0), ==, 0);
  g_assert_cmpint (gnutls_pubkey_verify_data2 (pubkey, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig),
                   >=, 0);
  gnutls_pubkey_deinit (pubkey);
  gnutls_x509_crt_deinit (crt);
}

/* A card's reset by another program (SCardDisconnect with
 * SCARD_RESET_CARD): the card forgets its PIN. */
static void
reset_card (Fixture *fixture)
{
  SCARDCONTEXT context;
  SCARDHANDLE card;
  DWORD protocol;

  g_assert_cmphex (SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context), ==,
                   SCARD_S_SUCCESS);
  g_assert_cmphex (SCardConnect (context, clave_test_pcsc_get_reader_name (fixture->pcsc),
                                 SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                                 &card, &protocol), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (SCardDisconnect (card, SCARD_RESET_CARD), ==, SCARD_S_SUCCESS);
  SCardReleaseContext (context);
}

static CK_RV
login (Fixture           *fixture,
       CK_SESSION_HANDLE  session,
       const char        *pin)
{
  return fixture->p11->C_Login (session, CKU_USER, (CK_UTF8CHAR *) pin, strlen (pin));
}

static void
test_wrong_pin (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) certs = NULL;
  g_autoptr(GBytes) auth_id = NULL;
  g_autoptr(GBytes) signature = NULL;
  const Certificate *auth;
  CK_SESSION_HANDLE session;
  CK_OBJECT_HANDLE key;
  CK_BBOOL always_auth = CK_FALSE;
  CK_ATTRIBUTE always_auth_attr = { CKA_ALWAYS_AUTHENTICATE, &always_auth, sizeof always_auth };
  CK_FLAGS flags;
  CK_SLOT_ID slot;
  guint64 before;
  CK_RV rv;

  if (fixture->p11 == NULL)
    return;

  slot = the_slot (fixture);
  session = open_session (fixture, slot);
  g_assert_cmpint (clave_test_pcsc_get_pin_tries (fixture->pcsc), ==, CLAVE_TEST_PCSC_MAX_TRIES);
  g_test_message ("fresh card: PIN flags %s", pin_flags_string (token_flags (fixture, slot)));

  /* A wrong PIN: 63 C2 from the card, CKR_PIN_INCORRECT from C_Login. With
   * max_tries unknown to OpenSC's CAC emulation, 2 tries left raise no
   * CKF_USER_PIN_COUNT_LOW. */
  rv = login (fixture, session, WRONG_PIN);
  g_assert_cmphex (rv, ==, CKR_PIN_INCORRECT);
  g_assert_cmpint (clave_test_pcsc_get_pin_tries (fixture->pcsc), ==, 2);
  flags = token_flags (fixture, slot);
  g_test_message ("1 wrong PIN (2 tries left): C_Login 0x%lx, PIN flags %s",
                  (unsigned long) rv, pin_flags_string (flags));
  g_assert_false (flags & (CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED));

  rv = login (fixture, session, WRONG_PIN);
  g_assert_cmphex (rv, ==, CKR_PIN_INCORRECT);
  g_assert_cmpint (clave_test_pcsc_get_pin_tries (fixture->pcsc), ==, 1);
  flags = token_flags (fixture, slot);
  g_test_message ("2 wrong PINs (1 try left): C_Login 0x%lx, PIN flags %s",
                  (unsigned long) rv, pin_flags_string (flags));
  g_assert_true (flags & CKF_USER_PIN_FINAL_TRY);
  g_assert_false (flags & CKF_USER_PIN_LOCKED);

  /* The right PIN resets the counter; the authentication key signs. */
  rv = login (fixture, session, CLAVE_TEST_PCSC_PIN);
  g_assert_cmphex (rv, ==, CKR_OK);
  g_assert_cmpint (clave_test_pcsc_get_pin_tries (fixture->pcsc), ==, CLAVE_TEST_PCSC_MAX_TRIES);
  flags = token_flags (fixture, slot);
  g_assert_false (flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED));

  certs = read_certificates (fixture, session);
  auth = require_certificate (certs, "(AUTENTICACIÓN)");
  auth_id = get_attribute (fixture, session, auth->handle, CKA_ID);
  key = find_private_key (fixture, session, auth_id);
  rv = fixture->p11->C_GetAttributeValue (session, key, &always_auth_attr, 1);
  g_test_message ("authentication key: CKA_ALWAYS_AUTHENTICATE rv 0x%lx value %d",
                  (unsigned long) rv, always_auth);
  rv = sign_sha256 (fixture, session, key, "clave-test", &signature);
  g_assert_cmphex (rv, ==, CKR_OK);
  assert_signature (auth->value, "clave-test", signature);
  g_clear_pointer (&signature, g_bytes_unref);

  /* Another program resets the card, which forgets the PIN: the card
   * answers 69 82 to the signature and OpenSC logs in again with the PIN
   * it cached (use_pin_caching, on by default) before it signs. */
  reset_card (fixture);
  before = apdus (fixture);
  rv = sign_sha256 (fixture, session, key, "clave-test", &signature);
  g_test_message ("C_Sign after another program reset the card: 0x%lx, %" G_GUINT64_FORMAT
                  " APDUs", (unsigned long) rv, apdus (fixture) - before);
  g_assert_cmphex (rv, ==, CKR_OK);
  assert_signature (auth->value, "clave-test", signature);
  g_assert_cmphex (fixture->p11->C_Logout (session), ==, CKR_OK);

  /* Three wrong PINs block it: 63 C1, 63 C0 (CKR_PIN_INCORRECT both),
   * then 69 83 (CKR_PIN_LOCKED) to anything, the right PIN too. */
  g_assert_cmphex (login (fixture, session, WRONG_PIN), ==, CKR_PIN_INCORRECT);
  g_assert_cmphex (login (fixture, session, WRONG_PIN), ==, CKR_PIN_INCORRECT);
  rv = login (fixture, session, WRONG_PIN);
  flags = token_flags (fixture, slot);
  g_test_message ("3 wrong PINs (blocked): C_Login 0x%lx, PIN flags %s",
                  (unsigned long) rv, pin_flags_string (flags));
  g_assert_cmphex (rv, ==, CKR_PIN_INCORRECT);
  g_assert_cmpint (clave_test_pcsc_get_pin_tries (fixture->pcsc), ==, 0);
  g_assert_true (flags & CKF_USER_PIN_LOCKED);
  g_assert_cmphex (login (fixture, session, WRONG_PIN), ==, CKR_PIN_LOCKED);
  g_assert_cmphex (login (fixture, session, CLAVE_TEST_PCSC_PIN), ==, CKR_PIN_LOCKED);

  /* Pulling the card out and back keeps its counter, as a card does. */
  clave_test_pcsc_remove_card (fixture->pcsc, &error);
  g_assert_no_error (error);
  clave_test_pcsc_insert_card (fixture->pcsc, CLAVE_TEST_PCSC_CARD_LUCIA, &error);
  g_assert_no_error (error);
  slot = the_slot (fixture);
  g_assert_true (token_flags (fixture, slot) & CKF_USER_PIN_LOCKED);

  /* The fixture can unblock it. */
  clave_test_pcsc_set_pin_tries (fixture->pcsc, CLAVE_TEST_PCSC_MAX_TRIES, &error);
  g_assert_no_error (error);
  session = open_session (fixture, slot);
  g_assert_cmphex (login (fixture, session, CLAVE_TEST_PCSC_PIN), ==, CKR_OK);
  g_assert_cmphex (fixture->p11->C_CloseSession (session), ==, CKR_OK);
}

static void
test_wrong_pin_libcacard (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GArray) certs = NULL;
  g_autoptr(GBytes) auth_id = NULL;
  g_autoptr(GBytes) signature = NULL;
  const Certificate *auth;
  CK_SESSION_HANDLE session;
  CK_OBJECT_HANDLE key;
  CK_FLAGS flags;
  CK_SLOT_ID slot;
  CK_RV rv;

  if (fixture->p11 == NULL)
    return;

  /* libcacard's own answers: 69 85 to a wrong PIN, 6A 88 to a VERIFY
   * without data. OpenSC maps 69 85 (SC_ERROR_NOT_ALLOWED) to nothing of
   * PKCS#11's: C_Login returns CKR_GENERAL_ERROR, and the token flags
   * never show the tries. */
  slot = the_slot (fixture);
  session = open_session (fixture, slot);
  rv = login (fixture, session, WRONG_PIN);
  flags = token_flags (fixture, slot);
  g_test_message ("libcacard, wrong PIN: C_Login 0x%lx, PIN flags %s",
                  (unsigned long) rv, pin_flags_string (flags));
  g_assert_cmphex (rv, ==, CKR_GENERAL_ERROR);
  g_assert_false (flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED));

  rv = login (fixture, session, CLAVE_TEST_PCSC_PIN);
  g_assert_cmphex (rv, ==, CKR_OK);
  certs = read_certificates (fixture, session);
  auth = require_certificate (certs, "(AUTENTICACIÓN)");
  auth_id = get_attribute (fixture, session, auth->handle, CKA_ID);
  key = find_private_key (fixture, session, auth_id);
  g_assert_cmphex (sign_sha256 (fixture, session, key, "clave-test", &signature), ==, CKR_OK);
  assert_signature (auth->value, "clave-test", signature);
  g_clear_pointer (&signature, g_bytes_unref);

  /* Another program resets the card, which forgets the PIN: libcacard
   * answers 69 85 to the signature, which OpenSC does not take for "not
   * logged in" (69 82): no new login with the cached PIN, C_Sign fails
   * with CKR_FUNCTION_FAILED. */
  reset_card (fixture);
  rv = sign_sha256 (fixture, session, key, "clave-test", &signature);
  g_test_message ("libcacard, C_Sign after another program reset the card: 0x%lx",
                  (unsigned long) rv);
  g_assert_cmphex (rv, ==, CKR_FUNCTION_FAILED);
  g_assert_cmphex (fixture->p11->C_CloseSession (session), ==, CKR_OK);
}

typedef struct {
  Fixture    *fixture;
  CK_SLOT_ID  slot;
  gint        done;          /* atomic */
  LONG        pcsc_rv;
  CK_RV       p11_rv;
} Blocked;

static gpointer
begin_transaction_thread (gpointer data)
{
  Blocked *blocked = data;
  SCARDCONTEXT context;
  SCARDHANDLE card;
  DWORD protocol;
  LONG rv;

  rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context);
  if (rv == SCARD_S_SUCCESS)
    rv = SCardConnect (context, clave_test_pcsc_get_reader_name (blocked->fixture->pcsc),
                       SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                       &card, &protocol);
  if (rv == SCARD_S_SUCCESS)
    {
      rv = SCardBeginTransaction (card);
      if (rv == SCARD_S_SUCCESS)
        SCardEndTransaction (card, SCARD_LEAVE_CARD);
      SCardDisconnect (card, SCARD_LEAVE_CARD);
    }
  SCardReleaseContext (context);

  blocked->pcsc_rv = rv;
  g_atomic_int_set (&blocked->done, 1);
  return NULL;
}

static gpointer
token_info_thread (gpointer data)
{
  Blocked *blocked = data;
  CK_TOKEN_INFO info;

  blocked->p11_rv = blocked->fixture->p11->C_GetTokenInfo (blocked->slot, &info);
  g_atomic_int_set (&blocked->done, 1);
  return NULL;
}

static gpointer
slot_list_thread (gpointer data)
{
  Blocked *blocked = data;
  CK_ULONG count = 0;

  blocked->p11_rv = blocked->fixture->p11->C_GetSlotList (CK_TRUE, NULL, &count);
  g_atomic_int_set (&blocked->done, 1);
  return NULL;
}

static gboolean
wait_done (Blocked *blocked,
           gint64   usec)
{
  gint64 deadline = g_get_monotonic_time () + usec;

  while (!g_atomic_int_get (&blocked->done) && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  return g_atomic_int_get (&blocked->done);
}

static void
test_holder (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GThread) pcsc_thread = NULL;
  g_autoptr(GThread) info_thread = NULL;
  g_autoptr(GThread) list_thread = NULL;
  Blocked pcsc_blocked = { fixture };
  Blocked info_blocked = { fixture };
  Blocked list_blocked = { fixture };
  gboolean list_was_blocked;
  gint64 start;

  if (fixture->p11 == NULL)
    return;

  info_blocked.slot = the_slot (fixture);

  holder = clave_test_pcsc_hold_card (fixture->pcsc, &error);
  g_assert_no_error (error);

  /* Another PC/SC client cannot begin a transaction... */
  pcsc_thread = g_thread_new ("begin-transaction", begin_transaction_thread, &pcsc_blocked);
  /* ...nor can OpenSC talk to the card... */
  info_thread = g_thread_new ("token-info", token_info_thread, &info_blocked);
  g_assert_false (wait_done (&pcsc_blocked, BLOCKED_USEC));
  g_assert_false (wait_done (&info_blocked, 0));

  /* ...and while a thread waits in OpenSC for the card, does every other
   * call wait too (OpenSC's global lock)? */
  list_thread = g_thread_new ("slot-list", slot_list_thread, &list_blocked);
  list_was_blocked = !wait_done (&list_blocked, BLOCKED_USEC);
  g_test_message ("while C_GetTokenInfo waits for the card, C_GetSlotList in another thread %s",
                  list_was_blocked ? "waits too" : "returns");

  start = g_get_monotonic_time ();
  g_subprocess_send_signal (holder, SIGTERM);
  g_assert_true (wait_done (&pcsc_blocked, RELEASE_USEC));
  g_assert_true (wait_done (&info_blocked, RELEASE_USEC));
  g_assert_true (wait_done (&list_blocked, RELEASE_USEC));
  g_test_message ("holder ended: the blocked calls returned within %.0f ms", ms_since (start));
  g_assert_cmphex (pcsc_blocked.pcsc_rv, ==, SCARD_S_SUCCESS);
  g_assert_cmphex (info_blocked.p11_rv, ==, CKR_OK);
  g_assert_cmphex (list_blocked.p11_rv, ==, CKR_OK);

  g_assert_true (g_subprocess_wait_check (holder, NULL, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add ("/pcsc-fixture/objects/lucia-dnie", Fixture, CLAVE_TEST_PCSC_CARD_LUCIA,
              fixture_setup, test_objects, fixture_teardown);
  g_test_add ("/pcsc-fixture/objects/lucia-dnie-noint", Fixture, CLAVE_TEST_PCSC_CARD_LUCIA_NOINT,
              fixture_setup, test_objects, fixture_teardown);
  g_test_add ("/pcsc-fixture/remove-insert", Fixture, CLAVE_TEST_PCSC_CARD_LUCIA,
              fixture_setup, test_remove_insert, fixture_teardown);
  g_test_add ("/pcsc-fixture/apdu-count", Fixture, CLAVE_TEST_PCSC_CARD_LUCIA,
              fixture_setup, test_apdu_count, fixture_teardown);
  g_test_add ("/pcsc-fixture/wrong-pin", Fixture, CLAVE_TEST_PCSC_CARD_LUCIA,
              fixture_setup, test_wrong_pin, fixture_teardown);
  g_test_add ("/pcsc-fixture/wrong-pin-libcacard", Fixture, CLAVE_TEST_PCSC_CARD_LUCIA,
              fixture_setup_raw_libcacard, test_wrong_pin_libcacard, fixture_teardown);
  g_test_add ("/pcsc-fixture/holder", Fixture, CLAVE_TEST_PCSC_CARD_LUCIA,
              fixture_setup, test_holder, fixture_teardown);

  return g_test_run ();
}
