/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-protocol.h"

/* Limits of the service that docs/protocol.md states but that only the
 * server needs (the shared ones live in clave-protocol.h). */

/* Identification attempts (docs/protocol.md "1. Identify"). */
#define CLAVE_IDENTIFY_WINDOW_SECS          (15 * 60)
#define CLAVE_IDENTIFY_MAX_PER_DOCUMENT     5
#define CLAVE_IDENTIFY_MAX_PER_ADDRESS      20

/* A nonce must be remembered as long as a signature carrying it can still
 * be accepted: created may be up to the window in the future, and is
 * accepted up to the window after that. */
#define CLAVE_NONCE_KEEP_SECS               (2 * CLAVE_SIGNATURE_WINDOW_SECS + 60)

/* Rows nobody needs any more are dropped this long after they expire. */
#define CLAVE_PURGE_GRACE_SECS              (24 * 60 * 60)

#define CLAVE_SMS_RESEND_INTERVAL_DEFAULT   30
#define CLAVE_DEVICE_NAME_MAX               200
