/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: devices and the nonces of their signatures. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-limits.h"
#include "clave-sqlite-store-private.h"

/* Devices ------------------------------------------------------------- */

gboolean
clave_sqlite_store_register_device (ClaveStore              *store,
                                    const char              *activation_id,
                                    const ClaveDeviceRecord *device,
                                    GError                 **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* The state condition makes a second registration with the same
   * activation fail even if two requests race. */
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE activations SET state = 'used'"
                                " WHERE id = ?1 AND citizen = ?2 AND state = 'verified'",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, activation_id);
  _clave_sqlite_bind_text (stmt, 2, device->document);
  if (!_clave_sqlite_step_done (self, stmt, "use activation", error))
    return _clave_sqlite_rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                   "The activation is not verified");
      return _clave_sqlite_rollback (self);
    }

  /* One active device per citizen: the previous one stops working now. */
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE devices SET deactivated_at = ?2, public_key = NULL, "
                                "push_key = NULL"
                                " WHERE citizen = ?1 AND deactivated_at IS NULL",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, device->document);
  sqlite3_bind_int64 (stmt, 2, device->created_at);
  if (!_clave_sqlite_step_done (self, stmt, "deactivate previous devices", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO devices (id, citizen, public_key, name, created_at, "
                                "push_key)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, device->id);
  _clave_sqlite_bind_text (stmt, 2, device->document);
  sqlite3_bind_blob (stmt, 3, g_bytes_get_data (device->public_key, NULL),
                     (int) g_bytes_get_size (device->public_key), SQLITE_TRANSIENT);
  _clave_sqlite_bind_text (stmt, 4, device->name);
  sqlite3_bind_int64 (stmt, 5, device->created_at);
  if (device->push_key != NULL)
    sqlite3_bind_blob (stmt, 6, g_bytes_get_data (device->push_key, NULL),
                       (int) g_bytes_get_size (device->push_key), SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 6);
  if (!_clave_sqlite_step_done (self, stmt, "insert device", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

static ClaveDeviceRecord *
device_from_row (sqlite3_stmt *stmt)
{
  ClaveDeviceRecord *record = g_new0 (ClaveDeviceRecord, 1);

  record->id = _clave_sqlite_column_text (stmt, 0);
  record->document = _clave_sqlite_column_text (stmt, 1);
  if (sqlite3_column_type (stmt, 2) == SQLITE_BLOB)
    record->public_key = g_bytes_new (sqlite3_column_blob (stmt, 2),
                                      (gsize) sqlite3_column_bytes (stmt, 2));
  record->name = _clave_sqlite_column_text (stmt, 3);
  record->created_at = sqlite3_column_int64 (stmt, 4);
  record->deactivated_at = sqlite3_column_int64 (stmt, 5);
  if (sqlite3_column_type (stmt, 6) == SQLITE_BLOB)
    record->push_key = g_bytes_new (sqlite3_column_blob (stmt, 6),
                                    (gsize) sqlite3_column_bytes (stmt, 6));
  return record;
}

ClaveDeviceRecord *
clave_sqlite_store_get_device (ClaveStore  *store,
                               const char  *id,
                               GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveDeviceRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT id, citizen, public_key, name, created_at, IFNULL "
                                "(deactivated_at, 0), push_key"
                                " FROM devices WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    record = device_from_row (stmt);
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get device");
  sqlite3_reset (stmt);
  return record;
}

GPtrArray *
clave_sqlite_store_list_devices (ClaveStore  *store,
                                 const char  *document,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_device_record_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT id, citizen, public_key, name, created_at, IFNULL "
                                "(deactivated_at, 0), push_key"
                                " FROM devices WHERE citizen = ?1 ORDER BY created_at DESC, rowid "
                                "DESC",
                                error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, document);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (devices, device_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "list devices");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&devices);
}

gboolean
clave_sqlite_store_deactivate_device (ClaveStore  *store,
                                      const char  *id,
                                      gint64       now,
                                      GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE devices SET deactivated_at = IFNULL (deactivated_at, ?2),"
                                "  public_key = NULL, push_key = NULL"
                                " WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return FALSE;

  _clave_sqlite_bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, now);
  return _clave_sqlite_step_done (self, stmt, "deactivate device", error) &&
         _clave_sqlite_check_changed (self, "deactivate device", error);
}

/* Inside a transaction: forgets the nonces of signatures that can no
 * longer be accepted. */
gboolean
_clave_sqlite_purge_nonces (ClaveSqliteStore  *self,
                            gint64             before,
                            GError           **error)
{
  sqlite3_stmt *stmt = _clave_sqlite_prepare (self, "DELETE FROM nonces WHERE created_at < ?1",
                                              error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, before);
  return _clave_sqlite_step_done (self, stmt, "purge nonces", error);
}

/* Inside a transaction: remembers @nonce; @fresh is FALSE when it was
 * there already. */
gboolean
_clave_sqlite_insert_nonce (ClaveSqliteStore  *self,
                            const char        *device_id,
                            const char        *nonce,
                            gint64             now,
                            gboolean          *fresh,
                            GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO nonces (device, nonce, created_at) VALUES (?1, ?2, ?3)"
                                " ON CONFLICT DO NOTHING",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, device_id);
  _clave_sqlite_bind_text (stmt, 2, nonce);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!_clave_sqlite_step_done (self, stmt, "use nonce", error))
    return FALSE;
  *fresh = sqlite3_changes (self->db) == 1;
  return TRUE;
}

gboolean
clave_sqlite_store_use_nonce (ClaveStore  *store,
                              const char  *device_id,
                              const char  *nonce,
                              gint64       now,
                              gint64       keep_secs,
                              gboolean    *fresh,
                              GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  if (!_clave_sqlite_begin (self, error))
    return FALSE;
  if (!_clave_sqlite_purge_nonces (self, now - keep_secs, error) ||
      !_clave_sqlite_insert_nonce (self, device_id, nonce, now, fresh, error))
    return _clave_sqlite_rollback (self);
  return _clave_sqlite_commit (self, error);
}
