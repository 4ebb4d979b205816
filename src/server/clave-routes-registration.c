/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-registration.h"
#include "clave-routes.h"

/* POST /v1/registrations and /v1/registrations/{id}/…: read the request,
 * call the registration's operation (clave-registration.c), write the
 * answer. */

gboolean
_clave_routes_phone_is_valid (const char *phone)
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
gboolean
_clave_routes_email_is_valid (const char *email)
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

static void
reply_started (SoupServerMessage            *msg,
               const ClaveRegistrationStart *start)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, start->id);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, start->token);
  _clave_routes_add_code_sent (builder, &start->sent);
  json_builder_set_member_name (builder, "document");
  json_builder_add_string_value (builder, start->document);
  json_builder_set_member_name (builder, "given_name");
  json_builder_add_string_value (builder, start->given_name);
  json_builder_set_member_name (builder, "surnames");
  json_builder_add_string_value (builder, start->surnames);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
}

void
_clave_routes_reply_code_sent (SoupServerMessage   *msg,
                               guint                status,
                               const char          *change_id,
                               const ClaveCodeSent *sent)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  if (change_id != NULL)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, change_id);
    }
  else
    {
      json_builder_set_member_name (builder, "sent");
      json_builder_add_boolean_value (builder, TRUE);
    }
  _clave_routes_add_code_sent (builder, sent);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, status, builder);
}

static void
reply_registered (SoupServerMessage             *msg,
                  const ClaveRegistrationRecord *registration,
                  const ClaveActivationStart    *activation)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "registered");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "level");
  json_builder_add_string_value (builder, CLAVE_LEVEL_ADVANCED);
  json_builder_set_member_name (builder, "registration_channel");
  json_builder_add_string_value (builder, registration->channel);
  json_builder_set_member_name (builder, "activation");
  _clave_routes_add_activation (builder, activation, TRUE);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
}

/* The members of the step's body, read before anything is looked up or
 * used up (not even the challenge). FALSE after answering 400. */
static gboolean
read_step_input (SoupServerMessage      *msg,
                 JsonObject             *body,
                 ClaveRegistrationStep   step,
                 ClaveCertProof        **proof,
                 const char            **phone,
                 const char            **email,
                 const char            **code)
{
  g_autoptr(GError) error = NULL;

  switch (step)
    {
    case CLAVE_REGISTRATION_STEP_START:
      *proof = _clave_cert_proof_read (body, &error);
      if (*proof == NULL)
        {
          clave_http_reply_gerror (msg, error);
          return FALSE;
        }
      if (!clave_http_member_string (msg, body, "phone", phone) ||
          !clave_http_member_string (msg, body, "email", email))
        return FALSE;
      if (!_clave_routes_phone_is_valid (*phone))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PHONE,
                                  "The phone must be in E.164 form: + and 8 to 15 digits.");
          return FALSE;
        }
      if (!_clave_routes_email_is_valid (*email))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_EMAIL,
                                  "The e-mail address is not valid.");
          return FALSE;
        }
      return TRUE;
    case CLAVE_REGISTRATION_STEP_SMS:
      return TRUE;
    case CLAVE_REGISTRATION_STEP_VERIFY:
      if (!clave_http_member_string (msg, body, "code", code))
        return FALSE;
      if (!_clave_codes_is_code (*code))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The code must be 6 digits.");
          return FALSE;
        }
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

void
_clave_routes_registration (ClaveServer           *self,
                            SoupServerMessage     *msg,
                            const char            *registration_id,
                            ClaveRegistrationStep  step)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveCertProof) proof = NULL;
  g_autoptr(ClaveRegistrationRecord) registration = NULL;
  g_autoptr(ClaveRegistrationStart) start = NULL;
  g_autoptr(ClaveActivationStart) activation = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  const char *phone = NULL, *email = NULL, *code = NULL;
  gint64 now = _clave_server_now ();

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL ||
      !read_step_input (msg, body, step, &proof, &phone, &email, &code))
    return;

  if (step == CLAVE_REGISTRATION_STEP_START)
    {
      start = clave_registration_start (self, proof, phone, email, now, &error);
      if (start != NULL)
        reply_started (msg, start);
      else
        clave_http_reply_gerror (msg, error);
      return;
    }

  registration = clave_registration_open (self, registration_id, clave_http_bearer_token (msg),
                                          now, &error);
  if (registration == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  if (step == CLAVE_REGISTRATION_STEP_SMS)
    {
      if (clave_registration_send_code (self, registration, now, &sent, &error))
        _clave_routes_reply_code_sent (msg, SOUP_STATUS_OK, NULL, &sent);
      else
        clave_http_reply_gerror (msg, error);
      return;
    }

  activation = clave_registration_verify_code (self, registration, code, now, &error);
  if (activation != NULL)
    reply_registered (msg, registration, activation);
  else
    clave_http_reply_gerror (msg, error);
}
