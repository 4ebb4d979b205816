/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-device-keys"

#include "config.h"

#include "clave-crypto.h"
#include "clave-device-keys.h"
#include "clave-protocol.h"

struct _ClaveDeviceKey
{
  GBytes          *spki;
  gnutls_pubkey_t  pubkey;
};

struct _ClaveDeviceKeys
{
  GObject     parent_instance;

  GHashTable *entries;       /* keyid -> ClaveDeviceKey */
  guint       max_entries;
};

G_DEFINE_FINAL_TYPE (ClaveDeviceKeys, clave_device_keys, G_TYPE_OBJECT)

static void
device_key_clear (gpointer data)
{
  ClaveDeviceKey *key = data;

  g_bytes_unref (key->spki);
  gnutls_pubkey_deinit (key->pubkey);
}

ClaveDeviceKey *
clave_device_key_new (GBytes  *spki,
                      GError **error)
{
  gnutls_pubkey_t pubkey = clave_pubkey_import_spki (spki, error);
  ClaveDeviceKey *key;

  if (pubkey == NULL)
    return NULL;
  key = g_atomic_rc_box_new0 (ClaveDeviceKey);
  key->spki = g_bytes_ref (spki);
  key->pubkey = pubkey;
  return key;
}

ClaveDeviceKey *
clave_device_key_ref (ClaveDeviceKey *key)
{
  return g_atomic_rc_box_acquire (key);
}

void
clave_device_key_unref (ClaveDeviceKey *key)
{
  g_atomic_rc_box_release_full (key, device_key_clear);
}

gnutls_pubkey_t
clave_device_key_get_pubkey (ClaveDeviceKey *key)
{
  return key->pubkey;
}

ClaveDeviceKeys *
clave_device_keys_new (guint max_entries)
{
  ClaveDeviceKeys *self = g_object_new (CLAVE_TYPE_DEVICE_KEYS, NULL);

  self->max_entries = MAX (max_entries, 1);
  return self;
}

ClaveDeviceKey *
clave_device_keys_lookup (ClaveDeviceKeys  *self,
                          const char       *keyid,
                          GBytes           *spki,
                          GError          **error)
{
  ClaveDeviceKey *key;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEYS (self), NULL);
  g_return_val_if_fail (keyid != NULL && spki != NULL, NULL);

  key = g_hash_table_lookup (self->entries, keyid);
  if (key != NULL && g_bytes_equal (key->spki, spki))
    return clave_device_key_ref (key);

  key = clave_device_key_new (spki, error);
  if (key == NULL)
    {
      g_hash_table_remove (self->entries, keyid);
      return NULL;
    }

  /* Signers come and go: when full, start again rather than keep the
   * bookkeeping of an LRU for a parse that costs microseconds. */
  if (!g_hash_table_contains (self->entries, keyid) &&
      g_hash_table_size (self->entries) >= self->max_entries)
    g_hash_table_remove_all (self->entries);

  g_hash_table_replace (self->entries, g_strdup (keyid), clave_device_key_ref (key));
  return key;
}

void
clave_device_keys_forget (ClaveDeviceKeys *self,
                          const char      *device_id)
{
  g_autofree char *push = NULL;

  g_return_if_fail (CLAVE_IS_DEVICE_KEYS (self));

  push = g_strconcat (device_id, CLAVE_PUSH_KEYID_SUFFIX, NULL);
  g_hash_table_remove (self->entries, device_id);
  g_hash_table_remove (self->entries, push);
}

guint
clave_device_keys_size (ClaveDeviceKeys *self)
{
  g_return_val_if_fail (CLAVE_IS_DEVICE_KEYS (self), 0);
  return g_hash_table_size (self->entries);
}

static void
clave_device_keys_finalize (GObject *object)
{
  ClaveDeviceKeys *self = CLAVE_DEVICE_KEYS (object);

  g_clear_pointer (&self->entries, g_hash_table_unref);

  G_OBJECT_CLASS (clave_device_keys_parent_class)->finalize (object);
}

static void
clave_device_keys_class_init (ClaveDeviceKeysClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = clave_device_keys_finalize;
}

static void
clave_device_keys_init (ClaveDeviceKeys *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) clave_device_key_unref);
}
