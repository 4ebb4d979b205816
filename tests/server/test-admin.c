/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "clave-protocol.h"
#include "server-test-util.h"

/* clave-admin on the running server's state dir, and the files the server
 * keeps there. */
static ClaveTestServer *server;
static SoupSession *session;

#define BASE (clave_test_server_get_base_url (server))

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static char *
admin_ok (const char *first_arg,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("CLAVE_ADMIN"));
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, (gpointer) clave_test_server_get_state_dir (server));
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (process) != 0)
    g_test_message ("clave-admin failed: %s", err);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  return out;
}

/* Runs clave-admin expecting failure; returns its stderr. */
static char *
admin_fails (int         expected_status,
             const char *first_arg,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  char *err = NULL;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) g_getenv ("CLAVE_ADMIN"));
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, (gpointer) clave_test_server_get_state_dir (server));
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, expected_status);
  g_assert_cmpstr (out, ==, "");
  return err;
}

static void
test_seed_demo_twice (void)
{
  g_autofree char *first = admin_ok ("seed-demo", NULL);
  g_autofree char *second = admin_ok ("seed-demo", NULL);
  g_autofree char *shown = admin_ok ("show", LUCIA_DOC, "--json", NULL);
  g_autofree char *marta = admin_ok ("show", "87654321x", "--json", NULL);
  g_autoptr(JsonNode) lucia = parse_json (shown);
  g_autoptr(JsonNode) not_registered = parse_json (marta);
  JsonObject *object = json_node_get_object (lucia);

  g_assert_cmpstr (first, ==, "Demo data ready: 4 identities, 3 registered in Cl@ve\n");
  g_assert_cmpstr (second, ==, first);

  g_assert_cmpstr (json_object_get_string_member (object, "document"), ==, LUCIA_DOC);
  g_assert_cmpstr (json_object_get_string_member (object, "given_name"), ==, "Lucía");
  g_assert_cmpstr (json_object_get_string_member (object, "validity_date"), ==, LUCIA_VALIDITY);
  g_assert_true (json_object_get_boolean_member (object, "registered"));
  g_assert_cmpstr (json_object_get_string_member (object, "phone"), ==, LUCIA_PHONE);
  g_assert_cmpstr (json_object_get_string_member (object, "level"), ==, "advanced");
  g_assert_cmpstr (json_object_get_string_member (object, "registration_channel"), ==,
                   "in_person");

  g_assert_false (json_object_get_boolean_member (json_node_get_object (not_registered),
                                                  "registered"));
}

static void
test_show_text (void)
{
  g_autofree char *antonio = admin_ok ("show", ANTONIO_DOC, NULL);
  g_autofree char *anna = admin_ok ("show", ANNA_DOC, NULL);
  g_autofree char *err = admin_fails (1, "show", "11111111H", NULL);

  g_assert_nonnull (strstr (antonio, "Antonio Ruiz Gómez"));
  g_assert_nonnull (strstr (antonio, "9999-01-01 (permanent)"));
  g_assert_nonnull (strstr (antonio, "Issue date:      2015-03-10"));
  g_assert_nonnull (strstr (anna, "Support number:  E01234567"));
  g_assert_nonnull (strstr (err, "not in the identity registry"));
}

static void
test_register (void)
{
  g_autofree char *out = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *outbox = NULL;
  g_autoptr(JsonNode) person = NULL;
  g_autoptr(JsonNode) messages = NULL;
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) sms = NULL;
  JsonObject *object, *newest;
  JsonArray *array;

  /* As typed at a registry office: lower case, dd/mm/yyyy, spaces. */
  out = admin_ok ("register", "--document", "11111111h", "--given-name", "Pere",
                  "--surnames", "Puig Soler", "--validity-date", "15/06/2030",
                  "--phone", "+34 600 999 888", "--email", "pere@example.org",
                  "--level", "basic", "--channel", "video", NULL);
  g_assert_nonnull (strstr (out, "Added 11111111H to the identity registry"));
  g_assert_nonnull (strstr (out, "Registered 11111111H"));

  shown = admin_ok ("show", "11111111H", "--json", NULL);
  person = parse_json (shown);
  object = json_node_get_object (person);
  g_assert_true (json_object_get_boolean_member (object, "registered"));
  g_assert_cmpstr (json_object_get_string_member (object, "validity_date"), ==, "2030-06-15");
  g_assert_cmpstr (json_object_get_string_member (object, "phone"), ==, "+34600999888");
  g_assert_cmpstr (json_object_get_string_member (object, "level"), ==, "basic");
  g_assert_cmpstr (json_object_get_string_member (object, "registration_channel"), ==, "video");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "devices")), ==,
                    0);

  /* The running server sees the new citizen at once. */
  activation = test_start_activation (session, BASE, "11111111H", "validity_date", "2030-06-15");
  sms = test_send_sms (session, BASE, activation);
  test_assert_status (sms, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (sms, "phone_hint"), ==, "******888");

  outbox = admin_ok ("outbox", "--json", NULL);
  messages = parse_json (outbox);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (messages));
  array = json_node_get_array (messages);
  g_assert_cmpuint (json_array_get_length (array), >=, 1);
  newest = json_array_get_object_element (array, 0);
  g_assert_cmpuint (json_object_get_size (newest), ==, 7);
  g_assert_true (json_object_get_int_member (newest, "id") > 0);
  g_assert_cmpstr (json_object_get_string_member (newest, "channel"), ==, "sms");
  g_assert_cmpstr (json_object_get_string_member (newest, "to"), ==, "+34600999888");
  g_assert_cmpstr (json_object_get_string_member (newest, "phone"), ==, "+34600999888");
  g_assert_true (g_regex_match_simple ("^Cl@ve: su código de activación es [0-9]{6}\\. ",
                                       json_object_get_string_member (newest, "body"), 0, 0));
  g_assert_true (g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                                       json_object_get_string_member (newest, "created_at"), 0,
                                       0));
  g_assert_cmpstr (json_object_get_string_member (newest, "status"), ==, "queued");

  /* At an office, registering the person again changes the contact data
   * and the level in place. */
  g_clear_pointer (&out, g_free);
  out = admin_ok ("register", "--document", "11111111H", "--given-name", "Pere",
                  "--surnames", "Puig Soler", "--validity-date", "15/06/2030",
                  "--phone", "+34 600 999 777", "--email", "pere.puig@example.org",
                  "--level", "advanced", NULL);
  g_clear_pointer (&shown, g_free);
  g_clear_pointer (&person, json_node_unref);
  shown = admin_ok ("show", "11111111H", "--json", NULL);
  person = parse_json (shown);
  object = json_node_get_object (person);
  g_assert_cmpstr (json_object_get_string_member (object, "phone"), ==, "+34600999777");
  g_assert_cmpstr (json_object_get_string_member (object, "email"), ==, "pere.puig@example.org");
  g_assert_cmpstr (json_object_get_string_member (object, "level"), ==, "advanced");
}

static void
test_register_errors (void)
{
  g_autofree char *bad_letter = NULL;
  g_autofree char *taken_phone = NULL;
  g_autofree char *dni_support = NULL;
  g_autofree char *other_data = NULL;
  g_autofree char *no_contrast = NULL;
  g_autofree char *unknown = NULL;

  bad_letter = admin_fails (2, "register", "--document", "12345678A", "--given-name", "A",
                            "--surnames", "B", "--validity-date", "2030-01-01", "--phone",
                            "+34600000001", "--email", "a@example.org", NULL);
  g_assert_nonnull (strstr (bad_letter, "12345678A"));

  /* One phone number belongs to one person. */
  taken_phone = admin_fails (1, "register", "--document", "22222222J", "--given-name", "A",
                             "--surnames", "B", "--validity-date", "2030-01-01", "--phone",
                             LUCIA_PHONE, "--email", "a@example.org", NULL);
  g_assert_nonnull (strstr (taken_phone, "belongs to another citizen"));

  dni_support = admin_fails (2, "add-identity", "--document", "22222222J", "--given-name", "A",
                             "--surnames", "B", "--support-number", "E01234567", NULL);
  g_assert_nonnull (strstr (dni_support, "support number"));

  other_data = admin_fails (1, "register", "--document", LUCIA_DOC, "--given-name", "Lucía",
                            "--surnames", "García Pérez", "--validity-date", "2030-01-01",
                            "--phone", LUCIA_PHONE, "--email", "lucia@example.org", NULL);
  g_assert_nonnull (strstr (other_data, "other data"));

  no_contrast = admin_fails (2, "add-identity", "--document", "22222222J", "--given-name", "A",
                             "--surnames", "B", NULL);
  g_assert_nonnull (strstr (no_contrast, "--validity-date"));

  unknown = admin_fails (2, "frobnicate", NULL);
  g_assert_nonnull (strstr (unknown, "unknown command"));
}

static void
test_add_identity (void)
{
  g_autofree char *out = NULL;
  g_autofree char *again = NULL;
  g_autofree char *shown = NULL;
  g_autoptr(JsonNode) person = NULL;
  g_autoptr(TestResponse) response = NULL;
  JsonObject *object;

  /* An EU citizen's certificate number, typed short. */
  out = admin_ok ("add-identity", "--document", "Y1234567X", "--given-name", "Jan",
                  "--surnames", "Kowalski", "--support-number", "C1234567", NULL);
  g_assert_nonnull (strstr (out, "Added Y1234567X"));
  again = admin_ok ("add-identity", "--document", "Y1234567X", "--given-name", "Jan",
                    "--surnames", "Kowalski", "--support-number", "C01234567", NULL);
  g_assert_nonnull (strstr (again, "already in the identity registry"));

  shown = admin_ok ("show", "Y1234567X", "--json", NULL);
  person = parse_json (shown);
  object = json_node_get_object (person);
  g_assert_cmpstr (json_object_get_string_member (object, "document_type"), ==, "nie");
  g_assert_cmpstr (json_object_get_string_member (object, "support_number"), ==, "C01234567");
  g_assert_false (json_object_get_boolean_member (object, "registered"));

  response = test_identify (session, BASE, "Y1234567X", "support_number", "C01234567");
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_false (test_response_bool (response, "registered"));
}

static void
test_outbox_limit (void)
{
  g_autofree char *json = admin_ok ("outbox", "--json", "--limit", "1", NULL);
  g_autoptr(JsonNode) messages = parse_json (json);

  g_assert_true (JSON_NODE_HOLDS_ARRAY (messages));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (messages)), <=, 1);
}

static void
assert_mode (const char *path,
             guint       mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  if ((st.st_mode & 0777) != mode)
    g_test_message ("%s has mode %o", path, st.st_mode & 0777);
  g_assert_cmpuint (st.st_mode & 0777, ==, mode);
}

static void
test_permissions (void)
{
  const char *dir = clave_test_server_get_state_dir (server);
  static const char * const private_files[] = {
    "secret.key", "clave.db", "tls/ca-key.pem", "tls/server-key.pem", "tls/ca.pem",
    "tls/server.pem",
  };
  g_autofree char *tls = g_build_filename (dir, "tls", NULL);
  g_autofree char *secret = g_build_filename (dir, "secret.key", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;

  assert_mode (dir, 0700);
  assert_mode (tls, 0700);
  for (guint i = 0; i < G_N_ELEMENTS (private_files); i++)
    {
      g_autofree char *path = g_build_filename (dir, private_files[i], NULL);
      assert_mode (path, 0600);
    }

  g_assert_true (g_file_get_contents (secret, &contents, &len, NULL));
  g_assert_cmpuint (len, ==, 32);
}

static void
test_print_ca_path (void)
{
  const char *argv[] = { g_getenv ("CLAVE_SERVER"), "--state-dir",
                         clave_test_server_get_state_dir (server), "--print-ca-path", NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *expected = g_strconcat (clave_test_server_get_ca_file (server), "\n", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_file_get_contents (clave_test_server_get_ca_file (server), &before, NULL, &error);
  g_assert_no_error (error);

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_cmpstr (out, ==, expected);

  /* The CA clients trust is reused, never replaced. */
  g_file_get_contents (clave_test_server_get_ca_file (server), &after, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (before, ==, after);
}

static void
test_server_options (void)
{
  const char *argv[] = { g_getenv ("CLAVE_SERVER"), "--state-dir",
                         clave_test_server_get_state_dir (server), "--log-level", "chatty",
                         NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "--log-level"));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/admin/seed-demo-twice", test_seed_demo_twice);
  g_test_add_func ("/admin/show-text", test_show_text);
  g_test_add_func ("/admin/register", test_register);
  g_test_add_func ("/admin/register-errors", test_register_errors);
  g_test_add_func ("/admin/add-identity", test_add_identity);
  g_test_add_func ("/admin/outbox-limit", test_outbox_limit);
  g_test_add_func ("/admin/permissions", test_permissions);
  g_test_add_func ("/admin/print-ca-path", test_print_ca_path);
  g_test_add_func ("/admin/server-options", test_server_options);

  server = test_server_start (NULL);
  session = test_session_new (server);

  status = g_test_run ();

  g_clear_object (&session);
  clave_test_server_stop (server);
  return status;
}
