/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-certificate-prover"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-certificate-prover.h"
#include "clave-crypto.h"
#include "clave-protocol.h"
#include "clave-x509.h"

typedef struct {
  ClaveTokenManager     *tokens;
  ClaveCertificate      *certificate;
  char                  *secret;
  char                  *purpose;
  char                  *challenge_id;
  ClavePinFlags          pin_flags;
  /* The wrappers' steps after the proof. */
  ClaveActivation       *activation;
  char                  *phone;
  char                  *email;
} ProveData;

static void
prove_data_free (ProveData *data)
{
  g_clear_object (&data->tokens);
  g_clear_object (&data->certificate);
  clave_secret_free (data->secret);
  g_free (data->purpose);
  g_free (data->challenge_id);
  g_clear_pointer (&data->activation, clave_activation_free);
  g_free (data->phone);
  g_free (data->email);
  g_free (data);
}

static ProveData *
prove_data_new (ClaveTokenManager *tokens,
                ClaveCertificate  *certificate,
                const char        *secret,
                const char        *purpose)
{
  ProveData *data = g_new0 (ProveData, 1);

  data->tokens = g_object_ref (tokens);
  data->certificate = g_object_ref (certificate);
  data->secret = g_strdup (secret);
  data->purpose = g_strdup (purpose);
  return data;
}

static void
on_signed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ProveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *algorithm = NULL;
  ClaveCertificateProof *proof;
  GPtrArray *chain;

  signature = clave_token_manager_sign_finish (CLAVE_TOKEN_MANAGER (source), result, &algorithm,
                                               &data->pin_flags, &error);
  if (signature == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  chain = clave_certificate_get_chain (data->certificate);
  proof = g_new0 (ClaveCertificateProof, 1);
  proof->challenge_id = g_steal_pointer (&data->challenge_id);
  proof->certificates = g_ptr_array_new_full (chain->len, (GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < chain->len; i++)
    g_ptr_array_add (proof->certificates, g_bytes_ref (g_ptr_array_index (chain, i)));
  proof->algorithm = g_steal_pointer (&algorithm);
  proof->signature = g_steal_pointer (&signature);

  g_task_return_pointer (task, proof, (GDestroyNotify) clave_certificate_proof_free);
}

static void
on_challenge (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ProveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *challenge = NULL;
  g_autoptr(GBytes) signed_data = NULL;
  g_autofree char *secret = NULL;
  GCancellable *cancellable;

  if (!clave_service_client_get_challenge_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                  &data->challenge_id, &challenge, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  signed_data = clave_certificate_proof_data (data->purpose, data->challenge_id, challenge);
  /* The token manager keeps its own copy while it works. */
  secret = g_steal_pointer (&data->secret);
  cancellable = g_task_get_cancellable (task);
  clave_token_manager_sign_async (data->tokens, data->certificate, secret, signed_data,
                                  cancellable, on_signed, g_steal_pointer (&task));
  clave_secret_free (g_steal_pointer (&secret));
}

void
clave_service_client_prove_certificate_async (ClaveServiceClient  *self,
                                              ClaveTokenManager   *tokens,
                                              ClaveCertificate    *certificate,
                                              const char          *secret,
                                              const char          *purpose,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (tokens));
  g_return_if_fail (CLAVE_IS_CERTIFICATE (certificate));
  g_return_if_fail (purpose != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_prove_certificate_async);
  g_task_set_task_data (task, prove_data_new (tokens, certificate, secret, purpose),
                        (GDestroyNotify) prove_data_free);

  clave_service_client_get_challenge_async (self, cancellable, on_challenge,
                                            g_steal_pointer (&task));
}

/**
 * clave_service_client_prove_certificate_finish:
 * @pin_flags: (out) (optional): the card's PIN flags after signing (set
 *   on errors too, e.g. the tries left after a wrong PIN)
 */
ClaveCertificateProof *
clave_service_client_prove_certificate_finish (ClaveServiceClient  *self,
                                               GAsyncResult        *result,
                                               ClavePinFlags       *pin_flags,
                                               GError             **error)
{
  ProveData *data;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (pin_flags != NULL)
    *pin_flags = data->pin_flags;

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Activation with a certificate */

static void
on_certificate_verified (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *method = NULL;

  if (!clave_service_client_verify_certificate_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                       &method, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, method, g_free);
}

static void
on_proved_for_activation (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ProveData *data = g_task_get_task_data (task);
  g_autoptr(ClaveCertificateProof) proof = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  proof = clave_service_client_prove_certificate_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                         &data->pin_flags, &error);
  if (proof == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  clave_service_client_verify_certificate_async (CLAVE_SERVICE_CLIENT (source), data->activation,
                                                 proof, cancellable,
                                                 on_certificate_verified, g_steal_pointer (&task));
}

void
clave_service_client_activate_with_certificate_async (ClaveServiceClient    *self,
                                                      ClaveTokenManager     *tokens,
                                                      const ClaveActivation *activation,
                                                      ClaveCertificate      *certificate,
                                                      const char            *secret,
                                                      GCancellable          *cancellable,
                                                      GAsyncReadyCallback    callback,
                                                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *purpose = NULL;
  ProveData *data;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (tokens));
  g_return_if_fail (CLAVE_IS_CERTIFICATE (certificate));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_activate_with_certificate_async);

  if (activation == NULL || activation->id == NULL)
    {
      g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,
                               "%s", _("This activation is no longer valid. Start the activation again."));
      return;
    }

  purpose = g_strconcat (CLAVE_PROOF_PURPOSE_ACTIVATION, activation->id, NULL);
  data = prove_data_new (tokens, certificate, NULL, purpose);
  data->activation = clave_activation_copy (activation);
  g_task_set_task_data (task, data, (GDestroyNotify) prove_data_free);

  clave_service_client_prove_certificate_async (self, tokens, certificate, secret, purpose,
                                                cancellable, on_proved_for_activation,
                                                g_steal_pointer (&task));
}

/**
 * clave_service_client_activate_with_certificate_finish:
 * @method: (out) (optional) (transfer full): "certificate" or "dnie"
 * @pin_flags: (out) (optional): the card's PIN flags after signing
 */
gboolean
clave_service_client_activate_with_certificate_finish (ClaveServiceClient  *self,
                                                       GAsyncResult        *result,
                                                       char               **method,
                                                       ClavePinFlags       *pin_flags,
                                                       GError             **error)
{
  ProveData *data;
  char *verified_method;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (pin_flags != NULL)
    *pin_flags = data->pin_flags;
  if (method != NULL)
    *method = NULL;

  verified_method = g_task_propagate_pointer (G_TASK (result), error);
  if (verified_method == NULL)
    return FALSE;

  if (method != NULL)
    *method = verified_method;
  else
    g_free (verified_method);
  return TRUE;
}

/* Registration with a certificate */

static void
on_registered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  ClaveRegistration *registration;

  registration = clave_service_client_register_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                       &error);
  if (registration == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, registration, (GDestroyNotify) clave_registration_free);
}

static void
on_proved_for_registration (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ProveData *data = g_task_get_task_data (task);
  g_autoptr(ClaveCertificateProof) proof = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  proof = clave_service_client_prove_certificate_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                         &data->pin_flags, &error);
  if (proof == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  cancellable = g_task_get_cancellable (task);
  clave_service_client_register_async (CLAVE_SERVICE_CLIENT (source), proof, data->phone,
                                       data->email, cancellable,
                                       on_registered, g_steal_pointer (&task));
}

void
clave_service_client_register_with_certificate_async (ClaveServiceClient  *self,
                                                      ClaveTokenManager   *tokens,
                                                      ClaveCertificate    *certificate,
                                                      const char          *secret,
                                                      const char          *phone,
                                                      const char          *email,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ProveData *data;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (tokens));
  g_return_if_fail (CLAVE_IS_CERTIFICATE (certificate));
  g_return_if_fail (phone != NULL);
  g_return_if_fail (email != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_register_with_certificate_async);

  data = prove_data_new (tokens, certificate, NULL, CLAVE_PROOF_PURPOSE_REGISTRATION);
  data->phone = g_strdup (phone);
  data->email = g_strdup (email);
  g_task_set_task_data (task, data, (GDestroyNotify) prove_data_free);

  clave_service_client_prove_certificate_async (self, tokens, certificate, secret,
                                                CLAVE_PROOF_PURPOSE_REGISTRATION, cancellable,
                                                on_proved_for_registration,
                                                g_steal_pointer (&task));
}

/**
 * clave_service_client_register_with_certificate_finish:
 * @pin_flags: (out) (optional): the card's PIN flags after signing
 */
ClaveRegistration *
clave_service_client_register_with_certificate_finish (ClaveServiceClient  *self,
                                                       GAsyncResult        *result,
                                                       ClavePinFlags       *pin_flags,
                                                       GError             **error)
{
  ProveData *data;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (pin_flags != NULL)
    *pin_flags = data->pin_flags;

  return g_task_propagate_pointer (G_TASK (result), error);
}
