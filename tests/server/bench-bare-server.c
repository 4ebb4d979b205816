/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
#include <gnutls/abstract.h>
#include <signal.h>
#include <stdio.h>

#include "clave-transport.h"

/* The bare handler of bench-confirm: a process of its own that does what
 * clave-server does for a request besides the application: the same
 * transport (clave-transport.c: TLS with the service's certificate and,
 * through GNUTLS_SYSTEM_PRIORITY_FILE set by the bench, its TLS policy;
 * connection timers and caps; one libsoup message per request) and the
 * body read whole; then it answers 200 {"status":"confirmed"} at once,
 * with no signature to verify and nothing to store. With --libsoup it
 * lets libsoup listen and keep connections alive itself instead, the
 * cheapest HTTPS server libsoup makes, for comparison.
 *
 * With --verify it also checks one ECDSA P-256 signature per request in
 * a GLib worker thread, as clave-server must for every device request
 * (docs/protocol.md "Request signatures"), and answers after it: the
 * floor set by the protocol's cryptography with GnuTLS, below which no
 * implementation of the service can go. The key and the signature are
 * made at start (the signature's message is fixed: its length does not
 * change the cost of the check).
 *
 *   bench-bare-server CERT KEY [--libsoup] [--verify]
 *
 * prints "bare listening on https://127.0.0.1:PORT" and serves until
 * SIGTERM. */

static const char answer[] = "{\"status\":\"confirmed\"}";

static void
answer_confirmed (SoupServerMessage *msg)
{
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, answer,
                                    sizeof answer - 1);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

/* --verify: one key and one signature of a fixed message. */
typedef struct {
  gnutls_pubkey_t pubkey;
  gnutls_datum_t  message;
  gnutls_datum_t  signature;
} Verifier;

static void
verifier_init (Verifier *verifier)
{
  static const char message[] = "\"@method\": POST\n\"@target-uri\": https://127.0.0.1/";
  gnutls_privkey_t privkey;

  verifier->message.data = (unsigned char *) message;
  verifier->message.size = sizeof message - 1;
  g_assert_cmpint (gnutls_privkey_init (&privkey), ==, 0);
  g_assert_cmpint (gnutls_privkey_generate2 (privkey, GNUTLS_PK_ECDSA,
                                             GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                             0, NULL, 0), ==, 0);
  g_assert_cmpint (gnutls_pubkey_init (&verifier->pubkey), ==, 0);
  g_assert_cmpint (gnutls_pubkey_import_privkey (verifier->pubkey, privkey, 0, 0), ==, 0);
  g_assert_cmpint (gnutls_privkey_sign_data2 (privkey, GNUTLS_SIGN_ECDSA_SHA256, 0,
                                              &verifier->message, &verifier->signature), ==, 0);
  gnutls_privkey_deinit (privkey);
}

static void
verify_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  Verifier *verifier = task_data;

  g_task_return_boolean (task, gnutls_pubkey_verify_data2 (verifier->pubkey,
                                                           GNUTLS_SIGN_ECDSA_SHA256, 0,
                                                           &verifier->message,
                                                           &verifier->signature) >= 0);
}

static void
verified (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(SoupServerMessage) msg = user_data;

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    g_error ("bench-bare-server: the signature did not verify");
  answer_confirmed (msg);
  soup_server_message_unpause (msg);
}

static void
handle (SoupServer        *soup,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Verifier *verifier = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(GTask) task = NULL;

  if (verifier == NULL)
    {
      answer_confirmed (msg);
      return;
    }
  soup_server_message_pause (msg);
  task = g_task_new (NULL, NULL, verified, g_object_ref (msg));
  g_task_set_task_data (task, verifier, NULL);
  g_task_run_in_thread (task, verify_in_thread);
}

static gboolean
quit (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(SoupServer) soup = NULL;
  g_autoptr(ClaveTransport) transport = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gboolean use_libsoup = FALSE;
  Verifier verifier = { NULL };
  Verifier *verify = NULL;
  ClaveTransportLimits limits = {
    .handshake_timeout = CLAVE_TRANSPORT_HANDSHAKE_TIMEOUT_DEFAULT,
    .header_timeout = CLAVE_TRANSPORT_HEADER_TIMEOUT_DEFAULT,
    .body_timeout = CLAVE_TRANSPORT_BODY_TIMEOUT_DEFAULT,
    .idle_timeout = CLAVE_TRANSPORT_IDLE_TIMEOUT_DEFAULT,
    .max_connections = CLAVE_TRANSPORT_MAX_CONNECTIONS_DEFAULT,
    .max_connections_per_address = CLAVE_TRANSPORT_MAX_PER_ADDRESS_DEFAULT,
  };
  guint port;

  for (int i = 3; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--libsoup"))
        use_libsoup = TRUE;
      else if (g_str_equal (argv[i], "--verify"))
        verify = &verifier;
      else
        argc = 0;
    }
  if (argc < 3)
    {
      g_printerr ("usage: bench-bare-server CERT KEY [--libsoup] [--verify]\n");
      return 2;
    }
  if (verify != NULL)
    verifier_init (verify);
  signal (SIGPIPE, SIG_IGN);

  certificate = g_tls_certificate_new_from_files (argv[1], argv[2], &error);
  if (certificate == NULL)
    {
      g_printerr ("bench-bare-server: %s\n", error->message);
      return 1;
    }

  if (use_libsoup)
    {
      GSList *uris;

      soup = g_object_new (SOUP_TYPE_SERVER, "tls-certificate", certificate, NULL);
      soup_server_add_handler (soup, NULL, handle, verify, NULL);
      if (!soup_server_listen (soup, address, SOUP_SERVER_LISTEN_HTTPS, &error))
        {
          g_printerr ("bench-bare-server: %s\n", error->message);
          return 1;
        }
      uris = soup_server_get_uris (soup);
      port = (guint) g_uri_get_port (uris->data);
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
    }
  else
    {
      soup = g_object_new (SOUP_TYPE_SERVER, NULL);
      soup_server_add_handler (soup, NULL, handle, verify, NULL);
      transport = clave_transport_new (soup, certificate, &limits);
      if (!clave_transport_listen (transport, G_INET_SOCKET_ADDRESS (address), &error))
        {
          g_printerr ("bench-bare-server: %s\n", error->message);
          return 1;
        }
      port = g_inet_socket_address_get_port (clave_transport_get_address (transport));
    }

  printf ("bare listening on https://127.0.0.1:%u\n", port);
  fflush (stdout);
  g_unix_signal_add (SIGTERM, quit, loop);
  g_main_loop_run (loop);

  if (transport != NULL)
    clave_transport_shutdown (transport);
  soup_server_disconnect (soup);
  if (verify != NULL)
    {
      gnutls_pubkey_deinit (verify->pubkey);
      gnutls_free (verify->signature.data);
    }
  return 0;
}
