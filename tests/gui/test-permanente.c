/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cl@ve Permanente from the app (issue 12), against a real clave-server:
 * the state in My data, an activation code with the contrast data and
 * the device PIN, its PDF receipt (read back with pdftotext), the
 * activation on the reference service's website with that code, and the
 * state afterwards. Then Cl@ve Firma: the certificate clave-admin issues,
 * shown and revoked from the app, its receipt saved through the file
 * chooser, and its serial in the CRL the service publishes. */
#define G_LOG_DOMAIN "test-permanente"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "clave-gui-test.h"
#include "clave-permanente-page.h"
#include "clave-protocol.h"
#include "clave-test-server.h"
#include "gui-website.h"

#define PIN "802461"

static void
open_my_data (GuiFixture *fixture)
{
  GtkStack *stack;

  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  stack = GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "my_data_stack"));
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "data") == 0);
}

/* The text of the PDF @path, as pdftotext reads it. */
static char *
pdf_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "pdftotext", "-layout", path, "-", NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  /* Lines as pdftotext breaks them do not matter. */
  return g_strdelimit (g_steal_pointer (&out), "\n", ' ');
}

/* Save Receipt… through the real file chooser: the whole path typed in
 * its name entry, then Save; waits for the file. */
static void
save_receipt (GuiFixture *fixture,
              const char *button,
              const char *path)
{
  GtkWidget *chooser = NULL;
  GtkWidget *save;

  gui_activate (fixture, button);
  gui_wait_until ((chooser = gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG)) != NULL &&
                  gtk_widget_get_mapped (chooser));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (chooser)), ==, "Save Receipt");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), path);
  save = gtk_dialog_get_widget_for_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (save)), ==, "_Save");
  gtk_widget_activate (save);
  gui_wait_until (g_file_test (path, G_FILE_TEST_EXISTS));
  gui_wait_until (gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) == NULL);
}

/* On the Cl@ve Permanente page: Lucía's DNI validity date, the PIN, and
 * the code shown. */
static char *
get_code (GuiFixture *fixture)
{
  gui_type (fixture, "permanente_contrast_form/contrast_date_row", "04/05/2031");
  gui_activate (fixture, "permanente_continue_button");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "permanente_code_label"));
  return g_strdup (gui_text (fixture, "permanente_code_label"));
}

static void
run_permanente (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) form = g_regex_new ("^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$",
                                        0, 0, NULL);
  g_autofree char *dir = g_dir_make_tmp ("clave-receipt-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "receipt.pdf", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *code = NULL;
  g_autofree char *text = NULL;
  g_autofree char *done = NULL;
  g_autofree char *sms = NULL;
  GtkWidget *dialog;

  g_free (gui_activate_demo_device (fixture, PIN));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  open_my_data (fixture);
  g_assert_cmpstr (gui_subtitle (fixture, "my_data_permanente_row"), ==,
                   "Not activated: get an activation code");

  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  g_assert_false (gui_sensitive (fixture, "permanente_continue_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "permanente");

  /* A date that is not the DNI's: said after the PIN; nothing shown. */
  gui_type (fixture, "permanente_contrast_form/contrast_date_row", "05/05/2031");
  gui_activate (fixture, "permanente_continue_button");
  dialog = gui_wait_for_unlock_dialog ();
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Cl@ve Permanente");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "permanente_error_label"));
  g_assert_cmpstr (gui_text (fixture, "permanente_error_label"), ==,
                   "The data of your document are not correct. Check them and try again.");
  g_assert_false (gui_visible (fixture, "permanente_code_label"));

  code = get_code (fixture);
  g_assert_true (g_regex_match (form, code, 0, NULL));
  g_assert_true (g_str_has_prefix (gui_text (fixture, "permanente_expiry_label"), "Valid until "));
  g_assert_true (gui_sensitive (fixture, "permanente_website_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "permanente-code");

  /* The receipt, saved where the person chooses. */
  save_receipt (fixture, "permanente_receipt_button", path);
  text = pdf_text (path);
  g_assert_nonnull (strstr (text, "Cl@ve Permanente — activation code"));
  g_assert_nonnull (strstr (text, code));
  g_assert_nonnull (strstr (text, "*****678Z"));
  g_assert_nonnull (strstr (text, "/demo/permanente/"));
  g_assert_null (strstr (text, "12345678Z"));

  /* Leaving the page takes the code away. */
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");
  g_assert_cmpstr (gui_text (fixture, "permanente_code_label"), ==, "");

  /* The person activates it on the website, with that code. */
  done = clave_test_server_activate_permanente (fixture->server, "12345678Z",
                                                "lucia@example.org", code, "Tq7!vbnm#x");
  g_assert_nonnull (strstr (done, "Cl@ve Permanente activada"));
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
  open_my_data (fixture);
  gui_wait_until (g_strcmp0 (gui_subtitle (fixture, "my_data_permanente_row"), "Active") == 0);

  /* Change the password: the current one first. */
  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  g_assert_true (gui_visible (fixture, "permanente_password_group"));
  gui_activate (fixture, "permanente_change_row");
  gui_wait_until (gui_visible (fixture, "permanente_old_row"));
  gui_type (fixture, "permanente_old_row", "Tq7!vbnm#y");
  gui_type (fixture, "permanente_new_row", "Lucia#2031x");
  g_assert_cmpstr (gui_text (fixture, "permanente_rules_label"), ==,
                   "The password must not contain your name or surnames.");
  g_assert_false (gui_sensitive (fixture, "permanente_change_button"));
  gui_type (fixture, "permanente_new_row", "Nueva#Clave7");
  gui_type (fixture, "permanente_repeat_row", "Nueva#Clave7");
  g_assert_true (gui_sensitive (fixture, "permanente_change_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "permanente-change");
  gui_activate (fixture, "permanente_change_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "permanente_error_label"));
  g_assert_cmpstr (gui_text (fixture, "permanente_error_label"), ==,
                   "The current password is not correct. You can try 4 more times.");
  gui_type (fixture, "permanente_old_row", "Tq7!vbnm#x");
  gui_activate (fixture, "permanente_change_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_for_page (fixture, "my-data");

  /* Recover it with a code sent to the phone, from the link beside a new
   * activation code (the password keeps working meanwhile). */
  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  g_free (get_code (fixture));
  g_assert_true (gui_visible (fixture, "permanente_forgot_button"));
  gui_activate (fixture, "permanente_forgot_button");
  gui_wait_until (gui_visible (fixture, "permanente_send_button"));
  gui_activate (fixture, "permanente_send_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "permanente_code_row"));
  sms = clave_test_server_last_sms_code (fixture->server, "+34600111789", &error);
  g_assert_no_error (error);
  gui_type (fixture, "permanente_code_row", sms);
  gui_type (fixture, "permanente_recover_new_row", "Tercera#Clave9");
  gui_type (fixture, "permanente_recover_repeat_row", "Tercera#Clave9");
  gui_activate (fixture, "permanente_recover_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_for_page (fixture, "my-data");

  /* Delete the user, with the PIN. */
  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  gui_activate (fixture, "permanente_delete_row");
  gui_wait_until (gui_visible (fixture, "permanente_delete_button"));
  gui_activate (fixture, "permanente_delete_button");
  gui_unlock_with_pin (PIN);
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (gui_subtitle (fixture, "my_data_permanente_row"),
                             "Not activated: get an activation code") == 0);

  g_remove (path);
  g_rmdir (dir);
}

static void
test_permanente (void)
{
  gui_run (TRUE, run_permanente);
}

static void
on_crl_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GBytes **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

/* The CRL the server publishes, DER, fetched as anyone would. */
static GBytes *
fetch_crl (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database =
    g_tls_file_database_new (clave_test_server_get_ca_file (fixture->server), &error);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (clave_test_server_get_base_url (fixture->server),
                                      CLAVE_PATH_FIRMA_CRL, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  GBytes *crl = NULL;

  g_assert_no_error (error);
  soup_session_set_tls_database (session, database);
  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, on_crl_read,
                                    &crl);
  gui_wait_until (crl != NULL);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_OK);
  return crl;
}

static void
run_firma (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) crl = NULL;
  g_autofree char *dir = g_dir_make_tmp ("clave-firma-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "revocation.pdf", NULL);
  g_autofree char *crl_path = g_build_filename (dir, "crl.der", NULL);
  g_autofree char *code = NULL;
  g_autofree char *done = NULL;
  g_autofree char *issued = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *shown_serial = NULL;
  g_autofree char *text = NULL;
  g_autofree char *crl_info = NULL;
  g_autoptr(GRegex) serial_regex = g_regex_new ("^([0-9a-f]+)  ", G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  GtkWidget *dialog;
  GtkWidget *chooser;
  GtkStack *stack;
  const char *certtool[] = { "certtool", "--crl-info", "--inder", "--infile", crl_path, NULL };
  int status = -1;

  g_free (gui_activate_demo_device (fixture, PIN));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  open_my_data (fixture);
  g_assert_cmpstr (gui_subtitle (fixture, "my_data_firma_row"), ==, "No certificate");

  /* Without a certificate the page says what Cl@ve Firma needs. */
  gui_activate (fixture, "my_data_firma_row");
  gui_wait_for_page (fixture, "firma");
  stack = GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "firma_stack"));
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "none") == 0);
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");

  /* Cl@ve Permanente active, then clave-admin issues the certificate. */
  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  code = get_code (fixture);
  done = clave_test_server_activate_permanente (fixture->server, "12345678Z",
                                                "lucia@example.org", code, "Tq7!vbnm#x");
  issued = clave_test_server_admin (fixture->server, &error, "issue-firma", "12345678Z", NULL);
  g_assert_no_error (error);
  g_assert_true (g_regex_match (serial_regex, issued, 0, &match));
  serial = g_match_info_fetch (match, 1);
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
  open_my_data (fixture);
  gui_wait_until (g_strcmp0 (gui_subtitle (fixture, "my_data_firma_row"),
                             "Valid certificate") == 0);

  /* The certificate as the person sees it. */
  gui_activate (fixture, "my_data_firma_row");
  gui_wait_for_page (fixture, "firma");
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "certificate") == 0);
  g_assert_cmpstr (gui_text (fixture, "firma_holder_value"), ==, "GARCÍA PÉREZ, LUCÍA (FIRMA)");
  g_assert_cmpstr (gui_text (fixture, "firma_issuer_value"), ==, "AC Cl@ve Firma de pruebas");
  g_assert_cmpstr (gui_text (fixture, "firma_status_value"), ==, "Valid");
  shown_serial = g_strdup (gui_text (fixture, "firma_serial_value"));
  g_strdelimit (shown_serial, ":", ' ');
  {
    g_autofree char *bare = g_ascii_strdown (shown_serial, -1);
    g_auto(GStrv) parts = g_strsplit (bare, " ", -1);
    g_autofree char *joined = g_strjoinv ("", parts);

    g_assert_cmpstr (joined, ==, serial);
  }
  g_assert_true (gui_visible (fixture, "firma_revoke_button"));
  g_assert_false (gui_visible (fixture, "firma_receipt_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "firma");

  /* The conditions first: nothing revoked until they are accepted. */
  gui_activate (fixture, "firma_revoke_button");
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "conditions") == 0);
  g_assert_false (gui_sensitive (fixture, "firma_confirm_button"));
  gui_activate (fixture, "firma_accept_check");
  g_assert_true (gui_sensitive (fixture, "firma_confirm_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "firma-conditions");
  gui_activate (fixture, "firma_confirm_button");
  dialog = gui_wait_for_unlock_dialog ();
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Cl@ve Firma");
  gui_unlock_with_pin (PIN);
  gui_wait_until (g_strcmp0 (gui_text (fixture, "firma_status_value"), "Revoked") == 0);
  g_assert_true (gui_visible (fixture, "firma_revoked_row"));
  g_assert_false (gui_visible (fixture, "firma_revoke_button"));
  g_assert_true (gui_visible (fixture, "firma_receipt_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "firma-revoked");

  /* The receipt, saved where the person chooses. */
  save_receipt (fixture, "firma_receipt_button", path);
  text = pdf_text (path);
  g_assert_nonnull (strstr (text, "Cl@ve Firma — certificate revoked"));
  g_assert_nonnull (strstr (text, gui_text (fixture, "firma_serial_value")));
  g_assert_nonnull (strstr (text, "GARCÍA PÉREZ, LUCÍA (FIRMA)"));
  g_assert_nonnull (strstr (text, "*****678Z"));
  g_assert_null (strstr (text, "12345678Z"));

  /* The CRL lists it; My data says so too. */
  crl = fetch_crl (fixture);
  g_assert_true (g_file_set_contents (crl_path, g_bytes_get_data (crl, NULL),
                                      (gssize) g_bytes_get_size (crl), &error));
  g_spawn_sync (NULL, (char **) certtool, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &crl_info, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (crl_info, serial));
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
  open_my_data (fixture);
  gui_wait_until (g_strcmp0 (gui_subtitle (fixture, "my_data_firma_row"),
                             "The certificate is revoked") == 0);

  /* Quitting (Ctrl+Q) while the file chooser is open closes both. */
  gui_activate (fixture, "my_data_firma_row");
  gui_wait_for_page (fixture, "firma");
  gui_wait_until (gui_visible (fixture, "firma_receipt_button"));
  gui_activate (fixture, "firma_receipt_button");
  gui_wait_until ((chooser = gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG)) != NULL &&
                  gtk_widget_get_mapped (chooser));
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  gui_settle (100);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
  g_assert_null (gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG));

  g_remove (path);
  g_remove (crl_path);
  g_rmdir (dir);
}

static void
test_firma (void)
{
  gui_run (TRUE, run_firma);
}

int
main (int   argc,
      char *argv[])
{
  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/permanente/code-and-activation", test_permanente);
  g_test_add_func ("/permanente/firma-revoke", test_firma);

  return g_test_run ();
}
