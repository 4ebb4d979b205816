/* SPDX-License-Identifier: GPL-3.0-or-later */

/* RFC 8259, written for the fuzz targets from the RFC's grammar (JSON-text =
 * ws value ws), apart from the service's own strict check: see
 * fuzz-json.h. */

#include "config.h"

#include <string.h>

#include "fuzz-json.h"

static gboolean rfc_value (FuzzJson *r);

static void
rfc_ws (FuzzJson *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

static gboolean
rfc_char (FuzzJson *r,
          char      c)
{
  if (r->p >= r->end || *r->p != c)
    return FALSE;
  r->p++;
  return TRUE;
}

/* \uXXXX at r->p (after the backslash's u): its value, or -1. */
static int
rfc_hex4 (FuzzJson *r)
{
  int value = 0;

  if (r->end - r->p < 4)
    return -1;
  for (int i = 0; i < 4; i++, r->p++)
    {
      if (!g_ascii_isxdigit (*r->p))
        return -1;
      value = value * 16 + g_ascii_xdigit_value (*r->p);
    }
  return value;
}

static gboolean
rfc_string (FuzzJson *r)
{
  if (!rfc_char (r, '"'))
    return FALSE;
  while (r->p < r->end)
    {
      guchar c = (guchar) *r->p++;
      int unit;

      if (c == '"')
        return TRUE;
      if (c < 0x20)
        return FALSE;
      if (c != '\\')
        continue;
      if (r->p >= r->end)
        return FALSE;
      c = (guchar) *r->p++;
      if (c != 'u')
        {
          if (strchr ("\"\\/bfnrt", c) == NULL || c == '\0')
            return FALSE;
          continue;
        }
      if ((unit = rfc_hex4 (r)) < 0)
        return FALSE;
      if (unit == 0)
        r->nul_escape = TRUE;
      else if (unit >= 0xdc00 && unit <= 0xdfff)
        r->lone_surrogate = TRUE;
      else if (unit >= 0xd800 && unit <= 0xdbff)
        {
          const char *after = r->p;
          int low = -1;

          if (r->end - r->p >= 2 && r->p[0] == '\\' && r->p[1] == 'u')
            {
              r->p += 2;
              low = rfc_hex4 (r);
            }
          if (low < 0xdc00 || low > 0xdfff)
            {
              /* Not a pair: read what follows on its own. */
              r->lone_surrogate = TRUE;
              r->p = after;
            }
        }
    }
  return FALSE;
}

static gboolean
rfc_digits (FuzzJson *r)
{
  const char *start = r->p;

  while (r->p < r->end && g_ascii_isdigit (*r->p))
    r->p++;
  return r->p > start;
}

static gboolean
rfc_number (FuzzJson *r)
{
  rfc_char (r, '-');
  if (!rfc_char (r, '0'))
    {
      if (r->p >= r->end || *r->p < '1' || *r->p > '9')
        return FALSE;
      rfc_digits (r);
    }
  if (rfc_char (r, '.') && !rfc_digits (r))
    return FALSE;
  if (rfc_char (r, 'e') || rfc_char (r, 'E'))
    {
      if (!rfc_char (r, '+'))
        rfc_char (r, '-');
      if (!rfc_digits (r))
        return FALSE;
    }
  return TRUE;
}

static gboolean
rfc_literal (FuzzJson   *r,
             const char *literal)
{
  gsize len = strlen (literal);

  if ((gsize) (r->end - r->p) < len || memcmp (r->p, literal, len) != 0)
    return FALSE;
  r->p += len;
  return TRUE;
}

/* An object (@close '}') or an array (']') at r->p. */
static gboolean
rfc_container (FuzzJson *r,
               char      close)
{
  r->p++;
  r->depth++;
  r->max_depth = MAX (r->max_depth, r->depth);
  /* Far past what anyone accepts; deeper would only use up the stack. */
  if (r->depth > FUZZ_JSON_MAX_DEPTH)
    return FALSE;
  rfc_ws (r);
  if (rfc_char (r, close))
    {
      r->depth--;
      return TRUE;
    }
  for (;;)
    {
      rfc_ws (r);
      if (close == '}')
        {
          if (!rfc_string (r))
            return FALSE;
          rfc_ws (r);
          if (!rfc_char (r, ':'))
            return FALSE;
          rfc_ws (r);
        }
      if (!rfc_value (r))
        return FALSE;
      rfc_ws (r);
      if (rfc_char (r, close))
        {
          r->depth--;
          return TRUE;
        }
      if (!rfc_char (r, ','))
        return FALSE;
    }
}

static gboolean
rfc_value (FuzzJson *r)
{
  if (r->p >= r->end)
    return FALSE;
  switch (*r->p)
    {
    case '{':
      return rfc_container (r, '}');
    case '[':
      return rfc_container (r, ']');
    case '"':
      return rfc_string (r);
    case 't':
      return rfc_literal (r, "true");
    case 'f':
      return rfc_literal (r, "false");
    case 'n':
      return rfc_literal (r, "null");
    default:
      return rfc_number (r);
    }
}

gboolean
fuzz_json_rfc8259 (const char *data,
                   gsize       size,
                   FuzzJson   *r)
{
  *r = (FuzzJson) { .p = data, .end = data + size };
  rfc_ws (r);
  if (!rfc_value (r))
    return FALSE;
  rfc_ws (r);
  return r->p == r->end;
}

const char *
fuzz_json_skip_ws (const char *data,
                   gsize       size)
{
  FuzzJson r = { .p = data, .end = data + size };

  rfc_ws (&r);
  return r.p < r.end ? r.p : "";
}
