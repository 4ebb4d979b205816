/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-window.h"

G_BEGIN_DECLS

/* Shared by the files of ClaveWindow: clave-window.c (pages, actions,
 * navigation, the device key), clave-window-messages.c (toasts and
 * errors) and clave-window-requests.c (Cl@ve Móvil requests). */

struct _ClaveWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  GtkWidget            *back_button;
  AdwWindowTitle       *window_title;
  GtkWidget            *header_spinner;
  GtkWidget            *personal_area_button;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *page_stack;

  GCancellable         *cancellable;
  GPtrArray            *history;        /* page names Back leads to, last first out */
  ClavePage            *current_page;
  guint                 busy;
  gboolean              closed;
  gboolean              deactivating;   /* the person deactivates this computer */
  /* Requests that came while another was on screen (ClaveAuthRequestInfo*,
   * oldest first): shown one after another, never over one being
   * answered. */
  GQueue                queued_requests;
  guint                 next_request_id;

  AdwToast             *toast;          /* the toast on screen, if any */
  gint64                toast_settled_at; /* when the last one has finished sliding in */
  ClaveRetryFunc        retry;
  gpointer              retry_data;
  GDestroyNotify        retry_data_destroy;

  /* The activation or registration in progress, shared by the pages of
   * the flow (no widgets: tests/client/test-flow.c). */
  ClaveFlow            *flow;
};

void
_clave_window_clear_retry (ClaveWindow *self);

void
_clave_window_dismiss_toast (ClaveWindow *self);

GtkWidget *
_clave_window_ensure_page (ClaveWindow *self,
                           const char  *name);

void
_clave_window_set_busy (ClaveWindow *self,
                        gboolean     busy);

gboolean
_clave_window_show_next_request (gpointer user_data);

G_END_DECLS
