/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <sqlite3.h>
#include <string.h>

#include "clave-crypto.h"
#include "clave-protocol.h"
#include "clave-x509.h"
#include "server-test-util.h"

/* Certificate and DNIe proofs against a real clave-server started with the
 * roots of the test PKI (tests/fixtures/make-test-pki.sh) as its trust
 * anchors: activation with a certificate, registration with one, and every
 * rejection of docs/protocol.md "Certificate proofs". The proofs are
 * signed here with the fixture keys, as the client would with a card or a
 * PKCS#12 file. */

#define STATUS_TOO_MANY 429
#define MARTA_PHONE "+34600999888"
#define MARTA_EMAIL "marta@example.org"

typedef struct {
  ClaveTestServer *server;
  SoupSession     *session;
  const char      *base;
} Fixture;

/* @user_data is the test's own (a Rejection, or NULL): default server. */
static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->server = test_server_start (NULL);
  fixture->session = test_session_new (fixture->server);
  fixture->base = clave_test_server_get_base_url (fixture->server);
}

/* @user_data is the server's extra arguments. */
static void
fixture_set_up_with_args (Fixture       *fixture,
                          gconstpointer  user_data)
{
  fixture->server = test_server_start (user_data);
  fixture->session = test_session_new (fixture->server);
  fixture->base = clave_test_server_get_base_url (fixture->server);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->session);
  clave_test_server_stop (fixture->server);
}

/* Fixture PKI files ----------------------------------------------------- */

/* Hostile certificates made by the test being run (see "Crafted
 * certificates" below); looked up before the fixture PKI. */
static char *crafted_dir;

static char *
read_pki_file (const char *name,
               gsize      *len)
{
  g_autofree char *crafted = crafted_dir != NULL ? g_build_filename (crafted_dir, name, NULL)
                                                 : NULL;
  g_autofree char *path = crafted != NULL && g_file_test (crafted, G_FILE_TEST_EXISTS)
                            ? g_steal_pointer (&crafted) : clave_test_pki_path (name);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_assert_nonnull (path);
  g_file_get_contents (path, &contents, len, &error);
  g_assert_no_error (error);
  return contents;
}

/* The certificate @name ("lucia-fnmt" -> lucia-fnmt.pem) as standard
 * base64 DER, the form of the proof's "certificates". */
static char *
certificate_base64 (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".pem", NULL);
  g_autofree char *pem = NULL;
  gnutls_x509_crt_t crt;
  gnutls_datum_t datum, der = { NULL, 0 };
  gsize len;
  char *text;

  pem = read_pki_file (file, &len);
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);
  text = g_base64_encode (der.data, der.size);
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (crt);
  return text;
}

static gnutls_privkey_t
load_key (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".key", NULL);
  g_autofree char *pem = NULL;
  gnutls_privkey_t key;
  gnutls_datum_t datum;
  gsize len;

  pem = read_pki_file (file, &len);
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  g_assert_cmpint (gnutls_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_privkey_import_x509_raw (key, &datum, GNUTLS_X509_FMT_PEM, NULL, 0),
                   ==, 0);
  return key;
}

/* Challenges and proofs ------------------------------------------------- */

typedef struct {
  char *id;
  char *value;
} Challenge;

static void
challenge_free (Challenge *challenge)
{
  g_free (challenge->id);
  g_free (challenge->value);
  g_free (challenge);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Challenge, challenge_free)

static Challenge *
get_challenge (Fixture *fixture)
{
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(GBytes) raw = NULL;
  Challenge *challenge;

  response = test_post_json (fixture->session, fixture->base, CLAVE_PATH_CHALLENGES, "{}", NULL);
  test_assert_status (response, SOUP_STATUS_CREATED);
  g_assert_cmpint (test_response_int (response, "expires_in"), ==, CLAVE_CHALLENGE_TTL_SECS);

  challenge = g_new0 (Challenge, 1);
  challenge->id = g_strdup (test_response_string (response, "id"));
  challenge->value = g_strdup (test_response_string (response, "challenge"));
  g_assert_true (g_str_has_prefix (challenge->id, "ch_"));
  raw = clave_base64url_decode (challenge->value, NULL);
  g_assert_nonnull (raw);
  g_assert_cmpuint (g_bytes_get_size (raw), ==, CLAVE_CHALLENGE_BYTES);
  return challenge;
}

/* How to build (or break) a proof. */
typedef struct {
  const char        *leaf;          /* fixture name of the certificate */
  const char        *key;           /* default: the leaf's key */
  const char        *intermediate;  /* NULL: none */
  const char        *root;          /* sent after the intermediate; NULL: none */
  const char *const *more;          /* sent after those; NULL-terminated, or NULL */
  const char        *algorithm;     /* default: by the key type */
  const char        *signed_purpose;/* default: the purpose used */
  const char        *signed_challenge; /* default: the challenge's value */
} ProofSpec;

static void
add_proof (JsonBuilder     *builder,
           const ProofSpec *spec,
           const char      *purpose,
           const Challenge *challenge)
{
  gnutls_privkey_t key = load_key (spec->key != NULL ? spec->key : spec->leaf);
  g_autoptr(GBytes) data = NULL;
  g_autofree char *leaf = certificate_base64 (spec->leaf);
  g_autofree char *signature = NULL;
  gnutls_datum_t to_sign, sig = { NULL, 0 };
  const char *algorithm = spec->algorithm;
  gsize size;

  if (algorithm == NULL)
    algorithm = gnutls_privkey_get_pk_algorithm (key, NULL) == GNUTLS_PK_ECDSA
                  ? CLAVE_PROOF_ALG_ECDSA_SHA256 : CLAVE_PROOF_ALG_RSA_SHA256;

  data = clave_certificate_proof_data (spec->signed_purpose != NULL ? spec->signed_purpose
                                                                    : purpose,
                                       challenge->id,
                                       spec->signed_challenge != NULL ? spec->signed_challenge
                                                                      : challenge->value);
  to_sign.data = (unsigned char *) g_bytes_get_data (data, &size);
  to_sign.size = (unsigned int) size;
  /* PKCS#1 v1.5 for RSA (what a DNIe does), DER for ECDSA. */
  g_assert_cmpint (gnutls_privkey_sign_data (key, GNUTLS_DIG_SHA256, 0, &to_sign, &sig), ==, 0);
  signature = clave_base64url_encode (sig.data, sig.size);
  gnutls_free (sig.data);
  gnutls_privkey_deinit (key);

  json_builder_set_member_name (builder, "proof");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "challenge_id");
  json_builder_add_string_value (builder, challenge->id);
  json_builder_set_member_name (builder, "certificates");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, leaf);
  if (spec->intermediate != NULL)
    {
      g_autofree char *intermediate = certificate_base64 (spec->intermediate);
      json_builder_add_string_value (builder, intermediate);
    }
  if (spec->root != NULL)
    {
      g_autofree char *root = certificate_base64 (spec->root);
      json_builder_add_string_value (builder, root);
    }
  for (guint i = 0; spec->more != NULL && spec->more[i] != NULL; i++)
    {
      g_autofree char *more = certificate_base64 (spec->more[i]);
      json_builder_add_string_value (builder, more);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "algorithm");
  json_builder_add_string_value (builder, algorithm);
  json_builder_set_member_name (builder, "signature");
  json_builder_add_string_value (builder, signature);
  json_builder_end_object (builder);
}

static char *
builder_to_json (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static TestResponse *
post_activation_proof (Fixture         *fixture,
                       TestActivation  *activation,
                       const ProofSpec *spec,
                       const Challenge *challenge)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *purpose = g_strconcat (CLAVE_PROOF_PURPOSE_ACTIVATION, activation->id, NULL);
  g_autofree char *path = g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id,
                                       CLAVE_ACTIVATION_SUFFIX_CERTIFICATE, NULL);
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  add_proof (builder, spec, purpose, challenge);
  json_builder_end_object (builder);
  json = builder_to_json (builder);
  return test_post_json (fixture->session, fixture->base, path, json, activation->token);
}

/* A fresh challenge and a proof for @activation. */
static TestResponse *
prove_activation (Fixture         *fixture,
                  TestActivation  *activation,
                  const ProofSpec *spec)
{
  g_autoptr(Challenge) challenge = get_challenge (fixture);

  return post_activation_proof (fixture, activation, spec, challenge);
}

static TestResponse *
post_registration (Fixture         *fixture,
                   const ProofSpec *spec,
                   const Challenge *challenge,
                   const char      *phone,
                   const char      *email)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  add_proof (builder, spec, CLAVE_PROOF_PURPOSE_REGISTRATION, challenge);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, phone);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, email);
  json_builder_end_object (builder);
  json = builder_to_json (builder);
  return test_post_json (fixture->session, fixture->base, CLAVE_PATH_REGISTRATIONS, json, NULL);
}

static TestResponse *
register_with (Fixture         *fixture,
               const ProofSpec *spec,
               const char      *phone,
               const char      *email)
{
  g_autoptr(Challenge) challenge = get_challenge (fixture);

  return post_registration (fixture, spec, challenge, phone, email);
}

static TestActivation *
start_lucia (Fixture *fixture)
{
  return test_start_activation (fixture->session, fixture->base, LUCIA_DOC, "validity_date",
                                LUCIA_VALIDITY);
}

static const ProofSpec lucia_dnie = { .leaf = "lucia-dnie-auth", .intermediate = "dnie-int" };
static const ProofSpec lucia_fnmt = { .leaf = "lucia-fnmt", .intermediate = "fnmt-int" };
static const ProofSpec marta_fnmt = { .leaf = "marta-fnmt", .intermediate = "fnmt-int" };
static const ProofSpec marta_dnie = { .leaf = "marta-dnie-auth", .intermediate = "dnie-int" };

/* Registers a device key with a verified activation and reads /v1/me. */
static TestResponse *
register_device_and_get_me (Fixture        *fixture,
                            TestActivation *activation)
{
  g_autoptr(TestDevice) device = test_device_new ();
  g_autoptr(TestResponse) registered = NULL;
  g_autofree char *public_key = test_device_public_key (device);
  g_autofree char *proof = test_device_proof (device, activation->id);

  registered = test_register_device (fixture->session, fixture->base, activation, public_key,
                                     proof, "Clave Desktop test device");
  test_assert_status (registered, SOUP_STATUS_CREATED);
  device->device_id = g_strdup (test_response_string (registered, "device_id"));
  g_assert_true (g_str_has_prefix (device->device_id, "dev_"));

  return test_device_request (fixture->session, fixture->base, device, "GET", CLAVE_PATH_ME,
                              NULL, NULL);
}

static void
run_sql (Fixture    *fixture,
         const char *sql)
{
  g_autofree char *path = g_build_filename (clave_test_server_get_state_dir (fixture->server),
                                            "clave.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), >, 0);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static char *
last_code (Fixture    *fixture,
           const char *phone)
{
  g_autoptr(GError) error = NULL;
  char *code = clave_test_server_last_sms_code (fixture->server, phone, &error);

  g_assert_no_error (error);
  return code;
}

static char *
wrong_code (const char *code)
{
  return g_strdup_printf ("%06u", (guint) ((g_ascii_strtoull (code, NULL, 10) + 1) % 1000000));
}

static void
assert_methods (TestResponse      *identify,
                const char *const *expected)
{
  JsonObject *activation = json_object_get_object_member (test_response_object (identify),
                                                          "activation");
  JsonArray *methods = json_object_get_array_member (activation, "methods");

  g_assert_cmpuint (json_array_get_length (methods), ==, g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_cmpstr (json_array_get_string_element (methods, i), ==, expected[i]);
}

/* Challenges ------------------------------------------------------------- */

static void
test_challenge (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(Challenge) first = get_challenge (fixture);
  g_autoptr(Challenge) second = get_challenge (fixture);
  g_autoptr(TestResponse) get = NULL;

  g_assert_cmpstr (first->id, !=, second->id);
  g_assert_cmpstr (first->value, !=, second->value);

  get = test_request (fixture->session, fixture->base, "GET", CLAVE_PATH_CHALLENGES, NULL, NULL,
                      -1, FALSE, NULL);
  test_assert_error (get, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED);
}

static void
test_challenge_rate_limit (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(TestResponse) refused = NULL;

  for (guint i = 0; i < 60; i++)
    {
      g_autoptr(Challenge) challenge = get_challenge (fixture);
    }

  refused = test_post_json (fixture->session, fixture->base, CLAVE_PATH_CHALLENGES, "{}", NULL);
  test_assert_error (refused, STATUS_TOO_MANY, CLAVE_ERR_TOO_MANY_ATTEMPTS);
  g_assert_cmpint (test_response_int (refused, "retry_after"), >, 0);
  g_assert_nonnull (test_response_header (refused, "Retry-After"));
}

/* Activation ------------------------------------------------------------- */

static void
test_methods_with_anchors (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(TestResponse) identify = test_identify (fixture->session, fixture->base, LUCIA_DOC,
                                                    "validity_date", LUCIA_VALIDITY);

  test_assert_status (identify, SOUP_STATUS_OK);
  assert_methods (identify, (const char *[]) { CLAVE_METHOD_SMS, CLAVE_METHOD_CERTIFICATE,
                                              NULL });
}

static void
test_without_anchors (void)
{
  g_autoptr(GError) error = NULL;
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) identify = NULL;
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(TestResponse) proved = NULL;

  fixture.server = clave_test_server_start_with_flags (NULL, CLAVE_TEST_SERVER_NO_TRUST_ANCHORS,
                                                       &error);
  g_assert_no_error (error);
  fixture.session = test_session_new (fixture.server);
  fixture.base = clave_test_server_get_base_url (fixture.server);

  identify = test_identify (fixture.session, fixture.base, LUCIA_DOC, "validity_date",
                            LUCIA_VALIDITY);
  test_assert_status (identify, SOUP_STATUS_OK);
  assert_methods (identify, (const char *[]) { CLAVE_METHOD_SMS, NULL });

  /* Nothing can chain to an anchor the service does not have. */
  activation = start_lucia (&fixture);
  proved = prove_activation (&fixture, activation, &lucia_dnie);
  test_assert_error (proved, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);

  fixture_tear_down (&fixture, NULL);
}

static void
test_activate_with_dnie (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(TestResponse) proved = NULL;
  g_autoptr(TestResponse) me = NULL;

  proved = prove_activation (fixture, activation, &lucia_dnie);
  test_assert_status (proved, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (proved, "verified"));
  g_assert_cmpstr (test_response_string (proved, "method"), ==, CLAVE_METHOD_DNIE);

  me = register_device_and_get_me (fixture, activation);
  test_assert_status (me, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (me, "document"), ==, "*****678Z");
  g_assert_cmpstr (test_response_string (me, "level"), ==, CLAVE_LEVEL_ADVANCED);
  /* Activating with a DNIe does not change how she registered. */
  g_assert_cmpstr (test_response_string (me, "registration_channel"), ==,
                   CLAVE_CHANNEL_IN_PERSON);
}

static void
test_activate_with_certificate (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(TestResponse) proved = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *outbox = NULL;

  /* Lucía's FNMT key is ECDSA P-256: the other proof algorithm. */
  proved = prove_activation (fixture, activation, &lucia_fnmt);
  test_assert_status (proved, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (proved, "verified"));
  g_assert_cmpstr (test_response_string (proved, "method"), ==, CLAVE_METHOD_CERTIFICATE);

  me = register_device_and_get_me (fixture, activation);
  test_assert_status (me, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (me, "given_name"), ==, "Lucía");

  /* No SMS was needed. */
  outbox = clave_test_server_admin (fixture->server, &error, "outbox", "--json", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (g_strstrip (outbox), ==, "[]");
}

/* What clients may send: the whole chain, the root along with it, or the
 * leaf alone (a card without its intermediate) since the fixture server
 * holds the intermediates of the test PKI (the folder beside its
 * anchors). An intermediate of another authority is passed over. */
static void
test_activate_chain_forms (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  const ProofSpec forms[] = {
    { .leaf = "lucia-dnie-auth" },
    { .leaf = "lucia-dnie-auth", .intermediate = "dnie-root" },
    { .leaf = "lucia-dnie-auth", .intermediate = "dnie-int", .root = "dnie-root" },
    { .leaf = "lucia-fnmt", .intermediate = "dnie-int" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autoptr(TestResponse) proved = prove_activation (fixture, activation, &forms[i]);

      g_test_message ("form %" G_GSIZE_FORMAT, i);
      test_assert_status (proved, SOUP_STATUS_OK);
      g_assert_true (test_response_bool (proved, "verified"));
    }
}

typedef struct {
  const char *name;
  ProofSpec   spec;
  guint       status;
  const char *error;
} Rejection;

static const Rejection activation_rejections[] = {
  { "expired", { .leaf = "expired", .intermediate = "fnmt-int" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_EXPIRED },
  { "untrusted-ca", { .leaf = "untrusted", .intermediate = "untrusted-ca" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED },
  /* The service knows no certificate of its issuer. */
  { "untrusted-leaf-only", { .leaf = "untrusted" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_ISSUER_UNKNOWN },
  { "another-person", { .leaf = "antonio-fnmt", .intermediate = "fnmt-int" },
    SOUP_STATUS_FORBIDDEN, CLAVE_ERR_IDENTITY_MISMATCH },
  { "another-person-dnie", { .leaf = "marta-dnie-auth", .intermediate = "dnie-int" },
    SOUP_STATUS_FORBIDDEN, CLAVE_ERR_IDENTITY_MISMATCH },
  { "no-identity", { .leaf = "no-identity", .intermediate = "fnmt-int" },
    SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_CERTIFICATE_WITHOUT_IDENTITY },
  /* The DNIe signing certificate: nonRepudiation only. */
  { "signing-certificate", { .leaf = "lucia-dnie-sign", .intermediate = "dnie-int" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_NOT_USABLE },
  /* Signed with another key than the certificate's. */
  { "other-key", { .leaf = "lucia-dnie-auth", .key = "lucia-dnie-sign",
                   .intermediate = "dnie-int" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CERT_SIGNATURE },
  /* Signed for another purpose: a registration proof is no activation. */
  { "other-purpose", { .leaf = "lucia-dnie-auth", .intermediate = "dnie-int",
                       .signed_purpose = CLAVE_PROOF_PURPOSE_REGISTRATION },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CERT_SIGNATURE },
  { "other-activation", { .leaf = "lucia-dnie-auth", .intermediate = "dnie-int",
                          .signed_purpose = CLAVE_PROOF_PURPOSE_ACTIVATION "act_other" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CERT_SIGNATURE },
  { "other-challenge", { .leaf = "lucia-dnie-auth", .intermediate = "dnie-int",
                         .signed_challenge = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CERT_SIGNATURE },
  /* The algorithm must be the key's. */
  { "algorithm-mismatch", { .leaf = "lucia-dnie-auth", .intermediate = "dnie-int",
                            .algorithm = CLAVE_PROOF_ALG_ECDSA_SHA256 },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CERT_SIGNATURE },
  { "algorithm-mismatch-ec", { .leaf = "lucia-fnmt", .intermediate = "fnmt-int",
                               .algorithm = CLAVE_PROOF_ALG_RSA_SHA256 },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CERT_SIGNATURE },
};

static void
test_activation_rejection (Fixture       *fixture,
                           gconstpointer  user_data)
{
  const Rejection *rejection = user_data;
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(TestResponse) refused = NULL;
  g_autoptr(TestResponse) device = NULL;
  g_autoptr(TestResponse) proved = NULL;
  g_autoptr(TestDevice) key = test_device_new ();
  g_autofree char *public_key = test_device_public_key (key);
  g_autofree char *proof = test_device_proof (key, activation->id);

  refused = prove_activation (fixture, activation, &rejection->spec);
  test_assert_error (refused, rejection->status, rejection->error);

  /* Nothing was verified: the device cannot register. */
  device = test_register_device (fixture->session, fixture->base, activation, public_key, proof,
                                 "Clave Desktop test device");
  test_assert_error (device, SOUP_STATUS_CONFLICT, CLAVE_ERR_ACTIVATION_NOT_VERIFIED);

  /* The activation stays usable with the right certificate. */
  proved = prove_activation (fixture, activation, &lucia_dnie);
  test_assert_status (proved, SOUP_STATUS_OK);
}

static void
test_challenge_reuse (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(TestActivation) again = NULL;
  g_autoptr(Challenge) challenge = get_challenge (fixture);
  g_autoptr(Challenge) bad_first = get_challenge (fixture);
  g_autoptr(TestResponse) first = NULL;
  g_autoptr(TestResponse) second = NULL;
  g_autoptr(TestResponse) failed = NULL;
  g_autoptr(TestResponse) after_failure = NULL;
  const ProofSpec expired = { .leaf = "expired", .intermediate = "fnmt-int" };

  first = post_activation_proof (fixture, activation, &lucia_dnie, challenge);
  test_assert_status (first, SOUP_STATUS_OK);

  /* Replayed, even for a new activation of the same person. */
  again = start_lucia (fixture);
  second = post_activation_proof (fixture, again, &lucia_dnie, challenge);
  test_assert_error (second, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CHALLENGE);

  /* A refused proof uses its challenge up too. */
  failed = post_activation_proof (fixture, again, &expired, bad_first);
  test_assert_error (failed, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_EXPIRED);
  after_failure = post_activation_proof (fixture, again, &lucia_dnie, bad_first);
  test_assert_error (after_failure, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CHALLENGE);
}

static void
test_challenge_unknown (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  Challenge made_up = { .id = (char *) "ch_madeup", .value = (char *) "AAAA" };
  g_autoptr(TestResponse) refused = NULL;

  refused = post_activation_proof (fixture, activation, &lucia_dnie, &made_up);
  test_assert_error (refused, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CHALLENGE);
}

static void
test_challenge_expired (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(Challenge) challenge = get_challenge (fixture);
  g_autoptr(TestResponse) refused = NULL;
  g_autofree char *sql = NULL;

  /* Five minutes in the past, without waiting five minutes. */
  sql = g_strdup_printf ("UPDATE challenges SET expires_at = created_at - 1 WHERE id = '%s'",
                         challenge->id);
  run_sql (fixture, sql);

  refused = post_activation_proof (fixture, activation, &lucia_dnie, challenge);
  test_assert_error (refused, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CHALLENGE);
}

/* Malformed proofs: 400 invalid_request, and the challenge is not used
 * up by a request the service did not even read. */
static void
test_malformed_proof (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(Challenge) challenge = get_challenge (fixture);
  g_autofree char *path = g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id,
                                       CLAVE_ACTIVATION_SUFFIX_CERTIFICATE, NULL);
  g_autofree char *leaf = certificate_base64 ("lucia-dnie-auth");
  g_autofree char *url_safe = g_strdup (leaf);
  g_autofree char *spaced = NULL;
  g_autofree char *big = NULL;
  g_autofree char *not_der = g_base64_encode ((const guchar *) "not a certificate", 17);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) six = g_string_new (NULL);
  g_autoptr(TestResponse) proved = NULL;
  guchar *zeros;

  for (char *p = url_safe; *p != '\0'; p++)
    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
  spaced = g_strdup_printf ("%.10s %s", leaf, leaf + 10);
  zeros = g_malloc0 (CLAVE_PROOF_MAX_CERTIFICATE_SIZE + 1);
  big = g_base64_encode (zeros, CLAVE_PROOF_MAX_CERTIFICATE_SIZE + 1);
  g_free (zeros);
  for (guint i = 0; i < 6; i++)
    g_string_append_printf (six, "%s\"%s\"", i > 0 ? "," : "", leaf);

#define PROOF(certs, alg, sig) \
  g_strdup_printf ("{\"proof\": {\"challenge_id\": \"%s\", \"certificates\": %s, " \
                   "\"algorithm\": %s, \"signature\": %s}}", challenge->id, certs, alg, sig)

  g_ptr_array_add (bodies, g_strdup ("{}"));
  g_ptr_array_add (bodies, g_strdup ("{\"proof\": \"x\"}"));
  g_ptr_array_add (bodies, g_strdup_printf ("{\"proof\": {\"certificates\": [\"%s\"], "
                                            "\"algorithm\": \"rsa-pkcs1-sha256\", "
                                            "\"signature\": \"AAAA\"}}", leaf));
  g_ptr_array_add (bodies, PROOF ("[]", "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  g_ptr_array_add (bodies, PROOF ("\"x\"", "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  g_ptr_array_add (bodies, PROOF ("[1]", "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  g_ptr_array_add (bodies, PROOF ("[\"%%%%\"]", "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  {
    g_autofree char *certs = g_strdup_printf ("[\"%s\"]", url_safe);
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  }
  {
    g_autofree char *certs = g_strdup_printf ("[\"%s\"]", spaced);
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  }
  {
    g_autofree char *certs = g_strdup_printf ("[\"%s\"]", big);
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  }
  {
    g_autofree char *certs = g_strdup_printf ("[\"%s\"]", not_der);
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  }
  {
    g_autofree char *certs = g_strdup_printf ("[%s]", six->str);
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pkcs1-sha256\"", "\"AAAA\""));
  }
  {
    g_autofree char *certs = g_strdup_printf ("[\"%s\"]", leaf);
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pss-sha256\"", "\"AAAA\""));
    g_ptr_array_add (bodies, PROOF (certs, "7", "\"AAAA\""));
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pkcs1-sha256\"", "\"AA+/\""));
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pkcs1-sha256\"", "\"\""));
    g_ptr_array_add (bodies, PROOF (certs, "\"rsa-pkcs1-sha256\"", "null"));
  }
#undef PROOF

  for (guint i = 0; i < bodies->len; i++)
    {
      g_autoptr(TestResponse) refused = NULL;

      g_test_message ("body %u", i);
      refused = test_post_json (fixture->session, fixture->base, path,
                                g_ptr_array_index (bodies, i), activation->token);
      test_assert_error (refused, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
    }

  proved = post_activation_proof (fixture, activation, &lucia_dnie, challenge);
  test_assert_status (proved, SOUP_STATUS_OK);
}

static void
test_activation_errors (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(TestActivation) wrong_token = NULL;
  g_autoptr(TestResponse) refused = NULL;
  g_autoptr(TestResponse) get = NULL;
  g_autofree char *path = g_strconcat (CLAVE_PATH_ACTIVATIONS, activation->id,
                                       CLAVE_ACTIVATION_SUFFIX_CERTIFICATE, NULL);

  wrong_token = g_new0 (TestActivation, 1);
  wrong_token->id = g_strdup (activation->id);
  wrong_token->token = g_strdup ("not-the-token");
  refused = prove_activation (fixture, wrong_token, &lucia_dnie);
  test_assert_error (refused, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_ACTIVATION);

  get = test_request (fixture->session, fixture->base, "GET", path, NULL, NULL, -1, FALSE, NULL);
  test_assert_error (get, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED);
}

/* Registration ----------------------------------------------------------- */

typedef struct {
  char *id;
  char *token;
} Registration;

static void
registration_free (Registration *registration)
{
  g_free (registration->id);
  g_free (registration->token);
  g_free (registration);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Registration, registration_free)

static Registration *
registration_from (TestResponse *response)
{
  Registration *registration = g_new0 (Registration, 1);

  test_assert_status (response, SOUP_STATUS_CREATED);
  registration->id = g_strdup (test_response_string (response, "id"));
  registration->token = g_strdup (test_response_string (response, "token"));
  g_assert_true (g_str_has_prefix (registration->id, "reg_"));
  g_assert_cmpuint (strlen (registration->token), >=, 32);
  return registration;
}

static TestResponse *
registration_step (Fixture      *fixture,
                   Registration *registration,
                   const char   *step,
                   const char   *body,
                   const char   *token)
{
  g_autofree char *path = g_strconcat (CLAVE_PATH_REGISTRATION_PREFIX, registration->id, step,
                                       NULL);

  return test_post_json (fixture->session, fixture->base, path, body,
                         token != NULL ? token : registration->token);
}

static TestResponse *
verify_registration (Fixture      *fixture,
                     Registration *registration,
                     const char   *code)
{
  g_autofree char *body = g_strdup_printf ("{\"code\": \"%s\"}", code);

  return registration_step (fixture, registration, "/verify", body, NULL);
}

static TestActivation *
activation_from_registration (TestResponse *verified)
{
  JsonObject *object = json_object_get_object_member (test_response_object (verified),
                                                      "activation");
  TestActivation *activation;

  g_assert_nonnull (object);
  g_assert_true (json_object_get_boolean_member (object, "verified"));
  g_assert_cmpint (json_object_get_int_member (object, "expires_in"), ==,
                   CLAVE_ACTIVATION_TTL_SECS);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "methods")),
                    ==, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "phone_hint"), ==, "******888");

  activation = g_new0 (TestActivation, 1);
  activation->id = g_strdup (json_object_get_string_member (object, "id"));
  activation->token = g_strdup (json_object_get_string_member (object, "token"));
  g_assert_true (g_str_has_prefix (activation->id, "act_"));
  return activation;
}

static void
check_registration (Fixture         *fixture,
                    const ProofSpec *spec,
                    const char      *channel)
{
  g_autoptr(TestResponse) started = NULL;
  g_autoptr(TestResponse) verified = NULL;
  g_autoptr(TestResponse) again = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(TestResponse) identify = NULL;
  g_autoptr(Registration) registration = NULL;
  g_autoptr(TestActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *outbox = NULL;
  g_autofree char *shown = NULL;
  g_autofree char *shown_json = NULL;

  started = register_with (fixture, spec, MARTA_PHONE, MARTA_EMAIL);
  registration = registration_from (started);
  g_assert_cmpstr (test_response_string (started, "phone_hint"), ==, "******888");
  g_assert_cmpint (test_response_int (started, "code_expires_in"), ==, 300);
  g_assert_cmpint (test_response_int (started, "resend_after"), ==, 30);
  g_assert_cmpint (test_response_int (started, "sends_left"), ==, 2);
  g_assert_cmpstr (test_response_string (started, "document"), ==, MARTA_DOC);
  g_assert_cmpstr (test_response_string (started, "given_name"), ==, "MARTA");
  g_assert_cmpstr (test_response_string (started, "surnames"), ==, "VIDAL SOLER");

  /* What Marta reads on her phone. */
  outbox = clave_test_server_admin (fixture->server, &error, "outbox", "--limit", "1", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (outbox, MARTA_PHONE));
  g_assert_nonnull (strstr (outbox, "Cl@ve: su código de registro es "));

  code = last_code (fixture, MARTA_PHONE);
  verified = verify_registration (fixture, registration, code);
  test_assert_status (verified, SOUP_STATUS_CREATED);
  g_assert_true (test_response_bool (verified, "registered"));
  g_assert_cmpstr (test_response_string (verified, "level"), ==, CLAVE_LEVEL_ADVANCED);
  g_assert_cmpstr (test_response_string (verified, "registration_channel"), ==, channel);
  activation = activation_from_registration (verified);

  /* Used up. */
  again = verify_registration (fixture, registration, code);
  test_assert_error (again, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_REGISTRATION);

  me = register_device_and_get_me (fixture, activation);
  test_assert_status (me, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (me, "document"), ==, "*****321X");
  g_assert_cmpstr (test_response_string (me, "given_name"), ==, "Marta");
  g_assert_cmpstr (test_response_string (me, "phone"), ==, "******888");
  g_assert_cmpstr (test_response_string (me, "email"), ==, MARTA_EMAIL);
  g_assert_cmpstr (test_response_string (me, "level"), ==, CLAVE_LEVEL_ADVANCED);
  g_assert_cmpstr (test_response_string (me, "registration_channel"), ==, channel);

  /* The registry office sees how she registered. */
  shown = clave_test_server_admin (fixture->server, &error, "show", MARTA_DOC, NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (shown, channel));
  shown_json = clave_test_server_admin (fixture->server, &error, "show", MARTA_DOC, "--json",
                                        NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (shown_json, "\"registration_channel\""));

  /* From now on she is a citizen like any other. */
  identify = test_identify (fixture->session, fixture->base, MARTA_DOC, "validity_date",
                            MARTA_VALIDITY);
  test_assert_status (identify, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (identify, "registered"));
}

static void
test_register_with_certificate (Fixture       *fixture,
                                gconstpointer  user_data)
{
  check_registration (fixture, &marta_fnmt, CLAVE_CHANNEL_CERTIFICATE);
}

static void
test_register_with_dnie (Fixture       *fixture,
                         gconstpointer  user_data)
{
  check_registration (fixture, &marta_dnie, CLAVE_CHANNEL_DNIE);
}

static void
test_register_already_registered (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(TestResponse) refused = register_with (fixture, &lucia_fnmt, "+34600555444",
                                                   "lucia2@example.org");

  test_assert_error (refused, SOUP_STATUS_CONFLICT, CLAVE_ERR_ALREADY_REGISTERED);
}

static void
test_register_phone_in_use (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(TestResponse) refused = register_with (fixture, &marta_fnmt, LUCIA_PHONE,
                                                   MARTA_EMAIL);

  test_assert_error (refused, SOUP_STATUS_CONFLICT, CLAVE_ERR_PHONE_IN_USE);
}

static void
test_register_identity_unknown (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autoptr(TestResponse) refused = NULL;

  run_sql (fixture, "DELETE FROM identities WHERE document = '" MARTA_DOC "'");
  refused = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  test_assert_error (refused, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_IDENTITY_UNKNOWN);
}

static void
test_register_invalid_input (Fixture       *fixture,
                             gconstpointer  user_data)
{
  static const char * const bad_phones[] = {
    "", "600999888", "+34 600 999 888", "+3460099988a", "+1234567", "+1234567890123456",
    "++34600999888", "+034600999888", "0034600999888",
  };
  static const char * const bad_emails[] = {
    "", "marta", "@example.org", "marta@", "marta@example", "marta@@example.org",
    "marta @example.org", "marta@example.", "marta@.org", "a@b@example.org",
  };
  g_autoptr(Challenge) challenge = get_challenge (fixture);
  g_autoptr(TestResponse) missing_phone = NULL;
  g_autoptr(TestResponse) works = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (bad_phones); i++)
    {
      g_autoptr(TestResponse) refused = post_registration (fixture, &marta_fnmt, challenge,
                                                           bad_phones[i], MARTA_EMAIL);
      g_test_message ("phone '%s'", bad_phones[i]);
      test_assert_error (refused, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PHONE);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad_emails); i++)
    {
      g_autoptr(TestResponse) refused = post_registration (fixture, &marta_fnmt, challenge,
                                                           MARTA_PHONE, bad_emails[i]);
      g_test_message ("e-mail '%s'", bad_emails[i]);
      test_assert_error (refused, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_EMAIL);
    }

  missing_phone = test_post_json (fixture->session, fixture->base, CLAVE_PATH_REGISTRATIONS,
                                  "{\"email\": \"" MARTA_EMAIL "\"}", NULL);
  test_assert_error (missing_phone, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);

  /* None of that used the challenge up. */
  works = post_registration (fixture, &marta_fnmt, challenge, "+4915199887766", MARTA_EMAIL);
  test_assert_status (works, SOUP_STATUS_CREATED);
}

static const Rejection registration_rejections[] = {
  { "expired", { .leaf = "expired", .intermediate = "fnmt-int" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_EXPIRED },
  { "untrusted-ca", { .leaf = "untrusted", .intermediate = "untrusted-ca" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED },
  { "no-identity", { .leaf = "no-identity", .intermediate = "fnmt-int" },
    SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_CERTIFICATE_WITHOUT_IDENTITY },
  { "signing-certificate", { .leaf = "marta-dnie-sign", .intermediate = "dnie-int" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_NOT_USABLE },
  /* An activation proof is no registration proof. */
  { "other-purpose", { .leaf = "marta-fnmt", .intermediate = "fnmt-int",
                       .signed_purpose = CLAVE_PROOF_PURPOSE_ACTIVATION "act_x" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CERT_SIGNATURE },
  { "other-key", { .leaf = "marta-fnmt", .key = "antonio-fnmt", .intermediate = "fnmt-int" },
    SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CERT_SIGNATURE },
};

static void
test_registration_rejection (Fixture       *fixture,
                             gconstpointer  user_data)
{
  const Rejection *rejection = user_data;
  g_autoptr(TestResponse) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *outbox = NULL;

  refused = register_with (fixture, &rejection->spec, MARTA_PHONE, MARTA_EMAIL);
  test_assert_error (refused, rejection->status, rejection->error);

  /* No code went anywhere. */
  outbox = clave_test_server_admin (fixture->server, &error, "outbox", "--json", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (g_strstrip (outbox), ==, "[]");
}

static void
test_registration_wrong_code_locks (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  g_autoptr(TestResponse) started = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  g_autoptr(Registration) registration = registration_from (started);
  g_autofree char *code = last_code (fixture, MARTA_PHONE);
  g_autofree char *wrong = wrong_code (code);
  g_autoptr(TestResponse) first = NULL;
  g_autoptr(TestResponse) second = NULL;
  g_autoptr(TestResponse) third = NULL;
  g_autoptr(TestResponse) right = NULL;
  g_autoptr(TestResponse) resend = NULL;
  g_autoptr(TestResponse) malformed = NULL;

  malformed = verify_registration (fixture, registration, "12345");
  test_assert_error (malformed, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);

  first = verify_registration (fixture, registration, wrong);
  test_assert_error (first, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE);
  g_assert_cmpint (test_response_int (first, "attempts_left"), ==, 2);
  second = verify_registration (fixture, registration, wrong);
  test_assert_error (second, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE);
  g_assert_cmpint (test_response_int (second, "attempts_left"), ==, 1);
  third = verify_registration (fixture, registration, wrong);
  test_assert_error (third, SOUP_STATUS_LOCKED, CLAVE_ERR_REGISTRATION_LOCKED);

  /* Even the right code, and no more codes. */
  right = verify_registration (fixture, registration, code);
  test_assert_error (right, SOUP_STATUS_LOCKED, CLAVE_ERR_REGISTRATION_LOCKED);
  resend = registration_step (fixture, registration, "/sms", "{}", NULL);
  test_assert_error (resend, SOUP_STATUS_LOCKED, CLAVE_ERR_REGISTRATION_LOCKED);
}

/* Wrong codes count per person across registrations and activations: the
 * limit of docs/protocol.md "3. Verify the code" is one. */
static void
test_registration_wrong_codes_per_person (Fixture       *fixture,
                                          gconstpointer  user_data)
{
  g_autoptr(TestResponse) refused = NULL;

  /* Three registrations, three wrong codes each (9), then one more. */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(TestResponse) started = register_with (fixture, &marta_fnmt, MARTA_PHONE,
                                                       MARTA_EMAIL);
      g_autoptr(Registration) registration = registration_from (started);
      g_autofree char *code = last_code (fixture, MARTA_PHONE);
      g_autofree char *wrong = wrong_code (code);

      for (guint j = 0; j < (i < 3 ? 3u : 1u); j++)
        {
          g_autoptr(TestResponse) answer = verify_registration (fixture, registration, wrong);
          g_assert_cmpuint (answer->status, !=, SOUP_STATUS_CREATED);
        }
    }

  refused = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  test_assert_error (refused, STATUS_TOO_MANY,
                     CLAVE_ERR_TOO_MANY_ATTEMPTS);
}

static void
test_registration_resend (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(TestResponse) started = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  g_autoptr(Registration) registration = registration_from (started);
  g_autofree char *first_code = last_code (fixture, MARTA_PHONE);
  g_autofree char *newest = NULL;
  g_autoptr(TestResponse) resend = NULL;
  g_autoptr(TestResponse) third = NULL;
  g_autoptr(TestResponse) fourth = NULL;
  g_autoptr(TestResponse) old_code = NULL;
  g_autoptr(TestResponse) verified = NULL;

  /* --sms-resend-interval 0 (this test's server). */
  resend = registration_step (fixture, registration, "/sms", "{}", NULL);
  test_assert_status (resend, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (resend, "sent"));
  g_assert_cmpint (test_response_int (resend, "sends_left"), ==, 1);
  g_assert_cmpstr (test_response_string (resend, "phone_hint"), ==, "******888");

  third = registration_step (fixture, registration, "/sms", "{}", NULL);
  test_assert_status (third, SOUP_STATUS_OK);
  g_assert_cmpint (test_response_int (third, "sends_left"), ==, 0);
  fourth = registration_step (fixture, registration, "/sms", "{}", NULL);
  test_assert_error (fourth, STATUS_TOO_MANY, CLAVE_ERR_RESEND_LIMIT);

  /* A resend replaces the code (unless chance drew the same one). */
  newest = last_code (fixture, MARTA_PHONE);
  if (g_strcmp0 (first_code, newest) != 0)
    {
      old_code = verify_registration (fixture, registration, first_code);
      test_assert_error (old_code, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_CODE);
    }

  verified = verify_registration (fixture, registration, newest);
  test_assert_status (verified, SOUP_STATUS_CREATED);
}

static void
test_registration_resend_too_soon (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr(TestResponse) started = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  g_autoptr(Registration) registration = registration_from (started);
  g_autoptr(TestResponse) resend = NULL;

  resend = registration_step (fixture, registration, "/sms", "{}", NULL);
  test_assert_error (resend, STATUS_TOO_MANY, CLAVE_ERR_RESEND_TOO_SOON);
  g_assert_cmpint (test_response_int (resend, "retry_after"), >, 0);
}

static void
test_registration_invalid (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(TestResponse) started = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  g_autoptr(Registration) registration = registration_from (started);
  g_autofree char *code = last_code (fixture, MARTA_PHONE);
  g_autofree char *body = g_strdup_printf ("{\"code\": \"%s\"}", code);
  Registration unknown = { .id = (char *) "reg_unknown", .token = registration->token };
  g_autoptr(TestResponse) wrong_token = NULL;
  g_autoptr(TestResponse) no_token = NULL;
  g_autoptr(TestResponse) unknown_id = NULL;
  g_autoptr(TestResponse) replaced = NULL;
  g_autoptr(TestResponse) newer = NULL;
  g_autoptr(TestResponse) other_step = NULL;
  g_autoptr(TestResponse) get = NULL;
  g_autofree char *verify_path = g_strconcat (CLAVE_PATH_REGISTRATION_PREFIX, registration->id,
                                              "/verify", NULL);
  g_autofree char *other_path = g_strconcat (CLAVE_PATH_REGISTRATION_PREFIX, registration->id,
                                             "/other", NULL);

  wrong_token = registration_step (fixture, registration, "/verify", body, "wrong-token");
  test_assert_error (wrong_token, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_REGISTRATION);
  no_token = test_post_json (fixture->session, fixture->base, verify_path, body, NULL);
  test_assert_error (no_token, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_REGISTRATION);
  other_step = test_post_json (fixture->session, fixture->base, other_path, body, NULL);
  test_assert_error (other_step, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
  get = test_request (fixture->session, fixture->base, "GET", CLAVE_PATH_REGISTRATIONS, NULL,
                      NULL, -1, FALSE, NULL);
  test_assert_error (get, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED);
  unknown_id = registration_step (fixture, &unknown, "/verify", body, NULL);
  test_assert_error (unknown_id, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_REGISTRATION);

  /* A newer registration of the same person replaces this one. */
  newer = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  test_assert_status (newer, SOUP_STATUS_CREATED);
  replaced = verify_registration (fixture, registration, code);
  test_assert_error (replaced, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_REGISTRATION);
}

static void
test_registration_expired (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(TestResponse) started = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  g_autoptr(Registration) registration = registration_from (started);
  g_autofree char *code = last_code (fixture, MARTA_PHONE);
  g_autofree char *sql = NULL;
  g_autoptr(TestResponse) refused = NULL;

  sql = g_strdup_printf ("UPDATE registrations SET expires_at = created_at - 1 WHERE id = '%s'",
                         registration->id);
  run_sql (fixture, sql);

  refused = verify_registration (fixture, registration, code);
  test_assert_error (refused, SOUP_STATUS_GONE, CLAVE_ERR_REGISTRATION_EXPIRED);
}

static void
test_registration_code_expired (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autoptr(TestResponse) started = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  g_autoptr(Registration) registration = registration_from (started);
  g_autofree char *code = last_code (fixture, MARTA_PHONE);
  g_autofree char *sql = NULL;
  g_autoptr(TestResponse) refused = NULL;

  sql = g_strdup_printf ("UPDATE registrations SET code_expires_at = created_at - 1"
                         " WHERE id = '%s'", registration->id);
  run_sql (fixture, sql);

  refused = verify_registration (fixture, registration, code);
  test_assert_error (refused, SOUP_STATUS_GONE, CLAVE_ERR_CODE_EXPIRED);
}

/* The phone was taken by someone else between the start and the code. */
static void
test_registration_phone_taken_meanwhile (Fixture       *fixture,
                                         gconstpointer  user_data)
{
  g_autoptr(TestResponse) started = register_with (fixture, &marta_fnmt, MARTA_PHONE, MARTA_EMAIL);
  g_autoptr(Registration) registration = registration_from (started);
  g_autofree char *code = last_code (fixture, MARTA_PHONE);
  g_autoptr(TestResponse) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  out = clave_test_server_admin (fixture->server, &error, "register",
                                 "--document", "11111111H", "--given-name", "Otra",
                                 "--surnames", "Persona", "--validity-date", "2030-01-01",
                                 "--phone", MARTA_PHONE, "--email", "otra@example.org", NULL);
  g_assert_no_error (error);

  refused = verify_registration (fixture, registration, code);
  test_assert_error (refused, SOUP_STATUS_CONFLICT, CLAVE_ERR_PHONE_IN_USE);
}

/* Crafted certificates --------------------------------------------------- */

/* Certificates no honest CA issues, made here under the trusted FNMT-like
 * root of the test PKI, whose keys the fixture keeps for this. */

static gnutls_x509_privkey_t
crafted_load_key (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".key", NULL);
  g_autofree char *pem = NULL;
  gnutls_x509_privkey_t key;
  gnutls_datum_t datum;
  gsize len;

  pem = read_pki_file (file, &len);
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_import (key, &datum, GNUTLS_X509_FMT_PEM), ==, 0);
  return key;
}

static gnutls_x509_crt_t
crafted_load_certificate (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".pem", NULL);
  g_autofree char *pem = NULL;
  gnutls_x509_crt_t crt;
  gnutls_datum_t datum;
  gsize len;

  pem = read_pki_file (file, &len);
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM), ==, 0);
  return crt;
}

static gnutls_x509_privkey_t
crafted_new_key (void)
{
  gnutls_x509_privkey_t key;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate (key, GNUTLS_PK_RSA, 2048, 0), ==, 0);
  return key;
}

/* Issues a certificate for @key named @cn, in Spain (or, when it holds an
 * "=", named by the whole DN @cn), and @serial_number, for a person,
 * signed by @signer_key in the name of @issuer (NULL: in its own name,
 * self-signed with @key). @eku: raw DER of an extendedKeyUsage extension,
 * or NULL. */
static gnutls_x509_crt_t
crafted_issue (const char            *cn,
               const char            *serial_number,
               gnutls_x509_privkey_t  key,
               gnutls_x509_crt_t      issuer,
               gnutls_x509_privkey_t  signer_key,
               gint64                 not_before,
               gint64                 not_after,
               gboolean               ca,
               const char            *eku,
               gsize                  eku_len)
{
  static guint serial = 1000;
  gnutls_x509_crt_t crt;
  guint8 serial_bytes[4];

  serial++;
  serial_bytes[0] = 0x01;
  serial_bytes[1] = (guint8) (serial >> 16);
  serial_bytes[2] = (guint8) (serial >> 8);
  serial_bytes[3] = (guint8) serial;

  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (crt, 3), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_serial (crt, serial_bytes, sizeof serial_bytes), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (crt, (time_t) not_before), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (crt, (time_t) not_after), ==, 0);
  if (strchr (cn, '=') != NULL)
    g_assert_cmpint (gnutls_x509_crt_set_dn (crt, cn, NULL), ==, 0);
  else
    {
      g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COUNTRY_NAME, 0,
                                                      "ES", 2), ==, 0);
      g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                                      (unsigned int) strlen (cn)), ==, 0);
    }
  if (serial_number != NULL)
    g_assert_cmpint (gnutls_x509_crt_set_dn_by_oid (crt, "2.5.4.5", 0, serial_number,
                                                    (unsigned int) strlen (serial_number)), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, key), ==, 0);
  /* A CA names its key, as real ones do (their children's Authority Key
   * Identifier is left out: they match by name only). */
  if (ca)
    {
      guchar id[64];
      size_t id_size = sizeof id;

      g_assert_cmpint (gnutls_x509_crt_get_key_id (crt, 0, id, &id_size), ==, 0);
      g_assert_cmpint (gnutls_x509_crt_set_subject_key_id (crt, id, id_size), ==, 0);
    }
  g_assert_cmpint (gnutls_x509_crt_set_basic_constraints (crt, ca, -1), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key_usage (crt, ca ? GNUTLS_KEY_KEY_CERT_SIGN |
                                                            GNUTLS_KEY_CRL_SIGN
                                                          : GNUTLS_KEY_DIGITAL_SIGNATURE),
                   ==, 0);
  if (eku != NULL)
    g_assert_cmpint (gnutls_x509_crt_set_extension_by_oid (crt, "2.5.29.37", eku, eku_len, 0),
                     ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, issuer != NULL ? issuer : crt,
                                         issuer != NULL ? signer_key : key,
                                         GNUTLS_DIG_SHA256, 0), ==, 0);
  return crt;
}

/* Writes NAME.pem (and NAME.key) where the proofs of this test look. */
static void
crafted_save (const char            *name,
              gnutls_x509_crt_t      crt,
              gnutls_x509_privkey_t  key)
{
  g_autofree char *pem_path = NULL;
  gnutls_datum_t out = { NULL, 0 };
  g_autoptr(GError) error = NULL;

  if (crafted_dir == NULL)
    crafted_dir = g_dir_make_tmp ("clave-crafted-XXXXXX", &error);
  g_assert_no_error (error);

  pem_path = g_strdup_printf ("%s/%s.pem", crafted_dir, name);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out), ==, 0);
  g_file_set_contents (pem_path, (const char *) out.data, out.size, &error);
  g_assert_no_error (error);
  gnutls_free (out.data);

  if (key != NULL)
    {
      g_autofree char *key_path = g_strdup_printf ("%s/%s.key", crafted_dir, name);

      g_assert_cmpint (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &out), ==, 0);
      g_file_set_contents (key_path, (const char *) out.data, out.size, &error);
      g_assert_no_error (error);
      gnutls_free (out.data);
    }
}

static void
crafted_clear (void)
{
  if (crafted_dir == NULL)
    return;
  clave_test_remove_tree (crafted_dir);
  g_clear_pointer (&crafted_dir, g_free);
}

static void
assert_still_serving (Fixture *fixture)
{
  g_autoptr(TestResponse) health = test_request (fixture->session, fixture->base, "GET",
                                                 CLAVE_PATH_HEALTH, NULL, NULL, 0, FALSE, NULL);

  test_assert_status (health, SOUP_STATUS_OK);
}

/* An extendedKeyUsage that does not parse (a NULL where a SEQUENCE of
 * OIDs belongs) once made the server loop for ever on one request. */
static void
test_malformed_eku (Fixture       *fixture,
                    gconstpointer  user_data)
{
  static const char bad_eku[] = { 0x05, 0x00 };
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(TestResponse) refused = NULL;
  gnutls_x509_privkey_t int_key = crafted_load_key ("fnmt-int");
  gnutls_x509_crt_t intermediate = crafted_load_certificate ("fnmt-int");
  gnutls_x509_privkey_t key = crafted_new_key ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gnutls_x509_crt_t leaf;
  const ProofSpec spec = { .leaf = "bad-eku", .intermediate = "fnmt-int" };

  leaf = crafted_issue ("GARCIA PEREZ LUCIA - 12345678Z", "IDCES-12345678Z", key, intermediate,
                        int_key, now - 3600, now + 86400, FALSE, bad_eku, sizeof bad_eku);
  crafted_save ("bad-eku", leaf, key);

  refused = prove_activation (fixture, activation, &spec);
  test_assert_error (refused, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_NOT_USABLE);
  assert_still_serving (fixture);

  gnutls_x509_crt_deinit (leaf);
  gnutls_x509_privkey_deinit (key);
  gnutls_x509_crt_deinit (intermediate);
  gnutls_x509_privkey_deinit (int_key);
  crafted_clear ();
}

/* Under an expired intermediate, GnuTLS stops checking at the expired
 * certificate: a leaf whose signature is forged must still be called
 * untrusted, and only an honest one expired. */
static void
test_forged_under_expired_intermediate (Fixture       *fixture,
                                        gconstpointer  user_data)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(TestResponse) forged = NULL;
  g_autoptr(TestResponse) late = NULL;
  gnutls_x509_privkey_t root_key = crafted_load_key ("fnmt-root");
  gnutls_x509_crt_t root = crafted_load_certificate ("fnmt-root");
  gnutls_x509_privkey_t int_key = crafted_new_key ();
  gnutls_x509_privkey_t leaf_key = crafted_new_key ();
  gnutls_x509_privkey_t stranger = crafted_new_key ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gnutls_x509_crt_t old_int, late_leaf, forged_leaf;
  const ProofSpec late_spec = { .leaf = "late-leaf", .intermediate = "old-int" };
  const ProofSpec forged_spec = { .leaf = "forged-leaf", .intermediate = "old-int" };

  old_int = crafted_issue ("AC FNMT Usuarios antigua", NULL, int_key, root, root_key,
                           now - 10 * 86400, now - 86400, TRUE, NULL, 0);
  crafted_save ("old-int", old_int, NULL);
  late_leaf = crafted_issue ("GARCIA PEREZ LUCIA - 12345678Z", "IDCES-12345678Z", leaf_key,
                             old_int, int_key, now - 5 * 86400, now + 86400, FALSE, NULL, 0);
  crafted_save ("late-leaf", late_leaf, leaf_key);
  forged_leaf = crafted_issue ("GARCIA PEREZ LUCIA - 12345678Z", "IDCES-12345678Z", leaf_key,
                               old_int, stranger, now - 5 * 86400, now + 86400, FALSE, NULL, 0);
  crafted_save ("forged-leaf", forged_leaf, leaf_key);

  forged = prove_activation (fixture, activation, &forged_spec);
  test_assert_error (forged, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  late = prove_activation (fixture, activation, &late_spec);
  test_assert_error (late, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_EXPIRED);

  gnutls_x509_crt_deinit (forged_leaf);
  gnutls_x509_crt_deinit (late_leaf);
  gnutls_x509_crt_deinit (old_int);
  gnutls_x509_privkey_deinit (stranger);
  gnutls_x509_privkey_deinit (leaf_key);
  gnutls_x509_privkey_deinit (int_key);
  gnutls_x509_crt_deinit (root);
  gnutls_x509_privkey_deinit (root_key);
  crafted_clear ();
}

/* Intermediates the service holds ---------------------------------------- */

#define DNIE_INT_DN "CN=AC DNIE 004,OU=DNIE,O=DIRECCION GENERAL DE LA POLICIA,C=ES"
#define FNMT_INT_DN "CN=AC FNMT Usuarios,OU=Ceres,O=FNMT-RCM,C=ES"
#define LUCIA_FNMT_CN "GARCIA PEREZ LUCIA - 12345678Z"
#define LUCIA_FNMT_SERIAL "IDCES-12345678Z"

static const char * const pki_roots[] = { "dnie-root", "fnmt-root", NULL };

/* A new folder @subdir of @parent (NULL: of a new temporary folder)
 * holding NAME.pem for each of @names, crafted or of the fixture PKI. */
static char *
make_folder (const char        *parent,
             const char        *subdir,
             const char *const *names)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = parent == NULL ? g_dir_make_tmp ("clave-folder-XXXXXX", &error) : NULL;
  char *dir;

  g_assert_no_error (error);
  dir = g_build_filename (parent != NULL ? parent : tmp, subdir, NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *file = g_strconcat (names[i], ".pem", NULL);
      g_autofree char *path = g_build_filename (dir, file, NULL);
      g_autofree char *pem = NULL;
      gsize len;

      pem = read_pki_file (file, &len);
      g_file_set_contents (path, pem, (gssize) len, &error);
      g_assert_no_error (error);
    }
  return dir;
}

/* Removes a folder of make_folder() with its parent. */
static void
remove_folder (const char *dir)
{
  g_autofree char *parent = g_path_get_dirname (dir);

  clave_test_remove_tree (parent);
}

/* Starts the fixture's server with these folders (NULL: the fixture
 * server's own anchors, or no --intermediates). */
static void
fixture_start (Fixture    *fixture,
               const char *anchors,
               const char *intermediates)
{
  const char *args[5] = { NULL };
  guint n = 0;

  if (anchors != NULL)
    {
      args[n++] = "--trust-anchors";
      args[n++] = anchors;
    }
  if (intermediates != NULL)
    {
      args[n++] = "--intermediates";
      args[n++] = intermediates;
    }
  fixture_set_up_with_args (fixture, args);
}

static void
assert_issuer_unknown (TestResponse *response,
                       const char   *issuer,
                       const char   *common_name)
{
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_ISSUER_UNKNOWN);
  g_assert_cmpstr (test_response_string (response, CLAVE_ERR_MEMBER_ISSUER), ==, issuer);
  g_assert_nonnull (strstr (test_response_string (response, "message"), common_name));
}

/* A proof of Lucía with a fresh activation. */
static TestResponse *
prove_lucia (Fixture         *fixture,
             const ProofSpec *spec)
{
  g_autoptr(TestActivation) activation = start_lucia (fixture);

  return prove_activation (fixture, activation, spec);
}

/* A DNIe-style leaf sent alone, as by a card without its intermediate, is
 * completed with the intermediate the service holds (--intermediates
 * here; the fixture server's folder beside its anchors in
 * /certificates/activate-chain-forms). */
static void
test_leaf_alone_completed (void)
{
  static const char * const held[] = { "dnie-int", "fnmt-int", NULL };
  g_autofree char *anchors = make_folder (NULL, "anchors", pki_roots);
  g_autofree char *intermediates = make_folder (NULL, "held", held);
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) proved = NULL;
  g_autoptr(TestResponse) registered = NULL;
  const ProofSpec lucia_alone = { .leaf = "lucia-dnie-auth" };
  const ProofSpec marta_alone = { .leaf = "marta-dnie-auth" };

  fixture_start (&fixture, anchors, intermediates);

  proved = prove_lucia (&fixture, &lucia_alone);
  test_assert_status (proved, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (proved, "verified"));
  g_assert_cmpstr (test_response_string (proved, "method"), ==, CLAVE_METHOD_DNIE);

  registered = register_with (&fixture, &marta_alone, MARTA_PHONE, MARTA_EMAIL);
  test_assert_status (registered, SOUP_STATUS_CREATED);
  g_assert_cmpstr (test_response_string (registered, "document"), ==, MARTA_DOC);

  fixture_tear_down (&fixture, NULL);
  remove_folder (intermediates);
  remove_folder (anchors);
}

/* Without intermediates (no --intermediates, nothing beside the anchors)
 * the same leaf names the issuer the service misses: its root is
 * trusted, so it is not "untrusted". */
static void
test_issuer_unknown (void)
{
  g_autofree char *anchors = make_folder (NULL, "anchors", pki_roots);
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) alone = NULL;
  g_autoptr(TestResponse) wrong = NULL;
  g_autoptr(TestResponse) registration = NULL;
  g_autoptr(TestResponse) whole = NULL;
  const ProofSpec lucia_alone = { .leaf = "lucia-dnie-auth" };
  const ProofSpec marta_alone = { .leaf = "marta-dnie-auth" };
  const ProofSpec wrong_intermediate = { .leaf = "lucia-fnmt", .intermediate = "dnie-int" };

  fixture_start (&fixture, anchors, NULL);

  alone = prove_lucia (&fixture, &lucia_alone);
  assert_issuer_unknown (alone, DNIE_INT_DN, "AC DNIE 004");
  wrong = prove_lucia (&fixture, &wrong_intermediate);
  assert_issuer_unknown (wrong, FNMT_INT_DN, "AC FNMT Usuarios");
  registration = register_with (&fixture, &marta_alone, MARTA_PHONE, MARTA_EMAIL);
  assert_issuer_unknown (registration, DNIE_INT_DN, "AC DNIE 004");

  whole = prove_lucia (&fixture, &lucia_dnie);
  test_assert_status (whole, SOUP_STATUS_OK);

  fixture_tear_down (&fixture, NULL);
  remove_folder (anchors);
}

/* Issues and saves NAME.pem and NAME.key: a certificate named @cn (and
 * @serial_number, for a person), a CA when @ca, under the certificate
 * @issuer, crafted or of the fixture PKI, signed with its key (NULL:
 * self-signed), for a new key or, when @key_of is not NULL, the key of
 * that certificate. */
static void
crafted_save_issued (const char *name,
                     const char *cn,
                     const char *serial_number,
                     const char *issuer,
                     gboolean    ca,
                     const char *key_of)
{
  gnutls_x509_privkey_t key = key_of != NULL ? crafted_load_key (key_of) : crafted_new_key ();
  gnutls_x509_crt_t issuer_crt = issuer != NULL ? crafted_load_certificate (issuer) : NULL;
  gnutls_x509_privkey_t signer_key = issuer != NULL ? crafted_load_key (issuer) : NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gnutls_x509_crt_t crt = crafted_issue (cn, serial_number, key, issuer_crt, signer_key,
                                         now - 86400, now + 10 * 86400, ca, NULL, 0);

  crafted_save (name, crt, key);
  gnutls_x509_crt_deinit (crt);
  if (issuer != NULL)
    {
      gnutls_x509_privkey_deinit (signer_key);
      gnutls_x509_crt_deinit (issuer_crt);
    }
  gnutls_x509_privkey_deinit (key);
}

/* Lucía's FNMT-style leaf under the crafted @issuer. */
static void
crafted_save_lucia (const char *name,
                    const char *issuer)
{
  crafted_save_issued (name, LUCIA_FNMT_CN, LUCIA_FNMT_SERIAL, issuer, FALSE, NULL);
}

static void
held_finish (Fixture    *fixture,
             const char *held)
{
  fixture_tear_down (fixture, NULL);
  remove_folder (held);
  crafted_clear ();
}

/* What clave-server logs at level warning when it starts with @held as
 * --intermediates (it is stopped once it listens). */
static char *
held_start_warnings (const char *held)
{
  g_autofree char *anchors = clave_test_pki_path ("anchors");
  g_autofree char *state = g_build_filename (crafted_dir, "state", NULL);
  const char *const args[] = { "--trust-anchors", anchors, "--intermediates", held,
                               "--log-level", "warning", NULL };

  return test_server_run_once (NULL, state, args, TRUE);
}

/* The intermediates the service holds lend no trust: a chain completed
 * with one must still end at an anchor. */
static void
test_held_under_foreign_root (void)
{
  static const char * const held_names[] = { "foreign-int", NULL };
  g_autofree char *held = NULL;
  g_autofree char *warnings = NULL;
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) with_root = NULL;
  g_autoptr(TestResponse) alone = NULL;
  g_autoptr(TestResponse) pki_foreign = NULL;
  const ProofSpec leaf_and_root = { .leaf = "foreign-leaf", .intermediate = "foreign-root" };
  const ProofSpec leaf_alone = { .leaf = "foreign-leaf" };
  const ProofSpec untrusted_chain = { .leaf = "untrusted", .intermediate = "untrusted-ca" };

  crafted_save_issued ("foreign-root", "AC Raiz Ajena", NULL, NULL, TRUE, NULL);
  crafted_save_issued ("foreign-int", "AC Ajena Usuarios", NULL, "foreign-root", TRUE, NULL);
  crafted_save_lucia ("foreign-leaf", "foreign-int");
  held = make_folder (NULL, "held", held_names);

  /* Held, with a warning: it completes no path. */
  warnings = held_start_warnings (held);
  g_assert_nonnull (strstr (warnings, "(CN=AC Ajena Usuarios,C=ES) does not chain to any "
                                      "trust anchor"));

  fixture_start (&fixture, NULL, held);
  with_root = prove_lucia (&fixture, &leaf_and_root);
  test_assert_error (with_root, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  /* Completed as far as the service can: what it misses is the root. */
  alone = prove_lucia (&fixture, &leaf_alone);
  assert_issuer_unknown (alone, "CN=AC Raiz Ajena,C=ES", "AC Raiz Ajena");
  pki_foreign = prove_lucia (&fixture, &untrusted_chain);
  test_assert_error (pki_foreign, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  held_finish (&fixture, held);
}

/* A certificate that is not a CA, though under a trusted root, completes
 * no path: the service skips it (with a warning), and a client that sends
 * it is refused. */
static void
test_held_not_ca (void)
{
  static const char * const held_names[] = { "fnmt-int", "not-ca", NULL };
  g_autofree char *held = NULL;
  g_autofree char *warnings = NULL;
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) alone = NULL;
  g_autoptr(TestResponse) sent = NULL;
  const ProofSpec leaf_alone = { .leaf = "not-ca-leaf" };
  const ProofSpec leaf_and_issuer = { .leaf = "not-ca-leaf", .intermediate = "not-ca" };

  crafted_save_issued ("not-ca", "AC Sin Permiso", NULL, "fnmt-root", FALSE, NULL);
  crafted_save_lucia ("not-ca-leaf", "not-ca");
  held = make_folder (NULL, "held", held_names);

  warnings = held_start_warnings (held);
  g_assert_nonnull (strstr (warnings, "(CN=AC Sin Permiso,C=ES) is not a CA certificate"));

  fixture_start (&fixture, NULL, held);
  alone = prove_lucia (&fixture, &leaf_alone);
  assert_issuer_unknown (alone, "CN=AC Sin Permiso,C=ES", "AC Sin Permiso");
  sent = prove_lucia (&fixture, &leaf_and_issuer);
  test_assert_error (sent, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  held_finish (&fixture, held);
}

/* Two CA certificates with the same name under the trusted root, only
 * one of which signed the leaf: the other completes no path, and when
 * both are held the one whose signature verifies is taken, whichever
 * comes first. */
static void
test_held_wrong_signature (void)
{
  static const char * const impostor_only[] = { "double-1-impostor", NULL };
  static const char * const both[] = { "double-1-impostor", "double-2-real", NULL };
  g_autofree char *held_impostor = NULL;
  g_autofree char *held_both = NULL;
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) refused = NULL;
  g_autoptr(TestResponse) accepted = NULL;
  const ProofSpec leaf_alone = { .leaf = "double-leaf" };

  crafted_save_issued ("double-2-real", "AC Intermedia Doble", NULL, "fnmt-root", TRUE, NULL);
  crafted_save_issued ("double-1-impostor", "AC Intermedia Doble", NULL, "fnmt-root", TRUE,
                       NULL);
  crafted_save_lucia ("double-leaf", "double-2-real");
  held_impostor = make_folder (NULL, "held", impostor_only);
  held_both = make_folder (NULL, "held", both);

  fixture_start (&fixture, NULL, held_impostor);
  refused = prove_lucia (&fixture, &leaf_alone);
  test_assert_error (refused, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  fixture_tear_down (&fixture, NULL);

  fixture_start (&fixture, NULL, held_both);
  accepted = prove_lucia (&fixture, &leaf_alone);
  test_assert_status (accepted, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (accepted, "method"), ==, CLAVE_METHOD_CERTIFICATE);
  remove_folder (held_impostor);
  held_finish (&fixture, held_both);
}

/* A CA certificate with the name of the leaf's issuer but another Subject
 * Key Identifier than the leaf's Authority Key Identifier (another key of
 * "AC DNIE 004") is not its issuer: the issuer is still missing. */
static void
test_held_other_key_identifier (void)
{
  static const char * const held_names[] = { "other-dnie-int", NULL };
  g_autofree char *held = NULL;
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) alone = NULL;
  const ProofSpec lucia_alone = { .leaf = "lucia-dnie-auth" };

  crafted_save_issued ("other-dnie-int", DNIE_INT_DN, NULL, "fnmt-root", TRUE, NULL);
  held = make_folder (NULL, "held", held_names);

  fixture_start (&fixture, NULL, held);
  alone = prove_lucia (&fixture, &lucia_alone);
  assert_issuer_unknown (alone, DNIE_INT_DN, "AC DNIE 004");
  held_finish (&fixture, held);
}

/* Two CA certificates that issued each other: completing a path through
 * them, at the start and for a proof, ends, and the chain is untrusted
 * whether the service holds them or the client sends them. */
static void
test_held_loop (void)
{
  static const char * const held_names[] = { "loop-a", "loop-b", NULL };
  g_autofree char *held = NULL;
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) alone = NULL;
  g_autoptr(TestResponse) sent = NULL;
  const ProofSpec leaf_alone = { .leaf = "loop-leaf" };
  const ProofSpec leaf_and_loop = { .leaf = "loop-leaf", .intermediate = "loop-a",
                                    .root = "loop-b" };

  /* B's name and key on A before B exists: a self-signed B, thrown away. */
  crafted_save_issued ("loop-seed", "Bucle B", NULL, NULL, TRUE, NULL);
  crafted_save_issued ("loop-a", "Bucle A", NULL, "loop-seed", TRUE, NULL);
  crafted_save_issued ("loop-b", "Bucle B", NULL, "loop-a", TRUE, "loop-seed");
  crafted_save_lucia ("loop-leaf", "loop-a");
  held = make_folder (NULL, "held", held_names);

  fixture_start (&fixture, NULL, held);
  alone = prove_lucia (&fixture, &leaf_alone);
  test_assert_error (alone, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  sent = prove_lucia (&fixture, &leaf_and_loop);
  test_assert_error (sent, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  assert_still_serving (&fixture);
  held_finish (&fixture, held);
}

/* A root migration (AC RAIZ DNIE to AC RAIZ DNIE 2): the card carries
 * its intermediate as the old root issued it, and the service holds the
 * same intermediate (name and key) as the new, trusted root issued it.
 * The card's leads to no anchor; the path through the held one is found
 * all the same. */
static void
test_held_cross_certified (void)
{
  static const char * const held_names[] = { "cross-new", NULL };
  static const char * const other_names[] = { "fnmt-int", NULL };
  g_autofree char *held = NULL;
  g_autofree char *other = NULL;
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) card_chain = NULL;
  g_autoptr(TestResponse) card_root = NULL;
  g_autoptr(TestResponse) unheld = NULL;
  g_autoptr(TestResponse) unheld_root = NULL;
  const ProofSpec leaf_and_old = { .leaf = "cross-leaf", .intermediate = "cross-old" };
  const ProofSpec leaf_old_root = { .leaf = "cross-leaf", .intermediate = "cross-old",
                                    .root = "old-root" };

  crafted_save_issued ("old-root", "AC Raiz Antigua", NULL, NULL, TRUE, NULL);
  crafted_save_issued ("cross-new", "AC Intermedia Migrada", NULL, "fnmt-root", TRUE, NULL);
  crafted_save_issued ("cross-old", "AC Intermedia Migrada", NULL, "old-root", TRUE,
                       "cross-new");
  crafted_save_lucia ("cross-leaf", "cross-new");
  held = make_folder (NULL, "held", held_names);
  other = make_folder (NULL, "held", other_names);

  fixture_start (&fixture, NULL, held);
  card_chain = prove_lucia (&fixture, &leaf_and_old);
  test_assert_status (card_chain, SOUP_STATUS_OK);
  g_assert_true (test_response_bool (card_chain, "verified"));
  card_root = prove_lucia (&fixture, &leaf_old_root);
  test_assert_status (card_root, SOUP_STATUS_OK);
  fixture_tear_down (&fixture, NULL);

  /* Without it, the old root is what the service misses, or distrusts
   * once the client sends it. */
  fixture_start (&fixture, NULL, other);
  unheld = prove_lucia (&fixture, &leaf_and_old);
  assert_issuer_unknown (unheld, "CN=AC Raiz Antigua,C=ES", "AC Raiz Antigua");
  unheld_root = prove_lucia (&fixture, &leaf_old_root);
  test_assert_error (unheld_root, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  remove_folder (other);
  held_finish (&fixture, held);
}

/* Sets @crt's Authority Key Identifier to @issuer's Subject Key
 * Identifier and signs it again, as @issuer with @signer_key. */
static void
crafted_set_authority (gnutls_x509_crt_t     crt,
                       gnutls_x509_crt_t     issuer,
                       gnutls_x509_privkey_t signer_key)
{
  guchar id[64];
  size_t id_size = sizeof id;
  unsigned int critical = 0;

  g_assert_cmpint (gnutls_x509_crt_get_subject_key_id (issuer, id, &id_size, &critical), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_authority_key_id (crt, id, id_size), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, issuer, signer_key, GNUTLS_DIG_SHA256, 0), ==, 0);
}

#define SAME_SUBJECT_HELD 50
#define SAME_SUBJECT_SENT (CLAVE_PROOF_MAX_CERTIFICATES - 1)

/* Many CA certificates with one subject, of two keys, each kind issued by
 * the other (their key identifiers tell them apart), grow a tree of paths
 * with 27 branches at each of 8 steps: the service holds 50, the client
 * sends 4 more (as many as a proof carries). The search stops at its
 * bound, and the answer comes in good time. */
static void
test_many_same_subject (void)
{
  g_autoptr(GPtrArray) held_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) sent_names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *held = NULL;
  gnutls_x509_privkey_t keys[2] = { crafted_new_key (), crafted_new_key () };
  gnutls_x509_privkey_t leaf_key = crafted_new_key ();
  gnutls_x509_crt_t own[2], leaf;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  Fixture fixture = { NULL };
  g_autoptr(TestResponse) refused = NULL;
  ProofSpec spec = { .leaf = "repeated-leaf" };
  gint64 start, elapsed;

  /* Self-signed, thrown away: what the others name as their issuer. */
  for (guint k = 0; k < 2; k++)
    own[k] = crafted_issue ("AC Repetida", NULL, keys[k], NULL, NULL, now - 86400,
                            now + 10 * 86400, TRUE, NULL, 0);
  for (guint i = 0; i < SAME_SUBJECT_HELD + SAME_SUBJECT_SENT; i++)
    {
      guint k = i % 2;
      char *name = g_strdup_printf ("repeated-%02u", i);
      gnutls_x509_crt_t crt = crafted_issue ("AC Repetida", NULL, keys[k], own[1 - k],
                                             keys[1 - k], now - 86400, now + 10 * 86400, TRUE,
                                             NULL, 0);

      crafted_set_authority (crt, own[1 - k], keys[1 - k]);
      crafted_save (name, crt, NULL);
      gnutls_x509_crt_deinit (crt);
      g_ptr_array_add (i < SAME_SUBJECT_HELD ? held_names : sent_names, name);
    }
  g_ptr_array_add (held_names, NULL);
  g_ptr_array_add (sent_names, NULL);
  spec.more = (const char *const *) sent_names->pdata;
  leaf = crafted_issue (LUCIA_FNMT_CN, LUCIA_FNMT_SERIAL, leaf_key, own[0], keys[0],
                        now - 86400, now + 10 * 86400, FALSE, NULL, 0);
  crafted_save ("repeated-leaf", leaf, leaf_key);
  held = make_folder (NULL, "held", (const char *const *) held_names->pdata);

  fixture_start (&fixture, NULL, held);
  start = g_get_monotonic_time ();
  refused = prove_lucia (&fixture, &spec);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("answered %u in %" G_GINT64_FORMAT " ms", refused->status, elapsed / 1000);
  test_assert_error (refused, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_CERTIFICATE_UNTRUSTED);
  g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);
  assert_still_serving (&fixture);

  gnutls_x509_crt_deinit (leaf);
  for (guint k = 0; k < 2; k++)
    {
      gnutls_x509_crt_deinit (own[k]);
      gnutls_x509_privkey_deinit (keys[k]);
    }
  gnutls_x509_privkey_deinit (leaf_key);
  held_finish (&fixture, held);
}

/* clave-server exits with status 1, saying @needle, when started with
 * @args. */
static void
assert_start_refused (const char *const *args,
                      const char        *needle)
{
  g_autofree char *dir = g_dir_make_tmp ("clave-refused-XXXXXX", NULL);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *err = test_server_run_once (NULL, state, args, FALSE);

  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, needle));
  clave_test_remove_tree (dir);
}

static void
test_intermediates_refused_at_start (void)
{
  static const char * const root_and_int[] = { "dnie-int", "dnie-root", NULL };
  static const char * const leaves[] = { "lucia-dnie-auth", "lucia-fnmt", NULL };
  static const char * const nothing[] = { NULL };
  static const char * const fnmt_root[] = { "fnmt-root", NULL };
  g_autofree char *anchors = clave_test_pki_path ("anchors");
  g_autofree char *with_root = make_folder (NULL, "held", root_and_int);
  g_autofree char *without_ca = make_folder (NULL, "held", leaves);
  g_autofree char *empty = make_folder (NULL, "held", nothing);
  g_autofree char *own_anchors = make_folder (NULL, "anchors", pki_roots);
  g_autofree char *parent = g_path_get_dirname (own_anchors);
  g_autofree char *beside = make_folder (parent, "intermediates", fnmt_root);
  g_autofree char *missing = g_build_filename (parent, "missing", NULL);
  g_autofree char *root_message = NULL;
  g_autofree char *beside_message = NULL;

  /* A root among the intermediates would pass for a trust anchor. */
  root_message = g_strdup_printf ("--intermediates: %s/dnie-root.pem (CN=AC RAIZ DNIE 2,OU=DNIE,"
                                  "O=DIRECCION GENERAL DE LA POLICIA,C=ES) is self-signed",
                                  with_root);
  assert_start_refused ((const char *[]) { "--trust-anchors", anchors,
                                           "--intermediates", with_root, NULL },
                        root_message);
  /* The folder beside the anchors is read without the option. */
  beside_message = g_strdup_printf ("Intermediates beside --trust-anchors: %s/fnmt-root.pem "
                                    "(CN=AC RAIZ FNMT-RCM,OU=AC RAIZ FNMT-RCM,O=FNMT-RCM,C=ES) "
                                    "is self-signed", beside);
  assert_start_refused ((const char *[]) { "--trust-anchors", own_anchors, NULL },
                        beside_message);

  /* A folder given on purpose that completes nothing is a mistake. */
  assert_start_refused ((const char *[]) { "--trust-anchors", anchors,
                                           "--intermediates", empty, NULL },
                        "holds no certificates");
  assert_start_refused ((const char *[]) { "--trust-anchors", anchors,
                                           "--intermediates", without_ca, NULL },
                        "holds no CA certificates");
  assert_start_refused ((const char *[]) { "--trust-anchors", anchors,
                                           "--intermediates", missing, NULL },
                        missing);
  /* Paths to no anchor would complete nothing. */
  assert_start_refused ((const char *[]) { "--intermediates", with_root, NULL },
                        "--intermediates needs --trust-anchors");

  remove_folder (own_anchors);
  remove_folder (empty);
  remove_folder (without_ca);
  remove_folder (with_root);
}

/* Hostile keys ----------------------------------------------------------- */

/* A big-endian integer of @len bytes, @top first, odd: a modulus or an
 * exponent nobody holds the other half of. */
static GBytes *
crafted_integer (gsize  len,
                 guint8 top)
{
  guint8 *data = g_malloc (len);

  memset (data, 0xab, len);
  data[0] = top;
  data[len - 1] |= 1;
  return g_bytes_new_take (data, len);
}

/* A CA certificate named @cn under @issuer, signed with @signer_key, for
 * the RSA public key (@n, @e). */
static gnutls_x509_crt_t
crafted_issue_rsa_raw (const char            *cn,
                       GBytes                *n,
                       GBytes                *e,
                       gnutls_x509_crt_t      issuer,
                       gnutls_x509_privkey_t  signer_key)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gnutls_x509_crt_t crt = crafted_issue (cn, NULL, signer_key, issuer, signer_key, now - 86400,
                                         now + 86400, TRUE, NULL, 0);
  gnutls_pubkey_t key;
  gnutls_datum_t m, ex;
  gsize size;

  m.data = (unsigned char *) g_bytes_get_data (n, &size);
  m.size = (unsigned int) size;
  ex.data = (unsigned char *) g_bytes_get_data (e, &size);
  ex.size = (unsigned int) size;
  g_assert_cmpint (gnutls_pubkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_rsa_raw (key, &m, &ex), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_pubkey (crt, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, issuer, signer_key, GNUTLS_DIG_SHA256, 0), ==, 0);
  gnutls_pubkey_deinit (key);
  return crt;
}

/* The length of the DER element at @p, whose header length goes to
 * @header. */
static gsize
der_length (const guint8 *p,
            gsize        *header)
{
  gsize len = 0;

  if (p[1] < 0x80)
    {
      *header = 2;
      return p[1];
    }
  for (guint i = 0; i < (p[1] & 0x7fu); i++)
    len = len << 8 | p[2 + i];
  *header = 2 + (p[1] & 0x7fu);
  return len;
}

static void
der_append_header (GByteArray *out,
                   guint8      tag,
                   gsize       len)
{
  guint8 byte;
  guint n = 0;

  g_byte_array_append (out, &tag, 1);
  if (len < 0x80)
    {
      byte = (guint8) len;
      g_byte_array_append (out, &byte, 1);
      return;
    }
  for (gsize l = len; l != 0; l >>= 8)
    n++;
  byte = (guint8) (0x80 | n);
  g_byte_array_append (out, &byte, 1);
  for (guint i = n; i > 0; i--)
    {
      byte = (guint8) (len >> (8 * (i - 1)));
      g_byte_array_append (out, &byte, 1);
    }
}

/* @crt with its signature replaced by @size bytes of nonsense: what a
 * signature under an RSA key of @size bytes looks like, which GnuTLS
 * computes through before it can tell it is wrong. */
static gnutls_x509_crt_t
crafted_with_signature_size (gnutls_x509_crt_t crt,
                             gsize             size)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *signature = g_malloc (size + 1);
  gnutls_datum_t der = { NULL, 0 }, patched;
  gnutls_x509_crt_t result;
  gsize outer, tbs_header, tbs_len, alg_header, alg_len;
  const guint8 *tbs;

  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);
  der_length (der.data, &outer);
  tbs = der.data + outer;
  tbs_len = der_length (tbs, &tbs_header);
  alg_len = der_length (tbs + tbs_header + tbs_len, &alg_header);
  g_byte_array_append (body, tbs, (guint) (tbs_header + tbs_len + alg_header + alg_len));
  memset (signature, 0xcd, size + 1);
  signature[0] = 0x00;   /* no unused bits */
  signature[1] = 0x01;   /* below any modulus of that size */
  der_append_header (body, 0x03, size + 1);
  g_byte_array_append (body, signature, (guint) (size + 1));
  der_append_header (out, 0x30, body->len);
  g_byte_array_append (out, body->data, body->len);
  gnutls_free (der.data);

  patched.data = out->data;
  patched.size = out->len;
  g_assert_cmpint (gnutls_x509_crt_init (&result), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (result, &patched, GNUTLS_X509_FMT_DER), ==, 0);
  return result;
}

/* 32768 bits: four CA certificates with such a modulus and exponent and
 * a leaf fit in a proof (16 KiB each, 64 KiB the body). */
#define HUGE_KEY_BYTES 4096

/* An unauthenticated registration whose chain carries RSA keys the client
 * chose, of 32768 bits with exponents as long: a signature check under one
 * costs seconds (a review measured 34 s of the service's one thread for
 * one request). The answer is a refusal, in good time, and the service
 * serves on. */
static void
test_huge_keys (Fixture       *fixture,
                gconstpointer  user_data)
{
  static const char * const more[] = { "costly-3", "costly-4", NULL };
  const ProofSpec spec = { .leaf = "costly-leaf", .intermediate = "costly-1",
                           .root = "costly-2", .more = more };
  g_autoptr(GBytes) n = crafted_integer (HUGE_KEY_BYTES, 0xc5);
  g_autoptr(GBytes) e = crafted_integer (HUGE_KEY_BYTES, 0x7f);
  g_autoptr(Challenge) challenge = get_challenge (fixture);
  g_autoptr(TestResponse) refused = NULL;
  gnutls_x509_privkey_t signer = crafted_new_key ();
  gnutls_x509_privkey_t leaf_key = crafted_new_key ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gnutls_x509_crt_t root, ca, leaf, costly_leaf;
  gint64 start, elapsed;

  root = crafted_issue ("AC Raiz Costosa", NULL, signer, NULL, NULL, now - 86400, now + 86400,
                        TRUE, NULL, 0);
  ca = crafted_issue ("AC Costosa", NULL, signer, root, signer, now - 86400, now + 86400, TRUE,
                      NULL, 0);
  for (guint i = 1; i <= 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("costly-%u", i);
      gnutls_x509_crt_t costly = crafted_issue_rsa_raw ("AC Costosa", n, e, root, signer);

      crafted_save (name, costly, NULL);
      gnutls_x509_crt_deinit (costly);
    }
  leaf = crafted_issue (LUCIA_FNMT_CN, LUCIA_FNMT_SERIAL, leaf_key, ca, signer, now - 86400,
                        now + 86400, FALSE, NULL, 0);
  costly_leaf = crafted_with_signature_size (leaf, HUGE_KEY_BYTES);
  crafted_save ("costly-leaf", costly_leaf, leaf_key);

  start = g_get_monotonic_time ();
  refused = post_registration (fixture, &spec, challenge, MARTA_PHONE, MARTA_EMAIL);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("answered %u in %" G_GINT64_FORMAT " ms: %s", refused->status,
                  elapsed / 1000, refused->body);
  g_assert_cmpuint (refused->status, >=, 400);
  g_assert_cmpuint (refused->status, <, 500);
  g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);
  assert_still_serving (fixture);

  gnutls_x509_crt_deinit (costly_leaf);
  gnutls_x509_crt_deinit (leaf);
  gnutls_x509_crt_deinit (ca);
  gnutls_x509_crt_deinit (root);
  gnutls_x509_privkey_deinit (leaf_key);
  gnutls_x509_privkey_deinit (signer);
  crafted_clear ();
}

/* The keys a proof's certificates may carry (docs/protocol.md "The proof
 * object"), each at the edge: one sent along with Lucía's chain, which
 * needs none of it, is passed over when it is within the limits, and the
 * proof is 400 invalid_request when it is not. */
static void
test_key_limits (Fixture       *fixture,
                 gconstpointer  user_data)
{
  static const guint8 exponent_max[] = { 0x01, 0x00, 0x00, 0x00, 0x00 };  /* 2^32 */
  static const guint8 exponent_over[] = { 0x01, 0x00, 0x00, 0x00, 0x01 };
  const struct {
    const char *name;
    gboolean    accepted;
  } cases[] = {
    { "rsa-8192-bits", TRUE },
    { "rsa-8193-bits", FALSE },
    { "rsa-exponent-2^32", TRUE },
    { "rsa-exponent-over-2^32", FALSE },
    { "ec-p384", TRUE },
    { "ec-p224", FALSE },
    { "dsa", FALSE },
    { "ed25519", TRUE },
  };
  g_autoptr(TestActivation) activation = start_lucia (fixture);
  g_autoptr(GBytes) n_8192 = crafted_integer (1024, 0x80);
  g_autoptr(GBytes) n_8193 = crafted_integer (1025, 0x01);
  g_autoptr(GBytes) n_2048 = crafted_integer (256, 0xc5);
  g_autoptr(GBytes) e_65537 = crafted_integer (3, 0x01);
  g_autoptr(GBytes) e_max = g_bytes_new_static (exponent_max, sizeof exponent_max);
  g_autoptr(GBytes) e_over = g_bytes_new_static (exponent_over, sizeof exponent_over);
  gnutls_x509_privkey_t signer = crafted_new_key ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gnutls_x509_crt_t root, crts[G_N_ELEMENTS (cases)];
  struct {
    gnutls_pk_algorithm_t algorithm;
    unsigned int          bits;
  } generated[] = {
    { GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP384R1) },
    { GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP224R1) },
    { GNUTLS_PK_DSA, 1024 },
    { GNUTLS_PK_EDDSA_ED25519, 0 },
  };

  root = crafted_issue ("AC Claves", NULL, signer, NULL, NULL, now - 86400, now + 86400, TRUE,
                        NULL, 0);
  crts[0] = crafted_issue_rsa_raw ("AC Claves 8192", n_8192, e_65537, root, signer);
  crts[1] = crafted_issue_rsa_raw ("AC Claves 8193", n_8193, e_65537, root, signer);
  crts[2] = crafted_issue_rsa_raw ("AC Claves e", n_2048, e_max, root, signer);
  crts[3] = crafted_issue_rsa_raw ("AC Claves e+1", n_2048, e_over, root, signer);
  for (guint i = 0; i < G_N_ELEMENTS (generated); i++)
    {
      gnutls_x509_privkey_t key;

      g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
      g_assert_cmpint (gnutls_x509_privkey_generate (key, generated[i].algorithm,
                                                     generated[i].bits, 0), ==, 0);
      crts[4 + i] = crafted_issue (cases[4 + i].name, NULL, key, root, signer, now - 86400,
                                   now + 86400, TRUE, NULL, 0);
      gnutls_x509_privkey_deinit (key);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const ProofSpec spec = { .leaf = "lucia-fnmt", .intermediate = "fnmt-int",
                               .root = cases[i].name };
      g_autoptr(TestResponse) proved = NULL;

      g_test_message ("%s", cases[i].name);
      crafted_save (cases[i].name, crts[i], NULL);
      proved = prove_activation (fixture, activation, &spec);
      if (cases[i].accepted)
        test_assert_status (proved, SOUP_STATUS_OK);
      else
        test_assert_error (proved, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
      gnutls_x509_crt_deinit (crts[i]);
    }

  gnutls_x509_crt_deinit (root);
  gnutls_x509_privkey_deinit (signer);
  crafted_clear ();
}

static void
add_fixture_test (const char    *path,
                  gconstpointer  data,
                  void         (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down);
}

static void
add_fixture_test_with_args (const char         *path,
                            const char * const *args,
                            void              (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, args, fixture_set_up_with_args, func, fixture_tear_down);
}

static void
skip_without_pki (void)
{
  g_test_skip ("CLAVE_TEST_PKI_DIR is not set (no certtool to build the test PKI)");
}

int
main (int    argc,
      char *argv[])
{
  static const char * const fast_resend[] = { "--sms-resend-interval", "0", NULL };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* meson sets it when certtool (gnutls-bin) is there to build the PKI. */
  if (g_getenv ("CLAVE_TEST_PKI_DIR") == NULL)
    {
      g_test_add_func ("/certificates/no-test-pki", skip_without_pki);
      return g_test_run ();
    }

  add_fixture_test ("/certificates/challenge", NULL, test_challenge);
  add_fixture_test ("/certificates/challenge-rate-limit", NULL, test_challenge_rate_limit);
  add_fixture_test ("/certificates/methods-with-anchors", NULL, test_methods_with_anchors);
  g_test_add_func ("/certificates/without-anchors", test_without_anchors);
  add_fixture_test ("/certificates/activate-with-dnie", NULL, test_activate_with_dnie);
  add_fixture_test ("/certificates/activate-with-certificate", NULL,
                    test_activate_with_certificate);
  add_fixture_test ("/certificates/activate-chain-forms", NULL, test_activate_chain_forms);
  for (gsize i = 0; i < G_N_ELEMENTS (activation_rejections); i++)
    {
      g_autofree char *path = g_strconcat ("/certificates/activation-rejects/",
                                           activation_rejections[i].name, NULL);
      add_fixture_test (path, &activation_rejections[i], test_activation_rejection);
    }
  g_test_add_func ("/certificates/intermediates/leaf-alone-completed",
                   test_leaf_alone_completed);
  g_test_add_func ("/certificates/intermediates/issuer-unknown", test_issuer_unknown);
  g_test_add_func ("/certificates/intermediates/under-foreign-root",
                   test_held_under_foreign_root);
  g_test_add_func ("/certificates/intermediates/not-a-ca", test_held_not_ca);
  g_test_add_func ("/certificates/intermediates/wrong-signature", test_held_wrong_signature);
  g_test_add_func ("/certificates/intermediates/other-key-identifier",
                   test_held_other_key_identifier);
  g_test_add_func ("/certificates/intermediates/loop", test_held_loop);
  g_test_add_func ("/certificates/intermediates/cross-certified", test_held_cross_certified);
  g_test_add_func ("/certificates/intermediates/many-same-subject", test_many_same_subject);
  g_test_add_func ("/certificates/intermediates/refused-at-start",
                   test_intermediates_refused_at_start);
  add_fixture_test ("/certificates/malformed-eku", NULL, test_malformed_eku);
  add_fixture_test ("/certificates/huge-keys", NULL, test_huge_keys);
  add_fixture_test ("/certificates/key-limits", NULL, test_key_limits);
  add_fixture_test ("/certificates/forged-under-expired-intermediate", NULL,
                    test_forged_under_expired_intermediate);
  add_fixture_test ("/certificates/challenge-reuse", NULL, test_challenge_reuse);
  add_fixture_test ("/certificates/challenge-unknown", NULL, test_challenge_unknown);
  add_fixture_test ("/certificates/challenge-expired", NULL, test_challenge_expired);
  add_fixture_test ("/certificates/malformed-proof", NULL, test_malformed_proof);
  add_fixture_test ("/certificates/activation-errors", NULL, test_activation_errors);

  add_fixture_test ("/certificates/register-with-certificate", NULL,
                    test_register_with_certificate);
  add_fixture_test ("/certificates/register-with-dnie", NULL, test_register_with_dnie);
  add_fixture_test ("/certificates/register-already-registered", NULL,
                    test_register_already_registered);
  add_fixture_test ("/certificates/register-phone-in-use", NULL, test_register_phone_in_use);
  add_fixture_test ("/certificates/register-identity-unknown", NULL,
                    test_register_identity_unknown);
  add_fixture_test ("/certificates/register-invalid-input", NULL, test_register_invalid_input);
  for (gsize i = 0; i < G_N_ELEMENTS (registration_rejections); i++)
    {
      g_autofree char *path = g_strconcat ("/certificates/registration-rejects/",
                                           registration_rejections[i].name, NULL);
      add_fixture_test (path, &registration_rejections[i], test_registration_rejection);
    }
  add_fixture_test ("/certificates/registration-wrong-code-locks", NULL,
                    test_registration_wrong_code_locks);
  add_fixture_test_with_args ("/certificates/registration-wrong-codes-per-person", fast_resend,
                              test_registration_wrong_codes_per_person);
  add_fixture_test_with_args ("/certificates/registration-resend", fast_resend,
                              test_registration_resend);
  add_fixture_test ("/certificates/registration-resend-too-soon", NULL,
                    test_registration_resend_too_soon);
  add_fixture_test ("/certificates/registration-invalid", NULL, test_registration_invalid);
  add_fixture_test ("/certificates/registration-expired", NULL, test_registration_expired);
  add_fixture_test ("/certificates/registration-code-expired", NULL,
                    test_registration_code_expired);
  add_fixture_test ("/certificates/registration-phone-taken-meanwhile", NULL,
                    test_registration_phone_taken_meanwhile);

  return g_test_run ();
}
