/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gnutls/abstract.h>

#include "clave-error.h"

G_BEGIN_DECLS

/* HTTP Message Signatures (RFC 9421) with Content-Digest (RFC 9530), as
 * docs/protocol.md "Device signatures" pins down:
 *   Content-Digest: sha-256=:<b64>:
 *   Signature-Input: clave=("@method" "@target-uri" "content-digest");created=N;nonce="..";keyid="..";alg="ecdsa-p256-sha256"
 *   Signature: clave=:<b64 r||s>:
 */
#define CLAVE_HTTP_SIG_LABEL "clave"
#define CLAVE_HTTP_SIG_ALG   "ecdsa-p256-sha256"

/* "sha-256=:<base64 of SHA-256(body)>:"; @body may be NULL (empty). */
char *clave_content_digest (GBytes *body);

/* Serialized signature parameters, the inner list and its parameters, e.g.
 * ("@method" "@target-uri" "content-digest");created=1;nonce="n";keyid="k";alg="ecdsa-p256-sha256" */
char *clave_http_sig_params (gint64      created,
                             const char *nonce,
                             const char *keyid);

/* The signature base of RFC 9421 section 2.5 for our three components. */
char *clave_http_sig_base   (const char *method,
                             const char *target_uri,
                             const char *content_digest,
                             const char *params);

typedef struct {
  char   *content_digest;   /* value of Content-Digest */
  char   *signature_input;  /* value of Signature-Input */
  char   *signature;        /* value of Signature */
} ClaveHttpSigHeaders;

void clave_http_sig_headers_free (ClaveHttpSigHeaders *headers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveHttpSigHeaders, clave_http_sig_headers_free)

/* Signs a request. @sign_func signs the signature base (so that the client
 * can sign with a key it keeps elsewhere) and returns raw r||s. */
typedef GBytes *(*ClaveHttpSigSignFunc) (GBytes    *base,
                                         gpointer   user_data,
                                         GError   **error);

ClaveHttpSigHeaders *clave_http_sig_sign (const char           *method,
                                          const char           *target_uri,
                                          GBytes               *body,
                                          const char           *keyid,
                                          gint64                created,
                                          const char           *nonce,
                                          ClaveHttpSigSignFunc  sign_func,
                                          gpointer              user_data,
                                          GError              **error);

/* A parsed signature from the request headers. */
typedef struct {
  char    *params;      /* serialized inner list + params, exactly as received */
  gint64   created;
  gint64   expires;     /* when has_expires: the signer's "not after this" */
  gboolean has_expires;
  char    *nonce;
  char    *keyid;
  char    *alg;
  GBytes  *signature;   /* raw r||s */
} ClaveHttpSigInput;

void clave_http_sig_input_free (ClaveHttpSigInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveHttpSigInput, clave_http_sig_input_free)

/* Parses the "clave" member of Signature-Input and Signature (RFC 8941
 * dictionaries). Requires the covered components to be exactly
 * "@method" "@target-uri" "content-digest" and created, nonce, keyid and alg
 * to be present; alg must be ecdsa-p256-sha256. expires is optional, a
 * non-negative integer, once; other parameters are ignored. */
ClaveHttpSigInput *clave_http_sig_parse (const char  *signature_input,
                                         const char  *signature,
                                         GError     **error);

/* Checks that @content_digest matches @body, rebuilds the signature base
 * and verifies it under @key. Time window, expiry and nonce reuse are the
 * caller's (the server's) to check with input->created, input->expires
 * and input->nonce. */
gboolean clave_http_sig_verify (const ClaveHttpSigInput *input,
                                gnutls_pubkey_t          key,
                                const char              *method,
                                const char              *target_uri,
                                const char              *content_digest,
                                GBytes                  *body,
                                GError                 **error);

G_END_DECLS
