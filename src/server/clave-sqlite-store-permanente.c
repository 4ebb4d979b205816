/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: Cl@ve Permanente. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-sqlite-store-private.h"

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
