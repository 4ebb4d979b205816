/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ClaveDocumentError:
 * @CLAVE_DOCUMENT_ERROR_EMPTY: nothing was typed
 * @CLAVE_DOCUMENT_ERROR_BAD_FORMAT: not the shape of a DNI or NIE
 * @CLAVE_DOCUMENT_ERROR_BAD_LETTER: the control letter does not match
 * @CLAVE_DOCUMENT_ERROR_BAD_DATE: not a real date in dd/mm/aaaa
 * @CLAVE_DOCUMENT_ERROR_BAD_SUPPORT_NUMBER: not E/C + 7 or 8 digits
 *
 * Errors validating what a person types as identification.
 */
typedef enum {
  CLAVE_DOCUMENT_ERROR_EMPTY,
  CLAVE_DOCUMENT_ERROR_BAD_FORMAT,
  CLAVE_DOCUMENT_ERROR_BAD_LETTER,
  CLAVE_DOCUMENT_ERROR_BAD_DATE,
  CLAVE_DOCUMENT_ERROR_BAD_SUPPORT_NUMBER,
} ClaveDocumentError;

/**
 * ClaveCryptoError:
 * @CLAVE_CRYPTO_ERROR_FAILED: a GnuTLS operation failed (message has detail)
 * @CLAVE_CRYPTO_ERROR_WRONG_PIN: the sealed box did not open with this PIN
 * @CLAVE_CRYPTO_ERROR_INVALID_DATA: malformed key, box or signature input
 */
typedef enum {
  CLAVE_CRYPTO_ERROR_FAILED,
  CLAVE_CRYPTO_ERROR_WRONG_PIN,
  CLAVE_CRYPTO_ERROR_INVALID_DATA,
} ClaveCryptoError;

/**
 * ClaveHttpSigError:
 * @CLAVE_HTTP_SIG_ERROR_MALFORMED: Signature/Signature-Input cannot be parsed
 * @CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT: a required covered component or
 *   parameter (created, nonce, keyid, alg) is missing
 * @CLAVE_HTTP_SIG_ERROR_UNSUPPORTED_ALG: alg is not ecdsa-p256-sha256
 * @CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH: Content-Digest does not match the body
 * @CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE: the signature does not verify
 */
typedef enum {
  CLAVE_HTTP_SIG_ERROR_MALFORMED,
  CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT,
  CLAVE_HTTP_SIG_ERROR_UNSUPPORTED_ALG,
  CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH,
  CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE,
} ClaveHttpSigError;

#define CLAVE_DOCUMENT_ERROR (clave_document_error_quark ())
#define CLAVE_CRYPTO_ERROR   (clave_crypto_error_quark ())
#define CLAVE_HTTP_SIG_ERROR (clave_http_sig_error_quark ())

GQuark clave_document_error_quark (void);
GQuark clave_crypto_error_quark   (void);
GQuark clave_http_sig_error_quark (void);

G_END_DECLS
