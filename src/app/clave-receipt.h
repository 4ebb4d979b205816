/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A receipt as a one-page A4 PDF (cairo and Pango): @title, then each
 * label and value of @fields (a NULL-terminated list: label, value,
 * label, value…), then @note (may be NULL) in a smaller type. Written to
 * @file (replaced); the values are shown as given. */
gboolean clave_receipt_write_pdf (GFile              *file,
                                  const char         *title,
                                  const char * const *fields,
                                  const char         *note,
                                  GError            **error);

G_END_DECLS
