/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The demo website's HTML templates (the .html files of src/server/demo, in the
 * GResource under /io/github/clavedesktop/ClaveServer/demo/).
 *
 * A template is HTML with placeholders: {{name}} is replaced by the
 * value of @name escaped for HTML text and attributes, {{{name}}} by the
 * value as it is (for fragments this site rendered itself from other
 * templates, never for what a person typed). There is no logic in a
 * template: what varies is chosen in C, which renders the fragment and
 * passes it in.
 *
 * Renders template @name ("page.html") with the NULL-terminated list of
 * name, value pairs that follows (a NULL value renders as nothing). A
 * missing template, a placeholder without a value or a value without a
 * placeholder is a bug: it is reported with g_critical() (tests fail on
 * it) and renders as nothing. */
char *clave_demo_template_render (const char *name,
                                  ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
