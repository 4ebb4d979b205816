/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-protocol.h"
#include "clave-registration.h"
#include "clave-server-private.h"
#include "clave-x509.h"

void
clave_registration_start_free (ClaveRegistrationStart *start)
{
  if (start == NULL)
    return;
  g_free (start->id);
  clave_secret_free (start->token);
  _clave_code_sent_clear (&start->sent);
  g_free (start->document);
  g_free (start->given_name);
  g_free (start->surnames);
  g_free (start);
}

static ClaveCodeHolder
code_holder (const ClaveRegistrationRecord *record)
{
  return (ClaveCodeHolder) {
    .flow = CLAVE_CODE_FLOW_REGISTRATION,
    .id = record->id,
    .document = record->document,
    .to = record->phone,
    .code = &record->code,
  };
}

gboolean
_clave_registration_check_conflicts (ClaveServer  *self,
                                     const char   *document,
                                     const char   *phone,
                                     GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveCitizen) phone_owner = NULL;

  citizen = clave_store_get_citizen (self->store, document, &local_error);
  if (citizen == NULL && local_error != NULL)
    return clave_protocol_error_set_internal (error, local_error);
  if (citizen != NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_REGISTERED,
                           "This person is already registered in Cl@ve.");
      return FALSE;
    }

  phone_owner = clave_store_get_citizen_by_phone (self->store, phone, &local_error);
  if (phone_owner == NULL && local_error != NULL)
    return clave_protocol_error_set_internal (error, local_error);
  if (phone_owner != NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_PHONE_IN_USE,
                           "This phone belongs to another person registered in Cl@ve.");
      return FALSE;
    }
  return TRUE;
}

ClaveRegistrationStart *
clave_registration_start (ClaveServer     *server,
                          ClaveCertProof  *proof,
                          const char      *phone,
                          const char      *email,
                          gint64           now,
                          GError         **error)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autoptr(ClaveIdentity) registry = NULL;
  g_autoptr(ClaveRegistrationRecord) record = NULL;
  g_autoptr(ClaveRegistrationStart) start = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *random_id = NULL;
  ClaveCodeHolder holder;

  identity = _clave_cert_proof_verify (server, proof, CLAVE_PROOF_PURPOSE_REGISTRATION, now,
                                       error);
  if (identity == NULL)
    return NULL;

  /* Everyone with a DNI or NIE is in the registry; a certificate of
   * someone who is not cannot be matched to a person the service knows. */
  registry = clave_store_get_identity (server->store, identity->document, &local_error);
  if (registry == NULL)
    {
      if (local_error != NULL)
        clave_protocol_error_set_internal (error, local_error);
      else
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_IDENTITY_UNKNOWN,
                             "The identity registry has no record of this document.");
      return NULL;
    }

  /* Checked before anything is stored: a refused registration should not
   * replace one in progress. */
  if (!_clave_registration_check_conflicts (server, identity->document, phone, error) ||
      !_clave_codes_check_wrong_codes (server, identity->document, now, error) ||
      !_clave_codes_check_person_sends (server, identity->document, CLAVE_OUTBOX_SMS, now,
                                        error))
    return NULL;

  start = g_new0 (ClaveRegistrationStart, 1);
  random_id = clave_random_token (16);
  start->id = g_strconcat ("reg_", random_id, NULL);
  start->token = clave_random_token (32);
  start->document = g_strdup (identity->document);
  start->given_name = g_strdup (identity->given_name != NULL ? identity->given_name
                                                             : registry->given_name);
  start->surnames = g_strdup (identity->surnames != NULL ? identity->surnames
                                                         : registry->surnames);

  record = g_new0 (ClaveRegistrationRecord, 1);
  record->id = g_strdup (start->id);
  record->token_hash = clave_sha256_hex (start->token, strlen (start->token));
  record->document = g_strdup (identity->document);
  record->phone = g_strdup (phone);
  record->email = g_strdup (email);
  record->channel = g_strdup (identity->dnie_style ? CLAVE_CHANNEL_DNIE
                                                   : CLAVE_CHANNEL_CERTIFICATE);
  record->created_at = now;
  record->expires_at = now + CLAVE_REGISTRATION_TTL_SECS;
  record->state = CLAVE_REGISTRATION_PENDING;

  if (!clave_store_create_registration (server->store, record, &local_error))
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  holder = code_holder (record);
  if (!_clave_codes_send (server, &holder, now, &start->sent, error))
    return NULL;

  g_info ("Registration %s started with a %s", record->id,
          identity->dnie_style ? "DNIe" : "certificate");
  return g_steal_pointer (&start);
}

ClaveRegistrationRecord *
clave_registration_open (ClaveServer  *server,
                         const char   *id,
                         const char   *token,
                         gint64        now,
                         GError      **error)
{
  static const ClaveFlowErrors errors = {
    CLAVE_PROTOCOL_ERROR_INVALID_REGISTRATION, CLAVE_PROTOCOL_ERROR_REGISTRATION_LOCKED,
    CLAVE_PROTOCOL_ERROR_REGISTRATION_EXPIRED, "registration",
  };
  g_autoptr(ClaveRegistrationRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveFlowState state = { NULL, };

  record = clave_store_get_registration (server->store, id, &local_error);
  if (record == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (record != NULL)
    {
      state.stored_token_hash = record->token_hash;
      state.closed = record->state == CLAVE_REGISTRATION_USED ||
                     record->state == CLAVE_REGISTRATION_REPLACED;
      state.locked = record->state == CLAVE_REGISTRATION_LOCKED;
      state.expires_at = record->expires_at;
    }

  if (!_clave_flow_authorize (token, &state, &errors, now, error))
    return NULL;
  return g_steal_pointer (&record);
}

gboolean
clave_registration_send_code (ClaveServer              *server,
                              ClaveRegistrationRecord  *registration,
                              gint64                    now,
                              ClaveCodeSent            *sent,
                              GError                  **error)
{
  g_autoptr(ClaveRegistrationRecord) fresh = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveRegistrationRecord swap;
  ClaveCodeHolder holder = code_holder (registration);

  if (!_clave_codes_send (server, &holder, now, sent, error))
    return FALSE;

  /* The caller's record as the store now has it (the new code). */
  fresh = clave_store_get_registration (server->store, registration->id, &local_error);
  if (fresh == NULL)
    return clave_protocol_error_set_internal (error, local_error);
  swap = *registration;
  *registration = *fresh;
  *fresh = swap;
  return TRUE;
}

ClaveActivationStart *
clave_registration_verify_code (ClaveServer              *server,
                                ClaveRegistrationRecord  *registration,
                                const char               *code,
                                gint64                    now,
                                GError                  **error)
{
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveActivationRecord) activation = NULL;
  g_autoptr(ClaveActivationStart) start = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveCodeHolder holder = code_holder (registration);

  if (!_clave_codes_verify (server, &holder, code, CLAVE_PROTOCOL_ERROR_REGISTRATION_LOCKED,
                            now, error))
    return NULL;

  /* Someone may have registered the person or the phone since. */
  if (!_clave_registration_check_conflicts (server, registration->document, registration->phone, error))
    return NULL;

  citizen = g_new0 (ClaveCitizen, 1);
  citizen->document = g_strdup (registration->document);
  citizen->phone = g_strdup (registration->phone);
  citizen->email = g_strdup (registration->email);
  citizen->level = g_strdup (CLAVE_LEVEL_ADVANCED);
  citizen->channel = g_strdup (registration->channel);
  citizen->created_at = now;

  /* The certificate and the code proved both factors: the device may
   * register its key (step 4) with this activation right away. */
  start = _clave_activation_prepare (registration->document, registration->phone,
                                     CLAVE_ACTIVATION_VERIFIED, now, &activation);

  if (!clave_store_complete_registration (server->store, registration->id, citizen, activation,
                                          &local_error))
    {
      if (!g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        clave_protocol_error_set_internal (error, local_error);
      /* A race with another verify or registration: say which. */
      else if (_clave_registration_check_conflicts (server, registration->document, registration->phone, error))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                             CLAVE_PROTOCOL_ERROR_INVALID_REGISTRATION,
                             "Unknown registration or wrong registration token.");
      return NULL;
    }

  g_info ("Registered a citizen through %s (%s)", registration->id, registration->channel);
  return g_steal_pointer (&start);
}
