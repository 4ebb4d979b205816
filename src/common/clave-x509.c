/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-x509"

#include "config.h"

#include <gnutls/x509.h>
#include <string.h>

#include "clave-document.h"
#include "clave-protocol.h"
#include "clave-x509.h"

#define OID_COMMON_NAME   "2.5.4.3"
#define OID_SURNAME       "2.5.4.4"
#define OID_SERIAL_NUMBER "2.5.4.5"
#define OID_ORGANIZATION  "2.5.4.10"
#define OID_GIVEN_NAME    "2.5.4.42"

/* The issuer O of every DNIe certificate. */
#define DNIE_ISSUER_O     "DIRECCION GENERAL DE LA POLICIA"

/* ETSI EN 319 412-1 semantics identifiers that FNMT-style certificates put
 * before the NIF in serialNumber. */
static const char * const serial_prefixes[] = { "IDCES-", "VATES-" };

/* ASN.1 universal tags of the string types a DN may use. */
enum {
  TAG_UTF8_STRING      = 12,
  TAG_PRINTABLE_STRING = 19,
  TAG_TELETEX_STRING   = 20,
  TAG_IA5_STRING       = 22,
  TAG_UNIVERSAL_STRING = 28,
  TAG_BMP_STRING       = 30,
};

/* An attribute value as UTF-8. GnuTLS's own text form escapes RFC 4514
 * specials (the comma of "VIDAL SOLER, MARTA"), which is not the name, so
 * the raw value is decoded here. NULL for other types, text with NUL
 * characters, or bytes that do not decode. */
static char *
decode_string_value (const gnutls_datum_t *value,
                     unsigned long         tag)
{
  const char *data = (const char *) value->data;
  gsize size = value->size;
  g_autofree char *text = NULL;
  gsize written = 0;

  switch (tag)
    {
    case TAG_UTF8_STRING:
    case TAG_PRINTABLE_STRING:
    case TAG_IA5_STRING:
      text = g_strndup (data, size);
      written = size;
      break;
    case TAG_TELETEX_STRING:
      /* T.61 in theory; in practice issuers put Latin-1 there. */
      text = g_convert (data, (gssize) size, "UTF-8", "ISO-8859-1", NULL, &written, NULL);
      break;
    case TAG_BMP_STRING:
      text = g_convert (data, (gssize) size, "UTF-8", "UTF-16BE", NULL, &written, NULL);
      break;
    case TAG_UNIVERSAL_STRING:
      text = g_convert (data, (gssize) size, "UTF-8", "UTF-32BE", NULL, &written, NULL);
      break;
    default:
      return NULL;
    }

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return NULL;
  /* A NUL inside, in any encoding, would make the name compare or show as
   * something else. */
  if (strlen (text) != written)
    return NULL;
  if (tag == TAG_PRINTABLE_STRING || tag == TAG_IA5_STRING)
    {
      for (const char *p = text; *p != '\0'; p++)
        if ((guchar) *p >= 0x80)
          return NULL;
    }

  return g_steal_pointer (&text);
}

static gboolean
oid_equal (const gnutls_datum_t *datum,
           const char           *oid)
{
  gsize len = datum->size;

  if (len > 0 && datum->data[len - 1] == '\0')
    len--;
  return len == strlen (oid) && memcmp (datum->data, oid, len) == 0;
}

/* The value of @oid in the subject or issuer DN, as UTF-8; NULL when
 * absent or not text, or, with @unique, when the DN holds it more than
 * once (an identity must not depend on which of two values is read). */
static char *
dn_attribute (gnutls_x509_crt_t  crt,
              gboolean           issuer,
              const char        *oid,
              gboolean           unique)
{
  gnutls_x509_dn_t dn = NULL;
  g_autofree char *found = NULL;
  int ret;

  ret = issuer ? gnutls_x509_crt_get_issuer (crt, &dn) : gnutls_x509_crt_get_subject (crt, &dn);
  if (ret < 0)
    return NULL;

  /* The dn belongs to the certificate: it is not freed here. */
  for (int irdn = 0; ; irdn++)
    {
      for (int iava = 0; ; iava++)
        {
          gnutls_x509_ava_st ava;

          ret = gnutls_x509_dn_get_rdn_ava (dn, irdn, iava, &ava);
          if (ret < 0)
            {
              if (iava == 0)
                return g_steal_pointer (&found);   /* no such RDN: the DN is done */
              break;
            }
          /* GnuTLS counts the OID's terminating NUL in its size. */
          if (!oid_equal (&ava.oid, oid))
            continue;
          if (!unique)
            return decode_string_value (&ava.value, ava.value_tag);
          if (found != NULL)
            return NULL;
          found = decode_string_value (&ava.value, ava.value_tag);
          if (found == NULL)
            return NULL;
        }
    }
}

/* The DNI/NIE a serialNumber carries, exactly as written (no case or
 * spacing fixes: a certificate is not something a person typed). */
static char *
document_from_serial (const char *serial,
                      gboolean   *prefixed)
{
  const char *candidate = serial;
  g_autofree char *normalized = NULL;

  *prefixed = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (serial_prefixes); i++)
    {
      if (g_str_has_prefix (serial, serial_prefixes[i]))
        {
          candidate = serial + strlen (serial_prefixes[i]);
          *prefixed = TRUE;
          break;
        }
    }

  if (clave_document_validate (candidate, &normalized, NULL) == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    return NULL;
  if (g_strcmp0 (normalized, candidate) != 0)
    return NULL;

  return g_steal_pointer (&normalized);
}

ClaveX509Identity *
clave_x509_identity_from_der (GBytes  *der,
                              GError **error)
{
  g_autoptr(ClaveX509Identity) identity = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum;
  g_autofree char *serial = NULL;
  gsize size;
  int ret;

  g_return_val_if_fail (der != NULL, NULL);

  datum.data = (unsigned char *) g_bytes_get_data (der, &size);
  datum.size = (unsigned int) size;
  if (size == 0 || size > G_MAXUINT)
    {
      g_set_error_literal (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                           "Empty certificate");
      return NULL;
    }

  ret = gnutls_x509_crt_init (&crt);
  if (ret < 0)
    {
      g_set_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_FAILED,
                   "gnutls_x509_crt_init: %s", gnutls_strerror (ret));
      return NULL;
    }

  ret = gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER);
  if (ret < 0)
    {
      gnutls_x509_crt_deinit (crt);
      g_set_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_INVALID_DATA,
                   "Not an X.509 certificate: %s", gnutls_strerror (ret));
      return NULL;
    }

  identity = g_new0 (ClaveX509Identity, 1);
  identity->given_name = dn_attribute (crt, FALSE, OID_GIVEN_NAME, FALSE);
  identity->surnames = dn_attribute (crt, FALSE, OID_SURNAME, FALSE);
  identity->common_name = dn_attribute (crt, FALSE, OID_COMMON_NAME, FALSE);
  identity->issuer_cn = dn_attribute (crt, TRUE, OID_COMMON_NAME, FALSE);
  identity->issuer_o = dn_attribute (crt, TRUE, OID_ORGANIZATION, FALSE);
  identity->not_before = (gint64) gnutls_x509_crt_get_activation_time (crt);
  identity->not_after = (gint64) gnutls_x509_crt_get_expiration_time (crt);

  serial = dn_attribute (crt, FALSE, OID_SERIAL_NUMBER, TRUE);
  if (serial != NULL)
    {
      gboolean prefixed;

      identity->document = document_from_serial (serial, &prefixed);
      identity->dnie_style = identity->document != NULL && !prefixed &&
                             g_strcmp0 (identity->issuer_o, DNIE_ISSUER_O) == 0;
    }

  gnutls_x509_crt_deinit (crt);
  return g_steal_pointer (&identity);
}

void
clave_x509_identity_free (ClaveX509Identity *identity)
{
  if (identity == NULL)
    return;

  g_free (identity->document);
  g_free (identity->given_name);
  g_free (identity->surnames);
  g_free (identity->common_name);
  g_free (identity->issuer_cn);
  g_free (identity->issuer_o);
  g_free (identity);
}

static gboolean
strip_suffix (char       *text,
              const char *suffix)
{
  gsize len = strlen (text);
  gsize suffix_len = strlen (suffix);

  if (len <= suffix_len || strcmp (text + len - suffix_len, suffix) != 0)
    return FALSE;

  text[len - suffix_len] = '\0';
  return TRUE;
}

char *
clave_x509_identity_holder_name (const ClaveX509Identity *identity)
{
  static const char * const usage_suffixes[] = {
    " (AUTENTICACIÓN)", " (AUTENTICACION)", " (FIRMA)",
  };
  g_autofree char *name = NULL;
  char *dash;

  g_return_val_if_fail (identity != NULL, NULL);

  if (identity->common_name == NULL || *identity->common_name == '\0')
    {
      if (identity->given_name != NULL && identity->surnames != NULL)
        return g_strconcat (identity->given_name, " ", identity->surnames, NULL);
      if (identity->given_name != NULL)
        return g_strdup (identity->given_name);
      return g_strdup (identity->surnames);
    }

  name = g_strdup (identity->common_name);
  for (gsize i = 0; i < G_N_ELEMENTS (usage_suffixes); i++)
    {
      if (strip_suffix (name, usage_suffixes[i]))
        break;
    }

  /* FNMT: "GARCIA PEREZ LUCIA - 12345678Z". Only a real document number
   * after the last " - " is dropped, so names with hyphens stay whole. */
  dash = g_strrstr (name, " - ");
  if (dash != NULL && dash != name)
    {
      const char *tail = dash + 3;
      g_autofree char *normalized = NULL;

      if (clave_document_validate (tail, &normalized, NULL) != CLAVE_DOCUMENT_TYPE_UNKNOWN &&
          g_strcmp0 (normalized, tail) == 0)
        *dash = '\0';
    }

  return g_strdup (g_strstrip (name));
}

GBytes *
clave_certificate_proof_data (const char *purpose,
                              const char *challenge_id,
                              const char *challenge)
{
  char *text;

  g_return_val_if_fail (purpose != NULL, NULL);
  g_return_val_if_fail (challenge_id != NULL, NULL);
  g_return_val_if_fail (challenge != NULL, NULL);

  text = g_strconcat (CLAVE_CERTIFICATE_PROOF_PREFIX, purpose, "\n",
                      challenge_id, "\n", challenge, NULL);
  return g_bytes_new_take (text, strlen (text));
}

char *
clave_x509_dn_display_name (const char *dn)
{
  GString *value;
  const char *p;

  g_return_val_if_fail (dn != NULL, NULL);

  /* RFC 4514: RDNs separated by unescaped commas, most specific first. */
  for (p = dn; *p != '\0';)
    {
      if (g_ascii_strncasecmp (p, "CN=", 3) == 0)
        {
          value = g_string_new (NULL);
          for (p += 3; *p != '\0' && *p != ',' && *p != '+'; p++)
            {
              if (*p == '\\' && p[1] != '\0')
                p++;
              g_string_append_c (value, *p);
            }
          if (value->len > 0)
            {
              g_autofree char *text = g_string_free (value, FALSE);

              return g_utf8_make_valid (text, -1);
            }
          g_string_free (value, TRUE);
          break;
        }

      /* The next RDN. */
      for (; *p != '\0' && *p != ','; p++)
        if (*p == '\\' && p[1] != '\0')
          p++;
      if (*p == ',')
        p++;
    }

  return g_utf8_make_valid (dn, -1);
}
