/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "clave-device-key.h"
#include "clave-profile.h"
#include "clave-protocol.h"
#include "clave-push-key.h"
#include "clave-service-error.h"

G_BEGIN_DECLS

/* An activation in progress (docs/protocol.md "Activating a device"). */
typedef struct {
  char   *id;
  char   *token;        /* bearer secret: never logged */
  char  **methods;      /* "sms", … */
  char   *phone_hint;   /* "******789" */
  gint64  expires_at;   /* monotonic-free wall clock, seconds */
} ClaveActivation;

ClaveActivation *clave_activation_copy (const ClaveActivation *activation);
void             clave_activation_free (ClaveActivation       *activation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveActivation, clave_activation_free)

typedef struct {
  guint code_expires_in;   /* seconds */
  guint resend_after;      /* seconds */
  guint sends_left;
  char *phone_hint;
} ClaveSmsStatus;

void clave_sms_status_free (ClaveSmsStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveSmsStatus, clave_sms_status_free)

/* "My data in Cl@ve" (GET /v1/me). */
typedef struct {
  char *document;              /* masked unless revealed */
  char *document_type;         /* "dni" / "nie" */
  char *given_name;
  char *surnames;
  char *phone;                 /* last 3 digits */
  char *email;
  char *level;                 /* "basic" / "advanced" */
  char *registration_channel;  /* "in_person", "video", "certificate", "dnie" */
  char *permanente;            /* CLAVE_PERMANENTE_*; "none" from an older service */
  char *firma;                 /* CLAVE_FIRMA_* of the newest certificate, or "none" */
} ClaveMyData;

void clave_my_data_free (ClaveMyData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveMyData, clave_my_data_free)

#define CLAVE_TYPE_SERVICE_CLIENT (clave_service_client_get_type ())
G_DECLARE_FINAL_TYPE (ClaveServiceClient, clave_service_client, CLAVE, SERVICE_CLIENT, GObject)

/* @session carries TLS trust and timeouts; @base_url like "https://host:port". */
ClaveServiceClient *clave_service_client_new           (SoupSession         *session,
                                                        const char          *base_url);
/* A client for the profile's service: its URL and a session from
 * clave_profile_create_session(). Errors: TLS (CA file unreadable),
 * NETWORK (the service URL is not an https:// address). */
ClaveServiceClient *clave_service_client_new_for_profile (ClaveProfile    *profile,
                                                          GError         **error);
const char         *clave_service_client_get_base_url  (ClaveServiceClient  *self);

/* POST /v1/identify. Result: registered (TRUE/FALSE) and, when registered,
 * the activation (out param, caller frees). */
void     clave_service_client_identify_async        (ClaveServiceClient   *self,
                                                     const char           *document,
                                                     const char           *contrast_kind,
                                                     const char           *contrast_value,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean clave_service_client_identify_finish       (ClaveServiceClient   *self,
                                                     GAsyncResult         *result,
                                                     gboolean             *registered,
                                                     ClaveActivation     **activation,
                                                     GError              **error);

/* POST /v1/activations/{id}/sms (send or resend). */
void            clave_service_client_send_sms_async    (ClaveServiceClient    *self,
                                                        const ClaveActivation *activation,
                                                        GCancellable          *cancellable,
                                                        GAsyncReadyCallback    callback,
                                                        gpointer               user_data);
ClaveSmsStatus *clave_service_client_send_sms_finish   (ClaveServiceClient    *self,
                                                        GAsyncResult          *result,
                                                        GError               **error);

/* POST /v1/activations/{id}/sms/verify. On INVALID_CODE, @attempts_left
 * is set from the answer. */
void     clave_service_client_verify_sms_async      (ClaveServiceClient    *self,
                                                     const ClaveActivation *activation,
                                                     const char            *code,
                                                     GCancellable          *cancellable,
                                                     GAsyncReadyCallback    callback,
                                                     gpointer               user_data);
gboolean clave_service_client_verify_sms_finish     (ClaveServiceClient    *self,
                                                     GAsyncResult          *result,
                                                     guint                 *attempts_left,
                                                     GError               **error);

/* POST /v1/activations/{id}/device with the unlocked @key; returns the
 * device id. */
void     clave_service_client_register_device_async  (ClaveServiceClient    *self,
                                                      const ClaveActivation *activation,
                                                      ClaveDeviceKey        *key,
                                                      const char            *device_name,
                                                      GCancellable          *cancellable,
                                                      GAsyncReadyCallback    callback,
                                                      gpointer               user_data);
char    *clave_service_client_register_device_finish (ClaveServiceClient    *self,
                                                      GAsyncResult          *result,
                                                      GError               **error);

/* GET /v1/me, signed with the unlocked @key as @device_id. */
void         clave_service_client_get_my_data_async  (ClaveServiceClient   *self,
                                                      ClaveDeviceKey       *key,
                                                      const char           *device_id,
                                                      gboolean              reveal_document,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
ClaveMyData *clave_service_client_get_my_data_finish (ClaveServiceClient   *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

/* DELETE /v1/device, signed. */
void     clave_service_client_deactivate_async      (ClaveServiceClient   *self,
                                                     ClaveDeviceKey       *key,
                                                     const char           *device_id,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean clave_service_client_deactivate_finish     (ClaveServiceClient   *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* POST /v1/me/give-up: the citizen gives up Cl@ve. Not signing out: the
 * registration ends, with every device of the citizen (this one
 * included); the person may register again. */
void     clave_service_client_give_up_async         (ClaveServiceClient   *self,
                                                     ClaveDeviceKey       *key,
                                                     const char           *device_id,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean clave_service_client_give_up_finish        (ClaveServiceClient   *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Certificate and DNIe proofs (docs/protocol.md "Certificate proofs"). */
typedef struct {
  char      *challenge_id;
  GPtrArray *certificates;  /* GBytes DER, leaf first */
  char      *algorithm;     /* "rsa-pkcs1-sha256" / "ecdsa-sha256" */
  GBytes    *signature;
} ClaveCertificateProof;

void clave_certificate_proof_free (ClaveCertificateProof *proof);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveCertificateProof, clave_certificate_proof_free)

/* POST /v1/me/phone, signed: starts changing the phone to @phone (with
 * its country prefix) with @proof, made for CLAVE_PROOF_PURPOSE_PHONE with
 * the person's own certificate or DNIe; the service sends a code to the
 * new number. CLAVE_SERVICE_ERROR_SAME_PHONE, _PHONE_IN_USE,
 * _IDENTITY_MISMATCH, _INVALID_PHONE. */
void            clave_service_client_change_phone_async      (ClaveServiceClient          *self,
                                                              ClaveDeviceKey              *key,
                                                              const char                  *device_id,
                                                              const ClaveCertificateProof *proof,
                                                              const char                  *phone,
                                                              GCancellable                *cancellable,
                                                              GAsyncReadyCallback          callback,
                                                              gpointer                     user_data);
ClaveSmsStatus *clave_service_client_change_phone_finish     (ClaveServiceClient          *self,
                                                              GAsyncResult                *result,
                                                              char                       **change_id,
                                                              GError                     **error);
/* POST /v1/me/phone/{id}/sms, signed: a new code to the new number. */
void            clave_service_client_resend_phone_code_async (ClaveServiceClient          *self,
                                                              ClaveDeviceKey              *key,
                                                              const char                  *device_id,
                                                              const char                  *change_id,
                                                              GCancellable                *cancellable,
                                                              GAsyncReadyCallback          callback,
                                                              gpointer                     user_data);
ClaveSmsStatus *clave_service_client_resend_phone_code_finish (ClaveServiceClient         *self,
                                                               GAsyncResult               *result,
                                                               GError                    **error);
/* POST /v1/me/phone/{id}/verify, signed: the code sent to the new number
 * confirms it; the old number gets a notice. CLAVE_SERVICE_ERROR_
 * INVALID_CODE (with @attempts_left), _CHANGE_EXPIRED, _CHANGE_LOCKED,
 * _PHONE_IN_USE. */
void            clave_service_client_confirm_phone_async     (ClaveServiceClient          *self,
                                                              ClaveDeviceKey              *key,
                                                              const char                  *device_id,
                                                              const char                  *change_id,
                                                              const char                  *code,
                                                              GCancellable                *cancellable,
                                                              GAsyncReadyCallback          callback,
                                                              gpointer                     user_data);
char           *clave_service_client_confirm_phone_finish    (ClaveServiceClient          *self,
                                                              GAsyncResult                *result,
                                                              guint                       *attempts_left,
                                                              GError                     **error);

/* A new Cl@ve Permanente activation code. */
typedef struct {
  char   *code;        /* "ABCD-EFGH-JKMN": a secret, shown to the person only */
  gint64  expires_at;  /* Unix time */
} ClavePermanenteCode;

void clave_permanente_code_free (ClavePermanenteCode *code);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClavePermanenteCode, clave_permanente_code_free)

/* POST /v1/me/permanente/code, signed: a new activation code once the
 * document's contrast data are right (errors as for
 * clave_service_client_start_email_change_async()). */
void                 clave_service_client_new_permanente_code_async  (ClaveServiceClient  *self,
                                                                      ClaveDeviceKey      *key,
                                                                      const char          *device_id,
                                                                      const char          *contrast_kind,
                                                                      const char          *contrast_value,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
ClavePermanenteCode *clave_service_client_new_permanente_code_finish (ClaveServiceClient  *self,
                                                                      GAsyncResult        *result,
                                                                      GError             **error);

/* Cl@ve Permanente's password, from the app (signed; each needs an active
 * Cl@ve Permanente: CLAVE_SERVICE_ERROR_PERMANENTE_NOT_ACTIVE). */

/* POST /v1/me/permanente/password: _INVALID_PASSWORD (with
 * @attempts_left), _PASSWORD_BLOCKED, _WEAK_PASSWORD. */
void     clave_service_client_change_permanente_password_async  (ClaveServiceClient  *self,
                                                                 ClaveDeviceKey      *key,
                                                                 const char          *device_id,
                                                                 const char          *old_password,
                                                                 const char          *new_password,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
gboolean clave_service_client_change_permanente_password_finish (ClaveServiceClient  *self,
                                                                 GAsyncResult        *result,
                                                                 guint               *attempts_left,
                                                                 GError             **error);
/* DELETE /v1/me/permanente: the user goes. */
void     clave_service_client_delete_permanente_async  (ClaveServiceClient  *self,
                                                        ClaveDeviceKey      *key,
                                                        const char          *device_id,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean clave_service_client_delete_permanente_finish (ClaveServiceClient  *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);

/* A password recovery in progress: an SMS code went to the phone. */
typedef struct {
  char           *id;
  char           *token;   /* a secret, freed wiped */
  ClaveSmsStatus *status;
} ClavePermanenteRecovery;

void clave_permanente_recovery_free (ClavePermanenteRecovery *recovery);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClavePermanenteRecovery, clave_permanente_recovery_free)

/* POST /v1/me/permanente/recovery: an SMS code to the registered phone. */
void                     clave_service_client_start_permanente_recovery_async  (ClaveServiceClient  *self,
                                                                                ClaveDeviceKey      *key,
                                                                                const char          *device_id,
                                                                                GCancellable        *cancellable,
                                                                                GAsyncReadyCallback  callback,
                                                                                gpointer             user_data);
ClavePermanenteRecovery *clave_service_client_start_permanente_recovery_finish (ClaveServiceClient  *self,
                                                                                GAsyncResult        *result,
                                                                                GError             **error);
/* POST /v1/me/permanente/recovery/{id}: the SMS code and a new password
 * (checked first: _WEAK_PASSWORD leaves the code usable); _INVALID_CODE
 * with @attempts_left. */
void     clave_service_client_finish_permanente_recovery_async  (ClaveServiceClient            *self,
                                                                 ClaveDeviceKey                *key,
                                                                 const char                    *device_id,
                                                                 const ClavePermanenteRecovery *recovery,
                                                                 const char                    *code,
                                                                 const char                    *password,
                                                                 GCancellable                  *cancellable,
                                                                 GAsyncReadyCallback            callback,
                                                                 gpointer                       user_data);
gboolean clave_service_client_finish_permanente_recovery_finish (ClaveServiceClient  *self,
                                                                 GAsyncResult        *result,
                                                                 guint               *attempts_left,
                                                                 GError             **error);

/* A Cl@ve Firma signing certificate as GET /v1/me/firma shows it. */
typedef struct {
  char   *serial;       /* lower-case hex */
  char   *holder;       /* the certificate's common name */
  char   *issuer;       /* the issuer's DN, RFC 4514 */
  gint64  not_before;
  gint64  not_after;
  char   *status;       /* CLAVE_FIRMA_VALID, _REVOKED or _EXPIRED */
  gint64  revoked_at;   /* 0: not revoked */
  char   *certificate;  /* PEM */
} ClaveFirmaCertificate;

void clave_firma_certificate_free (ClaveFirmaCertificate *certificate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveFirmaCertificate, clave_firma_certificate_free)

/* GET /v1/me/firma, signed: the person's certificates
 * (ClaveFirmaCertificate), newest first; empty without any. */
void       clave_service_client_list_firma_async    (ClaveServiceClient  *self,
                                                     ClaveDeviceKey      *key,
                                                     const char          *device_id,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GPtrArray *clave_service_client_list_firma_finish   (ClaveServiceClient  *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* POST /v1/me/firma/revoke, signed: revokes certificate @serial, saying
 * that the person accepted the conditions (call it only then). Returns
 * the certificate as revoked. CLAVE_SERVICE_ERROR_FIRMA_REVOKED when it
 * already was. */
void                   clave_service_client_revoke_firma_async  (ClaveServiceClient  *self,
                                                                 ClaveDeviceKey      *key,
                                                                 const char          *device_id,
                                                                 const char          *serial,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
ClaveFirmaCertificate *clave_service_client_revoke_firma_finish (ClaveServiceClient  *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);

/* What the answer to a code e-mailed for a change of e-mail says. */
typedef struct {
  guint  code_expires_in;  /* seconds */
  guint  resend_after;     /* seconds */
  guint  sends_left;
  char  *email;            /* where it went */
} ClaveEmailCodeStatus;

void clave_email_code_status_free (ClaveEmailCodeStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveEmailCodeStatus, clave_email_code_status_free)

/* POST /v1/me/email, signed: starts changing the e-mail once the
 * document's contrast data (@contrast_kind as in ClaveContrastKind's
 * strings, @contrast_value normalised) are right. Returns the change's id.
 * CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED (wrong contrast data),
 * _INVALID_REQUEST (malformed), _TOO_MANY_ATTEMPTS. */
void            clave_service_client_start_email_change_async  (ClaveServiceClient   *self,
                                                                ClaveDeviceKey       *key,
                                                                const char           *device_id,
                                                                const char           *contrast_kind,
                                                                const char           *contrast_value,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
char           *clave_service_client_start_email_change_finish (ClaveServiceClient   *self,
                                                                GAsyncResult         *result,
                                                                GError              **error);
/* POST /v1/me/email/{id}/code, signed: e-mails a code to @email (blanks
 * around it are dropped); the change is now to @email. Again for a new
 * code or another address. CLAVE_SERVICE_ERROR_SAME_EMAIL,
 * _INVALID_EMAIL, _RESEND_TOO_SOON, _RESEND_LIMIT, _CHANGE_EXPIRED,
 * _CHANGE_LOCKED. */
void            clave_service_client_send_email_code_async     (ClaveServiceClient   *self,
                                                                ClaveDeviceKey       *key,
                                                                const char           *device_id,
                                                                const char           *change_id,
                                                                const char           *email,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
ClaveEmailCodeStatus *clave_service_client_send_email_code_finish (ClaveServiceClient   *self,
                                                                   GAsyncResult         *result,
                                                                   GError              **error);
/* POST /v1/me/email/{id}/verify, signed: the code confirms the address
 * it was sent to; the old address gets a notice. Errors as for
 * clave_service_client_confirm_phone_async(); _CODE_EXPIRED also
 * before any code was sent. */
void            clave_service_client_confirm_email_async       (ClaveServiceClient   *self,
                                                                ClaveDeviceKey       *key,
                                                                const char           *device_id,
                                                                const char           *change_id,
                                                                const char           *code,
                                                                GCancellable         *cancellable,
                                                                GAsyncReadyCallback   callback,
                                                                gpointer              user_data);
char           *clave_service_client_confirm_email_finish      (ClaveServiceClient   *self,
                                                                GAsyncResult         *result,
                                                                guint                *attempts_left,
                                                                GError              **error);

/* POST /v1/me/level, signed: raises the registration to the advanced
 * level with @proof, made by clave_service_client_prove_certificate_async()
 * for CLAVE_PROOF_PURPOSE_LEVEL with the person's own certificate or DNIe.
 * CLAVE_SERVICE_ERROR_ALREADY_ADVANCED when there is nothing to raise. */
void     clave_service_client_raise_level_async     (ClaveServiceClient          *self,
                                                     ClaveDeviceKey              *key,
                                                     const char                  *device_id,
                                                     const ClaveCertificateProof *proof,
                                                     GCancellable                *cancellable,
                                                     GAsyncReadyCallback          callback,
                                                     gpointer                     user_data);
gboolean clave_service_client_raise_level_finish    (ClaveServiceClient          *self,
                                                     GAsyncResult                *result,
                                                     GError                     **error);

/* A registration in progress (POST /v1/registrations). */
typedef struct {
  char  *id;
  char  *token;           /* bearer secret: never logged */
  char  *phone_hint;
  char  *document;
  char  *given_name;
  char  *surnames;
  guint  code_expires_in;
  guint  resend_after;
  guint  sends_left;
} ClaveRegistration;

ClaveRegistration *clave_registration_copy (const ClaveRegistration *registration);
void               clave_registration_free (ClaveRegistration       *registration);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveRegistration, clave_registration_free)

/* POST /v1/challenges: returns the challenge id and value (base64url text,
 * as signed). */
void     clave_service_client_get_challenge_async   (ClaveServiceClient   *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean clave_service_client_get_challenge_finish  (ClaveServiceClient   *self,
                                                     GAsyncResult         *result,
                                                     char                **challenge_id,
                                                     char                **challenge,
                                                     GError              **error);

/* POST /v1/activations/{id}/certificate. @method receives "certificate"
 * or "dnie". */
void     clave_service_client_verify_certificate_async  (ClaveServiceClient          *self,
                                                         const ClaveActivation       *activation,
                                                         const ClaveCertificateProof *proof,
                                                         GCancellable                *cancellable,
                                                         GAsyncReadyCallback          callback,
                                                         gpointer                     user_data);
gboolean clave_service_client_verify_certificate_finish (ClaveServiceClient          *self,
                                                         GAsyncResult                *result,
                                                         char                       **method,
                                                         GError                     **error);

/* POST /v1/registrations: registers the holder of the proven certificate
 * with @phone and @email; an SMS code goes to @phone. Spaces, hyphens,
 * dots, slashes and parentheses in @phone and blanks around @email are
 * dropped; the service wants E.164 ("+34600111222"). */
void               clave_service_client_register_async  (ClaveServiceClient          *self,
                                                         const ClaveCertificateProof *proof,
                                                         const char                  *phone,
                                                         const char                  *email,
                                                         GCancellable                *cancellable,
                                                         GAsyncReadyCallback          callback,
                                                         gpointer                     user_data);
ClaveRegistration *clave_service_client_register_finish (ClaveServiceClient          *self,
                                                         GAsyncResult                *result,
                                                         GError                     **error);

/* ---- Registering by video identification (docs/protocol.md) ------------
 * The registration's id and token travel in a ClaveRegistration (its
 * document and names are unset). */

/* A video identification as GET /v1/video-registrations/{id} shows it. */
typedef struct {
  char   *id;
  char   *state;         /* CLAVE_VIDEO_STATE_* */
  GStrv   images;        /* the pictures kept ("front", "face-1", …) */
  gint64  expires_at;    /* while not sent for review; else 0 */
  gint64  submitted_at;  /* 0 until sent */
  gint64  decided_at;    /* 0 until reviewed */
  char   *reason;        /* why it was rejected, for the person; or NULL */
} ClaveVideoStatus;

void clave_video_status_free (ClaveVideoStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveVideoStatus, clave_video_status_free)

/* POST /v1/video-registrations: @document with its contrast data (kinds
 * as in ClaveContrastKind's strings), @phone and @email (as for
 * clave_service_client_register_async()); an SMS code goes to @phone. */
void               clave_service_client_video_start_async  (ClaveServiceClient  *self,
                                                            const char          *document,
                                                            const char          *contrast_kind,
                                                            const char          *contrast_value,
                                                            const char          *phone,
                                                            const char          *email,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
ClaveRegistration *clave_service_client_video_start_finish (ClaveServiceClient  *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);
/* POST …/{id}/sms: another code. */
void            clave_service_client_video_resend_async  (ClaveServiceClient      *self,
                                                          const ClaveRegistration *registration,
                                                          GCancellable            *cancellable,
                                                          GAsyncReadyCallback      callback,
                                                          gpointer                 user_data);
ClaveSmsStatus *clave_service_client_video_resend_finish (ClaveServiceClient      *self,
                                                          GAsyncResult            *result,
                                                          GError                 **error);
/* POST …/{id}/verify: confirms the phone (on INVALID_CODE,
 * @attempts_left is set). */
void              clave_service_client_video_verify_async  (ClaveServiceClient      *self,
                                                            const ClaveRegistration *registration,
                                                            const char              *code,
                                                            GCancellable            *cancellable,
                                                            GAsyncReadyCallback      callback,
                                                            gpointer                 user_data);
ClaveVideoStatus *clave_service_client_video_verify_finish (ClaveServiceClient      *self,
                                                            GAsyncResult            *result,
                                                            guint                   *attempts_left,
                                                            GError                 **error);
/* PUT …/{id}/images/@kind: @image, a JPEG or PNG (@content_type
 * "image/jpeg" or "image/png"); CLAVE_SERVICE_ERROR_INVALID_IMAGE when the
 * service cannot use it. Finish with
 * clave_service_client_video_status_finish(), as GET …/{id}
 * (clave_service_client_video_get_async()) and POST …/{id}/submit. */
void              clave_service_client_video_put_image_async (ClaveServiceClient      *self,
                                                              const ClaveRegistration *registration,
                                                              const char              *kind,
                                                              GBytes                  *image,
                                                              const char              *content_type,
                                                              GCancellable            *cancellable,
                                                              GAsyncReadyCallback      callback,
                                                              gpointer                 user_data);
void              clave_service_client_video_submit_async  (ClaveServiceClient      *self,
                                                            const ClaveRegistration *registration,
                                                            GCancellable            *cancellable,
                                                            GAsyncReadyCallback      callback,
                                                            gpointer                 user_data);
void              clave_service_client_video_get_async     (ClaveServiceClient      *self,
                                                            const ClaveRegistration *registration,
                                                            GCancellable            *cancellable,
                                                            GAsyncReadyCallback      callback,
                                                            gpointer                 user_data);
ClaveVideoStatus *clave_service_client_video_status_finish (ClaveServiceClient      *self,
                                                            GAsyncResult            *result,
                                                            GError                 **error);

/* POST /v1/registrations/{id}/sms: a new code. */
void            clave_service_client_registration_resend_async  (ClaveServiceClient      *self,
                                                                 const ClaveRegistration *registration,
                                                                 GCancellable            *cancellable,
                                                                 GAsyncReadyCallback      callback,
                                                                 gpointer                 user_data);
ClaveSmsStatus *clave_service_client_registration_resend_finish (ClaveServiceClient      *self,
                                                                 GAsyncResult            *result,
                                                                 GError                 **error);

/* POST /v1/registrations/{id}/verify: confirms the phone; the person is
 * registered at level advanced and gets an activation that is already
 * verified (go straight to the device PIN and register_device). On
 * INVALID_CODE, @attempts_left is set. */
void             clave_service_client_registration_verify_async  (ClaveServiceClient      *self,
                                                                  const ClaveRegistration *registration,
                                                                  const char              *code,
                                                                  GCancellable            *cancellable,
                                                                  GAsyncReadyCallback      callback,
                                                                  gpointer                 user_data);
ClaveActivation *clave_service_client_registration_verify_finish (ClaveServiceClient      *self,
                                                                  GAsyncResult            *result,
                                                                  guint                   *attempts_left,
                                                                  GError                 **error);

/* ---- Cl@ve Móvil (docs/protocol.md "Cl@ve Móvil") ----------------------
 *
 * API for the app:
 *   ClaveAuthRequestInfo (boxed)                     a request as the device sees it
 *   clave_service_client_register_device_with_push_key_async ()  activation with a push key
 *   clave_service_client_claim_request_async ()      POST /v1/device/requests/{id}/claim
 *   clave_service_client_confirm_request_async ()    POST …/confirm (device key, unlocked)
 *   clave_service_client_reject_request_async ()     POST …/reject (device key, unlocked)
 *   clave_service_client_list_pending_async ()       GET /v1/device/requests?status=pending
 *   clave_service_client_get_history_async ()        GET /v1/device/history (one page)
 *
 * @key arguments typed gpointer take either a ClavePushKey (signs with
 * keyid "<device_id>#push") or an unlocked ClaveDeviceKey (keyid
 * "<device_id>"); the service accepts the push key only for claim, the
 * pending list, history and the push channel.
 */

/* Request types and states: the CLAVE_REQUEST_TYPE_* and
 * CLAVE_REQUEST_STATUS_* names of clave-protocol.h; these aliases stay. */
#define CLAVE_AUTH_REQUEST_TYPE_QR       CLAVE_REQUEST_TYPE_QR
#define CLAVE_AUTH_REQUEST_TYPE_PUSH     CLAVE_REQUEST_TYPE_PUSH
#define CLAVE_AUTH_REQUEST_TYPE_SMS      CLAVE_REQUEST_TYPE_SMS
#define CLAVE_AUTH_REQUEST_PENDING       CLAVE_REQUEST_STATUS_PENDING
#define CLAVE_AUTH_REQUEST_CONFIRMED     CLAVE_REQUEST_STATUS_CONFIRMED
#define CLAVE_AUTH_REQUEST_REJECTED      CLAVE_REQUEST_STATUS_REJECTED
#define CLAVE_AUTH_REQUEST_EXPIRED       CLAVE_REQUEST_STATUS_EXPIRED

typedef struct {
  char   *id;                 /* "req_…" */
  char   *type;               /* "qr" / "push" / "sms" */
  char   *status;             /* "pending" / "confirmed" / "rejected" / "expired" */
  char   *organisation;       /* "Agencia Tributaria" */
  char   *origin;             /* "https://sede.agenciatributaria.gob.es": show it large */
  char   *verification_code;  /* "123": the person compares it with the website's */
  gint64  created_at;         /* unix seconds */
  gint64  expires_at;         /* unix seconds (service clock) */
} ClaveAuthRequestInfo;

#define CLAVE_TYPE_AUTH_REQUEST_INFO (clave_auth_request_info_get_type ())
GType                 clave_auth_request_info_get_type (void) G_GNUC_CONST;
ClaveAuthRequestInfo *clave_auth_request_info_copy     (const ClaveAuthRequestInfo *info);
void                  clave_auth_request_info_free     (ClaveAuthRequestInfo       *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveAuthRequestInfo, clave_auth_request_info_free)

/* One entry of GET /v1/device/history. */
typedef struct {
  gint64  seq;
  char   *id;
  char   *type;
  char   *organisation;
  char   *origin;
  char   *status;
  gint64  created_at;
  gint64  answered_at;        /* 0 while not answered (null on the wire) */
} ClaveHistoryEntry;

void               clave_history_entry_free (ClaveHistoryEntry       *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveHistoryEntry, clave_history_entry_free)

typedef struct {
  GPtrArray *entries;   /* ClaveHistoryEntry, in seq order */
  char      *next;      /* cursor for the next page ("after"), may be NULL */
  gboolean   more;
} ClaveHistoryPage;

void clave_history_page_free (ClaveHistoryPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveHistoryPage, clave_history_page_free)

/* Like clave_service_client_register_device_async(), and also sends
 * @push_key's public key as "push_key" (may be NULL: then the same as the
 * plain call). Finish with clave_service_client_register_device_finish(). */
void     clave_service_client_register_device_with_push_key_async (ClaveServiceClient    *self,
                                                                   const ClaveActivation *activation,
                                                                   ClaveDeviceKey        *key,
                                                                   ClavePushKey          *push_key,
                                                                   const char            *device_name,
                                                                   GCancellable          *cancellable,
                                                                   GAsyncReadyCallback    callback,
                                                                   gpointer               user_data);

/* POST /v1/device/requests/{id}/claim: binds a QR request to this
 * device's citizen and returns it (status "pending" unless answered).
 * Errors: REQUEST_EXPIRED, ALREADY_CLAIMED, NOT_YOUR_REQUEST,
 * REQUEST_NOT_FOUND. */
void                  clave_service_client_claim_request_async  (ClaveServiceClient  *self,
                                                                 gpointer             key,
                                                                 const char          *device_id,
                                                                 const char          *request_id,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
ClaveAuthRequestInfo *clave_service_client_claim_request_finish (ClaveServiceClient  *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);

/* POST /v1/device/requests/{id}/confirm and …/reject, signed with the
 * unlocked device key. Errors: REQUEST_EXPIRED, ALREADY_ANSWERED,
 * NOT_YOUR_REQUEST, KEY_NOT_ALLOWED (never with a ClaveDeviceKey). */
void     clave_service_client_confirm_request_async  (ClaveServiceClient  *self,
                                                      ClaveDeviceKey      *key,
                                                      const char          *device_id,
                                                      const char          *request_id,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean clave_service_client_confirm_request_finish (ClaveServiceClient  *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
void     clave_service_client_reject_request_async   (ClaveServiceClient  *self,
                                                      ClaveDeviceKey      *key,
                                                      const char          *device_id,
                                                      const char          *request_id,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean clave_service_client_reject_request_finish  (ClaveServiceClient  *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* GET /v1/device/requests?status=pending: a GPtrArray of
 * ClaveAuthRequestInfo (free with g_ptr_array_unref). */
void       clave_service_client_list_pending_async  (ClaveServiceClient  *self,
                                                     gpointer             key,
                                                     const char          *device_id,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GPtrArray *clave_service_client_list_pending_finish (ClaveServiceClient  *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* GET /v1/device/history?after=@after&limit=@limit (@after NULL: from the
 * start; @limit 1..1000). Most callers want clave_history_store_sync_async(). */
void              clave_service_client_get_history_async  (ClaveServiceClient  *self,
                                                           gpointer             key,
                                                           const char          *device_id,
                                                           const char          *after,
                                                           guint                limit,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
ClaveHistoryPage *clave_service_client_get_history_finish (ClaveServiceClient  *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

G_END_DECLS
