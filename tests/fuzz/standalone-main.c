/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The main() of a fuzz target outside -Dfuzzing=true builds: replays the
 * files named on the command line, and every file of the directories named
 * there (seed corpora, regressions), through LLVMFuzzerTestOneInput(), one
 * TAP test point each. A crash or a violated property aborts, which fails
 * the test; a directory that does not exist (generated seeds of a build
 * without certtool) is skipped. */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz-common.h"

/* Defined only by the targets that need set-up done once. */
int LLVMFuzzerInitialize (int    *argc,
                          char ***argv) __attribute__ ((weak));

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
collect (const char *path,
         GPtrArray  *files)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_strdup (path));
      else
        printf ("# skipped %s: not there\n", path);
      return;
    }

  dir = g_dir_open (path, 0, NULL);
  names = g_ptr_array_new_with_free_func (g_free);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    if (g_file_test (g_ptr_array_index (names, i), G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (files, g_strdup (g_ptr_array_index (names, i)));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);

  for (int i = 1; i < argc; i++)
    collect (argv[i], files);

  printf ("1..%u\n", files->len);
  if (files->len == 0)
    printf ("# no inputs\n");
  fflush (stdout);

  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (!g_file_get_contents (path, &contents, &length, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, path, error->message);
          continue;
        }

      /* Where a crash happened, whatever the harness prints. */
      fprintf (stderr, "fuzz: running %s\n", path);
      LLVMFuzzerTestOneInput ((const guint8 *) contents, length);
      printf ("ok %u - %s\n", i + 1, path);
      fflush (stdout);
    }

  return 0;
}
