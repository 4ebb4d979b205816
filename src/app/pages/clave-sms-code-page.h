/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_SMS_CODE_PAGE (clave_sms_code_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveSmsCodePage, clave_sms_code_page, CLAVE, SMS_CODE_PAGE, ClavePage)

G_END_DECLS
