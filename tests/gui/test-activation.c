/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The whole life of a device in the window: log in, SMS code, PIN, home,
 * My data, the PIN dialog, sign out. */
#define G_LOG_DOMAIN "test-activation"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <glib/gstdio.h>

#include "clave-device-key.h"
#include "clave-device-key-private.h"
#include "clave-gui-test.h"
#include "clave-unlock-dialog.h"

/* Whether clave-admin lists @device_id for 12345678Z as active. */
static gboolean
admin_device_active (GuiFixture *fixture,
                     const char *device_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  JsonArray *devices;

  out = clave_test_server_admin (fixture->server, &error, "show", "12345678Z", "--json", NULL);
  g_assert_no_error (error);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);

  devices = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                          "devices");
  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);

      if (g_strcmp0 (json_object_get_string_member (device, "id"), device_id) == 0)
        return json_object_get_boolean_member (device, "active");
    }

  g_error ("clave-admin does not list device %s", device_id);
  return FALSE;
}

static void
run_activate_my_data_sign_out (GuiFixture *fixture)
{
  g_autofree char *device_id = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *push_key_path = NULL;
  GtkWidget *dialog;
  GStatBuf st;

  gui_screenshot (GTK_WIDGET (fixture->window), "home-welcome");

  /* Not activated: no Personal Area. */
  g_assert_false (gui_visible (fixture, "personal_area_button"));

  device_id = gui_activate_demo_device (fixture, GUI_DEVICE_PIN);
  gui_screenshot (GTK_WIDGET (fixture->window), "done");

  /* The key is on disk, readable only by its owner, and the service knows
   * the device. */
  key_path = clave_device_key_default_path ();
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* So is the push key, for receiving requests without the PIN. */
  push_key_path = clave_push_key_default_path ();
  g_assert_cmpint (g_stat (push_key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (admin_device_active (fixture, device_id));
  {
    g_autofree char *number = g_settings_get_string (fixture->settings, "document-number");
    g_autofree char *type = g_settings_get_string (fixture->settings, "document-type");

    g_assert_cmpstr (number, ==, "12345678Z");
    g_assert_cmpstr (type, ==, "dni");
  }

  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  g_assert_false (gui_visible (fixture, "back_button"));
  g_assert_true (gui_visible (fixture, "home_my_data_row"));
  g_assert_true (gui_visible (fixture, "home_sign_out_row"));
  g_assert_false (gui_visible (fixture, "home_login_button"));
  g_assert_cmpstr (gui_text (fixture, "home_document_label"), ==, "Document *****678Z");
  g_assert_true (gui_visible (fixture, "personal_area_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "home-activated");

  /* My data: the key is still unlocked from the activation. */
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (
                               GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "my_data_stack"))),
                             "data") == 0);
  g_assert_true (gui_visible (fixture, "back_button"));
  g_assert_cmpstr (gui_text (fixture, "my_data_document_value"), ==, "*****678Z");
  g_assert_cmpstr (gui_text (fixture, "my_data_name_value"), ==, "Lucía García Pérez");
  g_assert_cmpstr (gui_text (fixture, "my_data_phone_value"), ==, "******789");
  g_assert_cmpstr (gui_subtitle (fixture, "my_data_email_row"), ==, "lucia@example.org");
  g_assert_cmpstr (gui_text (fixture, "my_data_level_value"), ==, "Advanced");
  g_assert_cmpstr (gui_text (fixture, "my_data_channel_value"), ==, "In person at a registry office");
  gui_screenshot (GTK_WIDGET (fixture->window), "my-data");

  /* Show: the whole number, remembered in the profile. */
  gui_activate (fixture, "my_data_show_button");
  g_assert_cmpstr (gui_text (fixture, "my_data_document_value"), ==, "12345678Z");
  g_assert_true (g_settings_get_boolean (fixture->settings, "show-document"));
  gui_activate (fixture, "my_data_show_button");
  g_assert_cmpstr (gui_text (fixture, "my_data_document_value"), ==, "*****678Z");
  g_assert_false (g_settings_get_boolean (fixture->settings, "show-document"));
  gui_activate (fixture, "my_data_show_button");
  g_assert_cmpstr (gui_text (fixture, "my_data_document_value"), ==, "12345678Z");

  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");

  /* Deactivate this computer, confirmed in the dialog, which says what is
   * erased. */
  gui_activate (fixture, "home_sign_out_row");
  gui_wait_until (gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
  dialog = gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==,
                   "Deactivate this computer?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                            "the key that proves it is yours is erased from it"));
  gui_screenshot (dialog, "sign-out-dialog");
  gui_activate_widget (gui_find_button (dialog, "_Deactivate"));

  /* The login page, emptied, says what happened, in words for this and
   * not for a device replaced elsewhere, and no toast covers its button. */
  gui_wait_for_page (fixture, "login");
  g_assert_cmpstr (gui_text (fixture, "login_notice_label"), ==,
                   "This computer is no longer your Cl@ve device: its key was erased. To use it "
                   "again, log in and activate it.");
  gui_settle (500);
  g_assert_cmpstr (gui_text (fixture, "login_notice_label"), ==,
                   "This computer is no longer your Cl@ve device: its key was erased. To use it "
                   "again, log in and activate it.");
  g_assert_cmpstr (gui_text (fixture, "login_document_row"), ==, "");
  g_assert_cmpstr (gui_text (fixture, "login_date_row"), ==, "");
  g_assert_null (gui_find_label (GTK_WIDGET (fixture->window), "Signed out"));
  g_assert_false (g_file_test (key_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (push_key_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (clave_application_get_push_state (fixture->app), ==, CLAVE_PUSH_STATE_OFFLINE);
  {
    g_autofree char *id = g_settings_get_string (fixture->settings, "device-id");

    g_assert_cmpstr (id, ==, "");
  }
  g_assert_false (gui_visible (fixture, "personal_area_button"));
  g_assert_false (admin_device_active (fixture, device_id));

  /* Back leads home, which offers to log in again. */
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
  g_assert_true (gui_visible (fixture, "home_login_button"));
}

static void
test_activate_my_data_sign_out (void)
{
  gui_run (TRUE, run_activate_my_data_sign_out);
}

static void
run_unlock_dialog (GuiFixture *fixture)
{
  g_autofree char *device_id = NULL;
  GtkWidget *dialog;
  GtkWidget *error_label;

  device_id = gui_activate_demo_device (fixture, "246810");
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");

  /* As after five minutes without use. */
  clave_application_lock_key (fixture->app);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.my-data", NULL));
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL);
  dialog = gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);
  gui_screenshot (dialog, "unlock-dialog");

  /* Too short: Unlock stays off. */
  gtk_editable_set_text (GTK_EDITABLE (gui_find (dialog, "unlock_pin_entry")), "123");
  g_assert_false (gtk_widget_is_sensitive (gui_find (dialog, "unlock_button")));

  /* A wrong PIN keeps the dialog open and says so. */
  gtk_editable_set_text (GTK_EDITABLE (gui_find (dialog, "unlock_pin_entry")), "135790");
  gui_activate_widget (gui_find (dialog, "unlock_button"));
  error_label = gui_find (dialog, "unlock_error_label");
  gui_wait_until (gtk_widget_get_visible (error_label));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (error_label)), !=, "");
  g_assert_true (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) == dialog);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (gui_find (dialog, "unlock_pin_entry"))),
                   ==, "");
  gui_screenshot (dialog, "unlock-dialog-wrong-pin");

  /* The right one shows the data. */
  gtk_editable_set_text (GTK_EDITABLE (gui_find (dialog, "unlock_pin_entry")), "246810");
  gui_activate_widget (gui_find (dialog, "unlock_button"));
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) == NULL);
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (
                               GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "my_data_stack"))),
                             "data") == 0);
  g_assert_cmpstr (gui_subtitle (fixture, "my_data_email_row"), ==, "lucia@example.org");

  /* Cancelling the PIN dialog leads back without data. */
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
  clave_application_lock_key (fixture->app);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.my-data", NULL));
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL);
  dialog = gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);
  gui_activate_widget (gui_find (dialog, "unlock_cancel_button"));
  gui_wait_for_page (fixture, "home");
  g_assert_true (clave_application_get_activated (fixture->app));

  /* Deactivating while the service cannot be reached changes nothing. */
  {
    g_autofree char *url = gui_closed_port_url ();
    g_autofree char *key_path = clave_device_key_default_path ();
    GtkWidget *overlay = gui_find (GTK_WIDGET (fixture->window), "toast_overlay");
    GtkWidget *confirm;

    gui_fixture_set_service (fixture, url, NULL);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.sign-out", NULL));
    gui_wait_until (gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
    confirm = gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
    gui_activate_widget (gui_find_button (confirm, "_Deactivate"));

    /* The key is locked: the PIN first. */
    gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL);
    dialog = gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);
    gtk_editable_set_text (GTK_EDITABLE (gui_find (dialog, "unlock_pin_entry")), "246810");
    gui_activate_widget (gui_find (dialog, "unlock_button"));

    gui_wait_until (gui_find_button (overlay, "_Retry") != NULL);
    g_assert_cmpstr (gui_page (fixture), ==, "home");
    g_assert_true (clave_application_get_activated (fixture->app));
    g_assert_true (g_file_test (key_path, G_FILE_TEST_EXISTS));
    g_assert_true (gui_visible (fixture, "home_sign_out_row"));
  }
}

static void
test_unlock_dialog (void)
{
  gui_run (TRUE, run_unlock_dialog);
}

/* Types @pin in the open PIN dialog, presses Unlock and waits until the
 * key has answered: the dialog closed, or its entry is back, empty. */
static void
unlock_with (const char *pin)
{
  GtkWidget *dialog = gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);
  GtkWidget *entry;
  GtkWidget *button;

  g_assert_nonnull (dialog);
  entry = gui_find (dialog, "unlock_pin_entry");
  button = gui_find (dialog, "unlock_button");
  gtk_editable_set_text (GTK_EDITABLE (entry), pin);
  gui_wait_until (gtk_widget_is_sensitive (button));
  gui_activate_widget (button);
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) == NULL
                  || (gtk_widget_is_sensitive (entry)
                      && *gtk_editable_get_text (GTK_EDITABLE (entry)) == '\0'));
}

static void
run_pin_wait_and_wipe (GuiFixture *fixture)
{
  g_autofree char *device_id = NULL;
  g_autofree char *key_path = clave_device_key_default_path ();
  g_autoptr(GError) error = NULL;
  GtkWidget *dialog;
  GtkWidget *error_label;
  guint failures;

  device_id = gui_activate_demo_device (fixture, "731904");
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  clave_application_lock_key (fixture->app);

  gui_activate (fixture, "home_my_data_row");
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL);
  dialog = gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);
  error_label = gui_find (dialog, "unlock_error_label");

  unlock_with ("000000");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (error_label)), ==,
                   "The PIN is not correct. 9 tries left.");
  unlock_with ("000000");

  /* From the third wrong PIN on, the dialog makes the person wait. */
  unlock_with ("000000");
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (error_label)),
                                   "The PIN is not correct. 7 tries left.\nYou can try again in "));
  gtk_editable_set_text (GTK_EDITABLE (gui_find (dialog, "unlock_pin_entry")), "000000");
  g_assert_false (gtk_widget_is_sensitive (gui_find (dialog, "unlock_button")));
  gui_screenshot (dialog, "unlock-dialog-wait");

  /* Skip the waits up to the last try: the key is erased. */
  for (failures = 3; failures < CLAVE_DEVICE_KEY_MAX_FAILURES; failures++)
    {
      ClaveDeviceKey *key = clave_application_get_device_key (fixture->app);

      g_assert_nonnull (key);
      _clave_device_key_set_last_failure (key, 0, &error);
      g_assert_no_error (error);
      unlock_with ("000000");
    }

  gui_wait_for_page (fixture, "login");
  g_assert_null (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG));
  g_assert_true (gui_visible (fixture, "login_notice_label"));
  g_assert_false (g_file_test (key_path, G_FILE_TEST_EXISTS));
  g_assert_false (clave_application_get_activated (fixture->app));
  {
    g_autofree char *id = g_settings_get_string (fixture->settings, "device-id");

    g_assert_cmpstr (id, ==, "");
  }
  gui_screenshot (GTK_WIDGET (fixture->window), "login-after-wipe");
}

static void
test_pin_wait_and_wipe (void)
{
  gui_run (TRUE, run_pin_wait_and_wipe);
}

/* An easy PIN is refused on the set-pin page with the reason, as it is
 * typed; Activate stays off and Enter does nothing; a good PIN goes on. */
static void
run_weak_pin (GuiFixture *fixture)
{
  GtkWidget *hint;
  GtkWidget *repeat;

  gui_reach_set_pin (fixture);
  hint = gui_find (GTK_WIDGET (fixture->window), "pin_hint_label");
  repeat = gui_find (GTK_WIDGET (fixture->window), "pin_repeat_row");

  gui_type (fixture, "pin_row", "123456");
  g_assert_cmpstr (gui_text (fixture, "pin_hint_label"), ==,
                   "A PIN of consecutive digits, such as 123456 or 654321, is easy to guess. "
                   "Choose another one.");
  g_assert_true (gtk_widget_has_css_class (hint, "error"));
  gui_type (fixture, "pin_repeat_row", "123456");
  g_assert_cmpstr (gui_text (fixture, "pin_hint_label"), ==,
                   "A PIN of consecutive digits, such as 123456 or 654321, is easy to guess. "
                   "Choose another one.");
  g_assert_false (gui_sensitive (fixture, "pin_activate_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "set-pin-weak");
  g_signal_emit_by_name (repeat, "entry-activated");
  gui_settle (200);
  g_assert_cmpstr (gui_page (fixture), ==, "set-pin");
  g_assert_true (gui_sensitive (fixture, "pin_row"));

  /* The other kinds say why too. */
  gui_type (fixture, "pin_row", "111111");
  g_assert_true (g_str_has_prefix (gui_text (fixture, "pin_hint_label"), "A PIN of one digit repeated"));
  gui_type (fixture, "pin_row", "121212");
  g_assert_true (g_str_has_prefix (gui_text (fixture, "pin_hint_label"), "A PIN that repeats a group"));
  gui_type (fixture, "pin_row", "147258");
  g_assert_true (g_str_has_prefix (gui_text (fixture, "pin_hint_label"), "This PIN is one of the most used"));
  g_assert_false (gui_sensitive (fixture, "pin_activate_button"));

  gui_type (fixture, "pin_row", GUI_DEVICE_PIN);
  gui_type (fixture, "pin_repeat_row", GUI_DEVICE_PIN);
  g_assert_cmpstr (gui_text (fixture, "pin_hint_label"), ==, "The PINs match.");
  g_assert_false (gtk_widget_has_css_class (hint, "error"));
  g_assert_true (gui_sensitive (fixture, "pin_activate_button"));
  g_signal_emit_by_name (repeat, "entry-activated");
  gui_wait_for_page (fixture, "done");
}

static void
test_weak_pin (void)
{
  gui_run (TRUE, run_weak_pin);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/gui/activation/activate-my-data-sign-out", test_activate_my_data_sign_out);
  g_test_add_func ("/gui/activation/unlock-dialog", test_unlock_dialog);
  g_test_add_func ("/gui/activation/pin-wait-and-wipe", test_pin_wait_and_wipe);
  g_test_add_func ("/gui/activation/weak-pin", test_weak_pin);

  ret = g_test_run ();
  gui_test_shutdown ();

  return ret;
}
