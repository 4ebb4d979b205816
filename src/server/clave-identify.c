/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-auth-requests.h"
#include "clave-codes.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-limits.h"
#include "clave-server-private.h"

/* Identification with a document and its contrast data (docs/protocol.md
 * "1. Identify") for POST /v1/identify, the relying parties' push and SMS
 * requests and the demo website alike, and the limits on failing it
 * (docs/security.md "Identification limits"). Failures count per source
 * and per document and source, never per document alone: a stranger who
 * knows a DNI number must not be able to lock its holder out. Only the
 * slow per-document backstop looks at all sources together, and it spares
 * the sources the citizen is known to use. */

#define SOURCE_RP_PREFIX "rp:"

char *
_clave_identify_source_for_address (const char *address)
{
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GInetAddress) network = NULL;
  g_autofree char *text = NULL;
  guint8 bytes[16];

  if (address == NULL)
    return g_strdup ("");
  inet = g_inet_address_new_from_string (address);
  if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV6)
    return g_strdup (address);

  memcpy (bytes, g_inet_address_to_bytes (inet), sizeof bytes);
  /* An IPv4 client of a dual-stack socket is that IPv4 address. */
  if (memcmp (bytes, v4_mapped, sizeof v4_mapped) == 0)
    {
      network = g_inet_address_new_from_bytes (bytes + sizeof v4_mapped, G_SOCKET_FAMILY_IPV4);
      return g_inet_address_to_string (network);
    }

  /* One subscriber usually holds a whole /64: counting its addresses one
   * by one would give it 2^64 fresh sources. */
  memset (bytes + 8, 0, 8);
  network = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (network);
  return g_strconcat (text, "/64", NULL);
}

char *
_clave_identify_source_for_rp (const char *rp_id)
{
  return g_strconcat (SOURCE_RP_PREFIX, rp_id, NULL);
}

char *
_clave_identify_source_for_device (const char *device_id)
{
  return g_strconcat ("device:", device_id, NULL);
}

/* Known sources ----------------------------------------------------------- */

/* Only a digest of document and source is stored: the table says where
 * citizens log in from, and lives for weeks. */
static char *
known_source_key (ClaveServer *self,
                  const char  *document,
                  const char  *source)
{
  g_autofree char *data = g_strconcat ("known-source\n", document, "\n", source, NULL);

  return clave_hmac_sha256_hex (self->secret, data);
}

void
_clave_identify_note_known_source (ClaveServer *self,
                                   const char  *document,
                                   const char  *source,
                                   gint64       now)
{
  g_autofree char *key = known_source_key (self, document, source);
  g_autoptr(GError) error = NULL;

  /* Being known only spares a source the backstop's pace: failing to
   * note it must not fail what the person was doing. */
  if (!clave_store_touch_known_source (self->store, key, now, &error))
    g_warning ("Noting a known source failed: %s", error->message);
}

static gboolean
is_known_source (ClaveServer  *self,
                 const char   *document,
                 const char   *source,
                 gint64        now,
                 gboolean     *known,
                 GError      **error)
{
  g_autofree char *key = known_source_key (self, document, source);
  gint64 last_seen = 0;

  if (!clave_store_get_known_source (self->store, key, &last_seen, error))
    return FALSE;
  *known = last_seen > 0 && last_seen >= now - CLAVE_KNOWN_SOURCE_KEEP_SECS;
  return TRUE;
}

/* Limits ------------------------------------------------------------------ */

gboolean
_clave_identify_recent_failures (ClaveServer  *self,
                                 const char   *document,
                                 gint64        now,
                                 guint        *count,
                                 gint64       *first,
                                 gint64       *last,
                                 GError      **error)
{
  g_autoptr(GArray) times = NULL;

  times = clave_store_list_identify_failures (self->store, document, NULL,
                                              now - CLAVE_IDENTIFY_BACKSTOP_WINDOW_SECS, error);
  if (times == NULL)
    return FALSE;
  *count = times->len;
  *first = times->len > 0 ? g_array_index (times, gint64, 0) : 0;
  *last = times->len > 0 ? g_array_index (times, gint64, times->len - 1) : 0;
  return TRUE;
}

/* 0 when @source may try to identify @document now, else the seconds to
 * wait; -1 on an error of the store. */
static gint64
identify_wait (ClaveServer  *self,
               const char   *document,
               const char   *source,
               gint64        now,
               GError      **error)
{
  g_autoptr(GArray) by_source = NULL;
  g_autoptr(GArray) by_pair = NULL;
  gint64 since = now - CLAVE_IDENTIFY_WINDOW_SECS;
  guint per_source = g_str_has_prefix (source, SOURCE_RP_PREFIX)
                     ? CLAVE_IDENTIFY_MAX_PER_RP : CLAVE_IDENTIFY_MAX_PER_ADDRESS;
  guint count = 0;
  gint64 first = 0, last = 0, wait, pace;
  gboolean known = FALSE;

  by_source = clave_store_list_identify_failures (self->store, NULL, source, since, error);
  if (by_source == NULL)
    return -1;
  by_pair = clave_store_list_identify_failures (self->store, document, source, since, error);
  if (by_pair == NULL)
    return -1;
  wait = MAX (_clave_window_wait (by_source, per_source, CLAVE_IDENTIFY_WINDOW_SECS, now),
              _clave_window_wait (by_pair, CLAVE_IDENTIFY_MAX_PER_PAIR,
                                  CLAVE_IDENTIFY_WINDOW_SECS, now));

  /* The backstop against many sources guessing one document: it slows
   * them to one failure per pace between them. It cannot tell the
   * citizen on a new network from a stranger, so that waits too; the
   * sources the citizen is known to use do not. A source that failed for
   * the document in the last hour gets none of the paced slots: else one
   * stranger failing once a pace, told by Retry-After when the next slot
   * opens, would take every slot and keep each new source of the citizen
   * waiting for as long as they liked. */
  if (!_clave_identify_recent_failures (self, document, now, &count, &first, &last, error))
    return -1;
  if (count >= CLAVE_IDENTIFY_BACKSTOP_FAILURES)
    {
      g_autoptr(GArray) own = NULL;

      if (!is_known_source (self, document, source, now, &known, error))
        return -1;
      if (known)
        return wait;

      pace = last + CLAVE_IDENTIFY_BACKSTOP_PACE_SECS - now;
      wait = MAX (wait, pace);
      own = clave_store_list_identify_failures (self->store, document, source,
                                                now - CLAVE_IDENTIFY_BACKSTOP_SOURCE_SECS, error);
      if (own == NULL)
        return -1;
      if (own->len > 0)
        wait = MAX (wait, g_array_index (own, gint64, own->len - 1) +
                          CLAVE_IDENTIFY_BACKSTOP_SOURCE_SECS - now);
    }
  return wait;
}

gboolean
_clave_identify_check_limits (ClaveServer  *self,
                              const char   *document,
                              const char   *source,
                              gint64        now,
                              GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 wait = identify_wait (self, document, source, now, &local_error);

  if (wait < 0)
    return clave_protocol_error_set_internal (error, local_error);
  if (wait > 0)
    {
      clave_protocol_error_set_retry (error, CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS, wait,
                                      "Too many failed identifications; wait and try again.");
      return FALSE;
    }
  return TRUE;
}

gboolean
_clave_identify_record_failure (ClaveServer  *self,
                                const char   *document,
                                const char   *source,
                                gint64        now,
                                GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!clave_store_add_identify_failure (self->store, document, source, now, &local_error))
    return clave_protocol_error_set_internal (error, local_error);
  /* The citizen's device hears of it (docs/protocol.md "Push channel"),
   * whoever failed. */
  _clave_push_send_failures (self, document, now);
  return TRUE;
}

/* Identification ---------------------------------------------------------- */

static gboolean
contrast_fits (ClaveDocumentType type,
               ClaveContrastKind kind)
{
  if (type == CLAVE_DOCUMENT_TYPE_NIE)
    return kind == CLAVE_CONTRAST_SUPPORT_NUMBER;
  return kind == CLAVE_CONTRAST_VALIDITY_DATE || kind == CLAVE_CONTRAST_ISSUE_DATE;
}

/* What the registry says the person must give for @kind, or NULL when
 * that kind cannot identify this record. A permanent DNI's holder gives
 * the issue date: its validity (9999-01-01) is known to everybody. */
static const char *
expected_contrast (const ClaveIdentity *identity,
                   ClaveContrastKind    kind)
{
  switch (kind)
    {
    case CLAVE_CONTRAST_VALIDITY_DATE:
      return identity->permanent ? NULL : identity->validity_date;
    case CLAVE_CONTRAST_ISSUE_DATE:
      return identity->permanent ? identity->issue_date : NULL;
    case CLAVE_CONTRAST_SUPPORT_NUMBER:
      return identity->support_number;
    default:
      return NULL;
    }
}

ClaveIdentity *
_clave_identify (ClaveServer  *self,
                 const char   *document_in,
                 const char   *kind_in,
                 const char   *value_in,
                 const char   *source,
                 gint64        now,
                 GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autofree char *document = NULL;
  g_autofree char *contrast_value = NULL;
  const char *expected;
  ClaveDocumentType type;
  gboolean match;
  int kind;

  /* The wire form is the normalised one: clients normalise what people
   * type, the service checks it is exactly that. */
  type = clave_document_validate (document_in, &document, NULL);
  if (type == CLAVE_DOCUMENT_TYPE_UNKNOWN || g_strcmp0 (document, document_in) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_DOCUMENT,
                           "The document must be a DNI or NIE, upper case, with the right "
                           "control letter.");
      return NULL;
    }

  kind = clave_contrast_kind_from_string (kind_in);
  if (kind >= 0 && contrast_fits (type, (ClaveContrastKind) kind))
    contrast_value = clave_contrast_normalize ((ClaveContrastKind) kind, value_in, NULL);
  if (contrast_value == NULL || g_strcmp0 (contrast_value, value_in) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CONTRAST,
                           "The contrast data do not fit the document or are malformed.");
      return NULL;
    }

  if (!_clave_identify_check_limits (self, document, source, now, error))
    return NULL;

  identity = clave_store_get_identity (self->store, document, &local_error);
  if (identity == NULL && local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }

  /* An unknown document and wrong contrast data take the same path, with
   * the same comparison and the same failure record, so neither the
   * answer nor its timing says whether the document exists. */
  expected = identity != NULL ? expected_contrast (identity, (ClaveContrastKind) kind) : NULL;
  match = clave_constant_time_equal (expected != NULL ? expected : "\x01unknown-document",
                                     contrast_value);
  if (identity == NULL || expected == NULL || !match)
    {
      if (!_clave_identify_record_failure (self, document, source, now, error))
        return NULL;
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_IDENTIFICATION_FAILED,
                           "The document number or the contrast data are not correct.");
      return NULL;
    }

  _clave_identify_note_known_source (self, document, source, now);
  return g_steal_pointer (&identity);
}
