/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-help-button"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-help-button.h"

struct _ClaveHelpButton
{
  AdwBin         parent_instance;

  GtkMenuButton *button;
  GtkPopover    *popover;
  GtkLabel      *heading;
  GtkLabel      *label;
  char          *topic;
  char          *text;
};

G_DEFINE_FINAL_TYPE (ClaveHelpButton, clave_help_button, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_TOPIC,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update (ClaveHelpButton *self)
{
  g_autofree char *name = NULL;

  gtk_label_set_text (self->heading, self->topic != NULL ? self->topic : "");
  gtk_label_set_text (self->label, self->text != NULL ? self->text : "");
  /* Translators: the accessible name of a "?" button; %s is the option
   * it explains, such as "My data in Cl@ve". */
  name = g_strdup_printf (_("Help: %s"), self->topic != NULL ? self->topic : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                  -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->popover),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->topic,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, self->text,
                                  -1);
}

static void
clave_help_button_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ClaveHelpButton *self = CLAVE_HELP_BUTTON (object);

  switch (prop_id)
    {
    case PROP_TOPIC:
      g_value_set_string (value, self->topic);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_help_button_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ClaveHelpButton *self = CLAVE_HELP_BUTTON (object);

  switch (prop_id)
    {
    case PROP_TOPIC:
      g_free (self->topic);
      self->topic = g_value_dup_string (value);
      break;
    case PROP_TEXT:
      g_free (self->text);
      self->text = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  update (self);
  g_object_notify_by_pspec (object, pspec);
}

static void
clave_help_button_finalize (GObject *object)
{
  ClaveHelpButton *self = CLAVE_HELP_BUTTON (object);

  g_free (self->topic);
  g_free (self->text);

  G_OBJECT_CLASS (clave_help_button_parent_class)->finalize (object);
}

static void
clave_help_button_class_init (ClaveHelpButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = clave_help_button_get_property;
  object_class->set_property = clave_help_button_set_property;
  object_class->finalize = clave_help_button_finalize;

  properties[PROP_TOPIC] =
    g_param_spec_string ("topic", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_help_button_init (ClaveHelpButton *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *mark;

  self->heading = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->heading, TRUE);
  gtk_label_set_xalign (self->heading, 0.0);
  gtk_widget_add_css_class (GTK_WIDGET (self->heading), "heading");
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->label, TRUE);
  gtk_label_set_max_width_chars (self->label, 40);
  gtk_label_set_xalign (self->label, 0.0);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->heading));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->label));
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);

  self->popover = GTK_POPOVER (gtk_popover_new ());
  gtk_popover_set_child (self->popover, box);

  self->button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  /* A "?", as the Cl@ve app shows (the icon themes have no plain one). */
  mark = gtk_label_new ("?");
  gtk_widget_add_css_class (mark, "heading");
  gtk_menu_button_set_child (self->button, mark);
  gtk_menu_button_set_popover (self->button, GTK_WIDGET (self->popover));
  gtk_widget_set_valign (GTK_WIDGET (self->button), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "circular");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->button));
  gtk_widget_set_valign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
  update (self);
}

GtkWidget *
clave_help_button_new (const char *topic,
                       const char *text)
{
  return g_object_new (CLAVE_TYPE_HELP_BUTTON, "topic", topic, "text", text, NULL);
}

const char *
clave_help_button_get_topic (ClaveHelpButton *self)
{
  g_return_val_if_fail (CLAVE_IS_HELP_BUTTON (self), NULL);

  return self->topic;
}

const char *
clave_help_button_get_text (ClaveHelpButton *self)
{
  g_return_val_if_fail (CLAVE_IS_HELP_BUTTON (self), NULL);

  return self->text;
}

void
clave_help_button_popup (ClaveHelpButton *self)
{
  g_return_if_fail (CLAVE_IS_HELP_BUTTON (self));

  gtk_menu_button_popup (self->button);
}

GtkPopover *
clave_help_button_get_popover (ClaveHelpButton *self)
{
  g_return_val_if_fail (CLAVE_IS_HELP_BUTTON (self), NULL);

  return self->popover;
}
