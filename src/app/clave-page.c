/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "clave-application.h"
#include "clave-page.h"
#include "clave-protocol.h"
#include "clave-window.h"

typedef struct
{
  char         *title;
  GCancellable *cancellable;
  GtkWidget    *parked_focus;  /* weak */
} ClavePagePrivate;

G_DEFINE_TYPE_WITH_PRIVATE (ClavePage, clave_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cancel_work (ClavePage *self)
{
  ClavePagePrivate *priv = clave_page_get_instance_private (self);

  if (priv->cancellable != NULL)
    g_cancellable_cancel (priv->cancellable);
  g_clear_object (&priv->cancellable);
}

static void
clave_page_dispose (GObject *object)
{
  ClavePagePrivate *priv = clave_page_get_instance_private (CLAVE_PAGE (object));

  cancel_work (CLAVE_PAGE (object));
  g_clear_weak_pointer (&priv->parked_focus);

  G_OBJECT_CLASS (clave_page_parent_class)->dispose (object);
}

static void
clave_page_finalize (GObject *object)
{
  ClavePagePrivate *priv = clave_page_get_instance_private (CLAVE_PAGE (object));

  g_free (priv->title);

  G_OBJECT_CLASS (clave_page_parent_class)->finalize (object);
}

static void
clave_page_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  ClavePage *self = CLAVE_PAGE (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, clave_page_get_title (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_page_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  ClavePage *self = CLAVE_PAGE (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      clave_page_set_title (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_page_class_init (ClavePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clave_page_dispose;
  object_class->finalize = clave_page_finalize;
  object_class->get_property = clave_page_get_property;
  object_class->set_property = clave_page_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_page_init (ClavePage *self)
{
}

const char *
clave_page_get_title (ClavePage *self)
{
  ClavePagePrivate *priv = clave_page_get_instance_private (self);

  g_return_val_if_fail (CLAVE_IS_PAGE (self), NULL);

  return priv->title;
}

void
clave_page_set_title (ClavePage  *self,
                      const char *title)
{
  ClavePagePrivate *priv = clave_page_get_instance_private (self);

  g_return_if_fail (CLAVE_IS_PAGE (self));

  if (g_strcmp0 (priv->title, title) == 0)
    return;

  g_free (priv->title);
  priv->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

ClaveWindow *
clave_page_get_window (ClavePage *self)
{
  GtkWidget *window;

  g_return_val_if_fail (CLAVE_IS_PAGE (self), NULL);

  window = gtk_widget_get_ancestor (GTK_WIDGET (self), CLAVE_TYPE_WINDOW);

  return window != NULL ? CLAVE_WINDOW (window) : NULL;
}

ClaveApplication *
clave_page_get_application (ClavePage *self)
{
  ClaveWindow *window = clave_page_get_window (self);

  return window != NULL ? clave_window_get_clave_application (window) : NULL;
}

GCancellable *
clave_page_get_cancellable (ClavePage *self)
{
  ClavePagePrivate *priv = clave_page_get_instance_private (self);

  g_return_val_if_fail (CLAVE_IS_PAGE (self), NULL);

  if (priv->cancellable == NULL)
    priv->cancellable = g_cancellable_new ();

  return priv->cancellable;
}

void
clave_page_shown (ClavePage *self)
{
  g_return_if_fail (CLAVE_IS_PAGE (self));

  cancel_work (self);

  if (CLAVE_PAGE_GET_CLASS (self)->shown != NULL)
    CLAVE_PAGE_GET_CLASS (self)->shown (self);
}

void
clave_page_hidden (ClavePage *self)
{
  g_return_if_fail (CLAVE_IS_PAGE (self));

  cancel_work (self);

  if (CLAVE_PAGE_GET_CLASS (self)->hidden != NULL)
    CLAVE_PAGE_GET_CLASS (self)->hidden (self);
}

void
clave_page_dispose_template (ClavePage *self,
                             GType      type)
{
  g_return_if_fail (CLAVE_IS_PAGE (self));

  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), type);
}

void
clave_page_park_focus (ClavePage *self)
{
  ClavePagePrivate *priv = clave_page_get_instance_private (self);
  GtkRoot *root;
  GtkWidget *focus;

  g_return_if_fail (CLAVE_IS_PAGE (self));

  root = gtk_widget_get_root (GTK_WIDGET (self));
  focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
    return;

  g_set_weak_pointer (&priv->parked_focus, focus);
  gtk_root_set_focus (root, NULL);
}

void
clave_page_restore_focus (ClavePage *self)
{
  ClavePagePrivate *priv = clave_page_get_instance_private (self);
  GtkWidget *focus;

  g_return_if_fail (CLAVE_IS_PAGE (self));

  focus = priv->parked_focus;
  g_clear_weak_pointer (&priv->parked_focus);
  if (focus != NULL && gtk_widget_get_root (focus) != NULL && gtk_widget_is_sensitive (focus))
    gtk_widget_grab_focus (focus);
}

gboolean
clave_page_code_is_complete (const char *code)
{
  if (strlen (code) != CLAVE_SMS_CODE_DIGITS)
    return FALSE;
  for (; *code != '\0'; code++)
    if (!g_ascii_isdigit (*code))
      return FALSE;
  return TRUE;
}

char *
clave_page_wrong_code_message (guint attempts_left)
{
  return g_strdup_printf (ngettext ("The code is not correct. You can try %u more time.",
                                   "The code is not correct. You can try %u more times.",
                                   attempts_left),
                          attempts_left);
}

ClaveDocumentType
clave_page_get_document_type (ClavePage *self)
{
  ClaveApplication *app = clave_page_get_application (self);
  g_autofree char *number = NULL;
  g_autofree char *normalized = NULL;

  if (app == NULL)
    return CLAVE_DOCUMENT_TYPE_UNKNOWN;
  number = clave_profile_dup_document_number (clave_application_get_profile (app));
  if (number == NULL || *number == '\0')
    return CLAVE_DOCUMENT_TYPE_UNKNOWN;
  return clave_document_validate (number, &normalized, NULL);
}
