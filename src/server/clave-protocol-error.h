/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ClaveProtocolError:
 *
 * Why one of the service's operations (identify, activate, register,
 * authentication requests) refused: each value is one error code of
 * docs/protocol.md. The operations know nothing of HTTP; the routes answer
 * such an error with clave_http_reply_gerror(), which takes the code from
 * clave_protocol_error_get_name(), the status from
 * clave_protocol_error_get_status() and the extra members (retry_after,
 * attempts_left, issuer) from the error itself. The GError message is a
 * short English sentence (never containing secrets) fit for a log or a
 * developer page; a website or the app shows its own text chosen by the
 * code.
 */
typedef enum {
  CLAVE_PROTOCOL_ERROR_INVALID_REQUEST,        /* 400 invalid_request */
  CLAVE_PROTOCOL_ERROR_INVALID_DOCUMENT,       /* 400 invalid_document */
  CLAVE_PROTOCOL_ERROR_INVALID_CONTRAST,       /* 400 invalid_contrast */
  CLAVE_PROTOCOL_ERROR_IDENTIFICATION_FAILED,  /* 401 identification_failed */
  CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS,      /* 429 too_many_attempts */
  CLAVE_PROTOCOL_ERROR_NO_ACTIVE_DEVICE,       /* 409 no_active_device */
  CLAVE_PROTOCOL_ERROR_NOT_FOUND,              /* 404 not_found */
  CLAVE_PROTOCOL_ERROR_REQUEST_EXPIRED,        /* 410 request_expired */
  CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED,       /* 409 already_answered */
  CLAVE_PROTOCOL_ERROR_INVALID_CODE,           /* 401 invalid_code */
  CLAVE_PROTOCOL_ERROR_INVALID_RP_KEY,         /* 401 invalid_rp_key */
  CLAVE_PROTOCOL_ERROR_INTERNAL,               /* 500 internal_error */
  CLAVE_PROTOCOL_ERROR_NOT_YOUR_REQUEST,       /* 403 not_your_request */
  CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,     /* 401 invalid_activation */
  CLAVE_PROTOCOL_ERROR_ACTIVATION_EXPIRED,     /* 410 activation_expired */
  CLAVE_PROTOCOL_ERROR_ACTIVATION_LOCKED,      /* 423 activation_locked */
  CLAVE_PROTOCOL_ERROR_ACTIVATION_NOT_VERIFIED, /* 409 activation_not_verified */
  CLAVE_PROTOCOL_ERROR_INVALID_REGISTRATION,   /* 401 invalid_registration */
  CLAVE_PROTOCOL_ERROR_REGISTRATION_EXPIRED,   /* 410 registration_expired */
  CLAVE_PROTOCOL_ERROR_REGISTRATION_LOCKED,    /* 423 registration_locked */
  CLAVE_PROTOCOL_ERROR_RESEND_TOO_SOON,        /* 429 resend_too_soon */
  CLAVE_PROTOCOL_ERROR_RESEND_LIMIT,           /* 429 resend_limit_reached */
  CLAVE_PROTOCOL_ERROR_NO_CODE_SENT,           /* 409 no_code_sent */
  CLAVE_PROTOCOL_ERROR_CODE_EXPIRED,           /* 410 code_expired */
  CLAVE_PROTOCOL_ERROR_INVALID_PUBLIC_KEY,     /* 400 invalid_public_key */
  CLAVE_PROTOCOL_ERROR_INVALID_PROOF,          /* 401 invalid_proof */
  CLAVE_PROTOCOL_ERROR_INVALID_CHALLENGE,      /* 401 invalid_challenge */
  CLAVE_PROTOCOL_ERROR_CERTIFICATE_UNTRUSTED,  /* 401 certificate_untrusted */
  CLAVE_PROTOCOL_ERROR_CERTIFICATE_ISSUER_UNKNOWN, /* 401 certificate_issuer_unknown */
  CLAVE_PROTOCOL_ERROR_CERTIFICATE_EXPIRED,    /* 401 certificate_expired */
  CLAVE_PROTOCOL_ERROR_CERTIFICATE_NOT_USABLE, /* 401 certificate_not_usable */
  CLAVE_PROTOCOL_ERROR_INVALID_CERT_SIGNATURE, /* 401 invalid_certificate_signature */
  CLAVE_PROTOCOL_ERROR_CERTIFICATE_WITHOUT_IDENTITY, /* 400 certificate_without_identity */
  CLAVE_PROTOCOL_ERROR_IDENTITY_MISMATCH,      /* 403 identity_mismatch */
  CLAVE_PROTOCOL_ERROR_IDENTITY_UNKNOWN,       /* 403 identity_unknown */
  CLAVE_PROTOCOL_ERROR_ALREADY_REGISTERED,     /* 409 already_registered */
  CLAVE_PROTOCOL_ERROR_PHONE_IN_USE,           /* 409 phone_in_use */
  CLAVE_PROTOCOL_ERROR_ALREADY_CLAIMED,        /* 409 already_claimed */
  CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,     /* 401 device_deactivated */
  CLAVE_PROTOCOL_ERROR_REPLAYED_NONCE,         /* 401 replayed_nonce */
  CLAVE_PROTOCOL_ERROR_ALREADY_ADVANCED,       /* 409 already_advanced */
  CLAVE_PROTOCOL_ERROR_SAME_PHONE,             /* 409 same_phone */
  CLAVE_PROTOCOL_ERROR_INVALID_CHANGE,         /* 404 invalid_change */
  CLAVE_PROTOCOL_ERROR_CHANGE_EXPIRED,         /* 410 change_expired */
  CLAVE_PROTOCOL_ERROR_CHANGE_LOCKED,          /* 423 change_locked */
  CLAVE_PROTOCOL_ERROR_SAME_EMAIL,             /* 409 same_email */
  CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE, /* 401 invalid_activation_code */
  CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_EXPIRED, /* 410 activation_code_expired */
  CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_BLOCKED, /* 423 activation_code_blocked */
  CLAVE_PROTOCOL_ERROR_WEAK_PASSWORD,          /* 400 weak_password */
  CLAVE_PROTOCOL_ERROR_INVALID_PASSWORD,       /* 401 invalid_password */
  CLAVE_PROTOCOL_ERROR_PASSWORD_BLOCKED,       /* 423 password_blocked */
  CLAVE_PROTOCOL_ERROR_PERMANENTE_NOT_ACTIVE,  /* 409 permanente_not_active */
  CLAVE_PROTOCOL_ERROR_LEVEL_NOT_ADVANCED,     /* 409 level_not_advanced */
  CLAVE_PROTOCOL_ERROR_FIRMA_EXISTS,           /* 409 firma_exists */
  CLAVE_PROTOCOL_ERROR_FIRMA_NOT_FOUND,        /* 404 firma_not_found */
  CLAVE_PROTOCOL_ERROR_FIRMA_REVOKED,          /* 409 firma_revoked */
  CLAVE_PROTOCOL_ERROR_FIRMA_EXPIRED,          /* 409 firma_expired */
  CLAVE_PROTOCOL_ERROR_CONDITIONS_NOT_ACCEPTED, /* 400 conditions_not_accepted */
  CLAVE_PROTOCOL_ERROR_VIDEO_PENDING,          /* 409 video_pending */
  CLAVE_PROTOCOL_ERROR_INVALID_VIDEO,          /* 401 invalid_video */
  CLAVE_PROTOCOL_ERROR_VIDEO_EXPIRED,          /* 410 video_expired */
  CLAVE_PROTOCOL_ERROR_VIDEO_LOCKED,           /* 423 video_locked */
  CLAVE_PROTOCOL_ERROR_VIDEO_WRONG_STATE,      /* 409 video_wrong_state */
  CLAVE_PROTOCOL_ERROR_INVALID_IMAGE,          /* 400 invalid_image */
  CLAVE_PROTOCOL_ERROR_MISSING_IMAGES,         /* 409 missing_images */
} ClaveProtocolError;

#define CLAVE_PROTOCOL_ERROR (clave_protocol_error_quark ())
GQuark      clave_protocol_error_quark           (void);
/* The protocol's error code of @error ("internal_error" for errors of
 * other domains). */
const char *clave_protocol_error_get_name        (const GError *error);
/* The HTTP status docs/protocol.md gives @error's code (500 for errors of
 * other domains). */
guint       clave_protocol_error_get_status      (const GError *error);
/* The seconds to wait before trying again (the answer's retry_after, for
 * too_many_attempts and resend_too_soon); 0 when the error has none. */
gint64      clave_protocol_error_get_retry_after (const GError *error);
/* The wrong codes still allowed (invalid_code's attempts_left); -1 when
 * the error has none. */
gint        clave_protocol_error_get_attempts_left (const GError *error);
/* The issuer the service does not know (certificate_issuer_unknown's
 * issuer); NULL when the error has none. */
const char *clave_protocol_error_get_issuer      (const GError *error);

/* Sets @error to @code with its retry_after. */
void     clave_protocol_error_set_retry     (GError            **error,
                                             ClaveProtocolError  code,
                                             gint64              retry_after,
                                             const char         *message);
/* Sets @error to invalid_code with its attempts_left. */
void     clave_protocol_error_set_attempts  (GError            **error,
                                             guint               attempts_left,
                                             const char         *message);
/* The same for another refusal of a secret (invalid_password). */
void     clave_protocol_error_set_attempts_full (GError        **error,
                                             ClaveProtocolError  code,
                                             guint               attempts_left,
                                             const char         *message);
/* Sets @error to certificate_issuer_unknown naming @issuer. */
void     clave_protocol_error_set_issuer    (GError            **error,
                                             const char         *issuer,
                                             const char         *message);
/* Logs @cause and sets @error to internal_error, which tells a client
 * nothing; returns FALSE. */
gboolean clave_protocol_error_set_internal  (GError            **error,
                                             const GError       *cause);

G_END_DECLS
