/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_HOME_PAGE (clave_home_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveHomePage, clave_home_page, CLAVE, HOME_PAGE, ClavePage)

/* Shows @notice (NULL hides it) above the welcome page's buttons: what
 * just ended and how to come back. It goes once this computer is
 * activated again. */
void clave_home_page_set_notice (ClaveHomePage *self,
                                 const char    *notice);

G_END_DECLS
