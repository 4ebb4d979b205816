/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-store.h"

G_BEGIN_DECLS

/* A new, empty store kept in the folder @dir (which the suite removes). */
typedef ClaveStore *(*StoreSuiteNewFunc) (const char  *dir,
                                          GError     **error);

/* The tests every ClaveStore implementation must pass (issue 10: a
 * second one, PostgreSQL, is coming): what clave-store.h promises, through
 * the interface only. Adds them under @prefix ("/store/sqlite"). */
void store_suite_add (const char        *prefix,
                      StoreSuiteNewFunc  new_store);

G_END_DECLS
