/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* One row of "My requests for Cl@ve Mobile", as ClaveHistoryModel hands
 * it out: a small immutable GObject for GtkListView bindings.
 *
 * Properties (all read-only): "id", "type" ("qr"/"push"/"sms"),
 * "type-label" (translated: "With QR code" / "Without QR code" / "By SMS"),
 * "status" ("pending"/"confirmed"/"rejected"/"expired"), "status-label"
 * (translated), "confirmed" (gboolean), "organisation", "origin",
 * "created-at" and "answered-at" (gint64 unix seconds, 0 = not answered).
 */

#include <glib-object.h>

G_BEGIN_DECLS

#define CLAVE_TYPE_HISTORY_ITEM (clave_history_item_get_type ())
G_DECLARE_FINAL_TYPE (ClaveHistoryItem, clave_history_item, CLAVE, HISTORY_ITEM, GObject)

ClaveHistoryItem *clave_history_item_new              (const char       *id,
                                                       const char       *type,
                                                       const char       *status,
                                                       const char       *organisation,
                                                       const char       *origin,
                                                       gint64            created_at,
                                                       gint64            answered_at);
const char       *clave_history_item_get_id           (ClaveHistoryItem *self);
const char       *clave_history_item_get_type_name    (ClaveHistoryItem *self);
const char       *clave_history_item_get_status       (ClaveHistoryItem *self);
const char       *clave_history_item_get_organisation (ClaveHistoryItem *self);
const char       *clave_history_item_get_origin       (ClaveHistoryItem *self);
gint64            clave_history_item_get_created_at   (ClaveHistoryItem *self);
gint64            clave_history_item_get_answered_at  (ClaveHistoryItem *self);
gboolean          clave_history_item_get_confirmed    (ClaveHistoryItem *self);

/* Translated labels for a wire type / status (unknown: the text itself). */
const char       *clave_history_type_label            (const char       *type);
const char       *clave_history_status_label          (const char       *status);

G_END_DECLS
