/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveHistoryModel: the filter, the sorts and the SQL queries built from them. */
#define G_LOG_DOMAIN "clave-history-model"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "clave-history-store-private.h"
#include "clave-history-model-private.h"

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

void
_clave_history_add_bind_text (GPtrArray  *binds,
                              const char *text)
{
  Bind *bind = g_new0 (Bind, 1);

  bind->is_text = TRUE;
  bind->text = g_strdup (text);
  g_ptr_array_add (binds, bind);
}

void
_clave_history_add_bind_number (GPtrArray *binds,
                                gint64     number)
{
  Bind *bind = g_new0 (Bind, 1);

  bind->number = number;
  g_ptr_array_add (binds, bind);
}

void
_clave_history_add_bind_copy (GPtrArray  *binds,
                              const Bind *bind)
{
  if (bind->is_text)
    _clave_history_add_bind_text (binds, bind->text);
  else
    _clave_history_add_bind_number (binds, bind->number);
}

static void
copy_binds (GPtrArray *to,
            GPtrArray *from)
{
  for (guint i = 0; i < from->len; i++)
    _clave_history_add_bind_copy (to, g_ptr_array_index (from, i));
}

GPtrArray *
_clave_history_binds_new (void)
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
void
_clave_history_add_condition (GString    *where,
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
  condition->binds = _clave_history_binds_new ();
  self->conditions[which] = condition;
  return condition;
}

/* The status, type and organisation conditions: what history_counts
 * holds too. */
void
_clave_history_add_attr_conditions (ClaveHistoryModel *self,
                                    GString           *where,
                                    GPtrArray         *binds)
{
  for (guint i = 0; i < N_ATTRS; i++)
    if (self->conditions[i] != NULL)
      _clave_history_add_condition (where, binds, self->conditions[i]->sql, self->conditions[i]->binds);
}

/* Every condition of the filter, for a query of rows. @walk: in the
 * sort's index, where the conditions on anything but its first column
 * are checked entry by entry; written "+type = ?" there, because SQLite
 * takes "type = ?" for a constant of the ORDER BY and then no longer
 * sees that the index is in rowid order, and sorts. @skip_organisation:
 * the query names the organisations itself. */
void
_clave_history_add_filter_conditions (ClaveHistoryModel *self,
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

          _clave_history_add_condition (where, binds, unindexed, condition->binds);
        }
      else
        _clave_history_add_condition (where, binds, condition->sql, condition->binds);
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

const Run *
_clave_history_key_run (const SortSpec *sort,
                        guint           key)
{
  for (guint r = 0; r < sort->n_runs; r++)
    if (key >= sort->runs[r].start && key < sort->runs[r].end)
      return &sort->runs[r];

  g_assert_not_reached ();
}

void
_clave_history_clear_query (ClaveHistoryModel *self)
{
  for (guint i = 0; i < N_CONDS; i++)
    g_clear_pointer (&self->conditions[i], condition_free);
  g_clear_pointer (&self->organisations, g_ptr_array_unref);
  g_clear_pointer (&self->groups, g_array_unref);
  g_clear_pointer (&self->key_columns, g_free);
  g_clear_pointer (&self->order_by, g_free);
  g_clear_pointer (&self->reverse_order, g_free);
}

gboolean
_clave_history_build_query (ClaveHistoryModel  *self,
                            GError            **error)
{
  const ClaveHistoryFilter *filter = self->filter;
  guint sort = filter->sort < G_N_ELEMENTS (sort_specs) ? filter->sort : 0;
  GString *keys = g_string_new (NULL);
  Condition *condition;

  _clave_history_clear_query (self);
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
      _clave_history_add_bind_text (condition->binds, filter->status);
    }

  if (is_set (filter->type))
    {
      condition = set_condition (self, ATTR_TYPE, "type = ?");
      _clave_history_add_bind_text (condition->binds, filter->type);
    }

  if (is_set (filter->organisation) && filter->organisation_exact)
    {
      condition = set_condition (self, ATTR_ORGANISATION, "organisation = ?");
      _clave_history_add_bind_text (condition->binds, filter->organisation);
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
            _clave_history_add_bind_text (condition->binds, g_ptr_array_index (names, i));
          self->organisations = g_steal_pointer (&names);
        }
    }

  if (filter->from > 0)
    {
      condition = set_condition (self, COND_FROM, "created_at >= ?");
      _clave_history_add_bind_number (condition->binds, filter->from);
    }

  if (filter->to > 0)
    {
      condition = set_condition (self, COND_TO, "created_at < ?");
      _clave_history_add_bind_number (condition->binds, filter->to);
    }

  if (filter->from > 0 && filter->to > 0 && filter->to <= filter->from)
    self->matches_nothing = TRUE;

  return TRUE;
}

char *
_clave_history_query_key (ClaveHistoryModel *self)
{
  g_autoptr(GPtrArray) binds = _clave_history_binds_new ();
  GString *key = g_string_new (NULL);

  _clave_history_add_filter_conditions (self, FALSE, FALSE, key, binds);
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
