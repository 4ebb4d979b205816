/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Certificates and the DNIe in the window: activating with the SoftHSM2
 * "DNIe" of Lucía, registering Marta with her FNMT-style certificate file,
 * the diagnostics, a card inserted while the page is open, and the PIN
 * dialog's states. */
#define G_LOG_DOMAIN "test-certificates"

#include "config.h"

#include <glib/gstdio.h>

#include "gui-cards.h"
#include "clave-pin-dialog.h"
#include "pages/clave-certificate-page.h"
#include "pages/clave-contact-page.h"

/* The SoftHSM2 token of this test: a copy of the fixture's, or an empty
 * token directory a card is "inserted" into later. */
static char *token_dir;
/* The simulated reader's control files (CLAVE_TEST_READER_STATE). */
static char *reader_state;

static const char *
softhsm_module (void)
{
  static const char *candidates[] = {
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/lib/pkcs11/libsofthsm2.so",
  };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_EXISTS))
      return candidates[i];

  return NULL;
}

static void
run_command (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", argv[0], error->message, err);
}

/* The token files of fixture @person ("LUCIA", "MARTA") into @dir. */
static void
copy_token (const char *person,
            const char *dir)
{
  g_autofree char *variable = g_strdup_printf ("CLAVE_TEST_SOFTHSM_%s", person);
  g_autofree char *source = g_build_filename (g_getenv (variable), "tokens", ".", NULL);

  run_command ((const char *[]) { "cp", "-R", source, dir, NULL });
}

static gboolean
have_softhsm (const char *person)
{
  g_autofree char *variable = g_strdup_printf ("CLAVE_TEST_SOFTHSM_%s", person);
  const char *dir = g_getenv (variable);

  if (softhsm_module () == NULL || dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_test_skip_printf ("no SoftHSM2 module or %s fixture", variable);
      return FALSE;
    }

  return TRUE;
}

/* Points SoftHSM2 at a token directory of this test (with @person's
 * token, or empty for NULL) and the profile at the module: before the
 * application starts, which is when the token manager loads it. With
 * @reader, SoftHSM2 sits in the fixtures' simulated card reader
 * (clave-test-reader.so): a card that can be pulled out and put back, and
 * that counts wrong PINs as a DNIe does. */
static void
use_softhsm (GuiFixture *fixture,
             const char *person,
             gboolean    reader)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *contents = NULL;
  const char *modules[] = { softhsm_module (), NULL };

  base = g_dir_make_tmp ("clave-gui-softhsm-XXXXXX", &error);
  g_assert_no_error (error);
  g_free (token_dir);
  token_dir = g_build_filename (base, "tokens", NULL);
  g_assert_cmpint (g_mkdir (token_dir, 0700), ==, 0);
  if (person != NULL)
    copy_token (person, token_dir);

  conf = g_build_filename (base, "softhsm2.conf", NULL);
  contents = g_strdup_printf ("directories.tokendir = %s\nobjectstore.backend = file\n"
                              "log.level = ERROR\nslots.removable = true\n", token_dir);
  g_file_set_contents (conf, contents, -1, &error);
  g_assert_no_error (error);
  g_setenv ("SOFTHSM2_CONF", conf, TRUE);

  g_free (reader_state);
  reader_state = NULL;
  if (reader)
    {
      reader_state = g_build_filename (base, "reader", NULL);
      g_assert_cmpint (g_mkdir (reader_state, 0700), ==, 0);
      g_setenv ("CLAVE_TEST_READER_STATE", reader_state, TRUE);
      modules[0] = g_getenv ("CLAVE_TEST_READER_MODULE");
    }

  g_settings_set_strv (fixture->settings, "pkcs11-modules", modules);
}

/* Writes (or with NULL removes) a control file of the simulated reader. */
static void
reader_set (const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (reader_state, name, NULL);
  g_autoptr(GError) error = NULL;

  if (contents == NULL)
    {
      g_remove (path);
      return;
    }

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static gboolean
have_reader (void)
{
  const char *module = g_getenv ("CLAVE_TEST_READER_MODULE");

  if (module == NULL || !g_file_test (module, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no simulated card reader (CLAVE_TEST_READER_MODULE)");
      return FALSE;
    }

  return TRUE;
}

static void
prepare_lucia (GuiFixture *fixture)
{
  use_softhsm (fixture, "LUCIA", FALSE);
}

static void
prepare_lucia_in_reader (GuiFixture *fixture)
{
  use_softhsm (fixture, "LUCIA", TRUE);
}

static void
prepare_no_card (GuiFixture *fixture)
{
  use_softhsm (fixture, NULL, FALSE);
}

static void
prepare_reader_empty (GuiFixture *fixture)
{
  use_softhsm (fixture, "LUCIA", TRUE);
  /* The card is out of the reader when the application starts. */
  reader_set ("absent", "*\n");
}

/* Helpers */

static GtkWidget *
find_named (GtkWidget  *widget,
            const char *name)
{
  /* What the person sees: a hidden widget is not there. */
  if (!gtk_widget_get_visible (widget))
    return NULL;
  if (g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
open_my_data (GuiFixture *fixture)
{
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (gui_stack_child (fixture, "my_data_stack"), "data") == 0);
}

/* (a) Activating with the DNIe */

static void
run_activate_with_dnie (GuiFixture *fixture)
{
  ClavePinDialog *dialog;
  AdwActionRow *row;
  const char *subtitle;

  gui_log_in (fixture, "12345678Z", "04/05/2031");
  gui_wait_for_page (fixture, "activate-method");

  /* The service takes certificates: SMS, and one choice for a DNIe,
   * another card or a certificate file. */
  g_assert_true (gui_visible (fixture, "method_sms_row"));
  g_assert_true (gui_visible (fixture, "method_certificate_row"));
  g_assert_null (gui_try_find (GTK_WIDGET (fixture->window), "method_dnie_row"));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (gui_find (GTK_WIDGET (fixture->window),
                                                                                  "method_certificate_row"))),
                   ==, "_Certificate or DNIe");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (gui_find (GTK_WIDGET (fixture->window),
                                                                          "method_certificate_row"))),
                   ==, "Your DNIe or another card in a card reader, or a certificate file on this computer");
  gui_screenshot (GTK_WIDGET (fixture->window), "activate-method-certificates");

  gui_activate (fixture, "method_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  gui_wait_until (gui_n_certificate_rows (fixture) == 1);
  g_assert_cmpuint (gui_n_card_rows (fixture), ==, 1);
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "list");
  g_assert_cmpstr (gui_text (fixture, "certificate_heading_label"), ==,
                   "Activate with your certificate or DNIe");
  g_assert_true (gui_visible (fixture, "certificate_cards_group"));
  g_assert_false (gui_visible (fixture, "certificate_files_group"));
  /* A certificate file can be added from here too. */
  g_assert_true (gui_visible (fixture, "certificate_import_button"));

  /* Holder, document, issuer, validity, where it is. */
  row = gui_certificate_row (fixture, 0);
  g_assert_nonnull (strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "LUCÍA"));
  subtitle = adw_action_row_get_subtitle (row);
  g_assert_nonnull (strstr (subtitle, "12345678Z"));
  g_assert_nonnull (strstr (subtitle, "AC DNIE 004"));
  g_assert_nonnull (strstr (subtitle, "Valid until "));
  g_assert_nonnull (strstr (subtitle, "DNI electrónico"));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (row)));
  g_assert_null (find_named (GTK_WIDGET (row), "certificate-remove-button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "certificate-page-dnie");

  gui_activate_widget (GTK_WIDGET (row));
  dialog = gui_wait_for_pin_dialog ();
  gui_wait_until (gtk_widget_is_sensitive (gui_in_dialog (dialog, "pin_dialog_entry")));
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_heading_label"), ==, "Enter the PIN of the card");
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_warning_label")));
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_pad_box")));
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-card");

  /* A wrong PIN: said in the dialog, which stays for the next try. */
  gui_submit_secret (dialog, "654321");
  gui_wait_until (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_error_label")));
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_error_label"), ==,
                   "The PIN is not correct. Check it and try again.");
  g_assert_true (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == GTK_WIDGET (dialog));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (gui_in_dialog (dialog, "pin_dialog_entry"))), ==, "");
  g_assert_cmpstr (gui_page (fixture), ==, "certificate");
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-wrong-pin");

  /* The right one proves who Lucía is: on to the device PIN. */
  gui_submit_secret (dialog, "123456");
  gui_wait_for_page (fixture, "set-pin");
  g_assert_null (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG));

  gui_set_device_pin_and_finish (fixture, "246810");
  g_assert_true (clave_application_get_activated (fixture->app));
  {
    g_autofree char *number = g_settings_get_string (fixture->settings, "document-number");

    g_assert_cmpstr (number, ==, "12345678Z");
  }

  open_my_data (fixture);
  g_assert_cmpstr (gui_text (fixture, "my_data_document_value"), ==, "*****678Z");
  g_assert_cmpstr (gui_subtitle (fixture, "my_data_email_row"), ==, "lucia@example.org");
}

static void
test_activate_with_dnie (void)
{
  GuiOptions options = { .prepare = prepare_lucia };

  if (!have_softhsm ("LUCIA"))
    return;

  gui_run_with (&options, run_activate_with_dnie);
}

/* Changing the phone with the DNIe (issue 11): the card proves it is
 * Lucía, the device PIN confirms, the code goes to the new number. */
static void
run_change_phone_with_dnie (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  ClavePinDialog *dialog;

  g_free (gui_activate_demo_device (fixture, "246810"));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  open_my_data (fixture);
  gui_activate (fixture, "my_data_change_phone_button");
  gui_wait_for_page (fixture, "change-phone");
  gui_type (fixture, "phone_new_row", "699 000 111");
  gui_activate (fixture, "phone_continue_button");
  gui_wait_for_page (fixture, "certificate");
  gui_wait_until (gui_n_card_rows (fixture) == 1);
  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  dialog = gui_wait_for_pin_dialog ();
  gui_wait_until (gtk_widget_is_sensitive (gui_in_dialog (dialog, "pin_dialog_entry")));
  gui_submit_secret (dialog, "123456");

  gui_wait_for_page (fixture, "change-phone");
  gui_unlock_with_pin ("246810");
  gui_wait_until (gui_visible (fixture, "phone_sent_label"));
  g_assert_cmpstr (gui_text (fixture, "phone_sent_label"), ==,
                   "We sent a code to ******111. Type it here to make it your phone in Cl@ve.");
  code = clave_test_server_last_sms_code (fixture->server, "+34699000111", &error);
  g_assert_no_error (error);
  gui_type (fixture, "phone_code_row", code);
  gui_activate (fixture, "phone_confirm_button");
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (gui_text (fixture, "my_data_phone_value"), "******111") == 0);
}

static void
test_change_phone_with_dnie (void)
{
  GuiOptions options = { .prepare = prepare_lucia };

  if (!have_softhsm ("LUCIA"))
    return;

  gui_run_with (&options, run_change_phone_with_dnie);
}

/* (b) Registering with a certificate file */

static void
import_file (GuiFixture *fixture,
             const char *name)
{
  g_autofree char *path = clave_test_pki_path (name);
  g_autoptr(GFile) file = NULL;

  g_assert_nonnull (path);
  file = g_file_new_for_path (path);
  /* What the file chooser's Import does with the file chosen. */
  clave_certificate_page_import_file (CLAVE_CERTIFICATE_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                        "certificate_page")),
                                      file);
}

static void
run_register_with_certificate (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  ClavePinDialog *dialog;
  AdwActionRow *row;
  const char *subtitle;

  gui_log_in (fixture, "87654321X", "30/11/2029");
  gui_wait_for_page (fixture, "not-registered");
  g_assert_true (gui_visible (fixture, "not_registered_certificate_row"));
  g_assert_null (gui_try_find (GTK_WIDGET (fixture->window), "not_registered_dnie_row"));
  g_assert_true (gui_visible (fixture, "not_registered_in_person_group"));
  gui_screenshot (GTK_WIDGET (fixture->window), "not-registered-options");

  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                         "certificate_empty_status"))),
                   ==, "Insert your DNIe or card, or import your certificate");
  g_assert_true (gui_visible (fixture, "certificate_empty_import_button"));
  g_assert_true (gui_visible (fixture, "certificate_diagnostics_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "certificate-page-empty");

  /* Import, with a wrong password first. */
  import_file (fixture, "marta-fnmt.p12");
  dialog = gui_wait_for_pin_dialog ();
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_heading_label"), ==,
                   "Password of the certificate file");
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-import");
  gui_submit_secret (dialog, "not-the-password");
  gui_wait_until (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_error_label")));
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_error_label"), ==,
                   "The password is not correct. Check it and try again.");
  gui_submit_secret (dialog, "clave-test");
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == NULL);
  gui_wait_until (gui_n_certificate_rows (fixture) == 1);
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "list");
  g_assert_cmpstr (gui_text (fixture, "certificate_heading_label"), ==,
                   "Register with your certificate or DNIe");
  g_assert_false (gui_visible (fixture, "certificate_cards_group"));
  g_assert_true (gui_visible (fixture, "certificate_files_group"));

  row = gui_certificate_row (fixture, 0);
  g_assert_nonnull (strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "MARTA"));
  subtitle = adw_action_row_get_subtitle (row);
  g_assert_nonnull (strstr (subtitle, "87654321X"));
  g_assert_nonnull (strstr (subtitle, "AC FNMT Usuarios"));
  g_assert_nonnull (strstr (subtitle, "Valid until "));
  /* An imported file can be removed; a card cannot. */
  g_assert_nonnull (find_named (GTK_WIDGET (row), "certificate-remove-button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "certificate-page-imported");

  /* Choose it: its password, then the contact page. */
  gui_activate_widget (GTK_WIDGET (row));
  dialog = gui_wait_for_pin_dialog ();
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_heading_label"), ==,
                   "Password of the certificate file");
  gui_submit_secret (dialog, "clave-test");
  gui_wait_for_page (fixture, "contact");
  g_assert_null (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG));
  g_assert_nonnull (strstr (gui_text (fixture, "contact_holder_label"), "87654321X"));

  /* Inline validation of both fields. */
  gui_type (fixture, "contact_phone_row", "+34 600 999 888 777 666");
  g_assert_true (gtk_widget_has_css_class (gui_find (GTK_WIDGET (fixture->window), "contact_phone_hint"),
                                           "error"));
  g_assert_false (gui_sensitive (fixture, "contact_continue_button"));
  gui_type (fixture, "contact_phone_row", "+34 600 999 888");
  g_assert_cmpstr (gui_text (fixture, "contact_phone_hint"), ==, "The code goes to +34600999888.");
  gui_type (fixture, "contact_email_row", "marta@");
  g_assert_false (gui_sensitive (fixture, "contact_continue_button"));
  gui_type (fixture, "contact_email_row", "marta@example.org");
  g_assert_true (gui_sensitive (fixture, "contact_continue_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "contact-page");

  gui_activate (fixture, "contact_continue_button");
  gui_wait_for_page (fixture, "sms-code");
  g_assert_cmpstr (gui_text (fixture, "sms_heading_label"), ==, "We sent a code to ******888");
  gui_screenshot (GTK_WIDGET (fixture->window), "sms-code-registration");

  code = clave_test_server_last_sms_code (fixture->server, "+34600999888", &error);
  g_assert_no_error (error);
  gui_submit_sms_code (fixture, code);
  gui_wait_for_page (fixture, "set-pin");

  gui_set_device_pin_and_finish (fixture, "135791");
  {
    g_autofree char *number = g_settings_get_string (fixture->settings, "document-number");

    g_assert_cmpstr (number, ==, "87654321X");
  }

  open_my_data (fixture);
  g_assert_cmpstr (gui_text (fixture, "my_data_document_value"), ==, "*****321X");
  g_assert_cmpstr (gui_text (fixture, "my_data_level_value"), ==, "Advanced");
  g_assert_cmpstr (gui_text (fixture, "my_data_channel_value"), ==, "With an electronic certificate");
  g_assert_cmpstr (gui_subtitle (fixture, "my_data_email_row"), ==, "marta@example.org");
  gui_screenshot (GTK_WIDGET (fixture->window), "my-data-registered");
}

static void
test_register_with_certificate (void)
{
  GuiOptions options = { .prepare = prepare_no_card };

  if (!have_softhsm ("LUCIA"))
    return;
  if (g_getenv ("CLAVE_TEST_PKI_DIR") == NULL)
    {
      g_test_skip ("CLAVE_TEST_PKI_DIR is not set");
      return;
    }

  gui_run_with (&options, run_register_with_certificate);
}

/* Registering again, as somebody already registered, and with a phone
 * that belongs to somebody else. */
static void
run_register_refused (GuiFixture *fixture)
{
  ClavePinDialog *dialog;

  gui_activate (fixture, "home_register_button");
  gui_wait_for_page (fixture, "not-registered");
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                         "not_registered_status"))),
                   ==, "Register in Cl@ve");
  g_assert_false (gui_visible (fixture, "not_registered_back_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "register-from-welcome");

  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");

  /* Marta, with Lucía's phone. */
  import_file (fixture, "marta-fnmt.p12");
  dialog = gui_wait_for_pin_dialog ();
  gui_submit_secret (dialog, "clave-test");
  gui_wait_until (gui_n_certificate_rows (fixture) == 1);
  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
  gui_wait_for_page (fixture, "contact");
  gui_type (fixture, "contact_phone_row", "600 111 789");
  g_assert_cmpstr (gui_text (fixture, "contact_phone_hint"), ==, "The code goes to +34600111789.");
  gui_type (fixture, "contact_email_row", "marta@example.org");
  gui_activate (fixture, "contact_continue_button");
  gui_wait_until (gtk_widget_has_css_class (gui_find (GTK_WIDGET (fixture->window), "contact_phone_hint"),
                                            "error"));
  g_assert_cmpstr (gui_page (fixture), ==, "contact");
  gui_screenshot (GTK_WIDGET (fixture->window), "contact-phone-in-use");

  /* Another phone: the proof was spent, so the certificate signs again
   * and the form goes by itself. */
  gui_type (fixture, "contact_phone_row", "+34 600 999 000");
  gui_activate (fixture, "contact_continue_button");
  gui_wait_for_page (fixture, "certificate");
  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
  gui_wait_for_page (fixture, "sms-code");
  g_assert_cmpstr (gui_text (fixture, "sms_heading_label"), ==, "We sent a code to ******000");

  /* Lucía is registered already. */
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
  gui_activate (fixture, "home_register_button");
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  import_file (fixture, "lucia-fnmt.p12");
  gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
  gui_wait_until (gui_n_certificate_rows (fixture) == 2);
  for (guint i = 0; i < 2; i++)
    {
      AdwActionRow *row = gui_certificate_row (fixture, i);

      if (strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "LUC") != NULL)
        gui_activate_widget (GTK_WIDGET (row));
    }
  gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
  gui_wait_for_page (fixture, "contact");
  gui_type (fixture, "contact_phone_row", "+34 600 999 111");
  gui_type (fixture, "contact_email_row", "lucia@example.org");
  gui_activate (fixture, "contact_continue_button");
  gui_wait_until (gui_visible (fixture, "contact_registered_box"));
  gui_screenshot (GTK_WIDGET (fixture->window), "contact-already-registered");
  gui_activate (fixture, "contact_login_button");
  gui_wait_for_page (fixture, "login");

  /* An expired certificate shows, marked, and cannot be chosen. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.register", NULL));
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  import_file (fixture, "expired.p12");
  gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
  gui_wait_until (gui_n_certificate_rows (fixture) == 3);
  {
    AdwActionRow *expired = NULL;

    for (guint i = 0; i < 3; i++)
      if (strstr (adw_action_row_get_subtitle (gui_certificate_row (fixture, i)), "Expired on ") != NULL)
        expired = gui_certificate_row (fixture, i);
    g_assert_nonnull (expired);
    g_assert_false (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (expired)));
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (expired), "unusable-certificate"));
    gui_screenshot (GTK_WIDGET (fixture->window), "certificate-page-expired");
    /* Removing it is still possible. */
    gui_activate_widget (find_named (GTK_WIDGET (expired), "certificate-remove-button"));
    gui_wait_until (gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
    gui_activate_widget (gui_find_button (gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG), "_Remove"));
    gui_wait_until (gui_n_certificate_rows (fixture) == 2);
  }
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "back_button");

  /* The imported files can be removed (confirmed). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.register", NULL));
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  g_assert_cmpuint (gui_n_certificate_rows (fixture), ==, 2);
  gui_activate_widget (find_named (GTK_WIDGET (gui_certificate_row (fixture, 0)),
                                   "certificate-remove-button"));
  gui_wait_until (gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
  {
    GtkWidget *confirm = gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);

    g_assert_true (g_str_has_prefix (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (confirm)),
                                     "Remove the certificate of "));
    gui_screenshot (confirm, "remove-certificate-dialog");
    gui_activate_widget (gui_find_button (confirm, "_Remove"));
  }
  gui_wait_until (gui_n_certificate_rows (fixture) == 1);
  gui_wait_until (gui_find_label (GTK_WIDGET (fixture->window), "Certificate removed") != NULL);
}

static void
test_register_refused (void)
{
  GuiOptions options = { .prepare = prepare_no_card };

  if (!have_softhsm ("LUCIA"))
    return;

  gui_run_with (&options, run_register_refused);
}

/* Registering with the DNIe: Marta's SoftHSM2 "DNIe". */

static void
prepare_marta (GuiFixture *fixture)
{
  use_softhsm (fixture, "MARTA", FALSE);
}

static void
run_register_with_dnie (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  gui_activate (fixture, "home_register_button");
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  gui_wait_until (gui_n_certificate_rows (fixture) == 1);
  g_assert_cmpstr (gui_text (fixture, "certificate_heading_label"), ==,
                   "Register with your certificate or DNIe");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (gui_certificate_row (fixture, 0)), "87654321X"));

  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  gui_submit_secret (gui_wait_for_pin_dialog (), "123456");
  gui_wait_for_page (fixture, "contact");
  gui_type (fixture, "contact_phone_row", "+34 600 999 222");
  gui_type (fixture, "contact_email_row", "marta@example.org");
  gui_activate (fixture, "contact_continue_button");
  gui_wait_for_page (fixture, "sms-code");

  code = clave_test_server_last_sms_code (fixture->server, "+34600999222", &error);
  g_assert_no_error (error);
  /* A wrong code first: the page says how many tries are left. */
  gui_submit_sms_code (fixture, g_str_equal (code, "000000") ? "111111" : "000000");
  gui_wait_until (gui_visible (fixture, "sms_error_label"));
  g_assert_cmpstr (gui_text (fixture, "sms_error_label"), ==, "The code is not correct. 2 attempts left.");
  gui_submit_sms_code (fixture, code);
  gui_wait_for_page (fixture, "set-pin");

  gui_set_device_pin_and_finish (fixture, "975310");
  open_my_data (fixture);
  g_assert_cmpstr (gui_text (fixture, "my_data_level_value"), ==, "Advanced");
  g_assert_cmpstr (gui_text (fixture, "my_data_channel_value"), ==, "With an electronic DNI (DNIe)");
}

static void
test_register_with_dnie (void)
{
  GuiOptions options = { .prepare = prepare_marta };

  if (!have_softhsm ("MARTA"))
    return;

  gui_run_with (&options, run_register_with_dnie);
}

/* (c) Diagnostics */

typedef struct
{
  gboolean  done;
  char     *text;
} ClipboardRead;

static void
clipboard_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClipboardRead *read = user_data;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  read->done = TRUE;
}

static void
run_diagnostics (GuiFixture *fixture)
{
  g_autofree char *modules = NULL;
  g_autofree char *cards = NULL;
  g_autofree char *certificates = NULL;
  ClipboardRead read = { FALSE, NULL };

  /* From the main menu. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.diagnostics", NULL));
  gui_wait_for_page (fixture, "diagnostics");
  gui_wait_until (g_strcmp0 (gui_stack_child (fixture, "diagnostics_stack"), "report") == 0);

  modules = gui_rows_of (fixture, "diagnostics_details_row");
  cards = gui_rows_of (fixture, "diagnostics_cards_group");
  certificates = gui_rows_of (fixture, "diagnostics_certificates_group");
  g_test_message ("Details:\n%sCards:\n%sCertificates:\n%s", modules, cards, certificates);
  g_assert_nonnull (strstr (cards, "DNI electrónico | PIN: "));
  g_assert_nonnull (strstr (certificates, " | 12345678Z · Valid until "));
  /* Plain words first: dates in local time and words, no ISO dates, no
   * driver names; those are in the folded technical details. */
  {
    g_autoptr(GRegex) iso = g_regex_new ("[0-9]{4}-[0-9]{2}-[0-9]{2}", 0, 0, NULL);
    g_autoptr(GRegex) local = g_regex_new ("Valid until [0-9]{1,2} [A-Z][a-z]+ [0-9]{4}, [0-9]{2}:[0-9]{2}",
                                           0, 0, NULL);

    g_assert_false (g_regex_match (iso, certificates, 0, NULL));
    g_assert_true (g_regex_match (local, certificates, 0, NULL));
    g_assert_null (strstr (certificates, "SoftHSM"));
    g_assert_null (strstr (cards, "SoftHSM"));
    g_assert_true (g_regex_match (iso, modules, 0, NULL));
  }
  g_assert_nonnull (strstr (modules, "SoftHSM"));
  g_assert_nonnull (strstr (modules, "| PKCS#11 module (card driver)"));
  g_assert_false (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (gui_find (GTK_WIDGET (fixture->window),
                                                                             "diagnostics_details_row"))));
  g_assert_true (gui_sensitive (fixture, "diagnostics_copy_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "diagnostics");
  {
    GtkWidget *scrolled = gtk_widget_get_ancestor (gui_find (GTK_WIDGET (fixture->window),
                                                             "diagnostics_stack"),
                                                   GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
    gui_screenshot (GTK_WIDGET (fixture->window), "diagnostics-bottom");
  }

  gui_activate (fixture, "diagnostics_copy_button");
  gui_wait_until (gui_find_label (GTK_WIDGET (fixture->window), "Report copied") != NULL);
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (fixture->window)), NULL,
                                 clipboard_read_cb, &read);
  gui_wait_until (read.done);
  g_assert_nonnull (read.text);
  g_assert_nonnull (strstr (read.text, "SoftHSM"));
  g_free (read.text);

  /* Refresh looks again. */
  gui_activate (fixture, "diagnostics_refresh_button");
  gui_wait_until (g_strcmp0 (gui_stack_child (fixture, "diagnostics_stack"), "report") == 0);
  g_assert_true (gui_sensitive (fixture, "diagnostics_refresh_button"));

  /* Back to where the person was. */
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
}

static void
test_diagnostics (void)
{
  GuiOptions options = { .no_server = TRUE, .prepare = prepare_lucia };

  if (!have_softhsm ("LUCIA"))
    return;

  gui_run_with (&options, run_diagnostics);
}

/* (d) A card inserted while the page is open. SoftHSM2 reads its token
 * directory once, when it starts, so copying a token in place is never
 * seen; the simulated reader puts the same token in and out as a reader
 * does with a card. */

static void
run_card_inserted (GuiFixture *fixture)
{
  gint64 inserted_at;
  gint64 shown_at;

  gui_activate (fixture, "home_register_button");
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                         "certificate_empty_status"))),
                   ==, "Insert your DNIe or card, or import your certificate");
  g_assert_true (gui_visible (fixture, "certificate_empty_import_button"));
  g_assert_true (gui_visible (fixture, "certificate_diagnostics_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "certificate-page-insert-dnie");
  gui_settle (500);
  g_assert_cmpuint (gui_n_certificate_rows (fixture), ==, 0);

  /* The card goes in; nobody touches the window. */
  reader_set ("absent", NULL);
  inserted_at = g_get_monotonic_time ();
  gui_wait_until (gui_n_certificate_rows (fixture) == 1);
  shown_at = g_get_monotonic_time ();
  g_test_message ("The card showed after %" G_GINT64_FORMAT " ms", (shown_at - inserted_at) / 1000);
  g_assert_cmpint (shown_at - inserted_at, <=, 2 * G_USEC_PER_SEC);
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "list");
  g_assert_true (gui_visible (fixture, "certificate_cards_group"));

  /* And out again. */
  reader_set ("absent", "*\n");
  gui_wait_until (gui_n_certificate_rows (fixture) == 0);
  g_assert_cmpint (g_get_monotonic_time () - shown_at, <=, 5 * G_USEC_PER_SEC);
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "empty");
}

static void
test_card_inserted (void)
{
  GuiOptions options = { .prepare = prepare_reader_empty };

  if (!have_softhsm ("LUCIA") || !have_reader ())
    return;

  gui_run_with (&options, run_card_inserted);
}

/* The DNIe's PIN counter, a locked card, a card pulled out while it is
 * used, and a reader with a PIN pad, in the simulated reader. */

static char *
lucia_serial (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("CLAVE_TEST_SOFTHSM_LUCIA"), "serial", NULL);
  g_autoptr(GError) error = NULL;
  char *serial = NULL;

  g_file_get_contents (path, &serial, NULL, &error);
  g_assert_no_error (error);
  return g_strstrip (serial);
}

static ClavePinDialog *
open_dnie_dialog (GuiFixture *fixture)
{
  gui_log_in (fixture, "12345678Z", "04/05/2031");
  gui_wait_for_page (fixture, "activate-method");
  gui_activate (fixture, "method_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  gui_wait_until (gui_n_certificate_rows (fixture) == 1);
  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  return gui_wait_for_pin_dialog ();
}

static void
run_dnie_tries (GuiFixture *fixture)
{
  ClavePinDialog *dialog = open_dnie_dialog (fixture);
  GtkWidget *warning = gui_in_dialog (dialog, "pin_dialog_warning_label");
  GtkWidget *error_label = gui_in_dialog (dialog, "pin_dialog_error_label");

  gui_wait_until (gtk_widget_is_sensitive (gui_in_dialog (dialog, "pin_dialog_entry")));
  g_assert_false (gtk_widget_get_visible (warning));

  /* Each wrong PIN shows what the card says about the tries left. */
  gui_submit_secret (dialog, "654321");
  gui_wait_until (gtk_widget_get_visible (error_label));
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_error_label"), ==,
                   "The PIN is not correct. Check it and try again.");
  g_assert_true (gtk_widget_get_visible (warning));
  g_assert_true (g_str_has_prefix (gui_dialog_text (dialog, "pin_dialog_warning_label"), "Few tries left."));
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-tries-left");

  gui_submit_secret (dialog, "654321");
  gui_wait_until (g_strcmp0 (gui_dialog_text (dialog, "pin_dialog_warning_label"),
                             "Last try: a wrong PIN locks the card.") == 0);
  g_assert_true (gtk_widget_get_visible (error_label));
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-last-try");

  /* The right PIN, in time. */
  gui_submit_secret (dialog, "123456");
  gui_wait_for_page (fixture, "set-pin");
  g_assert_null (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG));
}

static void
test_dnie_tries (void)
{
  GuiOptions options = { .prepare = prepare_lucia_in_reader };

  if (!have_softhsm ("LUCIA") || !have_reader ())
    return;

  gui_run_with (&options, run_dnie_tries);
}

static void
run_dnie_locked_and_removed (GuiFixture *fixture)
{
  g_autofree char *serial = lucia_serial ();
  g_autofree char *tries = g_strdup_printf ("tries-%s", serial);
  GtkWidget *overlay = gui_find (GTK_WIDGET (fixture->window), "toast_overlay");
  ClavePinDialog *dialog;

  /* A locked card: explained, nothing to type, Diagnostics at hand. */
  reader_set (tries, "0\n");
  dialog = open_dnie_dialog (fixture);
  gui_wait_until (g_strcmp0 (gui_dialog_text (dialog, "pin_dialog_heading_label"),
                             "This card is locked") == 0);
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_entry")));
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_button")));
  g_assert_true (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_diagnostics_button")));
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-card-locked");
  gui_activate_widget (gui_in_dialog (dialog, "pin_dialog_cancel_button"));
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == NULL);
  g_assert_cmpstr (gui_page (fixture), ==, "certificate");

  /* Unlocked again, then pulled out at the PIN. */
  reader_set (tries, NULL);
  reader_set ("remove-on-login", "1\n");
  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  dialog = gui_wait_for_pin_dialog ();
  gui_submit_secret (dialog, "123456");
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == NULL);
  g_assert_true (g_str_has_prefix (gui_text (fixture, "certificate_error_label"),
                                   "The card was removed from the reader."));
  /* The toast has Diagnostics. */
  gui_wait_until (gui_find_button (overlay, "_Diagnostics") != NULL);
  gui_wait_until (gui_n_certificate_rows (fixture) == 0);
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "empty");
  g_assert_true (gui_visible (fixture, "certificate_empty_error_label"));
  gui_screenshot (GTK_WIDGET (fixture->window), "certificate-card-removed");
  g_assert_true (gtk_widget_activate_action (gui_find_button (overlay, "_Diagnostics"),
                                             "win.diagnostics", NULL));
  gui_wait_for_page (fixture, "diagnostics");
}

static void
test_dnie_locked_and_removed (void)
{
  GuiOptions options = { .prepare = prepare_lucia_in_reader };

  if (!have_softhsm ("LUCIA") || !have_reader ())
    return;

  gui_run_with (&options, run_dnie_locked_and_removed);
}

static void
run_dnie_pin_pad (GuiFixture *fixture)
{
  ClavePinDialog *dialog;

  /* The reader's keypad "types" the PIN: no field, then on by itself. */
  reader_set ("pinpad", "123456");
  dialog = open_dnie_dialog (fixture);
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == NULL
                  || g_strcmp0 (gui_dialog_text (dialog, "pin_dialog_heading_label"),
                                "Enter your PIN on the card reader") == 0);
  gui_wait_for_page (fixture, "set-pin");
  g_assert_null (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG));
}

static void
test_dnie_pin_pad (void)
{
  GuiOptions options = { .prepare = prepare_lucia_in_reader };

  if (!have_softhsm ("LUCIA") || !have_reader ())
    return;

  gui_run_with (&options, run_dnie_pin_pad);
}

/* (e) The PIN dialog as the card's flags have it */

static void
on_cancelled (ClavePinDialog *dialog,
              gboolean       *cancelled)
{
  *cancelled = TRUE;
}

static void
run_pin_dialog_states (GuiFixture *fixture)
{
  ClavePinDialog *dialog;
  gboolean cancelled = FALSE;

  dialog = clave_pin_dialog_new (GTK_WINDOW (fixture->window), CLAVE_PIN_DIALOG_CARD_PIN,
                                 "Certificate of LUCÍA GARCÍA PÉREZ on the card “DNI electrónico”.");
  g_signal_connect (dialog, "cancelled", G_CALLBACK (on_cancelled), &cancelled);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));

  clave_pin_dialog_set_flags (dialog, CLAVE_PIN_FLAGS_COUNT_LOW);
  g_assert_true (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_warning_label")));
  g_assert_true (g_str_has_prefix (gui_dialog_text (dialog, "pin_dialog_warning_label"), "Few tries left."));
  g_assert_true (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_entry")));
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-count-low");

  clave_pin_dialog_set_flags (dialog, CLAVE_PIN_FLAGS_COUNT_LOW | CLAVE_PIN_FLAGS_FINAL_TRY);
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_warning_label"), ==,
                   "Last try: a wrong PIN locks the card.");
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-final-try");

  clave_pin_dialog_set_flags (dialog, CLAVE_PIN_FLAGS_PROTECTED_PATH);
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_heading_label"), ==,
                   "Enter your PIN on the card reader");
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_entry")));
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_button")));
  g_assert_true (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_pad_box")));
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-pin-pad");

  clave_pin_dialog_set_flags (dialog, CLAVE_PIN_FLAGS_LOCKED | CLAVE_PIN_FLAGS_PROTECTED_PATH);
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_heading_label"), ==, "This card is locked");
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_entry")));
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_pad_box")));
  g_assert_false (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_button")));
  g_assert_true (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_diagnostics_button")));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (gui_in_dialog (dialog, "pin_dialog_cancel_button"))),
                   ==, "_Close");
  gui_screenshot (GTK_WIDGET (dialog), "pin-dialog-locked");

  /* Diagnostics closes the dialog and shows the diagnostics page. */
  gui_activate_widget (gui_in_dialog (dialog, "pin_dialog_diagnostics_button"));
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == NULL);
  g_assert_true (cancelled);
  gui_wait_for_page (fixture, "diagnostics");
}

static void
test_pin_dialog_states (void)
{
  gui_run (FALSE, run_pin_dialog_states);
}

/* Phone numbers as people type them */

static void
test_phone_numbers (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "+34 600 999 888", "+34600999888" },
    { "600 999 888", "+34600999888" },
    { "0034 600-999-888", "+34600999888" },
    { "+49 (151) 1234 5678", "+4915112345678" },
    { "+34 600", NULL },
    { "+1234567890123456", NULL },
    { "+0 600 999 888", NULL },
    { "600 999 88a", NULL },
    { "+34 +600", NULL },
    { "", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *phone = clave_contact_page_normalize_phone (cases[i].in);

      g_assert_cmpstr (phone, ==, cases[i].out);
    }

  g_assert_true (clave_contact_page_email_is_valid ("marta@example.org"));
  g_assert_true (clave_contact_page_email_is_valid ("a.b+c@sub.example.es"));
  g_assert_false (clave_contact_page_email_is_valid ("marta@"));
  g_assert_false (clave_contact_page_email_is_valid ("@example.org"));
  g_assert_false (clave_contact_page_email_is_valid ("marta@example"));
  g_assert_false (clave_contact_page_email_is_valid ("marta example@example.org"));
  g_assert_false (clave_contact_page_email_is_valid ("a@b@example.org"));
  g_assert_false (clave_contact_page_email_is_valid ("marta@example..org"));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/gui/certificates/phone-numbers", test_phone_numbers);
  g_test_add_func ("/gui/certificates/pin-dialog-states", test_pin_dialog_states);
  g_test_add_func ("/gui/certificates/activate-with-dnie", test_activate_with_dnie);
  g_test_add_func ("/gui/certificates/change-phone-with-dnie", test_change_phone_with_dnie);
  g_test_add_func ("/gui/certificates/register-with-certificate", test_register_with_certificate);
  g_test_add_func ("/gui/certificates/register-refused", test_register_refused);
  g_test_add_func ("/gui/certificates/register-with-dnie", test_register_with_dnie);
  g_test_add_func ("/gui/certificates/diagnostics", test_diagnostics);
  g_test_add_func ("/gui/certificates/card-inserted", test_card_inserted);
  g_test_add_func ("/gui/certificates/dnie-tries", test_dnie_tries);
  g_test_add_func ("/gui/certificates/dnie-locked-and-removed", test_dnie_locked_and_removed);
  g_test_add_func ("/gui/certificates/dnie-pin-pad", test_dnie_pin_pad);

  ret = g_test_run ();
  gui_test_shutdown ();
  g_clear_pointer (&token_dir, g_free);
  g_clear_pointer (&reader_state, g_free);

  return ret;
}
