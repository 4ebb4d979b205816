/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clave-protocol.h"
#include "clave-sqlite-store.h"
#include "clave-test-files.h"
#include "server-test-util.h"
#include "store-suite.h"

/* The service's store at scale (issue 8), on a database of its own, no
 * server: relying parties and pending requests are found through
 * indexes however many rows there are (the work SQLite did for the
 * store's own statements is counted, and their query plans read), past
 * requests leave after the retention, and a device's answer and the
 * nonce of its signature are stored together or not at all, even when
 * the process dies between the two. */

#define LUCIA    "12345678Z"
#define DEVICE   "dev_lucia"
#define RP       "rp_aeat"
#define RP_HASH  "ffff000000000000000000000000000000000000000000000000000000000aea"
#define NOW      ((gint64) 1764400000)

typedef struct {
  char       *dir;
  char       *path;
  ClaveStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = g_bytes_new_static ("not a key, the store does not parse it", 38);
  ClaveIdentity identity = { .document = (char *) LUCIA, .type = CLAVE_DOCUMENT_TYPE_DNI,
                             .given_name = (char *) "Lucía", .surnames = (char *) "García",
                             .validity_date = (char *) "2031-05-04" };
  ClaveCitizen citizen = { .document = (char *) LUCIA, .phone = (char *) "+34600111789",
                           .email = (char *) "lucia@example.org", .level = (char *) "advanced",
                           .channel = (char *) "in_person", .created_at = NOW };
  ClaveActivationRecord activation = { .id = (char *) "act_1", .token_hash = (char *) "x",
                                       .document = (char *) LUCIA, .created_at = NOW,
                                       .expires_at = NOW + 900,
                                       .state = CLAVE_ACTIVATION_VERIFIED };
  ClaveDeviceRecord device = { .id = (char *) DEVICE, .document = (char *) LUCIA,
                               .public_key = key, .name = (char *) "test", .created_at = NOW };
  ClaveRelyingParty rp = { .id = (char *) RP, .name = (char *) "Agencia Tributaria",
                           .origin = (char *) "https://sede.agenciatributaria.gob.es",
                           .key_hash = (char *) RP_HASH, .created_at = NOW };

  fixture->dir = g_dir_make_tmp ("clave-test-store-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "clave.db", NULL);
  fixture->store = clave_sqlite_store_new (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (clave_sqlite_store_get_schema_version (CLAVE_SQLITE_STORE (fixture->store)),
                   ==, 13);

  g_assert_true (clave_store_put_identity (fixture->store, &identity, &error));
  g_assert_true (clave_store_put_citizen (fixture->store, &citizen, &error));
  g_assert_true (clave_store_create_activation (fixture->store, &activation, &error));
  g_assert_true (clave_store_register_device (fixture->store, "act_1", &device, &error));
  g_assert_true (clave_store_add_relying_party (fixture->store, &rp, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->store);
  clave_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

/* The store's cached statement whose SQL holds @fragment. */
static sqlite3_stmt *
find_statement (Fixture    *fixture,
                const char *fragment)
{
  sqlite3 *db = clave_sqlite_store_get_db (CLAVE_SQLITE_STORE (fixture->store));

  for (sqlite3_stmt *stmt = sqlite3_next_stmt (db, NULL); stmt != NULL;
       stmt = sqlite3_next_stmt (db, stmt))
    if (strstr (sqlite3_sql (stmt), fragment) != NULL)
      return stmt;
  g_error ("No statement with \"%s\"", fragment);
}

/* The query plan of @stmt, one line per step. */
static char *
query_plan (Fixture      *fixture,
            sqlite3_stmt *stmt)
{
  sqlite3 *db = clave_sqlite_store_get_db (CLAVE_SQLITE_STORE (fixture->store));
  g_autofree char *sql = g_strconcat ("EXPLAIN QUERY PLAN ", sqlite3_sql (stmt), NULL);
  g_autoptr(GString) plan = g_string_new (NULL);
  sqlite3_stmt *explain = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &explain, NULL), ==, SQLITE_OK);
  while (sqlite3_step (explain) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", sqlite3_column_text (explain, 3));
  sqlite3_finalize (explain);
  g_test_message ("%s\n%s", sqlite3_sql (stmt), plan->str);
  return g_string_free (g_steal_pointer (&plan), FALSE);
}

/* Asserts that @stmt reads a handful of rows, not the table: no step of
 * a full scan, and few virtual machine steps, since it was last reset
 * (the counters are then cleared). */
static void
assert_no_scan (sqlite3_stmt *stmt,
                int           max_steps)
{
  int fullscan = sqlite3_stmt_status (stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, TRUE);
  int steps = sqlite3_stmt_status (stmt, SQLITE_STMTSTATUS_VM_STEP, TRUE);

  g_test_message ("%d steps, %d of a full scan: %s", steps, fullscan, sqlite3_sql (stmt));
  g_assert_cmpint (fullscan, ==, 0);
  g_assert_cmpint (steps, <, max_steps);
}

#define BULK_RPS 20000

static void
test_relying_parties_by_index (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveRelyingParty) by_hash = NULL;
  g_autoptr(ClaveRelyingParty) by_id = NULL;
  g_autoptr(ClaveRelyingParty) unknown = NULL;
  g_autoptr(ClaveRelyingParty) demo = NULL;
  g_autoptr(ClaveRelyingParty) no_demo = NULL;
  g_autofree char *bulk = NULL;
  g_autofree char *plan = NULL;

  no_demo = clave_store_get_demo_relying_party (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_null (no_demo);

  /* Many relying parties, the demo website's among the last. */
  bulk = g_strdup_printf ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                          "                        WHERE i < %d)"
                          " INSERT INTO relying_parties (id, name, origin, key_hash, created_at,"
                          "                              demo)"
                          " SELECT printf ('rp_bulk%%06d', i), 'RP ' || i,"
                          "        'https://rp' || i || '.example.es',"
                          "        printf ('%%064x', i), %" G_GINT64_FORMAT " + i,"
                          "        i = %d FROM n",
                          BULK_RPS, NOW, BULK_RPS - 10);
  test_db_exec (fixture->path, bulk);

  by_hash = clave_store_get_relying_party_by_key_hash (fixture->store, RP_HASH, &error);
  g_assert_no_error (error);
  g_assert_nonnull (by_hash);
  g_assert_cmpstr (by_hash->id, ==, RP);
  g_assert_cmpstr (by_hash->key_hash, ==, RP_HASH);
  assert_no_scan (find_statement (fixture, "WHERE key_hash = ?1"), 50);
  plan = query_plan (fixture, find_statement (fixture, "WHERE key_hash = ?1"));
  g_assert_nonnull (strstr (plan, "USING INDEX"));
  g_assert_null (strstr (plan, "SCAN"));
  g_clear_pointer (&plan, g_free);

  unknown = clave_store_get_relying_party_by_key_hash (fixture->store, "ff", &error);
  g_assert_no_error (error);
  g_assert_null (unknown);

  by_id = clave_store_get_relying_party (fixture->store, "rp_bulk012345", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_id->name, ==, "RP 12345");
  assert_no_scan (find_statement (fixture, "WHERE id = ?1"), 50);

  demo = clave_store_get_demo_relying_party (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (demo);
  g_assert_cmpstr (demo->id, ==, "rp_bulk019990");
  g_assert_true (demo->demo);
  assert_no_scan (find_statement (fixture, "WHERE demo = 1"), 50);
  plan = query_plan (fixture, find_statement (fixture, "WHERE demo = 1"));
  g_assert_nonnull (strstr (plan, "relying_parties_demo"));
}

/* @n requests of Lucía, answered long ago (created from @created_at,
 * a second apart), straight into the database. */
static void
add_past_requests (Fixture *fixture,
                   guint    n,
                   gint64   created_at)
{
  g_autofree char *sql = NULL;

  sql = g_strdup_printf ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                         "                        WHERE i < %u)"
                         " INSERT INTO auth_requests (id, rp, type, status, citizen,"
                         "   verification_code, created_at, expires_at, answered_at, seq)"
                         " SELECT printf ('req_past%%07d', i), '" RP "', 'push',"
                         "   CASE i %% 3 WHEN 0 THEN 'expired' WHEN 1 THEN 'confirmed'"
                         "               ELSE 'rejected' END, '" LUCIA "', '123',"
                         "   %" G_GINT64_FORMAT " + i, %" G_GINT64_FORMAT " + i + 300,"
                         "   %" G_GINT64_FORMAT " + i + 5,"
                         "   (SELECT value FROM counters WHERE name = 'auth_request_seq') + i"
                         " FROM n;"
                         "UPDATE counters SET value = value + %u WHERE name = 'auth_request_seq';",
                         n, created_at, created_at, created_at, n);
  test_db_exec (fixture->path, sql);
}

static void
add_pending (Fixture    *fixture,
             const char *id,
             gint64      created_at)
{
  g_autoptr(GError) error = NULL;
  ClaveAuthRequestRecord record = { .id = (char *) id, .rp = (char *) RP,
                                    .type = (char *) CLAVE_REQUEST_TYPE_PUSH,
                                    .status = (char *) CLAVE_REQUEST_STATUS_PENDING,
                                    .citizen = (char *) LUCIA,
                                    .verification_code = (char *) "123",
                                    .created_at = created_at,
                                    .expires_at = created_at + 300 };

  g_assert_true (clave_store_create_auth_request (fixture->store, &record, NULL, NULL, NULL, NULL,
                                                  &error));
  g_assert_no_error (error);
}

#define PAST_REQUESTS 50000

static void
test_pending_by_index (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autofree char *plan = NULL;
  sqlite3_stmt *stmt;

  add_past_requests (fixture, PAST_REQUESTS, NOW - 100 * 24 * 60 * 60);
  add_pending (fixture, "req_now1", NOW);
  add_pending (fixture, "req_now2", NOW + 1);

  pending = clave_store_list_pending_auth_requests (fixture->store, LUCIA, NOW + 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 2);
  g_assert_cmpstr (((ClaveAuthRequestRecord *) g_ptr_array_index (pending, 0))->id, ==,
                   "req_now1");
  g_assert_cmpstr (((ClaveAuthRequestRecord *) g_ptr_array_index (pending, 1))->id, ==,
                   "req_now2");

  /* Two rows read, not fifty thousand; in the list's order already. */
  stmt = find_statement (fixture, "r.status = 'pending' AND r.expires_at > ?2");
  assert_no_scan (stmt, 200);
  plan = query_plan (fixture, stmt);
  g_assert_nonnull (strstr (plan, "auth_requests_citizen_pending"));
  g_assert_null (strstr (plan, "TEMP B-TREE"));
}

static guint
count_rows (Fixture    *fixture,
            const char *sql)
{
  sqlite3 *db = clave_sqlite_store_get_db (CLAVE_SQLITE_STORE (fixture->store));
  sqlite3_stmt *stmt = NULL;
  guint n;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = (guint) sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
test_retention_purge (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) history = NULL;
  gint64 retention = 180 * 24 * 60 * 60;
  gint64 now = NOW + 400 * 24 * 60 * 60;
  guint purged = 0, total = 0;

  /* 25 past their retention, 10 within it, and one pending now. */
  add_past_requests (fixture, 25, now - retention - 1000);
  test_db_exec (fixture->path,
            "UPDATE auth_requests SET id = 'old_' || id WHERE id LIKE 'req_past%'");
  add_past_requests (fixture, 10, now - retention + 10);
  add_pending (fixture, "req_now", now);

  /* A bounded number at a time, oldest first. */
  g_assert_true (clave_store_purge_auth_requests (fixture->store, now - retention, 10, &purged,
                                                  &error));
  g_assert_no_error (error);
  g_assert_cmpuint (purged, ==, 10);
  g_assert_cmpuint (count_rows (fixture, "SELECT COUNT(*) FROM auth_requests"
                                         " WHERE id LIKE 'old_%'"), ==, 15);
  g_assert_cmpuint (count_rows (fixture, "SELECT MIN(created_at) FROM auth_requests"),
                    ==, now - retention - 1000 + 11);
  do
    {
      g_assert_true (clave_store_purge_auth_requests (fixture->store, now - retention, 10,
                                                      &purged, &error));
      total += purged;
    }
  while (purged > 0);
  g_assert_cmpuint (total, ==, 15);
  g_assert_cmpuint (count_rows (fixture, "SELECT COUNT(*) FROM auth_requests"), ==, 11);

  /* Nothing due: a read, no write. */
  g_assert_true (clave_store_purge_auth_requests (fixture->store, now - retention, 10, &purged,
                                                  &error));
  g_assert_cmpuint (purged, ==, 0);

  /* What is left is the history; seq numbers are never given again. */
  history = clave_store_list_history (fixture->store, LUCIA, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 11);
  g_assert_cmpint (((ClaveAuthRequestRecord *) g_ptr_array_index (history, 0))->seq, >, 25);
  g_assert_cmpstr (((ClaveAuthRequestRecord *) g_ptr_array_index (history, 10))->id, ==,
                   "req_now");
}

/* Answers ----------------------------------------------------------------- */

static ClaveAuthAnswer
answer_for (const char *request_id,
            const char *nonce)
{
  ClaveAuthAnswer answer = { .request_id = request_id,
                             .status = CLAVE_REQUEST_STATUS_CONFIRMED,
                             .citizen = LUCIA, .device_id = DEVICE, .nonce = nonce,
                             .now = NOW + 10 };
  return answer;
}

static gboolean
nonce_used (Fixture    *fixture,
            const char *nonce)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM nonces WHERE nonce = '%s'", nonce);
  return count_rows (fixture, sql) > 0;
}

static const char *
status_of (Fixture    *fixture,
           const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveAuthRequestRecord) record = clave_store_get_auth_request (fixture->store, id,
                                                                           &error);

  g_assert_no_error (error);
  g_assert_nonnull (record);
  return g_intern_string (record->status);
}

static void
test_answers (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ClaveAuthAnswer answers[4];

  add_pending (fixture, "req_a", NOW);
  add_pending (fixture, "req_b", NOW);
  add_pending (fixture, "req_c", NOW);

  /* One transaction: a confirmation, a replay of its nonce, an answer to
   * a request answered in the same batch, and a refused answer that
   * only spends its nonce. */
  answers[0] = answer_for ("req_a", "n1");
  answers[1] = answer_for ("req_b", "n1");
  answers[2] = answer_for ("req_a", "n2");
  answers[3] = answer_for (NULL, "n3");
  g_assert_true (clave_store_answer_auth_requests (fixture->store, answers, 4, &error));
  g_assert_no_error (error);
  g_assert_cmpint (answers[0].result, ==, CLAVE_AUTH_ANSWER_DONE);
  g_assert_cmpint (answers[1].result, ==, CLAVE_AUTH_ANSWER_REPLAYED);
  g_assert_cmpint (answers[2].result, ==, CLAVE_AUTH_ANSWER_NOT_PENDING);
  g_assert_cmpint (answers[3].result, ==, CLAVE_AUTH_ANSWER_DONE);

  g_assert_cmpstr (status_of (fixture, "req_a"), ==, CLAVE_REQUEST_STATUS_CONFIRMED);
  g_assert_cmpstr (status_of (fixture, "req_b"), ==, CLAVE_REQUEST_STATUS_PENDING);
  g_assert_true (nonce_used (fixture, "n1"));
  g_assert_true (nonce_used (fixture, "n2"));
  g_assert_true (nonce_used (fixture, "n3"));

  /* One answer the database refuses (here a trigger) does not take the
   * others with it, and leaves no nonce of its own. */
  test_db_exec (fixture->path,
            "CREATE TRIGGER refuse BEFORE UPDATE OF status ON auth_requests"
            " WHEN NEW.id = 'req_b' BEGIN SELECT RAISE (ABORT, 'refused'); END");
  answers[0] = answer_for ("req_b", "n4");
  answers[1] = answer_for ("req_c", "n5");
  g_assert_true (clave_store_answer_auth_requests (fixture->store, answers, 2, &error));
  g_assert_cmpint (answers[0].result, ==, CLAVE_AUTH_ANSWER_FAILED);
  g_assert_error (answers[0].error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED);
  g_assert_nonnull (strstr (answers[0].error->message, "refused"));
  g_clear_error (&answers[0].error);
  g_assert_null (answers[1].error);
  g_assert_cmpint (answers[1].result, ==, CLAVE_AUTH_ANSWER_DONE);
  g_assert_false (nonce_used (fixture, "n4"));
  g_assert_true (nonce_used (fixture, "n5"));
  g_assert_cmpstr (status_of (fixture, "req_b"), ==, CLAVE_REQUEST_STATUS_PENDING);
  g_assert_cmpstr (status_of (fixture, "req_c"), ==, CLAVE_REQUEST_STATUS_CONFIRMED);
}

/* A device deactivated after its signature was checked, before its
 * answer's transaction (a stolen device, just replaced by its owner),
 * answers nothing: the request stays pending and the nonce unspent. */
static void
test_answer_device_gone (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ClaveAuthAnswer answer = answer_for ("req_a", "n_gone");

  add_pending (fixture, "req_a", NOW);
  g_assert_true (clave_store_deactivate_device (fixture->store, DEVICE, NOW + 5, &error));
  g_assert_no_error (error);

  g_assert_true (clave_store_answer_auth_requests (fixture->store, &answer, 1, &error));
  g_assert_no_error (error);
  g_assert_null (answer.error);
  g_assert_cmpint (answer.result, ==, CLAVE_AUTH_ANSWER_DEVICE_GONE);
  g_assert_cmpstr (status_of (fixture, "req_a"), ==, CLAVE_REQUEST_STATUS_PENDING);
  g_assert_false (nonce_used (fixture, "n_gone"));
}

/* The process dies (_exit, from a SQL function a trigger calls) in the
 * middle of the answer's transaction: after the nonce is written, or
 * after the answer is. Whoever opens the database next finds neither. */
#define CRASH_STATUS 42

static void
crash_now (sqlite3_context *context,
           int              argc,
           sqlite3_value  **argv)
{
  _exit (CRASH_STATUS);
}

static int
crash_extension (sqlite3                     *db,
                 char                       **error,
                 const sqlite3_api_routines  *api)
{
  return sqlite3_create_function (db, "test_crash", 0, SQLITE_UTF8, NULL, crash_now, NULL, NULL);
}

static void
answer_and_crash (const char *path,
                  const char *trigger)
{
  g_autofree char *create = g_strdup_printf ("CREATE TRIGGER crash %s BEGIN SELECT test_crash ();"
                                             " END", trigger);
  int status = 0;
  pid_t pid;

  test_db_exec (path, create);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      g_autoptr(ClaveStore) store = NULL;
      ClaveAuthAnswer answer = answer_for ("req_crash", "n_crash");

      sqlite3_auto_extension ((void (*) (void)) crash_extension);
      store = clave_sqlite_store_new (path, NULL);
      if (store == NULL)
        _exit (1);
      clave_store_answer_auth_requests (store, &answer, 1, NULL);
      /* Not reached when the trigger fires. */
      _exit (0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, CRASH_STATUS);
  test_db_exec (path, "DROP TRIGGER crash");
}

static void
test_answer_crash (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveStore) reopened = NULL;
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  ClaveAuthAnswer answer = answer_for ("req_crash", "n_crash");
  const char *const triggers[] = {
    "AFTER INSERT ON nonces",                    /* nonce written, answer not yet */
    "AFTER UPDATE OF status ON auth_requests",   /* both written, not committed */
  };

  add_pending (fixture, "req_crash", NOW);
  /* The child opens the file anew: nothing of ours may be cached. */
  g_clear_object (&fixture->store);

  for (guint i = 0; i < G_N_ELEMENTS (triggers); i++)
    {
      g_test_message ("crash %s", triggers[i]);
      answer_and_crash (fixture->path, triggers[i]);

      fixture->store = clave_sqlite_store_new (fixture->path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (status_of (fixture, "req_crash"), ==, CLAVE_REQUEST_STATUS_PENDING);
      g_assert_false (nonce_used (fixture, "n_crash"));
      g_clear_object (&fixture->store);
    }

  /* Without a crash, both, once. */
  reopened = clave_sqlite_store_new (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_true (clave_store_answer_auth_requests (reopened, &answer, 1, &error));
  g_assert_cmpint (answer.result, ==, CLAVE_AUTH_ANSWER_DONE);
  record = clave_store_get_auth_request (reopened, "req_crash", &error);
  g_assert_cmpstr (record->status, ==, CLAVE_REQUEST_STATUS_CONFIRMED);
  g_assert_cmpint (record->answered_at, ==, NOW + 10);
  fixture->store = g_steal_pointer (&reopened);
  g_assert_true (nonce_used (fixture, "n_crash"));
}

/* Migrations (issue 10): a database of each older schema version, with
 * the rows an older clave-server wrote, opens with this one: migrated to
 * the latest version, its data still read through the store. */

static void
exec_sql (sqlite3    *db,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static char *
query_text (sqlite3    *db,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

/* The rows of a citizen with a device, as a clave-server of schema
 * @version wrote them. */
static void
write_old_rows (sqlite3 *db,
                guint    version)
{
  exec_sql (db, "INSERT INTO identities (document, type, given_name, surnames, validity_date)"
                " VALUES ('12345678Z', 'dni', 'Lucía', 'García Pérez', '2031-05-04')");
  exec_sql (db, "INSERT INTO citizens (document, phone, email, level, channel, created_at)"
                " VALUES ('12345678Z', '+34600111789', 'lucia@example.org', 'advanced',"
                " 'in_person', 1000)");
  exec_sql (db, "INSERT INTO devices (id, citizen, public_key, name, created_at)"
                " VALUES ('dev_old', '12345678Z', X'3059', 'old laptop', 1000)");
  exec_sql (db, "INSERT INTO nonces (device, nonce, created_at) VALUES ('dev_old', 'n1', 1000)");
  exec_sql (db, "INSERT INTO sms_outbox (phone, body, created_at)"
                " VALUES ('+34600111789', 'Su código Cl@ve es 123456. No lo comparta.', 1000)");
  exec_sql (db, version < 5 ? "INSERT INTO identify_failures (document, address, created_at)"
                              " VALUES ('12345678Z', '192.0.2.7', 1000)"
                            : "INSERT INTO identify_failures (document, source, created_at)"
                              " VALUES ('12345678Z', '192.0.2.7', 1000)");
  if (version >= 4)
    {
      exec_sql (db, "INSERT INTO relying_parties (id, name, origin, key_hash, created_at)"
                    " VALUES ('rp_old', 'Agencia Tributaria',"
                    " 'https://sede.agenciatributaria.gob.es', 'hash_old', 1000)");
      exec_sql (db, "INSERT INTO auth_requests (id, rp, type, status, citizen,"
                    " verification_code, created_at, expires_at, seq)"
                    " VALUES ('req_old', 'rp_old', 'push', 'pending', '12345678Z', '123',"
                    " 1000, 1300, 1)");
    }
}

static void
test_migrations (void)
{
  guint latest = _clave_sqlite_store_get_latest_version ();

  g_assert_cmpuint (latest, >=, 6);
  for (guint version = 1; version < latest; version++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_dir_make_tmp ("clave-test-migrate-XXXXXX", &error);
      g_autofree char *path = g_build_filename (dir, "clave.db", NULL);
      g_autoptr(ClaveStore) old = NULL;
      g_autoptr(ClaveStore) store = NULL;
      g_autoptr(ClaveDeviceRecord) device = NULL;
      g_autoptr(ClaveIdentity) identity = NULL;
      g_autofree char *body = NULL;
      g_autofree char *source = NULL;
      g_autofree char *index = NULL;
      gint64 given_up_at = -1;
      sqlite3 *db;

      g_test_message ("from schema version %u", version);
      g_assert_no_error (error);
      old = _clave_sqlite_store_new_at_version (path, version, &error);
      g_assert_no_error (error);
      g_assert_cmpint (clave_sqlite_store_get_schema_version (CLAVE_SQLITE_STORE (old)), ==,
                       (int) version);
      write_old_rows (clave_sqlite_store_get_db (CLAVE_SQLITE_STORE (old)), version);
      g_clear_object (&old);

      store = clave_sqlite_store_new (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (clave_sqlite_store_get_schema_version (CLAVE_SQLITE_STORE (store)), ==,
                       (int) latest);
      db = clave_sqlite_store_get_db (CLAVE_SQLITE_STORE (store));

      identity = clave_store_get_identity (store, "12345678Z", &error);
      g_assert_no_error (error);
      g_assert_nonnull (identity);
      g_assert_cmpstr (identity->surnames, ==, "García Pérez");
      device = clave_store_get_device (store, "dev_old", &error);
      g_assert_no_error (error);
      g_assert_nonnull (device);
      g_assert_cmpstr (device->document, ==, "12345678Z");
      g_assert_cmpuint (g_bytes_get_size (device->public_key), ==, 2);
      g_assert_cmpint (device->deactivated_at, ==, 0);

      /* 2 redacts the codes of the messages it finds. */
      body = query_text (db, "SELECT body FROM sms_outbox");
      g_assert_cmpstr (body, ==, version < 2 ? "Su código Cl@ve es ••••••. No lo comparta."
                                             : "Su código Cl@ve es 123456. No lo comparta.");
      /* 5 renames a failure's address to its source. */
      source = query_text (db, "SELECT source FROM identify_failures");
      g_assert_cmpstr (source, ==, "192.0.2.7");
      /* 6's indexes are there whatever the version migrated from. */
      index = query_text (db, "SELECT name FROM sqlite_master"
                              " WHERE name = 'auth_requests_citizen_pending'");
      g_assert_cmpstr (index, ==, "auth_requests_citizen_pending");
      /* 7 can record that a person gave up Cl@ve, whatever the version
       * migrated from; the citizen of the old rows has not. */
      g_assert_true (clave_store_get_given_up (store, "12345678Z", &given_up_at, &error));
      g_assert_no_error (error);
      g_assert_cmpint (given_up_at, ==, 0);
      if (version >= 4)
        {
          g_autoptr(ClaveAuthRequestRecord) request = NULL;

          request = clave_store_get_auth_request (store, "req_old", &error);
          g_assert_no_error (error);
          g_assert_nonnull (request);
          g_assert_cmpstr (request->status, ==, "pending");
          g_assert_cmpstr (request->citizen, ==, "12345678Z");
        }

      g_clear_object (&store);
      clave_test_remove_tree (dir);
    }
}

static ClaveStore *
new_sqlite_store (const char  *dir,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (dir, "clave.db", NULL);

  return clave_sqlite_store_new (path, error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/store/relying-parties-by-index", test_relying_parties_by_index);
  ADD ("/store/pending-by-index", test_pending_by_index);
  ADD ("/store/retention-purge", test_retention_purge);
  ADD ("/store/answers", test_answers);
  ADD ("/store/answer-device-gone", test_answer_device_gone);
  ADD ("/store/answer-crash", test_answer_crash);
#undef ADD
  g_test_add_func ("/store/migrations", test_migrations);
  /* What any ClaveStore must do (store-suite.c), on SQLite. */
  store_suite_add ("/store/sqlite", new_sqlite_store);

  return g_test_run ();
}
