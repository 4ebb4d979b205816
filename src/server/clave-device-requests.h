/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* Cl@ve Móvil as the citizen's device sees it (docs/protocol.md "Cl@ve
 * Móvil", the /v1/device/… paths), without HTTP: @device is the device
 * whose signature the route checked. Failures set a CLAVE_PROTOCOL_ERROR.
 * The relying parties' side is clave-auth-requests.h. */

/* The citizen's pending requests (ClaveAuthRequestRecord), oldest first. */
GPtrArray              *clave_device_requests_list_pending (ClaveServer             *server,
                                                            const ClaveDeviceRecord *device,
                                                            gint64                   now,
                                                            GError                 **error);

/* Shows request @id to @device: a QR request is bound to the device and
 * its citizen the first time (already_claimed when another one has it);
 * a push or SMS request of another citizen is not_found;
 * request_expired, already_answered once it is no longer pending. */
ClaveAuthRequestRecord *clave_device_requests_claim        (ClaveServer             *server,
                                                            const ClaveDeviceRecord *device,
                                                            const char              *id,
                                                            gint64                   now,
                                                            GError                 **error);

/* Request @id when @device may confirm or reject it now: not_found,
 * not_your_request (another citizen's, or an SMS request, which only its
 * relying party answers), request_expired, already_answered. */
ClaveAuthRequestRecord *clave_device_requests_answerable   (ClaveServer             *server,
                                                            const ClaveDeviceRecord *device,
                                                            const char              *id,
                                                            gint64                   now,
                                                            GError                 **error);

/* Stores @device's answer @status (CLAVE_REQUEST_STATUS_CONFIRMED or
 * _REJECTED) to request @id, with @nonce, the nonce of the signature that
 * carried it: both in one transaction of the answer queue
 * (clave-answer-queue.h), which commits the answers of many devices at
 * once. A refused answer (see clave_device_requests_answerable()) spends
 * its nonce all the same, as every signature that verified does. The
 * relying party's waiters and the citizen's push channel hear of a
 * stored answer. */
void      clave_device_requests_answer_async  (ClaveServer             *server,
                                               const ClaveDeviceRecord *device,
                                               const char              *id,
                                               const char              *status,
                                               const char              *nonce,
                                               gint64                   now,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data);
/* TRUE once stored; otherwise the refusal, replayed_nonce,
 * device_deactivated (ended meanwhile) or already_answered (answered
 * meanwhile). */
gboolean  clave_device_requests_answer_finish (ClaveServer             *server,
                                               GAsyncResult            *result,
                                               GError                 **error);

/* The citizen's requests after cursor @after, at most @limit, oldest
 * first (ClaveAuthRequestRecord); @next is the cursor of the last one
 * (@after when none), @more whether more follow. */
GPtrArray              *clave_device_requests_history      (ClaveServer             *server,
                                                            const ClaveDeviceRecord *device,
                                                            gint64                   after,
                                                            guint                    limit,
                                                            gint64                  *next,
                                                            gboolean                *more,
                                                            GError                 **error);

G_END_DECLS
