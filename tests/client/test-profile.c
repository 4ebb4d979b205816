/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-profile"

#include "config.h"

#include <glib/gstdio.h>
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <libsoup/soup.h>

#include "clave-profile.h"
#include "clave-service-client.h"
#include "client-test-util.h"

typedef struct {
  GSettingsBackend *backend;
  GSettings        *settings;
  ClaveProfile     *profile;
  guint             notified;
} Fixture;

static void
on_notify_activated (ClaveProfile *profile,
                     GParamSpec   *pspec,
                     Fixture      *fixture)
{
  fixture->notified++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  /* A backend per test, so no test sees another's settings. */
  fixture->backend = g_memory_settings_backend_new ();
  fixture->settings = g_settings_new_with_backend (APP_ID, fixture->backend);
  fixture->profile = clave_profile_new (fixture->settings);
  g_signal_connect (fixture->profile, "notify::activated",
                    G_CALLBACK (on_notify_activated), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_finalize_object (g_steal_pointer (&fixture->profile));
  g_clear_object (&fixture->settings);
  g_clear_object (&fixture->backend);
}

static void
test_defaults (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *url = clave_profile_dup_service_url (fixture->profile);
  g_autofree char *ca_file = clave_profile_dup_ca_file (fixture->profile);
  g_autofree char *device_id = clave_profile_dup_device_id (fixture->profile);
  g_autofree char *number = clave_profile_dup_document_number (fixture->profile);
  g_autofree char *type = clave_profile_dup_document_type (fixture->profile);
  gboolean activated = TRUE;

  g_assert_true (clave_profile_get_settings (fixture->profile) == fixture->settings);
  g_assert_cmpstr (url, ==, "https://127.0.0.1:8443");
  g_assert_cmpstr (ca_file, ==, "");
  g_assert_cmpstr (device_id, ==, "");
  g_assert_cmpstr (number, ==, "");
  g_assert_cmpstr (type, ==, "");
  g_assert_false (clave_profile_get_activated (fixture->profile));
  g_object_get (fixture->profile, "activated", &activated, NULL);
  g_assert_false (activated);
}

static void
test_activation (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *device_id = NULL;
  g_autofree char *number = NULL;
  g_autofree char *type = NULL;
  gboolean activated = FALSE;

  clave_profile_set_activation (fixture->profile, "dev_abc", "dni", "12345678Z");
  g_assert_cmpuint (fixture->notified, ==, 1);
  g_assert_true (clave_profile_get_activated (fixture->profile));
  g_object_get (fixture->profile, "activated", &activated, NULL);
  g_assert_true (activated);

  device_id = clave_profile_dup_device_id (fixture->profile);
  number = clave_profile_dup_document_number (fixture->profile);
  type = clave_profile_dup_document_type (fixture->profile);
  g_assert_cmpstr (device_id, ==, "dev_abc");
  g_assert_cmpstr (number, ==, "12345678Z");
  g_assert_cmpstr (type, ==, "dni");

  /* A new device id while activated is no change of "activated". */
  clave_profile_set_activation (fixture->profile, "dev_def", "nie", "X1234567L");
  g_assert_cmpuint (fixture->notified, ==, 1);
  g_clear_pointer (&device_id, g_free);
  device_id = clave_profile_dup_device_id (fixture->profile);
  g_assert_cmpstr (device_id, ==, "dev_def");

  /* Other settings written afterwards still reach the backend at once
   * (the profile must not leave the GSettings in delay-apply mode). */
  g_assert_false (g_settings_get_has_unapplied (fixture->settings));
  g_settings_set_boolean (fixture->settings, "show-document", TRUE);
  g_assert_false (g_settings_get_has_unapplied (fixture->settings));
  {
    g_autoptr(GSettings) other = g_settings_new_with_backend (APP_ID, fixture->backend);

    g_assert_true (g_settings_get_boolean (other, "show-document"));
  }

  clave_profile_clear_activation (fixture->profile);
  g_assert_cmpuint (fixture->notified, ==, 2);
  g_assert_false (clave_profile_get_activated (fixture->profile));
  g_clear_pointer (&device_id, g_free);
  g_clear_pointer (&number, g_free);
  g_clear_pointer (&type, g_free);
  device_id = clave_profile_dup_device_id (fixture->profile);
  number = clave_profile_dup_document_number (fixture->profile);
  type = clave_profile_dup_document_type (fixture->profile);
  g_assert_cmpstr (device_id, ==, "");
  g_assert_cmpstr (number, ==, "");
  g_assert_cmpstr (type, ==, "");
}

static void
test_settings_changed_elsewhere (Fixture       *fixture,
                                 gconstpointer  data)
{
  /* Another GSettings on the same backend, as another part of the app
   * (or dconf from outside) would write it. */
  g_autoptr(GSettings) other = g_settings_new_with_backend (APP_ID, fixture->backend);

  g_settings_set_string (other, "device-id", "dev_outside");
  /* The memory backend delivers change notifications from an idle. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (fixture->notified, ==, 1);
  g_assert_true (clave_profile_get_activated (fixture->profile));

  g_settings_set_string (other, "device-id", "");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (fixture->notified, ==, 2);
  g_assert_false (clave_profile_get_activated (fixture->profile));
}

static void
test_session_default (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = clave_profile_create_session (fixture->profile, &error);
  g_autoptr(GTlsDatabase) system_database =
    g_tls_backend_get_default_database (g_tls_backend_get_default ());

  g_assert_no_error (error);
  g_assert_true (SOUP_IS_SESSION (session));
  g_assert_cmpuint (soup_session_get_timeout (session), ==, 30);
  g_assert_cmpuint (soup_session_get_idle_timeout (session), >, 0);
  g_assert_cmpstr (soup_session_get_user_agent (session), ==, "ClaveDesktop/" PACKAGE_VERSION);
  /* No CA file: the system's database. */
  g_assert_true (soup_session_get_tls_database (session) == system_database);
}

static void
test_session_ca_file (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("clave-profile-XXXXXX", NULL);
  g_autofree char *ca_file = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GTlsDatabase) system_database =
    g_tls_backend_get_default_database (g_tls_backend_get_default ());
  GTlsDatabase *database;

  g_assert_nonnull (dir);
  certificate = client_test_make_tls_certificate (dir, &ca_file);
  g_settings_set_string (fixture->settings, "ca-file", ca_file);

  session = clave_profile_create_session (fixture->profile, &error);
  g_assert_no_error (error);
  database = soup_session_get_tls_database (session);
  g_assert_true (G_IS_TLS_FILE_DATABASE (database));
  g_assert_true (database != system_database);

  g_assert_cmpint (g_remove (ca_file), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_session_missing_ca_file (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = NULL;
  const char *missing = "/nonexistent/clave-ca.pem";

  g_settings_set_string (fixture->settings, "ca-file", missing);
  session = clave_profile_create_session (fixture->profile, &error);
  g_assert_null (session);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, missing));
}

static void
test_session_not_a_certificate (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("clave-profile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "garbage.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = NULL;

  g_file_set_contents (path, "this is not a certificate\n", -1, &error);
  g_assert_no_error (error);
  g_settings_set_string (fixture->settings, "ca-file", path);

  session = clave_profile_create_session (fixture->profile, &error);
  g_assert_null (session);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TLS);

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_client_for_profile (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveServiceClient) client = NULL;
  const char *bad_urls[] = { "http://127.0.0.1:8443", "not a url", "", "https://" };

  g_settings_set_string (fixture->settings, "service-url", "https://clave.example.org:9443");
  client = clave_service_client_new_for_profile (fixture->profile, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (clave_service_client_get_base_url (client), ==,
                   "https://clave.example.org:9443");
  g_assert_finalize_object (g_steal_pointer (&client));

  for (guint i = 0; i < G_N_ELEMENTS (bad_urls); i++)
    {
      g_settings_set_string (fixture->settings, "service-url", bad_urls[i]);
      client = clave_service_client_new_for_profile (fixture->profile, &error);
      g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NETWORK);
      g_assert_null (client);
      g_clear_error (&error);
    }

  g_settings_set_string (fixture->settings, "service-url", "https://127.0.0.1:8443");
  g_settings_set_string (fixture->settings, "ca-file", "/nonexistent/ca.pem");
  client = clave_service_client_new_for_profile (fixture->profile, &error);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_TLS);
  g_assert_null (client);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/profile/defaults", test_defaults);
  ADD ("/profile/activation", test_activation);
  ADD ("/profile/settings-changed-elsewhere", test_settings_changed_elsewhere);
  ADD ("/profile/session/default", test_session_default);
  ADD ("/profile/session/ca-file", test_session_ca_file);
  ADD ("/profile/session/missing-ca-file", test_session_missing_ca_file);
  ADD ("/profile/session/not-a-certificate", test_session_not_a_certificate);
  ADD ("/profile/client-for-profile", test_client_for_profile);

#undef ADD

  return g_test_run ();
}
