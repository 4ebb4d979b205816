/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-codes.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-cert-proof.h"
#include "clave-server-private.h"
#include "clave-x509.h"

/* Step 1: POST /v1/identify ------------------------------------------------ */

static void
reply_activation (ClaveServer        *self,
                  SoupServerMessage  *msg,
                  const ClaveCitizen *citizen,
                  gint64              now)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(ClaveActivationRecord) record = g_new0 (ClaveActivationRecord, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *random_id = clave_random_token (16);
  g_autofree char *hint = clave_phone_hint (citizen->phone);
  char *token = clave_random_token (32);

  record->id = g_strconcat ("act_", random_id, NULL);
  record->token_hash = clave_sha256_hex (token, strlen (token));
  record->document = g_strdup (citizen->document);
  record->created_at = now;
  record->expires_at = now + CLAVE_ACTIVATION_TTL_SECS;
  record->state = CLAVE_ACTIVATION_PENDING;

  if (!clave_store_create_activation (self->store, record, &error))
    {
      clave_secret_free (token);
      clave_http_reply_internal (msg, error);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "registered");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "activation");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, record->id);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, CLAVE_ACTIVATION_TTL_SECS);
  json_builder_set_member_name (builder, "methods");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, CLAVE_METHOD_SMS);
  /* Without trust anchors no certificate could ever be accepted. */
  if (_clave_server_has_trust_anchors (self))
    json_builder_add_string_value (builder, CLAVE_METHOD_CERTIFICATE);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "phone_hint");
  json_builder_add_string_value (builder, hint);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  clave_secret_free (token);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

void
_clave_routes_identify (ClaveServer       *self,
                        SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autofree char *source = NULL;
  JsonObject *contrast;
  const char *document_in, *kind_in, *value_in;
  gint64 now = _clave_server_now ();

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  if (!clave_http_member_string (msg, body, "document", &document_in) ||
      !clave_http_member_object (msg, body, "contrast", &contrast) ||
      !clave_http_member_string (msg, contrast, "kind", &kind_in) ||
      !clave_http_member_string (msg, contrast, "value", &value_in))
    return;

  source = _clave_identify_source_for_address (soup_server_message_get_remote_host (msg));
  identity = _clave_identify (self, document_in, kind_in, value_in, source, now, &error);
  if (identity == NULL)
    {
      _clave_http_reply_gerror (msg, error);
      return;
    }

  citizen = clave_store_get_citizen (self->store, identity->document, &error);
  if (citizen == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
      return;
    }

  if (citizen == NULL)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "registered");
      json_builder_add_boolean_value (builder, FALSE);
      json_builder_end_object (builder);
      clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
      return;
    }

  /* Only someone with the right contrast data learns of this limit. */
  if (!_clave_codes_check_wrong_codes (self, msg, citizen->document, now))
    return;

  reply_activation (self, msg, citizen, now);
}

/* Steps 2 to 4: /v1/activations/{id}/... -------------------------------------- */

/* The activation named in the path, if the bearer token opens it and it
 * can still be used; NULL after answering the error. */
static ClaveActivationRecord *
authorize_activation (ClaveServer       *self,
                      SoupServerMessage *msg,
                      const char        *id,
                      gint64             now)
{
  static const ClaveFlowErrors errors = {
    CLAVE_ERR_INVALID_ACTIVATION, CLAVE_ERR_ACTIVATION_LOCKED, CLAVE_ERR_ACTIVATION_EXPIRED,
    "activation",
  };
  g_autoptr(ClaveActivationRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  ClaveFlowState state = { NULL, };

  record = clave_store_get_activation (self->store, id, &error);
  if (record == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
      return NULL;
    }
  if (record != NULL)
    {
      state.stored_token_hash = record->token_hash;
      state.closed = record->state == CLAVE_ACTIVATION_USED ||
                     record->state == CLAVE_ACTIVATION_REPLACED;
      state.locked = record->state == CLAVE_ACTIVATION_LOCKED;
      state.expires_at = record->expires_at;
    }

  if (!_clave_flow_authorize (msg, &state, &errors, now))
    return NULL;
  return g_steal_pointer (&record);
}

static ClaveCodeHolder
code_holder (const ClaveActivationRecord *record,
             const char                  *phone)
{
  return (ClaveCodeHolder) {
    .flow = CLAVE_CODE_FLOW_ACTIVATION,
    .id = record->id,
    .document = record->document,
    .phone = phone,
    .code_hmac = record->code_hmac,
    .code_expires_at = record->code_expires_at,
    .sends = record->sends,
    .last_sent_at = record->last_sent_at,
  };
}

static void
step_send_sms (ClaveServer           *self,
               SoupServerMessage     *msg,
               ClaveActivationRecord *record,
               gint64                 now)
{
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  ClaveCodeHolder holder;

  citizen = clave_store_get_citizen (self->store, record->document, &error);
  if (citizen == NULL)
    {
      if (error != NULL)
        clave_http_reply_internal (msg, error);
      else
        clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION,
                                "Unknown activation or wrong activation token.");
      return;
    }

  holder = code_holder (record, citizen->phone);
  if (!_clave_codes_send (self, msg, &holder, now))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sent");
  json_builder_add_boolean_value (builder, TRUE);
  _clave_codes_add_sent_members (self, builder, citizen->phone, record->sends + 1);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
reply_verified (SoupServerMessage *msg,
                const char        *method)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "verified");
  json_builder_add_boolean_value (builder, TRUE);
  if (method != NULL)
    {
      json_builder_set_member_name (builder, "method");
      json_builder_add_string_value (builder, method);
    }
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* The second factor is proven: the activation may register a device. */
static gboolean
mark_verified (ClaveServer           *self,
               SoupServerMessage     *msg,
               ClaveActivationRecord *record)
{
  g_autoptr(GError) error = NULL;

  if (record->state == CLAVE_ACTIVATION_PENDING &&
      !clave_store_set_activation_state (self->store, record->id,
                                         CLAVE_ACTIVATION_VERIFIED, &error))
    {
      clave_http_reply_internal (msg, error);
      return FALSE;
    }
  return TRUE;
}

static void
step_verify (ClaveServer           *self,
             SoupServerMessage     *msg,
             ClaveActivationRecord *record,
             const char            *code,
             gint64                 now)
{
  ClaveCodeHolder holder = code_holder (record, NULL);

  if (!_clave_codes_verify (self, msg, &holder, code, CLAVE_ERR_ACTIVATION_LOCKED, now))
    return;
  if (!mark_verified (self, msg, record))
    return;
  reply_verified (msg, NULL);
}

static void
step_certificate (ClaveServer           *self,
                  SoupServerMessage     *msg,
                  ClaveActivationRecord *record,
                  ClaveCertProof        *proof,
                  gint64                 now)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autofree char *purpose = g_strconcat (CLAVE_PROOF_PURPOSE_ACTIVATION, record->id, NULL);

  identity = _clave_cert_proof_verify (self, msg, proof, purpose, now);
  if (identity == NULL)
    return;

  /* Both are normalised DNI/NIE: a plain comparison is exact. */
  if (g_strcmp0 (identity->document, record->document) != 0)
    {
      clave_http_reply_error (msg, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_IDENTITY_MISMATCH,
                              "The certificate belongs to another person than the one "
                              "activating.");
      return;
    }

  if (!mark_verified (self, msg, record))
    return;

  g_info ("Activation verified with a %s", identity->dnie_style ? "DNIe" : "certificate");
  reply_verified (msg, identity->dnie_style ? CLAVE_METHOD_DNIE : CLAVE_METHOD_CERTIFICATE);
}

static gboolean
name_is_acceptable (const char *name)
{
  g_autofree char *stripped = g_strstrip (g_strdup (name));

  if (*stripped == '\0' || g_utf8_strlen (name, -1) > CLAVE_DEVICE_NAME_MAX)
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static void
step_register_device (ClaveServer           *self,
                      SoupServerMessage     *msg,
                      ClaveActivationRecord *record,
                      const char            *public_key_in,
                      const char            *proof_in,
                      const char            *name,
                      const char            *push_key_in,
                      gint64                 now)
{
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) push_key = NULL;
  g_autoptr(GBytes) proof = NULL;
  g_autoptr(GBytes) signed_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *random_id = NULL;
  g_auto(gnutls_pubkey_t) key = NULL;

  if (record->state != CLAVE_ACTIVATION_VERIFIED)
    {
      clave_http_reply_error (msg, SOUP_STATUS_CONFLICT, CLAVE_ERR_ACTIVATION_NOT_VERIFIED,
                              "Verify the SMS code or a certificate before registering the "
                              "device.");
      return;
    }

  public_key = clave_base64url_decode (public_key_in, NULL);
  if (public_key != NULL && g_bytes_get_size (public_key) > 0)
    key = clave_pubkey_import_spki (public_key, NULL);
  /* The import accepts ECDSA P-256 keys only. */
  if (key == NULL)
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PUBLIC_KEY,
                              "public_key must be a base64url SubjectPublicKeyInfo of an "
                              "ECDSA P-256 key.");
      return;
    }

  /* The push key (docs/protocol.md "Push key") is optional; when given it
   * must be a key of the same kind, distinct from the device key. */
  if (push_key_in != NULL)
    {
      g_auto(gnutls_pubkey_t) push = NULL;

      push_key = clave_base64url_decode (push_key_in, NULL);
      if (push_key != NULL && g_bytes_get_size (push_key) > 0)
        push = clave_pubkey_import_spki (push_key, NULL);
      if (push == NULL || g_bytes_equal (push_key, public_key))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PUBLIC_KEY,
                                  "push_key must be a base64url SubjectPublicKeyInfo of another "
                                  "ECDSA P-256 key.");
          return;
        }
    }

  signed_data = clave_registration_proof_data (record->id);
  proof = clave_base64url_decode (proof_in, NULL);
  if (proof == NULL || g_bytes_get_size (proof) != 64 ||
      !clave_ecdsa_verify (key, signed_data, proof, NULL))
    {
      clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_PROOF,
                              "The proof is not a signature of this activation by this key.");
      return;
    }

  random_id = clave_random_token (16);
  device = g_new0 (ClaveDeviceRecord, 1);
  device->id = g_strconcat ("dev_", random_id, NULL);
  device->document = g_strdup (record->document);
  device->public_key = g_bytes_ref (public_key);
  device->push_key = push_key != NULL ? g_bytes_ref (push_key) : NULL;
  device->name = g_strstrip (g_strdup (name));
  device->created_at = now;

  if (!clave_store_register_device (self->store, record->id, device, &error))
    {
      if (g_error_matches (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        clave_http_reply_error (msg, SOUP_STATUS_CONFLICT, CLAVE_ERR_ACTIVATION_NOT_VERIFIED,
                                "Verify the SMS code before registering the device.");
      else
        clave_http_reply_internal (msg, error);
      return;
    }

  g_info ("Activated device %s", device->id);
  /* The citizen's previous device is deactivated: its push channel hears
   * of it. */
  _clave_push_check_devices (self, device->document);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, device->id);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
}

void
_clave_routes_activation (ClaveServer         *self,
                          SoupServerMessage   *msg,
                          const char          *activation_id,
                          ClaveActivationStep  step)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveActivationRecord) record = NULL;
  g_autoptr(ClaveCertProof) cert_proof = NULL;
  const char *code = NULL, *public_key = NULL, *proof = NULL, *name = NULL;
  const char *push_key = NULL;
  gint64 now = _clave_server_now ();

  /* The body is checked first: it is bounded and cheap, and a malformed
   * request should not cost the caller anything (a wrong code would). */
  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;

  switch (step)
    {
    case CLAVE_ACTIVATION_STEP_SMS:
      break;
    case CLAVE_ACTIVATION_STEP_VERIFY:
      if (!clave_http_member_string (msg, body, "code", &code))
        return;
      if (!_clave_codes_is_code (code))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The code must be 6 digits.");
          return;
        }
      break;
    case CLAVE_ACTIVATION_STEP_DEVICE:
      if (!clave_http_member_string (msg, body, "public_key", &public_key) ||
          !clave_http_member_string (msg, body, "proof", &proof) ||
          !clave_http_member_string (msg, body, "name", &name))
        return;
      if (json_object_has_member (body, "push_key") &&
          !clave_http_member_string (msg, body, "push_key", &push_key))
        return;
      if (!name_is_acceptable (name))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The device name must be 1 to 200 printable characters.");
          return;
        }
      break;
    case CLAVE_ACTIVATION_STEP_CERTIFICATE:
      cert_proof = _clave_cert_proof_parse (msg, body);
      if (cert_proof == NULL)
        return;
      break;
    default:
      g_assert_not_reached ();
    }

  record = authorize_activation (self, msg, activation_id, now);
  if (record == NULL)
    return;

  switch (step)
    {
    case CLAVE_ACTIVATION_STEP_SMS:
      step_send_sms (self, msg, record, now);
      break;
    case CLAVE_ACTIVATION_STEP_VERIFY:
      step_verify (self, msg, record, code, now);
      break;
    case CLAVE_ACTIVATION_STEP_DEVICE:
      step_register_device (self, msg, record, public_key, proof, name, push_key, now);
      break;
    case CLAVE_ACTIVATION_STEP_CERTIFICATE:
      step_certificate (self, msg, record, cert_proof, now);
      break;
    default:
      g_assert_not_reached ();
    }
}
