/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include "clave-server.h"

G_BEGIN_DECLS

/* Authentication requests of relying parties (docs/protocol.md
 * "Cl@ve Móvil"), as the HTTP routes and the demo website served by
 * clave-server both use them: the same checks, limits and events whichever
 * way a request comes in. All functions run on the server's main context. */

/**
 * ClaveHttpError:
 *
 * Errors of the functions below. Each value is one error code of
 * docs/protocol.md; clave_http_error_get_name() gives that code
 * ("identification_failed", …) and clave_http_error_get_status() the HTTP
 * status the routes answer with. The GError message is a short English
 * sentence (never containing secrets) fit for a log or a developer page;
 * a website shows its own text chosen by the code.
 */
typedef enum {
  CLAVE_HTTP_ERROR_INVALID_REQUEST,        /* 400 invalid_request */
  CLAVE_HTTP_ERROR_INVALID_DOCUMENT,       /* 400 invalid_document */
  CLAVE_HTTP_ERROR_INVALID_CONTRAST,       /* 400 invalid_contrast */
  CLAVE_HTTP_ERROR_IDENTIFICATION_FAILED,  /* 401 identification_failed */
  CLAVE_HTTP_ERROR_TOO_MANY_ATTEMPTS,      /* 429 too_many_attempts */
  CLAVE_HTTP_ERROR_NO_ACTIVE_DEVICE,       /* 409 no_active_device */
  CLAVE_HTTP_ERROR_NOT_FOUND,              /* 404 not_found */
  CLAVE_HTTP_ERROR_REQUEST_EXPIRED,        /* 410 request_expired */
  CLAVE_HTTP_ERROR_ALREADY_ANSWERED,       /* 409 already_answered */
  CLAVE_HTTP_ERROR_INVALID_CODE,           /* 401 invalid_code */
  CLAVE_HTTP_ERROR_INVALID_RP_KEY,         /* 401 invalid_rp_key */
  CLAVE_HTTP_ERROR_INTERNAL,               /* 500 internal_error */
  CLAVE_HTTP_ERROR_NOT_YOUR_REQUEST,       /* 403 not_your_request */
} ClaveHttpError;

#define CLAVE_HTTP_ERROR (clave_http_error_quark ())
GQuark      clave_http_error_quark      (void);
/* The protocol's error code of @error ("internal_error" for errors of
 * other domains). */
const char *clave_http_error_get_name   (const GError *error);
/* The HTTP status for @error (500 for errors of other domains). */
guint       clave_http_error_get_status (const GError *error);
/* For TOO_MANY_ATTEMPTS: the seconds to wait before trying again (the
 * answer's retry_after); 0 for other errors. */
gint64      clave_http_error_get_retry_after (const GError *error);

/* One request as a relying party sees it. Strings are owned by the
 * struct; members that do not apply are NULL. */
typedef struct {
  char   *id;                 /* "req_…" */
  char   *type;               /* CLAVE_REQUEST_TYPE_QR / _PUSH / _SMS */
  char   *status;             /* CLAVE_REQUEST_STATUS_* (expiry applied) */
  char   *verification_code;  /* three digits */
  char   *uri;                /* "clave:request?id=…&code=…"; QR only */
  char   *document;           /* once confirmed */
  char   *level;              /* CLAVE_LEVEL_*; once confirmed */
  char   *organisation;       /* the relying party's name */
  char   *origin;             /* the relying party's origin */
  gint64  created_at;         /* seconds since the epoch */
  gint64  expires_at;         /* seconds since the epoch */
} ClaveAuthRequest;

void clave_auth_request_free (ClaveAuthRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveAuthRequest, clave_auth_request_free)

/* Creates a request of relying party @rp_id. @type is "qr", "push" or
 * "sms"; push and sms need @document, @contrast_kind and @contrast_value
 * (the wire forms, as in POST /v1/identify), qr ignores them (pass NULL).
 * The identification limits count failures against @client_address, the
 * person's own address when the service sees it (the browser's, for the
 * demo website), or, when it is NULL, against the relying party (its own
 * API, called from the website's server). Push needs an active device
 * (NO_ACTIVE_DEVICE); sms sends the PIN to the citizen's phone. */
ClaveAuthRequest *clave_auth_requests_create         (ClaveServer  *server,
                                                      const char   *rp_id,
                                                      const char   *type,
                                                      const char   *document,
                                                      const char   *contrast_kind,
                                                      const char   *contrast_value,
                                                      const char   *client_address,
                                                      GError      **error);
/* The request @id of relying party @rp_id (NOT_FOUND for another
 * party's). */
ClaveAuthRequest *clave_auth_requests_get            (ClaveServer  *server,
                                                      const char   *rp_id,
                                                      const char   *id,
                                                      GError      **error);
/* Checks the SMS PIN of request @id (type sms): TRUE once confirmed.
 * INVALID_CODE sets @attempts_left (0: the request is now rejected);
 * REQUEST_EXPIRED, ALREADY_ANSWERED, NOT_FOUND, INVALID_REQUEST (not an
 * sms request or not 8 digits). */
gboolean          clave_auth_requests_submit_sms_pin (ClaveServer  *server,
                                                      const char   *rp_id,
                                                      const char   *id,
                                                      const char   *pin,
                                                      guint        *attempts_left,
                                                      GError      **error);

/* Answers @msg with @request as the RP API shows it (docs/protocol.md,
 * GET /v1/rp/requests/{id}): the one JSON form of a request for a relying
 * party, the demo website's included. */
void              clave_auth_request_reply           (SoupServerMessage      *msg,
                                                      guint                   status,
                                                      const ClaveAuthRequest *request);

/* The relying party that seed-demo creates for the demo website, or NULL
 * when the store has none (no seed-demo). */
const char       *clave_server_get_demo_rp_id        (ClaveServer  *server);

G_END_DECLS
