/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "clave-sqlite-store.h"

G_BEGIN_DECLS

/* Shared by the files of ClaveSqliteStore: clave-sqlite-store.c (the
 * connection, statements, transactions, busy waiting), -schema.c (the
 * migrations) and one file per data area (-identities.c, -activations.c,
 * -devices.c, -registrations.c, -mobile.c). Not for other modules. */

struct _ClaveSqliteStore
{
  GObject     parent_instance;

  sqlite3    *db;
  char       *path;
  /* SQL text -> sqlite3_stmt*, prepared once and reused. */
  GHashTable *statements;
  int         schema_version;
  /* Busy waiting (busy_wait()): the write generation last seen, and when
   * the current wait began. */
  guint       seen_generation;
  gint64      busy_since;
};

/* clave-sqlite-store.c */

gboolean
_clave_sqlite_any_row (ClaveSqliteStore  *self,
                       const char        *sql,
                       gint64             value,
                       gboolean          *found,
                       GError           **error);

gboolean
_clave_sqlite_begin (ClaveSqliteStore  *self,
                     GError           **error);

void
_clave_sqlite_bind_text (sqlite3_stmt *stmt,
                         int           index,
                         const char   *text);

char *
_clave_sqlite_column_text (sqlite3_stmt *stmt,
                           int           index);

gboolean
_clave_sqlite_commit (ClaveSqliteStore  *self,
                      GError           **error);

gboolean
_clave_sqlite_exec (ClaveSqliteStore  *self,
                    const char        *sql,
                    GError           **error);

sqlite3_stmt *
_clave_sqlite_prepare (ClaveSqliteStore  *self,
                       const char        *sql,
                       GError           **error);

int
_clave_sqlite_read_user_version (ClaveSqliteStore  *self,
                                 GError           **error);

gboolean
_clave_sqlite_rollback (ClaveSqliteStore *self);

gboolean
_clave_sqlite_set_db_error (ClaveSqliteStore  *self,
                            GError           **error,
                            const char        *what);

gboolean
_clave_sqlite_step_done (ClaveSqliteStore  *self,
                         sqlite3_stmt      *stmt,
                         const char        *what,
                         GError           **error);

/* clave-sqlite-store-schema.c */

gboolean
_clave_sqlite_migrate (ClaveSqliteStore  *self,
                       guint              target,
                       GError           **error);

/* clave-sqlite-store-identities.c */

gboolean
clave_sqlite_store_add_identify_failure (ClaveStore  *store,
                                         const char  *document,
                                         const char  *source,
                                         gint64       now,
                                         GError     **error);

ClaveCitizen *
clave_sqlite_store_get_citizen (ClaveStore  *store,
                                const char  *document,
                                GError     **error);

ClaveIdentity *
clave_sqlite_store_get_identity (ClaveStore  *store,
                                 const char  *document,
                                 GError     **error);

gboolean
clave_sqlite_store_get_known_source (ClaveStore  *store,
                                     const char  *key,
                                     gint64      *last_seen,
                                     GError     **error);

GArray *
clave_sqlite_store_list_identify_failures (ClaveStore  *store,
                                           const char  *document,
                                           const char  *source,
                                           gint64       since,
                                           GError     **error);

gboolean
clave_sqlite_store_put_citizen (ClaveStore         *store,
                                const ClaveCitizen *citizen,
                                GError            **error);

gboolean
clave_sqlite_store_put_identity (ClaveStore          *store,
                                 const ClaveIdentity *identity,
                                 GError             **error);

gboolean
clave_sqlite_store_touch_known_source (ClaveStore  *store,
                                       const char  *key,
                                       gint64       now,
                                       GError     **error);

GArray *
_clave_sqlite_list_times (ClaveSqliteStore  *self,
                          const char        *sql,
                          const char        *value,
                          gint64             since,
                          const char        *what,
                          GError           **error);

/* clave-sqlite-store-activations.c */

/* Reads the code columns code_hmac, code_expires_at, attempts, sends,
 * last_sent_at (in that order, from column @first) of an activation or a
 * registration. */
void
_clave_sqlite_read_code_state (sqlite3_stmt   *stmt,
                               int             first,
                               ClaveCodeState *code);

/* Ends a person's flows of one kind in progress (inside a transaction):
 * @redact_sql redacts their codes in the outbox, @replace_sql marks them
 * replaced; ?1 is @document in both. */
gboolean
_clave_sqlite_replace_pending (ClaveSqliteStore  *self,
                               const char        *redact_sql,
                               const char        *replace_sql,
                               const char        *document,
                               GError           **error);

gboolean
_clave_sqlite_check_changed (ClaveSqliteStore  *self,
                             const char        *what,
                             GError           **error);

gboolean
clave_sqlite_store_create_activation (ClaveStore                  *store,
                                      const ClaveActivationRecord *record,
                                      GError                     **error);

ClaveActivationRecord *
clave_sqlite_store_get_activation (ClaveStore  *store,
                                   const char  *id,
                                   GError     **error);

GPtrArray *
clave_sqlite_store_list_outbox (ClaveStore  *store,
                                guint        limit,
                                GError     **error);

GArray *
clave_sqlite_store_list_code_sends (ClaveStore          *store,
                                    const char          *document,
                                    ClaveOutboxChannel   channel,
                                    gint64               since,
                                    GError             **error);

GArray *
clave_sqlite_store_list_wrong_codes (ClaveStore  *store,
                                     const char  *document,
                                     gint64       since,
                                     GError     **error);

gboolean
clave_sqlite_store_purge (ClaveStore  *store,
                          gint64       now,
                          GError     **error);

gboolean
clave_sqlite_store_record_wrong_code (ClaveStore     *store,
                                      ClaveCodeFlow   flow,
                                      const char     *flow_id,
                                      guint           max_attempts,
                                      gint64          now,
                                      guint          *attempts,
                                      GError        **error);

gboolean
clave_sqlite_store_redact_expired_codes (ClaveStore  *store,
                                         gint64       now,
                                         GError     **error);

gboolean
clave_sqlite_store_set_activation_state (ClaveStore           *store,
                                         const char           *activation_id,
                                         ClaveActivationState  state,
                                         GError              **error);

gboolean
clave_sqlite_store_set_outbox_status (ClaveStore  *store,
                                      gint64       id,
                                      const char  *status,
                                      GError     **error);

gboolean
clave_sqlite_store_store_code (ClaveStore     *store,
                               ClaveCodeFlow   flow,
                               const char     *flow_id,
                               const char     *code_hmac,
                               gint64          code_expires_at,
                               gint64          now,
                               const char     *to,
                               const char     *body,
                               const char     *redacted_body,
                               gint64         *outbox_id,
                               GError        **error);

gboolean
_clave_sqlite_redact_codes_of (ClaveSqliteStore  *self,
                               const char        *flow_id,
                               GError           **error);

/* clave-sqlite-store-devices.c */

gboolean
clave_sqlite_store_deactivate_device (ClaveStore  *store,
                                      const char  *id,
                                      gint64       now,
                                      GError     **error);

ClaveDeviceRecord *
clave_sqlite_store_get_device (ClaveStore  *store,
                               const char  *id,
                               GError     **error);

GPtrArray *
clave_sqlite_store_list_devices (ClaveStore  *store,
                                 const char  *document,
                                 GError     **error);

gboolean
clave_sqlite_store_register_device (ClaveStore              *store,
                                    const char              *activation_id,
                                    const ClaveDeviceRecord *device,
                                    GError                 **error);

gboolean
clave_sqlite_store_use_nonce (ClaveStore  *store,
                              const char  *device_id,
                              const char  *nonce,
                              gint64       now,
                              gint64       keep_secs,
                              gboolean    *fresh,
                              GError     **error);

gboolean
_clave_sqlite_insert_nonce (ClaveSqliteStore  *self,
                            const char        *device_id,
                            const char        *nonce,
                            gint64             now,
                            gboolean          *fresh,
                            GError           **error);

gboolean
_clave_sqlite_purge_nonces (ClaveSqliteStore  *self,
                            gint64             before,
                            GError           **error);

/* clave-sqlite-store-registrations.c */

gboolean
clave_sqlite_store_complete_registration (ClaveStore                  *store,
                                          const char                  *registration_id,
                                          const ClaveCitizen          *citizen,
                                          const ClaveActivationRecord *activation,
                                          GError                     **error);

gboolean
clave_sqlite_store_create_challenge (ClaveStore  *store,
                                     const char  *id,
                                     const char  *challenge,
                                     const char  *address,
                                     gint64       now,
                                     gint64       expires_at,
                                     GError     **error);

gboolean
clave_sqlite_store_create_registration (ClaveStore                    *store,
                                        const ClaveRegistrationRecord *record,
                                        GError                       **error);

/* clave-sqlite-store-changes.c */

gboolean
clave_sqlite_store_create_contact_change (ClaveStore                      *store,
                                          const ClaveContactChangeRecord  *record,
                                          GError                         **error);

ClaveContactChangeRecord *
clave_sqlite_store_get_contact_change (ClaveStore        *store,
                                       ClaveContactKind   kind,
                                       const char        *id,
                                       GError           **error);

gboolean
clave_sqlite_store_complete_contact_change (ClaveStore        *store,
                                            ClaveContactKind   kind,
                                            const char        *id,
                                            const char        *old_value,
                                            const char        *notice,
                                            gint64             now,
                                            gint64            *notice_id,
                                            GError           **error);

gboolean
clave_sqlite_store_change_level (ClaveStore  *store,
                                 const char  *document,
                                 const char  *from_level,
                                 const char  *to_level,
                                 GError     **error);

gboolean
clave_sqlite_store_give_up (ClaveStore  *store,
                            const char  *document,
                            gint64       now,
                            GError     **error);

gboolean
clave_sqlite_store_get_given_up (ClaveStore  *store,
                                 const char  *document,
                                 gint64      *given_up_at,
                                 GError     **error);

ClaveCitizen *
clave_sqlite_store_get_citizen_by_phone (ClaveStore  *store,
                                         const char  *phone,
                                         GError     **error);

ClaveRegistrationRecord *
clave_sqlite_store_get_registration (ClaveStore  *store,
                                     const char  *id,
                                     GError     **error);

GArray *
clave_sqlite_store_list_challenges (ClaveStore  *store,
                                    const char  *address,
                                    gint64       since,
                                    GError     **error);

gboolean
clave_sqlite_store_use_challenge (ClaveStore  *store,
                                  const char  *id,
                                  char       **challenge,
                                  gint64      *expires_at,
                                  GError     **error);

/* clave-sqlite-store-mobile.c */

gboolean
clave_sqlite_store_add_relying_party (ClaveStore               *store,
                                      const ClaveRelyingParty  *rp,
                                      GError                  **error);

gboolean
clave_sqlite_store_answer_auth_requests (ClaveStore       *store,
                                         ClaveAuthAnswer  *answers,
                                         guint             n_answers,
                                         GError          **error);

gboolean
clave_sqlite_store_create_auth_request (ClaveStore                    *store,
                                        const ClaveAuthRequestRecord  *record,
                                        const char                    *phone,
                                        const char                    *sms_body,
                                        const char                    *redacted_body,
                                        gint64                        *outbox_id,
                                        GError                       **error);

ClaveAuthRequestRecord *
clave_sqlite_store_get_auth_request (ClaveStore  *store,
                                     const char  *id,
                                     GError     **error);

ClaveRelyingParty *
clave_sqlite_store_get_demo_relying_party (ClaveStore  *store,
                                           GError     **error);

ClaveRelyingParty *
clave_sqlite_store_get_relying_party (ClaveStore  *store,
                                      const char  *id,
                                      GError     **error);

ClaveRelyingParty *
clave_sqlite_store_get_relying_party_by_key_hash (ClaveStore  *store,
                                                  const char  *key_hash,
                                                  GError     **error);

GPtrArray *
clave_sqlite_store_list_expired_auth_requests (ClaveStore  *store,
                                               gint64       now,
                                               GError     **error);

GPtrArray *
clave_sqlite_store_list_history (ClaveStore  *store,
                                 const char  *citizen,
                                 gint64       after,
                                 guint        limit,
                                 GError     **error);

GPtrArray *
clave_sqlite_store_list_pending_auth_requests (ClaveStore  *store,
                                               const char  *citizen,
                                               gint64       now,
                                               GError     **error);

GPtrArray *
clave_sqlite_store_list_relying_parties (ClaveStore  *store,
                                         GError     **error);

gboolean
clave_sqlite_store_purge_auth_requests (ClaveStore  *store,
                                        gint64       created_before,
                                        guint        max_rows,
                                        guint       *purged,
                                        GError     **error);

gboolean
clave_sqlite_store_update_auth_request (ClaveStore  *store,
                                        const char  *id,
                                        const char  *status,
                                        const char  *citizen,
                                        const char  *device,
                                        gint64       answered_at,
                                        gboolean     count_pin_attempt,
                                        guint        max_pin_attempts,
                                        gboolean    *changed,
                                        GError     **error);

ClavePermanenteRecord *
clave_sqlite_store_get_permanente (ClaveStore  *store,
                                   const char  *document,
                                   GError     **error);

gboolean
clave_sqlite_store_put_permanente_code (ClaveStore  *store,
                                        const char  *document,
                                        const char  *code_hmac,
                                        gint64       expires_at,
                                        gint64       now,
                                        GError     **error);

gboolean
clave_sqlite_store_count_permanente_code_attempt (ClaveStore  *store,
                                                  const char  *document,
                                                  guint       *attempts,
                                                  GError     **error);

gboolean
clave_sqlite_store_create_permanente_activation (ClaveStore                   *store,
                                                 const ClaveActivationRecord  *record,
                                                 GError                      **error);

ClaveActivationRecord *
clave_sqlite_store_get_permanente_activation (ClaveStore  *store,
                                              const char  *id,
                                              GError     **error);

gboolean
clave_sqlite_store_set_permanente_activation_state (ClaveStore            *store,
                                                    const char            *id,
                                                    ClaveActivationState   state,
                                                    GError               **error);

gboolean
clave_sqlite_store_activate_permanente (ClaveStore  *store,
                                        const char  *activation_id,
                                        const char  *password_hash,
                                        gint64       now,
                                        GError     **error);

gboolean
clave_sqlite_store_count_permanente_password_attempt (ClaveStore  *store,
                                                      const char  *document,
                                                      guint       *attempts,
                                                      GError     **error);

gboolean
clave_sqlite_store_set_permanente_password (ClaveStore  *store,
                                            const char  *document,
                                            const char  *password_hash,
                                            gint64       now,
                                            GError     **error);

gboolean
clave_sqlite_store_delete_permanente (ClaveStore  *store,
                                      const char  *document,
                                      GError     **error);

gboolean
clave_sqlite_store_put_firma (ClaveStore              *store,
                              const ClaveFirmaRecord  *record,
                              gint64                   now,
                              GError                 **error);

GPtrArray *
clave_sqlite_store_list_firma (ClaveStore  *store,
                               const char  *document,
                               gboolean     revoked_only,
                               GError     **error);

gboolean
clave_sqlite_store_revoke_firma (ClaveStore  *store,
                                 const char  *document,
                                 const char  *serial,
                                 const char  *revoked_by,
                                 gint64       now,
                                 GError     **error);

gboolean
clave_sqlite_store_create_video (ClaveStore              *store,
                                 const ClaveVideoRecord  *record,
                                 GError                 **error);

ClaveVideoRecord *
clave_sqlite_store_get_video (ClaveStore  *store,
                              const char  *id,
                              GError     **error);

gboolean
clave_sqlite_store_set_video_state (ClaveStore       *store,
                                    const char       *id,
                                    ClaveVideoState   from,
                                    ClaveVideoState   to,
                                    gint64            now,
                                    GError          **error);

gboolean
clave_sqlite_store_decide_video (ClaveStore          *store,
                                 const char          *id,
                                 const ClaveCitizen  *citizen,
                                 const char          *operator_name,
                                 const char          *reason,
                                 gint64               now,
                                 GError             **error);

GPtrArray *
clave_sqlite_store_list_videos (ClaveStore  *store,
                                int          state,
                                GError     **error);

/* In a transaction: revokes every certificate of @document. */
gboolean
_clave_sqlite_revoke_firma_of (ClaveSqliteStore  *self,
                               const char        *document,
                               gint64             now,
                               GError           **error);

/* An activation from the row of @stmt (columns id, token hash, document,
 * created_at, expires_at, state, then the code state): device
 * activations and Cl@ve Permanente's alike. */
ClaveActivationRecord *
_clave_sqlite_read_activation (sqlite3_stmt *stmt);

G_END_DECLS
