/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "clave-document.h"
#include "clave-protocol.h"
#include "server-test-util.h"

/* Time limits, counters and the SMS gateway: each test starts a server
 * configured for it. */

static char *
last_code (ClaveTestServer *server,
           const char      *phone)
{
  g_autoptr(GError) error = NULL;
  char *code = clave_test_server_last_sms_code (server, phone, &error);

  g_assert_no_error (error);
  return code;
}

#define REDACTED "••••••"

/* A 6-digit code that is certainly not @code. */
static char *
wrong_code (const char *code)
{
  return g_strdup_printf ("%06u", (guint) ((g_ascii_strtoull (code, NULL, 10) + 1) % 1000000));
}

/* The bodies of the outbox messages to @phone, newest first. */
static GPtrArray *
outbox_bodies (ClaveTestServer *server,
               const char      *phone)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = clave_test_server_admin (server, &error, "outbox", "--json", NULL);
  GPtrArray *bodies = g_ptr_array_new_with_free_func (g_free);
  JsonArray *messages;

  g_assert_no_error (error);
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  messages = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      if (g_str_equal (json_object_get_string_member (message, "phone"), phone))
        g_ptr_array_add (bodies, g_strdup (json_object_get_string_member (message, "body")));
    }
  return bodies;
}

/* Asserts that no message to @phone shows a code any more. */
static void
assert_outbox_redacted (ClaveTestServer *server,
                        const char      *phone)
{
  g_autoptr(GPtrArray) bodies = outbox_bodies (server, phone);
  g_autoptr(GRegex) six_digits = g_regex_new ("[0-9]{6}", 0, 0, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  g_assert_cmpuint (bodies->len, >, 0);
  for (guint i = 0; i < bodies->len; i++)
    {
      const char *body = g_ptr_array_index (bodies, i);

      g_assert_false (g_regex_match (six_digits, body, 0, NULL));
      g_assert_nonnull (strstr (body, "su código de activación es " REDACTED "."));
    }

  code = clave_test_server_last_sms_code (server, phone, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (code);
}

static void
test_code_expired (void)
{
  const char *args[] = { "--sms-code-ttl", "1", NULL };
  ClaveTestServer *server = test_server_start (args);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autoptr(TestResponse) late = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *outbox = NULL;

  activation = test_start_activation (session, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  sms = test_send_sms (session, base, activation);
  test_assert_status (sms, SOUP_STATUS_OK);
  g_assert_cmpint (test_response_int (sms, "code_expires_in"), ==, 1);
  code = last_code (server, LUCIA_PHONE);

  /* The text still holds one 6-digit run: the code. */
  outbox = clave_test_server_admin (server, &error, "outbox", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (outbox, "Caduca en 1 segundo."));

  g_usleep (2 * G_USEC_PER_SEC);
  late = test_verify_code (session, base, activation, code);
  test_assert_error (late, SOUP_STATUS_GONE, CLAVE_ERR_CODE_EXPIRED);

  /* An expired code leaves the outbox. */
  assert_outbox_redacted (server, LUCIA_PHONE);

  clave_test_server_stop (server);
}

static void
test_resend_limit (void)
{
  const char *args[] = { "--sms-resend-interval", "0", NULL };
  ClaveTestServer *server = test_server_start (args);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) fourth = NULL;
  g_autoptr(TestResponse) old_code = NULL;
  g_autoptr(TestResponse) new_code = NULL;
  g_autofree char *first_code = NULL;
  g_autofree char *code = NULL;

  activation = test_start_activation (session, base, ANNA_DOC, "support_number", ANNA_SUPPORT);
  for (int sends_left = 2; sends_left >= 0; sends_left--)
    {
      g_autoptr(TestResponse) sms = test_send_sms (session, base, activation);

      test_assert_status (sms, SOUP_STATUS_OK);
      g_assert_cmpint (test_response_int (sms, "sends_left"), ==, sends_left);
      g_assert_cmpint (test_response_int (sms, "resend_after"), ==, 0);
      if (first_code == NULL)
        first_code = last_code (server, ANNA_PHONE);
    }

  fourth = test_send_sms (session, base, activation);
  test_assert_error (fourth, 429, CLAVE_ERR_RESEND_LIMIT);

  /* A resend replaces the code: only the newest message still shows one. */
  {
    g_autoptr(GPtrArray) bodies = outbox_bodies (server, ANNA_PHONE);

    g_assert_cmpuint (bodies->len, ==, 3);
    g_assert_null (strstr (g_ptr_array_index (bodies, 0), REDACTED));
    g_assert_nonnull (strstr (g_ptr_array_index (bodies, 1), REDACTED));
    g_assert_nonnull (strstr (g_ptr_array_index (bodies, 2), REDACTED));
  }
  code = last_code (server, ANNA_PHONE);
  if (g_strcmp0 (first_code, code) != 0)
    {
      old_code = test_verify_code (session, base, activation, first_code);
      test_assert_error (old_code, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE);
    }
  new_code = test_verify_code (session, base, activation, code);
  test_assert_status (new_code, SOUP_STATUS_OK);
  assert_outbox_redacted (server, ANNA_PHONE);

  clave_test_server_stop (server);
}

static char *
unknown_dni (guint32 number)
{
  return g_strdup_printf ("%08u%c", number, clave_document_control_letter (number));
}

static void
test_rate_limit (void)
{
  ClaveTestServer *server = test_server_start (NULL);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestResponse) limited = NULL;
  g_autoptr(TestResponse) right_but_limited = NULL;
  g_autoptr(TestResponse) other_document = NULL;
  g_autoptr(TestResponse) address_limited = NULL;
  g_autoptr(TestResponse) unknown_limited = NULL;
  gint64 retry;

  /* Five failures for one document from one address... */
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(TestResponse) wrong = test_identify (session, base, LUCIA_DOC, "validity_date",
                                                     "2030-01-01");
      test_assert_error (wrong, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
    }

  /* ...stop that address for that document, even with the right contrast
   * data (test_stranger_cannot_lock_out: only that address). */
  limited = test_identify (session, base, LUCIA_DOC, "validity_date", "2030-01-01");
  test_assert_error (limited, 429, CLAVE_ERR_TOO_MANY_ATTEMPTS);
  retry = test_response_int (limited, "retry_after");
  g_assert_cmpint (retry, >, 0);
  g_assert_cmpint (retry, <=, 15 * 60);
  g_assert_nonnull (test_response_header (limited, "Retry-After"));

  right_but_limited = test_identify (session, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  test_assert_error (right_but_limited, 429, CLAVE_ERR_TOO_MANY_ATTEMPTS);

  /* Other documents are not affected yet. */
  other_document = test_identify (session, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  test_assert_status (other_document, SOUP_STATUS_OK);

  /* Unknown documents count alike, towards 20 per client address. */
  for (guint i = 0; i < 15; i++)
    {
      g_autofree char *document = unknown_dni (11111100 + i);
      g_autoptr(TestResponse) wrong = test_identify (session, base, document, "validity_date",
                                                     "2030-01-01");
      test_assert_error (wrong, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
    }

  address_limited = test_identify (session, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  test_assert_error (address_limited, 429, CLAVE_ERR_TOO_MANY_ATTEMPTS);

  {
    g_autofree char *document = unknown_dni (22222200);
    unknown_limited = test_identify (session, base, document, "validity_date", "2030-01-01");
    test_assert_error (unknown_limited, 429, CLAVE_ERR_TOO_MANY_ATTEMPTS);
  }

  clave_test_server_stop (server);
}

static char *
wait_for_status (ClaveTestServer *server,
                 const char      *status)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *json = clave_test_server_admin (server, &error, "outbox", "--json",
                                                       "--limit", "1", NULL);
      JsonArray *messages;
      JsonObject *newest;

      g_assert_no_error (error);
      json_parser_load_from_data (parser, json, -1, &error);
      g_assert_no_error (error);
      messages = json_node_get_array (json_parser_get_root (parser));
      g_assert_cmpuint (json_array_get_length (messages), ==, 1);
      newest = json_array_get_object_element (messages, 0);
      if (g_str_equal (json_object_get_string_member (newest, "status"), status))
        return g_strdup (json_object_get_string_member (newest, "body"));
      g_usleep (50 * 1000);
    }

  g_assert_not_reached ();
  return NULL;
}

static void
test_sms_command (void)
{
  g_autofree char *dir = g_dir_make_tmp ("clave-sms-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "sent.txt", NULL);
  g_autofree char *command = g_strdup_printf ("sh -c 'printf \"%%s\\n\" \"$CLAVE_SMS_TO\" > "
                                              "\"$0\"; cat >> \"$0\"' '%s'", file);
  const char *args[] = { "--sms-command", command, NULL };
  ClaveTestServer *server = test_server_start (args);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) six_digits = g_regex_new ("(?<![0-9])[0-9]{6}(?![0-9])", 0, 0, NULL);
  g_autofree char *body = NULL;
  g_autofree char *sent = NULL;
  g_autofree char *sent_redacted = NULL;
  g_autofree char *expected = NULL;

  activation = test_start_activation (session, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  sms = test_send_sms (session, base, activation);
  test_assert_status (sms, SOUP_STATUS_OK);

  /* The gateway got the code; the outbox, once it has delivered, keeps
   * the same text without it. */
  body = wait_for_status (server, "delivered");
  g_file_get_contents (file, &sent, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_regex_match (six_digits, sent, 0, NULL));
  sent_redacted = g_regex_replace_literal (six_digits, sent, -1, 0, REDACTED, 0, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("%s\n%s", ANTONIO_PHONE, body);
  g_assert_cmpstr (sent_redacted, ==, expected);
  assert_outbox_redacted (server, ANTONIO_PHONE);

  clave_test_server_stop (server);
  g_remove (file);
  g_rmdir (dir);
}

static void
test_sms_command_fails (void)
{
  const char *args[] = { "--sms-command", "false", NULL };
  ClaveTestServer *server = test_server_start (args);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autofree char *body = NULL;

  activation = test_start_activation (session, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  sms = test_send_sms (session, base, activation);
  test_assert_status (sms, SOUP_STATUS_OK);
  body = wait_for_status (server, "failed");
  g_assert_nonnull (strstr (body, "Cl@ve"));

  clave_test_server_stop (server);
}

static void
test_new_activation_replaces_old (void)
{
  ClaveTestServer *server = test_server_start (NULL);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) antonio = NULL;
  g_autoptr(TestActivation) first = NULL;
  g_autoptr(TestActivation) second = NULL;
  g_autoptr(TestActivation) third = NULL;
  g_autoptr(TestResponse) first_sms = NULL;
  g_autoptr(TestResponse) old_sms = NULL;
  g_autoptr(TestResponse) old_verify = NULL;
  g_autoptr(TestResponse) second_sms = NULL;
  g_autoptr(TestResponse) second_verify = NULL;
  g_autoptr(TestResponse) old_register = NULL;
  g_autoptr(TestResponse) third_sms = NULL;
  g_autoptr(TestResponse) antonio_sms = NULL;
  g_autoptr(TestDevice) device = test_device_new ();
  g_autofree char *first_code = NULL;
  g_autofree char *second_code = NULL;
  g_autofree char *public_key = test_device_public_key (device);
  g_autofree char *proof = NULL;

  antonio = test_start_activation (session, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);

  /* A pending activation with a code sent... */
  first = test_start_activation (session, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  first_sms = test_send_sms (session, base, first);
  test_assert_status (first_sms, SOUP_STATUS_OK);
  first_code = last_code (server, LUCIA_PHONE);

  /* ...ends when the citizen starts again: its code is of no use. */
  second = test_start_activation (session, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  old_sms = test_send_sms (session, base, first);
  test_assert_error (old_sms, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION);
  old_verify = test_verify_code (session, base, first, first_code);
  test_assert_error (old_verify, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION);
  assert_outbox_redacted (server, LUCIA_PHONE);

  /* A verified activation ends the same way. */
  second_sms = test_send_sms (session, base, second);
  test_assert_status (second_sms, SOUP_STATUS_OK);
  second_code = last_code (server, LUCIA_PHONE);
  second_verify = test_verify_code (session, base, second, second_code);
  test_assert_status (second_verify, SOUP_STATUS_OK);

  third = test_start_activation (session, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  proof = test_device_proof (device, second->id);
  old_register = test_register_device (session, base, second, public_key, proof, "Old");
  test_assert_error (old_register, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION);

  /* The newest one works, and other citizens are not touched. */
  third_sms = test_send_sms (session, base, third);
  test_assert_status (third_sms, SOUP_STATUS_OK);
  antonio_sms = test_send_sms (session, base, antonio);
  test_assert_status (antonio_sms, SOUP_STATUS_OK);

  clave_test_server_stop (server);
}

static gint64
assert_too_many (TestResponse *response)
{
  gint64 retry;

  test_assert_error (response, 429, CLAVE_ERR_TOO_MANY_ATTEMPTS);
  retry = test_response_int (response, "retry_after");
  g_assert_cmpint (retry, >, 0);
  g_assert_cmpint (g_ascii_strtoll (test_response_header (response, "Retry-After"), NULL, 10),
                   ==, retry);
  return retry;
}

static void
test_sms_sends_per_hour (void)
{
  const char *args[] = { "--sms-resend-interval", "0", NULL };
  ClaveTestServer *server = test_server_start (args);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) first = NULL;
  g_autoptr(TestActivation) second = NULL;
  g_autoptr(TestActivation) third = NULL;
  g_autoptr(TestActivation) lucia = NULL;
  g_autoptr(TestResponse) sixth = NULL;
  g_autoptr(TestResponse) fresh = NULL;
  g_autoptr(TestResponse) lucia_sms = NULL;
  g_autoptr(GPtrArray) bodies = NULL;
  gint64 retry;

  /* All three sends of one activation, then two of the next: five in
   * the hour. */
  first = test_start_activation (session, base, ANNA_DOC, "support_number", ANNA_SUPPORT);
  for (guint i = 0; i < CLAVE_SMS_MAX_SENDS; i++)
    {
      g_autoptr(TestResponse) sms = test_send_sms (session, base, first);
      test_assert_status (sms, SOUP_STATUS_OK);
    }
  second = test_start_activation (session, base, ANNA_DOC, "support_number", ANNA_SUPPORT);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TestResponse) sms = test_send_sms (session, base, second);
      test_assert_status (sms, SOUP_STATUS_OK);
    }

  /* The sixth waits for the first to be an hour old, whatever the
   * activation. */
  sixth = test_send_sms (session, base, second);
  retry = assert_too_many (sixth);
  g_assert_cmpint (retry, >, 3600 - 60);
  g_assert_cmpint (retry, <=, 3600);

  third = test_start_activation (session, base, ANNA_DOC, "support_number", ANNA_SUPPORT);
  fresh = test_send_sms (session, base, third);
  assert_too_many (fresh);

  bodies = outbox_bodies (server, ANNA_PHONE);
  g_assert_cmpuint (bodies->len, ==, 5);

  /* Per citizen: somebody else still gets codes. */
  lucia = test_start_activation (session, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  lucia_sms = test_send_sms (session, base, lucia);
  test_assert_status (lucia_sms, SOUP_STATUS_OK);

  clave_test_server_stop (server);
}

/* Puts @n messages to Anna, @age seconds old, in the outbox, as if they
 * had been sent then: the daily cap cannot be reached in an hour
 * otherwise. */
static void
add_old_sends (ClaveTestServer *server,
               guint            n,
               gint64           age)
{
  g_autofree char *path = g_build_filename (clave_test_server_get_state_dir (server), "clave.db",
                                            NULL);
  gint64 then = g_get_real_time () / G_USEC_PER_SEC - age;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO sms_outbox (phone, body, created_at, status,"
                                       "                        citizen)"
                                       " VALUES (?1, 'Cl@ve: su código de activación es "
                                       REDACTED ".', ?2, 'delivered', ?3)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < n; i++)
    {
      sqlite3_bind_text (stmt, 1, ANNA_PHONE, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, then);
      sqlite3_bind_text (stmt, 3, ANNA_DOC, -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static void
test_sms_sends_per_day (void)
{
  const char *args[] = { "--sms-resend-interval", "0", NULL };
  ClaveTestServer *server = test_server_start (args);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) eleventh = NULL;
  gint64 retry;

  /* Eight sends two hours ago: outside the hour, inside the day. */
  add_old_sends (server, 8, 2 * 3600);

  activation = test_start_activation (session, base, ANNA_DOC, "support_number", ANNA_SUPPORT);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TestResponse) sms = test_send_sms (session, base, activation);
      test_assert_status (sms, SOUP_STATUS_OK);
    }

  /* The eleventh in a day waits until the oldest is a day old. */
  eleventh = test_send_sms (session, base, activation);
  retry = assert_too_many (eleventh);
  g_assert_cmpint (retry, >, 22 * 3600 - 60);
  g_assert_cmpint (retry, <=, 22 * 3600);

  clave_test_server_stop (server);
}

/* Sends a code on @activation and answers it wrongly @times times. */
static void
send_and_miss (ClaveTestServer *server,
               SoupSession     *session,
               TestActivation  *activation,
               guint            times)
{
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestResponse) sms = test_send_sms (session, base, activation);
  g_autofree char *code = NULL;
  g_autofree char *wrong = NULL;

  test_assert_status (sms, SOUP_STATUS_OK);
  code = last_code (server, ANTONIO_PHONE);
  wrong = wrong_code (code);
  for (guint i = 0; i < times; i++)
    {
      g_autoptr(TestResponse) miss = test_verify_code (session, base, activation, wrong);

      if (i + 1 < CLAVE_SMS_CODE_MAX_ATTEMPTS)
        test_assert_error (miss, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE);
      else
        test_assert_error (miss, SOUP_STATUS_LOCKED, CLAVE_ERR_ACTIVATION_LOCKED);
    }
}

static void
test_wrong_codes_per_citizen (void)
{
  const char *args[] = { "--sms-resend-interval", "0", NULL };
  ClaveTestServer *server = test_server_start (args);
  g_autoptr(SoupSession) session = test_session_new (server);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(TestActivation) last = NULL;
  g_autoptr(TestActivation) lucia = NULL;
  g_autoptr(TestResponse) right_code = NULL;
  g_autoptr(TestResponse) resend = NULL;
  g_autoptr(TestResponse) again = NULL;
  g_autoptr(TestResponse) wrong_contrast = NULL;
  g_autofree char *code = NULL;
  gint64 retry;

  /* Three activations locked by three wrong codes each... */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestActivation) activation = test_start_activation (session, base, ANTONIO_DOC,
                                                                    "issue_date", ANTONIO_ISSUE);
      send_and_miss (server, session, activation, CLAVE_SMS_CODE_MAX_ATTEMPTS);
      /* A locked activation's code leaves the outbox. */
      assert_outbox_redacted (server, ANTONIO_PHONE);
    }

  /* ...and the tenth wrong code, on a fourth. */
  last = test_start_activation (session, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  send_and_miss (server, session, last, 1);
  code = last_code (server, ANTONIO_PHONE);

  /* Now not even the right code is tried, no code is sent... */
  right_code = test_verify_code (session, base, last, code);
  retry = assert_too_many (right_code);
  g_assert_cmpint (retry, >, 24 * 3600 - 120);
  g_assert_cmpint (retry, <=, 24 * 3600);
  resend = test_send_sms (session, base, last);
  assert_too_many (resend);

  /* ...and starting over does not help. */
  again = test_identify (session, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  assert_too_many (again);

  /* Only someone with the contrast data learns of the limit. */
  wrong_contrast = test_identify (session, base, ANTONIO_DOC, "issue_date", "2015-03-11");
  test_assert_error (wrong_contrast, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);

  /* Per citizen. */
  lucia = test_start_activation (session, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  g_assert_nonnull (lucia);

  clave_test_server_stop (server);
}

#define WRONG_VALIDITY "2030-01-01"
#define AEAT_NAME       "Agencia Tributaria"
#define AEAT_ORIGIN     "https://sede.agenciatributaria.gob.es"
#define SS_NAME         "Seguridad Social"
#define SS_ORIGIN       "https://sede.seg-social.gob.es"

/* @times wrong identifications of the DNI @document from @session, each
 * answered as such. */
static void
fail_identify (SoupSession *session,
               const char  *base,
               const char  *document,
               guint        times)
{
  for (guint i = 0; i < times; i++)
    {
      g_autoptr(TestResponse) wrong = test_identify (session, base, document, "validity_date",
                                                     WRONG_VALIDITY);

      test_assert_error (wrong, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
    }
}

/* A relying party's push or sms request for the DNI @document. */
static TestResponse *
rp_request (SoupSession *session,
            const char  *base,
            const char  *key,
            const char  *type,
            const char  *document,
            const char  *validity)
{
  g_autofree char *json = g_strdup_printf ("{\"type\": \"%s\", \"document\": \"%s\", "
                                           "\"contrast\": {\"kind\": \"validity_date\", "
                                           "\"value\": \"%s\"}}", type, document, validity);

  return test_post_json (session, base, CLAVE_PATH_RP_REQUESTS, json, key);
}

/* Issue 8: five wrong contrast data from anywhere used to lock the
 * citizen out of everything for 15 minutes. */
static void
test_stranger_cannot_lock_out (void)
{
  ClaveTestServer *server = test_server_start (NULL);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(SoupSession) lucia = test_session_new (server);
  g_autoptr(SoupSession) stranger = test_session_new_from (server, "127.0.0.2");
  g_autoptr(SoupSession) website = test_session_new_from (server, "127.0.0.3");
  g_autoptr(TestMobileDevice) device = NULL;
  g_autoptr(TestResponse) stranger_right = NULL;
  g_autoptr(TestResponse) stranger_other = NULL;
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) push = NULL;
  g_autoptr(TestResponse) sms = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autofree char *rp_key = NULL;
  g_autofree char *rp_id = test_add_rp (server, AEAT_NAME, AEAT_ORIGIN, &rp_key);
  gint64 retry;

  device = test_mobile_device_activate (server, lucia, LUCIA_DOC, "validity_date", LUCIA_VALIDITY,
                                        LUCIA_PHONE);

  /* Somebody who knows Lucía's DNI number guesses its validity date from
   * another address, past the limit... */
  fail_identify (stranger, base, LUCIA_DOC, 5);

  /* ...and is stopped there, even with the right date; for other
   * documents that address keeps its own, wider limit. */
  stranger_right = test_identify (stranger, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  retry = assert_too_many (stranger_right);
  g_assert_cmpint (retry, <=, 15 * 60);
  stranger_other = test_identify (stranger, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  test_assert_status (stranger_other, SOUP_STATUS_OK);

  /* Lucía is not: she identifies from her own address, */
  activation = test_start_activation (lucia, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  g_assert_nonnull (activation);

  /* websites reach her with push and SMS requests, */
  push = rp_request (website, base, rp_key, CLAVE_REQUEST_TYPE_PUSH, LUCIA_DOC, LUCIA_VALIDITY);
  test_assert_status (push, SOUP_STATUS_CREATED);
  sms = rp_request (website, base, rp_key, CLAVE_REQUEST_TYPE_SMS, LUCIA_DOC, LUCIA_VALIDITY);
  test_assert_status (sms, SOUP_STATUS_CREATED);

  /* and what her device signs never looks at these counters. */
  me = test_device_request (lucia, base, device->device, "GET", CLAVE_PATH_ME, NULL, NULL);
  test_assert_status (me, SOUP_STATUS_OK);

  clave_test_server_stop (server);
}

/* Moves every failed identification @seconds into the past, as if they
 * had happened then. */
static void
age_identify_failures (ClaveTestServer *server,
                       gint64           seconds)
{
  g_autofree char *path = g_build_filename (clave_test_server_get_state_dir (server), "clave.db",
                                            NULL);
  g_autofree char *sql = g_strdup_printf ("UPDATE identify_failures"
                                          " SET created_at = created_at - %" G_GINT64_FORMAT,
                                          seconds);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static void
test_backstop (void)
{
  ClaveTestServer *server = test_server_start (NULL);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(SoupSession) lucia = test_session_new (server);
  g_autoptr(SoupSession) lucia_elsewhere = test_session_new_from (server, "127.0.0.9");
  g_autoptr(SoupSession) website = test_session_new_from (server, "127.0.0.3");
  g_autoptr(SoupSession) fresh = test_session_new_from (server, "127.0.0.20");
  g_autoptr(SoupSession) fresher = test_session_new_from (server, "127.0.0.21");
  g_autoptr(TestMobileDevice) device = NULL;
  g_autoptr(TestPushChannel) channel = NULL;
  g_autoptr(TestResponse) known_push = NULL;
  g_autoptr(TestResponse) paced = NULL;
  g_autoptr(TestResponse) paced_wrong = NULL;
  g_autoptr(TestResponse) new_rp = NULL;
  g_autoptr(TestResponse) device_address = NULL;
  g_autoptr(TestResponse) again_known_push = NULL;
  g_autoptr(TestResponse) other_document = NULL;
  g_autoptr(TestResponse) after_pace = NULL;
  g_autoptr(TestResponse) paced_again = NULL;
  g_autoptr(TestActivation) activation = NULL;
  g_autofree char *aeat_key = NULL;
  g_autofree char *ss_key = NULL;
  g_autofree char *aeat_id = test_add_rp (server, AEAT_NAME, AEAT_ORIGIN, &aeat_key);
  g_autofree char *ss_id = test_add_rp (server, SS_NAME, SS_ORIGIN, &ss_key);
  guint status = 0;
  gint64 retry;

  /* Where Lucía is known from: her own address (she activated from it),
   * a website she logged in to, and the network her device connects
   * from. */
  device = test_mobile_device_activate (server, lucia, LUCIA_DOC, "validity_date", LUCIA_VALIDITY,
                                        LUCIA_PHONE);
  known_push = rp_request (website, base, aeat_key, CLAVE_REQUEST_TYPE_PUSH, LUCIA_DOC,
                           LUCIA_VALIDITY);
  test_assert_status (known_push, SOUP_STATUS_CREATED);
  channel = test_push_channel_open (server, lucia_elsewhere, device->push, &status);
  g_assert_nonnull (channel->conn);

  /* Guessers on five addresses, four tries each: none reaches the limit
   * of its address or of its address and the document... */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.0.%u", 10 + i);
      g_autoptr(SoupSession) guesser = test_session_new_from (server, address);

      fail_identify (guesser, base, LUCIA_DOC, 4);
    }

  /* ...but twenty failures in a day slow down every new source for the
   * document, even with the right data: */
  paced = test_identify (fresh, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  retry = assert_too_many (paced);
  g_assert_cmpint (retry, <=, 5 * 60);
  paced_wrong = test_identify (fresh, base, LUCIA_DOC, "validity_date", WRONG_VALIDITY);
  assert_too_many (paced_wrong);
  new_rp = rp_request (website, base, ss_key, CLAVE_REQUEST_TYPE_PUSH, LUCIA_DOC, LUCIA_VALIDITY);
  retry = assert_too_many (new_rp);
  g_assert_cmpint (retry, <=, 5 * 60);

  /* The sources Lucía is known from are not slowed down... */
  activation = test_start_activation (lucia, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  g_assert_nonnull (activation);
  device_address = test_identify (lucia_elsewhere, base, LUCIA_DOC, "validity_date",
                                  LUCIA_VALIDITY);
  test_assert_status (device_address, SOUP_STATUS_OK);
  again_known_push = rp_request (website, base, aeat_key, CLAVE_REQUEST_TYPE_PUSH, LUCIA_DOC,
                                 LUCIA_VALIDITY);
  test_assert_status (again_known_push, SOUP_STATUS_CREATED);

  /* ...nor other documents. */
  other_document = test_identify (fresh, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  test_assert_status (other_document, SOUP_STATUS_OK);

  /* Slowed, not locked: once the pace has passed a new source may fail
   * once, and the others wait for the next pace. */
  age_identify_failures (server, 5 * 60 + 1);
  after_pace = test_identify (fresh, base, LUCIA_DOC, "validity_date", WRONG_VALIDITY);
  test_assert_error (after_pace, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
  paced_again = test_identify (fresher, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  retry = assert_too_many (paced_again);
  g_assert_cmpint (retry, >, 5 * 60 - 60);

  clave_test_server_stop (server);
}

/* One stranger alone cannot hold the backstop's slots: having made the
 * twenty failures, it gets no paced slot for an hour after its last one,
 * so the citizen's new sources get through as soon as the pace allows.
 * (Before: the stranger failed once every 5 minutes, Retry-After telling
 * it when, and the citizen on any new network always got 429.) */
static void
test_backstop_one_stranger (void)
{
  ClaveTestServer *server = test_server_start (NULL);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(SoupSession) stranger = test_session_new_from (server, "127.0.0.30");
  g_autoptr(SoupSession) library = test_session_new_from (server, "127.0.0.31");
  g_autoptr(SoupSession) hotel = test_session_new_from (server, "127.0.0.32");
  g_autoptr(TestResponse) no_slot = NULL;
  g_autoptr(TestResponse) at_library = NULL;
  g_autoptr(TestResponse) slot = NULL;
  g_autoptr(TestResponse) paced = NULL;
  g_autoptr(TestResponse) no_slot_again = NULL;
  g_autoptr(TestResponse) at_hotel = NULL;
  gint64 retry;

  /* Twenty failures from one address, as its own limits allow: five
   * every quarter of an hour. */
  for (guint round = 0; round < 4; round++)
    {
      fail_identify (stranger, base, LUCIA_DOC, 5);
      age_identify_failures (server, 15 * 60 + 1);
    }

  /* The pace has passed, but not for the stranger... */
  no_slot = test_identify (stranger, base, LUCIA_DOC, "validity_date", WRONG_VALIDITY);
  retry = assert_too_many (no_slot);
  g_assert_cmpint (retry, >, 5 * 60);
  g_assert_cmpint (retry, <=, 60 * 60);

  /* ...so Lucía, at a library's computer, gets in at once. */
  at_library = test_identify (library, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  test_assert_status (at_library, SOUP_STATUS_OK);

  /* An hour after its last failure the stranger may take a slot again;
   * a new source then waits for the pace, and no longer than that. */
  age_identify_failures (server, 60 * 60);
  slot = test_identify (stranger, base, LUCIA_DOC, "validity_date", WRONG_VALIDITY);
  test_assert_error (slot, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
  paced = test_identify (hotel, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  retry = assert_too_many (paced);
  g_assert_cmpint (retry, <=, 5 * 60);

  age_identify_failures (server, 5 * 60 + 1);
  no_slot_again = test_identify (stranger, base, LUCIA_DOC, "validity_date", WRONG_VALIDITY);
  assert_too_many (no_slot_again);
  at_hotel = test_identify (hotel, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  test_assert_status (at_hotel, SOUP_STATUS_OK);

  clave_test_server_stop (server);
}

/* Guesses through a relying party's API count against its key: the
 * address the service sees is the website's server, shared by all its
 * users. */
static void
test_relying_party_limits (void)
{
  ClaveTestServer *server = test_server_start (NULL);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(SoupSession) lucia = test_session_new (server);
  g_autoptr(SoupSession) website = test_session_new_from (server, "127.0.0.3");
  g_autoptr(TestMobileDevice) device = NULL;
  g_autoptr(TestResponse) pair_limited = NULL;
  g_autoptr(TestResponse) other_rp = NULL;
  g_autoptr(TestResponse) same_address = NULL;
  g_autoptr(TestResponse) key_limited = NULL;
  g_autoptr(TestResponse) other_rp_sms = NULL;
  g_autofree char *aeat_key = NULL;
  g_autofree char *ss_key = NULL;
  g_autofree char *aeat_id = test_add_rp (server, AEAT_NAME, AEAT_ORIGIN, &aeat_key);
  g_autofree char *ss_id = test_add_rp (server, SS_NAME, SS_ORIGIN, &ss_key);
  gint64 retry;

  device = test_mobile_device_activate (server, lucia, LUCIA_DOC, "validity_date", LUCIA_VALIDITY,
                                        LUCIA_PHONE);

  /* Five wrong dates for Lucía through one website stop that website for
   * her (its 429 says how long)... */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(TestResponse) wrong = rp_request (website, base, aeat_key,
                                                  CLAVE_REQUEST_TYPE_PUSH, LUCIA_DOC,
                                                  WRONG_VALIDITY);

      test_assert_error (wrong, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
    }
  pair_limited = rp_request (website, base, aeat_key, CLAVE_REQUEST_TYPE_PUSH, LUCIA_DOC,
                             LUCIA_VALIDITY);
  retry = assert_too_many (pair_limited);
  g_assert_cmpint (retry, <=, 15 * 60);

  /* ...not another website on the same server, nor people who identify
   * from that server's address themselves. */
  other_rp = rp_request (website, base, ss_key, CLAVE_REQUEST_TYPE_PUSH, LUCIA_DOC,
                         LUCIA_VALIDITY);
  test_assert_status (other_rp, SOUP_STATUS_CREATED);
  same_address = test_identify (website, base, LUCIA_DOC, "validity_date", LUCIA_VALIDITY);
  test_assert_status (same_address, SOUP_STATUS_OK);

  /* A website answers for all its users together: 100 failures in 15
   * minutes, whatever the documents, stop its key. */
  for (guint i = 0; i < 95; i++)
    {
      g_autofree char *document = unknown_dni (33333300 + i);
      g_autoptr(TestResponse) wrong = rp_request (website, base, aeat_key,
                                                  CLAVE_REQUEST_TYPE_SMS, document,
                                                  WRONG_VALIDITY);

      test_assert_error (wrong, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
    }
  key_limited = rp_request (website, base, aeat_key, CLAVE_REQUEST_TYPE_SMS, MARTA_DOC,
                            MARTA_VALIDITY);
  assert_too_many (key_limited);
  other_rp_sms = rp_request (website, base, ss_key, CLAVE_REQUEST_TYPE_SMS, LUCIA_DOC,
                             LUCIA_VALIDITY);
  test_assert_status (other_rp_sms, SOUP_STATUS_CREATED);

  clave_test_server_stop (server);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/limits/code-expired", test_code_expired);
  g_test_add_func ("/limits/resend-limit", test_resend_limit);
  g_test_add_func ("/limits/rate-limit", test_rate_limit);
  g_test_add_func ("/limits/stranger-cannot-lock-out", test_stranger_cannot_lock_out);
  g_test_add_func ("/limits/backstop", test_backstop);
  g_test_add_func ("/limits/backstop-one-stranger", test_backstop_one_stranger);
  g_test_add_func ("/limits/relying-party-limits", test_relying_party_limits);
  g_test_add_func ("/limits/sms-command", test_sms_command);
  g_test_add_func ("/limits/sms-command-fails", test_sms_command_fails);
  g_test_add_func ("/limits/new-activation-replaces-old", test_new_activation_replaces_old);
  g_test_add_func ("/limits/sms-sends-per-hour", test_sms_sends_per_hour);
  g_test_add_func ("/limits/sms-sends-per-day", test_sms_sends_per_day);
  g_test_add_func ("/limits/wrong-codes-per-citizen", test_wrong_codes_per_citizen);

  return g_test_run ();
}
