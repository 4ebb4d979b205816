/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gnutls/x509.h>
#include <libsoup/soup.h>

#include "clave-answer-queue.h"
#include "clave-device-auth.h"
#include "clave-device-keys.h"
#include "clave-server.h"
#include "clave-sms-sender.h"
#include "clave-store.h"
#include "clave-tls.h"
#include "clave-transport.h"

G_BEGIN_DECLS

struct _ClaveServer
{
  GObject            parent_instance;

  ClaveServerConfig *config;
  ClaveStore        *store;
  GBytes            *secret;
  ClaveTlsFiles     *tls;
  SoupServer        *soup;
  /* Listens, runs TLS and hands each request to soup (clave-transport.c). */
  ClaveTransport    *transport;
  ClaveSmsSender    *sms;
  char              *url;
  guint              purge_id;
  /* Lower-case names and addresses this service answers to: those of its
   * certificate. */
  GPtrArray         *host_names;
  /* --trust-anchors: the roots certificate proofs must chain to; NULL
   * without the option. */
  gnutls_x509_trust_list_t trust_list;
  guint              n_trust_anchors;
  /* --intermediates (or the folder beside the anchors): CA certificates
   * that complete the paths of proofs (gnutls_x509_crt_t); NULL: none. */
  GPtrArray         *intermediates;

  /* Cl@ve Móvil (clave-auth-requests.c, clave-push.c). */
  GHashTable        *push_clients;   /* device id -> ClavePushClient */
  GHashTable        *waiters;        /* request id -> GPtrArray of waiters */
  guint              n_waiters;
  guint              sweep_id;
  char              *demo_rp_id;
  /* Devices' answers, group-committed by a thread with its own
   * connection (clave-answer-queue.c); NULL until it could be opened. */
  ClaveAnswerQueue  *answers;
  /* Parsed device keys of the latest signers (clave-device-keys.c). */
  ClaveDeviceKeys   *device_keys;
};

/* Seconds since the epoch; one place so that every rule reads the same
 * clock. */
gint64 _clave_server_now (void);
gboolean _clave_server_has_trust_anchors (ClaveServer *self);
/* FALSE (421 answered) when @msg names a host that is not ours, or (400
 * answered) when its framing or Host is ambiguous (clave_http_check_framing). */
gboolean _clave_server_check_host (ClaveServer *self,
                                   SoupServerMessage *msg);

/* Routes (clave-routes-*.c). Each answers @msg completely. */
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

/* Identification and its limits (clave-identify.c), for POST
 * /v1/identify, the relying parties' push and SMS requests and the demo
 * website. A source is what failures count against: */
/* a client's address as the connection shows it (an IPv6 one by its /64)… */
char          *_clave_identify_source_for_address (const char   *address);
/* …or a relying party, by its key. */
char          *_clave_identify_source_for_rp      (const char   *rp_id);
/* The registry's record of @document_in when the contrast data are right;
 * NULL with a CLAVE_HTTP_ERROR otherwise: INVALID_DOCUMENT,
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

/* Cl@ve Móvil: clave-auth-requests.c. */
void        _clave_auth_requests_init      (ClaveServer          *self);
void        _clave_auth_requests_shutdown  (ClaveServer          *self);
/* The status a client sees: a pending request past its expiry is
 * expired. */
const char *_clave_auth_request_status     (const ClaveAuthRequestRecord *record,
                                            gint64                now);
/* The origin a client sees (the demo website's is relative to ours). */
char       *_clave_auth_request_origin     (ClaveServer          *self,
                                            const char           *stored);
/* The device's request object (docs/protocol.md "Cl@ve Móvil"). */
void        _clave_auth_request_add_object (ClaveServer          *self,
                                            JsonBuilder          *builder,
                                            const ClaveAuthRequestRecord *record,
                                            gint64                now);
/* Reads @id, persisting its expiry (with its events) when it is past due. */
ClaveAuthRequestRecord *_clave_auth_requests_load (ClaveServer   *self,
                                                   const char    *id,
                                                   GError       **error);
/* After a request changed: wakes the relying party's waiters and tells
 * the citizen's push channel. */
void        _clave_auth_requests_changed   (ClaveServer          *self,
                                            const char           *id);
/* The same when the caller knows the request's @citizen (may be NULL)
 * and new @status. */
void        _clave_auth_requests_changed_to (ClaveServer         *self,
                                             const char          *id,
                                             const char          *citizen,
                                             const char          *status);
/* Answers @msg with the GError of the functions of clave-auth-requests.h
 * (and of _clave_identify()). */
void        _clave_http_reply_gerror       (SoupServerMessage    *msg,
                                            const GError         *error);
/* Sets @error to CLAVE_HTTP_ERROR_TOO_MANY_ATTEMPTS with its retry_after. */
void        _clave_http_error_set_too_many (GError              **error,
                                            gint64                retry_after,
                                            const char           *message);
/* Logs @cause and sets @error to CLAVE_HTTP_ERROR_INTERNAL, which tells a
 * client nothing; returns FALSE. */
gboolean    _clave_http_error_internal     (GError              **error,
                                            const GError         *cause);

/* A relying party long-polling a request (GET …?wait=N). */
typedef struct _ClaveRpWaiter ClaveRpWaiter;
/* Answers the waiter with the request's current state and frees it; the
 * caller has taken it out of self->waiters. */
void        _clave_rp_waiter_wake          (ClaveServer          *self,
                                            ClaveRpWaiter        *waiter);

/* clave-routes-mobile.c: /v1/rp/... and /v1/device/requests..., history.
 * FALSE when @path is not one of theirs (nothing answered). */
gboolean    _clave_routes_mobile           (ClaveServer          *self,
                                            SoupServerMessage    *msg,
                                            const char           *path,
                                            GHashTable           *query);
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
/* The cache of parsed device keys (made when first needed). */
ClaveDeviceKeys   *_clave_device_keys             (ClaveServer       *self);
/* The queue that stores devices' answers (opened by
 * _clave_auth_requests_init()); NULL with @error when it cannot be
 * opened. */
ClaveAnswerQueue  *_clave_answer_queue            (ClaveServer       *self,
                                                   GError           **error);

/* clave-push.c: the devices' WebSocket. */
void        _clave_push_init               (ClaveServer          *self);
void        _clave_push_shutdown           (ClaveServer          *self);
void        _clave_push_send_request       (ClaveServer          *self,
                                            const ClaveAuthRequestRecord *record);
void        _clave_push_send_status        (ClaveServer          *self,
                                            const char           *citizen,
                                            const char           *id,
                                            const char           *status);
/* Tells the citizen's deactivated devices, and closes their channels. */
void        _clave_push_check_devices      (ClaveServer          *self,
                                            const char           *citizen);
/* Tells the citizen's devices of the failed identifications of their
 * document, once there are enough to be worth it. */
void        _clave_push_send_failures      (ClaveServer          *self,
                                            const char           *citizen,
                                            gint64                now);

G_END_DECLS
