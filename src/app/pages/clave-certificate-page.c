/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-certificate-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-certificate-page.h"
#include "clave-certificate-page-private.h"
#include "clave-certificate-row.h"
#include "clave-certificate-prover.h"
#include "clave-pin-dialog.h"
#include "clave-protocol.h"
#include "clave-window.h"


/* How long a card may take to say how many PIN tries it has left before
 * the dialog says it does not answer. A card answers in well under a
 * second; one that another program holds waits for that program. */
#define CARD_BUSY_SECONDS 3

G_DEFINE_FINAL_TYPE (ClaveCertificatePage, clave_certificate_page, CLAVE_TYPE_PAGE)

ClaveTokenManager *
_clave_certificate_page_get_token_manager (ClaveCertificatePage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));

  return app != NULL ? clave_application_get_token_manager (app) : NULL;
}

void
_clave_certificate_page_set_error (ClaveCertificatePage *self,
                                   const char           *message)
{
  gtk_label_set_text (self->certificate_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->certificate_error_label), message != NULL);
  gtk_label_set_text (self->certificate_empty_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->certificate_empty_error_label), message != NULL);
}

/* Stops whatever the dialog was for and closes it, when it is still open. */
void
_clave_certificate_page_close_dialog (ClaveCertificatePage *self)
{
  g_autoptr(ClavePinDialog) dialog = g_steal_pointer (&self->dialog);

  g_clear_handle_id (&self->card_busy_id, g_source_remove);
  if (self->work != NULL)
    g_cancellable_cancel (self->work);
  g_clear_object (&self->work);
  g_clear_object (&self->chosen);
  g_clear_object (&self->import_file);

  if (dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (dialog, self);
      clave_pin_dialog_finish (dialog);
    }
}

static void
on_dialog_cancelled (ClavePinDialog       *dialog,
                     ClaveCertificatePage *self)
{
  /* The dialog closes itself. */
  _clave_certificate_page_close_dialog (self);
}

static gboolean
is_card (gpointer item,
         gpointer user_data)
{
  return clave_certificate_get_source (item) == CLAVE_CERTIFICATE_SOURCE_TOKEN;
}

static gboolean
is_file (gpointer item,
         gpointer user_data)
{
  return clave_certificate_get_source (item) == CLAVE_CERTIFICATE_SOURCE_FILE;
}

/* The certificate the dialog is open for, or NULL when the card with it
 * has gone. */
static gboolean
chosen_still_there (ClaveCertificatePage *self)
{
  ClaveTokenManager *manager = _clave_certificate_page_get_token_manager (self);
  GListModel *all;
  const char *id;

  if (self->chosen == NULL || manager == NULL)
    return TRUE;

  all = clave_token_manager_get_certificates (manager);
  id = clave_certificate_get_id (self->chosen);
  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr(ClaveCertificate) certificate = g_list_model_get_item (all, i);

      if (g_strcmp0 (clave_certificate_get_id (certificate), id) == 0)
        return TRUE;
    }

  return FALSE;
}

/* One page for every certificate, on a card or in a file: on a desktop a
 * DNIe is one more card in a reader (the phone app has a page of its own
 * for it because it reads the DNIe by NFC). */
static void
update_view (ClaveCertificatePage *self)
{
  ClaveTokenManager *manager = _clave_certificate_page_get_token_manager (self);
  guint n_cards = self->cards != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->cards)) : 0;
  guint n_files = self->files != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->files)) : 0;
  gboolean looking = manager != NULL && !clave_token_manager_get_ready (manager);

  if (self->purpose == CLAVE_CERTIFICATE_PURPOSE_PHONE)
    {
      gtk_label_set_text (self->certificate_heading_label,
                          _("Change your phone with your certificate or DNIe"));
      gtk_label_set_text (self->certificate_body_label,
                          _("Choose your DNIe or electronic certificate. Cl@ve checks that it "
                            "names you before it sends a code to the new number."));
    }
  else if (self->purpose == CLAVE_CERTIFICATE_PURPOSE_LEVEL)
    {
      gtk_label_set_text (self->certificate_heading_label,
                          _("Raise your level with your certificate or DNIe"));
      gtk_label_set_text (self->certificate_body_label,
                          _("Choose your DNIe or electronic certificate. Cl@ve checks that it "
                            "names you and registers you at the advanced level."));
    }
  else if (self->purpose == CLAVE_CERTIFICATE_PURPOSE_REGISTRATION)
    {
      gtk_label_set_text (self->certificate_heading_label,
                          _("Register with your certificate or DNIe"));
      gtk_label_set_text (self->certificate_body_label,
                          _("Cl@ve reads your name and document number from your DNIe or "
                            "electronic certificate and registers you at the advanced level at "
                            "once."));
    }
  else
    {
      gtk_label_set_text (self->certificate_heading_label,
                          _("Activate with your certificate or DNIe"));
      gtk_label_set_text (self->certificate_body_label,
                          _("Choose your DNIe or electronic certificate. Cl@ve checks with it "
                            "that it is really you."));
    }

  if (looking)
    {
      adw_status_page_set_title (self->certificate_empty_status,
                                 _("Looking for card readers…"));
      adw_status_page_set_description (self->certificate_empty_status,
                                       _("Your DNIe or card shows here as soon as the reader "
                                         "reads it."));
    }
  else
    {
      adw_status_page_set_title (self->certificate_empty_status,
                                 _("Insert your DNIe or card, or import your certificate"));
      adw_status_page_set_description (self->certificate_empty_status,
                                       _("Your DNIe or card shows here as soon as the reader "
                                         "reads it. A certificate file (.p12 or .pfx), such as "
                                         "the one the FNMT issues, is imported once. If your "
                                         "card does not show, Diagnostics tells what the "
                                         "computer finds."));
    }

  gtk_widget_set_visible (self->certificate_cards_group, n_cards > 0);
  gtk_widget_set_visible (self->certificate_files_group, n_files > 0);
  gtk_stack_set_visible_child_name (self->certificate_stack,
                                    n_cards + n_files > 0 ? "list" : "empty");
}

static void
on_items_changed (ClaveCertificatePage *self)
{
  update_view (self);

  if (self->dialog != NULL && self->chosen != NULL && !chosen_still_there (self))
    {
      _clave_certificate_page_close_dialog (self);
      if (clave_page_get_window (CLAVE_PAGE (self)) != NULL)
        clave_window_show_card_error (clave_page_get_window (CLAVE_PAGE (self)),
                                      _("The card was removed from the reader. Insert it and "
                                        "choose the certificate again."));
    }
}

/* Removing an imported certificate */

static void
on_remove_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  ClaveCertificatePage *self = CLAVE_CERTIFICATE_PAGE (user_data);
  ClaveCertificate *certificate = g_object_get_data (G_OBJECT (dialog), "certificate");
  ClaveTokenManager *manager = _clave_certificate_page_get_token_manager (self);
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  g_autoptr(GError) error = NULL;

  if (manager == NULL || window == NULL || certificate == NULL)
    return;

  if (!clave_token_manager_remove (manager, certificate, &error))
    {
      clave_window_show_error (window, error, NULL, NULL, NULL);
      return;
    }

  clave_window_add_toast (window, _("Certificate removed"));
}

static void
on_remove (ClaveCertificateRow  *row,
           ClaveCertificatePage *self)
{
  ClaveCertificate *certificate = clave_certificate_row_get_certificate (row);
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (window == NULL || certificate == NULL)
    return;

  /* Translators: %s is the holder's name, such as MARTA VIDAL SOLER. */
  heading = g_strdup_printf (_("Remove the certificate of %s?"),
                             clave_certificate_get_holder_name (certificate));
  dialog = adw_message_dialog_new (GTK_WINDOW (window), heading,
                                   _("Clave Desktop deletes its copy of the certificate file. The "
                                     "file you imported it from stays where it is."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_widget_set_name (dialog, "remove-certificate-dialog");
  g_object_set_data_full (G_OBJECT (dialog), "certificate", g_object_ref (certificate),
                          g_object_unref);
  g_signal_connect_object (dialog, "response::remove", G_CALLBACK (on_remove_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Using a certificate: PIN, challenge, signature, proof */

static void use_certificate (ClaveCertificatePage *self,
                             ClaveCertificate     *certificate);

static void
on_row_activated (ClaveCertificateRow  *row,
                  ClaveCertificatePage *self)
{
  ClaveCertificate *certificate = clave_certificate_row_get_certificate (row);

  if (certificate != NULL && clave_certificate_is_valid_now (certificate))
    use_certificate (self, certificate);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  ClaveCertificatePage *self = user_data;
  GtkWidget *row = clave_certificate_row_new (item);

  g_signal_connect_object (row, "remove", G_CALLBACK (on_remove), self, 0);
  if (clave_certificate_row_get_usable (CLAVE_CERTIFICATE_ROW (row)))
    g_signal_connect_object (row, "activated", G_CALLBACK (on_row_activated), self, 0);

  return row;
}
typedef struct
{
  ClaveCertificatePage *self;
  ClaveCertificate     *certificate;
  GCancellable         *work;
} ProofData;

static void
proof_data_free (ProofData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->certificate);
  g_clear_object (&data->work);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProofData, proof_data_free)

/* Whether @data's work is still what the page is doing. */
static gboolean
proof_is_current (ProofData *data)
{
  return data->self->dialog != NULL && data->self->work == data->work
         && !g_cancellable_is_cancelled (data->work);
}

/* A card or file problem: in the dialog when the person can try again
 * there, else on the page (with Diagnostics for cards). */
void
_clave_certificate_page_report_token_error (ClaveCertificatePage *self,
                                            const GError         *error,
                                            ClavePinFlags         flags)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  gboolean card = self->chosen != NULL
                  && clave_certificate_get_source (self->chosen) == CLAVE_CERTIFICATE_SOURCE_TOKEN;
  gboolean card_problem = FALSE;
  const char *message;

  if (self->dialog == NULL)
    return;

  clave_pin_dialog_set_busy (self->dialog, FALSE);

  if (g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PIN))
    {
      /* The card's flags after the failure: fewer tries, perhaps locked. */
      clave_pin_dialog_set_flags (self->dialog,
                                  flags | (clave_pin_dialog_get_flags (self->dialog)
                                           & CLAVE_PIN_FLAGS_PROTECTED_PATH));
      if ((flags & CLAVE_PIN_FLAGS_LOCKED) == 0)
        clave_pin_dialog_set_error (self->dialog,
                                    _("The PIN is not correct. Check it and try again."), FALSE);
      return;
    }

  if (g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_REFUSED))
    {
      /* Perhaps a wrong PIN, perhaps not: what the card says now of its
       * tries, and the card's own words. */
      clave_pin_dialog_set_flags (self->dialog,
                                  flags | (clave_pin_dialog_get_flags (self->dialog)
                                           & CLAVE_PIN_FLAGS_PROTECTED_PATH));
      if ((flags & CLAVE_PIN_FLAGS_LOCKED) == 0)
        clave_pin_dialog_set_error (self->dialog, error->message, TRUE);
      return;
    }

  if (g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PASSWORD))
    {
      clave_pin_dialog_set_error (self->dialog,
                                  _("The password is not correct. Check it and try again."), FALSE);
      return;
    }

  if (g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_PIN_LOCKED))
    {
      clave_pin_dialog_set_flags (self->dialog,
                                  clave_pin_dialog_get_flags (self->dialog) | CLAVE_PIN_FLAGS_LOCKED);
      return;
    }

  message = clave_token_error_describe (error, &card_problem);

  if (g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_TOKEN_REMOVED)
      || g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES))
    {
      g_autofree char *copy = g_strdup (message);

      /* Nothing more to do with this card in the dialog. */
      _clave_certificate_page_close_dialog (self);
      _clave_certificate_page_set_error (self, copy);
      if (window != NULL)
        clave_window_show_card_error (window, copy);
      return;
    }

  clave_pin_dialog_set_error (self->dialog, message, card && card_problem);
}

static void start_proof (ClaveCertificatePage *self,
                         const char           *secret);

/* After a failed try: what the card or the service said. */
static void
report_proof_error (ProofData    *data,
                    const GError *error,
                    ClavePinFlags flags)
{
  ClaveCertificatePage *self = data->self;
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window == NULL || self->dialog == NULL)
    return;

  if (error->domain == CLAVE_TOKEN_ERROR)
    {
      gboolean pad = (clave_pin_dialog_get_flags (self->dialog) & CLAVE_PIN_FLAGS_PROTECTED_PATH) != 0;

      _clave_certificate_page_report_token_error (self, error, flags);
      /* On a PIN pad the reader asks again by itself. */
      if (pad && self->dialog != NULL
          && g_error_matches (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PIN)
          && (flags & CLAVE_PIN_FLAGS_LOCKED) == 0)
        start_proof (self, NULL);
      return;
    }

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED)
      || g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED))
    {
      _clave_certificate_page_close_dialog (self);
      clave_window_restart_login (window, error->message);
      return;
    }

  if (clave_service_error_is_transient (error)
      || g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CHALLENGE_EXPIRED)
      || g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TOO_MANY_ATTEMPTS))
    {
      /* The PIN was right, or not tried: the person tries again from the
       * dialog (a new try asks for a new challenge). */
      clave_pin_dialog_set_busy (self->dialog, FALSE);
      clave_pin_dialog_set_error (self->dialog, error->message, FALSE);
      return;
    }

  /* The service does not take this certificate (untrusted, expired,
   * somebody else's…): another one may do. */
  _clave_certificate_page_close_dialog (self);
  _clave_certificate_page_set_error (self, error->message);
}

static void
activate_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ProofData) data = user_data;
  ClaveCertificatePage *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *method = NULL;
  ClavePinFlags flags = CLAVE_PIN_FLAGS_NONE;
  ClaveWindow *window;

  clave_service_client_activate_with_certificate_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                         &method, &flags, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !proof_is_current (data))
    return;

  if (error != NULL)
    {
      report_proof_error (data, error, flags);
      return;
    }

  g_debug ("Activation verified by %s", method);
  window = clave_page_get_window (CLAVE_PAGE (self));
  _clave_certificate_page_close_dialog (self);
  if (window != NULL)
    /* Proven: Back from the PIN leads to the start. */
    clave_window_show_page_after (window, "set-pin", "login");
}

static void
prove_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(ProofData) data = user_data;
  ClaveCertificatePage *self = data->self;
  g_autoptr(ClaveCertificateProof) proof = NULL;
  g_autoptr(GError) error = NULL;
  ClavePinFlags flags = CLAVE_PIN_FLAGS_NONE;
  ClaveWindow *window;
  ClaveFlow *flow;

  proof = clave_service_client_prove_certificate_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                         &flags, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !proof_is_current (data))
    return;

  if (proof == NULL)
    {
      report_proof_error (data, error, flags);
      return;
    }

  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window == NULL)
    return;

  if (self->purpose == CLAVE_CERTIFICATE_PURPOSE_LEVEL ||
      self->purpose == CLAVE_CERTIFICATE_PURPOSE_PHONE)
    {
      /* Its page sends it, signed by the device. */
      _clave_certificate_page_close_dialog (self);
      if (self->purpose == CLAVE_CERTIFICATE_PURPOSE_LEVEL)
        clave_window_raise_level (window, g_steal_pointer (&proof));
      else
        clave_window_change_phone (window, g_steal_pointer (&proof));
      return;
    }

  flow = clave_window_get_flow (window);
  /* The contact page sends it, with the phone and the e-mail address. */
  clave_flow_set_registration_proof (flow, g_steal_pointer (&proof), data->certificate);
  _clave_certificate_page_close_dialog (self);
  clave_window_show_page (window, "contact");
}

/* The proof's purpose for what the certificate is chosen for (not
 * activation, which the service client proves itself). */
static const char *
proof_purpose (ClaveCertificatePurpose purpose)
{
  switch (purpose)
    {
    case CLAVE_CERTIFICATE_PURPOSE_LEVEL:
      return CLAVE_PROOF_PURPOSE_LEVEL;
    case CLAVE_CERTIFICATE_PURPOSE_PHONE:
      return CLAVE_PROOF_PURPOSE_PHONE;
    case CLAVE_CERTIFICATE_PURPOSE_ACTIVATION:
    case CLAVE_CERTIFICATE_PURPOSE_REGISTRATION:
    default:
      return CLAVE_PROOF_PURPOSE_REGISTRATION;
    }
}

static void
start_proof (ClaveCertificatePage *self,
             const char           *secret)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;
  ClaveTokenManager *manager = _clave_certificate_page_get_token_manager (self);
  const ClaveActivation *activation = NULL;
  ClaveServiceClient *client;
  g_autoptr(GError) error = NULL;
  ProofData *data;

  if (app == NULL || manager == NULL || self->dialog == NULL || self->chosen == NULL)
    return;

  if (self->purpose == CLAVE_CERTIFICATE_PURPOSE_ACTIVATION)
    {
      activation = clave_flow_get_activation (flow);
      if (activation == NULL)
        {
          _clave_certificate_page_close_dialog (self);
          clave_window_restart_login (window,
                                      _("The activation is no longer valid. Log in again to "
                                        "start over."));
          return;
        }
    }

  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      clave_pin_dialog_set_error (self->dialog, error->message, FALSE);
      return;
    }

  clave_pin_dialog_set_busy (self->dialog, TRUE);

  data = g_new0 (ProofData, 1);
  data->self = g_object_ref (self);
  data->certificate = g_object_ref (self->chosen);
  data->work = g_object_ref (self->work);

  if (activation != NULL)
    clave_service_client_activate_with_certificate_async (client, manager, activation,
                                                          self->chosen, secret, self->work,
                                                          activate_cb, data);
  else
    clave_service_client_prove_certificate_async (client, manager, self->chosen, secret,
                                                  proof_purpose (self->purpose),
                                                  self->work, prove_cb, data);
}

static void
on_secret_submitted (ClavePinDialog       *dialog,
                     const char           *secret,
                     ClaveCertificatePage *self)
{
  start_proof (self, secret);
}

static void
pin_flags_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ClaveCertificatePage) self = user_data;
  g_autoptr(GError) error = NULL;
  ClavePinFlags flags;

  flags = clave_token_manager_get_pin_flags_finish (CLAVE_TOKEN_MANAGER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->dialog == NULL)
    return;

  g_clear_handle_id (&self->card_busy_id, g_source_remove);
  if (error != NULL)
    {
      _clave_certificate_page_report_token_error (self, error, CLAVE_PIN_FLAGS_NONE);
      return;
    }

  clave_pin_dialog_set_busy (self->dialog, FALSE);
  clave_pin_dialog_set_flags (self->dialog, flags);

  if ((flags & CLAVE_PIN_FLAGS_PROTECTED_PATH) && !(flags & CLAVE_PIN_FLAGS_LOCKED))
    start_proof (self, NULL);
}

void
_clave_certificate_page_open_dialog (ClaveCertificatePage *self,
                                     ClavePinDialogKind    kind,
                                     const char           *description)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  self->work = g_cancellable_new ();
  self->dialog = g_object_ref (clave_pin_dialog_new (GTK_WINDOW (window), kind, description));
  g_signal_connect_object (self->dialog, "cancelled", G_CALLBACK (on_dialog_cancelled), self, 0);
}

static gboolean
card_busy_cb (gpointer user_data)
{
  ClaveCertificatePage *self = user_data;

  self->card_busy_id = 0;
  if (self->dialog != NULL)
    clave_pin_dialog_set_card_busy (self->dialog, TRUE);

  return G_SOURCE_REMOVE;
}

static void
use_certificate (ClaveCertificatePage *self,
                 ClaveCertificate     *certificate)
{
  ClaveTokenManager *manager = _clave_certificate_page_get_token_manager (self);
  gboolean card = clave_certificate_get_source (certificate) == CLAVE_CERTIFICATE_SOURCE_TOKEN;
  g_autofree char *description = NULL;

  if (manager == NULL || clave_page_get_window (CLAVE_PAGE (self)) == NULL)
    return;

  _clave_certificate_page_close_dialog (self);
  _clave_certificate_page_set_error (self, NULL);

  description = g_strdup_printf (card
                                 /* Translators: the holder's name, then the card's label. */
                                 ? _("Certificate of %s on the card “%s”.")
                                 /* Translators: the holder's name, then the file's name. */
                                 : _("Certificate of %s in the file “%s”."),
                                 clave_certificate_get_holder_name (certificate),
                                 clave_certificate_get_location (certificate));
  _clave_certificate_page_open_dialog (self, card ? CLAVE_PIN_DIALOG_CARD_PIN : CLAVE_PIN_DIALOG_FILE_PASSWORD, description);
  self->chosen = g_object_ref (certificate);
  g_signal_connect_object (self->dialog, "submitted", G_CALLBACK (on_secret_submitted), self, 0);

  if (card)
    {
      /* Tries left, locked, PIN pad: the card says before the PIN is asked. */
      clave_pin_dialog_set_busy (self->dialog, TRUE);
      self->card_busy_id = g_timeout_add_seconds (CARD_BUSY_SECONDS, card_busy_cb, self);
      clave_token_manager_get_pin_flags_async (manager, certificate, self->work,
                                               pin_flags_cb, g_object_ref (self));
    }

  gtk_window_present (GTK_WINDOW (self->dialog));
}

/* Page */

static GtkFilterListModel *
bind_list (ClaveCertificatePage *self,
           GListModel           *all,
           GtkCustomFilterFunc   func,
           GtkListBox           *list)
{
  GtkFilterListModel *model;

  model = gtk_filter_list_model_new (g_object_ref (all),
                                     GTK_FILTER (gtk_custom_filter_new (func, NULL, NULL)));
  g_signal_connect_object (model, "items-changed", G_CALLBACK (on_items_changed), self,
                           G_CONNECT_SWAPPED);
  gtk_list_box_bind_model (list, G_LIST_MODEL (model), create_row, self, NULL);
  return model;
}

static void
ensure_model (ClaveCertificatePage *self)
{
  ClaveTokenManager *manager;
  GListModel *all;

  if (self->cards != NULL)
    return;

  manager = _clave_certificate_page_get_token_manager (self);
  if (manager == NULL)
    return;

  all = clave_token_manager_get_certificates (manager);
  self->cards = bind_list (self, all, is_card, self->certificate_card_list);
  self->files = bind_list (self, all, is_file, self->certificate_file_list);
  g_signal_connect_object (manager, "notify::ready", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
}

static void
clave_certificate_page_shown (ClavePage *page)
{
  ClaveCertificatePage *self = CLAVE_CERTIFICATE_PAGE (page);

  _clave_certificate_page_set_error (self, NULL);
  ensure_model (self);
  update_view (self);
}

static void
clave_certificate_page_hidden (ClavePage *page)
{
  ClaveCertificatePage *self = CLAVE_CERTIFICATE_PAGE (page);

  _clave_certificate_page_close_dialog (self);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
}

static void
clave_certificate_page_dispose (GObject *object)
{
  ClaveCertificatePage *self = CLAVE_CERTIFICATE_PAGE (object);

  _clave_certificate_page_close_dialog (self);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);

  if (self->certificate_card_list != NULL)
    gtk_list_box_bind_model (self->certificate_card_list, NULL, NULL, NULL, NULL);
  if (self->certificate_file_list != NULL)
    gtk_list_box_bind_model (self->certificate_file_list, NULL, NULL, NULL, NULL);
  if (self->cards != NULL)
    g_signal_handlers_disconnect_by_data (self->cards, self);
  if (self->files != NULL)
    g_signal_handlers_disconnect_by_data (self->files, self);
  g_clear_object (&self->cards);
  g_clear_object (&self->files);

  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_CERTIFICATE_PAGE);

  G_OBJECT_CLASS (clave_certificate_page_parent_class)->dispose (object);
}

static void
clave_certificate_page_class_init (ClaveCertificatePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_certificate_page_dispose;
  page_class->shown = clave_certificate_page_shown;
  page_class->hidden = clave_certificate_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-certificate-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_stack);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_empty_status);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_empty_import_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_empty_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_heading_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_body_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_cards_group);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_card_list);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_files_group);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_file_list);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificatePage, certificate_import_button);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_import_clicked",
                                                G_CALLBACK (_clave_certificate_page_import_clicked));
}

static void
clave_certificate_page_init (ClaveCertificatePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
clave_certificate_page_set_purpose (ClaveCertificatePage    *self,
                                    ClaveCertificatePurpose  purpose)
{
  g_return_if_fail (CLAVE_IS_CERTIFICATE_PAGE (self));

  if (self->purpose != purpose)
    _clave_certificate_page_close_dialog (self);

  self->purpose = purpose;
  update_view (self);
}
