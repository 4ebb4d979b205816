/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-http-sig"

#include "config.h"

#include <gio/gio.h>
#include <gnutls/x509.h>
#include <string.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"

#define URI       "https://127.0.0.1:8443/v1/me"
#define EMPTY_DIGEST "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"
#define CREATED   G_GINT64_CONSTANT (1732870000)
#define NONCE     "bm9uY2Utbm9uY2Utbm9u"
#define KEYID     "dev_0123456789"

/* RFC 9421 appendix B.1.3, "test-key-ecc-p256". */
static const char rfc_ecc_p256_spki_b64[] =
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf"
  "w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==";
static const char rfc_ecc_p256_sec1_pem[] =
  "-----BEGIN EC PRIVATE KEY-----\n"
  "MHcCAQEEIFKbhfNZfpDsW43+0+JjUr9K+bTeuxopu653+hBaXGA7oAoGCCqGSM49\n"
  "AwEHoUQDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lfw0EkjqF7xB4FivAxzic30tMM\n"
  "4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==\n"
  "-----END EC PRIVATE KEY-----\n";

/* RFC 9421 appendix B.2.4: a response signed with ecdsa-p256-sha256. */
static const char rfc_b24_base[] =
  "\"@status\": 200\n"
  "\"content-type\": application/json\n"
  "\"content-digest\": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:\n"
  "\"content-length\": 23\n"
  "\"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\"";
static const char rfc_b24_signature_input[] =
  "sig-b24=(\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\"";
static const char rfc_b24_signature[] =
  "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:";
static const char rfc_b24_signature_b64[] =
  "wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==";

typedef struct {
  gnutls_privkey_t key;
  gnutls_pubkey_t  pub;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = NULL;

  fixture->key = clave_ec_key_generate (&error);
  g_assert_no_error (error);
  spki = clave_privkey_export_spki (fixture->key, &error);
  g_assert_no_error (error);
  fixture->pub = clave_pubkey_import_spki (spki, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gnutls_privkey_deinit (fixture->key);
  gnutls_pubkey_deinit (fixture->pub);
}

static GBytes *
sign_with_key (GBytes   *base,
               gpointer  user_data,
               GError  **error)
{
  return clave_ecdsa_sign (user_data, base, error);
}

static GBytes *
sign_badly (GBytes   *base,
            gpointer  user_data,
            GError  **error)
{
  return g_bytes_new ("not a signature", 15);
}

static GBytes *
sign_fails (GBytes   *base,
            gpointer  user_data,
            GError  **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  return NULL;
}

static ClaveHttpSigHeaders *
sign_request (Fixture    *fixture,
              const char *method,
              const char *uri,
              GBytes     *body)
{
  g_autoptr(GError) error = NULL;
  ClaveHttpSigHeaders *headers;

  headers = clave_http_sig_sign (method, uri, body, KEYID, CREATED, NONCE,
                                 sign_with_key, fixture->key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (headers);

  return headers;
}

/* Parses and verifies; returns the error code, or -1 if it verified. */
static int
check (Fixture    *fixture,
       const char *signature_input,
       const char *signature,
       const char *method,
       const char *uri,
       const char *content_digest,
       GBytes     *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveHttpSigInput) input = NULL;

  input = clave_http_sig_parse (signature_input, signature, &error);
  if (input == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == CLAVE_HTTP_SIG_ERROR);
      g_test_message ("parse: %s", error->message);
      return error->code;
    }
  g_assert_no_error (error);

  if (!clave_http_sig_verify (input, fixture->pub, method, uri, content_digest, body, &error))
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == CLAVE_HTTP_SIG_ERROR);
      g_test_message ("verify: %s", error->message);
      return error->code;
    }
  g_assert_no_error (error);

  return -1;
}

static void
test_content_digest (void)
{
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) hello = g_bytes_new_static ("{\"hello\": \"world\"}", 18);
  g_autofree char *of_null = clave_content_digest (NULL);
  g_autofree char *of_empty = clave_content_digest (empty);
  g_autofree char *of_hello = clave_content_digest (hello);

  g_assert_cmpstr (of_null, ==, EMPTY_DIGEST);
  g_assert_cmpstr (of_empty, ==, EMPTY_DIGEST);
  /* RFC 9530 section 2 example. */
  g_assert_cmpstr (of_hello, ==, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
}

static void
test_params (void)
{
  g_autofree char *params = clave_http_sig_params (CREATED, "n", "dev_1");
  g_autofree char *escaped = clave_http_sig_params (0, "a\"b", "c\\d");

  g_assert_cmpstr (params, ==,
                   "(\"@method\" \"@target-uri\" \"content-digest\");created=1732870000;"
                   "nonce=\"n\";keyid=\"dev_1\";alg=\"ecdsa-p256-sha256\"");
  g_assert_cmpstr (escaped, ==,
                   "(\"@method\" \"@target-uri\" \"content-digest\");created=0;"
                   "nonce=\"a\\\"b\";keyid=\"c\\\\d\";alg=\"ecdsa-p256-sha256\"");
}

static void
test_base (void)
{
  g_autofree char *params = clave_http_sig_params (CREATED, NONCE, KEYID);
  g_autofree char *base = clave_http_sig_base ("GET", URI, EMPTY_DIGEST, params);

  g_assert_cmpstr (base, ==,
                   "\"@method\": GET\n"
                   "\"@target-uri\": https://127.0.0.1:8443/v1/me\n"
                   "\"content-digest\": sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:\n"
                   "\"@signature-params\": (\"@method\" \"@target-uri\" \"content-digest\");created=1732870000;"
                   "nonce=\"bm9uY2Utbm9uY2Utbm9u\";keyid=\"dev_0123456789\";alg=\"ecdsa-p256-sha256\"");
}

static void
test_sign_headers (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(ClaveHttpSigHeaders) headers = sign_request (fixture, "GET", URI, NULL);
  g_autofree char *params = clave_http_sig_params (CREATED, NONCE, KEYID);
  g_autofree char *expected_input = g_strconcat ("clave=", params, NULL);
  gsize len;

  g_assert_cmpstr (headers->content_digest, ==, EMPTY_DIGEST);
  g_assert_cmpstr (headers->signature_input, ==, expected_input);
  /* clave=: + base64 of 64 bytes (88 characters) + : */
  len = strlen (headers->signature);
  g_assert_cmpuint (len, ==, 7 + 88 + 1);
  g_assert_true (g_str_has_prefix (headers->signature, "clave=:"));
  g_assert_true (g_str_has_suffix (headers->signature, ":"));
}

static void
test_sign_errors (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  ClaveHttpSigHeaders *headers;

  headers = clave_http_sig_sign ("GET", URI, NULL, KEYID, CREATED, NONCE, sign_badly, NULL, &error);
  g_assert_null (headers);
  g_assert_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED);
  g_clear_error (&error);

  /* The signer's own error reaches the caller unchanged. */
  headers = clave_http_sig_sign ("GET", URI, NULL, KEYID, CREATED, NONCE, sign_fails, NULL, &error);
  g_assert_null (headers);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  headers = clave_http_sig_sign ("GET", URI, NULL, "dev\n1", CREATED, NONCE, sign_with_key,
                                 fixture->key, &error);
  g_assert_null (headers);
  g_assert_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED);
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"name\": \"Clave Desktop\"}", 25);
  g_autoptr(ClaveHttpSigHeaders) get = sign_request (fixture, "GET", URI, NULL);
  g_autoptr(ClaveHttpSigHeaders) post = sign_request (fixture, "POST", "https://localhost:8443/v1/device?x=1", body);
  g_autoptr(ClaveHttpSigInput) input = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *params = clave_http_sig_params (CREATED, NONCE, KEYID);

  input = clave_http_sig_parse (get->signature_input, get->signature, &error);
  g_assert_no_error (error);
  g_assert_cmpint (input->created, ==, CREATED);
  g_assert_cmpstr (input->nonce, ==, NONCE);
  g_assert_cmpstr (input->keyid, ==, KEYID);
  g_assert_cmpstr (input->alg, ==, "ecdsa-p256-sha256");
  g_assert_cmpstr (input->params, ==, params);
  g_assert_cmpuint (g_bytes_get_size (input->signature), ==, 64);
  g_assert_true (clave_http_sig_verify (input, fixture->pub, "GET", URI, get->content_digest, NULL, &error));
  g_assert_no_error (error);

  /* An empty GBytes and NULL are the same empty body. */
  {
    g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

    g_assert_cmpint (check (fixture, get->signature_input, get->signature, "GET", URI,
                            get->content_digest, empty), ==, -1);
  }

  g_assert_cmpint (check (fixture, post->signature_input, post->signature, "POST",
                          "https://localhost:8443/v1/device?x=1", post->content_digest, body), ==, -1);
}

static void
test_tampered (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("{\"a\": 1}", 8);
  g_autoptr(GBytes) other_body = g_bytes_new_static ("{\"a\": 2}", 8);
  g_autoptr(ClaveHttpSigHeaders) h = sign_request (fixture, "POST", URI, body);
  g_autofree char *other_digest = clave_content_digest (other_body);
  const char *si = h->signature_input;
  const char *sig = h->signature;
  const char *cd = h->content_digest;

  g_assert_cmpint (check (fixture, si, sig, "POST", URI, cd, body), ==, -1);

  /* method and URI */
  g_assert_cmpint (check (fixture, si, sig, "GET", URI, cd, body), ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  g_assert_cmpint (check (fixture, si, sig, "post", URI, cd, body), ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  g_assert_cmpint (check (fixture, si, sig, "POST", "https://127.0.0.1:8443/v1/device", cd, body),
                   ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  g_assert_cmpint (check (fixture, si, sig, "POST", "https://127.0.0.1:8444/v1/me", cd, body),
                   ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  g_assert_cmpint (check (fixture, si, sig, "POST", URI "?x=1", cd, body),
                   ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);

  /* body: with the original digest it no longer matches; with a digest
   * recomputed for the new body the signature no longer covers it */
  g_assert_cmpint (check (fixture, si, sig, "POST", URI, cd, other_body), ==, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH);
  g_assert_cmpint (check (fixture, si, sig, "POST", URI, cd, NULL), ==, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH);
  g_assert_cmpint (check (fixture, si, sig, "POST", URI, other_digest, other_body), ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  g_assert_cmpint (check (fixture, si, sig, "POST", URI, EMPTY_DIGEST, body), ==, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH);
  g_assert_cmpint (check (fixture, si, sig, "POST", URI, "sha-512=:AAAA:", body), ==, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH);
  g_assert_cmpint (check (fixture, si, sig, "POST", URI, "sha-256=:AAAA:", body), ==, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH);
  g_assert_cmpint (check (fixture, si, sig, "POST", URI, "sha-256=\"x\"", body), ==, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH);
  g_assert_cmpint (check (fixture, si, sig, "POST", URI, "not a digest", body), ==, CLAVE_HTTP_SIG_ERROR_MALFORMED);

  /* params: each one changed */
  {
    g_autofree char *p = clave_http_sig_params (CREATED + 1, NONCE, KEYID);
    g_autofree char *input = g_strconcat ("clave=", p, NULL);
    g_assert_cmpint (check (fixture, input, sig, "POST", URI, cd, body), ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  }
  {
    g_autofree char *p = clave_http_sig_params (CREATED, "another-nonce", KEYID);
    g_autofree char *input = g_strconcat ("clave=", p, NULL);
    g_assert_cmpint (check (fixture, input, sig, "POST", URI, cd, body), ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  }
  {
    g_autofree char *p = clave_http_sig_params (CREATED, NONCE, "dev_other");
    g_autofree char *input = g_strconcat ("clave=", p, NULL);
    g_assert_cmpint (check (fixture, input, sig, "POST", URI, cd, body), ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  }
  {
    /* An extra parameter is covered by the signature too. */
    g_autofree char *input = g_strconcat (si, ";expires=1732870300", NULL);
    g_assert_cmpint (check (fixture, input, sig, "POST", URI, cd, body), ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  }

  /* signature bytes */
  {
    g_autofree char *bad = g_strdup (sig);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    g_assert_cmpint (check (fixture, si, bad, "POST", URI, cd, body), ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  }

  /* another device's key */
  {
    Fixture other;
    g_autoptr(ClaveHttpSigHeaders) h2 = NULL;

    fixture_set_up (&other, NULL);
    h2 = sign_request (&other, "POST", URI, body);
    g_assert_cmpint (check (fixture, h2->signature_input, h2->signature, "POST", URI, cd, body),
                     ==, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
    g_assert_cmpint (check (&other, h2->signature_input, h2->signature, "POST", URI, cd, body), ==, -1);
    fixture_tear_down (&other, NULL);
  }
}

static void
test_tolerant_parsing (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
  g_autoptr(ClaveHttpSigHeaders) h = sign_request (fixture, "POST", URI, body);
  g_autofree char *sig_b64 = g_strndup (h->signature + 7, 88);
  g_autofree char *sig_unpadded = g_strndup (h->signature + 7, 86);
  g_autofree char *params_reordered = NULL;
  g_autoptr(GString) signed_reordered = NULL;
  g_autofree char *base = NULL;
  g_autoptr(GBytes) base_bytes = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *raw_b64 = NULL;

  /* other labels around ours, whitespace after commas, parameters on the
   * Signature member, and base64 without padding */
  {
    g_autofree char *si = g_strdup_printf ("other=(\"@method\");created=1;keyid=\"x\",  %s ,last=?1", h->signature_input);
    g_autofree char *sig = g_strdup_printf ("a=:AAAA:, clave=:%s:;x=1,\tb=2", sig_unpadded);
    g_autofree char *sig2 = g_strdup_printf ("clave=:%s:, z=\"string\"", sig_b64);

    g_assert_cmpint (check (fixture, si, sig, "POST", URI, h->content_digest, body), ==, -1);
    g_assert_cmpint (check (fixture, si, sig2, "POST", URI, h->content_digest, body), ==, -1);
  }

  /* Content-Digest with several algorithms */
  {
    g_autofree char *cd = g_strdup_printf ("sha-512=:z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==:, %s", h->content_digest);

    /* The base covers the header as sent: sign with that header value. */
    {
      g_autofree char *p = clave_http_sig_params (CREATED, NONCE, KEYID);
      g_autofree char *b = clave_http_sig_base ("POST", URI, cd, p);
      g_autoptr(GBytes) bb = g_bytes_new (b, strlen (b));
      g_autoptr(GBytes) s = clave_ecdsa_sign (fixture->key, bb, &error);
      g_autofree char *s64 = NULL;
      g_autofree char *sig = NULL;
      g_autofree char *si = g_strconcat ("clave=", p, NULL);

      g_assert_no_error (error);
      s64 = g_base64_encode (g_bytes_get_data (s, NULL), 64);
      sig = g_strdup_printf ("clave=:%s:", s64);
      g_assert_cmpint (check (fixture, si, sig, "POST", URI, cd, body), ==, -1);
      g_assert_cmpint (check (fixture, si, sig, "POST", URI, cd, NULL), ==, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH);
    }
  }

  /* parameters in another order, with spaces after the semicolons: the
   * base uses them exactly as received */
  params_reordered = g_strdup ("(\"@method\" \"@target-uri\" \"content-digest\"); keyid=\"" KEYID "\";alg=\"ecdsa-p256-sha256\"; nonce=\"" NONCE "\";created=1732870000");
  base = clave_http_sig_base ("POST", URI, h->content_digest, params_reordered);
  base_bytes = g_bytes_new (base, strlen (base));
  raw = clave_ecdsa_sign (fixture->key, base_bytes, &error);
  g_assert_no_error (error);
  raw_b64 = g_base64_encode (g_bytes_get_data (raw, NULL), 64);
  signed_reordered = g_string_new ("clave=");
  g_string_append (signed_reordered, params_reordered);
  {
    g_autofree char *sig = g_strdup_printf ("clave=:%s:", raw_b64);
    g_autoptr(ClaveHttpSigInput) input = clave_http_sig_parse (signed_reordered->str, sig, &error);

    g_assert_no_error (error);
    g_assert_cmpint (input->created, ==, CREATED);
    g_assert_cmpstr (input->nonce, ==, NONCE);
    g_assert_cmpstr (input->keyid, ==, KEYID);
    g_assert_cmpstr (input->params, ==, params_reordered);
    g_assert_cmpint (check (fixture, signed_reordered->str, sig, "POST", URI, h->content_digest, body), ==, -1);
  }
}

typedef struct {
  const char *signature_input;
  const char *signature;
  int         code;
} Malformed;

/* 64 zero bytes: well formed, never a valid signature. */
#define GOOD_SIG "clave=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==:"
#define COMPONENTS "(\"@method\" \"@target-uri\" \"content-digest\")"
#define PARAMS ";created=1;nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\""

static void
test_malformed (Fixture       *fixture,
                gconstpointer  data)
{
  static const Malformed cases[] = {
    /* well formed: gets as far as checking the signature */
    { "clave=" COMPONENTS PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE },
    { "clave=" COMPONENTS PARAMS ";expires=2;tag=\"t\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE },
    /* garbage */
    { NULL, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS, NULL, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "   ", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "garbage!", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "\xff\xfe", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=(", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=(\"@method\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=(\"@method", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=(\"@method\"\"@target-uri\")" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ",", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS " x", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "Clave=" COMPONENTS PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\\x\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\tx\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created=1234567890123456;nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    /* missing label */
    { "other=" COMPONENTS PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS, "other=:AAAA:", CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=\"x\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ", clave=" COMPONENTS PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    /* bad Signature values */
    { "clave=" COMPONENTS PARAMS, "clave=:AAAA:", CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS, "clave=:not base64!:", CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS, "clave=:AAAA", CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS, "clave=\"AAAA\"", CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS, "clave=(:AAAA:)", CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS, "", CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS, GOOD_SIG ", " GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    /* missing params */
    { "clave=" COMPONENTS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=" COMPONENTS ";nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=" COMPONENTS ";created=1;keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";keyid=\"k\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=" COMPONENTS ";created=1;nonce=\"\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";keyid=\"\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    /* params of the wrong type or repeated */
    { "clave=" COMPONENTS ";created=\"1\";nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created=1.5;nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created=-1;nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created=1;nonce=n;keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";keyid=:AAAA:;alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";keyid=\"k\";alg=ecdsa-p256-sha256", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS ";created;nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";created=2", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";nonce=\"m\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";keyid=\"j\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";expires=2;expires=3", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";expires=\"2\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";expires=2.5", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";expires=-2", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=" COMPONENTS PARAMS ";expires", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    /* wrong algorithm */
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";keyid=\"k\";alg=\"rsa-pss-sha512\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_UNSUPPORTED_ALG },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";keyid=\"k\";alg=\"ECDSA-P256-SHA256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_UNSUPPORTED_ALG },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";keyid=\"k\";alg=\"\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_UNSUPPORTED_ALG },
    { "clave=" COMPONENTS ";created=1;nonce=\"n\";keyid=\"k\";alg=\"hmac-sha256\"", GOOD_SIG, CLAVE_HTTP_SIG_ERROR_UNSUPPORTED_ALG },
    /* other components */
    { "clave=()" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=(\"@method\" \"@target-uri\")" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=(\"@method\" \"content-digest\" \"@target-uri\")" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=(\"@method\" \"@target-uri\" \"content-digest\" \"content-type\")" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=(\"@method\" \"@path\" \"content-digest\")" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=(\"@method\" \"@target-uri\" \"content-digest\";sf)" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=(\"@method\" \"@target-uri\" \"content-digest\";req)" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=(@method \"@target-uri\" \"content-digest\")" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MALFORMED },
    { "clave=(method \"@target-uri\" \"content-digest\")" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { "clave=(\"@METHOD\" \"@target-uri\" \"content-digest\")" PARAMS, GOOD_SIG, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT },
    { rfc_b24_signature_input, rfc_b24_signature, CLAVE_HTTP_SIG_ERROR_MALFORMED },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *si = cases[i].signature_input ? g_strescape (cases[i].signature_input, NULL) : NULL;
      g_autofree char *sig = cases[i].signature ? g_strescape (cases[i].signature, NULL) : NULL;

      g_test_message ("case %" G_GSIZE_FORMAT ": Signature-Input: %s / Signature: %s", i, si, sig);
      g_assert_cmpint (check (fixture, cases[i].signature_input, cases[i].signature,
                              "GET", URI, EMPTY_DIGEST, NULL), ==, cases[i].code);
    }

  /* The RFC example under our label: parses, but covers other components. */
  {
    g_autofree char *si = g_strdup_printf ("clave=%s", rfc_b24_signature_input + strlen ("sig-b24="));
    g_autofree char *sig = g_strdup_printf ("clave=%s", rfc_b24_signature + strlen ("sig-b24="));

    g_assert_cmpint (check (fixture, si, sig, "GET", URI, EMPTY_DIGEST, NULL), ==,
                     CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT);
  }
}

/* expires (RFC 9421 section 2.3) is read, and covered like every
 * parameter: the server refuses a signature past it (stale_signature). */
static void
test_expires (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
  g_autofree char *digest = clave_content_digest (body);
  g_autofree char *plain = clave_http_sig_params (CREATED, NONCE, KEYID);
  g_autofree char *params = g_strconcat (plain, ";expires=1732870060", NULL);
  g_autofree char *base = clave_http_sig_base ("POST", URI, digest, params);
  g_autoptr(GBytes) base_bytes = g_bytes_new (base, strlen (base));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = clave_ecdsa_sign (fixture->key, base_bytes, &error);
  g_autofree char *raw_b64 = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *signature_input = g_strconcat ("clave=", params, NULL);
  g_autofree char *plain_input = g_strconcat ("clave=", plain, NULL);
  g_autofree char *stretched = NULL;
  g_autoptr(ClaveHttpSigInput) input = NULL;
  g_autoptr(ClaveHttpSigInput) without = NULL;

  g_assert_no_error (error);
  raw_b64 = g_base64_encode (g_bytes_get_data (raw, NULL), 64);
  signature = g_strdup_printf ("clave=:%s:", raw_b64);

  input = clave_http_sig_parse (signature_input, signature, &error);
  g_assert_no_error (error);
  g_assert_true (input->has_expires);
  g_assert_cmpint (input->expires, ==, G_GINT64_CONSTANT (1732870060));
  g_assert_cmpint (input->created, ==, CREATED);
  g_assert_cmpint (check (fixture, signature_input, signature, "POST", URI, digest, body), ==, -1);

  /* The signature covers expires: another value, or none, breaks it. */
  stretched = g_strconcat ("clave=", plain, ";expires=1999999999", NULL);
  g_assert_cmpint (check (fixture, stretched, signature, "POST", URI, digest, body), ==,
                   CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);
  g_assert_cmpint (check (fixture, plain_input, signature, "POST", URI, digest, body), ==,
                   CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE);

  without = clave_http_sig_parse (plain_input, signature, &error);
  g_assert_no_error (error);
  g_assert_false (without->has_expires);
}

static void
test_hostile (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GBytes) body = g_bytes_new_static ("{}", 2);
  g_autoptr(ClaveHttpSigHeaders) h = sign_request (fixture, "POST", URI, body);
  g_autofree char *huge = g_strnfill (1 << 20, 'a');
  g_autofree char *deep = g_strnfill (100000, '(');
  g_autofree char *many_members = NULL;
  g_autofree char *long_nonce = NULL;
  g_autofree char *huge_digest = NULL;
  GString *s;

  g_assert_cmpint (check (fixture, huge, h->signature, "POST", URI, h->content_digest, body),
                   ==, CLAVE_HTTP_SIG_ERROR_MALFORMED);
  g_assert_cmpint (check (fixture, h->signature_input, huge, "POST", URI, h->content_digest, body),
                   ==, CLAVE_HTTP_SIG_ERROR_MALFORMED);
  g_assert_cmpint (check (fixture, deep, h->signature, "POST", URI, h->content_digest, body),
                   ==, CLAVE_HTTP_SIG_ERROR_MALFORMED);
  huge_digest = g_strconcat ("sha-256=:", huge, ":", NULL);
  g_assert_cmpint (check (fixture, h->signature_input, h->signature, "POST", URI, huge_digest, body),
                   ==, CLAVE_HTTP_SIG_ERROR_MALFORMED);

  /* Just under the size limit, with many members before ours: still fine. */
  s = g_string_new (NULL);
  while (s->len < 7000)
    g_string_append_printf (s, "m%" G_GSIZE_FORMAT "=?1;a=1, ", s->len);
  g_string_append (s, h->signature_input);
  many_members = g_string_free (s, FALSE);
  g_assert_cmpint (check (fixture, many_members, h->signature, "POST", URI, h->content_digest, body), ==, -1);

  long_nonce = g_strdup_printf ("clave=" COMPONENTS ";created=1;nonce=\"%s\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"",
                                huge + (1 << 20) - 9000);
  g_assert_cmpint (check (fixture, long_nonce, h->signature, "POST", URI, h->content_digest, body),
                   ==, CLAVE_HTTP_SIG_ERROR_MALFORMED);

  /* Every prefix of a valid header: no crash, and only the full one works. */
  for (gsize len = 0; len < strlen (h->signature_input); len++)
    {
      g_autofree char *prefix = g_strndup (h->signature_input, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(ClaveHttpSigInput) input = clave_http_sig_parse (prefix, h->signature, &error);

      g_assert_null (input);
      g_assert_nonnull (error);
    }
  for (gsize len = 0; len < strlen (h->signature); len++)
    {
      g_autofree char *prefix = g_strndup (h->signature, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(ClaveHttpSigInput) input = clave_http_sig_parse (h->signature_input, prefix, &error);

      g_assert_null (input);
      g_assert_nonnull (error);
    }

  /* Random bytes and random mutations of a valid header. */
  for (guint round = 0; round < 3000; round++)
    {
      g_autofree char *mutated = g_strdup (h->signature_input);
      g_autoptr(GBytes) noise = clave_random_bytes (8);
      const guint8 *n = g_bytes_get_data (noise, NULL);
      gsize len = strlen (mutated);
      g_autoptr(GError) error = NULL;
      g_autoptr(ClaveHttpSigInput) input = NULL;

      mutated[n[0] % len] = (char) (n[1] == 0 ? 1 : n[1]);
      mutated[n[2] % len] = (char) (n[3] == 0 ? ' ' : n[3]);
      input = clave_http_sig_parse (mutated, h->signature, &error);
      g_assert_true ((input == NULL) != (error == NULL));
      if (input != NULL)
        {
          gboolean ok = clave_http_sig_verify (input, fixture->pub, "POST", URI, h->content_digest, body, &error);
          g_assert_true (ok != (error != NULL));
        }
    }
}

static GBytes *
base64_bytes (const char *b64)
{
  gsize len = 0;
  guchar *data = g_base64_decode (b64, &len);

  return g_bytes_new_take (data, len);
}

static gnutls_pubkey_t
rfc_public_key (void)
{
  g_autoptr(GBytes) spki = base64_bytes (rfc_ecc_p256_spki_b64);
  g_autoptr(GError) error = NULL;
  gnutls_pubkey_t pub;

  pub = clave_pubkey_import_spki (spki, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pub);

  return pub;
}

/* Interoperability of the raw r || s encoding: the RFC's own signature,
 * made by another implementation, verifies with our code. */
static void
test_rfc9421_b24 (void)
{
  g_auto(gnutls_pubkey_t) pub = rfc_public_key ();
  g_autoptr(GBytes) base = g_bytes_new_static (rfc_b24_base, strlen (rfc_b24_base));
  g_autoptr(GBytes) signature = base64_bytes (rfc_b24_signature_b64);
  g_autoptr(GBytes) altered_base = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *altered = g_strdup (rfc_b24_base);

  g_assert_cmpuint (g_bytes_get_size (signature), ==, 64);
  g_assert_true (clave_ecdsa_verify (pub, base, signature, &error));
  g_assert_no_error (error);

  altered[strlen ("\"@status\": ")] = '4';   /* 200 -> 400 */
  altered_base = g_bytes_new (altered, strlen (altered));
  g_assert_false (clave_ecdsa_verify (pub, altered_base, signature, &error));
  g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA);
}

/* The RFC's private key, through our PKCS#8 import, gives the RFC's public
 * key, and what we sign with it verifies under the published key. */
static void
test_rfc9421_key (void)
{
  gnutls_x509_privkey_t x509 = NULL;
  gnutls_datum_t pem = { (unsigned char *) rfc_ecc_p256_sec1_pem, sizeof rfc_ecc_p256_sec1_pem - 1 };
  gnutls_datum_t der = { NULL, 0 };
  g_autoptr(GBytes) pkcs8 = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) expected_spki = base64_bytes (rfc_ecc_p256_spki_b64);
  g_auto(gnutls_privkey_t) key = NULL;
  g_auto(gnutls_pubkey_t) pub = rfc_public_key ();
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveHttpSigHeaders) h = NULL;
  Fixture fixture;

  g_assert_cmpint (gnutls_x509_privkey_init (&x509), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_import (x509, &pem, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (x509, GNUTLS_X509_FMT_DER, NULL,
                                                      GNUTLS_PKCS_PLAIN, &der), ==, 0);
  gnutls_x509_privkey_deinit (x509);
  pkcs8 = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);

  key = clave_privkey_import_pkcs8 (pkcs8, &error);
  g_assert_no_error (error);
  spki = clave_privkey_export_spki (key, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (spki, expected_spki));

  fixture.key = key;
  fixture.pub = pub;
  h = sign_request (&fixture, "GET", URI, NULL);
  g_assert_cmpint (check (&fixture, h->signature_input, h->signature, "GET", URI, EMPTY_DIGEST, NULL), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/http-sig/content-digest", test_content_digest);
  g_test_add_func ("/http-sig/params", test_params);
  g_test_add_func ("/http-sig/base", test_base);
  g_test_add ("/http-sig/sign/headers", Fixture, NULL, fixture_set_up, test_sign_headers, fixture_tear_down);
  g_test_add ("/http-sig/sign/errors", Fixture, NULL, fixture_set_up, test_sign_errors, fixture_tear_down);
  g_test_add ("/http-sig/round-trip", Fixture, NULL, fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/http-sig/tampered", Fixture, NULL, fixture_set_up, test_tampered, fixture_tear_down);
  g_test_add ("/http-sig/tolerant-parsing", Fixture, NULL, fixture_set_up, test_tolerant_parsing, fixture_tear_down);
  g_test_add ("/http-sig/malformed", Fixture, NULL, fixture_set_up, test_malformed, fixture_tear_down);
  g_test_add ("/http-sig/hostile", Fixture, NULL, fixture_set_up, test_hostile, fixture_tear_down);
  g_test_add ("/http-sig/expires", Fixture, NULL, fixture_set_up, test_expires, fixture_tear_down);
  g_test_add_func ("/http-sig/rfc9421-b24", test_rfc9421_b24);
  g_test_add_func ("/http-sig/rfc9421-key", test_rfc9421_key);

  return g_test_run ();
}
