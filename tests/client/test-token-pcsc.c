/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-token-pcsc"

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "clave-test-pcsc.h"
#include "clave-token-manager-private.h"
#include "client-test-util.h"

/*
 * ClaveTokenManager over the real PC/SC path: OpenSC's PKCS#11 module,
 * pcscd and a virtual card (tests/common/clave-test-pcsc.h), a CAC card
 * that carries a DNIe-style certificate without any of the labels OpenSC
 * gives a DNIe's objects.
 *
 * What a person would notice: the card is offered (as a DNIe), with the
 * chain it carries; the card shows and goes within half a second; nothing
 * talks to the card while nothing changes; a wrong PIN is said as such
 * with the tries left, even from a driver that answers CKR_GENERAL_ERROR;
 * and another program holding the card never keeps the manager from
 * stopping. Latencies are printed as TAP comments (meson test -v).
 */

#define WRONG_PIN        "654321"
#define CYCLES           10
/* The targets of issue 7: a change shows within 0.5 s of pcscd seeing it
 * (medians); a single slow cycle on a loaded machine may take longer. */
#define TARGET_MS        500.0
#define WORST_MS         2000.0
/* CLAVE_TEST_IDLE_SECONDS makes it longer, to measure by hand. */
#define IDLE_SECONDS     5
#define STOP_LIMIT_MS    1000.0

typedef struct {
  ClaveTestPcsc     *pcsc;
  ClaveTokenManager *manager;
  char              *cert_dir;
} Fixture;

static double
ms_since (gint64 start)
{
  return (double) (g_get_monotonic_time () - start) / 1000.0;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (clave_test_pcsc_get_opensc_module () == NULL)
    {
      g_test_skip ("OpenSC's PKCS#11 module is not installed");
      return;
    }

  fixture->pcsc = clave_test_pcsc_start (&error);
  if (g_error_matches (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE))
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_no_error (error);
  fixture->cert_dir = g_dir_make_tmp ("clave-token-pcsc-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->manager != NULL)
    client_test_assert_finalize (g_steal_pointer (&fixture->manager));
  g_clear_pointer (&fixture->pcsc, clave_test_pcsc_stop);
  if (fixture->cert_dir != NULL)
    clave_test_remove_tree (fixture->cert_dir);
  g_clear_pointer (&fixture->cert_dir, g_free);
}

static ClaveTokenManager *
new_manager (Fixture *fixture)
{
  const char *modules[] = { clave_test_pcsc_get_opensc_module (), NULL };

  /* OpenSC as the extra module, not from the registry: the registry of
   * the machine running the tests may list other modules. */
  return clave_token_manager_new (modules, FALSE, fixture->cert_dir);
}

static void
insert (Fixture                *fixture,
        const char             *card,
        ClaveTestPcscCardFlags  flags)
{
  g_autoptr(GError) error = NULL;

  clave_test_pcsc_insert_card_with_flags (fixture->pcsc, card, flags, &error);
  g_assert_no_error (error);
}

static void
remove_card (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  clave_test_pcsc_remove_card (fixture->pcsc, &error);
  g_assert_no_error (error);
}

/* Iterates until the manager lists @n certificates; the time it took, or
 * a negative number after @seconds. */
static double
wait_for_n_items (ClaveTokenManager *manager,
                  guint              n,
                  double             seconds)
{
  GListModel *model = clave_token_manager_get_certificates (manager);
  gint64 start = g_get_monotonic_time ();

  while (g_list_model_get_n_items (model) != n)
    {
      if (ms_since (start) > seconds * 1000)
        return -1;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  return ms_since (start);
}

static void
iterate_for (double seconds)
{
  gint64 start = g_get_monotonic_time ();

  while (ms_since (start) < seconds * 1000)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
}

/* Starts the manager and waits for the card's certificate. */
static ClaveCertificate *
start_with_card (Fixture                *fixture,
                 const char             *card,
                 ClaveTestPcscCardFlags  flags)
{
  insert (fixture, card, flags);
  fixture->manager = new_manager (fixture);
  clave_token_manager_start (fixture->manager);
  g_assert_cmpfloat (wait_for_n_items (fixture->manager, 1, 30), >=, 0);
  g_assert_true (clave_token_manager_get_ready (fixture->manager));
  return g_list_model_get_item (clave_token_manager_get_certificates (fixture->manager), 0);
}

typedef struct {
  GAsyncResult *result;
} Pending;

static void
store_pending (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Pending *pending = user_data;

  pending->result = g_object_ref (result);
}

static GBytes *
sign (ClaveTokenManager  *manager,
      ClaveCertificate   *certificate,
      const char         *pin,
      ClavePinFlags      *flags,
      GError            **error)
{
  g_autoptr(GBytes) data = g_bytes_new_static ("challenge", 9);
  g_autoptr(GAsyncResult) result = NULL;

  clave_token_manager_sign_async (manager, certificate, pin, data, NULL,
                                  client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_token_manager_sign_finish (manager, result, NULL, flags, error);
}

/* Tests */

static void
test_dnie_on_other_card (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(ClaveCertificate) certificate = NULL;
  g_autoptr(GBytes) intermediate = NULL;
  GPtrArray *chain;

  if (fixture->pcsc == NULL)
    return;

  certificate = start_with_card (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);

  /* A CAC card: none of the labels OpenSC gives a DNIe's objects. */
  g_assert_null (strstr (clave_certificate_get_id (certificate), "CertAutenticacion"));
  /* Known as a DNIe by the certificate itself; only the authentication
   * certificate: not the signing one, not the intermediate. */
  g_assert_true (clave_certificate_is_dnie (certificate));
  g_assert_cmpuint (g_list_model_get_n_items (clave_token_manager_get_certificates (fixture->manager)),
                    ==, 1);
  g_assert_cmpstr (clave_certificate_get_document_number (certificate), ==, "12345678Z");
  g_assert_cmpstr (clave_certificate_get_holder_name (certificate), ==, "LUCÍA GARCÍA PÉREZ");
  g_assert_cmpstr (clave_certificate_get_issuer_name (certificate), ==, "AC DNIE 004");
  g_assert_cmpint (clave_certificate_get_source (certificate), ==, CLAVE_CERTIFICATE_SOURCE_TOKEN);

  /* The chain the card carries, found by the issuer's name. */
  chain = clave_certificate_get_chain (certificate);
  {
    g_autofree char *path = g_build_filename (g_getenv ("CLAVE_TEST_PKI_DIR"), "dnie-int.pem",
                                              NULL);

    intermediate = client_test_pem_file_to_der (path);
  }
  g_assert_cmpuint (chain->len, ==, 2);
  g_assert_true (g_bytes_equal (g_ptr_array_index (chain, 1), intermediate));

  /* The readers and the card, for the diagnostics. */
  g_assert_cmpuint (g_strv_length ((GStrv) clave_token_manager_get_readers (fixture->manager)), ==, 2);
  g_assert_cmpuint (g_strv_length ((GStrv) clave_token_manager_get_cards (fixture->manager)), ==, 1);
  g_assert_nonnull (strstr (clave_token_manager_get_cards (fixture->manager)[0],
                            clave_test_pcsc_get_reader_name (fixture->pcsc)));
}

static void
test_card_without_intermediate (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(ClaveCertificate) certificate = NULL;

  if (fixture->pcsc == NULL)
    return;

  /* The service completes the chain (tests/server: intermediates). */
  certificate = start_with_card (fixture, CLAVE_TEST_PCSC_CARD_LUCIA_NOINT, 0);
  g_assert_true (clave_certificate_is_dnie (certificate));
  g_assert_cmpuint (clave_certificate_get_chain (certificate)->len, ==, 1);
}

static void
test_sign_and_wrong_pin (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(ClaveCertificate) certificate = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  ClavePinFlags flags = CLAVE_PIN_FLAGS_NONE;

  if (fixture->pcsc == NULL)
    return;

  certificate = start_with_card (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);

  /* Two wrong PINs: each one said as such, the second with one try left. */
  signature = sign (fixture->manager, certificate, WRONG_PIN, &flags, &error);
  g_assert_null (signature);
  g_assert_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PIN);
  g_assert_cmpint (clave_test_pcsc_get_pin_tries (fixture->pcsc), ==, 2);
  g_clear_error (&error);

  signature = sign (fixture->manager, certificate, WRONG_PIN, &flags, &error);
  g_assert_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PIN);
  g_assert_true (flags & CLAVE_PIN_FLAGS_FINAL_TRY);
  g_assert_true (g_str_has_prefix (error->message, "The PIN is not correct. You have one try left"));
  g_clear_error (&error);

  /* The right one signs, and the card counts from three again. */
  signature = sign (fixture->manager, certificate, CLAVE_TEST_PCSC_PIN, &flags, &error);
  g_assert_no_error (error);
  g_assert_nonnull (signature);
  g_assert_cmpint (clave_test_pcsc_get_pin_tries (fixture->pcsc), ==, CLAVE_TEST_PCSC_MAX_TRIES);

  /* A blocked card says so before any PIN is sent. */
  g_assert_true (clave_test_pcsc_set_pin_tries (fixture->pcsc, 0, &error));
  g_clear_pointer (&signature, g_bytes_unref);
  signature = sign (fixture->manager, certificate, CLAVE_TEST_PCSC_PIN, &flags, &error);
  g_assert_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_PIN_LOCKED);
  g_assert_true (flags & CLAVE_PIN_FLAGS_LOCKED);
  /* A DNIe is unlocked at the police's update points. */
  g_assert_nonnull (strstr (error->message, "DNIe update point"));
}

static void
test_general_error_is_a_refusal (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(ClaveCertificate) certificate = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  ClavePinFlags flags = CLAVE_PIN_FLAGS_NONE;

  if (fixture->pcsc == NULL)
    return;

  /* libcacard's own answer to a wrong PIN (69 85), which OpenSC's C_Login
   * returns as CKR_GENERAL_ERROR. */
  certificate = start_with_card (fixture, CLAVE_TEST_PCSC_CARD_LUCIA,
                                 CLAVE_TEST_PCSC_CARD_RAW_LIBCACARD);
  signature = sign (fixture->manager, certificate, WRONG_PIN, &flags, &error);
  g_assert_null (signature);
  g_assert_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_REFUSED);
  g_assert_true (g_str_has_prefix (error->message, "The card refused the PIN or the signature."));
  g_assert_null (strstr (error->message, "PKCS"));
  g_assert_false (flags & CLAVE_PIN_FLAGS_LOCKED);
  g_clear_error (&error);

  /* And the right PIN still works. */
  signature = sign (fixture->manager, certificate, CLAVE_TEST_PCSC_PIN, &flags, &error);
  g_assert_no_error (error);
  g_assert_nonnull (signature);
}

static void
test_no_card_io_while_idle (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(ClaveCertificate) certificate = NULL;
  const char *seconds_env = g_getenv ("CLAVE_TEST_IDLE_SECONDS");
  int seconds = seconds_env != NULL ? atoi (seconds_env) : IDLE_SECONDS;
  guint64 before, after;

  if (fixture->pcsc == NULL)
    return;
  if (seconds < 1)
    seconds = IDLE_SECONDS;

  certificate = start_with_card (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);
  /* Let whatever the first look at the card started finish. */
  iterate_for (0.5);

  before = clave_test_pcsc_get_apdu_count (fixture->pcsc);
  iterate_for (seconds);
  after = clave_test_pcsc_get_apdu_count (fixture->pcsc);
  g_test_message ("APDUs while idle for %d s with a card: %" G_GUINT64_FORMAT
                  " (%.1f per minute)", seconds, after - before,
                  (after - before) * 60.0 / seconds);
  g_assert_cmpuint (after - before, ==, 0);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        GArray     *ms)
{
  double median, worst;

  g_array_sort (ms, compare_doubles);
  median = g_array_index (ms, double, ms->len / 2);
  worst = g_array_index (ms, double, ms->len - 1);
  g_test_message ("%s over %u cycles: min %.0f ms, median %.0f ms, max %.0f ms "
                  "(after pcscd reported it)", what, ms->len,
                  g_array_index (ms, double, 0), median, worst);
  g_assert_cmpfloat (median, <=, TARGET_MS);
  g_assert_cmpfloat (worst, <=, WORST_MS);
}

static void
test_insertion_and_removal (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(ClaveCertificate) certificate = NULL;
  g_autoptr(GArray) inserted = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) removed = g_array_new (FALSE, FALSE, sizeof (double));

  if (fixture->pcsc == NULL)
    return;

  certificate = start_with_card (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);

  for (int i = 0; i < CYCLES; i++)
    {
      double ms;

      remove_card (fixture);
      ms = wait_for_n_items (fixture->manager, 0, 10);
      g_assert_cmpfloat (ms, >=, 0);
      g_array_append_val (removed, ms);

      insert (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);
      ms = wait_for_n_items (fixture->manager, 1, 10);
      g_assert_cmpfloat (ms, >=, 0);
      g_array_append_val (inserted, ms);
    }

  report ("Removal shown", removed);
  report ("Insertion shown", inserted);
}

/* Another program holds a PC/SC transaction on the card (as a browser
 * or a signing tool does while it uses it): OpenSC waits for it, in
 * whatever thread asks. Stopping and dropping the manager must not. */

static void
release_holder (GSubprocess *holder)
{
  g_subprocess_send_signal (holder, SIGTERM);
  g_subprocess_wait (holder, NULL, NULL);
  /* The threads that waited for the card finish their work and let the
   * modules go before the next test loads them again. */
  iterate_for (1.5);
}

static void
assert_stops_quickly (ClaveTokenManager *manager)
{
  gint64 start = g_get_monotonic_time ();
  double ms;

  clave_token_manager_stop (manager);
  g_object_unref (manager);
  ms = ms_since (start);
  g_test_message ("Stopped and dropped with the card held: %.0f ms", ms);
  g_assert_cmpfloat (ms, <, STOP_LIMIT_MS);
}

static void
test_stop_while_card_held_at_start (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GError) error = NULL;
  ClaveTokenManager *manager;

  if (fixture->pcsc == NULL)
    return;

  insert (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);
  holder = clave_test_pcsc_hold_card (fixture->pcsc, &error);
  g_assert_no_error (error);

  /* OpenSC's C_Initialize looks at the card, and waits. Nothing here
   * does. */
  manager = new_manager (fixture);
  clave_token_manager_start (manager);
  iterate_for (1.0);
  g_assert_false (clave_token_manager_get_ready (manager));

  assert_stops_quickly (manager);
  release_holder (holder);
}

static void
test_stop_while_card_held_in_use (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(ClaveCertificate) certificate = NULL;
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GError) error = NULL;
  Pending *pending = g_new0 (Pending, 1);
  gint64 start;

  if (fixture->pcsc == NULL)
    {
      g_free (pending);
      return;
    }

  certificate = start_with_card (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);
  holder = clave_test_pcsc_hold_card (fixture->pcsc, &error);
  g_assert_no_error (error);

  /* The PIN dialog asks the card for its tries: that thread waits for
   * the other program, and the main loop goes on. */
  clave_token_manager_get_pin_flags_async (fixture->manager, certificate, NULL,
                                           store_pending, pending);
  start = g_get_monotonic_time ();
  iterate_for (1.0);
  g_assert_null (pending->result);
  g_assert_cmpfloat (ms_since (start), <, 1500);

  assert_stops_quickly (g_steal_pointer (&fixture->manager));
  release_holder (holder);

  /* The question is answered once the card is free. */
  start = g_get_monotonic_time ();
  while (pending->result == NULL)
    {
      g_assert_cmpfloat (ms_since (start), <, 20000);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_clear_object (&pending->result);
  g_free (pending);
}

/* A card another program had for itself alone when it was inserted is
 * read once that program lets go, without taking it out and in. */
static void
test_card_held_exclusively (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GError) error = NULL;
  double ms;

  if (fixture->pcsc == NULL)
    return;

  insert (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);
  holder = clave_test_pcsc_hold_card_with_mode (fixture->pcsc, TRUE, &error);
  g_assert_no_error (error);

  fixture->manager = new_manager (fixture);
  clave_token_manager_start (fixture->manager);
  iterate_for (1.5);
  g_assert_cmpuint (g_list_model_get_n_items (clave_token_manager_get_certificates (fixture->manager)),
                    ==, 0);

  g_subprocess_send_signal (holder, SIGTERM);
  g_subprocess_wait (holder, NULL, NULL);
  ms = wait_for_n_items (fixture->manager, 1, 10);
  g_test_message ("Card read %.0f ms after the other program let go of it", ms);
  g_assert_cmpfloat (ms, >=, 0);
  g_assert_cmpfloat (ms, <=, 2000);
}

/* pcscd stops (an update, a crash): the readers and cards go with it,
 * and come back when it does. */
static void
test_pcscd_goes_away (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(ClaveCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->pcsc == NULL)
    return;

  certificate = start_with_card (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);
  g_clear_pointer (&fixture->pcsc, clave_test_pcsc_stop);
  g_assert_cmpfloat (wait_for_n_items (fixture->manager, 0, 10), >=, 0);

  fixture->pcsc = clave_test_pcsc_start (&error);
  g_assert_no_error (error);
  insert (fixture, CLAVE_TEST_PCSC_CARD_LUCIA, 0);
  g_assert_cmpfloat (wait_for_n_items (fixture->manager, 1, 10), >=, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/token-pcsc/dnie-on-other-card", test_dnie_on_other_card);
  ADD ("/token-pcsc/card-without-intermediate", test_card_without_intermediate);
  ADD ("/token-pcsc/sign-and-wrong-pin", test_sign_and_wrong_pin);
  ADD ("/token-pcsc/general-error-is-a-refusal", test_general_error_is_a_refusal);
  ADD ("/token-pcsc/no-card-io-while-idle", test_no_card_io_while_idle);
  ADD ("/token-pcsc/insertion-and-removal", test_insertion_and_removal);
  ADD ("/token-pcsc/card-held-exclusively", test_card_held_exclusively);
  ADD ("/token-pcsc/pcscd-goes-away", test_pcscd_goes_away);
  ADD ("/token-pcsc/stop-while-card-held-at-start", test_stop_while_card_held_at_start);
  ADD ("/token-pcsc/stop-while-card-held-in-use", test_stop_while_card_held_in_use);

#undef ADD

  return g_test_run ();
}
