/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-history-store"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "clave-history-store.h"
#include "clave-history-store-private.h"

#define N_ROWS 10000
#define BASE_TIME 1700000000
/* Spread over ~14 months: many count buckets of the store. */
#define SLOT_SECS 3600

static const char *const organisations[] = {
  "Agencia Tributaria",
  "Dirección General de Tráfico",
  "Seguridad Social",
  "Ayuntamiento de Málaga",
  "agencia local de empleo",
};
static const char *const types[] = { "qr", "push", "sms" };
static const char *const statuses[] = { "pending", "confirmed", "rejected", "expired" };

static ClaveHistoryEntry *
make_entry (guint i,
            gint64 seq)
{
  ClaveHistoryEntry *entry = g_new0 (ClaveHistoryEntry, 1);
  /* A fixed permutation of times: unique, not in insertion order. */
  guint slot = (i * 7919u) % N_ROWS;

  entry->seq = seq;
  entry->id = g_strdup_printf ("req_test%08u", i);
  entry->type = g_strdup (types[(i / 3) % G_N_ELEMENTS (types)]);
  entry->status = g_strdup (statuses[(i * 13) % G_N_ELEMENTS (statuses)]);
  entry->organisation = g_strdup (organisations[(i * 31 / 7) % G_N_ELEMENTS (organisations)]);
  entry->origin = g_strdup_printf ("https://site%u.example.org", i % 5);
  entry->created_at = BASE_TIME + (gint64) slot * SLOT_SECS;
  entry->answered_at = g_str_equal (entry->status, "confirmed") ? entry->created_at + 30 : 0;
  return entry;
}

static char *
store_path (void)
{
  return g_build_filename (g_get_user_cache_dir (), "clave-desktop", "history.db", NULL);
}

static ClaveHistoryStore *
open_store (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(GError) error = NULL;
  ClaveHistoryStore *store = clave_history_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static GPtrArray *
make_entries (guint n)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_history_entry_free);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (entries, make_entry (i, i + 1));
  return entries;
}

static void
test_default_path (void)
{
  g_autofree char *path = clave_history_store_default_path ();
  g_autofree char *expected = store_path ();

  g_assert_cmpstr (path, ==, expected);
}

static void
test_upsert_and_cursor (void)
{
  g_autoptr(ClaveHistoryStore) store = open_store ();
  g_autoptr(GPtrArray) entries = make_entries (10);
  g_autoptr(GPtrArray) update = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_history_entry_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveHistoryModel) model = NULL;
  g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();
  g_autofree char *cursor = NULL;
  g_auto(GStrv) names = NULL;
  g_autoptr(ClaveHistoryItem) item = NULL;
  ClaveHistoryEntry *entry;
  struct stat st;
  guint changed = 0;

  g_assert_cmpint (g_stat (clave_history_store_get_path (store), &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_null (clave_history_store_dup_cursor (store));
  g_assert_true (clave_history_store_upsert (store, entries, "c10", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (clave_history_store_count (store), ==, 10);
  cursor = clave_history_store_dup_cursor (store);
  g_assert_cmpstr (cursor, ==, "c10");

  names = clave_history_store_list_organisations (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (names), ==, 5);
  g_assert_cmpstr (names[0], ==, "agencia local de empleo");
  g_assert_cmpstr (names[1], ==, "Agencia Tributaria");

  filter->status = g_strdup ("confirmed");
  model = clave_history_model_new (store, filter);
  {
    guint before = g_list_model_get_n_items (G_LIST_MODEL (model));
    guint new_n = 0;

    /* A status change comes again with a newer seq; an older seq is stale. */
    entry = make_entry (0, 100);
    g_free (entry->status);
    entry->status = g_strdup ("confirmed");
    entry->answered_at = entry->created_at + 5;
    g_ptr_array_add (update, entry);
    entry = make_entry (1, 0);
    g_free (entry->status);
    entry->status = g_strdup ("expired");
    g_ptr_array_add (update, entry);

    g_assert_true (clave_history_store_upsert (store, update, "c11", &error));
    g_assert_no_error (error);
    new_n = g_list_model_get_n_items (G_LIST_MODEL (model));
    changed = new_n - before;
  }
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (clave_history_store_count (store), ==, 10);

  clave_history_filter_free (g_steal_pointer (&filter));
  filter = clave_history_filter_new ();
  filter->organisation = g_strdup ("Agencia Tributaria");
  filter->organisation_exact = TRUE;
  clave_history_model_set_filter (model, filter);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr(ClaveHistoryItem) row = g_list_model_get_item (G_LIST_MODEL (model), i);

      g_assert_cmpstr (clave_history_item_get_organisation (row), ==, "Agencia Tributaria");
    }

  clave_history_model_set_filter (model, NULL);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(ClaveHistoryItem) row = g_list_model_get_item (G_LIST_MODEL (model), i);

      if (g_str_equal (clave_history_item_get_id (row), "req_test00000000"))
        {
          g_assert_cmpstr (clave_history_item_get_status (row), ==, "confirmed");
          g_assert_true (clave_history_item_get_confirmed (row));
          g_assert_cmpint (clave_history_item_get_answered_at (row), >, 0);
        }
      if (g_str_equal (clave_history_item_get_id (row), "req_test00000001"))
        g_assert_cmpstr (clave_history_item_get_status (row), !=, "expired");
    }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 10));
  g_assert_cmpuint (g_list_model_get_item_type (G_LIST_MODEL (model)), ==, CLAVE_TYPE_HISTORY_ITEM);

  item = g_list_model_get_item (G_LIST_MODEL (model), 0);
  {
    g_autofree char *label = NULL;
    g_autofree char *type = NULL;
    gint64 created = 0;

    g_object_get (item, "type-label", &label, "type", &type, "created-at", &created, NULL);
    g_assert_cmpstr (label, ==, g_str_equal (type, "qr") ? "With QR code" :
                                g_str_equal (type, "push") ? "Without QR code" : "By SMS");
    g_assert_cmpint (created, >=, BASE_TIME);
  }

  g_clear_pointer (&cursor, g_free);
  cursor = clave_history_store_dup_cursor (store);
  g_assert_cmpstr (cursor, ==, "c11");

  g_assert_true (clave_history_store_clear (store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (clave_history_store_count (store), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_null (clave_history_store_dup_cursor (store));
}

static void
test_reopen_and_corrupt (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = make_entries (3);
  ClaveHistoryStore *store;

  store = open_store ();
  g_assert_true (clave_history_store_upsert (store, entries, "3", &error));
  g_object_unref (store);

  store = open_store ();
  g_assert_cmpuint (clave_history_store_count (store), ==, 3);
  g_object_unref (store);

  /* Not a database: it is only a cache, so it starts empty again. */
  g_assert_true (clave_history_store_delete_file (path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, "this is not SQLite, it is long enough to have a header..........", -1, NULL));
  store = open_store ();
  g_assert_cmpuint (clave_history_store_count (store), ==, 0);
  g_object_unref (store);
}

static void
test_sort_and_day (void)
{
  gint64 from = 0, to = 0, none = -1;

  for (guint sort = 0; sort <= CLAVE_HISTORY_SORT_STATUS; sort++)
    g_assert_cmpint (clave_history_sort_from_string (clave_history_sort_to_string (sort)), ==, sort);
  g_assert_cmpint (clave_history_sort_from_string ("bogus"), ==, CLAVE_HISTORY_SORT_DATE_DESC);
  g_assert_cmpint (clave_history_sort_from_string (NULL), ==, CLAVE_HISTORY_SORT_DATE_DESC);

  g_assert_true (clave_history_parse_day ("2026-03-01", FALSE, &from));
  g_assert_true (clave_history_parse_day ("2026-03-01", TRUE, &to));
  g_assert_cmpint (to - from, >=, 23 * 3600);
  g_assert_cmpint (to - from, <=, 25 * 3600);
  g_assert_true (clave_history_parse_day ("", FALSE, &none));
  g_assert_cmpint (none, ==, 0);
  g_assert_false (clave_history_parse_day ("2026-02-30", FALSE, &from));
  g_assert_false (clave_history_parse_day ("2026-3-01", FALSE, &from));
  g_assert_false (clave_history_parse_day ("01/03/2026", FALSE, &from));
}

/* The model against a plain in-memory filter and sort of the same rows. */

static char *
fold (const char *text)
{
  g_autofree char *decomposed = g_utf8_normalize (text, -1, G_NORMALIZE_NFKD);
  GString *bare = g_string_new (NULL);
  g_autofree char *stripped = NULL;

  for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_ismark (g_utf8_get_char (p)))
      g_string_append_unichar (bare, g_utf8_get_char (p));
  stripped = g_string_free (bare, FALSE);
  return g_utf8_casefold (stripped, -1);
}

static gboolean
naive_matches (const ClaveHistoryFilter *filter,
               const ClaveHistoryEntry  *entry)
{
  if (filter->status && filter->status[0] && !g_str_equal (filter->status, entry->status))
    return FALSE;
  if (filter->type && filter->type[0] && !g_str_equal (filter->type, entry->type))
    return FALSE;
  if (filter->organisation && filter->organisation[0])
    {
      if (filter->organisation_exact)
        {
          if (g_ascii_strcasecmp (filter->organisation, entry->organisation) != 0)
            return FALSE;
        }
      else
        {
          g_autofree char *needle = fold (filter->organisation);
          g_autofree char *hay = fold (entry->organisation);

          if (strstr (hay, needle) == NULL)
            return FALSE;
        }
    }
  if (filter->from > 0 && entry->created_at < filter->from)
    return FALSE;
  if (filter->to > 0 && entry->created_at >= filter->to)
    return FALSE;
  return TRUE;
}

static int
newest_first (const ClaveHistoryEntry *a,
              const ClaveHistoryEntry *b)
{
  return (a->created_at < b->created_at) - (a->created_at > b->created_at);
}

static ClaveHistorySort naive_sort;

static int
naive_compare (gconstpointer pa,
               gconstpointer pb)
{
  const ClaveHistoryEntry *a = *(const ClaveHistoryEntry **) pa;
  const ClaveHistoryEntry *b = *(const ClaveHistoryEntry **) pb;
  int c = 0;

  switch (naive_sort)
    {
    case CLAVE_HISTORY_SORT_DATE_DESC:
      return newest_first (a, b);
    case CLAVE_HISTORY_SORT_DATE_ASC:
      return -newest_first (a, b);
    case CLAVE_HISTORY_SORT_ORGANISATION:
      c = g_ascii_strcasecmp (a->organisation, b->organisation);
      break;
    case CLAVE_HISTORY_SORT_TYPE:
      c = strcmp (a->type, b->type);
      break;
    case CLAVE_HISTORY_SORT_STATUS:
      c = strcmp (a->status, b->status);
      break;
    default:
      g_assert_not_reached ();
    }

  return c != 0 ? c : newest_first (a, b);
}

static void
test_model_matches_naive (void)
{
  g_autoptr(ClaveHistoryStore) store = open_store ();
  g_autoptr(GPtrArray) entries = make_entries (N_ROWS);
  g_autoptr(ClaveHistoryModel) model = NULL;
  g_autoptr(GError) error = NULL;
  static const struct {
    const char *status, *type, *organisation;
    gboolean exact;
    gint64 from_slot, to_slot;
  } filters[] = {
    { NULL, NULL, NULL, FALSE, 0, 0 },
    { "confirmed", NULL, NULL, FALSE, 0, 0 },
    { NULL, "sms", NULL, FALSE, 0, 0 },
    { NULL, NULL, "agencia", FALSE, 0, 0 },
    { NULL, NULL, "TRAFICO", FALSE, 0, 0 },
    { NULL, NULL, "seguridad social", TRUE, 0, 0 },
    { NULL, NULL, "nobody", FALSE, 0, 0 },
    { NULL, NULL, NULL, FALSE, 2500, 7500 },
    { "rejected", "qr", "a", FALSE, 1000, 9000 },
    { NULL, NULL, NULL, FALSE, 4000, 4100 },
    { "confirmed", NULL, NULL, FALSE, 0, 3000 },
    { NULL, "push", NULL, FALSE, 6000, 0 },
    { NULL, NULL, NULL, FALSE, 5000, 4000 },
  };

  g_assert_true (clave_history_store_upsert (store, entries, NULL, &error));
  g_assert_no_error (error);

  model = clave_history_model_new (store, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_ROWS);

  for (guint few = 0; few < 2; few++)
  for (gsize f = 0; f < G_N_ELEMENTS (filters); f++)
    for (guint sort = 0; sort <= CLAVE_HISTORY_SORT_STATUS; sort++)
      {
        g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();
        g_autoptr(GPtrArray) expected = g_ptr_array_new ();
        guint n;

        filter->status = g_strdup (filters[f].status);
        filter->type = g_strdup (filters[f].type);
        filter->organisation = g_strdup (filters[f].organisation);
        filter->organisation_exact = filters[f].exact;
        filter->from = filters[f].from_slot ? BASE_TIME + filters[f].from_slot * SLOT_SECS + 1234 : 0;
        filter->to = filters[f].to_slot ? BASE_TIME + filters[f].to_slot * SLOT_SECS + 17 : 0;
        filter->sort = sort;

        for (guint i = 0; i < entries->len; i++)
          if (naive_matches (filter, g_ptr_array_index (entries, i)))
            g_ptr_array_add (expected, g_ptr_array_index (entries, i));
        naive_sort = sort;
        g_ptr_array_sort (expected, naive_compare);

        /* Both plans: in-memory sort of the matches, and index walks. */
        _clave_history_model_set_few_rows (model, few == 0 ? 10000 : 0);
        clave_history_model_set_filter (model, filter);
        n = g_list_model_get_n_items (G_LIST_MODEL (model));
        g_test_message ("filter %zu sort %s plan %u: %u rows", f, clave_history_sort_to_string (sort), few, n);
        g_assert_cmpuint (n, ==, expected->len);

        /* Backwards first, so pages load out of order and get evicted. */
        for (guint i = n; i-- > 0;)
          {
            g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);
            const ClaveHistoryEntry *want = g_ptr_array_index (expected, i);

            g_assert_nonnull (item);
            g_assert_cmpstr (clave_history_item_get_id (item), ==, want->id);
            g_assert_cmpint (clave_history_item_get_created_at (item), ==, want->created_at);
          }
        g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));
      }
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *calls)
{
  g_assert_cmpuint (position, ==, 0);
  g_assert_cmpuint (added, ==, g_list_model_get_n_items (model));
  calls[0]++;
  calls[1] = removed;
  calls[2] = added;
}

static void
test_model_follows_store (void)
{
  g_autoptr(ClaveHistoryStore) store = open_store ();
  g_autoptr(GPtrArray) first = make_entries (5);
  g_autoptr(GPtrArray) second = make_entries (8);
  g_autoptr(ClaveHistoryModel) model = clave_history_model_new (store, NULL);
  guint calls[3] = { 0, 0, 0 };

  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), calls);
  g_assert_true (clave_history_store_upsert (store, first, NULL, NULL));
  g_assert_cmpuint (calls[0], ==, 1);
  g_assert_cmpuint (calls[1], ==, 0);
  g_assert_cmpuint (calls[2], ==, 5);
  g_assert_true (clave_history_store_upsert (store, second, NULL, NULL));
  g_assert_cmpuint (calls[0], ==, 2);
  g_assert_cmpuint (calls[1], ==, 5);
  g_assert_cmpuint (calls[2], ==, 8);
}

/* Failures are errors, not empty lists (issue 9). */

/* A VFS over the default one whose reads fail on demand with
 * SQLITE_IOERR_READ, as a failing disk does: after fail_after more reads
 * (0: at once; -1: never). */
typedef struct {
  sqlite3_file  base;
  sqlite3_file *real;
} FaultyFile;

static sqlite3_vfs *real_vfs;
static int fail_after = -1;

static int
faulty_close (sqlite3_file *file)
{
  FaultyFile *self = (FaultyFile *) file;
  int result = self->real->pMethods->xClose (self->real);

  self->base.pMethods = NULL;
  return result;
}

static int
faulty_read (sqlite3_file *file,
             void         *buffer,
             int           amount,
             sqlite3_int64 offset)
{
  FaultyFile *self = (FaultyFile *) file;

  if (fail_after == 0)
    return SQLITE_IOERR_READ;
  if (fail_after > 0)
    fail_after--;
  return self->real->pMethods->xRead (self->real, buffer, amount, offset);
}

#define REAL(file) (((FaultyFile *) (file))->real)

static int faulty_write (sqlite3_file *f, const void *b, int n, sqlite3_int64 o) { return REAL (f)->pMethods->xWrite (REAL (f), b, n, o); }
static int faulty_truncate (sqlite3_file *f, sqlite3_int64 size) { return REAL (f)->pMethods->xTruncate (REAL (f), size); }
static int faulty_sync (sqlite3_file *f, int flags) { return REAL (f)->pMethods->xSync (REAL (f), flags); }
static int faulty_file_size (sqlite3_file *f, sqlite3_int64 *size) { return REAL (f)->pMethods->xFileSize (REAL (f), size); }
static int faulty_lock (sqlite3_file *f, int lock) { return REAL (f)->pMethods->xLock (REAL (f), lock); }
static int faulty_unlock (sqlite3_file *f, int lock) { return REAL (f)->pMethods->xUnlock (REAL (f), lock); }
static int faulty_check_reserved_lock (sqlite3_file *f, int *out) { return REAL (f)->pMethods->xCheckReservedLock (REAL (f), out); }
static int faulty_file_control (sqlite3_file *f, int op, void *arg) { return REAL (f)->pMethods->xFileControl (REAL (f), op, arg); }
static int faulty_sector_size (sqlite3_file *f) { return REAL (f)->pMethods->xSectorSize (REAL (f)); }
static int faulty_device_characteristics (sqlite3_file *f) { return REAL (f)->pMethods->xDeviceCharacteristics (REAL (f)); }
static int faulty_shm_map (sqlite3_file *f, int page, int size, int extend, void volatile **out) { return REAL (f)->pMethods->xShmMap (REAL (f), page, size, extend, out); }
static int faulty_shm_lock (sqlite3_file *f, int offset, int n, int flags) { return REAL (f)->pMethods->xShmLock (REAL (f), offset, n, flags); }
static void faulty_shm_barrier (sqlite3_file *f) { REAL (f)->pMethods->xShmBarrier (REAL (f)); }
static int faulty_shm_unmap (sqlite3_file *f, int delete) { return REAL (f)->pMethods->xShmUnmap (REAL (f), delete); }

/* No memory-mapped pages: every read goes through faulty_read(). */
static int
faulty_fetch (sqlite3_file  *file,
              sqlite3_int64  offset,
              int            amount,
              void         **out)
{
  *out = NULL;
  return SQLITE_OK;
}

static int
faulty_unfetch (sqlite3_file  *file,
                sqlite3_int64  offset,
                void          *page)
{
  return SQLITE_OK;
}

static const sqlite3_io_methods faulty_methods = {
  3, faulty_close, faulty_read, faulty_write, faulty_truncate, faulty_sync, faulty_file_size,
  faulty_lock, faulty_unlock, faulty_check_reserved_lock, faulty_file_control,
  faulty_sector_size, faulty_device_characteristics, faulty_shm_map, faulty_shm_lock,
  faulty_shm_barrier, faulty_shm_unmap, faulty_fetch, faulty_unfetch,
};

static int
faulty_open (sqlite3_vfs  *vfs,
             const char   *name,
             sqlite3_file *file,
             int           flags,
             int          *out_flags)
{
  FaultyFile *self = (FaultyFile *) file;
  int result;

  self->real = (sqlite3_file *) (self + 1);
  result = real_vfs->xOpen (real_vfs, name, self->real, flags, out_flags);
  self->base.pMethods = self->real->pMethods != NULL ? &faulty_methods : NULL;
  return result;
}

static sqlite3_vfs faulty_vfs;

/* Installs the faulty VFS as the default one, until the test ends. */
static void
use_faulty_vfs (void)
{
  real_vfs = sqlite3_vfs_find (NULL);
  g_assert_nonnull (real_vfs);
  g_assert_cmpint (real_vfs->iVersion, >=, 2);
  faulty_vfs = *real_vfs;
  faulty_vfs.zName = "clave-test-faulty";
  faulty_vfs.szOsFile = (int) sizeof (FaultyFile) + real_vfs->szOsFile;
  faulty_vfs.xOpen = faulty_open;
  faulty_vfs.pAppData = NULL;
  fail_after = -1;
  g_assert_cmpint (sqlite3_vfs_register (&faulty_vfs, 1), ==, SQLITE_OK);
}

static void
stop_faulty_vfs (void)
{
  fail_after = -1;
  sqlite3_vfs_unregister (&faulty_vfs);
  sqlite3_vfs_register (real_vfs, 1);
}

/* A cache with @n rows, closed: the next open starts with nothing read. */
static void
fill_store (guint n)
{
  g_autoptr(ClaveHistoryStore) store = open_store ();
  g_autoptr(GPtrArray) entries = make_entries (n);
  g_autoptr(GError) error = NULL;

  g_assert_true (clave_history_store_upsert (store, entries, "cursor-1", &error));
  g_assert_no_error (error);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* Another process holds the cache (a second instance): opening it is
 * G_IO_ERROR_BUSY, and the cache is still there afterwards. It used to
 * be taken for a damaged file, deleted and started empty. */
static void
test_error_open_busy (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(ClaveHistoryStore) store = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *other = NULL;
  guint count = 0;

  fill_store (10);

  g_assert_cmpint (sqlite3_open (path, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "PRAGMA locking_mode=EXCLUSIVE; BEGIN IMMEDIATE;"
                                 " INSERT OR REPLACE INTO meta (key, value) VALUES ('held', 'yes');"
                                 " COMMIT;", NULL, NULL, NULL), ==, SQLITE_OK);

  store = clave_history_store_open (path, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_null (store);
  g_clear_error (&error);
  sqlite3_close (other);

  store = open_store ();
  g_assert_true (clave_history_store_count_rows (store, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 10);
}

/* The tables gone under the store (another program, a damaged file): its
 * reads say so instead of "no cursor", 0 rows and no organisations. */
static void
test_error_store_reads (void)
{
  g_autofree char *path = store_path ();
  g_autoptr(ClaveHistoryStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cursor = NULL;
  g_auto(GStrv) names = NULL;
  sqlite3 *other = NULL;
  guint count = 0;

  fill_store (10);
  store = open_store ();
  g_assert_true (clave_history_store_lookup_cursor (store, &cursor, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cursor, ==, "cursor-1");
  g_clear_pointer (&cursor, g_free);

  g_assert_cmpint (sqlite3_open (path, &other), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (other, "DROP TABLE meta; DROP TABLE organisations; DROP TABLE history;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (other);

  g_assert_false (clave_history_store_lookup_cursor (store, &cursor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "no such table"));
  g_assert_null (cursor);
  g_clear_error (&error);

  g_assert_false (clave_history_store_count_rows (store, &count, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  names = clave_history_store_list_organisations (store, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_null (names);
}

/* The disk fails while counting: the model is empty with an error, not
 * an empty list; a refresh once the disk reads again brings the rows. */
static void
test_error_model_count (void)
{
  g_autoptr(ClaveHistoryStore) store = NULL;
  g_autoptr(ClaveHistoryModel) model = NULL;
  guint notified = 0;

  fill_store (N_ROWS);
  use_faulty_vfs ();
  store = open_store ();

  fail_after = 0;
  model = clave_history_model_new (store, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_error ((GError *) clave_history_model_get_error (model), G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (clave_history_model_get_error (model)->message, "disk I/O error"));
  {
    g_autoptr(GError) property = NULL;

    g_object_get (model, "error", &property, NULL);
    g_assert_nonnull (property);
  }

  /* The same through set_filter(), and a filter whose organisation names
   * cannot be read is not one that "matches nothing". */
  g_signal_connect (model, "notify::error", G_CALLBACK (count_notify), &notified);
  {
    g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();

    filter->organisation = g_strdup ("agencia");
    clave_history_model_set_filter (model, filter);
    g_assert_cmpuint (notified, ==, 1);
    g_assert_nonnull (clave_history_model_get_error (model));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);

    fail_after = -1;
    clave_history_model_refresh (model);
    g_assert_cmpuint (notified, ==, 2);
    g_assert_null (clave_history_model_get_error (model));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >, 0);
  }

  clave_history_model_set_filter (model, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_ROWS);
  g_assert_cmpuint (notified, ==, 2);

  g_clear_object (&model);
  g_clear_object (&store);
  stop_faulty_vfs ();
}

static void
assert_placeholder (ClaveHistoryModel *model,
                    guint              position)
{
  g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), position);

  g_assert_nonnull (item);
  g_assert_cmpstr (clave_history_item_get_id (item), ==, "");
}

static void
on_error_items_changed (GListModel *model,
                        guint       position,
                        guint       removed,
                        guint       added,
                        guint      *changes)
{
  changes[0]++;
  changes[1] = removed;
  changes[2] = added;
}

/* The disk fails while reading a page, at its start and halfway through
 * it: get_item() gives an empty item at once (never part of a page nor
 * NULL, which GtkListView cannot take), then (from an idle: not under the
 * view asking) the model empties and says why. */
static void
test_error_model_page (void)
{
  g_autoptr(ClaveHistoryStore) store = NULL;
  g_autoptr(ClaveHistoryModel) model = NULL;
  static const int fail_afters[] = { 0, 3 };

  fill_store (N_ROWS);
  use_faulty_vfs ();

  for (gsize f = 0; f < G_N_ELEMENTS (fail_afters); f++)
    {
      guint changes[3] = { 0, 0, 0 };
      guint notified = 0;
      /* A far jump; the page after a cached one, read by key. */
      guint position = f == 0 ? N_ROWS / 2 : 200;

      g_clear_object (&model);
      g_clear_object (&store);
      store = open_store ();
      model = clave_history_model_new (store, NULL);
      _clave_history_model_set_few_rows (model, 0);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_ROWS);
      g_assert_null (clave_history_model_get_error (model));
      g_signal_connect (model, "items-changed", G_CALLBACK (on_error_items_changed), changes);
      g_signal_connect (model, "notify::error", G_CALLBACK (count_notify), &notified);

      if (f == 1)
        {
          g_autoptr(ClaveHistoryItem) first = g_list_model_get_item (G_LIST_MODEL (model), 0);

          g_assert_nonnull (first);
        }

      fail_after = fail_afters[f];
      assert_placeholder (model, position);
      g_assert_nonnull (clave_history_model_get_error (model));
      assert_placeholder (model, 0);
      g_assert_cmpuint (changes[0], ==, 0);
      g_assert_cmpuint (notified, ==, 0);

      while (g_main_context_iteration (NULL, FALSE));
      g_assert_cmpuint (changes[0], ==, 1);
      g_assert_cmpuint (changes[1], ==, N_ROWS);
      g_assert_cmpuint (changes[2], ==, 0);
      g_assert_cmpuint (notified, ==, 1);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
      g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 0));
      g_assert_error ((GError *) clave_history_model_get_error (model), G_IO_ERROR, G_IO_ERROR_FAILED);

      fail_after = -1;
      clave_history_model_refresh (model);
      g_assert_null (clave_history_model_get_error (model));
      g_assert_cmpuint (notified, ==, 2);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_ROWS);
      for (guint i = position; i < position + 300; i++)
        {
          g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);

          g_assert_nonnull (item);
        }
    }

  g_clear_object (&model);
  g_clear_object (&store);
  stop_faulty_vfs ();
}

/* Paging by key (issue 9): whatever order the pages are read in (down,
 * up, far jumps that seek from the count table), each position holds the
 * row a plain top-to-bottom read puts there, and that read is in the
 * sort's order. Many rows share a time, some organisations differ only
 * in case (NOCASE ties), and the times span several count buckets. */

#define TIES_ROWS 3000

static const char *const tie_organisations[] = {
  "Agencia Tributaria",
  "AGENCIA TRIBUTARIA",
  "agencia local de empleo",
  "Seguridad Social",
  "Ayuntamiento de Málaga",
  "Dirección General de Tráfico",
};

static GPtrArray *
make_tied_entries (void)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_history_entry_free);

  for (guint i = 0; i < TIES_ROWS; i++)
    {
      ClaveHistoryEntry *entry = g_new0 (ClaveHistoryEntry, 1);
      guint slot = (i * 7919u) % TIES_ROWS;

      entry->seq = i + 1;
      entry->id = g_strdup_printf ("req_tie%05u", (i * 31u) % TIES_ROWS);
      entry->type = g_strdup (types[(i / 5) % G_N_ELEMENTS (types)]);
      entry->status = g_strdup (statuses[(i * 7) % G_N_ELEMENTS (statuses)]);
      entry->organisation = g_strdup (tie_organisations[(i * 13 / 3) % G_N_ELEMENTS (tie_organisations)]);
      entry->origin = g_strdup ("https://ties.example.org");
      /* Seven rows a time, 10 h apart: about 7 buckets of history_counts. */
      entry->created_at = BASE_TIME + (gint64) (slot / 7) * 36000;
      g_ptr_array_add (entries, entry);
    }

  return entries;
}

/* The keys of @item as a ClaveHistoryEntry, for naive_compare(). */
static void
item_entry (ClaveHistoryItem  *item,
            ClaveHistoryEntry *entry)
{
  entry->id = (char *) clave_history_item_get_id (item);
  entry->type = (char *) clave_history_item_get_type_name (item);
  entry->status = (char *) clave_history_item_get_status (item);
  entry->organisation = (char *) clave_history_item_get_organisation (item);
  entry->created_at = clave_history_item_get_created_at (item);
}

static void
check_order (GPtrArray          *reference,
             ClaveHistorySort    sort)
{
  for (guint i = 1; i < reference->len; i++)
    {
      ClaveHistoryEntry a = { 0 }, b = { 0 };
      const ClaveHistoryEntry *pa = &a, *pb = &b;
      int c;

      item_entry (g_ptr_array_index (reference, i - 1), &a);
      item_entry (g_ptr_array_index (reference, i), &b);
      naive_sort = sort;
      c = naive_compare (&pa, &pb);
      /* The date sorts break ties by id, in their direction. */
      if (c == 0 && sort == CLAVE_HISTORY_SORT_DATE_DESC)
        c = -strcmp (a.id, b.id);
      else if (c == 0 && sort == CLAVE_HISTORY_SORT_DATE_ASC)
        c = strcmp (a.id, b.id);
      if (c >= 0 && (sort == CLAVE_HISTORY_SORT_DATE_DESC || sort == CLAVE_HISTORY_SORT_DATE_ASC))
        g_error ("rows %u and %u out of order: %s, %s", i - 1, i, a.id, b.id);
      if (c > 0)
        g_error ("rows %u and %u out of order: %s, %s", i - 1, i, a.id, b.id);
    }
}

static void
check_position (ClaveHistoryModel *model,
                GPtrArray         *reference,
                guint              position)
{
  g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), position);

  g_assert_nonnull (item);
  g_assert_cmpstr (clave_history_item_get_id (item), ==,
                   clave_history_item_get_id (g_ptr_array_index (reference, position)));
}

static void
test_model_keyset (void)
{
  g_autoptr(ClaveHistoryStore) store = open_store ();
  g_autoptr(GPtrArray) entries = make_tied_entries ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  static const struct {
    const char *status, *type, *organisation;
    gboolean exact;
    gint64 from_hours, to_hours;
  } filters[] = {
    { NULL, NULL, NULL, FALSE, 0, 0 },
    { "confirmed", NULL, NULL, FALSE, 0, 0 },
    { NULL, "sms", NULL, FALSE, 0, 0 },
    { NULL, NULL, "agencia", FALSE, 0, 0 },
    { NULL, NULL, "AGENCIA tributaria", TRUE, 0, 0 },
    { NULL, NULL, "a", FALSE, 0, 0 },
    { NULL, NULL, NULL, FALSE, 500, 3700 },
    { "rejected", "qr", "a", FALSE, 300, 0 },
  };

  g_assert_true (clave_history_store_upsert (store, entries, NULL, &error));
  g_assert_no_error (error);

  for (gsize f = 0; f < G_N_ELEMENTS (filters); f++)
    for (guint sort = 0; sort <= CLAVE_HISTORY_SORT_STATUS; sort++)
      for (guint plan = 0; plan < 3; plan++)
        {
          g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();
          g_autoptr(ClaveHistoryModel) model = NULL;
          g_autoptr(GPtrArray) reference = g_ptr_array_new_with_free_func (g_object_unref);
          guint expected = 0;
          guint n;

          filter->status = g_strdup (filters[f].status);
          filter->type = g_strdup (filters[f].type);
          filter->organisation = g_strdup (filters[f].organisation);
          filter->organisation_exact = filters[f].exact;
          filter->from = filters[f].from_hours ? BASE_TIME + filters[f].from_hours * 3600 + 17 : 0;
          filter->to = filters[f].to_hours ? BASE_TIME + filters[f].to_hours * 3600 : 0;
          filter->sort = sort;
          for (guint i = 0; i < entries->len; i++)
            expected += naive_matches (filter, g_ptr_array_index (entries, i));

          /* Plan 0: sorted in memory; 1: the sort's index, OFFSET near the
           * ends; 2: the sort's index, every jump from the count table. */
          model = clave_history_model_new (store, filter);
          _clave_history_model_set_few_rows (model, plan == 0 ? 10000 : 0);
          _clave_history_model_set_seek_distance (model, plan == 2 ? 0 : 2000);
          n = g_list_model_get_n_items (G_LIST_MODEL (model));
          g_test_message ("filter %zu sort %s plan %u: %u rows", f, clave_history_sort_to_string (sort), plan, n);
          g_assert_cmpuint (n, ==, expected);

          for (guint i = 0; i < n; i++)
            {
              ClaveHistoryItem *item = g_list_model_get_item (G_LIST_MODEL (model), i);

              g_assert_nonnull (item);
              g_assert_true (naive_matches (filter, &(ClaveHistoryEntry) {
                .type = (char *) clave_history_item_get_type_name (item),
                .status = (char *) clave_history_item_get_status (item),
                .organisation = (char *) clave_history_item_get_organisation (item),
                .created_at = clave_history_item_get_created_at (item) }));
              g_ptr_array_add (reference, item);
            }
          g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));
          check_order (reference, sort);
          {
            g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

            for (guint i = 0; i < n; i++)
              g_assert_true (g_hash_table_add (ids, (gpointer) clave_history_item_get_id (g_ptr_array_index (reference, i))));
          }

          /* Upwards from the end, then jumps anywhere, each on a model with
           * no page cached. */
          clave_history_model_refresh (model);
          for (guint i = n; i-- > 0;)
            check_position (model, reference, i);
          clave_history_model_refresh (model);
          for (guint probe = 0; probe < 60 && n > 0; probe++)
            {
              guint position = (guint) g_rand_int_range (rand, 0, (gint32) n);

              check_position (model, reference, position);
              /* And the rows around it, up and down from its page. */
              if (position >= 201)
                check_position (model, reference, position - 201);
              if (position + 201 < n)
                check_position (model, reference, position + 201);
            }
        }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/history-store/default-path", test_default_path);
  g_test_add_func ("/history-store/upsert-and-cursor", test_upsert_and_cursor);
  g_test_add_func ("/history-store/reopen-and-corrupt", test_reopen_and_corrupt);
  g_test_add_func ("/history-store/sort-and-day", test_sort_and_day);
  g_test_add_func ("/history-store/model-matches-naive", test_model_matches_naive);
  g_test_add_func ("/history-store/model-follows-store", test_model_follows_store);
  g_test_add_func ("/history-store/model-keyset", test_model_keyset);
  g_test_add_func ("/history-store/error/open-busy", test_error_open_busy);
  g_test_add_func ("/history-store/error/store-reads", test_error_store_reads);
  g_test_add_func ("/history-store/error/model-count", test_error_model_count);
  g_test_add_func ("/history-store/error/model-page", test_error_model_page);

  return g_test_run ();
}
