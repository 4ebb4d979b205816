/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether @data (@len bytes) is one strict JSON text (RFC 8259) in UTF-8
 * that json-glib reads as any other parser would: no text after the
 * value, no member name twice in an object, no \u0000, no lone
 * surrogate, at most 32 levels deep. Check a text with it before giving
 * it to json-glib: the service's request bodies, the push channel's
 * frames. */
gboolean clave_json_is_strict (const char *data,
                               gsize       len);

G_END_DECLS
