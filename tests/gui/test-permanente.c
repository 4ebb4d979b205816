/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cl@ve Permanente from the app (issue 12), against a real clave-server:
 * the state in My data, an activation code with the contrast data and
 * the device PIN, its PDF receipt (read back with pdftotext), the
 * activation on the reference service's website with that code, and the
 * state afterwards. */
#define G_LOG_DOMAIN "test-permanente"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "clave-gui-test.h"
#include "clave-permanente-page.h"
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

  gui_type (fixture, "permanente_contrast_form/contrast_date_row", "04/05/2031");
  gui_activate (fixture, "permanente_continue_button");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "permanente_code_label"));
  code = g_strdup (gui_text (fixture, "permanente_code_label"));
  g_assert_true (g_regex_match (form, code, 0, NULL));
  g_assert_true (g_str_has_prefix (gui_text (fixture, "permanente_expiry_label"), "Valid until "));
  g_assert_true (gui_sensitive (fixture, "permanente_website_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "permanente-code");

  /* The receipt, as Save Receipt writes the file chosen. */
  g_assert_true (clave_permanente_page_save_receipt (
                   CLAVE_PERMANENTE_PAGE (gui_find (GTK_WIDGET (fixture->window), "permanente_page")),
                   file, &error));
  g_assert_no_error (error);
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

  /* Recover it with a code sent to the phone. */
  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  gui_activate (fixture, "permanente_recover_row");
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

int
main (int   argc,
      char *argv[])
{
  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/permanente/code-and-activation", test_permanente);

  return g_test_run ();
}
