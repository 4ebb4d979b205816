/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-set-pin-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-crypto.h"
#include "clave-device-pin.h"
#include "clave-set-pin-page.h"
#include "clave-window.h"

struct _ClaveSetPinPage
{
  ClavePage       parent_instance;

  /* Template widgets */
  GtkEditable    *pin_row;
  GtkEditable    *pin_repeat_row;
  GtkLabel       *pin_hint_label;
  GtkLabel       *pin_error_label;
  GtkWidget      *pin_activate_button;
  GtkWidget      *pin_spinner;

  ClaveDeviceKey *key;            /* generated, waiting for the service */
  ClavePushKey   *push_key;       /* generated with it */
  gboolean        busy;
};

G_DEFINE_FINAL_TYPE (ClaveSetPinPage, clave_set_pin_page, CLAVE_TYPE_PAGE)

static gboolean
all_digits (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isdigit (*text))
      return FALSE;

  return TRUE;
}

static void
set_error (ClaveSetPinPage *self,
           const char      *message)
{
  gtk_label_set_text (self->pin_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->pin_error_label), message != NULL);
}

static gboolean
pins_match (ClaveSetPinPage *self)
{
  return clave_constant_time_equal (gtk_editable_get_text (self->pin_row),
                                    gtk_editable_get_text (self->pin_repeat_row));
}

static gboolean
validate (ClaveSetPinPage *self)
{
  const char *pin = gtk_editable_get_text (self->pin_row);
  const char *repeat = gtk_editable_get_text (self->pin_repeat_row);
  const char *hint = _("At least 6 digits, and only digits.");
  g_autofree char *weak = NULL;
  gboolean is_error = FALSE;
  gboolean ok = FALSE;

  if (!all_digits (pin))
    {
      hint = _("Use only digits.");
      is_error = TRUE;
    }
  else if (clave_device_key_pin_is_acceptable (pin)
           && (weak = clave_device_pin_strength_describe (clave_device_pin_check_strength (pin))) != NULL)
    {
      /* Said as soon as the PIN is long enough: the person is still
       * choosing it. */
      hint = weak;
      is_error = TRUE;
    }
  else if (clave_device_key_pin_is_acceptable (pin) && *repeat != '\0')
    {
      /* Not an error yet while the repeated PIN is still being typed. */
      if (pins_match (self))
        {
          hint = _("The PINs match.");
          ok = TRUE;
        }
      else if (strlen (repeat) >= strlen (pin) || !g_str_has_prefix (pin, repeat))
        {
          hint = _("The PINs do not match.");
          is_error = TRUE;
        }
    }

  gtk_label_set_text (self->pin_hint_label, hint);
  if (is_error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->pin_hint_label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->pin_hint_label), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->pin_hint_label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->pin_hint_label), "dim-label");
    }

  gtk_widget_set_sensitive (self->pin_activate_button, ok && !self->busy);

  return ok;
}

static void
set_busy (ClaveSetPinPage *self,
          gboolean         busy)
{
  gboolean was_busy = self->busy;

  self->busy = busy;
  if (busy && !was_busy)
    clave_page_park_focus (CLAVE_PAGE (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->pin_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->pin_repeat_row), !busy);
  gtk_widget_set_visible (self->pin_spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->pin_spinner), busy);
  validate (self);
  if (!busy && was_busy)
    clave_page_restore_focus (CLAVE_PAGE (self));
}

static void activate_device (ClaveSetPinPage *self);

static void
retry_activate (gpointer user_data)
{
  activate_device (CLAVE_SET_PIN_PAGE (user_data));
}

/* Errors of either step: nothing was saved, the form stays as it was. */
static void
report_error (ClaveSetPinPage *self,
              const GError    *error)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  g_clear_object (&self->key);
  g_clear_object (&self->push_key);
  set_busy (self, FALSE);

  if (window == NULL)
    return;

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED))
    clave_window_restart_login (window,
                                _("The activation took too long and expired. Log in again to "
                                  "start over."));
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED))
    clave_window_restart_login (window, error->message);
  else if (clave_service_error_is_transient (error))
    clave_window_show_error (window, error, retry_activate, g_object_ref (self), g_object_unref);
  else
    set_error (self, error->message);
}

static void
register_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveSetPinPage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(ClavePushKey) push_key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveApplication *app;
  ClaveWindow *window;
  ClaveFlow *flow;
  ClaveDocumentType type;

  device_id = clave_service_client_register_device_finish (CLAVE_SERVICE_CLIENT (source),
                                                           result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (device_id == NULL)
    {
      report_error (self, error);
      return;
    }

  key = g_steal_pointer (&self->key);
  push_key = g_steal_pointer (&self->push_key);
  window = clave_page_get_window (CLAVE_PAGE (self));
  app = clave_page_get_application (CLAVE_PAGE (self));
  if (window == NULL || app == NULL || key == NULL)
    return;
  flow = clave_window_get_flow (window);

  type = clave_flow_get_activation_document_type (flow);
  if (!clave_application_activate_device (app, key, push_key, device_id,
                                          clave_document_type_to_string (type),
                                          clave_flow_get_activation_document (flow),
                                          &error))
    {
      g_autofree char *message = NULL;

      set_busy (self, FALSE);
      /* Translators: %s says why the file could not be written. */
      message = g_strdup_printf (_("The device key could not be saved on this computer: %s"),
                                 error->message);
      set_error (self, message);
      return;
    }

  set_busy (self, FALSE);
  clave_flow_end_activation (flow);
  clave_window_show_page_after (window, "done", NULL);
}

static void
register_key (ClaveSetPinPage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;
  const ClaveActivation *activation = window != NULL ? clave_flow_get_activation (flow) : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_name = NULL;
  ClaveServiceClient *client;

  if (app == NULL || activation == NULL)
    {
      g_set_error_literal (&error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED,
                           _("The activation is no longer valid. Log in again to start over."));
      report_error (self, error);
      return;
    }

  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      report_error (self, error);
      return;
    }

  /* Translators: the name of this device in Cl@ve; %s is the computer's name. */
  device_name = g_strdup_printf (_("Clave Desktop on %s"), g_get_host_name ());
  /* The push key lets the app receive requests without the PIN. */
  g_clear_object (&self->push_key);
  self->push_key = clave_push_key_generate (&error);
  if (self->push_key == NULL)
    {
      report_error (self, error);
      return;
    }

  clave_service_client_register_device_with_push_key_async (client, activation, self->key,
                                                            self->push_key, device_name,
                                                            clave_page_get_cancellable (CLAVE_PAGE (self)),
                                                            register_cb, g_object_ref (self));
}

static void
generate_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveSetPinPage) self = user_data;
  g_autoptr(GError) error = NULL;
  ClaveDeviceKey *key;

  key = clave_device_key_generate_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (key == NULL)
    {
      report_error (self, error);
      return;
    }

  g_clear_object (&self->key);
  self->key = key;
  register_key (self);
}

static void
activate_device (ClaveSetPinPage *self)
{
  if (self->busy || !validate (self))
    return;

  set_error (self, NULL);
  set_busy (self, TRUE);

  /* A new key for every try: the PIN sealed in it is the one typed now. */
  g_clear_object (&self->key);
  clave_device_key_generate_async (gtk_editable_get_text (self->pin_row),
                                   clave_page_get_cancellable (CLAVE_PAGE (self)),
                                   generate_cb, g_object_ref (self));
}

static void
on_pin_changed (ClaveSetPinPage *self)
{
  set_error (self, NULL);
  validate (self);
}

static void
on_pin_activated (ClaveSetPinPage *self)
{
  const char *pin = gtk_editable_get_text (self->pin_row);

  if (validate (self))
    activate_device (self);
  else if (clave_device_pin_check_strength (pin) == CLAVE_DEVICE_PIN_STRENGTH_OK)
    gtk_widget_grab_focus (GTK_WIDGET (self->pin_repeat_row));
}

static void
on_repeat_activated (ClaveSetPinPage *self)
{
  activate_device (self);
}

static void
on_activate_clicked (ClaveSetPinPage *self)
{
  activate_device (self);
}

static void
clave_set_pin_page_shown (ClavePage *page)
{
  ClaveSetPinPage *self = CLAVE_SET_PIN_PAGE (page);

  set_error (self, NULL);
  set_busy (self, FALSE);
  gtk_widget_grab_focus (GTK_WIDGET (self->pin_row));
}

static void
clave_set_pin_page_hidden (ClavePage *page)
{
  ClaveSetPinPage *self = CLAVE_SET_PIN_PAGE (page);

  /* No PIN stays in a widget once the person has moved on. */
  g_clear_object (&self->key);
  g_clear_object (&self->push_key);
  self->busy = FALSE;
  gtk_editable_set_text (self->pin_row, "");
  gtk_editable_set_text (self->pin_repeat_row, "");
  set_busy (self, FALSE);
}

static void
clave_set_pin_page_dispose (GObject *object)
{
  ClaveSetPinPage *self = CLAVE_SET_PIN_PAGE (object);

  g_clear_object (&self->key);
  g_clear_object (&self->push_key);

  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_SET_PIN_PAGE);

  G_OBJECT_CLASS (clave_set_pin_page_parent_class)->dispose (object);
}

static void
clave_set_pin_page_class_init (ClaveSetPinPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_set_pin_page_dispose;
  page_class->shown = clave_set_pin_page_shown;
  page_class->hidden = clave_set_pin_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-set-pin-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveSetPinPage, pin_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveSetPinPage, pin_repeat_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveSetPinPage, pin_hint_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveSetPinPage, pin_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveSetPinPage, pin_activate_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveSetPinPage, pin_spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_pin_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_pin_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_repeat_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_activate_clicked);
}

static void
clave_set_pin_page_init (ClaveSetPinPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
