/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-account.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-identify.h"
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
change_holder (const ClaveContactChangeRecord *change,
               const char                     *to)
{
  return (ClaveCodeHolder) {
    .flow = change->kind == CLAVE_CONTACT_EMAIL ? CLAVE_CODE_FLOW_EMAIL_CHANGE
                                                : CLAVE_CODE_FLOW_PHONE_CHANGE,
    .id = change->id,
    .document = change->document,
    .to = to,
    .code = &change->code,
  };
}

/* A new pending change of @kind for @citizen, stored after the limits
 * were checked (a refused change replaces none in progress). */
static ClaveContactChangeRecord *
create_change (ClaveServer         *server,
               const ClaveCitizen  *citizen,
               ClaveContactKind     kind,
               const char          *value,
               gint64               now,
               GError             **error)
{
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *random_id = clave_random_token (16);

  change = g_new0 (ClaveContactChangeRecord, 1);
  change->kind = kind;
  change->id = g_strconcat (kind == CLAVE_CONTACT_EMAIL ? "eml_" : "chg_", random_id, NULL);
  change->document = g_strdup (citizen->document);
  change->value = g_strdup (value);
  change->created_at = now;
  change->expires_at = now + CLAVE_REGISTRATION_TTL_SECS;
  change->state = CLAVE_REGISTRATION_PENDING;

  if (!_clave_codes_check_wrong_codes (server, citizen->document, now, error) ||
      !_clave_codes_check_person_sends (server, citizen->document,
                                        kind == CLAVE_CONTACT_EMAIL ? CLAVE_OUTBOX_EMAIL
                                                                    : CLAVE_OUTBOX_SMS,
                                        now, error))
    return NULL;
  if (!clave_store_create_contact_change (server->store, change, &local_error))
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  return g_steal_pointer (&change);
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
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(GError) local_error = NULL;
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

  change = create_change (server, citizen, CLAVE_CONTACT_PHONE, phone, now, error);
  if (change == NULL)
    return NULL;

  holder = change_holder (change, change->value);
  if (!_clave_codes_send (server, &holder, now, sent, error))
    return NULL;
  g_info ("Phone change %s started (device %s)", change->id, device->id);
  return g_steal_pointer (&change->id);
}

/* Change @id of @kind when it is @device's citizen's and can still be
 * used. */
static ClaveContactChangeRecord *
open_change (ClaveServer              *server,
             const ClaveDeviceRecord  *device,
             ClaveContactKind          kind,
             const char               *id,
             gint64                    now,
             GError                  **error)
{
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *noun = kind == CLAVE_CONTACT_EMAIL ? "e-mail" : "phone";

  change = clave_store_get_contact_change (server->store, kind, id, &local_error);
  if (change == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  /* Another person's change does not exist for this device. */
  if (change == NULL || g_strcmp0 (change->document, device->document) != 0 ||
      change->state == CLAVE_REGISTRATION_USED || change->state == CLAVE_REGISTRATION_REPLACED)
    {
      g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CHANGE,
                   "There is no such %s change in progress.", noun);
      return NULL;
    }
  if (change->state == CLAVE_REGISTRATION_LOCKED)
    {
      g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_CHANGE_LOCKED,
                   "This %s change is locked after too many wrong codes; start again.", noun);
      return NULL;
    }
  if (now >= change->expires_at)
    {
      g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_CHANGE_EXPIRED,
                   "This %s change has expired; start again.", noun);
      return NULL;
    }
  return g_steal_pointer (&change);
}

/* The change @change_id of @kind when @code is its current code, with
 * the citizen whose it is; see _clave_codes_verify() for the refusals. */
static ClaveContactChangeRecord *
open_and_check_code (ClaveServer              *server,
                     const ClaveDeviceRecord  *device,
                     ClaveContactKind          kind,
                     const char               *change_id,
                     const char               *code,
                     gint64                    now,
                     ClaveCitizen            **citizen,
                     GError                  **error)
{
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  ClaveCodeHolder holder;

  change = open_change (server, device, kind, change_id, now, error);
  if (change == NULL || !clave_account_get (server, device, &identity, citizen, error))
    return NULL;
  holder = change_holder (change, change->value);
  if (!_clave_codes_verify (server, &holder, code, CLAVE_PROTOCOL_ERROR_CHANGE_LOCKED, now,
                            error))
    return NULL;
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
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  ClaveCodeHolder holder;

  change = open_change (server, device, CLAVE_CONTACT_PHONE, change_id, now, error);
  if (change == NULL)
    return FALSE;
  holder = change_holder (change, change->value);
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
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *notice = NULL;
  gint64 notice_id = 0;

  change = open_and_check_code (server, device, CLAVE_CONTACT_PHONE, change_id, code, now,
                                &citizen, error);
  if (change == NULL)
    return NULL;

  hint = clave_phone_hint (change->value);
  /* Written for the person who may not have asked for it. */
  notice = g_strdup_printf ("Cl@ve: el teléfono de su registro se ha cambiado por el "
                            "terminado en %s. Si no ha sido usted, acuda a una oficina de "
                            "registro de Cl@ve.", hint + strlen (hint) - MIN (strlen (hint), 3));
  if (!clave_store_complete_contact_change (server->store, CLAVE_CONTACT_PHONE, change->id,
                                            citizen->phone, notice, now, &notice_id,
                                            &local_error))
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

  clave_outbox_sender_dispatch (server->sms, notice_id, citizen->phone, NULL, notice);
  g_info ("Phone changed through %s (device %s)", change->id, device->id);
  return g_steal_pointer (&hint);
}

char *
clave_account_start_email_change (ClaveServer              *server,
                                  const ClaveDeviceRecord  *device,
                                  const char               *contrast_kind,
                                  const char               *contrast_value,
                                  const char               *source,
                                  gint64                    now,
                                  GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveIdentity) checked = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveContactChangeRecord) change = NULL;

  if (!clave_account_get (server, device, &identity, &citizen, error))
    return NULL;

  /* The document's contrast data, as at identification and with its
   * limits: a device left unlocked is not enough to move the account's
   * e-mail. */
  checked = _clave_identify (server, citizen->document, contrast_kind, contrast_value, source,
                             now, error);
  if (checked == NULL)
    return NULL;

  change = create_change (server, citizen, CLAVE_CONTACT_EMAIL, NULL, now, error);
  if (change == NULL)
    return NULL;
  g_info ("E-mail change %s started (device %s)", change->id, device->id);
  return g_steal_pointer (&change->id);
}

gboolean
clave_account_send_email_code (ClaveServer              *server,
                               const ClaveDeviceRecord  *device,
                               const char               *change_id,
                               const char               *email,
                               gint64                    now,
                               ClaveCodeSent            *sent,
                               GError                  **error)
{
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  ClaveCodeHolder holder;

  change = open_change (server, device, CLAVE_CONTACT_EMAIL, change_id, now, error);
  if (change == NULL || !clave_account_get (server, device, &identity, &citizen, error))
    return FALSE;
  /* Addresses are compared as the service stores them: domains in lower
   * case (the caller normalised @email). */
  if (citizen->email != NULL && g_ascii_strcasecmp (citizen->email, email) == 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_SAME_EMAIL,
                           "This is already the e-mail of this registration.");
      return FALSE;
    }

  /* The address is stored with its code, in one transaction. */
  holder = change_holder (change, email);
  return _clave_codes_send (server, &holder, now, sent, error);
}

/* "m•••@example.org": enough for the owner of the old address to
 * recognise, or not, the new one. */
static char *
email_hint (const char *email)
{
  const char *at = strrchr (email, '@');
  g_autofree char *first = NULL;

  if (at == NULL || at == email)
    return g_strdup ("•••");
  first = g_utf8_substring (email, 0, 1);
  return g_strconcat (first, "•••", at, NULL);
}

char *
clave_account_confirm_email_change (ClaveServer              *server,
                                    const ClaveDeviceRecord  *device,
                                    const char               *change_id,
                                    const char               *code,
                                    gint64                    now,
                                    GError                  **error)
{
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *notice = NULL;
  gint64 notice_id = 0;

  change = open_and_check_code (server, device, CLAVE_CONTACT_EMAIL, change_id, code, now,
                                &citizen, error);
  if (change == NULL)
    return NULL;

  hint = email_hint (change->value);
  notice = g_strdup_printf ("El correo electrónico de su registro en Cl@ve se ha cambiado por "
                            "%s.\n\nSi no ha sido usted, acuda a una oficina de registro de "
                            "Cl@ve.", hint);
  if (!clave_store_complete_contact_change (server->store, CLAVE_CONTACT_EMAIL, change->id,
                                            citizen->email, notice, now, &notice_id,
                                            &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CHANGE,
                             "There is no such e-mail change in progress.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  if (notice_id != 0)
    clave_outbox_sender_dispatch (server->mail, notice_id, citizen->email,
                                  "Cl@ve: su correo electrónico ha cambiado", notice);
  g_info ("E-mail changed through %s (device %s)", change->id, device->id);
  return g_strdup (change->value);
}
