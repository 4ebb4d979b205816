/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* Cl@ve Permanente (docs/protocol.md "Cl@ve Permanente"), without HTTP.
 * Failures set a CLAVE_PROTOCOL_ERROR. */

/* The state of @record (NULL: none) at @now, one of the
 * CLAVE_PERMANENTE_* strings. */
const char *clave_permanente_state          (const ClavePermanenteRecord *record,
                                             gint64                       now);
/* The state of the Cl@ve Permanente of @document. */
const char *clave_permanente_get_state      (ClaveServer                 *server,
                                             const char                  *document,
                                             gint64                       now,
                                             GError                     **error);
/* A new activation code for @device's citizen once the document's
 * contrast data are right (see _clave_identify() for the refusals,
 * counted against @source): the previous code stops working, and a
 * password already set keeps working. Returns the code as it is shown
 * ("ABCD-EFGH-JKLM"), valid until *@expires_at. */
char       *clave_permanente_new_code       (ClaveServer                 *server,
                                             const ClaveDeviceRecord     *device,
                                             const char                  *contrast_kind,
                                             const char                  *contrast_value,
                                             const char                  *source,
                                             gint64                       now,
                                             gint64                      *expires_at,
                                             GError                     **error);
/* @text as an activation code: upper case, without blanks and hyphens;
 * NULL when it cannot be one (wrong length or characters). */
char       *clave_permanente_normalize_code (const char                  *text);

G_END_DECLS
