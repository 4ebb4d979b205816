/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_DONE_PAGE (clave_done_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveDonePage, clave_done_page, CLAVE, DONE_PAGE, ClavePage)

G_END_DECLS
