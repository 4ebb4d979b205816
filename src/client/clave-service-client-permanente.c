/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. Cl@ve Permanente (POST /v1/me/permanente/…). */
#define G_LOG_DOMAIN "clave-service-client"

#include "config.h"

#include <json-glib/json-glib.h>

#include "clave-crypto.h"
#include "clave-protocol.h"
#include "clave-service-client.h"
#include "clave-service-client-call.h"

void
clave_permanente_code_free (ClavePermanenteCode *code)
{
  if (code == NULL)
    return;
  clave_secret_free (code->code);
  g_free (code);
}

static gboolean
parse_code (JsonObject  *root,
            gpointer    *out,
            GError     **error)
{
  g_autoptr(ClavePermanenteCode) code = g_new0 (ClavePermanenteCode, 1);
  JsonNode *expires = _clave_client_get_member (root, "expires_at", G_TYPE_INT64);

  if (!_clave_client_read_string (root, "code", FALSE, &code->code, error))
    return FALSE;
  if (expires == NULL || json_node_get_int (expires) <= 0)
    {
      g_propagate_error (error, _clave_client_protocol_error ("“expires_at” missing or not a "
                                                              "time"));
      return FALSE;
    }
  code->expires_at = json_node_get_int (expires);
  *out = g_steal_pointer (&code);
  return TRUE;
}

void
clave_service_client_new_permanente_code_async (ClaveServiceClient  *self,
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
  g_task_set_source_tag (task, clave_service_client_new_permanente_code_async);
  body = _clave_client_contrast_body (contrast_kind, contrast_value);
  _clave_client_send_signed (self, task, "POST", key, device_id, CLAVE_PATH_ME_PERMANENTE_CODE,
                             body, "POST " CLAVE_PATH_ME_PERMANENTE_CODE, parse_code,
                             (GDestroyNotify) clave_permanente_code_free);
}

ClavePermanenteCode *
clave_service_client_new_permanente_code_finish (ClaveServiceClient  *self,
                                                 GAsyncResult        *result,
                                                 GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Password management */

static gboolean
parse_changed (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  return _clave_client_read_true (root, "changed", out, error);
}

static gboolean
parse_deleted (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  return _clave_client_read_true (root, "deleted", out, error);
}

void
clave_service_client_change_permanente_password_async (ClaveServiceClient  *self,
                                                       ClaveDeviceKey      *key,
                                                       const char          *device_id,
                                                       const char          *old_password,
                                                       const char          *new_password,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (old_password != NULL && new_password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_change_permanente_password_async);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "old");
  json_builder_add_string_value (builder, old_password);
  json_builder_set_member_name (builder, "new");
  json_builder_add_string_value (builder, new_password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  _clave_client_send_signed (self, task, "POST", key, device_id,
                             CLAVE_PATH_ME_PERMANENTE_PASSWORD, body,
                             "POST " CLAVE_PATH_ME_PERMANENTE_PASSWORD, parse_changed, NULL);
}

gboolean
clave_service_client_change_permanente_password_finish (ClaveServiceClient  *self,
                                                        GAsyncResult        *result,
                                                        guint               *attempts_left,
                                                        GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return _clave_client_propagate_code_check (G_TASK (result), attempts_left, error) != NULL;
}

void
clave_service_client_delete_permanente_async (ClaveServiceClient  *self,
                                              ClaveDeviceKey      *key,
                                              const char          *device_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_delete_permanente_async);
  _clave_client_send_signed (self, task, "DELETE", key, device_id, CLAVE_PATH_ME_PERMANENTE,
                             NULL, "DELETE " CLAVE_PATH_ME_PERMANENTE, parse_deleted, NULL);
}

gboolean
clave_service_client_delete_permanente_finish (ClaveServiceClient  *self,
                                               GAsyncResult        *result,
                                               GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

void
clave_permanente_recovery_free (ClavePermanenteRecovery *recovery)
{
  if (recovery == NULL)
    return;
  g_free (recovery->id);
  clave_secret_free (recovery->token);
  g_clear_pointer (&recovery->status, clave_sms_status_free);
  g_free (recovery);
}

static gboolean
parse_recovery (JsonObject  *root,
                gpointer    *out,
                GError     **error)
{
  g_autoptr(ClavePermanenteRecovery) recovery = g_new0 (ClavePermanenteRecovery, 1);

  recovery->status = g_new0 (ClaveSmsStatus, 1);
  if (!_clave_client_read_id (root, "id", &recovery->id, error) ||
      !_clave_client_read_string (root, "token", FALSE, &recovery->token, error) ||
      !_clave_client_read_sms_members (root, recovery->status, error))
    return FALSE;
  *out = g_steal_pointer (&recovery);
  return TRUE;
}

void
clave_service_client_start_permanente_recovery_async (ClaveServiceClient  *self,
                                                      ClaveDeviceKey      *key,
                                                      const char          *device_id,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data)
{
  g_autoptr(JsonNode) body = _clave_client_empty_object ();
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_start_permanente_recovery_async);
  _clave_client_send_signed (self, task, "POST", key, device_id,
                             CLAVE_PATH_ME_PERMANENTE_RECOVERY, body,
                             "POST " CLAVE_PATH_ME_PERMANENTE_RECOVERY, parse_recovery,
                             (GDestroyNotify) clave_permanente_recovery_free);
}

ClavePermanenteRecovery *
clave_service_client_start_permanente_recovery_finish (ClaveServiceClient  *self,
                                                       GAsyncResult        *result,
                                                       GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
parse_recovered (JsonObject  *root,
                 gpointer    *out,
                 GError     **error)
{
  g_autofree char *state = NULL;

  if (!_clave_client_read_string (root, "permanente", FALSE, &state, error))
    return FALSE;
  *out = GINT_TO_POINTER (TRUE);
  return TRUE;
}

void
clave_service_client_finish_permanente_recovery_async (ClaveServiceClient  *self,
                                                       ClaveDeviceKey      *key,
                                                       const char          *device_id,
                                                       const ClavePermanenteRecovery *recovery,
                                                       const char          *code,
                                                       const char          *password,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (recovery != NULL && code != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_finish_permanente_recovery_async);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, recovery->token);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  path = _clave_client_change_path (CLAVE_PATH_ME_PERMANENTE_RECOVERY "/", recovery->id, "");
  _clave_client_send_signed (self, task, "POST", key, device_id, path, body,
                             "POST " CLAVE_PATH_ME_PERMANENTE_RECOVERY "/{id}", parse_recovered,
                             NULL);
}

gboolean
clave_service_client_finish_permanente_recovery_finish (ClaveServiceClient  *self,
                                                        GAsyncResult        *result,
                                                        guint               *attempts_left,
                                                        GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return _clave_client_propagate_code_check (G_TASK (result), attempts_left, error) != NULL;
}
