/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cl@ve Mobile: a relying party asks, the app shows the request, the
 * person answers with the PIN; then "My requests for Cl@ve Mobile". */
#define G_LOG_DOMAIN "test-mobile"

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <qrencode.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "clave-gui-test.h"
#include "gui-website.h"
#include "clave-history-item.h"
#include "clave-history-store.h"
#include "clave-my-requests-page.h"
#include "clave-request-page.h"
#include "clave-unlock-dialog.h"

#define PIN GUI_DEVICE_PIN
#define ORGANISATION "Agencia Tributaria"
#define ORIGIN "https://sede.agenciatributaria.gob.es"

/* The 8-digit PIN of the newest SMS to Lucía. */
static char *
last_sms_pin (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *out = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  JsonArray *messages;
  const char *body;

  out = clave_test_server_admin (fixture->server, &error, "outbox", "--json", "--limit", "1", NULL);
  g_assert_no_error (error);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  messages = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  body = json_object_get_string_member (json_array_get_object_element (messages, 0), "body");
  regex = g_regex_new ("(?<![0-9])[0-9]{8}(?![0-9])", 0, 0, NULL);
  g_assert_true (g_regex_match (regex, body, 0, &match));

  return g_match_info_fetch (match, 0);
}

static const char *
request_outcome (GuiFixture *fixture)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (gui_find (GTK_WIDGET (fixture->window),
                                                                 "request_stack")));
}

static gboolean
request_shown (GuiFixture *fixture,
               const char *code)
{
  return g_strcmp0 (gui_page (fixture), "request") == 0
         && g_strcmp0 (request_outcome (fixture), "request") == 0
         && g_strcmp0 (gui_text (fixture, "request_code_label"), code) == 0
         && gtk_widget_get_mapped (gui_find (GTK_WIDGET (fixture->window), "request_code_label"));
}

static void
activate (GuiFixture *fixture)
{
  g_autofree char *device_id = gui_activate_demo_device (fixture, PIN);

  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
  gui_wait_until (clave_application_get_push_state (fixture->app) == CLAVE_PUSH_STATE_ONLINE);
  gui_wait_until (g_strcmp0 (gui_text (fixture, "home_push_row"), "Receiving requests") == 0);
}

static const char *
item_type (GListModel *model,
           guint       position)
{
  g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (model, position);
  static char type[16];

  g_assert_nonnull (item);
  g_strlcpy (type, clave_history_item_get_type_name (item), sizeof type);
  return type;
}

static gboolean
setting_is_set (GSettings  *settings,
                const char *key)
{
  g_autofree char *value = g_settings_get_string (settings, key);

  return *value != '\0';
}

/* Issue 9: a cache that cannot be read (here its table gone from under
 * the app) is said to be so, not shown as "No requests yet"; "Try Again"
 * reads it again, once it can be read. */
static void
check_history_read_error (GuiFixture *fixture,
                          GListModel *model)
{
  g_autofree char *path = clave_history_store_default_path ();
  AdwStatusPage *status;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "ALTER TABLE history RENAME TO history_away", NULL, NULL, NULL),
                   ==, SQLITE_OK);

  /* Another sort: the count is the one it remembers, the rows it reads
   * for the list fail. */
  g_settings_set_string (fixture->settings, "history-sort", "date-asc");
  gui_wait_until (gui_visible (fixture, "history_error_status")
                  && g_list_model_get_n_items (model) == 0);
  g_assert_false (gui_visible (fixture, "history_empty_status"));
  status = ADW_STATUS_PAGE (gui_find (GTK_WIDGET (fixture->window), "history_error_status"));
  g_assert_cmpstr (adw_status_page_get_title (status), ==, "Your requests could not be read");
  g_assert_nonnull (strstr (adw_status_page_get_description (status), "no such table"));
  gui_screenshot (GTK_WIDGET (fixture->window), "history-read-error");

  g_assert_cmpint (sqlite3_exec (db, "ALTER TABLE history_away RENAME TO history", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  gui_activate (fixture, "history_retry_button");
  gui_wait_until (g_list_model_get_n_items (model) == 3 && gui_visible (fixture, "history_list"));
  gui_settle (200);
  g_assert_true (gui_visible (fixture, "history_list"));
  g_assert_null (clave_history_model_get_error (CLAVE_HISTORY_MODEL (model)));
  g_assert_nonnull (item_type (model, 2));

  g_settings_set_string (fixture->settings, "history-sort", "status");
  gui_wait_until (g_strcmp0 (item_type (model, 2), "push") == 0);
}

static void
run_mobile (GuiFixture *fixture)
{
  GuiWebsite rp = { NULL, };
  g_autoptr(JsonObject) qr = NULL;
  g_autoptr(JsonObject) push = NULL;
  g_autoptr(JsonObject) sms = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GFile) link = NULL;
  g_autofree char *status = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *sms_path = NULL;
  ClaveMyRequestsPage *history;
  GListModel *model;
  const char *code;

  activate (fixture);
  gui_screenshot (GTK_WIDGET (fixture->window), "home-mobile");
  gui_website_init (&rp, fixture, ORGANISATION, ORIGIN);

  /* QR: the website's "open in Clave Desktop" link. */
  qr = gui_website_call (&rp, "POST", "/v1/rp/requests", "{\"type\":\"qr\"}", 201);
  code = json_object_get_string_member (qr, "verification_code");
  g_assert_cmpuint (strlen (code), ==, 3);
  link = g_file_new_for_uri (json_object_get_string_member (qr, "uri"));
  g_application_open (G_APPLICATION (fixture->app), &link, 1, "");
  gui_wait_until (request_shown (fixture, code));
  g_assert_cmpstr (gui_text (fixture, "request_organisation_label"), ==, ORGANISATION);
  g_assert_cmpstr (gui_text (fixture, "request_origin_label"), ==, ORIGIN);
  g_assert_true (g_str_has_prefix (gui_text (fixture, "request_countdown_label"),
                                   "Time left to answer: 4:")
                 || g_str_has_prefix (gui_text (fixture, "request_countdown_label"),
                                      "Time left to answer: 5:"));
  gui_screenshot (GTK_WIDGET (fixture->window), "request");

  /* Rejecting is not destructive: no red. */
  g_assert_false (gtk_widget_has_css_class (gui_find (GTK_WIDGET (fixture->window),
                                                      "request_reject_button"),
                                            "destructive-action"));

  /* Confirming asks for the PIN even though the key is unlocked, in a
   * dialog that says what it approves and where, with the code, the PIN
   * field ready for typing. */
  gui_activate (fixture, "request_confirm_button");
  {
    GtkWidget *dialog = gui_wait_for_unlock_dialog ();
    GtkWidget *focus;
    g_autofree char *body = g_strdup_printf ("Website: %s\nVerification code: %s\n"
                                             "The website must show the same code.",
                                             ORIGIN, code);

    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Log In to " ORGANISATION);
    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gui_find (dialog, "unlock_body_label"))), ==,
                     body);
    g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (gui_find (dialog, "unlock_button_label"))),
                     ==, "_Confirm");
    gui_wait_until (gtk_window_is_active (GTK_WINDOW (dialog)) ||
                    gtk_root_get_focus (GTK_ROOT (dialog)) != NULL);
    focus = gtk_root_get_focus (GTK_ROOT (dialog));
    g_assert_nonnull (focus);
    g_assert_true (focus == gui_find (dialog, "unlock_pin_entry") ||
                   gtk_widget_is_ancestor (focus, gui_find (dialog, "unlock_pin_entry")));
    gui_screenshot (dialog, "request-pin");
  }
  gui_unlock_with_pin (PIN);
  gui_wait_until (g_strcmp0 (request_outcome (fixture), "confirmed") == 0);
  g_assert_true (gui_visible (fixture, "request_confirmed_status"));
  gui_screenshot (GTK_WIDGET (fixture->window), "request-confirmed");
  status = gui_website_request_status (&rp, json_object_get_string_member (qr, "id"));
  g_assert_cmpstr (status, ==, "confirmed");
  g_clear_pointer (&status, g_free);

  /* Without QR: the request comes through the push channel by itself. */
  gui_activate (fixture, "request_confirmed_button");
  gui_wait_for_page (fixture, "home");
  push = gui_website_call (&rp, "POST", "/v1/rp/requests",
                  "{\"type\":\"push\",\"document\":\"12345678Z\","
                  "\"contrast\":{\"kind\":\"validity_date\",\"value\":\"2031-05-04\"}}", 201);
  code = json_object_get_string_member (push, "verification_code");
  gui_wait_until (request_shown (fixture, code));
  g_assert_cmpstr (gui_text (fixture, "request_organisation_label"), ==, ORGANISATION);
  gui_activate (fixture, "request_reject_button");
  gui_wait_until (g_strcmp0 (request_outcome (fixture), "rejected") == 0);
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                               "request_rejected_status"))),
                   ==,
                   "Nobody can log in with this request. If you did not start it, somebody may "
                   "know your document number: keep your device PIN to yourself.");
  gui_screenshot (GTK_WIDGET (fixture->window), "request-rejected");
  status = gui_website_request_status (&rp, json_object_get_string_member (push, "id"));
  g_assert_cmpstr (status, ==, "rejected");
  g_clear_pointer (&status, g_free);
  gui_activate (fixture, "request_rejected_button");
  gui_wait_for_page (fixture, "home");

  /* By SMS: the website takes the PIN from the SMS; the app only lists it. */
  sms = gui_website_call (&rp, "POST", "/v1/rp/requests",
                 "{\"type\":\"sms\",\"document\":\"12345678Z\","
                 "\"contrast\":{\"kind\":\"validity_date\",\"value\":\"2031-05-04\"}}", 201);
  pin = last_sms_pin (fixture);
  sms_path = g_strconcat ("/v1/rp/requests/", json_object_get_string_member (sms, "id"),
                          "/sms-pin", NULL);
  {
    g_autofree char *body = g_strdup_printf ("{\"pin\":\"%s\"}", pin);

    answer = gui_website_call (&rp, "POST", sms_path, body, 200);
  }
  g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "confirmed");
  g_assert_cmpstr (gui_page (fixture), ==, "home");

  /* The history lists all three without asking the PIN again: it was
   * typed a moment ago to confirm (test-history-lock has the rest). */
  gui_activate (fixture, "home_history_row");
  gui_wait_for_page (fixture, "history");
  history = CLAVE_MY_REQUESTS_PAGE (gui_find (GTK_WIDGET (fixture->window), "history_page"));
  gui_wait_until (clave_my_requests_page_get_model (history) != NULL
                  && g_list_model_get_n_items (clave_my_requests_page_get_model (history)) == 3);
  model = clave_my_requests_page_get_model (history);
  g_assert_true (gui_visible (fixture, "history_list"));
  g_assert_null (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG));
  gui_screenshot (GTK_WIDGET (fixture->window), "history");

  /* One of each type. */
  {
    g_autoptr(GHashTable) types = g_hash_table_new (g_str_hash, g_str_equal);

    for (guint i = 0; i < 3; i++)
      g_hash_table_add (types, (gpointer) g_intern_string (item_type (model, i)));
    g_assert_cmpuint (g_hash_table_size (types), ==, 3);
  }
  g_assert_cmpstr (clave_history_type_label ("qr"), ==, "With QR code");
  g_assert_cmpstr (clave_history_type_label ("push"), ==, "Without QR code");
  g_assert_cmpstr (clave_history_type_label ("sms"), ==, "By SMS");
  g_assert_nonnull (gui_find_label (GTK_WIDGET (fixture->window), "Confirmed"));
  g_assert_nonnull (gui_find_label (GTK_WIDGET (fixture->window), "Rejected"));

  /* Only SMS. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (gui_find (GTK_WIDGET (fixture->window),
                                                       "history_type_dropdown")), 3);
  gui_wait_until (g_list_model_get_n_items (model) == 1);
  g_assert_cmpstr (item_type (model, 0), ==, "sms");
  {
    g_autofree char *kept = g_settings_get_string (fixture->settings, "history-filter-type");

    g_assert_cmpstr (kept, ==, "sms");
  }
  gui_screenshot (GTK_WIDGET (fixture->window), "history-sms");

  /* Nothing matches: said so. */
  gui_type (fixture, "history_organisation_entry", "Seguridad Social");
  gui_wait_until (g_list_model_get_n_items (model) == 0);
  gui_wait_until (gui_visible (fixture, "history_empty_status"));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                          "history_empty_status"))),
                   ==, "No requests match");
  gui_type (fixture, "history_organisation_entry", "");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (gui_find (GTK_WIDGET (fixture->window),
                                                       "history_type_dropdown")), 0);
  gui_wait_until (g_list_model_get_n_items (model) == 3);

  /* The sort menu: by type, then by status, reorders the rows (chosen
   * in the menu: its items were once all greyed out). */
  gui_choose_menu_item (fixture, "history_sort_button", "Type");
  gui_wait_until (g_strcmp0 (item_type (model, 0), "push") == 0);
  g_assert_cmpstr (item_type (model, 2), ==, "sms");
  gui_choose_menu_item (fixture, "history_sort_button", "Status");
  gui_wait_until (g_strcmp0 (item_type (model, 2), "push") == 0);
  {
    g_autofree char *kept = g_settings_get_string (fixture->settings, "history-sort");

    g_assert_cmpstr (kept, ==, "status");
  }

  /* Dates as on the login page, kept as ISO dates. */
  gui_type (fixture, "history_from_entry", "1/1/2020");
  gui_wait_until (setting_is_set (fixture->settings, "history-filter-from"));
  {
    g_autofree char *from = g_settings_get_string (fixture->settings, "history-filter-from");

    g_assert_cmpstr (from, ==, "2020-01-01");
  }
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  gui_type (fixture, "history_to_entry", "31/12/2020");
  gui_wait_until (g_list_model_get_n_items (model) == 0);
  gui_type (fixture, "history_to_entry", "31/02/2020");
  g_assert_true (gtk_widget_has_css_class (gui_find (GTK_WIDGET (fixture->window), "history_to_entry"),
                                           "error"));
  gui_type (fixture, "history_to_entry", "");
  gui_type (fixture, "history_from_entry", "");
  gui_wait_until (g_list_model_get_n_items (model) == 3);
  check_history_read_error (fixture, model);

  /* Without the service: the home page says so, and the history opens
   * from the copy on this computer. */
  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");
  clave_test_server_stop (g_steal_pointer (&fixture->server));
  gui_wait_until (g_strcmp0 (gui_text (fixture, "home_push_row"), "Offline, reconnecting…") == 0);
  gui_screenshot (GTK_WIDGET (fixture->window), "home-offline");
  gui_activate (fixture, "home_history_row");
  gui_wait_for_page (fixture, "history");
  gui_wait_until (gui_visible (fixture, "history_sync_label"));
  model = clave_my_requests_page_get_model (history);
  g_assert_nonnull (model);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_true (gui_visible (fixture, "history_list"));
  g_assert_true (g_str_has_prefix (gui_text (fixture, "history_sync_label"),
                                   "Your requests could not be updated: "));
  gui_screenshot (GTK_WIDGET (fixture->window), "history-offline");

  gui_website_clear (&rp);
}

static void
test_mobile (void)
{
  gui_run (TRUE, run_mobile);
}

/* Issue 9: quitting (Ctrl+Q, from the dialog as the shortcut does) while
 * the PIN dialog of a confirmation is open aborted: the dialog was
 * destroyed without a close request and still held its task. */
static void
run_quit_while_confirming (GuiFixture *fixture)
{
  GuiWebsite rp = { NULL, };
  g_autoptr(JsonObject) qr = NULL;
  g_autoptr(GFile) link = NULL;
  g_auto(GStrv) accels = NULL;
  GtkWidget *dialog;

  activate (fixture);
  gui_website_init (&rp, fixture, ORGANISATION, ORIGIN);
  qr = gui_website_call (&rp, "POST", "/v1/rp/requests", "{\"type\":\"qr\"}", 201);
  link = g_file_new_for_uri (json_object_get_string_member (qr, "uri"));
  g_application_open (G_APPLICATION (fixture->app), &link, 1, "");
  gui_wait_until (request_shown (fixture,
                                 json_object_get_string_member (qr, "verification_code")));
  gui_activate (fixture, "request_confirm_button");
  dialog = gui_wait_for_unlock_dialog ();

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (fixture->app), "app.quit");
  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>q"));
  g_assert_true (gtk_widget_activate_action (dialog, "app.quit", NULL));
  gui_settle (100);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));

  gui_website_clear (&rp);
}

static void
test_quit_while_confirming (void)
{
  gui_run (TRUE, run_quit_while_confirming);
}

#define LUCIA_PUSH "{\"type\":\"push\",\"document\":\"12345678Z\"," \
                   "\"contrast\":{\"kind\":\"validity_date\",\"value\":\"2031-05-04\"}}"

/* Issue 9: a push for another request that came while the person was
 * confirming one re-showed the request page and cancelled the
 * confirmation in flight: the answer was lost. The second request now
 * waits until the person leaves the first. */
static void
run_request_while_confirming (GuiFixture *fixture)
{
  GuiWebsite rp = { NULL, };
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *status = NULL;
  const char *first_code;
  const char *second_code;

  activate (fixture);
  gui_website_init (&rp, fixture, ORGANISATION, ORIGIN);
  first = gui_website_call (&rp, "POST", "/v1/rp/requests", LUCIA_PUSH, 201);
  first_code = json_object_get_string_member (first, "verification_code");
  gui_wait_until (request_shown (fixture, first_code));

  /* Confirming: the PIN dialog is open when the second request comes. */
  gui_activate (fixture, "request_confirm_button");
  gui_wait_for_unlock_dialog ();
  second = gui_website_call (&rp, "POST", "/v1/rp/requests", LUCIA_PUSH, 201);
  second_code = json_object_get_string_member (second, "verification_code");
  gui_settle (1000);
  g_assert_nonnull (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG));
  g_assert_cmpstr (gui_text (fixture, "request_code_label"), ==, first_code);

  /* The first one's answer goes through... */
  gui_unlock_with_pin (PIN);
  gui_wait_until (g_strcmp0 (request_outcome (fixture), "confirmed") == 0);
  status = gui_website_request_status (&rp, json_object_get_string_member (first, "id"));
  g_assert_cmpstr (status, ==, "confirmed");
  g_clear_pointer (&status, g_free);
  g_assert_cmpstr (gui_text (fixture, "request_code_label"), ==, first_code);

  /* ...and once the person leaves it, the second one shows. */
  gui_activate (fixture, "request_confirmed_button");
  gui_wait_until (request_shown (fixture, second_code));
  status = gui_website_request_status (&rp, json_object_get_string_member (second, "id"));
  g_assert_cmpstr (status, ==, "pending");

  gui_website_clear (&rp);
}

static void
test_request_while_confirming (void)
{
  gui_run (TRUE, run_request_while_confirming);
}

/* A QR code of @text as a texture: black modules, 8 pixels each, with
 * the quiet zone around. */
static GdkTexture *
qr_texture (const char *text)
{
  QRcode *qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  const int scale = 8, margin = 4;
  int size, stride;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *pixels;
  GdkTexture *texture;

  g_assert_nonnull (qr);
  size = (qr->width + 2 * margin) * scale;
  stride = size * 3;
  pixels = g_malloc ((gsize) stride * size);
  memset (pixels, 0xff, (gsize) stride * size);
  for (int y = 0; y < qr->width; y++)
    for (int x = 0; x < qr->width; x++)
      if (qr->data[y * qr->width + x] & 1)
        for (int dy = 0; dy < scale; dy++)
          memset (pixels + (gsize) ((y + margin) * scale + dy) * stride + (gsize) (x + margin) * scale * 3,
                  0, (gsize) scale * 3);
  QRcode_free (qr);

  bytes = g_bytes_new_take (pixels, (gsize) stride * size);
  texture = gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, bytes, stride);
  return texture;
}

static void
run_scan (GuiFixture *fixture)
{
  GuiWebsite rp = { NULL, };
  g_autoptr(JsonObject) qr = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GdkTexture) other = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  const char *code;

  activate (fixture);
  gui_website_init (&rp, fixture, ORGANISATION, ORIGIN);

  /* An image file of the website's QR code, as "Open Image" gives it. */
  qr = gui_website_call (&rp, "POST", "/v1/rp/requests", "{\"type\":\"qr\"}", 201);
  code = json_object_get_string_member (qr, "verification_code");
  texture = qr_texture (json_object_get_string_member (qr, "uri"));
  path = g_build_filename (g_get_tmp_dir (), "qr.png", NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  file = g_file_new_for_path (path);
  clave_window_open_request_file (fixture->window, file);
  gui_wait_until (request_shown (fixture, code));
  g_assert_cmpstr (gui_text (fixture, "request_origin_label"), ==, ORIGIN);

  gui_activate (fixture, "back_button");
  gui_wait_for_page (fixture, "home");

  /* Pasted: a screenshot of the QR code (Ctrl+V), then the link as text. */
  {
    g_autoptr(JsonObject) pasted = gui_website_call (&rp, "POST", "/v1/rp/requests", "{\"type\":\"qr\"}", 201);
    g_autoptr(GdkTexture) image = qr_texture (json_object_get_string_member (pasted, "uri"));
    GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));

    gdk_clipboard_set_texture (clipboard, image);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.paste-request", NULL));
    gui_wait_until (request_shown (fixture, json_object_get_string_member (pasted, "verification_code")));
    gui_activate (fixture, "back_button");
    gui_wait_for_page (fixture, "home");
  }
  {
    g_autoptr(JsonObject) pasted = gui_website_call (&rp, "POST", "/v1/rp/requests", "{\"type\":\"qr\"}", 201);
    g_autofree char *text = g_strdup_printf ("  %s\n", json_object_get_string_member (pasted, "uri"));
    GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));

    gdk_clipboard_set_text (clipboard, text);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.paste-request", NULL));
    gui_wait_until (request_shown (fixture, json_object_get_string_member (pasted, "verification_code")));

    /* Rejected: a website showed the code, nobody typed a document
     * number, so the page says what the refusal means for a QR code. */
    gui_activate (fixture, "request_reject_button");
    gui_wait_until (g_strcmp0 (request_outcome (fixture), "rejected") == 0);
    g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (gui_find (GTK_WIDGET (fixture->window),
                                                                                 "request_rejected_status"))),
                     ==,
                     "The website’s session was refused, and nobody can use this code any more. "
                     "If a website you do not trust showed it, close that page.");
    gui_screenshot (GTK_WIDGET (fixture->window), "request-rejected-qr");
    gui_activate (fixture, "request_rejected_button");
    gui_wait_for_page (fixture, "home");
  }

  /* Dropped on the window: the image file, as a file manager drops it. */
  {
    g_autoptr(JsonObject) dropped = gui_website_call (&rp, "POST", "/v1/rp/requests", "{\"type\":\"qr\"}", 201);
    g_autoptr(GdkTexture) image = qr_texture (json_object_get_string_member (dropped, "uri"));
    g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (fixture->window));
    g_autoptr(GFile) dropped_file = NULL;
    g_autofree char *dropped_path = g_build_filename (g_get_tmp_dir (), "dropped.png", NULL);
    g_auto(GValue) value = G_VALUE_INIT;
    GtkDropTarget *target = NULL;
    GSList *files;
    gboolean accepted = FALSE;

    g_assert_true (gdk_texture_save_to_png (image, dropped_path));
    dropped_file = g_file_new_for_path (dropped_path);
    for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
      {
        g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

        if (GTK_IS_DROP_TARGET (controller))
          target = GTK_DROP_TARGET (controller);
      }
    g_assert_nonnull (target);

    files = g_slist_prepend (NULL, dropped_file);
    g_value_init (&value, GDK_TYPE_FILE_LIST);
    g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
    g_slist_free (files);
    g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
    g_assert_true (accepted);
    gui_wait_until (request_shown (fixture, json_object_get_string_member (dropped, "verification_code")));
    gui_activate (fixture, "back_button");
    gui_wait_for_page (fixture, "home");
    g_unlink (dropped_path);
  }

  /* A QR code that is not a Cl@ve request. */
  other = qr_texture ("https://example.org/");
  clave_window_open_request_texture (fixture->window, other);
  gui_settle (200);
  g_assert_cmpstr (gui_page (fixture), ==, "home");

  /* A bad link says so and stays home. */
  clave_window_open_request_uri (fixture->window, "clave:request?id=nope");
  gui_settle (100);
  g_assert_cmpstr (gui_page (fixture), ==, "home");

  g_unlink (path);
  gui_website_clear (&rp);
}

static void
test_scan (void)
{
  gui_run (TRUE, run_scan);
}

static void
run_autostart (GuiFixture *fixture)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "autostart",
                                            APP_ID ".desktop", NULL);
  g_autofree char *contents = NULL;
  GtkWidget *preferences;
  GStatBuf st;

  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (fixture->app), "preferences"));
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  gui_wait_until (gui_try_find (NULL, "preferences_autostart_switch") != NULL);
  preferences = gtk_widget_get_ancestor (gui_find (NULL, "preferences_autostart_switch"),
                                         GTK_TYPE_WINDOW);
  gtk_test_widget_wait_for_draw (preferences);
  gui_screenshot (preferences, "preferences");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (gui_find (preferences,
                                                               "preferences_autostart_switch"))));

  gtk_switch_set_active (GTK_SWITCH (gui_find (preferences, "preferences_autostart_switch")), TRUE);
  g_assert_true (g_settings_get_boolean (fixture->settings, "autostart"));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\nExec=clave-desktop --background\n"));
  g_assert_nonnull (strstr (contents, "\nX-GNOME-Autostart-enabled=true\n"));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);

  gtk_switch_set_active (GTK_SWITCH (gui_find (preferences, "preferences_autostart_switch")), FALSE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* The other switch follows its setting. */
  g_settings_set_boolean (fixture->settings, "run-in-background", TRUE);
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (gui_find (preferences,
                                                              "preferences_background_switch"))));
  g_settings_set_boolean (fixture->settings, "run-in-background", FALSE);
  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* A notification server (org.gtk.Notifications, which GApplication uses
 * when it is on the bus) that keeps what it is sent. */
static GPtrArray *notifications;  /* "id|title", newest last (gui-website.c) */

static void
run_background (GuiFixture *fixture)
{
  GuiWebsite rp = { NULL, };
  g_autoptr(JsonObject) push = NULL;
  g_autofree char *expected = NULL;
  ClaveWindow *old;
  GList *windows;
  const char *code;

  activate (fixture);
  gui_website_init (&rp, fixture, ORGANISATION, ORIGIN);
  g_settings_set_boolean (fixture->settings, "run-in-background", TRUE);

  /* Closing the window leaves the application (and the channel) running. */
  old = g_steal_pointer (&fixture->window);
  gtk_window_destroy (GTK_WINDOW (old));
  gui_settle (50);
  g_assert_finalize_object (old);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
  g_assert_cmpint (clave_application_get_push_state (fixture->app), ==, CLAVE_PUSH_STATE_ONLINE);

  /* A request brings a notification... */
  push = gui_website_call (&rp, "POST", "/v1/rp/requests",
                  "{\"type\":\"push\",\"document\":\"12345678Z\","
                  "\"contrast\":{\"kind\":\"validity_date\",\"value\":\"2031-05-04\"}}", 201);
  code = json_object_get_string_member (push, "verification_code");
  expected = g_strdup_printf ("%s|Cl@ve: login request from " ORGANISATION,
                              json_object_get_string_member (push, "id"));
  gui_wait_until (g_ptr_array_find_with_equal_func (notifications, expected, g_str_equal, NULL));

  /* ...whose action opens the window on the request. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "show-request",
                                  g_variant_new_string (json_object_get_string_member (push, "id")));
  windows = gtk_application_get_windows (GTK_APPLICATION (fixture->app));
  g_assert_nonnull (windows);
  fixture->window = g_object_ref (CLAVE_WINDOW (windows->data));
  gui_wait_until (request_shown (fixture, code));

  g_settings_set_boolean (fixture->settings, "run-in-background", FALSE);
  gui_website_clear (&rp);
}

static void
test_background (void)
{
  gui_run (TRUE, run_background);
}

static int
compare_doubles (const double *a,
                 const double *b)
{
  return (*a > *b) - (*a < *b);
}

/* Push latency: from the relying party's create call to the request
 * page on screen. */
static void
run_latency (GuiFixture *fixture)
{
  GuiWebsite rp = { NULL, };
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  const char *requests = g_getenv ("CLAVE_PUSH_LATENCY_REQUESTS");
  /* 20 keeps the suite quick; the figure uses 100. */
  const guint n = requests != NULL ? (guint) CLAMP (g_ascii_strtoull (requests, NULL, 10), 1, 1000) : 20;

  activate (fixture);
  gui_website_init (&rp, fixture, ORGANISATION, ORIGIN);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) push = NULL;
      gint64 start = g_get_monotonic_time ();
      double ms;

      push = gui_website_call (&rp, "POST", "/v1/rp/requests",
                      "{\"type\":\"push\",\"document\":\"12345678Z\","
                      "\"contrast\":{\"kind\":\"validity_date\",\"value\":\"2031-05-04\"}}", 201);
      gui_wait_until (request_shown (fixture, json_object_get_string_member (push, "verification_code"))
                      && g_strcmp0 (clave_request_page_get_request_id (CLAVE_REQUEST_PAGE (
                                      gui_find (GTK_WIDGET (fixture->window), "request_page"))),
                                    json_object_get_string_member (push, "id")) == 0);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_array_append_val (times, ms);

      gui_activate (fixture, "back_button");
      gui_wait_for_page (fixture, "home");
    }

  g_array_sort (times, (GCompareFunc) compare_doubles);
  g_test_message ("push latency over %u requests: p50 %.1f ms, p95 %.1f ms, max %.1f ms", n,
                  g_array_index (times, double, n / 2),
                  g_array_index (times, double, (n * 95 + 99) / 100 - 1),
                  g_array_index (times, double, n - 1));
  /* The target, from the website's call to the page on screen. */
  g_assert_cmpfloat (g_array_index (times, double, (n * 95 + 99) / 100 - 1), <, 200.0);
  gui_website_clear (&rp);
}

static void
test_latency (void)
{
  gui_run (TRUE, run_latency);
}

/* Time runs out on screen; an answer given elsewhere shows too. */
static void
run_expiry (GuiFixture *fixture)
{
  ClaveAuthRequestInfo request = {
    .id = (char *) "req_expiring1",
    .type = (char *) "push",
    .status = (char *) "pending",
    .organisation = (char *) ORGANISATION,
    .origin = (char *) ORIGIN,
    .verification_code = (char *) "042",
  };

  request.created_at = g_get_real_time () / G_USEC_PER_SEC;
  request.expires_at = request.created_at + 2;
  clave_window_show_request (fixture->window, &request);
  gui_wait_until (request_shown (fixture, "042"));
  g_assert_true (g_str_has_prefix (gui_text (fixture, "request_countdown_label"),
                                   "Time left to answer: 0:0"));
  gui_wait_until (g_strcmp0 (request_outcome (fixture), "expired") == 0);
  g_assert_true (gui_visible (fixture, "request_expired_status"));
  gui_screenshot (GTK_WIDGET (fixture->window), "request-expired");

  request.id = (char *) "req_answered1";
  request.verification_code = (char *) "043";
  request.expires_at = request.created_at + 300;
  clave_window_show_request (fixture->window, &request);
  gui_wait_until (request_shown (fixture, "043"));
  /* A status for another request changes nothing. */
  clave_window_update_request_status (fixture->window, "req_other0001", "rejected");
  g_assert_cmpstr (request_outcome (fixture), ==, "request");
  clave_window_update_request_status (fixture->window, "req_answered1", "rejected");
  g_assert_cmpstr (request_outcome (fixture), ==, "rejected");
}

/* Issue 8: somebody fails to log in with the person's document, from
 * another address; the home page of their device says so, and what to
 * do. */
static SoupSession *
stranger_session (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string ("127.0.0.2", 0);

  database = g_tls_file_database_new (clave_test_server_get_ca_file (fixture->server), &error);
  g_assert_no_error (error);
  return soup_session_new_with_options ("tls-database", database, "timeout", 30,
                                        "local-address", local, NULL);
}

static void
fail_identify (GuiFixture  *fixture,
               SoupSession *session)
{
  g_autofree char *url = g_strconcat (clave_test_server_get_base_url (fixture->server),
                                      "/v1/identify", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *json = "{\"document\":\"12345678Z\","
                     "\"contrast\":{\"kind\":\"validity_date\",\"value\":\"2030-01-01\"}}";

  body = g_bytes_new_static (json, strlen (json));
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  answer = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 401);
}

static void
run_failed_logins (GuiFixture *fixture)
{
  g_autoptr(SoupSession) stranger = NULL;
  GtkWidget *row;

  activate (fixture);
  stranger = stranger_session (fixture);
  g_assert_false (gui_visible (fixture, "home_failures_group"));

  /* Two might be the person's own typing: nothing. */
  fail_identify (fixture, stranger);
  fail_identify (fixture, stranger);
  gui_settle (500);
  g_assert_false (gui_visible (fixture, "home_failures_group"));

  /* The third is shown: how many and since when, and what to do. */
  fail_identify (fixture, stranger);
  gui_wait_until (gui_visible (fixture, "home_failures_group"));
  g_assert_true (g_str_has_prefix (gui_text (fixture, "home_failures_row"),
                                   "3 failed attempts to log in with your document since "));
  row = gui_find (GTK_WIDGET (fixture->window), "home_failures_row");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)),
                                   "If it was not you, there is nothing you need to do"));
  g_assert_null (strstr (gui_text (fixture, "home_failures_row"), "127.0.0.2"));
  gui_assert_fits_width (fixture, 360);
  gui_screenshot (GTK_WIDGET (fixture->window), "home-failed-logins");

  /* Dismissed, it stays away (also when the channel reconnects)… */
  gui_activate (fixture, "home_failures_dismiss_button");
  gui_wait_until (!gui_visible (fixture, "home_failures_group"));
  {
    gint64 seen_last = 0;
    guint seen_count = 0;

    g_settings_get (fixture->settings, "failed-identifications-seen", "(xu)", &seen_last,
                    &seen_count);
    g_assert_cmpint (seen_last, >, 0);
    g_assert_cmpuint (seen_count, ==, 3);
  }
  g_assert_cmpuint (clave_application_get_failed_identifications (fixture->app, NULL), ==, 0);

  /* …until a newer failure. */
  fail_identify (fixture, stranger);
  gui_wait_until (gui_visible (fixture, "home_failures_group"));
  g_assert_true (g_str_has_prefix (gui_text (fixture, "home_failures_row"), "4 failed attempts"));
}

static void
test_failed_logins (void)
{
  gui_run (TRUE, run_failed_logins);
}

static void
test_expiry (void)
{
  gui_run (FALSE, run_expiry);
}

static void
test_autostart (void)
{
  gui_run (FALSE, run_autostart);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  if (!gui_test_init (&argc, &argv))
    return 0;
  notifications = gui_notifications_start ();

  g_test_add_func ("/gui/mobile/qr-push-sms-history", test_mobile);
  g_test_add_func ("/gui/mobile/quit-while-confirming", test_quit_while_confirming);
  g_test_add_func ("/gui/mobile/request-while-confirming", test_request_while_confirming);
  g_test_add_func ("/gui/mobile/scan", test_scan);
  g_test_add_func ("/gui/mobile/autostart", test_autostart);
  g_test_add_func ("/gui/mobile/expiry", test_expiry);
  g_test_add_func ("/gui/mobile/background", test_background);
  g_test_add_func ("/gui/mobile/push-latency", test_latency);
  g_test_add_func ("/gui/mobile/failed-logins", test_failed_logins);

  ret = g_test_run ();
  gui_test_shutdown ();

  return ret;
}
