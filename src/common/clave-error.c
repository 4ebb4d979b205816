/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-error"

#include "config.h"

#include "clave-error.h"

G_DEFINE_QUARK (clave-document-error-quark, clave_document_error)
G_DEFINE_QUARK (clave-crypto-error-quark, clave_crypto_error)
G_DEFINE_QUARK (clave-http-sig-error-quark, clave_http_sig_error)
