/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-service-client"

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <libsoup/soup.h>

#include "clave-device-key-private.h"
#include "clave-profile.h"
#include "clave-protocol.h"
#include "clave-service-client.h"
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

typedef struct {
  ClaveTestServer    *server;
  GSettingsBackend   *backend;
  GSettings          *settings;
  ClaveProfile       *profile;
  ClaveServiceClient *client;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = clave_test_server_start (NULL, &error);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/service-client/activation-flow", test_activation_flow);
  ADD ("/service-client/new-device-replaces-old", test_new_device_replaces_old);
  ADD ("/service-client/identification-failed", test_identification_failed);
  ADD ("/service-client/not-registered", test_not_registered);
  ADD ("/service-client/wrong-code", test_wrong_code);
  ADD ("/service-client/resend-too-soon", test_resend_too_soon);
  ADD ("/service-client/wrong-token", test_wrong_token);
  ADD ("/service-client/untrusted-ca", test_untrusted_ca);
  ADD ("/service-client/network-down", test_network_down);
  ADD ("/service-client/cancelled", test_cancelled);

#undef ADD

  return g_test_run ();
}
