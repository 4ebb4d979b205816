/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The demo website's browsers: their secret cookies, the CSRF tokens of
 * their forms, and which requests each made (clave-demo-session.h). */
#define G_LOG_DOMAIN "clave-demo-site"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-demo-session.h"
#include "clave-demo-site.h"

#define COOKIE_BYTES       32
/* Unpadded base64url of COOKIE_BYTES. */
#define COOKIE_LENGTH      43
/* Request ids bound to browsers, kept in memory; the oldest go first. */
#define MAX_BOUND_REQUESTS 4096

struct _ClaveDemoSessions
{
  GBytes     *csrf_key;
  /* request id -> SHA-256 (hex) of the cookie of the browser that made it */
  GHashTable *owners;
  GQueue      order;       /* the same ids, oldest first */
};

ClaveDemoSessions *
clave_demo_sessions_new (void)
{
  ClaveDemoSessions *self = g_new0 (ClaveDemoSessions, 1);

  self->csrf_key = clave_random_bytes (32);
  self->owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->order);
  return self;
}

void
clave_demo_sessions_free (ClaveDemoSessions *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->csrf_key, g_bytes_unref);
  g_clear_pointer (&self->owners, g_hash_table_unref);
  g_queue_clear_full (&self->order, g_free);
  g_free (self);
}

gboolean
clave_demo_is_token (const char *text,
                     gsize       max_len)
{
  gsize len = 0;

  for (const char *p = text; *p != '\0'; p++, len++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return len > 0 && len <= max_len;
}

char *
clave_demo_sessions_request_cookie (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *header = soup_message_headers_get_one (headers, "Cookie");
  g_auto(GStrv) parts = NULL;

  if (header == NULL)
    return NULL;

  parts = g_strsplit (header, ";", 0);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *part = g_strstrip (parts[i]);

      if (g_str_has_prefix (part, CLAVE_DEMO_SITE_COOKIE "="))
        {
          const char *value = part + strlen (CLAVE_DEMO_SITE_COOKIE "=");

          if (strlen (value) == COOKIE_LENGTH && clave_demo_is_token (value, COOKIE_LENGTH))
            return g_strdup (value);
        }
    }
  return NULL;
}

char *
clave_demo_sessions_ensure_cookie (SoupServerMessage *msg)
{
  char *cookie = clave_demo_sessions_request_cookie (msg);
  g_autofree char *header = NULL;

  if (cookie != NULL)
    return cookie;

  cookie = clave_random_token (COOKIE_BYTES);
  /* __Host-: only this origin may set it; no Max-Age: it ends with the
   * browser session. */
  header = g_strdup_printf (CLAVE_DEMO_SITE_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
                            cookie);
  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                               header);
  return cookie;
}

char *
clave_demo_sessions_csrf_token (ClaveDemoSessions *self,
                                const char        *cookie)
{
  g_autofree char *data = g_strconcat ("clave-demo-csrf\n", cookie, NULL);

  return clave_hmac_sha256_hex (self->csrf_key, data);
}

gboolean
clave_demo_sessions_csrf_ok (ClaveDemoSessions *self,
                             const char        *cookie,
                             GHashTable        *form)
{
  const char *token = form != NULL ? g_hash_table_lookup (form, "csrf") : NULL;
  g_autofree char *expected = NULL;

  if (cookie == NULL || token == NULL)
    return FALSE;
  expected = clave_demo_sessions_csrf_token (self, cookie);
  return clave_constant_time_equal (token, expected);
}

static char *
cookie_digest (const char *cookie)
{
  return clave_sha256_hex (cookie, strlen (cookie));
}

void
clave_demo_sessions_bind_request (ClaveDemoSessions *self,
                                  const char        *id,
                                  const char        *cookie)
{
  while (g_queue_get_length (&self->order) >= MAX_BOUND_REQUESTS)
    {
      g_autofree char *oldest = g_queue_pop_head (&self->order);

      g_hash_table_remove (self->owners, oldest);
    }
  g_hash_table_replace (self->owners, g_strdup (id), cookie_digest (cookie));
  g_queue_push_tail (&self->order, g_strdup (id));
}

gboolean
clave_demo_sessions_owns (ClaveDemoSessions *self,
                          const char        *id,
                          const char        *cookie)
{
  const char *owner;
  g_autofree char *digest = NULL;

  if (cookie == NULL)
    return FALSE;
  owner = g_hash_table_lookup (self->owners, id);
  if (owner == NULL)
    return FALSE;
  digest = cookie_digest (cookie);
  return clave_constant_time_equal (owner, digest);
}
