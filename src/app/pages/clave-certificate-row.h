/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-certificate.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_CERTIFICATE_ROW (clave_certificate_row_get_type ())
G_DECLARE_FINAL_TYPE (ClaveCertificateRow, clave_certificate_row, CLAVE, CERTIFICATE_ROW,
                      AdwActionRow)

/* A row for @certificate: holder, document · issuer, validity · where it
 * is; activatable only while it is valid; a Remove button ("remove"
 * signal) for an imported file. */
GtkWidget        *clave_certificate_row_new             (ClaveCertificate    *certificate);
ClaveCertificate *clave_certificate_row_get_certificate (ClaveCertificateRow *self);
/* Whether it can be used now (valid, not expired, not too early). */
gboolean          clave_certificate_row_get_usable      (ClaveCertificateRow *self);

G_END_DECLS
