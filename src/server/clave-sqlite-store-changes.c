/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: changes of a citizen's contact data (phone, e-mail). */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-sqlite-store-private.h"

/* The SQL that differs between the kinds of change (the statement cache
 * is keyed by the text, so each must be a literal). */
typedef struct {
  const char *redact_pending;   /* ?1: document */
  const char *replace_pending;  /* ?1: document */
  const char *insert;
  const char *select;
  const char *use;
  const char *apply;            /* CONFLICT by the citizens' unique phone */
  const char *queue_notice;
} ChangeSql;

static const ChangeSql change_sql[] = {
  [CLAVE_CONTACT_PHONE] = {
    .redact_pending =
      "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
      " WHERE redacted_body IS NOT NULL AND activation IN"
      "  (SELECT id FROM phone_changes WHERE document = ?1 AND state = 'pending')",
    .replace_pending =
      "UPDATE phone_changes SET state = 'replaced' WHERE document = ?1 AND state = 'pending'",
    .insert =
      "INSERT INTO phone_changes (id, document, phone, created_at, expires_at, state)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    .select =
      "SELECT id, document, phone, created_at, expires_at, state,"
      "       code_hmac, code_expires_at, attempts, sends, last_sent_at"
      " FROM phone_changes WHERE id = ?1",
    .use =
      "UPDATE phone_changes SET state = 'used' WHERE id = ?1 AND state = 'pending'",
    .apply =
      "UPDATE citizens SET phone = (SELECT phone FROM phone_changes WHERE id = ?1)"
      " WHERE document = (SELECT document FROM phone_changes WHERE id = ?1)",
    /* A notice, not a code: it counts for no limit. */
    .queue_notice =
      "INSERT INTO sms_outbox (phone, body, created_at, status) VALUES (?1, ?2, ?3, 'queued')",
  },
  [CLAVE_CONTACT_EMAIL] = {
    .redact_pending =
      "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
      " WHERE redacted_body IS NOT NULL AND activation IN"
      "  (SELECT id FROM email_changes WHERE document = ?1 AND state = 'pending')",
    .replace_pending =
      "UPDATE email_changes SET state = 'replaced' WHERE document = ?1 AND state = 'pending'",
    .insert =
      "INSERT INTO email_changes (id, document, email, created_at, expires_at, state)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    .select =
      "SELECT id, document, email, created_at, expires_at, state,"
      "       code_hmac, code_expires_at, attempts, sends, last_sent_at"
      " FROM email_changes WHERE id = ?1",
    /* Only a change whose address got a code can be used. */
    .use =
      "UPDATE email_changes SET state = 'used'"
      " WHERE id = ?1 AND state = 'pending' AND email IS NOT NULL",
    .apply =
      "UPDATE citizens SET email = (SELECT email FROM email_changes WHERE id = ?1)"
      " WHERE document = (SELECT document FROM email_changes WHERE id = ?1)",
    .queue_notice =
      "INSERT INTO sms_outbox (phone, body, created_at, status, channel)"
      " VALUES (?1, ?2, ?3, 'queued', 'email')",
  },
};

gboolean
clave_sqlite_store_create_contact_change (ClaveStore                      *store,
                                          const ClaveContactChangeRecord  *record,
                                          GError                         **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  const ChangeSql *sql;
  sqlite3_stmt *stmt;

  g_return_val_if_fail ((guint) record->kind < G_N_ELEMENTS (change_sql), FALSE);
  sql = &change_sql[record->kind];

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  /* One change of a kind in progress per citizen: the codes of the
   * others go. */
  if (!_clave_sqlite_replace_pending (self, sql->redact_pending, sql->replace_pending,
                                      record->document, error))
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self, sql->insert, error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, record->id);
  _clave_sqlite_bind_text (stmt, 2, record->document);
  if (record->value != NULL)
    _clave_sqlite_bind_text (stmt, 3, record->value);
  else
    sqlite3_bind_null (stmt, 3);
  sqlite3_bind_int64 (stmt, 4, record->created_at);
  sqlite3_bind_int64 (stmt, 5, record->expires_at);
  _clave_sqlite_bind_text (stmt, 6, clave_registration_state_to_string (record->state));
  if (!_clave_sqlite_step_done (self, stmt, "create contact change", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

ClaveContactChangeRecord *
clave_sqlite_store_get_contact_change (ClaveStore        *store,
                                       ClaveContactKind   kind,
                                       const char        *id,
                                       GError           **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveContactChangeRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (change_sql), NULL);

  stmt = _clave_sqlite_prepare (self, change_sql[kind].select, error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      int state = clave_registration_state_from_string ((const char *) sqlite3_column_text (stmt, 5));

      record = g_new0 (ClaveContactChangeRecord, 1);
      record->kind = kind;
      record->id = _clave_sqlite_column_text (stmt, 0);
      record->document = _clave_sqlite_column_text (stmt, 1);
      record->value = _clave_sqlite_column_text (stmt, 2);
      record->created_at = sqlite3_column_int64 (stmt, 3);
      record->expires_at = sqlite3_column_int64 (stmt, 4);
      /* An unreadable state must never open a door. */
      record->state = state >= 0 ? (ClaveRegistrationState) state : CLAVE_REGISTRATION_LOCKED;
      _clave_sqlite_read_code_state (stmt, 6, &record->code);
    }
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get contact change");
  sqlite3_reset (stmt);
  return record;
}

gboolean
clave_sqlite_store_complete_contact_change (ClaveStore        *store,
                                            ClaveContactKind   kind,
                                            const char        *id,
                                            const char        *old_value,
                                            const char        *notice,
                                            gint64             now,
                                            gint64            *notice_id,
                                            GError           **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  const ChangeSql *sql;
  sqlite3_stmt *stmt;

  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (change_sql), FALSE);
  sql = &change_sql[kind];
  if (notice_id != NULL)
    *notice_id = 0;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  stmt = _clave_sqlite_prepare (self, sql->use, error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, id);
  if (!_clave_sqlite_step_done (self, stmt, "use contact change", error) ||
      !_clave_sqlite_check_changed (self, "use contact change", error))
    return _clave_sqlite_rollback (self);

  /* The phone's uniqueness among citizens says whether somebody took it
   * meanwhile (CONFLICT). */
  stmt = _clave_sqlite_prepare (self, sql->apply, error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, id);
  if (!_clave_sqlite_step_done (self, stmt, "change contact data", error) ||
      !_clave_sqlite_check_changed (self, "change contact data", error))
    return _clave_sqlite_rollback (self);

  if (!_clave_sqlite_redact_codes_of (self, id, error))
    return _clave_sqlite_rollback (self);

  /* Activations in progress sent their codes to the old number, which
   * may be a lost or stolen phone: they end here. */
  if (kind == CLAVE_CONTACT_PHONE &&
      !_clave_sqlite_replace_pending (self,
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

  if (notice != NULL && old_value != NULL && *old_value != '\0')
    {
      stmt = _clave_sqlite_prepare (self, sql->queue_notice, error);
      if (stmt == NULL)
        return _clave_sqlite_rollback (self);
      _clave_sqlite_bind_text (stmt, 1, old_value);
      _clave_sqlite_bind_text (stmt, 2, notice);
      sqlite3_bind_int64 (stmt, 3, now);
      if (!_clave_sqlite_step_done (self, stmt, "queue change notice", error))
        return _clave_sqlite_rollback (self);
      if (notice_id != NULL)
        *notice_id = sqlite3_last_insert_rowid (self->db);
    }

  return _clave_sqlite_commit (self, error);
}
