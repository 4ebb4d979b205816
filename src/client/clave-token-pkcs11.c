/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-token-manager"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs11.h>
#include <gnutls/x509.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "clave-crypto.h"
#include "clave-protocol.h"
#include "clave-token-manager-private.h"
#include "clave-token-pkcs11-private.h"

#define FLATPAK_OPENSC_MODULE "/app/lib/pkcs11/opensc-pkcs11.so"

/* p11-kit and PKCS#11 strings are blank-padded, not NUL-terminated. */
static char *
space_strdup (const CK_UTF8CHAR *text,
              gsize              max)
{
  gsize len = max;

  while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\0'))
    len--;

  return g_utf8_make_valid ((const char *) text, (gssize) len);
}

static void
module_free (ClavePkcs11Module *module)
{
  if (module->funcs != NULL)
    {
      p11_kit_module_finalize (module->funcs);
      p11_kit_module_release (module->funcs);
    }
  g_free (module->path);
  g_free (module->error);
  g_free (module);
}

static gboolean
is_opensc_module (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  return g_str_has_prefix (base, "opensc-pkcs11");
}

GPtrArray *
_clave_pkcs11_modules_load (const char * const *paths)
{
  GPtrArray *modules = g_ptr_array_new_with_free_func ((GDestroyNotify) module_free);

  for (gsize i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      ClavePkcs11Module *module = g_new0 (ClavePkcs11Module, 1);
      CK_RV rv;

      module->path = g_strdup (paths[i]);
      module->pcsc_events = is_opensc_module (paths[i]);
      /* Managed by p11-kit: the real module is loaded and initialised once
       * per process and shared with GnuTLS's copy of it. */
      module->funcs = p11_kit_module_load (paths[i], 0);
      if (module->funcs == NULL)
        {
          const char *message = p11_kit_message ();

          module->error = g_strdup (message ? message : "cannot be loaded");
        }
      else if ((rv = p11_kit_module_initialize (module->funcs)) != CKR_OK)
        {
          module->error = g_strdup (p11_kit_strerror (rv));
          p11_kit_module_release (module->funcs);
          module->funcs = NULL;
        }
      else if (module->funcs->C_GetInfo (&module->info) != CKR_OK)
        {
          memset (&module->info, ' ', sizeof module->info);
        }

      if (module->error != NULL)
        g_debug ("PKCS#11 module %s: %s", module->path, module->error);

      g_ptr_array_add (modules, module);
    }

  return modules;
}

const char *
_clave_pkcs11_module_get_path (ClavePkcs11Module *module)
{
  return module->path;
}

gboolean
_clave_pkcs11_module_is_loaded (ClavePkcs11Module *module)
{
  return module->funcs != NULL;
}

static void
add_unique_path (GPtrArray  *paths,
                 const char *path)
{
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);

  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *other = g_canonicalize_filename (g_ptr_array_index (paths, i), NULL);

      if (g_str_equal (canonical, other))
        return;
    }

  g_ptr_array_add (paths, g_strdup (path));
}

char **
_clave_pkcs11_resolve_modules (const char * const *extra,
                               gboolean            use_registry,
                               gboolean           *opensc_found)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  gboolean opensc = FALSE;

  if (use_registry)
    {
      /* Only reads the registry and dlopen()s the modules to learn their
       * file names; nothing is initialised here. */
      CK_FUNCTION_LIST **registered = p11_kit_modules_load (NULL, 0);

      for (gsize i = 0; registered != NULL && registered[i] != NULL; i++)
        {
          char *filename = p11_kit_module_get_filename (registered[i]);

          if (filename != NULL && is_opensc_module (filename))
            {
              add_unique_path (paths, filename);
              opensc = TRUE;
            }
          free (filename);
        }
      if (registered != NULL)
        p11_kit_modules_release (registered);

      /* A Flatpak carries OpenSC itself; a system without p11-kit's
       * registry entry may still have the module in p11-kit's dir. */
      if (!opensc)
        {
          const char *fallbacks[] = { FLATPAK_OPENSC_MODULE,
                                      CLAVE_P11_MODULE_PATH "/opensc-pkcs11.so" };

          for (gsize i = 0; i < G_N_ELEMENTS (fallbacks) && !opensc; i++)
            if (g_file_test (fallbacks[i], G_FILE_TEST_IS_REGULAR))
              {
                add_unique_path (paths, fallbacks[i]);
                opensc = TRUE;
              }
        }
    }

  for (gsize i = 0; extra != NULL && extra[i] != NULL; i++)
    if (extra[i][0] != '\0')
      {
        add_unique_path (paths, extra[i]);
        opensc = opensc || is_opensc_module (extra[i]);
      }

  if (opensc_found != NULL)
    *opensc_found = opensc;

  g_ptr_array_add (paths, NULL);
  return (char **) g_ptr_array_steal (paths, NULL);
}

/* GnuTLS's PKCS#11 state */

/* Readers: every GnuTLS PKCS#11 operation. Writer: adding providers and
 * deinitialising, which GnuTLS documents as not thread safe. */
GRWLock _clave_pkcs11_gnutls_lock;
static guint gnutls_users;
static GHashTable *gnutls_providers;

void
_clave_pkcs11_gnutls_acquire (const char * const *paths)
{
  g_rw_lock_writer_lock (&_clave_pkcs11_gnutls_lock);

  if (gnutls_users++ == 0)
    {
      /* Manual: only the modules we name, never every module of the
       * registry (tests must see SoftHSM2 only). */
      int ret = gnutls_pkcs11_init (GNUTLS_PKCS11_FLAG_MANUAL, NULL);

      if (ret < 0)
        g_debug ("gnutls_pkcs11_init: %s", gnutls_strerror (ret));
      gnutls_providers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    }

  for (gsize i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      int ret;

      if (g_hash_table_contains (gnutls_providers, paths[i]))
        continue;

      ret = gnutls_pkcs11_add_provider (paths[i], NULL);
      if (ret < 0)
        g_debug ("gnutls_pkcs11_add_provider %s: %s", paths[i], gnutls_strerror (ret));
      g_hash_table_add (gnutls_providers, g_strdup (paths[i]));
    }

  g_rw_lock_writer_unlock (&_clave_pkcs11_gnutls_lock);
}

void
_clave_pkcs11_gnutls_release (void)
{
  g_rw_lock_writer_lock (&_clave_pkcs11_gnutls_lock);

  g_assert (gnutls_users > 0);
  if (--gnutls_users == 0)
    {
      gnutls_pkcs11_deinit ();
      g_clear_pointer (&gnutls_providers, g_hash_table_unref);
    }

  g_rw_lock_writer_unlock (&_clave_pkcs11_gnutls_lock);
}

/* Slots and tokens */

static CK_SLOT_ID *
get_slots (CK_FUNCTION_LIST *funcs,
           CK_BBOOL          token_present,
           CK_ULONG         *n_slots)
{
  *n_slots = 0;

  /* The list can grow between the two calls (a reader plugged in). */
  for (int attempt = 0; attempt < 4; attempt++)
    {
      g_autofree CK_SLOT_ID *slots = NULL;
      CK_ULONG count = 0;
      CK_RV rv;

      rv = funcs->C_GetSlotList (token_present, NULL, &count);
      if (rv != CKR_OK)
        return NULL;

      slots = g_new0 (CK_SLOT_ID, count + 1);
      rv = funcs->C_GetSlotList (token_present, slots, &count);
      if (rv == CKR_BUFFER_TOO_SMALL)
        continue;
      if (rv != CKR_OK)
        return NULL;

      *n_slots = count;
      return g_steal_pointer (&slots);
    }

  return NULL;
}

static gboolean
token_matches (const CK_TOKEN_INFO      *info,
               const ClaveTokenLocation *location)
{
  g_autofree char *label = space_strdup (info->label, sizeof info->label);
  g_autofree char *serial = space_strdup (info->serialNumber, sizeof info->serialNumber);

  return g_strcmp0 (label, location->token_label) == 0 &&
         g_strcmp0 (serial, location->token_serial) == 0;
}

/* Finds the card holding @location now: in its old slot or, after being
 * moved to another reader, in any slot of the same module. */
gboolean
_clave_pkcs11_find_token (ClavePkcs11Module        *module,
                          const ClaveTokenLocation *location,
                          CK_SLOT_ID               *slot_out,
                          CK_TOKEN_INFO            *info_out)
{
  g_autofree CK_SLOT_ID *slots = NULL;
  CK_ULONG n_slots = 0;

  if (module->funcs == NULL)
    return FALSE;

  if (module->funcs->C_GetTokenInfo (location->slot_id, info_out) == CKR_OK &&
      token_matches (info_out, location))
    {
      *slot_out = location->slot_id;
      return TRUE;
    }

  slots = get_slots (module->funcs, CK_TRUE, &n_slots);
  for (CK_ULONG i = 0; i < n_slots; i++)
    if (module->funcs->C_GetTokenInfo (slots[i], info_out) == CKR_OK &&
        token_matches (info_out, location))
      {
        *slot_out = slots[i];
        return TRUE;
      }

  return FALSE;
}

ClavePkcs11Module *
_clave_pkcs11_find_module (GPtrArray  *modules,
                           const char *path)
{
  for (guint i = 0; i < modules->len; i++)
    {
      ClavePkcs11Module *module = g_ptr_array_index (modules, i);

      if (g_str_equal (module->path, path) && module->funcs != NULL)
        return module;
    }

  return NULL;
}

ClavePinFlags
_clave_pin_flags_from_pkcs11 (gulong token_flags)
{
  ClavePinFlags flags = CLAVE_PIN_FLAGS_NONE;

  if (token_flags & CKF_USER_PIN_COUNT_LOW)
    flags |= CLAVE_PIN_FLAGS_COUNT_LOW;
  if (token_flags & CKF_USER_PIN_FINAL_TRY)
    flags |= CLAVE_PIN_FLAGS_FINAL_TRY;
  if (token_flags & CKF_USER_PIN_LOCKED)
    flags |= CLAVE_PIN_FLAGS_LOCKED;
  if (token_flags & CKF_PROTECTED_AUTHENTICATION_PATH)
    flags |= CLAVE_PIN_FLAGS_PROTECTED_PATH;

  return flags;
}

/* Errors a person reads */

GError *
_clave_token_error_wrong_pin (ClavePinFlags flags)
{
  const char *message;

  if (flags & CLAVE_PIN_FLAGS_FINAL_TRY)
    message = _("The PIN is not correct. You have one try left: if the next PIN is wrong too, the card locks.");
  else if (flags & CLAVE_PIN_FLAGS_COUNT_LOW)
    message = _("The PIN is not correct. You have few tries left before the card locks.");
  else
    message = _("The PIN is not correct. Check it and try again.");

  return g_error_new_literal (CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PIN, message);
}

GError *
_clave_token_error_pin_locked (gboolean dnie)
{
  if (dnie)
    return g_error_new_literal (CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_PIN_LOCKED,
                                _("The card's PIN is locked. Unlock it at a DNIe update point (Punto de Actualización del DNIe) in a police station."));

  return g_error_new_literal (CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_PIN_LOCKED,
                              _("The card's PIN is locked. Unlock it as the issuer of the card explains, usually with its PUK."));
}

GError *
_clave_token_error_refused (ClavePinFlags flags)
{
  const char *message;

  if (flags & CLAVE_PIN_FLAGS_FINAL_TRY)
    message = _("The card refused the PIN or the signature. It has one PIN try left: check the PIN before you try again.");
  else if (flags & CLAVE_PIN_FLAGS_COUNT_LOW)
    message = _("The card refused the PIN or the signature. It has few PIN tries left: check the PIN before you try again.");
  else
    message = _("The card refused the PIN or the signature. Check the PIN and try again; if it keeps failing, open the diagnostics.");

  return g_error_new_literal (CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_REFUSED, message);
}

GError *
_clave_token_error_removed (void)
{
  return g_error_new_literal (CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_TOKEN_REMOVED,
                              _("The card was removed. Insert it and try again."));
}

gboolean
_clave_token_signature_algorithm (ClaveCertificate  *certificate,
                                  int               *gnutls_sign,
                                  const char       **name,
                                  GError           **error)
{
  switch (_clave_certificate_get_pk_algorithm (certificate))
    {
    case GNUTLS_PK_RSA:
      *gnutls_sign = GNUTLS_SIGN_RSA_SHA256;
      *name = "rsa-pkcs1-sha256";
      return TRUE;
    case GNUTLS_PK_ECDSA:
      *gnutls_sign = GNUTLS_SIGN_ECDSA_SHA256;
      *name = "ecdsa-sha256";
      return TRUE;
    default:
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_NO_CERTIFICATES,
                           _("The key of this certificate is of a kind Cl@ve does not accept. Choose another certificate."));
      return FALSE;
    }
}

/* Listing the certificates of a token */

typedef struct {
  char   *label;
  GBytes *id;
  GBytes *der;
  char   *url;
  char   *subject_dn;   /* digests of the DER DNs, for chain building */
  char   *issuer_dn;
} TokenObject;

static void
token_object_free (TokenObject *object)
{
  g_free (object->label);
  g_clear_pointer (&object->id, g_bytes_unref);
  g_clear_pointer (&object->der, g_bytes_unref);
  g_free (object->url);
  g_free (object->subject_dn);
  g_free (object->issuer_dn);
  g_free (object);
}

/* DNs are compared as digests of their DER. */
static char *
dn_digest (const gnutls_datum_t *datum)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, datum->data, datum->size);
}

static void
read_dns (TokenObject *object)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum, dn;
  gsize size = 0;

  datum.data = (unsigned char *) g_bytes_get_data (object->der, &size);
  datum.size = (unsigned int) size;
  if (gnutls_x509_crt_init (&crt) < 0)
    return;
  if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER) >= 0)
    {
      if (gnutls_x509_crt_get_raw_dn (crt, &dn) >= 0)
        {
          object->subject_dn = dn_digest (&dn);
          gnutls_free (dn.data);
        }
      if (gnutls_x509_crt_get_raw_issuer_dn (crt, &dn) >= 0)
        {
          object->issuer_dn = dn_digest (&dn);
          gnutls_free (dn.data);
        }
    }
  gnutls_x509_crt_deinit (crt);
}

static char *
obj_get_label (gnutls_pkcs11_obj_t obj)
{
  char buffer[256];
  size_t size = sizeof buffer;

  if (gnutls_pkcs11_obj_get_info (obj, GNUTLS_PKCS11_OBJ_LABEL, buffer, &size) < 0)
    return g_strdup ("");

  return g_utf8_make_valid (buffer, -1);
}

static GBytes *
obj_get_id (gnutls_pkcs11_obj_t obj)
{
  guint8 buffer[256];
  size_t size = sizeof buffer;

  if (gnutls_pkcs11_obj_get_info (obj, GNUTLS_PKCS11_OBJ_ID, buffer, &size) < 0)
    return NULL;

  return g_bytes_new (buffer, size);
}

static char *
format_uri (P11KitUri          *uri,
            P11KitUriType       type)
{
  char *text = NULL;
  char *copy;

  if (p11_kit_uri_format (uri, type, &text) != P11_KIT_URI_OK)
    return NULL;

  copy = g_strdup (text);
  free (text);
  return copy;
}

static P11KitUri *
token_uri_new (ClavePkcs11Module   *module,
               const CK_TOKEN_INFO *info)
{
  P11KitUri *uri = p11_kit_uri_new ();

  memcpy (p11_kit_uri_get_token_info (uri), info, sizeof *info);
  memcpy (p11_kit_uri_get_module_info (uri), &module->info, sizeof module->info);
  return uri;
}

static char *
key_url_for (ClavePkcs11Module   *module,
             const CK_TOKEN_INFO *info,
             GBytes              *id)
{
  P11KitUri *uri = token_uri_new (module, info);
  CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE attribute;
  gsize size = 0;
  char *url;

  attribute.type = CKA_CLASS;
  attribute.pValue = &klass;
  attribute.ulValueLen = sizeof klass;
  p11_kit_uri_set_attribute (uri, &attribute);

  attribute.type = CKA_ID;
  attribute.pValue = (void *) g_bytes_get_data (id, &size);
  attribute.ulValueLen = size;
  p11_kit_uri_set_attribute (uri, &attribute);

  url = format_uri (uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN_AND_MODULE);
  p11_kit_uri_free (uri);
  return url;
}

/* Reads the certificate objects of one token through GnuTLS. Returns
 * FALSE on a card error (the token is read again on the next scan). */
static gboolean
read_token_objects (ClavePkcs11Module   *module,
                    const CK_TOKEN_INFO *info,
                    GPtrArray           *objects)
{
  P11KitUri *uri = token_uri_new (module, info);
  g_autofree char *token_url = format_uri (uri, P11_KIT_URI_FOR_TOKEN | P11_KIT_URI_FOR_MODULE);
  gnutls_pkcs11_obj_t *list = NULL;
  unsigned int n_list = 0;
  int ret;

  p11_kit_uri_free (uri);
  if (token_url == NULL)
    return FALSE;

  g_rw_lock_reader_lock (&_clave_pkcs11_gnutls_lock);
  ret = gnutls_pkcs11_obj_list_import_url4 (&list, &n_list, token_url,
                                            GNUTLS_PKCS11_OBJ_FLAG_CRT);
  if (ret >= 0)
    {
      for (unsigned int i = 0; i < n_list; i++)
        {
          TokenObject *object = g_new0 (TokenObject, 1);
          gnutls_datum_t der = { NULL, 0 };
          char *url = NULL;

          object->label = obj_get_label (list[i]);
          object->id = obj_get_id (list[i]);
          if (gnutls_pkcs11_obj_export2 (list[i], &der) >= 0)
            {
              object->der = g_bytes_new (der.data, der.size);
              gnutls_free (der.data);
            }
          if (gnutls_pkcs11_obj_export_url (list[i], GNUTLS_PKCS11_URL_GENERIC, &url) >= 0)
            {
              object->url = g_strdup (url);
              gnutls_free (url);
            }
          gnutls_pkcs11_obj_deinit (list[i]);

          if (object->der == NULL || object->url == NULL)
            {
              token_object_free (object);
              continue;
            }
          read_dns (object);
          g_ptr_array_add (objects, object);
        }
      gnutls_free (list);
    }
  g_rw_lock_reader_unlock (&_clave_pkcs11_gnutls_lock);

  if (ret < 0)
    {
      g_debug ("Cannot list the certificates of a token: %s", gnutls_strerror (ret));
      return FALSE;
    }

  return TRUE;
}

static ClaveTokenLocation *
location_new (ClavePkcs11Module   *module,
              CK_SLOT_ID           slot,
              const CK_TOKEN_INFO *info,
              TokenObject         *leaf)
{
  ClaveTokenLocation *location = g_new0 (ClaveTokenLocation, 1);
  P11KitUri *uri = token_uri_new (module, info);

  location->module_path = g_strdup (module->path);
  location->slot_id = slot;
  location->token_label = space_strdup (info->label, sizeof info->label);
  location->token_serial = space_strdup (info->serialNumber, sizeof info->serialNumber);
  location->token_url = format_uri (uri, P11_KIT_URI_FOR_TOKEN | P11_KIT_URI_FOR_MODULE);
  location->key_url = leaf->id ? key_url_for (module, info, leaf->id) : NULL;
  location->object_label = g_strdup (leaf->label);
  p11_kit_uri_free (uri);

  return location;
}

static TokenObject *
find_issuer (GPtrArray   *objects,
             TokenObject *child)
{
  if (child->issuer_dn == NULL || g_strcmp0 (child->issuer_dn, child->subject_dn) == 0)
    return NULL;

  for (guint i = 0; i < objects->len; i++)
    {
      TokenObject *object = g_ptr_array_index (objects, i);

      /* Self-signed roots are the service's trust anchors, not chain. */
      if (object != child && g_strcmp0 (object->subject_dn, child->issuer_dn) == 0 &&
          g_strcmp0 (object->subject_dn, object->issuer_dn) != 0)
        return object;
    }

  return NULL;
}

/* Lists @leaf if it can prove who the person is: it names a DNI/NIE and
 * its key may sign (keyUsage digitalSignature). That is decided by the
 * certificate, never by the labels a driver gives the objects, so that a
 * DNIe read through any driver, and any card with a Spanish personal
 * certificate (FNMT, ACCV, Camerfirma, professional cards), is offered.
 * A DNIe's signing certificate (nonRepudiation only) is for signatures
 * with legal effect and is not listed. The chain is what the card holds
 * above the leaf (a DNIe's CertCAIntermediaDGP): the service completes
 * it from its own intermediates when the card has none. */
static void
add_certificate (GPtrArray           *certificates,
                 ClavePkcs11Module   *module,
                 CK_SLOT_ID           slot,
                 const CK_TOKEN_INFO *info,
                 GPtrArray           *objects,
                 TokenObject         *leaf)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GError) error = NULL;
  ClaveCertificate *certificate;
  TokenObject *issuer = leaf;

  if (leaf->id == NULL)
    return;

  g_ptr_array_add (chain, g_bytes_ref (leaf->der));
  while ((issuer = find_issuer (objects, issuer)) != NULL &&
         chain->len < CLAVE_PROOF_MAX_CERTIFICATES)
    g_ptr_array_add (chain, g_bytes_ref (issuer->der));

  certificate = _clave_certificate_new_for_token (leaf->url, g_steal_pointer (&chain),
                                                  location_new (module, slot, info, leaf),
                                                  &error);
  if (certificate == NULL)
    {
      g_debug ("Skipping certificate %s: %s", leaf->label, error->message);
      return;
    }

  if (clave_certificate_get_document_number (certificate) == NULL ||
      !_clave_certificate_can_sign (certificate))
    {
      g_debug ("Skipping certificate %s: no DNI/NIE or not for authentication", leaf->label);
      g_object_unref (certificate);
      return;
    }

  g_ptr_array_add (certificates, certificate);
}

static gboolean
list_token_certificates (ClavePkcs11Module   *module,
                         CK_SLOT_ID           slot,
                         const CK_TOKEN_INFO *info,
                         GPtrArray           *certificates)
{
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func ((GDestroyNotify) token_object_free);

  if (!read_token_objects (module, info, objects))
    return FALSE;

  for (guint i = 0; i < objects->len; i++)
    add_certificate (certificates, module, slot, info, objects, g_ptr_array_index (objects, i));

  return TRUE;
}

/* Scans */

typedef struct {
  guint      module;        /* index in the modules array */
  char      *key;
  char      *label;
  char      *reader;
  GPtrArray *certificates;  /* ClaveCertificate */
} ScannedToken;

struct _ClaveTokenScan
{
  GPtrArray *tokens;        /* ScannedToken, in module and slot order */
  GPtrArray *readers;       /* char *: slot descriptions, in module and slot order */
  GArray    *reader_module; /* guint: the module of each reader */
  gboolean   incomplete;    /* a card in a reader could not be read */
};

static void
scanned_token_free (ScannedToken *token)
{
  g_free (token->key);
  g_free (token->label);
  g_free (token->reader);
  g_ptr_array_unref (token->certificates);
  g_free (token);
}

static ScannedToken *
scanned_token_copy (const ScannedToken *token)
{
  ScannedToken *copy = g_new0 (ScannedToken, 1);

  copy->module = token->module;
  copy->key = g_strdup (token->key);
  copy->label = g_strdup (token->label);
  copy->reader = g_strdup (token->reader);
  copy->certificates = g_ptr_array_ref (token->certificates);
  return copy;
}

static char *
token_key (ClavePkcs11Module   *module,
           CK_SLOT_ID           slot,
           const CK_TOKEN_INFO *info)
{
  return g_strdup_printf ("%s\n%lu\n%.32s\n%.16s\n%.32s\n%.16s", module->path, (gulong) slot,
                          info->label, info->serialNumber, info->manufacturerID, info->model);
}

static ClaveTokenScan *
scan_new (void)
{
  ClaveTokenScan *scan = g_new0 (ClaveTokenScan, 1);

  scan->tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) scanned_token_free);
  scan->readers = g_ptr_array_new_with_free_func (g_free);
  scan->reader_module = g_array_new (FALSE, FALSE, sizeof (guint));
  return scan;
}

static ScannedToken *
find_previous_token (ClaveTokenScan *previous,
                     const char     *key)
{
  for (guint i = 0; previous != NULL && i < previous->tokens->len; i++)
    {
      ScannedToken *candidate = g_ptr_array_index (previous->tokens, i);

      if (g_str_equal (candidate->key, key))
        return candidate;
    }

  return NULL;
}

/* Every slot of @module: the reader, and the card in it when there is
 * one (C_GetTokenInfo: for some drivers, OpenSC's among them, card I/O).
 * Cards already in @previous keep their certificates without being read
 * again. */
static void
scan_module (ClaveTokenScan    *scan,
             guint              index,
             ClavePkcs11Module *module,
             ClaveTokenScan    *previous)
{
  g_autofree CK_SLOT_ID *slots = NULL;
  CK_ULONG n_slots = 0;

  if (module->funcs == NULL)
    return;

  slots = get_slots (module->funcs, CK_FALSE, &n_slots);
  for (CK_ULONG s = 0; s < n_slots; s++)
    {
      CK_SLOT_INFO slot_info;
      CK_TOKEN_INFO info;
      ScannedToken *token;
      ScannedToken *old;

      if (module->funcs->C_GetSlotInfo (slots[s], &slot_info) != CKR_OK)
        continue;

      g_ptr_array_add (scan->readers, space_strdup (slot_info.slotDescription,
                                                    sizeof slot_info.slotDescription));
      g_array_append_val (scan->reader_module, index);

      if (!(slot_info.flags & CKF_TOKEN_PRESENT))
        continue;
      if (module->funcs->C_GetTokenInfo (slots[s], &info) != CKR_OK)
        {
          /* Another program holds it alone, or it is still being
           * powered: worth another look soon. */
          scan->incomplete = TRUE;
          continue;
        }
      if (!(info.flags & CKF_TOKEN_INITIALIZED))
        continue;

      token = g_new0 (ScannedToken, 1);
      token->module = index;
      token->key = token_key (module, slots[s], &info);
      token->label = space_strdup (info.label, sizeof info.label);
      token->reader = space_strdup (slot_info.slotDescription, sizeof slot_info.slotDescription);

      old = find_previous_token (previous, token->key);
      if (old != NULL)
        {
          token->certificates = g_ptr_array_ref (old->certificates);
        }
      else
        {
          token->certificates = g_ptr_array_new_with_free_func (g_object_unref);
          if (!list_token_certificates (module, slots[s], &info, token->certificates))
            {
              /* Pulled out while being read, or not ready yet: try
               * again soon. */
              scan->incomplete = TRUE;
              scanned_token_free (token);
              continue;
            }
        }

      g_ptr_array_add (scan->tokens, token);
    }
}

/* Copies what @previous knew of module @index. */
static void
copy_module (ClaveTokenScan *scan,
             guint           index,
             ClaveTokenScan *previous)
{
  if (previous == NULL)
    return;

  for (guint i = 0; i < previous->readers->len; i++)
    if (g_array_index (previous->reader_module, guint, i) == index)
      {
        g_ptr_array_add (scan->readers, g_strdup (g_ptr_array_index (previous->readers, i)));
        g_array_append_val (scan->reader_module, index);
      }

  for (guint i = 0; i < previous->tokens->len; i++)
    {
      ScannedToken *token = g_ptr_array_index (previous->tokens, i);

      if (token->module == index)
        g_ptr_array_add (scan->tokens, scanned_token_copy (token));
    }
}

ClaveTokenScan *
_clave_pkcs11_scan (GPtrArray      *modules,
                    ClaveTokenScan *previous,
                    const gboolean *rescan)
{
  ClaveTokenScan *scan = scan_new ();

  for (guint m = 0; m < modules->len; m++)
    {
      if (rescan == NULL || rescan[m] || previous == NULL)
        scan_module (scan, m, g_ptr_array_index (modules, m), previous);
      else
        copy_module (scan, m, previous);
    }

  /* What was left unread before may be in a module not asked again. */
  if (rescan != NULL && previous != NULL && previous->incomplete)
    scan->incomplete = TRUE;

  return scan;
}

char *
_clave_pkcs11_module_presence (ClavePkcs11Module *module)
{
  g_autofree CK_SLOT_ID *slots = NULL;
  GString *presence = g_string_new (NULL);
  CK_ULONG n_slots = 0;

  if (module->funcs == NULL)
    return g_string_free (presence, FALSE);

  slots = get_slots (module->funcs, CK_FALSE, &n_slots);
  for (CK_ULONG s = 0; s < n_slots; s++)
    {
      CK_SLOT_INFO slot_info;

      if (module->funcs->C_GetSlotInfo (slots[s], &slot_info) != CKR_OK)
        continue;
      g_string_append_printf (presence, "%lu:%c;", (gulong) slots[s],
                              (slot_info.flags & CKF_TOKEN_PRESENT) ? 'y' : 'n');
    }

  return g_string_free (presence, FALSE);
}

gboolean
_clave_pkcs11_module_has_pcsc_events (ClavePkcs11Module *module)
{
  return module->funcs != NULL && module->pcsc_events;
}

GPtrArray *
_clave_token_scan_get_certificates (ClaveTokenScan *scan)
{
  GPtrArray *certificates = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < scan->tokens->len; i++)
    {
      ScannedToken *token = g_ptr_array_index (scan->tokens, i);

      for (guint j = 0; j < token->certificates->len; j++)
        g_ptr_array_add (certificates, g_object_ref (g_ptr_array_index (token->certificates, j)));
    }

  return certificates;
}

GStrv
_clave_token_scan_dup_readers (ClaveTokenScan *scan)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < scan->readers->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (scan->readers, i));

  return g_strv_builder_end (builder);
}

GStrv
_clave_token_scan_dup_cards (ClaveTokenScan *scan)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < scan->tokens->len; i++)
    {
      ScannedToken *token = g_ptr_array_index (scan->tokens, i);
      g_autofree char *card = NULL;

      /* Translators: a card and the reader it is in, e.g. "“DNI
       * electrónico” in “Virtual PCD 00 00”" */
      card = g_strdup_printf (_("“%s” in “%s”"), token->label, token->reader);
      g_strv_builder_add (builder, card);
    }

  return g_strv_builder_end (builder);
}

gboolean
_clave_token_scan_is_incomplete (ClaveTokenScan *scan)
{
  return scan->incomplete;
}

gboolean
_clave_token_scan_equal (ClaveTokenScan *a,
                         ClaveTokenScan *b)
{
  if (a == NULL || b == NULL)
    return a == b;

  if (a->tokens->len != b->tokens->len || a->readers->len != b->readers->len)
    return FALSE;

  for (guint i = 0; i < a->readers->len; i++)
    if (!g_str_equal (g_ptr_array_index (a->readers, i), g_ptr_array_index (b->readers, i)))
      return FALSE;

  for (guint i = 0; i < a->tokens->len; i++)
    {
      ScannedToken *ta = g_ptr_array_index (a->tokens, i);
      ScannedToken *tb = g_ptr_array_index (b->tokens, i);

      /* Same key means the same certificates (they are reused). */
      if (!g_str_equal (ta->key, tb->key) || ta->certificates != tb->certificates)
        return FALSE;
    }

  return TRUE;
}

void
_clave_token_scan_free (ClaveTokenScan *scan)
{
  if (scan == NULL)
    return;

  g_ptr_array_unref (scan->tokens);
  g_ptr_array_unref (scan->readers);
  g_array_unref (scan->reader_module);
  g_free (scan);
}

/* Diagnostics */

static char *
describe_pin (const CK_TOKEN_INFO *info)
{
  ClavePinFlags flags = _clave_pin_flags_from_pkcs11 (info->flags);
  const char *state;

  if (flags & CLAVE_PIN_FLAGS_LOCKED)
    state = _("PIN locked");
  else if (flags & CLAVE_PIN_FLAGS_FINAL_TRY)
    state = _("PIN: one try left");
  else if (flags & CLAVE_PIN_FLAGS_COUNT_LOW)
    state = _("PIN: few tries left");
  else
    state = _("PIN: no wrong tries reported");

  if (flags & CLAVE_PIN_FLAGS_PROTECTED_PATH)
    /* Translators: %s is the PIN state, e.g. "PIN: one try left" */
    return g_strdup_printf (_("%s, PIN pad on the reader"), state);

  return g_strdup (state);
}

void
_clave_pkcs11_diagnose (GPtrArray        *modules,
                        ClaveDiagnostics *diagnostics,
                        gboolean         *any_slot,
                        gboolean         *any_token)
{
  g_autoptr(ClaveTokenScan) scan = NULL;
  g_autoptr(GPtrArray) certificates = NULL;

  *any_slot = FALSE;
  *any_token = FALSE;

  for (guint m = 0; m < modules->len; m++)
    {
      ClavePkcs11Module *module = g_ptr_array_index (modules, m);
      g_autofree CK_SLOT_ID *slots = NULL;
      g_autofree char *description = NULL;
      g_autofree char *manufacturer = NULL;
      CK_ULONG n_slots = 0;

      if (module->funcs == NULL)
        {
          /* Translators: a PKCS#11 module that failed; %s: file, error */
          g_ptr_array_add (diagnostics->modules,
                           g_strdup_printf (_("%s: could not be loaded (%s)"),
                                            module->path, module->error));
          g_ptr_array_add (diagnostics->problems,
                           g_strdup_printf (_("The smart card module %s could not be loaded. Reinstall it, or remove it from the extra modules in the preferences."),
                                            module->path));
          continue;
        }

      description = space_strdup (module->info.libraryDescription,
                                  sizeof module->info.libraryDescription);
      manufacturer = space_strdup (module->info.manufacturerID,
                                   sizeof module->info.manufacturerID);
      /* Translators: "OpenSC smartcard framework 0.23 by OpenSC Project (/usr/lib/…)" */
      g_ptr_array_add (diagnostics->modules,
                       g_strdup_printf (_("%s %u.%u by %s (%s)"), description,
                                        module->info.libraryVersion.major,
                                        module->info.libraryVersion.minor,
                                        manufacturer, module->path));

      slots = get_slots (module->funcs, CK_FALSE, &n_slots);
      for (CK_ULONG s = 0; s < n_slots; s++)
        {
          g_autofree char *slot_name = NULL;
          CK_SLOT_INFO slot_info;
          CK_TOKEN_INFO info;

          if (module->funcs->C_GetSlotInfo (slots[s], &slot_info) != CKR_OK)
            continue;

          *any_slot = TRUE;
          slot_name = space_strdup (slot_info.slotDescription, sizeof slot_info.slotDescription);
          if (!(slot_info.flags & CKF_TOKEN_PRESENT) ||
              module->funcs->C_GetTokenInfo (slots[s], &info) != CKR_OK)
            {
              /* Translators: a card reader without a card; %s: its name */
              g_ptr_array_add (diagnostics->readers, g_strdup_printf (_("%s: no card"), slot_name));
              _clave_diagnostics_add_entry (diagnostics->reader_entries, slot_name,
                                            _("No card in it"));
              continue;
            }

          g_ptr_array_add (diagnostics->readers, g_strdup_printf (_("%s: card present"), slot_name));
          _clave_diagnostics_add_entry (diagnostics->reader_entries, slot_name,
                                        _("A card is in it"));
          if (info.flags & CKF_TOKEN_INITIALIZED)
            {
              g_autofree char *label = space_strdup (info.label, sizeof info.label);
              g_autofree char *model = space_strdup (info.model, sizeof info.model);
              g_autofree char *serial = space_strdup (info.serialNumber, sizeof info.serialNumber);
              g_autofree char *pin = describe_pin (&info);

              *any_token = TRUE;
              /* Translators: label, model, serial number, PIN state of a card */
              g_ptr_array_add (diagnostics->cards,
                               g_strdup_printf (_("“%s”: model %s, serial number %s, %s"),
                                                label, model, serial, pin));
              _clave_diagnostics_add_entry (diagnostics->card_entries, label, pin);
              if (info.flags & CKF_USER_PIN_LOCKED)
                g_ptr_array_add (diagnostics->problems,
                                 g_strdup_printf (_("The PIN of the card “%s” is locked. A DNIe is unlocked at a DNIe update point (Punto de Actualización del DNIe) in a police station; other cards as their issuer explains."),
                                                  label));
            }
        }
    }

  /* A fresh read of every card, as the report must say what is there now. */
  scan = _clave_pkcs11_scan (modules, NULL, NULL);
  certificates = _clave_token_scan_get_certificates (scan);
  for (guint i = 0; i < certificates->len; i++)
    {
      ClaveCertificate *certificate = g_ptr_array_index (certificates, i);

      g_ptr_array_add (diagnostics->certificates, clave_certificate_describe (certificate));
      g_ptr_array_add (diagnostics->certificate_objects, g_object_ref (certificate));
      if (clave_certificate_is_valid_now (certificate))
        diagnostics->n_usable++;
    }

  for (guint i = 0; i < scan->tokens->len; i++)
    {
      ScannedToken *token = g_ptr_array_index (scan->tokens, i);

      if (token->certificates->len == 0)
        g_ptr_array_add (diagnostics->problems,
                         g_strdup_printf (_("The card “%s” shows no certificate that names a DNI or NIE. Some cards show their certificates only after the PIN is entered; if this is a DNIe, check that it is not expired at a DNIe update point."),
                                          token->label));
    }
}
