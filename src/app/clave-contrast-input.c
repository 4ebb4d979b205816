/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "clave-contrast-input.h"

/* The validity a permanent DNI shows instead of an expiry date. */
#define PERMANENT_VALIDITY "9999-01-01"

/* Characters that count towards a complete value, to know when a
 * half-typed value can be called wrong. */
static gsize
count_alnum (const char *text)
{
  gsize n = 0;

  for (; *text != '\0'; text++)
    if (g_ascii_isalnum (*text))
      n++;

  return n;
}

char *
clave_contrast_input_check (ClaveContrastKind   kind,
                            const char         *text,
                            gboolean            touched,
                            char              **hint,
                            gboolean           *hint_is_error)
{
  g_autofree char *value = NULL;

  *hint = NULL;
  *hint_is_error = FALSE;
  value = clave_contrast_normalize (kind, text, NULL);

  if (kind == CLAVE_CONTRAST_SUPPORT_NUMBER)
    {
      if (value != NULL)
        /* Translators: %s is a support number padded with zeros, E01234567. */
        *hint = g_strdup_printf (_("It will be sent as %s."), value);
      else if (*text != '\0' && (touched || count_alnum (text) >= 9))
        {
          *hint = g_strdup (_("A support number is E or C followed by 8 digits, such as "
                              "E01234567."));
          *hint_is_error = TRUE;
        }
      return g_steal_pointer (&value);
    }

  if (value != NULL && kind == CLAVE_CONTRAST_VALIDITY_DATE &&
      g_str_equal (value, PERMANENT_VALIDITY))
    {
      *hint = g_strdup (_("A DNI valid until 01-01-9999 is permanent: tick “My DNI is "
                          "permanent” and type its issue date."));
      *hint_is_error = TRUE;
      return NULL;
    }
  if (value == NULL && *text != '\0' && (touched || count_alnum (text) >= 8))
    {
      *hint = g_strdup (_("Type the date as day/month/year, such as 04/05/2031."));
      *hint_is_error = TRUE;
    }
  return g_steal_pointer (&value);
}

const char *
clave_contrast_input_date_title (gboolean permanent)
{
  return permanent ? _("_Issue date (dd/mm/yyyy)") : _("_Validity date (dd/mm/yyyy)");
}

const char *
clave_contrast_input_date_help (gboolean permanent,
                                gboolean calendar)
{
  if (permanent)
    return _("A permanent DNI shows 01-01-9999 as its validity date. Give its issue date "
             "instead: it is on the front of the card, under “EMISIÓN”.");
  if (calendar)
    return _("The validity date is on the front of your DNI, at the bottom right, under "
             "“VÁLIDO HASTA”. Type it as day/month/year, such as 04/05/2031, or pick it on "
             "the calendar.");
  return _("The validity date is on the front of your DNI, at the bottom right, under "
           "“VÁLIDO HASTA”. Type it as day/month/year, such as 04/05/2031.");
}

void
clave_contrast_input_show_hint (GtkLabel   *label,
                                const char *hint,
                                gboolean    is_error)
{
  gtk_label_set_text (label, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (label), hint != NULL && *hint != '\0');
  if (is_error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (label), "error");
      gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
    }
}
