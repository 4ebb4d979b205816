/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "gui-website.h"

void
gui_website_init (GuiWebsite *rp,
                  GuiFixture *fixture,
                  const char *name,
                  const char *origin)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;

  out = clave_test_server_admin (fixture->server, &error, "add-rp", "--name", name,
                                 "--origin", origin, NULL);
  g_assert_no_error (error);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "api_key: "))
      rp->api_key = g_strstrip (g_strdup (lines[i] + strlen ("api_key: ")));
  g_assert_nonnull (rp->api_key);
  g_assert_true (g_str_has_prefix (rp->api_key, "ck_"));

  database = g_tls_file_database_new (clave_test_server_get_ca_file (fixture->server), &error);
  g_assert_no_error (error);
  rp->session = soup_session_new_with_options ("tls-database", database, "timeout", 30, NULL);
  rp->base_url = g_strdup (clave_test_server_get_base_url (fixture->server));
}

void
gui_website_clear (GuiWebsite *rp)
{
  g_clear_object (&rp->session);
  g_clear_pointer (&rp->base_url, g_free);
  if (rp->api_key != NULL)
    memset (rp->api_key, 0, strlen (rp->api_key));
  g_clear_pointer (&rp->api_key, g_free);
}

JsonObject *
gui_website_call (GuiWebsite *rp,
                  const char *method,
                  const char *path,
                  const char *body,
                  guint       expected_status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *url = g_strconcat (rp->base_url, path, NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", rp->api_key, NULL);
  JsonNode *root;

  message = soup_message_new (method, url);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                authorization);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  answer = soup_session_send_and_read (rp->session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, expected_status);

  json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                              (gssize) g_bytes_get_size (answer), &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

char *
gui_website_request_status (GuiWebsite *rp,
                            const char *id)
{
  g_autofree char *path = g_strconcat ("/v1/rp/requests/", id, NULL);
  g_autoptr(JsonObject) object = gui_website_call (rp, "GET", path, NULL, 200);

  return g_strdup (json_object_get_string_member (object, "status"));
}

static GPtrArray *notifications;

static void
notifications_method_call (GDBusConnection       *connection,
                           const char            *sender,
                           const char            *object_path,
                           const char            *interface_name,
                           const char            *method_name,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation,
                           gpointer               user_data)
{
  if (g_strcmp0 (method_name, "AddNotification") == 0)
    {
      g_autoptr(GVariant) notification = NULL;
      const char *title = NULL;
      const char *id = NULL;

      g_variant_get (parameters, "(&s&s@a{sv})", NULL, &id, &notification);
      g_variant_lookup (notification, "title", "&s", &title);
      g_ptr_array_add (notifications, g_strdup_printf ("%s|%s", id, title));
    }

  g_dbus_method_invocation_return_value (invocation, NULL);
}

GPtrArray *
gui_notifications_start (void)
{
  static const char xml[] =
    "<node><interface name='org.gtk.Notifications'>"
    "<method name='AddNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
    "<arg type='a{sv}' direction='in'/></method>"
    "<method name='RemoveNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/></method>"
    "</interface></node>";
  static const GDBusInterfaceVTable vtable = { notifications_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (notifications != NULL)
    return notifications;

  notifications = g_ptr_array_new_with_free_func (g_free);
  info = g_dbus_node_info_new_for_xml (xml, NULL);
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL)
    return notifications;
  g_dbus_connection_register_object (bus, "/org/gtk/Notifications", info->interfaces[0],
                                     &vtable, NULL, NULL, NULL);
  /* 4: DBUS_NAME_FLAG_DO_NOT_QUEUE */
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.gtk.Notifications", 4),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  return notifications;
}

/* The text of @body between @before and @after (asserted to be there). */
static char *
between (const char *body,
         const char *before,
         const char *after)
{
  const char *start = strstr (body, before);
  const char *end;

  g_assert_nonnull (start);
  start += strlen (before);
  end = strstr (start, after);
  g_assert_nonnull (end);
  return g_strndup (start, (gsize) (end - start));
}

/* POSTs the form @fields (name, value, …, NULL) with the browser's
 * cookie; returns the page, after asserting @expected_status. */
static char *
browser_post (SoupSession *session,
              const char  *url,
              const char  *cookie,
              guint        expected_status,
              ...)
{
  g_autoptr(GHashTable) fields = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;
  const char *name;
  va_list args;

  va_start (args, expected_status);
  while ((name = va_arg (args, const char *)) != NULL)
    g_hash_table_insert (fields, (gpointer) name, va_arg (args, char *));
  va_end (args);
  encoded = soup_form_encode_hash (fields);
  body = g_bytes_new (encoded, strlen (encoded));
  soup_message_set_request_body_from_bytes (message, "application/x-www-form-urlencoded", body);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Cookie", cookie);
  answer = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, expected_status);
  return g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
}

char *
gui_browser_activate_permanente (GuiFixture *fixture,
                                 const char *document,
                                 const char *email,
                                 const char *code,
                                 const char *password)
{
  const char *base = clave_test_server_get_base_url (fixture->server);
  g_autofree char *start_url = g_strconcat (base, "/demo/permanente/", NULL);
  g_autofree char *activate_url = g_strconcat (base, "/demo/permanente/activar", NULL);
  g_autofree char *sms_url = g_strconcat (base, "/demo/permanente/sms", NULL);
  g_autofree char *password_url = g_strconcat (base, "/demo/permanente/clave", NULL);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *start = NULL;
  g_autofree char *cookie = NULL;
  g_autofree char *csrf = NULL;
  g_autofree char *sms_page = NULL;
  g_autofree char *id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *sms = NULL;
  g_autofree char *password_page = NULL;
  const char *set_cookie;

  database = g_tls_file_database_new (clave_test_server_get_ca_file (fixture->server), &error);
  g_assert_no_error (error);
  session = soup_session_new_with_options ("tls-database", database, "timeout", 30, NULL);

  message = soup_message_new ("GET", start_url);
  answer = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_OK);
  set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                             "Set-Cookie");
  g_assert_nonnull (set_cookie);
  cookie = between (set_cookie, "", ";");
  start = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  csrf = between (start, "name=\"csrf\" value=\"", "\"");

  sms_page = browser_post (session, activate_url, cookie, SOUP_STATUS_OK, "csrf", csrf,
                           "document", document, "email", email, "code", code, NULL);
  id = between (sms_page, "name=\"id\" value=\"", "\"");
  token = between (sms_page, "name=\"token\" value=\"", "\"");
  g_assert_nonnull (strstr (sms_page, "terminado en "));
  {
    g_autofree char *shown = clave_test_server_admin (fixture->server, &error, "show", document,
                                                      "--json", NULL);
    g_autoptr(JsonParser) parser = json_parser_new ();

    g_assert_no_error (error);
    g_assert_true (json_parser_load_from_data (parser, shown, -1, NULL));
    sms = clave_test_server_last_sms_code (
      fixture->server,
      json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                     "phone"),
      &error);
    g_assert_no_error (error);
  }
  password_page = browser_post (session, sms_url, cookie, SOUP_STATUS_OK, "csrf", csrf,
                                "id", id, "token", token, "code", sms, NULL);
  return browser_post (session, password_url, cookie, SOUP_STATUS_OK, "csrf", csrf, "id", id,
                       "token", token, "password", password, "repeat", password, NULL);
}
