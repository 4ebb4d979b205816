/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-codes.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-protocol-error.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

/* What an outbox message says in place of its code once the code cannot
 * be used any more. */
#define REDACTED_CODE "••••••"

gint64
_clave_window_wait (GArray *times,
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

gboolean
_clave_codes_check_wrong_codes (ClaveServer  *self,
                                const char   *document,
                                gint64        now,
                                GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GArray) times = NULL;
  gint64 wait;

  /* Counted over all activations and registrations, so that starting over
   * does not give an attacker fresh guesses. */
  times = clave_store_list_wrong_codes (self->store, document,
                                        now - CLAVE_WRONG_CODES_WINDOW_SECS, &local_error);
  if (times == NULL)
    return clave_protocol_error_set_internal (error, local_error);

  wait = _clave_window_wait (times, CLAVE_WRONG_CODES_MAX_PER_CITIZEN,
                             CLAVE_WRONG_CODES_WINDOW_SECS, now);
  if (wait > 0)
    {
      clave_protocol_error_set_retry (error, CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS, wait,
                                      "Too many wrong codes for this person; wait and try "
                                      "again.");
      return FALSE;
    }
  return TRUE;
}

gboolean
_clave_codes_check_person_sends (ClaveServer         *self,
                                 const char          *document,
                                 ClaveOutboxChannel   channel,
                                 gint64               now,
                                 GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GArray) sends = NULL;
  gint64 wait;

  /* The per-person caps, over all activations and registrations: starting
   * over must not buy an attacker (or a runaway client) more messages to
   * the phone. */
  sends = clave_store_list_code_sends (self->store, document, channel,
                                       now - CLAVE_SMS_SENDS_DAY_SECS, &local_error);
  if (sends == NULL)
    return clave_protocol_error_set_internal (error, local_error);
  wait = MAX (_clave_window_wait (sends, CLAVE_SMS_SENDS_MAX_PER_HOUR, CLAVE_SMS_SENDS_HOUR_SECS,
                                  now),
              _clave_window_wait (sends, CLAVE_SMS_SENDS_MAX_PER_DAY, CLAVE_SMS_SENDS_DAY_SECS,
                                  now));
  if (wait > 0)
    {
      clave_protocol_error_set_retry (error, CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS, wait,
                                      channel == CLAVE_OUTBOX_EMAIL
                                      ? "Too many codes were e-mailed to this person; wait and "
                                        "try again."
                                      : "Too many codes were sent to this person's phone; wait "
                                        "and try again.");
      return FALSE;
    }
  return TRUE;
}

gboolean
_clave_codes_is_code (const char *code)
{
  if (strlen (code) != CLAVE_SMS_CODE_DIGITS)
    return FALSE;
  for (const char *p = code; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static const char *
flow_noun (ClaveCodeFlow flow)
{
  switch (flow)
    {
    case CLAVE_CODE_FLOW_REGISTRATION:
    case CLAVE_CODE_FLOW_VIDEO:
      return "registration";
    case CLAVE_CODE_FLOW_PHONE_CHANGE:
      return "phone change";
    case CLAVE_CODE_FLOW_EMAIL_CHANGE:
      return "e-mail change";
    case CLAVE_CODE_FLOW_PERMANENTE:
      return "activation";
    case CLAVE_CODE_FLOW_ACTIVATION:
    default:
      return "activation";
    }
}

static ClaveOutboxChannel
flow_channel (ClaveCodeFlow flow)
{
  return flow == CLAVE_CODE_FLOW_EMAIL_CHANGE ? CLAVE_OUTBOX_EMAIL : CLAVE_OUTBOX_SMS;
}

/* The e-mail's subject says what it is for, not the code: subjects show in
 * notifications and lists. */
#define EMAIL_CODE_SUBJECT "Cl@ve: confirme su nuevo correo electrónico"

static char *
email_body (const char *code,
            guint       ttl)
{
  gboolean minutes = ttl % 60 == 0;
  guint amount = minutes ? ttl / 60 : ttl;

  /* As in the SMS, the code is the only run of six digits. */
  return g_strdup_printf ("Ha pedido que este sea el correo electrónico de su registro en "
                          "Cl@ve.\n\nSu código de confirmación es %s. Caduca en %u %s.\n\n"
                          "Escríbalo en Cl@ve Desktop para confirmar el cambio. No lo "
                          "comparta con nadie. Si no ha sido usted, no haga nada: su correo "
                          "no cambiará.",
                          code, amount,
                          minutes ? (amount == 1 ? "minuto" : "minutos")
                                  : (amount == 1 ? "segundo" : "segundos"));
}

static char *
sms_body (ClaveCodeFlow  flow,
          const char    *code,
          guint          ttl)
{
  const char *what = flow == CLAVE_CODE_FLOW_REGISTRATION || flow == CLAVE_CODE_FLOW_VIDEO
                     ? "registro"
                     : flow == CLAVE_CODE_FLOW_PHONE_CHANGE ? "cambio de teléfono"
                     : flow == CLAVE_CODE_FLOW_PERMANENTE ? "activación de Cl@ve Permanente"
                     : "activación";

  /* The code must stay the only run of six digits in the text; the TTL
   * is at most 86400 s (clave-server checks), so it never has six. */
  if (ttl % 60 == 0)
    return g_strdup_printf ("Cl@ve: su código de %s es %s. Caduca en %u %s. "
                            "No lo comparta con nadie.",
                            what, code, ttl / 60, ttl == 60 ? "minuto" : "minutos");
  return g_strdup_printf ("Cl@ve: su código de %s es %s. Caduca en %u %s. "
                          "No lo comparta con nadie.",
                          what, code, ttl, ttl == 1 ? "segundo" : "segundos");
}

/* HMAC of the code bound to its activation or registration, so that equal
 * codes of two of them do not look equal in the database. */
static char *
code_hmac (ClaveServer *self,
           const char  *flow_id,
           const char  *code)
{
  g_autofree char *data = g_strconcat (flow_id, ":", code, NULL);
  char *hmac = clave_hmac_sha256_hex (self->secret, data);

  explicit_bzero (data, strlen (data));
  return hmac;
}

gboolean
_clave_codes_send (ClaveServer            *self,
                   const ClaveCodeHolder  *holder,
                   gint64                  now,
                   ClaveCodeSent          *sent,
                   GError                **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hmac = NULL;
  g_autofree char *redacted = NULL;
  g_autofree char *limit_message = NULL;
  guint interval = self->config->sms_resend_interval;
  guint ttl = self->config->sms_code_ttl;
  gint64 outbox_id = 0;
  ClaveOutboxChannel channel = flow_channel (holder->flow);
  char *code, *text;

  if (holder->code->sends >= CLAVE_SMS_MAX_SENDS)
    {
      limit_message = g_strdup_printf ("No more codes can be sent for this %s; start again.",
                                       flow_noun (holder->flow));
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_RESEND_LIMIT,
                           limit_message);
      return FALSE;
    }

  if (holder->code->sends > 0 && now - holder->code->last_sent_at < (gint64) interval)
    {
      clave_protocol_error_set_retry (error, CLAVE_PROTOCOL_ERROR_RESEND_TOO_SOON,
                                      MAX (1, (gint64) interval - (now - holder->code->last_sent_at)),
                                      "A code was sent moments ago; wait before asking again.");
      return FALSE;
    }

  /* A code nobody may try is not worth a message. */
  if (!_clave_codes_check_wrong_codes (self, holder->document, now, error) ||
      !_clave_codes_check_person_sends (self, holder->document, channel, now, error))
    return FALSE;

  code = clave_random_digits (CLAVE_SMS_CODE_DIGITS);
  hmac = code_hmac (self, holder->id, code);
  if (channel == CLAVE_OUTBOX_EMAIL)
    {
      text = email_body (code, ttl);
      redacted = email_body (REDACTED_CODE, ttl);
    }
  else
    {
      text = sms_body (holder->flow, code, ttl);
      redacted = sms_body (holder->flow, REDACTED_CODE, ttl);
    }
  clave_secret_free (code);

  if (!clave_store_store_code (self->store, holder->flow, holder->id, hmac, now + ttl, now,
                               holder->to, text, redacted, &outbox_id, &local_error))
    {
      clave_secret_free (text);
      return clave_protocol_error_set_internal (error, local_error);
    }

  if (channel == CLAVE_OUTBOX_EMAIL)
    clave_outbox_sender_dispatch (self->mail, outbox_id, holder->to, EMAIL_CODE_SUBJECT, text);
  else
    clave_outbox_sender_dispatch (self->sms, outbox_id, holder->to, NULL, text);
  clave_secret_free (text);

  sent->code_expires_in = ttl;
  sent->resend_after = interval;
  sent->sends_left = holder->code->sends + 1 >= CLAVE_SMS_MAX_SENDS
                     ? 0 : CLAVE_SMS_MAX_SENDS - (holder->code->sends + 1);
  if (channel == CLAVE_OUTBOX_EMAIL)
    sent->email = g_strdup (holder->to);
  else
    sent->phone_hint = clave_phone_hint (holder->to);
  return TRUE;
}

void
_clave_code_sent_clear (ClaveCodeSent *sent)
{
  g_clear_pointer (&sent->phone_hint, g_free);
  g_clear_pointer (&sent->email, g_free);
}

gboolean
_clave_codes_verify (ClaveServer            *self,
                     const ClaveCodeHolder  *holder,
                     const char             *code,
                     ClaveProtocolError      locked_error,
                     gint64                  now,
                     GError                **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hmac = NULL;
  g_autofree char *locked_message = NULL;
  guint attempts = 0;

  if (holder->code->hmac == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NO_CODE_SENT,
                           "No code was sent yet.");
      return FALSE;
    }

  if (now >= holder->code->expires_at)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_CODE_EXPIRED,
                           "The code has expired; ask for a new one.");
      return FALSE;
    }

  /* Even the right code waits: the person's wrong codes are used up. */
  if (!_clave_codes_check_wrong_codes (self, holder->document, now, error))
    return FALSE;

  hmac = code_hmac (self, holder->id, code);
  if (clave_constant_time_equal (hmac, holder->code->hmac))
    return TRUE;

  if (!clave_store_record_wrong_code (self->store, holder->flow, holder->id,
                                      CLAVE_SMS_CODE_MAX_ATTEMPTS, now, &attempts,
                                      &local_error))
    return clave_protocol_error_set_internal (error, local_error);

  if (attempts >= CLAVE_SMS_CODE_MAX_ATTEMPTS)
    {
      locked_message = g_strdup_printf ("Too many wrong codes: this %s is locked; start again.",
                                        flow_noun (holder->flow));
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, locked_error, locked_message);
      return FALSE;
    }

  clave_protocol_error_set_attempts (error, CLAVE_SMS_CODE_MAX_ATTEMPTS - attempts,
                                     "The code is not correct.");
  return FALSE;
}

gboolean
_clave_flow_authorize (const char             *token,
                       const ClaveFlowState   *state,
                       const ClaveFlowErrors  *errors,
                       gint64                  now,
                       GError                **error)
{
  g_autofree char *token_hash = NULL;
  g_autofree char *message = NULL;

  if (token != NULL)
    token_hash = clave_sha256_hex (token, strlen (token));

  if (state->stored_token_hash == NULL || token_hash == NULL ||
      !clave_constant_time_equal (token_hash, state->stored_token_hash) || state->closed)
    {
      message = g_strdup_printf ("Unknown %s or wrong %s token.", errors->noun, errors->noun);
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, errors->invalid_error, message);
      return FALSE;
    }

  if (state->locked)
    {
      message = g_strdup_printf ("This %s is locked after too many wrong codes; start again.",
                                 errors->noun);
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, errors->locked_error, message);
      return FALSE;
    }

  if (now >= state->expires_at)
    {
      message = g_strdup_printf ("This %s has expired; start again.", errors->noun);
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, errors->expired_error, message);
      return FALSE;
    }

  return TRUE;
}
