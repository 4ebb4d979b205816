/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-token-manager.h"

G_BEGIN_DECLS

/* clave-desktop --diagnose [--watch]: the card layer from a terminal, no
 * window and no display needed. */

typedef enum {
  CLAVE_DIAGNOSE_EXIT_USABLE      = 0,  /* a certificate valid now, on a card or in a file */
  CLAVE_DIAGNOSE_EXIT_NONE        = 1,  /* none */
  CLAVE_DIAGNOSE_EXIT_NO_SERVICE  = 2,  /* none, and pcscd cannot be reached */
} ClaveDiagnoseExit;

/* Prints the report of Card Readers and Certificates on stdout. */
int clave_diagnose_command_report (ClaveTokenManager *manager);
/* Prints one timestamped line per reader, card or certificate that
 * appears or goes, until SIGINT or SIGTERM; returns 0 then. */
int clave_diagnose_command_watch  (ClaveTokenManager *manager);

G_END_DECLS
