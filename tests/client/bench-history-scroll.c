/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-history-scroll"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench-history-fill.h"
#include "clave-history-store.h"
#include "clave-history-store-private.h"
#include "client-test-util.h"

/* "My requests" with a million cached rows, far from the first screen
 * (issue 9: deep scrolling paid SQLite's OFFSET in get_item): the time to
 * show the last page and the middle one after a jump (the scroll bar
 * dragged), to scroll 20 pages around row 900,000, and to scroll the
 * whole list from the top, capped. Each figure is the minimum, median and
 * maximum of --runs runs, each on a new connection to the same file. The
 * rows are those of bench-history.c (same generator and seed), written by
 * a child process. No target: figures for the record (docs/benchmarks). */

#define N_ROWS          BENCH_HISTORY_ROWS
#define START_TIME      BENCH_HISTORY_START_TIME
#define DEEP_PAGES      20
#define PAGE_ROWS       200
#define WHOLE_CAP_S     10.0


typedef struct {
  const char       *name;
  const char       *status;
  const char       *type;
  const char       *organisation;
  ClaveHistorySort  sort;
} Scenario;

static const Scenario scenarios[] = {
  { "sort date, newest first", NULL, NULL, NULL, CLAVE_HISTORY_SORT_DATE_DESC },
  { "sort date, oldest first", NULL, NULL, NULL, CLAVE_HISTORY_SORT_DATE_ASC },
  { "sort organisation", NULL, NULL, NULL, CLAVE_HISTORY_SORT_ORGANISATION },
  { "sort type", NULL, NULL, NULL, CLAVE_HISTORY_SORT_TYPE },
  { "sort status", NULL, NULL, NULL, CLAVE_HISTORY_SORT_STATUS },
  { "status confirmed, sort organisation", "confirmed", NULL, NULL, CLAVE_HISTORY_SORT_ORGANISATION },
  { "\"de\" in organisation, sort organisation", NULL, NULL, "de", CLAVE_HISTORY_SORT_ORGANISATION },
  { "type sms, sort date", NULL, "sms", NULL, CLAVE_HISTORY_SORT_DATE_DESC },
};

enum { LAST, MIDDLE, DEEP, WHOLE, N_FIGURES };

static const char *const figure_names[] = {
  [LAST] = "last page (ms)",
  [MIDDLE] = "then the middle (ms)",
  [DEEP] = "20 pages at 90% (ms)",
  [WHOLE] = "whole list (s)",
};

static double
read_item (GListModel *model,
           guint       position)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (model, position);

  g_assert_nonnull (item);
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* One run of a scenario: a new connection, a new model. @whole_rows: rows
 * read in the capped whole-list scroll. */
static void
run_scenario (const char     *path,
              const Scenario *scenario,
              double          figures[N_FIGURES],
              guint          *whole_rows,
              guint          *n_items)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveHistoryStore) store = clave_history_store_open (path, &error);
  g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();
  g_autoptr(ClaveHistoryModel) model = NULL;
  GListModel *list;
  gint64 start;
  guint n, from;

  g_assert_no_error (error);
  filter->status = g_strdup (scenario->status);
  filter->type = g_strdup (scenario->type);
  filter->organisation = g_strdup (scenario->organisation);
  filter->sort = scenario->sort;
  model = clave_history_model_new (store, filter);
  list = G_LIST_MODEL (model);
  n = g_list_model_get_n_items (list);
  g_assert_cmpuint (n, >, 10 * DEEP_PAGES * PAGE_ROWS);
  *n_items = n;

  /* The first screen, as the page shows it, then a drag to the end. */
  for (guint i = 0; i < 20; i++)
    read_item (list, i);
  figures[LAST] = read_item (list, n - 1);
  figures[MIDDLE] = read_item (list, n / 2);

  /* A new model (no cached page near): jump to 90%, then scroll down. */
  g_clear_object (&model);
  model = clave_history_model_new (store, filter);
  list = G_LIST_MODEL (model);
  from = n / 10 * 9;
  read_item (list, from);
  start = g_get_monotonic_time ();
  for (guint i = from + 1; i < from + DEEP_PAGES * PAGE_ROWS; i++)
    read_item (list, i);
  figures[DEEP] = (g_get_monotonic_time () - start) / 1000.0;

  /* Row after row from the top, as long as the cap allows. */
  g_clear_object (&model);
  model = clave_history_model_new (store, filter);
  list = G_LIST_MODEL (model);
  start = g_get_monotonic_time ();
  for (*whole_rows = 0; *whole_rows < n; (*whole_rows)++)
    {
      read_item (list, *whole_rows);
      if (*whole_rows % PAGE_ROWS == 0 &&
          g_get_monotonic_time () - start > WHOLE_CAP_S * G_USEC_PER_SEC)
        break;
    }
  figures[WHOLE] = (g_get_monotonic_time () - start) / 1e6;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("bench-history-scroll-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "history.db", NULL);
  guint runs = 3;
  int status = 0;
  pid_t child;

  g_assert_nonnull (dir);
  for (int i = 1; i + 1 < argc; i++)
    if (g_str_equal (argv[i], "--runs"))
      runs = MAX (1, (guint) atoi (argv[i + 1]));

  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      bench_history_fill (path);
      _exit (0);
    }
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  printf ("%u runs; min / median / max\n", runs);
  printf ("%-42s %-26s %-26s %-26s %s\n", "", figure_names[LAST], figure_names[MIDDLE],
          figure_names[DEEP], figure_names[WHOLE]);
  for (gsize s = 0; s < G_N_ELEMENTS (scenarios); s++)
    {
      g_autofree double *values = g_new0 (double, (gsize) runs * N_FIGURES);
      guint min_whole_rows = G_MAXUINT, n_items = 0;
      GString *line = g_string_new (NULL);

      for (guint r = 0; r < runs; r++)
        {
          double figures[N_FIGURES];
          guint whole_rows;

          run_scenario (path, &scenarios[s], figures, &whole_rows, &n_items);
          for (guint f = 0; f < N_FIGURES; f++)
            values[f * runs + r] = figures[f];
          min_whole_rows = MIN (min_whole_rows, whole_rows);
        }

      g_string_append_printf (line, "%-42s", scenarios[s].name);
      for (guint f = 0; f < N_FIGURES; f++)
        {
          double *v = values + f * runs;
          g_autofree char *cell = NULL;

          qsort (v, runs, sizeof (double), compare_doubles);
          cell = g_strdup_printf (f == WHOLE ? "%.2f / %.2f / %.2f" : "%.1f / %.1f / %.1f",
                                  v[0], v[runs / 2], v[runs - 1]);
          g_string_append_printf (line, " %-26s", cell);
        }
      if (min_whole_rows < n_items)
        g_string_append_printf (line, " (capped: %u of %u rows)", min_whole_rows, n_items);
      else
        g_string_append_printf (line, " (%u rows)", n_items);
      printf ("%s\n", line->str);
      fflush (stdout);
      g_string_free (line, TRUE);
    }

  clave_test_remove_tree (dir);
  return 0;
}
