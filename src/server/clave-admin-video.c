/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-admin"

#include "config.h"

#include <json-glib/json-glib.h>

#include "clave-admin-private.h"
#include "clave-state.h"
#include "clave-video-image.h"
#include "clave-video-registration.h"

/* clave-admin video: the review of video identifications. */

static void
add_video_json (JsonBuilder            *builder,
                const ClaveVideoRecord *record,
                GStrv                   kinds)
{
  g_autofree char *created = _clave_admin_format_time (record->created_at);
  g_autofree char *submitted = record->submitted_at > 0 ? _clave_admin_format_time (record->submitted_at)
                                                        : NULL;
  g_autofree char *decided = record->decided_at > 0 ? _clave_admin_format_time (record->decided_at) : NULL;

  json_builder_begin_object (builder);
  _clave_admin_add_nullable (builder, "id", record->id);
  _clave_admin_add_nullable (builder, "document", record->document);
  _clave_admin_add_nullable (builder, "phone", record->phone);
  _clave_admin_add_nullable (builder, "email", record->email);
  _clave_admin_add_nullable (builder, "state", clave_video_state_to_string (record->state));
  _clave_admin_add_nullable (builder, "created_at", created);
  _clave_admin_add_nullable (builder, "submitted_at", submitted);
  _clave_admin_add_nullable (builder, "decided_at", decided);
  _clave_admin_add_nullable (builder, "operator", record->operator);
  _clave_admin_add_nullable (builder, "reason", record->reason);
  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; kinds != NULL && kinds[i] != NULL; i++)
    json_builder_add_string_value (builder, kinds[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
append_video_text (GString                *out,
                   const ClaveVideoRecord *record,
                   GStrv                   kinds)
{
  g_autofree char *created = _clave_admin_format_time (record->created_at);
  g_autofree char *images = kinds != NULL ? g_strjoinv (",", kinds) : g_strdup ("");

  g_string_append_printf (out, "%s  %s  %-9s  %s  %s  %s", record->id, record->document,
                          clave_video_state_to_string (record->state), created, record->phone,
                          *images != '\0' ? images : "-");
  if (record->operator != NULL)
    g_string_append_printf (out, "  by %s", record->operator);
  if (record->reason != NULL)
    g_string_append_printf (out, "  (%s)", record->reason);
  g_string_append_c (out, '\n');
}

/* Writes every picture of @id to @folder (made 0700 if needed) as
 * <kind>.jpg or .png, 0600. */
static gboolean
export_pictures (ClaveVideoFiles  *files,
                 const char       *id,
                 GStrv             kinds,
                 const char       *folder,
                 GString          *out,
                 GError          **error)
{
  if (!clave_state_dir_prepare (folder, error))
    return FALSE;
  for (guint i = 0; kinds[i] != NULL; i++)
    {
      g_autoptr(GBytes) picture = clave_video_files_get (files, id, kinds[i], error);
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;
      ClaveVideoImageType type = CLAVE_VIDEO_IMAGE_JPEG;
      gsize len = 0;
      const guint8 *data;

      if (picture == NULL)
        return FALSE;
      data = g_bytes_get_data (picture, &len);
      /* Checked when it came; the type names the file. */
      (void) clave_video_image_check (data, len, &type, NULL, NULL, NULL);
      name = g_strconcat (kinds[i], type == CLAVE_VIDEO_IMAGE_PNG ? ".png" : ".jpg", NULL);
      path = g_build_filename (folder, name, NULL);
      if (!clave_state_write_private (path, data, len, error))
        return FALSE;
      g_string_append_printf (out, "Wrote %s\n", path);
    }
  return TRUE;
}

gboolean
_clave_admin_cmd_video (const char  *state_dir,
           int          argc,
           char       **argv,
           GString     *out,
           GError     **error)
{
  gboolean as_json = FALSE;
  g_autofree char *state = NULL;
  g_autofree char *export_dir = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *operator_name = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "Print JSON", NULL },
    { "state", 0, 0, G_OPTION_ARG_STRING, &state, "list: only in this state", "STATE" },
    { "export", 0, 0, G_OPTION_ARG_FILENAME, &export_dir, "show: write the pictures here",
      "DIR" },
    { "reason", 0, 0, G_OPTION_ARG_STRING, &reason, "reject: why, as the person reads it",
      "TEXT" },
    { "operator", 0, 0, G_OPTION_ARG_STRING, &operator_name,
      "approve, reject: who reviewed it (default: the user's name)", "NAME" },
    { NULL }
  };
  g_autoptr(ClaveStore) store = NULL;
  g_autoptr(ClaveVideoFiles) files = NULL;
  const char *sub;
  int state_value = -1;
  gint64 now = _clave_admin_now_secs ();

  if (!_clave_admin_parse_command ("video", "list | show ID | approve ID | reject ID --reason TEXT", entries,
                      &argc, &argv, error))
    return FALSE;
  if (argc < 2)
    return _clave_admin_usage_error (error, "video needs list, show, approve or reject");
  sub = argv[1];
  if (g_str_equal (sub, "list") ? argc != 2 : argc != 3)
    return _clave_admin_usage_error (error, "video %s: wrong arguments", sub);
  if (state != NULL && (state_value = clave_video_state_from_string (state)) < 0)
    return _clave_admin_usage_error (error, "--state: unknown state %s", state);
  if (g_str_equal (sub, "reject") && (reason == NULL || *g_strstrip (reason) == '\0'))
    return _clave_admin_usage_error (error, "video reject needs --reason");
  if (operator_name == NULL)
    operator_name = g_strdup (g_get_user_name ());

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;
  files = clave_video_files_open (state_dir, error);
  if (files == NULL)
    return FALSE;

  if (g_str_equal (sub, "list"))
    {
      g_autoptr(GPtrArray) records = clave_store_list_videos (store, state_value, error);
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      if (records == NULL)
        return FALSE;
      json_builder_begin_array (builder);
      for (guint i = 0; i < records->len; i++)
        {
          ClaveVideoRecord *record = g_ptr_array_index (records, i);
          g_auto(GStrv) kinds = clave_video_files_list (files, record->id);

          if (as_json)
            add_video_json (builder, record, kinds);
          else
            append_video_text (out, record, kinds);
        }
      json_builder_end_array (builder);
      if (as_json)
        {
          g_autoptr(JsonNode) root = json_builder_get_root (builder);

          _clave_admin_append_json (out, root);
        }
      else if (records->len == 0)
        g_string_append (out, "No video identifications\n");
      return TRUE;
    }

  if (g_str_equal (sub, "show"))
    {
      g_autoptr(ClaveVideoRecord) record = clave_store_get_video (store, argv[2], error);
      g_auto(GStrv) kinds = NULL;

      if (record == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND,
                         "There is no video identification %s", argv[2]);
          return FALSE;
        }
      kinds = clave_video_files_list (files, record->id);
      if (as_json)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();
          g_autoptr(JsonNode) root = NULL;

          add_video_json (builder, record, kinds);
          root = json_builder_get_root (builder);
          _clave_admin_append_json (out, root);
        }
      else
        append_video_text (out, record, kinds);
      return export_dir == NULL ||
             export_pictures (files, record->id, kinds, export_dir, out, error);
    }

  if (g_str_equal (sub, "approve") || g_str_equal (sub, "reject"))
    {
      gboolean approve = g_str_equal (sub, "approve");

      if (!clave_video_decide (store, files, argv[2], approve, operator_name,
                               approve ? NULL : reason, now, error))
        return FALSE;
      g_string_append_printf (out, "%s %s; its pictures are deleted\n", argv[2],
                              approve ? "approved: registered at level basic" : "rejected");
      return TRUE;
    }

  return _clave_admin_usage_error (error, "video: unknown subcommand %s", sub);
}

