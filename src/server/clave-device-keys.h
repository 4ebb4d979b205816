/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/abstract.h>

G_BEGIN_DECLS

/* A device's parsed public key, reference-counted so that a signature
 * check in another thread keeps it while the cache lets go of it. */
typedef struct _ClaveDeviceKey ClaveDeviceKey;

/* Parses @spki (SubjectPublicKeyInfo DER, ECDSA P-256). */
ClaveDeviceKey  *clave_device_key_new        (GBytes           *spki,
                                              GError          **error);
ClaveDeviceKey  *clave_device_key_ref        (ClaveDeviceKey   *key);
void             clave_device_key_unref      (ClaveDeviceKey   *key);
gnutls_pubkey_t  clave_device_key_get_pubkey (ClaveDeviceKey   *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveDeviceKey, clave_device_key_unref)

#define CLAVE_TYPE_DEVICE_KEYS (clave_device_keys_get_type ())
G_DECLARE_FINAL_TYPE (ClaveDeviceKeys, clave_device_keys, CLAVE, DEVICE_KEYS, GObject)

/* The parsed public keys of the devices that signed lately, so that a
 * signature check does not parse the stored SubjectPublicKeyInfo again.
 * An entry holds only while the stored key is the same bytes: the caller
 * passes what the database holds now, so a key that changed or was
 * forgotten (the device deactivated) is never used from the cache. At
 * most @max_entries keys are kept. Main loop only. */
ClaveDeviceKeys *clave_device_keys_new       (guint             max_entries);
/* The key of @keyid ("dev_…" or "dev_…#push") whose stored SPKI is
 * @spki (a new reference); NULL with @error when @spki is not a usable
 * key. */
ClaveDeviceKey  *clave_device_keys_lookup    (ClaveDeviceKeys  *self,
                                              const char       *keyid,
                                              GBytes           *spki,
                                              GError          **error);
/* Drops the device's keys (device and push key), e.g. at sign-out. */
void             clave_device_keys_forget    (ClaveDeviceKeys  *self,
                                              const char       *device_id);
guint            clave_device_keys_size      (ClaveDeviceKeys  *self);

G_END_DECLS
