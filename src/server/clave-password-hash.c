/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "clave-crypto.h"
#include "clave-password-hash.h"

#define PREFIX    "pbkdf2-sha256"
#define SALT_SIZE 16
#define HASH_SIZE 32

static gboolean
derive (const char   *password,
        const guint8 *salt,
        gsize         salt_len,
        guint         iterations,
        guint8        out[HASH_SIZE])
{
  gnutls_datum_t key = { (unsigned char *) password, (unsigned int) strlen (password) };
  gnutls_datum_t salt_datum = { (unsigned char *) salt, (unsigned int) salt_len };

  return gnutls_pbkdf2 (GNUTLS_MAC_SHA256, &key, &salt_datum, iterations, out, HASH_SIZE) == 0;
}

char *
clave_password_hash_new_full (const char *password,
                              guint       iterations)
{
  g_autoptr(GBytes) salt = clave_random_bytes (SALT_SIZE);
  g_autofree char *salt_text = NULL;
  g_autofree char *hash_text = NULL;
  guint8 hash[HASH_SIZE];

  g_return_val_if_fail (password != NULL, NULL);

  if (!derive (password, g_bytes_get_data (salt, NULL), SALT_SIZE, iterations, hash))
    g_error ("gnutls_pbkdf2 failed");
  salt_text = clave_base64url_encode (g_bytes_get_data (salt, NULL), SALT_SIZE);
  hash_text = clave_base64url_encode (hash, HASH_SIZE);
  explicit_bzero (hash, sizeof hash);
  return g_strdup_printf (PREFIX "$%u$%s$%s", iterations, salt_text, hash_text);
}

char *
clave_password_hash_new (const char *password)
{
  return clave_password_hash_new_full (password, CLAVE_PASSWORD_HASH_ITERATIONS);
}

gboolean
clave_password_hash_verify (const char *password,
                            const char *stored)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GBytes) salt = NULL;
  g_autofree char *computed = NULL;
  guint8 hash[HASH_SIZE];
  guint64 iterations;
  const guint8 *salt_data;
  gsize salt_len = 0;
  char *end = NULL;
  gboolean same;

  if (password == NULL || stored == NULL)
    return FALSE;
  parts = g_strsplit (stored, "$", -1);
  if (g_strv_length (parts) != 4 || !g_str_equal (parts[0], PREFIX))
    return FALSE;
  iterations = g_ascii_strtoull (parts[1], &end, 10);
  if (end == parts[1] || *end != '\0' || iterations == 0 ||
      iterations > CLAVE_PASSWORD_HASH_MAX_ITERATIONS)
    return FALSE;
  salt = clave_base64url_decode (parts[2], NULL);
  if (salt == NULL || g_bytes_get_size (salt) == 0)
    return FALSE;

  salt_data = g_bytes_get_data (salt, &salt_len);
  if (!derive (password, salt_data, salt_len, (guint) iterations, hash))
    return FALSE;
  computed = clave_base64url_encode (hash, HASH_SIZE);
  explicit_bzero (hash, sizeof hash);
  same = clave_constant_time_equal (computed, parts[3]);
  return same;
}
