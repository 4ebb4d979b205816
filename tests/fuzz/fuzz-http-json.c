/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Request JSON (src/server/clave-http.c): the body of every POST the
 * service reads, through clave_http_read_json_object() and the member
 * readers the routes use, on a SoupServerMessage made without a server or
 * a connection (what these functions read and write of it, headers, body
 * and answer, needs neither). The first byte of the input picks the
 * Content-Type (0-9: content_types[] below); the rest is the body.
 *
 * Properties (docs/protocol.md "Transport"):
 * - client input never gets a 5xx; a refusal is 400 invalid_json or
 *   invalid_request, 413 body_too_large or 415 unsupported_media_type,
 *   with a JSON body {"error", "message"}; 415 exactly for a non-empty body
 *   of another type;
 * - an accepted body is a JSON object (an empty body: {}): valid UTF-8 and
 *   RFC 8259 JSON by a grammar written here apart from the service's, that
 *   nests at most 32 levels, holds no \u0000 escape or lone surrogate
 *   escape, has only valid UTF-8 strings and no object with two members of
 *   one name (the strict parser of the protocol: a name read twice could
 *   mean two things to two readers), and the body handed back is the body
 *   received; and the other way round, such an object is accepted (unless
 *   json-glib itself cannot read it, e.g. a number past its range);
 * - the member readers accept exactly a member of the right JSON type, and
 *   otherwise answer 400 invalid_request. */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "clave-http.h"
#include "clave-protocol.h"
#include "fuzz-common.h"
#include "fuzz-json.h"

#define MAX_JSON_DEPTH 32   /* clave-http.c, docs/protocol.md */

static const char * const content_types[] = {
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=UTF-8",
  "Application/JSON",
  "application/json; charset=\"utf-8\"",
  "application/json; charset=iso-8859-1",
  "application/json; profile=x",
  "text/plain",
  "application/jsonx",
  NULL,
};

/* The members the routes read, by JSON type. */
static const char * const string_members[] = {
  "document", "kind", "value", "code", "public_key", "proof", "name", "push_key", "phone",
  "email", "type", "pin", "challenge_id", "algorithm", "signature",
};
static const char * const object_members[] = { "contrast", "proof" };

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_setup (0);
  return 0;
}

static SoupServerMessage *
new_message (const char   *content_type,
             const guint8 *body,
             gsize         size)
{
  SoupServerMessage *msg = g_object_new (SOUP_TYPE_SERVER_MESSAGE, NULL);

  if (content_type != NULL)
    soup_message_headers_replace (soup_server_message_get_request_headers (msg), "Content-Type",
                                  content_type);
  if (size > 0)
    soup_message_body_append (soup_server_message_get_request_body (msg), SOUP_MEMORY_COPY,
                              body, size);
  return msg;
}

/* The answer is a protocol error of @status: JSON {"error": one of
 * @codes, "message": "..."}. */
static void
check_error_answer (SoupServerMessage  *msg,
                    guint               status,
                    const char * const *codes)
{
  SoupMessageBody *response = soup_server_message_get_response_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (response);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  JsonObject *object;
  const char *code;

  FUZZ_CHECK (soup_server_message_get_status (msg) == status, "status %u, expected %u",
              soup_server_message_get_status (msg), status);
  FUZZ_CHECK (json_parser_load_from_data (parser, data, (gssize) size, NULL) &&
              JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)),
              "error answer is not a JSON object: %.*s", (int) size, data);
  object = json_node_get_object (json_parser_get_root (parser));
  code = json_object_get_string_member_with_default (object, "error", NULL);
  FUZZ_CHECK (code != NULL && g_strv_contains (codes, code), "error code %s", code);
  FUZZ_CHECK (json_object_get_string_member_with_default (object, "message", NULL) != NULL,
              "no message");
}

/* json-glib emits "object-member" once per member it reads; an object
 * that ends with fewer members than that had a name twice. */
static void
on_object_member (JsonParser *parser,
                  JsonObject *object,
                  const char *name,
                  GHashTable *counts)
{
  guint seen = GPOINTER_TO_UINT (g_hash_table_lookup (counts, object));

  g_hash_table_replace (counts, json_object_ref (object), GUINT_TO_POINTER (seen + 1));
}

static gboolean
has_duplicate_members (const char *data,
                       gsize       size)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) counts = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                                        (GDestroyNotify) json_object_unref, NULL);
  GHashTableIter iter;
  gpointer object, seen;

  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), counts);
  if (!json_parser_load_from_data (parser, data, (gssize) size, NULL))
    return FALSE;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &object, &seen))
    if (json_object_get_size (object) != GPOINTER_TO_UINT (seen))
      return TRUE;
  return FALSE;
}

static void
check_members (JsonObject *object)
{
  static const char * const invalid_request[] = { CLAVE_ERR_INVALID_REQUEST, NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (string_members); i++)
    {
      g_autoptr(SoupServerMessage) msg = new_message (NULL, NULL, 0);
      JsonNode *node = json_object_get_member (object, string_members[i]);
      gboolean expected = node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
                          json_node_get_value_type (node) == G_TYPE_STRING;
      const char *value = NULL;

      FUZZ_CHECK (clave_http_member_string (msg, object, string_members[i], &value) == expected,
                  "member \"%s\" as a string", string_members[i]);
      if (expected)
        FUZZ_CHECK (value != NULL && soup_server_message_get_status (msg) == 0, "answered");
      else
        check_error_answer (msg, SOUP_STATUS_BAD_REQUEST, invalid_request);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (object_members); i++)
    {
      g_autoptr(SoupServerMessage) msg = new_message (NULL, NULL, 0);
      JsonNode *node = json_object_get_member (object, object_members[i]);
      JsonObject *value = NULL;

      if (clave_http_member_object (msg, object, object_members[i], &value))
        {
          FUZZ_CHECK (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
                      value == json_node_get_object (node), "member \"%s\"", object_members[i]);
          /* The routes read strings inside ("contrast": kind, value). */
          check_members (value);
        }
      else
        {
          FUZZ_CHECK (node == NULL || !JSON_NODE_HOLDS_OBJECT (node), "member \"%s\"",
                      object_members[i]);
          check_error_answer (msg, SOUP_STATUS_BAD_REQUEST, invalid_request);
        }
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const char * const refusals[] = {
    CLAVE_ERR_INVALID_JSON, CLAVE_ERR_INVALID_REQUEST, NULL
  };
  static const char * const too_large[] = { CLAVE_ERR_BODY_TOO_LARGE, NULL };
  static const char * const media_type[] = { CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE, NULL };
  g_autoptr(SoupServerMessage) msg = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GBytes) body_out = NULL;
  const char *content_type;
  const char *body;
  gboolean json_type;
  gboolean rfc_ok;
  FuzzJson rfc;
  gsize len;

  if (size == 0)
    return 0;

  /* A digit for the seeds; any other byte picks one too. */
  content_type = content_types[g_ascii_isdigit (data[0]) ? (gsize) (data[0] - '0')
                                                         : data[0] % G_N_ELEMENTS (content_types)];
  body = (const char *) data + 1;
  len = size - 1;
  json_type = content_type != NULL &&
              (g_str_has_prefix (content_type, "application/json") ||
               g_str_has_prefix (content_type, "Application/JSON")) &&
              !strstr (content_type, "iso-8859-1") &&
              !g_str_has_prefix (content_type, "application/jsonx");

  msg = new_message (content_type, (const guint8 *) body, len);
  object = clave_http_read_json_object (msg, &body_out);
  rfc_ok = fuzz_json_rfc8259 (body, len, &rfc);

  FUZZ_CHECK (soup_server_message_get_status (msg) < 500, "a 5xx for client input");

  if (object == NULL)
    {
      FUZZ_CHECK (len > 0, "an empty body was refused");
      if (len > CLAVE_MAX_BODY)
        check_error_answer (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, too_large);
      else if (!json_type)
        check_error_answer (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, media_type);
      else
        check_error_answer (msg, SOUP_STATUS_BAD_REQUEST, refusals);

      /* What the protocol takes, refused: only what json-glib itself
       * cannot read (numbers past its range) may be. */
      if (json_type && len <= CLAVE_MAX_BODY && rfc_ok && *fuzz_json_skip_ws (body, len) == '{' &&
          g_utf8_validate (body, (gssize) len, NULL) && rfc.max_depth <= MAX_JSON_DEPTH &&
          !rfc.nul_escape && !rfc.lone_surrogate)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();

          FUZZ_CHECK (!json_parser_load_from_data (parser, body, (gssize) len, NULL) ||
                      has_duplicate_members (body, len),
                      "refused a JSON object the protocol takes: %.*s", (int) len, body);
        }
      return 0;
    }

  FUZZ_CHECK (soup_server_message_get_status (msg) == 0, "answered though it accepted");
  FUZZ_CHECK (body_out != NULL && g_bytes_get_size (body_out) == len &&
              (len == 0 || memcmp (g_bytes_get_data (body_out, NULL), body, len) == 0),
              "the body handed back is not the body received");

  if (len > 0)
    {
      g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), object);

      FUZZ_CHECK (json_type, "accepted as %s", content_type);
      FUZZ_CHECK (g_utf8_validate (body, (gssize) len, NULL), "accepted text that is not UTF-8");
      FUZZ_CHECK (rfc_ok, "accepted what is not RFC 8259 JSON: %.*s", (int) len, body);
      FUZZ_CHECK (rfc.max_depth <= MAX_JSON_DEPTH, "accepted %u levels", rfc.max_depth);
      FUZZ_CHECK (!rfc.nul_escape, "accepted a \\u0000 escape");
      FUZZ_CHECK (!rfc.lone_surrogate, "accepted a lone surrogate escape");
      FUZZ_CHECK (fuzz_json_is_valid_utf8 (root), "accepted a string that is not UTF-8");
      FUZZ_CHECK (!has_duplicate_members (body, len), "accepted an object with a name twice");
    }
  else
    FUZZ_CHECK (json_object_get_size (object) == 0, "an empty body is not {}");

  check_members (object);
  return 0;
}
