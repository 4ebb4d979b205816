/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "clave-history-store.h"

G_BEGIN_DECLS

/* history_counts buckets: created_at >> this (2^21 s, about 24 days). */
#define CLAVE_HISTORY_BUCKET_SHIFT 21

/* For ClaveHistoryModel, the tests and the benchmark. */

sqlite3  *_clave_history_store_get_db      (ClaveHistoryStore       *self);

/* The GIOErrorEnum for a SQLite result code: G_IO_ERROR_BUSY for a file
 * another connection holds, G_IO_ERROR_FAILED for most. */
GIOErrorEnum _clave_history_store_error_code (int                   result);
/* The connection's last failure as a read error ("The list saved on this
 * computer could not be read (…)."). */
void      _clave_history_store_set_read_error (ClaveHistoryStore *self,
                                               GError           **error);

/* COUNT(*) results by query key, dropped whenever rows change, so that
 * toggling back to a filter or only changing the sort costs nothing. */
gboolean  _clave_history_store_lookup_count (ClaveHistoryStore      *self,
                                             const char             *key,
                                             guint                  *count);
void      _clave_history_store_remember_count (ClaveHistoryStore    *self,
                                               const char           *key,
                                               guint                 count);

/* Bulk loading without a GPtrArray: begin, insert rows, commit (emits
 * "changed" once). */
gboolean  _clave_history_store_begin       (ClaveHistoryStore       *self,
                                            GError                 **error);
gboolean  _clave_history_store_insert_one  (ClaveHistoryStore       *self,
                                            const ClaveHistoryEntry *entry,
                                            GError                 **error);
gboolean  _clave_history_store_commit      (ClaveHistoryStore       *self,
                                            GError                 **error);

/* Matching rows up to which a page is sorted in memory rather than read
 * in index order (tests set 0 to check the index walks). */
void      _clave_history_model_set_few_rows (ClaveHistoryModel      *self,
                                             guint                   few_rows);
/* Rows from either end within which a jump is read with OFFSET from that
 * end rather than found from the count table (tests set 0 to check the
 * seek). */
void      _clave_history_model_set_seek_distance (ClaveHistoryModel *self,
                                                  guint              rows);

G_END_DECLS
