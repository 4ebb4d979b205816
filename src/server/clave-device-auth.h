/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "clave-store.h"

G_BEGIN_DECLS

/* The absolute URI the client requested, as the signature covers it
 * ("@target-uri"): https:// + Host header + path + ?query as received. */
char              *clave_device_auth_target_uri (SoupServerMessage  *msg);

/* Checks the HTTP message signature of a device request
 * (docs/protocol.md "Device signatures") and remembers its nonce. Returns
 * the signing device, or NULL after answering @msg with the error. */
ClaveDeviceRecord *clave_device_auth_verify     (ClaveStore         *store,
                                                 SoupServerMessage  *msg,
                                                 GBytes             *body,
                                                 gint64              now);

/* As clave_device_auth_verify(), also accepting the device's push key
 * (keyid "<device>#push") when @push_key_allowed; otherwise a request
 * correctly signed with the push key is answered 403 key_not_allowed. */
ClaveDeviceRecord *clave_device_auth_verify_scoped (ClaveStore        *store,
                                                    SoupServerMessage *msg,
                                                    GBytes            *body,
                                                    gint64             now,
                                                    gboolean           push_key_allowed);

G_END_DECLS
