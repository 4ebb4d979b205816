/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: changes of a citizen's contact data (the phone). */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-sqlite-store-private.h"

gboolean
clave_sqlite_store_create_phone_change (ClaveStore                    *store,
                                        const ClavePhoneChangeRecord  *record,
                                        GError                       **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* One change in progress per citizen: the codes of the others go. */
  if (!_clave_sqlite_replace_pending (self,
                                      "UPDATE sms_outbox"
                                      " SET body = redacted_body, redacted_body = NULL"
                                      " WHERE redacted_body IS NOT NULL AND activation IN"
                                      "  (SELECT id FROM phone_changes"
                                      "   WHERE document = ?1 AND state = 'pending')",
                                      "UPDATE phone_changes SET state = 'replaced'"
                                      " WHERE document = ?1 AND state = 'pending'",
                                      record->document, error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO phone_changes (id, document, phone, created_at,"
                                "                           expires_at, state)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, record->id);
  _clave_sqlite_bind_text (stmt, 2, record->document);
  _clave_sqlite_bind_text (stmt, 3, record->phone);
  sqlite3_bind_int64 (stmt, 4, record->created_at);
  sqlite3_bind_int64 (stmt, 5, record->expires_at);
  _clave_sqlite_bind_text (stmt, 6, clave_registration_state_to_string (record->state));
  if (!_clave_sqlite_step_done (self, stmt, "create phone change", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

ClavePhoneChangeRecord *
clave_sqlite_store_get_phone_change (ClaveStore  *store,
                                     const char  *id,
                                     GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClavePhoneChangeRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT id, document, phone, created_at, expires_at, state,"
                                "       code_hmac, code_expires_at, attempts, sends, last_sent_at"
                                " FROM phone_changes WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      int state = clave_registration_state_from_string ((const char *) sqlite3_column_text (stmt, 5));

      record = g_new0 (ClavePhoneChangeRecord, 1);
      record->id = _clave_sqlite_column_text (stmt, 0);
      record->document = _clave_sqlite_column_text (stmt, 1);
      record->phone = _clave_sqlite_column_text (stmt, 2);
      record->created_at = sqlite3_column_int64 (stmt, 3);
      record->expires_at = sqlite3_column_int64 (stmt, 4);
      /* An unreadable state must never open a door. */
      record->state = state >= 0 ? (ClaveRegistrationState) state : CLAVE_REGISTRATION_LOCKED;
      _clave_sqlite_read_code_state (stmt, 6, &record->code);
    }
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get phone change");
  sqlite3_reset (stmt);
  return record;
}

gboolean
clave_sqlite_store_complete_phone_change (ClaveStore  *store,
                                          const char  *id,
                                          const char  *old_phone,
                                          const char  *notice,
                                          gint64       now,
                                          gint64      *notice_id,
                                          GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE phone_changes SET state = 'used'"
                                " WHERE id = ?1 AND state = 'pending'",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, id);
  if (!_clave_sqlite_step_done (self, stmt, "use phone change", error) ||
      !_clave_sqlite_check_changed (self, "use phone change", error))
    return _clave_sqlite_rollback (self);

  /* The phone's uniqueness among citizens says whether somebody took it
   * meanwhile (CONFLICT). */
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE citizens SET phone ="
                                "  (SELECT phone FROM phone_changes WHERE id = ?1)"
                                " WHERE document = (SELECT document FROM phone_changes"
                                "                   WHERE id = ?1)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, id);
  if (!_clave_sqlite_step_done (self, stmt, "change phone", error) ||
      !_clave_sqlite_check_changed (self, "change phone", error))
    return _clave_sqlite_rollback (self);

  if (!_clave_sqlite_redact_codes_of (self, id, error))
    return _clave_sqlite_rollback (self);

  /* Activations in progress sent their codes to the old number, which
   * may be a lost or stolen phone: they end here. */
  if (!_clave_sqlite_replace_pending (self,
                                      "UPDATE sms_outbox"
                                      " SET body = redacted_body, redacted_body = NULL"
                                      " WHERE redacted_body IS NOT NULL AND activation IN"
                                      "  (SELECT id FROM activations"
                                      "   WHERE citizen = (SELECT document FROM phone_changes"
                                      "                    WHERE id = ?1)"
                                      "   AND state IN ('pending', 'verified'))",
                                      "UPDATE activations SET state = 'replaced'"
                                      " WHERE citizen = (SELECT document FROM phone_changes"
                                      "                  WHERE id = ?1)"
                                      " AND state IN ('pending', 'verified')",
                                      id, error))
    return _clave_sqlite_rollback (self);

  /* A notice, not a code: it counts for no limit. */
  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO sms_outbox (phone, body, created_at, status)"
                                " VALUES (?1, ?2, ?3, 'queued')",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, old_phone);
  _clave_sqlite_bind_text (stmt, 2, notice);
  sqlite3_bind_int64 (stmt, 3, now);
  if (!_clave_sqlite_step_done (self, stmt, "queue phone notice", error))
    return _clave_sqlite_rollback (self);
  if (notice_id != NULL)
    *notice_id = sqlite3_last_insert_rowid (self->db);

  return _clave_sqlite_commit (self, error);
}
