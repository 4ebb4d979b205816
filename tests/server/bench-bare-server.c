/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib-unix.h>
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
 *   bench-bare-server CERT KEY [--libsoup]
 *
 * prints "bare listening on https://127.0.0.1:PORT" and serves until
 * SIGTERM. */

static void
handle (SoupServer        *soup,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  static const char answer[] = "{\"status\":\"confirmed\"}";
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, answer,
                                    sizeof answer - 1);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
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
  gboolean use_libsoup = argc == 4 && g_str_equal (argv[3], "--libsoup");
  ClaveTransportLimits limits = {
    .handshake_timeout = CLAVE_TRANSPORT_HANDSHAKE_TIMEOUT_DEFAULT,
    .header_timeout = CLAVE_TRANSPORT_HEADER_TIMEOUT_DEFAULT,
    .body_timeout = CLAVE_TRANSPORT_BODY_TIMEOUT_DEFAULT,
    .idle_timeout = CLAVE_TRANSPORT_IDLE_TIMEOUT_DEFAULT,
    .max_connections = CLAVE_TRANSPORT_MAX_CONNECTIONS_DEFAULT,
    .max_connections_per_address = CLAVE_TRANSPORT_MAX_PER_ADDRESS_DEFAULT,
  };
  guint port;

  if (argc != 3 && !use_libsoup)
    {
      g_printerr ("usage: bench-bare-server CERT KEY [--libsoup]\n");
      return 2;
    }
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
      soup_server_add_handler (soup, NULL, handle, NULL, NULL);
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
      soup_server_add_handler (soup, NULL, handle, NULL, NULL);
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
  return 0;
}
