/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-not-registered-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-not-registered-page.h"
#include "clave-window.h"

struct _ClaveNotRegisteredPage
{
  ClavePage      parent_instance;

  /* Template widgets */
  AdwStatusPage *not_registered_status;
  GtkWidget     *not_registered_back_button;

  gboolean       identified;
};

G_DEFINE_FINAL_TYPE (ClaveNotRegisteredPage, clave_not_registered_page, CLAVE_TYPE_PAGE)

static void
update (ClaveNotRegisteredPage *self)
{
  if (self->identified)
    {
      clave_page_set_title (CLAVE_PAGE (self), _("Not Registered"));
      adw_status_page_set_title (self->not_registered_status, _("You are not registered in Cl@ve"));
      adw_status_page_set_description (self->not_registered_status,
                                       _("Your document and its contrast data are correct, but you "
                                         "are not registered in Cl@ve yet. Register now with an "
                                         "electronic certificate or your DNIe, or in person at a "
                                         "Cl@ve registry office."));
    }
  else
    {
      clave_page_set_title (CLAVE_PAGE (self), _("Register"));
      adw_status_page_set_title (self->not_registered_status, _("Register in Cl@ve"));
      adw_status_page_set_description (self->not_registered_status,
                                       _("Register now with an electronic certificate or your "
                                         "DNIe, or in person at a Cl@ve registry office."));
    }

  gtk_widget_set_visible (self->not_registered_back_button, self->identified);
}

static void
on_certificate_activated (ClaveNotRegisteredPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window != NULL)
    clave_window_choose_certificate (window, CLAVE_CERTIFICATE_PURPOSE_REGISTRATION);
}

static void
on_video_activated (ClaveNotRegisteredPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window != NULL)
    clave_window_show_video_registration (window);
}

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
  gtk_widget_class_bind_template_child (widget_class, ClaveNotRegisteredPage, not_registered_status);
  gtk_widget_class_bind_template_child (widget_class, ClaveNotRegisteredPage, not_registered_back_button);
  gtk_widget_class_bind_template_callback (widget_class, on_certificate_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_video_activated);
}

static void
clave_not_registered_page_init (ClaveNotRegisteredPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->identified = TRUE;
  update (self);
}

void
clave_not_registered_page_set_identified (ClaveNotRegisteredPage *self,
                                          gboolean                identified)
{
  g_return_if_fail (CLAVE_IS_NOT_REGISTERED_PAGE (self));

  self->identified = !!identified;
  update (self);
}
