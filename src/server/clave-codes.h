/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* SMS codes, one implementation for activations (docs/protocol.md steps 2
 * and 3) and registrations ("Registering with a certificate"): the same
 * code rules, outbox and per-person limits, whichever flow the code
 * belongs to. Every function that returns FALSE has answered @msg. */

/* What the code handling needs to know of an activation or registration. */
typedef struct {
  ClaveCodeFlow  flow;
  const char    *id;
  const char    *document;       /* the person: per-person limits count by it */
  const char    *phone;
  const char    *code_hmac;      /* NULL until a code was sent */
  gint64         code_expires_at;
  guint          sends;
  gint64         last_sent_at;
} ClaveCodeHolder;

/* Seconds until fewer than @limit of the events at @times (ascending)
 * fall within the last @window seconds; 0 when already fewer. */
gint64   _clave_window_wait               (GArray            *times,
                                           guint              limit,
                                           gint64             window,
                                           gint64             now);
/* 429 too_many_attempts with retry_after. */
void     _clave_reply_too_many            (SoupServerMessage *msg,
                                           const char        *message,
                                           gint64             wait);
/* FALSE (429, or 500) when the person has used up the wrong codes of the
 * window, over all activations and registrations. */
gboolean _clave_codes_check_wrong_codes   (ClaveServer       *self,
                                           SoupServerMessage *msg,
                                           const char        *document,
                                           gint64             now);
/* FALSE (429 too_many_attempts, or 500) when the person's phone got as
 * many codes as the hourly or daily cap allows. */
gboolean _clave_codes_check_person_sends  (ClaveServer       *self,
                                           SoupServerMessage *msg,
                                           const char        *document,
                                           gint64             now);
/* The state of an activation or registration as its bearer-token steps
 * see it, and the protocol's names for what the flow calls it. */
typedef struct {
  const char *stored_token_hash;  /* NULL when the id is unknown */
  gboolean    closed;             /* used, or replaced by a newer one */
  gboolean    locked;
  gint64      expires_at;
} ClaveFlowState;

typedef struct {
  const char *invalid_error;      /* 401: unknown, wrong token, closed */
  const char *locked_error;       /* 423 */
  const char *expired_error;      /* 410 */
  const char *noun;               /* "activation", "registration": for messages */
} ClaveFlowErrors;

/* TRUE when the request's bearer token opens a flow that can still be
 * used; otherwise answers 401/423/410 with the flow's codes. The token is
 * compared as a SHA-256 hash in constant time. */
gboolean _clave_flow_authorize            (SoupServerMessage     *msg,
                                           const ClaveFlowState  *state,
                                           const ClaveFlowErrors *errors,
                                           gint64                 now);
/* Exactly CLAVE_SMS_CODE_DIGITS ASCII digits. */
gboolean _clave_codes_is_code             (const char        *code);
/* Sends a new code to the holder's phone after checking the holder's
 * limits (resend_limit_reached, resend_too_soon) and the person's. On
 * success, nothing is answered yet: the caller adds the members of
 * _clave_codes_add_sent_members() to its answer. */
gboolean _clave_codes_send                (ClaveServer       *self,
                                           SoupServerMessage *msg,
                                           const ClaveCodeHolder *holder,
                                           gint64             now);
/* "code_expires_in", "resend_after", "sends_left", "phone_hint" after a
 * send that made the holder's sends @sends_after. */
void     _clave_codes_add_sent_members    (ClaveServer       *self,
                                           JsonBuilder       *builder,
                                           const char        *phone,
                                           guint              sends_after);
/* TRUE when @code is the holder's current code. Otherwise answers
 * no_code_sent, code_expired, too_many_attempts, invalid_code (with
 * attempts_left) or, at the last attempt, 423 @locked_error; the wrong
 * code is counted for the holder and the person. */
gboolean _clave_codes_verify              (ClaveServer       *self,
                                           SoupServerMessage *msg,
                                           const ClaveCodeHolder *holder,
                                           const char        *code,
                                           const char        *locked_error,
                                           gint64             now);

G_END_DECLS
