/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 9: every page and dialog fits a phone, 360 px wide (GNOME's
 * mobile width), in English and in the longer Spanish, with a website of
 * long address and name. A label that neither wraps nor ellipsizes, or
 * widgets side by side, make a window's minimum width larger: that is
 * what is measured. */
#define G_LOG_DOMAIN "test-width"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clave-gui-test.h"
#include "gui-website.h"
#include "gui-cards.h"
#include "clave-my-requests-page.h"
#include "clave-pin-dialog.h"
#include "clave-preferences-window.h"
#include "clave-unlock-dialog.h"
#include "pages/clave-certificate-page.h"
#include "pages/clave-permanente-page.h"

#define WIDTH 360
#define PIN "480361"
#define ORGANISATION "Agencia Estatal de Administración Tributaria, Departamento de Gestión"
#define ORIGIN "https://sede-electronica.gestion-tributaria.agenciatributaria.gob.es"

static gboolean   spanish;
static GPtrArray *too_wide;  /* what did not fit, with why */

/* Labels on screen that show less than their text: shortened with an
 * ellipsis, or broken inside a word (a row's title squeezed to a letter
 * a line by its value). Not the title in the header bar, which is
 * shortened as in every app (the dialogs say it again in their heading), nor the website's address, which must break within
 * its words on a phone (and no hyphen is added). */
static void
find_cut_labels (GtkWidget *widget,
                 GString   *out)
{
  if (!gtk_widget_get_mapped (widget) || ADW_IS_WINDOW_TITLE (widget)
      || (gtk_widget_has_css_class (widget, "title")
          && gtk_widget_get_ancestor (widget, ADW_TYPE_HEADER_BAR) != NULL))
    return;

  if (GTK_IS_LABEL (widget) && *gtk_label_get_text (GTK_LABEL (widget)) != '\0')
    {
      PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (widget));
      const char *text = pango_layout_get_text (layout);
      const char *id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget));
      const PangoLogAttr *attrs;
      int n_attrs;

      if (pango_layout_is_ellipsized (layout))
        g_string_append_printf (out, "\n  “%s” is shortened", text);
      else if (g_strcmp0 (id, "request_origin_label") != 0)
        {
          attrs = pango_layout_get_log_attrs_readonly (layout, &n_attrs);
          for (GSList *l = pango_layout_get_lines_readonly (layout); l != NULL; l = l->next)
            {
              PangoLayoutLine *line = l->data;
              glong offset = g_utf8_pointer_to_offset (text, text + line->start_index);

              if (offset > 0 && offset < n_attrs && !attrs[offset].is_line_break)
                {
                  g_string_append_printf (out, "\n  “%s” is broken inside a word", text);
                  break;
                }
            }
        }
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (!GTK_IS_NATIVE (child))  /* popovers: on their own */
      find_cut_labels (child, out);
}

/* Measures @window (the main window or a dialog) on what it shows now;
 * what does not fit is listed (all of it, not only the first) and fails
 * the test at the end. */
static void
check (GtkWidget  *window,
       const char *name)
{
  g_autofree char *shot = g_strdup_printf ("%s-%s", spanish ? "es" : "en", name);
  int minimum;
  int opens;

  /* A dialog that can be resized is looked at as narrow as a phone
   * would make it (the main window opens so). */
  if (gtk_window_get_resizable (GTK_WINDOW (window)) && !CLAVE_IS_WINDOW (window))
    gtk_window_set_default_size (GTK_WINDOW (window), WIDTH, gtk_widget_get_height (window));
  minimum = gui_min_width (window);
  opens = gtk_widget_get_width (window);

  g_test_message ("%s: %d px at least, %d px now", shot, minimum, opens);
  gui_screenshot (window, shot);
  if (minimum > WIDTH)
    {
      g_autofree char *widest = gui_describe_widest (window);

      g_ptr_array_add (too_wide, g_strdup_printf ("%s needs %d px:\n  %s", shot, minimum, widest));
    }
  /* A window that cannot be resized (a dialog) is as wide as it opens. */
  else if (!gtk_window_get_resizable (GTK_WINDOW (window)) && opens > WIDTH)
    g_ptr_array_add (too_wide, g_strdup_printf ("%s opens %d px wide and cannot be resized",
                                                shot, opens));

  /* Nothing cut to fit, at the width it has. */
  {
    g_autoptr(GString) cut = g_string_new (NULL);

    find_cut_labels (window, cut);
    if (cut->len > 0)
      g_ptr_array_add (too_wide, g_strdup_printf ("%s cuts text:%s", shot, cut->str));
  }
}

static void
check_page (GuiFixture *fixture,
            const char *name)
{
  check (GTK_WIDGET (fixture->window), name);
}

static void
report (void)
{
  if (too_wide->len > 0)
    {
      /* One TAP comment a line, then the failure. */
      for (guint i = 0; i < too_wide->len; i++)
        {
          g_auto(GStrv) lines = g_strsplit (g_ptr_array_index (too_wide, i), "\n", -1);

          for (guint j = 0; lines[j] != NULL; j++)
            g_test_message ("%s", lines[j]);
        }
      g_test_fail_printf ("%u times not fitting %d px (listed above)", too_wide->len, WIDTH);
    }
  g_clear_pointer (&too_wide, g_ptr_array_unref);
}

static void
go_home (GuiFixture *fixture)
{
  while (g_strcmp0 (gui_page (fixture), "home") != 0)
    {
      g_autofree char *before = g_strdup (gui_page (fixture));

      gui_activate (fixture, "back_button");
      gui_wait_until (g_strcmp0 (gui_page (fixture), before) != 0);
    }
  gui_wait_for_page (fixture, "home");
}

static const char *
stack_child (GuiFixture *fixture,
             const char *id)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (gui_find (GTK_WIDGET (fixture->window), id)));
}

static GtkWidget *
wait_for_toplevel (GType type)
{
  gui_wait_until (gui_find_toplevel (type) != NULL);
  return gui_find_toplevel (type);
}

static void
close_toplevel (GType type)
{
  gtk_window_close (GTK_WINDOW (gui_find_toplevel (type)));
  gui_wait_until (gui_find_toplevel (type) == NULL);
}

static void
type_pin (const char *name)
{
  GtkWidget *dialog = wait_for_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);

  gui_wait_until (gtk_widget_is_sensitive (gui_find (dialog, "unlock_pin_entry")));
  check (dialog, name);
  gtk_editable_set_text (GTK_EDITABLE (gui_find (dialog, "unlock_pin_entry")), PIN);
  gui_activate_widget (gui_find (dialog, "unlock_button"));
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) == NULL);
}

static gboolean
request_shown (GuiFixture *fixture,
               const char *code)
{
  return g_strcmp0 (gui_page (fixture), "request") == 0
         && g_strcmp0 (stack_child (fixture, "request_stack"), "request") == 0
         && g_strcmp0 (gui_text (fixture, "request_code_label"), code) == 0
         && gtk_widget_get_mapped (gui_find (GTK_WIDGET (fixture->window), "request_code_label"));
}

/* Not registered: the certificate page, the PIN dialog for a file's
 * password, the contact page. */
static void
visit_registration (GuiFixture *fixture)
{
  g_autofree char *path = NULL;
  GtkWidget *dialog;

  gui_log_in (fixture, "87654321X", "30/11/2029");
  gui_wait_for_page (fixture, "not-registered");
  check_page (fixture, "not-registered");

  /* Video identification: the data, the code, the pictures. */
  gui_activate (fixture, "not_registered_video_row");
  gui_wait_for_page (fixture, "video-register");
  gui_type (fixture, "video_document_row", "87654321X");
  gui_wait_until (gui_visible (fixture, "video_contrast_form"));
  gui_type (fixture, "video_contrast_form/contrast_date_row", "30/11/2029");
  gui_type (fixture, "video_phone_row", "+34 600 777 999");
  gui_type (fixture, "video_email_row", "marta.vidal.soler@correo-electronico.example.org");
  check_page (fixture, "video-data");
  gui_activate (fixture, "video_continue_button");
  gui_wait_until (g_strcmp0 (stack_child (fixture, "video_stack"), "code") == 0);
  check_page (fixture, "video-code");
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *code = clave_test_server_last_sms_code (fixture->server, "+34600777999",
                                                             &error);

    g_assert_no_error (error);
    gui_type (fixture, "video_code_row", code);
  }
  gui_wait_until (gui_sensitive (fixture, "video_confirm_button"));
  gui_activate (fixture, "video_confirm_button");
  gui_wait_until (g_strcmp0 (stack_child (fixture, "video_stack"), "pictures") == 0);
  check_page (fixture, "video-pictures");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "not-registered");

  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  check_page (fixture, "certificate-empty");

  path = clave_test_pki_path ("marta-fnmt.p12");
  if (path != NULL && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GFile) file = g_file_new_for_path (path);

      /* What the file chooser's Import does with the file chosen. */
      clave_certificate_page_import_file (CLAVE_CERTIFICATE_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                            "certificate_page")),
                                          file);
      dialog = wait_for_toplevel (CLAVE_TYPE_PIN_DIALOG);
      gui_wait_until (gtk_widget_is_sensitive (gui_find (dialog, "pin_dialog_entry")));
      check (dialog, "pin-dialog");

      /* With an error said in it. */
      gtk_editable_set_text (GTK_EDITABLE (gui_find (dialog, "pin_dialog_entry")), "not-it");
      gui_activate_widget (gui_find (dialog, "pin_dialog_button"));
      gui_wait_until (gtk_widget_get_visible (gui_find (dialog, "pin_dialog_error_label")));
      gui_wait_until (gtk_widget_is_sensitive (gui_find (dialog, "pin_dialog_entry")));
      check (dialog, "pin-dialog-error");

      gtk_editable_set_text (GTK_EDITABLE (gui_find (dialog, "pin_dialog_entry")), "clave-test");
      gui_activate_widget (gui_find (dialog, "pin_dialog_button"));
      gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == NULL);
      gui_wait_until (g_strcmp0 (stack_child (fixture, "certificate_stack"), "list") == 0);
      check_page (fixture, "certificate-list");

      /* Chosen: the contact page. */
      gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
      gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
      gui_wait_for_page (fixture, "contact");
      gui_type (fixture, "contact_phone_row", "+34 600 999 888 777 666");
      check_page (fixture, "contact");
    }
  else
    g_test_message ("No test PKI: the PIN dialog is not measured here");

  go_home (fixture);
}

/* Cl@ve Firma: none, then (advanced, with Cl@ve Permanente, issued by
 * clave-admin) the certificate, the conditions, the PIN and the revoked
 * certificate. */
static void
visit_firma (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *done = NULL;
  g_autofree char *code = NULL;

  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_firma_row");
  gui_wait_for_page (fixture, "firma");
  gui_wait_until (g_strcmp0 (stack_child (fixture, "firma_stack"), "none") == 0);
  check_page (fixture, "firma (none)");
  go_home (fixture);

  out = clave_test_server_admin (fixture->server, &error, "register", "--document", "12345678Z",
                                 "--given-name", "Lucía", "--surnames", "García Pérez",
                                 "--validity-date", "2031-05-04", "--phone", "+34600111789",
                                 "--email", "lucia@example.org", "--level", "advanced", NULL);
  g_assert_no_error (error);
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  gui_type (fixture, "permanente_contrast_form/contrast_date_row", "04/05/2031");
  gui_activate (fixture, "permanente_continue_button");
  type_pin ("unlock-dialog-permanente");
  gui_wait_until (*gui_text (fixture, "permanente_code_label") != '\0');
  code = g_strdup (gui_text (fixture, "permanente_code_label"));
  done = clave_test_server_activate_permanente (fixture->server, "12345678Z",
                                                "lucia@example.org", code, "Tq7!vbnm#x");
  g_clear_pointer (&out, g_free);
  out = clave_test_server_admin (fixture->server, &error, "issue-firma", "12345678Z", NULL);
  g_assert_no_error (error);
  go_home (fixture);

  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_firma_row");
  gui_wait_for_page (fixture, "firma");
  gui_wait_until (g_strcmp0 (stack_child (fixture, "firma_stack"), "certificate") == 0);
  check_page (fixture, "firma (certificate)");
  gui_activate (fixture, "firma_revoke_button");
  gui_activate (fixture, "firma_accept_check");
  check_page (fixture, "firma (conditions)");
  gui_activate (fixture, "firma_confirm_button");
  type_pin ("unlock-dialog-firma");
  gui_wait_until (gui_visible (fixture, "firma_receipt_button"));
  check_page (fixture, "firma (revoked)");
  go_home (fixture);
}

/* Activating with an SMS code, every page on the way. */
static void
visit_activation (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  gui_activate (fixture, "home_login_button");
  gui_wait_for_page (fixture, "login");
  check_page (fixture, "login");
  gui_type (fixture, "login_document_row", "12345678Z");
  gui_type (fixture, "login_date_row", "04/05/2031");
  gui_activate (fixture, "login_continue_button");
  gui_wait_for_page (fixture, "activate-method");
  check_page (fixture, "activate-method");

  gui_activate (fixture, "method_sms_row");
  gui_wait_for_page (fixture, "sms-code");
  check_page (fixture, "sms-code");
  code = clave_test_server_last_sms_code (fixture->server, "+34600111789", &error);
  g_assert_no_error (error);
  gui_submit_sms_code (fixture, code);
  gui_wait_for_page (fixture, "set-pin");
  gui_type (fixture, "pin_row", PIN);
  gui_type (fixture, "pin_repeat_row", PIN);
  check_page (fixture, "set-pin");
  gui_activate (fixture, "pin_activate_button");
  gui_wait_for_page (fixture, "done");
  check_page (fixture, "done");
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  gui_wait_until (clave_application_get_push_state (fixture->app) == CLAVE_PUSH_STATE_ONLINE);
  check_page (fixture, "home-activated");

  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (stack_child (fixture, "my_data_stack"), "data") == 0);
  check_page (fixture, "my-data");
  gui_activate (fixture, "my_data_give_up_row");
  gui_wait_for_page (fixture, "give-up");
  check_page (fixture, "give-up");
  go_home (fixture);

  /* At level basic, My data offers to raise it. */
  {
    g_autoptr(GError) admin_error = NULL;
    g_autofree char *out = clave_test_server_admin (fixture->server, &admin_error, "register",
                                                    "--document", "12345678Z",
                                                    "--given-name", "Lucía",
                                                    "--surnames", "García Pérez",
                                                    "--validity-date", "2031-05-04",
                                                    "--phone", "+34600111789",
                                                    "--email", "lucia@example.org",
                                                    "--level", "basic", NULL);

    g_assert_no_error (admin_error);
  }
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (gui_visible (fixture, "my_data_raise_button"));
  check_page (fixture, "my-data (basic)");
  gui_activate (fixture, "my_data_raise_button");
  gui_wait_for_page (fixture, "raise-level");
  check_page (fixture, "raise-level");
  go_home (fixture);
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_change_phone_button");
  gui_wait_for_page (fixture, "change-phone");
  check_page (fixture, "change-phone");
  go_home (fixture);
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_change_email_button");
  gui_wait_for_page (fixture, "change-email");
  check_page (fixture, "change-email");
  go_home (fixture);
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  check_page (fixture, "permanente");
  /* The password's steps, as the page shows them to an active Cl@ve
   * Permanente (test-permanente drives them against the service). */
  clave_permanente_page_set_person (
    CLAVE_PERMANENTE_PAGE (gui_find (GTK_WIDGET (fixture->window), "permanente_page")),
    "active", "Lucía", "García Pérez");
  check_page (fixture, "permanente (active)");
  gui_activate (fixture, "permanente_change_row");
  gui_wait_until (gui_visible (fixture, "permanente_old_row"));
  check_page (fixture, "permanente (change password)");
  clave_permanente_page_reset (
    CLAVE_PERMANENTE_PAGE (gui_find (GTK_WIDGET (fixture->window), "permanente_page")));
  gui_activate (fixture, "permanente_recover_row");
  gui_wait_until (gui_visible (fixture, "permanente_send_button"));
  check_page (fixture, "permanente (recover password)");
  clave_permanente_page_reset (
    CLAVE_PERMANENTE_PAGE (gui_find (GTK_WIDGET (fixture->window), "permanente_page")));
  gui_activate (fixture, "permanente_delete_row");
  gui_wait_until (gui_visible (fixture, "permanente_delete_button"));
  check_page (fixture, "permanente (delete user)");
  go_home (fixture);
  visit_firma (fixture);
}

/* A QR request and a push request from the website, answered. */
static void
visit_requests (GuiFixture *fixture,
                GuiWebsite *rp)
{
  g_autoptr(JsonObject) qr = gui_website_call (rp, "POST", "/v1/rp/requests",
                                               "{\"type\":\"qr\"}", 201);
  g_autoptr(JsonObject) push = NULL;
  g_autoptr(GFile) link = g_file_new_for_uri (json_object_get_string_member (qr, "uri"));

  g_application_open (G_APPLICATION (fixture->app), &link, 1, "");
  gui_wait_until (request_shown (fixture, json_object_get_string_member (qr, "verification_code")));
  g_assert_cmpstr (gui_text (fixture, "request_origin_label"), ==, ORIGIN);
  check_page (fixture, "request-qr");

  gui_activate (fixture, "request_confirm_button");
  type_pin ("unlock-dialog-confirm");
  gui_wait_until (g_strcmp0 (stack_child (fixture, "request_stack"), "confirmed") == 0);
  check_page (fixture, "request-confirmed");
  gui_activate (fixture, "request_confirmed_button");
  gui_wait_for_page (fixture, "home");

  push = gui_website_call (rp, "POST", "/v1/rp/requests",
                           "{\"type\":\"push\",\"document\":\"12345678Z\","
                           "\"contrast\":{\"kind\":\"validity_date\",\"value\":\"2031-05-04\"}}", 201);
  gui_wait_until (request_shown (fixture, json_object_get_string_member (push, "verification_code")));
  check_page (fixture, "request-push");
  gui_activate (fixture, "request_reject_button");
  gui_wait_until (g_strcmp0 (stack_child (fixture, "request_stack"), "rejected") == 0);
  check_page (fixture, "request-rejected");
  gui_activate (fixture, "request_rejected_button");
  gui_wait_for_page (fixture, "home");
}

/* My requests: locked, then the rows, then the filters shown. */
static void
visit_history (GuiFixture *fixture)
{
  ClaveMyRequestsPage *history;
  GtkWidget *dialog;

  gui_activate (fixture, "home_history_row");
  gui_wait_for_page (fixture, "history");
  dialog = wait_for_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);
  gui_wait_until (gtk_widget_is_sensitive (gui_find (dialog, "unlock_pin_entry")));
  check (dialog, "unlock-dialog");
  gui_activate_widget (gui_find (dialog, "unlock_cancel_button"));
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) == NULL);
  gui_wait_until (g_strcmp0 (stack_child (fixture, "history_stack"), "locked") == 0);
  check_page (fixture, "history-locked");

  gui_activate (fixture, "history_unlock_button");
  type_pin ("unlock-dialog-history");
  history = CLAVE_MY_REQUESTS_PAGE (gui_find (GTK_WIDGET (fixture->window), "history_page"));
  gui_wait_until (clave_my_requests_page_get_model (history) != NULL
                  && g_list_model_get_n_items (clave_my_requests_page_get_model (history)) == 2);
  gui_wait_until (gui_visible (fixture, "history_list"));
  check_page (fixture, "history");

  /* The search field has the width of the page, less the buttons. */
  g_assert_cmpint (gtk_widget_get_width (gui_find (GTK_WIDGET (fixture->window),
                                                   "history_organisation_entry")),
                   >=, gtk_widget_get_width (GTK_WIDGET (fixture->window)) / 2);
  /* The filters are folded behind their button. */
  g_assert_false (gtk_widget_get_mapped (gui_find (GTK_WIDGET (fixture->window),
                                                   "history_status_dropdown")));

  gui_activate (fixture, "history_filters_button");
  gui_wait_until (gtk_revealer_get_child_revealed (GTK_REVEALER (gui_find (GTK_WIDGET (fixture->window),
                                                                           "history_filters_revealer"))));
  g_assert_true (gtk_widget_get_mapped (gui_find (GTK_WIDGET (fixture->window),
                                                  "history_type_dropdown")));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (gui_find (GTK_WIDGET (fixture->window),
                                                       "history_status_dropdown")), 3);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (gui_find (GTK_WIDGET (fixture->window),
                                                       "history_type_dropdown")), 2);
  check_page (fixture, "history-filters");
  go_home (fixture);
}

static void
visit_windows (GuiFixture *fixture)
{
  GtkWidget *about;
  int minimum;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.diagnostics", NULL));
  gui_wait_for_page (fixture, "diagnostics");
  gui_wait_until (g_strcmp0 (stack_child (fixture, "diagnostics_stack"), "report") == 0);
  check_page (fixture, "diagnostics");
  go_home (fixture);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  check (wait_for_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW), "preferences");
  close_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.sign-out", NULL));
  check (wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG), "deactivate-dialog");
  close_toplevel (ADW_TYPE_MESSAGE_DIALOG);

  /* libadwaita's own: measured, not asserted. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "about", NULL);
  about = wait_for_toplevel (ADW_TYPE_ABOUT_WINDOW);
  minimum = gui_min_width (about);
  g_test_message ("%s-about (libadwaita's AdwAboutWindow): %d px", spanish ? "es" : "en", minimum);
  gui_screenshot (about, spanish ? "es-about" : "en-about");
  close_toplevel (ADW_TYPE_ABOUT_WINDOW);
}

static void
run_every_page (GuiFixture *fixture)
{
  GuiWebsite rp = { NULL, };

  too_wide = g_ptr_array_new_with_free_func (g_free);

  check_page (fixture, "home-welcome");
  visit_registration (fixture);
  visit_activation (fixture);
  gui_website_init (&rp, fixture, ORGANISATION, ORIGIN);
  visit_requests (fixture, &rp);
  visit_history (fixture);
  visit_windows (fixture);

  gui_website_clear (&rp);
  report ();
}

static void
prepare (GuiFixture *fixture)
{
  if (spanish)
    g_setenv ("LANGUAGE", "es", TRUE);
  /* The window opens at its saved size: a phone's. */
  g_settings_set_int (fixture->settings, "window-width", WIDTH);
  g_settings_set_int (fixture->settings, "window-height", 720);
  /* My requests asks for the PIN each time (its dialog is measured). */
  {
    g_autoptr(GSettingsSchema) schema = NULL;

    g_object_get (fixture->settings, "settings-schema", &schema, NULL);
    if (g_settings_schema_has_key (schema, "history-unlocked-minutes"))
      g_settings_set_uint (fixture->settings, "history-unlocked-minutes", 0);
  }
}

static void
test_english (void)
{
  GuiOptions options = { .prepare = prepare };

  spanish = FALSE;
  gui_run_with (&options, run_every_page);
}

static void
test_spanish (void)
{
  GuiOptions options = { .prepare = prepare };

  spanish = TRUE;
  gui_run_with (&options, run_every_page);
  g_unsetenv ("LANGUAGE");
}

/* What the measure catches: a long label that neither wraps nor
 * ellipsizes makes the window wider than a phone; wrapped, it fits. */
static void
test_measure (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *label = gtk_label_new ("https://sede-electronica.gestion-tributaria.agenciatributaria.gob.es "
                                    "asks you to log in with Cl@ve Mobile");

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), label);
  gtk_window_set_child (GTK_WINDOW (window), scrolled);
  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (window);

  g_assert_cmpint (gui_min_width (window), >, WIDTH);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  g_assert_cmpint (gui_min_width (window), <=, WIDTH);
  gtk_label_set_wrap (GTK_LABEL (label), FALSE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  g_assert_cmpint (gui_min_width (window), <=, WIDTH);

  /* At a phone's width, what fits only so is cut, and said to be. */
  gtk_window_set_default_size (GTK_WINDOW (window), WIDTH, 200);
  gui_settle (200);
  {
    g_autoptr(GString) cut = g_string_new (NULL);

    find_cut_labels (window, cut);
    g_assert_nonnull (strstr (cut->str, "is shortened"));
    g_string_truncate (cut, 0);
    /* Narrower than a word of it. */
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_NONE);
    gtk_label_set_wrap (GTK_LABEL (label), TRUE);
    gtk_window_set_default_size (GTK_WINDOW (window), 120, 200);
    gui_settle (200);
    find_cut_labels (window, cut);
    g_assert_nonnull (strstr (cut->str, "is broken inside a word"));
    g_string_truncate (cut, 0);
    gtk_label_set_label (GTK_LABEL (label), "Asks you to log in with Cl@ve Mobile, on your phone or on "
                                            "this computer");
    gtk_window_set_default_size (GTK_WINDOW (window), WIDTH, 200);
    gui_settle (200);
    find_cut_labels (window, cut);
    g_assert_cmpstr (cut->str, ==, "");
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  if (!gui_test_init (&argc, &argv))
    return 0;

  gui_notifications_start ();

  g_test_add_func ("/gui/width/measure", test_measure);
  g_test_add_func ("/gui/width/english", test_english);
  g_test_add_func ("/gui/width/spanish", test_spanish);

  ret = g_test_run ();
  gui_test_shutdown ();

  return ret;
}
