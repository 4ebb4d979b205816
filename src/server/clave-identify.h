/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* Identification and its limits (clave-identify.c), for POST
 * /v1/identify, the relying parties' push and SMS requests and the demo
 * website. A source is what failures count against: */
/* a client's address as the connection shows it (an IPv6 one by its /64)… */
char          *_clave_identify_source_for_address (const char   *address);
/* …or a relying party, by its key… */
char          *_clave_identify_source_for_rp      (const char   *rp_id);
/* …or the citizen's own device, for what it signs (a new activation code,
 * a change of e-mail): failures of strangers at the device's address do
 * not hold it back. */
char          *_clave_identify_source_for_device  (const char   *device_id);
/* The registry's record of @document_in when the contrast data are right;
 * NULL with a CLAVE_PROTOCOL_ERROR otherwise: INVALID_DOCUMENT,
 * INVALID_CONTRAST, TOO_MANY_ATTEMPTS (with its retry_after),
 * IDENTIFICATION_FAILED (counted against @source, and told to the
 * citizen's device), INTERNAL. A success makes @source known for the
 * document. */
ClaveIdentity *_clave_identify                    (ClaveServer  *self,
                                                   const char   *document_in,
                                                   const char   *kind_in,
                                                   const char   *value_in,
                                                   const char   *source,
                                                   gint64        now,
                                                   GError      **error);
/* The identification limits on their own, for the other ways of proving
 * who one is (the Cl@ve Permanente activation code): FALSE
 * (too_many_attempts with retry_after) when @source may not try
 * @document now; and a failure of @source for @document, counted by
 * those limits and told to the citizen's device. */
gboolean       _clave_identify_check_limits       (ClaveServer  *self,
                                                   const char   *document,
                                                   const char   *source,
                                                   gint64        now,
                                                   GError      **error);
gboolean       _clave_identify_record_failure     (ClaveServer  *self,
                                                   const char   *document,
                                                   const char   *source,
                                                   gint64        now,
                                                   GError      **error);
/* The citizen uses @source (their device connected from it). */
void           _clave_identify_note_known_source  (ClaveServer  *self,
                                                   const char   *document,
                                                   const char   *source,
                                                   gint64        now);
/* Failed identifications of @document in the backstop's window, with the
 * times of the first and last (0 when none). */
gboolean       _clave_identify_recent_failures    (ClaveServer  *self,
                                                   const char   *document,
                                                   gint64        now,
                                                   guint        *count,
                                                   gint64       *first,
                                                   gint64       *last,
                                                   GError      **error);

G_END_DECLS
