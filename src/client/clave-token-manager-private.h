/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-certificate-private.h"
#include "clave-token-manager.h"

G_BEGIN_DECLS

/* The PKCS#11 side of ClaveTokenManager (clave-token-pkcs11.c). Nothing
 * here touches GObject state: the functions run in worker threads. */

typedef struct _ClavePkcs11Module ClavePkcs11Module;

/* Loads and initialises each module through p11-kit (sharing the module
 * with GnuTLS, which loads the same paths). A module that fails to load
 * stays in the list with its error, for the diagnostics. */
GPtrArray         *_clave_pkcs11_modules_load       (const char * const *paths);
const char        *_clave_pkcs11_module_get_path    (ClavePkcs11Module  *module);
gboolean           _clave_pkcs11_module_is_loaded   (ClavePkcs11Module  *module);

/* Module paths to use: @extra plus, when @use_registry, OpenSC's module
 * from p11-kit's registry (or the Flatpak / p11-kit module dir fallbacks).
 * @opensc_found says whether an OpenSC module was among them. */
char             **_clave_pkcs11_resolve_modules    (const char * const *extra,
                                                     gboolean            use_registry,
                                                     gboolean           *opensc_found);

/* GnuTLS's PKCS#11 layer is process-wide: every token manager shares it.
 * acquire() initialises it (manual mode) on first use and adds @paths as
 * providers; release() deinitialises it with the last user, so that the
 * next manager starts from fresh module state. */
void               _clave_pkcs11_gnutls_acquire     (const char * const *paths);
void               _clave_pkcs11_gnutls_release     (void);

/* One scan of the tokens present in @modules: the listed certificates
 * (ClaveCertificate, cards in module and slot order). @previous (may be
 * NULL) is the result of the previous scan: tokens that are still there
 * keep their certificates without reading the card again. */
typedef struct _ClaveTokenScan ClaveTokenScan;

ClaveTokenScan    *_clave_pkcs11_scan               (GPtrArray          *modules,
                                                     ClaveTokenScan     *previous);
GPtrArray         *_clave_token_scan_get_certificates (ClaveTokenScan   *scan);
gboolean           _clave_token_scan_has_certificates (ClaveTokenScan   *scan);
gboolean           _clave_token_scan_equal          (ClaveTokenScan     *a,
                                                     ClaveTokenScan     *b);
void               _clave_token_scan_free           (ClaveTokenScan     *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveTokenScan, _clave_token_scan_free)

/* Card I/O for one certificate (run in a thread). */
gboolean           _clave_pkcs11_get_pin_flags      (GPtrArray          *modules,
                                                     ClaveCertificate   *certificate,
                                                     ClavePinFlags      *flags,
                                                     GError            **error);
GBytes            *_clave_pkcs11_sign               (GPtrArray          *modules,
                                                     ClaveCertificate   *certificate,
                                                     const char         *pin,
                                                     GBytes             *data,
                                                     ClavePinFlags      *pin_flags,
                                                     GError            **error);

/* Fills the module, reader, card and certificate parts of a report. */
void               _clave_pkcs11_diagnose           (GPtrArray          *modules,
                                                     ClaveDiagnostics   *diagnostics,
                                                     gboolean           *any_slot,
                                                     gboolean           *any_token);

/* PKCS#12 files (clave-token-pkcs12.c). */
GPtrArray         *_clave_pkcs12_list               (const char         *dir);
ClaveCertificate  *_clave_pkcs12_import             (const char         *dir,
                                                     const char         *path,
                                                     const char         *password,
                                                     GError            **error);
GBytes            *_clave_pkcs12_sign               (ClaveCertificate   *certificate,
                                                     const char         *password,
                                                     GBytes             *data,
                                                     GError            **error);
gboolean           _clave_pkcs12_remove             (ClaveCertificate   *certificate,
                                                     GError            **error);

/* Shared by both: "rsa-pkcs1-sha256" / "ecdsa-sha256" and the GnuTLS
 * signature algorithm for a certificate's key, or FALSE if unsupported. */
gboolean           _clave_token_signature_algorithm (ClaveCertificate   *certificate,
                                                     int                *gnutls_sign,
                                                     const char        **name,
                                                     GError            **error);

/* Test hooks: the flag mapping and the messages a person reads. */
ClavePinFlags      _clave_pin_flags_from_pkcs11     (gulong              token_flags);
GError            *_clave_token_error_wrong_pin     (ClavePinFlags       flags);
GError            *_clave_token_error_pin_locked    (gboolean            dnie);
GError            *_clave_token_error_removed       (void);

G_END_DECLS
