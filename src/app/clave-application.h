/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-device-key.h"
#include "clave-profile.h"
#include "clave-push-channel.h"
#include "clave-service-client.h"
#include "clave-token-manager.h"

G_BEGIN_DECLS

/* Minutes without use after which the unlocked device key is locked again. */
#define CLAVE_KEY_AUTO_LOCK_SECS (5 * 60)

#define CLAVE_TYPE_APPLICATION (clave_application_get_type ())
G_DECLARE_FINAL_TYPE (ClaveApplication, clave_application, CLAVE, APPLICATION, AdwApplication)

ClaveApplication   *clave_application_new                 (void);
ClaveProfile       *clave_application_get_profile         (ClaveApplication  *self);
/* The client for the profile's service, built again when the service URL
 * or the CA file change. NULL with an error when no session can be made
 * (for example, an unreadable CA file). */
ClaveServiceClient *clave_application_get_client          (ClaveApplication  *self,
                                                           GError           **error);
/* Cards and imported certificates, watched while the application runs
 * (from startup to shutdown). */
ClaveTokenManager  *clave_application_get_token_manager   (ClaveApplication  *self);
/* TRUE when the profile names a device and its key file is there. */
gboolean            clave_application_get_activated       (ClaveApplication  *self);
/* The device key (locked or unlocked), NULL when not activated. */
ClaveDeviceKey     *clave_application_get_device_key      (ClaveApplication  *self);
/* Saves @key (already registered as @device_id) and records the
 * activation in the profile; nothing changes when saving fails. */
gboolean            clave_application_activate_device     (ClaveApplication  *self,
                                                           ClaveDeviceKey    *key,
                                                           ClavePushKey      *push_key,
                                                           const char        *device_id,
                                                           const char        *document_type,
                                                           const char        *document_number,
                                                           GError           **error);
/* The push key (NULL when not activated, or activated without one). */
ClavePushKey       *clave_application_get_push_key        (ClaveApplication  *self);
/* The state of the push channel (OFFLINE when there is none). */
ClavePushState      clave_application_get_push_state      (ClaveApplication  *self);
/* A pending request the push channel brought (or a claim returned), by
 * id; NULL when unknown. */
const ClaveAuthRequestInfo *clave_application_lookup_request (ClaveApplication *self,
                                                           const char        *id);
void                clave_application_remember_request    (ClaveApplication  *self,
                                                           const ClaveAuthRequestInfo *request);
/* Failed identifications with the citizen's document in the last day, as
 * the service told them (docs/protocol.md "Push channel") and the person
 * has not dismissed them: their number, 0 when there is nothing to show
 * (property "failed-identifications"), and in @since when the first was
 * (seconds since the epoch). */
guint               clave_application_get_failed_identifications (ClaveApplication *self,
                                                           gint64            *since);
/* The person has seen them (action app.dismiss-failed-identifications):
 * they stay hidden until a newer one. */
void                clave_application_dismiss_failed_identifications (ClaveApplication *self);
/* Erases the key files and the activation from the profile. */
void                clave_application_forget_device       (ClaveApplication  *self);
/* Restarts the auto-lock countdown of the unlocked key. */
void                clave_application_key_used            (ClaveApplication  *self);
void                clave_application_lock_key            (ClaveApplication  *self);
/* The person typed the device PIN: "My requests" opens without it for
 * the minutes the Preferences say ("history-unlocked-minutes"), unless
 * the screen locks or the app goes to the background first (property
 * "history-unlocked", notified when one of those locks it). */
void                clave_application_pin_verified        (ClaveApplication  *self);
gboolean            clave_application_get_history_unlocked (ClaveApplication *self);
void                clave_application_lock_history        (ClaveApplication  *self);

G_END_DECLS
