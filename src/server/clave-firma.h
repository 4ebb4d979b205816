/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-firma-ca.h"
#include "clave-protocol-error.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* Cl@ve Firma (docs/protocol.md "Cl@ve Firma"), without HTTP: the
 * operations of clave-admin and of the app. Failures set a
 * CLAVE_PROTOCOL_ERROR. */

/* CLAVE_FIRMA_VALID, _REVOKED or _EXPIRED at @now. */
const char       *clave_firma_status (const ClaveFirmaRecord *record,
                                      gint64                  now);

/* Issues a signing certificate to the citizen of @document and stores
 * it. Refusals: not_found (not registered), level_not_advanced,
 * permanente_not_active (no Cl@ve Permanente with a usable password),
 * firma_exists (one valid already). */
ClaveFirmaRecord *clave_firma_issue  (ClaveStore             *store,
                                      ClaveFirmaCa           *ca,
                                      const char             *document,
                                      gint64                  now,
                                      GError                **error);

/* Revokes certificate @serial of @document once the person accepted the
 * conditions (conditions_not_accepted otherwise): firma_not_found for a
 * serial that is not theirs, firma_revoked when it already is,
 * firma_expired when it expired (nothing to revoke). Its key is
 * destroyed. Returns the revoked record. */
ClaveFirmaRecord *clave_firma_revoke (ClaveStore             *store,
                                      const char             *document,
                                      const char             *serial,
                                      gboolean                accepted_conditions,
                                      gint64                  now,
                                      GError                **error);

G_END_DECLS
