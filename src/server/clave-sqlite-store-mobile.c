/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: Cl@ve Móvil: relying parties and authentication requests. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-limits.h"
#include "clave-sqlite-store-private.h"

/* Cl@ve Móvil ----------------------------------------------------------- */
gboolean
clave_sqlite_store_add_relying_party (ClaveStore               *store,
                                      const ClaveRelyingParty  *rp,
                                      GError                  **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO relying_parties (id, name, origin, key_hash, "
                                "created_at, demo)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, rp->id);
  _clave_sqlite_bind_text (stmt, 2, rp->name);
  _clave_sqlite_bind_text (stmt, 3, rp->origin);
  _clave_sqlite_bind_text (stmt, 4, rp->key_hash);
  sqlite3_bind_int64 (stmt, 5, rp->created_at);
  sqlite3_bind_int (stmt, 6, rp->demo ? 1 : 0);
  return _clave_sqlite_step_done (self, stmt, "add relying party", error);
}

#define RELYING_PARTY_COLUMNS \
  "SELECT id, name, origin, key_hash, created_at, demo FROM relying_parties"

static ClaveRelyingParty *
relying_party_from_row (sqlite3_stmt *stmt)
{
  ClaveRelyingParty *rp = g_new0 (ClaveRelyingParty, 1);

  rp->id = _clave_sqlite_column_text (stmt, 0);
  rp->name = _clave_sqlite_column_text (stmt, 1);
  rp->origin = _clave_sqlite_column_text (stmt, 2);
  rp->key_hash = _clave_sqlite_column_text (stmt, 3);
  rp->created_at = sqlite3_column_int64 (stmt, 4);
  rp->demo = sqlite3_column_int (stmt, 5) != 0;
  return rp;
}

/* The one relying party @sql (with ?1 = @value, if not NULL) finds. */
static ClaveRelyingParty *
get_relying_party (ClaveSqliteStore  *self,
                   const char        *sql,
                   const char        *value,
                   GError           **error)
{
  ClaveRelyingParty *rp = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  if (value != NULL)
    _clave_sqlite_bind_text (stmt, 1, value);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    rp = relying_party_from_row (stmt);
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get relying party");
  sqlite3_reset (stmt);
  return rp;
}

ClaveRelyingParty *
clave_sqlite_store_get_relying_party (ClaveStore  *store,
                                      const char  *id,
                                      GError     **error)
{
  return get_relying_party (CLAVE_SQLITE_STORE (store), RELYING_PARTY_COLUMNS " WHERE id = ?1",
                            id, error);
}

ClaveRelyingParty *
clave_sqlite_store_get_relying_party_by_key_hash (ClaveStore  *store,
                                                  const char  *key_hash,
                                                  GError     **error)
{
  return get_relying_party (CLAVE_SQLITE_STORE (store),
                            RELYING_PARTY_COLUMNS " WHERE key_hash = ?1", key_hash, error);
}

ClaveRelyingParty *
clave_sqlite_store_get_demo_relying_party (ClaveStore  *store,
                                           GError     **error)
{
  return get_relying_party (CLAVE_SQLITE_STORE (store),
                            RELYING_PARTY_COLUMNS " WHERE demo = 1 ORDER BY created_at, id LIMIT 1",
                            NULL, error);
}

GPtrArray *
clave_sqlite_store_list_relying_parties (ClaveStore  *store,
                                         GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(GPtrArray) rps = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_relying_party_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self, RELYING_PARTY_COLUMNS " ORDER BY created_at, id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rps, relying_party_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "list relying parties");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&rps);
}

/* Inside a transaction: the next history sequence number. */
static gint64
next_seq (ClaveSqliteStore  *self,
          GError           **error)
{
  sqlite3_stmt *stmt;
  gint64 value = -1;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE counters SET value = value + 1 WHERE name = "
                                "'auth_request_seq'"
                                " RETURNING value",
                                error);
  if (stmt == NULL)
    return -1;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  else
    _clave_sqlite_set_db_error (self, error, "next seq");
  sqlite3_reset (stmt);
  return value;
}

gboolean
clave_sqlite_store_create_auth_request (ClaveStore                    *store,
                                        const ClaveAuthRequestRecord  *record,
                                        const char                    *phone,
                                        const char                    *sms_body,
                                        const char                    *redacted_body,
                                        gint64                        *outbox_id,
                                        GError                       **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  gint64 seq;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;
  seq = next_seq (self, error);
  if (seq < 0)
    return _clave_sqlite_rollback (self);

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO auth_requests (id, rp, type, status, citizen, device,"
                                "  verification_code, pin_hmac, created_at, expires_at, seq)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, record->id);
  _clave_sqlite_bind_text (stmt, 2, record->rp);
  _clave_sqlite_bind_text (stmt, 3, record->type);
  _clave_sqlite_bind_text (stmt, 4, record->status);
  _clave_sqlite_bind_text (stmt, 5, record->citizen);
  _clave_sqlite_bind_text (stmt, 6, record->device);
  _clave_sqlite_bind_text (stmt, 7, record->verification_code);
  _clave_sqlite_bind_text (stmt, 8, record->pin_hmac);
  sqlite3_bind_int64 (stmt, 9, record->created_at);
  sqlite3_bind_int64 (stmt, 10, record->expires_at);
  sqlite3_bind_int64 (stmt, 11, seq);
  if (!_clave_sqlite_step_done (self, stmt, "insert auth request", error))
    return _clave_sqlite_rollback (self);

  if (sms_body != NULL)
    {
      /* Counted for the citizen like activation codes, and redacted by the
       * same rules (the request id stands in the activation column). */
      stmt = _clave_sqlite_prepare (self,
                                    "INSERT INTO sms_outbox (phone, body, created_at, citizen, "
                                    "activation,"
                                    "  code_expires_at, redacted_body)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                    error);
      if (stmt == NULL)
        return _clave_sqlite_rollback (self);
      _clave_sqlite_bind_text (stmt, 1, phone);
      _clave_sqlite_bind_text (stmt, 2, sms_body);
      sqlite3_bind_int64 (stmt, 3, record->created_at);
      _clave_sqlite_bind_text (stmt, 4, record->citizen);
      _clave_sqlite_bind_text (stmt, 5, record->id);
      sqlite3_bind_int64 (stmt, 6, record->expires_at);
      _clave_sqlite_bind_text (stmt, 7, redacted_body);
      if (!_clave_sqlite_step_done (self, stmt, "queue sms", error))
        return _clave_sqlite_rollback (self);
      if (outbox_id != NULL)
        *outbox_id = sqlite3_last_insert_rowid (self->db);
    }

  return _clave_sqlite_commit (self, error);
}

#define AUTH_REQUEST_COLUMNS \
  "SELECT r.id, r.rp, r.type, r.status, r.citizen, r.device, r.verification_code," \
  " r.pin_hmac, r.pin_attempts, r.created_at, r.expires_at, IFNULL (r.answered_at, 0)," \
  " r.seq, p.name, p.origin FROM auth_requests r JOIN relying_parties p ON p.id = r.rp"

static ClaveAuthRequestRecord *
auth_request_from_row (sqlite3_stmt *stmt)
{
  ClaveAuthRequestRecord *record = g_new0 (ClaveAuthRequestRecord, 1);

  record->id = _clave_sqlite_column_text (stmt, 0);
  record->rp = _clave_sqlite_column_text (stmt, 1);
  record->type = _clave_sqlite_column_text (stmt, 2);
  record->status = _clave_sqlite_column_text (stmt, 3);
  record->citizen = _clave_sqlite_column_text (stmt, 4);
  record->device = _clave_sqlite_column_text (stmt, 5);
  record->verification_code = _clave_sqlite_column_text (stmt, 6);
  record->pin_hmac = _clave_sqlite_column_text (stmt, 7);
  record->pin_attempts = (guint) sqlite3_column_int (stmt, 8);
  record->created_at = sqlite3_column_int64 (stmt, 9);
  record->expires_at = sqlite3_column_int64 (stmt, 10);
  record->answered_at = sqlite3_column_int64 (stmt, 11);
  record->seq = sqlite3_column_int64 (stmt, 12);
  record->rp_name = _clave_sqlite_column_text (stmt, 13);
  record->rp_origin = _clave_sqlite_column_text (stmt, 14);
  return record;
}

ClaveAuthRequestRecord *
clave_sqlite_store_get_auth_request (ClaveStore  *store,
                                     const char  *id,
                                     GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveAuthRequestRecord *record = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self, AUTH_REQUEST_COLUMNS " WHERE r.id = ?1", error);
  if (stmt == NULL)
    return NULL;
  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    record = auth_request_from_row (stmt);
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get auth request");
  sqlite3_reset (stmt);
  return record;
}

static GPtrArray *
list_auth_requests (ClaveSqliteStore  *self,
                    const char        *sql,
                    const char        *text,
                    gint64             a,
                    gint64             b,
                    GError           **error)
{
  g_autoptr(GPtrArray) records =
    g_ptr_array_new_with_free_func ((GDestroyNotify) clave_auth_request_record_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  /* ?1 text, ?2 and ?3 integers; a statement that does not use the last
   * ones just refuses their binding (SQLITE_RANGE). */
  _clave_sqlite_bind_text (stmt, 1, text);
  sqlite3_bind_int64 (stmt, 2, a);
  sqlite3_bind_int64 (stmt, 3, b);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, auth_request_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "list auth requests");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&records);
}

GPtrArray *
clave_sqlite_store_list_pending_auth_requests (ClaveStore  *store,
                                               const char  *citizen,
                                               gint64       now,
                                               GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  return list_auth_requests (self,
                             AUTH_REQUEST_COLUMNS
                             " WHERE r.citizen = ?1 AND r.status = 'pending' AND r.expires_at > ?2"
                             " AND r.type != 'sms' ORDER BY r.created_at, r.seq",
                             citizen, now, 0, error);
}

GPtrArray *
clave_sqlite_store_list_history (ClaveStore  *store,
                                 const char  *citizen,
                                 gint64       after,
                                 guint        limit,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  return list_auth_requests (self,
                             AUTH_REQUEST_COLUMNS
                             " WHERE r.citizen = ?1 AND r.seq > ?2 ORDER BY r.seq LIMIT ?3",
                             citizen, after, limit, error);
}

GPtrArray *
clave_sqlite_store_list_expired_auth_requests (ClaveStore  *store,
                                               gint64       now,
                                               GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  return list_auth_requests (self,
                             AUTH_REQUEST_COLUMNS
                             " WHERE r.status = 'pending' AND r.expires_at <= ?2"
                             " ORDER BY r.expires_at",
                             NULL, now, 0, error);
}

/* Inside a transaction: the change of clave_store_update_auth_request(),
 * with the next history seq when something changed (@changed). */
static gboolean
change_auth_request (ClaveSqliteStore  *self,
                     const char        *id,
                     const char        *status,
                     const char        *citizen,
                     const char        *device,
                     gint64             answered_at,
                     gboolean           count_pin_attempt,
                     guint              max_pin_attempts,
                     gboolean          *changed,
                     GError           **error)
{
  sqlite3_stmt *stmt;

  *changed = FALSE;

  /* Only a pending request changes; a claim only binds an unbound one (or
   * re-binds the same device). A counted PIN attempt rejects the request
   * at the last one. The seq is the counter's next value, taken below
   * only when a row changed. */
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE auth_requests SET"
                                "  seq = (SELECT value + 1 FROM counters WHERE name = "
                                "'auth_request_seq'),"
                                "  pin_attempts = pin_attempts + ?7,"
                                "  status = CASE WHEN ?7 = 1 AND pin_attempts + 1 >= ?8 THEN "
                                "'rejected'"
                                "                ELSE IFNULL (?3, status) END,"
                                "  pin_hmac = CASE WHEN ?3 IS NOT NULL OR (?7 = 1 AND pin_attempts "
                                "+ 1 >= ?8)"
                                "                  THEN NULL ELSE pin_hmac END,"
                                "  answered_at = CASE WHEN ?3 IS NOT NULL OR (?7 = 1 AND "
                                "pin_attempts + 1 >= ?8)"
                                "                     THEN ?6 ELSE answered_at END,"
                                "  citizen = IFNULL (?4, citizen),"
                                "  device = IFNULL (?5, device)"
                                " WHERE id = ?1 AND status = 'pending'"
                                "  AND (?5 IS NULL OR device IS NULL OR device = ?5)"
                                "  AND (?4 IS NULL OR citizen IS NULL OR citizen = ?4)",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, id);
  _clave_sqlite_bind_text (stmt, 3, status);
  _clave_sqlite_bind_text (stmt, 4, citizen);
  _clave_sqlite_bind_text (stmt, 5, device);
  sqlite3_bind_int64 (stmt, 6, answered_at);
  sqlite3_bind_int (stmt, 7, count_pin_attempt ? 1 : 0);
  sqlite3_bind_int (stmt, 8, (int) max_pin_attempts);
  if (!_clave_sqlite_step_done (self, stmt, "update auth request", error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    return TRUE;
  *changed = TRUE;

  if (next_seq (self, error) < 0)
    return FALSE;

  /* A PIN that can no longer be used leaves the outbox. */
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                                " WHERE activation = ?1 AND redacted_body IS NOT NULL"
                                "  AND (SELECT status FROM auth_requests WHERE id = ?1) != "
                                "'pending'",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, id);
  return _clave_sqlite_step_done (self, stmt, "redact pin", error);
}

gboolean
clave_sqlite_store_update_auth_request (ClaveStore  *store,
                                        const char  *id,
                                        const char  *status,
                                        const char  *citizen,
                                        const char  *device,
                                        gint64       answered_at,
                                        gboolean     count_pin_attempt,
                                        guint        max_pin_attempts,
                                        gboolean    *changed,
                                        GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  if (!_clave_sqlite_begin (self, error))
    return FALSE;
  if (!change_auth_request (self, id, status, citizen, device, answered_at, count_pin_attempt,
                            max_pin_attempts, changed, error))
    {
      *changed = FALSE;
      return _clave_sqlite_rollback (self);
    }
  if (!*changed)
    {
      _clave_sqlite_rollback (self);
      return TRUE;
    }
  return _clave_sqlite_commit (self, error);
}

/* Inside the transaction of clave_store_answer_auth_requests(): one
 * answer, all of it or nothing (a savepoint). FALSE only when even the
 * savepoint cannot be undone: the transaction is then lost. */
/* Inside a transaction: whether the device @id is still active. */
static gboolean
device_is_active (ClaveSqliteStore  *self,
                  const char        *id,
                  gboolean          *active,
                  GError           **error)
{
  sqlite3_stmt *stmt = _clave_sqlite_prepare (self,
                                              "SELECT 1 FROM devices WHERE id = ?1"
                                              " AND deactivated_at IS NULL AND public_key IS NOT "
                                              "NULL",
                                              error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _clave_sqlite_set_db_error (self, error, "look up device");
  *active = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
answer_one (ClaveSqliteStore *self,
            ClaveAuthAnswer  *answer)
{
  gboolean fresh = FALSE;
  gboolean changed = FALSE;
  gboolean active = FALSE;

  if (!_clave_sqlite_exec (self, "SAVEPOINT answer", &answer->error))
    return FALSE;

  /* The signature was checked against the device before the answer
   * queued (clave-device-auth.c); a device deactivated since (a stolen
   * one, just replaced) answers nothing. */
  if (device_is_active (self, answer->device_id, &active, &answer->error) && !active)
    {
      answer->result = CLAVE_AUTH_ANSWER_DEVICE_GONE;
      return _clave_sqlite_exec (self, "RELEASE answer", NULL);
    }
  if (answer->error != NULL)
    {
      answer->result = CLAVE_AUTH_ANSWER_FAILED;
      return _clave_sqlite_exec (self, "ROLLBACK TO answer", NULL) &&
             _clave_sqlite_exec (self, "RELEASE answer", NULL);
    }

  if (_clave_sqlite_insert_nonce (self, answer->device_id, answer->nonce, answer->now, &fresh,
                                  &answer->error) &&
      (!fresh || answer->request_id == NULL ||
       change_auth_request (self, answer->request_id, answer->status, answer->citizen, NULL,
                            answer->now, FALSE, 0, &changed, &answer->error)))
    {
      answer->result = !fresh ? CLAVE_AUTH_ANSWER_REPLAYED
                       : changed || answer->request_id == NULL ? CLAVE_AUTH_ANSWER_DONE
                       : CLAVE_AUTH_ANSWER_NOT_PENDING;
      return _clave_sqlite_exec (self, "RELEASE answer", NULL);
    }

  answer->result = CLAVE_AUTH_ANSWER_FAILED;
  return _clave_sqlite_exec (self, "ROLLBACK TO answer", NULL) &&
         _clave_sqlite_exec (self, "RELEASE answer", NULL);
}

gboolean
clave_sqlite_store_answer_auth_requests (ClaveStore       *store,
                                         ClaveAuthAnswer  *answers,
                                         guint             n_answers,
                                         GError          **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  gboolean ok = TRUE;

  for (guint i = 0; i < n_answers; i++)
    {
      answers[i].result = CLAVE_AUTH_ANSWER_FAILED;
      answers[i].error = NULL;
    }
  if (n_answers == 0)
    return TRUE;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;
  if (!_clave_sqlite_purge_nonces (self, answers[0].now - CLAVE_NONCE_KEEP_SECS, error))
    return _clave_sqlite_rollback (self);
  for (guint i = 0; ok && i < n_answers; i++)
    ok = answer_one (self, &answers[i]);
  if (!ok)
    g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED,
                 "answer auth requests: %s", sqlite3_errmsg (self->db));
  if (!ok || !_clave_sqlite_commit (self, error))
    {
      _clave_sqlite_rollback (self);
      for (guint i = 0; i < n_answers; i++)
        {
          answers[i].result = CLAVE_AUTH_ANSWER_FAILED;
          g_clear_error (&answers[i].error);
        }
      return FALSE;
    }
  return TRUE;
}

gboolean
clave_sqlite_store_purge_auth_requests (ClaveStore  *store,
                                        gint64       created_before,
                                        guint        max_rows,
                                        guint       *purged,
                                        GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  gboolean found = FALSE;

  *purged = 0;
  /* Called every few seconds: looking first takes no write lock. */
  if (!_clave_sqlite_any_row (self, "SELECT 1 FROM auth_requests WHERE created_at < ?1 LIMIT 1",
                              created_before, &found, error))
    return FALSE;
  if (!found)
    return TRUE;

  /* Oldest first, a bounded number at a time: the main loop waits for
   * this statement (secure_delete overwrites every row it deletes). */
  stmt = _clave_sqlite_prepare (self,
                                "DELETE FROM auth_requests WHERE rowid IN"
                                " (SELECT rowid FROM auth_requests WHERE created_at < ?1"
                                "  ORDER BY created_at LIMIT ?2)",
                                error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, created_before);
  sqlite3_bind_int64 (stmt, 2, max_rows);
  if (!_clave_sqlite_step_done (self, stmt, "purge auth requests", error))
    return FALSE;
  *purged = (guint) sqlite3_changes (self->db);
  return TRUE;
}
