/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The login form and what the service answers to it. */
#define G_LOG_DOMAIN "test-login"

#include "config.h"

#include "clave-gui-test.h"

static void
go_to_login (GuiFixture *fixture)
{
  gui_activate (fixture, "home_login_button");
  gui_wait_for_page (fixture, "login");
}

static void
run_validation (GuiFixture *fixture)
{
  g_autofree char *url = gui_closed_port_url ();

  gui_fixture_set_service (fixture, url, NULL);
  go_to_login (fixture);
  gui_screenshot (GTK_WIDGET (fixture->window), "login-empty");

  g_assert_false (gui_sensitive (fixture, "login_continue_button"));
  g_assert_false (gui_visible (fixture, "login_document_error"));

  /* Half a DNI is not an error yet. */
  gui_type (fixture, "login_document_row", "1234");
  g_assert_false (gui_visible (fixture, "login_document_error"));

  /* A complete number with the wrong letter is, at once. */
  gui_type (fixture, "login_document_row", "12345678A");
  g_assert_true (gui_visible (fixture, "login_document_error"));
  g_assert_true (gtk_widget_has_css_class (gui_find (GTK_WIDGET (fixture->window),
                                                     "login_document_error"), "error"));
  g_assert_cmpstr (gui_text (fixture, "login_document_error"), ==,
                   "The letter does not match the number. Check that you typed your document correctly.");
  gui_type (fixture, "login_date_row", "04/05/2031");
  g_assert_false (gui_sensitive (fixture, "login_continue_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "login-bad-letter");

  /* Fixing it, with a valid date, allows to continue. */
  gui_type (fixture, "login_document_row", "12345678z");
  g_assert_false (gui_visible (fixture, "login_document_error"));
  g_assert_true (gui_sensitive (fixture, "login_continue_button"));

  /* A date that is not one. */
  gui_type (fixture, "login_date_row", "31/02/2031");
  g_assert_false (gui_sensitive (fixture, "login_continue_button"));
  g_assert_true (gui_visible (fixture, "login_contrast_hint"));
  gui_type (fixture, "login_date_row", "4-5-2031");
  g_assert_true (gui_sensitive (fixture, "login_continue_button"));

  /* Permanent DNI: 01/01/9999 is no validity date; the issue date is. */
  gui_type (fixture, "login_date_row", "01/01/9999");
  g_assert_false (gui_sensitive (fixture, "login_continue_button"));
  g_assert_true (gui_visible (fixture, "login_contrast_hint"));
  g_assert_cmpstr (gui_text (fixture, "login_date_row"), ==, "01/01/9999");
  gui_activate (fixture, "login_permanent_check");
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (
                     gui_find (GTK_WIDGET (fixture->window), "login_date_row"))),
                   ==, "_Issue date (dd/mm/yyyy)");
  /* The validity date typed is not the issue date asked now (issue 9:
   * it stayed in the field). */
  g_assert_cmpstr (gui_text (fixture, "login_date_row"), ==, "");
  g_assert_false (gui_visible (fixture, "login_contrast_hint") &&
                  gtk_widget_has_css_class (gui_find (GTK_WIDGET (fixture->window),
                                                      "login_contrast_hint"), "error"));
  gui_type (fixture, "login_date_row", "10/03/2015");
  g_assert_true (gui_sensitive (fixture, "login_continue_button"));
  gui_activate (fixture, "login_permanent_check");
  g_assert_cmpstr (gui_text (fixture, "login_date_row"), ==, "");

  /* A NIE asks for the support number and shows it padded. */
  gui_type (fixture, "login_document_row", "X1234567L");
  g_assert_false (gui_visible (fixture, "login_date_row"));
  g_assert_false (gui_visible (fixture, "login_permanent_check"));
  g_assert_true (gui_visible (fixture, "login_support_row"));
  g_assert_false (gui_sensitive (fixture, "login_continue_button"));
  gui_type (fixture, "login_support_row", "e1234567");
  g_assert_cmpstr (gui_text (fixture, "login_contrast_hint"), ==, "It will be sent as E01234567.");
  g_assert_true (gui_sensitive (fixture, "login_continue_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "login-nie");

  gui_type (fixture, "login_support_row", "E12345678901");
  g_assert_false (gui_sensitive (fixture, "login_continue_button"));
  g_assert_true (gtk_widget_has_css_class (gui_find (GTK_WIDGET (fixture->window),
                                                     "login_contrast_hint"), "error"));
}

static void
test_validation (void)
{
  gui_run (FALSE, run_validation);
}

static void
run_not_registered (GuiFixture *fixture)
{

  go_to_login (fixture);

  /* Wrong contrast data: said on the form, nothing else happens. */
  gui_type (fixture, "login_document_row", "12345678Z");
  gui_type (fixture, "login_date_row", "05/05/2031");
  gui_activate (fixture, "login_continue_button");
  gui_wait_until (gui_visible (fixture, "login_error_label"));
  g_assert_cmpstr (gui_text (fixture, "login_error_label"), ==,
                   "The document number or the contrast data are not correct. Check them and try again.");
  g_assert_cmpstr (gui_page (fixture), ==, "login");
  gui_screenshot (GTK_WIDGET (fixture->window), "login-identification-failed");

  /* Typing again clears what the service said. */
  gui_type (fixture, "login_document_row", "87654321X");
  g_assert_false (gui_visible (fixture, "login_error_label"));
  gui_type (fixture, "login_date_row", "30/11/2029");
  gui_activate (fixture, "login_continue_button");
  gui_wait_for_page (fixture, "not-registered");
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (
                     gui_find (GTK_WIDGET (fixture->window), "not_registered_status"))),
                   ==, "You are not registered in Cl@ve");
  gui_screenshot (GTK_WIDGET (fixture->window), "not-registered");

  gui_activate (fixture, "not_registered_back_button");
  gui_wait_for_page (fixture, "login");
  g_assert_cmpstr (gui_text (fixture, "login_document_row"), ==, "87654321X");
}

static void
test_not_registered (void)
{
  gui_run (TRUE, run_not_registered);
}

static void
run_wrong_sms_code (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  char wrong[7];

  go_to_login (fixture);
  gui_type (fixture, "login_document_row", "12345678Z");
  gui_type (fixture, "login_date_row", "04/05/2031");
  gui_activate (fixture, "login_continue_button");
  gui_wait_for_page (fixture, "activate-method");
  g_assert_true (gui_visible (fixture, "method_sms_row"));
  gui_screenshot (GTK_WIDGET (fixture->window), "activate-method");

  gui_activate (fixture, "method_sms_row");
  gui_wait_for_page (fixture, "sms-code");
  g_assert_true (g_str_has_prefix (gui_text (fixture, "sms_expiry_label"), "The code expires in 4:") ||
                 g_str_has_prefix (gui_text (fixture, "sms_expiry_label"), "The code expires in 5:"));
  g_assert_true (g_str_has_prefix (gui_text (fixture, "sms_resend_label"),
                                   "You can ask for a new code in 0:"));
  g_assert_false (gui_sensitive (fixture, "sms_resend_button"));
  g_assert_false (gui_sensitive (fixture, "sms_verify_button"));

  /* Only digits go in, at most six. */
  gui_type (fixture, "sms_code_entry", "12a 34");
  g_assert_cmpstr (gui_text (fixture, "sms_code_entry"), ==, "1234");
  g_assert_false (gui_sensitive (fixture, "sms_verify_button"));

  code = clave_test_server_last_sms_code (fixture->server, "+34600111789", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (code), ==, 6);
  memcpy (wrong, code, sizeof wrong);
  wrong[0] = code[0] == '9' ? '0' : code[0] + 1;

  /* The sixth digit submits the code by itself; Enter while the answer is
   * on its way sends nothing more (the service counts one wrong try). */
  gui_type (fixture, "sms_code_entry", wrong);
  g_assert_false (gui_sensitive (fixture, "sms_verify_button"));
  g_assert_false (gui_sensitive (fixture, "sms_code_entry"));
  g_signal_emit_by_name (gui_find (GTK_WIDGET (fixture->window), "sms_code_entry"), "activate");
  gui_wait_until (gui_visible (fixture, "sms_error_label"));
  g_assert_cmpstr (gui_text (fixture, "sms_error_label"), ==,
                   "The code is not correct. 2 attempts left.");
  g_assert_cmpstr (gui_page (fixture), ==, "sms-code");
  g_assert_cmpstr (gui_text (fixture, "sms_code_entry"), ==, "");
  gui_screenshot (GTK_WIDGET (fixture->window), "sms-code-wrong");

  /* Typing a new code takes the old error away. */
  gui_type (fixture, "sms_code_entry", "1");
  g_assert_false (gui_visible (fixture, "sms_error_label"));
  g_assert_cmpstr (gui_page (fixture), ==, "sms-code");

  gui_submit_sms_code (fixture, wrong);
  gui_wait_until (g_strcmp0 (gui_text (fixture, "sms_error_label"),
                             "The code is not correct. 1 attempt left.") == 0);

  /* The third wrong code locks the activation: back to the start. */
  gui_submit_sms_code (fixture, wrong);
  gui_wait_for_page (fixture, "login");
  g_assert_true (gui_visible (fixture, "login_notice_label"));
  gui_screenshot (GTK_WIDGET (fixture->window), "login-after-lock");
}

static void
test_wrong_sms_code (void)
{
  gui_run (TRUE, run_wrong_sms_code);
}

static void
run_network_down (GuiFixture *fixture)
{
  g_autofree char *url = gui_closed_port_url ();
  GtkWidget *overlay;

  gui_fixture_set_service (fixture, url, NULL);
  go_to_login (fixture);

  gui_type (fixture, "login_document_row", "12345678Z");
  gui_type (fixture, "login_date_row", "04/05/2031");
  gui_activate (fixture, "login_continue_button");

  overlay = gui_find (GTK_WIDGET (fixture->window), "toast_overlay");
  gui_wait_until (gui_find_button (overlay, "_Retry") != NULL);
  g_assert_cmpstr (gui_page (fixture), ==, "login");
  g_assert_false (gui_visible (fixture, "login_error_label"));
  g_assert_true (gui_sensitive (fixture, "login_continue_button"));
  g_assert_true (gui_sensitive (fixture, "login_document_row"));
  g_assert_cmpstr (gui_text (fixture, "login_document_row"), ==, "12345678Z");
  gui_screenshot (GTK_WIDGET (fixture->window), "login-network-down");

  /* Retry tries again, and fails the same way while the service is down:
   * a new toast replaces the first. */
  {
    GtkWidget *first = gui_find_button (overlay, "_Retry");

    g_object_add_weak_pointer (G_OBJECT (first), (gpointer *) &first);
    gui_activate_widget (first);
    gui_wait_until (gui_find_button (overlay, "_Retry") != NULL
                    && gui_find_button (overlay, "_Retry") != first);
    if (first != NULL)
      g_object_remove_weak_pointer (G_OBJECT (first), (gpointer *) &first);
  }
  g_assert_cmpstr (gui_page (fixture), ==, "login");
}

static void
test_network_down (void)
{
  gui_run (FALSE, run_network_down);
}

static void
run_resend_code (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  GtkWidget *overlay = gui_find (GTK_WIDGET (fixture->window), "toast_overlay");

  go_to_login (fixture);
  gui_type (fixture, "login_document_row", "X1234567L");
  gui_type (fixture, "login_support_row", "E1234567");
  gui_activate (fixture, "login_continue_button");
  gui_wait_for_page (fixture, "activate-method");
  gui_activate (fixture, "method_sms_row");
  gui_wait_for_page (fixture, "sms-code");
  g_assert_cmpstr (gui_text (fixture, "sms_heading_label"), ==, "We sent a code to ******678");
  first = clave_test_server_last_sms_code (fixture->server, "+4915112345678", &error);
  g_assert_no_error (error);

  /* The server allows a new code after a second here. */
  gui_wait_until (gui_sensitive (fixture, "sms_resend_button"));
  g_assert_false (gui_visible (fixture, "sms_resend_label"));
  gui_activate (fixture, "sms_resend_button");
  gui_wait_until (gui_find_label (overlay, "We sent a new code to ******678") != NULL);
  second = clave_test_server_last_sms_code (fixture->server, "+4915112345678", &error);
  g_assert_no_error (error);

  /* The new code replaces the old one. */
  if (g_strcmp0 (first, second) != 0)
    {
      gui_submit_sms_code (fixture, first);
      gui_wait_until (gui_visible (fixture, "sms_error_label"));
      g_assert_cmpstr (gui_text (fixture, "sms_error_label"), ==,
                       "The code is not correct. 2 attempts left.");
    }
  gui_submit_sms_code (fixture, second);
  gui_wait_for_page (fixture, "set-pin");

  /* Back from the PIN leads to the start, not to a used code. */
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "login");
}

static void
test_resend_code (void)
{
  const char *const args[] = { "--sms-resend-interval", "1", NULL };
  GuiOptions options = { .server_args = args };

  gui_run_with (&options, run_resend_code);
}

static void
run_bad_ca_file (GuiFixture *fixture)
{
  GtkWidget *overlay = gui_find (GTK_WIDGET (fixture->window), "toast_overlay");

  gui_fixture_set_service (fixture, clave_test_server_get_base_url (fixture->server),
                           "/nonexistent/ca.pem");
  go_to_login (fixture);
  gui_type (fixture, "login_document_row", "12345678Z");
  gui_type (fixture, "login_date_row", "04/05/2031");
  gui_activate (fixture, "login_continue_button");

  /* Nothing to connect with: said at once, with a way to try again. */
  gui_wait_until (gui_find_button (overlay, "_Retry") != NULL);
  g_assert_nonnull (gui_find_label (overlay, "The certificate authority file “/nonexistent/ca.pem” cannot be read. Choose another file or leave it empty."));
  g_assert_cmpstr (gui_page (fixture), ==, "login");
  g_assert_true (gui_sensitive (fixture, "login_continue_button"));

  /* With the right file, Retry goes on where the person was. */
  gui_fixture_set_service (fixture, clave_test_server_get_base_url (fixture->server),
                           clave_test_server_get_ca_file (fixture->server));
  gui_activate_widget (gui_find_button (overlay, "_Retry"));
  gui_wait_for_page (fixture, "activate-method");
}

static void
test_bad_ca_file (void)
{
  gui_run (TRUE, run_bad_ca_file);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/gui/login/validation", test_validation);
  g_test_add_func ("/gui/login/not-registered", test_not_registered);
  g_test_add_func ("/gui/login/wrong-sms-code", test_wrong_sms_code);
  g_test_add_func ("/gui/login/network-down", test_network_down);
  g_test_add_func ("/gui/login/bad-ca-file", test_bad_ca_file);
  g_test_add_func ("/gui/login/resend-code", test_resend_code);

  ret = g_test_run ();
  gui_test_shutdown ();

  return ret;
}
