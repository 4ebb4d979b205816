/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-certificate-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-certificate-page.h"
#include "clave-certificate-page-private.h"
#include "clave-window.h"

/* Importing a certificate file (.p12, .pfx) into the app's own token:
 * the file chooser, the file's password, the import. */

static void
import_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveCertificatePage) self = user_data;
  g_autoptr(ClaveCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;

  certificate = clave_token_manager_import_pkcs12_finish (CLAVE_TOKEN_MANAGER (source), result,
                                                          &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->dialog == NULL)
    return;

  window = clave_page_get_window (CLAVE_PAGE (self));

  if (certificate == NULL)
    {
      gboolean card_problem;

      if (g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PASSWORD))
        {
          _clave_certificate_page_report_token_error (self, error, CLAVE_PIN_FLAGS_NONE);
          return;
        }

      _clave_certificate_page_close_dialog (self);
      if (g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES))
        _clave_certificate_page_set_error (self, _("This file holds no certificate with its key that names a DNI or NIE."));
      else
        _clave_certificate_page_set_error (self, clave_token_error_describe (error, &card_problem));
      return;
    }

  _clave_certificate_page_close_dialog (self);
  if (window != NULL)
    clave_window_add_toast (window, _("Certificate imported"));
}

static void
on_import_submitted (ClavePinDialog       *dialog,
                     const char           *password,
                     ClaveCertificatePage *self)
{
  ClaveTokenManager *manager = _clave_certificate_page_get_token_manager (self);
  g_autofree char *path = NULL;

  if (manager == NULL || self->import_file == NULL)
    return;

  path = g_file_get_path (self->import_file);
  clave_pin_dialog_set_busy (self->dialog, TRUE);
  clave_token_manager_import_pkcs12_async (manager, path, password, self->work,
                                           import_cb, g_object_ref (self));
}

void
clave_certificate_page_import_file (ClaveCertificatePage *self,
                                    GFile                *file)
{
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *description = NULL;

  g_return_if_fail (CLAVE_IS_CERTIFICATE_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  if (clave_page_get_window (CLAVE_PAGE (self)) == NULL)
    return;

  _clave_certificate_page_close_dialog (self);
  _clave_certificate_page_set_error (self, NULL);

  path = g_file_get_path (file);
  if (path == NULL)
    {
      _clave_certificate_page_set_error (self, _("Only a file on this computer can be imported. Copy it here first."));
      return;
    }

  name = g_file_get_basename (file);
  /* Translators: %s is the name of a file, such as certificado.p12. */
  description = g_strdup_printf (_("“%s” is protected by the password chosen when the "
                                   "certificate was saved or exported."), name);
  _clave_certificate_page_open_dialog (self, CLAVE_PIN_DIALOG_FILE_PASSWORD, description);
  clave_pin_dialog_set_button_label (self->dialog, _("_Import"));
  self->import_file = g_object_ref (file);
  g_signal_connect_object (self->dialog, "submitted", G_CALLBACK (on_import_submitted), self, 0);
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
on_chooser_response (GtkNativeDialog      *chooser,
                     int                   response,
                     ClaveCertificatePage *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  g_clear_object (&self->chooser);

  if (file != NULL)
    clave_certificate_page_import_file (self, file);
}

void
_clave_certificate_page_import_clicked (ClaveCertificatePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  g_autoptr(GtkFileFilter) filter = NULL;

  if (window == NULL || self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (_("Import Certificate"), GTK_WINDOW (window),
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Import"), _("_Cancel"));
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Certificate files (.p12, .pfx)"));
  gtk_file_filter_add_pattern (filter, "*.[pP]12");
  gtk_file_filter_add_pattern (filter, "*.[pP][fF][xX]");
  gtk_file_filter_add_mime_type (filter, "application/x-pkcs12");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}
