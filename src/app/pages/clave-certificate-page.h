/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

/**
 * ClaveCertificatePurpose:
 * @CLAVE_CERTIFICATE_PURPOSE_ACTIVATION: prove who you are to activate
 *   this computer (the activation in progress in the window)
 * @CLAVE_CERTIFICATE_PURPOSE_REGISTRATION: register in Cl@ve with it
 * @CLAVE_CERTIFICATE_PURPOSE_LEVEL: raise the level of registration to
 *   advanced (the proof goes to the raise-level page)
 * @CLAVE_CERTIFICATE_PURPOSE_PHONE: change the phone (the proof goes to
 *   the change-phone page)
 */
typedef enum {
  CLAVE_CERTIFICATE_PURPOSE_ACTIVATION,
  CLAVE_CERTIFICATE_PURPOSE_REGISTRATION,
  CLAVE_CERTIFICATE_PURPOSE_LEVEL,
  CLAVE_CERTIFICATE_PURPOSE_PHONE,
} ClaveCertificatePurpose;

#define CLAVE_TYPE_CERTIFICATE_PAGE (clave_certificate_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveCertificatePage, clave_certificate_page, CLAVE, CERTIFICATE_PAGE, ClavePage)

/* Cards (a DNIe or another) and imported files, listed together. */
void                    clave_certificate_page_set_purpose  (ClaveCertificatePage    *self,
                                                             ClaveCertificatePurpose  purpose);
/* What choosing @file in the Import dialog does: asks for its password
 * and imports it. (A native file chooser cannot be driven by a test; this
 * can.) */
void                    clave_certificate_page_import_file  (ClaveCertificatePage    *self,
                                                             GFile                   *file);

G_END_DECLS
