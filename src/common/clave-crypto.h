/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "clave-error.h"

G_BEGIN_DECLS

/* PBKDF2-SHA256 iterations for new sealed boxes (OWASP 2023 floor). */
#define CLAVE_PIN_KDF_ITERATIONS 600000
/* The most iterations a sealed box may ask for. A box read from disk is
 * not trusted to pick any cost: a tampered count must not turn opening it
 * into a denial of service. */
#define CLAVE_SEALED_BOX_MAX_ITERATIONS 10000000u

GBytes     *clave_random_bytes            (gsize              n);
/* n_bytes of randomness as unpadded base64url. */
char       *clave_random_token            (gsize              n_bytes);
/* n uniformly random decimal digits (rejection sampling). */
char       *clave_random_digits           (guint              n);
char       *clave_base64url_encode        (const guint8      *data,
                                           gsize              len);
GBytes     *clave_base64url_decode        (const char        *text,
                                           GError           **error);
char       *clave_sha256_hex              (const void        *data,
                                           gsize              len);
/* HMAC-SHA256 of @data under @key, lower-case hex. */
char       *clave_hmac_sha256_hex         (GBytes            *key,
                                           const char        *data);
gboolean    clave_constant_time_equal     (const char        *a,
                                           const char        *b);
/* What a device signs to prove it holds the key it registers
 * (docs/protocol.md, step 4): CLAVE_REGISTRATION_PROOF_PREFIX followed by
 * the activation id. */
GBytes     *clave_registration_proof_data (const char        *activation_id);
/* Overwrites then frees a string holding a secret; NULL-safe. */
void        clave_secret_free             (char              *secret);

/* A PIN-sealed secret: AES-256-GCM under PBKDF2-SHA256(pin, salt). */
typedef struct {
  guint   iterations;
  GBytes *salt;        /* 16 bytes */
  GBytes *iv;          /* 12 bytes */
  GBytes *ciphertext;  /* ciphertext || 16-byte tag */
} ClaveSealedBox;

ClaveSealedBox *clave_sealed_box_seal     (const char        *pin,
                                           guint              iterations,
                                           GBytes            *plaintext,
                                           GError           **error);
/* CLAVE_CRYPTO_ERROR_WRONG_PIN when the tag does not verify. */
GBytes         *clave_sealed_box_open     (const ClaveSealedBox *box,
                                           const char        *pin,
                                           GError           **error);
void            clave_sealed_box_free     (ClaveSealedBox    *box);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveSealedBox, clave_sealed_box_free)

/* AES-256-GCM under a 32-byte @key with a random IV, binding @aad (not
 * stored): returns iv (12 bytes) || ciphertext || tag (16 bytes). Opening
 * with another @aad or a changed byte fails (CLAVE_CRYPTO_ERROR_WRONG_PIN). */
GBytes         *clave_aead_seal           (GBytes            *key,
                                           const char        *aad,
                                           GBytes            *plaintext,
                                           GError           **error);
GBytes         *clave_aead_open           (GBytes            *key,
                                           const char        *aad,
                                           GBytes            *sealed,
                                           GError           **error);

/* ECDSA P-256 keys. */
gnutls_privkey_t clave_ec_key_generate        (GError           **error);
GBytes          *clave_privkey_export_pkcs8   (gnutls_privkey_t   key,
                                               GError           **error);
gnutls_privkey_t clave_privkey_import_pkcs8   (GBytes            *der,
                                               GError           **error);
/* SubjectPublicKeyInfo, DER. */
GBytes          *clave_privkey_export_spki    (gnutls_privkey_t   key,
                                               GError           **error);
gnutls_pubkey_t  clave_pubkey_import_spki     (GBytes            *der,
                                               GError           **error);
/* ECDSA-P256-SHA256 over @data; the signature is raw r||s (64 bytes), as
 * RFC 9421 section 3.3.4 requires (not DER). */
GBytes          *clave_ecdsa_sign             (gnutls_privkey_t   key,
                                               GBytes            *data,
                                               GError           **error);
gboolean         clave_ecdsa_verify           (gnutls_pubkey_t    key,
                                               GBytes            *data,
                                               GBytes            *signature,
                                               GError           **error);

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_privkey_t, gnutls_privkey_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_pubkey_t, gnutls_pubkey_deinit, NULL)

G_END_DECLS
