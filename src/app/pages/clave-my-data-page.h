/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_MY_DATA_PAGE (clave_my_data_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveMyDataPage, clave_my_data_page, CLAVE, MY_DATA_PAGE, ClavePage)

/* What the page shows, NULL before it loaded. */
const ClaveMyData *clave_my_data_page_get_data (ClaveMyDataPage *self);

G_END_DECLS
