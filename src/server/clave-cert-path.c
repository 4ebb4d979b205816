/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-cert-path.h"

/* Issuers are picked before the dates are checked (that is the second
 * verification pass of a proof, which tells expired from untrusted). */
#define NO_TIME_CHECKS (GNUTLS_VERIFY_DISABLE_TIME_CHECKS | \
                        GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

gboolean
clave_cert_is_self_signed (gnutls_x509_crt_t crt)
{
  return gnutls_x509_crt_check_issuer (crt, crt) != 0;
}

static char *
dn_text (int             ret,
         gnutls_datum_t *dn)
{
  char *text;

  if (ret < 0)
    return NULL;
  /* Client input: the DN goes into JSON answers and the log. */
  text = g_utf8_make_valid ((const char *) dn->data, dn->size);
  gnutls_free (dn->data);
  return text;
}

char *
clave_cert_subject_dn (gnutls_x509_crt_t crt)
{
  gnutls_datum_t dn = { NULL, 0 };

  return dn_text (gnutls_x509_crt_get_dn3 (crt, &dn, 0), &dn);
}

char *
clave_cert_issuer_dn (gnutls_x509_crt_t crt)
{
  gnutls_datum_t dn = { NULL, 0 };

  return dn_text (gnutls_x509_crt_get_issuer_dn3 (crt, &dn, 0), &dn);
}

static gboolean
on_path (GPtrArray         *path,
         gnutls_x509_crt_t  crt)
{
  for (guint i = 0; i < path->len; i++)
    if (gnutls_x509_crt_equals (g_ptr_array_index (path, i), crt))
      return TRUE;
  return FALSE;
}

/* @issuer's key verifies @crt's signature and @issuer is a CA that may
 * sign certificates. */
static gboolean
verifies (gnutls_x509_crt_t crt,
          gnutls_x509_crt_t issuer)
{
  unsigned int status = 0;

  return gnutls_x509_crt_verify (crt, &issuer, 1, NO_TIME_CHECKS, &status) >= 0 && status == 0;
}

/* The first of @candidates that names itself the issuer of @crt, is not
 * on @path yet and, when @verified, verifies @crt. @named is set when any
 * candidate carries the issuer's names, on the path or not. */
static gnutls_x509_crt_t
find_issuer (gnutls_x509_crt_t  crt,
             GPtrArray         *candidates,
             GPtrArray         *path,
             gboolean           verified,
             gboolean          *named)
{
  for (guint i = 0; i < candidates->len; i++)
    {
      gnutls_x509_crt_t candidate = g_ptr_array_index (candidates, i);

      if (!gnutls_x509_crt_check_issuer (crt, candidate))
        continue;
      *named = TRUE;
      if (on_path (path, candidate))
        continue;
      if (!verified || verifies (crt, candidate))
        return candidate;
    }
  return NULL;
}

GPtrArray *
clave_cert_path_build (gnutls_x509_trust_list_t   anchors,
                       const GPtrArray           *intermediates,
                       gnutls_x509_crt_t         *sent,
                       guint                      n_sent,
                       char                     **missing_issuer)
{
  g_autoptr(GPtrArray) path = g_ptr_array_new ();
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();

  g_return_val_if_fail (n_sent > 0, NULL);

  *missing_issuer = NULL;
  /* What the client sent first: it knows its card. */
  for (guint i = 1; i < n_sent; i++)
    g_ptr_array_add (candidates, sent[i]);
  for (guint i = 0; intermediates != NULL && i < intermediates->len; i++)
    g_ptr_array_add (candidates, g_ptr_array_index (intermediates, i));

  g_ptr_array_add (path, sent[0]);
  while (path->len < CLAVE_CERT_PATH_MAX_LENGTH)
    {
      gnutls_x509_crt_t last = g_ptr_array_index (path, path->len - 1);
      gnutls_x509_crt_t anchor = NULL, next;
      gboolean named = FALSE;

      if (clave_cert_is_self_signed (last) ||
          gnutls_x509_trust_list_get_issuer (anchors, last, &anchor, 0) >= 0)
        break;

      next = find_issuer (last, candidates, path, TRUE, &named);
      if (next == NULL)
        next = find_issuer (last, candidates, path, FALSE, &named);
      if (next == NULL)
        {
          /* Every certificate that names itself the issuer is on the
           * path already: a loop, which verification calls untrusted. */
          if (!named)
            *missing_issuer = clave_cert_issuer_dn (last);
          break;
        }
      g_ptr_array_add (path, next);
    }

  return g_steal_pointer (&path);
}

unsigned int
clave_cert_path_verify (gnutls_x509_trust_list_t  anchors,
                        GPtrArray                *path,
                        unsigned int              flags)
{
  unsigned int status = 0;

  if (gnutls_x509_trust_list_verify_crt2 (anchors, (gnutls_x509_crt_t *) path->pdata, path->len,
                                          NULL, 0, flags, &status, NULL) < 0)
    return GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
  return status;
}
