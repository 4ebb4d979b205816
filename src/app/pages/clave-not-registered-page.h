/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_NOT_REGISTERED_PAGE (clave_not_registered_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveNotRegisteredPage, clave_not_registered_page, CLAVE, NOT_REGISTERED_PAGE, ClavePage)

/* TRUE after a login found the person not registered; FALSE when the
 * person asked to register (from the welcome page). */
void clave_not_registered_page_set_identified (ClaveNotRegisteredPage *self,
                                               gboolean                identified);

G_END_DECLS
