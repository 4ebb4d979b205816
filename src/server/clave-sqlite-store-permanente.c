/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: Cl@ve Permanente. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-sqlite-store-private.h"

/* The person's activations in progress end, their codes redacted. */
static gboolean
replace_pending_activations (ClaveSqliteStore  *self,
                             const char        *document,
                             GError           **error)
{
  return _clave_sqlite_replace_pending (self,
                                        "UPDATE sms_outbox"
                                        " SET body = redacted_body, redacted_body = NULL"
                                        " WHERE redacted_body IS NOT NULL AND activation IN"
                                        "  (SELECT id FROM permanente_activations"
                                        "   WHERE document = ?1"
                                        "   AND state IN ('pending', 'verified'))",
                                        "UPDATE permanente_activations SET state = 'replaced'"
                                        " WHERE document = ?1"
                                        " AND state IN ('pending', 'verified')",
                                        document, error);
}

ClavePermanenteRecord *
clave_sqlite_store_get_permanente (ClaveStore  *store,
                                   const char  *document,
                                   GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClavePermanenteRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT document, code_hmac, code_created_at, code_expires_at,"
                                "       code_attempts, password_hash, password_set_at,"
                                "       password_attempts, created_at"
                                " FROM permanente WHERE document = ?1",
                                error);
  if (stmt == NULL)
    return NULL;
  _clave_sqlite_bind_text (stmt, 1, document);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      record = g_new0 (ClavePermanenteRecord, 1);
      record->document = _clave_sqlite_column_text (stmt, 0);
      record->code_hmac = _clave_sqlite_column_text (stmt, 1);
      record->code_created_at = sqlite3_column_int64 (stmt, 2);
      record->code_expires_at = sqlite3_column_int64 (stmt, 3);
      record->code_attempts = (guint) sqlite3_column_int64 (stmt, 4);
      record->password_hash = _clave_sqlite_column_text (stmt, 5);
      record->password_set_at = sqlite3_column_int64 (stmt, 6);
      record->password_attempts = (guint) sqlite3_column_int64 (stmt, 7);
      record->created_at = sqlite3_column_int64 (stmt, 8);
    }
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get permanente");
  sqlite3_reset (stmt);
  return record;
}

gboolean
clave_sqlite_store_put_permanente_code (ClaveStore  *store,
                                        const char  *document,
                                        const char  *code_hmac,
                                        gint64       expires_at,
                                        gint64       now,
                                        GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* Only a registered citizen: nothing is written for another document. */
  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO permanente (document, code_hmac, code_created_at,"
                                "                        code_expires_at, code_attempts,"
                                "                        created_at)"
                                " SELECT document, ?2, ?4, ?3, 0, ?4 FROM citizens"
                                " WHERE document = ?1"
                                " ON CONFLICT (document) DO UPDATE SET"
                                "  code_hmac = excluded.code_hmac,"
                                "  code_created_at = excluded.code_created_at,"
                                "  code_expires_at = excluded.code_expires_at,"
                                "  code_attempts = 0",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  _clave_sqlite_bind_text (stmt, 2, code_hmac);
  sqlite3_bind_int64 (stmt, 3, expires_at);
  sqlite3_bind_int64 (stmt, 4, now);
  if (!_clave_sqlite_step_done (self, stmt, "put permanente code", error) ||
      !_clave_sqlite_check_changed (self, "put permanente code", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

/* Runs @sql (an UPDATE … RETURNING the new count, ?1 the document) in a
 * transaction; NOT_FOUND when it changed no row. */
static gboolean
count_attempt (ClaveSqliteStore  *self,
               const char        *sql,
               const char        *document,
               const char        *what,
               guint             *attempts,
               GError           **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;
  stmt = _clave_sqlite_prepare (self, sql, error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND, "%s: nothing to count",
                   what);
      return _clave_sqlite_rollback (self);
    }
  if (rc == SQLITE_ROW)
    {
      *attempts = (guint) sqlite3_column_int64 (stmt, 0);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, what);
      sqlite3_reset (stmt);
      return _clave_sqlite_rollback (self);
    }
  sqlite3_reset (stmt);
  return _clave_sqlite_commit (self, error);
}

gboolean
clave_sqlite_store_count_permanente_code_attempt (ClaveStore  *store,
                                                  const char  *document,
                                                  guint       *attempts,
                                                  GError     **error)
{
  return count_attempt (CLAVE_SQLITE_STORE (store),
                        "UPDATE permanente SET code_attempts = code_attempts + 1"
                        " WHERE document = ?1 AND code_hmac IS NOT NULL"
                        " RETURNING code_attempts",
                        document, "count permanente code attempt", attempts, error);
}

gboolean
clave_sqlite_store_count_permanente_password_attempt (ClaveStore  *store,
                                                      const char  *document,
                                                      guint       *attempts,
                                                      GError     **error)
{
  return count_attempt (CLAVE_SQLITE_STORE (store),
                        "UPDATE permanente SET password_attempts = password_attempts + 1"
                        " WHERE document = ?1 AND password_hash IS NOT NULL"
                        " RETURNING password_attempts",
                        document, "count permanente password attempt", attempts, error);
}

gboolean
clave_sqlite_store_set_permanente_password (ClaveStore  *store,
                                            const char  *document,
                                            const char  *password_hash,
                                            gint64       now,
                                            GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE permanente SET password_hash = ?2, password_set_at = ?3,"
                                "  password_attempts = 0"
                                " WHERE document = ?1 AND password_hash IS NOT NULL",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  _clave_sqlite_bind_text (stmt, 2, password_hash);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!_clave_sqlite_step_done (self, stmt, "set permanente password", error) ||
      !_clave_sqlite_check_changed (self, "set permanente password", error))
    return _clave_sqlite_rollback (self);
  return _clave_sqlite_commit (self, error);
}

gboolean
clave_sqlite_store_delete_permanente (ClaveStore  *store,
                                      const char  *document,
                                      GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;
  if (!replace_pending_activations (self, document, error))
    return _clave_sqlite_rollback (self);
  stmt = _clave_sqlite_prepare (self, "DELETE FROM permanente WHERE document = ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  if (!_clave_sqlite_step_done (self, stmt, "delete permanente", error) ||
      !_clave_sqlite_check_changed (self, "delete permanente", error))
    return _clave_sqlite_rollback (self);
  return _clave_sqlite_commit (self, error);
}

gboolean
clave_sqlite_store_create_permanente_activation (ClaveStore                   *store,
                                                 const ClaveActivationRecord  *record,
                                                 GError                      **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  if (!replace_pending_activations (self, record->document, error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO permanente_activations (id, token_hash, document,"
                                "  created_at, expires_at, state)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, record->id);
  _clave_sqlite_bind_text (stmt, 2, record->token_hash);
  _clave_sqlite_bind_text (stmt, 3, record->document);
  sqlite3_bind_int64 (stmt, 4, record->created_at);
  sqlite3_bind_int64 (stmt, 5, record->expires_at);
  _clave_sqlite_bind_text (stmt, 6, clave_activation_state_to_string (record->state));
  if (!_clave_sqlite_step_done (self, stmt, "create permanente activation", error))
    return _clave_sqlite_rollback (self);
  return _clave_sqlite_commit (self, error);
}

ClaveActivationRecord *
clave_sqlite_store_get_permanente_activation (ClaveStore  *store,
                                              const char  *id,
                                              GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveActivationRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT id, token_hash, document, created_at, expires_at, state,"
                                "       code_hmac, code_expires_at, attempts, sends, last_sent_at"
                                " FROM permanente_activations WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return NULL;
  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    record = _clave_sqlite_read_activation (stmt);
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get permanente activation");
  sqlite3_reset (stmt);
  return record;
}

gboolean
clave_sqlite_store_set_permanente_activation_state (ClaveStore            *store,
                                                    const char            *id,
                                                    ClaveActivationState   state,
                                                    GError               **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;
  stmt = _clave_sqlite_prepare (self, "UPDATE permanente_activations SET state = ?2 WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, id);
  _clave_sqlite_bind_text (stmt, 2, clave_activation_state_to_string (state));
  if (!_clave_sqlite_step_done (self, stmt, "set permanente activation state", error) ||
      !_clave_sqlite_check_changed (self, "set permanente activation state", error))
    return _clave_sqlite_rollback (self);
  if (state != CLAVE_ACTIVATION_PENDING && !_clave_sqlite_redact_codes_of (self, id, error))
    return _clave_sqlite_rollback (self);
  return _clave_sqlite_commit (self, error);
}

gboolean
clave_sqlite_store_activate_permanente (ClaveStore  *store,
                                        const char  *activation_id,
                                        const char  *password_hash,
                                        gint64       now,
                                        GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE permanente_activations SET state = 'used'"
                                " WHERE id = ?1 AND state = 'verified'",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, activation_id);
  if (!_clave_sqlite_step_done (self, stmt, "use permanente activation", error) ||
      !_clave_sqlite_check_changed (self, "use permanente activation", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE permanente SET password_hash = ?2, password_set_at = ?3,"
                                "  password_attempts = 0, code_hmac = NULL, code_attempts = 0"
                                " WHERE document = (SELECT document FROM permanente_activations"
                                "                   WHERE id = ?1)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, activation_id);
  _clave_sqlite_bind_text (stmt, 2, password_hash);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!_clave_sqlite_step_done (self, stmt, "activate permanente", error) ||
      !_clave_sqlite_check_changed (self, "activate permanente", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}
