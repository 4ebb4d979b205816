/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include "clave-store.h"

G_DEFINE_QUARK (clave-store-error-quark, clave_store_error)

G_DEFINE_INTERFACE (ClaveStore, clave_store, G_TYPE_OBJECT)

static void
clave_store_default_init (ClaveStoreInterface *iface)
{
}

void
clave_identity_free (ClaveIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->document);
  g_free (identity->given_name);
  g_free (identity->surnames);
  g_free (identity->validity_date);
  g_free (identity->issue_date);
  g_free (identity->support_number);
  g_free (identity);
}

void
clave_citizen_free (ClaveCitizen *citizen)
{
  if (citizen == NULL)
    return;
  g_free (citizen->document);
  g_free (citizen->phone);
  g_free (citizen->email);
  g_free (citizen->level);
  g_free (citizen->channel);
  g_free (citizen);
}

void
clave_activation_record_free (ClaveActivationRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->id);
  g_free (record->token_hash);
  g_free (record->document);
  g_free (record->code.hmac);
  g_free (record);
}

void
clave_device_record_free (ClaveDeviceRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->id);
  g_free (record->document);
  g_clear_pointer (&record->public_key, g_bytes_unref);
  g_clear_pointer (&record->push_key, g_bytes_unref);
  g_free (record->name);
  g_free (record);
}

void
clave_contact_change_record_free (ClaveContactChangeRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->id);
  g_free (record->document);
  g_free (record->value);
  g_free (record->code.hmac);
  g_free (record);
}

void
clave_relying_party_free (ClaveRelyingParty *rp)
{
  if (rp == NULL)
    return;
  g_free (rp->id);
  g_free (rp->name);
  g_free (rp->origin);
  g_free (rp->key_hash);
  g_free (rp);
}

void
clave_auth_request_record_free (ClaveAuthRequestRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->id);
  g_free (record->rp);
  g_free (record->type);
  g_free (record->status);
  g_free (record->citizen);
  g_free (record->device);
  g_free (record->verification_code);
  g_free (record->pin_hmac);
  g_free (record->rp_name);
  g_free (record->rp_origin);
  g_free (record);
}

void
clave_outbox_message_free (ClaveOutboxMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->to);
  g_free (message->body);
  g_free (message->status);
  g_free (message);
}

void
clave_video_record_free (ClaveVideoRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->id);
  g_free (record->token_hash);
  g_free (record->document);
  g_free (record->phone);
  g_free (record->email);
  g_free (record->code.hmac);
  g_free (record->operator);
  g_free (record->reason);
  g_free (record);
}

static const char * const video_states[] = {
  [CLAVE_VIDEO_PHONE] = "phone",
  [CLAVE_VIDEO_CAPTURING] = "capturing",
  [CLAVE_VIDEO_PENDING] = "pending",
  [CLAVE_VIDEO_APPROVED] = "approved",
  [CLAVE_VIDEO_REJECTED] = "rejected",
  [CLAVE_VIDEO_LOCKED] = "locked",
  [CLAVE_VIDEO_REPLACED] = "replaced",
  [CLAVE_VIDEO_EXPIRED] = "expired",
};

const char *
clave_video_state_to_string (ClaveVideoState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (video_states), NULL);
  return video_states[state];
}

int
clave_video_state_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (video_states); i++)
    if (g_str_equal (str, video_states[i]))
      return (int) i;
  return -1;
}

void
clave_firma_record_free (ClaveFirmaRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->serial);
  g_free (record->document);
  g_free (record->holder);
  g_free (record->issuer);
  g_free (record->cert_pem);
  g_clear_pointer (&record->key_box, g_bytes_unref);
  g_free (record->revoked_by);
  g_free (record);
}

void
clave_permanente_record_free (ClavePermanenteRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->document);
  g_free (record->code_hmac);
  g_free (record->password_hash);
  g_free (record);
}

const char *
clave_outbox_channel_to_string (ClaveOutboxChannel channel)
{
  return channel == CLAVE_OUTBOX_EMAIL ? "email" : "sms";
}

static const char * const activation_states[] = {
  [CLAVE_ACTIVATION_PENDING] = "pending",
  [CLAVE_ACTIVATION_VERIFIED] = "verified",
  [CLAVE_ACTIVATION_LOCKED] = "locked",
  [CLAVE_ACTIVATION_USED] = "used",
  [CLAVE_ACTIVATION_REPLACED] = "replaced",
};

const char *
clave_activation_state_to_string (ClaveActivationState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (activation_states), NULL);
  return activation_states[state];
}

int
clave_activation_state_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (activation_states); i++)
    if (g_str_equal (str, activation_states[i]))
      return (int) i;
  return -1;
}

void
clave_registration_record_free (ClaveRegistrationRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->id);
  g_free (record->token_hash);
  g_free (record->document);
  g_free (record->phone);
  g_free (record->email);
  g_free (record->channel);
  g_free (record->code.hmac);
  g_free (record);
}

static const char * const registration_states[] = {
  [CLAVE_REGISTRATION_PENDING] = "pending",
  [CLAVE_REGISTRATION_LOCKED] = "locked",
  [CLAVE_REGISTRATION_USED] = "used",
  [CLAVE_REGISTRATION_REPLACED] = "replaced",
};

const char *
clave_registration_state_to_string (ClaveRegistrationState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (registration_states), NULL);
  return registration_states[state];
}

int
clave_registration_state_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (registration_states); i++)
    if (g_str_equal (str, registration_states[i]))
      return (int) i;
  return -1;
}

#define STORE_CALL(name, fail, ...)                                          \
  G_STMT_START {                                                             \
    ClaveStoreInterface *iface;                                              \
    g_return_val_if_fail (CLAVE_IS_STORE (self), fail);                      \
    iface = CLAVE_STORE_GET_IFACE (self);                                    \
    g_return_val_if_fail (iface->name != NULL, fail);                        \
    return iface->name (self, __VA_ARGS__);                                  \
  } G_STMT_END

gboolean
clave_store_put_identity (ClaveStore          *self,
                          const ClaveIdentity *identity,
                          GError             **error)
{
  STORE_CALL (put_identity, FALSE, identity, error);
}

ClaveIdentity *
clave_store_get_identity (ClaveStore  *self,
                          const char  *document,
                          GError     **error)
{
  STORE_CALL (get_identity, NULL, document, error);
}

gboolean
clave_store_put_citizen (ClaveStore         *self,
                         const ClaveCitizen *citizen,
                         GError            **error)
{
  STORE_CALL (put_citizen, FALSE, citizen, error);
}

ClaveCitizen *
clave_store_get_citizen (ClaveStore  *self,
                         const char  *document,
                         GError     **error)
{
  STORE_CALL (get_citizen, NULL, document, error);
}

gboolean
clave_store_add_identify_failure (ClaveStore  *self,
                                  const char  *document,
                                  const char  *source,
                                  gint64       now,
                                  GError     **error)
{
  STORE_CALL (add_identify_failure, FALSE, document, source, now, error);
}

GArray *
clave_store_list_identify_failures (ClaveStore  *self,
                                    const char  *document,
                                    const char  *source,
                                    gint64       since,
                                    GError     **error)
{
  g_return_val_if_fail (document != NULL || source != NULL, NULL);

  STORE_CALL (list_identify_failures, NULL, document, source, since, error);
}

gboolean
clave_store_touch_known_source (ClaveStore  *self,
                                const char  *key,
                                gint64       now,
                                GError     **error)
{
  STORE_CALL (touch_known_source, FALSE, key, now, error);
}

gboolean
clave_store_get_known_source (ClaveStore  *self,
                              const char  *key,
                              gint64      *last_seen,
                              GError     **error)
{
  STORE_CALL (get_known_source, FALSE, key, last_seen, error);
}

gboolean
clave_store_create_activation (ClaveStore                  *self,
                               const ClaveActivationRecord *record,
                               GError                     **error)
{
  STORE_CALL (create_activation, FALSE, record, error);
}

ClaveActivationRecord *
clave_store_get_activation (ClaveStore  *self,
                            const char  *id,
                            GError     **error)
{
  STORE_CALL (get_activation, NULL, id, error);
}

gboolean
clave_store_store_code (ClaveStore     *self,
                        ClaveCodeFlow   flow,
                        const char     *flow_id,
                        const char     *code_hmac,
                        gint64          code_expires_at,
                        gint64          now,
                        const char     *to,
                        const char     *body,
                        const char     *redacted_body,
                        gint64         *outbox_id,
                        GError        **error)
{
  STORE_CALL (store_code, FALSE, flow, flow_id, code_hmac, code_expires_at, now,
              to, body, redacted_body, outbox_id, error);
}

GArray *
clave_store_list_code_sends (ClaveStore          *self,
                             const char          *document,
                             ClaveOutboxChannel   channel,
                             gint64               since,
                             GError             **error)
{
  STORE_CALL (list_code_sends, NULL, document, channel, since, error);
}

gboolean
clave_store_record_wrong_code (ClaveStore     *self,
                               ClaveCodeFlow   flow,
                               const char     *flow_id,
                               guint           max_attempts,
                               gint64          now,
                               guint          *attempts,
                               GError        **error)
{
  STORE_CALL (record_wrong_code, FALSE, flow, flow_id, max_attempts, now, attempts, error);
}

GArray *
clave_store_list_wrong_codes (ClaveStore  *self,
                              const char  *document,
                              gint64       since,
                              GError     **error)
{
  STORE_CALL (list_wrong_codes, NULL, document, since, error);
}

gboolean
clave_store_set_activation_state (ClaveStore           *self,
                                  const char           *activation_id,
                                  ClaveActivationState  state,
                                  GError              **error)
{
  STORE_CALL (set_activation_state, FALSE, activation_id, state, error);
}

gboolean
clave_store_register_device (ClaveStore              *self,
                             const char              *activation_id,
                             const ClaveDeviceRecord *device,
                             GError                 **error)
{
  STORE_CALL (register_device, FALSE, activation_id, device, error);
}

ClaveDeviceRecord *
clave_store_get_device (ClaveStore  *self,
                        const char  *id,
                        GError     **error)
{
  STORE_CALL (get_device, NULL, id, error);
}

GPtrArray *
clave_store_list_devices (ClaveStore  *self,
                          const char  *document,
                          GError     **error)
{
  STORE_CALL (list_devices, NULL, document, error);
}

gboolean
clave_store_deactivate_device (ClaveStore  *self,
                               const char  *id,
                               gint64       now,
                               GError     **error)
{
  STORE_CALL (deactivate_device, FALSE, id, now, error);
}

gboolean
clave_store_use_nonce (ClaveStore  *self,
                       const char  *device_id,
                       const char  *nonce,
                       gint64       now,
                       gint64       keep_secs,
                       gboolean    *fresh,
                       GError     **error)
{
  STORE_CALL (use_nonce, FALSE, device_id, nonce, now, keep_secs, fresh, error);
}

GPtrArray *
clave_store_list_outbox (ClaveStore  *self,
                         guint        limit,
                         GError     **error)
{
  STORE_CALL (list_outbox, NULL, limit, error);
}

gboolean
clave_store_set_outbox_status (ClaveStore  *self,
                               gint64       id,
                               const char  *status,
                               GError     **error)
{
  STORE_CALL (set_outbox_status, FALSE, id, status, error);
}

gboolean
clave_store_redact_expired_codes (ClaveStore  *self,
                                  gint64       now,
                                  GError     **error)
{
  STORE_CALL (redact_expired_codes, FALSE, now, error);
}

gboolean
clave_store_purge (ClaveStore  *self,
                   gint64       now,
                   GError     **error)
{
  STORE_CALL (purge, FALSE, now, error);
}

ClaveCitizen *
clave_store_get_citizen_by_phone (ClaveStore  *self,
                                  const char  *phone,
                                  GError     **error)
{
  STORE_CALL (get_citizen_by_phone, NULL, phone, error);
}

gboolean
clave_store_give_up (ClaveStore  *self,
                     const char  *document,
                     gint64       now,
                     GError     **error)
{
  STORE_CALL (give_up, FALSE, document, now, error);
}

gboolean
clave_store_get_given_up (ClaveStore  *self,
                          const char  *document,
                          gint64      *given_up_at,
                          GError     **error)
{
  STORE_CALL (get_given_up, FALSE, document, given_up_at, error);
}

gboolean
clave_store_change_level (ClaveStore  *self,
                          const char  *document,
                          const char  *from_level,
                          const char  *to_level,
                          GError     **error)
{
  STORE_CALL (change_level, FALSE, document, from_level, to_level, error);
}

gboolean
clave_store_create_contact_change (ClaveStore                      *self,
                                   const ClaveContactChangeRecord  *record,
                                   GError                         **error)
{
  STORE_CALL (create_contact_change, FALSE, record, error);
}

ClaveContactChangeRecord *
clave_store_get_contact_change (ClaveStore        *self,
                                ClaveContactKind   kind,
                                const char        *id,
                                GError           **error)
{
  STORE_CALL (get_contact_change, NULL, kind, id, error);
}

gboolean
clave_store_complete_contact_change (ClaveStore        *self,
                                     ClaveContactKind   kind,
                                     const char        *id,
                                     const char        *old_value,
                                     const char        *notice,
                                     gint64             now,
                                     gint64            *notice_id,
                                     GError           **error)
{
  STORE_CALL (complete_contact_change, FALSE, kind, id, old_value, notice, now, notice_id,
              error);
}

gboolean
clave_store_create_challenge (ClaveStore  *self,
                              const char  *id,
                              const char  *challenge,
                              const char  *address,
                              gint64       now,
                              gint64       expires_at,
                              GError     **error)
{
  STORE_CALL (create_challenge, FALSE, id, challenge, address, now, expires_at, error);
}

GArray *
clave_store_list_challenges (ClaveStore  *self,
                             const char  *address,
                             gint64       since,
                             GError     **error)
{
  STORE_CALL (list_challenges, NULL, address, since, error);
}

gboolean
clave_store_use_challenge (ClaveStore  *self,
                           const char  *id,
                           char       **challenge,
                           gint64      *expires_at,
                           GError     **error)
{
  STORE_CALL (use_challenge, FALSE, id, challenge, expires_at, error);
}

gboolean
clave_store_create_registration (ClaveStore                    *self,
                                 const ClaveRegistrationRecord *record,
                                 GError                       **error)
{
  STORE_CALL (create_registration, FALSE, record, error);
}

ClaveRegistrationRecord *
clave_store_get_registration (ClaveStore  *self,
                              const char  *id,
                              GError     **error)
{
  STORE_CALL (get_registration, NULL, id, error);
}

gboolean
clave_store_complete_registration (ClaveStore                  *self,
                                   const char                  *registration_id,
                                   const ClaveCitizen          *citizen,
                                   const ClaveActivationRecord *activation,
                                   GError                     **error)
{
  STORE_CALL (complete_registration, FALSE, registration_id, citizen, activation, error);
}

gboolean
clave_store_add_relying_party (ClaveStore               *self,
                               const ClaveRelyingParty  *rp,
                               GError                  **error)
{
  STORE_CALL (add_relying_party, FALSE, rp, error);
}

GPtrArray *
clave_store_list_relying_parties (ClaveStore  *self,
                                  GError     **error)
{
  STORE_CALL (list_relying_parties, NULL, error);
}

gboolean
clave_store_create_auth_request (ClaveStore                    *self,
                                 const ClaveAuthRequestRecord  *record,
                                 const char                    *phone,
                                 const char                    *sms_body,
                                 const char                    *redacted_body,
                                 gint64                        *outbox_id,
                                 GError                       **error)
{
  STORE_CALL (create_auth_request, FALSE, record, phone, sms_body, redacted_body, outbox_id,
              error);
}

ClaveAuthRequestRecord *
clave_store_get_auth_request (ClaveStore  *self,
                              const char  *id,
                              GError     **error)
{
  STORE_CALL (get_auth_request, NULL, id, error);
}

GPtrArray *
clave_store_list_pending_auth_requests (ClaveStore  *self,
                                        const char  *citizen,
                                        gint64       now,
                                        GError     **error)
{
  STORE_CALL (list_pending_auth_requests, NULL, citizen, now, error);
}

GPtrArray *
clave_store_list_history (ClaveStore  *self,
                          const char  *citizen,
                          gint64       after,
                          guint        limit,
                          GError     **error)
{
  STORE_CALL (list_history, NULL, citizen, after, limit, error);
}

GPtrArray *
clave_store_list_expired_auth_requests (ClaveStore  *self,
                                        gint64       now,
                                        GError     **error)
{
  STORE_CALL (list_expired_auth_requests, NULL, now, error);
}

gboolean
clave_store_update_auth_request (ClaveStore  *self,
                                 const char  *id,
                                 const char  *status,
                                 const char  *citizen,
                                 const char  *device,
                                 gint64       answered_at,
                                 gboolean     count_pin_attempt,
                                 guint        max_pin_attempts,
                                 gboolean    *changed,
                                 GError     **error)
{
  STORE_CALL (update_auth_request, FALSE, id, status, citizen, device, answered_at,
              count_pin_attempt, max_pin_attempts, changed, error);
}

ClaveRelyingParty *
clave_store_get_relying_party (ClaveStore  *self,
                               const char  *id,
                               GError     **error)
{
  STORE_CALL (get_relying_party, NULL, id, error);
}

ClaveRelyingParty *
clave_store_get_relying_party_by_key_hash (ClaveStore  *self,
                                           const char  *key_hash,
                                           GError     **error)
{
  STORE_CALL (get_relying_party_by_key_hash, NULL, key_hash, error);
}

ClaveRelyingParty *
clave_store_get_demo_relying_party (ClaveStore  *self,
                                    GError     **error)
{
  STORE_CALL (get_demo_relying_party, NULL, error);
}

gboolean
clave_store_answer_auth_requests (ClaveStore       *self,
                                  ClaveAuthAnswer  *answers,
                                  guint             n_answers,
                                  GError          **error)
{
  STORE_CALL (answer_auth_requests, FALSE, answers, n_answers, error);
}

gboolean
clave_store_purge_auth_requests (ClaveStore  *self,
                                 gint64       created_before,
                                 guint        max_rows,
                                 guint       *purged,
                                 GError     **error)
{
  STORE_CALL (purge_auth_requests, FALSE, created_before, max_rows, purged, error);
}

void
clave_store_close (ClaveStore *self)
{
  ClaveStoreInterface *iface;

  g_return_if_fail (CLAVE_IS_STORE (self));
  iface = CLAVE_STORE_GET_IFACE (self);
  if (iface->close != NULL)
    iface->close (self);
}

gboolean
clave_store_create_video (ClaveStore              *self,
                          const ClaveVideoRecord  *record,
                          GError                 **error)
{
  g_return_val_if_fail (record != NULL && record->id != NULL, FALSE);
  STORE_CALL (create_video, FALSE, record, error);
}

ClaveVideoRecord *
clave_store_get_video (ClaveStore  *self,
                       const char  *id,
                       GError     **error)
{
  STORE_CALL (get_video, NULL, id, error);
}

gboolean
clave_store_set_video_state (ClaveStore       *self,
                             const char       *id,
                             ClaveVideoState   from,
                             ClaveVideoState   to,
                             gint64            now,
                             GError          **error)
{
  STORE_CALL (set_video_state, FALSE, id, from, to, now, error);
}

gboolean
clave_store_decide_video (ClaveStore          *self,
                          const char          *id,
                          const ClaveCitizen  *citizen,
                          const char          *operator_name,
                          const char          *reason,
                          gint64               now,
                          GError             **error)
{
  g_return_val_if_fail (operator_name != NULL, FALSE);
  g_return_val_if_fail (citizen != NULL || reason != NULL, FALSE);
  STORE_CALL (decide_video, FALSE, id, citizen, operator_name, reason, now, error);
}

GPtrArray *
clave_store_list_videos (ClaveStore  *self,
                         int          state,
                         GError     **error)
{
  STORE_CALL (list_videos, NULL, state, error);
}

gboolean
clave_store_put_firma (ClaveStore              *self,
                       const ClaveFirmaRecord  *record,
                       gint64                   now,
                       GError                 **error)
{
  g_return_val_if_fail (record != NULL && record->serial != NULL, FALSE);
  STORE_CALL (put_firma, FALSE, record, now, error);
}

GPtrArray *
clave_store_list_firma (ClaveStore  *self,
                        const char  *document,
                        gboolean     revoked_only,
                        GError     **error)
{
  STORE_CALL (list_firma, NULL, document, revoked_only, error);
}

gboolean
clave_store_revoke_firma (ClaveStore  *self,
                          const char  *document,
                          const char  *serial,
                          const char  *revoked_by,
                          gint64       now,
                          GError     **error)
{
  g_return_val_if_fail (document != NULL && serial != NULL && revoked_by != NULL, FALSE);
  STORE_CALL (revoke_firma, FALSE, document, serial, revoked_by, now, error);
}

ClavePermanenteRecord *
clave_store_get_permanente (ClaveStore  *self,
                            const char  *document,
                            GError     **error)
{
  STORE_CALL (get_permanente, NULL, document, error);
}

gboolean
clave_store_put_permanente_code (ClaveStore  *self,
                                 const char  *document,
                                 const char  *code_hmac,
                                 gint64       expires_at,
                                 gint64       now,
                                 GError     **error)
{
  STORE_CALL (put_permanente_code, FALSE, document, code_hmac, expires_at, now, error);
}

gboolean
clave_store_count_permanente_code_attempt (ClaveStore  *self,
                                           const char  *document,
                                           guint       *attempts,
                                           GError     **error)
{
  STORE_CALL (count_permanente_code_attempt, FALSE, document, attempts, error);
}

gboolean
clave_store_create_permanente_activation (ClaveStore                   *self,
                                          const ClaveActivationRecord  *record,
                                          GError                      **error)
{
  STORE_CALL (create_permanente_activation, FALSE, record, error);
}

ClaveActivationRecord *
clave_store_get_permanente_activation (ClaveStore  *self,
                                       const char  *id,
                                       GError     **error)
{
  STORE_CALL (get_permanente_activation, NULL, id, error);
}

gboolean
clave_store_set_permanente_activation_state (ClaveStore            *self,
                                             const char            *id,
                                             ClaveActivationState   state,
                                             GError               **error)
{
  STORE_CALL (set_permanente_activation_state, FALSE, id, state, error);
}

gboolean
clave_store_activate_permanente (ClaveStore  *self,
                                 const char  *activation_id,
                                 const char  *password_hash,
                                 gint64       now,
                                 GError     **error)
{
  STORE_CALL (activate_permanente, FALSE, activation_id, password_hash, now, error);
}

gboolean
clave_store_count_permanente_password_attempt (ClaveStore  *self,
                                               const char  *document,
                                               guint       *attempts,
                                               GError     **error)
{
  STORE_CALL (count_permanente_password_attempt, FALSE, document, attempts, error);
}

gboolean
clave_store_set_permanente_password (ClaveStore  *self,
                                     const char  *document,
                                     const char  *password_hash,
                                     gint64       now,
                                     GError     **error)
{
  STORE_CALL (set_permanente_password, FALSE, document, password_hash, now, error);
}

gboolean
clave_store_delete_permanente (ClaveStore  *self,
                               const char  *document,
                               GError     **error)
{
  STORE_CALL (delete_permanente, FALSE, document, error);
}
