/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-request-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-protocol.h"
#include "clave-request-page.h"
#include "clave-window.h"

struct _ClaveRequestPage
{
  ClavePage             parent_instance;

  /* Template widgets */
  GtkStack             *request_stack;
  GtkLabel             *request_organisation_label;
  GtkLabel             *request_origin_label;
  GtkLabel             *request_code_label;
  GtkLabel             *request_countdown_label;
  GtkLabel             *request_error_label;
  GtkWidget            *request_confirm_button;
  GtkWidget            *request_reject_button;
  AdwStatusPage        *request_confirmed_status;
  AdwStatusPage        *request_rejected_status;

  ClaveAuthRequestInfo *request;
  guint                 countdown_id;
  gboolean              busy;
  gboolean              confirming;   /* what the answer on its way says */
};

G_DEFINE_FINAL_TYPE (ClaveRequestPage, clave_request_page, CLAVE_TYPE_PAGE)

static void
set_busy (ClaveRequestPage *self,
          gboolean          busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->request_confirm_button, !busy);
  gtk_widget_set_sensitive (self->request_reject_button, !busy);
}

static void
show_message (ClaveRequestPage *self,
              const char       *message)
{
  gtk_label_set_text (self->request_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->request_error_label), message != NULL);
}

static void
stop_countdown (ClaveRequestPage *self)
{
  g_clear_handle_id (&self->countdown_id, g_source_remove);
}

static void
show_outcome (ClaveRequestPage *self,
              const char       *name)
{
  GtkWidget *status;
  GtkWidget *button;

  stop_countdown (self);
  set_busy (self, FALSE);
  gtk_stack_set_visible_child_name (self->request_stack, name);

  /* The focus was on Confirm or Reject, now gone: it goes to the
   * outcome's button, or nothing visible would have it. Not when the
   * page is not on screen (an expiry seen later): the focus is another
   * page's then. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;
  status = gtk_stack_get_child_by_name (self->request_stack, name);
  button = status != NULL ? adw_status_page_get_child (ADW_STATUS_PAGE (status)) : NULL;
  if (button != NULL)
    gtk_widget_grab_focus (button);
}

static gint64
seconds_left (ClaveRequestPage *self)
{
  if (self->request == NULL)
    return 0;

  return MAX (0, self->request->expires_at - g_get_real_time () / G_USEC_PER_SEC);
}

static void
update_countdown (ClaveRequestPage *self)
{
  gint64 left = seconds_left (self);
  g_autofree char *text = NULL;

  /* Translators: minutes and seconds left to answer, such as 4:05. */
  text = g_strdup_printf (_("Time left to answer: %u:%02u"),
                          (guint) (left / 60), (guint) (left % 60));
  gtk_label_set_text (self->request_countdown_label, text);
}

static gboolean
countdown_cb (gpointer user_data)
{
  ClaveRequestPage *self = user_data;

  if (seconds_left (self) == 0)
    {
      self->countdown_id = 0;
      /* An answer on its way decides (the service may still take it). */
      if (!self->busy)
        show_outcome (self, "expired");
      return G_SOURCE_REMOVE;
    }

  update_countdown (self);
  return G_SOURCE_CONTINUE;
}

static void
start_countdown (ClaveRequestPage *self)
{
  stop_countdown (self);
  update_countdown (self);
  if (seconds_left (self) > 0)
    self->countdown_id = g_timeout_add_seconds (1, countdown_cb, self);
}

static void
show_request (ClaveRequestPage *self)
{
  g_autofree char *done = NULL;

  show_message (self, NULL);
  set_busy (self, FALSE);

  if (self->request == NULL)
    return;

  gtk_label_set_text (self->request_organisation_label,
                      self->request->organisation != NULL ? self->request->organisation : "");
  gtk_label_set_text (self->request_origin_label,
                      self->request->origin != NULL ? self->request->origin : "");
  gtk_label_set_text (self->request_code_label,
                      self->request->verification_code != NULL
                      ? self->request->verification_code : "");

  /* Translators: %s is an organisation, such as Agencia Tributaria. */
  done = g_strdup_printf (_("You can go on at the website of %s."),
                          self->request->organisation != NULL ? self->request->organisation : "");
  adw_status_page_set_description (self->request_confirmed_status, done);

  /* A QR code was shown by a website, not started with the document
   * number: its rejection says nothing about who knows that number. */
  if (g_strcmp0 (self->request->type, CLAVE_REQUEST_TYPE_QR) == 0)
    adw_status_page_set_description (self->request_rejected_status,
                                     _("The website’s session was refused, and nobody can use this "
                                       "code any more. If a website you do not trust showed it, "
                                       "close that page."));
  else
    adw_status_page_set_description (self->request_rejected_status,
                                     _("Nobody can log in with this request. If you did not start "
                                       "it, somebody may know your document number: keep your "
                                       "device PIN to yourself."));

  if (g_strcmp0 (self->request->status, CLAVE_REQUEST_STATUS_CONFIRMED) == 0)
    show_outcome (self, "confirmed");
  else if (g_strcmp0 (self->request->status, CLAVE_REQUEST_STATUS_REJECTED) == 0)
    show_outcome (self, "rejected");
  else if (g_strcmp0 (self->request->status, CLAVE_REQUEST_STATUS_EXPIRED) == 0
           || seconds_left (self) == 0)
    show_outcome (self, "expired");
  else
    {
      gtk_stack_set_visible_child_name (self->request_stack, "request");
      start_countdown (self);
    }
}

/* Answering */

static void
handle_error (ClaveRequestPage *self,
              const GError     *error)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  set_busy (self, FALSE);

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REQUEST_EXPIRED))
    {
      show_outcome (self, "expired");
      return;
    }
  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED))
    {
      if (window != NULL)
        clave_window_device_lost (window, NULL);
      return;
    }

  show_message (self, error->message);
  if (window != NULL && clave_service_error_is_transient (error))
    clave_window_show_error (window, error, NULL, NULL, NULL);
}

static void
answer_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveRequestPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean confirm = self->confirming;
  gboolean done;

  if (confirm)
    done = clave_service_client_confirm_request_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  else
    done = clave_service_client_reject_request_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (!done)
    {
      handle_error (self, error);
      return;
    }

  show_outcome (self, confirm ? "confirmed" : "rejected");
}

static void
answer (ClaveRequestPage *self,
        ClaveDeviceKey   *key,
        gboolean          confirm)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client;

  if (app == NULL || self->request == NULL)
    return;

  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      handle_error (self, error);
      return;
    }

  device_id = clave_profile_dup_device_id (clave_application_get_profile (app));
  if (confirm)
    clave_service_client_confirm_request_async (client, key, device_id, self->request->id,
                                                clave_page_get_cancellable (CLAVE_PAGE (self)),
                                                answer_cb, g_object_ref (self));
  else
    clave_service_client_reject_request_async (client, key, device_id, self->request->id,
                                               clave_page_get_cancellable (CLAVE_PAGE (self)),
                                               answer_cb, g_object_ref (self));
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveRequestPage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  gboolean confirm = self->confirming;

  key = clave_window_unlock_key_finish (CLAVE_WINDOW (source), result, &error);
  if (key == NULL)
    {
      set_busy (self, FALSE);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || g_error_matches (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED))
        return;
      handle_error (self, error);
      return;
    }

  if (seconds_left (self) == 0)
    {
      show_outcome (self, "expired");
      return;
    }

  answer (self, key, confirm);
}

static void
start_answer (ClaveRequestPage *self,
              gboolean          confirm)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveUnlockPrompt prompt = { NULL, };
  g_autofree char *title = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;

  if (window == NULL || self->request == NULL || self->busy)
    return;

  show_message (self, NULL);
  set_busy (self, TRUE);
  self->confirming = confirm;
  /* The dialog says what the PIN approves, and repeats the site and the
   * code to check against the website before typing it. */
  title = g_strdup_printf (confirm ? _("Log In to %s") : _("Reject Login to %s"),
                          self->request->organisation);
  heading = g_strdup_printf (confirm ? _("Enter your device PIN to log in to %s")
                                     : _("Enter your device PIN to reject the login to %s"),
                             self->request->organisation);
  body = g_strdup_printf (_("Website: %s\nVerification code: %s\nThe website must show the same code."),
                          self->request->origin, self->request->verification_code);
  prompt.title = title;
  prompt.heading = heading;
  prompt.body = body;
  prompt.button = confirm ? _("_Confirm") : _("_Reject");
  /* Confirming logs the person in somewhere: the PIN is asked every time,
   * even when the key is still unlocked. Rejecting needs the key only. */
  clave_window_unlock_key_full_async (window, confirm, &prompt,
                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      unlocked_cb, g_object_ref (self));
}

static void
on_confirm_clicked (ClaveRequestPage *self)
{
  start_answer (self, TRUE);
}

static void
on_reject_clicked (ClaveRequestPage *self)
{
  start_answer (self, FALSE);
}

static void
on_done_clicked (ClaveRequestPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window != NULL)
    clave_window_go_home (window);
}

/* Page */

static void
clave_request_page_shown (ClavePage *page)
{
  ClaveRequestPage *self = CLAVE_REQUEST_PAGE (page);

  show_request (self);
  if (gtk_widget_get_visible (self->request_confirm_button))
    gtk_widget_grab_focus (self->request_confirm_button);
}

static void
clave_request_page_hidden (ClavePage *page)
{
  ClaveRequestPage *self = CLAVE_REQUEST_PAGE (page);

  stop_countdown (self);
  set_busy (self, FALSE);
}

static void
clave_request_page_dispose (GObject *object)
{
  ClaveRequestPage *self = CLAVE_REQUEST_PAGE (object);

  stop_countdown (self);
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_REQUEST_PAGE);

  G_OBJECT_CLASS (clave_request_page_parent_class)->dispose (object);
}

static void
clave_request_page_finalize (GObject *object)
{
  ClaveRequestPage *self = CLAVE_REQUEST_PAGE (object);

  g_clear_pointer (&self->request, clave_auth_request_info_free);

  G_OBJECT_CLASS (clave_request_page_parent_class)->finalize (object);
}

static void
clave_request_page_class_init (ClaveRequestPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_request_page_dispose;
  object_class->finalize = clave_request_page_finalize;
  page_class->shown = clave_request_page_shown;
  page_class->hidden = clave_request_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-request-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_stack);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_organisation_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_origin_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_code_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_countdown_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_confirm_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_reject_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_confirmed_status);
  gtk_widget_class_bind_template_child (widget_class, ClaveRequestPage, request_rejected_status);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_reject_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked);
}

static void
clave_request_page_init (ClaveRequestPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
clave_request_page_set_request (ClaveRequestPage           *self,
                                const ClaveAuthRequestInfo *request)
{
  g_return_if_fail (CLAVE_IS_REQUEST_PAGE (self));
  g_return_if_fail (request != NULL);

  g_clear_pointer (&self->request, clave_auth_request_info_free);
  self->request = clave_auth_request_info_copy (request);
  show_request (self);
}

const char *
clave_request_page_get_request_id (ClaveRequestPage *self)
{
  g_return_val_if_fail (CLAVE_IS_REQUEST_PAGE (self), NULL);

  return self->request != NULL ? self->request->id : NULL;
}

gboolean
clave_request_page_is_open (ClaveRequestPage *self)
{
  g_return_val_if_fail (CLAVE_IS_REQUEST_PAGE (self), FALSE);

  return self->request != NULL &&
         (self->busy ||
          g_strcmp0 (gtk_stack_get_visible_child_name (self->request_stack), "request") == 0);
}

void
clave_request_page_update_status (ClaveRequestPage *self,
                                  const char       *id,
                                  const char       *status)
{
  g_return_if_fail (CLAVE_IS_REQUEST_PAGE (self));

  if (self->request == NULL || g_strcmp0 (self->request->id, id) != 0 || self->busy)
    return;
  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_PENDING) == 0)
    return;

  g_free (self->request->status);
  self->request->status = g_strdup (status);
  show_request (self);
}
