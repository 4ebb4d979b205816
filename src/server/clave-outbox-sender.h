/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-store.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_OUTBOX_SENDER (clave_outbox_sender_get_type ())
G_DECLARE_FINAL_TYPE (ClaveOutboxSender, clave_outbox_sender, CLAVE, OUTBOX_SENDER, GObject)

/* Hands outbox messages of one channel to @command (split like a shell
 * would, never run through a shell). Exit status 0 marks the message
 * delivered, anything else failed. With no command, messages stay queued
 * in the outbox.
 *
 * SMS: the text on the command's stdin, the number in the environment
 * variable CLAVE_SMS_TO.
 * E-mail: a whole message on stdin (To, Subject, MIME-Version,
 * Content-Type text/plain in UTF-8, a blank line, the text), as
 * `sendmail -t -i` reads it; the address in CLAVE_MAIL_TO and the subject
 * in CLAVE_MAIL_SUBJECT. */
ClaveOutboxSender *clave_outbox_sender_new      (ClaveStore          *store,
                                                 ClaveOutboxChannel   channel,
                                                 const char          *command,
                                                 GError             **error);
/* Starts delivering a queued message; returns at once. @subject is for
 * e-mails (NULL for SMS). */
void               clave_outbox_sender_dispatch (ClaveOutboxSender   *self,
                                                 gint64               outbox_id,
                                                 const char          *to,
                                                 const char          *subject,
                                                 const char          *body);
/* Stops waiting for running commands (their results are not recorded). */
void               clave_outbox_sender_cancel   (ClaveOutboxSender   *self);

/* The message an e-mail command reads (see above); exposed for tests. */
char              *clave_outbox_compose_mail    (const char          *to,
                                                 const char          *subject,
                                                 const char          *body);

G_END_DECLS
