/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-cert-proof.h"
#include "clave-codes.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-server-private.h"
#include "clave-x509.h"

/* Registering with a certificate or DNIe (docs/protocol.md "Registering
 * with a certificate"): the proof says who the person is, an SMS code
 * confirms the phone, and the person becomes a citizen at level advanced
 * with an activation already verified for this device. */

/* E.164 as the protocol takes it: "+" and 8 to 15 digits, nothing else
 * (clients strip the spaces people type). */
static gboolean
phone_is_valid (const char *phone)
{
  gsize digits = 0;

  if (phone[0] != '+' || phone[1] == '0')
    return FALSE;
  for (const char *p = phone + 1; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      digits++;
    }
  return digits >= CLAVE_PHONE_MIN_DIGITS && digits <= CLAVE_PHONE_MAX_DIGITS;
}

/* A plausible address: one "@", something before it, a dotted domain after
 * it, no spaces or control characters. Whether it reaches anybody is the
 * mail's business. */
static gboolean
email_is_valid (const char *email)
{
  const char *at = strchr (email, '@');
  const char *dot;

  if (strlen (email) > CLAVE_EMAIL_MAX || at == NULL || at == email ||
      strchr (at + 1, '@') != NULL)
    return FALSE;
  dot = strrchr (at + 1, '.');
  if (dot == NULL || dot == at + 1 || dot[1] == '\0')
    return FALSE;
  for (const char *p = email; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || *p == 0x7f)
      return FALSE;
  return g_utf8_validate (email, -1, NULL);
}

static ClaveCodeHolder
code_holder (const ClaveRegistrationRecord *record)
{
  return (ClaveCodeHolder) {
    .flow = CLAVE_CODE_FLOW_REGISTRATION,
    .id = record->id,
    .document = record->document,
    .phone = record->phone,
    .code_hmac = record->code_hmac,
    .code_expires_at = record->code_expires_at,
    .sends = record->sends,
    .last_sent_at = record->last_sent_at,
  };
}

/* 409 already_registered / phone_in_use, or 500; TRUE when neither. */
static gboolean
check_conflicts (ClaveServer       *self,
                 SoupServerMessage *msg,
                 const char        *document,
                 const char        *phone)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveCitizen) phone_owner = NULL;

  citizen = clave_store_get_citizen (self->store, document, &error);
  if (citizen == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
      return FALSE;
    }
  if (citizen != NULL)
    {
      clave_http_reply_error (msg, SOUP_STATUS_CONFLICT, CLAVE_ERR_ALREADY_REGISTERED,
                              "This person is already registered in Cl@ve.");
      return FALSE;
    }

  phone_owner = clave_store_get_citizen_by_phone (self->store, phone, &error);
  if (phone_owner == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
      return FALSE;
    }
  if (phone_owner != NULL)
    {
      clave_http_reply_error (msg, SOUP_STATUS_CONFLICT, CLAVE_ERR_PHONE_IN_USE,
                              "This phone belongs to another person registered in Cl@ve.");
      return FALSE;
    }
  return TRUE;
}

static void
step_start (ClaveServer       *self,
            SoupServerMessage *msg,
            ClaveCertProof    *proof,
            const char        *phone,
            const char        *email,
            gint64             now)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autoptr(ClaveIdentity) registry = NULL;
  g_autoptr(ClaveRegistrationRecord) record = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *random_id = NULL;
  ClaveCodeHolder holder;
  char *token;

  identity = _clave_cert_proof_verify (self, msg, proof, CLAVE_PROOF_PURPOSE_REGISTRATION, now);
  if (identity == NULL)
    return;

  /* Everyone with a DNI or NIE is in the registry; a certificate of
   * someone who is not cannot be matched to a person the service knows. */
  registry = clave_store_get_identity (self->store, identity->document, &error);
  if (registry == NULL)
    {
      if (error != NULL)
        clave_http_reply_internal (msg, error);
      else
        clave_http_reply_error (msg, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_IDENTITY_UNKNOWN,
                                "The identity registry has no record of this document.");
      return;
    }

  if (!check_conflicts (self, msg, identity->document, phone))
    return;

  /* Checked before anything is stored: a refused registration should not
   * replace one in progress. */
  if (!_clave_codes_check_wrong_codes (self, msg, identity->document, now) ||
      !_clave_codes_check_person_sends (self, msg, identity->document, now))
    return;

  random_id = clave_random_token (16);
  token = clave_random_token (32);
  record = g_new0 (ClaveRegistrationRecord, 1);
  record->id = g_strconcat ("reg_", random_id, NULL);
  record->token_hash = clave_sha256_hex (token, strlen (token));
  record->document = g_strdup (identity->document);
  record->phone = g_strdup (phone);
  record->email = g_strdup (email);
  record->channel = g_strdup (identity->dnie_style ? CLAVE_CHANNEL_DNIE
                                                   : CLAVE_CHANNEL_CERTIFICATE);
  record->created_at = now;
  record->expires_at = now + CLAVE_REGISTRATION_TTL_SECS;
  record->state = CLAVE_REGISTRATION_PENDING;

  if (!clave_store_create_registration (self->store, record, &error))
    {
      clave_secret_free (token);
      clave_http_reply_internal (msg, error);
      return;
    }

  holder = code_holder (record);
  if (!_clave_codes_send (self, msg, &holder, now))
    {
      clave_secret_free (token);
      return;
    }

  g_info ("Registration %s started with a %s", record->id,
          identity->dnie_style ? "DNIe" : "certificate");

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, record->id);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  _clave_codes_add_sent_members (self, builder, phone, 1);
  json_builder_set_member_name (builder, "document");
  json_builder_add_string_value (builder, identity->document);
  /* The names as the certificate writes them (what the person sees on
   * it), else as the registry has them. */
  json_builder_set_member_name (builder, "given_name");
  json_builder_add_string_value (builder, identity->given_name != NULL ? identity->given_name
                                                                       : registry->given_name);
  json_builder_set_member_name (builder, "surnames");
  json_builder_add_string_value (builder, identity->surnames != NULL ? identity->surnames
                                                                     : registry->surnames);
  json_builder_end_object (builder);

  clave_secret_free (token);
  clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
}

/* The registration named in the path, if the bearer token opens it and it
 * can still be used; NULL after answering the error. */
static ClaveRegistrationRecord *
authorize_registration (ClaveServer       *self,
                        SoupServerMessage *msg,
                        const char        *id,
                        gint64             now)
{
  static const ClaveFlowErrors errors = {
    CLAVE_ERR_INVALID_REGISTRATION, CLAVE_ERR_REGISTRATION_LOCKED,
    CLAVE_ERR_REGISTRATION_EXPIRED, "registration",
  };
  g_autoptr(ClaveRegistrationRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  ClaveFlowState state = { NULL, };

  record = clave_store_get_registration (self->store, id, &error);
  if (record == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
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

  if (!_clave_flow_authorize (msg, &state, &errors, now))
    return NULL;
  return g_steal_pointer (&record);
}

static void
step_send_sms (ClaveServer             *self,
               SoupServerMessage       *msg,
               ClaveRegistrationRecord *record,
               gint64                   now)
{
  g_autoptr(JsonBuilder) builder = NULL;
  ClaveCodeHolder holder = code_holder (record);

  if (!_clave_codes_send (self, msg, &holder, now))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sent");
  json_builder_add_boolean_value (builder, TRUE);
  _clave_codes_add_sent_members (self, builder, record->phone, record->sends + 1);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
step_verify (ClaveServer             *self,
             SoupServerMessage       *msg,
             ClaveRegistrationRecord *record,
             const char              *code,
             gint64                   now)
{
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveActivationRecord) activation = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *random_id = NULL;
  g_autofree char *hint = NULL;
  ClaveCodeHolder holder = code_holder (record);
  char *token;

  if (!_clave_codes_verify (self, msg, &holder, code, CLAVE_ERR_REGISTRATION_LOCKED, now))
    return;

  /* Someone may have registered the person or the phone since. */
  if (!check_conflicts (self, msg, record->document, record->phone))
    return;

  citizen = g_new0 (ClaveCitizen, 1);
  citizen->document = g_strdup (record->document);
  citizen->phone = g_strdup (record->phone);
  citizen->email = g_strdup (record->email);
  citizen->level = g_strdup (CLAVE_LEVEL_ADVANCED);
  citizen->channel = g_strdup (record->channel);
  citizen->created_at = now;

  /* The certificate and the code proved both factors: the device may
   * register its key (step 4) with this activation right away. */
  random_id = clave_random_token (16);
  token = clave_random_token (32);
  activation = g_new0 (ClaveActivationRecord, 1);
  activation->id = g_strconcat ("act_", random_id, NULL);
  activation->token_hash = clave_sha256_hex (token, strlen (token));
  activation->document = g_strdup (record->document);
  activation->created_at = now;
  activation->expires_at = now + CLAVE_ACTIVATION_TTL_SECS;
  activation->state = CLAVE_ACTIVATION_VERIFIED;

  if (!clave_store_complete_registration (self->store, record->id, citizen, activation, &error))
    {
      clave_secret_free (token);
      if (!g_error_matches (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        clave_http_reply_internal (msg, error);
      /* A race with another verify or registration: say which. */
      else if (check_conflicts (self, msg, record->document, record->phone))
        clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_REGISTRATION,
                                "Unknown registration or wrong registration token.");
      return;
    }

  g_info ("Registered a citizen through %s (%s)", record->id, record->channel);

  hint = clave_phone_hint (record->phone);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "registered");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "level");
  json_builder_add_string_value (builder, CLAVE_LEVEL_ADVANCED);
  json_builder_set_member_name (builder, "registration_channel");
  json_builder_add_string_value (builder, record->channel);
  json_builder_set_member_name (builder, "activation");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, activation->id);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, CLAVE_ACTIVATION_TTL_SECS);
  json_builder_set_member_name (builder, "methods");
  json_builder_begin_array (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "phone_hint");
  json_builder_add_string_value (builder, hint);
  json_builder_set_member_name (builder, "verified");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  clave_secret_free (token);
  clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
}

void
_clave_routes_registration (ClaveServer           *self,
                            SoupServerMessage     *msg,
                            const char            *registration_id,
                            ClaveRegistrationStep  step)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveCertProof) proof = NULL;
  g_autoptr(ClaveRegistrationRecord) record = NULL;
  const char *phone = NULL, *email = NULL, *code = NULL;
  gint64 now = _clave_server_now ();

  /* The body first, as for activations: a malformed request costs
   * nothing, not even the challenge. */
  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;

  switch (step)
    {
    case CLAVE_REGISTRATION_STEP_START:
      proof = _clave_cert_proof_parse (msg, body);
      if (proof == NULL ||
          !clave_http_member_string (msg, body, "phone", &phone) ||
          !clave_http_member_string (msg, body, "email", &email))
        return;
      if (!phone_is_valid (phone))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PHONE,
                                  "The phone must be in E.164 form: + and 8 to 15 digits.");
          return;
        }
      if (!email_is_valid (email))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_EMAIL,
                                  "The e-mail address is not valid.");
          return;
        }
      step_start (self, msg, proof, phone, email, now);
      return;
    case CLAVE_REGISTRATION_STEP_SMS:
      break;
    case CLAVE_REGISTRATION_STEP_VERIFY:
      if (!clave_http_member_string (msg, body, "code", &code))
        return;
      if (!_clave_codes_is_code (code))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The code must be 6 digits.");
          return;
        }
      break;
    default:
      g_assert_not_reached ();
    }

  record = authorize_registration (self, msg, registration_id, now);
  if (record == NULL)
    return;

  if (step == CLAVE_REGISTRATION_STEP_SMS)
    step_send_sms (self, msg, record, now);
  else
    step_verify (self, msg, record, code, now);
}
