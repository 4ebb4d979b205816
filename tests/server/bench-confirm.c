/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "clave-protocol.h"
#include "load-util.h"
#include "server-test-util.h"

/* Benchmarks of the service on loopback (meson benchmark):
 *
 * - confirmations per second against clave-server over HTTPS, each
 *   request signed by the device key, on several keep-alive connections
 *   at once (one client thread each), against a bare handler in a
 *   process of its own (bench-bare-server) that does the same work
 *   besides the application: the same transport, certificate and TLS
 *   policy, the body read whole, an answer of the same size. Every
 *   request is built and signed before the clock starts, so that the
 *   client spends its time on TLS and HTTP only, and its CPU time is
 *   reported: a client that used two whole cores would be measuring
 *   itself. A second bare handler (--verify) also checks one ECDSA
 *   P-256 signature a request in a worker thread: the floor the
 *   protocol's cryptography sets, and the ratio against it says what
 *   the rest of the service costs. The three run interleaved, in an
 *   order that turns each round, CLAVE_BENCH_RUNS rounds (at least 3),
 *   and each round gives one ratio against each bare handler; min,
 *   median and max are reported, with the load average before and
 *   after. clave-server keeps synchronous=FULL: an answer is on disk
 *   before its 200.
 * - push latency: from the relying party's create call to the device's
 *   WebSocket receiving the event, p50/p95 over 100 requests.
 *
 * Environment: CLAVE_BENCH_N confirmations a run (default 4000),
 * CLAVE_BENCH_CONNECTIONS (default 16), CLAVE_BENCH_RUNS (default 3),
 * CLAVE_BENCH_BARE=libsoup to let libsoup listen in the bare handler
 * (keep-alive of its own, no timers) instead of clave-server's
 * transport. CLAVE_SERVER may name another build of clave-server (the
 * requests are put in its database directly, so any schema since
 * version 4 does).
 *
 *   meson test -C BUILD --benchmark bench-confirm -v */

#define LATENCY_SAMPLES 100

/* The client threads start together. */
typedef struct {
  GMutex lock;
  GCond  cond;
  guint  ready;
  gboolean go;
} StartLine;

typedef struct {
  guint16      port;
  const char  *ca_file;
  GPtrArray   *requests;      /* char*: this connection's */
  StartLine   *start;
  guint        failures;
  char        *first_failure;
} Client;

typedef struct {
  double secs;
  double client_cpu;          /* seconds */
  double server_cpu;          /* seconds */
  guint  n;
} RunResult;

static gpointer
client_thread (gpointer user_data)
{
  Client *client = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LoadConn) conn = load_conn_open (client->port, client->ca_file, &error);

  g_assert_no_error (error);
  g_mutex_lock (&client->start->lock);
  client->start->ready++;
  g_cond_broadcast (&client->start->cond);
  while (!client->start->go)
    g_cond_wait (&client->start->cond, &client->start->lock);
  g_mutex_unlock (&client->start->lock);

  for (guint i = 0; i < client->requests->len; i++)
    {
      const char *request = g_ptr_array_index (client->requests, i);
      g_autofree char *body = NULL;
      guint status = 0;

      if (!load_conn_exchange (conn, request, strlen (request), &status, &body, &error))
        g_error ("request failed: %s", error->message);
      if (status != SOUP_STATUS_OK && client->failures++ == 0)
        client->first_failure = g_strdup_printf ("%u %s", status, body);
    }
  return NULL;
}

/* Sends @requests over @connections connections at once. */
static RunResult
run_requests (guint16      port,
              const char  *ca_file,
              GPtrArray   *requests,
              guint        connections,
              GPid         server_pid)
{
  g_autofree Client *clients = g_new0 (Client, connections);
  g_autofree GThread **threads = g_new0 (GThread *, connections);
  StartLine start = { 0 };
  RunResult result = { 0 };
  double cpu_before, server_before;
  gint64 started;

  g_mutex_init (&start.lock);
  g_cond_init (&start.cond);
  for (guint c = 0; c < connections; c++)
    {
      clients[c].port = port;
      clients[c].ca_file = ca_file;
      clients[c].start = &start;
      clients[c].requests = g_ptr_array_new ();
    }
  for (guint i = 0; i < requests->len; i++)
    g_ptr_array_add (clients[i % connections].requests, g_ptr_array_index (requests, i));
  for (guint c = 0; c < connections; c++)
    threads[c] = g_thread_new ("bench-client", client_thread, &clients[c]);

  /* Connected and shaken hands: the clock starts. */
  g_mutex_lock (&start.lock);
  while (start.ready < connections)
    g_cond_wait (&start.cond, &start.lock);
  cpu_before = load_self_cpu_secs ();
  server_before = load_proc_cpu_secs (server_pid);
  started = g_get_monotonic_time ();
  start.go = TRUE;
  g_cond_broadcast (&start.cond);
  g_mutex_unlock (&start.lock);

  for (guint c = 0; c < connections; c++)
    g_thread_join (threads[c]);
  result.secs = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  result.client_cpu = load_self_cpu_secs () - cpu_before;
  result.server_cpu = load_proc_cpu_secs (server_pid) - server_before;
  result.n = requests->len;

  for (guint c = 0; c < connections; c++)
    {
      if (clients[c].failures > 0)
        g_error ("%u answers were not 200, the first: %s", clients[c].failures,
                 clients[c].first_failure);
      g_ptr_array_unref (clients[c].requests);
    }
  g_mutex_clear (&start.lock);
  g_cond_clear (&start.cond);
  return result;
}

/* @n pending push requests of @citizen, put in the database directly:
 * through the API each would cost a commit of its own, minutes for a
 * long run. */
static GPtrArray *
insert_pending (ClaveTestServer *server,
                const char      *rp_id,
                const char      *citizen,
                guint            round,
                guint            n)
{
  g_autofree char *path = test_server_db_path (server);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3 *db = test_db_open (path);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO auth_requests (id, rp, type, status, citizen,"
                                       "  verification_code, created_at, expires_at, seq)"
                                       " VALUES (?1, ?2, 'push', 'pending', ?3, '123', ?4,"
                                       "  ?4 + 300, (SELECT value FROM counters"
                                       "             WHERE name = 'auth_request_seq') + ?5)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < n; i++)
    {
      char *id = g_strdup_printf ("req_bench%u_%06u", round, i);

      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, rp_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, citizen, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 4, now);
      sqlite3_bind_int64 (stmt, 5, i + 1);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
      g_ptr_array_add (ids, id);
    }
  sqlite3_finalize (stmt);
  {
    g_autofree char *bump = g_strdup_printf ("UPDATE counters SET value = value + %u"
                                             " WHERE name = 'auth_request_seq'", n);

    g_assert_cmpint (sqlite3_exec (db, bump, NULL, NULL, NULL), ==, SQLITE_OK);
  }
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  return ids;
}

/* The bare handler: bench-bare-server, beside this program. */
typedef struct {
  GSubprocess *process;
  guint16      port;
} Bare;

static void
bare_start (Bare            *bare,
            ClaveTestServer *server,
            gboolean         verify)
{
  const char *state_dir = clave_test_server_get_state_dir (server);
  g_autofree char *cert = g_build_filename (state_dir, "tls", "server.pem", NULL);
  g_autofree char *key = g_build_filename (state_dir, "tls", "server-key.pem", NULL);
  g_autofree char *policy = g_build_filename (state_dir, "tls", "gnutls-priority.conf", NULL);
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "server",
                                                    "bench-bare-server", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *libsoup = g_strcmp0 (g_getenv ("CLAVE_BENCH_BARE"), "libsoup") == 0 ? "--libsoup"
                                                                                   : NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();

  /* The TLS policy clave-server runs under (docs/security.md). */
  g_assert_true (g_file_test (policy, G_FILE_TEST_EXISTS));
  g_subprocess_launcher_setenv (launcher, "GNUTLS_SYSTEM_PRIORITY_FILE", policy, TRUE);
  g_ptr_array_add (args, program);
  g_ptr_array_add (args, cert);
  g_ptr_array_add (args, key);
  if (libsoup != NULL)
    g_ptr_array_add (args, (char *) libsoup);
  if (verify)
    g_ptr_array_add (args, "--verify");
  g_ptr_array_add (args, NULL);
  bare->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata,
                                                &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bare->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "bare listening on https://127.0.0.1:"));
  bare->port = (guint16) g_ascii_strtoull (strrchr (line, ':') + 1, NULL, 10);
}

static void
bare_stop (Bare *bare)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (bare->process, SIGTERM);
  g_subprocess_wait_check (bare->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&bare->process);
}

static GPid
bare_pid (Bare *bare)
{
  return (GPid) g_ascii_strtoll (g_subprocess_get_identifier (bare->process), NULL, 10);
}

static guint
env_uint (const char *name,
          guint       fallback,
          guint       min)
{
  const char *value = g_getenv (name);

  return MAX (value != NULL ? (guint) g_ascii_strtoull (value, NULL, 10) : fallback, min);
}

/* "min m, median d, max x" of @values (sorted in place), with
 * @decimals digits after the point and @unit after each. */
static char *
spread (GArray     *values,
        int         decimals,
        const char *unit)
{
  return g_strdup_printf ("min %.*f%s, median %.*f%s, max %.*f%s",
                          decimals, load_percentile (values, 0), unit,
                          decimals, load_percentile (values, 0.5), unit,
                          decimals, load_percentile (values, 1), unit);
}

#define LUCIA_PUSH "{\"type\":\"push\",\"document\":\"" LUCIA_DOC "\",\"contrast\":" \
                   "{\"kind\":\"validity_date\",\"value\":\"" LUCIA_VALIDITY "\"}}"

static char *
create_push (SoupSession *session,
             const char  *base,
             const char  *key)
{
  g_autoptr(TestResponse) created = test_post_json (session, base, CLAVE_PATH_RP_REQUESTS,
                                                    LUCIA_PUSH, key);

  test_assert_status (created, SOUP_STATUS_CREATED);
  return g_strdup (test_response_string (created, "id"));
}

static void
bench_push_latency (ClaveTestServer  *server,
                    SoupSession      *session,
                    TestMobileDevice *lucia,
                    const char       *rp_key)
{
  g_autoptr(SoupSession) push_session = test_session_new (server);
  g_autoptr(TestPushChannel) channel = NULL;
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (double));
  const char *base = clave_test_server_get_base_url (server);

  channel = test_push_channel_open (server, push_session, lucia->push, NULL);
  g_assert_no_error (channel->error);
  /* The requests of the confirmation runs come first. */
  while (test_push_channel_next (channel, 200) != NULL)
    ;
  for (guint i = 0; i < LATENCY_SAMPLES; i++)
    {
      gint64 started = g_get_monotonic_time ();
      g_autofree char *id = create_push (session, base, rp_key);
      JsonObject *event = test_push_channel_next (channel, 10000);
      double ms = (double) (g_get_monotonic_time () - started) / 1000.0;

      g_assert_nonnull (event);
      g_assert_cmpstr (json_object_get_string_member (event, "event"), ==, "request");
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event,
                                                                                     "request"),
                                                      "id"), ==, id);
      g_array_append_val (latencies, ms);
    }
  g_test_message ("push latency (RP create -> device WebSocket event), %u requests: "
                  "p50 %.1f ms, p95 %.1f ms", LATENCY_SAMPLES, load_percentile (latencies, 0.5),
                  load_percentile (latencies, 0.95));
}

static void
report_run (const char      *what,
            guint            round,
            const RunResult *run)
{
  g_test_message ("round %u %-12s %u in %.2f s: %6.0f/s; client CPU %.2f s (%.2f cores), "
                  "server CPU %.2f s (%.2f cores)", round, what, run->n, run->secs,
                  run->n / run->secs, run->client_cpu, run->client_cpu / run->secs,
                  run->server_cpu, run->server_cpu / run->secs);
}

static void
bench_confirm (void)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(TestMobileDevice) lucia = NULL;
  g_autofree char *rp_key = NULL;
  g_autofree char *rp_id = NULL;
  g_autofree char *authority = NULL;
  g_autofree char *load_before = NULL;
  g_autofree char *load_after = NULL;
  g_autofree char *clave_spread = NULL, *bare_spread = NULL, *ratio_spread = NULL;
  g_autofree char *verify_spread = NULL, *verify_ratio_spread = NULL;
  g_autofree char *client_spread = NULL;
  g_autoptr(GArray) clave_rates = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) bare_rates = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) verify_rates = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ratios = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) verify_ratios = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) client_cores = g_array_new (FALSE, FALSE, sizeof (double));
  guint n = env_uint ("CLAVE_BENCH_N", 4000, 1);
  guint connections = env_uint ("CLAVE_BENCH_CONNECTIONS", 16, 1);
  guint runs = env_uint ("CLAVE_BENCH_RUNS", 3, 3);
  ClaveTestServer *server;
  const char *ca_file;
  guint16 port;
  Bare bare = { NULL }, bare_verify = { NULL };

  server = test_server_start (NULL);
  ca_file = clave_test_server_get_ca_file (server);
  authority = test_server_authority (server);
  port = (guint16) g_ascii_strtoull (strrchr (authority, ':') + 1, NULL, 10);
  session = test_session_new (server);
  rp_id = test_add_rp (server, "Agencia Tributaria", "https://sede.agenciatributaria.gob.es",
                       &rp_key);
  lucia = test_mobile_device_activate (server, session, LUCIA_DOC, "validity_date",
                                       LUCIA_VALIDITY, LUCIA_PHONE);
  bare_start (&bare, server, FALSE);
  bare_start (&bare_verify, server, TRUE);

  load_before = load_loadavg ();
  g_test_message ("%u confirmations a run on %u connections, %u rounds; bare handler: %s; "
                  "load average before: %s", n, connections, runs,
                  g_getenv ("CLAVE_BENCH_BARE") != NULL ? g_getenv ("CLAVE_BENCH_BARE")
                                                        : "clave-server's transport",
                  load_before);

  for (guint round = 0; round < runs; round++)
    {
      g_autoptr(GPtrArray) ids = insert_pending (server, rp_id, LUCIA_DOC, round, n);
      g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func (g_free);
      RunResult clave = { 0 }, plain = { 0 }, verify = { 0 };
      double rate;

      for (guint i = 0; i < ids->len; i++)
        {
          g_autofree char *path = g_strconcat (CLAVE_PATH_DEVICE_REQUEST_PREFIX,
                                               (const char *) g_ptr_array_index (ids, i),
                                               CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM, NULL);

          g_ptr_array_add (requests, load_signed_request (authority, lucia->device, "POST",
                                                          path, "{}"));
        }

      /* Interleaved, the order turning each round: none always runs on
       * a warmer or a busier machine. */
      for (guint turn = 0; turn < 3; turn++)
        {
          switch ((turn + round) % 3)
            {
            case 0:
              clave = run_requests (port, ca_file, requests, connections,
                                    clave_test_server_get_pid (server));
              break;
            case 1:
              plain = run_requests (bare.port, ca_file, requests, connections, bare_pid (&bare));
              break;
            default:
              verify = run_requests (bare_verify.port, ca_file, requests, connections,
                                     bare_pid (&bare_verify));
              break;
            }
        }
      report_run ("clave-server", round, &clave);
      report_run ("bare", round, &plain);
      report_run ("bare+verify", round, &verify);

      rate = clave.n / clave.secs;
      g_array_append_val (clave_rates, rate);
      rate = plain.n / plain.secs;
      g_array_append_val (bare_rates, rate);
      rate = verify.n / verify.secs;
      g_array_append_val (verify_rates, rate);
      rate = (clave.n / clave.secs) / (plain.n / plain.secs);
      g_array_append_val (ratios, rate);
      rate = (clave.n / clave.secs) / (verify.n / verify.secs);
      g_array_append_val (verify_ratios, rate);
      rate = clave.client_cpu / clave.secs;
      g_array_append_val (client_cores, rate);
      rate = plain.client_cpu / plain.secs;
      g_array_append_val (client_cores, rate);
      rate = verify.client_cpu / verify.secs;
      g_array_append_val (client_cores, rate);
    }
  load_after = load_loadavg ();

  clave_spread = spread (clave_rates, 0, "/s");
  bare_spread = spread (bare_rates, 0, "/s");
  verify_spread = spread (verify_rates, 0, "/s");
  ratio_spread = spread (ratios, 3, "");
  verify_ratio_spread = spread (verify_ratios, 3, "");
  client_spread = spread (client_cores, 2, "");
  g_test_message ("confirmations (clave-server, HTTPS, signed, synchronous=FULL): %s",
                  clave_spread);
  g_test_message ("bare handler: %s", bare_spread);
  g_test_message ("bare handler checking one P-256 signature a request: %s", verify_spread);
  g_test_message ("ratio clave-server / bare, per round: %s", ratio_spread);
  g_test_message ("ratio clave-server / bare+verify, per round: %s", verify_ratio_spread);
  g_test_message ("client CPU, cores busy during a run: %s", client_spread);
  g_test_message ("load average before: %s; after: %s", load_before, load_after);

  bare_stop (&bare_verify);
  bare_stop (&bare);
  bench_push_latency (server, session, lucia, rp_key);

  g_clear_object (&session);
  clave_test_server_stop (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/confirm", bench_confirm);
  return g_test_run ();
}
