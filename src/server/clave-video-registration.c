/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-identify.h"
#include "clave-protocol.h"
#include "clave-registration.h"
#include "clave-server-private.h"
#include "clave-video-image.h"
#include "clave-video-registration.h"

void
clave_video_start_free (ClaveVideoStart *start)
{
  if (start == NULL)
    return;
  g_free (start->id);
  clave_secret_free (start->token);
  _clave_code_sent_clear (&start->sent);
  g_free (start);
}

static ClaveCodeHolder
code_holder (const ClaveVideoRecord *record)
{
  return (ClaveCodeHolder) {
    .flow = CLAVE_CODE_FLOW_VIDEO,
    .id = record->id,
    .document = record->document,
    .to = record->phone,
    .code = &record->code,
  };
}

static gboolean
wrong_state (GError    **error,
             const char *message)
{
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_VIDEO_WRONG_STATE,
                       message);
  return FALSE;
}

ClaveVideoStart *
clave_video_start (ClaveServer  *server,
                   const char   *document,
                   const char   *contrast_kind,
                   const char   *contrast_value,
                   const char   *phone,
                   const char   *email,
                   const char   *source,
                   gint64        now,
                   GError      **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveVideoRecord) record = NULL;
  g_autoptr(ClaveVideoStart) start = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *random_id = NULL;
  ClaveCodeHolder holder;

  identity = _clave_identify (server, document, contrast_kind, contrast_value, source, now,
                              error);
  if (identity == NULL)
    return NULL;

  /* Checked before anything is stored: a refused one replaces nothing. */
  if (!_clave_registration_check_conflicts (server, identity->document, phone, error) ||
      !_clave_codes_check_wrong_codes (server, identity->document, now, error) ||
      !_clave_codes_check_person_sends (server, identity->document, CLAVE_OUTBOX_SMS, now,
                                        error))
    return NULL;

  start = g_new0 (ClaveVideoStart, 1);
  random_id = clave_random_token (16);
  start->id = g_strconcat ("vid_", random_id, NULL);
  start->token = clave_random_token (32);

  record = g_new0 (ClaveVideoRecord, 1);
  record->id = g_strdup (start->id);
  record->token_hash = clave_sha256_hex (start->token, strlen (start->token));
  record->document = g_strdup (identity->document);
  record->phone = g_strdup (phone);
  record->email = g_strdup (email);
  record->created_at = now;
  record->expires_at = now + CLAVE_VIDEO_TTL_SECS;
  record->state = CLAVE_VIDEO_PHONE;

  if (!clave_store_create_video (server->store, record, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_VIDEO_PENDING,
                             "A video identification of this person is waiting for review.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  holder = code_holder (record);
  if (!_clave_codes_send (server, &holder, now, &start->sent, error))
    return NULL;

  g_info ("Video identification %s started", record->id);
  return g_steal_pointer (&start);
}

ClaveVideoRecord *
clave_video_open (ClaveServer  *server,
                  const char   *id,
                  const char   *token,
                  gint64        now,
                  GError      **error)
{
  static const ClaveFlowErrors errors = {
    CLAVE_PROTOCOL_ERROR_INVALID_VIDEO, CLAVE_PROTOCOL_ERROR_VIDEO_LOCKED,
    CLAVE_PROTOCOL_ERROR_VIDEO_EXPIRED, "video identification",
  };
  g_autoptr(ClaveVideoRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveFlowState state = { NULL, };

  record = clave_store_get_video (server->store, id, &local_error);
  if (record == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (record != NULL)
    {
      gboolean sent = record->state == CLAVE_VIDEO_PENDING ||
                      record->state == CLAVE_VIDEO_APPROVED ||
                      record->state == CLAVE_VIDEO_REJECTED;

      state.stored_token_hash = record->token_hash;
      state.closed = record->state == CLAVE_VIDEO_REPLACED;
      state.locked = record->state == CLAVE_VIDEO_LOCKED;
      /* Once sent, the person may ask for the outcome as long as it takes. */
      state.expires_at = sent ? G_MAXINT64 : record->expires_at;
    }

  if (!_clave_flow_authorize (token, &state, &errors, now, error))
    return NULL;
  return g_steal_pointer (&record);
}

gboolean
clave_video_send_code (ClaveServer       *server,
                       ClaveVideoRecord  *record,
                       gint64             now,
                       ClaveCodeSent     *sent,
                       GError           **error)
{
  g_autoptr(ClaveVideoRecord) fresh = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveCodeHolder holder = code_holder (record);
  ClaveVideoRecord swap;

  if (record->state != CLAVE_VIDEO_PHONE)
    return wrong_state (error, "The phone is already confirmed.");
  if (!_clave_codes_send (server, &holder, now, sent, error))
    return FALSE;

  fresh = clave_store_get_video (server->store, record->id, &local_error);
  if (fresh == NULL)
    return clave_protocol_error_set_internal (error, local_error);
  swap = *record;
  *record = *fresh;
  *fresh = swap;
  return TRUE;
}

gboolean
clave_video_verify_code (ClaveServer       *server,
                         ClaveVideoRecord  *record,
                         const char        *code,
                         gint64             now,
                         GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  ClaveCodeHolder holder = code_holder (record);

  if (record->state != CLAVE_VIDEO_PHONE)
    return wrong_state (error, "The phone is already confirmed.");
  if (!_clave_codes_verify (server, &holder, code, CLAVE_PROTOCOL_ERROR_VIDEO_LOCKED, now,
                            error))
    return FALSE;
  if (!clave_store_set_video_state (server->store, record->id, CLAVE_VIDEO_PHONE,
                                    CLAVE_VIDEO_CAPTURING, now, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        return wrong_state (error, "The phone is already confirmed.");
      return clave_protocol_error_set_internal (error, local_error);
    }
  record->state = CLAVE_VIDEO_CAPTURING;
  return TRUE;
}

gboolean
clave_video_put_image (ClaveServer       *server,
                       ClaveVideoRecord  *record,
                       const char        *kind,
                       GBytes            *data,
                       GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  if (!clave_video_files_is_kind (kind))
    {
      g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_REQUEST,
                   "A picture is front, back or face-1 to face-%d.",
                   CLAVE_VIDEO_MAX_FACE_FRAMES);
      return FALSE;
    }
  if (record->state != CLAVE_VIDEO_CAPTURING)
    return wrong_state (error, record->state == CLAVE_VIDEO_PHONE
                               ? "Confirm the phone first."
                               : "The pictures were already sent for review.");
  if (!clave_video_image_check (bytes, len, NULL, NULL, NULL, &local_error))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_IMAGE,
                           local_error->message);
      return FALSE;
    }
  if (!clave_video_files_put (server->video_files, record->id, kind, data, &local_error))
    return clave_protocol_error_set_internal (error, local_error);
  return TRUE;
}

GStrv
clave_video_list_images (ClaveServer            *server,
                         const ClaveVideoRecord *record)
{
  return clave_video_files_list (server->video_files, record->id);
}

gboolean
clave_video_submit (ClaveServer       *server,
                    ClaveVideoRecord  *record,
                    gint64             now,
                    GError           **error)
{
  g_auto(GStrv) kinds = NULL;
  g_autoptr(GError) local_error = NULL;
  guint faces = 0;

  if (record->state != CLAVE_VIDEO_CAPTURING)
    return wrong_state (error, record->state == CLAVE_VIDEO_PHONE
                               ? "Confirm the phone first."
                               : "The pictures were already sent for review.");

  kinds = clave_video_files_list (server->video_files, record->id);
  for (guint i = 0; kinds[i] != NULL; i++)
    faces += g_str_has_prefix (kinds[i], "face-");
  if (!g_strv_contains ((const char * const *) kinds, "front") ||
      !g_strv_contains ((const char * const *) kinds, "back") ||
      faces < CLAVE_VIDEO_MIN_FACE_FRAMES)
    {
      g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_MISSING_IMAGES,
                   "The review needs the front and back of the document and at least %d "
                   "pictures of the face.", CLAVE_VIDEO_MIN_FACE_FRAMES);
      return FALSE;
    }

  if (!clave_store_set_video_state (server->store, record->id, CLAVE_VIDEO_CAPTURING,
                                    CLAVE_VIDEO_PENDING, now, &local_error))
    {
      /* Another of the person's is pending (the unique index), or this
       * one moved on meanwhile. */
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        return wrong_state (error, "This video identification cannot be sent for review now.");
      return clave_protocol_error_set_internal (error, local_error);
    }
  record->state = CLAVE_VIDEO_PENDING;
  record->submitted_at = now;
  g_info ("Video identification %s sent for review", record->id);
  return TRUE;
}

guint
clave_video_purge (ClaveServer *server,
                   gint64       now)
{
  g_auto(GStrv) ids = clave_video_files_list_ids (server->video_files);
  guint deleted = 0;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(ClaveVideoRecord) record = NULL;
      g_autoptr(GError) error = NULL;
      gboolean open;

      record = clave_store_get_video (server->store, ids[i], &error);
      if (record == NULL && error != NULL)
        {
          g_warning ("Purging video pictures: %s", error->message);
          continue;
        }
      open = record != NULL && (record->state == CLAVE_VIDEO_PENDING ||
                                ((record->state == CLAVE_VIDEO_PHONE ||
                                  record->state == CLAVE_VIDEO_CAPTURING) &&
                                 record->expires_at > now));
      if (open)
        continue;
      if (record != NULL && (record->state == CLAVE_VIDEO_PHONE ||
                             record->state == CLAVE_VIDEO_CAPTURING) &&
          !clave_store_set_video_state (server->store, record->id, record->state,
                                        CLAVE_VIDEO_EXPIRED, now, &error))
        {
          /* It moved on meanwhile: look again next time. */
          g_debug ("Purging video pictures: %s", error->message);
          continue;
        }
      if (!clave_video_files_delete (server->video_files, ids[i], &error))
        {
          g_warning ("Purging video pictures: %s", error->message);
          continue;
        }
      deleted++;
    }
  return deleted;
}

gboolean
clave_video_decide (ClaveStore       *store,
                    ClaveVideoFiles  *files,
                    const char       *id,
                    gboolean          approve,
                    const char       *operator_name,
                    const char       *reason,
                    gint64            now,
                    GError          **error)
{
  g_autoptr(ClaveVideoRecord) record = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;

  record = clave_store_get_video (store, id, &local_error);
  if (record == NULL)
    {
      if (local_error != NULL)
        return clave_protocol_error_set_internal (error, local_error);
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NOT_FOUND,
                           "There is no such video identification.");
      return FALSE;
    }
  if (record->state != CLAVE_VIDEO_PENDING)
    return wrong_state (error, "This video identification is not waiting for review.");

  if (approve)
    {
      g_autoptr(ClaveCitizen) registered = NULL;
      g_autoptr(ClaveCitizen) phone_owner = NULL;

      registered = clave_store_get_citizen (store, record->document, &local_error);
      if (registered == NULL && local_error == NULL)
        phone_owner = clave_store_get_citizen_by_phone (store, record->phone, &local_error);
      if (local_error != NULL)
        return clave_protocol_error_set_internal (error, local_error);
      if (registered != NULL || phone_owner != NULL)
        {
          g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                               registered != NULL ? CLAVE_PROTOCOL_ERROR_ALREADY_REGISTERED
                                                  : CLAVE_PROTOCOL_ERROR_PHONE_IN_USE,
                               registered != NULL
                               ? "This person was registered meanwhile: reject it."
                               : "The phone was registered by another person meanwhile: "
                                 "reject it.");
          return FALSE;
        }
      citizen = g_new0 (ClaveCitizen, 1);
      citizen->document = g_strdup (record->document);
      citizen->phone = g_strdup (record->phone);
      citizen->email = g_strdup (record->email);
      citizen->level = g_strdup (CLAVE_LEVEL_BASIC);
      citizen->channel = g_strdup (CLAVE_CHANNEL_VIDEO);
      citizen->created_at = now;
    }

  if (!clave_store_decide_video (store, id, citizen, operator_name, approve ? NULL : reason,
                                 now, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        return wrong_state (error, "This video identification is not waiting for review, or "
                                   "the person or the phone was registered meanwhile.");
      return clave_protocol_error_set_internal (error, local_error);
    }

  /* The decision is stored: the pictures go. A failure here leaves files
   * that the next decision or purge removes; it is said, not hidden. */
  if (!clave_video_files_delete (files, id, &local_error))
    {
      g_warning ("The pictures of a reviewed video identification were not all deleted: %s",
                 local_error->message);
      return clave_protocol_error_set_internal (error, local_error);
    }
  g_info ("Video identification %s %s", id, approve ? "approved" : "rejected");
  return TRUE;
}
