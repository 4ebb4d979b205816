/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-profile"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "clave-profile.h"
#include "clave-service-error.h"

/* Long enough for a slow mobile link, short enough that a person is not
 * left staring at a spinner when the service is gone. */
#define SESSION_TIMEOUT_SECS      30
#define SESSION_IDLE_TIMEOUT_SECS 60

struct _ClaveProfile
{
  GObject    parent_instance;

  GSettings *settings;
  gboolean   activated;
};

G_DEFINE_FINAL_TYPE (ClaveProfile, clave_profile, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_ACTIVATED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
read_activated (ClaveProfile *self)
{
  g_autofree char *device_id = g_settings_get_string (self->settings, "device-id");

  return device_id[0] != '\0';
}

static void
on_device_id_changed (GSettings    *settings,
                      const char   *key,
                      ClaveProfile *self)
{
  gboolean activated = read_activated (self);

  if (activated == self->activated)
    return;

  self->activated = activated;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVATED]);
}

static void
clave_profile_constructed (GObject *object)
{
  ClaveProfile *self = CLAVE_PROFILE (object);

  G_OBJECT_CLASS (clave_profile_parent_class)->constructed (object);

  if (self->settings == NULL)
    self->settings = g_settings_new (APP_ID);

  g_signal_connect_object (self->settings, "changed::device-id",
                           G_CALLBACK (on_device_id_changed), self, 0);
  /* Reading the key also subscribes to its changes with backends (dconf)
   * that only report keys somebody has read. */
  self->activated = read_activated (self);
}

static void
clave_profile_dispose (GObject *object)
{
  ClaveProfile *self = CLAVE_PROFILE (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (clave_profile_parent_class)->dispose (object);
}

static void
clave_profile_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ClaveProfile *self = CLAVE_PROFILE (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_ACTIVATED:
      g_value_set_boolean (value, self->activated);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_profile_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  ClaveProfile *self = CLAVE_PROFILE (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_profile_class_init (ClaveProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = clave_profile_constructed;
  object_class->dispose = clave_profile_dispose;
  object_class->get_property = clave_profile_get_property;
  object_class->set_property = clave_profile_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTIVATED] =
    g_param_spec_boolean ("activated", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_profile_init (ClaveProfile *self)
{
}

/**
 * clave_profile_new:
 * @settings: (nullable): settings of the io.github.clavedesktop.Clave
 *   schema, or %NULL for the default ones
 */
ClaveProfile *
clave_profile_new (GSettings *settings)
{
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (CLAVE_TYPE_PROFILE, "settings", settings, NULL);
}

GSettings *
clave_profile_get_settings (ClaveProfile *self)
{
  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);

  return self->settings;
}

char *
clave_profile_dup_service_url (ClaveProfile *self)
{
  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);

  return g_settings_get_string (self->settings, "service-url");
}

char *
clave_profile_dup_service_host (ClaveProfile *self)
{
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);

  url = clave_profile_dup_service_url (self);
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return g_steal_pointer (&url);
  if (g_uri_get_port (uri) > 0 && g_uri_get_port (uri) != 443)
    return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
  return g_strdup (g_uri_get_host (uri));
}

char *
clave_profile_dup_permanente_url (ClaveProfile *self)
{
  g_autofree char *url = NULL;
  g_autofree char *service = NULL;

  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);

  url = g_settings_get_string (self->settings, "permanente-url");
  if (*url != '\0')
    return g_steal_pointer (&url);
  service = clave_profile_dup_service_url (self);
  /* "https://host:port" or "https://host:port/": one slash either way. */
  return g_strconcat (service, g_str_has_suffix (service, "/") ? "" : "/", "demo/permanente/",
                      NULL);
}

char *
clave_profile_dup_ca_file (ClaveProfile *self)
{
  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);

  return g_settings_get_string (self->settings, "ca-file");
}

gboolean
clave_profile_get_activated (ClaveProfile *self)
{
  g_return_val_if_fail (CLAVE_IS_PROFILE (self), FALSE);

  return self->activated;
}

char *
clave_profile_dup_device_id (ClaveProfile *self)
{
  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);

  return g_settings_get_string (self->settings, "device-id");
}

char *
clave_profile_dup_document_number (ClaveProfile *self)
{
  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);

  return g_settings_get_string (self->settings, "document-number");
}

char *
clave_profile_dup_document_type (ClaveProfile *self)
{
  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);

  return g_settings_get_string (self->settings, "document-type");
}

void
clave_profile_set_activation (ClaveProfile *self,
                              const char   *device_id,
                              const char   *document_type,
                              const char   *document_number)
{
  g_return_if_fail (CLAVE_IS_PROFILE (self));
  g_return_if_fail (device_id != NULL && device_id[0] != '\0');
  g_return_if_fail (document_type != NULL);
  g_return_if_fail (document_number != NULL);

  /* The device id last, so that whoever listens to "activated" reads a
   * complete profile, not a device id with the previous person's
   * document. (g_settings_delay() would batch them, but it leaves the
   * shared GSettings in delay-apply mode for good.) */
  g_settings_set_string (self->settings, "document-type", document_type);
  g_settings_set_string (self->settings, "document-number", document_number);
  g_settings_set_string (self->settings, "device-id", device_id);
}

void
clave_profile_clear_activation (ClaveProfile *self)
{
  g_return_if_fail (CLAVE_IS_PROFILE (self));

  /* The device id first: once "activated" is FALSE nobody reads the rest. */
  g_settings_reset (self->settings, "device-id");
  g_settings_reset (self->settings, "document-type");
  g_settings_reset (self->settings, "document-number");
  /* Another person may activate this computer next. */
  g_settings_reset (self->settings, "failed-identifications-seen");
}

/**
 * clave_profile_create_session:
 *
 * Returns: (transfer full) (type Soup.Session): a new #SoupSession, typed
 *   gpointer only to keep libsoup out of this header; %NULL with
 *   %CLAVE_SERVICE_ERROR_TLS when the CA file cannot be read.
 */
gpointer
clave_profile_create_session (ClaveProfile  *self,
                              GError       **error)
{
  g_autofree char *ca_file = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(SoupSession) session = NULL;

  g_return_val_if_fail (CLAVE_IS_PROFILE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ca_file = clave_profile_dup_ca_file (self);
  if (ca_file[0] != '\0')
    {
      g_autoptr(GError) local_error = NULL;
      GList *anchors;

      /* A file without a single certificate would make every connection
       * fail as "not trusted"; say what is wrong with the file instead. */
      anchors = g_tls_certificate_list_new_from_file (ca_file, &local_error);
      if (anchors != NULL)
        database = g_tls_file_database_new (ca_file, &local_error);
      else if (local_error == NULL)
        g_set_error_literal (&local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             "no certificate in the file");
      g_list_free_full (anchors, g_object_unref);

      if (database == NULL)
        {
          g_debug ("Cannot load CA file %s: %s", ca_file, local_error->message);
          g_set_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TLS,
                       _("The certificate authority file “%s” cannot be read. Choose another file or leave it empty."),
                       ca_file);
          return NULL;
        }
    }

  session = soup_session_new_with_options ("timeout", SESSION_TIMEOUT_SECS,
                                           "idle-timeout", SESSION_IDLE_TIMEOUT_SECS,
                                           "user-agent", "ClaveDesktop/" PACKAGE_VERSION,
                                           NULL);
  if (database != NULL)
    soup_session_set_tls_database (session, database);

  return g_steal_pointer (&session);
}
