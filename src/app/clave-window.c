/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-window"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-window-private.h"
#include "clave-page.h"
#include "clave-qr.h"
#include "clave-request-uri.h"
#include "clave-unlock-dialog.h"
#include "clave-accessible-names.h"
#include "clave-contrast-form.h"
#include "clave-help-button.h"
#include "pages/clave-activate-method-page.h"
#include "pages/clave-certificate-page.h"
#include "pages/clave-change-email-page.h"
#include "pages/clave-change-phone-page.h"
#include "pages/clave-permanente-page.h"
#include "pages/clave-firma-page.h"
#include "pages/clave-video-register-page.h"
#include "pages/clave-contact-page.h"
#include "pages/clave-diagnostics-page.h"
#include "pages/clave-done-page.h"
#include "pages/clave-give-up-page.h"
#include "pages/clave-home-page.h"
#include "pages/clave-login-page.h"
#include "pages/clave-my-requests-page.h"
#include "pages/clave-my-data-page.h"
#include "pages/clave-not-registered-page.h"
#include "pages/clave-raise-level-page.h"
#include "pages/clave-request-page.h"
#include "pages/clave-set-pin-page.h"
#include "pages/clave-sms-code-page.h"

G_DEFINE_FINAL_TYPE (ClaveWindow, clave_window, ADW_TYPE_APPLICATION_WINDOW)

void
_clave_window_set_busy (ClaveWindow *self,
                        gboolean     busy)
{
  if (busy)
    self->busy++;
  else if (self->busy > 0)
    self->busy--;

  gtk_widget_set_visible (self->header_spinner, self->busy > 0);
  gtk_spinner_set_spinning (GTK_SPINNER (self->header_spinner), self->busy > 0);
}

void
_clave_window_clear_retry (ClaveWindow *self)
{
  gpointer data = g_steal_pointer (&self->retry_data);
  GDestroyNotify destroy = g_steal_pointer (&self->retry_data_destroy);

  self->retry = NULL;
  if (destroy != NULL && data != NULL)
    destroy (data);
}

static void
update_header (ClaveWindow *self)
{
  const char *title = NULL;

  if (self->current_page != NULL)
    title = clave_page_get_title (self->current_page);

  adw_window_title_set_title (self->window_title, title != NULL ? title : _("Clave Desktop"));
  gtk_widget_set_visible (self->back_button, self->history->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.back", self->history->len > 0);
}

static void
on_visible_page_changed (ClaveWindow *self)
{
  GtkWidget *child;
  g_autoptr(ClavePage) previous = NULL;

  /* Pages taken down with the window must not start anything. */
  if (self->closed)
    return;

  child = gtk_stack_get_visible_child (self->page_stack);
  previous = g_steal_pointer (&self->current_page);
  if (child == NULL || (GtkWidget *) previous == child)
    {
      self->current_page = g_steal_pointer (&previous);
      return;
    }

  /* A Retry left on screen would now act on a page the person left. */
  _clave_window_dismiss_toast (self);
  _clave_window_clear_retry (self);

  if (previous != NULL)
    clave_page_hidden (previous);

  self->current_page = g_object_ref (CLAVE_PAGE (child));
  update_header (self);
  clave_page_shown (self->current_page);

  /* The person left a request: the next one waiting, if any. */
  if (previous != NULL && CLAVE_IS_REQUEST_PAGE (previous) &&
      !CLAVE_IS_REQUEST_PAGE (self->current_page) && self->queued_requests.length > 0 &&
      self->next_request_id == 0)
    self->next_request_id = g_idle_add (_clave_window_show_next_request, self);
}

/* Pages
 *
 * Only the home page is in the window's template. Building every page
 * when the window opens (a GtkBuilder template each, with long wrapped
 * texts) took as long as the rest of the start-up; a page is made the
 * first time it is needed instead. Its widget name is its old template
 * id, for the tests and the inspector. */

typedef struct {
  const char *name;
  const char *id;
  GType     (*get_type) (void);
} PageInfo;

static const PageInfo page_infos[] = {
  { "login", "login_page", clave_login_page_get_type },
  { "not-registered", "not_registered_page", clave_not_registered_page_get_type },
  { "activate-method", "activate_method_page", clave_activate_method_page_get_type },
  { "certificate", "certificate_page", clave_certificate_page_get_type },
  { "contact", "contact_page", clave_contact_page_get_type },
  { "sms-code", "sms_code_page", clave_sms_code_page_get_type },
  { "set-pin", "set_pin_page", clave_set_pin_page_get_type },
  { "done", "done_page", clave_done_page_get_type },
  { "my-data", "my_data_page", clave_my_data_page_get_type },
  { "give-up", "give_up_page", clave_give_up_page_get_type },
  { "raise-level", "raise_level_page", clave_raise_level_page_get_type },
  { "change-phone", "change_phone_page", clave_change_phone_page_get_type },
  { "change-email", "change_email_page", clave_change_email_page_get_type },
  { "permanente", "permanente_page", clave_permanente_page_get_type },
  { "firma", "firma_page", clave_firma_page_get_type },
  { "video-register", "video_register_page", clave_video_register_page_get_type },
  { "request", "request_page", clave_request_page_get_type },
  { "history", "history_page", clave_my_requests_page_get_type },
  { "diagnostics", "diagnostics_page", clave_diagnostics_page_get_type },
};

GtkWidget *
_clave_window_ensure_page (ClaveWindow *self,
                           const char  *name)
{
  GtkWidget *child = gtk_stack_get_child_by_name (self->page_stack, name);

  if (child != NULL)
    return child;

  for (gsize i = 0; i < G_N_ELEMENTS (page_infos); i++)
    if (g_str_equal (page_infos[i].name, name))
      {
        child = g_object_new (page_infos[i].get_type (), NULL);
        gtk_widget_set_name (child, page_infos[i].id);
        gtk_stack_add_named (self->page_stack, child, name);
        return child;
      }

  g_return_val_if_reached (NULL);
}

static void
switch_to (ClaveWindow *self,
           const char  *name)
{
  GtkWidget *child = _clave_window_ensure_page (self, name);

  g_return_if_fail (child != NULL);

  gtk_stack_set_visible_child (self->page_stack, child);
  update_header (self);
}

static void
on_activated_changed (ClaveWindow *self)
{
  ClaveApplication *app = clave_window_get_clave_application (self);
  gboolean activated = app != NULL && clave_application_get_activated (app);

  gtk_widget_set_visible (self->personal_area_button, activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.login", !activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.register", !activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.my-data", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.give-up", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.raise-level", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.change-phone", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.change-email", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.permanente", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.firma", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.history", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.scan-qr", activated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.paste-request", activated);
}

/* Actions */

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  clave_window_go_back (CLAVE_WINDOW (widget));
}

static void
login_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  clave_window_show_page (CLAVE_WINDOW (widget), "login");
}

static void
my_data_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);

  if (g_strcmp0 (clave_window_get_page_name (self), "my-data") == 0)
    return;

  clave_window_show_page_after (self, "my-data", "home");
}

static void
give_up_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);

  if (g_strcmp0 (clave_window_get_page_name (self), "give-up") == 0)
    return;

  clave_window_show_page (self, "give-up");
}

static void
change_phone_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);
  GtkWidget *page;

  if (g_strcmp0 (clave_window_get_page_name (self), "change-phone") == 0)
    return;

  page = _clave_window_ensure_page (self, "change-phone");
  clave_change_phone_page_reset (CLAVE_CHANGE_PHONE_PAGE (page));
  clave_window_show_page (self, "change-phone");
}

static void
change_email_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);
  GtkWidget *page;

  if (g_strcmp0 (clave_window_get_page_name (self), "change-email") == 0)
    return;

  page = _clave_window_ensure_page (self, "change-email");
  clave_change_email_page_reset (CLAVE_CHANGE_EMAIL_PAGE (page));
  clave_window_show_page (self, "change-email");
}

static void
permanente_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);
  const ClaveMyData *data;
  GtkWidget *my_data;
  GtkWidget *page;

  if (g_strcmp0 (clave_window_get_page_name (self), "permanente") == 0)
    return;

  page = _clave_window_ensure_page (self, "permanente");
  my_data = gtk_stack_get_child_by_name (self->page_stack, "my-data");
  data = my_data != NULL ? clave_my_data_page_get_data (CLAVE_MY_DATA_PAGE (my_data)) : NULL;
  /* What My data last heard; the page works from it. */
  clave_permanente_page_set_person (CLAVE_PERMANENTE_PAGE (page),
                                    data != NULL ? data->permanente : NULL,
                                    data != NULL ? data->given_name : NULL,
                                    data != NULL ? data->surnames : NULL);
  clave_window_show_page (self, "permanente");
}

static void
firma_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);
  GtkWidget *page;

  if (g_strcmp0 (clave_window_get_page_name (self), "firma") == 0)
    return;

  page = _clave_window_ensure_page (self, "firma");
  clave_window_show_page (self, "firma");
  clave_firma_page_load (CLAVE_FIRMA_PAGE (page));
}

static void
raise_level_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);

  if (g_strcmp0 (clave_window_get_page_name (self), "raise-level") == 0)
    return;

  clave_window_show_page (self, "raise-level");
}

static void
register_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  clave_window_show_registration (CLAVE_WINDOW (widget), FALSE);
}

static void
diagnostics_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  clave_window_show_diagnostics (CLAVE_WINDOW (widget));
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);
  ClaveRetryFunc retry = self->retry;
  gpointer data = g_steal_pointer (&self->retry_data);
  GDestroyNotify destroy = g_steal_pointer (&self->retry_data_destroy);

  /* The toast's button dismisses the toast right after this action;
   * dismissing it here as well would dismiss it twice. */
  self->retry = NULL;
  g_clear_object (&self->toast);

  if (retry != NULL)
    retry (data);
  if (destroy != NULL && data != NULL)
    destroy (data);
}

static void
history_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);

  if (g_strcmp0 (clave_window_get_page_name (self), "history") == 0)
    return;

  clave_window_show_page_after (self, "history", "home");
}

static void
scan_response_cb (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  g_autoptr(ClaveWindow) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && !self->closed)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        clave_window_open_request_file (self, file);
    }

  g_object_unref (chooser);
}

static void
scan_qr_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Open an Image of the QR Code"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (images, _("Images"));
  gtk_file_filter_add_pixbuf_formats (images);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), images);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (scan_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
paste_text_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ClaveWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  if (self->closed)
    return;
  if (text == NULL)
    {
      clave_window_add_toast (self, _("The clipboard holds no QR code and no request link"));
      return;
    }

  clave_window_open_request_uri (self, text);
}

static void
paste_texture_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ClaveWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source), result, &error);
  if (self->closed)
    return;
  if (texture == NULL)
    {
      clave_window_add_toast (self, _("The clipboard holds no QR code and no request link"));
      return;
    }

  clave_window_open_request_texture (self, texture);
}

static void
paste_request_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, self->cancellable, paste_texture_cb,
                                      g_object_ref (self));
  else
    gdk_clipboard_read_text_async (clipboard, self->cancellable, paste_text_cb,
                                   g_object_ref (self));
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         ClaveWindow   *self)
{
  ClaveApplication *app = clave_window_get_clave_application (self);

  if (app == NULL || !clave_application_get_activated (app))
    return FALSE;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

      if (files == NULL)
        return FALSE;
      clave_window_open_request_file (self, files->data);
      g_slist_free (files);
      return TRUE;
    }
  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE))
    {
      clave_window_open_request_texture (self, g_value_get_object (value));
      return TRUE;
    }
  if (G_VALUE_HOLDS (value, G_TYPE_STRING))
    {
      clave_window_open_request_uri (self, g_value_get_string (value));
      return TRUE;
    }

  return FALSE;
}

static void do_sign_out (gpointer user_data);

static void
sign_out_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ClaveWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  ClaveApplication *app;
  ClaveLoginPage *login;

  if (!clave_service_client_deactivate_finish (CLAVE_SERVICE_CLIENT (source), result, &error)
      && !g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      _clave_window_set_busy (self, FALSE);
      self->deactivating = FALSE;
      clave_window_show_error (self, error, do_sign_out, g_object_ref (self), g_object_unref);
      return;
    }

  _clave_window_set_busy (self, FALSE);
  self->deactivating = FALSE;

  /* Deactivated on the service (now, or earlier by a newer activation):
   * either way nothing is left for this computer to sign. The login page
   * starts empty, and says what happened where it does not cover its
   * button (a toast would). */
  app = clave_window_get_clave_application (self);
  clave_application_forget_device (app);
  login = CLAVE_LOGIN_PAGE (_clave_window_ensure_page (self, "login"));
  clave_login_page_clear (login);
  clave_window_restart_login (self, _("This computer is no longer your Cl@ve device: its key "
                                      "was erased. To use it again, log in and activate it."));
}

static void
sign_out_unlocked_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(ClaveWindow) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveApplication *app;
  ClaveServiceClient *client;

  key = clave_window_unlock_key_finish (self, result, &error);
  if (key == NULL)
    {
      self->deactivating = FALSE;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || g_error_matches (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED))
        {
          _clave_window_set_busy (self, FALSE);
          return;
        }

      _clave_window_set_busy (self, FALSE);
      clave_window_show_error (self, error, NULL, NULL, NULL);
      return;
    }

  app = clave_window_get_clave_application (self);
  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      self->deactivating = FALSE;
      _clave_window_set_busy (self, FALSE);
      clave_window_show_error (self, error, do_sign_out, g_object_ref (self), g_object_unref);
      return;
    }

  device_id = clave_profile_dup_device_id (clave_application_get_profile (app));
  /* The service tells the push channel first: that is this deactivation,
   * not another device's (clave_window_device_lost()). Only now: a key
   * erased by wrong PINs is clave_window_device_lost()'s to explain. */
  self->deactivating = TRUE;
  clave_service_client_deactivate_async (client, key, device_id, self->cancellable,
                                         sign_out_done_cb, g_object_ref (self));
}

static void
do_sign_out (gpointer user_data)
{
  ClaveWindow *self = user_data;
  ClaveApplication *app = clave_window_get_clave_application (self);

  if (app == NULL || !clave_application_get_activated (app))
    return;

  _clave_window_set_busy (self, TRUE);
  clave_window_unlock_key_async (self, self->cancellable, sign_out_unlocked_cb, g_object_ref (self));
}

static void
on_sign_out_response (ClaveWindow *self,
                      const char  *response)
{
  do_sign_out (self);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ClaveWindow *self = CLAVE_WINDOW (widget);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                   _("Deactivate this computer?"),
                                   _("This computer will stop being your Cl@ve device: the key that "
                                     "proves it is yours is erased from it, and the Cl@ve service "
                                     "forgets it. Your registration in Cl@ve stays as it is. To use "
                                     "Clave Desktop again, log in with your DNI or NIE and activate "
                                     "this computer again."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "sign-out", _("_Deactivate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_widget_set_name (dialog, "sign-out-dialog");
  g_signal_connect_object (dialog, "response::sign-out",
                           G_CALLBACK (on_sign_out_response), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Window */

/* The window is going away (gtk_window_destroy() unrealizes it; it is
 * disposed only once the last reference is gone): stop all work, which
 * also drops the references that work holds on the window. */
static void
shut_down (ClaveWindow *self)
{
  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);

  if (self->current_page != NULL)
    clave_page_hidden (self->current_page);
  g_clear_object (&self->current_page);

  /* Not dismissed: the overlay goes with the window. */
  g_clear_object (&self->toast);
  _clave_window_clear_retry (self);
}

static void
clave_window_unrealize (GtkWidget *widget)
{
  shut_down (CLAVE_WINDOW (widget));

  GTK_WIDGET_CLASS (clave_window_parent_class)->unrealize (widget);
}

/* The application is set after construction (it is not a construct
 * property of GtkWindow), so everything that needs it waits for it. */
static void
set_up (ClaveWindow *self)
{
  ClaveApplication *app = clave_window_get_clave_application (self);
  GSettings *settings;

  g_return_if_fail (app != NULL);

  /* GTK keeps the default size as the unmaximized size, so the binding
   * also holds when the window closes maximized, or with Ctrl+Q. */
  settings = clave_profile_get_settings (clave_application_get_profile (app));
  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (app, "notify::activated",
                           G_CALLBACK (on_activated_changed), self, G_CONNECT_SWAPPED);
  on_activated_changed (self);

  on_visible_page_changed (self);
}

static void
clave_window_dispose (GObject *object)
{
  ClaveWindow *self = CLAVE_WINDOW (object);

  shut_down (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), CLAVE_TYPE_WINDOW);

  G_OBJECT_CLASS (clave_window_parent_class)->dispose (object);
}

static void
clave_window_finalize (GObject *object)
{
  ClaveWindow *self = CLAVE_WINDOW (object);

  g_clear_object (&self->flow);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->history, g_ptr_array_unref);
  g_queue_clear_full (&self->queued_requests, (GDestroyNotify) clave_auth_request_info_free);
  g_clear_handle_id (&self->next_request_id, g_source_remove);

  G_OBJECT_CLASS (clave_window_parent_class)->finalize (object);
}

static void
clave_window_class_init (ClaveWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clave_window_dispose;
  object_class->finalize = clave_window_finalize;
  widget_class->unrealize = clave_window_unrealize;

  g_type_ensure (CLAVE_TYPE_HELP_BUTTON);
  g_type_ensure (CLAVE_TYPE_CONTRAST_FORM);
  g_type_ensure (CLAVE_TYPE_HOME_PAGE);

  /* Once for the process, as class_init runs: every window's widgets. */
  clave_accessible_names_install ();

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/clave-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, ClaveWindow, header_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveWindow, personal_area_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ClaveWindow, page_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_visible_page_changed);

  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.login", NULL, login_action);
  gtk_widget_class_install_action (widget_class, "win.my-data", NULL, my_data_action);
  gtk_widget_class_install_action (widget_class, "win.give-up", NULL, give_up_action);
  gtk_widget_class_install_action (widget_class, "win.raise-level", NULL, raise_level_action);
  gtk_widget_class_install_action (widget_class, "win.change-phone", NULL, change_phone_action);
  gtk_widget_class_install_action (widget_class, "win.change-email", NULL, change_email_action);
  gtk_widget_class_install_action (widget_class, "win.permanente", NULL, permanente_action);
  gtk_widget_class_install_action (widget_class, "win.firma", NULL, firma_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "win.register", NULL, register_action);
  gtk_widget_class_install_action (widget_class, "win.diagnostics", NULL, diagnostics_action);
  gtk_widget_class_install_action (widget_class, "win.history", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "win.scan-qr", NULL, scan_qr_action);
  gtk_widget_class_install_action (widget_class, "win.paste-request", NULL, paste_request_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "win.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK,
                                       "win.paste-request", NULL);
}

static void
clave_window_init (ClaveWindow *self)
{
  GtkDropTarget *drop;
  GType types[] = { GDK_TYPE_FILE_LIST, GDK_TYPE_TEXTURE, G_TYPE_STRING };

  self->cancellable = g_cancellable_new ();
  self->history = g_ptr_array_new_with_free_func (g_free);
  self->flow = clave_flow_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* An image of a QR code, or a request link, dropped on the window. */
  drop = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (drop, types, G_N_ELEMENTS (types));
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

ClaveWindow *
clave_window_new (ClaveApplication *application)
{
  ClaveWindow *self;

  g_return_val_if_fail (CLAVE_IS_APPLICATION (application), NULL);

  self = g_object_new (CLAVE_TYPE_WINDOW, "application", application, NULL);
  set_up (self);

  return self;
}

ClaveApplication *
clave_window_get_clave_application (ClaveWindow *self)
{
  GtkApplication *app;

  g_return_val_if_fail (CLAVE_IS_WINDOW (self), NULL);

  app = gtk_window_get_application (GTK_WINDOW (self));

  return app != NULL ? CLAVE_APPLICATION (app) : NULL;
}

/* Navigation */

const char *
clave_window_get_page_name (ClaveWindow *self)
{
  g_return_val_if_fail (CLAVE_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->page_stack);
}

void
clave_window_show_page (ClaveWindow *self,
                        const char  *name)
{
  const char *current;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  current = clave_window_get_page_name (self);
  if (g_strcmp0 (current, name) == 0)
    return;

  if (current != NULL)
    g_ptr_array_add (self->history, g_strdup (current));
  switch_to (self, name);
}

void
clave_window_show_page_after (ClaveWindow *self,
                              const char  *name,
                              const char  *back_to)
{
  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  g_ptr_array_set_size (self->history, 0);
  if (back_to != NULL && g_strcmp0 (back_to, name) != 0)
    g_ptr_array_add (self->history, g_strdup (back_to));
  switch_to (self, name);
}

void
clave_window_go_back (ClaveWindow *self)
{
  g_autofree char *name = NULL;

  g_return_if_fail (CLAVE_IS_WINDOW (self));

  if (self->history->len == 0)
    return;

  name = g_ptr_array_steal_index (self->history, self->history->len - 1);
  switch_to (self, name);
}

void
clave_window_go_home (ClaveWindow *self)
{
  g_return_if_fail (CLAVE_IS_WINDOW (self));

  clave_window_show_page_after (self, "home", NULL);
}

ClaveFlow *
clave_window_get_flow (ClaveWindow *self)
{
  g_return_val_if_fail (CLAVE_IS_WINDOW (self), NULL);

  return self->flow;
}

void
clave_window_set_leaving (ClaveWindow *self,
                          gboolean     leaving)
{
  g_return_if_fail (CLAVE_IS_WINDOW (self));

  self->deactivating = leaving;
}

void
clave_window_show_welcome (ClaveWindow *self,
                           const char  *notice)
{
  ClaveApplication *app;
  ClaveHomePage *home;

  g_return_if_fail (CLAVE_IS_WINDOW (self));

  app = clave_window_get_clave_application (self);
  if (app != NULL)
    clave_application_forget_device (app);
  clave_flow_end_activation (self->flow);
  clave_flow_end_registration (self->flow);
  home = CLAVE_HOME_PAGE (_clave_window_ensure_page (self, "home"));
  clave_window_show_page_after (self, "home", NULL);
  clave_home_page_set_notice (home, notice);
}

void
clave_window_raise_level (ClaveWindow           *self,
                          ClaveCertificateProof *proof)
{
  ClaveRaiseLevelPage *page;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (proof != NULL);

  page = CLAVE_RAISE_LEVEL_PAGE (_clave_window_ensure_page (self, "raise-level"));
  /* Back from it leads to My data, not to the certificates. */
  clave_window_show_page_after (self, "raise-level", "my-data");
  clave_raise_level_page_send_proof (page, proof);
}

void
clave_window_change_phone (ClaveWindow           *self,
                           ClaveCertificateProof *proof)
{
  ClaveChangePhonePage *page;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (proof != NULL);

  page = CLAVE_CHANGE_PHONE_PAGE (_clave_window_ensure_page (self, "change-phone"));
  /* Back from it leads to My data, not to the certificates. */
  clave_window_show_page_after (self, "change-phone", "my-data");
  clave_change_phone_page_send_proof (page, proof);
}

void
clave_window_restart_login (ClaveWindow *self,
                            const char  *notice)
{
  g_return_if_fail (CLAVE_IS_WINDOW (self));

  clave_flow_end_activation (self->flow);
  clave_flow_end_registration (self->flow);
  clave_window_show_page_after (self, "login", "home");
  clave_login_page_set_notice (CLAVE_LOGIN_PAGE (_clave_window_ensure_page (self, "login")), notice);
}

void
clave_window_choose_certificate (ClaveWindow             *self,
                                 ClaveCertificatePurpose  purpose)
{
  ClavePage *page;

  g_return_if_fail (CLAVE_IS_WINDOW (self));

  page = CLAVE_PAGE (_clave_window_ensure_page (self, "certificate"));
  clave_certificate_page_set_purpose (CLAVE_CERTIFICATE_PAGE (page), purpose);
  if (g_strcmp0 (clave_window_get_page_name (self), "certificate") == 0)
    {
      /* Already there: show it again from the start. */
      clave_page_hidden (page);
      clave_page_shown (page);
      update_header (self);
      return;
    }

  clave_window_show_page (self, "certificate");
}

void
clave_window_show_registration (ClaveWindow *self,
                                gboolean     identified)
{
  g_return_if_fail (CLAVE_IS_WINDOW (self));

  clave_not_registered_page_set_identified (CLAVE_NOT_REGISTERED_PAGE (_clave_window_ensure_page (self, "not-registered")),
                                           identified);
  if (identified)
    clave_window_show_page (self, "not-registered");
  else
    clave_window_show_page_after (self, "not-registered", "home");
  update_header (self);
}

void
clave_window_show_video_registration (ClaveWindow *self)
{
  GtkWidget *page;

  g_return_if_fail (CLAVE_IS_WINDOW (self));

  page = _clave_window_ensure_page (self, "video-register");
  clave_video_register_page_reset (CLAVE_VIDEO_REGISTER_PAGE (page));
  clave_window_show_page (self, "video-register");
}

void
clave_window_show_diagnostics (ClaveWindow *self)
{
  g_return_if_fail (CLAVE_IS_WINDOW (self));

  if (g_strcmp0 (clave_window_get_page_name (self), "diagnostics") == 0)
    return;

  clave_window_show_page (self, "diagnostics");
}

/* Device key */

static void
unlock_dialog_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ClaveWindow *self = g_task_get_source_object (task);
  ClaveApplication *app = clave_window_get_clave_application (self);
  g_autoptr(GError) error = NULL;
  ClaveDeviceKey *key;

  if (!clave_unlock_dialog_run_finish (result, &error))
    {
      if (g_error_matches (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED))
        clave_window_device_lost (self,
                                  _("A wrong PIN was typed too many times, so the device key was "
                                    "erased to protect your account. Log in and activate this "
                                    "computer again."));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  key = app != NULL ? clave_application_get_device_key (app) : NULL;
  if (key == NULL)
    {
      g_task_return_new_error (task, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_NOT_FOUND,
                               "%s", _("This computer is not activated as your Cl@ve device."));
      return;
    }

  clave_application_key_used (app);
  clave_application_pin_verified (app);
  g_task_return_pointer (task, g_object_ref (key), g_object_unref);
}

void
clave_window_unlock_key_async (ClaveWindow         *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  clave_window_unlock_key_full_async (self, FALSE, NULL, cancellable, callback, user_data);
}

void
clave_window_unlock_key_full_async (ClaveWindow             *self,
                                    gboolean                 always_ask_pin,
                                    const ClaveUnlockPrompt *prompt,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ClaveApplication *app;
  ClaveDeviceKey *key;

  g_return_if_fail (CLAVE_IS_WINDOW (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_window_unlock_key_async);

  app = clave_window_get_clave_application (self);
  key = app != NULL ? clave_application_get_device_key (app) : NULL;
  if (key == NULL)
    {
      g_task_return_new_error (task, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_NOT_FOUND,
                               "%s", _("This computer is not activated as your Cl@ve device."));
      return;
    }

  if (!always_ask_pin && clave_device_key_is_unlocked (key))
    {
      clave_application_key_used (app);
      g_task_return_pointer (task, g_object_ref (key), g_object_unref);
      return;
    }

  clave_unlock_dialog_run_async (GTK_WINDOW (self), key, prompt, cancellable,
                                 unlock_dialog_cb, g_steal_pointer (&task));
}

ClaveDeviceKey *
clave_window_unlock_key_finish (ClaveWindow   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
clave_window_unlock_for_call_finish (ClaveWindow          *self,
                                     GAsyncResult         *result,
                                     ClaveDeviceKey      **key,
                                     ClaveServiceClient  **client,
                                     char                **device_id,
                                     GError              **error)
{
  g_autoptr(ClaveDeviceKey) unlocked = NULL;
  g_autoptr(GError) local_error = NULL;
  ClaveApplication *app;

  unlocked = clave_window_unlock_key_finish (self, result, &local_error);
  if (unlocked == NULL)
    {
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (local_error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  app = clave_window_get_clave_application (self);
  *client = app != NULL ? clave_application_get_client (app, error) : NULL;
  if (*client == NULL)
    return FALSE;
  *device_id = clave_profile_dup_device_id (clave_application_get_profile (app));
  *key = g_steal_pointer (&unlocked);
  return TRUE;
}

void
clave_window_device_lost (ClaveWindow *self,
                          const char  *explanation)
{
  ClaveApplication *app;

  g_return_if_fail (CLAVE_IS_WINDOW (self));

  /* The person is deactivating this computer: sign_out_done_cb() ends
   * it, without the words for a device replaced elsewhere. */
  if (self->deactivating)
    return;

  app = clave_window_get_clave_application (self);
  if (app != NULL)
    clave_application_forget_device (app);

  clave_window_restart_login (self, explanation != NULL ? explanation
                                    : clave_service_error_device_lost_message ());
}
