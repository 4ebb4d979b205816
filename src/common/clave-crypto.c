/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-crypto"

#include "config.h"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <string.h>

#include "clave-crypto.h"
#include "clave-protocol.h"

/* Everything here keeps its state on the stack or in its own GnuTLS handles,
 * so the functions can run concurrently in GTask threads. GnuTLS (>= 3.3)
 * initialises itself when the library is loaded. */

#define SEALED_SALT_LEN   16
#define SEALED_IV_LEN     12
#define SEALED_TAG_LEN    16
#define SEALED_KEY_LEN    32

#define P256_FIELD_LEN    32
#define P256_RAW_SIG_LEN  (2 * P256_FIELD_LEN)

static void
set_gnutls_error (GError     **error,
                  int          code,
                  const char  *what)
{
  g_set_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_FAILED,
               "%s: %s", what, gnutls_strerror (code));
}

static void
fill_random (void  *buffer,
             gsize  n)
{
  int ret;

  if (n == 0)
    return;

  /* Failing to get randomness is not something a caller can recover from,
   * and carrying on with predictable bytes would be worse than stopping. */
  ret = gnutls_rnd (GNUTLS_RND_KEY, buffer, n);
  if (ret < 0)
    g_error ("gnutls_rnd failed: %s", gnutls_strerror (ret));
}

GBytes *
clave_random_bytes (gsize n)
{
  guint8 *buffer = g_malloc (MAX (n, 1));

  fill_random (buffer, n);
  return g_bytes_new_take (buffer, n);
}

char *
clave_random_token (gsize n_bytes)
{
  guint8 *buffer = g_malloc (MAX (n_bytes, 1));
  char *token;

  fill_random (buffer, n_bytes);
  token = clave_base64url_encode (buffer, n_bytes);
  gnutls_memset (buffer, 0, n_bytes);
  g_free (buffer);

  return token;
}

char *
clave_random_digits (guint n)
{
  char *digits = g_malloc ((gsize) n + 1);
  guint filled = 0;

  while (filled < n)
    {
      guint8 pool[64];

      fill_random (pool, sizeof pool);
      /* 250 is the largest multiple of 10 that fits in a byte: rejecting
       * 250..255 keeps every digit equally likely. */
      for (gsize i = 0; i < sizeof pool && filled < n; i++)
        if (pool[i] < 250)
          digits[filled++] = (char) ('0' + pool[i] % 10);

      gnutls_memset (pool, 0, sizeof pool);
    }
  digits[n] = '\0';

  return digits;
}

char *
clave_base64url_encode (const guint8 *data,
                        gsize         len)
{
  char *text;
  gsize out = 0;

  if (len == 0)
    return g_strdup ("");

  text = g_base64_encode (data, len);
  for (gsize i = 0; text[i] != '\0'; i++)
    {
      switch (text[i])
        {
        case '+':
          text[out++] = '-';
          break;
        case '/':
          text[out++] = '_';
          break;
        case '=':
          break;
        default:
          text[out++] = text[i];
          break;
        }
    }
  text[out] = '\0';

  return text;
}

static gboolean
is_base64url_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

GBytes *
clave_base64url_decode (const char  *text,
                        GError     **error)
{
  g_autofree char *standard = NULL;
  g_autofree guchar *data = NULL;
  g_autofree char *again = NULL;
  gsize len, data_len = 0;

  if (text == NULL)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Missing base64url text");
      return NULL;
    }

  len = strlen (text);
  if (len == 0)
    return g_bytes_new (NULL, 0);

  for (gsize i = 0; i < len; i++)
    if (!is_base64url_char (text[i]))
      {
        g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                             "Invalid character in base64url text");
        return NULL;
      }

  if (len % 4 == 1 || len > G_MAXSIZE / 2)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Invalid base64url length");
      return NULL;
    }

  standard = g_malloc (len + 4);
  for (gsize i = 0; i < len; i++)
    standard[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
  memset (standard + len, '=', (4 - len % 4) % 4);
  standard[len + (4 - len % 4) % 4] = '\0';

  data = g_base64_decode (standard, &data_len);

  /* One text, one value: unused trailing bits must be zero, otherwise two
   * different strings would decode to the same bytes. */
  again = clave_base64url_encode (data, data_len);
  if (strcmp (again, text) != 0)
    {
      if (data != NULL)
        gnutls_memset (data, 0, data_len);
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Non-canonical base64url text");
      return NULL;
    }

  return g_bytes_new_take (g_steal_pointer (&data), data_len);
}

char *
clave_sha256_hex (const void *data,
                  gsize       len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data != NULL ? data : (const void *) "", len);
}

static char *
hex_encode (const guint8 *data,
            gsize         len)
{
  static const char digits[] = "0123456789abcdef";
  char *hex = g_malloc (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    {
      hex[2 * i] = digits[data[i] >> 4];
      hex[2 * i + 1] = digits[data[i] & 0xf];
    }
  hex[len * 2] = '\0';

  return hex;
}

char *
clave_hmac_sha256_hex (GBytes     *key,
                       const char *data)
{
  guint8 digest[32];
  const void *key_data;
  gsize key_len = 0;
  char *hex;
  int ret;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  key_data = g_bytes_get_data (key, &key_len);
  ret = gnutls_hmac_fast (GNUTLS_MAC_SHA256, key_len > 0 ? key_data : "", key_len,
                          data, strlen (data), digest);
  if (ret < 0)
    {
      g_critical ("HMAC-SHA256 failed: %s", gnutls_strerror (ret));
      return NULL;
    }

  hex = hex_encode (digest, sizeof digest);
  gnutls_memset (digest, 0, sizeof digest);

  return hex;
}

gboolean
clave_constant_time_equal (const char *a,
                           const char *b)
{
  gsize len_a, len_b;

  if (a == NULL || b == NULL)
    return FALSE;

  len_a = strlen (a);
  len_b = strlen (b);

  /* Only the length may leak; the values compared here (hashes, codes,
   * tokens) have public, fixed lengths. */
  if (len_a != len_b)
    return FALSE;

  return gnutls_memcmp (a, b, len_a) == 0;
}

GBytes *
clave_registration_proof_data (const char *activation_id)
{
  char *text;

  g_return_val_if_fail (activation_id != NULL, NULL);

  text = g_strconcat (CLAVE_REGISTRATION_PROOF_PREFIX, activation_id, NULL);
  return g_bytes_new_take (text, strlen (text));
}

void
clave_secret_free (char *secret)
{
  if (secret == NULL)
    return;

  gnutls_memset (secret, 0, strlen (secret));
  g_free (secret);
}

/* Sealed box */

static gboolean
derive_key (const char  *pin,
            GBytes      *salt,
            guint        iterations,
            guint8       key[SEALED_KEY_LEN],
            GError     **error)
{
  gnutls_datum_t pin_datum;
  gnutls_datum_t salt_datum;
  gsize salt_len = 0;
  int ret;

  pin_datum.data = (unsigned char *) pin;
  pin_datum.size = (unsigned int) strlen (pin);
  salt_datum.data = (unsigned char *) g_bytes_get_data (salt, &salt_len);
  salt_datum.size = (unsigned int) salt_len;

  ret = gnutls_pbkdf2 (GNUTLS_MAC_SHA256, &pin_datum, &salt_datum, iterations,
                       key, SEALED_KEY_LEN);
  if (ret < 0)
    {
      gnutls_memset (key, 0, SEALED_KEY_LEN);
      set_gnutls_error (error, ret, "PBKDF2 failed");
      return FALSE;
    }

  return TRUE;
}

static gnutls_aead_cipher_hd_t
aead_open (guint8   key[SEALED_KEY_LEN],
           GError **error)
{
  gnutls_aead_cipher_hd_t handle = NULL;
  gnutls_datum_t key_datum = { key, SEALED_KEY_LEN };
  int ret;

  ret = gnutls_aead_cipher_init (&handle, GNUTLS_CIPHER_AES_256_GCM, &key_datum);
  gnutls_memset (key, 0, SEALED_KEY_LEN);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "AES-256-GCM setup failed");
      return NULL;
    }

  return handle;
}

/* AES-256-GCM with @key (wiped) and @iv over @in: encrypts to in || tag,
 * or decrypts in || tag. CLAVE_CRYPTO_ERROR_WRONG_PIN when the tag does
 * not verify. */
static GBytes *
aead_run (gboolean      encrypt,
          guint8        key[SEALED_KEY_LEN],
          const guint8 *iv,
          const void   *aad,
          gsize         aad_len,
          const void   *in,
          gsize         in_len,
          GError      **error)
{
  gnutls_aead_cipher_hd_t handle = aead_open (key, error);
  gsize out_cap = encrypt ? in_len + SEALED_TAG_LEN : MAX (in_len, SEALED_TAG_LEN) - SEALED_TAG_LEN;
  size_t out_len = out_cap;
  guint8 *out;
  int ret;

  if (handle == NULL)
    return NULL;
  if (!encrypt && in_len < SEALED_TAG_LEN)
    {
      gnutls_aead_cipher_deinit (handle);
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Malformed sealed data");
      return NULL;
    }

  out = g_malloc (MAX (out_cap, 1));
  if (encrypt)
    ret = gnutls_aead_cipher_encrypt (handle, iv, SEALED_IV_LEN, aad, aad_len, SEALED_TAG_LEN,
                                      in_len > 0 ? in : "", in_len, out, &out_len);
  else
    ret = gnutls_aead_cipher_decrypt (handle, iv, SEALED_IV_LEN, aad, aad_len, SEALED_TAG_LEN,
                                      in, in_len, out, &out_len);
  gnutls_aead_cipher_deinit (handle);
  if (ret < 0)
    {
      gnutls_memset (out, 0, MAX (out_cap, 1));
      g_free (out);
      if (ret == GNUTLS_E_DECRYPTION_FAILED)
        g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN,
                             "The PIN is not correct");
      else
        set_gnutls_error (error, ret, encrypt ? "AES-256-GCM encryption failed"
                                              : "AES-256-GCM decryption failed");
      return NULL;
    }

  return g_bytes_new_take (out, out_len);
}

ClaveSealedBox *
clave_sealed_box_seal (const char  *pin,
                       guint        iterations,
                       GBytes      *plaintext,
                       GError     **error)
{
  g_autoptr(ClaveSealedBox) box = NULL;
  guint8 key[SEALED_KEY_LEN];
  const void *plain_data;
  gsize plain_len = 0;

  g_return_val_if_fail (pin != NULL, NULL);
  g_return_val_if_fail (plaintext != NULL, NULL);
  g_return_val_if_fail (iterations > 0 && iterations <= CLAVE_SEALED_BOX_MAX_ITERATIONS, NULL);

  box = g_new0 (ClaveSealedBox, 1);
  box->iterations = iterations;
  box->salt = clave_random_bytes (SEALED_SALT_LEN);
  box->iv = clave_random_bytes (SEALED_IV_LEN);

  if (!derive_key (pin, box->salt, iterations, key, error))
    return NULL;

  plain_data = g_bytes_get_data (plaintext, &plain_len);
  box->ciphertext = aead_run (TRUE, key, g_bytes_get_data (box->iv, NULL), NULL, 0,
                              plain_data, plain_len, error);
  if (box->ciphertext == NULL)
    return NULL;

  return g_steal_pointer (&box);
}

GBytes *
clave_sealed_box_open (const ClaveSealedBox  *box,
                       const char            *pin,
                       GError               **error)
{
  guint8 key[SEALED_KEY_LEN];
  const void *cipher_data;
  gsize cipher_len = 0;

  g_return_val_if_fail (pin != NULL, NULL);

  if (box == NULL || box->salt == NULL || box->iv == NULL || box->ciphertext == NULL
      || g_bytes_get_size (box->salt) < 8
      || g_bytes_get_size (box->iv) != SEALED_IV_LEN
      || g_bytes_get_size (box->ciphertext) < SEALED_TAG_LEN
      || box->iterations == 0 || box->iterations > CLAVE_SEALED_BOX_MAX_ITERATIONS)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Malformed sealed box");
      return NULL;
    }

  if (!derive_key (pin, box->salt, box->iterations, key, error))
    return NULL;

  cipher_data = g_bytes_get_data (box->ciphertext, &cipher_len);
  return aead_run (FALSE, key, g_bytes_get_data (box->iv, NULL), NULL, 0,
                   cipher_data, cipher_len, error);
}

/* A key for clave_aead_seal(): exactly 32 bytes, copied to @key. */
static gboolean
copy_aead_key (GBytes   *bytes,
               guint8    key[SEALED_KEY_LEN],
               GError  **error)
{
  if (bytes == NULL || g_bytes_get_size (bytes) != SEALED_KEY_LEN)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "An AES-256 key must be 32 bytes");
      return FALSE;
    }
  memcpy (key, g_bytes_get_data (bytes, NULL), SEALED_KEY_LEN);
  return TRUE;
}

GBytes *
clave_aead_seal (GBytes      *key,
                 const char  *aad,
                 GBytes      *plaintext,
                 GError     **error)
{
  guint8 raw_key[SEALED_KEY_LEN];
  g_autoptr(GBytes) iv = clave_random_bytes (SEALED_IV_LEN);
  g_autoptr(GBytes) sealed = NULL;
  const void *plain_data, *sealed_data;
  gsize plain_len = 0, sealed_len = 0;
  GByteArray *out;

  g_return_val_if_fail (aad != NULL && plaintext != NULL, NULL);

  if (!copy_aead_key (key, raw_key, error))
    return NULL;
  plain_data = g_bytes_get_data (plaintext, &plain_len);
  sealed = aead_run (TRUE, raw_key, g_bytes_get_data (iv, NULL), aad, strlen (aad),
                     plain_data, plain_len, error);
  if (sealed == NULL)
    return NULL;

  sealed_data = g_bytes_get_data (sealed, &sealed_len);
  out = g_byte_array_sized_new (SEALED_IV_LEN + (guint) sealed_len);
  g_byte_array_append (out, g_bytes_get_data (iv, NULL), SEALED_IV_LEN);
  g_byte_array_append (out, sealed_data, (guint) sealed_len);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
clave_aead_open (GBytes      *key,
                 const char  *aad,
                 GBytes      *sealed,
                 GError     **error)
{
  guint8 raw_key[SEALED_KEY_LEN];
  const guint8 *data;
  gsize len = 0;

  g_return_val_if_fail (aad != NULL && sealed != NULL, NULL);

  data = g_bytes_get_data (sealed, &len);
  if (len < SEALED_IV_LEN + SEALED_TAG_LEN)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Malformed sealed data");
      return NULL;
    }
  if (!copy_aead_key (key, raw_key, error))
    return NULL;
  return aead_run (FALSE, raw_key, data, aad, strlen (aad),
                   data + SEALED_IV_LEN, len - SEALED_IV_LEN, error);
}

void
clave_sealed_box_free (ClaveSealedBox *box)
{
  if (box == NULL)
    return;

  g_clear_pointer (&box->salt, g_bytes_unref);
  g_clear_pointer (&box->iv, g_bytes_unref);
  g_clear_pointer (&box->ciphertext, g_bytes_unref);
  g_free (box);
}

/* EC keys */

static void
secure_datum_free (gnutls_datum_t *datum)
{
  if (datum->data != NULL)
    {
      gnutls_memset (datum->data, 0, datum->size);
      gnutls_free (datum->data);
    }
  datum->data = NULL;
  datum->size = 0;
}

static void
datum_free (gnutls_datum_t *datum)
{
  gnutls_free (datum->data);
  datum->data = NULL;
  datum->size = 0;
}

static GBytes *
datum_to_bytes (const gnutls_datum_t *datum)
{
  return g_bytes_new (datum->data, datum->size);
}

static gboolean
datum_from_bytes (GBytes          *bytes,
                  gnutls_datum_t  *datum)
{
  gsize size = 0;
  const void *data;

  if (bytes == NULL)
    return FALSE;

  data = g_bytes_get_data (bytes, &size);
  if (size == 0 || size > G_MAXUINT32)
    return FALSE;

  datum->data = (unsigned char *) data;
  datum->size = (unsigned int) size;
  return TRUE;
}

gnutls_privkey_t
clave_ec_key_generate (GError **error)
{
  g_auto(gnutls_privkey_t) key = NULL;
  int ret;

  ret = gnutls_privkey_init (&key);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot create a private key");
      return NULL;
    }

  ret = gnutls_privkey_generate2 (key, GNUTLS_PK_ECDSA,
                                  GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                  0, NULL, 0);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot generate an ECDSA P-256 key");
      return NULL;
    }

  return g_steal_pointer (&key);
}

GBytes *
clave_privkey_export_pkcs8 (gnutls_privkey_t   key,
                            GError           **error)
{
  gnutls_x509_privkey_t x509 = NULL;
  gnutls_datum_t der = { NULL, 0 };
  GBytes *bytes;
  int ret;

  g_return_val_if_fail (key != NULL, NULL);

  ret = gnutls_privkey_export_x509 (key, &x509);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot export the private key");
      return NULL;
    }

  /* Unencrypted PKCS#8: the sealed box is what protects it at rest. */
  ret = gnutls_x509_privkey_export2_pkcs8 (x509, GNUTLS_X509_FMT_DER, NULL,
                                           GNUTLS_PKCS_PLAIN, &der);
  gnutls_x509_privkey_deinit (x509);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot encode the private key as PKCS#8");
      return NULL;
    }

  bytes = datum_to_bytes (&der);
  secure_datum_free (&der);

  return bytes;
}

static gboolean
privkey_is_p256 (gnutls_privkey_t key)
{
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 }, k = { NULL, 0 };
  gboolean ok;

  if (gnutls_privkey_get_pk_algorithm (key, NULL) != GNUTLS_PK_ECDSA)
    return FALSE;

  ok = gnutls_privkey_export_ecc_raw2 (key, &curve, &x, &y, &k, 0) >= 0
       && curve == GNUTLS_ECC_CURVE_SECP256R1;

  datum_free (&x);
  datum_free (&y);
  secure_datum_free (&k);

  return ok;
}

gnutls_privkey_t
clave_privkey_import_pkcs8 (GBytes   *der,
                            GError  **error)
{
  gnutls_x509_privkey_t x509 = NULL;
  g_auto(gnutls_privkey_t) key = NULL;
  gnutls_datum_t datum;
  int ret;

  if (!datum_from_bytes (der, &datum))
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Empty private key");
      return NULL;
    }

  ret = gnutls_x509_privkey_init (&x509);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot create a private key");
      return NULL;
    }

  ret = gnutls_x509_privkey_import_pkcs8 (x509, &datum, GNUTLS_X509_FMT_DER, NULL,
                                          GNUTLS_PKCS_PLAIN);
  if (ret < 0)
    {
      gnutls_x509_privkey_deinit (x509);
      g_set_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                   "Not a PKCS#8 private key: %s", gnutls_strerror (ret));
      return NULL;
    }

  ret = gnutls_privkey_init (&key);
  if (ret < 0)
    {
      gnutls_x509_privkey_deinit (x509);
      set_gnutls_error (error, ret, "Cannot create a private key");
      return NULL;
    }

  ret = gnutls_privkey_import_x509 (key, x509, GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
  if (ret < 0)
    {
      gnutls_x509_privkey_deinit (x509);
      set_gnutls_error (error, ret, "Cannot import the private key");
      return NULL;
    }

  if (!privkey_is_p256 (key))
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "The private key is not an ECDSA P-256 key");
      return NULL;
    }

  /* PKCS#8 carries the public point beside the scalar, and GnuTLS takes
   * it as it is: a point that is not the scalar's would make every
   * signature fail under the key the service knows. */
  if (gnutls_privkey_verify_params (key) < 0)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "The private key's public point is not its own");
      return NULL;
    }

  return g_steal_pointer (&key);
}

GBytes *
clave_privkey_export_spki (gnutls_privkey_t   key,
                           GError           **error)
{
  g_auto(gnutls_pubkey_t) pub = NULL;
  gnutls_datum_t der = { NULL, 0 };
  GBytes *bytes;
  int ret;

  g_return_val_if_fail (key != NULL, NULL);

  ret = gnutls_pubkey_init (&pub);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot create a public key");
      return NULL;
    }

  ret = gnutls_pubkey_import_privkey (pub, key, 0, 0);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot derive the public key");
      return NULL;
    }

  ret = gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &der);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot encode the public key");
      return NULL;
    }

  bytes = datum_to_bytes (&der);
  datum_free (&der);

  return bytes;
}

gnutls_pubkey_t
clave_pubkey_import_spki (GBytes   *der,
                          GError  **error)
{
  g_auto(gnutls_pubkey_t) pub = NULL;
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  gnutls_datum_t datum;
  gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
  int ret;

  if (!datum_from_bytes (der, &datum))
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Empty public key");
      return NULL;
    }

  ret = gnutls_pubkey_init (&pub);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot create a public key");
      return NULL;
    }

  ret = gnutls_pubkey_import (pub, &datum, GNUTLS_X509_FMT_DER);
  if (ret < 0)
    {
      g_set_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                   "Not a SubjectPublicKeyInfo: %s", gnutls_strerror (ret));
      return NULL;
    }

  if (gnutls_pubkey_get_pk_algorithm (pub, NULL) != GNUTLS_PK_ECDSA)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "The public key is not an ECDSA key");
      return NULL;
    }

  ret = gnutls_pubkey_export_ecc_raw2 (pub, &curve, &x, &y, 0);
  datum_free (&x);
  datum_free (&y);
  if (ret < 0 || curve != GNUTLS_ECC_CURVE_SECP256R1)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "The public key is not on the P-256 curve");
      return NULL;
    }

  return g_steal_pointer (&pub);
}

/* Writes a DER INTEGER value (big-endian, maybe with a sign byte or fewer
 * bytes than the field) as exactly 32 bytes. */
static gboolean
integer_to_field (const gnutls_datum_t *value,
                  guint8               *out)
{
  const guint8 *p = value->data;
  gsize len = value->size;

  while (len > 0 && *p == 0)
    {
      p++;
      len--;
    }

  if (len > P256_FIELD_LEN)
    return FALSE;

  memset (out, 0, P256_FIELD_LEN - len);
  if (len > 0)
    memcpy (out + P256_FIELD_LEN - len, p, len);

  return TRUE;
}

/* The shortest big-endian form of a field element, for DER encoding. */
static gnutls_datum_t
field_to_integer (const guint8 *field)
{
  gsize skip = 0;
  gnutls_datum_t datum;

  while (skip < P256_FIELD_LEN - 1 && field[skip] == 0)
    skip++;

  datum.data = (unsigned char *) field + skip;
  datum.size = (unsigned int) (P256_FIELD_LEN - skip);

  return datum;
}

GBytes *
clave_ecdsa_sign (gnutls_privkey_t   key,
                  GBytes            *data,
                  GError           **error)
{
  gnutls_datum_t data_datum;
  gnutls_datum_t der = { NULL, 0 };
  gnutls_datum_t r = { NULL, 0 }, s = { NULL, 0 };
  guint8 raw[P256_RAW_SIG_LEN];
  gsize size = 0;
  gboolean ok;
  int ret;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  data_datum.data = (unsigned char *) g_bytes_get_data (data, &size);
  data_datum.size = (unsigned int) size;
  if (data_datum.data == NULL)
    data_datum.data = (unsigned char *) "";

  ret = gnutls_privkey_sign_data2 (key, GNUTLS_SIGN_ECDSA_SHA256, 0, &data_datum, &der);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "ECDSA signing failed");
      return NULL;
    }

  ret = gnutls_decode_rs_value (&der, &r, &s);
  datum_free (&der);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot decode the ECDSA signature");
      return NULL;
    }

  ok = integer_to_field (&r, raw) && integer_to_field (&s, raw + P256_FIELD_LEN);
  datum_free (&r);
  datum_free (&s);
  if (!ok)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_FAILED,
                           "The ECDSA signature is not a P-256 signature");
      return NULL;
    }

  return g_bytes_new (raw, sizeof raw);
}

gboolean
clave_ecdsa_verify (gnutls_pubkey_t   key,
                    GBytes           *data,
                    GBytes           *signature,
                    GError          **error)
{
  gnutls_datum_t data_datum;
  gnutls_datum_t der = { NULL, 0 };
  gnutls_datum_t r, s;
  const guint8 *raw;
  gsize size = 0;
  int ret;

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  if (signature == NULL || g_bytes_get_size (signature) != P256_RAW_SIG_LEN)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "An ECDSA P-256 signature must be 64 bytes (r || s)");
      return FALSE;
    }

  raw = g_bytes_get_data (signature, NULL);
  r = field_to_integer (raw);
  s = field_to_integer (raw + P256_FIELD_LEN);

  ret = gnutls_encode_rs_value (&der, &r, &s);
  if (ret < 0)
    {
      set_gnutls_error (error, ret, "Cannot encode the ECDSA signature");
      return FALSE;
    }

  data_datum.data = (unsigned char *) g_bytes_get_data (data, &size);
  data_datum.size = (unsigned int) size;
  if (data_datum.data == NULL)
    data_datum.data = (unsigned char *) "";

  ret = gnutls_pubkey_verify_data2 (key, GNUTLS_SIGN_ECDSA_SHA256, 0, &data_datum, &der);
  datum_free (&der);
  if (ret < 0)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "The signature does not verify");
      return FALSE;
    }

  return TRUE;
}
