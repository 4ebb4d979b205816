/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-application.h"
#include "clave-document.h"

G_BEGIN_DECLS

typedef struct _ClaveWindow ClaveWindow;

#define CLAVE_TYPE_PAGE (clave_page_get_type ())
G_DECLARE_DERIVABLE_TYPE (ClavePage, clave_page, CLAVE, PAGE, AdwBin)

/**
 * ClavePageClass:
 * @shown: the page became the visible one; start its work here
 * @hidden: the page stopped being visible; its cancellable is already
 *   cancelled, remove timers here
 *
 * One screen of the window (gnome-software's GsPage pattern). A page's
 * work runs with clave_page_get_cancellable(), which is cancelled when the
 * person leaves the page or closes the window.
 */
struct _ClavePageClass
{
  AdwBinClass parent_class;

  void (*shown)  (ClavePage *self);
  void (*hidden) (ClavePage *self);
};

const char       *clave_page_get_title       (ClavePage   *self);
void              clave_page_set_title       (ClavePage   *self,
                                              const char  *title);
ClaveWindow      *clave_page_get_window      (ClavePage   *self);
ClaveApplication *clave_page_get_application (ClavePage   *self);
GCancellable     *clave_page_get_cancellable (ClavePage   *self);
/* While a page works, its fields are insensitive. A text field losing
 * its sensitivity while focused keeps blinking its cursor (and GTK warns),
 * so the focus is taken off the page and given back afterwards. */
void              clave_page_park_focus      (ClavePage   *self);
void              clave_page_restore_focus   (ClavePage   *self);
/* For the dispose() of subclasses: drops the page's child first, as
 * gtk_widget_dispose_template() would unparent a child with an id behind
 * AdwBin's back. */
void              clave_page_dispose_template (ClavePage  *self,
                                               GType       type);
/* For the pages that ask a code the service sent: TRUE when @code is
 * CLAVE_SMS_CODE_DIGITS digits; and what a wrong one with @attempts_left
 * (more than 0) says. */
gboolean          clave_page_code_is_complete (const char *code);
/* The type of the activated device's document (UNKNOWN without one), for
 * the pages that ask its contrast data. */
ClaveDocumentType clave_page_get_document_type (ClavePage *self);
char             *clave_page_wrong_code_message (guint     attempts_left);
/* Called by the window when the visible page changes. */
void              clave_page_shown           (ClavePage   *self);
void              clave_page_hidden          (ClavePage   *self);

G_END_DECLS
