/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-server-private.h"
#include "clave-sqlite-store.h"
#include "clave-state.h"

#define PURGE_INTERVAL_SECS 600
#define STARTED_KEY "clave-started-us"

G_DEFINE_FINAL_TYPE (ClaveServer, clave_server, G_TYPE_OBJECT)

ClaveServerConfig *
clave_server_config_new (void)
{
  ClaveServerConfig *config = g_new0 (ClaveServerConfig, 1);

  config->address = g_strdup ("127.0.0.1");
  config->port = 8443;
  config->sms_resend_interval = CLAVE_SMS_RESEND_INTERVAL_DEFAULT;
  config->sms_code_ttl = CLAVE_SMS_CODE_TTL_SECS;
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
  copy->sms_resend_interval = config->sms_resend_interval;
  copy->sms_code_ttl = config->sms_code_ttl;
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
  g_free (config);
}

gint64
_clave_server_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
reply_method_not_allowed (SoupServerMessage *msg,
                          const char        *allow)
{
  clave_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED,
                          "This method is not allowed on this path.");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
}

static gboolean
method_is (SoupServerMessage *msg,
           const char        *method)
{
  return g_strcmp0 (soup_server_message_get_method (msg), method) == 0;
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
  else
    return FALSE;

  *id = g_strndup (rest, (gsize) (slash - rest));
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
  g_autofree char *activation_id = NULL;
  ClaveActivationStep step;

  if (g_str_equal (path, CLAVE_PATH_HEALTH))
    {
      if (!method_is (msg, SOUP_METHOD_GET))
        reply_method_not_allowed (msg, "GET");
      else
        route_health (msg);
    }
  else if (g_str_equal (path, CLAVE_PATH_IDENTIFY))
    {
      if (!method_is (msg, SOUP_METHOD_POST))
        reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_identify (self, msg);
    }
  else if (g_str_has_prefix (path, CLAVE_PATH_ACTIVATIONS) &&
           parse_activation_path (path, &activation_id, &step))
    {
      if (!method_is (msg, SOUP_METHOD_POST))
        reply_method_not_allowed (msg, "POST");
      else
        _clave_routes_activation (self, msg, activation_id, step);
    }
  else if (g_str_equal (path, CLAVE_PATH_ME))
    {
      if (!method_is (msg, SOUP_METHOD_GET))
        reply_method_not_allowed (msg, "GET");
      else
        _clave_routes_me (self, msg, query);
    }
  else if (g_str_equal (path, CLAVE_PATH_DEVICE))
    {
      if (!method_is (msg, SOUP_METHOD_DELETE))
        reply_method_not_allowed (msg, "DELETE");
      else
        _clave_routes_delete_device (self, msg);
    }
  else
    {
      clave_http_reply_error (msg, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND,
                              "There is nothing at this path.");
    }
}

static void
handle_early (SoupServer        *soup,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  clave_http_watch_body (msg);
}

static void
on_request_started (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  gint64 now = g_get_monotonic_time ();

  g_object_set_data_full (G_OBJECT (msg), STARTED_KEY, g_memdup2 (&now, sizeof now), g_free);
}

static void
log_request (SoupServerMessage *msg,
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

static void
on_request_finished (SoupServer        *soup,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  log_request (msg, NULL);
}

static void
on_request_aborted (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  log_request (msg, "(aborted)");
}

static gboolean
purge_cb (gpointer user_data)
{
  ClaveServer *self = CLAVE_SERVER (user_data);
  g_autoptr(GError) error = NULL;

  if (!clave_store_purge (self->store, _clave_server_now (), &error))
    g_warning ("Purging old rows failed: %s", error->message);
  return G_SOURCE_CONTINUE;
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

  g_return_val_if_fail (config != NULL && config->state_dir != NULL, NULL);

  self = g_object_new (CLAVE_TYPE_SERVER, NULL);
  self->config = config_copy (config);

  if (!clave_state_dir_prepare (config->state_dir, error))
    return NULL;

  self->secret = clave_state_load_secret (config->state_dir, error);
  if (self->secret == NULL)
    return NULL;

  db_path = clave_state_db_path (config->state_dir);
  self->store = clave_sqlite_store_new (db_path, error);
  if (self->store == NULL)
    return NULL;

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

  certificate = g_tls_certificate_new_from_files (self->tls->cert_file, self->tls->key_file,
                                                  error);
  if (certificate == NULL)
    return NULL;

  self->sms = clave_sms_sender_new (self->store, config->sms_command, error);
  if (self->sms == NULL)
    return NULL;

  server_header = g_strdup_printf ("clave-server/%s", PACKAGE_VERSION);
  self->soup = g_object_new (SOUP_TYPE_SERVER,
                             "tls-certificate", certificate,
                             "server-header", server_header,
                             NULL);
  soup_server_add_early_handler (self->soup, NULL, handle_early, self, NULL);
  soup_server_add_handler (self->soup, NULL, handle_request, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (on_request_aborted), self);

  purge_cb (self);
  self->purge_id = g_timeout_add_seconds (PURGE_INTERVAL_SECS, purge_cb, self);

  return g_steal_pointer (&self);
}

gboolean
clave_server_listen (ClaveServer  *self,
                     GError      **error)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  GSList *uris;
  int port = -1;

  g_return_val_if_fail (CLAVE_IS_SERVER (self), FALSE);

  inet = g_inet_address_new_from_string (self->config->address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s is not an IP address", self->config->address);
      return FALSE;
    }
  address = g_inet_socket_address_new (inet, (guint16) self->config->port);

  if (!soup_server_listen (self->soup, address, SOUP_SERVER_LISTEN_HTTPS, error))
    return FALSE;

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    self->url = g_strdup_printf ("https://[%s]:%d", self->config->address, port);
  else
    self->url = g_strdup_printf ("https://%s:%d", self->config->address, port);

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
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  if (self->sms != NULL)
    clave_sms_sender_cancel (self->sms);
  if (self->store != NULL)
    clave_store_close (self->store);
}

static void
clave_server_dispose (GObject *object)
{
  ClaveServer *self = CLAVE_SERVER (object);

  g_clear_handle_id (&self->purge_id, g_source_remove);
  g_clear_object (&self->soup);
  g_clear_object (&self->sms);
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
  g_clear_pointer (&self->url, g_free);

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
