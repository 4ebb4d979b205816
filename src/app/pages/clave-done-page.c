/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-done-page"

#include "config.h"

#include "clave-done-page.h"
#include "clave-window.h"

struct _ClaveDonePage
{
  ClavePage  parent_instance;

  /* Template widgets */
  GtkWidget *done_continue_button;
};

G_DEFINE_FINAL_TYPE (ClaveDonePage, clave_done_page, CLAVE_TYPE_PAGE)

static void
on_continue_clicked (ClaveDonePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window != NULL)
    clave_window_go_home (window);
}

static void
clave_done_page_shown (ClavePage *page)
{
  gtk_widget_grab_focus (CLAVE_DONE_PAGE (page)->done_continue_button);
}

static void
clave_done_page_dispose (GObject *object)
{
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_DONE_PAGE);

  G_OBJECT_CLASS (clave_done_page_parent_class)->dispose (object);
}

static void
clave_done_page_class_init (ClaveDonePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_done_page_dispose;
  page_class->shown = clave_done_page_shown;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-done-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveDonePage, done_continue_button);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
}

static void
clave_done_page_init (ClaveDonePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
