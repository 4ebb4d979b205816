/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_GIVE_UP_PAGE (clave_give_up_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveGiveUpPage, clave_give_up_page, CLAVE, GIVE_UP_PAGE, ClavePage)

G_END_DECLS
