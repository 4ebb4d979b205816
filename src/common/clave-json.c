/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "clave-json.h"

/* json-glib parses recursively; a body of 64 KiB of brackets would use
 * the whole stack. Requests of this protocol nest two levels deep. */
#define MAX_JSON_DEPTH 32

/* Strict JSON (RFC 8259), checked before json-glib parses a text.
 * json-glib reads more than JSON, and reads it its own way: text after
 * the value ("{}{}", "{} x": it keeps the last value and leaks the
 * others), comments; of two members with one name it keeps one. A text
 * that a proxy, a signature check or a client library could read
 * differently is refused instead. Also refused: nesting deeper than
 * MAX_JSON_DEPTH, the escape \u0000 (json-glib would cut the string at
 * the NUL: "12345678Z\u0000junk" would read as "12345678Z"), and escapes
 * of lone UTF-16 surrogates, which json-glib turns into strings that are
 * not UTF-8. One pass; an object's names are compared in place while
 * they are few and go to a hash table past that, and only names with
 * escapes are copied (unescaped): 64 KiB of members or of small objects
 * takes a fraction of what json-glib's own parse of it does. */
typedef struct {
  const char *p;
  const char *end;
  guint       depth;
} JsonCheck;

#define JSON_FEW_NAMES 8

typedef struct {
  const char *text;
  gsize       len;
} JsonName;

/* The member names of one object so far. */
typedef struct {
  JsonName    few[JSON_FEW_NAMES];
  guint       n_few;
  GHashTable *many;        /* GBytes views of the names */
  GPtrArray  *unescaped;   /* the copies of names with escapes */
} JsonNames;

static void
json_names_clear (JsonNames *names)
{
  g_clear_pointer (&names->many, g_hash_table_unref);
  g_clear_pointer (&names->unescaped, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (JsonNames, json_names_clear)

/* FALSE when the object has this name already. */
static gboolean
json_names_add (JsonNames  *names,
                const char *text,
                gsize       len)
{
  if (names->many == NULL)
    {
      for (guint i = 0; i < names->n_few; i++)
        if (names->few[i].len == len && memcmp (names->few[i].text, text, len) == 0)
          return FALSE;
      if (names->n_few < JSON_FEW_NAMES)
        {
          names->few[names->n_few++] = (JsonName) { text, len };
          return TRUE;
        }
      names->many = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                           (GDestroyNotify) g_bytes_unref, NULL);
      for (guint i = 0; i < names->n_few; i++)
        g_hash_table_add (names->many, g_bytes_new_static (names->few[i].text,
                                                           names->few[i].len));
    }
  return g_hash_table_add (names->many, g_bytes_new_static (text, len));
}

static gboolean json_check_value (JsonCheck *check);

static void
json_skip_space (JsonCheck *check)
{
  while (check->p < check->end &&
         (*check->p == ' ' || *check->p == '\t' || *check->p == '\n' || *check->p == '\r'))
    check->p++;
}

/* The four hex digits at @p (the end at @end), or -1. */
static int
json_hex4 (const char *p,
           const char *end)
{
  int value = 0;

  if (end - p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* The character that the one-letter escape "\@letter" stands for, or 0. */
static char
json_escape (char letter)
{
  switch (letter)
    {
    case '"':
    case '\\':
    case '/':
      return letter;
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    default:
      return 0;
    }
}

/* The string at check->p (its opening quote); its text, unescaped, goes
 * to @text unless NULL. */
static gboolean
json_check_string (JsonCheck *check,
                   GString   *text)
{
  for (check->p++; check->p < check->end; check->p++)
    {
      guchar c = (guchar) *check->p;
      int unit, low;

      if (c == '"')
        {
          check->p++;
          return TRUE;
        }
      if (c < 0x20)
        return FALSE;
      if (c != '\\')
        {
          if (text != NULL)
            g_string_append_c (text, (char) c);
          continue;
        }

      if (++check->p >= check->end)
        return FALSE;
      if (*check->p != 'u')
        {
          char escaped = json_escape (*check->p);

          if (escaped == 0)
            return FALSE;
          if (text != NULL)
            g_string_append_c (text, escaped);
          continue;
        }

      unit = json_hex4 (check->p + 1, check->end);
      if (unit <= 0 || (unit >= 0xdc00 && unit <= 0xdfff))
        return FALSE;
      check->p += 4;
      if (unit >= 0xd800 && unit <= 0xdbff)
        {
          if (check->end - check->p < 7 || check->p[1] != '\\' || check->p[2] != 'u')
            return FALSE;
          low = json_hex4 (check->p + 3, check->end);
          if (low < 0xdc00 || low > 0xdfff)
            return FALSE;
          check->p += 6;
          unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        }
      if (text != NULL)
        g_string_append_unichar (text, (gunichar) unit);
    }
  return FALSE;
}

static gboolean
json_check_digits (JsonCheck *check)
{
  const char *start = check->p;

  while (check->p < check->end && g_ascii_isdigit (*check->p))
    check->p++;
  return check->p > start;
}

static gboolean
json_check_number (JsonCheck *check)
{
  if (*check->p == '-')
    check->p++;
  if (check->p < check->end && *check->p == '0')
    check->p++;
  else if (check->p >= check->end || *check->p < '1' || *check->p > '9' ||
           !json_check_digits (check))
    return FALSE;

  if (check->p < check->end && *check->p == '.')
    {
      check->p++;
      if (!json_check_digits (check))
        return FALSE;
    }
  if (check->p < check->end && (*check->p == 'e' || *check->p == 'E'))
    {
      check->p++;
      if (check->p < check->end && (*check->p == '+' || *check->p == '-'))
        check->p++;
      if (!json_check_digits (check))
        return FALSE;
    }
  return TRUE;
}

static gboolean
json_check_literal (JsonCheck  *check,
                    const char *literal)
{
  gsize len = strlen (literal);

  if ((gsize) (check->end - check->p) < len || memcmp (check->p, literal, len) != 0)
    return FALSE;
  check->p += len;
  return TRUE;
}

/* The member name at check->p, into @names; FALSE when it is not a
 * string or is there already. */
static gboolean
json_check_name (JsonCheck *check,
                 JsonNames *names)
{
  const char *start = check->p + 1;
  JsonCheck again = *check;
  GString *text;
  char *copy;
  gsize len;

  if (check->p >= check->end || *check->p != '"' || !json_check_string (check, NULL))
    return FALSE;
  len = (gsize) (check->p - 1 - start);
  if (memchr (start, '\\', len) == NULL)
    return json_names_add (names, start, len);

  /* "a" and "\u0061" are one name. */
  text = g_string_new (NULL);
  json_check_string (&again, text);
  len = text->len;
  copy = g_string_free (text, FALSE);
  if (names->unescaped == NULL)
    names->unescaped = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (names->unescaped, copy);
  return json_names_add (names, copy, len);
}

/* An object or array at check->p; @close is '}' or ']'. */
static gboolean
json_check_container (JsonCheck *check,
                      char       close)
{
  g_auto(JsonNames) names = { 0 };

  if (++check->depth > MAX_JSON_DEPTH)
    return FALSE;
  check->p++;
  json_skip_space (check);
  if (check->p < check->end && *check->p == close)
    {
      check->p++;
      check->depth--;
      return TRUE;
    }

  for (;;)
    {
      json_skip_space (check);
      if (close == '}')
        {
          if (!json_check_name (check, &names))
            return FALSE;
          json_skip_space (check);
          if (check->p >= check->end || *check->p != ':')
            return FALSE;
          check->p++;
        }
      if (!json_check_value (check))
        return FALSE;
      json_skip_space (check);
      if (check->p >= check->end)
        return FALSE;
      if (*check->p == close)
        {
          check->p++;
          check->depth--;
          return TRUE;
        }
      if (*check->p != ',')
        return FALSE;
      check->p++;
    }
}

static gboolean
json_check_value (JsonCheck *check)
{
  json_skip_space (check);
  if (check->p >= check->end)
    return FALSE;

  switch (*check->p)
    {
    case '{':
      return json_check_container (check, '}');
    case '[':
      return json_check_container (check, ']');
    case '"':
      return json_check_string (check, NULL);
    case 't':
      return json_check_literal (check, "true");
    case 'f':
      return json_check_literal (check, "false");
    case 'n':
      return json_check_literal (check, "null");
    default:
      return json_check_number (check);
    }
}

gboolean
clave_json_is_strict (const char *data,
                      gsize       len)
{
  JsonCheck check = { data, data + len, 0 };

  if (data == NULL || !g_utf8_validate (data, (gssize) len, NULL))
    return FALSE;

  if (!json_check_value (&check))
    return FALSE;
  json_skip_space (&check);
  return check.p == check.end;
}

