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

  names = clave_history_store_list_organisations (store);
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

  return g_test_run ();
}
