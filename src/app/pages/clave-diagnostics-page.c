/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-diagnostics-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-diagnostics-page.h"
#include "clave-window.h"

/* Plain words first; what only a support person reads (driver files,
 * card models and serial numbers, ISO dates, the pcscd socket) in the
 * folded "Technical details" row, as in the copied report. */
typedef enum {
  SECTION_PROBLEMS,
  SECTION_CERTIFICATES,
  SECTION_CARDS,
  SECTION_READERS,
  SECTION_DETAILS,
  N_SECTIONS
} Section;

struct _ClaveDiagnosticsPage
{
  ClavePage             parent_instance;

  /* Template widgets */
  GtkWidget            *diagnostics_refresh_button;
  GtkWidget            *diagnostics_copy_button;
  GtkStack             *diagnostics_stack;
  GtkSpinner           *diagnostics_spinner;
  GtkLabel             *diagnostics_error_label;
  AdwActionRow         *diagnostics_pcscd_row;
  GtkImage             *diagnostics_pcscd_icon;
  AdwPreferencesGroup  *diagnostics_problems_group;
  AdwPreferencesGroup  *diagnostics_readers_group;
  AdwPreferencesGroup  *diagnostics_cards_group;
  AdwPreferencesGroup  *diagnostics_certificates_group;
  AdwExpanderRow       *diagnostics_details_row;

  GPtrArray            *rows[N_SECTIONS];    /* the rows added to each group */
  char                 *report;
  gboolean              busy;
};

G_DEFINE_FINAL_TYPE (ClaveDiagnosticsPage, clave_diagnostics_page, CLAVE_TYPE_PAGE)

static AdwPreferencesGroup *
section_group (ClaveDiagnosticsPage *self,
               Section               section)
{
  switch (section)
    {
    case SECTION_PROBLEMS:
      return self->diagnostics_problems_group;
    case SECTION_READERS:
      return self->diagnostics_readers_group;
    case SECTION_CARDS:
      return self->diagnostics_cards_group;
    case SECTION_CERTIFICATES:
      return self->diagnostics_certificates_group;
    case SECTION_DETAILS:
    case N_SECTIONS:
    default:
      return NULL;
    }
}

static void
clear_section (ClaveDiagnosticsPage *self,
               Section               section)
{
  AdwPreferencesGroup *group = section_group (self, section);

  for (guint i = 0; i < self->rows[section]->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows[section], i);

      if (group != NULL)
        adw_preferences_group_remove (group, row);
      else
        adw_expander_row_remove (self->diagnostics_details_row, row);
    }
  g_ptr_array_set_size (self->rows[section], 0);
}

static GtkWidget *
add_row (ClaveDiagnosticsPage *self,
         Section               section,
         const char           *text,
         const char           *subtitle,
         const char           *icon_name,
         const char           *icon_class)
{
  AdwPreferencesGroup *group = section_group (self, section);
  GtkWidget *row = adw_action_row_new ();

  gtk_widget_set_name (row, "diagnostics-row");
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
  if (subtitle != NULL)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
    }
  /* The report is there to be read out and copied. */
  gtk_widget_set_focusable (row, TRUE);

  if (icon_name != NULL)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name (icon_name);

      if (icon_class != NULL)
        gtk_widget_add_css_class (icon, icon_class);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }

  if (group != NULL)
    adw_preferences_group_add (group, row);
  else
    adw_expander_row_add_row (self->diagnostics_details_row, row);
  g_ptr_array_add (self->rows[section], row);

  return row;
}

static void
add_none_row (ClaveDiagnosticsPage *self,
              Section               section,
              const char           *none)
{
  GtkWidget *row = add_row (self, section, none, NULL, NULL, NULL);

  gtk_widget_add_css_class (row, "dim-label");
}

static void
fill_section (ClaveDiagnosticsPage *self,
              Section               section,
              GPtrArray            *items,
              const char           *icon_name,
              const char           *icon_class,
              const char           *none)
{
  clear_section (self, section);

  if (items == NULL || items->len == 0)
    {
      add_none_row (self, section, none);
      return;
    }

  for (guint i = 0; i < items->len; i++)
    add_row (self, section, g_ptr_array_index (items, i), NULL, icon_name, icon_class);
}

static void
fill_entries (ClaveDiagnosticsPage *self,
              Section               section,
              GPtrArray            *entries,
              const char           *icon_name,
              const char           *none)
{
  clear_section (self, section);

  if (entries == NULL || entries->len == 0)
    {
      add_none_row (self, section, none);
      return;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      ClaveDiagnosticsEntry *entry = g_ptr_array_index (entries, i);

      add_row (self, section, entry->title, entry->subtitle, icon_name, NULL);
    }
}

/* In the person's time zone and words: "4 May 2031, 23:59". */
static char *
format_local_time (GDateTime *time)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (time);

  /* Translators: a date and time on the diagnostics page, such as
   * "4 May 2031, 23:59"; the codes are those of g_date_time_format()
   * (%-d: day without a leading zero, %B: month name). */
  return g_date_time_format (local, _("%-d %B %Y, %H:%M"));
}

static void
fill_certificates (ClaveDiagnosticsPage *self,
                   GPtrArray            *certificates)
{
  clear_section (self, SECTION_CERTIFICATES);

  if (certificates == NULL || certificates->len == 0)
    {
      add_none_row (self, SECTION_CERTIFICATES, _("No certificate found"));
      return;
    }

  for (guint i = 0; i < certificates->len; i++)
    {
      ClaveCertificate *certificate = g_ptr_array_index (certificates, i);
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autofree char *when = NULL;
      g_autofree char *validity = NULL;
      g_autofree char *subtitle = NULL;
      const char *document = clave_certificate_get_document_number (certificate);
      gboolean valid = clave_certificate_is_valid_now (certificate);

      if (valid)
        {
          when = format_local_time (clave_certificate_get_not_after (certificate));
          /* Translators: %s is a date and time, such as "4 May 2031, 23:59" */
          validity = g_strdup_printf (_("Valid until %s"), when);
        }
      else if (g_date_time_compare (now, clave_certificate_get_not_before (certificate)) < 0)
        {
          when = format_local_time (clave_certificate_get_not_before (certificate));
          /* Translators: %s is a date and time, such as "4 May 2031, 23:59" */
          validity = g_strdup_printf (_("Not valid until %s"), when);
        }
      else
        {
          when = format_local_time (clave_certificate_get_not_after (certificate));
          /* Translators: %s is a date and time, such as "4 May 2021, 23:59" */
          validity = g_strdup_printf (_("Expired on %s"), when);
        }

      if (document != NULL)
        /* Translators: a certificate on the diagnostics page: DNI or NIE
         * number, "Valid until 4 May 2031, 23:59", and where it is ("DNI
         * electrónico" or a file name) */
        subtitle = g_strdup_printf (_("%s · %s · %s"), document, validity,
                                    clave_certificate_get_location (certificate));
      else
        /* Translators: as above, for a certificate without a DNI or NIE */
        subtitle = g_strdup_printf (_("%s · %s"), validity,
                                    clave_certificate_get_location (certificate));

      add_row (self, SECTION_CERTIFICATES, clave_certificate_get_holder_name (certificate),
               subtitle, valid ? "application-certificate-symbolic" : "dialog-warning-symbolic",
               valid ? NULL : "warning");
    }
}

static void
add_details (ClaveDiagnosticsPage *self,
             GPtrArray            *lines,
             const char           *kind)
{
  if (lines == NULL)
    return;

  for (guint i = 0; i < lines->len; i++)
    add_row (self, SECTION_DETAILS, g_ptr_array_index (lines, i), kind, NULL, NULL);
}

static void
fill_details (ClaveDiagnosticsPage   *self,
              const ClaveDiagnostics *diagnostics)
{
  clear_section (self, SECTION_DETAILS);

  if (diagnostics->pcscd_detail != NULL)
    add_row (self, SECTION_DETAILS, diagnostics->pcscd_detail,
             _("Smart card service (pcscd)"), NULL, NULL);
  if (diagnostics->modules == NULL || diagnostics->modules->len == 0)
    add_row (self, SECTION_DETAILS, _("No PKCS#11 module loaded"), _("PKCS#11 modules"),
             NULL, NULL);
  /* Translators: the kind of a line of the technical details */
  add_details (self, diagnostics->modules, _("PKCS#11 module (card driver)"));
  /* Translators: the kind of a line of the technical details */
  add_details (self, diagnostics->readers, _("Card reader"));
  /* Translators: the kind of a line of the technical details */
  add_details (self, diagnostics->cards, _("Card"));
  /* Translators: the kind of a line of the technical details */
  add_details (self, diagnostics->certificates, _("Certificate"));
}

static void
show_diagnostics (ClaveDiagnosticsPage   *self,
                  const ClaveDiagnostics *diagnostics)
{
  fill_section (self, SECTION_PROBLEMS, diagnostics->problems, "dialog-warning-symbolic", "warning",
                _("No problems found"));
  fill_certificates (self, diagnostics->certificate_objects);
  fill_entries (self, SECTION_CARDS, diagnostics->card_entries, "auth-smartcard-symbolic",
                _("No card found"));
  fill_entries (self, SECTION_READERS, diagnostics->reader_entries, "media-removable-symbolic",
                _("No card reader found"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->diagnostics_pcscd_row),
                                 diagnostics->pcscd_reachable ? _("Running")
                                                              : _("Not reachable"));
  gtk_image_set_from_icon_name (self->diagnostics_pcscd_icon,
                                diagnostics->pcscd_reachable ? "emblem-ok-symbolic"
                                                             : "dialog-warning-symbolic");
  if (diagnostics->pcscd_reachable)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->diagnostics_pcscd_icon), "success");
      gtk_widget_remove_css_class (GTK_WIDGET (self->diagnostics_pcscd_icon), "warning");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->diagnostics_pcscd_icon), "warning");
      gtk_widget_remove_css_class (GTK_WIDGET (self->diagnostics_pcscd_icon), "success");
    }

  fill_details (self, diagnostics);

  g_free (self->report);
  self->report = clave_diagnostics_to_text (diagnostics);
}

static void
set_busy (ClaveDiagnosticsPage *self,
          gboolean              busy)
{
  self->busy = busy;
  gtk_spinner_set_spinning (self->diagnostics_spinner, busy);
  gtk_widget_set_sensitive (self->diagnostics_refresh_button, !busy);
  gtk_widget_set_sensitive (self->diagnostics_copy_button, !busy && self->report != NULL);
  if (busy)
    gtk_stack_set_visible_child_name (self->diagnostics_stack, "loading");
}

static void
diagnose_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveDiagnosticsPage) self = user_data;
  g_autoptr(ClaveDiagnostics) diagnostics = NULL;
  g_autoptr(GError) error = NULL;

  diagnostics = clave_token_manager_diagnose_finish (CLAVE_TOKEN_MANAGER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (diagnostics == NULL)
    {
      g_clear_pointer (&self->report, g_free);
      gtk_label_set_text (self->diagnostics_error_label, error->message);
      set_busy (self, FALSE);
      gtk_stack_set_visible_child_name (self->diagnostics_stack, "error");
      return;
    }

  show_diagnostics (self, diagnostics);
  set_busy (self, FALSE);
  gtk_stack_set_visible_child_name (self->diagnostics_stack, "report");
}

static void
refresh (ClaveDiagnosticsPage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  ClaveTokenManager *manager = app != NULL ? clave_application_get_token_manager (app) : NULL;

  if (manager == NULL || self->busy)
    return;

  set_busy (self, TRUE);
  clave_token_manager_diagnose_async (manager, clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      diagnose_cb, g_object_ref (self));
}

static void
on_refresh_clicked (ClaveDiagnosticsPage *self)
{
  refresh (self);
}

static void
on_copy_clicked (ClaveDiagnosticsPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (self->report == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->report);
  if (window != NULL)
    clave_window_add_toast (window, _("Report copied"));
}

static void
clave_diagnostics_page_shown (ClavePage *page)
{
  ClaveDiagnosticsPage *self = CLAVE_DIAGNOSTICS_PAGE (page);

  /* A new page cancellable: whatever ran before was cancelled. */
  self->busy = FALSE;
  refresh (self);
}

static void
clave_diagnostics_page_hidden (ClavePage *page)
{
  ClaveDiagnosticsPage *self = CLAVE_DIAGNOSTICS_PAGE (page);

  if (self->busy)
    {
      self->busy = FALSE;
      gtk_spinner_set_spinning (self->diagnostics_spinner, FALSE);
      gtk_widget_set_sensitive (self->diagnostics_refresh_button, TRUE);
    }
}

static void
clave_diagnostics_page_dispose (GObject *object)
{
  ClaveDiagnosticsPage *self = CLAVE_DIAGNOSTICS_PAGE (object);

  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_DIAGNOSTICS_PAGE);

  for (guint i = 0; i < N_SECTIONS; i++)
    g_clear_pointer (&self->rows[i], g_ptr_array_unref);

  G_OBJECT_CLASS (clave_diagnostics_page_parent_class)->dispose (object);
}

static void
clave_diagnostics_page_finalize (GObject *object)
{
  ClaveDiagnosticsPage *self = CLAVE_DIAGNOSTICS_PAGE (object);

  g_free (self->report);

  G_OBJECT_CLASS (clave_diagnostics_page_parent_class)->finalize (object);
}

static void
clave_diagnostics_page_class_init (ClaveDiagnosticsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_diagnostics_page_dispose;
  object_class->finalize = clave_diagnostics_page_finalize;
  page_class->shown = clave_diagnostics_page_shown;
  page_class->hidden = clave_diagnostics_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-diagnostics-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_refresh_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_copy_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_stack);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_pcscd_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_pcscd_icon);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_problems_group);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_readers_group);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_cards_group);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_certificates_group);
  gtk_widget_class_bind_template_child (widget_class, ClaveDiagnosticsPage, diagnostics_details_row);
  gtk_widget_class_bind_template_callback (widget_class, on_refresh_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);
}

static void
clave_diagnostics_page_init (ClaveDiagnosticsPage *self)
{
  for (guint i = 0; i < N_SECTIONS; i++)
    self->rows[i] = g_ptr_array_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}
