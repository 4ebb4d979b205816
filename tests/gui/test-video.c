/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Registering by video identification from the app (issue 13), against
 * a real clave-server: Marta (not registered) chooses it on the
 * registration page, types her DNI, its validity date, her phone and
 * e-mail, the SMS code from the outbox, picks her pictures through the
 * real file chooser (one that is not a picture is refused on the page),
 * sends them for review; clave-admin rejects them with a reason the page
 * shows; she starts again and clave-admin approves; the page then leads
 * to activating this computer. */
#define G_LOG_DOMAIN "test-video"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "clave-gui-test.h"
#include "clave-test-files.h"
#include "clave-test-server.h"

#define PHONE "+34600777999"

static const char * const pictures[] = { "front", "back", "face1", "face2", "face3" };

static gboolean
chosen_is (GtkWidget *chooser,
           GFile     *file)
{
  g_autoptr(GFile) chosen = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  return chosen != NULL && g_file_equal (chosen, file);
}

/* Chooses @path with the real file chooser that @button opens. */
static void
choose_file (GuiFixture *fixture,
             const char *button,
             const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GtkWidget *chooser = NULL;
  GtkWidget *open;

  gui_activate (fixture, button);
  gui_wait_until ((chooser = gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG)) != NULL &&
                  gtk_widget_get_mapped (chooser));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (chooser)), ==, "Choose a Picture");
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, &error));
  g_assert_no_error (error);
  open = gtk_dialog_get_widget_for_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (open)), ==, "_Open");
  gui_wait_until (gtk_widget_get_sensitive (open));
  /* Selected once the folder is read. */
  gui_wait_until (chosen_is (chooser, file));
  gtk_widget_activate (open);
  gui_wait_until (gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) == NULL);
}

static const char *
video_step (GuiFixture *fixture)
{
  return gtk_stack_get_visible_child_name (
    GTK_STACK (gui_find (GTK_WIDGET (fixture->window), "video_stack")));
}

/* The data and the code: up to the pictures. */
static void
reach_pictures (GuiFixture *fixture,
                gboolean    first_time)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  gui_wait_for_page (fixture, "video-register");
  g_assert_cmpstr (video_step (fixture), ==, "data");
  g_assert_false (gui_sensitive (fixture, "video_continue_button"));
  gui_type (fixture, "video_document_row", "87654321X");
  gui_wait_until (gui_visible (fixture, "video_contrast_form"));
  gui_type (fixture, "video_contrast_form/contrast_date_row", "30/11/2029");
  gui_type (fixture, "video_phone_row", "+34 600 777 999");
  gui_type (fixture, "video_email_row", "marta@example.org");
  g_assert_true (gui_sensitive (fixture, "video_continue_button"));
  if (first_time)
    gui_screenshot (GTK_WIDGET (fixture->window), "video-data");
  gui_activate (fixture, "video_continue_button");
  gui_wait_until (g_strcmp0 (video_step (fixture), "code") == 0);
  g_assert_nonnull (strstr (gui_text (fixture, "video_code_label"), "******999"));

  code = clave_test_server_last_sms_code (fixture->server, PHONE, &error);
  g_assert_no_error (error);
  if (first_time)
    {
      /* A wrong code says how many tries are left. */
      gui_type (fixture, "video_code_row", "000000");
      gui_wait_until (gui_sensitive (fixture, "video_confirm_button"));
      gui_activate (fixture, "video_confirm_button");
      gui_wait_until (gui_visible (fixture, "video_error_label"));
      g_assert_nonnull (strstr (gui_text (fixture, "video_error_label"), "2 more times"));
    }
  gui_type (fixture, "video_code_row", code);
  gui_wait_until (gui_sensitive (fixture, "video_confirm_button"));
  gui_activate (fixture, "video_confirm_button");
  gui_wait_until (g_strcmp0 (video_step (fixture), "pictures") == 0);
  g_assert_false (gui_sensitive (fixture, "video_submit_button"));
}

/* The data, the code and five pictures from @dir, sent for review. */
static void
register_by_video (GuiFixture *fixture,
                   const char *dir,
                   gboolean    first_time)
{
  g_autoptr(GError) error = NULL;

  reach_pictures (fixture, first_time);
  if (first_time)
    {
      /* A file that is not a picture is refused here, and nothing sent. */
      g_autofree char *text = g_build_filename (dir, "notes.png", NULL);

      g_assert_true (g_file_set_contents (text, "not a picture", -1, &error));
      choose_file (fixture, "video_front_button", text);
      gui_wait_until (gui_visible (fixture, "video_error_label"));
      g_assert_cmpstr (gui_text (fixture, "video_error_label"), ==,
                       "This file is not a JPEG or PNG picture. Choose a photo.");
      g_assert_cmpstr (gui_subtitle (fixture, "video_front_row"), ==, "Not chosen yet");
    }
  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    {
      g_autofree char *name = g_strdup_printf ("picture-%u.png", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *button = g_strdup_printf ("video_%s_button", pictures[i]);
      g_autofree char *row = g_strdup_printf ("video_%s_row", pictures[i]);
      g_autoptr(GBytes) png = clave_test_png_new (480 + i, 640, (guint8) (40 * i));

      g_assert_true (g_file_set_contents (path, g_bytes_get_data (png, NULL),
                                          (gssize) g_bytes_get_size (png), &error));
      choose_file (fixture, button, path);
      /* Sent as chosen; the row says so. */
      gui_wait_until (g_str_has_prefix (gui_subtitle (fixture, row), "Sent, "));
    }
  gui_wait_until (gui_sensitive (fixture, "video_submit_button"));
  g_assert_cmpstr (gui_subtitle (fixture, "video_front_row"), ==, "Sent, 480 × 640");
  if (first_time)
    gui_screenshot (GTK_WIDGET (fixture->window), "video-pictures");
  gui_activate (fixture, "video_submit_button");
  gui_wait_until (g_strcmp0 (video_step (fixture), "status") == 0);
  g_assert_cmpstr (gui_text (fixture, "video_heading_label"), ==,
                   "Your pictures are with an office");
  g_assert_true (gui_visible (fixture, "video_check_button"));
}

/* The id of the one pending video identification, as the office lists it. */
static char *
pending_id (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = clave_test_server_admin (fixture->server, &error, "video", "list",
                                                  "--state", "pending", NULL);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (out, "vid_"));
  return g_strndup (out, strcspn (out, " "));
}

static void
run_video (GuiFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("clave-video-XXXXXX", &error);
  g_autofree char *id = NULL;
  g_autofree char *out = NULL;

  gui_activate (fixture, "home_register_button");
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_video_row");
  register_by_video (fixture, dir, TRUE);

  /* The office rejects; the page shows why after Check Now. */
  id = pending_id (fixture);
  out = clave_test_server_admin (fixture->server, &error, "video", "reject", id, "--reason",
                                 "La foto del DNI no se lee: repítala con más luz.", NULL);
  g_assert_no_error (error);
  gui_activate (fixture, "video_check_button");
  gui_wait_until (gui_visible (fixture, "video_reason_label"));
  g_assert_cmpstr (gui_text (fixture, "video_reason_label"), ==,
                   "La foto del DNI no se lee: repítala con más luz.");
  g_assert_true (gui_visible (fixture, "video_again_button"));
  gui_screenshot (GTK_WIDGET (fixture->window), "video-rejected");

  /* Again; approved; on to activating this computer. */
  gui_activate (fixture, "video_again_button");
  register_by_video (fixture, dir, FALSE);
  g_clear_pointer (&id, g_free);
  g_clear_pointer (&out, g_free);
  id = pending_id (fixture);
  out = clave_test_server_admin (fixture->server, &error, "video", "approve", id, NULL);
  g_assert_no_error (error);
  gui_activate (fixture, "video_check_button");
  gui_wait_until (gui_visible (fixture, "video_activate_button"));
  g_assert_cmpstr (gui_text (fixture, "video_heading_label"), ==, "You are registered in Cl@ve");
  gui_activate (fixture, "video_activate_button");
  gui_wait_for_page (fixture, "login");

  clave_test_remove_tree (dir);
}

static void
test_video (void)
{
  gui_run (TRUE, run_video);
}

/* Quitting (Ctrl+Q) while the file chooser of a picture is open closes
 * both, and the application finishes. */
static void
run_quit_while_choosing (GuiFixture *fixture)
{
  GtkWidget *chooser = NULL;

  gui_activate (fixture, "home_register_button");
  gui_wait_for_page (fixture, "not-registered");
  gui_activate (fixture, "not_registered_video_row");
  reach_pictures (fixture, FALSE);
  gui_activate (fixture, "video_back_button");
  gui_wait_until ((chooser = gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG)) != NULL &&
                  gtk_widget_get_mapped (chooser));
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  gui_settle (100);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
  g_assert_null (gui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG));
}

static void
test_quit_while_choosing (void)
{
  gui_run (TRUE, run_quit_while_choosing);
}

int
main (int   argc,
      char *argv[])
{
  if (!gui_test_init (&argc, &argv))
    return 0;

  g_test_add_func ("/video/register", test_video);
  g_test_add_func ("/video/quit-while-choosing", test_quit_while_choosing);

  return g_test_run ();
}
