/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-change-phone-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "clave-certificate-page.h"
#include "clave-change-phone-page.h"
#include "clave-contact-page.h"
#include "clave-unlock-dialog.h"
#include "clave-window.h"

/* Changing the phone (POST /v1/me/phone…): the new number, checked as it
 * is typed; the person's certificate or DNIe (the certificate page proves
 * it); the device PIN; then the code sent to the new number. The current
 * number keeps working until the code is confirmed; the service tells it
 * afterwards that it was replaced. */

struct _ClaveChangePhonePage
{
  ClavePage              parent_instance;

  /* Template widgets */
  GtkStack              *phone_stack;
  GtkEditable           *phone_new_row;
  GtkLabel              *phone_new_hint;
  GtkWidget             *phone_continue_button;
  GtkLabel              *phone_sent_label;
  GtkEditable           *phone_code_row;
  GtkWidget             *phone_resend_button;
  GtkWidget             *phone_confirm_button;
  GtkWidget             *phone_busy_box;
  GtkSpinner            *phone_spinner;
  GtkLabel              *phone_busy_label;
  GtkLabel              *phone_error_label;

  char                  *phone;      /* normalized, NULL while not valid */
  char                  *change_id;  /* once the code was sent */
  ClaveCertificateProof *proof;      /* while the change starts */
  gboolean               busy;
  int                    step;       /* Step: the one under way, while busy */
};

typedef enum {
  STEP_START,
  STEP_RESEND,
  STEP_CONFIRM,
} Step;

G_DEFINE_FINAL_TYPE (ClaveChangePhonePage, clave_change_phone_page, CLAVE_TYPE_PAGE)

static void
show_error (ClaveChangePhonePage *self,
            const char           *message)
{
  gtk_label_set_text (self->phone_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->phone_error_label), message != NULL);
}

static gboolean
code_is_complete (ClaveChangePhonePage *self)
{
  return clave_page_code_is_complete (gtk_editable_get_text (self->phone_code_row));
}

static void
update_buttons (ClaveChangePhonePage *self)
{
  gtk_widget_set_sensitive (self->phone_continue_button, !self->busy && self->phone != NULL);
  gtk_widget_set_sensitive (self->phone_confirm_button, !self->busy && code_is_complete (self));
  gtk_widget_set_sensitive (self->phone_resend_button, !self->busy);
}

static void
set_busy (ClaveChangePhonePage *self,
          const char           *what)
{
  self->busy = what != NULL;
  gtk_label_set_text (self->phone_busy_label, what != NULL ? what : "");
  gtk_widget_set_visible (self->phone_busy_box, what != NULL);
  gtk_spinner_set_spinning (self->phone_spinner, what != NULL);
  update_buttons (self);
}

static void
show_sent (ClaveChangePhonePage *self,
           const ClaveSmsStatus *status)
{
  g_autofree char *text = NULL;

  /* Translators: %s is the end of the new phone number (******432). */
  text = g_strdup_printf (_("We sent a code to %s. Type it here to make it your phone in "
                            "Cl@ve."),
                          status->phone_hint != NULL ? status->phone_hint : "");
  gtk_label_set_text (self->phone_sent_label, text);
  gtk_stack_set_visible_child_name (self->phone_stack, "code");
}

void
clave_change_phone_page_reset (ClaveChangePhonePage *self)
{
  g_return_if_fail (CLAVE_IS_CHANGE_PHONE_PAGE (self));

  g_clear_pointer (&self->change_id, g_free);
  g_clear_pointer (&self->proof, clave_certificate_proof_free);
  gtk_editable_set_text (self->phone_new_row, "");
  gtk_editable_set_text (self->phone_code_row, "");
  gtk_stack_set_visible_child_name (self->phone_stack, "form");
  show_error (self, NULL);
  set_busy (self, NULL);
}

/* The change cannot go on: back to the number, saying why. */
static void
start_again (ClaveChangePhonePage *self,
             const char           *message)
{
  g_clear_pointer (&self->change_id, g_free);
  gtk_editable_set_text (self->phone_code_row, "");
  gtk_stack_set_visible_child_name (self->phone_stack, "form");
  show_error (self, message);
}

static void
step_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ClaveChangePhonePage) self = user_data;
  ClaveServiceClient *client = CLAVE_SERVICE_CLIENT (source);
  Step step = self->step;
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *change_id = NULL;
  g_autofree char *phone = NULL;
  g_autofree char *message = NULL;
  ClaveWindow *window;
  guint attempts_left = 0;

  if (step == STEP_START)
    status = clave_service_client_change_phone_finish (client, result, &change_id, &error);
  else if (step == STEP_RESEND)
    status = clave_service_client_resend_phone_code_finish (client, result, &error);
  else
    phone = clave_service_client_confirm_phone_finish (client, result, &attempts_left, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, NULL);
  g_clear_pointer (&self->proof, clave_certificate_proof_free);
  window = clave_page_get_window (CLAVE_PAGE (self));

  if (error != NULL)
    {
      if (window != NULL && clave_service_error_get_action (error)
                            == CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST)
        clave_window_device_lost (window, NULL);
      else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CHANGE_EXPIRED)
               || g_error_matches (error, CLAVE_SERVICE_ERROR,
                                   CLAVE_SERVICE_ERROR_CHANGE_LOCKED))
        start_again (self, error->message);
      else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE)
               && attempts_left > 0)
        {
          message = clave_page_wrong_code_message (attempts_left);
          show_error (self, message);
        }
      else
        show_error (self, error->message);
      return;
    }

  if (step != STEP_CONFIRM)
    {
      if (change_id != NULL)
        {
          g_free (self->change_id);
          self->change_id = g_steal_pointer (&change_id);
        }
      show_sent (self, status);
      return;
    }

  if (window == NULL)
    return;
  /* Translators: %s is the end of the new phone number (******432). */
  message = g_strdup_printf (_("Your phone in Cl@ve is now %s. Your old number was told."),
                             phone);
  clave_change_phone_page_reset (self);
  clave_window_show_page_after (window, "my-data", "home");
  clave_window_add_toast (window, message);
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveChangePhonePage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client = NULL;
  GCancellable *cancellable = clave_page_get_cancellable (CLAVE_PAGE (self));
  Step step = self->step;

  if (!clave_window_unlock_for_call_finish (CLAVE_WINDOW (source), result, &key, &client,
                                            &device_id, &error))
    {
      /* Without an error: cancelled, or the window has said it. A proof
       * is not kept for later: choosing the certificate again makes a
       * new one. */
      g_clear_pointer (&self->proof, clave_certificate_proof_free);
      set_busy (self, NULL);
      show_error (self, error != NULL ? error->message : NULL);
      return;
    }

  if (step == STEP_START && self->proof != NULL && self->phone != NULL)
    clave_service_client_change_phone_async (client, key, device_id, self->proof, self->phone,
                                             cancellable, step_done_cb, g_object_ref (self));
  else if (step == STEP_RESEND && self->change_id != NULL)
    clave_service_client_resend_phone_code_async (client, key, device_id, self->change_id,
                                                  cancellable, step_done_cb,
                                                  g_object_ref (self));
  else if (step == STEP_CONFIRM && self->change_id != NULL)
    clave_service_client_confirm_phone_async (client, key, device_id, self->change_id,
                                              gtk_editable_get_text (self->phone_code_row),
                                              cancellable, step_done_cb, g_object_ref (self));
  else
    {
      g_clear_pointer (&self->proof, clave_certificate_proof_free);
      set_busy (self, NULL);
    }
}

/* Runs @step once the device key is unlocked; the step that starts the
 * change always asks the PIN, which confirms it. */
static void
run_step (ClaveChangePhonePage *self,
          Step                  step,
          const char           *busy)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveUnlockPrompt prompt = {
    .title = _("Change Phone"),
    .heading = _("Enter your device PIN to change your phone"),
    .body = _("Cl@ve sends a code to the new number."),
    .button = _("_Continue"),
  };

  if (window == NULL || self->busy)
    return;

  show_error (self, NULL);
  self->step = step;
  set_busy (self, busy);
  clave_window_unlock_key_full_async (window, step == STEP_START,
                                      step == STEP_START ? &prompt : NULL,
                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      unlocked_cb, g_object_ref (self));
}

void
clave_change_phone_page_send_proof (ClaveChangePhonePage  *self,
                                    ClaveCertificateProof *proof)
{
  g_return_if_fail (CLAVE_IS_CHANGE_PHONE_PAGE (self));
  g_return_if_fail (proof != NULL);

  g_clear_pointer (&self->proof, clave_certificate_proof_free);
  self->proof = proof;
  run_step (self, STEP_START, _("Sending a code to the new phone…"));
}

static void
on_phone_changed (ClaveChangePhonePage *self)
{
  const char *text = gtk_editable_get_text (self->phone_new_row);

  g_clear_pointer (&self->phone, g_free);
  self->phone = clave_contact_page_normalize_phone (text);
  if (*text != '\0' && self->phone == NULL)
    gtk_label_set_text (self->phone_new_hint,
                        _("Write the number with its country code: + and 8 to 15 digits, "
                          "for example +34 600 111 222."));
  else
    gtk_label_set_text (self->phone_new_hint,
                        _("For example +34 600 111 222, or +49 151 23456789 for a number "
                          "from another country."));
  update_buttons (self);
}

static void
on_continue_clicked (ClaveChangePhonePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window == NULL || self->busy || self->phone == NULL)
    return;
  show_error (self, NULL);
  clave_window_choose_certificate (window, CLAVE_CERTIFICATE_PURPOSE_PHONE);
}

static void
on_code_changed (ClaveChangePhonePage *self)
{
  update_buttons (self);
}

static void
on_confirm_clicked (ClaveChangePhonePage *self)
{
  if (code_is_complete (self))
    run_step (self, STEP_CONFIRM, _("Checking the code…"));
}

static void
on_resend_clicked (ClaveChangePhonePage *self)
{
  run_step (self, STEP_RESEND, _("Sending another code…"));
}

static void
clave_change_phone_page_hidden (ClavePage *page)
{
  ClaveChangePhonePage *self = CLAVE_CHANGE_PHONE_PAGE (page);

  /* The page's cancellable ends the work under way. A proof is not kept:
   * the certificate page makes a new one (hidden also runs when the
   * person goes there, before a proof exists). */
  g_clear_pointer (&self->proof, clave_certificate_proof_free);
  set_busy (self, NULL);
}

static void
clave_change_phone_page_dispose (GObject *object)
{
  ClaveChangePhonePage *self = CLAVE_CHANGE_PHONE_PAGE (object);

  g_clear_pointer (&self->phone, g_free);
  g_clear_pointer (&self->change_id, g_free);
  g_clear_pointer (&self->proof, clave_certificate_proof_free);
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_CHANGE_PHONE_PAGE);

  G_OBJECT_CLASS (clave_change_phone_page_parent_class)->dispose (object);
}

static void
clave_change_phone_page_class_init (ClaveChangePhonePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_change_phone_page_dispose;
  page_class->hidden = clave_change_phone_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-change-phone-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_stack);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_new_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_new_hint);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage,
                                        phone_continue_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_sent_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_code_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_resend_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage,
                                        phone_confirm_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_busy_box);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_busy_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveChangePhonePage, phone_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_phone_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_code_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_resend_clicked);
}

static void
clave_change_phone_page_init (ClaveChangePhonePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
