/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-not-registered-page"

#include "config.h"

#include "clave-not-registered-page.h"

struct _ClaveNotRegisteredPage
{
  ClavePage parent_instance;
};

G_DEFINE_FINAL_TYPE (ClaveNotRegisteredPage, clave_not_registered_page, CLAVE_TYPE_PAGE)

static void
clave_not_registered_page_dispose (GObject *object)
{
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_NOT_REGISTERED_PAGE);

  G_OBJECT_CLASS (clave_not_registered_page_parent_class)->dispose (object);
}

static void
clave_not_registered_page_class_init (ClaveNotRegisteredPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clave_not_registered_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-not-registered-page.ui");
}

static void
clave_not_registered_page_init (ClaveNotRegisteredPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
