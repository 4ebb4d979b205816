/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "clave-page.h"

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

/* Writes the receipt @page shows to @file. */
typedef gboolean (*ClaveReceiptWriteFunc) (ClavePage  *page,
                                           GFile      *file,
                                           GError    **error);
/* Says on @page why the receipt could not be written. */
typedef void     (*ClaveReceiptFailFunc)  (ClavePage  *page,
                                           const char *message);

/* Save Receipt… of @page: a modal file chooser offering @file_name and
 * PDF documents, then @write to the file chosen ("Receipt saved" as a
 * toast, or @fail with the reason). Nothing while one is open. */
void clave_receipt_save   (ClavePage            *page,
                           const char           *file_name,
                           ClaveReceiptWriteFunc write,
                           ClaveReceiptFailFunc  fail);
/* Closes @page's chooser, if one is open (the page is left or goes). */
void clave_receipt_cancel (ClavePage            *page);

G_END_DECLS
