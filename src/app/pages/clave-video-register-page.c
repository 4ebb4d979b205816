/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-video-register-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "clave-contrast-form.h"
#include "clave-contrast-input.h"
#include "clave-document.h"
#include "clave-protocol.h"
#include "clave-video-register-page.h"
#include "clave-window.h"

/* Registering by video identification (docs/protocol.md): the document,
 * its contrast data, a phone and an e-mail; the SMS code; the pictures,
 * each sent as it is chosen; then the office's review, whose outcome the
 * page asks for. The pictures come from files the person picks. */

typedef struct {
  const char *kind;   /* the protocol's name */
  const char *id;     /* the row's id suffix in the template */
} Picture;

static const Picture pictures[] = {
  { "front", "front" },
  { "back", "back" },
  { "face-1", "face1" },
  { "face-2", "face2" },
  { "face-3", "face3" },
};

struct _ClaveVideoRegisterPage
{
  ClavePage               parent_instance;

  /* Template widgets */
  GtkLabel               *video_heading_label;
  GtkStack               *video_stack;
  GtkEditable            *video_document_row;
  ClaveContrastForm      *video_contrast_form;
  GtkEditable            *video_phone_row;
  GtkEditable            *video_email_row;
  GtkWidget              *video_continue_button;
  GtkLabel               *video_code_label;
  GtkEditable            *video_code_row;
  GtkWidget              *video_confirm_button;
  GtkWidget              *video_resend_button;
  GtkWidget              *video_submit_button;
  GtkLabel               *video_status_label;
  GtkLabel               *video_reason_label;
  GtkWidget              *video_check_button;
  GtkWidget              *video_activate_button;
  GtkWidget              *video_again_button;
  GtkWidget              *video_busy_box;
  GtkSpinner             *video_spinner;
  GtkLabel               *video_busy_label;
  GtkLabel               *video_error_label;

  AdwActionRow           *rows[G_N_ELEMENTS (pictures)];
  GtkPicture             *thumbnails[G_N_ELEMENTS (pictures)];
  GtkWidget              *buttons[G_N_ELEMENTS (pictures)];
  gboolean                sent[G_N_ELEMENTS (pictures)];

  ClaveDocumentType       document_type;
  ClaveRegistration      *registration;  /* once started */
  GtkFileChooserNative   *chooser;       /* while choosing a picture */
  int                     choosing;      /* its index in pictures[] */
  GdkTexture             *pending_texture; /* the picture being sent */
  gboolean                busy;
};

G_DEFINE_FINAL_TYPE (ClaveVideoRegisterPage, clave_video_register_page, CLAVE_TYPE_PAGE)

static void
show_error (ClaveVideoRegisterPage *self,
            const char             *message)
{
  gtk_label_set_text (self->video_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->video_error_label), message != NULL);
}

static gboolean
all_sent (ClaveVideoRegisterPage *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    if (!self->sent[i])
      return FALSE;
  return TRUE;
}

/* The document typed, normalised, or NULL. */
static char *
typed_document (ClaveVideoRegisterPage *self,
                ClaveDocumentType      *type)
{
  char *document = NULL;

  *type = clave_document_validate (gtk_editable_get_text (self->video_document_row), &document,
                                   NULL);
  if (*type == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    g_clear_pointer (&document, g_free);
  return document;
}

static gboolean
email_is_plausible (const char *email)
{
  const char *at = strchr (email, '@');

  return at != NULL && at != email && strchr (at + 1, '.') != NULL && strchr (email, ' ') == NULL;
}

static void
update_buttons (ClaveVideoRegisterPage *self)
{
  g_autofree char *document = NULL;
  g_autofree char *phone = g_strstrip (g_strdup (gtk_editable_get_text (self->video_phone_row)));
  g_autofree char *email = g_strstrip (g_strdup (gtk_editable_get_text (self->video_email_row)));
  ClaveDocumentType type;

  document = typed_document (self, &type);
  gtk_widget_set_sensitive (self->video_continue_button,
                            !self->busy && document != NULL &&
                            clave_contrast_form_get_value (self->video_contrast_form) != NULL &&
                            strlen (phone) >= 9 && email_is_plausible (email));
  gtk_widget_set_sensitive (self->video_confirm_button,
                            !self->busy && clave_page_code_is_complete (gtk_editable_get_text (
                                                                          self->video_code_row)));
  gtk_widget_set_sensitive (self->video_resend_button, !self->busy);
  gtk_widget_set_sensitive (self->video_submit_button, !self->busy && all_sent (self));
  gtk_widget_set_sensitive (self->video_check_button, !self->busy);
  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    gtk_widget_set_sensitive (self->buttons[i], !self->busy);
}

static void
set_busy (ClaveVideoRegisterPage *self,
          const char             *what)
{
  self->busy = what != NULL;
  gtk_label_set_text (self->video_busy_label, what != NULL ? what : "");
  gtk_widget_set_visible (self->video_busy_box, what != NULL);
  gtk_spinner_set_spinning (self->video_spinner, what != NULL);
  update_buttons (self);
}

static void
show_step (ClaveVideoRegisterPage *self,
           const char             *name)
{
  show_error (self, NULL);
  gtk_stack_set_visible_child_name (self->video_stack, name);
  update_buttons (self);
}

void
clave_video_register_page_reset (ClaveVideoRegisterPage *self)
{
  GtkEditable *rows[] = { self->video_document_row, self->video_phone_row,
                          self->video_email_row, self->video_code_row };

  g_return_if_fail (CLAVE_IS_VIDEO_REGISTER_PAGE (self));

  g_clear_pointer (&self->registration, clave_registration_free);
  g_clear_object (&self->pending_texture);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    gtk_editable_set_text (rows[i], "");
  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    {
      self->sent[i] = FALSE;
      gtk_picture_set_paintable (self->thumbnails[i], NULL);
      adw_action_row_set_subtitle (self->rows[i], _("Not chosen yet"));
    }
  self->document_type = CLAVE_DOCUMENT_TYPE_UNKNOWN;
  gtk_widget_set_visible (GTK_WIDGET (self->video_contrast_form), FALSE);
  set_busy (self, NULL);
  show_step (self, "data");
  gtk_widget_grab_focus (GTK_WIDGET (self->video_document_row));
}

static ClaveServiceClient *
get_client (ClaveVideoRegisterPage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  g_autoptr(GError) error = NULL;
  ClaveServiceClient *client;

  if (app == NULL)
    return NULL;
  client = clave_application_get_client (app, &error);
  if (client == NULL)
    show_error (self, error->message);
  return client;
}

/* A failed call: its message, unless it was cancelled (FALSE then: the
 * page is gone or going). */
static gboolean
failed (ClaveVideoRegisterPage *self,
        GError                 *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  set_busy (self, NULL);
  show_error (self, error->message);
  return TRUE;
}

/* Data ---------------------------------------------------------------- */

static void
on_data_changed (ClaveVideoRegisterPage *self)
{
  g_autofree char *document = NULL;
  ClaveDocumentType type;

  document = typed_document (self, &type);
  /* The contrast data follow the document's type. */
  if (type != CLAVE_DOCUMENT_TYPE_UNKNOWN && type != self->document_type)
    {
      self->document_type = type;
      clave_contrast_form_reset (self->video_contrast_form, type);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->video_contrast_form),
                          self->document_type != CLAVE_DOCUMENT_TYPE_UNKNOWN);
  update_buttons (self);
}

static void
show_code_step (ClaveVideoRegisterPage *self)
{
  g_autofree char *text = NULL;

  /* Translators: %s is the end of a phone number, ******999. */
  text = g_strdup_printf (_("Cl@ve sent a code to your phone %s. Type it to confirm that the "
                            "phone is yours."),
                          self->registration->phone_hint != NULL
                          ? self->registration->phone_hint : "");
  gtk_label_set_text (self->video_code_label, text);
  gtk_editable_set_text (self->video_code_row, "");
  show_step (self, "code");
  gtk_widget_grab_focus (GTK_WIDGET (self->video_code_row));
}

static void
started_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ClaveVideoRegisterPage) self = user_data;
  g_autoptr(GError) error = NULL;
  ClaveRegistration *registration;

  registration = clave_service_client_video_start_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                          &error);
  if (registration == NULL)
    {
      if (failed (self, error) &&
          g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED))
        show_error (self, _("The document number or the data of your document are not "
                            "correct. Check them and try again."));
      return;
    }
  set_busy (self, NULL);
  g_clear_pointer (&self->registration, clave_registration_free);
  self->registration = registration;
  show_code_step (self);
}

static void
on_continue_clicked (ClaveVideoRegisterPage *self)
{
  g_autofree char *document = NULL;
  ClaveServiceClient *client;
  ClaveContrastForm *form = self->video_contrast_form;
  ClaveDocumentType type;

  if (!gtk_widget_get_sensitive (self->video_continue_button))
    return;
  document = typed_document (self, &type);
  client = get_client (self);
  if (document == NULL || client == NULL)
    return;
  show_error (self, NULL);
  set_busy (self, _("Checking your data…"));
  clave_service_client_video_start_async (
    client, document, clave_contrast_kind_to_string (clave_contrast_form_get_kind (form)),
    clave_contrast_form_get_value (form), gtk_editable_get_text (self->video_phone_row),
    gtk_editable_get_text (self->video_email_row), clave_page_get_cancellable (CLAVE_PAGE (self)),
    started_cb, g_object_ref (self));
}

/* The code --------------------------------------------------------------- */

static void
on_code_changed (ClaveVideoRegisterPage *self)
{
  update_buttons (self);
}

static void
verified_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveVideoRegisterPage) self = user_data;
  g_autoptr(ClaveVideoStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  guint attempts_left = 0;

  status = clave_service_client_video_verify_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                     &attempts_left, &error);
  if (status == NULL)
    {
      if (failed (self, error) && attempts_left > 0)
        {
          g_autofree char *message = clave_page_wrong_code_message (attempts_left);

          show_error (self, message);
        }
      return;
    }
  set_busy (self, NULL);
  show_step (self, "pictures");
  gtk_label_set_text (self->video_heading_label, _("Your pictures"));
  gtk_widget_grab_focus (self->buttons[0]);
}

static void
on_confirm_clicked (ClaveVideoRegisterPage *self)
{
  ClaveServiceClient *client = get_client (self);

  if (client == NULL || self->registration == NULL ||
      !gtk_widget_get_sensitive (self->video_confirm_button))
    return;
  set_busy (self, _("Checking the code…"));
  clave_service_client_video_verify_async (client, self->registration,
                                           gtk_editable_get_text (self->video_code_row),
                                           clave_page_get_cancellable (CLAVE_PAGE (self)),
                                           verified_cb, g_object_ref (self));
}

static void
resent_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveVideoRegisterPage) self = user_data;
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;

  status = clave_service_client_video_resend_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                     &error);
  if (status == NULL)
    {
      failed (self, error);
      return;
    }
  set_busy (self, NULL);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window != NULL)
    clave_window_add_toast (window, _("A new code is on its way"));
}

static void
on_resend_clicked (ClaveVideoRegisterPage *self)
{
  ClaveServiceClient *client = get_client (self);

  if (client == NULL || self->registration == NULL || self->busy)
    return;
  set_busy (self, _("Sending another code…"));
  clave_service_client_video_resend_async (client, self->registration,
                                           clave_page_get_cancellable (CLAVE_PAGE (self)),
                                           resent_cb, g_object_ref (self));
}

/* Pictures --------------------------------------------------------------- */

static void
picture_sent_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ClaveVideoRegisterPage) self = user_data;
  g_autoptr(ClaveVideoStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *size = NULL;
  int i = self->choosing;

  status = clave_service_client_video_status_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                     &error);
  if (status == NULL)
    {
      g_clear_object (&self->pending_texture);
      failed (self, error);
      return;
    }
  set_busy (self, NULL);
  self->sent[i] = TRUE;
  gtk_picture_set_paintable (self->thumbnails[i], GDK_PAINTABLE (self->pending_texture));
  /* Translators: the size of a picture in pixels, 640 × 480. */
  size = g_strdup_printf (_("Sent, %d × %d"), gdk_texture_get_width (self->pending_texture),
                          gdk_texture_get_height (self->pending_texture));
  adw_action_row_set_subtitle (self->rows[i], size);
  g_clear_object (&self->pending_texture);
  update_buttons (self);
}

static void
send_picture (ClaveVideoRegisterPage *self,
              GFile                  *file)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *content_type = NULL;
  ClaveServiceClient *client;
  const char *mime;

  bytes = g_file_load_bytes (file, NULL, NULL, &error);
  if (bytes == NULL)
    {
      show_error (self, error->message);
      return;
    }
  /* What it is, from its bytes; the service checks again. */
  content_type = g_content_type_guess (NULL, g_bytes_get_data (bytes, NULL),
                                       g_bytes_get_size (bytes), NULL);
  mime = g_content_type_is_a (content_type, "image/png") ? "image/png"
         : g_content_type_is_a (content_type, "image/jpeg") ? "image/jpeg" : NULL;
  g_clear_object (&self->pending_texture);
  if (mime != NULL)
    self->pending_texture = gdk_texture_new_from_bytes (bytes, NULL);
  if (mime == NULL || self->pending_texture == NULL)
    {
      show_error (self, _("This file is not a JPEG or PNG picture. Choose a photo."));
      return;
    }
  client = get_client (self);
  if (client == NULL || self->registration == NULL)
    return;
  show_error (self, NULL);
  set_busy (self, _("Sending the picture…"));
  clave_service_client_video_put_image_async (client, self->registration,
                                              pictures[self->choosing].kind, bytes, mime,
                                              clave_page_get_cancellable (CLAVE_PAGE (self)),
                                              picture_sent_cb, g_object_ref (self));
}

static void
on_chooser_response (GtkNativeDialog        *chooser,
                     int                     response,
                     ClaveVideoRegisterPage *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL)
    send_picture (self, file);
}

static void
on_choose_clicked (ClaveVideoRegisterPage *self,
                   GtkButton              *button)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (window == NULL || self->chooser != NULL || self->busy)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    if (self->buttons[i] == GTK_WIDGET (button))
      self->choosing = (int) i;

  self->chooser = gtk_file_chooser_native_new (_("Choose a Picture"), GTK_WINDOW (window),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                                               _("_Cancel"));
  gtk_file_filter_set_name (filter, _("JPEG and PNG pictures"));
  gtk_file_filter_add_mime_type (filter, "image/jpeg");
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* The review ------------------------------------------------------------- */

static void
show_status (ClaveVideoRegisterPage *self,
             const ClaveVideoStatus *status)
{
  gboolean approved = g_strcmp0 (status->state, CLAVE_VIDEO_STATE_APPROVED) == 0;
  gboolean rejected = g_strcmp0 (status->state, CLAVE_VIDEO_STATE_REJECTED) == 0;

  if (approved)
    {
      gtk_label_set_text (self->video_heading_label, _("You are registered in Cl@ve"));
      gtk_label_set_text (self->video_status_label,
                          _("The office checked your pictures: you are registered at the basic "
                            "level. Now make this computer your Cl@ve device: log in with your "
                            "document and a code sent to your phone."));
    }
  else if (rejected)
    {
      gtk_label_set_text (self->video_heading_label, _("Your registration was not accepted"));
      gtk_label_set_text (self->video_status_label,
                          _("The office could not register you with these pictures. It says "
                            "why below; start again with new pictures, or register in person "
                            "at a Cl@ve registry office."));
    }
  else
    {
      gtk_label_set_text (self->video_heading_label, _("Your pictures are with an office"));
      gtk_label_set_text (self->video_status_label,
                          _("An office checks that the pictures show you and your document. "
                            "It usually takes a few working days. Check again here later; once "
                            "you are registered, you make this computer your Cl@ve device."));
    }
  gtk_label_set_text (self->video_reason_label, status->reason != NULL ? status->reason : "");
  gtk_widget_set_visible (GTK_WIDGET (self->video_reason_label),
                          rejected && status->reason != NULL);
  gtk_widget_set_visible (self->video_check_button, !approved && !rejected);
  gtk_widget_set_visible (self->video_activate_button, approved);
  gtk_widget_set_visible (self->video_again_button, rejected);
  show_step (self, "status");
}

static void
status_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveVideoRegisterPage) self = user_data;
  g_autoptr(ClaveVideoStatus) status = NULL;
  g_autoptr(GError) error = NULL;

  status = clave_service_client_video_status_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                     &error);
  if (status == NULL)
    {
      failed (self, error);
      return;
    }
  set_busy (self, NULL);
  show_status (self, status);
}

static void
on_submit_clicked (ClaveVideoRegisterPage *self)
{
  ClaveServiceClient *client = get_client (self);

  if (client == NULL || self->registration == NULL || !all_sent (self) || self->busy)
    return;
  set_busy (self, _("Sending your pictures for review…"));
  clave_service_client_video_submit_async (client, self->registration,
                                           clave_page_get_cancellable (CLAVE_PAGE (self)),
                                           status_cb, g_object_ref (self));
}

static void
on_check_clicked (ClaveVideoRegisterPage *self)
{
  ClaveServiceClient *client = get_client (self);

  if (client == NULL || self->registration == NULL || self->busy)
    return;
  set_busy (self, _("Asking for the outcome…"));
  clave_service_client_video_get_async (client, self->registration,
                                        clave_page_get_cancellable (CLAVE_PAGE (self)),
                                        status_cb, g_object_ref (self));
}

static void
on_activate_clicked (ClaveVideoRegisterPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window != NULL)
    clave_window_restart_login (window, _("You are registered. Log in to make this computer "
                                          "your Cl@ve device."));
}

static void
on_again_clicked (ClaveVideoRegisterPage *self)
{
  clave_video_register_page_reset (self);
}

static void
clave_video_register_page_hidden (ClavePage *page)
{
  ClaveVideoRegisterPage *self = CLAVE_VIDEO_REGISTER_PAGE (page);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  set_busy (self, NULL);
}

static void
clave_video_register_page_dispose (GObject *object)
{
  ClaveVideoRegisterPage *self = CLAVE_VIDEO_REGISTER_PAGE (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->pending_texture);
  g_clear_pointer (&self->registration, clave_registration_free);
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_VIDEO_REGISTER_PAGE);

  G_OBJECT_CLASS (clave_video_register_page_parent_class)->dispose (object);
}

static void
clave_video_register_page_class_init (ClaveVideoRegisterPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_video_register_page_dispose;
  page_class->hidden = clave_video_register_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX
                                               "/pages/clave-video-register-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, ClaveVideoRegisterPage, name)
  BIND (video_heading_label);
  BIND (video_stack);
  BIND (video_document_row);
  BIND (video_contrast_form);
  BIND (video_phone_row);
  BIND (video_email_row);
  BIND (video_continue_button);
  BIND (video_code_label);
  BIND (video_code_row);
  BIND (video_confirm_button);
  BIND (video_resend_button);
  BIND (video_submit_button);
  BIND (video_status_label);
  BIND (video_reason_label);
  BIND (video_check_button);
  BIND (video_activate_button);
  BIND (video_again_button);
  BIND (video_busy_box);
  BIND (video_spinner);
  BIND (video_busy_label);
  BIND (video_error_label);
#undef BIND
  /* The picture rows, found by name in init. */
  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    {
      const char *parts[] = { "row", "picture", "button" };

      for (guint j = 0; j < G_N_ELEMENTS (parts); j++)
        {
          g_autofree char *name = g_strdup_printf ("video_%s_%s", pictures[i].id, parts[j]);

          gtk_widget_class_bind_template_child_full (widget_class, g_intern_string (name), FALSE,
                                                     0);
        }
    }
  gtk_widget_class_bind_template_callback (widget_class, on_data_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_code_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_resend_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_submit_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_check_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_activate_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_again_clicked);
}

static void
clave_video_register_page_init (ClaveVideoRegisterPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The picture rows by their ids in the template. */
  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    {
      g_autofree char *row = g_strdup_printf ("video_%s_row", pictures[i].id);
      g_autofree char *picture = g_strdup_printf ("video_%s_picture", pictures[i].id);
      g_autofree char *button = g_strdup_printf ("video_%s_button", pictures[i].id);

      self->rows[i] = ADW_ACTION_ROW (gtk_widget_get_template_child (GTK_WIDGET (self),
                                                                      CLAVE_TYPE_VIDEO_REGISTER_PAGE,
                                                                      row));
      self->thumbnails[i] = GTK_PICTURE (gtk_widget_get_template_child (
                                           GTK_WIDGET (self), CLAVE_TYPE_VIDEO_REGISTER_PAGE,
                                           picture));
      self->buttons[i] = GTK_WIDGET (gtk_widget_get_template_child (
                                       GTK_WIDGET (self), CLAVE_TYPE_VIDEO_REGISTER_PAGE, button));
    }
}
