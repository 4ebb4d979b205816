/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-cert-path.h"

/* A path is picked before the dates are checked (that is the second
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

/* The bits of the unsigned big-endian integer @n, leading zeros aside. */
static guint
integer_bits (const gnutls_datum_t *n)
{
  guint i = 0, bits;

  while (i < n->size && n->data[i] == 0)
    i++;
  if (i == n->size)
    return 0;
  bits = (n->size - i - 1) * 8;
  for (guint8 top = n->data[i]; top != 0; top >>= 1)
    bits++;
  return bits;
}

static gboolean
rsa_key_is_bounded (gnutls_x509_crt_t crt)
{
  gnutls_datum_t m = { NULL, 0 }, e = { NULL, 0 };
  guint64 exponent = 0;
  gboolean bounded;

  if (gnutls_x509_crt_get_pk_rsa_raw (crt, &m, &e) < 0)
    return FALSE;
  bounded = integer_bits (&m) <= CLAVE_CERT_MAX_RSA_BITS && integer_bits (&e) <= 33;
  for (guint i = 0; bounded && i < e.size; i++)
    exponent = exponent << 8 | e.data[i];
  bounded = bounded && exponent <= CLAVE_CERT_MAX_RSA_EXPONENT;
  gnutls_free (m.data);
  gnutls_free (e.data);
  return bounded;
}

static gboolean
ec_key_is_bounded (gnutls_x509_crt_t crt)
{
  gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
  gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };

  if (gnutls_x509_crt_get_pk_ecc_raw (crt, &curve, &x, &y) < 0)
    return FALSE;
  gnutls_free (x.data);
  gnutls_free (y.data);
  return curve == GNUTLS_ECC_CURVE_SECP256R1 || curve == GNUTLS_ECC_CURVE_SECP384R1 ||
         curve == GNUTLS_ECC_CURVE_SECP521R1;
}

gboolean
clave_cert_key_is_bounded (gnutls_x509_crt_t crt)
{
  switch (gnutls_x509_crt_get_pk_algorithm (crt, NULL))
    {
    case GNUTLS_PK_RSA:
    case GNUTLS_PK_RSA_PSS:
      return rsa_key_is_bounded (crt);
    case GNUTLS_PK_ECDSA:
      return ec_key_is_bounded (crt);
    case GNUTLS_PK_DSA:
      /* Its cost grows with p and q, the client's choice too; no card
       * or authority of ours uses DSA. */
      return FALSE;
    default:
      return TRUE;
    }
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

typedef struct {
  gnutls_x509_trust_list_t  anchors;
  GPtrArray                *candidates;   /* held first, then sent; no two alike */
  GPtrArray                *branch;       /* the path being walked, leaf first */
  GPtrArray                *anchored;     /* copies of branches that end at an anchor */
  GPtrArray                *rooted;       /* … at a self-signed certificate, no anchor */
  char                     *missing;      /* the issuer missing at the longest dead end */
  guint                     missing_depth;
  guint                     steps;
} Search;

/* An array of paths, each a GPtrArray of borrowed certificates. */
static GPtrArray *
path_list_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
}

static void
keep_branch (GPtrArray *paths,
             GPtrArray *branch)
{
  g_ptr_array_add (paths, g_ptr_array_copy (branch, NULL, NULL));
}

static void
search (Search *s)
{
  gnutls_x509_crt_t last = g_ptr_array_index (s->branch, s->branch->len - 1);
  gnutls_x509_crt_t anchor = NULL;
  gboolean named = FALSE;

  /* By name too: the anchor's signature is for verification to check. */
  if (gnutls_x509_trust_list_get_issuer (s->anchors, last, &anchor, 0) >= 0)
    {
      keep_branch (s->anchored, s->branch);
      return;
    }
  if (clave_cert_is_self_signed (last))
    {
      keep_branch (s->rooted, s->branch);
      return;
    }
  if (s->branch->len == CLAVE_CERT_PATH_MAX_LENGTH)
    return;

  for (guint i = 0; i < s->candidates->len; i++)
    {
      gnutls_x509_crt_t candidate = g_ptr_array_index (s->candidates, i);

      if (!gnutls_x509_crt_check_issuer (last, candidate))
        continue;
      /* Named, even when it is on the branch already: that is a loop,
       * which verification calls untrusted, not a missing issuer. */
      named = TRUE;
      if (on_path (s->branch, candidate))
        continue;
      if (s->steps == CLAVE_CERT_PATH_MAX_STEPS)
        return;
      s->steps++;
      g_ptr_array_add (s->branch, candidate);
      search (s);
      g_ptr_array_set_size (s->branch, s->branch->len - 1);
    }

  if (!named && s->branch->len > s->missing_depth)
    {
      g_free (s->missing);
      s->missing = clave_cert_issuer_dn (last);
      s->missing_depth = s->branch->len;
    }
}

static void
add_candidate (GPtrArray         *candidates,
               gnutls_x509_crt_t  crt)
{
  for (guint i = 0; i < candidates->len; i++)
    if (gnutls_x509_crt_equals (g_ptr_array_index (candidates, i), crt))
      return;
  g_ptr_array_add (candidates, crt);
}

GPtrArray *
clave_cert_paths_build (gnutls_x509_trust_list_t   anchors,
                        const GPtrArray           *intermediates,
                        gnutls_x509_crt_t         *sent,
                        guint                      n_sent,
                        char                     **missing_issuer)
{
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();
  g_autoptr(GPtrArray) branch = g_ptr_array_new ();
  g_autoptr(GPtrArray) anchored = path_list_new ();
  g_autoptr(GPtrArray) rooted = path_list_new ();
  Search search_state = {
    .anchors = anchors, .candidates = candidates, .branch = branch,
    .anchored = anchored, .rooted = rooted,
  };

  g_return_val_if_fail (n_sent > 0, NULL);

  /* The service's own first: a card may carry an intermediate that an
   * older root issued, and the same intermediate under a root the service
   * trusts is what completes its path. */
  for (guint i = 0; intermediates != NULL && i < intermediates->len; i++)
    add_candidate (candidates, g_ptr_array_index (intermediates, i));
  for (guint i = 1; i < n_sent; i++)
    add_candidate (candidates, sent[i]);

  g_ptr_array_add (branch, sent[0]);
  search (&search_state);

  *missing_issuer = anchored->len == 0 ? g_steal_pointer (&search_state.missing) : NULL;
  g_free (search_state.missing);
  g_ptr_array_extend_and_steal (anchored, g_steal_pointer (&rooted));
  return g_steal_pointer (&anchored);
}

GPtrArray *
clave_cert_path_build (gnutls_x509_trust_list_t   anchors,
                       const GPtrArray           *intermediates,
                       gnutls_x509_crt_t         *sent,
                       guint                      n_sent,
                       char                     **missing_issuer)
{
  g_autoptr(GPtrArray) paths = clave_cert_paths_build (anchors, intermediates, sent, n_sent,
                                                       missing_issuer);
  GPtrArray *leaf_alone;

  for (guint i = 0; i < paths->len; i++)
    if (clave_cert_path_verify (anchors, g_ptr_array_index (paths, i), NO_TIME_CHECKS) == 0)
      return g_ptr_array_ref (g_ptr_array_index (paths, i));
  if (paths->len > 0)
    return g_ptr_array_ref (g_ptr_array_index (paths, 0));

  leaf_alone = g_ptr_array_new ();
  g_ptr_array_add (leaf_alone, sent[0]);
  return leaf_alone;
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
