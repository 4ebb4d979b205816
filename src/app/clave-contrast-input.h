/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "clave-document.h"

G_BEGIN_DECLS

/* The document's contrast data as a person types them (a DNI's validity
 * or issue date, a NIE's support number), checked the same way wherever
 * they are asked: identification and the change of e-mail. */

/* The wire value of @text as contrast data of @kind, or NULL while it is
 * not valid. *@hint is what to say under the field (NULL: nothing); it is
 * an error (*@hint_is_error) only once the text cannot be right: the
 * person has left the field (@touched) or typed a whole value. */
char       *clave_contrast_input_check      (ClaveContrastKind   kind,
                                             const char         *text,
                                             gboolean            touched,
                                             char              **hint,
                                             gboolean           *hint_is_error);
/* The title of a DNI's date field, with its mnemonic. */
const char *clave_contrast_input_date_title (gboolean            permanent);
/* Where the date is on the card (and that it can be picked on a
 * @calendar). */
const char *clave_contrast_input_date_help  (gboolean            permanent,
                                             gboolean            calendar);
/* Shows @hint under a field: dimmed, or in the error style. */
void        clave_contrast_input_show_hint  (GtkLabel           *label,
                                             const char         *hint,
                                             gboolean            is_error);

G_END_DECLS
