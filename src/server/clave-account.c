/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-account.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

gboolean
clave_account_get (ClaveServer              *server,
                   const ClaveDeviceRecord  *device,
                   ClaveIdentity           **identity_out,
                   ClaveCitizen            **citizen_out,
                   GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GError) local_error = NULL;

  identity = clave_store_get_identity (server->store, device->document, &local_error);
  if (identity != NULL)
    citizen = clave_store_get_citizen (server->store, device->document, &local_error);
  if (local_error != NULL)
    return clave_protocol_error_set_internal (error, local_error);
  if (identity == NULL || citizen == NULL)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,
                           "This device is no longer active.");
      return FALSE;
    }
  *identity_out = g_steal_pointer (&identity);
  *citizen_out = g_steal_pointer (&citizen);
  return TRUE;
}

gboolean
clave_account_deactivate_device (ClaveServer              *server,
                                 const ClaveDeviceRecord  *device,
                                 gint64                    now,
                                 GError                  **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!clave_store_deactivate_device (server->store, device->id, now, &local_error))
    return clave_protocol_error_set_internal (error, local_error);

  clave_device_keys_forget (_clave_device_keys (server), device->id);
  g_info ("Device %s signed out", device->id);
  _clave_push_check_devices (server, device->document);
  return TRUE;
}

gboolean
clave_account_give_up (ClaveServer              *server,
                       const ClaveDeviceRecord  *device,
                       gint64                    now,
                       GError                  **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) devices = NULL;

  devices = clave_store_list_devices (server->store, device->document, &local_error);
  if (devices == NULL)
    return clave_protocol_error_set_internal (error, local_error);

  if (!clave_store_give_up (server->store, device->document, now, &local_error))
    {
      /* Given up meanwhile, from another request of this device. */
      if (g_error_matches (local_error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND))
        {
          g_set_error_literal (error, CLAVE_PROTOCOL_ERROR,
                               CLAVE_PROTOCOL_ERROR_DEVICE_DEACTIVATED,
                               "This device is no longer active.");
          return FALSE;
        }
      return clave_protocol_error_set_internal (error, local_error);
    }

  for (guint i = 0; i < devices->len; i++)
    clave_device_keys_forget (_clave_device_keys (server),
                              ((ClaveDeviceRecord *) g_ptr_array_index (devices, i))->id);
  g_info ("A citizen gave up Cl@ve (device %s)", device->id);
  _clave_push_check_devices (server, device->document);
  return TRUE;
}

gboolean
clave_account_raise_level (ClaveServer              *server,
                           const ClaveDeviceRecord  *device,
                           ClaveCertProof           *proof,
                           gint64                    now,
                           GError                  **error)
{
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveX509Identity) holder = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!clave_account_get (server, device, &identity, &citizen, error))
    return FALSE;
  if (g_strcmp0 (citizen->level, CLAVE_LEVEL_ADVANCED) == 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_ALREADY_ADVANCED,
                           "This registration is already at the advanced level.");
      return FALSE;
    }

  holder = _clave_cert_proof_verify (server, proof, CLAVE_PROOF_PURPOSE_LEVEL, now, error);
  if (holder == NULL)
    return FALSE;
  /* Both are normalised DNI/NIE: a plain comparison is exact. */
  if (g_strcmp0 (holder->document, citizen->document) != 0)
    {
      g_set_error_literal (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_IDENTITY_MISMATCH,
                           "The certificate belongs to another person than this device's.");
      return FALSE;
    }

  g_free (citizen->level);
  citizen->level = g_strdup (CLAVE_LEVEL_ADVANCED);
  if (!clave_store_put_citizen (server->store, citizen, &local_error))
    return clave_protocol_error_set_internal (error, local_error);

  g_info ("Level raised to advanced with a %s (device %s)",
          holder->dnie_style ? "DNIe" : "certificate", device->id);
  return TRUE;
}
