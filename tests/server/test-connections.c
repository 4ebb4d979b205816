/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <string.h>

#include "clave-protocol.h"
#include "server-test-util.h"

/* Connections (docs/protocol.md "Connections"): whatever a client does
 * with a connection, the server's end goes too; each phase of a
 * connection has its timeout; connections are capped in all and per
 * client address; floods of connections that never get to a request,
 * and of handshakes that never end, keep no one else out (docs/security.md
 * "Transport"). Each test starts the server it needs, with timeouts of a
 * second or two so that it runs fast. */

#define HEALTH_REQUEST \
  "GET " CLAVE_PATH_HEALTH " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
/* Time for an answer or a close that should come at once, generous for
 * a loaded machine under ASan. */
#define PROMPT_MS 5000

static ClaveTestServer *
start_server (ClaveTestServerFlags  flags,
              const char           *first_arg,
              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  ClaveTestServer *server;
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  server = clave_test_server_start_with_flags ((const char * const *) args->pdata, flags, &error);
  g_assert_no_error (error);
  return server;
}

static guint
count_descriptors (ClaveTestServer *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd",
                                           (int) clave_test_server_get_pid (server));
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  guint count = 0;

  g_assert_no_error (error);
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* Waits (up to @timeout_ms) for the server's descriptors to come back to
 * @expected; returns the last count. */
static guint
wait_for_descriptors (ClaveTestServer *server,
                      guint            expected,
                      guint            timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint count;

  while ((count = count_descriptors (server)) != expected && g_get_monotonic_time () < deadline)
    g_usleep (50 * 1000);
  return count;
}

/* The server's descriptors once they stop changing. */
static guint
settled_descriptors (ClaveTestServer *server)
{
  guint count = count_descriptors (server);

  for (guint i = 0; i < 50; i++)
    {
      guint again;

      g_usleep (200 * 1000);
      again = count_descriptors (server);
      if (again == count)
        break;
      count = again;
    }
  return count;
}

static double
seconds_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static TestTls *
open_tls (ClaveTestServer *server)
{
  TestTls *tls;
  int ret = 0;

  tls = test_tls_open (server, NULL, &ret);
  g_assert_cmpint (ret, ==, 0);
  return tls;
}

static void
assert_health (TestTls *tls)
{
  g_autoptr(TestResponse) response = NULL;

  g_assert_true (test_tls_send (tls, HEALTH_REQUEST, strlen (HEALTH_REQUEST)));
  response = test_tls_read_response (tls, PROMPT_MS);
  g_assert_nonnull (response);
  test_assert_status (response, SOUP_STATUS_OK);
}

static gboolean
log_contains (ClaveTestServer *server,
              const char      *text)
{
  g_autofree char *log = clave_test_server_read_log (server);

  if (strstr (log, text) != NULL)
    return TRUE;
  g_test_message ("\"%s\" is not in the server's log:\n%s", text, log);
  return FALSE;
}

/* Every way a client can leave ------------------------------------------ */

typedef enum {
  LEAVE_AFTER_ANSWER,        /* keep-alive request answered, socket closed */
  LEAVE_AFTER_ANSWER_BYE,    /* the same, with a TLS close_notify */
  LEAVE_MID_HEAD,
  LEAVE_MID_BODY,
  LEAVE_MID_HANDSHAKE,       /* after the ClientHello */
  LEAVE_SILENT,              /* connected, sent nothing */
  N_WAYS_TO_LEAVE
} WayToLeave;

static void
connect_and_leave (ClaveTestServer *server,
                   const char      *bind_address,
                   WayToLeave       way)
{
  static const char mid_head[] = "GET " CLAVE_PATH_HEALTH " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Tr";
  static const char mid_body[] = "POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Content-Type: application/json\r\nContent-Length: 60\r\n\r\n"
                                 "{\"document\": \"1234";
  TestTlsOptions options = {
    .bind_address = bind_address,
    .tcp_only = way == LEAVE_SILENT,
    .hello_only = way == LEAVE_MID_HANDSHAKE,
    .no_verify = TRUE,
  };
  g_autoptr(TestTls) tls = NULL;
  int ret = 0;

  tls = test_tls_open (server, &options, &ret);
  switch (way)
    {
    case LEAVE_AFTER_ANSWER:
    case LEAVE_AFTER_ANSWER_BYE:
      g_assert_cmpint (ret, ==, 0);
      assert_health (tls);
      test_tls_close (tls, way == LEAVE_AFTER_ANSWER_BYE);
      break;
    case LEAVE_MID_HEAD:
      g_assert_cmpint (ret, ==, 0);
      g_assert_true (test_tls_send (tls, mid_head, strlen (mid_head)));
      break;
    case LEAVE_MID_BODY:
      g_assert_cmpint (ret, ==, 0);
      g_assert_true (test_tls_send (tls, mid_body, strlen (mid_body)));
      break;
    case LEAVE_MID_HANDSHAKE:
    case LEAVE_SILENT:
    case N_WAYS_TO_LEAVE:
      break;
    }
}

typedef struct {
  ClaveTestServer *server;
  char            *address;
  guint            first;
  guint            count;
} Leaver;

static gpointer
leaver_thread (gpointer data)
{
  Leaver *leaver = data;

  for (guint i = leaver->first; i < leaver->first + leaver->count; i++)
    connect_and_leave (leaver->server, leaver->address, i % N_WAYS_TO_LEAVE);
  return NULL;
}

#define N_CONNECTIONS 5000
#define N_THREADS     8

static void
test_closed_by_clients (void)
{
  ClaveTestServer *server = NULL;
  GThread *threads[N_THREADS];
  Leaver leavers[N_THREADS];
  guint before, after;
  gint64 start;

  /* The caps (tested below) would refuse some of the clients whose end
   * the server has not seen yet; 5,000 lines of log would say nothing. */
  server = start_server (CLAVE_TEST_SERVER_DEFAULT, "--max-connections", "8192",
                         "--max-connections-per-address", "8192", "--log-level", "warning",
                         NULL);

  /* Once each way first, so that what the server opens once for good
   * (the database's journal, GLib's threads) is there before counting. */
  for (guint way = 0; way < N_WAYS_TO_LEAVE; way++)
    connect_and_leave (server, NULL, way);
  before = settled_descriptors (server);

  /* Eight clients, each from an address of its own: from one address,
   * handshakes would go two at a time. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_THREADS; i++)
    {
      leavers[i] = (Leaver) { server, g_strdup_printf ("127.0.0.%u", 20 + i),
                              i * (N_CONNECTIONS / N_THREADS), N_CONNECTIONS / N_THREADS };
      threads[i] = g_thread_new ("leaver", leaver_thread, &leavers[i]);
    }
  for (guint i = 0; i < N_THREADS; i++)
    {
      g_thread_join (threads[i]);
      g_free (leavers[i].address);
    }
  g_test_message ("%d connections in %.1f s, %u descriptors open right after", N_CONNECTIONS,
                  seconds_since (start), count_descriptors (server));

  /* libsoup 3.2 on its own kept every keep-alive connection the client
   * closed (CLOSE-WAIT) for ever. */
  start = g_get_monotonic_time ();
  after = wait_for_descriptors (server, before, 10 * 1000);
  g_test_message ("descriptors: %u before, %u after (%.1f s later)", before, after,
                  seconds_since (start));
  g_assert_cmpuint (after, ==, before);

  {
    g_autoptr(TestTls) tls = open_tls (server);

    assert_health (tls);
  }
  clave_test_server_stop (server);
}

/* Keep-alive ---------------------------------------------------------------- */

static void
test_keep_alive (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_DEFAULT, NULL);
  g_autoptr(TestTls) tls = open_tls (server);
  g_autoptr(TestResponse) first = NULL;
  g_autoptr(TestResponse) second = NULL;
  g_autoptr(TestResponse) last = NULL;
  static const char pipelined[] =
    HEALTH_REQUEST
    "POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
    "GET /v1/nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

  /* One request after the other on one connection... */
  assert_health (tls);
  assert_health (tls);

  /* ...and three sent at once, answered in order; the last one ends the
   * connection. */
  g_assert_true (test_tls_send (tls, pipelined, strlen (pipelined)));
  first = test_tls_read_response (tls, PROMPT_MS);
  g_assert_nonnull (first);
  test_assert_status (first, SOUP_STATUS_OK);
  second = test_tls_read_response (tls, PROMPT_MS);
  g_assert_nonnull (second);
  test_assert_error (second, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  last = test_tls_read_response (tls, PROMPT_MS);
  g_assert_nonnull (last);
  test_assert_error (last, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
  g_assert_true (test_tls_wait_closed (tls, PROMPT_MS));

  clave_test_server_stop (server);
}

/* Timeouts ------------------------------------------------------------------ */

static void
test_handshake_timeout (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE,
                                          "--handshake-timeout", "1", NULL);
  TestTlsOptions options = { .tcp_only = TRUE };
  g_autoptr(TestTls) silent = NULL;
  gint64 start = g_get_monotonic_time ();
  int ret = 0;

  /* Connected, and not a byte: libsoup 3.2 waited for ever. */
  silent = test_tls_open (server, &options, &ret);
  g_assert_true (test_tls_wait_closed (silent, PROMPT_MS));
  g_test_message ("closed after %.2f s", seconds_since (start));
  g_assert_cmpfloat (seconds_since (start), >=, 0.9);
  g_assert_true (log_contains (server, "Closed the connection from 127.0.0.1: no TLS handshake "
                                       "within 1 s (--handshake-timeout)"));

  clave_test_server_stop (server);
}

static void
test_header_timeout (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE,
                                          "--header-timeout", "1", NULL);
  g_autoptr(TestTls) idle = NULL;
  g_autoptr(TestTls) slow = NULL;
  gint64 start = g_get_monotonic_time ();
  static const char request_line[] = "GET " CLAVE_PATH_HEALTH " HTTP/1.1\r\n";
  guint lines = 0;

  /* A connection that never sends a request... */
  idle = open_tls (server);
  g_assert_true (test_tls_wait_closed (idle, PROMPT_MS));
  g_assert_cmpfloat (seconds_since (start), >=, 0.9);
  g_assert_true (log_contains (server, "no request within 1 s (--header-timeout)"));

  /* ...and one that sends its head a line at a time, never ending it
   * (slowloris): the whole head must come within the timeout. */
  slow = open_tls (server);
  start = g_get_monotonic_time ();
  g_assert_true (test_tls_send (slow, request_line, strlen (request_line)));
  while (seconds_since (start) < PROMPT_MS / 1000.0)
    {
      if (test_tls_wait_closed (slow, 200) ||
          !test_tls_send (slow, "X-Slow: 1\r\n", strlen ("X-Slow: 1\r\n")))
        break;
      lines++;
    }
  g_test_message ("slow head closed after %.2f s and %u lines", seconds_since (start), lines);
  g_assert_cmpfloat (seconds_since (start), <, PROMPT_MS / 1000.0);
  g_assert_cmpuint (lines, >=, 3);
  g_assert_true (log_contains (server, "no complete request head within 1 s (--header-timeout)"));

  clave_test_server_stop (server);
}

static void
test_body_timeout (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE, "--header-timeout", "1",
                                          "--body-timeout", "2", NULL);
  g_autoptr(TestTls) tls = open_tls (server);
  static const char head[] = "POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{";
  gint64 start = g_get_monotonic_time ();

  /* The head at once, then a body that stops after its first byte: the
   * body's own timeout ends it, not the head's. */
  g_assert_true (test_tls_send (tls, head, strlen (head)));
  g_assert_true (test_tls_wait_closed (tls, PROMPT_MS));
  g_test_message ("closed after %.2f s", seconds_since (start));
  g_assert_cmpfloat (seconds_since (start), >=, 1.9);
  g_assert_true (log_contains (server, "no complete request body within 2 s (--body-timeout)"));

  clave_test_server_stop (server);
}

static void
test_idle_timeout (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_DEFAULT, "--idle-timeout", "2", NULL);
  g_autoptr(TestTls) tls = open_tls (server);
  gint64 start;

  /* Requests within the timeout keep the connection... */
  assert_health (tls);
  g_usleep (G_USEC_PER_SEC / 2);
  assert_health (tls);

  /* ...and it ends two seconds after the last answer. */
  start = g_get_monotonic_time ();
  g_assert_true (test_tls_wait_closed (tls, PROMPT_MS));
  g_test_message ("closed after %.2f s", seconds_since (start));
  g_assert_cmpfloat (seconds_since (start), >=, 1.9);

  clave_test_server_stop (server);
}

/* A client that asks and never reads: its 4 KiB window closes, the
 * server's send buffer fills, the server's write of an answer waits, and
 * the server stops reading requests; the client sends until nothing more
 * goes out for a second. */
static TestTls *
open_stalled_reader (ClaveTestServer *server)
{
  TestTlsOptions options = { .rcvbuf = 4096 };
  g_autoptr(TestTls) tls = NULL;
  guint copies;
  int ret = 0;

  tls = test_tls_open (server, &options, &ret);
  g_assert_cmpint (ret, ==, 0);
  copies = test_tls_send_until_stalled (tls, HEALTH_REQUEST, strlen (HEALTH_REQUEST), 1000);
  g_test_message ("the server stopped taking requests after %u", copies);
  return g_steal_pointer (&tls);
}

static void
test_send_timeout (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_DEFAULT, "--send-timeout", "1",
                                          "--idle-timeout", "1", NULL);
  ClaveTestServer *patient = start_server (CLAVE_TEST_SERVER_DEFAULT, "--idle-timeout", "1",
                                           NULL);
  guint before = settled_descriptors (server);
  guint patient_before = settled_descriptors (patient);
  g_autoptr(TestTls) stalled = NULL;
  g_autoptr(TestTls) patient_stalled = NULL;
  gint64 start;
  guint count;

  /* With the default of 30 s, a server stuck writing to a stalled reader
   * still holds its connection 4 s on, the idle timeout of a second
   * notwithstanding (an answer is being written: the connection is not
   * idle)... */
  patient_stalled = open_stalled_reader (patient);
  g_usleep (4 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_descriptors (patient), >, patient_before);

  /* ...and with --send-timeout 1, the kernel aborts the connection a
   * second or so after the answers stopped going out, the server's write
   * fails, and the server lets go of the connection, although the client
   * never closed it. */
  start = g_get_monotonic_time ();
  stalled = open_stalled_reader (server);
  count = wait_for_descriptors (server, before, 10000);
  g_test_message ("descriptors: %u before, %u %.1f s after a stalled reader's first request",
                  before, count, seconds_since (start));
  g_assert_cmpuint (count, ==, before);

  clave_test_server_stop (patient);
  clave_test_server_stop (server);
}

/* Caps -------------------------------------------------------------------- */

/* TRUE when a new connection from @bind_address shakes hands; a refused
 * one is closed at once, so this never waits for a timeout. */
static gboolean
handshake_from (ClaveTestServer *server,
                const char      *bind_address)
{
  TestTlsOptions options = { .bind_address = bind_address };
  g_autoptr(TestTls) tls = NULL;
  gint64 start = g_get_monotonic_time ();
  int ret = 0;

  tls = test_tls_open (server, &options, &ret);
  g_assert_cmpfloat (seconds_since (start), <, PROMPT_MS / 1000.0);
  return ret == 0;
}

/* A request under way: the head sent, asking "Expect: 100-continue", and
 * the server's "100 Continue" read, so that the server has seen it; the
 * body (2 bytes) is still to come. */
static const char request_started[] =
  "POST " CLAVE_PATH_IDENTIFY " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
  "Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";

static void
start_request (TestTls *tls)
{
  g_assert_true (test_tls_send (tls, request_started, strlen (request_started)));
  g_assert_true (test_tls_wait_for (tls, "HTTP/1.1 100 Continue\r\n", PROMPT_MS));
}

static void
finish_request (TestTls *tls)
{
  g_autoptr(TestResponse) response = NULL;

  g_assert_true (test_tls_send (tls, "[]", 2));
  response = test_tls_read_response (tls, PROMPT_MS);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
}

static void
test_max_connections (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE,
                                          "--max-connections", "3", NULL);
  TestTls *open[3];
  g_autoptr(TestTls) newcomer = NULL;
  gint64 deadline;
  gboolean admitted = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (open); i++)
    open[i] = open_tls (server);

  /* Two connections in the middle of a request, one idle between two
   * requests: a newcomer takes the place of the idle one... */
  start_request (open[0]);
  start_request (open[1]);
  assert_health (open[2]);
  newcomer = open_tls (server);
  g_assert_true (test_tls_wait_closed (open[2], PROMPT_MS));
  g_assert_true (log_contains (server, "Closed the idle connection from 127.0.0.1 to make room "
                                       "for one from 127.0.0.1: 3 connections open "
                                       "(--max-connections)"));

  /* ...and when every connection is in a request, nothing makes room. */
  start_request (newcomer);
  g_assert_false (handshake_from (server, NULL));
  g_assert_false (handshake_from (server, "127.0.0.2"));
  g_assert_true (log_contains (server, "Refused a connection from 127.0.0.1: 3 connections open "
                                       "(--max-connections)"));

  /* The connections in place still work, and one that goes makes room. */
  finish_request (open[0]);
  test_tls_close (open[1], TRUE);
  deadline = g_get_monotonic_time () + PROMPT_MS * 1000;
  while (!admitted && g_get_monotonic_time () < deadline)
    admitted = handshake_from (server, NULL);
  g_assert_true (admitted);
  finish_request (newcomer);

  for (guint i = 0; i < G_N_ELEMENTS (open); i++)
    test_tls_free (open[i]);
  clave_test_server_stop (server);
}

static void
test_max_per_address (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE,
                                          "--max-connections-per-address", "2", NULL);
  g_autoptr(TestTls) first = open_tls (server);
  g_autoptr(TestTls) second = open_tls (server);

  g_assert_false (handshake_from (server, NULL));
  g_assert_true (log_contains (server, "Refused a connection from 127.0.0.1: 2 connections open "
                                       "from 127.0.0.1 (--max-connections-per-address)"));
  /* Another address has its own count. */
  g_assert_true (handshake_from (server, "127.0.0.2"));
  assert_health (first);

  clave_test_server_stop (server);
}

static guint
count_lines_with (const char *text,
                  const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* A flood of refused connections is logged one by one up to 20 a minute,
 * then counted, and the count logged (here, at shutdown). */
static void
test_refusals_logged_within_limits (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE,
                                          "--max-connections-per-address", "1", NULL);
  g_autoptr(TestTls) first = open_tls (server);
  g_autofree char *log = NULL;

  for (guint i = 0; i < 50; i++)
    g_assert_false (handshake_from (server, NULL));
  assert_health (first);
  clave_test_server_terminate (server);

  log = clave_test_server_read_log (server);
  g_assert_cmpuint (count_lines_with (log, "Refused a connection from"), ==, 20);
  g_assert_nonnull (strstr (log, "30 more connections were refused or cut off in a minute (at "
                                 "most 20 a minute are logged one by one)"));
  clave_test_server_stop (server);
}

/* Floods ------------------------------------------------------------------ */

/* A normal client's handshake and first answer during a flood: what it
 * takes without one, generous for a loaded machine under ASan, yet under
 * the 3 s a stalled handshake keeps its turn while others wait, and well
 * under the handshake timeout (10 s), which is what the floods made it
 * take. */
#define FLOOD_PROMPT_S 1.5
/* A stalled handshake's turn, while others wait. */
#define TURN_S         3.0

/* @per_address connections from each of @n_addresses addresses
 * (127.0.0.10 on, one after the other), each sending @first_bytes (NULL:
 * nothing). */
static GPtrArray *
flood (ClaveTestServer *server,
       guint            n_addresses,
       guint            per_address,
       const char      *first_bytes,
       gsize            n_bytes)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) test_tls_free);

  for (guint a = 0; a < n_addresses; a++)
    {
      g_autofree char *address = g_strdup_printf ("127.0.0.%u", 10 + a);
      TestTlsOptions raw = { .tcp_only = TRUE, .bind_address = address };

      for (guint i = 0; i < per_address; i++)
        {
          TestTls *tls;
          int ret = 0;

          tls = test_tls_open (server, &raw, &ret);
          g_assert_cmpint (ret, ==, 0);
          if (first_bytes != NULL)
            g_assert_true (test_tls_send (tls, first_bytes, n_bytes));
          g_ptr_array_add (all, tls);
        }
    }
  return all;
}

static GPtrArray *
flood_hellos (ClaveTestServer *server,
              guint            n_addresses,
              guint            per_address)
{
  g_autoptr(GBytes) hello = test_tls_client_hello (NULL);

  return flood (server, n_addresses, per_address, g_bytes_get_data (hello, NULL),
                g_bytes_get_size (hello));
}

/* The seconds a new client from @bind_address takes to shake hands and
 * have an answer; fails unless it has one. */
static double
timed_health_from (ClaveTestServer *server,
                   const char      *bind_address)
{
  TestTlsOptions options = { .bind_address = bind_address };
  g_autoptr(TestTls) tls = NULL;
  g_autoptr(TestResponse) response = NULL;
  gint64 start = g_get_monotonic_time ();
  double seconds;
  int ret = 0;

  tls = test_tls_open (server, &options, &ret);
  if (ret == 0 && test_tls_send (tls, HEALTH_REQUEST, strlen (HEALTH_REQUEST)))
    response = test_tls_read_response (tls, 20 * 1000);
  seconds = seconds_since (start);
  g_test_message ("a client from %s: %s after %.2f s", bind_address,
                  response != NULL ? "answered" : "no answer", seconds);
  g_assert_cmpint (ret, ==, 0);
  test_assert_status (response, SOUP_STATUS_OK);
  return seconds;
}

/* Connections that send nothing cost no handshake thread: 64 of them held
 * GLib's threads, and a normal client's handshake took some 9 s. (From 16
 * addresses: from one, the cap on handshakes per address would hide it.) */
static void
test_silent_clients (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_DEFAULT, NULL);
  g_autoptr(GPtrArray) silent = flood (server, 16, 4, NULL, 0);

  g_assert_cmpfloat (timed_health_from (server, "127.0.0.2"), <, FLOOD_PROMPT_S);
  clave_test_server_stop (server);
}

/* Nor do clients that send part of their first TLS record and stall, and
 * a first record that cannot be a ClientHello closes the connection at
 * once. */
static void
test_partial_hello (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE, NULL);
  /* A handshake record of 512 bytes, of which 100 come. */
  char part[5 + 100] = "\x16\x03\x01\x02\x00\x01";
  g_autoptr(GPtrArray) three_bytes = flood (server, 16, 3, "\x16\x03\x01", 3);
  g_autoptr(GPtrArray) some_bytes = flood (server, 16, 3, part, sizeof part);
  static const struct {
    const char *bytes;
    gsize       len;
  } not_hellos[] = {
    { HEALTH_REQUEST, sizeof HEALTH_REQUEST - 1 },    /* plain HTTP */
    { "\x17\x03\x03\x00\x10", 5 },                   /* application data */
    { "\x16\x03\x01\x40\x06", 5 },                   /* 16 KiB + 6 */
    { "\x16\x03\x01\x00\x04\x02", 6 },               /* a ServerHello */
  };

  g_assert_cmpfloat (timed_health_from (server, "127.0.0.2"), <, FLOOD_PROMPT_S);

  for (guint i = 0; i < G_N_ELEMENTS (not_hellos); i++)
    {
      TestTlsOptions raw = { .tcp_only = TRUE, .bind_address = "127.0.0.3" };
      g_autoptr(TestTls) tls = NULL;
      gint64 start = g_get_monotonic_time ();
      int ret = 0;

      tls = test_tls_open (server, &raw, &ret);
      g_assert_true (test_tls_send (tls, not_hellos[i].bytes, not_hellos[i].len));
      g_assert_true (test_tls_wait_closed (tls, PROMPT_MS));
      g_test_message ("not a ClientHello (%u): closed after %.2f s", i, seconds_since (start));
      g_assert_cmpfloat (seconds_since (start), <, FLOOD_PROMPT_S);
    }
  g_assert_true (log_contains (server, "Closed the connection from 127.0.0.3: its first bytes are "
                                       "not a TLS ClientHello"));

  clave_test_server_stop (server);
}

/* A client that sends a whole ClientHello and stalls holds a thread until
 * the handshake timeout: no more than two of them run at once per
 * address. */
static void
test_stalled_handshakes (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_DEFAULT, NULL);
  g_autoptr(GPtrArray) stalled = flood_hellos (server, 1, 64);

  g_assert_cmpfloat (timed_health_from (server, "127.0.0.2"), <, FLOOD_PROMPT_S);
  clave_test_server_stop (server);
}

/* From six addresses, four stalled handshakes each: six of them hold
 * every turn (six at once). While others wait, a handshake loses its turn
 * after 3 s, and the addresses whose handshakes stalled go after the
 * others: a new client waits one turn, not three. */
static void
test_stalled_handshakes_take_turns (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE, NULL);
  g_autoptr(GPtrArray) stalled = flood_hellos (server, 6, 4);

  g_assert_cmpfloat (timed_health_from (server, "127.0.0.2"), <, TURN_S + FLOOD_PROMPT_S);
  g_assert_true (log_contains (server, "Closed the connection from 127.0.0.10: its TLS handshake "
                                       "took over 3 s while others waited for a turn"));
  clave_test_server_stop (server);
}

/* Nor more than six in all, so that the requests whose signature is
 * checked in GLib's threads (a device's answer to an authentication
 * request) still find one, whatever the number of stalled handshakes. */
static void
test_signature_checks_keep_threads (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_DEFAULT, NULL);
  const char *base = clave_test_server_get_base_url (server);
  g_autoptr(SoupSession) session = test_session_new (server);
  g_autoptr(TestMobileDevice) lucia = NULL;
  g_autoptr(TestResponse) created = NULL;
  g_autoptr(TestResponse) claimed = NULL;
  g_autoptr(TestResponse) confirmed = NULL;
  g_autoptr(ClaveHttpSigHeaders) sig = NULL;
  g_autoptr(TestTls) device = NULL;
  g_autoptr(GPtrArray) stalled = NULL;
  g_autofree char *rp_key = NULL;
  g_autofree char *rp_id = NULL;
  g_autofree char *claim = NULL;
  g_autofree char *confirm = NULL;
  g_autofree char *target = NULL;
  g_autofree char *authority = test_server_authority (server);
  g_autofree char *request = NULL;
  gint64 start;
  double seconds;

  rp_id = test_add_rp (server, "Agencia Tributaria", "https://sede.agenciatributaria.gob.es",
                       &rp_key);
  lucia = test_mobile_device_activate (server, session, LUCIA_DOC, "validity_date",
                                       LUCIA_VALIDITY, LUCIA_PHONE);
  created = test_post_json (session, base, CLAVE_PATH_RP_REQUESTS, "{\"type\":\"qr\"}", rp_key);
  test_assert_status (created, SOUP_STATUS_CREATED);
  claim = g_strconcat (CLAVE_PATH_DEVICE_REQUEST_PREFIX, test_response_string (created, "id"),
                       "/claim", NULL);
  confirm = g_strconcat (CLAVE_PATH_DEVICE_REQUEST_PREFIX, test_response_string (created, "id"),
                         "/confirm", NULL);
  claimed = test_device_request (session, base, lucia->device, "POST", claim, "{}", NULL);
  test_assert_status (claimed, SOUP_STATUS_OK);

  /* The device's connection, open before the flood... */
  device = open_tls (server);
  assert_health (device);

  /* ...of two stalled handshakes from each of 100 addresses, all taken in
   * by the time the device asks. */
  stalled = flood_hellos (server, 100, 2);
  g_usleep (G_USEC_PER_SEC);

  target = g_strconcat (base, confirm, NULL);
  sig = test_device_sign (lucia->device, "POST", target, "{}");
  request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: %s\r\n"
                             "Content-Type: application/json\r\nContent-Length: 2\r\n"
                             "Content-Digest: %s\r\nSignature-Input: %s\r\nSignature: %s\r\n"
                             "\r\n{}", confirm, authority, sig->content_digest,
                             sig->signature_input, sig->signature);
  start = g_get_monotonic_time ();
  g_assert_true (test_tls_send (device, request, strlen (request)));
  confirmed = test_tls_read_response (device, 20 * 1000);
  seconds = seconds_since (start);
  g_test_message ("the device's signed answer took %.2f s", seconds);
  test_assert_status (confirmed, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (confirmed, "status"), ==, "confirmed");
  g_assert_cmpfloat (seconds, <, FLOOD_PROMPT_S);

  clave_test_server_stop (server);
}

/* At the total cap, a newcomer takes the place of the oldest connection
 * that has not started a request: 4 addresses with 4 silent connections
 * each (the per-address cap) fill a cap of 16 (17 addresses and 64 each
 * filled the default 1024), and a client from a fifth still has an
 * answer. */
static void
test_evict_for_newcomers (void)
{
  ClaveTestServer *server = start_server (CLAVE_TEST_SERVER_LOG_TO_FILE,
                                          "--max-connections", "16",
                                          "--max-connections-per-address", "4", NULL);
  g_autoptr(GPtrArray) silent = flood (server, 4, 4, NULL, 0);

  g_assert_cmpfloat (timed_health_from (server, "127.0.0.2"), <, FLOOD_PROMPT_S);
  g_assert_true (test_tls_wait_closed (silent->pdata[0], PROMPT_MS));
  g_assert_true (log_contains (server, "Closed the connection from 127.0.0.10 (no request yet) "
                                       "to make room for one from 127.0.0.2: 16 connections "
                                       "open (--max-connections)"));

  clave_test_server_stop (server);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/connections/closed-by-clients", test_closed_by_clients);
  g_test_add_func ("/connections/keep-alive", test_keep_alive);
  g_test_add_func ("/connections/handshake-timeout", test_handshake_timeout);
  g_test_add_func ("/connections/header-timeout", test_header_timeout);
  g_test_add_func ("/connections/body-timeout", test_body_timeout);
  g_test_add_func ("/connections/idle-timeout", test_idle_timeout);
  g_test_add_func ("/connections/send-timeout", test_send_timeout);
  g_test_add_func ("/connections/refusals-logged-within-limits",
                   test_refusals_logged_within_limits);
  g_test_add_func ("/connections/max-connections", test_max_connections);
  g_test_add_func ("/connections/max-per-address", test_max_per_address);
  g_test_add_func ("/connections/silent-clients", test_silent_clients);
  g_test_add_func ("/connections/partial-hello", test_partial_hello);
  g_test_add_func ("/connections/stalled-handshakes", test_stalled_handshakes);
  g_test_add_func ("/connections/stalled-handshakes-take-turns",
                   test_stalled_handshakes_take_turns);
  g_test_add_func ("/connections/signature-checks-keep-threads",
                   test_signature_checks_keep_threads);
  g_test_add_func ("/connections/evict-for-newcomers", test_evict_for_newcomers);

  return g_test_run ();
}
