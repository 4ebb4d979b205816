/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-crypto"

#include "config.h"

#include <glib.h>
#include <gnutls/x509.h>
#include <string.h>

#include "clave-crypto.h"

/* Cheap enough for tests; one test uses the real cost. */
#define TEST_ITERATIONS 1000

/* TAP output must stay valid UTF-8 whatever the input under test. */
static void
test_message_escaped (const char *what,
                      const char *value)
{
  g_autofree char *escaped = value != NULL ? g_strescape (value, NULL) : g_strdup ("(null)");

  g_test_message ("%s'%s'", what, escaped);
}

static void
test_base64url_known (void)
{
  static const struct {
    const char *data;
    gsize       len;
    const char *text;
  } cases[] = {
    { "", 0, "" },
    { "f", 1, "Zg" },
    { "fo", 2, "Zm8" },
    { "foo", 3, "Zm9v" },
    { "foob", 4, "Zm9vYg" },
    { "fooba", 5, "Zm9vYmE" },
    { "foobar", 6, "Zm9vYmFy" },
    { "\xfb\xff", 2, "-_8" },
    { "\xff\xfe\xfd", 3, "__79" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = clave_base64url_encode ((const guint8 *) cases[i].data, cases[i].len);
      g_autoptr(GBytes) bytes = NULL;

      g_assert_cmpstr (text, ==, cases[i].text);
      bytes = clave_base64url_decode (cases[i].text, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                       cases[i].data, cases[i].len);
    }
}

static void
test_base64url_round_trip (void)
{
  for (gsize len = 0; len <= 70; len++)
    {
      g_autoptr(GBytes) data = clave_random_bytes (len);
      g_autofree char *text = clave_base64url_encode (g_bytes_get_data (data, NULL), len);
      g_autoptr(GBytes) back = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_null (strchr (text, '='));
      g_assert_null (strchr (text, '+'));
      g_assert_null (strchr (text, '/'));
      back = clave_base64url_decode (text, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (data, back));
    }
}

static void
test_base64url_bad (void)
{
  static const char * const bad[] = {
    NULL,
    "Zg=",          /* padding is not base64url here */
    "Zg==",
    "Zm9v=",
    "Zm+v",         /* standard alphabet */
    "Zm/v",
    "Zm9 v",
    "Zm9v\n",
    "A",            /* impossible length */
    "Zm9vY",
    "Zh",           /* non-zero unused bits: not canonical */
    "Zm9",          /* "Zm8" is the canonical form of "fo" */
    "Zm\xc3\xa9",
    "*",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = clave_base64url_decode (bad[i], &error);

      test_message_escaped ("base64url ", bad[i]);
      g_assert_null (bytes);
      g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    }
}

static void
test_random (void)
{
  g_autoptr(GBytes) none = clave_random_bytes (0);
  g_autoptr(GBytes) a = clave_random_bytes (32);
  g_autoptr(GBytes) b = clave_random_bytes (32);
  g_autofree char *token_a = clave_random_token (16);
  g_autofree char *token_b = clave_random_token (16);
  g_autoptr(GBytes) decoded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_bytes_get_size (none), ==, 0);
  g_assert_cmpuint (g_bytes_get_size (a), ==, 32);
  g_assert_false (g_bytes_equal (a, b));

  g_assert_cmpuint (strlen (token_a), ==, 22);
  g_assert_cmpstr (token_a, !=, token_b);
  decoded = clave_base64url_decode (token_a, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (decoded), ==, 16);
}

static void
test_random_digits (void)
{
  static const guint lengths[] = { 0, 1, 6, 100, 257 };
  guint counts[10] = { 0 };
  g_autofree char *many = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autofree char *digits = clave_random_digits (lengths[i]);

      g_assert_cmpuint (strlen (digits), ==, lengths[i]);
      for (guint j = 0; j < lengths[i]; j++)
        g_assert_true (g_ascii_isdigit (digits[j]));
    }

  /* Each digit should turn up about 2000 times; the bounds are more than
   * eight standard deviations away, so only a biased generator fails. */
  many = clave_random_digits (20000);
  for (guint j = 0; j < 20000; j++)
    counts[many[j] - '0']++;
  for (guint d = 0; d < 10; d++)
    {
      g_assert_cmpuint (counts[d], >, 1650);
      g_assert_cmpuint (counts[d], <, 2350);
    }
}

static void
test_sha256 (void)
{
  g_autofree char *empty = clave_sha256_hex ("", 0);
  g_autofree char *abc = clave_sha256_hex ("abc", 3);

  g_assert_cmpstr (empty, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_cmpstr (abc, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_hmac (void)
{
  /* RFC 4231 test case 2. */
  g_autoptr(GBytes) key = g_bytes_new_static ("Jefe", 4);
  g_autoptr(GBytes) other_key = g_bytes_new_static ("Jeff", 4);
  g_autofree char *mac = clave_hmac_sha256_hex (key, "what do ya want for nothing?");
  g_autofree char *other = clave_hmac_sha256_hex (other_key, "what do ya want for nothing?");

  g_assert_cmpstr (mac, ==, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  g_assert_cmpstr (other, !=, mac);
}

static void
test_constant_time_equal (void)
{
  g_assert_true (clave_constant_time_equal ("", ""));
  g_assert_true (clave_constant_time_equal ("123456", "123456"));
  g_assert_false (clave_constant_time_equal ("123456", "123457"));
  g_assert_false (clave_constant_time_equal ("123456", "12345"));
  g_assert_false (clave_constant_time_equal ("12345", "123456"));
  g_assert_false (clave_constant_time_equal ("a", NULL));
  g_assert_false (clave_constant_time_equal (NULL, "a"));
  g_assert_false (clave_constant_time_equal (NULL, NULL));
}

static void
test_secret_free (void)
{
  clave_secret_free (NULL);
  clave_secret_free (g_strdup ("123456"));
  clave_secret_free (g_strdup (""));
}

static ClaveSealedBox *
copy_box (const ClaveSealedBox *box)
{
  ClaveSealedBox *copy = g_new0 (ClaveSealedBox, 1);

  copy->iterations = box->iterations;
  copy->salt = g_bytes_ref (box->salt);
  copy->iv = g_bytes_ref (box->iv);
  copy->ciphertext = g_bytes_ref (box->ciphertext);

  return copy;
}

static GBytes *
flip_byte (GBytes *bytes,
           gsize   index)
{
  gsize size = 0;
  guint8 *data = g_bytes_unref_to_data (g_bytes_ref (bytes), &size);

  g_assert_cmpuint (index, <, size);
  data[index] ^= 0x01;
  return g_bytes_new_take (data, size);
}

static gboolean
contains (GBytes     *haystack,
          const char *needle)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (haystack, &size);
  gsize len = strlen (needle);

  for (gsize i = 0; i + len <= size; i++)
    if (memcmp (data + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}

static void
test_sealed_box_round_trip (void)
{
  static const char secret[] = "a private key in PKCS#8";
  g_autoptr(GBytes) plaintext = g_bytes_new_static (secret, sizeof secret);
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(ClaveSealedBox) box2 = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autoptr(GError) error = NULL;

  box = clave_sealed_box_seal ("123456", TEST_ITERATIONS, plaintext, &error);
  g_assert_no_error (error);
  g_assert_nonnull (box);
  g_assert_cmpuint (box->iterations, ==, TEST_ITERATIONS);
  g_assert_cmpuint (g_bytes_get_size (box->salt), ==, 16);
  g_assert_cmpuint (g_bytes_get_size (box->iv), ==, 12);
  g_assert_cmpuint (g_bytes_get_size (box->ciphertext), ==, sizeof secret + 16);
  g_assert_false (contains (box->ciphertext, "private"));

  opened = clave_sealed_box_open (box, "123456", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (opened, plaintext));

  /* Fresh salt and IV every time. */
  box2 = clave_sealed_box_seal ("123456", TEST_ITERATIONS, plaintext, &error);
  g_assert_no_error (error);
  g_assert_false (g_bytes_equal (box->salt, box2->salt));
  g_assert_false (g_bytes_equal (box->iv, box2->iv));
  g_assert_false (g_bytes_equal (box->ciphertext, box2->ciphertext));
}

static void
test_sealed_box_empty (void)
{
  g_autoptr(GBytes) plaintext = g_bytes_new (NULL, 0);
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autoptr(GError) error = NULL;

  box = clave_sealed_box_seal ("", TEST_ITERATIONS, plaintext, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (box->ciphertext), ==, 16);

  opened = clave_sealed_box_open (box, "", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (opened), ==, 0);
}

static void
test_aead (void)
{
  static const char secret[] = "a signing key in PKCS#8";
  g_autoptr(GBytes) key = clave_random_bytes (32);
  g_autoptr(GBytes) other_key = clave_random_bytes (32);
  g_autoptr(GBytes) short_key = clave_random_bytes (16);
  g_autoptr(GBytes) plaintext = g_bytes_new_static (secret, sizeof secret);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) sealed2 = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  sealed = clave_aead_seal (key, "serial-1", plaintext, &error);
  g_assert_no_error (error);
  len = g_bytes_get_size (sealed);
  g_assert_cmpuint (len, ==, 12 + sizeof secret + 16);
  g_assert_false (contains (sealed, "signing"));

  opened = clave_aead_open (key, "serial-1", sealed, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (opened, plaintext));
  g_clear_pointer (&opened, g_bytes_unref);

  /* A fresh IV each time. */
  sealed2 = clave_aead_seal (key, "serial-1", plaintext, &error);
  g_assert_no_error (error);
  g_assert_false (g_bytes_equal (sealed, sealed2));

  /* Another row's associated data, another key, any byte changed. */
  opened = clave_aead_open (key, "serial-2", sealed, &error);
  g_assert_null (opened);
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
  g_clear_error (&error);
  opened = clave_aead_open (other_key, "serial-1", sealed, &error);
  g_assert_null (opened);
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
  g_clear_error (&error);
  for (gsize i = 0; i < len; i++)
    {
      g_autoptr(GBytes) bad = flip_byte (sealed, i);

      opened = clave_aead_open (key, "serial-1", bad, &error);
      g_assert_null (opened);
      g_assert_nonnull (error);
      g_clear_error (&error);
    }

  /* Too short to hold an IV and a tag; a key of the wrong size. */
  {
    g_autoptr(GBytes) stub = g_bytes_new_from_bytes (sealed, 0, 27);

    opened = clave_aead_open (key, "serial-1", stub, &error);
    g_assert_null (opened);
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }
  g_assert_null (clave_aead_seal (short_key, "serial-1", plaintext, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
}

static void
test_sealed_box_wrong_pin (void)
{
  g_autoptr(GBytes) plaintext = g_bytes_new_static ("secret", 6);
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(GError) error = NULL;
  static const char * const wrong[] = { "123457", "12345", "1234567", "", "654321" };

  box = clave_sealed_box_seal ("123456", TEST_ITERATIONS, plaintext, &error);
  g_assert_no_error (error);

  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GBytes) opened = clave_sealed_box_open (box, wrong[i], &error);

      g_assert_null (opened);
      g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
      g_clear_error (&error);
    }
}

static void
test_sealed_box_tampered (void)
{
  g_autoptr(GBytes) plaintext = g_bytes_new_static ("secret data", 11);
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(GError) error = NULL;
  gsize cipher_len;

  box = clave_sealed_box_seal ("123456", TEST_ITERATIONS, plaintext, &error);
  g_assert_no_error (error);
  cipher_len = g_bytes_get_size (box->ciphertext);

  /* Any bit changed anywhere: body, tag, salt, IV, cost. */
  for (gsize i = 0; i < cipher_len; i++)
    {
      g_autoptr(ClaveSealedBox) bad = copy_box (box);
      g_autoptr(GBytes) opened = NULL;

      g_bytes_unref (bad->ciphertext);
      bad->ciphertext = flip_byte (box->ciphertext, i);
      opened = clave_sealed_box_open (bad, "123456", &error);
      g_assert_null (opened);
      g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
      g_clear_error (&error);
    }

  {
    g_autoptr(ClaveSealedBox) bad = copy_box (box);
    g_autoptr(GBytes) opened = NULL;

    g_bytes_unref (bad->salt);
    bad->salt = flip_byte (box->salt, 3);
    opened = clave_sealed_box_open (bad, "123456", &error);
    g_assert_null (opened);
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
    g_clear_error (&error);
  }

  {
    g_autoptr(ClaveSealedBox) bad = copy_box (box);
    g_autoptr(GBytes) opened = NULL;

    g_bytes_unref (bad->iv);
    bad->iv = flip_byte (box->iv, 11);
    opened = clave_sealed_box_open (bad, "123456", &error);
    g_assert_null (opened);
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
    g_clear_error (&error);
  }

  {
    g_autoptr(ClaveSealedBox) bad = copy_box (box);
    g_autoptr(GBytes) opened = NULL;

    bad->iterations = TEST_ITERATIONS + 1;
    opened = clave_sealed_box_open (bad, "123456", &error);
    g_assert_null (opened);
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
    g_clear_error (&error);
  }
}

static void
test_sealed_box_malformed (void)
{
  g_autoptr(GBytes) plaintext = g_bytes_new_static ("secret", 6);
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(GError) error = NULL;

  box = clave_sealed_box_seal ("123456", TEST_ITERATIONS, plaintext, &error);
  g_assert_no_error (error);

  g_assert_null (clave_sealed_box_open (NULL, "123456", &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  {
    g_autoptr(ClaveSealedBox) bad = copy_box (box);

    g_bytes_unref (bad->iv);
    bad->iv = g_bytes_new ("short", 5);
    g_assert_null (clave_sealed_box_open (bad, "123456", &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  {
    g_autoptr(ClaveSealedBox) bad = copy_box (box);

    g_bytes_unref (bad->ciphertext);
    bad->ciphertext = g_bytes_new ("0123456789abcde", 15);   /* shorter than a tag */
    g_assert_null (clave_sealed_box_open (bad, "123456", &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  {
    g_autoptr(ClaveSealedBox) bad = copy_box (box);

    bad->iterations = 0;
    g_assert_null (clave_sealed_box_open (bad, "123456", &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  {
    g_autoptr(ClaveSealedBox) bad = copy_box (box);

    /* A tampered cost must not make opening take hours. */
    bad->iterations = G_MAXUINT;
    g_assert_null (clave_sealed_box_open (bad, "123456", &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  {
    g_autoptr(ClaveSealedBox) bad = copy_box (box);

    g_clear_pointer (&bad->salt, g_bytes_unref);
    g_assert_null (clave_sealed_box_open (bad, "123456", &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }
}

static void
test_sealed_box_real_cost (void)
{
  g_autoptr(GBytes) plaintext = g_bytes_new_static ("secret", 6);
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autoptr(GError) error = NULL;

  box = clave_sealed_box_seal ("246810", CLAVE_PIN_KDF_ITERATIONS, plaintext, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (box->iterations, ==, 600000);

  opened = clave_sealed_box_open (box, "246810", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (opened, plaintext));

  g_assert_null (clave_sealed_box_open (box, "246811", &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
}

static void
test_key_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_privkey_t) key = NULL;
  g_auto(gnutls_privkey_t) imported = NULL;
  g_auto(gnutls_pubkey_t) pub = NULL;
  g_autoptr(GBytes) pkcs8 = NULL;
  g_autoptr(GBytes) pkcs8_again = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) spki_imported = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static ("clave-device-registration\nact_123", 34);
  g_autoptr(GBytes) signature = NULL;

  key = clave_ec_key_generate (&error);
  g_assert_no_error (error);
  g_assert_nonnull (key);

  pkcs8 = clave_privkey_export_pkcs8 (key, &error);
  g_assert_no_error (error);
  /* DER SEQUENCE, and unencrypted PKCS#8 starts with version 0. */
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (pkcs8, NULL))[0], ==, 0x30);

  imported = clave_privkey_import_pkcs8 (pkcs8, &error);
  g_assert_no_error (error);
  pkcs8_again = clave_privkey_export_pkcs8 (imported, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (pkcs8, pkcs8_again));

  spki = clave_privkey_export_spki (key, &error);
  g_assert_no_error (error);
  /* P-256 SubjectPublicKeyInfo with an uncompressed point is 91 bytes. */
  g_assert_cmpuint (g_bytes_get_size (spki), ==, 91);
  spki_imported = clave_privkey_export_spki (imported, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (spki, spki_imported));

  pub = clave_pubkey_import_spki (spki, &error);
  g_assert_no_error (error);

  /* What the imported key signs, the exported public key verifies. */
  signature = clave_ecdsa_sign (imported, data, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (signature), ==, 64);
  g_assert_true (clave_ecdsa_verify (pub, data, signature, &error));
  g_assert_no_error (error);
}

static void
test_key_import_bad (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) garbage = g_bytes_new_static ("\x30\x03\x02\x01\x00garbage", 12);
  gnutls_x509_privkey_t p384 = NULL;
  g_auto(gnutls_privkey_t) p384_key = NULL;
  g_auto(gnutls_pubkey_t) p384_pub = NULL;
  gnutls_datum_t der = { NULL, 0 };
  g_autoptr(GBytes) p384_pkcs8 = NULL;
  g_autoptr(GBytes) p384_spki = NULL;
  g_auto(gnutls_privkey_t) key = NULL;
  g_autoptr(GBytes) spki = NULL;

  g_assert_null (clave_privkey_import_pkcs8 (NULL, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (clave_privkey_import_pkcs8 (empty, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (clave_privkey_import_pkcs8 (garbage, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_null (clave_pubkey_import_spki (NULL, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (clave_pubkey_import_spki (empty, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (clave_pubkey_import_spki (garbage, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* A PKCS#8 key is not a SubjectPublicKeyInfo, nor the other way round. */
  key = clave_ec_key_generate (&error);
  g_assert_no_error (error);
  spki = clave_privkey_export_spki (key, &error);
  g_assert_no_error (error);
  g_assert_null (clave_privkey_import_pkcs8 (spki, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  {
    g_autoptr(GBytes) pkcs8 = clave_privkey_export_pkcs8 (key, &error);

    g_assert_no_error (error);
    g_assert_null (clave_pubkey_import_spki (pkcs8, &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  /* Well-formed keys on another curve are refused: the protocol is P-256. */
  g_assert_cmpint (gnutls_x509_privkey_init (&p384), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (p384, GNUTLS_PK_ECDSA,
                                                 GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP384R1), 0), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (p384, GNUTLS_X509_FMT_DER, NULL,
                                                      GNUTLS_PKCS_PLAIN, &der), ==, 0);
  p384_pkcs8 = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);

  g_assert_cmpint (gnutls_privkey_init (&p384_key), ==, 0);
  g_assert_cmpint (gnutls_privkey_import_x509 (p384_key, p384, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE), ==, 0);
  g_assert_cmpint (gnutls_pubkey_init (&p384_pub), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_privkey (p384_pub, p384_key, 0, 0), ==, 0);
  g_assert_cmpint (gnutls_pubkey_export2 (p384_pub, GNUTLS_X509_FMT_DER, &der), ==, 0);
  p384_spki = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);

  g_assert_null (clave_privkey_import_pkcs8 (p384_pkcs8, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (clave_pubkey_import_spki (p384_spki, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);
}

static void
test_sign_verify (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_privkey_t) key = NULL;
  g_auto(gnutls_privkey_t) other_key = NULL;
  g_auto(gnutls_pubkey_t) pub = NULL;
  g_auto(gnutls_pubkey_t) other_pub = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) other_spki = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static ("hello", 5);
  g_autoptr(GBytes) altered = g_bytes_new_static ("hellp", 5);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) empty_signature = NULL;

  key = clave_ec_key_generate (&error);
  g_assert_no_error (error);
  other_key = clave_ec_key_generate (&error);
  g_assert_no_error (error);
  spki = clave_privkey_export_spki (key, &error);
  g_assert_no_error (error);
  other_spki = clave_privkey_export_spki (other_key, &error);
  g_assert_no_error (error);
  pub = clave_pubkey_import_spki (spki, &error);
  g_assert_no_error (error);
  other_pub = clave_pubkey_import_spki (other_spki, &error);
  g_assert_no_error (error);

  signature = clave_ecdsa_sign (key, data, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (signature), ==, 64);
  g_assert_true (clave_ecdsa_verify (pub, data, signature, &error));
  g_assert_no_error (error);

  g_assert_false (clave_ecdsa_verify (pub, altered, signature, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (clave_ecdsa_verify (other_pub, data, signature, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  for (gsize i = 0; i < 64; i += 7)
    {
      g_autoptr(GBytes) bad = flip_byte (signature, i);

      g_assert_false (clave_ecdsa_verify (pub, data, bad, &error));
      g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }

  {
    g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (signature, 0, 63);
    g_autoptr(GBytes) zeros = g_bytes_new_take (g_malloc0 (64), 64);
    g_autoptr(GBytes) ones = g_bytes_new_take (memset (g_malloc (64), 0xff, 64), 64);

    g_assert_false (clave_ecdsa_verify (pub, data, truncated, &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_false (clave_ecdsa_verify (pub, data, zeros, &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_false (clave_ecdsa_verify (pub, data, ones, &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_false (clave_ecdsa_verify (pub, data, NULL, &error));
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  empty_signature = clave_ecdsa_sign (key, empty, &error);
  g_assert_no_error (error);
  g_assert_true (clave_ecdsa_verify (pub, empty, empty_signature, &error));
  g_assert_no_error (error);
}

/* About one signature in 128 has an r or s below 2^248, whose DER form is
 * shorter than 32 bytes, and one in two has a leading 0x00 sign byte;
 * many signatures make sure both turn into a correct 64-byte r || s. */
static void
test_sign_many (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_privkey_t) key = NULL;
  g_auto(gnutls_pubkey_t) pub = NULL;
  g_autoptr(GBytes) spki = NULL;
  guint short_values = 0;

  key = clave_ec_key_generate (&error);
  g_assert_no_error (error);
  spki = clave_privkey_export_spki (key, &error);
  g_assert_no_error (error);
  pub = clave_pubkey_import_spki (spki, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 1500; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));
      g_autoptr(GBytes) signature = clave_ecdsa_sign (key, data, &error);
      const guint8 *raw;

      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (signature), ==, 64);
      raw = g_bytes_get_data (signature, NULL);
      if (raw[0] == 0 || raw[32] == 0)
        short_values++;

      if (!clave_ecdsa_verify (pub, data, signature, &error))
        g_error ("signature %u does not verify: %s", i, error->message);
    }

  g_test_message ("%u signatures with a short r or s", short_values);
}

typedef struct {
  gnutls_privkey_t key;
  gnutls_pubkey_t  pub;
} ThreadData;

static gpointer
sign_in_thread (gpointer user_data)
{
  ThreadData *td = user_data;

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) data = clave_random_bytes (40);
      g_autoptr(GBytes) signature = clave_ecdsa_sign (td->key, data, &error);
      g_autofree char *digits = clave_random_digits (6);

      if (signature == NULL || !clave_ecdsa_verify (td->pub, data, signature, &error))
        return GINT_TO_POINTER (FALSE);
      if (strlen (digits) != 6)
        return GINT_TO_POINTER (FALSE);
    }

  return GINT_TO_POINTER (TRUE);
}

static void
test_threads (void)
{
  ThreadData td[4];
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) spki = NULL;

      td[i].key = clave_ec_key_generate (&error);
      g_assert_no_error (error);
      spki = clave_privkey_export_spki (td[i].key, &error);
      g_assert_no_error (error);
      td[i].pub = clave_pubkey_import_spki (spki, &error);
      g_assert_no_error (error);
    }

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("signer", sign_in_thread, &td[i]);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[i])));
      gnutls_privkey_deinit (td[i].key);
      gnutls_pubkey_deinit (td[i].pub);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/crypto/base64url/known", test_base64url_known);
  g_test_add_func ("/crypto/base64url/round-trip", test_base64url_round_trip);
  g_test_add_func ("/crypto/base64url/bad", test_base64url_bad);
  g_test_add_func ("/crypto/random", test_random);
  g_test_add_func ("/crypto/random-digits", test_random_digits);
  g_test_add_func ("/crypto/sha256", test_sha256);
  g_test_add_func ("/crypto/hmac-rfc4231", test_hmac);
  g_test_add_func ("/crypto/constant-time-equal", test_constant_time_equal);
  g_test_add_func ("/crypto/secret-free", test_secret_free);
  g_test_add_func ("/crypto/sealed-box/round-trip", test_sealed_box_round_trip);
  g_test_add_func ("/crypto/sealed-box/empty", test_sealed_box_empty);
  g_test_add_func ("/crypto/sealed-box/wrong-pin", test_sealed_box_wrong_pin);
  g_test_add_func ("/crypto/sealed-box/tampered", test_sealed_box_tampered);
  g_test_add_func ("/crypto/sealed-box/malformed", test_sealed_box_malformed);
  g_test_add_func ("/crypto/sealed-box/real-cost", test_sealed_box_real_cost);
  g_test_add_func ("/crypto/key/round-trip", test_key_round_trip);
  g_test_add_func ("/crypto/key/import-bad", test_key_import_bad);
  g_test_add_func ("/crypto/ecdsa/sign-verify", test_sign_verify);
  g_test_add_func ("/crypto/ecdsa/many", test_sign_many);
  g_test_add_func ("/crypto/threads", test_threads);
  g_test_add_func ("/crypto/aead", test_aead);

  return g_test_run ();
}
