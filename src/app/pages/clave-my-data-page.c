/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-my-data-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-document.h"
#include "clave-my-data-page.h"
#include "clave-protocol.h"
#include "clave-window.h"

struct _ClaveMyDataPage
{
  ClavePage       parent_instance;

  /* Template widgets */
  GtkStack       *my_data_stack;
  GtkSpinner     *my_data_spinner;
  GtkToggleButton *my_data_show_button;
  GtkLabel       *my_data_document_value;
  GtkLabel       *my_data_name_value;
  GtkLabel       *my_data_phone_value;
  AdwActionRow   *my_data_email_row;
  AdwActionRow   *my_data_permanente_row;
  AdwActionRow   *my_data_firma_row;
  GtkLabel       *my_data_level_value;
  GtkWidget      *my_data_raise_button;
  GtkLabel       *my_data_channel_value;
  AdwStatusPage  *my_data_error_status;

  GSettings      *settings;       /* bound to the Show button */
  ClaveMyData    *data;           /* what is shown */
};

G_DEFINE_FINAL_TYPE (ClaveMyDataPage, clave_my_data_page, CLAVE_TYPE_PAGE)

static const char *
level_to_text (const char *level)
{
  if (g_strcmp0 (level, CLAVE_LEVEL_ADVANCED) == 0)
    return C_("level of registration", "Advanced");
  if (g_strcmp0 (level, CLAVE_LEVEL_BASIC) == 0)
    return C_("level of registration", "Basic");

  return level != NULL ? level : "";
}

static const char *
channel_to_text (const char *channel)
{
  if (g_strcmp0 (channel, CLAVE_CHANNEL_IN_PERSON) == 0)
    return _("In person at a registry office");
  if (g_strcmp0 (channel, CLAVE_CHANNEL_VIDEO) == 0)
    return _("By video identification");
  if (g_strcmp0 (channel, CLAVE_CHANNEL_CERTIFICATE) == 0)
    return _("With an electronic certificate");
  if (g_strcmp0 (channel, CLAVE_CHANNEL_DNIE) == 0)
    return _("With an electronic DNI (DNIe)");

  return channel != NULL ? channel : "";
}

static const char *
permanente_to_text (const char *state)
{
  if (g_strcmp0 (state, CLAVE_PERMANENTE_CODE_PENDING) == 0)
    return _("Activation code ready: activate it on the website");
  if (g_strcmp0 (state, CLAVE_PERMANENTE_CODE_EXPIRED) == 0)
    return _("The activation code has expired: get a new one");
  if (g_strcmp0 (state, CLAVE_PERMANENTE_CODE_BLOCKED) == 0)
    return _("The activation code is blocked: get a new one");
  if (g_strcmp0 (state, CLAVE_PERMANENTE_ACTIVE) == 0)
    return _("Active");
  if (g_strcmp0 (state, CLAVE_PERMANENTE_PASSWORD_BLOCKED) == 0)
    return _("The password is blocked after too many wrong tries");
  return _("Not activated: get an activation code");
}

static const char *
firma_to_text (const char *status)
{
  if (g_strcmp0 (status, CLAVE_FIRMA_VALID) == 0)
    return _("Valid certificate");
  if (g_strcmp0 (status, CLAVE_FIRMA_REVOKED) == 0)
    return _("The certificate is revoked");
  if (g_strcmp0 (status, CLAVE_FIRMA_EXPIRED) == 0)
    return _("The certificate has expired");
  return _("No certificate");
}

static void
update_document (ClaveMyDataPage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  gboolean show = gtk_toggle_button_get_active (self->my_data_show_button);
  g_autofree char *number = NULL;
  g_autofree char *masked = NULL;

  gtk_button_set_icon_name (GTK_BUTTON (self->my_data_show_button),
                            show ? "view-conceal-symbolic" : "view-reveal-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->my_data_show_button),
                               show ? _("Hide part of the document number")
                                    : _("Show the whole document number"));

  if (app == NULL)
    return;

  number = clave_profile_dup_document_number (clave_application_get_profile (app));
  if (show)
    gtk_label_set_text (self->my_data_document_value, number);
  else
    {
      masked = clave_document_mask (number);
      gtk_label_set_text (self->my_data_document_value, masked);
    }
}

static void
on_show_toggled (ClaveMyDataPage *self)
{
  update_document (self);
}

const ClaveMyData *
clave_my_data_page_get_data (ClaveMyDataPage *self)
{
  g_return_val_if_fail (CLAVE_IS_MY_DATA_PAGE (self), NULL);
  return self->data;
}

static void
show_data (ClaveMyDataPage *self,
           ClaveMyData     *data)
{
  g_autofree char *name = NULL;

  name = g_strjoin (" ", data->given_name != NULL ? data->given_name : "",
                    data->surnames != NULL ? data->surnames : "", NULL);
  gtk_label_set_text (self->my_data_name_value, g_strstrip (name));
  gtk_label_set_text (self->my_data_phone_value, data->phone != NULL ? data->phone : "");
  adw_action_row_set_subtitle (self->my_data_email_row, data->email != NULL ? data->email : "");
  gtk_label_set_text (self->my_data_level_value, level_to_text (data->level));
  /* Basic can become advanced here, with a certificate or DNIe. */
  gtk_widget_set_visible (self->my_data_raise_button,
                          g_strcmp0 (data->level, CLAVE_LEVEL_BASIC) == 0);
  gtk_label_set_text (self->my_data_channel_value, channel_to_text (data->registration_channel));
  adw_action_row_set_subtitle (self->my_data_permanente_row, permanente_to_text (data->permanente));
  adw_action_row_set_subtitle (self->my_data_firma_row, firma_to_text (data->firma));
  update_document (self);

  gtk_spinner_set_spinning (self->my_data_spinner, FALSE);
  gtk_stack_set_visible_child_name (self->my_data_stack, "data");
}

static void load (ClaveMyDataPage *self);

static void
retry_load (gpointer user_data)
{
  load (CLAVE_MY_DATA_PAGE (user_data));
}

static void
show_error (ClaveMyDataPage *self,
            const GError    *error)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED))
    {
      if (window != NULL)
        clave_window_device_lost (window, NULL);
      return;
    }

  gtk_spinner_set_spinning (self->my_data_spinner, FALSE);
  adw_status_page_set_description (self->my_data_error_status, error->message);
  gtk_stack_set_visible_child_name (self->my_data_stack, "error");

  if (window != NULL && clave_service_error_is_transient (error))
    clave_window_show_error (window, error, retry_load, g_object_ref (self), g_object_unref);
}

static void
my_data_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ClaveMyDataPage) self = user_data;
  g_autoptr(ClaveMyData) data = NULL;
  g_autoptr(GError) error = NULL;

  data = clave_service_client_get_my_data_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (data == NULL)
    show_error (self, error);
  else
    {
      show_data (self, data);
      g_clear_pointer (&self->data, clave_my_data_free);
      self->data = g_steal_pointer (&data);
    }
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveMyDataPage) self = user_data;
  ClaveWindow *window = CLAVE_WINDOW (source);
  ClaveApplication *app;
  ClaveServiceClient *client;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  GCancellable *cancellable;

  key = clave_window_unlock_key_finish (window, result, &error);
  if (key == NULL)
    {
      /* Cancelled by leaving the page: nothing to do. Cancelled in the PIN
       * dialog: the data cannot be shown, go back where the person was. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          GCancellable *request_cancellable = g_task_get_cancellable (G_TASK (result));

          if (!g_cancellable_is_cancelled (request_cancellable))
            clave_window_go_back (window);
          return;
        }
      if (g_error_matches (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED))
        return;

      show_error (self, error);
      return;
    }

  app = clave_page_get_application (CLAVE_PAGE (self));
  cancellable = clave_page_get_cancellable (CLAVE_PAGE (self));
  if (app == NULL || g_cancellable_is_cancelled (cancellable))
    return;

  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      show_error (self, error);
      return;
    }

  device_id = clave_profile_dup_device_id (clave_application_get_profile (app));
  clave_service_client_get_my_data_async (client, key, device_id, FALSE, cancellable,
                                          my_data_cb, g_object_ref (self));
}

static void
load (ClaveMyDataPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window == NULL)
    return;

  gtk_spinner_set_spinning (self->my_data_spinner, TRUE);
  gtk_stack_set_visible_child_name (self->my_data_stack, "loading");

  clave_window_unlock_key_async (window, clave_page_get_cancellable (CLAVE_PAGE (self)),
                                 unlocked_cb, g_object_ref (self));
}

static void
on_retry_clicked (ClaveMyDataPage *self)
{
  load (self);
}

static void
clave_my_data_page_shown (ClavePage *page)
{
  ClaveMyDataPage *self = CLAVE_MY_DATA_PAGE (page);
  ClaveApplication *app = clave_page_get_application (page);

  if (self->settings == NULL && app != NULL)
    {
      self->settings = g_object_ref (clave_profile_get_settings (clave_application_get_profile (app)));
      g_settings_bind (self->settings, "show-document",
                       self->my_data_show_button, "active", G_SETTINGS_BIND_DEFAULT);
    }

  update_document (self);
  load (self);
}

static void
clave_my_data_page_hidden (ClavePage *page)
{
  ClaveMyDataPage *self = CLAVE_MY_DATA_PAGE (page);

  gtk_spinner_set_spinning (self->my_data_spinner, FALSE);
}

static void
clave_my_data_page_dispose (GObject *object)
{
  ClaveMyDataPage *self = CLAVE_MY_DATA_PAGE (object);

  if (self->settings != NULL)
    g_settings_unbind (self->my_data_show_button, "active");
  g_clear_object (&self->settings);
  g_clear_pointer (&self->data, clave_my_data_free);

  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_MY_DATA_PAGE);

  G_OBJECT_CLASS (clave_my_data_page_parent_class)->dispose (object);
}

static void
clave_my_data_page_class_init (ClaveMyDataPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_my_data_page_dispose;
  page_class->shown = clave_my_data_page_shown;
  page_class->hidden = clave_my_data_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-my-data-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_stack);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_show_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_document_value);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_name_value);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_phone_value);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_email_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_permanente_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_firma_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_level_value);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_raise_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_channel_value);
  gtk_widget_class_bind_template_child (widget_class, ClaveMyDataPage, my_data_error_status);
  gtk_widget_class_bind_template_callback (widget_class, on_show_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
}

static void
clave_my_data_page_init (ClaveMyDataPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
