/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clave-activation.h"
#include "clave-auth-requests.h"
#include "clave-codes.h"
#include "clave-device-auth.h"
#include "clave-server.h"

G_BEGIN_DECLS

/* The HTTP routes of clave-server (clave-routes-*.c), called by
 * clave-server.c's dispatcher. A route reads the request, calls the
 * service's operation (clave-activation.h, clave-auth-requests.h, …) and
 * writes the answer; each answers @msg completely. */

void _clave_routes_identify        (ClaveServer        *self,
                                    SoupServerMessage  *msg);
typedef enum {
  CLAVE_ACTIVATION_STEP_SMS,
  CLAVE_ACTIVATION_STEP_VERIFY,
  CLAVE_ACTIVATION_STEP_DEVICE,
  CLAVE_ACTIVATION_STEP_CERTIFICATE,
} ClaveActivationStep;
void _clave_routes_activation      (ClaveServer        *self,
                                    SoupServerMessage  *msg,
                                    const char         *activation_id,
                                    ClaveActivationStep step);
void _clave_routes_me              (ClaveServer        *self,
                                    SoupServerMessage  *msg,
                                    GHashTable         *query);
void _clave_routes_delete_device   (ClaveServer        *self,
                                    SoupServerMessage  *msg);
void _clave_routes_give_up         (ClaveServer        *self,
                                    SoupServerMessage  *msg);
void _clave_routes_raise_level     (ClaveServer        *self,
                                    SoupServerMessage  *msg);
void _clave_routes_challenge       (ClaveServer        *self,
                                    SoupServerMessage  *msg);
typedef enum {
  CLAVE_REGISTRATION_STEP_START,
  CLAVE_REGISTRATION_STEP_SMS,
  CLAVE_REGISTRATION_STEP_VERIFY,
} ClaveRegistrationStep;
/* @registration_id is NULL for CLAVE_REGISTRATION_STEP_START. */
void _clave_routes_registration    (ClaveServer        *self,
                                    SoupServerMessage  *msg,
                                    const char         *registration_id,
                                    ClaveRegistrationStep step);

/* clave-routes-mobile.c: /v1/rp/... and /v1/device/requests..., history.
 * FALSE when @path is not one of theirs (nothing answered). */
gboolean    _clave_routes_mobile           (ClaveServer          *self,
                                            SoupServerMessage    *msg,
                                            const char           *path,
                                            GHashTable           *query);
/* Answers @msg with @request as the RP API shows it (docs/protocol.md,
 * GET /v1/rp/requests/{id}): the one JSON form of a request for a relying
 * party, the demo website's included. */
void        clave_auth_request_reply       (SoupServerMessage      *msg,
                                            guint                   status,
                                            const ClaveAuthRequest *request);

/* The device that signed @msg (NULL after answering). The push key is
 * accepted only when @push_key_allowed. */
ClaveDeviceRecord *_clave_device_authenticate (ClaveServer       *self,
                                               SoupServerMessage *msg,
                                               gboolean           push_key_allowed);
/* The first step of _clave_device_authenticate() (see
 * clave_device_auth_check_new()), for a route that checks the signature
 * in a thread; NULL after answering. */
ClaveDeviceAuthCheck *_clave_device_auth_check_new (ClaveServer       *self,
                                                    SoupServerMessage *msg);
/* The end of the check of clave_device_auth_check_new() once its thread
 * ran (clave_device_auth_check_finish(), device key only); NULL after
 * answering. */
ClaveDeviceRecord *_clave_device_auth_check_finish (ClaveServer          *self,
                                                    ClaveDeviceAuthCheck *check,
                                                    SoupServerMessage    *msg,
                                                    char                **nonce);
/* Pauses @msg until @request (of relying party @rp_id) changes or @wait
 * seconds pass (at most until it expires), then answers it as
 * clave_auth_request_reply() does; FALSE (nothing done) when too many
 * wait already. */
gboolean    _clave_rp_waiters_add          (ClaveServer            *self,
                                            SoupServerMessage      *msg,
                                            const char             *rp_id,
                                            const ClaveAuthRequest *request,
                                            guint                   wait);
/* The device's request object (docs/protocol.md "Cl@ve Móvil"). */
void        _clave_auth_request_add_object (ClaveServer          *self,
                                            JsonBuilder          *builder,
                                            const ClaveAuthRequestRecord *record,
                                            gint64                now);
/* The members "code_expires_in", "resend_after", "sends_left" and
 * "phone_hint" (an SMS) or "email" (an e-mail) of an answer after a code
 * was sent. */
/* @status with {"id": @change_id} (or {"sent": true} without one) and
 * what _clave_routes_add_code_sent() adds. */
void        _clave_routes_reply_code_sent  (SoupServerMessage    *msg,
                                            guint                 status,
                                            const char           *change_id,
                                            const ClaveCodeSent  *sent);
void        _clave_routes_add_code_sent    (JsonBuilder          *builder,
                                            const ClaveCodeSent  *sent);
/* E.164 as the protocol takes it: "+" and 8 to 15 digits, nothing else
 * (clients strip the spaces people type). */
gboolean    _clave_routes_phone_is_valid   (const char           *phone);
/* An e-mail address as the service takes it: at most CLAVE_EMAIL_MAX
 * bytes of UTF-8, one "@" with something before it and a dotted domain
 * after it, no blanks or control characters. */
gboolean    _clave_routes_email_is_valid   (const char           *email);
/* POST /v1/me/phone, /v1/me/phone/{id}/sms and …/verify (@change_id
 * NULL and @suffix "" for the first). */
void        _clave_routes_phone_change     (ClaveServer          *self,
                                            SoupServerMessage    *msg,
                                            const char           *change_id,
                                            const char           *suffix);
/* The member "contrast" of @body: {"kind": …, "value": …} (borrowed);
 * FALSE after answering 400. */
gboolean    _clave_routes_read_contrast    (SoupServerMessage    *msg,
                                            JsonObject           *body,
                                            const char          **kind,
                                            const char          **value);
/* Cl@ve Permanente (clave-routes-permanente.c): the state GET /v1/me
 * tells; POST /v1/me/permanente/code, DELETE /v1/me/permanente, POST
 * …/password, POST …/recovery and …/recovery/{id} (@recovery_id). */
const char *_clave_routes_permanente_state (ClaveServer          *self,
                                            const char           *document,
                                            GError              **error);
void        _clave_routes_permanente_code  (ClaveServer          *self,
                                            SoupServerMessage    *msg);
void        _clave_routes_permanente_delete (ClaveServer         *self,
                                             SoupServerMessage   *msg);
void        _clave_routes_permanente_password (ClaveServer       *self,
                                               SoupServerMessage *msg);
void        _clave_routes_permanente_recovery (ClaveServer       *self,
                                               SoupServerMessage *msg,
                                               const char        *recovery_id);
/* Registering by video identification (clave-routes-video.c): POST
 * /v1/video-registrations (@id NULL), and for registration @id the @step
 * "" (GET), "/sms", "/verify", "/submit" (POST) or "/images/{kind}"
 * (PUT); the method checked by the caller. */
void        _clave_routes_video            (ClaveServer          *self,
                                            SoupServerMessage    *msg,
                                            const char           *id,
                                            const char           *step);
/* Cl@ve Firma (clave-routes-firma.c): GET /v1/me/firma, POST
 * /v1/me/firma/revoke, and the public GET /v1/firma/crl (DER) and
 * /v1/firma/ca (DER). _clave_routes_firma_changed() drops the CRL made
 * so far: call it after anything revokes. */
void        _clave_routes_firma_list       (ClaveServer          *self,
                                            SoupServerMessage    *msg);
void        _clave_routes_firma_revoke     (ClaveServer          *self,
                                            SoupServerMessage    *msg);
void        _clave_routes_firma_crl        (ClaveServer          *self,
                                            SoupServerMessage    *msg);
void        _clave_routes_firma_ca         (ClaveServer          *self,
                                            SoupServerMessage    *msg);
void        _clave_routes_firma_changed    (ClaveServer          *self);
/* The status of the newest certificate of @document (CLAVE_FIRMA_*), or
 * CLAVE_FIRMA_NONE; NULL with a protocol @error. */
const char *_clave_routes_firma_state      (ClaveServer          *self,
                                            const char           *document,
                                            GError              **error);
/* POST /v1/me/email, /v1/me/email/{id}/code and …/verify, likewise. */
void        _clave_routes_email_change     (ClaveServer          *self,
                                            SoupServerMessage    *msg,
                                            const char           *change_id,
                                            const char           *suffix);

/* An activation object as step 1 and a finished registration answer it
 * (docs/protocol.md); a @verified one offers no second factor. */
void        _clave_routes_add_activation   (JsonBuilder                *builder,
                                            const ClaveActivationStart *start,
                                            gboolean                    verified);

G_END_DECLS
