/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-codes.h"
#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"
#include "clave-video-files.h"

G_BEGIN_DECLS

/* Registering by video identification (docs/protocol.md "Registering by
 * video identification"), without HTTP: the document's contrast data and
 * an SMS code to the new phone, then the pictures (the document's front
 * and back, frames of the face), then an office's review, which registers
 * the person at level basic or says why not. Failures set a
 * CLAVE_PROTOCOL_ERROR. */

typedef struct {
  char          *id;      /* "vid_…" */
  char          *token;   /* the bearer token: a secret, freed wiped */
  ClaveCodeSent  sent;    /* the code sent to the phone */
} ClaveVideoStart;

void clave_video_start_free (ClaveVideoStart *start);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveVideoStart, clave_video_start_free)

/* Identifies the person by @document and its contrast data (see
 * _clave_identify(), counted against @source), checks that neither the
 * person nor @phone (E.164) is registered (already_registered,
 * phone_in_use) and that none of the document's is waiting for review
 * (video_pending), then opens a registration (replacing an unfinished
 * one) and sends a code to @phone. */
ClaveVideoStart  *clave_video_start        (ClaveServer        *server,
                                            const char         *document,
                                            const char         *contrast_kind,
                                            const char         *contrast_value,
                                            const char         *phone,
                                            const char         *email,
                                            const char         *source,
                                            gint64              now,
                                            GError            **error);
/* The registration @id when @token opens it: invalid_video, video_locked,
 * video_expired (before it was sent for review; after, it stays readable
 * for its outcome). */
ClaveVideoRecord *clave_video_open         (ClaveServer        *server,
                                            const char         *id,
                                            const char         *token,
                                            gint64              now,
                                            GError            **error);
/* Another code (the rules of _clave_codes_send()); video_wrong_state once
 * the phone is confirmed. */
gboolean          clave_video_send_code    (ClaveServer        *server,
                                            ClaveVideoRecord   *record,
                                            gint64              now,
                                            ClaveCodeSent      *sent,
                                            GError            **error);
/* Confirms the phone with @code (the third wrong one locks it); then the
 * pictures may be sent. */
gboolean          clave_video_verify_code  (ClaveServer        *server,
                                            ClaveVideoRecord   *record,
                                            const char         *code,
                                            gint64              now,
                                            GError            **error);
/* Keeps picture @kind ("front", "back", "face-1" … "face-8"; another
 * replaces it) once the phone is confirmed and before it is sent for
 * review (video_wrong_state): invalid_image with the reason for what is
 * not a JPEG or PNG of sane size (clave-video-image.h), invalid_request
 * for an unknown kind. */
gboolean          clave_video_put_image    (ClaveServer        *server,
                                            ClaveVideoRecord   *record,
                                            const char         *kind,
                                            GBytes             *data,
                                            GError            **error);
/* The kinds kept so far, sorted. */
GStrv             clave_video_list_images  (ClaveServer        *server,
                                            const ClaveVideoRecord *record);
/* Sends it for review: the front, the back and at least
 * CLAVE_VIDEO_MIN_FACE_FRAMES frames of the face (missing_images
 * otherwise). */
gboolean          clave_video_submit       (ClaveServer        *server,
                                            ClaveVideoRecord   *record,
                                            gint64              now,
                                            GError            **error);

/* Deletes the pictures no review will read: of registrations replaced,
 * locked, reviewed, unknown, or not sent in time (these become
 * expired). Returns how many registrations' pictures went. Runs with the
 * service's purge. */
guint             clave_video_purge        (ClaveServer        *server,
                                            gint64              now);

/* The review (clave-admin, on the store and the pictures' folder): the
 * registration @id, pending (video_wrong_state otherwise), approved by
 * @operator_name (the person becomes a citizen at level basic, channel
 * video: already_registered or phone_in_use when somebody was quicker)
 * or rejected for @reason. Either way its pictures are deleted, and only
 * the decision, its time and the operator stay. */
gboolean          clave_video_decide       (ClaveStore         *store,
                                            ClaveVideoFiles    *files,
                                            const char         *id,
                                            gboolean            approve,
                                            const char         *operator_name,
                                            const char         *reason,
                                            gint64              now,
                                            GError            **error);

G_END_DECLS
