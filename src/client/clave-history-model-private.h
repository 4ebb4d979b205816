/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-history-model.h"
#include "clave-history-store.h"

G_BEGIN_DECLS

/* Shared by clave-history-model.c (reading pages, counts, groups) and
 * clave-history-query.c (the filter and the SQL built from it and the
 * sort). Not for other modules. */

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

static inline void
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

static inline void
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

static inline void
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

static inline void
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

void
_clave_history_add_attr_conditions (ClaveHistoryModel *self,
                                    GString           *where,
                                    GPtrArray         *binds);

void
_clave_history_add_bind_copy (GPtrArray  *binds,
                              const Bind *bind);

void
_clave_history_add_bind_number (GPtrArray *binds,
                                gint64     number);

void
_clave_history_add_bind_text (GPtrArray  *binds,
                              const char *text);

void
_clave_history_add_condition (GString    *where,
                              GPtrArray  *binds,
                              const char *condition,
                              GPtrArray  *condition_binds);

void
_clave_history_add_filter_conditions (ClaveHistoryModel *self,
                                      gboolean           walk,
                                      gboolean           skip_organisation,
                                      GString           *where,
                                      GPtrArray         *binds);

GPtrArray *
_clave_history_binds_new (void);

gboolean
_clave_history_build_query (ClaveHistoryModel  *self,
                            GError            **error);

void
_clave_history_clear_query (ClaveHistoryModel *self);

const Run *
_clave_history_key_run (const SortSpec *sort,
                        guint           key);

char *
_clave_history_query_key (ClaveHistoryModel *self);

G_END_DECLS
