/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-unlock-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-unlock-dialog.h"

struct _ClaveUnlockDialog
{
  AdwWindow       parent_instance;

  /* Template widgets */
  GtkWidget      *unlock_pin_entry;
  GtkWidget      *unlock_button;
  GtkWidget      *unlock_spinner;
  GtkLabel       *unlock_error_label;
  GtkLabel       *unlock_heading_label;
  GtkLabel       *unlock_body_label;
  GtkLabel       *unlock_button_label;

  ClaveDeviceKey *key;
  GTask          *task;           /* owned until the dialog finishes */
  GCancellable   *unlock_cancellable;
  char           *wrong_pin_message; /* kept above the countdown */
  gulong          cancelled_id;
  guint           wait_id;
  gboolean        busy;
};

G_DEFINE_FINAL_TYPE (ClaveUnlockDialog, clave_unlock_dialog, ADW_TYPE_WINDOW)

static void
show_error (ClaveUnlockDialog *self,
            const char        *message)
{
  gtk_label_set_text (self->unlock_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->unlock_error_label), message != NULL);
}

static void
update_sensitivity (ClaveUnlockDialog *self)
{
  const char *pin = gtk_editable_get_text (GTK_EDITABLE (self->unlock_pin_entry));

  gtk_widget_set_sensitive (self->unlock_pin_entry, !self->busy);
  gtk_widget_set_sensitive (self->unlock_button,
                            !self->busy && self->wait_id == 0
                            && clave_device_key_pin_is_acceptable (pin));
  gtk_widget_set_visible (self->unlock_spinner, self->busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->unlock_spinner), self->busy);
}

/* Finishes the task and closes; the dialog may be finalized on return. */
static void
finish (ClaveUnlockDialog *self,
        GError            *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }

  if (self->cancelled_id != 0)
    {
      g_cancellable_disconnect (g_task_get_cancellable (task), self->cancelled_id);
      self->cancelled_id = 0;
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
update_wait (ClaveUnlockDialog *self)
{
  guint delay = clave_device_key_get_retry_delay (self->key);
  g_autofree char *message = NULL;

  if (delay == 0)
    {
      g_clear_handle_id (&self->wait_id, g_source_remove);
      show_error (self, self->wrong_pin_message);
      update_sensitivity (self);
      return;
    }

  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "You can try again in %u second.",
                                          "You can try again in %u seconds.",
                                          delay),
                             delay);
  if (self->wrong_pin_message != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s\n%s", self->wrong_pin_message, message);

      show_error (self, both);
    }
  else
    show_error (self, message);
}

static gboolean
wait_tick_cb (gpointer user_data)
{
  ClaveUnlockDialog *self = user_data;

  if (clave_device_key_get_retry_delay (self->key) == 0)
    {
      self->wait_id = 0;
      show_error (self, self->wrong_pin_message);
      update_sensitivity (self);
      return G_SOURCE_REMOVE;
    }

  update_wait (self);
  return G_SOURCE_CONTINUE;
}

static void
start_wait (ClaveUnlockDialog *self)
{
  g_clear_handle_id (&self->wait_id, g_source_remove);
  if (clave_device_key_get_retry_delay (self->key) > 0)
    self->wait_id = g_timeout_add_seconds (1, wait_tick_cb, self);
  update_wait (self);
  update_sensitivity (self);
}

static void
unlock_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ClaveUnlockDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  self->busy = FALSE;

  if (clave_device_key_unlock_finish (CLAVE_DEVICE_KEY (source), result, &error))
    {
      finish (self, NULL);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED))
    {
      finish (self, g_steal_pointer (&error));
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->unlock_pin_entry), "");
  update_sensitivity (self);
  gtk_widget_grab_focus (self->unlock_pin_entry);

  /* The key's own messages say how many tries are left, or how long to
   * wait; from the third wrong PIN on, each try also waits longer. */
  g_clear_pointer (&self->wrong_pin_message, g_free);
  if (g_error_matches (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WRONG_PIN))
    self->wrong_pin_message = g_strdup (error->message);

  if (clave_device_key_get_retry_delay (self->key) > 0)
    {
      start_wait (self);
      if (self->wait_id != 0)
        return;
    }

  show_error (self, error->message);
}

static void
on_unlock_clicked (ClaveUnlockDialog *self)
{
  const char *pin = gtk_editable_get_text (GTK_EDITABLE (self->unlock_pin_entry));

  if (self->busy || self->wait_id != 0 || !clave_device_key_pin_is_acceptable (pin))
    return;

  /* See clave_page_park_focus(): the entry turns insensitive. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  self->busy = TRUE;
  show_error (self, NULL);
  update_sensitivity (self);

  clave_device_key_unlock_async (self->key, pin, self->unlock_cancellable,
                                 unlock_cb, g_object_ref (self));
}

static void
on_pin_changed (ClaveUnlockDialog *self)
{
  update_sensitivity (self);
}

static void
on_cancel_clicked (ClaveUnlockDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
clave_unlock_dialog_close_request (GtkWindow *window)
{
  ClaveUnlockDialog *self = CLAVE_UNLOCK_DIALOG (window);

  g_cancellable_cancel (self->unlock_cancellable);
  if (self->task != NULL)
    {
      /* finish() destroys the window itself. */
      finish (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         "Unlocking was cancelled"));
      return TRUE;
    }

  return GTK_WINDOW_CLASS (clave_unlock_dialog_parent_class)->close_request (window);
}

static void
clave_unlock_dialog_dispose (GObject *object)
{
  ClaveUnlockDialog *self = CLAVE_UNLOCK_DIALOG (object);

  g_cancellable_cancel (self->unlock_cancellable);
  g_clear_handle_id (&self->wait_id, g_source_remove);

  /* Destroyed without a close request (the application quits, or the
   * window it belongs to goes): whoever asked still gets an answer, and
   * the handler on their cancellable, which points here, goes. */
  if (self->task != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);

      if (self->cancelled_id != 0)
        g_cancellable_disconnect (g_task_get_cancellable (task), self->cancelled_id);
      self->cancelled_id = 0;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The window closed before the PIN was given");
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), CLAVE_TYPE_UNLOCK_DIALOG);

  G_OBJECT_CLASS (clave_unlock_dialog_parent_class)->dispose (object);
}

static void
clave_unlock_dialog_finalize (GObject *object)
{
  ClaveUnlockDialog *self = CLAVE_UNLOCK_DIALOG (object);

  g_assert (self->task == NULL);
  g_clear_object (&self->key);
  g_clear_object (&self->unlock_cancellable);
  g_free (self->wrong_pin_message);

  G_OBJECT_CLASS (clave_unlock_dialog_parent_class)->finalize (object);
}

static void
clave_unlock_dialog_class_init (ClaveUnlockDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = clave_unlock_dialog_dispose;
  object_class->finalize = clave_unlock_dialog_finalize;
  window_class->close_request = clave_unlock_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/clave-unlock-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveUnlockDialog, unlock_pin_entry);
  gtk_widget_class_bind_template_child (widget_class, ClaveUnlockDialog, unlock_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveUnlockDialog, unlock_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveUnlockDialog, unlock_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveUnlockDialog, unlock_heading_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveUnlockDialog, unlock_body_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveUnlockDialog, unlock_button_label);
  gtk_widget_class_bind_template_callback (widget_class, on_unlock_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_pin_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
clave_unlock_dialog_init (ClaveUnlockDialog *self)
{
  self->unlock_cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

static gboolean
close_idle_cb (gpointer user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));

  return G_SOURCE_REMOVE;
}

static void
on_task_cancelled (GCancellable      *cancellable,
                   ClaveUnlockDialog *self)
{
  /* The window that asked is closing: finish from an idle, because
   * disconnecting from within the "cancelled" handler would deadlock. */
  g_idle_add_full (G_PRIORITY_DEFAULT, close_idle_cb, g_object_ref (self), g_object_unref);
}

void
clave_unlock_dialog_run_async (GtkWindow               *parent,
                               ClaveDeviceKey          *key,
                               const ClaveUnlockPrompt *prompt,
                               GCancellable            *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ClaveUnlockDialog *self;

  g_return_if_fail (GTK_IS_WINDOW (parent));
  g_return_if_fail (CLAVE_IS_DEVICE_KEY (key));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_unlock_dialog_run_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  self = g_object_new (CLAVE_TYPE_UNLOCK_DIALOG,
                       "transient-for", parent,
                       "destroy-with-parent", TRUE,
                       "application", gtk_window_get_application (parent),
                       NULL);
  self->key = g_object_ref (key);
  self->task = g_steal_pointer (&task);
  if (prompt != NULL && prompt->title != NULL)
    gtk_window_set_title (GTK_WINDOW (self), prompt->title);
  if (prompt != NULL && prompt->heading != NULL)
    gtk_label_set_text (self->unlock_heading_label, prompt->heading);
  if (prompt != NULL && prompt->body != NULL)
    gtk_label_set_text (self->unlock_body_label, prompt->body);
  if (prompt != NULL && prompt->button != NULL)
    gtk_label_set_text_with_mnemonic (self->unlock_button_label, prompt->button);
  if (cancellable != NULL)
    self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_task_cancelled),
                                                self, NULL);

  if (clave_device_key_get_retry_delay (key) > 0)
    start_wait (self);
  update_sensitivity (self);

  gtk_window_present (GTK_WINDOW (self));
  /* A PIN typed at once goes where it belongs (the first focusable
   * widget, Cancel, had the focus). */
  gtk_widget_grab_focus (self->unlock_pin_entry);
}

gboolean
clave_unlock_dialog_run_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
