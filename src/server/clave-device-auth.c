/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-device-auth.h"
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

static ClaveDeviceRecord *
fail (SoupServerMessage *msg,
      const char        *code,
      const char        *message)
{
  clave_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, code, message);
  return NULL;
}

ClaveDeviceRecord *
clave_device_auth_verify (ClaveStore        *store,
                          SoupServerMessage *msg,
                          GBytes            *body,
                          gint64             now)
{
  return clave_device_auth_verify_scoped (store, msg, body, now, FALSE);
}

ClaveDeviceRecord *
clave_device_auth_verify_scoped (ClaveStore        *store,
                                 SoupServerMessage *msg,
                                 GBytes            *body,
                                 gint64             now,
                                 gboolean           push_key_allowed)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autofree char *content_digest = header_list (headers, "Content-Digest");
  g_autofree char *signature_input = header_list (headers, "Signature-Input");
  g_autofree char *signature = header_list (headers, "Signature");
  g_autofree char *target_uri = NULL;
  g_autoptr(ClaveHttpSigInput) input = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_auto(gnutls_pubkey_t) key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *device_id = NULL;
  GBytes *public_key;
  gboolean fresh = FALSE;
  gboolean push = FALSE;

  if (content_digest == NULL || signature_input == NULL || signature == NULL)
    return fail (msg, CLAVE_ERR_SIGNATURE_REQUIRED,
                 "This request must be signed by the device (Signature, Signature-Input, "
                 "Content-Digest).");

  input = clave_http_sig_parse (signature_input, signature, &error);
  if (input == NULL)
    {
      g_debug ("Unusable signature: %s", error->message);
      return fail (msg, CLAVE_ERR_INVALID_SIGNATURE, "The request signature cannot be used.");
    }
  if (strlen (input->nonce) > MAX_NONCE_LEN || strlen (input->keyid) > MAX_KEYID_LEN)
    return fail (msg, CLAVE_ERR_INVALID_SIGNATURE, "The request signature cannot be used.");

  /* "<device>#push" names the device's push key (docs/protocol.md "Push
   * key"). */
  push = g_str_has_suffix (input->keyid, CLAVE_PUSH_KEYID_SUFFIX);
  device_id = push ? g_strndup (input->keyid, strlen (input->keyid) - strlen (CLAVE_PUSH_KEYID_SUFFIX))
                   : g_strdup (input->keyid);
  device = clave_store_get_device (store, device_id, &error);
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
    return fail (msg, CLAVE_ERR_DEVICE_DEACTIVATED, "This device is no longer active.");

  if (input->created < now - CLAVE_SIGNATURE_WINDOW_SECS ||
      input->created > now + CLAVE_SIGNATURE_WINDOW_SECS)
    return fail (msg, CLAVE_ERR_STALE_SIGNATURE,
                 "The signature was created more than 5 minutes from now; check the clock.");

  public_key = push ? device->push_key : device->public_key;
  if (public_key == NULL)
    return fail (msg, CLAVE_ERR_UNKNOWN_DEVICE, "No device with this key id.");
  key = clave_pubkey_import_spki (public_key, &error);
  if (key == NULL)
    {
      clave_http_reply_internal (msg, error);
      return NULL;
    }

  target_uri = clave_device_auth_target_uri (msg);
  if (!clave_http_sig_verify (input, key, soup_server_message_get_method (msg), target_uri,
                              content_digest, body, &error))
    {
      g_debug ("Signature of %s rejected: %s", device->id, error->message);
      if (g_error_matches (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH))
        {
          clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_DIGEST_MISMATCH,
                                  "Content-Digest does not match the body.");
          return NULL;
        }
      return fail (msg, CLAVE_ERR_INVALID_SIGNATURE, "The request signature does not verify.");
    }

  /* Only a verified signature may spend a nonce, or anyone could burn
   * them. */
  if (!clave_store_use_nonce (store, device->id, input->nonce, now, CLAVE_NONCE_KEEP_SECS,
                              &fresh, &error))
    {
      clave_http_reply_internal (msg, error);
      return NULL;
    }
  if (!fresh)
    return fail (msg, CLAVE_ERR_REPLAYED_NONCE, "This signature nonce was already used.");

  /* Checked after the signature, so that only the holder of the push key
   * learns what it may not do. */
  if (push && !push_key_allowed)
    {
      clave_http_reply_error (msg, SOUP_STATUS_FORBIDDEN, CLAVE_ERR_KEY_NOT_ALLOWED,
                              "The push key may only receive requests; sign with the device key.");
      return NULL;
    }

  return g_steal_pointer (&device);
}
