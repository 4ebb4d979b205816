/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-diagnose"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>

#include "clave-diagnose-command.h"

/* The report */

/* On the heap: when the person interrupts a report that waits for a card,
 * the thread answers later, into this, after the command has returned. */
typedef struct {
  GMainLoop        *loop;
  ClaveDiagnostics *diagnostics;
  GError           *error;
  gboolean          done;
  gboolean          abandoned;
} ReportData;

static void
report_data_free (ReportData *data)
{
  g_clear_pointer (&data->loop, g_main_loop_unref);
  g_clear_pointer (&data->diagnostics, clave_diagnostics_free);
  g_clear_error (&data->error);
  g_free (data);
}

static void
diagnose_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ReportData *data = user_data;

  data->diagnostics = clave_token_manager_diagnose_finish (CLAVE_TOKEN_MANAGER (source), result,
                                                           &data->error);
  data->done = TRUE;
  if (data->abandoned)
    report_data_free (data);
  else
    g_main_loop_quit (data->loop);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
clave_diagnose_command_report (ClaveTokenManager *manager)
{
  ReportData *data = g_new0 (ReportData, 1);
  g_autofree char *text = NULL;
  guint sigint, sigterm;
  int status;

  data->loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_quit_signal, data->loop);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, data->loop);
  clave_token_manager_diagnose_async (manager, NULL, diagnose_cb, data);
  g_main_loop_run (data->loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (!data->done)
    {
      /* Interrupted while a card did not answer: the answer, if it ever
       * comes, frees what it fills. */
      data->abandoned = TRUE;
      return 130;
    }

  if (data->diagnostics == NULL)
    {
      g_printerr ("%s\n", data->error->message);
      report_data_free (data);
      return CLAVE_DIAGNOSE_EXIT_NO_SERVICE;
    }

  text = clave_diagnostics_to_text (data->diagnostics);
  fputs (text, stdout);
  fflush (stdout);

  if (data->diagnostics->n_usable > 0)
    status = CLAVE_DIAGNOSE_EXIT_USABLE;
  else if (!data->diagnostics->pcscd_reachable)
    status = CLAVE_DIAGNOSE_EXIT_NO_SERVICE;
  else
    status = CLAVE_DIAGNOSE_EXIT_NONE;

  report_data_free (data);
  return status;
}

/* Watching */

typedef struct {
  ClaveTokenManager  *manager;
  GStrv               readers;
  GStrv               cards;
  GStrv               certificates;
  guint               update_id;
} WatchData;

static void
print_line (char        sign,
            const char *what,
            const char *name)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%Y-%m-%d %H:%M:%S");

  /* One line, whole, as it happens: a pipe must not hold it back. */
  g_print ("%s.%03d %c %s: %s\n", time, g_date_time_get_microsecond (now) / 1000, sign, what,
           name);
  fflush (stdout);
}

/* Prints what left @old and what came in @new, and keeps @new. */
static void
print_changes (GStrv       *old,
               GStrv        new,
               const char  *what)
{
  for (gsize i = 0; *old != NULL && (*old)[i] != NULL; i++)
    if (new == NULL || !g_strv_contains ((const char * const *) new, (*old)[i]))
      print_line ('-', what, (*old)[i]);

  for (gsize i = 0; new != NULL && new[i] != NULL; i++)
    if (*old == NULL || !g_strv_contains ((const char * const *) *old, new[i]))
      print_line ('+', what, new[i]);

  g_strfreev (*old);
  *old = g_strdupv (new);
}

static GStrv
describe_certificates (ClaveTokenManager *manager)
{
  GListModel *model = clave_token_manager_get_certificates (manager);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(ClaveCertificate) certificate = g_list_model_get_item (model, i);
      g_autofree char *line = clave_certificate_describe (certificate);

      g_strv_builder_add (builder, line);
    }

  return g_strv_builder_end (builder);
}

static gboolean
update_cb (gpointer user_data)
{
  WatchData *data = user_data;
  g_auto(GStrv) certificates = NULL;

  data->update_id = 0;

  /* Nothing to say before the cards were looked at. */
  if (!clave_token_manager_get_ready (data->manager))
    return G_SOURCE_REMOVE;

  certificates = describe_certificates (data->manager);
  /* Translators: what a line of "clave-desktop --diagnose --watch" is
   * about: "+ reader: Virtual PCD 00 00" */
  print_changes (&data->readers, (GStrv) clave_token_manager_get_readers (data->manager),
                 _("reader"));
  print_changes (&data->cards, (GStrv) clave_token_manager_get_cards (data->manager), _("card"));
  print_changes (&data->certificates, certificates, _("certificate"));

  return G_SOURCE_REMOVE;
}

/* Once the manager has taken in the whole change (its list, readers and
 * cards change one after the other): readers, then cards, then
 * certificates, in one go. */
static void
update (WatchData *data)
{
  if (data->update_id == 0)
    data->update_id = g_idle_add (update_cb, data);
}

int
clave_diagnose_command_watch (ClaveTokenManager *manager)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  WatchData data = { manager, NULL, NULL, NULL, 0 };
  guint sigint, sigterm;

  sigint = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  g_signal_connect_swapped (manager, "notify::ready", G_CALLBACK (update), &data);
  g_signal_connect_swapped (manager, "notify::readers", G_CALLBACK (update), &data);
  g_signal_connect_swapped (manager, "notify::cards", G_CALLBACK (update), &data);
  g_signal_connect_swapped (clave_token_manager_get_certificates (manager), "items-changed",
                            G_CALLBACK (update), &data);

  clave_token_manager_start (manager);
  g_main_loop_run (loop);

  g_signal_handlers_disconnect_by_data (manager, &data);
  g_signal_handlers_disconnect_by_data (clave_token_manager_get_certificates (manager), &data);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_handle_id (&data.update_id, g_source_remove);
  /* Does not wait for a card that another program holds. */
  clave_token_manager_stop (manager);

  g_strfreev (data.readers);
  g_strfreev (data.cards);
  g_strfreev (data.certificates);
  return 0;
}
