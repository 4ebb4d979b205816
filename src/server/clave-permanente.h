/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-codes.h"
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

/* Activating Cl@ve Permanente (the activation website's steps), like a
 * device activation: a bearer token, an SMS code, then the password. */
typedef struct {
  char          *id;     /* "pma_…" */
  char          *token;  /* the bearer token: a secret, freed wiped */
  ClaveCodeSent  sent;   /* the SMS code sent to the registered phone */
} ClavePermanenteStart;

void clave_permanente_start_free (ClavePermanenteStart *start);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClavePermanenteStart, clave_permanente_start_free)

/* Step 1: the document, the registration's e-mail and the activation
 * code, under the identification limits for @source (too_many_attempts:
 * each wrong try is an identification failure of @source). Wrong ones all get invalid_activation_code (a stranger learns
 * nothing of the person), each counted against the code while it is
 * usable, and the fifth gives activation_code_blocked; only the right
 * code learns that it expired (activation_code_expired) or is blocked.
 * Then an SMS code goes to the registered phone (the limits of
 * _clave_codes_send()). invalid_document for what is not a DNI/NIE. */
ClavePermanenteStart *clave_permanente_start_activation (ClaveServer  *server,
                                                          const char   *document,
                                                          const char   *email,
                                                          const char   *code,
                                                          const char   *source,
                                                          gint64        now,
                                                          GError      **error);
/* Another SMS code for activation @id opened by @token. */
gboolean   clave_permanente_resend_sms      (ClaveServer  *server,
                                             const char   *id,
                                             const char   *token,
                                             gint64        now,
                                             ClaveCodeSent *sent,
                                             GError      **error);
/* Step 2: the SMS code (see _clave_codes_verify()). */
gboolean   clave_permanente_verify_sms      (ClaveServer  *server,
                                             const char   *id,
                                             const char   *token,
                                             const char   *code,
                                             gint64        now,
                                             GError      **error);
/* Step 3, once the SMS code was right: the password, under the rules of
 * clave-password.h for this person (weak_password otherwise, nothing
 * changes), stored as clave_password_hash_new() makes it; the activation
 * code is used up and the Cl@ve Permanente is active. activation_not_
 * verified before step 2. */
gboolean   clave_permanente_set_password    (ClaveServer  *server,
                                             const char   *id,
                                             const char   *token,
                                             const char   *password,
                                             gint64        now,
                                             GError      **error);

/* Password management, signed by @device (the app). Each needs an active
 * Cl@ve Permanente (permanente_not_active otherwise). */

/* @old_password, then @new_password under the rules: invalid_password
 * (with attempts_left) for a wrong one, counted; the fifth and those
 * after get password_blocked. */
gboolean clave_permanente_change_password (ClaveServer              *server,
                                           const ClaveDeviceRecord  *device,
                                           const char               *old_password,
                                           const char               *new_password,
                                           gint64                    now,
                                           GError                  **error);
/* The Cl@ve Permanente user goes (the person may get a new activation
 * code later). */
gboolean clave_permanente_delete          (ClaveServer              *server,
                                           const ClaveDeviceRecord  *device,
                                           GError                  **error);
/* A forgotten or blocked password: an SMS code to the registered phone,
 * then (finish) that code with a new password under the rules, which
 * unblocks it. The rules are checked before the code, so a weak password
 * does not use the code up. */
ClavePermanenteStart *clave_permanente_start_recovery  (ClaveServer              *server,
                                                         const ClaveDeviceRecord  *device,
                                                         gint64                    now,
                                                         GError                  **error);
gboolean clave_permanente_finish_recovery (ClaveServer              *server,
                                           const ClaveDeviceRecord  *device,
                                           const char               *id,
                                           const char               *token,
                                           const char               *code,
                                           const char               *password,
                                           gint64                    now,
                                           GError                  **error);

G_END_DECLS
