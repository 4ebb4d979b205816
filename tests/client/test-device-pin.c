/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-device-pin"

#include "config.h"

#include <locale.h>
#include <string.h>

#include "clave-device-key.h"
#include "clave-device-key-private.h"
#include "clave-device-pin.h"
#include "client-test-util.h"

static void
assert_strength (const char             *pin,
                 ClaveDevicePinStrength  expected)
{
  ClaveDevicePinStrength strength = clave_device_pin_check_strength (pin);

  if (strength != expected)
    g_error ("PIN “%s”: strength %d, expected %d", pin, strength, expected);
}

static void
test_not_digits (void)
{
  assert_strength (NULL, CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS);
  assert_strength ("", CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS);
  assert_strength ("80246a", CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS);
  assert_strength ("802 461", CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS);
  assert_strength ("１２３４５６", CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS);
  assert_strength ("12345", CLAVE_DEVICE_PIN_STRENGTH_TOO_SHORT);
  assert_strength ("8", CLAVE_DEVICE_PIN_STRENGTH_TOO_SHORT);
}

static void
test_repeated (void)
{
  for (char d = '0'; d <= '9'; d++)
    {
      for (gsize len = 6; len <= 12; len++)
        {
          g_autofree char *pin = g_strnfill (len, d);

          assert_strength (pin, CLAVE_DEVICE_PIN_STRENGTH_REPEATED);
        }
    }
}

static void
test_sequence (void)
{
  const char *up = "01234567890123456789";
  const char *down = "98765432109876543210";

  /* Every straight run of 6 to 10 digits, up and down, from any digit
   * (so 890123 and 210987 too). */
  for (gsize len = 6; len <= 10; len++)
    for (gsize start = 0; start < 10; start++)
      {
        g_autofree char *a = g_strndup (up + start, len);
        g_autofree char *b = g_strndup (down + start, len);

        assert_strength (a, CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
        assert_strength (b, CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
      }

  assert_strength ("123456", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("012345", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("234567", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("987654", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("876543", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("654321", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("543210", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("12345678", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("0123456789", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
  assert_strength ("01234567890", CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);
}

static void
test_pattern (void)
{
  assert_strength ("121212", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
  assert_strength ("101010", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
  assert_strength ("131313", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
  assert_strength ("696969", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
  assert_strength ("123123", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
  assert_strength ("520520", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
  assert_strength ("1212121", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
  assert_strength ("12341234", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
  assert_strength ("8024680246", CLAVE_DEVICE_PIN_STRENGTH_PATTERN);
}

static void
test_common (void)
{
  const char *common[] = {
    "112233", "123321", "111222", "222333", "112211", "159753", "147258", "789456",
    "258369", "741852", "102030", "100200",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (common); i++)
    assert_strength (common[i], CLAVE_DEVICE_PIN_STRENGTH_COMMON);
}

static void
test_good (void)
{
  const char *good[] = {
    "802461", "482915", "246810", "135791", "975310", "135790", "1234567899",
    "12345670", "1234565", "11111112", "121213", "9876543219", "390127",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    assert_strength (good[i], CLAVE_DEVICE_PIN_STRENGTH_OK);
}

static void
test_describe (void)
{
  g_assert_null (clave_device_pin_strength_describe (CLAVE_DEVICE_PIN_STRENGTH_OK));

  for (int s = CLAVE_DEVICE_PIN_STRENGTH_NOT_DIGITS; s <= CLAVE_DEVICE_PIN_STRENGTH_COMMON; s++)
    {
      g_autofree char *reason = clave_device_pin_strength_describe (s);

      g_assert_nonnull (reason);
      g_assert_cmpuint (strlen (reason), >, 10);
    }

  {
    g_autofree char *reason = clave_device_pin_strength_describe (CLAVE_DEVICE_PIN_STRENGTH_SEQUENCE);

    g_assert_cmpstr (reason, ==,
                     "A PIN of consecutive digits, such as 123456 or 654321, is easy to guess. "
                     "Choose another one.");
  }
}

/* A new key refuses an easy PIN, with the reason as the message; the
 * unlock check of old keys (clave_device_key_pin_is_acceptable) does not
 * change. */
static void
test_generate_refuses_weak (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ClaveDeviceKey *key;

  _clave_device_key_generate_with_iterations_async ("123456", 1000, NULL,
                                                    client_test_store_result, &result);
  client_test_wait_result (&result);
  key = clave_device_key_generate_finish (result, &error);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WEAK_PIN);
  g_assert_null (key);
  g_assert_nonnull (strstr (error->message, "consecutive"));

  g_assert_true (clave_device_key_pin_is_acceptable ("123456"));
  g_assert_true (clave_device_key_pin_is_acceptable ("000000"));
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/device-pin/not-digits", test_not_digits);
  g_test_add_func ("/device-pin/repeated", test_repeated);
  g_test_add_func ("/device-pin/sequence", test_sequence);
  g_test_add_func ("/device-pin/pattern", test_pattern);
  g_test_add_func ("/device-pin/common", test_common);
  g_test_add_func ("/device-pin/good", test_good);
  g_test_add_func ("/device-pin/describe", test_describe);
  g_test_add_func ("/device-pin/generate-refuses-weak", test_generate_refuses_weak);

  return g_test_run ();
}
