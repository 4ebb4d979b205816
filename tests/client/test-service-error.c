/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-service-error"

#include "config.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "clave-protocol.h"
#include "clave-service-error.h"

/* docs/protocol.md "Error codes", with the status the service gives. */
static const struct {
  guint              status;
  const char        *code;
  ClaveServiceError  expected;
  const char        *needle;   /* something the person must read */
} responses[] = {
  { 400, CLAVE_ERR_INVALID_REQUEST,         CLAVE_SERVICE_ERROR_INVALID_REQUEST,       "did not accept" },
  { 400, CLAVE_ERR_INVALID_JSON,            CLAVE_SERVICE_ERROR_INVALID_REQUEST,       "did not accept" },
  { 400, CLAVE_ERR_INVALID_DOCUMENT,        CLAVE_SERVICE_ERROR_INVALID_REQUEST,       "document number" },
  { 400, CLAVE_ERR_INVALID_CONTRAST,        CLAVE_SERVICE_ERROR_INVALID_REQUEST,       "contrast data" },
  { 400, CLAVE_ERR_INVALID_PUBLIC_KEY,      CLAVE_SERVICE_ERROR_INVALID_REQUEST,       "activation again" },
  { 400, CLAVE_ERR_DIGEST_MISMATCH,         CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,    "signature" },
  { 401, CLAVE_ERR_IDENTIFICATION_FAILED,   CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED,
    "The document number or the contrast data are not correct. Check them and try again." },
  { 401, CLAVE_ERR_INVALID_ACTIVATION,      CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,    "activation again" },
  { 401, CLAVE_ERR_INVALID_CODE,            CLAVE_SERVICE_ERROR_INVALID_CODE,          "The code is not correct." },
  { 401, CLAVE_ERR_INVALID_PROOF,           CLAVE_SERVICE_ERROR_INVALID_REQUEST,       "activation again" },
  { 401, CLAVE_ERR_SIGNATURE_REQUIRED,      CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,    "signature" },
  { 401, CLAVE_ERR_INVALID_SIGNATURE,       CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,    "signature" },
  { 401, CLAVE_ERR_STALE_SIGNATURE,         CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,    "date and time" },
  { 401, CLAVE_ERR_REPLAYED_NONCE,          CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,    "signature" },
  { 401, CLAVE_ERR_UNKNOWN_DEVICE,          CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,    "Activate this device again" },
  { 401, CLAVE_ERR_DEVICE_DEACTIVATED,      CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,    "Activate this device again" },
  { 404, CLAVE_ERR_NOT_FOUND,               CLAVE_SERVICE_ERROR_PROTOCOL,              "service address" },
  { 421, CLAVE_ERR_MISDIRECTED_REQUEST,     CLAVE_SERVICE_ERROR_PROTOCOL,              "does not answer for this address" },
  { 405, CLAVE_ERR_METHOD_NOT_ALLOWED,      CLAVE_SERVICE_ERROR_PROTOCOL,              "service address" },
  { 409, CLAVE_ERR_NO_CODE_SENT,            CLAVE_SERVICE_ERROR_CODE_EXPIRED,          "Ask for a code" },
  { 409, CLAVE_ERR_ACTIVATION_NOT_VERIFIED, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,    "activation again" },
  { 410, CLAVE_ERR_ACTIVATION_EXPIRED,      CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,    "activation again" },
  { 410, CLAVE_ERR_CODE_EXPIRED,            CLAVE_SERVICE_ERROR_CODE_EXPIRED,          "new code" },
  { 413, CLAVE_ERR_BODY_TOO_LARGE,          CLAVE_SERVICE_ERROR_INVALID_REQUEST,       "did not accept" },
  { 415, CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE,  CLAVE_SERVICE_ERROR_INVALID_REQUEST,       "did not accept" },
  { 423, CLAVE_ERR_ACTIVATION_LOCKED,       CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED,     "activation again" },
  { 429, CLAVE_ERR_TOO_MANY_ATTEMPTS,       CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS,
    "Too many failed attempts. Wait a few minutes and try again." },
  { 429, CLAVE_ERR_RESEND_TOO_SOON,         CLAVE_SERVICE_ERROR_RESEND_TOO_SOON,       "Wait" },
  { 429, CLAVE_ERR_RESEND_LIMIT,            CLAVE_SERVICE_ERROR_RESEND_LIMIT,          "activation again" },
  { 410, CLAVE_ERR_REQUEST_EXPIRED,         CLAVE_SERVICE_ERROR_REQUEST_EXPIRED,
    "This request has expired. Ask the website for a new one." },
  { 409, CLAVE_ERR_ALREADY_ANSWERED,        CLAVE_SERVICE_ERROR_ALREADY_ANSWERED,      "already been answered" },
  { 409, CLAVE_ERR_ALREADY_CLAIMED,         CLAVE_SERVICE_ERROR_ALREADY_CLAIMED,       "Another device" },
  { 403, CLAVE_ERR_NOT_YOUR_REQUEST,        CLAVE_SERVICE_ERROR_NOT_YOUR_REQUEST,      "another person" },
  { 403, CLAVE_ERR_KEY_NOT_ALLOWED,         CLAVE_SERVICE_ERROR_KEY_NOT_ALLOWED,       "PIN" },
  { 401, CLAVE_ERR_INVALID_CHALLENGE,       CLAVE_SERVICE_ERROR_CHALLENGE_EXPIRED,     "Try again" },
  { 401, CLAVE_ERR_CERTIFICATE_UNTRUSTED,   CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,
    "This certificate is not issued by an authority Cl@ve accepts." },
  { 401, CLAVE_ERR_CERTIFICATE_EXPIRED,     CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,  "expired" },
  { 401, CLAVE_ERR_CERTIFICATE_NOT_USABLE,  CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,  "authentication certificate" },
  { 401, CLAVE_ERR_INVALID_CERT_SIGNATURE,  CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,  "signature" },
  { 400, CLAVE_ERR_CERTIFICATE_WITHOUT_IDENTITY, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED, "DNI or NIE" },
  { 403, CLAVE_ERR_IDENTITY_MISMATCH,       CLAVE_SERVICE_ERROR_IDENTITY_MISMATCH,
    "This certificate belongs to another person." },
  { 403, CLAVE_ERR_IDENTITY_UNKNOWN,        CLAVE_SERVICE_ERROR_IDENTITY_UNKNOWN,      "in person" },
  { 409, CLAVE_ERR_ALREADY_REGISTERED,      CLAVE_SERVICE_ERROR_ALREADY_REGISTERED,
    "You are already registered in Cl@ve. Log in instead." },
  { 409, CLAVE_ERR_PHONE_IN_USE,            CLAVE_SERVICE_ERROR_PHONE_IN_USE,          "another person" },
  { 400, CLAVE_ERR_INVALID_PHONE,           CLAVE_SERVICE_ERROR_INVALID_PHONE,         "phone number" },
  { 400, CLAVE_ERR_INVALID_EMAIL,           CLAVE_SERVICE_ERROR_INVALID_EMAIL,         "e-mail address" },
  { 401, CLAVE_ERR_INVALID_REGISTRATION,    CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,  "registration again" },
  { 410, CLAVE_ERR_REGISTRATION_EXPIRED,    CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,  "registration again" },
  { 423, CLAVE_ERR_REGISTRATION_LOCKED,     CLAVE_SERVICE_ERROR_REGISTRATION_LOCKED,   "registration again" },
  { 500, CLAVE_ERR_INTERNAL,                CLAVE_SERVICE_ERROR_SERVER,                "Try again later" },
};

static void
test_every_code (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (responses); i++)
    {
      g_autoptr(GError) error = clave_service_error_from_response (responses[i].status,
                                                                   responses[i].code,
                                                                   "English text for logs");

      g_test_message ("%u %s -> %s", responses[i].status, responses[i].code, error->message);
      g_assert_error (error, CLAVE_SERVICE_ERROR, (gint) responses[i].expected);
      g_assert_nonnull (strstr (error->message, responses[i].needle));
      /* The machine code and the service's own text never reach a person. */
      g_assert_null (strstr (error->message, responses[i].code));
      g_assert_null (strstr (error->message, "English text"));
    }
}

static void
test_fallbacks (void)
{
  static const struct {
    guint              status;
    const char        *code;
    ClaveServiceError  expected;
  } cases[] = {
    { 400, NULL,                 CLAVE_SERVICE_ERROR_INVALID_REQUEST },
    { 413, "something_new",      CLAVE_SERVICE_ERROR_INVALID_REQUEST },
    { 415, NULL,                 CLAVE_SERVICE_ERROR_INVALID_REQUEST },
    { 429, "slow_down",          CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS },
    { 404, NULL,                 CLAVE_SERVICE_ERROR_PROTOCOL },
    { 401, "brand_new_code",     CLAVE_SERVICE_ERROR_PROTOCOL },
    { 418, NULL,                 CLAVE_SERVICE_ERROR_PROTOCOL },
    { 302, NULL,                 CLAVE_SERVICE_ERROR_PROTOCOL },
    { 500, NULL,                 CLAVE_SERVICE_ERROR_SERVER },
    { 502, NULL,                 CLAVE_SERVICE_ERROR_SERVER },
    { 503, "maintenance",        CLAVE_SERVICE_ERROR_SERVER },
    /* A 5xx is the service's fault whatever code comes with it. */
    { 500, CLAVE_ERR_INVALID_CODE, CLAVE_SERVICE_ERROR_SERVER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = clave_service_error_from_response (cases[i].status,
                                                                   cases[i].code, NULL);

      g_assert_error (error, CLAVE_SERVICE_ERROR, (gint) cases[i].expected);
      g_assert_cmpstr (error->message, !=, "");
    }
}

static void
test_transport (void)
{
  static const struct {
    GQuark             domain;
    gint               code;
    ClaveServiceError  expected;
    const char        *needle;
  } cases[] = {
    { 0, G_TLS_ERROR_BAD_CERTIFICATE,         CLAVE_SERVICE_ERROR_TLS,      "not trusted" },
    { 0, G_TLS_ERROR_HANDSHAKE,               CLAVE_SERVICE_ERROR_TLS,      "secure connection" },
    { 0, G_TLS_ERROR_NOT_TLS,                 CLAVE_SERVICE_ERROR_TLS,      "secure connection" },
    { 1, G_IO_ERROR_CONNECTION_REFUSED,       CLAVE_SERVICE_ERROR_NETWORK,
      "Cannot reach the Cl@ve service. Check your connection and try again." },
    { 1, G_IO_ERROR_HOST_UNREACHABLE,         CLAVE_SERVICE_ERROR_NETWORK,  "Cannot reach" },
    { 1, G_IO_ERROR_NETWORK_UNREACHABLE,      CLAVE_SERVICE_ERROR_NETWORK,  "Cannot reach" },
    { 1, G_IO_ERROR_CONNECTION_CLOSED,        CLAVE_SERVICE_ERROR_NETWORK,  "Cannot reach" },
    { 1, G_IO_ERROR_TIMED_OUT,                CLAVE_SERVICE_ERROR_NETWORK,  "in time" },
    { 2, G_RESOLVER_ERROR_NOT_FOUND,          CLAVE_SERVICE_ERROR_NETWORK,  "cannot be found" },
    { 2, G_RESOLVER_ERROR_TEMPORARY_FAILURE,  CLAVE_SERVICE_ERROR_NETWORK,  "cannot be found" },
    { 3, SOUP_SESSION_ERROR_PARSING,          CLAVE_SERVICE_ERROR_PROTOCOL, "does not understand" },
    { 3, SOUP_SESSION_ERROR_ENCODING,         CLAVE_SERVICE_ERROR_PROTOCOL, "does not understand" },
  };
  GQuark domains[4];
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  g_autoptr(GError) mapped = NULL;

  domains[0] = G_TLS_ERROR;
  domains[1] = G_IO_ERROR;
  domains[2] = G_RESOLVER_ERROR;
  domains[3] = SOUP_SESSION_ERROR;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) original = g_error_new_literal (domains[cases[i].domain], cases[i].code,
                                                        "low-level detail");
      g_autoptr(GError) error = clave_service_error_from_transport (original);

      g_assert_error (error, CLAVE_SERVICE_ERROR, (gint) cases[i].expected);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
      g_assert_null (strstr (error->message, "low-level"));
    }

  mapped = clave_service_error_from_transport (cancelled);
  g_assert_error (mapped, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (mapped != cancelled);
}

static void
test_quarks (void)
{
  g_assert_cmpstr (g_quark_to_string (CLAVE_SERVICE_ERROR), ==, "clave-service-error-quark");
  g_assert_cmpstr (g_quark_to_string (CLAVE_DEVICE_KEY_ERROR), ==, "clave-device-key-error-quark");
  g_assert_cmpuint (CLAVE_SERVICE_ERROR, !=, CLAVE_DEVICE_KEY_ERROR);
}

/* The one place that decides what a page does with an error (issue 10):
 * network, TLS and server failures are retried, a device the service
 * forgot is lost, what the person typed wrong is shown. */
static void
test_actions (void)
{
  static const struct {
    int                     code;
    ClaveServiceErrorAction action;
  } cases[] = {
    { CLAVE_SERVICE_ERROR_NETWORK, CLAVE_SERVICE_ERROR_ACTION_RETRY },
    { CLAVE_SERVICE_ERROR_TLS, CLAVE_SERVICE_ERROR_ACTION_RETRY },
    { CLAVE_SERVICE_ERROR_PROTOCOL, CLAVE_SERVICE_ERROR_ACTION_RETRY },
    { CLAVE_SERVICE_ERROR_SERVER, CLAVE_SERVICE_ERROR_ACTION_RETRY },
    { CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED, CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST },
    { CLAVE_SERVICE_ERROR_INVALID_CODE, CLAVE_SERVICE_ERROR_ACTION_NONE },
    { CLAVE_SERVICE_ERROR_CODE_EXPIRED, CLAVE_SERVICE_ERROR_ACTION_NONE },
    { CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED, CLAVE_SERVICE_ERROR_ACTION_NONE },
    { CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS, CLAVE_SERVICE_ERROR_ACTION_NONE },
    { CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED, CLAVE_SERVICE_ERROR_ACTION_NONE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (CLAVE_SERVICE_ERROR, cases[i].code, "x");

      g_assert_cmpint (clave_service_error_get_action (error), ==, cases[i].action);
      g_assert_cmpint (clave_service_error_is_transient (error), ==,
                       cases[i].action == CLAVE_SERVICE_ERROR_ACTION_RETRY);
    }

  {
    g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "x");
    g_autoptr(GError) key = g_error_new_literal (CLAVE_DEVICE_KEY_ERROR,
                                                 CLAVE_DEVICE_KEY_ERROR_WRONG_PIN, "x");

    g_assert_cmpint (clave_service_error_get_action (io), ==, CLAVE_SERVICE_ERROR_ACTION_RETRY);
    g_assert_cmpint (clave_service_error_get_action (key), ==, CLAVE_SERVICE_ERROR_ACTION_NONE);
    g_assert_cmpint (clave_service_error_get_action (NULL), ==, CLAVE_SERVICE_ERROR_ACTION_NONE);
  }
  g_assert_nonnull (strstr (clave_service_error_device_lost_message (), "Cl@ve device"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/service-error/every-code", test_every_code);
  g_test_add_func ("/service-error/fallbacks", test_fallbacks);
  g_test_add_func ("/service-error/transport", test_transport);
  g_test_add_func ("/service-error/quarks", test_quarks);
  g_test_add_func ("/service-error/actions", test_actions);

  return g_test_run ();
}
