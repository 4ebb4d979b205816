/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-http.h"
#include "clave-identify.h"
#include "clave-protocol.h"
#include "clave-routes.h"
#include "clave-video-registration.h"

/* Registering by video identification (POST /v1/video-registrations and
 * /v1/video-registrations/{id}…): read the request, call the operation
 * (clave-video-registration.c), write the answer. */

static void
add_images (JsonBuilder *builder,
            GStrv        kinds)
{
  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; kinds[i] != NULL; i++)
    json_builder_add_string_value (builder, kinds[i]);
  json_builder_end_array (builder);
}

/* The registration as its holder sees it: state, pictures kept, and the
 * review's outcome. */
static void
reply_state (ClaveServer            *self,
             SoupServerMessage      *msg,
             const ClaveVideoRecord *record)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_auto(GStrv) kinds = clave_video_list_images (self, record);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, record->id);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, clave_video_state_to_string (record->state));
  add_images (builder, kinds);
  if (record->state == CLAVE_VIDEO_PHONE || record->state == CLAVE_VIDEO_CAPTURING)
    {
      json_builder_set_member_name (builder, "expires_at");
      json_builder_add_int_value (builder, record->expires_at);
    }
  if (record->submitted_at > 0)
    {
      json_builder_set_member_name (builder, "submitted_at");
      json_builder_add_int_value (builder, record->submitted_at);
    }
  if (record->decided_at > 0)
    {
      json_builder_set_member_name (builder, "decided_at");
      json_builder_add_int_value (builder, record->decided_at);
    }
  if (record->state == CLAVE_VIDEO_REJECTED && record->reason != NULL)
    {
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, record->reason);
    }
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
start (ClaveServer       *self,
       SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = clave_http_read_json_object (msg, NULL);
  g_autoptr(ClaveVideoStart) started = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *source = NULL;
  const char *document = NULL, *kind = NULL, *value = NULL, *phone = NULL, *email = NULL;

  if (body == NULL || !clave_http_member_string (msg, body, "document", &document) ||
      !_clave_routes_read_contrast (msg, body, &kind, &value) ||
      !clave_http_member_string (msg, body, "phone", &phone) ||
      !clave_http_member_string (msg, body, "email", &email))
    return;
  if (!_clave_routes_phone_is_valid (phone))
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PHONE,
                              "The phone must be in E.164 form: + and 8 to 15 digits.");
      return;
    }
  if (!_clave_routes_email_is_valid (email))
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_EMAIL,
                              "The e-mail address is not valid.");
      return;
    }

  source = _clave_identify_source_for_address (soup_server_message_get_remote_host (msg));
  started = clave_video_start (self, document, kind, value, phone, email, source,
                               _clave_server_now (), &error);
  if (started == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, started->id);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, started->token);
  _clave_routes_add_code_sent (builder, &started->sent);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_CREATED, builder);
}

/* The picture of a PUT: an image/jpeg or image/png body (the bytes are
 * checked again whatever the header says). */
static void
put_image (ClaveServer       *self,
           SoupServerMessage *msg,
           ClaveVideoRecord  *record,
           const char        *kind)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;

  if (type == NULL || (g_ascii_strcasecmp (type, "image/jpeg") != 0 &&
                       g_ascii_strcasecmp (type, "image/png") != 0))
    {
      clave_http_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                              CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE,
                              "A picture is sent as image/jpeg or image/png.");
      return;
    }
  if (!clave_http_get_body (msg, &data))
    return;
  if (!clave_video_put_image (self, record, kind, data, &error))
    {
      clave_http_reply_gerror (msg, error);
      return;
    }
  reply_state (self, msg, record);
}

void
_clave_routes_video (ClaveServer       *self,
                     SoupServerMessage *msg,
                     const char        *id,
                     const char        *step)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveVideoRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(ClaveCodeSent) sent = { 0, };
  const char *code = NULL;
  gint64 now = _clave_server_now ();
  gboolean ok = TRUE;

  if (id == NULL)
    {
      start (self, msg);
      return;
    }

  /* The body's form first, before anything is looked up. */
  if (g_str_equal (step, "/sms") || g_str_equal (step, "/verify") ||
      g_str_equal (step, "/submit"))
    {
      body = clave_http_read_json_object (msg, NULL);
      if (body == NULL)
        return;
      if (g_str_equal (step, "/verify"))
        {
          if (!clave_http_member_string (msg, body, "code", &code))
            return;
          if (!_clave_codes_is_code (code))
            {
              clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                                      "The code must be 6 digits.");
              return;
            }
        }
    }

  record = clave_video_open (self, id, clave_http_bearer_token (msg), now, &error);
  if (record == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }

  if (g_str_has_prefix (step, "/images/"))
    {
      put_image (self, msg, record, step + strlen ("/images/"));
      return;
    }
  if (g_str_equal (step, "/sms"))
    ok = clave_video_send_code (self, record, now, &sent, &error);
  else if (g_str_equal (step, "/verify"))
    ok = clave_video_verify_code (self, record, code, now, &error);
  else if (g_str_equal (step, "/submit"))
    ok = clave_video_submit (self, record, now, &error);

  if (!ok)
    clave_http_reply_gerror (msg, error);
  else if (g_str_equal (step, "/sms"))
    _clave_routes_reply_code_sent (msg, SOUP_STATUS_OK, NULL, &sent);
  else
    reply_state (self, msg, record);
}
