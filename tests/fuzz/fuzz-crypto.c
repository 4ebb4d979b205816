/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The decoders of src/common/clave-crypto.c that outside input reaches:
 * base64url (signatures, tokens and public keys in requests), SPKI public
 * keys (a device's key and push key at activation), PKCS#8 (the device
 * key's file), sealed boxes (the PIN-sealed key file) and the
 * constant-time comparison of secrets. The first byte of the input picks
 * one (b, k, p, s, c; other bytes pick one too); the rest is its input.
 *
 * Properties:
 * - base64url: decoding succeeds exactly for canonical text (the alphabet,
 *   no padding, a length that is not 1 mod 4, zero unused bits), and then
 *   encodes back to the same text; any bytes encode to text that decodes
 *   back to them;
 * - an SPKI key that imports is P-256, exports to DER that imports again,
 *   and no 64 bytes of the input verify as its signature of other data;
 * - a PKCS#8 key that imports is P-256, exports and imports again, and
 *   signs data that verifies under its SPKI (its own public key);
 * - a sealed box of the input's fields opens only with its PIN, to its
 *   plaintext; a box read from the input that opens does not open with
 *   another PIN, and one that does not is INVALID_DATA or WRONG_PIN;
 * - clave_constant_time_equal() is strcmp() == 0. */

#include "config.h"

#include <string.h>

#include <gnutls/abstract.h>

#include "clave-crypto.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_setup (0);
  return 0;
}

static gboolean
is_canonical_base64url (const char *text)
{
  gsize len = strlen (text);
  const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char *last;

  for (gsize i = 0; i < len; i++)
    if (strchr (alphabet, text[i]) == NULL)
      return FALSE;
  if (len % 4 == 1)
    return FALSE;
  if (len == 0)
    return TRUE;

  /* The bits of the last character that carry no byte must be zero. */
  last = strchr (alphabet, text[len - 1]);
  switch (len % 4)
    {
    case 2:
      return ((last - alphabet) & 0x0f) == 0;
    case 3:
      return ((last - alphabet) & 0x03) == 0;
    default:
      return TRUE;
    }
}

static void
check_base64url (const guint8 *data,
                 gsize         size)
{
  g_autofree char *text = fuzz_strndup (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) decoded = clave_base64url_decode (text, &error);
  g_autofree char *encoded = clave_base64url_encode (data, size);
  g_autoptr(GBytes) back = clave_base64url_decode (encoded, NULL);
  g_autoptr(GBytes) original = g_bytes_new (data, size);

  FUZZ_CHECK ((decoded != NULL) == is_canonical_base64url (text), "\"%s\": %s", text,
              decoded != NULL ? "decoded" : error->message);
  if (decoded != NULL)
    {
      gsize len = 0;
      const guint8 *bytes = g_bytes_get_data (decoded, &len);
      g_autofree char *again = clave_base64url_encode (bytes, len);

      FUZZ_CHECK (g_str_equal (again, text), "\"%s\" encodes back as \"%s\"", text, again);
    }
  else
    FUZZ_CHECK (g_error_matches (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA),
                "error");

  FUZZ_CHECK (back != NULL && g_bytes_equal (back, original), "encoding of %zu bytes \"%s\" "
              "does not decode back", size, encoded);
}

static GBytes *
export_pubkey (gnutls_pubkey_t key)
{
  gnutls_datum_t der = { NULL, 0 };
  GBytes *bytes;

  FUZZ_CHECK (gnutls_pubkey_export2 (key, GNUTLS_X509_FMT_DER, &der) >= 0, "export");
  bytes = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  return bytes;
}

static gboolean
is_p256 (gnutls_pubkey_t key)
{
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
  int ret = gnutls_pubkey_export_ecc_raw2 (key, &curve, &x, &y, 0);

  gnutls_free (x.data);
  gnutls_free (y.data);
  return ret >= 0 && curve == GNUTLS_ECC_CURVE_SECP256R1;
}

static void
check_spki (const guint8 *data,
            gsize         size)
{
  g_autoptr(GBytes) der = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_pubkey_t) key = clave_pubkey_import_spki (der, &error);

  if (key == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA) ||
                  g_error_matches (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_FAILED),
                  "error");
      return;
    }

  FUZZ_CHECK (is_p256 (key), "a key that is not P-256 imported");
  {
    g_autoptr(GBytes) exported = export_pubkey (key);
    g_auto(gnutls_pubkey_t) again = clave_pubkey_import_spki (exported, NULL);
    g_autoptr(GBytes) message = g_bytes_new_static ("clave", 5);
    g_autoptr(GBytes) signature = NULL;

    FUZZ_CHECK (again != NULL, "an imported key does not import again once exported");
    /* The input is no signature by this key of anything else. */
    if (size >= 64)
      {
        signature = g_bytes_new (data + size - 64, 64);
        FUZZ_CHECK (!clave_ecdsa_verify (key, message, signature, NULL),
                    "64 bytes of the input verify as a signature");
      }
  }
}

static void
check_pkcs8 (const guint8 *data,
             gsize         size)
{
  g_autoptr(GBytes) der = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_privkey_t) key = clave_privkey_import_pkcs8 (der, &error);

  if (key == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == CLAVE_CRYPTO_ERROR, "error");
      return;
    }

  {
    g_autoptr(GBytes) exported = clave_privkey_export_pkcs8 (key, NULL);
    g_auto(gnutls_privkey_t) again = clave_privkey_import_pkcs8 (exported, NULL);
    g_autoptr(GBytes) spki = clave_privkey_export_spki (key, NULL);
    g_auto(gnutls_pubkey_t) public_key = clave_pubkey_import_spki (spki, NULL);
    g_autoptr(GBytes) message = g_bytes_new (data, size);
    g_autoptr(GBytes) signature = clave_ecdsa_sign (key, message, NULL);

    FUZZ_CHECK (again != NULL, "an imported key does not import again once exported");
    FUZZ_CHECK (public_key != NULL && is_p256 (public_key), "its public key");
    /* A PKCS#8 EC key carries its public point beside the private scalar
     * (regressions/crypto/pkcs8-key-pair-mismatch: one that is not the
     * scalar's signed what its own public key refused). */
    FUZZ_CHECK (signature != NULL && clave_ecdsa_verify (public_key, message, signature, NULL),
                "its signature does not verify under its own public key");
  }
}

/* "pin\nplaintext" sealed and opened; or, with a leading '!', a box read
 * from "iterations salt-b64 iv-b64 ciphertext-b64\npin". */
static void
check_sealed_box (const guint8 *data,
                  gsize         size)
{
  FuzzInput input;

  fuzz_input_init (&input, data, size);
  if (size > 0 && data[0] == '!')
    {
      g_autofree char *header = NULL;
      g_autofree char *pin = NULL;
      g_auto(GStrv) parts = NULL;
      ClaveSealedBox box = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) plaintext = NULL;

      fuzz_input_byte (&input);
      header = fuzz_input_field (&input, '\n');
      pin = fuzz_input_field (&input, '\n');
      parts = g_strsplit (header, " ", 4);
      if (g_strv_length (parts) != 4)
        return;

      /* A box from disk may ask for up to 10^7 iterations, which the
       * library allows on purpose; a fuzzer cannot wait for that. */
      box.iterations = (guint) g_ascii_strtoull (parts[0], NULL, 10);
      if (box.iterations > 64)
        box.iterations = 64;
      box.salt = clave_base64url_decode (parts[1], NULL);
      box.iv = clave_base64url_decode (parts[2], NULL);
      box.ciphertext = clave_base64url_decode (parts[3], NULL);

      plaintext = clave_sealed_box_open (&box, pin, &error);
      if (plaintext == NULL)
        FUZZ_CHECK (g_error_matches (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA) ||
                    g_error_matches (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN),
                    "error %s", error->message);
      else
        {
          g_autofree char *wrong_pin = g_strconcat (pin, "0", NULL);
          g_autoptr(GError) wrong_error = NULL;

          FUZZ_CHECK (clave_sealed_box_open (&box, wrong_pin, &wrong_error) == NULL &&
                      g_error_matches (wrong_error, CLAVE_CRYPTO_ERROR,
                                       CLAVE_CRYPTO_ERROR_WRONG_PIN),
                      "a box opens with two PINs");
        }
      g_clear_pointer (&box.salt, g_bytes_unref);
      g_clear_pointer (&box.iv, g_bytes_unref);
      g_clear_pointer (&box.ciphertext, g_bytes_unref);
      return;
    }

  {
    g_autofree char *pin = fuzz_input_field (&input, '\n');
    g_autoptr(GBytes) plaintext = fuzz_input_rest (&input);
    g_autofree char *wrong_pin = g_strconcat (pin, "0", NULL);
    g_autoptr(ClaveSealedBox) box = clave_sealed_box_seal (pin, 2, plaintext, NULL);
    g_autoptr(GBytes) opened = NULL;
    g_autoptr(GError) error = NULL;

    FUZZ_CHECK (box != NULL, "sealing failed");
    opened = clave_sealed_box_open (box, pin, NULL);
    FUZZ_CHECK (opened != NULL && g_bytes_equal (opened, plaintext), "the box does not open");
    FUZZ_CHECK (clave_sealed_box_open (box, wrong_pin, &error) == NULL &&
                g_error_matches (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN),
                "the box opens with another PIN");
  }
}

static void
check_compare (const guint8 *data,
               gsize         size)
{
  FuzzInput input;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  fuzz_input_init (&input, data, size);
  a = fuzz_input_field (&input, '\n');
  b = fuzz_input_field (&input, '\n');
  FUZZ_CHECK (clave_constant_time_equal (a, b) == (strcmp (a, b) == 0), "\"%s\" vs \"%s\"", a, b);
  FUZZ_CHECK (clave_constant_time_equal (a, a), "\"%s\" vs itself", a);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  if (size == 0)
    return 0;

  /* A letter for the seeds; any other byte picks one too. */
  switch (data[0])
    {
    case 'b':
      check_base64url (data + 1, size - 1);
      break;
    case 'k':
      check_spki (data + 1, size - 1);
      break;
    case 'p':
      check_pkcs8 (data + 1, size - 1);
      break;
    case 's':
      check_sealed_box (data + 1, size - 1);
      break;
    case 'c':
      check_compare (data + 1, size - 1);
      break;
    default:
      switch (data[0] % 5)
        {
        case 0: check_base64url (data + 1, size - 1); break;
        case 1: check_spki (data + 1, size - 1); break;
        case 2: check_pkcs8 (data + 1, size - 1); break;
        case 3: check_sealed_box (data + 1, size - 1); break;
        default: check_compare (data + 1, size - 1); break;
        }
    }

  return 0;
}
