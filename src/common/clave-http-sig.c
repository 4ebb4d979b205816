/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-http-sig"

#include "config.h"

#include <gnutls/crypto.h>
#include <string.h>

#include "clave-crypto.h"
#include "clave-http-sig.h"

/* The server parses these headers from anyone on the network: nothing
 * legitimate comes close to this size, and refusing early keeps hostile
 * input cheap. */
#define MAX_HEADER_LENGTH 8192

#define SHA256_LEN        32
#define RAW_SIG_LEN       64

static const char * const covered_components[] = {
  "@method",
  "@target-uri",
  "content-digest",
};

/* A small RFC 8941 (Structured Field Values) parser: enough to read
 * dictionaries, inner lists, items and parameters of any shape, so that
 * members and parameters we do not use are skipped correctly. */

typedef enum {
  SF_INTEGER,
  SF_DECIMAL,
  SF_STRING,
  SF_TOKEN,
  SF_BYTES,
  SF_BOOLEAN,
} SfType;

typedef struct {
  SfType  type;
  gint64  integer;   /* SF_INTEGER, SF_BOOLEAN */
  char   *string;    /* SF_STRING, SF_TOKEN, SF_DECIMAL (as written) */
  GBytes *bytes;     /* SF_BYTES */
} SfBare;

typedef struct {
  char   *key;
  SfBare  value;
} SfParam;

typedef struct {
  SfBare     value;
  GPtrArray *params;   /* SfParam */
} SfItem;

typedef struct {
  char      *key;
  gboolean   is_inner_list;
  SfItem    *item;      /* when !is_inner_list */
  GPtrArray *inner;     /* SfItem, when is_inner_list */
  GPtrArray *params;    /* SfParam of the inner list */
  gsize      value_start;
  gsize      value_end;
} SfMember;

typedef struct {
  const char *text;
  gsize       len;
  gsize       pos;
} SfParser;

static void
sf_bare_clear (SfBare *bare)
{
  g_clear_pointer (&bare->string, g_free);
  g_clear_pointer (&bare->bytes, g_bytes_unref);
}

static void
sf_param_free (gpointer data)
{
  SfParam *param = data;

  g_free (param->key);
  sf_bare_clear (&param->value);
  g_free (param);
}

static void
sf_item_free (gpointer data)
{
  SfItem *item = data;

  if (item == NULL)
    return;
  sf_bare_clear (&item->value);
  g_clear_pointer (&item->params, g_ptr_array_unref);
  g_free (item);
}

static void
sf_member_free (gpointer data)
{
  SfMember *member = data;

  g_free (member->key);
  sf_item_free (member->item);
  g_clear_pointer (&member->inner, g_ptr_array_unref);
  g_clear_pointer (&member->params, g_ptr_array_unref);
  g_free (member);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfItem, sf_item_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfMember, sf_member_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SfParam, sf_param_free)

static int
sf_peek (const SfParser *p)
{
  return p->pos < p->len ? (guchar) p->text[p->pos] : -1;
}

static void
sf_skip_sp (SfParser *p)
{
  /* RFC 8941 allows only SP here; a tab costs nothing to accept. */
  while (sf_peek (p) == ' ' || sf_peek (p) == '\t')
    p->pos++;
}

static gboolean
is_lcalpha (int c)
{
  return c >= 'a' && c <= 'z';
}

static gboolean
is_tchar (int c)
{
  return c > 0 && c < 0x80
         && (g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static char *
sf_parse_key (SfParser *p)
{
  gsize start = p->pos;
  int c = sf_peek (p);

  if (!is_lcalpha (c) && c != '*')
    return NULL;

  while ((c = sf_peek (p)) >= 0
         && (is_lcalpha (c) || g_ascii_isdigit (c) || c == '_' || c == '-' || c == '.' || c == '*'))
    p->pos++;

  return g_strndup (p->text + start, p->pos - start);
}

static gboolean
sf_parse_number (SfParser *p,
                 SfBare   *out)
{
  gsize start = p->pos;
  gsize int_digits = 0, frac_digits = 0;
  gboolean decimal = FALSE;
  int c;

  if (sf_peek (p) == '-')
    p->pos++;
  if (!g_ascii_isdigit (sf_peek (p)))
    return FALSE;

  while ((c = sf_peek (p)) >= 0)
    {
      if (g_ascii_isdigit (c))
        {
          if (decimal)
            frac_digits++;
          else
            int_digits++;
        }
      else if (c == '.' && !decimal)
        {
          if (int_digits > 12)
            return FALSE;
          decimal = TRUE;
        }
      else
        break;

      p->pos++;
      if (!decimal && int_digits > 15)
        return FALSE;
      if (decimal && frac_digits > 3)
        return FALSE;
    }

  if (decimal)
    {
      if (frac_digits == 0)
        return FALSE;
      out->type = SF_DECIMAL;
      out->string = g_strndup (p->text + start, p->pos - start);
      return TRUE;
    }

  out->type = SF_INTEGER;
  out->integer = g_ascii_strtoll (p->text + start, NULL, 10);
  return TRUE;
}

static gboolean
sf_parse_string (SfParser *p,
                 SfBare   *out)
{
  GString *value = g_string_new (NULL);
  int c;

  p->pos++;   /* opening quote */
  while ((c = sf_peek (p)) >= 0)
    {
      p->pos++;
      if (c == '\\')
        {
          c = sf_peek (p);
          if (c != '"' && c != '\\')
            break;
          p->pos++;
          g_string_append_c (value, (char) c);
        }
      else if (c == '"')
        {
          out->type = SF_STRING;
          out->string = g_string_free (value, FALSE);
          return TRUE;
        }
      else if (c < 0x20 || c > 0x7e)
        break;
      else
        g_string_append_c (value, (char) c);
    }

  g_string_free (value, TRUE);
  return FALSE;
}

static gboolean
sf_parse_token (SfParser *p,
                SfBare   *out)
{
  gsize start = p->pos;
  int c;

  while ((c = sf_peek (p)) >= 0 && (is_tchar (c) || c == ':' || c == '/'))
    p->pos++;

  out->type = SF_TOKEN;
  out->string = g_strndup (p->text + start, p->pos - start);
  return TRUE;
}

/* Standard base64; padding may be left out (RFC 8941 section 4.2.7). */
static GBytes *
decode_base64 (const char *text,
               gsize       len)
{
  g_autofree char *padded = NULL;
  g_autofree guchar *data = NULL;
  gsize data_len = 0;
  gsize stripped = len;

  while (stripped > 0 && text[stripped - 1] == '=')
    stripped--;
  if (len - stripped > 2 || stripped % 4 == 1)
    return NULL;
  if (len != stripped && len % 4 != 0)
    return NULL;

  for (gsize i = 0; i < stripped; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return NULL;

  if (stripped == 0)
    return g_bytes_new (NULL, 0);

  padded = g_malloc (stripped + 4);
  memcpy (padded, text, stripped);
  memset (padded + stripped, '=', (4 - stripped % 4) % 4);
  padded[stripped + (4 - stripped % 4) % 4] = '\0';

  data = g_base64_decode (padded, &data_len);
  return g_bytes_new_take (g_steal_pointer (&data), data_len);
}

static gboolean
sf_parse_bytes (SfParser *p,
                SfBare   *out)
{
  gsize start;
  const char *end;

  p->pos++;   /* opening colon */
  start = p->pos;
  end = memchr (p->text + start, ':', p->len - start);
  if (end == NULL)
    return FALSE;

  out->bytes = decode_base64 (p->text + start, (gsize) (end - (p->text + start)));
  if (out->bytes == NULL)
    return FALSE;

  out->type = SF_BYTES;
  p->pos = (gsize) (end - p->text) + 1;
  return TRUE;
}

static gboolean
sf_parse_bare_item (SfParser *p,
                    SfBare   *out)
{
  int c = sf_peek (p);

  if (c == '-' || g_ascii_isdigit (c))
    return sf_parse_number (p, out);
  if (c == '"')
    return sf_parse_string (p, out);
  if (c == ':')
    return sf_parse_bytes (p, out);
  if (c == '*' || (c > 0 && c < 0x80 && g_ascii_isalpha (c)))
    return sf_parse_token (p, out);
  if (c == '?')
    {
      p->pos++;
      c = sf_peek (p);
      if (c != '0' && c != '1')
        return FALSE;
      p->pos++;
      out->type = SF_BOOLEAN;
      out->integer = c == '1';
      return TRUE;
    }

  return FALSE;
}

static GPtrArray *
sf_parse_params (SfParser *p)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (sf_param_free);

  while (sf_peek (p) == ';')
    {
      g_autoptr(SfParam) param = g_new0 (SfParam, 1);

      p->pos++;
      sf_skip_sp (p);
      param->key = sf_parse_key (p);
      if (param->key == NULL)
        return NULL;

      if (sf_peek (p) == '=')
        {
          p->pos++;
          if (!sf_parse_bare_item (p, &param->value))
            return NULL;
        }
      else
        {
          param->value.type = SF_BOOLEAN;
          param->value.integer = TRUE;
        }

      g_ptr_array_add (params, g_steal_pointer (&param));
    }

  return g_steal_pointer (&params);
}

static SfItem *
sf_parse_item (SfParser *p)
{
  g_autoptr(SfItem) item = g_new0 (SfItem, 1);

  if (!sf_parse_bare_item (p, &item->value))
    return NULL;

  item->params = sf_parse_params (p);
  if (item->params == NULL)
    return NULL;

  return g_steal_pointer (&item);
}

static gboolean
sf_parse_inner_list (SfParser *p,
                     SfMember *member)
{
  member->is_inner_list = TRUE;
  member->inner = g_ptr_array_new_with_free_func (sf_item_free);

  p->pos++;   /* opening parenthesis */
  for (;;)
    {
      SfItem *item;
      int c;

      sf_skip_sp (p);
      if (sf_peek (p) == ')')
        {
          p->pos++;
          member->params = sf_parse_params (p);
          return member->params != NULL;
        }

      item = sf_parse_item (p);
      if (item == NULL)
        return FALSE;
      g_ptr_array_add (member->inner, item);

      c = sf_peek (p);
      if (c != ' ' && c != ')')
        return FALSE;
    }
}

/* Parses a whole dictionary; NULL if the text is not one. */
static GPtrArray *
sf_parse_dictionary (const char *text)
{
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (sf_member_free);
  SfParser p = { text, 0, 0 };

  if (text == NULL)
    return NULL;

  p.len = strnlen (text, MAX_HEADER_LENGTH + 1);
  if (p.len > MAX_HEADER_LENGTH)
    return NULL;

  /* Field values lose leading and trailing whitespace (RFC 9110). */
  sf_skip_sp (&p);
  while (p.len > p.pos && (text[p.len - 1] == ' ' || text[p.len - 1] == '\t'))
    p.len--;

  if (p.pos == p.len)
    return NULL;

  for (;;)
    {
      g_autoptr(SfMember) member = g_new0 (SfMember, 1);

      member->key = sf_parse_key (&p);
      if (member->key == NULL)
        return NULL;

      member->value_start = p.pos;
      if (sf_peek (&p) == '=')
        {
          p.pos++;
          member->value_start = p.pos;
          if (sf_peek (&p) == '(')
            {
              if (!sf_parse_inner_list (&p, member))
                return NULL;
            }
          else
            {
              member->item = sf_parse_item (&p);
              if (member->item == NULL)
                return NULL;
            }
        }
      else
        {
          member->item = g_new0 (SfItem, 1);
          member->item->value.type = SF_BOOLEAN;
          member->item->value.integer = TRUE;
          member->item->params = sf_parse_params (&p);
          if (member->item->params == NULL)
            return NULL;
        }
      member->value_end = p.pos;

      g_ptr_array_add (members, g_steal_pointer (&member));

      sf_skip_sp (&p);
      if (p.pos == p.len)
        return g_steal_pointer (&members);
      if (sf_peek (&p) != ',')
        return NULL;
      p.pos++;
      sf_skip_sp (&p);
      if (p.pos == p.len)
        return NULL;
    }
}

/* The member called @key; NULL when absent or, to leave no doubt about
 * which one is meant, present more than once. */
static SfMember *
sf_dictionary_lookup (GPtrArray  *members,
                      const char *key,
                      gboolean   *duplicate)
{
  SfMember *found = NULL;

  *duplicate = FALSE;
  for (guint i = 0; i < members->len; i++)
    {
      SfMember *member = g_ptr_array_index (members, i);

      if (strcmp (member->key, key) != 0)
        continue;
      if (found != NULL)
        {
          *duplicate = TRUE;
          return NULL;
        }
      found = member;
    }

  return found;
}

/* Public API */

/* SHA-256 of a request body; NULL and empty bodies alike. */
static void
body_sha256 (GBytes *body,
             guint8  digest[SHA256_LEN])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize digest_len = SHA256_LEN;
  const guchar *data = NULL;
  gsize size = 0;

  if (body != NULL)
    data = g_bytes_get_data (body, &size);
  if (size > 0)
    g_checksum_update (checksum, data, (gssize) size);
  g_checksum_get_digest (checksum, digest, &digest_len);
}

char *
clave_content_digest (GBytes *body)
{
  guint8 digest[SHA256_LEN];
  g_autofree char *b64 = NULL;

  body_sha256 (body, digest);
  b64 = g_base64_encode (digest, sizeof digest);
  return g_strdup_printf ("sha-256=:%s:", b64);
}

static gboolean
is_sf_string_safe (const char *s)
{
  for (const char *c = s; *c != '\0'; c++)
    if (*c < 0x20 || *c > 0x7e)
      return FALSE;
  return TRUE;
}

static void
append_sf_string (GString    *out,
                  const char *value)
{
  g_string_append_c (out, '"');
  for (const char *c = value; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

char *
clave_http_sig_params (gint64      created,
                       const char *nonce,
                       const char *keyid)
{
  GString *out;

  g_return_val_if_fail (nonce != NULL && is_sf_string_safe (nonce), NULL);
  g_return_val_if_fail (keyid != NULL && is_sf_string_safe (keyid), NULL);

  out = g_string_new ("(");
  for (guint i = 0; i < G_N_ELEMENTS (covered_components); i++)
    {
      if (i > 0)
        g_string_append_c (out, ' ');
      append_sf_string (out, covered_components[i]);
    }
  g_string_append_printf (out, ");created=%" G_GINT64_FORMAT ";nonce=", created);
  append_sf_string (out, nonce);
  g_string_append (out, ";keyid=");
  append_sf_string (out, keyid);
  g_string_append (out, ";alg=");
  append_sf_string (out, CLAVE_HTTP_SIG_ALG);

  return g_string_free (out, FALSE);
}

/* Component values lose surrounding whitespace (RFC 9421 section 2.1). */
static char *
trimmed (const char *value)
{
  return g_strstrip (g_strdup (value));
}

char *
clave_http_sig_base (const char *method,
                     const char *target_uri,
                     const char *content_digest,
                     const char *params)
{
  g_autofree char *digest = NULL;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (target_uri != NULL, NULL);
  g_return_val_if_fail (content_digest != NULL, NULL);
  g_return_val_if_fail (params != NULL, NULL);

  digest = trimmed (content_digest);

  return g_strdup_printf ("\"@method\": %s\n"
                          "\"@target-uri\": %s\n"
                          "\"content-digest\": %s\n"
                          "\"@signature-params\": %s",
                          method, target_uri, digest, params);
}

void
clave_http_sig_headers_free (ClaveHttpSigHeaders *headers)
{
  if (headers == NULL)
    return;

  g_free (headers->content_digest);
  g_free (headers->signature_input);
  g_free (headers->signature);
  g_free (headers);
}

ClaveHttpSigHeaders *
clave_http_sig_sign (const char            *method,
                     const char            *target_uri,
                     GBytes                *body,
                     const char            *keyid,
                     gint64                 created,
                     const char            *nonce,
                     ClaveHttpSigSignFunc   sign_func,
                     gpointer               user_data,
                     GError               **error)
{
  g_autoptr(ClaveHttpSigHeaders) headers = NULL;
  g_autofree char *params = NULL;
  g_autofree char *base = NULL;
  g_autofree char *b64 = NULL;
  g_autoptr(GBytes) base_bytes = NULL;
  g_autoptr(GBytes) signature = NULL;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (target_uri != NULL, NULL);
  g_return_val_if_fail (keyid != NULL, NULL);
  g_return_val_if_fail (nonce != NULL, NULL);
  g_return_val_if_fail (sign_func != NULL, NULL);

  if (!is_sf_string_safe (keyid) || !is_sf_string_safe (nonce))
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                           "keyid and nonce must be printable ASCII");
      return NULL;
    }

  headers = g_new0 (ClaveHttpSigHeaders, 1);
  headers->content_digest = clave_content_digest (body);
  params = clave_http_sig_params (created, nonce, keyid);
  base = clave_http_sig_base (method, target_uri, headers->content_digest, params);
  base_bytes = g_bytes_new (base, strlen (base));

  signature = sign_func (base_bytes, user_data, error);
  if (signature == NULL)
    return NULL;

  if (g_bytes_get_size (signature) != RAW_SIG_LEN)
    {
      g_set_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                   "The signature must be 64 bytes (r || s), not %" G_GSIZE_FORMAT,
                   g_bytes_get_size (signature));
      return NULL;
    }

  b64 = g_base64_encode (g_bytes_get_data (signature, NULL), RAW_SIG_LEN);
  headers->signature_input = g_strdup_printf (CLAVE_HTTP_SIG_LABEL "=%s", params);
  headers->signature = g_strdup_printf (CLAVE_HTTP_SIG_LABEL "=:%s:", b64);

  return g_steal_pointer (&headers);
}

void
clave_http_sig_input_free (ClaveHttpSigInput *input)
{
  if (input == NULL)
    return;

  g_free (input->params);
  g_free (input->nonce);
  g_free (input->keyid);
  g_free (input->alg);
  g_clear_pointer (&input->signature, g_bytes_unref);
  g_free (input);
}

static gboolean
components_are_ours (GPtrArray *inner)
{
  if (inner->len != G_N_ELEMENTS (covered_components))
    return FALSE;

  for (guint i = 0; i < inner->len; i++)
    {
      SfItem *item = g_ptr_array_index (inner, i);

      /* A parameter (;sf, ;bs, ;req...) would change what the component
       * means, so it is not the component we require. */
      if (item->value.type != SF_STRING || item->params->len != 0
          || strcmp (item->value.string, covered_components[i]) != 0)
        return FALSE;
    }

  return TRUE;
}

static gboolean
take_string_param (SfParam     *param,
                   char       **slot,
                   GError     **error)
{
  if (*slot != NULL)
    {
      g_set_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                   "Parameter %s appears twice", param->key);
      return FALSE;
    }
  if (param->value.type != SF_STRING)
    {
      g_set_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                   "Parameter %s must be a string", param->key);
      return FALSE;
    }

  *slot = g_strdup (param->value.string);
  return TRUE;
}

ClaveHttpSigInput *
clave_http_sig_parse (const char  *signature_input,
                      const char  *signature,
                      GError     **error)
{
  g_autoptr(GPtrArray) input_dict = NULL;
  g_autoptr(GPtrArray) sig_dict = NULL;
  g_autoptr(ClaveHttpSigInput) input = NULL;
  SfMember *input_member, *sig_member;
  gboolean duplicate = FALSE;
  gboolean have_created = FALSE;

  input_dict = sf_parse_dictionary (signature_input);
  if (input_dict == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                           "Signature-Input is not a structured dictionary");
      return NULL;
    }

  sig_dict = sf_parse_dictionary (signature);
  if (sig_dict == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                           "Signature is not a structured dictionary");
      return NULL;
    }

  input_member = sf_dictionary_lookup (input_dict, CLAVE_HTTP_SIG_LABEL, &duplicate);
  if (input_member == NULL || !input_member->is_inner_list)
    {
      g_set_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                   duplicate ? "Signature-Input has more than one \"%s\" member"
                             : "Signature-Input has no \"%s\" inner list",
                   CLAVE_HTTP_SIG_LABEL);
      return NULL;
    }

  sig_member = sf_dictionary_lookup (sig_dict, CLAVE_HTTP_SIG_LABEL, &duplicate);
  if (sig_member == NULL || sig_member->is_inner_list
      || sig_member->item->value.type != SF_BYTES)
    {
      g_set_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                   duplicate ? "Signature has more than one \"%s\" member"
                             : "Signature has no \"%s\" byte sequence",
                   CLAVE_HTTP_SIG_LABEL);
      return NULL;
    }

  if (!components_are_ours (input_member->inner))
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT,
                           "The covered components must be exactly "
                           "(\"@method\" \"@target-uri\" \"content-digest\")");
      return NULL;
    }

  input = g_new0 (ClaveHttpSigInput, 1);

  for (guint i = 0; i < input_member->params->len; i++)
    {
      SfParam *param = g_ptr_array_index (input_member->params, i);

      if (strcmp (param->key, "created") == 0)
        {
          if (have_created || param->value.type != SF_INTEGER || param->value.integer < 0)
            {
              g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                                   "Parameter created must appear once, as a non-negative integer");
              return NULL;
            }
          input->created = param->value.integer;
          have_created = TRUE;
        }
      else if (strcmp (param->key, "expires") == 0)
        {
          if (input->has_expires || param->value.type != SF_INTEGER || param->value.integer < 0)
            {
              g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                                   "Parameter expires may appear once, as a non-negative integer");
              return NULL;
            }
          input->expires = param->value.integer;
          input->has_expires = TRUE;
        }
      else if (strcmp (param->key, "nonce") == 0)
        {
          if (!take_string_param (param, &input->nonce, error))
            return NULL;
        }
      else if (strcmp (param->key, "keyid") == 0)
        {
          if (!take_string_param (param, &input->keyid, error))
            return NULL;
        }
      else if (strcmp (param->key, "alg") == 0)
        {
          if (!take_string_param (param, &input->alg, error))
            return NULL;
        }
      /* Other parameters (tag...) are covered by the signature through
       * the serialized parameters; we have no use for them. */
    }

  if (!have_created || input->nonce == NULL || input->keyid == NULL || input->alg == NULL
      || input->nonce[0] == '\0' || input->keyid[0] == '\0')
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT,
                           "Signature-Input needs created, nonce, keyid and alg");
      return NULL;
    }

  if (strcmp (input->alg, CLAVE_HTTP_SIG_ALG) != 0)
    {
      g_set_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_UNSUPPORTED_ALG,
                   "Unsupported signature algorithm (only %s)", CLAVE_HTTP_SIG_ALG);
      return NULL;
    }

  if (g_bytes_get_size (sig_member->item->value.bytes) != RAW_SIG_LEN)
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                           "The signature must be 64 bytes (r || s)");
      return NULL;
    }

  input->params = g_strndup (signature_input + input_member->value_start,
                             input_member->value_end - input_member->value_start);
  input->signature = g_bytes_ref (sig_member->item->value.bytes);

  return g_steal_pointer (&input);
}

/* Does the Content-Digest value hold a sha-256 digest equal to the body's?
 * Other algorithms may be listed beside it (RFC 9530 section 2). */
static gboolean
check_content_digest (const char  *content_digest,
                      GBytes      *body,
                      GError     **error)
{
  g_autoptr(GPtrArray) dict = NULL;
  guint8 digest[SHA256_LEN];
  SfMember *member;
  gboolean duplicate = FALSE;

  dict = sf_parse_dictionary (content_digest);
  if (dict == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                           "Content-Digest is not a structured dictionary");
      return FALSE;
    }

  member = sf_dictionary_lookup (dict, "sha-256", &duplicate);
  if (member == NULL || member->is_inner_list || member->item->value.type != SF_BYTES)
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH,
                           "Content-Digest has no single sha-256 digest");
      return FALSE;
    }

  body_sha256 (body, digest);

  if (g_bytes_get_size (member->item->value.bytes) != SHA256_LEN
      || gnutls_memcmp (g_bytes_get_data (member->item->value.bytes, NULL), digest, SHA256_LEN) != 0)
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_DIGEST_MISMATCH,
                           "Content-Digest does not match the body");
      return FALSE;
    }

  return TRUE;
}

gboolean
clave_http_sig_verify (const ClaveHttpSigInput  *input,
                       gnutls_pubkey_t           key,
                       const char               *method,
                       const char               *target_uri,
                       const char               *content_digest,
                       GBytes                   *body,
                       GError                  **error)
{
  g_autofree char *base = NULL;
  g_autoptr(GBytes) base_bytes = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (input != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (method != NULL, FALSE);
  g_return_val_if_fail (target_uri != NULL, FALSE);

  if (content_digest == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MISSING_COMPONENT,
                           "Content-Digest is missing");
      return FALSE;
    }

  if (!check_content_digest (content_digest, body, error))
    return FALSE;

  if (input->params == NULL || input->signature == NULL)
    {
      g_set_error_literal (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_MALFORMED,
                           "Incomplete signature input");
      return FALSE;
    }

  base = clave_http_sig_base (method, target_uri, content_digest, input->params);
  base_bytes = g_bytes_new (base, strlen (base));

  if (!clave_ecdsa_verify (key, base_bytes, input->signature, &local_error))
    {
      g_set_error (error, CLAVE_HTTP_SIG_ERROR, CLAVE_HTTP_SIG_ERROR_BAD_SIGNATURE,
                   "The signature does not verify: %s", local_error->message);
      return FALSE;
    }

  return TRUE;
}
