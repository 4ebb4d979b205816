/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-application"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-application.h"
#include "clave-window.h"

struct _ClaveApplication
{
  AdwApplication      parent_instance;

  ClaveProfile       *profile;
  ClaveServiceClient *client;
  ClaveTokenManager  *token_manager;
  char               *key_path;
  ClaveDeviceKey     *key;
  guint               auto_lock_id;
  gboolean            activated;
};

G_DEFINE_FINAL_TYPE (ClaveApplication, clave_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_ACTIVATED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_activated (ClaveApplication *self)
{
  gboolean activated = self->key != NULL && clave_profile_get_activated (self->profile);

  if (activated == self->activated)
    return;

  self->activated = activated;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVATED]);
}

static void
stop_auto_lock (ClaveApplication *self)
{
  g_clear_handle_id (&self->auto_lock_id, g_source_remove);
}

static void
drop_key (ClaveApplication *self)
{
  stop_auto_lock (self);
  if (self->key != NULL)
    clave_device_key_lock (self->key);
  g_clear_object (&self->key);
}

/* The profile alone does not make an activated device: without its key
 * this computer cannot sign anything, so a profile that names a device
 * whose key file is gone is cleared. */
static void
load_device (ClaveApplication *self)
{
  g_autoptr(GError) error = NULL;

  drop_key (self);

  if (!clave_profile_get_activated (self->profile))
    return;

  self->key = clave_device_key_load (self->key_path, &error);
  if (self->key == NULL)
    {
      g_message ("Device key not usable (%s); clearing the activation", error->message);
      clave_profile_clear_activation (self->profile);
    }
}

static void
on_profile_activated_changed (ClaveApplication *self)
{
  /* Somebody else (another instance, dconf-editor, a test) changed the
   * profile: follow it. */
  if (!clave_profile_get_activated (self->profile))
    drop_key (self);
  else if (self->key == NULL)
    load_device (self);

  update_activated (self);
}

static void
on_service_changed (ClaveApplication *self)
{
  g_clear_object (&self->client);
}

static void
clave_application_quit_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  ClaveApplication *self = user_data;
  GList *windows;

  /* Closing the windows first lets them save their size and cancel their
   * work. Asked again each time: a window can take its dialogs along. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL)
    gtk_window_destroy (GTK_WINDOW (windows->data));

  g_application_quit (G_APPLICATION (self));
}

static void
clave_application_about_action (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  ClaveApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "application-name", _("Clave Desktop"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("Clave Desktop developers"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "website", "https://github.com/clavedesktop/clave-desktop",
                        "issue-url", "https://github.com/clavedesktop/clave-desktop/issues",
                        /* Translators: your names, one per line. */
                        "translator-credits", _("translator-credits"),
                        "comments", _("Use this computer as your Cl@ve device."),
                        "transient-for", parent,
                        "modal", TRUE,
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = clave_application_quit_action },
  { .name = "about", .activate = clave_application_about_action },
};

/* The DNIe goes through OpenSC, which p11-kit's registry names; the
 * profile can add other modules (a SoftHSM2 token in the tests). */
static void
start_token_manager (ClaveApplication *self)
{
  g_auto(GStrv) modules = NULL;

  modules = g_settings_get_strv (clave_profile_get_settings (self->profile), "pkcs11-modules");
  self->token_manager = clave_token_manager_new ((const char * const *) modules, TRUE, NULL);
  clave_token_manager_start (self->token_manager);
}

static void
clave_application_startup (GApplication *application)
{
  ClaveApplication *self = CLAVE_APPLICATION (application);
  GSettings *settings;

  G_APPLICATION_CLASS (clave_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });

  self->profile = clave_profile_new (NULL);
  settings = clave_profile_get_settings (self->profile);
  g_signal_connect_object (settings, "changed::service-url",
                           G_CALLBACK (on_service_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::ca-file",
                           G_CALLBACK (on_service_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::activated",
                           G_CALLBACK (on_profile_activated_changed), self, G_CONNECT_SWAPPED);

  self->key_path = clave_device_key_default_path ();
  load_device (self);
  update_activated (self);

  start_token_manager (self);
}

static void
clave_application_activate (GApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    window = GTK_WINDOW (clave_window_new (CLAVE_APPLICATION (application)));

  gtk_window_present (window);
}

static void
clave_application_shutdown (GApplication *application)
{
  ClaveApplication *self = CLAVE_APPLICATION (application);

  drop_key (self);
  if (self->token_manager != NULL)
    clave_token_manager_stop (self->token_manager);

  G_APPLICATION_CLASS (clave_application_parent_class)->shutdown (application);
}

static void
clave_application_dispose (GObject *object)
{
  ClaveApplication *self = CLAVE_APPLICATION (object);

  drop_key (self);
  g_clear_object (&self->client);
  g_clear_object (&self->token_manager);
  g_clear_object (&self->profile);
  g_clear_pointer (&self->key_path, g_free);

  G_OBJECT_CLASS (clave_application_parent_class)->dispose (object);
}

static void
clave_application_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ClaveApplication *self = CLAVE_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_ACTIVATED:
      g_value_set_boolean (value, self->activated);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_application_class_init (ClaveApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = clave_application_dispose;
  object_class->get_property = clave_application_get_property;

  app_class->startup = clave_application_startup;
  app_class->activate = clave_application_activate;
  app_class->shutdown = clave_application_shutdown;

  properties[PROP_ACTIVATED] =
    g_param_spec_boolean ("activated", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_application_init (ClaveApplication *self)
{
}

ClaveApplication *
clave_application_new (void)
{
  return g_object_new (CLAVE_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

ClaveProfile *
clave_application_get_profile (ClaveApplication *self)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), NULL);

  return self->profile;
}

ClaveServiceClient *
clave_application_get_client (ClaveApplication  *self,
                              GError           **error)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), NULL);

  if (self->client == NULL)
    {
      g_autoptr(SoupSession) session = NULL;
      g_autofree char *base_url = NULL;

      session = clave_profile_create_session (self->profile, error);
      if (session == NULL)
        return NULL;

      base_url = clave_profile_dup_service_url (self->profile);
      self->client = clave_service_client_new (session, base_url);
    }

  return self->client;
}

ClaveTokenManager *
clave_application_get_token_manager (ClaveApplication *self)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), NULL);

  return self->token_manager;
}

gboolean
clave_application_get_activated (ClaveApplication *self)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), FALSE);

  return self->activated;
}

ClaveDeviceKey *
clave_application_get_device_key (ClaveApplication *self)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), NULL);

  return self->activated ? self->key : NULL;
}

const char *
clave_application_get_device_key_path (ClaveApplication *self)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), NULL);

  return self->key_path;
}

gboolean
clave_application_activate_device (ClaveApplication  *self,
                                   ClaveDeviceKey    *key,
                                   const char        *device_id,
                                   const char        *document_type,
                                   const char        *document_number,
                                   GError           **error)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (key), FALSE);
  g_return_val_if_fail (device_id != NULL && *device_id != '\0', FALSE);

  if (!clave_device_key_save (key, self->key_path, error))
    return FALSE;

  drop_key (self);
  self->key = g_object_ref (key);
  /* The profile notifies "activated" from here; the key must already be
   * in place so that the handler does not load it from disk (locked). */
  clave_profile_set_activation (self->profile, device_id, document_type, document_number);
  update_activated (self);
  clave_application_key_used (self);

  return TRUE;
}

void
clave_application_forget_device (ClaveApplication *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CLAVE_IS_APPLICATION (self));

  drop_key (self);
  if (!clave_device_key_wipe (self->key_path, &error))
    g_warning ("Could not erase the device key file: %s", error->message);
  clave_profile_clear_activation (self->profile);
  update_activated (self);
}

static gboolean
auto_lock_cb (gpointer user_data)
{
  ClaveApplication *self = user_data;

  self->auto_lock_id = 0;
  if (self->key != NULL)
    {
      g_debug ("Locking the device key after %d seconds without use", CLAVE_KEY_AUTO_LOCK_SECS);
      clave_device_key_lock (self->key);
    }

  return G_SOURCE_REMOVE;
}

void
clave_application_key_used (ClaveApplication *self)
{
  g_return_if_fail (CLAVE_IS_APPLICATION (self));

  stop_auto_lock (self);
  if (self->key != NULL && clave_device_key_is_unlocked (self->key))
    self->auto_lock_id = g_timeout_add_seconds (CLAVE_KEY_AUTO_LOCK_SECS, auto_lock_cb, self);
}

void
clave_application_lock_key (ClaveApplication *self)
{
  g_return_if_fail (CLAVE_IS_APPLICATION (self));

  stop_auto_lock (self);
  if (self->key != NULL)
    clave_device_key_lock (self->key);
}
