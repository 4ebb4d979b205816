/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-device-auth.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

/* Enough for the devices that sign within a few minutes on a busy
 * service; a key is 91 bytes of DER and a parsed key a few hundred. */
#define DEVICE_KEYS_MAX 4096

ClaveDeviceKeys *
_clave_device_keys (ClaveServer *self)
{
  if (self->device_keys == NULL)
    self->device_keys = clave_device_keys_new (DEVICE_KEYS_MAX);
  return self->device_keys;
}

ClaveDeviceRecord *
_clave_device_authenticate (ClaveServer       *self,
                            SoupServerMessage *msg,
                            gboolean           push_key_allowed)
{
  g_autoptr(GBytes) body = NULL;

  if (!clave_http_get_body (msg, &body))
    return NULL;
  return clave_device_auth_verify_full (self->store, _clave_device_keys (self), msg, body,
                                        _clave_server_now (), push_key_allowed, NULL);
}

ClaveDeviceAuthCheck *
_clave_device_auth_check_new (ClaveServer       *self,
                              SoupServerMessage *msg)
{
  g_autoptr(GBytes) body = NULL;

  if (!clave_http_get_body (msg, &body))
    return NULL;
  return clave_device_auth_check_new (self->store, _clave_device_keys (self), msg, body,
                                      _clave_server_now ());
}

/* The device that signed @msg with its device key, or NULL after
 * answering the error. */
static ClaveDeviceRecord *
authenticate (ClaveServer       *self,
              SoupServerMessage *msg)
{
  return _clave_device_authenticate (self, msg, FALSE);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value != NULL ? value : "");
}

void
_clave_routes_me (ClaveServer       *self,
                  SoupServerMessage *msg,
                  GHashTable        *query)
{
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *document = NULL;
  g_autofree char *phone = NULL;
  const char *reveal = query != NULL ? g_hash_table_lookup (query, "reveal") : NULL;

  device = authenticate (self, msg);
  if (device == NULL)
    return;

  identity = clave_store_get_identity (self->store, device->document, &error);
  if (identity != NULL)
    citizen = clave_store_get_citizen (self->store, device->document, &error);
  if (identity == NULL || citizen == NULL)
    {
      if (error != NULL)
        clave_http_reply_internal (msg, error);
      else
        /* The registration was removed after the device was activated. */
        clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_DEVICE_DEACTIVATED,
                                "This device is no longer active.");
      return;
    }

  if (g_strcmp0 (reveal, "document") == 0)
    document = g_strdup (identity->document);
  else
    document = clave_document_mask (identity->document);
  phone = clave_phone_hint (citizen->phone);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string (builder, "document", document);
  add_string (builder, "document_type", clave_document_type_to_string (identity->type));
  add_string (builder, "given_name", identity->given_name);
  add_string (builder, "surnames", identity->surnames);
  add_string (builder, "phone", phone);
  add_string (builder, "email", citizen->email);
  add_string (builder, "level", citizen->level);
  add_string (builder, "registration_channel", citizen->channel);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

void
_clave_routes_delete_device (ClaveServer       *self,
                             SoupServerMessage *msg)
{
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  device = authenticate (self, msg);
  if (device == NULL)
    return;

  if (!clave_store_deactivate_device (self->store, device->id, _clave_server_now (), &error))
    {
      clave_http_reply_internal (msg, error);
      return;
    }

  clave_device_keys_forget (_clave_device_keys (self), device->id);
  g_info ("Device %s signed out", device->id);
  _clave_push_check_devices (self, device->document);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "deactivated");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}
