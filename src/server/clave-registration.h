/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-activation.h"
#include "clave-cert-proof.h"
#include "clave-codes.h"
#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* Registering with a certificate or DNIe (docs/protocol.md "Registering
 * with a certificate"), without HTTP: the proof says who the person is,
 * an SMS code confirms the phone, and the person becomes a citizen at
 * level advanced with an activation already verified for this device.
 * Failures set a CLAVE_PROTOCOL_ERROR (see clave-activation.h). */

/* A registration just begun, as its first step answers it. */
typedef struct {
  char          *id;          /* "reg_…" */
  char          *token;       /* the bearer token: a secret, freed wiped */
  ClaveCodeSent  sent;        /* the code sent to the new phone */
  char          *document;
  /* The names as the certificate writes them (what the person sees on
   * it), else as the registry has them. */
  char          *given_name;
  char          *surnames;
} ClaveRegistrationStart;

void clave_registration_start_free (ClaveRegistrationStart *start);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveRegistrationStart, clave_registration_start_free)

/* Checks @proof (see _clave_cert_proof_verify()), that the registry knows
 * the person (identity_unknown) and that neither the person nor @phone is
 * registered (already_registered, phone_in_use), then opens a
 * registration and sends a code to @phone (E.164, checked by the caller)
 * under the person's limits. A refused registration replaces none in
 * progress. */
ClaveRegistrationStart  *clave_registration_start  (ClaveServer      *server,
                                                    ClaveCertProof   *proof,
                                                    const char       *phone,
                                                    const char       *email,
                                                    gint64            now,
                                                    GError          **error);

/* The registration @id when @token opens it and it can still be used:
 * invalid_registration, registration_locked, registration_expired. */
ClaveRegistrationRecord *clave_registration_open   (ClaveServer      *server,
                                                    const char       *id,
                                                    const char       *token,
                                                    gint64            now,
                                                    GError          **error);

/* Sends a new code to the registration's phone (see _clave_codes_send());
 * @registration is read again with its new code. */
gboolean                 clave_registration_send_code (ClaveServer   *server,
                                                       ClaveRegistrationRecord *registration,
                                                       gint64         now,
                                                       ClaveCodeSent *sent,
                                                       GError       **error);

/* Checks @code (the last wrong attempt gives registration_locked), then
 * registers the citizen at level advanced and returns the activation,
 * already verified, that lets this device register its key (step 4 of
 * an activation). already_registered or phone_in_use when somebody won
 * a race for the person or the phone. */
ClaveActivationStart    *clave_registration_verify_code (ClaveServer *server,
                                                         ClaveRegistrationRecord *registration,
                                                         const char  *code,
                                                         gint64       now,
                                                         GError     **error);

/* already_registered (@document is a citizen), phone_in_use (@phone is
 * another's), internal_error; TRUE when neither. */
gboolean _clave_registration_check_conflicts (ClaveServer  *self,
                                              const char   *document,
                                              const char   *phone,
                                              GError      **error);

G_END_DECLS
