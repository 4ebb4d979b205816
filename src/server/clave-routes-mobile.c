/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "clave-auth-requests.h"
#include "clave-crypto.h"
#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

/* Paused long-polls at most; more are answered at once (the relying
 * party polls again). */
#define MAX_WAITERS 1024
#define MAX_ID_LEN  64

struct _ClaveRpWaiter
{
  SoupServerMessage *msg;
  char              *rp_id;
  char              *id;
  guint              timeout_id;
  gulong             finished_id;
};

static void
reply_method_not_allowed (SoupServerMessage *msg,
                          const char        *allow)
{
  clave_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED,
                          "This method is not allowed on this path.");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
}

static gboolean
method_is (SoupServerMessage *msg,
           const char        *method)
{
  return g_strcmp0 (soup_server_message_get_method (msg), method) == 0;
}

static void
reply_not_found (SoupServerMessage *msg)
{
  clave_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND,
                          "There is no such request.");
}

/* {"status": @status}, 200. */
static void
reply_status (SoupServerMessage *msg,
              const char        *status)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* Relying parties ------------------------------------------------------- */

/* The relying party whose API key is the bearer token, or NULL after
 * answering 401 invalid_rp_key. */
static char *
authenticate_rp (ClaveServer       *self,
                 SoupServerMessage *msg)
{
  g_autoptr(ClaveRelyingParty) rp = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  const char *token = clave_http_bearer_token (msg);

  if (token == NULL || !g_str_has_prefix (token, CLAVE_RP_KEY_PREFIX) || strlen (token) > 128)
    {
      clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_RP_KEY,
                              "Authorization: Bearer with the relying party's API key required.");
      return NULL;
    }

  /* Found through the unique index on the hash, then compared in
   * constant time: what the lookup's timing could tell is how much of a
   * stored SHA-256 the hash of a guess shares, which brings no key
   * nearer (docs/security.md, "Cl@ve Móvil"). */
  hash = clave_sha256_hex (token, strlen (token));
  rp = clave_store_get_relying_party_by_key_hash (self->store, hash, &error);
  if (rp == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
      return NULL;
    }
  if (rp == NULL || !clave_constant_time_equal (hash, rp->key_hash))
    {
      clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_RP_KEY,
                              "This API key does not belong to any relying party.");
      return NULL;
    }
  return g_steal_pointer (&rp->id);
}

void
clave_auth_request_reply (SoupServerMessage      *msg,
                          guint                   status,
                          const ClaveAuthRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gint64 left = MAX (0, request->expires_at - _clave_server_now ());

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, request->id);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, request->type);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, request->status);
  json_builder_set_member_name (builder, "verification_code");
  json_builder_add_string_value (builder, request->verification_code);
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, g_str_equal (request->status, CLAVE_REQUEST_STATUS_PENDING)
                                       ? left : 0);
  if (request->uri != NULL)
    {
      json_builder_set_member_name (builder, "uri");
      json_builder_add_string_value (builder, request->uri);
    }
  if (request->document != NULL)
    {
      json_builder_set_member_name (builder, "document");
      json_builder_add_string_value (builder, request->document);
      json_builder_set_member_name (builder, "level");
      json_builder_add_string_value (builder, request->level);
    }
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, status, builder);
}

static void
rp_create (ClaveServer       *self,
           SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveAuthRequest) request = NULL;
  g_autofree char *rp_id = NULL;
  const char *type, *document = NULL, *kind = NULL, *value = NULL;
  JsonObject *contrast;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  rp_id = authenticate_rp (self, msg);
  if (rp_id == NULL)
    return;
  if (!clave_http_member_string (msg, body, "type", &type))
    return;
  if (!g_str_equal (type, CLAVE_REQUEST_TYPE_QR))
    {
      if (!clave_http_member_string (msg, body, "document", &document) ||
          !clave_http_member_object (msg, body, "contrast", &contrast) ||
          !clave_http_member_string (msg, contrast, "kind", &kind) ||
          !clave_http_member_string (msg, contrast, "value", &value))
        return;
    }

  /* The peer is the website's server, not the person: failures count
   * against the relying party. */
  request = clave_auth_requests_create (self, rp_id, type, document, kind, value, NULL, &error);
  if (request == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }
  clave_auth_request_reply (msg, SOUP_STATUS_CREATED, request);
}

static void
rp_reply_current (ClaveServer       *self,
                  SoupServerMessage *msg,
                  const char        *rp_id,
                  const char        *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveAuthRequest) request = NULL;

  request = clave_auth_requests_get (self, rp_id, id, &error);
  if (request == NULL)
    clave_http_reply_gerror (msg, error);
  else
    clave_auth_request_reply (msg, SOUP_STATUS_OK, request);
}

static void
waiter_free (ClaveRpWaiter *waiter)
{
  g_free (waiter->rp_id);
  g_free (waiter->id);
  g_free (waiter);
}

static void
waiter_detach (ClaveServer   *self,
               ClaveRpWaiter *waiter)
{
  g_clear_handle_id (&waiter->timeout_id, g_source_remove);
  g_clear_signal_handler (&waiter->finished_id, waiter->msg);
  self->n_waiters--;
}

/* Takes @waiter out of self->waiters. */
static void
waiter_unlink (ClaveServer   *self,
               ClaveRpWaiter *waiter)
{
  GPtrArray *waiters = g_hash_table_lookup (self->waiters, waiter->id);

  if (waiters == NULL)
    return;
  g_ptr_array_remove_fast (waiters, waiter);
  if (waiters->len == 0)
    g_hash_table_remove (self->waiters, waiter->id);
}

void
_clave_rp_waiter_wake (ClaveServer   *self,
                       ClaveRpWaiter *waiter)
{
  waiter_detach (self, waiter);
  rp_reply_current (self, waiter->msg, waiter->rp_id, waiter->id);
  soup_server_message_unpause (waiter->msg);
  g_object_unref (waiter->msg);
  waiter_free (waiter);
}

typedef struct {
  ClaveServer   *server;
  ClaveRpWaiter *waiter;
} WaiterRef;

static gboolean
waiter_timeout_cb (gpointer user_data)
{
  WaiterRef *ref = user_data;

  ref->waiter->timeout_id = 0;
  waiter_unlink (ref->server, ref->waiter);
  _clave_rp_waiter_wake (ref->server, ref->waiter);
  return G_SOURCE_REMOVE;
}

static void
waiter_finished_cb (SoupServerMessage *msg,
                    gpointer           user_data)
{
  WaiterRef *ref = user_data;
  ClaveRpWaiter *waiter = ref->waiter;
  ClaveServer *self = ref->server;

  /* The client went away while we waited. */
  waiter_unlink (self, waiter);
  waiter_detach (self, waiter);
  g_object_unref (waiter->msg);
  waiter_free (waiter);
}

static void
rp_get (ClaveServer       *self,
        SoupServerMessage *msg,
        const char        *id,
        GHashTable        *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveAuthRequest) request = NULL;
  g_autofree char *rp_id = NULL;
  const char *wait_in = query != NULL ? g_hash_table_lookup (query, "wait") : NULL;
  guint64 wait = 0;
  ClaveRpWaiter *waiter;
  GPtrArray *waiters;
  WaiterRef *ref;

  rp_id = authenticate_rp (self, msg);
  if (rp_id == NULL)
    return;

  if (wait_in != NULL &&
      (!g_ascii_string_to_unsigned (wait_in, 10, 0, CLAVE_RP_WAIT_MAX_SECS, &wait, NULL)))
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                              "wait must be 0 to 30 seconds.");
      return;
    }

  request = clave_auth_requests_get (self, rp_id, id, &error);
  if (request == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }
  if (wait == 0 || !g_str_equal (request->status, CLAVE_REQUEST_STATUS_PENDING) ||
      self->n_waiters >= MAX_WAITERS)
    {
      clave_auth_request_reply (msg, SOUP_STATUS_OK, request);
      return;
    }

  /* Never past the expiry: the sweep wakes it then anyway. */
  wait = MIN (wait, (guint64) MAX (1, request->expires_at - _clave_server_now () + 1));

  waiter = g_new0 (ClaveRpWaiter, 1);
  waiter->msg = g_object_ref (msg);
  waiter->rp_id = g_steal_pointer (&rp_id);
  waiter->id = g_strdup (request->id);
  ref = g_new0 (WaiterRef, 1);
  ref->server = self;
  ref->waiter = waiter;
  /* One WaiterRef shared by both callbacks, freed with the signal
   * handler's closure (always disconnected before the waiter is freed). */
  waiter->timeout_id = g_timeout_add_seconds ((guint) wait, waiter_timeout_cb, ref);
  waiter->finished_id = g_signal_connect_data (msg, "finished", G_CALLBACK (waiter_finished_cb),
                                               ref, (GClosureNotify) (void (*) (void)) g_free, 0);
  self->n_waiters++;

  waiters = g_hash_table_lookup (self->waiters, waiter->id);
  if (waiters == NULL)
    {
      waiters = g_ptr_array_new ();
      g_hash_table_insert (self->waiters, g_strdup (waiter->id), waiters);
    }
  g_ptr_array_add (waiters, waiter);
  soup_server_message_pause (msg);
}

static void
rp_sms_pin (ClaveServer       *self,
            SoupServerMessage *msg,
            const char        *id)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rp_id = NULL;
  const char *pin;
  guint attempts_left = 0;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  rp_id = authenticate_rp (self, msg);
  if (rp_id == NULL)
    return;
  if (!clave_http_member_string (msg, body, "pin", &pin))
    return;

  if (!clave_auth_requests_submit_sms_pin (self, rp_id, id, pin, &attempts_left, &error))
    {
      if (g_error_matches (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CODE))
        clave_http_reply_error_int (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE,
                                    error->message, "attempts_left", attempts_left);
      else
        clave_http_reply_gerror (msg, error);
      return;
    }

  reply_status (msg, CLAVE_REQUEST_STATUS_CONFIRMED);
}

/* Devices --------------------------------------------------------------- */

static void
device_list (ClaveServer       *self,
             SoupServerMessage *msg,
             GHashTable        *query)
{
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  const char *status = query != NULL ? g_hash_table_lookup (query, "status") : NULL;
  gint64 now = _clave_server_now ();

  device = _clave_device_authenticate (self, msg, TRUE);
  if (device == NULL)
    return;
  if (status != NULL && !g_str_equal (status, CLAVE_REQUEST_STATUS_PENDING))
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                              "Only status=pending can be listed; see the history.");
      return;
    }

  pending = clave_store_list_pending_auth_requests (self->store, device->document, now,
                                                           &error);
  if (pending == NULL)
    {
      clave_http_reply_internal (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "requests");
  json_builder_begin_array (builder);
  for (guint i = 0; i < pending->len; i++)
    _clave_auth_request_add_object (self, builder, g_ptr_array_index (pending, i), now);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
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

static void
device_claim (ClaveServer       *self,
              SoupServerMessage *msg,
              const char        *id)
{
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  gint64 now = _clave_server_now ();
  gboolean changed = FALSE;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  device = _clave_device_authenticate (self, msg, TRUE);
  if (device == NULL)
    return;

  record = _clave_auth_requests_load (self, id, &error);
  if (record == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  /* Push and SMS requests of others do not exist for this device; a QR
   * request bound elsewhere was claimed by someone else. */
  if (!g_str_equal (record->type, CLAVE_REQUEST_TYPE_QR) &&
      g_strcmp0 (record->citizen, device->document) != 0)
    {
      reply_not_found (msg);
      return;
    }
  if (g_str_equal (record->type, CLAVE_REQUEST_TYPE_QR) &&
      ((record->citizen != NULL && !g_str_equal (record->citizen, device->document)) ||
       (record->device != NULL && !g_str_equal (record->device, device->id))))
    {
      clave_http_reply_error (msg, SOUP_STATUS_CONFLICT, CLAVE_ERR_ALREADY_CLAIMED,
                              "Another device already claimed this request.");
      return;
    }
  if (!check_pending (record, now, &error))
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  if (record->device == NULL && g_str_equal (record->type, CLAVE_REQUEST_TYPE_QR))
    {
      if (!clave_store_update_auth_request (self->store, id, NULL, device->document,
                                            device->id, now, FALSE, 0, &changed, &error))
        {
          clave_http_reply_internal (msg, error);
          return;
        }
      if (!changed)
        {
          clave_http_reply_error (msg, SOUP_STATUS_CONFLICT, CLAVE_ERR_ALREADY_CLAIMED,
                                  "Another device already claimed this request.");
          return;
        }
      g_clear_pointer (&record, clave_auth_request_record_free);
      record = _clave_auth_requests_load (self, id, &error);
      if (record == NULL)
        {
          clave_http_reply_gerror (msg, error);
          return;
        }
    }
  builder = json_builder_new ();
  _clave_auth_request_add_object (self, builder, record, now);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* A device's confirm or reject, while its signature is checked in a
 * thread and then while the answer queue stores it. */
typedef struct {
  ClaveServer          *server;
  SoupServerMessage    *msg;
  ClaveDeviceAuthCheck *check;
  char                 *request_id;
  char                 *citizen;
  char                 *device_id;
  const char           *status;
  /* The error to answer with once the nonce is spent, or NULL. */
  GError               *refusal;
} Answering;

static void
answering_free (Answering *answering)
{
  g_object_unref (answering->server);
  g_object_unref (answering->msg);
  g_clear_pointer (&answering->check, clave_device_auth_check_free);
  g_free (answering->request_id);
  g_free (answering->citizen);
  g_free (answering->device_id);
  g_clear_error (&answering->refusal);
  g_free (answering);
}

/* Answers and lets libsoup send it. */
static void
answering_done (Answering *answering)
{
  soup_server_message_unpause (answering->msg);
  answering_free (answering);
}

/* Runs once the answer, or the nonce alone, is durably committed. */
static void
answered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Answering *answering = user_data;
  SoupServerMessage *msg = answering->msg;
  g_autoptr(GError) error = NULL;
  int outcome;

  outcome = clave_answer_queue_submit_finish (CLAVE_ANSWER_QUEUE (source), result, &error);
  if (outcome < 0)
    clave_http_reply_internal (msg, error);
  else if (outcome == CLAVE_AUTH_ANSWER_REPLAYED)
    clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_REPLAYED_NONCE,
                            "This signature nonce was already used.");
  else if (outcome == CLAVE_AUTH_ANSWER_DEVICE_GONE)
    clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_DEVICE_DEACTIVATED,
                            "This device is no longer active.");
  else if (answering->refusal != NULL)
    clave_http_reply_gerror (msg, answering->refusal);
  else if (outcome == CLAVE_AUTH_ANSWER_NOT_PENDING)
    clave_http_reply_error (msg, SOUP_STATUS_CONFLICT, CLAVE_ERR_ALREADY_ANSWERED,
                            "The request was already answered.");
  else
    {
      g_info ("Device %s answered %s: %s", answering->device_id, answering->request_id,
              answering->status);
      _clave_auth_requests_changed_to (answering->server, answering->request_id,
                                       answering->citizen, answering->status);
      reply_status (msg, answering->status);
    }
  answering_done (answering);
}

/* The signature verified (or not): the answer goes to the queue. */
static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Answering *answering = user_data;
  ClaveServer *self = answering->server;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *nonce = NULL;
  ClaveAnswerQueue *queue;
  ClaveAuthAnswer answer = { 0 };
  gint64 now = _clave_server_now ();

  clave_device_auth_check_run_finish (result, NULL);
  device = clave_device_auth_check_finish (answering->check, self->store, answering->msg, FALSE,
                                           &nonce);
  if (device == NULL)
    {
      answering_done (answering);
      return;
    }
  queue = _clave_answer_queue (self, &error);
  if (queue == NULL)
    {
      clave_http_reply_internal (answering->msg, error);
      answering_done (answering);
      return;
    }
  answering->citizen = g_strdup (device->document);
  answering->device_id = g_strdup (device->id);

  /* A refused answer spends its nonce all the same, as every signature
   * that verified does, and is answered once that is stored. SMS
   * requests are answered by the relying party only. */
  record = _clave_auth_requests_load (self, answering->request_id, &answering->refusal);
  if (record != NULL &&
      (g_strcmp0 (record->citizen, device->document) != 0 ||
       g_str_equal (record->type, CLAVE_REQUEST_TYPE_SMS)))
    g_set_error_literal (&answering->refusal, CLAVE_PROTOCOL_ERROR,
                         CLAVE_PROTOCOL_ERROR_NOT_YOUR_REQUEST,
                         "This request is not for this device.");
  else if (record != NULL)
    check_pending (record, now, &answering->refusal);

  answer.request_id = answering->refusal == NULL ? answering->request_id : NULL;
  answer.status = answering->status;
  answer.citizen = device->document;
  answer.device_id = device->id;
  answer.nonce = nonce;
  answer.now = now;
  clave_answer_queue_submit_async (queue, &answer, NULL, answered_cb, answering);
}

/* Confirm or reject. The signature is checked in a thread (an ECDSA
 * verification costs more than the rest of the request), and the answer
 * and the nonce of its signature are stored in one transaction by the
 * answer queue, which commits the answers of many devices at once; the
 * reply waits for that commit. */
static void
device_answer (ClaveServer       *self,
               SoupServerMessage *msg,
               const char        *id,
               const char        *status)
{
  g_autoptr(JsonObject) body = NULL;
  ClaveDeviceAuthCheck *check;
  Answering *answering;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  check = _clave_device_auth_check_new (self, msg);
  if (check == NULL)
    return;

  answering = g_new0 (Answering, 1);
  answering->server = g_object_ref (self);
  answering->msg = g_object_ref (msg);
  answering->check = check;
  answering->request_id = g_strdup (id);
  answering->status = status;
  soup_server_message_pause (msg);
  clave_device_auth_check_run_async (check, NULL, verified_cb, answering);
}

static void
device_history (ClaveServer       *self,
                SoupServerMessage *msg,
                GHashTable        *query)
{
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  const char *after_in = query != NULL ? g_hash_table_lookup (query, "after") : NULL;
  const char *limit_in = query != NULL ? g_hash_table_lookup (query, "limit") : NULL;
  guint64 after = 0, limit = CLAVE_HISTORY_LIMIT_DEFAULT;
  gint64 now = _clave_server_now ();
  gint64 next;
  gboolean more;

  device = _clave_device_authenticate (self, msg, TRUE);
  if (device == NULL)
    return;
  if ((after_in != NULL && !g_ascii_string_to_unsigned (after_in, 10, 0, G_MAXINT64, &after, NULL)) ||
      (limit_in != NULL &&
       !g_ascii_string_to_unsigned (limit_in, 10, 1, CLAVE_HISTORY_LIMIT_MAX, &limit, NULL)))
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                              "after must be a cursor and limit 1 to 1000.");
      return;
    }

  /* One row more than asked tells whether there are more. */
  items = clave_store_list_history (self->store, device->document, (gint64) after,
                                           (guint) limit + 1, &error);
  if (items == NULL)
    {
      clave_http_reply_internal (msg, error);
      return;
    }
  more = items->len > limit;
  if (more)
    g_ptr_array_set_size (items, (guint) limit);
  next = items->len > 0
         ? ((ClaveAuthRequestRecord *) g_ptr_array_index (items, items->len - 1))->seq
         : (gint64) after;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < items->len; i++)
    {
      ClaveAuthRequestRecord *record = g_ptr_array_index (items, i);
      g_autofree char *origin = _clave_auth_request_origin (self, record->rp_origin);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "seq");
      json_builder_add_int_value (builder, record->seq);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, record->id);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, record->type);
      json_builder_set_member_name (builder, "organisation");
      json_builder_add_string_value (builder, record->rp_name);
      json_builder_set_member_name (builder, "origin");
      json_builder_add_string_value (builder, origin);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, _clave_auth_request_status (record, now));
      json_builder_set_member_name (builder, "created_at");
      json_builder_add_int_value (builder, record->created_at);
      json_builder_set_member_name (builder, "answered_at");
      if (record->answered_at != 0)
        json_builder_add_int_value (builder, record->answered_at);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next");
  json_builder_add_int_value (builder, next);
  json_builder_set_member_name (builder, "more");
  json_builder_add_boolean_value (builder, more);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* Dispatch -------------------------------------------------------------- */

/* "{id}" or "{id}{suffix}" after @prefix: the id, or NULL. */
static char *
path_id (const char  *path,
         const char  *prefix,
         const char **suffix)
{
  const char *rest = path + strlen (prefix);
  const char *slash = strchr (rest, '/');
  gsize len = slash != NULL ? (gsize) (slash - rest) : strlen (rest);

  if (len == 0 || len > MAX_ID_LEN)
    return NULL;
  *suffix = rest + len;
  return g_strndup (rest, len);
}

gboolean
_clave_routes_mobile (ClaveServer       *self,
                      SoupServerMessage *msg,
                      const char        *path,
                      GHashTable        *query)
{
  g_autofree char *id = NULL;
  const char *suffix = NULL;

  if (g_str_equal (path, CLAVE_PATH_RP_REQUESTS))
    {
      if (!method_is (msg, SOUP_METHOD_POST))
        reply_method_not_allowed (msg, "POST");
      else
        rp_create (self, msg);
      return TRUE;
    }
  if (g_str_has_prefix (path, CLAVE_PATH_RP_REQUEST_PREFIX))
    {
      id = path_id (path, CLAVE_PATH_RP_REQUEST_PREFIX, &suffix);
      if (id == NULL)
        return FALSE;
      if (*suffix == '\0')
        {
          if (!method_is (msg, SOUP_METHOD_GET))
            reply_method_not_allowed (msg, "GET");
          else
            rp_get (self, msg, id, query);
          return TRUE;
        }
      if (g_str_equal (suffix, CLAVE_RP_SUFFIX_SMS_PIN))
        {
          if (!method_is (msg, SOUP_METHOD_POST))
            reply_method_not_allowed (msg, "POST");
          else
            rp_sms_pin (self, msg, id);
          return TRUE;
        }
      return FALSE;
    }
  if (g_str_equal (path, CLAVE_PATH_DEVICE_REQUESTS))
    {
      if (!method_is (msg, SOUP_METHOD_GET))
        reply_method_not_allowed (msg, "GET");
      else
        device_list (self, msg, query);
      return TRUE;
    }
  if (g_str_has_prefix (path, CLAVE_PATH_DEVICE_REQUEST_PREFIX))
    {
      const char *status = NULL;

      id = path_id (path, CLAVE_PATH_DEVICE_REQUEST_PREFIX, &suffix);
      if (id == NULL)
        return FALSE;
      if (g_str_equal (suffix, CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM))
        status = CLAVE_REQUEST_STATUS_CONFIRMED;
      else if (g_str_equal (suffix, CLAVE_DEVICE_REQUEST_SUFFIX_REJECT))
        status = CLAVE_REQUEST_STATUS_REJECTED;
      else if (!g_str_equal (suffix, CLAVE_DEVICE_REQUEST_SUFFIX_CLAIM))
        return FALSE;
      if (!method_is (msg, SOUP_METHOD_POST))
        reply_method_not_allowed (msg, "POST");
      else if (status == NULL)
        device_claim (self, msg, id);
      else
        device_answer (self, msg, id, status);
      return TRUE;
    }
  if (g_str_equal (path, CLAVE_PATH_DEVICE_HISTORY))
    {
      if (!method_is (msg, SOUP_METHOD_GET))
        reply_method_not_allowed (msg, "GET");
      else
        device_history (self, msg, query);
      return TRUE;
    }
  return FALSE;
}
