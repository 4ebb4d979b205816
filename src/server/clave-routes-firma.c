/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-firma.h"
#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-routes.h"
#include "clave-server-private.h"

/* Cl@ve Firma (GET /v1/me/firma, POST /v1/me/firma/revoke, and the CA's
 * public GET /v1/firma/crl and /v1/firma/ca): read the request, call the
 * operation (clave-firma.c), write the answer. */

/* A CRL is made again after this long even when nothing changed, so that
 * its thisUpdate stays recent. */
#define CRL_REFRESH_SECS (CLAVE_FIRMA_CRL_VALIDITY_SECS / 2)

void
_clave_routes_firma_changed (ClaveServer *self)
{
  g_clear_pointer (&self->firma_crl, g_bytes_unref);
}

const char *
_clave_routes_firma_state (ClaveServer  *self,
                           const char   *document,
                           GError      **error)
{
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) local_error = NULL;

  records = clave_store_list_firma (self->store, document, FALSE, &local_error);
  if (records == NULL)
    {
      clave_protocol_error_set_internal (error, local_error);
      return NULL;
    }
  if (records->len == 0)
    return CLAVE_FIRMA_NONE;
  return clave_firma_status (g_ptr_array_index (records, 0), _clave_server_now ());
}

static void
add_record (JsonBuilder            *builder,
            const ClaveFirmaRecord *record,
            gint64                  now)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "serial");
  json_builder_add_string_value (builder, record->serial);
  json_builder_set_member_name (builder, "holder");
  json_builder_add_string_value (builder, record->holder);
  json_builder_set_member_name (builder, "issuer");
  json_builder_add_string_value (builder, record->issuer);
  json_builder_set_member_name (builder, "not_before");
  json_builder_add_int_value (builder, record->not_before);
  json_builder_set_member_name (builder, "not_after");
  json_builder_add_int_value (builder, record->not_after);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, clave_firma_status (record, now));
  if (record->revoked_at > 0)
    {
      json_builder_set_member_name (builder, "revoked_at");
      json_builder_add_int_value (builder, record->revoked_at);
    }
  json_builder_set_member_name (builder, "certificate");
  json_builder_add_string_value (builder, record->cert_pem);
  json_builder_end_object (builder);
}

void
_clave_routes_firma_list (ClaveServer       *self,
                          SoupServerMessage *msg)
{
  g_autoptr(ClaveDeviceRecord) device = _clave_device_authenticate (self, msg, FALSE);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = _clave_server_now ();

  if (device == NULL)
    return;
  records = clave_store_list_firma (self->store, device->document, FALSE, &error);
  if (records == NULL)
    {
      clave_http_reply_internal (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "certificates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < records->len; i++)
    add_record (builder, g_ptr_array_index (records, i), now);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

void
_clave_routes_firma_revoke (ClaveServer       *self,
                            SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = clave_http_read_json_object (msg, NULL);
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(ClaveFirmaRecord) record = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  const char *serial = NULL;
  JsonNode *accepted;
  gint64 now = _clave_server_now ();

  if (body == NULL || !clave_http_member_string (msg, body, "serial", &serial))
    return;
  accepted = json_object_get_member (body, "accept_conditions");
  if (accepted != NULL && (!JSON_NODE_HOLDS_VALUE (accepted) ||
                           json_node_get_value_type (accepted) != G_TYPE_BOOLEAN))
    {
      clave_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST,
                              "“accept_conditions” must be true or false.");
      return;
    }
  device = _clave_device_authenticate (self, msg, FALSE);
  if (device == NULL)
    return;

  record = clave_firma_revoke (self->store, device->document, serial,
                               accepted != NULL && json_node_get_boolean (accepted), now, &error);
  if (record == NULL)
    {
      clave_http_reply_gerror (msg, error);
      return;
    }
  _clave_routes_firma_changed (self);

  builder = json_builder_new ();
  add_record (builder, record, now);
  clave_http_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
reply_der (SoupServerMessage *msg,
           const char        *content_type,
           GBytes            *der)
{
  gsize len = 0;
  const void *data = g_bytes_get_data (der, &len);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, data, len);
  /* A revocation must reach whoever asks next. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-cache");
}

void
_clave_routes_firma_crl (ClaveServer       *self,
                         SoupServerMessage *msg)
{
  gint64 now = _clave_server_now ();

  if (self->firma_crl == NULL || now - self->firma_crl_made_at >= CRL_REFRESH_SECS ||
      now < self->firma_crl_made_at)
    {
      g_autoptr(GPtrArray) revoked = NULL;
      g_autoptr(GError) error = NULL;

      _clave_routes_firma_changed (self);
      revoked = clave_store_list_firma (self->store, NULL, TRUE, &error);
      if (revoked != NULL)
        self->firma_crl = clave_firma_ca_make_crl (self->firma_ca, revoked, now, &error);
      if (self->firma_crl == NULL)
        {
          clave_http_reply_internal (msg, error);
          return;
        }
      self->firma_crl_made_at = now;
    }
  reply_der (msg, "application/pkix-crl", self->firma_crl);
}

void
_clave_routes_firma_ca (ClaveServer       *self,
                        SoupServerMessage *msg)
{
  g_autoptr(GBytes) der = clave_firma_ca_get_certificate (self->firma_ca);

  if (der == NULL)
    {
      clave_http_reply_internal (msg, NULL);
      return;
    }
  reply_der (msg, "application/pkix-cert", der);
}
