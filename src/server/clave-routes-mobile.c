/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "clave-auth-requests.h"
#include "clave-device-requests.h"
#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-routes.h"

#define MAX_ID_LEN  64

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

void
_clave_auth_request_add_object (ClaveServer                  *self,
                                JsonBuilder                  *builder,
                                const ClaveAuthRequestRecord *record,
                                gint64                        now)
{
  g_autofree char *origin = _clave_auth_request_origin (self, record->rp_origin);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, record->id);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, record->type);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, _clave_auth_request_status (record, now));
  json_builder_set_member_name (builder, "organisation");
  json_builder_add_string_value (builder, record->rp_name);
  json_builder_set_member_name (builder, "origin");
  json_builder_add_string_value (builder, origin);
  json_builder_set_member_name (builder, "verification_code");
  json_builder_add_string_value (builder, record->verification_code);
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_int_value (builder, record->created_at);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_int_value (builder, record->expires_at);
  json_builder_end_object (builder);
}

/* Relying parties ------------------------------------------------------- */

/* The relying party whose API key is the bearer token, or NULL after
 * answering 401 invalid_rp_key. */
static char *
authenticate_rp (ClaveServer       *self,
                 SoupServerMessage *msg)
{
  g_autoptr(GError) error = NULL;
  char *rp_id;

  rp_id = clave_auth_requests_authenticate_rp (self, clave_http_bearer_token (msg), &error);
  if (rp_id == NULL)
    clave_http_reply_gerror (msg, error);
  return rp_id;
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
      !_clave_rp_waiters_add (self, msg, rp_id, request, (guint) wait))
    clave_auth_request_reply (msg, SOUP_STATUS_OK, request);
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

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  rp_id = authenticate_rp (self, msg);
  if (rp_id == NULL)
    return;
  if (!clave_http_member_string (msg, body, "pin", &pin))
    return;

  if (!clave_auth_requests_submit_sms_pin (self, rp_id, id, pin, &error))
    {
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

  pending = clave_device_requests_list_pending (self, device, now, &error);
  if (pending == NULL)
    {
      clave_http_reply_gerror (msg, error);
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

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;
  device = _clave_device_authenticate (self, msg, TRUE);
  if (device == NULL)
    return;

  record = clave_device_requests_claim (self, device, id, now, &error);
  if (record == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }
  builder = json_builder_new ();
  _clave_auth_request_add_object (self, builder, record, now);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* A device's confirm or reject, while its signature is checked in a
 * thread and then while the answer is stored. */
typedef struct {
  ClaveServer          *server;
  SoupServerMessage    *msg;
  ClaveDeviceAuthCheck *check;
  char                 *request_id;
  const char           *status;
} Answering;

static void
answering_free (Answering *answering)
{
  g_object_unref (answering->server);
  g_object_unref (answering->msg);
  g_clear_pointer (&answering->check, clave_device_auth_check_free);
  g_free (answering->request_id);
  g_free (answering);
}

/* Lets libsoup send the answer. */
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
  g_autoptr(GError) error = NULL;

  if (clave_device_requests_answer_finish (CLAVE_SERVER (source), result, &error))
    reply_status (answering->msg, answering->status);
  else
    clave_http_reply_gerror (answering->msg, error);
  answering_done (answering);
}

/* The signature verified (or not): the answer goes to be stored. */
static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Answering *answering = user_data;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autofree char *nonce = NULL;

  clave_device_auth_check_run_finish (result, NULL);
  device = _clave_device_auth_check_finish (answering->server, answering->check,
                                            answering->msg, &nonce);
  if (device == NULL)
    {
      answering_done (answering);
      return;
    }
  clave_device_requests_answer_async (answering->server, device, answering->request_id,
                                      answering->status, nonce, _clave_server_now (),
                                      answered_cb, answering);
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
  gint64 next = 0;
  gboolean more = FALSE;

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

  items = clave_device_requests_history (self, device, (gint64) after, (guint) limit, &next,
                                         &more, &error);
  if (items == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

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
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
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
          if (!clave_http_method_is (msg, SOUP_METHOD_GET))
            clave_http_reply_method_not_allowed (msg, "GET");
          else
            rp_get (self, msg, id, query);
          return TRUE;
        }
      if (g_str_equal (suffix, CLAVE_RP_SUFFIX_SMS_PIN))
        {
          if (!clave_http_method_is (msg, SOUP_METHOD_POST))
            clave_http_reply_method_not_allowed (msg, "POST");
          else
            rp_sms_pin (self, msg, id);
          return TRUE;
        }
      return FALSE;
    }
  if (g_str_equal (path, CLAVE_PATH_DEVICE_REQUESTS))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_GET))
        clave_http_reply_method_not_allowed (msg, "GET");
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
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else if (status == NULL)
        device_claim (self, msg, id);
      else
        device_answer (self, msg, id, status);
      return TRUE;
    }
  if (g_str_equal (path, CLAVE_PATH_DEVICE_HISTORY))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_GET))
        clave_http_reply_method_not_allowed (msg, "GET");
      else
        device_history (self, msg, query);
      return TRUE;
    }
  return FALSE;
}
