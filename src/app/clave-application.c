/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-application"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-application.h"
#include "clave-diagnose-command.h"
#include "clave-history-store.h"
#include "clave-preferences-window.h"
#include "clave-protocol.h"
#include "clave-window.h"

struct _ClaveApplication
{
  AdwApplication      parent_instance;

  ClaveProfile       *profile;
  ClaveServiceClient *client;
  ClaveTokenManager  *token_manager;
  char               *key_path;
  ClaveDeviceKey     *key;
  char               *push_key_path;
  ClavePushKey       *push_key;
  ClavePushChannel   *push;
  GHashTable         *requests;        /* id -> ClaveAuthRequestInfo, pending */
  /* Failed identifications with the citizen's document, as the push
   * channel told them and the person has not dismissed them. */
  guint               failures_count;
  gint64              failures_since;
  gint64              failures_last;
  guint               auto_lock_id;
  /* "My requests" opens without the PIN until then (monotonic time; 0:
   * locked), see clave_application_pin_verified(). */
  gint64              history_until;
  guint               background_check_id;
  GDBusConnection    *screensaver_bus;
  guint               screensaver_ids[2];
  gboolean            activated;
  gboolean            held;            /* running in the background */
  gboolean            background_start; /* --background: no window at first */
};

G_DEFINE_FINAL_TYPE (ClaveApplication, clave_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_ACTIVATED,
  PROP_PUSH_STATE,
  PROP_FAILED_IDENTIFICATIONS,
  PROP_HISTORY_UNLOCKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_push (ClaveApplication *self);
static void update_hold (ClaveApplication *self);

static void
update_activated (ClaveApplication *self)
{
  gboolean activated = self->key != NULL && clave_profile_get_activated (self->profile);

  if (activated == self->activated)
    return;

  self->activated = activated;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVATED]);
  update_push (self);
  update_hold (self);
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
  g_clear_object (&self->push_key);
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
      return;
    }

  /* Devices activated before Cl@ve Mobile have no push key: they work,
   * only without requests in the background. */
  self->push_key = clave_push_key_load (self->push_key_path, &error);
  if (self->push_key == NULL)
    g_debug ("No push key (%s): not receiving requests", error->message);
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
  /* The channel belongs to the old client. */
  if (self->push != NULL)
    {
      clave_push_channel_stop (self->push);
      g_signal_handlers_disconnect_by_data (self->push, self);
      g_clear_object (&self->push);
    }
  update_push (self);
}

/* Push requests */

static ClaveWindow *
get_window (ClaveApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (CLAVE_IS_WINDOW (l->data))
      return l->data;

  return NULL;
}

/* Cards are looked for once the first window is on the screen: loading
 * OpenSC and reading the cards (threads of their own) would otherwise
 * compete with drawing it. A card operation asked for earlier loads them
 * at once. */
static void
on_first_frame (GdkFrameClock    *clock,
                ClaveApplication *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_frame, self);
  if (self->token_manager != NULL)
    clave_token_manager_start (self->token_manager);
}

static void
on_window_realize (GtkWidget        *window,
                   ClaveApplication *self)
{
  g_signal_connect_object (gtk_widget_get_frame_clock (window), "after-paint",
                           G_CALLBACK (on_first_frame), self, 0);
}

static ClaveWindow *
present_window (ClaveApplication *self)
{
  ClaveWindow *window = get_window (self);

  if (window == NULL)
    {
      window = clave_window_new (self);
      if (self->token_manager != NULL && !clave_token_manager_get_ready (self->token_manager))
        g_signal_connect_object (window, "realize", G_CALLBACK (on_window_realize), self, 0);
    }
  gtk_window_present (GTK_WINDOW (window));

  return window;
}

static void
send_request_notification (ClaveApplication           *self,
                           const ClaveAuthRequestInfo *request)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  GVariant *target = g_variant_new_string (request->id);

  /* Translators: %s is the organisation asking, such as Agencia Tributaria. */
  title = g_strdup_printf (_("Cl@ve: login request from %s"), request->organisation);
  /* Translators: %s is the 3-digit code the website also shows. */
  body = g_strdup_printf (_("Verification code %s. Open Clave Desktop to confirm or reject it."),
                          request->verification_code);
  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action_and_target_value (notification, "app.show-request", target);
  g_notification_add_button_with_target_value (notification, _("Open"), "app.show-request",
                                               g_variant_new_string (request->id));
  g_application_send_notification (G_APPLICATION (self), request->id, notification);
}

/* The person is looking at one of the windows (the PIN dialog too). */
static gboolean
is_in_front (ClaveApplication *self)
{
  /* A hidden window can stay "active" until the display says otherwise. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (gtk_window_is_active (l->data) && gtk_widget_get_mapped (l->data))
      return TRUE;

  return FALSE;
}

static void
on_push_request (ClaveApplication     *self,
                 ClaveAuthRequestInfo *request)
{
  ClaveWindow *window = get_window (self);

  if (request == NULL || request->id == NULL)
    return;

  /* SMS requests are answered by the website with the PIN the person
   * got by SMS, never here. */
  if (g_strcmp0 (request->type, CLAVE_REQUEST_TYPE_SMS) == 0)
    return;

  clave_application_remember_request (self, request);
  if (g_strcmp0 (request->status, CLAVE_REQUEST_STATUS_PENDING) != 0)
    return;

  /* Shown at once in an open window; a notification brings back one that
   * is hidden, in the background or closed. */
  if (window != NULL && gtk_widget_get_visible (GTK_WIDGET (window)))
    clave_window_show_request (window, request);
  if (!is_in_front (self))
    send_request_notification (self, request);
}

static void
on_push_status (ClaveApplication *self,
                const char       *id,
                const char       *status)
{
  ClaveWindow *window = get_window (self);

  if (id == NULL)
    return;

  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_PENDING) != 0)
    {
      g_hash_table_remove (self->requests, id);
      g_application_withdraw_notification (G_APPLICATION (self), id);
    }
  if (window != NULL)
    clave_window_update_request_status (window, id, status);
}

/* Not from inside the channel's signal: forgetting the device stops and
 * drops the channel. */
static gboolean
device_deactivated_cb (gpointer user_data)
{
  ClaveApplication *self = user_data;
  ClaveWindow *window = get_window (self);

  if (!self->activated || self->profile == NULL)
    return G_SOURCE_REMOVE;

  /* As when the service answers that it no longer knows the device. */
  if (window != NULL)
    clave_window_device_lost (window, NULL);
  else
    clave_application_forget_device (self);

  return G_SOURCE_REMOVE;
}

static void
on_push_deactivated (ClaveApplication *self)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, device_deactivated_cb, g_object_ref (self), g_object_unref);
}

static void
set_failures (ClaveApplication *self,
              guint             count,
              gint64            since,
              gint64            last)
{
  if (self->failures_count == count && self->failures_since == since &&
      self->failures_last == last)
    return;

  self->failures_count = count;
  self->failures_since = since;
  self->failures_last = last;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILED_IDENTIFICATIONS]);
}

static void
on_push_failed_identifications (ClaveApplication *self,
                                guint             count,
                                gint64            since,
                                gint64            last)
{
  GSettings *settings = clave_profile_get_settings (self->profile);
  gint64 seen_last = 0;
  guint seen_count = 0;

  /* Told again on every connection: once dismissed, only a newer failure
   * brings the notice back. Times are in seconds: a newer one may share
   * the second of the last one seen, and then makes the count grow. */
  g_settings_get (settings, "failed-identifications-seen", "(xu)", &seen_last, &seen_count);
  if (last < seen_last || (last == seen_last && count <= seen_count))
    return;
  set_failures (self, count, since, last);
}

static void
on_push_state_changed (ClaveApplication *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUSH_STATE]);
}

/* The channel runs while the device is activated and has a push key:
 * from startup (also in the background) to sign out. */
static void
update_push (ClaveApplication *self)
{
  gboolean want = self->activated && self->push_key != NULL && self->profile != NULL;

  if (!want && self->push != NULL)
    {
      clave_push_channel_stop (self->push);
      g_signal_handlers_disconnect_by_data (self->push, self);
      g_clear_object (&self->push);
      g_hash_table_remove_all (self->requests);
      set_failures (self, 0, 0, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUSH_STATE]);
    }
  else if (want && self->push == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *device_id = NULL;
      ClaveServiceClient *client;

      client = clave_application_get_client (self, &error);
      if (client == NULL)
        {
          g_message ("No push channel: %s", error->message);
          return;
        }

      device_id = clave_profile_dup_device_id (self->profile);
      self->push = clave_push_channel_new (client, self->push_key, device_id);
      g_signal_connect_swapped (self->push, "request", G_CALLBACK (on_push_request), self);
      g_signal_connect_swapped (self->push, "status", G_CALLBACK (on_push_status), self);
      g_signal_connect_swapped (self->push, "deactivated", G_CALLBACK (on_push_deactivated), self);
      g_signal_connect_swapped (self->push, "failed-identifications",
                                G_CALLBACK (on_push_failed_identifications), self);
      g_signal_connect_swapped (self->push, "notify::state", G_CALLBACK (on_push_state_changed), self);
      clave_push_channel_start (self->push);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUSH_STATE]);
    }
}

/* With "run-in-background", an activated device keeps the application
 * running without windows, to receive requests. */
static void
update_hold (ClaveApplication *self)
{
  gboolean want = FALSE;

  if (self->profile != NULL && self->activated)
    want = g_settings_get_boolean (clave_profile_get_settings (self->profile), "run-in-background");

  if (want == self->held)
    return;

  self->held = want;
  if (want)
    g_application_hold (G_APPLICATION (self));
  else
    g_application_release (G_APPLICATION (self));
}

static void
show_request_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  ClaveApplication *self = user_data;
  const char *id = g_variant_get_string (parameter, NULL);
  const ClaveAuthRequestInfo *request = clave_application_lookup_request (self, id);
  ClaveWindow *window = present_window (self);

  if (request != NULL)
    clave_window_show_request (window, request);
  else
    clave_window_add_toast (window, _("The request was already answered or has expired"));
}

static void
on_autostart_changed (ClaveApplication *self)
{
  GSettings *settings = clave_profile_get_settings (self->profile);
  g_autoptr(GError) error = NULL;

  if (!clave_preferences_set_autostart (g_settings_get_boolean (settings, "autostart"), &error))
    g_warning ("Could not change the autostart entry: %s", error->message);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ClaveApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  ClavePreferencesWindow *preferences;

  preferences = clave_preferences_window_new (self);
  if (parent != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (preferences), parent);
  gtk_window_present (GTK_WINDOW (preferences));
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
  g_autofree char *host = clave_profile_dup_service_host (clave_application_get_profile (self));
  g_autofree char *connected = g_strdup_printf (_("Connected to the Cl@ve service at %s."), host);
  g_autofree char *comments = NULL;
  GtkWidget *about;

  /* Its icon wears the colours of Spain: say plainly whose it is not. */
  comments = g_strconcat (_("Use this computer as your Cl@ve device."), "\n\n",
                          _("An independent program, not an app of the Government of Spain, "
                            "which runs Cl@ve."), "\n\n",
                          connected, NULL);

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "application-name", _("Clave Desktop"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        /* On the first page of About, under the flag. */
                        "developer-name", _("Independent developers, not the Government of Spain"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "website", "https://github.com/clavedesktop/clave-desktop",
                        "issue-url", "https://github.com/clavedesktop/clave-desktop/issues",
                        /* Translators: your names, one per line. */
                        "translator-credits", _("translator-credits"),
                        "comments", comments,
                        "transient-for", parent,
                        "modal", TRUE,
                        /* Ctrl+Q works from it, and quitting closes it. */
                        "application", self,
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
dismiss_failed_identifications_action (GSimpleAction *action,
                                       GVariant      *parameter,
                                       gpointer       user_data)
{
  clave_application_dismiss_failed_identifications (CLAVE_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = clave_application_quit_action },
  { .name = "dismiss-failed-identifications", .activate = dismiss_failed_identifications_action },
  { .name = "about", .activate = clave_application_about_action },
  { .name = "show-request", .activate = show_request_action, .parameter_type = "s" },
  { .name = "preferences", .activate = preferences_action },
};

/* The DNIe goes through OpenSC, which p11-kit's registry names; the
 * profile can add other modules (a SoftHSM2 token in the tests). */
/* "My requests" after the PIN. The person typed the device PIN a
 * moment ago (to confirm a login or to open the list): the list opens
 * without it again for "history-unlocked-minutes" (Preferences), and
 * locks at once when the screen locks or no window of the app is in
 * front (another app, the window closed to the background). */

static gboolean
background_check_cb (gpointer user_data)
{
  ClaveApplication *self = user_data;

  self->background_check_id = 0;
  if (!is_in_front (self))
    {
      g_debug ("No window in front: My requests locks");
      clave_application_lock_history (self);
    }
  return G_SOURCE_REMOVE;
}

/* Going from the window to one of its dialogs leaves no window active
 * for a moment: in the background means so for half a second. */
static void
on_window_focus_changed (ClaveApplication *self)
{
  if (self->history_until == 0)
    return;
  g_clear_handle_id (&self->background_check_id, g_source_remove);
  self->background_check_id = g_timeout_add (500, background_check_cb, self);
}

static void
on_window_added (ClaveApplication *self,
                 GtkWindow        *window)
{
  g_signal_connect_object (window, "notify::is-active", G_CALLBACK (on_window_focus_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (window, "notify::visible", G_CALLBACK (on_window_focus_changed),
                           self, G_CONNECT_SWAPPED);
}

static void
screen_locked (ClaveApplication *self)
{
  g_debug ("The screen locked: the device key and My requests lock");
  clave_application_lock_key (self);
  clave_application_lock_history (self);
}

/* org.gnome.ScreenSaver and org.freedesktop.ScreenSaver say
 * ActiveChanged(true) when the screen locks. Any sender is taken: the
 * signal can only lock. */
static void
on_screensaver_signal (GDBusConnection *connection,
                       const char      *sender_name,
                       const char      *object_path,
                       const char      *interface_name,
                       const char      *signal_name,
                       GVariant        *parameters,
                       gpointer         user_data)
{
  gboolean active = FALSE;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(b)")))
    return;
  g_variant_get (parameters, "(b)", &active);
  if (active)
    screen_locked (user_data);
}

/* GTK's own view of it (through the Inhibit portal inside Flatpak). */
static void
on_screensaver_active_changed (ClaveApplication *self)
{
  gboolean active = FALSE;

  g_object_get (self, "screensaver-active", &active, NULL);
  if (active)
    screen_locked (self);
}

static void
start_history_watch (ClaveApplication *self)
{
  static const char * const interfaces[] = { "org.gnome.ScreenSaver",
                                             "org.freedesktop.ScreenSaver" };
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (self));

  g_signal_connect (self, "window-added", G_CALLBACK (on_window_added), NULL);
  g_signal_connect_swapped (self, "window-removed", G_CALLBACK (on_window_focus_changed), self);
  g_signal_connect (self, "notify::screensaver-active",
                    G_CALLBACK (on_screensaver_active_changed), NULL);
  if (bus != NULL)
    self->screensaver_bus = g_object_ref (bus);
  for (guint i = 0; bus != NULL && i < G_N_ELEMENTS (interfaces); i++)
    self->screensaver_ids[i] =
      g_dbus_connection_signal_subscribe (bus, NULL, interfaces[i], "ActiveChanged", NULL, NULL,
                                          G_DBUS_SIGNAL_FLAGS_NONE, on_screensaver_signal,
                                          self, NULL);
}

static void
stop_history_watch (ClaveApplication *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->screensaver_ids); i++)
    {
      if (self->screensaver_ids[i] != 0)
        g_dbus_connection_signal_unsubscribe (self->screensaver_bus, self->screensaver_ids[i]);
      self->screensaver_ids[i] = 0;
    }
  g_clear_object (&self->screensaver_bus);
  g_clear_handle_id (&self->background_check_id, g_source_remove);
  self->history_until = 0;
}

static void
start_token_manager (ClaveApplication *self)
{
  g_auto(GStrv) modules = NULL;

  modules = g_settings_get_strv (clave_profile_get_settings (self->profile), "pkcs11-modules");
  /* Started after the first window's first frame (present_window). */
  self->token_manager = clave_token_manager_new ((const char * const *) modules, TRUE, NULL);
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
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });

  self->profile = clave_profile_new (NULL);
  settings = clave_profile_get_settings (self->profile);
  g_signal_connect_object (settings, "changed::service-url",
                           G_CALLBACK (on_service_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::ca-file",
                           G_CALLBACK (on_service_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile, "notify::activated",
                           G_CALLBACK (on_profile_activated_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::run-in-background",
                           G_CALLBACK (update_hold), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::autostart",
                           G_CALLBACK (on_autostart_changed), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (settings, "changed::history-unlocked-minutes",
                           G_CALLBACK (clave_application_lock_history), self, G_CONNECT_SWAPPED);

  self->key_path = clave_device_key_default_path ();
  self->push_key_path = clave_push_key_default_path ();
  load_device (self);
  update_activated (self);

  start_history_watch (self);
  start_token_manager (self);
}

static void
clave_application_activate (GApplication *application)
{
  ClaveApplication *self = CLAVE_APPLICATION (application);

  /* Started with --background (at login): no window until asked for
   * one. Without an activated device (nothing holds the application)
   * there is nothing to wait for, and it ends at once. */
  if (self->background_start)
    {
      self->background_start = FALSE;
      return;
    }

  present_window (self);
}

static void
clave_application_open (GApplication  *application,
                        GFile        **files,
                        int            n_files,
                        const char    *hint)
{
  ClaveApplication *self = CLAVE_APPLICATION (application);
  ClaveWindow *window;

  self->background_start = FALSE;
  window = present_window (self);
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);

      clave_window_open_request_uri (window, uri);
    }
}

/* --diagnose: the card layer from a terminal. Runs here, in the local
 * process, before any window or display: support people ask for it where
 * the window will not do. */
static int
run_diagnose (gboolean watch)
{
  g_autoptr(ClaveProfile) profile = clave_profile_new (NULL);
  g_autoptr(ClaveTokenManager) manager = NULL;
  g_auto(GStrv) modules = NULL;

  modules = g_settings_get_strv (clave_profile_get_settings (profile), "pkcs11-modules");
  manager = clave_token_manager_new ((const char * const *) modules, TRUE, NULL);

  return watch ? clave_diagnose_command_watch (manager)
               : clave_diagnose_command_report (manager);
}

static int
clave_application_handle_local_options (GApplication *application,
                                        GVariantDict *options)
{
  ClaveApplication *self = CLAVE_APPLICATION (application);
  g_autoptr(GError) error = NULL;

  if (g_variant_dict_contains (options, "diagnose"))
    return run_diagnose (g_variant_dict_contains (options, "watch"));
  if (g_variant_dict_contains (options, "watch"))
    {
      g_printerr ("%s\n", _("--watch goes with --diagnose"));
      return 1;
    }

  if (!g_variant_dict_contains (options, "background"))
    return -1;

  if (!g_application_register (application, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  /* Already running: it receives the requests already. */
  if (g_application_get_is_remote (application))
    return 0;

  self->background_start = TRUE;
  return -1;
}

static void
clave_application_shutdown (GApplication *application)
{
  ClaveApplication *self = CLAVE_APPLICATION (application);

  stop_history_watch (self);
  drop_key (self);
  if (self->push != NULL)
    {
      clave_push_channel_stop (self->push);
      g_signal_handlers_disconnect_by_data (self->push, self);
      g_clear_object (&self->push);
    }
  if (self->token_manager != NULL)
    clave_token_manager_stop (self->token_manager);

  G_APPLICATION_CLASS (clave_application_parent_class)->shutdown (application);
}

static void
clave_application_dispose (GObject *object)
{
  ClaveApplication *self = CLAVE_APPLICATION (object);

  stop_history_watch (self);
  drop_key (self);
  if (self->push != NULL)
    {
      clave_push_channel_stop (self->push);
      g_signal_handlers_disconnect_by_data (self->push, self);
      g_clear_object (&self->push);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->token_manager);
  g_clear_object (&self->profile);
  g_clear_pointer (&self->key_path, g_free);
  g_clear_pointer (&self->push_key_path, g_free);
  g_clear_pointer (&self->requests, g_hash_table_unref);

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
    case PROP_PUSH_STATE:
      g_value_set_enum (value, clave_application_get_push_state (self));
      break;
    case PROP_FAILED_IDENTIFICATIONS:
      g_value_set_uint (value, self->failures_count);
      break;
    case PROP_HISTORY_UNLOCKED:
      g_value_set_boolean (value, clave_application_get_history_unlocked (self));
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
  app_class->open = clave_application_open;
  app_class->handle_local_options = clave_application_handle_local_options;
  app_class->shutdown = clave_application_shutdown;

  properties[PROP_ACTIVATED] =
    g_param_spec_boolean ("activated", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_PUSH_STATE] =
    g_param_spec_enum ("push-state", NULL, NULL,
                       CLAVE_TYPE_PUSH_STATE, CLAVE_PUSH_STATE_OFFLINE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_FAILED_IDENTIFICATIONS] =
    g_param_spec_uint ("failed-identifications", NULL, NULL,
                       0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* Whether "My requests" opens without asking the PIN. Notified when
   * it locks because the screen locked, the app went to the background
   * or the setting changed (the list in view then locks too); when its
   * minutes are up it ends without a notification: the list in view
   * stays open, the next visit asks. */
  properties[PROP_HISTORY_UNLOCKED] =
    g_param_spec_boolean ("history-unlocked", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static const GOptionEntry option_entries[] = {
  { "background", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Start without a window, to receive Cl@ve Mobile requests"), NULL },
  { "diagnose", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Print what the computer finds of card readers, cards and certificates, and exit (0: a usable certificate, 1: none, 2: the smart card service is not running)"), NULL },
  { "watch", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("With --diagnose: print a line each time a reader, card or certificate comes or goes, until interrupted"), NULL },
  { NULL }
};

static void
clave_application_init (ClaveApplication *self)
{
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) clave_auth_request_info_free);
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

ClaveApplication *
clave_application_new (void)
{
  return g_object_new (CLAVE_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
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

gboolean
clave_application_activate_device (ClaveApplication  *self,
                                   ClaveDeviceKey    *key,
                                   ClavePushKey      *push_key,
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
  /* Without it the device still works, only without push. */
  if (push_key != NULL && !clave_push_key_save (push_key, self->push_key_path, error))
    {
      g_autoptr(GError) wipe_error = NULL;

      if (!clave_device_key_wipe (self->key_path, &wipe_error))
        g_warning ("Could not erase the device key file: %s", wipe_error->message);
      return FALSE;
    }

  drop_key (self);
  self->key = g_object_ref (key);
  if (push_key != NULL)
    self->push_key = g_object_ref (push_key);
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
  g_autofree char *history_path = NULL;

  g_return_if_fail (CLAVE_IS_APPLICATION (self));

  drop_key (self);
  if (!clave_device_key_wipe (self->key_path, &error))
    g_warning ("Could not erase the device key file: %s", error->message);
  g_clear_error (&error);
  if (!clave_push_key_wipe (self->push_key_path, &error))
    g_warning ("Could not erase the push key file: %s", error->message);
  g_clear_error (&error);
  /* Another person may activate this computer next. */
  history_path = clave_history_store_default_path ();
  if (!clave_history_store_delete_file (history_path, &error))
    g_warning ("Could not erase the request history: %s", error->message);
  clave_profile_clear_activation (self->profile);
  update_activated (self);
}

ClavePushKey *
clave_application_get_push_key (ClaveApplication *self)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), NULL);

  return self->activated ? self->push_key : NULL;
}

ClavePushState
clave_application_get_push_state (ClaveApplication *self)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), CLAVE_PUSH_STATE_OFFLINE);

  return self->push != NULL ? clave_push_channel_get_state (self->push) : CLAVE_PUSH_STATE_OFFLINE;
}

const ClaveAuthRequestInfo *
clave_application_lookup_request (ClaveApplication *self,
                                  const char       *id)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), NULL);

  return id != NULL ? g_hash_table_lookup (self->requests, id) : NULL;
}

guint
clave_application_get_failed_identifications (ClaveApplication *self,
                                              gint64           *since)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), 0);

  if (since != NULL)
    *since = self->failures_since;
  return self->failures_count;
}

void
clave_application_dismiss_failed_identifications (ClaveApplication *self)
{
  GSettings *settings;

  g_return_if_fail (CLAVE_IS_APPLICATION (self));

  if (self->failures_count == 0)
    return;
  settings = clave_profile_get_settings (self->profile);
  g_settings_set (settings, "failed-identifications-seen", "(xu)", self->failures_last,
                  self->failures_count);
  set_failures (self, 0, 0, 0);
}

void
clave_application_remember_request (ClaveApplication           *self,
                                    const ClaveAuthRequestInfo *request)
{
  g_return_if_fail (CLAVE_IS_APPLICATION (self));
  g_return_if_fail (request != NULL && request->id != NULL);

  if (g_strcmp0 (request->status, CLAVE_REQUEST_STATUS_PENDING) != 0)
    {
      g_hash_table_remove (self->requests, request->id);
      return;
    }

  g_hash_table_replace (self->requests, g_strdup (request->id),
                        clave_auth_request_info_copy (request));
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

void
clave_application_pin_verified (ClaveApplication *self)
{
  guint minutes;
  gboolean was_unlocked;

  g_return_if_fail (CLAVE_IS_APPLICATION (self));

  minutes = g_settings_get_uint (clave_profile_get_settings (self->profile),
                                 "history-unlocked-minutes");
  if (minutes == 0)
    {
      clave_application_lock_history (self);
      return;
    }

  was_unlocked = clave_application_get_history_unlocked (self);
  self->history_until = g_get_monotonic_time () + (gint64) minutes * 60 * G_USEC_PER_SEC;
  if (!was_unlocked)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY_UNLOCKED]);
}

gboolean
clave_application_get_history_unlocked (ClaveApplication *self)
{
  g_return_val_if_fail (CLAVE_IS_APPLICATION (self), FALSE);

  return self->history_until != 0 && g_get_monotonic_time () < self->history_until
         && self->key != NULL && clave_device_key_is_unlocked (self->key);
}

void
clave_application_lock_history (ClaveApplication *self)
{
  g_return_if_fail (CLAVE_IS_APPLICATION (self));

  g_clear_handle_id (&self->background_check_id, g_source_remove);
  if (self->history_until == 0)
    return;
  self->history_until = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HISTORY_UNLOCKED]);
}
