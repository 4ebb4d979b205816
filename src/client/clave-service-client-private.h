/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "clave-service-client.h"

G_BEGIN_DECLS

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
