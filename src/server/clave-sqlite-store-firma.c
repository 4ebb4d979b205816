/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: Cl@ve Firma certificates. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-sqlite-store-private.h"

#define FIRMA_COLUMNS "serial, document, holder, issuer, cert_pem, key_box, not_before," \
                      " not_after, issued_at, revoked_at, revoked_by"

static ClaveFirmaRecord *
read_firma (sqlite3_stmt *stmt)
{
  ClaveFirmaRecord *record = g_new0 (ClaveFirmaRecord, 1);

  record->serial = _clave_sqlite_column_text (stmt, 0);
  record->document = _clave_sqlite_column_text (stmt, 1);
  record->holder = _clave_sqlite_column_text (stmt, 2);
  record->issuer = _clave_sqlite_column_text (stmt, 3);
  record->cert_pem = _clave_sqlite_column_text (stmt, 4);
  if (sqlite3_column_type (stmt, 5) == SQLITE_BLOB)
    record->key_box = g_bytes_new (sqlite3_column_blob (stmt, 5),
                                   (gsize) sqlite3_column_bytes (stmt, 5));
  record->not_before = sqlite3_column_int64 (stmt, 6);
  record->not_after = sqlite3_column_int64 (stmt, 7);
  record->issued_at = sqlite3_column_int64 (stmt, 8);
  record->revoked_at = sqlite3_column_int64 (stmt, 9);
  record->revoked_by = _clave_sqlite_column_text (stmt, 10);
  return record;
}

gboolean
clave_sqlite_store_put_firma (ClaveStore              *store,
                              const ClaveFirmaRecord  *record,
                              gint64                   now,
                              GError                 **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  gsize key_len = 0;
  const void *key_data;
  int rc;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* One usable certificate a person: the check and the insert in one
   * (immediate) transaction, so two issuers cannot both pass it. */
  stmt = _clave_sqlite_prepare (self,
                                "SELECT 1 FROM firma_certificates WHERE document = ?1"
                                " AND revoked_at = 0 AND not_after > ?2",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, record->document);
  sqlite3_bind_int64 (stmt, 2, now);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                   "put firma: the person has a valid certificate");
      return _clave_sqlite_rollback (self);
    }
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "put firma");
      return _clave_sqlite_rollback (self);
    }

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO firma_certificates (" FIRMA_COLUMNS ")"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, NULL)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, record->serial);
  _clave_sqlite_bind_text (stmt, 2, record->document);
  _clave_sqlite_bind_text (stmt, 3, record->holder);
  _clave_sqlite_bind_text (stmt, 4, record->issuer);
  _clave_sqlite_bind_text (stmt, 5, record->cert_pem);
  key_data = record->key_box != NULL ? g_bytes_get_data (record->key_box, &key_len) : NULL;
  if (key_data != NULL)
    sqlite3_bind_blob (stmt, 6, key_data, (int) key_len, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 6);
  sqlite3_bind_int64 (stmt, 7, record->not_before);
  sqlite3_bind_int64 (stmt, 8, record->not_after);
  sqlite3_bind_int64 (stmt, 9, record->issued_at);
  if (!_clave_sqlite_step_done (self, stmt, "put firma", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

GPtrArray *
clave_sqlite_store_list_firma (ClaveStore  *store,
                               const char  *document,
                               gboolean     revoked_only,
                               GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_firma_record_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT " FIRMA_COLUMNS " FROM firma_certificates"
                                " WHERE (?1 IS NULL OR document = ?1)"
                                " AND (?2 = 0 OR revoked_at > 0)"
                                " ORDER BY issued_at DESC, serial",
                                error);
  if (stmt == NULL)
    return NULL;
  _clave_sqlite_bind_text (stmt, 1, document);
  sqlite3_bind_int (stmt, 2, revoked_only ? 1 : 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, read_firma (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "list firma");
      return NULL;
    }
  return g_steal_pointer (&records);
}

gboolean
clave_sqlite_store_revoke_firma (ClaveStore  *store,
                                 const char  *document,
                                 const char  *serial,
                                 const char  *revoked_by,
                                 gint64       now,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  gboolean exists = FALSE;
  int rc;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE firma_certificates"
                                " SET revoked_at = ?3, revoked_by = ?4, key_box = NULL"
                                " WHERE document = ?1 AND serial = ?2 AND revoked_at = 0",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  _clave_sqlite_bind_text (stmt, 2, serial);
  sqlite3_bind_int64 (stmt, 3, now);
  _clave_sqlite_bind_text (stmt, 4, revoked_by);
  if (!_clave_sqlite_step_done (self, stmt, "revoke firma", error))
    return _clave_sqlite_rollback (self);
  if (sqlite3_changes (self->db) > 0)
    return _clave_sqlite_commit (self, error);

  stmt = _clave_sqlite_prepare (self,
                                "SELECT 1 FROM firma_certificates WHERE document = ?1 AND serial = ?2",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  _clave_sqlite_bind_text (stmt, 2, serial);
  rc = sqlite3_step (stmt);
  exists = rc == SQLITE_ROW;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "revoke firma");
      return _clave_sqlite_rollback (self);
    }
  g_set_error (error, CLAVE_STORE_ERROR,
               exists ? CLAVE_STORE_ERROR_CONFLICT : CLAVE_STORE_ERROR_NOT_FOUND,
               exists ? "revoke firma: already revoked" : "revoke firma: no such certificate");
  return _clave_sqlite_rollback (self);
}

/* Inside the give-up transaction: the person's certificates are revoked
 * and their keys destroyed; the rows stay for the CRL. */
gboolean
_clave_sqlite_revoke_firma_of (ClaveSqliteStore  *self,
                               const char        *document,
                               gint64             now,
                               GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE firma_certificates"
                                " SET revoked_at = ?2, revoked_by = '" CLAVE_FIRMA_REVOKED_BY_GIVEN_UP "',"
                                "     key_box = NULL"
                                " WHERE document = ?1 AND revoked_at = 0",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, document);
  sqlite3_bind_int64 (stmt, 2, now);
  return _clave_sqlite_step_done (self, stmt, "give up: revoke firma", error);
}
