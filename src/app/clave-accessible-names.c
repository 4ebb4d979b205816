/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-accessible-names"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "clave-accessible-names.h"

/* Accessible names (issue 9)
 *
 * GTK 4.8 names a GtkButton made with label "_Log In" and use-underline
 * twice: its accessible label is the raw text, underscore included, and
 * its child, the mnemonic label, labels it too, so screen readers read
 * "_Log In Log In". A GtkCheckButton gets the raw "_Permanent" alone.
 * libadwaita 1.2 leaves the show-text button of AdwPasswordEntryRow and
 * the close button of a toast nameless (their tooltip is a description,
 * not a name), and the AdwExpanderRow itself, which takes the focus. Rather than
 * repeat every label in an <accessibility> block of every .ui file, each
 * such widget gets its clean text as accessible label when it is first
 * mapped, and again whenever its label (or tooltip) changes.
 *
 * A GtkToggleButton, too, says whether it is pressed only once it has
 * been toggled: until then a screen reader cannot tell it is a toggle
 * (My data's show/hide button, My requests' filters). Mapping gives it
 * its state; GTK keeps it from then on.
 * tests/gui/test-accessibility.c checks the names on every page. */

static char *
strip_mnemonic (const char *text)
{
  GString *clean = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      /* "__" is a literal underscore; "_x" marks x as the mnemonic. */
      if (*p == '_' && *(++p) == '\0')
        break;
      g_string_append_c (clean, *p);
    }

  return g_string_free (clean, FALSE);
}

/* The show-text button of an AdwPasswordEntryRow (an icon with only a
 * tooltip), the close button of a toast (AdwToastWidget is private; an
 * icon alone). */
static gboolean
in_unnamed_adw_part (GtkWidget *widget)
{
  GType toast_widget = g_type_from_name ("AdwToastWidget");

  return gtk_widget_get_ancestor (widget, ADW_TYPE_PASSWORD_ENTRY_ROW) != NULL
         || (toast_widget != 0 && gtk_widget_get_ancestor (widget, toast_widget) != NULL);
}

static void
update_accessible_name (GtkWidget *widget)
{
  g_autofree char *clean = NULL;

  if (GTK_IS_BUTTON (widget))
    {
      const char *label = gtk_button_get_label (GTK_BUTTON (widget));

      if (in_unnamed_adw_part (widget) && gtk_button_get_icon_name (GTK_BUTTON (widget)) != NULL)
        {
          const char *tooltip = gtk_widget_get_tooltip_text (widget);

          /* The toast's close button has no tooltip either. */
          gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          tooltip != NULL ? tooltip : _("Dismiss"),
                                          -1);
          return;
        }

      if (label == NULL || !gtk_button_get_use_underline (GTK_BUTTON (widget)))
        return;

      clean = strip_mnemonic (label);
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget),
                                     GTK_ACCESSIBLE_RELATION_LABELLED_BY);
    }
  else if (ADW_IS_EXPANDER_ROW (widget))
    {
      AdwPreferencesRow *row = ADW_PREFERENCES_ROW (widget);
      const char *title = adw_preferences_row_get_title (row);

      clean = adw_preferences_row_get_use_underline (row) ? strip_mnemonic (title)
                                                          : g_strdup (title);
    }
  else if (GTK_IS_CHECK_BUTTON (widget))
    {
      const char *label = gtk_check_button_get_label (GTK_CHECK_BUTTON (widget));

      if (label == NULL || !gtk_check_button_get_use_underline (GTK_CHECK_BUTTON (widget)))
        return;

      clean = strip_mnemonic (label);
    }
  else
    return;

  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, clean,
                                  -1);
}

static void
on_accessible_name_notify (GtkWidget  *widget,
                           GParamSpec *pspec,
                           gpointer    user_data)
{
  update_accessible_name (widget);
}

static gboolean
accessible_name_map_hook (GSignalInvocationHint *hint,
                          guint                  n_params,
                          const GValue          *params,
                          gpointer               user_data)
{
  GtkWidget *widget = g_value_get_object (&params[0]);

  if (!GTK_IS_BUTTON (widget) && !GTK_IS_CHECK_BUTTON (widget) && !ADW_IS_EXPANDER_ROW (widget))
    return TRUE;

  if (GTK_IS_TOGGLE_BUTTON (widget))
    gtk_accessible_update_state (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_STATE_PRESSED,
                                 gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (widget))
                                 ? GTK_ACCESSIBLE_TRISTATE_TRUE : GTK_ACCESSIBLE_TRISTATE_FALSE,
                                 -1);

  if (g_object_get_data (G_OBJECT (widget), "clave-accessible-name") == NULL)
    {
      g_object_set_data (G_OBJECT (widget), "clave-accessible-name", GINT_TO_POINTER (TRUE));
      /* On the widget itself: the connections go with it. */
      g_signal_connect_after (widget, "notify::label", G_CALLBACK (on_accessible_name_notify), NULL);
      g_signal_connect_after (widget, "notify::use-underline",
                              G_CALLBACK (on_accessible_name_notify), NULL);
      g_signal_connect_after (widget, "notify::tooltip-text",
                              G_CALLBACK (on_accessible_name_notify), NULL);
      g_signal_connect_after (widget, "notify::title", G_CALLBACK (on_accessible_name_notify), NULL);
    }
  update_accessible_name (widget);

  /* Stay for the widgets mapped later. */
  return TRUE;
}

void
clave_accessible_names_install (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0,
                                  accessible_name_map_hook, NULL, NULL);
      g_once_init_leave (&installed, 1);
    }
}
