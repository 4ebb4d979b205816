/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "clave-service-client.h"

G_BEGIN_DECLS

/* The most of a response body the client reads: past it a call fails
 * with CLAVE_SERVICE_ERROR_PROTOCOL and reads no further, and a body whose
 * Content-Length says more is refused unread. The service caps request
 * bodies at CLAVE_MAX_BODY (64 KiB), but its largest answer is larger: a
 * page of GET /v1/device/history at limit=1000, which ClaveHistoryStore
 * asks for, is about 280 KB with usual names and origins and at most
 * 1.7 MB (organisation names of 200 characters each escaped to six bytes,
 * origins with a 253-byte host name and a port, every number 19 digits
 * long). 4 MiB holds that with room for members a newer service may add,
 * and still bounds what a broken or hostile server makes the client hold. */
#define CLAVE_CLIENT_MAX_RESPONSE_BODY (4 * 1024 * 1024)

/* For ClavePushChannel and ClaveHistoryStore: the one signing code path
 * and the one parser of request objects. */

SoupSession *_clave_service_client_get_session      (ClaveServiceClient  *self);

/* A request for @path signed with @key (ClaveDeviceKey or ClavePushKey)
 * as @device_id, no body. */
SoupMessage *_clave_service_client_build_signed     (ClaveServiceClient  *self,
                                                     const char          *method,
                                                     const char          *path,
                                                     const char          *query,
                                                     gpointer             key,
                                                     const char          *device_id,
                                                     GError             **error);

/* A request object (docs/protocol.md "Cl@ve Móvil"); PROTOCOL error when
 * a member is missing or of the wrong type. */
ClaveAuthRequestInfo *_clave_auth_request_info_from_json (JsonObject  *object,
                                                         GError     **error);

/* Request ids and states as the service may send them. */
gboolean     _clave_auth_request_status_is_known    (const char          *status);

G_END_DECLS
