/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-flow"

#include "config.h"

#include "clave-flow.h"

struct _ClaveFlow
{
  GObject                parent_instance;

  /* Activation in progress */
  char                  *document;
  ClaveDocumentType      document_type;
  ClaveActivation       *activation;
  ClaveSmsStatus        *sms_status;
  gint64                 sms_sent_at;

  /* Registration in progress */
  ClaveCertificateProof *registration_proof;
  ClaveCertificate      *registration_certificate;
  ClaveRegistration     *registration;
};

G_DEFINE_FINAL_TYPE (ClaveFlow, clave_flow, G_TYPE_OBJECT)

static void
clave_flow_finalize (GObject *object)
{
  ClaveFlow *self = CLAVE_FLOW (object);

  clave_flow_end_activation (self);
  clave_flow_end_registration (self);

  G_OBJECT_CLASS (clave_flow_parent_class)->finalize (object);
}

static void
clave_flow_class_init (ClaveFlowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = clave_flow_finalize;
}

static void
clave_flow_init (ClaveFlow *self)
{
}

ClaveFlow *
clave_flow_new (void)
{
  return g_object_new (CLAVE_TYPE_FLOW, NULL);
}

/* Activation in progress */

void
clave_flow_begin_activation (ClaveFlow             *self,
                             const char            *document,
                             ClaveDocumentType      document_type,
                             const ClaveActivation *activation)
{
  g_return_if_fail (CLAVE_IS_FLOW (self));
  g_return_if_fail (document != NULL);
  g_return_if_fail (activation != NULL);

  clave_flow_end_activation (self);
  clave_flow_end_registration (self);
  self->document = g_strdup (document);
  self->document_type = document_type;
  self->activation = clave_activation_copy (activation);
}

void
clave_flow_end_activation (ClaveFlow *self)
{
  g_return_if_fail (CLAVE_IS_FLOW (self));

  g_clear_pointer (&self->document, g_free);
  self->document_type = CLAVE_DOCUMENT_TYPE_UNKNOWN;
  g_clear_pointer (&self->activation, clave_activation_free);
  g_clear_pointer (&self->sms_status, clave_sms_status_free);
  self->sms_sent_at = 0;
}

const ClaveActivation *
clave_flow_get_activation (ClaveFlow *self)
{
  g_return_val_if_fail (CLAVE_IS_FLOW (self), NULL);

  return self->activation;
}

const char *
clave_flow_get_activation_document (ClaveFlow *self)
{
  g_return_val_if_fail (CLAVE_IS_FLOW (self), NULL);

  return self->document;
}

ClaveDocumentType
clave_flow_get_activation_document_type (ClaveFlow *self)
{
  g_return_val_if_fail (CLAVE_IS_FLOW (self), CLAVE_DOCUMENT_TYPE_UNKNOWN);

  return self->document_type;
}

void
clave_flow_set_sms_status (ClaveFlow            *self,
                           const ClaveSmsStatus *status)
{
  ClaveSmsStatus *copy;

  g_return_if_fail (CLAVE_IS_FLOW (self));
  g_return_if_fail (status != NULL);

  copy = g_new0 (ClaveSmsStatus, 1);
  copy->code_expires_in = status->code_expires_in;
  copy->resend_after = status->resend_after;
  copy->sends_left = status->sends_left;
  copy->phone_hint = g_strdup (status->phone_hint);

  g_clear_pointer (&self->sms_status, clave_sms_status_free);
  self->sms_status = copy;
  self->sms_sent_at = g_get_monotonic_time ();
}

const ClaveSmsStatus *
clave_flow_get_sms_status (ClaveFlow *self,
                           gint64      *sent_at)
{
  g_return_val_if_fail (CLAVE_IS_FLOW (self), NULL);

  if (sent_at != NULL)
    *sent_at = self->sms_sent_at;

  return self->sms_status;
}

/* Registration in progress */

void
clave_flow_set_registration_proof (ClaveFlow             *self,
                                   ClaveCertificateProof *proof,
                                   ClaveCertificate      *certificate)
{
  g_return_if_fail (CLAVE_IS_FLOW (self));
  g_return_if_fail (proof != NULL);
  g_return_if_fail (CLAVE_IS_CERTIFICATE (certificate));

  clave_flow_end_activation (self);
  clave_flow_end_registration (self);
  self->registration_proof = proof;
  self->registration_certificate = g_object_ref (certificate);
}

const ClaveCertificateProof *
clave_flow_get_registration_proof (ClaveFlow *self)
{
  g_return_val_if_fail (CLAVE_IS_FLOW (self), NULL);

  return self->registration_proof;
}

void
clave_flow_clear_registration_proof (ClaveFlow *self)
{
  g_return_if_fail (CLAVE_IS_FLOW (self));

  g_clear_pointer (&self->registration_proof, clave_certificate_proof_free);
}

ClaveCertificate *
clave_flow_get_registration_certificate (ClaveFlow *self)
{
  g_return_val_if_fail (CLAVE_IS_FLOW (self), NULL);

  return self->registration_certificate;
}

void
clave_flow_begin_registration (ClaveFlow               *self,
                               const ClaveRegistration *registration)
{
  ClaveSmsStatus status = { 0, };

  g_return_if_fail (CLAVE_IS_FLOW (self));
  g_return_if_fail (registration != NULL);

  /* The proof's challenge is used up. */
  g_clear_pointer (&self->registration_proof, clave_certificate_proof_free);
  g_clear_pointer (&self->registration, clave_registration_free);
  self->registration = clave_registration_copy (registration);

  status.code_expires_in = registration->code_expires_in;
  status.resend_after = registration->resend_after;
  status.sends_left = registration->sends_left;
  status.phone_hint = registration->phone_hint;
  clave_flow_set_sms_status (self, &status);
}

const ClaveRegistration *
clave_flow_get_registration (ClaveFlow *self)
{
  g_return_val_if_fail (CLAVE_IS_FLOW (self), NULL);

  return self->registration;
}

void
clave_flow_end_registration (ClaveFlow *self)
{
  g_return_if_fail (CLAVE_IS_FLOW (self));

  g_clear_pointer (&self->registration_proof, clave_certificate_proof_free);
  g_clear_object (&self->registration_certificate);
  if (self->registration != NULL)
    {
      g_clear_pointer (&self->registration, clave_registration_free);
      g_clear_pointer (&self->sms_status, clave_sms_status_free);
      self->sms_sent_at = 0;
    }
}
