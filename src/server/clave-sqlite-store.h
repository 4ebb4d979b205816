/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-store.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_SQLITE_STORE (clave_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (ClaveSqliteStore, clave_sqlite_store, CLAVE, SQLITE_STORE, GObject)

/* Opens (creating if needed) the database at @path and brings its schema
 * up to date. WAL mode, so clave-admin and clave-server can share it. */
ClaveStore *clave_sqlite_store_new                (const char        *path,
                                                   GError           **error);
/* The schema version the file has after opening (PRAGMA user_version). */
int         clave_sqlite_store_get_schema_version (ClaveSqliteStore  *self);
/* The connection, for tests that look at what its statements did
 * (sqlite3_next_stmt(), sqlite3_stmt_status()). Never write with it. */
struct sqlite3 *clave_sqlite_store_get_db         (ClaveSqliteStore  *self);

/* For the migration test (tests/server/test-store.c): a database created
 * at an older schema @version (1 to the latest), as an older clave-server
 * left it, and the latest version this program knows. */
ClaveStore *_clave_sqlite_store_new_at_version    (const char        *path,
                                                   guint              version,
                                                   GError           **error);
guint       _clave_sqlite_store_get_latest_version (void);

G_END_DECLS
