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

/* One scan of the readers and tokens of @modules: the listed
 * certificates (ClaveCertificate, cards in module and slot order).
 * @rescan (may be NULL: all) says which modules to ask again; the others
 * keep what @previous (may be NULL) knew of them. Tokens that are still
 * there keep their certificates without reading the card again. */
typedef struct _ClaveTokenScan ClaveTokenScan;

ClaveTokenScan    *_clave_pkcs11_scan               (GPtrArray          *modules,
                                                     ClaveTokenScan     *previous,
                                                     const gboolean     *rescan);
GPtrArray         *_clave_token_scan_get_certificates (ClaveTokenScan   *scan);
/* Reader names (PKCS#11 slot descriptions), and "“label” in “reader”"
 * for the cards. */
GStrv              _clave_token_scan_dup_readers    (ClaveTokenScan     *scan);
GStrv              _clave_token_scan_dup_cards      (ClaveTokenScan     *scan);
/* TRUE when a card that a reader holds could not be read (another
 * program holds it alone, it is still being powered, it was pulled out
 * while being read): worth another look. */
gboolean           _clave_token_scan_is_incomplete  (ClaveTokenScan     *scan);
gboolean           _clave_token_scan_equal          (ClaveTokenScan     *a,
                                                     ClaveTokenScan     *b);
void               _clave_token_scan_free           (ClaveTokenScan     *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveTokenScan, _clave_token_scan_free)

/* Which slots of @module hold a token, from C_GetSlotList and
 * C_GetSlotInfo only (no card I/O with the drivers we know): a string
 * that changes when a card comes or goes. For modules that get no PC/SC
 * events. */
char              *_clave_pkcs11_module_presence    (ClavePkcs11Module  *module);
/* TRUE for a module that reads cards through pcscd (OpenSC): its cards
 * change only when pcscd says so. */
gboolean           _clave_pkcs11_module_has_pcsc_events (ClavePkcs11Module *module);

/* The modules of a token manager, loaded in a thread of their own
 * (clave-token-backend.c). Threads that use the modules hold a
 * reference; the last one finalises them. */
typedef struct _ClaveTokenBackend ClaveTokenBackend;

/* Nothing is loaded until _clave_token_backend_load() or the first
 * _clave_token_backend_wait(). */
ClaveTokenBackend *_clave_token_backend_new         (const char * const *extra,
                                                     gboolean            use_registry);
/* Starts loading in a thread of its own (once; any thread). */
void               _clave_token_backend_load        (ClaveTokenBackend  *self);
ClaveTokenBackend *_clave_token_backend_ref         (ClaveTokenBackend  *self);
void               _clave_token_backend_unref       (ClaveTokenBackend  *self);
/* Threads only: waits until the modules are loaded. FALSE if
 * @cancellable was cancelled first. */
gboolean           _clave_token_backend_wait        (ClaveTokenBackend  *self,
                                                     GCancellable       *cancellable);
gboolean           _clave_token_backend_is_loaded   (ClaveTokenBackend  *self);
/* Once loaded: */
GPtrArray         *_clave_token_backend_get_modules (ClaveTokenBackend  *self);
gboolean           _clave_token_backend_get_opensc_found (ClaveTokenBackend *self);
gboolean           _clave_token_backend_get_use_registry (ClaveTokenBackend *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveTokenBackend, _clave_token_backend_unref)

/* The watcher (clave-token-watch.c): a thread that follows readers and
 * cards (pcscd's events for PC/SC drivers, a cheap presence poll for the
 * others) and hands each change to @callback on the main context of the
 * caller of _clave_token_watch_start(). */
typedef struct _ClaveTokenWatch ClaveTokenWatch;

/* What the watcher found: the certificates to list, and for the
 * diagnostics the readers and cards (_clave_token_scan_dup_*). */
typedef struct {
  GPtrArray *certificates;   /* ClaveCertificate */
  GStrv      readers;
  GStrv      cards;
} ClaveTokenSnapshot;

typedef void (*ClaveTokenWatchFunc) (const ClaveTokenSnapshot *snapshot,
                                     gpointer                  user_data);

ClaveTokenWatch   *_clave_token_watch_start         (ClaveTokenBackend  *backend,
                                                     ClaveTokenWatchFunc callback,
                                                     gpointer            user_data);
/* Never waits for a thread that is inside a driver: asks the thread to
 * stop, waits for it at most a short while, and leaves it to end on its
 * own otherwise. @callback is not called after this returns. */
void               _clave_token_watch_stop          (ClaveTokenWatch    *watch);

/* Card I/O for one certificate (run in a thread). */
gboolean           _clave_pkcs11_get_pin_flags      (GPtrArray          *modules,
                                                     ClaveCertificate   *certificate,
                                                     ClavePinFlags      *flags,
                                                     GError            **error);
/* Nothing is sent to the card once @cancellable is cancelled. */
GBytes            *_clave_pkcs11_sign               (GPtrArray          *modules,
                                                     ClaveCertificate   *certificate,
                                                     const char         *pin,
                                                     GBytes             *data,
                                                     ClavePinFlags      *pin_flags,
                                                     GCancellable       *cancellable,
                                                     GError            **error);

/* Fills the module, reader, card and certificate parts of a report. */
/* Adds a ClaveDiagnosticsEntry to reader_entries or card_entries. */
void               _clave_diagnostics_add_entry     (GPtrArray          *entries,
                                                     const char         *title,
                                                     const char         *subtitle);
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
GError            *_clave_token_error_refused       (ClavePinFlags       flags);

G_END_DECLS
