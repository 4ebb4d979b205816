/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. Cl@ve Móvil: requests, answers, pending list, history. */
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

/* Cl@ve Móvil */

G_DEFINE_BOXED_TYPE (ClaveAuthRequestInfo, clave_auth_request_info,
                     clave_auth_request_info_copy, clave_auth_request_info_free)

static gboolean
read_int64 (JsonObject  *object,
            const char  *name,
            gboolean     nullable,
            gint64      *out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (nullable && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
    {
      *out = 0;
      return TRUE;
    }

  node = _clave_client_get_member (object, name, G_TYPE_INT64);
  if (node == NULL || json_node_get_int (node) < 0)
    {
      g_autofree char *what = g_strdup_printf ("“%s” missing or not a time", name);

      g_propagate_error (error, _clave_client_protocol_error (what));
      return FALSE;
    }

  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
_clave_auth_request_status_is_known (const char *status)
{
  return g_strcmp0 (status, CLAVE_AUTH_REQUEST_PENDING) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_CONFIRMED) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_REJECTED) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_EXPIRED) == 0;
}

ClaveAuthRequestInfo *
_clave_auth_request_info_from_json (JsonObject  *object,
                                    GError     **error)
{
  g_autoptr(ClaveAuthRequestInfo) info = g_new0 (ClaveAuthRequestInfo, 1);

  if (!_clave_client_read_id (object, "id", &info->id, error) ||
      !_clave_client_read_string (object, "type", FALSE, &info->type, error) ||
      !_clave_client_read_string (object, "status", FALSE, &info->status, error) ||
      !_clave_client_read_string (object, "organisation", FALSE, &info->organisation, error) ||
      !_clave_client_read_string (object, "origin", FALSE, &info->origin, error) ||
      !_clave_client_read_string (object, "verification_code", FALSE, &info->verification_code,
                                  error) ||
      !read_int64 (object, "created_at", FALSE, &info->created_at, error) ||
      !read_int64 (object, "expires_at", FALSE, &info->expires_at, error))
    return NULL;

  if (!clave_request_code_is_valid (info->verification_code))
    {
      g_propagate_error (error,
                         _clave_client_protocol_error ("“verification_code” is not 3 digits"));
      return NULL;
    }

  return g_steal_pointer (&info);
}

static gboolean
parse_request_info (JsonObject  *root,
                    gpointer    *out,
                    GError     **error)
{
  ClaveAuthRequestInfo *info = _clave_auth_request_info_from_json (root, error);

  if (info == NULL)
    return FALSE;

  *out = info;
  return TRUE;
}

static gboolean
check_signer (GTask      *task,
              gpointer    key,
              const char *device_id)
{
  if (!_clave_client_is_signing_key (key))
    {
      g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,
                               "%s", _("This device is not activated in Cl@ve. Activate it to go on."));
      return FALSE;
    }

  return _clave_client_check_device (task, device_id);
}

static gboolean
check_request_id (GTask      *task,
                  const char *request_id)
{
  if (clave_request_id_is_valid (request_id))
    return TRUE;

  g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REQUEST_NOT_FOUND,
                           "%s", _("This request does not exist. Ask the website for a new one."));
  return FALSE;
}

static char *
request_path (const char *request_id,
              const char *suffix)
{
  /* check_request_id() allows only [A-Za-z0-9_-]: nothing to escape. */
  return g_strconcat (CLAVE_PATH_DEVICE_REQUEST_PREFIX, request_id, suffix, NULL);
}

/* POST /v1/device/requests/{id}/claim */

void
clave_service_client_claim_request_async (ClaveServiceClient  *self,
                                          gpointer             key,
                                          const char          *device_id,
                                          const char          *request_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
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
  g_task_set_source_tag (task, clave_service_client_claim_request_async);

  if (!check_signer (task, key, device_id) || !check_request_id (task, request_id))
    return;

  body = _clave_client_empty_object ();
  path = request_path (request_id, CLAVE_DEVICE_REQUEST_SUFFIX_CLAIM);
  message = _clave_client_build_message (self, "POST", path, NULL, body, NULL, key, device_id,
                                         &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = _clave_client_send_call (self, g_steal_pointer (&task), message,
                                  "POST /v1/device/requests/{id}/claim",
                                  parse_request_info, (GDestroyNotify) clave_auth_request_info_free);
  call->auth_request = TRUE;
}

ClaveAuthRequestInfo *
clave_service_client_claim_request_finish (ClaveServiceClient  *self,
                                           GAsyncResult        *result,
                                           GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /v1/device/requests/{id}/confirm, …/reject */

static gboolean
parse_answer (JsonObject  *root,
              gpointer    *out,
              GError     **error)
{
  g_autofree char *status = NULL;

  if (!_clave_client_read_string (root, "status", FALSE, &status, error))
    return FALSE;

  if (!g_str_equal (status, CLAVE_AUTH_REQUEST_CONFIRMED) &&
      !g_str_equal (status, CLAVE_AUTH_REQUEST_REJECTED))
    {
      g_propagate_error (error,
                         _clave_client_protocol_error ("answer status is neither confirmed nor rejected"));
      return FALSE;
    }

  *out = g_steal_pointer (&status);
  return TRUE;
}

static void
answer_request (ClaveServiceClient  *self,
                ClaveDeviceKey      *key,
                const char          *device_id,
                const char          *request_id,
                const char          *suffix,
                const char          *what,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  ClaveClientCall *call;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (!check_signer (task, key, device_id) || !check_request_id (task, request_id))
    return;

  body = _clave_client_empty_object ();
  path = request_path (request_id, suffix);
  message = _clave_client_build_message (self, "POST", path, NULL, body, NULL, key, device_id,
                                         &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = _clave_client_send_call (self, g_steal_pointer (&task), message, what, parse_answer,
                                  g_free);
  call->auth_request = TRUE;
}

void
clave_service_client_confirm_request_async (ClaveServiceClient  *self,
                                            ClaveDeviceKey      *key,
                                            const char          *device_id,
                                            const char          *request_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  answer_request (self, key, device_id, request_id, CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM,
                  "POST /v1/device/requests/{id}/confirm",
                  clave_service_client_confirm_request_async,
                  cancellable, callback, user_data);
}

static gboolean
answer_finish (ClaveServiceClient  *self,
               GAsyncResult        *result,
               const char          *expected,
               GError             **error)
{
  g_autofree char *status = g_task_propagate_pointer (G_TASK (result), error);

  if (status == NULL)
    return FALSE;

  if (!g_str_equal (status, expected))
    {
      g_propagate_error (error,
                         _clave_client_protocol_error ("answer status differs from the answer given"));
      return FALSE;
    }

  return TRUE;
}

gboolean
clave_service_client_confirm_request_finish (ClaveServiceClient  *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return answer_finish (self, result, CLAVE_AUTH_REQUEST_CONFIRMED, error);
}

void
clave_service_client_reject_request_async (ClaveServiceClient  *self,
                                           ClaveDeviceKey      *key,
                                           const char          *device_id,
                                           const char          *request_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  answer_request (self, key, device_id, request_id, CLAVE_DEVICE_REQUEST_SUFFIX_REJECT,
                  "POST /v1/device/requests/{id}/reject",
                  clave_service_client_reject_request_async,
                  cancellable, callback, user_data);
}

gboolean
clave_service_client_reject_request_finish (ClaveServiceClient  *self,
                                            GAsyncResult        *result,
                                            GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return answer_finish (self, result, CLAVE_AUTH_REQUEST_REJECTED, error);
}

/* GET /v1/device/requests?status=pending */

static gboolean
parse_pending (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_auth_request_info_free);
  JsonNode *node = json_object_get_member (root, "requests");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_propagate_error (error,
                         _clave_client_protocol_error ("“requests” missing or not an array"));
      return FALSE;
    }

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      ClaveAuthRequestInfo *info;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_propagate_error (error, _clave_client_protocol_error ("“requests” holds a non-object"));
          return FALSE;
        }

      info = _clave_auth_request_info_from_json (json_node_get_object (element), error);
      if (info == NULL)
        return FALSE;
      g_ptr_array_add (requests, info);
    }

  *out = g_steal_pointer (&requests);
  return TRUE;
}

void
clave_service_client_list_pending_async (ClaveServiceClient  *self,
                                         gpointer             key,
                                         const char          *device_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_list_pending_async);

  if (!check_signer (task, key, device_id))
    return;

  message = _clave_client_build_message (self, "GET", CLAVE_PATH_DEVICE_REQUESTS, "status=pending",
                                         NULL, NULL, key, device_id, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message, "GET /v1/device/requests",
                           parse_pending, (GDestroyNotify) g_ptr_array_unref);
}

GPtrArray *
clave_service_client_list_pending_finish (ClaveServiceClient  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GET /v1/device/history */

#define HISTORY_MAX_LIMIT CLAVE_HISTORY_LIMIT_MAX

/* The cursor is opaque: the service may send it as a number or a string,
 * and it goes back verbatim in "after". */
static gboolean
read_cursor (JsonObject  *root,
             char       **out,
             GError     **error)
{
  JsonNode *node = json_object_get_member (root, "next");

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *out = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      return TRUE;
    }

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
      strlen (json_node_get_string (node)) <= ID_MAX_LEN &&
      _clave_client_is_valid_id (json_node_get_string (node)))
    {
      *out = g_strdup (json_node_get_string (node));
      return TRUE;
    }

  g_propagate_error (error, _clave_client_protocol_error ("“next” is not a cursor"));
  return FALSE;
}

static gboolean
parse_history (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  g_autoptr(ClaveHistoryPage) page = g_new0 (ClaveHistoryPage, 1);
  JsonNode *node = json_object_get_member (root, "items");
  JsonArray *array;

  page->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_history_entry_free);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_propagate_error (error, _clave_client_protocol_error ("“items” missing or not an array"));
      return FALSE;
    }

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr(ClaveHistoryEntry) entry = g_new0 (ClaveHistoryEntry, 1);
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_propagate_error (error, _clave_client_protocol_error ("“items” holds a non-object"));
          return FALSE;
        }
      object = json_node_get_object (element);

      if (!read_int64 (object, "seq", FALSE, &entry->seq, error) ||
          !_clave_client_read_id (object, "id", &entry->id, error) ||
          !_clave_client_read_string (object, "type", FALSE, &entry->type, error) ||
          !_clave_client_read_string (object, "organisation", FALSE, &entry->organisation, error) ||
          !_clave_client_read_string (object, "origin", FALSE, &entry->origin, error) ||
          !_clave_client_read_string (object, "status", FALSE, &entry->status, error) ||
          !read_int64 (object, "created_at", FALSE, &entry->created_at, error) ||
          !read_int64 (object, "answered_at", TRUE, &entry->answered_at, error))
        return FALSE;

      g_ptr_array_add (page->entries, g_steal_pointer (&entry));
    }

  if (!read_cursor (root, &page->next, error) ||
      !_clave_client_read_bool (root, "more", &page->more, error))
    return FALSE;

  /* Without a cursor "more" could only fetch the same page forever. */
  if (page->more && page->next == NULL)
    {
      g_propagate_error (error, _clave_client_protocol_error ("“more” without “next”"));
      return FALSE;
    }

  *out = g_steal_pointer (&page);
  return TRUE;
}

void
clave_service_client_get_history_async (ClaveServiceClient  *self,
                                        gpointer             key,
                                        const char          *device_id,
                                        const char          *after,
                                        guint                limit,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *query = NULL;
  g_autofree char *escaped = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_get_history_async);

  if (!check_signer (task, key, device_id))
    return;

  limit = CLAMP (limit, 1, HISTORY_MAX_LIMIT);
  if (after != NULL && after[0] != '\0')
    {
      escaped = g_uri_escape_string (after, NULL, FALSE);
      query = g_strdup_printf ("after=%s&limit=%u", escaped, limit);
    }
  else
    query = g_strdup_printf ("limit=%u", limit);

  message = _clave_client_build_message (self, "GET", CLAVE_PATH_DEVICE_HISTORY, query,
                                         NULL, NULL, key, device_id, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _clave_client_send_call (self, g_steal_pointer (&task), message, "GET /v1/device/history",
                           parse_history, (GDestroyNotify) clave_history_page_free);
}

ClaveHistoryPage *
clave_service_client_get_history_finish (ClaveServiceClient  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
