/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-permanente-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "clave-contrast-form.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-permanente-page.h"
#include "clave-receipt.h"
#include "clave-unlock-dialog.h"
#include "clave-window.h"

/* A Cl@ve Permanente activation code (POST /v1/me/permanente/code): the
 * document's contrast data, the device PIN, then the code with its
 * expiry, a PDF receipt and the way to the activation website. The code
 * is a secret: it leaves the page when the page is left. */

struct _ClavePermanentePage
{
  ClavePage             parent_instance;

  /* Template widgets */
  GtkStack             *permanente_stack;
  ClaveContrastForm    *permanente_contrast_form;
  GtkWidget            *permanente_continue_button;
  GtkLabel             *permanente_code_label;
  GtkLabel             *permanente_expiry_label;
  GtkWidget            *permanente_website_button;
  GtkWidget            *permanente_receipt_button;
  GtkWidget            *permanente_busy_box;
  GtkSpinner           *permanente_spinner;
  GtkLabel             *permanente_busy_label;
  GtkLabel             *permanente_error_label;

  ClavePermanenteCode  *code;     /* once got */
  GtkFileChooserNative *chooser;  /* while choosing where to save */
  gboolean              busy;
};

G_DEFINE_FINAL_TYPE (ClavePermanentePage, clave_permanente_page, CLAVE_TYPE_PAGE)

static void
show_error (ClavePermanentePage *self,
            const char          *message)
{
  gtk_label_set_text (self->permanente_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->permanente_error_label), message != NULL);
}

static void
set_busy (ClavePermanentePage *self,
          const char          *what)
{
  self->busy = what != NULL;
  gtk_label_set_text (self->permanente_busy_label, what != NULL ? what : "");
  gtk_widget_set_visible (self->permanente_busy_box, what != NULL);
  gtk_spinner_set_spinning (self->permanente_spinner, what != NULL);
  gtk_widget_set_sensitive (self->permanente_continue_button,
                            !self->busy &&
                            clave_contrast_form_get_value (self->permanente_contrast_form) != NULL);
}

void
clave_permanente_page_reset (ClavePermanentePage *self)
{
  g_return_if_fail (CLAVE_IS_PERMANENTE_PAGE (self));

  g_clear_pointer (&self->code, clave_permanente_code_free);
  gtk_label_set_text (self->permanente_code_label, "");
  clave_contrast_form_reset (self->permanente_contrast_form,
                             clave_page_get_document_type (CLAVE_PAGE (self)));
  gtk_stack_set_visible_child_name (self->permanente_stack, "contrast");
  show_error (self, NULL);
  set_busy (self, NULL);
  clave_contrast_form_focus_field (self->permanente_contrast_form);
}

static char *
format_expiry (gint64 expires_at)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (expires_at);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%d/%m/%Y") : g_strdup ("");
}

static void
show_code (ClavePermanentePage *self)
{
  g_autofree char *date = format_expiry (self->code->expires_at);
  g_autofree char *text = NULL;

  gtk_label_set_text (self->permanente_code_label, self->code->code);
  /* Shown, not selected: copying is the person's choice. */
  gtk_label_select_region (self->permanente_code_label, 0, 0);
  /* Translators: %s is a date, 06/01/2027. */
  text = g_strdup_printf (_("Valid until %s. Keep it private: with the e-mail of your "
                            "registration it activates your Cl@ve Permanente."), date);
  gtk_label_set_text (self->permanente_expiry_label, text);
  gtk_stack_set_visible_child_name (self->permanente_stack, "code");
  gtk_widget_grab_focus (self->permanente_website_button);
}

static void
code_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(ClavePermanentePage) self = user_data;
  g_autoptr(ClavePermanenteCode) code = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;

  code = clave_service_client_new_permanente_code_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                          &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, NULL);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (code == NULL)
    {
      if (window != NULL && clave_service_error_get_action (error)
                            == CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST)
        clave_window_device_lost (window, NULL);
      else if (g_error_matches (error, CLAVE_SERVICE_ERROR,
                                CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED))
        show_error (self, _("The data of your document are not correct. Check them and try "
                            "again."));
      else
        show_error (self, error->message);
      return;
    }
  g_clear_pointer (&self->code, clave_permanente_code_free);
  self->code = g_steal_pointer (&code);
  show_code (self);
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClavePermanentePage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client = NULL;
  ClaveContrastForm *form = self->permanente_contrast_form;

  if (!clave_window_unlock_for_call_finish (CLAVE_WINDOW (source), result, &key, &client,
                                            &device_id, &error))
    {
      set_busy (self, NULL);
      show_error (self, error != NULL ? error->message : NULL);
      return;
    }
  if (clave_contrast_form_get_value (form) == NULL)
    {
      set_busy (self, NULL);
      return;
    }
  clave_service_client_new_permanente_code_async (
    client, key, device_id, clave_contrast_kind_to_string (clave_contrast_form_get_kind (form)),
    clave_contrast_form_get_value (form), clave_page_get_cancellable (CLAVE_PAGE (self)),
    code_cb, g_object_ref (self));
}

static void
on_contrast_changed (ClavePermanentePage *self)
{
  set_busy (self, self->busy ? gtk_label_get_text (self->permanente_busy_label) : NULL);
}

static void
on_continue_clicked (ClavePermanentePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveUnlockPrompt prompt = {
    .title = _("Cl@ve Permanente"),
    .heading = _("Enter your device PIN to get an activation code"),
    .body = _("A new code replaces the one you had."),
    .button = _("_Continue"),
  };

  if (window == NULL || self->busy ||
      clave_contrast_form_get_value (self->permanente_contrast_form) == NULL)
    return;
  show_error (self, NULL);
  set_busy (self, _("Checking the data of your document…"));
  /* The PIN every time: the code opens a way to log in. */
  clave_window_unlock_key_full_async (window, TRUE, &prompt,
                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      unlocked_cb, g_object_ref (self));
}

static char *
website_url (ClavePermanentePage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));

  return app != NULL ? clave_profile_dup_permanente_url (clave_application_get_profile (app))
                     : NULL;
}

static void
on_website_clicked (ClavePermanentePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  g_autofree char *url = website_url (self);

  if (window != NULL && url != NULL)
    gtk_show_uri (GTK_WINDOW (window), url, GDK_CURRENT_TIME);
}

gboolean
clave_permanente_page_save_receipt (ClavePermanentePage  *self,
                                    GFile                *file,
                                    GError              **error)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%d/%m/%Y %H:%M");
  g_autofree char *number = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *expiry = NULL;
  g_autofree char *url = website_url (self);
  const char *fields[11];
  guint n = 0;

  g_return_val_if_fail (CLAVE_IS_PERMANENTE_PAGE (self), FALSE);
  g_return_val_if_fail (self->code != NULL, FALSE);

  if (app != NULL)
    number = clave_profile_dup_document_number (clave_application_get_profile (app));
  masked = clave_document_mask (number != NULL ? number : "");
  expiry = format_expiry (self->code->expires_at);

  fields[n++] = _("Date");
  fields[n++] = today;
  fields[n++] = _("Document");
  fields[n++] = masked;
  fields[n++] = _("Activation code");
  fields[n++] = self->code->code;
  fields[n++] = _("Valid until");
  fields[n++] = expiry;
  fields[n++] = _("Activate it at");
  fields[n++] = url != NULL ? url : "";
  fields[n] = NULL;
  return clave_receipt_write_pdf (file, _("Cl@ve Permanente — activation code"), fields,
                                  _("Keep this receipt private: with the e-mail of your "
                                    "registration, the code activates your Cl@ve Permanente. "
                                    "A new code replaces this one."),
                                  error);
}

static void
on_chooser_response (GtkNativeDialog     *chooser,
                     int                  response,
                     ClavePermanentePage *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file == NULL || self->code == NULL)
    return;
  if (!clave_permanente_page_save_receipt (self, file, &error))
    show_error (self, error->message);
  else if (window != NULL)
    clave_window_add_toast (window, _("Receipt saved"));
}

static void
on_receipt_clicked (ClavePermanentePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  g_autoptr(GtkFileFilter) filter = NULL;

  if (window == NULL || self->chooser != NULL || self->code == NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Save Receipt"), GTK_WINDOW (window),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                                               _("_Cancel"));
  /* Translators: the file name a receipt is offered under. */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser),
                                     _("clave-permanente-code.pdf"));
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("PDF documents"));
  gtk_file_filter_add_mime_type (filter, "application/pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
clave_permanente_page_hidden (ClavePage *page)
{
  ClavePermanentePage *self = CLAVE_PERMANENTE_PAGE (page);

  /* The code goes with the page; a file chooser open for it too. */
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  clave_permanente_page_reset (self);
}

static void
clave_permanente_page_dispose (GObject *object)
{
  ClavePermanentePage *self = CLAVE_PERMANENTE_PAGE (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_pointer (&self->code, clave_permanente_code_free);
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_PERMANENTE_PAGE);

  G_OBJECT_CLASS (clave_permanente_page_parent_class)->dispose (object);
}

static void
clave_permanente_page_class_init (ClavePermanentePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_permanente_page_dispose;
  page_class->hidden = clave_permanente_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-permanente-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, ClavePermanentePage, name)
  BIND (permanente_stack);
  BIND (permanente_contrast_form);
  BIND (permanente_continue_button);
  BIND (permanente_code_label);
  BIND (permanente_expiry_label);
  BIND (permanente_website_button);
  BIND (permanente_receipt_button);
  BIND (permanente_busy_box);
  BIND (permanente_spinner);
  BIND (permanente_busy_label);
  BIND (permanente_error_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_contrast_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_website_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_receipt_clicked);
}

static void
clave_permanente_page_init (ClavePermanentePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
