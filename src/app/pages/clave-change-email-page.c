/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-change-email-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "clave-change-email-page.h"
#include "clave-contact-page.h"
#include "clave-contrast-form.h"
#include "clave-contrast-input.h"
#include "clave-window.h"

/* Changing the e-mail (POST /v1/me/email…), as the Cl@ve app does it:
 * the document's contrast data, then the device PIN (which starts the
 * change: the service checks the data), then the new address typed
 * twice, then the code e-mailed to it. The current address keeps working
 * until the code is confirmed; the service tells it afterwards. */

struct _ClaveChangeEmailPage
{
  ClavePage          parent_instance;

  /* Template widgets */
  GtkStack          *email_stack;
  ClaveContrastForm *email_contrast_form;
  GtkWidget         *email_continue_button;
  GtkEditable       *email_new_row;
  GtkEditable       *email_repeat_row;
  GtkLabel          *email_address_hint;
  GtkWidget         *email_send_button;
  GtkLabel          *email_sent_label;
  GtkEditable       *email_code_row;
  GtkWidget         *email_confirm_button;
  GtkWidget         *email_resend_button;
  GtkWidget         *email_other_button;
  GtkWidget         *email_busy_box;
  GtkSpinner        *email_spinner;
  GtkLabel          *email_busy_label;
  GtkLabel          *email_error_label;

  char              *email;           /* trimmed, NULL while not valid or not repeated */
  char              *change_id;       /* once the contrast data were right */
  gboolean           busy;
  int                step;            /* Step: the one under way, while busy */
};

typedef enum {
  STEP_START,
  STEP_SEND,
  STEP_CONFIRM,
} Step;

G_DEFINE_FINAL_TYPE (ClaveChangeEmailPage, clave_change_email_page, CLAVE_TYPE_PAGE)

static void
show_error (ClaveChangeEmailPage *self,
            const char           *message)
{
  gtk_label_set_text (self->email_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->email_error_label), message != NULL);
}

static gboolean
code_is_complete (ClaveChangeEmailPage *self)
{
  return clave_page_code_is_complete (gtk_editable_get_text (self->email_code_row));
}

static void
update_buttons (ClaveChangeEmailPage *self)
{
  gtk_widget_set_sensitive (self->email_continue_button,
                            !self->busy &&
                            clave_contrast_form_get_value (self->email_contrast_form) != NULL);
  gtk_widget_set_sensitive (self->email_send_button, !self->busy && self->email != NULL);
  gtk_widget_set_sensitive (self->email_confirm_button, !self->busy && code_is_complete (self));
  gtk_widget_set_sensitive (self->email_resend_button, !self->busy);
  gtk_widget_set_sensitive (self->email_other_button, !self->busy);
}

static void
set_busy (ClaveChangeEmailPage *self,
          const char           *what)
{
  self->busy = what != NULL;
  gtk_label_set_text (self->email_busy_label, what != NULL ? what : "");
  gtk_widget_set_visible (self->email_busy_box, what != NULL);
  gtk_spinner_set_spinning (self->email_spinner, what != NULL);
  update_buttons (self);
}

static void
check_address (ClaveChangeEmailPage *self)
{
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (self->email_new_row)));
  g_autofree char *repeat = g_strstrip (g_strdup (gtk_editable_get_text (self->email_repeat_row)));
  gboolean valid = clave_contact_page_email_is_valid (address);
  const char *hint = NULL;

  g_clear_pointer (&self->email, g_free);
  if (*address != '\0' && !valid)
    hint = _("This is not an e-mail address. Write it as name@domain, for example "
             "lucia.garcia@correo.es.");
  else if (valid && *repeat != '\0' && g_strcmp0 (address, repeat) != 0)
    hint = _("The two addresses are not the same. Check them.");
  else if (valid && g_strcmp0 (address, repeat) == 0)
    self->email = g_steal_pointer (&address);

  clave_contrast_input_show_hint (self->email_address_hint, hint, hint != NULL);
  update_buttons (self);
}

static void
show_step (ClaveChangeEmailPage *self,
           const char           *name)
{
  gtk_stack_set_visible_child_name (self->email_stack, name);
  if (g_str_equal (name, "contrast"))
    clave_contrast_form_focus_field (self->email_contrast_form);
  else if (g_str_equal (name, "form"))
    gtk_widget_grab_focus (GTK_WIDGET (self->email_new_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->email_code_row));
}

void
clave_change_email_page_reset (ClaveChangeEmailPage *self)
{
  g_return_if_fail (CLAVE_IS_CHANGE_EMAIL_PAGE (self));

  g_clear_pointer (&self->change_id, g_free);
  clave_contrast_form_reset (self->email_contrast_form,
                             clave_page_get_document_type (CLAVE_PAGE (self)));
  gtk_editable_set_text (self->email_new_row, "");
  gtk_editable_set_text (self->email_repeat_row, "");
  gtk_editable_set_text (self->email_code_row, "");
  check_address (self);
  show_error (self, NULL);
  set_busy (self, NULL);
  show_step (self, "contrast");
}

/* The change cannot go on: back to the start, saying why. */
static void
start_again (ClaveChangeEmailPage *self,
             const char           *message)
{
  g_clear_pointer (&self->change_id, g_free);
  gtk_editable_set_text (self->email_code_row, "");
  show_step (self, "contrast");
  show_error (self, message);
}

static void
show_step_error (ClaveChangeEmailPage *self,
                 Step                  step,
                 const GError         *error,
                 guint                 attempts_left)
{
  g_autofree char *message = NULL;

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CHANGE_EXPIRED))
    start_again (self, _("The change of e-mail is no longer valid. Start it again."));
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CHANGE_LOCKED))
    start_again (self, _("The change of e-mail was blocked after too many wrong codes. Start it "
                         "again."));
  else if (step == STEP_START &&
           g_error_matches (error, CLAVE_SERVICE_ERROR,
                            CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED))
    show_error (self, _("The data of your document are not correct. Check them and try "
                        "again."));
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE)
           && attempts_left > 0)
    {
      message = clave_page_wrong_code_message (attempts_left);
      show_error (self, message);
    }
  else
    show_error (self, error->message);
}

static void
step_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ClaveChangeEmailPage) self = user_data;
  ClaveServiceClient *client = CLAVE_SERVICE_CLIENT (source);
  Step step = self->step;
  g_autoptr(ClaveEmailCodeStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *change_id = NULL;
  g_autofree char *email = NULL;
  g_autofree char *message = NULL;
  ClaveWindow *window;
  guint attempts_left = 0;

  if (step == STEP_START)
    change_id = clave_service_client_start_email_change_finish (client, result, &error);
  else if (step == STEP_SEND)
    status = clave_service_client_send_email_code_finish (client, result, &error);
  else
    email = clave_service_client_confirm_email_finish (client, result, &attempts_left, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, NULL);
  window = clave_page_get_window (CLAVE_PAGE (self));

  if (error != NULL)
    {
      if (window != NULL && clave_service_error_get_action (error)
                            == CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST)
        clave_window_device_lost (window, NULL);
      else
        show_step_error (self, step, error, attempts_left);
      return;
    }

  if (step == STEP_START)
    {
      g_free (self->change_id);
      self->change_id = g_steal_pointer (&change_id);
      show_step (self, "form");
      return;
    }
  if (step == STEP_SEND)
    {
      /* Translators: %s is the new e-mail address. */
      message = g_strdup_printf (_("We sent a code to %s. Type it here to make it your e-mail in "
                                   "Cl@ve. It may take a few minutes; if it does not arrive, look "
                                   "in your spam folder."),
                                 status->email);
      gtk_label_set_text (self->email_sent_label, message);
      gtk_editable_set_text (self->email_code_row, "");
      show_step (self, "code");
      return;
    }

  if (window == NULL)
    return;
  /* Translators: %s is the new e-mail address. */
  message = g_strdup_printf (_("Your e-mail in Cl@ve is now %s. Your old address was told."),
                             email);
  clave_change_email_page_reset (self);
  clave_window_show_page_after (window, "my-data", "home");
  clave_window_add_toast (window, message);
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveChangeEmailPage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client = NULL;
  GCancellable *cancellable = clave_page_get_cancellable (CLAVE_PAGE (self));
  Step step = self->step;

  if (!clave_window_unlock_for_call_finish (CLAVE_WINDOW (source), result, &key, &client,
                                            &device_id, &error))
    {
      /* Without an error: cancelled, or the window has said it. */
      set_busy (self, NULL);
      show_error (self, error != NULL ? error->message : NULL);
      return;
    }

  if (step == STEP_START && clave_contrast_form_get_value (self->email_contrast_form) != NULL)
    clave_service_client_start_email_change_async (
      client, key, device_id,
      clave_contrast_kind_to_string (clave_contrast_form_get_kind (self->email_contrast_form)),
      clave_contrast_form_get_value (self->email_contrast_form), cancellable, step_done_cb,
      g_object_ref (self));
  else if (step == STEP_SEND && self->change_id != NULL && self->email != NULL)
    clave_service_client_send_email_code_async (client, key, device_id, self->change_id,
                                                self->email, cancellable, step_done_cb,
                                                g_object_ref (self));
  else if (step == STEP_CONFIRM && self->change_id != NULL)
    clave_service_client_confirm_email_async (client, key, device_id, self->change_id,
                                              gtk_editable_get_text (self->email_code_row),
                                              cancellable, step_done_cb, g_object_ref (self));
  else
    set_busy (self, NULL);
}

/* Runs @step once the device key is unlocked; the step that starts the
 * change always asks the PIN, after the contrast data. */
static void
run_step (ClaveChangeEmailPage *self,
          Step                  step,
          const char           *busy)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveUnlockPrompt prompt = {
    .title = _("Change E-mail"),
    .heading = _("Enter your device PIN to change your e-mail"),
    .body = _("Cl@ve checks the data of your document, then you type the new address."),
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

static void
on_contrast_changed (ClaveChangeEmailPage *self)
{
  update_buttons (self);
}

static void
on_continue_clicked (ClaveChangeEmailPage *self)
{
  if (clave_contrast_form_get_value (self->email_contrast_form) != NULL)
    run_step (self, STEP_START, _("Checking the data of your document…"));
}

static void
on_address_changed (ClaveChangeEmailPage *self)
{
  check_address (self);
}

static void
on_send_clicked (ClaveChangeEmailPage *self)
{
  if (self->email != NULL)
    run_step (self, STEP_SEND, _("Sending a code to the new address…"));
}

static void
on_code_changed (ClaveChangeEmailPage *self)
{
  update_buttons (self);
}

static void
on_confirm_clicked (ClaveChangeEmailPage *self)
{
  if (code_is_complete (self))
    run_step (self, STEP_CONFIRM, _("Checking the code…"));
}

static void
on_resend_clicked (ClaveChangeEmailPage *self)
{
  run_step (self, STEP_SEND, _("Sending another code…"));
}

static void
on_other_clicked (ClaveChangeEmailPage *self)
{
  if (self->busy)
    return;
  show_error (self, NULL);
  show_step (self, "form");
}

static void
clave_change_email_page_hidden (ClavePage *page)
{
  /* The page's cancellable ends the work under way. */
  set_busy (CLAVE_CHANGE_EMAIL_PAGE (page), NULL);
}

static void
clave_change_email_page_dispose (GObject *object)
{
  ClaveChangeEmailPage *self = CLAVE_CHANGE_EMAIL_PAGE (object);

  g_clear_pointer (&self->email, g_free);
  g_clear_pointer (&self->change_id, g_free);
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_CHANGE_EMAIL_PAGE);

  G_OBJECT_CLASS (clave_change_email_page_parent_class)->dispose (object);
}

static void
clave_change_email_page_class_init (ClaveChangeEmailPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_change_email_page_dispose;
  page_class->hidden = clave_change_email_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-change-email-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, ClaveChangeEmailPage, name)
  BIND (email_stack);
  BIND (email_contrast_form);
  BIND (email_continue_button);
  BIND (email_new_row);
  BIND (email_repeat_row);
  BIND (email_address_hint);
  BIND (email_send_button);
  BIND (email_sent_label);
  BIND (email_code_row);
  BIND (email_confirm_button);
  BIND (email_resend_button);
  BIND (email_other_button);
  BIND (email_busy_box);
  BIND (email_spinner);
  BIND (email_busy_label);
  BIND (email_error_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_contrast_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_address_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_send_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_code_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_resend_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_other_clicked);
}

static void
clave_change_email_page_init (ClaveChangeEmailPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
