/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-store.h"

G_BEGIN_DECLS

/* The Cl@ve Firma test CA under STATE_DIR/firma/ (0700), made on first
 * use by clave-server or clave-admin:
 *   ca.pem, ca-key.pem (0600)  the CA that issues the signing certificates
 *                              and signs the CRL
 *   keys.key (0600)            32 random bytes: the key that seals every
 *                              citizen's signing key (AES-256-GCM) */
typedef struct _ClaveFirmaCa ClaveFirmaCa;

/* Signing certificates last five years. */
#define CLAVE_FIRMA_VALIDITY_SECS      ((gint64) 5 * 365 * 24 * 60 * 60)
/* A CRL's nextUpdate, after its thisUpdate. */
#define CLAVE_FIRMA_CRL_VALIDITY_SECS  ((gint64) 24 * 60 * 60)

ClaveFirmaCa     *clave_firma_ca_open      (const char           *state_dir,
                                            GError              **error);
void              clave_firma_ca_free      (ClaveFirmaCa         *ca);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveFirmaCa, clave_firma_ca_free)

/* The CA certificate, DER. */
GBytes           *clave_firma_ca_get_certificate (ClaveFirmaCa   *ca);
/* A new ECDSA P-256 key and a certificate for @identity signed by the
 * CA, valid from @now: C=ES, serialNumber=IDCES-<document>, SN, GN and
 * CN "<SURNAMES>, <NAME> (FIRMA)"; digital signature and
 * non-repudiation. The record holds the certificate and the key sealed
 * with the serial as associated data; nothing is stored. */
ClaveFirmaRecord *clave_firma_ca_issue     (ClaveFirmaCa         *ca,
                                            const ClaveIdentity  *identity,
                                            gint64                now,
                                            GError              **error);
/* The PKCS#8 (DER) signing key sealed in @record: the caller wipes it.
 * Fails once the certificate was revoked (its key destroyed) or when the
 * box was tampered with or moved to another row. */
GBytes           *clave_firma_ca_open_key  (ClaveFirmaCa         *ca,
                                            const ClaveFirmaRecord *record,
                                            GError              **error);
/* A CRL (DER, version 2) signed by the CA listing the serials of
 * @revoked (ClaveFirmaRecord) with their revocation times; thisUpdate
 * @now, nextUpdate @now + CLAVE_FIRMA_CRL_VALIDITY_SECS, CRL number
 * @now. */
GBytes           *clave_firma_ca_make_crl  (ClaveFirmaCa         *ca,
                                            GPtrArray            *revoked,
                                            gint64                now,
                                            GError              **error);

G_END_DECLS
