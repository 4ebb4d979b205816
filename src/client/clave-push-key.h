/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The push key of a device (docs/protocol.md "Cl@ve Móvil", "Push key"):
 * a second ECDSA P-256 key, NOT sealed under the PIN, so that the app can
 * receive and read requests in the background. The service accepts it
 * (keyid "<device_id>#push") only for the push channel, the pending list,
 * claim and history; confirming or rejecting needs the PIN-sealed device
 * key.
 *
 * API for the app:
 *   clave_push_key_default_path ()  $XDG_DATA_HOME/clave-desktop/push-key.pem
 *   clave_push_key_generate ()      new key (at activation, before
 *                                   clave_service_client_register_device_with_push_key_async)
 *   clave_push_key_save ()          PKCS#8 PEM, 0600, folder 0700, atomic
 *   clave_push_key_load ()          CLAVE_DEVICE_KEY_ERROR_NOT_FOUND when none
 *   clave_push_key_wipe ()          on sign-out, with clave_device_key_wipe()
 *   clave_push_key_get_public_key () SPKI DER
 *   clave_push_key_sign ()          raw r||s
 */

#include <gio/gio.h>

#include "clave-protocol.h"
#include "clave-service-error.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_PUSH_KEY (clave_push_key_get_type ())
G_DECLARE_FINAL_TYPE (ClavePushKey, clave_push_key, CLAVE, PUSH_KEY, GObject)

char         *clave_push_key_default_path   (void);

/* A new ECDSA P-256 key, not yet saved. */
ClavePushKey *clave_push_key_generate       (GError       **error);

/* Errors: CLAVE_DEVICE_KEY_ERROR_NOT_FOUND (no file),
 * CLAVE_DEVICE_KEY_ERROR_CORRUPT (unreadable key), G_IO_ERROR. */
ClavePushKey *clave_push_key_load           (const char    *path,
                                             GError       **error);
gboolean      clave_push_key_save           (ClavePushKey  *self,
                                             const char    *path,
                                             GError       **error);
/* Overwrites and removes the file; TRUE if there is none afterwards. */
gboolean      clave_push_key_wipe           (const char    *path,
                                             GError       **error);

/* The file the key was loaded from or saved to, or NULL. */
const char   *clave_push_key_get_path       (ClavePushKey  *self);
/* SubjectPublicKeyInfo DER, owned by the key. */
GBytes       *clave_push_key_get_public_key (ClavePushKey  *self);
/* ECDSA-P256-SHA256 over @data, raw r||s (64 bytes). */
GBytes       *clave_push_key_sign           (ClavePushKey  *self,
                                             GBytes        *data,
                                             GError       **error);

G_END_DECLS
