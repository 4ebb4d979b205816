/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "clave-device-keys.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* The absolute URI the client requested, as the signature covers it
 * ("@target-uri"): https:// + Host header + path + ?query as received. */
char              *clave_device_auth_target_uri (SoupServerMessage  *msg);

/* Checks the HTTP message signature of a device request
 * (docs/protocol.md "Device signatures") and remembers its nonce; also
 * accepts the device's push key (keyid "<device>#push") when
 * @push_key_allowed; otherwise a request correctly signed with the push
 * key is answered 403 key_not_allowed. Returns the signing device, or
 * NULL after answering @msg with the error. */
ClaveDeviceRecord *clave_device_auth_verify_scoped (ClaveStore        *store,
                                                    SoupServerMessage *msg,
                                                    GBytes            *body,
                                                    gint64             now,
                                                    gboolean           push_key_allowed);

/* As clave_device_auth_verify_scoped(), with @keys (may be NULL), the
 * cache of parsed device keys, and @nonce: NULL to spend the signature's
 * nonce here (401 replayed_nonce when it was used); otherwise, when the
 * device key signed, the nonce comes back unspent in @nonce and the
 * caller spends it in the transaction of the change the request makes
 * (clave_store_answer_auth_requests()), or with clave_store_use_nonce()
 * before it answers anything else, so that a used nonce and its change
 * are stored together or not at all. A request signed with the push key
 * spends it here whatever (@nonce NULL). */
ClaveDeviceRecord *clave_device_auth_verify_full (ClaveStore         *store,
                                                  ClaveDeviceKeys    *keys,
                                                  SoupServerMessage  *msg,
                                                  GBytes             *body,
                                                  gint64              now,
                                                  gboolean            push_key_allowed,
                                                  char              **nonce);

/* The same in three steps, so that the signature itself (an ECDSA
 * verification, the dearest thing the service does for a request) can
 * run in another thread:
 * - new: reads the signature's headers and the device, checks the
 *   device is active and the clock window; NULL after answering @msg
 *   (signature_required, invalid_signature when unusable,
 *   unknown_device, device_deactivated, stale_signature);
 * - run: checks the digest and the signature; touches nothing but
 *   @check, so any thread may run it (run_async: in GTask's pool);
 * - finish: on the main loop, answers a signature that did not verify
 *   (digest_mismatch, invalid_signature), then as
 *   clave_device_auth_verify_full() for the nonce and the push key. */
typedef struct _ClaveDeviceAuthCheck ClaveDeviceAuthCheck;

ClaveDeviceAuthCheck *clave_device_auth_check_new        (ClaveStore            *store,
                                                          ClaveDeviceKeys       *keys,
                                                          SoupServerMessage     *msg,
                                                          GBytes                *body,
                                                          gint64                 now);
void                  clave_device_auth_check_run        (ClaveDeviceAuthCheck  *check);
/* @check must live until the callback. */
void                  clave_device_auth_check_run_async  (ClaveDeviceAuthCheck  *check,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
gboolean              clave_device_auth_check_run_finish (GAsyncResult          *result,
                                                          GError               **error);
ClaveDeviceRecord    *clave_device_auth_check_finish     (ClaveDeviceAuthCheck  *check,
                                                          ClaveStore            *store,
                                                          SoupServerMessage     *msg,
                                                          gboolean               push_key_allowed,
                                                          char                 **nonce);
void                  clave_device_auth_check_free       (ClaveDeviceAuthCheck  *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveDeviceAuthCheck, clave_device_auth_check_free)

G_END_DECLS
