/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"
#include "clave-service-client.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_REQUEST_PAGE (clave_request_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveRequestPage, clave_request_page, CLAVE, REQUEST_PAGE, ClavePage)

/* The login request to show (copied); the page starts over with it. */
void        clave_request_page_set_request    (ClaveRequestPage            *self,
                                               const ClaveAuthRequestInfo  *request);
/* The id of the request shown, or NULL. */
const char *clave_request_page_get_request_id (ClaveRequestPage            *self);
/* Whether its request still waits for the person's answer, or the
 * answer is on its way; FALSE once an outcome shows. */
gboolean    clave_request_page_is_open        (ClaveRequestPage            *self);
/* The service says the request was answered or expired elsewhere
 * (a "status" event): the page shows it when it is that request. */
void        clave_request_page_update_status  (ClaveRequestPage            *self,
                                               const char                  *id,
                                               const char                  *status);

G_END_DECLS
