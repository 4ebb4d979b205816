/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The push channel's frames on the client (src/client/clave-push-channel.c):
 * what the service sends over GET /v1/device/push, handed to the channel's
 * frame handler (_clave_push_channel_handle_message, what the WebSocket's
 * "message" signal calls) of a channel that never connects. The first byte
 * of the input picks a text or a binary frame; the rest is the frame.
 *
 * Properties (docs/protocol.md "Push channel"):
 * - at most one signal per frame, none for a binary frame, none for a text
 *   frame that is not one JSON text (RFC 8259, fuzz-json.c), and only the
 *   one the frame's "event" names;
 * - a "request" carries a request object as the app may show it: an id of
 *   the protocol's alphabet, a type, status, organisation and origin that
 *   are valid UTF-8, a verification code of 3 digits, times >= 0;
 * - a "status" carries an id and a known status;
 * - "deactivated" stops the channel for good (offline, not started);
 * - "failed-identifications" (where the channel has it) carries a count
 *   and a first and last time that make sense. */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "clave-json.h"
#include "clave-protocol.h"
#include "clave-push-channel.h"
#include "clave-push-channel-private.h"
#include "clave-push-key.h"
#include "clave-request-uri.h"
#include "clave-service-client.h"
#include "fuzz-common.h"
#include "fuzz-json.h"

static ClaveServiceClient *client;
static ClavePushKey *key;

typedef struct {
  guint  requests;
  guint  statuses;
  guint  deactivations;
  guint  failures;
} Seen;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_setup (0);
  session = soup_session_new ();
  /* Never contacted: the channel is not started. */
  client = clave_service_client_new (session, "https://127.0.0.1:1");
  key = clave_push_key_generate (&error);
  g_assert_no_error (error);
  return 0;
}

static gboolean
is_id (const char *id)
{
  if (id == NULL || id[0] == '\0')
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
is_text (const char *text)
{
  return text != NULL && g_utf8_validate (text, -1, NULL);
}

static gboolean
is_known_status (const char *status)
{
  return g_strcmp0 (status, CLAVE_AUTH_REQUEST_PENDING) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_CONFIRMED) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_REJECTED) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_EXPIRED) == 0;
}

static void
on_request (ClavePushChannel     *channel,
            ClaveAuthRequestInfo *info,
            Seen                 *seen)
{
  seen->requests++;
  FUZZ_CHECK (is_id (info->id), "request id \"%s\"", info->id);
  FUZZ_CHECK (clave_request_code_is_valid (info->verification_code), "verification code \"%s\"",
              info->verification_code);
  FUZZ_CHECK (info->created_at >= 0 && info->expires_at >= 0, "times");
  FUZZ_CHECK (info->type != NULL && info->status != NULL && info->organisation != NULL &&
              info->origin != NULL, "a member is missing");
  FUZZ_CHECK (is_text (info->type) && is_text (info->status) &&
              is_text (info->organisation) && is_text (info->origin),
              "a text of the request is not UTF-8");
}

static void
on_status (ClavePushChannel *channel,
           const char       *id,
           const char       *status,
           Seen             *seen)
{
  seen->statuses++;
  FUZZ_CHECK (id != NULL, "status without an id");
  FUZZ_CHECK (is_known_status (status), "status \"%s\"", status);
  FUZZ_CHECK (is_text (id), "the id is not UTF-8");
}

static void
on_deactivated (ClavePushChannel *channel,
                Seen             *seen)
{
  seen->deactivations++;
}

static void
on_failed_identifications (ClavePushChannel *channel,
                           guint             count,
                           gint64            since,
                           gint64            last,
                           Seen             *seen)
{
  seen->failures++;
  FUZZ_CHECK (count > 0 && since > 0 && last >= since,
              "failed identifications: %u from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
              count, since, last);
}

/* The "event" member of a text frame that is one JSON object, or NULL. */
static char *
event_of (const char *data,
          gsize       size)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonNode *event;
  FuzzJson info;

  /* Only one JSON text: json-glib takes several in a row, keeps the last
   * and leaks the others; and it leaks on escapes of lone surrogates,
   * which RFC 8259's grammar allows: only what the channel itself gives
   * json-glib (clave_json_is_strict()) goes to it here too. */
  if (!fuzz_json_rfc8259 (data, size, &info) || !clave_json_is_strict (data, size) ||
      !json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  event = json_object_get_member (json_node_get_object (root), "event");
  if (event == NULL || !JSON_NODE_HOLDS_VALUE (event) ||
      json_node_get_value_type (event) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (event));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(ClavePushChannel) channel = NULL;
  g_autoptr(GBytes) frame = NULL;
  g_autofree char *event = NULL;
  Seen seen = { 0 };
  FuzzJson info;
  gboolean one_text;
  guint signals;
  int type;

  if (size == 0)
    return 0;

  type = data[0] & 1 ? SOUP_WEBSOCKET_DATA_BINARY : SOUP_WEBSOCKET_DATA_TEXT;
  frame = g_bytes_new (data + 1, size - 1);
  one_text = fuzz_json_rfc8259 ((const char *) data + 1, size - 1, &info);

  channel = clave_push_channel_new (client, key, "dev_fuzz");
  g_signal_connect (channel, "request", G_CALLBACK (on_request), &seen);
  g_signal_connect (channel, "status", G_CALLBACK (on_status), &seen);
  g_signal_connect (channel, "deactivated", G_CALLBACK (on_deactivated), &seen);
#ifdef CLAVE_PUSH_EVENT_FAILED_IDENTIFICATIONS
  g_signal_connect (channel, "failed-identifications", G_CALLBACK (on_failed_identifications),
                    &seen);
#endif

  _clave_push_channel_handle_message (channel, type, frame);

  signals = seen.requests + seen.statuses + seen.deactivations + seen.failures;
  FUZZ_CHECK (signals <= 1, "%u signals for a frame", signals);
  if (type == SOUP_WEBSOCKET_DATA_BINARY)
    {
      FUZZ_CHECK (signals == 0, "a binary frame was read");
      return 0;
    }

  /* What the channel acts on is one JSON text (docs/protocol.md: frames
   * are JSON), as the service's own requests must be. */
  FUZZ_CHECK (signals == 0 || one_text, "acted on a frame that is not one strict JSON text");

  event = event_of ((const char *) data + 1, size - 1);
  if (seen.requests > 0)
    FUZZ_CHECK (g_strcmp0 (event, CLAVE_PUSH_EVENT_REQUEST) == 0, "a request for event %s", event);
  if (seen.statuses > 0)
    FUZZ_CHECK (g_strcmp0 (event, CLAVE_PUSH_EVENT_STATUS) == 0, "a status for event %s", event);
#ifdef CLAVE_PUSH_EVENT_FAILED_IDENTIFICATIONS
  if (seen.failures > 0)
    FUZZ_CHECK (g_strcmp0 (event, CLAVE_PUSH_EVENT_FAILED_IDENTIFICATIONS) == 0,
                "failed identifications for event %s", event);
#endif
  FUZZ_CHECK ((seen.deactivations > 0) == (g_strcmp0 (event, CLAVE_PUSH_EVENT_DEACTIVATED) == 0),
              "deactivated for event %s", event);
  if (seen.deactivations > 0)
    FUZZ_CHECK (!clave_push_channel_is_started (channel) &&
                clave_push_channel_get_state (channel) == CLAVE_PUSH_STATE_OFFLINE,
                "still on after deactivated");

  return 0;
}
