/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_RAISE_LEVEL_PAGE (clave_raise_level_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveRaiseLevelPage, clave_raise_level_page, CLAVE, RAISE_LEVEL_PAGE, ClavePage)

/* The certificate page made @proof (of purpose CLAVE_PROOF_PURPOSE_LEVEL):
 * asks the device PIN and sends it; the page shows it happening, then My
 * data with the new level, or why not. Takes @proof. */
void clave_raise_level_page_send_proof (ClaveRaiseLevelPage   *self,
                                        ClaveCertificateProof *proof);

G_END_DECLS
