/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PKCS#11 tokens: their PIN state, logging in (PIN or PIN pad) and
 * signing, one card operation at a time. */
#define G_LOG_DOMAIN "clave-token-manager"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs11.h>
#include <gnutls/x509.h>
#include <p11-kit/uri.h>

#include "clave-crypto.h"
#include "clave-protocol.h"
#include "clave-token-pkcs11-private.h"

/* PIN flags and signing */

gboolean
_clave_pkcs11_get_pin_flags (GPtrArray         *modules,
                             ClaveCertificate  *certificate,
                             ClavePinFlags     *flags,
                             GError           **error)
{
  const ClaveTokenLocation *location = _clave_certificate_get_token_location (certificate);
  ClavePkcs11Module *module;
  CK_TOKEN_INFO info;
  CK_SLOT_ID slot;

  *flags = CLAVE_PIN_FLAGS_NONE;
  if (location == NULL)
    return TRUE;

  module = _clave_pkcs11_find_module (modules, location->module_path);
  if (module == NULL || !_clave_pkcs11_find_token (module, location, &slot, &info))
    {
      g_propagate_error (error, _clave_token_error_removed ());
      return FALSE;
    }

  *flags = _clave_pin_flags_from_pkcs11 (info.flags);
  return TRUE;
}

typedef struct {
  const char *pin;
  gboolean    refused;
} PinRequest;

/* GnuTLS asks again after a wrong PIN (GNUTLS_PIN_WRONG): answering with
 * the same PIN would burn the card's tries, so the second question fails
 * the operation. A context-specific login (CKA_ALWAYS_AUTHENTICATE keys)
 * is a first question, not a retry. */
static int
pin_callback (void         *user_data,
              int           attempt,
              const char   *token_url,
              const char   *token_label,
              unsigned int  flags,
              char         *pin,
              size_t        pin_max)
{
  PinRequest *request = user_data;
  size_t len;

  if (attempt > 0 || (flags & GNUTLS_PIN_WRONG) || request->pin == NULL)
    {
      request->refused = TRUE;
      return -1;
    }

  len = strlen (request->pin);
  if (len + 1 > pin_max)
    {
      request->refused = TRUE;
      return -1;
    }

  memcpy (pin, request->pin, len + 1);
  return 0;
}

/* The card's PIN state now, to say how many tries are left after a
 * failure. FALSE when the card is gone. */
static gboolean
reread_flags (ClavePkcs11Module        *module,
              const ClaveTokenLocation *location,
              ClavePinFlags            *pin_flags)
{
  CK_TOKEN_INFO info;
  CK_SLOT_ID slot;

  if (!_clave_pkcs11_find_token (module, location, &slot, &info))
    return FALSE;

  *pin_flags = _clave_pin_flags_from_pkcs11 (info.flags) |
               (*pin_flags & CLAVE_PIN_FLAGS_PROTECTED_PATH);
  return TRUE;
}

/* The PIN was refused, or the card failed in a way that may be a refused
 * PIN: say what the card's counters now say. */
static GError *
pin_refused_error (ClavePkcs11Module        *module,
                   const ClaveTokenLocation *location,
                   gboolean                  dnie,
                   gboolean                  certainly_wrong,
                   ClavePinFlags            *pin_flags)
{
  ClavePinFlags before = *pin_flags;

  if (!reread_flags (module, location, pin_flags))
    return _clave_token_error_removed ();
  if (*pin_flags & CLAVE_PIN_FLAGS_LOCKED)
    return _clave_token_error_pin_locked (dnie);

  /* Some drivers (OpenSC's CAC emulation) answer a wrong PIN with
   * CKR_GENERAL_ERROR: a counter that moved tells it was the PIN. */
  if (certainly_wrong ||
      (*pin_flags & (CLAVE_PIN_FLAGS_COUNT_LOW | CLAVE_PIN_FLAGS_FINAL_TRY)) !=
      (before & (CLAVE_PIN_FLAGS_COUNT_LOW | CLAVE_PIN_FLAGS_FINAL_TRY)))
    return _clave_token_error_wrong_pin (*pin_flags);

  return _clave_token_error_refused (*pin_flags);
}

/* A driver said the card or session is gone: say so only if it is. */
static GError *
removed_or_refused (ClavePkcs11Module        *module,
                    const ClaveTokenLocation *location,
                    ClavePinFlags            *pin_flags)
{
  if (!reread_flags (module, location, pin_flags))
    return _clave_token_error_removed ();

  return _clave_token_error_refused (*pin_flags);
}

static gboolean
rv_means_removed (CK_RV rv)
{
  return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
         rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
         rv == CKR_SLOT_ID_INVALID || rv == CKR_TOKEN_NOT_RECOGNIZED ||
         rv == CKR_DEVICE_ERROR;
}

/* Logs in with @pin (NULL: on the reader's PIN pad) in a session of our
 * own, which stays open until the signature is made: a token forgets its
 * login when an application's last session closes. The exact CK_RV tells
 * a wrong PIN from a pulled card, which GnuTLS's login folds together. */
static gboolean
login (ClavePkcs11Module        *module,
       CK_SLOT_ID                slot,
       const ClaveTokenLocation *location,
       const char               *pin,
       gboolean                  dnie,
       CK_SESSION_HANDLE        *session,
       ClavePinFlags            *pin_flags,
       GError                  **error)
{
  CK_RV rv;

  rv = module->funcs->C_OpenSession (slot, CKF_SERIAL_SESSION, NULL, NULL, session);
  if (rv != CKR_OK)
    {
      g_debug ("C_OpenSession: %s", p11_kit_strerror (rv));
      g_propagate_error (error, removed_or_refused (module, location, pin_flags));
      return FALSE;
    }

  rv = module->funcs->C_Login (*session, CKU_USER, (CK_UTF8CHAR_PTR) pin,
                               pin != NULL ? strlen (pin) : 0);
  if (rv == CKR_USER_ALREADY_LOGGED_IN)
    {
      /* Logged in before (by nothing of ours: card operations take turns):
       * the PIN typed now must still be the one that is checked. */
      module->funcs->C_Logout (*session);
      rv = module->funcs->C_Login (*session, CKU_USER, (CK_UTF8CHAR_PTR) pin,
                                   pin != NULL ? strlen (pin) : 0);
    }
  if (rv == CKR_OK)
    return TRUE;

  g_debug ("C_Login: %s", p11_kit_strerror (rv));
  module->funcs->C_CloseSession (*session);
  *session = CK_INVALID_HANDLE;

  switch (rv)
    {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
      g_propagate_error (error, pin_refused_error (module, location, dnie, TRUE, pin_flags));
      break;
    case CKR_PIN_LOCKED:
      *pin_flags |= CLAVE_PIN_FLAGS_LOCKED;
      g_propagate_error (error, _clave_token_error_pin_locked (dnie));
      break;
    case CKR_FUNCTION_CANCELED:
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PIN,
                           _("The PIN was not entered on the card reader. Try again, and type "
                             "the PIN on the reader's keypad."));
      break;
    default:
      if (rv_means_removed (rv))
        g_propagate_error (error, removed_or_refused (module, location, pin_flags));
      else
        g_propagate_error (error, pin_refused_error (module, location, dnie, FALSE, pin_flags));
      break;
    }

  return FALSE;
}

/* Forgets the PIN on the card once we are done: the person typed it for
 * this one signature. */
static void
logout (ClavePkcs11Module *module,
        CK_SESSION_HANDLE  session)
{
  if (session == CK_INVALID_HANDLE)
    return;

  module->funcs->C_Logout (session);
  module->funcs->C_CloseSession (session);
}

/* One card operation at a time, from the login to the logout: a second
 * one would find the token logged in with the first one's PIN. */
static GMutex card_operation_lock;

static GBytes *sign_locked (GPtrArray         *modules,
                            ClaveCertificate  *certificate,
                            const char        *pin,
                            GBytes            *data,
                            ClavePinFlags     *pin_flags,
                            GCancellable      *cancellable,
                            GError           **error);

GBytes *
_clave_pkcs11_sign (GPtrArray         *modules,
                    ClaveCertificate  *certificate,
                    const char        *pin,
                    GBytes            *data,
                    ClavePinFlags     *pin_flags,
                    GCancellable      *cancellable,
                    GError           **error)
{
  GBytes *signature;

  g_mutex_lock (&card_operation_lock);
  signature = sign_locked (modules, certificate, pin, data, pin_flags, cancellable, error);
  g_mutex_unlock (&card_operation_lock);

  return signature;
}

static GBytes *
sign_locked (GPtrArray         *modules,
             ClaveCertificate  *certificate,
             const char        *pin,
             GBytes            *data,
             ClavePinFlags     *pin_flags,
             GCancellable      *cancellable,
             GError           **error)
{
  const ClaveTokenLocation *location = _clave_certificate_get_token_location (certificate);
  gboolean dnie = clave_certificate_is_dnie (certificate);
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  ClavePkcs11Module *module;
  CK_TOKEN_INFO info;
  CK_SLOT_ID slot;
  PinRequest request = { pin, FALSE };
  gnutls_privkey_t key = NULL;
  gnutls_datum_t input, signature = { NULL, 0 };
  const char *algorithm_name;
  int algorithm;
  gsize size = 0;
  int ret;
  GBytes *result;

  *pin_flags = CLAVE_PIN_FLAGS_NONE;

  module = _clave_pkcs11_find_module (modules, location->module_path);
  if (module == NULL || !_clave_pkcs11_find_token (module, location, &slot, &info))
    {
      g_propagate_error (error, _clave_token_error_removed ());
      return NULL;
    }

  *pin_flags = _clave_pin_flags_from_pkcs11 (info.flags);
  if (*pin_flags & CLAVE_PIN_FLAGS_LOCKED)
    {
      g_propagate_error (error, _clave_token_error_pin_locked (dnie));
      return NULL;
    }
  if (pin == NULL && !(*pin_flags & CLAVE_PIN_FLAGS_PROTECTED_PATH) &&
      (info.flags & CKF_LOGIN_REQUIRED))
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PIN,
                           _("Enter the PIN of the card."));
      return NULL;
    }
  if (location->key_url == NULL)
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES,
                           _("This card has no key for the certificate. Choose another certificate."));
      return NULL;
    }
  if (!_clave_token_signature_algorithm (certificate, &algorithm, &algorithm_name, error))
    return NULL;

  /* The card may have kept us waiting (another program held it): the
   * person may have given up meanwhile, and the PIN is not sent then. */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  if ((info.flags & CKF_LOGIN_REQUIRED) &&
      !login (module, slot, location, pin, dnie, &session, pin_flags, error))
    return NULL;

  input.data = (unsigned char *) g_bytes_get_data (data, &size);
  input.size = (unsigned int) size;

  g_rw_lock_reader_lock (&_clave_pkcs11_gnutls_lock);
  ret = gnutls_privkey_init (&key);
  if (ret >= 0)
    {
      /* Asked only for a key that wants the PIN again for each
       * signature (CKA_ALWAYS_AUTHENTICATE, as a DNIe's signing key). */
      gnutls_privkey_set_pin_function (key, pin_callback, &request);
      ret = gnutls_privkey_import_pkcs11_url (key, location->key_url);
    }
  if (ret >= 0)
    ret = gnutls_privkey_sign_data2 (key, algorithm, 0, &input, &signature);
  gnutls_privkey_deinit (key);
  g_rw_lock_reader_unlock (&_clave_pkcs11_gnutls_lock);

  logout (module, session);

  if (ret >= 0)
    {
      result = g_bytes_new (signature.data, signature.size);
      gnutls_free (signature.data);
      return result;
    }

  g_debug ("Signing with %s failed: %s", location->object_label, gnutls_strerror (ret));

  switch (ret)
    {
    case GNUTLS_E_PKCS11_PIN_ERROR:
      g_propagate_error (error, pin_refused_error (module, location, dnie, TRUE, pin_flags));
      return NULL;

    case GNUTLS_E_PKCS11_PIN_LOCKED:
      *pin_flags |= CLAVE_PIN_FLAGS_LOCKED;
      g_propagate_error (error, _clave_token_error_pin_locked (dnie));
      return NULL;

    case GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE:
      /* Not found: the card went away, or it has no such key. */
      if (_clave_pkcs11_find_token (module, location, &slot, &info))
        g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES,
                             _("This card has no key for the certificate. Choose another certificate."));
      else
        g_propagate_error (error, _clave_token_error_removed ());
      return NULL;

    case GNUTLS_E_PKCS11_TOKEN_ERROR:
    case GNUTLS_E_PKCS11_DEVICE_ERROR:
    case GNUTLS_E_PKCS11_SLOT_ERROR:
    case GNUTLS_E_PKCS11_SESSION_ERROR:
      g_propagate_error (error, removed_or_refused (module, location, pin_flags));
      return NULL;

    default:
      /* The card was there and the PIN accepted (or not needed), yet it
       * did not sign: never "PKCS #11 error". */
      if (!reread_flags (module, location, pin_flags))
        g_propagate_error (error, _clave_token_error_removed ());
      else if (*pin_flags & CLAVE_PIN_FLAGS_LOCKED)
        g_propagate_error (error, _clave_token_error_pin_locked (dnie));
      else
        g_propagate_error (error, _clave_token_error_refused (*pin_flags));
      return NULL;
    }
}
