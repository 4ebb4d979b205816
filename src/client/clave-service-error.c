/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-service-error"

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include <libsoup/soup.h>

#include "clave-protocol.h"
#include "clave-service-error.h"

G_DEFINE_QUARK (clave-service-error-quark, clave_service_error)
G_DEFINE_QUARK (clave-device-key-error-quark, clave_device_key_error)

/* One row per machine code of docs/protocol.md "Error codes". The message
 * is what a person reads, so it says what to do, not what the wire said. */
typedef struct {
  const char        *code;
  ClaveServiceError  error;
  const char        *message;
} CodeMapping;

static const CodeMapping code_mappings[] = {
  { CLAVE_ERR_INVALID_REQUEST, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
    N_("The Cl@ve service did not accept the request. Update Clave Desktop or try again later.") },
  { CLAVE_ERR_INVALID_JSON, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
    N_("The Cl@ve service did not accept the request. Update Clave Desktop or try again later.") },
  { CLAVE_ERR_BODY_TOO_LARGE, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
    N_("The Cl@ve service did not accept the request. Update Clave Desktop or try again later.") },
  { CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
    N_("The Cl@ve service did not accept the request. Update Clave Desktop or try again later.") },
  { CLAVE_ERR_INVALID_DOCUMENT, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
    N_("The document number is not valid. Check it and try again.") },
  { CLAVE_ERR_INVALID_CONTRAST, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
    N_("The contrast data do not fit this document. Check them and try again.") },
  { CLAVE_ERR_INVALID_PUBLIC_KEY, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
    N_("The Cl@ve service did not accept the key of this device. Start the activation again.") },
  { CLAVE_ERR_INVALID_PROOF, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
    N_("The Cl@ve service did not accept the key of this device. Start the activation again.") },
  { CLAVE_ERR_NOT_FOUND, CLAVE_SERVICE_ERROR_PROTOCOL,
    N_("The Cl@ve service does not offer this function. Check the service address or update Clave Desktop.") },
  { CLAVE_ERR_MISDIRECTED_REQUEST, CLAVE_SERVICE_ERROR_PROTOCOL,
    N_("The Cl@ve service does not answer for this address. Check the address of the service.") },
  { CLAVE_ERR_METHOD_NOT_ALLOWED, CLAVE_SERVICE_ERROR_PROTOCOL,
    N_("The Cl@ve service does not offer this function. Check the service address or update Clave Desktop.") },
  { CLAVE_ERR_IDENTIFICATION_FAILED, CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED,
    N_("The document number or the contrast data are not correct. Check them and try again.") },
  { CLAVE_ERR_TOO_MANY_ATTEMPTS, CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS,
    N_("Too many failed attempts. Wait a few minutes and try again.") },
  { CLAVE_ERR_INVALID_ACTIVATION, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,
    N_("This activation is no longer valid. Start the activation again.") },
  { CLAVE_ERR_ACTIVATION_EXPIRED, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,
    N_("The activation has expired. Start the activation again.") },
  /* Only reachable if the steps run out of order: starting again is the fix. */
  { CLAVE_ERR_ACTIVATION_NOT_VERIFIED, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,
    N_("The code of this activation has not been confirmed. Start the activation again.") },
  { CLAVE_ERR_ACTIVATION_LOCKED, CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED,
    N_("The activation was blocked after too many wrong codes. Start the activation again.") },
  { CLAVE_ERR_RESEND_TOO_SOON, CLAVE_SERVICE_ERROR_RESEND_TOO_SOON,
    N_("A code was sent a moment ago. Wait a few seconds before asking for another one.") },
  { CLAVE_ERR_RESEND_LIMIT, CLAVE_SERVICE_ERROR_RESEND_LIMIT,
    N_("No more codes can be sent for this activation. Start the activation again.") },
  { CLAVE_ERR_NO_CODE_SENT, CLAVE_SERVICE_ERROR_CODE_EXPIRED,
    N_("No code has been sent yet. Ask for a code first.") },
  { CLAVE_ERR_INVALID_CODE, CLAVE_SERVICE_ERROR_INVALID_CODE,
    N_("The code is not correct.") },
  { CLAVE_ERR_CODE_EXPIRED, CLAVE_SERVICE_ERROR_CODE_EXPIRED,
    N_("The code has expired. Ask for a new code.") },
  { CLAVE_ERR_SIGNATURE_REQUIRED, CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,
    N_("The Cl@ve service did not accept the signature of this device. Try again; if it keeps happening, activate this device again.") },
  { CLAVE_ERR_INVALID_SIGNATURE, CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,
    N_("The Cl@ve service did not accept the signature of this device. Try again; if it keeps happening, activate this device again.") },
  { CLAVE_ERR_DIGEST_MISMATCH, CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,
    N_("The Cl@ve service did not accept the signature of this device. Try again; if it keeps happening, activate this device again.") },
  { CLAVE_ERR_REPLAYED_NONCE, CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,
    N_("The Cl@ve service did not accept the signature of this device. Try again; if it keeps happening, activate this device again.") },
  { CLAVE_ERR_STALE_SIGNATURE, CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,
    N_("The Cl@ve service refused the request because the clock of this computer is wrong. Check the date and time and try again.") },
  { CLAVE_ERR_UNKNOWN_DEVICE, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,
    N_("This device is no longer activated in Cl@ve, maybe because another device was activated. Activate this device again to go on.") },
  { CLAVE_ERR_DEVICE_DEACTIVATED, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,
    N_("This device is no longer activated in Cl@ve, maybe because another device was activated. Activate this device again to go on.") },
  { CLAVE_ERR_INVALID_CHALLENGE, CLAVE_SERVICE_ERROR_CHALLENGE_EXPIRED,
    N_("The check of your certificate took too long. Try again.") },
  { CLAVE_ERR_CERTIFICATE_UNTRUSTED, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,
    N_("This certificate is not issued by an authority Cl@ve accepts. Use your DNIe or a certificate from an accepted authority such as the FNMT.") },
  { CLAVE_ERR_CERTIFICATE_ISSUER_UNKNOWN, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,
    N_("Cl@ve cannot check this certificate: it does not know the authority that issued it. Use your DNIe or a certificate from an accepted authority such as the FNMT.") },
  { CLAVE_ERR_CERTIFICATE_EXPIRED, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,
    N_("This certificate has expired or is not valid yet. Renew it, or use another certificate or your DNIe.") },
  { CLAVE_ERR_CERTIFICATE_NOT_USABLE, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,
    N_("This certificate cannot be used to identify yourself. Choose your authentication certificate.") },
  { CLAVE_ERR_INVALID_CERT_SIGNATURE, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,
    N_("The Cl@ve service did not accept the signature made with your certificate. Try again; if it keeps happening, open the card diagnostics.") },
  { CLAVE_ERR_CERTIFICATE_WITHOUT_IDENTITY, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,
    N_("This certificate does not name a DNI or NIE. Choose a personal certificate.") },
  { CLAVE_ERR_IDENTITY_MISMATCH, CLAVE_SERVICE_ERROR_IDENTITY_MISMATCH,
    N_("This certificate belongs to another person. Use your own certificate or DNIe.") },
  { CLAVE_ERR_IDENTITY_UNKNOWN, CLAVE_SERVICE_ERROR_IDENTITY_UNKNOWN,
    N_("Your DNI or NIE cannot be checked against the identity records. Register in person at a registry office.") },
  { CLAVE_ERR_ALREADY_REGISTERED, CLAVE_SERVICE_ERROR_ALREADY_REGISTERED,
    N_("You are already registered in Cl@ve. Log in instead.") },
  { CLAVE_ERR_ALREADY_ADVANCED, CLAVE_SERVICE_ERROR_ALREADY_ADVANCED,
    N_("You are already registered at the advanced level.") },
  { CLAVE_ERR_SAME_PHONE, CLAVE_SERVICE_ERROR_SAME_PHONE,
    N_("This is already your phone number in Cl@ve.") },
  { CLAVE_ERR_SAME_EMAIL, CLAVE_SERVICE_ERROR_SAME_EMAIL,
    N_("This is already your e-mail address in Cl@ve.") },
  { CLAVE_ERR_WEAK_PASSWORD, CLAVE_SERVICE_ERROR_WEAK_PASSWORD,
    N_("The password does not follow the rules: at least 8 characters with three of lower case, upper case, digits and other characters (or 16 characters), and not your name, surnames or document number.") },
  { CLAVE_ERR_INVALID_PASSWORD, CLAVE_SERVICE_ERROR_INVALID_PASSWORD,
    N_("The current password is not correct.") },
  { CLAVE_ERR_PASSWORD_BLOCKED, CLAVE_SERVICE_ERROR_PASSWORD_BLOCKED,
    N_("Your Cl@ve Permanente password is blocked after 5 wrong tries. Recover it with a code sent to your phone.") },
  { CLAVE_ERR_PERMANENTE_NOT_ACTIVE, CLAVE_SERVICE_ERROR_PERMANENTE_NOT_ACTIVE,
    N_("You have no active Cl@ve Permanente. Get an activation code first.") },
  { CLAVE_ERR_VIDEO_PENDING, CLAVE_SERVICE_ERROR_VIDEO_PENDING,
    N_("Your video identification is already waiting for review. You will know the outcome here.") },
  { CLAVE_ERR_INVALID_VIDEO, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,
    N_("This registration is no longer valid. Start the registration again.") },
  { CLAVE_ERR_VIDEO_EXPIRED, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,
    N_("The registration has expired: the pictures must be sent within an hour. Start the registration again.") },
  { CLAVE_ERR_VIDEO_LOCKED, CLAVE_SERVICE_ERROR_REGISTRATION_LOCKED,
    N_("The registration was blocked after too many wrong codes. Start the registration again.") },
  { CLAVE_ERR_VIDEO_WRONG_STATE, CLAVE_SERVICE_ERROR_PROTOCOL,
    N_("This step does not fit the registration any more. Look at its state again.") },
  { CLAVE_ERR_INVALID_IMAGE, CLAVE_SERVICE_ERROR_INVALID_IMAGE,
    N_("This picture cannot be used: send a JPEG or PNG photo of at least 320 × 320 pixels and at most 4 MB.") },
  { CLAVE_ERR_MISSING_IMAGES, CLAVE_SERVICE_ERROR_MISSING_IMAGES,
    N_("The review needs both sides of your document and at least three pictures of your face.") },
  { CLAVE_ERR_FIRMA_NOT_FOUND, CLAVE_SERVICE_ERROR_FIRMA_NOT_FOUND,
    N_("This Cl@ve Firma certificate is no longer yours in Cl@ve. Look at your certificates again.") },
  { CLAVE_ERR_FIRMA_REVOKED, CLAVE_SERVICE_ERROR_FIRMA_REVOKED,
    N_("This Cl@ve Firma certificate was already revoked.") },
  { CLAVE_ERR_FIRMA_EXPIRED, CLAVE_SERVICE_ERROR_FIRMA_EXPIRED,
    N_("This Cl@ve Firma certificate has expired: there is nothing to revoke.") },
  { CLAVE_ERR_INVALID_CHANGE, CLAVE_SERVICE_ERROR_CHANGE_EXPIRED,
    N_("This change of phone is no longer valid. Start it again.") },
  { CLAVE_ERR_CHANGE_EXPIRED, CLAVE_SERVICE_ERROR_CHANGE_EXPIRED,
    N_("The change of phone has expired. Start it again.") },
  { CLAVE_ERR_CHANGE_LOCKED, CLAVE_SERVICE_ERROR_CHANGE_LOCKED,
    N_("The change of phone was blocked after too many wrong codes. Start it again.") },
  { CLAVE_ERR_PHONE_IN_USE, CLAVE_SERVICE_ERROR_PHONE_IN_USE,
    N_("This phone number is already registered in Cl@ve for another person. Give a phone number of your own.") },
  { CLAVE_ERR_INVALID_PHONE, CLAVE_SERVICE_ERROR_INVALID_PHONE,
    N_("The phone number is not valid. Write it with its country prefix, for example +34600111222.") },
  { CLAVE_ERR_INVALID_EMAIL, CLAVE_SERVICE_ERROR_INVALID_EMAIL,
    N_("The e-mail address is not valid. Check it and try again.") },
  { CLAVE_ERR_INVALID_REGISTRATION, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,
    N_("This registration is no longer valid. Start the registration again.") },
  { CLAVE_ERR_REGISTRATION_EXPIRED, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,
    N_("The registration has expired. Start the registration again.") },
  { CLAVE_ERR_REGISTRATION_LOCKED, CLAVE_SERVICE_ERROR_REGISTRATION_LOCKED,
    N_("The registration was blocked after too many wrong codes. Start the registration again.") },
  { CLAVE_ERR_REQUEST_EXPIRED, CLAVE_SERVICE_ERROR_REQUEST_EXPIRED,
    N_("This request has expired. Ask the website for a new one.") },
  { CLAVE_ERR_ALREADY_ANSWERED, CLAVE_SERVICE_ERROR_ALREADY_ANSWERED,
    N_("This request has already been answered. If it was not you, reject new requests you did not make.") },
  { CLAVE_ERR_ALREADY_CLAIMED, CLAVE_SERVICE_ERROR_ALREADY_CLAIMED,
    N_("Another device has already taken this request. Ask the website for a new one.") },
  { CLAVE_ERR_NOT_YOUR_REQUEST, CLAVE_SERVICE_ERROR_NOT_YOUR_REQUEST,
    N_("This request belongs to another person. Check that you are on the right website and ask it for a new one.") },
  { CLAVE_ERR_KEY_NOT_ALLOWED, CLAVE_SERVICE_ERROR_KEY_NOT_ALLOWED,
    N_("This needs your device PIN. Enter it and try again.") },
  { CLAVE_ERR_INTERNAL, CLAVE_SERVICE_ERROR_SERVER,
    N_("The Cl@ve service has a problem. Try again later.") },
};

static const CodeMapping *
lookup_code (const char *code)
{
  if (code == NULL)
    return NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (code_mappings); i++)
    if (g_str_equal (code_mappings[i].code, code))
      return &code_mappings[i];

  return NULL;
}

GError *
clave_service_error_from_response (guint       status,
                                   const char *code,
                                   const char *server_message)
{
  const CodeMapping *mapping;

  /* The machine code and the service's English text are for developers;
   * neither carries secrets (the protocol never echoes tokens or codes). */
  g_debug ("Service answered %u %s: %s", status,
           code ? code : "(no code)",
           server_message ? server_message : "(no message)");

  /* A 5xx is the service's fault whatever code it claims. */
  if (status >= 500)
    return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_SERVER,
                                _("The Cl@ve service has a problem. Try again later."));

  mapping = lookup_code (code);
  if (mapping != NULL)
    return g_error_new_literal (CLAVE_SERVICE_ERROR, mapping->error, _(mapping->message));

  /* An unknown or missing code: fall back on the status alone. */
  switch (status)
    {
    case SOUP_STATUS_BAD_REQUEST:
    case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
    case SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE:
      return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_REQUEST,
                                  _("The Cl@ve service did not accept the request. Update Clave Desktop or try again later."));
    case 429:  /* Too Many Requests: libsoup 3.2 has no name for it */
      return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS,
                                  _("Too many failed attempts. Wait a few minutes and try again."));
    case SOUP_STATUS_NOT_FOUND:
    case SOUP_STATUS_METHOD_NOT_ALLOWED:
      return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL,
                                  _("The Cl@ve service does not offer this function. Check the service address or update Clave Desktop."));
    default:
      return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL,
                                  _("The Cl@ve service gave an answer Clave Desktop does not understand. Check the service address or update Clave Desktop."));
    }
}

GError *
clave_service_error_from_transport (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  g_debug ("Transport failure: %s %d: %s",
           g_quark_to_string (error->domain), error->code, error->message);

  if (error->domain == CLAVE_SERVICE_ERROR)
    return g_error_copy (error);

  if (error->domain == G_TLS_ERROR)
    {
      if (error->code == G_TLS_ERROR_BAD_CERTIFICATE)
        return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TLS,
                                    _("The certificate of the Cl@ve service is not trusted. Check the service address and the certificate authority this device trusts."));
      return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TLS,
                                  _("A secure connection to the Cl@ve service could not be made. Check the service address and try again."));
    }

  if (error->domain == G_RESOLVER_ERROR)
    return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK,
                                _("The address of the Cl@ve service cannot be found. Check your connection and the service address."));

  if (error->domain == SOUP_SESSION_ERROR)
    return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL,
                                _("The Cl@ve service gave an answer Clave Desktop does not understand. Check the service address or update Clave Desktop."));

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK,
                                _("The Cl@ve service did not answer in time. Check your connection and try again."));

  return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK,
                              _("Cannot reach the Cl@ve service. Check your connection and try again."));
}

gboolean
clave_service_error_is_transient (const GError *error)
{
  if (error == NULL)
    return FALSE;

  if (error->domain != CLAVE_SERVICE_ERROR)
    return error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR
           || error->domain == G_TLS_ERROR;

  switch ((ClaveServiceError) error->code)
    {
    case CLAVE_SERVICE_ERROR_NETWORK:
    case CLAVE_SERVICE_ERROR_TLS:
    case CLAVE_SERVICE_ERROR_PROTOCOL:
    case CLAVE_SERVICE_ERROR_SERVER:
      return TRUE;
    case CLAVE_SERVICE_ERROR_INVALID_REQUEST:
    case CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED:
    case CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS:
    case CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED:
    case CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED:
    case CLAVE_SERVICE_ERROR_RESEND_TOO_SOON:
    case CLAVE_SERVICE_ERROR_RESEND_LIMIT:
    case CLAVE_SERVICE_ERROR_INVALID_CODE:
    case CLAVE_SERVICE_ERROR_CODE_EXPIRED:
    case CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED:
    case CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED:
    default:
      return FALSE;
    }
}

ClaveServiceErrorAction
clave_service_error_get_action (const GError *error)
{
  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED))
    return CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST;
  if (clave_service_error_is_transient (error))
    return CLAVE_SERVICE_ERROR_ACTION_RETRY;
  return CLAVE_SERVICE_ERROR_ACTION_NONE;
}

const char *
clave_service_error_device_lost_message (void)
{
  return _("This computer is no longer your Cl@ve device: it was deactivated, or another "
           "device was activated after it. Log in to activate it again.");
}
