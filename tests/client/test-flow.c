/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveFlow: the activation or registration in progress that the pages
 * share, without GTK (issue 10). */
#include "config.h"

#include <gnutls/x509.h>

#include "clave-certificate-private.h"
#include "clave-flow.h"

static ClaveActivation *
activation_new (const char *id)
{
  ClaveActivation *activation = g_new0 (ClaveActivation, 1);

  activation->id = g_strdup (id);
  activation->token = g_strdup ("tok_secret");
  activation->phone_hint = g_strdup ("***789");
  activation->expires_at = 1000;
  return activation;
}

/* A certificate file's certificate, made here: the flow only keeps it. */
static ClaveCertificate *
certificate_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t der = { NULL, 0 };
  unsigned char serial[] = { 1 };
  ClaveCertificate *certificate;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                                 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (crt, 3), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_dn (crt, "CN=LUCIA GARCIA PEREZ,serialNumber=IDCES-12345678Z",
                                           NULL), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_issuer_dn (crt, "CN=Test CA", NULL), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (crt, 1700000000), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (crt, 4000000000), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);
  g_ptr_array_add (chain, g_bytes_new (der.data, der.size));
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);

  certificate = _clave_certificate_new_for_file ("/nowhere/lucia.p12", "lucia.p12",
                                                 g_steal_pointer (&chain), &error);
  g_assert_no_error (error);
  return certificate;
}

static ClaveCertificateProof *
proof_new (void)
{
  ClaveCertificateProof *proof = g_new0 (ClaveCertificateProof, 1);

  proof->challenge_id = g_strdup ("chl_1");
  proof->algorithm = g_strdup ("ecdsa-p256-sha256");
  return proof;
}

static void
test_activation (void)
{
  g_autoptr(ClaveFlow) flow = clave_flow_new ();
  g_autoptr(ClaveActivation) activation = activation_new ("act_1");
  ClaveSmsStatus status = { .code_expires_in = 300, .resend_after = 30, .sends_left = 2,
                            .phone_hint = (char *) "***789" };
  gint64 before, sent_at = 0;

  g_assert_null (clave_flow_get_activation (flow));
  g_assert_null (clave_flow_get_sms_status (flow, NULL));

  clave_flow_begin_activation (flow, "12345678Z", CLAVE_DOCUMENT_TYPE_DNI, activation);
  /* A copy: the caller's may go. */
  g_clear_pointer (&activation, clave_activation_free);
  g_assert_cmpstr (clave_flow_get_activation (flow)->id, ==, "act_1");
  g_assert_cmpstr (clave_flow_get_activation_document (flow), ==, "12345678Z");
  g_assert_cmpint (clave_flow_get_activation_document_type (flow), ==, CLAVE_DOCUMENT_TYPE_DNI);

  before = g_get_monotonic_time ();
  clave_flow_set_sms_status (flow, &status);
  status.sends_left = 0;
  g_assert_cmpuint (clave_flow_get_sms_status (flow, &sent_at)->sends_left, ==, 2);
  g_assert_cmpint (sent_at, >=, before);
  g_assert_cmpint (sent_at, <=, g_get_monotonic_time ());

  clave_flow_end_activation (flow);
  g_assert_null (clave_flow_get_activation (flow));
  g_assert_null (clave_flow_get_activation_document (flow));
  g_assert_cmpint (clave_flow_get_activation_document_type (flow), ==,
                   CLAVE_DOCUMENT_TYPE_UNKNOWN);
  g_assert_null (clave_flow_get_sms_status (flow, &sent_at));
  g_assert_cmpint (sent_at, ==, 0);
}

static void
test_registration (void)
{
  g_autoptr(ClaveFlow) flow = clave_flow_new ();
  g_autoptr(ClaveCertificate) certificate = certificate_new ();
  g_autoptr(ClaveActivation) activation = activation_new ("act_2");
  ClaveRegistration registration = { .id = (char *) "reg_1", .token = (char *) "tok",
                                     .phone_hint = (char *) "***111",
                                     .document = (char *) "12345678Z",
                                     .code_expires_in = 300, .resend_after = 30,
                                     .sends_left = 3 };

  /* A proof ends the activation in progress. */
  clave_flow_begin_activation (flow, "12345678Z", CLAVE_DOCUMENT_TYPE_DNI, activation);
  clave_flow_set_registration_proof (flow, proof_new (), certificate);
  g_assert_null (clave_flow_get_activation (flow));
  g_assert_cmpstr (clave_flow_get_registration_proof (flow)->challenge_id, ==, "chl_1");
  g_assert_true (clave_flow_get_registration_certificate (flow) == certificate);

  /* The service used the proof's challenge: the registration and its
   * SMS status replace it. */
  clave_flow_begin_registration (flow, &registration);
  g_assert_null (clave_flow_get_registration_proof (flow));
  g_assert_cmpstr (clave_flow_get_registration (flow)->id, ==, "reg_1");
  g_assert_cmpstr (clave_flow_get_sms_status (flow, NULL)->phone_hint, ==, "***111");
  g_assert_cmpuint (clave_flow_get_sms_status (flow, NULL)->sends_left, ==, 3);
  g_assert_true (clave_flow_get_registration_certificate (flow) == certificate);

  /* Registered: the activation that comes with it ends the registration
   * (and its SMS status). */
  clave_flow_begin_activation (flow, "12345678Z", CLAVE_DOCUMENT_TYPE_DNI, activation);
  g_assert_null (clave_flow_get_registration (flow));
  g_assert_null (clave_flow_get_registration_certificate (flow));
  g_assert_null (clave_flow_get_sms_status (flow, NULL));
  g_assert_cmpstr (clave_flow_get_activation (flow)->id, ==, "act_2");

  /* Ending a registration that is not there keeps the activation's SMS
   * status. */
  {
    ClaveSmsStatus status = { .code_expires_in = 300, .sends_left = 1 };

    clave_flow_set_sms_status (flow, &status);
    clave_flow_end_registration (flow);
    g_assert_nonnull (clave_flow_get_sms_status (flow, NULL));
  }
  clave_flow_clear_registration_proof (flow);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/flow/activation", test_activation);
  g_test_add_func ("/flow/registration", test_registration);

  return g_test_run ();
}
