/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-account.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

gboolean
clave_account_get (ClaveServer              *server,
                   const ClaveDeviceRecord  *device,
                   ClaveIdentity           **identity_out,
                   ClaveCitizen            **citizen_out,
                   GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;

  identity = clave_store_get_identity (server->store, device->document, &local_error);
  if (identity != NULL)
    citizen = clave_store_get_citizen (server->store, device->document, &local_error);
  if (local_error != NULL)
    return clave_protocol_error_set_internal (error, local_error);
  if (identity == NULL || citizen == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,
                           "This device is no longer active.");
      return FALSE;
    }
  *identity_out = g_steal_pointer (&identity);
  *citizen_out = g_steal_pointer (&citizen);
  return TRUE;
}

gboolean
clave_account_deactivate_device (ClaveServer              *server,
                                 const ClaveDeviceRecord  *device,
                                 gint64                    now,
                                 GError                  **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!clave_store_deactivate_device (server->store, device->id, now, &local_error))
    return clave_protocol_error_set_internal (error, local_error);

  clave_device_keys_forget (_clave_device_keys (server), device->id);
  g_info ("Device %s signed out", device->id);
  _clave_push_check_devices (server, device->document);
  return TRUE;
}

gboolean
clave_account_give_up (ClaveServer              *server,
                       const ClaveDeviceRecord  *device,
                       gint64                    now,
                       GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) devices = NULL;

  devices = clave_store_list_devices (server->store, device->document, &local_error);
  if (devices == NULL)
    return clave_protocol_error_set_internal (error, local_error);

  if (!clave_store_give_up (server->store, device->document, now, &local_error))
    {
      /* Given up meanwhile, from another request of this device. */
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        {
          g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                               CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,
                               "This device is no longer active.");
          return FALSE;
        }
      return clave_protocol_error_set_internal (error, local_error);
    }

  for (guint i = 0; i < devices->len; i++)
    clave_device_keys_forget (_clave_device_keys (server),
                              ((ClaveDeviceRecord *) g_ptr_array_index (devices, i))->id);
  g_info ("A citizen gave up Cl@ve (device %s)", device->id);
  _clave_push_check_devices (server, device->document);
  _clave_rp_waiters_wake_gone (server);
  return TRUE;
}

gboolean
clave_account_raise_level (ClaveServer              *server,
                           const ClaveDeviceRecord  *device,
                           ClaveCertProof           *proof,
                           gint64                    now,
                           GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveX509Identity) holder = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!clave_account_get (server, device, &identity, &citizen, error))
    return FALSE;
  if (g_strcmp0 (citizen->level, CLAVE_LEVEL_ADVANCED) == 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_ADVANCED,
                           "This registration is already at the advanced level.");
      return FALSE;
    }

  holder = _clave_cert_proof_verify (server, proof, CLAVE_PROOF_PURPOSE_LEVEL, now, error);
  if (holder == NULL)
    return FALSE;
  /* Both are normalised DNI/NIE: a plain comparison is exact. */
  if (g_strcmp0 (holder->document, citizen->document) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_IDENTITY_MISMATCH,
                           "The certificate belongs to another person than this device's.");
      return FALSE;
    }

  /* Only the level changes, and only from basic. */
  if (!clave_store_change_level (server->store, citizen->document, CLAVE_LEVEL_BASIC,
                                 CLAVE_LEVEL_ADVANCED, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_ADVANCED,
                             "This registration is already at the advanced level.");
      else if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,
                             "This device is no longer active.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return FALSE;
    }

  g_info ("Level raised to advanced with a %s (device %s)",
          holder->dnie_style ? "DNIe" : "certificate", device->id);
  return TRUE;
}

/* The certificate or DNIe proof of @purpose names @citizen. */
static gboolean
proof_names (ClaveServer         *server,
             ClaveCertProof      *proof,
             const char          *purpose,
             const ClaveCitizen  *citizen,
             gint64               now,
             GError             **error)
{
  g_autoptr(ClaveX509Identity) holder = NULL;

  holder = _clave_cert_proof_verify (server, proof, purpose, now, error);
  if (holder == NULL)
    return FALSE;
  /* Both are normalised DNI/NIE: a plain comparison is exact. */
  if (g_strcmp0 (holder->document, citizen->document) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_IDENTITY_MISMATCH,
                           "The certificate belongs to another person than this device's.");
      return FALSE;
    }
  return TRUE;
}

static ClaveCodeHolder
change_holder (const ClavePhoneChangeRecord *change)
{
  return (ClaveCodeHolder) {
    .flow = CLAVE_CODE_FLOW_PHONE_CHANGE,
    .id = change->id,
    .document = change->document,
    .phone = change->phone,
    .code = &change->code,
  };
}

char *
clave_account_start_phone_change (ClaveServer              *server,
                                  const ClaveDeviceRecord  *device,
                                  ClaveCertProof           *proof,
                                  const char               *phone,
                                  gint64                    now,
                                  ClaveCodeSent            *sent,
                                  GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveCitizen) owner = NULL;
  g_autoptr(ClavePhoneChangeRecord) change = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *random_id = NULL;
  ClaveCodeHolder holder;

  if (!clave_account_get (server, device, &identity, &citizen, error))
    return NULL;
  if (g_strcmp0 (citizen->phone, phone) == 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_SAME_PHONE,
                           "This is already the phone of this registration.");
      return NULL;
    }
  if (!proof_names (server, proof, CLAVE_PROOF_PURPOSE_PHONE, citizen, now, error))
    return NULL;

  owner = clave_store_get_citizen_by_phone (server->store, phone, &local_error);
  if (owner == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (owner != NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_PHONE_IN_USE,
                           "This phone belongs to another person registered in Cl@ve.");
      return NULL;
    }

  random_id = clave_random_token (16);
  change = g_new0 (ClavePhoneChangeRecord, 1);
  change->id = g_strconcat ("chg_", random_id, NULL);
  change->document = g_strdup (citizen->document);
  change->phone = g_strdup (phone);
  change->created_at = now;
  change->expires_at = now + CLAVE_REGISTRATION_TTL_SECS;
  change->state = CLAVE_REGISTRATION_PENDING;

  /* The limits before anything is stored: a refused change replaces none
   * in progress. */
  if (!_clave_codes_check_wrong_codes (server, citizen->document, now, error) ||
      !_clave_codes_check_person_sends (server, citizen->document, now, error))
    return NULL;
  if (!clave_store_create_phone_change (server->store, change, &local_error))
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  holder = change_holder (change);
  if (!_clave_codes_send (server, &holder, now, sent, error))
    return NULL;
  g_info ("Phone change %s started (device %s)", change->id, device->id);
  return g_steal_pointer (&change->id);
}

/* Change @id when it is @device's citizen's and can still be used. */
static ClavePhoneChangeRecord *
open_change (ClaveServer              *server,
             const ClaveDeviceRecord  *device,
             const char               *id,
             gint64                    now,
             GError                  **error)
{
  g_autoptr(ClavePhoneChangeRecord) change = NULL;
  g_autoptr(GError) local_error = NULL;

  change = clave_store_get_phone_change (server->store, id, &local_error);
  if (change == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  /* Another person's change does not exist for this device. */
  if (change == NULL || g_strcmp0 (change->document, device->document) != 0 ||
      change->state == CLAVE_REGISTRATION_USED || change->state == CLAVE_REGISTRATION_REPLACED)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CHANGE,
                           "There is no such phone change in progress.");
      return NULL;
    }
  if (change->state == CLAVE_REGISTRATION_LOCKED)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_CHANGE_LOCKED,
                           "This phone change is locked after too many wrong codes; start "
                           "again.");
      return NULL;
    }
  if (now >= change->expires_at)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_CHANGE_EXPIRED,
                           "This phone change has expired; start again.");
      return NULL;
    }
  return g_steal_pointer (&change);
}

gboolean
clave_account_resend_phone_code (ClaveServer              *server,
                                 const ClaveDeviceRecord  *device,
                                 const char               *change_id,
                                 gint64                    now,
                                 ClaveCodeSent            *sent,
                                 GError                  **error)
{
  g_autoptr(ClavePhoneChangeRecord) change = open_change (server, device, change_id, now, error);
  ClaveCodeHolder holder;

  if (change == NULL)
    return FALSE;
  holder = change_holder (change);
  return _clave_codes_send (server, &holder, now, sent, error);
}

char *
clave_account_confirm_phone_change (ClaveServer              *server,
                                    const ClaveDeviceRecord  *device,
                                    const char               *change_id,
                                    const char               *code,
                                    gint64                    now,
                                    GError                  **error)
{
  g_autoptr(ClavePhoneChangeRecord) change = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *notice = NULL;
  gint64 notice_id = 0;
  ClaveCodeHolder holder;

  change = open_change (server, device, change_id, now, error);
  if (change == NULL || !clave_account_get (server, device, &identity, &citizen, error))
    return NULL;
  holder = change_holder (change);
  if (!_clave_codes_verify (server, &holder, code, CLAVE_PROTOCOL_ERROR_CHANGE_LOCKED, now,
                            error))
    return NULL;

  hint = clave_phone_hint (change->phone);
  /* Written for the person who may not have asked for it. */
  notice = g_strdup_printf ("Cl@ve: el teléfono de su registro se ha cambiado por el "
                            "terminado en %s. Si no ha sido usted, acuda a una oficina de "
                            "registro de Cl@ve.", hint + strlen (hint) - MIN (strlen (hint), 3));
  if (!clave_store_complete_phone_change (server->store, change->id, citizen->phone, notice, now,
                                          &notice_id, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_PHONE_IN_USE,
                             "This phone belongs to another person registered in Cl@ve.");
      else if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CHANGE,
                             "There is no such phone change in progress.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  clave_sms_sender_dispatch (server->sms, notice_id, citizen->phone, notice);
  g_info ("Phone changed through %s (device %s)", change->id, device->id);
  return g_steal_pointer (&hint);
}
