/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-device-pin"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "clave-protocol.h"
#include "clave-device-pin.h"

/* The most common 6-digit PINs that the rules below do not already catch
 * (one digit repeated, consecutive digits, a repeated group), from the
 * studies of leaked and chosen PINs: Wang et al., "Understanding Human-
 * Chosen PINs" (2017), and Markert et al., "This PIN Can Be Easily
 * Guessed" (IEEE S&P 2020), whose blocklists are mostly keypad shapes
 * (147258, 159753, 789456) and mirrored or doubled digits (112233, 123321). */
static const char * const common_pins[] = {
  "112233", "123321", "111222", "222333", "112211", "001122", "332211", "998877",
  "159753", "159357", "357159", "753951", "951753", "147258", "258369", "147369",
  "369258", "147852", "741852", "963852", "852456", "789456", "456123", "654123",
  "987456", "123654", "321654", "123789", "789123", "102030", "100200", "110110",
  "520131", "121314", "010203", "000111", "111000",
};

static gboolean
is_sequence (const char *pin,
             gsize       len,
             int         step)
{
  for (gsize i = 1; i < len; i++)
    if ((pin[i - 1] - '0' + step + 10) % 10 != pin[i] - '0')
      return FALSE;

  return TRUE;
}

/* TRUE when the first @period digits repeat to the end: 121212, 1231231. */
static gboolean
has_period (const char *pin,
            gsize       len,
            gsize       period)
{
  for (gsize i = period; i < len; i++)
    if (pin[i] != pin[i - period])
      return FALSE;

  return TRUE;
}

ClaveDevicePinStrength
clave_device_pin_check_strength (const char *pin)
{
  gsize len = 0;

  if (pin == NULL || *pin == '\0')
    return CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS;

  for (const char *p = pin; *p != '\0'; p++, len++)
    if (!g_ascii_isdigit (*p))
      return CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS;

  if (len < CLAVE_DEVICE_PIN_MIN_DIGITS)
    return CLAVE_DEVICE_PIN_STRENGTH_TOO_SHORT;

  if (has_period (pin, len, 1))
    return CLAVE_DEVICE_PIN_STRENGTH_REPEATED;

  if (is_sequence (pin, len, 1) || is_sequence (pin, len, -1))
    return CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE;

  for (gsize period = 2; period <= len / 2; period++)
    if (has_period (pin, len, period))
      return CLAVE_DEVICE_PIN_STRENGTH_PATTERN;

  for (gsize i = 0; i < G_N_ELEMENTS (common_pins); i++)
    if (strcmp (pin, common_pins[i]) == 0)
      return CLAVE_DEVICE_PIN_STRENGTH_COMMON;

  return CLAVE_DEVICE_PIN_STRENGTH_OK;
}

char *
clave_device_pin_strength_describe (ClaveDevicePinStrength strength)
{
  switch (strength)
    {
    case CLAVE_DEVICE_PIN_STRENGTH_OK:
      return NULL;
    case CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS:
      return g_strdup (_("Use only digits."));
    case CLAVE_DEVICE_PIN_STRENGTH_TOO_SHORT:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "The PIN must have at least %d digit, and only digits.",
                                           "The PIN must have at least %d digits, and only digits.",
                                           CLAVE_DEVICE_PIN_MIN_DIGITS),
                              CLAVE_DEVICE_PIN_MIN_DIGITS);
    case CLAVE_DEVICE_PIN_STRENGTH_REPEATED:
      return g_strdup (_("A PIN of one digit repeated, such as 111111, is easy to guess. Choose "
                         "another one."));
    case CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE:
      return g_strdup (_("A PIN of consecutive digits, such as 123456 or 654321, is easy to "
                         "guess. Choose another one."));
    case CLAVE_DEVICE_PIN_STRENGTH_PATTERN:
      return g_strdup (_("A PIN that repeats a group of digits, such as 121212 or 123123, is "
                         "easy to guess. Choose another one."));
    case CLAVE_DEVICE_PIN_STRENGTH_COMMON:
      return g_strdup (_("This PIN is one of the most used ones, so it is easy to guess. Choose "
                         "another one."));
    default:
      g_return_val_if_reached (NULL);
    }
}
