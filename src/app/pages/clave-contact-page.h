/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_CONTACT_PAGE (clave_contact_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveContactPage, clave_contact_page, CLAVE, CONTACT_PAGE, ClavePage)

/* "+34600999888" from what a person types: spaces, dots, hyphens and
 * brackets dropped, a leading 00 taken as +, no country code taken as
 * Spain's (+34). NULL unless the result is E.164 (+ and 8 to 15 digits). */
char     *clave_contact_page_normalize_phone (const char *text);
gboolean  clave_contact_page_email_is_valid  (const char *text);

G_END_DECLS
