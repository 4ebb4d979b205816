/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-limits.h"
#include "clave-sqlite-store-private.h"

/* The service writes through two connections, the main loop's and the
 * answer queue's (clave-answer-queue.c), so one often waits for the
 * other's _clave_sqlite_commit. SQLite's own busy handler sleeps 1, 2, 5, 10… ms
 * between tries, which would stall the main loop for longer than the
 * _clave_sqlite_commit it waits for: instead, every write transaction of this process
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

gboolean
_clave_sqlite_set_db_error (ClaveSqliteStore  *self,
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

gboolean
_clave_sqlite_exec (ClaveSqliteStore  *self,
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

sqlite3_stmt *
_clave_sqlite_prepare (ClaveSqliteStore  *self,
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
      _clave_sqlite_set_db_error (self, error, "_clave_sqlite_prepare");
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

void
_clave_sqlite_bind_text (sqlite3_stmt *stmt,
                         int           index,
                         const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

char *
_clave_sqlite_column_text (sqlite3_stmt *stmt,
                           int           index)
{
  const unsigned char *text = sqlite3_column_text (stmt, index);
  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

/* Runs a statement that returns no rows; the statement is reset after. */
gboolean
_clave_sqlite_step_done (ClaveSqliteStore  *self,
                         sqlite3_stmt      *stmt,
                         const char        *what,
                         GError           **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _clave_sqlite_set_db_error (self, error, what);
      sqlite3_reset (stmt);
      write_ended (self);
      return FALSE;
    }
  sqlite3_reset (stmt);
  write_ended (self);
  return TRUE;
}

/* Whether @sql, a query with ?1 = @value, finds a row. */
gboolean
_clave_sqlite_any_row (ClaveSqliteStore  *self,
                       const char        *sql,
                       gint64             value,
                       gboolean          *found,
                       GError           **error)
{
  sqlite3_stmt *stmt = _clave_sqlite_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, value);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _clave_sqlite_set_db_error (self, error, "look up");
  *found = rc == SQLITE_ROW;
  return TRUE;
}

gboolean
_clave_sqlite_begin (ClaveSqliteStore  *self,
                     GError           **error)
{
  /* IMMEDIATE takes the write lock up front, so two processes never both
   * read and then fail to upgrade (busy_timeout handles the waiting). */
  return _clave_sqlite_exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
_clave_sqlite_commit (ClaveSqliteStore  *self,
                      GError           **error)
{
  if (!_clave_sqlite_exec (self, "COMMIT", error))
    {
      _clave_sqlite_exec (self, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

gboolean
_clave_sqlite_rollback (ClaveSqliteStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    _clave_sqlite_exec (self, "ROLLBACK", NULL);
  return FALSE;
}

int
_clave_sqlite_read_user_version (ClaveSqliteStore  *self,
                                 GError           **error)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
    {
      _clave_sqlite_set_db_error (self, error, "user_version");
      return -1;
    }
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  else
    _clave_sqlite_set_db_error (self, error, "user_version");
  sqlite3_finalize (stmt);
  return version;
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
  if (!_clave_sqlite_exec (self, "PRAGMA journal_mode = WAL", error) ||
      !_clave_sqlite_exec (self, "PRAGMA synchronous = FULL", error) ||
      !_clave_sqlite_exec (self, "PRAGMA foreign_keys = ON", error) ||
      !_clave_sqlite_exec (self, "PRAGMA secure_delete = ON", error))
    return FALSE;

  return _clave_sqlite_migrate (self, target, error);
}

ClaveStore *
clave_sqlite_store_new (const char  *path,
                        GError     **error)
{
  g_autoptr(ClaveSqliteStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (CLAVE_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  if (!open_database (self, _clave_sqlite_store_get_latest_version (), error))
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
  g_return_val_if_fail (version >= 1 && version <= _clave_sqlite_store_get_latest_version (), NULL);

  self = g_object_new (CLAVE_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  if (!open_database (self, version, error))
    return NULL;

  return CLAVE_STORE (g_steal_pointer (&self));
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
  iface->list_code_sends = clave_sqlite_store_list_code_sends;
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
  iface->give_up = clave_sqlite_store_give_up;
  iface->change_level = clave_sqlite_store_change_level;
  iface->get_given_up = clave_sqlite_store_get_given_up;
  iface->create_contact_change = clave_sqlite_store_create_contact_change;
  iface->get_contact_change = clave_sqlite_store_get_contact_change;
  iface->complete_contact_change = clave_sqlite_store_complete_contact_change;
  iface->get_permanente = clave_sqlite_store_get_permanente;
  iface->put_permanente_code = clave_sqlite_store_put_permanente_code;
  iface->count_permanente_code_attempt = clave_sqlite_store_count_permanente_code_attempt;
  iface->create_permanente_activation = clave_sqlite_store_create_permanente_activation;
  iface->get_permanente_activation = clave_sqlite_store_get_permanente_activation;
  iface->set_permanente_activation_state = clave_sqlite_store_set_permanente_activation_state;
  iface->activate_permanente = clave_sqlite_store_activate_permanente;
  iface->count_permanente_password_attempt = clave_sqlite_store_count_permanente_password_attempt;
  iface->set_permanente_password = clave_sqlite_store_set_permanente_password;
  iface->delete_permanente = clave_sqlite_store_delete_permanente;
  iface->put_firma = clave_sqlite_store_put_firma;
  iface->list_firma = clave_sqlite_store_list_firma;
  iface->revoke_firma = clave_sqlite_store_revoke_firma;
  iface->create_video = clave_sqlite_store_create_video;
  iface->get_video = clave_sqlite_store_get_video;
  iface->set_video_state = clave_sqlite_store_set_video_state;
  iface->decide_video = clave_sqlite_store_decide_video;
  iface->list_videos = clave_sqlite_store_list_videos;
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
