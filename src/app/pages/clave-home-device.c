/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-home-device"

#include "config.h"

#include "clave-home-device.h"

struct _ClaveHomeDevice
{
  AdwBin        parent_instance;

  /* Template widgets */
  GtkLabel     *home_document_label;
  AdwActionRow *home_push_row;
  GtkWidget    *home_failures_group;
  AdwActionRow *home_failures_row;
};

G_DEFINE_FINAL_TYPE (ClaveHomeDevice, clave_home_device, ADW_TYPE_BIN)

static void
clave_home_device_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CLAVE_TYPE_HOME_DEVICE);

  G_OBJECT_CLASS (clave_home_device_parent_class)->dispose (object);
}

static void
clave_home_device_class_init (ClaveHomeDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clave_home_device_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-home-device.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveHomeDevice, home_document_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveHomeDevice, home_push_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveHomeDevice, home_failures_group);
  gtk_widget_class_bind_template_child (widget_class, ClaveHomeDevice, home_failures_row);
}

static void
clave_home_device_init (ClaveHomeDevice *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

ClaveHomeDevice *
clave_home_device_new (void)
{
  return g_object_new (CLAVE_TYPE_HOME_DEVICE, NULL);
}

void
clave_home_device_set_document (ClaveHomeDevice *self,
                                const char      *text)
{
  g_return_if_fail (CLAVE_IS_HOME_DEVICE (self));

  gtk_label_set_text (self->home_document_label, text);
}

void
clave_home_device_set_push (ClaveHomeDevice *self,
                            const char      *title,
                            const char      *subtitle,
                            const char      *icon_name)
{
  g_return_if_fail (CLAVE_IS_HOME_DEVICE (self));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->home_push_row), title);
  adw_action_row_set_subtitle (self->home_push_row, subtitle);
  adw_action_row_set_icon_name (self->home_push_row, icon_name);
}

void
clave_home_device_set_failures (ClaveHomeDevice *self,
                                const char      *title)
{
  g_return_if_fail (CLAVE_IS_HOME_DEVICE (self));

  if (title != NULL)
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->home_failures_row), title);
  gtk_widget_set_visible (self->home_failures_group, title != NULL);
}
