/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A card in a real reader, as a person uses it: the window over OpenSC
 * from p11-kit's registry (as installed), pcscd and a virtual reader with
 * a CAC card that carries a DNIe-style certificate (tests/common/
 * clave-test-pcsc.h). Activating with it, the service completing a chain
 * the card lacks or naming the authority it does not know, wrong PINs,
 * a card coming and going, the diagnostics, and quitting while another
 * program holds the card.
 *
 * One process, one PC/SC fixture at a time: libpcsclite reads the socket
 * name once, so nothing else in this program may talk to PC/SC first. */
#define G_LOG_DOMAIN "test-card-reader"

#include "config.h"

#include <signal.h>

#include <glib/gstdio.h>

#include "clave-test-pcsc.h"
#include "gui-cards.h"

#define WRONG_PIN  "654321"

/* The fixture of the running test, made by its prepare function (before
 * the application starts, which is when the token manager loads OpenSC). */
static ClaveTestPcsc *pcsc;
static const char *card_name;
static ClaveTestPcscCardFlags card_flags;

static gboolean
have_pcsc (void)
{
  g_autoptr(GError) error = NULL;

  /* The application finds OpenSC through p11-kit's registry. */
  if (clave_test_pcsc_get_opensc_module () == NULL)
    {
      g_test_skip ("OpenSC's PKCS#11 module is not installed");
      return FALSE;
    }

  pcsc = clave_test_pcsc_start (&error);
  if (g_error_matches (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE))
    {
      g_test_skip (error->message);
      return FALSE;
    }
  g_assert_no_error (error);
  return TRUE;
}

static void
stop_pcsc (void)
{
  g_clear_pointer (&pcsc, clave_test_pcsc_stop);
}

static void
prepare_card (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;

  if (card_name != NULL)
    clave_test_pcsc_insert_card_with_flags (pcsc, card_name, card_flags, &error);
  g_assert_no_error (error);
}

static void
run_test (const char             *card,
          ClaveTestPcscCardFlags  flags,
          const char * const     *server_args,
          GuiTestFunc             func)
{
  GuiOptions options = { .prepare = prepare_card, .server_args = server_args };

  if (!have_pcsc ())
    return;

  card_name = card;
  card_flags = flags;
  gui_run_with (&options, func);
  stop_pcsc ();
}

static void
choose_certificate_or_dnie (GuiFixture *fixture)
{
  gui_log_in (fixture, "12345678Z", "04/05/2031");
  gui_wait_for_page (fixture, "activate-method");
  gui_assert_fits_width (fixture, 360);
  gui_activate (fixture, "method_certificate_row");
  gui_wait_for_page (fixture, "certificate");
}

static ClavePinDialog *
open_card_dialog (GuiFixture *fixture)
{
  ClavePinDialog *dialog;

  gui_wait_until (gui_n_card_rows (fixture) == 1);
  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  dialog = gui_wait_for_pin_dialog ();
  gui_wait_until (gtk_widget_is_sensitive (gui_in_dialog (dialog, "pin_dialog_entry")));
  return dialog;
}

/* (a) Any card with a DNIe-style certificate, without its intermediate */

static void
run_activate_with_card (GuiFixture *fixture)
{
  ClavePinDialog *dialog;
  AdwActionRow *row;

  choose_certificate_or_dnie (fixture);

  /* A CAC card with none of a DNIe's labels, offered where a person looks
   * for their DNIe: with the cards. */
  gui_wait_until (gui_n_card_rows (fixture) == 1);
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "list");
  g_assert_true (gui_visible (fixture, "certificate_cards_group"));
  row = gui_certificate_row (fixture, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "LUCÍA GARCÍA PÉREZ");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "12345678Z · AC DNIE 004"));

  /* It fits a phone-size window. */
  gui_assert_fits_width (fixture, 360);
  gui_screenshot (GTK_WIDGET (fixture->window), "card-reader-certificate-page");

  dialog = open_card_dialog (fixture);

  /* Two wrong PINs: said as such; the card's last try said before it. */
  gui_submit_secret (dialog, WRONG_PIN);
  gui_wait_until (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_error_label")));
  g_assert_cmpstr (gui_dialog_text (dialog, "pin_dialog_error_label"), ==,
                   "The PIN is not correct. Check it and try again.");
  g_assert_cmpint (clave_test_pcsc_get_pin_tries (pcsc), ==, 2);

  gui_submit_secret (dialog, WRONG_PIN);
  gui_wait_until (g_strcmp0 (gui_dialog_text (dialog, "pin_dialog_warning_label"),
                             "Last try: a wrong PIN locks the card.") == 0);
  gui_screenshot (GTK_WIDGET (dialog), "card-reader-last-try");

  /* The right PIN; the service completes the chain the card lacks. */
  gui_submit_secret (dialog, CLAVE_TEST_PCSC_PIN);
  gui_wait_for_page (fixture, "set-pin");
  g_assert_null (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG));
  gui_set_device_pin_and_finish (fixture, "246810");
  g_assert_true (clave_application_get_activated (fixture->app));
}

static void
test_activate_with_card (void)
{
  run_test (CLAVE_TEST_PCSC_CARD_LUCIA_NOINT, 0, NULL, run_activate_with_card);
}

/* (b) A service that does not hold the intermediate names it */

static void
run_issuer_unknown (GuiFixture *fixture)
{
  ClavePinDialog *dialog;

  choose_certificate_or_dnie (fixture);
  dialog = open_card_dialog (fixture);
  gui_submit_secret (dialog, CLAVE_TEST_PCSC_PIN);

  /* Not "not issued by an authority Cl@ve accepts": which one is missing. */
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == NULL);
  gui_wait_until (gui_visible (fixture, "certificate_error_label"));
  g_assert_true (g_str_has_prefix (gui_text (fixture, "certificate_error_label"),
                                   "Cl@ve cannot check this certificate: it does not know "
                                   "“AC DNIE 004”, the authority that issued it"));
  gui_screenshot (GTK_WIDGET (fixture->window), "card-reader-issuer-unknown");
}

static void
test_issuer_unknown (void)
{
  g_autofree char *roots = NULL;
  g_autofree char *anchors = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[] = { "--trust-anchors", NULL, NULL };

  /* The roots of the test PKI in a folder with nothing beside it. */
  roots = g_dir_make_tmp ("clave-anchors-only-XXXXXX", &error);
  g_assert_no_error (error);
  anchors = g_build_filename (roots, "anchors", NULL);
  g_assert_cmpint (g_mkdir (anchors, 0700), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "dnie-root.pem" : "fnmt-root.pem";
      g_autofree char *from = clave_test_pki_path (name);
      g_autofree char *to = g_build_filename (anchors, name, NULL);
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (from == NULL)
        {
          g_test_skip ("no test PKI");
          return;
        }
      g_file_get_contents (from, &contents, &length, &error);
      g_assert_no_error (error);
      g_file_set_contents (to, contents, (gssize) length, &error);
      g_assert_no_error (error);
    }
  args[1] = anchors;

  run_test (CLAVE_TEST_PCSC_CARD_LUCIA_NOINT, 0, args, run_issuer_unknown);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *file = g_build_filename (anchors, i == 0 ? "dnie-root.pem" : "fnmt-root.pem",
                                                NULL);

      g_unlink (file);
    }
  g_rmdir (anchors);
  g_rmdir (roots);
}

/* (c) A driver that answers a wrong PIN with CKR_GENERAL_ERROR */

static void
run_refused_pin (GuiFixture *fixture)
{
  ClavePinDialog *dialog;
  const char *text;

  choose_certificate_or_dnie (fixture);
  dialog = open_card_dialog (fixture);
  gui_submit_secret (dialog, WRONG_PIN);
  gui_wait_until (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_error_label")));
  text = gui_dialog_text (dialog, "pin_dialog_error_label");
  g_assert_true (g_str_has_prefix (text, "The card refused the PIN or the signature."));
  g_assert_null (strstr (text, "PKCS"));
  /* The dialog stays for another try, with Diagnostics at hand. */
  g_assert_true (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == GTK_WIDGET (dialog));
  g_assert_true (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_diagnostics_button")));
  gui_screenshot (GTK_WIDGET (dialog), "card-reader-refused");

  gui_submit_secret (dialog, CLAVE_TEST_PCSC_PIN);
  gui_wait_for_page (fixture, "set-pin");
}

static void
test_refused_pin (void)
{
  run_test (CLAVE_TEST_PCSC_CARD_LUCIA, CLAVE_TEST_PCSC_CARD_RAW_LIBCACARD, NULL, run_refused_pin);
}

/* (d) The card comes and goes while the page is open; the diagnostics */

static void
run_card_comes_and_goes (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *readers = NULL;
  g_autofree char *cards = NULL;
  g_autofree char *certificates = NULL;
  g_autofree char *details = NULL;
  g_autofree char *card_present = NULL;
  gint64 start;

  choose_certificate_or_dnie (fixture);
  /* "Looking for card readers…" until the cards were looked at. */
  gui_wait_until (g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                                   "certificate_empty_status"))),
                             "Insert your DNIe or card, or import your certificate") == 0);
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "empty");

  clave_test_pcsc_insert_card (pcsc, CLAVE_TEST_PCSC_CARD_LUCIA, &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  gui_wait_until (gui_n_card_rows (fixture) == 1);
  g_test_message ("Card shown %.0f ms after pcscd saw it",
                  (g_get_monotonic_time () - start) / 1000.0);

  clave_test_pcsc_remove_card (pcsc, &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  gui_wait_until (gui_n_card_rows (fixture) == 0);
  g_test_message ("Card gone %.0f ms after pcscd saw it",
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpstr (gui_stack_child (fixture, "certificate_stack"), ==, "empty");
  gui_assert_fits_width (fixture, 360);

  /* The diagnostics see the reader, and the card once it is back. */
  clave_test_pcsc_insert_card (pcsc, CLAVE_TEST_PCSC_CARD_LUCIA, &error);
  g_assert_no_error (error);
  gui_wait_until (gui_n_card_rows (fixture) == 1);
  gui_activate (fixture, "certificate_list_diagnostics_button");
  gui_wait_for_page (fixture, "diagnostics");
  gui_wait_until (g_strcmp0 (gui_stack_child (fixture, "diagnostics_stack"), "report") == 0);
  readers = gui_rows_of (fixture, "diagnostics_readers_group");
  cards = gui_rows_of (fixture, "diagnostics_cards_group");
  certificates = gui_rows_of (fixture, "diagnostics_certificates_group");
  details = gui_rows_of (fixture, "diagnostics_details_row");
  g_test_message ("Readers:\n%sCards:\n%sCertificates:\n%sDetails:\n%s", readers, cards,
                  certificates, details);
  /* In plain words first; the exact lines in the technical details. */
  card_present = g_strdup_printf ("%s | A card is in it\n", clave_test_pcsc_get_reader_name (pcsc));
  g_assert_nonnull (strstr (readers, card_present));
  g_assert_nonnull (strstr (readers, " | No card in it\n"));
  g_assert_nonnull (strstr (cards, "| PIN: no wrong tries reported"));
  g_assert_nonnull (strstr (certificates, "LUCÍA GARCÍA PÉREZ | 12345678Z · Valid until "));
  g_clear_pointer (&card_present, g_free);
  card_present = g_strdup_printf ("%s: card present | Card reader", clave_test_pcsc_get_reader_name (pcsc));
  g_assert_nonnull (strstr (details, card_present));
  g_assert_nonnull (strstr (details, "LUCÍA GARCÍA PÉREZ (12345678Z), issued by AC DNIE 004"));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (gui_find (GTK_WIDGET (fixture->window),
                                                                                  "diagnostics_pcscd_row"))),
                   ==, "Running");
  gui_assert_fits_width (fixture, 360);
  gui_screenshot (GTK_WIDGET (fixture->window), "card-reader-diagnostics");
}

static void
test_card_comes_and_goes (void)
{
  run_test (NULL, 0, NULL, run_card_comes_and_goes);
}

/* (e) Every page of the card flow at 360 px, in Spanish */

static void
fits_360 (GuiFixture *fixture,
          const char *screenshot)
{
  gui_assert_fits_width (fixture, 360);
  gui_screenshot (GTK_WIDGET (fixture->window), screenshot);
}

static void
run_narrow_in_spanish (GuiFixture *fixture)
{
  ClavePinDialog *dialog;
  int minimum = 0;

  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (fixture->window)), <=, 360);
  fits_360 (fixture, "es-360-home");

  gui_log_in (fixture, "12345678Z", "04/05/2031");
  gui_wait_for_page (fixture, "activate-method");
  fits_360 (fixture, "es-360-activate-method");
  gui_activate (fixture, "method_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  gui_wait_until (gui_n_card_rows (fixture) == 1);
  fits_360 (fixture, "es-360-certificate");

  dialog = open_card_dialog (fixture);
  gtk_widget_measure (GTK_WIDGET (dialog), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL,
                      NULL);
  g_assert_cmpint (minimum, <=, 360);
  gui_screenshot (GTK_WIDGET (dialog), "es-360-pin-dialog");
  gui_activate_widget (gui_in_dialog (dialog, "pin_dialog_cancel_button"));
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) == NULL);

  gui_activate (fixture, "certificate_list_diagnostics_button");
  gui_wait_for_page (fixture, "diagnostics");
  gui_wait_until (g_strcmp0 (gui_stack_child (fixture, "diagnostics_stack"), "report") == 0);
  fits_360 (fixture, "es-360-diagnostics");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.register", NULL));
  gui_wait_for_page (fixture, "not-registered");
  fits_360 (fixture, "es-360-not-registered");
  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  fits_360 (fixture, "es-360-certificate-registration");
}

static void
prepare_spanish (GuiFixture *fixture)
{
  prepare_card (fixture);
  g_setenv ("LANGUAGE", "es", TRUE);
  /* The window opens at its saved size: a phone's. */
  g_settings_set_int (fixture->settings, "window-width", 360);
  g_settings_set_int (fixture->settings, "window-height", 720);
}

static void
test_narrow_in_spanish (void)
{
  GuiOptions options = { .prepare = prepare_spanish };

  if (!have_pcsc ())
    return;

  card_name = CLAVE_TEST_PCSC_CARD_LUCIA;
  card_flags = 0;
  gui_run_with (&options, run_narrow_in_spanish);
  g_unsetenv ("LANGUAGE");
  stop_pcsc ();
}

/* (f) Quitting while another program holds the card */

static gint64 quit_at;
static gint64 shut_down_at;
static GSubprocess *holder;

static void
on_shutdown (GApplication *app)
{
  shut_down_at = g_get_monotonic_time ();
}

static void
run_quit_with_card_held (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  ClavePinDialog *dialog;
  gint64 start;

  choose_certificate_or_dnie (fixture);
  gui_wait_until (gui_n_card_rows (fixture) == 1);

  /* Another program takes the card; the PIN dialog asks the card for its
   * tries, and that waits for the other program. */
  holder = clave_test_pcsc_hold_card (pcsc, &error);
  g_assert_no_error (error);
  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  dialog = gui_wait_for_pin_dialog ();
  g_assert_false (gtk_widget_is_sensitive (gui_in_dialog (dialog, "pin_dialog_entry")));

  /* The window does not freeze: the main loop turns as usual (a frozen
   * one would take as long as the other program holds the card). */
  start = g_get_monotonic_time ();
  gui_settle (500);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2000 * 1000);
  g_assert_false (gtk_widget_is_sensitive (gui_in_dialog (dialog, "pin_dialog_entry")));

  /* After a while the dialog says why nothing happens. */
  gui_wait_until (gtk_widget_get_visible (gui_in_dialog (dialog, "pin_dialog_card_busy_label")));
  gui_screenshot (GTK_WIDGET (dialog), "card-reader-card-held");

  /* Ctrl+Q, with the dialog open. */
  g_signal_connect_after (fixture->app, "shutdown", G_CALLBACK (on_shutdown), NULL);
  quit_at = g_get_monotonic_time ();
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
}

static void
test_quit_with_card_held (void)
{
  gint64 start;

  if (!have_pcsc ())
    return;

  quit_at = shut_down_at = 0;
  card_name = CLAVE_TEST_PCSC_CARD_LUCIA;
  card_flags = 0;
  {
    GuiOptions options = { .prepare = prepare_card };

    gui_run_with (&options, run_quit_with_card_held);
  }
  g_assert_cmpint (quit_at, >, 0);
  g_assert_cmpint (shut_down_at, >, 0);
  g_test_message ("Quit with the card held: %.0f ms from Ctrl+Q to the end of shutdown",
                  (shut_down_at - quit_at) / 1000.0);
  g_assert_cmpint (shut_down_at - quit_at, <, 1000 * 1000);

  /* The other program lets go: the question to the card ends in the
   * background, with nobody waiting for it. */
  g_subprocess_send_signal (holder, SIGTERM);
  g_subprocess_wait (holder, NULL, NULL);
  g_clear_object (&holder);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 1500 * 1000)
    gui_iterate ();
  stop_pcsc ();
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/gui/card-reader/activate-with-card", test_activate_with_card);
  g_test_add_func ("/gui/card-reader/issuer-unknown", test_issuer_unknown);
  g_test_add_func ("/gui/card-reader/refused-pin", test_refused_pin);
  g_test_add_func ("/gui/card-reader/card-comes-and-goes", test_card_comes_and_goes);
  g_test_add_func ("/gui/card-reader/narrow-in-spanish", test_narrow_in_spanish);
  g_test_add_func ("/gui/card-reader/quit-with-card-held", test_quit_with_card_held);

  ret = g_test_run ();
  gui_test_shutdown ();

  return ret;
}
