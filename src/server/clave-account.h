/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-cert-proof.h"
#include "clave-codes.h"
#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* The citizen's account as their active device reaches it (GET /v1/me,
 * DELETE /v1/device), without HTTP: @device is the device whose
 * signature the route checked. Failures set a CLAVE_PROTOCOL_ERROR. */

/* The registry's record and the Cl@ve registration of @device's citizen;
 * device_deactivated when the registration was taken back after the
 * device was activated. */
gboolean clave_account_get               (ClaveServer              *server,
                                          const ClaveDeviceRecord  *device,
                                          ClaveIdentity           **identity,
                                          ClaveCitizen            **citizen,
                                          GError                  **error);

/* Ends @device (the person signs this computer out); the citizen's push
 * channel hears of it. */
gboolean clave_account_deactivate_device (ClaveServer              *server,
                                          const ClaveDeviceRecord  *device,
                                          gint64                    now,
                                          GError                  **error);

/* The citizen of @device gives up Cl@ve: the registration ends with
 * every device (this one included), activation and request, and the
 * person is no longer registered (they may register again: in person, by
 * video identification, with a certificate or DNIe). What is kept is when
 * they gave up (clave_store_get_given_up()). The devices' push channels
 * hear that they were deactivated. */
gboolean clave_account_give_up           (ClaveServer              *server,
                                          const ClaveDeviceRecord  *device,
                                          gint64                    now,
                                          GError                  **error);

/* Raises the registration of @device's citizen from basic to advanced
 * with @proof, a certificate or DNIe proof of purpose
 * CLAVE_PROOF_PURPOSE_LEVEL (see _clave_cert_proof_verify() for its
 * errors) that names the citizen (identity_mismatch otherwise);
 * already_advanced when there is nothing to raise (the proof is not used
 * then). */
gboolean clave_account_raise_level       (ClaveServer              *server,
                                          const ClaveDeviceRecord  *device,
                                          ClaveCertProof           *proof,
                                          gint64                    now,
                                          GError                  **error);

/* Changing the phone (POST /v1/me/phone…). Starts a change of @device's
 * citizen to @phone (E.164, checked by the caller) with @proof, a
 * certificate or DNIe proof of purpose CLAVE_PROOF_PURPOSE_PHONE naming
 * the citizen (identity_mismatch otherwise), and sends a code to the new
 * number (see _clave_codes_send() for the limits): same_phone,
 * phone_in_use (another person's). The old number keeps working until
 * the code is confirmed. Returns the change's id; @sent says what the
 * answer tells. */
char    *clave_account_start_phone_change   (ClaveServer              *server,
                                             const ClaveDeviceRecord  *device,
                                             ClaveCertProof           *proof,
                                             const char               *phone,
                                             gint64                    now,
                                             ClaveCodeSent            *sent,
                                             GError                  **error);
/* A new code for change @change_id of @device's citizen: invalid_change
 * (unknown, another person's, used or replaced), change_locked,
 * change_expired, and the limits of _clave_codes_send(). */
gboolean clave_account_resend_phone_code    (ClaveServer              *server,
                                             const ClaveDeviceRecord  *device,
                                             const char               *change_id,
                                             gint64                    now,
                                             ClaveCodeSent            *sent,
                                             GError                  **error);
/* Confirms change @change_id with @code (see _clave_codes_verify(); the
 * last wrong code gives change_locked): the citizen's phone becomes the
 * new one, and the old one gets a notice that it was replaced.
 * phone_in_use when somebody took the number meanwhile. Returns the new
 * phone's hint. */
char    *clave_account_confirm_phone_change (ClaveServer              *server,
                                             const ClaveDeviceRecord  *device,
                                             const char               *change_id,
                                             const char               *code,
                                             gint64                    now,
                                             GError                  **error);

/* Changing the e-mail (POST /v1/me/email…). Starts a change for @device's
 * citizen once the document's contrast data are right (see
 * _clave_identify(): invalid_contrast, identification_failed,
 * too_many_attempts, failures counted against @source); a change of the
 * citizen's in progress is replaced. Returns the change's id; no code is
 * sent yet. */
char    *clave_account_start_email_change   (ClaveServer              *server,
                                             const ClaveDeviceRecord  *device,
                                             const char               *contrast_kind,
                                             const char               *contrast_value,
                                             const char               *source,
                                             gint64                    now,
                                             GError                  **error);
/* Sends a code to @email (checked and normalised by the caller) for
 * change @change_id: the change is now to @email, and a code sent to an
 * earlier address no longer counts. same_email, the errors of
 * clave_account_resend_phone_code() and the limits of
 * _clave_codes_send(). */
gboolean clave_account_send_email_code      (ClaveServer              *server,
                                             const ClaveDeviceRecord  *device,
                                             const char               *change_id,
                                             const char               *email,
                                             gint64                    now,
                                             ClaveCodeSent            *sent,
                                             GError                  **error);
/* Confirms change @change_id with @code (no_code_sent before a code went
 * out; see _clave_codes_verify(), the last wrong code gives
 * change_locked): the citizen's e-mail becomes the new address, and the
 * old one (when there was one) gets a notice. Returns the new address. */
char    *clave_account_confirm_email_change (ClaveServer              *server,
                                             const ClaveDeviceRecord  *device,
                                             const char               *change_id,
                                             const char               *code,
                                             gint64                    now,
                                             GError                  **error);

G_END_DECLS
