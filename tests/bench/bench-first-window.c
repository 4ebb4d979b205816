/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-first-window"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "clave-test-files.h"

#ifdef HAVE_TEST_PCSC
#include "clave-test-pcsc.h"
#endif

/*
 * How long Clave Desktop takes to show its first window, against a bare
 * libadwaita window (tests/bench/bare-window.c) measured in the same run:
 * from the spawn of the program to its first frame on the screen (both
 * print "first-frame" from the same code, bench-first-frame.c).
 *
 *   bare        the bare window
 *   no-module   Clave Desktop without any PKCS#11 module (OpenSC turned
 *               off in p11-kit's user configuration)
 *   card        Clave Desktop with OpenSC from p11-kit's registry, pcscd
 *               running (tests/common/clave-test-pcsc) and a card in the
 *               reader, when the PC/SC fixture is there
 *
 * Runs are interleaved (bare, no-module, card, bare, …) so that a busy
 * moment of the machine falls on all of them. Prints min / median / max of
 * each, the ratios of the medians, and the load average; exits 1 when a
 * Clave Desktop median is more than --max-ratio (default 1.2) times the
 * bare one. Needs DISPLAY (the suite runs it under Xvfb).
 *
 *   bench-first-window [--runs N] [--max-ratio R]
 */

#define FIRST_FRAME_TIMEOUT_S 60

typedef struct {
  const char *name;
  const char *program;
  char      **env;
  GArray     *ms;      /* double */
} Variant;

static int runs = 7;
static double max_ratio = 1.2;

/* Milliseconds from spawn to "first-frame", or a negative number. */
static double
measure (Variant *variant)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gint64 started;
  double elapsed = -1;

  g_subprocess_launcher_set_environ (launcher, variant->env);
  started = g_get_monotonic_time ();
  child = g_subprocess_launcher_spawn (launcher, &error, variant->program, NULL);
  if (child == NULL)
    {
      g_printerr ("%s: %s\n", variant->name, error->message);
      return -1;
    }

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  while ((line = g_data_input_stream_read_line (lines, NULL, NULL, &error)) != NULL)
    {
      if (g_str_equal (line, "first-frame"))
        {
          elapsed = (double) (g_get_monotonic_time () - started) / 1000.0;
          break;
        }
      g_clear_pointer (&line, g_free);
      if (g_get_monotonic_time () - started > FIRST_FRAME_TIMEOUT_S * G_USEC_PER_SEC)
        break;
    }

  if (elapsed < 0)
    {
      g_printerr ("%s: no first frame (%s)\n", variant->name,
                  error != NULL ? error->message : "exited");
      g_subprocess_force_exit (child);
    }
  /* It quits by itself after its first frame. */
  g_subprocess_wait (child, NULL, NULL);
  return elapsed;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *values)
{
  g_array_sort (values, compare_doubles);
  return g_array_index (values, double, values->len / 2);
}

static char **
base_env (const char *home)
{
  char **env = g_get_environ ();
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *cache = g_build_filename (home, "cache", NULL);
  g_autofree char *state = g_build_filename (home, "state", NULL);

  /* A person starting the app for the first time: empty folders, the
   * profile in memory. */
  env = g_environ_setenv (env, "HOME", home, TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", config, TRUE);
  env = g_environ_setenv (env, "XDG_DATA_HOME", data, TRUE);
  env = g_environ_setenv (env, "XDG_CACHE_HOME", cache, TRUE);
  env = g_environ_setenv (env, "XDG_STATE_HOME", state, TRUE);
  env = g_environ_setenv (env, "GSETTINGS_BACKEND", "memory", TRUE);
  env = g_environ_setenv (env, "GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  return env;
}

/* p11-kit merges the user's module files over the system's: this one
 * keeps OpenSC out of every program. */
static void
disable_opensc (const char *home)
{
  g_autofree char *dir = g_build_filename (home, "config", "pkcs11", "modules", NULL);
  g_autofree char *file = g_build_filename (dir, "opensc-pkcs11.module", NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dir, 0700);
  g_file_set_contents (file, "enable-in: clave-no-such-program\n", -1, &error);
  g_assert_no_error (error);
}

static void
print_variant (Variant *variant)
{
  g_autoptr(GArray) sorted = g_array_copy (variant->ms);

  g_array_sort (sorted, compare_doubles);
  printf ("%-10s n=%u  min %7.1f ms  median %7.1f ms  max %7.1f ms\n", variant->name, sorted->len,
          g_array_index (sorted, double, 0), median (sorted),
          g_array_index (sorted, double, sorted->len - 1));
}

static void
print_load (void)
{
  g_autofree char *load = NULL;

  if (g_file_get_contents ("/proc/loadavg", &load, NULL, NULL))
    printf ("load average: %s", load);
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs of each variant (default 7)", "N" },
    { "max-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &max_ratio,
      "Fail when Clave Desktop's median exceeds this times the bare window's (default 1.2)", "R" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *bare_home = NULL, *clave_home = NULL, *card_home = NULL;
  const char *builddir = g_getenv ("CLAVE_BENCH_DIR");
  g_autofree char *bare = NULL, *clave = NULL;
  Variant variants[3] = { { 0 } };
  guint n_variants = 2;
  gboolean ok = TRUE;
#ifdef HAVE_TEST_PCSC
  ClaveTestPcsc *pcsc = NULL;
#endif

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("bench-first-window: no display (run it under Xvfb)\n");
      return 77;
    }

  if (builddir == NULL)
    builddir = ".";
  bare = g_build_filename (builddir, "bare-window", NULL);
  clave = g_build_filename (builddir, "clave-first-window", NULL);

  bare_home = g_dir_make_tmp ("bench-bare-XXXXXX", NULL);
  clave_home = g_dir_make_tmp ("bench-clave-XXXXXX", NULL);
  disable_opensc (clave_home);

  variants[0] = (Variant) { "bare", bare, base_env (bare_home), g_array_new (FALSE, FALSE, sizeof (double)) };
  variants[1] = (Variant) { "no-module", clave, base_env (clave_home),
                            g_array_new (FALSE, FALSE, sizeof (double)) };

#ifdef HAVE_TEST_PCSC
  pcsc = clave_test_pcsc_start (&error);
  if (pcsc != NULL && clave_test_pcsc_insert_card (pcsc, "lucia-dnie", &error))
    {
      card_home = g_dir_make_tmp ("bench-card-XXXXXX", NULL);
      variants[2] = (Variant) { "card", clave, base_env (card_home),
                                g_array_new (FALSE, FALSE, sizeof (double)) };
      variants[2].env = g_environ_setenv (variants[2].env, "PCSCLITE_CSOCK_NAME",
                                          clave_test_pcsc_get_socket (pcsc), TRUE);
      n_variants = 3;
    }
  else
    printf ("no card variant: %s\n", error != NULL ? error->message : "no PC/SC fixture");
  g_clear_error (&error);
#else
  printf ("no card variant: built without the PC/SC fixture\n");
#endif

  /* One run each first, not counted: disk caches warm for all alike. */
  for (guint v = 0; v < n_variants; v++)
    measure (&variants[v]);

  for (int r = 0; r < runs && ok; r++)
    for (guint v = 0; v < n_variants && ok; v++)
      {
        double ms = measure (&variants[v]);

        if (ms < 0)
          ok = FALSE;
        else
          g_array_append_val (variants[v].ms, ms);
      }

  if (ok)
    {
      double base = median (variants[0].ms);

      for (guint v = 0; v < n_variants; v++)
        print_variant (&variants[v]);
      for (guint v = 1; v < n_variants; v++)
        {
          double ratio = median (variants[v].ms) / base;

          printf ("ratio %s / bare: %.2f (target <= %.2f)\n", variants[v].name, ratio, max_ratio);
          if (ratio > max_ratio)
            ok = FALSE;
        }
      if (n_variants == 3)
        printf ("ratio card / no-module: %.2f\n",
                median (variants[2].ms) / median (variants[1].ms));
      print_load ();
    }

#ifdef HAVE_TEST_PCSC
  if (pcsc != NULL)
    clave_test_pcsc_stop (pcsc);
#endif
  for (guint v = 0; v < n_variants; v++)
    {
      g_strfreev (variants[v].env);
      g_array_unref (variants[v].ms);
    }
  clave_test_remove_tree (bare_home);
  clave_test_remove_tree (clave_home);
  clave_test_remove_tree (card_home);
  return ok ? 0 : 1;
}
