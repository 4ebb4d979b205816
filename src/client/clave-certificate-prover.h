/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-service-client.h"
#include "clave-token-manager.h"

G_BEGIN_DECLS

/*
 * The whole certificate proof of docs/protocol.md "Certificate proofs":
 * a fresh challenge from the service, signed with @certificate's key (on
 * the card, or from the imported file) over
 * clave_certificate_proof_data (@purpose, challenge id, challenge).
 *
 * @secret: the card PIN, the PKCS#12 password, or NULL for a PIN pad.
 * @purpose: CLAVE_PROOF_PURPOSE_ACTIVATION + activation id, or
 *   CLAVE_PROOF_PURPOSE_REGISTRATION.
 *
 * Errors: CLAVE_SERVICE_ERROR_* for the challenge, CLAVE_TOKEN_ERROR_*
 * for the card or file (on WRONG_PIN, @pin_flags says the tries left).
 */
void                   clave_service_client_prove_certificate_async  (ClaveServiceClient   *self,
                                                                      ClaveTokenManager    *tokens,
                                                                      ClaveCertificate     *certificate,
                                                                      const char           *secret,
                                                                      const char           *purpose,
                                                                      GCancellable         *cancellable,
                                                                      GAsyncReadyCallback   callback,
                                                                      gpointer              user_data);
ClaveCertificateProof *clave_service_client_prove_certificate_finish (ClaveServiceClient   *self,
                                                                      GAsyncResult         *result,
                                                                      ClavePinFlags        *pin_flags,
                                                                      GError              **error);

/* Activation step 3 with a certificate: prove (purpose "activation:<id>")
 * and POST /v1/activations/{id}/certificate. @method receives
 * "certificate" or "dnie". Then register the device as after an SMS. */
void                   clave_service_client_activate_with_certificate_async  (ClaveServiceClient    *self,
                                                                              ClaveTokenManager     *tokens,
                                                                              const ClaveActivation *activation,
                                                                              ClaveCertificate      *certificate,
                                                                              const char            *secret,
                                                                              GCancellable          *cancellable,
                                                                              GAsyncReadyCallback    callback,
                                                                              gpointer               user_data);
gboolean               clave_service_client_activate_with_certificate_finish (ClaveServiceClient    *self,
                                                                              GAsyncResult          *result,
                                                                              char                 **method,
                                                                              ClavePinFlags         *pin_flags,
                                                                              GError               **error);

/* Registration with a certificate: prove (purpose "registration") and
 * POST /v1/registrations with @phone and @email; an SMS code goes to
 * @phone (clave_service_client_registration_verify_async() next). */
void                   clave_service_client_register_with_certificate_async  (ClaveServiceClient    *self,
                                                                              ClaveTokenManager     *tokens,
                                                                              ClaveCertificate      *certificate,
                                                                              const char            *secret,
                                                                              const char            *phone,
                                                                              const char            *email,
                                                                              GCancellable          *cancellable,
                                                                              GAsyncReadyCallback    callback,
                                                                              gpointer               user_data);
ClaveRegistration     *clave_service_client_register_with_certificate_finish (ClaveServiceClient    *self,
                                                                              GAsyncResult          *result,
                                                                              ClavePinFlags         *pin_flags,
                                                                              GError               **error);

G_END_DECLS
