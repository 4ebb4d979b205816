/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-service-error.h"

G_BEGIN_DECLS

/* Wrong PINs allowed before the key is erased and the device must be
 * activated again; from the 3rd wrong PIN on, each try waits longer. */
#define CLAVE_DEVICE_KEY_MAX_FAILURES 10

#define CLAVE_TYPE_DEVICE_KEY (clave_device_key_get_type ())
G_DECLARE_FINAL_TYPE (ClaveDeviceKey, clave_device_key, CLAVE, DEVICE_KEY, GObject)

/* The default key file: $XDG_DATA_HOME/clave-desktop/device-key.json */
char            *clave_device_key_default_path      (void);

/* TRUE for 6 or more digits and nothing else. */
gboolean         clave_device_key_pin_is_acceptable (const char          *pin);

/* Generates an ECDSA P-256 key and seals it under @pin (PBKDF2 runs in a
 * thread). The key comes back unlocked and not yet saved. WEAK_PIN when
 * clave_device_pin_check_strength() refuses @pin. */
void             clave_device_key_generate_async    (const char          *pin,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
ClaveDeviceKey  *clave_device_key_generate_finish   (GAsyncResult        *result,
                                                     GError             **error);

/* Writes the sealed key atomically with mode 0600 (parent dir 0700). */
gboolean         clave_device_key_save              (ClaveDeviceKey      *self,
                                                     const char          *path,
                                                     GError             **error);
/* Reads a key file; the key is locked. NOT_FOUND when there is none. */
ClaveDeviceKey  *clave_device_key_load              (const char          *path,
                                                     GError             **error);
/* Overwrites and removes the key file; TRUE if there is none afterwards. */
gboolean         clave_device_key_wipe              (const char          *path,
                                                     GError             **error);

/* Unlocks with @pin in a thread. Wrong PIN: WRONG_PIN (failures counted in
 * the file), TRY_LATER while the growing delay runs, WIPED at the last.
 * The PIN is checked even when the key is already unlocked. The getters
 * below may be called from the main thread while an unlock runs. */
void             clave_device_key_unlock_async      (ClaveDeviceKey      *self,
                                                     const char          *pin,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean         clave_device_key_unlock_finish     (ClaveDeviceKey      *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
void             clave_device_key_lock              (ClaveDeviceKey      *self);
gboolean         clave_device_key_is_unlocked       (ClaveDeviceKey      *self);
guint            clave_device_key_get_failures      (ClaveDeviceKey      *self);
/* Seconds until the next PIN try is allowed (0: now). */
guint            clave_device_key_get_retry_delay   (ClaveDeviceKey      *self);
const char      *clave_device_key_get_path          (ClaveDeviceKey      *self);

/* SubjectPublicKeyInfo DER of the key, owned by the key (do not unref). */
GBytes          *clave_device_key_get_public_key    (ClaveDeviceKey      *self);
/* ECDSA-P256-SHA256, raw r||s; LOCKED unless unlocked. */
GBytes          *clave_device_key_sign              (ClaveDeviceKey      *self,
                                                     GBytes              *data,
                                                     GError             **error);

G_END_DECLS
