/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-certificate"

#include "config.h"

#include <glib/gi18n.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "clave-certificate-private.h"
#include "clave-token-manager.h"

struct _ClaveCertificate
{
  GObject                 parent_instance;

  ClaveCertificateSource  source;
  char                   *id;
  char                   *location;
  GPtrArray              *chain;         /* GBytes DER, leaf first */
  ClaveX509Identity      *identity;
  char                   *holder_name;
  GDateTime              *not_before;
  GDateTime              *not_after;
  gboolean                dnie;
  int                     pk_algorithm;
  gboolean                can_sign;
  ClaveTokenLocation     *token;         /* NULL for files */
};

G_DEFINE_FINAL_TYPE (ClaveCertificate, clave_certificate, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_SOURCE,
  PROP_HOLDER_NAME,
  PROP_DOCUMENT_NUMBER,
  PROP_ISSUER_NAME,
  PROP_LOCATION,
  PROP_IS_DNIE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
_clave_token_location_free (ClaveTokenLocation *location)
{
  if (location == NULL)
    return;

  g_free (location->module_path);
  g_free (location->token_label);
  g_free (location->token_serial);
  g_free (location->token_url);
  g_free (location->key_url);
  g_free (location->object_label);
  g_free (location);
}

static void
clave_certificate_finalize (GObject *object)
{
  ClaveCertificate *self = CLAVE_CERTIFICATE (object);

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->location, g_free);
  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_pointer (&self->identity, clave_x509_identity_free);
  g_clear_pointer (&self->holder_name, g_free);
  g_clear_pointer (&self->not_before, g_date_time_unref);
  g_clear_pointer (&self->not_after, g_date_time_unref);
  g_clear_pointer (&self->token, _clave_token_location_free);

  G_OBJECT_CLASS (clave_certificate_parent_class)->finalize (object);
}

static void
clave_certificate_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ClaveCertificate *self = CLAVE_CERTIFICATE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_SOURCE:
      g_value_set_int (value, self->source);
      break;
    case PROP_HOLDER_NAME:
      g_value_set_string (value, self->holder_name);
      break;
    case PROP_DOCUMENT_NUMBER:
      g_value_set_string (value, self->identity->document);
      break;
    case PROP_ISSUER_NAME:
      g_value_set_string (value, self->identity->issuer_cn);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_IS_DNIE:
      g_value_set_boolean (value, self->dnie);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_certificate_class_init (ClaveCertificateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = clave_certificate_finalize;
  object_class->get_property = clave_certificate_get_property;

  /* Read-only: a certificate never changes, so rows can bind to these. */
  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_SOURCE] = g_param_spec_int ("source", NULL, NULL,
                                              CLAVE_CERTIFICATE_SOURCE_TOKEN,
                                              CLAVE_CERTIFICATE_SOURCE_FILE,
                                              CLAVE_CERTIFICATE_SOURCE_TOKEN, flags);
  properties[PROP_HOLDER_NAME] = g_param_spec_string ("holder-name", NULL, NULL, NULL, flags);
  properties[PROP_DOCUMENT_NUMBER] = g_param_spec_string ("document-number", NULL, NULL, NULL,
                                                          flags);
  properties[PROP_ISSUER_NAME] = g_param_spec_string ("issuer-name", NULL, NULL, NULL, flags);
  properties[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL, flags);
  properties[PROP_IS_DNIE] = g_param_spec_boolean ("is-dnie", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_certificate_init (ClaveCertificate *self)
{
}

static gboolean
read_leaf (ClaveCertificate  *self,
           GError           **error)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum;
  GBytes *leaf;
  unsigned int usage = 0, critical = 0;
  gsize size = 0;
  int ret;

  if (self->chain->len == 0)
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_INVALID_FILE,
                           _("The certificate cannot be read."));
      return FALSE;
    }

  leaf = g_ptr_array_index (self->chain, 0);
  self->identity = clave_x509_identity_from_der (leaf, NULL);
  if (self->identity == NULL)
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_INVALID_FILE,
                           _("The certificate cannot be read."));
      return FALSE;
    }

  datum.data = (unsigned char *) g_bytes_get_data (leaf, &size);
  datum.size = (unsigned int) size;
  if (gnutls_x509_crt_init (&crt) < 0)
    g_error ("Out of memory");
  ret = gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER);
  if (ret < 0)
    {
      gnutls_x509_crt_deinit (crt);
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_INVALID_FILE,
                           _("The certificate cannot be read."));
      return FALSE;
    }

  self->pk_algorithm = gnutls_x509_crt_get_pk_algorithm (crt, NULL);
  ret = gnutls_x509_crt_get_key_usage (crt, &usage, &critical);
  /* Without a keyUsage extension the key may do anything (RFC 5280). */
  self->can_sign = ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ||
                   (ret >= 0 && (usage & GNUTLS_KEY_DIGITAL_SIGNATURE) != 0);
  gnutls_x509_crt_deinit (crt);

  /* A DNIe is known by its certificate (issued by the Dirección General
   * de la Policía, the bare DNI as serialNumber), whatever card, driver
   * or file it comes from. */
  self->dnie = self->identity->dnie_style;

  /* "LUCÍA GARCÍA PÉREZ", as a person says their name; the CN puts the
   * surnames first ("GARCÍA PÉREZ, LUCÍA (AUTENTICACIÓN)"). */
  if (self->identity->given_name != NULL && self->identity->given_name[0] != '\0' &&
      self->identity->surnames != NULL && self->identity->surnames[0] != '\0')
    self->holder_name = g_strconcat (self->identity->given_name, " ", self->identity->surnames,
                                     NULL);
  else
    self->holder_name = clave_x509_identity_holder_name (self->identity);
  if (self->holder_name == NULL)
    self->holder_name = g_strdup (self->identity->document ? self->identity->document : "");
  self->not_before = g_date_time_new_from_unix_utc (self->identity->not_before);
  self->not_after = g_date_time_new_from_unix_utc (self->identity->not_after);
  if (self->not_before == NULL || self->not_after == NULL)
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_INVALID_FILE,
                           _("The certificate cannot be read."));
      return FALSE;
    }

  return TRUE;
}

ClaveCertificate *
_clave_certificate_new_for_token (const char          *id,
                                  GPtrArray           *chain,
                                  ClaveTokenLocation  *location,
                                  GError             **error)
{
  g_autoptr(ClaveCertificate) self = g_object_new (CLAVE_TYPE_CERTIFICATE, NULL);

  self->source = CLAVE_CERTIFICATE_SOURCE_TOKEN;
  self->id = g_strdup (id);
  self->chain = chain;
  self->token = location;
  self->location = g_strdup (location->token_label);

  if (!read_leaf (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

ClaveCertificate *
_clave_certificate_new_for_file (const char  *path,
                                 const char  *display_name,
                                 GPtrArray   *chain,
                                 GError     **error)
{
  g_autoptr(ClaveCertificate) self = g_object_new (CLAVE_TYPE_CERTIFICATE, NULL);

  self->source = CLAVE_CERTIFICATE_SOURCE_FILE;
  self->id = g_strdup (path);
  self->chain = chain;
  self->location = g_strdup (display_name);

  if (!read_leaf (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

const ClaveTokenLocation *
_clave_certificate_get_token_location (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->token;
}

const ClaveX509Identity *
_clave_certificate_get_identity (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->identity;
}

GBytes *
_clave_certificate_get_der (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return g_ptr_array_index (self->chain, 0);
}

int
_clave_certificate_get_pk_algorithm (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), GNUTLS_PK_UNKNOWN);

  return self->pk_algorithm;
}

gboolean
_clave_certificate_can_sign (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), FALSE);

  return self->can_sign;
}

const char *
clave_certificate_get_id (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->id;
}

ClaveCertificateSource
clave_certificate_get_source (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), CLAVE_CERTIFICATE_SOURCE_TOKEN);

  return self->source;
}

const char *
clave_certificate_get_holder_name (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->holder_name;
}

const char *
clave_certificate_get_document_number (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->identity->document;
}

const char *
clave_certificate_get_issuer_name (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->identity->issuer_cn;
}

GDateTime *
clave_certificate_get_not_before (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->not_before;
}

GDateTime *
clave_certificate_get_not_after (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->not_after;
}

gboolean
clave_certificate_is_valid_now (ClaveCertificate *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), FALSE);

  return now >= self->identity->not_before && now <= self->identity->not_after;
}

gboolean
clave_certificate_is_dnie (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), FALSE);

  return self->dnie;
}

const char *
clave_certificate_get_location (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->location;
}

GPtrArray *
clave_certificate_get_chain (ClaveCertificate *self)
{
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  return self->chain;
}

char *
clave_certificate_describe (ClaveCertificate *self)
{
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;

  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (self), NULL);

  from = g_date_time_format (self->not_before, "%Y-%m-%d");
  until = g_date_time_format (self->not_after, "%Y-%m-%d");

  if (clave_certificate_is_valid_now (self))
    /* Translators: holder, DNI/NIE, issuer, valid from, valid until, where
     * ("DNI electrónico" or a file name), e.g. "LUCÍA GARCÍA PÉREZ
     * (12345678Z), issued by AC DNIE 004, valid from 2024-01-01 to
     * 2029-01-01, on DNI electrónico" */
    return g_strdup_printf (_("%s (%s), issued by %s, valid from %s to %s, on %s"),
                            self->holder_name,
                            self->identity->document ? self->identity->document : "-",
                            self->identity->issuer_cn ? self->identity->issuer_cn : "-",
                            from, until, self->location);

  /* Translators: as above, for a certificate that has expired or is not
   * valid yet */
  return g_strdup_printf (_("%s (%s), issued by %s, NOT VALID NOW (valid from %s to %s), on %s"),
                          self->holder_name,
                          self->identity->document ? self->identity->document : "-",
                          self->identity->issuer_cn ? self->identity->issuer_cn : "-",
                          from, until, self->location);
}
