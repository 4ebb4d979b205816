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
