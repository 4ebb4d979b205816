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

/* How often pending requests past their expiry are marked expired (with
 * their events); reads apply expiry at once anyway. */
#define SWEEP_INTERVAL_SECS 2
#define REDACTED_PIN "••••••••"

static const struct {
  const char *name;
  guint       status;
} http_errors[] = {
  [CLAVE_HTTP_ERROR_INVALID_REQUEST]       = { CLAVE_ERR_INVALID_REQUEST, 400 },
  [CLAVE_HTTP_ERROR_INVALID_DOCUMENT]      = { CLAVE_ERR_INVALID_DOCUMENT, 400 },
  [CLAVE_HTTP_ERROR_INVALID_CONTRAST]      = { CLAVE_ERR_INVALID_CONTRAST, 400 },
  [CLAVE_HTTP_ERROR_IDENTIFICATION_FAILED] = { CLAVE_ERR_IDENTIFICATION_FAILED, 401 },
  [CLAVE_HTTP_ERROR_TOO_MANY_ATTEMPTS]     = { CLAVE_ERR_TOO_MANY_ATTEMPTS, 429 },
  [CLAVE_HTTP_ERROR_NO_ACTIVE_DEVICE]      = { CLAVE_ERR_NO_ACTIVE_DEVICE, 409 },
  [CLAVE_HTTP_ERROR_NOT_FOUND]             = { CLAVE_ERR_NOT_FOUND, 404 },
  [CLAVE_HTTP_ERROR_REQUEST_EXPIRED]       = { CLAVE_ERR_REQUEST_EXPIRED, 410 },
  [CLAVE_HTTP_ERROR_ALREADY_ANSWERED]      = { CLAVE_ERR_ALREADY_ANSWERED, 409 },
  [CLAVE_HTTP_ERROR_INVALID_CODE]          = { CLAVE_ERR_INVALID_CODE, 401 },
  [CLAVE_HTTP_ERROR_INVALID_RP_KEY]        = { CLAVE_ERR_INVALID_RP_KEY, 401 },
  [CLAVE_HTTP_ERROR_INTERNAL]              = { CLAVE_ERR_INTERNAL, 500 },
};

G_DEFINE_QUARK (clave-http-error-quark, clave_http_error)

const char *
clave_http_error_get_name (const GError *error)
{
  if (error == NULL || error->domain != CLAVE_HTTP_ERROR || error->code < 0 ||
      (gsize) error->code >= G_N_ELEMENTS (http_errors))
    return CLAVE_ERR_INTERNAL;
  return http_errors[error->code].name;
}

guint
clave_http_error_get_status (const GError *error)
{
  if (error == NULL || error->domain != CLAVE_HTTP_ERROR || error->code < 0 ||
      (gsize) error->code >= G_N_ELEMENTS (http_errors))
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  return http_errors[error->code].status;
}

void
_clave_http_reply_gerror (SoupServerMessage *msg,
                          const GError      *error)
{
  if (error->domain != CLAVE_HTTP_ERROR || error->code == CLAVE_HTTP_ERROR_INTERNAL)
    {
      clave_http_reply_internal (msg, error);
      return;
    }
  clave_http_reply_error (msg, clave_http_error_get_status (error),
                          clave_http_error_get_name (error), error->message);
}

static gboolean
internal_error (GError       **error,
                const GError  *cause)
{
  /* The detail goes to the log, never to a client. */
  g_warning ("Cl@ve Móvil: %s", cause != NULL ? cause->message : "unknown error");
  g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INTERNAL,
                       "Internal error; see the service log.");
  return FALSE;
}

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

void
_clave_auth_request_add_object (ClaveServer                  *self,
                                JsonBuilder                  *builder,
                                const ClaveAuthRequestRecord *record,
                                gint64                        now)
{
  g_autofree char *origin = _clave_auth_request_origin (self, record->rp_origin);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, record->id);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, record->type);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, _clave_auth_request_status (record, now));
  json_builder_set_member_name (builder, "organisation");
  json_builder_add_string_value (builder, record->rp_name);
  json_builder_set_member_name (builder, "origin");
  json_builder_add_string_value (builder, origin);
  json_builder_set_member_name (builder, "verification_code");
  json_builder_add_string_value (builder, record->verification_code);
  json_builder_set_member_name (builder, "created_at");
  json_builder_add_int_value (builder, record->created_at);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_int_value (builder, record->expires_at);
  json_builder_end_object (builder);
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
      internal_error (error, local_error);
      return NULL;
    }
  if (record == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_NOT_FOUND,
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
          internal_error (error, local_error);
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
  g_autoptr(GPtrArray) rps = NULL;
  g_autoptr(GError) local_error = NULL;

  rps = clave_store_list_relying_parties (self->store, &local_error);
  if (rps == NULL)
    {
      internal_error (error, local_error);
      return NULL;
    }
  for (guint i = 0; i < rps->len; i++)
    {
      ClaveRelyingParty *rp = g_ptr_array_index (rps, i);

      if (g_strcmp0 (rp->id, rp_id) == 0)
        return g_ptr_array_steal_index (rps, i);
    }
  g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INVALID_RP_KEY,
                       "Unknown relying party.");
  return NULL;
}

/* Whose identification @document and the contrast data are, with the
 * checks and limits of POST /v1/identify. */
static ClaveCitizen *
identify (ClaveServer  *self,
          const char   *document_in,
          const char   *kind_in,
          const char   *value_in,
          const char   *address,
          gint64        now,
          GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autofree char *document = NULL;
  g_autofree char *contrast_value = NULL;
  const char *expected;
  ClaveDocumentType type;
  gint64 wait;
  gboolean match;
  int kind;

  if (document_in == NULL || kind_in == NULL || value_in == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INVALID_REQUEST,
                           "push and sms requests need document and contrast.");
      return NULL;
    }

  type = clave_document_validate (document_in, &document, NULL);
  if (type == CLAVE_DOCUMENT_TYPE_UNKNOWN || g_strcmp0 (document, document_in) != 0)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INVALID_DOCUMENT,
                           "The document must be a DNI or NIE, upper case, with the right "
                           "control letter.");
      return NULL;
    }

  kind = clave_contrast_kind_from_string (kind_in);
  if (kind >= 0 && _clave_contrast_fits (type, (ClaveContrastKind) kind))
    contrast_value = clave_contrast_normalize ((ClaveContrastKind) kind, value_in, NULL);
  if (contrast_value == NULL || g_strcmp0 (contrast_value, value_in) != 0)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INVALID_CONTRAST,
                           "The contrast data do not fit the document or are malformed.");
      return NULL;
    }

  wait = _clave_identify_wait (self, document, address, now, &local_error);
  if (wait < 0)
    {
      internal_error (error, local_error);
      return NULL;
    }
  if (wait > 0)
    {
      g_set_error (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_TOO_MANY_ATTEMPTS,
                   "Too many failed identifications; try again in %" G_GINT64_FORMAT " seconds.",
                   wait);
      return NULL;
    }

  identity = clave_store_get_identity (self->store, document, &local_error);
  if (identity == NULL && local_error != NULL)
    {
      internal_error (error, local_error);
      return NULL;
    }

  /* The same comparison and failure record whether or not the document
   * exists, as in POST /v1/identify. */
  expected = identity != NULL ? _clave_expected_contrast (identity, (ClaveContrastKind) kind) : NULL;
  match = clave_constant_time_equal (expected != NULL ? expected : "\x01unknown-document",
                                     contrast_value);
  if (identity == NULL || expected == NULL || !match)
    {
      if (!clave_store_add_identify_failure (self->store, document, address, now, &local_error))
        {
          internal_error (error, local_error);
          return NULL;
        }
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_IDENTIFICATION_FAILED,
                           "The document number or the contrast data are not correct.");
      return NULL;
    }

  citizen = clave_store_get_citizen (self->store, document, &local_error);
  if (citizen == NULL && local_error != NULL)
    {
      internal_error (error, local_error);
      return NULL;
    }
  if (citizen == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_NO_ACTIVE_DEVICE,
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
    return internal_error (error, local_error);
  for (guint i = 0; i < devices->len; i++)
    {
      ClaveDeviceRecord *device = g_ptr_array_index (devices, i);

      if (device->deactivated_at == 0 && device->public_key != NULL)
        return TRUE;
    }
  g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_NO_ACTIVE_DEVICE,
                       "This person has no active Cl@ve Móvil device.");
  return FALSE;
}

/* The per-person SMS caps of activation codes count PINs too: a relying
 * party must not be a way around them. */
static gboolean
check_person_sends (ClaveServer  *self,
                    const char   *document,
                    gint64        now,
                    GError      **error)
{
  g_autoptr(GArray) sends = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 wait;

  sends = clave_store_list_sms_sends (self->store, document, now - CLAVE_SMS_SENDS_DAY_SECS,
                                      &local_error);
  if (sends == NULL)
    return internal_error (error, local_error);
  wait = MAX (_clave_window_wait (sends, CLAVE_SMS_SENDS_MAX_PER_HOUR,
                                  CLAVE_SMS_SENDS_HOUR_SECS, now),
              _clave_window_wait (sends, CLAVE_SMS_SENDS_MAX_PER_DAY,
                                  CLAVE_SMS_SENDS_DAY_SECS, now));
  if (wait > 0)
    {
      g_set_error (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_TOO_MANY_ATTEMPTS,
                   "Too many SMS to this person; try again in %" G_GINT64_FORMAT " seconds.",
                   wait);
      return FALSE;
    }
  return TRUE;
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
          internal_error (error, local_error);
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
  char *pin = NULL;
  gint64 now = _clave_server_now ();
  gint64 outbox_id = 0;
  gboolean ok;

  g_return_val_if_fail (CLAVE_IS_SERVER (server), NULL);

  if (g_strcmp0 (type, CLAVE_REQUEST_TYPE_QR) != 0 &&
      g_strcmp0 (type, CLAVE_REQUEST_TYPE_PUSH) != 0 &&
      g_strcmp0 (type, CLAVE_REQUEST_TYPE_SMS) != 0)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INVALID_REQUEST,
                           "type must be \"qr\", \"push\" or \"sms\".");
      return NULL;
    }

  rp = find_rp (server, rp_id, error);
  if (rp == NULL)
    return NULL;

  if (!g_str_equal (type, CLAVE_REQUEST_TYPE_QR))
    {
      citizen = identify (server, document, contrast_kind, contrast_value,
                          client_address != NULL ? client_address : "", now, error);
      if (citizen == NULL)
        return NULL;
      if (g_str_equal (type, CLAVE_REQUEST_TYPE_PUSH) &&
          !has_active_device (server, citizen->document, error))
        return NULL;
      if (g_str_equal (type, CLAVE_REQUEST_TYPE_SMS) &&
          !check_person_sends (server, citizen->document, now, error))
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
      internal_error (error, local_error);
      return NULL;
    }

  if (sms_text != NULL)
    {
      clave_sms_sender_dispatch (server->sms, outbox_id, citizen->phone, sms_text);
      explicit_bzero (sms_text, strlen (sms_text));
    }

  g_info ("Relying party %s created %s request %s", rp->id, type, record->id);

  if (g_str_equal (type, CLAVE_REQUEST_TYPE_PUSH))
    _clave_push_send_request (server, record);

  return request_from_record (server, record, now, error);
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
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_NOT_FOUND,
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
                                    guint        *attempts_left,
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

  if (attempts_left != NULL)
    *attempts_left = 0;

  record = _clave_auth_requests_load (server, id, error);
  if (record == NULL)
    return FALSE;
  if (g_strcmp0 (record->rp, rp_id) != 0)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_NOT_FOUND,
                           "There is no such request.");
      return FALSE;
    }
  if (!g_str_equal (record->type, CLAVE_REQUEST_TYPE_SMS))
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INVALID_REQUEST,
                           "Only sms requests take a PIN.");
      return FALSE;
    }
  if (g_str_equal (_clave_auth_request_status (record, now), CLAVE_REQUEST_STATUS_EXPIRED))
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_REQUEST_EXPIRED,
                           "The request expired.");
      return FALSE;
    }
  if (!g_str_equal (record->status, CLAVE_REQUEST_STATUS_PENDING) || record->pin_hmac == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_ALREADY_ANSWERED,
                           "The request was already answered.");
      return FALSE;
    }

  valid = pin != NULL && strlen (pin) == CLAVE_SMS_PIN_DIGITS;
  for (const char *p = pin; valid && *p != '\0'; p++)
    valid = g_ascii_isdigit (*p);
  if (!valid)
    {
      g_set_error (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INVALID_REQUEST,
                   "The PIN must be %d digits.", CLAVE_SMS_PIN_DIGITS);
      return FALSE;
    }

  hmac = pin_hmac (server, record->id, pin);
  if (clave_constant_time_equal (hmac, record->pin_hmac))
    {
      if (!clave_store_update_auth_request (server->store, record->id,
                                                   CLAVE_REQUEST_STATUS_CONFIRMED, NULL, NULL,
                                                   now, FALSE, 0, &changed, &local_error))
        return internal_error (error, local_error);
      if (!changed)
        {
          g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_ALREADY_ANSWERED,
                               "The request was already answered.");
          return FALSE;
        }
      _clave_auth_requests_changed (server, record->id);
      return TRUE;
    }

  if (!clave_store_update_auth_request (server->store, record->id, NULL, NULL, NULL, now,
                                               TRUE, CLAVE_SMS_PIN_MAX_ATTEMPTS, &changed,
                                               &local_error))
    return internal_error (error, local_error);
  if (!changed)
    {
      g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_ALREADY_ANSWERED,
                           "The request was already answered.");
      return FALSE;
    }
  left = record->pin_attempts + 1 >= CLAVE_SMS_PIN_MAX_ATTEMPTS
         ? 0 : CLAVE_SMS_PIN_MAX_ATTEMPTS - (record->pin_attempts + 1);
  if (left == 0)
    _clave_auth_requests_changed (server, record->id);
  if (attempts_left != NULL)
    *attempts_left = left;
  g_set_error_literal (error, CLAVE_HTTP_ERROR, CLAVE_HTTP_ERROR_INVALID_CODE,
                       left == 0 ? "Wrong PIN; the request is now rejected." : "Wrong PIN.");
  return FALSE;
}

const char *
clave_server_get_demo_rp_id (ClaveServer *server)
{
  g_autoptr(GPtrArray) rps = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (CLAVE_IS_SERVER (server), NULL);

  /* seed-demo may run while the server does: look again until found. */
  if (server->demo_rp_id != NULL)
    return server->demo_rp_id;
  rps = clave_store_list_relying_parties (server->store, &error);
  if (rps == NULL)
    {
      g_warning ("Listing relying parties failed: %s", error->message);
      return NULL;
    }
  for (guint i = 0; i < rps->len; i++)
    {
      ClaveRelyingParty *rp = g_ptr_array_index (rps, i);

      if (rp->demo)
        {
          server->demo_rp_id = g_strdup (rp->id);
          break;
        }
    }
  return server->demo_rp_id;
}

/* Events ---------------------------------------------------------------- */

void
_clave_auth_requests_changed (ClaveServer *self,
                              const char  *id)
{
  g_autoptr(ClaveAuthRequestRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiters = NULL;
  g_autofree char *key = NULL;

  record = clave_store_get_auth_request (self->store, id, &error);
  if (record == NULL)
    {
      if (error != NULL)
        g_warning ("Reading %s failed: %s", id, error->message);
      return;
    }

  if (g_hash_table_steal_extended (self->waiters, id, (gpointer *) &key, (gpointer *) &waiters))
    for (guint i = 0; i < waiters->len; i++)
      _clave_rp_waiter_wake (self, g_ptr_array_index (waiters, i));

  if (record->citizen != NULL &&
      !g_str_equal (_clave_auth_request_status (record, _clave_server_now ()),
                    CLAVE_REQUEST_STATUS_PENDING))
    _clave_push_send_status (self, record->citizen, record->id,
                             _clave_auth_request_status (record, _clave_server_now ()));
}

static gboolean
sweep_cb (gpointer user_data)
{
  ClaveServer *self = CLAVE_SERVER (user_data);
  g_autoptr(GPtrArray) expired = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = _clave_server_now ();

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

void
_clave_auth_requests_init (ClaveServer *self)
{
  self->waiters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
  self->sweep_id = g_timeout_add_seconds (SWEEP_INTERVAL_SECS, sweep_cb, self);
  _clave_push_init (self);
}

void
_clave_auth_requests_shutdown (ClaveServer *self)
{
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->waiters != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->waiters);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          GPtrArray *waiters = value;

          for (guint i = 0; i < waiters->len; i++)
            _clave_rp_waiter_wake (self, g_ptr_array_index (waiters, i));
        }
      g_hash_table_remove_all (self->waiters);
    }
  _clave_push_shutdown (self);
}
