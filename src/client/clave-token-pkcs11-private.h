/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gnutls/gnutls.h>
#include <p11-kit/p11-kit.h>

#include "clave-token-manager-private.h"

G_BEGIN_DECLS

/* Shared by clave-token-pkcs11.c (modules, slots, scans, diagnostics)
 * and clave-token-pkcs11-sign.c (PIN flags, logging in and signing). Not
 * for other modules. */

struct _ClavePkcs11Module
{
  char              *path;
  CK_FUNCTION_LIST  *funcs;   /* NULL when loading failed */
  char              *error;
  CK_INFO            info;
  gboolean           pcsc_events;  /* a PC/SC driver: rescanned on pcscd's events */
};

ClavePkcs11Module *
_clave_pkcs11_find_module (GPtrArray  *modules,
                           const char *path);

gboolean
_clave_pkcs11_find_token (ClavePkcs11Module        *module,
                          const ClaveTokenLocation *location,
                          CK_SLOT_ID               *slot_out,
                          CK_TOKEN_INFO            *info_out);

/* Readers: every GnuTLS PKCS#11 operation; writer: adding providers and
 * deinitialising (clave-token-pkcs11.c). */
extern GRWLock _clave_pkcs11_gnutls_lock;

G_END_DECLS
