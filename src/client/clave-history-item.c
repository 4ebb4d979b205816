/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-history-item"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-history-item.h"
#include "clave-protocol.h"

struct _ClaveHistoryItem
{
  GObject  parent_instance;

  char    *id;
  char    *type;
  char    *status;
  char    *organisation;
  char    *origin;
  gint64   created_at;
  gint64   answered_at;
};

G_DEFINE_FINAL_TYPE (ClaveHistoryItem, clave_history_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TYPE,
  PROP_TYPE_LABEL,
  PROP_STATUS,
  PROP_STATUS_LABEL,
  PROP_CONFIRMED,
  PROP_ORGANISATION,
  PROP_ORIGIN,
  PROP_CREATED_AT,
  PROP_ANSWERED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
clave_history_type_label (const char *type)
{
  if (g_strcmp0 (type, CLAVE_REQUEST_TYPE_QR) == 0)
    return _("With QR code");
  if (g_strcmp0 (type, CLAVE_REQUEST_TYPE_PUSH) == 0)
    return _("Without QR code");
  if (g_strcmp0 (type, CLAVE_REQUEST_TYPE_SMS) == 0)
    return _("By SMS");
  return type != NULL ? type : "";
}

const char *
clave_history_status_label (const char *status)
{
  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_PENDING) == 0)
    return _("Pending");
  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_CONFIRMED) == 0)
    return _("Confirmed");
  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_REJECTED) == 0)
    return _("Rejected");
  if (g_strcmp0 (status, CLAVE_REQUEST_STATUS_EXPIRED) == 0)
    return C_("request status", "Expired");
  return status != NULL ? status : "";
}

static void
clave_history_item_finalize (GObject *object)
{
  ClaveHistoryItem *self = CLAVE_HISTORY_ITEM (object);

  g_free (self->id);
  g_free (self->type);
  g_free (self->status);
  g_free (self->organisation);
  g_free (self->origin);

  G_OBJECT_CLASS (clave_history_item_parent_class)->finalize (object);
}

static void
clave_history_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ClaveHistoryItem *self = CLAVE_HISTORY_ITEM (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_TYPE:
      g_value_set_string (value, self->type);
      break;
    case PROP_TYPE_LABEL:
      g_value_set_string (value, clave_history_type_label (self->type));
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_STATUS_LABEL:
      g_value_set_string (value, clave_history_status_label (self->status));
      break;
    case PROP_CONFIRMED:
      g_value_set_boolean (value, clave_history_item_get_confirmed (self));
      break;
    case PROP_ORGANISATION:
      g_value_set_string (value, self->organisation);
      break;
    case PROP_ORIGIN:
      g_value_set_string (value, self->origin);
      break;
    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_at);
      break;
    case PROP_ANSWERED_AT:
      g_value_set_int64 (value, self->answered_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_history_item_class_init (ClaveHistoryItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = clave_history_item_finalize;
  object_class->get_property = clave_history_item_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_TYPE] = g_param_spec_string ("type", NULL, NULL, NULL, flags);
  properties[PROP_TYPE_LABEL] = g_param_spec_string ("type-label", NULL, NULL, NULL, flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  properties[PROP_STATUS_LABEL] = g_param_spec_string ("status-label", NULL, NULL, NULL, flags);
  properties[PROP_CONFIRMED] = g_param_spec_boolean ("confirmed", NULL, NULL, FALSE, flags);
  properties[PROP_ORGANISATION] = g_param_spec_string ("organisation", NULL, NULL, NULL, flags);
  properties[PROP_ORIGIN] = g_param_spec_string ("origin", NULL, NULL, NULL, flags);
  properties[PROP_CREATED_AT] = g_param_spec_int64 ("created-at", NULL, NULL,
                                                    0, G_MAXINT64, 0, flags);
  properties[PROP_ANSWERED_AT] = g_param_spec_int64 ("answered-at", NULL, NULL,
                                                     0, G_MAXINT64, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_history_item_init (ClaveHistoryItem *self)
{
}

ClaveHistoryItem *
clave_history_item_new (const char *id,
                        const char *type,
                        const char *status,
                        const char *organisation,
                        const char *origin,
                        gint64      created_at,
                        gint64      answered_at)
{
  ClaveHistoryItem *self = g_object_new (CLAVE_TYPE_HISTORY_ITEM, NULL);

  self->id = g_strdup (id);
  self->type = g_strdup (type);
  self->status = g_strdup (status);
  self->organisation = g_strdup (organisation);
  self->origin = g_strdup (origin);
  self->created_at = MAX (created_at, 0);
  self->answered_at = MAX (answered_at, 0);

  return self;
}

const char *
clave_history_item_get_id (ClaveHistoryItem *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_ITEM (self), NULL);
  return self->id;
}

const char *
clave_history_item_get_type_name (ClaveHistoryItem *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_ITEM (self), NULL);
  return self->type;
}

const char *
clave_history_item_get_status (ClaveHistoryItem *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_ITEM (self), NULL);
  return self->status;
}

const char *
clave_history_item_get_organisation (ClaveHistoryItem *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_ITEM (self), NULL);
  return self->organisation;
}

const char *
clave_history_item_get_origin (ClaveHistoryItem *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_ITEM (self), NULL);
  return self->origin;
}

gint64
clave_history_item_get_created_at (ClaveHistoryItem *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_ITEM (self), 0);
  return self->created_at;
}

gint64
clave_history_item_get_answered_at (ClaveHistoryItem *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_ITEM (self), 0);
  return self->answered_at;
}

gboolean
clave_history_item_get_confirmed (ClaveHistoryItem *self)
{
  g_return_val_if_fail (CLAVE_IS_HISTORY_ITEM (self), FALSE);
  return g_strcmp0 (self->status, CLAVE_REQUEST_STATUS_CONFIRMED) == 0;
}
