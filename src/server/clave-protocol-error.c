/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-protocol.h"
#include "clave-protocol-error.h"

static const struct {
  const char *name;
  guint       status;
} protocol_errors[] = {
  [CLAVE_PROTOCOL_ERROR_INVALID_REQUEST]         = { CLAVE_ERR_INVALID_REQUEST, 400 },
  [CLAVE_PROTOCOL_ERROR_INVALID_DOCUMENT]        = { CLAVE_ERR_INVALID_DOCUMENT, 400 },
  [CLAVE_PROTOCOL_ERROR_INVALID_CONTRAST]        = { CLAVE_ERR_INVALID_CONTRAST, 400 },
  [CLAVE_PROTOCOL_ERROR_IDENTIFICATION_FAILED]   = { CLAVE_ERR_IDENTIFICATION_FAILED, 401 },
  [CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS]       = { CLAVE_ERR_TOO_MANY_ATTEMPTS, 429 },
  [CLAVE_PROTOCOL_ERROR_NO_ACTIVE_DEVICE]        = { CLAVE_ERR_NO_ACTIVE_DEVICE, 409 },
  [CLAVE_PROTOCOL_ERROR_NOT_FOUND]               = { CLAVE_ERR_NOT_FOUND, 404 },
  [CLAVE_PROTOCOL_ERROR_REQUEST_EXPIRED]         = { CLAVE_ERR_REQUEST_EXPIRED, 410 },
  [CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED]        = { CLAVE_ERR_ALREADY_ANSWERED, 409 },
  [CLAVE_PROTOCOL_ERROR_INVALID_CODE]            = { CLAVE_ERR_INVALID_CODE, 401 },
  [CLAVE_PROTOCOL_ERROR_INVALID_RP_KEY]          = { CLAVE_ERR_INVALID_RP_KEY, 401 },
  [CLAVE_PROTOCOL_ERROR_INTERNAL]                = { CLAVE_ERR_INTERNAL, 500 },
  [CLAVE_PROTOCOL_ERROR_NOT_YOUR_REQUEST]        = { CLAVE_ERR_NOT_YOUR_REQUEST, 403 },
  [CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION]      = { CLAVE_ERR_INVALID_ACTIVATION, 401 },
  [CLAVE_PROTOCOL_ERROR_ACTIVATION_EXPIRED]      = { CLAVE_ERR_ACTIVATION_EXPIRED, 410 },
  [CLAVE_PROTOCOL_ERROR_ACTIVATION_LOCKED]       = { CLAVE_ERR_ACTIVATION_LOCKED, 423 },
  [CLAVE_PROTOCOL_ERROR_ACTIVATION_NOT_VERIFIED] = { CLAVE_ERR_ACTIVATION_NOT_VERIFIED, 409 },
  [CLAVE_PROTOCOL_ERROR_INVALID_REGISTRATION]    = { CLAVE_ERR_INVALID_REGISTRATION, 401 },
  [CLAVE_PROTOCOL_ERROR_REGISTRATION_EXPIRED]    = { CLAVE_ERR_REGISTRATION_EXPIRED, 410 },
  [CLAVE_PROTOCOL_ERROR_REGISTRATION_LOCKED]     = { CLAVE_ERR_REGISTRATION_LOCKED, 423 },
  [CLAVE_PROTOCOL_ERROR_RESEND_TOO_SOON]         = { CLAVE_ERR_RESEND_TOO_SOON, 429 },
  [CLAVE_PROTOCOL_ERROR_RESEND_LIMIT]            = { CLAVE_ERR_RESEND_LIMIT, 429 },
  [CLAVE_PROTOCOL_ERROR_NO_CODE_SENT]            = { CLAVE_ERR_NO_CODE_SENT, 409 },
  [CLAVE_PROTOCOL_ERROR_CODE_EXPIRED]            = { CLAVE_ERR_CODE_EXPIRED, 410 },
  [CLAVE_PROTOCOL_ERROR_INVALID_PUBLIC_KEY]      = { CLAVE_ERR_INVALID_PUBLIC_KEY, 400 },
  [CLAVE_PROTOCOL_ERROR_INVALID_PROOF]           = { CLAVE_ERR_INVALID_PROOF, 401 },
  [CLAVE_PROTOCOL_ERROR_INVALID_CHALLENGE]       = { CLAVE_ERR_INVALID_CHALLENGE, 401 },
  [CLAVE_PROTOCOL_ERROR_CERTIFICATE_UNTRUSTED]   = { CLAVE_ERR_CERTIFICATE_UNTRUSTED, 401 },
  [CLAVE_PROTOCOL_ERROR_CERTIFICATE_ISSUER_UNKNOWN] =
    { CLAVE_ERR_CERTIFICATE_ISSUER_UNKNOWN, 401 },
  [CLAVE_PROTOCOL_ERROR_CERTIFICATE_EXPIRED]     = { CLAVE_ERR_CERTIFICATE_EXPIRED, 401 },
  [CLAVE_PROTOCOL_ERROR_CERTIFICATE_NOT_USABLE]  = { CLAVE_ERR_CERTIFICATE_NOT_USABLE, 401 },
  [CLAVE_PROTOCOL_ERROR_INVALID_CERT_SIGNATURE]  = { CLAVE_ERR_INVALID_CERT_SIGNATURE, 401 },
  [CLAVE_PROTOCOL_ERROR_CERTIFICATE_WITHOUT_IDENTITY] =
    { CLAVE_ERR_CERTIFICATE_WITHOUT_IDENTITY, 400 },
  [CLAVE_PROTOCOL_ERROR_IDENTITY_MISMATCH]       = { CLAVE_ERR_IDENTITY_MISMATCH, 403 },
  [CLAVE_PROTOCOL_ERROR_IDENTITY_UNKNOWN]        = { CLAVE_ERR_IDENTITY_UNKNOWN, 403 },
  [CLAVE_PROTOCOL_ERROR_ALREADY_REGISTERED]      = { CLAVE_ERR_ALREADY_REGISTERED, 409 },
  [CLAVE_PROTOCOL_ERROR_PHONE_IN_USE]            = { CLAVE_ERR_PHONE_IN_USE, 409 },
  [CLAVE_PROTOCOL_ERROR_ALREADY_CLAIMED]         = { CLAVE_ERR_ALREADY_CLAIMED, 409 },
  [CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED]      = { CLAVE_ERR_DEVICE_DEACTIVATED, 401 },
  [CLAVE_PROTOCOL_ERROR_REPLAYED_NONCE]          = { CLAVE_ERR_REPLAYED_NONCE, 401 },
  [CLAVE_PROTOCOL_ERROR_ALREADY_ADVANCED]        = { CLAVE_ERR_ALREADY_ADVANCED, 409 },
  [CLAVE_PROTOCOL_ERROR_SAME_PHONE]              = { CLAVE_ERR_SAME_PHONE, 409 },
  [CLAVE_PROTOCOL_ERROR_INVALID_CHANGE]          = { CLAVE_ERR_INVALID_CHANGE, 404 },
  [CLAVE_PROTOCOL_ERROR_CHANGE_EXPIRED]          = { CLAVE_ERR_CHANGE_EXPIRED, 410 },
  [CLAVE_PROTOCOL_ERROR_CHANGE_LOCKED]           = { CLAVE_ERR_CHANGE_LOCKED, 423 },
  [CLAVE_PROTOCOL_ERROR_SAME_EMAIL]              = { CLAVE_ERR_SAME_EMAIL, 409 },
  [CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE] = { CLAVE_ERR_INVALID_ACTIVATION_CODE, 401 },
  [CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_EXPIRED] = { CLAVE_ERR_ACTIVATION_CODE_EXPIRED, 410 },
  [CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_BLOCKED] = { CLAVE_ERR_ACTIVATION_CODE_BLOCKED, 423 },
  [CLAVE_PROTOCOL_ERROR_WEAK_PASSWORD]           = { CLAVE_ERR_WEAK_PASSWORD, 400 },
  [CLAVE_PROTOCOL_ERROR_INVALID_PASSWORD]        = { CLAVE_ERR_INVALID_PASSWORD, 401 },
  [CLAVE_PROTOCOL_ERROR_PASSWORD_BLOCKED]        = { CLAVE_ERR_PASSWORD_BLOCKED, 423 },
  [CLAVE_PROTOCOL_ERROR_PERMANENTE_NOT_ACTIVE]   = { CLAVE_ERR_PERMANENTE_NOT_ACTIVE, 409 },
  [CLAVE_PROTOCOL_ERROR_LEVEL_NOT_ADVANCED]      = { CLAVE_ERR_LEVEL_NOT_ADVANCED, 409 },
  [CLAVE_PROTOCOL_ERROR_FIRMA_EXISTS]            = { CLAVE_ERR_FIRMA_EXISTS, 409 },
  [CLAVE_PROTOCOL_ERROR_FIRMA_NOT_FOUND]         = { CLAVE_ERR_FIRMA_NOT_FOUND, 404 },
  [CLAVE_PROTOCOL_ERROR_FIRMA_REVOKED]           = { CLAVE_ERR_FIRMA_REVOKED, 409 },
  [CLAVE_PROTOCOL_ERROR_FIRMA_EXPIRED]           = { CLAVE_ERR_FIRMA_EXPIRED, 409 },
  [CLAVE_PROTOCOL_ERROR_CONDITIONS_NOT_ACCEPTED] = { CLAVE_ERR_CONDITIONS_NOT_ACCEPTED, 400 },
  [CLAVE_PROTOCOL_ERROR_VIDEO_PENDING]           = { CLAVE_ERR_VIDEO_PENDING, 409 },
  [CLAVE_PROTOCOL_ERROR_INVALID_VIDEO]           = { CLAVE_ERR_INVALID_VIDEO, 401 },
  [CLAVE_PROTOCOL_ERROR_VIDEO_EXPIRED]           = { CLAVE_ERR_VIDEO_EXPIRED, 410 },
  [CLAVE_PROTOCOL_ERROR_VIDEO_LOCKED]            = { CLAVE_ERR_VIDEO_LOCKED, 423 },
  [CLAVE_PROTOCOL_ERROR_VIDEO_WRONG_STATE]       = { CLAVE_ERR_VIDEO_WRONG_STATE, 409 },
  [CLAVE_PROTOCOL_ERROR_INVALID_IMAGE]           = { CLAVE_ERR_INVALID_IMAGE, 400 },
  [CLAVE_PROTOCOL_ERROR_MISSING_IMAGES]          = { CLAVE_ERR_MISSING_IMAGES, 409 },
};

/* What an error carries beyond its code. (The NULL checks are for
 * -Wnull-dereference: the getter that G_DEFINE_EXTENDED_ERROR writes may
 * return NULL, for another domain.) */
typedef struct {
  gint64  retry_after;    /* 0: none */
  gint    attempts_left;  /* -1: none */
  char   *issuer;
} ClaveProtocolErrorPrivate;

static void
clave_protocol_error_private_init (ClaveProtocolErrorPrivate *priv)
{
  if (priv == NULL)
    return;
  priv->retry_after = 0;
  priv->attempts_left = -1;
  priv->issuer = NULL;
}

static void
clave_protocol_error_private_copy (const ClaveProtocolErrorPrivate *src,
                                   ClaveProtocolErrorPrivate       *dest)
{
  if (src == NULL || dest == NULL)
    return;
  dest->retry_after = src->retry_after;
  dest->attempts_left = src->attempts_left;
  dest->issuer = g_strdup (src->issuer);
}

static void
clave_protocol_error_private_clear (ClaveProtocolErrorPrivate *priv)
{
  if (priv != NULL)
    g_clear_pointer (&priv->issuer, g_free);
}

G_DEFINE_EXTENDED_ERROR (ClaveProtocolError, clave_protocol_error)

static gboolean
is_known (const GError *error)
{
  return error != NULL && error->domain == CLAVE_PROTOCOL_ERROR && error->code >= 0 &&
         (gsize) error->code < G_N_ELEMENTS (protocol_errors);
}

const char *
clave_protocol_error_get_name (const GError *error)
{
  return is_known (error) ? protocol_errors[error->code].name : CLAVE_ERR_INTERNAL;
}

guint
clave_protocol_error_get_status (const GError *error)
{
  return is_known (error) ? protocol_errors[error->code].status : 500;
}

gint64
clave_protocol_error_get_retry_after (const GError *error)
{
  ClaveProtocolErrorPrivate *priv;

  if (!is_known (error))
    return 0;
  priv = clave_protocol_error_get_private (error);
  return priv != NULL ? priv->retry_after : 0;
}

gint
clave_protocol_error_get_attempts_left (const GError *error)
{
  ClaveProtocolErrorPrivate *priv;

  if (!is_known (error))
    return -1;
  priv = clave_protocol_error_get_private (error);
  return priv != NULL ? priv->attempts_left : -1;
}

const char *
clave_protocol_error_get_issuer (const GError *error)
{
  ClaveProtocolErrorPrivate *priv;

  if (!is_known (error))
    return NULL;
  priv = clave_protocol_error_get_private (error);
  return priv != NULL ? priv->issuer : NULL;
}

/* A new error of @code whose private part the caller fills in. */
static GError *
new_error (ClaveProtocolError          code,
           const char                 *message,
           ClaveProtocolErrorPrivate **priv)
{
  GError *error = g_error_new_literal (CLAVE_PROTOCOL_ERROR, code, message);

  *priv = clave_protocol_error_get_private (error);
  return error;
}

void
clave_protocol_error_set_retry (GError             **error,
                                ClaveProtocolError   code,
                                gint64               retry_after,
                                const char          *message)
{
  ClaveProtocolErrorPrivate *priv;
  GError *local;

  if (error == NULL)
    return;
  local = new_error (code, message, &priv);
  if (priv != NULL)
    priv->retry_after = retry_after;
  g_propagate_error (error, local);
}

void
clave_protocol_error_set_attempts (GError     **error,
                                   guint        attempts_left,
                                   const char  *message)
{
  clave_protocol_error_set_attempts_full (error, CLAVE_PROTOCOL_ERROR_INVALID_CODE,
                                          attempts_left, message);
}

void
clave_protocol_error_set_attempts_full (GError             **error,
                                        ClaveProtocolError   code,
                                        guint                attempts_left,
                                        const char          *message)
{
  ClaveProtocolErrorPrivate *priv;
  GError *local;

  if (error == NULL)
    return;
  local = new_error (code, message, &priv);
  if (priv != NULL)
    priv->attempts_left = (gint) MIN (attempts_left, (guint) G_MAXINT);
  g_propagate_error (error, local);
}

void
clave_protocol_error_set_issuer (GError     **error,
                                 const char  *issuer,
                                 const char  *message)
{
  ClaveProtocolErrorPrivate *priv;
  GError *local;

  if (error == NULL)
    return;
  local = new_error (CLAVE_PROTOCOL_ERROR_CERTIFICATE_ISSUER_UNKNOWN, message, &priv);
  if (priv != NULL)
    priv->issuer = g_strdup (issuer);
  g_propagate_error (error, local);
}

gboolean
clave_protocol_error_set_internal (GError       **error,
                                   const GError  *cause)
{
  /* The detail goes to the log, never to a client. */
  g_warning ("Internal error: %s", cause != NULL ? cause->message : "unknown error");
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INTERNAL,
                       "Internal error; see the service log.");
  return FALSE;
}
