/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-mobile-client"

#include "config.h"

#include <signal.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clave-device-key-private.h"
#include "clave-history-store.h"
#include "clave-protocol.h"
#include "clave-push-channel.h"
#include "clave-push-channel-private.h"
#include "clave-push-key.h"
#include "clave-request-uri.h"
#include "clave-service-client.h"
#include "clave-test-server.h"
#include "client-test-util.h"

/*
 * The Cl@ve Móvil side of libclave-client against a real clave-server:
 * a relying party creates requests over its HTTP API, the device claims,
 * lists, confirms and rejects them, syncs its history and receives them
 * on the push channel, also across a restart of the service.
 */

#define AEAT_NAME       "Agencia Tributaria"
#define AEAT_ORIGIN     "https://sede.agenciatributaria.gob.es"
#define TEST_PIN        "482915"
#define WAIT_MS         15000

typedef struct {
  char *base_url;
  char *ca_file;
  char *state_dir;
} ServerInfo;

typedef struct {
  ClaveServiceClient *client;
  ClaveDeviceKey     *key;
  ClavePushKey       *push_key;
  char               *device_id;
} Device;

typedef struct {
  ClaveTestServer    *server;
  ServerInfo          info;
  SoupSession        *session;
  ClaveServiceClient *client;
  char               *rp_key;
  Device             *lucia;
} Fixture;

/* Helpers */

static void
wait_for (gboolean (*done) (gpointer),
          gpointer   data,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static char *
admin (const ServerInfo *info,
       const char       *first_arg,
       ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("CLAVE_ADMIN"));
  g_ptr_array_add (argv, (gpointer) "--state-dir");
  g_ptr_array_add (argv, info->state_dir);
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("clave-admin %s failed: %s", first_arg, err);
  return out;
}

static char *
last_sms_code (const ServerInfo *info,
               const char       *phone)
{
  g_autofree char *json = admin (info, "outbox", "--json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GRegex) regex = g_regex_new ("(?<![0-9])[0-9]{6}(?![0-9])", 0, 0, NULL);
  JsonArray *messages;

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  messages = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      g_autoptr(GMatchInfo) match = NULL;

      if (g_str_equal (json_object_get_string_member (message, "phone"), phone) &&
          g_regex_match (regex, json_object_get_string_member (message, "body"), 0, &match))
        return g_match_info_fetch (match, 0);
    }

  g_error ("No SMS to %s", phone);
}

static char *
add_rp (const ServerInfo *info)
{
  g_autofree char *out = admin (info, "add-rp", "--name", AEAT_NAME, "--origin", AEAT_ORIGIN, NULL);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "api_key: "))
      return g_strdup (lines[i] + strlen ("api_key: "));

  g_error ("add-rp printed no key: %s", out);
}

static SoupSession *
session_for (const ServerInfo *info)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = g_tls_file_database_new (info->ca_file, &error);

  g_assert_no_error (error);
  return soup_session_new_with_options ("tls-database", database, "timeout", 20, NULL);
}

/* The relying party's API: POST /v1/rp/requests and GET …/{id}. */
static JsonObject *
rp_call (Fixture    *fixture,
         const char *method,
         const char *path,
         const char *json,
         guint       expected_status)
{
  g_autofree char *url = g_strconcat (fixture->info.base_url, path, NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", fixture->rp_key, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", authorization);
  if (json != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (json, strlen (json));

      soup_message_set_request_body_from_bytes (message, "application/json", request);
    }

  body = soup_session_send_and_read (fixture->session, message, NULL, &error);
  g_assert_no_error (error);
  if (soup_message_get_status (message) != expected_status)
    g_error ("%s %s: %u %.*s", method, path, soup_message_get_status (message),
             (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));

  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             (gssize) g_bytes_get_size (body), NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

#define LUCIA_PUSH "{\"type\":\"push\",\"document\":\"" CLAVE_TEST_LUCIA_DOCUMENT "\",\"contrast\":" \
                   "{\"kind\":\"validity_date\",\"value\":\"" CLAVE_TEST_LUCIA_VALIDITY "\"}}"

static JsonObject *
rp_create (Fixture    *fixture,
           const char *json)
{
  return rp_call (fixture, "POST", CLAVE_PATH_RP_REQUESTS, json, SOUP_STATUS_CREATED);
}

static char *
rp_status (Fixture    *fixture,
           const char *id)
{
  g_autofree char *path = g_strconcat (CLAVE_PATH_RP_REQUEST_PREFIX, id, NULL);
  g_autoptr(JsonObject) object = rp_call (fixture, "GET", path, NULL, SOUP_STATUS_OK);

  return g_strdup (json_object_get_string_member (object, "status"));
}

/* Device activation with a push key, the way the app does it. */

static void
device_free (Device *device)
{
  g_clear_object (&device->client);
  g_clear_object (&device->key);
  g_clear_object (&device->push_key);
  g_free (device->device_id);
  g_free (device);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Device, device_free)

static Device *
activate (const ServerInfo *info,
          SoupSession      *session,
          const char       *document,
          const char       *kind,
          const char       *value,
          const char       *phone)
{
  Device *device = g_new0 (Device, 1);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ClaveActivation) activation = NULL;
  g_autoptr(ClaveSmsStatus) sms = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  gboolean registered = FALSE;

  device->client = clave_service_client_new (session, info->base_url);

  clave_service_client_identify_async (device->client, document, kind, value, NULL,
                                       client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_true (clave_service_client_identify_finish (device->client, result, &registered,
                                                       &activation, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  clave_service_client_send_sms_async (device->client, activation, NULL,
                                       client_test_store_result, &result);
  client_test_wait_result (&result);
  sms = clave_service_client_send_sms_finish (device->client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  code = last_sms_code (info, phone);
  clave_service_client_verify_sms_async (device->client, activation, code, NULL,
                                         client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_true (clave_service_client_verify_sms_finish (device->client, result, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  _clave_device_key_generate_with_iterations_async (TEST_PIN, 1000, NULL,
                                                    client_test_store_result, &result);
  client_test_wait_result (&result);
  device->key = clave_device_key_generate_finish (result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  device->push_key = clave_push_key_generate (&error);
  g_assert_no_error (error);

  clave_service_client_register_device_with_push_key_async (device->client, activation,
                                                            device->key, device->push_key,
                                                            NULL, NULL,
                                                            client_test_store_result, &result);
  client_test_wait_result (&result);
  device->device_id = clave_service_client_register_device_finish (device->client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (device->device_id);

  return device;
}

static Device *
activate_lucia (const ServerInfo *info,
                SoupSession      *session)
{
  return activate (info, session, CLAVE_TEST_LUCIA_DOCUMENT, "validity_date",
                   CLAVE_TEST_LUCIA_VALIDITY, CLAVE_TEST_LUCIA_PHONE);
}

/* Synchronous wrappers. */

static ClaveAuthRequestInfo *
claim (Device      *device,
       gpointer     key,
       const char  *id,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_claim_request_async (device->client, key, device->device_id, id, NULL,
                                            client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_claim_request_finish (device->client, result, error);
}

static gboolean
answer (Device      *device,
        gboolean     confirm,
        const char  *id,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (confirm)
    {
      clave_service_client_confirm_request_async (device->client, device->key, device->device_id,
                                                  id, NULL, client_test_store_result, &result);
      client_test_wait_result (&result);
      return clave_service_client_confirm_request_finish (device->client, result, error);
    }

  clave_service_client_reject_request_async (device->client, device->key, device->device_id,
                                             id, NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_reject_request_finish (device->client, result, error);
}

static GPtrArray *
list_pending (Device   *device,
              gpointer  key,
              GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  clave_service_client_list_pending_async (device->client, key, device->device_id, NULL,
                                           client_test_store_result, &result);
  client_test_wait_result (&result);
  return clave_service_client_list_pending_finish (device->client, result, error);
}

/* Fixture: the shared test server plus Lucía's activated device. */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = clave_test_server_start (NULL, &error);
  g_assert_no_error (error);
  fixture->info.base_url = g_strdup (clave_test_server_get_base_url (fixture->server));
  fixture->info.ca_file = g_strdup (clave_test_server_get_ca_file (fixture->server));
  fixture->info.state_dir = g_strdup (clave_test_server_get_state_dir (fixture->server));
  fixture->session = session_for (&fixture->info);
  fixture->rp_key = add_rp (&fixture->info);
  fixture->lucia = activate_lucia (&fixture->info, fixture->session);
  fixture->client = g_object_ref (fixture->lucia->client);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_pointer (&fixture->lucia, device_free);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->session);
  g_free (fixture->rp_key);
  g_free (fixture->info.base_url);
  g_free (fixture->info.ca_file);
  g_free (fixture->info.state_dir);
  if (fixture->server != NULL)
    clave_test_server_stop (g_steal_pointer (&fixture->server));
}

/* Tests */

static void
test_qr_claim_confirm (Fixture       *fixture,
                       gconstpointer  data)
{
  Device *lucia = fixture->lucia;
  g_autoptr(JsonObject) created = rp_create (fixture, "{\"type\":\"qr\"}");
  g_autoptr(ClaveAuthRequestInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *code = NULL;
  g_autofree char *status = NULL;

  g_assert_true (clave_request_uri_parse (json_object_get_string_member (created, "uri"),
                                          &id, &code, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (id, ==, json_object_get_string_member (created, "id"));
  g_assert_cmpstr (code, ==, json_object_get_string_member (created, "verification_code"));

  /* The push key is enough to see the request (no PIN yet)… */
  info = claim (lucia, lucia->push_key, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->id, ==, id);
  g_assert_cmpstr (info->type, ==, "qr");
  g_assert_cmpstr (info->status, ==, "pending");
  g_assert_cmpstr (info->organisation, ==, AEAT_NAME);
  g_assert_cmpstr (info->origin, ==, AEAT_ORIGIN);
  g_assert_cmpstr (info->verification_code, ==, code);
  g_assert_cmpint (info->expires_at - info->created_at, ==, CLAVE_REQUEST_TTL_SECS);

  /* Confirming takes the PIN-sealed key (the public API accepts no
   * other; the service's own tests check key_not_allowed). */
  g_assert_true (answer (lucia, TRUE, id, &error));
  g_assert_no_error (error);

  status = rp_status (fixture, id);
  g_assert_cmpstr (status, ==, "confirmed");

  g_assert_false (answer (lucia, FALSE, id, &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ALREADY_ANSWERED);
}

static void
test_list_and_reject (Fixture       *fixture,
                      gconstpointer  data)
{
  Device *lucia = fixture->lucia;
  g_autoptr(JsonObject) created = rp_create (fixture, LUCIA_PUSH);
  const char *id = json_object_get_string_member (created, "id");
  g_autoptr(GError) error = NULL;

  /* A push request is bound at creation: listed without a claim. */
  {
    g_autoptr(GPtrArray) pending = list_pending (lucia, lucia->push_key, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (pending->len, ==, 1);
    g_assert_cmpstr (((ClaveAuthRequestInfo *) pending->pdata[0])->id, ==, id);
    g_assert_cmpstr (((ClaveAuthRequestInfo *) pending->pdata[0])->type, ==, "push");
    g_assert_cmpstr (((ClaveAuthRequestInfo *) pending->pdata[0])->organisation, ==, AEAT_NAME);
  }

  g_assert_true (answer (lucia, FALSE, id, &error));
  g_assert_no_error (error);
  {
    g_autofree char *status = rp_status (fixture, id);

    g_assert_cmpstr (status, ==, "rejected");
  }
  {
    g_autoptr(GPtrArray) pending = list_pending (lucia, lucia->push_key, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (pending->len, ==, 0);
  }
}

static void
test_claim_errors (Fixture       *fixture,
                   gconstpointer  data)
{
  Device *lucia = fixture->lucia;
  g_autoptr(Device) antonio = activate (&fixture->info, fixture->session,
                                        CLAVE_TEST_ANTONIO_DOCUMENT, "issue_date",
                                        CLAVE_TEST_ANTONIO_ISSUE, CLAVE_TEST_ANTONIO_PHONE);
  g_autoptr(JsonObject) qr = rp_create (fixture, "{\"type\":\"qr\"}");
  g_autoptr(JsonObject) push = rp_create (fixture, LUCIA_PUSH);
  g_autoptr(ClaveAuthRequestInfo) info = NULL;
  g_autoptr(ClaveAuthRequestInfo) again = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (claim (lucia, lucia->push_key, "req_doesnotexist000", &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REQUEST_NOT_FOUND);
  g_clear_error (&error);

  g_assert_null (claim (lucia, lucia->push_key, "not-a-request", &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_REQUEST_NOT_FOUND);
  g_clear_error (&error);

  info = claim (lucia, lucia->push_key, json_object_get_string_member (qr, "id"), &error);
  g_assert_no_error (error);
  again = claim (antonio, antonio->push_key, json_object_get_string_member (qr, "id"), &error);
  g_assert_null (again);
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_ALREADY_CLAIMED);
  g_assert_cmpstr (error->message, ==,
                   "Another device has already taken this request. Ask the website for a new one.");
  g_clear_error (&error);

  /* Antonio's device cannot answer Lucía's request. */
  g_assert_false (answer (antonio, TRUE, json_object_get_string_member (push, "id"), &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_NOT_YOUR_REQUEST);
  g_clear_error (&error);
  {
    g_autofree char *status = rp_status (fixture, json_object_get_string_member (push, "id"));

    g_assert_cmpstr (status, ==, "pending");
  }
}

static void
on_sync_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  client_test_store_result (source, result, user_data);
}

static guint
sync_history (ClaveHistoryStore *store,
              Device            *device,
              gpointer           key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint received = 0;

  clave_history_store_sync_async (store, device->client, key, device->device_id, NULL,
                                  on_sync_done, &result);
  client_test_wait_result (&result);
  g_assert_true (clave_history_store_sync_finish (store, result, &received, &error));
  g_assert_no_error (error);
  return received;
}

static void
test_history_sync (Fixture       *fixture,
                   gconstpointer  data)
{
  Device *lucia = fixture->lucia;
  g_autofree char *path = clave_history_store_default_path ();
  g_autoptr(ClaveHistoryStore) store = NULL;
  g_autoptr(ClaveHistoryModel) model = NULL;
  g_autoptr(ClaveHistoryFilter) filter = clave_history_filter_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cursor = NULL;

  store = clave_history_store_open (path, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonObject) qr = rp_create (fixture, "{\"type\":\"qr\"}");
      g_autoptr(ClaveAuthRequestInfo) info = claim (lucia, lucia->push_key,
                                                     json_object_get_string_member (qr, "id"),
                                                     &error);

      g_assert_no_error (error);
      g_ptr_array_add (ids, g_strdup (info->id));
    }
  {
    g_autoptr(JsonObject) push = rp_create (fixture, LUCIA_PUSH);

    g_ptr_array_add (ids, g_strdup (json_object_get_string_member (push, "id")));
  }
  g_assert_true (answer (lucia, TRUE, ids->pdata[0], &error));
  g_assert_true (answer (lucia, FALSE, ids->pdata[3], &error));
  g_assert_no_error (error);

  g_assert_cmpuint (sync_history (store, lucia, lucia->push_key), >=, 4);
  g_assert_cmpuint (clave_history_store_count (store), ==, 4);
  cursor = clave_history_store_dup_cursor (store);
  g_assert_nonnull (cursor);

  model = clave_history_model_new (store, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);

  filter->type = g_strdup ("qr");
  clave_history_model_set_filter (model, filter);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);

  g_free (filter->type);
  filter->type = NULL;
  filter->status = g_strdup ("confirmed");
  clave_history_model_set_filter (model, filter);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  {
    g_autoptr(ClaveHistoryItem) item = g_list_model_get_item (G_LIST_MODEL (model), 0);

    g_assert_cmpstr (clave_history_item_get_id (item), ==, ids->pdata[0]);
    g_assert_cmpstr (clave_history_item_get_organisation (item), ==, AEAT_NAME);
    g_assert_cmpstr (clave_history_item_get_origin (item), ==, AEAT_ORIGIN);
    g_assert_true (clave_history_item_get_confirmed (item));
    g_assert_cmpint (clave_history_item_get_answered_at (item), >, 0);
  }

  /* Incremental: a status change arrives again and updates the row. */
  g_assert_true (answer (lucia, TRUE, ids->pdata[1], &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sync_history (store, lucia, lucia->push_key), >=, 1);
  g_assert_cmpuint (clave_history_store_count (store), ==, 4);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2);

  /* Nothing new: nothing received. */
  g_assert_cmpuint (sync_history (store, lucia, lucia->key), ==, 0);
}

/* Push channel */

typedef struct {
  ClavePushChannel *channel;
  GPtrArray        *requests;   /* ClaveAuthRequestInfo */
  GPtrArray        *statuses;   /* "id=status" */
  gboolean          deactivated;
} Watch;

static void
on_request (ClavePushChannel     *channel,
            ClaveAuthRequestInfo *info,
            Watch                *watch)
{
  g_ptr_array_add (watch->requests, clave_auth_request_info_copy (info));
}

static void
on_status (ClavePushChannel *channel,
           const char       *id,
           const char       *status,
           Watch            *watch)
{
  g_ptr_array_add (watch->statuses, g_strconcat (id, "=", status, NULL));
}

static void
on_deactivated (ClavePushChannel *channel,
                Watch            *watch)
{
  watch->deactivated = TRUE;
}

static void
watch_init (Watch            *watch,
            ClavePushChannel *channel)
{
  watch->channel = channel;
  watch->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) clave_auth_request_info_free);
  watch->statuses = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (channel, "request", G_CALLBACK (on_request), watch);
  g_signal_connect (channel, "status", G_CALLBACK (on_status), watch);
  g_signal_connect (channel, "deactivated", G_CALLBACK (on_deactivated), watch);
}

static void
watch_clear (Watch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->channel, watch);
  g_ptr_array_unref (watch->requests);
  g_ptr_array_unref (watch->statuses);
}

static gboolean
is_online (gpointer data)
{
  return clave_push_channel_get_state (data) == CLAVE_PUSH_STATE_ONLINE;
}

static gboolean
is_offline (gpointer data)
{
  return clave_push_channel_get_state (data) == CLAVE_PUSH_STATE_OFFLINE;
}

static gboolean
has_request (gpointer data)
{
  return ((Watch *) data)->requests->len > 0;
}

static gboolean
has_status (gpointer data)
{
  return ((Watch *) data)->statuses->len > 0;
}

static gboolean
is_deactivated (gpointer data)
{
  return ((Watch *) data)->deactivated;
}

static void
test_push_channel (Fixture       *fixture,
                   gconstpointer  data)
{
  Device *lucia = fixture->lucia;
  g_autoptr(ClavePushChannel) channel = clave_push_channel_new (lucia->client, lucia->push_key,
                                                               lucia->device_id);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) offline_request = NULL;
  ClaveAuthRequestInfo *info;
  Watch watch = { 0 };

  watch_init (&watch, channel);
  g_assert_cmpint (clave_push_channel_get_state (channel), ==, CLAVE_PUSH_STATE_OFFLINE);
  clave_push_channel_start (channel);
  g_assert_cmpint (clave_push_channel_get_state (channel), ==, CLAVE_PUSH_STATE_CONNECTING);
  wait_for (is_online, channel, "the push channel to be online");
  g_assert_null (clave_push_channel_get_last_error (channel));

  /* A request made now arrives at once, with what the view shows. */
  {
    g_autoptr(JsonObject) created = rp_create (fixture, LUCIA_PUSH);

    wait_for (has_request, &watch, "a pushed request");
    info = watch.requests->pdata[0];
    g_assert_cmpstr (info->id, ==, json_object_get_string_member (created, "id"));
    g_assert_cmpstr (info->organisation, ==, AEAT_NAME);
    g_assert_cmpstr (info->origin, ==, AEAT_ORIGIN);
    g_assert_cmpstr (info->verification_code, ==,
                     json_object_get_string_member (created, "verification_code"));
    g_assert_cmpstr (info->status, ==, "pending");

    g_assert_true (answer (lucia, TRUE, info->id, &error));
    g_assert_no_error (error);
    wait_for (has_status, &watch, "the status event");
    {
      g_autofree char *expected = g_strconcat (info->id, "=confirmed", NULL);

      g_assert_cmpstr (watch.statuses->pdata[0], ==, expected);
    }
  }

  /* Made while offline: delivered on reconnect. */
  clave_push_channel_stop (channel);
  g_assert_cmpint (clave_push_channel_get_state (channel), ==, CLAVE_PUSH_STATE_OFFLINE);
  g_ptr_array_set_size (watch.requests, 0);
  offline_request = rp_create (fixture, LUCIA_PUSH);
  clave_push_channel_start (channel);
  wait_for (has_request, &watch, "the request made while offline");
  info = watch.requests->pdata[0];
  g_assert_cmpstr (info->id, ==, json_object_get_string_member (offline_request, "id"));

  /* Deactivating the device (with the device key) ends the channel. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    clave_service_client_deactivate_async (lucia->client, lucia->key, lucia->device_id, NULL,
                                           client_test_store_result, &result);
    client_test_wait_result (&result);
    g_assert_true (clave_service_client_deactivate_finish (lucia->client, result, &error));
    g_assert_no_error (error);
  }
  wait_for (is_deactivated, &watch, "the deactivated event");
  g_assert_cmpint (clave_push_channel_get_state (channel), ==, CLAVE_PUSH_STATE_OFFLINE);
  g_assert_false (clave_push_channel_is_started (channel));

  /* Starting again does nothing: this device is gone. */
  clave_push_channel_start (channel);
  g_assert_false (clave_push_channel_is_started (channel));

  watch_clear (&watch);
}

static void
test_push_channel_unknown_device (Fixture       *fixture,
                                  gconstpointer  data)
{
  Device *lucia = fixture->lucia;
  g_autoptr(ClavePushKey) stranger = clave_push_key_generate (NULL);
  g_autoptr(ClavePushChannel) channel = NULL;
  Watch watch = { 0 };

  /* A key the service does not know for this device: the handshake is
   * refused, and the check behind it says the device is not activated. */
  channel = clave_push_channel_new (lucia->client, stranger, "dev_doesnotexist");
  watch_init (&watch, channel);
  clave_push_channel_start (channel);
  wait_for (is_deactivated, &watch, "deactivated after a refused handshake");
  g_assert_error (clave_push_channel_get_last_error (channel), CLAVE_SERVICE_ERROR,
                  CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED);
  watch_clear (&watch);
}

/* Issue 8: the person hears of failed identifications with their
 * document. */

typedef struct {
  guint  count;
  gint64 since;
  gint64 last;
} Failures;

static void
on_failed_identifications (ClavePushChannel *channel,
                           guint             count,
                           gint64            since,
                           gint64            last,
                           Failures         *failures)
{
  failures->count = count;
  failures->since = since;
  failures->last = last;
}

static gboolean
has_failures (gpointer data)
{
  return ((Failures *) data)->count > 0;
}

static void
identify_wrongly (Device *device)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean registered = FALSE;

  clave_service_client_identify_async (device->client, CLAVE_TEST_LUCIA_DOCUMENT, "validity_date",
                                       "2030-01-01", NULL, client_test_store_result, &result);
  client_test_wait_result (&result);
  g_assert_false (clave_service_client_identify_finish (device->client, result, &registered, NULL,
                                                        &error));
  g_assert_error (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_IDENTIFICATION_FAILED);
}

static void
test_push_channel_failed_identifications (Fixture       *fixture,
                                          gconstpointer  data)
{
  Device *lucia = fixture->lucia;
  g_autoptr(ClavePushChannel) channel = clave_push_channel_new (lucia->client, lucia->push_key,
                                                               lucia->device_id);
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  Failures failures = { 0 };

  g_signal_connect (channel, "failed-identifications", G_CALLBACK (on_failed_identifications),
                    &failures);
  clave_push_channel_start (channel);
  wait_for (is_online, channel, "the push channel to be online");

  for (guint i = 0; i < CLAVE_PUSH_FAILURES_NOTICE_MIN; i++)
    identify_wrongly (lucia);
  wait_for (has_failures, &failures, "the failed identifications");
  g_assert_cmpuint (failures.count, ==, CLAVE_PUSH_FAILURES_NOTICE_MIN);
  g_assert_cmpint (failures.since, >=, before);
  g_assert_cmpint (failures.last, >=, failures.since);
  g_assert_cmpint (clave_push_channel_get_state (channel), ==, CLAVE_PUSH_STATE_ONLINE);

  /* Told again on reconnect, with the newest count. */
  clave_push_channel_stop (channel);
  identify_wrongly (lucia);
  failures.count = 0;
  clave_push_channel_start (channel);
  wait_for (has_failures, &failures, "the failed identifications after reconnecting");
  g_assert_cmpuint (failures.count, ==, CLAVE_PUSH_FAILURES_NOTICE_MIN + 1);

  g_signal_handlers_disconnect_by_data (channel, &failures);
  clave_push_channel_stop (channel);
}

/* Backoff against a port nothing listens on. */

static gboolean
three_attempts (gpointer data)
{
  return _clave_push_channel_get_attempts (data) >= 3 && is_offline (data);
}

static void
test_backoff_closed_port (void)
{
  g_autofree char *url = g_strdup_printf ("https://127.0.0.1:%u", client_test_closed_port ());
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(ClaveServiceClient) client = clave_service_client_new (session, url);
  g_autoptr(ClavePushKey) key = clave_push_key_generate (NULL);
  g_autoptr(ClavePushChannel) channel = clave_push_channel_new (client, key, "dev_abcdef");
  gint64 start;

  _clave_push_channel_set_backoff (channel, 50, 400);
  start = g_get_monotonic_time ();
  clave_push_channel_start (channel);
  wait_for (three_attempts, channel, "three attempts");
  /* Waits of 25..50 and 50..100 ms at least between the three. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 75 * 1000);
  g_assert_error (clave_push_channel_get_last_error (channel), CLAVE_SERVICE_ERROR,
                  CLAVE_SERVICE_ERROR_NETWORK);
  g_assert_cmpuint (clave_push_channel_get_retry_in (channel), <=, 1);

  clave_push_channel_stop (channel);
  g_assert_cmpuint (clave_push_channel_get_retry_in (channel), ==, 0);
  g_assert_false (clave_push_channel_is_started (channel));
}

static void
test_backoff_delays (void)
{
  /* 1 s doubling to 60 s, jitter takes at most half off. */
  g_assert_cmpuint (_clave_push_backoff_delay_ms (0, 1000, 60000, 0.0), ==, 1000);
  g_assert_cmpuint (_clave_push_backoff_delay_ms (1, 1000, 60000, 0.0), ==, 2000);
  g_assert_cmpuint (_clave_push_backoff_delay_ms (5, 1000, 60000, 0.0), ==, 32000);
  g_assert_cmpuint (_clave_push_backoff_delay_ms (6, 1000, 60000, 0.0), ==, 60000);
  g_assert_cmpuint (_clave_push_backoff_delay_ms (100, 1000, 60000, 0.0), ==, 60000);
  g_assert_cmpuint (_clave_push_backoff_delay_ms (100, 1000, 60000, 0.999), >=, 30000);
  g_assert_cmpuint (_clave_push_backoff_delay_ms (0, 1000, 60000, 0.999), ==, 1000);
  g_assert_cmpuint (_clave_push_backoff_delay_ms (3, 1000, 60000, 0.5), ==, 6000);
}

/* Restart: a server of our own on a fixed port and state dir, stopped
 * and started again while the channel is connected. */

typedef struct {
  GSubprocess *process;
} OwnServer;

static GSubprocess *
spawn_server (ServerInfo *info,
              guint       port)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  GSubprocess *process;
  const char *prefix = "clave-server listening on ";

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              g_getenv ("CLAVE_SERVER"), "--state-dir", info->state_dir,
                              "--address", "127.0.0.1", "--port", port_text,
                              "--log-level", "warning", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, prefix));
  g_free (info->base_url);
  info->base_url = g_strdup (line + strlen (prefix));
  return process;
}

static void
stop_server (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
}

static void
test_reconnect_after_restart (void)
{
  g_autofree char *dir = g_dir_make_tmp ("clave-restart-XXXXXX", NULL);
  g_autoptr(GSubprocess) first = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(Device) lucia = NULL;
  g_autoptr(ClavePushChannel) channel = NULL;
  g_autofree char *seeded = NULL;
  g_autofree char *port_text = NULL;
  Fixture fixture = { 0 };
  Watch watch = { 0 };
  guint port;

  fixture.info.state_dir = g_strdup (dir);
  fixture.info.ca_file = g_build_filename (dir, "tls", "ca.pem", NULL);
  seeded = admin (&fixture.info, "seed-demo", NULL);

  first = spawn_server (&fixture.info, 0);
  port_text = g_strdup (strrchr (fixture.info.base_url, ':') + 1);
  port = (guint) g_ascii_strtoull (port_text, NULL, 10);
  g_assert_cmpuint (port, >, 0);

  fixture.session = session_for (&fixture.info);
  fixture.rp_key = add_rp (&fixture.info);
  lucia = activate_lucia (&fixture.info, fixture.session);

  channel = clave_push_channel_new (lucia->client, lucia->push_key, lucia->device_id);
  _clave_push_channel_set_backoff (channel, 100, 800);
  watch_init (&watch, channel);
  clave_push_channel_start (channel);
  wait_for (is_online, channel, "online before the restart");

  stop_server (first);
  wait_for (is_offline, channel, "offline while the service is down");
  g_assert_true (clave_push_channel_is_started (channel));

  second = spawn_server (&fixture.info, port);
  wait_for (is_online, channel, "online again after the restart");

  {
    g_autoptr(JsonObject) created = rp_create (&fixture, LUCIA_PUSH);

    wait_for (has_request, &watch, "a request after the restart");
    g_assert_cmpstr (((ClaveAuthRequestInfo *) watch.requests->pdata[0])->id, ==,
                     json_object_get_string_member (created, "id"));
  }

  clave_push_channel_stop (channel);
  watch_clear (&watch);
  g_clear_object (&channel);
  g_clear_pointer (&lucia, device_free);
  stop_server (second);
  g_clear_object (&fixture.session);
  g_free (fixture.rp_key);
  g_free (fixture.info.base_url);
  g_free (fixture.info.ca_file);
  g_free (fixture.info.state_dir);
  clave_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) \
  g_test_add ("/mobile-client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("qr-claim-confirm", test_qr_claim_confirm);
  ADD ("list-and-reject", test_list_and_reject);
  ADD ("claim-errors", test_claim_errors);
  ADD ("history-sync", test_history_sync);
  ADD ("push-channel", test_push_channel);
  ADD ("push-channel-unknown-device", test_push_channel_unknown_device);
  ADD ("push-channel-failed-identifications", test_push_channel_failed_identifications);
#undef ADD
  g_test_add_func ("/mobile-client/backoff-delays", test_backoff_delays);
  g_test_add_func ("/mobile-client/backoff-closed-port", test_backoff_closed_port);
  g_test_add_func ("/mobile-client/reconnect-after-restart", test_reconnect_after_restart);

  return g_test_run ();
}
