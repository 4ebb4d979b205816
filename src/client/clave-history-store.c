/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-history-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "clave-history-store.h"
#include "clave-history-store-private.h"

/* Bump to rebuild the cache with a new schema: it is only a cache, the
 * service has the history. */
#define SCHEMA_VERSION 3
#define SYNC_PAGE_LIMIT 1000
/* A sync never needs more pages than this; a service that keeps saying
 * "more" past it is broken, and the loop must end. */
#define SYNC_MAX_PAGES 10000

struct _ClaveHistoryStore
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;
  sqlite3_stmt *upsert;
  sqlite3_stmt *add_organisation;
  GHashTable   *counts;      /* query key → GUINT_TO_POINTER (count + 1) */
  gboolean      in_bulk;
  gboolean      bulk_changed;
};

G_DEFINE_FINAL_TYPE (ClaveHistoryStore, clave_history_store, G_TYPE_OBJECT)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Organisation is NOCASE so that the filter's IN (…) and the sort use
 * one index. Every sort has an index in its own order ending in
 * created_at DESC (the tie-breaker), so the first screen is an index walk;
 * every index also carries the other filter columns, so a filtered walk
 * reads the table only for the rows it returns. The model's sort keys
 * (sort_specs in clave-history-model.c) are these columns in this order
 * and the rowid after them, so that the next page is a range of the
 * index: change them together.
 *
 * history_counts keeps the number of rows per (time bucket of 2^21 s,
 * about 24 days, status, type, organisation), kept by triggers, so that
 * the model's COUNT(*) sums a few thousand rows instead of scanning up to
 * a million; only the partial buckets at the edges of a date range are
 * counted in the history itself. */
static const char schema[] =
  "CREATE TABLE IF NOT EXISTS meta ("
  "  key TEXT PRIMARY KEY,"
  "  value TEXT) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS organisations ("
  "  name TEXT PRIMARY KEY) WITHOUT ROWID;"
  "CREATE TABLE IF NOT EXISTS history ("
  "  id TEXT NOT NULL UNIQUE,"
  "  seq INTEGER NOT NULL,"
  "  type TEXT NOT NULL,"
  "  status TEXT NOT NULL,"
  "  organisation TEXT NOT NULL COLLATE NOCASE,"
  "  origin TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  answered_at INTEGER);"
  "CREATE INDEX IF NOT EXISTS history_created ON history (created_at DESC, id DESC, status, type, organisation);"
  "CREATE INDEX IF NOT EXISTS history_status ON history (status, created_at DESC, type, organisation);"
  "CREATE INDEX IF NOT EXISTS history_type ON history (type, created_at DESC, status, organisation);"
  "CREATE INDEX IF NOT EXISTS history_organisation ON history (organisation, created_at DESC, status, type);"
  "CREATE TABLE IF NOT EXISTS history_counts ("
  "  bucket INTEGER NOT NULL,"
  "  status TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  organisation TEXT NOT NULL COLLATE NOCASE,"
  "  n INTEGER NOT NULL,"
  "  PRIMARY KEY (bucket, status, type, organisation)) WITHOUT ROWID;"
  "CREATE TRIGGER IF NOT EXISTS history_counts_insert AFTER INSERT ON history BEGIN"
  "  INSERT INTO history_counts (bucket, status, type, organisation, n)"
  "   VALUES (new.created_at >> " G_STRINGIFY (CLAVE_HISTORY_BUCKET_SHIFT) ", new.status, new.type, new.organisation, 1)"
  "   ON CONFLICT DO UPDATE SET n = n + 1;"
  " END;"
  "CREATE TRIGGER IF NOT EXISTS history_counts_update"
  " AFTER UPDATE OF created_at, status, type, organisation ON history BEGIN"
  "  UPDATE history_counts SET n = n - 1"
  "   WHERE bucket = old.created_at >> " G_STRINGIFY (CLAVE_HISTORY_BUCKET_SHIFT) " AND status = old.status"
  "   AND type = old.type AND organisation = old.organisation;"
  "  INSERT INTO history_counts (bucket, status, type, organisation, n)"
  "   VALUES (new.created_at >> " G_STRINGIFY (CLAVE_HISTORY_BUCKET_SHIFT) ", new.status, new.type, new.organisation, 1)"
  "   ON CONFLICT DO UPDATE SET n = n + 1;"
  " END;"
  "CREATE TRIGGER IF NOT EXISTS history_counts_delete AFTER DELETE ON history BEGIN"
  "  UPDATE history_counts SET n = n - 1"
  "   WHERE bucket = old.created_at >> " G_STRINGIFY (CLAVE_HISTORY_BUCKET_SHIFT) " AND status = old.status"
  "   AND type = old.type AND organisation = old.organisation;"
  " END;";

GIOErrorEnum
_clave_history_store_error_code (int result)
{
  switch (result & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return G_IO_ERROR_BUSY;
    case SQLITE_FULL:
      return G_IO_ERROR_NO_SPACE;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return G_IO_ERROR_PERMISSION_DENIED;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return G_IO_ERROR_INVALID_DATA;
    case SQLITE_INTERRUPT:
      return G_IO_ERROR_CANCELLED;
    default:
      return G_IO_ERROR_FAILED;
    }
}

static void
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  const char  *what)
{
  g_set_error (error, G_IO_ERROR,
               db != NULL ? _clave_history_store_error_code (sqlite3_errcode (db)) : G_IO_ERROR_FAILED,
               _("Cannot use the list of your requests (%s): %s"),
               what, db != NULL ? sqlite3_errmsg (db) : "out of memory");
}

/* For the reads of the store and of ClaveHistoryModel: what the page
 * shows under "Your requests could not be read". */
void
_clave_history_store_set_read_error (ClaveHistoryStore  *self,
                                     GError            **error)
{
  sqlite3 *db = self->db;

  /* Translators: %s is SQLite's own words, e.g. "database is locked". */
  g_set_error (error, G_IO_ERROR,
               db != NULL ? _clave_history_store_error_code (sqlite3_errcode (db)) : G_IO_ERROR_CLOSED,
               _("The list saved on this computer could not be read (%s)."),
               db != NULL ? sqlite3_errmsg (db) : "closed");
}

static gboolean
exec (ClaveHistoryStore  *self,
      const char         *sql,
      GError            **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "exec");
      return FALSE;
    }
  return TRUE;
}

static void
clave_history_store_finalize (GObject *object)
{
  ClaveHistoryStore *self = CLAVE_HISTORY_STORE (object);

  g_clear_pointer (&self->upsert, sqlite3_finalize);
  g_clear_pointer (&self->add_organisation, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->counts, g_hash_table_unref);
  g_free (self->path);

  G_OBJECT_CLASS (clave_history_store_parent_class)->finalize (object);
}

static void
clave_history_store_class_init (ClaveHistoryStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = clave_history_store_finalize;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
clave_history_store_init (ClaveHistoryStore *self)
{
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

char *
clave_history_store_default_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "clave-desktop", "history.db", NULL);
}

static gboolean
open_db (ClaveHistoryStore  *self,
         GError            **error)
{
  sqlite3_stmt *stmt = NULL;
  int version = 0;

  if (sqlite3_open_v2 (self->path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL)
      != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "open");
      return FALSE;
    }

  sqlite3_busy_timeout (self->db, 2000);

  /* A version that cannot be read is not version 0 (a new file): a busy
   * or unreadable file is an error, not one to build afresh. */
  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "schema");
      return FALSE;
    }
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (error, self->db, "schema");
      sqlite3_finalize (stmt);
      return FALSE;
    }
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  if (version != 0 && version != SCHEMA_VERSION)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "old schema");
      return FALSE;
    }

  /* WAL: the page reads while a sync writes. NORMAL: a cache may lose
   * the last transaction on power loss, the next sync brings it back. */
  if (!exec (self, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;", error) ||
      !exec (self, schema, error) ||
      !exec (self, "PRAGMA user_version=" G_STRINGIFY (SCHEMA_VERSION), error))
    return FALSE;

  if (sqlite3_prepare_v3 (self->db,
                          "INSERT INTO history (id, seq, type, status, organisation, origin, created_at, answered_at)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                          " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, type = excluded.type,"
                          "  status = excluded.status, organisation = excluded.organisation,"
                          "  origin = excluded.origin, created_at = excluded.created_at,"
                          "  answered_at = excluded.answered_at"
                          " WHERE excluded.seq >= history.seq",
                          -1, SQLITE_PREPARE_PERSISTENT, &self->upsert, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3 (self->db, "INSERT OR IGNORE INTO organisations (name) VALUES (?1)",
                          -1, SQLITE_PREPARE_PERSISTENT, &self->add_organisation, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "prepare");
      return FALSE;
    }

  return TRUE;
}

static void
remove_db_files (const char *path)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
}

ClaveHistoryStore *
clave_history_store_open (const char  *path,
                          GError     **error)
{
  g_autoptr(ClaveHistoryStore) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = NULL;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the folder “%s” for the list of your requests: %s"),
                   dir, g_strerror (saved_errno));
      return NULL;
    }

  /* Create the file 0600 before SQLite does (it would use the umask);
   * the WAL and shared-memory files take the database file's mode. */
  fd = g_open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot open the list of your requests (%s): %s"),
                   path, g_strerror (saved_errno));
      return NULL;
    }
  if (fchmod (fd, 0600) != 0)
    g_warning ("Cannot restrict the permissions of %s: %s", path, g_strerror (errno));
  close (fd);

  self = g_object_new (CLAVE_TYPE_HISTORY_STORE, NULL);
  self->path = g_strdup (path);

  if (!open_db (self, &local_error))
    {
      /* Another connection holds the file (a second instance, a sync
       * being written): it is sound, and removing it would pull it from
       * under that connection. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_BUSY))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      /* Only a cache: start again from an empty one, the next sync
       * fills it. */
      g_debug ("Replacing the history cache %s: %s", path, local_error->message);
      g_clear_error (&local_error);
      g_clear_pointer (&self->upsert, sqlite3_finalize);
      g_clear_pointer (&self->add_organisation, sqlite3_finalize);
      g_clear_pointer (&self->db, sqlite3_close);
      remove_db_files (path);

      fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0)
        close (fd);

      if (!open_db (self, error))
        return NULL;
    }

  return g_steal_pointer (&self);
}

const char *
clave_history_store_get_path (ClaveHistoryStore *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), NULL);
  return self->path;
}

sqlite3 *
_clave_history_store_get_db (ClaveHistoryStore *self)
{
  return self->db;
}

gboolean
_clave_history_store_lookup_count (ClaveHistoryStore *self,
                                   const char        *key,
                                   guint             *count)
{
  gpointer value = g_hash_table_lookup (self->counts, key);

  if (value == NULL)
    return FALSE;

  *count = GPOINTER_TO_UINT (value) - 1;
  return TRUE;
}

void
_clave_history_store_remember_count (ClaveHistoryStore *self,
                                     const char        *key,
                                     guint              count)
{
  if (count < G_MAXUINT)
    g_hash_table_replace (self->counts, g_strdup (key), GUINT_TO_POINTER (count + 1));
}

static void
emit_changed (ClaveHistoryStore *self)
{
  g_hash_table_remove_all (self->counts);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

gboolean
_clave_history_store_begin (ClaveHistoryStore  *self,
                            GError            **error)
{
  g_return_val_if_fail (!self->in_bulk, FALSE);

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;

  self->in_bulk = TRUE;
  self->bulk_changed = FALSE;
  return TRUE;
}

static gboolean
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  return sqlite3_bind_text (stmt, index, text != NULL ? text : "", -1, SQLITE_STATIC) == SQLITE_OK;
}

gboolean
_clave_history_store_insert_one (ClaveHistoryStore        *self,
                                 const ClaveHistoryEntry  *entry,
                                 GError                  **error)
{
  gboolean ok;

  g_return_val_if_fail (self->in_bulk, FALSE);

  if (entry->id == NULL || entry->id[0] == '\0')
    return TRUE;

  ok = bind_text (self->upsert, 1, entry->id) &&
       sqlite3_bind_int64 (self->upsert, 2, entry->seq) == SQLITE_OK &&
       bind_text (self->upsert, 3, entry->type) &&
       bind_text (self->upsert, 4, entry->status) &&
       bind_text (self->upsert, 5, entry->organisation) &&
       bind_text (self->upsert, 6, entry->origin) &&
       sqlite3_bind_int64 (self->upsert, 7, entry->created_at) == SQLITE_OK &&
       (entry->answered_at > 0
        ? sqlite3_bind_int64 (self->upsert, 8, entry->answered_at)
        : sqlite3_bind_null (self->upsert, 8)) == SQLITE_OK &&
       sqlite3_step (self->upsert) == SQLITE_DONE;
  sqlite3_reset (self->upsert);
  sqlite3_clear_bindings (self->upsert);

  if (ok)
    {
      ok = bind_text (self->add_organisation, 1, entry->organisation) &&
           sqlite3_step (self->add_organisation) == SQLITE_DONE;
      sqlite3_reset (self->add_organisation);
      sqlite3_clear_bindings (self->add_organisation);
    }

  if (!ok)
    {
      set_sqlite_error (error, self->db, "insert");
      return FALSE;
    }

  self->bulk_changed = TRUE;
  return TRUE;
}

static gboolean
set_meta (ClaveHistoryStore  *self,
          const char         *key,
          const char         *value,
          GError            **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  if (sqlite3_prepare_v2 (self->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "meta");
      return FALSE;
    }

  ok = bind_text (stmt, 1, key) && bind_text (stmt, 2, value) &&
       sqlite3_step (stmt) == SQLITE_DONE;
  if (!ok)
    set_sqlite_error (error, self->db, "meta");
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
_clave_history_store_commit (ClaveHistoryStore  *self,
                             GError            **error)
{
  g_return_val_if_fail (self->in_bulk, FALSE);

  self->in_bulk = FALSE;
  if (!exec (self, "COMMIT", error))
    {
      exec (self, "ROLLBACK", NULL);
      return FALSE;
    }

  if (self->bulk_changed)
    emit_changed (self);
  return TRUE;
}

static void
rollback (ClaveHistoryStore *self)
{
  self->in_bulk = FALSE;
  exec (self, "ROLLBACK", NULL);
}

gboolean
clave_history_store_upsert (ClaveHistoryStore  *self,
                            GPtrArray          *entries,
                            const char         *cursor,
                            GError            **error)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), FALSE);
  g_return_val_if_fail (!self->in_bulk, FALSE);

  if (!_clave_history_store_begin (self, error))
    return FALSE;

  for (guint i = 0; entries != NULL && i < entries->len; i++)
    if (!_clave_history_store_insert_one (self, g_ptr_array_index (entries, i), error))
      {
        rollback (self);
        return FALSE;
      }

  if (cursor != NULL && !set_meta (self, "cursor", cursor, error))
    {
      rollback (self);
      return FALSE;
    }

  return _clave_history_store_commit (self, error);
}

gboolean
clave_history_store_lookup_cursor (ClaveHistoryStore  *self,
                                   char              **cursor,
                                   GError            **error)
{
  sqlite3_stmt *stmt = NULL;
  int result;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), FALSE);
  g_return_val_if_fail (cursor != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *cursor = NULL;
  if (sqlite3_prepare_v2 (self->db, "SELECT value FROM meta WHERE key = 'cursor'",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      _clave_history_store_set_read_error (self, error);
      return FALSE;
    }

  result = sqlite3_step (stmt);
  if (result == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    *cursor = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else if (result != SQLITE_ROW && result != SQLITE_DONE)
    _clave_history_store_set_read_error (self, error);
  sqlite3_finalize (stmt);

  return result == SQLITE_ROW || result == SQLITE_DONE;
}

char *
clave_history_store_dup_cursor (ClaveHistoryStore *self)
{
  g_autoptr(GError) error = NULL;
  char *cursor = NULL;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), NULL);

  if (!clave_history_store_lookup_cursor (self, &cursor, &error))
    g_warning ("%s", error->message);
  return cursor;
}

gboolean
clave_history_store_count_rows (ClaveHistoryStore  *self,
                                guint              *count,
                                GError            **error)
{
  sqlite3_stmt *stmt = NULL;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), FALSE);
  g_return_val_if_fail (count != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *count = 0;
  if (sqlite3_prepare_v2 (self->db, "SELECT COUNT(*) FROM history", -1, &stmt, NULL) != SQLITE_OK)
    {
      _clave_history_store_set_read_error (self, error);
      return FALSE;
    }

  /* COUNT(*) always gives a row: no row is a failure. */
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      _clave_history_store_set_read_error (self, error);
      sqlite3_finalize (stmt);
      return FALSE;
    }
  *count = (guint) CLAMP (sqlite3_column_int64 (stmt, 0), 0, (gint64) G_MAXUINT);
  sqlite3_finalize (stmt);

  return TRUE;
}

guint
clave_history_store_count (ClaveHistoryStore *self)
{
  g_autoptr(GError) error = NULL;
  guint count = 0;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), 0);

  if (!clave_history_store_count_rows (self, &count, &error))
    g_warning ("%s", error->message);
  return count;
}

GStrv
clave_history_store_list_organisations (ClaveHistoryStore  *self,
                                        GError            **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt = NULL;
  int result;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (sqlite3_prepare_v2 (self->db, "SELECT name FROM organisations ORDER BY name COLLATE NOCASE",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      _clave_history_store_set_read_error (self, error);
      return NULL;
    }

  while ((result = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  if (result != SQLITE_DONE)
    {
      /* Part of the names would make a filter match less than it does. */
      _clave_history_store_set_read_error (self, error);
      sqlite3_finalize (stmt);
      return NULL;
    }
  sqlite3_finalize (stmt);

  return g_strv_builder_end (builder);
}

gboolean
clave_history_store_clear (ClaveHistoryStore  *self,
                           GError            **error)
{
  int fd;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), FALSE);
  g_return_val_if_fail (!self->in_bulk, FALSE);

  /* A new file rather than DELETE: the requests of a person who signed
   * out must not linger in free pages, and it is instant. */
  g_clear_pointer (&self->upsert, sqlite3_finalize);
  g_clear_pointer (&self->add_organisation, sqlite3_finalize);
  g_clear_pointer (&self->db, sqlite3_close);
  remove_db_files (self->path);

  fd = g_open (self->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0)
    close (fd);

  if (!open_db (self, error))
    return FALSE;

  emit_changed (self);
  return TRUE;
}

gboolean
clave_history_store_delete_file (const char  *path,
                                 GError     **error)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

  g_return_val_if_fail (path != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      if (g_unlink (file) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Cannot remove the list of your requests (%s): %s"),
                       file, g_strerror (saved_errno));
          return FALSE;
        }
    }

  return TRUE;
}

/* Sync: history pages until more=false, each upserted with its cursor in
 * one transaction, so an interrupted sync resumes where it stopped. */

typedef struct {
  ClaveServiceClient *client;
  GObject            *key;
  char               *device_id;
  guint               received;
  guint               pages;
} SyncData;

static void
sync_data_free (SyncData *data)
{
  g_clear_object (&data->client);
  g_clear_object (&data->key);
  g_free (data->device_id);
  g_free (data);
}

static void sync_next (GTask *task);

static void
on_history_page (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClaveHistoryStore *self = g_task_get_source_object (task);
  SyncData *data = g_task_get_task_data (task);
  g_autoptr(ClaveHistoryPage) page = NULL;
  GError *error = NULL;

  page = clave_service_client_get_history_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  if (page == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (!clave_history_store_upsert (self, page->entries, page->next, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  data->received += page->entries->len;
  data->pages++;

  if (!page->more || page->entries->len == 0 || data->pages >= SYNC_MAX_PAGES)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  sync_next (g_steal_pointer (&task));
}

static void
sync_next (GTask *task)
{
  ClaveHistoryStore *self = g_task_get_source_object (task);
  SyncData *data = g_task_get_task_data (task);
  g_autofree char *cursor = NULL;
  GError *error = NULL;

  /* Without the cursor the sync would start over from the first request:
   * a cursor that cannot be read fails the sync instead. */
  if (!clave_history_store_lookup_cursor (self, &cursor, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  clave_service_client_get_history_async (data->client, data->key, data->device_id, cursor,
                                          SYNC_PAGE_LIMIT, g_task_get_cancellable (task),
                                          on_history_page, task);
}

void
clave_history_store_sync_async (ClaveHistoryStore   *self,
                                ClaveServiceClient  *client,
                                gpointer             key,
                                const char          *device_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  SyncData *data;

  g_return_if_fail (CLAVE_IS_HISTORY_STORE (self));
  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (client));
  g_return_if_fail (G_IS_OBJECT (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_history_store_sync_async);

  data = g_new0 (SyncData, 1);
  data->client = g_object_ref (client);
  data->key = g_object_ref (key);
  data->device_id = g_strdup (device_id);
  g_task_set_task_data (task, data, (GDestroyNotify) sync_data_free);

  sync_next (task);
}

gboolean
clave_history_store_sync_finish (ClaveHistoryStore  *self,
                                 GAsyncResult       *result,
                                 guint              *n_received,
                                 GError            **error)
{
  SyncData *data;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (n_received != NULL)
    *n_received = data != NULL ? data->received : 0;

  return g_task_propagate_boolean (G_TASK (result), error);
}
