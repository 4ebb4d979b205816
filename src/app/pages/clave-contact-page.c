/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-contact-page"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-contact-page.h"
#include "clave-window.h"

#define DEFAULT_COUNTRY_CODE "+34"

struct _ClaveContactPage
{
  ClavePage    parent_instance;

  /* Template widgets */
  GtkLabel    *contact_holder_label;
  GtkEditable *contact_phone_row;
  GtkLabel    *contact_phone_hint;
  GtkEditable *contact_email_row;
  GtkLabel    *contact_email_error;
  GtkLabel    *contact_error_label;
  GtkWidget   *contact_registered_box;
  GtkWidget   *contact_continue_button;
  GtkWidget   *contact_spinner;
  GtkWidget   *contact_level_label;

  char        *phone;               /* normalized, NULL while not valid */
  char        *phone_problem;       /* what the service said of the phone typed */
  char        *email_problem;
  char        *certificate_id;      /* whose fields these are */
  gboolean     phone_touched;
  gboolean     email_touched;
  gboolean     resubmit;            /* Continue waits for a new proof */
  gboolean     busy;
};

G_DEFINE_FINAL_TYPE (ClaveContactPage, clave_contact_page, CLAVE_TYPE_PAGE)

char *
clave_contact_page_normalize_phone (const char *text)
{
  g_autoptr(GString) phone = g_string_new (NULL);
  gboolean plus = FALSE;
  gsize digits;

  g_return_val_if_fail (text != NULL, NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (phone, *p);
      else if (*p == '+' && phone->len == 0 && !plus)
        plus = TRUE;
      else if (*p == ' ' || *p == '-' || *p == '.' || *p == '(' || *p == ')')
        continue;
      else
        return NULL;
    }

  if (!plus && g_str_has_prefix (phone->str, "00"))
    {
      g_string_erase (phone, 0, 2);
      plus = TRUE;
    }

  if (plus)
    g_string_prepend_c (phone, '+');
  else
    g_string_prepend (phone, DEFAULT_COUNTRY_CODE);

  /* E.164: a country code never starts with 0; 8 to 15 digits in all. */
  digits = phone->len - 1;
  if (digits < 8 || digits > 15 || phone->str[1] == '0')
    return NULL;

  return g_string_free (g_steal_pointer (&phone), FALSE);
}

gboolean
clave_contact_page_email_is_valid (const char *text)
{
  const char *at;
  const char *domain;
  const char *dot;

  if (text == NULL || strlen (text) > 254)
    return FALSE;

  at = strchr (text, '@');
  if (at == NULL || at == text || strchr (at + 1, '@') != NULL)
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p) || *p == ',' || *p == ';'
        || *p == '<' || *p == '>' || *p == '"')
      return FALSE;

  domain = at + 1;
  dot = strrchr (domain, '.');
  if (dot == NULL || dot == domain || dot[1] == '\0' || *domain == '.'
      || strstr (domain, "..") != NULL || text[strlen (text) - 1] == '.')
    return FALSE;

  return TRUE;
}

static void
set_label (GtkLabel   *label,
           const char *message,
           gboolean    is_error)
{
  gtk_label_set_text (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
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

static gsize
count_digits (const char *text)
{
  gsize n = 0;

  for (; *text != '\0'; text++)
    if (g_ascii_isdigit (*text))
      n++;

  return n;
}

static gboolean
validate (ClaveContactPage *self)
{
  const char *phone_text = gtk_editable_get_text (self->contact_phone_row);
  const char *email_text = gtk_editable_get_text (self->contact_email_row);
  g_autofree char *email = g_strstrip (g_strdup (email_text));
  g_autofree char *hint = NULL;
  gboolean email_ok = clave_contact_page_email_is_valid (email);
  gboolean bad_character = FALSE;

  g_clear_pointer (&self->phone, g_free);
  self->phone = clave_contact_page_normalize_phone (phone_text);

  for (const char *p = phone_text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && strchr ("+ -.()", *p) == NULL)
      bad_character = TRUE;

  if (self->phone_problem != NULL)
    set_label (self->contact_phone_hint, self->phone_problem, TRUE);
  else if (self->phone != NULL)
    {
      /* Translators: %s is a phone number such as +34600123456. */
      hint = g_strdup_printf (_("The code goes to %s."), self->phone);
      set_label (self->contact_phone_hint, hint, FALSE);
    }
  else if (bad_character || count_digits (phone_text) > 15
           || (self->phone_touched && count_digits (phone_text) > 2))
    set_label (self->contact_phone_hint,
               _("Type + and the country code, then the number: 8 to 15 digits in all, such as "
                 "+34 600 123 456."), TRUE);
  else
    set_label (self->contact_phone_hint,
               _("Such as +34 600 123 456. A number without a country code is taken as Spanish."),
               FALSE);

  if (self->email_problem != NULL)
    set_label (self->contact_email_error, self->email_problem, TRUE);
  else if (!email_ok && *email != '\0' && self->email_touched)
    set_label (self->contact_email_error, _("Type an e-mail address such as name@example.org."),
               TRUE);
  else
    set_label (self->contact_email_error, NULL, TRUE);

  gtk_widget_set_sensitive (self->contact_continue_button,
                            !self->busy && self->phone != NULL && email_ok);

  return self->phone != NULL && email_ok;
}

static void
set_busy (ClaveContactPage *self,
          gboolean          busy)
{
  gboolean was_busy = self->busy;

  self->busy = busy;
  if (busy && !was_busy)
    clave_page_park_focus (CLAVE_PAGE (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->contact_phone_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->contact_email_row), !busy);
  gtk_widget_set_visible (self->contact_spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->contact_spinner), busy);
  validate (self);
  if (!busy && was_busy)
    clave_page_restore_focus (CLAVE_PAGE (self));
}

static void
set_error (ClaveContactPage *self,
           const char       *message)
{
  gtk_label_set_text (self->contact_error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->contact_error_label), message != NULL);
}

/* Already registered: logging in is the way on, not this form. */
static void
show_registered (ClaveContactPage *self,
                 gboolean          registered)
{
  gtk_widget_set_visible (self->contact_registered_box, registered);
  gtk_widget_set_visible (self->contact_continue_button, !registered);
  gtk_widget_set_visible (self->contact_level_label, !registered);
}

static void submit (ClaveContactPage *self);

static void
retry_submit (gpointer user_data)
{
  submit (CLAVE_CONTACT_PAGE (user_data));
}

static void
register_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ClaveContactPage) self = user_data;
  g_autoptr(ClaveRegistration) registration = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;
  ClaveFlow *flow;

  registration = clave_service_client_register_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  window = clave_page_get_window (CLAVE_PAGE (self));
  if (window == NULL)
    return;
  flow = clave_window_get_flow (window);

  if (registration != NULL)
    {
      clave_flow_begin_registration (flow, registration);
      /* The proof is spent: Back cannot lead to this form again. */
      clave_window_show_page_after (window, "sms-code", "home");
      return;
    }

  if (clave_service_error_is_transient (error))
    {
      /* Perhaps never seen by the service: the same proof may do. */
      clave_window_show_error (window, error, retry_submit, g_object_ref (self), g_object_unref);
      return;
    }

  /* Any other answer means the service has used the challenge up. */
  clave_flow_clear_registration_proof (flow);

  if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CHALLENGE_EXPIRED))
    /* Too long on this form: a new signature, and the form goes again. */
    submit (self);
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ALREADY_REGISTERED))
    show_registered (self, TRUE);
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PHONE_IN_USE)
           || g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_PHONE))
    {
      g_free (self->phone_problem);
      self->phone_problem = g_strdup (error->message);
      validate (self);
      gtk_widget_grab_focus (GTK_WIDGET (self->contact_phone_row));
    }
  else if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_EMAIL))
    {
      g_free (self->email_problem);
      self->email_problem = g_strdup (error->message);
      validate (self);
      gtk_widget_grab_focus (GTK_WIDGET (self->contact_email_row));
    }
  else
    set_error (self, error->message);
}

static void
submit (ClaveContactPage *self)
{
  ClaveApplication *app = clave_page_get_application (CLAVE_PAGE (self));
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;
  const ClaveCertificateProof *proof;
  ClaveServiceClient *client;
  g_autoptr(GError) error = NULL;
  g_autofree char *email = NULL;

  if (app == NULL || self->busy || !validate (self))
    return;

  set_error (self, NULL);
  show_registered (self, FALSE);

  proof = clave_flow_get_registration_proof (flow);
  if (proof == NULL)
    {
      /* Sign a new challenge with the same certificate first; the form
       * is sent as soon as the proof is back. */
      self->resubmit = TRUE;
      clave_window_go_back (window);
      clave_window_add_toast (window, _("Choose your certificate again: Cl@ve needs a new "
                                        "signature with it."));
      return;
    }

  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      clave_window_show_error (window, error, retry_submit, g_object_ref (self), g_object_unref);
      return;
    }

  email = g_strstrip (g_strdup (gtk_editable_get_text (self->contact_email_row)));
  set_busy (self, TRUE);
  clave_service_client_register_async (client, proof, self->phone, email,
                                       clave_page_get_cancellable (CLAVE_PAGE (self)),
                                       register_cb, g_object_ref (self));
}

static void
on_continue_clicked (ClaveContactPage *self)
{
  submit (self);
}

static void
on_field_changed (ClaveContactPage *self,
                  GtkEditable      *editable)
{
  /* What the service said was about the previous input. */
  if (editable == self->contact_phone_row)
    g_clear_pointer (&self->phone_problem, g_free);
  else
    g_clear_pointer (&self->email_problem, g_free);
  set_error (self, NULL);
  show_registered (self, FALSE);
  validate (self);
}

static void
on_phone_focus_leave (ClaveContactPage *self)
{
  if (count_digits (gtk_editable_get_text (self->contact_phone_row)) <= 2)
    return;

  self->phone_touched = TRUE;
  validate (self);
}

static void
on_email_focus_leave (ClaveContactPage *self)
{
  if (*gtk_editable_get_text (self->contact_email_row) == '\0')
    return;

  self->email_touched = TRUE;
  validate (self);
}

static void
on_phone_activated (ClaveContactPage *self)
{
  self->phone_touched = TRUE;
  if (validate (self))
    submit (self);
  else if (self->phone != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->contact_email_row));
}

static void
on_email_activated (ClaveContactPage *self)
{
  self->email_touched = TRUE;
  if (validate (self))
    submit (self);
}

static void
on_login_clicked (ClaveContactPage *self)
{
  ClaveWindow *window = clave_page_get_window (CLAVE_PAGE (self));

  if (window != NULL)
    clave_window_restart_login (window, NULL);
}

static void
clave_contact_page_shown (ClavePage *page)
{
  ClaveContactPage *self = CLAVE_CONTACT_PAGE (page);
  ClaveWindow *window = clave_page_get_window (page);
  ClaveFlow *flow = window != NULL ? clave_window_get_flow (window) : NULL;
  ClaveCertificate *certificate = window != NULL
                                  ? clave_flow_get_registration_certificate (flow) : NULL;
  const char *id = certificate != NULL ? clave_certificate_get_id (certificate) : NULL;

  set_busy (self, FALSE);
  set_error (self, NULL);
  show_registered (self, FALSE);

  /* Somebody else's certificate: a new form. */
  if (g_strcmp0 (id, self->certificate_id) != 0)
    {
      g_free (self->certificate_id);
      self->certificate_id = g_strdup (id);
      self->resubmit = FALSE;
      self->phone_touched = FALSE;
      self->email_touched = FALSE;
      g_clear_pointer (&self->phone_problem, g_free);
      g_clear_pointer (&self->email_problem, g_free);
      gtk_editable_set_text (self->contact_phone_row, DEFAULT_COUNTRY_CODE " ");
      gtk_editable_set_text (self->contact_email_row, "");
    }

  if (certificate != NULL)
    {
      const char *document = clave_certificate_get_document_number (certificate);
      g_autofree char *holder = NULL;

      /* Translators: the holder's name and document number, as read from
       * the certificate: MARTA VIDAL SOLER · 87654321X. */
      holder = g_strdup_printf (_("%s · %s"), clave_certificate_get_holder_name (certificate),
                                document != NULL ? document : "");
      gtk_label_set_text (self->contact_holder_label, holder);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->contact_holder_label), certificate != NULL);

  validate (self);

  if (self->resubmit && window != NULL && clave_flow_get_registration_proof (flow) != NULL)
    {
      self->resubmit = FALSE;
      submit (self);
      return;
    }

  gtk_widget_grab_focus (GTK_WIDGET (self->contact_phone_row));
  gtk_editable_set_position (self->contact_phone_row, -1);
}

static void
clave_contact_page_hidden (ClavePage *page)
{
  set_busy (CLAVE_CONTACT_PAGE (page), FALSE);
}

static void
clave_contact_page_dispose (GObject *object)
{
  clave_page_dispose_template (CLAVE_PAGE (object), CLAVE_TYPE_CONTACT_PAGE);

  G_OBJECT_CLASS (clave_contact_page_parent_class)->dispose (object);
}

static void
clave_contact_page_finalize (GObject *object)
{
  ClaveContactPage *self = CLAVE_CONTACT_PAGE (object);

  g_free (self->phone);
  g_free (self->phone_problem);
  g_free (self->email_problem);
  g_free (self->certificate_id);

  G_OBJECT_CLASS (clave_contact_page_parent_class)->finalize (object);
}

static void
clave_contact_page_class_init (ClaveContactPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  ClavePageClass *page_class = CLAVE_PAGE_CLASS (klass);

  object_class->dispose = clave_contact_page_dispose;
  object_class->finalize = clave_contact_page_finalize;
  page_class->shown = clave_contact_page_shown;
  page_class->hidden = clave_contact_page_hidden;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/pages/clave-contact-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_holder_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_phone_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_phone_hint);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_email_row);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_email_error);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_error_label);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_registered_box);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_continue_button);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_spinner);
  gtk_widget_class_bind_template_child (widget_class, ClaveContactPage, contact_level_label);
  gtk_widget_class_bind_template_callback (widget_class, on_continue_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_field_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_phone_focus_leave);
  gtk_widget_class_bind_template_callback (widget_class, on_email_focus_leave);
  gtk_widget_class_bind_template_callback (widget_class, on_phone_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_email_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_login_clicked);
}

static void
clave_contact_page_init (ClaveContactPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
