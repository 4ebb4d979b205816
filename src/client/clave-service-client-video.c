/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. Registering by video identification
 * (POST /v1/video-registrations and /v1/video-registrations/{id}…). */
#define G_LOG_DOMAIN "clave-service-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "clave-protocol.h"
#include "clave-service-client.h"
#include "clave-service-client-call.h"

void
clave_video_status_free (ClaveVideoStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->id);
  g_free (status->state);
  g_strfreev (status->images);
  g_free (status->reason);
  g_free (status);
}

static gboolean
read_optional_time (JsonObject  *object,
                    const char  *name,
                    gint64      *out,
                    GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (_clave_client_get_member (object, name, G_TYPE_INT64) == NULL || json_node_get_int (node) <= 0)
    {
      g_autofree char *message = g_strdup_printf ("“%s” is not a time", name);

      g_propagate_error (error, _clave_client_protocol_error (message));
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_status (JsonObject  *root,
              gpointer    *out,
              GError     **error)
{
  g_autoptr(ClaveVideoStatus) status = g_new0 (ClaveVideoStatus, 1);
  g_autoptr(GStrvBuilder) images = g_strv_builder_new ();
  JsonNode *node = json_object_get_member (root, "images");
  JsonArray *array;

  if (!_clave_client_read_id (root, "id", &status->id, error) ||
      !_clave_client_read_string (root, "state", FALSE, &status->state, error) ||
      !_clave_client_read_string (root, "reason", TRUE, &status->reason, error) ||
      !read_optional_time (root, "expires_at", &status->expires_at, error) ||
      !read_optional_time (root, "submitted_at", &status->submitted_at, error) ||
      !read_optional_time (root, "decided_at", &status->decided_at, error))
    return FALSE;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_propagate_error (error, _clave_client_protocol_error ("“images” missing"));
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_propagate_error (error, _clave_client_protocol_error ("an image is not a string"));
          return FALSE;
        }
      g_strv_builder_add (images, json_node_get_string (element));
    }
  status->images = g_strv_builder_end (images);
  *out = g_steal_pointer (&status);
  return TRUE;
}

static gboolean
parse_started (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  g_autoptr(ClaveRegistration) registration = g_new0 (ClaveRegistration, 1);

  if (!_clave_client_read_registration_start (root, registration, error))
    return FALSE;
  *out = g_steal_pointer (&registration);
  return TRUE;
}

void
clave_service_client_video_start_async (ClaveServiceClient  *self,
                                        const char          *document,
                                        const char          *contrast_kind,
                                        const char          *contrast_value,
                                        const char          *phone,
                                        const char          *email,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *normalized_phone = NULL;
  g_autofree char *normalized_email = NULL;
  JsonObject *object;
  GError *error = NULL;
  ClaveClientCall *call;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (document != NULL && contrast_kind != NULL && contrast_value != NULL);
  g_return_if_fail (phone != NULL && email != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_video_start_async);

  body = _clave_client_contrast_body (contrast_kind, contrast_value);
  object = json_node_get_object (body);
  normalized_phone = _clave_client_normalize_phone (phone);
  normalized_email = g_strstrip (g_strdup (email));
  json_object_set_string_member (object, "document", document);
  json_object_set_string_member (object, "phone", normalized_phone);
  json_object_set_string_member (object, "email", normalized_email);

  message = _clave_client_build_message (self, "POST", CLAVE_PATH_VIDEO_REGISTRATIONS, NULL, body,
                                         NULL, NULL, NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  call = _clave_client_send_call (self, g_steal_pointer (&task), message,
                                  "POST " CLAVE_PATH_VIDEO_REGISTRATIONS, parse_started,
                                  (GDestroyNotify) clave_registration_free);
  call->registration = TRUE;
}

ClaveRegistration *
clave_service_client_video_start_finish (ClaveServiceClient  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* A step of @registration: @method on its @suffix, with @body (JSON) or
 * @bytes of @content_type (a picture), the bearer token. @what names the
 * call in the log: a string literal (the call keeps it). */
static void
send_step (ClaveServiceClient       *self,
           GTask                    *task,
           const ClaveRegistration  *registration,
           const char               *method,
           const char               *suffix,
           const char               *what,
           JsonNode                 *body,
           GBytes                   *bytes,
           const char               *content_type,
           ClaveClientParseFunc      parse,
           GDestroyNotify            free_result)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  ClaveClientCall *call;

  if (registration == NULL || !_clave_client_is_valid_id (registration->id) ||
      !_clave_client_is_usable_token (registration->token))
    {
      g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,
                               "%s", _("This registration is no longer valid. Start the "
                                       "registration again."));
      g_object_unref (task);
      return;
    }
  path = _clave_client_change_path (CLAVE_PATH_VIDEO_REGISTRATION_PREFIX, registration->id,
                                    suffix);
  message = _clave_client_build_message (self, method, path, NULL, body, registration->token,
                                         NULL, NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (bytes != NULL)
    soup_message_set_request_body_from_bytes (message, content_type, bytes);
  call = _clave_client_send_call (self, task, message, what, parse, free_result);
  call->registration = TRUE;
}

void
clave_service_client_video_get_async (ClaveServiceClient       *self,
                                      const ClaveRegistration  *registration,
                                      GCancellable             *cancellable,
                                      GAsyncReadyCallback       callback,
                                      gpointer                  user_data)
{
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_video_get_async);
  send_step (self, task, registration, "GET", "", "GET /v1/video-registrations/{id}", NULL,
             NULL, NULL, parse_status,
             (GDestroyNotify) clave_video_status_free);
}

void
clave_service_client_video_resend_async (ClaveServiceClient       *self,
                                         const ClaveRegistration  *registration,
                                         GCancellable             *cancellable,
                                         GAsyncReadyCallback       callback,
                                         gpointer                  user_data)
{
  g_autoptr(JsonNode) body = _clave_client_empty_object ();
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_video_resend_async);
  send_step (self, task, registration, "POST", "/sms", "POST /v1/video-registrations/{id}/sms",
             body, NULL, NULL,
             _clave_client_parse_sms_sent, (GDestroyNotify) clave_sms_status_free);
}

ClaveSmsStatus *
clave_service_client_video_resend_finish (ClaveServiceClient  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
clave_service_client_video_verify_async (ClaveServiceClient       *self,
                                         const ClaveRegistration  *registration,
                                         const char               *code,
                                         GCancellable             *cancellable,
                                         GAsyncReadyCallback       callback,
                                         gpointer                  user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (code != NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_video_verify_async);
  body = _clave_client_object_with ("code", code);
  send_step (self, task, registration, "POST", "/verify",
             "POST /v1/video-registrations/{id}/verify", body, NULL, NULL, parse_status,
             (GDestroyNotify) clave_video_status_free);
}

ClaveVideoStatus *
clave_service_client_video_verify_finish (ClaveServiceClient  *self,
                                          GAsyncResult        *result,
                                          guint               *attempts_left,
                                          GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return _clave_client_propagate_code_check (G_TASK (result), attempts_left, error);
}

void
clave_service_client_video_put_image_async (ClaveServiceClient       *self,
                                            const ClaveRegistration  *registration,
                                            const char               *kind,
                                            GBytes                   *image,
                                            const char               *content_type,
                                            GCancellable             *cancellable,
                                            GAsyncReadyCallback       callback,
                                            gpointer                  user_data)
{
  g_autofree char *suffix = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (kind != NULL && image != NULL);
  g_return_if_fail (g_strcmp0 (content_type, "image/jpeg") == 0 ||
                    g_strcmp0 (content_type, "image/png") == 0);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_video_put_image_async);
  suffix = g_strconcat ("/images/", kind, NULL);
  send_step (self, task, registration, "PUT", suffix,
             "PUT /v1/video-registrations/{id}/images/{kind}", NULL, image, content_type,
             parse_status,
             (GDestroyNotify) clave_video_status_free);
}

void
clave_service_client_video_submit_async (ClaveServiceClient       *self,
                                         const ClaveRegistration  *registration,
                                         GCancellable             *cancellable,
                                         GAsyncReadyCallback       callback,
                                         gpointer                  user_data)
{
  g_autoptr(JsonNode) body = _clave_client_empty_object ();
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_video_submit_async);
  send_step (self, task, registration, "POST", "/submit",
             "POST /v1/video-registrations/{id}/submit", body, NULL, NULL, parse_status,
             (GDestroyNotify) clave_video_status_free);
}

ClaveVideoStatus *
clave_service_client_video_status_finish (ClaveServiceClient  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
