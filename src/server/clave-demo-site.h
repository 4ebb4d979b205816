/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "clave-server.h"

G_BEGIN_DECLS

/* The demo relying-party website ("Sede electrónica de demostración")
 * under /demo/ on the service's own port. It is a relying party like any
 * other, but it calls the internal API (clave-auth-requests.h) as the
 * seeded demo relying party instead of POST /v1/rp/requests. A browser
 * sees only the requests it created: each is bound to a secret cookie
 * issued on the first visit. */

#define CLAVE_DEMO_SITE_PATH        "/demo"
#define CLAVE_DEMO_SITE_COOKIE      "__Host-clave-demo"

#define CLAVE_TYPE_DEMO_SITE (clave_demo_site_get_type ())
G_DECLARE_FINAL_TYPE (ClaveDemoSite, clave_demo_site, CLAVE, DEMO_SITE, GObject)

/* Answers @msg completely when @path is /demo or below (returns TRUE);
 * FALSE leaves @msg alone. The site's state lives on @server, created
 * on the first call. */
gboolean  clave_demo_site_handle  (ClaveServer        *server,
                                   SoupServerMessage  *msg,
                                   const char         *path);

/* @text as a QR code (error correction M, quiet zone of 4 modules) in an
 * inline SVG: one <path> with a square per dark module, one unit each. */
char     *clave_demo_site_qr_svg  (const char         *text,
                                   GError            **error);

G_END_DECLS
