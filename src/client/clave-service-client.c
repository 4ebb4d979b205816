/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-service-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"
#include "clave-protocol.h"
#include "clave-request-uri.h"
#include "clave-service-client.h"
#include "clave-service-client-call.h"
#include "clave-service-client-private.h"
#include "clave-x509.h"

/* The URI flags libsoup itself normalises with, so that the string we
 * sign is the URI libsoup sends (default port dropped, path kept as is). */
#define CLIENT_URI_FLAGS (G_URI_FLAGS_ENCODED_PATH | G_URI_FLAGS_ENCODED_QUERY | \
                          G_URI_FLAGS_SCHEME_NORMALIZE)

struct _ClaveServiceClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;
  GUri        *base_uri;   /* NULL when base_url is not an https URI */
};

G_DEFINE_FINAL_TYPE (ClaveServiceClient, clave_service_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_BASE_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* GObject */

static void
clave_service_client_constructed (GObject *object)
{
  ClaveServiceClient *self = CLAVE_SERVICE_CLIENT (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;

  G_OBJECT_CLASS (clave_service_client_parent_class)->constructed (object);

  if (self->session == NULL)
    self->session = soup_session_new ();

  uri = g_uri_parse (self->base_url ? self->base_url : "", CLIENT_URI_FLAGS, &error);
  if (uri == NULL)
    g_debug ("Service address is not a URI: %s", error->message);
  else if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0 ||
           g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    g_debug ("Service address is not an https URI with a host");
  else
    self->base_uri = g_steal_pointer (&uri);
}

static void
clave_service_client_finalize (GObject *object)
{
  ClaveServiceClient *self = CLAVE_SERVICE_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->base_uri, g_uri_unref);

  G_OBJECT_CLASS (clave_service_client_parent_class)->finalize (object);
}

static void
clave_service_client_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ClaveServiceClient *self = CLAVE_SERVICE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_service_client_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ClaveServiceClient *self = CLAVE_SERVICE_CLIENT (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;
    case PROP_BASE_URL:
      self->base_url = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_service_client_class_init (ClaveServiceClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = clave_service_client_constructed;
  object_class->finalize = clave_service_client_finalize;
  object_class->get_property = clave_service_client_get_property;
  object_class->set_property = clave_service_client_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         SOUP_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_service_client_init (ClaveServiceClient *self)
{
}

ClaveServiceClient *
clave_service_client_new (SoupSession *session,
                          const char  *base_url)
{
  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);
  g_return_val_if_fail (base_url != NULL, NULL);

  return g_object_new (CLAVE_TYPE_SERVICE_CLIENT,
                       "session", session,
                       "base-url", base_url,
                       NULL);
}

ClaveServiceClient *
clave_service_client_new_for_profile (ClaveProfile  *profile,
                                      GError       **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(ClaveServiceClient) client = NULL;
  g_autofree char *url = NULL;

  g_return_val_if_fail (CLAVE_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  session = clave_profile_create_session (profile, error);
  if (session == NULL)
    return NULL;

  url = clave_profile_dup_service_url (profile);
  client = clave_service_client_new (session, url);
  if (client->base_uri == NULL)
    {
      g_set_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK,
                   _("The address of the Cl@ve service “%s” is not valid: it must start with https://. Check the service address."),
                   url);
      return NULL;
    }

  return g_steal_pointer (&client);
}

const char *
clave_service_client_get_base_url (ClaveServiceClient *self)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);

  return self->base_url;
}

/* JSON reading: every member is checked for its type, a wrong one is a
 * PROTOCOL error rather than a critical from json-glib. */

GError *
_clave_client_protocol_error (const char *what)
{
  g_debug ("Unexpected answer from the service: %s", what);
  return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL,
                              _("The Cl@ve service gave an answer Clave Desktop does not understand. Check the service address or update Clave Desktop."));
}

JsonNode *
_clave_client_get_member (JsonObject *object,
                          const char *name,
                          GType       value_type)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != value_type)
    return NULL;

  return node;
}

gboolean
_clave_client_read_string (JsonObject  *object,
                           const char  *name,
                           gboolean     nullable,
                           char       **out,
                           GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (nullable && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
    {
      *out = NULL;
      return TRUE;
    }

  node = _clave_client_get_member (object, name, G_TYPE_STRING);
  if (node == NULL)
    {
      g_autofree char *what = g_strdup_printf ("“%s” missing or not a string", name);

      g_propagate_error (error, _clave_client_protocol_error (what));
      return FALSE;
    }

  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

gboolean
_clave_client_read_uint (JsonObject *object,
                         const char *name,
                         guint      *out,
                         GError    **error)
{
  JsonNode *node = _clave_client_get_member (object, name, G_TYPE_INT64);
  gint64 value;

  if (node == NULL || (value = json_node_get_int (node)) < 0 || value > G_MAXUINT)
    {
      g_autofree char *what = g_strdup_printf ("“%s” missing or not a count", name);

      g_propagate_error (error, _clave_client_protocol_error (what));
      return FALSE;
    }

  *out = (guint) value;
  return TRUE;
}

char *
_clave_client_normalize_phone (const char *phone)
{
  GString *normalized = g_string_new (NULL);

  for (const char *p = phone; *p != '\0'; p++)
    if (!g_ascii_isspace (*p) && strchr ("-.()/", *p) == NULL)
      g_string_append_c (normalized, *p);

  return g_string_free (normalized, FALSE);
}

gboolean
_clave_client_read_sms_members (JsonObject      *object,
                                ClaveSmsStatus  *status,
                                GError         **error)
{
  return _clave_client_read_uint (object, "code_expires_in", &status->code_expires_in, error) &&
         _clave_client_read_uint (object, "resend_after", &status->resend_after, error) &&
         _clave_client_read_uint (object, "sends_left", &status->sends_left, error) &&
         _clave_client_read_string (object, "phone_hint", TRUE, &status->phone_hint, error);
}

gboolean
_clave_client_parse_sms_sent (JsonObject  *root,
                              gpointer    *out,
                              GError     **error)
{
  g_autoptr(ClaveSmsStatus) status = g_new0 (ClaveSmsStatus, 1);
  gboolean sent;

  if (!_clave_client_read_bool (root, "sent", &sent, error) ||
      !_clave_client_read_sms_members (root, status, error))
    return FALSE;

  if (!sent)
    {
      g_propagate_error (error, _clave_client_protocol_error ("“sent” is false on success"));
      return FALSE;
    }

  *out = g_steal_pointer (&status);
  return TRUE;
}

gboolean
_clave_client_read_bool (JsonObject *object,
                         const char *name,
                         gboolean   *out,
                         GError    **error)
{
  JsonNode *node = _clave_client_get_member (object, name, G_TYPE_BOOLEAN);

  if (node == NULL)
    {
      g_autofree char *what = g_strdup_printf ("“%s” missing or not a boolean", name);

      g_propagate_error (error, _clave_client_protocol_error (what));
      return FALSE;
    }

  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
_clave_client_is_valid_id (const char *id)
{
  gsize len = 0;

  if (id == NULL || id[0] == '\0')
    return FALSE;

  for (const char *p = id; *p != '\0'; p++, len++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;

  return len <= ID_MAX_LEN;
}

gboolean
_clave_client_read_id (JsonObject  *object,
                       const char  *name,
                       char       **out,
                       GError     **error)
{
  g_autofree char *id = NULL;

  if (!_clave_client_read_string (object, name, FALSE, &id, error))
    return FALSE;

  if (!_clave_client_is_valid_id (id))
    {
      g_autofree char *what = g_strdup_printf ("“%s” is not an identifier", name);

      g_propagate_error (error, _clave_client_protocol_error (what));
      return FALSE;
    }

  *out = g_steal_pointer (&id);
  return TRUE;
}

/* Requests (the call types are in clave-service-client-call.h) */

static void
call_free (ClaveClientCall *call)
{
  g_clear_object (&call->message);
  g_clear_object (&call->stream);
  g_clear_pointer (&call->body, g_byte_array_unref);
  g_clear_error (&call->failure);
  g_free (call);
}

/* One GUri serves both the message and the signature, so the signed
 * @target-uri is byte for byte the URI that goes on the wire. */
static GUri *
build_uri (ClaveServiceClient  *self,
           const char          *path,
           const char          *query,
           GError             **error)
{
  const char *base_path;
  g_autofree char *full_path = NULL;
  gsize len;

  if (self->base_uri == NULL)
    {
      g_set_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK,
                   _("The address of the Cl@ve service “%s” is not valid: it must start with https://. Check the service address."),
                   self->base_url ? self->base_url : "");
      return NULL;
    }

  /* A service under a path prefix ("https://host/clave") keeps it. */
  base_path = g_uri_get_path (self->base_uri);
  len = strlen (base_path);
  while (len > 0 && base_path[len - 1] == '/')
    len--;
  full_path = g_strdup_printf ("%.*s%s", (int) len, base_path, path);

  return g_uri_build (CLIENT_URI_FLAGS,
                      g_uri_get_scheme (self->base_uri),
                      NULL,
                      g_uri_get_host (self->base_uri),
                      g_uri_get_port (self->base_uri),
                      full_path,
                      query,
                      NULL);
}

static GBytes *
sign_with_key (GBytes    *base,
               gpointer   user_data,
               GError   **error)
{
  if (CLAVE_IS_PUSH_KEY (user_data))
    return clave_push_key_sign (CLAVE_PUSH_KEY (user_data), base, error);

  return clave_device_key_sign (CLAVE_DEVICE_KEY (user_data), base, error);
}

/* Both keys of a device sign through _clave_client_build_message(); only
 * the keyid tells the service which one it is. */
static char *
keyid_for (gpointer    key,
           const char *device_id)
{
  if (CLAVE_IS_PUSH_KEY (key))
    return g_strconcat (device_id, CLAVE_PUSH_KEYID_SUFFIX, NULL);

  return g_strdup (device_id);
}

gboolean
_clave_client_is_signing_key (gpointer key)
{
  return CLAVE_IS_PUSH_KEY (key) || CLAVE_IS_DEVICE_KEY (key);
}

/* Builds a request. @body NULL sends none; @bearer adds the activation
 * token; @key (a ClaveDeviceKey or a ClavePushKey) and @device_id sign
 * the request as docs/protocol.md "Device signatures" says. */
SoupMessage *
_clave_client_build_message (ClaveServiceClient  *self,
                             const char          *method,
                             const char          *path,
                             const char          *query,
                             JsonNode            *body,
                             const char          *bearer,
                             gpointer             key,
                             const char          *device_id,
                             GError             **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *uri_string = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body_bytes = NULL;
  SoupMessageHeaders *headers;

  uri = build_uri (self, path, query, error);
  if (uri == NULL)
    return NULL;
  uri_string = g_uri_to_string (uri);

  message = soup_message_new_from_uri (method, uri);
  /* A redirect would resend a signed request to a URI it was not signed
   * for, and the protocol has none: treat one as a protocol error. */
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (message);
  soup_message_headers_replace (headers, "Accept", "application/json");

  if (body != NULL)
    {
      gsize length = 0;
      char *text = json_to_string (body, FALSE);

      length = strlen (text);
      body_bytes = g_bytes_new_take (text, length);
      soup_message_set_request_body_from_bytes (message, "application/json", body_bytes);
    }

  if (bearer != NULL)
    {
      char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
      clave_secret_free (value);
    }

  if (key != NULL)
    {
      g_autoptr(ClaveHttpSigHeaders) sig = NULL;
      g_autofree char *nonce = clave_random_token (16);
      gint64 created = g_get_real_time () / G_USEC_PER_SEC;

      g_autofree char *keyid = keyid_for (key, device_id);

      sig = clave_http_sig_sign (method, uri_string, body_bytes, keyid, created, nonce,
                                 sign_with_key, key, error);
      if (sig == NULL)
        return NULL;

      soup_message_headers_replace (headers, "Content-Digest", sig->content_digest);
      soup_message_headers_replace (headers, "Signature-Input", sig->signature_input);
      soup_message_headers_replace (headers, "Signature", sig->signature);
    }

  return g_steal_pointer (&message);
}

static JsonObject *
parse_body (GBytes *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  const char *data;
  JsonNode *root;

  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &length);
  if (data == NULL || length == 0)
    return NULL;

  if (!json_parser_load_from_data (parser, data, (gssize) length, &error))
    {
      g_debug ("Answer is not JSON: %s", error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

static GError *
error_from_body (guint       status,
                 JsonObject *object,
                 ClaveClientCall       *call)
{
  JsonNode *code_node = NULL;
  JsonNode *message_node = NULL;
  JsonNode *attempts_node = NULL;
  JsonNode *retry_node = NULL;
  JsonNode *issuer_node = NULL;
  GError *error;

  if (object != NULL)
    {
      code_node = _clave_client_get_member (object, "error", G_TYPE_STRING);
      message_node = _clave_client_get_member (object, "message", G_TYPE_STRING);
      attempts_node = _clave_client_get_member (object, "attempts_left", G_TYPE_INT64);
      retry_node = _clave_client_get_member (object, "retry_after", G_TYPE_INT64);
      issuer_node = _clave_client_get_member (object, CLAVE_ERR_MEMBER_ISSUER, G_TYPE_STRING);
    }

  error = clave_service_error_from_response (status,
                                             code_node ? json_node_get_string (code_node) : NULL,
                                             message_node ? json_node_get_string (message_node) : NULL);

  if (attempts_node != NULL)
    {
      gint64 left = json_node_get_int (attempts_node);

      if (left >= 0 && left <= G_MAXUINT)
        call->attempts_left = left;
    }

  /* The protocol gives the numbers; say them rather than "a few". */
  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE) &&
      call->attempts_left > 0)
    {
      guint left = (guint) call->attempts_left;

      g_clear_error (&error);
      error = g_error_new (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "The code is not correct. Check the SMS and try again: %u try left.",
                                        "The code is not correct. Check the SMS and try again: %u tries left.",
                                        left),
                           left);
    }
  else if (issuer_node != NULL && code_node != NULL &&
           g_strcmp0 (json_node_get_string (code_node), CLAVE_ERR_CERTIFICATE_ISSUER_UNKNOWN) == 0)
    {
      g_autofree char *issuer = clave_x509_dn_display_name (json_node_get_string (issuer_node));

      /* Which authority: a person can tell the service or their card's
       * issuer, where "an authority" says nothing. */
      g_clear_error (&error);
      error = g_error_new (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED,
                           /* Translators: %s is the name of a certificate authority,
                            * such as AC DNIE 004. */
                           _("Cl@ve cannot check this certificate: it does not know “%s”, the "
                             "authority that issued it. Choose another certificate; if you think "
                             "this one should work, tell Cl@ve's support the name of that "
                             "authority."),
                           issuer);
    }
  else if (call->auth_request && status == SOUP_STATUS_NOT_FOUND &&
           g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL))
    {
      g_clear_error (&error);
      error = g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REQUEST_NOT_FOUND,
                                   _("This request does not exist. Ask the website for a new one."));
    }
  else if (call->registration &&
           g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_RESEND_LIMIT))
    {
      g_clear_error (&error);
      error = g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_RESEND_LIMIT,
                                   _("No more codes can be sent for this registration. Start the registration again."));
    }
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_RESEND_TOO_SOON) &&
           retry_node != NULL && json_node_get_int (retry_node) > 0 &&
           json_node_get_int (retry_node) < 3600)
    {
      guint seconds = (guint) json_node_get_int (retry_node);

      g_clear_error (&error);
      error = g_error_new (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_RESEND_TOO_SOON,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "A code was sent a moment ago. Wait %u second before asking for another one.",
                                        "A code was sent a moment ago. Wait %u seconds before asking for another one.",
                                        seconds),
                           seconds);
    }
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS) &&
           retry_node != NULL && json_node_get_int (retry_node) > 0 &&
           json_node_get_int (retry_node) < 24 * 3600)
    {
      guint minutes = (guint) ((json_node_get_int (retry_node) + 59) / 60);

      g_clear_error (&error);
      error = g_error_new (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "Too many failed attempts. Wait %u minute and try again.",
                                        "Too many failed attempts. Wait %u minutes and try again.",
                                        minutes),
                           minutes);
    }

  return error;
}

/* Answers are read here rather than with soup_session_send_and_read(),
 * which takes whatever the server sends: at most
 * CLAVE_CLIENT_MAX_RESPONSE_BODY bytes (clave-service-client-private.h
 * says why that many), READ_CHUNK at a time. */
#define READ_CHUNK (64 * 1024)
/* libsoup 3.2 reads the end of a chunked body (the empty trailer line)
 * into the caller's buffer and fails a read of fewer than two bytes
 * there: the last read asks for a little more than the byte past the cap. */
#define READ_MIN 16

static GError *
body_too_large_error (void)
{
  return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL,
                              _("The Cl@ve service gave an answer larger than Clave Desktop accepts. Check the service address or update Clave Desktop."));
}

/* Takes @task: the body is read (or given up) and its stream closed. */
static void
finish_response (GTask *task)
{
  ClaveClientCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) object = NULL;
  gpointer parsed = NULL;
  guint status;

  if (call->failure != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&call->failure));
      g_object_unref (task);
      return;
    }

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&call->body));
  status = soup_message_get_status (call->message);
  object = parse_body (bytes);

  if (status < 200 || status >= 300)
    g_task_return_error (task, error_from_body (status, object, call));
  else if (object == NULL)
    g_task_return_error (task, _clave_client_protocol_error ("success without a JSON object"));
  else if (!call->parse (object, &parsed, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, parsed, call->result_free);

  g_object_unref (task);
}

static void
on_body_closed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  ClaveClientCall *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* Whatever the body held was read by now: a failure here changes
   * nothing of the answer. */
  if (!g_input_stream_close_finish (G_INPUT_STREAM (source), result, &error))
    g_debug ("%s: closing the answer failed: %s", call->what, error->message);

  finish_response (task);
}

/* Stops reading the answer; with @failure (taken) the call fails with it.
 * The stream is closed before the call returns: after a whole body the
 * connection goes back to the session's pool, after part of one libsoup
 * drops it without reading the rest. */
static void
stop_reading (GTask  *task,
              GError *failure)
{
  ClaveClientCall *call = g_task_get_task_data (task);

  g_clear_error (&call->failure);
  call->failure = failure;
  g_input_stream_close_async (call->stream, G_PRIORITY_DEFAULT, NULL, on_body_closed, task);
}

static void on_body_read (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

/* One read more, up to the byte past the cap (READ_MIN aside): enough to
 * tell a body of just the cap (then the end of the stream) from a larger
 * one. */
static void
read_more (GTask *task)
{
  ClaveClientCall *call = g_task_get_task_data (task);
  gsize want = MIN (READ_CHUNK, (gsize) CLAVE_CLIENT_MAX_RESPONSE_BODY + 1 - call->received);

  want = MAX (want, READ_MIN);

  g_byte_array_set_size (call->body, (guint) (call->received + want));
  g_input_stream_read_async (call->stream, call->body->data + call->received, want,
                             G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                             on_body_read, task);
}

static void
on_body_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  ClaveClientCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n > 0)
    call->received += (gsize) n;
  g_byte_array_set_size (call->body, (guint) call->received);

  if (n < 0)
    {
      g_debug ("%s failed while reading the answer: %s", call->what, error->message);
      stop_reading (task, clave_service_error_from_transport (error));
      g_error_free (error);
    }
  else if (n == 0)
    stop_reading (task, NULL);
  else if (call->received > CLAVE_CLIENT_MAX_RESPONSE_BODY)
    {
      g_debug ("%s: answer over %u bytes, not read further", call->what,
               (guint) CLAVE_CLIENT_MAX_RESPONSE_BODY);
      stop_reading (task, body_too_large_error ());
    }
  else
    read_more (task);
}

static void
on_response (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  ClaveClientCall *call = g_task_get_task_data (task);
  SoupMessageHeaders *headers;
  GError *error = NULL;

  call->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (call->stream == NULL)
    {
      g_debug ("%s failed: %s", call->what, error->message);
      g_task_return_error (task, clave_service_error_from_transport (error));
      g_error_free (error);
      g_object_unref (task);
      return;
    }

  g_debug ("%s: %u", call->what, soup_message_get_status (call->message));
  call->body = g_byte_array_new ();

  /* A body announced larger than the cap is refused before any of it is
   * read; one without a length (chunked, or up to the end of the
   * connection) is read up to the cap and refused past it. */
  headers = soup_message_get_response_headers (call->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > CLAVE_CLIENT_MAX_RESPONSE_BODY)
    {
      g_debug ("%s: answer of %" G_GOFFSET_FORMAT " bytes refused", call->what,
               soup_message_headers_get_content_length (headers));
      stop_reading (task, body_too_large_error ());
      return;
    }

  read_more (task);
}

/* Takes @task. Returns the call, owned by the task, for extra settings
 * read when the answer arrives. */
ClaveClientCall *
_clave_client_send_call (ClaveServiceClient   *self,
                         GTask                *task,
                         SoupMessage          *message,
                         const char           *what,
                         ClaveClientParseFunc  parse,
                         GDestroyNotify        result_free)
{
  ClaveClientCall *call = g_new0 (ClaveClientCall, 1);

  call->message = g_object_ref (message);
  call->parse = parse;
  call->result_free = result_free;
  call->what = what;
  call->attempts_left = -1;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task), on_response, task);
  return call;
}

SoupSession *
_clave_service_client_get_session (ClaveServiceClient *self)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);

  return self->session;
}

SoupMessage *
_clave_service_client_build_signed (ClaveServiceClient  *self,
                                    const char          *method,
                                    const char          *path,
                                    const char          *query,
                                    gpointer             key,
                                    const char          *device_id,
                                    GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (_clave_client_is_signing_key (key), NULL);

  if (!_clave_client_is_valid_id (device_id))
    {
      g_set_error_literal (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,
                           _("This device is not activated in Cl@ve. Activate it to go on."));
      return NULL;
    }

  return _clave_client_build_message (self, method, path, query, NULL, NULL, key, device_id, error);
}

/* Helpers of the areas (clave-service-client-*.c) */

gboolean
_clave_client_is_usable_token (const char *token)
{
  return token != NULL && token[0] != '\0' && strpbrk (token, "\r\n") == NULL;
}

JsonNode *
_clave_client_empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

/* The proof object of docs/protocol.md: certificates in standard base64
 * (DER), the signature in base64url. */
gboolean
_clave_client_add_proof (JsonBuilder                  *builder,
                         const ClaveCertificateProof  *proof,
                         GError                      **error)
{
  g_autofree char *signature = NULL;

  if (proof == NULL || !_clave_client_is_valid_id (proof->challenge_id) || proof->certificates == NULL ||
      proof->certificates->len == 0 || proof->algorithm == NULL || proof->signature == NULL)
    {
      g_set_error_literal (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CHALLENGE_EXPIRED,
                           _("The check of your certificate took too long. Try again."));
      return FALSE;
    }

  json_builder_set_member_name (builder, "proof");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "challenge_id");
  json_builder_add_string_value (builder, proof->challenge_id);
  json_builder_set_member_name (builder, "certificates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < proof->certificates->len; i++)
    {
      gsize size = 0;
      const guint8 *der = g_bytes_get_data (g_ptr_array_index (proof->certificates, i), &size);
      g_autofree char *b64 = g_base64_encode (der, size);

      json_builder_add_string_value (builder, b64);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "algorithm");
  json_builder_add_string_value (builder, proof->algorithm);
  signature = _clave_client_bytes_to_b64url (proof->signature);
  json_builder_set_member_name (builder, "signature");
  json_builder_add_string_value (builder, signature);
  json_builder_end_object (builder);

  return TRUE;
}

gboolean
_clave_client_check_device (GTask      *task,
                            const char *device_id)
{
  if (_clave_client_is_valid_id (device_id))
    return TRUE;

  g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,
                           "%s", _("This device is not activated in Cl@ve. Activate it to go on."));
  return FALSE;
}

char *
_clave_client_bytes_to_b64url (GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return clave_base64url_encode (data, len);
}
