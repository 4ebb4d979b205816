/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What clave-server's command line sets (see the brief / README). */
typedef struct {
  char   *state_dir;
  char   *address;               /* "127.0.0.1" */
  guint   port;                  /* 0: pick a free one */
  char  **hostnames;             /* extra names for the certificate */
  char   *sms_command;           /* NULL: messages stay in the outbox */
  char   *mail_command;          /* NULL: e-mails stay in the outbox */
  guint   sms_resend_interval;   /* seconds */
  guint   sms_code_ttl;          /* seconds */
  char   *trust_anchors;         /* directory of CA certificates; NULL: none */
  char   *intermediates;         /* directory of intermediate CA certificates;
                                  * NULL: "intermediates" beside trust_anchors,
                                  * if there is one */
  /* Timeouts (seconds) and caps of connections (clave-transport.h). */
  guint   handshake_timeout;
  guint   header_timeout;
  guint   body_timeout;
  guint   idle_timeout;
  guint   send_timeout;
  guint   max_connections;
  guint   max_connections_per_address;
  /* Days past requests of relying parties are kept (docs/clave-server.1
   * --request-retention-days). */
  guint   request_retention_days;
} ClaveServerConfig;

ClaveServerConfig *clave_server_config_new  (void);
void               clave_server_config_free (ClaveServerConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveServerConfig, clave_server_config_free)

#define CLAVE_TYPE_SERVER (clave_server_get_type ())
G_DECLARE_FINAL_TYPE (ClaveServer, clave_server, CLAVE, SERVER, GObject)

/* Prepares the state directory, the store, the secret and the TLS
 * certificate. Does not listen yet. */
ClaveServer *clave_server_new          (const ClaveServerConfig  *config,
                                        GError                  **error);
gboolean     clave_server_listen       (ClaveServer              *self,
                                        GError                  **error);
/* "https://127.0.0.1:8443" once listening. */
const char  *clave_server_get_url      (ClaveServer              *self);
const char  *clave_server_get_ca_file  (ClaveServer              *self);
/* Stops listening, drops connections and closes the store. */
void         clave_server_shutdown     (ClaveServer              *self);

/* Seconds since the epoch; one place so that every rule reads the same
 * clock. (For the server library's files.) */
gint64       _clave_server_now         (void);

G_END_DECLS
