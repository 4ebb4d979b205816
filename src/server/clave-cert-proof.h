/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "clave-server.h"
#include "clave-x509.h"

G_BEGIN_DECLS

/* Certificate proofs (docs/protocol.md "Certificate proofs"). */
typedef struct _ClaveCertProof ClaveCertProof;

/* Reads the member "proof" of @body: its form only (members, base64,
 * certificate count and size, DER that parses); invalid_request
 * otherwise. Nothing is used up yet. */
ClaveCertProof    *_clave_cert_proof_read   (JsonObject        *body,
                                             GError           **error);
void               _clave_cert_proof_free   (ClaveCertProof    *proof);
/* Uses up the challenge, then checks the chain against the trust anchors,
 * the validity dates, the leaf's key usage, the signature over the proof
 * data of @purpose, and the identity in the leaf. Returns the identity
 * (document set) when everything holds; otherwise NULL with the
 * CLAVE_PROTOCOL_ERROR of docs/protocol.md (invalid_challenge,
 * certificate_issuer_unknown with its issuer, certificate_untrusted,
 * certificate_expired, certificate_not_usable,
 * invalid_certificate_signature, certificate_without_identity). */
ClaveX509Identity *_clave_cert_proof_verify (ClaveServer      *self,
                                             ClaveCertProof   *proof,
                                             const char       *purpose,
                                             gint64            now,
                                             GError          **error);

/* A new one-time challenge for a proof, asked for from @address (the
 * limit per address counts by it): its id and value, which expire after
 * CLAVE_CHALLENGE_TTL_SECS; too_many_attempts with retry_after. */
gboolean           _clave_cert_proof_new_challenge (ClaveServer  *self,
                                                    const char   *address,
                                                    gint64        now,
                                                    char        **id,
                                                    char        **challenge,
                                                    GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveCertProof, _clave_cert_proof_free)

G_END_DECLS
