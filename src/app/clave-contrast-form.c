/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-contrast-form"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-contrast-form.h"
#include "clave-contrast-input.h"

struct _ClaveContrastForm
{
  AdwBin             parent_instance;

  /* Template widgets */
  AdwPreferencesRow *contrast_date_row;
  GtkWidget         *contrast_support_row;
  GtkWidget         *contrast_permanent_check;
  GtkLabel          *contrast_help_label;
  GtkLabel          *contrast_hint_label;

  ClaveDocumentType  type;
  ClaveContrastKind  kind;
  char              *value;
  gboolean           touched;
};

G_DEFINE_FINAL_TYPE (ClaveContrastForm, clave_contrast_form, ADW_TYPE_BIN)

enum {
  SIGNAL_CHANGED,
  SIGNAL_ACTIVATE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
check (ClaveContrastForm *self)
{
  GtkCheckButton *permanent_check = GTK_CHECK_BUTTON (self->contrast_permanent_check);
  gboolean permanent = gtk_check_button_get_active (permanent_check);
  gboolean nie = self->type == CLAVE_DOCUMENT_TYPE_NIE;
  g_autofree char *hint = NULL;
  gboolean hint_is_error = FALSE;
  const char *text;

  gtk_widget_set_visible (GTK_WIDGET (self->contrast_date_row), !nie);
  gtk_widget_set_visible (self->contrast_permanent_check, !nie);
  gtk_widget_set_visible (self->contrast_support_row, nie);

  g_clear_pointer (&self->value, g_free);
  if (nie)
    {
      self->kind = CLAVE_CONTRAST_SUPPORT_NUMBER;
      gtk_label_set_text (self->contrast_help_label,
                          _("On the foreigner’s identity card (TIE), the support number is at "
                            "the top right and begins with E.\n\nOn the certificate of "
                            "registration as a citizen of the European Union, it is the number "
                            "that begins with C, under the title.\n\nYou may leave out the "
                            "zeros after the letter: E1234567 is sent as E01234567."));
      text = gtk_editable_get_text (GTK_EDITABLE (self->contrast_support_row));
    }
  else
    {
      self->kind = permanent ? CLAVE_CONTRAST_ISSUE_DATE : CLAVE_CONTRAST_VALIDITY_DATE;
      adw_preferences_row_set_title (self->contrast_date_row,
                                     clave_contrast_input_date_title (permanent));
      gtk_label_set_text (self->contrast_help_label,
                          clave_contrast_input_date_help (permanent, FALSE));
      text = gtk_editable_get_text (GTK_EDITABLE (self->contrast_date_row));
    }
  self->value = clave_contrast_input_check (self->kind, text, self->touched, &hint,
                                            &hint_is_error);
  clave_contrast_input_show_hint (self->contrast_hint_label, hint, hint_is_error);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

void
clave_contrast_form_reset (ClaveContrastForm *self,
                           ClaveDocumentType  type)
{
  g_return_if_fail (CLAVE_IS_CONTRAST_FORM (self));

  self->type = type;
  self->touched = FALSE;
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->contrast_permanent_check), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->contrast_date_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->contrast_support_row), "");
  check (self);
}

ClaveContrastKind
clave_contrast_form_get_kind (ClaveContrastForm *self)
{
  g_return_val_if_fail (CLAVE_IS_CONTRAST_FORM (self), CLAVE_CONTRAST_VALIDITY_DATE);
  return self->kind;
}

const char *
clave_contrast_form_get_value (ClaveContrastForm *self)
{
  g_return_val_if_fail (CLAVE_IS_CONTRAST_FORM (self), NULL);
  return self->value;
}

void
clave_contrast_form_focus_field (ClaveContrastForm *self)
{
  g_return_if_fail (CLAVE_IS_CONTRAST_FORM (self));
  gtk_widget_grab_focus (self->type == CLAVE_DOCUMENT_TYPE_NIE
                         ? self->contrast_support_row
                         : GTK_WIDGET (self->contrast_date_row));
}

static void
on_changed (ClaveContrastForm *self)
{
  check (self);
}

static void
on_focus_leave (ClaveContrastForm *self)
{
  self->touched = TRUE;
  check (self);
}

static void
on_activated (ClaveContrastForm *self)
{
  g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0);
}

static void
clave_contrast_form_dispose (GObject *object)
{
  /* The child first, as ClavePage does: AdwBin keeps a pointer to it. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), CLAVE_TYPE_CONTRAST_FORM);
  G_OBJECT_CLASS (clave_contrast_form_parent_class)->dispose (object);
}

static void
clave_contrast_form_finalize (GObject *object)
{
  ClaveContrastForm *self = CLAVE_CONTRAST_FORM (object);

  g_free (self->value);
  G_OBJECT_CLASS (clave_contrast_form_parent_class)->finalize (object);
}

static void
clave_contrast_form_class_init (ClaveContrastFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clave_contrast_form_dispose;
  object_class->finalize = clave_contrast_form_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
  signals[SIGNAL_ACTIVATE] = g_signal_new ("activate", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/clave-contrast-form.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveContrastForm, contrast_date_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveContrastForm, contrast_support_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveContrastForm,
                                        contrast_permanent_check);
  gtk_widget_class_bind_template_child (widget_class, ClaveContrastForm, contrast_help_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveContrastForm, contrast_hint_label);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_focus_leave);
  gtk_widget_class_bind_template_callback (widget_class, on_activated);
}

static void
clave_contrast_form_init (ClaveContrastForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->type = CLAVE_DOCUMENT_TYPE_DNI;
  check (self);
}
