/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test-server"

#include "config.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "clave-test-files.h"
#include "clave-test-server.h"

#define START_TIMEOUT_MS  (20 * 1000)
#define STOP_TIMEOUT_MS   (20 * 1000)
#define LISTENING_PREFIX  "clave-server listening on "

struct _ClaveTestServer
{
  char        *tmp_dir;
  char        *state_dir;
  char        *base_url;
  char        *ca_file;
  char        *admin_path;
  char        *log_path;
  GSubprocess *process;
  gboolean     terminated;
};

static void
child_setup (gpointer user_data)
{
  /* If the test dies without stopping the server, the server must not
   * outlive it (it would hold the test's stderr open and hang the
   * runner). */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static const char *
binary_from_env (const char  *variable,
                 GError     **error)
{
  const char *path = g_getenv (variable);

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s is not set (the test's meson.build sets it to the built binary)",
                   variable);
      return NULL;
    }
  return path;
}

static void
clave_test_server_free (ClaveTestServer *self)
{
  if (self == NULL)
    return;
  if (self->process != NULL && g_subprocess_get_identifier (self->process) != NULL)
    {
      g_subprocess_force_exit (self->process);
      g_subprocess_wait (self->process, NULL, NULL);
    }
  g_clear_object (&self->process);
  clave_test_remove_tree (self->tmp_dir);
  g_free (self->tmp_dir);
  g_free (self->state_dir);
  g_free (self->base_url);
  g_free (self->ca_file);
  g_free (self->admin_path);
  g_free (self->log_path);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveTestServer, clave_test_server_free)

static char *
run_admin (ClaveTestServer  *self,
           GPtrArray        *args,
           GError          **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, self->admin_path);
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, self->state_dir);
  for (guint i = 0; i < args->len; i++)
    g_ptr_array_add (argv, g_ptr_array_index (args, i));
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               error);
  if (process == NULL)
    return NULL;
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, error))
    return NULL;

  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "clave-admin %s failed (status %d): %s",
                   args->len > 0 ? (const char *) g_ptr_array_index (args, 0) : "",
                   g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                        : -1,
                   err != NULL ? g_strstrip (err) : "");
      return NULL;
    }

  return g_steal_pointer (&out);
}

/* Reads one line from @fd, waiting at most until @deadline (monotonic
 * microseconds). */
static char *
read_line (int      fd,
           gint64   deadline,
           GError **error)
{
  g_autoptr(GString) line = g_string_new (NULL);

  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 remaining = (deadline - g_get_monotonic_time ()) / 1000;
      char c;
      ssize_t n;
      int ready;

      if (remaining <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "clave-server did not say it was listening within %d s",
                       START_TIMEOUT_MS / 1000);
          return NULL;
        }

      ready = poll (&pfd, 1, (int) MIN (remaining, G_MAXINT));
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "poll: %s", g_strerror (errno));
          return NULL;
        }
      if (ready == 0)
        continue;

      n = read (fd, &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                       "clave-server exited before listening (its stderr is above)");
          return NULL;
        }
      if (c == '\n')
        return g_string_free (g_steal_pointer (&line), FALSE);
      g_string_append_c (line, c);
    }
}

char *
clave_test_pki_path (const char *name)
{
  const char *dir = g_getenv ("CLAVE_TEST_PKI_DIR");

  g_return_val_if_fail (name != NULL, NULL);

  if (dir == NULL || *dir == '\0')
    return NULL;
  return g_build_filename (dir, name, NULL);
}

static gboolean
args_contain (const char *const *args,
              const char        *option)
{
  gsize len = strlen (option);

  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    if (strncmp (args[i], option, len) == 0 && (args[i][len] == '\0' || args[i][len] == '='))
      return TRUE;
  return FALSE;
}

ClaveTestServer *
clave_test_server_start (const char *const  *extra_args,
                         GError            **error)
{
  return clave_test_server_start_with_flags (extra_args, CLAVE_TEST_SERVER_DEFAULT, error);
}

ClaveTestServer *
clave_test_server_start_with_flags (const char *const    *extra_args,
                                    ClaveTestServerFlags  flags,
                                    GError              **error)
{
  g_autoptr(ClaveTestServer) self = g_new0 (ClaveTestServer, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GPtrArray) seed = g_ptr_array_new ();
  g_autofree char *seed_out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *anchors = NULL;
  const char *server_path, *admin_path, *log_level;
  GInputStream *out;

  server_path = binary_from_env ("CLAVE_SERVER", error);
  if (server_path == NULL)
    return NULL;
  admin_path = binary_from_env ("CLAVE_ADMIN", error);
  if (admin_path == NULL)
    return NULL;
  self->admin_path = g_strdup (admin_path);

  self->tmp_dir = g_dir_make_tmp ("clave-test-server-XXXXXX", error);
  if (self->tmp_dir == NULL)
    return NULL;
  /* A directory the server creates itself, so that tests see the mode it
   * chose. */
  self->state_dir = g_build_filename (self->tmp_dir, "state", NULL);
  self->ca_file = g_build_filename (self->state_dir, "tls", "ca.pem", NULL);

  g_ptr_array_add (seed, (gpointer) "seed-demo");
  seed_out = run_admin (self, seed, error);
  if (seed_out == NULL)
    return NULL;

  g_ptr_array_add (argv, (gpointer) server_path);
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, self->state_dir);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  g_ptr_array_add (argv, (gpointer) "--address");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1");
  log_level = g_getenv ("CLAVE_TEST_SERVER_LOG_LEVEL");
  if (log_level != NULL && *log_level != '\0')
    {
      g_ptr_array_add (argv, (gpointer) "--log-level");
      g_ptr_array_add (argv, (gpointer) log_level);
    }
  if (!(flags & CLAVE_TEST_SERVER_NO_TRUST_ANCHORS) &&
      !args_contain (extra_args, "--trust-anchors") &&
      (anchors = clave_test_pki_path ("anchors")) != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--trust-anchors");
      g_ptr_array_add (argv, anchors);
    }
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  if (flags & CLAVE_TEST_SERVER_LOG_TO_FILE)
    {
      self->log_path = g_build_filename (self->tmp_dir, "server.log", NULL);
      g_subprocess_launcher_set_stderr_file_path (launcher, self->log_path);
    }
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                error);
  if (self->process == NULL)
    return NULL;

  out = g_subprocess_get_stdout_pipe (self->process);
  line = read_line (g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (out)),
                    g_get_monotonic_time () + (gint64) START_TIMEOUT_MS * 1000, error);
  if (line == NULL)
    return NULL;

  if (!g_str_has_prefix (line, LISTENING_PREFIX))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Unexpected first line from clave-server: %s", line);
      return NULL;
    }
  self->base_url = g_strstrip (g_strdup (line + strlen (LISTENING_PREFIX)));

  return g_steal_pointer (&self);
}

const char *
clave_test_server_get_base_url (ClaveTestServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->base_url;
}

const char *
clave_test_server_get_ca_file (ClaveTestServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->ca_file;
}

const char *
clave_test_server_get_state_dir (ClaveTestServer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->state_dir;
}

char *
clave_test_server_admin (ClaveTestServer  *self,
                         GError          **error,
                         const char       *first_arg,
                         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  g_return_val_if_fail (self != NULL, NULL);

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);

  return run_admin (self, args, error);
}

/* The code of the newest outbox message whose member @member ("phone",
 * "email") is @to. */
static char *
last_code (ClaveTestServer  *self,
           const char       *member,
           const char       *to,
           GError          **error)
{
  g_autofree char *json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GRegex) regex = NULL;
  JsonNode *root;
  JsonArray *messages;

  json = clave_test_server_admin (self, error, "outbox", "--json", NULL);
  if (json == NULL)
    return NULL;
  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "clave-admin outbox --json did not print an array");
      return NULL;
    }

  regex = g_regex_new ("(?<![0-9])[0-9]{6}(?![0-9])", 0, 0, NULL);
  messages = json_node_get_array (root);
  /* Newest first: the first message to @to is the one we want. */
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      g_autoptr(GMatchInfo) match = NULL;
      const char *recipient, *body;

      if (message == NULL)
        continue;
      recipient = json_object_get_string_member_with_default (message, member, "");
      body = json_object_get_string_member_with_default (message, "body", "");
      if (g_strcmp0 (recipient, to) != 0)
        continue;

      if (g_regex_match (regex, body, 0, &match))
        return g_match_info_fetch (match, 0);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "The newest message to %s has no 6-digit code: %s", to, body);
      return NULL;
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No message to %s in the outbox", to);
  return NULL;
}

char *
clave_test_server_last_sms_code (ClaveTestServer  *self,
                                 const char       *phone,
                                 GError          **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (phone != NULL, NULL);

  return last_code (self, "phone", phone, error);
}

char *
clave_test_server_last_email_code (ClaveTestServer  *self,
                                   const char       *email,
                                   GError          **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (email != NULL, NULL);

  return last_code (self, "email", email, error);
}

gboolean
clave_test_server_is_running (ClaveTestServer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  /* GSubprocess reaps the child from GLib's worker thread, so this turns
   * NULL without anyone iterating a main loop. */
  return self->process != NULL && g_subprocess_get_identifier (self->process) != NULL;
}

GPid
clave_test_server_get_pid (ClaveTestServer *self)
{
  const char *id;

  g_return_val_if_fail (self != NULL, 0);
  id = g_subprocess_get_identifier (self->process);
  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

char *
clave_test_server_read_log (ClaveTestServer *self)
{
  char *contents = NULL;

  g_return_val_if_fail (self != NULL && self->log_path != NULL, NULL);
  if (!g_file_get_contents (self->log_path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

void
clave_test_server_terminate (ClaveTestServer *self)
{
  gint64 deadline;
  gboolean exited;

  g_return_if_fail (self != NULL);
  if (self->terminated)
    return;

  g_assert_nonnull (self->process);
  g_assert_true (clave_test_server_is_running (self));

  g_subprocess_send_signal (self->process, SIGTERM);
  deadline = g_get_monotonic_time () + (gint64) STOP_TIMEOUT_MS * 1000;
  while (g_subprocess_get_identifier (self->process) != NULL &&
         g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);

  exited = g_subprocess_get_identifier (self->process) == NULL;
  if (!exited)
    g_subprocess_force_exit (self->process);
  g_subprocess_wait (self->process, NULL, NULL);

  g_assert_true (exited);
  g_assert_true (g_subprocess_get_if_exited (self->process));
  g_assert_cmpint (g_subprocess_get_exit_status (self->process), ==, 0);
  self->terminated = TRUE;
}

void
clave_test_server_stop (ClaveTestServer *self)
{
  if (self == NULL)
    return;

  clave_test_server_terminate (self);
  clave_test_server_free (self);
}

/* The text of @body between @before and @after (asserted to be there). */
static char *
between (const char *body,
         const char *before,
         const char *after)
{
  const char *start = strstr (body, before);
  const char *end;

  g_assert_nonnull (start);
  start += strlen (before);
  end = strstr (start, after);
  g_assert_nonnull (end);
  return g_strndup (start, (gsize) (end - start));
}

/* POSTs the form @fields (name, value, …, NULL) with the browser's
 * cookie; returns the page, after asserting @expected_status. */
static char *
browser_post (SoupSession *session,
              const char  *url,
              const char  *cookie,
              guint        expected_status,
              ...)
{
  g_autoptr(GHashTable) fields = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  const char *name;
  va_list args;

  va_start (args, expected_status);
  while ((name = va_arg (args, const char *)) != NULL)
    g_hash_table_insert (fields, (gpointer) name, va_arg (args, char *));
  va_end (args);
  encoded = soup_form_encode_hash (fields);
  body = g_bytes_new (encoded, strlen (encoded));
  soup_message_set_request_body_from_bytes (message, "application/x-www-form-urlencoded", body);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Cookie", cookie);
  answer = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, expected_status);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

char *
clave_test_server_activate_permanente (ClaveTestServer *self,
                                       const char      *document,
                                       const char      *email,
                                       const char      *code,
                                       const char      *password)
{
  const char *base = clave_test_server_get_base_url (self);
  g_autofree char *start_url = g_strconcat (base, "/demo/permanente/", NULL);
  g_autofree char *activate_url = g_strconcat (base, "/demo/permanente/activar", NULL);
  g_autofree char *sms_url = g_strconcat (base, "/demo/permanente/sms", NULL);
  g_autofree char *password_url = g_strconcat (base, "/demo/permanente/clave", NULL);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *start = NULL;
  g_autofree char *cookie = NULL;
  g_autofree char *csrf = NULL;
  g_autofree char *sms_page = NULL;
  g_autofree char *id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *sms = NULL;
  g_autofree char *password_page = NULL;
  const char *set_cookie;

  database = g_tls_file_database_new (clave_test_server_get_ca_file (self), &error);
  g_assert_no_error (error);
  session = soup_session_new_with_options ("tls-database", database, "timeout", 30, NULL);

  message = soup_message_new ("GET", start_url);
  answer = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_OK);
  set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                             "Set-Cookie");
  g_assert_nonnull (set_cookie);
  cookie = between (set_cookie, "", ";");
  start = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  csrf = between (start, "name=\"csrf\" value=\"", "\"");

  sms_page = browser_post (session, activate_url, cookie, SOUP_STATUS_OK, "csrf", csrf,
                           "document", document, "email", email, "code", code, NULL);
  id = between (sms_page, "name=\"id\" value=\"", "\"");
  token = between (sms_page, "name=\"token\" value=\"", "\"");
  g_assert_nonnull (strstr (sms_page, "terminado en "));
  {
    g_autofree char *shown = clave_test_server_admin (self, &error, "show", document,
                                                      "--json", NULL);
    g_autoptr(JsonParser) parser = json_parser_new ();

    g_assert_no_error (error);
    g_assert_true (json_parser_load_from_data (parser, shown, -1, NULL));
    sms = clave_test_server_last_sms_code (
      self,
      json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                     "phone"),
      &error);
    g_assert_no_error (error);
  }
  password_page = browser_post (session, sms_url, cookie, SOUP_STATUS_OK, "csrf", csrf,
                                "id", id, "token", token, "code", sms, NULL);
  return browser_post (session, password_url, cookie, SOUP_STATUS_OK, "csrf", csrf, "id", id,
                       "token", token, "password", password, "repeat", password, NULL);
}
