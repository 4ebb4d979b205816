/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_MY_REQUESTS_PAGE (clave_my_requests_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveMyRequestsPage, clave_my_requests_page, CLAVE, MY_REQUESTS_PAGE, ClavePage)

/* The rows shown now (for tests and the empty state), NULL before the
 * PIN was given. */
GListModel *clave_my_requests_page_get_model (ClaveMyRequestsPage *self);

G_END_DECLS
