/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "gui-cards.h"

GtkListBox *
gui_certificate_list (GuiFixture *fixture,
                      const char *id)
{
  return GTK_LIST_BOX (gui_find (GTK_WIDGET (fixture->window), id));
}

static guint
n_rows (GtkListBox *list)
{
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;

  return n;
}

guint
gui_n_card_rows (GuiFixture *fixture)
{
  return n_rows (gui_certificate_list (fixture, "certificate_card_list"));
}

guint
gui_n_certificate_rows (GuiFixture *fixture)
{
  return gui_n_card_rows (fixture) +
         n_rows (gui_certificate_list (fixture, "certificate_file_list"));
}

AdwActionRow *
gui_certificate_row (GuiFixture *fixture,
                     guint       index)
{
  guint n_cards = gui_n_card_rows (fixture);
  GtkListBoxRow *row;

  if (index < n_cards)
    row = gtk_list_box_get_row_at_index (gui_certificate_list (fixture, "certificate_card_list"),
                                         index);
  else
    row = gtk_list_box_get_row_at_index (gui_certificate_list (fixture, "certificate_file_list"),
                                         index - n_cards);

  g_assert_nonnull (row);
  return ADW_ACTION_ROW (row);
}

const char *
gui_stack_child (GuiFixture *fixture,
                 const char *id)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (gui_find (GTK_WIDGET (fixture->window), id)));
}

ClavePinDialog *
gui_wait_for_pin_dialog (void)
{
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG) != NULL);
  return CLAVE_PIN_DIALOG (gui_find_toplevel (CLAVE_TYPE_PIN_DIALOG));
}

GtkWidget *
gui_in_dialog (ClavePinDialog *dialog,
               const char     *id)
{
  return gui_find (GTK_WIDGET (dialog), id);
}

const char *
gui_dialog_text (ClavePinDialog *dialog,
                 const char     *id)
{
  return gtk_label_get_text (GTK_LABEL (gui_in_dialog (dialog, id)));
}

void
gui_submit_secret (ClavePinDialog *dialog,
                   const char     *secret)
{
  GtkWidget *entry = gui_in_dialog (dialog, "pin_dialog_entry");
  GtkWidget *button = gui_in_dialog (dialog, "pin_dialog_button");

  gui_wait_until (gtk_widget_is_sensitive (entry));
  gtk_editable_set_text (GTK_EDITABLE (entry), secret);
  gui_wait_until (gtk_widget_is_sensitive (button));
  gui_activate_widget (button);
}

static void
collect_titles (GtkWidget *widget,
                GString   *out)
{
  if (ADW_IS_PREFERENCES_ROW (widget))
    g_string_append_printf (out, "%s\n", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_titles (child, out);
}

char *
gui_titles_of (GuiFixture *fixture,
               const char *id)
{
  GString *out = g_string_new (NULL);

  collect_titles (gui_find (GTK_WIDGET (fixture->window), id), out);
  return g_string_free (out, FALSE);
}

static void
collect_rows (GtkWidget *widget,
              GString   *out)
{
  if (ADW_IS_ACTION_ROW (widget))
    g_string_append_printf (out, "%s | %s\n",
                            adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)),
                            adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)) != NULL
                            ? adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)) : "");

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, out);
}

char *
gui_rows_of (GuiFixture *fixture,
             const char *id)
{
  GString *out = g_string_new (NULL);

  collect_rows (gui_find (GTK_WIDGET (fixture->window), id), out);
  return g_string_free (out, FALSE);
}
