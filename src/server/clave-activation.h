/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-cert-proof.h"
#include "clave-codes.h"
#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* Making a computer a citizen's Cl@ve device (docs/protocol.md, steps 1
 * to 4): the service's rules, without HTTP. The routes
 * (clave-routes-activation.c) read the request, call one of these and
 * write the answer; tests/server/test-domain.c calls them directly.
 * Every function that fails sets a CLAVE_PROTOCOL_ERROR with the code the
 * protocol documents for that step, and leaves the activation as it was
 * unless the rule itself changes it (a wrong code is counted). */

/* A new activation, as step 1 answers it. */
typedef struct {
  char     *id;                   /* "act_…" */
  char     *token;                /* the bearer token: a secret, freed wiped */
  gint64    expires_in;           /* seconds */
  char     *phone_hint;           /* the end of the citizen's phone number */
  gboolean  certificate_allowed;  /* the service has trust anchors */
} ClaveActivationStart;

void clave_activation_start_free (ClaveActivationStart *start);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveActivationStart, clave_activation_start_free)

/* A new activation of @document in @state, not stored yet: its answer
 * and (@record_out) its record, which holds the token's hash only. */
ClaveActivationStart  *_clave_activation_prepare (const char              *document,
                                                  const char              *phone,
                                                  ClaveActivationState     state,
                                                  gint64                   now,
                                                  ClaveActivationRecord  **record_out);

/* Step 1: identifies @document by its contrast data (the wire forms; see
 * _clave_identify() for the errors and the limits counted against
 * @source) and opens an activation. NULL without an error when the
 * identity is right but the person has no Cl@ve registration;
 * too_many_attempts when the person has used up the wrong codes of the
 * window (told only to someone with the right contrast data). */
ClaveActivationStart  *clave_activation_start   (ClaveServer            *server,
                                                 const char             *document,
                                                 const char             *contrast_kind,
                                                 const char             *contrast_value,
                                                 const char             *source,
                                                 gint64                  now,
                                                 GError                **error);

/* The activation @id when @token (the request's bearer token, NULL when
 * it had none) opens it and it can still be used: invalid_activation
 * (unknown, wrong token, used or replaced), activation_locked,
 * activation_expired. */
ClaveActivationRecord *clave_activation_open    (ClaveServer            *server,
                                                 const char             *id,
                                                 const char             *token,
                                                 gint64                  now,
                                                 GError                **error);

/* Step 2: sends a new SMS code to the citizen's phone (see
 * _clave_codes_send() for the limits); @sent says what the answer tells,
 * and @activation is read again with its new code. */
gboolean               clave_activation_send_code (ClaveServer          *server,
                                                   ClaveActivationRecord *activation,
                                                   gint64                now,
                                                   ClaveCodeSent        *sent,
                                                   GError              **error);

/* Step 3 by SMS: TRUE when @code (six digits) is the code last sent; the
 * activation is then verified. See _clave_codes_verify() for the errors;
 * the last wrong attempt gives activation_locked. */
gboolean               clave_activation_verify_code (ClaveServer        *server,
                                                     ClaveActivationRecord *activation,
                                                     const char         *code,
                                                     gint64              now,
                                                     GError            **error);

/* Step 3 with a certificate or DNIe: checks @proof (see
 * _clave_cert_proof_verify()) and that it names the person activating
 * (identity_mismatch otherwise); the activation is then verified. Returns
 * the method the proof used, CLAVE_METHOD_DNIE or
 * CLAVE_METHOD_CERTIFICATE. */
const char            *clave_activation_verify_certificate (ClaveServer  *server,
                                                            ClaveActivationRecord *activation,
                                                            ClaveCertProof *proof,
                                                            gint64        now,
                                                            GError      **error);

/* Step 4: registers the device whose key @public_key (base64url SPKI of
 * an ECDSA P-256 key) signed the activation (@proof, base64url raw
 * r||s), with its optional @push_key (another such key) and @name. The
 * citizen's previous device ends. Returns the new device's id;
 * activation_not_verified, invalid_public_key, invalid_proof. */
char                  *clave_activation_register_device (ClaveServer  *server,
                                                         ClaveActivationRecord *activation,
                                                         const char   *public_key,
                                                         const char   *proof,
                                                         const char   *push_key,
                                                         const char   *name,
                                                         gint64        now,
                                                         GError      **error);

G_END_DECLS
