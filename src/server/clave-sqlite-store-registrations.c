/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: citizens by phone, certificate challenges and registrations. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-limits.h"
#include "clave-sqlite-store-private.h"

/* Citizens by phone, challenges and registrations --------------------- */

ClaveCitizen *
clave_sqlite_store_get_citizen_by_phone (ClaveStore  *store,
                                         const char  *phone,
                                         GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autofree char *document = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self, "SELECT document FROM citizens WHERE phone = ?1", error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, phone);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    document = _clave_sqlite_column_text (stmt, 0);
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get citizen by phone");
  sqlite3_reset (stmt);

  if (document == NULL)
    return NULL;
  return clave_sqlite_store_get_citizen (store, document, error);
}

gboolean
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

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO challenges (id, challenge, address, created_at, "
                                "expires_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5)",
                                error);
  if (stmt == NULL)
    return FALSE;

  _clave_sqlite_bind_text (stmt, 1, id);
  _clave_sqlite_bind_text (stmt, 2, challenge);
  _clave_sqlite_bind_text (stmt, 3, address);
  sqlite3_bind_int64 (stmt, 4, now);
  sqlite3_bind_int64 (stmt, 5, expires_at);
  return _clave_sqlite_step_done (self, stmt, "create challenge", error);
}

GArray *
clave_sqlite_store_list_challenges (ClaveStore  *store,
                                    const char  *address,
                                    gint64       since,
                                    GError     **error)
{
  return _clave_sqlite_list_times (CLAVE_SQLITE_STORE (store),
                                   "SELECT created_at FROM challenges"
                                   " WHERE address = ?1 AND created_at >= ?2 ORDER BY created_at",
                                   address, since, "list challenges", error);
}

gboolean
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
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE challenges SET used = 1 WHERE id = ?1 AND used = 0"
                                " RETURNING challenge, expires_at",
                                error);
  if (stmt == NULL)
    return FALSE;

  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      value = _clave_sqlite_column_text (stmt, 0);
      expiry = sqlite3_column_int64 (stmt, 1);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "use challenge");
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);

  *challenge = g_steal_pointer (&value);
  *expires_at = expiry;
  return TRUE;
}

gboolean
clave_sqlite_store_create_registration (ClaveStore                    *store,
                                        const ClaveRegistrationRecord *record,
                                        GError                       **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* One registration in progress per document, like activations. */
  if (!_clave_sqlite_replace_pending (self,
                                      "UPDATE sms_outbox"
                                      " SET body = redacted_body, redacted_body = NULL"
                                      " WHERE redacted_body IS NOT NULL AND activation IN"
                                      "  (SELECT id FROM registrations"
                                      "   WHERE document = ?1 AND state = 'pending')",
                                      "UPDATE registrations SET state = 'replaced'"
                                      " WHERE document = ?1 AND state = 'pending'",
                                      record->document, error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO registrations (id, token_hash, document, phone, "
                                "email, channel,"
                                "                           created_at, expires_at, state)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, record->id);
  _clave_sqlite_bind_text (stmt, 2, record->token_hash);
  _clave_sqlite_bind_text (stmt, 3, record->document);
  _clave_sqlite_bind_text (stmt, 4, record->phone);
  _clave_sqlite_bind_text (stmt, 5, record->email);
  _clave_sqlite_bind_text (stmt, 6, record->channel);
  sqlite3_bind_int64 (stmt, 7, record->created_at);
  sqlite3_bind_int64 (stmt, 8, record->expires_at);
  _clave_sqlite_bind_text (stmt, 9, clave_registration_state_to_string (record->state));
  if (!_clave_sqlite_step_done (self, stmt, "create registration", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

ClaveRegistrationRecord *
clave_sqlite_store_get_registration (ClaveStore  *store,
                                     const char  *id,
                                     GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveRegistrationRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT id, token_hash, document, phone, email, channel, "
                                "created_at,"
                                "       expires_at, state, code_hmac, code_expires_at, attempts, "
                                "sends,"
                                "       last_sent_at"
                                " FROM registrations WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      int state = clave_registration_state_from_string ((const char *) sqlite3_column_text (stmt, 8));

      record = g_new0 (ClaveRegistrationRecord, 1);
      record->id = _clave_sqlite_column_text (stmt, 0);
      record->token_hash = _clave_sqlite_column_text (stmt, 1);
      record->document = _clave_sqlite_column_text (stmt, 2);
      record->phone = _clave_sqlite_column_text (stmt, 3);
      record->email = _clave_sqlite_column_text (stmt, 4);
      record->channel = _clave_sqlite_column_text (stmt, 5);
      record->created_at = sqlite3_column_int64 (stmt, 6);
      record->expires_at = sqlite3_column_int64 (stmt, 7);
      /* An unreadable state must never open a door. */
      record->state = state >= 0 ? (ClaveRegistrationState) state : CLAVE_REGISTRATION_LOCKED;
      _clave_sqlite_read_code_state (stmt, 9, &record->code);
    }
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get registration");
  sqlite3_reset (stmt);
  return record;
}

gboolean
clave_sqlite_store_complete_registration (ClaveStore                  *store,
                                          const char                  *registration_id,
                                          const ClaveCitizen          *citizen,
                                          const ClaveActivationRecord *activation,
                                          GError                     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* The state condition makes a second verify with the same registration
   * fail even if two requests race. */
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE registrations SET state = 'used'"
                                " WHERE id = ?1 AND document = ?2 AND state = 'pending'",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, registration_id);
  _clave_sqlite_bind_text (stmt, 2, citizen->document);
  if (!_clave_sqlite_step_done (self, stmt, "use registration", error))
    return _clave_sqlite_rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                   "The registration is not pending");
      return _clave_sqlite_rollback (self);
    }

  if (!_clave_sqlite_redact_codes_of (self, registration_id, error))
    return _clave_sqlite_rollback (self);

  /* Never an upsert: an existing registration in Cl@ve or a phone of
   * another citizen is a conflict, not something to overwrite. */
  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO citizens (document, phone, email, level, channel, "
                                "created_at)"
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

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO activations (id, token_hash, citizen, created_at, "
                                "expires_at, state)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, activation->id);
  _clave_sqlite_bind_text (stmt, 2, activation->token_hash);
  _clave_sqlite_bind_text (stmt, 3, activation->document);
  sqlite3_bind_int64 (stmt, 4, activation->created_at);
  sqlite3_bind_int64 (stmt, 5, activation->expires_at);
  _clave_sqlite_bind_text (stmt, 6, clave_activation_state_to_string (activation->state));
  if (!_clave_sqlite_step_done (self, stmt, "create activation", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}
