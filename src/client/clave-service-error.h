/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ClaveServiceError:
 *
 * What went wrong talking to the Cl@ve service. Every HTTP status and JSON
 * "error" code of docs/protocol.md maps to one of these in one place
 * (clave-service-error.c); the GError message is translated text a person
 * can act on, the machine code goes to the debug log.
 */
typedef enum {
  CLAVE_SERVICE_ERROR_NETWORK,             /* cannot connect, timeout, DNS */
  CLAVE_SERVICE_ERROR_TLS,                 /* certificate not trusted or TLS failure */
  CLAVE_SERVICE_ERROR_PROTOCOL,            /* answer not as docs/protocol.md says */
  CLAVE_SERVICE_ERROR_SERVER,              /* 5xx */
  CLAVE_SERVICE_ERROR_INVALID_REQUEST,     /* 400/413/415: a bug on our side or bad input */
  CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED,
  CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS,
  CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,  /* also invalid_activation: start again */
  CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED,
  CLAVE_SERVICE_ERROR_RESEND_TOO_SOON,
  CLAVE_SERVICE_ERROR_RESEND_LIMIT,
  CLAVE_SERVICE_ERROR_INVALID_CODE,
  CLAVE_SERVICE_ERROR_CODE_EXPIRED,
  CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,  /* unknown_device, device_deactivated */
  CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED,  /* invalid/stale signature, replayed nonce, digest */
  /* Certificate proofs and registration (docs/protocol.md "Certificate
   * proofs", "Registering with a certificate"). */
  CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED, /* untrusted, expired, not usable, bad signature,
                                             * no DNI/NIE: choose another certificate */
  CLAVE_SERVICE_ERROR_CHALLENGE_EXPIRED,    /* invalid_challenge: prove again (new challenge) */
  CLAVE_SERVICE_ERROR_IDENTITY_MISMATCH,    /* the certificate names another person */
  CLAVE_SERVICE_ERROR_IDENTITY_UNKNOWN,     /* not in the identity registry: register in person */
  CLAVE_SERVICE_ERROR_ALREADY_REGISTERED,   /* log in (activate) instead */
  CLAVE_SERVICE_ERROR_PHONE_IN_USE,         /* the phone belongs to another DNI/NIE */
  CLAVE_SERVICE_ERROR_INVALID_PHONE,        /* not E.164 ("+" and 8 to 15 digits) */
  CLAVE_SERVICE_ERROR_INVALID_EMAIL,
  CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED, /* invalid_registration, registration_expired */
  CLAVE_SERVICE_ERROR_REGISTRATION_LOCKED,  /* too many wrong codes: start again */
  /* Cl@ve Móvil (docs/protocol.md "Cl@ve Móvil"). */
  CLAVE_SERVICE_ERROR_REQUEST_EXPIRED,      /* request_expired: ask the website for a new one */
  CLAVE_SERVICE_ERROR_ALREADY_ANSWERED,     /* confirmed or rejected before */
  CLAVE_SERVICE_ERROR_ALREADY_CLAIMED,      /* another device took this QR request */
  CLAVE_SERVICE_ERROR_NOT_YOUR_REQUEST,     /* bound to another citizen */
  CLAVE_SERVICE_ERROR_KEY_NOT_ALLOWED,      /* the push key cannot do this: use the device key */
  CLAVE_SERVICE_ERROR_REQUEST_NOT_FOUND,    /* not_found on a request path: no such request */
  /* Account services (docs/protocol.md "Device endpoints"). */
  CLAVE_SERVICE_ERROR_ALREADY_ADVANCED,     /* the level is advanced already */
  CLAVE_SERVICE_ERROR_SAME_PHONE,           /* the new phone is the current one */
  CLAVE_SERVICE_ERROR_CHANGE_EXPIRED,       /* invalid_change, change_expired: start again */
  CLAVE_SERVICE_ERROR_CHANGE_LOCKED,        /* too many wrong codes: start again */
  CLAVE_SERVICE_ERROR_SAME_EMAIL,           /* the new e-mail is the current one */
  /* Cl@ve Permanente. */
  CLAVE_SERVICE_ERROR_WEAK_PASSWORD,        /* the password breaks a rule */
  CLAVE_SERVICE_ERROR_INVALID_PASSWORD,     /* the current password is wrong */
  CLAVE_SERVICE_ERROR_PASSWORD_BLOCKED,     /* 5 wrong passwords: recover it */
  CLAVE_SERVICE_ERROR_PERMANENTE_NOT_ACTIVE, /* no active Cl@ve Permanente */
  /* Cl@ve Firma. */
  CLAVE_SERVICE_ERROR_FIRMA_NOT_FOUND,      /* no such certificate of this person */
  CLAVE_SERVICE_ERROR_FIRMA_REVOKED,        /* revoked already */
  CLAVE_SERVICE_ERROR_FIRMA_EXPIRED,        /* expired: nothing to revoke */
  /* Video identification. */
  CLAVE_SERVICE_ERROR_VIDEO_PENDING,        /* one is waiting for review */
  CLAVE_SERVICE_ERROR_INVALID_IMAGE,        /* the service cannot use this picture */
  CLAVE_SERVICE_ERROR_MISSING_IMAGES,       /* a picture is missing */
} ClaveServiceError;

#define CLAVE_SERVICE_ERROR (clave_service_error_quark ())
GQuark clave_service_error_quark (void);

/* Maps an HTTP status and the protocol's "error" code to a GError with a
 * translated message. @code may be NULL (non-JSON answer). */
GError *clave_service_error_from_response (guint       status,
                                           const char *code,
                                           const char *server_message);

/* Maps a transport failure (GIO, GResolver, TLS, libsoup) to NETWORK, TLS
 * or PROTOCOL with a translated message. G_IO_ERROR_CANCELLED is returned
 * unchanged (as a copy) so that callers can keep ignoring cancellation. */
GError *clave_service_error_from_transport (const GError *error);

/* What a page does with an error of a call, decided here once:
 * @CLAVE_SERVICE_ERROR_ACTION_NONE: show its message where the person acts
 *   (a wrong code, an expired activation: nothing to retry)
 * @CLAVE_SERVICE_ERROR_ACTION_RETRY: the connection or the service failed,
 *   not what the person typed: offer Retry (clave_service_error_is_transient())
 * @CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST: the service no longer knows this
 *   device: forget it and explain (clave_service_error_device_lost_message()) */
typedef enum {
  CLAVE_SERVICE_ERROR_ACTION_NONE,
  CLAVE_SERVICE_ERROR_ACTION_RETRY,
  CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST,
} ClaveServiceErrorAction;

ClaveServiceErrorAction clave_service_error_get_action       (const GError *error);
/* Errors of the connection or the service (not of what the person typed),
 * which a toast with Retry reports. */
gboolean     clave_service_error_is_transient                (const GError *error);
/* The words for a device the service no longer knows. */
const char  *clave_service_error_device_lost_message         (void);

/**
 * ClaveDeviceKeyError:
 * @CLAVE_DEVICE_KEY_ERROR_NOT_FOUND: no key file: the device is not activated
 * @CLAVE_DEVICE_KEY_ERROR_WRONG_PIN: wrong PIN; the message says tries left
 * @CLAVE_DEVICE_KEY_ERROR_TRY_LATER: too many wrong PINs, wait (see retry delay)
 * @CLAVE_DEVICE_KEY_ERROR_WIPED: too many wrong PINs, the key was erased
 * @CLAVE_DEVICE_KEY_ERROR_LOCKED: operation needs the key unlocked
 * @CLAVE_DEVICE_KEY_ERROR_CORRUPT: the key file cannot be read
 * @CLAVE_DEVICE_KEY_ERROR_WEAK_PIN: fewer than 6 digits, not digits, or easy to
 *   guess (clave_device_pin_check_strength())
 */
typedef enum {
  CLAVE_DEVICE_KEY_ERROR_NOT_FOUND,
  CLAVE_DEVICE_KEY_ERROR_WRONG_PIN,
  CLAVE_DEVICE_KEY_ERROR_TRY_LATER,
  CLAVE_DEVICE_KEY_ERROR_WIPED,
  CLAVE_DEVICE_KEY_ERROR_LOCKED,
  CLAVE_DEVICE_KEY_ERROR_CORRUPT,
  CLAVE_DEVICE_KEY_ERROR_WEAK_PIN,
} ClaveDeviceKeyError;

#define CLAVE_DEVICE_KEY_ERROR (clave_device_key_error_quark ())
GQuark clave_device_key_error_quark (void);

G_END_DECLS
