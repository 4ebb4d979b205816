/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-certificate.h"

G_BEGIN_DECLS

/**
 * ClaveTokenError:
 * @CLAVE_TOKEN_ERROR_WRONG_PIN: wrong card PIN; see the pin flags for tries left
 * @CLAVE_TOKEN_ERROR_PIN_LOCKED: the card PIN is locked (too many wrong PINs)
 * @CLAVE_TOKEN_ERROR_TOKEN_REMOVED: the card was removed during the operation
 * @CLAVE_TOKEN_ERROR_NO_CERTIFICATES: a card/file without a usable certificate and key
 * @CLAVE_TOKEN_ERROR_WRONG_PASSWORD: wrong password of a PKCS#12 file
 * @CLAVE_TOKEN_ERROR_INVALID_FILE: not a PKCS#12 file, or damaged
 * @CLAVE_TOKEN_ERROR_MODULE: a PKCS#11 module could not be loaded
 * @CLAVE_TOKEN_ERROR_FAILED: any other card or crypto failure (message has detail)
 * @CLAVE_TOKEN_ERROR_REFUSED: the card refused the PIN or the signature without
 *   saying which (some drivers answer a wrong PIN so); the PIN flags returned
 *   with it say how many tries are left
 */
typedef enum {
  CLAVE_TOKEN_ERROR_WRONG_PIN,
  CLAVE_TOKEN_ERROR_PIN_LOCKED,
  CLAVE_TOKEN_ERROR_TOKEN_REMOVED,
  CLAVE_TOKEN_ERROR_NO_CERTIFICATES,
  CLAVE_TOKEN_ERROR_WRONG_PASSWORD,
  CLAVE_TOKEN_ERROR_INVALID_FILE,
  CLAVE_TOKEN_ERROR_MODULE,
  CLAVE_TOKEN_ERROR_FAILED,
  CLAVE_TOKEN_ERROR_REFUSED,
} ClaveTokenError;

#define CLAVE_TOKEN_ERROR (clave_token_error_quark ())
GQuark clave_token_error_quark (void);

/* What to tell the person about a card or certificate-file error: the
 * words for removed cards, locked PINs, cards without a usable
 * certificate and unreadable files; the error's own message otherwise.
 * @card_problem (may be NULL) says whether the card or its reader is the
 * trouble (Diagnostics can help) rather than a file. */
const char *clave_token_error_describe (const GError *error,
                                        gboolean     *card_problem);

/* What the card says about its user PIN (PKCS#11 token info flags). */
typedef enum {
  CLAVE_PIN_FLAGS_NONE            = 0,
  CLAVE_PIN_FLAGS_COUNT_LOW       = 1 << 0,  /* CKF_USER_PIN_COUNT_LOW */
  CLAVE_PIN_FLAGS_FINAL_TRY       = 1 << 1,  /* CKF_USER_PIN_FINAL_TRY */
  CLAVE_PIN_FLAGS_LOCKED          = 1 << 2,  /* CKF_USER_PIN_LOCKED */
  CLAVE_PIN_FLAGS_PROTECTED_PATH  = 1 << 3,  /* PIN pad: CKF_PROTECTED_AUTHENTICATION_PATH */
} ClavePinFlags;

#define CLAVE_TYPE_TOKEN_MANAGER (clave_token_manager_get_type ())
G_DECLARE_FINAL_TYPE (ClaveTokenManager, clave_token_manager, CLAVE, TOKEN_MANAGER, GObject)

/* @modules: extra PKCS#11 module paths (the profile's "pkcs11-modules");
 * OpenSC's module is found through p11-kit's registry unless
 * @use_registry is FALSE (tests). @soft_cert_dir: where imported PKCS#12
 * files live (default: $XDG_DATA_HOME/clave-desktop/certificates). */
ClaveTokenManager *clave_token_manager_new              (const char * const  *modules,
                                                         gboolean             use_registry,
                                                         const char          *soft_cert_dir);
/* Starts watching readers and cards (a worker thread; changes reach the
 * list model on the thread-default main context of the caller). The
 * modules are loaded in a thread of their own: nothing here, nor in any
 * other call, waits on the calling thread for a card or driver. */
void               clave_token_manager_start            (ClaveTokenManager   *self);
/* Returns at once (within a fraction of a second) even when a driver is
 * stuck waiting for a card that another program holds. */
void               clave_token_manager_stop             (ClaveTokenManager   *self);
/* TRUE once the cards were looked at for the first time after start
 * ("ready" is notified then). */
gboolean           clave_token_manager_get_ready        (ClaveTokenManager   *self);
/* Names of the card readers (PKCS#11 slots), and "“label” in “reader”"
 * for each card; NULL before ready. Notified as "readers" and "cards". */
const char * const *clave_token_manager_get_readers     (ClaveTokenManager   *self);
const char * const *clave_token_manager_get_cards       (ClaveTokenManager   *self);
/* ClaveCertificate items, cards first, then imported files. Only
 * authentication certificates that name a DNI/NIE are listed (a DNIe's
 * signing certificate is not). */
GListModel        *clave_token_manager_get_certificates (ClaveTokenManager   *self);

/* Reads the PIN flags of the card holding @certificate (card I/O: thread). */
void               clave_token_manager_get_pin_flags_async  (ClaveTokenManager   *self,
                                                             ClaveCertificate    *certificate,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
ClavePinFlags      clave_token_manager_get_pin_flags_finish (ClaveTokenManager   *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

/* Signs @data (SHA-256) with the key of @certificate. @secret is the card
 * PIN, the PKCS#12 password, or NULL for a PIN pad. @algorithm receives
 * "rsa-pkcs1-sha256" or "ecdsa-sha256" (DER signature). On WRONG_PIN the
 * card's flags after the failure are in @pin_flags. */
void               clave_token_manager_sign_async       (ClaveTokenManager   *self,
                                                         ClaveCertificate    *certificate,
                                                         const char          *secret,
                                                         GBytes              *data,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
GBytes            *clave_token_manager_sign_finish      (ClaveTokenManager   *self,
                                                         GAsyncResult        *result,
                                                         char               **algorithm,
                                                         ClavePinFlags       *pin_flags,
                                                         GError             **error);

/* Imports a .p12/.pfx: checks @password opens it and it holds a key and a
 * certificate naming a DNI/NIE, then keeps a copy (0600) under the soft
 * cert dir. Returns the new certificate. */
void               clave_token_manager_import_pkcs12_async  (ClaveTokenManager   *self,
                                                             const char          *path,
                                                             const char          *password,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
ClaveCertificate  *clave_token_manager_import_pkcs12_finish (ClaveTokenManager   *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* Removes an imported file (cards cannot be removed this way). */
gboolean           clave_token_manager_remove           (ClaveTokenManager   *self,
                                                         ClaveCertificate    *certificate,
                                                         GError             **error);

/* What the diagnostics page shows in plain words: a reader with whether
 * a card is in it, a card with the state of its PIN. */
typedef struct {
  char *title;                    /* the reader's name, the card's label */
  char *subtitle;                 /* translated: "A card is in it", "PIN: one try left" */
} ClaveDiagnosticsEntry;

/* Diagnostics: what is there and what is missing. The char* arrays are
 * the technical lines of the text report (clave-desktop --diagnose); the
 * entries and certificate objects say the same for the page. */
typedef struct {
  gboolean   pcscd_reachable;
  char      *pcscd_detail;        /* socket path tried, error */
  GPtrArray *modules;             /* char*: "OpenSC smartcard framework 0.23 (/usr/lib/…/opensc-pkcs11.so)" */
  GPtrArray *readers;             /* char*: slot description, "card present"/"no card" */
  GPtrArray *cards;               /* char*: token label, model, serial, PIN flags */
  GPtrArray *certificates;        /* char*: holder, document, issuer, validity, location */
  GPtrArray *problems;            /* char*: translated, actionable: "pcscd is not running: …" */
  guint      n_usable;            /* certificates valid now, on cards and in files */
  GPtrArray *reader_entries;      /* ClaveDiagnosticsEntry*, as readers */
  GPtrArray *card_entries;        /* ClaveDiagnosticsEntry*, as cards */
  GPtrArray *certificate_objects; /* ClaveCertificate*, as certificates */
} ClaveDiagnostics;

void              clave_diagnostics_free     (ClaveDiagnostics *diagnostics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveDiagnostics, clave_diagnostics_free)
/* A plain-text report a person can copy into a support request. */
char             *clave_diagnostics_to_text  (const ClaveDiagnostics *diagnostics);

void              clave_token_manager_diagnose_async  (ClaveTokenManager   *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
ClaveDiagnostics *clave_token_manager_diagnose_finish (ClaveTokenManager   *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

G_END_DECLS
