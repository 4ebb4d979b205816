/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* RFC 8259 JSON, by the RFC's grammar, for the targets that read JSON
 * (fuzz-http-json.c, fuzz-push-frame.c): what a strict reader of the
 * protocol takes, written apart from the service's own check so that the
 * two can be compared. On the way it notes what the protocol refuses on
 * top of the grammar (docs/protocol.md "Transport"): the deepest nesting, a
 * \u0000 escape, an escape of a lone UTF-16 surrogate (which the grammar
 * allows). UTF-8 is for the caller to check. */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *p;
  const char *end;
  guint       depth;
  guint       max_depth;       /* objects and arrays, nested */
  gboolean    nul_escape;      /* a \u0000 */
  gboolean    lone_surrogate;  /* a \uD800-\uDFFF not in a pair */
} FuzzJson;

/* Nesting past this is not read (FALSE). */
#define FUZZ_JSON_MAX_DEPTH 512

/* TRUE when @data is one JSON text (blanks around allowed); @info tells the
 * rest, as far as it read. */
gboolean     fuzz_json_rfc8259  (const char *data,
                                 gsize       size,
                                 FuzzJson   *info);
/* The first character of @data after JSON blanks ("" at the end). */
const char  *fuzz_json_skip_ws  (const char *data,
                                 gsize       size);

G_END_DECLS
