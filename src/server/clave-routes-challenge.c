/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-codes.h"
#include "clave-crypto.h"
#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

/* POST /v1/challenges: a one-time value for a certificate proof. */
void
_clave_routes_challenge (ClaveServer       *self,
                         SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = NULL;
  g_autofree char *random_id = NULL;
  g_autofree char *id = NULL;
  g_autofree char *challenge = NULL;
  const char *address = soup_server_message_get_remote_host (msg);
  gint64 now = _clave_server_now ();
  gint64 wait;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;

  if (address == NULL)
    address = "";
  times = clave_store_list_challenges (self->store, address, now - CLAVE_CHALLENGE_WINDOW_SECS,
                                       &error);
  if (times == NULL)
    {
      clave_http_reply_internal (msg, error);
      return;
    }
  wait = _clave_window_wait (times, CLAVE_CHALLENGE_MAX_PER_ADDRESS, CLAVE_CHALLENGE_WINDOW_SECS,
                             now);
  if (wait > 0)
    {
      clave_http_reply_error_int (msg, CLAVE_HTTP_STATUS_TOO_MANY_REQUESTS,
                                  CLAVE_ERR_TOO_MANY_ATTEMPTS,
                                  "Too many challenges from this address; wait and try again.",
                                  "retry_after", wait);
      return;
    }

  random_id = clave_random_token (16);
  id = g_strconcat ("ch_", random_id, NULL);
  challenge = clave_random_token (CLAVE_CHALLENGE_BYTES);
  if (!clave_store_create_challenge (self->store, id, challenge, address, now,
                                     now + CLAVE_CHALLENGE_TTL_SECS, &error))
    {
      clave_http_reply_internal (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "challenge");
  json_builder_add_string_value (builder, challenge);
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, CLAVE_CHALLENGE_TTL_SECS);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
}
