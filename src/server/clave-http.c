/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-http.h"
#include "clave-protocol.h"

#define BODY_TOO_LARGE_KEY "clave-body-too-large"
#define BODY_SEEN_KEY      "clave-body-seen"

static void
set_json_response (SoupServerMessage *msg,
                   guint              status,
                   JsonNode          *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize len = 0;
  char *data;

  json_generator_set_root (generator, root);
  data = json_generator_to_data (generator, &len);

  soup_server_message_set_status (msg, status, NULL);
  /* Answers carry tokens and personal data: no cache may keep them. */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, data, len);
}

void
clave_http_reply_builder (SoupServerMessage *msg,
                          guint              status,
                          JsonBuilder       *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  set_json_response (msg, status, root);
}

/* {"error": code, "message": message} and, unless @member is NULL, one
 * more member whose value @value is taken. */
static void
reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *code,
             const char        *message,
             const char        *member,
             JsonNode          *value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  if (member != NULL)
    {
      json_builder_set_member_name (builder, member);
      json_builder_add_value (builder, value);
    }
  json_builder_end_object (builder);

  clave_http_reply_builder (msg, status, builder);
}

void
clave_http_reply_error (SoupServerMessage *msg,
                        guint              status,
                        const char        *code,
                        const char        *message)
{
  reply_error (msg, status, code, message, NULL, NULL);
}

void
clave_http_reply_error_int (SoupServerMessage *msg,
                            guint              status,
                            const char        *code,
                            const char        *message,
                            const char        *member,
                            gint64             value)
{
  reply_error (msg, status, code, message, member, json_node_init_int (json_node_alloc (), value));

  if (g_strcmp0 (member, "retry_after") == 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, value);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", seconds);
    }
}

void
clave_http_reply_error_string (SoupServerMessage *msg,
                               guint              status,
                               const char        *code,
                               const char        *message,
                               const char        *member,
                               const char        *value)
{
  reply_error (msg, status, code, message, member,
               json_node_init_string (json_node_alloc (), value));
}

void
clave_http_reply_internal (SoupServerMessage *msg,
                           const GError      *error)
{
  /* The detail goes to the log, never to the client. */
  g_warning ("%s %s: %s", soup_server_message_get_method (msg),
             g_uri_get_path (soup_server_message_get_uri (msg)),
             error != NULL ? error->message : "internal error");
  clave_http_reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, CLAVE_ERR_INTERNAL,
                          "The service failed; try again later.");
}

static void
reply_too_large (SoupServerMessage *msg)
{
  clave_http_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, CLAVE_ERR_BODY_TOO_LARGE,
                          "The request body is larger than 64 KiB.");
  /* The rest of an oversized body is not worth reading on this
   * connection. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  gsize seen = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), BODY_SEEN_KEY));

  seen += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), BODY_SEEN_KEY, GSIZE_TO_POINTER (MIN (seen, G_MAXSIZE / 2)));

  if (seen > CLAVE_MAX_BODY)
    {
      /* Keep draining the connection, but stop keeping the bytes. */
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      g_object_set_data (G_OBJECT (msg), BODY_TOO_LARGE_KEY, GINT_TO_POINTER (TRUE));
    }
}

void
clave_http_watch_body (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > CLAVE_MAX_BODY)
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      reply_too_large (msg);
      return;
    }

  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), NULL);
}

gboolean
clave_http_get_body (SoupServerMessage  *msg,
                     GBytes            **body)
{
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);

  if (g_object_get_data (G_OBJECT (msg), BODY_TOO_LARGE_KEY) != NULL ||
      request_body->length > CLAVE_MAX_BODY)
    {
      reply_too_large (msg);
      return FALSE;
    }

  *body = soup_message_body_flatten (request_body);
  return TRUE;
}

static gboolean
content_type_is_json (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GHashTable) params = NULL;
  const char *type = soup_message_headers_get_content_type (headers, &params);
  const char *charset;

  if (type == NULL || g_ascii_strcasecmp (type, "application/json") != 0)
    return FALSE;

  charset = params != NULL ? g_hash_table_lookup (params, "charset") : NULL;
  return charset == NULL || g_ascii_strcasecmp (charset, "utf-8") == 0;
}

/* json-glib parses recursively; a body of 64 KiB of brackets would use
 * the whole stack. Requests of this protocol nest two levels deep. */
#define MAX_JSON_DEPTH 32

/* What json-glib gets wrong, found before it parses: nesting deeper than
 * MAX_JSON_DEPTH, and the escape \u0000, which json-glib would turn into
 * a C string cut short at the NUL ("12345678Z\u0000junk" would read as
 * "12345678Z"). */
static gboolean
json_prescan_ok (const char *data,
                 gsize       len)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            {
              if (len - i > 5 && memcmp (data + i + 1, "u0000", 5) == 0)
                return FALSE;
              i++;
            }
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_JSON_DEPTH)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return TRUE;
}

JsonObject *
clave_http_read_json_object (SoupServerMessage  *msg,
                             GBytes            **out_body)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  const char *data;
  gsize len = 0;

  if (!clave_http_get_body (msg, &body))
    return NULL;

  data = g_bytes_get_data (body, &len);

  if (len == 0)
    {
      if (out_body != NULL)
        *out_body = g_steal_pointer (&body);
      return json_object_new ();
    }

  if (!content_type_is_json (msg))
    {
      clave_http_reply_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                              CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE,
                              "The request body must be application/json (UTF-8).");
      return NULL;
    }

  /* json-glib wants text: embedded NULs or broken UTF-8 are not JSON. */
  parser = json_parser_new_immutable ();
  if (!g_utf8_validate (data, (gssize) len, NULL) ||
      !json_prescan_ok (data, len) ||
      !json_parser_load_from_data (parser, data, (gssize) len, NULL))
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_JSON,
                              "The request body is not valid JSON.");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                              "The request body must be a JSON object.");
      return NULL;
    }

  if (out_body != NULL)
    *out_body = g_steal_pointer (&body);
  return json_object_ref (json_node_get_object (root));
}

static gboolean
reply_bad_member (SoupServerMessage *msg,
                  const char        *name,
                  const char        *expected)
{
  g_autofree char *message = g_strdup_printf ("The member \"%s\" must be %s.", name, expected);

  clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST, message);
  return FALSE;
}

gboolean
clave_http_member_string (SoupServerMessage  *msg,
                          JsonObject         *object,
                          const char         *name,
                          const char        **value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return reply_bad_member (msg, name, "a string");

  *value = json_node_get_string (node);
  return TRUE;
}

const char *
clave_http_bearer_token (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  const char *token;

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Bearer ", 7) != 0)
    return NULL;
  token = authorization + 7;
  while (*token == ' ')
    token++;
  return *token != '\0' ? token : NULL;
}

gboolean
clave_http_member_object (SoupServerMessage  *msg,
                          JsonObject         *object,
                          const char         *name,
                          JsonObject        **value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return reply_bad_member (msg, name, "an object");

  *value = json_node_get_object (node);
  return TRUE;
}
