/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-device-auth.h"
#include "clave-device-keys.h"
#include "clave-http-sig.h"
#include "clave-http.h"
#include "clave-limits.h"

/* Bounds for values that end up in the database. */
#define MAX_NONCE_LEN 128
#define MAX_KEYID_LEN 128

char *
clave_device_auth_target_uri (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *host = soup_message_headers_get_one (headers, "Host");
  const char *query = g_uri_get_query (uri);
  g_autofree char *authority = NULL;

  /* The Host header is what the client put in its URI (libsoup leaves out
   * a default port exactly as the client did); the GUri libsoup built from
   * it has the scheme's default port normalised away, so prefer the
   * header. Without one (HTTP/1.0), fall back to the URI. */
  if (host == NULL || *host == '\0')
    {
      const char *uri_host = g_uri_get_host (uri);
      int port = g_uri_get_port (uri);
      gboolean ipv6 = uri_host != NULL && strchr (uri_host, ':') != NULL;

      authority = g_strdup_printf ("%s%s%s", ipv6 ? "[" : "", uri_host != NULL ? uri_host : "",
                                   ipv6 ? "]" : "");
      if (port > 0 && port != 443)
        {
          char *with_port = g_strdup_printf ("%s:%d", authority, port);
          g_free (authority);
          authority = with_port;
        }
      host = authority;
    }

  return g_strconcat ("https://", host, g_uri_get_path (uri),
                      query != NULL ? "?" : "", query != NULL ? query : "", NULL);
}

static char *
header_list (SoupMessageHeaders *headers,
             const char         *name)
{
  /* Repeated fields combine into one comma-separated list, which is what
   * RFC 8941 dictionaries expect (RFC 9110 section 5.3). */
  const char *value = soup_message_headers_get_list (headers, name);
  return value != NULL && *value != '\0' ? g_strdup (value) : NULL;
}

/* Answers 401 @code; NULL, for the caller to return. */
static gpointer
fail (SoupServerMessage *msg,
      const char        *code,
      const char        *message)
{
  clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, code, message);
  return NULL;
}

ClaveDeviceRecord *
clave_device_auth_verify_scoped (ClaveStore        *store,
                                 SoupServerMessage *msg,
                                 GBytes            *body,
                                 gint64             now,
                                 gboolean           push_key_allowed)
{
  return clave_device_auth_verify_full (store, NULL, msg, body, now, push_key_allowed, NULL);
}

struct _ClaveDeviceAuthCheck
{
  ClaveHttpSigInput *input;
  ClaveDeviceRecord *device;
  ClaveDeviceKey    *key;
  gboolean           push;
  gint64             now;
  /* What the signature covers. */
  char              *method;
  char              *target_uri;
  char              *content_digest;
  GBytes            *body;
  /* The outcome of the check (clave_device_auth_check_run()). */
  gboolean           ran;
  GError            *error;
};

void
clave_device_auth_check_free (ClaveDeviceAuthCheck *check)
{
  if (check == NULL)
    return;
  g_clear_pointer (&check->input, clave_http_sig_input_free);
  g_clear_pointer (&check->device, clave_device_record_free);
  g_clear_pointer (&check->key, clave_device_key_unref);
  g_free (check->method);
  g_free (check->target_uri);
  g_free (check->content_digest);
  g_clear_pointer (&check->body, g_bytes_unref);
  g_clear_error (&check->error);
  g_free (check);
}

ClaveDeviceAuthCheck *
clave_device_auth_check_new (ClaveStore        *store,
                             ClaveDeviceKeys   *keys,
                             SoupServerMessage *msg,
                             GBytes            *body,
                             gint64             now)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *signature_input = header_list (headers, "Signature-Input");
  g_autofree char *signature = header_list (headers, "Signature");
  g_autoptr(ClaveDeviceAuthCheck) check = g_new0 (ClaveDeviceAuthCheck, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  ClaveHttpSigInput *input;
  ClaveDeviceRecord *device;
  GBytes *public_key;

  check->content_digest = header_list (headers, "Content-Digest");
  if (check->content_digest == NULL || signature_input == NULL || signature == NULL)
    return fail (msg, CLAVE_ERR_SIGNATURE_REQUIRED,
                 "This request must be signed by the device (Signature, Signature-Input, "
                 "Content-Digest).");

  input = check->input = clave_http_sig_parse (signature_input, signature, &error);
  if (input == NULL)
    {
      g_debug ("Unusable signature: %s", error->message);
      return fail (msg, CLAVE_ERR_INVALID_SIGNATURE, "The request signature cannot be used.");
    }
  if (strlen (input->nonce) > MAX_NONCE_LEN || strlen (input->keyid) > MAX_KEYID_LEN)
    return fail (msg, CLAVE_ERR_INVALID_SIGNATURE, "The request signature cannot be used.");

  /* "<device>#push" names the device's push key (docs/protocol.md "Push
   * key"). */
  check->push = g_str_has_suffix (input->keyid, CLAVE_PUSH_KEYID_SUFFIX);
  device_id = check->push ? g_strndup (input->keyid,
                                       strlen (input->keyid) - strlen (CLAVE_PUSH_KEYID_SUFFIX))
                          : g_strdup (input->keyid);
  device = check->device = clave_store_get_device (store, device_id, &error);
  if (device == NULL && error != NULL)
    {
      clave_http_reply_internal (msg, error);
      return NULL;
    }
  if (device == NULL)
    return fail (msg, CLAVE_ERR_UNKNOWN_DEVICE, "No device with this key id.");
  /* Checked before the clock, so that a replaced device learns what
   * happened even when its clock is off. */
  if (device->deactivated_at != 0 || device->public_key == NULL)
    {
      if (keys != NULL)
        clave_device_keys_forget (keys, device->id);
      return fail (msg, CLAVE_ERR_DEVICE_DEACTIVATED, "This device is no longer active.");
    }

  if (input->created < now - CLAVE_SIGNATURE_WINDOW_SECS ||
      input->created > now + CLAVE_SIGNATURE_WINDOW_SECS)
    return fail (msg, CLAVE_ERR_STALE_SIGNATURE,
                 "The signature was created more than 5 minutes from now; check the clock.");
  /* The signer may shorten the window (RFC 9421 section 2.3). */
  if (input->has_expires && input->expires < now)
    return fail (msg, CLAVE_ERR_STALE_SIGNATURE,
                 "The signature has expired (its expires parameter is in the past).");

  public_key = check->push ? device->push_key : device->public_key;
  if (public_key == NULL)
    return fail (msg, CLAVE_ERR_UNKNOWN_DEVICE, "No device with this key id.");
  check->key = keys != NULL ? clave_device_keys_lookup (keys, input->keyid, public_key, &error)
                            : clave_device_key_new (public_key, &error);
  if (check->key == NULL)
    {
      clave_http_reply_internal (msg, error);
      return NULL;
    }

  check->now = now;
  check->method = g_strdup (soup_server_message_get_method (msg));
  check->target_uri = clave_device_auth_target_uri (msg);
  check->body = body != NULL ? g_bytes_ref (body) : NULL;
  return g_steal_pointer (&check);
}

void
clave_device_auth_check_run (ClaveDeviceAuthCheck *check)
{
  g_return_if_fail (check != NULL && !check->ran);

  clave_http_sig_verify (check->input, clave_device_key_get_pubkey (check->key), check->method,
                         check->target_uri, check->content_digest, check->body, &check->error);
  check->ran = TRUE;
}

static void
run_in_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  clave_device_auth_check_run (task_data);
  g_task_return_boolean (task, TRUE);
}

void
clave_device_auth_check_run_async (ClaveDeviceAuthCheck *check,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, clave_device_auth_check_run_async);
  /* The caller keeps @check until the callback. */
  g_task_set_task_data (task, check, NULL);
  g_task_run_in_thread (task, run_in_thread);
}

gboolean
clave_device_auth_check_run_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

ClaveDeviceRecord *
clave_device_auth_check_finish (ClaveDeviceAuthCheck  *check,
                                ClaveStore            *store,
                                SoupServerMessage     *msg,
                                gboolean               push_key_allowed,
                                char                 **nonce)
{
  g_autoptr(GError) error = NULL;
  gboolean fresh = FALSE;

  g_return_val_if_fail (check != NULL && check->ran, NULL);

  if (check->error != NULL)
    {
      g_debug ("Signature of %s rejected: %s", check->device->id, check->error->message);
      if (g_error_matches (check->error, CLAVE_HTTP_SIG_ERROR,
                           CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_DIGEST_MISMATCH,
                                  "Content-Digest does not match the body.");
          return NULL;
        }
      return fail (msg, CLAVE_ERR_INVALID_SIGNATURE, "The request signature does not verify.");
    }

  /* The caller spends it with its change, in one transaction. */
  if (nonce != NULL && !check->push)
    {
      *nonce = g_strdup (check->input->nonce);
      return g_steal_pointer (&check->device);
    }
  if (nonce != NULL)
    *nonce = NULL;

  /* Only a verified signature may spend a nonce, or anyone could burn
   * them. */
  if (!clave_store_use_nonce (store, check->device->id, check->input->nonce, check->now,
                              CLAVE_NONCE_KEEP_SECS, &fresh, &error))
    {
      clave_http_reply_internal (msg, error);
      return NULL;
    }
  if (!fresh)
    return fail (msg, CLAVE_ERR_REPLAYED_NONCE, "This signature nonce was already used.");

  /* Checked after the signature, so that only the holder of the push key
   * learns what it may not do. */
  if (check->push && !push_key_allowed)
    {
      clave_http_reply_error (msg, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_KEY_NOT_ALLOWED,
                              "The push key may only receive requests; sign with the device key.");
      return NULL;
    }

  return g_steal_pointer (&check->device);
}

ClaveDeviceRecord *
clave_device_auth_verify_full (ClaveStore         *store,
                               ClaveDeviceKeys    *keys,
                               SoupServerMessage  *msg,
                               GBytes             *body,
                               gint64              now,
                               gboolean            push_key_allowed,
                               char              **nonce)
{
  g_autoptr(ClaveDeviceAuthCheck) check = clave_device_auth_check_new (store, keys, msg, body,
                                                                       now);

  if (check == NULL)
    return NULL;
  clave_device_auth_check_run (check);
  return clave_device_auth_check_finish (check, store, msg, push_key_allowed, nonce);
}
