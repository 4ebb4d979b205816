/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: registrations by video identification. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-sqlite-store-private.h"

#define VIDEO_COLUMNS "id, token_hash, document, phone, email, created_at, expires_at, state," \
                      " code_hmac, code_expires_at, attempts, sends, last_sent_at," \
                      " submitted_at, decided_at, operator, reason"

static ClaveVideoRecord *
read_video (sqlite3_stmt *stmt)
{
  ClaveVideoRecord *record = g_new0 (ClaveVideoRecord, 1);
  g_autofree char *state = NULL;
  int parsed;

  record->id = _clave_sqlite_column_text (stmt, 0);
  record->token_hash = _clave_sqlite_column_text (stmt, 1);
  record->document = _clave_sqlite_column_text (stmt, 2);
  record->phone = _clave_sqlite_column_text (stmt, 3);
  record->email = _clave_sqlite_column_text (stmt, 4);
  record->created_at = sqlite3_column_int64 (stmt, 5);
  record->expires_at = sqlite3_column_int64 (stmt, 6);
  state = _clave_sqlite_column_text (stmt, 7);
  parsed = clave_video_state_from_string (state);
  /* An unknown state counts as replaced: it opens nothing. */
  record->state = parsed < 0 ? CLAVE_VIDEO_REPLACED : (ClaveVideoState) parsed;
  _clave_sqlite_read_code_state (stmt, 8, &record->code);
  record->submitted_at = sqlite3_column_int64 (stmt, 13);
  record->decided_at = sqlite3_column_int64 (stmt, 14);
  record->operator = _clave_sqlite_column_text (stmt, 15);
  record->reason = _clave_sqlite_column_text (stmt, 16);
  return record;
}

gboolean
clave_sqlite_store_create_video (ClaveStore              *store,
                                 const ClaveVideoRecord  *record,
                                 GError                 **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* The document's unfinished ones end, their codes redacted. */
  if (!_clave_sqlite_replace_pending (self,
                                      "UPDATE sms_outbox"
                                      " SET body = redacted_body, redacted_body = NULL"
                                      " WHERE redacted_body IS NOT NULL AND activation IN"
                                      "  (SELECT id FROM video_registrations"
                                      "   WHERE document = ?1"
                                      "   AND state IN ('phone', 'capturing'))",
                                      "UPDATE video_registrations SET state = 'replaced'"
                                      " WHERE document = ?1"
                                      " AND state IN ('phone', 'capturing')",
                                      record->document, error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO video_registrations (id, token_hash, document, phone,"
                                "                                 email, created_at, expires_at,"
                                "                                 state)"
                                " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8"
                                " WHERE NOT EXISTS (SELECT 1 FROM video_registrations"
                                "                   WHERE document = ?3 AND state = 'pending')",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, record->id);
  _clave_sqlite_bind_text (stmt, 2, record->token_hash);
  _clave_sqlite_bind_text (stmt, 3, record->document);
  _clave_sqlite_bind_text (stmt, 4, record->phone);
  _clave_sqlite_bind_text (stmt, 5, record->email);
  sqlite3_bind_int64 (stmt, 6, record->created_at);
  sqlite3_bind_int64 (stmt, 7, record->expires_at);
  _clave_sqlite_bind_text (stmt, 8, clave_video_state_to_string (record->state));
  if (!_clave_sqlite_step_done (self, stmt, "create video registration", error))
    return _clave_sqlite_rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                   "create video registration: one is pending review");
      return _clave_sqlite_rollback (self);
    }

  return _clave_sqlite_commit (self, error);
}

ClaveVideoRecord *
clave_sqlite_store_get_video (ClaveStore  *store,
                              const char  *id,
                              GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveVideoRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT " VIDEO_COLUMNS " FROM video_registrations WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return NULL;
  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    record = read_video (stmt);
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get video registration");
  sqlite3_reset (stmt);
  return record;
}

gboolean
clave_sqlite_store_set_video_state (ClaveStore       *store,
                                    const char       *id,
                                    ClaveVideoState   from,
                                    ClaveVideoState   to,
                                    gint64            now,
                                    GError          **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE video_registrations SET state = ?3,"
                                "  submitted_at = CASE WHEN ?3 = 'pending' THEN ?4"
                                "                 ELSE submitted_at END"
                                " WHERE id = ?1 AND state = ?2",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, id);
  _clave_sqlite_bind_text (stmt, 2, clave_video_state_to_string (from));
  _clave_sqlite_bind_text (stmt, 3, clave_video_state_to_string (to));
  sqlite3_bind_int64 (stmt, 4, now);
  if (!_clave_sqlite_step_done (self, stmt, "set video registration state", error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                   "set video registration state: not %s",
                   clave_video_state_to_string (from));
      return FALSE;
    }
  return TRUE;
}

gboolean
clave_sqlite_store_decide_video (ClaveStore          *store,
                                 const char          *id,
                                 const ClaveCitizen  *citizen,
                                 const char          *operator_name,
                                 const char          *reason,
                                 gint64               now,
                                 GError             **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE video_registrations SET state = ?2, decided_at = ?3,"
                                "  operator = ?4, reason = ?5"
                                " WHERE id = ?1 AND state = 'pending'",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, id);
  _clave_sqlite_bind_text (stmt, 2, citizen != NULL ? "approved" : "rejected");
  sqlite3_bind_int64 (stmt, 3, now);
  _clave_sqlite_bind_text (stmt, 4, operator_name);
  _clave_sqlite_bind_text (stmt, 5, reason);
  if (!_clave_sqlite_step_done (self, stmt, "decide video registration", error))
    return _clave_sqlite_rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                   "decide video registration: not pending review");
      return _clave_sqlite_rollback (self);
    }

  if (citizen != NULL)
    {
      /* Never an upsert: the person or the phone registered meanwhile is a
       * conflict. */
      stmt = _clave_sqlite_prepare (self,
                                    "INSERT INTO citizens (document, phone, email, level,"
                                    "                      channel, created_at)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                    error);
      if (stmt == NULL)
        return _clave_sqlite_rollback (self);
      _clave_sqlite_bind_text (stmt, 1, citizen->document);
      _clave_sqlite_bind_text (stmt, 2, citizen->phone);
      _clave_sqlite_bind_text (stmt, 3, citizen->email);
      _clave_sqlite_bind_text (stmt, 4, citizen->level);
      _clave_sqlite_bind_text (stmt, 5, citizen->channel);
      sqlite3_bind_int64 (stmt, 6, citizen->created_at);
      if (!_clave_sqlite_step_done (self, stmt, "add citizen", error))
        return _clave_sqlite_rollback (self);
    }

  return _clave_sqlite_commit (self, error);
}

GPtrArray *
clave_sqlite_store_list_videos (ClaveStore  *store,
                                int          state,
                                GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(GPtrArray) records =
    g_ptr_array_new_with_free_func ((GDestroyNotify) clave_video_record_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT " VIDEO_COLUMNS " FROM video_registrations"
                                " WHERE ?1 IS NULL OR state = ?1"
                                " ORDER BY created_at, id",
                                error);
  if (stmt == NULL)
    return NULL;
  _clave_sqlite_bind_text (stmt, 1, state >= 0 ? clave_video_state_to_string (state) : NULL);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, read_video (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "list video registrations");
      return NULL;
    }
  return g_steal_pointer (&records);
}
