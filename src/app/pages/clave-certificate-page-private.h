/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-certificate-page.h"
#include "clave-pin-dialog.h"
#include "clave-token-manager.h"

G_BEGIN_DECLS

/* What the certificate page's files share: the page itself
 * (clave-certificate-page.c: the lists, using a certificate) and the
 * import of a file (clave-certificate-page-import.c). */

struct _ClaveCertificatePage
{
  ClavePage                parent_instance;

  /* Template widgets */
  GtkStack                *certificate_stack;
  AdwStatusPage           *certificate_empty_status;
  GtkWidget               *certificate_empty_import_button;
  GtkLabel                *certificate_empty_error_label;
  GtkLabel                *certificate_heading_label;
  GtkLabel                *certificate_body_label;
  GtkWidget               *certificate_cards_group;
  GtkListBox              *certificate_card_list;
  GtkWidget               *certificate_files_group;
  GtkListBox              *certificate_file_list;
  GtkLabel                *certificate_error_label;
  GtkWidget               *certificate_import_button;

  ClaveCertificatePurpose  purpose;
  GtkFilterListModel      *cards;
  GtkFilterListModel      *files;
  GtkFileChooserNative    *chooser;

  /* The certificate in use or the file being imported, while the PIN or
   * password dialog is open. */
  ClavePinDialog          *dialog;
  ClaveCertificate        *chosen;
  GFile                   *import_file;
  GCancellable            *work;
  guint                    card_busy_id;   /* the card has not answered yet */
};

ClaveTokenManager *_clave_certificate_page_get_token_manager (ClaveCertificatePage *self);
/* Shows @message (NULL hides it) under the lists or the empty page. */
void  _clave_certificate_page_set_error          (ClaveCertificatePage *self,
                                                  const char           *message);
/* Opens the PIN or password dialog, with a new cancellable for its work. */
void  _clave_certificate_page_open_dialog        (ClaveCertificatePage *self,
                                                  ClavePinDialogKind    kind,
                                                  const char           *description);
/* Stops whatever the dialog was for and closes it, when it is still open. */
void  _clave_certificate_page_close_dialog       (ClaveCertificatePage *self);
/* A card or file problem: in the dialog when the person can try again
 * there, else on the page (with Diagnostics for cards). */
void  _clave_certificate_page_report_token_error (ClaveCertificatePage *self,
                                                  const GError         *error,
                                                  ClavePinFlags         flags);
/* The Import button: the file chooser. */
void  _clave_certificate_page_import_clicked     (ClaveCertificatePage *self);

G_END_DECLS
