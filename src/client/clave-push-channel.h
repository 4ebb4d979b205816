/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The device push channel (docs/protocol.md "Cl@ve Móvil", "Push
 * channel"): a WebSocket to GET /v1/device/push, the upgrade signed like
 * any device request (normally with the push key, so no PIN is needed).
 *
 * API for the app:
 *   clave_push_channel_new (client, key, device_id)   key: ClavePushKey or unlocked ClaveDeviceKey
 *   clave_push_channel_start () / _stop ()            stop() cancels everything, state OFFLINE
 *   clave_push_channel_reconnect_now ()               skip the backoff wait (e.g. network came back)
 *   clave_push_channel_get_state ()                   property "state" (ClavePushState, notify::state)
 *   clave_push_channel_get_retry_in ()                seconds until the next try while OFFLINE
 *   signal "request"     (ClavePushChannel *, ClaveAuthRequestInfo *info)   new pending request
 *   signal "status"      (ClavePushChannel *, const char *id, const char *status)
 *   signal "deactivated" (ClavePushChannel *)        the device was deactivated: the channel
 *                                                     stops for good; wipe keys, go to activation
 *   signal "failed-identifications" (ClavePushChannel *, guint count, gint64 since, gint64 last)
 *                                                     @count identifications with the citizen's
 *                                                     document failed in the last day, the first
 *                                                     at @since and the newest at @last (seconds
 *                                                     since the epoch): tell the person. Comes on
 *                                                     connect and with each new failure.
 *
 * Reconnects after network loss or a service restart with exponential
 * backoff from 1 s to 60 s with jitter; the backoff resets once a
 * connection has stayed online 10 s. GNetworkMonitor: losing the network
 * drops the connection at once, getting it back retries at once. On every connect the service first sends
 * every pending request, so "request" can repeat an id already seen: the
 * app should key its views by id. Authentication failures (signature
 * rejected, unknown device) keep retrying at the slowest pace; the app
 * may watch "last-error" to say why.
 */

#include <gio/gio.h>

#include "clave-client-enums.h"
#include "clave-service-client.h"

G_BEGIN_DECLS

typedef enum {
  CLAVE_PUSH_STATE_OFFLINE,      /* not connected: stopped, or waiting to retry */
  CLAVE_PUSH_STATE_CONNECTING,
  CLAVE_PUSH_STATE_ONLINE,       /* "Receiving requests" */
} ClavePushState;

#define CLAVE_TYPE_PUSH_CHANNEL (clave_push_channel_get_type ())
G_DECLARE_FINAL_TYPE (ClavePushChannel, clave_push_channel, CLAVE, PUSH_CHANNEL, GObject)

/* @key: a ClavePushKey, or an unlocked ClaveDeviceKey. */
ClavePushChannel *clave_push_channel_new             (ClaveServiceClient *client,
                                                      gpointer            key,
                                                      const char         *device_id);
void              clave_push_channel_start           (ClavePushChannel   *self);
void              clave_push_channel_stop            (ClavePushChannel   *self);
gboolean          clave_push_channel_is_started      (ClavePushChannel   *self);
void              clave_push_channel_reconnect_now   (ClavePushChannel   *self);
ClavePushState    clave_push_channel_get_state       (ClavePushChannel   *self);
/* Seconds until the next connection attempt while waiting (0 otherwise). */
guint             clave_push_channel_get_retry_in    (ClavePushChannel   *self);
/* Why the last attempt or connection failed (translated), or NULL.
 * Property "last-error" (GError boxed). */
const GError     *clave_push_channel_get_last_error  (ClavePushChannel   *self);

G_END_DECLS
