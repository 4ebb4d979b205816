/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "clave-store.h"

G_BEGIN_DECLS

/* What the commands of clave-admin share (clave-admin.c), and the
 * commands kept in files of their own: Cl@ve Firma (clave-admin-firma.c)
 * and the review of video identifications (clave-admin-video.c). */

gint64      _clave_admin_now_secs      (void);
/* "2026-12-07T23:00:00Z", or "-". */
char       *_clave_admin_format_time   (gint64              unix_time);
ClaveStore *_clave_admin_open_store    (const char         *state_dir,
                                        GError            **error);
/* Sets a usage error (exit status 2) and returns FALSE. */
gboolean    _clave_admin_usage_error   (GError            **error,
                                        const char         *format,
                                        ...) G_GNUC_PRINTF (2, 3);
/* Parses a command's own options (@parameter is its usage). */
gboolean    _clave_admin_parse_command (const char         *name,
                                        const char         *parameter,
                                        const GOptionEntry *entries,
                                        int                *argc,
                                        char             ***argv,
                                        GError            **error);
/* @value under @name, or null. */
void        _clave_admin_add_nullable  (JsonBuilder        *builder,
                                        const char         *name,
                                        const char         *value);
/* @root pretty-printed, with a newline. */
void        _clave_admin_append_json   (GString            *out,
                                        JsonNode           *root);
/* @text as a DNI/NIE in *@document, or a usage error. */
gboolean    _clave_admin_read_document (const char         *text,
                                        char              **document,
                                        GError            **error);

typedef gboolean (*ClaveAdminCommand) (const char  *state_dir,
                                       int          argc,
                                       char       **argv,
                                       GString     *out,
                                       GError     **error);

gboolean    _clave_admin_cmd_issue_firma (const char *state_dir, int argc, char **argv,
                                          GString *out, GError **error);
gboolean    _clave_admin_cmd_list_firma  (const char *state_dir, int argc, char **argv,
                                          GString *out, GError **error);
gboolean    _clave_admin_cmd_video       (const char *state_dir, int argc, char **argv,
                                          GString *out, GError **error);

G_END_DECLS
