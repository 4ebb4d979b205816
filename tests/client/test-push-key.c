/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-push-key"

#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "clave-crypto.h"
#include "clave-push-key.h"

static void
test_round_trip (void)
{
  g_autofree char *path = clave_push_key_default_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(ClavePushKey) key = NULL;
  g_autoptr(ClavePushKey) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static ("signed text", 11);
  g_autoptr(GBytes) signature = NULL;
  g_auto(gnutls_pubkey_t) pubkey = NULL;
  g_autofree char *contents = NULL;
  struct stat st;

  g_assert_true (g_str_has_suffix (path, "/clave-desktop/push-key.pem"));
  g_assert_true (g_str_has_prefix (path, g_get_user_data_dir ()));

  key = clave_push_key_generate (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (clave_push_key_get_public_key (key)), ==, 91);
  g_assert_null (clave_push_key_get_path (key));

  g_assert_true (clave_push_key_save (key, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (clave_push_key_get_path (key), ==, path);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "-----BEGIN PRIVATE KEY-----\n"));

  loaded = clave_push_key_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (clave_push_key_get_public_key (loaded),
                                clave_push_key_get_public_key (key)));

  /* The loaded key signs what the saved key's public half verifies. */
  signature = clave_push_key_sign (loaded, data, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (signature), ==, 64);
  pubkey = clave_pubkey_import_spki (clave_push_key_get_public_key (key), &error);
  g_assert_no_error (error);
  g_assert_true (clave_ecdsa_verify (pubkey, data, signature, &error));
  g_assert_no_error (error);
}

static void
test_existing_dir_is_tightened (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "loose", NULL);
  g_autofree char *path = g_build_filename (dir, "push-key.pem", NULL);
  g_autoptr(ClavePushKey) key = clave_push_key_generate (NULL);
  struct stat st;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_true (clave_push_key_save (key, path, NULL));
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_missing_and_corrupt (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "other", "push-key.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(ClavePushKey) key = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  key = clave_push_key_load (path, &error);
  g_assert_null (key);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", -1, NULL));
  key = clave_push_key_load (path, &error);
  g_assert_null (key);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_CORRUPT);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "not a key at all", -1, NULL));
  key = clave_push_key_load (path, &error);
  g_assert_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_CORRUPT);
}

static void
test_wipe (void)
{
  g_autofree char *path = clave_push_key_default_path ();
  g_autoptr(ClavePushKey) key = clave_push_key_generate (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (clave_push_key_save (key, path, &error));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (clave_push_key_wipe (path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* Nothing to wipe is not an error. */
  g_assert_true (clave_push_key_wipe (path, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/push-key/round-trip", test_round_trip);
  g_test_add_func ("/push-key/existing-dir-is-tightened", test_existing_dir_is_tightened);
  g_test_add_func ("/push-key/missing-and-corrupt", test_missing_and_corrupt);
  g_test_add_func ("/push-key/wipe", test_wipe);

  return g_test_run ();
}
