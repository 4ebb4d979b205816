/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The local cache of "My requests for Cl@ve Mobile": SQLite (WAL) in
 * $XDG_CACHE_HOME/clave-desktop/history.db (0600), filled by incremental
 * sync of GET /v1/device/history (cursor kept in the database), upserted
 * by request id, read through ClaveHistoryModel (paged, never loads
 * every row). The page opens offline from this cache.
 *
 * Every read that fails (the file busy, an I/O error) is an error, never
 * "no rows": the page must not say "no requests" when it could not look.
 *
 * API for the app:
 *   clave_history_store_default_path ()
 *   clave_history_store_open (path, error)          creates the file and schema
 *   clave_history_store_sync_async (store, client, key, device_id, …)
 *                                                   key: ClavePushKey or unlocked ClaveDeviceKey;
 *                                                   loops pages until more=false; emits "changed"
 *   clave_history_store_sync_finish (…, &n_received, error)
 *   clave_history_store_clear ()                    sign-out: rows and cursor
 *   clave_history_store_delete_file (path)          sign-out when no store is open
 *   clave_history_model_new (store, filter)         see clave-history-model.h
 *   signal "changed" (ClaveHistoryStore *)          rows changed: models refresh themselves
 */

#include <gio/gio.h>

#include "clave-history-item.h"
#include "clave-history-model.h"
#include "clave-service-client.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_HISTORY_STORE (clave_history_store_get_type ())
G_DECLARE_FINAL_TYPE (ClaveHistoryStore, clave_history_store, CLAVE, HISTORY_STORE, GObject)

char              *clave_history_store_default_path (void);
/* Opens (or creates) the cache. A file that is not a usable database is
 * replaced: it is only a cache. One that another connection holds is
 * G_IO_ERROR_BUSY and stays as it is. */
ClaveHistoryStore *clave_history_store_open         (const char         *path,
                                                     GError            **error);
const char        *clave_history_store_get_path     (ClaveHistoryStore  *self);

/* Inserts or updates @entries (ClaveHistoryEntry) by id in one
 * transaction, and stores @cursor (if not NULL) in the same one. Emits
 * "changed" when @entries is not empty. */
gboolean           clave_history_store_upsert       (ClaveHistoryStore  *self,
                                                     GPtrArray          *entries,
                                                     const char         *cursor,
                                                     GError            **error);
/* The sync cursor ("after" of the next history call) in @cursor, NULL
 * when there is none yet. FALSE with @error when it cannot be read (the
 * file is busy or damaged): not the same as no cursor. */
gboolean           clave_history_store_lookup_cursor (ClaveHistoryStore *self,
                                                      char             **cursor,
                                                      GError           **error);
/* Rows in the cache; FALSE with @error when they cannot be counted. */
gboolean           clave_history_store_count_rows   (ClaveHistoryStore  *self,
                                                     guint              *count,
                                                     GError            **error);
/* For tests and logs: as above, a failure being a warning and giving
 * NULL or 0. */
char              *clave_history_store_dup_cursor   (ClaveHistoryStore  *self);
guint              clave_history_store_count        (ClaveHistoryStore  *self);
/* Distinct organisation names, sorted, for a filter's suggestions; NULL
 * with @error when they cannot be read. */
GStrv              clave_history_store_list_organisations (ClaveHistoryStore  *self,
                                                           GError            **error);
gboolean           clave_history_store_clear        (ClaveHistoryStore  *self,
                                                     GError            **error);
gboolean           clave_history_store_delete_file  (const char         *path,
                                                     GError            **error);

void               clave_history_store_sync_async   (ClaveHistoryStore  *self,
                                                     ClaveServiceClient *client,
                                                     gpointer            key,
                                                     const char         *device_id,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
/* @n_received: entries received (status changes count again). */
gboolean           clave_history_store_sync_finish  (ClaveHistoryStore  *self,
                                                     GAsyncResult       *result,
                                                     guint              *n_received,
                                                     GError            **error);

G_END_DECLS
