/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-account.h"
#include "clave-crypto.h"
#include "clave-identify.h"
#include "clave-limits.h"
#include "clave-permanente.h"
#include "clave-server-private.h"

/* Letters and digits that cannot be taken for one another when read from
 * a screen or a receipt: no I, O, 0 or 1. 32 of them: one random byte's
 * low five bits pick one without bias. */
static const char code_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
G_STATIC_ASSERT (sizeof code_alphabet - 1 == 32);

const char *
clave_permanente_state (const ClavePermanenteRecord *record,
                        gint64                       now)
{
  if (record == NULL)
    return CLAVE_PERMANENTE_NONE;
  if (record->password_hash != NULL)
    return record->password_attempts >= CLAVE_PERMANENTE_PASSWORD_MAX_ATTEMPTS
           ? CLAVE_PERMANENTE_PASSWORD_BLOCKED : CLAVE_PERMANENTE_ACTIVE;
  if (record->code_hmac == NULL)
    return CLAVE_PERMANENTE_NONE;
  if (record->code_attempts >= CLAVE_PERMANENTE_CODE_MAX_ATTEMPTS)
    return CLAVE_PERMANENTE_CODE_BLOCKED;
  if (now >= record->code_expires_at)
    return CLAVE_PERMANENTE_CODE_EXPIRED;
  return CLAVE_PERMANENTE_CODE_PENDING;
}

const char *
clave_permanente_get_state (ClaveServer  *server,
                            const char   *document,
                            gint64        now,
                            GError      **error)
{
  g_autoptr(ClavePermanenteRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;

  record = clave_store_get_permanente (server->store, document, &local_error);
  if (local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  return clave_permanente_state (record, now);
}

char *
clave_permanente_normalize_code (const char *text)
{
  g_autoptr(GString) code = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == ' ' || c == '-')
        continue;
      if (strchr (code_alphabet, c) == NULL || code->len >= CLAVE_PERMANENTE_CODE_LENGTH)
        return NULL;
      g_string_append_c (code, c);
    }
  if (code->len != CLAVE_PERMANENTE_CODE_LENGTH)
    return NULL;
  return g_string_free (g_steal_pointer (&code), FALSE);
}

/* The HMAC of @code (normalised) bound to @document, as the store keeps
 * it: equal codes of two people do not look equal. */
static char *
code_hmac (ClaveServer *server,
           const char  *document,
           const char  *code)
{
  g_autofree char *data = g_strconcat ("permanente-code\n", document, "\n", code, NULL);
  char *hmac = clave_hmac_sha256_hex (server->secret, data);

  explicit_bzero (data, strlen (data));
  return hmac;
}

char *
clave_permanente_new_code (ClaveServer              *server,
                           const ClaveDeviceRecord  *device,
                           const char               *contrast_kind,
                           const char               *contrast_value,
                           const char               *source,
                           gint64                    now,
                           gint64                   *expires_at,
                           GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveIdentity) checked = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GBytes) random = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hmac = NULL;
  char code[CLAVE_PERMANENTE_CODE_LENGTH + 1];
  const guint8 *bytes;
  GString *shown;

  if (!clave_account_get (server, device, &identity, &citizen, error))
    return NULL;
  /* The document's contrast data, as for a change of e-mail: the device
   * alone does not hand out a way to log in. */
  checked = _clave_identify (server, citizen->document, contrast_kind, contrast_value, source,
                             now, error);
  if (checked == NULL)
    return NULL;

  random = clave_random_bytes (CLAVE_PERMANENTE_CODE_LENGTH);
  bytes = g_bytes_get_data (random, NULL);
  for (guint i = 0; i < CLAVE_PERMANENTE_CODE_LENGTH; i++)
    code[i] = code_alphabet[bytes[i] & 31];
  code[CLAVE_PERMANENTE_CODE_LENGTH] = '\0';
  hmac = code_hmac (server, citizen->document, code);

  if (!clave_store_put_permanente_code (server->store, citizen->document, hmac,
                                        now + CLAVE_PERMANENTE_CODE_TTL_SECS, now, &local_error))
    {
      explicit_bzero (code, sizeof code);
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,
                             "This device is no longer active.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  /* Shown in groups of four, as on the receipt. */
  shown = g_string_new (NULL);
  for (guint i = 0; i < CLAVE_PERMANENTE_CODE_LENGTH; i += 4)
    g_string_append_printf (shown, "%s%.4s", i > 0 ? "-" : "", code + i);
  explicit_bzero (code, sizeof code);
  *expires_at = now + CLAVE_PERMANENTE_CODE_TTL_SECS;
  g_info ("New Cl@ve Permanente activation code (device %s)", device->id);
  return g_string_free (shown, FALSE);
}
