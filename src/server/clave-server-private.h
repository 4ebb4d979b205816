/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gnutls/x509.h>
#include <libsoup/soup.h>

#include "clave-server.h"
#include "clave-sms-sender.h"
#include "clave-store.h"
#include "clave-tls.h"

G_BEGIN_DECLS

struct _ClaveServer
{
  GObject            parent_instance;

  ClaveServerConfig *config;
  ClaveStore        *store;
  GBytes            *secret;
  ClaveTlsFiles     *tls;
  SoupServer        *soup;
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
};

/* Seconds since the epoch; one place so that every rule reads the same
 * clock. */
gint64 _clave_server_now (void);
gboolean _clave_server_has_trust_anchors (ClaveServer *self);
/* FALSE (421 answered) when @msg names a host that is not ours. */
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

/* Identification (clave-routes-activation.c), shared with the relying
 * parties' push and SMS requests. */
gint64      _clave_identify_wait      (ClaveServer          *self,
                                       const char           *document,
                                       const char           *address,
                                       gint64                now,
                                       GError              **error);
gboolean    _clave_contrast_fits      (ClaveDocumentType     type,
                                       ClaveContrastKind     kind);
const char *_clave_expected_contrast  (const ClaveIdentity  *identity,
                                       ClaveContrastKind     kind);

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
/* Answers @msg with the GError of the functions of clave-auth-requests.h. */
void        _clave_http_reply_gerror       (SoupServerMessage    *msg,
                                            const GError         *error);

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

G_END_DECLS
