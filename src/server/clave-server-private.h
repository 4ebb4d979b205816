/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gnutls/x509.h>
#include <libsoup/soup.h>

#include "clave-answer-queue.h"
#include "clave-device-auth.h"
#include "clave-device-keys.h"
#include "clave-firma-ca.h"
#include "clave-video-files.h"
#include "clave-identify.h"
#include "clave-routes.h"
#include "clave-server.h"
#include "clave-outbox-sender.h"
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
  ClaveOutboxSender    *sms;
  ClaveOutboxSender    *mail;
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

  /* Cl@ve Firma's CA (STATE_DIR/firma/) and its latest CRL (DER), made
   * when first asked for and again after a revocation
   * (_clave_routes_firma_changed()). */
  ClaveFirmaCa      *firma_ca;
  /* The pictures of video identifications (STATE_DIR/video/). */
  ClaveVideoFiles   *video_files;
  GBytes            *firma_crl;
  gint64             firma_crl_made_at;
};

gboolean _clave_server_has_trust_anchors (ClaveServer *self);
/* FALSE (421 answered) when @msg names a host that is not ours, or (400
 * answered) when its framing or Host is ambiguous (clave_http_check_framing). */
gboolean _clave_server_check_host (ClaveServer *self,
                                   SoupServerMessage *msg);

/* Cl@ve Móvil: clave-auth-requests.c. */
void        _clave_auth_requests_init      (ClaveServer          *self);
void        _clave_auth_requests_shutdown  (ClaveServer          *self);
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
/* Relying parties long-polling a request (GET …?wait=N):
 * clave-rp-waiters.c. */
typedef struct _ClaveRpWaiter ClaveRpWaiter;
void        _clave_rp_waiters_init         (ClaveServer          *self);
/* Answers every waiter with its request's current state. */
void        _clave_rp_waiters_shutdown     (ClaveServer          *self);
/* Answers the waiters of request @id with its current state. */
void        _clave_rp_waiters_wake         (ClaveServer          *self,
                                            const char           *id);
/* Answers the waiters whose request is no longer there (a citizen gave
 * up Cl@ve): 404 not_found at once rather than when their wait ends. */
void        _clave_rp_waiters_wake_gone    (ClaveServer          *self);
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
