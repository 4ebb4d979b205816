/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* Authentication requests of relying parties (docs/protocol.md
 * "Cl@ve Móvil"), as the HTTP routes and the demo website served by
 * clave-server both use them: the same checks, limits and events whichever
 * way a request comes in. All functions run on the server's main context. */

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

/* The id of the relying party whose API key is @key (the bearer token of
 * its request; NULL when there was none): invalid_rp_key otherwise. */
char             *clave_auth_requests_authenticate_rp (ClaveServer  *server,
                                                       const char   *key,
                                                       GError      **error);

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
                                                      GError      **error);

/* The status a client sees: a pending request past its expiry is
 * expired. */
const char *_clave_auth_request_status     (const ClaveAuthRequestRecord *record,
                                            gint64                now);
/* The origin a client sees (the demo website's is relative to ours). */
char       *_clave_auth_request_origin     (ClaveServer          *self,
                                            const char           *stored);
/* The relying party that seed-demo creates for the demo website, or NULL
 * when the store has none (no seed-demo). */
const char       *clave_server_get_demo_rp_id        (ClaveServer  *server);

G_END_DECLS
