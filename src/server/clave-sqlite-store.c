/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-limits.h"
#include "clave-sqlite-store.h"

struct _ClaveSqliteStore
{
  GObject     parent_instance;

  sqlite3    *db;
  char       *path;
  /* SQL text -> sqlite3_stmt*, prepared once and reused. */
  GHashTable *statements;
  int         schema_version;
  /* Busy waiting (busy_wait()): the write generation last seen, and when
   * the current wait began. */
  guint       seen_generation;
  gint64      busy_since;
};

/* The service writes through two connections, the main loop's and the
 * answer queue's (clave-answer-queue.c), so one often waits for the
 * other's commit. SQLite's own busy handler sleeps 1, 2, 5, 10… ms
 * between tries, which would stall the main loop for longer than the
 * commit it waits for: instead, every write transaction of this process
 * bumps this generation when it ends, and a waiting connection tries
 * again as soon as it changes (and every millisecond anyway, for other
 * processes such as clave-admin). */
static GMutex write_mutex;
static GCond  write_cond;
static guint  write_generation;

#define BUSY_TIMEOUT_USEC  (5 * G_USEC_PER_SEC)
#define BUSY_POLL_USEC     1000

static void clave_sqlite_store_iface_init (ClaveStoreInterface *iface);

static void
finalize_statement (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

G_DEFINE_FINAL_TYPE_WITH_CODE (ClaveSqliteStore, clave_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CLAVE_TYPE_STORE,
                                                      clave_sqlite_store_iface_init))

/* Each entry is one migration, applied in its own transaction together
 * with the bump of PRAGMA user_version. Never edit an entry once shipped:
 * add a new one. */
static const char * const migrations[] = {
  /* 1: the initial schema. */
  "CREATE TABLE identities ("
  "  document       TEXT PRIMARY KEY,"
  "  type           TEXT NOT NULL CHECK (type IN ('dni', 'nie')),"
  "  given_name     TEXT NOT NULL,"
  "  surnames       TEXT NOT NULL,"
  "  validity_date  TEXT,"
  "  issue_date     TEXT,"
  "  permanent      INTEGER NOT NULL DEFAULT 0,"
  "  support_number TEXT"
  ");"
  "CREATE TABLE citizens ("
  "  document   TEXT PRIMARY KEY REFERENCES identities (document) ON DELETE CASCADE,"
  "  phone      TEXT NOT NULL UNIQUE,"
  "  email      TEXT NOT NULL,"
  "  level      TEXT NOT NULL,"
  "  channel    TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE activations ("
  "  id              TEXT PRIMARY KEY,"
  "  token_hash      TEXT NOT NULL,"
  "  citizen         TEXT NOT NULL REFERENCES citizens (document) ON DELETE CASCADE,"
  "  created_at      INTEGER NOT NULL,"
  "  expires_at      INTEGER NOT NULL,"
  "  state           TEXT NOT NULL,"
  "  code_hmac       TEXT,"
  "  code_expires_at INTEGER NOT NULL DEFAULT 0,"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  sends           INTEGER NOT NULL DEFAULT 0,"
  "  last_sent_at    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX activations_expires_at ON activations (expires_at);"
  "CREATE TABLE devices ("
  "  id             TEXT PRIMARY KEY,"
  "  citizen        TEXT NOT NULL REFERENCES citizens (document) ON DELETE CASCADE,"
  "  public_key     BLOB,"
  "  name           TEXT NOT NULL,"
  "  created_at     INTEGER NOT NULL,"
  "  deactivated_at INTEGER"
  ");"
  "CREATE INDEX devices_citizen ON devices (citizen);"
  "CREATE TABLE nonces ("
  "  device     TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  nonce      TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  PRIMARY KEY (device, nonce)"
  ") WITHOUT ROWID;"
  "CREATE INDEX nonces_created_at ON nonces (created_at);"
  "CREATE TABLE sms_outbox ("
  "  id         INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  phone      TEXT NOT NULL,"
  "  body       TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  status     TEXT NOT NULL DEFAULT 'queued'"
  ");"
  "CREATE TABLE identify_failures ("
  "  id         INTEGER PRIMARY KEY,"
  "  document   TEXT NOT NULL,"
  "  address    TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX identify_failures_document ON identify_failures (document, created_at);"
  "CREATE INDEX identify_failures_address ON identify_failures (address, created_at);",

  /* 2: per-citizen limits over all activations, and outbox bodies that
   * lose their code once it cannot be used. A message keeps its code in
   * body while redacted_body is not NULL. Messages written before this
   * migration are redacted at once (their code sits after " es "). */
  "ALTER TABLE sms_outbox ADD COLUMN citizen TEXT;"
  "ALTER TABLE sms_outbox ADD COLUMN activation TEXT;"
  "ALTER TABLE sms_outbox ADD COLUMN code_expires_at INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE sms_outbox ADD COLUMN redacted_body TEXT;"
  "UPDATE sms_outbox SET body = substr (body, 1, instr (body, ' es ') + 3) || '••••••'"
  "                             || substr (body, instr (body, ' es ') + 10)"
  " WHERE instr (body, ' es ') > 0;"
  "CREATE INDEX sms_outbox_citizen ON sms_outbox (citizen, created_at);"
  "CREATE INDEX sms_outbox_unredacted_activation ON sms_outbox (activation)"
  " WHERE redacted_body IS NOT NULL;"
  "CREATE INDEX sms_outbox_unredacted_expiry ON sms_outbox (code_expires_at)"
  " WHERE redacted_body IS NOT NULL;"
  "CREATE TABLE wrong_codes ("
  "  id         INTEGER PRIMARY KEY,"
  "  citizen    TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX wrong_codes_citizen ON wrong_codes (citizen, created_at);"
  "CREATE INDEX wrong_codes_created_at ON wrong_codes (created_at);",

  /* 3: certificate proofs and registrations with a certificate. A
   * registration's SMS codes go through the same outbox and limits as an
   * activation's: sms_outbox.activation holds the registration id
   * ("reg_…") and sms_outbox.citizen / wrong_codes.citizen its document
   * (the person, registered or about to be). */
  "CREATE TABLE challenges ("
  "  id         TEXT PRIMARY KEY,"
  "  challenge  TEXT NOT NULL,"
  "  address    TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  used       INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX challenges_address ON challenges (address, created_at);"
  "CREATE INDEX challenges_expires_at ON challenges (expires_at);"
  "CREATE TABLE registrations ("
  "  id              TEXT PRIMARY KEY,"
  "  token_hash      TEXT NOT NULL,"
  "  document        TEXT NOT NULL REFERENCES identities (document) ON DELETE CASCADE,"
  "  phone           TEXT NOT NULL,"
  "  email           TEXT NOT NULL,"
  "  channel         TEXT NOT NULL,"
  "  created_at      INTEGER NOT NULL,"
  "  expires_at      INTEGER NOT NULL,"
  "  state           TEXT NOT NULL,"
  "  code_hmac       TEXT,"
  "  code_expires_at INTEGER NOT NULL DEFAULT 0,"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  sends           INTEGER NOT NULL DEFAULT 0,"
  "  last_sent_at    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX registrations_document ON registrations (document, state);"
  "CREATE INDEX registrations_expires_at ON registrations (expires_at);",

  /* 4: Cl@ve Móvil. seq orders a citizen's history: every change of a
   * request takes the next value of the counter, so incremental sync sees
   * status changes too. */
  "CREATE TABLE relying_parties ("
  "  id         TEXT PRIMARY KEY,"
  "  name       TEXT NOT NULL,"
  "  origin     TEXT NOT NULL,"
  "  key_hash   TEXT NOT NULL UNIQUE,"
  "  created_at INTEGER NOT NULL,"
  "  demo       INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE TABLE auth_requests ("
  "  id                TEXT PRIMARY KEY,"
  "  rp                TEXT NOT NULL REFERENCES relying_parties (id) ON DELETE CASCADE,"
  "  type              TEXT NOT NULL,"
  "  status            TEXT NOT NULL,"
  "  citizen           TEXT REFERENCES citizens (document) ON DELETE CASCADE,"
  "  device            TEXT,"
  "  verification_code TEXT NOT NULL,"
  "  pin_hmac          TEXT,"
  "  pin_attempts      INTEGER NOT NULL DEFAULT 0,"
  "  created_at        INTEGER NOT NULL,"
  "  expires_at        INTEGER NOT NULL,"
  "  answered_at       INTEGER,"
  "  seq               INTEGER NOT NULL"
  ");"
  "CREATE INDEX auth_requests_citizen_seq ON auth_requests (citizen, seq);"
  "CREATE INDEX auth_requests_pending ON auth_requests (expires_at) WHERE status = 'pending';"
  "CREATE TABLE counters ("
  "  name  TEXT PRIMARY KEY,"
  "  value INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "INSERT INTO counters (name, value) VALUES ('auth_request_seq', 0);"
  "ALTER TABLE devices ADD COLUMN push_key BLOB;",

  /* 5: identification limits per source (docs/security.md
   * "Identification limits"). A failure's source is a client address (an
   * IPv6 one by its /64) or "rp:<id>" for a relying party; failures stay
   * a day, for the per-document backstop (the index on the renamed
   * column keeps its old name). known_sources: where a person identified
   * with the right contrast data or connected their device from, keyed by
   * an HMAC of document and source under the service's secret, so that
   * no address is kept in clear for the 30 days a row lives. */
  "ALTER TABLE identify_failures RENAME COLUMN address TO source;"
  "CREATE TABLE known_sources ("
  "  key       TEXT PRIMARY KEY,"
  "  last_seen INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE INDEX known_sources_last_seen ON known_sources (last_seen);",

  /* 6: speed at scale (issue 8). A citizen's pending requests are read
   * without going through their past ones (a partial index holds only
   * pending rows, in the order of the list); past requests leave by
   * their creation time after the retention (--request-retention-days);
   * the demo website's relying party is found without reading the
   * others. Relying parties by id and by key hash already have the
   * unique indexes of their constraints. */
  "CREATE INDEX auth_requests_citizen_pending ON auth_requests (citizen, created_at, seq)"
  " WHERE status = 'pending';"
  "CREATE INDEX auth_requests_created_at ON auth_requests (created_at);"
  "CREATE INDEX relying_parties_demo ON relying_parties (created_at, id) WHERE demo = 1;",
};

/* The SQL that differs between the two owners of SMS codes (the statement
 * cache is keyed by the text, so each must be a literal). */
typedef struct {
  const char *store_code;
  const char *queue_sms;
  const char *count_attempt;
  const char *count_wrong_code;
} FlowSql;

static const FlowSql flow_sql[] = {
  [CLAVE_CODE_FLOW_ACTIVATION] = {
    .store_code =
      "UPDATE activations SET code_hmac = ?2, code_expires_at = ?3,"
      "  sends = sends + 1, last_sent_at = ?4"
      " WHERE id = ?1",
    /* The code dies with its activation if that comes first. */
    .queue_sms =
      "INSERT INTO sms_outbox (phone, body, created_at, status, citizen, activation,"
      "                        code_expires_at, redacted_body)"
      " SELECT ?1, ?2, ?3, 'queued', citizen, id, MIN (?5, expires_at), ?6"
      " FROM activations WHERE id = ?4",
    .count_attempt =
      "UPDATE activations SET attempts = attempts + 1,"
      "  state = CASE WHEN attempts + 1 >= ?2 THEN 'locked' ELSE state END"
      " WHERE id = ?1 RETURNING attempts",
    .count_wrong_code =
      "INSERT INTO wrong_codes (citizen, created_at)"
      " SELECT citizen, ?2 FROM activations WHERE id = ?1",
  },
  [CLAVE_CODE_FLOW_REGISTRATION] = {
    .store_code =
      "UPDATE registrations SET code_hmac = ?2, code_expires_at = ?3,"
      "  sends = sends + 1, last_sent_at = ?4"
      " WHERE id = ?1",
    .queue_sms =
      "INSERT INTO sms_outbox (phone, body, created_at, status, citizen, activation,"
      "                        code_expires_at, redacted_body)"
      " SELECT ?1, ?2, ?3, 'queued', document, id, MIN (?5, expires_at), ?6"
      " FROM registrations WHERE id = ?4",
    .count_attempt =
      "UPDATE registrations SET attempts = attempts + 1,"
      "  state = CASE WHEN attempts + 1 >= ?2 THEN 'locked' ELSE state END"
      " WHERE id = ?1 RETURNING attempts",
    .count_wrong_code =
      "INSERT INTO wrong_codes (citizen, created_at)"
      " SELECT document, ?2 FROM registrations WHERE id = ?1",
  },
};

/* A write transaction of this process ended (committed, rolled back, or
 * a statement outside a transaction finished). */
static void
write_ended (ClaveSqliteStore *self)
{
  if (self->db == NULL || !sqlite3_get_autocommit (self->db))
    return;
  g_mutex_lock (&write_mutex);
  g_atomic_int_inc (&write_generation);
  g_cond_broadcast (&write_cond);
  g_mutex_unlock (&write_mutex);
}

/* Before a statement that may wait for the write lock. */
static void
note_generation (ClaveSqliteStore *self)
{
  self->seen_generation = g_atomic_int_get (&write_generation);
}

static int
busy_wait (void *data,
           int   count)
{
  ClaveSqliteStore *self = data;
  gint64 now = g_get_monotonic_time ();

  if (count == 0)
    self->busy_since = now;
  if (now - self->busy_since >= BUSY_TIMEOUT_USEC)
    return 0;

  g_mutex_lock (&write_mutex);
  while ((guint) g_atomic_int_get (&write_generation) == self->seen_generation &&
         g_cond_wait_until (&write_cond, &write_mutex, now + BUSY_POLL_USEC))
    ;
  self->seen_generation = g_atomic_int_get (&write_generation);
  g_mutex_unlock (&write_mutex);
  return 1;
}

static gboolean
set_db_error (ClaveSqliteStore  *self,
              GError           **error,
              const char        *what)
{
  int code = sqlite3_extended_errcode (self->db);
  int domain_code = CLAVE_STORE_ERROR_FAILED;

  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    domain_code = CLAVE_STORE_ERROR_CONFLICT;
  else if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
    domain_code = CLAVE_STORE_ERROR_NOT_FOUND;

  g_set_error (error, CLAVE_STORE_ERROR, domain_code,
               "%s: %s", what, sqlite3_errmsg (self->db));
  return FALSE;
}

static gboolean
exec (ClaveSqliteStore  *self,
      const char        *sql,
      GError           **error)
{
  char *message = NULL;

  if (self->db == NULL)
    {
      g_set_error_literal (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED,
                           "The store is closed");
      return FALSE;
    }

  note_generation (self);
  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED,
                   "%s", message != NULL ? message : sqlite3_errmsg (self->db));
      sqlite3_free (message);
      write_ended (self);
      return FALSE;
    }
  write_ended (self);
  return TRUE;
}

static sqlite3_stmt *
prepare (ClaveSqliteStore  *self,
         const char        *sql,
         GError           **error)
{
  sqlite3_stmt *stmt;

  if (self->db == NULL)
    {
      g_set_error_literal (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED,
                           "The store is closed");
      return NULL;
    }

  note_generation (self);
  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      set_db_error (self, error, "prepare");
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           index)
{
  const unsigned char *text = sqlite3_column_text (stmt, index);
  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

/* Runs a statement that returns no rows; the statement is reset after. */
static gboolean
step_done (ClaveSqliteStore  *self,
           sqlite3_stmt      *stmt,
           const char        *what,
           GError           **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      set_db_error (self, error, what);
      sqlite3_reset (stmt);
      write_ended (self);
      return FALSE;
    }
  sqlite3_reset (stmt);
  write_ended (self);
  return TRUE;
}

/* Whether @sql, a query with ?1 = @value, finds a row. */
static gboolean
any_row (ClaveSqliteStore  *self,
         const char        *sql,
         gint64             value,
         gboolean          *found,
         GError           **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, value);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (self, error, "look up");
  *found = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
begin (ClaveSqliteStore  *self,
       GError           **error)
{
  /* IMMEDIATE takes the write lock up front, so two processes never both
   * read and then fail to upgrade (busy_timeout handles the waiting). */
  return exec (self, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (ClaveSqliteStore  *self,
        GError           **error)
{
  if (!exec (self, "COMMIT", error))
    {
      exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
rollback (ClaveSqliteStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    exec (self, "ROLLBACK", NULL);
  return FALSE;
}

static int
read_user_version (ClaveSqliteStore  *self,
                   GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
    {
      set_db_error (self, error, "user_version");
      return -1;
    }
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  else
    set_db_error (self, error, "user_version");
  sqlite3_finalize (stmt);
  return version;
}

/* Brings the schema to @target (the newest: G_N_ELEMENTS (migrations)). */
static gboolean
migrate (ClaveSqliteStore  *self,
         guint              target,
         GError           **error)
{
  int current = read_user_version (self, error);

  if (current < 0)
    return FALSE;
  if (current == (int) G_N_ELEMENTS (migrations))
    {
      self->schema_version = current;
      return TRUE;
    }

  for (guint i = 0; i < target; i++)
    {
      g_autofree char *bump = NULL;
      int version;

      if (!begin (self, error))
        return FALSE;

      /* Read inside the write transaction: another process may have
       * migrated while we waited for the lock. */
      version = read_user_version (self, error);
      if (version < 0)
        return rollback (self);
      if (version > (int) G_N_ELEMENTS (migrations))
        {
          g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED,
                       "The database %s has schema version %d, newer than this program knows (%u)",
                       self->path, version, (guint) G_N_ELEMENTS (migrations));
          return rollback (self);
        }
      if (version > (int) i)
        {
          exec (self, "COMMIT", NULL);
          continue;
        }

      g_debug ("Migrating %s to schema version %u", self->path, i + 1);
      bump = g_strdup_printf ("PRAGMA user_version = %u", i + 1);
      if (!exec (self, migrations[i], error) || !exec (self, bump, error))
        return rollback (self);
      if (!commit (self, error))
        return FALSE;
    }

  self->schema_version = read_user_version (self, error);
  return self->schema_version >= 0;
}

static gboolean
open_database (ClaveSqliteStore  *self,
               guint              target,
               GError           **error)
{
  int rc = sqlite3_open_v2 (self->path, &self->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                            NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED,
                   "Cannot open %s: %s", self->path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return FALSE;
    }

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_handler (self->db, busy_wait, self);

  /* synchronous=FULL: a write the service acknowledged survives a power
   * cut, not only a crash. */
  /* secure_delete: a redacted SMS code is overwritten in the file, not
   * only unlinked from the row. */
  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      !exec (self, "PRAGMA synchronous = FULL", error) ||
      !exec (self, "PRAGMA foreign_keys = ON", error) ||
      !exec (self, "PRAGMA secure_delete = ON", error))
    return FALSE;

  return migrate (self, target, error);
}

ClaveStore *
clave_sqlite_store_new (const char  *path,
                        GError     **error)
{
  g_autoptr(ClaveSqliteStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (CLAVE_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  if (!open_database (self, G_N_ELEMENTS (migrations), error))
    return NULL;

  return CLAVE_STORE (g_steal_pointer (&self));
}

ClaveStore *
_clave_sqlite_store_new_at_version (const char  *path,
                                    guint        version,
                                    GError     **error)
{
  g_autoptr(ClaveSqliteStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (version >= 1 && version <= G_N_ELEMENTS (migrations), NULL);

  self = g_object_new (CLAVE_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  if (!open_database (self, version, error))
    return NULL;

  return CLAVE_STORE (g_steal_pointer (&self));
}

guint
_clave_sqlite_store_get_latest_version (void)
{
  return G_N_ELEMENTS (migrations);
}

int
clave_sqlite_store_get_schema_version (ClaveSqliteStore *self)
{
  g_return_val_if_fail (CLAVE_IS_SQLITE_STORE (self), -1);
  return self->schema_version;
}

struct sqlite3 *
clave_sqlite_store_get_db (ClaveSqliteStore *self)
{
  g_return_val_if_fail (CLAVE_IS_SQLITE_STORE (self), NULL);
  return self->db;
}

/* Identities and citizens ------------------------------------------------ */

static gboolean
clave_sqlite_store_put_identity (ClaveStore          *store,
                                 const ClaveIdentity *identity,
                                 GError             **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "INSERT INTO identities (document, type, given_name, surnames, validity_date,"
                  "                        issue_date, permanent, support_number)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                  " ON CONFLICT (document) DO UPDATE SET type = excluded.type,"
                  "  given_name = excluded.given_name, surnames = excluded.surnames,"
                  "  validity_date = excluded.validity_date, issue_date = excluded.issue_date,"
                  "  permanent = excluded.permanent, support_number = excluded.support_number",
                  error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, identity->document);
  bind_text (stmt, 2, clave_document_type_to_string (identity->type));
  bind_text (stmt, 3, identity->given_name);
  bind_text (stmt, 4, identity->surnames);
  bind_text (stmt, 5, identity->validity_date);
  bind_text (stmt, 6, identity->issue_date);
  sqlite3_bind_int (stmt, 7, identity->permanent ? 1 : 0);
  bind_text (stmt, 8, identity->support_number);
  return step_done (self, stmt, "put identity", error);
}

static ClaveIdentity *
clave_sqlite_store_get_identity (ClaveStore  *store,
                                 const char  *document,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveIdentity *identity = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self,
                  "SELECT document, type, given_name, surnames, validity_date, issue_date,"
                  "       permanent, support_number"
                  " FROM identities WHERE document = ?1",
                  error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, document);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *type = (const char *) sqlite3_column_text (stmt, 1);

      identity = g_new0 (ClaveIdentity, 1);
      identity->document = column_text (stmt, 0);
      identity->type = g_strcmp0 (type, "nie") == 0 ? CLAVE_DOCUMENT_TYPE_NIE
                                                    : CLAVE_DOCUMENT_TYPE_DNI;
      identity->given_name = column_text (stmt, 2);
      identity->surnames = column_text (stmt, 3);
      identity->validity_date = column_text (stmt, 4);
      identity->issue_date = column_text (stmt, 5);
      identity->permanent = sqlite3_column_int (stmt, 6) != 0;
      identity->support_number = column_text (stmt, 7);
    }
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get identity");
  sqlite3_reset (stmt);
  return identity;
}

static gboolean
clave_sqlite_store_put_citizen (ClaveStore         *store,
                                const ClaveCitizen *citizen,
                                GError            **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "INSERT INTO citizens (document, phone, email, level, channel, created_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                  " ON CONFLICT (document) DO UPDATE SET phone = excluded.phone,"
                  "  email = excluded.email, level = excluded.level, channel = excluded.channel",
                  error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, citizen->document);
  bind_text (stmt, 2, citizen->phone);
  bind_text (stmt, 3, citizen->email);
  bind_text (stmt, 4, citizen->level);
  bind_text (stmt, 5, citizen->channel);
  sqlite3_bind_int64 (stmt, 6, citizen->created_at);
  if (!step_done (self, stmt, "put citizen", error))
    {
      if (error != NULL && *error != NULL && (*error)->code == CLAVE_STORE_ERROR_CONFLICT)
        {
          g_clear_error (error);
          g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                       "The phone %s belongs to another citizen", citizen->phone);
        }
      else if (error != NULL && *error != NULL && (*error)->code == CLAVE_STORE_ERROR_NOT_FOUND)
        {
          g_clear_error (error);
          g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND,
                       "%s is not in the identity registry", citizen->document);
        }
      return FALSE;
    }
  return TRUE;
}

static ClaveCitizen *
clave_sqlite_store_get_citizen (ClaveStore  *store,
                                const char  *document,
                                GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveCitizen *citizen = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self,
                  "SELECT document, phone, email, level, channel, created_at"
                  " FROM citizens WHERE document = ?1",
                  error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, document);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      citizen = g_new0 (ClaveCitizen, 1);
      citizen->document = column_text (stmt, 0);
      citizen->phone = column_text (stmt, 1);
      citizen->email = column_text (stmt, 2);
      citizen->level = column_text (stmt, 3);
      citizen->channel = column_text (stmt, 4);
      citizen->created_at = sqlite3_column_int64 (stmt, 5);
    }
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get citizen");
  sqlite3_reset (stmt);
  return citizen;
}

/* Identification failures ------------------------------------------------ */

static gboolean
clave_sqlite_store_add_identify_failure (ClaveStore  *store,
                                         const char  *document,
                                         const char  *source,
                                         gint64       now,
                                         GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "INSERT INTO identify_failures (document, source, created_at)"
                  " VALUES (?1, ?2, ?3)",
                  error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, document);
  bind_text (stmt, 2, source);
  sqlite3_bind_int64 (stmt, 3, now);
  return step_done (self, stmt, "add identify failure", error);
}

/* Runs @sql, a query of one time column with parameters ?1 = @value,
 * ?2 = @since and, if not NULL, ?3 = @value2, into an array of gint64. */
static GArray *
list_times_full (ClaveSqliteStore  *self,
                 const char        *sql,
                 const char        *value,
                 gint64             since,
                 const char        *value2,
                 const char        *what,
                 GError           **error)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, value);
  sqlite3_bind_int64 (stmt, 2, since);
  if (value2 != NULL)
    bind_text (stmt, 3, value2);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 t = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (times, t);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, what);
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&times);
}

static GArray *
list_times (ClaveSqliteStore  *self,
            const char        *sql,
            const char        *value,
            gint64             since,
            const char        *what,
            GError           **error)
{
  return list_times_full (self, sql, value, since, NULL, what, error);
}

static GArray *
clave_sqlite_store_list_identify_failures (ClaveStore  *store,
                                           const char  *document,
                                           const char  *source,
                                           gint64       since,
                                           GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  if (document != NULL && source != NULL)
    return list_times_full (self,
                            "SELECT created_at FROM identify_failures"
                            " WHERE document = ?1 AND created_at >= ?2 AND source = ?3"
                            " ORDER BY created_at",
                            document, since, source, "list identify failures", error);
  if (document != NULL)
    return list_times (self,
                       "SELECT created_at FROM identify_failures"
                       " WHERE document = ?1 AND created_at >= ?2 ORDER BY created_at",
                       document, since, "list identify failures", error);
  return list_times (self,
                     "SELECT created_at FROM identify_failures"
                     " WHERE source = ?1 AND created_at >= ?2 ORDER BY created_at",
                     source, since, "list identify failures", error);
}

static gboolean
clave_sqlite_store_touch_known_source (ClaveStore  *store,
                                       const char  *key,
                                       gint64       now,
                                       GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "INSERT INTO known_sources (key, last_seen) VALUES (?1, ?2)"
                  " ON CONFLICT (key) DO UPDATE"
                  " SET last_seen = MAX (last_seen, excluded.last_seen)",
                  error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, key);
  sqlite3_bind_int64 (stmt, 2, now);
  return step_done (self, stmt, "touch known source", error);
}

static gboolean
clave_sqlite_store_get_known_source (ClaveStore  *store,
                                     const char  *key,
                                     gint64      *last_seen,
                                     GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  int rc;

  *last_seen = 0;
  stmt = prepare (self, "SELECT last_seen FROM known_sources WHERE key = ?1", error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *last_seen = sqlite3_column_int64 (stmt, 0);
  else if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "get known source");
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

/* Activations ------------------------------------------------------------ */

/* The outbox keeps a message's code until the code cannot be used any
 * more; these put the redacted text in its place. @flow_id is an
 * activation or a registration. */
static gboolean
redact_codes_of (ClaveSqliteStore  *self,
                 const char        *flow_id,
                 GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                  " WHERE activation = ?1 AND redacted_body IS NOT NULL",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, flow_id);
  return step_done (self, stmt, "redact codes", error);
}

static gboolean
redact_expired (ClaveSqliteStore  *self,
                gint64             now,
                GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                  " WHERE redacted_body IS NOT NULL AND code_expires_at <= ?1",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  return step_done (self, stmt, "redact expired codes", error);
}

static gboolean
clave_sqlite_store_create_activation (ClaveStore                  *store,
                                      const ClaveActivationRecord *record,
                                      GError                     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!begin (self, error))
    return FALSE;

  /* One activation in progress per citizen: starting over ends the
   * previous one, its sends and its code attempts with it. */
  stmt = prepare (self,
                  "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                  " WHERE redacted_body IS NOT NULL AND activation IN"
                  "  (SELECT id FROM activations"
                  "   WHERE citizen = ?1 AND state IN ('pending', 'verified'))",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, record->document);
  if (!step_done (self, stmt, "redact replaced codes", error))
    return rollback (self);

  stmt = prepare (self,
                  "UPDATE activations SET state = 'replaced'"
                  " WHERE citizen = ?1 AND state IN ('pending', 'verified')",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, record->document);
  if (!step_done (self, stmt, "replace activations", error))
    return rollback (self);

  stmt = prepare (self,
                  "INSERT INTO activations (id, token_hash, citizen, created_at, expires_at, state)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  error);
  if (stmt == NULL)
    return rollback (self);

  bind_text (stmt, 1, record->id);
  bind_text (stmt, 2, record->token_hash);
  bind_text (stmt, 3, record->document);
  sqlite3_bind_int64 (stmt, 4, record->created_at);
  sqlite3_bind_int64 (stmt, 5, record->expires_at);
  bind_text (stmt, 6, clave_activation_state_to_string (record->state));
  if (!step_done (self, stmt, "create activation", error))
    return rollback (self);

  return commit (self, error);
}

static ClaveActivationRecord *
clave_sqlite_store_get_activation (ClaveStore  *store,
                                   const char  *id,
                                   GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveActivationRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self,
                  "SELECT id, token_hash, citizen, created_at, expires_at, state, code_hmac,"
                  "       code_expires_at, attempts, sends, last_sent_at"
                  " FROM activations WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      int state = clave_activation_state_from_string ((const char *) sqlite3_column_text (stmt, 5));

      record = g_new0 (ClaveActivationRecord, 1);
      record->id = column_text (stmt, 0);
      record->token_hash = column_text (stmt, 1);
      record->document = column_text (stmt, 2);
      record->created_at = sqlite3_column_int64 (stmt, 3);
      record->expires_at = sqlite3_column_int64 (stmt, 4);
      /* An unreadable state must never open a door: treat it as locked. */
      record->state = state >= 0 ? (ClaveActivationState) state : CLAVE_ACTIVATION_LOCKED;
      record->code_hmac = column_text (stmt, 6);
      record->code_expires_at = sqlite3_column_int64 (stmt, 7);
      record->attempts = (guint) sqlite3_column_int (stmt, 8);
      record->sends = (guint) sqlite3_column_int (stmt, 9);
      record->last_sent_at = sqlite3_column_int64 (stmt, 10);
    }
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get activation");
  sqlite3_reset (stmt);
  return record;
}

static gboolean
check_changed (ClaveSqliteStore  *self,
               const char        *what,
               GError           **error)
{
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND,
                   "%s: no such row", what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
clave_sqlite_store_store_code (ClaveStore     *store,
                               ClaveCodeFlow   flow,
                               const char     *flow_id,
                               const char     *code_hmac,
                               gint64          code_expires_at,
                               gint64          now,
                               const char     *phone,
                               const char     *sms_body,
                               const char     *redacted_body,
                               gint64         *outbox_id,
                               GError        **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  g_return_val_if_fail ((guint) flow < G_N_ELEMENTS (flow_sql), FALSE);

  if (!begin (self, error))
    return FALSE;

  /* The new code replaces the old ones: they are no use to anybody. */
  if (!redact_codes_of (self, flow_id, error))
    return rollback (self);

  stmt = prepare (self, flow_sql[flow].store_code, error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, flow_id);
  bind_text (stmt, 2, code_hmac);
  sqlite3_bind_int64 (stmt, 3, code_expires_at);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!step_done (self, stmt, "store code", error) ||
      !check_changed (self, "store code", error))
    return rollback (self);

  stmt = prepare (self, flow_sql[flow].queue_sms, error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, phone);
  bind_text (stmt, 2, sms_body);
  sqlite3_bind_int64 (stmt, 3, now);
  bind_text (stmt, 4, flow_id);
  sqlite3_bind_int64 (stmt, 5, code_expires_at);
  bind_text (stmt, 6, redacted_body);
  if (!step_done (self, stmt, "queue sms", error) ||
      !check_changed (self, "queue sms", error))
    return rollback (self);

  if (outbox_id != NULL)
    *outbox_id = sqlite3_last_insert_rowid (self->db);

  return commit (self, error);
}

static gboolean
clave_sqlite_store_record_wrong_code (ClaveStore     *store,
                                      ClaveCodeFlow   flow,
                                      const char     *flow_id,
                                      guint           max_attempts,
                                      gint64          now,
                                      guint          *attempts,
                                      GError        **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  guint count = 0;
  int rc;

  g_return_val_if_fail ((guint) flow < G_N_ELEMENTS (flow_sql), FALSE);

  if (!begin (self, error))
    return FALSE;

  stmt = prepare (self, flow_sql[flow].count_attempt, error);
  if (stmt == NULL)
    return rollback (self);

  bind_text (stmt, 1, flow_id);
  sqlite3_bind_int (stmt, 2, (int) max_attempts);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      count = (guint) sqlite3_column_int (stmt, 0);
      rc = sqlite3_step (stmt);
    }
  else if (rc == SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND,
                   "record wrong code: no such activation or registration");
      return rollback (self);
    }

  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "record wrong code");
      sqlite3_reset (stmt);
      return rollback (self);
    }
  sqlite3_reset (stmt);

  /* Counted for the person too: starting over must not reset it. */
  stmt = prepare (self, flow_sql[flow].count_wrong_code, error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, flow_id);
  sqlite3_bind_int64 (stmt, 2, now);
  if (!step_done (self, stmt, "count wrong code", error))
    return rollback (self);

  if (count >= max_attempts && !redact_codes_of (self, flow_id, error))
    return rollback (self);

  if (!commit (self, error))
    return FALSE;
  if (attempts != NULL)
    *attempts = count;
  return TRUE;
}

static GArray *
clave_sqlite_store_list_wrong_codes (ClaveStore  *store,
                                     const char  *document,
                                     gint64       since,
                                     GError     **error)
{
  return list_times (CLAVE_SQLITE_STORE (store),
                     "SELECT created_at FROM wrong_codes"
                     " WHERE citizen = ?1 AND created_at >= ?2 ORDER BY created_at",
                     document, since, "list wrong codes", error);
}

static GArray *
clave_sqlite_store_list_sms_sends (ClaveStore  *store,
                                   const char  *document,
                                   gint64       since,
                                   GError     **error)
{
  return list_times (CLAVE_SQLITE_STORE (store),
                     "SELECT created_at FROM sms_outbox"
                     " WHERE citizen = ?1 AND created_at >= ?2 ORDER BY created_at",
                     document, since, "list sms sends", error);
}

static gboolean
clave_sqlite_store_set_activation_state (ClaveStore           *store,
                                         const char           *activation_id,
                                         ClaveActivationState  state,
                                         GError              **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!begin (self, error))
    return FALSE;

  stmt = prepare (self, "UPDATE activations SET state = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return rollback (self);

  bind_text (stmt, 1, activation_id);
  bind_text (stmt, 2, clave_activation_state_to_string (state));
  if (!step_done (self, stmt, "set activation state", error) ||
      !check_changed (self, "set activation state", error))
    return rollback (self);

  /* Verified (the code is used up), locked, used or replaced: no code of
   * this activation opens anything any more. */
  if (state != CLAVE_ACTIVATION_PENDING && !redact_codes_of (self, activation_id, error))
    return rollback (self);

  return commit (self, error);
}

/* Devices ------------------------------------------------------------- */

static gboolean
clave_sqlite_store_register_device (ClaveStore              *store,
                                    const char              *activation_id,
                                    const ClaveDeviceRecord *device,
                                    GError                 **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!begin (self, error))
    return FALSE;

  /* The state condition makes a second registration with the same
   * activation fail even if two requests race. */
  stmt = prepare (self,
                  "UPDATE activations SET state = 'used'"
                  " WHERE id = ?1 AND citizen = ?2 AND state = 'verified'",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, activation_id);
  bind_text (stmt, 2, device->document);
  if (!step_done (self, stmt, "use activation", error))
    return rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                   "The activation is not verified");
      return rollback (self);
    }

  /* One active device per citizen: the previous one stops working now. */
  stmt = prepare (self,
                  "UPDATE devices SET deactivated_at = ?2, public_key = NULL, push_key = NULL"
                  " WHERE citizen = ?1 AND deactivated_at IS NULL",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, device->document);
  sqlite3_bind_int64 (stmt, 2, device->created_at);
  if (!step_done (self, stmt, "deactivate previous devices", error))
    return rollback (self);

  stmt = prepare (self,
                  "INSERT INTO devices (id, citizen, public_key, name, created_at, push_key)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, device->id);
  bind_text (stmt, 2, device->document);
  sqlite3_bind_blob (stmt, 3, g_bytes_get_data (device->public_key, NULL),
                     (int) g_bytes_get_size (device->public_key), SQLITE_TRANSIENT);
  bind_text (stmt, 4, device->name);
  sqlite3_bind_int64 (stmt, 5, device->created_at);
  if (device->push_key != NULL)
    sqlite3_bind_blob (stmt, 6, g_bytes_get_data (device->push_key, NULL),
                       (int) g_bytes_get_size (device->push_key), SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 6);
  if (!step_done (self, stmt, "insert device", error))
    return rollback (self);

  return commit (self, error);
}

static ClaveDeviceRecord *
device_from_row (sqlite3_stmt *stmt)
{
  ClaveDeviceRecord *record = g_new0 (ClaveDeviceRecord, 1);

  record->id = column_text (stmt, 0);
  record->document = column_text (stmt, 1);
  if (sqlite3_column_type (stmt, 2) == SQLITE_BLOB)
    record->public_key = g_bytes_new (sqlite3_column_blob (stmt, 2),
                                      (gsize) sqlite3_column_bytes (stmt, 2));
  record->name = column_text (stmt, 3);
  record->created_at = sqlite3_column_int64 (stmt, 4);
  record->deactivated_at = sqlite3_column_int64 (stmt, 5);
  if (sqlite3_column_type (stmt, 6) == SQLITE_BLOB)
    record->push_key = g_bytes_new (sqlite3_column_blob (stmt, 6),
                                    (gsize) sqlite3_column_bytes (stmt, 6));
  return record;
}

static ClaveDeviceRecord *
clave_sqlite_store_get_device (ClaveStore  *store,
                               const char  *id,
                               GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveDeviceRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self,
                  "SELECT id, citizen, public_key, name, created_at, IFNULL (deactivated_at, 0), push_key"
                  " FROM devices WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    record = device_from_row (stmt);
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get device");
  sqlite3_reset (stmt);
  return record;
}

static GPtrArray *
clave_sqlite_store_list_devices (ClaveStore  *store,
                                 const char  *document,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_device_record_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self,
                  "SELECT id, citizen, public_key, name, created_at, IFNULL (deactivated_at, 0), push_key"
                  " FROM devices WHERE citizen = ?1 ORDER BY created_at DESC, rowid DESC",
                  error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, document);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (devices, device_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list devices");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&devices);
}

static gboolean
clave_sqlite_store_deactivate_device (ClaveStore  *store,
                                      const char  *id,
                                      gint64       now,
                                      GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "UPDATE devices SET deactivated_at = IFNULL (deactivated_at, ?2),"
                  "  public_key = NULL, push_key = NULL"
                  " WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, now);
  return step_done (self, stmt, "deactivate device", error) &&
         check_changed (self, "deactivate device", error);
}

/* Inside a transaction: forgets the nonces of signatures that can no
 * longer be accepted. */
static gboolean
purge_nonces (ClaveSqliteStore  *self,
              gint64             before,
              GError           **error)
{
  sqlite3_stmt *stmt = prepare (self, "DELETE FROM nonces WHERE created_at < ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, before);
  return step_done (self, stmt, "purge nonces", error);
}

/* Inside a transaction: remembers @nonce; @fresh is FALSE when it was
 * there already. */
static gboolean
insert_nonce (ClaveSqliteStore  *self,
              const char        *device_id,
              const char        *nonce,
              gint64             now,
              gboolean          *fresh,
              GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "INSERT INTO nonces (device, nonce, created_at) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT DO NOTHING",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, device_id);
  bind_text (stmt, 2, nonce);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!step_done (self, stmt, "use nonce", error))
    return FALSE;
  *fresh = sqlite3_changes (self->db) == 1;
  return TRUE;
}

static gboolean
clave_sqlite_store_use_nonce (ClaveStore  *store,
                              const char  *device_id,
                              const char  *nonce,
                              gint64       now,
                              gint64       keep_secs,
                              gboolean    *fresh,
                              GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  if (!begin (self, error))
    return FALSE;
  if (!purge_nonces (self, now - keep_secs, error) ||
      !insert_nonce (self, device_id, nonce, now, fresh, error))
    return rollback (self);
  return commit (self, error);
}

/* Outbox -------------------------------------------------------------- */

static GPtrArray *
clave_sqlite_store_list_outbox (ClaveStore  *store,
                                guint        limit,
                                GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_outbox_message_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self,
                  "SELECT id, phone, body, created_at, status FROM sms_outbox"
                  " ORDER BY id DESC LIMIT ?1",
                  error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ClaveOutboxMessage *message = g_new0 (ClaveOutboxMessage, 1);

      message->id = sqlite3_column_int64 (stmt, 0);
      message->phone = column_text (stmt, 1);
      message->body = column_text (stmt, 2);
      message->created_at = sqlite3_column_int64 (stmt, 3);
      message->status = column_text (stmt, 4);
      g_ptr_array_add (messages, message);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list outbox");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&messages);
}

static gboolean
clave_sqlite_store_set_outbox_status (ClaveStore  *store,
                                      gint64       id,
                                      const char  *status,
                                      GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  /* Once the gateway has the message, the outbox need not keep its code. */
  stmt = prepare (self,
                  "UPDATE sms_outbox SET status = ?2,"
                  "  body = CASE WHEN ?3 AND redacted_body IS NOT NULL THEN redacted_body"
                  "         ELSE body END,"
                  "  redacted_body = CASE WHEN ?3 THEN NULL ELSE redacted_body END"
                  " WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, status);
  sqlite3_bind_int (stmt, 3, g_strcmp0 (status, CLAVE_OUTBOX_DELIVERED) == 0);
  return step_done (self, stmt, "set outbox status", error) &&
         check_changed (self, "set outbox status", error);
}

static gboolean
clave_sqlite_store_redact_expired_codes (ClaveStore  *store,
                                         gint64       now,
                                         GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  gboolean found = FALSE;

  /* Called before every request: an UPDATE takes the write lock even
   * when it matches nothing, and would wait for the answer queue's
   * commit; reading first (the same partial index) does not. */
  if (!any_row (self,
                "SELECT 1 FROM sms_outbox"
                " WHERE redacted_body IS NOT NULL AND code_expires_at <= ?1 LIMIT 1",
                now, &found, error))
    return FALSE;
  return !found || redact_expired (self, now, error);
}

static gboolean
clave_sqlite_store_purge (ClaveStore  *store,
                          gint64       now,
                          GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!begin (self, error))
    return FALSE;

  /* Kept as long as they count towards the per-document backstop. */
  stmt = prepare (self, "DELETE FROM identify_failures WHERE created_at < ?1", error);
  if (stmt == NULL)
    return rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_IDENTIFY_BACKSTOP_WINDOW_SECS);
  if (!step_done (self, stmt, "purge identify failures", error))
    return rollback (self);

  stmt = prepare (self, "DELETE FROM known_sources WHERE last_seen < ?1", error);
  if (stmt == NULL)
    return rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_KNOWN_SOURCE_KEEP_SECS);
  if (!step_done (self, stmt, "purge known sources", error))
    return rollback (self);

  stmt = prepare (self, "DELETE FROM wrong_codes WHERE created_at < ?1", error);
  if (stmt == NULL)
    return rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_WRONG_CODES_WINDOW_SECS);
  if (!step_done (self, stmt, "purge wrong codes", error))
    return rollback (self);

  if (!purge_nonces (self, now - CLAVE_NONCE_KEEP_SECS, error))
    return rollback (self);

  if (!redact_expired (self, now, error))
    return rollback (self);

  stmt = prepare (self, "DELETE FROM activations WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!step_done (self, stmt, "purge activations", error))
    return rollback (self);

  stmt = prepare (self, "DELETE FROM registrations WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!step_done (self, stmt, "purge registrations", error))
    return rollback (self);

  /* Kept as long as they count towards the per-address limit. */
  stmt = prepare (self, "DELETE FROM challenges WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!step_done (self, stmt, "purge challenges", error))
    return rollback (self);

  /* Kept as long as the sends count towards the per-citizen caps. */
  stmt = prepare (self, "DELETE FROM sms_outbox WHERE created_at < ?1", error);
  if (stmt == NULL)
    return rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!step_done (self, stmt, "purge outbox", error))
    return rollback (self);

  return commit (self, error);
}

/* Citizens by phone, challenges and registrations --------------------- */

static ClaveCitizen *
clave_sqlite_store_get_citizen_by_phone (ClaveStore  *store,
                                         const char  *phone,
                                         GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autofree char *document = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self, "SELECT document FROM citizens WHERE phone = ?1", error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, phone);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    document = column_text (stmt, 0);
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get citizen by phone");
  sqlite3_reset (stmt);

  if (document == NULL)
    return NULL;
  return clave_sqlite_store_get_citizen (store, document, error);
}

static gboolean
clave_sqlite_store_create_challenge (ClaveStore  *store,
                                     const char  *id,
                                     const char  *challenge,
                                     const char  *address,
                                     gint64       now,
                                     gint64       expires_at,
                                     GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "INSERT INTO challenges (id, challenge, address, created_at, expires_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                  error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, id);
  bind_text (stmt, 2, challenge);
  bind_text (stmt, 3, address);
  sqlite3_bind_int64 (stmt, 4, now);
  sqlite3_bind_int64 (stmt, 5, expires_at);
  return step_done (self, stmt, "create challenge", error);
}

static GArray *
clave_sqlite_store_list_challenges (ClaveStore  *store,
                                    const char  *address,
                                    gint64       since,
                                    GError     **error)
{
  return list_times (CLAVE_SQLITE_STORE (store),
                     "SELECT created_at FROM challenges"
                     " WHERE address = ?1 AND created_at >= ?2 ORDER BY created_at",
                     address, since, "list challenges", error);
}

static gboolean
clave_sqlite_store_use_challenge (ClaveStore  *store,
                                  const char  *id,
                                  char       **challenge,
                                  gint64      *expires_at,
                                  GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autofree char *value = NULL;
  gint64 expiry = 0;
  sqlite3_stmt *stmt;
  int rc;

  /* One statement: two requests racing with the same challenge cannot
   * both get it. */
  stmt = prepare (self,
                  "UPDATE challenges SET used = 1 WHERE id = ?1 AND used = 0"
                  " RETURNING challenge, expires_at",
                  error);
  if (stmt == NULL)
    return FALSE;

  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      value = column_text (stmt, 0);
      expiry = sqlite3_column_int64 (stmt, 1);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "use challenge");
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);

  *challenge = g_steal_pointer (&value);
  *expires_at = expiry;
  return TRUE;
}

static gboolean
clave_sqlite_store_create_registration (ClaveStore                    *store,
                                        const ClaveRegistrationRecord *record,
                                        GError                       **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!begin (self, error))
    return FALSE;

  /* One registration in progress per document, like activations. */
  stmt = prepare (self,
                  "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                  " WHERE redacted_body IS NOT NULL AND activation IN"
                  "  (SELECT id FROM registrations WHERE document = ?1 AND state = 'pending')",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, record->document);
  if (!step_done (self, stmt, "redact replaced registration codes", error))
    return rollback (self);

  stmt = prepare (self,
                  "UPDATE registrations SET state = 'replaced'"
                  " WHERE document = ?1 AND state = 'pending'",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, record->document);
  if (!step_done (self, stmt, "replace registrations", error))
    return rollback (self);

  stmt = prepare (self,
                  "INSERT INTO registrations (id, token_hash, document, phone, email, channel,"
                  "                           created_at, expires_at, state)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, record->id);
  bind_text (stmt, 2, record->token_hash);
  bind_text (stmt, 3, record->document);
  bind_text (stmt, 4, record->phone);
  bind_text (stmt, 5, record->email);
  bind_text (stmt, 6, record->channel);
  sqlite3_bind_int64 (stmt, 7, record->created_at);
  sqlite3_bind_int64 (stmt, 8, record->expires_at);
  bind_text (stmt, 9, clave_registration_state_to_string (record->state));
  if (!step_done (self, stmt, "create registration", error))
    return rollback (self);

  return commit (self, error);
}

static ClaveRegistrationRecord *
clave_sqlite_store_get_registration (ClaveStore  *store,
                                     const char  *id,
                                     GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveRegistrationRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self,
                  "SELECT id, token_hash, document, phone, email, channel, created_at,"
                  "       expires_at, state, code_hmac, code_expires_at, attempts, sends,"
                  "       last_sent_at"
                  " FROM registrations WHERE id = ?1",
                  error);
  if (stmt == NULL)
    return NULL;

  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      int state = clave_registration_state_from_string ((const char *) sqlite3_column_text (stmt, 8));

      record = g_new0 (ClaveRegistrationRecord, 1);
      record->id = column_text (stmt, 0);
      record->token_hash = column_text (stmt, 1);
      record->document = column_text (stmt, 2);
      record->phone = column_text (stmt, 3);
      record->email = column_text (stmt, 4);
      record->channel = column_text (stmt, 5);
      record->created_at = sqlite3_column_int64 (stmt, 6);
      record->expires_at = sqlite3_column_int64 (stmt, 7);
      /* An unreadable state must never open a door. */
      record->state = state >= 0 ? (ClaveRegistrationState) state : CLAVE_REGISTRATION_LOCKED;
      record->code_hmac = column_text (stmt, 9);
      record->code_expires_at = sqlite3_column_int64 (stmt, 10);
      record->attempts = (guint) sqlite3_column_int (stmt, 11);
      record->sends = (guint) sqlite3_column_int (stmt, 12);
      record->last_sent_at = sqlite3_column_int64 (stmt, 13);
    }
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get registration");
  sqlite3_reset (stmt);
  return record;
}

static gboolean
clave_sqlite_store_complete_registration (ClaveStore                  *store,
                                          const char                  *registration_id,
                                          const ClaveCitizen          *citizen,
                                          const ClaveActivationRecord *activation,
                                          GError                     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!begin (self, error))
    return FALSE;

  /* The state condition makes a second verify with the same registration
   * fail even if two requests race. */
  stmt = prepare (self,
                  "UPDATE registrations SET state = 'used'"
                  " WHERE id = ?1 AND document = ?2 AND state = 'pending'",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, registration_id);
  bind_text (stmt, 2, citizen->document);
  if (!step_done (self, stmt, "use registration", error))
    return rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                   "The registration is not pending");
      return rollback (self);
    }

  if (!redact_codes_of (self, registration_id, error))
    return rollback (self);

  /* Never an upsert: an existing registration in Cl@ve or a phone of
   * another citizen is a conflict, not something to overwrite. */
  stmt = prepare (self,
                  "INSERT INTO citizens (document, phone, email, level, channel, created_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, citizen->document);
  bind_text (stmt, 2, citizen->phone);
  bind_text (stmt, 3, citizen->email);
  bind_text (stmt, 4, citizen->level);
  bind_text (stmt, 5, citizen->channel);
  sqlite3_bind_int64 (stmt, 6, citizen->created_at);
  if (!step_done (self, stmt, "add citizen", error))
    return rollback (self);

  stmt = prepare (self,
                  "INSERT INTO activations (id, token_hash, citizen, created_at, expires_at, state)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, activation->id);
  bind_text (stmt, 2, activation->token_hash);
  bind_text (stmt, 3, activation->document);
  sqlite3_bind_int64 (stmt, 4, activation->created_at);
  sqlite3_bind_int64 (stmt, 5, activation->expires_at);
  bind_text (stmt, 6, clave_activation_state_to_string (activation->state));
  if (!step_done (self, stmt, "create activation", error))
    return rollback (self);

  return commit (self, error);
}

static void
close_database (ClaveSqliteStore *self)
{
  g_hash_table_remove_all (self->statements);
  if (self->db != NULL)
    {
      int rc = sqlite3_close (self->db);

      if (rc != SQLITE_OK)
        g_warning ("Closing %s: %s", self->path, sqlite3_errstr (rc));
      self->db = NULL;
    }
}

static void
clave_sqlite_store_close (ClaveStore *store)
{
  close_database (CLAVE_SQLITE_STORE (store));
}

/* Cl@ve Móvil ----------------------------------------------------------- */
static gboolean
clave_sqlite_store_add_relying_party (ClaveStore               *store,
                                      const ClaveRelyingParty  *rp,
                                      GError                  **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = prepare (self,
                  "INSERT INTO relying_parties (id, name, origin, key_hash, created_at, demo)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, rp->id);
  bind_text (stmt, 2, rp->name);
  bind_text (stmt, 3, rp->origin);
  bind_text (stmt, 4, rp->key_hash);
  sqlite3_bind_int64 (stmt, 5, rp->created_at);
  sqlite3_bind_int (stmt, 6, rp->demo ? 1 : 0);
  return step_done (self, stmt, "add relying party", error);
}

#define RELYING_PARTY_COLUMNS \
  "SELECT id, name, origin, key_hash, created_at, demo FROM relying_parties"

static ClaveRelyingParty *
relying_party_from_row (sqlite3_stmt *stmt)
{
  ClaveRelyingParty *rp = g_new0 (ClaveRelyingParty, 1);

  rp->id = column_text (stmt, 0);
  rp->name = column_text (stmt, 1);
  rp->origin = column_text (stmt, 2);
  rp->key_hash = column_text (stmt, 3);
  rp->created_at = sqlite3_column_int64 (stmt, 4);
  rp->demo = sqlite3_column_int (stmt, 5) != 0;
  return rp;
}

/* The one relying party @sql (with ?1 = @value, if not NULL) finds. */
static ClaveRelyingParty *
get_relying_party (ClaveSqliteStore  *self,
                   const char        *sql,
                   const char        *value,
                   GError           **error)
{
  ClaveRelyingParty *rp = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  if (value != NULL)
    bind_text (stmt, 1, value);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    rp = relying_party_from_row (stmt);
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get relying party");
  sqlite3_reset (stmt);
  return rp;
}

static ClaveRelyingParty *
clave_sqlite_store_get_relying_party (ClaveStore  *store,
                                      const char  *id,
                                      GError     **error)
{
  return get_relying_party (CLAVE_SQLITE_STORE (store), RELYING_PARTY_COLUMNS " WHERE id = ?1",
                            id, error);
}

static ClaveRelyingParty *
clave_sqlite_store_get_relying_party_by_key_hash (ClaveStore  *store,
                                                  const char  *key_hash,
                                                  GError     **error)
{
  return get_relying_party (CLAVE_SQLITE_STORE (store),
                            RELYING_PARTY_COLUMNS " WHERE key_hash = ?1", key_hash, error);
}

static ClaveRelyingParty *
clave_sqlite_store_get_demo_relying_party (ClaveStore  *store,
                                           GError     **error)
{
  return get_relying_party (CLAVE_SQLITE_STORE (store),
                            RELYING_PARTY_COLUMNS " WHERE demo = 1 ORDER BY created_at, id LIMIT 1",
                            NULL, error);
}

static GPtrArray *
clave_sqlite_store_list_relying_parties (ClaveStore  *store,
                                         GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(GPtrArray) rps = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_relying_party_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self, RELYING_PARTY_COLUMNS " ORDER BY created_at, id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rps, relying_party_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list relying parties");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&rps);
}

/* Inside a transaction: the next history sequence number. */
static gint64
next_seq (ClaveSqliteStore  *self,
          GError           **error)
{
  sqlite3_stmt *stmt;
  gint64 value = -1;

  stmt = prepare (self,
                  "UPDATE counters SET value = value + 1 WHERE name = 'auth_request_seq'"
                  " RETURNING value",
                  error);
  if (stmt == NULL)
    return -1;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  else
    set_db_error (self, error, "next seq");
  sqlite3_reset (stmt);
  return value;
}

static gboolean
clave_sqlite_store_create_auth_request (ClaveStore                    *store,
                                        const ClaveAuthRequestRecord  *record,
                                        const char                    *phone,
                                        const char                    *sms_body,
                                        const char                    *redacted_body,
                                        gint64                        *outbox_id,
                                        GError                       **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  gint64 seq;

  if (!begin (self, error))
    return FALSE;
  seq = next_seq (self, error);
  if (seq < 0)
    return rollback (self);

  stmt = prepare (self,
                  "INSERT INTO auth_requests (id, rp, type, status, citizen, device,"
                  "  verification_code, pin_hmac, created_at, expires_at, seq)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                  error);
  if (stmt == NULL)
    return rollback (self);
  bind_text (stmt, 1, record->id);
  bind_text (stmt, 2, record->rp);
  bind_text (stmt, 3, record->type);
  bind_text (stmt, 4, record->status);
  bind_text (stmt, 5, record->citizen);
  bind_text (stmt, 6, record->device);
  bind_text (stmt, 7, record->verification_code);
  bind_text (stmt, 8, record->pin_hmac);
  sqlite3_bind_int64 (stmt, 9, record->created_at);
  sqlite3_bind_int64 (stmt, 10, record->expires_at);
  sqlite3_bind_int64 (stmt, 11, seq);
  if (!step_done (self, stmt, "insert auth request", error))
    return rollback (self);

  if (sms_body != NULL)
    {
      /* Counted for the citizen like activation codes, and redacted by the
       * same rules (the request id stands in the activation column). */
      stmt = prepare (self,
                      "INSERT INTO sms_outbox (phone, body, created_at, citizen, activation,"
                      "  code_expires_at, redacted_body)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      error);
      if (stmt == NULL)
        return rollback (self);
      bind_text (stmt, 1, phone);
      bind_text (stmt, 2, sms_body);
      sqlite3_bind_int64 (stmt, 3, record->created_at);
      bind_text (stmt, 4, record->citizen);
      bind_text (stmt, 5, record->id);
      sqlite3_bind_int64 (stmt, 6, record->expires_at);
      bind_text (stmt, 7, redacted_body);
      if (!step_done (self, stmt, "queue sms", error))
        return rollback (self);
      if (outbox_id != NULL)
        *outbox_id = sqlite3_last_insert_rowid (self->db);
    }

  return commit (self, error);
}

#define AUTH_REQUEST_COLUMNS \
  "SELECT r.id, r.rp, r.type, r.status, r.citizen, r.device, r.verification_code," \
  " r.pin_hmac, r.pin_attempts, r.created_at, r.expires_at, IFNULL (r.answered_at, 0)," \
  " r.seq, p.name, p.origin FROM auth_requests r JOIN relying_parties p ON p.id = r.rp"

static ClaveAuthRequestRecord *
auth_request_from_row (sqlite3_stmt *stmt)
{
  ClaveAuthRequestRecord *record = g_new0 (ClaveAuthRequestRecord, 1);

  record->id = column_text (stmt, 0);
  record->rp = column_text (stmt, 1);
  record->type = column_text (stmt, 2);
  record->status = column_text (stmt, 3);
  record->citizen = column_text (stmt, 4);
  record->device = column_text (stmt, 5);
  record->verification_code = column_text (stmt, 6);
  record->pin_hmac = column_text (stmt, 7);
  record->pin_attempts = (guint) sqlite3_column_int (stmt, 8);
  record->created_at = sqlite3_column_int64 (stmt, 9);
  record->expires_at = sqlite3_column_int64 (stmt, 10);
  record->answered_at = sqlite3_column_int64 (stmt, 11);
  record->seq = sqlite3_column_int64 (stmt, 12);
  record->rp_name = column_text (stmt, 13);
  record->rp_origin = column_text (stmt, 14);
  return record;
}

static ClaveAuthRequestRecord *
clave_sqlite_store_get_auth_request (ClaveStore  *store,
                                     const char  *id,
                                     GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveAuthRequestRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self, AUTH_REQUEST_COLUMNS " WHERE r.id = ?1", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    record = auth_request_from_row (stmt);
  else if (rc != SQLITE_DONE)
    set_db_error (self, error, "get auth request");
  sqlite3_reset (stmt);
  return record;
}

static GPtrArray *
list_auth_requests (ClaveSqliteStore  *self,
                    const char        *sql,
                    const char        *text,
                    gint64             a,
                    gint64             b,
                    GError           **error)
{
  g_autoptr(GPtrArray) records =
    g_ptr_array_new_with_free_func ((GDestroyNotify) clave_auth_request_record_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  /* ?1 text, ?2 and ?3 integers; a statement that does not use the last
   * ones just refuses their binding (SQLITE_RANGE). */
  bind_text (stmt, 1, text);
  sqlite3_bind_int64 (stmt, 2, a);
  sqlite3_bind_int64 (stmt, 3, b);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, auth_request_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self, error, "list auth requests");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&records);
}

static GPtrArray *
clave_sqlite_store_list_pending_auth_requests (ClaveStore  *store,
                                               const char  *citizen,
                                               gint64       now,
                                               GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  return list_auth_requests (self,
                             AUTH_REQUEST_COLUMNS
                             " WHERE r.citizen = ?1 AND r.status = 'pending' AND r.expires_at > ?2"
                             " AND r.type != 'sms' ORDER BY r.created_at, r.seq",
                             citizen, now, 0, error);
}

static GPtrArray *
clave_sqlite_store_list_history (ClaveStore  *store,
                                 const char  *citizen,
                                 gint64       after,
                                 guint        limit,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  return list_auth_requests (self,
                             AUTH_REQUEST_COLUMNS
                             " WHERE r.citizen = ?1 AND r.seq > ?2 ORDER BY r.seq LIMIT ?3",
                             citizen, after, limit, error);
}

static GPtrArray *
clave_sqlite_store_list_expired_auth_requests (ClaveStore  *store,
                                               gint64       now,
                                               GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  return list_auth_requests (self,
                             AUTH_REQUEST_COLUMNS
                             " WHERE r.status = 'pending' AND r.expires_at <= ?2"
                             " ORDER BY r.expires_at",
                             NULL, now, 0, error);
}

/* Inside a transaction: the change of clave_store_update_auth_request(),
 * with the next history seq when something changed (@changed). */
static gboolean
change_auth_request (ClaveSqliteStore  *self,
                     const char        *id,
                     const char        *status,
                     const char        *citizen,
                     const char        *device,
                     gint64             answered_at,
                     gboolean           count_pin_attempt,
                     guint              max_pin_attempts,
                     gboolean          *changed,
                     GError           **error)
{
  sqlite3_stmt *stmt;

  *changed = FALSE;

  /* Only a pending request changes; a claim only binds an unbound one (or
   * re-binds the same device). A counted PIN attempt rejects the request
   * at the last one. The seq is the counter's next value, taken below
   * only when a row changed. */
  stmt = prepare (self,
                  "UPDATE auth_requests SET"
                  "  seq = (SELECT value + 1 FROM counters WHERE name = 'auth_request_seq'),"
                  "  pin_attempts = pin_attempts + ?7,"
                  "  status = CASE WHEN ?7 = 1 AND pin_attempts + 1 >= ?8 THEN 'rejected'"
                  "                ELSE IFNULL (?3, status) END,"
                  "  pin_hmac = CASE WHEN ?3 IS NOT NULL OR (?7 = 1 AND pin_attempts + 1 >= ?8)"
                  "                  THEN NULL ELSE pin_hmac END,"
                  "  answered_at = CASE WHEN ?3 IS NOT NULL OR (?7 = 1 AND pin_attempts + 1 >= ?8)"
                  "                     THEN ?6 ELSE answered_at END,"
                  "  citizen = IFNULL (?4, citizen),"
                  "  device = IFNULL (?5, device)"
                  " WHERE id = ?1 AND status = 'pending'"
                  "  AND (?5 IS NULL OR device IS NULL OR device = ?5)"
                  "  AND (?4 IS NULL OR citizen IS NULL OR citizen = ?4)",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  bind_text (stmt, 3, status);
  bind_text (stmt, 4, citizen);
  bind_text (stmt, 5, device);
  sqlite3_bind_int64 (stmt, 6, answered_at);
  sqlite3_bind_int (stmt, 7, count_pin_attempt ? 1 : 0);
  sqlite3_bind_int (stmt, 8, (int) max_pin_attempts);
  if (!step_done (self, stmt, "update auth request", error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    return TRUE;
  *changed = TRUE;

  if (next_seq (self, error) < 0)
    return FALSE;

  /* A PIN that can no longer be used leaves the outbox. */
  stmt = prepare (self,
                  "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                  " WHERE activation = ?1 AND redacted_body IS NOT NULL"
                  "  AND (SELECT status FROM auth_requests WHERE id = ?1) != 'pending'",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  return step_done (self, stmt, "redact pin", error);
}

static gboolean
clave_sqlite_store_update_auth_request (ClaveStore  *store,
                                        const char  *id,
                                        const char  *status,
                                        const char  *citizen,
                                        const char  *device,
                                        gint64       answered_at,
                                        gboolean     count_pin_attempt,
                                        guint        max_pin_attempts,
                                        gboolean    *changed,
                                        GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  if (!begin (self, error))
    return FALSE;
  if (!change_auth_request (self, id, status, citizen, device, answered_at, count_pin_attempt,
                            max_pin_attempts, changed, error))
    {
      *changed = FALSE;
      return rollback (self);
    }
  if (!*changed)
    {
      rollback (self);
      return TRUE;
    }
  return commit (self, error);
}

/* Inside the transaction of clave_store_answer_auth_requests(): one
 * answer, all of it or nothing (a savepoint). FALSE only when even the
 * savepoint cannot be undone: the transaction is then lost. */
/* Inside a transaction: whether the device @id is still active. */
static gboolean
device_is_active (ClaveSqliteStore  *self,
                  const char        *id,
                  gboolean          *active,
                  GError           **error)
{
  sqlite3_stmt *stmt = prepare (self,
                                "SELECT 1 FROM devices WHERE id = ?1"
                                " AND deactivated_at IS NULL AND public_key IS NOT NULL",
                                error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (self, error, "look up device");
  *active = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
answer_one (ClaveSqliteStore *self,
            ClaveAuthAnswer  *answer)
{
  gboolean fresh = FALSE;
  gboolean changed = FALSE;
  gboolean active = FALSE;

  if (!exec (self, "SAVEPOINT answer", &answer->error))
    return FALSE;

  /* The signature was checked against the device before the answer
   * queued (clave-device-auth.c); a device deactivated since (a stolen
   * one, just replaced) answers nothing. */
  if (device_is_active (self, answer->device_id, &active, &answer->error) && !active)
    {
      answer->result = CLAVE_AUTH_ANSWER_DEVICE_GONE;
      return exec (self, "RELEASE answer", NULL);
    }
  if (answer->error != NULL)
    {
      answer->result = CLAVE_AUTH_ANSWER_FAILED;
      return exec (self, "ROLLBACK TO answer", NULL) && exec (self, "RELEASE answer", NULL);
    }

  if (insert_nonce (self, answer->device_id, answer->nonce, answer->now, &fresh,
                    &answer->error) &&
      (!fresh || answer->request_id == NULL ||
       change_auth_request (self, answer->request_id, answer->status, answer->citizen, NULL,
                            answer->now, FALSE, 0, &changed, &answer->error)))
    {
      answer->result = !fresh ? CLAVE_AUTH_ANSWER_REPLAYED
                       : changed || answer->request_id == NULL ? CLAVE_AUTH_ANSWER_DONE
                       : CLAVE_AUTH_ANSWER_NOT_PENDING;
      return exec (self, "RELEASE answer", NULL);
    }

  answer->result = CLAVE_AUTH_ANSWER_FAILED;
  return exec (self, "ROLLBACK TO answer", NULL) && exec (self, "RELEASE answer", NULL);
}

static gboolean
clave_sqlite_store_answer_auth_requests (ClaveStore       *store,
                                         ClaveAuthAnswer  *answers,
                                         guint             n_answers,
                                         GError          **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  gboolean ok = TRUE;

  for (guint i = 0; i < n_answers; i++)
    {
      answers[i].result = CLAVE_AUTH_ANSWER_FAILED;
      answers[i].error = NULL;
    }
  if (n_answers == 0)
    return TRUE;

  if (!begin (self, error))
    return FALSE;
  if (!purge_nonces (self, answers[0].now - CLAVE_NONCE_KEEP_SECS, error))
    return rollback (self);
  for (guint i = 0; ok && i < n_answers; i++)
    ok = answer_one (self, &answers[i]);
  if (!ok)
    g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED,
                 "answer auth requests: %s", sqlite3_errmsg (self->db));
  if (!ok || !commit (self, error))
    {
      rollback (self);
      for (guint i = 0; i < n_answers; i++)
        {
          answers[i].result = CLAVE_AUTH_ANSWER_FAILED;
          g_clear_error (&answers[i].error);
        }
      return FALSE;
    }
  return TRUE;
}

static gboolean
clave_sqlite_store_purge_auth_requests (ClaveStore  *store,
                                        gint64       created_before,
                                        guint        max_rows,
                                        guint       *purged,
                                        GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  *purged = 0;
  /* Called every few seconds: looking first takes no write lock. */
  if (!any_row (self, "SELECT 1 FROM auth_requests WHERE created_at < ?1 LIMIT 1",
                created_before, &found, error))
    return FALSE;
  if (!found)
    return TRUE;

  /* Oldest first, a bounded number at a time: the main loop waits for
   * this statement (secure_delete overwrites every row it deletes). */
  stmt = prepare (self,
                  "DELETE FROM auth_requests WHERE rowid IN"
                  " (SELECT rowid FROM auth_requests WHERE created_at < ?1"
                  "  ORDER BY created_at LIMIT ?2)",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, created_before);
  sqlite3_bind_int64 (stmt, 2, max_rows);
  if (!step_done (self, stmt, "purge auth requests", error))
    return FALSE;
  *purged = (guint) sqlite3_changes (self->db);
  return TRUE;
}

static void
clave_sqlite_store_finalize (GObject *object)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (object);

  close_database (self);
  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (clave_sqlite_store_parent_class)->finalize (object);
}

static void
clave_sqlite_store_class_init (ClaveSqliteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = clave_sqlite_store_finalize;
}

static void
clave_sqlite_store_iface_init (ClaveStoreInterface *iface)
{
  iface->put_identity = clave_sqlite_store_put_identity;
  iface->get_identity = clave_sqlite_store_get_identity;
  iface->put_citizen = clave_sqlite_store_put_citizen;
  iface->get_citizen = clave_sqlite_store_get_citizen;
  iface->add_identify_failure = clave_sqlite_store_add_identify_failure;
  iface->list_identify_failures = clave_sqlite_store_list_identify_failures;
  iface->touch_known_source = clave_sqlite_store_touch_known_source;
  iface->get_known_source = clave_sqlite_store_get_known_source;
  iface->create_activation = clave_sqlite_store_create_activation;
  iface->get_activation = clave_sqlite_store_get_activation;
  iface->store_code = clave_sqlite_store_store_code;
  iface->list_sms_sends = clave_sqlite_store_list_sms_sends;
  iface->record_wrong_code = clave_sqlite_store_record_wrong_code;
  iface->list_wrong_codes = clave_sqlite_store_list_wrong_codes;
  iface->set_activation_state = clave_sqlite_store_set_activation_state;
  iface->register_device = clave_sqlite_store_register_device;
  iface->get_device = clave_sqlite_store_get_device;
  iface->list_devices = clave_sqlite_store_list_devices;
  iface->deactivate_device = clave_sqlite_store_deactivate_device;
  iface->use_nonce = clave_sqlite_store_use_nonce;
  iface->list_outbox = clave_sqlite_store_list_outbox;
  iface->set_outbox_status = clave_sqlite_store_set_outbox_status;
  iface->redact_expired_codes = clave_sqlite_store_redact_expired_codes;
  iface->purge = clave_sqlite_store_purge;
  iface->get_citizen_by_phone = clave_sqlite_store_get_citizen_by_phone;
  iface->create_challenge = clave_sqlite_store_create_challenge;
  iface->list_challenges = clave_sqlite_store_list_challenges;
  iface->use_challenge = clave_sqlite_store_use_challenge;
  iface->create_registration = clave_sqlite_store_create_registration;
  iface->get_registration = clave_sqlite_store_get_registration;
  iface->complete_registration = clave_sqlite_store_complete_registration;
  iface->add_relying_party = clave_sqlite_store_add_relying_party;
  iface->list_relying_parties = clave_sqlite_store_list_relying_parties;
  iface->create_auth_request = clave_sqlite_store_create_auth_request;
  iface->get_auth_request = clave_sqlite_store_get_auth_request;
  iface->list_pending_auth_requests = clave_sqlite_store_list_pending_auth_requests;
  iface->list_history = clave_sqlite_store_list_history;
  iface->list_expired_auth_requests = clave_sqlite_store_list_expired_auth_requests;
  iface->update_auth_request = clave_sqlite_store_update_auth_request;
  iface->get_relying_party = clave_sqlite_store_get_relying_party;
  iface->get_relying_party_by_key_hash = clave_sqlite_store_get_relying_party_by_key_hash;
  iface->get_demo_relying_party = clave_sqlite_store_get_demo_relying_party;
  iface->answer_auth_requests = clave_sqlite_store_answer_auth_requests;
  iface->purge_auth_requests = clave_sqlite_store_purge_auth_requests;
  iface->close = clave_sqlite_store_close;
}

static void
clave_sqlite_store_init (ClaveSqliteStore *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                            finalize_statement);
}
