/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-raise-level-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-certificate-page.h"
#include "clave-raise-level-page.h"
#include "clave-unlock-dialog.h"
#include "clave-window.h"

/* Raising the level of registration from basic to advanced
 * (POST /v1/me/level): what advanced allows, with a certificate or DNIe
 * here (the certificate page proves it, this page sends it signed by the
 * device) or in person. */

struct _ClaveRaiseLevelPage
{
  ClavePage              parent_instance;

  /* Template widgets */
  GtkWidget             *raise_level_certificate_row;
  GtkWidget             *raise_level_busy_box;
  GtkSpinner            *raise_level_spinner;
  GtkLabel              *raise_level_error_label;

  ClaveCertificateProof *proof;   /* while it is sent */
};

G_DEFINE_FINAL_TYPE (ClaveRaiseLevelPage, clave_raise_level_page, CLAVE_TYPE_PAGE)

static void
set_busy (ClaveRaiseLevelPage *self,
          gboolean             busy)
{
  gtk_widget_set_visible (self->raise_level_busy_box, busy);
  gtk_spinner_set_spinning (self->raise_level_spinner, busy);
  gtk_widget_set_sensitive (self->raise_level_certificate_row, !busy);
}

static void
show_error (ClaveRaiseLevelPage *self,
            const char          *message)
{
  gtk_label_set_text (self->raise_level_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->raise_level_error_label), message != NULL);
}

static void
done (ClaveRaiseLevelPage *self,
      const GError        *error)
{
  g_clear_pointer (&self->proof, clave_certificate_proof_free);
  set_busy (self, FALSE);
  if (error != NULL)
    show_error (self, error->message);
}

static void
raised_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveRaiseLevelPage) self = user_data;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;

  if (!clave_service_client_raise_level_finish (CLAVE_SERVICE_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      window = clave_page_get_window (CLAVE_PAGE (self));
      done (self, error);
      /* No longer a device: the window takes the person to log in. */
      if (window != NULL && clave_service_error_get_action (error)
                            == CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST)
        clave_window_device_lost (window, NULL);
      return;
    }

  done (self, NULL);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window == NULL)
    return;
  /* My data shows the new level; Back from it goes home. */
  clave_window_show_page_after (window, "my-data", "home");
  clave_window_add_toast (window, _("You are now registered at the advanced level"));
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveRaiseLevelPage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client = NULL;

  if (!clave_window_unlock_for_call_finish (CLAVE_WINDOW (source), result, &key, &client,
                                            &device_id, &error) || self->proof == NULL)
    {
      /* Without an error: cancelled, or the window has said it. */
      done (self, error);
      return;
    }

  clave_service_client_raise_level_async (client, key, device_id, self->proof,
                                          clave_page_get_cancellable (CLAVE_PAGE (self)),
                                          raised_cb, g_object_ref (self));
}

void
clave_raise_level_page_send_proof (ClaveRaiseLevelPage   *self,
                                   ClaveCertificateProof *proof)
{
  ClaveWindow *window;
  ClaveUnlockPrompt prompt = {
    .title = _("Raise Level"),
    .heading = _("Enter your device PIN to raise your level"),
    .body = _("Your certificate was checked. Your registration in Cl@ve becomes advanced."),
    .button = _("_Raise Level"),
  };

  g_return_if_fail (CLAVE_IS_RAISE_LEVEL_PAGE (self));
  g_return_if_fail (proof != NULL);

  g_clear_pointer (&self->proof, clave_certificate_proof_free);
  self->proof = proof;
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window == NULL)
    {
      done (self, NULL);
      return;
    }

  show_error (self, NULL);
  set_busy (self, TRUE);
  clave_window_unlock_key_full_async (window, TRUE, &prompt,
                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      unlocked_cb, g_object_ref (self));
}

static void
on_certificate_activated (ClaveRaiseLevelPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window != NULL && self->proof == NULL)
    clave_window_choose_certificate (window, CLAVE_CERTIFICATE_PURPOSE_LEVEL);
}

static void
clave_raise_level_page_hidden (ClavePage *page)
{
  ClaveRaiseLevelPage *self = CLAVE_RAISE_LEVEL_PAGE (page);

  /* The page's cancellable ends the work; the next visit starts clean. */
  done (self, NULL);
  show_error (self, NULL);
}

static void
clave_raise_level_page_dispose (GObject *object)
{
  ClaveRaiseLevelPage *self = CLAVE_RAISE_LEVEL_PAGE (object);

  g_clear_pointer (&self->proof, clave_certificate_proof_free);
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_RAISE_LEVEL_PAGE);

  G_OBJECT_CLASS (clave_raise_level_page_parent_class)->dispose (object);
}

static void
clave_raise_level_page_class_init (ClaveRaiseLevelPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_raise_level_page_dispose;
  page_class->hidden = clave_raise_level_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-raise-level-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveRaiseLevelPage,
                                        raise_level_certificate_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveRaiseLevelPage, raise_level_busy_box);
  gtk_widget_class_bind_template_child (widget_class, ClaveRaiseLevelPage, raise_level_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveRaiseLevelPage,
                                        raise_level_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_certificate_activated);
}

static void
clave_raise_level_page_init (ClaveRaiseLevelPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
