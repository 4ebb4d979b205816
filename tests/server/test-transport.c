/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "clave-protocol.h"
#include "server-test-util.h"

/* docs/protocol.md "Transport": TLS 1.2 or later, and requests for the
 * names of the service's certificate only. One server, started with an
 * extra --hostname. */
static ClaveTestServer *server;
static SoupSession *session;

#define EXTRA_NAME "Clave.Example.test"

static void
test_old_tls_refused (void)
{
  static const char * const priorities[] = {
    "NORMAL:-VERS-ALL:+VERS-TLS1.1",
    "NORMAL:-VERS-ALL:+VERS-TLS1.0",
  };

  for (guint i = 0; i < G_N_ELEMENTS (priorities); i++)
    {
      int ret = test_tls_handshake (server, priorities[i], NULL);

      g_assert_cmpint (ret, <, 0);
    }

  /* The refusal is the server's, not a failure to connect at all. */
  g_assert_cmpint (test_tls_handshake (server, "NORMAL", NULL), ==, 0);
  g_assert_true (clave_test_server_is_running (server));
}

static void
test_modern_tls_accepted (void)
{
  static const struct {
    const char        *priority;
    gnutls_protocol_t  version;
  } cases[] = {
    { "NORMAL:-VERS-ALL:+VERS-TLS1.2", GNUTLS_TLS1_2 },
    { "NORMAL:-VERS-ALL:+VERS-TLS1.3", GNUTLS_TLS1_3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gnutls_protocol_t version = GNUTLS_VERSION_UNKNOWN;

      g_assert_cmpint (test_tls_handshake (server, cases[i].priority, &version), ==, 0);
      g_assert_cmpint (version, ==, cases[i].version);
    }
}

static void
test_cbc_refused (void)
{
  /* The TLS 1.2 CBC suites with HMAC-SHA1 (GnuTLS's NORMAL has them),
   * and CBC with SHA-256 for good measure. */
  static const char * const cbc[] = {
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC:-MAC-ALL:+SHA1",
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC:-MAC-ALL:+SHA256",
  };
  static const char * const aead[] = {
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM",
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM",
    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CHACHA20-POLY1305",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cbc); i++)
    g_assert_cmpint (test_tls_handshake (server, cbc[i], NULL), <, 0);
  for (guint i = 0; i < G_N_ELEMENTS (aead); i++)
    g_assert_cmpint (test_tls_handshake (server, aead[i], NULL), ==, 0);
}

static void
test_tls_policy_file (void)
{
  g_autofree char *path = g_build_filename (clave_test_server_get_state_dir (server), "tls",
                                            "gnutls-priority.conf", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "[overrides]\ndisabled-version = tls1.0\n"
                                      "disabled-version = tls1.1\n"
                                      "tls-disabled-mac = sha1\n"
                                      "tls-disabled-cipher = aes-128-cbc\n"
                                      "tls-disabled-cipher = aes-256-cbc\n"));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

/* Runs clave-server on a new state dir with @env_name set to @env_value
 * ("STATE" in it stands for the state dir; NULL unsets it) and the
 * re-run marker set to @marker_value (NULL unsets it); stops it once it
 * listens. Returns its stderr (at log level debug). */
static char *
run_server_with_env (const char  *env_name,
                     const char  *env_value,
                     const char  *marker_value,
                     gboolean     expect_listening)
{
  g_autofree char *dir = g_dir_make_tmp ("clave-transport-XXXXXX", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *value = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_auto(GStrv) parts = NULL;
  const char *const args[] = { "--log-level", "debug", NULL };

  g_assert_nonnull (dir);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (env_value != NULL)
    {
      parts = g_strsplit (env_value, "STATE", 2);
      value = g_strjoinv (state, parts);
      g_subprocess_launcher_setenv (launcher, env_name, value, TRUE);
    }
  else
    g_subprocess_launcher_unsetenv (launcher, env_name);
  if (marker_value != NULL)
    g_subprocess_launcher_setenv (launcher, "CLAVE_SERVER_TLS_POLICY_REEXEC", marker_value, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "CLAVE_SERVER_TLS_POLICY_REEXEC");

  err = test_server_run_once (launcher, state, args, expect_listening);

  clave_test_remove_tree (dir);
  return g_steal_pointer (&err);
}

static void
test_tls_policy_start (void)
{
  g_autofree char *plain = NULL;
  g_autofree char *preset = NULL;
  g_autofree char *looping = NULL;

  /* A plain start runs itself once more, with the policy... */
  plain = run_server_with_env ("GNUTLS_SYSTEM_PRIORITY_FILE", NULL, NULL, TRUE);
  g_assert_nonnull (strstr (plain, "Starting again with GNUTLS_SYSTEM_PRIORITY_FILE="));
  g_assert_nonnull (strstr (plain, "TLS policy"));

  /* ...and so does a start that names a file that is not there yet (the
   * systemd unit's first start)... */
  preset = run_server_with_env ("GNUTLS_SYSTEM_PRIORITY_FILE",
                                "STATE/tls/gnutls-priority.conf", NULL, TRUE);
  g_assert_nonnull (strstr (preset, "Starting again"));

  /* ...but never a third time. */
  looping = run_server_with_env ("GNUTLS_SYSTEM_PRIORITY_FILE", "/nonexistent/config", "1",
                                 FALSE);
  g_assert_nonnull (strstr (looping, "GnuTLS still does not use it"));
}

static void
test_tls_policy_preset (void)
{
  g_autofree char *path = g_build_filename (clave_test_server_get_state_dir (server), "tls",
                                            "gnutls-priority.conf", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  const char *const args[] = { "--log-level", "debug", NULL };

  /* With the file in place and named, the first run is the only one
   * (a second server on the fixture's state dir, which SQLite allows). */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "GNUTLS_SYSTEM_PRIORITY_FILE", path, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "CLAVE_SERVER_TLS_POLICY_REEXEC");
  err = test_server_run_once (launcher, clave_test_server_get_state_dir (server), args, TRUE);
  g_assert_null (strstr (err, "Starting again"));
  g_assert_nonnull (strstr (err, "TLS policy"));
}

static TestResponse *
get_health_as (const char *host)
{
  g_autofree char *request = NULL;

  request = g_strdup_printf ("GET " CLAVE_PATH_HEALTH " HTTP/1.1\r\n"
                             "%s%s%s"
                             "Connection: close\r\n"
                             "\r\n",
                             host != NULL ? "Host: " : "", host != NULL ? host : "",
                             host != NULL ? "\r\n" : "");
  return test_raw_request (server, request);
}

static void
test_host_names_accepted (void)
{
  g_autofree char *authority = test_server_authority (server);
  const char *port = strrchr (authority, ':');
  g_autofree char *localhost = g_strconcat ("LocalHost", port, NULL);
  g_autofree char *ipv6 = g_strconcat ("[::1]", port, NULL);
  g_autofree char *ipv6_long = g_strconcat ("[0:0::1]", port, NULL);
  g_autofree char *extra = g_strconcat (EXTRA_NAME, port, NULL);
  const char * const hosts[] = { authority, "127.0.0.1", localhost, "localhost", ipv6, "[::1]",
                                 ipv6_long, extra, "clave.example.test" };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autoptr(TestResponse) response = get_health_as (hosts[i]);

      g_test_message ("Host: %s", hosts[i]);
      test_assert_status (response, SOUP_STATUS_OK);
      g_assert_cmpstr (test_response_string (response, "status"), ==, "ok");
    }
}

static void
test_misdirected_request (void)
{
  g_autofree char *authority = test_server_authority (server);
  const char *port = strrchr (authority, ':');
  g_autofree char *other = g_strconcat ("clave.example.org", port, NULL);
  g_autofree char *other_ip = g_strconcat ("127.0.0.2", port, NULL);
  g_autofree char *signed_request = NULL;
  g_autoptr(TestResponse) post = NULL;
  /* Well-formed names only: libsoup answers 400 to a malformed Host
   * itself. */
  const char * const hosts[] = { other, other_ip, "[::2]", "example.test" };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autoptr(TestResponse) response = get_health_as (hosts[i]);

      g_test_message ("Host: %s", hosts[i]);
      test_assert_error (response, 421, CLAVE_ERR_MISDIRECTED_REQUEST);
    }

  /* Every route, signed or not, and before the body is looked at. */
  signed_request = g_strdup_printf ("POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\n"
                                    "Host: %s\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Content-Length: 5\r\n"
                                    "Connection: close\r\n"
                                    "\r\n"
                                    "[[[[[", other);
  post = test_raw_request (server, signed_request);
  test_assert_error (post, 421, CLAVE_ERR_MISDIRECTED_REQUEST);

  g_assert_true (clave_test_server_is_running (server));
}

static void
test_misdirected_before_body (void)
{
  g_autofree char *authority = test_server_authority (server);
  g_autofree char *request = NULL;
  g_autoptr(TestTls) tls = NULL;
  g_autoptr(TestResponse) response = NULL;
  int ret = 0;

  /* A body declared and never sent: the answer may not wait for it. */
  request = g_strdup_printf ("POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\n"
                             "Host: clave.example.org%s\r\n"
                             "Content-Type: application/json\r\n"
                             "Content-Length: 10000000\r\n"
                             "\r\n", strrchr (authority, ':'));
  tls = test_tls_open (server, NULL, &ret);
  g_assert_cmpint (ret, ==, 0);
  g_assert_true (test_tls_send (tls, request, strlen (request)));
  response = test_tls_read_response (tls, 5000);
  g_assert_nonnull (response);
  test_assert_error (response, 421, CLAVE_ERR_MISDIRECTED_REQUEST);
  g_assert_true (test_tls_wait_closed (tls, 5000));
}

/* A state directory clave-server cannot write stops it at start. The
 * tests run as root in CI, and permissions do not stop root: the case
 * that fails for everyone is a database whose shared-memory file
 * (clave.db-shm) cannot be made, here because a folder has its name;
 * SQLite then opens the database read-only, which the service used to
 * find out at its first write, answering 500. */
static void
test_state_not_writable (void)
{
  g_autofree char *dir = g_dir_make_tmp ("clave-transport-XXXXXX", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *shm = g_build_filename (state, "clave.db-shm", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GSubprocess) admin = NULL;
  g_autoptr(GError) error = NULL;

  admin = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, g_getenv ("CLAVE_ADMIN"),
                            "--state-dir", state, "seed-demo", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (admin, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (shm, 0700), ==, 0);

  err = test_server_run_once (NULL, state, NULL, FALSE);
  g_assert_nonnull (strstr (err, "Cannot write the database"));
  g_assert_nonnull (strstr (err, "must be writable by the service"));

  /* Without root, a folder without write permission is enough. */
  if (getuid () != 0)
    {
      g_autofree char *err_mode = NULL;

      g_assert_cmpint (g_rmdir (shm), ==, 0);
      g_assert_cmpint (g_chmod (state, 0500), ==, 0);
      err_mode = test_server_run_once (NULL, state, NULL, FALSE);
      g_assert_nonnull (strstr (err_mode, "Cannot write in the state directory"));
      g_chmod (state, 0700);
    }

  clave_test_remove_tree (dir);
}

static void
test_libsoup_client_unaffected (void)
{
  g_autoptr(TestResponse) response = test_request (session, clave_test_server_get_base_url (server),
                                                   "GET", CLAVE_PATH_HEALTH, NULL, NULL, 0, FALSE,
                                                   NULL);

  test_assert_status (response, SOUP_STATUS_OK);
}

int
main (int    argc,
      char **argv)
{
  const char *args[] = { "--hostname", EXTRA_NAME, NULL };
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/transport/old-tls-refused", test_old_tls_refused);
  g_test_add_func ("/transport/cbc-refused", test_cbc_refused);
  g_test_add_func ("/transport/modern-tls-accepted", test_modern_tls_accepted);
  g_test_add_func ("/transport/tls-policy-file", test_tls_policy_file);
  g_test_add_func ("/transport/tls-policy-start", test_tls_policy_start);
  g_test_add_func ("/transport/tls-policy-preset", test_tls_policy_preset);
  g_test_add_func ("/transport/host-names-accepted", test_host_names_accepted);
  g_test_add_func ("/transport/misdirected-request", test_misdirected_request);
  g_test_add_func ("/transport/misdirected-before-body", test_misdirected_before_body);
  g_test_add_func ("/transport/state-not-writable", test_state_not_writable);
  g_test_add_func ("/transport/libsoup-client-unaffected", test_libsoup_client_unaffected);

  server = test_server_start (args);
  session = test_session_new (server);

  status = g_test_run ();

  g_clear_object (&session);
  clave_test_server_stop (server);
  return status;
}
