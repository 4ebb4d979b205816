/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. Cl@ve Firma (GET /v1/me/firma, POST /v1/me/firma/revoke). */
#define G_LOG_DOMAIN "clave-service-client"

#include "config.h"

#include <json-glib/json-glib.h>

#include "clave-protocol.h"
#include "clave-service-client.h"
#include "clave-service-client-call.h"

void
clave_firma_certificate_free (ClaveFirmaCertificate *certificate)
{
  if (certificate == NULL)
    return;
  g_free (certificate->serial);
  g_free (certificate->holder);
  g_free (certificate->issuer);
  g_free (certificate->status);
  g_free (certificate->certificate);
  g_free (certificate);
}

static gboolean
read_time (JsonObject  *object,
           const char  *name,
           gboolean     optional,
           gint64      *out,
           GError     **error)
{
  JsonNode *node = _clave_client_get_member (object, name, G_TYPE_INT64);

  if (node == NULL && optional && !json_object_has_member (object, name))
    return TRUE;
  if (node == NULL || json_node_get_int (node) <= 0)
    {
      g_autofree char *message = g_strdup_printf ("“%s” missing or not a time", name);

      g_propagate_error (error, _clave_client_protocol_error (message));
      return FALSE;
    }
  *out = json_node_get_int (node);
  return TRUE;
}

static ClaveFirmaCertificate *
read_certificate (JsonObject  *object,
                  GError     **error)
{
  g_autoptr(ClaveFirmaCertificate) certificate = g_new0 (ClaveFirmaCertificate, 1);

  if (!_clave_client_read_string (object, "serial", FALSE, &certificate->serial, error) ||
      !_clave_client_read_string (object, "holder", FALSE, &certificate->holder, error) ||
      !_clave_client_read_string (object, "issuer", FALSE, &certificate->issuer, error) ||
      !_clave_client_read_string (object, "status", FALSE, &certificate->status, error) ||
      !_clave_client_read_string (object, "certificate", FALSE, &certificate->certificate,
                                  error) ||
      !read_time (object, "not_before", FALSE, &certificate->not_before, error) ||
      !read_time (object, "not_after", FALSE, &certificate->not_after, error) ||
      !read_time (object, "revoked_at", TRUE, &certificate->revoked_at, error))
    return NULL;
  return g_steal_pointer (&certificate);
}

static gboolean
parse_list (JsonObject  *root,
            gpointer    *out,
            GError     **error)
{
  g_autoptr(GPtrArray) certificates =
    g_ptr_array_new_with_free_func ((GDestroyNotify) clave_firma_certificate_free);
  JsonNode *node = json_object_get_member (root, "certificates");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_propagate_error (error, _clave_client_protocol_error ("“certificates” missing"));
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      ClaveFirmaCertificate *certificate;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_propagate_error (error, _clave_client_protocol_error ("a certificate is not an "
                                                                  "object"));
          return FALSE;
        }
      certificate = read_certificate (json_node_get_object (element), error);
      if (certificate == NULL)
        return FALSE;
      g_ptr_array_add (certificates, certificate);
    }
  *out = g_steal_pointer (&certificates);
  return TRUE;
}

void
clave_service_client_list_firma_async (ClaveServiceClient  *self,
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
  g_task_set_source_tag (task, clave_service_client_list_firma_async);
  _clave_client_send_signed (self, task, "GET", key, device_id, CLAVE_PATH_ME_FIRMA, NULL,
                             "GET " CLAVE_PATH_ME_FIRMA, parse_list,
                             (GDestroyNotify) g_ptr_array_unref);
}

GPtrArray *
clave_service_client_list_firma_finish (ClaveServiceClient  *self,
                                        GAsyncResult        *result,
                                        GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
parse_revoked (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  ClaveFirmaCertificate *certificate = read_certificate (root, error);

  if (certificate == NULL)
    return FALSE;
  *out = certificate;
  return TRUE;
}

void
clave_service_client_revoke_firma_async (ClaveServiceClient  *self,
                                         ClaveDeviceKey      *key,
                                         const char          *device_id,
                                         const char          *serial,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GTask *task;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (serial != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_revoke_firma_async);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "serial");
  json_builder_add_string_value (builder, serial);
  json_builder_set_member_name (builder, "accept_conditions");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  _clave_client_send_signed (self, task, "POST", key, device_id, CLAVE_PATH_ME_FIRMA_REVOKE, body,
                             "POST " CLAVE_PATH_ME_FIRMA_REVOKE, parse_revoked,
                             (GDestroyNotify) clave_firma_certificate_free);
}

ClaveFirmaCertificate *
clave_service_client_revoke_firma_finish (ClaveServiceClient  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
