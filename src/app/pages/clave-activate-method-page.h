/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_ACTIVATE_METHOD_PAGE (clave_activate_method_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveActivateMethodPage, clave_activate_method_page, CLAVE, ACTIVATE_METHOD_PAGE, ClavePage)

G_END_DECLS
