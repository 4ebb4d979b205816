/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A certificate the person can prove their identity with: on a smartcard
 * (DNIe or other card, through PKCS#11) or in an imported PKCS#12 file. */

typedef enum {
  CLAVE_CERTIFICATE_SOURCE_TOKEN,  /* smartcard / PKCS#11 token */
  CLAVE_CERTIFICATE_SOURCE_FILE,   /* imported PKCS#12 file */
} ClaveCertificateSource;

#define CLAVE_TYPE_CERTIFICATE (clave_certificate_get_type ())
G_DECLARE_FINAL_TYPE (ClaveCertificate, clave_certificate, CLAVE, CERTIFICATE, GObject)

/* Stable identifier: the PKCS#11 URL of the certificate object, or the
 * path of the imported file. */
const char             *clave_certificate_get_id              (ClaveCertificate *self);
ClaveCertificateSource  clave_certificate_get_source          (ClaveCertificate *self);
/* "LUCÍA GARCÍA PÉREZ": holder name without "(AUTENTICACIÓN)" suffixes. */
const char             *clave_certificate_get_holder_name     (ClaveCertificate *self);
/* "12345678Z" from the subject serialNumber ("IDCES-" prefix removed), or
 * NULL when the certificate names no DNI/NIE. */
const char             *clave_certificate_get_document_number (ClaveCertificate *self);
/* Issuer common name, e.g. "AC DNIE 004" or "AC FNMT Usuarios". */
const char             *clave_certificate_get_issuer_name     (ClaveCertificate *self);
GDateTime              *clave_certificate_get_not_before      (ClaveCertificate *self);
GDateTime              *clave_certificate_get_not_after       (ClaveCertificate *self);
gboolean                clave_certificate_is_valid_now        (ClaveCertificate *self);
/* TRUE for a DNIe certificate: issued by the Dirección General de la
 * Policía with the bare DNI as serialNumber, on whatever card or file. */
gboolean                clave_certificate_is_dnie             (ClaveCertificate *self);
/* Token label ("DNI electrónico") or file name for display. */
const char             *clave_certificate_get_location        (ClaveCertificate *self);
/* DER of the certificate, then the chain the service needs (leaf first:
 * e.g. the DNIe's CertCAIntermediaDGP, or the CA certificates in the
 * PKCS#12 file). Array of GBytes. */
GPtrArray              *clave_certificate_get_chain           (ClaveCertificate *self);
/* One line for the diagnostics: holder, document, issuer, validity,
 * location. */
char                   *clave_certificate_describe            (ClaveCertificate *self);

G_END_DECLS
