/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-history"

#include "config.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bench-history-fill.h"
#include "clave-history-store.h"
#include "clave-history-store-private.h"
#include "client-test-util.h"

/* "My requests" with a very long history (issue 4, Performance): after a
 * filter or sort change the first screen (rows 0..49) must be there in
 * under 50 ms, and the process must not grow by 50 MB over an empty
 * history. The million rows are written by a child process, so that
 * what the parent measures is what the app pays to show them, not the
 * cost of generating them. */

#define N_ROWS          BENCH_HISTORY_ROWS
#define FIRST_SCREEN    50
#define TARGET_MS       50.0
#define TARGET_RSS_MB   50.0
#define START_TIME      BENCH_HISTORY_START_TIME


static double
rss_mb (void)
{
  g_autofree char *contents = NULL;
  unsigned long size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &contents, NULL, NULL) ||
      sscanf (contents, "%lu %lu", &size, &resident) != 2)
    return 0;

  return (double) resident * (double) sysconf (_SC_PAGESIZE) / (1024.0 * 1024.0);
}

typedef struct {
  const char       *name;
  const char       *status;
  const char       *type;
  const char       *organisation;
  gboolean          exact;
  int               from_days_ago;   /* 0: no bound */
  ClaveHistorySort  sort;
} Scenario;

static const Scenario scenarios[] = {
  { "sort date, newest first", NULL, NULL, NULL, FALSE, 0, CLAVE_HISTORY_SORT_DATE_DESC },
  { "sort date, oldest first", NULL, NULL, NULL, FALSE, 0, CLAVE_HISTORY_SORT_DATE_ASC },
  { "sort organisation", NULL, NULL, NULL, FALSE, 0, CLAVE_HISTORY_SORT_ORGANISATION },
  { "sort type", NULL, NULL, NULL, FALSE, 0, CLAVE_HISTORY_SORT_TYPE },
  { "sort status", NULL, NULL, NULL, FALSE, 0, CLAVE_HISTORY_SORT_STATUS },
  { "status confirmed", "confirmed", NULL, NULL, FALSE, 0, CLAVE_HISTORY_SORT_DATE_DESC },
  { "status pending, sort organisation", "pending", NULL, NULL, FALSE, 0, CLAVE_HISTORY_SORT_ORGANISATION },
  { "type sms", NULL, "sms", NULL, FALSE, 0, CLAVE_HISTORY_SORT_DATE_DESC },
  { "type qr, sort status", NULL, "qr", NULL, FALSE, 0, CLAVE_HISTORY_SORT_STATUS },
  { "organisation contains \"trafico\"", NULL, NULL, "trafico", FALSE, 0, CLAVE_HISTORY_SORT_DATE_DESC },
  { "organisation = MUFACE (rare)", NULL, NULL, "MUFACE", TRUE, 0, CLAVE_HISTORY_SORT_DATE_DESC },
  { "organisation contains \"ayuntamiento\", sort type", NULL, NULL, "ayuntamiento", FALSE, 0, CLAVE_HISTORY_SORT_TYPE },
  { "last 30 days", NULL, NULL, NULL, FALSE, 30, CLAVE_HISTORY_SORT_DATE_DESC },
  { "last 365 days, sort organisation", NULL, NULL, NULL, FALSE, 365, CLAVE_HISTORY_SORT_ORGANISATION },
  { "rejected + sms + \"agencia\" + last 2 years", "rejected", "sms", "agencia", FALSE, 730, CLAVE_HISTORY_SORT_DATE_DESC },
  { "no filter again", NULL, NULL, NULL, FALSE, 0, CLAVE_HISTORY_SORT_DATE_DESC },
};

/* Sets the filter and reads the first screen; returns milliseconds. */
static double
first_screen (ClaveHistoryModel        *model,
              const ClaveHistoryFilter *filter,
              guint                    *n_items)
{
  gint64 start = g_get_monotonic_time ();
  guint n;

  clave_history_model_set_filter (model, filter);
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  for (guint i = 0; i < MIN (n, FIRST_SCREEN); i++)
    {
      g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);

      g_assert_nonnull (item);
    }

  *n_items = n;
  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("bench-history-XXXXXX", NULL);
  g_autofree char *empty_path = g_build_filename (dir, "empty.db", NULL);
  g_autofree char *full_path = g_build_filename (dir, "history.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveHistoryStore) empty = NULL;
  g_autoptr(ClaveHistoryModel) empty_model = NULL;
  g_autoptr(ClaveHistoryStore) store = NULL;
  g_autoptr(ClaveHistoryModel) model = NULL;
  double rss_empty, rss_full, worst = 0, open_ms;
  gint64 now = START_TIME + (gint64) N_ROWS * BENCH_HISTORY_SPACING;
  gint64 start;
  guint n = 0;
  int status = 0;
  pid_t child;

  g_assert_nonnull (dir);

  /* The app with an empty history, first screen shown. */
  empty = clave_history_store_open (empty_path, &error);
  g_assert_no_error (error);
  empty_model = clave_history_model_new (empty, NULL);
  first_screen (empty_model, NULL, &n);
  g_assert_cmpuint (n, ==, 0);
  rss_empty = rss_mb ();

  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      bench_history_fill (full_path);
      _exit (0);
    }
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  start = g_get_monotonic_time ();
  store = clave_history_store_open (full_path, &error);
  g_assert_no_error (error);
  model = clave_history_model_new (store, NULL);
  for (guint i = 0; i < FIRST_SCREEN; i++)
    g_object_unref (g_list_model_get_item (G_LIST_MODEL (model), i));
  open_ms = (g_get_monotonic_time () - start) / 1000.0;
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_ROWS);
  printf ("open the cache and show rows 0..%d: %.1f ms (%u rows)\n", FIRST_SCREEN - 1, open_ms, N_ROWS);
  worst = open_ms;

  for (gsize i = 0; i < G_N_ELEMENTS (scenarios); i++)
    {
      g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();
      double ms;

      filter->status = g_strdup (scenarios[i].status);
      filter->type = g_strdup (scenarios[i].type);
      filter->organisation = g_strdup (scenarios[i].organisation);
      filter->organisation_exact = scenarios[i].exact;
      filter->from = scenarios[i].from_days_ago ? now - scenarios[i].from_days_ago * 86400 : 0;
      filter->sort = scenarios[i].sort;

      ms = first_screen (model, filter, &n);
      worst = MAX (worst, ms);
      printf ("%-52s %8.1f ms  (%u rows)\n", scenarios[i].name, ms, n);
    }

  /* Not a target, for the record: a jump to the middle of the list. */
  start = g_get_monotonic_time ();
  g_object_unref (g_list_model_get_item (G_LIST_MODEL (model), N_ROWS / 2));
  printf ("%-52s %8.1f ms\n", "jump to row 500000 (no filter)", (g_get_monotonic_time () - start) / 1000.0);

  rss_full = rss_mb ();
  printf ("max first screen: %.1f ms (target < %.0f ms)\n", worst, TARGET_MS);
  printf ("RSS: empty history %.1f MB, 1,000,000 rows %.1f MB, growth %.1f MB (target < %.0f MB)\n",
          rss_empty, rss_full, rss_full - rss_empty, TARGET_RSS_MB);

  g_clear_object (&model);
  g_clear_object (&store);
  g_clear_object (&empty_model);
  g_clear_object (&empty);
  clave_test_remove_tree (dir);

  if (worst >= TARGET_MS || rss_full - rss_empty >= TARGET_RSS_MB)
    {
      printf ("TARGET MISSED\n");
      return 1;
    }
  return 0;
}
