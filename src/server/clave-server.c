/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-demo-site.h"
#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-device-auth.h"
#include "clave-server-private.h"
#include "clave-sqlite-store.h"
#include "clave-state.h"
#include "clave-trust-anchors.h"
#include "clave-video-registration.h"

#define PURGE_INTERVAL_SECS 600

G_DEFINE_FINAL_TYPE (ClaveServer, clave_server, G_TYPE_OBJECT)

ClaveServerConfig *
clave_server_config_new (void)
{
  ClaveServerConfig *config = g_new0 (ClaveServerConfig, 1);

  config->address = g_strdup ("127.0.0.1");
  config->port = 8443;
  config->sms_resend_interval = CLAVE_SMS_RESEND_INTERVAL_DEFAULT;
  config->sms_code_ttl = CLAVE_SMS_CODE_TTL_SECS;
  config->handshake_timeout = CLAVE_TRANSPORT_HANDSHAKE_TIMEOUT_DEFAULT;
  config->header_timeout = CLAVE_TRANSPORT_HEADER_TIMEOUT_DEFAULT;
  config->body_timeout = CLAVE_TRANSPORT_BODY_TIMEOUT_DEFAULT;
  config->idle_timeout = CLAVE_TRANSPORT_IDLE_TIMEOUT_DEFAULT;
  config->send_timeout = CLAVE_TRANSPORT_SEND_TIMEOUT_DEFAULT;
  config->max_connections = CLAVE_TRANSPORT_MAX_CONNECTIONS_DEFAULT;
  config->max_connections_per_address = CLAVE_TRANSPORT_MAX_PER_ADDRESS_DEFAULT;
  config->request_retention_days = CLAVE_REQUEST_RETENTION_DAYS_DEFAULT;
  return config;
}

static ClaveServerConfig *
config_copy (const ClaveServerConfig *config)
{
  ClaveServerConfig *copy = g_new0 (ClaveServerConfig, 1);

  copy->state_dir = g_strdup (config->state_dir);
  copy->address = g_strdup (config->address);
  copy->port = config->port;
  copy->hostnames = g_strdupv (config->hostnames);
  copy->sms_command = g_strdup (config->sms_command);
  copy->mail_command = g_strdup (config->mail_command);
  copy->sms_resend_interval = config->sms_resend_interval;
  copy->sms_code_ttl = config->sms_code_ttl;
  copy->trust_anchors = g_strdup (config->trust_anchors);
  copy->intermediates = g_strdup (config->intermediates);
  copy->handshake_timeout = config->handshake_timeout;
  copy->header_timeout = config->header_timeout;
  copy->body_timeout = config->body_timeout;
  copy->idle_timeout = config->idle_timeout;
  copy->send_timeout = config->send_timeout;
  copy->max_connections = config->max_connections;
  copy->max_connections_per_address = config->max_connections_per_address;
  copy->request_retention_days = config->request_retention_days;
  return copy;
}

void
clave_server_config_free (ClaveServerConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->state_dir);
  g_free (config->address);
  g_strfreev (config->hostnames);
  g_free (config->sms_command);
  g_free (config->mail_command);
  g_free (config->trust_anchors);
  g_free (config->intermediates);
  g_free (config);
}

gint64
_clave_server_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

gboolean
_clave_server_has_trust_anchors (ClaveServer *self)
{
  return self->trust_list != NULL && self->n_trust_anchors > 0;
}

/* Enough for the devices that sign within a few minutes on a busy
 * service; a key is 91 bytes of DER and a parsed key a few hundred. */
#define DEVICE_KEYS_MAX 4096

ClaveDeviceKeys *
_clave_device_keys (ClaveServer *self)
{
  if (self->device_keys == NULL)
    self->device_keys = clave_device_keys_new (DEVICE_KEYS_MAX);
  return self->device_keys;
}

ClaveDeviceRecord *
_clave_device_authenticate (ClaveServer       *self,
                            SoupServerMessage *msg,
                            gboolean           push_key_allowed)
{
  g_autoptr(GBytes) body = NULL;

  if (!clave_http_get_body (msg, &body))
    return NULL;
  return clave_device_auth_verify_full (self->store, _clave_device_keys (self), msg, body,
                                        _clave_server_now (), push_key_allowed, NULL);
}

ClaveDeviceAuthCheck *
_clave_device_auth_check_new (ClaveServer       *self,
                              SoupServerMessage *msg)
{
  g_autoptr(GBytes) body = NULL;

  if (!clave_http_get_body (msg, &body))
    return NULL;
  return clave_device_auth_check_new (self->store, _clave_device_keys (self), msg, body,
                                      _clave_server_now ());
}

ClaveDeviceRecord *
_clave_device_auth_check_finish (ClaveServer           *self,
                                 ClaveDeviceAuthCheck  *check,
                                 SoupServerMessage     *msg,
                                 char                 **nonce)
{
  return clave_device_auth_check_finish (check, self->store, msg, FALSE, nonce);
}

static void
route_health (SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* "/v1/activations/{id}/{step}" -> id and step; FALSE for anything else. */
static gboolean
parse_activation_path (const char          *path,
                       char               **id,
                       ClaveActivationStep *step)
{
  const char *rest = path + strlen (CLAVE_PATH_ACTIVATIONS);
  const char *slash = strchr (rest, '/');

  if (slash == NULL || slash == rest)
    return FALSE;

  if (g_str_equal (slash, "/sms"))
    *step = CLAVE_ACTIVATION_STEP_SMS;
  else if (g_str_equal (slash, "/sms/verify"))
    *step = CLAVE_ACTIVATION_STEP_VERIFY;
  else if (g_str_equal (slash, "/device"))
    *step = CLAVE_ACTIVATION_STEP_DEVICE;
  else if (g_str_equal (slash, CLAVE_ACTIVATION_SUFFIX_CERTIFICATE))
    *step = CLAVE_ACTIVATION_STEP_CERTIFICATE;
  else
    return FALSE;

  *id = g_strndup (rest, (gsize) (slash - rest));
  return TRUE;
}

/* "/v1/registrations/{id}/{step}" -> id and step; FALSE for anything
 * else. */
static gboolean
parse_registration_path (const char             *path,
                         char                  **id,
                         ClaveRegistrationStep  *step)
{
  const char *rest = path + strlen (CLAVE_PATH_REGISTRATION_PREFIX);
  const char *slash = strchr (rest, '/');

  if (slash == NULL || slash == rest)
    return FALSE;

  if (g_str_equal (slash, "/sms"))
    *step = CLAVE_REGISTRATION_STEP_SMS;
  else if (g_str_equal (slash, "/verify"))
    *step = CLAVE_REGISTRATION_STEP_VERIFY;
  else
    return FALSE;

  *id = g_strndup (rest, (gsize) (slash - rest));
  return TRUE;
}

/* "/v1/video-registrations/{id}" and {id}/sms, /verify, /submit,
 * /images/{kind}: the id and the step ("" or the suffix, borrowed from
 * @path). */
static gboolean
parse_video_path (const char   *path,
                  char        **id,
                  const char  **step)
{
  const char *rest = path + strlen (CLAVE_PATH_VIDEO_REGISTRATION_PREFIX);
  const char *slash = strchr (rest, '/');
  g_autofree char *candidate = slash != NULL ? g_strndup (rest, (gsize) (slash - rest))
                                             : g_strdup (rest);

  if (!clave_http_is_path_id (candidate))
    return FALSE;
  if (slash != NULL && !g_str_equal (slash, "/sms") && !g_str_equal (slash, "/verify") &&
      !g_str_equal (slash, "/submit") &&
      !(g_str_has_prefix (slash, "/images/") && clave_http_is_path_id (slash + 8)))
    return FALSE;
  *id = g_steal_pointer (&candidate);
  *step = slash != NULL ? slash : "";
  return TRUE;
}

/* "/v1/me/phone/{id}/sms" or "…/verify" (@send_suffix "/sms"),
 * "/v1/me/email/{id}/code" or "…/verify" ("/code"): the id and the suffix
 * (borrowed from @path). */
static gboolean
parse_change_path (const char   *path,
                   const char   *prefix,
                   const char   *send_suffix,
                   char        **id,
                   const char  **suffix)
{
  const char *rest;
  const char *slash;

  if (!g_str_has_prefix (path, prefix))
    return FALSE;
  rest = path + strlen (prefix);
  slash = strchr (rest, '/');
  if (slash == NULL || slash == rest || slash - rest > 64 ||
      (!g_str_equal (slash, send_suffix) && !g_str_equal (slash, "/verify")))
    return FALSE;
  *id = g_strndup (rest, (gsize) (slash - rest));
  *suffix = slash;
  return TRUE;
}

static void
handle_request (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ClaveServer *self = CLAVE_SERVER (user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *activation_id = NULL;
  g_autofree char *change_id = NULL;
  const char *change_suffix = "";
  g_autofree char *registration_id = NULL;
  g_autofree char *video_id = NULL;
  const char *video_step = NULL;
  ClaveActivationStep step;
  ClaveRegistrationStep registration_step;

  /* Codes leave the outbox as soon as they expire, not only at the next
   * purge: one indexed UPDATE, usually of nothing. */
  if (!clave_store_redact_expired_codes (self->store, _clave_server_now (), &error))
    g_warning ("Redacting expired codes failed: %s", error->message);

  /* The demo relying-party website: /demo and below. */
  if (clave_demo_site_handle (self, msg, path))
    return;

  if (g_str_equal (path, CLAVE_PATH_HEALTH))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_GET))
        clave_http_reply_method_not_allowed (msg, "GET");
      else
        route_health (msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_IDENTIFY))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_identify (self, msg);
    }
  else if (g_str_has_prefix (path, CLAVE_PATH_ACTIVATIONS) &&
           parse_activation_path (path, &activation_id, &step))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_activation (self, msg, activation_id, step);
    }
  else if (g_str_equal (path, CLAVE_PATH_CHALLENGES))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_challenge (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_REGISTRATIONS))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_registration (self, msg, NULL, CLAVE_REGISTRATION_STEP_START);
    }
  else if (g_str_has_prefix (path, CLAVE_PATH_REGISTRATION_PREFIX) &&
           parse_registration_path (path, &registration_id, &registration_step))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_registration (self, msg, registration_id, registration_step);
    }
  else if (g_str_equal (path, CLAVE_PATH_VIDEO_REGISTRATIONS))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_video (self, msg, NULL, NULL);
    }
  else if (g_str_has_prefix (path, CLAVE_PATH_VIDEO_REGISTRATION_PREFIX) &&
           parse_video_path (path, &video_id, &video_step))
    {
      const char *allowed = *video_step == '\0' ? "GET"
                            : g_str_has_prefix (video_step, "/images/") ? "PUT" : "POST";

      if (!clave_http_method_is (msg, allowed))
        clave_http_reply_method_not_allowed (msg, allowed);
      else
        _clave_routes_video (self, msg, video_id, video_step);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_GET))
        clave_http_reply_method_not_allowed (msg, "GET");
      else
        _clave_routes_me (self, msg, query);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_GIVE_UP))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_give_up (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_PHONE) ||
           parse_change_path (path, CLAVE_PATH_ME_PHONE_PREFIX, "/sms", &change_id,
                              &change_suffix))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_phone_change (self, msg, change_id, change_suffix);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_EMAIL) ||
           parse_change_path (path, CLAVE_PATH_ME_EMAIL_PREFIX, "/code", &change_id,
                              &change_suffix))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_email_change (self, msg, change_id, change_suffix);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_PERMANENTE_CODE))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_permanente_code (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_PERMANENTE))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_DELETE))
        clave_http_reply_method_not_allowed (msg, "DELETE");
      else
        _clave_routes_permanente_delete (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_PERMANENTE_PASSWORD))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_permanente_password (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_PERMANENTE_RECOVERY) ||
           (g_str_has_prefix (path, CLAVE_PATH_ME_PERMANENTE_RECOVERY "/") &&
            clave_http_is_path_id (path + strlen (CLAVE_PATH_ME_PERMANENTE_RECOVERY "/"))))
    {
      const char *id = g_str_equal (path, CLAVE_PATH_ME_PERMANENTE_RECOVERY)
                       ? NULL : path + strlen (CLAVE_PATH_ME_PERMANENTE_RECOVERY "/");

      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_permanente_recovery (self, msg, id);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_FIRMA))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_GET))
        clave_http_reply_method_not_allowed (msg, "GET");
      else
        _clave_routes_firma_list (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_FIRMA_REVOKE))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_firma_revoke (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_FIRMA_CRL) || g_str_equal (path, CLAVE_PATH_FIRMA_CA))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_GET))
        clave_http_reply_method_not_allowed (msg, "GET");
      else if (g_str_equal (path, CLAVE_PATH_FIRMA_CRL))
        _clave_routes_firma_crl (self, msg);
      else
        _clave_routes_firma_ca (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME_LEVEL))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        clave_http_reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_raise_level (self, msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_DEVICE))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_DELETE))
        clave_http_reply_method_not_allowed (msg, "DELETE");
      else
        _clave_routes_delete_device (self, msg);
    }
  else if (!_clave_routes_mobile (self, msg, path, query))
    {
      clave_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND,
                              "There is nothing at this path.");
    }
}

/* The host part of a Host header value ("name", "name:port",
 * "[v6]:port"), lower case; NULL when it is not of that form. */
static char *
host_without_port (const char *value)
{
  const char *end;

  if (value == NULL || *value == '\0')
    return NULL;

  if (*value == '[')
    {
      const char *close = strchr (value, ']');

      if (close == NULL || close == value + 1)
        return NULL;
      end = close + 1;
      if (*end != '\0' && *end != ':')
        return NULL;
      if (*end == ':')
        for (const char *p = end + 1; *p != '\0'; p++)
          if (!g_ascii_isdigit (*p))
            return NULL;
      return g_ascii_strdown (value + 1, close - (value + 1));
    }

  end = strchr (value, ':');
  if (end != NULL)
    {
      for (const char *p = end + 1; *p != '\0'; p++)
        if (!g_ascii_isdigit (*p))
          return NULL;
    }
  else
    end = value + strlen (value);

  if (end == value)
    return NULL;
  return g_ascii_strdown (value, end - value);
}

static gboolean
host_is_ours (ClaveServer *self,
              const char  *host)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);

  for (guint i = 0; i < self->host_names->len; i++)
    {
      const char *name = g_ptr_array_index (self->host_names, i);

      /* Addresses have more than one spelling (::1, 0:0::1). */
      if (address != NULL)
        {
          g_autoptr(GInetAddress) ours = g_inet_address_new_from_string (name);

          if (ours != NULL && g_inet_address_equal (address, ours))
            return TRUE;
        }
      else if (g_str_equal (host, name))
        {
          return TRUE;
        }
    }
  return FALSE;
}

/* A request for another name than ours: a signature made for another
 * service, or a client confused by DNS. Refused before its body is read,
 * as is a request whose framing or Host is ambiguous, which both early
 * handlers check first through here. */
gboolean
_clave_server_check_host (ClaveServer       *self,
                          SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (headers, "Host");
  g_autofree char *host = NULL;

  if (!clave_http_check_framing (msg))
    return FALSE;

  /* Without a Host header (HTTP/1.0) libsoup names the local address. */
  if (value == NULL || *value == '\0')
    host = g_strdup (g_uri_get_host (soup_server_message_get_uri (msg)));
  else
    host = host_without_port (value);

  if (host != NULL && host_is_ours (self, host))
    return TRUE;

  clave_http_reply_error (msg, SOUP_STATUS_MISDIRECTED_REQUEST, CLAVE_ERR_MISDIRECTED_REQUEST,
                          "This service does not answer to this host name.");
  /* The body was not read: the connection cannot be reused. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  return FALSE;
}

static void
handle_early (SoupServer        *soup,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  ClaveServer *self = CLAVE_SERVER (user_data);

  if (!_clave_server_check_host (self, msg))
    return;
  clave_http_watch_body (msg);
}

static void
on_request_finished (SoupServer        *soup,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  clave_http_log_request (msg, NULL);
}

static void
on_request_aborted (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  clave_http_log_request (msg, "(aborted)");
}

static gboolean
purge_cb (gpointer user_data)
{
  ClaveServer *self = CLAVE_SERVER (user_data);
  g_autoptr(GError) error = NULL;

  if (!clave_store_purge (self->store, _clave_server_now (), &error))
    g_warning ("Purging old rows failed: %s", error->message);
  /* Pictures of video identifications that no review will read. */
  clave_video_purge (self, _clave_server_now ());
  return G_SOURCE_CONTINUE;
}

/* --trust-anchors, and the intermediates that complete paths to them:
 * --intermediates, or else the folder "intermediates" beside the anchors'
 * folder when there is one (docs/clave-server.1). */
static gboolean
load_certificates (ClaveServer  *self,
                   GError      **error)
{
  const ClaveServerConfig *config = self->config;
  g_autofree char *beside = NULL;
  const char *dir = config->intermediates;
  const char *label = "--intermediates";

  if (config->trust_anchors == NULL)
    {
      if (config->intermediates != NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "--intermediates needs --trust-anchors: intermediate "
                               "certificates are never trusted by themselves");
          return FALSE;
        }
      g_info ("No --trust-anchors: certificate proofs are refused");
      return TRUE;
    }

  self->trust_list = clave_trust_anchors_load (config->trust_anchors, &self->n_trust_anchors,
                                               error);
  if (self->trust_list == NULL)
    return FALSE;
  g_info ("Loaded %u trust anchor%s from %s: certificate proofs accepted",
          self->n_trust_anchors, self->n_trust_anchors == 1 ? "" : "s", config->trust_anchors);

  if (dir == NULL)
    {
      g_autoptr(GFile) anchors = g_file_new_for_path (config->trust_anchors);
      g_autoptr(GFile) parent = g_file_get_parent (anchors);
      g_autoptr(GFile) folder = parent != NULL ? g_file_get_child (parent, "intermediates")
                                               : NULL;

      if (folder == NULL ||
          g_file_query_file_type (folder, G_FILE_QUERY_INFO_NONE, NULL) != G_FILE_TYPE_DIRECTORY)
        {
          g_info ("No --intermediates and no intermediates folder beside --trust-anchors: "
                  "proofs must carry their intermediate certificates");
          return TRUE;
        }
      dir = beside = g_file_get_path (folder);
      label = "Intermediates beside --trust-anchors";
    }

  self->intermediates = clave_intermediates_load (dir, label, self->trust_list, error);
  if (self->intermediates == NULL)
    return FALSE;
  g_info ("Loaded %u intermediate certificate%s from %s%s: they complete the chains of proofs",
          self->intermediates->len, self->intermediates->len == 1 ? "" : "s", dir,
          beside != NULL ? " (beside --trust-anchors)" : "");
  return TRUE;
}

ClaveServer *
clave_server_new (const ClaveServerConfig  *config,
                  GError                  **error)
{
  g_autoptr(ClaveServer) self = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *server_header = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GError) local_error = NULL;
  static const char * const fixed_names[] = { "localhost", "127.0.0.1", "::1" };
  ClaveTransportLimits limits = {
    .handshake_timeout = config->handshake_timeout,
    .header_timeout = config->header_timeout,
    .body_timeout = config->body_timeout,
    .idle_timeout = config->idle_timeout,
    .send_timeout = config->send_timeout,
    .max_connections = config->max_connections,
    .max_connections_per_address = config->max_connections_per_address,
  };

  g_return_val_if_fail (config != NULL && config->state_dir != NULL, NULL);

  self = g_object_new (CLAVE_TYPE_SERVER, NULL);
  self->config = config_copy (config);

  /* A state directory the service cannot write would let it start and
   * then answer 500 to every request that writes: better not to start,
   * and say why. */
  if (!clave_state_dir_prepare (config->state_dir, error) ||
      !clave_state_check_writable (config->state_dir, error))
    return NULL;

  self->secret = clave_state_load_secret (config->state_dir, error);
  if (self->secret == NULL)
    return NULL;

  db_path = clave_state_db_path (config->state_dir);
  self->store = clave_sqlite_store_new (db_path, error);
  if (self->store == NULL)
    return NULL;
  /* The purge is a write: SQLite opens a database it cannot write (a
   * read-only file, a journal it cannot create) read-only, silently. */
  if (!clave_store_purge (self->store, _clave_server_now (), &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY,
                   "Cannot write the database %s (%s): the state directory and its files "
                   "must be writable by the service", db_path, local_error->message);
      return NULL;
    }

  /* The listening address is a name clients use too (unless it is a
   * wildcard). */
  for (guint i = 0; config->hostnames != NULL && config->hostnames[i] != NULL; i++)
    g_ptr_array_add (names, config->hostnames[i]);
  if (config->address != NULL && g_strcmp0 (config->address, "0.0.0.0") != 0 &&
      g_strcmp0 (config->address, "::") != 0)
    g_ptr_array_add (names, config->address);
  g_ptr_array_add (names, NULL);

  self->tls = clave_tls_ensure (config->state_dir, (const char * const *) names->pdata, error);
  if (self->tls == NULL)
    return NULL;
  self->firma_ca = clave_firma_ca_open (config->state_dir, error);
  if (self->firma_ca == NULL)
    return NULL;
  self->video_files = clave_video_files_open (config->state_dir, error);
  if (self->video_files == NULL)
    return NULL;

  /* The same names as the certificate (clave-tls.c adds the fixed ones). */
  self->host_names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (fixed_names); i++)
    g_ptr_array_add (self->host_names, g_strdup (fixed_names[i]));
  for (guint i = 0; i + 1 < names->len; i++)
    g_ptr_array_add (self->host_names, g_ascii_strdown (g_ptr_array_index (names, i), -1));

  certificate = g_tls_certificate_new_from_files (self->tls->cert_file, self->tls->key_file,
                                                  error);
  if (certificate == NULL)
    return NULL;

  if (!load_certificates (self, error))
    return NULL;

  self->sms = clave_outbox_sender_new (self->store, CLAVE_OUTBOX_SMS, config->sms_command,
                                       error);
  if (self->sms == NULL)
    return NULL;
  self->mail = clave_outbox_sender_new (self->store, CLAVE_OUTBOX_EMAIL, config->mail_command,
                                        error);
  if (self->mail == NULL)
    return NULL;

  server_header = g_strdup_printf ("clave-server/%s", PACKAGE_VERSION);
  /* No TLS certificate and no listener: the transport does both. */
  self->soup = g_object_new (SOUP_TYPE_SERVER, "server-header", server_header, NULL);
  soup_server_add_early_handler (self->soup, NULL, handle_early, self, NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (on_request_aborted), self);
  self->transport = clave_transport_new (self->soup, certificate, &limits);
  _clave_auth_requests_init (self);

  self->purge_id = g_timeout_add_seconds (PURGE_INTERVAL_SECS, purge_cb, self);

  return g_steal_pointer (&self);
}

gboolean
clave_server_listen (ClaveServer  *self,
                     GError      **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  guint port;

  g_return_val_if_fail (CLAVE_IS_SERVER (self), FALSE);

  inet = g_inet_address_new_from_string (self->config->address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s is not an IP address", self->config->address);
      return FALSE;
    }
  address = g_inet_socket_address_new (inet, (guint16) self->config->port);

  if (!clave_transport_listen (self->transport, G_INET_SOCKET_ADDRESS (address), error))
    return FALSE;
  port = g_inet_socket_address_get_port (clave_transport_get_address (self->transport));

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    self->url = g_strdup_printf ("https://[%s]:%u", self->config->address, port);
  else
    self->url = g_strdup_printf ("https://%s:%u", self->config->address, port);

  return TRUE;
}

const char *
clave_server_get_url (ClaveServer *self)
{
  g_return_val_if_fail (CLAVE_IS_SERVER (self), NULL);
  return self->url;
}

const char *
clave_server_get_ca_file (ClaveServer *self)
{
  g_return_val_if_fail (CLAVE_IS_SERVER (self), NULL);
  return self->tls->ca_file;
}

void
clave_server_shutdown (ClaveServer *self)
{
  g_return_if_fail (CLAVE_IS_SERVER (self));

  g_clear_handle_id (&self->purge_id, g_source_remove);
  _clave_auth_requests_shutdown (self);
  if (self->transport != NULL)
    clave_transport_shutdown (self->transport);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  if (self->sms != NULL)
    clave_outbox_sender_cancel (self->sms);
  if (self->mail != NULL)
    clave_outbox_sender_cancel (self->mail);
  if (self->store != NULL)
    clave_store_close (self->store);
}

static void
clave_server_dispose (GObject *object)
{
  ClaveServer *self = CLAVE_SERVER (object);

  g_clear_handle_id (&self->purge_id, g_source_remove);
  if (self->waiters != NULL)
    _clave_auth_requests_shutdown (self);
  g_clear_pointer (&self->waiters, g_hash_table_unref);
  g_clear_pointer (&self->push_clients, g_hash_table_unref);
  g_clear_object (&self->transport);
  g_clear_object (&self->soup);
  g_clear_object (&self->sms);
  g_clear_object (&self->mail);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (clave_server_parent_class)->dispose (object);
}

static void
clave_server_finalize (GObject *object)
{
  ClaveServer *self = CLAVE_SERVER (object);

  g_clear_pointer (&self->config, clave_server_config_free);
  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_pointer (&self->tls, clave_tls_files_free);
  g_clear_pointer (&self->firma_ca, clave_firma_ca_free);
  g_clear_pointer (&self->firma_crl, g_bytes_unref);
  g_clear_pointer (&self->video_files, clave_video_files_free);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->demo_rp_id, g_free);
  g_clear_pointer (&self->host_names, g_ptr_array_unref);
  if (self->trust_list != NULL)
    gnutls_x509_trust_list_deinit (self->trust_list, 1);
  g_clear_pointer (&self->intermediates, g_ptr_array_unref);

  G_OBJECT_CLASS (clave_server_parent_class)->finalize (object);
}

static void
clave_server_class_init (ClaveServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clave_server_dispose;
  object_class->finalize = clave_server_finalize;
}

static void
clave_server_init (ClaveServer *self)
{
}
