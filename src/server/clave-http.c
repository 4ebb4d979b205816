/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-http.h"
#include "clave-protocol-error.h"
#include "clave-json.h"
#include "clave-protocol.h"

#define BODY_TOO_LARGE_KEY "clave-body-too-large"
#define BODY_SEEN_KEY      "clave-body-seen"
#define STARTED_KEY        "clave-started-us"
/* Content-Length digits that surely fit in a gint64. */
#define MAX_LENGTH_DIGITS  18

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

gboolean
clave_http_method_is (SoupServerMessage *msg,
                      const char        *method)
{
  return g_strcmp0 (soup_server_message_get_method (msg), method) == 0;
}

void
clave_http_reply_method_not_allowed (SoupServerMessage *msg,
                                     const char        *allow)
{
  clave_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED,
                          "This method is not allowed on this path.");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
}

void
clave_http_reply_gerror (SoupServerMessage *msg,
                         const GError      *error)
{
  guint status = clave_protocol_error_get_status (error);
  const char *code = clave_protocol_error_get_name (error);
  gint64 retry_after = clave_protocol_error_get_retry_after (error);
  gint attempts_left = clave_protocol_error_get_attempts_left (error);
  const char *issuer = clave_protocol_error_get_issuer (error);

  if (error->domain != CLAVE_PROTOCOL_ERROR || error->code == CLAVE_PROTOCOL_ERROR_INTERNAL)
    clave_http_reply_internal (msg, error);
  else if (retry_after > 0)
    clave_http_reply_error_int (msg, status, code, error->message, "retry_after", retry_after);
  else if (attempts_left >= 0)
    clave_http_reply_error_int (msg, status, code, error->message, "attempts_left",
                                attempts_left);
  else if (issuer != NULL)
    clave_http_reply_error_string (msg, status, code, error->message, CLAVE_ERR_MEMBER_ISSUER,
                                   issuer);
  else
    clave_http_reply_error (msg, status, code, error->message);
}

gsize
clave_http_body_limit (SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *path = uri != NULL ? g_uri_get_path (uri) : NULL;

  /* The pictures of a video identification, and nothing else, are large. */
  if (clave_http_method_is (msg, SOUP_METHOD_PUT) && path != NULL &&
      g_str_has_prefix (path, CLAVE_PATH_VIDEO_REGISTRATION_PREFIX) &&
      strstr (path, "/images/") != NULL)
    return CLAVE_VIDEO_MAX_IMAGE_BYTES;
  return CLAVE_MAX_BODY;
}

static void
reply_too_large (SoupServerMessage *msg)
{
  g_autofree char *message = g_strdup_printf ("The request body is larger than %" G_GSIZE_FORMAT
                                              " KiB.", clave_http_body_limit (msg) / 1024);

  clave_http_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, CLAVE_ERR_BODY_TOO_LARGE,
                          message);
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

  if (seen > clave_http_body_limit (msg))
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
      soup_message_headers_get_content_length (headers) > (goffset) clave_http_body_limit (msg))
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
      request_body->length > (goffset) clave_http_body_limit (msg))
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
  if (!clave_json_is_strict (data, len) ||
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

static gboolean
is_decimal_length (const char *value)
{
  gsize len = strlen (value);

  if (len == 0 || len > MAX_LENGTH_DIGITS)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (value[i]))
      return FALSE;
  return TRUE;
}

gboolean
clave_http_check_framing (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  guint lengths = 0, hosts = 0, transfer_encodings = 0;
  gboolean length_ok = TRUE;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "Content-Length") == 0)
        {
          lengths++;
          length_ok = length_ok && is_decimal_length (value);
        }
      else if (g_ascii_strcasecmp (name, "Host") == 0)
        hosts++;
      else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
        transfer_encodings++;
    }

  /* Where two readers of these headers could disagree on where the
   * request ends or whom it is for (RFC 9112 sections 3.2 and 6.3),
   * nothing of it is read. libsoup takes "-1" for "until the end of the
   * connection" and "+5" for 5. */
  if (lengths <= 1 && length_ok && hosts <= 1 && (lengths == 0 || transfer_encodings == 0))
    return TRUE;

  clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                          "The request has more than one Host or Content-Length header, a "
                          "Content-Length that is not a number, or both Content-Length and "
                          "Transfer-Encoding.");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  return FALSE;
}

void
clave_http_note_request_start (SoupServerMessage *msg)
{
  gint64 now = g_get_monotonic_time ();

  g_object_set_data_full (G_OBJECT (msg), STARTED_KEY, g_memdup2 (&now, sizeof now), g_free);
}

void
clave_http_log_request (SoupServerMessage *msg,
                        const char        *outcome)
{
  const gint64 *started = g_object_get_data (G_OBJECT (msg), STARTED_KEY);
  GUri *uri = soup_server_message_get_uri (msg);
  double ms = started != NULL ? (double) (g_get_monotonic_time () - *started) / 1000.0 : 0.0;

  /* Method, path, status and time only: bodies, queries and headers hold
   * tokens, codes and personal data. */
  g_info ("%s %s %u %.1f ms%s%s",
          soup_server_message_get_method (msg) != NULL ? soup_server_message_get_method (msg) : "-",
          uri != NULL ? g_uri_get_path (uri) : "-",
          soup_server_message_get_status (msg), ms,
          outcome != NULL ? " " : "", outcome != NULL ? outcome : "");
}

gboolean
clave_http_is_path_id (const char *text)
{
  gsize len = 0;

  for (; text[len] != '\0'; len++)
    if (len >= 64 || !(g_ascii_isalnum (text[len]) || text[len] == '-' || text[len] == '_'))
      return FALSE;
  return len > 0;
}
