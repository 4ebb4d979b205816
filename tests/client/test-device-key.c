/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-device-key"

#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "clave-crypto.h"
#include "clave-device-key.h"
#include "clave-device-key-private.h"
#include "client-test-util.h"

/* Few iterations keep the unit tests fast; the real count has its own test. */
#define TEST_ITERATIONS 1000
#define TEST_PIN        "246810"
#define OTHER_PIN       "135790"

static char *
key_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "clave-desktop", "device-key.json", NULL);
}

static ClaveDeviceKey *
generate_key (const char *pin)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ClaveDeviceKey *key;

  _clave_device_key_generate_with_iterations_async (pin, TEST_ITERATIONS, NULL,
                                                    client_test_store_result, &result);
  client_test_wait_result (&result);
  key = clave_device_key_generate_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (key);
  return key;
}

static ClaveDeviceKey *
generate_saved_key (void)
{
  g_autoptr(ClaveDeviceKey) key = generate_key (TEST_PIN);
  g_autofree char *path = key_path ();
  g_autoptr(GError) error = NULL;
  ClaveDeviceKey *loaded;

  g_assert_true (clave_device_key_save (key, path, &error));
  g_assert_no_error (error);
  client_test_assert_finalize (g_steal_pointer (&key));

  loaded = clave_device_key_load (path, &error);
  g_assert_no_error (error);
  return loaded;
}

static gboolean
unlock (ClaveDeviceKey  *key,
        const char      *pin,
        GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_device_key_unlock_async (key, pin, NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_device_key_unlock_finish (key, result, error);
}

static JsonObject *
read_key_file (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gint64
file_failures (const char *path)
{
  g_autoptr(JsonObject) object = read_key_file (path);

  return json_object_get_int_member (object, "failures");
}

static void
assert_verifies (ClaveDeviceKey *key,
                 const char     *message)
{
  g_autoptr(GBytes) data = g_bytes_new (message, strlen (message));
  g_autoptr(GBytes) other = g_bytes_new ("other", 5);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_pubkey_t) pubkey = NULL;

  signature = clave_device_key_sign (key, data, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (signature), ==, 64);

  pubkey = clave_pubkey_import_spki (clave_device_key_get_public_key (key), &error);
  g_assert_no_error (error);
  g_assert_true (clave_ecdsa_verify (pubkey, data, signature, &error));
  g_assert_no_error (error);
  /* A signature over other data must not verify, or the check above
   * proves nothing. */
  g_assert_false (clave_ecdsa_verify (pubkey, other, signature, NULL));
}

static void
test_pin_is_acceptable (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ClaveDeviceKey *key;

  g_assert_true (clave_device_key_pin_is_acceptable ("123456"));
  g_assert_true (clave_device_key_pin_is_acceptable ("0000000000"));
  g_assert_true (clave_device_key_pin_is_acceptable ("12345678901234567890"));
  g_assert_false (clave_device_key_pin_is_acceptable (NULL));
  g_assert_false (clave_device_key_pin_is_acceptable (""));
  g_assert_false (clave_device_key_pin_is_acceptable ("12345"));
  g_assert_false (clave_device_key_pin_is_acceptable ("12345a"));
  g_assert_false (clave_device_key_pin_is_acceptable (" 123456"));
  g_assert_false (clave_device_key_pin_is_acceptable ("123 456"));
  g_assert_false (clave_device_key_pin_is_acceptable ("123456\n"));
  /* Full-width digits are not ASCII digits. */
  g_assert_false (clave_device_key_pin_is_acceptable ("１２３４５６"));

  _clave_device_key_generate_with_iterations_async ("12345", TEST_ITERATIONS, NULL,
                                                    client_test_store_result, &result);
  client_test_wait_result (&result);
  key = clave_device_key_generate_finish (result, &error);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WEAK_PIN);
  g_assert_null (key);
  g_assert_nonnull (strstr (error->message, "6"));
}

static void
test_default_path (void)
{
  g_autofree char *path = clave_device_key_default_path ();
  g_autofree char *expected = key_path ();

  g_assert_cmpstr (path, ==, expected);
}

static void
test_lifecycle (void)
{
  g_autoptr(ClaveDeviceKey) key = generate_key (TEST_PIN);
  g_autoptr(ClaveDeviceKey) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) file = NULL;
  g_autoptr(GBytes) data = g_bytes_new ("hello", 5);
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *path = key_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat st;

  /* A new key comes back unlocked and unsaved. */
  g_assert_true (clave_device_key_is_unlocked (key));
  g_assert_null (clave_device_key_get_path (key));
  g_assert_cmpuint (clave_device_key_get_failures (key), ==, 0);
  g_assert_cmpuint (_clave_device_key_get_iterations (key), ==, TEST_ITERATIONS);
  /* P-256 SubjectPublicKeyInfo DER is 91 bytes. */
  g_assert_cmpuint (g_bytes_get_size (clave_device_key_get_public_key (key)), ==, 91);
  assert_verifies (key, "signed before saving");

  g_assert_true (clave_device_key_save (key, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (clave_device_key_get_path (key), ==, path);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  file = read_key_file (path);
  g_assert_cmpint (json_object_get_int_member (file, "version"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (file, "kdf"), ==, "pbkdf2-sha256");
  g_assert_cmpint (json_object_get_int_member (file, "iterations"), ==, TEST_ITERATIONS);
  g_assert_cmpint (json_object_get_int_member (file, "failures"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (file, "last_failure"), ==, 0);
  for (guint i = 0; i < 5; i++)
    {
      const char *names[] = { "salt", "iv", "ciphertext", "public_key", "kdf" };

      g_assert_true (json_object_has_member (file, names[i]));
    }
  /* base64url without padding, and no PEM or DER of a private key. */
  g_assert_null (strchr (json_object_get_string_member (file, "ciphertext"), '='));
  g_assert_null (strchr (json_object_get_string_member (file, "ciphertext"), '+'));

  loaded = clave_device_key_load (path, &error);
  g_assert_no_error (error);
  g_assert_false (clave_device_key_is_unlocked (loaded));
  g_assert_cmpstr (clave_device_key_get_path (loaded), ==, path);
  g_assert_true (g_bytes_equal (clave_device_key_get_public_key (loaded),
                                clave_device_key_get_public_key (key)));

  signature = clave_device_key_sign (loaded, data, &error);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_LOCKED);
  g_assert_null (signature);
  g_clear_error (&error);

  g_assert_false (unlock (loaded, OTHER_PIN, &error));
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WRONG_PIN);
  g_assert_nonnull (strstr (error->message, "9 tries left"));
  g_clear_error (&error);
  g_assert_false (clave_device_key_is_unlocked (loaded));
  g_assert_cmpuint (clave_device_key_get_failures (loaded), ==, 1);
  g_assert_cmpint (file_failures (path), ==, 1);
  g_assert_cmpuint (clave_device_key_get_retry_delay (loaded), ==, 0);

  g_assert_true (unlock (loaded, TEST_PIN, &error));
  g_assert_no_error (error);
  g_assert_true (clave_device_key_is_unlocked (loaded));
  g_assert_cmpuint (clave_device_key_get_failures (loaded), ==, 0);
  g_assert_cmpint (file_failures (path), ==, 0);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  assert_verifies (loaded, "signed after unlocking");

  clave_device_key_lock (loaded);
  g_assert_false (clave_device_key_is_unlocked (loaded));
  signature = clave_device_key_sign (loaded, data, &error);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_LOCKED);
  g_assert_null (signature);

  client_test_assert_finalize (g_steal_pointer (&loaded));
  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_existing_folder_tightened (void)
{
  g_autoptr(ClaveDeviceKey) key = generate_key (TEST_PIN);
  g_autofree char *path = key_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  struct stat st;

  /* A folder that already exists with a wide mode (an older install, a
   * careless umask) must not stay readable by others. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);

  g_assert_true (clave_device_key_save (key, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_unlock_twice_checks_pin (void)
{
  g_autoptr(ClaveDeviceKey) key = generate_saved_key ();
  g_autoptr(GError) error = NULL;

  g_assert_true (unlock (key, TEST_PIN, &error));
  g_assert_no_error (error);
  /* An unlocked key still checks the PIN each time: the app uses unlock
   * as "confirm with the device PIN". */
  g_assert_false (unlock (key, OTHER_PIN, &error));
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WRONG_PIN);
  g_assert_cmpuint (clave_device_key_get_failures (key), ==, 1);

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_delay (void)
{
  g_autoptr(ClaveDeviceKey) key = generate_saved_key ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = key_path ();
  guint delay;

  g_assert_cmpuint (_clave_device_key_delay_for_failures (0), ==, 0);
  g_assert_cmpuint (_clave_device_key_delay_for_failures (2), ==, 0);
  g_assert_cmpuint (_clave_device_key_delay_for_failures (3), ==, 5);
  g_assert_cmpuint (_clave_device_key_delay_for_failures (4), ==, 10);
  g_assert_cmpuint (_clave_device_key_delay_for_failures (9), ==, 320);
  g_assert_cmpuint (_clave_device_key_delay_for_failures (12), ==, 900);
  g_assert_cmpuint (_clave_device_key_delay_for_failures (100), ==, 900);

  for (guint i = 1; i <= 3; i++)
    {
      g_assert_false (unlock (key, OTHER_PIN, &error));
      g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WRONG_PIN);
      g_clear_error (&error);
      g_assert_cmpuint (clave_device_key_get_failures (key), ==, i);
    }

  delay = clave_device_key_get_retry_delay (key);
  g_assert_cmpuint (delay, >, 0);
  g_assert_cmpuint (delay, <=, 5);

  /* While the delay runs even the right PIN is not tried. */
  g_assert_false (unlock (key, TEST_PIN, &error));
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_TRY_LATER);
  g_assert_nonnull (strstr (error->message, "second"));
  g_clear_error (&error);
  g_assert_false (clave_device_key_is_unlocked (key));
  g_assert_cmpuint (clave_device_key_get_failures (key), ==, 3);
  g_assert_cmpint (file_failures (path), ==, 3);

  /* The delay also holds for a key read again from disk (app restart). */
  {
    g_autoptr(ClaveDeviceKey) again = clave_device_key_load (path, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (clave_device_key_get_failures (again), ==, 3);
    g_assert_cmpuint (clave_device_key_get_retry_delay (again), >, 0);
    g_assert_false (unlock (again, TEST_PIN, &error));
    g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_TRY_LATER);
    g_clear_error (&error);
  }

  g_assert_true (_clave_device_key_set_last_failure (key, g_get_real_time () / G_USEC_PER_SEC - 6,
                                                     &error));
  g_assert_no_error (error);
  g_assert_cmpuint (clave_device_key_get_retry_delay (key), ==, 0);

  g_assert_false (unlock (key, OTHER_PIN, &error));
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WRONG_PIN);
  g_clear_error (&error);
  g_assert_cmpuint (clave_device_key_get_failures (key), ==, 4);
  delay = clave_device_key_get_retry_delay (key);
  g_assert_cmpuint (delay, >, 5);
  g_assert_cmpuint (delay, <=, 10);

  g_assert_true (_clave_device_key_set_last_failure (key, 1, &error));
  g_assert_true (unlock (key, TEST_PIN, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (clave_device_key_get_failures (key), ==, 0);
  g_assert_cmpuint (clave_device_key_get_retry_delay (key), ==, 0);
  g_assert_cmpint (file_failures (path), ==, 0);

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_wiped_at_tenth (void)
{
  g_autoptr(ClaveDeviceKey) key = generate_saved_key ();
  g_autoptr(ClaveDeviceKey) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = key_path ();

  for (guint i = 1; i <= CLAVE_DEVICE_KEY_MAX_FAILURES; i++)
    {
      g_assert_true (_clave_device_key_set_last_failure (key, 1, &error));
      g_assert_no_error (error);
      g_assert_false (unlock (key, OTHER_PIN, &error));
      if (i < CLAVE_DEVICE_KEY_MAX_FAILURES)
        {
          g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WRONG_PIN);
          if (i == CLAVE_DEVICE_KEY_MAX_FAILURES - 1)
            g_assert_nonnull (strstr (error->message, "1 try left"));
          g_assert_cmpint (file_failures (path), ==, i);
        }
      else
        {
          g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED);
        }
      g_clear_error (&error);
    }

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (clave_device_key_is_unlocked (key));

  /* The right PIN cannot bring it back. */
  g_assert_false (unlock (key, TEST_PIN, &error));
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED);
  g_clear_error (&error);

  reloaded = clave_device_key_load (path, &error);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_NOT_FOUND);
  g_assert_null (reloaded);

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_cancelled_unlock (void)
{
  g_autoptr(ClaveDeviceKey) key = generate_saved_key ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  clave_device_key_unlock_async (key, OTHER_PIN, cancellable, client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_false (clave_device_key_unlock_finish (key, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (clave_device_key_get_failures (key), ==, 0);

  g_clear_object (&result);
  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
assert_load_corrupt (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceKey) key = clave_device_key_load (path, &error);

  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_CORRUPT);
  g_assert_null (key);
}

static char *
replace_member (const char *path,
                const char *name,
                JsonNode   *value)
{
  g_autoptr(JsonObject) object = read_key_file (path);
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  json_object_set_member (object, name, value);
  json_node_set_object (root, object);
  return json_to_string (root, FALSE);
}

static void
test_corrupt (void)
{
  g_autofree char *path = key_path ();
  g_autofree char *good = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(ClaveDeviceKey) other = NULL;
  const char *bad_members[][2] = {
    { "version", "2" },
    { "version", "\"1\"" },
    { "kdf", "\"scrypt\"" },
    { "iterations", "\"1000\"" },
    { "iterations", "0" },
    { "iterations", "1.5" },
    { "salt", "\"AAAA\"" },
    { "salt", "17" },
    { "iv", "\"not base64!\"" },
    { "ciphertext", "\"\"" },
    { "ciphertext", "null" },
    { "public_key", "\"AAAAAAAA\"" },
    { "failures", "-1" },
    { "failures", "10" },
    { "last_failure", "true" },
  };

  key = clave_device_key_load (path, &error);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_NOT_FOUND);
  g_assert_null (key);
  g_clear_error (&error);

  write_file (path, "");
  assert_load_corrupt (path);
  write_file (path, "not json at all");
  assert_load_corrupt (path);
  write_file (path, "[1, 2, 3]");
  assert_load_corrupt (path);
  write_file (path, "{}");
  assert_load_corrupt (path);

  key = generate_saved_key ();
  g_file_get_contents (path, &good, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (bad_members); i++)
    {
      g_autoptr(JsonNode) value = json_from_string (bad_members[i][1], &error);
      g_autofree char *contents = NULL;

      g_assert_no_error (error);
      contents = replace_member (path, bad_members[i][0], g_steal_pointer (&value));
      write_file (path, contents);
      g_test_message ("corrupt member %s = %s", bad_members[i][0], bad_members[i][1]);
      assert_load_corrupt (path);
      write_file (path, good);
    }

  /* The public key of another key: the sealed key opens with the PIN but
   * does not match, and the key must not be used. */
  other = generate_key (TEST_PIN);
  {
    g_autofree char *b64 = NULL;
    g_autofree char *contents = NULL;
    g_autoptr(ClaveDeviceKey) swapped = NULL;
    GBytes *spki = clave_device_key_get_public_key (other);
    JsonNode *value = json_node_new (JSON_NODE_VALUE);

    b64 = clave_base64url_encode (g_bytes_get_data (spki, NULL), g_bytes_get_size (spki));
    json_node_set_string (value, b64);
    contents = replace_member (path, "public_key", value);
    write_file (path, contents);

    swapped = clave_device_key_load (path, &error);
    g_assert_no_error (error);
    g_assert_false (unlock (swapped, TEST_PIN, &error));
    g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_CORRUPT);
    g_assert_false (clave_device_key_is_unlocked (swapped));
  }

  client_test_assert_finalize (g_steal_pointer (&other));
  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_wipe (void)
{
  g_autofree char *path = key_path ();
  g_autofree char *link_path = g_build_filename (g_get_user_data_dir (), "hard-link", NULL);
  g_autofree char *after = NULL;
  g_autoptr(ClaveDeviceKey) key = generate_saved_key ();
  g_autoptr(GError) error = NULL;
  gsize before_len, after_len = 0;
  struct stat st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  before_len = (gsize) st.st_size;
  g_assert_cmpuint (before_len, >, 100);

  /* A second name for the same inode shows what was left on disk. */
  g_assert_cmpint (link (path, link_path), ==, 0);

  g_assert_true (clave_device_key_wipe (path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_file_get_contents (link_path, &after, &after_len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after_len, ==, before_len);
  for (gsize i = 0; i < after_len; i++)
    g_assert_cmpint (after[i], ==, 0);

  /* Nothing there is not a failure. */
  g_assert_true (clave_device_key_wipe (path, &error));
  g_assert_no_error (error);

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_real_iterations (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(ClaveDeviceKey) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveDeviceKey) low = NULL;
  g_autofree char *path = key_path ();
  gint64 start, elapsed_us, low_us;

  /* The same work with TEST_ITERATIONS, as a yardstick for this CPU. */
  low = generate_saved_key ();
  start = g_get_monotonic_time ();
  g_assert_true (unlock (low, TEST_PIN, &error));
  low_us = g_get_monotonic_time () - start;
  g_assert_no_error (error);

  clave_device_key_generate_async (TEST_PIN, NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  key = clave_device_key_generate_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (_clave_device_key_get_iterations (key), ==, CLAVE_PIN_KDF_ITERATIONS);
  g_assert_true (clave_device_key_save (key, path, &error));
  g_assert_no_error (error);

  loaded = clave_device_key_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (_clave_device_key_get_iterations (loaded), ==, CLAVE_PIN_KDF_ITERATIONS);

  start = g_get_monotonic_time ();
  g_assert_true (unlock (loaded, TEST_PIN, &error));
  elapsed_us = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  g_test_message ("unlock with %d PBKDF2-SHA256 iterations took %" G_GINT64_FORMAT " ms "
                  "(%d iterations: %" G_GINT64_FORMAT " us)",
                  CLAVE_PIN_KDF_ITERATIONS, elapsed_us / 1000, TEST_ITERATIONS, low_us);
  /* The point of the KDF is that every guess costs time: measurably so,
   * and far more than the few iterations of the other tests (600 times
   * the work; thread start-up noise keeps the factor asked for low). */
  g_assert_cmpint (elapsed_us, >=, 20 * 1000);
  g_assert_cmpint (elapsed_us, >, 20 * low_us);
  assert_verifies (loaded, "real iterations");

  client_test_assert_finalize (g_steal_pointer (&low));
  client_test_assert_finalize (g_steal_pointer (&loaded));
  client_test_assert_finalize (g_steal_pointer (&key));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/device-key/pin-is-acceptable", test_pin_is_acceptable);
  g_test_add_func ("/device-key/default-path", test_default_path);
  g_test_add_func ("/device-key/lifecycle", test_lifecycle);
  g_test_add_func ("/device-key/existing-folder-tightened", test_existing_folder_tightened);
  g_test_add_func ("/device-key/unlock-twice-checks-pin", test_unlock_twice_checks_pin);
  g_test_add_func ("/device-key/delay", test_delay);
  g_test_add_func ("/device-key/wiped-at-tenth", test_wiped_at_tenth);
  g_test_add_func ("/device-key/cancelled-unlock", test_cancelled_unlock);
  g_test_add_func ("/device-key/corrupt", test_corrupt);
  g_test_add_func ("/device-key/wipe", test_wipe);
  g_test_add_func ("/device-key/real-iterations", test_real_iterations);

  return g_test_run ();
}
