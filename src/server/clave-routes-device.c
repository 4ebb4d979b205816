/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-account.h"
#include "clave-cert-proof.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-identify.h"
#include "clave-protocol.h"
#include "clave-routes.h"

/* GET /v1/me, POST /v1/me/give-up, /v1/me/level, /v1/me/phone…, /v1/me/email… and
 * DELETE /v1/device: read the request, call the account's operation
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
  const char *permanente = NULL;
  const char *firma = NULL;

  device = authenticate (self, msg);
  if (device == NULL)
    return;

  if (!clave_account_get (self, device, &identity, &citizen, &error) ||
      (permanente = _clave_routes_permanente_state (self, citizen->document, &error)) == NULL ||
      (firma = _clave_routes_firma_state (self, citizen->document, &error)) == NULL)
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
  add_string (builder, "permanente", permanente);
  add_string (builder, "firma", firma);
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
  /* The person's Cl@ve Firma certificates were revoked with it. */
  _clave_routes_firma_changed (self);

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

void
_clave_routes_phone_change (ClaveServer       *self,
                            SoupServerMessage *msg,
                            const char        *change_id,
                            const char        *suffix)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(ClaveCertProof) proof = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  g_autofree char *id = NULL;
  g_autofree char *hint = NULL;
  const char *phone = NULL, *code = NULL;
  gint64 now = _clave_server_now ();

  /* The body first: a malformed request costs nothing, not even the
   * challenge of its proof. */
  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  if (change_id == NULL)
    {
      proof = _clave_cert_proof_read (body, &error);
      if (proof == NULL)
        {
          clave_http_reply_gerror (msg, error);
          return;
        }
      if (!clave_http_member_string (msg, body, "phone", &phone))
        return;
      if (!_clave_routes_phone_is_valid (phone))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PHONE,
                                  "The phone must be in E.164 form: + and 8 to 15 digits.");
          return;
        }
    }
  else if (g_str_equal (suffix, "/verify"))
    {
      if (!clave_http_member_string (msg, body, "code", &code))
        return;
      if (!_clave_codes_is_code (code))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The code must be 6 digits.");
          return;
        }
    }

  device = authenticate (self, msg);
  if (device == NULL)
    return;

  if (change_id == NULL)
    {
      id = clave_account_start_phone_change (self, device, proof, phone, now, &sent, &error);
      if (id != NULL)
        _clave_routes_reply_code_sent (msg, SOUP_STATUS_CREATED, id, &sent);
    }
  else if (code == NULL)
    {
      if (clave_account_resend_phone_code (self, device, change_id, now, &sent, &error))
        _clave_routes_reply_code_sent (msg, SOUP_STATUS_OK, NULL, &sent);
    }
  else
    {
      hint = clave_account_confirm_phone_change (self, device, change_id, code, now, &error);
      if (hint != NULL)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "phone");
          json_builder_add_string_value (builder, hint);
          json_builder_end_object (builder);
          clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
        }
    }
  if (error != NULL)
    clave_http_reply_gerror (msg, error);
}

gboolean
_clave_routes_read_contrast (SoupServerMessage  *msg,
                             JsonObject         *body,
                             const char        **kind,
                             const char        **value)
{
  JsonObject *contrast;

  return clave_http_member_object (msg, body, "contrast", &contrast) &&
         clave_http_member_string (msg, contrast, "kind", kind) &&
         clave_http_member_string (msg, contrast, "value", value);
}

static void
reply_email_sent (SoupServerMessage   *msg,
                  const ClaveCodeSent *sent)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sent");
  json_builder_add_boolean_value (builder, TRUE);
  _clave_routes_add_code_sent (builder, sent);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* The address as the service keeps it: the domain in lower case (it is
 * not case-sensitive; the local part may be). */
static char *
normalize_email (const char *email)
{
  const char *at = strrchr (email, '@');
  g_autofree char *domain = g_ascii_strdown (at + 1, -1);

  return g_strdup_printf ("%.*s@%s", (int) (at - email), email, domain);
}

void
_clave_routes_email_change (ClaveServer       *self,
                            SoupServerMessage *msg,
                            const char        *change_id,
                            const char        *suffix)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  g_autofree char *id = NULL;
  g_autofree char *email = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *source = NULL;
  const char *kind = NULL, *value = NULL, *address = NULL, *code = NULL;
  gint64 now = _clave_server_now ();

  /* The body first: a malformed request costs no identification attempt. */
  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  if (change_id == NULL)
    {
      if (!_clave_routes_read_contrast (msg, body, &kind, &value))
        return;
    }
  else if (g_str_equal (suffix, "/code"))
    {
      if (!clave_http_member_string (msg, body, "email", &address))
        return;
      if (!_clave_routes_email_is_valid (address))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_EMAIL,
                                  "The e-mail address is not valid.");
          return;
        }
      email = normalize_email (address);
    }
  else
    {
      if (!clave_http_member_string (msg, body, "code", &code))
        return;
      if (!_clave_codes_is_code (code))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The code must be 6 digits.");
          return;
        }
    }

  device = authenticate (self, msg);
  if (device == NULL)
    return;

  if (change_id == NULL)
    {
      source = _clave_identify_source_for_device (device->id);
      id = clave_account_start_email_change (self, device, kind, value, source, now, &error);
      if (id != NULL)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, id);
          json_builder_end_object (builder);
          clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
        }
    }
  else if (email != NULL)
    {
      if (clave_account_send_email_code (self, device, change_id, email, now, &sent, &error))
        reply_email_sent (msg, &sent);
    }
  else
    {
      changed = clave_account_confirm_email_change (self, device, change_id, code, now, &error);
      if (changed != NULL)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "email");
          json_builder_add_string_value (builder, changed);
          json_builder_end_object (builder);
          clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
        }
    }
  if (error != NULL)
    clave_http_reply_gerror (msg, error);
}
