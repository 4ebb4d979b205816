/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where the pictures of video identifications wait for their review:
 *   STATE_DIR/video/            0700
 *   STATE_DIR/video/keys.key    0600, 32 random bytes (made on first use)
 *   STATE_DIR/video/<id>/       0700, one folder a registration
 *   STATE_DIR/video/<id>/<kind> 0600, the picture sealed with AES-256-GCM
 *                               under keys.key, "<id>/<kind>" its
 *                               associated data
 * Pictures are personal data: nothing here logs them or their names'
 * owners, and a review's end deletes the folder. */
typedef struct _ClaveVideoFiles ClaveVideoFiles;

ClaveVideoFiles *clave_video_files_open   (const char       *state_dir,
                                           GError          **error);
void             clave_video_files_free   (ClaveVideoFiles  *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveVideoFiles, clave_video_files_free)

/* Whether @text is a kind of picture: "front", "back" (the document) or
 * "face-1" … "face-8" (frames of the face). */
gboolean         clave_video_files_is_kind (const char      *text);
/* Seals @data and writes it as @kind of registration @id (an id as the
 * service makes them), replacing what was there. */
gboolean         clave_video_files_put    (ClaveVideoFiles  *files,
                                           const char       *id,
                                           const char       *kind,
                                           GBytes           *data,
                                           GError          **error);
/* The picture @kind of @id, opened; G_IO_ERROR_NOT_FOUND when there is
 * none, CLAVE_CRYPTO_ERROR when it does not open (changed, or moved from
 * another registration or kind). */
GBytes          *clave_video_files_get    (ClaveVideoFiles  *files,
                                           const char       *id,
                                           const char       *kind,
                                           GError          **error);
/* The kinds stored for @id, sorted (empty when none). */
GStrv            clave_video_files_list   (ClaveVideoFiles  *files,
                                           const char       *id);
/* The registrations that have pictures (their folders' names). */
GStrv            clave_video_files_list_ids (ClaveVideoFiles *files);
/* Deletes every picture of @id and its folder (nothing there is fine). */
gboolean         clave_video_files_delete (ClaveVideoFiles  *files,
                                           const char       *id,
                                           GError          **error);

G_END_DECLS
