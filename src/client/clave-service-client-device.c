/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. The activated device: my data, deactivation. */
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

/* GET /v1/me */

static gboolean
parse_my_data (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  g_autoptr(ClaveMyData) data = g_new0 (ClaveMyData, 1);

  if (!_clave_client_read_string (root, "document", FALSE, &data->document, error) ||
      !_clave_client_read_string (root, "document_type", FALSE, &data->document_type, error) ||
      !_clave_client_read_string (root, "given_name", FALSE, &data->given_name, error) ||
      !_clave_client_read_string (root, "surnames", FALSE, &data->surnames, error) ||
      !_clave_client_read_string (root, "phone", TRUE, &data->phone, error) ||
      !_clave_client_read_string (root, "email", TRUE, &data->email, error) ||
      !_clave_client_read_string (root, "level", FALSE, &data->level, error) ||
      !_clave_client_read_string (root, "registration_channel", FALSE, &data->registration_channel,
                                  error) ||
      !_clave_client_read_string (root, "permanente", TRUE, &data->permanente, error) ||
      !_clave_client_read_string (root, "firma", TRUE, &data->firma, error))
    return FALSE;
  if (data->permanente == NULL)
    data->permanente = g_strdup (CLAVE_PERMANENTE_NONE);
  if (data->firma == NULL)
    data->firma = g_strdup (CLAVE_FIRMA_NONE);

  *out = g_steal_pointer (&data);
  return TRUE;
}

void
clave_service_client_get_my_data_async (ClaveServiceClient  *self,
                                        ClaveDeviceKey      *key,
                                        const char          *device_id,
                                        gboolean             reveal_document,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_get_my_data_async);

  if (!_clave_client_check_device (task, device_id))
    return;

  message = _clave_client_build_message (self, "GET", CLAVE_PATH_ME,
                                         reveal_document ? "reveal=document" : NULL,
                                         NULL, NULL, key, device_id, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message, "GET " CLAVE_PATH_ME,
                           parse_my_data, (GDestroyNotify) clave_my_data_free);
}

ClaveMyData *
clave_service_client_get_my_data_finish (ClaveServiceClient  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
_clave_client_send_signed (ClaveServiceClient   *self,
                           GTask                *task,
                           const char           *method,
                           ClaveDeviceKey       *key,
                           const char           *device_id,
                           const char           *path,
                           JsonNode             *body,
                           const char           *what,
                           ClaveClientParseFunc  parse,
                           GDestroyNotify        free_result)
{
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  if (!_clave_client_check_device (task, device_id))
    {
      g_object_unref (task);
      return;
    }
  message = _clave_client_build_message (self, method, path, NULL, body, NULL, key, device_id,
                                         &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  _clave_client_send_call (self, task, message, what, parse, free_result);
}

gboolean
_clave_client_read_true (JsonObject  *root,
                         const char  *name,
                         gpointer    *out,
                         GError     **error)
{
  gboolean value;

  if (!_clave_client_read_bool (root, name, &value, error))
    return FALSE;
  if (!value)
    {
      g_autofree char *what = g_strdup_printf ("“%s” is false on success", name);

      g_propagate_error (error, _clave_client_protocol_error (what));
      return FALSE;
    }
  *out = GINT_TO_POINTER (TRUE);
  return TRUE;
}

/* DELETE /v1/device */

static gboolean
parse_deactivate (JsonObject  *root,
                  gpointer    *out,
                  GError     **error)
{
  return _clave_client_read_true (root, "deactivated", out, error);
}

void
clave_service_client_deactivate_async (ClaveServiceClient  *self,
                                       ClaveDeviceKey      *key,
                                       const char          *device_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_deactivate_async);
  _clave_client_send_signed (self, task, "DELETE", key, device_id, CLAVE_PATH_DEVICE, NULL,
                             "DELETE " CLAVE_PATH_DEVICE, parse_deactivate, NULL);
}

gboolean
clave_service_client_deactivate_finish (ClaveServiceClient  *self,
                                        GAsyncResult        *result,
                                        GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* POST /v1/me/give-up */

static gboolean
parse_give_up (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  return _clave_client_read_true (root, "given_up", out, error);
}

void
clave_service_client_give_up_async (ClaveServiceClient  *self,
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
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_give_up_async);
  _clave_client_send_signed (self, task, "POST", key, device_id, CLAVE_PATH_ME_GIVE_UP, body,
                             "POST " CLAVE_PATH_ME_GIVE_UP, parse_give_up, NULL);
}

gboolean
clave_service_client_give_up_finish (ClaveServiceClient  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* POST /v1/me/level */

static gboolean
parse_level (JsonObject  *root,
             gpointer    *out,
             GError     **error)
{
  g_autofree char *level = NULL;

  if (!_clave_client_read_string (root, "level", FALSE, &level, error))
    return FALSE;

  if (!g_str_equal (level, CLAVE_LEVEL_ADVANCED))
    {
      g_propagate_error (error, _clave_client_protocol_error ("“level” is not advanced on "
                                                              "success"));
      return FALSE;
    }

  *out = GINT_TO_POINTER (TRUE);
  return TRUE;
}

void
clave_service_client_raise_level_async (ClaveServiceClient          *self,
                                        ClaveDeviceKey              *key,
                                        const char                  *device_id,
                                        const ClaveCertificateProof *proof,
                                        GCancellable                *cancellable,
                                        GAsyncReadyCallback          callback,
                                        gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (proof != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_raise_level_async);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  if (!_clave_client_add_proof (builder, proof, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  _clave_client_send_signed (self, g_steal_pointer (&task), "POST", key, device_id,
                             CLAVE_PATH_ME_LEVEL, body, "POST " CLAVE_PATH_ME_LEVEL, parse_level,
                             NULL);
}

gboolean
clave_service_client_raise_level_finish (ClaveServiceClient  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* POST /v1/me/phone, /v1/me/phone/{id}/sms and …/verify */

typedef struct {
  char           *id;
  ClaveSmsStatus *status;
} PhoneChange;

static void
phone_change_free (PhoneChange *change)
{
  g_free (change->id);
  g_clear_pointer (&change->status, clave_sms_status_free);
  g_free (change);
}

static gboolean
parse_phone_change (JsonObject  *root,
                    gpointer    *out,
                    GError     **error)
{
  PhoneChange *change = g_new0 (PhoneChange, 1);

  change->status = g_new0 (ClaveSmsStatus, 1);
  if (!_clave_client_read_id (root, "id", &change->id, error) ||
      !_clave_client_read_sms_members (root, change->status, error))
    {
      phone_change_free (change);
      return FALSE;
    }
  *out = change;
  return TRUE;
}


void
clave_service_client_change_phone_async (ClaveServiceClient          *self,
                                         ClaveDeviceKey              *key,
                                         const char                  *device_id,
                                         const ClaveCertificateProof *proof,
                                         const char                  *phone,
                                         GCancellable                *cancellable,
                                         GAsyncReadyCallback          callback,
                                         gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *normalized = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (proof != NULL && phone != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_change_phone_async);

  json_builder_begin_object (builder);
  if (!_clave_client_add_proof (builder, proof, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  normalized = _clave_client_normalize_phone (phone);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, normalized);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  _clave_client_send_signed (self, g_steal_pointer (&task), "POST", key, device_id,
                             CLAVE_PATH_ME_PHONE, body, "POST " CLAVE_PATH_ME_PHONE,
                             parse_phone_change, (GDestroyNotify) phone_change_free);
}

/**
 * clave_service_client_change_phone_finish:
 * @change_id: (out) (transfer full): the change, for the code and a resend
 *
 * Returns: (transfer full): what was sent to the new phone
 */
ClaveSmsStatus *
clave_service_client_change_phone_finish (ClaveServiceClient  *self,
                                          GAsyncResult        *result,
                                          char               **change_id,
                                          GError             **error)
{
  PhoneChange *change;
  ClaveSmsStatus *status;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  change = g_task_propagate_pointer (G_TASK (result), error);
  if (change == NULL)
    return NULL;
  *change_id = g_steal_pointer (&change->id);
  status = g_steal_pointer (&change->status);
  phone_change_free (change);
  return status;
}

void
clave_service_client_resend_phone_code_async (ClaveServiceClient  *self,
                                              ClaveDeviceKey      *key,
                                              const char          *device_id,
                                              const char          *change_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  GTask *task;
  g_autoptr(JsonNode) body = _clave_client_empty_object ();
  g_autofree char *path = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (change_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_resend_phone_code_async);
  path = _clave_client_change_path (CLAVE_PATH_ME_PHONE_PREFIX, change_id, "/sms");
  _clave_client_send_signed (self, task, "POST", key, device_id, path, body,
                             "POST /v1/me/phone/{id}/sms", _clave_client_parse_sms_sent,
                             (GDestroyNotify) clave_sms_status_free);
}

ClaveSmsStatus *
clave_service_client_resend_phone_code_finish (ClaveServiceClient  *self,
                                               GAsyncResult        *result,
                                               GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
parse_phone_changed (JsonObject  *root,
                     gpointer    *out,
                     GError     **error)
{
  char *phone = NULL;

  if (!_clave_client_read_string (root, "phone", FALSE, &phone, error))
    return FALSE;
  *out = phone;
  return TRUE;
}

void
clave_service_client_confirm_phone_async (ClaveServiceClient  *self,
                                          ClaveDeviceKey      *key,
                                          const char          *device_id,
                                          const char          *change_id,
                                          const char          *code,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (change_id != NULL && code != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_confirm_phone_async);
  body = _clave_client_object_with ("code", code);
  path = _clave_client_change_path (CLAVE_PATH_ME_PHONE_PREFIX, change_id, "/verify");
  _clave_client_send_signed (self, task, "POST", key, device_id, path, body,
                             "POST /v1/me/phone/{id}/verify", parse_phone_changed, g_free);
}

/**
 * clave_service_client_confirm_phone_finish:
 * @attempts_left: (out) (optional): on %CLAVE_SERVICE_ERROR_INVALID_CODE,
 *   the wrong codes the service still accepts; 0 otherwise
 *
 * Returns: (transfer full): the new phone as the service shows it
 *   ("******888")
 */
char *
clave_service_client_confirm_phone_finish (ClaveServiceClient  *self,
                                           GAsyncResult        *result,
                                           guint               *attempts_left,
                                           GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return _clave_client_propagate_code_check (G_TASK (result), attempts_left, error);
}

char *
_clave_client_change_path (const char *prefix,
                           const char *change_id,
                           const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (change_id, NULL, FALSE);

  return g_strconcat (prefix, escaped, suffix, NULL);
}

JsonNode *
_clave_client_object_with (const char *name,
                           const char *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

gpointer
_clave_client_propagate_code_check (GTask   *task,
                                    guint   *attempts_left,
                                    GError **error)
{
  g_autoptr(GError) local_error = NULL;
  ClaveClientCall *call = g_task_get_task_data (task);
  gpointer value;

  if (attempts_left != NULL)
    *attempts_left = 0;
  value = g_task_propagate_pointer (task, &local_error);
  if (value != NULL)
    return value;
  if (attempts_left != NULL && call != NULL && call->attempts_left >= 0 &&
      (g_error_matches (local_error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE) ||
       g_error_matches (local_error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_PASSWORD)))
    *attempts_left = (guint) call->attempts_left;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}
