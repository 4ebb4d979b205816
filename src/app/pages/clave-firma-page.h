/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_FIRMA_PAGE (clave_firma_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveFirmaPage, clave_firma_page, CLAVE, FIRMA_PAGE, ClavePage)

/* Asks the service for the person's Cl@ve Firma certificate (the device
 * key unlocked as for My data) and shows it. */
void     clave_firma_page_load         (ClaveFirmaPage  *self);
/* What Save Receipt does with the file chosen: the receipt of the
 * revocation of the certificate shown, as a PDF. FALSE (without writing)
 * when it is not revoked. */
gboolean clave_firma_page_save_receipt (ClaveFirmaPage  *self,
                                        GFile           *file,
                                        GError         **error);

G_END_DECLS
