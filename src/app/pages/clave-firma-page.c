/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-firma-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-document.h"
#include "clave-firma-page.h"
#include "clave-protocol.h"
#include "clave-receipt.h"
#include "clave-unlock-dialog.h"
#include "clave-window.h"
#include "clave-x509.h"

/* Cl@ve Firma from My data: the person's signing certificate as the
 * service keeps it (GET /v1/me/firma: holder, issuer, serial, validity,
 * status) and its revocation (the conditions read and accepted, the
 * device PIN, then POST /v1/me/firma/revoke), with a PDF receipt. */

struct _ClaveFirmaPage
{
  ClavePage              parent_instance;

  /* Template widgets */
  GtkLabel              *firma_heading_label;
  GtkStack              *firma_stack;
  GtkWidget             *firma_retry_button;
  GtkLabel              *firma_holder_value;
  GtkLabel              *firma_issuer_value;
  GtkLabel              *firma_serial_value;
  GtkLabel              *firma_not_before_value;
  GtkLabel              *firma_not_after_value;
  GtkLabel              *firma_status_value;
  GtkWidget             *firma_revoked_row;
  GtkLabel              *firma_revoked_value;
  GtkWidget             *firma_revoke_button;
  GtkWidget             *firma_receipt_button;
  GtkCheckButton        *firma_accept_check;
  GtkWidget             *firma_confirm_button;
  GtkWidget             *firma_busy_box;
  GtkSpinner            *firma_spinner;
  GtkLabel              *firma_busy_label;
  GtkLabel              *firma_error_label;

  ClaveFirmaCertificate *certificate;  /* the newest, once listed */
  gboolean               busy;
  gboolean               revoking;     /* the busy call is the revocation */
};

G_DEFINE_FINAL_TYPE (ClaveFirmaPage, clave_firma_page, CLAVE_TYPE_PAGE)

static void
show_error (ClaveFirmaPage *self,
            const char     *message)
{
  gtk_label_set_text (self->firma_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->firma_error_label), message != NULL);
}

static void
set_busy (ClaveFirmaPage *self,
          const char     *what)
{
  self->busy = what != NULL;
  gtk_label_set_text (self->firma_busy_label, what != NULL ? what : "");
  gtk_widget_set_visible (self->firma_busy_box, what != NULL);
  gtk_spinner_set_spinning (self->firma_spinner, what != NULL);
  gtk_widget_set_sensitive (self->firma_confirm_button,
                            !self->busy && gtk_check_button_get_active (self->firma_accept_check));
  gtk_widget_set_sensitive (self->firma_revoke_button, !self->busy);
}

static char *
format_date (gint64 unix_time)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_time);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%d/%m/%Y %H:%M") : g_strdup ("");
}

/* "4F 1A …", as GNOME's certificate viewer shows a serial: the line may
 * break between bytes (not inside one) on a narrow window. */
static char *
format_serial (const char *hex)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; hex[i] != '\0'; i++)
    {
      if (i > 0 && i % 2 == 0)
        g_string_append_c (text, ' ');
      g_string_append_c (text, g_ascii_toupper (hex[i]));
    }
  return g_string_free (text, FALSE);
}

static const char *
status_to_text (const char *status)
{
  if (g_strcmp0 (status, CLAVE_FIRMA_VALID) == 0)
    return _("Valid");
  if (g_strcmp0 (status, CLAVE_FIRMA_REVOKED) == 0)
    return _("Revoked");
  if (g_strcmp0 (status, CLAVE_FIRMA_EXPIRED) == 0)
    return _("Expired");
  return status != NULL ? status : "";
}

static void
show_step (ClaveFirmaPage *self,
           const char     *name)
{
  if (g_str_equal (name, "conditions"))
    gtk_label_set_text (self->firma_heading_label, _("Revoke your Cl@ve Firma certificate"));
  else
    gtk_label_set_text (self->firma_heading_label, _("Your Cl@ve Firma certificate"));
  gtk_stack_set_visible_child_name (self->firma_stack, name);
}

static void
show_certificate (ClaveFirmaPage *self)
{
  const ClaveFirmaCertificate *certificate = self->certificate;
  gboolean valid = g_strcmp0 (certificate->status, CLAVE_FIRMA_VALID) == 0;
  gboolean revoked = g_strcmp0 (certificate->status, CLAVE_FIRMA_REVOKED) == 0;
  g_autofree char *issuer = clave_x509_dn_display_name (certificate->issuer);
  g_autofree char *serial = format_serial (certificate->serial);
  g_autofree char *not_before = format_date (certificate->not_before);
  g_autofree char *not_after = format_date (certificate->not_after);
  g_autofree char *revoked_at = format_date (certificate->revoked_at);

  gtk_label_set_text (self->firma_holder_value, certificate->holder);
  gtk_label_set_text (self->firma_issuer_value, issuer);
  gtk_label_set_text (self->firma_serial_value, serial);
  gtk_label_set_text (self->firma_not_before_value, not_before);
  gtk_label_set_text (self->firma_not_after_value, not_after);
  gtk_label_set_text (self->firma_status_value, status_to_text (certificate->status));
  gtk_label_set_text (self->firma_revoked_value, revoked ? revoked_at : "");
  gtk_widget_set_visible (self->firma_revoked_row, revoked);
  gtk_widget_set_visible (self->firma_revoke_button, valid);
  gtk_widget_set_visible (self->firma_receipt_button, revoked);
  show_step (self, "certificate");
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveFirmaPage) self = user_data;
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;

  certificates = clave_service_client_list_firma_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                         &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, NULL);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (certificates == NULL)
    {
      if (window != NULL && clave_service_error_get_action (error)
                            == CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST)
        clave_window_device_lost (window, NULL);
      show_error (self, error->message);
      gtk_widget_set_visible (self->firma_retry_button, TRUE);
      return;
    }

  g_clear_pointer (&self->certificate, clave_firma_certificate_free);
  if (certificates->len == 0)
    {
      show_step (self, "none");
      return;
    }
  /* The newest: the one that matters (older ones are revoked or expired). */
  self->certificate = g_ptr_array_steal_index (certificates, 0);
  show_certificate (self);
}

static void
revoked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ClaveFirmaPage) self = user_data;
  g_autoptr(ClaveFirmaCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;

  certificate = clave_service_client_revoke_firma_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                          &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, NULL);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (certificate == NULL)
    {
      if (window != NULL && clave_service_error_get_action (error)
                            == CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST)
        clave_window_device_lost (window, NULL);
      else
        show_error (self, error->message);
      return;
    }

  g_clear_pointer (&self->certificate, clave_firma_certificate_free);
  self->certificate = g_steal_pointer (&certificate);
  show_certificate (self);
  gtk_widget_grab_focus (self->firma_receipt_button);
  if (window != NULL)
    clave_window_add_toast (window, _("Certificate revoked"));
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveFirmaPage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client = NULL;
  GCancellable *cancellable = clave_page_get_cancellable (CLAVE_PAGE (self));

  if (!clave_window_unlock_for_call_finish (CLAVE_WINDOW (source), result, &key, &client,
                                            &device_id, &error))
    {
      set_busy (self, NULL);
      show_error (self, error != NULL ? error->message : NULL);
      /* Without the PIN there is nothing to show: offer to try again. */
      gtk_widget_set_visible (self->firma_retry_button, !self->revoking);
      return;
    }

  if (self->revoking && self->certificate != NULL)
    clave_service_client_revoke_firma_async (client, key, device_id, self->certificate->serial,
                                             cancellable, revoked_cb, g_object_ref (self));
  else if (!self->revoking)
    clave_service_client_list_firma_async (client, key, device_id, cancellable, listed_cb,
                                           g_object_ref (self));
  else
    set_busy (self, NULL);
}

static void
start (ClaveFirmaPage *self,
       gboolean        revoking)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveUnlockPrompt revoke_prompt = {
    .title = _("Cl@ve Firma"),
    .heading = _("Enter your device PIN to revoke your Cl@ve Firma certificate"),
    .body = _("The revocation cannot be undone."),
    .button = _("_Revoke Certificate"),
  };

  if (window == NULL || self->busy)
    return;
  show_error (self, NULL);
  gtk_widget_set_visible (self->firma_retry_button, FALSE);
  self->revoking = revoking;
  set_busy (self, revoking ? _("Revoking the certificate…") : _("Looking for your certificate…"));
  /* Revoking always asks the PIN; looking, as My data does. */
  clave_window_unlock_key_full_async (window, revoking, revoking ? &revoke_prompt : NULL,
                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      unlocked_cb, g_object_ref (self));
}

void
clave_firma_page_load (ClaveFirmaPage *self)
{
  g_return_if_fail (CLAVE_IS_FIRMA_PAGE (self));

  g_clear_pointer (&self->certificate, clave_firma_certificate_free);
  gtk_check_button_set_active (self->firma_accept_check, FALSE);
  set_busy (self, NULL);
  show_step (self, "loading");
  start (self, FALSE);
}

static void
on_retry_clicked (ClaveFirmaPage *self)
{
  start (self, FALSE);
}

static void
on_revoke_clicked (ClaveFirmaPage *self)
{
  gtk_check_button_set_active (self->firma_accept_check, FALSE);
  show_error (self, NULL);
  show_step (self, "conditions");
  gtk_widget_grab_focus (GTK_WIDGET (self->firma_accept_check));
}

static void
on_accept_toggled (ClaveFirmaPage *self)
{
  gtk_widget_set_sensitive (self->firma_confirm_button,
                            !self->busy && gtk_check_button_get_active (self->firma_accept_check));
}

static void
on_confirm_clicked (ClaveFirmaPage *self)
{
  if (gtk_check_button_get_active (self->firma_accept_check) && self->certificate != NULL)
    start (self, TRUE);
}

static void
on_cancel_clicked (ClaveFirmaPage *self)
{
  if (self->busy)
    return;
  show_error (self, NULL);
  if (self->certificate != NULL)
    show_certificate (self);
  gtk_widget_grab_focus (self->firma_revoke_button);
}

gboolean
clave_firma_page_save_receipt (ClaveFirmaPage  *self,
                               GFile           *file,
                               GError         **error)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  const ClaveFirmaCertificate *certificate;
  g_autofree char *number = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *revoked_at = NULL;
  g_autofree char *not_after = NULL;
  const char *fields[13];
  guint n = 0;

  g_return_val_if_fail (CLAVE_IS_FIRMA_PAGE (self), FALSE);

  certificate = self->certificate;
  if (certificate == NULL || g_strcmp0 (certificate->status, CLAVE_FIRMA_REVOKED) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("There is no revocation to make a receipt of."));
      return FALSE;
    }
  if (app != NULL)
    number = clave_profile_dup_document_number (clave_application_get_profile (app));
  masked = clave_document_mask (number != NULL ? number : "");
  serial = format_serial (certificate->serial);
  issuer = clave_x509_dn_display_name (certificate->issuer);
  revoked_at = format_date (certificate->revoked_at);
  not_after = format_date (certificate->not_after);

  fields[n++] = _("Revoked on");
  fields[n++] = revoked_at;
  fields[n++] = _("Document");
  fields[n++] = masked;
  fields[n++] = _("Holder");
  fields[n++] = certificate->holder;
  fields[n++] = _("Serial number");
  fields[n++] = serial;
  fields[n++] = _("Issuer");
  fields[n++] = issuer;
  fields[n++] = _("It would have expired on");
  fields[n++] = not_after;
  fields[n] = NULL;
  return clave_receipt_write_pdf (file, _("Cl@ve Firma — certificate revoked"), fields,
                                  _("You revoked this Cl@ve Firma certificate, after reading and "
                                    "accepting the conditions, with your device PIN. It is "
                                    "listed as revoked in the certificate revocation list of "
                                    "Cl@ve Firma, and its private key was destroyed."),
                                  error);
}

static gboolean
write_receipt (ClavePage  *page,
               GFile      *file,
               GError    **error)
{
  return clave_firma_page_save_receipt (CLAVE_FIRMA_PAGE (page), file, error);
}

static void
receipt_failed (ClavePage  *page,
                const char *message)
{
  show_error (CLAVE_FIRMA_PAGE (page), message);
}

static void
on_receipt_clicked (ClaveFirmaPage *self)
{
  /* Translators: the file name a receipt is offered under. */
  clave_receipt_save (CLAVE_PAGE (self), _("clave-firma-revocation.pdf"), write_receipt,
                      receipt_failed);
}

static void
clave_firma_page_hidden (ClavePage *page)
{
  ClaveFirmaPage *self = CLAVE_FIRMA_PAGE (page);

  clave_receipt_cancel (page);
  set_busy (self, NULL);
  show_error (self, NULL);
}

static void
clave_firma_page_dispose (GObject *object)
{
  ClaveFirmaPage *self = CLAVE_FIRMA_PAGE (object);

  clave_receipt_cancel (CLAVE_PAGE (self));
  g_clear_pointer (&self->certificate, clave_firma_certificate_free);
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_FIRMA_PAGE);

  G_OBJECT_CLASS (clave_firma_page_parent_class)->dispose (object);
}

static void
clave_firma_page_class_init (ClaveFirmaPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_firma_page_dispose;
  page_class->hidden = clave_firma_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-firma-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, ClaveFirmaPage, name)
  BIND (firma_heading_label);
  BIND (firma_stack);
  BIND (firma_retry_button);
  BIND (firma_holder_value);
  BIND (firma_issuer_value);
  BIND (firma_serial_value);
  BIND (firma_not_before_value);
  BIND (firma_not_after_value);
  BIND (firma_status_value);
  BIND (firma_revoked_row);
  BIND (firma_revoked_value);
  BIND (firma_revoke_button);
  BIND (firma_receipt_button);
  BIND (firma_accept_check);
  BIND (firma_confirm_button);
  BIND (firma_busy_box);
  BIND (firma_spinner);
  BIND (firma_busy_label);
  BIND (firma_error_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_revoke_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_accept_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_receipt_clicked);
}

static void
clave_firma_page_init (ClaveFirmaPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
