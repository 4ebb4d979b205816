/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveServiceClient. The record types of clave-service-client.h: copy and free. */
#define G_LOG_DOMAIN "clave-service-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"
#include "clave-protocol.h"
#include "clave-request-uri.h"
#include "clave-service-client.h"
#include "clave-service-client-call.h"
#include "clave-service-client-private.h"
#include "clave-x509.h"

ClaveActivation *
clave_activation_copy (const ClaveActivation *activation)
{
  ClaveActivation *copy;

  if (activation == NULL)
    return NULL;

  copy = g_new0 (ClaveActivation, 1);
  copy->id = g_strdup (activation->id);
  copy->token = g_strdup (activation->token);
  copy->methods = g_strdupv (activation->methods);
  copy->phone_hint = g_strdup (activation->phone_hint);
  copy->expires_at = activation->expires_at;

  return copy;
}

void
clave_activation_free (ClaveActivation *activation)
{
  if (activation == NULL)
    return;

  g_free (activation->id);
  clave_secret_free (activation->token);
  g_strfreev (activation->methods);
  g_free (activation->phone_hint);
  g_free (activation);
}

void
clave_sms_status_free (ClaveSmsStatus *status)
{
  if (status == NULL)
    return;

  g_free (status->phone_hint);
  g_free (status);
}

void
clave_my_data_free (ClaveMyData *data)
{
  if (data == NULL)
    return;

  g_free (data->document);
  g_free (data->document_type);
  g_free (data->given_name);
  g_free (data->surnames);
  g_free (data->phone);
  g_free (data->email);
  g_free (data->level);
  g_free (data->registration_channel);
  g_free (data->permanente);
  g_free (data->firma);
  g_free (data);
}

void
clave_certificate_proof_free (ClaveCertificateProof *proof)
{
  if (proof == NULL)
    return;

  g_free (proof->challenge_id);
  g_clear_pointer (&proof->certificates, g_ptr_array_unref);
  g_free (proof->algorithm);
  g_clear_pointer (&proof->signature, g_bytes_unref);
  g_free (proof);
}

ClaveRegistration *
clave_registration_copy (const ClaveRegistration *registration)
{
  ClaveRegistration *copy;

  if (registration == NULL)
    return NULL;

  copy = g_new0 (ClaveRegistration, 1);
  copy->id = g_strdup (registration->id);
  copy->token = g_strdup (registration->token);
  copy->phone_hint = g_strdup (registration->phone_hint);
  copy->document = g_strdup (registration->document);
  copy->given_name = g_strdup (registration->given_name);
  copy->surnames = g_strdup (registration->surnames);
  copy->code_expires_in = registration->code_expires_in;
  copy->resend_after = registration->resend_after;
  copy->sends_left = registration->sends_left;

  return copy;
}

void
clave_registration_free (ClaveRegistration *registration)
{
  if (registration == NULL)
    return;

  g_free (registration->id);
  clave_secret_free (registration->token);
  g_free (registration->phone_hint);
  g_free (registration->document);
  g_free (registration->given_name);
  g_free (registration->surnames);
  g_free (registration);
}

ClaveAuthRequestInfo *
clave_auth_request_info_copy (const ClaveAuthRequestInfo *info)
{
  ClaveAuthRequestInfo *copy;

  if (info == NULL)
    return NULL;

  copy = g_new0 (ClaveAuthRequestInfo, 1);
  copy->id = g_strdup (info->id);
  copy->type = g_strdup (info->type);
  copy->status = g_strdup (info->status);
  copy->organisation = g_strdup (info->organisation);
  copy->origin = g_strdup (info->origin);
  copy->verification_code = g_strdup (info->verification_code);
  copy->created_at = info->created_at;
  copy->expires_at = info->expires_at;

  return copy;
}

void
clave_auth_request_info_free (ClaveAuthRequestInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->id);
  g_free (info->type);
  g_free (info->status);
  g_free (info->organisation);
  g_free (info->origin);
  g_free (info->verification_code);
  g_free (info);
}

void
clave_history_entry_free (ClaveHistoryEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->id);
  g_free (entry->type);
  g_free (entry->organisation);
  g_free (entry->origin);
  g_free (entry->status);
  g_free (entry);
}

void
clave_history_page_free (ClaveHistoryPage *page)
{
  if (page == NULL)
    return;

  g_clear_pointer (&page->entries, g_ptr_array_unref);
  g_free (page->next);
  g_free (page);
}
