/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-pcsc-monitor"

#include "config.h"

#include <string.h>

#include <winscard.h>

#include "clave-pcsc-monitor.h"

/* pcsc-lite's pseudo reader that changes when readers come or go. */
#define PNP_READER "\\\\?PnP?\\Notification"

/* What matters of a reader's state: a card in it or not, readable or not.
 * SCARD_STATE_INUSE / EXCLUSIVE flip whenever some program (OpenSC in
 * this process too) connects, and pcscd powers idle cards down
 * (UNPOWERED): those are no reason to read the cards again. EXCLUSIVE
 * is: a card that another program held alone could not be read, and can
 * be once that program lets go. The upper 16
 * bits count insertions and removals, so that a card pulled out and put
 * back between two waits still counts. */
#define RELEVANT_STATE (SCARD_STATE_PRESENT | SCARD_STATE_EMPTY | SCARD_STATE_MUTE | \
                        SCARD_STATE_UNAVAILABLE | SCARD_STATE_UNKNOWN | SCARD_STATE_EXCLUSIVE)

struct _ClavePcscMonitor
{
  GMutex               lock;        /* context and cancelled */
  SCARDCONTEXT         context;
  gboolean             connected;
  gboolean             cancelled;
  GArray              *states;      /* SCARD_READERSTATE; [0] is PNP_READER */
};

static void
clear_states (ClavePcscMonitor *self)
{
  for (guint i = 0; i < self->states->len; i++)
    g_free ((char *) g_array_index (self->states, SCARD_READERSTATE, i).szReader);
  g_array_set_size (self->states, 0);
}

ClavePcscMonitor *
_clave_pcsc_monitor_new (void)
{
  ClavePcscMonitor *self = g_new0 (ClavePcscMonitor, 1);

  g_mutex_init (&self->lock);
  self->states = g_array_new (FALSE, TRUE, sizeof (SCARD_READERSTATE));
  return self;
}

static void
disconnect (ClavePcscMonitor *self)
{
  SCARDCONTEXT context;

  g_mutex_lock (&self->lock);
  context = self->context;
  self->connected = FALSE;
  self->context = 0;
  g_mutex_unlock (&self->lock);

  if (context != 0)
    SCardReleaseContext (context);
  clear_states (self);
}

void
_clave_pcsc_monitor_free (ClavePcscMonitor *self)
{
  if (self == NULL)
    return;

  disconnect (self);
  g_array_unref (self->states);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
_clave_pcsc_monitor_cancel (ClavePcscMonitor *self)
{
  g_mutex_lock (&self->lock);
  self->cancelled = TRUE;
  /* pcsc-lite's SCardCancel is made to be called from another thread
   * than the one waiting on the same context. */
  if (self->connected)
    SCardCancel (self->context);
  g_mutex_unlock (&self->lock);
}

static gboolean
take_cancel (ClavePcscMonitor *self)
{
  gboolean cancelled;

  g_mutex_lock (&self->lock);
  cancelled = self->cancelled;
  self->cancelled = FALSE;
  g_mutex_unlock (&self->lock);

  return cancelled;
}

static void
add_state (ClavePcscMonitor *self,
           const char       *reader,
           DWORD             current)
{
  SCARD_READERSTATE state = { 0 };

  state.szReader = g_strdup (reader);
  state.dwCurrentState = current;
  g_array_append_val (self->states, state);
}

static DWORD
previous_state (GArray     *states,
                const char *reader)
{
  for (guint i = 1; i < states->len; i++)
    {
      SCARD_READERSTATE *state = &g_array_index (states, SCARD_READERSTATE, i);

      if (g_str_equal (state->szReader, reader))
        return state->dwEventState & ~(DWORD) SCARD_STATE_CHANGED;
    }

  return SCARD_STATE_UNAWARE;
}

/* The reader names pcscd lists now, or NULL when pcscd went away. */
static GStrv
fetch_reader_names (SCARDCONTEXT context)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *names = NULL;
  DWORD length = 0;
  LONG rv = SCARD_S_SUCCESS;

  /* The list can grow between the two calls. */
  for (int attempt = 0; attempt < 4; attempt++)
    {
      rv = SCardListReaders (context, NULL, NULL, &length);
      if (rv == SCARD_E_NO_READERS_AVAILABLE)
        return g_strv_builder_end (builder);
      if (rv != SCARD_S_SUCCESS)
        break;

      g_clear_pointer (&names, g_free);
      names = g_malloc0 (length + 1);
      rv = SCardListReaders (context, NULL, names, &length);
      if (rv == SCARD_E_INSUFFICIENT_BUFFER)
        continue;
      if (rv == SCARD_E_NO_READERS_AVAILABLE)
        return g_strv_builder_end (builder);
      break;
    }

  if (rv != SCARD_S_SUCCESS)
    {
      g_debug ("SCardListReaders: %s", pcsc_stringify_error (rv));
      return NULL;
    }

  /* A multi-string: names separated by NULs, ending with an empty one. */
  for (const char *name = names; name != NULL && *name != '\0' && name < names + length;
       name += strlen (name) + 1)
    g_strv_builder_add (builder, name);

  return g_strv_builder_end (builder);
}

/* Lists the readers again, keeping what was known of the ones that are
 * still there. FALSE when pcscd went away. */
static gboolean
list_readers (ClavePcscMonitor *self)
{
  g_autoptr(GArray) old = self->states;
  g_auto(GStrv) names = fetch_reader_names (self->context);

  self->states = g_array_new (FALSE, TRUE, sizeof (SCARD_READERSTATE));
  add_state (self, PNP_READER,
             old->len > 0 ? g_array_index (old, SCARD_READERSTATE, 0).dwEventState &
                              ~(DWORD) SCARD_STATE_CHANGED
                          : SCARD_STATE_UNAWARE);

  for (gsize i = 0; names != NULL && names[i] != NULL; i++)
    add_state (self, names[i], previous_state (old, names[i]));

  for (guint i = 0; i < old->len; i++)
    g_free ((char *) g_array_index (old, SCARD_READERSTATE, i).szReader);

  return names != NULL;
}

/* pcsc-lite before 2.1 compares the reader count of its PnP pseudo
 * reader with the count when SCardGetStatusChange() was called, not
 * with the caller's: a reader plugged in between two waits (while the
 * cards were being read) would never be seen. Asking for the list costs
 * pcscd a message, no card I/O. */
static gboolean
readers_changed (ClavePcscMonitor *self,
                 gboolean         *gone)
{
  g_auto(GStrv) names = fetch_reader_names (self->context);
  guint n = 0;

  *gone = names == NULL;
  if (names == NULL)
    return TRUE;

  for (gsize i = 0; names[i] != NULL; i++, n++)
    if (n + 1 >= self->states->len ||
        !g_str_equal (names[i], g_array_index (self->states, SCARD_READERSTATE, n + 1).szReader))
      return TRUE;

  return n + 1 != self->states->len;
}

static gboolean
connect_pcscd (ClavePcscMonitor *self)
{
  SCARDCONTEXT context = 0;
  LONG rv;

  rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context);
  if (rv != SCARD_S_SUCCESS)
    {
      g_debug ("SCardEstablishContext: %s", pcsc_stringify_error (rv));
      return FALSE;
    }

  g_mutex_lock (&self->lock);
  self->context = context;
  self->connected = TRUE;
  g_mutex_unlock (&self->lock);

  if (!list_readers (self))
    {
      disconnect (self);
      return FALSE;
    }

  /* Learn the present state without waiting. */
  rv = SCardGetStatusChange (self->context, 0, (SCARD_READERSTATE *) self->states->data,
                             self->states->len);
  if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
    {
      g_debug ("SCardGetStatusChange: %s", pcsc_stringify_error (rv));
      disconnect (self);
      return FALSE;
    }
  for (guint i = 0; i < self->states->len; i++)
    {
      SCARD_READERSTATE *state = &g_array_index (self->states, SCARD_READERSTATE, i);

      state->dwCurrentState = state->dwEventState & ~(DWORD) SCARD_STATE_CHANGED;
    }

  return TRUE;
}

/* Takes the new states as current ones; TRUE if a card or reader came or
 * went. */
static gboolean
take_changes (ClavePcscMonitor *self)
{
  gboolean relevant = FALSE;
  gboolean readers_changed = FALSE;

  for (guint i = 0; i < self->states->len; i++)
    {
      SCARD_READERSTATE *state = &g_array_index (self->states, SCARD_READERSTATE, i);
      DWORD before = state->dwCurrentState;
      DWORD after = state->dwEventState & ~(DWORD) SCARD_STATE_CHANGED;

      if (!(state->dwEventState & SCARD_STATE_CHANGED))
        continue;

      if (i == 0)
        readers_changed = TRUE;
      else if ((before & RELEVANT_STATE) != (after & RELEVANT_STATE) ||
               (before >> 16) != (after >> 16))
        relevant = TRUE;

      state->dwCurrentState = after;
    }

  if (readers_changed)
    return TRUE;

  return relevant;
}

ClavePcscEvent
_clave_pcsc_monitor_wait (ClavePcscMonitor *self,
                          int               timeout_ms)
{
  gint64 deadline = timeout_ms < 0 ? -1 : g_get_monotonic_time () +
                                              (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;

  if (take_cancel (self))
    return CLAVE_PCSC_EVENT_CANCELLED;

  if (!self->connected)
    {
      if (!connect_pcscd (self))
        return CLAVE_PCSC_EVENT_UNAVAILABLE;
      return CLAVE_PCSC_EVENT_CHANGED;
    }

  for (;;)
    {
      DWORD timeout = INFINITE;
      gboolean gone = FALSE;
      LONG rv;

      if (readers_changed (self, &gone))
        {
          if (gone || !list_readers (self))
            {
              disconnect (self);
              return CLAVE_PCSC_EVENT_UNAVAILABLE;
            }
          return CLAVE_PCSC_EVENT_CHANGED;
        }

      if (deadline >= 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();

          if (left <= 0)
            return CLAVE_PCSC_EVENT_TIMEOUT;
          timeout = (DWORD) ((left + G_TIME_SPAN_MILLISECOND - 1) / G_TIME_SPAN_MILLISECOND);
        }

      rv = SCardGetStatusChange (self->context, timeout, (SCARD_READERSTATE *) self->states->data,
                                 self->states->len);
      switch (rv)
        {
        case SCARD_S_SUCCESS:
          {
            gboolean readers_changed = g_array_index (self->states, SCARD_READERSTATE, 0)
                                         .dwEventState & SCARD_STATE_CHANGED;

            if (!take_changes (self))
              break;
            if (readers_changed && !list_readers (self))
              {
                disconnect (self);
                return CLAVE_PCSC_EVENT_UNAVAILABLE;
              }
            return CLAVE_PCSC_EVENT_CHANGED;
          }

        case SCARD_E_TIMEOUT:
          return CLAVE_PCSC_EVENT_TIMEOUT;

        case SCARD_E_CANCELLED:
          take_cancel (self);
          return CLAVE_PCSC_EVENT_CANCELLED;

        case SCARD_E_UNKNOWN_READER:
        case SCARD_E_READER_UNAVAILABLE:
          /* A reader went away between two waits. */
          if (!list_readers (self))
            {
              disconnect (self);
              return CLAVE_PCSC_EVENT_UNAVAILABLE;
            }
          return CLAVE_PCSC_EVENT_CHANGED;

        default:
          /* pcscd stopped or restarted (SCARD_E_NO_SERVICE,
           * SCARD_E_INVALID_HANDLE...): connect again next time. */
          g_debug ("SCardGetStatusChange: %s", pcsc_stringify_error (rv));
          disconnect (self);
          return CLAVE_PCSC_EVENT_UNAVAILABLE;
        }

      /* Only an uninteresting change (a program connected): wait on. */
      if (take_cancel (self))
        return CLAVE_PCSC_EVENT_CANCELLED;
    }
}
