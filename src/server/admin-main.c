/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-admin"

#include "config.h"

#include <locale.h>
#include <sys/stat.h>

#include "clave-admin.h"

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  /* The database and its WAL hold personal data: private, like the
   * server's own files. */
  umask (0077);
  return clave_admin_run (argc, argv);
}
