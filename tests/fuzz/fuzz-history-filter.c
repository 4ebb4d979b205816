/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The history cache's queries from filter input (src/client/
 * clave-history-model.c over clave-history-store.c): the filters of "My
 * requests" come from GSettings (history-filter-*, history-sort: anything
 * another program or dconf writes) and from the page's entries, and become
 * SQL with binds, a COUNT(*) from the bucket table and pages of rows. The
 * input is "status\ntype\norganisation\nfrom\nto\nsort\nflags": the strings
 * as GSettings hands them (valid UTF-8), the organisation stripped and the
 * dates read as the page's apply_filter() reads them (flags bit 1: first
 * normalised as the date entries do); flags bit 0: whole-name organisation
 * match; bit 2: walk the sort's index whatever the count.
 *
 * The cache holds a fixed set of rows, made up at start: every type and
 * status, names that differ only in case or accents, names with SQL
 * quoting and LIKE characters, and times on both sides of count-bucket
 * edges. Each row is checked against the filter in C (the oracle).
 *
 * Properties:
 * - the model's count is the oracle's count, and a second model and a
 *   model whose filter is set afterwards (the count cache) agree;
 * - its items, read page by page, are exactly the matching rows, none
 *   twice, in the sort's order (the exact order for the date sorts, whose
 *   ties are broken by id);
 * - no query fails (the model's error stays unset);
 * - clave_history_parse_day() gives 0 for no date, and for a day an end
 *   23, 24 or 25 hours after its start (no end, 0, for 9999-12-31 only). */

#include "config.h"

#include <string.h>

#include "clave-document.h"
#include "clave-history-model.h"
#include "clave-history-store.h"
#include "clave-history-store-private.h"
#include "fuzz-common.h"

#define BUCKET ((gint64) 1 << CLAVE_HISTORY_BUCKET_SHIFT)
/* 9999-12-30 00:00 UTC: the last day GDateTime holds starts after it. */
#define LAST_DAY_START G_GINT64_CONSTANT (253402128000)
/* Around 2024-2025, so that typed dates find rows. */
#define FIRST_BUCKET 810
#define N_BUCKETS 12

static const char *const organisations[] = {
  "Agencia Tributaria",
  "AGENCIA TRIBUTARIA",
  "agencia tributaria",
  "Dirección General de Tráfico",
  "Direccion General de Trafico",
  "Seguridad Social",
  "Ayuntamiento de A Coruña",
  "ÉLITE Ñandú",
  "O'Reilly \"quoted\"; DROP TABLE history; --",
  "100% Sano_ y [más]",
  "ﬁnanzas ①",
  "",
};
static const char *const types[] = { "qr", "push", "sms", "QR" };
static const char *const statuses[] = { "pending", "confirmed", "rejected", "expired", "Pending" };
/* Seconds from a bucket's start. */
static const gint64 offsets[] = { 0, 1, 3599, 86399, 86400, BUCKET / 2, BUCKET - 1 };

typedef struct {
  char   *id;
  char   *type;
  char   *status;
  char   *organisation;
  char   *folded;
  gint64  created_at;
} Row;

static GPtrArray *rows;
static GHashTable *rows_by_id;
static ClaveHistoryStore *store;

/* As clave-history-model.c folds names: without case or accents. */
static char *
fold (const char *text)
{
  g_autofree char *decomposed = g_utf8_normalize (text, -1, G_NORMALIZE_NFKD);
  g_autoptr(GString) bare = g_string_new (NULL);
  gunichar c;

  for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_ismark (c = g_utf8_get_char (p)))
      g_string_append_unichar (bare, c);
  return g_utf8_casefold (bare->str, -1);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  guint i = 0;

  /* A time zone with summer time: the day bounds are local. */
  g_setenv ("TZ", "Europe/Madrid", TRUE);
  fuzz_setup (G_LOG_LEVEL_WARNING);

  path = g_build_filename (fuzz_tmp_dir (), "history.db", NULL);
  store = clave_history_store_open (path, &error);
  g_assert_no_error (error);

  rows = g_ptr_array_new ();
  rows_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_assert (_clave_history_store_begin (store, NULL));
  for (guint bucket = 0; bucket < N_BUCKETS; bucket++)
    for (gsize o = 0; o < G_N_ELEMENTS (offsets); o++)
      for (guint k = 0; k < 5; k++, i++)
        {
          Row *row = g_new0 (Row, 1);
          ClaveHistoryEntry entry = { 0 };

          row->id = g_strdup_printf ("req_fuzz%04u", (i * 37) % 1000);
          row->type = (char *) types[(i / 2) % G_N_ELEMENTS (types)];
          row->status = (char *) statuses[(i * 3) % G_N_ELEMENTS (statuses)];
          row->organisation = (char *) organisations[(i * 7 / 3) % G_N_ELEMENTS (organisations)];
          row->folded = fold (row->organisation);
          /* Some rows share a time: the sorts' ties. */
          row->created_at = (FIRST_BUCKET + bucket) * BUCKET + offsets[o] + (k < 3 ? 0 : k);
          g_ptr_array_add (rows, row);
          g_hash_table_insert (rows_by_id, row->id, row);

          entry.seq = i + 1;
          entry.id = row->id;
          entry.type = row->type;
          entry.status = row->status;
          entry.organisation = row->organisation;
          entry.origin = (char *) "https://fuzz.example";
          entry.created_at = row->created_at;
          entry.answered_at = k == 1 ? row->created_at + 60 : 0;
          g_assert (_clave_history_store_insert_one (store, &entry, NULL));
        }
  g_assert (_clave_history_store_commit (store, NULL));
  g_assert_cmpuint (clave_history_store_count (store), ==, rows->len);
  return 0;
}

static gboolean
is_set (const char *text)
{
  return text != NULL && text[0] != '\0';
}

/* SQLite's NOCASE: ASCII letters without case, bytes otherwise. */
static int
nocase_compare (const char *a,
                const char *b)
{
  for (;; a++, b++)
    {
      int ca = (guchar) g_ascii_tolower (*a), cb = (guchar) g_ascii_tolower (*b);

      if (ca != cb || ca == 0)
        return ca - cb;
    }
}

static gboolean
row_matches (const Row                *row,
             const ClaveHistoryFilter *filter,
             const char               *folded_needle)
{
  if (is_set (filter->status) && strcmp (row->status, filter->status) != 0)
    return FALSE;
  if (is_set (filter->type) && strcmp (row->type, filter->type) != 0)
    return FALSE;
  if (is_set (filter->organisation))
    {
      if (filter->organisation_exact && nocase_compare (row->organisation, filter->organisation) != 0)
        return FALSE;
      if (!filter->organisation_exact && strstr (row->folded, folded_needle) == NULL)
        return FALSE;
    }
  if (filter->from > 0 && row->created_at < filter->from)
    return FALSE;
  if (filter->to > 0 && row->created_at >= filter->to)
    return FALSE;
  return TRUE;
}

static ClaveHistorySort current_sort;

/* The sort's keys; for the date sorts, the id too (a total order). */
static int
compare_rows (gconstpointer pa,
              gconstpointer pb)
{
  const Row *a = *(const Row * const *) pa, *b = *(const Row * const *) pb;
  int c = 0;

  switch (current_sort)
    {
    case CLAVE_HISTORY_SORT_DATE_ASC:
      if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
      return strcmp (a->id, b->id);
    case CLAVE_HISTORY_SORT_ORGANISATION:
      c = nocase_compare (a->organisation, b->organisation);
      break;
    case CLAVE_HISTORY_SORT_TYPE:
      c = strcmp (a->type, b->type);
      break;
    case CLAVE_HISTORY_SORT_STATUS:
      c = strcmp (a->status, b->status);
      break;
    case CLAVE_HISTORY_SORT_DATE_DESC:
    default:
      if (a->created_at != b->created_at)
        return a->created_at > b->created_at ? -1 : 1;
      return -strcmp (a->id, b->id);
    }
  if (c != 0)
    return c;
  if (a->created_at != b->created_at)
    return a->created_at > b->created_at ? -1 : 1;
  return 0;
}

static const Row *
find_row (const char *id)
{
  return g_hash_table_lookup (rows_by_id, id);
}

/* For messages; the last four are kept. */
static const char *
describe (const Row *row)
{
  static char *texts[4];
  static guint next;

  g_free (texts[next % 4]);
  texts[next % 4] = g_strdup_printf ("%s (%s, %s, \"%s\", %" G_GINT64_FORMAT ")", row->id,
                                     row->type, row->status, row->organisation, row->created_at);
  return texts[next++ % 4];
}

static void
check_model (ClaveHistoryModel        *model,
             const ClaveHistoryFilter *filter,
             const char               *folded_needle,
             GPtrArray                *expected,
             const char               *what)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

  FUZZ_CHECK (n == expected->len, "%s: %u items, %u rows match", what, n, expected->len);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);
      const char *id;
      const Row *row;

      FUZZ_CHECK (item != NULL, "%s: no item %u of %u", what, i, n);
      id = clave_history_item_get_id (item);
      row = find_row (id);
      FUZZ_CHECK (row != NULL, "%s: unknown id %s", what, id);
      FUZZ_CHECK (!g_hash_table_contains (seen, row->id), "%s: %s twice (at %u)", what, id, i);
      g_hash_table_add (seen, row->id);
      FUZZ_CHECK (row_matches (row, filter, folded_needle), "%s: %s does not match", what, id);
      /* In the sort's order: the same keys as the oracle's row here. */
      FUZZ_CHECK (compare_rows (&row, &g_ptr_array_index (expected, i)) == 0,
                  "%s: item %u is %s (%s, %s, \"%s\", %" G_GINT64_FORMAT "), expected %s",
                  what, i, id, row->type, row->status, row->organisation, row->created_at,
                  describe (g_ptr_array_index (expected, i)));
    }
  FUZZ_CHECK (g_list_model_get_item (G_LIST_MODEL (model), n) == NULL, "%s: an item past the end",
              what);
  FUZZ_CHECK (clave_history_model_get_error (model) == NULL, "%s: %s", what,
              clave_history_model_get_error (model)->message);
}

static gboolean
read_day (const char *text,
          gboolean    end_of_day,
          gboolean    typed,
          gint64     *bound)
{
  g_autofree char *normalized = NULL;

  /* The date entries: a date as people type it, normalised. */
  if (typed && text[0] != '\0')
    {
      normalized = clave_date_normalize (text, NULL);
      if (normalized == NULL)
        return FALSE;
      text = normalized;
    }
  return clave_history_parse_day (text, end_of_day, bound);
}

static void
check_day (const char *text,
           gboolean    typed)
{
  gint64 start = -1, end = -1;
  gboolean start_ok = read_day (text, FALSE, typed, &start);
  gboolean end_ok = read_day (text, TRUE, typed, &end);

  FUZZ_CHECK (start_ok == end_ok, "\"%s\": start and end disagree", text);
  if (!start_ok)
    return;
  if (text[0] == '\0')
    FUZZ_CHECK (start == 0 && end == 0, "no date is not 0");
  else if (end == 0)
    /* No upper bound: only after the last day GDateTime holds. */
    FUZZ_CHECK (start > LAST_DAY_START, "\"%s\": no end", text);
  else
    FUZZ_CHECK (end - start == 23 * 3600 || end - start == 24 * 3600 || end - start == 25 * 3600,
                "\"%s\": a day of %" G_GINT64_FORMAT " s", text, end - start);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();
  g_autoptr(ClaveHistoryModel) model = NULL;
  g_autoptr(ClaveHistoryModel) again = NULL;
  g_autoptr(ClaveHistoryModel) later = NULL;
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  g_autofree char *folded_needle = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *sort = NULL;
  char *fields[7];
  FuzzInput input;
  guint8 flags;

  fuzz_input_init (&input, data, size);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *field = fuzz_input_field (&input, '\n');

      /* GSettings strings are UTF-8. */
      fields[i] = g_utf8_make_valid (field, -1);
    }
  flags = fields[6][0];

  filter->status = fields[0];
  filter->type = fields[1];
  filter->organisation = g_strstrip (fields[2]);
  filter->organisation_exact = flags & 1;
  from = fields[3];
  to = fields[4];
  sort = fields[5];
  g_free (fields[6]);

  check_day (from, flags & 2);
  check_day (to, flags & 2);
  if (!read_day (from, FALSE, flags & 2, &filter->from))
    filter->from = 0;
  if (!read_day (to, TRUE, flags & 2, &filter->to))
    filter->to = 0;
  filter->sort = clave_history_sort_from_string (sort);
  FUZZ_CHECK (g_str_equal (clave_history_sort_to_string (filter->sort), sort) ||
              filter->sort == CLAVE_HISTORY_SORT_DATE_DESC, "sort \"%s\"", sort);

  folded_needle = fold (filter->organisation);
  for (guint i = 0; i < rows->len; i++)
    if (row_matches (g_ptr_array_index (rows, i), filter, folded_needle))
      g_ptr_array_add (expected, g_ptr_array_index (rows, i));
  current_sort = filter->sort;
  g_ptr_array_sort (expected, compare_rows);

  model = clave_history_model_new (store, filter);
  if (flags & 4)
    _clave_history_model_set_few_rows (model, 0);
  check_model (model, filter, folded_needle, expected, "model");

  /* The count again, from the cache; and through set_filter. */
  again = clave_history_model_new (store, filter);
  FUZZ_CHECK (g_list_model_get_n_items (G_LIST_MODEL (again)) == expected->len,
              "second model: %u items", g_list_model_get_n_items (G_LIST_MODEL (again)));
  FUZZ_CHECK (clave_history_model_get_error (again) == NULL, "second model: %s",
              clave_history_model_get_error (again)->message);
  later = clave_history_model_new (store, NULL);
  clave_history_model_set_filter (later, filter);
  FUZZ_CHECK (g_list_model_get_n_items (G_LIST_MODEL (later)) == expected->len,
              "model with set_filter: %u items", g_list_model_get_n_items (G_LIST_MODEL (later)));
  if (expected->len > 0)
    {
      g_autoptr(ClaveHistoryItem) last = g_list_model_get_item (G_LIST_MODEL (later),
                                                                expected->len - 1);
      const Row *row = last != NULL ? find_row (clave_history_item_get_id (last)) : NULL;

      FUZZ_CHECK (row != NULL &&
                  compare_rows (&row, &g_ptr_array_index (expected, expected->len - 1)) == 0,
                  "model with set_filter: last item");
    }
  FUZZ_CHECK (clave_history_model_get_error (later) == NULL, "model with set_filter: %s",
              clave_history_model_get_error (later)->message);

  return 0;
}
