/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-http.h"
#include "clave-identify.h"
#include "clave-permanente.h"
#include "clave-protocol.h"
#include "clave-routes.h"

/* Cl@ve Permanente for the activated device (POST /v1/me/permanente/code,
 * …/password, …/recovery…, DELETE /v1/me/permanente): read the request,
 * call the operation (clave-permanente.c), write the answer. */

const char *
_clave_routes_permanente_state (ClaveServer  *self,
                                const char   *document,
                                GError      **error)
{
  return clave_permanente_get_state (self, document, _clave_server_now (), error);
}

static void
reply_true (SoupServerMessage *msg,
            const char        *name)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

void
_clave_routes_permanente_code (ClaveServer       *self,
                               SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  const char *kind = NULL, *value = NULL;
  gint64 now = _clave_server_now ();
  gint64 expires_at = 0;
  char *code;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL || !_clave_routes_read_contrast (msg, body, &kind, &value))
    return;
  device = _clave_device_authenticate (self, msg, FALSE);
  if (device == NULL)
    return;

  source = _clave_identify_source_for_device (device->id);
  code = clave_permanente_new_code (self, device, kind, value, source, now, &expires_at, &error);
  if (code == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_int_value (builder, expires_at);
  json_builder_end_object (builder);
  clave_secret_free (code);
  clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
}

void
_clave_routes_permanente_delete (ClaveServer       *self,
                                 SoupServerMessage *msg)
{
  g_autoptr(ClaveDeviceRecord) device = _clave_device_authenticate (self, msg, FALSE);
  g_autoptr(GError) error = NULL;

  if (device == NULL)
    return;
  if (clave_permanente_delete (self, device, &error))
    reply_true (msg, "deleted");
  else
    clave_http_reply_gerror (msg, error);
}

void
_clave_routes_permanente_password (ClaveServer       *self,
                                   SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = clave_http_read_json_object (msg, NULL);
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(GError) error = NULL;
  const char *old_password = NULL, *new_password = NULL;

  if (body == NULL || !clave_http_member_string (msg, body, "old", &old_password) ||
      !clave_http_member_string (msg, body, "new", &new_password))
    return;
  device = _clave_device_authenticate (self, msg, FALSE);
  if (device == NULL)
    return;
  if (clave_permanente_change_password (self, device, old_password, new_password,
                                        _clave_server_now (), &error))
    reply_true (msg, "changed");
  else
    clave_http_reply_gerror (msg, error);
}

void
_clave_routes_permanente_recovery (ClaveServer       *self,
                                   SoupServerMessage *msg,
                                   const char        *recovery_id)
{
  g_autoptr(JsonObject) body = clave_http_read_json_object (msg, NULL);
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(ClavePermanenteStart) start = NULL;
  g_autoptr(GError) error = NULL;
  const char *token = NULL, *code = NULL, *password = NULL;
  gint64 now = _clave_server_now ();

  if (body == NULL)
    return;
  if (recovery_id != NULL)
    {
      if (!clave_http_member_string (msg, body, "token", &token) ||
          !clave_http_member_string (msg, body, "code", &code) ||
          !clave_http_member_string (msg, body, "password", &password))
        return;
      if (!_clave_codes_is_code (code))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The code must be 6 digits.");
          return;
        }
    }
  device = _clave_device_authenticate (self, msg, FALSE);
  if (device == NULL)
    return;

  if (recovery_id != NULL)
    {
      if (clave_permanente_finish_recovery (self, device, recovery_id, token, code, password, now,
                                            &error))
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "permanente");
          json_builder_add_string_value (builder, CLAVE_PERMANENTE_ACTIVE);
          json_builder_end_object (builder);
          clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
        }
      else
        clave_http_reply_gerror (msg, error);
      return;
    }

  start = clave_permanente_start_recovery (self, device, now, &error);
  if (start == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }
  {
    g_autoptr(JsonBuilder) builder = json_builder_new ();

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "id");
    json_builder_add_string_value (builder, start->id);
    json_builder_set_member_name (builder, "token");
    json_builder_add_string_value (builder, start->token);
    _clave_routes_add_code_sent (builder, &start->sent);
    json_builder_end_object (builder);
    clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
  }
}
