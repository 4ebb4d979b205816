/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-sms-code-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-document.h"
#include "clave-protocol.h"
#include "clave-sms-code-page.h"
#include "clave-window.h"

struct _ClaveSmsCodePage
{
  ClavePage  parent_instance;

  /* Template widgets */
  GtkLabel  *sms_heading_label;
  GtkWidget *sms_code_entry;
  GtkLabel  *sms_error_label;
  GtkLabel  *sms_expiry_label;
  GtkWidget *sms_verify_button;
  GtkWidget *sms_verify_spinner;
  GtkWidget *sms_resend_button;
  GtkLabel  *sms_resend_label;

  guint      tick_id;
  gboolean   busy;
  gboolean   setting_code;   /* the page, not the person, changes the entry */
};

G_DEFINE_FINAL_TYPE (ClaveSmsCodePage, clave_sms_code_page, CLAVE_TYPE_PAGE)

/* One page for both flows: the code that confirms an activation, and the
 * code that confirms the phone of a registration with a certificate. */
static gboolean
is_registration (ClaveSmsCodePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;

  return window != NULL && clave_flow_get_registration (flow) != NULL;
}

static char *
format_duration (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;

  /* Minutes and seconds, as on the website's countdown: 4:59. */
  return g_strdup_printf ("%u:%02u", (guint) (seconds / 60), (guint) (seconds % 60));
}

static void
set_error (ClaveSmsCodePage *self,
           const char       *message)
{
  gtk_label_set_text (self->sms_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sms_error_label), message != NULL);
}

/* Empties the entry without it counting as an edit of the person. */
static void
clear_code (ClaveSmsCodePage *self)
{
  self->setting_code = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->sms_code_entry), "");
  self->setting_code = FALSE;
}

static gboolean
code_is_complete (ClaveSmsCodePage *self)
{
  return clave_page_code_is_complete (gtk_editable_get_text (GTK_EDITABLE (self->sms_code_entry)));
}

static void
update (ClaveSmsCodePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;
  const ClaveActivation *activation = window != NULL ? clave_flow_get_activation (flow) : NULL;
  const ClaveSmsStatus *status = NULL;
  const char *phone_hint = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *expiry = NULL;
  g_autofree char *resend = NULL;
  gint64 sent_at = 0;
  gint64 elapsed = 0;
  gint64 expires_left = 0;
  gint64 resend_left = 0;
  gboolean can_resend = FALSE;

  if (window != NULL)
    status = clave_flow_get_sms_status (flow, &sent_at);

  if (status != NULL)
    {
      elapsed = (g_get_monotonic_time () - sent_at) / G_USEC_PER_SEC;
      expires_left = (gint64) status->code_expires_in - elapsed;
      resend_left = (gint64) status->resend_after - elapsed;
      phone_hint = status->phone_hint;
    }
  if (phone_hint == NULL && activation != NULL)
    phone_hint = activation->phone_hint;
  if (phone_hint == NULL && is_registration (self))
    phone_hint = clave_flow_get_registration (flow)->phone_hint;

  /* Translators: %s is the end of the phone number, such as ******789. */
  heading = g_strdup_printf (_("We sent a code to %s"), phone_hint != NULL ? phone_hint : "");
  gtk_label_set_text (self->sms_heading_label, heading);

  if (expires_left > 0)
    {
      g_autofree char *left = format_duration (expires_left);

      /* Translators: %s is minutes:seconds, such as 4:59. */
      expiry = g_strdup_printf (_("The code expires in %s"), left);
    }
  else
    expiry = g_strdup (_("The code has expired. Ask for a new code."));
  gtk_label_set_text (self->sms_expiry_label, expiry);

  if ((status == NULL || status->sends_left == 0) && is_registration (self))
    resend = g_strdup (_("You cannot ask for more codes. If none arrives, register again later."));
  else if (status == NULL || status->sends_left == 0)
    resend = g_strdup (_("You cannot ask for more codes. If none arrives, log in again later."));
  else if (resend_left > 0)
    {
      g_autofree char *left = format_duration (resend_left);

      /* Translators: %s is minutes:seconds, such as 0:25. */
      resend = g_strdup_printf (_("You can ask for a new code in %s"), left);
    }
  else
    can_resend = TRUE;

  gtk_label_set_text (self->sms_resend_label, resend != NULL ? resend : "");
  gtk_widget_set_visible (GTK_WIDGET (self->sms_resend_label), resend != NULL);
  gtk_widget_set_sensitive (self->sms_resend_button, !self->busy && can_resend);
  gtk_widget_set_sensitive (self->sms_verify_button, !self->busy && code_is_complete (self));
  gtk_widget_set_sensitive (self->sms_code_entry, !self->busy);
}

static void
set_busy (ClaveSmsCodePage *self,
          gboolean          busy)
{
  gboolean was_busy = self->busy;

  self->busy = busy;
  if (busy && !was_busy)
    clave_page_park_focus (CLAVE_PAGE (self));
  gtk_widget_set_visible (self->sms_verify_spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->sms_verify_spinner), busy);
  update (self);
  if (!busy && was_busy)
    clave_page_restore_focus (CLAVE_PAGE (self));
}

static gboolean
tick_cb (gpointer user_data)
{
  update (CLAVE_SMS_CODE_PAGE (user_data));

  return G_SOURCE_CONTINUE;
}

/* Keeps the entry to digits, also when a code with spaces is pasted. */
static void
on_insert_text (GtkEditable      *editable,
                const char       *text,
                int               length,
                int              *position,
                ClaveSmsCodePage *self)
{
  g_autoptr(GString) digits = g_string_new (NULL);

  if (length < 0)
    length = strlen (text);

  for (int i = 0; i < length; i++)
    if (g_ascii_isdigit (text[i]))
      g_string_append_c (digits, text[i]);

  if (digits->len == (gsize) length)
    return;

  g_signal_handlers_block_by_func (editable, on_insert_text, self);
  if (digits->len > 0)
    gtk_editable_insert_text (editable, digits->str, digits->len, position);
  g_signal_handlers_unblock_by_func (editable, on_insert_text, self);

  g_signal_stop_emission_by_name (editable, "insert-text");
}

static gboolean
restart_if_activation_gone (ClaveSmsCodePage *self,
                            const GError     *error)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;

  if (is_registration (self))
    {
      const char *message;

      if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REGISTRATION_LOCKED))
        message = _("A wrong code was typed too many times. Start the registration again to get "
                    "a new code.");
      else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED))
        message = _("The registration took too long and expired. Start it again.");
      else
        return FALSE;

      clave_flow_end_registration (flow);
      clave_window_show_registration (window, FALSE);
      clave_window_add_toast (window, message);
      return TRUE;
    }

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED))
    clave_window_restart_login (window,
                                _("A wrong code was typed too many times. Log in again to get a "
                                  "new code."));
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED))
    clave_window_restart_login (window,
                                _("The activation took too long and expired. Log in again to "
                                  "start over."));
  else
    return FALSE;

  return TRUE;
}

static void verify (ClaveSmsCodePage *self);
static void resend (ClaveSmsCodePage *self);
static void report_verify_error (ClaveSmsCodePage *self,
                                 const GError     *error,
                                 guint             attempts_left);

static void
retry_verify (gpointer user_data)
{
  verify (CLAVE_SMS_CODE_PAGE (user_data));
}

static void
retry_resend (gpointer user_data)
{
  resend (CLAVE_SMS_CODE_PAGE (user_data));
}

static void
verify_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveSmsCodePage) self = user_data;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;
  guint attempts_left = 0;

  if (clave_service_client_verify_sms_finish (CLAVE_SERVICE_CLIENT (source), result,
                                              &attempts_left, &error))
    {
      set_busy (self, FALSE);
      window = clave_page_get_window (CLAVE_PAGE (self));
      if (window != NULL)
        /* The code is used up: Back from the PIN leads to the start. */
        clave_window_show_page_after (window, "set-pin", "login");
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  report_verify_error (self, error, attempts_left);
}

static void
report_verify_error (ClaveSmsCodePage *self,
                     const GError     *error,
                     guint             attempts_left)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window == NULL || restart_if_activation_gone (self, error))
    return;

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE))
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "The code is not correct. %u attempt left.",
                                              "The code is not correct. %u attempts left.",
                                              attempts_left),
                                 attempts_left);
      set_error (self, message);
      clear_code (self);
      gtk_widget_grab_focus (self->sms_code_entry);
    }
  else if (clave_service_error_is_transient (error))
    clave_window_show_error (window, error, retry_verify, g_object_ref (self), g_object_unref);
  else
    set_error (self, error->message);
}

static void
registration_verify_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(ClaveSmsCodePage) self = user_data;
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *document = NULL;
  ClaveDocumentType type;
  ClaveWindow *window;
  ClaveFlow *flow;
  guint attempts_left = 0;

  activation = clave_service_client_registration_verify_finish (CLAVE_SERVICE_CLIENT (source),
                                                                result, &attempts_left, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window == NULL)
    return;
  flow = clave_window_get_flow (window);

  if (activation == NULL)
    {
      report_verify_error (self, error, attempts_left);
      return;
    }

  /* Registered, and the activation that comes with it is already
   * verified: what is left is the device PIN. Beginning the activation
   * ends the registration. */
  type = clave_document_validate (clave_flow_get_registration (flow)->document, &document, NULL);
  if (type == CLAVE_DOCUMENT_TYPE_UNKNOWN || document == NULL)
    {
      set_error (self, _("The service answered with a document number that is not valid."));
      return;
    }
  clave_flow_begin_activation (flow, document, type, activation);
  clave_window_show_page_after (window, "set-pin", "home");
  clave_window_add_toast (window, _("You are registered in Cl@ve at the advanced level"));
}

static void
verify (ClaveSmsCodePage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;
  const ClaveActivation *activation;
  ClaveServiceClient *client;
  g_autoptr(GError) error = NULL;

  if (app == NULL || self->busy || !code_is_complete (self))
    return;

  activation = clave_flow_get_activation (flow);
  if (activation == NULL && !is_registration (self))
    return;

  set_error (self, NULL);
  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      clave_window_show_error (window, error, retry_verify, g_object_ref (self), g_object_unref);
      return;
    }

  set_busy (self, TRUE);
  if (is_registration (self))
    {
      clave_service_client_registration_verify_async (client, clave_flow_get_registration (flow),
                                                      gtk_editable_get_text (GTK_EDITABLE (self->sms_code_entry)),
                                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                                      registration_verify_cb, g_object_ref (self));
      return;
    }
  clave_service_client_verify_sms_async (client, activation,
                                         gtk_editable_get_text (GTK_EDITABLE (self->sms_code_entry)),
                                         clave_page_get_cancellable (CLAVE_PAGE (self)),
                                         verify_cb, g_object_ref (self));
}

static void
resend_done (ClaveSmsCodePage     *self,
             const ClaveSmsStatus *status,
             const GError         *error)
{
  ClaveWindow *window;
  ClaveFlow *flow;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window == NULL)
    return;
  flow = clave_window_get_flow (window);

  if (status != NULL)
    {
      g_autofree char *message = NULL;

      clave_flow_set_sms_status (flow, status);
      set_busy (self, FALSE);
      clear_code (self);
      gtk_widget_grab_focus (self->sms_code_entry);
      /* Translators: %s is the end of the phone number, such as ******789. */
      message = g_strdup_printf (_("We sent a new code to %s"),
                                 status->phone_hint != NULL ? status->phone_hint : "");
      clave_window_add_toast (window, message);
      return;
    }

  set_busy (self, FALSE);
  if (restart_if_activation_gone (self, error))
    return;

  if (clave_service_error_is_transient (error))
    clave_window_show_error (window, error, retry_resend, g_object_ref (self), g_object_unref);
  else
    set_error (self, error->message);
}

static void
resend_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveSmsCodePage) self = user_data;
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;

  status = clave_service_client_send_sms_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  resend_done (self, status, error);
}

static void
registration_resend_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(ClaveSmsCodePage) self = user_data;
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;

  status = clave_service_client_registration_resend_finish (CLAVE_SERVICE_CLIENT (source), result,
                                                            &error);
  resend_done (self, status, error);
}

static void
resend (ClaveSmsCodePage *self)
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
  if (activation == NULL && !is_registration (self))
    return;

  set_error (self, NULL);
  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      clave_window_show_error (window, error, retry_resend, g_object_ref (self), g_object_unref);
      return;
    }

  set_busy (self, TRUE);
  if (is_registration (self))
    {
      clave_service_client_registration_resend_async (client, clave_flow_get_registration (flow),
                                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                                      registration_resend_cb, g_object_ref (self));
      return;
    }
  clave_service_client_send_sms_async (client, activation,
                                       clave_page_get_cancellable (CLAVE_PAGE (self)),
                                       resend_cb, g_object_ref (self));
}

static void
on_verify_clicked (ClaveSmsCodePage *self)
{
  verify (self);
}

static void
on_resend_clicked (ClaveSmsCodePage *self)
{
  resend (self);
}

static void
on_code_changed (ClaveSmsCodePage *self)
{
  /* An edit answers the error about the previous code; the page's own
   * changes (emptying the entry after a wrong code) keep it. */
  if (!self->setting_code)
    set_error (self, NULL);

  update (self);

  /* The sixth digit submits the code, as Verify would: once, since the
   * page is busy (and the entry insensitive) until the service answers;
   * only what the person types or pastes on the page on screen. */
  if (!self->setting_code && !self->busy && code_is_complete (self)
      && gtk_widget_get_mapped (self->sms_code_entry))
    verify (self);
}

static void
clave_sms_code_page_shown (ClavePage *page)
{
  ClaveSmsCodePage *self = CLAVE_SMS_CODE_PAGE (page);

  clear_code (self);
  set_error (self, NULL);
  set_busy (self, FALSE);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  self->tick_id = g_timeout_add_seconds (1, tick_cb, self);

  gtk_widget_grab_focus (self->sms_code_entry);
}

static void
clave_sms_code_page_hidden (ClavePage *page)
{
  ClaveSmsCodePage *self = CLAVE_SMS_CODE_PAGE (page);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  self->busy = FALSE;
  clear_code (self);
}

static void
clave_sms_code_page_dispose (GObject *object)
{
  ClaveSmsCodePage *self = CLAVE_SMS_CODE_PAGE (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);

  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_SMS_CODE_PAGE);

  G_OBJECT_CLASS (clave_sms_code_page_parent_class)->dispose (object);
}

static void
clave_sms_code_page_class_init (ClaveSmsCodePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_sms_code_page_dispose;
  page_class->shown = clave_sms_code_page_shown;
  page_class->hidden = clave_sms_code_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-sms-code-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveSmsCodePage, sms_heading_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveSmsCodePage, sms_code_entry);
  gtk_widget_class_bind_template_child (widget_class, ClaveSmsCodePage, sms_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveSmsCodePage, sms_expiry_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveSmsCodePage, sms_verify_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveSmsCodePage, sms_verify_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveSmsCodePage, sms_resend_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveSmsCodePage, sms_resend_label);
  gtk_widget_class_bind_template_callback (widget_class, on_verify_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_resend_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_code_changed);
}

static void
clave_sms_code_page_init (ClaveSmsCodePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (gtk_editable_get_delegate (GTK_EDITABLE (self->sms_code_entry)),
                    "insert-text", G_CALLBACK (on_insert_text), self);
}
