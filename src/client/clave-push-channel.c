/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-push-channel"

#include "config.h"

#include <json-glib/json-glib.h>

#include "clave-protocol.h"
#include "clave-push-channel.h"
#include "clave-push-channel-private.h"
#include "clave-json.h"
#include "clave-service-client-private.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
/* A connection that lasted this long was healthy: the next failure starts
 * the backoff from the bottom again. A server that accepts and drops at
 * once keeps backing off. */
#define HEALTHY_CONNECTION_US (10 * G_USEC_PER_SEC)
/* The service's events are a few hundred bytes; a request object is the
 * largest. The cap is that of the service's request bodies
 * (CLAVE_MAX_BODY), on every frame and on every message. */
#define MAX_FRAME_SIZE CLAVE_MAX_BODY

struct _ClavePushChannel
{
  GObject                  parent_instance;

  ClaveServiceClient      *client;
  GObject                 *key;
  char                    *device_id;

  gboolean                 started;
  gboolean                 deactivated;
  ClavePushState           state;
  GError                  *last_error;

  GCancellable            *cancellable;   /* of the current attempt */
  SoupWebsocketConnection *connection;
  gint64                   online_since;  /* monotonic µs */
  guint                    failures;      /* since the last healthy connection */
  guint                    attempts;
  guint                    retry_source;
  gint64                   retry_at;      /* monotonic µs */
  guint                    backoff_min_ms;
  guint                    backoff_max_ms;
  GNetworkMonitor         *monitor;
  gulong                   network_changed_id;
};

G_DEFINE_FINAL_TYPE (ClavePushChannel, clave_push_channel, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_LAST_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_REQUEST,
  SIGNAL_STATUS,
  SIGNAL_DEACTIVATED,
  SIGNAL_FAILED_IDENTIFICATIONS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

guint
_clave_push_backoff_delay_ms (guint  attempt,
                              guint  min_ms,
                              guint  max_ms,
                              double jitter)
{
  guint64 delay = MAX (min_ms, 1);

  for (guint i = 0; i < attempt && delay < max_ms; i++)
    delay *= 2;
  delay = MIN (delay, (guint64) max_ms);

  /* Jitter spreads the reconnects of many devices after a service
   * restart, so they do not all knock at once. */
  jitter = CLAMP (jitter, 0.0, 1.0);
  delay -= (guint64) (delay / 2.0 * jitter);

  return (guint) MAX (delay, (guint64) min_ms);
}

static void
set_state (ClavePushChannel *self,
           ClavePushState    state)
{
  if (self->state == state)
    return;

  g_debug ("Push channel: %s → %s",
           g_enum_get_value (g_type_class_peek (CLAVE_TYPE_PUSH_STATE), (int) self->state)->value_nick,
           g_enum_get_value (g_type_class_peek (CLAVE_TYPE_PUSH_STATE), (int) state)->value_nick);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_last_error (ClavePushChannel *self,
                const GError     *error)
{
  if (self->last_error == NULL && error == NULL)
    return;

  g_clear_error (&self->last_error);
  if (error != NULL)
    self->last_error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

static void connect_now (ClavePushChannel *self);

static gboolean
on_retry (gpointer user_data)
{
  ClavePushChannel *self = user_data;

  self->retry_source = 0;
  self->retry_at = 0;
  connect_now (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_retry (ClavePushChannel *self)
{
  guint delay;

  if (!self->started || self->deactivated)
    {
      set_state (self, CLAVE_PUSH_STATE_OFFLINE);
      return;
    }

  delay = _clave_push_backoff_delay_ms (self->failures, self->backoff_min_ms,
                                        self->backoff_max_ms, g_random_double ());
  self->failures++;
  g_debug ("Push channel: next attempt in %u ms", delay);

  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_at = g_get_monotonic_time () + (gint64) delay * 1000;
  self->retry_source = g_timeout_add (delay, on_retry, self);
  set_state (self, CLAVE_PUSH_STATE_OFFLINE);
}

static void
drop_connection (ClavePushChannel *self)
{
  if (self->connection == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->connection, self);
  if (soup_websocket_connection_get_state (self->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&self->connection);
}

static void
become_deactivated (ClavePushChannel *self)
{
  g_debug ("Push channel: the device was deactivated");
  self->deactivated = TRUE;
  clave_push_channel_stop (self);
  g_signal_emit (self, signals[SIGNAL_DEACTIVATED], 0);
}

/* A whole number member, or -1 when it is missing or not one. */
static gint64
int_member (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return json_node_get_int (node);
}

static void
handle_failed_identifications (ClavePushChannel *self,
                               JsonObject       *object)
{
  gint64 count = int_member (object, "count");
  gint64 since = int_member (object, "since");
  gint64 last = int_member (object, "last");

  if (count <= 0 || count > G_MAXUINT || since <= 0 || last < since)
    {
      g_debug ("Push channel: bad failed_identifications event");
      return;
    }

  g_signal_emit (self, signals[SIGNAL_FAILED_IDENTIFICATIONS], 0, (guint) count, since, last);
}

/* A string member, or NULL when it is missing or not a string (json-glib's
 * _with_default readers warn, and abort under G_DEBUG=fatal-criticals,
 * on a member of another type: {"event": {}} from a broken service). */
static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static void
handle_event (ClavePushChannel *self,
              JsonObject       *object)
{
  const char *event = string_member (object, "event");

  if (g_strcmp0 (event, CLAVE_PUSH_EVENT_REQUEST) == 0)
    {
      g_autoptr(ClaveAuthRequestInfo) info = NULL;
      g_autoptr(GError) error = NULL;
      JsonNode *node = json_object_get_member (object, "request");

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          g_debug ("Push channel: request event without a request");
          return;
        }

      info = _clave_auth_request_info_from_json (json_node_get_object (node), &error);
      if (info == NULL)
        {
          g_debug ("Push channel: bad request object: %s", error->message);
          return;
        }

      g_signal_emit (self, signals[SIGNAL_REQUEST], 0, info);
    }
  else if (g_strcmp0 (event, CLAVE_PUSH_EVENT_STATUS) == 0)
    {
      const char *id = string_member (object, "id");
      const char *status = string_member (object, "status");

      if (id == NULL || !_clave_auth_request_status_is_known (status))
        {
          g_debug ("Push channel: bad status event");
          return;
        }

      g_signal_emit (self, signals[SIGNAL_STATUS], 0, id, status);
    }
  else if (g_strcmp0 (event, CLAVE_PUSH_EVENT_DEACTIVATED) == 0)
    become_deactivated (self);
  else if (g_strcmp0 (event, CLAVE_PUSH_EVENT_FAILED_IDENTIFICATIONS) == 0)
    handle_failed_identifications (self, object);
  else
    g_debug ("Push channel: ignoring event “%s”", event ? event : "(none)");
}

void
_clave_push_channel_handle_message (ClavePushChannel *self,
                                    int               type,
                                    GBytes           *message)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) guard = NULL;
  gsize length = 0;
  const char *data;
  JsonNode *root;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;

  /* Strict JSON only (clave-json.h): json-glib alone would act on the
   * last of several values in a frame (leaking the others) and hand on
   * strings that are not UTF-8 from escaped lone surrogates. */
  data = g_bytes_get_data (message, &length);
  parser = json_parser_new_immutable ();
  if (data == NULL || !clave_json_is_strict (data, length) ||
      !json_parser_load_from_data (parser, data, (gssize) length, &error))
    {
      g_debug ("Push channel: frame is not JSON");
      return;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return;

  /* A handler may drop the last reference to the channel. */
  guard = g_object_ref (G_OBJECT (self));
  handle_event (self, json_node_get_object (root));
}

static void
on_message (SoupWebsocketConnection *connection,
            int                      type,
            GBytes                  *message,
            gpointer                 user_data)
{
  ClavePushChannel *self = user_data;

  /* libsoup refuses a frame over max-incoming-payload-size, but the 3.2
   * of Debian 12 puts together a message sent in fragments of any number
   * before it hands it on. One over the cap is not parsed: the channel
   * closes as after any broken connection, and on_closed() reconnects
   * with the backoff. */
  if (g_bytes_get_size (message) > MAX_FRAME_SIZE)
    {
      g_debug ("Push channel: a message of %" G_GSIZE_FORMAT " bytes, over the cap: closing",
               g_bytes_get_size (message));
      g_signal_handlers_disconnect_by_func (connection, on_message, self);
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_TOO_BIG, NULL);
      return;
    }

  _clave_push_channel_handle_message (self, type, message);
}

static void
on_closed (SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  ClavePushChannel *self = user_data;

  g_debug ("Push channel: closed (code %u)", soup_websocket_connection_get_close_code (connection));

  if (self->online_since > 0 &&
      g_get_monotonic_time () - self->online_since >= HEALTHY_CONNECTION_US)
    self->failures = 0;
  self->online_since = 0;

  drop_connection (self);
  schedule_retry (self);
}

typedef struct {
  ClavePushChannel *self;    /* strong */
  SoupMessage      *message;
} Attempt;

static void
attempt_free (Attempt *attempt)
{
  g_clear_object (&attempt->self);
  g_clear_object (&attempt->message);
  g_free (attempt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Attempt, attempt_free)

/* After a 401/403 on the upgrade: the handshake carries no error body, so
 * ask a signed endpoint why. A deactivated device stops for good. */
static void
on_probe_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ClavePushChannel) self = user_data;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  pending = clave_service_client_list_pending_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->started)
    return;

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED))
    {
      set_last_error (self, error);
      become_deactivated (self);
      return;
    }

  if (error != NULL)
    set_last_error (self, error);
  schedule_retry (self);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Attempt) attempt = user_data;
  ClavePushChannel *self = attempt->self;
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (!self->started)
    return;

  if (connection == NULL)
    {
      g_autoptr(GError) mapped = NULL;

      status = soup_message_get_status (attempt->message);
      g_debug ("Push channel: connection failed (HTTP %u): %s", status, error->message);

      if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN)
        {
          clave_service_client_list_pending_async (self->client, self->key, self->device_id,
                                                   self->cancellable, on_probe_done,
                                                   g_object_ref (self));
          return;
        }

      /* An HTTP answer that is not the upgrade (5xx while the service
       * restarts, a proxy page) says more than the WebSocket error. */
      if (status >= 400 || error->domain == SOUP_WEBSOCKET_ERROR)
        mapped = clave_service_error_from_response (status, NULL, NULL);
      else
        mapped = clave_service_error_from_transport (error);

      set_last_error (self, mapped);
      schedule_retry (self);
      return;
    }

  self->connection = g_steal_pointer (&connection);
  soup_websocket_connection_set_max_incoming_payload_size (self->connection, MAX_FRAME_SIZE);
  /* A newer libsoup (3.8) caps whole messages too, while they arrive. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (self->connection),
                                    "max-total-message-size") != NULL)
    g_object_set (self->connection, "max-total-message-size", (guint64) MAX_FRAME_SIZE, NULL);
  g_signal_connect (self->connection, "message", G_CALLBACK (on_message), self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_closed), self);

  self->online_since = g_get_monotonic_time ();
  set_last_error (self, NULL);
  set_state (self, CLAVE_PUSH_STATE_ONLINE);
}

static void
connect_now (ClavePushChannel *self)
{
  g_autoptr(GError) error = NULL;
  Attempt *attempt;
  SoupMessage *message;

  if (!self->started || self->deactivated)
    return;

  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_at = 0;
  drop_connection (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  message = _clave_service_client_build_signed (self->client, "GET", CLAVE_PATH_DEVICE_PUSH, NULL,
                                                self->key, self->device_id, &error);
  if (message == NULL)
    {
      set_last_error (self, error);
      schedule_retry (self);
      return;
    }

  self->attempts++;
  set_state (self, CLAVE_PUSH_STATE_CONNECTING);

  attempt = g_new0 (Attempt, 1);
  attempt->self = g_object_ref (self);
  attempt->message = message;
  soup_session_websocket_connect_async (_clave_service_client_get_session (self->client),
                                        message, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->cancellable, on_connected, attempt);
}

/* The network went away: a connection may linger half-open for minutes
 * without noticing, so give it up and wait. It came back: try at once
 * rather than at the end of a long backoff. */
static void
on_network_changed (GNetworkMonitor  *monitor,
                    gboolean          available,
                    ClavePushChannel *self)
{
  if (!self->started)
    return;

  if (!available && self->state != CLAVE_PUSH_STATE_OFFLINE)
    {
      g_debug ("Push channel: network lost");
      g_cancellable_cancel (self->cancellable);
      drop_connection (self);
      self->online_since = 0;
      schedule_retry (self);
    }
  else if (available && self->state == CLAVE_PUSH_STATE_OFFLINE)
    clave_push_channel_reconnect_now (self);
}

/* GObject */

static void
clave_push_channel_dispose (GObject *object)
{
  ClavePushChannel *self = CLAVE_PUSH_CHANNEL (object);

  g_clear_signal_handler (&self->network_changed_id, self->monitor);
  g_clear_object (&self->monitor);

  self->started = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);

  G_OBJECT_CLASS (clave_push_channel_parent_class)->dispose (object);
}

static void
clave_push_channel_finalize (GObject *object)
{
  ClavePushChannel *self = CLAVE_PUSH_CHANNEL (object);

  g_clear_object (&self->client);
  g_clear_object (&self->key);
  g_free (self->device_id);
  g_clear_error (&self->last_error);

  G_OBJECT_CLASS (clave_push_channel_parent_class)->finalize (object);
}

static void
clave_push_channel_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ClavePushChannel *self = CLAVE_PUSH_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_LAST_ERROR:
      g_value_set_boxed (value, self->last_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_push_channel_class_init (ClavePushChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clave_push_channel_dispose;
  object_class->finalize = clave_push_channel_finalize;
  object_class->get_property = clave_push_channel_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       CLAVE_TYPE_PUSH_STATE, CLAVE_PUSH_STATE_OFFLINE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR] =
    g_param_spec_boxed ("last-error", NULL, NULL,
                        G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_REQUEST] =
    g_signal_new ("request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  CLAVE_TYPE_AUTH_REQUEST_INFO | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_STATUS] =
    g_signal_new ("status", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_DEACTIVATED] =
    g_signal_new ("deactivated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED_IDENTIFICATIONS] =
    g_signal_new ("failed-identifications", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_UINT, G_TYPE_INT64, G_TYPE_INT64);
}

static void
clave_push_channel_init (ClavePushChannel *self)
{
  self->state = CLAVE_PUSH_STATE_OFFLINE;
  self->backoff_min_ms = BACKOFF_MIN_MS;
  self->backoff_max_ms = BACKOFF_MAX_MS;
}

ClavePushChannel *
clave_push_channel_new (ClaveServiceClient *client,
                        gpointer            key,
                        const char         *device_id)
{
  ClavePushChannel *self;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (client), NULL);
  g_return_val_if_fail (CLAVE_IS_PUSH_KEY (key) || CLAVE_IS_DEVICE_KEY (key), NULL);
  g_return_val_if_fail (device_id != NULL, NULL);

  self = g_object_new (CLAVE_TYPE_PUSH_CHANNEL, NULL);
  self->client = g_object_ref (client);
  self->key = g_object_ref (key);
  self->device_id = g_strdup (device_id);

  return self;
}

void
clave_push_channel_start (ClavePushChannel *self)
{
  g_return_if_fail (CLAVE_IS_PUSH_CHANNEL (self));

  if (self->started || self->deactivated)
    return;

  self->started = TRUE;
  self->failures = 0;

  if (self->monitor == NULL)
    {
      self->monitor = g_object_ref (g_network_monitor_get_default ());
      self->network_changed_id = g_signal_connect (self->monitor, "network-changed",
                                                   G_CALLBACK (on_network_changed), self);
    }

  connect_now (self);
}

void
clave_push_channel_stop (ClavePushChannel *self)
{
  g_return_if_fail (CLAVE_IS_PUSH_CHANNEL (self));

  self->started = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_at = 0;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  drop_connection (self);
  self->online_since = 0;
  set_state (self, CLAVE_PUSH_STATE_OFFLINE);
}

gboolean
clave_push_channel_is_started (ClavePushChannel *self)
{
  g_return_val_if_fail (CLAVE_IS_PUSH_CHANNEL (self), FALSE);

  return self->started;
}

void
clave_push_channel_reconnect_now (ClavePushChannel *self)
{
  g_return_if_fail (CLAVE_IS_PUSH_CHANNEL (self));

  if (!self->started || self->state != CLAVE_PUSH_STATE_OFFLINE)
    return;

  self->failures = 0;
  connect_now (self);
}

ClavePushState
clave_push_channel_get_state (ClavePushChannel *self)
{
  g_return_val_if_fail (CLAVE_IS_PUSH_CHANNEL (self), CLAVE_PUSH_STATE_OFFLINE);

  return self->state;
}

guint
clave_push_channel_get_retry_in (ClavePushChannel *self)
{
  gint64 left;

  g_return_val_if_fail (CLAVE_IS_PUSH_CHANNEL (self), 0);

  if (self->retry_source == 0)
    return 0;

  left = self->retry_at - g_get_monotonic_time ();
  return left > 0 ? (guint) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC) : 0;
}

const GError *
clave_push_channel_get_last_error (ClavePushChannel *self)
{
  g_return_val_if_fail (CLAVE_IS_PUSH_CHANNEL (self), NULL);

  return self->last_error;
}

void
_clave_push_channel_set_backoff (ClavePushChannel *self,
                                 guint             min_ms,
                                 guint             max_ms)
{
  self->backoff_min_ms = MAX (min_ms, 1);
  self->backoff_max_ms = MAX (max_ms, self->backoff_min_ms);
}

guint
_clave_push_channel_get_attempts (ClavePushChannel *self)
{
  return self->attempts;
}
