/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <glib/gstdio.h>
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

  /* A resend replaces the code. */
  code = last_code (server, ANNA_PHONE);
  if (g_strcmp0 (first_code, code) != 0)
    {
      old_code = test_verify_code (session, base, activation, first_code);
      test_assert_error (old_code, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE);
    }
  new_code = test_verify_code (session, base, activation, code);
  test_assert_status (new_code, SOUP_STATUS_OK);

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

  /* Five failures for one document... */
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(TestResponse) wrong = test_identify (session, base, LUCIA_DOC, "validity_date",
                                                     "2030-01-01");
      test_assert_error (wrong, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
    }

  /* ...lock that document, even for the right contrast data. */
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
  g_autofree char *body = NULL;
  g_autofree char *sent = NULL;
  g_autofree char *expected = NULL;

  activation = test_start_activation (session, base, ANTONIO_DOC, "issue_date", ANTONIO_ISSUE);
  sms = test_send_sms (session, base, activation);
  test_assert_status (sms, SOUP_STATUS_OK);

  body = wait_for_status (server, "delivered");
  g_file_get_contents (file, &sent, NULL, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("%s\n%s", ANTONIO_PHONE, body);
  g_assert_cmpstr (sent, ==, expected);

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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/limits/code-expired", test_code_expired);
  g_test_add_func ("/limits/resend-limit", test_resend_limit);
  g_test_add_func ("/limits/rate-limit", test_rate_limit);
  g_test_add_func ("/limits/sms-command", test_sms_command);
  g_test_add_func ("/limits/sms-command-fails", test_sms_command_fails);

  return g_test_run ();
}
