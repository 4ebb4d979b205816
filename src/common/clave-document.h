/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-error.h"

G_BEGIN_DECLS

typedef enum {
  CLAVE_DOCUMENT_TYPE_UNKNOWN,
  CLAVE_DOCUMENT_TYPE_DNI,   /* 8 digits + letter */
  CLAVE_DOCUMENT_TYPE_NIE,   /* X/Y/Z + 7 digits + letter */
} ClaveDocumentType;

/* What the person must give to prove they hold the document. */
typedef enum {
  CLAVE_CONTRAST_VALIDITY_DATE,   /* DNI: validity (expiry) date */
  CLAVE_CONTRAST_ISSUE_DATE,      /* permanent DNI (valid to 01-01-9999): issue date */
  CLAVE_CONTRAST_SUPPORT_NUMBER,  /* NIE: E/C + 8 digits */
} ClaveContrastKind;

/* Upper-cases and strips spaces, hyphens and dots. Never NULL. */
char              *clave_document_normalize         (const char        *input);
/* Letter for a number 0..99999999 from "TRWAGMYFPDXBNJZSQVHLCKE". */
char               clave_document_control_letter    (guint32            number);
/* Validates a DNI or NIE as typed. On success returns the type and sets
 * @normalized (e.g. "12345678Z"); on failure returns UNKNOWN and sets a
 * CLAVE_DOCUMENT_ERROR (EMPTY, BAD_FORMAT or BAD_LETTER). */
ClaveDocumentType  clave_document_validate          (const char        *input,
                                                     char             **normalized,
                                                     GError           **error);
/* TRUE while @input could still become a valid document by typing more
 * (used to avoid showing an error on every keystroke). */
gboolean           clave_document_is_prefix         (const char        *input);
/* "12345678Z" -> "*****678Z", "X1234567L" -> "X****567L". */
char              *clave_document_mask              (const char        *normalized);
/* "+34600111789" -> "******789": last three digits only. */
char              *clave_phone_hint                 (const char        *phone);

/* Support number: accepts "E1234567", "e 0123 4567", "C01234567"; pads to
 * letter + 8 digits. BAD_SUPPORT_NUMBER otherwise. */
char              *clave_support_number_normalize   (const char        *input,
                                                     GError           **error);
/* Dates as people type them: dd/mm/aaaa, d/m/aaaa, dd-mm-aaaa, dd.mm.aaaa,
 * and ISO yyyy-mm-dd. Returns ISO "yyyy-mm-dd" or NULL with BAD_DATE. */
char              *clave_date_normalize             (const char        *input,
                                                     GError           **error);
/* "2031-05-04" -> "04/05/2031" for display. */
char              *clave_date_format_display        (const char        *iso);
/* Normalises contrast data of @kind; returns the wire form. */
char              *clave_contrast_normalize         (ClaveContrastKind  kind,
                                                     const char        *input,
                                                     GError           **error);
/* "validity_date", "issue_date", "support_number" and back (-1 if unknown). */
const char        *clave_contrast_kind_to_string    (ClaveContrastKind  kind);
int                clave_contrast_kind_from_string  (const char        *str);
const char        *clave_document_type_to_string    (ClaveDocumentType  type);   /* "dni", "nie" */

G_END_DECLS
