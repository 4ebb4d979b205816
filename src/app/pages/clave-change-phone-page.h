/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_CHANGE_PHONE_PAGE (clave_change_phone_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveChangePhonePage, clave_change_phone_page, CLAVE, CHANGE_PHONE_PAGE, ClavePage)

/* The certificate page made @proof (of purpose CLAVE_PROOF_PURPOSE_PHONE)
 * for the number typed here: asks the device PIN and starts the change,
 * then asks the code sent to the new number. Takes @proof. */
/* Empties the page, for a new change from My data. */
void clave_change_phone_page_reset      (ClaveChangePhonePage  *self);
void clave_change_phone_page_send_proof (ClaveChangePhonePage  *self,
                                         ClaveCertificateProof *proof);

G_END_DECLS
