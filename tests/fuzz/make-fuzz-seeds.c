/* SPDX-License-Identifier: GPL-3.0-or-later */

/* make-fuzz-seeds OUTDIR PKI-DIR [STAMP]
 *
 * The seeds of the fuzz targets that would be binaries in git, made at
 * build time instead (docs/fuzzing.md): certificate proofs signed by the
 * test PKI's people (OUTDIR/cert-proof), its certificates as DER and PEM
 * (OUTDIR/x509), QR code images (OUTDIR/qr) and keys and a sealed box
 * (OUTDIR/crypto). Without the PKI (no certtool) only the QR codes and the
 * keys are made. OUTDIR is written afresh; STAMP, if given, is touched at
 * the end (meson's custom_target output). */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <qrencode.h>

#include "clave-crypto.h"
#include "clave-protocol.h"
#include "clave-x509.h"

/* fuzz-cert-proof.c's store hands out this challenge for every id. */
#define FUZZ_CHALLENGE "ZnV6ei1jaGFsbGVuZ2UtMDEyMzQ1Njc4OQ"

static void die (const char *format,
                 ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

static void
die (const char *format,
     ...)
{
  va_list args;

  va_start (args, format);
  fprintf (stderr, "make-fuzz-seeds: ");
  vfprintf (stderr, format, args);
  fprintf (stderr, "\n");
  va_end (args);
  exit (1);
}

static void
write_seed (const char *dir,
            const char *name,
            const void *data,
            gsize       size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (dir, 0755) != 0 ||
      !g_file_set_contents (path, data, (gssize) size, &error))
    die ("cannot write %s: %s", path, error != NULL ? error->message : g_strerror (errno));
}

static void
write_text (const char *dir,
            const char *name,
            const char *text)
{
  write_seed (dir, name, text, strlen (text));
}

/* The DER of every certificate of a PEM file, leaf first. */
static GPtrArray *
read_chain (const char *pki,
            const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.pem", pki, name);
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_datum_t datum;
  gnutls_x509_crt_t *list = NULL;
  unsigned int n = 0;
  GPtrArray *ders = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  if (!g_file_get_contents (path, &pem, &len, NULL))
    die ("cannot read %s", path);
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  if (gnutls_x509_crt_list_import2 (&list, &n, &datum, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0)
    die ("%s holds no certificate", path);
  for (unsigned int i = 0; i < n; i++)
    {
      gnutls_datum_t der = { NULL, 0 };

      if (gnutls_x509_crt_export2 (list[i], GNUTLS_X509_FMT_DER, &der) < 0)
        die ("cannot export %s", path);
      g_ptr_array_add (ders, g_bytes_new (der.data, der.size));
      gnutls_free (der.data);
      gnutls_x509_crt_deinit (list[i]);
    }
  gnutls_free (list);
  return ders;
}

static GBytes *
read_der (const char *pki,
          const char *name)
{
  g_autoptr(GPtrArray) chain = read_chain (pki, name);

  return g_bytes_ref (g_ptr_array_index (chain, 0));
}

/* Signs the certificate proof data of the "registration" purpose with the
 * person's key, as a card would (DER ECDSA, or RSA PKCS#1 v1.5). */
static char *
sign_proof (const char *pki,
            const char *name,
            const char *challenge_id,
            gboolean   *ecdsa)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.key", pki, name);
  g_autofree char *pem = NULL;
  g_autoptr(GBytes) data = clave_certificate_proof_data (CLAVE_PROOF_PURPOSE_REGISTRATION,
                                                         challenge_id, FUZZ_CHALLENGE);
  gnutls_privkey_t key = NULL;
  gnutls_datum_t datum, signature = { NULL, 0 };
  gsize len = 0;
  char *b64;

  if (!g_file_get_contents (path, &pem, &len, NULL))
    die ("cannot read %s", path);
  datum.data = (unsigned char *) pem;
  datum.size = (unsigned int) len;
  if (gnutls_privkey_init (&key) < 0 ||
      gnutls_privkey_import_x509_raw (key, &datum, GNUTLS_X509_FMT_PEM, NULL, 0) < 0)
    die ("cannot import %s", path);
  *ecdsa = gnutls_privkey_get_pk_algorithm (key, NULL) == GNUTLS_PK_ECDSA;

  datum.data = (unsigned char *) g_bytes_get_data (data, &len);
  datum.size = (unsigned int) len;
  if (gnutls_privkey_sign_data2 (key, *ecdsa ? GNUTLS_SIGN_ECDSA_SHA256 : GNUTLS_SIGN_RSA_SHA256,
                                 0, &datum, &signature) < 0)
    die ("cannot sign with %s", path);
  b64 = clave_base64url_encode (signature.data, signature.size);
  gnutls_free (signature.data);
  gnutls_privkey_deinit (key);
  return b64;
}

static char *
base64 (GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return g_base64_encode (data, len);
}

/* {"proof": {...}} with the certificates of @names, leaf first. */
static void
write_proof (const char         *dir,
             const char         *seed,
             const char         *pki,
             const char         *signer,
             const char * const *names,
             const char         *challenge_id)
{
  g_autoptr(GString) json = g_string_new (NULL);
  gboolean ecdsa = FALSE;
  g_autofree char *signature = sign_proof (pki, signer, challenge_id, &ecdsa);

  g_string_append_printf (json, "{\"proof\": {\"challenge_id\": \"%s\", \"algorithm\": \"%s\", "
                          "\"signature\": \"%s\", \"certificates\": [",
                          challenge_id,
                          ecdsa ? CLAVE_PROOF_ALG_ECDSA_SHA256 : CLAVE_PROOF_ALG_RSA_SHA256,
                          signature);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GBytes) der = read_der (pki, names[i]);
      g_autofree char *b64 = base64 (der);

      g_string_append_printf (json, "%s\"%s\"", i > 0 ? ", " : "", b64);
    }
  g_string_append (json, "]}}\n");
  write_text (dir, seed, json->str);
}

static void
make_cert_proofs (const char *outdir,
                  const char *pki)
{
  g_autofree char *dir = g_build_filename (outdir, "cert-proof", NULL);
  const struct {
    const char *seed;
    const char *signer;
    const char *chain[6];   /* NULL-terminated */
    const char *challenge_id;
  } proofs[] = {
    /* What passes: DNIe with and without its intermediate, FNMT RSA and
     * ECDSA. */
    { "dnie-auth-chain.json", "lucia-dnie-auth", { "lucia-dnie-auth", "dnie-int" }, "ch_fuzz" },
    { "dnie-auth-leaf.json", "marta-dnie-auth", { "marta-dnie-auth" }, "ch_fuzz" },
    { "fnmt-ecdsa.json", "lucia-fnmt", { "lucia-fnmt", "fnmt-int" }, "ch_fuzz" },
    { "fnmt-rsa-root.json", "antonio-fnmt",
      { "antonio-fnmt", "fnmt-int", "fnmt-root" }, "ch_fuzz" },
    /* What does not: each refusal of the verification. */
    { "dnie-sign.json", "lucia-dnie-sign", { "lucia-dnie-sign", "dnie-int" }, "ch_fuzz" },
    { "expired.json", "expired", { "expired", "fnmt-int" }, "ch_fuzz" },
    { "untrusted.json", "untrusted", { "untrusted", "untrusted-ca" }, "ch_fuzz" },
    { "issuer-unknown.json", "untrusted", { "untrusted" }, "ch_fuzz" },
    { "no-identity.json", "no-identity", { "no-identity", "fnmt-int" }, "ch_fuzz" },
    { "used-challenge.json", "marta-fnmt", { "marta-fnmt" }, "ch_used" },
    { "wrong-signer.json", "marta-fnmt", { "antonio-fnmt" }, "ch_fuzz" },
    { "loop.json", "lucia-fnmt",
      { "lucia-fnmt", "dnie-int", "fnmt-int", "dnie-root", "fnmt-root" }, "ch_fuzz" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (proofs); i++)
    write_proof (dir, proofs[i].seed, pki, proofs[i].signer, proofs[i].chain,
                 proofs[i].challenge_id);
}

static void
make_x509 (const char *outdir,
           const char *pki)
{
  static const char * const names[] = {
    "lucia-dnie-auth", "marta-dnie-sign", "lucia-fnmt", "antonio-fnmt", "expired",
    "untrusted", "no-identity", "dnie-int", "fnmt-root", "untrusted-ca",
  };
  g_autofree char *dir = g_build_filename (outdir, "x509", NULL);
  g_autoptr(GString) chain = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GBytes) der = read_der (pki, names[i]);
      g_autofree char *seed = g_strdup_printf ("%s.der", names[i]);
      g_autofree char *pem_path = g_strdup_printf ("%s/%s.pem", pki, names[i]);
      g_autofree char *pem = NULL;
      gsize len;

      write_seed (dir, seed, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
      if (g_file_get_contents (pem_path, &pem, &len, NULL) && i < 3)
        g_string_append_len (chain, pem, (gssize) len);
    }
  /* Several PEM certificates in one file, as a trust anchors folder may
   * hold them. */
  write_text (dir, "chain.pem", chain->str);
}

/* A QR code of @text as fuzz-qr.c reads it: header, then pixels. */
static void
write_qr (const char *dir,
          const char *seed,
          const char *text,
          int         module_px,
          int         channels,
          gboolean    bgr,
          int         padding)
{
  QRcode *code = QRcode_encodeString (text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
  int quiet = 4, size, stride;
  g_autofree guint8 *pixels = NULL;
  g_autofree char *header = NULL;
  g_autoptr(GByteArray) seed_bytes = g_byte_array_new ();
  gsize total;

  if (code == NULL)
    die ("cannot encode %s", text);
  size = (code->width + 2 * quiet) * module_px;
  stride = size * channels + padding;
  total = (gsize) (size - 1) * stride + (gsize) size * channels;
  pixels = g_malloc (total);
  memset (pixels, 0xff, total);
  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      if (code->data[y * code->width + x] & 1)
        for (int dy = 0; dy < module_px; dy++)
          for (int dx = 0; dx < module_px; dx++)
            {
              guint8 *p = pixels + (gsize) ((y + quiet) * module_px + dy) * stride +
                          (gsize) ((x + quiet) * module_px + dx) * channels;

              /* Dark blue on white, so that the channels differ. */
              for (int c = 0; c < MIN (channels, 3); c++)
                p[c] = channels == 1 ? 0 : (c == (bgr ? 0 : 2) ? 0x60 : 0x10);
            }
  QRcode_free (code);

  header = g_strdup_printf ("%d %d %d %d %d\n", size, size, padding, channels, bgr ? 1 : 0);
  g_byte_array_append (seed_bytes, (const guint8 *) header, (guint) strlen (header));
  g_byte_array_append (seed_bytes, pixels, (guint) total);
  write_seed (dir, seed, seed_bytes->data, seed_bytes->len);
}

static void
make_qr (const char *outdir)
{
  g_autofree char *dir = g_build_filename (outdir, "qr", NULL);
  const char *uri = "clave:request?id=req_SeedQr0123456789&code=583";

  write_qr (dir, "gray.qr", uri, 2, 1, FALSE, 0);
  write_qr (dir, "gray-padded.qr", "  clave:request?code=042&id=req_seed-qr_0001\n", 2, 1, FALSE, 3);
  write_qr (dir, "rgb.qr", "CLAVE:request?id=req_UPPERCASE1&code=999", 2, 3, FALSE, 0);
  write_qr (dir, "bgr.qr", uri, 2, 3, TRUE, 1);
  write_qr (dir, "rgba.qr", uri, 1, 4, FALSE, 0);
  write_qr (dir, "not-clave.qr", "https://www.example.org/login?code=123", 2, 1, FALSE, 0);
  write_qr (dir, "almost-clave.qr", "clave:request?id=req_short&code=12", 2, 1, FALSE, 0);
}

static void
make_crypto (const char *outdir)
{
  g_autofree char *dir = g_build_filename (outdir, "crypto", NULL);
  g_autoptr(GError) error = NULL;
  gnutls_privkey_t key = clave_ec_key_generate (&error);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) pkcs8 = NULL;
  g_autoptr(GBytes) plaintext = g_bytes_new_static ("device key", 10);
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(GByteArray) seed = NULL;
  g_autofree char *salt = NULL, *iv = NULL, *ciphertext = NULL, *text = NULL;

  if (key == NULL)
    die ("cannot make a key: %s", error->message);
  spki = clave_privkey_export_spki (key, NULL);
  pkcs8 = clave_privkey_export_pkcs8 (key, NULL);

  seed = g_byte_array_new ();
  g_byte_array_append (seed, (const guint8 *) "k", 1);
  g_byte_array_append (seed, g_bytes_get_data (spki, NULL), (guint) g_bytes_get_size (spki));
  write_seed (dir, "spki.bin", seed->data, seed->len);
  g_byte_array_set_size (seed, 0);
  g_byte_array_append (seed, (const guint8 *) "p", 1);
  g_byte_array_append (seed, g_bytes_get_data (pkcs8, NULL), (guint) g_bytes_get_size (pkcs8));
  write_seed (dir, "pkcs8.bin", seed->data, seed->len);

  /* A box that opens with "1234" (few iterations: fuzz-crypto.c caps
   * them). */
  box = clave_sealed_box_seal ("1234", 8, plaintext, NULL);
  salt = clave_base64url_encode (g_bytes_get_data (box->salt, NULL), g_bytes_get_size (box->salt));
  iv = clave_base64url_encode (g_bytes_get_data (box->iv, NULL), g_bytes_get_size (box->iv));
  ciphertext = clave_base64url_encode (g_bytes_get_data (box->ciphertext, NULL),
                                       g_bytes_get_size (box->ciphertext));
  text = g_strdup_printf ("s!%u %s %s %s\n1234", box->iterations, salt, iv, ciphertext);
  write_text (dir, "sealed-box.txt", text);

  gnutls_privkey_deinit (key);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int    argc,
      char **argv)
{
  const char *outdir, *pki;

  if (argc < 3 || argc > 4)
    die ("usage: make-fuzz-seeds OUTDIR PKI-DIR [STAMP]");
  outdir = argv[1];
  pki = argv[2];

  remove_tree (outdir);
  make_qr (outdir);
  make_crypto (outdir);
  if (g_file_test (pki, G_FILE_TEST_IS_DIR))
    {
      make_cert_proofs (outdir, pki);
      make_x509 (outdir, pki);
    }
  else
    fprintf (stderr, "make-fuzz-seeds: no test PKI in %s: no certificate seeds\n", pki);

  if (argc == 4 && !g_file_set_contents (argv[3], "", 0, NULL))
    die ("cannot write %s", argv[3]);
  return 0;
}
