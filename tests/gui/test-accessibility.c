/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 9, "Keyboard and screen readers": drives the window through the
 * pages a person meets and walks the accessible tree of each, failing on
 * an actionable control a screen reader would announce without a name.
 *
 * Runs with GTK_A11Y=test (set in main()): with GTK_A11Y=none,
 * as the other GUI tests run, widgets have no accessible context at all
 * and GTK's testing API (gtktestatcontext.h) has nothing to read.
 *
 * What counts as named is what GTK 4.8 tells an AT-SPI screen reader,
 * gtk_at_context_get_name() in gtk/gtkatcontext.c: the widget's LABEL
 * property, then the LABEL property of each widget in its LABELLED_BY
 * relation (one level, not their own relations), joined by spaces. A
 * widget with neither gets its GType name ("GtkButton"): that is no name.
 * Tooltips are the DESCRIPTION, not the name. So a GtkButton with only
 * an icon and a tooltip is unnamed (it is labelled by its GtkImage, which
 * has no label), and a GtkButton with label="_Log In" and use-underline
 * is named "_Log In Log In" (its raw label as LABEL, its child label as
 * LABELLED_BY): both fail here.
 *
 * Actionable: the accessible roles a person operates (button, check box,
 * combo box, link, menu item, radio, search box, slider, spin button,
 * switch, tab, text box) and list items that take the keyboard focus
 * (rows a person moves through and hears). A toggle button must also say
 * whether it is pressed, and a name must not carry the mnemonic
 * underscore nor say the same words twice. Widgets with role "none" or
 * "presentation", such as the GtkText inside an entry, are not shown to
 * screen readers: their entry is, and is checked instead. Only mapped
 * widgets are walked (what is on screen); the popover menus made from
 * GMenu models are skipped, as GTK names their items from the menu
 * labels.
 *
 * The pages: home (welcome and activated), login (DNI and NIE),
 * not-registered, activate-method, certificate (empty, with a file, its
 * PIN dialog), contact, sms-code, set-pin, done, my-data, a request (its
 * PIN dialog, confirmed), My requests (its PIN dialog, the list with a
 * row, the filters), diagnostics, the preferences, the deactivation
 * dialog. Not walked: the outcomes "rejected" and "expired" of a request
 * (the same status page and button as "confirmed"), the error states of
 * pages, a card in a reader.
 *
 * Each failure names the page, the widget's type and id (or the nearest
 * ancestor's) and what is wrong; all of a run are listed together. */
#define G_LOG_DOMAIN "test-accessibility"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clave-certificate-page.h"
#include "clave-gui-test.h"
#include "clave-my-requests-page.h"
#include "clave-preferences-window.h"
#include "clave-unlock-dialog.h"
#include "gui-cards.h"

#define PIN GUI_DEVICE_PIN

typedef struct
{
  GString    *failures;
  const char *page;
  GHashTable *widgets;  /* every widget of every toplevel, for relations */
  guint       n_checked;
} Walk;

static gboolean
is_actionable_role (GtkAccessibleRole role)
{
  switch ((int) role)
    {
    case GTK_ACCESSIBLE_ROLE_BUTTON:
    case GTK_ACCESSIBLE_ROLE_CHECKBOX:
    case GTK_ACCESSIBLE_ROLE_COMBO_BOX:
    case GTK_ACCESSIBLE_ROLE_LINK:
    case GTK_ACCESSIBLE_ROLE_MENU_ITEM:
    case GTK_ACCESSIBLE_ROLE_MENU_ITEM_CHECKBOX:
    case GTK_ACCESSIBLE_ROLE_MENU_ITEM_RADIO:
    case GTK_ACCESSIBLE_ROLE_RADIO:
    case GTK_ACCESSIBLE_ROLE_SEARCH_BOX:
    case GTK_ACCESSIBLE_ROLE_SLIDER:
    case GTK_ACCESSIBLE_ROLE_SPIN_BUTTON:
    case GTK_ACCESSIBLE_ROLE_SWITCH:
    case GTK_ACCESSIBLE_ROLE_TAB:
    case GTK_ACCESSIBLE_ROLE_TEXT_BOX:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The LABEL property, or NULL. gtk_test_accessible_check_property()
 * answers the value it found when it is not the one expected. */
static char *
accessible_label (GtkAccessible *accessible)
{
  if (!gtk_test_accessible_has_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL))
    return NULL;

  return gtk_test_accessible_check_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL,
                                             "\001 not a label");
}

/* The widgets of the LABELLED_BY relation. The testing API prints a
 * reference list as "GtkLabel<0x…>" items; each address is only looked
 * up among the widgets of the toplevels, never followed. */
static GPtrArray *
labelled_by (Walk          *walk,
             GtkAccessible *accessible)
{
  GPtrArray *targets = g_ptr_array_new ();
  g_autofree char *text = NULL;
  const char *p;

  if (!gtk_test_accessible_has_relation (accessible, GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    return targets;

  text = gtk_test_accessible_check_relation (accessible, GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                             NULL);
  for (p = text != NULL ? strchr (text, '<') : NULL; p != NULL; p = strchr (p + 1, '<'))
    {
      gpointer address = NULL;

      if (sscanf (p + 1, "%p", &address) == 1 && g_hash_table_contains (walk->widgets, address))
        g_ptr_array_add (targets, address);
    }

  return targets;
}

/* The parts of the name, as gtk_at_context_get_name() joins them. */
static GPtrArray *
name_parts (Walk          *walk,
            GtkAccessible *accessible)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) targets = labelled_by (walk, accessible);
  char *label = accessible_label (accessible);

  if (label != NULL)
    g_ptr_array_add (parts, label);

  for (guint i = 0; i < targets->len; i++)
    {
      label = accessible_label (g_ptr_array_index (targets, i));
      if (label != NULL)
        g_ptr_array_add (parts, label);
    }

  return parts;
}

static char *
strip_underscores (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (*p != '_')
      g_string_append_c (out, *p);

  return g_string_free (out, FALSE);
}

static gboolean
is_hidden (GtkAccessible *accessible)
{
  g_autofree char *value = NULL;

  if (!gtk_test_accessible_has_state (accessible, GTK_ACCESSIBLE_STATE_HIDDEN))
    return FALSE;
  value = gtk_test_accessible_check_state (accessible, GTK_ACCESSIBLE_STATE_HIDDEN, TRUE);
  return value == NULL;
}

/* The id of @widget from its .ui file (or its page name), or NULL. */
static const char *
widget_id (GtkWidget *widget)
{
  const char *id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget));

  /* GtkBuilder's own names for objects without an id. */
  if (id != NULL && g_str_has_prefix (id, "___object_"))
    id = NULL;
  if (id == NULL && CLAVE_IS_PAGE (widget))
    id = gtk_widget_get_name (widget);

  return id;
}

/* "GtkButton “back_button”", with the nearest ancestor that has an id:
 * the widget may be a part of a GTK or libadwaita widget. */
static void
describe (GString   *out,
          GtkWidget *widget)
{
  GtkWidget *ancestor;

  g_string_append (out, G_OBJECT_TYPE_NAME (widget));
  if (widget_id (widget) != NULL)
    g_string_append_printf (out, " “%s”", widget_id (widget));

  for (ancestor = gtk_widget_get_parent (widget); ancestor != NULL;
       ancestor = gtk_widget_get_parent (ancestor))
    if (widget_id (ancestor) != NULL)
      {
        g_string_append_printf (out, " (inside %s “%s”)", G_OBJECT_TYPE_NAME (ancestor),
                                widget_id (ancestor));
        break;
      }
}

static void
fail (Walk       *walk,
      GtkWidget  *widget,
      const char *format,
      ...) G_GNUC_PRINTF (3, 4);

static void
fail (Walk       *walk,
      GtkWidget  *widget,
      const char *format,
      ...)
{
  va_list args;

  g_string_append_printf (walk->failures, "\n  on the page “%s”: ", walk->page);
  describe (walk->failures, widget);
  g_string_append (walk->failures, ": ");
  va_start (args, format);
  g_string_append_vprintf (walk->failures, format, args);
  va_end (args);
}

/* Focusable, and inside no widget that keeps the focus from its children
 * (such as the list that shows the current choice of an AdwComboRow). */
static gboolean
takes_focus (GtkWidget *widget)
{
  if (!gtk_widget_get_focusable (widget))
    return FALSE;

  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (!gtk_widget_get_can_focus (widget))
      return FALSE;

  return TRUE;
}

static void
check_widget (Walk      *walk,
              GtkWidget *widget)
{
  GtkAccessible *accessible = GTK_ACCESSIBLE (widget);
  GtkAccessibleRole role = gtk_accessible_get_accessible_role (accessible);
  g_autoptr(GPtrArray) parts = NULL;
  g_autofree char *name = NULL;
  gboolean use_underline = FALSE;

  if (is_hidden (accessible))
    return;
  if (!is_actionable_role (role) &&
      !((role == GTK_ACCESSIBLE_ROLE_LIST_ITEM || role == GTK_ACCESSIBLE_ROLE_ROW) &&
        takes_focus (widget)))
    return;

  walk->n_checked++;
  parts = name_parts (walk, accessible);
  g_ptr_array_add (parts, NULL);
  name = g_strjoinv (" ", (char **) parts->pdata);
  g_ptr_array_remove_index (parts, parts->len - 1);

  if (*g_strstrip (name) == '\0')
    {
      fail (walk, widget, "no accessible name (a screen reader says “%s”)",
            G_OBJECT_TYPE_NAME (widget));
      return;
    }

  /* The same words twice, once with the mnemonic ("_Log In Log In"). */
  for (guint i = 0; i < parts->len; i++)
    for (guint j = i + 1; j < parts->len; j++)
      {
        g_autofree char *a = strip_underscores (g_ptr_array_index (parts, i));
        g_autofree char *b = strip_underscores (g_ptr_array_index (parts, j));

        if (g_strcmp0 (a, b) == 0)
          {
            fail (walk, widget, "the name says it twice: “%s”", name);
            return;
          }
      }

  /* A toggle says whether it is on. */
  if (GTK_IS_TOGGLE_BUTTON (widget) &&
      !gtk_test_accessible_has_state (accessible, GTK_ACCESSIBLE_STATE_PRESSED))
    fail (walk, widget, "a toggle button without a pressed state");

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (widget), "use-underline") != NULL)
    g_object_get (widget, "use-underline", &use_underline, NULL);
  if (use_underline && strchr (name, '_') != NULL)
    fail (walk, widget, "the mnemonic underscore is in the name: “%s”", name);
}

static void
collect (GHashTable *widgets,
         GtkWidget  *widget)
{
  g_hash_table_add (widgets, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (widgets, child);
}

static void
walk_widget (Walk      *walk,
             GtkWidget *widget)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  /* Menus from a GMenu model: GTK names their items from the labels. */
  if (GTK_IS_POPOVER_MENU (widget))
    return;

  check_widget (walk, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    walk_widget (walk, child);
}

static gboolean
transition_running (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_widget_get_mapped (widget) &&
      gtk_stack_get_transition_running (GTK_STACK (widget)))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (transition_running (child))
      return TRUE;

  return FALSE;
}

static gboolean
toplevels_settled (void)
{
  g_autoptr(GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (transition_running (window))
        return FALSE;
    }

  return TRUE;
}

/* Walks every toplevel on screen: the window and any dialog over it. */
static void
walk_page (GString    *failures,
           const char *page)
{
  g_autoptr(GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());
  g_autoptr(GHashTable) widgets = g_hash_table_new (NULL, NULL);
  Walk walk = { failures, page, widgets, 0 };

  /* Let the page slide in and its work settle: the page it leaves is
   * mapped until then. */
  gui_settle (300);
  gui_wait_until (toplevels_settled ());

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      collect (widgets, window);
    }
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      walk_widget (&walk, window);
    }

  g_test_message ("%s: %u actionable widgets", page, walk.n_checked);
  g_assert_cmpuint (walk.n_checked, >, 0);
}

static void
report (GString *failures)
{
  if (failures->len > 0)
    g_test_fail_printf ("Unnamed or badly named controls:%s", failures->str);
}

/* The keyboard focus is on @id, a visible widget of the window, where a
 * person can act at once (issue 9: nothing visible had it on the
 * activation-method page and after confirming a request). */
static void
check_focus_on (GString    *failures,
                GuiFixture *fixture,
                const char *id)
{
  GtkWidget *expected = gui_find (GTK_WIDGET (fixture->window), id);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (fixture->window));

  if (focus != NULL && (focus == expected || gtk_widget_is_ancestor (focus, expected)) &&
      gtk_widget_get_mapped (focus))
    return;

  g_string_append_printf (failures, "\n  on the page “%s”: the focus is on ", gui_page (fixture));
  if (focus != NULL)
    describe (failures, focus);
  else
    g_string_append (failures, "nothing");
  g_string_append_printf (failures, ", not on “%s”", id);
}

/* The first-run pages, up to a computer activated. */
static void
run_activation_pages (GuiFixture *fixture)
{
  g_autoptr(GString) failures = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  walk_page (failures, "home (welcome)");

  gui_activate (fixture, "home_login_button");
  gui_wait_for_page (fixture, "login");
  walk_page (failures, "login");
  gui_type (fixture, "login_document_row", "X1234567L");
  walk_page (failures, "login (NIE)");

  gui_type (fixture, "login_document_row", "87654321X");
  gui_type (fixture, "login_date_row", "30/11/2029");
  gui_activate (fixture, "login_continue_button");
  gui_wait_for_page (fixture, "not-registered");
  walk_page (failures, "not-registered");
  gui_activate (fixture, "not_registered_video_row");
  gui_wait_for_page (fixture, "video-register");
  gui_type (fixture, "video_document_row", "87654321X");
  gui_wait_until (gui_visible (fixture, "video_contrast_form"));
  walk_page (failures, "video-register");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_back_button");
  gui_wait_for_page (fixture, "login");

  gui_type (fixture, "login_document_row", "12345678Z");
  gui_type (fixture, "login_date_row", "04/05/2031");
  gui_activate (fixture, "login_continue_button");
  gui_wait_for_page (fixture, "activate-method");
  walk_page (failures, "activate-method");
  check_focus_on (failures, fixture, "method_sms_row");

  gui_activate (fixture, "method_certificate_row");
  gui_wait_for_page (fixture, "certificate");
  walk_page (failures, "certificate");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "activate-method");

  gui_activate (fixture, "method_sms_row");
  gui_wait_for_page (fixture, "sms-code");
  walk_page (failures, "sms-code");
  code = clave_test_server_last_sms_code (fixture->server, "+34600111789", &error);
  g_assert_no_error (error);
  gui_type (fixture, "sms_code_entry", code);
  /* The last digit may have submitted the code already. */
  if (gui_sensitive (fixture, "sms_verify_button"))
    gui_activate (fixture, "sms_verify_button");
  gui_wait_for_page (fixture, "set-pin");
  walk_page (failures, "set-pin");
  gui_type (fixture, "pin_row", PIN);
  gui_type (fixture, "pin_repeat_row", PIN);
  gui_activate (fixture, "pin_activate_button");
  gui_wait_for_page (fixture, "done");
  walk_page (failures, "done");

  report (failures);
}

static void
test_activation_pages (void)
{
  gui_run (TRUE, run_activation_pages);
}

/* A relying party's request through the service, as test-mobile makes
 * them: returns its verification code. */
static char *
post_qr_request (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"type\":\"qr\"}", strlen ("{\"type\":\"qr\"}"));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GFile) link = NULL;
  g_autofree char *out = NULL;
  g_autofree char *api_key = NULL;
  g_autofree char *url = NULL;
  g_autofree char *authorization = NULL;
  g_auto(GStrv) lines = NULL;
  JsonObject *object;

  out = clave_test_server_admin (fixture->server, &error, "add-rp", "--name", "Agencia Tributaria",
                                 "--origin", "https://sede.agenciatributaria.gob.es", NULL);
  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "api_key: "))
      api_key = g_strstrip (g_strdup (lines[i] + strlen ("api_key: ")));
  g_assert_nonnull (api_key);

  database = g_tls_file_database_new (clave_test_server_get_ca_file (fixture->server), &error);
  g_assert_no_error (error);
  session = soup_session_new_with_options ("tls-database", database, "timeout", 30, NULL);
  url = g_strconcat (clave_test_server_get_base_url (fixture->server), "/v1/rp/requests", NULL);
  authorization = g_strconcat ("Bearer ", api_key, NULL);
  message = soup_message_new ("POST", url);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                authorization);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  answer = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 201);
  json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                              (gssize) g_bytes_get_size (answer), &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));

  /* The website's "open in Clave Desktop" link. */
  link = g_file_new_for_uri (json_object_get_string_member (object, "uri"));
  g_application_open (G_APPLICATION (fixture->app), &link, 1, "");

  return g_strdup (json_object_get_string_member (object, "verification_code"));
}

static gboolean
pressed (GtkWidget *widget)
{
  g_autofree char *value = gtk_test_accessible_check_state (GTK_ACCESSIBLE (widget),
                                                            GTK_ACCESSIBLE_STATE_PRESSED,
                                                            GTK_ACCESSIBLE_TRISTATE_TRUE);

  g_assert_true (gtk_test_accessible_has_state (GTK_ACCESSIBLE (widget),
                                                GTK_ACCESSIBLE_STATE_PRESSED));
  return value == NULL;
}

/* The pages of an activated computer. */
static void
run_device_pages (GuiFixture *fixture)
{
  g_autoptr(GString) failures = g_string_new (NULL);
  g_autofree char *device_id = NULL;
  g_autofree char *code = NULL;
  ClaveMyRequestsPage *history;
  GtkWidget *show_button;
  GtkWidget *dropdown;
  GtkWidget *dialog;

  device_id = gui_activate_demo_device (fixture, PIN);
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  gui_wait_until (clave_application_get_push_state (fixture->app) == CLAVE_PUSH_STATE_ONLINE);
  walk_page (failures, "home (activated)");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.my-data", NULL));
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (g_strcmp0 (gtk_stack_get_visible_child_name (
                               GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "my_data_stack"))),
                             "data") == 0);
  walk_page (failures, "my-data");
  /* Show/hide says whether the number is shown. */
  show_button = gui_find (GTK_WIDGET (fixture->window), "my_data_show_button");
  g_assert_false (pressed (show_button));
  gui_activate (fixture, "my_data_show_button");
  g_assert_true (pressed (show_button));
  gui_activate (fixture, "my_data_show_button");
  g_assert_false (pressed (show_button));
  gui_activate (fixture, "my_data_give_up_row");
  gui_wait_for_page (fixture, "give-up");
  walk_page (failures, "give-up");
  gui_activate (fixture, "give_up_cancel_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
  /* At level basic, My data offers to raise it. */
  {
    g_autoptr(GError) admin_error = NULL;
    g_autofree char *admin_out = clave_test_server_admin (fixture->server, &admin_error,
                                                          "register",
                                                          "--document", "12345678Z",
                                                          "--given-name", "Lucía",
                                                          "--surnames", "García Pérez",
                                                          "--validity-date", "2031-05-04",
                                                          "--phone", "+34600111789",
                                                          "--email", "lucia@example.org",
                                                          "--level", "basic", NULL);

    g_assert_no_error (admin_error);
  }
  gui_activate (fixture, "home_my_data_row");
  gui_wait_for_page (fixture, "my-data");
  gui_wait_until (gui_visible (fixture, "my_data_raise_button"));
  walk_page (failures, "my-data (basic)");
  gui_activate (fixture, "my_data_raise_button");
  gui_wait_for_page (fixture, "raise-level");
  walk_page (failures, "raise-level");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_change_phone_button");
  gui_wait_for_page (fixture, "change-phone");
  walk_page (failures, "change-phone");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_change_email_button");
  gui_wait_for_page (fixture, "change-email");
  walk_page (failures, "change-email");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_permanente_row");
  gui_wait_for_page (fixture, "permanente");
  walk_page (failures, "permanente");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "my_data_firma_row");
  gui_wait_for_page (fixture, "firma");
  gui_wait_until (gui_visible (fixture, "firma_none_label"));
  walk_page (failures, "firma");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "my-data");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");

  /* A request: the page, the PIN dialog over it, the outcome. */
  code = post_qr_request (fixture);
  gui_wait_for_page (fixture, "request");
  gui_wait_until (g_strcmp0 (gui_text (fixture, "request_code_label"), code) == 0);
  walk_page (failures, "request");
  gui_activate (fixture, "request_confirm_button");
  gui_wait_for_unlock_dialog ();
  walk_page (failures, "request (PIN dialog)");
  gui_unlock_with_pin (PIN);
  gui_wait_until (gui_visible (fixture, "request_confirmed_status"));
  walk_page (failures, "request (confirmed)");
  check_focus_on (failures, fixture, "request_confirmed_button");
  gui_activate (fixture, "request_confirmed_button");
  gui_wait_for_page (fixture, "home");

  /* My requests, with that request in the list. */
  clave_application_lock_key (fixture->app);
  gui_activate (fixture, "home_history_row");
  gui_wait_for_page (fixture, "history");
  gui_wait_for_unlock_dialog ();
  walk_page (failures, "history (PIN dialog)");
  gui_unlock_with_pin (PIN);
  history = CLAVE_MY_REQUESTS_PAGE (gui_find (GTK_WIDGET (fixture->window), "history_page"));
  gui_wait_until (clave_my_requests_page_get_model (history) != NULL
                  && g_list_model_get_n_items (clave_my_requests_page_get_model (history)) == 1
                  && gui_visible (fixture, "history_list"));
  walk_page (failures, "history");
  /* The filters, behind a button on narrow windows. */
  dropdown = gui_find (GTK_WIDGET (fixture->window), "history_status_dropdown");
  if (!gtk_widget_get_mapped (dropdown))
    {
      gui_activate (fixture, "history_filters_button");
      gui_wait_until (gtk_widget_get_mapped (dropdown));
      walk_page (failures, "history (filters)");
    }
  g_assert_true (gtk_widget_get_mapped (dropdown));
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.diagnostics", NULL));
  gui_wait_for_page (fixture, "diagnostics");
  walk_page (failures, "diagnostics");
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW) != NULL);
  walk_page (failures, "preferences");
  gtk_window_destroy (GTK_WINDOW (gui_find_toplevel (CLAVE_TYPE_PREFERENCES_WINDOW)));
  gui_settle (50);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.sign-out", NULL));
  gui_wait_until (gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL);
  dialog = gui_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  walk_page (failures, "home (deactivate dialog)");
  gtk_window_destroy (GTK_WINDOW (dialog));

  report (failures);
}

static void
test_device_pages (void)
{
  gui_run (TRUE, run_device_pages);
}

/* No card modules: the certificate is a file here. */
static void
prepare_no_cards (GuiFixture *fixture)
{
  const char *modules[] = { NULL };

  g_settings_set_strv (fixture->settings, "pkcs11-modules", modules);
}

/* Registering with a certificate file: the PIN dialog, the certificate
 * list, the contact form. */
static void
run_certificate_pages (GuiFixture *fixture)
{
  g_autoptr(GString) failures = g_string_new (NULL);
  g_autofree char *path = clave_test_pki_path ("marta-fnmt.p12");
  g_autoptr(GFile) file = NULL;
  ClavePinDialog *dialog;

  gui_log_in (fixture, "87654321X", "30/11/2029");
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_certificate_row");
  gui_wait_for_page (fixture, "certificate");

  /* What the file chooser's Import does with the file chosen. */
  g_assert_nonnull (path);
  file = g_file_new_for_path (path);
  clave_certificate_page_import_file (CLAVE_CERTIFICATE_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                        "certificate_page")),
                                      file);
  dialog = gui_wait_for_pin_dialog ();
  walk_page (failures, "certificate (PIN dialog)");
  gui_submit_secret (dialog, "clave-test");
  gui_wait_until (gui_n_certificate_rows (fixture) == 1);
  walk_page (failures, "certificate (a file)");

  gui_activate_widget (GTK_WIDGET (gui_certificate_row (fixture, 0)));
  gui_submit_secret (gui_wait_for_pin_dialog (), "clave-test");
  gui_wait_for_page (fixture, "contact");
  walk_page (failures, "contact");

  report (failures);
}

static void
test_certificate_pages (void)
{
  GuiOptions options = { .prepare = prepare_no_cards };
  g_autofree char *path = clave_test_pki_path ("marta-fnmt.p12");

  if (path == NULL)
    {
      g_test_skip ("no test PKI (CLAVE_TEST_PKI_DIR)");
      return;
    }

  gui_run_with (&options, run_certificate_pages);
}

int
main (int    argc,
      char **argv)
{
  int status;

  /* tests/gui/meson.build sets GTK_A11Y=none for the GUI tests; this one
   * needs the accessible attributes, kept by GTK's test backend (read
   * once, when the first widget gets its accessible context). */
  g_setenv ("GTK_A11Y", "test", TRUE);

  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/gui/accessibility/activation-pages", test_activation_pages);
  g_test_add_func ("/gui/accessibility/device-pages", test_device_pages);
  g_test_add_func ("/gui/accessibility/certificate-pages", test_certificate_pages);

  status = g_test_run ();
  gui_test_shutdown ();
  return status;
}
