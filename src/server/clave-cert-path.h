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
/* The most certificates path building adds to paths, all branches
 * together: certificates that share a name (the client's 4 and any number
 * the service holds) branch at every step, and 8 steps of them would
 * otherwise be a search without end. A real search adds 2 or 3. */
#define CLAVE_CERT_PATH_MAX_STEPS  64

/* The keys a certificate the client sends may carry (docs/protocol.md
 * "The proof object"): what GnuTLS spends to verify a signature grows
 * with the RSA modulus and exponent, which the client would choose. */
#define CLAVE_CERT_MAX_RSA_BITS     8192
#define CLAVE_CERT_MAX_RSA_EXPONENT G_GUINT64_CONSTANT (0x100000000)  /* 2^32 */

/* TRUE when @crt is its own issuer (subject DN and, when both are there,
 * key identifiers): a root. */
gboolean      clave_cert_is_self_signed (gnutls_x509_crt_t         crt);
/* FALSE when @crt's public key is one the service does not verify
 * signatures under: RSA with a modulus over CLAVE_CERT_MAX_RSA_BITS or an
 * exponent over CLAVE_CERT_MAX_RSA_EXPONENT, EC on a curve other than
 * P-256, P-384 and P-521, DSA, or one of these that does not parse. Other
 * kinds (EdDSA…) cost the same whatever the key. */
gboolean      clave_cert_key_is_bounded (gnutls_x509_crt_t         crt);
/* The subject's or the issuer's distinguished name as RFC 4514 text
 * ("CN=AC DNIE 004,OU=DNIE,…"), valid UTF-8; NULL when it does not
 * parse. */
char         *clave_cert_subject_dn     (gnutls_x509_crt_t         crt);
char         *clave_cert_issuer_dn      (gnutls_x509_crt_t         crt);

/* Every path from @sent[0], the leaf, to a certificate that one of
 * @anchors issued or to a self-signed one: each next certificate is the
 * issuer of the one before by name only (subject DN = issuer DN, and
 * Subject Key Identifier = Authority Key Identifier when both are there),
 * taken from the rest of @sent or from @intermediates (gnutls_x509_crt_t,
 * may be NULL), the same certificate once. No signature is verified here:
 * the keys of @sent are the client's, and a key a client chose may cost
 * seconds to verify under until a path ties it to an anchor. The search
 * is depth first, trying the intermediates the service holds before those
 * the client sent; no certificate comes twice on a path (a loop ends the
 * branch), a path stops at CLAVE_CERT_PATH_MAX_LENGTH and the search at
 * CLAVE_CERT_PATH_MAX_STEPS.
 *
 * Returns the paths (GPtrArray of gnutls_x509_crt_t, borrowed from @sent
 * and @intermediates) in the order to try them: those that end at a
 * certificate an anchor issued, then those that end at a root that is no
 * anchor. When none ends at an anchor and a branch ended at a certificate
 * whose issuer is nowhere (neither an anchor nor any certificate at hand),
 * @missing_issuer receives that issuer's DN, of the longest such branch
 * (the first among equals); otherwise NULL. Nothing is verified yet: see
 * clave_cert_path_verify(). */
GPtrArray    *clave_cert_paths_build    (gnutls_x509_trust_list_t  anchors,
                                         const GPtrArray          *intermediates,
                                         gnutls_x509_crt_t        *sent,
                                         guint                     n_sent,
                                         char                    **missing_issuer);
/* One path of clave_cert_paths_build(): the first that verifies, dates
 * aside, else the first, else the leaf alone (with @missing_issuer as
 * there). */
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
