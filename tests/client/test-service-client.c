/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-service-client"

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <libsoup/soup.h>

#include "clave-certificate-prover.h"
#include "clave-crypto.h"
#include "clave-device-key-private.h"
#include "clave-profile.h"
#include "clave-protocol.h"
#include "clave-service-client.h"
#include "clave-test-files.h"
#include "clave-test-server.h"
#include "client-test-util.h"

/*
 * ClaveServiceClient against a real clave-server (tests/common fixture,
 * seeded with the demo people), built from a ClaveProfile the way the app
 * builds it: the whole activation of a device and what follows.
 */

#define LUCIA_DOCUMENT   "12345678Z"
#define LUCIA_VALIDITY   "2031-05-04"
#define LUCIA_PHONE      "+34600111789"
#define MARTA_DOCUMENT   "87654321X"
#define MARTA_VALIDITY   "2029-11-30"
#define TEST_PIN         "482915"
#define CARD_PIN         "123456"
#define P12_PASSWORD     "clave-test"
#define MARTA_PHONE      "+34600999888"
#define MARTA_EMAIL      "marta@example.org"

typedef struct {
  ClaveTestServer    *server;
  char               *mail_dir;   /* with MAIL_COMMAND: what it wrote */
  GSettingsBackend   *backend;
  GSettings          *settings;
  ClaveProfile       *profile;
  ClaveServiceClient *client;
} Fixture;

/* Test data asking for a server whose --mail-command writes each e-mail
 * to mail_dir/last.eml, with its environment first. */
#define MAIL_COMMAND GINT_TO_POINTER (1)

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  const char *args[] = { "--mail-command", NULL, NULL };

  if (data == MAIL_COMMAND)
    {
      fixture->mail_dir = g_dir_make_tmp ("clave-mail-XXXXXX", &error);
      g_assert_no_error (error);
      command = g_strdup_printf ("sh -c 'f=\"$0/last.eml\"; "
                                 "printf \"%%s|%%s\\n\" \"$CLAVE_MAIL_TO\" "
                                 "\"$CLAVE_MAIL_SUBJECT\" > \"$f.part\"; "
                                 "cat >> \"$f.part\"; mv \"$f.part\" \"$f\"' '%s'",
                                 fixture->mail_dir);
      args[1] = command;
    }

  fixture->server = clave_test_server_start (data == MAIL_COMMAND ? args : NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->server);

  fixture->backend = g_memory_settings_backend_new ();
  fixture->settings = g_settings_new_with_backend (APP_ID, fixture->backend);
  g_settings_set_string (fixture->settings, "service-url",
                         clave_test_server_get_base_url (fixture->server));
  g_settings_set_string (fixture->settings, "ca-file",
                         clave_test_server_get_ca_file (fixture->server));
  fixture->profile = clave_profile_new (fixture->settings);

  fixture->client = clave_service_client_new_for_profile (fixture->profile, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->client);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  client_test_assert_finalize (g_steal_pointer (&fixture->client));
  client_test_assert_finalize (g_steal_pointer (&fixture->profile));
  g_clear_object (&fixture->settings);
  g_clear_object (&fixture->backend);
  clave_test_server_stop (g_steal_pointer (&fixture->server));
  if (fixture->mail_dir != NULL)
    clave_test_remove_tree (fixture->mail_dir);
  g_clear_pointer (&fixture->mail_dir, g_free);
}

/* Synchronous wrappers: each runs the main context until its call ends. */

static gboolean
identify (ClaveServiceClient  *client,
          const char          *document,
          const char          *kind,
          const char          *value,
          gboolean            *registered,
          ClaveActivation    **activation,
          GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_identify_async (client, document, kind, value, NULL,
                                       client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_identify_finish (client, result, registered, activation, error);
}

static ClaveSmsStatus *
send_sms (Fixture                *fixture,
          const ClaveActivation  *activation,
          GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_send_sms_async (fixture->client, activation, NULL,
                                       client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_send_sms_finish (fixture->client, result, error);
}

static gboolean
verify_sms (Fixture                *fixture,
            const ClaveActivation  *activation,
            const char             *code,
            guint                  *attempts_left,
            GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_verify_sms_async (fixture->client, activation, code, NULL,
                                         client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_verify_sms_finish (fixture->client, result, attempts_left, error);
}

static char *
register_device (Fixture                *fixture,
                 const ClaveActivation  *activation,
                 ClaveDeviceKey         *key,
                 GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_register_device_async (fixture->client, activation, key, "Test computer",
                                              NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_register_device_finish (fixture->client, result, error);
}

static ClaveMyData *
get_my_data (Fixture         *fixture,
             ClaveDeviceKey  *key,
             const char      *device_id,
             gboolean         reveal,
             GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_get_my_data_async (fixture->client, key, device_id, reveal, NULL,
                                          client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_get_my_data_finish (fixture->client, result, error);
}

static gboolean
deactivate (Fixture         *fixture,
            ClaveDeviceKey  *key,
            const char      *device_id,
            GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_deactivate_async (fixture->client, key, device_id, NULL,
                                         client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_deactivate_finish (fixture->client, result, error);
}

static gboolean
give_up (Fixture         *fixture,
         ClaveDeviceKey  *key,
         const char      *device_id,
         GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_give_up_async (fixture->client, key, device_id, NULL,
                                      client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_give_up_finish (fixture->client, result, error);
}

static ClaveDeviceKey *
generate_key (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ClaveDeviceKey *key;

  /* Few PBKDF2 iterations: this test is about the protocol. */
  _clave_device_key_generate_with_iterations_async (TEST_PIN, 1000, NULL,
                                                    client_test_store_result, &result);
  client_test_wait_result (&result);
  key = clave_device_key_generate_finish (result, &error);
  g_assert_no_error (error);
  return key;
}

static ClaveActivation *
identify_lucia (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  ClaveActivation *activation = NULL;
  gboolean registered = FALSE;

  g_assert_true (identify (fixture->client, LUCIA_DOCUMENT, "validity_date", LUCIA_VALIDITY,
                           &registered, &activation, &error));
  g_assert_no_error (error);
  g_assert_true (registered);
  g_assert_nonnull (activation);
  return activation;
}

/* Identify, SMS, verify, register: returns the device id. */
static char *
activate_lucia (Fixture        *fixture,
                ClaveDeviceKey *key)
{
  g_autoptr(ClaveActivation) activation = identify_lucia (fixture);
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  char *device_id;

  status = send_sms (fixture, activation, &error);
  g_assert_no_error (error);
  code = clave_test_server_last_sms_code (fixture->server, LUCIA_PHONE, &error);
  g_assert_no_error (error);
  g_assert_true (verify_sms (fixture, activation, code, NULL, &error));
  g_assert_no_error (error);
  device_id = register_device (fixture, activation, key, &error);
  g_assert_no_error (error);
  return device_id;
}

static void
test_activation_flow (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(ClaveDeviceKey) key = NULL;
  g_autoptr(ClaveDeviceKey) loaded = NULL;
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *device_id = NULL;
  g_autofree char *profile_device_id = NULL;
  g_autofree char *path = clave_device_key_default_path ();
  g_autoptr(GAsyncResult) result = NULL;
  gboolean registered = FALSE;
  guint attempts_left = 99;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  /* 1. Identify with the document and the contrast data. */
  g_assert_true (identify (fixture->client, LUCIA_DOCUMENT, "validity_date", LUCIA_VALIDITY,
                           &registered, &activation, &error));
  g_assert_no_error (error);
  g_assert_true (registered);
  g_assert_true (g_str_has_prefix (activation->id, "act_"));
  g_assert_cmpstr (activation->token, !=, "");
  g_assert_true (g_strv_contains ((const char * const *) activation->methods, CLAVE_METHOD_SMS));
  g_assert_cmpstr (activation->phone_hint, ==, "******789");
  g_assert_cmpint (activation->expires_at, >=, now + CLAVE_ACTIVATION_TTL_SECS - 5);
  g_assert_cmpint (activation->expires_at, <=, now + CLAVE_ACTIVATION_TTL_SECS + 5);

  /* 2. The SMS code. */
  status = send_sms (fixture, activation, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status->code_expires_in, ==, CLAVE_SMS_CODE_TTL_SECS);
  g_assert_cmpuint (status->resend_after, ==, 30);
  g_assert_cmpuint (status->sends_left, ==, CLAVE_SMS_MAX_SENDS - 1);
  g_assert_cmpstr (status->phone_hint, ==, "******789");
  code = clave_test_server_last_sms_code (fixture->server, LUCIA_PHONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (code), ==, CLAVE_SMS_CODE_DIGITS);

  /* 3. Verify it. */
  g_assert_true (verify_sms (fixture, activation, code, &attempts_left, &error));
  g_assert_no_error (error);

  /* 4. Generate the device key and register it. */
  key = generate_key ();
  g_assert_true (clave_device_key_save (key, path, &error));
  g_assert_no_error (error);
  device_id = register_device (fixture, activation, key, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (device_id, "dev_"));
  clave_profile_set_activation (fixture->profile, device_id, "dni", LUCIA_DOCUMENT);
  g_assert_true (clave_profile_get_activated (fixture->profile));

  /* The activation is used up. */
  g_clear_pointer (&device_id, g_free);
  {
    g_autoptr(ClaveDeviceKey) other = generate_key ();
    g_autofree char *again = register_device (fixture, activation, other, &error);

    g_assert_null (again);
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED);
    g_clear_error (&error);
  }

  /* The app after a restart: key from disk, unlocked with the PIN, device
   * id from the profile. */
  loaded = clave_device_key_load (path, &error);
  g_assert_no_error (error);
  clave_device_key_unlock_async (loaded, TEST_PIN, NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_true (clave_device_key_unlock_finish (loaded, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  profile_device_id = clave_profile_dup_device_id (fixture->profile);

  my_data = get_my_data (fixture, loaded, profile_device_id, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (my_data->document, ==, "*****678Z");
  g_assert_cmpstr (my_data->document_type, ==, "dni");
  g_assert_cmpstr (my_data->given_name, ==, "Lucía");
  g_assert_cmpstr (my_data->surnames, ==, "García Pérez");
  g_assert_cmpstr (my_data->phone, ==, "******789");
  g_assert_cmpstr (my_data->email, ==, "lucia@example.org");
  g_assert_cmpstr (my_data->level, ==, CLAVE_LEVEL_ADVANCED);
  g_assert_cmpstr (my_data->registration_channel, ==, CLAVE_CHANNEL_IN_PERSON);
  g_clear_pointer (&my_data, clave_my_data_free);

  my_data = get_my_data (fixture, loaded, profile_device_id, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (my_data->document, ==, LUCIA_DOCUMENT);
  g_assert_cmpstr (my_data->phone, ==, "******789");
  g_clear_pointer (&my_data, clave_my_data_free);

  /* Sign out. */
  g_assert_true (deactivate (fixture, loaded, profile_device_id, &error));
  g_assert_no_error (error);

  my_data = get_my_data (fixture, loaded, profile_device_id, FALSE, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED);
  g_assert_null (my_data);
  g_clear_error (&error);

  g_assert_false (deactivate (fixture, loaded, profile_device_id, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED);

  client_test_assert_finalize (g_steal_pointer (&loaded));
  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_new_device_replaces_old (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) first_key = generate_key ();
  g_autoptr(ClaveDeviceKey) second_key = generate_key ();
  g_autofree char *first = activate_lucia (fixture, first_key);
  g_autofree char *second = NULL;
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;

  my_data = get_my_data (fixture, first_key, first, FALSE, &error);
  g_assert_no_error (error);
  g_clear_pointer (&my_data, clave_my_data_free);

  /* The resend interval would refuse a second SMS to the same phone only
   * within one activation; a new activation sends at once. */
  second = activate_lucia (fixture, second_key);
  g_assert_cmpstr (first, !=, second);

  my_data = get_my_data (fixture, first_key, first, FALSE, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED);
  g_clear_error (&error);

  my_data = get_my_data (fixture, second_key, second, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (my_data->given_name, ==, "Lucía");

  /* The first key cannot speak for the second device. */
  g_clear_pointer (&my_data, clave_my_data_free);
  my_data = get_my_data (fixture, first_key, second, FALSE, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_SIGNATURE_REJECTED);

  client_test_assert_finalize (g_steal_pointer (&first_key));
  client_test_assert_finalize (g_steal_pointer (&second_key));
}

static void
test_identification_failed (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  gboolean registered = TRUE;

  g_assert_false (identify (fixture->client, LUCIA_DOCUMENT, "validity_date", "2030-01-01",
                            &registered, &activation, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "The document number or the contrast data are not correct. Check them and try again.");
  g_assert_false (registered);
  g_assert_null (activation);
  g_clear_error (&error);

  /* An unknown document gets the very same answer. */
  g_assert_false (identify (fixture->client, "11111111H", "validity_date", "2030-01-01",
                            &registered, &activation, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED);
  g_clear_error (&error);

  /* A malformed document is the client's to catch; the service says so. */
  g_assert_false (identify (fixture->client, "12345678A", "validity_date", LUCIA_VALIDITY,
                            &registered, &activation, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_REQUEST);
}

static void
test_not_registered (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  gboolean registered = TRUE;

  g_assert_true (identify (fixture->client, MARTA_DOCUMENT, "validity_date", MARTA_VALIDITY,
                           &registered, &activation, &error));
  g_assert_no_error (error);
  g_assert_false (registered);
  g_assert_null (activation);
}

static void
test_wrong_code (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = identify_lucia (fixture);
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  const char *wrong;
  guint attempts_left = 99;

  /* Verifying before any code was sent. */
  g_assert_false (verify_sms (fixture, activation, "123456", &attempts_left, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CODE_EXPIRED);
  g_clear_error (&error);

  status = send_sms (fixture, activation, &error);
  g_assert_no_error (error);
  code = clave_test_server_last_sms_code (fixture->server, LUCIA_PHONE, &error);
  g_assert_no_error (error);
  wrong = g_str_equal (code, "000000") ? "000001" : "000000";

  g_assert_false (verify_sms (fixture, activation, wrong, &attempts_left, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE);
  g_assert_cmpuint (attempts_left, ==, 2);
  g_assert_true (g_str_has_prefix (error->message, "The code is not correct."));
  g_clear_error (&error);

  g_assert_false (verify_sms (fixture, activation, wrong, &attempts_left, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE);
  g_assert_cmpuint (attempts_left, ==, 1);
  g_clear_error (&error);

  /* The third wrong code locks the activation, even for the right code. */
  g_assert_false (verify_sms (fixture, activation, wrong, &attempts_left, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED);
  g_clear_error (&error);
  g_assert_false (verify_sms (fixture, activation, code, &attempts_left, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_LOCKED);
}

static void
test_resend_too_soon (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = identify_lucia (fixture);
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;

  status = send_sms (fixture, activation, &error);
  g_assert_no_error (error);
  g_clear_pointer (&status, clave_sms_status_free);

  status = send_sms (fixture, activation, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_RESEND_TOO_SOON);
  g_assert_null (status);
  g_test_message ("%s", error->message);
}

static void
test_wrong_token (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = identify_lucia (fixture);
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(GError) error = NULL;

  g_free (activation->token);
  activation->token = g_strdup ("not-the-token");
  status = send_sms (fixture, activation, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ACTIVATION_EXPIRED);
  g_assert_null (status);
}

static void
test_untrusted_ca (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(ClaveServiceClient) client = NULL;
  g_autoptr(GError) error = NULL;
  gboolean registered = TRUE;

  /* No CA file: the system's trust store, which does not know the
   * server's own CA. */
  g_settings_set_string (fixture->settings, "ca-file", "");
  client = clave_service_client_new_for_profile (fixture->profile, &error);
  g_assert_no_error (error);

  g_assert_false (identify (client, LUCIA_DOCUMENT, "validity_date", LUCIA_VALIDITY,
                            &registered, NULL, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "not trusted"));
  g_assert_false (registered);

  client_test_assert_finalize (g_steal_pointer (&client));
}

static void
test_network_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(ClaveServiceClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u", client_test_closed_port ());

  g_settings_set_string (fixture->settings, "service-url", url);
  client = clave_service_client_new_for_profile (fixture->profile, &error);
  g_assert_no_error (error);

  g_assert_false (identify (client, LUCIA_DOCUMENT, "validity_date", LUCIA_VALIDITY,
                            NULL, NULL, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK);
  g_assert_cmpstr (error->message, ==,
                   "Cannot reach the Cl@ve service. Check your connection and try again.");

  client_test_assert_finalize (g_steal_pointer (&client));
}

static void
on_identify_started (SoupSession  *session,
                     SoupMessage  *message,
                     GCancellable *cancellable)
{
  /* Cancel once the request is really on its way. */
  g_cancellable_cancel (cancellable);
}

static void
test_cancelled (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveActivation) activation = NULL;
  SoupSession *session = NULL;
  gboolean registered = TRUE;

  g_object_get (fixture->client, "session", &session, NULL);
  g_signal_connect (session, "request-queued", G_CALLBACK (on_identify_started), cancellable);

  clave_service_client_identify_async (fixture->client, LUCIA_DOCUMENT, "validity_date",
                                       LUCIA_VALIDITY, cancellable, client_test_store_result,
                                       &result);
  client_test_wait_result (&result);
  g_assert_false (clave_service_client_identify_finish (fixture->client, result, &registered,
                                                        &activation, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (registered);
  g_assert_null (activation);

  g_signal_handlers_disconnect_by_func (session, on_identify_started, cancellable);
  g_object_unref (session);
}

/* Certificates and DNIe (docs/protocol.md "Certificate proofs",
 * "Registering with a certificate"): the fixture server trusts the test
 * PKI's roots (CLAVE_TEST_PKI_DIR/anchors). */

typedef struct {
  Fixture            base;
  char              *dir;
  ClaveTokenManager *tokens;
} CertFixture;

static void
cert_fixture_set_up (CertFixture   *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert_dir = NULL;

  fixture_set_up (&fixture->base, data);
  fixture->dir = g_dir_make_tmp ("clave-cert-test-XXXXXX", &error);
  g_assert_no_error (error);
  cert_dir = g_build_filename (fixture->dir, "certificates", NULL);
  /* Only files at first; a test that needs a card loads SoftHSM2. */
  fixture->tokens = clave_token_manager_new (NULL, FALSE, cert_dir);
}

static void
cert_fixture_tear_down (CertFixture   *fixture,
                        gconstpointer  data)
{
  client_test_assert_finalize (g_steal_pointer (&fixture->tokens));
  clave_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  fixture_tear_down (&fixture->base, data);
}

static gboolean
have_pki (void)
{
  const char *dir = g_getenv ("CLAVE_TEST_PKI_DIR");

  if (dir == NULL || dir[0] == '\0')
    {
      g_test_skip ("CLAVE_TEST_PKI_DIR is not set (gnutls-bin missing)");
      return FALSE;
    }
  return TRUE;
}

static ClaveCertificate *
import_p12 (CertFixture *fixture,
            const char  *name)
{
  g_autofree char *path = clave_test_pki_path (name);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ClaveCertificate *certificate;

  clave_token_manager_import_pkcs12_async (fixture->tokens, path, P12_PASSWORD, NULL,
                                           client_test_store_result, &result);
  client_test_wait_result (&result);
  certificate = clave_token_manager_import_pkcs12_finish (fixture->tokens, result, &error);
  g_assert_no_error (error);
  return certificate;
}

/* Replaces the file-only token manager with one holding @person's DNIe
 * (SoftHSM2, as it is), and returns its authentication certificate. */
static ClaveCertificate *
load_dnie (CertFixture *fixture,
           const char  *person)
{
  const char * const people[] = { person, NULL };
  const char *module = g_getenv ("CLAVE_TEST_SOFTHSM_MODULE");
  const char * modules[] = { module, NULL };
  g_auto(GStrv) serials = NULL;
  g_autofree char *token_dir = g_build_filename (fixture->dir, "softhsm", NULL);
  g_autofree char *cert_dir = g_build_filename (fixture->dir, "certificates", NULL);
  GListModel *model;
  gint64 deadline;

  if (module == NULL)
    {
      g_test_skip ("CLAVE_TEST_SOFTHSM_MODULE is not set (SoftHSM2 missing)");
      return NULL;
    }
  serials = client_test_setup_softhsm (token_dir, people);
  if (serials == NULL)
    return NULL;

  client_test_assert_finalize (g_steal_pointer (&fixture->tokens));
  fixture->tokens = clave_token_manager_new (modules, FALSE, cert_dir);
  clave_token_manager_start (fixture->tokens);
  model = clave_token_manager_get_certificates (fixture->tokens);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_list_model_get_n_items (model) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  return g_list_model_get_item (model, 0);
}

static char *
activate_with_certificate (CertFixture            *fixture,
                           const ClaveActivation  *activation,
                           ClaveCertificate       *certificate,
                           const char             *secret,
                           GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  char *method = NULL;

  clave_service_client_activate_with_certificate_async (fixture->base.client, fixture->tokens,
                                                        activation, certificate, secret, NULL,
                                                        client_test_store_result, &result);
  client_test_wait_result (&result);
  clave_service_client_activate_with_certificate_finish (fixture->base.client, result, &method,
                                                         NULL, error);
  return method;
}

static ClaveRegistration *
register_with_certificate (CertFixture       *fixture,
                           ClaveCertificate  *certificate,
                           const char        *secret,
                           const char        *phone,
                           const char        *email,
                           GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_register_with_certificate_async (fixture->base.client, fixture->tokens,
                                                        certificate, secret, phone, email, NULL,
                                                        client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_register_with_certificate_finish (fixture->base.client, result,
                                                                NULL, error);
}

static ClaveActivation *
verify_registration (CertFixture              *fixture,
                     const ClaveRegistration  *registration,
                     const char               *code,
                     guint                    *attempts_left,
                     GError                  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_registration_verify_async (fixture->base.client, registration, code, NULL,
                                                  client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_registration_verify_finish (fixture->base.client, result,
                                                          attempts_left, error);
}

static ClaveSmsStatus *
resend_registration (CertFixture              *fixture,
                     const ClaveRegistration  *registration,
                     GError                  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_registration_resend_async (fixture->base.client, registration, NULL,
                                                  client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_registration_resend_finish (fixture->base.client, result, error);
}

/* After the certificate step: the device key, as after an SMS code. */
static void
finish_activation (CertFixture           *fixture,
                   const ClaveActivation *activation,
                   const char            *expected_document,
                   const char            *expected_channel)
{
  g_autoptr(ClaveDeviceKey) key = generate_key ();
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;

  device_id = register_device (&fixture->base, activation, key, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (device_id, "dev_"));

  my_data = get_my_data (&fixture->base, key, device_id, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (my_data->document, ==, expected_document);
  g_assert_cmpstr (my_data->level, ==, CLAVE_LEVEL_ADVANCED);
  g_assert_cmpstr (my_data->registration_channel, ==, expected_channel);

  client_test_assert_finalize (g_steal_pointer (&key));
}

static void
test_challenge (CertFixture   *fixture,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *challenge = NULL;
  g_autoptr(GBytes) raw = NULL;

  clave_service_client_get_challenge_async (fixture->base.client, NULL,
                                            client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_true (clave_service_client_get_challenge_finish (fixture->base.client, result, &id,
                                                            &challenge, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (id, "ch_"));
  raw = clave_base64url_decode (challenge, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (raw), ==, CLAVE_CHALLENGE_BYTES);
}

static void
test_activation_with_dnie (CertFixture   *fixture,
                           gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(ClaveCertificate) dnie = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *method = NULL;

  if (!have_pki () || (dnie = load_dnie (fixture, "lucia")) == NULL)
    return;
  g_assert_true (clave_certificate_is_dnie (dnie));

  activation = identify_lucia (&fixture->base);
  g_assert_true (g_strv_contains ((const char * const *) activation->methods,
                                  CLAVE_METHOD_CERTIFICATE));

  /* A wrong PIN first: the card says so, the activation is untouched. */
  method = activate_with_certificate (fixture, activation, dnie, "000000", &error);
  g_assert_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PIN);
  g_assert_null (method);
  g_clear_error (&error);

  method = activate_with_certificate (fixture, activation, dnie, CARD_PIN, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (method, ==, CLAVE_CHANNEL_DNIE);

  finish_activation (fixture, activation, LUCIA_DOCUMENT, CLAVE_CHANNEL_IN_PERSON);
}

static void
test_activation_with_p12 (CertFixture   *fixture,
                          gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(ClaveCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *method = NULL;

  if (!have_pki ())
    return;

  certificate = import_p12 (fixture, "lucia-fnmt.p12");
  activation = identify_lucia (&fixture->base);

  method = activate_with_certificate (fixture, activation, certificate, "wrong", &error);
  g_assert_error (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_WRONG_PASSWORD);
  g_clear_error (&error);

  method = activate_with_certificate (fixture, activation, certificate, P12_PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (method, ==, CLAVE_CHANNEL_CERTIFICATE);

  finish_activation (fixture, activation, LUCIA_DOCUMENT, CLAVE_CHANNEL_IN_PERSON);
}

static void
test_identity_mismatch (CertFixture   *fixture,
                        gconstpointer  data)
{
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(ClaveCertificate) antonio = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *method = NULL;

  if (!have_pki ())
    return;

  antonio = import_p12 (fixture, "antonio-fnmt.p12");
  activation = identify_lucia (&fixture->base);

  method = activate_with_certificate (fixture, activation, antonio, P12_PASSWORD, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTITY_MISMATCH);
  g_assert_true (g_str_has_prefix (error->message, "This certificate belongs to another person."));
  g_assert_null (method);
}

static void
test_rejected_certificates (CertFixture   *fixture,
                            gconstpointer  data)
{
  static const struct {
    const char *file;
    const char *needle;
  } cases[] = {
    { "expired.p12", "expired" },
    /* The file's root is not sent (a root proves nothing): the service
     * names the authority it does not know. */
    { "untrusted.p12", "it does not know “AC Desconocida de Prueba”, the authority that issued it" },
  };

  if (!have_pki ())
    return;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(ClaveActivation) activation = identify_lucia (&fixture->base);
      g_autoptr(ClaveCertificate) certificate = import_p12 (fixture, cases[i].file);
      g_autoptr(GError) error = NULL;
      g_autofree char *method = NULL;

      method = activate_with_certificate (fixture, activation, certificate, P12_PASSWORD, &error);
      g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
      g_assert_null (method);
    }
}

static ClaveCertificateProof *
prove_for (CertFixture       *fixture,
           ClaveCertificate  *certificate,
           const char        *purpose,
           GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_prove_certificate_async (fixture->base.client, fixture->tokens,
                                                certificate, P12_PASSWORD, purpose, NULL,
                                                client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_prove_certificate_finish (fixture->base.client, result, NULL,
                                                        error);
}

static gboolean
raise_level (CertFixture                  *fixture,
             ClaveDeviceKey               *key,
             const char                   *device_id,
             const ClaveCertificateProof  *proof,
             GError                      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_raise_level_async (fixture->base.client, key, device_id, proof, NULL,
                                          client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_raise_level_finish (fixture->base.client, result, error);
}

/* Raising the level from basic to advanced (POST /v1/me/level) with the
 * person's own certificate; another person's is refused, and so is a
 * second raise. */
static void
test_raise_level (CertFixture   *fixture,
                  gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = generate_key ();
  g_autoptr(ClaveCertificate) lucia = NULL;
  g_autoptr(ClaveCertificate) antonio = NULL;
  g_autoptr(ClaveCertificateProof) proof = NULL;
  g_autoptr(ClaveCertificateProof) wrong_purpose = NULL;
  g_autoptr(ClaveCertificateProof) other = NULL;
  g_autoptr(ClaveCertificateProof) again = NULL;
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  g_autofree char *out = NULL;

  if (!have_pki ())
    return;

  /* Lucía, as a registry office registers her at level basic. */
  out = clave_test_server_admin (fixture->base.server, &error, "register",
                                 "--document", LUCIA_DOCUMENT, "--given-name", "Lucía",
                                 "--surnames", "García Pérez", "--validity-date", LUCIA_VALIDITY,
                                 "--phone", LUCIA_PHONE, "--email", "lucia@example.org",
                                 "--level", "basic", NULL);
  g_assert_no_error (error);
  device_id = activate_lucia (&fixture->base, key);
  lucia = import_p12 (fixture, "lucia-fnmt.p12");
  antonio = import_p12 (fixture, "antonio-fnmt.p12");

  /* A proof made for something else is not one for this. */
  wrong_purpose = prove_for (fixture, lucia, CLAVE_PROOF_PURPOSE_REGISTRATION, &error);
  g_assert_no_error (error);
  g_assert_false (raise_level (fixture, key, device_id, wrong_purpose, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CERTIFICATE_REJECTED);
  g_clear_error (&error);

  other = prove_for (fixture, antonio, CLAVE_PROOF_PURPOSE_LEVEL, &error);
  g_assert_no_error (error);
  g_assert_false (raise_level (fixture, key, device_id, other, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTITY_MISMATCH);
  g_clear_error (&error);
  my_data = get_my_data (&fixture->base, key, device_id, FALSE, &error);
  g_assert_cmpstr (my_data->level, ==, CLAVE_LEVEL_BASIC);
  g_clear_pointer (&my_data, clave_my_data_free);

  proof = prove_for (fixture, lucia, CLAVE_PROOF_PURPOSE_LEVEL, &error);
  g_assert_no_error (error);
  g_assert_true (raise_level (fixture, key, device_id, proof, &error));
  g_assert_no_error (error);
  my_data = get_my_data (&fixture->base, key, device_id, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (my_data->level, ==, CLAVE_LEVEL_ADVANCED);

  again = prove_for (fixture, lucia, CLAVE_PROOF_PURPOSE_LEVEL, &error);
  g_assert_no_error (error);
  g_assert_false (raise_level (fixture, key, device_id, again, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ALREADY_ADVANCED);
  g_assert_cmpstr (error->message, ==, "You are already registered at the advanced level.");
}

static ClaveSmsStatus *
change_phone (CertFixture                  *fixture,
              ClaveDeviceKey               *key,
              const char                   *device_id,
              const ClaveCertificateProof  *proof,
              const char                   *phone,
              char                        **change_id,
              GError                      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_change_phone_async (fixture->base.client, key, device_id, proof, phone,
                                           NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_change_phone_finish (fixture->base.client, result, change_id,
                                                   error);
}

static char *
confirm_phone (CertFixture     *fixture,
               ClaveDeviceKey  *key,
               const char      *device_id,
               const char      *change_id,
               const char      *code,
               guint           *attempts_left,
               GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_confirm_phone_async (fixture->base.client, key, device_id, change_id, code,
                                            NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_confirm_phone_finish (fixture->base.client, result, attempts_left,
                                                    error);
}

/* Changing the phone (POST /v1/me/phone…): with the person's own
 * certificate, to a number nobody has, confirmed by the code sent to it;
 * the old number hears of it. */
static void
test_change_phone (CertFixture   *fixture,
                   gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = generate_key ();
  g_autoptr(ClaveCertificate) lucia = NULL;
  g_autoptr(ClaveCertificate) antonio = NULL;
  g_autoptr(ClaveCertificateProof) proof = NULL;
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(ClaveSmsStatus) resent = NULL;
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  g_autofree char *change_id = NULL;
  g_autofree char *code = NULL;
  g_autofree char *phone = NULL;
  g_autofree char *outbox = NULL;
  const char *wrong;
  guint attempts_left = 99;

  if (!have_pki ())
    return;

  device_id = activate_lucia (&fixture->base, key);
  lucia = import_p12 (fixture, "lucia-fnmt.p12");
  antonio = import_p12 (fixture, "antonio-fnmt.p12");

  /* Refusals: another person's certificate, the same number, Antonio's
   * number. Nothing changes. */
  proof = prove_for (fixture, antonio, CLAVE_PROOF_PURPOSE_PHONE, &error);
  g_assert_no_error (error);
  status = change_phone (fixture, key, device_id, proof, "+34 611 000 111", &change_id, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTITY_MISMATCH);
  g_clear_error (&error);
  g_clear_pointer (&proof, clave_certificate_proof_free);
  proof = prove_for (fixture, lucia, CLAVE_PROOF_PURPOSE_PHONE, &error);
  status = change_phone (fixture, key, device_id, proof, LUCIA_PHONE, &change_id, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_SAME_PHONE);
  g_assert_cmpstr (error->message, ==, "This is already your phone number in Cl@ve.");
  g_clear_error (&error);
  g_clear_pointer (&proof, clave_certificate_proof_free);
  proof = prove_for (fixture, lucia, CLAVE_PROOF_PURPOSE_PHONE, &error);
  status = change_phone (fixture, key, device_id, proof, "+34600222333", &change_id, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PHONE_IN_USE);
  g_clear_error (&error);

  /* A foreign number, typed as people do. */
  g_clear_pointer (&proof, clave_certificate_proof_free);
  proof = prove_for (fixture, lucia, CLAVE_PROOF_PURPOSE_PHONE, &error);
  status = change_phone (fixture, key, device_id, proof, "+49 151 9876-5432", &change_id, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (change_id, "chg_"));
  g_assert_cmpstr (status->phone_hint, ==, "******432");
  g_assert_cmpuint (status->sends_left, ==, CLAVE_SMS_MAX_SENDS - 1);
  /* A second code at once is too soon. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_resend_phone_code_async (fixture->base.client, key, device_id, change_id,
                                                  NULL, client_test_store_result, &result);
    client_test_wait_result (&result);
    resent = clave_service_client_resend_phone_code_finish (fixture->base.client, result, &error);
    g_assert_null (resent);
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_RESEND_TOO_SOON);
    g_clear_error (&error);
  }
  code = clave_test_server_last_sms_code (fixture->base.server, "+4915198765432", &error);
  g_assert_no_error (error);

  /* Until confirmed, the old number stays. */
  my_data = get_my_data (&fixture->base, key, device_id, FALSE, &error);
  g_assert_cmpstr (my_data->phone, ==, "******789");
  g_clear_pointer (&my_data, clave_my_data_free);

  wrong = g_str_equal (code, "000000") ? "000001" : "000000";
  phone = confirm_phone (fixture, key, device_id, change_id, wrong, &attempts_left, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE);
  g_assert_cmpuint (attempts_left, ==, 2);
  g_clear_error (&error);

  phone = confirm_phone (fixture, key, device_id, change_id, code, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (phone, ==, "******432");
  my_data = get_my_data (&fixture->base, key, device_id, FALSE, &error);
  g_assert_cmpstr (my_data->phone, ==, "******432");

  /* The old number was told; the change cannot be used twice. */
  outbox = clave_test_server_admin (fixture->base.server, &error, "outbox", "--limit", "1", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (outbox, LUCIA_PHONE));
  g_assert_nonnull (strstr (outbox, "se ha cambiado por el terminado en 432"));
  g_clear_pointer (&phone, g_free);
  phone = confirm_phone (fixture, key, device_id, change_id, code, NULL, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CHANGE_EXPIRED);
}

static void
test_registration_with_p12 (CertFixture   *fixture,
                            gconstpointer  data)
{
  g_autoptr(ClaveCertificate) marta = NULL;
  g_autoptr(ClaveRegistration) registration = NULL;
  g_autoptr(ClaveRegistration) again = NULL;
  g_autoptr(ClaveSmsStatus) status = NULL;
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  const char *wrong;
  guint attempts_left = 99;

  if (!have_pki ())
    return;

  marta = import_p12 (fixture, "marta-fnmt.p12");

  /* The service checks the phone and e-mail. */
  registration = register_with_certificate (fixture, marta, P12_PASSWORD, "600999888",
                                            MARTA_EMAIL, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_PHONE);
  g_assert_null (registration);
  g_clear_error (&error);
  registration = register_with_certificate (fixture, marta, P12_PASSWORD, MARTA_PHONE,
                                            "not-an-address", &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_EMAIL);
  g_clear_error (&error);
  /* Lucía's phone belongs to Lucía. */
  registration = register_with_certificate (fixture, marta, P12_PASSWORD, LUCIA_PHONE,
                                            MARTA_EMAIL, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PHONE_IN_USE);
  g_clear_error (&error);

  /* Typed the way people write numbers. */
  registration = register_with_certificate (fixture, marta, P12_PASSWORD, "+34 600 99-98-88",
                                            " " MARTA_EMAIL " ", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (registration->id, "reg_"));
  g_assert_cmpstr (registration->document, ==, MARTA_DOCUMENT);
  g_assert_cmpstr (registration->given_name, ==, "MARTA");
  g_assert_cmpstr (registration->surnames, ==, "VIDAL SOLER");
  g_assert_cmpstr (registration->phone_hint, ==, "******888");
  g_assert_cmpuint (registration->code_expires_in, ==, CLAVE_SMS_CODE_TTL_SECS);
  g_assert_cmpuint (registration->sends_left, ==, CLAVE_SMS_MAX_SENDS - 1);

  /* A second code at once is refused. */
  status = resend_registration (fixture, registration, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_RESEND_TOO_SOON);
  g_assert_null (status);
  g_clear_error (&error);

  code = clave_test_server_last_sms_code (fixture->base.server, MARTA_PHONE, &error);
  g_assert_no_error (error);
  wrong = g_str_equal (code, "000000") ? "000001" : "000000";
  activation = verify_registration (fixture, registration, wrong, &attempts_left, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE);
  g_assert_cmpuint (attempts_left, ==, 2);
  g_assert_null (activation);
  g_clear_error (&error);

  activation = verify_registration (fixture, registration, code, &attempts_left, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (activation->id, "act_"));
  g_assert_cmpuint (g_strv_length (activation->methods), ==, 0);

  /* Registered at level advanced through a certificate; the activation
   * that came with it registers this device. */
  finish_activation (fixture, activation, MARTA_DOCUMENT, CLAVE_CHANNEL_CERTIFICATE);

  /* The registration is used up, and Marta cannot register twice. */
  g_clear_pointer (&activation, clave_activation_free);
  activation = verify_registration (fixture, registration, code, NULL, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REGISTRATION_EXPIRED);
  g_clear_error (&error);

  again = register_with_certificate (fixture, marta, P12_PASSWORD, "+34600999777",
                                     "marta2@example.org", &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ALREADY_REGISTERED);
  g_assert_cmpstr (error->message, ==, "You are already registered in Cl@ve. Log in instead.");
}

static void
test_registration_with_dnie (CertFixture   *fixture,
                             gconstpointer  data)
{
  g_autoptr(ClaveCertificate) dnie = NULL;
  g_autoptr(ClaveRegistration) registration = NULL;
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;

  if (!have_pki () || (dnie = load_dnie (fixture, "marta")) == NULL)
    return;

  registration = register_with_certificate (fixture, dnie, CARD_PIN, MARTA_PHONE, MARTA_EMAIL,
                                            &error);
  g_assert_no_error (error);
  g_assert_cmpstr (registration->document, ==, MARTA_DOCUMENT);

  code = clave_test_server_last_sms_code (fixture->base.server, MARTA_PHONE, &error);
  g_assert_no_error (error);
  activation = verify_registration (fixture, registration, code, NULL, &error);
  g_assert_no_error (error);

  finish_activation (fixture, activation, MARTA_DOCUMENT, CLAVE_CHANNEL_DNIE);
}

/* Giving up Cl@ve ends the registration: the device is no longer
 * anybody's, and identification says "not registered". */
static void
test_give_up (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = generate_key ();
  g_autofree char *device_id = activate_lucia (fixture, key);
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(GError) error = NULL;
  gboolean registered = TRUE;

  g_assert_true (give_up (fixture, key, device_id, &error));
  g_assert_no_error (error);

  my_data = get_my_data (fixture, key, device_id, FALSE, &error);
  g_assert_null (my_data);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED);
  g_clear_error (&error);
  g_assert_false (give_up (fixture, key, device_id, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED);
  g_clear_error (&error);

  g_assert_true (identify (fixture->client, LUCIA_DOCUMENT, "validity_date", LUCIA_VALIDITY,
                           &registered, &activation, &error));
  g_assert_no_error (error);
  g_assert_false (registered);
  g_assert_null (activation);
}

static char *
start_email_change (Fixture         *fixture,
                    ClaveDeviceKey  *key,
                    const char      *device_id,
                    const char      *kind,
                    const char      *value,
                    GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_start_email_change_async (fixture->client, key, device_id, kind, value,
                                                 NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_start_email_change_finish (fixture->client, result, error);
}

static ClaveEmailCodeStatus *
send_email_code (Fixture         *fixture,
                 ClaveDeviceKey  *key,
                 const char      *device_id,
                 const char      *change_id,
                 const char      *email,
                 GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_send_email_code_async (fixture->client, key, device_id, change_id, email,
                                              NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_send_email_code_finish (fixture->client, result, error);
}

static char *
confirm_email (Fixture         *fixture,
               ClaveDeviceKey  *key,
               const char      *device_id,
               const char      *change_id,
               const char      *code,
               guint           *attempts_left,
               GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_confirm_email_async (fixture->client, key, device_id, change_id, code,
                                            NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_confirm_email_finish (fixture->client, result, attempts_left,
                                                    error);
}

/* What the mail command got last, once it starts with @first_line. */
static char *
wait_for_mail (Fixture    *fixture,
               const char *first_line)
{
  g_autofree char *file = g_build_filename (fixture->mail_dir, "last.eml", NULL);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (file, &contents, NULL, NULL) &&
          g_str_has_prefix (contents, first_line))
        return g_steal_pointer (&contents);
      g_usleep (50 * 1000);
    }
  g_assert_not_reached ();
  return NULL;
}

/* Changing the e-mail (POST /v1/me/email…): the contrast data, then a
 * code e-mailed to the new address by --mail-command as a whole message
 * (sendmail -t reads it); the old address hears of it. */
static void
test_change_email (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = generate_key ();
  g_autoptr(ClaveEmailCodeStatus) status = NULL;
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) six_digits = g_regex_new ("(?<![0-9])[0-9]{6}(?![0-9])", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *device_id = activate_lucia (fixture, key);
  g_autofree char *change_id = NULL;
  g_autofree char *mail = NULL;
  g_autofree char *notice = NULL;
  g_autofree char *code = NULL;
  g_autofree char *outbox_code = NULL;
  g_autofree char *email = NULL;
  const char *wrong;
  guint attempts_left = 99;

  /* Wrong contrast data, and malformed ones: no change. */
  change_id = start_email_change (fixture, key, device_id, "validity_date", "2031-05-05",
                                  &error);
  g_assert_null (change_id);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED);
  g_clear_error (&error);
  change_id = start_email_change (fixture, key, device_id, "validity_date", "05/05/2031",
                                  &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_REQUEST);
  g_clear_error (&error);

  change_id = start_email_change (fixture, key, device_id, "validity_date", LUCIA_VALIDITY,
                                  &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (change_id, "eml_"));

  /* The address is checked, and must be a new one. */
  status = send_email_code (fixture, key, device_id, change_id, "lucia@", &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_EMAIL);
  g_clear_error (&error);
  status = send_email_code (fixture, key, device_id, change_id, "lucia@EXAMPLE.org", &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_SAME_EMAIL);
  g_assert_cmpstr (error->message, ==, "This is already your e-mail address in Cl@ve.");
  g_clear_error (&error);

  /* Blanks around it go; the domain is kept in lower case. */
  status = send_email_code (fixture, key, device_id, change_id, "  Lucia.Garcia@Correo.ES ",
                            &error);
  g_assert_no_error (error);
  g_assert_cmpstr (status->email, ==, "Lucia.Garcia@correo.es");
  g_assert_cmpuint (status->sends_left, ==, CLAVE_SMS_MAX_SENDS - 1);

  mail = wait_for_mail (fixture, "Lucia.Garcia@correo.es|Cl@ve: confirme su nuevo correo");
  g_assert_nonnull (strstr (mail, "\nTo: Lucia.Garcia@correo.es\n"));
  /* The subject is not ASCII: RFC 2047. */
  g_assert_nonnull (strstr (mail, "\nSubject: =?UTF-8?B?"));
  g_assert_nonnull (strstr (mail, "\nContent-Type: text/plain; charset=UTF-8\n"));
  g_assert_true (g_regex_match (six_digits, mail, 0, &match));
  code = g_match_info_fetch (match, 0);
  outbox_code = clave_test_server_last_email_code (fixture->server, "Lucia.Garcia@correo.es",
                                                   &error);
  /* Delivered: the outbox keeps no code. */
  g_assert_null (outbox_code);
  g_clear_error (&error);

  /* Until confirmed, the old address stays. */
  my_data = get_my_data (fixture, key, device_id, FALSE, &error);
  g_assert_cmpstr (my_data->email, ==, "lucia@example.org");
  g_clear_pointer (&my_data, clave_my_data_free);

  wrong = g_str_equal (code, "000000") ? "000001" : "000000";
  email = confirm_email (fixture, key, device_id, change_id, wrong, &attempts_left, &error);
  g_assert_null (email);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE);
  g_assert_cmpuint (attempts_left, ==, 2);
  g_clear_error (&error);

  email = confirm_email (fixture, key, device_id, change_id, code, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (email, ==, "Lucia.Garcia@correo.es");
  my_data = get_my_data (fixture, key, device_id, FALSE, &error);
  g_assert_cmpstr (my_data->email, ==, "Lucia.Garcia@correo.es");

  /* The old address was told, without the whole new one. */
  notice = wait_for_mail (fixture, "lucia@example.org|Cl@ve: su correo electrónico ha cambiado");
  g_assert_nonnull (strstr (notice, "por L•••@correo.es."));
  g_assert_null (strstr (notice, "Lucia.Garcia@"));
  g_clear_pointer (&email, g_free);
  email = confirm_email (fixture, key, device_id, change_id, code, NULL, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_CHANGE_EXPIRED);
}

static ClavePermanenteCode *
new_permanente_code (Fixture         *fixture,
                     ClaveDeviceKey  *key,
                     const char      *device_id,
                     const char      *value,
                     GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_new_permanente_code_async (fixture->client, key, device_id,
                                                  "validity_date", value, NULL,
                                                  client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_new_permanente_code_finish (fixture->client, result, error);
}

/* A Cl@ve Permanente activation code (POST /v1/me/permanente/code), and
 * its state in My data. */
static void
test_permanente_code (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = generate_key ();
  g_autoptr(ClavePermanenteCode) code = NULL;
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = activate_lucia (fixture, key);

  my_data = get_my_data (fixture, key, device_id, FALSE, &error);
  g_assert_cmpstr (my_data->permanente, ==, CLAVE_PERMANENTE_NONE);
  g_clear_pointer (&my_data, clave_my_data_free);

  code = new_permanente_code (fixture, key, device_id, "2031-05-05", &error);
  g_assert_null (code);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED);
  g_clear_error (&error);

  code = new_permanente_code (fixture, key, device_id, LUCIA_VALIDITY, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (code->code), ==, 14);
  g_assert_cmpint (code->expires_at, >, g_get_real_time () / G_USEC_PER_SEC);
  my_data = get_my_data (fixture, key, device_id, FALSE, &error);
  g_assert_cmpstr (my_data->permanente, ==, CLAVE_PERMANENTE_CODE_PENDING);
}

/* Cl@ve Permanente's password from the app: changing it (a wrong current
 * one counts), recovering it with the SMS code, deleting the user. */
static void
test_permanente_password (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = generate_key ();
  g_autoptr(ClavePermanenteCode) code = NULL;
  g_autoptr(ClavePermanenteRecovery) recovery = NULL;
  g_autoptr(ClaveMyData) my_data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = activate_lucia (fixture, key);
  g_autofree char *done = NULL;
  g_autofree char *sms = NULL;
  guint attempts_left = 0;

  code = new_permanente_code (fixture, key, device_id, LUCIA_VALIDITY, &error);
  g_assert_no_error (error);
  done = clave_test_server_activate_permanente (fixture->server, LUCIA_DOCUMENT,
                                                "lucia@example.org", code->code, "Tq7!vbnm#x");

  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_change_permanente_password_async (fixture->client, key, device_id,
                                                           "Tq7!vbnm#y", "Nueva#Clave7", NULL,
                                                           client_test_store_result, &result);
    client_test_wait_result (&result);
    g_assert_false (clave_service_client_change_permanente_password_finish (
                      fixture->client, result, &attempts_left, &error));
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_PASSWORD);
    g_assert_cmpuint (attempts_left, ==, 4);
    g_clear_error (&error);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_change_permanente_password_async (fixture->client, key, device_id,
                                                           "Tq7!vbnm#x", "Nueva#Clave7", NULL,
                                                           client_test_store_result, &result);
    client_test_wait_result (&result);
    g_assert_true (clave_service_client_change_permanente_password_finish (
                     fixture->client, result, NULL, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_start_permanente_recovery_async (fixture->client, key, device_id, NULL,
                                                          client_test_store_result, &result);
    client_test_wait_result (&result);
    recovery = clave_service_client_start_permanente_recovery_finish (fixture->client, result,
                                                                      &error);
    g_assert_no_error (error);
    g_assert_cmpstr (recovery->status->phone_hint, ==, "******789");
  }
  sms = clave_test_server_last_sms_code (fixture->server, LUCIA_PHONE, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_finish_permanente_recovery_async (fixture->client, key, device_id,
                                                           recovery, sms, "Lucia#2031x", NULL,
                                                           client_test_store_result, &result);
    client_test_wait_result (&result);
    g_assert_false (clave_service_client_finish_permanente_recovery_finish (
                      fixture->client, result, NULL, &error));
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_WEAK_PASSWORD);
    g_clear_error (&error);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_finish_permanente_recovery_async (fixture->client, key, device_id,
                                                           recovery, sms, "Tercera#Clave9", NULL,
                                                           client_test_store_result, &result);
    client_test_wait_result (&result);
    g_assert_true (clave_service_client_finish_permanente_recovery_finish (
                     fixture->client, result, NULL, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_delete_permanente_async (fixture->client, key, device_id, NULL,
                                                  client_test_store_result, &result);
    client_test_wait_result (&result);
    g_assert_true (clave_service_client_delete_permanente_finish (fixture->client, result,
                                                                  &error));
    g_assert_no_error (error);
  }
  my_data = get_my_data (fixture, key, device_id, FALSE, &error);
  g_assert_cmpstr (my_data->permanente, ==, CLAVE_PERMANENTE_NONE);
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_delete_permanente_async (fixture->client, key, device_id, NULL,
                                                  client_test_store_result, &result);
    client_test_wait_result (&result);
    g_assert_false (clave_service_client_delete_permanente_finish (fixture->client, result,
                                                                   &error));
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_PERMANENTE_NOT_ACTIVE);
  }
}

static GPtrArray *
list_firma (Fixture        *fixture,
            ClaveDeviceKey *key,
            const char     *device_id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *certificates;

  clave_service_client_list_firma_async (fixture->client, key, device_id, NULL,
                                         client_test_store_result, &result);
  client_test_wait_result (&result);
  certificates = clave_service_client_list_firma_finish (fixture->client, result, &error);
  g_assert_no_error (error);
  return certificates;
}

static ClaveFirmaCertificate *
revoke_firma (Fixture        *fixture,
              ClaveDeviceKey *key,
              const char     *device_id,
              const char     *serial,
              GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_revoke_firma_async (fixture->client, key, device_id, serial, NULL,
                                           client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_revoke_firma_finish (fixture->client, result, error);
}

/* Cl@ve Firma through the client: none, then the one clave-admin issues,
 * revoked once (a second time and a stranger's serial are refused with
 * their own errors). */
static void
test_firma (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(ClaveDeviceKey) key = generate_key ();
  g_autoptr(ClavePermanenteCode) code = NULL;
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(ClaveFirmaCertificate) revoked = NULL;
  g_autoptr(ClaveFirmaCertificate) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = activate_lucia (fixture, key);
  g_autofree char *done = NULL;
  g_autofree char *out = NULL;
  ClaveFirmaCertificate *listed;

  certificates = list_firma (fixture, key, device_id);
  g_assert_cmpuint (certificates->len, ==, 0);
  g_clear_pointer (&certificates, g_ptr_array_unref);

  code = new_permanente_code (fixture, key, device_id, LUCIA_VALIDITY, &error);
  g_assert_no_error (error);
  done = clave_test_server_activate_permanente (fixture->server, LUCIA_DOCUMENT,
                                                "lucia@example.org", code->code, "Tq7!vbnm#x");
  out = clave_test_server_admin (fixture->server, &error, "issue-firma", LUCIA_DOCUMENT,
                                 NULL);
  g_assert_no_error (error);

  certificates = list_firma (fixture, key, device_id);
  g_assert_cmpuint (certificates->len, ==, 1);
  listed = g_ptr_array_index (certificates, 0);
  g_assert_nonnull (strstr (out, listed->serial));
  g_assert_cmpstr (listed->holder, ==, "GARCÍA PÉREZ, LUCÍA (FIRMA)");
  g_assert_true (g_str_has_prefix (listed->issuer, "CN=AC Cl@ve Firma de pruebas"));
  g_assert_cmpstr (listed->status, ==, CLAVE_FIRMA_VALID);
  g_assert_cmpint (listed->revoked_at, ==, 0);
  g_assert_cmpint (listed->not_after, >, listed->not_before);

  again = revoke_firma (fixture, key, device_id, "0badc0de", &error);
  g_assert_null (again);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_FIRMA_NOT_FOUND);
  g_clear_error (&error);
  revoked = revoke_firma (fixture, key, device_id, listed->serial, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (revoked->serial, ==, listed->serial);
  g_assert_cmpstr (revoked->status, ==, CLAVE_FIRMA_REVOKED);
  g_assert_cmpint (revoked->revoked_at, >, 0);
  again = revoke_firma (fixture, key, device_id, listed->serial, &error);
  g_assert_null (again);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_FIRMA_REVOKED);
  g_clear_pointer (&certificates, g_ptr_array_unref);

  certificates = list_firma (fixture, key, device_id);
  g_assert_cmpuint (certificates->len, ==, 1);
  g_assert_cmpstr (((ClaveFirmaCertificate *) certificates->pdata[0])->status, ==,
                   CLAVE_FIRMA_REVOKED);
}

static ClaveVideoStatus *
video_step (Fixture          *fixture,
            GAsyncResult    **result,
            GError          **error)
{
  client_test_wait_result (result);
  return clave_service_client_video_status_finish (fixture->client, *result, error);
}

/* Video identification through the client: Marta starts with her DNI's
 * validity date (the phone as people type it), confirms the code, sends
 * pictures (a refused one with its own error), sends them for review;
 * clave-admin rejects with a reason that the client reads. */
static void
test_video (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(ClaveRegistration) registration = NULL;
  g_autoptr(ClaveVideoStatus) status = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GBytes) small = clave_test_png_new (100, 100, 0);
  const char *kinds[] = { "front", "back", "face-1", "face-2", "face-3" };
  guint attempts_left = 0;

  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_video_start_async (fixture->client, MARTA_DOCUMENT, "validity_date",
                                            MARTA_VALIDITY, "+34 600 999 888", MARTA_EMAIL, NULL,
                                            client_test_store_result, &result);
    client_test_wait_result (&result);
    registration = clave_service_client_video_start_finish (fixture->client, result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (registration->phone_hint, ==, "******888");
  }
  code = clave_test_server_last_sms_code (fixture->server, MARTA_PHONE, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_video_verify_async (fixture->client, registration, "000000", NULL,
                                             client_test_store_result, &result);
    client_test_wait_result (&result);
    g_assert_null (clave_service_client_video_verify_finish (fixture->client, result,
                                                             &attempts_left, &error));
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_CODE);
    g_assert_cmpuint (attempts_left, ==, 2);
    g_clear_error (&error);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_video_verify_async (fixture->client, registration, code, NULL,
                                             client_test_store_result, &result);
    client_test_wait_result (&result);
    status = clave_service_client_video_verify_finish (fixture->client, result, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (status->state, ==, CLAVE_VIDEO_STATE_CAPTURING);
    g_assert_cmpint (status->expires_at, >, 0);
    g_clear_pointer (&status, clave_video_status_free);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_video_put_image_async (fixture->client, registration, "front", small,
                                                "image/png", NULL, client_test_store_result,
                                                &result);
    g_assert_null (video_step (fixture, &result, &error));
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_INVALID_IMAGE);
    g_clear_error (&error);
  }
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_video_submit_async (fixture->client, registration, NULL,
                                             client_test_store_result, &result);
    g_assert_null (video_step (fixture, &result, &error));
    g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_MISSING_IMAGES);
    g_clear_error (&error);
  }
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GBytes) png = clave_test_png_new (480, 640, (guint8) (40 * i));

      clave_service_client_video_put_image_async (fixture->client, registration, kinds[i], png,
                                                  "image/png", NULL, client_test_store_result,
                                                  &result);
      status = video_step (fixture, &result, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_strv_length (status->images), ==, i + 1);
      g_clear_pointer (&status, clave_video_status_free);
    }
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_video_submit_async (fixture->client, registration, NULL,
                                             client_test_store_result, &result);
    status = video_step (fixture, &result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (status->state, ==, CLAVE_VIDEO_STATE_PENDING);
    g_assert_cmpint (status->submitted_at, >, 0);
    g_assert_cmpint (status->expires_at, ==, 0);
    g_clear_pointer (&status, clave_video_status_free);
  }

  out = clave_test_server_admin (fixture->server, &error, "video", "reject", registration->id,
                                 "--reason", "Falta la cara: repita las fotos.", NULL);
  g_assert_no_error (error);
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_video_get_async (fixture->client, registration, NULL,
                                          client_test_store_result, &result);
    status = video_step (fixture, &result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (status->state, ==, CLAVE_VIDEO_STATE_REJECTED);
    g_assert_cmpstr (status->reason, ==, "Falta la cara: repita las fotos.");
    g_assert_cmpint (status->decided_at, >, 0);
    g_assert_cmpuint (g_strv_length (status->images), ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/service-client/activation-flow", test_activation_flow);
  ADD ("/service-client/new-device-replaces-old", test_new_device_replaces_old);
  ADD ("/service-client/give-up", test_give_up);
  ADD ("/service-client/identification-failed", test_identification_failed);
  ADD ("/service-client/not-registered", test_not_registered);
  ADD ("/service-client/wrong-code", test_wrong_code);
  ADD ("/service-client/resend-too-soon", test_resend_too_soon);
  ADD ("/service-client/wrong-token", test_wrong_token);
  ADD ("/service-client/untrusted-ca", test_untrusted_ca);
  ADD ("/service-client/network-down", test_network_down);
  ADD ("/service-client/cancelled", test_cancelled);
  ADD ("/service-client/permanente-code", test_permanente_code);
  ADD ("/service-client/permanente-password", test_permanente_password);
  ADD ("/service-client/firma", test_firma);
  ADD ("/service-client/video", test_video);
  g_test_add ("/service-client/change-email", Fixture, MAIL_COMMAND, fixture_set_up,
              test_change_email, fixture_tear_down);

#undef ADD
#define ADD(path, func) \
  g_test_add (path, CertFixture, NULL, cert_fixture_set_up, func, cert_fixture_tear_down)

  ADD ("/service-client/certificate/challenge", test_challenge);
  ADD ("/service-client/certificate/activation-with-dnie", test_activation_with_dnie);
  ADD ("/service-client/certificate/activation-with-p12", test_activation_with_p12);
  ADD ("/service-client/certificate/identity-mismatch", test_identity_mismatch);
  ADD ("/service-client/certificate/rejected", test_rejected_certificates);
  ADD ("/service-client/certificate/registration-with-p12", test_registration_with_p12);
  ADD ("/service-client/certificate/registration-with-dnie", test_registration_with_dnie);
  ADD ("/service-client/certificate/raise-level", test_raise_level);
  ADD ("/service-client/certificate/change-phone", test_change_phone);

#undef ADD

  return g_test_run ();
}
