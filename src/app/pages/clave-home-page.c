/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-home-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-document.h"
#include "clave-home-device.h"
#include "clave-home-page.h"

struct _ClaveHomePage
{
  ClavePage  parent_instance;

  /* Template widgets */
  GtkStack        *home_stack;
  GtkWidget       *home_notice_box;
  GtkLabel        *home_notice_label;

  ClaveHomeDevice *device;           /* made when first needed */

  gulong     activated_id;
  gulong     push_state_id;
  gulong     failures_id;
  gpointer   app;                   /* weak, while shown */
};

G_DEFINE_FINAL_TYPE (ClaveHomePage, clave_home_page, CLAVE_TYPE_PAGE)

static void
update_push (ClaveHomePage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  const char *title;
  const char *subtitle;
  const char *icon;

  if (app == NULL || self->device == NULL)
    return;

  if (clave_application_get_push_key (app) == NULL)
    {
      title = _("Not receiving requests");
      icon = "network-offline-symbolic";
      subtitle = _("This computer was activated before Cl@ve Mobile. Deactivate it and "
                   "activate it again to receive login requests.");
    }
  else
    {
      switch (clave_application_get_push_state (app))
        {
        case CLAVE_PUSH_STATE_ONLINE:
          title = _("Receiving requests");
          icon = "network-transmit-receive-symbolic";
          break;
        case CLAVE_PUSH_STATE_CONNECTING:
          title = _("Connecting…");
          icon = "network-idle-symbolic";
          break;
        case CLAVE_PUSH_STATE_OFFLINE:
        default:
          title = _("Offline, reconnecting…");
          icon = "network-offline-symbolic";
          break;
        }
      subtitle = _("Login requests of websites appear here when you log in with Cl@ve Mobile");
    }

  clave_home_device_set_push (self->device, title, subtitle, icon);
}

static void
update_failures (ClaveHomePage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  g_autoptr(GDateTime) first = NULL;
  g_autofree char *when = NULL;
  g_autofree char *title = NULL;
  gint64 since = 0;
  guint count;

  if (app == NULL || self->device == NULL)
    return;

  count = clave_application_get_failed_identifications (app, &since);
  first = count > 0 ? g_date_time_new_from_unix_local (since) : NULL;
  if (first == NULL)
    {
      clave_home_device_set_failures (self->device, NULL);
      return;
    }

  /* Translators: date and time, as "My requests" shows them (see
   * g_date_time_format()). */
  when = g_date_time_format (first, _("%d/%m/%Y %H:%M"));
  /* Translators: %u is a number of attempts, %s a date and time such as
   * "17/03/2026 09:41". Someone typed the person's document number with
   * wrong data (validity date…), maybe the person themselves. */
  title = g_strdup_printf (ngettext ("%u failed attempt to log in with your document since %s",
                                     "%u failed attempts to log in with your document since %s",
                                     count),
                           count, when);
  clave_home_device_set_failures (self->device, title);
}

static void
update (ClaveHomePage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  g_autofree char *number = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *text = NULL;

  if (app == NULL || !clave_application_get_activated (app))
    {
      gtk_stack_set_visible_child_name (self->home_stack, "welcome");
      return;
    }

  clave_home_page_set_notice (self, NULL);
  if (self->device == NULL)
    {
      self->device = clave_home_device_new ();
      gtk_stack_add_named (self->home_stack, GTK_WIDGET (self->device), "activated");
    }

  number = clave_profile_dup_document_number (clave_application_get_profile (app));
  masked = clave_document_mask (number);
  /* Translators: %s is a masked document number such as *****678Z. */
  text = g_strdup_printf (_("Document %s"), masked);
  clave_home_device_set_document (self->device, text);
  update_push (self);
  update_failures (self);
  gtk_stack_set_visible_child_name (self->home_stack, "activated");
}

static void
disconnect_app (ClaveHomePage *self)
{
  if (self->app != NULL)
    {
      g_clear_signal_handler (&self->activated_id, self->app);
      g_clear_signal_handler (&self->push_state_id, self->app);
      g_clear_signal_handler (&self->failures_id, self->app);
      g_clear_weak_pointer (&self->app);
    }
}

static void
clave_home_page_shown (ClavePage *page)
{
  ClaveHomePage *self = CLAVE_HOME_PAGE (page);
  ClaveApplication *app = clave_page_get_application (page);

  disconnect_app (self);
  if (app != NULL)
    {
      g_set_weak_pointer (&self->app, app);
      self->activated_id = g_signal_connect_swapped (app, "notify::activated",
                                                     G_CALLBACK (update), self);
      self->push_state_id = g_signal_connect_swapped (app, "notify::push-state",
                                                      G_CALLBACK (update_push), self);
      self->failures_id = g_signal_connect_swapped (app, "notify::failed-identifications",
                                                    G_CALLBACK (update_failures), self);
    }

  update (self);
}

static void
clave_home_page_hidden (ClavePage *page)
{
  disconnect_app (CLAVE_HOME_PAGE (page));
}

static void
clave_home_page_dispose (GObject *object)
{
  disconnect_app (CLAVE_HOME_PAGE (object));

  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_HOME_PAGE);

  G_OBJECT_CLASS (clave_home_page_parent_class)->dispose (object);
}

static void
clave_home_page_class_init (ClaveHomePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_home_page_dispose;
  page_class->shown = clave_home_page_shown;
  page_class->hidden = clave_home_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-home-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveHomePage, home_stack);
  gtk_widget_class_bind_template_child (widget_class, ClaveHomePage, home_notice_box);
  gtk_widget_class_bind_template_child (widget_class, ClaveHomePage, home_notice_label);
}

static void
clave_home_page_init (ClaveHomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
clave_home_page_set_notice (ClaveHomePage *self,
                            const char    *notice)
{
  g_return_if_fail (CLAVE_IS_HOME_PAGE (self));

  gtk_label_set_text (self->home_notice_label, notice != NULL ? notice : "");
  gtk_widget_set_visible (self->home_notice_box, notice != NULL);
}
