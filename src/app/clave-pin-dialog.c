/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-pin-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-pin-dialog.h"

struct _ClavePinDialog
{
  AdwWindow           parent_instance;

  /* Template widgets */
  GtkWidget          *pin_dialog_cancel_button;
  GtkWidget          *pin_dialog_button;
  GtkLabel           *pin_dialog_button_label;
  GtkWidget          *pin_dialog_spinner;
  GtkImage           *pin_dialog_icon;
  GtkLabel           *pin_dialog_heading_label;
  GtkLabel           *pin_dialog_body_label;
  GtkLabel           *pin_dialog_warning_label;
  GtkWidget          *pin_dialog_entry;
  GtkWidget          *pin_dialog_pad_box;
  GtkSpinner         *pin_dialog_pad_spinner;
  GtkLabel           *pin_dialog_error_label;
  GtkWidget          *pin_dialog_card_busy_label;
  GtkWidget          *pin_dialog_diagnostics_button;

  ClavePinDialogKind  kind;
  ClavePinFlags       flags;
  char               *description;
  gboolean            busy;
  gboolean            card_busy;
  gboolean            card_problem;
  gboolean            finished;
};

G_DEFINE_FINAL_TYPE (ClavePinDialog, clave_pin_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNAL_SUBMITTED,
  SIGNAL_CANCELLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
is_locked (ClavePinDialog *self)
{
  return self->kind == CLAVE_PIN_DIALOG_CARD_PIN && (self->flags & CLAVE_PIN_FLAGS_LOCKED) != 0;
}

static gboolean
uses_pin_pad (ClavePinDialog *self)
{
  return self->kind == CLAVE_PIN_DIALOG_CARD_PIN && !is_locked (self)
         && (self->flags & CLAVE_PIN_FLAGS_PROTECTED_PATH) != 0;
}

static void
update (ClavePinDialog *self)
{
  gboolean locked = is_locked (self);
  gboolean pad = uses_pin_pad (self);
  gboolean card = self->kind == CLAVE_PIN_DIALOG_CARD_PIN;
  const char *heading;
  const char *body = self->description;
  const char *warning = NULL;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->pin_dialog_entry));

  if (locked)
    {
      heading = _("This card is locked");
      body = _("Its PIN was typed wrong too many times, so the card no longer lets anybody use "
               "its certificates. A DNIe can be unlocked at the DNIe update points of the police "
               "stations that issue it; for another card, ask whoever issued it.");
    }
  else if (pad)
    heading = _("Enter your PIN on the card reader");
  else if (card)
    heading = _("Enter the PIN of the card");
  else
    heading = _("Password of the certificate file");

  if (card && !locked && !pad)
    {
      if (self->flags & CLAVE_PIN_FLAGS_FINAL_TRY)
        warning = _("Last try: a wrong PIN locks the card.");
      else if (self->flags & CLAVE_PIN_FLAGS_COUNT_LOW)
        warning = _("Few tries left. Check the PIN before you type it: the card locks after too "
                    "many wrong ones.");
    }

  gtk_window_set_title (GTK_WINDOW (self), card ? _("Card PIN") : _("Certificate Password"));
  gtk_image_set_from_icon_name (self->pin_dialog_icon,
                                card ? "auth-smartcard-symbolic" : "application-certificate-symbolic");
  gtk_label_set_text (self->pin_dialog_heading_label, heading);
  gtk_label_set_text (self->pin_dialog_body_label, body != NULL ? body : "");
  gtk_widget_set_visible (GTK_WIDGET (self->pin_dialog_body_label), body != NULL && *body != '\0');
  gtk_label_set_text (self->pin_dialog_warning_label, warning != NULL ? warning : "");
  gtk_widget_set_visible (GTK_WIDGET (self->pin_dialog_warning_label), warning != NULL);

  gtk_widget_set_visible (self->pin_dialog_entry, !locked && !pad);
  gtk_widget_set_sensitive (self->pin_dialog_entry, !self->busy);
  gtk_widget_set_visible (self->pin_dialog_pad_box, pad);
  gtk_spinner_set_spinning (self->pin_dialog_pad_spinner, pad);

  gtk_widget_set_visible (self->pin_dialog_button, !locked && !pad);
  gtk_widget_set_sensitive (self->pin_dialog_button, !self->busy && *text != '\0');
  gtk_widget_set_visible (self->pin_dialog_spinner, self->busy && !pad);
  gtk_spinner_set_spinning (GTK_SPINNER (self->pin_dialog_spinner), self->busy && !pad);
  gtk_button_set_label (GTK_BUTTON (self->pin_dialog_cancel_button),
                        locked ? _("_Close") : _("_Cancel"));

  gtk_widget_set_visible (self->pin_dialog_card_busy_label, self->busy && self->card_busy);
  gtk_widget_set_visible (self->pin_dialog_diagnostics_button, locked || self->card_problem);
}

static void
on_entry_changed (ClavePinDialog *self)
{
  update (self);
}

static void
on_submit_clicked (ClavePinDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->pin_dialog_entry));

  if (self->busy || self->finished || *text == '\0' || is_locked (self) || uses_pin_pad (self))
    return;

  g_signal_emit (self, signals[SIGNAL_SUBMITTED], 0, text);
}

static void
on_cancel_clicked (ClavePinDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_diagnostics_clicked (ClavePinDialog *self)
{
  g_autoptr(GtkWindow) parent = NULL;

  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (parent != NULL)
    g_object_ref (parent);

  gtk_window_close (GTK_WINDOW (self));

  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.diagnostics", NULL);
}

static gboolean
clave_pin_dialog_close_request (GtkWindow *window)
{
  ClavePinDialog *self = CLAVE_PIN_DIALOG (window);

  if (!self->finished)
    {
      self->finished = TRUE;
      g_signal_emit (self, signals[SIGNAL_CANCELLED], 0);
    }

  return GTK_WINDOW_CLASS (clave_pin_dialog_parent_class)->close_request (window);
}

static void
clave_pin_dialog_dispose (GObject *object)
{
  ClavePinDialog *self = CLAVE_PIN_DIALOG (object);

  /* Destroyed without a close request (the application quits, or its
   * window goes): what it was for is cancelled all the same, and a PIN
   * typed so far does not stay in memory. */
  if (!self->finished)
    {
      self->finished = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->pin_dialog_entry), "");
      g_signal_emit (self, signals[SIGNAL_CANCELLED], 0);
    }

  gtk_widget_dispose_template (GTK_WIDGET (object), CLAVE_TYPE_PIN_DIALOG);

  G_OBJECT_CLASS (clave_pin_dialog_parent_class)->dispose (object);
}

static void
clave_pin_dialog_finalize (GObject *object)
{
  ClavePinDialog *self = CLAVE_PIN_DIALOG (object);

  g_free (self->description);

  G_OBJECT_CLASS (clave_pin_dialog_parent_class)->finalize (object);
}

static void
clave_pin_dialog_class_init (ClavePinDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = clave_pin_dialog_dispose;
  object_class->finalize = clave_pin_dialog_finalize;
  window_class->close_request = clave_pin_dialog_close_request;

  /**
   * ClavePinDialog::submitted:
   * @secret: the PIN or password typed
   */
  signals[SIGNAL_SUBMITTED] =
    g_signal_new ("submitted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  /* Static scope: the entry's own buffer is passed on, so
                   * no copy of the secret is left unwiped in the heap. */
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_CANCELLED] =
    g_signal_new ("cancelled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/clave-pin-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_button);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_button_label);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_icon);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_heading_label);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_body_label);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_warning_label);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_entry);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_pad_box);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_pad_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_card_busy_label);
  gtk_widget_class_bind_template_child (widget_class, ClavePinDialog, pin_dialog_diagnostics_button);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_submit_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_diagnostics_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
clave_pin_dialog_init (ClavePinDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

ClavePinDialog *
clave_pin_dialog_new (GtkWindow          *parent,
                      ClavePinDialogKind  kind,
                      const char         *description)
{
  ClavePinDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (CLAVE_TYPE_PIN_DIALOG,
                       "transient-for", parent,
                       "destroy-with-parent", TRUE,
                       NULL);
  if (parent != NULL && gtk_window_get_application (parent) != NULL)
    gtk_window_set_application (GTK_WINDOW (self), gtk_window_get_application (parent));

  self->kind = kind;
  self->description = g_strdup (description);
  gtk_editable_set_text (GTK_EDITABLE (self->pin_dialog_entry), "");
  g_object_set (self->pin_dialog_entry, "placeholder-text",
                kind == CLAVE_PIN_DIALOG_CARD_PIN ? _("PIN") : _("Password"), NULL);
  update (self);

  return self;
}

void
clave_pin_dialog_set_button_label (ClavePinDialog *self,
                                   const char     *label)
{
  g_return_if_fail (CLAVE_IS_PIN_DIALOG (self));

  gtk_label_set_text_with_mnemonic (self->pin_dialog_button_label, label);
}

void
clave_pin_dialog_set_flags (ClavePinDialog *self,
                            ClavePinFlags   flags)
{
  g_return_if_fail (CLAVE_IS_PIN_DIALOG (self));

  self->flags = flags;
  if (is_locked (self))
    {
      /* Nothing more to type: what happened is the whole message. */
      gtk_label_set_text (self->pin_dialog_error_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->pin_dialog_error_label), FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->pin_dialog_entry), "");
    }
  update (self);
}

ClavePinFlags
clave_pin_dialog_get_flags (ClavePinDialog *self)
{
  g_return_val_if_fail (CLAVE_IS_PIN_DIALOG (self), CLAVE_PIN_FLAGS_NONE);

  return self->flags;
}

void
clave_pin_dialog_set_busy (ClavePinDialog *self,
                           gboolean        busy)
{
  gboolean was_busy;

  g_return_if_fail (CLAVE_IS_PIN_DIALOG (self));

  was_busy = self->busy;
  self->busy = busy;
  if (!busy)
    self->card_busy = FALSE;
  if (busy && !was_busy)
    {
      /* An entry losing its sensitivity while focused keeps blinking. */
      gtk_window_set_focus (GTK_WINDOW (self), NULL);
      gtk_label_set_text (self->pin_dialog_error_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->pin_dialog_error_label), FALSE);
      self->card_problem = FALSE;
    }
  update (self);
  if (!busy && was_busy && gtk_widget_get_visible (self->pin_dialog_entry))
    gtk_widget_grab_focus (self->pin_dialog_entry);
}

void
clave_pin_dialog_set_card_busy (ClavePinDialog *self,
                                gboolean        card_busy)
{
  g_return_if_fail (CLAVE_IS_PIN_DIALOG (self));

  self->card_busy = card_busy;
  update (self);
}

void
clave_pin_dialog_set_error (ClavePinDialog *self,
                            const char     *message,
                            gboolean        card_problem)
{
  g_return_if_fail (CLAVE_IS_PIN_DIALOG (self));

  self->card_problem = message != NULL && card_problem;
  gtk_label_set_text (self->pin_dialog_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->pin_dialog_error_label), message != NULL);
  if (message != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->pin_dialog_entry), "");
  update (self);
  if (gtk_widget_get_visible (self->pin_dialog_entry) && gtk_widget_is_sensitive (self->pin_dialog_entry))
    gtk_widget_grab_focus (self->pin_dialog_entry);
}

void
clave_pin_dialog_finish (ClavePinDialog *self)
{
  g_return_if_fail (CLAVE_IS_PIN_DIALOG (self));

  if (self->finished)
    return;

  self->finished = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->pin_dialog_entry), "");
  gtk_window_destroy (GTK_WINDOW (self));
}
