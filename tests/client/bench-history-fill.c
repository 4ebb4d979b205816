/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "bench-history-fill.h"
#include "clave-history-store.h"
#include "clave-history-store-private.h"

static const char *const organisations[] = {
  "Agencia Tributaria", "Seguridad Social", "Dirección General de Tráfico",
  "Servicio Público de Empleo Estatal", "Ministerio de Hacienda", "Ayuntamiento de Madrid",
  "Ayuntamiento de Málaga", "Generalitat Valenciana", "Junta de Andalucía",
  "Xunta de Galicia", "Gobierno de Canarias", "Comunidad de Madrid", "Catastro",
  "Registro Civil", "Ministerio del Interior", "Universidad de Salamanca",
  "Colegio de Registradores", "Instituto Nacional de Estadística", "Correos", "MUFACE",
};

void
bench_history_fill (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveHistoryStore) store = clave_history_store_open (path, &error);
  gint64 start = g_get_monotonic_time ();
  GRand *rand = g_rand_new_with_seed (4);
  ClaveHistoryEntry entry = { 0 };
  char id[32], origin[64];

  g_assert_no_error (error);
  /* Only for generating the rows, in this short-lived child: a big
   * cache and no journal. The app syncs at most 1000 rows a transaction
   * with the store's own settings (WAL), which the parent reopens with. */
  sqlite3_exec (_clave_history_store_get_db (store),
                "PRAGMA cache_size=-262144; PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF",
                NULL, NULL, NULL);

  g_assert_true (_clave_history_store_begin (store, &error));
  for (guint i = 0; i < BENCH_HISTORY_ROWS; i++)
    {
      guint r = g_rand_int_range (rand, 0, 100);
      /* Skewed like real life: a few organisations get most requests. */
      guint org = MIN ((guint) (g_rand_double (rand) * g_rand_double (rand) * G_N_ELEMENTS (organisations)),
                       G_N_ELEMENTS (organisations) - 1);

      g_snprintf (id, sizeof id, "req_%016x%04x", i, g_rand_int_range (rand, 0, 0xffff));
      g_snprintf (origin, sizeof origin, "https://sede%u.example.gob.es", org);
      entry.seq = i + 1;
      entry.id = id;
      entry.type = r < 50 ? "qr" : r < 85 ? "push" : "sms";
      entry.status = r % 20 == 0 ? "pending" : r % 10 == 1 ? "rejected" : r % 7 == 2 ? "expired" : "confirmed";
      entry.organisation = (char *) organisations[org];
      entry.origin = origin;
      entry.created_at = BENCH_HISTORY_START_TIME + (gint64) i * BENCH_HISTORY_SPACING + g_rand_int_range (rand, 0, 100);
      entry.answered_at = g_str_equal (entry.status, "confirmed") ? entry.created_at + 20 : 0;

      if (!_clave_history_store_insert_one (store, &entry, &error))
        g_error ("insert: %s", error->message);
    }
  g_assert_true (_clave_history_store_commit (store, &error));
  sqlite3_exec (_clave_history_store_get_db (store), "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
  g_rand_free (rand);

  printf ("filled %u rows in one transaction: %.1f s\n", BENCH_HISTORY_ROWS,
          (g_get_monotonic_time () - start) / 1e6);
  fflush (stdout);
}
