/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-protocol.h"

/* Limits of the service that docs/protocol.md states but that only the
 * server needs (the shared ones live in clave-protocol.h). */

/* Failed identifications (docs/security.md "Identification limits"),
 * counted per source: a client address, or a relying party's key. None
 * is per document alone, so that nobody can lock a citizen out by
 * getting their contrast data wrong on purpose. */
#define CLAVE_IDENTIFY_WINDOW_SECS          (15 * 60)
#define CLAVE_IDENTIFY_MAX_PER_ADDRESS      20
/* A relying party speaks for all the people of its website. */
#define CLAVE_IDENTIFY_MAX_PER_RP           100
#define CLAVE_IDENTIFY_MAX_PER_PAIR         5
/* The per-document backstop against guessing from many sources: past
 * this many failures in a day, sources the document is not known from
 * get one failure between them every pace. */
#define CLAVE_IDENTIFY_BACKSTOP_WINDOW_SECS (24 * 60 * 60)
#define CLAVE_IDENTIFY_BACKSTOP_FAILURES    20
#define CLAVE_IDENTIFY_BACKSTOP_PACE_SECS   (5 * 60)
/* While the backstop holds, a source that failed for the document within
 * this time takes none of its paced slots: one stranger alone cannot
 * keep every new source out by failing once a pace. */
#define CLAVE_IDENTIFY_BACKSTOP_SOURCE_SECS (60 * 60)
/* A source is known for a document this long after it identified the
 * document rightly or the citizen's device connected from it. */
#define CLAVE_KNOWN_SOURCE_KEEP_SECS        (30 * 24 * 60 * 60)

/* Per citizen, over all activations (docs/protocol.md "2. Send the SMS
 * code" and "3. Verify the code"): without these, anyone who knows a
 * DNI and its contrast data could start activation after activation,
 * each with fresh SMS sends and fresh code attempts. */
#define CLAVE_SMS_SENDS_HOUR_SECS           (60 * 60)
#define CLAVE_SMS_SENDS_MAX_PER_HOUR        5
#define CLAVE_SMS_SENDS_DAY_SECS            (24 * 60 * 60)
#define CLAVE_SMS_SENDS_MAX_PER_DAY         10
#define CLAVE_WRONG_CODES_WINDOW_SECS       (24 * 60 * 60)
#define CLAVE_WRONG_CODES_MAX_PER_CITIZEN   10

/* A nonce must be remembered as long as a signature carrying it can still
 * be accepted: created may be up to the window in the future, and is
 * accepted up to the window after that. */
#define CLAVE_NONCE_KEEP_SECS               (2 * CLAVE_SIGNATURE_WINDOW_SECS + 60)

/* Past authentication requests (the devices' history) are deleted this
 * many days after they were made (clave-server --request-retention-days):
 * long enough for a person to look back at a season of logins, short
 * enough that the service does not keep where everyone logged in for
 * ever, nor a table that grows without end. At least a day: a request
 * lives minutes. */
#define CLAVE_REQUEST_RETENTION_DAYS_DEFAULT  180
#define CLAVE_REQUEST_RETENTION_DAYS_MIN      1
#define CLAVE_REQUEST_RETENTION_DAYS_MAX      3650

/* Rows nobody needs any more are dropped this long after they expire. */
#define CLAVE_PURGE_GRACE_SECS              (24 * 60 * 60)

/* The outbox is where SMS sends are counted: it must keep them as long as
 * they count. */
G_STATIC_ASSERT (CLAVE_SMS_SENDS_DAY_SECS <= CLAVE_PURGE_GRACE_SECS);
G_STATIC_ASSERT (CLAVE_SMS_SENDS_HOUR_SECS <= CLAVE_SMS_SENDS_DAY_SECS);
/* Failures are kept for the longest window they count in, the window in
 * which the device hears of them (CLAVE_PUSH_FAILURES_*). */
G_STATIC_ASSERT (CLAVE_IDENTIFY_WINDOW_SECS <= CLAVE_IDENTIFY_BACKSTOP_WINDOW_SECS);
G_STATIC_ASSERT (CLAVE_IDENTIFY_BACKSTOP_WINDOW_SECS == CLAVE_PUSH_FAILURES_WINDOW_SECS);

/* Challenges for certificate proofs (docs/protocol.md "Certificate
 * proofs"): each is a row, so a client address gets a bounded number. */
#define CLAVE_CHALLENGE_WINDOW_SECS         (10 * 60)
#define CLAVE_CHALLENGE_MAX_PER_ADDRESS     60
#define CLAVE_EMAIL_MAX                     254

#define CLAVE_SMS_RESEND_INTERVAL_DEFAULT   30
#define CLAVE_DEVICE_NAME_MAX               200

/* Cl@ve Permanente (docs/protocol.md "Cl@ve Permanente"): an activation
 * code is 12 characters of an alphabet without look-alikes (60 bits),
 * valid for 30 days, blocked after 5 wrong tries. */
#define CLAVE_PERMANENTE_CODE_LENGTH        12
#define CLAVE_PERMANENTE_CODE_TTL_SECS      (30 * 24 * 60 * 60)
#define CLAVE_PERMANENTE_CODE_MAX_ATTEMPTS  5
/* 5 wrong passwords in a row block the password. */
#define CLAVE_PERMANENTE_PASSWORD_MAX_ATTEMPTS 5
