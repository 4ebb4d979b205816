/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-protocol-error.h"
#include "clave-server.h"
#include "clave-store.h"

G_BEGIN_DECLS

/* One-time codes, one implementation for activations (docs/protocol.md
 * steps 2 and 3), registrations ("Registering with a certificate") and
 * contact changes: the same code rules, outbox and per-person limits,
 * whichever flow the code belongs to. The codes of an e-mail change go by
 * e-mail, the others by SMS. Every function that returns FALSE sets a CLAVE_PROTOCOL_ERROR
 * (internal_error when the store failed). */

/* What the code handling needs to know of an activation or registration. */
typedef struct {
  ClaveCodeFlow  flow;
  const char    *id;
  const char    *document;       /* the person: per-person limits count by it */
  const char    *to;             /* the phone, or the e-mail address */
  const ClaveCodeState *code;
} ClaveCodeHolder;

/* Seconds until fewer than @limit of the events at @times (ascending)
 * fall within the last @window seconds; 0 when already fewer. */
gint64   _clave_window_wait               (GArray            *times,
                                           guint              limit,
                                           gint64             window,
                                           gint64             now);
/* FALSE (too_many_attempts with retry_after) when the person has used up
 * the wrong codes of the window, over all activations and registrations. */
gboolean _clave_codes_check_wrong_codes   (ClaveServer        *self,
                                           const char         *document,
                                           gint64              now,
                                           GError            **error);
/* FALSE (too_many_attempts with retry_after) when the person's phone
 * (@channel SMS: activation, registration and phone change codes, relying
 * parties' SMS PINs) or e-mail (e-mail change codes) got as many codes as
 * the hourly or daily cap allows. */
gboolean _clave_codes_check_person_sends  (ClaveServer        *self,
                                           const char         *document,
                                           ClaveOutboxChannel  channel,
                                           gint64              now,
                                           GError            **error);
/* The state of an activation or registration as its bearer-token steps
 * see it, and the protocol's names for what the flow calls it. */
typedef struct {
  const char *stored_token_hash;  /* NULL when the id is unknown */
  gboolean    closed;             /* used, or replaced by a newer one */
  gboolean    locked;
  gint64      expires_at;
} ClaveFlowState;

typedef struct {
  ClaveProtocolError invalid_error;  /* unknown, wrong token, closed */
  ClaveProtocolError locked_error;
  ClaveProtocolError expired_error;
  const char        *noun;           /* "activation", "registration": for messages */
} ClaveFlowErrors;

/* TRUE when @token (the request's bearer token; NULL when it had none)
 * opens a flow that can still be used; otherwise sets the flow's invalid,
 * locked or expired error. The token is compared as a SHA-256 hash in
 * constant time. */
gboolean _clave_flow_authorize            (const char             *token,
                                           const ClaveFlowState   *state,
                                           const ClaveFlowErrors  *errors,
                                           gint64                  now,
                                           GError                **error);
/* Exactly CLAVE_SMS_CODE_DIGITS ASCII digits. */
gboolean _clave_codes_is_code             (const char        *code);
/* What the answer to a send tells the person (docs/protocol.md step 2). */
typedef struct {
  guint  code_expires_in;  /* seconds */
  guint  resend_after;     /* seconds */
  guint  sends_left;
  char  *phone_hint;       /* an SMS */
  char  *email;            /* an e-mail: the address */
} ClaveCodeSent;

void     _clave_code_sent_clear           (ClaveCodeSent          *sent);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ClaveCodeSent, _clave_code_sent_clear)

/* Sends a new code to the holder's phone or address after checking the holder's
 * limits (resend_limit_reached, resend_too_soon) and the person's, and
 * fills @sent. */
gboolean _clave_codes_send                (ClaveServer            *self,
                                           const ClaveCodeHolder  *holder,
                                           gint64                  now,
                                           ClaveCodeSent          *sent,
                                           GError                **error);
/* TRUE when @code is the holder's current code. Otherwise sets
 * no_code_sent, code_expired, too_many_attempts, invalid_code (with
 * attempts_left) or, at the last attempt, @locked_error; the wrong code is
 * counted for the holder and the person. */
gboolean _clave_codes_verify              (ClaveServer            *self,
                                           const ClaveCodeHolder  *holder,
                                           const char             *code,
                                           ClaveProtocolError      locked_error,
                                           gint64                  now,
                                           GError                **error);

G_END_DECLS
