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
#include "clave-service-client-private.h"
#include "clave-x509.h"

/* The URI flags libsoup itself normalises with, so that the string we
 * sign is the URI libsoup sends (default port dropped, path kept as is). */
#define CLIENT_URI_FLAGS (G_URI_FLAGS_ENCODED_PATH | G_URI_FLAGS_ENCODED_QUERY | \
                          G_URI_FLAGS_SCHEME_NORMALIZE)
/* Identifiers the service hands out (act_…, dev_…) go into paths and
 * headers, so only a harmless alphabet is accepted. */
#define ID_MAX_LEN 128

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

/* Boxed-ish helpers of the header */

ClaveActivation *
clave_activation_copy (const ClaveActivation *activation)
{
  ClaveActivation *copy;

  if (activation == NULL)
    return NULL;

  copy = g_new0 (ClaveActivation, 1);
  copy->id = g_strdup (activation->id);
  copy->token = g_strdup (activation->token);
  copy->methods = g_strdupv (activation->methods);
  copy->phone_hint = g_strdup (activation->phone_hint);
  copy->expires_at = activation->expires_at;

  return copy;
}

void
clave_activation_free (ClaveActivation *activation)
{
  if (activation == NULL)
    return;

  g_free (activation->id);
  clave_secret_free (activation->token);
  g_strfreev (activation->methods);
  g_free (activation->phone_hint);
  g_free (activation);
}

void
clave_sms_status_free (ClaveSmsStatus *status)
{
  if (status == NULL)
    return;

  g_free (status->phone_hint);
  g_free (status);
}

void
clave_my_data_free (ClaveMyData *data)
{
  if (data == NULL)
    return;

  g_free (data->document);
  g_free (data->document_type);
  g_free (data->given_name);
  g_free (data->surnames);
  g_free (data->phone);
  g_free (data->email);
  g_free (data->level);
  g_free (data->registration_channel);
  g_free (data);
}

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

static GError *
protocol_error (const char *what)
{
  g_debug ("Unexpected answer from the service: %s", what);
  return g_error_new_literal (CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PROTOCOL,
                              _("The Cl@ve service gave an answer Clave Desktop does not understand. Check the service address or update Clave Desktop."));
}

static JsonNode *
get_member (JsonObject *object,
            const char *name,
            GType       value_type)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != value_type)
    return NULL;

  return node;
}

static gboolean
read_string (JsonObject  *object,
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

  node = get_member (object, name, G_TYPE_STRING);
  if (node == NULL)
    {
      g_autofree char *what = g_strdup_printf ("“%s” missing or not a string", name);

      g_propagate_error (error, protocol_error (what));
      return FALSE;
    }

  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_uint (JsonObject *object,
           const char *name,
           guint      *out,
           GError    **error)
{
  JsonNode *node = get_member (object, name, G_TYPE_INT64);
  gint64 value;

  if (node == NULL || (value = json_node_get_int (node)) < 0 || value > G_MAXUINT)
    {
      g_autofree char *what = g_strdup_printf ("“%s” missing or not a count", name);

      g_propagate_error (error, protocol_error (what));
      return FALSE;
    }

  *out = (guint) value;
  return TRUE;
}

static gboolean
read_bool (JsonObject *object,
           const char *name,
           gboolean   *out,
           GError    **error)
{
  JsonNode *node = get_member (object, name, G_TYPE_BOOLEAN);

  if (node == NULL)
    {
      g_autofree char *what = g_strdup_printf ("“%s” missing or not a boolean", name);

      g_propagate_error (error, protocol_error (what));
      return FALSE;
    }

  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
is_valid_id (const char *id)
{
  gsize len = 0;

  if (id == NULL || id[0] == '\0')
    return FALSE;

  for (const char *p = id; *p != '\0'; p++, len++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;

  return len <= ID_MAX_LEN;
}

static gboolean
read_id (JsonObject  *object,
         const char  *name,
         char       **out,
         GError     **error)
{
  g_autofree char *id = NULL;

  if (!read_string (object, name, FALSE, &id, error))
    return FALSE;

  if (!is_valid_id (id))
    {
      g_autofree char *what = g_strdup_printf ("“%s” is not an identifier", name);

      g_propagate_error (error, protocol_error (what));
      return FALSE;
    }

  *out = g_steal_pointer (&id);
  return TRUE;
}

/* Requests */

typedef gboolean (*ParseFunc) (JsonObject  *root,
                               gpointer    *result,
                               GError     **error);

typedef struct {
  SoupMessage    *message;
  ParseFunc       parse;
  GDestroyNotify  result_free;
  const char     *what;            /* "POST /v1/identify", for the debug log */
  gint64          attempts_left;   /* from an error body, -1 when absent */
  gboolean        registration;    /* a registration step: messages say so */
  gboolean        auth_request;    /* on /v1/device/requests/{id}: not_found means the request */

  /* Reading the answer (on_response(), read_more()). */
  GInputStream   *stream;
  GByteArray     *body;            /* received bytes, then room for the read under way */
  gsize           received;
  GError         *failure;         /* the call's error, returned once the stream is closed */
} Call;

static void
call_free (Call *call)
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

/* Both keys of a device sign through build_message(); only the keyid
 * tells the service which one it is. */
static char *
keyid_for (gpointer    key,
           const char *device_id)
{
  if (CLAVE_IS_PUSH_KEY (key))
    return g_strconcat (device_id, CLAVE_PUSH_KEYID_SUFFIX, NULL);

  return g_strdup (device_id);
}

static gboolean
is_signing_key (gpointer key)
{
  return CLAVE_IS_PUSH_KEY (key) || CLAVE_IS_DEVICE_KEY (key);
}

/* Builds a request. @body NULL sends none; @bearer adds the activation
 * token; @key (a ClaveDeviceKey or a ClavePushKey) and @device_id sign
 * the request as docs/protocol.md "Device signatures" says. */
static SoupMessage *
build_message (ClaveServiceClient  *self,
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
                 Call       *call)
{
  JsonNode *code_node = NULL;
  JsonNode *message_node = NULL;
  JsonNode *attempts_node = NULL;
  JsonNode *retry_node = NULL;
  JsonNode *issuer_node = NULL;
  GError *error;

  if (object != NULL)
    {
      code_node = get_member (object, "error", G_TYPE_STRING);
      message_node = get_member (object, "message", G_TYPE_STRING);
      attempts_node = get_member (object, "attempts_left", G_TYPE_INT64);
      retry_node = get_member (object, "retry_after", G_TYPE_INT64);
      issuer_node = get_member (object, CLAVE_ERR_MEMBER_ISSUER, G_TYPE_STRING);
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
  Call *call = g_task_get_task_data (task);
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
    g_task_return_error (task, protocol_error ("success without a JSON object"));
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
  Call *call = g_task_get_task_data (task);
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
  Call *call = g_task_get_task_data (task);

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
  Call *call = g_task_get_task_data (task);
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
  Call *call = g_task_get_task_data (task);
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
  Call *call = g_task_get_task_data (task);
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
static Call *
send_call (ClaveServiceClient *self,
           GTask              *task,
           SoupMessage        *message,
           const char         *what,
           ParseFunc           parse,
           GDestroyNotify      result_free)
{
  Call *call = g_new0 (Call, 1);

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

static char *
activation_path (const ClaveActivation *activation,
                 const char            *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (activation->id, NULL, FALSE);

  return g_strconcat (CLAVE_PATH_ACTIVATIONS, escaped, suffix, NULL);
}

static gboolean
check_activation (GTask                 *task,
                  const ClaveActivation *activation)
{
  if (activation != NULL && is_valid_id (activation->id) &&
      activation->token != NULL && activation->token[0] != '\0')
    return TRUE;

  g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,
                           "%s", _("This activation is no longer valid. Start the activation again."));
  return FALSE;
}

/* POST /v1/identify */

typedef struct {
  gboolean         registered;
  ClaveActivation *activation;
} IdentifyResult;

static void
identify_result_free (IdentifyResult *result)
{
  g_clear_pointer (&result->activation, clave_activation_free);
  g_free (result);
}

static gboolean
parse_identify (JsonObject  *root,
                gpointer    *out,
                GError     **error)
{
  g_autoptr(ClaveActivation) activation = NULL;
  IdentifyResult *result;
  JsonNode *node;
  JsonObject *object;
  JsonArray *methods;
  gboolean registered;
  guint expires_in;
  guint n_methods;

  if (!read_bool (root, "registered", &registered, error))
    return FALSE;

  if (registered)
    {
      node = json_object_get_member (root, "activation");
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          g_propagate_error (error, protocol_error ("registered without an activation"));
          return FALSE;
        }
      object = json_node_get_object (node);

      activation = g_new0 (ClaveActivation, 1);
      if (!read_id (object, "id", &activation->id, error) ||
          !read_string (object, "token", FALSE, &activation->token, error) ||
          !read_uint (object, "expires_in", &expires_in, error) ||
          !read_string (object, "phone_hint", TRUE, &activation->phone_hint, error))
        return FALSE;

      if (activation->token[0] == '\0' || strpbrk (activation->token, "\r\n") != NULL)
        {
          g_propagate_error (error, protocol_error ("unusable activation token"));
          return FALSE;
        }

      node = json_object_get_member (object, "methods");
      if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
        {
          g_propagate_error (error, protocol_error ("“methods” missing or not an array"));
          return FALSE;
        }
      methods = json_node_get_array (node);
      n_methods = json_array_get_length (methods);
      activation->methods = g_new0 (char *, n_methods + 1);
      for (guint i = 0; i < n_methods; i++)
        {
          JsonNode *element = json_array_get_element (methods, i);

          if (!JSON_NODE_HOLDS_VALUE (element) ||
              json_node_get_value_type (element) != G_TYPE_STRING)
            {
              g_propagate_error (error, protocol_error ("“methods” holds a non-string"));
              return FALSE;
            }
          activation->methods[i] = g_strdup (json_node_get_string (element));
        }

      activation->expires_at = g_get_real_time () / G_USEC_PER_SEC + expires_in;
    }

  result = g_new0 (IdentifyResult, 1);
  result->registered = registered;
  result->activation = g_steal_pointer (&activation);
  *out = result;
  return TRUE;
}

void
clave_service_client_identify_async (ClaveServiceClient  *self,
                                     const char          *document,
                                     const char          *contrast_kind,
                                     const char          *contrast_value,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (document != NULL);
  g_return_if_fail (contrast_kind != NULL);
  g_return_if_fail (contrast_value != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_identify_async);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "document");
  json_builder_add_string_value (builder, document);
  json_builder_set_member_name (builder, "contrast");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, contrast_kind);
  json_builder_set_member_name (builder, "value");
  json_builder_add_string_value (builder, contrast_value);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  message = build_message (self, "POST", CLAVE_PATH_IDENTIFY, NULL, body, NULL, NULL, NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "POST " CLAVE_PATH_IDENTIFY,
             parse_identify, (GDestroyNotify) identify_result_free);
}

/**
 * clave_service_client_identify_finish:
 * @registered: (out) (optional): whether the person is registered in Cl@ve
 * @activation: (out) (optional) (transfer full): the activation when
 *   registered, else %NULL
 */
gboolean
clave_service_client_identify_finish (ClaveServiceClient  *self,
                                      GAsyncResult        *result,
                                      gboolean            *registered,
                                      ClaveActivation    **activation,
                                      GError             **error)
{
  IdentifyResult *identify;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (registered != NULL)
    *registered = FALSE;
  if (activation != NULL)
    *activation = NULL;

  identify = g_task_propagate_pointer (G_TASK (result), error);
  if (identify == NULL)
    return FALSE;

  if (registered != NULL)
    *registered = identify->registered;
  if (activation != NULL)
    *activation = g_steal_pointer (&identify->activation);

  identify_result_free (identify);
  return TRUE;
}

/* POST /v1/activations/{id}/sms */

static gboolean
parse_send_sms (JsonObject  *root,
                gpointer    *out,
                GError     **error)
{
  g_autoptr(ClaveSmsStatus) status = g_new0 (ClaveSmsStatus, 1);
  gboolean sent;

  if (!read_bool (root, "sent", &sent, error) ||
      !read_uint (root, "code_expires_in", &status->code_expires_in, error) ||
      !read_uint (root, "resend_after", &status->resend_after, error) ||
      !read_uint (root, "sends_left", &status->sends_left, error) ||
      !read_string (root, "phone_hint", TRUE, &status->phone_hint, error))
    return FALSE;

  if (!sent)
    {
      g_propagate_error (error, protocol_error ("“sent” is false on success"));
      return FALSE;
    }

  *out = g_steal_pointer (&status);
  return TRUE;
}

void
clave_service_client_send_sms_async (ClaveServiceClient    *self,
                                     const ClaveActivation *activation,
                                     GCancellable          *cancellable,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_send_sms_async);

  if (!check_activation (task, activation))
    return;

  body = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (body, json_object_new ());
  path = activation_path (activation, "/sms");
  message = build_message (self, "POST", path, NULL, body, activation->token, NULL, NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "POST /v1/activations/{id}/sms",
             parse_send_sms, (GDestroyNotify) clave_sms_status_free);
}

ClaveSmsStatus *
clave_service_client_send_sms_finish (ClaveServiceClient  *self,
                                      GAsyncResult        *result,
                                      GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /v1/activations/{id}/sms/verify */

static gboolean
parse_verify_sms (JsonObject  *root,
                  gpointer    *out,
                  GError     **error)
{
  gboolean verified;

  if (!read_bool (root, "verified", &verified, error))
    return FALSE;

  if (!verified)
    {
      g_propagate_error (error, protocol_error ("“verified” is false on success"));
      return FALSE;
    }

  *out = GINT_TO_POINTER (TRUE);
  return TRUE;
}

void
clave_service_client_verify_sms_async (ClaveServiceClient    *self,
                                       const ClaveActivation *activation,
                                       const char            *code,
                                       GCancellable          *cancellable,
                                       GAsyncReadyCallback    callback,
                                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_verify_sms_async);

  if (!check_activation (task, activation))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = activation_path (activation, "/sms/verify");
  message = build_message (self, "POST", path, NULL, body, activation->token, NULL, NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "POST /v1/activations/{id}/sms/verify",
             parse_verify_sms, NULL);
}

/**
 * clave_service_client_verify_sms_finish:
 * @attempts_left: (out) (optional): on %CLAVE_SERVICE_ERROR_INVALID_CODE,
 *   the wrong codes the service still accepts; 0 otherwise
 */
gboolean
clave_service_client_verify_sms_finish (ClaveServiceClient  *self,
                                        GAsyncResult        *result,
                                        guint               *attempts_left,
                                        GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  Call *call;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  call = g_task_get_task_data (G_TASK (result));
  if (attempts_left != NULL)
    *attempts_left = 0;

  if (g_task_propagate_pointer (G_TASK (result), &local_error) != NULL)
    return TRUE;

  if (attempts_left != NULL && call != NULL && call->attempts_left >= 0 &&
      g_error_matches (local_error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE))
    *attempts_left = (guint) call->attempts_left;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* POST /v1/activations/{id}/device */

static gboolean
parse_register_device (JsonObject  *root,
                       gpointer    *out,
                       GError     **error)
{
  char *device_id = NULL;

  if (!read_id (root, "device_id", &device_id, error))
    return FALSE;

  *out = device_id;
  return TRUE;
}

static char *
bytes_to_b64url (GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return clave_base64url_encode (data, len);
}

void
clave_service_client_register_device_async (ClaveServiceClient    *self,
                                            const ClaveActivation *activation,
                                            ClaveDeviceKey        *key,
                                            const char            *device_name,
                                            GCancellable          *cancellable,
                                            GAsyncReadyCallback    callback,
                                            gpointer               user_data)
{
  clave_service_client_register_device_with_push_key_async (self, activation, key, NULL,
                                                            device_name, cancellable,
                                                            callback, user_data);
}

void
clave_service_client_register_device_with_push_key_async (ClaveServiceClient    *self,
                                                          const ClaveActivation *activation,
                                                          ClaveDeviceKey        *key,
                                                          ClavePushKey          *push_key,
                                                          const char            *device_name,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) proof_input = NULL;
  g_autoptr(GBytes) proof = NULL;
  g_autofree char *path = NULL;
  g_autofree char *public_key_b64 = NULL;
  g_autofree char *proof_b64 = NULL;
  g_autofree char *default_name = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (push_key == NULL || CLAVE_IS_PUSH_KEY (push_key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_register_device_async);

  if (!check_activation (task, activation))
    return;

  if (device_name == NULL || device_name[0] == '\0')
    {
      /* Translators: the name of this computer in the list of devices */
      default_name = g_strdup_printf (_("Clave Desktop on %s"), g_get_host_name ());
      device_name = default_name;
    }

  proof_input = clave_registration_proof_data (activation->id);
  proof = clave_device_key_sign (key, proof_input, &error);
  if (proof == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  public_key_b64 = bytes_to_b64url (clave_device_key_get_public_key (key));
  proof_b64 = bytes_to_b64url (proof);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "public_key");
  json_builder_add_string_value (builder, public_key_b64);
  json_builder_set_member_name (builder, "proof");
  json_builder_add_string_value (builder, proof_b64);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, device_name);
  if (push_key != NULL)
    {
      g_autofree char *push_key_b64 = bytes_to_b64url (clave_push_key_get_public_key (push_key));

      json_builder_set_member_name (builder, "push_key");
      json_builder_add_string_value (builder, push_key_b64);
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = activation_path (activation, "/device");
  message = build_message (self, "POST", path, NULL, body, activation->token, NULL, NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "POST /v1/activations/{id}/device",
             parse_register_device, g_free);
}

char *
clave_service_client_register_device_finish (ClaveServiceClient  *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GET /v1/me */

static gboolean
parse_my_data (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  g_autoptr(ClaveMyData) data = g_new0 (ClaveMyData, 1);

  if (!read_string (root, "document", FALSE, &data->document, error) ||
      !read_string (root, "document_type", FALSE, &data->document_type, error) ||
      !read_string (root, "given_name", FALSE, &data->given_name, error) ||
      !read_string (root, "surnames", FALSE, &data->surnames, error) ||
      !read_string (root, "phone", TRUE, &data->phone, error) ||
      !read_string (root, "email", TRUE, &data->email, error) ||
      !read_string (root, "level", FALSE, &data->level, error) ||
      !read_string (root, "registration_channel", FALSE, &data->registration_channel, error))
    return FALSE;

  *out = g_steal_pointer (&data);
  return TRUE;
}

static gboolean
check_device (GTask      *task,
              const char *device_id)
{
  if (is_valid_id (device_id))
    return TRUE;

  g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,
                           "%s", _("This device is not activated in Cl@ve. Activate it to go on."));
  return FALSE;
}

void
clave_service_client_get_my_data_async (ClaveServiceClient  *self,
                                        ClaveDeviceKey      *key,
                                        const char          *device_id,
                                        gboolean             reveal_document,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_get_my_data_async);

  if (!check_device (task, device_id))
    return;

  message = build_message (self, "GET", CLAVE_PATH_ME, reveal_document ? "reveal=document" : NULL,
                           NULL, NULL, key, device_id, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "GET " CLAVE_PATH_ME,
             parse_my_data, (GDestroyNotify) clave_my_data_free);
}

ClaveMyData *
clave_service_client_get_my_data_finish (ClaveServiceClient  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* DELETE /v1/device */

static gboolean
parse_deactivate (JsonObject  *root,
                  gpointer    *out,
                  GError     **error)
{
  gboolean deactivated;

  if (!read_bool (root, "deactivated", &deactivated, error))
    return FALSE;

  if (!deactivated)
    {
      g_propagate_error (error, protocol_error ("“deactivated” is false on success"));
      return FALSE;
    }

  *out = GINT_TO_POINTER (TRUE);
  return TRUE;
}

void
clave_service_client_deactivate_async (ClaveServiceClient  *self,
                                       ClaveDeviceKey      *key,
                                       const char          *device_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_deactivate_async);

  if (!check_device (task, device_id))
    return;

  message = build_message (self, "DELETE", CLAVE_PATH_DEVICE, NULL, NULL, NULL, key, device_id,
                           &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "DELETE " CLAVE_PATH_DEVICE,
             parse_deactivate, NULL);
}

gboolean
clave_service_client_deactivate_finish (ClaveServiceClient  *self,
                                        GAsyncResult        *result,
                                        GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

/* Certificate proofs */

void
clave_certificate_proof_free (ClaveCertificateProof *proof)
{
  if (proof == NULL)
    return;

  g_free (proof->challenge_id);
  g_clear_pointer (&proof->certificates, g_ptr_array_unref);
  g_free (proof->algorithm);
  g_clear_pointer (&proof->signature, g_bytes_unref);
  g_free (proof);
}

ClaveRegistration *
clave_registration_copy (const ClaveRegistration *registration)
{
  ClaveRegistration *copy;

  if (registration == NULL)
    return NULL;

  copy = g_new0 (ClaveRegistration, 1);
  copy->id = g_strdup (registration->id);
  copy->token = g_strdup (registration->token);
  copy->phone_hint = g_strdup (registration->phone_hint);
  copy->document = g_strdup (registration->document);
  copy->given_name = g_strdup (registration->given_name);
  copy->surnames = g_strdup (registration->surnames);
  copy->code_expires_in = registration->code_expires_in;
  copy->resend_after = registration->resend_after;
  copy->sends_left = registration->sends_left;

  return copy;
}

void
clave_registration_free (ClaveRegistration *registration)
{
  if (registration == NULL)
    return;

  g_free (registration->id);
  clave_secret_free (registration->token);
  g_free (registration->phone_hint);
  g_free (registration->document);
  g_free (registration->given_name);
  g_free (registration->surnames);
  g_free (registration);
}

static gboolean
is_base64url (const char *text,
              gsize       max_len)
{
  gsize len = 0;

  if (text == NULL || text[0] == '\0')
    return FALSE;

  for (const char *p = text; *p != '\0'; p++, len++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;

  return len <= max_len;
}

static gboolean
is_usable_token (const char *token)
{
  return token != NULL && token[0] != '\0' && strpbrk (token, "\r\n") == NULL;
}

/* POST /v1/challenges */

typedef struct {
  char *id;
  char *challenge;
} ChallengeResult;

static void
challenge_result_free (ChallengeResult *result)
{
  g_free (result->id);
  g_free (result->challenge);
  g_free (result);
}

static gboolean
parse_challenge (JsonObject  *root,
                 gpointer    *out,
                 GError     **error)
{
  ChallengeResult *result = g_new0 (ChallengeResult, 1);
  guint expires_in;

  if (!read_id (root, "id", &result->id, error) ||
      !read_string (root, "challenge", FALSE, &result->challenge, error) ||
      !read_uint (root, "expires_in", &expires_in, error))
    {
      challenge_result_free (result);
      return FALSE;
    }

  /* It is signed as text: nothing but base64url may go in. */
  if (!is_base64url (result->challenge, 512))
    {
      challenge_result_free (result);
      g_propagate_error (error, protocol_error ("“challenge” is not base64url"));
      return FALSE;
    }

  *out = result;
  return TRUE;
}

static JsonNode *
empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

void
clave_service_client_get_challenge_async (ClaveServiceClient  *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_get_challenge_async);

  body = empty_object ();
  message = build_message (self, "POST", CLAVE_PATH_CHALLENGES, NULL, body, NULL, NULL, NULL,
                           &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "POST " CLAVE_PATH_CHALLENGES,
             parse_challenge, (GDestroyNotify) challenge_result_free);
}

/**
 * clave_service_client_get_challenge_finish:
 * @challenge_id: (out) (optional) (transfer full)
 * @challenge: (out) (optional) (transfer full): base64url text, as signed
 */
gboolean
clave_service_client_get_challenge_finish (ClaveServiceClient  *self,
                                           GAsyncResult        *result,
                                           char               **challenge_id,
                                           char               **challenge,
                                           GError             **error)
{
  ChallengeResult *challenge_result;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (challenge_id != NULL)
    *challenge_id = NULL;
  if (challenge != NULL)
    *challenge = NULL;

  challenge_result = g_task_propagate_pointer (G_TASK (result), error);
  if (challenge_result == NULL)
    return FALSE;

  if (challenge_id != NULL)
    *challenge_id = g_steal_pointer (&challenge_result->id);
  if (challenge != NULL)
    *challenge = g_steal_pointer (&challenge_result->challenge);
  challenge_result_free (challenge_result);
  return TRUE;
}

/* The proof object of docs/protocol.md: certificates in standard base64
 * (DER), the signature in base64url. */
static gboolean
add_proof (JsonBuilder                  *builder,
           const ClaveCertificateProof  *proof,
           GError                      **error)
{
  g_autofree char *signature = NULL;

  if (proof == NULL || !is_valid_id (proof->challenge_id) || proof->certificates == NULL ||
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
  signature = bytes_to_b64url (proof->signature);
  json_builder_set_member_name (builder, "signature");
  json_builder_add_string_value (builder, signature);
  json_builder_end_object (builder);

  return TRUE;
}

/* POST /v1/activations/{id}/certificate */

static gboolean
parse_verify_certificate (JsonObject  *root,
                          gpointer    *out,
                          GError     **error)
{
  g_autofree char *method = NULL;
  gboolean verified;

  if (!read_bool (root, "verified", &verified, error) ||
      !read_string (root, "method", FALSE, &method, error))
    return FALSE;

  if (!verified)
    {
      g_propagate_error (error, protocol_error ("“verified” is false on success"));
      return FALSE;
    }
  if (!g_str_equal (method, CLAVE_CHANNEL_CERTIFICATE) && !g_str_equal (method, CLAVE_CHANNEL_DNIE))
    {
      g_propagate_error (error, protocol_error ("unknown “method”"));
      return FALSE;
    }

  *out = g_steal_pointer (&method);
  return TRUE;
}

void
clave_service_client_verify_certificate_async (ClaveServiceClient          *self,
                                               const ClaveActivation       *activation,
                                               const ClaveCertificateProof *proof,
                                               GCancellable                *cancellable,
                                               GAsyncReadyCallback          callback,
                                               gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_verify_certificate_async);

  if (!check_activation (task, activation))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  if (!add_proof (builder, proof, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = activation_path (activation, CLAVE_ACTIVATION_SUFFIX_CERTIFICATE);
  message = build_message (self, "POST", path, NULL, body, activation->token, NULL, NULL, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "POST /v1/activations/{id}/certificate",
             parse_verify_certificate, g_free);
}

/**
 * clave_service_client_verify_certificate_finish:
 * @method: (out) (optional) (transfer full): "certificate" or "dnie"
 */
gboolean
clave_service_client_verify_certificate_finish (ClaveServiceClient  *self,
                                                GAsyncResult        *result,
                                                char               **method,
                                                GError             **error)
{
  char *verified_method;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (method != NULL)
    *method = NULL;

  verified_method = g_task_propagate_pointer (G_TASK (result), error);
  if (verified_method == NULL)
    return FALSE;

  if (method != NULL)
    *method = verified_method;
  else
    g_free (verified_method);
  return TRUE;
}

/* POST /v1/registrations */

/* What people type around a phone number ("+34 600 11-22-33") is not
 * part of it; the service takes E.164 only. */
static char *
normalize_phone (const char *phone)
{
  GString *normalized = g_string_new (NULL);

  for (const char *p = phone; *p != '\0'; p++)
    if (!g_ascii_isspace (*p) && strchr ("-.()/", *p) == NULL)
      g_string_append_c (normalized, *p);

  return g_string_free (normalized, FALSE);
}

static gboolean
parse_registration (JsonObject  *root,
                    gpointer    *out,
                    GError     **error)
{
  g_autoptr(ClaveRegistration) registration = g_new0 (ClaveRegistration, 1);

  if (!read_id (root, "id", &registration->id, error) ||
      !read_string (root, "token", FALSE, &registration->token, error) ||
      !read_string (root, "phone_hint", TRUE, &registration->phone_hint, error) ||
      !read_uint (root, "code_expires_in", &registration->code_expires_in, error) ||
      !read_uint (root, "resend_after", &registration->resend_after, error) ||
      !read_uint (root, "sends_left", &registration->sends_left, error) ||
      !read_string (root, "document", FALSE, &registration->document, error) ||
      !read_string (root, "given_name", FALSE, &registration->given_name, error) ||
      !read_string (root, "surnames", FALSE, &registration->surnames, error))
    return FALSE;

  if (!is_usable_token (registration->token))
    {
      g_propagate_error (error, protocol_error ("unusable registration token"));
      return FALSE;
    }

  *out = g_steal_pointer (&registration);
  return TRUE;
}

void
clave_service_client_register_async (ClaveServiceClient          *self,
                                     const ClaveCertificateProof *proof,
                                     const char                  *phone,
                                     const char                  *email,
                                     GCancellable                *cancellable,
                                     GAsyncReadyCallback          callback,
                                     gpointer                     user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *normalized_phone = NULL;
  g_autofree char *normalized_email = NULL;
  GError *error = NULL;
  Call *call;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (phone != NULL);
  g_return_if_fail (email != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_register_async);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  if (!add_proof (builder, proof, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  normalized_phone = normalize_phone (phone);
  normalized_email = g_strstrip (g_strdup (email));
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, normalized_phone);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, normalized_email);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  message = build_message (self, "POST", CLAVE_PATH_REGISTRATIONS, NULL, body, NULL, NULL, NULL,
                           &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = send_call (self, g_steal_pointer (&task), message, "POST " CLAVE_PATH_REGISTRATIONS,
                    parse_registration, (GDestroyNotify) clave_registration_free);
  call->registration = TRUE;
}

ClaveRegistration *
clave_service_client_register_finish (ClaveServiceClient  *self,
                                      GAsyncResult        *result,
                                      GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
check_registration (GTask                   *task,
                    const ClaveRegistration *registration)
{
  if (registration != NULL && is_valid_id (registration->id) &&
      is_usable_token (registration->token))
    return TRUE;

  g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED,
                           "%s", _("This registration is no longer valid. Start the registration again."));
  return FALSE;
}

static char *
registration_path (const ClaveRegistration *registration,
                   const char              *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (registration->id, NULL, FALSE);

  return g_strconcat (CLAVE_PATH_REGISTRATION_PREFIX, escaped, suffix, NULL);
}

/* POST /v1/registrations/{id}/sms */

static gboolean
parse_registration_sms (JsonObject  *root,
                        gpointer    *out,
                        GError     **error)
{
  g_autoptr(ClaveSmsStatus) status = g_new0 (ClaveSmsStatus, 1);
  JsonNode *sent = json_object_get_member (root, "sent");

  if (!read_uint (root, "code_expires_in", &status->code_expires_in, error) ||
      !read_uint (root, "resend_after", &status->resend_after, error) ||
      !read_uint (root, "sends_left", &status->sends_left, error) ||
      !read_string (root, "phone_hint", TRUE, &status->phone_hint, error))
    return FALSE;

  if (sent != NULL && (!JSON_NODE_HOLDS_VALUE (sent) ||
                       json_node_get_value_type (sent) != G_TYPE_BOOLEAN ||
                       !json_node_get_boolean (sent)))
    {
      g_propagate_error (error, protocol_error ("“sent” is not true on success"));
      return FALSE;
    }

  *out = g_steal_pointer (&status);
  return TRUE;
}

void
clave_service_client_registration_resend_async (ClaveServiceClient      *self,
                                                const ClaveRegistration *registration,
                                                GCancellable            *cancellable,
                                                GAsyncReadyCallback      callback,
                                                gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  Call *call;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_registration_resend_async);

  if (!check_registration (task, registration))
    return;

  body = empty_object ();
  path = registration_path (registration, "/sms");
  message = build_message (self, "POST", path, NULL, body, registration->token, NULL, NULL,
                           &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = send_call (self, g_steal_pointer (&task), message, "POST /v1/registrations/{id}/sms",
                    parse_registration_sms, (GDestroyNotify) clave_sms_status_free);
  call->registration = TRUE;
}

ClaveSmsStatus *
clave_service_client_registration_resend_finish (ClaveServiceClient  *self,
                                                 GAsyncResult        *result,
                                                 GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /v1/registrations/{id}/verify */

static gboolean
parse_registration_verify (JsonObject  *root,
                           gpointer    *out,
                           GError     **error)
{
  g_autoptr(ClaveActivation) activation = g_new0 (ClaveActivation, 1);
  g_autofree char *level = NULL;
  g_autofree char *channel = NULL;
  JsonNode *node;
  JsonObject *object;
  gboolean registered;
  guint expires_in;

  if (!read_bool (root, "registered", &registered, error) ||
      !read_string (root, "level", FALSE, &level, error) ||
      !read_string (root, "registration_channel", FALSE, &channel, error))
    return FALSE;

  if (!registered)
    {
      g_propagate_error (error, protocol_error ("“registered” is false on success"));
      return FALSE;
    }

  node = json_object_get_member (root, "activation");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_propagate_error (error, protocol_error ("registered without an activation"));
      return FALSE;
    }
  object = json_node_get_object (node);

  if (!read_id (object, "id", &activation->id, error) ||
      !read_string (object, "token", FALSE, &activation->token, error) ||
      !read_uint (object, "expires_in", &expires_in, error) ||
      !read_string (object, "phone_hint", TRUE, &activation->phone_hint, error))
    return FALSE;

  if (!is_usable_token (activation->token))
    {
      g_propagate_error (error, protocol_error ("unusable activation token"));
      return FALSE;
    }

  /* Already verified by the SMS code of the registration: no factor is
   * left to choose, the device key goes next. */
  activation->methods = g_new0 (char *, 1);
  activation->expires_at = g_get_real_time () / G_USEC_PER_SEC + expires_in;

  *out = g_steal_pointer (&activation);
  return TRUE;
}

void
clave_service_client_registration_verify_async (ClaveServiceClient      *self,
                                                const ClaveRegistration *registration,
                                                const char              *code,
                                                GCancellable            *cancellable,
                                                GAsyncReadyCallback      callback,
                                                gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  Call *call;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_registration_verify_async);

  if (!check_registration (task, registration))
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = registration_path (registration, "/verify");
  message = build_message (self, "POST", path, NULL, body, registration->token, NULL, NULL,
                           &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = send_call (self, g_steal_pointer (&task), message, "POST /v1/registrations/{id}/verify",
                    parse_registration_verify, (GDestroyNotify) clave_activation_free);
  call->registration = TRUE;
}

/**
 * clave_service_client_registration_verify_finish:
 * @attempts_left: (out) (optional): on %CLAVE_SERVICE_ERROR_INVALID_CODE,
 *   the wrong codes the service still accepts; 0 otherwise
 *
 * Returns: (transfer full): the activation (already verified) to register
 *   this device with
 */
ClaveActivation *
clave_service_client_registration_verify_finish (ClaveServiceClient  *self,
                                                 GAsyncResult        *result,
                                                 guint               *attempts_left,
                                                 GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  ClaveActivation *activation;
  Call *call;

  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  call = g_task_get_task_data (G_TASK (result));
  if (attempts_left != NULL)
    *attempts_left = 0;

  activation = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (activation != NULL)
    return activation;

  if (attempts_left != NULL && call != NULL && call->attempts_left >= 0 &&
      g_error_matches (local_error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE))
    *attempts_left = (guint) call->attempts_left;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

/* Cl@ve Móvil */

G_DEFINE_BOXED_TYPE (ClaveAuthRequestInfo, clave_auth_request_info,
                     clave_auth_request_info_copy, clave_auth_request_info_free)

ClaveAuthRequestInfo *
clave_auth_request_info_copy (const ClaveAuthRequestInfo *info)
{
  ClaveAuthRequestInfo *copy;

  if (info == NULL)
    return NULL;

  copy = g_new0 (ClaveAuthRequestInfo, 1);
  copy->id = g_strdup (info->id);
  copy->type = g_strdup (info->type);
  copy->status = g_strdup (info->status);
  copy->organisation = g_strdup (info->organisation);
  copy->origin = g_strdup (info->origin);
  copy->verification_code = g_strdup (info->verification_code);
  copy->created_at = info->created_at;
  copy->expires_at = info->expires_at;

  return copy;
}

void
clave_auth_request_info_free (ClaveAuthRequestInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->id);
  g_free (info->type);
  g_free (info->status);
  g_free (info->organisation);
  g_free (info->origin);
  g_free (info->verification_code);
  g_free (info);
}

ClaveHistoryEntry *
clave_history_entry_copy (const ClaveHistoryEntry *entry)
{
  ClaveHistoryEntry *copy;

  if (entry == NULL)
    return NULL;

  copy = g_new0 (ClaveHistoryEntry, 1);
  copy->seq = entry->seq;
  copy->id = g_strdup (entry->id);
  copy->type = g_strdup (entry->type);
  copy->organisation = g_strdup (entry->organisation);
  copy->origin = g_strdup (entry->origin);
  copy->status = g_strdup (entry->status);
  copy->created_at = entry->created_at;
  copy->answered_at = entry->answered_at;

  return copy;
}

void
clave_history_entry_free (ClaveHistoryEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->id);
  g_free (entry->type);
  g_free (entry->organisation);
  g_free (entry->origin);
  g_free (entry->status);
  g_free (entry);
}

void
clave_history_page_free (ClaveHistoryPage *page)
{
  if (page == NULL)
    return;

  g_clear_pointer (&page->entries, g_ptr_array_unref);
  g_free (page->next);
  g_free (page);
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
  g_return_val_if_fail (is_signing_key (key), NULL);

  if (!is_valid_id (device_id))
    {
      g_set_error_literal (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,
                           _("This device is not activated in Cl@ve. Activate it to go on."));
      return NULL;
    }

  return build_message (self, method, path, query, NULL, NULL, key, device_id, error);
}

static gboolean
read_int64 (JsonObject  *object,
            const char  *name,
            gboolean     nullable,
            gint64      *out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (nullable && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
    {
      *out = 0;
      return TRUE;
    }

  node = get_member (object, name, G_TYPE_INT64);
  if (node == NULL || json_node_get_int (node) < 0)
    {
      g_autofree char *what = g_strdup_printf ("“%s” missing or not a time", name);

      g_propagate_error (error, protocol_error (what));
      return FALSE;
    }

  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
_clave_auth_request_status_is_known (const char *status)
{
  return g_strcmp0 (status, CLAVE_AUTH_REQUEST_PENDING) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_CONFIRMED) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_REJECTED) == 0 ||
         g_strcmp0 (status, CLAVE_AUTH_REQUEST_EXPIRED) == 0;
}

ClaveAuthRequestInfo *
_clave_auth_request_info_from_json (JsonObject  *object,
                                    GError     **error)
{
  g_autoptr(ClaveAuthRequestInfo) info = g_new0 (ClaveAuthRequestInfo, 1);

  if (!read_id (object, "id", &info->id, error) ||
      !read_string (object, "type", FALSE, &info->type, error) ||
      !read_string (object, "status", FALSE, &info->status, error) ||
      !read_string (object, "organisation", FALSE, &info->organisation, error) ||
      !read_string (object, "origin", FALSE, &info->origin, error) ||
      !read_string (object, "verification_code", FALSE, &info->verification_code, error) ||
      !read_int64 (object, "created_at", FALSE, &info->created_at, error) ||
      !read_int64 (object, "expires_at", FALSE, &info->expires_at, error))
    return NULL;

  if (!clave_request_code_is_valid (info->verification_code))
    {
      g_propagate_error (error, protocol_error ("“verification_code” is not 3 digits"));
      return NULL;
    }

  return g_steal_pointer (&info);
}

static gboolean
parse_request_info (JsonObject  *root,
                    gpointer    *out,
                    GError     **error)
{
  ClaveAuthRequestInfo *info = _clave_auth_request_info_from_json (root, error);

  if (info == NULL)
    return FALSE;

  *out = info;
  return TRUE;
}

static gboolean
check_signer (GTask      *task,
              gpointer    key,
              const char *device_id)
{
  if (!is_signing_key (key))
    {
      g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED,
                               "%s", _("This device is not activated in Cl@ve. Activate it to go on."));
      return FALSE;
    }

  return check_device (task, device_id);
}

static gboolean
check_request_id (GTask      *task,
                  const char *request_id)
{
  if (clave_request_id_is_valid (request_id))
    return TRUE;

  g_task_return_new_error (task, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REQUEST_NOT_FOUND,
                           "%s", _("This request does not exist. Ask the website for a new one."));
  return FALSE;
}

static char *
request_path (const char *request_id,
              const char *suffix)
{
  /* check_request_id() allows only [A-Za-z0-9_-]: nothing to escape. */
  return g_strconcat (CLAVE_PATH_DEVICE_REQUEST_PREFIX, request_id, suffix, NULL);
}

/* POST /v1/device/requests/{id}/claim */

void
clave_service_client_claim_request_async (ClaveServiceClient  *self,
                                          gpointer             key,
                                          const char          *device_id,
                                          const char          *request_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  Call *call;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_claim_request_async);

  if (!check_signer (task, key, device_id) || !check_request_id (task, request_id))
    return;

  body = empty_object ();
  path = request_path (request_id, CLAVE_DEVICE_REQUEST_SUFFIX_CLAIM);
  message = build_message (self, "POST", path, NULL, body, NULL, key, device_id, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = send_call (self, g_steal_pointer (&task), message, "POST /v1/device/requests/{id}/claim",
                    parse_request_info, (GDestroyNotify) clave_auth_request_info_free);
  call->auth_request = TRUE;
}

ClaveAuthRequestInfo *
clave_service_client_claim_request_finish (ClaveServiceClient  *self,
                                           GAsyncResult        *result,
                                           GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* POST /v1/device/requests/{id}/confirm, …/reject */

static gboolean
parse_answer (JsonObject  *root,
              gpointer    *out,
              GError     **error)
{
  g_autofree char *status = NULL;

  if (!read_string (root, "status", FALSE, &status, error))
    return FALSE;

  if (!g_str_equal (status, CLAVE_AUTH_REQUEST_CONFIRMED) &&
      !g_str_equal (status, CLAVE_AUTH_REQUEST_REJECTED))
    {
      g_propagate_error (error, protocol_error ("answer status is neither confirmed nor rejected"));
      return FALSE;
    }

  *out = g_steal_pointer (&status);
  return TRUE;
}

static void
answer_request (ClaveServiceClient  *self,
                ClaveDeviceKey      *key,
                const char          *device_id,
                const char          *request_id,
                const char          *suffix,
                const char          *what,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  GError *error = NULL;
  Call *call;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (!check_signer (task, key, device_id) || !check_request_id (task, request_id))
    return;

  body = empty_object ();
  path = request_path (request_id, suffix);
  message = build_message (self, "POST", path, NULL, body, NULL, key, device_id, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  call = send_call (self, g_steal_pointer (&task), message, what, parse_answer, g_free);
  call->auth_request = TRUE;
}

void
clave_service_client_confirm_request_async (ClaveServiceClient  *self,
                                            ClaveDeviceKey      *key,
                                            const char          *device_id,
                                            const char          *request_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  answer_request (self, key, device_id, request_id, CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM,
                  "POST /v1/device/requests/{id}/confirm",
                  clave_service_client_confirm_request_async,
                  cancellable, callback, user_data);
}

static gboolean
answer_finish (ClaveServiceClient  *self,
               GAsyncResult        *result,
               const char          *expected,
               GError             **error)
{
  g_autofree char *status = g_task_propagate_pointer (G_TASK (result), error);

  if (status == NULL)
    return FALSE;

  if (!g_str_equal (status, expected))
    {
      g_propagate_error (error, protocol_error ("answer status differs from the answer given"));
      return FALSE;
    }

  return TRUE;
}

gboolean
clave_service_client_confirm_request_finish (ClaveServiceClient  *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return answer_finish (self, result, CLAVE_AUTH_REQUEST_CONFIRMED, error);
}

void
clave_service_client_reject_request_async (ClaveServiceClient  *self,
                                           ClaveDeviceKey      *key,
                                           const char          *device_id,
                                           const char          *request_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  answer_request (self, key, device_id, request_id, CLAVE_DEVICE_REQUEST_SUFFIX_REJECT,
                  "POST /v1/device/requests/{id}/reject",
                  clave_service_client_reject_request_async,
                  cancellable, callback, user_data);
}

gboolean
clave_service_client_reject_request_finish (ClaveServiceClient  *self,
                                            GAsyncResult        *result,
                                            GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return answer_finish (self, result, CLAVE_AUTH_REQUEST_REJECTED, error);
}

/* GET /v1/device/requests?status=pending */

static gboolean
parse_pending (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_auth_request_info_free);
  JsonNode *node = json_object_get_member (root, "requests");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_propagate_error (error, protocol_error ("“requests” missing or not an array"));
      return FALSE;
    }

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      ClaveAuthRequestInfo *info;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_propagate_error (error, protocol_error ("“requests” holds a non-object"));
          return FALSE;
        }

      info = _clave_auth_request_info_from_json (json_node_get_object (element), error);
      if (info == NULL)
        return FALSE;
      g_ptr_array_add (requests, info);
    }

  *out = g_steal_pointer (&requests);
  return TRUE;
}

void
clave_service_client_list_pending_async (ClaveServiceClient  *self,
                                         gpointer             key,
                                         const char          *device_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_list_pending_async);

  if (!check_signer (task, key, device_id))
    return;

  message = build_message (self, "GET", CLAVE_PATH_DEVICE_REQUESTS, "status=pending",
                           NULL, NULL, key, device_id, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "GET /v1/device/requests",
             parse_pending, (GDestroyNotify) g_ptr_array_unref);
}

GPtrArray *
clave_service_client_list_pending_finish (ClaveServiceClient  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GET /v1/device/history */

#define HISTORY_MAX_LIMIT CLAVE_HISTORY_LIMIT_MAX

/* The cursor is opaque: the service may send it as a number or a string,
 * and it goes back verbatim in "after". */
static gboolean
read_cursor (JsonObject  *root,
             char       **out,
             GError     **error)
{
  JsonNode *node = json_object_get_member (root, "next");

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *out = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      return TRUE;
    }

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
      strlen (json_node_get_string (node)) <= ID_MAX_LEN &&
      is_valid_id (json_node_get_string (node)))
    {
      *out = g_strdup (json_node_get_string (node));
      return TRUE;
    }

  g_propagate_error (error, protocol_error ("“next” is not a cursor"));
  return FALSE;
}

static gboolean
parse_history (JsonObject  *root,
               gpointer    *out,
               GError     **error)
{
  g_autoptr(ClaveHistoryPage) page = g_new0 (ClaveHistoryPage, 1);
  JsonNode *node = json_object_get_member (root, "items");
  JsonArray *array;

  page->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_history_entry_free);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_propagate_error (error, protocol_error ("“items” missing or not an array"));
      return FALSE;
    }

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr(ClaveHistoryEntry) entry = g_new0 (ClaveHistoryEntry, 1);
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_propagate_error (error, protocol_error ("“items” holds a non-object"));
          return FALSE;
        }
      object = json_node_get_object (element);

      if (!read_int64 (object, "seq", FALSE, &entry->seq, error) ||
          !read_id (object, "id", &entry->id, error) ||
          !read_string (object, "type", FALSE, &entry->type, error) ||
          !read_string (object, "organisation", FALSE, &entry->organisation, error) ||
          !read_string (object, "origin", FALSE, &entry->origin, error) ||
          !read_string (object, "status", FALSE, &entry->status, error) ||
          !read_int64 (object, "created_at", FALSE, &entry->created_at, error) ||
          !read_int64 (object, "answered_at", TRUE, &entry->answered_at, error))
        return FALSE;

      g_ptr_array_add (page->entries, g_steal_pointer (&entry));
    }

  if (!read_cursor (root, &page->next, error) ||
      !read_bool (root, "more", &page->more, error))
    return FALSE;

  /* Without a cursor "more" could only fetch the same page forever. */
  if (page->more && page->next == NULL)
    {
      g_propagate_error (error, protocol_error ("“more” without “next”"));
      return FALSE;
    }

  *out = g_steal_pointer (&page);
  return TRUE;
}

void
clave_service_client_get_history_async (ClaveServiceClient  *self,
                                        gpointer             key,
                                        const char          *device_id,
                                        const char          *after,
                                        guint                limit,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *query = NULL;
  g_autofree char *escaped = NULL;
  GError *error = NULL;

  g_return_if_fail (CLAVE_IS_SERVICE_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_service_client_get_history_async);

  if (!check_signer (task, key, device_id))
    return;

  limit = CLAMP (limit, 1, HISTORY_MAX_LIMIT);
  if (after != NULL && after[0] != '\0')
    {
      escaped = g_uri_escape_string (after, NULL, FALSE);
      query = g_strdup_printf ("after=%s&limit=%u", escaped, limit);
    }
  else
    query = g_strdup_printf ("limit=%u", limit);

  message = build_message (self, "GET", CLAVE_PATH_DEVICE_HISTORY, query,
                           NULL, NULL, key, device_id, &error);
  if (message == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  send_call (self, g_steal_pointer (&task), message, "GET /v1/device/history",
             parse_history, (GDestroyNotify) clave_history_page_free);
}

ClaveHistoryPage *
clave_service_client_get_history_finish (ClaveServiceClient  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  g_return_val_if_fail (CLAVE_IS_SERVICE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
