/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A real clave-server for tests: a temporary state dir seeded with the
 * demo data (clave-admin seed-demo), listening on a free loopback port.
 * The binaries come from the environment variables CLAVE_SERVER and
 * CLAVE_ADMIN (each suite's meson.build sets them). Every call blocks (with a
 * timeout); none needs a main loop. */
typedef struct _ClaveTestServer ClaveTestServer;

/* The demo data every fixture server starts with (clave-admin seed-demo). */
#define CLAVE_TEST_LUCIA_DOCUMENT     "12345678Z"      /* DNI, registered */
#define CLAVE_TEST_LUCIA_VALIDITY     "2031-05-04"
#define CLAVE_TEST_LUCIA_PHONE        "+34600111789"
#define CLAVE_TEST_ANTONIO_DOCUMENT   "00000023T"      /* permanent DNI, registered */
#define CLAVE_TEST_ANTONIO_ISSUE      "2015-03-10"
#define CLAVE_TEST_ANTONIO_PHONE      "+34600222333"
#define CLAVE_TEST_ANNA_DOCUMENT      "X1234567L"      /* NIE, registered */
#define CLAVE_TEST_ANNA_SUPPORT       "E01234567"
#define CLAVE_TEST_ANNA_PHONE         "+4915112345678"
#define CLAVE_TEST_MARTA_DOCUMENT     "87654321X"      /* DNI, NOT registered */
#define CLAVE_TEST_MARTA_VALIDITY     "2029-11-30"

typedef enum {
  CLAVE_TEST_SERVER_DEFAULT            = 0,
  /* Start without --trust-anchors: identify offers ["sms"] only and every
   * certificate proof is certificate_untrusted. */
  CLAVE_TEST_SERVER_NO_TRUST_ANCHORS   = 1 << 0,
  /* The server's log (stderr) goes to a file that
   * clave_test_server_read_log() returns, not to the test's stderr. */
  CLAVE_TEST_SERVER_LOG_TO_FILE        = 1 << 1,
} ClaveTestServerFlags;

/* Starts the server with "--state-dir DIR --port 0 --address 127.0.0.1"
 * plus @extra_args (NULL-terminated, may be NULL) and waits up to 20 s
 * for its "listening on" line. When CLAVE_TEST_PKI_DIR is set (meson sets
 * it for every suite: tests/fixtures/meson.build) and @extra_args has no
 * --trust-anchors of its own, the server also gets
 * "--trust-anchors $CLAVE_TEST_PKI_DIR/anchors", the roots of the test
 * PKI. The server logs to the test's stderr at level info (every
 * request); CLAVE_TEST_SERVER_LOG_LEVEL=debug|warning|error changes
 * that. */
ClaveTestServer *clave_test_server_start          (const char *const  *extra_args,
                                                   GError            **error);
ClaveTestServer *clave_test_server_start_with_flags (const char *const  *extra_args,
                                                   ClaveTestServerFlags flags,
                                                   GError            **error);
/* $CLAVE_TEST_PKI_DIR/@name (e.g. "lucia-fnmt.p12", "anchors"), or NULL
 * when the variable is not set. The files are those
 * tests/fixtures/make-test-pki.sh lists. */
char            *clave_test_pki_path              (const char         *name);
/* "https://127.0.0.1:PORT", no trailing slash. */
const char      *clave_test_server_get_base_url   (ClaveTestServer    *self);
/* The CA the server's certificate chains to (STATE_DIR/tls/ca.pem). */
const char      *clave_test_server_get_ca_file    (ClaveTestServer    *self);
const char      *clave_test_server_get_state_dir  (ClaveTestServer    *self);
/* Runs "clave-admin --state-dir DIR first_arg ..." and returns its stdout;
 * a non-zero exit is an error carrying its stderr. */
char            *clave_test_server_admin          (ClaveTestServer    *self,
                                                   GError            **error,
                                                   const char         *first_arg,
                                                   ...) G_GNUC_NULL_TERMINATED;
/* The 6-digit code of the newest outbox message to @phone
 * (e.g. "+34600111789"). */
char            *clave_test_server_last_sms_code  (ClaveTestServer    *self,
                                                   const char         *phone,
                                                   GError            **error);
/* The same for the newest e-mail to @email. */
char            *clave_test_server_last_email_code (ClaveTestServer   *self,
                                                    const char        *email,
                                                    GError           **error);
gboolean         clave_test_server_is_running     (ClaveTestServer    *self);
/* The server's process id (the same after it runs itself again for its
 * TLS policy). */
GPid             clave_test_server_get_pid        (ClaveTestServer    *self);
/* What the server logged so far (CLAVE_TEST_SERVER_LOG_TO_FILE only). */
char            *clave_test_server_read_log       (ClaveTestServer    *self);
/* SIGTERM, waits (up to 20 s, then SIGKILL) and asserts that the server
 * exited with status 0; its log can still be read. Once only. */
void             clave_test_server_terminate      (ClaveTestServer    *self);
/* Terminates the server if it still runs, removes the state dir and
 * frees @self. */
void             clave_test_server_stop           (ClaveTestServer    *self);

/* A citizen's browser on the service's Cl@ve Permanente activation pages
 * (/demo/permanente/), as plain HTTP: document, e-mail and activation
 * code, the SMS code from the outbox, then @password. Asserts each step
 * and returns the last page. */
char            *clave_test_server_activate_permanente (ClaveTestServer *self,
                                                        const char      *document,
                                                        const char      *email,
                                                        const char      *code,
                                                        const char      *password);

G_END_DECLS
