/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-document.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_CONTRAST_FORM (clave_contrast_form_get_type ())
G_DECLARE_FINAL_TYPE (ClaveContrastForm, clave_contrast_form, CLAVE, CONTRAST_FORM, AdwBin)

/* The contrast data of a document the app already knows (the activated
 * device's): a DNI's validity date, or a permanent DNI's issue date, or a
 * NIE's support number, checked as typed (clave-contrast-input.c), with
 * where to find them. "changed" when the value may have changed,
 * "activate" when Enter is pressed in a field. */

/* Empties the form and asks what @type needs. */
void               clave_contrast_form_reset       (ClaveContrastForm *self,
                                                    ClaveDocumentType  type);
ClaveContrastKind  clave_contrast_form_get_kind    (ClaveContrastForm *self);
/* The wire value, or NULL while what is typed is not valid. */
const char        *clave_contrast_form_get_value   (ClaveContrastForm *self);
/* Puts the focus in the field to type. */
void               clave_contrast_form_focus_field (ClaveContrastForm *self);

G_END_DECLS
