/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-certificate-row"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-certificate-row.h"

struct _ClaveCertificateRow
{
  AdwActionRow      parent_instance;

  /* Template widgets */
  GtkImage         *icon;
  GtkLabel         *unusable_label;
  GtkWidget        *remove_button;
  GtkWidget        *arrow;

  ClaveCertificate *certificate;
  gboolean          usable;
};

G_DEFINE_FINAL_TYPE (ClaveCertificateRow, clave_certificate_row, ADW_TYPE_ACTION_ROW)

enum {
  SIGNAL_REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
format_date (GDateTime *date)
{
  g_autoptr(GDateTime) local = NULL;

  if (date == NULL)
    return g_strdup ("");

  local = g_date_time_to_local (date);
  /* Translators: how a date shows (g_date_time_format()), day/month/year
   * as on the DNI. */
  /* xgettext:no-c-format */
  return g_date_time_format (local, _("%d/%m/%Y"));
}

static gboolean
has_expired (ClaveCertificate *certificate)
{
  GDateTime *not_after = clave_certificate_get_not_after (certificate);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return not_after != NULL && g_date_time_compare (not_after, now) < 0;
}

static void
on_remove_clicked (ClaveCertificateRow *self)
{
  g_signal_emit (self, signals[SIGNAL_REMOVE], 0);
}

static void
show_certificate (ClaveCertificateRow *self)
{
  ClaveCertificate *certificate = self->certificate;
  gboolean card = clave_certificate_get_source (certificate) == CLAVE_CERTIFICATE_SOURCE_TOKEN;
  const char *document = clave_certificate_get_document_number (certificate);
  const char *issuer = clave_certificate_get_issuer_name (certificate);
  const char *location = clave_certificate_get_location (certificate);
  g_autofree char *validity = NULL;
  g_autofree char *date = NULL;
  g_autofree char *subtitle = NULL;

  self->usable = clave_certificate_is_valid_now (certificate);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self),
                                 clave_certificate_get_holder_name (certificate));

  if (self->usable)
    {
      date = format_date (clave_certificate_get_not_after (certificate));
      /* Translators: %s is a date, such as 04/05/2031. */
      validity = g_strdup_printf (_("Valid until %s"), date);
    }
  else if (has_expired (certificate))
    {
      date = format_date (clave_certificate_get_not_after (certificate));
      /* Translators: %s is a date, such as 04/05/2021. */
      validity = g_strdup_printf (_("Expired on %s"), date);
    }
  else
    {
      date = format_date (clave_certificate_get_not_before (certificate));
      /* Translators: %s is a date, such as 04/05/2031. */
      validity = g_strdup_printf (_("Not valid until %s"), date);
    }

  /* Translators: the lines under the holder's name of a certificate:
   * document number · issuer, then validity · where it is. */
  subtitle = g_strdup_printf (_("%s · %s\n%s · %s"),
                              document != NULL ? document : _("No document number"),
                              issuer != NULL ? issuer : "",
                              validity,
                              location != NULL ? location : "");
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);

  gtk_image_set_from_icon_name (self->icon, card ? "auth-smartcard-symbolic"
                                                 : "application-certificate-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  !card ? _("Certificate file")
                                  : clave_certificate_is_dnie (certificate) ? _("DNIe")
                                  : _("Card"), -1);

  if (!self->usable)
    {
      gtk_label_set_text (self->unusable_label,
                          has_expired (certificate) ? _("Expired") : _("Not yet valid"));
      gtk_widget_set_visible (GTK_WIDGET (self->unusable_label), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self), "unusable-certificate");
      /* A card's certificate that cannot be used is only information; an
       * imported one keeps its Remove button working. */
      if (card)
        gtk_widget_set_sensitive (GTK_WIDGET (self), FALSE);
    }

  gtk_widget_set_visible (self->remove_button, !card);
  gtk_widget_set_opacity (self->arrow, self->usable ? 1.0 : 0.0);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self), self->usable);
}

static void
clave_certificate_row_dispose (GObject *object)
{
  ClaveCertificateRow *self = CLAVE_CERTIFICATE_ROW (object);

  g_clear_object (&self->certificate);
  gtk_widget_dispose_template (GTK_WIDGET (object), CLAVE_TYPE_CERTIFICATE_ROW);

  G_OBJECT_CLASS (clave_certificate_row_parent_class)->dispose (object);
}

static void
clave_certificate_row_class_init (ClaveCertificateRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = clave_certificate_row_dispose;

  /**
   * ClaveCertificateRow::remove:
   *
   * The person pressed Remove on an imported certificate.
   */
  signals[SIGNAL_REMOVE] = g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-certificate-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificateRow, icon);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificateRow, unusable_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificateRow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveCertificateRow, arrow);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_clicked);
}

static void
clave_certificate_row_init (ClaveCertificateRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
clave_certificate_row_new (ClaveCertificate *certificate)
{
  ClaveCertificateRow *self;

  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (certificate), NULL);

  self = g_object_new (CLAVE_TYPE_CERTIFICATE_ROW, NULL);
  self->certificate = g_object_ref (certificate);
  show_certificate (self);
  return GTK_WIDGET (self);
}

ClaveCertificate *
clave_certificate_row_get_certificate (ClaveCertificateRow *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE_ROW (self), NULL);

  return self->certificate;
}

gboolean
clave_certificate_row_get_usable (ClaveCertificateRow *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE_ROW (self), FALSE);

  return self->usable;
}
