/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-gui-test"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "clave-gui-test.h"
#include "clave-unlock-dialog.h"

static GTestDBus *test_bus;
static char      *system_data_dirs;
static guint      wakeup_id;

static gboolean
wakeup_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
gui_test_init (int    *argc,
               char ***argv)
{
  g_autofree char *dbus_daemon = NULL;
  const char *data_dirs = g_getenv ("XDG_DATA_DIRS");

  /* The per-test dirs hide the shared MIME database (without it GdkPixbuf
   * cannot tell an SVG icon) and the icon themes: those are read-only,
   * so each test reads them again. */
  system_data_dirs = g_strdup (data_dirs != NULL && *data_dirs != '\0'
                               ? data_dirs : "/usr/local/share:/usr/share");

  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* The translations of the build tree, for the tests that look at the
   * window in Spanish (LANGUAGE=es). */
  if (g_getenv ("CLAVE_TEST_LOCALEDIR") != NULL)
    {
      bindtextdomain (GETTEXT_PACKAGE, g_getenv ("CLAVE_TEST_LOCALEDIR"));
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      textdomain (GETTEXT_PACKAGE);
    }

  /* GtkApplication registers on the session bus; a private one keeps the
   * tests from meeting a running Clave Desktop or a missing bus. */
  dbus_daemon = g_find_program_in_path ("dbus-daemon");
  if (dbus_daemon != NULL)
    {
      /* GTestDBus unsets DISPLAY (against X11 bus autolaunch): keep it. */
      g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

      test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
      g_test_dbus_up (test_bus);
      if (display != NULL)
        g_setenv ("DISPLAY", display, TRUE);
    }

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display (run under Xvfb)\n");
      return FALSE;
    }
  adw_init ();

  /* The blocking iteration in gui_wait_until() needs to wake up to look
   * at the clock even when nothing happens. */
  wakeup_id = g_timeout_add (50, wakeup_cb, NULL);

  return TRUE;
}

void
gui_test_shutdown (void)
{
  g_clear_handle_id (&wakeup_id, g_source_remove);
  if (test_bus != NULL)
    {
      /* Not g_test_dbus_down(), which the last unref would also call:
       * GTK keeps its bus connection for good, so down() waits for it in
       * vain. The object goes with the process. */
      g_test_dbus_stop (test_bus);
    }
  g_clear_pointer (&system_data_dirs, g_free);
}

void
gui_iterate (void)
{
  g_main_context_iteration (NULL, TRUE);
}

void
gui_settle (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    gui_iterate ();
}

void
gui_fixture_set_service (GuiFixture *fixture,
                         const char *url,
                         const char *ca_file)
{
  g_settings_set_string (fixture->settings, "service-url", url);
  g_settings_set_string (fixture->settings, "ca-file", ca_file != NULL ? ca_file : "");
}

static void
on_activate (ClaveApplication *app,
             gpointer          user_data)
{
  GuiFixture *fixture = user_data;
  GuiTestFunc func = g_object_get_data (G_OBJECT (app), "gui-test-func");
  GList *windows;

  /* A second activation would only present the window again. */
  if (fixture->window != NULL || func == NULL)
    return;
  g_object_set_data (G_OBJECT (app), "gui-test-func", NULL);

  windows = gtk_application_get_windows (GTK_APPLICATION (app));
  g_assert_nonnull (windows);
  g_assert_true (CLAVE_IS_WINDOW (windows->data));
  fixture->window = g_object_ref (CLAVE_WINDOW (windows->data));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));

  func (fixture);

  /* Dialogs first, then the window, as closing them would; without
   * windows the application quits. */
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app))) != NULL)
    gtk_window_destroy (GTK_WINDOW (windows->data));
  gui_settle (50);
  g_assert_finalize_object (g_steal_pointer (&fixture->window));
}

void
gui_run (gboolean    with_server,
         GuiTestFunc func)
{
  GuiOptions options = { .no_server = !with_server };

  gui_run_with (&options, func);
}

/* A desktop's window manager gives the focus back to the window a
 * dialog belonged to when the dialog closes; under Xvfb nothing does, and
 * the app would think itself in the background (it locks "My requests"
 * then). */
static void
on_dialog_unmap (GtkWindow *dialog)
{
  GtkWindow *parent = gtk_window_get_transient_for (dialog);

  if (parent != NULL && gtk_widget_get_mapped (GTK_WIDGET (parent)))
    gtk_window_present (parent);
}

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window)
{
  g_signal_connect (window, "unmap", G_CALLBACK (on_dialog_unmap), NULL);
}

void
gui_run_with (const GuiOptions *options,
              GuiTestFunc       func)
{
  GuiFixture fixture = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;
  g_autofree char *dirs = NULL;
  int status;

  dirs = g_strjoin (":", g_getenv ("XDG_DATA_DIRS"), system_data_dirs, NULL);
  g_setenv ("XDG_DATA_DIRS", dirs, TRUE);
  /* GTK's file chooser records the files saved in recently-used.xbel
   * through one GtkRecentManager a process, whose file is in the data
   * folder of the test that made it; GLib makes no such folder, and
   * removes it after that test. Keep it there, as a person's home has it. */
  {
    g_autofree char *recent = NULL;
    g_autofree char *folder = NULL;

    g_object_get (gtk_recent_manager_get_default (), "filename", &recent, NULL);
    folder = g_path_get_dirname (recent);
    g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  }

  if (!options->no_server)
    {
      fixture.server = clave_test_server_start (options->server_args, &error);
      g_assert_no_error (error);
      g_assert_nonnull (fixture.server);
    }

  /* The memory backend lives as long as the process: start each test from
   * the defaults. */
  fixture.settings = g_settings_new (APP_ID);
  g_object_get (fixture.settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (fixture.settings, keys[i]);
  /* Closing the windows ends each test: no running on in the background
   * (the tests of that turn it on). */
  g_settings_set_boolean (fixture.settings, "run-in-background", FALSE);

  if (fixture.server != NULL)
    gui_fixture_set_service (&fixture, clave_test_server_get_base_url (fixture.server),
                             clave_test_server_get_ca_file (fixture.server));

  if (options->prepare != NULL)
    options->prepare (&fixture);

  /* GTK looked up its icon paths under the dirs of the first test. */
  {
    GtkIconTheme *theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());
    g_auto(GStrv) system_dirs = g_strsplit (system_data_dirs, ":", -1);

    for (guint i = 0; system_dirs[i] != NULL; i++)
      {
        g_autofree char *icons = g_build_filename (system_dirs[i], "icons", NULL);

        gtk_icon_theme_add_search_path (theme, icons);
      }
  }

  fixture.app = clave_application_new ();
  g_object_set_data (G_OBJECT (fixture.app), "gui-test-func", func);
  g_signal_connect_after (fixture.app, "activate", G_CALLBACK (on_activate), &fixture);
  g_signal_connect (fixture.app, "window-added", G_CALLBACK (on_window_added), NULL);

  status = g_application_run (G_APPLICATION (fixture.app), 0, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_null (g_object_get_data (G_OBJECT (fixture.app), "gui-test-func"));

  g_assert_finalize_object (g_steal_pointer (&fixture.app));
  g_clear_object (&fixture.settings);

  if (fixture.server != NULL)
    clave_test_server_stop (g_steal_pointer (&fixture.server));
}

char *
gui_closed_port_url (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  char *url;

  /* A port that was free a moment ago, closed again. */
  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("https://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_listener_close (listener);

  return url;
}

/* Finding widgets */

static GtkWidget *
find_in (GtkWidget *widget,
         gboolean (*match) (GtkWidget *, gconstpointer),
         gconstpointer data)
{
  if (match (widget, data))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_in (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
find_anywhere (GtkWidget *root,
               gboolean (*match) (GtkWidget *, gconstpointer),
               gconstpointer data)
{
  g_autoptr(GListModel) toplevels = NULL;

  if (root != NULL)
    return find_in (root, match, data);

  toplevels = g_object_ref (gtk_window_get_toplevels ());
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);
      GtkWidget *found = find_in (window, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
match_id (GtkWidget     *widget,
          gconstpointer  data)
{
  /* Pages made when first shown carry their id as widget name. */
  return g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), data) == 0
         || (CLAVE_IS_PAGE (widget) && g_strcmp0 (gtk_widget_get_name (widget), data) == 0);
}

static gboolean
match_label (GtkWidget     *widget,
             gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), data) == 0;
}

static gboolean
match_button (GtkWidget     *widget,
              gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), data) == 0;
}

static gboolean
match_type (GtkWidget     *widget,
            gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

GtkWidget *
gui_try_find (GtkWidget  *root,
              const char *id)
{
  const char *slash = strchr (id, '/');
  g_autofree char *outer = NULL;
  GtkWidget *within;

  if (slash == NULL)
    return find_anywhere (root, match_id, id);

  /* "form/field": a widget of a composite used more than once. */
  outer = g_strndup (id, (gsize) (slash - id));
  within = find_anywhere (root, match_id, outer);
  return within != NULL ? gui_try_find (within, slash + 1) : NULL;
}

GtkWidget *
gui_find (GtkWidget  *root,
          const char *id)
{
  GtkWidget *widget = gui_try_find (root, id);

  if (widget == NULL)
    g_error ("No widget with id “%s”", id);

  return widget;
}

GtkWidget *
gui_find_toplevel (GType type)
{
  g_autoptr(GListModel) toplevels = g_object_ref (gtk_window_get_toplevels ());

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (match_type (window, GSIZE_TO_POINTER (type)) && gtk_widget_get_visible (window))
        return window;
    }

  return NULL;
}

GtkWidget *
gui_find_label (GtkWidget  *root,
                const char *text)
{
  return find_anywhere (root, match_label, text);
}

GtkWidget *
gui_find_button (GtkWidget  *root,
                 const char *label)
{
  return find_anywhere (root, match_button, label);
}

/* Reading and acting */

const char *
gui_page (GuiFixture *fixture)
{
  return clave_window_get_page_name (fixture->window);
}

const char *
gui_text (GuiFixture *fixture,
          const char *id)
{
  GtkWidget *widget = gui_find (GTK_WIDGET (fixture->window), id);

  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_EDITABLE (widget))
    return gtk_editable_get_text (GTK_EDITABLE (widget));
  if (ADW_IS_PREFERENCES_ROW (widget))
    return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget));

  g_error ("Widget “%s” (%s) shows no text", id, G_OBJECT_TYPE_NAME (widget));
  return NULL;
}

const char *
gui_subtitle (GuiFixture *fixture,
              const char *id)
{
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (gui_find (GTK_WIDGET (fixture->window),
                                                                id)));
}

gboolean
gui_visible (GuiFixture *fixture,
             const char *id)
{
  GtkWidget *widget = gui_find (GTK_WIDGET (fixture->window), id);

  /* Visible on screen: this widget and all its parents, and the visible
   * child wherever a stack chooses. */
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    {
      GtkWidget *parent = gtk_widget_get_parent (widget);

      if (!gtk_widget_get_visible (widget))
        return FALSE;
      if (GTK_IS_STACK (parent) && gtk_stack_get_visible_child (GTK_STACK (parent)) != widget)
        return FALSE;
    }

  return TRUE;
}

gboolean
gui_sensitive (GuiFixture *fixture,
               const char *id)
{
  return gtk_widget_is_sensitive (gui_find (GTK_WIDGET (fixture->window), id));
}

void
gui_type (GuiFixture *fixture,
          const char *id,
          const char *text)
{
  GtkWidget *widget = gui_find (GTK_WIDGET (fixture->window), id);

  g_assert_true (GTK_IS_EDITABLE (widget));
  g_assert_true (gtk_widget_is_sensitive (widget));
  gtk_widget_grab_focus (widget);
  gtk_editable_set_text (GTK_EDITABLE (widget), text);
}

void
gui_activate_widget (GtkWidget *widget)
{
  g_assert_true (gtk_widget_get_visible (widget));
  g_assert_true (gtk_widget_is_sensitive (widget));

  /* A click: GtkButton's own "activate" only clicks after showing the
   * pressed state for a while. */
  if (GTK_IS_BUTTON (widget))
    {
      g_signal_emit_by_name (widget, "clicked");
      return;
    }

  if (ADW_IS_ACTION_ROW (widget))
    {
      const char *action = gtk_actionable_get_action_name (GTK_ACTIONABLE (widget));

      /* What a click on the row does: its action, or its "activated". */
      if (action != NULL)
        g_assert_true (gtk_widget_activate_action (widget, action, NULL));
      else
        adw_action_row_activate (ADW_ACTION_ROW (widget));
      return;
    }

  g_assert_true (gtk_widget_activate (widget));
}

/* The item of @popover (a GtkPopoverMenu of a menu model) shown as
 * @label, or NULL. */
static GtkWidget *
find_menu_item (GtkWidget  *popover,
                const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (popover); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (g_strcmp0 (G_OBJECT_TYPE_NAME (child), "GtkModelButton") == 0)
        {
          g_autofree char *text = NULL;

          g_object_get (child, "text", &text, NULL);
          if (g_strcmp0 (text, label) == 0)
            return child;
        }
      if ((found = find_menu_item (child, label)) != NULL)
        return found;
    }
  return NULL;
}

void
gui_choose_menu_item (GuiFixture *fixture,
                      const char *button_id,
                      const char *label)
{
  GtkMenuButton *button = GTK_MENU_BUTTON (gui_find (GTK_WIDGET (fixture->window), button_id));
  GtkWidget *popover;
  GtkWidget *item;

  gui_activate_widget (GTK_WIDGET (button));
  popover = GTK_WIDGET (gtk_menu_button_get_popover (button));
  g_assert_nonnull (popover);
  gui_wait_until (gtk_widget_get_mapped (popover));
  item = find_menu_item (popover, label);
  g_assert_nonnull (item);
  g_assert_true (gtk_widget_is_sensitive (item));
  gui_activate_widget (item);
  gui_wait_until (!gtk_widget_get_mapped (popover));
}

static GtkWidget *
find_descendant_of_type (GtkWidget *root,
                         GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant_of_type (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Whether a label below @widget shows @text. */
static gboolean
shows_label (GtkWidget  *widget,
             const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return gtk_widget_get_visible (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_label (child, text))
      return TRUE;
  return FALSE;
}

void
gui_choose_combo_item (GtkWidget  *root,
                       const char *row_id,
                       const char *label)
{
  GtkWidget *row = gui_find (root, row_id);
  GtkWidget *popover;
  GtkWidget *list;
  GtkWidget *item = NULL;
  guint position = 0;

  g_assert_true (ADW_IS_COMBO_ROW (row));
  gui_activate_widget (row);
  popover = find_descendant_of_type (row, GTK_TYPE_POPOVER);
  g_assert_nonnull (popover);
  gui_wait_until (gtk_widget_get_mapped (popover));

  /* The list shows one row widget an item, in order. */
  list = find_descendant_of_type (popover, GTK_TYPE_LIST_VIEW);
  g_assert_nonnull (list);
  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL && item == NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (!gtk_widget_get_visible (child) || GTK_IS_SCROLLBAR (child))
        continue;
      if (shows_label (child, label))
        item = child;
      else
        position++;
    }
  g_assert_nonnull (item);

  /* What a click on the item does: it selects the item, then activates
   * it. */
  g_assert_true (gtk_widget_activate_action (item, "listitem.select", "(bb)", FALSE, FALSE));
  g_assert_true (gtk_widget_activate_action (list, "list.activate-item", "u", position));
  gui_wait_until (!gtk_widget_get_mapped (popover));
}

void
gui_activate (GuiFixture *fixture,
              const char *id)
{
  gui_activate_widget (gui_find (GTK_WIDGET (fixture->window), id));
}

void
gui_wait_for_page (GuiFixture *fixture,
                   const char *name)
{
  gui_wait_until (g_strcmp0 (gui_page (fixture), name) == 0);
  /* The page slides in: let it be drawn before looking at it. */
  gui_settle (50);
}

void
gui_screenshot (GtkWidget  *widget,
                const char *name)
{
  const char *dir = g_getenv ("CLAVE_GUI_SCREENSHOTS");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkNative *native;
  int width, height;

  if (dir == NULL || *dir == '\0')
    return;

  native = gtk_widget_get_native (widget);
  widget = GTK_WIDGET (native);
  /* Let the transitions finish. */
  gui_settle (400);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (native), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_strdup_printf ("%s/%s.png", dir, name);
  gdk_texture_save_to_png (texture, path);
  g_test_message ("Screenshot: %s", path);
}

static GtkWidget *
find_running_transition (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_widget_get_mapped (widget) &&
      gtk_stack_get_transition_running (GTK_STACK (widget)))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_running_transition (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static int
min_width (GtkWidget *widget)
{
  int minimum = 0;

  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  return minimum;
}

int
gui_min_width (GtkWidget *window)
{
  int minimum = 0;

  /* A stack in a transition measures as wide as the child it leaves
   * was: look once the pages have settled. */
  gui_settle (100);
  gui_wait_until (find_running_transition (window) == NULL);

  /* What is inside the window (its content and title bar), without the
   * frame that a window has on the desktop but not maximized on a phone,
   * nor the main window's own width-request. */
  for (GtkWidget *child = gtk_widget_get_first_child (window); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_visible (child) && !GTK_IS_NATIVE (child))
      minimum = MAX (minimum, min_width (child));

  return minimum;
}

char *
gui_describe_widest (GtkWidget *widget)
{
  GString *path = g_string_new (NULL);

  /* Down the widest child at each level to what sets the width: a label
   * that does not wrap, a row of widgets side by side… */
  while (widget != NULL)
    {
      const char *id = GTK_IS_BUILDABLE (widget)
                       ? gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)) : NULL;
      GtkWidget *widest = NULL;
      int widest_width = -1;

      g_string_append_printf (path, "%s%s%s%s %d px", path->len > 0 ? "\n  > " : "",
                              G_OBJECT_TYPE_NAME (widget), id != NULL ? "#" : "",
                              id != NULL ? id : "", min_width (widget));
      if (GTK_IS_LABEL (widget))
        g_string_append_printf (path, " “%s”", gtk_label_get_text (GTK_LABEL (widget)));

      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        {
          int child_width;

          if (!gtk_widget_get_visible (child) || GTK_IS_NATIVE (child))
            continue;
          child_width = min_width (child);
          if (child_width > widest_width)
            {
              widest = child;
              widest_width = child_width;
            }
        }
      widget = widest;
    }

  return g_string_free (path, FALSE);
}

void
gui_assert_window_fits_width (GtkWidget  *window,
                              int         width,
                              const char *what)
{
  int minimum = gui_min_width (window);

  if (minimum > width)
    {
      g_autofree char *widest = gui_describe_widest (window);

      g_error ("“%s” needs %d px, more than %d px:\n  %s", what, minimum, width, widest);
    }
}

void
gui_assert_fits_width (GuiFixture *fixture,
                       int         width)
{
  g_autofree char *what = g_strdup_printf ("The page %s", gui_page (fixture));

  gui_assert_window_fits_width (GTK_WIDGET (fixture->window), width, what);
}

void
gui_log_in (GuiFixture *fixture,
            const char *document,
            const char *date)
{
  g_assert_cmpstr (gui_page (fixture), ==, "home");
  gui_activate (fixture, "home_login_button");
  gui_wait_for_page (fixture, "login");
  gui_type (fixture, "login_document_row", document);
  gui_type (fixture, "login_date_row", date);
  gui_activate (fixture, "login_continue_button");
}

void
gui_set_device_pin_and_finish (GuiFixture *fixture,
                               const char *pin)
{
  gui_type (fixture, "pin_row", pin);
  gui_type (fixture, "pin_repeat_row", pin);
  gui_activate (fixture, "pin_activate_button");
  gui_wait_for_page (fixture, "done");
  gui_activate (fixture, "done_continue_button");
  gui_wait_for_page (fixture, "home");
}

void
gui_reach_set_pin (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  gui_log_in (fixture, "12345678Z", "04/05/2031");
  gui_wait_for_page (fixture, "activate-method");

  gui_activate (fixture, "method_sms_row");
  gui_wait_for_page (fixture, "sms-code");
  g_assert_cmpstr (gui_text (fixture, "sms_heading_label"), ==, "We sent a code to ******789");

  code = clave_test_server_last_sms_code (fixture->server, "+34600111789", &error);
  g_assert_no_error (error);
  gui_submit_sms_code (fixture, code);
  gui_wait_for_page (fixture, "set-pin");
}

void
gui_submit_sms_code (GuiFixture *fixture,
                     const char *code)
{
  g_assert_cmpuint (strlen (code), ==, 6);
  /* The sixth digit submits the code, as Verify would. */
  gui_type (fixture, "sms_code_entry", code);
  g_assert_false (gui_sensitive (fixture, "sms_verify_button"));
}

char *
gui_activate_demo_device (GuiFixture *fixture,
                          const char *pin)
{
  g_autofree char *device_id = NULL;

  gui_reach_set_pin (fixture);

  gui_type (fixture, "pin_row", pin);
  gui_type (fixture, "pin_repeat_row", pin);
  g_assert_cmpstr (gui_text (fixture, "pin_hint_label"), ==, "The PINs match.");
  gui_screenshot (GTK_WIDGET (fixture->window), "set-pin");
  gui_activate (fixture, "pin_activate_button");
  gui_wait_for_page (fixture, "done");

  device_id = g_settings_get_string (fixture->settings, "device-id");
  g_assert_cmpstr (device_id, !=, "");

  return g_steal_pointer (&device_id);
}

GtkWidget *
gui_wait_for_unlock_dialog (void)
{
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) != NULL);
  return gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG);
}

void
gui_unlock_with_pin (const char *pin)
{
  GtkWidget *dialog = gui_wait_for_unlock_dialog ();
  GtkWidget *entry = gui_find (dialog, "unlock_pin_entry");

  gtk_widget_grab_focus (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), pin);
  gui_activate_widget (gui_find (dialog, "unlock_button"));
  gui_wait_until (gui_find_toplevel (CLAVE_TYPE_UNLOCK_DIALOG) == NULL);
}
