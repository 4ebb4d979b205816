/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "clave-demo-session.h"
#include "clave-demo-site.h"
#include "clave-server.h"

G_BEGIN_DECLS

/* What the parts of the demo website (clave-demo-site.c, the relying
 * party; clave-demo-permanente.c, the Cl@ve Permanente activation pages)
 * share: their browsers' sessions and the way they answer. */

ClaveDemoSessions *_clave_demo_site_get_sessions        (ClaveDemoSite     *self);
void               _clave_demo_reply_html               (SoupServerMessage *msg,
                                                         guint              status,
                                                         const char        *page);
/* A page that only says @text (an error) under @title. */
void               _clave_demo_reply_message_page       (SoupServerMessage *msg,
                                                         guint              status,
                                                         const char        *title,
                                                         const char        *text);
gboolean           _clave_demo_method_is_get            (SoupServerMessage *msg);
void               _clave_demo_reply_method_not_allowed (SoupServerMessage *msg,
                                                         const char        *allow);
/* The fields of a POSTed form whose CSRF token matches the browser's
 * cookie (*@cookie), or NULL after answering with an error page. */
GHashTable        *_clave_demo_read_checked_form        (ClaveDemoSite     *self,
                                                         SoupServerMessage *msg,
                                                         char             **cookie);

/* The Cl@ve Permanente activation pages under /demo/permanente/: TRUE
 * when @path is theirs (answered). */
gboolean           _clave_demo_permanente_handle        (ClaveDemoSite     *self,
                                                         ClaveServer       *server,
                                                         SoupServerMessage *msg,
                                                         const char        *path);

G_END_DECLS
