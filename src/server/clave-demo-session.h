/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The browsers of the demo website (clave-demo-site.c): each gets a
 * secret cookie on its first visit, its forms carry a CSRF token derived
 * from it, and it sees only the requests it made. */
typedef struct _ClaveDemoSessions ClaveDemoSessions;

ClaveDemoSessions *clave_demo_sessions_new            (void);
void               clave_demo_sessions_free           (ClaveDemoSessions *self);

/* The browser's cookie, or NULL when it sent none of the right form. */
char              *clave_demo_sessions_request_cookie (SoupServerMessage *msg);
/* The browser's cookie; a new one (set on the reply) when it has none. */
char              *clave_demo_sessions_ensure_cookie  (SoupServerMessage *msg);
/* The token a form for @cookie carries, and whether @form's matches. */
char              *clave_demo_sessions_csrf_token     (ClaveDemoSessions *self,
                                                       const char        *cookie);
gboolean           clave_demo_sessions_csrf_ok        (ClaveDemoSessions *self,
                                                       const char        *cookie,
                                                       GHashTable        *form);
/* Remembers that the browser of @cookie made the request @id (the
 * oldest of MAX_BOUND_REQUESTS go first), and asks it. */
void               clave_demo_sessions_bind_request   (ClaveDemoSessions *self,
                                                       const char        *id,
                                                       const char        *cookie);
gboolean           clave_demo_sessions_owns           (ClaveDemoSessions *self,
                                                       const char        *id,
                                                       const char        *cookie);

/* Letters, digits, '-' and '_' only, 1 to @max_len of them. */
gboolean           clave_demo_is_token                (const char        *text,
                                                       gsize              max_len);

G_END_DECLS
