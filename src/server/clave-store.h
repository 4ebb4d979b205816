/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-document.h"

G_BEGIN_DECLS

/**
 * ClaveStoreError:
 * @CLAVE_STORE_ERROR_FAILED: the database failed (message has detail)
 * @CLAVE_STORE_ERROR_NOT_FOUND: the row to change does not exist
 * @CLAVE_STORE_ERROR_CONFLICT: the change contradicts the stored state
 *   (activation not verified any more, phone of another citizen, …)
 *
 * Errors of the service's store.
 */
typedef enum {
  CLAVE_STORE_ERROR_FAILED,
  CLAVE_STORE_ERROR_NOT_FOUND,
  CLAVE_STORE_ERROR_CONFLICT,
} ClaveStoreError;

#define CLAVE_STORE_ERROR (clave_store_error_quark ())
GQuark clave_store_error_quark (void);

/* A record of the identity registry (police / immigration office). */
typedef struct {
  char              *document;        /* normalised, "12345678Z" */
  ClaveDocumentType  type;
  char              *given_name;
  char              *surnames;
  char              *validity_date;   /* ISO date or NULL */
  char              *issue_date;      /* ISO date or NULL */
  gboolean           permanent;       /* DNI valid to 9999-01-01 */
  char              *support_number;  /* NIE: "E01234567" or NULL */
} ClaveIdentity;

/* A Cl@ve registration. */
typedef struct {
  char   *document;
  char   *phone;
  char   *email;
  char   *level;     /* CLAVE_LEVEL_* */
  char   *channel;   /* CLAVE_CHANNEL_* */
  gint64  created_at;
} ClaveCitizen;

typedef enum {
  CLAVE_ACTIVATION_PENDING,
  CLAVE_ACTIVATION_VERIFIED,
  CLAVE_ACTIVATION_LOCKED,
  CLAVE_ACTIVATION_USED,
  /* A newer activation of the same citizen took its place. */
  CLAVE_ACTIVATION_REPLACED,
} ClaveActivationState;

/* The SMS code of an activation or a registration, one shape for both
 * (the code rules are one, clave-codes.c). */
typedef struct {
  char   *hmac;            /* NULL until a code was sent */
  gint64  expires_at;
  guint   attempts;        /* wrong codes so far */
  guint   sends;
  gint64  last_sent_at;
} ClaveCodeState;

typedef struct {
  char                 *id;
  char                 *token_hash;       /* SHA-256 hex of the bearer token */
  char                 *document;
  gint64                created_at;
  gint64                expires_at;
  ClaveActivationState  state;
  ClaveCodeState        code;
} ClaveActivationRecord;

/* Where a one-time code belongs: the shared code handling (clave-codes.c)
 * works on any. Ids never collide ("act_…", "reg_…", "chg_…", "eml_…").
 * The e-mail change's codes go by e-mail, the others by SMS. */
typedef enum {
  CLAVE_CODE_FLOW_ACTIVATION,
  CLAVE_CODE_FLOW_REGISTRATION,
  CLAVE_CODE_FLOW_PHONE_CHANGE,
  CLAVE_CODE_FLOW_EMAIL_CHANGE,
  CLAVE_CODE_FLOW_PERMANENTE,     /* "pma_…": activating Cl@ve Permanente */
  CLAVE_CODE_FLOW_VIDEO,          /* "vid_…": registering by video identification */
} ClaveCodeFlow;

/* How an outbox message travels (sms_outbox.channel). */
typedef enum {
  CLAVE_OUTBOX_SMS,
  CLAVE_OUTBOX_EMAIL,
} ClaveOutboxChannel;

const char *clave_outbox_channel_to_string (ClaveOutboxChannel channel);

typedef enum {
  CLAVE_REGISTRATION_PENDING,
  CLAVE_REGISTRATION_LOCKED,
  CLAVE_REGISTRATION_USED,
  /* A newer registration of the same document took its place. */
  CLAVE_REGISTRATION_REPLACED,
} ClaveRegistrationState;

/* A registration with a certificate in progress (docs/protocol.md,
 * "Registering with a certificate"): the phone is not confirmed yet. */
typedef struct {
  char                   *id;
  char                   *token_hash;       /* SHA-256 hex of the bearer token */
  char                   *document;
  char                   *phone;
  char                   *email;
  char                   *channel;          /* CLAVE_CHANNEL_CERTIFICATE or _DNIE */
  gint64                  created_at;
  gint64                  expires_at;
  ClaveRegistrationState  state;
  ClaveCodeState          code;
} ClaveRegistrationRecord;

/* What a contact change changes. */
typedef enum {
  CLAVE_CONTACT_PHONE,
  CLAVE_CONTACT_EMAIL,
} ClaveContactKind;

/* A change of a citizen's phone or e-mail, waiting for the code sent to
 * the new one (docs/protocol.md "POST /v1/me/phone", "POST
 * /v1/me/email"). Its states are those of a registration: pending, locked
 * (too many wrong codes), used, replaced by a newer change of the same
 * kind. */
typedef struct {
  ClaveContactKind        kind;
  char                   *id;         /* "chg_…" (phone), "eml_…" (e-mail) */
  char                   *document;
  char                   *value;      /* the new number or address; an e-mail
                                       * change has none until a code was sent */
  gint64                  created_at;
  gint64                  expires_at;
  ClaveRegistrationState  state;
  ClaveCodeState          code;
} ClaveContactChangeRecord;

typedef struct {
  char   *id;
  char   *document;
  GBytes *public_key;      /* SPKI DER; NULL once deactivated (forgotten) */
  char   *name;
  gint64  created_at;
  gint64  deactivated_at;  /* 0 while active */
  GBytes *push_key;        /* SPKI DER of the push key; NULL without one or
                            * once deactivated */
} ClaveDeviceRecord;

/* A relying party (government website) of Cl@ve Móvil. */
typedef struct {
  char     *id;            /* "rp_…" */
  char     *name;
  /* An https origin; the demo website's is "/demo/", relative to the
   * service's own origin (unknown when seed-demo runs). */
  char     *origin;
  char     *key_hash;      /* SHA-256 hex of the API key */
  gint64    created_at;
  gboolean  demo;
} ClaveRelyingParty;

/* An authentication request of a relying party. */
typedef struct {
  char   *id;
  char   *rp;
  char   *type;               /* CLAVE_REQUEST_TYPE_* */
  char   *status;             /* as stored: expiry not applied */
  char   *citizen;            /* NULL for a QR request until claimed */
  char   *device;             /* the device that claimed it, or NULL */
  char   *verification_code;
  char   *pin_hmac;           /* sms only; NULL once used */
  guint   pin_attempts;
  gint64  created_at;
  gint64  expires_at;
  gint64  answered_at;        /* 0 while pending */
  gint64  seq;
  /* Of the relying party (read only). */
  char   *rp_name;
  char   *rp_origin;
} ClaveAuthRequestRecord;

/* What became of one answer of clave_store_answer_auth_requests(). */
typedef enum {
  /* The nonce is spent and the request answered, both committed. */
  CLAVE_AUTH_ANSWER_DONE,
  /* The nonce was used already: nothing changed. */
  CLAVE_AUTH_ANSWER_REPLAYED,
  /* The nonce is spent; the request was no longer pending (or is bound
   * to another citizen), so it kept its answer. */
  CLAVE_AUTH_ANSWER_NOT_PENDING,
  /* The device was deactivated after its signature was checked:
   * nothing changed, not even the nonce. */
  CLAVE_AUTH_ANSWER_DEVICE_GONE,
  /* The database refused this answer: nothing of it changed. */
  CLAVE_AUTH_ANSWER_FAILED,
} ClaveAuthAnswerResult;

/* A device's answer to an authentication request, with the nonce of its
 * signature (docs/protocol.md "Device signatures"): the two are stored
 * together or not at all. */
typedef struct {
  /* NULL: only the nonce is spent (a refused answer: its signature
   * verified, so its nonce is used all the same). */
  const char            *request_id;
  const char            *status;       /* CLAVE_REQUEST_STATUS_CONFIRMED or _REJECTED */
  const char            *citizen;      /* the device's citizen */
  const char            *device_id;
  const char            *nonce;
  gint64                 now;
  ClaveAuthAnswerResult  result;       /* out */
  GError                *error;        /* out: why FAILED; the caller frees it */
} ClaveAuthAnswer;

/* A citizen's Cl@ve Permanente (docs/protocol.md "Cl@ve Permanente"): an
 * activation code, kept as an HMAC, until the person sets a password on
 * the activation page. */
typedef struct {
  char   *document;
  char   *code_hmac;          /* NULL: no code */
  gint64  code_created_at;
  gint64  code_expires_at;
  guint   code_attempts;      /* wrong codes since it was made */
  char   *password_hash;      /* NULL: not activated */
  gint64  password_set_at;
  guint   password_attempts;  /* wrong passwords in a row */
  gint64  created_at;
} ClavePermanenteRecord;

/* A registration by video identification (docs/protocol.md "Registering
 * by video identification"): the phone confirmed by an SMS code, then
 * the pictures, then an office's review. */
typedef enum {
  CLAVE_VIDEO_PHONE,       /* "phone": the SMS code not confirmed yet */
  CLAVE_VIDEO_CAPTURING,   /* "capturing": the pictures being sent */
  CLAVE_VIDEO_PENDING,     /* "pending": sent, waiting for review */
  CLAVE_VIDEO_APPROVED,    /* "approved": registered at level basic */
  CLAVE_VIDEO_REJECTED,    /* "rejected": with the reason */
  CLAVE_VIDEO_LOCKED,      /* "locked": too many wrong codes */
  CLAVE_VIDEO_REPLACED,    /* "replaced": a newer one of the same document */
  CLAVE_VIDEO_EXPIRED,     /* "expired": not sent for review in time */
} ClaveVideoState;

typedef struct {
  char            *id;            /* "vid_…" */
  char            *token_hash;    /* SHA-256 hex of the bearer token */
  char            *document;
  char            *phone;
  char            *email;
  gint64           created_at;
  gint64           expires_at;    /* until submitted */
  ClaveVideoState  state;
  ClaveCodeState   code;
  gint64           submitted_at;  /* 0 until sent for review */
  gint64           decided_at;    /* 0 until reviewed */
  char            *operator;      /* who reviewed it */
  char            *reason;        /* why it was rejected */
} ClaveVideoRecord;

/* A Cl@ve Firma signing certificate (docs/protocol.md "Cl@ve Firma"),
 * kept after revocation and after the citizen gave up Cl@ve: the CRL
 * lists it until it expires. */
typedef struct {
  char   *serial;      /* lower-case hex, as certtool prints it */
  char   *document;
  char   *holder;      /* the certificate's common name */
  char   *issuer;      /* the issuer's distinguished name, RFC 4514 */
  char   *cert_pem;
  /* The PKCS#8 private key sealed under STATE_DIR/firma/keys.key with the
   * serial as associated data (clave_aead_seal()); NULL once revoked. */
  GBytes *key_box;
  gint64  not_before;
  gint64  not_after;
  gint64  issued_at;
  gint64  revoked_at;  /* 0: not revoked */
  char   *revoked_by;  /* CLAVE_FIRMA_REVOKED_BY_*; NULL while valid */
} ClaveFirmaRecord;

#define CLAVE_FIRMA_REVOKED_BY_CITIZEN  "citizen"   /* the person, in the app */
#define CLAVE_FIRMA_REVOKED_BY_GIVEN_UP "given_up"  /* the person gave up Cl@ve */

typedef struct {
  gint64              id;
  ClaveOutboxChannel  channel;
  char               *to;      /* a phone number or an e-mail address */
  char               *body;
  gint64              created_at;
  char               *status;  /* "queued", "delivered", "failed" */
} ClaveOutboxMessage;

#define CLAVE_OUTBOX_QUEUED    "queued"
#define CLAVE_OUTBOX_DELIVERED "delivered"
#define CLAVE_OUTBOX_FAILED    "failed"

void                   clave_identity_free          (ClaveIdentity         *identity);
void                   clave_citizen_free           (ClaveCitizen          *citizen);
void                   clave_activation_record_free (ClaveActivationRecord *record);
void                   clave_device_record_free     (ClaveDeviceRecord     *record);
void                   clave_outbox_message_free    (ClaveOutboxMessage    *message);
void                   clave_registration_record_free (ClaveRegistrationRecord *record);
void                   clave_relying_party_free     (ClaveRelyingParty     *rp);
void                   clave_contact_change_record_free (ClaveContactChangeRecord *record);
void                   clave_permanente_record_free (ClavePermanenteRecord *record);
void                   clave_firma_record_free      (ClaveFirmaRecord      *record);
void                   clave_video_record_free      (ClaveVideoRecord      *record);
const char            *clave_video_state_to_string  (ClaveVideoState        state);
int                    clave_video_state_from_string (const char           *str);
void                   clave_auth_request_record_free (ClaveAuthRequestRecord *record);
const char            *clave_activation_state_to_string   (ClaveActivationState state);
int                    clave_activation_state_from_string (const char          *str);
const char            *clave_registration_state_to_string   (ClaveRegistrationState state);
int                    clave_registration_state_from_string (const char           *str);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveIdentity, clave_identity_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveCitizen, clave_citizen_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveContactChangeRecord, clave_contact_change_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClavePermanenteRecord, clave_permanente_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveFirmaRecord, clave_firma_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveVideoRecord, clave_video_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveActivationRecord, clave_activation_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveDeviceRecord, clave_device_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveOutboxMessage, clave_outbox_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveRegistrationRecord, clave_registration_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveRelyingParty, clave_relying_party_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveAuthRequestRecord, clave_auth_request_record_free)

#define CLAVE_TYPE_STORE (clave_store_get_type ())
G_DECLARE_INTERFACE (ClaveStore, clave_store, CLAVE, STORE, GObject)

/* Every operation is synchronous and, when it returns TRUE, committed.
 * Lookups return NULL without setting @error when nothing matches. */
struct _ClaveStoreInterface
{
  GTypeInterface parent_iface;

  gboolean                (*put_identity)          (ClaveStore                  *self,
                                                    const ClaveIdentity         *identity,
                                                    GError                     **error);
  ClaveIdentity          *(*get_identity)          (ClaveStore                  *self,
                                                    const char                  *document,
                                                    GError                     **error);
  gboolean                (*put_citizen)           (ClaveStore                  *self,
                                                    const ClaveCitizen          *citizen,
                                                    GError                     **error);
  ClaveCitizen           *(*get_citizen)           (ClaveStore                  *self,
                                                    const char                  *document,
                                                    GError                     **error);
  gboolean                (*add_identify_failure)  (ClaveStore                  *self,
                                                    const char                  *document,
                                                    const char                  *source,
                                                    gint64                       now,
                                                    GError                     **error);
  GArray                 *(*list_identify_failures)(ClaveStore                  *self,
                                                    const char                  *document,
                                                    const char                  *source,
                                                    gint64                       since,
                                                    GError                     **error);
  gboolean                (*touch_known_source)    (ClaveStore                  *self,
                                                    const char                  *key,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*get_known_source)      (ClaveStore                  *self,
                                                    const char                  *key,
                                                    gint64                      *last_seen,
                                                    GError                     **error);
  gboolean                (*create_activation)     (ClaveStore                  *self,
                                                    const ClaveActivationRecord *record,
                                                    GError                     **error);
  ClaveActivationRecord  *(*get_activation)        (ClaveStore                  *self,
                                                    const char                  *id,
                                                    GError                     **error);
  gboolean                (*store_code)            (ClaveStore                  *self,
                                                    ClaveCodeFlow                flow,
                                                    const char                  *flow_id,
                                                    const char                  *code_hmac,
                                                    gint64                       code_expires_at,
                                                    gint64                       now,
                                                    const char                  *to,
                                                    const char                  *body,
                                                    const char                  *redacted_body,
                                                    gint64                      *outbox_id,
                                                    GError                     **error);
  GArray                 *(*list_code_sends)       (ClaveStore                  *self,
                                                    const char                  *document,
                                                    ClaveOutboxChannel           channel,
                                                    gint64                       since,
                                                    GError                     **error);
  gboolean                (*record_wrong_code)     (ClaveStore                  *self,
                                                    ClaveCodeFlow                flow,
                                                    const char                  *flow_id,
                                                    guint                        max_attempts,
                                                    gint64                       now,
                                                    guint                       *attempts,
                                                    GError                     **error);
  GArray                 *(*list_wrong_codes)      (ClaveStore                  *self,
                                                    const char                  *document,
                                                    gint64                       since,
                                                    GError                     **error);
  gboolean                (*set_activation_state)  (ClaveStore                  *self,
                                                    const char                  *activation_id,
                                                    ClaveActivationState         state,
                                                    GError                     **error);
  gboolean                (*register_device)       (ClaveStore                  *self,
                                                    const char                  *activation_id,
                                                    const ClaveDeviceRecord     *device,
                                                    GError                     **error);
  ClaveDeviceRecord      *(*get_device)            (ClaveStore                  *self,
                                                    const char                  *id,
                                                    GError                     **error);
  GPtrArray              *(*list_devices)          (ClaveStore                  *self,
                                                    const char                  *document,
                                                    GError                     **error);
  gboolean                (*deactivate_device)     (ClaveStore                  *self,
                                                    const char                  *id,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*use_nonce)             (ClaveStore                  *self,
                                                    const char                  *device_id,
                                                    const char                  *nonce,
                                                    gint64                       now,
                                                    gint64                       keep_secs,
                                                    gboolean                    *fresh,
                                                    GError                     **error);
  GPtrArray              *(*list_outbox)           (ClaveStore                  *self,
                                                    guint                        limit,
                                                    GError                     **error);
  gboolean                (*set_outbox_status)     (ClaveStore                  *self,
                                                    gint64                       id,
                                                    const char                  *status,
                                                    GError                     **error);
  gboolean                (*redact_expired_codes)  (ClaveStore                  *self,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*purge)                 (ClaveStore                  *self,
                                                    gint64                       now,
                                                    GError                     **error);
  ClaveCitizen           *(*get_citizen_by_phone)  (ClaveStore                  *self,
                                                    const char                  *phone,
                                                    GError                     **error);
  gboolean                (*create_challenge)      (ClaveStore                  *self,
                                                    const char                  *id,
                                                    const char                  *challenge,
                                                    const char                  *address,
                                                    gint64                       now,
                                                    gint64                       expires_at,
                                                    GError                     **error);
  GArray                 *(*list_challenges)       (ClaveStore                  *self,
                                                    const char                  *address,
                                                    gint64                       since,
                                                    GError                     **error);
  gboolean                (*use_challenge)         (ClaveStore                  *self,
                                                    const char                  *id,
                                                    char                       **challenge,
                                                    gint64                      *expires_at,
                                                    GError                     **error);
  gboolean                (*create_registration)   (ClaveStore                  *self,
                                                    const ClaveRegistrationRecord *record,
                                                    GError                     **error);
  ClaveRegistrationRecord *(*get_registration)     (ClaveStore                  *self,
                                                    const char                  *id,
                                                    GError                     **error);
  gboolean                (*complete_registration) (ClaveStore                  *self,
                                                    const char                  *registration_id,
                                                    const ClaveCitizen          *citizen,
                                                    const ClaveActivationRecord *activation,
                                                    GError                     **error);
  gboolean                (*add_relying_party)     (ClaveStore                  *self,
                                                    const ClaveRelyingParty     *rp,
                                                    GError                     **error);
  GPtrArray              *(*list_relying_parties)  (ClaveStore                  *self,
                                                    GError                     **error);
  gboolean                (*create_auth_request)   (ClaveStore                  *self,
                                                    const ClaveAuthRequestRecord *record,
                                                    const char                  *phone,
                                                    const char                  *sms_body,
                                                    const char                  *redacted_body,
                                                    gint64                      *outbox_id,
                                                    GError                     **error);
  ClaveAuthRequestRecord *(*get_auth_request)      (ClaveStore                  *self,
                                                    const char                  *id,
                                                    GError                     **error);
  GPtrArray              *(*list_pending_auth_requests) (ClaveStore             *self,
                                                    const char                  *citizen,
                                                    gint64                       now,
                                                    GError                     **error);
  GPtrArray              *(*list_history)          (ClaveStore                  *self,
                                                    const char                  *citizen,
                                                    gint64                       after,
                                                    guint                        limit,
                                                    GError                     **error);
  GPtrArray              *(*list_expired_auth_requests) (ClaveStore             *self,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*update_auth_request)   (ClaveStore                  *self,
                                                    const char                  *id,
                                                    const char                  *status,
                                                    const char                  *citizen,
                                                    const char                  *device,
                                                    gint64                       answered_at,
                                                    gboolean                     count_pin_attempt,
                                                    guint                        max_pin_attempts,
                                                    gboolean                    *changed,
                                                    GError                     **error);
  ClaveRelyingParty      *(*get_relying_party)     (ClaveStore                  *self,
                                                    const char                  *id,
                                                    GError                     **error);
  ClaveRelyingParty      *(*get_relying_party_by_key_hash) (ClaveStore          *self,
                                                    const char                  *key_hash,
                                                    GError                     **error);
  ClaveRelyingParty      *(*get_demo_relying_party) (ClaveStore                 *self,
                                                    GError                     **error);
  gboolean                (*answer_auth_requests)  (ClaveStore                  *self,
                                                    ClaveAuthAnswer             *answers,
                                                    guint                        n_answers,
                                                    GError                     **error);
  gboolean                (*purge_auth_requests)   (ClaveStore                  *self,
                                                    gint64                       created_before,
                                                    guint                        max_rows,
                                                    guint                       *purged,
                                                    GError                     **error);
  gboolean                (*give_up)               (ClaveStore                  *self,
                                                    const char                  *document,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*get_given_up)          (ClaveStore                  *self,
                                                    const char                  *document,
                                                    gint64                      *given_up_at,
                                                    GError                     **error);
  gboolean                (*change_level)          (ClaveStore                  *self,
                                                    const char                  *document,
                                                    const char                  *from_level,
                                                    const char                  *to_level,
                                                    GError                     **error);
  gboolean                (*create_contact_change)   (ClaveStore                  *self,
                                                      const ClaveContactChangeRecord *record,
                                                      GError                     **error);
  ClaveContactChangeRecord *(*get_contact_change)    (ClaveStore                  *self,
                                                      ClaveContactKind             kind,
                                                      const char                  *id,
                                                      GError                     **error);
  gboolean                (*complete_contact_change) (ClaveStore                  *self,
                                                      ClaveContactKind             kind,
                                                      const char                  *id,
                                                      const char                  *old_value,
                                                      const char                  *notice,
                                                      gint64                       now,
                                                      gint64                      *notice_id,
                                                      GError                     **error);
  ClavePermanenteRecord  *(*get_permanente)        (ClaveStore                  *self,
                                                    const char                  *document,
                                                    GError                     **error);
  gboolean                (*put_permanente_code)   (ClaveStore                  *self,
                                                    const char                  *document,
                                                    const char                  *code_hmac,
                                                    gint64                       expires_at,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*count_permanente_code_attempt) (ClaveStore          *self,
                                                    const char                  *document,
                                                    guint                       *attempts,
                                                    GError                     **error);
  gboolean                (*create_permanente_activation) (ClaveStore           *self,
                                                    const ClaveActivationRecord *record,
                                                    GError                     **error);
  ClaveActivationRecord  *(*get_permanente_activation) (ClaveStore              *self,
                                                    const char                  *id,
                                                    GError                     **error);
  gboolean                (*set_permanente_activation_state) (ClaveStore        *self,
                                                    const char                  *id,
                                                    ClaveActivationState         state,
                                                    GError                     **error);
  gboolean                (*count_permanente_password_attempt) (ClaveStore      *self,
                                                    const char                  *document,
                                                    guint                       *attempts,
                                                    GError                     **error);
  gboolean                (*set_permanente_password) (ClaveStore                *self,
                                                    const char                  *document,
                                                    const char                  *password_hash,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*delete_permanente)     (ClaveStore                  *self,
                                                    const char                  *document,
                                                    GError                     **error);
  gboolean                (*activate_permanente)   (ClaveStore                  *self,
                                                    const char                  *activation_id,
                                                    const char                  *password_hash,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*put_firma)             (ClaveStore                  *self,
                                                    const ClaveFirmaRecord      *record,
                                                    gint64                       now,
                                                    GError                     **error);
  GPtrArray              *(*list_firma)            (ClaveStore                  *self,
                                                    const char                  *document,
                                                    gboolean                     revoked_only,
                                                    GError                     **error);
  gboolean                (*revoke_firma)          (ClaveStore                  *self,
                                                    const char                  *document,
                                                    const char                  *serial,
                                                    const char                  *revoked_by,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*create_video)          (ClaveStore                  *self,
                                                    const ClaveVideoRecord      *record,
                                                    GError                     **error);
  ClaveVideoRecord       *(*get_video)             (ClaveStore                  *self,
                                                    const char                  *id,
                                                    GError                     **error);
  gboolean                (*set_video_state)       (ClaveStore                  *self,
                                                    const char                  *id,
                                                    ClaveVideoState              from,
                                                    ClaveVideoState              to,
                                                    gint64                       now,
                                                    GError                     **error);
  gboolean                (*decide_video)          (ClaveStore                  *self,
                                                    const char                  *id,
                                                    const ClaveCitizen          *citizen,
                                                    const char                  *operator_name,
                                                    const char                  *reason,
                                                    gint64                       now,
                                                    GError                     **error);
  GPtrArray              *(*list_videos)           (ClaveStore                  *self,
                                                    int                          state,
                                                    GError                     **error);
  void                    (*close)                 (ClaveStore                  *self);
};

/* Adds or replaces an identity registry record. */
gboolean               clave_store_put_identity          (ClaveStore                  *self,
                                                          const ClaveIdentity         *identity,
                                                          GError                     **error);
ClaveIdentity         *clave_store_get_identity          (ClaveStore                  *self,
                                                          const char                  *document,
                                                          GError                     **error);
/* Adds or replaces a registration; the identity must exist. CONFLICT when
 * the phone belongs to another citizen. */
gboolean               clave_store_put_citizen           (ClaveStore                  *self,
                                                          const ClaveCitizen          *citizen,
                                                          GError                     **error);
ClaveCitizen          *clave_store_get_citizen           (ClaveStore                  *self,
                                                          const char                  *document,
                                                          GError                     **error);
/* A failed identification of @document from @source (a client address
 * or a relying party, see clave-identify.c). */
gboolean               clave_store_add_identify_failure  (ClaveStore                  *self,
                                                          const char                  *document,
                                                          const char                  *source,
                                                          gint64                       now,
                                                          GError                     **error);
/* Times (gint64 seconds, ascending) of failures at or after @since of
 * @document, from @source, or both; NULL matches any (not both NULL). */
GArray                *clave_store_list_identify_failures (ClaveStore                 *self,
                                                          const char                  *document,
                                                          const char                  *source,
                                                          gint64                       since,
                                                          GError                     **error);
/* Notes that @key (an opaque digest of a document and a source) was seen
 * at @now. */
gboolean               clave_store_touch_known_source    (ClaveStore                  *self,
                                                          const char                  *key,
                                                          gint64                       now,
                                                          GError                     **error);
/* When @key was last seen: 0 when never, or so long ago that the row was
 * purged. */
gboolean               clave_store_get_known_source      (ClaveStore                  *self,
                                                          const char                  *key,
                                                          gint64                      *last_seen,
                                                          GError                     **error);
/* In one transaction: adds @record and replaces (CLAVE_ACTIVATION_REPLACED)
 * the citizen's earlier pending or verified activations, whose codes are
 * redacted from the outbox. */
gboolean               clave_store_create_activation     (ClaveStore                  *self,
                                                          const ClaveActivationRecord *record,
                                                          GError                     **error);
ClaveActivationRecord *clave_store_get_activation        (ClaveStore                  *self,
                                                          const char                  *id,
                                                          GError                     **error);
/* In one transaction: replaces the code of the activation,
 * registration or contact change @flow_id, counts the send, redacts its
 * earlier messages and queues the message to @to in the outbox, by SMS or
 * e-mail as @flow says (counted for the person of @flow_id). An e-mail
 * change's code and address change together: the change is to @to.
 * @redacted_body is what the message's body becomes once its code can no
 * longer be used (see the redaction rules of
 * clave_store_redact_expired_codes()). */
gboolean               clave_store_store_code            (ClaveStore                  *self,
                                                          ClaveCodeFlow                flow,
                                                          const char                  *flow_id,
                                                          const char                  *code_hmac,
                                                          gint64                       code_expires_at,
                                                          gint64                       now,
                                                          const char                  *to,
                                                          const char                  *body,
                                                          const char                  *redacted_body,
                                                          gint64                      *outbox_id,
                                                          GError                     **error);
/* Times (gint64 seconds, ascending) of the codes sent to a citizen by
 * @channel at or after @since, over all their flows. */
GArray                *clave_store_list_code_sends       (ClaveStore                  *self,
                                                          const char                  *document,
                                                          ClaveOutboxChannel           channel,
                                                          gint64                       since,
                                                          GError                     **error);
/* Counts a wrong code, for the activation or registration and for its
 * person; locks it (and redacts its code) when @attempts reaches
 * @max_attempts. */
gboolean               clave_store_record_wrong_code     (ClaveStore                  *self,
                                                          ClaveCodeFlow                flow,
                                                          const char                  *flow_id,
                                                          guint                        max_attempts,
                                                          gint64                       now,
                                                          guint                       *attempts,
                                                          GError                     **error);
/* Times (gint64 seconds, ascending) of a citizen's wrong codes at or after
 * @since, over all activations. */
GArray                *clave_store_list_wrong_codes      (ClaveStore                  *self,
                                                          const char                  *document,
                                                          gint64                       since,
                                                          GError                     **error);
/* Any state but pending also redacts the activation's code from the
 * outbox: it can no longer be used. */
gboolean               clave_store_set_activation_state  (ClaveStore                  *self,
                                                          const char                  *activation_id,
                                                          ClaveActivationState         state,
                                                          GError                     **error);
/* In one transaction: uses up the (verified) activation, deactivates the
 * citizen's other devices and adds @device. CONFLICT when the activation
 * is not verified. */
gboolean               clave_store_register_device       (ClaveStore                  *self,
                                                          const char                  *activation_id,
                                                          const ClaveDeviceRecord     *device,
                                                          GError                     **error);
ClaveDeviceRecord     *clave_store_get_device            (ClaveStore                  *self,
                                                          const char                  *id,
                                                          GError                     **error);
/* Devices of a citizen, newest first (ClaveDeviceRecord). */
GPtrArray             *clave_store_list_devices          (ClaveStore                  *self,
                                                          const char                  *document,
                                                          GError                     **error);
/* Marks the device deactivated and forgets its key. */
gboolean               clave_store_deactivate_device     (ClaveStore                  *self,
                                                          const char                  *id,
                                                          gint64                       now,
                                                          GError                     **error);
/* Remembers @nonce for @device_id; @fresh is FALSE when it was already
 * seen in the last @keep_secs seconds. */
gboolean               clave_store_use_nonce             (ClaveStore                  *self,
                                                          const char                  *device_id,
                                                          const char                  *nonce,
                                                          gint64                       now,
                                                          gint64                       keep_secs,
                                                          gboolean                    *fresh,
                                                          GError                     **error);
/* Newest first (ClaveOutboxMessage); @limit 0 means all. */
GPtrArray             *clave_store_list_outbox           (ClaveStore                  *self,
                                                          guint                        limit,
                                                          GError                     **error);
/* CLAVE_OUTBOX_DELIVERED also redacts the message: the gateway has it. */
gboolean               clave_store_set_outbox_status     (ClaveStore                  *self,
                                                          gint64                       id,
                                                          const char                  *status,
                                                          GError                     **error);
/* Redacts the messages whose code expired (with the code or with its
 * activation) by @now. Codes leave the outbox's bodies as soon as they
 * cannot be used: expired, used, replaced by a resend or a newer
 * activation, locked, or handed to the SMS gateway. */
gboolean               clave_store_redact_expired_codes  (ClaveStore                  *self,
                                                          gint64                       now,
                                                          GError                     **error);
/* Redacts expired codes and drops rows that no rule needs any more (old
 * failures, wrong codes, nonces, activations, outbox messages). */
gboolean               clave_store_purge                 (ClaveStore                  *self,
                                                          gint64                       now,
                                                          GError                     **error);
/* In one transaction: records that the citizen of @document gave up
 * Cl@ve at @now and ends the registration, with its devices, activations
 * and requests; the person may register again. NOT_FOUND when not
 * registered. */
gboolean               clave_store_give_up               (ClaveStore                  *self,
                                                          const char                  *document,
                                                          gint64                       now,
                                                          GError                     **error);
/* When the person of @document last gave up Cl@ve (0: never). */
gboolean               clave_store_get_given_up          (ClaveStore                  *self,
                                                          const char                  *document,
                                                          gint64                      *given_up_at,
                                                          GError                     **error);
/* The citizen of @document goes from @from_level to @to_level, touching
 * nothing else: CONFLICT when the level is not @from_level, NOT_FOUND
 * when not registered. */
gboolean               clave_store_change_level          (ClaveStore                  *self,
                                                          const char                  *document,
                                                          const char                  *from_level,
                                                          const char                  *to_level,
                                                          GError                     **error);
/* Adds a pending contact change; the citizen's earlier pending ones of
 * the same kind are replaced (their codes redacted). */
gboolean               clave_store_create_contact_change (ClaveStore                  *self,
                                                          const ClaveContactChangeRecord *record,
                                                          GError                     **error);
ClaveContactChangeRecord *clave_store_get_contact_change (ClaveStore                  *self,
                                                          ClaveContactKind             kind,
                                                          const char                  *id,
                                                          GError                     **error);
/* In one transaction: the pending change @id gives its citizen the new
 * phone or e-mail, is used up (its codes redacted), and @notice (may be
 * NULL: none) is queued to @old_value by the change's channel
 * (@notice_id: its outbox id, 0 without notice). A phone change also
 * ends the citizen's activations in progress, whose codes went to the
 * old number. CONFLICT when the new phone belongs to another citizen,
 * NOT_FOUND when the change is not pending or an e-mail change has no
 * address yet. */
gboolean               clave_store_complete_contact_change (ClaveStore                *self,
                                                          ClaveContactKind             kind,
                                                          const char                  *id,
                                                          const char                  *old_value,
                                                          const char                  *notice,
                                                          gint64                       now,
                                                          gint64                      *notice_id,
                                                          GError                     **error);
/* The citizen whose phone is @phone, if any. */
ClaveCitizen          *clave_store_get_citizen_by_phone  (ClaveStore                  *self,
                                                          const char                  *phone,
                                                          GError                     **error);
gboolean               clave_store_create_challenge      (ClaveStore                  *self,
                                                          const char                  *id,
                                                          const char                  *challenge,
                                                          const char                  *address,
                                                          gint64                       now,
                                                          gint64                       expires_at,
                                                          GError                     **error);
/* Times (gint64 seconds, ascending) of the challenges handed to @address
 * at or after @since. */
GArray                *clave_store_list_challenges       (ClaveStore                  *self,
                                                          const char                  *address,
                                                          gint64                       since,
                                                          GError                     **error);
/* Uses up the challenge @id: the first call for an id gets its value and
 * expiry, every later one (and an unknown id) gets @challenge NULL. */
gboolean               clave_store_use_challenge         (ClaveStore                  *self,
                                                          const char                  *id,
                                                          char                       **challenge,
                                                          gint64                      *expires_at,
                                                          GError                     **error);
/* In one transaction: adds @record and replaces
 * (CLAVE_REGISTRATION_REPLACED) the document's earlier pending
 * registrations, whose codes are redacted from the outbox. */
gboolean               clave_store_create_registration   (ClaveStore                  *self,
                                                          const ClaveRegistrationRecord *record,
                                                          GError                     **error);
ClaveRegistrationRecord *clave_store_get_registration    (ClaveStore                  *self,
                                                          const char                  *id,
                                                          GError                     **error);
/* In one transaction: uses up the pending registration, adds @citizen
 * (never replacing one) and @activation, and redacts the registration's
 * codes. CONFLICT when the registration is not pending any more, the
 * document is registered or the phone belongs to another citizen. */
gboolean               clave_store_complete_registration (ClaveStore                  *self,
                                                          const char                  *registration_id,
                                                          const ClaveCitizen          *citizen,
                                                          const ClaveActivationRecord *activation,
                                                          GError                     **error);
/* Cl@ve Móvil (docs/protocol.md "Cl@ve Móvil"). */
gboolean    clave_store_add_relying_party   (ClaveStore                   *store,
                                                    const ClaveRelyingParty      *rp,
                                                    GError                      **error);
/* Oldest first (ClaveRelyingParty). */
GPtrArray  *clave_store_list_relying_parties (ClaveStore                  *store,
                                                    GError                      **error);
/* The relying party with this id, through its primary key. */
ClaveRelyingParty *clave_store_get_relying_party (ClaveStore              *store,
                                                  const char              *id,
                                                  GError                 **error);
/* The relying party whose API key has the SHA-256 @key_hash (hex),
 * through the unique index on the hash: no scan, however many there are.
 * The caller still compares the hash it gets in constant time. */
ClaveRelyingParty *clave_store_get_relying_party_by_key_hash (ClaveStore  *store,
                                                  const char              *key_hash,
                                                  GError                 **error);
/* The demo website's relying party (clave-admin seed-demo), if any. */
ClaveRelyingParty *clave_store_get_demo_relying_party (ClaveStore         *store,
                                                  GError                 **error);
/* In one transaction: adds @record with the next history seq and, with
 * @sms_body, queues the SMS (redacted to @redacted_body once the request
 * is answered or expires). */
gboolean    clave_store_create_auth_request (ClaveStore                   *store,
                                                    const ClaveAuthRequestRecord *record,
                                                    const char                   *phone,
                                                    const char                   *sms_body,
                                                    const char                   *redacted_body,
                                                    gint64                       *outbox_id,
                                                    GError                      **error);
ClaveAuthRequestRecord *clave_store_get_auth_request (ClaveStore      *store,
                                                    const char                   *id,
                                                    GError                      **error);
/* The citizen's pending, unexpired qr and push requests, oldest first. */
GPtrArray  *clave_store_list_pending_auth_requests (ClaveStore            *store,
                                                    const char                   *citizen,
                                                    gint64                        now,
                                                    GError                      **error);
/* The citizen's requests with seq > @after, by seq, at most @limit. */
GPtrArray  *clave_store_list_history        (ClaveStore                   *store,
                                                    const char                   *citizen,
                                                    gint64                        after,
                                                    guint                         limit,
                                                    GError                      **error);
/* Requests still stored as pending whose expiry is at or before @now. */
GPtrArray  *clave_store_list_expired_auth_requests (ClaveStore            *store,
                                                    gint64                        now,
                                                    GError                      **error);
/* Changes a pending request in one transaction and gives it the next
 * seq: @status (NULL: unchanged; non-NULL also sets @answered_at and
 * forgets the PIN), binds @citizen and @device (NULL: unchanged; refused
 * when bound to others), or counts a wrong PIN (rejecting it at
 * @max_pin_attempts). @changed is FALSE when nothing matched (not pending
 * any more, or bound to another device). */
gboolean    clave_store_update_auth_request (ClaveStore                   *store,
                                                    const char                   *id,
                                                    const char                   *status,
                                                    const char                   *citizen,
                                                    const char                   *device,
                                                    gint64                        answered_at,
                                                    gboolean                      count_pin_attempt,
                                                    guint                         max_pin_attempts,
                                                    gboolean                     *changed,
                                                    GError                      **error);

/* In one transaction (one commit, so one sync of the log for all of
 * them): for each answer, spends its nonce and answers its request, or
 * changes neither; sets each answer's result (and error, when FAILED).
 * FALSE when the transaction failed: then nothing of any answer was
 * stored. */
gboolean    clave_store_answer_auth_requests (ClaveStore                  *store,
                                                    ClaveAuthAnswer              *answers,
                                                    guint                         n_answers,
                                                    GError                      **error);
/* Deletes at most @max_rows requests created before @created_before
 * (the retention, docs/clave-server.1 --request-retention-days), oldest
 * first; @purged: how many. A request is never deleted while it can still
 * be answered: the retention is far longer than any request lives. */
gboolean    clave_store_purge_auth_requests (ClaveStore                   *store,
                                                    gint64                        created_before,
                                                    guint                         max_rows,
                                                    guint                        *purged,
                                                    GError                      **error);

void                   clave_store_close                 (ClaveStore                  *self);

/* Cl@ve Firma. Adds @record, an issued certificate; CONFLICT when its
 * document already has one that is neither revoked nor expired at @now
 * (checked in the same transaction). */
gboolean               clave_store_put_firma             (ClaveStore                  *self,
                                                          const ClaveFirmaRecord      *record,
                                                          gint64                       now,
                                                          GError                     **error);
/* The certificates of @document (NULL: everybody's), newest first; with
 * @revoked_only those revoked (what the CRL lists). Never NULL without
 * an error. */
GPtrArray             *clave_store_list_firma            (ClaveStore                  *self,
                                                          const char                  *document,
                                                          gboolean                     revoked_only,
                                                          GError                     **error);
/* Revokes certificate @serial of @document at @now and destroys its
 * sealed key, in one transaction: NOT_FOUND when @document has no such
 * certificate, CONFLICT when it is already revoked. */
gboolean               clave_store_revoke_firma          (ClaveStore                  *self,
                                                          const char                  *document,
                                                          const char                  *serial,
                                                          const char                  *revoked_by,
                                                          gint64                       now,
                                                          GError                     **error);

/* Video identification. Adds @record; its document's unfinished ones
 * (phone, capturing) are replaced and their codes redacted; CONFLICT when
 * one of the document's is pending review (a unique index holds it). */
gboolean               clave_store_create_video          (ClaveStore                  *self,
                                                          const ClaveVideoRecord      *record,
                                                          GError                     **error);
/* NULL (no error) when there is no such registration. */
ClaveVideoRecord      *clave_store_get_video             (ClaveStore                  *self,
                                                          const char                  *id,
                                                          GError                     **error);
/* @from to @to, in one statement; CONFLICT when it was not in @from.
 * Going to pending sets submitted_at to @now. */
gboolean               clave_store_set_video_state       (ClaveStore                  *self,
                                                          const char                  *id,
                                                          ClaveVideoState              from,
                                                          ClaveVideoState              to,
                                                          gint64                       now,
                                                          GError                     **error);
/* The review of a pending registration, in one transaction: with
 * @citizen approved (the citizen added: CONFLICT when the person or the
 * phone is registered by now), without rejected for @reason. CONFLICT
 * when it is not pending. */
gboolean               clave_store_decide_video          (ClaveStore                  *self,
                                                          const char                  *id,
                                                          const ClaveCitizen          *citizen,
                                                          const char                  *operator_name,
                                                          const char                  *reason,
                                                          gint64                       now,
                                                          GError                     **error);
/* The registrations in @state (-1: all), oldest first. */
GPtrArray             *clave_store_list_videos           (ClaveStore                  *self,
                                                          int                          state,
                                                          GError                     **error);

/* The citizen's Cl@ve Permanente, or NULL (no error) when they have none. */
ClavePermanenteRecord *clave_store_get_permanente        (ClaveStore                  *self,
                                                          const char                  *document,
                                                          GError                     **error);
/* Gives the citizen of @document a new activation code (its HMAC), valid
 * until @expires_at, with no wrong attempts; the Cl@ve Permanente is
 * created with it when there was none, and a password already set stays
 * until the person sets a new one. NOT_FOUND when not registered. */
gboolean               clave_store_put_permanente_code   (ClaveStore                  *self,
                                                          const char                  *document,
                                                          const char                  *code_hmac,
                                                          gint64                       expires_at,
                                                          gint64                       now,
                                                          GError                     **error);

/* Counts a wrong activation code for the Cl@ve Permanente of @document;
 * *@attempts: the count now. NOT_FOUND when the person has no code. */
gboolean               clave_store_count_permanente_code_attempt (ClaveStore          *self,
                                                          const char                  *document,
                                                          guint                       *attempts,
                                                          GError                     **error);
/* Activating Cl@ve Permanente on the activation website: the same record
 * as a device activation (a bearer token's hash, an SMS code; states
 * pending, verified, locked, used, replaced), in its own table. A new one
 * replaces the person's earlier pending or verified ones. */
gboolean               clave_store_create_permanente_activation (ClaveStore           *self,
                                                          const ClaveActivationRecord *record,
                                                          GError                     **error);
ClaveActivationRecord *clave_store_get_permanente_activation (ClaveStore              *self,
                                                          const char                  *id,
                                                          GError                     **error);
/* Any state but pending also redacts its codes in the outbox. */
gboolean               clave_store_set_permanente_activation_state (ClaveStore        *self,
                                                          const char                  *id,
                                                          ClaveActivationState         state,
                                                          GError                     **error);
/* In one transaction: the verified activation @activation_id is used up,
 * and its person's Cl@ve Permanente gets @password_hash (no wrong
 * attempts) and loses its activation code. NOT_FOUND when the activation
 * is not verified. */
gboolean               clave_store_activate_permanente   (ClaveStore                  *self,
                                                          const char                  *activation_id,
                                                          const char                  *password_hash,
                                                          gint64                       now,
                                                          GError                     **error);

/* Counts a wrong password of the Cl@ve Permanente of @document;
 * *@attempts: the count now. NOT_FOUND when it has no password. */
gboolean               clave_store_count_permanente_password_attempt (ClaveStore      *self,
                                                          const char                  *document,
                                                          guint                       *attempts,
                                                          GError                     **error);
/* A new password hash, no wrong attempts. NOT_FOUND when the person has
 * no password yet. */
gboolean               clave_store_set_permanente_password (ClaveStore                *self,
                                                          const char                  *document,
                                                          const char                  *password_hash,
                                                          gint64                       now,
                                                          GError                     **error);
/* The Cl@ve Permanente of @document goes, with its activations in
 * progress (their codes redacted). NOT_FOUND when there was none. */
gboolean               clave_store_delete_permanente     (ClaveStore                  *self,
                                                          const char                  *document,
                                                          GError                     **error);

G_END_DECLS
