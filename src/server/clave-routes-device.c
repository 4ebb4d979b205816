/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-account.h"
#include "clave-cert-proof.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-routes.h"

/* GET /v1/me, POST /v1/me/give-up, POST /v1/me/level and DELETE
 * /v1/device: read the request, call the account's operation
 * (clave-account.c), write the answer. */

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

  if (!clave_account_get (self, device, &identity, &citizen, &error))
    {
      clave_http_reply_gerror (msg, error);
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

  if (!clave_account_deactivate_device (self, device, _clave_server_now (), &error))
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "deactivated");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

void
_clave_routes_give_up (ClaveServer       *self,
                       SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  device = authenticate (self, msg);
  if (device == NULL)
    return;

  if (!clave_account_give_up (self, device, _clave_server_now (), &error))
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "given_up");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

void
_clave_routes_raise_level (ClaveServer       *self,
                           SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(ClaveCertProof) proof = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  /* The form of the proof first: a malformed one costs nothing. */
  proof = _clave_cert_proof_read (body, &error);
  if (proof == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }
  device = authenticate (self, msg);
  if (device == NULL)
    return;

  if (!clave_account_raise_level (self, device, proof, _clave_server_now (), &error))
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "level");
  json_builder_add_string_value (builder, CLAVE_LEVEL_ADVANCED);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}
