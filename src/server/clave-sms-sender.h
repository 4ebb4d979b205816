/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-store.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_SMS_SENDER (clave_sms_sender_get_type ())
G_DECLARE_FINAL_TYPE (ClaveSmsSender, clave_sms_sender, CLAVE, SMS_SENDER, GObject)

/* Hands outbox messages to @command (split like a shell would, never run
 * through a shell): the body on its stdin, the phone number in the
 * environment variable CLAVE_SMS_TO. Exit status 0 marks the message
 * delivered, anything else failed. With no command, messages stay queued
 * in the outbox. */
ClaveSmsSender *clave_sms_sender_new      (ClaveStore      *store,
                                           const char      *command,
                                           GError         **error);
/* Starts delivering a queued message; returns at once. */
void            clave_sms_sender_dispatch (ClaveSmsSender  *self,
                                           gint64           outbox_id,
                                           const char      *phone,
                                           const char      *body);
/* Stops waiting for running commands (their results are not recorded). */
void            clave_sms_sender_cancel   (ClaveSmsSender  *self);

G_END_DECLS
