/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* Certification paths from a leaf to a trust anchor (docs/protocol.md
 * "Certificate proofs"), completed with the intermediate certificates the
 * service holds. */

/* The most certificates a path holds, leaf included (the proof carries at
 * most 5; a real one is 2 or 3 long). */
#define CLAVE_CERT_PATH_MAX_LENGTH 8

/* TRUE when @crt is its own issuer (subject DN and, when both are there,
 * key identifiers): a root. */
gboolean      clave_cert_is_self_signed (gnutls_x509_crt_t         crt);
/* The subject's or the issuer's distinguished name as RFC 4514 text
 * ("CN=AC DNIE 004,OU=DNIE,…"), valid UTF-8; NULL when it does not
 * parse. */
char         *clave_cert_subject_dn     (gnutls_x509_crt_t         crt);
char         *clave_cert_issuer_dn      (gnutls_x509_crt_t         crt);

/* The path from @sent[0], the leaf, to a certificate that one of @anchors
 * issued or to a self-signed one: each next certificate is the issuer of
 * the one before (subject DN = issuer DN, and Subject Key Identifier =
 * Authority Key Identifier when both are there), taken from the rest of
 * @sent or from @intermediates (gnutls_x509_crt_t, may be NULL); one whose
 * signature verifies the one before, as a CA, comes first, and a
 * certificate the client sent before one the service holds. No
 * certificate comes twice (a loop ends the path) and the path stops at
 * CLAVE_CERT_PATH_MAX_LENGTH. Certificates of @sent that are not on the
 * path are left out.
 *
 * Returns the path, whose certificates are borrowed from @sent and
 * @intermediates. When the last one's issuer is nowhere (neither an anchor
 * nor any certificate at hand), @missing_issuer receives its DN;
 * otherwise NULL. Nothing is verified yet: see clave_cert_path_verify(). */
GPtrArray    *clave_cert_path_build     (gnutls_x509_trust_list_t  anchors,
                                         const GPtrArray          *intermediates,
                                         gnutls_x509_crt_t        *sent,
                                         guint                     n_sent,
                                         char                    **missing_issuer);
/* GnuTLS's verification status of @path against @anchors (0: trusted):
 * every signature, the CA constraints (basicConstraints, keyUsage
 * keyCertSign, pathLen) and, unless @flags turn them off, the dates. */
unsigned int  clave_cert_path_verify    (gnutls_x509_trust_list_t  anchors,
                                         GPtrArray                *path,
                                         unsigned int              flags);

G_END_DECLS
