/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-give-up-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-give-up-page.h"
#include "clave-unlock-dialog.h"
#include "clave-window.h"

/* Giving up Cl@ve (POST /v1/me/give-up): what ends and how to come back,
 * then the device PIN, which the dialog says it is asked for. On success
 * the window forgets this device and shows the welcome page with how to
 * register again; on failure nothing changes and the page says why. */

struct _ClaveGiveUpPage
{
  ClavePage  parent_instance;

  /* Template widgets */
  GtkWidget *give_up_button;
  GtkWidget *give_up_cancel_button;
  GtkLabel  *give_up_error_label;

  gboolean   busy;
};

G_DEFINE_FINAL_TYPE (ClaveGiveUpPage, clave_give_up_page, CLAVE_TYPE_PAGE)

static void
set_busy (ClaveGiveUpPage *self,
          gboolean         busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->give_up_button, !busy);
  gtk_widget_set_sensitive (self->give_up_cancel_button, !busy);
}

static void
show_error (ClaveGiveUpPage *self,
            const char      *message)
{
  gtk_label_set_text (self->give_up_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->give_up_error_label), message != NULL);
}

/* The attempt ended without giving up: the page as it was, with why. */
static void
fail (ClaveGiveUpPage *self,
      const GError    *error)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  set_busy (self, FALSE);
  if (window != NULL)
    clave_window_set_leaving (window, FALSE);
  if (error != NULL)
    show_error (self, error->message);
}

static void
given_up_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveGiveUpPage) self = user_data;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;

  if (!clave_service_client_give_up_finish (CLAVE_SERVICE_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      fail (self, error);
      /* Already no device (given up by an answer that was lost, or
       * deactivated elsewhere): the window takes the person to log in. */
      window = clave_page_get_window (CLAVE_PAGE (self));
      if (window != NULL && clave_service_error_get_action (error)
                            == CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST)
        clave_window_device_lost (window, NULL);
      return;
    }

  window = clave_page_get_window (CLAVE_PAGE (self));
  set_busy (self, FALSE);
  if (window == NULL)
    return;
  clave_window_set_leaving (window, FALSE);
  clave_window_show_welcome (window,
                             _("You have given up Cl@ve: your registration has ended and this "
                               "computer is no longer your Cl@ve device. To use Cl@ve again, "
                               "register again in person at a Cl@ve registry office, by video "
                               "identification, or here with an electronic certificate or your "
                               "DNIe."));
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveGiveUpPage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client = NULL;

  if (!clave_window_unlock_for_call_finish (CLAVE_WINDOW (source), result, &key, &client,
                                            &device_id, &error))
    {
      /* Without an error: cancelled, or the window has said it. */
      fail (self, error);
      return;
    }

  /* The service tells this device's push channel that it was
   * deactivated before it answers: that is this, not another device.
   * (Only now: a key erased by wrong PINs is the window's to explain.) */
  clave_window_set_leaving (CLAVE_WINDOW (source), TRUE);
  clave_service_client_give_up_async (client, key, device_id,
                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      given_up_cb, g_object_ref (self));
}

static void
on_give_up_clicked (ClaveGiveUpPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveUnlockPrompt prompt = {
    .title = _("Give Up Cl@ve"),
    .heading = _("Enter your device PIN to give up Cl@ve"),
    .body = _("Your registration in Cl@ve ends, on every device."),
    .button = _("_Give Up Cl@ve"),
  };

  if (window == NULL || self->busy)
    return;

  show_error (self, NULL);
  set_busy (self, TRUE);
  clave_window_unlock_key_full_async (window, TRUE, &prompt,
                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      unlocked_cb, g_object_ref (self));
}

static void
clave_give_up_page_shown (ClavePage *page)
{
  ClaveGiveUpPage *self = CLAVE_GIVE_UP_PAGE (page);

  show_error (self, NULL);
  set_busy (self, FALSE);
}

static void
clave_give_up_page_hidden (ClavePage *page)
{
  ClaveGiveUpPage *self = CLAVE_GIVE_UP_PAGE (page);
  ClaveWindow *window = clave_page_get_window (page);

  /* The page's cancellable ends the work; the window stops waiting. */
  if (self->busy && window != NULL)
    clave_window_set_leaving (window, FALSE);
  set_busy (self, FALSE);
}

static void
clave_give_up_page_dispose (GObject *object)
{
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_GIVE_UP_PAGE);

  G_OBJECT_CLASS (clave_give_up_page_parent_class)->dispose (object);
}

static void
clave_give_up_page_class_init (ClaveGiveUpPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_give_up_page_dispose;
  page_class->shown = clave_give_up_page_shown;
  page_class->hidden = clave_give_up_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-give-up-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveGiveUpPage, give_up_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveGiveUpPage, give_up_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveGiveUpPage, give_up_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_give_up_clicked);
}

static void
clave_give_up_page_init (ClaveGiveUpPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
