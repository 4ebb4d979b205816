/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window itself: menus, About, shortcuts, size, a stale profile. */
#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <string.h>

#include "clave-gui-test.h"
#include "clave-preferences-window.h"

/* Labels of the items of @model, in order, as one string. */
static char *
menu_labels (GMenuModel *model)
{
  g_autoptr(GString) labels = g_string_new (NULL);

  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      g_autofree char *label = NULL;

      if (section != NULL)
        {
          g_autofree char *inner = menu_labels (section);

          if (labels->len > 0 && *inner != '\0')
            g_string_append_c (labels, '|');
          g_string_append (labels, inner);
          continue;
        }

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
        g_string_append_printf (labels, "%s%s", labels->len > 0 ? "|" : "", label);
    }

  return g_string_free (g_steal_pointer (&labels), FALSE);
}

static void
run_menus_about_shortcuts (GuiFixture *fixture)
{
  GtkMenuButton *personal = GTK_MENU_BUTTON (gui_find (GTK_WIDGET (fixture->window),
                                                       "personal_area_button"));
  GtkMenuButton *main_menu = GTK_MENU_BUTTON (gui_find (GTK_WIDGET (fixture->window),
                                                        "main_menu_button"));
  g_autofree char *personal_items = menu_labels (gtk_menu_button_get_menu_model (personal));
  g_autofree char *main_items = menu_labels (gtk_menu_button_get_menu_model (main_menu));
  GtkWidget *about;
  g_autofree char *name = NULL;
  g_autofree char *version = NULL;
  g_autofree char *developer = NULL;
  g_autofree char *comments = NULL;
  GtkLicense license;

  gui_fixture_set_service (fixture, "https://clave.invalid:9", NULL);

  /* The Personal Area, as on the phone, shows only on an activated device. */
  g_assert_cmpstr (personal_items, ==, "My data in Cl@ve|My requests for Cl@ve Mobile|Deactivate this computer|Give Up Cl@ve");
  g_assert_false (gui_visible (fixture, "personal_area_button"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (personal)), ==, "Personal Area");
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.my-data", NULL);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.give-up", NULL);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.history", NULL);
  gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.scan-qr", NULL);
  gui_settle (50);
  g_assert_cmpstr (gui_page (fixture), ==, "home");
  g_assert_null (gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG));

  g_assert_cmpstr (main_items, ==,
                   "_Card Readers and Certificates|_Preferences|_Keyboard Shortcuts|_About Clave Desktop");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (main_menu)), ==, "Main Menu");

  /* Preferences and About, from the menu, say that the app is not the
   * government's and which service it talks to. */
  gui_choose_menu_item (fixture, "main_menu_button", "Preferences");
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW) != NULL);
  {
    GtkWidget *preferences = gui_find_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW);
    GtkWidget *row = gui_find (preferences, "preferences_service_row");

    g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, "clave.invalid:9");
    gui_screenshot (preferences, "preferences");
    gtk_window_close (GTK_WINDOW (preferences));
    gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW) == NULL);
  }
  g_assert_true (gui_visible (fixture, "home_unofficial_label"));

  gui_choose_menu_item (fixture, "main_menu_button", "About Clave Desktop");
  gui_wait_until (gui_find_toplevel (ADW_TYPE_ABOUT_WINDOW) != NULL);
  about = gui_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_object_get (about,
                "application-name", &name,
                "version", &version,
                "developer-name", &developer,
                "license-type", &license,
                "comments", &comments,
                NULL);
  g_assert_nonnull (strstr (comments, "not an app of the Government of Spain"));
  g_assert_nonnull (strstr (comments, "Connected to the Cl@ve service at clave.invalid:9."));
  g_assert_cmpstr (name, ==, "Clave Desktop");
  g_assert_cmpstr (version, ==, PACKAGE_VERSION);
  g_assert_cmpstr (developer, ==, "Independent developers, not the Government of Spain");
  g_assert_cmpint (license, ==, GTK_LICENSE_GPL_3_0);
  gui_screenshot (about, "about");
  gtk_window_close (GTK_WINDOW (about));
  gui_wait_until (gui_find_toplevel (ADW_TYPE_ABOUT_WINDOW) == NULL);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window),
                                             "win.show-help-overlay", NULL));
  gui_wait_until (gui_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW) != NULL);
  gui_screenshot (gui_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW), "shortcuts");
  gtk_window_close (GTK_WINDOW (gui_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW)));

  /* Home has nowhere to go back to; the login page goes back home. */
  g_assert_false (gui_visible (fixture, "back_button"));
  gui_activate (fixture, "home_login_button");
  gui_wait_for_page (fixture, "login");
  g_assert_true (gui_visible (fixture, "back_button"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.back", NULL));
  gui_wait_for_page (fixture, "home");
}

static void
test_menus_about_shortcuts (void)
{
  gui_run (FALSE, run_menus_about_shortcuts);
}

static void
run_size_remembered (GuiFixture *fixture)
{
  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-width"), ==, 700);
  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-height"), ==, 560);

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 820, 610);
  gui_settle (100);

  /* Ctrl+Q closes every window and leaves the size for next time. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  gui_settle (50);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));

  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-width"), ==, 820);
  g_assert_cmpint (g_settings_get_int (fixture->settings, "window-height"), ==, 610);
  g_assert_false (g_settings_get_boolean (fixture->settings, "window-maximized"));
}

static void
prepare_size (GuiFixture *fixture)
{
  g_settings_set_int (fixture->settings, "window-width", 700);
  g_settings_set_int (fixture->settings, "window-height", 560);
}

static void
test_size_remembered (void)
{
  GuiOptions options = { .no_server = TRUE, .prepare = prepare_size };

  gui_run_with (&options, run_size_remembered);
}

static void
prepare_stale_profile (GuiFixture *fixture)
{
  /* A device in the profile whose key file is gone. */
  g_settings_set_string (fixture->settings, "device-id", "dev_gone");
  g_settings_set_string (fixture->settings, "document-type", "dni");
  g_settings_set_string (fixture->settings, "document-number", "12345678Z");
}

static void
run_stale_profile (GuiFixture *fixture)
{
  g_autofree char *device_id = g_settings_get_string (fixture->settings, "device-id");
  g_autofree char *number = g_settings_get_string (fixture->settings, "document-number");

  g_assert_cmpstr (device_id, ==, "");
  g_assert_cmpstr (number, ==, "");
  g_assert_false (clave_application_get_activated (fixture->app));
  g_assert_cmpstr (gui_page (fixture), ==, "home");
  g_assert_true (gui_visible (fixture, "home_login_button"));
  g_assert_false (gui_visible (fixture, "personal_area_button"));
}

static void
test_stale_profile (void)
{
  GuiOptions options = { .no_server = TRUE, .prepare = prepare_stale_profile };

  gui_run_with (&options, run_stale_profile);
}

/* Quitting (Ctrl+Q) from a window the main menu opened: every window
 * closes and the application finishes (gui_run checks it is finalized). */
static void
quit_from (GuiFixture *fixture,
           const char *item,
           GType       type)
{
  GtkWidget *window;

  gui_choose_menu_item (fixture, "main_menu_button", item);
  gui_wait_until (gui_find_toplevel (type) != NULL);
  window = gui_find_toplevel (type);
  g_assert_true (gtk_widget_activate_action (window, "app.quit", NULL));
  gui_settle (100);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
}

static void
run_quit_from_preferences (GuiFixture *fixture)
{
  quit_from (fixture, "Preferences", CLAVE_TYPE_PREFERENCES_WINDOW);
}

static void
run_quit_from_about (GuiFixture *fixture)
{
  quit_from (fixture, "About Clave Desktop", ADW_TYPE_ABOUT_WINDOW);
}

static void
test_quit_from_preferences (void)
{
  gui_run (FALSE, run_quit_from_preferences);
}

static void
test_quit_from_about (void)
{
  gui_run (FALSE, run_quit_from_about);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/gui/window/menus-about-shortcuts", test_menus_about_shortcuts);
  g_test_add_func ("/gui/window/size-remembered", test_size_remembered);
  g_test_add_func ("/gui/window/stale-profile", test_stale_profile);
  g_test_add_func ("/gui/window/quit-from-preferences", test_quit_from_preferences);
  g_test_add_func ("/gui/window/quit-from-about", test_quit_from_about);

  ret = g_test_run ();
  gui_test_shutdown ();

  return ret;
}
