/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-request-uri"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "clave-request-uri.h"

#define REQUEST_ID_PREFIX   CLAVE_REQUEST_ID_PREFIX
#define REQUEST_ID_MIN_TAIL 8
#define REQUEST_ID_MAX_TAIL 64
#define REQUEST_CODE_DIGITS CLAVE_VERIFICATION_CODE_DIGITS
/* Longer than any valid URI: hostile input (a QR code holds anything)
 * stays cheap to reject. */
#define REQUEST_URI_MAX_LEN 256

G_DEFINE_QUARK (clave-request-uri-error-quark, clave_request_uri_error)

gboolean
clave_request_id_is_valid (const char *id)
{
  gsize len = 0;

  if (id == NULL || !g_str_has_prefix (id, REQUEST_ID_PREFIX))
    return FALSE;

  for (const char *p = id + strlen (REQUEST_ID_PREFIX); *p != '\0'; p++, len++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;

  return len >= REQUEST_ID_MIN_TAIL && len <= REQUEST_ID_MAX_TAIL;
}

gboolean
clave_request_code_is_valid (const char *code)
{
  if (code == NULL)
    return FALSE;

  for (guint i = 0; i < REQUEST_CODE_DIGITS; i++)
    if (!g_ascii_isdigit (code[i]))
      return FALSE;

  return code[REQUEST_CODE_DIGITS] == '\0';
}

static gboolean
invalid (GError **error)
{
  g_set_error_literal (error, CLAVE_REQUEST_URI_ERROR, CLAVE_REQUEST_URI_ERROR_INVALID,
                       _("This is not a Cl@ve request. Scan the code or open the link the website shows."));
  return FALSE;
}

gboolean
clave_request_uri_parse (const char  *uri,
                         char       **id,
                         char       **code,
                         GError     **error)
{
  static const char scheme[] = CLAVE_REQUEST_URI_SCHEME ":";
  static const char path[] = "request?";

  G_STATIC_ASSERT (sizeof CLAVE_REQUEST_URI_SCHEME ":" "request?" == sizeof CLAVE_REQUEST_URI_PREFIX);
  g_autofree char *text = NULL;
  g_auto(GStrv) params = NULL;
  const char *found_id = NULL;
  const char *found_code = NULL;
  const char *query;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (id != NULL)
    *id = NULL;
  if (code != NULL)
    *code = NULL;

  if (uri == NULL || strlen (uri) > REQUEST_URI_MAX_LEN)
    return invalid (error);

  text = g_strstrip (g_strdup (uri));

  /* RFC 3986: the scheme is case-insensitive, the rest is not. */
  if (g_ascii_strncasecmp (text, scheme, strlen (scheme)) != 0 ||
      strncmp (text + strlen (scheme), path, strlen (path)) != 0)
    return invalid (error);

  query = text + strlen (scheme) + strlen (path);
  /* Percent-escapes, fragments and blanks have no place in the two
   * values' alphabet; refusing them keeps one spelling per request. */
  if (strpbrk (query, "%#+ \t\r\n") != NULL)
    return invalid (error);

  params = g_strsplit (query, "&", -1);
  for (guint i = 0; params[i] != NULL; i++)
    {
      const char *param = params[i];

      if (g_str_has_prefix (param, "id=") && found_id == NULL)
        found_id = param + 3;
      else if (g_str_has_prefix (param, "code=") && found_code == NULL)
        found_code = param + 5;
      else
        return invalid (error);
    }

  if (!clave_request_id_is_valid (found_id) || !clave_request_code_is_valid (found_code))
    return invalid (error);

  if (id != NULL)
    *id = g_strdup (found_id);
  if (code != NULL)
    *code = g_strdup (found_code);
  return TRUE;
}

char *
clave_request_uri_format (const char *id,
                          const char *code)
{
  if (!clave_request_id_is_valid (id) || !clave_request_code_is_valid (code))
    return NULL;

  return g_strdup_printf (CLAVE_REQUEST_URI_SCHEME ":request?id=%s&code=%s", id, code);
}
