/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* The X.509 helpers of clave-tls.c, shared with the Cl@ve Firma CA
 * (clave-firma-ca.c). Keys are ECDSA P-256; files holding keys are 0600. */

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

/* Sets @error to "@what: GnuTLS's message for @ret"; returns FALSE. */
gboolean              _clave_tls_tls_error   (GError                **error,
                                              int                     ret,
                                              const char             *what);
gnutls_x509_crt_t     _clave_tls_load_cert   (const char             *path,
                                              GError                **error);
gnutls_x509_privkey_t _clave_tls_load_key    (const char             *path,
                                              GError                **error);
gnutls_x509_privkey_t _clave_tls_generate_key (GError               **error);
/* PKCS#8 PEM, written 0600. */
gboolean              _clave_tls_save_key    (gnutls_x509_privkey_t   key,
                                              const char             *path,
                                              GError                **error);
gboolean              _clave_tls_save_cert   (gnutls_x509_crt_t       crt,
                                              const char             *path,
                                              GError                **error);
/* The SHA-1 key id of @key (for subject and authority key ids). */
gboolean              _clave_tls_key_id      (gnutls_x509_privkey_t   key,
                                              guint8                 *buf,
                                              size_t                 *size,
                                              GError                **error);
/* Version 3, a random positive 16-byte serial, @key, valid from an hour
 * before @now (seconds) for @validity seconds, the subject @dn (NULL: set by the caller)
 * and its subject key id. */
gboolean              _clave_tls_init_cert   (gnutls_x509_crt_t       crt,
                                              gnutls_x509_privkey_t   key,
                                              const char             *dn,
                                              gint64                  now,
                                              gint64                  validity,
                                              GError                **error);

/* A self-signed CA (pathLen 0, certificate and CRL signing) named @dn,
 * valid for @validity seconds: its key written to @ca_key_file, then its
 * certificate to @ca_file. */
gboolean              _clave_tls_create_ca   (const char             *ca_file,
                                              const char             *ca_key_file,
                                              const char             *dn,
                                              gint64                  validity,
                                              GError                **error);

G_END_DECLS
