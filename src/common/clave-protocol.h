/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Names shared by clave-server and the client, so that the two sides of
 * docs/protocol.md cannot drift apart: paths, error codes, enum values. */

#define CLAVE_API_PREFIX              "/v1"
#define CLAVE_PATH_HEALTH             "/v1/health"
#define CLAVE_PATH_IDENTIFY           "/v1/identify"
#define CLAVE_PATH_ACTIVATIONS        "/v1/activations/"   /* + {id}/sms, {id}/sms/verify, {id}/device */
#define CLAVE_PATH_ME                 "/v1/me"
#define CLAVE_PATH_ME_GIVE_UP         "/v1/me/give-up"
#define CLAVE_PATH_ME_LEVEL           "/v1/me/level"
#define CLAVE_PATH_ME_PHONE           "/v1/me/phone"     /* POST: start */
#define CLAVE_PATH_ME_PHONE_PREFIX    "/v1/me/phone/"    /* + {id}/sms, {id}/verify */
#define CLAVE_PATH_ME_EMAIL           "/v1/me/email"     /* POST: start */
#define CLAVE_PATH_ME_EMAIL_PREFIX    "/v1/me/email/"    /* + {id}/code, {id}/verify */
#define CLAVE_PATH_ME_PERMANENTE_CODE "/v1/me/permanente/code" /* POST: a new activation code */
#define CLAVE_PATH_ME_PERMANENTE      "/v1/me/permanente"      /* DELETE: the user goes */
#define CLAVE_PATH_ME_PERMANENTE_PASSWORD "/v1/me/permanente/password" /* POST: change it */
#define CLAVE_PATH_ME_PERMANENTE_RECOVERY "/v1/me/permanente/recovery" /* POST; + /{id} */
#define CLAVE_PATH_ME_FIRMA           "/v1/me/firma"           /* GET: the certificates */
#define CLAVE_PATH_ME_FIRMA_REVOKE    "/v1/me/firma/revoke"    /* POST */
#define CLAVE_PATH_FIRMA_CRL          "/v1/firma/crl"          /* GET: the CRL, DER */
#define CLAVE_PATH_FIRMA_CA           "/v1/firma/ca"           /* GET: the CA, DER */
#define CLAVE_PATH_VIDEO_REGISTRATIONS "/v1/video-registrations"  /* POST: start */
#define CLAVE_PATH_VIDEO_REGISTRATION_PREFIX "/v1/video-registrations/" /* + {id}, {id}/sms, {id}/verify, {id}/images/{kind}, {id}/submit */
#define CLAVE_PATH_DEVICE             "/v1/device"
#define CLAVE_PATH_CHALLENGES         "/v1/challenges"
#define CLAVE_PATH_REGISTRATIONS      "/v1/registrations"  /* POST: start */
#define CLAVE_PATH_REGISTRATION_PREFIX "/v1/registrations/" /* + {id}/sms, {id}/verify */
/* Cl@ve Móvil (docs/protocol.md "Cl@ve Móvil"). */
#define CLAVE_PATH_RP_REQUESTS        "/v1/rp/requests"          /* POST: create */
#define CLAVE_PATH_RP_REQUEST_PREFIX  "/v1/rp/requests/"         /* + {id}, {id}/sms-pin */
#define CLAVE_RP_SUFFIX_SMS_PIN       "/sms-pin"
#define CLAVE_PATH_DEVICE_REQUESTS    "/v1/device/requests"      /* GET ?status=pending */
#define CLAVE_PATH_DEVICE_REQUEST_PREFIX "/v1/device/requests/"  /* + {id}/claim, {id}/confirm, {id}/reject */
#define CLAVE_DEVICE_REQUEST_SUFFIX_CLAIM   "/claim"
#define CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM "/confirm"
#define CLAVE_DEVICE_REQUEST_SUFFIX_REJECT  "/reject"
#define CLAVE_PATH_DEVICE_HISTORY     "/v1/device/history"       /* GET ?after=&limit= */
#define CLAVE_PATH_DEVICE_PUSH        "/v1/device/push"          /* WebSocket */
/* The keyid of a device's push key: device id + this suffix. */
#define CLAVE_PUSH_KEYID_SUFFIX       "#push"
#define CLAVE_REQUEST_URI_SCHEME      "clave"
#define CLAVE_REQUEST_URI_PREFIX      "clave:request?"           /* id=…&code=… */
#define CLAVE_REQUEST_ID_PREFIX       "req_"
#define CLAVE_RP_ID_PREFIX            "rp_"
#define CLAVE_RP_KEY_PREFIX           "ck_"
#define CLAVE_REQUEST_TTL_SECS        300
#define CLAVE_SMS_REQUEST_TTL_SECS    600
#define CLAVE_SMS_PIN_DIGITS          8
#define CLAVE_SMS_PIN_MAX_ATTEMPTS    3
#define CLAVE_VERIFICATION_CODE_DIGITS 3
#define CLAVE_RP_WAIT_MAX_SECS        30
#define CLAVE_HISTORY_LIMIT_DEFAULT   100
#define CLAVE_HISTORY_LIMIT_MAX       1000
#define CLAVE_PUSH_PING_SECS          30
/* Request types, statuses and push events. */
#define CLAVE_REQUEST_TYPE_QR         "qr"
#define CLAVE_REQUEST_TYPE_PUSH       "push"
#define CLAVE_REQUEST_TYPE_SMS        "sms"
#define CLAVE_REQUEST_STATUS_PENDING  "pending"
#define CLAVE_REQUEST_STATUS_CONFIRMED "confirmed"
#define CLAVE_REQUEST_STATUS_REJECTED "rejected"
#define CLAVE_REQUEST_STATUS_EXPIRED  "expired"
#define CLAVE_PUSH_EVENT_REQUEST      "request"
#define CLAVE_PUSH_EVENT_STATUS       "status"
#define CLAVE_PUSH_EVENT_DEACTIVATED  "deactivated"
/* Identifications with the device's document failed lately (from
 * CLAVE_PUSH_FAILURES_NOTICE_MIN within CLAVE_PUSH_FAILURES_WINDOW_SECS). */
#define CLAVE_PUSH_EVENT_FAILED_IDENTIFICATIONS "failed_identifications"
#define CLAVE_PUSH_FAILURES_NOTICE_MIN 3
#define CLAVE_PUSH_FAILURES_WINDOW_SECS (24 * 60 * 60)

/* Suffixes after CLAVE_PATH_ACTIVATIONS + {id}. */
#define CLAVE_ACTIVATION_SUFFIX_CERTIFICATE "/certificate"

#define CLAVE_MAX_BODY                (64 * 1024)
#define CLAVE_SIGNATURE_WINDOW_SECS   300
#define CLAVE_SMS_CODE_DIGITS         6
#define CLAVE_SMS_CODE_TTL_SECS       300
#define CLAVE_SMS_CODE_MAX_ATTEMPTS   3
#define CLAVE_SMS_MAX_SENDS           3
#define CLAVE_ACTIVATION_TTL_SECS     900
#define CLAVE_DEVICE_PIN_MIN_DIGITS   6
/* What the device signs to prove it holds the key it registers:
 * CLAVE_REGISTRATION_PROOF_PREFIX + activation id. */
#define CLAVE_REGISTRATION_PROOF_PREFIX "clave-device-registration\n"

/* Certificate proofs (docs/protocol.md "Certificate proofs"): the signed
 * bytes are CLAVE_CERTIFICATE_PROOF_PREFIX + purpose + "\n" + challenge id
 * + "\n" + challenge (its base64url text); see
 * clave_certificate_proof_data(). The purpose is
 * CLAVE_PROOF_PURPOSE_ACTIVATION + activation id,
 * CLAVE_PROOF_PURPOSE_REGISTRATION, CLAVE_PROOF_PURPOSE_LEVEL or
 * CLAVE_PROOF_PURPOSE_PHONE. */
#define CLAVE_CERTIFICATE_PROOF_PREFIX   "clave-certificate-proof\n"
#define CLAVE_PROOF_PURPOSE_ACTIVATION   "activation:"
#define CLAVE_PROOF_PURPOSE_REGISTRATION "registration"
/* Raising the level of registration to advanced (POST /v1/me/level). */
#define CLAVE_PROOF_PURPOSE_LEVEL        "level"
/* Changing the phone (POST /v1/me/phone). */
#define CLAVE_PROOF_PURPOSE_PHONE        "phone"
#define CLAVE_PROOF_ALG_RSA_SHA256       "rsa-pkcs1-sha256"
#define CLAVE_PROOF_ALG_ECDSA_SHA256     "ecdsa-sha256"
#define CLAVE_PROOF_MAX_CERTIFICATES     5
#define CLAVE_PROOF_MAX_CERTIFICATE_SIZE (16 * 1024)
#define CLAVE_CHALLENGE_BYTES            32
#define CLAVE_CHALLENGE_TTL_SECS         300
#define CLAVE_REGISTRATION_TTL_SECS      900
/* A video identification must be sent for review within this time. */
#define CLAVE_VIDEO_TTL_SECS             3600
/* Frames of the face it needs at least ("face-1" … "face-8"). */
#define CLAVE_VIDEO_MIN_FACE_FRAMES      3
#define CLAVE_VIDEO_MAX_FACE_FRAMES      8
/* The largest picture (PUT …/images/{kind}); other bodies keep
 * CLAVE_MAX_BODY. */
#define CLAVE_VIDEO_MAX_IMAGE_BYTES      (4 * 1024 * 1024)
/* E.164 as the service accepts it: "+" and 8 to 15 digits. */
#define CLAVE_PHONE_MIN_DIGITS           8
#define CLAVE_PHONE_MAX_DIGITS           15

/* Error codes: the "error" member of every error body. */
#define CLAVE_ERR_INVALID_REQUEST          "invalid_request"          /* 400 */
#define CLAVE_ERR_INVALID_JSON             "invalid_json"             /* 400 */
#define CLAVE_ERR_BODY_TOO_LARGE           "body_too_large"           /* 413 */
#define CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE   "unsupported_media_type"   /* 415 */
#define CLAVE_ERR_NOT_FOUND                "not_found"                /* 404 */
#define CLAVE_ERR_METHOD_NOT_ALLOWED       "method_not_allowed"       /* 405 */
#define CLAVE_ERR_MISDIRECTED_REQUEST      "misdirected_request"      /* 421 */
#define CLAVE_ERR_INVALID_DOCUMENT         "invalid_document"         /* 400 */
#define CLAVE_ERR_INVALID_CONTRAST         "invalid_contrast"         /* 400 */
#define CLAVE_ERR_IDENTIFICATION_FAILED    "identification_failed"    /* 401 */
#define CLAVE_ERR_TOO_MANY_ATTEMPTS        "too_many_attempts"        /* 429 */
#define CLAVE_ERR_INVALID_ACTIVATION       "invalid_activation"       /* 401 */
#define CLAVE_ERR_ACTIVATION_EXPIRED       "activation_expired"       /* 410 */
#define CLAVE_ERR_ACTIVATION_LOCKED        "activation_locked"        /* 423 */
#define CLAVE_ERR_RESEND_TOO_SOON          "resend_too_soon"          /* 429 */
#define CLAVE_ERR_RESEND_LIMIT             "resend_limit_reached"     /* 429 */
#define CLAVE_ERR_NO_CODE_SENT             "no_code_sent"             /* 409 */
#define CLAVE_ERR_INVALID_CODE             "invalid_code"             /* 401 */
#define CLAVE_ERR_CODE_EXPIRED             "code_expired"             /* 410 */
#define CLAVE_ERR_ACTIVATION_NOT_VERIFIED  "activation_not_verified"  /* 409 */
#define CLAVE_ERR_INVALID_PUBLIC_KEY       "invalid_public_key"       /* 400 */
#define CLAVE_ERR_INVALID_PROOF            "invalid_proof"            /* 401 */
#define CLAVE_ERR_SIGNATURE_REQUIRED       "signature_required"       /* 401 */
#define CLAVE_ERR_INVALID_SIGNATURE        "invalid_signature"        /* 401 */
#define CLAVE_ERR_DIGEST_MISMATCH          "digest_mismatch"          /* 400 */
#define CLAVE_ERR_STALE_SIGNATURE          "stale_signature"          /* 401 */
#define CLAVE_ERR_REPLAYED_NONCE           "replayed_nonce"           /* 401 */
#define CLAVE_ERR_UNKNOWN_DEVICE           "unknown_device"           /* 401 */
#define CLAVE_ERR_DEVICE_DEACTIVATED       "device_deactivated"       /* 401 */
#define CLAVE_ERR_INVALID_CHALLENGE        "invalid_challenge"        /* 401 */
#define CLAVE_ERR_CERTIFICATE_UNTRUSTED    "certificate_untrusted"    /* 401 */
#define CLAVE_ERR_CERTIFICATE_ISSUER_UNKNOWN "certificate_issuer_unknown" /* 401 */
/* The member of certificate_issuer_unknown that names the missing issuer:
 * its distinguished name as RFC 4514 text. */
#define CLAVE_ERR_MEMBER_ISSUER            "issuer"
#define CLAVE_ERR_CERTIFICATE_EXPIRED      "certificate_expired"      /* 401 */
#define CLAVE_ERR_CERTIFICATE_NOT_USABLE   "certificate_not_usable"   /* 401 */
#define CLAVE_ERR_INVALID_CERT_SIGNATURE   "invalid_certificate_signature" /* 401 */
#define CLAVE_ERR_CERTIFICATE_WITHOUT_IDENTITY "certificate_without_identity" /* 400 */
#define CLAVE_ERR_IDENTITY_MISMATCH        "identity_mismatch"        /* 403 */
#define CLAVE_ERR_IDENTITY_UNKNOWN         "identity_unknown"         /* 403 */
#define CLAVE_ERR_ALREADY_REGISTERED       "already_registered"       /* 409 */
#define CLAVE_ERR_ALREADY_ADVANCED         "already_advanced"         /* 409 */
#define CLAVE_ERR_SAME_PHONE               "same_phone"               /* 409 */
#define CLAVE_ERR_SAME_EMAIL               "same_email"               /* 409 */
#define CLAVE_ERR_INVALID_ACTIVATION_CODE  "invalid_activation_code"  /* 401 */
#define CLAVE_ERR_ACTIVATION_CODE_EXPIRED  "activation_code_expired"  /* 410 */
#define CLAVE_ERR_ACTIVATION_CODE_BLOCKED  "activation_code_blocked"  /* 423 */
#define CLAVE_ERR_WEAK_PASSWORD            "weak_password"            /* 400 */
#define CLAVE_ERR_INVALID_PASSWORD         "invalid_password"         /* 401 */
#define CLAVE_ERR_PASSWORD_BLOCKED         "password_blocked"         /* 423 */
#define CLAVE_ERR_PERMANENTE_NOT_ACTIVE    "permanente_not_active"    /* 409 */
#define CLAVE_ERR_VIDEO_PENDING            "video_pending"            /* 409 */
#define CLAVE_ERR_INVALID_VIDEO            "invalid_video"            /* 401 */
#define CLAVE_ERR_VIDEO_EXPIRED            "video_expired"            /* 410 */
#define CLAVE_ERR_VIDEO_LOCKED             "video_locked"             /* 423 */
#define CLAVE_ERR_VIDEO_WRONG_STATE        "video_wrong_state"        /* 409 */
#define CLAVE_ERR_INVALID_IMAGE            "invalid_image"            /* 400 */
#define CLAVE_ERR_MISSING_IMAGES           "missing_images"           /* 409 */
#define CLAVE_ERR_LEVEL_NOT_ADVANCED       "level_not_advanced"       /* 409 */
#define CLAVE_ERR_FIRMA_EXISTS             "firma_exists"             /* 409 */
#define CLAVE_ERR_FIRMA_NOT_FOUND          "firma_not_found"          /* 404 */
#define CLAVE_ERR_FIRMA_REVOKED            "firma_revoked"            /* 409 */
#define CLAVE_ERR_FIRMA_EXPIRED            "firma_expired"            /* 409 */
#define CLAVE_ERR_CONDITIONS_NOT_ACCEPTED  "conditions_not_accepted"  /* 400 */
#define CLAVE_ERR_INVALID_CHANGE           "invalid_change"           /* 404 */
#define CLAVE_ERR_CHANGE_EXPIRED           "change_expired"           /* 410 */
#define CLAVE_ERR_CHANGE_LOCKED            "change_locked"            /* 423 */
#define CLAVE_ERR_PHONE_IN_USE             "phone_in_use"             /* 409 */
#define CLAVE_ERR_INVALID_PHONE            "invalid_phone"            /* 400 */
#define CLAVE_ERR_INVALID_EMAIL            "invalid_email"            /* 400 */
#define CLAVE_ERR_INVALID_REGISTRATION     "invalid_registration"     /* 401 */
#define CLAVE_ERR_REGISTRATION_EXPIRED     "registration_expired"     /* 410 */
#define CLAVE_ERR_REGISTRATION_LOCKED      "registration_locked"      /* 423 */
#define CLAVE_ERR_INVALID_RP_KEY           "invalid_rp_key"           /* 401 */
#define CLAVE_ERR_NO_ACTIVE_DEVICE         "no_active_device"         /* 409 */
#define CLAVE_ERR_REQUEST_EXPIRED          "request_expired"          /* 410 */
#define CLAVE_ERR_ALREADY_CLAIMED          "already_claimed"          /* 409 */
#define CLAVE_ERR_ALREADY_ANSWERED         "already_answered"         /* 409 */
#define CLAVE_ERR_NOT_YOUR_REQUEST         "not_your_request"         /* 403 */
#define CLAVE_ERR_KEY_NOT_ALLOWED          "key_not_allowed"          /* 403 */
#define CLAVE_ERR_INTERNAL                 "internal_error"           /* 500 */

/* Enumerated values. */
#define CLAVE_LEVEL_BASIC                  "basic"
#define CLAVE_LEVEL_ADVANCED               "advanced"
#define CLAVE_CHANNEL_IN_PERSON            "in_person"
#define CLAVE_CHANNEL_VIDEO                "video"
#define CLAVE_CHANNEL_CERTIFICATE          "certificate"
#define CLAVE_CHANNEL_DNIE                 "dnie"
#define CLAVE_METHOD_SMS                   "sms"
/* In identify's "methods": the activation accepts a certificate proof
 * (electronic certificate or DNIe alike). The answer of
 * POST /v1/activations/{id}/certificate says which of the two it was,
 * with the channel names "certificate" / "dnie". */
#define CLAVE_METHOD_CERTIFICATE           "certificate"
#define CLAVE_METHOD_DNIE                  "dnie"
/* The state of a citizen's Cl@ve Permanente (GET /v1/me "permanente"). */
#define CLAVE_PERMANENTE_NONE              "none"          /* never had it */
#define CLAVE_PERMANENTE_CODE_PENDING      "code_pending"  /* a code, not activated yet */
#define CLAVE_PERMANENTE_CODE_EXPIRED      "code_expired"  /* not activated, its code too old */
#define CLAVE_PERMANENTE_CODE_BLOCKED      "code_blocked"  /* not activated, 5 wrong codes */
#define CLAVE_PERMANENTE_ACTIVE            "active"        /* a password */
/* The state of a video identification (GET /v1/video-registrations/{id}). */
#define CLAVE_VIDEO_STATE_PHONE            "phone"       /* the SMS code not confirmed */
#define CLAVE_VIDEO_STATE_CAPTURING        "capturing"   /* the pictures being sent */
#define CLAVE_VIDEO_STATE_PENDING          "pending"     /* waiting for review */
#define CLAVE_VIDEO_STATE_APPROVED         "approved"    /* registered at level basic */
#define CLAVE_VIDEO_STATE_REJECTED         "rejected"    /* with a reason */
/* The status of a Cl@ve Firma certificate (GET /v1/me/firma; GET /v1/me
 * "firma": that of the newest). */
#define CLAVE_FIRMA_NONE                   "none"          /* GET /v1/me: never had one */
#define CLAVE_FIRMA_VALID                  "valid"
#define CLAVE_FIRMA_REVOKED                "revoked"
#define CLAVE_FIRMA_EXPIRED                "expired"
#define CLAVE_PERMANENTE_PASSWORD_BLOCKED  "password_blocked" /* 5 wrong passwords */
