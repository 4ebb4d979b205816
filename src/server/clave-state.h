/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Layout of the service's state directory, shared by clave-server and
 * clave-admin:
 *   STATE_DIR/            0700
 *   STATE_DIR/clave.db    the SQLite store (WAL)
 *   STATE_DIR/secret.key  32 random bytes, 0600 (HMAC key for SMS codes)
 *   STATE_DIR/tls/        CA and server certificate (see clave-tls.h)
 */
#define CLAVE_STATE_DB_NAME     "clave.db"
#define CLAVE_STATE_SECRET_NAME "secret.key"
#define CLAVE_STATE_SECRET_SIZE 32

/* Creates @dir (and parents) if needed and makes it 0700. */
gboolean  clave_state_dir_prepare  (const char  *dir,
                                    GError     **error);
/* Creates, writes, syncs and removes a file in @dir: FALSE, with a
 * message saying so, when the directory cannot be written (permissions,
 * a read-only or full file system). */
gboolean  clave_state_check_writable (const char  *dir,
                                      GError     **error);
char     *clave_state_db_path      (const char  *dir);
/* Reads the 32-byte key at @path, creating it (random, 0600) on first
 * use; a file of another size is an error. */
GBytes   *clave_state_load_key     (const char  *path,
                                    GError     **error);
/* Reads STATE_DIR/secret.key, creating it (0600) on first use. */
GBytes   *clave_state_load_secret  (const char  *dir,
                                    GError     **error);
/* Writes @data to @path atomically with mode 0600. */
gboolean  clave_state_write_private (const char  *path,
                                     const void  *data,
                                     gsize        len,
                                     GError     **error);

G_END_DECLS
