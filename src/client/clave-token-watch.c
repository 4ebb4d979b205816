/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-token-manager"

#include "config.h"

#include <string.h>

#include "clave-pcsc-monitor.h"
#include "clave-token-manager-private.h"

/*
 * The token watcher: one thread that keeps the list of readers, cards and
 * certificates up to date.
 *
 * Cards are not polled. Asking OpenSC about a card (C_GetTokenInfo) is a
 * PC/SC transaction and an APDU, and it waits behind any other program that
 * holds the card; doing it twice a second for the life of the application
 * wore the card and slowed every other PC/SC client. Instead the thread
 * sleeps in SCardGetStatusChange, which pcscd answers without touching any
 * card, and reads the cards again only when a reader or card comes or
 * goes. Modules that do not read cards through pcscd (SoftHSM2, vendor
 * modules of other kinds) get a cheap presence check (C_GetSlotList and
 * C_GetSlotInfo, no token info) every POLL_INTERVAL_MS.
 */

/* Presence checks of modules without PC/SC events. */
#define POLL_INTERVAL_MS    500
/* How often to try pcscd again when it cannot be reached. */
#define RETRY_INTERVAL_MS   1000
/* A card that could not be read (another program held it alone, or it
 * was still powering up) is looked at again after 0.5, 1, 2, 4, 8 s. */
#define FIRST_RETRY_MS      500
#define MAX_RETRIES         5
/* How long stop waits for the thread to finish before leaving it to end
 * on its own (it is then inside a driver that waits for a card). */
#define STOP_GRACE_MS       300

struct _ClaveTokenWatch
{
  gatomicrefcount       ref_count;
  GMutex                lock;
  GCond                 cond;
  gboolean              stopping;
  gboolean              finished;
  GThread              *thread;
  GCancellable         *cancellable;
  ClavePcscMonitor     *monitor;
  ClaveTokenBackend    *backend;

  /* The caller's main context only. */
  GMainContext         *context;
  ClaveTokenWatchFunc   callback;
  gpointer              user_data;
};

static ClaveTokenWatch *
watch_ref (ClaveTokenWatch *watch)
{
  g_atomic_ref_count_inc (&watch->ref_count);
  return watch;
}

static void
watch_unref (ClaveTokenWatch *watch)
{
  if (!g_atomic_ref_count_dec (&watch->ref_count))
    return;

  g_clear_pointer (&watch->monitor, _clave_pcsc_monitor_free);
  g_clear_object (&watch->cancellable);
  g_clear_pointer (&watch->backend, _clave_token_backend_unref);
  g_main_context_unref (watch->context);
  g_mutex_clear (&watch->lock);
  g_cond_clear (&watch->cond);
  g_free (watch);
}

typedef struct {
  ClaveTokenWatch    *watch;
  ClaveTokenSnapshot  snapshot;
} WatchUpdate;

static void
watch_update_free (WatchUpdate *update)
{
  watch_unref (update->watch);
  g_ptr_array_unref (update->snapshot.certificates);
  g_strfreev (update->snapshot.readers);
  g_strfreev (update->snapshot.cards);
  g_free (update);
}

static gboolean
apply_update (gpointer user_data)
{
  WatchUpdate *update = user_data;

  /* NULL once stopped. */
  if (update->watch->callback != NULL)
    update->watch->callback (&update->snapshot, update->watch->user_data);

  return G_SOURCE_REMOVE;
}

static void
post (ClaveTokenWatch *watch,
      ClaveTokenScan  *scan)
{
  WatchUpdate *update = g_new0 (WatchUpdate, 1);
  GSource *source;

  update->watch = watch_ref (watch);
  update->snapshot.certificates = _clave_token_scan_get_certificates (scan);
  update->snapshot.readers = _clave_token_scan_dup_readers (scan);
  update->snapshot.cards = _clave_token_scan_dup_cards (scan);

  /* Always queued, never g_main_context_invoke(): from a thread whose
   * thread-default context is the global default, invoke runs the
   * function right here whenever the main thread is not iterating at that
   * moment, and the list would change under the main thread's feet. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, apply_update, update, (GDestroyNotify) watch_update_free);
  g_source_set_static_name (source, "[clave] token list update");
  g_source_attach (source, watch->context);
  g_source_unref (source);
}

static gboolean
is_stopping (ClaveTokenWatch *watch)
{
  gboolean stopping;

  g_mutex_lock (&watch->lock);
  stopping = watch->stopping;
  g_mutex_unlock (&watch->lock);

  return stopping;
}

/* Sleeps @ms unless asked to stop. */
static void
sleep_unless_stopped (ClaveTokenWatch *watch,
                      int              ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&watch->lock);
  while (!watch->stopping)
    if (!g_cond_wait_until (&watch->cond, &watch->lock, deadline))
      break;
  g_mutex_unlock (&watch->lock);
}

/* Polls the modules without PC/SC events: marks in @rescan those whose
 * cards changed. */
static gboolean
poll_presence (GPtrArray *modules,
               GPtrArray *presence,
               gboolean  *rescan)
{
  gboolean any = FALSE;

  for (guint m = 0; m < modules->len; m++)
    {
      ClavePkcs11Module *module = g_ptr_array_index (modules, m);
      g_autofree char *now = NULL;

      if (g_ptr_array_index (presence, m) == NULL)
        continue;

      now = _clave_pkcs11_module_presence (module);
      if (!g_str_equal (now, g_ptr_array_index (presence, m)))
        {
          g_free (g_ptr_array_index (presence, m));
          g_ptr_array_index (presence, m) = g_steal_pointer (&now);
          rescan[m] = TRUE;
          any = TRUE;
        }
    }

  return any;
}

static gpointer
watch_thread (gpointer user_data)
{
  ClaveTokenWatch *watch = user_data;
  g_autoptr(ClaveTokenScan) last = NULL;
  g_autoptr(GPtrArray) presence = g_ptr_array_new_with_free_func (g_free);
  g_autofree gboolean *rescan = NULL;
  gboolean pcsc = FALSE, polled = FALSE;
  gboolean pcscd_seen = FALSE;
  gint64 retry_at = 0;
  guint retries = 0;
  GPtrArray *modules;

  if (!_clave_token_backend_wait (watch->backend, watch->cancellable))
    goto out;

  modules = _clave_token_backend_get_modules (watch->backend);
  rescan = g_new0 (gboolean, modules->len + 1);
  for (guint m = 0; m < modules->len; m++)
    {
      ClavePkcs11Module *module = g_ptr_array_index (modules, m);
      char *state = NULL;

      if (_clave_pkcs11_module_has_pcsc_events (module))
        pcsc = TRUE;
      else if (_clave_pkcs11_module_is_loaded (module))
        {
          polled = TRUE;
          state = _clave_pkcs11_module_presence (module);
        }
      g_ptr_array_add (presence, state);
    }

  /* Listen before looking, so that nothing that happens in between is
   * missed; what pcscd says now is what the scan below sees. */
  if (pcsc)
    pcscd_seen = _clave_pcsc_monitor_wait (watch->monitor, 0) != CLAVE_PCSC_EVENT_UNAVAILABLE;

  last = _clave_pkcs11_scan (modules, NULL, NULL);
  /* Always: the first list also tells that the cards were looked at. */
  post (watch, last);
  if (_clave_token_scan_is_incomplete (last))
    retry_at = g_get_monotonic_time () + (gint64) (FIRST_RETRY_MS << retries++) *
                                         G_TIME_SPAN_MILLISECOND;

  while (!is_stopping (watch))
    {
      ClavePcscEvent event = CLAVE_PCSC_EVENT_UNAVAILABLE;
      gboolean all = FALSE, any = FALSE;
      int timeout = polled ? POLL_INTERVAL_MS : -1;
      ClaveTokenScan *scan;

      /* A card that could not be read is looked at again, less and
       * less often, a few times: then only when something changes. */
      if (retry_at > 0)
        {
          int until = (int) MAX (0, (retry_at - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND);

          timeout = timeout < 0 ? until : MIN (timeout, until);
        }

      if (pcsc)
        event = _clave_pcsc_monitor_wait (watch->monitor, timeout);
      if (event == CLAVE_PCSC_EVENT_UNAVAILABLE)
        sleep_unless_stopped (watch, timeout >= 0 ? MIN (timeout, RETRY_INTERVAL_MS)
                                                  : RETRY_INTERVAL_MS);
      if (is_stopping (watch))
        break;

      memset (rescan, 0, sizeof (gboolean) * modules->len);
      if (event == CLAVE_PCSC_EVENT_CHANGED)
        {
          all = TRUE;
          pcscd_seen = TRUE;
          retries = 0;
        }
      else if (event == CLAVE_PCSC_EVENT_UNAVAILABLE && pcscd_seen)
        {
          /* pcscd went away, and the readers with it. */
          all = TRUE;
          pcscd_seen = FALSE;
        }
      if (retry_at > 0 && g_get_monotonic_time () >= retry_at)
        all = TRUE;
      if (polled)
        any = poll_presence (modules, presence, rescan);
      if (!all && !any)
        continue;

      scan = _clave_pkcs11_scan (modules, last, all ? NULL : rescan);
      if (!_clave_token_scan_equal (scan, last))
        post (watch, scan);
      _clave_token_scan_free (g_steal_pointer (&last));
      last = scan;

      retry_at = 0;
      if (_clave_token_scan_is_incomplete (last) && retries < MAX_RETRIES)
        retry_at = g_get_monotonic_time () +
                   (gint64) (FIRST_RETRY_MS << retries++) * G_TIME_SPAN_MILLISECOND;
    }

out:
  g_mutex_lock (&watch->lock);
  watch->finished = TRUE;
  g_cond_broadcast (&watch->cond);
  g_mutex_unlock (&watch->lock);

  watch_unref (watch);
  return NULL;
}

ClaveTokenWatch *
_clave_token_watch_start (ClaveTokenBackend   *backend,
                          ClaveTokenWatchFunc  callback,
                          gpointer             user_data)
{
  ClaveTokenWatch *watch = g_new0 (ClaveTokenWatch, 1);

  g_atomic_ref_count_init (&watch->ref_count);
  g_mutex_init (&watch->lock);
  g_cond_init (&watch->cond);
  watch->cancellable = g_cancellable_new ();
  watch->monitor = _clave_pcsc_monitor_new ();
  watch->backend = _clave_token_backend_ref (backend);
  watch->context = g_main_context_ref_thread_default ();
  watch->callback = callback;
  watch->user_data = user_data;
  watch->thread = g_thread_new ("clave-token-watch", watch_thread, watch_ref (watch));

  return watch;
}

void
_clave_token_watch_stop (ClaveTokenWatch *watch)
{
  gint64 deadline = g_get_monotonic_time () + STOP_GRACE_MS * G_TIME_SPAN_MILLISECOND;
  gboolean finished;

  /* Queued updates find no callback. */
  watch->callback = NULL;

  g_mutex_lock (&watch->lock);
  watch->stopping = TRUE;
  g_cond_broadcast (&watch->cond);
  g_mutex_unlock (&watch->lock);

  g_cancellable_cancel (watch->cancellable);

  /* SCardCancel only ends a wait that has begun: one that begins just
   * after it would wait on. So it is repeated while stop waits. */
  g_mutex_lock (&watch->lock);
  while (!watch->finished && g_get_monotonic_time () < deadline)
    {
      g_mutex_unlock (&watch->lock);
      _clave_pcsc_monitor_cancel (watch->monitor);
      g_mutex_lock (&watch->lock);
      g_cond_wait_until (&watch->cond, &watch->lock,
                         MIN (deadline, g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND));
    }
  finished = watch->finished;
  g_mutex_unlock (&watch->lock);

  if (finished)
    {
      g_thread_join (watch->thread);
    }
  else
    {
      /* Inside a driver that waits for a card (another program holds
       * it): it ends on its own, with its references, or with the
       * process. */
      g_message ("The card thread is busy in a smart card driver; not waiting for it");
      g_thread_unref (watch->thread);
    }
  watch->thread = NULL;

  watch_unref (watch);
}
