/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-auth-requests.h"
#include "clave-codes.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-limits.h"
#include "clave-protocol.h"
#include "clave-server-private.h"
#include "clave-sqlite-store.h"
#include "clave-state.h"

/* How often pending requests past their expiry are marked expired (with
 * their events); reads apply expiry at once anyway. */
#define SWEEP_INTERVAL_SECS 2
/* Past requests deleted at most per sweep. */
#define RETENTION_PURGE_MAX_ROWS 2000
#define REDACTED_PIN "••••••••"

void
clave_auth_request_free (ClaveAuthRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->id);
  g_free (request->type);
  g_free (request->status);
  g_free (request->verification_code);
  g_free (request->uri);
  g_free (request->document);
  g_free (request->level);
  g_free (request->organisation);
  g_free (request->origin);
  g_free (request);
}

const char *
_clave_auth_request_status (const ClaveAuthRequestRecord *record,
                            gint64                        now)
{
  if (g_str_equal (record->status, CLAVE_REQUEST_STATUS_PENDING) && now >= record->expires_at)
    return CLAVE_REQUEST_STATUS_EXPIRED;
  return record->status;
}

char *
_clave_auth_request_origin (ClaveServer *self,
                            const char  *stored)
{
  if (stored != NULL && stored[0] == '/' && self->url != NULL)
    return g_strconcat (self->url, stored, NULL);
  return g_strdup (stored);
}

/* Marks @record expired when it is past due; TRUE when it changed. */
static gboolean
persist_expiry (ClaveServer                  *self,
                const ClaveAuthRequestRecord *record,
                gint64                        now)
{
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;

  if (!g_str_equal (record->status, CLAVE_REQUEST_STATUS_PENDING) || now < record->expires_at)
    return FALSE;
  if (!clave_store_update_auth_request (self->store, record->id,
                                               CLAVE_REQUEST_STATUS_EXPIRED, NULL, NULL, 0,
                                               FALSE, 0, &changed, &error))
    {
      g_warning ("Expiring %s failed: %s", record->id, error->message);
      return FALSE;
    }
  return changed;
}

ClaveAuthRequestRecord *
_clave_auth_requests_load (ClaveServer  *self,
                           const char   *id,
                           GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClaveAuthRequestRecord) record = NULL;

  record = clave_store_get_auth_request (self->store, id, &local_error);
  if (record == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (record == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NOT_FOUND,
                           "There is no such request.");
      return NULL;
    }

  if (persist_expiry (self, record, _clave_server_now ()))
    {
      _clave_auth_requests_changed (self, record->id);
      g_clear_pointer (&record, clave_auth_request_record_free);
      record = clave_store_get_auth_request (self->store, id, &local_error);
      if (record == NULL)
        {
          clave_protocol_error_set_internal (error, local_error);
          return NULL;
        }
    }
  return g_steal_pointer (&record);
}

static ClaveRelyingParty *
find_rp (ClaveServer  *self,
         const char   *rp_id,
         GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  ClaveRelyingParty *rp;

  rp = clave_store_get_relying_party (self->store, rp_id, &local_error);
  if (rp == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (rp == NULL)
    g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_RP_KEY,
                         "Unknown relying party.");
  return rp;
}

/* Whose identification @document and the contrast data are, with the
 * checks and limits of POST /v1/identify. */
static ClaveCitizen *
identify (ClaveServer  *self,
          const char   *document_in,
          const char   *kind_in,
          const char   *value_in,
          const char   *source,
          gint64        now,
          GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;

  if (document_in == NULL || kind_in == NULL || value_in == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_REQUEST,
                           "push and sms requests need document and contrast.");
      return NULL;
    }

  identity = _clave_identify (self, document_in, kind_in, value_in, source, now, error);
  if (identity == NULL)
    return NULL;

  citizen = clave_store_get_citizen (self->store, identity->document, &local_error);
  if (citizen == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (citizen == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NO_ACTIVE_DEVICE,
                           "This person is not registered in Cl@ve.");
      return NULL;
    }
  return g_steal_pointer (&citizen);
}

static gboolean
has_active_device (ClaveServer  *self,
                   const char   *document,
                   GError      **error)
{
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) local_error = NULL;

  devices = clave_store_list_devices (self->store, document, &local_error);
  if (devices == NULL)
    return clave_protocol_error_set_internal (error, local_error);
  for (guint i = 0; i < devices->len; i++)
    {
      ClaveDeviceRecord *device = g_ptr_array_index (devices, i);

      if (device->deactivated_at == 0 && device->public_key != NULL)
        return TRUE;
    }
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NO_ACTIVE_DEVICE,
                       "This person has no active Cl@ve Móvil device.");
  return FALSE;
}

static char *
pin_hmac (ClaveServer *self,
          const char  *request_id,
          const char  *pin)
{
  g_autofree char *data = g_strconcat ("sms-pin:", request_id, ":", pin, NULL);
  char *hmac = clave_hmac_sha256_hex (self->secret, data);

  explicit_bzero (data, strlen (data));
  return hmac;
}

static ClaveAuthRequest *
request_from_record (ClaveServer                  *self,
                     const ClaveAuthRequestRecord *record,
                     gint64                        now,
                     GError                      **error)
{
  g_autoptr(ClaveAuthRequest) request = g_new0 (ClaveAuthRequest, 1);
  const char *status = _clave_auth_request_status (record, now);

  request->id = g_strdup (record->id);
  request->type = g_strdup (record->type);
  request->status = g_strdup (status);
  request->verification_code = g_strdup (record->verification_code);
  if (g_str_equal (record->type, CLAVE_REQUEST_TYPE_QR))
    request->uri = g_strdup_printf (CLAVE_REQUEST_URI_PREFIX "id=%s&code=%s", record->id,
                                    record->verification_code);
  request->organisation = g_strdup (record->rp_name);
  request->origin = _clave_auth_request_origin (self, record->rp_origin);
  request->created_at = record->created_at;
  request->expires_at = record->expires_at;

  if (g_str_equal (status, CLAVE_REQUEST_STATUS_CONFIRMED) && record->citizen != NULL)
    {
      g_autoptr(ClaveCitizen) citizen = NULL;
      g_autoptr(GError) local_error = NULL;

      citizen = clave_store_get_citizen (self->store, record->citizen, &local_error);
      if (citizen == NULL && local_error != NULL)
        {
          clave_protocol_error_set_internal (error, local_error);
          return NULL;
        }
      request->document = g_strdup (record->citizen);
      request->level = g_strdup (citizen != NULL ? citizen->level : CLAVE_LEVEL_ADVANCED);
    }
  return g_steal_pointer (&request);
}

ClaveAuthRequest *
clave_auth_requests_create (ClaveServer  *server,
                            const char   *rp_id,
                            const char   *type,
                            const char   *document,
                            const char   *contrast_kind,
                            const char   *contrast_value,
                            const char   *client_address,
                            GError      **error)
{
  g_autoptr(ClaveRelyingParty) rp = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *random_id = NULL;
  g_autofree char *sms_text = NULL;
  g_autofree char *redacted = NULL;
  g_autofree char *source = NULL;
  char *pin = NULL;
  gint64 now = _clave_server_now ();
  gint64 outbox_id = 0;
  gboolean ok;

  g_return_val_if_fail (CLAVE_IS_SERVER (server), NULL);

  if (g_strcmp0 (type, CLAVE_REQUEST_TYPE_QR) != 0 &&
      g_strcmp0 (type, CLAVE_REQUEST_TYPE_PUSH) != 0 &&
      g_strcmp0 (type, CLAVE_REQUEST_TYPE_SMS) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_REQUEST,
                           "type must be \"qr\", \"push\" or \"sms\".");
      return NULL;
    }

  rp = find_rp (server, rp_id, error);
  if (rp == NULL)
    return NULL;

  if (!g_str_equal (type, CLAVE_REQUEST_TYPE_QR))
    {
      /* The service counts failures against whom it can see: the person's
       * address when it serves the website itself, else the relying
       * party, which answers for its website's users. */
      source = client_address != NULL ? _clave_identify_source_for_address (client_address)
                                      : _clave_identify_source_for_rp (rp->id);
      citizen = identify (server, document, contrast_kind, contrast_value, source, now, error);
      if (citizen == NULL)
        return NULL;
      if (g_str_equal (type, CLAVE_REQUEST_TYPE_PUSH) &&
          !has_active_device (server, citizen->document, error))
        return NULL;
      if (g_str_equal (type, CLAVE_REQUEST_TYPE_SMS) &&
          /* The per-person caps of activation codes count PINs too: a
           * relying party must not be a way around them. */
          !_clave_codes_check_person_sends (server, citizen->document, CLAVE_OUTBOX_SMS, now,
                                           error))
        return NULL;
    }

  random_id = clave_random_token (16);
  record = g_new0 (ClaveAuthRequestRecord, 1);
  record->id = g_strconcat (CLAVE_REQUEST_ID_PREFIX, random_id, NULL);
  record->rp = g_strdup (rp->id);
  record->type = g_strdup (type);
  record->status = g_strdup (CLAVE_REQUEST_STATUS_PENDING);
  record->citizen = citizen != NULL ? g_strdup (citizen->document) : NULL;
  record->verification_code = clave_random_digits (CLAVE_VERIFICATION_CODE_DIGITS);
  record->created_at = now;
  record->expires_at = now + (g_str_equal (type, CLAVE_REQUEST_TYPE_SMS)
                              ? CLAVE_SMS_REQUEST_TTL_SECS : CLAVE_REQUEST_TTL_SECS);
  record->rp_name = g_strdup (rp->name);
  record->rp_origin = g_strdup (rp->origin);

  if (g_str_equal (type, CLAVE_REQUEST_TYPE_SMS))
    {
      pin = clave_random_digits (CLAVE_SMS_PIN_DIGITS);
      record->pin_hmac = pin_hmac (server, record->id, pin);
      sms_text = g_strdup_printf ("Cl@ve: su PIN para %s es %s. Caduca en %d minutos.",
                                  rp->name, pin, CLAVE_SMS_REQUEST_TTL_SECS / 60);
      redacted = g_strdup_printf ("Cl@ve: su PIN para %s es " REDACTED_PIN ". Caduca en %d "
                                  "minutos.", rp->name, CLAVE_SMS_REQUEST_TTL_SECS / 60);
      clave_secret_free (pin);
    }

  ok = clave_store_create_auth_request (server->store, record,
                                               citizen != NULL ? citizen->phone : NULL,
                                               sms_text, redacted, &outbox_id, &local_error);
  if (!ok)
    {
      if (sms_text != NULL)
        explicit_bzero (sms_text, strlen (sms_text));
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  if (sms_text != NULL)
    {
      clave_outbox_sender_dispatch (server->sms, outbox_id, citizen->phone, NULL, sms_text);
      explicit_bzero (sms_text, strlen (sms_text));
    }

  g_info ("Relying party %s created %s request %s", rp->id, type, record->id);

  if (g_str_equal (type, CLAVE_REQUEST_TYPE_PUSH))
    _clave_push_send_request (server, record);

  return request_from_record (server, record, now, error);
}

char *
clave_auth_requests_authenticate_rp (ClaveServer  *server,
                                     const char   *key,
                                     GError      **error)
{
  g_autoptr(ClaveRelyingParty) rp = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;

  if (key == NULL || !g_str_has_prefix (key, CLAVE_RP_KEY_PREFIX) || strlen (key) > 128)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_RP_KEY,
                           "Authorization: Bearer with the relying party's API key required.");
      return NULL;
    }

  /* Found through the unique index on the hash, then compared in
   * constant time: what the lookup's timing could tell is how much of a
   * stored SHA-256 the hash of a guess shares, which brings no key
   * nearer (docs/security.md, "Cl@ve Móvil"). */
  hash = clave_sha256_hex (key, strlen (key));
  rp = clave_store_get_relying_party_by_key_hash (server->store, hash, &local_error);
  if (rp == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (rp == NULL || !clave_constant_time_equal (hash, rp->key_hash))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_RP_KEY,
                           "This API key does not belong to any relying party.");
      return NULL;
    }
  return g_steal_pointer (&rp->id);
}

ClaveAuthRequest *
clave_auth_requests_get (ClaveServer  *server,
                         const char   *rp_id,
                         const char   *id,
                         GError      **error)
{
  g_autoptr(ClaveAuthRequestRecord) record = NULL;

  g_return_val_if_fail (CLAVE_IS_SERVER (server), NULL);

  record = _clave_auth_requests_load (server, id, error);
  if (record == NULL)
    return NULL;
  /* Another party's request does not exist for this one. */
  if (g_strcmp0 (record->rp, rp_id) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NOT_FOUND,
                           "There is no such request.");
      return NULL;
    }
  return request_from_record (server, record, _clave_server_now (), error);
}

gboolean
clave_auth_requests_submit_sms_pin (ClaveServer  *server,
                                    const char   *rp_id,
                                    const char   *id,
                                    const char   *pin,
                                    GError      **error)
{
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hmac = NULL;
  gint64 now = _clave_server_now ();
  gboolean changed = FALSE;
  gboolean valid;
  guint left;

  g_return_val_if_fail (CLAVE_IS_SERVER (server), FALSE);

  record = _clave_auth_requests_load (server, id, error);
  if (record == NULL)
    return FALSE;
  if (g_strcmp0 (record->rp, rp_id) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NOT_FOUND,
                           "There is no such request.");
      return FALSE;
    }
  if (!g_str_equal (record->type, CLAVE_REQUEST_TYPE_SMS))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_REQUEST,
                           "Only sms requests take a PIN.");
      return FALSE;
    }
  if (g_str_equal (_clave_auth_request_status (record, now), CLAVE_REQUEST_STATUS_EXPIRED))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_REQUEST_EXPIRED,
                           "The request expired.");
      return FALSE;
    }
  if (!g_str_equal (record->status, CLAVE_REQUEST_STATUS_PENDING) || record->pin_hmac == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED,
                           "The request was already answered.");
      return FALSE;
    }

  valid = pin != NULL && strlen (pin) == CLAVE_SMS_PIN_DIGITS;
  for (const char *p = pin; valid && *p != '\0'; p++)
    valid = g_ascii_isdigit (*p);
  if (!valid)
    {
      g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_REQUEST,
                   "The PIN must be %d digits.", CLAVE_SMS_PIN_DIGITS);
      return FALSE;
    }

  hmac = pin_hmac (server, record->id, pin);
  if (clave_constant_time_equal (hmac, record->pin_hmac))
    {
      if (!clave_store_update_auth_request (server->store, record->id,
                                                   CLAVE_REQUEST_STATUS_CONFIRMED, NULL, NULL,
                                                   now, FALSE, 0, &changed, &local_error))
        return clave_protocol_error_set_internal (error, local_error);
      if (!changed)
        {
          g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED,
                               "The request was already answered.");
          return FALSE;
        }
      _clave_auth_requests_changed (server, record->id);
      return TRUE;
    }

  if (!clave_store_update_auth_request (server->store, record->id, NULL, NULL, NULL, now,
                                               TRUE, CLAVE_SMS_PIN_MAX_ATTEMPTS, &changed,
                                               &local_error))
    return clave_protocol_error_set_internal (error, local_error);
  if (!changed)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_ANSWERED,
                           "The request was already answered.");
      return FALSE;
    }
  left = record->pin_attempts + 1 >= CLAVE_SMS_PIN_MAX_ATTEMPTS
         ? 0 : CLAVE_SMS_PIN_MAX_ATTEMPTS - (record->pin_attempts + 1);
  if (left == 0)
    _clave_auth_requests_changed (server, record->id);
  clave_protocol_error_set_attempts (error, left,
                                     left == 0 ? "Wrong PIN; the request is now rejected."
                                               : "Wrong PIN.");
  return FALSE;
}

const char *
clave_server_get_demo_rp_id (ClaveServer *server)
{
  g_autoptr(ClaveRelyingParty) rp = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (CLAVE_IS_SERVER (server), NULL);

  /* seed-demo may run while the server does: look again until found. */
  if (server->demo_rp_id != NULL)
    return server->demo_rp_id;
  rp = clave_store_get_demo_relying_party (server->store, &error);
  if (rp == NULL && error != NULL)
    {
      g_warning ("Looking for the demo relying party failed: %s", error->message);
      return NULL;
    }
  if (rp != NULL)
    server->demo_rp_id = g_strdup (rp->id);
  return server->demo_rp_id;
}

/* Events ---------------------------------------------------------------- */

void
_clave_auth_requests_changed_to (ClaveServer *self,
                                 const char  *id,
                                 const char  *citizen,
                                 const char  *status)
{
  _clave_rp_waiters_wake (self, id);
  if (citizen != NULL && !g_str_equal (status, CLAVE_REQUEST_STATUS_PENDING))
    _clave_push_send_status (self, citizen, id, status);
}

void
_clave_auth_requests_changed (ClaveServer *self,
                              const char  *id)
{
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  record = clave_store_get_auth_request (self->store, id, &error);
  if (record == NULL)
    {
      if (error != NULL)
        g_warning ("Reading %s failed: %s", id, error->message);
      return;
    }
  _clave_auth_requests_changed_to (self, record->id, record->citizen,
                                   _clave_auth_request_status (record, _clave_server_now ()));
}

/* Past requests leave after the retention (docs/clave-server.1
 * --request-retention-days), a bounded number a sweep so that a backlog
 * (the first start with this option on a large database, or a shorter
 * retention) never holds the main loop for long: at 2,000 a sweep, 86
 * million a day. When none are due this is one read of an index. */
static void
purge_past_requests (ClaveServer *self,
                     gint64       now)
{
  g_autoptr(GError) error = NULL;
  gint64 retention = (gint64) self->config->request_retention_days * 24 * 60 * 60;
  guint purged = 0;

  if (retention <= 0)
    return;
  if (!clave_store_purge_auth_requests (self->store, now - retention,
                                        RETENTION_PURGE_MAX_ROWS, &purged, &error))
    {
      g_warning ("Deleting past requests failed: %s", error->message);
      return;
    }
  if (purged > 0)
    g_info ("Deleted %u requests older than %u days", purged,
            self->config->request_retention_days);
}

static gboolean
sweep_cb (gpointer user_data)
{
  ClaveServer *self = CLAVE_SERVER (user_data);
  g_autoptr(GPtrArray) expired = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = _clave_server_now ();

  purge_past_requests (self, now);

  expired = clave_store_list_expired_auth_requests (self->store, now, &error);
  if (expired == NULL)
    {
      g_warning ("Listing expired requests failed: %s", error->message);
      return G_SOURCE_CONTINUE;
    }
  for (guint i = 0; i < expired->len; i++)
    {
      ClaveAuthRequestRecord *record = g_ptr_array_index (expired, i);

      if (persist_expiry (self, record, now))
        _clave_auth_requests_changed (self, record->id);
    }
  return G_SOURCE_CONTINUE;
}

ClaveAnswerQueue *
_clave_answer_queue (ClaveServer  *self,
                     GError      **error)
{
  g_autofree char *path = NULL;
  g_autoptr(ClaveStore) store = NULL;

  if (self->answers != NULL)
    return self->answers;
  path = clave_state_db_path (self->config->state_dir);
  store = clave_sqlite_store_new (path, error);
  if (store == NULL)
    return NULL;
  self->answers = clave_answer_queue_new (store);
  return self->answers;
}

void
_clave_auth_requests_init (ClaveServer *self)
{
  g_autoptr(GError) error = NULL;

  _clave_rp_waiters_init (self);
  self->sweep_id = g_timeout_add_seconds (SWEEP_INTERVAL_SECS, sweep_cb, self);
  _clave_push_init (self);
  /* Opened now so that a database it cannot open shows in the log at
   * start (each answer tries again). */
  if (_clave_answer_queue (self, &error) == NULL)
    g_warning ("Cannot open the database for devices' answers: %s", error->message);
  purge_past_requests (self, _clave_server_now ());
}

void
_clave_auth_requests_shutdown (ClaveServer *self)
{
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  _clave_rp_waiters_shutdown (self);
  _clave_push_shutdown (self);
  if (self->answers != NULL)
    {
      guint64 answers = 0, commits = 0;

      /* What is queued is committed (and its callbacks run if the main
       * loop does). */
      clave_answer_queue_close (self->answers);
      clave_answer_queue_get_stats (self->answers, &answers, &commits);
      g_debug ("Devices' answers: %" G_GUINT64_FORMAT " in %" G_GUINT64_FORMAT " commits",
               answers, commits);
      g_clear_object (&self->answers);
    }
  g_clear_object (&self->device_keys);
}
