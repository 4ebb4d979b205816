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

typedef struct {
  guint      index;
  GPtrArray *items;   /* ClaveHistoryItem */
} Page;

static void
page_free (Page *page)
{
  g_ptr_array_unref (page->items);
  g_free (page);
}

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

struct _ClaveHistoryModel
{
  GObject             parent_instance;

  ClaveHistoryStore  *store;
  gulong              changed_id;
  ClaveHistoryFilter *filter;

  /* The current query. */
  char               *where;       /* "" or " WHERE …": every condition */
  char               *attr_where;  /* "" or " WHERE …": status, type, organisation only */
  GPtrArray          *binds;       /* Bind, of where */
  GPtrArray          *attr_binds;  /* Bind, of attr_where */
  const char         *order_by;
  const char         *sort_index;
  const char         *small_index;  /* chosen on the first page of a small result */
  /* Each attribute condition on its own (NULL when unset), to estimate
   * which index narrows a small result most. */
  char               *attr_condition[3];
  GPtrArray          *attr_condition_binds[3];
  gboolean            matches_nothing;
  guint               n_items;
  guint               few_rows;    /* FEW_ROWS; tests lower it */
  GQueue              pages;       /* Page, most recently used first */
};

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

/* Each ends in the index's own order, so SQLite walks an index instead
 * of sorting a million rows. */
static const char *const sort_sql[] = {
  [CLAVE_HISTORY_SORT_DATE_DESC] = "created_at DESC, id DESC",
  [CLAVE_HISTORY_SORT_DATE_ASC] = "created_at ASC, id ASC",
  [CLAVE_HISTORY_SORT_ORGANISATION] = "organisation ASC, created_at DESC",
  [CLAVE_HISTORY_SORT_TYPE] = "type ASC, created_at DESC",
  [CLAVE_HISTORY_SORT_STATUS] = "status ASC, created_at DESC",
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
matching_organisations (ClaveHistoryStore *store,
                        const char        *needle)
{
  g_auto(GStrv) names = clave_history_store_list_organisations (store);
  g_autofree char *folded_needle = fold (needle);
  GPtrArray *matches = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *folded = fold (names[i]);

      if (strstr (folded, folded_needle) != NULL)
        g_ptr_array_add (matches, g_strdup (names[i]));
    }

  return matches;
}

static void
add_condition (GString    *where,
               const char *condition)
{
  g_string_append (where, where->len == 0 ? " WHERE " : " AND ");
  g_string_append (where, condition);
}

static void
copy_binds (GPtrArray *to,
            GPtrArray *from)
{
  for (guint i = 0; i < from->len; i++)
    {
      Bind *bind = g_ptr_array_index (from, i);

      if (bind->is_text)
        add_bind_text (to, bind->text);
      else
        add_bind_number (to, bind->number);
    }
}

enum { ATTR_STATUS, ATTR_TYPE, ATTR_ORGANISATION };

static const char *const attr_indexes[] = {
  [ATTR_STATUS] = "history_status",
  [ATTR_TYPE] = "history_type",
  [ATTR_ORGANISATION] = "history_organisation",
};

static void
clear_attr_conditions (ClaveHistoryModel *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->attr_condition); i++)
    {
      g_clear_pointer (&self->attr_condition[i], g_free);
      g_clear_pointer (&self->attr_condition_binds[i], g_ptr_array_unref);
    }
}

/* Adds @condition with the binds added to attr_binds since @first_bind. */
static void
add_attr (ClaveHistoryModel *self,
          GString           *where,
          guint              attr,
          const char        *condition,
          guint              first_bind)
{
  GPtrArray *binds = g_ptr_array_new_with_free_func ((GDestroyNotify) bind_free);

  add_condition (where, condition);
  for (guint i = first_bind; i < self->attr_binds->len; i++)
    add_bind_text (binds, ((Bind *) g_ptr_array_index (self->attr_binds, i))->text);
  self->attr_condition[attr] = g_strdup (condition);
  self->attr_condition_binds[attr] = binds;
}

static const char *const sort_indexes[] = {
  [CLAVE_HISTORY_SORT_DATE_DESC] = "history_created",
  [CLAVE_HISTORY_SORT_DATE_ASC] = "history_created",
  [CLAVE_HISTORY_SORT_ORGANISATION] = "history_organisation",
  [CLAVE_HISTORY_SORT_TYPE] = "history_type",
  [CLAVE_HISTORY_SORT_STATUS] = "history_status",
};

static void
build_query (ClaveHistoryModel *self)
{
  const ClaveHistoryFilter *filter = self->filter;
  GString *where = g_string_new (NULL);
  guint sort = filter->sort < G_N_ELEMENTS (sort_sql) ? filter->sort : 0;

  g_clear_pointer (&self->binds, g_ptr_array_unref);
  g_clear_pointer (&self->attr_binds, g_ptr_array_unref);
  self->binds = g_ptr_array_new_with_free_func ((GDestroyNotify) bind_free);
  self->attr_binds = g_ptr_array_new_with_free_func ((GDestroyNotify) bind_free);
  self->matches_nothing = FALSE;

  clear_attr_conditions (self);

  if (is_set (filter->status))
    {
      add_bind_text (self->attr_binds, filter->status);
      add_attr (self, where, ATTR_STATUS, "status = ?", self->attr_binds->len - 1);
    }

  if (is_set (filter->type))
    {
      add_bind_text (self->attr_binds, filter->type);
      add_attr (self, where, ATTR_TYPE, "type = ?", self->attr_binds->len - 1);
    }

  if (is_set (filter->organisation) && filter->organisation_exact)
    {
      add_bind_text (self->attr_binds, filter->organisation);
      add_attr (self, where, ATTR_ORGANISATION, "organisation = ?", self->attr_binds->len - 1);
    }
  else if (is_set (filter->organisation))
    {
      g_autoptr(GPtrArray) names = matching_organisations (self->store, filter->organisation);

      if (names->len == 0)
        self->matches_nothing = TRUE;
      else
        {
          GString *in = g_string_new ("organisation IN (");
          guint first = self->attr_binds->len;

          for (guint i = 0; i < names->len; i++)
            {
              g_string_append (in, i == 0 ? "?" : ", ?");
              add_bind_text (self->attr_binds, g_ptr_array_index (names, i));
            }
          g_string_append (in, ")");
          add_attr (self, where, ATTR_ORGANISATION, in->str, first);
          g_string_free (in, TRUE);
        }
    }

  g_free (self->attr_where);
  self->attr_where = g_strdup (where->str);
  copy_binds (self->binds, self->attr_binds);

  if (filter->from > 0)
    {
      add_condition (where, "created_at >= ?");
      add_bind_number (self->binds, filter->from);
    }

  if (filter->to > 0)
    {
      add_condition (where, "created_at < ?");
      add_bind_number (self->binds, filter->to);
    }

  if (filter->from > 0 && filter->to > 0 && filter->to <= filter->from)
    self->matches_nothing = TRUE;

  g_free (self->where);
  self->where = g_string_free (where, FALSE);
  self->order_by = sort_sql[sort];
  self->sort_index = sort_indexes[sort];
  self->small_index = NULL;
}

static char *
query_key (ClaveHistoryModel *self)
{
  GString *key = g_string_new (self->where);

  for (guint i = 0; i < self->binds->len; i++)
    {
      Bind *bind = g_ptr_array_index (self->binds, i);

      if (bind->is_text)
        g_string_append_printf (key, "\x1ft%zu:%s", strlen (bind->text), bind->text);
      else
        g_string_append_printf (key, "\x1fn%" G_GINT64_FORMAT, bind->number);
    }

  return g_string_free (key, FALSE);
}

static sqlite3_stmt *
prepare (ClaveHistoryModel *self,
         const char        *sql,
         GPtrArray         *binds)
{
  sqlite3 *db = _clave_history_store_get_db (self->store);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_warning ("History query failed: %s", sqlite3_errmsg (db));
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

static gint64
single_number (ClaveHistoryModel *self,
               const char        *sql,
               GPtrArray         *binds)
{
  sqlite3_stmt *stmt = prepare (self, sql, binds);
  gint64 value = 0;

  if (stmt == NULL)
    return 0;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);

  return value;
}

/* Rows in [from, to) (0: unbounded) matching the attribute filters,
 * counted in the history through the date index, which carries the
 * filter columns. */
static gint64
count_range (ClaveHistoryModel *self,
             gint64             from,
             gint64             to)
{
  g_autoptr(GPtrArray) binds = g_ptr_array_new_with_free_func ((GDestroyNotify) bind_free);
  GString *where = g_string_new (self->attr_where);
  g_autofree char *sql = NULL;

  copy_binds (binds, self->attr_binds);
  if (from > 0)
    {
      add_condition (where, "created_at >= ?");
      add_bind_number (binds, from);
    }
  if (to > 0)
    {
      add_condition (where, "created_at < ?");
      add_bind_number (binds, to);
    }

  sql = g_strconcat ("SELECT COUNT(*) FROM history INDEXED BY history_created",
                     where->str, NULL);
  g_string_free (where, TRUE);
  return single_number (self, sql, binds);
}

/* Rows in whole buckets [first, end) (G_MININT64/G_MAXINT64: unbounded)
 * from history_counts. */
static gint64
count_buckets (ClaveHistoryModel *self,
               gint64             first,
               gint64             end)
{
  g_autoptr(GPtrArray) binds = g_ptr_array_new_with_free_func ((GDestroyNotify) bind_free);
  GString *where = g_string_new (self->attr_where);
  g_autofree char *sql = NULL;

  copy_binds (binds, self->attr_binds);
  if (first != G_MININT64)
    {
      add_condition (where, "bucket >= ?");
      add_bind_number (binds, first);
    }
  if (end != G_MAXINT64)
    {
      add_condition (where, "bucket < ?");
      add_bind_number (binds, end);
    }

  sql = g_strconcat ("SELECT CAST(TOTAL(n) AS INTEGER) FROM history_counts", where->str, NULL);
  g_string_free (where, TRUE);
  return single_number (self, sql, binds);
}

static guint
count_rows (ClaveHistoryModel *self)
{
  const gint64 bucket_size = (gint64) 1 << CLAVE_HISTORY_BUCKET_SHIFT;
  gint64 from = self->filter->from;
  gint64 to = self->filter->to;
  gint64 first = G_MININT64;
  gint64 end = G_MAXINT64;
  g_autofree char *key = NULL;
  gint64 count;
  guint result = 0;

  if (self->matches_nothing)
    return 0;

  key = query_key (self);
  if (_clave_history_store_lookup_count (self->store, key, &result))
    return result;

  if (from > 0)
    first = (from + bucket_size - 1) / bucket_size;
  if (to > 0)
    end = to / bucket_size;

  if (first != G_MININT64 && end != G_MAXINT64 && first >= end)
    count = count_range (self, from, to);   /* within two buckets */
  else
    {
      count = count_buckets (self, first, end);
      if (from > 0 && from < first * bucket_size)
        count += count_range (self, from, first * bucket_size);
      if (to > 0 && end * bucket_size < to)
        count += count_range (self, end * bucket_size, to);
    }

  result = (guint) CLAMP (count, 0, (gint64) G_MAXUINT - 1);
  _clave_history_store_remember_count (self->store, key, result);
  return result;
}

static void
drop_pages (ClaveHistoryModel *self)
{
  g_queue_clear_full (&self->pages, (GDestroyNotify) page_free);
}

/* For a small result: the index that leaves the fewest rows to read,
 * estimated from history_counts (SQLite, without statistics, favours the
 * wide date index, which means reading every row in the range). */
static const char *
narrowest_index (ClaveHistoryModel *self)
{
  const gint64 bucket_size = (gint64) 1 << CLAVE_HISTORY_BUCKET_SHIFT;
  const char *best = NULL;
  gint64 best_rows = G_MAXINT64;

  for (guint i = 0; i < G_N_ELEMENTS (self->attr_condition); i++)
    {
      g_autofree char *sql = NULL;
      gint64 rows;

      if (self->attr_condition[i] == NULL)
        continue;

      sql = g_strconcat ("SELECT CAST(TOTAL(n) AS INTEGER) FROM history_counts WHERE ",
                         self->attr_condition[i], NULL);
      rows = single_number (self, sql, self->attr_condition_binds[i]);
      if (rows < best_rows)
        {
          best_rows = rows;
          best = attr_indexes[i];
        }
    }

  if (self->filter->from > 0 || self->filter->to > 0)
    {
      g_autoptr(GPtrArray) binds = g_ptr_array_new_with_free_func ((GDestroyNotify) bind_free);
      GString *where = g_string_new (NULL);
      g_autofree char *sql = NULL;
      gint64 rows;

      /* Whole buckets around the range: an upper bound is enough here. */
      if (self->filter->from > 0)
        {
          add_condition (where, "bucket >= ?");
          add_bind_number (binds, self->filter->from / bucket_size);
        }
      if (self->filter->to > 0)
        {
          add_condition (where, "bucket <= ?");
          add_bind_number (binds, self->filter->to / bucket_size);
        }
      sql = g_strconcat ("SELECT CAST(TOTAL(n) AS INTEGER) FROM history_counts", where->str, NULL);
      g_string_free (where, TRUE);
      rows = single_number (self, sql, binds);
      if (rows < best_rows)
        best = "history_created";
    }

  return best;
}

static Page *
load_page (ClaveHistoryModel *self,
           guint              index)
{
  g_autofree char *sql = NULL;
  const char *index_name;
  sqlite3_stmt *stmt;
  Page *page;

  /* Many matches: walk the sort's index and skip the rows that do not
   * match, the first screen is near. Few: SQLite's own choice (the
   * filter's index), sorting a few thousand rows is cheap. */
  if (self->n_items > self->few_rows)
    index_name = self->sort_index;
  else
    {
      if (self->small_index == NULL)
        self->small_index = narrowest_index (self);
      index_name = self->small_index;
    }

  sql = g_strdup_printf ("SELECT id, type, status, organisation, origin, created_at, answered_at"
                         " FROM history%s%s%s ORDER BY %s LIMIT %d OFFSET %u",
                         index_name != NULL ? " INDEXED BY " : "",
                         index_name != NULL ? index_name : "",
                         self->where, self->order_by, PAGE_SIZE, index * PAGE_SIZE);
  stmt = prepare (self, sql, self->binds);

  page = g_new0 (Page, 1);
  page->index = index;
  page->items = g_ptr_array_new_full (PAGE_SIZE, g_object_unref);

  if (stmt == NULL)
    return page;

  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (page->items,
                     clave_history_item_new ((const char *) sqlite3_column_text (stmt, 0),
                                             (const char *) sqlite3_column_text (stmt, 1),
                                             (const char *) sqlite3_column_text (stmt, 2),
                                             (const char *) sqlite3_column_text (stmt, 3),
                                             (const char *) sqlite3_column_text (stmt, 4),
                                             sqlite3_column_int64 (stmt, 5),
                                             sqlite3_column_int64 (stmt, 6)));
  sqlite3_finalize (stmt);

  return page;
}

static Page *
get_page (ClaveHistoryModel *self,
          guint              index)
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

  page = load_page (self, index);
  g_queue_push_head (&self->pages, page);
  while (g_queue_get_length (&self->pages) > MAX_CACHED_PAGES)
    page_free (g_queue_pop_tail (&self->pages));

  return page;
}

/* Rebuilds the query and count, and tells views everything changed. */
static void
reset (ClaveHistoryModel *self)
{
  guint old_n = self->n_items;

  drop_pages (self);
  build_query (self);
  self->n_items = count_rows (self);

  if (old_n > 0 || self->n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->n_items);
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

static gpointer
clave_history_model_get_item (GListModel *model,
                              guint       position)
{
  ClaveHistoryModel *self = CLAVE_HISTORY_MODEL (model);
  Page *page;
  guint offset;

  if (position >= self->n_items)
    return NULL;

  page = get_page (self, position / PAGE_SIZE);
  offset = position % PAGE_SIZE;

  /* Rows can vanish between the count and the page (another process
   * cleared the cache): no item rather than a wrong one. */
  if (offset >= page->items->len)
    return NULL;

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
clave_history_model_dispose (GObject *object)
{
  ClaveHistoryModel *self = CLAVE_HISTORY_MODEL (object);

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
  g_clear_pointer (&self->binds, g_ptr_array_unref);
  g_clear_pointer (&self->attr_binds, g_ptr_array_unref);
  clear_attr_conditions (self);
  g_free (self->where);
  g_free (self->attr_where);

  G_OBJECT_CLASS (clave_history_model_parent_class)->finalize (object);
}

static void
clave_history_model_class_init (ClaveHistoryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clave_history_model_dispose;
  object_class->finalize = clave_history_model_finalize;
}

static void
clave_history_model_init (ClaveHistoryModel *self)
{
  g_queue_init (&self->pages);
  self->few_rows = FEW_ROWS;
}

void
_clave_history_model_set_few_rows (ClaveHistoryModel *self,
                                   guint              few_rows)
{
  self->few_rows = few_rows;
  clave_history_model_refresh (self);
}

ClaveHistoryModel *
clave_history_model_new (ClaveHistoryStore        *store,
                         const ClaveHistoryFilter *filter)
{
  ClaveHistoryModel *self;

  g_return_val_if_fail (CLAVE_IS_HISTORY_STORE (store), NULL);

  self = g_object_new (CLAVE_TYPE_HISTORY_MODEL, NULL);
  self->store = g_object_ref (store);
  self->filter = clave_history_filter_copy (filter);
  self->changed_id = g_signal_connect (store, "changed", G_CALLBACK (on_store_changed), self);

  build_query (self);
  self->n_items = count_rows (self);

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
