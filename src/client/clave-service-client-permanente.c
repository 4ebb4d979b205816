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
