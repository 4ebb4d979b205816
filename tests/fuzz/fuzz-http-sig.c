/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Signature parameters and Content-Digest (src/common/clave-http-sig.c):
 * the Signature-Input, Signature and Content-Digest headers that the
 * service reads from anyone on the network before it knows who signed.
 * The input is "Signature-Input\nSignature\nContent-Digest\nbody".
 *
 * Properties:
 * - a parsed signature has what clave-http-sig.h promises (created >= 0,
 *   non-empty nonce and keyid, our algorithm, 64 bytes, and params being
 *   the member's text as received); its parameters re-serialised with
 *   clave_http_sig_params() parse the same, and re-serialise to exactly
 *   that text; errors are of CLAVE_HTTP_SIG_ERROR;
 * - a Content-Digest that matches a body does not match a different body,
 *   and clave_content_digest() of a body always matches it;
 * - signing with the input's fields as keyid and nonce either refuses them
 *   (not printable ASCII) or gives headers that parse back to them and
 *   verify under the key. */

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"
#include "fuzz-common.h"

#define METHOD     "POST"
#define TARGET_URI "https://clave.example:8443/v1/device/requests"

static gnutls_privkey_t private_key;
static gnutls_pubkey_t public_key;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GBytes) spki = NULL;

  fuzz_setup (0);
  private_key = clave_ec_key_generate (NULL);
  spki = clave_privkey_export_spki (private_key, NULL);
  public_key = clave_pubkey_import_spki (spki, NULL);
  g_assert (public_key != NULL);
  return 0;
}

static GBytes *
sign_with_key (GBytes   *base,
               gpointer  user_data,
               GError  **error)
{
  return clave_ecdsa_sign (private_key, base, error);
}

static gboolean
is_printable (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (*p < 0x20 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

static gboolean
same_input (const ClaveHttpSigInput *a,
            const ClaveHttpSigInput *b)
{
  return a->created == b->created && g_str_equal (a->nonce, b->nonce) &&
         g_str_equal (a->keyid, b->keyid) && g_str_equal (a->alg, b->alg) &&
         g_bytes_equal (a->signature, b->signature);
}

static void
check_parse (const char *signature_input,
             const char *signature)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveHttpSigInput) input = clave_http_sig_parse (signature_input, signature, &error);

  if (input == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED) ||
                  g_error_matches (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT) ||
                  g_error_matches (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_UNSUPPORTED_ALG),
                  "unexpected error %s", error != NULL ? error->message : "(none)");
      return;
    }

  FUZZ_CHECK (error == NULL, "success with an error");
  FUZZ_CHECK (input->created >= 0, "created %" G_GINT64_FORMAT, input->created);
  FUZZ_CHECK (input->nonce != NULL && input->nonce[0] != '\0' && is_printable (input->nonce),
              "nonce");
  FUZZ_CHECK (input->keyid != NULL && input->keyid[0] != '\0' && is_printable (input->keyid),
              "keyid");
  FUZZ_CHECK (g_strcmp0 (input->alg, CLAVE_HTTP_SIG_ALG) == 0, "alg %s", input->alg);
  FUZZ_CHECK (g_bytes_get_size (input->signature) == 64, "signature size");
  FUZZ_CHECK (input->params != NULL && input->params[0] == '(' &&
              strstr (signature_input, input->params) != NULL,
              "params \"%s\" are not the text received", input->params);

  {
    g_autofree char *params = clave_http_sig_params (input->created, input->nonce, input->keyid);
    g_autofree char *header = g_strconcat (CLAVE_HTTP_SIG_LABEL "=", params, NULL);
    g_autofree char *b64 = g_base64_encode (g_bytes_get_data (input->signature, NULL), 64);
    g_autofree char *sig_header = g_strconcat (CLAVE_HTTP_SIG_LABEL "=:", b64, ":", NULL);
    g_autoptr(GError) again_error = NULL;
    g_autoptr(ClaveHttpSigInput) again = clave_http_sig_parse (header, sig_header, &again_error);
    g_autofree char *base = NULL;

    FUZZ_CHECK (again != NULL, "re-serialised %s does not parse: %s", header,
                again_error != NULL ? again_error->message : "");
    FUZZ_CHECK (same_input (input, again), "re-serialised %s parses differently", header);
    FUZZ_CHECK (g_str_equal (again->params, params), "params %s became %s", params, again->params);

    base = clave_http_sig_base (METHOD, TARGET_URI, "sha-256=:x:", input->params);
    FUZZ_CHECK (g_str_has_suffix (base, input->params) &&
                strstr (base, "\"@signature-params\": ") != NULL, "base %s", base);
  }
}

/* The error of verifying @digest for @body: BAD_SIGNATURE means the
 * digest matched (the signature, a dummy, is checked after it). */
static GError *
digest_error (const ClaveHttpSigInput *dummy,
              const char              *digest,
              GBytes                  *body)
{
  GError *error = NULL;

  FUZZ_CHECK (!clave_http_sig_verify (dummy, public_key, METHOD, TARGET_URI, digest, body, &error),
              "a dummy signature verified");
  return error;
}

static void
check_digest (const char *digest,
              GBytes     *body)
{
  static const guint8 zeros[64] = { 0 };
  ClaveHttpSigInput dummy = {
    .params = (char *) "(\"@method\" \"@target-uri\" \"content-digest\");created=1",
    .signature = g_bytes_new_static (zeros, sizeof zeros),
  };
  g_autoptr(GError) error = digest_error (&dummy, digest, body);
  g_autofree char *canonical = clave_content_digest (body);
  g_autoptr(GError) canonical_error = digest_error (&dummy, canonical, body);

  FUZZ_CHECK (g_error_matches (canonical_error, CLAVE_HTTP_SIG_ERROR,
                               CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE),
              "%s does not match its own body: %s", canonical, canonical_error->message);

  FUZZ_CHECK (error->domain == CLAVE_HTTP_SIG_ERROR &&
              (error->code == CLAVE_HTTP_SIG_ERROR_MALFORMED ||
               error->code == CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH ||
               error->code == CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE),
              "Content-Digest \"%s\": unexpected error %s", digest, error->message);

  if (g_error_matches (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE))
    {
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (body, &size);
      g_autofree guint8 *other_data = g_malloc (size + 1);
      g_autoptr(GBytes) other = NULL;
      g_autoptr(GError) other_error = NULL;

      if (size > 0)
        memcpy (other_data, data, size);
      other_data[size] = 'x';
      other = g_bytes_new (other_data, size + 1);
      other_error = digest_error (&dummy, digest, other);
      FUZZ_CHECK (g_error_matches (other_error, CLAVE_HTTP_SIG_ERROR,
                                   CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH),
                  "Content-Digest \"%s\" matches two bodies", digest);
    }

  g_bytes_unref (dummy.signature);
}

static void
check_sign (const char *keyid,
            const char *nonce,
            GBytes     *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveHttpSigHeaders) headers = NULL;
  g_autoptr(ClaveHttpSigInput) input = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GError) verify_error = NULL;
  gint64 created = (gint64) g_bytes_get_size (body) * 7919;

  /* The parser wants a nonce and a keyid; the callers of the signer
   * always have both. */
  if (keyid[0] == '\0' || nonce[0] == '\0')
    return;

  headers = clave_http_sig_sign (METHOD, TARGET_URI, body, keyid, created, nonce,
                                 sign_with_key, NULL, &error);
  FUZZ_CHECK ((headers != NULL) == (is_printable (keyid) && is_printable (nonce)),
              "signing as \"%s\" with nonce \"%s\": %s", keyid, nonce,
              error != NULL ? error->message : "signed");
  if (headers == NULL)
    return;

  input = clave_http_sig_parse (headers->signature_input, headers->signature, &parse_error);
  FUZZ_CHECK (input != NULL, "own headers %s / %s do not parse: %s", headers->signature_input,
              headers->signature, parse_error->message);
  FUZZ_CHECK (input->created == created && g_str_equal (input->keyid, keyid) &&
              g_str_equal (input->nonce, nonce), "own headers %s parse differently",
              headers->signature_input);
  FUZZ_CHECK (clave_http_sig_verify (input, public_key, METHOD, TARGET_URI,
                                     headers->content_digest, body, &verify_error),
              "own signature does not verify: %s", verify_error->message);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  FuzzInput input;
  g_autofree char *signature_input = NULL;
  g_autofree char *signature = NULL;
  g_autofree char *digest = NULL;
  g_autoptr(GBytes) body = NULL;

  fuzz_input_init (&input, data, size);
  signature_input = fuzz_input_field (&input, '\n');
  signature = fuzz_input_field (&input, '\n');
  digest = fuzz_input_field (&input, '\n');
  body = fuzz_input_rest (&input);

  check_parse (signature_input, signature);
  check_digest (digest, body);
  check_sign (signature_input, signature, body);

  return 0;
}
