/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <gnutls/x509.h>
#include <string.h>

#include "clave-account.h"
#include "clave-activation.h"
#include "clave-auth-requests.h"
#include "clave-crypto.h"
#include "clave-device-requests.h"
#include "clave-firma.h"
#include "clave-outbox-sender.h"
#include "clave-password-hash.h"
#include "clave-permanente.h"
#include "clave-protocol.h"
#include "clave-video-registration.h"
#include "clave-server-private.h"
#include "clave-test-files.h"
#include "server-test-util.h"

/* The service's operations called directly, as the routes call them: no
 * listening socket, no TLS, no HTTP message (issue 10). Each refusal is
 * the protocol's code with its extra members, and the clock is the
 * caller's, so expiry is tested without waiting. The HTTP tests
 * (test-activation, test-mobile, …) check the same rules through the
 * routes. */

#define LUCIA      "12345678Z"
#define LUCIA_DATE "2031-05-04"
#define PEDRO      "87654321X"
#define PEDRO_DATE "2030-01-15"
#define SOURCE     "test-domain"
#define RP         "rp_test"

typedef struct {
  char        *dir;
  ClaveServer *server;
  gint64       now;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveServerConfig) config = clave_server_config_new ();
  ClaveIdentity lucia = { .document = (char *) LUCIA, .type = CLAVE_DOCUMENT_TYPE_DNI,
                          .given_name = (char *) "Lucía", .surnames = (char *) "García",
                          .validity_date = (char *) LUCIA_DATE };
  ClaveIdentity pedro = { .document = (char *) PEDRO, .type = CLAVE_DOCUMENT_TYPE_DNI,
                          .given_name = (char *) "Pedro", .surnames = (char *) "Ruiz",
                          .validity_date = (char *) PEDRO_DATE };
  ClaveCitizen citizen = { .document = (char *) LUCIA, .phone = (char *) "+34600111789",
                           .email = (char *) "lucia@example.org", .level = (char *) "advanced",
                           .channel = (char *) "in_person" };
  ClaveRelyingParty rp = { .id = (char *) RP, .name = (char *) "Agencia Tributaria",
                           .origin = (char *) "https://sede.agenciatributaria.gob.es",
                           .key_hash = (char *) "00", };

  fixture->dir = g_dir_make_tmp ("clave-test-domain-XXXXXX", &error);
  g_assert_no_error (error);
  config->state_dir = g_build_filename (fixture->dir, "state", NULL);
  fixture->server = clave_server_new (config, &error);
  g_assert_no_error (error);
  fixture->now = _clave_server_now ();

  citizen.created_at = rp.created_at = fixture->now;
  g_assert_true (clave_store_put_identity (fixture->server->store, &lucia, &error));
  g_assert_true (clave_store_put_identity (fixture->server->store, &pedro, &error));
  g_assert_true (clave_store_put_citizen (fixture->server->store, &citizen, &error));
  g_assert_true (clave_store_add_relying_party (fixture->server->store, &rp, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  clave_server_shutdown (fixture->server);
  g_clear_object (&fixture->server);
  clave_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

/* The run of @digits digits in the newest outbox message. */
static char *
last_code (Fixture *fixture,
           guint    digits)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outbox = clave_store_list_outbox (fixture->server->store, 1, &error);
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *pattern = g_strdup_printf ("\\b[0-9]{%u}\\b", digits);
  ClaveOutboxMessage *message;

  g_assert_no_error (error);
  g_assert_cmpuint (outbox->len, ==, 1);
  message = g_ptr_array_index (outbox, 0);
  regex = g_regex_new (pattern, 0, 0, NULL);
  g_assert_true (g_regex_match (regex, message->body, 0, &match));
  return g_match_info_fetch (match, 0);
}

static void
assert_refused (const GError *error,
                gint          code,
                const char   *name,
                guint         status)
{
  g_assert_error (error, CLAVE_PROTOCOL_ERROR, code);
  g_assert_cmpstr (clave_protocol_error_get_name (error), ==, name);
  g_assert_cmpuint (clave_protocol_error_get_status (error), ==, status);
}

static ClaveActivationStart *
start_lucia (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  ClaveActivationStart *start;

  start = clave_activation_start (fixture->server, LUCIA, "validity_date", LUCIA_DATE, SOURCE,
                                  fixture->now, &error);
  g_assert_no_error (error);
  g_assert_nonnull (start);
  return start;
}

static void
test_domain_identify (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveActivationStart) start = NULL;
  g_autoptr(ClaveActivationStart) wrong = NULL;
  g_autoptr(ClaveActivationStart) unregistered = NULL;

  wrong = clave_activation_start (fixture->server, LUCIA, "validity_date", "2031-05-05", SOURCE,
                                  fixture->now, &error);
  g_assert_null (wrong);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_IDENTIFICATION_FAILED,
                  CLAVE_ERR_IDENTIFICATION_FAILED, 401);
  g_clear_error (&error);

  wrong = clave_activation_start (fixture->server, "12345678A", "validity_date", LUCIA_DATE,
                                  SOURCE, fixture->now, &error);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_DOCUMENT, CLAVE_ERR_INVALID_DOCUMENT, 400);
  g_clear_error (&error);

  /* Known to the registry, not registered in Cl@ve: no activation, no
   * error. */
  unregistered = clave_activation_start (fixture->server, PEDRO, "validity_date", PEDRO_DATE,
                                         SOURCE, fixture->now, &error);
  g_assert_no_error (error);
  g_assert_null (unregistered);

  start = start_lucia (fixture);
  g_assert_true (g_str_has_prefix (start->id, "act_"));
  g_assert_cmpuint (strlen (start->token), >=, 32);
  g_assert_cmpint (start->expires_in, ==, CLAVE_ACTIVATION_TTL_SECS);
  g_assert_cmpstr (start->phone_hint, ==, "******789");
  /* No --trust-anchors here: no certificate could be accepted. */
  g_assert_false (start->certificate_allowed);
}

static void
test_activation_by_sms (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveActivationStart) start = start_lucia (fixture);
  g_autoptr(ClaveActivationRecord) activation = NULL;
  g_autoptr(ClaveActivationRecord) closed = NULL;
  g_autoptr(TestDevice) device = test_device_new ();
  g_autoptr(TestDevice) other = test_device_new ();
  g_autofree char *public_key = test_device_public_key (device);
  g_autofree char *other_key = test_device_public_key (other);
  g_autofree char *proof = test_device_proof (device, start->id);
  g_autofree char *wrong_proof = test_device_proof (device, "act_another");
  g_autofree char *device_id = NULL;
  g_autofree char *code = NULL;
  g_autofree char *wrong_code = NULL;
  g_autoptr(ClaveDeviceRecord) stored = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  g_auto(ClaveCodeSent) again = { 0, };
  gint64 now = fixture->now;

  g_assert_null (clave_activation_open (fixture->server, start->id, "wrong token", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                  CLAVE_ERR_INVALID_ACTIVATION, 401);
  g_clear_error (&error);
  g_assert_null (clave_activation_open (fixture->server, start->id, NULL, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                  CLAVE_ERR_INVALID_ACTIVATION, 401);
  g_clear_error (&error);

  activation = clave_activation_open (fixture->server, start->id, start->token, now, &error);
  g_assert_no_error (error);
  g_assert_cmpint (activation->state, ==, CLAVE_ACTIVATION_PENDING);

  /* Nothing to register yet, no code to check yet. */
  g_assert_null (clave_activation_register_device (fixture->server, activation, public_key,
                                                   proof, NULL, "Portátil", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ACTIVATION_NOT_VERIFIED,
                  CLAVE_ERR_ACTIVATION_NOT_VERIFIED, 409);
  g_clear_error (&error);
  g_assert_false (clave_activation_verify_code (fixture->server, activation, "123456", now,
                                                &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NO_CODE_SENT, CLAVE_ERR_NO_CODE_SENT, 409);
  g_clear_error (&error);

  g_assert_true (clave_activation_send_code (fixture->server, activation, now, &sent, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sent.sends_left, ==, CLAVE_SMS_MAX_SENDS - 1);
  g_assert_cmpstr (sent.phone_hint, ==, "******789");
  g_assert_cmpuint (sent.code_expires_in, >, 0);
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  g_assert_cmpuint (activation->code.sends, ==, 1);
  g_assert_nonnull (activation->code.hmac);

  g_assert_false (clave_activation_send_code (fixture->server, activation, now, &again, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_RESEND_TOO_SOON, CLAVE_ERR_RESEND_TOO_SOON, 429);
  g_assert_cmpint (clave_protocol_error_get_retry_after (error), >, 0);
  g_clear_error (&error);

  wrong_code = g_strdup_printf ("%06u", (guint) (g_ascii_strtoull (code, NULL, 10) + 1) % 1000000);
  g_assert_false (clave_activation_verify_code (fixture->server, activation, wrong_code, now,
                                                &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CODE, CLAVE_ERR_INVALID_CODE, 401);
  g_assert_cmpint (clave_protocol_error_get_attempts_left (error), ==,
                   CLAVE_SMS_CODE_MAX_ATTEMPTS - 1);
  g_clear_error (&error);

  g_assert_true (clave_activation_verify_code (fixture->server, activation, code, now, &error));
  g_assert_no_error (error);
  g_assert_cmpint (activation->state, ==, CLAVE_ACTIVATION_VERIFIED);

  /* A key that is not P-256 SPKI, a push key equal to the device key, a
   * proof of another activation: refused, and nothing is registered. */
  g_assert_null (clave_activation_register_device (fixture->server, activation, "AAAA", proof,
                                                   NULL, "Portátil", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_PUBLIC_KEY,
                  CLAVE_ERR_INVALID_PUBLIC_KEY, 400);
  g_clear_error (&error);
  g_assert_null (clave_activation_register_device (fixture->server, activation, public_key,
                                                   proof, public_key, "Portátil", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_PUBLIC_KEY,
                  CLAVE_ERR_INVALID_PUBLIC_KEY, 400);
  g_clear_error (&error);
  g_assert_null (clave_activation_register_device (fixture->server, activation, public_key,
                                                   wrong_proof, NULL, "Portátil", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_PROOF, CLAVE_ERR_INVALID_PROOF, 401);
  g_clear_error (&error);

  device_id = clave_activation_register_device (fixture->server, activation, public_key, proof,
                                                other_key, "  Portátil  ", now, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (device_id, "dev_"));
  stored = clave_store_get_device (fixture->server->store, device_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->document, ==, LUCIA);
  g_assert_cmpstr (stored->name, ==, "Portátil");
  g_assert_nonnull (stored->push_key);

  /* Used: the token opens nothing any more. */
  closed = clave_activation_open (fixture->server, start->id, start->token, now, &error);
  g_assert_null (closed);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION,
                  CLAVE_ERR_INVALID_ACTIVATION, 401);
}

static void
test_activation_locked_and_expired (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveActivationStart) start = start_lucia (fixture);
  g_autoptr(ClaveActivationRecord) activation = NULL;
  g_autoptr(ClaveActivationStart) later = NULL;
  g_autofree char *code = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  gint64 now = fixture->now;

  activation = clave_activation_open (fixture->server, start->id, start->token, now, &error);
  g_assert_no_error (error);
  g_assert_true (clave_activation_send_code (fixture->server, activation, now, &sent, &error));
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);

  /* The code expires on the caller's clock. */
  g_assert_false (clave_activation_verify_code (fixture->server, activation, code,
                                                now + sent.code_expires_in, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_CODE_EXPIRED, CLAVE_ERR_CODE_EXPIRED, 410);
  g_clear_error (&error);

  for (guint i = 1; i <= CLAVE_SMS_CODE_MAX_ATTEMPTS; i++)
    {
      g_autofree char *wrong = g_strdup_printf ("%06u", (guint) (g_ascii_strtoull (code, NULL, 10)
                                                                 + i) % 1000000);

      g_assert_false (clave_activation_verify_code (fixture->server, activation, wrong, now,
                                                    &error));
      if (i < CLAVE_SMS_CODE_MAX_ATTEMPTS)
        g_assert_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CODE);
      else
        assert_refused (error, CLAVE_PROTOCOL_ERROR_ACTIVATION_LOCKED,
                        CLAVE_ERR_ACTIVATION_LOCKED, 423);
      g_clear_error (&error);
    }
  g_clear_pointer (&activation, clave_activation_record_free);
  activation = clave_activation_open (fixture->server, start->id, start->token, now, &error);
  g_assert_null (activation);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ACTIVATION_LOCKED, CLAVE_ERR_ACTIVATION_LOCKED,
                  423);
  g_clear_error (&error);

  /* A fresh activation, opened after its lifetime. */
  later = start_lucia (fixture);
  activation = clave_activation_open (fixture->server, later->id, later->token,
                                      now + CLAVE_ACTIVATION_TTL_SECS, &error);
  g_assert_null (activation);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ACTIVATION_EXPIRED,
                  CLAVE_ERR_ACTIVATION_EXPIRED, 410);
}

static void
test_sms_request (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveAuthRequest) request = NULL;
  g_autoptr(ClaveAuthRequest) push = NULL;
  g_autoptr(ClaveAuthRequest) other_rp = NULL;
  g_autoptr(ClaveAuthRequest) confirmed = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *wrong = NULL;

  /* Push needs an active device; Lucía has none. */
  push = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_PUSH, LUCIA,
                                     "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_null (push);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NO_ACTIVE_DEVICE, CLAVE_ERR_NO_ACTIVE_DEVICE, 409);
  g_clear_error (&error);

  request = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_SMS, LUCIA,
                                        "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (request->status, ==, CLAVE_REQUEST_STATUS_PENDING);
  g_assert_null (request->document);
  pin = last_code (fixture, 8);

  other_rp = clave_auth_requests_get (fixture->server, "rp_other", request->id, &error);
  g_assert_null (other_rp);
  g_assert_nonnull (error);
  g_clear_error (&error);

  wrong = g_strdup_printf ("%08u", (guint) (g_ascii_strtoull (pin, NULL, 10) + 1) % 100000000);
  g_assert_false (clave_auth_requests_submit_sms_pin (fixture->server, RP, request->id, wrong,
                                                      &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CODE, CLAVE_ERR_INVALID_CODE, 401);
  g_assert_cmpint (clave_protocol_error_get_attempts_left (error), ==,
                   CLAVE_SMS_PIN_MAX_ATTEMPTS - 1);
  g_clear_error (&error);

  g_assert_true (clave_auth_requests_submit_sms_pin (fixture->server, RP, request->id, pin,
                                                     &error));
  g_assert_no_error (error);
  confirmed = clave_auth_requests_get (fixture->server, RP, request->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confirmed->status, ==, CLAVE_REQUEST_STATUS_CONFIRMED);
  g_assert_cmpstr (confirmed->document, ==, LUCIA);

  g_assert_false (clave_auth_requests_submit_sms_pin (fixture->server, RP, request->id, pin,
                                                      &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED, CLAVE_ERR_ALREADY_ANSWERED, 409);
}

/* Lucía's device, activated through the operations. */
static ClaveDeviceRecord *
activate_lucia (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveActivationStart) start = start_lucia (fixture);
  g_autoptr(ClaveActivationRecord) activation = NULL;
  g_autoptr(TestDevice) device = test_device_new ();
  g_autofree char *public_key = test_device_public_key (device);
  g_autofree char *proof = test_device_proof (device, start->id);
  g_autofree char *code = NULL;
  g_autofree char *device_id = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  ClaveDeviceRecord *record;

  activation = clave_activation_open (fixture->server, start->id, start->token, fixture->now,
                                      &error);
  g_assert_no_error (error);
  g_assert_true (clave_activation_send_code (fixture->server, activation, fixture->now, &sent,
                                             &error));
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  g_assert_true (clave_activation_verify_code (fixture->server, activation, code, fixture->now,
                                               &error));
  device_id = clave_activation_register_device (fixture->server, activation, public_key, proof,
                                                NULL, "Portátil", fixture->now, &error);
  g_assert_no_error (error);
  record = clave_store_get_device (fixture->server->store, device_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (record);
  return record;
}

static void
test_device_requests (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = activate_lucia (fixture);
  g_autoptr(ClaveAuthRequest) qr = NULL;
  g_autoptr(ClaveAuthRequest) push = NULL;
  g_autoptr(ClaveAuthRequest) sms = NULL;
  g_autoptr(ClaveAuthRequestRecord) claimed = NULL;
  g_autoptr(ClaveAuthRequestRecord) answerable = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) history = NULL;
  /* A device of somebody else, as a route would have authenticated it. */
  ClaveDeviceRecord stranger = { .id = (char *) "dev_stranger", .document = (char *) PEDRO };
  gint64 now = _clave_server_now ();
  gint64 next = 0;
  gboolean more = TRUE;

  qr = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_QR, NULL, NULL, NULL,
                                   NULL, &error);
  g_assert_no_error (error);
  push = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_PUSH, LUCIA,
                                     "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_no_error (error);
  sms = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_SMS, LUCIA,
                                    "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_no_error (error);

  /* The QR request is nobody's until a device claims it; the SMS one is
   * answered on the website. */
  pending = clave_device_requests_list_pending (fixture->server, device, now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((ClaveAuthRequestRecord *) g_ptr_array_index (pending, 0))->id, ==,
                   push->id);
  g_assert_null (clave_device_requests_answerable (fixture->server, device, qr->id, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NOT_YOUR_REQUEST, CLAVE_ERR_NOT_YOUR_REQUEST, 403);
  g_clear_error (&error);

  claimed = clave_device_requests_claim (fixture->server, device, qr->id, now, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (claimed->citizen, ==, LUCIA);
  g_assert_cmpstr (claimed->device, ==, device->id);
  g_clear_pointer (&claimed, clave_auth_request_record_free);
  /* Claiming again is harmless; another device cannot. */
  claimed = clave_device_requests_claim (fixture->server, device, qr->id, now, &error);
  g_assert_no_error (error);
  g_assert_null (clave_device_requests_claim (fixture->server, &stranger, qr->id, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ALREADY_CLAIMED, CLAVE_ERR_ALREADY_CLAIMED, 409);
  g_clear_error (&error);
  /* Lucía's push request does not exist for somebody else. */
  g_assert_null (clave_device_requests_claim (fixture->server, &stranger, push->id, now,
                                              &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NOT_FOUND, CLAVE_ERR_NOT_FOUND, 404);
  g_clear_error (&error);

  answerable = clave_device_requests_answerable (fixture->server, device, push->id, now,
                                                 &error);
  g_assert_no_error (error);
  g_assert_cmpstr (answerable->id, ==, push->id);
  g_assert_null (clave_device_requests_answerable (fixture->server, &stranger, push->id, now,
                                                   &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NOT_YOUR_REQUEST, CLAVE_ERR_NOT_YOUR_REQUEST, 403);
  g_clear_error (&error);
  /* Only the relying party answers an SMS request. */
  g_assert_null (clave_device_requests_answerable (fixture->server, device, sms->id, now,
                                                   &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NOT_YOUR_REQUEST, CLAVE_ERR_NOT_YOUR_REQUEST, 403);
  g_clear_error (&error);
  /* Past its expiry, on the caller's clock. */
  g_assert_null (clave_device_requests_answerable (fixture->server, device, push->id,
                                                   push->expires_at, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_REQUEST_EXPIRED, CLAVE_ERR_REQUEST_EXPIRED, 410);
  g_clear_error (&error);

  history = clave_device_requests_history (fixture->server, device, 0, 2, &next, &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 2);
  g_assert_true (more);
  g_clear_pointer (&history, g_ptr_array_unref);
  history = clave_device_requests_history (fixture->server, device, next, 2, &next, &more,
                                           &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 1);
  g_assert_false (more);
}

typedef struct {
  gboolean  done;
  gboolean  stored;
  GError   *error;
} AnswerResult;

static void
answered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  AnswerResult *answer = user_data;

  answer->stored = clave_device_requests_answer_finish (CLAVE_SERVER (source), result,
                                                        &answer->error);
  answer->done = TRUE;
}

/* Answers @id as @device with @nonce and waits until it is stored. */
static gboolean
answer (Fixture                 *fixture,
        const ClaveDeviceRecord *device,
        const char              *id,
        const char              *nonce,
        GError                 **error)
{
  AnswerResult result = { FALSE, };

  clave_device_requests_answer_async (fixture->server, device, id,
                                      CLAVE_REQUEST_STATUS_CONFIRMED, nonce,
                                      _clave_server_now (), answered_cb, &result);
  g_assert_true (test_iterate_until (&result.done, 10000));
  if (result.error != NULL)
    g_propagate_error (error, result.error);
  return result.stored;
}

static void
test_device_answers (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = activate_lucia (fixture);
  g_autoptr(ClaveAuthRequest) push = NULL;
  g_autoptr(ClaveAuthRequest) other = NULL;
  g_autoptr(ClaveAuthRequest) confirmed = NULL;
  g_autoptr(ClaveAuthRequest) sms = NULL;
  g_autoptr(ClaveAuthRequest) still = NULL;

  push = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_PUSH, LUCIA,
                                     "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_no_error (error);
  other = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_PUSH, LUCIA,
                                      "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_no_error (error);

  sms = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_SMS, LUCIA,
                                    "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_no_error (error);

  /* An SMS request is the website's to answer: refused, and still
   * pending. */
  g_assert_false (answer (fixture, device, sms->id, "nonce-0", &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NOT_YOUR_REQUEST, CLAVE_ERR_NOT_YOUR_REQUEST, 403);
  g_clear_error (&error);
  still = clave_auth_requests_get (fixture->server, RP, sms->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (still->status, ==, CLAVE_REQUEST_STATUS_PENDING);
  /* The refusal spent its nonce all the same. */
  g_assert_false (answer (fixture, device, push->id, "nonce-0", &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_REPLAYED_NONCE, CLAVE_ERR_REPLAYED_NONCE, 401);
  g_clear_error (&error);

  g_assert_true (answer (fixture, device, push->id, "nonce-1", &error));
  g_assert_no_error (error);
  confirmed = clave_auth_requests_get (fixture->server, RP, push->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confirmed->status, ==, CLAVE_REQUEST_STATUS_CONFIRMED);
  g_assert_cmpstr (confirmed->document, ==, LUCIA);

  /* The same signature again, even for another request: replayed. */
  g_assert_false (answer (fixture, device, other->id, "nonce-1", &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_REPLAYED_NONCE, CLAVE_ERR_REPLAYED_NONCE, 401);
  g_clear_error (&error);
  /* A new signature for the answered one: already answered. */
  g_assert_false (answer (fixture, device, push->id, "nonce-2", &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED, CLAVE_ERR_ALREADY_ANSWERED, 409);
}

static void
test_give_up (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = activate_lucia (fixture);
  g_autoptr(ClaveAuthRequest) push = NULL;
  g_autoptr(ClaveAuthRequest) after = NULL;
  g_autoptr(ClaveActivationStart) again = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  gint64 now = fixture->now + 30;
  gint64 given_up_at = 0;

  push = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_PUSH, LUCIA,
                                     "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (clave_account_give_up (fixture->server, device, now, &error));
  g_assert_no_error (error);
  g_assert_true (clave_store_get_given_up (fixture->server->store, LUCIA, &given_up_at, &error));
  g_assert_cmpint (given_up_at, ==, now);

  /* The device is no longer anybody's, and neither are its requests. */
  g_assert_false (clave_account_get (fixture->server, device, &identity, &citizen, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED, CLAVE_ERR_DEVICE_DEACTIVATED,
                  401);
  g_clear_error (&error);
  g_assert_false (clave_account_give_up (fixture->server, device, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED, CLAVE_ERR_DEVICE_DEACTIVATED,
                  401);
  g_clear_error (&error);
  g_assert_null (clave_auth_requests_get (fixture->server, RP, push->id, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NOT_FOUND, CLAVE_ERR_NOT_FOUND, 404);
  g_clear_error (&error);

  /* Not registered: identification says so, websites find no device. */
  again = clave_activation_start (fixture->server, LUCIA, "validity_date", LUCIA_DATE, SOURCE,
                                  now, &error);
  g_assert_no_error (error);
  g_assert_null (again);
  after = clave_auth_requests_create (fixture->server, RP, CLAVE_REQUEST_TYPE_PUSH, LUCIA,
                                      "validity_date", LUCIA_DATE, NULL, &error);
  g_assert_null (after);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NO_ACTIVE_DEVICE, CLAVE_ERR_NO_ACTIVE_DEVICE, 409);
}

/* The newest outbox message: an e-mail to @to. */
static void
assert_last_email (Fixture    *fixture,
                   const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outbox = clave_store_list_outbox (fixture->server->store, 1, &error);
  ClaveOutboxMessage *message;

  g_assert_no_error (error);
  message = g_ptr_array_index (outbox, 0);
  g_assert_cmpint (message->channel, ==, CLAVE_OUTBOX_EMAIL);
  g_assert_cmpstr (message->to, ==, to);
}

/* Changing the e-mail: contrast data first, then a code to the new
 * address; the citizen's e-mail changes only with the code of the
 * address it was sent to. */
static void
test_email_change (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = activate_lucia (fixture);
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autofree char *id = NULL;
  g_autofree char *wrong_id = NULL;
  g_autofree char *first_code = NULL;
  g_autofree char *code = NULL;
  g_autofree char *changed = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  g_auto(ClaveCodeSent) again = { 0, };
  g_auto(ClaveCodeSent) second = { 0, };
  gint64 now = fixture->now;

  /* Wrong or malformed contrast data start nothing. */
  wrong_id = clave_account_start_email_change (fixture->server, device, "validity_date",
                                               "2031-05-05", SOURCE, now, &error);
  g_assert_null (wrong_id);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_IDENTIFICATION_FAILED,
                  CLAVE_ERR_IDENTIFICATION_FAILED, 401);
  g_clear_error (&error);
  g_assert_null (clave_account_start_email_change (fixture->server, device, "support_number",
                                                   "E01234567", SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CONTRAST, CLAVE_ERR_INVALID_CONTRAST,
                  400);
  g_clear_error (&error);

  id = clave_account_start_email_change (fixture->server, device, "validity_date", LUCIA_DATE,
                                         SOURCE, now, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (id, "eml_"));

  /* No code yet; the current address is not a change. */
  g_assert_null (clave_account_confirm_email_change (fixture->server, device, id, "123456", now,
                                                     &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NO_CODE_SENT, CLAVE_ERR_NO_CODE_SENT, 409);
  g_clear_error (&error);
  g_assert_false (clave_account_send_email_code (fixture->server, device, id,
                                                 "lucia@example.org", now, &sent, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_SAME_EMAIL, CLAVE_ERR_SAME_EMAIL, 409);
  g_clear_error (&error);

  g_assert_true (clave_account_send_email_code (fixture->server, device, id,
                                                "lucia.typo@example.org", now, &sent, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sent.email, ==, "lucia.typo@example.org");
  g_assert_null (sent.phone_hint);
  g_assert_cmpuint (sent.sends_left, ==, CLAVE_SMS_MAX_SENDS - 1);
  assert_last_email (fixture, "lucia.typo@example.org");
  first_code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);

  /* Too soon for another address; then the change is to the new one,
   * and the first address's code confirms nothing. */
  g_assert_false (clave_account_send_email_code (fixture->server, device, id,
                                                 "lucia.garcia@example.org", now, &again,
                                                 &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_RESEND_TOO_SOON, CLAVE_ERR_RESEND_TOO_SOON, 429);
  g_clear_error (&error);
  now += 60;
  g_assert_true (clave_account_send_email_code (fixture->server, device, id,
                                                "lucia.garcia@example.org", now, &second,
                                                &error));
  g_assert_no_error (error);
  assert_last_email (fixture, "lucia.garcia@example.org");
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  if (!g_str_equal (first_code, code))
    {
      g_assert_null (clave_account_confirm_email_change (fixture->server, device, id,
                                                         first_code, now, &error));
      assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CODE, CLAVE_ERR_INVALID_CODE, 401);
      g_clear_error (&error);
    }
  g_assert_true (clave_account_get (fixture->server, device, &identity, &citizen, &error));
  g_assert_cmpstr (citizen->email, ==, "lucia@example.org");
  g_clear_pointer (&citizen, clave_citizen_free);
  g_clear_pointer (&identity, clave_identity_free);

  changed = clave_account_confirm_email_change (fixture->server, device, id, code, now, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (changed, ==, "lucia.garcia@example.org");
  g_assert_true (clave_account_get (fixture->server, device, &identity, &citizen, &error));
  g_assert_cmpstr (citizen->email, ==, "lucia.garcia@example.org");
  /* The old address hears of it. */
  assert_last_email (fixture, "lucia@example.org");

  /* Used: nothing more to confirm. */
  g_assert_null (clave_account_confirm_email_change (fixture->server, device, id, code, now,
                                                     &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CHANGE, CLAVE_ERR_INVALID_CHANGE, 404);
  g_clear_error (&error);
  /* A phone change's id space is not the e-mail's. */
  g_assert_false (clave_account_resend_phone_code (fixture->server, device, id, now, &again,
                                                   &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CHANGE, CLAVE_ERR_INVALID_CHANGE, 404);
}

/* Wrong codes lock an e-mail change; an old one expires. */
static void
test_email_change_locked_and_expired (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = activate_lucia (fixture);
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autofree char *id = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *code = NULL;
  g_autofree char *wrong = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  gint64 now = fixture->now;

  id = clave_account_start_email_change (fixture->server, device, "validity_date", LUCIA_DATE,
                                         SOURCE, now, &error);
  g_assert_no_error (error);
  g_assert_true (clave_account_send_email_code (fixture->server, device, id, "new@example.org",
                                                now, &sent, &error));
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  wrong = g_strdup_printf ("%06u", (guint) (g_ascii_strtoull (code, NULL, 10) + 1) % 1000000);
  for (guint i = 1; i < CLAVE_SMS_CODE_MAX_ATTEMPTS; i++)
    {
      g_assert_null (clave_account_confirm_email_change (fixture->server, device, id, wrong, now,
                                                         &error));
      assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CODE, CLAVE_ERR_INVALID_CODE, 401);
      g_assert_cmpint (clave_protocol_error_get_attempts_left (error), ==,
                       CLAVE_SMS_CODE_MAX_ATTEMPTS - i);
      g_clear_error (&error);
    }
  g_assert_null (clave_account_confirm_email_change (fixture->server, device, id, wrong, now,
                                                     &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_CHANGE_LOCKED, CLAVE_ERR_CHANGE_LOCKED, 423);
  g_clear_error (&error);
  /* Locked: even the right code does nothing now. */
  g_assert_null (clave_account_confirm_email_change (fixture->server, device, id, code, now,
                                                     &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_CHANGE_LOCKED, CLAVE_ERR_CHANGE_LOCKED, 423);
  g_clear_error (&error);
  g_assert_true (clave_account_get (fixture->server, device, &identity, &citizen, &error));
  g_assert_cmpstr (citizen->email, ==, "lucia@example.org");

  old_id = clave_account_start_email_change (fixture->server, device, "validity_date",
                                             LUCIA_DATE, SOURCE, now, &error);
  g_assert_no_error (error);
  now += CLAVE_REGISTRATION_TTL_SECS;
  g_assert_false (clave_account_send_email_code (fixture->server, device, old_id,
                                                 "new@example.org", now, &sent, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_CHANGE_EXPIRED, CLAVE_ERR_CHANGE_EXPIRED, 410);
}

/* The message an e-mail command reads: headers, a blank line, the text;
 * a subject that is not ASCII in RFC 2047 words of at most 75 characters,
 * folded, that decode to it. */
static void
test_compose_mail (void)
{
  g_autofree char *plain = clave_outbox_compose_mail ("a@example.org", "Cl@ve", "Hola");
  g_autofree char *long_subject = g_strnfill (30, 'x');
  g_autofree char *subject = g_strconcat ("Cl@ve: código ", long_subject, " — ñandú ",
                                          long_subject, " ¿sí?", NULL);
  g_autofree char *mail = clave_outbox_compose_mail ("a@example.org", subject, "Texto");
  g_autoptr(GString) decoded = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  guint words = 0;

  g_assert_cmpstr (plain, ==,
                   "To: a@example.org\nSubject: Cl@ve\nMIME-Version: 1.0\n"
                   "Content-Type: text/plain; charset=UTF-8\n"
                   "Content-Transfer-Encoding: 8bit\n\nHola\n");

  lines = g_strsplit (mail, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "To: a@example.org");
  g_assert_true (g_str_has_prefix (lines[1], "Subject: =?UTF-8?B?"));
  for (guint i = 1; lines[i] != NULL && !g_str_has_prefix (lines[i], "MIME-Version"); i++)
    {
      const char *word = i == 1 ? lines[i] + strlen ("Subject: ") : lines[i] + 1;
      g_autofree char *base64 = NULL;
      g_autofree guchar *bytes = NULL;
      gsize n = 0;

      /* Folded lines start with a space. */
      g_assert_true (i == 1 || lines[i][0] == ' ');
      g_assert_cmpuint (strlen (word), <=, 75);
      g_assert_true (g_str_has_prefix (word, "=?UTF-8?B?") && g_str_has_suffix (word, "?="));
      base64 = g_strndup (word + 10, strlen (word) - 12);
      bytes = g_base64_decode (base64, &n);
      /* Each word holds whole characters. */
      g_assert_true (g_utf8_validate ((const char *) bytes, (gssize) n, NULL));
      g_string_append_len (decoded, (const char *) bytes, (gssize) n);
      words++;
    }
  g_assert_cmpuint (words, >, 1);
  g_assert_cmpstr (decoded->str, ==, subject);
  g_assert_true (g_str_has_suffix (mail, "\n\nTexto\n"));
}

/* Cl@ve Permanente's activation code: contrast data first; a code of 12
 * unambiguous characters in groups of four; a new one replaces the old;
 * its state as GET /v1/me tells it. */
static void
test_permanente_code (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = activate_lucia (fixture);
  g_autoptr(ClavePermanenteRecord) first = NULL;
  g_autoptr(ClavePermanenteRecord) second = NULL;
  g_autoptr(GRegex) form = g_regex_new ("^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$",
                                        0, 0, NULL);
  g_autofree char *code = NULL;
  g_autofree char *again = NULL;
  g_autofree char *normalized = NULL;
  gint64 now = fixture->now;
  gint64 expires_at = 0;

  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_NONE);
  g_assert_null (clave_permanente_new_code (fixture->server, device, "validity_date",
                                            "2031-05-05", SOURCE, now, &expires_at, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_IDENTIFICATION_FAILED,
                  CLAVE_ERR_IDENTIFICATION_FAILED, 401);
  g_clear_error (&error);
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_NONE);

  code = clave_permanente_new_code (fixture->server, device, "validity_date", LUCIA_DATE, SOURCE,
                                    now, &expires_at, &error);
  g_assert_no_error (error);
  g_assert_true (g_regex_match (form, code, 0, NULL));
  g_assert_cmpint (expires_at, ==, now + 30 * 24 * 3600);
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_CODE_PENDING);
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, expires_at, &error), ==,
                   CLAVE_PERMANENTE_CODE_EXPIRED);
  first = clave_store_get_permanente (fixture->server->store, LUCIA, &error);
  /* Only an HMAC is kept, bound to the person. */
  {
    g_autofree char *bare = clave_permanente_normalize_code (code);
    g_autofree char *bound = g_strconcat ("permanente-code\n" LUCIA "\n", bare, NULL);
    g_autofree char *expected = clave_hmac_sha256_hex (fixture->server->secret, bound);

    g_assert_cmpstr (first->code_hmac, ==, expected);
  }

  again = clave_permanente_new_code (fixture->server, device, "validity_date", LUCIA_DATE,
                                     SOURCE, now + 10, &expires_at, &error);
  g_assert_no_error (error);
  second = clave_store_get_permanente (fixture->server->store, LUCIA, &error);
  g_assert_cmpstr (second->code_hmac, !=, first->code_hmac);
  g_assert_cmpint (second->code_created_at, ==, now + 10);

  /* As a person types it back. */
  normalized = clave_permanente_normalize_code (" abcd efgh-jkmn ");
  g_assert_cmpstr (normalized, ==, "ABCDEFGHJKMN");
  g_assert_null (clave_permanente_normalize_code ("ABCD-EFGH-JKM"));
  g_assert_null (clave_permanente_normalize_code ("ABCD-EFGH-JKMNP"));
  g_assert_null (clave_permanente_normalize_code ("ABCD-EFGH-JKM0"));
  g_assert_null (clave_permanente_normalize_code ("ABCD-EFGH-JKMI"));
}

static char *
new_lucia_code (Fixture         *fixture,
                ClaveDeviceRecord *device,
                gint64           now)
{
  g_autoptr(GError) error = NULL;
  gint64 expires_at = 0;
  char *code = clave_permanente_new_code (fixture->server, device, "validity_date", LUCIA_DATE,
                                          "device:lucia", now, &expires_at, &error);

  g_assert_no_error (error);
  return code;
}

/* Activating Cl@ve Permanente: document, e-mail and activation code, the
 * SMS code, then a password under the rules; wrong data give one answer
 * whatever was wrong; the code is used up. */
static void
test_permanente_activation (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = activate_lucia (fixture);
  g_autoptr(ClavePermanenteStart) start = NULL;
  g_autoptr(ClavePermanenteRecord) record = NULL;
  g_autofree char *code = NULL;
  g_autofree char *sms = NULL;
  g_autofree char *wrong_sms = NULL;
  gint64 now = fixture->now;

  code = new_lucia_code (fixture, device, now);

  /* Wrong e-mail, wrong code, someone without Cl@ve Permanente, someone
   * not registered: the same answer. */
  g_assert_null (clave_permanente_start_activation (fixture->server, LUCIA, "otra@example.org",
                                                    code, SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE,
                  CLAVE_ERR_INVALID_ACTIVATION_CODE, 401);
  g_clear_error (&error);
  g_assert_null (clave_permanente_start_activation (fixture->server, LUCIA, "lucia@example.org",
                                                    "AAAA-BBBB-CCCC", SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE,
                  CLAVE_ERR_INVALID_ACTIVATION_CODE, 401);
  g_clear_error (&error);
  g_assert_null (clave_permanente_start_activation (fixture->server, PEDRO, "lucia@example.org",
                                                    code, SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE,
                  CLAVE_ERR_INVALID_ACTIVATION_CODE, 401);
  g_clear_error (&error);
  g_assert_null (clave_permanente_start_activation (fixture->server, "12345678A", "x@example.org",
                                                    code, SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_DOCUMENT, CLAVE_ERR_INVALID_DOCUMENT, 400);
  g_clear_error (&error);
  record = clave_store_get_permanente (fixture->server->store, LUCIA, &error);
  g_assert_cmpuint (record->code_attempts, ==, 2);
  g_clear_pointer (&record, clave_permanente_record_free);

  /* The address without regard to case, the code as typed. */
  {
    g_autofree char *typed = g_ascii_strdown (code, -1);

    start = clave_permanente_start_activation (fixture->server, "12345678z", "LUCIA@example.ORG",
                                               typed, SOURCE, now, &error);
  }
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (start->id, "pma_"));
  g_assert_cmpstr (start->sent.phone_hint, ==, "******789");
  sms = last_code (fixture, CLAVE_SMS_CODE_DIGITS);

  /* The password waits for the SMS code. */
  g_assert_false (clave_permanente_set_password (fixture->server, start->id, start->token,
                                                 "Tq7!vbnm#x", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ACTIVATION_NOT_VERIFIED,
                  CLAVE_ERR_ACTIVATION_NOT_VERIFIED, 409);
  g_clear_error (&error);
  g_assert_false (clave_permanente_verify_sms (fixture->server, start->id, "wrong token", sms,
                                               now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION, CLAVE_ERR_INVALID_ACTIVATION,
                  401);
  g_clear_error (&error);
  wrong_sms = g_strdup_printf ("%06u", (guint) (g_ascii_strtoull (sms, NULL, 10) + 1) % 1000000);
  g_assert_false (clave_permanente_verify_sms (fixture->server, start->id, start->token,
                                               wrong_sms, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CODE, CLAVE_ERR_INVALID_CODE, 401);
  g_clear_error (&error);
  g_assert_true (clave_permanente_verify_sms (fixture->server, start->id, start->token, sms, now,
                                              &error));
  g_assert_no_error (error);

  /* Each rule refuses; nothing changes. */
  g_assert_false (clave_permanente_set_password (fixture->server, start->id, start->token,
                                                 "Lucia2031!", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_WEAK_PASSWORD, CLAVE_ERR_WEAK_PASSWORD, 400);
  g_assert_nonnull (strstr (error->message, "not your name or surnames"));
  g_clear_error (&error);
  {
    g_autofree char *too_long = g_strnfill (129, 'x');
    /* Short; two groups only; the surname, the given name, the
     * document, its number; over 128 characters; a control character. */
    const char *weak[] = { "short7!", "tqxvbnmkl7", "Garcia#2031", "xxLUCIA7!q",
                           "Q!12345678zq", "abc12345678#", too_long, "Tq7!vbnm\x01x" };

    for (guint i = 0; i < G_N_ELEMENTS (weak); i++)
      {
        g_assert_false (clave_permanente_set_password (fixture->server, start->id, start->token,
                                                       weak[i], now, &error));
        assert_refused (error, CLAVE_PROTOCOL_ERROR_WEAK_PASSWORD, CLAVE_ERR_WEAK_PASSWORD, 400);
        g_clear_error (&error);
      }
  }
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_CODE_PENDING);

  g_assert_true (clave_permanente_set_password (fixture->server, start->id, start->token,
                                                "Tq7!vbnm#x", now, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_ACTIVE);
  record = clave_store_get_permanente (fixture->server->store, LUCIA, &error);
  g_assert_null (record->code_hmac);
  g_assert_true (g_str_has_prefix (record->password_hash, "pbkdf2-sha256$600000$"));
  g_assert_true (clave_password_hash_verify ("Tq7!vbnm#x", record->password_hash));
  g_assert_false (clave_password_hash_verify ("Tq7!vbnm#y", record->password_hash));

  /* Used: the activation and the code open nothing more. */
  g_assert_false (clave_permanente_set_password (fixture->server, start->id, start->token,
                                                 "Other7!pass", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION, CLAVE_ERR_INVALID_ACTIVATION,
                  401);
  g_clear_error (&error);
  g_assert_null (clave_permanente_start_activation (fixture->server, LUCIA, "lucia@example.org",
                                                    code, SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE,
                  CLAVE_ERR_INVALID_ACTIVATION_CODE, 401);
}

/* Five wrong activation codes block the code, for its holder too; a new
 * code from the app starts again; an old one expires. */
static void
test_permanente_code_blocked (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = activate_lucia (fixture);
  g_autoptr(ClavePermanenteStart) start = NULL;
  g_autofree char *code = NULL;
  g_autofree char *fresh = NULL;
  gint64 now = fixture->now;

  code = new_lucia_code (fixture, device, now);
  for (guint i = 1; i < 5; i++)
    {
      g_assert_null (clave_permanente_start_activation (fixture->server, LUCIA,
                                                        "lucia@example.org", "AAAA-BBBB-CCCC",
                                                        SOURCE, now, &error));
      assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE,
                      CLAVE_ERR_INVALID_ACTIVATION_CODE, 401);
      g_clear_error (&error);
    }
  g_assert_null (clave_permanente_start_activation (fixture->server, LUCIA, "lucia@example.org",
                                                    "AAAA-BBBB-CCCC", SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_BLOCKED,
                  CLAVE_ERR_ACTIVATION_CODE_BLOCKED, 423);
  g_clear_error (&error);
  g_assert_null (clave_permanente_start_activation (fixture->server, LUCIA, "lucia@example.org",
                                                    code, "the-citizen", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_BLOCKED,
                  CLAVE_ERR_ACTIVATION_CODE_BLOCKED, 423);
  g_clear_error (&error);
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_CODE_BLOCKED);

  fresh = new_lucia_code (fixture, device, now);
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_CODE_PENDING);
  g_assert_null (clave_permanente_start_activation (fixture->server, LUCIA, "lucia@example.org",
                                                    fresh, "the-citizen", now + 30 * 24 * 3600,
                                                    &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ACTIVATION_CODE_EXPIRED,
                  CLAVE_ERR_ACTIVATION_CODE_EXPIRED, 410);
  g_clear_error (&error);
  /* The place of the five wrong tries waits (the identification limits),
   * another does not. */
  g_assert_null (clave_permanente_start_activation (fixture->server, LUCIA, "lucia@example.org",
                                                    fresh, SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS, CLAVE_ERR_TOO_MANY_ATTEMPTS,
                  429);
  g_clear_error (&error);
  start = clave_permanente_start_activation (fixture->server, LUCIA, "lucia@example.org", fresh,
                                             "the-citizen", now, &error);
  g_assert_no_error (error);
  g_assert_nonnull (start);
}

/* Lucía's device with an active Cl@ve Permanente whose password is
 * @password (through the activation website's operations). */
static ClaveDeviceRecord *
lucia_with_permanente (Fixture    *fixture,
                       const char *password)
{
  g_autoptr(GError) error = NULL;
  ClaveDeviceRecord *device = activate_lucia (fixture);
  g_autoptr(ClavePermanenteStart) start = NULL;
  g_autofree char *code = new_lucia_code (fixture, device, fixture->now);
  g_autofree char *sms = NULL;

  start = clave_permanente_start_activation (fixture->server, LUCIA, "lucia@example.org", code,
                                             SOURCE, fixture->now, &error);
  g_assert_no_error (error);
  sms = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  g_assert_true (clave_permanente_verify_sms (fixture->server, start->id, start->token, sms,
                                              fixture->now, &error));
  g_assert_true (clave_permanente_set_password (fixture->server, start->id, start->token,
                                                password, fixture->now, &error));
  g_assert_no_error (error);
  return device;
}

/* Changing the password: the current one first (five wrong ones block
 * it, for the right one too), then the rules; recovering it with an SMS
 * code unblocks it; deleting the user ends it. */
static void
test_permanente_password (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceRecord) device = lucia_with_permanente (fixture, "Tq7!vbnm#x");
  g_autoptr(ClavePermanenteStart) recovery = NULL;
  g_autoptr(ClavePermanenteRecord) record = NULL;
  g_autofree char *sms = NULL;
  gint64 now = fixture->now;

  g_assert_false (clave_permanente_change_password (fixture->server, device, "Tq7!vbnm#x",
                                                    "corto", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_WEAK_PASSWORD, CLAVE_ERR_WEAK_PASSWORD, 400);
  g_clear_error (&error);
  g_assert_true (clave_permanente_change_password (fixture->server, device, "Tq7!vbnm#x",
                                                   "Nueva#Clave7", now, &error));
  g_assert_no_error (error);

  for (guint i = 1; i < 5; i++)
    {
      g_assert_false (clave_permanente_change_password (fixture->server, device, "Tq7!vbnm#x",
                                                        "Otra#Clave8", now, &error));
      assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_PASSWORD, CLAVE_ERR_INVALID_PASSWORD,
                      401);
      g_assert_cmpint (clave_protocol_error_get_attempts_left (error), ==, 5 - i);
      g_clear_error (&error);
    }
  g_assert_false (clave_permanente_change_password (fixture->server, device, "Tq7!vbnm#x",
                                                    "Otra#Clave8", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_PASSWORD_BLOCKED, CLAVE_ERR_PASSWORD_BLOCKED, 423);
  g_clear_error (&error);
  g_assert_false (clave_permanente_change_password (fixture->server, device, "Nueva#Clave7",
                                                    "Otra#Clave8", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_PASSWORD_BLOCKED, CLAVE_ERR_PASSWORD_BLOCKED, 423);
  g_clear_error (&error);
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_PASSWORD_BLOCKED);

  /* Recovery: a weak password does not use the code up. */
  recovery = clave_permanente_start_recovery (fixture->server, device, now, &error);
  g_assert_no_error (error);
  sms = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  g_assert_false (clave_permanente_finish_recovery (fixture->server, device, recovery->id,
                                                    recovery->token, sms, "Lucia#2031x", now,
                                                    &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_WEAK_PASSWORD, CLAVE_ERR_WEAK_PASSWORD, 400);
  g_clear_error (&error);
  g_assert_true (clave_permanente_finish_recovery (fixture->server, device, recovery->id,
                                                   recovery->token, sms, "Tercera#Clave9", now,
                                                   &error));
  g_assert_no_error (error);
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_ACTIVE);
  record = clave_store_get_permanente (fixture->server->store, LUCIA, &error);
  g_assert_true (clave_password_hash_verify ("Tercera#Clave9", record->password_hash));
  g_assert_cmpuint (record->password_attempts, ==, 0);

  g_assert_true (clave_permanente_delete (fixture->server, device, &error));
  g_assert_cmpstr (clave_permanente_get_state (fixture->server, LUCIA, now, &error), ==,
                   CLAVE_PERMANENTE_NONE);
  g_assert_false (clave_permanente_delete (fixture->server, device, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_PERMANENTE_NOT_ACTIVE,
                  CLAVE_ERR_PERMANENTE_NOT_ACTIVE, 409);
  g_clear_error (&error);
  g_assert_null (clave_permanente_start_recovery (fixture->server, device, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_PERMANENTE_NOT_ACTIVE,
                  CLAVE_ERR_PERMANENTE_NOT_ACTIVE, 409);
}

/* The activation website's tries are identification failures of their
 * source: one place cannot go through codes for many people. */
static void
test_permanente_source_limit (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint refused_at = 0;

  for (guint i = 0; i < 30 && refused_at == 0; i++)
    {
      guint number = 20000000 + i;
      g_autofree char *document = g_strdup_printf ("%u%c", number,
                                                   "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]);

      g_assert_null (clave_permanente_start_activation (fixture->server, document,
                                                        "x@example.org", "AAAA-BBBB-CCCC",
                                                        "scanner", fixture->now, &error));
      if (g_error_matches (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS))
        refused_at = i + 1;
      else
        assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE,
                        CLAVE_ERR_INVALID_ACTIVATION_CODE, 401);
      g_clear_error (&error);
    }
  /* The per-source limit of identification (docs/security.md). */
  g_assert_cmpuint (refused_at, ==, 21);
  /* Another place is not held back by it. */
  g_assert_null (clave_permanente_start_activation (fixture->server, "20000000M", "x@example.org",
                                                    "AAAA-BBBB-CCCC", "elsewhere", fixture->now,
                                                    &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_ACTIVATION_CODE,
                  CLAVE_ERR_INVALID_ACTIVATION_CODE, 401);
}

/* The stored form of a password: verifies its password only, and a row
 * whose cost or form was tampered with never verifies. */
static gnutls_x509_crt_t
import_pem (const char *pem)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum = { (unsigned char *) pem, (unsigned int) strlen (pem) };

  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM), ==, 0);
  return crt;
}

/* The serials (lower-case hex) a DER CRL lists, after checking its
 * signature with the CA's certificate. */
static GStrv
crl_serials (ClaveFirmaCa *ca,
             GBytes       *der)
{
  g_autoptr(GBytes) ca_der = clave_firma_ca_get_certificate (ca);
  g_autoptr(GStrvBuilder) serials = g_strv_builder_new ();
  gnutls_datum_t datum = { (unsigned char *) g_bytes_get_data (der, NULL),
                           (unsigned int) g_bytes_get_size (der) };
  gnutls_datum_t ca_datum = { (unsigned char *) g_bytes_get_data (ca_der, NULL),
                              (unsigned int) g_bytes_get_size (ca_der) };
  gnutls_x509_crl_t crl = NULL;
  gnutls_x509_crt_t ca_crt = NULL;
  unsigned int status = 1;
  int count;

  g_assert_cmpint (gnutls_x509_crl_init (&crl), ==, 0);
  g_assert_cmpint (gnutls_x509_crl_import (crl, &datum, GNUTLS_X509_FMT_DER), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&ca_crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (ca_crt, &ca_datum, GNUTLS_X509_FMT_DER), ==, 0);
  g_assert_cmpint (gnutls_x509_crl_verify (crl, &ca_crt, 1, 0, &status), ==, 0);
  g_assert_cmpuint (status, ==, 0);

  count = gnutls_x509_crl_get_crt_count (crl);
  for (int i = 0; i < count; i++)
    {
      guint8 serial[64];
      size_t size = sizeof serial;
      time_t when = 0;
      g_autoptr(GString) hex = g_string_new (NULL);

      g_assert_cmpint (gnutls_x509_crl_get_crt_serial (crl, (unsigned int) i, serial, &size, &when),
                       ==, 0);
      for (size_t j = 0; j < size; j++)
        g_string_append_printf (hex, "%02x", serial[j]);
      g_strv_builder_add (serials, hex->str);
    }
  gnutls_x509_crl_deinit (crl);
  gnutls_x509_crt_deinit (ca_crt);
  return g_strv_builder_end (serials);
}

/* Cl@ve Firma: issued only to a registered person at level advanced with
 * an active Cl@ve Permanente, one valid certificate at a time, a real
 * certificate under the Cl@ve Firma CA with its key sealed; revoked only
 * by its holder, after accepting the conditions, once; listed in the CRL,
 * also after the holder gave up Cl@ve. */
static void
test_firma (Fixture       *fixture,
            gconstpointer  data)
{
  ClaveStore *store = fixture->server->store;
  ClaveFirmaCa *ca = fixture->server->firma_ca;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveFirmaRecord) record = NULL;
  g_autoptr(ClaveFirmaRecord) again = NULL;
  g_autoptr(ClaveFirmaRecord) revoked = NULL;
  g_autoptr(ClaveFirmaRecord) second = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(GBytes) key_der = NULL;
  g_autoptr(GBytes) crl = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_auto(GStrv) serials = NULL;
  gnutls_x509_crt_t crt, ca_crt;
  gnutls_x509_privkey_t key = NULL;
  gnutls_datum_t dn = { NULL, 0 }, key_datum;
  guint8 crt_id[64], key_id[64];
  size_t crt_id_size = sizeof crt_id, key_id_size = sizeof key_id;
  unsigned int usage = 0, status = 1;
  gint64 now = fixture->now;
  ClaveCitizen basic = { .document = (char *) LUCIA, .phone = (char *) "+34600111789",
                         .email = (char *) "lucia@example.org", .level = (char *) "basic",
                         .channel = (char *) "in_person", .created_at = now };

  /* Not registered; no Cl@ve Permanente; level basic. */
  g_assert_null (clave_firma_issue (store, ca, PEDRO, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_NOT_FOUND, CLAVE_ERR_NOT_FOUND, 404);
  g_clear_error (&error);
  g_assert_null (clave_firma_issue (store, ca, LUCIA, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_PERMANENTE_NOT_ACTIVE,
                  CLAVE_ERR_PERMANENTE_NOT_ACTIVE, 409);
  g_clear_error (&error);
  device = lucia_with_permanente (fixture, "Tq7!vbnm#x");
  g_assert_true (clave_store_put_citizen (store, &basic, &error));
  g_assert_null (clave_firma_issue (store, ca, LUCIA, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_LEVEL_NOT_ADVANCED, CLAVE_ERR_LEVEL_NOT_ADVANCED,
                  409);
  g_clear_error (&error);
  basic.level = (char *) CLAVE_LEVEL_ADVANCED;
  g_assert_true (clave_store_put_citizen (store, &basic, &error));

  record = clave_firma_issue (store, ca, LUCIA, now, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (record->document, ==, LUCIA);
  g_assert_cmpstr (record->holder, ==, "GARCÍA, LUCÍA (FIRMA)");
  g_assert_cmpstr (clave_firma_status (record, now), ==, CLAVE_FIRMA_VALID);
  g_assert_cmpint (record->not_after - record->not_before, ==,
                   CLAVE_FIRMA_VALIDITY_SECS + 3600);

  /* A certificate of the CA, with the person's names and key usage. */
  crt = import_pem (record->cert_pem);
  g_assert_cmpint (gnutls_x509_crt_get_dn3 (crt, &dn, 0), ==, 0);
  g_assert_nonnull (strstr ((const char *) dn.data, "serialNumber=IDCES-12345678Z"));
  g_assert_nonnull (strstr ((const char *) dn.data, "CN=GARCÍA\\, LUCÍA (FIRMA)"));
  gnutls_free (dn.data);
  g_assert_cmpint (gnutls_x509_crt_get_issuer_dn3 (crt, &dn, 0), ==, 0);
  g_assert_cmpstr ((const char *) dn.data, ==, record->issuer);
  g_assert_nonnull (strstr (record->issuer, "CN=AC Cl@ve Firma de pruebas"));
  gnutls_free (dn.data);
  g_assert_cmpint (gnutls_x509_crt_get_key_usage (crt, &usage, NULL), >=, 0);
  g_assert_cmpuint (usage, ==, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_NON_REPUDIATION);
  {
    g_autoptr(GBytes) ca_der = clave_firma_ca_get_certificate (ca);
    gnutls_datum_t ca_datum = { (unsigned char *) g_bytes_get_data (ca_der, NULL),
                                (unsigned int) g_bytes_get_size (ca_der) };

    g_assert_cmpint (gnutls_x509_crt_init (&ca_crt), ==, 0);
    g_assert_cmpint (gnutls_x509_crt_import (ca_crt, &ca_datum, GNUTLS_X509_FMT_DER), ==, 0);
    g_assert_cmpint (gnutls_x509_crt_verify (crt, &ca_crt, 1, 0, &status), ==, 0);
    g_assert_cmpuint (status, ==, 0);
    gnutls_x509_crt_deinit (ca_crt);
  }

  /* The key, sealed: opened, it is the certificate's; with another
   * row's serial it does not open. */
  g_assert_nonnull (record->key_box);
  key_der = clave_firma_ca_open_key (ca, record, &error);
  g_assert_no_error (error);
  key_datum.data = (unsigned char *) g_bytes_get_data (key_der, NULL);
  key_datum.size = (unsigned int) g_bytes_get_size (key_der);
  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_import2 (key, &key_datum, GNUTLS_X509_FMT_DER, NULL,
                                                GNUTLS_PKCS_PLAIN), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_get_key_id (crt, 0, crt_id, &crt_id_size), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_get_key_id (key, 0, key_id, &key_id_size), ==, 0);
  g_assert_cmpmem (crt_id, crt_id_size, key_id, key_id_size);
  gnutls_x509_privkey_deinit (key);
  gnutls_x509_crt_deinit (crt);
  {
    g_autoptr(ClaveFirmaRecord) moved = g_new0 (ClaveFirmaRecord, 1);
    g_autoptr(GBytes) opened = NULL;

    moved->serial = g_strdup ("0123456789abcdef");
    moved->key_box = g_bytes_ref (record->key_box);
    opened = clave_firma_ca_open_key (ca, moved, &error);
    g_assert_null (opened);
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
    g_clear_error (&error);
  }

  /* One valid certificate a person. */
  again = clave_firma_issue (store, ca, LUCIA, now + 10, &error);
  g_assert_null (again);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_FIRMA_EXISTS, CLAVE_ERR_FIRMA_EXISTS, 409);
  g_clear_error (&error);

  /* Revoking: the conditions accepted; only the holder's own serial. */
  g_assert_null (clave_firma_revoke (store, LUCIA, record->serial, FALSE, now + 20, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_CONDITIONS_NOT_ACCEPTED,
                  CLAVE_ERR_CONDITIONS_NOT_ACCEPTED, 400);
  g_clear_error (&error);
  g_assert_null (clave_firma_revoke (store, PEDRO, record->serial, TRUE, now + 20, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_FIRMA_NOT_FOUND, CLAVE_ERR_FIRMA_NOT_FOUND, 404);
  g_clear_error (&error);
  g_assert_null (clave_firma_revoke (store, LUCIA, "0badc0de", TRUE, now + 20, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_FIRMA_NOT_FOUND, CLAVE_ERR_FIRMA_NOT_FOUND, 404);
  g_clear_error (&error);
  /* An expired certificate has nothing to revoke. */
  g_assert_null (clave_firma_revoke (store, LUCIA, record->serial, TRUE, record->not_after,
                                     &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_FIRMA_EXPIRED, CLAVE_ERR_FIRMA_EXPIRED, 409);
  g_clear_error (&error);

  revoked = clave_firma_revoke (store, LUCIA, record->serial, TRUE, now + 20, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (clave_firma_status (revoked, now + 20), ==, CLAVE_FIRMA_REVOKED);
  g_assert_cmpint (revoked->revoked_at, ==, now + 20);
  g_assert_null (clave_firma_revoke (store, LUCIA, record->serial, TRUE, now + 30, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_FIRMA_REVOKED, CLAVE_ERR_FIRMA_REVOKED, 409);
  g_clear_error (&error);

  /* Stored as revoked, its key destroyed. */
  records = clave_store_list_firma (store, LUCIA, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpint (((ClaveFirmaRecord *) records->pdata[0])->revoked_at, ==, now + 20);
  g_assert_cmpstr (((ClaveFirmaRecord *) records->pdata[0])->revoked_by, ==,
                   CLAVE_FIRMA_REVOKED_BY_CITIZEN);
  g_assert_null (((ClaveFirmaRecord *) records->pdata[0])->key_box);
  g_assert_null (clave_firma_ca_open_key (ca, records->pdata[0], &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* A new one may be issued now; giving up Cl@ve revokes it, and the CRL
   * lists both (the rows outlive the registration). */
  second = clave_firma_issue (store, ca, LUCIA, now + 40, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second->serial, !=, record->serial);
  g_assert_true (clave_account_give_up (fixture->server, device, now + 50, &error));
  records = clave_store_list_firma (store, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_cmpstr (((ClaveFirmaRecord *) records->pdata[0])->serial, ==, second->serial);
  g_assert_cmpstr (((ClaveFirmaRecord *) records->pdata[0])->revoked_by, ==,
                   CLAVE_FIRMA_REVOKED_BY_GIVEN_UP);
  g_assert_null (((ClaveFirmaRecord *) records->pdata[0])->key_box);

  crl = clave_firma_ca_make_crl (ca, records, now, &error);
  g_assert_no_error (error);
  serials = crl_serials (ca, crl);
  g_assert_cmpuint (g_strv_length (serials), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) serials, record->serial));
  g_assert_true (g_strv_contains ((const char * const *) serials, second->serial));
}

/* Pictures a video identification keeps: @kinds, each a real PNG. */
static void
put_images (Fixture          *fixture,
            ClaveVideoRecord *record,
            const char       *kinds[])
{
  for (guint i = 0; kinds[i] != NULL; i++)
    {
      g_autoptr(GBytes) png = clave_test_png_new (400, 400, (guint8) (i * 20));
      g_autoptr(GError) error = NULL;

      g_assert_true (clave_video_put_image (fixture->server, record, kinds[i], png, &error));
      g_assert_no_error (error);
    }
}

/* Pedro (in the registry, not registered) by video identification: the
 * refusals of each step with their codes, one pending at a time, the
 * review rejecting and then approving, the pictures gone after each. */
static void
test_video (Fixture       *fixture,
            gconstpointer  data)
{
  ClaveServer *server = fixture->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveVideoStart) start = NULL;
  g_autoptr(ClaveVideoStart) again = NULL;
  g_autoptr(ClaveVideoRecord) record = NULL;
  g_autoptr(ClaveVideoRecord) reread = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GBytes) small = clave_test_png_new (200, 200, 0);
  g_autoptr(GBytes) text = g_bytes_new_static ("not a picture", 13);
  g_autofree char *code = NULL;
  g_auto(GStrv) kinds = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  gint64 now = fixture->now;
  const char *document_images[] = { "front", "back", "face-1", "face-2", NULL };
  const char *third_face[] = { "face-3", NULL };
  const char *all_images[] = { "front", "back", "face-1", "face-2", "face-3", NULL };

  /* Already registered; wrong contrast data; another citizen's phone. */
  g_assert_null (clave_video_start (server, LUCIA, "validity_date", LUCIA_DATE, "+34600999888",
                                    "l@example.org", SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_ALREADY_REGISTERED, CLAVE_ERR_ALREADY_REGISTERED,
                  409);
  g_clear_error (&error);
  g_assert_null (clave_video_start (server, PEDRO, "validity_date", LUCIA_DATE, "+34600999888",
                                    "p@example.org", SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_IDENTIFICATION_FAILED,
                  CLAVE_ERR_IDENTIFICATION_FAILED, 401);
  g_clear_error (&error);
  g_assert_null (clave_video_start (server, PEDRO, "validity_date", PEDRO_DATE, "+34600111789",
                                    "p@example.org", SOURCE, now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_PHONE_IN_USE, CLAVE_ERR_PHONE_IN_USE, 409);
  g_clear_error (&error);

  start = clave_video_start (server, PEDRO, "validity_date", PEDRO_DATE, "+34600999888",
                             "pedro@example.org", SOURCE, now, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (start->id, "vid_"));
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  record = clave_video_open (server, start->id, start->token, now, &error);
  g_assert_no_error (error);
  g_assert_null (clave_video_open (server, start->id, "not-the-token", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_VIDEO, CLAVE_ERR_INVALID_VIDEO, 401);
  g_clear_error (&error);

  /* No pictures before the phone is confirmed. */
  g_assert_false (clave_video_put_image (server, record, "front", small, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_VIDEO_WRONG_STATE, CLAVE_ERR_VIDEO_WRONG_STATE, 409);
  g_clear_error (&error);
  g_assert_false (clave_video_verify_code (server, record, "000000", now, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CODE, CLAVE_ERR_INVALID_CODE, 401);
  g_clear_error (&error);
  g_assert_true (clave_video_verify_code (server, record, code, now, &error));
  g_assert_no_error (error);
  g_assert_false (clave_video_send_code (server, record, now, &sent, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_VIDEO_WRONG_STATE, CLAVE_ERR_VIDEO_WRONG_STATE, 409);
  g_clear_error (&error);

  /* What is not a picture of sane size, or not a kind, is refused. */
  g_assert_false (clave_video_put_image (server, record, "front", text, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_IMAGE, CLAVE_ERR_INVALID_IMAGE, 400);
  g_clear_error (&error);
  g_assert_false (clave_video_put_image (server, record, "front", small, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_IMAGE, CLAVE_ERR_INVALID_IMAGE, 400);
  g_assert_nonnull (strstr (error->message, "200 × 200"));
  g_clear_error (&error);
  g_assert_false (clave_video_put_image (server, record, "selfie", small, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_REQUEST, CLAVE_ERR_INVALID_REQUEST, 400);
  g_clear_error (&error);

  /* Two frames of the face are not enough; three are. */
  put_images (fixture, record, document_images);
  g_assert_false (clave_video_submit (server, record, now + 60, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_MISSING_IMAGES, CLAVE_ERR_MISSING_IMAGES, 409);
  g_clear_error (&error);
  put_images (fixture, record, third_face);
  g_assert_true (clave_video_submit (server, record, now + 60, &error));
  g_assert_no_error (error);
  g_assert_false (clave_video_put_image (server, record, "face-4", small, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_VIDEO_WRONG_STATE, CLAVE_ERR_VIDEO_WRONG_STATE, 409);
  g_clear_error (&error);

  /* One waiting for review at a time; it opens long after its TTL. */
  again = clave_video_start (server, PEDRO, "validity_date", PEDRO_DATE, "+34600999888",
                             "pedro@example.org", SOURCE, now + 120, &error);
  g_assert_null (again);
  assert_refused (error, CLAVE_PROTOCOL_ERROR_VIDEO_PENDING, CLAVE_ERR_VIDEO_PENDING, 409);
  g_clear_error (&error);
  reread = clave_video_open (server, start->id, start->token, now + 3 * CLAVE_VIDEO_TTL_SECS,
                             &error);
  g_assert_no_error (error);
  g_assert_cmpint (reread->state, ==, CLAVE_VIDEO_PENDING);
  g_assert_cmpint (reread->submitted_at, ==, now + 60);
  g_clear_pointer (&reread, clave_video_record_free);

  /* Rejected with its reason: the pictures go, the decision stays. */
  g_assert_true (clave_video_decide (server->store, server->video_files, start->id, FALSE,
                                     "operator-1", "The face does not match the DNI.",
                                     now + 200, &error));
  g_assert_no_error (error);
  reread = clave_video_open (server, start->id, start->token, now + 300, &error);
  g_assert_cmpint (reread->state, ==, CLAVE_VIDEO_REJECTED);
  g_assert_cmpstr (reread->reason, ==, "The face does not match the DNI.");
  g_assert_cmpstr (reread->operator, ==, "operator-1");
  g_assert_cmpint (reread->decided_at, ==, now + 200);
  kinds = clave_video_list_images (server, reread);
  g_assert_cmpuint (g_strv_length (kinds), ==, 0);
  g_clear_pointer (&kinds, g_strfreev);
  g_assert_false (clave_video_decide (server->store, server->video_files, start->id, TRUE,
                                      "operator-1", NULL, now + 300, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_VIDEO_WRONG_STATE, CLAVE_ERR_VIDEO_WRONG_STATE, 409);
  g_clear_error (&error);
  g_clear_pointer (&reread, clave_video_record_free);
  g_clear_pointer (&record, clave_video_record_free);
  g_clear_pointer (&code, g_free);

  /* Again, after the rejection; an unfinished one expires. */
  again = clave_video_start (server, PEDRO, "validity_date", PEDRO_DATE, "+34600999888",
                             "pedro@example.org", SOURCE, now + 400, &error);
  g_assert_no_error (error);
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  g_assert_null (clave_video_open (server, again->id, again->token,
                                   now + 400 + CLAVE_VIDEO_TTL_SECS, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_VIDEO_EXPIRED, CLAVE_ERR_VIDEO_EXPIRED, 410);
  g_clear_error (&error);
  record = clave_video_open (server, again->id, again->token, now + 410, &error);
  g_assert_true (clave_video_verify_code (server, record, code, now + 410, &error));
  put_images (fixture, record, all_images);
  kinds = clave_video_list_images (server, record);
  g_assert_cmpuint (g_strv_length (kinds), ==, 5);
  g_assert_true (clave_video_submit (server, record, now + 420, &error));

  /* Approved: Pedro is registered at level basic by video, the pictures
   * gone. */
  g_assert_true (clave_video_decide (server->store, server->video_files, again->id, TRUE,
                                     "operator-2", NULL, now + 500, &error));
  g_assert_no_error (error);
  citizen = clave_store_get_citizen (server->store, PEDRO, &error);
  g_assert_nonnull (citizen);
  g_assert_cmpstr (citizen->level, ==, CLAVE_LEVEL_BASIC);
  g_assert_cmpstr (citizen->channel, ==, CLAVE_CHANNEL_VIDEO);
  g_assert_cmpstr (citizen->phone, ==, "+34600999888");
  g_assert_cmpstr (citizen->email, ==, "pedro@example.org");
  g_clear_pointer (&kinds, g_strfreev);
  kinds = clave_video_list_images (server, record);
  g_assert_cmpuint (g_strv_length (kinds), ==, 0);
}

/* Pictures that no review will read go with the purge: a registration
 * replaced by a newer one, and one not sent in time (then expired). */
static void
test_video_purge (Fixture       *fixture,
                  gconstpointer  data)
{
  ClaveServer *server = fixture->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveVideoStart) first = NULL;
  g_autoptr(ClaveVideoStart) second = NULL;
  g_autoptr(ClaveVideoRecord) record = NULL;
  g_autoptr(ClaveVideoRecord) reread = NULL;
  g_autofree char *code = NULL;
  g_auto(GStrv) kinds = NULL;
  gint64 now = fixture->now;
  const char *front[] = { "front", NULL };

  first = clave_video_start (server, PEDRO, "validity_date", PEDRO_DATE, "+34600999888",
                             "pedro@example.org", SOURCE, now, &error);
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  record = clave_video_open (server, first->id, first->token, now, &error);
  g_assert_true (clave_video_verify_code (server, record, code, now, &error));
  put_images (fixture, record, front);
  g_clear_pointer (&code, g_free);
  g_clear_pointer (&record, clave_video_record_free);
  g_assert_no_error (error);

  /* Nothing to purge yet. */
  g_assert_cmpuint (clave_video_purge (server, now + 10), ==, 0);

  /* A new start replaces the first: its picture goes. */
  second = clave_video_start (server, PEDRO, "validity_date", PEDRO_DATE, "+34600999888",
                              "pedro@example.org", SOURCE, now + 100, &error);
  g_assert_no_error (error);
  code = last_code (fixture, CLAVE_SMS_CODE_DIGITS);
  record = clave_video_open (server, second->id, second->token, now + 100, &error);
  g_assert_true (clave_video_verify_code (server, record, code, now + 100, &error));
  put_images (fixture, record, front);
  g_assert_cmpuint (clave_video_purge (server, now + 110), ==, 1);
  reread = clave_store_get_video (server->store, first->id, &error);
  kinds = clave_video_list_images (server, reread);
  g_assert_cmpuint (g_strv_length (kinds), ==, 0);
  g_clear_pointer (&kinds, g_strfreev);
  kinds = clave_video_list_images (server, record);
  g_assert_cmpuint (g_strv_length (kinds), ==, 1);
  g_clear_pointer (&kinds, g_strfreev);

  /* Not sent in time: expired, its pictures gone. */
  g_assert_cmpuint (clave_video_purge (server, now + 100 + CLAVE_VIDEO_TTL_SECS), ==, 1);
  g_clear_pointer (&reread, clave_video_record_free);
  reread = clave_store_get_video (server->store, second->id, &error);
  g_assert_cmpint (reread->state, ==, CLAVE_VIDEO_EXPIRED);
  kinds = clave_video_list_images (server, reread);
  g_assert_cmpuint (g_strv_length (kinds), ==, 0);
  g_clear_pointer (&reread, clave_video_record_free);
  g_assert_null (clave_video_open (server, second->id, second->token,
                                   now + 100 + CLAVE_VIDEO_TTL_SECS, &error));
  assert_refused (error, CLAVE_PROTOCOL_ERROR_VIDEO_EXPIRED, CLAVE_ERR_VIDEO_EXPIRED, 410);
}

static void
test_password_hash (void)
{
  g_autofree char *hash = clave_password_hash_new_full ("Tq7!vbnm#x", 1000);
  g_autofree char *again = clave_password_hash_new_full ("Tq7!vbnm#x", 1000);
  g_auto(GStrv) parts = g_strsplit (hash, "$", -1);
  g_autofree char *costly = g_strdup_printf ("pbkdf2-sha256$99999999$%s$%s", parts[2], parts[3]);
  g_autofree char *cheaper = g_strdup_printf ("pbkdf2-sha256$999$%s$%s", parts[2], parts[3]);

  g_assert_true (clave_password_hash_verify ("Tq7!vbnm#x", hash));
  g_assert_false (clave_password_hash_verify ("Tq7!vbnm#X", hash));
  /* Salted: the same password hashes differently. */
  g_assert_cmpstr (hash, !=, again);
  g_assert_false (clave_password_hash_verify ("Tq7!vbnm#x", costly));
  g_assert_false (clave_password_hash_verify ("Tq7!vbnm#x", cheaper));
  g_assert_false (clave_password_hash_verify ("Tq7!vbnm#x", "sha1$1$x$y"));
  g_assert_false (clave_password_hash_verify ("Tq7!vbnm#x", ""));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  g_test_add_func ("/domain/outbox/compose-mail", test_compose_mail);
  ADD ("/domain/identify", test_domain_identify);
  ADD ("/domain/activation/sms", test_activation_by_sms);
  ADD ("/domain/activation/locked-and-expired", test_activation_locked_and_expired);
  ADD ("/domain/requests/sms", test_sms_request);
  ADD ("/domain/requests/device", test_device_requests);
  ADD ("/domain/requests/answers", test_device_answers);
  ADD ("/domain/account/give-up", test_give_up);
  ADD ("/domain/account/email-change", test_email_change);
  ADD ("/domain/account/email-change-locked-and-expired", test_email_change_locked_and_expired);
  ADD ("/domain/permanente/code", test_permanente_code);
  ADD ("/domain/permanente/activation", test_permanente_activation);
  ADD ("/domain/permanente/code-blocked", test_permanente_code_blocked);
  g_test_add_func ("/domain/permanente/password-hash", test_password_hash);
  ADD ("/domain/permanente/password", test_permanente_password);
  ADD ("/domain/permanente/source-limit", test_permanente_source_limit);
  ADD ("/domain/firma", test_firma);
  ADD ("/domain/video", test_video);
  ADD ("/domain/video/purge", test_video_purge);
#undef ADD

  return g_test_run ();
}
