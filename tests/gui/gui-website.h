/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clave-gui-test.h"

G_BEGIN_DECLS

/* A website (relying party) of the test service, as the GUI tests drive
 * it: registered with clave-admin, calling the relying-party API. */
typedef struct
{
  SoupSession *session;
  char        *base_url;
  char        *api_key;
} GuiWebsite;

void         gui_website_init          (GuiWebsite   *rp,
                                        GuiFixture   *fixture,
                                        const char   *name,
                                        const char   *origin);
void         gui_website_clear         (GuiWebsite   *rp);
/* A call of the relying-party API; asserts @expected_status and returns
 * the JSON object answered. */
JsonObject  *gui_website_call          (GuiWebsite   *rp,
                                        const char   *method,
                                        const char   *path,
                                        const char   *body,
                                        guint         expected_status);
/* The status of the request @id ("pending", "confirmed", …). */
char        *gui_website_request_status (GuiWebsite  *rp,
                                        const char   *id);

/* Owns org.gtk.Notifications on the session bus, so that the app's
 * notifications reach it; returns what it received so far, "id|title"
 * each, newest last (owned by this file, alive until the process ends). */
GPtrArray   *gui_notifications_start   (void);

G_END_DECLS
