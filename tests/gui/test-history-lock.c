/* SPDX-License-Identifier: GPL-3.0-or-later */
/* "My requests" after the PIN (issue 9): it opens without the PIN for the
 * minutes chosen in Preferences after the person typed it, and locks at
 * once when the screen locks or the app goes to the background. */
#define G_LOG_DOMAIN "test-history-lock"

#include "config.h"

#include "clave-gui-test.h"
#include "clave-my-requests-page.h"
#include "clave-preferences-window.h"
#include "clave-unlock-dialog.h"

#define PIN "802461"

static void
open_history (GuiFixture *fixture)
{
  gui_activate (fixture, "home_history_row");
  gui_wait_for_page (fixture, "history");
}

static void
back_home (GuiFixture *fixture)
{
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
}

static const char *
history_state (GuiFixture *fixture)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (gui_find (GTK_WIDGET (fixture->window),
                                                                 "history_stack")));
}

/* Without a window manager (Xvfb) nothing gives the focus back to the
 * window when a dialog closes, as the desktop's does: the test does. */
static void
focus_window (GuiFixture *fixture)
{
  gtk_window_present (GTK_WINDOW (fixture->window));
  gui_wait_until (gtk_window_is_active (GTK_WINDOW (fixture->window)));
}

static void
type_pin (GuiFixture *fixture,
          const char *pin)
{
  gui_unlock_with_pin (pin);
  focus_window (fixture);
}

/* The list opens without a PIN dialog: none shows, the list does. */
static void
assert_opens_without_pin (GuiFixture *fixture)
{
  open_history (fixture);
  gui_wait_until (g_strcmp0 (history_state (fixture), "list") == 0
                  || gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL);
  g_assert_null (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG));
  g_assert_cmpstr (history_state (fixture), ==, "list");
}

static void
assert_asks_pin (GuiFixture *fixture)
{
  open_history (fixture);
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL);
  g_assert_cmpstr (history_state (fixture), ==, "locked");
  type_pin (fixture, PIN);
  gui_wait_until (g_strcmp0 (history_state (fixture), "list") == 0);
}

/* What gnome-shell (org.gnome.ScreenSaver) says when the screen locks,
 * sent from a connection of its own. */
static void
lock_screen (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GDBusConnection) shell = NULL;

  g_assert_no_error (error);
  shell = g_dbus_connection_new_for_address_sync (address,
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                  | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                  NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_emit_signal (shell, NULL, "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver",
                                 "ActiveChanged", g_variant_new ("(b)", TRUE), &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (shell, NULL, &error);
  g_assert_no_error (error);
}

static void
run_history_lock (GuiFixture *fixture)
{
  ClaveDeviceKey *key;
  GtkWidget *other;

  g_free (gui_activate_demo_device (fixture, PIN));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  g_assert_cmpuint (g_settings_get_uint (fixture->settings, "history-unlocked-minutes"), ==, 2);

  /* The first visit asks; the next one, a moment later, does not. */
  assert_asks_pin (fixture);
  back_home (fixture);
  assert_opens_without_pin (fixture);
  gui_screenshot (GTK_WIDGET (fixture->window), "history-kept-open");

  /* The screen locks while the list is open: the list locks at once,
   * and so does the device key; the next visit asks again. */
  lock_screen ();
  gui_wait_until (g_strcmp0 (history_state (fixture), "locked") == 0);
  key = clave_application_get_device_key (fixture->app);
  g_assert_false (clave_device_key_is_unlocked (key));
  g_assert_false (clave_application_get_history_unlocked (fixture->app));
  g_assert_true (gui_visible (fixture, "history_unlock_button"));
  gui_activate (fixture, "history_unlock_button");
  type_pin (fixture, PIN);
  gui_wait_until (g_strcmp0 (history_state (fixture), "list") == 0);

  /* The window goes away (closed to the background, hidden): locked. */
  gtk_widget_set_visible (GTK_WIDGET (fixture->window), FALSE);
  gui_wait_until (!clave_application_get_history_unlocked (fixture->app));
  g_assert_cmpstr (history_state (fixture), ==, "locked");
  focus_window (fixture);
  back_home (fixture);
  assert_asks_pin (fixture);

  /* Another program's window comes in front (here a window that is not
   * the app's): the list in view locks. */
  other = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (other));
  gui_wait_until (!gtk_window_is_active (GTK_WINDOW (fixture->window)));
  gui_wait_until (g_strcmp0 (history_state (fixture), "locked") == 0);
  g_assert_false (clave_application_get_history_unlocked (fixture->app));
  gtk_window_destroy (GTK_WINDOW (other));
  focus_window (fixture);
  back_home (fixture);
  assert_asks_pin (fixture);
  back_home (fixture);

  /* Preferences: "Ask every time". */
  gui_choose_menu_item (fixture, "main_menu_button", "Preferences");
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW) != NULL);
  {
    GtkWidget *preferences = gui_find_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW);
    AdwComboRow *row = ADW_COMBO_ROW (gui_find (preferences, "preferences_history_row"));

    g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 2);
    gui_screenshot (preferences, "preferences-history");
    gui_choose_combo_item (preferences, "preferences_history_row", "Ask every time");
    g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 0);
    g_assert_cmpuint (g_settings_get_uint (fixture->settings, "history-unlocked-minutes"), ==, 0);
    gtk_window_close (GTK_WINDOW (preferences));
    gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW) == NULL);
    focus_window (fixture);
  }
  assert_asks_pin (fixture);
  back_home (fixture);
  assert_asks_pin (fixture);
  back_home (fixture);
}

static void
test_history_lock (void)
{
  gui_run (TRUE, run_history_lock);
}

/* Quitting (Ctrl+Q) while a page waits for its PIN dialog: the pages'
 * callbacks run after the window is gone (issue 9, the dispose audit). */
static void
quit_while_asking (GuiFixture *fixture,
                   const char *row)
{
  GtkWidget *dialog;

  g_free (gui_activate_demo_device (fixture, PIN));
  g_settings_set_uint (fixture->settings, "history-unlocked-minutes", 0);
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  /* The person locks the screen (five minutes without use,
   * CLAVE_KEY_AUTO_LOCK_SECS, leave the key the same way). */
  lock_screen ();
  gui_wait_until (!clave_device_key_is_unlocked (clave_application_get_device_key (fixture->app)));
  if (g_strcmp0 (row, "home_sign_out_row") == 0)
    {
      GtkWidget *confirm;

      gui_activate (fixture, row);
      gui_wait_until (gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
      confirm = gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
      adw_message_dialog_response (ADW_MESSAGE_DIALOG (confirm), "sign-out");
    }
  else
    {
      gui_activate (fixture, row);
    }
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL);
  dialog = gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);
  g_assert_true (gtk_widget_activate_action (dialog, "app.quit", NULL));
  gui_settle (100);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
}

static void
run_quit_from_history (GuiFixture *fixture)
{
  quit_while_asking (fixture, "home_history_row");
}

static void
run_quit_from_my_data (GuiFixture *fixture)
{
  quit_while_asking (fixture, "home_my_data_row");
}

static void
run_quit_from_deactivate (GuiFixture *fixture)
{
  quit_while_asking (fixture, "home_sign_out_row");
}

static void
test_quit_from_history (void)
{
  gui_run (TRUE, run_quit_from_history);
}

static void
test_quit_from_my_data (void)
{
  gui_run (TRUE, run_quit_from_my_data);
}

static void
test_quit_from_deactivate (void)
{
  gui_run (TRUE, run_quit_from_deactivate);
}

int
main (int   argc,
      char *argv[])
{
  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/gui/history-lock/kept-open-then-locked", test_history_lock);
  g_test_add_func ("/gui/history-lock/quit-from-history", test_quit_from_history);
  g_test_add_func ("/gui/history-lock/quit-from-my-data", test_quit_from_my_data);
  g_test_add_func ("/gui/history-lock/quit-from-deactivate", test_quit_from_deactivate);

  return g_test_run ();
}
