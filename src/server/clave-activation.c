/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-activation.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-protocol.h"
#include "clave-server-private.h"
#include "clave-x509.h"

void
clave_activation_start_free (ClaveActivationStart *start)
{
  if (start == NULL)
    return;
  g_free (start->id);
  clave_secret_free (start->token);
  g_free (start->phone_hint);
  g_free (start);
}

ClaveActivationStart *
_clave_activation_prepare (const char              *document,
                           const char              *phone,
                           ClaveActivationState     state,
                           gint64                   now,
                           ClaveActivationRecord  **record_out)
{
  g_autoptr(ClaveActivationStart) start = g_new0 (ClaveActivationStart, 1);
  g_autofree char *random_id = clave_random_token (16);
  ClaveActivationRecord *record;

  start->id = g_strconcat ("act_", random_id, NULL);
  start->token = clave_random_token (32);
  start->expires_in = CLAVE_ACTIVATION_TTL_SECS;
  start->phone_hint = clave_phone_hint (phone);

  record = g_new0 (ClaveActivationRecord, 1);
  record->id = g_strdup (start->id);
  record->token_hash = clave_sha256_hex (start->token, strlen (start->token));
  record->document = g_strdup (document);
  record->created_at = now;
  record->expires_at = now + CLAVE_ACTIVATION_TTL_SECS;
  record->state = state;
  *record_out = record;
  return g_steal_pointer (&start);
}

ClaveActivationStart *
clave_activation_start (ClaveServer  *server,
                        const char   *document,
                        const char   *contrast_kind,
                        const char   *contrast_value,
                        const char   *source,
                        gint64        now,
                        GError      **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveActivationRecord) record = NULL;
  g_autoptr(ClaveActivationStart) start = NULL;
  g_autoptr(GError) local_error = NULL;

  identity = _clave_identify (server, document, contrast_kind, contrast_value, source, now,
                              error);
  if (identity == NULL)
    return NULL;

  citizen = clave_store_get_citizen (server->store, identity->document, &local_error);
  if (citizen == NULL)
    {
      if (local_error != NULL)
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  /* Only someone with the right contrast data learns of this limit. */
  if (!_clave_codes_check_wrong_codes (server, citizen->document, now, error))
    return NULL;

  start = _clave_activation_prepare (citizen->document, citizen->phone,
                                     CLAVE_ACTIVATION_PENDING, now, &record);
  /* Without trust anchors no certificate could ever be accepted. */
  start->certificate_allowed = _clave_server_has_trust_anchors (server);

  if (!clave_store_create_activation (server->store, record, &local_error))
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  return g_steal_pointer (&start);
}

ClaveActivationRecord *
clave_activation_open (ClaveServer  *server,
                       const char   *id,
                       const char   *token,
                       gint64        now,
                       GError      **error)
{
  static const ClaveFlowErrors errors = {
    CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION, CLAVE_PROTOCOL_ERROR_ACTIVATION_LOCKED,
    CLAVE_PROTOCOL_ERROR_ACTIVATION_EXPIRED, "activation",
  };
  g_autoptr(ClaveActivationRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveFlowState state = { NULL, };

  record = clave_store_get_activation (server->store, id, &local_error);
  if (record == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
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

  if (!_clave_flow_authorize (token, &state, &errors, now, error))
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
    .to = phone,
    .code = &record->code,
  };
}

gboolean
clave_activation_send_code (ClaveServer            *server,
                            ClaveActivationRecord  *activation,
                            gint64                  now,
                            ClaveCodeSent          *sent,
                            GError                **error)
{
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveActivationRecord) fresh = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveActivationRecord swap;
  ClaveCodeHolder holder;

  citizen = clave_store_get_citizen (server->store, activation->document, &local_error);
  if (citizen == NULL)
    {
      /* The registration was taken back since the activation began. */
      if (local_error != NULL)
        return clave_protocol_error_set_internal (error, local_error);
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                           "Unknown activation or wrong activation token.");
      return FALSE;
    }

  holder = code_holder (activation, citizen->phone);
  if (!_clave_codes_send (server, &holder, now, sent, error))
    return FALSE;

  /* The caller's record as the store now has it (the new code). */
  fresh = clave_store_get_activation (server->store, activation->id, &local_error);
  if (fresh == NULL)
    return clave_protocol_error_set_internal (error, local_error);
  swap = *activation;
  *activation = *fresh;
  *fresh = swap;
  return TRUE;
}

/* The second factor is proven: the activation may register a device. */
static gboolean
mark_verified (ClaveServer            *server,
               ClaveActivationRecord  *activation,
               GError                **error)
{
  g_autoptr(GError) local_error = NULL;

  if (activation->state == CLAVE_ACTIVATION_PENDING &&
      !clave_store_set_activation_state (server->store, activation->id,
                                         CLAVE_ACTIVATION_VERIFIED, &local_error))
    return clave_protocol_error_set_internal (error, local_error);
  activation->state = CLAVE_ACTIVATION_VERIFIED;
  return TRUE;
}

gboolean
clave_activation_verify_code (ClaveServer            *server,
                              ClaveActivationRecord  *activation,
                              const char             *code,
                              gint64                  now,
                              GError                **error)
{
  ClaveCodeHolder holder = code_holder (activation, NULL);

  if (!_clave_codes_verify (server, &holder, code, CLAVE_PROTOCOL_ERROR_ACTIVATION_LOCKED, now,
                            error))
    return FALSE;
  return mark_verified (server, activation, error);
}

const char *
clave_activation_verify_certificate (ClaveServer            *server,
                                     ClaveActivationRecord  *activation,
                                     ClaveCertProof         *proof,
                                     gint64                  now,
                                     GError                **error)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autofree char *purpose = g_strconcat (CLAVE_PROOF_PURPOSE_ACTIVATION, activation->id, NULL);

  identity = _clave_cert_proof_verify (server, proof, purpose, now, error);
  if (identity == NULL)
    return NULL;

  /* Both are normalised DNI/NIE: a plain comparison is exact. */
  if (g_strcmp0 (identity->document, activation->document) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_IDENTITY_MISMATCH,
                           "The certificate belongs to another person than the one "
                           "activating.");
      return NULL;
    }

  if (!mark_verified (server, activation, error))
    return NULL;

  g_info ("Activation verified with a %s", identity->dnie_style ? "DNIe" : "certificate");
  return identity->dnie_style ? CLAVE_METHOD_DNIE : CLAVE_METHOD_CERTIFICATE;
}

/* An ECDSA P-256 key given as base64url SubjectPublicKeyInfo, or NULL. */
static gnutls_pubkey_t
import_key (const char  *base64url,
            GBytes     **der)
{
  g_autoptr(GBytes) bytes = clave_base64url_decode (base64url, NULL);
  gnutls_pubkey_t key;

  /* The import accepts ECDSA P-256 keys only. */
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    return NULL;
  key = clave_pubkey_import_spki (bytes, NULL);
  if (key != NULL)
    *der = g_steal_pointer (&bytes);
  return key;
}

char *
clave_activation_register_device (ClaveServer            *server,
                                  ClaveActivationRecord  *activation,
                                  const char             *public_key_in,
                                  const char             *proof_in,
                                  const char             *push_key_in,
                                  const char             *name,
                                  gint64                  now,
                                  GError                **error)
{
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) push_key = NULL;
  g_autoptr(GBytes) proof = NULL;
  g_autoptr(GBytes) signed_data = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autofree char *random_id = NULL;
  g_auto(gnutls_pubkey_t) key = NULL;

  if (activation->state != CLAVE_ACTIVATION_VERIFIED)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                           CLAVE_PROTOCOL_ERROR_ACTIVATION_NOT_VERIFIED,
                           "Verify the SMS code or a certificate before registering the "
                           "device.");
      return NULL;
    }

  key = import_key (public_key_in, &public_key);
  if (key == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_PUBLIC_KEY,
                           "public_key must be a base64url SubjectPublicKeyInfo of an "
                           "ECDSA P-256 key.");
      return NULL;
    }

  /* The push key (docs/protocol.md "Push key") is optional; when given it
   * must be a key of the same kind, distinct from the device key. */
  if (push_key_in != NULL)
    {
      g_auto(gnutls_pubkey_t) push = import_key (push_key_in, &push_key);

      if (push == NULL || g_bytes_equal (push_key, public_key))
        {
          g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                               CLAVE_PROTOCOL_ERROR_INVALID_PUBLIC_KEY,
                               "push_key must be a base64url SubjectPublicKeyInfo of another "
                               "ECDSA P-256 key.");
          return NULL;
        }
    }

  signed_data = clave_registration_proof_data (activation->id);
  proof = clave_base64url_decode (proof_in, NULL);
  if (proof == NULL || g_bytes_get_size (proof) != 64 ||
      !clave_ecdsa_verify (key, signed_data, proof, NULL))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_PROOF,
                           "The proof is not a signature of this activation by this key.");
      return NULL;
    }

  random_id = clave_random_token (16);
  device = g_new0 (ClaveDeviceRecord, 1);
  device->id = g_strconcat ("dev_", random_id, NULL);
  device->document = g_strdup (activation->document);
  device->public_key = g_bytes_ref (public_key);
  device->push_key = push_key != NULL ? g_bytes_ref (push_key) : NULL;
  device->name = g_strstrip (g_strdup (name));
  device->created_at = now;

  if (!clave_store_register_device (server->store, activation->id, device, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                             CLAVE_PROTOCOL_ERROR_ACTIVATION_NOT_VERIFIED,
                             "Verify the SMS code before registering the device.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  g_info ("Activated device %s", device->id);
  activation->state = CLAVE_ACTIVATION_USED;
  /* The citizen's previous device is deactivated: its push channel hears
   * of it. */
  _clave_push_check_devices (server, device->document);
  return g_strdup (device->id);
}
