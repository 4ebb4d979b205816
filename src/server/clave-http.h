/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* libsoup 3.2 has no name for it. */
#define CLAVE_HTTP_STATUS_TOO_MANY_REQUESTS 429

/* JSON request and response helpers for the routes. Every function that
 * returns FALSE or NULL has already answered @msg with the documented
 * error (docs/protocol.md "Transport"). */

/* Early handler part: refuses a declared Content-Length above the cap
 * before the body is read, and watches chunked bodies so that they are
 * not kept in memory past the cap. */
void        clave_http_watch_body          (SoupServerMessage  *msg);

/* Early handler part: FALSE (400 invalid_request answered, and the
 * connection closed after it) when the request's framing is ambiguous:
 * Content-Length repeated, not a plain number, or beside
 * Transfer-Encoding; Host repeated. */
gboolean    clave_http_check_framing       (SoupServerMessage  *msg);

/* The request's first byte came (the time its log line shows). */
void        clave_http_note_request_start  (SoupServerMessage  *msg);
/* One info line: method, path, status, time and @outcome (may be NULL). */
void        clave_http_log_request         (SoupServerMessage  *msg,
                                            const char         *outcome);

/* The request body (never NULL); FALSE (413 body_too_large) when it is
 * over the cap. */
gboolean    clave_http_get_body            (SoupServerMessage  *msg,
                                            GBytes            **body);

/* Reads the body as a JSON object: 413, 415 unsupported_media_type,
 * 400 invalid_json, 400 invalid_request (not an object). An empty body
 * counts as {}. */
JsonObject *clave_http_read_json_object    (SoupServerMessage  *msg,
                                            GBytes            **body);

/* Member accessors: missing or of another JSON type is 400
 * invalid_request. */
gboolean    clave_http_member_string       (SoupServerMessage  *msg,
                                            JsonObject         *object,
                                            const char         *name,
                                            const char        **value);
gboolean    clave_http_member_object       (SoupServerMessage  *msg,
                                            JsonObject         *object,
                                            const char         *name,
                                            JsonObject        **value);

/* The token of an "Authorization: Bearer <token>" header, or NULL. */
const char *clave_http_bearer_token        (SoupServerMessage  *msg);

/* Answers with @builder's root (an object the caller completed). */
void        clave_http_reply_builder       (SoupServerMessage  *msg,
                                            guint               status,
                                            JsonBuilder        *builder);
/* {"error": code, "message": message} */
void        clave_http_reply_error         (SoupServerMessage  *msg,
                                            guint               status,
                                            const char         *code,
                                            const char         *message);
/* As above with one extra integer member (attempts_left, retry_after);
 * retry_after also sets the Retry-After header. */
void        clave_http_reply_error_int     (SoupServerMessage  *msg,
                                            guint               status,
                                            const char         *code,
                                            const char         *message,
                                            const char         *member,
                                            gint64              value);
/* As above with one extra string member (valid UTF-8). */
void        clave_http_reply_error_string  (SoupServerMessage  *msg,
                                            guint               status,
                                            const char         *code,
                                            const char         *message,
                                            const char         *member,
                                            const char         *value);
void        clave_http_reply_internal      (SoupServerMessage  *msg,
                                            const GError       *error);
/* Whether @msg's method is @method ("GET", …). */
gboolean    clave_http_method_is           (SoupServerMessage  *msg,
                                            const char         *method);
/* 405 method_not_allowed with the Allow header @allow ("GET, HEAD"). */
void        clave_http_reply_method_not_allowed (SoupServerMessage *msg,
                                                 const char        *allow);
/* Answers an operation's refusal (a CLAVE_PROTOCOL_ERROR, with its
 * retry_after, attempts_left or issuer); any other error is internal. */
void        clave_http_reply_gerror        (SoupServerMessage  *msg,
                                            const GError       *error);

/* The largest body @msg may carry: CLAVE_MAX_BODY, or
 * CLAVE_VIDEO_MAX_IMAGE_BYTES for a picture of a video identification. */
gsize       clave_http_body_limit          (SoupServerMessage  *msg);
/* An id as the service makes them, fit for one segment of a path (or a
 * file name): 1 to 64 letters, digits, '-' or '_'. */
gboolean    clave_http_is_path_id          (const char         *text);

G_END_DECLS
