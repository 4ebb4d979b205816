/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "clave-protocol.h"
#include "load-util.h"
#include "server-test-util.h"

/* A load test of clave-server on loopback: for CLAVE_LOAD_SECONDS
 * (default 60) it drives, all at once,
 * - activations of new devices (identify, SMS code, verify, register;
 *   the code read from the outbox), each for a citizen of its own among
 *   thousands put in the registry first, so that no per-person limit is
 *   reached;
 * - relying-party calls: QR requests created and read back;
 * - push requests created for citizens whose devices confirm them at
 *   once (signed);
 * - the push channels (WebSocket) of those devices, opened again every
 *   two seconds, which receive the requests and their answers;
 * and reports, per kind, the throughput and the p50/p99 latency of its
 * HTTP requests, and the service's memory (resident, from /proc) and
 * open descriptors before and after. Any answer other than the one
 * expected (a 4xx, a 5xx), or an internal error in the service's log,
 * fails it; so do descriptors that are not given back.
 *
 * Every request goes to 127.0.0.1, one connection per client thread,
 * and every loop ends at the deadline: it is bounded in time, and in
 * count by the service's own speed.
 *
 *   meson test -C BUILD --benchmark load-service -v      (a minute)
 *   meson test -C BUILD --suite server test-load         (3 seconds) */

#define ACTIVATION_CLIENTS 2
#define RP_CLIENTS         2
#define CONFIRM_CLIENTS    4
#define SEEDED_CITIZENS    20000
#define VALIDITY           "2031-05-04"
#define RECONNECT_US       (2 * G_USEC_PER_SEC)
/* The service may hold a few more descriptors after the load than
 * before (the thread pool's wake-ups, SQLite's journal): more would be
 * connections it never gave back. */
#define FD_SLACK           8

typedef enum {
  KIND_ACTIVATION,
  KIND_RP_CREATE,
  KIND_RP_STATUS,
  KIND_PUSH_CREATE,
  KIND_CONFIRM,
  KIND_PUSH_CONNECT,
  N_KINDS
} Kind;

static const char *const kind_names[N_KINDS] = {
  [KIND_ACTIVATION] = "activation (each of 4 requests)",
  [KIND_RP_CREATE] = "relying party: create QR",
  [KIND_RP_STATUS] = "relying party: read status",
  [KIND_PUSH_CREATE] = "relying party: create push",
  [KIND_CONFIRM] = "device: confirm (signed)",
  [KIND_PUSH_CONNECT] = "push channel: connect",
};

typedef struct {
  GArray *latencies[N_KINDS];   /* ms */
  guint   errors;
  char   *first_error;
  guint   activations;
} Tally;

typedef struct {
  ClaveTestServer *server;
  char            *authority;
  guint16          port;
  const char      *ca_file;
  char            *db_path;
  char            *rp_key;
  gint64           deadline;
  int              next_citizen;   /* atomic */
} Load;

typedef struct {
  Load             *load;
  Tally             tally;
  GThread          *thread;
  /* Confirm clients: the citizen and the device. */
  char             *document;
  TestMobileDevice *device;
} Client;

static void
tally_init (Tally *tally)
{
  for (guint k = 0; k < N_KINDS; k++)
    tally->latencies[k] = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
tally_clear (Tally *tally)
{
  for (guint k = 0; k < N_KINDS; k++)
    g_clear_pointer (&tally->latencies[k], g_array_unref);
  g_clear_pointer (&tally->first_error, g_free);
}

static void
tally_error (Tally      *tally,
             const char *what)
{
  if (tally->errors++ == 0)
    tally->first_error = g_strdup (what);
}

/* The document of seeded citizen @i: a DNI with its control letter. */
static char *
seeded_document (guint i)
{
  guint number = 20000000 + i;

  return g_strdup_printf ("%08u%c", number, "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]);
}

static char *
seeded_phone (guint i)
{
  return g_strdup_printf ("+3461%07u", i);
}

static void
seed_citizens (Load *load)
{
  sqlite3 *db = test_db_open (load->db_path);
  sqlite3_stmt *identity = NULL, *citizen = NULL;

  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO identities (document, type, given_name,"
                                       "  surnames, validity_date)"
                                       " VALUES (?1, 'dni', 'Carga', 'Prueba', '" VALIDITY "')",
                                       -1, &identity, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO citizens (document, phone, email, level,"
                                       "  channel, created_at)"
                                       " VALUES (?1, ?2, 'carga@example.org', 'advanced',"
                                       "  'in_person', 1700000000)",
                                       -1, &citizen, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < SEEDED_CITIZENS; i++)
    {
      g_autofree char *document = seeded_document (i);
      g_autofree char *phone = seeded_phone (i);

      sqlite3_bind_text (identity, 1, document, -1, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (identity), ==, SQLITE_DONE);
      sqlite3_reset (identity);
      sqlite3_bind_text (citizen, 1, document, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (citizen, 2, phone, -1, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (citizen), ==, SQLITE_DONE);
      sqlite3_reset (citizen);
    }
  sqlite3_finalize (identity);
  sqlite3_finalize (citizen);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* One request, timed under @kind; FALSE (an error counted) unless the
 * answer has @expected status. */
static gboolean
exchange (Client      *client,
          LoadConn    *conn,
          Kind         kind,
          const char  *request,
          guint        expected,
          char       **body)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  gint64 started = g_get_monotonic_time ();
  guint status = 0;
  double ms;

  if (!load_conn_exchange (conn, request, strlen (request), &status, &answer, &error))
    {
      g_autofree char *what = g_strdup_printf ("%s: %s", kind_names[kind], error->message);

      tally_error (&client->tally, what);
      return FALSE;
    }
  ms = (double) (g_get_monotonic_time () - started) / 1000.0;
  g_array_append_val (client->tally.latencies[kind], ms);
  if (status != expected)
    {
      g_autofree char *what = g_strdup_printf ("%s: %u %s", kind_names[kind], status, answer);

      tally_error (&client->tally, what);
      return FALSE;
    }
  if (body != NULL)
    *body = g_steal_pointer (&answer);
  return TRUE;
}

static JsonObject *
parse_object (const char *text,
              JsonParser *parser)
{
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

/* The code of the newest SMS to @phone, from the outbox. */
static char *
read_code (sqlite3    *db,
           const char *phone)
{
  sqlite3_stmt *stmt = NULL;
  char *code = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT body FROM sms_outbox WHERE phone = ?1"
                                       " ORDER BY id DESC LIMIT 1", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  sqlite3_bind_text (stmt, 1, phone, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *body = (const char *) sqlite3_column_text (stmt, 0);

      for (const char *p = body; p != NULL && *p != '\0'; p++)
        if (g_ascii_isdigit (*p) && strspn (p, "0123456789") == CLAVE_SMS_CODE_DIGITS)
          {
            code = g_strndup (p, CLAVE_SMS_CODE_DIGITS);
            break;
          }
    }
  sqlite3_finalize (stmt);
  return code;
}

static void
activate_one (Client   *client,
              LoadConn *conn,
              sqlite3  *db,
              guint     index)
{
  Load *load = client->load;
  g_autofree char *document = seeded_document (index);
  g_autofree char *phone = seeded_phone (index);
  g_autofree char *json = NULL, *request = NULL, *body = NULL, *path = NULL, *code = NULL;
  g_autofree char *public_key = NULL, *proof = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(TestDevice) device = test_device_new ();
  const char *id, *token;
  JsonObject *answer, *activation;

  json = g_strdup_printf ("{\"document\":\"%s\",\"contrast\":{\"kind\":\"validity_date\","
                          "\"value\":\"" VALIDITY "\"}}", document);
  request = load_request (load->authority, "POST", CLAVE_PATH_IDENTIFY, NULL, json);
  if (!exchange (client, conn, KIND_ACTIVATION, request, SOUP_STATUS_OK, &body))
    return;
  answer = parse_object (body, parser);
  activation = answer != NULL ? json_object_get_object_member (answer, "activation") : NULL;
  if (activation == NULL)
    {
      tally_error (&client->tally, "identify: no activation");
      return;
    }
  id = json_object_get_string_member (activation, "id");
  token = json_object_get_string_member (activation, "token");

  path = g_strconcat (CLAVE_PATH_ACTIVATIONS, id, "/sms", NULL);
  g_free (request);
  request = load_request (load->authority, "POST", path, token, "{}");
  if (!exchange (client, conn, KIND_ACTIVATION, request, SOUP_STATUS_OK, NULL))
    return;
  code = read_code (db, phone);
  if (code == NULL)
    {
      tally_error (&client->tally, "sms: no code in the outbox");
      return;
    }

  g_free (path);
  g_free (json);
  g_free (request);
  path = g_strconcat (CLAVE_PATH_ACTIVATIONS, id, "/sms/verify", NULL);
  json = g_strdup_printf ("{\"code\":\"%s\"}", code);
  request = load_request (load->authority, "POST", path, token, json);
  if (!exchange (client, conn, KIND_ACTIVATION, request, SOUP_STATUS_OK, NULL))
    return;

  public_key = test_device_public_key (device);
  proof = test_device_proof (device, id);
  g_free (path);
  g_free (json);
  g_free (request);
  path = g_strconcat (CLAVE_PATH_ACTIVATIONS, id, "/device", NULL);
  json = g_strdup_printf ("{\"public_key\":\"%s\",\"proof\":\"%s\",\"name\":\"load\"}",
                          public_key, proof);
  request = load_request (load->authority, "POST", path, token, json);
  if (exchange (client, conn, KIND_ACTIVATION, request, SOUP_STATUS_CREATED, NULL))
    client->tally.activations++;
}

static gpointer
activation_client (gpointer user_data)
{
  Client *client = user_data;
  Load *load = client->load;
  g_autoptr(GError) error = NULL;
  g_autoptr(LoadConn) conn = load_conn_open (load->port, load->ca_file, &error);
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open_v2 (load->db_path, &db, SQLITE_OPEN_READONLY, NULL), ==,
                   SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  while (g_get_monotonic_time () < load->deadline)
    {
      guint index = (guint) g_atomic_int_add (&load->next_citizen, 1);

      if (index >= SEEDED_CITIZENS)
        break;
      activate_one (client, conn, db, index);
    }
  sqlite3_close (db);
  return NULL;
}

/* Creates a request (@create, timed under @kind): its id, or NULL (an
 * error counted). */
static char *
create_request (Client     *client,
                LoadConn   *conn,
                Kind        kind,
                const char *create)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *body = NULL;
  JsonObject *object;
  const char *id;

  if (!exchange (client, conn, kind, create, SOUP_STATUS_CREATED, &body))
    return NULL;
  object = parse_object (body, parser);
  id = object != NULL ? json_object_get_string_member_with_default (object, "id", NULL) : NULL;
  if (id == NULL)
    tally_error (&client->tally, "create: no id");
  return g_strdup (id);
}

static gpointer
rp_client (gpointer user_data)
{
  Client *client = user_data;
  Load *load = client->load;
  g_autoptr(GError) error = NULL;
  g_autoptr(LoadConn) conn = load_conn_open (load->port, load->ca_file, &error);
  g_autofree char *create = load_request (load->authority, "POST", CLAVE_PATH_RP_REQUESTS,
                                          load->rp_key, "{\"type\":\"qr\"}");

  g_assert_no_error (error);
  while (g_get_monotonic_time () < load->deadline)
    {
      g_autofree char *id = create_request (client, conn, KIND_RP_CREATE, create);
      g_autofree char *path = NULL, *get = NULL;

      if (id == NULL)
        continue;
      path = g_strconcat (CLAVE_PATH_RP_REQUEST_PREFIX, id, NULL);
      get = load_request (load->authority, "GET", path, load->rp_key, NULL);
      exchange (client, conn, KIND_RP_STATUS, get, SOUP_STATUS_OK, NULL);
    }
  return NULL;
}

static gpointer
confirm_client (gpointer user_data)
{
  Client *client = user_data;
  Load *load = client->load;
  g_autoptr(GError) error = NULL;
  g_autoptr(LoadConn) conn = load_conn_open (load->port, load->ca_file, &error);
  g_autofree char *json = NULL;
  g_autofree char *create = NULL;

  g_assert_no_error (error);
  json = g_strdup_printf ("{\"type\":\"push\",\"document\":\"%s\",\"contrast\":"
                          "{\"kind\":\"validity_date\",\"value\":\"" VALIDITY "\"}}",
                          client->document);
  create = load_request (load->authority, "POST", CLAVE_PATH_RP_REQUESTS, load->rp_key, json);
  while (g_get_monotonic_time () < load->deadline)
    {
      g_autofree char *id = create_request (client, conn, KIND_PUSH_CREATE, create);
      g_autofree char *path = NULL, *confirm = NULL;

      if (id == NULL)
        continue;
      path = g_strconcat (CLAVE_PATH_DEVICE_REQUEST_PREFIX, id,
                          CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM, NULL);
      confirm = load_signed_request (load->authority, client->device->device, "POST", path,
                                     "{}");
      exchange (client, conn, KIND_CONFIRM, confirm, SOUP_STATUS_OK, NULL);
    }
  return NULL;
}

/* The push channels, on this thread's main loop. */
typedef struct {
  TestPushChannel *channel;
  gint64           opened_at;
} Channel;

static void
open_channel (Channel          *channel,
              Load             *load,
              SoupSession      *session,
              TestMobileDevice *device,
              Tally            *tally)
{
  gint64 started = g_get_monotonic_time ();
  guint status = 0;
  double ms;

  g_clear_pointer (&channel->channel, test_push_channel_free);
  channel->channel = test_push_channel_open (load->server, session, device->push, &status);
  ms = (double) (g_get_monotonic_time () - started) / 1000.0;
  g_array_append_val (tally->latencies[KIND_PUSH_CONNECT], ms);
  if (channel->channel->conn == NULL)
    {
      g_autofree char *what = g_strdup_printf ("push channel: %u", status);

      tally_error (tally, what);
    }
  channel->opened_at = g_get_monotonic_time ();
}

/* Counts the events received so far by type. */
static void
drain_events (Channel *channel,
              guint   *requests,
              guint   *statuses)
{
  JsonNode *node;

  while ((node = g_queue_pop_head (&channel->channel->events)) != NULL)
    {
      const char *event = json_object_get_string_member_with_default (json_node_get_object (node),
                                                                      "event", "");

      *requests += g_str_equal (event, CLAVE_PUSH_EVENT_REQUEST);
      *statuses += g_str_equal (event, CLAVE_PUSH_EVENT_STATUS);
      json_node_unref (node);
    }
}

static void
report_kind (Kind     kind,
             GArray  *latencies,
             double   secs)
{
  g_test_message ("%-34s %7u in %4.0f s: %7.1f/s  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms",
                  kind_names[kind], latencies->len, secs, latencies->len / secs,
                  load_percentile (latencies, 0.5), load_percentile (latencies, 0.99),
                  load_percentile (latencies, 1));
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *value = g_getenv (name);

  return value != NULL ? (guint) g_ascii_strtoull (value, NULL, 10) : fallback;
}

static void
test_load (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autofree char *log = NULL, *load_before = NULL, *load_after = NULL;
  g_autofree char *rp_id = NULL;
  Client activation[ACTIVATION_CLIENTS] = { { 0 } };
  Client rp[RP_CLIENTS] = { { 0 } };
  Client confirm[CONFIRM_CLIENTS] = { { 0 } };
  Channel channels[CONFIRM_CLIENTS] = { { 0 } };
  Client *clients[ACTIVATION_CLIENTS + RP_CLIENTS + CONFIRM_CLIENTS];
  Tally total = { { 0 } }, push = { { 0 } };
  guint seconds = MAX (env_uint ("CLAVE_LOAD_SECONDS", 60), 1);
  guint n_clients = 0, push_requests = 0, push_statuses = 0;
  gint64 rss_before, rss_peak, rss_after, started, next_sample;
  int fds_before, fds_after;
  double cpu_before, cpu_after, secs;
  GPid pid;
  Load load = { 0 };

  load.server = clave_test_server_start_with_flags (NULL, CLAVE_TEST_SERVER_LOG_TO_FILE, &error);
  g_assert_no_error (error);
  pid = clave_test_server_get_pid (load.server);
  load.authority = test_server_authority (load.server);
  load.port = (guint16) g_ascii_strtoull (strrchr (load.authority, ':') + 1, NULL, 10);
  load.ca_file = clave_test_server_get_ca_file (load.server);
  load.db_path = test_server_db_path (load.server);
  rp_id = test_add_rp (load.server, "Carga", "https://carga.example.es", &load.rp_key);
  seed_citizens (&load);

  /* The confirming citizens' devices, and their push channels. */
  session = test_session_new (load.server);
  tally_init (&push);
  for (guint i = 0; i < CONFIRM_CLIENTS; i++)
    {
      g_autofree char *phone = seeded_phone (i);

      confirm[i].document = seeded_document (i);
      confirm[i].device = test_mobile_device_activate (load.server, session, confirm[i].document,
                                                       "validity_date", VALIDITY, phone);
      open_channel (&channels[i], &load, session, confirm[i].device, &push);
    }
  g_atomic_int_set (&load.next_citizen, CONFIRM_CLIENTS);

  rss_before = rss_peak = load_proc_rss_kib (pid);
  fds_before = load_proc_fds (pid);
  cpu_before = load_proc_cpu_secs (pid);
  load_before = load_loadavg ();
  g_test_message ("%u s of load: %u activation, %u relying-party and %u confirming clients, "
                  "%u push channels; load average before: %s", seconds, ACTIVATION_CLIENTS,
                  RP_CLIENTS, CONFIRM_CLIENTS, CONFIRM_CLIENTS, load_before);

  started = g_get_monotonic_time ();
  load.deadline = started + (gint64) seconds * G_USEC_PER_SEC;
  for (guint i = 0; i < ACTIVATION_CLIENTS; i++)
    clients[n_clients++] = &activation[i];
  for (guint i = 0; i < RP_CLIENTS; i++)
    clients[n_clients++] = &rp[i];
  for (guint i = 0; i < CONFIRM_CLIENTS; i++)
    clients[n_clients++] = &confirm[i];
  for (guint i = 0; i < n_clients; i++)
    {
      clients[i]->load = &load;
      tally_init (&clients[i]->tally);
    }
  for (guint i = 0; i < ACTIVATION_CLIENTS; i++)
    activation[i].thread = g_thread_new ("activation", activation_client, &activation[i]);
  for (guint i = 0; i < RP_CLIENTS; i++)
    rp[i].thread = g_thread_new ("rp", rp_client, &rp[i]);
  for (guint i = 0; i < CONFIRM_CLIENTS; i++)
    confirm[i].thread = g_thread_new ("confirm", confirm_client, &confirm[i]);

  /* Push channels: events in, a new connection every two seconds. */
  next_sample = started;
  while (g_get_monotonic_time () < load.deadline)
    {
      gint64 now = g_get_monotonic_time ();

      test_iterate_once ();
      for (guint i = 0; i < CONFIRM_CLIENTS; i++)
        {
          drain_events (&channels[i], &push_requests, &push_statuses);
          if (now - channels[i].opened_at >= RECONNECT_US || channels[i].channel->closed)
            open_channel (&channels[i], &load, session, confirm[i].device, &push);
        }
      if (now >= next_sample)
        {
          rss_peak = MAX (rss_peak, load_proc_rss_kib (pid));
          next_sample = now + G_USEC_PER_SEC;
        }
    }

  for (guint i = 0; i < n_clients; i++)
    g_thread_join (clients[i]->thread);
  secs = (double) (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  cpu_after = load_proc_cpu_secs (pid);
  load_after = load_loadavg ();
  for (guint i = 0; i < CONFIRM_CLIENTS; i++)
    {
      drain_events (&channels[i], &push_requests, &push_statuses);
      g_clear_pointer (&channels[i].channel, test_push_channel_free);
    }
  g_clear_object (&session);

  /* Every connection is gone: give the service a moment to see it. */
  {
    gint64 settle = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

    while (g_get_monotonic_time () < settle)
      test_iterate_once ();
  }
  rss_after = load_proc_rss_kib (pid);
  fds_after = load_proc_fds (pid);

  tally_init (&total);
  for (guint i = 0; i < n_clients; i++)
    {
      for (guint k = 0; k < N_KINDS; k++)
        g_array_append_vals (total.latencies[k], clients[i]->tally.latencies[k]->data,
                             clients[i]->tally.latencies[k]->len);
      total.activations += clients[i]->tally.activations;
      total.errors += clients[i]->tally.errors;
      if (total.first_error == NULL && clients[i]->tally.first_error != NULL)
        total.first_error = g_strdup (clients[i]->tally.first_error);
    }
  g_array_append_vals (total.latencies[KIND_PUSH_CONNECT], push.latencies[KIND_PUSH_CONNECT]->data,
                       push.latencies[KIND_PUSH_CONNECT]->len);
  total.errors += push.errors;
  if (total.first_error == NULL && push.first_error != NULL)
    total.first_error = g_strdup (push.first_error);

  for (guint k = 0; k < N_KINDS; k++)
    report_kind (k, total.latencies[k], secs);
  g_test_message ("activations completed: %u (%.1f/s); push events received: %u requests, "
                  "%u statuses", total.activations, total.activations / secs, push_requests,
                  push_statuses);
  g_test_message ("service: RSS %" G_GINT64_FORMAT " KiB before, %" G_GINT64_FORMAT
                  " KiB at most, %" G_GINT64_FORMAT " KiB after; descriptors %d before, "
                  "%d after; CPU %.1f s (%.2f cores)", rss_before, rss_peak, rss_after,
                  fds_before, fds_after, cpu_after - cpu_before, (cpu_after - cpu_before) / secs);
  g_test_message ("errors: %u%s%s; load average before: %s, after: %s", total.errors,
                  total.first_error != NULL ? ", the first: " : "",
                  total.first_error != NULL ? total.first_error : "", load_before, load_after);

  log = clave_test_server_read_log (load.server);
  g_assert_cmpuint (total.errors, ==, 0);
  for (guint k = 0; k < N_KINDS; k++)
    g_assert_cmpuint (total.latencies[k]->len, >, 0);
  g_assert_cmpuint (push_statuses, >, 0);
  g_assert_null (strstr (log, "Internal error"));
  g_assert_null (strstr (log, "CRITICAL"));
  g_assert_cmpint (fds_after, <=, fds_before + FD_SLACK);

  for (guint i = 0; i < n_clients; i++)
    tally_clear (&clients[i]->tally);
  tally_clear (&total);
  tally_clear (&push);
  for (guint i = 0; i < CONFIRM_CLIENTS; i++)
    {
      g_free (confirm[i].document);
      test_mobile_device_free (confirm[i].device);
    }
  clave_test_server_stop (load.server);
  g_free (load.authority);
  g_free (load.db_path);
  g_free (load.rp_key);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/load/service", test_load);
  return g_test_run ();
}
