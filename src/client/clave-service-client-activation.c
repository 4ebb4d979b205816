/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. Activation: identify, SMS codes, the device key, certificate proofs. */
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

static char *
activation_path (const ClaveActivation *activation,
                 const char            *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (activation->id, NULL, FALSE);

  return g_strconcat (CLAVE_PATH_ACTIVATIONS, escaped, suffix, NULL);
}

static gboolean
check_activation (GTask                 *task,
                  const ClaveActivation *activation)
{
  if (activation != NULL && _clave_client_is_valid_id (activation->id) &&
      activation->token != NULL && activation->token[0] != '\0')
    return TRUE;

  g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,
                           "%s", _("This activation is no longer valid. Start the activation again."));
  return FALSE;
}

/* POST /v1/identify */

typedef struct {
  gboolean         registered;
  ClaveActivation *activation;
} IdentifyResult;

static void
identify_result_free (IdentifyResult *result)
{
  g_clear_pointer (&result->activation, clave_activation_free);
  g_free (result);
}

static gboolean
parse_identify (JsonObject  *root,
                gpointer    *out,
                GError     **error)
{
  g_autoptr(ClaveActivation) activation = NULL;
  IdentifyResult *result;
  JsonNode *node;
  JsonObject *object;
  JsonArray *methods;
  gboolean registered;
  guint expires_in;
  guint n_methods;

  if (!_clave_client_read_bool (root, "registered", &registered, error))
    return FALSE;

  if (registered)
    {
      node = json_object_get_member (root, "activation");
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          g_propagate_error (error,
                             _clave_client_protocol_error ("registered without an activation"));
          return FALSE;
        }
      object = json_node_get_object (node);

      activation = g_new0 (ClaveActivation, 1);
      if (!_clave_client_read_id (object, "id", &activation->id, error) ||
          !_clave_client_read_string (object, "token", FALSE, &activation->token, error) ||
          !_clave_client_read_uint (object, "expires_in", &expires_in, error) ||
          !_clave_client_read_string (object, "phone_hint", TRUE, &activation->phone_hint, error))
        return FALSE;

      if (activation->token[0] == '\0' || strpbrk (activation->token, "\r\n") != NULL)
        {
          g_propagate_error (error, _clave_client_protocol_error ("unusable activation token"));
          return FALSE;
        }

      node = json_object_get_member (object, "methods");
      if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
        {
          g_propagate_error (error,
                             _clave_client_protocol_error ("“methods” missing or not an array"));
          return FALSE;
        }
      methods = json_node_get_array (node);
      n_methods = json_array_get_length (methods);
      activation->methods = g_new0 (char *, n_methods + 1);
      for (guint i = 0; i < n_methods; i++)
        {
          JsonNode *element = json_array_get_element (methods, i);

          if (!JSON_NODE_HOLDS_VALUE (element) ||
              json_node_get_value_type (element) != G_TYPE_STRING)
            {
              g_propagate_error (error,
                                 _clave_client_protocol_error ("“methods” holds a non-string"));
              return FALSE;
            }
          activation->methods[i] = g_strdup (json_node_get_string (element));
        }

      activation->expires_at = g_get_real_time () / G_USEC_PER_SEC + expires_in;
    }

  result = g_new0 (IdentifyResult, 1);
  result->registered = registered;
  result->activation = g_steal_pointer (&activation);
  *out = result;
  return TRUE;
}

void
clave_service_client_identify_async (ClaveServiceClient  *self,
                                     const char          *document,
                                     const char          *contrast_kind,
                                     const char          *contrast_value,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (document != NULL);
  g_return_if_fail (contrast_kind != NULL);
  g_return_if_fail (contrast_value != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_identify_async);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "document");
  json_builder_add_string_value (builder, document);
  json_builder_set_member_name (builder, "contrast");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, contrast_kind);
  json_builder_set_member_name (builder, "value");
  json_builder_add_string_value (builder, contrast_value);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  message = _clave_client_build_message (self, "POST", CLAVE_PATH_IDENTIFY, NULL, body, NULL, NULL,
                                         NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message, "POST " CLAVE_PATH_IDENTIFY,
                           parse_identify, (GDestroyNotify) identify_result_free);
}

/**
 * clave_service_client_identify_finish:
 * @registered: (out) (optional): whether the person is registered in Cl@ve
 * @activation: (out) (optional) (transfer full): the activation when
 *   registered, else %NULL
 */
gboolean
clave_service_client_identify_finish (ClaveServiceClient  *self,
                                      GAsyncResult        *result,
                                      gboolean            *registered,
                                      ClaveActivation    **activation,
                                      GError             **error)
{
  IdentifyResult *identify;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (registered != NULL)
    *registered = FALSE;
  if (activation != NULL)
    *activation = NULL;

  identify = g_task_propagate_pointer (G_TASK (result), error);
  if (identify == NULL)
    return FALSE;

  if (registered != NULL)
    *registered = identify->registered;
  if (activation != NULL)
    *activation = g_steal_pointer (&identify->activation);

  identify_result_free (identify);
  return TRUE;
}

/* POST /v1/activations/{id}/sms */


void
clave_service_client_send_sms_async (ClaveServiceClient    *self,
                                     const ClaveActivation *activation,
                                     GCancellable          *cancellable,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_send_sms_async);

  if (!check_activation (task, activation))
    return;

  body = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (body, json_object_new ());
  path = activation_path (activation, "/sms");
  message = _clave_client_build_message (self, "POST", path, NULL, body, activation->token, NULL,
                                         NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message, "POST /v1/activations/{id}/sms",
                           _clave_client_parse_sms_sent, (GDestroyNotify) clave_sms_status_free);
}

ClaveSmsStatus *
clave_service_client_send_sms_finish (ClaveServiceClient  *self,
                                      GAsyncResult        *result,
                                      GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /v1/activations/{id}/sms/verify */

static gboolean
parse_verify_sms (JsonObject  *root,
                  gpointer    *out,
                  GError     **error)
{
  gboolean verified;

  if (!_clave_client_read_bool (root, "verified", &verified, error))
    return FALSE;

  if (!verified)
    {
      g_propagate_error (error, _clave_client_protocol_error ("“verified” is false on success"));
      return FALSE;
    }

  *out = GINT_TO_POINTER (TRUE);
  return TRUE;
}

void
clave_service_client_verify_sms_async (ClaveServiceClient    *self,
                                       const ClaveActivation *activation,
                                       const char            *code,
                                       GCancellable          *cancellable,
                                       GAsyncReadyCallback    callback,
                                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_verify_sms_async);

  if (!check_activation (task, activation))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = activation_path (activation, "/sms/verify");
  message = _clave_client_build_message (self, "POST", path, NULL, body, activation->token, NULL,
                                         NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message,
                           "POST /v1/activations/{id}/sms/verify",
                           parse_verify_sms, NULL);
}

/**
 * clave_service_client_verify_sms_finish:
 * @attempts_left: (out) (optional): on %CLAVE_SERVICE_ERROR_INVALID_CODE,
 *   the wrong codes the service still accepts; 0 otherwise
 */
gboolean
clave_service_client_verify_sms_finish (ClaveServiceClient  *self,
                                        GAsyncResult        *result,
                                        guint               *attempts_left,
                                        GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  ClaveClientCall *call;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  call = g_task_get_task_data (G_TASK (result));
  if (attempts_left != NULL)
    *attempts_left = 0;

  if (g_task_propagate_pointer (G_TASK (result), &local_error) != NULL)
    return TRUE;

  if (attempts_left != NULL && call != NULL && call->attempts_left >= 0 &&
      g_error_matches (local_error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE))
    *attempts_left = (guint) call->attempts_left;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* POST /v1/activations/{id}/device */

static gboolean
parse_register_device (JsonObject  *root,
                       gpointer    *out,
                       GError     **error)
{
  char *device_id = NULL;

  if (!_clave_client_read_id (root, "device_id", &device_id, error))
    return FALSE;

  *out = device_id;
  return TRUE;
}

void
clave_service_client_register_device_async (ClaveServiceClient    *self,
                                            const ClaveActivation *activation,
                                            ClaveDeviceKey        *key,
                                            const char            *device_name,
                                            GCancellable          *cancellable,
                                            GAsyncReadyCallback    callback,
                                            gpointer               user_data)
{
  clave_service_client_register_device_with_push_key_async (self, activation, key, NULL,
                                                            device_name, cancellable,
                                                            callback, user_data);
}

void
clave_service_client_register_device_with_push_key_async (ClaveServiceClient    *self,
                                                          const ClaveActivation *activation,
                                                          ClaveDeviceKey        *key,
                                                          ClavePushKey          *push_key,
                                                          const char            *device_name,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) proof_input = NULL;
  g_autoptr(GBytes) proof = NULL;
  g_autofree char *path = NULL;
  g_autofree char *public_key_b64 = NULL;
  g_autofree char *proof_b64 = NULL;
  g_autofree char *default_name = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (push_key == NULL || CLAVE_IS_PUSH_KEY (push_key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_register_device_async);

  if (!check_activation (task, activation))
    return;

  if (device_name == NULL || device_name[0] == '\0')
    {
      /* Translators: the name of this computer in the list of devices */
      default_name = g_strdup_printf (_("Clave Desktop on %s"), g_get_host_name ());
      device_name = default_name;
    }

  proof_input = clave_registration_proof_data (activation->id);
  proof = clave_device_key_sign (key, proof_input, &error);
  if (proof == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  public_key_b64 = _clave_client_bytes_to_b64url (clave_device_key_get_public_key (key));
  proof_b64 = _clave_client_bytes_to_b64url (proof);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "public_key");
  json_builder_add_string_value (builder, public_key_b64);
  json_builder_set_member_name (builder, "proof");
  json_builder_add_string_value (builder, proof_b64);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, device_name);
  if (push_key != NULL)
    {
      g_autofree char *push_key_b64 = _clave_client_bytes_to_b64url (clave_push_key_get_public_key (push_key));

      json_builder_set_member_name (builder, "push_key");
      json_builder_add_string_value (builder, push_key_b64);
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = activation_path (activation, "/device");
  message = _clave_client_build_message (self, "POST", path, NULL, body, activation->token, NULL,
                                         NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message,
                           "POST /v1/activations/{id}/device",
                           parse_register_device, g_free);
}

char *
clave_service_client_register_device_finish (ClaveServiceClient  *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Certificate proofs */

static gboolean
is_base64url (const char *text,
              gsize       max_len)
{
  gsize len = 0;

  if (text == NULL || text[0] == '\0')
    return FALSE;

  for (const char *p = text; *p != '\0'; p++, len++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;

  return len <= max_len;
}

/* POST /v1/challenges */

typedef struct {
  char *id;
  char *challenge;
} ChallengeResult;

static void
challenge_result_free (ChallengeResult *result)
{
  g_free (result->id);
  g_free (result->challenge);
  g_free (result);
}

static gboolean
parse_challenge (JsonObject  *root,
                 gpointer    *out,
                 GError     **error)
{
  ChallengeResult *result = g_new0 (ChallengeResult, 1);
  guint expires_in;

  if (!_clave_client_read_id (root, "id", &result->id, error) ||
      !_clave_client_read_string (root, "challenge", FALSE, &result->challenge, error) ||
      !_clave_client_read_uint (root, "expires_in", &expires_in, error))
    {
      challenge_result_free (result);
      return FALSE;
    }

  /* It is signed as text: nothing but base64url may go in. */
  if (!is_base64url (result->challenge, 512))
    {
      challenge_result_free (result);
      g_propagate_error (error, _clave_client_protocol_error ("“challenge” is not base64url"));
      return FALSE;
    }

  *out = result;
  return TRUE;
}

void
clave_service_client_get_challenge_async (ClaveServiceClient  *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_get_challenge_async);

  body = _clave_client_empty_object ();
  message = _clave_client_build_message (self, "POST", CLAVE_PATH_CHALLENGES, NULL, body, NULL,
                                         NULL, NULL,
                                         &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message, "POST " CLAVE_PATH_CHALLENGES,
                           parse_challenge, (GDestroyNotify) challenge_result_free);
}

/**
 * clave_service_client_get_challenge_finish:
 * @challenge_id: (out) (optional) (transfer full)
 * @challenge: (out) (optional) (transfer full): base64url text, as signed
 */
gboolean
clave_service_client_get_challenge_finish (ClaveServiceClient  *self,
                                           GAsyncResult        *result,
                                           char               **challenge_id,
                                           char               **challenge,
                                           GError             **error)
{
  ChallengeResult *challenge_result;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (challenge_id != NULL)
    *challenge_id = NULL;
  if (challenge != NULL)
    *challenge = NULL;

  challenge_result = g_task_propagate_pointer (G_TASK (result), error);
  if (challenge_result == NULL)
    return FALSE;

  if (challenge_id != NULL)
    *challenge_id = g_steal_pointer (&challenge_result->id);
  if (challenge != NULL)
    *challenge = g_steal_pointer (&challenge_result->challenge);
  challenge_result_free (challenge_result);
  return TRUE;
}

/* POST /v1/activations/{id}/certificate */

static gboolean
parse_verify_certificate (JsonObject  *root,
                          gpointer    *out,
                          GError     **error)
{
  g_autofree char *method = NULL;
  gboolean verified;

  if (!_clave_client_read_bool (root, "verified", &verified, error) ||
      !_clave_client_read_string (root, "method", FALSE, &method, error))
    return FALSE;

  if (!verified)
    {
      g_propagate_error (error, _clave_client_protocol_error ("“verified” is false on success"));
      return FALSE;
    }
  if (!g_str_equal (method, CLAVE_CHANNEL_CERTIFICATE) && !g_str_equal (method, CLAVE_CHANNEL_DNIE))
    {
      g_propagate_error (error, _clave_client_protocol_error ("unknown “method”"));
      return FALSE;
    }

  *out = g_steal_pointer (&method);
  return TRUE;
}

void
clave_service_client_verify_certificate_async (ClaveServiceClient          *self,
                                               const ClaveActivation       *activation,
                                               const ClaveCertificateProof *proof,
                                               GCancellable                *cancellable,
                                               GAsyncReadyCallback          callback,
                                               gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_verify_certificate_async);

  if (!check_activation (task, activation))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  if (!_clave_client_add_proof (builder, proof, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = activation_path (activation, CLAVE_ACTIVATION_SUFFIX_CERTIFICATE);
  message = _clave_client_build_message (self, "POST", path, NULL, body, activation->token, NULL,
                                         NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message,
                           "POST /v1/activations/{id}/certificate",
                           parse_verify_certificate, g_free);
}

/**
 * clave_service_client_verify_certificate_finish:
 * @method: (out) (optional) (transfer full): "certificate" or "dnie"
 */
gboolean
clave_service_client_verify_certificate_finish (ClaveServiceClient  *self,
                                                GAsyncResult        *result,
                                                char               **method,
                                                GError             **error)
{
  char *verified_method;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

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
