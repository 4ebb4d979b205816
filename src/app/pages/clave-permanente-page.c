/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-permanente-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "clave-contrast-form.h"
#include "clave-contrast-input.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-password.h"
#include "clave-permanente-page.h"
#include "clave-protocol.h"
#include "clave-receipt.h"
#include "clave-unlock-dialog.h"
#include "clave-window.h"

/* Cl@ve Permanente from My data: an activation code
 * (POST /v1/me/permanente/code: the document's contrast data, the device
 * PIN, then the code with its expiry, a PDF receipt and the way to the
 * activation website), and once it is active, its password: change it
 * (the current one first), recover it with an SMS code, delete the user.
 * The code and the passwords leave the page when the page is left. */

struct _ClavePermanentePage
{
  ClavePage                parent_instance;

  /* Template widgets */
  GtkLabel                *permanente_heading_label;
  GtkStack                *permanente_stack;
  ClaveContrastForm       *permanente_contrast_form;
  GtkWidget               *permanente_continue_button;
  GtkLabel                *permanente_code_label;
  GtkLabel                *permanente_expiry_label;
  GtkWidget               *permanente_website_button;
  GtkWidget               *permanente_receipt_button;
  GtkWidget               *permanente_forgot_button;
  GtkWidget               *permanente_password_group;
  GtkWidget               *permanente_change_row;
  GtkEditable             *permanente_old_row;
  GtkEditable             *permanente_new_row;
  GtkEditable             *permanente_repeat_row;
  GtkLabel                *permanente_rules_label;
  GtkWidget               *permanente_change_button;
  GtkWidget               *permanente_send_button;
  GtkWidget               *permanente_recover_group;
  GtkEditable             *permanente_code_row;
  GtkEditable             *permanente_recover_new_row;
  GtkEditable             *permanente_recover_repeat_row;
  GtkLabel                *permanente_recover_rules_label;
  GtkWidget               *permanente_recover_button;
  GtkWidget               *permanente_busy_box;
  GtkSpinner              *permanente_spinner;
  GtkLabel                *permanente_busy_label;
  GtkLabel                *permanente_error_label;

  ClavePermanenteCode     *code;      /* once got */
  ClavePermanenteRecovery *recovery;  /* once its SMS code was sent */
  char                    *state;     /* CLAVE_PERMANENTE_*, as My data heard it */
  char                    *given_name;
  char                    *surnames;
  gboolean                 busy;
  int                      step;      /* Step, while busy */
};

typedef enum {
  STEP_CODE,
  STEP_CHANGE,
  STEP_RECOVER_START,
  STEP_RECOVER_FINISH,
  STEP_DELETE,
} Step;

G_DEFINE_FINAL_TYPE (ClavePermanentePage, clave_permanente_page, CLAVE_TYPE_PAGE)

static void
show_error (ClavePermanentePage *self,
            const char          *message)
{
  gtk_label_set_text (self->permanente_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->permanente_error_label), message != NULL);
}

/* The new password of @new_row, when it follows the rules and @repeat_row
 * repeats it; @label says what is missing. */
static const char *
check_new_password (ClavePermanentePage *self,
                    GtkEditable         *new_row,
                    GtkEditable         *repeat_row,
                    GtkLabel            *label)
{
  const char *password = gtk_editable_get_text (new_row);
  const char *repeat = gtk_editable_get_text (repeat_row);
  g_autofree char *number = NULL;
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  ClavePasswordProblems problems;
  const char *hint = NULL;

  if (app != NULL)
    number = clave_profile_dup_document_number (clave_application_get_profile (app));
  problems = clave_password_check (password, self->given_name, self->surnames, number);
  if (*password == '\0')
    hint = _("At least 8 characters with three of lower case, upper case, digits and other "
             "characters, or 16 characters or more; not your name, surnames or document "
             "number.");
  else if (problems & CLAVE_PASSWORD_HAS_NAME)
    hint = _("The password must not contain your name or surnames.");
  else if (problems & CLAVE_PASSWORD_HAS_DOCUMENT)
    hint = _("The password must not contain your document number.");
  else if (problems & (CLAVE_PASSWORD_TOO_SHORT | CLAVE_PASSWORD_FEW_GROUPS))
    hint = _("Use at least 8 characters with three of lower case, upper case, digits and other "
             "characters, or 16 characters or more.");
  else if (problems != CLAVE_PASSWORD_OK)
    hint = _("Use at most 128 characters, without control characters.");
  else if (*repeat != '\0' && !g_str_equal (password, repeat))
    hint = _("The two passwords are not the same.");

  clave_contrast_input_show_hint (label, hint, hint != NULL && *password != '\0');
  return problems == CLAVE_PASSWORD_OK && g_str_equal (password, repeat) ? password : NULL;
}

static void
update_buttons (ClavePermanentePage *self)
{
  gboolean old_given = *gtk_editable_get_text (self->permanente_old_row) != '\0';
  const char *changed = check_new_password (self, self->permanente_new_row,
                                            self->permanente_repeat_row,
                                            self->permanente_rules_label);
  const char *recovered = check_new_password (self, self->permanente_recover_new_row,
                                              self->permanente_recover_repeat_row,
                                              self->permanente_recover_rules_label);

  gtk_widget_set_sensitive (self->permanente_continue_button,
                            !self->busy &&
                            clave_contrast_form_get_value (self->permanente_contrast_form) != NULL);
  gtk_widget_set_sensitive (self->permanente_change_button,
                            !self->busy && old_given && changed != NULL);
  gtk_widget_set_sensitive (self->permanente_send_button, !self->busy);
  gtk_widget_set_sensitive (self->permanente_recover_button,
                            !self->busy && recovered != NULL &&
                            clave_page_code_is_complete (gtk_editable_get_text (
                                                           self->permanente_code_row)));
}

static void
set_busy (ClavePermanentePage *self,
          const char          *what)
{
  self->busy = what != NULL;
  gtk_label_set_text (self->permanente_busy_label, what != NULL ? what : "");
  gtk_widget_set_visible (self->permanente_busy_box, what != NULL);
  gtk_spinner_set_spinning (self->permanente_spinner, what != NULL);
  update_buttons (self);
}

static void
clear_secrets (ClavePermanentePage *self)
{
  GtkEditable *rows[] = {
    self->permanente_old_row, self->permanente_new_row, self->permanente_repeat_row,
    self->permanente_code_row, self->permanente_recover_new_row,
    self->permanente_recover_repeat_row,
  };

  g_clear_pointer (&self->code, clave_permanente_code_free);
  g_clear_pointer (&self->recovery, clave_permanente_recovery_free);
  gtk_label_set_text (self->permanente_code_label, "");
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    gtk_editable_set_text (rows[i], "");
}

static void
show_step (ClavePermanentePage *self,
           const char          *name)
{
  gboolean active = g_strcmp0 (self->state, CLAVE_PERMANENTE_ACTIVE) == 0;

  gtk_widget_set_visible (self->permanente_password_group,
                          active || g_strcmp0 (self->state,
                                               CLAVE_PERMANENTE_PASSWORD_BLOCKED) == 0);
  gtk_widget_set_visible (self->permanente_change_row, active);
  /* With a password already set, the code's step leads to its recovery. */
  gtk_widget_set_visible (self->permanente_forgot_button,
                          active || g_strcmp0 (self->state,
                                               CLAVE_PERMANENTE_PASSWORD_BLOCKED) == 0);
  gtk_widget_set_visible (self->permanente_recover_group, self->recovery != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->permanente_recover_rules_label),
                          self->recovery != NULL);
  gtk_widget_set_visible (self->permanente_recover_button, self->recovery != NULL);
  gtk_widget_set_visible (self->permanente_send_button, self->recovery == NULL);
  gtk_stack_set_visible_child_name (self->permanente_stack, name);
  if (g_str_equal (name, "change"))
    gtk_label_set_text (self->permanente_heading_label, _("Change your password"));
  else if (g_str_equal (name, "recover"))
    gtk_label_set_text (self->permanente_heading_label, _("Recover your password"));
  else if (g_str_equal (name, "delete"))
    gtk_label_set_text (self->permanente_heading_label,
                        _("Delete your Cl@ve Permanente user"));
  else
    gtk_label_set_text (self->permanente_heading_label,
                        _("Activation code for Cl@ve Permanente"));
  show_error (self, NULL);
  update_buttons (self);
}

void
clave_permanente_page_reset (ClavePermanentePage *self)
{
  g_return_if_fail (CLAVE_IS_PERMANENTE_PAGE (self));

  clear_secrets (self);
  clave_contrast_form_reset (self->permanente_contrast_form,
                             clave_page_get_document_type (CLAVE_PAGE (self)));
  set_busy (self, NULL);
  show_step (self, "contrast");
  clave_contrast_form_focus_field (self->permanente_contrast_form);
}

void
clave_permanente_page_set_person (ClavePermanentePage *self,
                                  const char          *state,
                                  const char          *given_name,
                                  const char          *surnames)
{
  g_return_if_fail (CLAVE_IS_PERMANENTE_PAGE (self));

  g_free (self->state);
  self->state = g_strdup (state);
  g_free (self->given_name);
  self->given_name = g_strdup (given_name);
  g_free (self->surnames);
  self->surnames = g_strdup (surnames);
  clave_permanente_page_reset (self);
}

static char *
format_expiry (gint64 expires_at)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (expires_at);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%d/%m/%Y") : g_strdup ("");
}

static void
show_code (ClavePermanentePage *self)
{
  g_autofree char *date = format_expiry (self->code->expires_at);
  g_autofree char *text = NULL;

  gtk_label_set_text (self->permanente_code_label, self->code->code);
  /* Shown, not selected: copying is the person's choice. */
  gtk_label_select_region (self->permanente_code_label, 0, 0);
  /* Translators: %s is a date, 06/01/2027. */
  text = g_strdup_printf (_("Valid until %s. Keep it private: with the e-mail of your "
                            "registration it activates your Cl@ve Permanente."), date);
  gtk_label_set_text (self->permanente_expiry_label, text);
  gtk_stack_set_visible_child_name (self->permanente_stack, "code");
  gtk_widget_grab_focus (self->permanente_website_button);
}

/* Back to My data, saying @message. */
static void
finish (ClavePermanentePage *self,
        const char          *message)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  clear_secrets (self);
  if (window == NULL)
    return;
  clave_window_show_page_after (window, "my-data", "home");
  clave_window_add_toast (window, message);
}

static void
step_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ClavePermanentePage) self = user_data;
  ClaveServiceClient *client = CLAVE_SERVICE_CLIENT (source);
  g_autoptr(ClavePermanenteCode) code = NULL;
  g_autoptr(ClavePermanenteRecovery) recovery = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  ClaveWindow *window;
  Step step = self->step;
  guint attempts_left = 0;
  gboolean ok;

  switch (step)
    {
    case STEP_CODE:
      code = clave_service_client_new_permanente_code_finish (client, result, &error);
      ok = code != NULL;
      break;
    case STEP_CHANGE:
      ok = clave_service_client_change_permanente_password_finish (client, result,
                                                                   &attempts_left, &error);
      break;
    case STEP_RECOVER_START:
      recovery = clave_service_client_start_permanente_recovery_finish (client, result, &error);
      ok = recovery != NULL;
      break;
    case STEP_RECOVER_FINISH:
      ok = clave_service_client_finish_permanente_recovery_finish (client, result,
                                                                   &attempts_left, &error);
      break;
    case STEP_DELETE:
    default:
      ok = clave_service_client_delete_permanente_finish (client, result, &error);
      break;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, NULL);
  window = clave_page_get_window (CLAVE_PAGE (self));

  if (!ok)
    {
      if (window != NULL && clave_service_error_get_action (error)
                            == CLAVE_SERVICE_ERROR_ACTION_DEVICE_LOST)
        clave_window_device_lost (window, NULL);
      else if (g_error_matches (error, CLAVE_SERVICE_ERROR,
                                CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED))
        show_error (self, _("The data of your document are not correct. Check them and try "
                            "again."));
      else if (g_error_matches (error, CLAVE_SERVICE_ERROR,
                                CLAVE_SERVICE_ERROR_INVALID_PASSWORD) && attempts_left > 0)
        {
          message = g_strdup_printf (ngettext ("The current password is not correct. You can "
                                               "try %u more time.",
                                               "The current password is not correct. You can "
                                               "try %u more times.", attempts_left),
                                     attempts_left);
          show_error (self, message);
        }
      else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE) &&
               attempts_left > 0)
        {
          message = clave_page_wrong_code_message (attempts_left);
          show_error (self, message);
        }
      else
        show_error (self, error->message);
      return;
    }

  switch (step)
    {
    case STEP_CODE:
      g_clear_pointer (&self->code, clave_permanente_code_free);
      self->code = g_steal_pointer (&code);
      show_code (self);
      break;
    case STEP_RECOVER_START:
      g_clear_pointer (&self->recovery, clave_permanente_recovery_free);
      self->recovery = g_steal_pointer (&recovery);
      show_step (self, "recover");
      gtk_widget_grab_focus (GTK_WIDGET (self->permanente_code_row));
      break;
    case STEP_CHANGE:
      finish (self, _("Your Cl@ve Permanente password was changed"));
      break;
    case STEP_RECOVER_FINISH:
      finish (self, _("Your new Cl@ve Permanente password is set"));
      break;
    case STEP_DELETE:
    default:
      finish (self, _("Your Cl@ve Permanente user was deleted"));
      break;
    }
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClavePermanentePage) self = user_data;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveServiceClient *client = NULL;
  ClaveContrastForm *form = self->permanente_contrast_form;
  GCancellable *cancellable = clave_page_get_cancellable (CLAVE_PAGE (self));
  Step step = self->step;

  if (!clave_window_unlock_for_call_finish (CLAVE_WINDOW (source), result, &key, &client,
                                            &device_id, &error))
    {
      set_busy (self, NULL);
      show_error (self, error != NULL ? error->message : NULL);
      return;
    }

  if (step == STEP_CODE && clave_contrast_form_get_value (form) != NULL)
    clave_service_client_new_permanente_code_async (
      client, key, device_id, clave_contrast_kind_to_string (clave_contrast_form_get_kind (form)),
      clave_contrast_form_get_value (form), cancellable, step_done_cb, g_object_ref (self));
  else if (step == STEP_CHANGE)
    clave_service_client_change_permanente_password_async (
      client, key, device_id, gtk_editable_get_text (self->permanente_old_row),
      gtk_editable_get_text (self->permanente_new_row), cancellable, step_done_cb,
      g_object_ref (self));
  else if (step == STEP_RECOVER_START)
    clave_service_client_start_permanente_recovery_async (client, key, device_id, cancellable,
                                                          step_done_cb, g_object_ref (self));
  else if (step == STEP_RECOVER_FINISH && self->recovery != NULL)
    clave_service_client_finish_permanente_recovery_async (
      client, key, device_id, self->recovery, gtk_editable_get_text (self->permanente_code_row),
      gtk_editable_get_text (self->permanente_recover_new_row), cancellable, step_done_cb,
      g_object_ref (self));
  else if (step == STEP_DELETE)
    clave_service_client_delete_permanente_async (client, key, device_id, cancellable,
                                                  step_done_cb, g_object_ref (self));
  else
    set_busy (self, NULL);
}

/* Runs @step once the device key is unlocked; getting a code and
 * deleting the user always ask the PIN. */
static void
run_step (ClavePermanentePage *self,
          Step                 step,
          const char          *busy)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveUnlockPrompt code_prompt = {
    .title = _("Cl@ve Permanente"),
    .heading = _("Enter your device PIN to get an activation code"),
    .body = _("A new code replaces the one you had."),
    .button = _("_Continue"),
  };
  ClaveUnlockPrompt delete_prompt = {
    .title = _("Cl@ve Permanente"),
    .heading = _("Enter your device PIN to delete your Cl@ve Permanente user"),
    .body = _("You will not be able to log in with its password any more."),
    .button = _("_Delete User"),
  };
  gboolean always = step == STEP_CODE || step == STEP_DELETE;

  if (window == NULL || self->busy)
    return;
  show_error (self, NULL);
  self->step = step;
  set_busy (self, busy);
  clave_window_unlock_key_full_async (window, always,
                                      step == STEP_CODE ? &code_prompt
                                      : step == STEP_DELETE ? &delete_prompt : NULL,
                                      clave_page_get_cancellable (CLAVE_PAGE (self)),
                                      unlocked_cb, g_object_ref (self));
}

static void
on_contrast_changed (ClavePermanentePage *self)
{
  update_buttons (self);
}

static void
on_continue_clicked (ClavePermanentePage *self)
{
  if (clave_contrast_form_get_value (self->permanente_contrast_form) != NULL)
    run_step (self, STEP_CODE, _("Checking the data of your document…"));
}

static void
on_password_changed (ClavePermanentePage *self)
{
  update_buttons (self);
}

static void
on_change_row_activated (ClavePermanentePage *self)
{
  show_step (self, "change");
  gtk_widget_grab_focus (GTK_WIDGET (self->permanente_old_row));
}

static void
on_recover_row_activated (ClavePermanentePage *self)
{
  show_step (self, "recover");
  gtk_widget_grab_focus (self->permanente_send_button);
}

static void
on_delete_row_activated (ClavePermanentePage *self)
{
  show_step (self, "delete");
}

static void
on_change_clicked (ClavePermanentePage *self)
{
  if (gtk_widget_get_sensitive (self->permanente_change_button))
    run_step (self, STEP_CHANGE, _("Changing the password…"));
}

static void
on_send_clicked (ClavePermanentePage *self)
{
  run_step (self, STEP_RECOVER_START, _("Sending a code to your phone…"));
}

static void
on_recover_clicked (ClavePermanentePage *self)
{
  if (gtk_widget_get_sensitive (self->permanente_recover_button))
    run_step (self, STEP_RECOVER_FINISH, _("Setting the password…"));
}

static void
on_delete_clicked (ClavePermanentePage *self)
{
  run_step (self, STEP_DELETE, _("Deleting the user…"));
}

static char *
website_url (ClavePermanentePage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));

  return app != NULL ? clave_profile_dup_permanente_url (clave_application_get_profile (app))
                     : NULL;
}

static void
on_website_clicked (ClavePermanentePage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  g_autofree char *url = website_url (self);

  if (window != NULL && url != NULL)
    gtk_show_uri (GTK_WINDOW (window), url, GDK_CURRENT_TIME);
}

gboolean
clave_permanente_page_save_receipt (ClavePermanentePage  *self,
                                    GFile                *file,
                                    GError              **error)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%d/%m/%Y %H:%M");
  g_autofree char *number = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *expiry = NULL;
  g_autofree char *url = website_url (self);
  const char *fields[11];
  guint n = 0;

  g_return_val_if_fail (CLAVE_IS_PERMANENTE_PAGE (self), FALSE);
  g_return_val_if_fail (self->code != NULL, FALSE);

  if (app != NULL)
    number = clave_profile_dup_document_number (clave_application_get_profile (app));
  masked = clave_document_mask (number != NULL ? number : "");
  expiry = format_expiry (self->code->expires_at);

  fields[n++] = _("Date");
  fields[n++] = today;
  fields[n++] = _("Document");
  fields[n++] = masked;
  fields[n++] = _("Activation code");
  fields[n++] = self->code->code;
  fields[n++] = _("Valid until");
  fields[n++] = expiry;
  fields[n++] = _("Activate it at");
  fields[n++] = url != NULL ? url : "";
  fields[n] = NULL;
  return clave_receipt_write_pdf (file, _("Cl@ve Permanente — activation code"), fields,
                                  _("Keep this receipt private: with the e-mail of your "
                                    "registration, the code activates your Cl@ve Permanente. "
                                    "A new code replaces this one."),
                                  error);
}

static gboolean
write_receipt (ClavePage  *page,
               GFile      *file,
               GError    **error)
{
  ClavePermanentePage *self = CLAVE_PERMANENTE_PAGE (page);

  if (self->code == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The code is no longer shown: get a new one."));
      return FALSE;
    }
  return clave_permanente_page_save_receipt (self, file, error);
}

static void
receipt_failed (ClavePage  *page,
                const char *message)
{
  show_error (CLAVE_PERMANENTE_PAGE (page), message);
}

static void
on_receipt_clicked (ClavePermanentePage *self)
{
  if (self->code != NULL)
    /* Translators: the file name a receipt is offered under. */
    clave_receipt_save (CLAVE_PAGE (self), _("clave-permanente-code.pdf"), write_receipt,
                        receipt_failed);
}

static void
clave_permanente_page_hidden (ClavePage *page)
{
  ClavePermanentePage *self = CLAVE_PERMANENTE_PAGE (page);

  /* The code and the passwords go with the page; a file chooser too. */
  clave_receipt_cancel (page);
  clave_permanente_page_reset (self);
}

static void
clave_permanente_page_dispose (GObject *object)
{
  ClavePermanentePage *self = CLAVE_PERMANENTE_PAGE (object);

  clave_receipt_cancel (CLAVE_PAGE (self));
  g_clear_pointer (&self->code, clave_permanente_code_free);
  g_clear_pointer (&self->recovery, clave_permanente_recovery_free);
  g_clear_pointer (&self->state, g_free);
  g_clear_pointer (&self->given_name, g_free);
  g_clear_pointer (&self->surnames, g_free);
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_PERMANENTE_PAGE);

  G_OBJECT_CLASS (clave_permanente_page_parent_class)->dispose (object);
}

static void
clave_permanente_page_class_init (ClavePermanentePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_permanente_page_dispose;
  page_class->hidden = clave_permanente_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-permanente-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, ClavePermanentePage, name)
  BIND (permanente_heading_label);
  BIND (permanente_stack);
  BIND (permanente_contrast_form);
  BIND (permanente_continue_button);
  BIND (permanente_code_label);
  BIND (permanente_expiry_label);
  BIND (permanente_website_button);
  BIND (permanente_receipt_button);
  BIND (permanente_forgot_button);
  BIND (permanente_password_group);
  BIND (permanente_change_row);
  BIND (permanente_old_row);
  BIND (permanente_new_row);
  BIND (permanente_repeat_row);
  BIND (permanente_rules_label);
  BIND (permanente_change_button);
  BIND (permanente_send_button);
  BIND (permanente_recover_group);
  BIND (permanente_code_row);
  BIND (permanente_recover_new_row);
  BIND (permanente_recover_repeat_row);
  BIND (permanente_recover_rules_label);
  BIND (permanente_recover_button);
  BIND (permanente_busy_box);
  BIND (permanente_spinner);
  BIND (permanente_busy_label);
  BIND (permanente_error_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_contrast_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_password_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_change_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_recover_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_delete_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_change_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_send_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_recover_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_delete_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_website_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_receipt_clicked);
}

static void
clave_permanente_page_init (ClavePermanentePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
