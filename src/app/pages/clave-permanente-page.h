/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_PERMANENTE_PAGE (clave_permanente_page_get_type ())
G_DECLARE_FINAL_TYPE (ClavePermanentePage, clave_permanente_page, CLAVE, PERMANENTE_PAGE, ClavePage)

/* Empties the page (and forgets a code shown): the contrast data first. */
void     clave_permanente_page_reset        (ClavePermanentePage  *self);
/* What My data knows of the person: the state of their Cl@ve Permanente
 * (the password's part shows when it is active or blocked) and the names
 * a password must not contain. Resets the page. */
void     clave_permanente_page_set_person   (ClavePermanentePage  *self,
                                             const char           *state,
                                             const char           *given_name,
                                             const char           *surnames);
/* What Save Receipt does with the file chosen: the receipt of the code
 * shown, as a PDF. */
gboolean clave_permanente_page_save_receipt (ClavePermanentePage  *self,
                                             GFile                *file,
                                             GError              **error);

G_END_DECLS
