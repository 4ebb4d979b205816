/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: identities, citizens, identification failures and known sources. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-limits.h"
#include "clave-sqlite-store-private.h"

/* Identities and citizens ------------------------------------------------ */

gboolean
clave_sqlite_store_put_identity (ClaveStore          *store,
                                 const ClaveIdentity *identity,
                                 GError             **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO identities (document, type, given_name, surnames, "
                                "validity_date,"
                                "                        issue_date, permanent, support_number)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                                " ON CONFLICT (document) DO UPDATE SET type = excluded.type,"
                                "  given_name = excluded.given_name, surnames = excluded.surnames,"
                                "  validity_date = excluded.validity_date, issue_date = "
                                "excluded.issue_date,"
                                "  permanent = excluded.permanent, support_number = "
                                "excluded.support_number",
                                error);
  if (stmt == NULL)
    return FALSE;

  _clave_sqlite_bind_text (stmt, 1, identity->document);
  _clave_sqlite_bind_text (stmt, 2, clave_document_type_to_string (identity->type));
  _clave_sqlite_bind_text (stmt, 3, identity->given_name);
  _clave_sqlite_bind_text (stmt, 4, identity->surnames);
  _clave_sqlite_bind_text (stmt, 5, identity->validity_date);
  _clave_sqlite_bind_text (stmt, 6, identity->issue_date);
  sqlite3_bind_int (stmt, 7, identity->permanent ? 1 : 0);
  _clave_sqlite_bind_text (stmt, 8, identity->support_number);
  return _clave_sqlite_step_done (self, stmt, "put identity", error);
}

ClaveIdentity *
clave_sqlite_store_get_identity (ClaveStore  *store,
                                 const char  *document,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveIdentity *identity = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT document, type, given_name, surnames, validity_date, "
                                "issue_date,"
                                "       permanent, support_number"
                                " FROM identities WHERE document = ?1",
                                error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, document);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *type = (const char *) sqlite3_column_text (stmt, 1);

      identity = g_new0 (ClaveIdentity, 1);
      identity->document = _clave_sqlite_column_text (stmt, 0);
      identity->type = g_strcmp0 (type, "nie") == 0 ? CLAVE_DOCUMENT_TYPE_NIE
                                                    : CLAVE_DOCUMENT_TYPE_DNI;
      identity->given_name = _clave_sqlite_column_text (stmt, 2);
      identity->surnames = _clave_sqlite_column_text (stmt, 3);
      identity->validity_date = _clave_sqlite_column_text (stmt, 4);
      identity->issue_date = _clave_sqlite_column_text (stmt, 5);
      identity->permanent = sqlite3_column_int (stmt, 6) != 0;
      identity->support_number = _clave_sqlite_column_text (stmt, 7);
    }
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get identity");
  sqlite3_reset (stmt);
  return identity;
}

gboolean
clave_sqlite_store_put_citizen (ClaveStore         *store,
                                const ClaveCitizen *citizen,
                                GError            **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO citizens (document, phone, email, level, channel, "
                                "created_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                                " ON CONFLICT (document) DO UPDATE SET phone = excluded.phone,"
                                "  email = excluded.email, level = excluded.level, channel = "
                                "excluded.channel",
                                error);
  if (stmt == NULL)
    return FALSE;

  _clave_sqlite_bind_text (stmt, 1, citizen->document);
  _clave_sqlite_bind_text (stmt, 2, citizen->phone);
  _clave_sqlite_bind_text (stmt, 3, citizen->email);
  _clave_sqlite_bind_text (stmt, 4, citizen->level);
  _clave_sqlite_bind_text (stmt, 5, citizen->channel);
  sqlite3_bind_int64 (stmt, 6, citizen->created_at);
  if (!_clave_sqlite_step_done (self, stmt, "put citizen", error))
    {
      if (error != NULL && *error != NULL && (*error)->code == CLAVE_STORE_ERROR_CONFLICT)
        {
          g_clear_error (error);
          g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                       "The phone %s belongs to another citizen", citizen->phone);
        }
      else if (error != NULL && *error != NULL && (*error)->code == CLAVE_STORE_ERROR_NOT_FOUND)
        {
          g_clear_error (error);
          g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND,
                       "%s is not in the identity registry", citizen->document);
        }
      return FALSE;
    }
  return TRUE;
}

ClaveCitizen *
clave_sqlite_store_get_citizen (ClaveStore  *store,
                                const char  *document,
                                GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  ClaveCitizen *citizen = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self,
                                "SELECT document, phone, email, level, channel, created_at"
                                " FROM citizens WHERE document = ?1",
                                error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, document);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      citizen = g_new0 (ClaveCitizen, 1);
      citizen->document = _clave_sqlite_column_text (stmt, 0);
      citizen->phone = _clave_sqlite_column_text (stmt, 1);
      citizen->email = _clave_sqlite_column_text (stmt, 2);
      citizen->level = _clave_sqlite_column_text (stmt, 3);
      citizen->channel = _clave_sqlite_column_text (stmt, 4);
      citizen->created_at = sqlite3_column_int64 (stmt, 5);
    }
  else if (rc != SQLITE_DONE)
    _clave_sqlite_set_db_error (self, error, "get citizen");
  sqlite3_reset (stmt);
  return citizen;
}

gboolean
clave_sqlite_store_change_level (ClaveStore  *store,
                                 const char  *document,
                                 const char  *from_level,
                                 const char  *to_level,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  g_autoptr(ClaveCitizen) citizen = NULL;
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "UPDATE citizens SET level = ?3 WHERE document = ?1 AND level = ?2",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, document);
  _clave_sqlite_bind_text (stmt, 2, from_level);
  _clave_sqlite_bind_text (stmt, 3, to_level);
  if (!_clave_sqlite_step_done (self, stmt, "change level", error))
    return FALSE;
  if (sqlite3_changes (self->db) > 0)
    return TRUE;

  citizen = clave_sqlite_store_get_citizen (store, document, error);
  if (citizen == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND,
                     "change level: not registered");
      return FALSE;
    }
  g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
               "change level: the level is %s", citizen->level);
  return FALSE;
}

gboolean
clave_sqlite_store_give_up (ClaveStore  *store,
                            const char  *document,
                            gint64       now,
                            GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  if (!_clave_sqlite_begin (self, error))
    return FALSE;

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO given_up (document, given_up_at, level, channel,"
                                "                      registered_at)"
                                " SELECT document, ?2, level, channel, created_at"
                                " FROM citizens WHERE document = ?1",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  sqlite3_bind_int64 (stmt, 2, now);
  if (!_clave_sqlite_step_done (self, stmt, "give up", error))
    return _clave_sqlite_rollback (self);
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND,
                   "give up: not registered");
      return _clave_sqlite_rollback (self);
    }

  /* The codes of its flows in progress are of no use to anybody now. */
  stmt = _clave_sqlite_prepare (self,
                                "UPDATE sms_outbox SET body = redacted_body, redacted_body = NULL"
                                " WHERE citizen = ?1 AND redacted_body IS NOT NULL",
                                error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  if (!_clave_sqlite_step_done (self, stmt, "give up", error))
    return _clave_sqlite_rollback (self);

  /* Its Cl@ve Firma certificates are revoked (they stay on the CRL). */
  if (!_clave_sqlite_revoke_firma_of (self, document, now, error))
    return _clave_sqlite_rollback (self);

  /* Its devices, activations and requests go with it. */
  stmt = _clave_sqlite_prepare (self, "DELETE FROM citizens WHERE document = ?1", error);
  if (stmt == NULL)
    return _clave_sqlite_rollback (self);
  _clave_sqlite_bind_text (stmt, 1, document);
  if (!_clave_sqlite_step_done (self, stmt, "give up", error))
    return _clave_sqlite_rollback (self);

  return _clave_sqlite_commit (self, error);
}

gboolean
clave_sqlite_store_get_given_up (ClaveStore  *store,
                                 const char  *document,
                                 gint64      *given_up_at,
                                 GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  gboolean ok = TRUE;

  *given_up_at = 0;
  stmt = _clave_sqlite_prepare (self,
                                "SELECT MAX(given_up_at) FROM given_up WHERE document = ?1",
                                error);
  if (stmt == NULL)
    return FALSE;
  _clave_sqlite_bind_text (stmt, 1, document);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    *given_up_at = sqlite3_column_int64 (stmt, 0);
  else
    ok = _clave_sqlite_set_db_error (self, error, "get given up");
  sqlite3_reset (stmt);
  return ok;
}

/* Identification failures ------------------------------------------------ */

gboolean
clave_sqlite_store_add_identify_failure (ClaveStore  *store,
                                         const char  *document,
                                         const char  *source,
                                         gint64       now,
                                         GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO identify_failures (document, source, created_at)"
                                " VALUES (?1, ?2, ?3)",
                                error);
  if (stmt == NULL)
    return FALSE;

  _clave_sqlite_bind_text (stmt, 1, document);
  _clave_sqlite_bind_text (stmt, 2, source);
  sqlite3_bind_int64 (stmt, 3, now);
  return _clave_sqlite_step_done (self, stmt, "add identify failure", error);
}

/* Runs @sql, a query of one time column with parameters ?1 = @value,
 * ?2 = @since and, if not NULL, ?3 = @value2, into an array of gint64. */
static GArray *
list_times_full (ClaveSqliteStore  *self,
                 const char        *sql,
                 const char        *value,
                 gint64             since,
                 const char        *value2,
                 const char        *what,
                 GError           **error)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  int rc;

  stmt = _clave_sqlite_prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;

  _clave_sqlite_bind_text (stmt, 1, value);
  sqlite3_bind_int64 (stmt, 2, since);
  if (value2 != NULL)
    _clave_sqlite_bind_text (stmt, 3, value2);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 t = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (times, t);
    }
  if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, what);
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&times);
}

GArray *
_clave_sqlite_list_times (ClaveSqliteStore  *self,
                          const char        *sql,
                          const char        *value,
                          gint64             since,
                          const char        *what,
                          GError           **error)
{
  return list_times_full (self, sql, value, since, NULL, what, error);
}

GArray *
clave_sqlite_store_list_identify_failures (ClaveStore  *store,
                                           const char  *document,
                                           const char  *source,
                                           gint64       since,
                                           GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);

  if (document != NULL && source != NULL)
    return list_times_full (self,
                            "SELECT created_at FROM identify_failures"
                            " WHERE document = ?1 AND created_at >= ?2 AND source = ?3"
                            " ORDER BY created_at",
                            document, since, source, "list identify failures", error);
  if (document != NULL)
    return _clave_sqlite_list_times (self,
                                     "SELECT created_at FROM identify_failures"
                                     " WHERE document = ?1 AND created_at >= ?2 ORDER BY "
                                     "created_at",
                                     document, since, "list identify failures", error);
  return _clave_sqlite_list_times (self,
                                   "SELECT created_at FROM identify_failures"
                                   " WHERE source = ?1 AND created_at >= ?2 ORDER BY created_at",
                                   source, since, "list identify failures", error);
}

gboolean
clave_sqlite_store_touch_known_source (ClaveStore  *store,
                                       const char  *key,
                                       gint64       now,
                                       GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;

  stmt = _clave_sqlite_prepare (self,
                                "INSERT INTO known_sources (key, last_seen) VALUES (?1, ?2)"
                                " ON CONFLICT (key) DO UPDATE"
                                " SET last_seen = MAX (last_seen, excluded.last_seen)",
                                error);
  if (stmt == NULL)
    return FALSE;

  _clave_sqlite_bind_text (stmt, 1, key);
  sqlite3_bind_int64 (stmt, 2, now);
  return _clave_sqlite_step_done (self, stmt, "touch known source", error);
}

gboolean
clave_sqlite_store_get_known_source (ClaveStore  *store,
                                     const char  *key,
                                     gint64      *last_seen,
                                     GError     **error)
{
  ClaveSqliteStore *self = CLAVE_SQLITE_STORE (store);
  sqlite3_stmt *stmt;
  int rc;

  *last_seen = 0;
  stmt = _clave_sqlite_prepare (self, "SELECT last_seen FROM known_sources WHERE key = ?1", error);
  if (stmt == NULL)
    return FALSE;

  _clave_sqlite_bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *last_seen = sqlite3_column_int64 (stmt, 0);
  else if (rc != SQLITE_DONE)
    {
      _clave_sqlite_set_db_error (self, error, "get known source");
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}
