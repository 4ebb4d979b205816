/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-firma.h"
#include "clave-permanente.h"
#include "clave-protocol.h"

const char *
clave_firma_status (const ClaveFirmaRecord *record,
                    gint64                  now)
{
  if (record->revoked_at > 0)
    return CLAVE_FIRMA_REVOKED;
  if (record->not_after <= now)
    return CLAVE_FIRMA_EXPIRED;
  return CLAVE_FIRMA_VALID;
}

ClaveFirmaRecord *
clave_firma_issue (ClaveStore    *store,
                   ClaveFirmaCa  *ca,
                   const char    *document,
                   gint64         now,
                   GError       **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClavePermanenteRecord) permanente = NULL;
  g_autoptr(ClaveFirmaRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;

  identity = clave_store_get_identity (store, document, &local_error);
  if (local_error == NULL)
    citizen = clave_store_get_citizen (store, document, &local_error);
  if (local_error == NULL)
    permanente = clave_store_get_permanente (store, document, &local_error);
  if (local_error != NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (identity == NULL || citizen == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NOT_FOUND,
                           "This person is not registered in Cl@ve.");
      return NULL;
    }
  if (g_strcmp0 (citizen->level, CLAVE_LEVEL_ADVANCED) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_LEVEL_NOT_ADVANCED,
                           "Cl@ve Firma needs registration at the advanced level.");
      return NULL;
    }
  if (g_strcmp0 (clave_permanente_state (permanente, now), CLAVE_PERMANENTE_ACTIVE) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_PERMANENTE_NOT_ACTIVE,
                           "Cl@ve Firma needs an active Cl@ve Permanente.");
      return NULL;
    }

  record = clave_firma_ca_issue (ca, identity, now, &local_error);
  if (record == NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (!clave_store_put_firma (store, record, now, &local_error))
    {
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
        g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_FIRMA_EXISTS,
                             "This person already has a valid Cl@ve Firma certificate.");
      else
        clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  g_info ("Issued the Cl@ve Firma certificate %s", record->serial);
  return g_steal_pointer (&record);
}

static ClaveFirmaRecord *
find (ClaveStore  *store,
      const char  *document,
      const char  *serial,
      GError     **error)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) local_error = NULL;

  records = clave_store_list_firma (store, document, FALSE, &local_error);
  if (records == NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  for (guint i = 0; i < records->len; i++)
    {
      ClaveFirmaRecord *record = g_ptr_array_index (records, i);

      if (g_ascii_strcasecmp (record->serial, serial) == 0)
        return g_ptr_array_steal_index (records, i);
    }
  g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_FIRMA_NOT_FOUND,
                       "This person has no Cl@ve Firma certificate with that serial.");
  return NULL;
}

ClaveFirmaRecord *
clave_firma_revoke (ClaveStore  *store,
                    const char  *document,
                    const char  *serial,
                    gboolean     accepted_conditions,
                    gint64       now,
                    GError     **error)
{
  g_autoptr(ClaveFirmaRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *status;

  if (!accepted_conditions)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                           CLAVE_PROTOCOL_ERROR_CONDITIONS_NOT_ACCEPTED,
                           "Revoking needs the conditions accepted.");
      return NULL;
    }
  record = find (store, document, serial, error);
  if (record == NULL)
    return NULL;

  status = clave_firma_status (record, now);
  if (g_str_equal (status, CLAVE_FIRMA_EXPIRED))
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_FIRMA_EXPIRED,
                           "This certificate has expired: there is nothing to revoke.");
      return NULL;
    }
  if (g_str_equal (status, CLAVE_FIRMA_VALID) &&
      clave_store_revoke_firma (store, document, record->serial, CLAVE_FIRMA_REVOKED_BY_CITIZEN,
                                now, &local_error))
    {
      record->revoked_at = now;
      g_free (record->revoked_by);
      record->revoked_by = g_strdup (CLAVE_FIRMA_REVOKED_BY_CITIZEN);
      g_clear_pointer (&record->key_box, g_bytes_unref);
      g_info ("Revoked the Cl@ve Firma certificate %s", record->serial);
      return g_steal_pointer (&record);
    }

  /* Already revoked, here or by a concurrent request. */
  if (local_error == NULL ||
      g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT))
    g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_FIRMA_REVOKED,
                         "This certificate is already revoked.");
  else
    clave_protocol_error_set_internal (error, local_error);
  return NULL;
}
