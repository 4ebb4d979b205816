/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Certificate proofs (src/server/clave-cert-proof.c, clave-cert-path.c):
 * the JSON body of POST /v1/registrations and of an activation's
 * certificate step, read as the routes read it (clave_http_read_json_object
 * and _clave_cert_proof_read, answered on a SoupServerMessage made without a
 * server), then checked as the service checks it (_clave_cert_proof_verify:
 * path building from the client's certificates and the service's
 * intermediates to the anchors, GnuTLS verification, key usage, the
 * signature, the identity). The service object holds the test PKI's
 * anchors and intermediates (CLAVE_TEST_PKI_DIR, tests/fixtures) and a
 * store that has a challenge for every id but "ch_used" (the seeds, made
 * by make-fuzz-seeds from the same PKI, sign that challenge). The input is
 * the body.
 *
 * Properties:
 * - client input never gets a 5xx, and every refusal is a documented
 *   error: 400 invalid_request for a malformed proof, 401 with the proof
 *   codes (issuer_unknown with the issuer's DN as valid UTF-8) or 400
 *   certificate_without_identity once it is checked;
 * - the answer is JSON that parses;
 * - a proof that passes names a valid DNI/NIE and leaves the answer to the
 *   route. */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "clave-cert-proof.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-server-private.h"
#include "clave-store.h"
#include "clave-trust-anchors.h"
#include "fuzz-common.h"

/* What make-fuzz-seeds signs (docs/fuzzing.md). */
#define FUZZ_CHALLENGE  "ZnV6ei1jaGFsbGVuZ2UtMDEyMzQ1Njc4OQ"
#define FUZZ_PURPOSE    CLAVE_PROOF_PURPOSE_REGISTRATION
#define USED_CHALLENGE  "ch_used"

/* A store with only challenges. */
#define FUZZ_TYPE_CHALLENGE_STORE (fuzz_challenge_store_get_type ())
G_DECLARE_FINAL_TYPE (FuzzChallengeStore, fuzz_challenge_store, FUZZ, CHALLENGE_STORE, GObject)

struct _FuzzChallengeStore
{
  GObject parent_instance;
};

static void fuzz_challenge_store_iface_init (ClaveStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FuzzChallengeStore, fuzz_challenge_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CLAVE_TYPE_STORE,
                                                      fuzz_challenge_store_iface_init))

static gboolean
use_challenge (ClaveStore  *store,
               const char  *id,
               char       **challenge,
               gint64      *expires_at,
               GError     **error)
{
  *challenge = g_str_equal (id, USED_CHALLENGE) ? NULL : g_strdup (FUZZ_CHALLENGE);
  *expires_at = _clave_server_now () + 300;
  return TRUE;
}

static void
fuzz_challenge_store_iface_init (ClaveStoreInterface *iface)
{
  iface->use_challenge = use_challenge;
}

static void
fuzz_challenge_store_class_init (FuzzChallengeStoreClass *klass)
{
}

static void
fuzz_challenge_store_init (FuzzChallengeStore *self)
{
}

static ClaveServer *server;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  const char *pki = g_getenv ("CLAVE_TEST_PKI_DIR");

  fuzz_setup (0);
  if (pki == NULL)
    pki = CLAVE_FUZZ_PKI_DIR;

  server = g_object_new (CLAVE_TYPE_SERVER, NULL);
  server->store = g_object_new (FUZZ_TYPE_CHALLENGE_STORE, NULL);

  /* As clave-server --trust-anchors loads them; without the PKI (no
   * certtool) every chain is untrusted, which still reads every proof. */
  if (g_file_test (pki, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *anchors = g_build_filename (pki, "anchors", NULL);
      g_autofree char *intermediates = g_build_filename (pki, "intermediates", NULL);
      g_autoptr(GError) error = NULL;

      server->trust_list = clave_trust_anchors_load (anchors, &server->n_trust_anchors, &error);
      g_assert_no_error (error);
      server->intermediates = clave_intermediates_load (intermediates, "intermediates",
                                                        server->trust_list, &error);
      g_assert_no_error (error);
    }
  else
    g_printerr ("fuzz-cert-proof: no test PKI in %s: every chain is untrusted\n", pki);

  return 0;
}

static SoupServerMessage *
new_message (const guint8 *body,
             gsize         size)
{
  SoupServerMessage *msg = g_object_new (SOUP_TYPE_SERVER_MESSAGE, NULL);

  soup_message_headers_replace (soup_server_message_get_request_headers (msg), "Content-Type",
                                "application/json");
  if (size > 0)
    soup_message_body_append (soup_server_message_get_request_body (msg), SOUP_MEMORY_COPY,
                              body, size);
  return msg;
}

/* The answer: @status, and JSON {"error": one of @codes, "message"}; its
 * parsed object. */
static JsonObject *
check_error_answer (SoupServerMessage  *msg,
                    guint               status,
                    const char * const *codes)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  JsonObject *object;
  const char *code;

  FUZZ_CHECK (json_parser_load_from_data (parser, data, (gssize) size, NULL) &&
              JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)),
              "answer %u is not a JSON object: %.*s", soup_server_message_get_status (msg),
              (int) size, data);
  object = json_node_get_object (json_parser_get_root (parser));
  code = json_object_get_string_member_with_default (object, "error", NULL);
  FUZZ_CHECK (code != NULL && g_strv_contains (codes, code), "error code %s", code);
  FUZZ_CHECK (soup_server_message_get_status (msg) == status, "%s with status %u, expected %u",
              code, soup_server_message_get_status (msg), status);
  return json_object_ref (object);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const char * const malformed[] = {
    CLAVE_ERR_INVALID_JSON, CLAVE_ERR_INVALID_REQUEST, NULL
  };
  static const char * const unauthorized[] = {
    CLAVE_ERR_INVALID_CHALLENGE, CLAVE_ERR_CERTIFICATE_ISSUER_UNKNOWN,
    CLAVE_ERR_CERTIFICATE_UNTRUSTED, CLAVE_ERR_CERTIFICATE_EXPIRED,
    CLAVE_ERR_CERTIFICATE_NOT_USABLE, CLAVE_ERR_INVALID_CERT_SIGNATURE, NULL
  };
  static const char * const without_identity[] = { CLAVE_ERR_CERTIFICATE_WITHOUT_IDENTITY, NULL };
  g_autoptr(SoupServerMessage) msg = new_message (data, size);
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(ClaveCertProof) proof = NULL;
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GError) error = NULL;

  body = clave_http_read_json_object (msg, NULL);
  if (body == NULL)
    {
      FUZZ_CHECK (soup_server_message_get_status (msg) < 500, "a 5xx for client input");
      return 0;
    }

  proof = _clave_cert_proof_read (body, &error);
  if (proof == NULL)
    {
      /* As the routes answer it. */
      clave_http_reply_gerror (msg, error);
      answer = check_error_answer (msg, SOUP_STATUS_BAD_REQUEST, malformed);
      return 0;
    }
  FUZZ_CHECK (soup_server_message_get_status (msg) == 0, "answered a proof it accepted");

  identity = _clave_cert_proof_verify (server, proof, FUZZ_PURPOSE, _clave_server_now (),
                                       &error);
  if (identity == NULL)
    {
      guint status;

      /* As the routes answer it. */
      clave_http_reply_gerror (msg, error);
      status = soup_server_message_get_status (msg);

      FUZZ_CHECK (status < 500, "a 5xx for client input");
      if (status == SOUP_STATUS_BAD_REQUEST)
        answer = check_error_answer (msg, status, without_identity);
      else
        answer = check_error_answer (msg, SOUP_STATUS_UNAUTHORIZED, unauthorized);

      if (json_object_has_member (answer, CLAVE_ERR_MEMBER_ISSUER))
        {
          const char *issuer = json_object_get_string_member_with_default (answer,
                                                                           CLAVE_ERR_MEMBER_ISSUER,
                                                                           NULL);

          FUZZ_CHECK (issuer != NULL && g_utf8_validate (issuer, -1, NULL), "issuer member");
        }
      return 0;
    }

  FUZZ_CHECK (soup_server_message_get_status (msg) == 0, "answered a proof that passed");
  {
    g_autofree char *normalized = NULL;

    FUZZ_CHECK (identity->document != NULL &&
                clave_document_validate (identity->document, &normalized, NULL) !=
                CLAVE_DOCUMENT_TYPE_UNKNOWN && g_str_equal (normalized, identity->document),
                "a proof that passed names document %s", identity->document);
  }
  return 0;
}
