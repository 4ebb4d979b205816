/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_SET_PIN_PAGE (clave_set_pin_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveSetPinPage, clave_set_pin_page, CLAVE, SET_PIN_PAGE, ClavePage)

G_END_DECLS
