/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_CHANGE_EMAIL_PAGE (clave_change_email_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveChangeEmailPage, clave_change_email_page, CLAVE, CHANGE_EMAIL_PAGE, ClavePage)

/* Empties the page, for a new change from My data: the document's
 * contrast data are asked first. */
void clave_change_email_page_reset (ClaveChangeEmailPage *self);

G_END_DECLS
