/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "clave-test-files.h"

G_BEGIN_DECLS

/* A self-signed CA certificate valid for 127.0.0.1 and "localhost", made
 * at test time: @cert_pem is the certificate, @key_pem its key. Both are
 * PEM strings to be freed with g_free(). */
void          client_test_make_certificate (char         **cert_pem,
                                            char         **key_pem);

/* Writes the certificate and key into a temporary directory and returns
 * a GTlsCertificate for a server, and the path of the CA file for a
 * client that should trust it. */
GTlsCertificate *client_test_make_tls_certificate (const char  *dir,
                                                   char       **ca_file);

/* Runs the default main context until *@result is set. */
void          client_test_wait_result      (GAsyncResult **result);

/* A GAsyncReadyCallback storing a reference to the result in *user_data. */
void          client_test_store_result     (GObject       *source,
                                            GAsyncResult  *result,
                                            gpointer       user_data);

/* g_assert_finalize_object() for objects a GTask thread may still hold
 * for a moment after its callback ran (the worker drops its reference to
 * the task only after returning): waits, with a timeout, until @object
 * has no other reference. */
void          client_test_assert_finalize  (gpointer       object);

/* A loopback TCP port nothing listens on (bound, read and closed). */
guint16       client_test_closed_port      (void);

/* SoftHSM2 tokens laid out like a DNIe (tests/fixtures): copies the
 * tokens of @people ("lucia", "marta") into @dir/tokens, writes
 * @dir/softhsm2.conf and points SOFTHSM2_CONF at it, so that nothing a
 * test does touches the shared fixtures; CLAVE_TEST_READER_STATE is set to
 * @dir/reader (created) for clave-test-reader.so. Returns the tokens'
 * serial numbers in the order of @people, or NULL after g_test_skip() when
 * the fixtures were not built. SoftHSM2 reads the configuration when it is
 * initialised: finalise every token manager of the previous test first. */
char        **client_test_setup_softhsm    (const char          *dir,
                                            const char * const  *people);

/* The certificate in the PEM file @path, as DER. */
GBytes       *client_test_pem_file_to_der  (const char    *path);

G_END_DECLS
