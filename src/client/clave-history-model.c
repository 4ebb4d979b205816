/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-history-model"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "clave-history-model.h"
#include "clave-history-store.h"
#include "clave-history-store-private.h"

/* A screen holds ~20 rows; a page of 200 is one query per ten screens of
 * scrolling, and a few pages keep memory flat however long the list. */
#define PAGE_SIZE 200
#define MAX_CACHED_PAGES 4
/* Below this many matching rows a sort in memory beats an index walk. */
#define FEW_ROWS 10000
/* A page this close to either end of a long list is read with OFFSET
 * from that end (skipping 2000 index entries takes well under a
 * millisecond); farther, the count table says where it starts. */
#define SEEK_DISTANCE (10 * PAGE_SIZE)

/* What a row query selects, then the sort's keys. */
#define ROW_COLUMNS "id, type, status, organisation, origin, created_at, answered_at"
#define N_ROW_COLUMNS 7

typedef struct {
  gboolean  is_text;
  gint64    number;
  char     *text;
} Bind;

static void
bind_free (Bind *bind)
{
  g_free (bind->text);
  g_free (bind);
}

typedef struct {
  guint      index;
  GPtrArray *items;   /* ClaveHistoryItem */
  /* The sort keys (Bind) of the first and the last item: the pages
   * before and after this one start there. */
  GPtrArray *first;
  GPtrArray *last;
} Page;

static void
page_free (Page *page)
{
  g_ptr_array_unref (page->items);
  g_clear_pointer (&page->first, g_ptr_array_unref);
  g_clear_pointer (&page->last, g_ptr_array_unref);
  g_free (page);
}

enum { ATTR_STATUS, ATTR_TYPE, ATTR_ORGANISATION, N_ATTRS };
enum { COND_FROM = N_ATTRS, COND_TO, N_CONDS };

/* One condition of the filter, with its binds. */
typedef struct {
  char      *sql;
  GPtrArray *binds;   /* Bind */
} Condition;

static void
condition_free (Condition *condition)
{
  g_free (condition->sql);
  g_ptr_array_unref (condition->binds);
  g_free (condition);
}

/* Consecutive sort keys [start, end) in one direction. */
typedef struct {
  guint    start;
  guint    end;
  gboolean desc;
} Run;

/* A sort's keys are the columns of its index, in the index's order and
 * ending with the rowid that ends every index entry: the keys are total
 * (no two rows tie), and "the rows after this one" is a range of the
 * index. The runs group the keys by direction. */
typedef struct {
  const char *keys[5];
  guint       n_keys;
  Run         runs[3];
  guint       n_runs;
  int         group_attr;   /* ATTR_* of the first key; -1 for the date sorts */
  guint       time_key;     /* the key that is created_at */
  const char *index;
} SortSpec;

/* A stretch of the list that one row of history_counts (or a count of
 * the rows at the edge of a date range) covers: one value of the first
 * key, one time bucket. */
typedef struct {
  char    *value;    /* NULL for the date sorts */
  gint64   bucket;
  guint64  before;   /* matching rows before it */
  guint64  rows;
} Group;

static void
group_clear (Group *group)
{
  g_free (group->value);
}

struct _ClaveHistoryModel
{
  GObject             parent_instance;

  ClaveHistoryStore  *store;
  gulong              changed_id;
  ClaveHistoryFilter *filter;

  /* The current query. */
  const SortSpec     *sort;
  char               *key_columns;    /* the sort's keys, for SELECT */
  char               *order_by;
  char               *reverse_order;  /* every key the other way */
  Condition          *conditions[N_CONDS];  /* NULL when unset */
  GPtrArray          *organisations;  /* the names a substring matched, or NULL */
  gboolean            matches_nothing;
  const char         *small_index;    /* chosen on the first page of a small result */
  gboolean            small_index_chosen;
  guint               n_items;
  guint               few_rows;       /* FEW_ROWS; tests lower it */
  guint               seek_distance;  /* SEEK_DISTANCE; tests lower it */
  GQueue              pages;          /* Page, most recently used first */
  GArray             *groups;         /* Group, in the sort's order; made on the first far jump */

  /* Why the list could not be read, until the next refresh. */
  GError             *error;
  guint               report_id;
};

enum {
  PROP_0,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void clave_history_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ClaveHistoryModel, clave_history_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      clave_history_model_list_model_init))

/* Filter */

G_DEFINE_BOXED_TYPE (ClaveHistoryFilter, clave_history_filter,
                     clave_history_filter_copy, clave_history_filter_free)

static const char *const sort_names[] = {
  [CLAVE_HISTORY_SORT_DATE_DESC] = "date-desc",
  [CLAVE_HISTORY_SORT_DATE_ASC] = "date-asc",
  [CLAVE_HISTORY_SORT_ORGANISATION] = "organisation",
  [CLAVE_HISTORY_SORT_TYPE] = "type",
  [CLAVE_HISTORY_SORT_STATUS] = "status",
};

/* Each is its index's own order, so that SQLite walks the index instead
 * of sorting a million rows, and each row's keys say where the next page
 * starts. Ties of the first key go newest first. */
static const SortSpec sort_specs[] = {
  [CLAVE_HISTORY_SORT_DATE_DESC] = {
    { "created_at", "id" }, 2,
    { { 0, 2, TRUE } }, 1,
    -1, 0, "history_created" },
  [CLAVE_HISTORY_SORT_DATE_ASC] = {
    { "created_at", "id" }, 2,
    { { 0, 2, FALSE } }, 1,
    -1, 0, "history_created" },
  [CLAVE_HISTORY_SORT_ORGANISATION] = {
    { "organisation", "created_at", "status", "type", "rowid" }, 5,
    { { 0, 1, FALSE }, { 1, 2, TRUE }, { 2, 5, FALSE } }, 3,
    ATTR_ORGANISATION, 1, "history_organisation" },
  [CLAVE_HISTORY_SORT_TYPE] = {
    { "type", "created_at", "status", "organisation", "rowid" }, 5,
    { { 0, 1, FALSE }, { 1, 2, TRUE }, { 2, 5, FALSE } }, 3,
    ATTR_TYPE, 1, "history_type" },
  [CLAVE_HISTORY_SORT_STATUS] = {
    { "status", "created_at", "type", "organisation", "rowid" }, 5,
    { { 0, 1, FALSE }, { 1, 2, TRUE }, { 2, 5, FALSE } }, 3,
    ATTR_STATUS, 1, "history_status" },
};

const char *
clave_history_sort_to_string (ClaveHistorySort sort)
{
  if ((guint) sort >= G_N_ELEMENTS (sort_names))
    sort = CLAVE_HISTORY_SORT_DATE_DESC;

  return sort_names[sort];
}

ClaveHistorySort
clave_history_sort_from_string (const char *text)
{
  for (guint i = 0; i < G_N_ELEMENTS (sort_names); i++)
    if (g_strcmp0 (text, sort_names[i]) == 0)
      return (ClaveHistorySort) i;

  return CLAVE_HISTORY_SORT_DATE_DESC;
}

ClaveHistoryFilter *
clave_history_filter_new (void)
{
  return g_new0 (ClaveHistoryFilter, 1);
}

ClaveHistoryFilter *
clave_history_filter_copy (const ClaveHistoryFilter *filter)
{
  ClaveHistoryFilter *copy = g_new0 (ClaveHistoryFilter, 1);

  if (filter == NULL)
    return copy;

  copy->status = g_strdup (filter->status);
  copy->type = g_strdup (filter->type);
  copy->organisation = g_strdup (filter->organisation);
  copy->organisation_exact = filter->organisation_exact;
  copy->from = filter->from;
  copy->to = filter->to;
  copy->sort = filter->sort;

  return copy;
}

void
clave_history_filter_free (ClaveHistoryFilter *filter)
{
  if (filter == NULL)
    return;

  g_free (filter->status);
  g_free (filter->type);
  g_free (filter->organisation);
  g_free (filter);
}

gboolean
clave_history_parse_day (const char *text,
                         gboolean    end_of_day,
                         gint64     *out)
{
  g_autoptr(GDateTime) day = NULL;
  int year, month, mday;

  *out = 0;
  if (text == NULL || text[0] == '\0')
    return TRUE;

  /* Exactly YYYY-MM-DD, as the date pickers write it. */
  if (strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;

  year = (int) g_ascii_strtoll (text, NULL, 10);
  month = (int) g_ascii_strtoll (text + 5, NULL, 10);
  mday = (int) g_ascii_strtoll (text + 8, NULL, 10);
  if (year < 1 || month < 1 || month > 12 || mday < 1 || mday > 31 ||
      !g_date_valid_dmy ((GDateDay) mday, (GDateMonth) month, (GDateYear) year))
    return FALSE;

  day = g_date_time_new_local (year, month, mday, 0, 0, 0);
  if (day == NULL)
    return FALSE;

  if (end_of_day)
    {
      g_autoptr(GDateTime) next = g_date_time_add_days (day, 1);

      /* The day after 9999-12-31 is past what GDateTime holds: no bound
       * is what "up to the last day there is" means. */
      *out = next != NULL ? g_date_time_to_unix (next) : 0;
    }
  else
    *out = g_date_time_to_unix (day);

  return TRUE;
}

/* Query building */

static gboolean
is_set (const char *text)
{
  return text != NULL && text[0] != '\0';
}

static void
add_bind_text (GPtrArray  *binds,
               const char *text)
{
  Bind *bind = g_new0 (Bind, 1);

  bind->is_text = TRUE;
  bind->text = g_strdup (text);
  g_ptr_array_add (binds, bind);
}

static void
add_bind_number (GPtrArray *binds,
                 gint64     number)
{
  Bind *bind = g_new0 (Bind, 1);

  bind->number = number;
  g_ptr_array_add (binds, bind);
}

static void
add_bind_copy (GPtrArray  *binds,
               const Bind *bind)
{
  if (bind->is_text)
    add_bind_text (binds, bind->text);
  else
    add_bind_number (binds, bind->number);
}

static void
copy_binds (GPtrArray *to,
            GPtrArray *from)
{
  for (guint i = 0; i < from->len; i++)
    add_bind_copy (to, g_ptr_array_index (from, i));
}

static GPtrArray *
binds_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) bind_free);
}

/* What a person types ("agencia", "direccion") should find "Agencia
 * Tributaria" and "Dirección General de Tráfico": compare without case
 * and accents. */
static char *
fold (const char *text)
{
  g_autofree char *decomposed = g_utf8_normalize (text, -1, G_NORMALIZE_NFKD);
  GString *bare;

  if (decomposed == NULL)
    return g_utf8_casefold (text, -1);

  bare = g_string_new (NULL);
  for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_ismark (c))
        g_string_append_unichar (bare, c);
    }

  {
    g_autofree char *stripped = g_string_free (bare, FALSE);

    return g_utf8_casefold (stripped, -1);
  }
}

/* Organisation names are few (one per relying party): matching them in C
 * and filtering rows with IN (…) uses the organisation index. */
static GPtrArray *
matching_organisations (ClaveHistoryStore  *store,
                        const char         *needle,
                        GError            **error)
{
  g_auto(GStrv) names = clave_history_store_list_organisations (store, error);
  g_autofree char *folded_needle = NULL;
  GPtrArray *matches;

  /* Not "no organisation matches": that would be an empty list that
   * says "no requests match". */
  if (names == NULL)
    return NULL;

  folded_needle = fold (needle);
  matches = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *folded = fold (names[i]);

      if (strstr (folded, folded_needle) != NULL)
        g_ptr_array_add (matches, g_strdup (names[i]));
    }

  return matches;
}

/* Appends " WHERE " or " AND " and @condition to @where, and a copy of
 * @condition_binds (may be NULL) to @binds. */
static void
add_condition (GString    *where,
               GPtrArray  *binds,
               const char *condition,
               GPtrArray  *condition_binds)
{
  g_string_append (where, where->len == 0 ? " WHERE " : " AND ");
  g_string_append (where, condition);
  if (condition_binds != NULL)
    copy_binds (binds, condition_binds);
}

static Condition *
set_condition (ClaveHistoryModel *self,
               guint              which,
               const char        *sql)
{
  Condition *condition = g_new0 (Condition, 1);

  condition->sql = g_strdup (sql);
  condition->binds = binds_new ();
  self->conditions[which] = condition;
  return condition;
}

/* The status, type and organisation conditions: what history_counts
 * holds too. */
static void
add_attr_conditions (ClaveHistoryModel *self,
                     GString           *where,
                     GPtrArray         *binds)
{
  for (guint i = 0; i < N_ATTRS; i++)
    if (self->conditions[i] != NULL)
      add_condition (where, binds, self->conditions[i]->sql, self->conditions[i]->binds);
}

/* Every condition of the filter, for a query of rows. @walk: in the
 * sort's index, where the conditions on anything but its first column
 * are checked entry by entry; written "+type = ?" there, because SQLite
 * takes "type = ?" for a constant of the ORDER BY and then no longer
 * sees that the index is in rowid order, and sorts. @skip_organisation:
 * the query names the organisations itself. */
static void
add_filter_conditions (ClaveHistoryModel *self,
                       gboolean           walk,
                       gboolean           skip_organisation,
                       GString           *where,
                       GPtrArray         *binds)
{
  for (guint i = 0; i < N_CONDS; i++)
    {
      Condition *condition = self->conditions[i];

      if (condition == NULL || (i == ATTR_ORGANISATION && skip_organisation))
        continue;

      if (walk && i < N_ATTRS && (int) i != self->sort->group_attr)
        {
          g_autofree char *unindexed = g_strconcat ("+", condition->sql, NULL);

          add_condition (where, binds, unindexed, condition->binds);
        }
      else
        add_condition (where, binds, condition->sql, condition->binds);
    }
}

static char *
sort_order (const SortSpec *sort,
            gboolean        reverse)
{
  GString *order = g_string_new (NULL);

  for (guint r = 0; r < sort->n_runs; r++)
    for (guint k = sort->runs[r].start; k < sort->runs[r].end; k++)
      g_string_append_printf (order, "%s%s%s", order->len > 0 ? ", " : "", sort->keys[k],
                              sort->runs[r].desc != reverse ? " DESC" : "");

  return g_string_free (order, FALSE);
}

static const Run *
key_run (const SortSpec *sort,
         guint           key)
{
  for (guint r = 0; r < sort->n_runs; r++)
    if (key >= sort->runs[r].start && key < sort->runs[r].end)
      return &sort->runs[r];

  g_assert_not_reached ();
}

static void
clear_query (ClaveHistoryModel *self)
{
  for (guint i = 0; i < N_CONDS; i++)
    g_clear_pointer (&self->conditions[i], condition_free);
  g_clear_pointer (&self->organisations, g_ptr_array_unref);
  g_clear_pointer (&self->groups, g_array_unref);
  g_clear_pointer (&self->key_columns, g_free);
  g_clear_pointer (&self->order_by, g_free);
  g_clear_pointer (&self->reverse_order, g_free);
}

static gboolean
build_query (ClaveHistoryModel  *self,
             GError            **error)
{
  const ClaveHistoryFilter *filter = self->filter;
  guint sort = filter->sort < G_N_ELEMENTS (sort_specs) ? filter->sort : 0;
  GString *keys = g_string_new (NULL);
  Condition *condition;

  clear_query (self);
  self->matches_nothing = FALSE;
  self->small_index = NULL;
  self->small_index_chosen = FALSE;

  self->sort = &sort_specs[sort];
  for (guint k = 0; k < self->sort->n_keys; k++)
    g_string_append_printf (keys, "%s%s", k > 0 ? ", " : "", self->sort->keys[k]);
  self->key_columns = g_string_free (keys, FALSE);
  self->order_by = sort_order (self->sort, FALSE);
  self->reverse_order = sort_order (self->sort, TRUE);

  if (is_set (filter->status))
    {
      condition = set_condition (self, ATTR_STATUS, "status = ?");
      add_bind_text (condition->binds, filter->status);
    }

  if (is_set (filter->type))
    {
      condition = set_condition (self, ATTR_TYPE, "type = ?");
      add_bind_text (condition->binds, filter->type);
    }

  if (is_set (filter->organisation) && filter->organisation_exact)
    {
      condition = set_condition (self, ATTR_ORGANISATION, "organisation = ?");
      add_bind_text (condition->binds, filter->organisation);
    }
  else if (is_set (filter->organisation))
    {
      g_autoptr(GPtrArray) names = matching_organisations (self->store, filter->organisation, error);

      if (names == NULL)
        return FALSE;

      if (names->len == 0)
        self->matches_nothing = TRUE;
      else
        {
          GString *in = g_string_new ("organisation IN (");

          for (guint i = 0; i < names->len; i++)
            g_string_append (in, i == 0 ? "?" : ", ?");
          g_string_append (in, ")");
          condition = set_condition (self, ATTR_ORGANISATION, in->str);
          g_string_free (in, TRUE);
          for (guint i = 0; i < names->len; i++)
            add_bind_text (condition->binds, g_ptr_array_index (names, i));
          self->organisations = g_steal_pointer (&names);
        }
    }

  if (filter->from > 0)
    {
      condition = set_condition (self, COND_FROM, "created_at >= ?");
      add_bind_number (condition->binds, filter->from);
    }

  if (filter->to > 0)
    {
      condition = set_condition (self, COND_TO, "created_at < ?");
      add_bind_number (condition->binds, filter->to);
    }

  if (filter->from > 0 && filter->to > 0 && filter->to <= filter->from)
    self->matches_nothing = TRUE;

  return TRUE;
}

static char *
query_key (ClaveHistoryModel *self)
{
  g_autoptr(GPtrArray) binds = binds_new ();
  GString *key = g_string_new (NULL);

  add_filter_conditions (self, FALSE, FALSE, key, binds);
  for (guint i = 0; i < binds->len; i++)
    {
      Bind *bind = g_ptr_array_index (binds, i);

      if (bind->is_text)
        g_string_append_printf (key, "\x1ft%zu:%s", strlen (bind->text), bind->text);
      else
        g_string_append_printf (key, "\x1fn%" G_GINT64_FORMAT, bind->number);
    }

  return g_string_free (key, FALSE);
}

/* Reading */

/* The connection's last failure as the model's error. */
static void
set_read_error (ClaveHistoryModel  *self,
                GError            **error)
{
  sqlite3 *db = _clave_history_store_get_db (self->store);

  g_debug ("History query failed: %s", db != NULL ? sqlite3_errmsg (db) : "closed");
  _clave_history_store_set_read_error (self->store, error);
}

static sqlite3_stmt *
prepare (ClaveHistoryModel  *self,
         const char         *sql,
         GPtrArray          *binds,
         GError            **error)
{
  sqlite3 *db = _clave_history_store_get_db (self->store);
  sqlite3_stmt *stmt = NULL;

  if (db == NULL || sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_read_error (self, error);
      return NULL;
    }

  for (guint i = 0; i < binds->len; i++)
    {
      Bind *bind = g_ptr_array_index (binds, i);

      if (bind->is_text)
        sqlite3_bind_text (stmt, (int) i + 1, bind->text, -1, SQLITE_STATIC);
      else
        sqlite3_bind_int64 (stmt, (int) i + 1, bind->number);
    }

  return stmt;
}

/* The first column of the one row @sql gives (a COUNT or a TOTAL: no
 * row at all is a failure too). */
static gboolean
single_number (ClaveHistoryModel  *self,
               const char         *sql,
               GPtrArray          *binds,
               gint64             *value,
               GError            **error)
{
  sqlite3_stmt *stmt = prepare (self, sql, binds, error);

  *value = 0;
  if (stmt == NULL)
    return FALSE;

  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_read_error (self, error);
      sqlite3_finalize (stmt);
      return FALSE;
    }
  *value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  return TRUE;
}

/* Rows in [from, to) (0: unbounded) matching the attribute filters,
 * counted in the history through the date index, which carries the
 * filter columns. */
static gboolean
count_range (ClaveHistoryModel  *self,
             gint64              from,
             gint64              to,
             gint64             *count,
             GError            **error)
{
  g_autoptr(GPtrArray) binds = binds_new ();
  g_autoptr(GString) where = g_string_new (NULL);
  g_autofree char *sql = NULL;

  add_attr_conditions (self, where, binds);
  if (from > 0)
    {
      add_condition (where, binds, "created_at >= ?", NULL);
      add_bind_number (binds, from);
    }
  if (to > 0)
    {
      add_condition (where, binds, "created_at < ?", NULL);
      add_bind_number (binds, to);
    }

  sql = g_strconcat ("SELECT COUNT(*) FROM history INDEXED BY history_created", where->str, NULL);
  return single_number (self, sql, binds, count, error);
}

/* Rows in whole buckets [first, end) (G_MININT64/G_MAXINT64: unbounded)
 * from history_counts. */
static gboolean
count_buckets (ClaveHistoryModel  *self,
               gint64              first,
               gint64              end,
               gint64             *count,
               GError            **error)
{
  g_autoptr(GPtrArray) binds = binds_new ();
  g_autoptr(GString) where = g_string_new (NULL);
  g_autofree char *sql = NULL;

  add_attr_conditions (self, where, binds);
  if (first != G_MININT64)
    {
      add_condition (where, binds, "bucket >= ?", NULL);
      add_bind_number (binds, first);
    }
  if (end != G_MAXINT64)
    {
      add_condition (where, binds, "bucket < ?", NULL);
      add_bind_number (binds, end);
    }

  sql = g_strconcat ("SELECT CAST(TOTAL(n) AS INTEGER) FROM history_counts", where->str, NULL);
  return single_number (self, sql, binds, count, error);
}

/* The whole buckets a date filter covers, [*first, *end); the rows of
 * [from, first) and [end, to) are counted in the history. */
static void
whole_buckets (ClaveHistoryModel *self,
               gint64            *first,
               gint64            *end)
{
  const gint64 bucket_size = (gint64) 1 << CLAVE_HISTORY_BUCKET_SHIFT;

  *first = G_MININT64;
  *end = G_MAXINT64;
  if (self->filter->from > 0)
    *first = (self->filter->from + bucket_size - 1) / bucket_size;
  if (self->filter->to > 0)
    *end = self->filter->to / bucket_size;
}

static gboolean
count_rows (ClaveHistoryModel  *self,
            guint              *n_rows,
            GError            **error)
{
  const gint64 bucket_size = (gint64) 1 << CLAVE_HISTORY_BUCKET_SHIFT;
  gint64 from = self->filter->from;
  gint64 to = self->filter->to;
  gint64 first, end;
  g_autofree char *key = NULL;
  gint64 count = 0, part = 0;

  *n_rows = 0;
  if (self->matches_nothing)
    return TRUE;

  key = query_key (self);
  if (_clave_history_store_lookup_count (self->store, key, n_rows))
    return TRUE;

  whole_buckets (self, &first, &end);
  if (first != G_MININT64 && end != G_MAXINT64 && first >= end)
    {
      /* within two buckets */
      if (!count_range (self, from, to, &count, error))
        return FALSE;
    }
  else
    {
      if (!count_buckets (self, first, end, &count, error))
        return FALSE;
      if (from > 0 && from < first * bucket_size)
        {
          if (!count_range (self, from, first * bucket_size, &part, error))
            return FALSE;
          count += part;
        }
      if (to > 0 && end * bucket_size < to)
        {
          if (!count_range (self, end * bucket_size, to, &part, error))
            return FALSE;
          count += part;
        }
    }

  *n_rows = (guint) CLAMP (count, 0, (gint64) G_MAXUINT - 1);
  _clave_history_store_remember_count (self->store, key, *n_rows);
  return TRUE;
}

static void
drop_pages (ClaveHistoryModel *self)
{
  g_queue_clear_full (&self->pages, (GDestroyNotify) page_free);
}

static const char *const attr_indexes[] = {
  [ATTR_STATUS] = "history_status",
  [ATTR_TYPE] = "history_type",
  [ATTR_ORGANISATION] = "history_organisation",
};

/* For a small result: the index that leaves the fewest rows to read,
 * estimated from history_counts (SQLite, without statistics, favours the
 * wide date index, which means reading every row in the range). NULL:
 * SQLite's choice. */
static gboolean
narrowest_index (ClaveHistoryModel  *self,
                 const char        **index,
                 GError            **error)
{
  const gint64 bucket_size = (gint64) 1 << CLAVE_HISTORY_BUCKET_SHIFT;
  gint64 best_rows = G_MAXINT64;

  *index = NULL;
  for (guint i = 0; i < N_ATTRS; i++)
    {
      g_autofree char *sql = NULL;
      gint64 rows;

      if (self->conditions[i] == NULL)
        continue;

      sql = g_strconcat ("SELECT CAST(TOTAL(n) AS INTEGER) FROM history_counts WHERE ",
                         self->conditions[i]->sql, NULL);
      if (!single_number (self, sql, self->conditions[i]->binds, &rows, error))
        return FALSE;
      if (rows < best_rows)
        {
          best_rows = rows;
          *index = attr_indexes[i];
        }
    }

  if (self->filter->from > 0 || self->filter->to > 0)
    {
      g_autoptr(GPtrArray) binds = binds_new ();
      g_autoptr(GString) where = g_string_new (NULL);
      g_autofree char *sql = NULL;
      gint64 rows;

      /* Whole buckets around the range: an upper bound is enough here. */
      if (self->filter->from > 0)
        {
          add_condition (where, binds, "bucket >= ?", NULL);
          add_bind_number (binds, self->filter->from / bucket_size);
        }
      if (self->filter->to > 0)
        {
          add_condition (where, binds, "bucket <= ?", NULL);
          add_bind_number (binds, self->filter->to / bucket_size);
        }
      sql = g_strconcat ("SELECT CAST(TOTAL(n) AS INTEGER) FROM history_counts", where->str, NULL);
      if (!single_number (self, sql, binds, &rows, error))
        return FALSE;
      if (rows < best_rows)
        *index = "history_created";
    }

  return TRUE;
}

/* Paging by key
 *
 * A page is read from where a neighbouring page ends: "the rows after
 * the last row of page k - 1" is a range of the sort's index, which
 * SQLite seeks to and reads 200 entries of, however deep the page; a
 * LIMIT with OFFSET would read and throw away every row before it. */

/* Is the first key fixed by the filter (the status sort with a status
 * filter)? Then no row comes before or after in it, and a range on it
 * would only make SQLite read the whole status. */
static gboolean
first_key_pinned (ClaveHistoryModel *self)
{
  int attr = self->sort->group_attr;

  return attr >= 0 && self->conditions[attr] != NULL &&
         (attr != ATTR_ORGANISATION || self->organisations == NULL);
}

/* The organisations of a substring filter after @name (by the index's
 * NOCASE order; @op as in SQL), as "organisation IN (…)": each an
 * equality SQLite seeks to, rather than a range that walks the rows of
 * the organisations in between. FALSE when there are none. */
static gboolean
add_organisations_after (ClaveHistoryModel *self,
                         const char        *name,
                         const char        *op,
                         GString           *where,
                         GPtrArray         *binds)
{
  GString *in = g_string_new ("organisation IN (");
  gboolean greater = op[0] == '>';
  gboolean equal = op[1] == '=';
  guint n = 0;

  for (guint i = 0; i < self->organisations->len; i++)
    {
      const char *candidate = g_ptr_array_index (self->organisations, i);
      /* SQLite's NOCASE: ASCII letters without case, other bytes as they are. */
      int c = g_ascii_strcasecmp (candidate, name);

      if ((greater ? c > 0 : c < 0) || (equal && c == 0))
        {
          g_string_append (in, n++ == 0 ? "?" : ", ?");
          add_bind_text (binds, candidate);
        }
    }
  g_string_append (in, ")");

  if (n > 0)
    add_condition (where, binds, in->str, NULL);
  g_string_free (in, TRUE);
  return n > 0;
}

/* The rows after @bound (the values of the first @bound->len keys; those
 * equal to it too when @inclusive), or before it when @backward, in the
 * sort's order are: the rows that share every run before the last one
 * @bound reaches and come after it in that run; then those that share
 * one run fewer; … then those after it in the first run. Arm @r is the
 * rows that share the runs before run @r, one range of the index each.
 * One row-value comparison cannot say it all: it compares in a single
 * direction, and the sorts mix ascending and descending keys. FALSE when
 * the arm has no rows. */
static gboolean
build_arm (ClaveHistoryModel *self,
           GPtrArray         *bound,
           gboolean           inclusive,
           gboolean           backward,
           guint              r,
           gboolean           walk,
           GString           *where,
           GPtrArray         *binds)
{
  const SortSpec *sort = self->sort;
  const Run *run = &sort->runs[r];
  guint end = MIN (run->end, bound->len);
  gboolean last = end == bound->len;
  gboolean pinned = first_key_pinned (self);
  gboolean by_name = sort->group_attr == ATTR_ORGANISATION && self->organisations != NULL;
  const char *op;

  g_assert (run->start < end);
  g_assert (!(r == 0 && pinned));

  /* Sorted by organisation with a substring filter: the arms name the
   * organisation themselves, one by equality, the first by its list. */
  add_filter_conditions (self, walk, by_name, where, binds);

  for (guint k = 0; k < run->start; k++)
    {
      g_autofree char *equal = NULL;

      if (k == 0 && pinned)
        continue;
      equal = g_strconcat (sort->keys[k], " = ?", NULL);
      add_condition (where, binds, equal, NULL);
      add_bind_copy (binds, g_ptr_array_index (bound, k));
    }

  if (run->desc == backward)
    op = last && inclusive ? ">=" : ">";
  else
    op = last && inclusive ? "<=" : "<";

  if (r == 0 && by_name)
    return add_organisations_after (self, ((Bind *) g_ptr_array_index (bound, 0))->text, op,
                                    where, binds);

  if (end - run->start == 1)
    {
      g_autofree char *compare = g_strdup_printf ("%s %s ?", sort->keys[run->start], op);

      add_condition (where, binds, compare, NULL);
    }
  else
    {
      GString *compare = g_string_new ("(");

      for (guint k = run->start; k < end; k++)
        g_string_append_printf (compare, "%s%s", k > run->start ? ", " : "", sort->keys[k]);
      g_string_append_printf (compare, ") %s (", op);
      for (guint k = run->start; k < end; k++)
        g_string_append (compare, k > run->start ? ", ?" : "?");
      g_string_append (compare, ")");
      add_condition (where, binds, compare->str, NULL);
      g_string_free (compare, TRUE);
    }
  for (guint k = run->start; k < end; k++)
    add_bind_copy (binds, g_ptr_array_index (bound, k));

  return TRUE;
}

static GPtrArray *
read_keys (ClaveHistoryModel *self,
           sqlite3_stmt      *stmt)
{
  GPtrArray *keys = binds_new ();

  for (guint k = 0; k < self->sort->n_keys; k++)
    {
      int column = N_ROW_COLUMNS + (int) k;

      if (sqlite3_column_type (stmt, column) == SQLITE_INTEGER)
        add_bind_number (keys, sqlite3_column_int64 (stmt, column));
      else
        add_bind_text (keys, (const char *) sqlite3_column_text (stmt, column));
    }

  return keys;
}

static const char *
index_clause (const char *index_name)
{
  return index_name != NULL ? " INDEXED BY " : "";
}

/* Appends up to @limit rows of @where, after skipping @offset, to @page
 * in the order read; @n_read: how many. */
static gboolean
read_rows (ClaveHistoryModel  *self,
           const char         *index_name,
           GString            *where,
           GPtrArray          *binds,
           gboolean            backward,
           guint               offset,
           guint               limit,
           Page               *page,
           guint              *n_read,
           GError            **error)
{
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;
  int result;

  *n_read = 0;
  sql = g_strdup_printf ("SELECT " ROW_COLUMNS ", %s FROM history%s%s%s ORDER BY %s LIMIT %u OFFSET %u",
                         self->key_columns, index_clause (index_name),
                         index_name != NULL ? index_name : "", where->str,
                         backward ? self->reverse_order : self->order_by, limit, offset);
  stmt = prepare (self, sql, binds, error);
  if (stmt == NULL)
    return FALSE;

  while ((result = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (page->items,
                       clave_history_item_new ((const char *) sqlite3_column_text (stmt, 0),
                                               (const char *) sqlite3_column_text (stmt, 1),
                                               (const char *) sqlite3_column_text (stmt, 2),
                                               (const char *) sqlite3_column_text (stmt, 3),
                                               (const char *) sqlite3_column_text (stmt, 4),
                                               sqlite3_column_int64 (stmt, 5),
                                               sqlite3_column_int64 (stmt, 6)));
      if (page->first == NULL)
        page->first = read_keys (self, stmt);
      else
        {
          g_clear_pointer (&page->last, g_ptr_array_unref);
          page->last = read_keys (self, stmt);
        }
      (*n_read)++;
    }

  /* A page cut short by a failure is not the end of the list. */
  if (result != SQLITE_DONE)
    {
      set_read_error (self, error);
      sqlite3_finalize (stmt);
      return FALSE;
    }
  sqlite3_finalize (stmt);

  return TRUE;
}

static gboolean
count_where (ClaveHistoryModel  *self,
             const char         *index_name,
             GString            *where,
             GPtrArray          *binds,
             gint64             *count,
             GError            **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM history%s%s%s",
                                          index_clause (index_name),
                                          index_name != NULL ? index_name : "", where->str);

  return single_number (self, sql, binds, count, error);
}

/* Up to @limit rows of the list after @bound (from the start when NULL;
 * see build_arm()), skipping @offset, in the sort's order or backwards,
 * appended to @page in the order read. */
static gboolean
read_from (ClaveHistoryModel  *self,
           GPtrArray          *bound,
           gboolean            inclusive,
           gboolean            backward,
           guint               offset,
           guint               limit,
           Page               *page,
           GError            **error)
{
  gboolean walk = self->n_items > self->few_rows;
  const char *index_name = walk ? self->sort->index : self->small_index;
  guint n_read;
  guint r;

  if (bound == NULL)
    {
      g_autoptr(GPtrArray) binds = binds_new ();
      g_autoptr(GString) where = g_string_new (NULL);

      add_filter_conditions (self, walk, FALSE, where, binds);
      return read_rows (self, index_name, where, binds, backward, offset, limit, page, &n_read,
                        error);
    }

  /* The arms, from the rows nearest @bound. */
  for (r = self->sort->n_runs; r-- > 0;)
    if (self->sort->runs[r].start < bound->len)
      break;

  for (r = r + 1; r-- > 0 && limit > 0;)
    {
      g_autoptr(GPtrArray) binds = binds_new ();
      g_autoptr(GString) where = g_string_new (NULL);
      gint64 in_arm;

      if (r == 0 && first_key_pinned (self))
        continue;
      if (!build_arm (self, bound, inclusive, backward, r, walk, where, binds))
        continue;

      if (!read_rows (self, index_name, where, binds, backward, offset, limit, page, &n_read,
                      error))
        return FALSE;

      /* Skipped past its end: how far, to skip the rest in the next. */
      if (n_read == 0 && offset > 0)
        {
          if (!count_where (self, index_name, where, binds, &in_arm, error))
            return FALSE;
          offset -= (guint) MIN ((gint64) offset, in_arm);
          continue;
        }

      offset = 0;
      limit -= n_read;
    }

  return TRUE;
}

/* Seeking by counting: a jump far from any cached page (the scroll bar
 * dragged to the middle) finds the group that holds its first row in
 * history_counts, seeks to the group's start in the index and skips the
 * rows before the page in it, at most a bucket's (~24 days) worth. */

static void
add_bucket_groups (ClaveHistoryModel *self,
                   GString           *sql,
                   GPtrArray         *binds,
                   const char        *group,
                   gint64             first,
                   gint64             end)
{
  g_autoptr(GString) where = g_string_new (NULL);

  add_attr_conditions (self, where, binds);
  if (first != G_MININT64)
    {
      add_condition (where, binds, "bucket >= ?", NULL);
      add_bind_number (binds, first);
    }
  if (end != G_MAXINT64)
    {
      add_condition (where, binds, "bucket < ?", NULL);
      add_bind_number (binds, end);
    }

  g_string_append_printf (sql, "%sSELECT %s%sbucket, TOTAL(n) FROM history_counts%s"
                          " GROUP BY %s%sbucket",
                          sql->len > 0 ? " UNION ALL " : "",
                          group != NULL ? group : "", group != NULL ? ", " : "", where->str,
                          group != NULL ? group : "", group != NULL ? ", " : "");
}

static void
add_range_groups (ClaveHistoryModel *self,
                  GString           *sql,
                  GPtrArray         *binds,
                  const char        *group,
                  gint64             from,
                  gint64             to)
{
  g_autoptr(GString) where = g_string_new (NULL);
  const char *bucket = "created_at >> " G_STRINGIFY (CLAVE_HISTORY_BUCKET_SHIFT);

  add_attr_conditions (self, where, binds);
  if (from > 0)
    {
      add_condition (where, binds, "created_at >= ?", NULL);
      add_bind_number (binds, from);
    }
  if (to > 0)
    {
      add_condition (where, binds, "created_at < ?", NULL);
      add_bind_number (binds, to);
    }

  g_string_append_printf (sql, "%sSELECT %s%s%s, COUNT(*) FROM history INDEXED BY history_created%s"
                          " GROUP BY %s%s%s",
                          sql->len > 0 ? " UNION ALL " : "",
                          group != NULL ? group : "", group != NULL ? ", " : "", bucket, where->str,
                          group != NULL ? group : "", group != NULL ? ", " : "", bucket);
}

/* The groups of the list in its order, with the rows before each: from
 * history_counts for the whole buckets, from the history for the edges of
 * a date range (as count_rows() counts). */
static gboolean
load_groups (ClaveHistoryModel  *self,
             GError            **error)
{
  const gint64 bucket_size = (gint64) 1 << CLAVE_HISTORY_BUCKET_SHIFT;
  const SortSpec *sort = self->sort;
  const char *group = sort->group_attr >= 0 ? sort->keys[0] : NULL;
  gboolean newest_first = key_run (sort, sort->time_key)->desc;
  gint64 from = self->filter->from;
  gint64 to = self->filter->to;
  g_autoptr(GPtrArray) binds = binds_new ();
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autoptr(GArray) groups = NULL;
  sqlite3_stmt *stmt;
  guint64 before = 0;
  gint64 first, end;
  int result;

  whole_buckets (self, &first, &end);
  if (first != G_MININT64 && end != G_MAXINT64 && first >= end)
    add_range_groups (self, sql, binds, group, from, to);
  else
    {
      add_bucket_groups (self, sql, binds, group, first, end);
      if (from > 0 && from < first * bucket_size)
        add_range_groups (self, sql, binds, group, from, first * bucket_size);
      if (to > 0 && end * bucket_size < to)
        add_range_groups (self, sql, binds, group, end * bucket_size, to);
    }
  /* The first key by its column's collation (NOCASE for organisations),
   * as the index orders it. */
  g_string_append_printf (sql, " ORDER BY %s%s", group != NULL ? "1, 2" : "1",
                          newest_first ? " DESC" : "");

  stmt = prepare (self, sql->str, binds, error);
  if (stmt == NULL)
    return FALSE;

  groups = g_array_new (FALSE, FALSE, sizeof (Group));
  g_array_set_clear_func (groups, (GDestroyNotify) group_clear);
  while ((result = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int column = group != NULL ? 1 : 0;
      gint64 rows = sqlite3_column_int64 (stmt, column + 1);
      Group entry = { NULL, };

      /* Buckets whose rows all went elsewhere keep a count of 0. */
      if (rows <= 0)
        continue;

      if (group != NULL)
        entry.value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      entry.bucket = sqlite3_column_int64 (stmt, column);
      entry.before = before;
      entry.rows = (guint64) rows;
      before += entry.rows;
      g_array_append_val (groups, entry);
    }
  if (result != SQLITE_DONE)
    {
      set_read_error (self, error);
      sqlite3_finalize (stmt);
      return FALSE;
    }
  sqlite3_finalize (stmt);

  self->groups = g_steal_pointer (&groups);
  return TRUE;
}

static const Group *
find_group (GArray *groups,
            guint   position)
{
  guint low = 0, high = groups->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;
      const Group *group = &g_array_index (groups, Group, middle);

      if (position < group->before)
        high = middle;
      else if (position >= group->before + group->rows)
        low = middle + 1;
      else
        return group;
    }

  return NULL;
}

static gboolean
seek (ClaveHistoryModel  *self,
      guint               position,
      guint               limit,
      Page               *page,
      GError            **error)
{
  const gint64 bucket_size = (gint64) 1 << CLAVE_HISTORY_BUCKET_SHIFT;
  const SortSpec *sort = self->sort;
  g_autoptr(GPtrArray) bound = binds_new ();
  const Group *group;
  gint64 start;

  if (self->groups == NULL && !load_groups (self, error))
    return FALSE;

  /* The counts no longer add up to the rows (another process changed
   * them): OFFSET is slow but right. */
  group = find_group (self->groups, position);
  if (group == NULL)
    return read_from (self, NULL, FALSE, FALSE, position, limit, page, error);

  /* The group's first row in the sort's order is at or after its value
   * and the time at the near end of its bucket (multiplied: buckets of
   * times before 1970 are negative, and shifting those is undefined). */
  start = group->bucket * bucket_size;
  if (key_run (sort, sort->time_key)->desc)
    start += bucket_size - 1;
  if (group->value != NULL)
    add_bind_text (bound, group->value);
  add_bind_number (bound, start);

  return read_from (self, bound, TRUE, FALSE, position - (guint) group->before, limit, page, error);
}

static Page *
find_page (ClaveHistoryModel *self,
           guint              index)
{
  for (GList *l = self->pages.head; l != NULL; l = l->next)
    if (((Page *) l->data)->index == index)
      return l->data;

  return NULL;
}

static Page *
load_page (ClaveHistoryModel  *self,
           guint               index,
           GError            **error)
{
  guint first = index * PAGE_SIZE;
  guint end = MIN (self->n_items, first + PAGE_SIZE);
  Page *before = index > 0 ? find_page (self, index - 1) : NULL;
  Page *after = find_page (self, index + 1);
  gboolean backward = FALSE;
  gboolean ok;
  Page *page;

  /* Many matches: walk the sort's index and skip the rows that do not
   * match, the first screen is near. Few: SQLite's own choice (the
   * filter's index), sorting a few thousand rows is cheap. */
  if (self->n_items <= self->few_rows && !self->small_index_chosen)
    {
      if (!narrowest_index (self, &self->small_index, error))
        return NULL;
      self->small_index_chosen = TRUE;
    }

  page = g_new0 (Page, 1);
  page->index = index;
  page->items = g_ptr_array_new_full (PAGE_SIZE, g_object_unref);

  /* Scrolling down, then up: from the neighbouring page's keys. */
  if (before != NULL && before->items->len == PAGE_SIZE && before->last != NULL)
    ok = read_from (self, before->last, FALSE, FALSE, 0, end - first, page, error);
  else if (after != NULL && after->first != NULL)
    {
      backward = TRUE;
      ok = read_from (self, after->first, FALSE, TRUE, 0, end - first, page, error);
    }
  /* A jump: near either end, from that end; into a small result, where
   * every query sorts all its rows anyway, from the start. */
  else if (first <= self->seek_distance || self->n_items <= self->few_rows)
    ok = read_from (self, NULL, FALSE, FALSE, first, end - first, page, error);
  else if (self->n_items - end <= self->seek_distance)
    {
      backward = TRUE;
      ok = read_from (self, NULL, FALSE, TRUE, self->n_items - end, end - first, page, error);
    }
  else
    ok = seek (self, first, end - first, page, error);

  if (!ok)
    {
      page_free (page);
      return NULL;
    }

  /* With one row, its keys are both the first and the last. */
  if (page->last == NULL && page->first != NULL)
    page->last = g_ptr_array_ref (page->first);

  if (backward)
    {
      GPtrArray *keys = page->first;

      for (guint i = 0, j = page->items->len; i + 1 < j; i++, j--)
        {
          gpointer item = page->items->pdata[i];

          page->items->pdata[i] = page->items->pdata[j - 1];
          page->items->pdata[j - 1] = item;
        }
      page->first = page->last;
      page->last = keys;
    }

  return page;
}

static Page *
get_page (ClaveHistoryModel  *self,
          guint               index,
          GError            **error)
{
  Page *page;

  for (GList *l = self->pages.head; l != NULL; l = l->next)
    {
      page = l->data;
      if (page->index == index)
        {
          if (l != self->pages.head)
            {
              g_queue_unlink (&self->pages, l);
              g_queue_push_head_link (&self->pages, l);
            }
          return page;
        }
    }

  page = load_page (self, index, error);
  if (page == NULL)
    return NULL;

  g_queue_push_head (&self->pages, page);
  while (g_queue_get_length (&self->pages) > MAX_CACHED_PAGES)
    page_free (g_queue_pop_tail (&self->pages));

  return page;
}

/* Errors */

/* From an idle: get_item() must not change the model under the view
 * that asked for an item. */
static gboolean
report_error (gpointer user_data)
{
  ClaveHistoryModel *self = user_data;
  guint old_n = self->n_items;

  self->report_id = 0;
  drop_pages (self);
  self->n_items = 0;
  if (old_n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);

  return G_SOURCE_REMOVE;
}

/* Rebuilds the query and count, and tells views everything changed. */
static void
reset (ClaveHistoryModel *self)
{
  g_autoptr(GError) error = NULL;
  guint old_n = self->n_items;
  gboolean had_error = self->error != NULL;

  g_clear_handle_id (&self->report_id, g_source_remove);
  g_clear_error (&self->error);
  drop_pages (self);
  if (!build_query (self, &error) || !count_rows (self, &self->n_items, &error))
    {
      self->n_items = 0;
      self->error = g_steal_pointer (&error);
    }

  if (old_n > 0 || self->n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->n_items);
  if (had_error || self->error != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

/* GListModel */

static GType
clave_history_model_get_item_type (GListModel *model)
{
  return CLAVE_TYPE_HISTORY_ITEM;
}

static guint
clave_history_model_get_n_items (GListModel *model)
{
  return CLAVE_HISTORY_MODEL (model)->n_items;
}

/* An empty item (id "") for a row that could not be read: a list model
 * has an item at every position below n_items (GtkListView unrefs what it
 * gets), and a wrong row would be worse. A new one each time: GtkListView
 * takes the same item at two positions for a mistake. */
static gpointer
placeholder (void)
{
  return clave_history_item_new ("", "", "", "", "", 0, 0);
}

static gpointer
clave_history_model_get_item (GListModel *model,
                              guint       position)
{
  ClaveHistoryModel *self = CLAVE_HISTORY_MODEL (model);
  g_autoptr(GError) error = NULL;
  Page *page;
  guint offset;

  if (position >= self->n_items)
    return NULL;

  /* After a failure, until the model empties: each try could wait for a
   * busy file again. */
  if (self->error != NULL)
    return placeholder ();

  page = get_page (self, position / PAGE_SIZE, &error);
  if (page == NULL)
    {
      /* Before the next frame paints the placeholders. */
      self->error = g_steal_pointer (&error);
      self->report_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, report_error, self, NULL);
      return placeholder ();
    }
  offset = position % PAGE_SIZE;

  /* Rows can vanish between the count and the page (another process
   * cleared the cache). */
  if (offset >= page->items->len)
    return placeholder ();

  return g_object_ref (g_ptr_array_index (page->items, offset));
}

static void
clave_history_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = clave_history_model_get_item_type;
  iface->get_n_items = clave_history_model_get_n_items;
  iface->get_item = clave_history_model_get_item;
}

/* GObject */

static void
on_store_changed (ClaveHistoryStore *store,
                  ClaveHistoryModel *self)
{
  reset (self);
}

static void
clave_history_model_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ClaveHistoryModel *self = CLAVE_HISTORY_MODEL (object);

  switch (prop_id)
    {
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_history_model_dispose (GObject *object)
{
  ClaveHistoryModel *self = CLAVE_HISTORY_MODEL (object);

  g_clear_handle_id (&self->report_id, g_source_remove);
  g_clear_signal_handler (&self->changed_id, self->store);
  g_clear_object (&self->store);
  drop_pages (self);

  G_OBJECT_CLASS (clave_history_model_parent_class)->dispose (object);
}

static void
clave_history_model_finalize (GObject *object)
{
  ClaveHistoryModel *self = CLAVE_HISTORY_MODEL (object);

  g_clear_pointer (&self->filter, clave_history_filter_free);
  clear_query (self);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (clave_history_model_parent_class)->finalize (object);
}

static void
clave_history_model_class_init (ClaveHistoryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = clave_history_model_get_property;
  object_class->dispose = clave_history_model_dispose;
  object_class->finalize = clave_history_model_finalize;

  /**
   * ClaveHistoryModel:error:
   *
   * Why the list could not be read, or %NULL. While set the model is
   * empty; it changes on a refresh, a new filter or a store change.
   */
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_history_model_init (ClaveHistoryModel *self)
{
  g_queue_init (&self->pages);
  self->few_rows = FEW_ROWS;
  self->seek_distance = SEEK_DISTANCE;
}

void
_clave_history_model_set_few_rows (ClaveHistoryModel *self,
                                   guint              few_rows)
{
  self->few_rows = few_rows;
  clave_history_model_refresh (self);
}

void
_clave_history_model_set_seek_distance (ClaveHistoryModel *self,
                                        guint              rows)
{
  self->seek_distance = rows;
  clave_history_model_refresh (self);
}

ClaveHistoryModel *
clave_history_model_new (ClaveHistoryStore        *store,
                         const ClaveHistoryFilter *filter)
{
  ClaveHistoryModel *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (store), NULL);

  self = g_object_new (CLAVE_TYPE_HISTORY_MODEL, NULL);
  self->store = g_object_ref (store);
  self->filter = clave_history_filter_copy (filter);
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (on_store_changed), self);

  if (!build_query (self, &error) || !count_rows (self, &self->n_items, &error))
    {
      self->n_items = 0;
      self->error = g_steal_pointer (&error);
    }

  return self;
}

void
clave_history_model_set_filter (ClaveHistoryModel        *self,
                                const ClaveHistoryFilter *filter)
{
  g_return_if_fail (CLAVE_IS_HISTORY_MODEL (self));

  g_clear_pointer (&self->filter, clave_history_filter_free);
  self->filter = clave_history_filter_copy (filter);

  if (self->store != NULL)
    reset (self);
}

const ClaveHistoryFilter *
clave_history_model_get_filter (ClaveHistoryModel *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_MODEL (self), NULL);

  return self->filter;
}

void
clave_history_model_refresh (ClaveHistoryModel *self)
{
  g_return_if_fail (CLAVE_IS_HISTORY_MODEL (self));

  if (self->store != NULL)
    reset (self);
}

const GError *
clave_history_model_get_error (ClaveHistoryModel *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_MODEL (self), NULL);

  return self->error;
}
