/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The account services of the personal area (issue 11), driven as a
 * person would against a real clave-server: giving up Cl@ve, from My data,
 * with the device PIN (a failure leaves everything as it was); raising the
 * level from basic to advanced with a certificate file (another person's
 * is refused); changing the phone with a certificate file and the code
 * sent to the new number; changing the e-mail with the document's
 * contrast data, the device PIN and the code e-mailed to the new address;
 * the "?" of every option. */
#define G_LOG_DOMAIN "test-account"

#include "config.h"

#include <string.h>

#include "clave-certificate-page.h"
#include "clave-gui-test.h"
#include "clave-help-button.h"
#include "clave-test-server.h"
#include "gui-cards.h"

#define PIN "802461"

static void
open_my_data (GuiFixture *fixture)
{
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  /* My data asks the service, with the PIN when the key is locked. */
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (
                    GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "my_data_stack"))),
                  "data") == 0);
}

static void
open_give_up (GuiFixture *fixture)
{
  open_my_data (fixture);
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

static void
import_file (GuiFixture *fixture,
             const char *name)
{
  g_autofree char *path = clave_test_pki_path (name);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  guint before = gui_n_certificate_rows (fixture);

  /* What the file chooser's Import does with the file chosen. */
  clave_certificate_page_import_file (CLAVE_CERTIFICATE_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                        "certificate_page")),
                                      file);
  gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
  gui_wait_until (gui_n_certificate_rows (fixture) == before + 1);
}

/* Chooses the certificate whose row names @holder and types its
 * password. */
static void
use_certificate (GuiFixture *fixture,
                 const char *holder)
{
  gboolean found = FALSE;

  for (guint i = 0; i < gui_n_certificate_rows (fixture) && !found; i++)
    {
      AdwActionRow *row = gui_certificate_row (fixture, i);

      if (strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), holder) != NULL)
        {
          gui_activate_widget (GTK_WIDGET (row));
          found = TRUE;
        }
    }
  g_assert_true (found);
  gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
}

static void
run_raise_level (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *shown = NULL;
  GtkWidget *dialog;

  /* Lucía, as a registry office registers her at level basic. */
  out = clave_test_server_admin (fixture->server, &error, "register",
                                 "--document", "12345678Z", "--given-name", "Lucía",
                                 "--surnames", "García Pérez", "--validity-date", "2031-05-04",
                                 "--phone", "+34600111789", "--email", "lucia@example.org",
                                 "--level", "basic", NULL);
  g_assert_no_error (error);
  g_free (gui_activate_demo_device (fixture, PIN));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");

  open_my_data (fixture);
  g_assert_cmpstr (gui_text (fixture, "my_data_level_value"), ==, "Basic");
  g_assert_true (gui_visible (fixture, "my_data_raise_button"));
  gui_activate (fixture, "my_data_raise_button");
  gui_wait_for_page (fixture, "raise-level");
  gui_screenshot (GTK_WIDGET (fixture->window), "raise-level");

  /* Antonio's certificate is not Lucía's. */
  gui_activate (fixture, "raise_level_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  g_assert_cmpstr (gui_text (fixture, "certificate_heading_label"), ==,
                   "Raise your level with your certificate or DNIe");
  import_file (fixture, "antonio-fnmt.p12");
  import_file (fixture, "lucia-fnmt.p12");
  use_certificate (fixture, "ANTONIO");
  gui_wait_for_page (fixture, "raise-level");
  dialog = gui_wait_for_unlock_dialog ();
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Raise Level");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "raise_level_error_label"));
  g_assert_cmpstr (gui_text (fixture, "raise_level_error_label"), ==,
                   "This certificate belongs to another person. Use your own certificate or "
                   "DNIe.");

  /* Her own: the level is advanced, and My data says so. */
  gui_activate (fixture, "raise_level_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  use_certificate (fixture, "LUC");
  gui_wait_for_page (fixture, "raise-level");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (gui_text (fixture, "my_data_level_value"), "Advanced") == 0);
  g_assert_false (gui_visible (fixture, "my_data_raise_button"));

  shown = clave_test_server_admin (fixture->server, &error, "show", "12345678Z", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (shown, "Registered:      yes, advanced"));
}

static void
test_raise_level (void)
{
  if (g_getenv ("CLAVE_TEST_PKI_DIR") == NULL)
    {
      g_test_skip ("CLAVE_TEST_PKI_DIR is not set");
      return;
    }
  gui_run (TRUE, run_raise_level);
}

/* Whether @widget is on the page a person sees: in every stack above it,
 * on the visible child (a page leaving in a transition is still mapped). */
static gboolean
on_visible_pages (GtkWidget *widget)
{
  for (GtkWidget *child = widget, *parent = gtk_widget_get_parent (widget); parent != NULL;
       child = parent, parent = gtk_widget_get_parent (parent))
    if (GTK_IS_STACK (parent) && gtk_stack_get_visible_child (GTK_STACK (parent)) != child)
      return FALSE;
  return gtk_widget_get_mapped (widget);
}

static void
run_change_phone (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *outbox = NULL;
  const char *wrong;
  GtkWidget *dialog;

  g_free (gui_activate_demo_device (fixture, PIN));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  open_my_data (fixture);
  g_assert_cmpstr (gui_text (fixture, "my_data_phone_value"), ==, "******789");
  gui_activate (fixture, "my_data_change_phone_button");
  gui_wait_for_page (fixture, "change-phone");
  gui_screenshot (GTK_WIDGET (fixture->window), "change-phone");

  /* What is not a phone number says how to write one. */
  gui_type (fixture, "phone_new_row", "600");
  g_assert_false (gui_sensitive (fixture, "phone_continue_button"));
  g_assert_nonnull (strstr (gui_text (fixture, "phone_new_hint"), "with its country code"));
  gui_type (fixture, "phone_new_row", "+49 151 9876 5432");
  g_assert_true (gui_sensitive (fixture, "phone_continue_button"));
  gui_activate (fixture, "phone_continue_button");
  gui_wait_for_page (fixture, "certificate");
  g_assert_cmpstr (gui_text (fixture, "certificate_heading_label"), ==,
                   "Change your phone with your certificate or DNIe");
  import_file (fixture, "lucia-fnmt.p12");
  use_certificate (fixture, "LUC");

  /* The PIN confirms the change; the code goes to the new number. */
  gui_wait_for_page (fixture, "change-phone");
  dialog = gui_wait_for_unlock_dialog ();
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Change Phone");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "phone_sent_label"));
  g_assert_cmpstr (gui_text (fixture, "phone_sent_label"), ==,
                   "We sent a code to ******432. Type it here to make it your phone in Cl@ve.");
  code = clave_test_server_last_sms_code (fixture->server, "+4915198765432", &error);
  g_assert_no_error (error);

  wrong = g_str_equal (code, "000000") ? "000001" : "000000";
  gui_type (fixture, "phone_code_row", wrong);
  gui_activate (fixture, "phone_confirm_button");
  gui_wait_until (gui_visible (fixture, "phone_error_label"));
  g_assert_cmpstr (gui_text (fixture, "phone_error_label"), ==,
                   "The code is not correct. You can try 2 more times.");

  gui_type (fixture, "phone_code_row", code);
  gui_activate (fixture, "phone_confirm_button");
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (gui_text (fixture, "my_data_phone_value"), "******432") == 0);

  /* The old number was told. */
  outbox = clave_test_server_admin (fixture->server, &error, "outbox", "--limit", "1", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (outbox, "+34600111789"));
  g_assert_nonnull (strstr (outbox, "se ha cambiado por el terminado en 432"));
}

static void
test_change_phone (void)
{
  if (g_getenv ("CLAVE_TEST_PKI_DIR") == NULL)
    {
      g_test_skip ("CLAVE_TEST_PKI_DIR is not set");
      return;
    }
  gui_run (TRUE, run_change_phone);
}

static void
run_change_email (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *outbox = NULL;
  const char *wrong;
  GtkWidget *dialog;

  g_free (gui_activate_demo_device (fixture, PIN));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  open_my_data (fixture);
  g_assert_cmpstr (gui_subtitle (fixture, "my_data_email_row"), ==, "lucia@example.org");
  gui_activate (fixture, "my_data_change_email_button");
  gui_wait_for_page (fixture, "change-email");

  /* Lucía has a DNI: its validity date is asked, checked as typed. */
  g_assert_true (gui_visible (fixture, "email_contrast_form/contrast_date_row"));
  g_assert_false (gui_visible (fixture, "email_contrast_form/contrast_support_row"));
  gui_type (fixture, "email_contrast_form/contrast_date_row", "31/02/2031");
  g_assert_false (gui_sensitive (fixture, "email_continue_button"));
  g_assert_cmpstr (gui_text (fixture, "email_contrast_form/contrast_hint_label"), ==,
                   "Type the date as day/month/year, such as 04/05/2031.");
  gui_screenshot (GTK_WIDGET (fixture->window), "change-email");

  /* A date that is not the DNI's: the service says no, after the PIN. */
  gui_type (fixture, "email_contrast_form/contrast_date_row", "05/05/2031");
  g_assert_true (gui_sensitive (fixture, "email_continue_button"));
  gui_activate (fixture, "email_continue_button");
  dialog = gui_wait_for_unlock_dialog ();
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Change E-mail");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "email_error_label"));
  g_assert_cmpstr (gui_text (fixture, "email_error_label"), ==,
                   "The data of your document are not correct. Check them and try again.");
  g_assert_true (gui_visible (fixture, "email_contrast_form/contrast_date_row"));

  gui_type (fixture, "email_contrast_form/contrast_date_row", "04/05/2031");
  gui_activate (fixture, "email_continue_button");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "email_new_row"));
  g_assert_false (gui_visible (fixture, "email_error_label"));

  /* The form: an address, twice. */
  gui_type (fixture, "email_new_row", "lucia.garcia");
  g_assert_cmpstr (gui_text (fixture, "email_address_hint"), ==,
                   "This is not an e-mail address. Write it as name@domain, for example "
                   "lucia.garcia@correo.es.");
  g_assert_false (gui_sensitive (fixture, "email_send_button"));
  gui_type (fixture, "email_new_row", "lucia@example.org");
  gui_type (fixture, "email_repeat_row", "lucia@example.com");
  g_assert_cmpstr (gui_text (fixture, "email_address_hint"), ==,
                   "The two addresses are not the same. Check them.");
  g_assert_false (gui_sensitive (fixture, "email_send_button"));
  gui_type (fixture, "email_repeat_row", "lucia@example.org");
  g_assert_true (gui_sensitive (fixture, "email_send_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "change-email-form");
  gui_activate (fixture, "email_send_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "email_error_label"));
  g_assert_cmpstr (gui_text (fixture, "email_error_label"), ==,
                   "This is already your e-mail address in Cl@ve.");
  g_assert_true (gui_visible (fixture, "email_new_row"));

  gui_type (fixture, "email_new_row", "lucia.garcia@correo.es");
  gui_type (fixture, "email_repeat_row", " lucia.garcia@correo.es");
  gui_activate (fixture, "email_send_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "email_sent_label"));
  g_assert_cmpstr (gui_text (fixture, "email_sent_label"), ==,
                   "We sent a code to lucia.garcia@correo.es. Type it here to make it your "
                   "e-mail in Cl@ve. It may take a few minutes; if it does not arrive, look in "
                   "your spam folder.");
  gui_screenshot (GTK_WIDGET (fixture->window), "change-email-code");
  code = clave_test_server_last_email_code (fixture->server, "lucia.garcia@correo.es", &error);
  g_assert_no_error (error);

  wrong = g_str_equal (code, "000000") ? "000001" : "000000";
  gui_type (fixture, "email_code_row", wrong);
  gui_activate (fixture, "email_confirm_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "email_error_label"));
  g_assert_cmpstr (gui_text (fixture, "email_error_label"), ==,
                   "The code is not correct. You can try 2 more times.");

  gui_type (fixture, "email_code_row", code);
  gui_activate (fixture, "email_confirm_button");
  if (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL)
    gui_unlock_with_pin (PIN);
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (gui_subtitle (fixture, "my_data_email_row"),
                             "lucia.garcia@correo.es") == 0);

  /* The old address was told, by e-mail. */
  outbox = clave_test_server_admin (fixture->server, &error, "outbox", "--limit", "1", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (outbox, "  email  lucia@example.org  "));
  g_assert_nonnull (strstr (outbox, "se ha cambiado por l•••@correo.es"));
}

static void
test_change_email (void)
{
  gui_run (TRUE, run_change_email);
}

static void
collect_help (GtkWidget *widget,
              GPtrArray *found)
{
  if (CLAVE_IS_HELP_BUTTON (widget) && on_visible_pages (widget))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_help (child, found);
}

/* Opens every "?" of the page shown, as a click does, and checks what it
 * says; returns how many there were. */
static guint
open_every_help (GuiFixture *fixture,
                 GString    *topics)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();
  GtkStack *pages = GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "page_stack"));

  /* The page has arrived. */
  gui_wait_until (!gtk_stack_get_transition_running (pages));
  collect_help (GTK_WIDGET (fixture->window), found);
  for (guint i = 0; i < found->len; i++)
    {
      ClaveHelpButton *help = g_ptr_array_index (found, i);
      GtkWidget *button = gtk_widget_get_first_child (GTK_WIDGET (help));
      GtkPopover *popover = clave_help_button_get_popover (help);
      const char *text = clave_help_button_get_text (help);
      g_autofree char *name = g_strdup_printf ("Help: %s", clave_help_button_get_topic (help));
      guint sentences = 0;

      /* Two or three sentences on what the option does and needs. */
      for (const char *p = text; *p != '\0'; p++)
        if (*p == '.' && (p[1] == ' ' || p[1] == '\0'))
          sentences++;
      g_assert_cmpuint (sentences, >=, 2);
      g_assert_cmpuint (sentences, <=, 3);
      g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, name);

      g_assert_true (GTK_IS_MENU_BUTTON (button));
      gui_activate_widget (button);
      gui_wait_until (gtk_widget_get_mapped (GTK_WIDGET (popover)));
      /* Shown as a person would read it, then closed with Escape's
       * action; each settles before the next. */
      gui_settle (100);
      gtk_popover_popdown (popover);
      gui_wait_until (!gtk_widget_get_mapped (GTK_WIDGET (popover)));
      gui_settle (100);
      g_string_append_printf (topics, "%s|", clave_help_button_get_topic (help));
    }
  return found->len;
}

static void
run_help (GuiFixture *fixture)
{
  g_autoptr(GString) topics = g_string_new (NULL);

  open_every_help (fixture, topics);
  g_string_append (topics, "\n");
  g_free (gui_activate_demo_device (fixture, PIN));
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  open_every_help (fixture, topics);
  g_string_append (topics, "\n");
  open_my_data (fixture);
  open_every_help (fixture, topics);
  g_assert_cmpstr (topics->str, ==,
                   "Log In|Register in Cl@ve|\n"
                   "Cl@ve Mobile|Scan QR Code|My requests for Cl@ve Mobile|My data in Cl@ve|"
                   "Deactivate this computer|\n"
                   "Phone|E-mail|Level of registration|Cl@ve Permanente|Cl@ve Firma|Give Up Cl@ve|");
}

static void
test_help (void)
{
  gui_run (TRUE, run_help);
}

int
main (int   argc,
      char *argv[])
{
  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/account/give-up", test_give_up);
  g_test_add_func ("/account/raise-level", test_raise_level);
  g_test_add_func ("/account/change-phone", test_change_phone);
  g_test_add_func ("/account/change-email", test_change_email);
  g_test_add_func ("/account/help", test_help);

  return g_test_run ();
}
