/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

/**
 * ClaveCertificateMode:
 * @CLAVE_CERTIFICATE_MODE_DNIE: only the certificates of a DNIe in a reader
 * @CLAVE_CERTIFICATE_MODE_CERTIFICATE: imported certificate files and
 *   cards other than the DNIe
 */
typedef enum {
  CLAVE_CERTIFICATE_MODE_DNIE,
  CLAVE_CERTIFICATE_MODE_CERTIFICATE,
} ClaveCertificateMode;

/**
 * ClaveCertificatePurpose:
 * @CLAVE_CERTIFICATE_PURPOSE_ACTIVATION: prove who you are to activate
 *   this computer (the activation in progress in the window)
 * @CLAVE_CERTIFICATE_PURPOSE_REGISTRATION: register in Cl@ve with it
 */
typedef enum {
  CLAVE_CERTIFICATE_PURPOSE_ACTIVATION,
  CLAVE_CERTIFICATE_PURPOSE_REGISTRATION,
} ClaveCertificatePurpose;

#define CLAVE_TYPE_CERTIFICATE_PAGE (clave_certificate_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveCertificatePage, clave_certificate_page, CLAVE, CERTIFICATE_PAGE, ClavePage)

void                    clave_certificate_page_set_mode     (ClaveCertificatePage    *self,
                                                             ClaveCertificateMode     mode,
                                                             ClaveCertificatePurpose  purpose);
ClaveCertificateMode    clave_certificate_page_get_mode     (ClaveCertificatePage    *self);
ClaveCertificatePurpose clave_certificate_page_get_purpose  (ClaveCertificatePage    *self);
/* What choosing @file in the Import dialog does: asks for its password
 * and imports it. (A native file chooser cannot be driven by a test; this
 * can.) */
void                    clave_certificate_page_import_file  (ClaveCertificatePage    *self,
                                                             GFile                   *file);

G_END_DECLS
