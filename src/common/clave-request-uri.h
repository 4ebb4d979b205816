/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* clave: request URIs (docs/protocol.md "Cl@ve Móvil"): what a relying
 * party puts in its QR code and its "open in Clave Desktop" link.
 *
 *   clave:request?id=req_XXXXXXXX&code=123
 *
 * API for the app:
 *   clave_request_uri_parse ()    strict parse: id and code out
 *   clave_request_uri_format ()   the canonical text of a request URI
 *   clave_request_id_is_valid ()  ^req_[A-Za-z0-9_-]{8,64}$
 *   clave_request_code_is_valid () exactly 3 digits
 */

#include <glib.h>

#include "clave-protocol.h"

G_BEGIN_DECLS

/**
 * ClaveRequestUriError:
 * @CLAVE_REQUEST_URI_ERROR_INVALID: not a clave: request URI (wrong scheme,
 *   path, parameters, id or code)
 */
typedef enum {
  CLAVE_REQUEST_URI_ERROR_INVALID,
} ClaveRequestUriError;

#define CLAVE_REQUEST_URI_ERROR (clave_request_uri_error_quark ())
GQuark   clave_request_uri_error_quark (void);

gboolean clave_request_id_is_valid     (const char  *id);
gboolean clave_request_code_is_valid   (const char  *code);

/* Parses "clave:request?id=…&code=…" (parameters in either order, each
 * exactly once, nothing else; the scheme is case-insensitive; blanks
 * around the text, as pasted, are ignored). @id and @code (optional) get
 * newly allocated strings. The error message is translated. */
gboolean clave_request_uri_parse       (const char  *uri,
                                        char       **id,
                                        char       **code,
                                        GError     **error);

/* "clave:request?id=@id&code=@code"; NULL if either is not valid. */
char    *clave_request_uri_format      (const char  *id,
                                        const char  *code);

G_END_DECLS
