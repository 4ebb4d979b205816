/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ClaveDevicePinStrength:
 * @CLAVE_DEVICE_PIN_STRENGTH_OK: good enough to protect the device key
 * @CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS: empty, or something other than digits
 * @CLAVE_DEVICE_PIN_STRENGTH_TOO_SHORT: fewer than CLAVE_DEVICE_PIN_MIN_DIGITS
 * @CLAVE_DEVICE_PIN_STRENGTH_REPEATED: one digit repeated: 000000, 1111111
 * @CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE: consecutive digits up or down, also
 *   across 9 and 0: 123456, 987654, 890123
 * @CLAVE_DEVICE_PIN_STRENGTH_PATTERN: a short group repeated: 121212, 123123
 * @CLAVE_DEVICE_PIN_STRENGTH_COMMON: among the most common 6-digit PINs of
 *   published studies of leaked PINs
 *
 * Why a PIN is refused where one is chosen (the set-pin page, and
 * clave_device_key_generate_async()). Unlocking an existing key only needs
 * clave_device_key_pin_is_acceptable(): a PIN chosen before these rules
 * must keep working.
 */
typedef enum {
  CLAVE_DEVICE_PIN_STRENGTH_OK,
  CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS,
  CLAVE_DEVICE_PIN_STRENGTH_TOO_SHORT,
  CLAVE_DEVICE_PIN_STRENGTH_REPEATED,
  CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE,
  CLAVE_DEVICE_PIN_STRENGTH_PATTERN,
  CLAVE_DEVICE_PIN_STRENGTH_COMMON,
} ClaveDevicePinStrength;

ClaveDevicePinStrength clave_device_pin_check_strength    (const char             *pin);
/* What the person reads for @strength, translated; NULL for OK. */
char                  *clave_device_pin_strength_describe (ClaveDevicePinStrength  strength);

G_END_DECLS
