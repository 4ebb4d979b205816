/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-error.h"

G_BEGIN_DECLS

/* Who an X.509 certificate of a Spanish citizen names, as the service and
 * the app read it (docs/protocol.md, "Certificate proofs"). Strings are
 * UTF-8 or NULL when the certificate lacks the attribute. */
typedef struct {
  char     *document;     /* DNI/NIE from the subject serialNumber
                           * ("12345678Z", "IDCES-12345678Z", "VATES-…"),
                           * NULL unless it is a valid DNI/NIE */
  char     *given_name;   /* subject givenName (2.5.4.42) */
  char     *surnames;     /* subject surname (2.5.4.4) */
  char     *common_name;  /* subject CN */
  char     *issuer_cn;
  char     *issuer_o;
  gint64    not_before;   /* Unix time */
  gint64    not_after;
  gboolean  dnie_style;   /* serialNumber without prefix, issued by the
                           * DIRECCION GENERAL DE LA POLICIA: a DNIe */
} ClaveX509Identity;

/* CLAVE_CRYPTO_ERROR_INVALID_DATA if @der is not an X.509 certificate. A
 * certificate without a usable identity still parses (document NULL). */
ClaveX509Identity *clave_x509_identity_from_der     (GBytes                  *der,
                                                     GError                 **error);
void               clave_x509_identity_free         (ClaveX509Identity       *identity);
/* The holder's name for display: the CN without the DNIe's
 * " (AUTENTICACIÓN)" / " (FIRMA)" or the FNMT's " - 12345678Z" suffix, or
 * givenName + surname when there is no CN. NULL if neither exists. */
char              *clave_x509_identity_holder_name  (const ClaveX509Identity *identity);

/* "AC DNIE 004" from "CN=AC DNIE 004,OU=DNIE,O=…" (an RFC 4514 DN as
 * the service names an issuer), or the whole DN when it has no CN. */
char              *clave_x509_dn_display_name       (const char              *dn);

/* The bytes a certificate proof signs: CLAVE_CERTIFICATE_PROOF_PREFIX +
 * @purpose + "\n" + @challenge_id + "\n" + @challenge (base64url text as
 * the service sent it). @purpose is "activation:<id>" or "registration". */
GBytes            *clave_certificate_proof_data     (const char              *purpose,
                                                     const char              *challenge_id,
                                                     const char              *challenge);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveX509Identity, clave_x509_identity_free)

G_END_DECLS
