/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The service's own PKI under STATE_DIR/tls/:
 *   ca.pem, ca-key.pem (0600)          the local CA that clients trust
 *   server.pem, server-key.pem (0600)  the HTTPS certificate it signs */
typedef struct {
  char *ca_file;
  char *ca_key_file;
  char *cert_file;
  char *key_file;
} ClaveTlsFiles;

void           clave_tls_files_free (ClaveTlsFiles *files);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveTlsFiles, clave_tls_files_free)

/* Creates the CA and the server certificate on first use and reuses them
 * later. The server certificate is issued again when it does not cover
 * one of @hostnames (besides localhost, 127.0.0.1 and ::1) or is about to
 * expire. */
ClaveTlsFiles *clave_tls_ensure     (const char         *state_dir,
                                     const char * const *hostnames,
                                     GError            **error);

G_END_DECLS
