/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-certificate.h"
#include "clave-x509.h"

G_BEGIN_DECLS

/* Where the key of a certificate on a card lives: the PKCS#11 module (by
 * path), the slot it was seen in and the token's identity, so that the
 * token manager can find it again and notice when the card changed. */
typedef struct {
  char    *module_path;
  gulong   slot_id;
  char    *token_label;
  char    *token_serial;
  char    *token_url;     /* PKCS#11 URI of the token (with module info) */
  char    *key_url;       /* PKCS#11 URI of the private key (same CKA_ID) */
  char    *object_label;  /* "CertAutenticacion" on a DNIe */
} ClaveTokenLocation;

void                _clave_token_location_free        (ClaveTokenLocation *location);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveTokenLocation, _clave_token_location_free)

/* @chain: GBytes DER, leaf first (taken). Returns NULL with
 * CLAVE_TOKEN_ERROR_INVALID_FILE if the leaf is not a certificate. */
ClaveCertificate   *_clave_certificate_new_for_token  (const char          *id,
                                                       GPtrArray           *chain,
                                                       ClaveTokenLocation  *location,
                                                       GError             **error);
ClaveCertificate   *_clave_certificate_new_for_file   (const char          *path,
                                                       const char          *display_name,
                                                       GPtrArray           *chain,
                                                       GError             **error);

const ClaveTokenLocation *_clave_certificate_get_token_location (ClaveCertificate *self);
const ClaveX509Identity  *_clave_certificate_get_identity       (ClaveCertificate *self);
/* The leaf's DER. */
GBytes             *_clave_certificate_get_der         (ClaveCertificate *self);
/* GNUTLS_PK_RSA / GNUTLS_PK_ECDSA / … of the leaf's public key. */
int                 _clave_certificate_get_pk_algorithm (ClaveCertificate *self);
/* keyUsage allows digitalSignature (or has no keyUsage extension). */
gboolean            _clave_certificate_can_sign        (ClaveCertificate *self);

G_END_DECLS
