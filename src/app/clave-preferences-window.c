/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-preferences-window"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "clave-preferences-window.h"

struct _ClavePreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  GtkWidget            *preferences_background_switch;
  GtkWidget            *preferences_autostart_switch;
  GtkWidget            *preferences_autostart_row;
  AdwComboRow          *preferences_history_row;
  AdwActionRow         *preferences_service_row;
};

G_DEFINE_FINAL_TYPE (ClavePreferencesWindow, clave_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* "history-unlocked-minutes" for each item of "Keep My requests open". */
static const guint history_minutes[] = { 0, 1, 2, 5 };

static gboolean
history_minutes_to_item (GValue   *value,
                         GVariant *variant,
                         gpointer  user_data)
{
  guint minutes = g_variant_get_uint32 (variant);
  guint item = 0;

  /* A value set by hand between two items shows the shorter one. */
  for (guint i = 0; i < G_N_ELEMENTS (history_minutes); i++)
    if (history_minutes[i] <= minutes)
      item = i;
  g_value_set_uint (value, item);
  return TRUE;
}

static GVariant *
history_item_to_minutes (const GValue       *value,
                         const GVariantType *expected_type,
                         gpointer            user_data)
{
  guint item = g_value_get_uint (value);

  if (item >= G_N_ELEMENTS (history_minutes))
    return NULL;
  return g_variant_new_uint32 (history_minutes[item]);
}

static void
clave_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CLAVE_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (clave_preferences_window_parent_class)->dispose (object);
}

static void
clave_preferences_window_class_init (ClavePreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clave_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/clave-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ClavePreferencesWindow,
                                        preferences_service_row);
  gtk_widget_class_bind_template_child (widget_class, ClavePreferencesWindow,
                                        preferences_background_switch);
  gtk_widget_class_bind_template_child (widget_class, ClavePreferencesWindow,
                                        preferences_autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, ClavePreferencesWindow,
                                        preferences_autostart_row);
  gtk_widget_class_bind_template_child (widget_class, ClavePreferencesWindow,
                                        preferences_history_row);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
clave_preferences_window_init (ClavePreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* Inside a Flatpak sandbox the autostart folder is the sandbox's own,
   * which the desktop never reads: starting at login there needs the
   * Background portal, which this version does not use yet, so the
   * option is not offered rather than offered and ignored. */
  gtk_widget_set_visible (self->preferences_autostart_row,
                          !g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS));
}

ClavePreferencesWindow *
clave_preferences_window_new (ClaveApplication *application)
{
  ClavePreferencesWindow *self;
  GSettings *settings;

  g_return_val_if_fail (CLAVE_IS_APPLICATION (application), NULL);

  self = g_object_new (CLAVE_TYPE_PREFERENCES_WINDOW, "application", application, NULL);
  settings = clave_profile_get_settings (clave_application_get_profile (application));
  g_settings_bind (settings, "run-in-background", self->preferences_background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "autostart", self->preferences_autostart_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "history-unlocked-minutes",
                                self->preferences_history_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, history_minutes_to_item,
                                history_item_to_minutes, NULL, NULL);
  {
    g_autofree char *host = clave_profile_dup_service_host (clave_application_get_profile (application));

    adw_action_row_set_subtitle (self->preferences_service_row, host);
  }

  return self;
}

static char *
autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

gboolean
clave_preferences_set_autostart (gboolean   enabled,
                                 GError   **error)
{
  g_autofree char *path = autostart_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;

  if (!enabled)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "%s: %s", path, g_strerror (saved_errno));
          return FALSE;
        }
      return TRUE;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "%s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* Not translated: the session reads it, and Name is only a label. */
  contents = g_strdup_printf ("[Desktop Entry]\n"
                              "Type=Application\n"
                              "Name=Clave Desktop\n"
                              "Comment=Receive Cl@ve Mobile requests\n"
                              "Icon=%s\n"
                              "Exec=clave-desktop --background\n"
                              "Terminal=false\n"
                              "NoDisplay=true\n"
                              "X-GNOME-Autostart-enabled=true\n",
                              APP_ID);

  return g_file_set_contents_full (path, contents, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}
