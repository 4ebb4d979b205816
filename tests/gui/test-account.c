/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The account services of the personal area (issue 11), driven as a
 * person would against a real clave-server: giving up Cl@ve, from My data,
 * with the device PIN; a failure leaves everything as it was. */
#define G_LOG_DOMAIN "test-account"

#include "config.h"

#include <string.h>

#include "clave-gui-test.h"

#define PIN "802461"

static void
open_give_up (GuiFixture *fixture)
{
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  /* My data asks the service, with the PIN when the key is locked. */
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (
                    GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "my_data_stack"))),
                  "data") == 0);
  gui_activate (fixture, "my_data_give_up_row");
  gui_wait_for_page (fixture, "give-up");
}

static void
run_give_up (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *closed = gui_closed_port_url ();
  g_autofree char *shown = NULL;
  GtkWidget *dialog;

  g_free (gui_activate_demo_device (fixture, PIN));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  url = g_settings_get_string (fixture->settings, "service-url");
  ca_file = g_settings_get_string (fixture->settings, "ca-file");

  open_give_up (fixture);
  g_assert_true (gui_visible (fixture, "give_up_button"));
  g_assert_false (gui_visible (fixture, "give_up_error_label"));
  gui_screenshot (GTK_WIDGET (fixture->window), "give-up");

  /* Keep My Registration goes back, and nothing happens. */
  gui_activate (fixture, "give_up_cancel_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_give_up_row");
  gui_wait_for_page (fixture, "give-up");

  /* The service cannot be reached: the page says so, and this computer
   * is still the person's Cl@ve device. */
  gui_fixture_set_service (fixture, closed, NULL);
  gui_activate (fixture, "give_up_button");
  dialog = gui_wait_for_unlock_dialog ();
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Give Up Cl@ve");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "give_up_error_label"));
  g_assert_nonnull (strstr (gui_text (fixture, "give_up_error_label"), "service"));
  g_assert_true (gtk_widget_is_sensitive (gui_find (GTK_WIDGET (fixture->window),
                                                    "give_up_button")));
  g_assert_true (clave_application_get_activated (fixture->app));
  g_assert_cmpstr (gui_page (fixture), ==, "give-up");

  /* Again, with the service back. */
  gui_fixture_set_service (fixture, url, ca_file);
  gui_activate (fixture, "give_up_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_for_page (fixture, "home");
  gui_wait_until (!clave_application_get_activated (fixture->app));
  g_assert_true (gui_visible (fixture, "home_notice_label"));
  g_assert_nonnull (strstr (gui_text (fixture, "home_notice_label"),
                            "You have given up Cl@ve"));
  g_assert_nonnull (strstr (gui_text (fixture, "home_notice_label"), "register again"));
  g_assert_true (gui_visible (fixture, "home_register_button"));
  g_assert_false (gui_visible (fixture, "personal_area_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "given-up");

  shown = clave_test_server_admin (fixture->server, &error, "show", "12345678Z", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (shown, "Registered:      no"));
  g_assert_nonnull (strstr (shown, "Gave up Cl@ve:"));
}

static void
test_give_up (void)
{
  gui_run (TRUE, run_give_up);
}

int
main (int   argc,
      char *argv[])
{
  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/account/give-up", test_give_up);

  return g_test_run ();
}
