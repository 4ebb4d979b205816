/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-answer-queue.h"
#include "clave-device-requests.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

GPtrArray *
clave_device_requests_list_pending (ClaveServer              *server,
                                    const ClaveDeviceRecord  *device,
                                    gint64                    now,
                                    GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  GPtrArray *pending;

  pending = clave_store_list_pending_auth_requests (server->store, device->document, now,
                                                    &local_error);
  if (pending == NULL)
    clave_protocol_error_set_internal (error, local_error);
  return pending;
}

/* Whether @record can still be claimed or answered. */
static gboolean
check_pending (const ClaveAuthRequestRecord  *record,
               gint64                         now,
               GError                       **error)
{
  const char *status = _clave_auth_request_status (record, now);

  if (g_str_equal (status, CLAVE_REQUEST_STATUS_EXPIRED))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_REQUEST_EXPIRED,
                           "The request expired.");
      return FALSE;
    }
  if (!g_str_equal (status, CLAVE_REQUEST_STATUS_PENDING))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED,
                           "The request was already answered.");
      return FALSE;
    }
  return TRUE;
}

static gpointer
already_claimed (GError **error)
{
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_CLAIMED,
                       "Another device already claimed this request.");
  return NULL;
}

ClaveAuthRequestRecord *
clave_device_requests_claim (ClaveServer              *server,
                             const ClaveDeviceRecord  *device,
                             const char               *id,
                             gint64                    now,
                             GError                  **error)
{
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean qr, changed = FALSE;

  record = _clave_auth_requests_load (server, id, error);
  if (record == NULL)
    return NULL;
  qr = g_str_equal (record->type, CLAVE_REQUEST_TYPE_QR);

  /* Push and SMS requests of others do not exist for this device; a QR
   * request bound elsewhere was claimed by someone else. */
  if (!qr && g_strcmp0 (record->citizen, device->document) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NOT_FOUND,
                           "There is no such request.");
      return NULL;
    }
  if (qr && ((record->citizen != NULL && !g_str_equal (record->citizen, device->document)) ||
             (record->device != NULL && !g_str_equal (record->device, device->id))))
    return already_claimed (error);
  if (!check_pending (record, now, error))
    return NULL;

  if (qr && record->device == NULL)
    {
      if (!clave_store_update_auth_request (server->store, id, NULL, device->document,
                                            device->id, now, FALSE, 0, &changed, &local_error))
        {
          clave_protocol_error_set_internal (error, local_error);
          return NULL;
        }
      /* Another device was quicker. */
      if (!changed)
        return already_claimed (error);
      g_clear_pointer (&record, clave_auth_request_record_free);
      record = _clave_auth_requests_load (server, id, error);
    }
  return g_steal_pointer (&record);
}

ClaveAuthRequestRecord *
clave_device_requests_answerable (ClaveServer              *server,
                                  const ClaveDeviceRecord  *device,
                                  const char               *id,
                                  gint64                    now,
                                  GError                  **error)
{
  g_autoptr(ClaveAuthRequestRecord) record = NULL;

  record = _clave_auth_requests_load (server, id, error);
  if (record == NULL)
    return NULL;
  /* SMS requests are answered by the relying party only. */
  if (g_strcmp0 (record->citizen, device->document) != 0 ||
      g_str_equal (record->type, CLAVE_REQUEST_TYPE_SMS))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NOT_YOUR_REQUEST,
                           "This request is not for this device.");
      return NULL;
    }
  if (!check_pending (record, now, error))
    return NULL;
  return g_steal_pointer (&record);
}

GPtrArray *
clave_device_requests_history (ClaveServer              *server,
                               const ClaveDeviceRecord  *device,
                               gint64                    after,
                               guint                     limit,
                               gint64                   *next,
                               gboolean                 *more,
                               GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  GPtrArray *items;

  /* One row more than asked tells whether there are more. */
  items = clave_store_list_history (server->store, device->document, after, limit + 1,
                                    &local_error);
  if (items == NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  *more = items->len > limit;
  if (*more)
    g_ptr_array_set_size (items, limit);
  *next = items->len > 0
          ? ((ClaveAuthRequestRecord *) g_ptr_array_index (items, items->len - 1))->seq
          : after;
  return items;
}

/* An answer while the queue stores it. */
typedef struct {
  char   *request_id;
  char   *citizen;
  char   *device_id;
  char   *status;
  /* The error to return once the nonce is spent, or NULL. */
  GError *refusal;
} Answer;

static void
answer_free (Answer *answer)
{
  g_free (answer->request_id);
  g_free (answer->citizen);
  g_free (answer->device_id);
  g_free (answer->status);
  g_clear_error (&answer->refusal);
  g_free (answer);
}

static void
answered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClaveServer *server = g_task_get_source_object (task);
  Answer *answer = g_task_get_task_data (task);
  GError *error = NULL;
  int outcome;

  outcome = clave_answer_queue_submit_finish (CLAVE_ANSWER_QUEUE (source), result, &error);
  if (outcome < 0)
    {
      GError *internal = NULL;

      clave_protocol_error_set_internal (&internal, error);
      g_error_free (error);
      g_task_return_error (task, internal);
    }
  else if (outcome == CLAVE_AUTH_ANSWER_REPLAYED)
    g_task_return_new_error (task, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_REPLAYED_NONCE,
                             "This signature nonce was already used.");
  else if (outcome == CLAVE_AUTH_ANSWER_DEVICE_GONE)
    g_task_return_new_error (task, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,
                             "This device is no longer active.");
  else if (answer->refusal != NULL)
    g_task_return_error (task, g_steal_pointer (&answer->refusal));
  else if (outcome == CLAVE_AUTH_ANSWER_NOT_PENDING)
    g_task_return_new_error (task, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED,
                             "The request was already answered.");
  else
    {
      g_info ("Device %s answered %s: %s", answer->device_id, answer->request_id,
              answer->status);
      _clave_auth_requests_changed_to (server, answer->request_id, answer->citizen,
                                       answer->status);
      g_task_return_boolean (task, TRUE);
    }
}

void
clave_device_requests_answer_async (ClaveServer              *server,
                                    const ClaveDeviceRecord  *device,
                                    const char               *id,
                                    const char               *status,
                                    const char               *nonce,
                                    gint64                    now,
                                    GAsyncReadyCallback       callback,
                                    gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (server, NULL, callback, user_data);
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  ClaveAnswerQueue *queue;
  ClaveAuthAnswer submitted = { 0 };
  Answer *answer;

  g_task_set_source_tag (task, clave_device_requests_answer_async);
  queue = _clave_answer_queue (server, &error);
  if (queue == NULL)
    {
      GError *internal = NULL;

      clave_protocol_error_set_internal (&internal, error);
      g_task_return_error (task, internal);
      return;
    }

  answer = g_new0 (Answer, 1);
  answer->request_id = g_strdup (id);
  answer->citizen = g_strdup (device->document);
  answer->device_id = g_strdup (device->id);
  answer->status = g_strdup (status);
  g_task_set_task_data (task, answer, (GDestroyNotify) answer_free);

  record = clave_device_requests_answerable (server, device, id, now, &answer->refusal);

  submitted.request_id = answer->refusal == NULL ? id : NULL;
  submitted.status = status;
  submitted.citizen = device->document;
  submitted.device_id = device->id;
  submitted.nonce = nonce;
  submitted.now = now;
  clave_answer_queue_submit_async (queue, &submitted, NULL, answered_cb,
                                   g_steal_pointer (&task));
}

gboolean
clave_device_requests_answer_finish (ClaveServer   *server,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, server), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
