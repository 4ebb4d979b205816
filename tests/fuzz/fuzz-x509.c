/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Certificates (src/common/clave-x509.c, src/server/clave-cert-path.c,
 * src/server/clave-trust-anchors.c): the identity the app and the service
 * read from a card's or a proof's certificate, the key limits and names
 * the service reads from every certificate of a proof, and the PEM or DER
 * files of the service's trust anchors and intermediates. The input is a
 * certificate (DER, or PEM: one or more); it is also read as a file of a
 * trust anchors folder and of an intermediates folder, and as RFC 4514
 * text for clave_x509_dn_display_name().
 *
 * Properties:
 * - a document in the identity is a valid DNI/NIE exactly as written; a
 *   DNIe-style identity has a document and the DNIe issuer; every string
 *   is valid UTF-8; the holder's name is part of the CN (or given name and
 *   surnames without a CN), NULL only without any of them;
 * - distinguished names come out as valid UTF-8, and so does the display
 *   name of any text;
 * - a trust anchors folder that loads holds at least one certificate; the
 *   intermediates that load are CA certificates and none is self-signed;
 * - errors are of the documented domains. */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <gnutls/x509.h>

#include "clave-cert-path.h"
#include "clave-document.h"
#include "clave-trust-anchors.h"
#include "clave-x509.h"
#include "fuzz-common.h"

#define DNIE_ISSUER_O "DIRECCION GENERAL DE LA POLICIA"

static char *folder;
static char *file;
static gnutls_x509_trust_list_t anchors;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_setup (0);
  folder = g_build_filename (fuzz_tmp_dir (), "certificates", NULL);
  file = g_build_filename (folder, "certificate.pem", NULL);
  g_mkdir_with_parents (folder, 0700);
  /* No anchors: the intermediates just do not chain to any. */
  gnutls_x509_trust_list_init (&anchors, 0);
  return 0;
}

static gboolean
is_utf8_or_null (const char *text)
{
  return text == NULL || g_utf8_validate (text, -1, NULL);
}

static void
check_identity (GBytes *der)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveX509Identity) identity = NULL;
  g_autofree char *holder = NULL;

  if (g_bytes_get_size (der) == 0)
    return;   /* a g_return_val_if_fail() of the caller's */

  identity = clave_x509_identity_from_der (der, &error);
  if (identity == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA),
                  "error %s", error->message);
      return;
    }

  FUZZ_CHECK (is_utf8_or_null (identity->document) && is_utf8_or_null (identity->given_name) &&
              is_utf8_or_null (identity->surnames) && is_utf8_or_null (identity->common_name) &&
              is_utf8_or_null (identity->issuer_cn) && is_utf8_or_null (identity->issuer_o),
              "an identity string is not UTF-8");

  if (identity->document != NULL)
    {
      g_autofree char *normalized = NULL;

      FUZZ_CHECK (clave_document_validate (identity->document, &normalized, NULL) !=
                  CLAVE_DOCUMENT_TYPE_UNKNOWN && g_str_equal (normalized, identity->document),
                  "document \"%s\"", identity->document);
    }
  if (identity->dnie_style)
    FUZZ_CHECK (identity->document != NULL &&
                g_strcmp0 (identity->issuer_o, DNIE_ISSUER_O) == 0, "DNIe style");

  holder = clave_x509_identity_holder_name (identity);
  FUZZ_CHECK (is_utf8_or_null (holder), "holder name");
  if (identity->common_name != NULL && identity->common_name[0] != '\0')
    FUZZ_CHECK (holder != NULL && strstr (identity->common_name, holder) != NULL,
                "holder \"%s\" is not part of CN \"%s\"", holder, identity->common_name);
  else
    FUZZ_CHECK ((holder == NULL) == (identity->given_name == NULL && identity->surnames == NULL),
                "holder \"%s\" without a CN", holder);
}

static void
check_names (gnutls_x509_crt_t crt)
{
  g_autofree char *subject = clave_cert_subject_dn (crt);
  g_autofree char *issuer = clave_cert_issuer_dn (crt);

  clave_cert_key_is_bounded (crt);
  clave_cert_is_self_signed (crt);

  FUZZ_CHECK (is_utf8_or_null (subject) && is_utf8_or_null (issuer), "DN not UTF-8");
  if (subject != NULL)
    {
      g_autofree char *display = clave_x509_dn_display_name (subject);

      FUZZ_CHECK (g_utf8_validate (display, -1, NULL), "display name of %s", subject);
    }
}

static void
check_certificates (GBytes *bytes)
{
  gnutls_datum_t datum;
  gnutls_x509_crt_t *list = NULL;
  unsigned int n = 0;
  gsize size;

  datum.data = (unsigned char *) g_bytes_get_data (bytes, &size);
  datum.size = (unsigned int) size;
  if (size == 0)
    return;

  if (gnutls_x509_crt_list_import2 (&list, &n, &datum, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0)
    {
      n = 0;
      if (gnutls_x509_crt_list_import2 (&list, &n, &datum, GNUTLS_X509_FMT_DER, 0) < 0)
        return;
    }

  for (unsigned int i = 0; i < n; i++)
    {
      gnutls_datum_t der = { NULL, 0 };

      check_names (list[i]);
      if (gnutls_x509_crt_export2 (list[i], GNUTLS_X509_FMT_DER, &der) >= 0)
        {
          g_autoptr(GBytes) der_bytes = g_bytes_new (der.data, der.size);

          check_identity (der_bytes);
          gnutls_free (der.data);
        }
      gnutls_x509_crt_deinit (list[i]);
    }
  gnutls_free (list);
}

static void
check_folders (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) intermediates_error = NULL;
  g_autoptr(GPtrArray) intermediates = NULL;
  gnutls_x509_trust_list_t list;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);
  guint n = 0;

  /* Neither atomic nor synced: a fuzzer writes thousands a second. */
  FUZZ_CHECK (g_file_set_contents_full (file, data != NULL ? data : "", (gssize) size,
                                        G_FILE_SET_CONTENTS_NONE, 0600, NULL), "write");

  list = clave_trust_anchors_load (folder, &n, &error);
  if (list != NULL)
    {
      FUZZ_CHECK (n >= 1, "anchors loaded without a certificate");
      gnutls_x509_trust_list_deinit (list, 1);
    }
  else
    FUZZ_CHECK (error != NULL && error->domain == G_IO_ERROR, "error");

  intermediates = clave_intermediates_load (folder, "intermediates", anchors, &intermediates_error);
  if (intermediates != NULL)
    {
      FUZZ_CHECK (intermediates->len >= 1, "intermediates loaded without a certificate");
      for (guint i = 0; i < intermediates->len; i++)
        {
          gnutls_x509_crt_t crt = g_ptr_array_index (intermediates, i);
          unsigned int critical = 0, ca = 0;

          FUZZ_CHECK (!clave_cert_is_self_signed (crt), "a self-signed intermediate loaded");
          FUZZ_CHECK (gnutls_x509_crt_get_basic_constraints (crt, &critical, &ca, NULL) >= 0 && ca,
                      "an intermediate that is no CA loaded");
        }
    }
  else
    FUZZ_CHECK (intermediates_error != NULL && intermediates_error->domain == G_IO_ERROR, "error");
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autofree char *text = fuzz_strndup (data, size);
  g_autofree char *display = clave_x509_dn_display_name (text);

  FUZZ_CHECK (g_utf8_validate (display, -1, NULL), "display name of \"%s\"", text);

  check_identity (bytes);
  check_certificates (bytes);
  check_folders (bytes);

  return 0;
}
