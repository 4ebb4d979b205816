/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-protocol.h"
#include "clave-test-files.h"
#include "server-test-util.h"

/* One server for the whole program: these tests do not disturb each other
 * (each starts its own activation). */
static ClaveTestServer *server;
static SoupSession *session;

#define BASE (clave_test_server_get_base_url (server))

static char *
last_code (const char *phone)
{
  g_autoptr(GError) error = NULL;
  char *code = clave_test_server_last_sms_code (server, phone, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (code), ==, 6);
  return code;
}

static guint
count_substrings (const char *text,
                  const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* A 6-digit code that is certainly not @code. */
static char *
wrong_code (const char *code)
{
  return g_strdup_printf ("%06u", (guint) ((g_ascii_strtoull (code, NULL, 10) + 1) % 1000000));
}

static void
test_full_flow (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autoptr(TestResponse) verified = NULL;
  g_autoptr(TestResponse) registered = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(TestResponse) revealed = NULL;
  g_autoptr(TestResponse) deleted = NULL;
  g_autoptr(TestResponse) after = NULL;
  g_autoptr(TestDevice) device = test_device_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *outbox = NULL;
  g_autofree char *public_key = NULL;
  g_autofree char *proof = NULL;

  activation = test_start_activation (session, BASE, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);

  sms = test_send_sms (session, BASE, activation);
  test_assert_status (sms, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (sms, "sent"));
  g_assert_cmpint (test_response_int (sms, "code_expires_in"), ==, 300);
  g_assert_cmpint (test_response_int (sms, "resend_after"), ==, 30);
  g_assert_cmpint (test_response_int (sms, "sends_left"), ==, 2);
  g_assert_cmpstr (test_response_string (sms, "phone_hint"), ==, "******789");

  /* What the person reads on the phone. */
  outbox = clave_test_server_admin (server, &error, "outbox", "--limit", "1", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (outbox, "Cl@ve: su código de activación es "));
  g_assert_nonnull (strstr (outbox, "Caduca en 5 minutos"));
  g_assert_nonnull (strstr (outbox, LUCIA_PHONE));

  code = last_code (LUCIA_PHONE);
  verified = test_verify_code (session, BASE, activation, code);
  test_assert_status (verified, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (verified, "verified"));

  /* A used code leaves the outbox; the message stays, redacted. */
  g_clear_pointer (&outbox, g_free);
  outbox = clave_test_server_admin (server, &error, "outbox", "--limit", "1", NULL);
  g_assert_no_error (error);
  g_assert_null (strstr (outbox, code));
  g_assert_nonnull (strstr (outbox, "Cl@ve: su código de activación es ••••••. Caduca en 5 "
                                    "minutos."));
  g_assert_nonnull (strstr (outbox, LUCIA_PHONE));

  public_key = test_device_public_key (device);
  proof = test_device_proof (device, activation->id);
  registered = test_register_device (session, BASE, activation, public_key, proof,
                                     "Clave Desktop on portatil");
  test_assert_status (registered, SOUP_STATUS_CREATED);
  device->device_id = g_strdup (test_response_string (registered, "device_id"));
  g_assert_true (g_str_has_prefix (device->device_id, "dev_"));

  me = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, NULL);
  test_assert_status (me, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (me, "document"), ==, "*****678Z");
  g_assert_cmpstr (test_response_string (me, "document_type"), ==, "dni");
  g_assert_cmpstr (test_response_string (me, "given_name"), ==, "Lucía");
  g_assert_cmpstr (test_response_string (me, "surnames"), ==, "García Pérez");
  g_assert_cmpstr (test_response_string (me, "phone"), ==, "******789");
  g_assert_cmpstr (test_response_string (me, "email"), ==, "lucia@example.org");
  g_assert_cmpstr (test_response_string (me, "level"), ==, "advanced");
  g_assert_cmpstr (test_response_string (me, "registration_channel"), ==, "in_person");
  g_assert_cmpstr (test_response_header (me, "Content-Type"), ==, "application/json");
  g_assert_cmpstr (test_response_header (me, "Cache-Control"), ==, "no-store");

  revealed = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME "?reveal=document",
                                  NULL, NULL);
  test_assert_status (revealed, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (revealed, "document"), ==, LUCIA_DOC);

  deleted = test_device_request (session, BASE, device, "DELETE", CLAVE_PATH_DEVICE, NULL, NULL);
  test_assert_status (deleted, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (deleted, "deactivated"));

  after = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, NULL);
  test_assert_error (after, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_DEVICE_DEACTIVATED);
}

static void
test_not_registered (void)
{
  g_autoptr(TestResponse) response = test_identify (session, BASE, MARTA_DOC, "validity_date",
                                                    MARTA_VALIDITY);

  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_false (test_response_bool (response, "registered"));
  g_assert_false (json_object_has_member (test_response_object (response), "activation"));
}

static void
test_identification_failed_identical (void)
{
  g_autoptr(TestResponse) unknown = NULL;
  g_autoptr(TestResponse) wrong = NULL;

  /* 11111111H is a well-formed DNI nobody holds. */
  unknown = test_identify (session, BASE, "11111111H", "validity_date", LUCIA_VALIDITY);
  wrong = test_identify (session, BASE, LUCIA_DOC, "validity_date", "2031-05-05");

  test_assert_error (unknown, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
  test_assert_error (wrong, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
  g_assert_cmpstr (unknown->body, ==, wrong->body);
}

static void
test_permanent_dni (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) by_validity = NULL;

  activation = test_start_activation (session, BASE, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  g_assert_nonnull (activation);

  /* Everybody knows a permanent DNI's validity: it identifies nobody. */
  by_validity = test_identify (session, BASE, ANTONIO_DOC, "validity_date", "9999-01-01");
  test_assert_error (by_validity, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
}

static void
test_nie_support_number (void)
{
  g_autoptr(TestResponse) short_form = NULL;
  g_autoptr(TestResponse) wrong_kind = NULL;
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *normalized = NULL;

  /* The short form as printed on some cards is the client's to pad. */
  short_form = test_identify (session, BASE, ANNA_DOC, "support_number", "E1234567");
  test_assert_error (short_form, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_CONTRAST);

  normalized = clave_support_number_normalize ("E1234567", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (normalized, ==, ANNA_SUPPORT);
  activation = test_start_activation (session, BASE, ANNA_DOC, "support_number", normalized);
  g_assert_nonnull (activation);

  wrong_kind = test_identify (session, BASE, ANNA_DOC, "validity_date", "2030-01-01");
  test_assert_error (wrong_kind, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_CONTRAST);
}

static void
test_wrong_code_locks (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autoptr(TestResponse) first = NULL;
  g_autoptr(TestResponse) second = NULL;
  g_autoptr(TestResponse) third = NULL;
  g_autoptr(TestResponse) right = NULL;
  g_autoptr(TestResponse) resend = NULL;
  g_autofree char *code = NULL;
  g_autofree char *wrong = NULL;

  activation = test_start_activation (session, BASE, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  sms = test_send_sms (session, BASE, activation);
  test_assert_status (sms, SOUP_STATUS_OK);
  code = last_code (ANTONIO_PHONE);
  wrong = wrong_code (code);

  first = test_verify_code (session, BASE, activation, wrong);
  test_assert_error (first, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE);
  g_assert_cmpint (test_response_int (first, "attempts_left"), ==, 2);

  second = test_verify_code (session, BASE, activation, wrong);
  test_assert_error (second, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE);
  g_assert_cmpint (test_response_int (second, "attempts_left"), ==, 1);

  third = test_verify_code (session, BASE, activation, wrong);
  test_assert_error (third, SOUP_STATUS_LOCKED, CLAVE_ERR_ACTIVATION_LOCKED);

  right = test_verify_code (session, BASE, activation, code);
  test_assert_error (right, SOUP_STATUS_LOCKED, CLAVE_ERR_ACTIVATION_LOCKED);

  resend = test_send_sms (session, BASE, activation);
  test_assert_error (resend, SOUP_STATUS_LOCKED, CLAVE_ERR_ACTIVATION_LOCKED);
}

static void
test_resend_too_soon (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) first = NULL;
  g_autoptr(TestResponse) again = NULL;
  gint64 retry;

  activation = test_start_activation (session, BASE, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  first = test_send_sms (session, BASE, activation);
  test_assert_status (first, SOUP_STATUS_OK);

  again = test_send_sms (session, BASE, activation);
  test_assert_error (again, 429, CLAVE_ERR_RESEND_TOO_SOON);
  retry = test_response_int (again, "retry_after");
  g_assert_cmpint (retry, >=, 1);
  g_assert_cmpint (retry, <=, 30);
  g_assert_nonnull (test_response_header (again, "Retry-After"));
}

static void
test_no_code_sent (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) response = NULL;

  activation = test_start_activation (session, BASE, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  response = test_verify_code (session, BASE, activation, "123456");
  test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_NO_CODE_SENT);
}

static void
test_code_format (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) short_code = NULL;
  g_autoptr(TestResponse) letters = NULL;
  g_autoptr(TestResponse) number = NULL;
  g_autofree char *path = NULL;

  activation = test_start_activation (session, BASE, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  short_code = test_verify_code (session, BASE, activation, "12345");
  test_assert_error (short_code, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  letters = test_verify_code (session, BASE, activation, "12a456");
  test_assert_error (letters, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);

  path = g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id, "/sms/verify", NULL);
  number = test_post_json (session, BASE, path, "{\"code\": 123456}", activation->token);
  test_assert_error (number, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
}

static void
test_not_verified (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestDevice) device = test_device_new ();
  g_autofree char *public_key = test_device_public_key (device);
  g_autofree char *proof = NULL;

  activation = test_start_activation (session, BASE, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  proof = test_device_proof (device, activation->id);
  response = test_register_device (session, BASE, activation, public_key, proof, "Not yet");
  test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_ACTIVATION_NOT_VERIFIED);
}

static void
test_invalid_activation (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) wrong_token = NULL;
  g_autoptr(TestResponse) unknown_id = NULL;
  g_autoptr(TestResponse) no_token = NULL;
  g_autofree char *path = NULL;

  activation = test_start_activation (session, BASE, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  path = g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id, "/sms", NULL);

  wrong_token = test_post_json (session, BASE, path, "{}", "not-the-token");
  test_assert_error (wrong_token, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION);

  unknown_id = test_post_json (session, BASE, CLAVE_PATH_ACTIVATIONS "act_nope/sms", "{}",
                               activation->token);
  test_assert_error (unknown_id, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION);

  no_token = test_post_json (session, BASE, path, "{}", NULL);
  test_assert_error (no_token, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION);
}

static void
test_registration_proof (void)
{
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestActivation) other = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autoptr(TestResponse) verified = NULL;
  g_autoptr(TestResponse) other_activation = NULL;
  g_autoptr(TestResponse) other_key = NULL;
  g_autoptr(TestResponse) garbage_proof = NULL;
  g_autoptr(TestResponse) bad_key = NULL;
  g_autoptr(TestResponse) good = NULL;
  g_autoptr(TestResponse) reused = NULL;
  g_autoptr(TestDevice) device = test_device_new ();
  g_autoptr(TestDevice) intruder = test_device_new ();
  g_autofree char *public_key = test_device_public_key (device);
  g_autofree char *code = NULL;
  g_autofree char *proof_for_other = NULL;
  g_autofree char *proof_by_intruder = NULL;
  g_autofree char *proof = NULL;

  /* A newer activation replaces the older one (the older one's id is
   * all this test needs of it). */
  other = test_start_activation (session, BASE, ANNA_DOC, "support_number", ANNA_SUPPORT);
  activation = test_start_activation (session, BASE, ANNA_DOC, "support_number", ANNA_SUPPORT);
  sms = test_send_sms (session, BASE, activation);
  test_assert_status (sms, SOUP_STATUS_OK);
  code = last_code (ANNA_PHONE);
  verified = test_verify_code (session, BASE, activation, code);
  test_assert_status (verified, SOUP_STATUS_OK);

  /* A proof made for another activation must not be replayable here. */
  proof_for_other = test_device_proof (device, other->id);
  other_activation = test_register_device (session, BASE, activation, public_key,
                                           proof_for_other, "Anna");
  test_assert_error (other_activation, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_PROOF);

  proof_by_intruder = test_device_proof (intruder, activation->id);
  other_key = test_register_device (session, BASE, activation, public_key, proof_by_intruder,
                                    "Anna");
  test_assert_error (other_key, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_PROOF);

  garbage_proof = test_register_device (session, BASE, activation, public_key, "AAAA", "Anna");
  test_assert_error (garbage_proof, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_PROOF);

  proof = test_device_proof (device, activation->id);
  bad_key = test_register_device (session, BASE, activation, "bm90LWEta2V5", proof, "Anna");
  test_assert_error (bad_key, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PUBLIC_KEY);

  good = test_register_device (session, BASE, activation, public_key, proof, "Anna");
  test_assert_status (good, SOUP_STATUS_CREATED);

  /* Used up. */
  reused = test_register_device (session, BASE, activation, public_key, proof, "Anna");
  test_assert_error (reused, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION);
}

static void
test_second_device_replaces_first (void)
{
  g_autoptr(TestDevice) first = test_device_new ();
  g_autoptr(TestDevice) second = test_device_new ();
  g_autoptr(TestResponse) before = NULL;
  g_autoptr(TestResponse) old = NULL;
  g_autoptr(TestResponse) current = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = NULL;

  test_activate_device (server, session, first, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE,
                        ANTONIO_PHONE);
  before = test_device_request (session, BASE, first, "GET", CLAVE_PATH_ME, NULL, NULL);
  test_assert_status (before, SOUP_STATUS_OK);

  test_activate_device (server, session, second, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE,
                        ANTONIO_PHONE);
  g_assert_cmpstr (first->device_id, !=, second->device_id);

  old = test_device_request (session, BASE, first, "GET", CLAVE_PATH_ME, NULL, NULL);
  test_assert_error (old, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_DEVICE_DEACTIVATED);

  current = test_device_request (session, BASE, second, "GET", CLAVE_PATH_ME, NULL, NULL);
  test_assert_status (current, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (current, "given_name"), ==, "Antonio");

  /* The registry office sees one active device. */
  shown = clave_test_server_admin (server, &error, "show", ANTONIO_DOC, NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (shown, second->device_id));
  g_assert_nonnull (strstr (shown, first->device_id));
  g_assert_cmpuint (count_substrings (shown, "(active)"), ==, 1);
}

/* Giving up Cl@ve (POST /v1/me/give-up, issue 11): a person registered
 * for this test (the others keep theirs). */
static void
test_give_up (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestDevice) device = test_device_new ();
  g_autoptr(TestResponse) unsigned_request = NULL;
  g_autoptr(TestResponse) by_push = NULL;
  g_autoptr(TestResponse) given_up = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(TestResponse) again = NULL;
  g_autoptr(TestResponse) identified = NULL;
  g_autoptr(TestResponse) registered_again = NULL;
  g_autofree char *out = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *back = NULL;

  out = clave_test_server_admin (server, &error, "register", "--document", "33333333P",
                                 "--given-name", "Rosa", "--surnames", "Vidal Soto",
                                 "--validity-date", "2032-02-02", "--phone", "+34600333444",
                                 "--email", "rosa@example.org", NULL);
  g_assert_no_error (error);
  test_activate_device (server, session, device, "33333333P", "validity_date", "2032-02-02",
                        "+34600333444");

  /* Only the device's own signature gives the registration up. */
  unsigned_request = test_post_json (session, BASE, CLAVE_PATH_ME_GIVE_UP, "{}", NULL);
  test_assert_error (unsigned_request, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_SIGNATURE_REQUIRED);
  me = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, NULL);
  test_assert_status (me, SOUP_STATUS_OK);
  g_clear_pointer (&me, test_response_free);

  given_up = test_device_request (session, BASE, device, "POST", CLAVE_PATH_ME_GIVE_UP, "{}",
                                  NULL);
  test_assert_status (given_up, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (given_up, "given_up"));

  /* The device is gone with the registration; the person is not
   * registered, and may register again. */
  me = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, NULL);
  g_assert_cmpuint (me->status, ==, SOUP_STATUS_UNAUTHORIZED);
  again = test_device_request (session, BASE, device, "POST", CLAVE_PATH_ME_GIVE_UP, "{}", NULL);
  g_assert_cmpuint (again->status, ==, SOUP_STATUS_UNAUTHORIZED);
  identified = test_identify (session, BASE, "33333333P", "validity_date", "2032-02-02");
  test_assert_status (identified, SOUP_STATUS_OK);
  g_assert_false (test_response_bool (identified, "registered"));
  shown = clave_test_server_admin (server, &error, "show", "33333333P", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (shown, "Registered:      no"));
  g_assert_nonnull (strstr (shown, "Gave up Cl@ve:   "));

  back = clave_test_server_admin (server, &error, "register", "--document", "33333333P",
                                  "--given-name", "Rosa", "--surnames", "Vidal Soto",
                                  "--validity-date", "2032-02-02", "--phone", "+34600333444",
                                  "--email", "rosa@example.org", NULL);
  g_assert_no_error (error);
  registered_again = test_identify (session, BASE, "33333333P", "validity_date", "2032-02-02");
  g_assert_true (test_response_bool (registered_again, "registered"));
}

/* Changing the e-mail through HTTP (POST /v1/me/email…, issue 11): what
 * the routes refuse before and after the device's signature, and that a
 * refused step changes nothing. The steps' rules are in test-domain. */
static void
test_change_email (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestMobileDevice) rosa = NULL;
  g_autoptr(TestMobileDevice) luis = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestResponse) started = NULL;
  g_autoptr(TestResponse) sent = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autofree char *out = NULL;
  g_autofree char *code_path = NULL;
  g_autofree char *verify_path = NULL;
  g_autofree char *code = NULL;
  g_autofree char *body = NULL;
  const char *id;
  static const char *const bad_addresses[] = {
    "{\"email\": \"rosa\"}", "{\"email\": \"rosa@example\"}",
    "{\"email\": \"rosa vidal@example.org\"}", "{\"email\": \"@example.org\"}",
    /* A line break would add headers to the e-mail. */
    "{\"email\": \"rosa@example.org\\r\\nBcc: x@example.org\"}",
  };
  static const char *const contrast =
    "{\"contrast\": {\"kind\": \"validity_date\", \"value\": \"2032-02-02\"}}";

  out = clave_test_server_admin (server, &error, "register", "--document", "44444444A",
                                 "--given-name", "Rosa", "--surnames", "Vidal Soto",
                                 "--validity-date", "2032-02-02", "--phone", "+34600444555",
                                 "--email", "rosa@example.org", NULL);
  g_assert_no_error (error);
  g_clear_pointer (&out, g_free);
  out = clave_test_server_admin (server, &error, "register", "--document", "55555555K",
                                 "--given-name", "Luis", "--surnames", "Soto Vidal",
                                 "--validity-date", "2032-03-03", "--phone", "+34600555666",
                                 "--email", "luis@example.org", NULL);
  g_assert_no_error (error);
  rosa = test_mobile_device_activate (server, session, "44444444A", "validity_date",
                                      "2032-02-02", "+34600444555");
  luis = test_mobile_device_activate (server, session, "55555555K", "validity_date",
                                      "2032-03-03", "+34600555666");

  /* Unsigned, signed by the push key, malformed, wrong method or path:
   * refused. */
  response = test_post_json (session, BASE, CLAVE_PATH_ME_EMAIL, contrast, NULL);
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_SIGNATURE_REQUIRED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, rosa->push, "POST", CLAVE_PATH_ME_EMAIL,
                                  contrast, NULL);
  test_assert_error (response, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_KEY_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, rosa->device, "POST", CLAVE_PATH_ME_EMAIL,
                                  "{\"contrast\": \"2032-02-02\"}", NULL);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, rosa->device, "GET", CLAVE_PATH_ME_EMAIL, NULL,
                                  NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, rosa->device, "POST",
                                  CLAVE_PATH_ME_EMAIL "/eml_x/sms", "{}", NULL);
  test_assert_error (response, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
  g_clear_pointer (&response, test_response_free);

  started = test_device_request (session, BASE, rosa->device, "POST", CLAVE_PATH_ME_EMAIL,
                                 contrast, NULL);
  test_assert_status (started, SOUP_STATUS_CREATED);
  id = test_response_string (started, "id");
  code_path = g_strconcat (CLAVE_PATH_ME_EMAIL_PREFIX, id, "/code", NULL);
  verify_path = g_strconcat (CLAVE_PATH_ME_EMAIL_PREFIX, id, "/verify", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_addresses); i++)
    {
      response = test_device_request (session, BASE, rosa->device, "POST", code_path,
                                      bad_addresses[i], NULL);
      test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_EMAIL);
      g_clear_pointer (&response, test_response_free);
    }
  /* Another person's change does not exist for this device. */
  response = test_device_request (session, BASE, luis->device, "POST", code_path,
                                  "{\"email\": \"luis.soto@example.org\"}", NULL);
  test_assert_error (response, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_INVALID_CHANGE);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, rosa->device, "POST", verify_path,
                                  "{\"code\": \"12345\"}", NULL);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  g_clear_pointer (&response, test_response_free);

  sent = test_device_request (session, BASE, rosa->device, "POST", code_path,
                              "{\"email\": \"rosa.vidal@Example.ORG\"}", NULL);
  test_assert_status (sent, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (sent, "email"), ==, "rosa.vidal@example.org");
  code = clave_test_server_last_email_code (server, "rosa.vidal@example.org", &error);
  g_assert_no_error (error);

  /* Luis cannot confirm Rosa's change, even with its code. */
  body = g_strdup_printf ("{\"code\": \"%s\"}", code);
  response = test_device_request (session, BASE, luis->device, "POST", verify_path, body, NULL);
  test_assert_error (response, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_INVALID_CHANGE);
  g_clear_pointer (&response, test_response_free);
  me = test_device_request (session, BASE, rosa->device, "GET", CLAVE_PATH_ME, NULL, NULL);
  g_assert_cmpstr (test_response_string (me, "email"), ==, "rosa@example.org");
  g_clear_pointer (&me, test_response_free);

  response = test_device_request (session, BASE, rosa->device, "POST", verify_path, body, NULL);
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (response, "email"), ==, "rosa.vidal@example.org");
  g_clear_pointer (&response, test_response_free);
  me = test_device_request (session, BASE, rosa->device, "GET", CLAVE_PATH_ME, NULL, NULL);
  g_assert_cmpstr (test_response_string (me, "email"), ==, "rosa.vidal@example.org");
}

/* A new Cl@ve Permanente activation code over HTTP (POST
 * /v1/me/permanente/code, issue 12): signed by the device, after the
 * contrast data; GET /v1/me then says a code is pending. */
static void
test_permanente_code (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestMobileDevice) pilar = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autofree char *out = NULL;
  static const char *const right =
    "{\"contrast\": {\"kind\": \"validity_date\", \"value\": \"2033-04-04\"}}";

  out = clave_test_server_admin (server, &error, "register", "--document", "66666666Q",
                                 "--given-name", "Pilar", "--surnames", "Gil Sanz",
                                 "--validity-date", "2033-04-04", "--phone", "+34600666777",
                                 "--email", "pilar@example.org", NULL);
  g_assert_no_error (error);
  pilar = test_mobile_device_activate (server, session, "66666666Q", "validity_date",
                                       "2033-04-04", "+34600666777");
  me = test_device_request (session, BASE, pilar->device, "GET", CLAVE_PATH_ME, NULL, NULL);
  g_assert_cmpstr (test_response_string (me, "permanente"), ==, CLAVE_PERMANENTE_NONE);
  g_clear_pointer (&me, test_response_free);

  response = test_post_json (session, BASE, CLAVE_PATH_ME_PERMANENTE_CODE, right, NULL);
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_SIGNATURE_REQUIRED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->push, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_CODE, right, NULL);
  test_assert_error (response, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_KEY_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->device, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_CODE, "{}", NULL);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->device, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_CODE,
                                  "{\"contrast\": {\"kind\": \"validity_date\", "
                                  "\"value\": \"2033-04-05\"}}", NULL);
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
  g_clear_pointer (&response, test_response_free);
  me = test_device_request (session, BASE, pilar->device, "GET", CLAVE_PATH_ME, NULL, NULL);
  g_assert_cmpstr (test_response_string (me, "permanente"), ==, CLAVE_PERMANENTE_NONE);
  g_clear_pointer (&me, test_response_free);

  response = test_device_request (session, BASE, pilar->device, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_CODE, right, NULL);
  test_assert_status (response, SOUP_STATUS_CREATED);
  g_assert_true (g_regex_match_simple ("^[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){2}$",
                                       test_response_string (response, "code"), 0, 0));
  g_assert_cmpint (test_response_int (response, "expires_at"), >,
                   g_get_real_time () / G_USEC_PER_SEC + 29 * 24 * 3600);
  me = test_device_request (session, BASE, pilar->device, "GET", CLAVE_PATH_ME, NULL, NULL);
  g_assert_cmpstr (test_response_string (me, "permanente"), ==, CLAVE_PERMANENTE_CODE_PENDING);
  g_clear_pointer (&response, test_response_free);

  /* The password's routes: signed by the device key, well formed, and
   * only for an active Cl@ve Permanente. */
  response = test_request (session, BASE, "DELETE", CLAVE_PATH_ME_PERMANENTE, NULL, NULL, 0,
                           FALSE, NULL);
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_SIGNATURE_REQUIRED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->push, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_PASSWORD,
                                  "{\"old\": \"a\", \"new\": \"b\"}", NULL);
  test_assert_error (response, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_KEY_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->device, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_PASSWORD, "{\"old\": \"a\"}", NULL);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->device, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_PASSWORD,
                                  "{\"old\": \"Tq7!vbnm#x\", \"new\": \"Nueva#Clave7\"}",
                                  NULL);
  test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_PERMANENTE_NOT_ACTIVE);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->device, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_RECOVERY, "{}", NULL);
  test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_PERMANENTE_NOT_ACTIVE);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->device, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_RECOVERY "/pma.x", "{}", NULL);
  test_assert_error (response, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pilar->device, "GET",
                                  CLAVE_PATH_ME_PERMANENTE, NULL, NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
}

/* The output of certtool with @args (NULL-terminated), which must
 * succeed. */
static char *
run_certtool (const char *first,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = -1;
  va_list args;

  g_ptr_array_add (argv, (gpointer) "certtool");
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("certtool failed: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

/* Cl@ve Firma over HTTP (issue 12): clave-admin issues the certificate,
 * the device lists and revokes it (signed; the conditions accepted;
 * refusals with their codes), and the CRL the service publishes, read
 * by certtool, lists its serial and verifies under the CA it serves. */
static void
test_firma (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestMobileDevice) pablo = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autofree char *page = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *body = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *crl_file = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *info = NULL;
  JsonObject *issued, *listed;
  JsonArray *certificates;
  static const char *const contrast =
    "{\"contrast\": {\"kind\": \"validity_date\", \"value\": \"2032-02-02\"}}";

  out = clave_test_server_admin (server, &error, "register", "--document", "77777777B",
                                 "--given-name", "Pablo", "--surnames", "Núñez Gil",
                                 "--validity-date", "2032-02-02", "--phone", "+34600777888",
                                 "--email", "pablo@example.org", "--level", "advanced", NULL);
  g_assert_no_error (error);
  g_clear_pointer (&out, g_free);
  pablo = test_mobile_device_activate (server, session, "77777777B", "validity_date",
                                       "2032-02-02", "+34600777888");

  /* Without Cl@ve Permanente clave-admin refuses. */
  out = clave_test_server_admin (server, &error, "issue-firma", "77777777B", NULL);
  g_assert_null (out);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "Cl@ve Permanente"));
  g_clear_error (&error);

  response = test_device_request (session, BASE, pablo->device, "POST",
                                  CLAVE_PATH_ME_PERMANENTE_CODE, contrast, NULL);
  test_assert_status (response, SOUP_STATUS_CREATED);
  page = clave_test_server_activate_permanente (server, "77777777B", "pablo@example.org",
                                                test_response_string (response, "code"),
                                                "Zx8#mnbv!q");
  g_clear_pointer (&response, test_response_free);

  out = clave_test_server_admin (server, &error, "issue-firma", "77777777B", "--json", NULL);
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  /* An array, as list-firma prints, of the one certificate. */
  issued = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)), 0);
  serial = g_strdup (json_object_get_string_member (issued, "serial"));
  g_assert_cmpstr (json_object_get_string_member (issued, "status"), ==, CLAVE_FIRMA_VALID);
  g_assert_cmpstr (json_object_get_string_member (issued, "holder"), ==,
                   "NÚÑEZ GIL, PABLO (FIRMA)");

  /* The list: signed by the device key only. */
  response = test_request (session, BASE, "GET", CLAVE_PATH_ME_FIRMA, NULL, NULL, 0, FALSE, NULL);
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_SIGNATURE_REQUIRED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pablo->push, "GET", CLAVE_PATH_ME_FIRMA, NULL,
                                  NULL);
  test_assert_error (response, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_KEY_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pablo->device, "GET", CLAVE_PATH_ME_FIRMA, NULL,
                                  NULL);
  test_assert_status (response, SOUP_STATUS_OK);
  certificates = json_object_get_array_member (test_response_object (response), "certificates");
  g_assert_cmpuint (json_array_get_length (certificates), ==, 1);
  listed = json_array_get_object_element (certificates, 0);
  g_assert_cmpstr (json_object_get_string_member (listed, "serial"), ==, serial);
  g_assert_cmpstr (json_object_get_string_member (listed, "status"), ==, CLAVE_FIRMA_VALID);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (listed, "certificate"),
                                   "-----BEGIN CERTIFICATE-----"));
  g_assert_false (json_object_has_member (listed, "revoked_at"));
  g_clear_pointer (&response, test_response_free);

  /* Revoking: refusals first, nothing revoked by them. */
  body = g_strdup_printf ("{\"serial\": \"%s\", \"accept_conditions\": true}", serial);
  response = test_device_request (session, BASE, pablo->push, "POST", CLAVE_PATH_ME_FIRMA_REVOKE,
                                  body, NULL);
  test_assert_error (response, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_KEY_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pablo->device, "POST",
                                  CLAVE_PATH_ME_FIRMA_REVOKE, "{\"accept_conditions\": true}",
                                  NULL);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  g_clear_pointer (&response, test_response_free);
  {
    g_autofree char *no = g_strdup_printf ("{\"serial\": \"%s\"}", serial);
    g_autofree char *bad = g_strdup_printf ("{\"serial\": \"%s\", \"accept_conditions\": "
                                            "\"yes\"}", serial);

    response = test_device_request (session, BASE, pablo->device, "POST",
                                    CLAVE_PATH_ME_FIRMA_REVOKE, no, NULL);
    test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_CONDITIONS_NOT_ACCEPTED);
    g_clear_pointer (&response, test_response_free);
    response = test_device_request (session, BASE, pablo->device, "POST",
                                    CLAVE_PATH_ME_FIRMA_REVOKE, bad, NULL);
    test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
    g_clear_pointer (&response, test_response_free);
  }
  response = test_device_request (session, BASE, pablo->device, "POST",
                                  CLAVE_PATH_ME_FIRMA_REVOKE,
                                  "{\"serial\": \"0badc0de\", \"accept_conditions\": true}", NULL);
  test_assert_error (response, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_FIRMA_NOT_FOUND);
  g_clear_pointer (&response, test_response_free);
  response = test_request (session, BASE, "GET", CLAVE_PATH_ME_FIRMA_REVOKE, NULL, NULL, 0, FALSE,
                           NULL);
  test_assert_error (response, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);

  response = test_device_request (session, BASE, pablo->device, "POST",
                                  CLAVE_PATH_ME_FIRMA_REVOKE, body, NULL);
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (response, "serial"), ==, serial);
  g_assert_cmpstr (test_response_string (response, "status"), ==, CLAVE_FIRMA_REVOKED);
  g_assert_cmpint (test_response_int (response, "revoked_at"), >, 0);
  g_clear_pointer (&response, test_response_free);
  response = test_device_request (session, BASE, pablo->device, "POST",
                                  CLAVE_PATH_ME_FIRMA_REVOKE, body, NULL);
  test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_FIRMA_REVOKED);
  g_clear_pointer (&response, test_response_free);

  /* The CRL and the CA, public, read by certtool. */
  response = test_request (session, BASE, "POST", CLAVE_PATH_FIRMA_CRL, "application/json", "{}",
                           -1, FALSE, NULL);
  test_assert_error (response, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);
  dir = g_dir_make_tmp ("clave-firma-XXXXXX", &error);
  g_assert_no_error (error);
  crl_file = g_build_filename (dir, "crl.der", NULL);
  ca_file = g_build_filename (dir, "ca.der", NULL);
  response = test_request (session, BASE, "GET", CLAVE_PATH_FIRMA_CRL, NULL, NULL, 0, FALSE,
                           NULL);
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_header (response, "Content-Type"), ==, "application/pkix-crl");
  g_assert_true (g_file_set_contents (crl_file, response->body,
                                      (gssize) response->body_len,
                                      &error));
  g_clear_pointer (&response, test_response_free);
  response = test_request (session, BASE, "GET", CLAVE_PATH_FIRMA_CA, NULL, NULL, 0, FALSE,
                           NULL);
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_header (response, "Content-Type"), ==, "application/pkix-cert");
  g_assert_true (g_file_set_contents (ca_file, response->body,
                                      (gssize) response->body_len,
                                      &error));
  g_clear_pointer (&response, test_response_free);

  info = run_certtool ("--crl-info", "--inder", "--infile", crl_file, NULL);
  g_assert_nonnull (strstr (info, serial));
  g_assert_nonnull (strstr (info, "CN=AC Cl@ve Firma de pruebas"));
  {
    g_autofree char *ca_pem_file = g_build_filename (dir, "ca.pem", NULL);
    g_autofree char *crl_pem_file = g_build_filename (dir, "crl.pem", NULL);
    g_autofree char *ca_pem = run_certtool ("--certificate-info", "--inder", "--infile", ca_file,
                                            "--outfile", ca_pem_file, NULL);
    g_autofree char *crl_pem = run_certtool ("--crl-info", "--inder", "--infile", crl_file,
                                             "--outfile", crl_pem_file, NULL);
    g_autofree char *verified = run_certtool ("--verify-crl", "--load-ca-certificate",
                                              ca_pem_file, "--infile", crl_pem_file, NULL);

    g_assert_nonnull (strstr (verified, "Verified"));
  }
  g_clear_pointer (&out, g_free);
  out = clave_test_server_admin (server, &error, "list-firma", "77777777B", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "revoked"));
  clave_test_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/activation/full-flow", test_full_flow);
  g_test_add_func ("/activation/not-registered", test_not_registered);
  g_test_add_func ("/activation/identification-failed-identical",
                   test_identification_failed_identical);
  g_test_add_func ("/activation/permanent-dni", test_permanent_dni);
  g_test_add_func ("/activation/nie-support-number", test_nie_support_number);
  g_test_add_func ("/activation/wrong-code-locks", test_wrong_code_locks);
  g_test_add_func ("/activation/resend-too-soon", test_resend_too_soon);
  g_test_add_func ("/activation/no-code-sent", test_no_code_sent);
  g_test_add_func ("/activation/code-format", test_code_format);
  g_test_add_func ("/activation/not-verified", test_not_verified);
  g_test_add_func ("/activation/invalid-activation", test_invalid_activation);
  g_test_add_func ("/activation/registration-proof", test_registration_proof);
  g_test_add_func ("/activation/second-device-replaces-first", test_second_device_replaces_first);
  g_test_add_func ("/activation/give-up", test_give_up);
  g_test_add_func ("/activation/change-email", test_change_email);
  g_test_add_func ("/activation/permanente-code", test_permanente_code);
  g_test_add_func ("/activation/firma", test_firma);

  server = test_server_start (NULL);
  session = test_session_new (server);

  status = g_test_run ();

  g_clear_object (&session);
  clave_test_server_stop (server);
  return status;
}
