/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-account.h"
#include "clave-codes.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-identify.h"
#include "clave-limits.h"
#include "clave-password-hash.h"
#include "clave-password.h"
#include "clave-permanente.h"
#include "clave-server-private.h"

/* Letters and digits that cannot be taken for one another when read from
 * a screen or a receipt: no I, O, 0 or 1. 32 of them: one random byte's
 * low five bits pick one without bias. */
static const char code_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
G_STATIC_ASSERT (sizeof code_alphabet - 1 == 32);

const char *
clave_permanente_state (const ClavePermanenteRecord *record,
                        gint64                       now)
{
  if (record == NULL)
    return CLAVE_PERMANENTE_NONE;
  if (record->password_hash != NULL)
    return record->password_attempts >= CLAVE_PERMANENTE_PASSWORD_MAX_ATTEMPTS
           ? CLAVE_PERMANENTE_PASSWORD_BLOCKED : CLAVE_PERMANENTE_ACTIVE;
  if (record->code_hmac == NULL)
    return CLAVE_PERMANENTE_NONE;
  if (record->code_attempts >= CLAVE_PERMANENTE_CODE_MAX_ATTEMPTS)
    return CLAVE_PERMANENTE_CODE_BLOCKED;
  if (now >= record->code_expires_at)
    return CLAVE_PERMANENTE_CODE_EXPIRED;
  return CLAVE_PERMANENTE_CODE_PENDING;
}

const char *
clave_permanente_get_state (ClaveServer  *server,
                            const char   *document,
                            gint64        now,
                            GError      **error)
{
  g_autoptr(ClavePermanenteRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;

  record = clave_store_get_permanente (server->store, document, &local_error);
  if (local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  return clave_permanente_state (record, now);
}

char *
clave_permanente_normalize_code (const char *text)
{
  g_autoptr(GString) code = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == ' ' || c == '-')
        continue;
      if (strchr (code_alphabet, c) == NULL || code->len >= CLAVE_PERMANENTE_CODE_LENGTH)
        return NULL;
      g_string_append_c (code, c);
    }
  if (code->len != CLAVE_PERMANENTE_CODE_LENGTH)
    return NULL;
  return g_string_free (g_steal_pointer (&code), FALSE);
}

/* The HMAC of @code (normalised) bound to @document, as the store keeps
 * it: equal codes of two people do not look equal. */
static char *
code_hmac (ClaveServer *server,
           const char  *document,
           const char  *code)
{
  g_autofree char *data = g_strconcat ("permanente-code\n", document, "\n", code, NULL);
  char *hmac = clave_hmac_sha256_hex (server->secret, data);

  explicit_bzero (data, strlen (data));
  return hmac;
}

char *
clave_permanente_new_code (ClaveServer              *server,
                           const ClaveDeviceRecord  *device,
                           const char               *contrast_kind,
                           const char               *contrast_value,
                           const char               *source,
                           gint64                    now,
                           gint64                   *expires_at,
                           GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveIdentity) checked = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GBytes) random = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hmac = NULL;
  char code[CLAVE_PERMANENTE_CODE_LENGTH + 1];
  const guint8 *bytes;
  GString *shown;

  if (!clave_account_get (server, device, &identity, &citizen, error))
    return NULL;
  /* The document's contrast data, as for a change of e-mail: the device
   * alone does not hand out a way to log in. */
  checked = _clave_identify (server, citizen->document, contrast_kind, contrast_value, source,
                             now, error);
  if (checked == NULL)
    return NULL;

  random = clave_random_bytes (CLAVE_PERMANENTE_CODE_LENGTH);
  bytes = g_bytes_get_data (random, NULL);
  for (guint i = 0; i < CLAVE_PERMANENTE_CODE_LENGTH; i++)
    code[i] = code_alphabet[bytes[i] & 31];
  code[CLAVE_PERMANENTE_CODE_LENGTH] = '\0';
  hmac = code_hmac (server, citizen->document, code);

  if (!clave_store_put_permanente_code (server->store, citizen->document, hmac,
                                        now + CLAVE_PERMANENTE_CODE_TTL_SECS, now, &local_error))
    {
      explicit_bzero (code, sizeof code);
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,
                             "This device is no longer active.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  /* Shown in groups of four, as on the receipt. */
  shown = g_string_new (NULL);
  for (guint i = 0; i < CLAVE_PERMANENTE_CODE_LENGTH; i += 4)
    g_string_append_printf (shown, "%s%.4s", i > 0 ? "-" : "", code + i);
  explicit_bzero (code, sizeof code);
  *expires_at = now + CLAVE_PERMANENTE_CODE_TTL_SECS;
  g_info ("New Cl@ve Permanente activation code (device %s)", device->id);
  return g_string_free (shown, FALSE);
}

/* Activation ------------------------------------------------------------ */

void
clave_permanente_start_free (ClavePermanenteStart *start)
{
  if (start == NULL)
    return;
  g_free (start->id);
  clave_secret_free (start->token);
  _clave_code_sent_clear (&start->sent);
  g_free (start);
}

/* A new activation of @document (not stored yet): its answer and
 * (@activation) its record, which holds the token's hash only. */
static ClavePermanenteStart *
new_start (const char             *document,
           gint64                  now,
           ClaveActivationRecord **activation)
{
  ClavePermanenteStart *start = g_new0 (ClavePermanenteStart, 1);
  g_autofree char *random_id = clave_random_token (16);
  ClaveActivationRecord *record = g_new0 (ClaveActivationRecord, 1);

  start->id = g_strconcat ("pma_", random_id, NULL);
  start->token = clave_random_token (32);
  record->id = g_strdup (start->id);
  record->token_hash = clave_sha256_hex (start->token, strlen (start->token));
  record->document = g_strdup (document);
  record->created_at = now;
  record->expires_at = now + CLAVE_ACTIVATION_TTL_SECS;
  record->state = CLAVE_ACTIVATION_PENDING;
  *activation = record;
  return start;
}

static void
set_code_blocked (GError **error)
{
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_BLOCKED,
                       "Too many wrong activation codes: this code is blocked. Ask for a new "
                       "one in the app or at an office.");
}

/* Counts a wrong activation code against the person's code while it can
 * be used; the fifth blocks it. Sets the error the person sees. */
static void
refuse_code (ClaveServer                 *server,
             const ClavePermanenteRecord *record,
             GError                     **error)
{
  g_autoptr(GError) local_error = NULL;
  guint attempts = 0;

  if (record != NULL && record->code_hmac != NULL &&
      record->code_attempts < CLAVE_PERMANENTE_CODE_MAX_ATTEMPTS &&
      !clave_store_count_permanente_code_attempt (server->store, record->document, &attempts,
                                                  &local_error))
    {
      clave_protocol_error_set_internal (error, local_error);
      return;
    }
  if (attempts >= CLAVE_PERMANENTE_CODE_MAX_ATTEMPTS)
    set_code_blocked (error);
  else
    g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                         CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE,
                         "The document, the e-mail or the activation code is not correct.");
}

ClavePermanenteStart *
clave_permanente_start_activation (ClaveServer  *server,
                                   const char   *document_in,
                                   const char   *email,
                                   const char   *code_in,
                                   const char   *source,
                                   gint64        now,
                                   GError      **error)
{
  g_autoptr(ClavePermanenteRecord) record = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClavePermanenteStart) start = NULL;
  g_autoptr(ClaveActivationRecord) activation = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *document = NULL;
  g_autofree char *code = NULL;
  g_autofree char *hmac = NULL;
  ClaveCodeHolder holder;

  if (clave_document_validate (document_in, &document, NULL) == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_DOCUMENT,
                           "This is not a DNI or NIE number.");
      return NULL;
    }

  /* The identification limits: per source and per document and source,
   * so that nobody tries codes for many people, or many codes for one,
   * from one place. */
  if (!_clave_identify_check_limits (server, document, source, now, error))
    return NULL;

  citizen = clave_store_get_citizen (server->store, document, &local_error);
  if (local_error == NULL && citizen != NULL)
    record = clave_store_get_permanente (server->store, document, &local_error);
  if (local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  code = clave_permanente_normalize_code (code_in);
  if (code != NULL && record != NULL)
    hmac = code_hmac (server, document, code);
  if (citizen == NULL || record == NULL || record->code_hmac == NULL || hmac == NULL ||
      citizen->email == NULL || g_ascii_strcasecmp (citizen->email, email) != 0 ||
      !clave_constant_time_equal (hmac, record->code_hmac))
    {
      if (_clave_identify_record_failure (server, document, source, now, error))
        refuse_code (server, record, error);
      return NULL;
    }

  /* The right code: only its holder learns what became of it. */
  if (record->code_attempts >= CLAVE_PERMANENTE_CODE_MAX_ATTEMPTS)
    {
      set_code_blocked (error);
      return NULL;
    }
  if (now >= record->code_expires_at)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                           CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_EXPIRED,
                           "This activation code has expired. Ask for a new one in the app.");
      return NULL;
    }
  if (!_clave_codes_check_wrong_codes (server, document, now, error))
    return NULL;

  start = new_start (document, now, &activation);
  if (!clave_store_create_permanente_activation (server->store, activation, &local_error))
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  holder = (ClaveCodeHolder) {
    .flow = CLAVE_CODE_FLOW_PERMANENTE,
    .id = activation->id,
    .document = document,
    .to = citizen->phone,
    .code = &activation->code,
  };
  if (!_clave_codes_send (server, &holder, now, &start->sent, error))
    return NULL;
  g_info ("Cl@ve Permanente activation %s started", start->id);
  return g_steal_pointer (&start);
}

/* Activation @id when @token opens it. */
static ClaveActivationRecord *
open_activation (ClaveServer  *server,
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

  record = clave_store_get_permanente_activation (server->store, id, &local_error);
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

/* The activation's code holder: the SMS goes to the registered phone. */
static gboolean
activation_holder (ClaveServer                  *server,
                   const ClaveActivationRecord  *activation,
                   ClaveCitizen                **citizen,
                   ClaveCodeHolder              *holder,
                   GError                      **error)
{
  g_autoptr(GError) local_error = NULL;

  *citizen = clave_store_get_citizen (server->store, activation->document, &local_error);
  if (*citizen == NULL)
    {
      if (local_error != NULL)
        return clave_protocol_error_set_internal (error, local_error);
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                           "Unknown activation or wrong activation token.");
      return FALSE;
    }
  *holder = (ClaveCodeHolder) {
    .flow = CLAVE_CODE_FLOW_PERMANENTE,
    .id = activation->id,
    .document = activation->document,
    .to = (*citizen)->phone,
    .code = &activation->code,
  };
  return TRUE;
}

gboolean
clave_permanente_resend_sms (ClaveServer   *server,
                             const char    *id,
                             const char    *token,
                             gint64         now,
                             ClaveCodeSent *sent,
                             GError       **error)
{
  g_autoptr(ClaveActivationRecord) activation = open_activation (server, id, token, now, error);
  g_autoptr(ClaveCitizen) citizen = NULL;
  ClaveCodeHolder holder;

  if (activation == NULL || !activation_holder (server, activation, &citizen, &holder, error))
    return FALSE;
  if (activation->state != CLAVE_ACTIVATION_PENDING)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                           "The code of this activation was already confirmed.");
      return FALSE;
    }
  return _clave_codes_send (server, &holder, now, sent, error);
}

gboolean
clave_permanente_verify_sms (ClaveServer  *server,
                             const char   *id,
                             const char   *token,
                             const char   *code,
                             gint64        now,
                             GError      **error)
{
  g_autoptr(ClaveActivationRecord) activation = open_activation (server, id, token, now, error);
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveCodeHolder holder;

  if (activation == NULL || !activation_holder (server, activation, &citizen, &holder, error))
    return FALSE;
  if (activation->state != CLAVE_ACTIVATION_PENDING)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                           "The code of this activation was already confirmed.");
      return FALSE;
    }
  if (!_clave_codes_verify (server, &holder, code, CLAVE_PROTOCOL_ERROR_ACTIVATION_LOCKED, now,
                            error))
    return FALSE;
  if (!clave_store_set_permanente_activation_state (server->store, activation->id,
                                                    CLAVE_ACTIVATION_VERIFIED, &local_error))
    return clave_protocol_error_set_internal (error, local_error);
  return TRUE;
}

/* @password under the rules for the person of @document (weak_password
 * says which). */
static gboolean
check_rules (ClaveServer  *server,
             const char   *document,
             const char   *password,
             GError      **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(GError) local_error = NULL;
  ClavePasswordProblems problems;

  identity = clave_store_get_identity (server->store, document, &local_error);
  if (identity == NULL)
    {
      if (local_error != NULL)
        return clave_protocol_error_set_internal (error, local_error);
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                           "Unknown activation or wrong activation token.");
      return FALSE;
    }
  problems = clave_password_check (password, identity->given_name, identity->surnames,
                                   identity->document);
  if (problems == CLAVE_PASSWORD_OK)
    return TRUE;
  g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_WEAK_PASSWORD,
               "The password does not follow the rules: %s%s%s%s%s%s.",
               (problems & CLAVE_PASSWORD_TOO_SHORT) ? "at least 8 characters; " : "",
               (problems & CLAVE_PASSWORD_FEW_GROUPS)
               ? "three of lower case, upper case, digits and other characters "
                 "(or 16 characters); " : "",
               (problems & CLAVE_PASSWORD_HAS_NAME) ? "not your name or surnames; " : "",
               (problems & CLAVE_PASSWORD_HAS_DOCUMENT) ? "not your document number; " : "",
               (problems & CLAVE_PASSWORD_TOO_LONG) ? "at most 128 characters; " : "",
               (problems & CLAVE_PASSWORD_UNUSABLE) ? "no control characters" : "");
  return FALSE;
}

gboolean
clave_permanente_set_password (ClaveServer  *server,
                               const char   *id,
                               const char   *token,
                               const char   *password,
                               gint64        now,
                               GError      **error)
{
  g_autoptr(ClaveActivationRecord) activation = open_activation (server, id, token, now, error);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;

  if (activation == NULL)
    return FALSE;
  if (activation->state != CLAVE_ACTIVATION_VERIFIED)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                           CLAVE_PROTOCOL_ERROR_ACTIVATION_NOT_VERIFIED,
                           "Confirm the SMS code first.");
      return FALSE;
    }

  if (!check_rules (server, activation->document, password, error))
    return FALSE;

  hash = clave_password_hash_new (password);
  if (!clave_store_activate_permanente (server->store, activation->id, hash, now, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                             "Unknown activation or wrong activation token.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return FALSE;
    }
  g_info ("Cl@ve Permanente activated through %s", activation->id);
  return TRUE;
}

/* Password management ---------------------------------------------------- */

/* @device's citizen's Cl@ve Permanente when it has a password;
 * permanente_not_active otherwise. */
static ClavePermanenteRecord *
get_active (ClaveServer              *server,
            const ClaveDeviceRecord  *device,
            GError                  **error)
{
  g_autoptr(ClavePermanenteRecord) record = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!clave_account_get (server, device, &identity, &citizen, error))
    return NULL;
  record = clave_store_get_permanente (server->store, citizen->document, &local_error);
  if (local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (record == NULL || record->password_hash == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                           CLAVE_PROTOCOL_ERROR_PERMANENTE_NOT_ACTIVE,
                           "This person has no active Cl@ve Permanente.");
      return NULL;
    }
  return g_steal_pointer (&record);
}

static void
set_password_blocked (GError **error)
{
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_PASSWORD_BLOCKED,
                       "The password is blocked after 5 wrong tries; recover it with an SMS "
                       "code.");
}

gboolean
clave_permanente_change_password (ClaveServer              *server,
                                  const ClaveDeviceRecord  *device,
                                  const char               *old_password,
                                  const char               *new_password,
                                  gint64                    now,
                                  GError                  **error)
{
  g_autoptr(ClavePermanenteRecord) record = get_active (server, device, error);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;
  guint attempts = 0;

  if (record == NULL)
    return FALSE;
  if (record->password_attempts >= CLAVE_PERMANENTE_PASSWORD_MAX_ATTEMPTS)
    {
      set_password_blocked (error);
      return FALSE;
    }
  if (!clave_password_hash_verify (old_password, record->password_hash))
    {
      if (!clave_store_count_permanente_password_attempt (server->store, record->document,
                                                          &attempts, &local_error))
        return clave_protocol_error_set_internal (error, local_error);
      if (attempts >= CLAVE_PERMANENTE_PASSWORD_MAX_ATTEMPTS)
        set_password_blocked (error);
      else
        clave_protocol_error_set_attempts_full (error, CLAVE_PROTOCOL_ERROR_INVALID_PASSWORD,
                                                CLAVE_PERMANENTE_PASSWORD_MAX_ATTEMPTS - attempts,
                                                "The current password is not correct.");
      return FALSE;
    }
  if (!check_rules (server, record->document, new_password, error))
    return FALSE;

  hash = clave_password_hash_new (new_password);
  if (!clave_store_set_permanente_password (server->store, record->document, hash, now,
                                            &local_error))
    return clave_protocol_error_set_internal (error, local_error);
  g_info ("Cl@ve Permanente password changed (device %s)", device->id);
  return TRUE;
}

gboolean
clave_permanente_delete (ClaveServer              *server,
                         const ClaveDeviceRecord  *device,
                         GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!clave_account_get (server, device, &identity, &citizen, error))
    return FALSE;
  if (!clave_store_delete_permanente (server->store, citizen->document, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                             CLAVE_PROTOCOL_ERROR_PERMANENTE_NOT_ACTIVE,
                             "This person has no Cl@ve Permanente.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return FALSE;
    }
  g_info ("Cl@ve Permanente user deleted (device %s)", device->id);
  return TRUE;
}

ClavePermanenteStart *
clave_permanente_start_recovery (ClaveServer              *server,
                                 const ClaveDeviceRecord  *device,
                                 gint64                    now,
                                 GError                  **error)
{
  g_autoptr(ClavePermanenteRecord) record = get_active (server, device, error);
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClavePermanenteStart) start = NULL;
  g_autoptr(ClaveActivationRecord) activation = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveCodeHolder holder;

  if (record == NULL || !_clave_codes_check_wrong_codes (server, record->document, now, error))
    return NULL;
  start = new_start (record->document, now, &activation);
  if (!clave_store_create_permanente_activation (server->store, activation, &local_error) ||
      !activation_holder (server, activation, &citizen, &holder, error))
    {
      if (local_error != NULL)
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (!_clave_codes_send (server, &holder, now, &start->sent, error))
    return NULL;
  g_info ("Cl@ve Permanente password recovery %s started (device %s)", start->id, device->id);
  return g_steal_pointer (&start);
}

gboolean
clave_permanente_finish_recovery (ClaveServer              *server,
                                  const ClaveDeviceRecord  *device,
                                  const char               *id,
                                  const char               *token,
                                  const char               *code,
                                  const char               *password,
                                  gint64                    now,
                                  GError                  **error)
{
  g_autoptr(ClaveActivationRecord) activation = open_activation (server, id, token, now, error);

  if (activation == NULL)
    return FALSE;
  /* Another person's recovery does not exist for this device. */
  if (g_strcmp0 (activation->document, device->document) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                           "Unknown activation or wrong activation token.");
      return FALSE;
    }
  /* The rules before the code: a weak password does not use the code up. */
  if (!check_rules (server, activation->document, password, error) ||
      !clave_permanente_verify_sms (server, id, token, code, now, error))
    return FALSE;
  return clave_permanente_set_password (server, id, token, password, now, error);
}
