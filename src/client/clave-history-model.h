/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A GListModel of ClaveHistoryItem over a ClaveHistoryStore query that
 * never loads every row: n_items comes from COUNT(*) with the filter,
 * get_item() fetches the 200-row page holding the position and keeps a
 * few pages (LRU). A page is read from the sort keys of the neighbouring
 * cached page (keyset paging: the same cost at row 900,000 as at row
 * 200); a jump far from every cached page finds its place from the count
 * table. It follows the store: after a sync or clear it emits
 * items-changed (0, old, new).
 *
 * A read that fails (the file busy, an I/O error) is not an empty list:
 * the model empties and :error says why, until the next refresh. A page
 * that fails inside get_item() gives empty items (id "") at once, and
 * the items-changed and notify::error from an idle: not under the view
 * that asked. Rows that vanished since the count give empty items too.
 *
 * API for the app:
 *   clave_history_model_new (store, filter)     filter may be NULL (everything, newest first)
 *   clave_history_model_set_filter ()           change filter and/or sort (copied)
 *   clave_history_model_get_filter ()
 *   clave_history_model_refresh ()              re-count, drop cached pages, try again after an error
 *   clave_history_model_get_error ()            why the list could not be read, or NULL (:error)
 */

#include <gio/gio.h>

#include "clave-history-item.h"

G_BEGIN_DECLS

typedef struct _ClaveHistoryStore ClaveHistoryStore;

/* Sort orders; history-sort in GSettings holds the nick (see
 * clave_history_sort_to_string). Ties go newest first, then in a fixed
 * order (the date sorts by id). */
typedef enum {
  CLAVE_HISTORY_SORT_DATE_DESC,     /* "date-desc" (default) */
  CLAVE_HISTORY_SORT_DATE_ASC,      /* "date-asc" */
  CLAVE_HISTORY_SORT_ORGANISATION,  /* "organisation": A→Z, case-insensitive */
  CLAVE_HISTORY_SORT_TYPE,          /* "type" */
  CLAVE_HISTORY_SORT_STATUS,        /* "status" */
} ClaveHistorySort;

const char       *clave_history_sort_to_string   (ClaveHistorySort  sort);
/* Unknown or NULL: CLAVE_HISTORY_SORT_DATE_DESC. */
ClaveHistorySort  clave_history_sort_from_string (const char       *text);

/* What to show. NULL or "" strings mean "any". */
typedef struct {
  char             *status;              /* "pending"/"confirmed"/"rejected"/"expired" */
  char             *type;                /* "qr"/"push"/"sms" */
  char             *organisation;        /* case-insensitive substring of the name */
  gboolean          organisation_exact;  /* match the whole name instead */
  gint64            from;                /* created_at >= from (unix s); 0 = no bound */
  gint64            to;                  /* created_at < to (unix s); 0 = no bound */
  ClaveHistorySort  sort;
} ClaveHistoryFilter;

#define CLAVE_TYPE_HISTORY_FILTER (clave_history_filter_get_type ())
GType               clave_history_filter_get_type (void) G_GNUC_CONST;
ClaveHistoryFilter *clave_history_filter_new      (void);
ClaveHistoryFilter *clave_history_filter_copy     (const ClaveHistoryFilter *filter);
void                clave_history_filter_free     (ClaveHistoryFilter       *filter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveHistoryFilter, clave_history_filter_free)

/* Local-time day bounds for the from/to date pickers: "YYYY-MM-DD" to
 * the unix time of its 00:00 (@end_of_day FALSE) or of the next day's
 * 00:00 (TRUE, for an inclusive "to" date). "" or NULL gives 0 (no
 * bound); FALSE for text that is not a date. */
gboolean            clave_history_parse_day       (const char               *text,
                                                   gboolean                  end_of_day,
                                                   gint64                   *out);

#define CLAVE_TYPE_HISTORY_MODEL (clave_history_model_get_type ())
G_DECLARE_FINAL_TYPE (ClaveHistoryModel, clave_history_model, CLAVE, HISTORY_MODEL, GObject)

ClaveHistoryModel        *clave_history_model_new        (ClaveHistoryStore        *store,
                                                          const ClaveHistoryFilter *filter);
void                      clave_history_model_set_filter (ClaveHistoryModel        *self,
                                                          const ClaveHistoryFilter *filter);
const ClaveHistoryFilter *clave_history_model_get_filter (ClaveHistoryModel        *self);
void                      clave_history_model_refresh    (ClaveHistoryModel        *self);
const GError             *clave_history_model_get_error  (ClaveHistoryModel        *self);

G_END_DECLS
