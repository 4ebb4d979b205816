/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clave-service-client.h"

G_BEGIN_DECLS

/* The call core of ClaveServiceClient, shared by the files of its areas
 * (clave-service-client-activation.c, -device.c, -registration.c,
 * -mobile.c): building and sending a call, reading its answer, the JSON
 * readers. Not for other modules (they have clave-service-client-private.h). */

/* Identifiers the service hands out (act_…, dev_…) go into paths and
 * headers, so only a harmless alphabet is accepted. */
#define ID_MAX_LEN 128

typedef gboolean (*ClaveClientParseFunc) (JsonObject  *root,
                                          gpointer    *result,
                                          GError     **error);

typedef struct {
  SoupMessage          *message;
  ClaveClientParseFunc  parse;
  GDestroyNotify        result_free;
  const char           *what;           /* "POST /v1/identify", for the log (kept: a literal) */
  gint64                attempts_left;  /* from an error body, -1 when absent */
  gboolean              registration;   /* a registration step: messages say so */
  gboolean              auth_request;   /* on /v1/device/requests/{id}: not_found means the request */

  /* Reading the answer (on_response(), read_more()). */
  GInputStream         *stream;
  GByteArray           *body;           /* received bytes, then room for the read under way */
  gsize                 received;
  GError               *failure;        /* the call's error, returned once the stream is closed */
} ClaveClientCall;

gboolean
_clave_client_add_proof (JsonBuilder                  *builder,
                         const ClaveCertificateProof  *proof,
                         GError                      **error);

SoupMessage *
_clave_client_build_message (ClaveServiceClient  *self,
                             const char          *method,
                             const char          *path,
                             const char          *query,
                             JsonNode            *body,
                             const char          *bearer,
                             gpointer             key,
                             const char          *device_id,
                             GError             **error);

gboolean
_clave_client_check_device (GTask      *task,
                            const char *device_id);

JsonNode *
_clave_client_empty_object (void);

JsonNode *
_clave_client_get_member (JsonObject *object,
                          const char *name,
                          GType       value_type);

gboolean
_clave_client_is_signing_key (gpointer key);

gboolean
_clave_client_is_usable_token (const char *token);

gboolean
_clave_client_is_valid_id (const char *id);

GError *
_clave_client_protocol_error (const char *what);

gboolean
_clave_client_read_bool (JsonObject *object,
                         const char *name,
                         gboolean   *out,
                         GError    **error);

gboolean
_clave_client_read_id (JsonObject  *object,
                       const char  *name,
                       char       **out,
                       GError     **error);

gboolean
_clave_client_read_string (JsonObject  *object,
                           const char  *name,
                           gboolean     nullable,
                           char       **out,
                           GError     **error);

gboolean
_clave_client_read_uint (JsonObject *object,
                         const char *name,
                         guint      *out,
                         GError    **error);

/* @phone as the protocol takes it: without the spaces, dashes, dots,
 * brackets and slashes people type. */
char *
_clave_client_normalize_phone (const char *phone);

/* The members of an answer after an SMS code was sent (activations and
 * registrations alike): code_expires_in, resend_after, sends_left,
 * phone_hint, into @status. */
gboolean
_clave_client_read_sms_members (JsonObject     *object,
                                ClaveSmsStatus *status,
                                GError        **error);

/* The id, token (checked usable) and SMS members of the answer that
 * opens a registration (POST /v1/registrations, /v1/video-registrations)
 * into @registration. */
gboolean
_clave_client_read_registration_start (JsonObject         *root,
                                       ClaveRegistration  *registration,
                                       GError            **error);

/* A ClaveSmsStatus from the answer to a request for a new code, which
 * says "sent": true. */
gboolean
_clave_client_parse_sms_sent (JsonObject  *root,
                              gpointer    *out,
                              GError     **error);

/* Sends @method @path with @body (may be NULL) signed by the device key,
 * @parse reading the answer; takes @task. */
void
_clave_client_send_signed (ClaveServiceClient   *self,
                           GTask                *task,
                           const char           *method,
                           ClaveDeviceKey       *key,
                           const char           *device_id,
                           const char           *path,
                           JsonNode             *body,
                           const char           *what,
                           ClaveClientParseFunc  parse,
                           GDestroyNotify        free_result);

/* The result of a call that checks a one-time code or a password; on
 * CLAVE_SERVICE_ERROR_INVALID_CODE or _INVALID_PASSWORD, *@attempts_left
 * (optional) says how many wrong ones the service still accepts (0
 * otherwise). */
gpointer
_clave_client_propagate_code_check (GTask   *task,
                                    guint   *attempts_left,
                                    GError **error);

/* @prefix @change_id (escaped) @suffix: "/v1/me/phone/" "chg_…" "/sms". */
char *
_clave_client_change_path (const char *prefix,
                           const char *change_id,
                           const char *suffix);

/* TRUE in *@out when the answer's boolean @name is true, as a success
 * says it; a PROTOCOL error otherwise. */
gboolean
_clave_client_read_true (JsonObject  *root,
                         const char  *name,
                         gpointer    *out,
                         GError     **error);

/* {"contrast": {"kind": @contrast_kind, "value": @contrast_value}} */
JsonNode *
_clave_client_contrast_body (const char *contrast_kind,
                             const char *contrast_value);

/* A JSON object with the one string member @name. */
JsonNode *
_clave_client_object_with (const char *name,
                           const char *value);

ClaveClientCall *
_clave_client_send_call (ClaveServiceClient   *self,
                         GTask                *task,
                         SoupMessage          *message,
                         const char           *what,
                         ClaveClientParseFunc  parse,
                         GDestroyNotify        result_free);

char *
_clave_client_bytes_to_b64url (GBytes *bytes);

G_END_DECLS
