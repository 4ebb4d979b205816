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
};

/* Seconds since the epoch; one place so that every rule reads the same
 * clock. */
gint64 _clave_server_now (void);
gboolean _clave_server_has_trust_anchors (ClaveServer *self);

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

G_END_DECLS
