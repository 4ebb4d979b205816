/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: activations, their SMS codes and the outbox. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-limits.h"
#include "clave-sqlite-store-private.h"

/* The SQL that differs between the owners of SMS codes (the statement
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
  [CLAVE_CODE_FLOW_PHONE_CHANGE] = {
    .store_code =
      "UPDATE phone_changes SET code_hmac = ?2, code_expires_at = ?3,"
      "  sends = sends + 1, last_sent_at = ?4"
      " WHERE id = ?1",
    .queue_sms =
      "INSERT INTO sms_outbox (phone, body, created_at, status, citizen, activation,"
      "                        code_expires_at, redacted_body)"
      " SELECT ?1, ?2, ?3, 'queued', document, id, MIN (?5, expires_at), ?6"
      " FROM phone_changes WHERE id = ?4",
    .count_attempt =
      "UPDATE phone_changes SET attempts = attempts + 1,"
      "  state = CASE WHEN attempts + 1 >= ?2 THEN 'locked' ELSE state END"
      " WHERE id = ?1 RETURNING attempts",
    .count_wrong_code =
      "INSERT INTO wrong_codes (citizen, created_at)"
      " SELECT document, ?2 FROM phone_changes WHERE id = ?1",
  },
  [CLAVE_CODE_FLOW_EMAIL_CHANGE] = {
    /* The address goes with its code (?5): a code confirms the address
     * it was sent to, never one typed later. */
    .store_code =
      "UPDATE email_changes SET code_hmac = ?2, code_expires_at = ?3,"
      "  sends = sends + 1, last_sent_at = ?4, email = ?5"
      " WHERE id = ?1",
    .queue_sms =
      "INSERT INTO sms_outbox (phone, body, created_at, status, citizen, activation,"
      "                        code_expires_at, redacted_body, channel)"
      " SELECT ?1, ?2, ?3, 'queued', document, id, MIN (?5, expires_at), ?6, 'email'"
      " FROM email_changes WHERE id = ?4",
    .count_attempt =
      "UPDATE email_changes SET attempts = attempts + 1,"
      "  state = CASE WHEN attempts + 1 >= ?2 THEN 'locked' ELSE state END"
      " WHERE id = ?1 RETURNING attempts",
    .count_wrong_code =
      "INSERT INTO wrong_codes (citizen, created_at)"
      " SELECT document, ?2 FROM email_changes WHERE id = ?1",
  },
  [CLAVE_CODE_FLOW_PERMANENTE] = {
    .store_code =
      "UPDATE permanente_activations SET code_hmac = ?2, code_expires_at = ?3,"
      "  sends = sends + 1, last_sent_at = ?4"
      " WHERE id = ?1",
    .queue_sms =
      "INSERT INTO sms_outbox (phone, body, created_at, status, citizen, activation,"
      "                        code_expires_at, redacted_body)"
      " SELECT ?1, ?2, ?3, 'queued', document, id, MIN (?5, expires_at), ?6"
      " FROM permanente_activations WHERE id = ?4",
    .count_attempt =
      "UPDATE permanente_activations SET attempts = attempts + 1,"
      "  state = CASE WHEN attempts + 1 >= ?2 THEN 'locked' ELSE state END"
      " WHERE id = ?1 RETURNING attempts",
    .count_wrong_code =
      "INSERT INTO wrong_codes (citizen, created_at)"
      " SELECT document, ?2 FROM permanente_activations WHERE id = ?1",
  },
  [CLAVE_CODE_FLOW_VIDEO] = {
    .store_code =
      "UPDATE video_registrations SET code_hmac = ?2, code_expires_at = ?3,"
      "  sends = sends + 1, last_sent_at = ?4"
      " WHERE id = ?1",
    .queue_sms =
      "INSERT INTO sms_outbox (phone, body, created_at, status, citizen, activation,"
      "                        code_expires_at, redacted_body)"
      " SELECT ?1, ?2, ?3, 'queued', document, id, MIN (?5, expires_at), ?6"
      " FROM video_registrations WHERE id = ?4",
    .count_attempt =
      "UPDATE video_registrations SET attempts = attempts + 1,"
      "  state = CASE WHEN attempts + 1 >= ?2 THEN 'locked' ELSE state END"
      " WHERE id = ?1 RETURNING attempts",
    .count_wrong_code =
      "INSERT INTO wrong_codes (citizen, created_at)"
      " SELECT document, ?2 FROM video_registrations WHERE id = ?1",
  },
};

/* Activations ------------------------------------------------------------ */

/* The outbox keeps a message's code until the code cannot be used any
 * more; these put the redacted text in its place. @flow_id is an
 * activation or a registration. */
gboolean
_clave_sqlite_redact_codes_of (ClaveSqliteStore  *self,
                               const char        *flow_id,
                               GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                                " WHERE activation = ?1 AND redacted_body IS NOT NULL",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, flow_id);
  return _clave_sqlite_step_done (self, stmt, "redact codes", error);
}

static gboolean
redact_expired (ClaveSqliteStore  *self,
                gint64             now,
                GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                                " WHERE redacted_body IS NOT NULL AND code_expires_at <= ?1",
                                error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  return _clave_sqlite_step_done (self, stmt, "redact expired codes", error);
}

ClaveActivationRecord *
_clave_sqlite_read_activation (sqlite3_stmt *stmt)
{
  int state = clave_activation_state_from_string ((const char *) sqlite3_column_text (stmt, 5));
  ClaveActivationRecord *record = g_new0 (ClaveActivationRecord, 1);

  record->id = _clave_sqlite_column_text (stmt, 0);
  record->token_hash = _clave_sqlite_column_text (stmt, 1);
  record->document = _clave_sqlite_column_text (stmt, 2);
  record->created_at = sqlite3_column_int64 (stmt, 3);
  record->expires_at = sqlite3_column_int64 (stmt, 4);
  /* An unreadable state must never open a door: treat it as locked. */
  record->state = state >= 0 ? (ClaveActivationState) state : CLAVE_ACTIVATION_LOCKED;
  _clave_sqlite_read_code_state (stmt, 6, &record->code);
  return record;
}

gboolean
clave_sqlite_store_create_activation (ClaveStore                  *store,
                                      const ClaveActivationRecord *record,
                                      GError                     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* One activation in progress per citizen: starting over ends the
   * previous one, its sends and its code attempts with it. */
  if (!_clave_sqlite_replace_pending (self,
                                      "UPDATE sms_outbox"
                                      " SET body = redacted_body, redacted_body = NULL"
                                      " WHERE redacted_body IS NOT NULL AND activation IN"
                                      "  (SELECT id FROM activations"
                                      "   WHERE citizen = ?1 AND state IN ('pending', 'verified'))",
                                      "UPDATE activations SET state = 'replaced'"
                                      " WHERE citizen = ?1 AND state IN ('pending', 'verified')",
                                      record->document, error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO activations (id, token_hash, citizen, created_at, "
                                "expires_at, state)"
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
  if (!_clave_sqlite_step_done (self, stmt, "create activation", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

ClaveActivationRecord *
clave_sqlite_store_get_activation (ClaveStore  *store,
                                   const char  *id,
                                   GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveActivationRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT id, token_hash, citizen, created_at, expires_at, state, "
                                "code_hmac,"
                                "       code_expires_at, attempts, sends, last_sent_at"
                                " FROM activations WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    record = _clave_sqlite_read_activation (stmt);
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get activation");
  sqlite3_reset (stmt);
  return record;
}

void
_clave_sqlite_read_code_state (sqlite3_stmt   *stmt,
                               int             first,
                               ClaveCodeState *code)
{
  code->hmac = _clave_sqlite_column_text (stmt, first);
  code->expires_at = sqlite3_column_int64 (stmt, first + 1);
  code->attempts = (guint) sqlite3_column_int (stmt, first + 2);
  code->sends = (guint) sqlite3_column_int (stmt, first + 3);
  code->last_sent_at = sqlite3_column_int64 (stmt, first + 4);
}

gboolean
_clave_sqlite_replace_pending (ClaveSqliteStore  *self,
                               const char        *redact_sql,
                               const char        *replace_sql,
                               const char        *document,
                               GError           **error)
{
  const char *statements[] = { redact_sql, replace_sql };

  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      sqlite3_stmt *stmt = _clave_sqlite_prepare (self, statements[i], error);

      if (stmt == NULL)
        return FALSE;
      _clave_sqlite_bind_text (stmt, 1, document);
      if (!_clave_sqlite_step_done (self, stmt, "replace pending", error))
        return FALSE;
    }
  return TRUE;
}

gboolean
_clave_sqlite_check_changed (ClaveSqliteStore  *self,
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

gboolean
clave_sqlite_store_store_code (ClaveStore     *store,
                               ClaveCodeFlow   flow,
                               const char     *flow_id,
                               const char     *code_hmac,
                               gint64          code_expires_at,
                               gint64          now,
                               const char     *to,
                               const char     *body,
                               const char     *redacted_body,
                               gint64         *outbox_id,
                               GError        **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  g_return_val_if_fail ((guint) flow < G_N_ELEMENTS (flow_sql), FALSE);

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* The new code replaces the old ones: they are no use to anybody. */
  if (!_clave_sqlite_redact_codes_of (self, flow_id, error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, flow_sql[flow].store_code, error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, flow_id);
  _clave_sqlite_bind_text (stmt, 2, code_hmac);
  sqlite3_bind_int64 (stmt, 3, code_expires_at);
  sqlite3_bind_int64 (stmt, 4, now);
  if (flow == CLAVE_CODE_FLOW_EMAIL_CHANGE)
    _clave_sqlite_bind_text (stmt, 5, to);
  if (!_clave_sqlite_step_done (self, stmt, "store code", error) ||
      !_clave_sqlite_check_changed (self, "store code", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, flow_sql[flow].queue_sms, error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, to);
  _clave_sqlite_bind_text (stmt, 2, body);
  sqlite3_bind_int64 (stmt, 3, now);
  _clave_sqlite_bind_text (stmt, 4, flow_id);
  sqlite3_bind_int64 (stmt, 5, code_expires_at);
  _clave_sqlite_bind_text (stmt, 6, redacted_body);
  if (!_clave_sqlite_step_done (self, stmt, "queue sms", error) ||
      !_clave_sqlite_check_changed (self, "queue sms", error))
    return _clave_sqlite_rollback (self);

  if (outbox_id != NULL)
    *outbox_id = sqlite3_last_insert_rowid (self->db);

  return _clave_sqlite_commit (self, error);
}

gboolean
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

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  stmt = _clave_sqlite_prepare (self, flow_sql[flow].count_attempt, error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);

  _clave_sqlite_bind_text (stmt, 1, flow_id);
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
      return _clave_sqlite_rollback (self);
    }

  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "record wrong code");
      sqlite3_reset (stmt);
      return _clave_sqlite_rollback (self);
    }
  sqlite3_reset (stmt);

  /* Counted for the person too: starting over must not reset it. */
  stmt = _clave_sqlite_prepare (self, flow_sql[flow].count_wrong_code, error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, flow_id);
  sqlite3_bind_int64 (stmt, 2, now);
  if (!_clave_sqlite_step_done (self, stmt, "count wrong code", error))
    return _clave_sqlite_rollback (self);

  if (count >= max_attempts && !_clave_sqlite_redact_codes_of (self, flow_id, error))
    return _clave_sqlite_rollback (self);

  if (!_clave_sqlite_commit (self, error))
    return FALSE;
  if (attempts != NULL)
    *attempts = count;
  return TRUE;
}

GArray *
clave_sqlite_store_list_wrong_codes (ClaveStore  *store,
                                     const char  *document,
                                     gint64       since,
                                     GError     **error)
{
  return _clave_sqlite_list_times (CLAVE_SQLITE_STORE (store),
                                   "SELECT created_at FROM wrong_codes"
                                   " WHERE citizen = ?1 AND created_at >= ?2 ORDER BY created_at",
                                   document, since, "list wrong codes", error);
}

GArray *
clave_sqlite_store_list_code_sends (ClaveStore          *store,
                                    const char          *document,
                                    ClaveOutboxChannel   channel,
                                    gint64               since,
                                    GError             **error)
{
  if (channel == CLAVE_OUTBOX_EMAIL)
    return _clave_sqlite_list_times (CLAVE_SQLITE_STORE (store),
                                     "SELECT created_at FROM sms_outbox"
                                     " WHERE citizen = ?1 AND created_at >= ?2"
                                     " AND channel = 'email' ORDER BY created_at",
                                     document, since, "list e-mail sends", error);
  return _clave_sqlite_list_times (CLAVE_SQLITE_STORE (store),
                                   "SELECT created_at FROM sms_outbox"
                                   " WHERE citizen = ?1 AND created_at >= ?2"
                                   " AND channel = 'sms' ORDER BY created_at",
                                   document, since, "list sms sends", error);
}

gboolean
clave_sqlite_store_set_activation_state (ClaveStore           *store,
                                         const char           *activation_id,
                                         ClaveActivationState  state,
                                         GError              **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  stmt = _clave_sqlite_prepare (self, "UPDATE activations SET state = ?2 WHERE id = ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);

  _clave_sqlite_bind_text (stmt, 1, activation_id);
  _clave_sqlite_bind_text (stmt, 2, clave_activation_state_to_string (state));
  if (!_clave_sqlite_step_done (self, stmt, "set activation state", error) ||
      !_clave_sqlite_check_changed (self, "set activation state", error))
    return _clave_sqlite_rollback (self);

  /* Verified (the code is used up), locked, used or replaced: no code of
   * this activation opens anything any more. */
  if (state != CLAVE_ACTIVATION_PENDING && !_clave_sqlite_redact_codes_of (self, activation_id,
                                                                           error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

/* Outbox -------------------------------------------------------------- */

GPtrArray *
clave_sqlite_store_list_outbox (ClaveStore  *store,
                                guint        limit,
                                GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_outbox_message_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT id, phone, body, created_at, status, channel"
                                " FROM sms_outbox ORDER BY id DESC LIMIT ?1",
                                error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ClaveOutboxMessage *message = g_new0 (ClaveOutboxMessage, 1);

      message->id = sqlite3_column_int64 (stmt, 0);
      message->to = _clave_sqlite_column_text (stmt, 1);
      message->body = _clave_sqlite_column_text (stmt, 2);
      message->created_at = sqlite3_column_int64 (stmt, 3);
      message->status = _clave_sqlite_column_text (stmt, 4);
      message->channel = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 5), "email") == 0
                         ? CLAVE_OUTBOX_EMAIL : CLAVE_OUTBOX_SMS;
      g_ptr_array_add (messages, message);
    }
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "list outbox");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&messages);
}

gboolean
clave_sqlite_store_set_outbox_status (ClaveStore  *store,
                                      gint64       id,
                                      const char  *status,
                                      GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  /* Once the gateway has the message, the outbox need not keep its code. */
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE sms_outbox SET status = ?2,"
                                "  body = CASE WHEN ?3 AND redacted_body IS NOT NULL THEN "
                                "redacted_body"
                                "         ELSE body END,"
                                "  redacted_body = CASE WHEN ?3 THEN NULL ELSE redacted_body END"
                                " WHERE id = ?1",
                                error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, id);
  _clave_sqlite_bind_text (stmt, 2, status);
  sqlite3_bind_int (stmt, 3, g_strcmp0 (status, CLAVE_OUTBOX_DELIVERED) == 0);
  return _clave_sqlite_step_done (self, stmt, "set outbox status", error) &&
         _clave_sqlite_check_changed (self, "set outbox status", error);
}

gboolean
clave_sqlite_store_redact_expired_codes (ClaveStore  *store,
                                         gint64       now,
                                         GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  gboolean found = FALSE;

  /* Called before every request: an UPDATE takes the write lock even
   * when it matches nothing, and would wait for the answer queue's
   * _clave_sqlite_commit; reading first (the same partial index) does not. */
  if (!_clave_sqlite_any_row (self,
                              "SELECT 1 FROM sms_outbox"
                              " WHERE redacted_body IS NOT NULL AND code_expires_at <= ?1 LIMIT 1",
                              now, &found, error))
    return FALSE;
  return !found || redact_expired (self, now, error);
}

gboolean
clave_sqlite_store_purge (ClaveStore  *store,
                          gint64       now,
                          GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* Kept as long as they count towards the per-document backstop. */
  stmt = _clave_sqlite_prepare (self, "DELETE FROM identify_failures WHERE created_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_IDENTIFY_BACKSTOP_WINDOW_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge identify failures", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, "DELETE FROM known_sources WHERE last_seen < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_KNOWN_SOURCE_KEEP_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge known sources", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, "DELETE FROM wrong_codes WHERE created_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_WRONG_CODES_WINDOW_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge wrong codes", error))
    return _clave_sqlite_rollback (self);

  if (!_clave_sqlite_purge_nonces (self, now - CLAVE_NONCE_KEEP_SECS, error))
    return _clave_sqlite_rollback (self);

  if (!redact_expired (self, now, error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, "DELETE FROM activations WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge activations", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, "DELETE FROM registrations WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge registrations", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, "DELETE FROM phone_changes WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge phone changes", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "DELETE FROM permanente_activations WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge permanente activations", error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, "DELETE FROM email_changes WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge e-mail changes", error))
    return _clave_sqlite_rollback (self);

  /* Kept as long as they count towards the per-address limit. */
  stmt = _clave_sqlite_prepare (self, "DELETE FROM challenges WHERE expires_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge challenges", error))
    return _clave_sqlite_rollback (self);

  /* Kept as long as the sends count towards the per-citizen caps. */
  stmt = _clave_sqlite_prepare (self, "DELETE FROM sms_outbox WHERE created_at < ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  sqlite3_bind_int64 (stmt, 1, now - CLAVE_PURGE_GRACE_SECS);
  if (!_clave_sqlite_step_done (self, stmt, "purge outbox", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}
