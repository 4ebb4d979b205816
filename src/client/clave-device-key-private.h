/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-device-key.h"

G_BEGIN_DECLS

/* Internals for tests: the app always goes through the public API, which
 * seals with CLAVE_PIN_KDF_ITERATIONS. */

/* Like clave_device_key_generate_async() with another PBKDF2 iteration
 * count, so that unit tests do not spend seconds per key. Finish with
 * clave_device_key_generate_finish(). */
void     _clave_device_key_generate_with_iterations_async (const char          *pin,
                                                           guint                iterations,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);

/* Moves the time of the last wrong PIN (unix seconds), written to the key
 * file when the key has one, so tests can let the delay run out without
 * sleeping. */
gboolean _clave_device_key_set_last_failure               (ClaveDeviceKey      *self,
                                                           gint64               unix_time,
                                                           GError             **error);

gint64   _clave_device_key_get_last_failure               (ClaveDeviceKey      *self);
guint    _clave_device_key_get_iterations                 (ClaveDeviceKey      *self);

/* Seconds to wait after @failures consecutive wrong PINs (0 below 3). */
guint    _clave_device_key_delay_for_failures             (guint                failures);

G_END_DECLS
