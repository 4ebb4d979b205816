/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-history-model"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "clave-history-model.h"
#include "clave-history-store.h"
#include "clave-history-store-private.h"
#include "clave-history-model-private.h"

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
  g_autoptr(GPtrArray) binds = _clave_history_binds_new ();
  g_autoptr(GString) where = g_string_new (NULL);
  g_autofree char *sql = NULL;

  _clave_history_add_attr_conditions (self, where, binds);
  if (from > 0)
    {
      _clave_history_add_condition (where, binds, "created_at >= ?", NULL);
      _clave_history_add_bind_number (binds, from);
    }
  if (to > 0)
    {
      _clave_history_add_condition (where, binds, "created_at < ?", NULL);
      _clave_history_add_bind_number (binds, to);
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
  g_autoptr(GPtrArray) binds = _clave_history_binds_new ();
  g_autoptr(GString) where = g_string_new (NULL);
  g_autofree char *sql = NULL;

  _clave_history_add_attr_conditions (self, where, binds);
  if (first != G_MININT64)
    {
      _clave_history_add_condition (where, binds, "bucket >= ?", NULL);
      _clave_history_add_bind_number (binds, first);
    }
  if (end != G_MAXINT64)
    {
      _clave_history_add_condition (where, binds, "bucket < ?", NULL);
      _clave_history_add_bind_number (binds, end);
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

  key = _clave_history_query_key (self);
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
      g_autoptr(GPtrArray) binds = _clave_history_binds_new ();
      g_autoptr(GString) where = g_string_new (NULL);
      g_autofree char *sql = NULL;
      gint64 rows;

      /* Whole buckets around the range: an upper bound is enough here. */
      if (self->filter->from > 0)
        {
          _clave_history_add_condition (where, binds, "bucket >= ?", NULL);
          _clave_history_add_bind_number (binds, self->filter->from / bucket_size);
        }
      if (self->filter->to > 0)
        {
          _clave_history_add_condition (where, binds, "bucket <= ?", NULL);
          _clave_history_add_bind_number (binds, self->filter->to / bucket_size);
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
          _clave_history_add_bind_text (binds, candidate);
        }
    }
  g_string_append (in, ")");

  if (n > 0)
    _clave_history_add_condition (where, binds, in->str, NULL);
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
  _clave_history_add_filter_conditions (self, walk, by_name, where, binds);

  for (guint k = 0; k < run->start; k++)
    {
      g_autofree char *equal = NULL;

      if (k == 0 && pinned)
        continue;
      equal = g_strconcat (sort->keys[k], " = ?", NULL);
      _clave_history_add_condition (where, binds, equal, NULL);
      _clave_history_add_bind_copy (binds, g_ptr_array_index (bound, k));
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

      _clave_history_add_condition (where, binds, compare, NULL);
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
      _clave_history_add_condition (where, binds, compare->str, NULL);
      g_string_free (compare, TRUE);
    }
  for (guint k = run->start; k < end; k++)
    _clave_history_add_bind_copy (binds, g_ptr_array_index (bound, k));

  return TRUE;
}

static GPtrArray *
read_keys (ClaveHistoryModel *self,
           sqlite3_stmt      *stmt)
{
  GPtrArray *keys = _clave_history_binds_new ();

  for (guint k = 0; k < self->sort->n_keys; k++)
    {
      int column = N_ROW_COLUMNS + (int) k;

      if (sqlite3_column_type (stmt, column) == SQLITE_INTEGER)
        _clave_history_add_bind_number (keys, sqlite3_column_int64 (stmt, column));
      else
        _clave_history_add_bind_text (keys, (const char *) sqlite3_column_text (stmt, column));
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
      g_autoptr(GPtrArray) binds = _clave_history_binds_new ();
      g_autoptr(GString) where = g_string_new (NULL);

      _clave_history_add_filter_conditions (self, walk, FALSE, where, binds);
      return read_rows (self, index_name, where, binds, backward, offset, limit, page, &n_read,
                        error);
    }

  /* The arms, from the rows nearest @bound. */
  for (r = self->sort->n_runs; r-- > 0;)
    if (self->sort->runs[r].start < bound->len)
      break;

  for (r = r + 1; r-- > 0 && limit > 0;)
    {
      g_autoptr(GPtrArray) binds = _clave_history_binds_new ();
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

  _clave_history_add_attr_conditions (self, where, binds);
  if (first != G_MININT64)
    {
      _clave_history_add_condition (where, binds, "bucket >= ?", NULL);
      _clave_history_add_bind_number (binds, first);
    }
  if (end != G_MAXINT64)
    {
      _clave_history_add_condition (where, binds, "bucket < ?", NULL);
      _clave_history_add_bind_number (binds, end);
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

  _clave_history_add_attr_conditions (self, where, binds);
  if (from > 0)
    {
      _clave_history_add_condition (where, binds, "created_at >= ?", NULL);
      _clave_history_add_bind_number (binds, from);
    }
  if (to > 0)
    {
      _clave_history_add_condition (where, binds, "created_at < ?", NULL);
      _clave_history_add_bind_number (binds, to);
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
  gboolean newest_first = _clave_history_key_run (sort, sort->time_key)->desc;
  gint64 from = self->filter->from;
  gint64 to = self->filter->to;
  g_autoptr(GPtrArray) binds = _clave_history_binds_new ();
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
  g_autoptr(GPtrArray) bound = _clave_history_binds_new ();
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
  if (_clave_history_key_run (sort, sort->time_key)->desc)
    start += bucket_size - 1;
  if (group->value != NULL)
    _clave_history_add_bind_text (bound, group->value);
  _clave_history_add_bind_number (bound, start);

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
  if (!_clave_history_build_query (self, &error) || !count_rows (self, &self->n_items, &error))
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
  _clave_history_clear_query (self);
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

  if (!_clave_history_build_query (self, &error) || !count_rows (self, &self->n_items, &error))
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
