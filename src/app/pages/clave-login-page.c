/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-login-page"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "clave-contrast-input.h"
#include "clave-document.h"
#include "clave-login-page.h"
#include "clave-window.h"

struct _ClaveLoginPage
{
  ClavePage          parent_instance;

  /* Template widgets */
  GtkLabel          *login_notice_label;
  GtkEditable       *login_document_row;
  GtkLabel          *login_document_error;
  AdwPreferencesRow *login_date_row;
  AdwPreferencesRow *login_support_row;
  GtkLabel          *login_date_help_label;
  GtkPopover        *login_calendar_popover;
  GtkCalendar       *login_calendar;
  GtkWidget         *login_permanent_check;
  GtkLabel          *login_contrast_hint;
  GtkLabel          *login_error_label;
  GtkWidget         *login_continue_button;
  GtkWidget         *login_spinner;

  /* What the form holds now; both NULL while not valid. */
  char              *document;
  ClaveDocumentType  document_type;
  ClaveContrastKind  contrast_kind;
  char              *contrast_value;

  gboolean           document_touched;
  gboolean           contrast_touched;
  gboolean           setting_calendar;
  gboolean           busy;
};

G_DEFINE_FINAL_TYPE (ClaveLoginPage, clave_login_page, CLAVE_TYPE_PAGE)

static void
set_message (GtkLabel   *label,
             const char *message)
{
  gtk_label_set_text (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL && *message != '\0');
}

static const char *
document_error_message (const GError *error)
{
  if (error == NULL)
    return NULL;

  if (error->domain == CLAVE_DOCUMENT_ERROR)
    switch ((ClaveDocumentError) error->code)
      {
      case CLAVE_DOCUMENT_ERROR_EMPTY:
        return _("Type the number of your DNI or NIE.");
      case CLAVE_DOCUMENT_ERROR_BAD_LETTER:
        return _("The letter does not match the number. Check that you typed your document correctly.");
      case CLAVE_DOCUMENT_ERROR_BAD_FORMAT:
      case CLAVE_DOCUMENT_ERROR_BAD_DATE:
      case CLAVE_DOCUMENT_ERROR_BAD_SUPPORT_NUMBER:
      default:
        break;
      }

  return _("This is not a DNI or NIE. A DNI has 8 digits and a letter, such as 12345678Z; "
           "a NIE has X, Y or Z, 7 digits and a letter, such as X1234567L.");
}

static gboolean
looks_like_nie (const char *text)
{
  g_autofree char *normalized = clave_document_normalize (text);

  return normalized[0] == 'X' || normalized[0] == 'Y' || normalized[0] == 'Z';
}

static void
validate (ClaveLoginPage *self)
{
  const char *document_text = gtk_editable_get_text (self->login_document_row);
  g_autoptr(GError) document_error = NULL;
  ClaveDocumentType shown_type;
  gboolean permanent;
  const char *contrast_text;
  g_autofree char *hint = NULL;
  gboolean hint_is_error = FALSE;

  g_clear_pointer (&self->document, g_free);
  g_clear_pointer (&self->contrast_value, g_free);

  self->document_type = clave_document_validate (document_text, &self->document, &document_error);
  if (self->document_type == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    g_clear_pointer (&self->document, g_free);

  /* No error on every keystroke: only once the text cannot become a
   * document any more, or the person has left the field. */
  if (self->document_type == CLAVE_DOCUMENT_TYPE_UNKNOWN && *document_text != '\0'
      && (self->document_touched || !clave_document_is_prefix (document_text)))
    set_message (self->login_document_error, document_error_message (document_error));
  else
    set_message (self->login_document_error, NULL);

  shown_type = self->document_type;
  if (shown_type == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    shown_type = looks_like_nie (document_text) ? CLAVE_DOCUMENT_TYPE_NIE : CLAVE_DOCUMENT_TYPE_DNI;

  permanent = gtk_check_button_get_active (GTK_CHECK_BUTTON (self->login_permanent_check));
  gtk_widget_set_visible (GTK_WIDGET (self->login_date_row), shown_type == CLAVE_DOCUMENT_TYPE_DNI);
  gtk_widget_set_visible (self->login_permanent_check, shown_type == CLAVE_DOCUMENT_TYPE_DNI);
  gtk_widget_set_visible (GTK_WIDGET (self->login_support_row), shown_type == CLAVE_DOCUMENT_TYPE_NIE);

  if (shown_type == CLAVE_DOCUMENT_TYPE_NIE)
    {
      self->contrast_kind = CLAVE_CONTRAST_SUPPORT_NUMBER;
      contrast_text = gtk_editable_get_text (GTK_EDITABLE (self->login_support_row));
    }
  else
    {
      self->contrast_kind = permanent ? CLAVE_CONTRAST_ISSUE_DATE : CLAVE_CONTRAST_VALIDITY_DATE;
      adw_preferences_row_set_title (self->login_date_row,
                                     clave_contrast_input_date_title (permanent));
      gtk_label_set_text (self->login_date_help_label,
                          clave_contrast_input_date_help (permanent, TRUE));
      contrast_text = gtk_editable_get_text (GTK_EDITABLE (self->login_date_row));
    }
  self->contrast_value = clave_contrast_input_check (self->contrast_kind, contrast_text,
                                                     self->contrast_touched, &hint,
                                                     &hint_is_error);
  clave_contrast_input_show_hint (self->login_contrast_hint, hint, hint_is_error);

  /* A contrast kind that does not fit the document is refused anyway. */
  if (self->document_type != shown_type)
    g_clear_pointer (&self->contrast_value, g_free);

  gtk_widget_set_sensitive (self->login_continue_button,
                            !self->busy && self->document != NULL && self->contrast_value != NULL);
}

static void
set_busy (ClaveLoginPage *self,
          gboolean        busy)
{
  gboolean was_busy = self->busy;

  self->busy = busy;
  if (busy && !was_busy)
    clave_page_park_focus (CLAVE_PAGE (self));

  gtk_widget_set_sensitive (GTK_WIDGET (self->login_document_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->login_date_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->login_support_row), !busy);
  gtk_widget_set_sensitive (self->login_permanent_check, !busy);
  gtk_widget_set_visible (self->login_spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->login_spinner), busy);

  validate (self);
  if (!busy && was_busy)
    clave_page_restore_focus (CLAVE_PAGE (self));
}

static void start_identify (ClaveLoginPage *self);

static void
retry_identify (gpointer user_data)
{
  start_identify (CLAVE_LOGIN_PAGE (user_data));
}

static void
identify_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveLoginPage) self = user_data;
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  gboolean registered = FALSE;
  ClaveWindow *window;
  ClaveFlow *flow;

  if (!clave_service_client_identify_finish (CLAVE_SERVICE_CLIENT (source), result,
                                             &registered, &activation, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      set_busy (self, FALSE);
      window = clave_page_get_window (CLAVE_PAGE (self));

      if (clave_service_error_is_transient (error))
        {
          if (window != NULL)
            clave_window_show_error (window, error, retry_identify, g_object_ref (self),
                                     g_object_unref);
        }
      else if (g_error_matches (error, CLAVE_SERVICE_ERROR,
                                CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED))
        set_message (self->login_error_label,
                     _("The document number or the contrast data are not correct. Check them "
                       "and try again."));
      else
        set_message (self->login_error_label, error->message);
      return;
    }

  set_busy (self, FALSE);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window == NULL)
    return;
  flow = clave_window_get_flow (window);

  if (registered && activation != NULL)
    {
      clave_flow_begin_activation (flow, self->document, self->document_type, activation);
      clave_window_show_page (window, "activate-method");
    }
  else
    {
      clave_flow_end_activation (flow);
      clave_window_show_registration (window, TRUE);
    }
}

static void
start_identify (ClaveLoginPage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  g_autoptr(GError) error = NULL;
  ClaveServiceClient *client;

  validate (self);
  if (app == NULL || self->busy || self->document == NULL || self->contrast_value == NULL)
    return;

  set_message (self->login_error_label, NULL);

  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      clave_window_show_error (window, error, retry_identify, g_object_ref (self), g_object_unref);
      return;
    }

  set_busy (self, TRUE);
  clave_service_client_identify_async (client, self->document,
                                       clave_contrast_kind_to_string (self->contrast_kind),
                                       self->contrast_value,
                                       clave_page_get_cancellable (CLAVE_PAGE (self)),
                                       identify_cb, g_object_ref (self));
}

static void
on_continue_clicked (ClaveLoginPage *self)
{
  start_identify (self);
}

static void
on_field_changed (ClaveLoginPage *self)
{
  /* What the service said was about the previous input. */
  set_message (self->login_error_label, NULL);
  validate (self);
}

/* The date field now asks for the other date (validity or issue): the
 * one typed was for the question it no longer asks. */
static void
on_permanent_toggled (ClaveLoginPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->login_date_row), "");
  self->contrast_touched = FALSE;
  on_field_changed (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self->login_date_row)))
    gtk_widget_grab_focus (GTK_WIDGET (self->login_date_row));
}

static void
on_document_focus_leave (ClaveLoginPage *self)
{
  if (*gtk_editable_get_text (self->login_document_row) == '\0')
    return;

  self->document_touched = TRUE;
  validate (self);
}

static void
on_contrast_focus_leave (ClaveLoginPage *self)
{
  GtkEditable *row = gtk_widget_get_visible (GTK_WIDGET (self->login_support_row))
                     ? GTK_EDITABLE (self->login_support_row)
                     : GTK_EDITABLE (self->login_date_row);

  /* Opening the calendar or the help moves the focus out of the row
   * without the person having finished. */
  if (*gtk_editable_get_text (row) == '\0'
      || gtk_widget_get_visible (GTK_WIDGET (self->login_calendar_popover)))
    return;

  self->contrast_touched = TRUE;
  validate (self);
}

static void
on_document_activated (ClaveLoginPage *self)
{
  self->document_touched = TRUE;
  validate (self);

  if (self->document == NULL)
    return;

  if (self->contrast_value != NULL)
    start_identify (self);
  else if (self->document_type == CLAVE_DOCUMENT_TYPE_NIE)
    gtk_widget_grab_focus (GTK_WIDGET (self->login_support_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->login_date_row));
}

static void
on_contrast_activated (ClaveLoginPage *self)
{
  self->contrast_touched = TRUE;
  validate (self);

  if (self->document == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->login_document_row));
  else
    start_identify (self);
}

static void
on_calendar_popover_show (ClaveLoginPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->login_date_row));
  g_autofree char *iso = clave_date_normalize (text, NULL);
  g_autoptr(GDateTime) date = NULL;
  int year, month, day;

  if (iso != NULL && sscanf (iso, "%d-%d-%d", &year, &month, &day) == 3 && year < 9999)
    date = g_date_time_new_local (year, month, day, 0, 0, 0);
  if (date == NULL)
    date = g_date_time_new_now_local ();

  self->setting_calendar = TRUE;
  gtk_calendar_select_day (self->login_calendar, date);
  self->setting_calendar = FALSE;
}

static void
on_calendar_day_selected (ClaveLoginPage *self)
{
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *text = NULL;

  if (self->setting_calendar)
    return;

  date = gtk_calendar_get_date (self->login_calendar);
  text = g_date_time_format (date, "%d/%m/%Y");
  gtk_editable_set_text (GTK_EDITABLE (self->login_date_row), text);
  gtk_popover_popdown (self->login_calendar_popover);
  self->contrast_touched = TRUE;
  validate (self);
}

static void
clave_login_page_shown (ClavePage *page)
{
  ClaveLoginPage *self = CLAVE_LOGIN_PAGE (page);

  set_busy (self, FALSE);
  set_message (self->login_error_label, NULL);

  if (*gtk_editable_get_text (self->login_document_row) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->login_document_row));
}

static void
clave_login_page_hidden (ClavePage *page)
{
  ClaveLoginPage *self = CLAVE_LOGIN_PAGE (page);

  /* The request was cancelled with the page's cancellable. */
  set_busy (self, FALSE);
  set_message (self->login_notice_label, NULL);
}

static void
clave_login_page_dispose (GObject *object)
{
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_LOGIN_PAGE);

  G_OBJECT_CLASS (clave_login_page_parent_class)->dispose (object);
}

static void
clave_login_page_finalize (GObject *object)
{
  ClaveLoginPage *self = CLAVE_LOGIN_PAGE (object);

  g_free (self->document);
  g_free (self->contrast_value);

  G_OBJECT_CLASS (clave_login_page_parent_class)->finalize (object);
}

static void
clave_login_page_class_init (ClaveLoginPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_login_page_dispose;
  object_class->finalize = clave_login_page_finalize;
  page_class->shown = clave_login_page_shown;
  page_class->hidden = clave_login_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-login-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_notice_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_document_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_document_error);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_date_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_support_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_date_help_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_calendar_popover);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_calendar);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_permanent_check);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_contrast_hint);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_continue_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveLoginPage, login_spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_permanent_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_document_focus_leave);
  gtk_widget_class_bind_template_callback (widget_class, on_contrast_focus_leave);
  gtk_widget_class_bind_template_callback (widget_class, on_document_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_contrast_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_calendar_popover_show);
  gtk_widget_class_bind_template_callback (widget_class, on_calendar_day_selected);
}

static void
clave_login_page_init (ClaveLoginPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  validate (self);
}

void
clave_login_page_clear (ClaveLoginPage *self)
{
  g_return_if_fail (CLAVE_IS_LOGIN_PAGE (self));

  gtk_editable_set_text (self->login_document_row, "");
  gtk_editable_set_text (GTK_EDITABLE (self->login_date_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->login_support_row), "");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (self->login_permanent_check), FALSE);
  set_message (self->login_error_label, NULL);
  self->document_touched = FALSE;
  self->contrast_touched = FALSE;
  validate (self);
}

void
clave_login_page_set_notice (ClaveLoginPage *self,
                             const char     *notice)
{
  g_return_if_fail (CLAVE_IS_LOGIN_PAGE (self));

  set_message (self->login_notice_label, notice);
}
