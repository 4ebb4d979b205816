/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. Registration with a certificate or DNIe. */
#define G_LOG_DOMAIN "clave-service-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"
#include "clave-protocol.h"
#include "clave-request-uri.h"
#include "clave-service-client.h"
#include "clave-service-client-call.h"
#include "clave-service-client-private.h"
#include "clave-x509.h"

/* POST /v1/registrations */

gboolean
_clave_client_read_registration_start (JsonObject         *root,
                                       ClaveRegistration  *registration,
                                       GError            **error)
{
  ClaveSmsStatus sent = { 0, };

  if (!_clave_client_read_id (root, "id", &registration->id, error) ||
      !_clave_client_read_string (root, "token", FALSE, &registration->token, error) ||
      !_clave_client_read_sms_members (root, &sent, error))
    {
      g_free (sent.phone_hint);
      return FALSE;
    }
  registration->phone_hint = sent.phone_hint;
  registration->code_expires_in = sent.code_expires_in;
  registration->resend_after = sent.resend_after;
  registration->sends_left = sent.sends_left;

  if (!_clave_client_is_usable_token (registration->token))
    {
      g_propagate_error (error, _clave_client_protocol_error ("unusable registration token"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_registration (JsonObject  *root,
                    gpointer    *out,
                    GError     **error)
{
  g_autoptr(ClaveRegistration) registration = g_new0 (ClaveRegistration, 1);

  if (!_clave_client_read_registration_start (root, registration, error) ||
      !_clave_client_read_string (root, "document", FALSE, &registration->document, error) ||
      !_clave_client_read_string (root, "given_name", FALSE, &registration->given_name, error) ||
      !_clave_client_read_string (root, "surnames", FALSE, &registration->surnames, error))
    return FALSE;

  *out = g_steal_pointer (&registration);
  return TRUE;
}

void
clave_service_client_register_async (ClaveServiceClient          *self,
                                     const ClaveCertificateProof *proof,
                                     const char                  *phone,
                                     const char                  *email,
                                     GCancellable                *cancellable,
                                     GAsyncReadyCallback          callback,
                                     gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *normalized_phone = NULL;
  g_autofree char *normalized_email = NULL;
  GError *error = NULL;
  ClaveClientCall *call;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (phone != NULL);
  g_return_if_fail (email != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_register_async);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  if (!_clave_client_add_proof (builder, proof, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  normalized_phone = _clave_client_normalize_phone (phone);
  normalized_email = g_strstrip (g_strdup (email));
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, normalized_phone);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, normalized_email);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  message = _clave_client_build_message (self, "POST", CLAVE_PATH_REGISTRATIONS, NULL, body, NULL,
                                         NULL, NULL,
                                         &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = _clave_client_send_call (self, g_steal_pointer (&task), message,
                                  "POST " CLAVE_PATH_REGISTRATIONS,
                                  parse_registration, (GDestroyNotify) clave_registration_free);
  call->registration = TRUE;
}

ClaveRegistration *
clave_service_client_register_finish (ClaveServiceClient  *self,
                                      GAsyncResult        *result,
                                      GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
check_registration (GTask                   *task,
                    const ClaveRegistration *registration)
{
  if (registration != NULL && _clave_client_is_valid_id (registration->id) &&
      _clave_client_is_usable_token (registration->token))
    return TRUE;

  g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,
                           "%s", _("This registration is no longer valid. Start the registration again."));
  return FALSE;
}

static char *
registration_path (const ClaveRegistration *registration,
                   const char              *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (registration->id, NULL, FALSE);

  return g_strconcat (CLAVE_PATH_REGISTRATION_PREFIX, escaped, suffix, NULL);
}

/* POST /v1/registrations/{id}/sms */

void
clave_service_client_registration_resend_async (ClaveServiceClient      *self,
                                                const ClaveRegistration *registration,
                                                GCancellable            *cancellable,
                                                GAsyncReadyCallback      callback,
                                                gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  ClaveClientCall *call;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_registration_resend_async);

  if (!check_registration (task, registration))
    return;

  body = _clave_client_empty_object ();
  path = registration_path (registration, "/sms");
  message = _clave_client_build_message (self, "POST", path, NULL, body, registration->token, NULL,
                                         NULL,
                                         &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = _clave_client_send_call (self, g_steal_pointer (&task), message,
                                  "POST /v1/registrations/{id}/sms",
                                  _clave_client_parse_sms_sent,
                                  (GDestroyNotify) clave_sms_status_free);
  call->registration = TRUE;
}

ClaveSmsStatus *
clave_service_client_registration_resend_finish (ClaveServiceClient  *self,
                                                 GAsyncResult        *result,
                                                 GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /v1/registrations/{id}/verify */

static gboolean
parse_registration_verify (JsonObject  *root,
                           gpointer    *out,
                           GError     **error)
{
  g_autoptr(ClaveActivation) activation = g_new0 (ClaveActivation, 1);
  g_autofree char *level = NULL;
  g_autofree char *channel = NULL;
  JsonNode *node;
  JsonObject *object;
  gboolean registered;
  guint expires_in;

  if (!_clave_client_read_bool (root, "registered", &registered, error) ||
      !_clave_client_read_string (root, "level", FALSE, &level, error) ||
      !_clave_client_read_string (root, "registration_channel", FALSE, &channel, error))
    return FALSE;

  if (!registered)
    {
      g_propagate_error (error, _clave_client_protocol_error ("“registered” is false on success"));
      return FALSE;
    }

  node = json_object_get_member (root, "activation");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_propagate_error (error, _clave_client_protocol_error ("registered without an activation"));
      return FALSE;
    }
  object = json_node_get_object (node);

  if (!_clave_client_read_id (object, "id", &activation->id, error) ||
      !_clave_client_read_string (object, "token", FALSE, &activation->token, error) ||
      !_clave_client_read_uint (object, "expires_in", &expires_in, error) ||
      !_clave_client_read_string (object, "phone_hint", TRUE, &activation->phone_hint, error))
    return FALSE;

  if (!_clave_client_is_usable_token (activation->token))
    {
      g_propagate_error (error, _clave_client_protocol_error ("unusable activation token"));
      return FALSE;
    }

  /* Already verified by the SMS code of the registration: no factor is
   * left to choose, the device key goes next. */
  activation->methods = g_new0 (char *, 1);
  activation->expires_at = g_get_real_time () / G_USEC_PER_SEC + expires_in;

  *out = g_steal_pointer (&activation);
  return TRUE;
}

void
clave_service_client_registration_verify_async (ClaveServiceClient      *self,
                                                const ClaveRegistration *registration,
                                                const char              *code,
                                                GCancellable            *cancellable,
                                                GAsyncReadyCallback      callback,
                                                gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  ClaveClientCall *call;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_registration_verify_async);

  if (!check_registration (task, registration))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = registration_path (registration, "/verify");
  message = _clave_client_build_message (self, "POST", path, NULL, body, registration->token, NULL,
                                         NULL,
                                         &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = _clave_client_send_call (self, g_steal_pointer (&task), message,
                                  "POST /v1/registrations/{id}/verify",
                                  parse_registration_verify, (GDestroyNotify) clave_activation_free);
  call->registration = TRUE;
}

/**
 * clave_service_client_registration_verify_finish:
 * @attempts_left: (out) (optional): on %CLAVE_SERVICE_ERROR_INVALID_CODE,
 *   the wrong codes the service still accepts; 0 otherwise
 *
 * Returns: (transfer full): the activation (already verified) to register
 *   this device with
 */
ClaveActivation *
clave_service_client_registration_verify_finish (ClaveServiceClient  *self,
                                                 GAsyncResult        *result,
                                                 guint               *attempts_left,
                                                 GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  ClaveActivation *activation;
  ClaveClientCall *call;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  call = g_task_get_task_data (G_TASK (result));
  if (attempts_left != NULL)
    *attempts_left = 0;

  activation = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (activation != NULL)
    return activation;

  if (attempts_left != NULL && call != NULL && call->attempts_left >= 0 &&
      g_error_matches (local_error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE))
    *attempts_left = (guint) call->attempts_left;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}
