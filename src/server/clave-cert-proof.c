/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <string.h>

#include "clave-cert-path.h"
#include "clave-cert-proof.h"
#include "clave-codes.h"
#include "clave-crypto.h"
#include "clave-json.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-protocol-error.h"
#include "clave-server-private.h"

/* The extended key usages that let a certificate authenticate a person:
 * TLS client authentication (DNIe authentication certificate, FNMT),
 * e-mail protection (FNMT) and "any". */
static const char * const usable_purposes[] = {
  GNUTLS_KP_TLS_WWW_CLIENT,
  GNUTLS_KP_EMAIL_PROTECTION,
  GNUTLS_KP_ANY,
};

struct _ClaveCertProof
{
  char              *challenge_id;
  gnutls_x509_crt_t *certificates;   /* leaf first */
  guint              n_certificates;
  GBytes            *leaf_der;
  gboolean           ecdsa;          /* else RSA PKCS#1 v1.5 */
  GBytes            *signature;
};

void
_clave_cert_proof_free (ClaveCertProof *proof)
{
  if (proof == NULL)
    return;
  for (guint i = 0; i < proof->n_certificates; i++)
    if (proof->certificates[i] != NULL)
      gnutls_x509_crt_deinit (proof->certificates[i]);
  g_free (proof->certificates);
  g_free (proof->challenge_id);
  g_clear_pointer (&proof->leaf_der, g_bytes_unref);
  g_clear_pointer (&proof->signature, g_bytes_unref);
  g_free (proof);
}

static gpointer
malformed (GError     **error,
           const char  *message)
{
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_REQUEST, message);
  return NULL;
}

/* The member @name of @object when it holds @type, else NULL with the
 * wording of clave_http_member_string() and _object(). */
static JsonNode *
member (JsonObject  *object,
        const char  *name,
        gboolean     is_object,
        GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL &&
      (is_object ? JSON_NODE_HOLDS_OBJECT (node)
                 : JSON_NODE_HOLDS_VALUE (node) &&
                   json_node_get_value_type (node) == G_TYPE_STRING))
    return node;
  g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_REQUEST,
               "The member \"%s\" must be %s.", name, is_object ? "an object" : "a string");
  return NULL;
}

/* Standard base64 with padding, nothing else (no whitespace, no
 * base64url): g_base64_decode() would skip what it does not know. */
static GBytes *
decode_base64_strict (const char *text)
{
  g_autofree guchar *data = NULL;
  g_autofree char *again = NULL;
  gsize len = strlen (text);
  gsize data_len = 0;

  if (len == 0 || len % 4 != 0)
    return NULL;
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (g_ascii_isalnum (c) || c == '+' || c == '/')
        continue;
      if (c == '=' && i >= len - 2 && (i == len - 1 || text[len - 1] == '='))
        continue;
      return NULL;
    }

  data = g_base64_decode (text, &data_len);
  if (data == NULL || data_len == 0)
    return NULL;
  /* Non-zero padding bits would give two texts for one value. */
  again = g_base64_encode (data, data_len);
  if (strcmp (again, text) != 0)
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), data_len);
}

ClaveCertProof *
_clave_cert_proof_read (JsonObject  *body,
                        GError     **error)
{
  g_autoptr(ClaveCertProof) proof = g_new0 (ClaveCertProof, 1);
  JsonObject *object;
  JsonNode *node, *challenge_node, *algorithm_node, *signature_node;
  JsonArray *array;
  const char *challenge_id, *algorithm, *signature;
  guint n;

  node = member (body, "proof", TRUE, error);
  if (node == NULL)
    return NULL;
  object = json_node_get_object (node);
  if ((challenge_node = member (object, "challenge_id", FALSE, error)) == NULL ||
      (algorithm_node = member (object, "algorithm", FALSE, error)) == NULL ||
      (signature_node = member (object, "signature", FALSE, error)) == NULL)
    return NULL;
  challenge_id = json_node_get_string (challenge_node);
  algorithm = json_node_get_string (algorithm_node);
  signature = json_node_get_string (signature_node);

  node = json_object_get_member (object, "certificates");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return malformed (error, "The member \"certificates\" must be an array.");
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > CLAVE_PROOF_MAX_CERTIFICATES)
    return malformed (error, "\"certificates\" must hold 1 to 5 certificates, leaf first.");

  if (g_str_equal (algorithm, CLAVE_PROOF_ALG_ECDSA_SHA256))
    proof->ecdsa = TRUE;
  else if (!g_str_equal (algorithm, CLAVE_PROOF_ALG_RSA_SHA256))
    return malformed (error, "\"algorithm\" must be rsa-pkcs1-sha256 or ecdsa-sha256.");

  proof->signature = clave_base64url_decode (signature, NULL);
  if (proof->signature == NULL || g_bytes_get_size (proof->signature) == 0)
    return malformed (error, "\"signature\" must be base64url.");

  if (*challenge_id == '\0')
    return malformed (error, "\"challenge_id\" must not be empty.");
  proof->challenge_id = g_strdup (challenge_id);

  proof->certificates = g_new0 (gnutls_x509_crt_t, n);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr(GBytes) der = NULL;
      gnutls_datum_t datum;
      gsize size;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        return malformed (error, "Every certificate must be a base64 string.");
      der = decode_base64_strict (json_node_get_string (element));
      if (der == NULL)
        return malformed (error, "Every certificate must be standard base64 of its DER.");
      if (g_bytes_get_size (der) > CLAVE_PROOF_MAX_CERTIFICATE_SIZE)
        return malformed (error, "A certificate is larger than 16 KiB.");

      datum.data = (unsigned char *) g_bytes_get_data (der, &size);
      datum.size = (unsigned int) size;
      if (gnutls_x509_crt_init (&proof->certificates[i]) < 0)
        {
          clave_protocol_error_set_internal (error, NULL);
          return NULL;
        }
      proof->n_certificates = i + 1;
      if (gnutls_x509_crt_import (proof->certificates[i], &datum, GNUTLS_X509_FMT_DER) < 0)
        return malformed (error, "A certificate is not an X.509 certificate in DER.");
      /* Before anything verifies a signature under it. */
      if (!clave_cert_key_is_bounded (proof->certificates[i]))
        return malformed (error, "A certificate has a key this service does not use: RSA "
                                 "over 8192 bits or with an exponent over 2^32, EC on a curve "
                                 "other than P-256, P-384 or P-521, or DSA.");
      if (i == 0)
        proof->leaf_der = g_bytes_ref (der);
    }

  return g_steal_pointer (&proof);
}

static gpointer
proof_refused (GError             **error,
               ClaveProtocolError   code,
               const char          *message)
{
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, code, message);
  if (error != NULL)
    g_info ("Certificate proof refused: %s", clave_protocol_error_get_name (*error));
  return NULL;
}

/* FALSE when the leaf may not authenticate a person: a CA certificate, a
 * keyUsage without digitalSignature (a DNIe signing certificate), or an
 * extendedKeyUsage that allows none of the usable purposes. */
static gboolean
leaf_is_usable (gnutls_x509_crt_t leaf)
{
  unsigned int key_usage = 0, critical = 0, ca = 0;
  gboolean has_eku = FALSE;
  int ret;

  ret = gnutls_x509_crt_get_basic_constraints (leaf, &critical, &ca, NULL);
  if (ret >= 0 && ca)
    return FALSE;
  /* An extension that does not parse is not "absent". */
  if (ret < 0 && ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return FALSE;

  ret = gnutls_x509_crt_get_key_usage (leaf, &key_usage, &critical);
  if (ret >= 0 && !(key_usage & GNUTLS_KEY_DIGITAL_SIGNATURE))
    return FALSE;
  if (ret < 0 && ret != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return FALSE;

  for (unsigned int i = 0; ; i++)
    {
      char oid[128];
      size_t size = sizeof oid;

      ret = gnutls_x509_crt_get_key_purpose_oid (leaf, i, oid, &size, &critical);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      has_eku = TRUE;
      /* An OID too long for the buffer is none of ours; any other error
       * (an extension that does not parse) fails the same way for every
       * index, so it must end the loop, and the leaf is not usable. */
      if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER)
        continue;
      if (ret < 0)
        return FALSE;
      for (gsize j = 0; j < G_N_ELEMENTS (usable_purposes); j++)
        if (strcmp (oid, usable_purposes[j]) == 0)
          return TRUE;
    }

  return !has_eku;
}

static gboolean
signature_verifies (ClaveCertProof *proof,
                    GBytes         *signed_data)
{
  gnutls_pubkey_t key = NULL;
  gnutls_datum_t data, signature;
  gnutls_sign_algorithm_t algorithm;
  gsize size;
  int pk, ret;

  if (gnutls_pubkey_init (&key) < 0)
    return FALSE;
  if (gnutls_pubkey_import_x509 (key, proof->certificates[0], 0) < 0)
    {
      gnutls_pubkey_deinit (key);
      return FALSE;
    }

  /* The algorithm named in the proof must be the one of the leaf's key:
   * no RSA signature is checked under an EC key or the other way. */
  pk = gnutls_pubkey_get_pk_algorithm (key, NULL);
  if (proof->ecdsa && pk == GNUTLS_PK_ECDSA)
    algorithm = GNUTLS_SIGN_ECDSA_SHA256;
  else if (!proof->ecdsa && pk == GNUTLS_PK_RSA)
    algorithm = GNUTLS_SIGN_RSA_SHA256;
  else
    {
      gnutls_pubkey_deinit (key);
      return FALSE;
    }

  data.data = (unsigned char *) g_bytes_get_data (signed_data, &size);
  data.size = (unsigned int) size;
  signature.data = (unsigned char *) g_bytes_get_data (proof->signature, &size);
  signature.size = (unsigned int) size;

  ret = gnutls_pubkey_verify_data2 (key, algorithm, 0, &data, &signature);
  gnutls_pubkey_deinit (key);
  return ret >= 0;
}

/* The verification status of @path against the anchors. */
static unsigned int
verify_chain (ClaveServer  *self,
              GPtrArray    *path,
              unsigned int  flags)
{
  if (self->trust_list == NULL)
    return GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
  return clave_cert_path_verify (self->trust_list, path, flags);
}

static gpointer
issuer_unknown (GError     **error,
                const char  *issuer)
{
  g_autofree char *message = g_strdup_printf ("This service does not know \"%s\", the issuer "
                                              "of a certificate of the chain: send that "
                                              "issuer's certificate too, or use a certificate "
                                              "from an accepted authority.", issuer);
  g_autofree char *logged = g_strescape (issuer, NULL);

  g_info ("Certificate proof refused: %s (%s)", CLAVE_ERR_CERTIFICATE_ISSUER_UNKNOWN, logged);
  clave_protocol_error_set_issuer (error, issuer, message);
  return NULL;
}

ClaveX509Identity *
_clave_cert_proof_verify (ClaveServer     *self,
                          ClaveCertProof  *proof,
                          const char      *purpose,
                          gint64           now,
                          GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) signed_data = NULL;
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *missing_issuer = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  gint64 expires_at = 0;
  gboolean chains = FALSE, trusted = FALSE;
  unsigned int status;

  /* First, whatever follows: a challenge serves one proof, good or bad. */
  if (!clave_store_use_challenge (self->store, proof->challenge_id, &challenge, &expires_at,
                                  &local_error))
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (challenge == NULL || now >= expires_at)
    return proof_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CHALLENGE,
                          "Unknown, used or expired challenge; ask for a new one.");

  /* A card often lacks its intermediate: the service completes the path
   * with those it holds, which are never trusted by themselves. */
  if (self->trust_list != NULL)
    paths = clave_cert_paths_build (self->trust_list, self->intermediates, proof->certificates,
                                    proof->n_certificates, &missing_issuer);
  if (missing_issuer != NULL)
    return issuer_unknown (error, missing_issuer);

  /* Twice: GnuTLS stops at the first expired certificate of a path, so
   * the signatures below it would go unchecked. Without the time checks
   * first, to tell a chain that does not lead to an anchor (untrusted)
   * from one that does but is out of its dates (expired). The first path
   * that passes both is the chain; GnuTLS is the judge of each. */
  for (guint i = 0; paths != NULL && i < paths->len && !trusted; i++)
    {
      GPtrArray *path = g_ptr_array_index (paths, i);

      status = verify_chain (self, path, GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                                         GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS);
      if (status != 0)
        {
          g_debug ("Chain verification status of path %u: 0x%x", i, status);
          continue;
        }
      chains = TRUE;
      trusted = verify_chain (self, path, 0) == 0;
    }
  if (!chains)
    return proof_refused (error, CLAVE_PROTOCOL_ERROR_CERTIFICATE_UNTRUSTED,
                          "The certificate does not chain to a trusted authority.");
  if (!trusted)
    return proof_refused (error, CLAVE_PROTOCOL_ERROR_CERTIFICATE_EXPIRED,
                          "A certificate of the chain is expired or not yet valid.");

  if (!leaf_is_usable (proof->certificates[0]))
    return proof_refused (error, CLAVE_PROTOCOL_ERROR_CERTIFICATE_NOT_USABLE,
                          "The certificate may not be used to authenticate (key usage).");

  signed_data = clave_certificate_proof_data (purpose, proof->challenge_id, challenge);
  if (!signature_verifies (proof, signed_data))
    return proof_refused (error, CLAVE_PROTOCOL_ERROR_INVALID_CERT_SIGNATURE,
                          "The signature is not one of this challenge by the certificate's key.");

  identity = clave_x509_identity_from_der (proof->leaf_der, NULL);
  if (identity == NULL || identity->document == NULL)
    return proof_refused (error, CLAVE_PROTOCOL_ERROR_CERTIFICATE_WITHOUT_IDENTITY,
                          "The certificate names no DNI or NIE (subject serialNumber).");

  return g_steal_pointer (&identity);
}

gboolean
_clave_cert_proof_new_challenge (ClaveServer  *self,
                                 const char   *address,
                                 gint64        now,
                                 char        **id_out,
                                 char        **challenge_out,
                                 GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GArray) times = NULL;
  g_autofree char *random_id = NULL;
  g_autofree char *id = NULL;
  g_autofree char *challenge = NULL;
  gint64 wait;

  times = clave_store_list_challenges (self->store, address, now - CLAVE_CHALLENGE_WINDOW_SECS,
                                       &local_error);
  if (times == NULL)
    return clave_protocol_error_set_internal (error, local_error);
  wait = _clave_window_wait (times, CLAVE_CHALLENGE_MAX_PER_ADDRESS, CLAVE_CHALLENGE_WINDOW_SECS,
                             now);
  if (wait > 0)
    {
      clave_protocol_error_set_retry (error, CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS, wait,
                                      "Too many challenges from this address; wait and try "
                                      "again.");
      return FALSE;
    }

  random_id = clave_random_token (16);
  id = g_strconcat ("ch_", random_id, NULL);
  challenge = clave_random_token (CLAVE_CHALLENGE_BYTES);
  if (!clave_store_create_challenge (self->store, id, challenge, address, now,
                                     now + CLAVE_CHALLENGE_TTL_SECS, &local_error))
    return clave_protocol_error_set_internal (error, local_error);

  *id_out = g_steal_pointer (&id);
  *challenge_out = g_steal_pointer (&challenge);
  return TRUE;
}
