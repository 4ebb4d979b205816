/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-activation.h"
#include "clave-http.h"
#include "clave-identify.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-routes.h"

/* POST /v1/identify and /v1/activations/{id}/…: read the request, call the
 * activation's operation (clave-activation.c), write the answer. */

void
_clave_routes_add_code_sent (JsonBuilder         *builder,
                             const ClaveCodeSent *sent)
{
  json_builder_set_member_name (builder, "code_expires_in");
  json_builder_add_int_value (builder, sent->code_expires_in);
  json_builder_set_member_name (builder, "resend_after");
  json_builder_add_int_value (builder, sent->resend_after);
  json_builder_set_member_name (builder, "sends_left");
  json_builder_add_int_value (builder, sent->sends_left);
  if (sent->email != NULL)
    {
      json_builder_set_member_name (builder, "email");
      json_builder_add_string_value (builder, sent->email);
    }
  else
    {
      json_builder_set_member_name (builder, "phone_hint");
      json_builder_add_string_value (builder, sent->phone_hint);
    }
}

void
_clave_routes_add_activation (JsonBuilder                *builder,
                              const ClaveActivationStart *start,
                              gboolean                    verified)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, start->id);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, start->token);
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, start->expires_in);
  /* A verified activation needs no second factor any more. */
  json_builder_set_member_name (builder, "methods");
  json_builder_begin_array (builder);
  if (!verified)
    json_builder_add_string_value (builder, CLAVE_METHOD_SMS);
  if (!verified && start->certificate_allowed)
    json_builder_add_string_value (builder, CLAVE_METHOD_CERTIFICATE);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "phone_hint");
  json_builder_add_string_value (builder, start->phone_hint);
  if (verified)
    {
      json_builder_set_member_name (builder, "verified");
      json_builder_add_boolean_value (builder, TRUE);
    }
  json_builder_end_object (builder);
}

void
_clave_routes_identify (ClaveServer       *self,
                        SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveActivationStart) start = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *source = NULL;
  JsonObject *contrast;
  const char *document, *kind, *value;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  if (!clave_http_member_string (msg, body, "document", &document) ||
      !clave_http_member_object (msg, body, "contrast", &contrast) ||
      !clave_http_member_string (msg, contrast, "kind", &kind) ||
      !clave_http_member_string (msg, contrast, "value", &value))
    return;

  source = _clave_identify_source_for_address (soup_server_message_get_remote_host (msg));
  start = clave_activation_start (self, document, kind, value, source, _clave_server_now (),
                                  &error);
  if (error != NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "registered");
  json_builder_add_boolean_value (builder, start != NULL);
  if (start != NULL)
    {
      json_builder_set_member_name (builder, "activation");
      _clave_routes_add_activation (builder, start, FALSE);
    }
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

/* The members of the step's body, read before anything is looked up: the
 * body is bounded and cheap, and a malformed request should not cost the
 * caller anything (a wrong code would). FALSE after answering 400. */
typedef struct {
  const char     *code;
  const char     *public_key;
  const char     *proof;
  const char     *name;
  const char     *push_key;
  ClaveCertProof *cert_proof;
} StepInput;

static void
step_input_clear (StepInput *in)
{
  g_clear_pointer (&in->cert_proof, _clave_cert_proof_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StepInput, step_input_clear)

static gboolean
read_step_input (SoupServerMessage   *msg,
                 JsonObject          *body,
                 ClaveActivationStep  step,
                 StepInput           *in)
{
  g_autoptr(GError) error = NULL;

  switch (step)
    {
    case CLAVE_ACTIVATION_STEP_SMS:
      return TRUE;
    case CLAVE_ACTIVATION_STEP_VERIFY:
      if (!clave_http_member_string (msg, body, "code", &in->code))
        return FALSE;
      if (!_clave_codes_is_code (in->code))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The code must be 6 digits.");
          return FALSE;
        }
      return TRUE;
    case CLAVE_ACTIVATION_STEP_DEVICE:
      if (!clave_http_member_string (msg, body, "public_key", &in->public_key) ||
          !clave_http_member_string (msg, body, "proof", &in->proof) ||
          !clave_http_member_string (msg, body, "name", &in->name))
        return FALSE;
      if (json_object_has_member (body, "push_key") &&
          !clave_http_member_string (msg, body, "push_key", &in->push_key))
        return FALSE;
      if (!name_is_acceptable (in->name))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                  "The device name must be 1 to 200 printable characters.");
          return FALSE;
        }
      return TRUE;
    case CLAVE_ACTIVATION_STEP_CERTIFICATE:
      in->cert_proof = _clave_cert_proof_read (body, &error);
      if (in->cert_proof == NULL)
        clave_http_reply_gerror (msg, error);
      return in->cert_proof != NULL;
    default:
      g_assert_not_reached ();
    }
}

/* Runs @step on @activation and answers; FALSE (nothing answered) with
 * @error when the operation refused. */
static gboolean
run_step (ClaveServer            *self,
          SoupServerMessage      *msg,
          ClaveActivationRecord  *activation,
          ClaveActivationStep     step,
          const StepInput        *in,
          gint64                  now,
          GError                **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_auto(ClaveCodeSent) sent = { 0, };
  g_autofree char *device_id = NULL;
  const char *method;

  switch (step)
    {
    case CLAVE_ACTIVATION_STEP_SMS:
      if (!clave_activation_send_code (self, activation, now, &sent, error))
        return FALSE;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "sent");
      json_builder_add_boolean_value (builder, TRUE);
      _clave_routes_add_code_sent (builder, &sent);
      json_builder_end_object (builder);
      clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
      return TRUE;
    case CLAVE_ACTIVATION_STEP_VERIFY:
      if (!clave_activation_verify_code (self, activation, in->code, now, error))
        return FALSE;
      reply_verified (msg, NULL);
      return TRUE;
    case CLAVE_ACTIVATION_STEP_CERTIFICATE:
      method = clave_activation_verify_certificate (self, activation, in->cert_proof, now, error);
      if (method == NULL)
        return FALSE;
      reply_verified (msg, method);
      return TRUE;
    case CLAVE_ACTIVATION_STEP_DEVICE:
      device_id = clave_activation_register_device (self, activation, in->public_key, in->proof,
                                                    in->push_key, in->name, now, error);
      if (device_id == NULL)
        return FALSE;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_string_value (builder, device_id);
      json_builder_end_object (builder);
      clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

void
_clave_routes_activation (ClaveServer         *self,
                          SoupServerMessage   *msg,
                          const char          *activation_id,
                          ClaveActivationStep  step)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveActivationRecord) activation = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(StepInput) in = { NULL, };
  gint64 now = _clave_server_now ();

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL || !read_step_input (msg, body, step, &in))
    return;

  activation = clave_activation_open (self, activation_id, clave_http_bearer_token (msg), now,
                                      &error);
  if (activation == NULL || !run_step (self, msg, activation, step, &in, now, &error))
    clave_http_reply_gerror (msg, error);
}
