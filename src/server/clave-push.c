/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

/* The devices' push channel (docs/protocol.md "Push channel"): one
 * WebSocket per device, server to device only. */

#define DEVICE_KEY  "clave-push-device"
#define CITIZEN_KEY "clave-push-citizen"

typedef struct {
  ClaveServer              *server;
  SoupWebsocketConnection  *conn;
  char                     *device;
  char                     *citizen;
  gulong                    closed_id;
} ClavePushClient;

static void
push_client_free (ClavePushClient *client)
{
  g_clear_signal_handler (&client->closed_id, client->conn);
  if (soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_object_unref (client->conn);
  g_free (client->device);
  g_free (client->citizen);
  g_free (client);
}

static void
send_builder (ClavePushClient *client,
              JsonBuilder     *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, FALSE);

  if (soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (client->conn, text);
}

static void
send_request (ClavePushClient              *client,
              const ClaveAuthRequestRecord *record,
              gint64                        now)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, CLAVE_PUSH_EVENT_REQUEST);
  json_builder_set_member_name (builder, "request");
  _clave_auth_request_add_object (client->server, builder, record, now);
  json_builder_end_object (builder);
  send_builder (client, builder);
}

/* The clients of @citizen (borrowed), so that sending may not change the
 * table under the iteration. */
static GPtrArray *
clients_of (ClaveServer *self,
            const char  *citizen)
{
  GPtrArray *clients = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  if (self->push_clients == NULL)
    return clients;
  g_hash_table_iter_init (&iter, self->push_clients);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      ClavePushClient *client = value;

      if (g_strcmp0 (client->citizen, citizen) == 0)
        g_ptr_array_add (clients, client);
    }
  return clients;
}

void
_clave_push_send_request (ClaveServer                  *self,
                          const ClaveAuthRequestRecord *record)
{
  g_autoptr(GPtrArray) clients = NULL;

  if (record->citizen == NULL)
    return;
  clients = clients_of (self, record->citizen);
  for (guint i = 0; i < clients->len; i++)
    send_request (g_ptr_array_index (clients, i), record, _clave_server_now ());
}

void
_clave_push_send_status (ClaveServer *self,
                         const char  *citizen,
                         const char  *id,
                         const char  *status)
{
  g_autoptr(GPtrArray) clients = clients_of (self, citizen);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, CLAVE_PUSH_EVENT_STATUS);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, status);
  json_builder_end_object (builder);
  for (guint i = 0; i < clients->len; i++)
    send_builder (g_ptr_array_index (clients, i), builder);
}

/* The failed_identifications event for @citizen, or NULL while there
 * are too few failures to be worth telling. */
static JsonBuilder *
failures_event (ClaveServer *self,
                const char  *citizen,
                gint64       now)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  guint count = 0;
  gint64 first = 0, last = 0;

  if (!_clave_identify_recent_failures (self, citizen, now, &count, &first, &last, &error))
    {
      g_warning ("Counting failed identifications failed: %s", error->message);
      return NULL;
    }
  if (count < CLAVE_PUSH_FAILURES_NOTICE_MIN)
    return NULL;

  /* Numbers and times only: where they came from would tell the citizen
   * nothing they could act on, and a stolen push key nothing either. */
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, CLAVE_PUSH_EVENT_FAILED_IDENTIFICATIONS);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, count);
  json_builder_set_member_name (builder, "since");
  json_builder_add_int_value (builder, first);
  json_builder_set_member_name (builder, "last");
  json_builder_add_int_value (builder, last);
  json_builder_end_object (builder);
  return g_steal_pointer (&builder);
}

void
_clave_push_send_failures (ClaveServer *self,
                           const char  *citizen,
                           gint64       now)
{
  g_autoptr(GPtrArray) clients = clients_of (self, citizen);
  g_autoptr(JsonBuilder) builder = NULL;

  /* Most documents that fail have no device listening: no query. */
  if (clients->len == 0)
    return;
  builder = failures_event (self, citizen, now);
  if (builder == NULL)
    return;
  for (guint i = 0; i < clients->len; i++)
    send_builder (g_ptr_array_index (clients, i), builder);
}

void
_clave_push_check_devices (ClaveServer *self,
                           const char  *citizen)
{
  g_autoptr(GPtrArray) clients = clients_of (self, citizen);

  for (guint i = 0; i < clients->len; i++)
    {
      ClavePushClient *client = g_ptr_array_index (clients, i);
      g_autoptr(ClaveDeviceRecord) device = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonBuilder) builder = NULL;

      device = clave_store_get_device (self->store, client->device, &error);
      if (device == NULL && error != NULL)
        {
          g_warning ("Reading device %s failed: %s", client->device, error->message);
          continue;
        }
      if (device != NULL && device->deactivated_at == 0)
        continue;

      builder = json_builder_new ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "event");
      json_builder_add_string_value (builder, CLAVE_PUSH_EVENT_DEACTIVATED);
      json_builder_end_object (builder);
      send_builder (client, builder);
      g_info ("Push channel of %s closed: device deactivated", client->device);
      g_hash_table_remove (self->push_clients, client->device);
    }
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  ClavePushClient *client = user_data;
  ClaveServer *self = client->server;

  g_debug ("Push channel of %s closed", client->device);
  if (g_hash_table_lookup (self->push_clients, client->device) == client)
    g_hash_table_remove (self->push_clients, client->device);
}

/* Runs before the upgrade: a status set here refuses it. */
static void
handle_push_upgrade (SoupServer        *soup,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  ClaveServer *self = CLAVE_SERVER (user_data);
  g_autoptr(ClaveDeviceRecord) device = NULL;

  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_GET) != 0)
    {
      clave_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED,
                              "This method is not allowed on this path.");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    "GET");
      return;
    }
  device = _clave_device_authenticate (self, msg, TRUE);
  if (device == NULL)
    return;
  /* Where the citizen's device is, the citizen is: the identification
   * backstop spares this source for this document. */
  {
    g_autofree char *source =
      _clave_identify_source_for_address (soup_server_message_get_remote_host (msg));

    _clave_identify_note_known_source (self, device->document, source, _clave_server_now ());
  }
  g_object_set_data_full (G_OBJECT (msg), DEVICE_KEY, g_strdup (device->id), g_free);
  g_object_set_data_full (G_OBJECT (msg), CITIZEN_KEY, g_strdup (device->document), g_free);
}

static void
handle_push_websocket (SoupServer              *soup,
                       SoupServerMessage       *msg,
                       const char              *path,
                       SoupWebsocketConnection *conn,
                       gpointer                 user_data)
{
  ClaveServer *self = CLAVE_SERVER (user_data);
  const char *device = g_object_get_data (G_OBJECT (msg), DEVICE_KEY);
  const char *citizen = g_object_get_data (G_OBJECT (msg), CITIZEN_KEY);
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  ClavePushClient *client;
  gint64 now = _clave_server_now ();

  if (device == NULL || citizen == NULL)
    {
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
      return;
    }

  client = g_new0 (ClavePushClient, 1);
  client->server = self;
  client->conn = g_object_ref (conn);
  client->device = g_strdup (device);
  client->citizen = g_strdup (citizen);
  client->closed_id = g_signal_connect (conn, "closed", G_CALLBACK (on_closed), client);
  soup_websocket_connection_set_keepalive_interval (conn, CLAVE_PUSH_PING_SECS);
  /* One connection per device: the newer one replaces (closes) the older. */
  g_hash_table_replace (self->push_clients, client->device, client);
  g_debug ("Push channel of %s open", client->device);

  pending = clave_store_list_pending_auth_requests (self->store, citizen, now, &error);
  if (pending == NULL)
    {
      g_warning ("Listing pending requests failed: %s", error->message);
      return;
    }
  for (guint i = 0; i < pending->len; i++)
    send_request (client, g_ptr_array_index (pending, i), now);

  /* Failures while the device was offline are told on reconnect too. */
  {
    g_autoptr(JsonBuilder) failures = failures_event (self, citizen, now);

    if (failures != NULL)
      send_builder (client, failures);
  }
}

static void
handle_early_push (SoupServer        *soup,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  if (!_clave_server_check_host (CLAVE_SERVER (user_data), msg))
    return;
  clave_http_watch_body (msg);
}

void
_clave_push_init (ClaveServer *self)
{
  self->push_clients = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) push_client_free);
  soup_server_add_early_handler (self->soup, CLAVE_PATH_DEVICE_PUSH, handle_early_push, self,
                                 NULL);
  soup_server_add_handler (self->soup, CLAVE_PATH_DEVICE_PUSH, handle_push_upgrade, self, NULL);
  soup_server_add_websocket_handler (self->soup, CLAVE_PATH_DEVICE_PUSH, NULL, NULL,
                                     handle_push_websocket, self, NULL);
}

void
_clave_push_shutdown (ClaveServer *self)
{
  if (self->push_clients != NULL)
    g_hash_table_remove_all (self->push_clients);
}
