/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. Changing the e-mail (POST /v1/me/email…). */
#define G_LOG_DOMAIN "clave-service-client"

#include "config.h"

#include <json-glib/json-glib.h>

#include "clave-protocol.h"
#include "clave-service-client.h"
#include "clave-service-client-call.h"

void
clave_email_code_status_free (ClaveEmailCodeStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->email);
  g_free (status);
}

static gboolean
parse_started (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  char *id = NULL;

  if (!_clave_client_read_id (root, "id", &id, error))
    return FALSE;
  *out = id;
  return TRUE;
}

JsonNode *
_clave_client_contrast_body (const char *contrast_kind,
                             const char *contrast_value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "contrast");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, contrast_kind);
  json_builder_set_member_name (builder, "value");
  json_builder_add_string_value (builder, contrast_value);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
clave_service_client_start_email_change_async (ClaveServiceClient  *self,
                                               ClaveDeviceKey      *key,
                                               const char          *device_id,
                                               const char          *contrast_kind,
                                               const char          *contrast_value,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (contrast_kind != NULL && contrast_value != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_start_email_change_async);
  body = _clave_client_contrast_body (contrast_kind, contrast_value);

  _clave_client_send_signed (self, task, "POST", key, device_id, CLAVE_PATH_ME_EMAIL, body,
                             "POST " CLAVE_PATH_ME_EMAIL, parse_started, g_free);
}

/**
 * clave_service_client_start_email_change_finish:
 *
 * Returns: (transfer full): the change's id, for sending and confirming
 *   the code
 */
char *
clave_service_client_start_email_change_finish (ClaveServiceClient  *self,
                                                GAsyncResult        *result,
                                                GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
parse_code_sent (JsonObject  *root,
                 gpointer    *out,
                 GError     **error)
{
  g_autoptr(ClaveEmailCodeStatus) status = g_new0 (ClaveEmailCodeStatus, 1);
  gboolean sent;

  if (!_clave_client_read_bool (root, "sent", &sent, error) ||
      !_clave_client_read_uint (root, "code_expires_in", &status->code_expires_in, error) ||
      !_clave_client_read_uint (root, "resend_after", &status->resend_after, error) ||
      !_clave_client_read_uint (root, "sends_left", &status->sends_left, error) ||
      !_clave_client_read_string (root, "email", FALSE, &status->email, error))
    return FALSE;
  if (!sent)
    {
      g_propagate_error (error, _clave_client_protocol_error ("“sent” is false on success"));
      return FALSE;
    }
  *out = g_steal_pointer (&status);
  return TRUE;
}

void
clave_service_client_send_email_code_async (ClaveServiceClient  *self,
                                            ClaveDeviceKey      *key,
                                            const char          *device_id,
                                            const char          *change_id,
                                            const char          *email,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (change_id != NULL && email != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_send_email_code_async);
  trimmed = g_strstrip (g_strdup (email));
  body = _clave_client_object_with ("email", trimmed);
  path = _clave_client_change_path (CLAVE_PATH_ME_EMAIL_PREFIX, change_id, "/code");
  _clave_client_send_signed (self, task, "POST", key, device_id, path, body,
                             "POST /v1/me/email/{id}/code", parse_code_sent,
                             (GDestroyNotify) clave_email_code_status_free);
}

ClaveEmailCodeStatus *
clave_service_client_send_email_code_finish (ClaveServiceClient  *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
parse_email_changed (JsonObject  *root,
                     gpointer    *out,
                     GError     **error)
{
  char *email = NULL;

  if (!_clave_client_read_string (root, "email", FALSE, &email, error))
    return FALSE;
  *out = email;
  return TRUE;
}

void
clave_service_client_confirm_email_async (ClaveServiceClient  *self,
                                          ClaveDeviceKey      *key,
                                          const char          *device_id,
                                          const char          *change_id,
                                          const char          *code,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (change_id != NULL && code != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_confirm_email_async);
  body = _clave_client_object_with ("code", code);
  path = _clave_client_change_path (CLAVE_PATH_ME_EMAIL_PREFIX, change_id, "/verify");
  _clave_client_send_signed (self, task, "POST", key, device_id, path, body,
                             "POST /v1/me/email/{id}/verify", parse_email_changed, g_free);
}

/**
 * clave_service_client_confirm_email_finish:
 * @attempts_left: (out) (optional): on %CLAVE_SERVICE_ERROR_INVALID_CODE,
 *   the wrong codes the service still accepts; 0 otherwise
 *
 * Returns: (transfer full): the new e-mail address
 */
char *
clave_service_client_confirm_email_finish (ClaveServiceClient  *self,
                                           GAsyncResult        *result,
                                           guint               *attempts_left,
                                           GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return _clave_client_propagate_code_check (G_TASK (result), attempts_left, error);
}
