/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-certificate.h"
#include "clave-document.h"
#include "clave-service-client.h"

G_BEGIN_DECLS

/* The activation or registration a person is going through, as the
 * pages of the app share it: no widgets, so that it is tested without
 * GTK (tests/client/test-flow.c). ClaveWindow holds one. */
#define CLAVE_TYPE_FLOW (clave_flow_get_type ())
G_DECLARE_FINAL_TYPE (ClaveFlow, clave_flow, CLAVE, FLOW, GObject)

ClaveFlow            *clave_flow_new                          (void);

/* The activation in progress, shared by the pages of the flow. Beginning
 * one ends any registration in progress. */
void                  clave_flow_begin_activation           (ClaveFlow             *self,
                                                             const char            *document,
                                                             ClaveDocumentType      document_type,
                                                             const ClaveActivation *activation);
void                  clave_flow_end_activation             (ClaveFlow             *self);
const ClaveActivation *clave_flow_get_activation            (ClaveFlow             *self);
const char           *clave_flow_get_activation_document    (ClaveFlow             *self);
ClaveDocumentType     clave_flow_get_activation_document_type (ClaveFlow           *self);
/* Remembers the answer to the last SMS send and when it came (monotonic
 * microseconds), so that the code page can count down. */
void                  clave_flow_set_sms_status             (ClaveFlow             *self,
                                                             const ClaveSmsStatus  *status);
const ClaveSmsStatus *clave_flow_get_sms_status             (ClaveFlow             *self,
                                                             gint64                *sent_at);

/* A registration with a certificate in progress: first the proof signed
 * on the certificate page (taken, with the certificate it came from),
 * then the registration the service answered with. Showing the
 * registration flow's SMS code page depends on it. */
void                  clave_flow_set_registration_proof     (ClaveFlow             *self,
                                                             ClaveCertificateProof *proof,
                                                             ClaveCertificate      *certificate);
const ClaveCertificateProof *clave_flow_get_registration_proof (ClaveFlow          *self);
/* The service has seen the proof (its challenge is used up). */
void                  clave_flow_clear_registration_proof   (ClaveFlow             *self);
ClaveCertificate     *clave_flow_get_registration_certificate (ClaveFlow           *self);
/* Also remembers the SMS status the registration carries. */
void                  clave_flow_begin_registration         (ClaveFlow             *self,
                                                             const ClaveRegistration *registration);
const ClaveRegistration *clave_flow_get_registration        (ClaveFlow             *self);
void                  clave_flow_end_registration           (ClaveFlow             *self);

G_END_DECLS
