/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "clave-application.h"
#include "clave-flow.h"
#include "clave-document.h"
#include "clave-service-client.h"
#include "clave-token-manager.h"
#include "clave-unlock-dialog.h"
#include "pages/clave-certificate-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_WINDOW (clave_window_get_type ())
G_DECLARE_FINAL_TYPE (ClaveWindow, clave_window, CLAVE, WINDOW, AdwApplicationWindow)

typedef void (*ClaveRetryFunc) (gpointer user_data);

ClaveWindow          *clave_window_new                        (ClaveApplication      *application);
ClaveApplication     *clave_window_get_clave_application      (ClaveWindow           *self);

/* Navigation between the pages of the stack, by name ("home", "login",
 * "not-registered", "activate-method", "certificate", "contact",
 * "sms-code", "set-pin", "done", "my-data", "diagnostics", "request",
 * "history"). show_page() remembers the current page for Back;
 * show_page_after() makes Back lead to @back_to (no Back when NULL). */
const char           *clave_window_get_page_name              (ClaveWindow           *self);
void                  clave_window_show_page                  (ClaveWindow           *self,
                                                               const char            *name);
void                  clave_window_show_page_after            (ClaveWindow           *self,
                                                               const char            *name,
                                                               const char            *back_to);
void                  clave_window_go_back                    (ClaveWindow           *self);
void                  clave_window_go_home                    (ClaveWindow           *self);
/* Shows the login page with @notice above the form (why the person is
 * there again), forgetting any activation in progress. */
void                  clave_window_restart_login              (ClaveWindow           *self,
                                                               const char            *notice);

/* The certificate page for @mode and @purpose (Back leads to the page
 * shown now). */
void                  clave_window_choose_certificate         (ClaveWindow           *self,
                                                               ClaveCertificatePurpose purpose);
/* The registration page: after a login that found the person not
 * registered (@identified), or offered from the welcome page. */
void                  clave_window_show_registration          (ClaveWindow           *self,
                                                               gboolean               identified);
void                  clave_window_show_diagnostics           (ClaveWindow           *self);
/* Registering by video identification, from its first step. */
void                  clave_window_show_video_registration    (ClaveWindow           *self);

void                  clave_window_add_toast                  (ClaveWindow           *self,
                                                               const char            *title);
/* A toast with the error's message and, with @retry, a Retry button
 * (action win.retry) that calls @retry once. Cancellation is ignored. */
void                  clave_window_show_error                 (ClaveWindow           *self,
                                                               const GError          *error,
                                                               ClaveRetryFunc         retry,
                                                               gpointer               retry_data,
                                                               GDestroyNotify         retry_data_destroy);

/* A problem with a card or certificate: a toast with a Diagnostics
 * button (action win.diagnostics). */
void                  clave_window_show_card_error            (ClaveWindow           *self,
                                                               const char            *message);

/* The activation or registration in progress (clave-flow.h): the pages
 * of the flow share it; the window only navigates. */
ClaveFlow            *clave_window_get_flow                   (ClaveWindow           *self);

/* The device key, unlocked: asks for the PIN when it is locked. Fails
 * with G_IO_ERROR_CANCELLED when the person cancels the PIN dialog (and
 * when @cancellable is cancelled: g_cancellable_is_cancelled() on the
 * task's cancellable tells the two apart), and with
 * CLAVE_DEVICE_KEY_ERROR_WIPED after the window has already taken the
 * person back to the login page. */
void                  clave_window_unlock_key_async           (ClaveWindow           *self,
                                                               GCancellable          *cancellable,
                                                               GAsyncReadyCallback    callback,
                                                               gpointer               user_data);
ClaveDeviceKey       *clave_window_unlock_key_finish          (ClaveWindow           *self,
                                                               GAsyncResult          *result,
                                                               GError               **error);
/* Like clave_window_unlock_key_async(); with @always_ask_pin the PIN
 * dialog shows even when the key is unlocked (to confirm a login), and
 * @prompt (may be NULL) says what the PIN is asked for. */
void                  clave_window_unlock_key_full_async      (ClaveWindow           *self,
                                                               gboolean               always_ask_pin,
                                                               const ClaveUnlockPrompt *prompt,
                                                               GCancellable          *cancellable,
                                                               GAsyncReadyCallback    callback,
                                                               gpointer               user_data);

/* The end of clave_window_unlock_key_full_async() for a page that then
 * makes a signed call: the unlocked @key, the service @client (borrowed)
 * and this device's @device_id. FALSE with @error when it cannot go on,
 * and FALSE without one when the person cancelled the PIN (or the key was
 * erased after too many wrong PINs, which the window has explained). */
gboolean              clave_window_unlock_for_call_finish     (ClaveWindow           *self,
                                                               GAsyncResult          *result,
                                                               ClaveDeviceKey       **key,
                                                               ClaveServiceClient   **client,
                                                               char                 **device_id,
                                                               GError               **error);

/* Cl@ve Mobile: shows the confirmation page for @request (Back leads
 * home); a "status" event for the request shown updates it. */
void                  clave_window_show_request               (ClaveWindow           *self,
                                                               const ClaveAuthRequestInfo *request);
void                  clave_window_update_request_status      (ClaveWindow           *self,
                                                               const char            *id,
                                                               const char            *status);
/* A clave: request URI (a link, a pasted text, a scanned QR code):
 * claims the request with the push key and shows it; problems are said
 * in a toast. */
void                  clave_window_open_request_uri           (ClaveWindow           *self,
                                                               const char            *uri);
/* Decodes the QR code in @texture and opens its request. */
void                  clave_window_open_request_texture       (ClaveWindow           *self,
                                                               GdkTexture            *texture);
void                  clave_window_open_request_file          (ClaveWindow           *self,
                                                               GFile                 *file);

/* The person ends this computer's activation themselves (deactivating
 * it, giving up Cl@ve): while @leaving, the push channel's "deactivated"
 * is theirs, and clave_window_device_lost() leaves the words to them. */
void                  clave_window_set_leaving                (ClaveWindow           *self,
                                                               gboolean               leaving);
/* This computer is no longer a Cl@ve device because the person ended it:
 * forgets it here, ends any flow and shows the welcome page with @notice
 * (what ended and how to come back). */
void                  clave_window_show_welcome               (ClaveWindow           *self,
                                                               const char            *notice);

/* Shows the raise-level page, which sends @proof (a certificate proof of
 * purpose CLAVE_PROOF_PURPOSE_LEVEL; taken) signed by the device. */
void                  clave_window_raise_level                (ClaveWindow           *self,
                                                               ClaveCertificateProof *proof);

/* Shows the change-phone page, which starts the change with @proof (a
 * certificate proof of purpose CLAVE_PROOF_PURPOSE_PHONE; taken). */
void                  clave_window_change_phone               (ClaveWindow           *self,
                                                               ClaveCertificateProof *proof);

/* The service no longer knows this device (or its key is gone): forget
 * it here too and explain on the login page (@explanation NULL: the
 * words of clave_service_error_device_lost_message()). */
void                  clave_window_device_lost                (ClaveWindow           *self,
                                                               const char            *explanation);

G_END_DECLS
