/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-admin"

#include "config.h"

#include <json-glib/json-glib.h>

#include "clave-admin-private.h"
#include "clave-firma.h"

/* clave-admin issue-firma, list-firma. */

static void
append_firma_text (GString                *out,
                   const ClaveFirmaRecord *record,
                   gint64                  now)
{
  g_autofree char *not_before = _clave_admin_format_time (record->not_before);
  g_autofree char *not_after = _clave_admin_format_time (record->not_after);

  g_string_append_printf (out, "%s  %s  %-7s  %s to %s  %s\n", record->serial, record->document,
                          clave_firma_status (record, now), not_before, not_after,
                          record->holder);
}

static void
add_firma_json (JsonBuilder            *builder,
                const ClaveFirmaRecord *record,
                gint64                  now)
{
  g_autofree char *not_before = _clave_admin_format_time (record->not_before);
  g_autofree char *not_after = _clave_admin_format_time (record->not_after);
  g_autofree char *revoked_at = record->revoked_at > 0 ? _clave_admin_format_time (record->revoked_at) : NULL;

  json_builder_begin_object (builder);
  _clave_admin_add_nullable (builder, "serial", record->serial);
  _clave_admin_add_nullable (builder, "document", record->document);
  _clave_admin_add_nullable (builder, "holder", record->holder);
  _clave_admin_add_nullable (builder, "issuer", record->issuer);
  _clave_admin_add_nullable (builder, "not_before", not_before);
  _clave_admin_add_nullable (builder, "not_after", not_after);
  _clave_admin_add_nullable (builder, "status", clave_firma_status (record, now));
  _clave_admin_add_nullable (builder, "revoked_at", revoked_at);
  _clave_admin_add_nullable (builder, "revoked_by", record->revoked_by);
  _clave_admin_add_nullable (builder, "certificate", record->cert_pem);
  json_builder_end_object (builder);
}

/* @records as a JSON array, or a line each (@empty when there is none). */
static void
append_firma_records (GString    *out,
                      GPtrArray  *records,
                      gboolean    as_json,
                      const char *empty,
                      gint64      now)
{
  if (as_json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < records->len; i++)
        add_firma_json (builder, g_ptr_array_index (records, i), now);
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      _clave_admin_append_json (out, root);
      return;
    }
  if (records->len == 0)
    g_string_append (out, empty);
  for (guint i = 0; i < records->len; i++)
    append_firma_text (out, g_ptr_array_index (records, i), now);
}

gboolean
_clave_admin_cmd_issue_firma (const char  *state_dir,
                 int          argc,
                 char       **argv,
                 GString     *out,
                 GError     **error)
{
  gboolean as_json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(ClaveStore) store = NULL;
  g_autoptr(ClaveFirmaCa) ca = NULL;
  g_autoptr(ClaveFirmaRecord) record = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *document = NULL;
  gint64 now = _clave_admin_now_secs ();

  if (!_clave_admin_parse_command ("issue-firma", "DOCUMENT", entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return _clave_admin_usage_error (error, "issue-firma needs exactly one DOCUMENT");
  if (!_clave_admin_read_document (argv[1], &document, error))
    return FALSE;

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;
  ca = clave_firma_ca_open (state_dir, error);
  if (ca == NULL)
    return FALSE;
  record = clave_firma_issue (store, ca, document, now, error);
  if (record == NULL)
    return FALSE;

  records = g_ptr_array_new ();
  g_ptr_array_add (records, record);
  if (!as_json)
    g_string_append (out, "Issued a Cl@ve Firma certificate:\n");
  append_firma_records (out, records, as_json, "", now);
  return TRUE;
}

gboolean
_clave_admin_cmd_list_firma (const char  *state_dir,
                int          argc,
                char       **argv,
                GString     *out,
                GError     **error)
{
  gboolean as_json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(ClaveStore) store = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *document = NULL;
  gint64 now = _clave_admin_now_secs ();

  if (!_clave_admin_parse_command ("list-firma", "[DOCUMENT]", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 2)
    return _clave_admin_usage_error (error, "Unexpected argument %s", argv[2]);
  if (argc == 2 && !_clave_admin_read_document (argv[1], &document, error))
    return FALSE;

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;
  records = clave_store_list_firma (store, document, FALSE, error);
  if (records == NULL)
    return FALSE;
  append_firma_records (out, records, as_json, "No Cl@ve Firma certificates\n", now);
  return TRUE;
}

