/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Cl@ve Permanente passwords as the service keeps them: PBKDF2-HMAC-
 * SHA-256 (GnuTLS) with a random 16-byte salt and 600,000 iterations
 * (OWASP's figure for this hash), written
 * "pbkdf2-sha256$600000$<salt>$<hash>" (base64url). About 90 ms on the
 * development machine: callers on the main loop hash in a thread. */

#define CLAVE_PASSWORD_HASH_ITERATIONS     600000u
/* A stored hash claiming more is refused: a tampered row must not turn a
 * login into a denial of service. */
#define CLAVE_PASSWORD_HASH_MAX_ITERATIONS 10000000u

char     *clave_password_hash_new    (const char *password);
/* @iterations: for tests (the stored string says how many were used). */
char     *clave_password_hash_new_full (const char *password,
                                        guint       iterations);
/* TRUE when @password is the one @stored was made from; FALSE too when
 * @stored cannot be read. Compared in constant time. */
gboolean  clave_password_hash_verify (const char *password,
                                      const char *stored);

G_END_DECLS
