/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-activate-method-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-activate-method-page.h"
#include "clave-protocol.h"
#include "clave-window.h"

struct _ClaveActivateMethodPage
{
  ClavePage    parent_instance;

  /* Template widgets */
  AdwActionRow *method_sms_row;
  GtkWidget    *method_certificate_row;
  GtkStack     *method_sms_suffix;
  GtkSpinner   *method_sms_spinner;
  GtkWidget    *method_none_label;
  GtkLabel     *method_error_label;

  gboolean      busy;
};

G_DEFINE_FINAL_TYPE (ClaveActivateMethodPage, clave_activate_method_page, CLAVE_TYPE_PAGE)

static void
set_busy (ClaveActivateMethodPage *self,
          gboolean                 busy)
{
  self->busy = busy;
  gtk_stack_set_visible_child_name (self->method_sms_suffix, busy ? "busy" : "idle");
  gtk_spinner_set_spinning (self->method_sms_spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->method_sms_row), !busy);
  gtk_widget_set_sensitive (self->method_certificate_row, !busy);
}

static void
set_error (ClaveActivateMethodPage *self,
           const char              *message)
{
  gtk_label_set_text (self->method_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->method_error_label), message != NULL);
}

static void send_sms (ClaveActivateMethodPage *self);

static void
retry_send (gpointer user_data)
{
  send_sms (CLAVE_ACTIVATE_METHOD_PAGE (user_data));
}

static void
send_sms_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveActivateMethodPage) self = user_data;
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;
  ClaveFlow *flow;

  status = clave_service_client_send_sms_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window == NULL)
    return;
  flow = clave_window_get_flow (window);

  if (status != NULL)
    {
      clave_flow_set_sms_status (flow, status);
      clave_window_show_page (window, "sms-code");
      return;
    }

  if (clave_service_error_is_transient (error))
    clave_window_show_error (window, error, retry_send, g_object_ref (self), g_object_unref);
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED)
           || g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED))
    clave_window_restart_login (window, error->message);
  else
    set_error (self, error->message);
}

static void
send_sms (ClaveActivateMethodPage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;
  const ClaveActivation *activation;
  ClaveServiceClient *client;
  g_autoptr(GError) error = NULL;

  if (app == NULL || self->busy)
    return;

  activation = clave_flow_get_activation (flow);
  if (activation == NULL)
    return;

  /* Going back and forth must not send a new code each time: the code
   * page counts down the one already sent. */
  if (clave_flow_get_sms_status (flow, NULL) != NULL)
    {
      clave_window_show_page (window, "sms-code");
      return;
    }

  set_error (self, NULL);
  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      clave_window_show_error (window, error, retry_send, g_object_ref (self), g_object_unref);
      return;
    }

  set_busy (self, TRUE);
  clave_service_client_send_sms_async (client, activation,
                                       clave_page_get_cancellable (CLAVE_PAGE (self)),
                                       send_sms_cb, g_object_ref (self));
}

static void
on_sms_row_activated (ClaveActivateMethodPage *self)
{
  send_sms (self);
}

static void
on_certificate_row_activated (ClaveActivateMethodPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;

  if (window == NULL || self->busy || clave_flow_get_activation (flow) == NULL)
    return;

  set_error (self, NULL);
  clave_window_choose_certificate (window, CLAVE_CERTIFICATE_PURPOSE_ACTIVATION);
}

static void
clave_activate_method_page_shown (ClavePage *page)
{
  ClaveActivateMethodPage *self = CLAVE_ACTIVATE_METHOD_PAGE (page);
  ClaveWindow *window = clave_page_get_window (page);
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;
  const ClaveActivation *activation = window != NULL ? clave_flow_get_activation (flow) : NULL;
  gboolean sms = FALSE;
  gboolean certificate = FALSE;

  set_busy (self, FALSE);
  set_error (self, NULL);

  if (activation != NULL && activation->methods != NULL)
    {
      sms = g_strv_contains ((const char * const *) activation->methods, CLAVE_METHOD_SMS);
      certificate = g_strv_contains ((const char * const *) activation->methods,
                                     CLAVE_METHOD_CERTIFICATE);
    }

  if (sms)
    {
      g_autofree char *subtitle = NULL;

      /* Translators: %s is the end of the phone number, such as ******789. */
      subtitle = g_strdup_printf (_("We will send a code to your phone %s"),
                                  activation->phone_hint != NULL ? activation->phone_hint : "");
      adw_action_row_set_subtitle (self->method_sms_row, subtitle);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->method_sms_row), sms);
  gtk_widget_set_visible (self->method_certificate_row, certificate);
  gtk_widget_set_visible (self->method_none_label, !sms && !certificate);

  /* The keyboard (and a screen reader) starts on the first way offered. */
  if (sms)
    gtk_widget_grab_focus (GTK_WIDGET (self->method_sms_row));
  else if (certificate)
    gtk_widget_grab_focus (self->method_certificate_row);
}

static void
clave_activate_method_page_hidden (ClavePage *page)
{
  set_busy (CLAVE_ACTIVATE_METHOD_PAGE (page), FALSE);
}

static void
clave_activate_method_page_dispose (GObject *object)
{
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_ACTIVATE_METHOD_PAGE);

  G_OBJECT_CLASS (clave_activate_method_page_parent_class)->dispose (object);
}

static void
clave_activate_method_page_class_init (ClaveActivateMethodPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_activate_method_page_dispose;
  page_class->shown = clave_activate_method_page_shown;
  page_class->hidden = clave_activate_method_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-activate-method-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveActivateMethodPage, method_sms_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveActivateMethodPage, method_sms_suffix);
  gtk_widget_class_bind_template_child (widget_class, ClaveActivateMethodPage, method_sms_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveActivateMethodPage, method_certificate_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveActivateMethodPage, method_none_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveActivateMethodPage, method_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_sms_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_certificate_row_activated);
}

static void
clave_activate_method_page_init (ClaveActivateMethodPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
