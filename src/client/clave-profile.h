/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The profile: this device's settings in GSettings
 * (io.github.clavedesktop.Clave), see DESIGN.md "Where state lives". */

#define CLAVE_TYPE_PROFILE (clave_profile_get_type ())
G_DECLARE_FINAL_TYPE (ClaveProfile, clave_profile, CLAVE, PROFILE, GObject)

ClaveProfile *clave_profile_new                  (GSettings    *settings);
GSettings    *clave_profile_get_settings         (ClaveProfile *self);
char         *clave_profile_dup_service_url      (ClaveProfile *self);
char         *clave_profile_dup_ca_file          (ClaveProfile *self);
/* The service's host (and port, when not 443) as people read it, from
 * its URL; the URL itself when it does not parse. */
char         *clave_profile_dup_service_host     (ClaveProfile *self);
/* Where Cl@ve Permanente is activated: the "permanente-url" setting, or
 * the reference service's page under the service address. */
char         *clave_profile_dup_permanente_url   (ClaveProfile *self);
/* Activated means a device id in the profile (the key file is checked by
 * the caller). "activated" is a read-only property, notified on change. */
gboolean      clave_profile_get_activated        (ClaveProfile *self);
char         *clave_profile_dup_device_id        (ClaveProfile *self);
char         *clave_profile_dup_document_number  (ClaveProfile *self);
char         *clave_profile_dup_document_type    (ClaveProfile *self);
void          clave_profile_set_activation       (ClaveProfile *self,
                                                  const char   *device_id,
                                                  const char   *document_type,
                                                  const char   *document_number);
void          clave_profile_clear_activation     (ClaveProfile *self);

/* A SoupSession for the profile's service: trusts the profile's CA file
 * (or the system's when empty), with timeouts and a user agent. */
gpointer      clave_profile_create_session       (ClaveProfile *self,
                                                  GError      **error);

G_END_DECLS
