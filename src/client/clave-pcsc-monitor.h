/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reader and card events from the PC/SC service (pcscd), as pcsc_scan and
 * AusweisApp take them: a thread blocks in SCardGetStatusChange, which
 * costs no card I/O, and wakes when a reader comes or goes or a card is
 * inserted or removed. Another thread can cancel the wait (SCardCancel).
 *
 * Not a GObject: it lives in the token watcher's thread; only
 * _clave_pcsc_monitor_cancel() may be called from another thread. */

typedef enum {
  CLAVE_PCSC_EVENT_CHANGED,      /* a reader or card came or went (or first contact) */
  CLAVE_PCSC_EVENT_TIMEOUT,      /* nothing changed within the timeout */
  CLAVE_PCSC_EVENT_CANCELLED,    /* _clave_pcsc_monitor_cancel() was called */
  CLAVE_PCSC_EVENT_UNAVAILABLE,  /* pcscd cannot be reached; try again later */
} ClavePcscEvent;

typedef struct _ClavePcscMonitor ClavePcscMonitor;

ClavePcscMonitor *_clave_pcsc_monitor_new     (void);
void              _clave_pcsc_monitor_free    (ClavePcscMonitor *self);
/* Waits up to @timeout_ms (-1: without limit). Connects to pcscd when it
 * is not connected; the first answer after connecting is CHANGED, as
 * anything may have changed while it was not connected. Returns at once
 * with CANCELLED if a cancel came since the previous wait. */
ClavePcscEvent    _clave_pcsc_monitor_wait    (ClavePcscMonitor *self,
                                               int               timeout_ms);
/* Any thread: ends the current wait, or the next one. */
void              _clave_pcsc_monitor_cancel  (ClavePcscMonitor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClavePcscMonitor, _clave_pcsc_monitor_free)

G_END_DECLS
