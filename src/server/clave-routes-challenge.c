/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-cert-proof.h"
#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-routes.h"

/* POST /v1/challenges: a one-time value for a certificate proof
 * (_clave_cert_proof_new_challenge()). */
void
_clave_routes_challenge (ClaveServer       *self,
                         SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *challenge = NULL;
  const char *address = soup_server_message_get_remote_host (msg);

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    return;

  if (!_clave_cert_proof_new_challenge (self, address != NULL ? address : "",
                                        _clave_server_now (), &id, &challenge, &error))
    {
      clave_http_reply_gerror (msg, error);
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
