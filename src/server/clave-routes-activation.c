/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

/* What an outbox message says in place of its code once the code cannot
 * be used any more. */
#define REDACTED_CODE "••••••"

/* Seconds until fewer than @limit of the events at @times (ascending)
 * fall within the last @window seconds; 0 when already fewer. */
static gint64
window_wait (GArray *times,
             guint   limit,
             gint64  window,
             gint64  now)
{
  guint counted = 0;
  gint64 oldest_that_counts;

  for (guint i = 0; i < times->len; i++)
    if (g_array_index (times, gint64, i) >= now - window)
      counted++;

  if (counted < limit)
    return 0;
  oldest_that_counts = g_array_index (times, gint64, times->len - limit);
  return MAX (1, oldest_that_counts + window - now);
}

static void
reply_too_many (SoupServerMessage *msg,
                const char        *message,
                gint64             wait)
{
  clave_http_reply_error_int (msg, CLAVE_HTTP_STATUS_TOO_MANY_REQUESTS, CLAVE_ERR_TOO_MANY_ATTEMPTS,
                              message, "retry_after", wait);
}

/* Answers 429 (or 500) and returns FALSE when the citizen has used up
 * the wrong codes of the window. Counted over all activations, so that
 * starting over does not give an attacker fresh guesses. */
static gboolean
check_wrong_codes (ClaveServer       *self,
                   SoupServerMessage *msg,
                   const char        *document,
                   gint64             now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = NULL;
  gint64 wait;

  times = clave_store_list_wrong_codes (self->store, document,
                                        now - CLAVE_WRONG_CODES_WINDOW_SECS, &error);
  if (times == NULL)
    {
      clave_http_reply_internal (msg, error);
      return FALSE;
    }

  wait = window_wait (times, CLAVE_WRONG_CODES_MAX_PER_CITIZEN, CLAVE_WRONG_CODES_WINDOW_SECS,
                      now);
  if (wait > 0)
    {
      reply_too_many (msg, "Too many wrong codes for this person; wait and try again.", wait);
      return FALSE;
    }
  return TRUE;
}

/* Step 1: POST /v1/identify ------------------------------------------------ */

/* 0 when identification may proceed, else the seconds to wait; -1 after
 * answering with an internal error. */
static gint64
identify_rate_limit (ClaveServer       *self,
                     SoupServerMessage *msg,
                     const char        *document,
                     const char        *address,
                     gint64             now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) by_document = NULL;
  g_autoptr(GArray) by_address = NULL;
  gint64 since = now - CLAVE_IDENTIFY_WINDOW_SECS;

  by_document = clave_store_list_identify_failures (self->store, CLAVE_FAILURE_BY_DOCUMENT,
                                                    document, since, &error);
  if (by_document != NULL)
    by_address = clave_store_list_identify_failures (self->store, CLAVE_FAILURE_BY_ADDRESS,
                                                     address, since, &error);
  if (by_address == NULL)
    {
      clave_http_reply_internal (msg, error);
      return -1;
    }

  return MAX (window_wait (by_document, CLAVE_IDENTIFY_MAX_PER_DOCUMENT,
                           CLAVE_IDENTIFY_WINDOW_SECS, now),
              window_wait (by_address, CLAVE_IDENTIFY_MAX_PER_ADDRESS,
                           CLAVE_IDENTIFY_WINDOW_SECS, now));
}

static gboolean
contrast_fits (ClaveDocumentType type,
               ClaveContrastKind kind)
{
  if (type == CLAVE_DOCUMENT_TYPE_NIE)
    return kind == CLAVE_CONTRAST_SUPPORT_NUMBER;
  return kind == CLAVE_CONTRAST_VALIDITY_DATE || kind == CLAVE_CONTRAST_ISSUE_DATE;
}

/* What the registry says the person must give for @kind, or NULL when
 * that kind cannot identify this record. A permanent DNI's holder gives
 * the issue date: its validity (9999-01-01) is known to everybody. */
static const char *
expected_contrast (const ClaveIdentity *identity,
                   ClaveContrastKind    kind)
{
  switch (kind)
    {
    case CLAVE_CONTRAST_VALIDITY_DATE:
      return identity->permanent ? NULL : identity->validity_date;
    case CLAVE_CONTRAST_ISSUE_DATE:
      return identity->permanent ? identity->issue_date : NULL;
    case CLAVE_CONTRAST_SUPPORT_NUMBER:
      return identity->support_number;
    default:
      return NULL;
    }
}

static void
reply_identification_failed (SoupServerMessage *msg)
{
  clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED,
                          "The document number or the contrast data are not correct.");
}

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
  g_autofree char *document = NULL;
  g_autofree char *contrast_value = NULL;
  JsonObject *contrast;
  const char *document_in, *kind_in, *value_in, *expected;
  const char *address = soup_server_message_get_remote_host (msg);
  ClaveDocumentType type;
  gint64 now = _clave_server_now ();
  gint64 wait;
  gboolean match;
  int kind;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  if (!clave_http_member_string (msg, body, "document", &document_in) ||
      !clave_http_member_object (msg, body, "contrast", &contrast) ||
      !clave_http_member_string (msg, contrast, "kind", &kind_in) ||
      !clave_http_member_string (msg, contrast, "value", &value_in))
    return;

  /* The wire form is the normalised one: clients normalise what people
   * type, the service checks it is exactly that. */
  type = clave_document_validate (document_in, &document, NULL);
  if (type == CLAVE_DOCUMENT_TYPE_UNKNOWN || g_strcmp0 (document, document_in) != 0)
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_DOCUMENT,
                              "The document must be a DNI or NIE, upper case, with the right "
                              "control letter.");
      return;
    }

  kind = clave_contrast_kind_from_string (kind_in);
  if (kind >= 0 && contrast_fits (type, (ClaveContrastKind) kind))
    contrast_value = clave_contrast_normalize ((ClaveContrastKind) kind, value_in, NULL);
  if (contrast_value == NULL || g_strcmp0 (contrast_value, value_in) != 0)
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_CONTRAST,
                              "The contrast data do not fit the document or are malformed.");
      return;
    }

  wait = identify_rate_limit (self, msg, document, address != NULL ? address : "", now);
  if (wait < 0)
    return;
  if (wait > 0)
    {
      reply_too_many (msg, "Too many failed identifications; wait and try again.", wait);
      return;
    }

  identity = clave_store_get_identity (self->store, document, &error);
  if (identity == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
      return;
    }

  /* An unknown document and wrong contrast data take the same path, with
   * the same comparison and the same failure record, so neither the
   * answer nor its timing says whether the document exists. */
  expected = identity != NULL ? expected_contrast (identity, (ClaveContrastKind) kind) : NULL;
  match = clave_constant_time_equal (expected != NULL ? expected : "\x01unknown-document",
                                     contrast_value);
  if (identity == NULL || expected == NULL || !match)
    {
      if (!clave_store_add_identify_failure (self->store, document,
                                             address != NULL ? address : "", now, &error))
        {
          clave_http_reply_internal (msg, error);
          return;
        }
      reply_identification_failed (msg);
      return;
    }

  citizen = clave_store_get_citizen (self->store, document, &error);
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
  if (!check_wrong_codes (self, msg, citizen->document, now))
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
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  g_autoptr(ClaveActivationRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token_hash = NULL;
  const char *token = NULL;

  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0)
    {
      token = authorization + 7;
      while (*token == ' ')
        token++;
    }

  record = clave_store_get_activation (self->store, id, &error);
  if (record == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
      return NULL;
    }

  if (token != NULL && *token != '\0')
    token_hash = clave_sha256_hex (token, strlen (token));

  if (record == NULL || token_hash == NULL ||
      !clave_constant_time_equal (token_hash, record->token_hash) ||
      record->state == CLAVE_ACTIVATION_USED || record->state == CLAVE_ACTIVATION_REPLACED)
    {
      clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION,
                              "Unknown activation or wrong activation token.");
      return NULL;
    }

  if (record->state == CLAVE_ACTIVATION_LOCKED)
    {
      clave_http_reply_error (msg, SOUP_STATUS_LOCKED, CLAVE_ERR_ACTIVATION_LOCKED,
                              "This activation is locked after too many wrong codes; "
                              "start again.");
      return NULL;
    }

  if (now >= record->expires_at)
    {
      clave_http_reply_error (msg, SOUP_STATUS_GONE, CLAVE_ERR_ACTIVATION_EXPIRED,
                              "This activation has expired; start again.");
      return NULL;
    }

  return g_steal_pointer (&record);
}

static char *
sms_body (const char *code,
          guint       ttl)
{
  /* The code must stay the only run of six digits in the text; the TTL
   * is at most 86400 s (clave-server checks), so it never has six. */
  if (ttl % 60 == 0)
    return g_strdup_printf ("Cl@ve: su código de activación es %s. Caduca en %u %s. "
                            "No lo comparta con nadie.",
                            code, ttl / 60, ttl == 60 ? "minuto" : "minutos");
  return g_strdup_printf ("Cl@ve: su código de activación es %s. Caduca en %u %s. "
                          "No lo comparta con nadie.",
                          code, ttl, ttl == 1 ? "segundo" : "segundos");
}

/* HMAC of the code bound to its activation, so that equal codes of two
 * activations do not look equal in the database. */
static char *
code_hmac (ClaveServer *self,
           const char  *activation_id,
           const char  *code)
{
  g_autofree char *data = g_strconcat (activation_id, ":", code, NULL);
  char *hmac = clave_hmac_sha256_hex (self->secret, data);

  explicit_bzero (data, strlen (data));
  return hmac;
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
  g_autoptr(GArray) sends = NULL;
  g_autofree char *hmac = NULL;
  g_autofree char *hint = NULL;
  g_autofree char *redacted = NULL;
  guint interval = self->config->sms_resend_interval;
  guint ttl = self->config->sms_code_ttl;
  gint64 outbox_id = 0;
  gint64 wait;
  char *code, *text;

  if (record->sends >= CLAVE_SMS_MAX_SENDS)
    {
      clave_http_reply_error (msg, CLAVE_HTTP_STATUS_TOO_MANY_REQUESTS, CLAVE_ERR_RESEND_LIMIT,
                              "No more codes can be sent for this activation; start again.");
      return;
    }

  if (record->sends > 0 && now - record->last_sent_at < (gint64) interval)
    {
      clave_http_reply_error_int (msg, CLAVE_HTTP_STATUS_TOO_MANY_REQUESTS, CLAVE_ERR_RESEND_TOO_SOON,
                                  "A code was sent moments ago; wait before asking again.",
                                  "retry_after",
                                  MAX (1, (gint64) interval - (now - record->last_sent_at)));
      return;
    }

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

  /* A code nobody may try is not worth a message. */
  if (!check_wrong_codes (self, msg, record->document, now))
    return;

  /* The per-citizen caps, over all activations: starting over must not
   * buy an attacker (or a runaway client) more messages to the phone. */
  sends = clave_store_list_sms_sends (self->store, record->document,
                                      now - CLAVE_SMS_SENDS_DAY_SECS, &error);
  if (sends == NULL)
    {
      clave_http_reply_internal (msg, error);
      return;
    }
  wait = MAX (window_wait (sends, CLAVE_SMS_SENDS_MAX_PER_HOUR, CLAVE_SMS_SENDS_HOUR_SECS, now),
              window_wait (sends, CLAVE_SMS_SENDS_MAX_PER_DAY, CLAVE_SMS_SENDS_DAY_SECS, now));
  if (wait > 0)
    {
      reply_too_many (msg, "Too many codes were sent to this person's phone; wait and try "
                      "again.", wait);
      return;
    }

  code = clave_random_digits (CLAVE_SMS_CODE_DIGITS);
  hmac = code_hmac (self, record->id, code);
  text = sms_body (code, ttl);
  clave_secret_free (code);
  redacted = sms_body (REDACTED_CODE, ttl);

  if (!clave_store_store_code (self->store, record->id, hmac, now + ttl, now, citizen->phone,
                               text, redacted, &outbox_id, &error))
    {
      clave_secret_free (text);
      clave_http_reply_internal (msg, error);
      return;
    }

  clave_sms_sender_dispatch (self->sms, outbox_id, citizen->phone, text);
  clave_secret_free (text);

  hint = clave_phone_hint (citizen->phone);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sent");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "code_expires_in");
  json_builder_add_int_value (builder, ttl);
  json_builder_set_member_name (builder, "resend_after");
  json_builder_add_int_value (builder, interval);
  json_builder_set_member_name (builder, "sends_left");
  json_builder_add_int_value (builder, CLAVE_SMS_MAX_SENDS - (record->sends + 1));
  json_builder_set_member_name (builder, "phone_hint");
  json_builder_add_string_value (builder, hint);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static gboolean
is_code (const char *code)
{
  if (strlen (code) != CLAVE_SMS_CODE_DIGITS)
    return FALSE;
  for (const char *p = code; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static void
step_verify (ClaveServer           *self,
             SoupServerMessage     *msg,
             ClaveActivationRecord *record,
             const char            *code,
             gint64                 now)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hmac = NULL;
  guint attempts = 0;

  if (record->code_hmac == NULL)
    {
      clave_http_reply_error (msg, SOUP_STATUS_CONFLICT, CLAVE_ERR_NO_CODE_SENT,
                              "No code was sent for this activation yet.");
      return;
    }

  if (now >= record->code_expires_at)
    {
      clave_http_reply_error (msg, SOUP_STATUS_GONE, CLAVE_ERR_CODE_EXPIRED,
                              "The code has expired; ask for a new one.");
      return;
    }

  /* Even the right code waits: the citizen's wrong codes are used up. */
  if (!check_wrong_codes (self, msg, record->document, now))
    return;

  hmac = code_hmac (self, record->id, code);
  if (clave_constant_time_equal (hmac, record->code_hmac))
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      if (record->state == CLAVE_ACTIVATION_PENDING &&
          !clave_store_set_activation_state (self->store, record->id,
                                             CLAVE_ACTIVATION_VERIFIED, &error))
        {
          clave_http_reply_internal (msg, error);
          return;
        }

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "verified");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_end_object (builder);
      clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
      return;
    }

  if (!clave_store_record_wrong_code (self->store, record->id, CLAVE_SMS_CODE_MAX_ATTEMPTS, now,
                                      &attempts, &error))
    {
      clave_http_reply_internal (msg, error);
      return;
    }

  if (attempts >= CLAVE_SMS_CODE_MAX_ATTEMPTS)
    {
      clave_http_reply_error (msg, SOUP_STATUS_LOCKED, CLAVE_ERR_ACTIVATION_LOCKED,
                              "Too many wrong codes: this activation is locked; start again.");
      return;
    }

  clave_http_reply_error_int (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE,
                              "The code is not correct.", "attempts_left",
                              CLAVE_SMS_CODE_MAX_ATTEMPTS - attempts);
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
                      gint64                 now)
{
  g_autoptr(GBytes) public_key = NULL;
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
                              "Verify the SMS code before registering the device.");
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
  const char *code = NULL, *public_key = NULL, *proof = NULL, *name = NULL;
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
      if (!is_code (code))
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
      if (!name_is_acceptable (name))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The device name must be 1 to 200 printable characters.");
          return;
        }
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
      step_register_device (self, msg, record, public_key, proof, name, now);
      break;
    default:
      g_assert_not_reached ();
    }
}
