/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-diagnose-command"

#include "config.h"

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "clave-test-pcsc.h"

/*
 * clave-desktop --diagnose [--watch], the program itself, as support
 * people have a person run it: no display, OpenSC from p11-kit's registry,
 * pcscd and a virtual reader and card (tests/common/clave-test-pcsc.h).
 * Exit status, what it prints, and that SIGINT/SIGTERM end it within a
 * second even while another program holds the card.
 */

#define QUIT_LIMIT_USEC  (1000 * 1000)

static ClaveTestPcsc *pcsc;

/* One turn of the main loop that never blocks, so that the deadlines of
 * the loops around it hold when the program is silent. */
static void
iterate (void)
{
  g_main_context_iteration (NULL, FALSE);
  g_usleep (1000);
}

static gboolean
start_pcsc (void)
{
  g_autoptr(GError) error = NULL;

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
insert_card (void)
{
  g_autoptr(GError) error = NULL;

  clave_test_pcsc_insert_card (pcsc, CLAVE_TEST_PCSC_CARD_LUCIA, &error);
  g_assert_no_error (error);
}

/* The program as a person starts it from a terminal: no display; pcscd at
 * @socket (NULL: the fixture's). */
static GSubprocess *
spawn (const char *socket,
       gboolean    watch)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  if (socket != NULL)
    g_subprocess_launcher_setenv (launcher, "PCSCLITE_CSOCK_NAME", socket, TRUE);
  else if (pcsc != NULL)
    g_subprocess_launcher_setenv (launcher, "PCSCLITE_CSOCK_NAME",
                                  clave_test_pcsc_get_socket (pcsc), TRUE);

  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CLAVE_DESKTOP"),
                                         "--diagnose", watch ? "--watch" : NULL, NULL);
  g_assert_no_error (error);
  return process;
}

typedef struct {
  char    *out;
  gboolean done;
} Report;

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Report *report = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &report->out, NULL,
                                        &error);
  g_assert_no_error (error);
  report->done = TRUE;
}

/* Runs --diagnose to the end: its exit status and what it printed. */
static int
run_report (const char  *socket,
            char       **out)
{
  g_autoptr(GSubprocess) process = spawn (socket, FALSE);
  Report report = { NULL, FALSE };
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_subprocess_communicate_utf8_async (process, NULL, NULL, communicate_cb, &report);
  while (!report.done)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      iterate ();
    }
  g_subprocess_wait (process, NULL, NULL);
  g_test_message ("%s", report.out);
  *out = report.out;
  /* Seen once in CI: the program ended by a signal after its report. Say
   * which, rather than only that it did not exit. */
  if (g_subprocess_get_if_signaled (process))
    g_error ("clave-desktop --diagnose ended by signal %d (%s)",
             g_subprocess_get_term_sig (process),
             g_strsignal (g_subprocess_get_term_sig (process)));
  return g_subprocess_get_exit_status (process);
}

/* The report */

static void
test_report_without_service (void)
{
  g_autofree char *dir = g_dir_make_tmp ("clave-no-pcscd-XXXXXX", NULL);
  g_autofree char *socket = g_build_filename (dir, "pcscd.comm", NULL);
  g_autofree char *out = NULL;

  /* No pcscd, no certificate file: 2. */
  g_assert_cmpint (run_report (socket, &out), ==, 2);
  g_assert_nonnull (strstr (out, "Smart card service (pcscd): not reachable"));
  g_assert_nonnull (strstr (out, "sudo systemctl start pcscd"));
  g_rmdir (dir);
}

static void
test_report_without_card (void)
{
  g_autofree char *out = NULL;
  g_autofree char *reader = NULL;

  if (!start_pcsc ())
    return;

  /* The reader, empty: 1. */
  g_assert_cmpint (run_report (NULL, &out), ==, 1);
  reader = g_strdup_printf ("%s: no card", clave_test_pcsc_get_reader_name (pcsc));
  g_assert_nonnull (strstr (out, reader));
  g_assert_nonnull (strstr (out, "OpenSC"));
  g_assert_nonnull (strstr (out, "there is no card in it"));
  g_clear_pointer (&pcsc, clave_test_pcsc_stop);
}

static void
test_report_with_card (void)
{
  g_autofree char *out = NULL;

  if (!start_pcsc ())
    return;

  insert_card ();
  /* A DNIe-style certificate on a CAC card: 0. */
  g_assert_cmpint (run_report (NULL, &out), ==, 0);
  g_assert_nonnull (strstr (out, "LUCÍA GARCÍA PÉREZ (12345678Z), issued by AC DNIE 004"));
  g_assert_nonnull (strstr (out, "card present"));
  g_clear_pointer (&pcsc, clave_test_pcsc_stop);
}

/* Watching */

typedef struct {
  GDataInputStream *lines;
  char             *line;
  gboolean          done;
} LineRead;

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, NULL);
  read->done = TRUE;
}

/* The next line that contains @needle, within 20 s. */
static char *
wait_for_line (GDataInputStream *lines,
               const char       *needle)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      LineRead read = { lines, NULL, FALSE };

      g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, NULL, read_line_cb, &read);
      while (!read.done)
        {
          if (g_get_monotonic_time () > deadline)
            g_error ("No line with “%s” in 20 s", needle);
          iterate ();
        }
      if (read.line == NULL)
        g_error ("The program ended before a line with “%s”", needle);

      g_test_message ("%s", read.line);
      /* "2026-12-07 10:41:02.118 + reader: …" */
      g_assert_true (g_regex_match_simple ("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} [+-] ",
                                           read.line, 0, 0));
      if (strstr (read.line, needle) != NULL)
        return read.line;
      g_free (read.line);
    }
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

/* Sends @signal and returns how long the program took to exit. */
static gint64
stop_with (GSubprocess *process,
           int          signal)
{
  gboolean exited = FALSE;
  gint64 start;

  g_subprocess_wait_async (process, NULL, on_exited, &exited);
  start = g_get_monotonic_time ();
  g_subprocess_send_signal (process, signal);
  while (!exited && g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
    iterate ();
  g_assert_true (exited);
  return g_get_monotonic_time () - start;
}

static void
test_watch (void)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reader_line = NULL;
  g_autofree char *card_line = NULL;
  g_autofree char *certificate_line = NULL;
  g_autofree char *gone_line = NULL;
  gint64 took;

  if (!start_pcsc ())
    return;

  process = spawn (NULL, TRUE);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));

  /* The readers first, then a card as it goes in and out. */
  reader_line = wait_for_line (lines, clave_test_pcsc_get_reader_name (pcsc));
  g_assert_nonnull (strstr (reader_line, " + reader: "));

  insert_card ();
  card_line = wait_for_line (lines, " + card: ");
  certificate_line = wait_for_line (lines, " + certificate: ");
  /* In UTF-8, as the terminal shows it. */
  g_assert_nonnull (strstr (certificate_line, "LUCÍA GARCÍA PÉREZ (12345678Z), issued by AC DNIE 004"));

  clave_test_pcsc_remove_card (pcsc, &error);
  g_assert_no_error (error);
  gone_line = wait_for_line (lines, " - card: ");
  g_assert_cmpstr (strstr (gone_line, " - card: ") + 9, ==, strstr (card_line, " + card: ") + 9);

  took = stop_with (process, SIGTERM);
  g_test_message ("--watch ended %" G_GINT64_FORMAT " ms after SIGTERM", took / 1000);
  g_assert_cmpint (took, <, QUIT_LIMIT_USEC);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_clear_pointer (&pcsc, clave_test_pcsc_stop);
}

static void
test_card_held (void)
{
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GSubprocess) watch = NULL;
  g_autoptr(GSubprocess) report = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start, took;

  if (!start_pcsc ())
    return;

  insert_card ();
  holder = clave_test_pcsc_hold_card (pcsc, &error);
  g_assert_no_error (error);

  /* Both wait for the card (OpenSC's C_Initialize reads it); both end at
   * once when asked. */
  watch = spawn (NULL, TRUE);
  report = spawn (NULL, FALSE);
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC)
    iterate ();

  took = stop_with (watch, SIGINT);
  g_test_message ("--watch ended %" G_GINT64_FORMAT " ms after SIGINT, card held",
                  took / 1000);
  g_assert_cmpint (took, <, QUIT_LIMIT_USEC);
  g_assert_cmpint (g_subprocess_get_exit_status (watch), ==, 0);

  took = stop_with (report, SIGINT);
  g_test_message ("--diagnose ended %" G_GINT64_FORMAT " ms after SIGINT, card held",
                  took / 1000);
  g_assert_cmpint (took, <, QUIT_LIMIT_USEC);
  g_assert_true (g_subprocess_get_if_exited (report));
  g_assert_cmpint (g_subprocess_get_exit_status (report), ==, 130);

  g_subprocess_send_signal (holder, SIGTERM);
  g_subprocess_wait (holder, NULL, NULL);
  g_clear_pointer (&pcsc, clave_test_pcsc_stop);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/diagnose/report-without-service", test_report_without_service);
  g_test_add_func ("/diagnose/report-without-card", test_report_without_card);
  g_test_add_func ("/diagnose/report-with-card", test_report_with_card);
  g_test_add_func ("/diagnose/watch", test_watch);
  g_test_add_func ("/diagnose/card-held", test_card_held);

  return g_test_run ();
}
