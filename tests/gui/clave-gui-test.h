/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-application.h"
#include "clave-test-server.h"
#include "clave-window.h"

G_BEGIN_DECLS

/* How long a GUI test waits for something to show (PBKDF2 with 600,000
 * iterations, under sanitizers, on a busy machine). */
#define GUI_TIMEOUT_SECS 60

/* A device PIN the set-pin page accepts (123456 and other easy ones are
 * refused: clave_device_pin_check_strength()); not a card PIN. */
#define GUI_DEVICE_PIN   "802461"

typedef struct
{
  ClaveTestServer  *server;      /* NULL for tests without one */
  GSettings        *settings;
  ClaveApplication *app;
  ClaveWindow      *window;
} GuiFixture;

/* g_test_init() with isolated dirs, a private D-Bus session and GTK.
 * Returns FALSE (after printing a TAP skip plan) without a display. */
gboolean     gui_test_init             (int          *argc,
                                        char       ***argv);
void         gui_test_shutdown         (void);

typedef void (*GuiTestFunc) (GuiFixture *fixture);

/* Starts clave-server (unless @with_server is FALSE), points the profile
 * at it and runs the application as main.c does; @func runs once the
 * window is presented. Then the windows close, the application must
 * quit, and it and its window must be finalized. */
void         gui_run                   (gboolean      with_server,
                                        GuiTestFunc   func);

typedef struct
{
  gboolean            no_server;
  const char * const *server_args;  /* extra clave-server arguments */
  GuiTestFunc         prepare;      /* before the application starts */
} GuiOptions;

void         gui_run_with              (const GuiOptions *options,
                                        GuiTestFunc       func);
/* Points the profile at @url (and no CA), e.g. a closed port. */
void         gui_fixture_set_service   (GuiFixture   *fixture,
                                        const char   *url,
                                        const char   *ca_file);

/* "https://127.0.0.1:PORT" with nobody listening on PORT. */
char        *gui_closed_port_url       (void);

/* The widget with this id (from the .ui files) under @root, or in any
 * toplevel when @root is NULL; aborts the test when there is none. An id
 * "outer/inner" is the widget "inner" under the widget "outer" (the
 * parts of a composite used in several places). */
GtkWidget   *gui_find                  (GtkWidget    *root,
                                        const char   *id);
GtkWidget   *gui_try_find              (GtkWidget    *root,
                                        const char   *id);
/* A toplevel window of @type, or NULL. */
GtkWidget   *gui_find_toplevel         (GType         type);
/* A GtkLabel showing exactly @text under @root, or NULL. */
GtkWidget   *gui_find_label            (GtkWidget    *root,
                                        const char   *text);
/* A GtkButton whose label is @label (mnemonic underscores included). */
GtkWidget   *gui_find_button           (GtkWidget    *root,
                                        const char   *label);

const char  *gui_page                  (GuiFixture   *fixture);
const char  *gui_text                  (GuiFixture   *fixture,
                                        const char   *id);
/* The subtitle of the AdwActionRow @id. */
const char  *gui_subtitle              (GuiFixture   *fixture,
                                        const char   *id);
gboolean     gui_visible               (GuiFixture   *fixture,
                                        const char   *id);
gboolean     gui_sensitive             (GuiFixture   *fixture,
                                        const char   *id);
void         gui_type                  (GuiFixture   *fixture,
                                        const char   *id,
                                        const char   *text);
/* Activates a button or row the way a click or Enter would; the widget
 * must be visible and sensitive. */
void         gui_activate              (GuiFixture   *fixture,
                                        const char   *id);
void         gui_activate_widget       (GtkWidget    *widget);
/* Opens the menu of the GtkMenuButton @button_id and clicks its item
 * @label (as shown, without mnemonic underscores), as a person would:
 * the item must be there and sensitive. */
void         gui_choose_menu_item      (GuiFixture   *fixture,
                                        const char   *button_id,
                                        const char   *label);
/* Opens the combo row @row_id (inside @root) as a click does and picks
 * the item shown as @label in its list, as a click there does. */
void         gui_choose_combo_item     (GtkWidget    *root,
                                        const char   *row_id,
                                        const char   *label);

/* Runs the main loop until @cond holds, or fails the test after
 * GUI_TIMEOUT_SECS naming the condition. */
#define gui_wait_until(cond) \
  G_STMT_START { \
    gint64 _gui_end = g_get_monotonic_time () + GUI_TIMEOUT_SECS * G_USEC_PER_SEC; \
    while (!(cond)) \
      { \
        if (g_get_monotonic_time () > _gui_end) \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond); \
        gui_iterate (); \
      } \
  } G_STMT_END

void         gui_iterate               (void);
/* Lets drawing and idle work settle for about @ms milliseconds. */
void         gui_settle                (guint         ms);
void         gui_wait_for_page         (GuiFixture   *fixture,
                                        const char   *name);

/* Saves a PNG of @widget's window to $CLAVE_GUI_SCREENSHOTS/@name.png
 * when that variable is set (to look at the pages). */
void         gui_screenshot            (GtkWidget    *widget,
                                        const char   *name);

/* The window on its current page needs no more than @width pixels (a
 * phone is 360 px wide). */
void         gui_assert_fits_width     (GuiFixture   *fixture,
                                        int           width);
/* The same for any window (a dialog), named @what in the failure, which
 * also says which widgets set the width. */
void         gui_assert_window_fits_width (GtkWidget  *window,
                                        int           width,
                                        const char   *what);
/* The minimum width of what is inside @window (content and title bar,
 * not the desktop's window frame), once its pages have settled. */
int          gui_min_width             (GtkWidget    *window);
/* The chain of widest widgets under @widget, with their minimum widths. */
char        *gui_describe_widest       (GtkWidget    *widget);

/* The device-PIN dialog (ClaveUnlockDialog), once it shows. */
GtkWidget   *gui_wait_for_unlock_dialog (void);
/* Types @pin in the device-PIN dialog and presses its button, as a person
 * would; returns once the dialog is gone. */
void         gui_unlock_with_pin       (const char   *pin);

/* From the home page: types @document and @date and presses Continue. */
void         gui_log_in                (GuiFixture   *fixture,
                                        const char   *document,
                                        const char   *date);
/* On the set-pin page: sets @pin, then Continue on the done page. */
void         gui_set_device_pin_and_finish (GuiFixture *fixture,
                                        const char   *pin);

/* On the SMS code page: types the 6-digit @code, which submits it on its
 * own (no Verify click); the page is busy until the service answers. */
void         gui_submit_sms_code       (GuiFixture   *fixture,
                                        const char   *code);
/* Drives login and SMS code for the demo person 12345678Z up to the
 * set-pin page. */
void         gui_reach_set_pin         (GuiFixture   *fixture);
/* Drives login, SMS code and PIN for the demo person 12345678Z up to the
 * "done" page; returns the device id from the profile. */
char        *gui_activate_demo_device  (GuiFixture   *fixture,
                                        const char   *pin);

G_END_DECLS
