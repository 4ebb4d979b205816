/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveWindow: toasts, errors with Retry, card problems. */
#define G_LOG_DOMAIN "clave-window"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-window-private.h"
#include "clave-page.h"
#include "clave-qr.h"
#include "clave-request-uri.h"
#include "clave-unlock-dialog.h"
#include "clave-accessible-names.h"
#include "pages/clave-activate-method-page.h"
#include "pages/clave-certificate-page.h"
#include "pages/clave-contact-page.h"
#include "pages/clave-diagnostics-page.h"
#include "pages/clave-done-page.h"
#include "pages/clave-home-page.h"
#include "pages/clave-login-page.h"
#include "pages/clave-my-requests-page.h"
#include "pages/clave-my-data-page.h"
#include "pages/clave-not-registered-page.h"
#include "pages/clave-request-page.h"
#include "pages/clave-set-pin-page.h"
#include "pages/clave-sms-code-page.h"

/* libadwaita 1.2 frees a toast's state when its hide animation ends
 * even if its show animation (up to 500 ms when it replaces another) is
 * still running, and crashes when that one ends: a toast is dismissed
 * only once it has finished sliding in. Fixed upstream in 1.3.0 (commit
 * 1674ebc9, "toast-overlay: Prevent show_done from firing after
 * hide_done"; not in any 1.2.x): with 1.3 or newer at run time (a newer
 * Flatpak runtime) toasts go at once. Remove this when meson.build asks
 * for libadwaita >= 1.3. */
static gint64
toast_settle_usecs (void)
{
  if (adw_get_major_version () > 1 || adw_get_minor_version () >= 3)
    return 0;
  return 600 * 1000;
}

#define DEFERRED_DISMISS_KEY "clave-deferred-dismiss"

static gboolean
deferred_dismiss_cb (gpointer user_data)
{
  AdwToast *toast = user_data;

  g_object_set_data (G_OBJECT (toast), DEFERRED_DISMISS_KEY, NULL);
  adw_toast_dismiss (toast);

  return G_SOURCE_REMOVE;
}

static void
on_deferred_toast_dismissed (AdwToast *toast)
{
  guint id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (toast), DEFERRED_DISMISS_KEY));

  /* Gone already (its close button, the window closing). */
  if (id != 0)
    {
      g_object_set_data (G_OBJECT (toast), DEFERRED_DISMISS_KEY, NULL);
      g_source_remove (id);
    }
}

void
_clave_window_dismiss_toast (ClaveWindow *self)
{
  g_autoptr(AdwToast) toast = g_steal_pointer (&self->toast);
  gint64 wait;
  guint id;

  if (toast == NULL)
    return;

  wait = self->toast_settled_at - g_get_monotonic_time ();
  if (wait <= 0)
    {
      adw_toast_dismiss (toast);
      return;
    }

  id = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) (wait / 1000) + 1,
                           deferred_dismiss_cb, g_object_ref (toast), g_object_unref);
  g_object_set_data (G_OBJECT (toast), DEFERRED_DISMISS_KEY, GUINT_TO_POINTER (id));
  g_signal_connect (toast, "dismissed", G_CALLBACK (on_deferred_toast_dismissed), NULL);
}

static void
on_toast_dismissed (AdwToast    *toast,
                    ClaveWindow *self)
{
  if (toast != self->toast)
    return;

  g_clear_object (&self->toast);
  _clave_window_clear_retry (self);
}

static void
show_toast (ClaveWindow *self,
            AdwToast    *toast)
{
  /* The toast before may still be on screen, waiting to be dismissed. */
  gint64 previous_settled_at = self->toast_settled_at;

  /* A toast that waits for Retry would hold back every later one in the
   * overlay's queue: the newest message replaces the one on screen (the
   * new one waits in the queue while the old one finishes sliding in). */
  _clave_window_dismiss_toast (self);
  _clave_window_clear_retry (self);

  self->toast = g_object_ref (toast);
  self->toast_settled_at = MAX (g_get_monotonic_time (), previous_settled_at) + toast_settle_usecs ();
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_toast_dismissed), self, 0);
  /* The overlay takes a reference of its own (transfer full). */
  adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (toast));
}


/* Messages */

void
clave_window_add_toast (ClaveWindow *self,
                        const char  *title)
{
  g_autoptr(AdwToast) toast = NULL;

  g_return_if_fail (CLAVE_IS_WINDOW (self));

  toast = adw_toast_new (title);
  show_toast (self, toast);
}

void
clave_window_show_card_error (ClaveWindow *self,
                              const char  *message)
{
  g_autoptr(AdwToast) toast = NULL;
  GtkWidget *label;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  toast = adw_toast_new (message);
  label = gtk_label_new (message);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_widget_add_css_class (label, "heading");
  adw_toast_set_custom_title (toast, label);
  adw_toast_set_button_label (toast, _("_Diagnostics"));
  adw_toast_set_action_name (toast, "win.diagnostics");
  /* Long enough to read the message and reach the button. */
  adw_toast_set_timeout (toast, 10);

  show_toast (self, toast);
}

void
clave_window_show_error (ClaveWindow    *self,
                         const GError   *error,
                         ClaveRetryFunc  retry,
                         gpointer        retry_data,
                         GDestroyNotify  retry_data_destroy)
{
  g_autoptr(AdwToast) toast = NULL;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (retry_data_destroy != NULL && retry_data != NULL)
        retry_data_destroy (retry_data);
      return;
    }

  g_debug ("Showing error: %s (%s %d)", error->message,
           g_quark_to_string (error->domain), error->code);

  toast = adw_toast_new (error->message);
  /* The messages say what to do next: a wrapping label shows all of it
   * where the toast's own title would cut it short. */
  {
    GtkWidget *label = gtk_label_new (error->message);

    gtk_label_set_wrap (GTK_LABEL (label), TRUE);
    gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
    gtk_label_set_xalign (GTK_LABEL (label), 0.0);
    gtk_widget_add_css_class (label, "heading");
    adw_toast_set_custom_title (toast, label);
  }
  if (retry != NULL)
    {
      adw_toast_set_button_label (toast, _("_Retry"));
      adw_toast_set_action_name (toast, "win.retry");
      /* Stays until the person retries, dismisses it or moves on. */
      adw_toast_set_timeout (toast, 0);
    }

  show_toast (self, toast);

  self->retry = retry;
  self->retry_data = retry_data;
  self->retry_data_destroy = retry_data_destroy;
}
