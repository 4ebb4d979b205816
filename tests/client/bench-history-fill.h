/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The rows of the "My requests" benchmarks (bench-history.c,
 * bench-history-scroll.c): one generator and seed, so both measure the
 * same cache. */

#define BENCH_HISTORY_ROWS        1000000
#define BENCH_HISTORY_START_TIME  1609459200   /* 2021-01-01 */
/* Seconds between two requests on average. */
#define BENCH_HISTORY_SPACING     157

/* Writes BENCH_HISTORY_ROWS requests, skewed like real life (a few
 * organisations get most), to a new history cache at @path in one
 * transaction, and prints how long it took. Meant for a short-lived
 * child process: it sets a big cache and no journal while it writes. */
void bench_history_fill (const char *path);

G_END_DECLS
