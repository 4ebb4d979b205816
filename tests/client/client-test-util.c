/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "client-test-util"

#include "config.h"

#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "client-test-util.h"

#define CHECK(expr) g_assert_cmpint ((expr), >=, 0)

static char *
datum_to_pem (gnutls_datum_t *out)
{
  char *pem = g_strndup ((const char *) out->data, out->size);

  gnutls_free (out->data);
  return pem;
}

void
client_test_make_certificate (char **cert_pem,
                              char **key_pem)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  const guint8 loopback[4] = { 127, 0, 0, 1 };
  const guint8 serial[4] = { 0x01, 0x02, 0x03, 0x04 };
  time_t now = time (NULL);
  gnutls_datum_t out = { NULL, 0 };

  CHECK (gnutls_x509_privkey_init (&key));
  CHECK (gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                       GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0));
  CHECK (gnutls_x509_crt_init (&crt));
  CHECK (gnutls_x509_crt_set_version (crt, 3));
  CHECK (gnutls_x509_crt_set_serial (crt, serial, sizeof serial));
  CHECK (gnutls_x509_crt_set_activation_time (crt, now - 3600));
  CHECK (gnutls_x509_crt_set_expiration_time (crt, now + 24 * 3600));
  CHECK (gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                        "localhost", strlen ("localhost")));
  CHECK (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost",
                                               strlen ("localhost"), GNUTLS_FSAN_SET));
  CHECK (gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, loopback,
                                               sizeof loopback, GNUTLS_FSAN_APPEND));
  CHECK (gnutls_x509_crt_set_basic_constraints (crt, 1, -1));
  CHECK (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                             GNUTLS_KEY_KEY_CERT_SIGN));
  CHECK (gnutls_x509_crt_set_key (crt, key));
  CHECK (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0));

  CHECK (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out));
  *cert_pem = datum_to_pem (&out);
  CHECK (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &out));
  *key_pem = datum_to_pem (&out);

  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

GTlsCertificate *
client_test_make_tls_certificate (const char  *dir,
                                  char       **ca_file)
{
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *both = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;

  client_test_make_certificate (&cert_pem, &key_pem);
  *ca_file = g_build_filename (dir, "ca.pem", NULL);
  g_file_set_contents (*ca_file, cert_pem, -1, &error);
  g_assert_no_error (error);

  both = g_strconcat (cert_pem, key_pem, NULL);
  certificate = g_tls_certificate_new_from_pem (both, -1, &error);
  g_assert_no_error (error);
  return certificate;
}

void
client_test_store_result (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

void
client_test_wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

void
client_test_assert_finalize (gpointer object)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  g_assert_true (G_IS_OBJECT (object));
  while (g_atomic_int_get (&G_OBJECT (object)->ref_count) > 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  g_assert_finalize_object (object);
}

guint16
client_test_closed_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

static void
copy_tree (const char *from,
           const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *quoted_from = g_shell_quote (from);
  g_autofree char *quoted_to = g_shell_quote (to);
  g_autofree char *command = g_strdup_printf ("cp -R %s/. %s", quoted_from, quoted_to);
  int status = 0;

  g_assert_cmpint (g_mkdir_with_parents (to, 0700), ==, 0);
  g_spawn_command_line_sync (command, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

char **
client_test_setup_softhsm (const char         *dir,
                           const char * const *people)
{
  g_autoptr(GPtrArray) serials = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *tokens = g_build_filename (dir, "tokens", NULL);
  g_autofree char *conf = g_build_filename (dir, "softhsm2.conf", NULL);
  g_autofree char *reader = g_build_filename (dir, "reader", NULL);
  g_autofree char *conf_text = NULL;

  for (gsize i = 0; people[i] != NULL; i++)
    {
      g_autofree char *variable = g_ascii_strup (people[i], -1);
      g_autofree char *name = g_strconcat ("CLAVE_TEST_SOFTHSM_", variable, NULL);
      const char *token_dir = g_getenv (name);
      g_autofree char *from = NULL;
      g_autofree char *serial_path = NULL;
      char *serial = NULL;

      if (token_dir == NULL || token_dir[0] == '\0')
        {
          g_test_skip_printf ("%s is not set (SoftHSM2, OpenSC or gnutls-bin missing)", name);
          return NULL;
        }

      from = g_build_filename (token_dir, "tokens", NULL);
      copy_tree (from, tokens);
      serial_path = g_build_filename (token_dir, "serial", NULL);
      g_file_get_contents (serial_path, &serial, NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (serials, g_strstrip (serial));
    }

  conf_text = g_strdup_printf ("directories.tokendir = %s\nobjectstore.backend = file\n"
                               "log.level = ERROR\nslots.removable = false\n", tokens);
  g_file_set_contents (conf, conf_text, -1, &error);
  g_assert_no_error (error);
  g_setenv ("SOFTHSM2_CONF", conf, TRUE);

  g_assert_cmpint (g_mkdir_with_parents (reader, 0700), ==, 0);
  g_setenv ("CLAVE_TEST_READER_STATE", reader, TRUE);

  g_ptr_array_add (serials, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&serials), FALSE);
}


GBytes *
client_test_pem_file_to_der (const char *path)
{
  g_autofree char *pem = NULL;
  g_autoptr(GError) error = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum, der = { NULL, 0 };
  gsize length = 0;
  GBytes *bytes;

  g_file_get_contents (path, &pem, &length, &error);
  g_assert_no_error (error);
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) length;
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &der), ==, 0);
  bytes = g_bytes_new (der.data, der.size);
  gnutls_free (der.data);
  gnutls_x509_crt_deinit (crt);
  return bytes;
}
