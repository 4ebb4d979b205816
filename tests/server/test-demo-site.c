/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#if __has_include(<zbar.h>)
#include <zbar.h>
#define HAVE_ZBAR 1
#endif

#include "clave-protocol.h"
#include "server-test-util.h"

/* The demo relying-party website under /demo/ (clave-demo-site.c), as a
 * browser sees it: one server, one device activated for Lucía. */
static ClaveTestServer *server;
static SoupSession *session;
static TestDevice *device;

#define BASE (clave_test_server_get_base_url (server))
#define COOKIE_NAME "__Host-clave-demo"
#define FORM_TYPE "application/x-www-form-urlencoded"

/* A browser: its secret cookie and the CSRF token of its pages. */
typedef struct {
  char *cookie;
  char *csrf;
} Browser;

static void
browser_free (Browser *browser)
{
  g_free (browser->cookie);
  g_free (browser->csrf);
  g_free (browser);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Browser, browser_free)

/* The text of @body between @before and @after, or NULL. */
static char *
extract (const char *body,
         const char *before,
         const char *after)
{
  const char *start = body != NULL ? strstr (body, before) : NULL;
  const char *end;

  if (start == NULL)
    return NULL;
  start += strlen (before);
  end = strstr (start, after);
  if (end == NULL)
    return NULL;
  return g_strndup (start, (gsize) (end - start));
}

static TestResponse *
browser_get (Browser    *browser,
             const char *path)
{
  g_autofree char *cookie = NULL;
  const char *headers[] = { "Cookie", NULL, NULL };

  if (browser != NULL)
    {
      cookie = g_strdup_printf (COOKIE_NAME "=%s", browser->cookie);
      headers[1] = cookie;
    }
  return test_request (session, BASE, "GET", path, NULL, NULL, 0, FALSE,
                       browser != NULL ? headers : NULL);
}

/* POSTs a form (NULL-terminated name, value pairs) with the browser's
 * cookie and, when @with_csrf, its token. */
static TestResponse *
browser_post (Browser    *browser,
              const char *path,
              gboolean    with_csrf,
              ...)
{
  g_autoptr(GHashTable) fields = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *body = NULL;
  g_autofree char *cookie = NULL;
  const char *headers[] = { "Cookie", NULL, NULL };
  const char *name;
  va_list args;

  va_start (args, with_csrf);
  while ((name = va_arg (args, const char *)) != NULL)
    g_hash_table_insert (fields, (gpointer) name, va_arg (args, char *));
  va_end (args);
  if (with_csrf)
    g_hash_table_insert (fields, (gpointer) "csrf", browser->csrf);

  body = soup_form_encode_hash (fields);
  if (browser != NULL)
    {
      cookie = g_strdup_printf (COOKIE_NAME "=%s", browser->cookie);
      headers[1] = cookie;
    }
  return test_request (session, BASE, "POST", path, FORM_TYPE, body, -1, FALSE,
                       browser != NULL ? headers : NULL);
}

/* A first visit: the landing page gives the cookie and the token. */
static Browser *
browser_new (void)
{
  g_autoptr(TestResponse) landing = browser_get (NULL, "/demo/");
  Browser *browser = g_new0 (Browser, 1);
  const char *set_cookie;

  test_assert_status (landing, SOUP_STATUS_OK);
  set_cookie = test_response_header (landing, "Set-Cookie");
  g_assert_nonnull (set_cookie);
  browser->cookie = extract (set_cookie, COOKIE_NAME "=", ";");
  g_assert_nonnull (browser->cookie);
  g_assert_cmpuint (strlen (browser->cookie), ==, 43);
  browser->csrf = extract (landing->body, "name=\"csrf\" value=\"", "\"");
  g_assert_nonnull (browser->csrf);
  return browser;
}

static void
assert_security_headers (TestResponse *response)
{
  const char *csp = test_response_header (response, "Content-Security-Policy");

  g_assert_nonnull (csp);
  g_assert_nonnull (strstr (csp, "default-src 'self'"));
  g_assert_nonnull (strstr (csp, "script-src 'self'"));
  g_assert_nonnull (strstr (csp, "style-src 'self'"));
  g_assert_nonnull (strstr (csp, "img-src 'self' data:"));
  g_assert_nonnull (strstr (csp, "frame-ancestors 'none'"));
  g_assert_null (strstr (csp, "unsafe-inline"));
  g_assert_cmpstr (test_response_header (response, "X-Content-Type-Options"), ==, "nosniff");
  g_assert_cmpstr (test_response_header (response, "Referrer-Policy"), ==, "no-referrer");
  g_assert_cmpstr (test_response_header (response, "X-Frame-Options"), ==, "DENY");
}

static void
assert_contains (const char *body,
                 const char *text)
{
  if (body == NULL || strstr (body, text) == NULL)
    g_test_message ("missing \"%s\" in: %s", text, body != NULL ? body : "(null)");
  g_assert_nonnull (body);
  g_assert_nonnull (strstr (body, text));
}

static TestResponse *
device_answer (const char *id,
               const char *step)
{
  g_autofree char *path = g_strconcat (CLAVE_PATH_DEVICE_REQUEST_PREFIX, id, step, NULL);

  return test_device_request (session, BASE, device, "POST", path, "{}", NULL);
}

static TestResponse *
api_status (Browser    *browser,
            const char *id)
{
  g_autofree char *path = g_strconcat ("/demo/api/requests/", id, NULL);

  return browser_get (browser, path);
}

#ifdef HAVE_ZBAR
/* Draws the page's QR <svg> (its path: one "Mx yhNv1h-Nz" per run of
 * dark modules) into pixels and reads it back with zbar. */
static char *
decode_qr_svg (const char *html)
{
  const int scale = 4;
  const char *svg = strstr (html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\"");
  const char *view_box;
  const char *d;
  zbar_image_scanner_t *scanner;
  zbar_image_t *image;
  const zbar_symbol_t *symbol;
  g_autofree guint8 *pixels = NULL;
  char *text = NULL;
  int size = 0;
  int width;

  g_assert_nonnull (svg);
  view_box = strstr (svg, "viewBox=\"0 0 ");
  g_assert_nonnull (view_box);
  g_assert_cmpint (sscanf (view_box, "viewBox=\"0 0 %d", &size), ==, 1);
  g_assert_cmpint (size, >, 21);
  g_assert_cmpint (size, <, 200);

  width = size * scale;
  pixels = g_malloc ((gsize) width * (gsize) width);
  memset (pixels, 0xff, (gsize) width * (gsize) width);

  d = strstr (svg, " d=\"");
  g_assert_nonnull (d);
  d += 4;
  while (*d == 'M')
    {
      int x, y, run, back, used = 0;

      g_assert_cmpint (sscanf (d, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &back, &used), ==, 4);
      g_assert_cmpint (run, ==, back);
      g_assert_cmpint (x + run, <=, size);
      g_assert_cmpint (y, <, size);
      for (int py = y * scale; py < (y + 1) * scale; py++)
        memset (pixels + (gsize) py * (gsize) width + (gsize) (x * scale), 0x00,
                (gsize) (run * scale));
      d += used;
    }
  g_assert_cmpint (*d, ==, '"');

  scanner = zbar_image_scanner_create ();
  zbar_image_scanner_set_config (scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  image = zbar_image_create ();
  zbar_image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
  zbar_image_set_size (image, (unsigned) width, (unsigned) width);
  zbar_image_set_data (image, pixels, (unsigned long) width * (unsigned long) width, NULL);

  if (zbar_scan_image (scanner, image) > 0)
    {
      symbol = zbar_image_first_symbol (image);
      if (symbol != NULL && zbar_symbol_get_type (symbol) == ZBAR_QRCODE)
        text = g_strdup (zbar_symbol_get_data (symbol));
    }

  zbar_image_destroy (image);
  zbar_image_scanner_destroy (scanner);
  return text;
}
#endif

static void
test_landing (void)
{
  g_autoptr(TestResponse) landing = browser_get (NULL, "/demo/");
  g_autoptr(TestResponse) script = NULL;
  g_autoptr(TestResponse) style = NULL;
  g_autoptr(TestResponse) redirect = NULL;
  const char *set_cookie;

  test_assert_status (landing, SOUP_STATUS_OK);
  assert_security_headers (landing);
  g_assert_true (g_str_has_prefix (test_response_header (landing, "Content-Type"), "text/html"));

  set_cookie = test_response_header (landing, "Set-Cookie");
  g_assert_nonnull (set_cookie);
  g_assert_true (g_str_has_prefix (set_cookie, COOKIE_NAME "="));
  g_assert_nonnull (strstr (set_cookie, "HttpOnly"));
  g_assert_nonnull (strstr (set_cookie, "Secure"));
  g_assert_nonnull (strstr (set_cookie, "SameSite=Strict"));

  assert_contains (landing->body, "Sede electrónica de demostración");
  assert_contains (landing->body, "Acceder con Cl@ve Móvil");
  assert_contains (landing->body, "Con código QR");
  assert_contains (landing->body, "Sin código QR");
  assert_contains (landing->body, "Por SMS");
  assert_contains (landing->body, "<script src=\"/demo/app.js\"");
  /* Nothing inline: the policy would block it. */
  g_assert_null (strstr (landing->body, "<script>"));
  g_assert_null (strstr (landing->body, "<style"));
  g_assert_null (strstr (landing->body, " style=\""));
  g_assert_null (strstr (landing->body, "http://"));

  script = browser_get (NULL, "/demo/app.js");
  test_assert_status (script, SOUP_STATUS_OK);
  g_assert_true (g_str_has_prefix (test_response_header (script, "Content-Type"),
                                   "text/javascript"));
  assert_contains (script->body, "/demo/api/requests/");

  style = browser_get (NULL, "/demo/style.css");
  test_assert_status (style, SOUP_STATUS_OK);
  g_assert_true (g_str_has_prefix (test_response_header (style, "Content-Type"), "text/css"));
  assert_security_headers (style);

  redirect = browser_get (NULL, "/demo");
  g_assert_cmpuint (redirect->status, ==, SOUP_STATUS_OK); /* followed to /demo/ */
  assert_contains (redirect->body, "Acceder con Cl@ve Móvil");
}

static void
test_qr_flow (void)
{
  g_autoptr(Browser) browser = browser_new ();
  g_autoptr(Browser) other = browser_new ();
  g_autoptr(TestResponse) page = browser_post (browser, "/demo/qr", TRUE, NULL);
  g_autoptr(TestResponse) claim = NULL;
  g_autoptr(TestResponse) confirm = NULL;
  g_autoptr(TestResponse) pending = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_autoptr(TestResponse) stranger = NULL;
  g_autoptr(TestResponse) anonymous = NULL;
  g_autoptr(TestResponse) result_page = NULL;
  g_autofree char *id = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *code = NULL;
  g_autofree char *expected_uri = NULL;
  g_autofree char *link = NULL;
  g_autofree char *request_path = NULL;

  test_assert_status (page, SOUP_STATUS_OK);
  assert_security_headers (page);
  id = extract (page->body, "data-request-id=\"", "\"");
  uri = extract (page->body, "data-uri=\"", "\"");
  code = extract (page->body, "id=\"verification-code\">", "<");
  g_assert_nonnull (id);
  g_assert_nonnull (uri);
  g_assert_nonnull (code);
  g_assert_true (g_str_has_prefix (id, CLAVE_REQUEST_ID_PREFIX));
  g_assert_cmpuint (strlen (code), ==, 3);
  g_assert_cmpuint (strspn (code, "0123456789"), ==, 3);

  /* The attribute is HTML-escaped: & is &amp;. */
  expected_uri = g_strdup_printf ("clave:request?id=%s&amp;code=%s", id, code);
  g_assert_cmpstr (uri, ==, expected_uri);
  link = g_strdup_printf ("href=\"%s\">Abrir en Clave Desktop<", expected_uri);
  assert_contains (page->body, link);
  assert_contains (page->body, "<svg");
  assert_contains (page->body, "Tiempo restante: <strong id=\"countdown-value\">");

#ifdef HAVE_ZBAR
  {
    g_autofree char *decoded = decode_qr_svg (page->body);
    g_autofree char *plain = g_strdup_printf ("clave:request?id=%s&code=%s", id, code);

    g_assert_cmpstr (decoded, ==, plain);
  }
#else
  g_test_message ("zbar not available: the QR code is not decoded");
#endif

  pending = api_status (browser, id);
  test_assert_status (pending, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (pending, "status"), ==, "pending");
  g_assert_cmpstr (test_response_string (pending, "verification_code"), ==, code);
  g_assert_null (test_response_string (pending, "document"));

  claim = device_answer (id, CLAVE_DEVICE_REQUEST_SUFFIX_CLAIM);
  test_assert_status (claim, SOUP_STATUS_OK);
  confirm = device_answer (id, CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM);
  test_assert_status (confirm, SOUP_STATUS_OK);

  done = api_status (browser, id);
  test_assert_status (done, SOUP_STATUS_OK);
  assert_security_headers (done);
  g_assert_cmpstr (test_response_string (done, "status"), ==, "confirmed");
  g_assert_cmpstr (test_response_string (done, "document"), ==, LUCIA_DOC);
  g_assert_cmpstr (test_response_string (done, "level"), ==, "advanced");

  /* The server-side view says the same. */
  request_path = g_strconcat ("/demo/requests/", id, NULL);
  result_page = browser_get (browser, request_path);
  test_assert_status (result_page, SOUP_STATUS_OK);
  assert_contains (result_page->body, "Autenticación completada");
  assert_contains (result_page->body, "id=\"result-document\">" LUCIA_DOC "<");
  assert_contains (result_page->body, "id=\"result-level\">avanzado<");

  /* Only the browser that made it may read it. */
  stranger = api_status (other, id);
  test_assert_error (stranger, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
  anonymous = api_status (NULL, id);
  test_assert_error (anonymous, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
}

static void
test_push_flow (void)
{
  g_autoptr(Browser) browser = browser_new ();
  g_autoptr(TestResponse) page = NULL;
  g_autoptr(TestResponse) confirm = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_autoptr(TestResponse) second = NULL;
  g_autoptr(TestResponse) reject = NULL;
  g_autoptr(TestResponse) rejected = NULL;
  g_autofree char *id = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *code = NULL;

  /* As people type it: lower case, spaces, a date with slashes. */
  page = browser_post (browser, "/demo/push", TRUE, "document", "12345678 z", "kind",
                       "validity_date", "contrast", "04/05/2031", NULL);
  test_assert_status (page, SOUP_STATUS_OK);
  id = extract (page->body, "data-request-id=\"", "\"");
  code = extract (page->body, "id=\"verification-code\">", "<");
  g_assert_nonnull (id);
  g_assert_nonnull (code);
  g_assert_cmpuint (strlen (code), ==, 3);
  g_assert_null (strstr (page->body, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\""));

  confirm = device_answer (id, CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM);
  test_assert_status (confirm, SOUP_STATUS_OK);
  done = api_status (browser, id);
  test_assert_status (done, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (done, "status"), ==, "confirmed");
  g_assert_cmpstr (test_response_string (done, "document"), ==, LUCIA_DOC);

  second = browser_post (browser, "/demo/push", TRUE, "document", LUCIA_DOC, "kind",
                         "validity_date", "contrast", LUCIA_VALIDITY, NULL);
  test_assert_status (second, SOUP_STATUS_OK);
  second_id = extract (second->body, "data-request-id=\"", "\"");
  g_assert_nonnull (second_id);
  reject = device_answer (second_id, CLAVE_DEVICE_REQUEST_SUFFIX_REJECT);
  test_assert_status (reject, SOUP_STATUS_OK);
  rejected = api_status (browser, second_id);
  test_assert_status (rejected, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (rejected, "status"), ==, "rejected");
  g_assert_null (test_response_string (rejected, "document"));
}

static void
test_push_errors (void)
{
  g_autoptr(Browser) browser = browser_new ();
  g_autoptr(TestResponse) wrong = NULL;
  g_autoptr(TestResponse) letter = NULL;
  g_autoptr(TestResponse) date = NULL;
  g_autoptr(TestResponse) kind = NULL;
  g_autoptr(TestResponse) no_device = NULL;

  wrong = browser_post (browser, "/demo/push", TRUE, "document", LUCIA_DOC, "kind",
                        "validity_date", "contrast", "05/05/2031", NULL);
  test_assert_status (wrong, SOUP_STATUS_UNAUTHORIZED);
  assert_contains (wrong->body, "id=\"push-error\">Los datos no son correctos.");
  /* What was typed is kept. */
  assert_contains (wrong->body, "value=\"05/05/2031\"");

  letter = browser_post (browser, "/demo/push", TRUE, "document", "12345678A", "kind",
                         "validity_date", "contrast", "04/05/2031", NULL);
  test_assert_status (letter, SOUP_STATUS_BAD_REQUEST);
  assert_contains (letter->body, "La letra del DNI o NIE no corresponde al número.");

  date = browser_post (browser, "/demo/sms", TRUE, "document", LUCIA_DOC, "kind",
                       "validity_date", "contrast", "31/02/2031", NULL);
  test_assert_status (date, SOUP_STATUS_BAD_REQUEST);
  assert_contains (date->body, "id=\"sms-error\">Escriba la fecha como dd/mm/aaaa.");

  kind = browser_post (browser, "/demo/push", TRUE, "document", LUCIA_DOC, "kind",
                       "<script>", "contrast", "04/05/2031", NULL);
  test_assert_status (kind, SOUP_STATUS_BAD_REQUEST);
  assert_contains (kind->body, "Elija el tipo de dato de contraste.");

  /* Antonio is registered but has no device. */
  no_device = browser_post (browser, "/demo/push", TRUE, "document", ANTONIO_DOC, "kind",
                            "issue_date", "contrast", "10/03/2015", NULL);
  test_assert_status (no_device, 409);
  assert_contains (no_device->body, "No hay ningún equipo con Cl@ve Móvil activada");
}

static char *
last_sms_pin (const char *phone)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *outbox = clave_test_server_admin (server, &error, "outbox", "--json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *messages;

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, outbox, -1, NULL));
  messages = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      const char *body = json_object_get_string_member (message, "body");

      if (g_strcmp0 (json_object_get_string_member (message, "phone"), phone) != 0)
        continue;
      for (const char *p = body; *p != '\0'; p++)
        if (strspn (p, "0123456789") == 8 && (p == body || !g_ascii_isdigit (p[-1])))
          return g_strndup (p, 8);
    }
  return NULL;
}

static void
test_sms_flow (void)
{
  g_autoptr(Browser) browser = browser_new ();
  g_autoptr(Browser) other = browser_new ();
  g_autoptr(TestResponse) page = NULL;
  g_autoptr(TestResponse) wrong = NULL;
  g_autoptr(TestResponse) stolen = NULL;
  g_autoptr(TestResponse) right = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_autofree char *id = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *wrong_pin = NULL;

  page = browser_post (browser, "/demo/sms", TRUE, "document", ANNA_DOC, "kind",
                       "support_number", "contrast", "e 0123 4567", NULL);
  test_assert_status (page, SOUP_STATUS_OK);
  assert_contains (page->body, "name=\"pin\"");
  id = extract (page->body, "data-request-id=\"", "\"");
  g_assert_nonnull (id);

  pin = last_sms_pin (ANNA_PHONE);
  g_assert_nonnull (pin);
  wrong_pin = g_strdup (pin);
  wrong_pin[0] = wrong_pin[0] == '9' ? '0' : (char) (wrong_pin[0] + 1);

  wrong = browser_post (browser, "/demo/sms-pin", TRUE, "id", id, "pin", wrong_pin, NULL);
  test_assert_status (wrong, SOUP_STATUS_UNAUTHORIZED);
  assert_contains (wrong->body, "El PIN no es correcto. Le quedan 2 intentos.");

  /* Another browser cannot answer it, even with the right PIN. */
  stolen = browser_post (other, "/demo/sms-pin", TRUE, "id", id, "pin", pin, NULL);
  test_assert_status (stolen, SOUP_STATUS_NOT_FOUND);

  right = browser_post (browser, "/demo/sms-pin", TRUE, "id", id, "pin", pin, NULL);
  test_assert_status (right, SOUP_STATUS_OK);
  assert_contains (right->body, "Autenticación completada");
  assert_contains (right->body, "id=\"result-document\">" ANNA_DOC "<");

  done = api_status (browser, id);
  test_assert_status (done, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (done, "status"), ==, "confirmed");
  g_assert_cmpstr (test_response_string (done, "document"), ==, ANNA_DOC);
}

static void
test_csrf (void)
{
  g_autoptr(Browser) browser = browser_new ();
  g_autoptr(Browser) other = browser_new ();
  g_autoptr(TestResponse) missing = NULL;
  g_autoptr(TestResponse) foreign = NULL;
  g_autoptr(TestResponse) no_cookie = NULL;
  g_autoptr(TestResponse) good = NULL;

  missing = browser_post (browser, "/demo/qr", FALSE, NULL);
  test_assert_status (missing, SOUP_STATUS_FORBIDDEN);
  assert_contains (missing->body, "Sesión no válida");
  g_assert_null (strstr (missing->body, "data-request-id"));

  /* A token is only good with the cookie it was made for. */
  foreign = browser_post (browser, "/demo/qr", FALSE, "csrf", other->csrf, NULL);
  test_assert_status (foreign, SOUP_STATUS_FORBIDDEN);

  no_cookie = test_request (session, BASE, "POST", "/demo/push", FORM_TYPE,
                            "csrf=x&document=12345678Z", -1, FALSE, NULL);
  test_assert_status (no_cookie, SOUP_STATUS_FORBIDDEN);

  good = browser_post (browser, "/demo/qr", TRUE, NULL);
  test_assert_status (good, SOUP_STATUS_OK);
}

static void
test_bad_input (void)
{
  g_autoptr(Browser) browser = browser_new ();
  g_autofree char *cookie = g_strdup_printf (COOKIE_NAME "=%s", browser->cookie);
  const char *headers[] = { "Cookie", cookie, NULL };
  g_autofree char *json_body = g_strdup_printf ("{\"csrf\":\"%s\"}", browser->csrf);
  g_autoptr(TestResponse) json = NULL;
  g_autoptr(TestResponse) method = NULL;
  g_autoptr(TestResponse) api_method = NULL;
  g_autoptr(TestResponse) unknown = NULL;
  g_autoptr(TestResponse) bad_id = NULL;
  g_autoptr(TestResponse) no_such = NULL;
  g_autoptr(TestResponse) short_pin = NULL;
  g_autoptr(TestResponse) binary = NULL;

  json = test_request (session, BASE, "POST", "/demo/qr", "application/json", json_body, -1,
                       FALSE, headers);
  test_assert_status (json, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE);

  method = test_request (session, BASE, "POST", "/demo/", FORM_TYPE, "a=b", -1, FALSE, headers);
  test_assert_status (method, SOUP_STATUS_METHOD_NOT_ALLOWED);
  assert_security_headers (method);

  api_method = test_request (session, BASE, "DELETE", "/demo/api/requests/req_x", NULL, NULL, 0,
                             FALSE, headers);
  test_assert_error (api_method, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED);

  unknown = browser_get (browser, "/demo/nothing-here");
  test_assert_status (unknown, SOUP_STATUS_NOT_FOUND);
  assert_contains (unknown->body, "Página no encontrada");

  bad_id = browser_get (browser, "/demo/api/requests/req_%22%3Cx%3E");
  test_assert_error (bad_id, SOUP_STATUS_NOT_FOUND, CLAVE_ERR_NOT_FOUND);
  no_such = browser_get (browser, "/demo/requests/req_doesnotexist");
  test_assert_status (no_such, SOUP_STATUS_NOT_FOUND);

  short_pin = browser_post (browser, "/demo/sms-pin", TRUE, "id", "req_unknown", "pin", "123",
                            NULL);
  test_assert_status (short_pin, SOUP_STATUS_NOT_FOUND);

  binary = test_request (session, BASE, "POST", "/demo/push", FORM_TYPE, "document=\xff\xfe", -1,
                         FALSE, headers);
  test_assert_status (binary, SOUP_STATUS_BAD_REQUEST);
}

/* The buttons of an answered request: no "Abrir en Clave Desktop", no
 * "Cancelar", the way back instead. */
static void
assert_answered_page (Browser    *browser,
                      const char *id,
                      const char *title)
{
  g_autofree char *path = g_strconcat ("/demo/requests/", id, NULL);
  g_autoptr(TestResponse) page = browser_get (browser, path);

  test_assert_status (page, SOUP_STATUS_OK);
  assert_contains (page->body, title);
  g_assert_null (strstr (page->body, "Abrir en Clave Desktop"));
  g_assert_null (strstr (page->body, "id=\"open-in-app\""));
  g_assert_null (strstr (page->body, "Cancelar"));
  assert_contains (page->body, "Volver al inicio</a>");
}

/* What app.js leaves on @html once its poll answers @status, run by
 * demo-page-script.js under Node; NULL (test skipped) without Node. */
static char *
run_page_script (const char *html,
                 const char *status)
{
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *runner = g_test_build_filename (G_TEST_DIST, "server", "demo-page-script.js", NULL);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "..", "src", "server", "demo",
                                                   "app.js", NULL);
  g_autofree char *page_path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int fd, wait_status = 0;

  if (node == NULL)
    node = g_find_program_in_path ("nodejs");
  if (node == NULL)
    return NULL;

  fd = g_file_open_tmp ("demo-page-XXXXXX.html", &page_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (page_path, html, -1, &error);
  g_assert_no_error (error);

  {
    const char *argv[] = { node, runner, script, page_path, status, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                  &wait_status, &error);
  }
  g_assert_no_error (error);
  g_unlink (page_path);
  if (!g_spawn_check_wait_status (wait_status, NULL))
    g_error ("demo-page-script.js: %s", err);

  return g_steal_pointer (&out);
}

static void
test_answered_buttons (void)
{
  g_autoptr(Browser) browser = browser_new ();
  g_autoptr(TestResponse) qr = browser_post (browser, "/demo/qr", TRUE, NULL);
  g_autoptr(TestResponse) push = NULL;
  g_autoptr(TestResponse) claim = NULL;
  g_autoptr(TestResponse) confirm = NULL;
  g_autoptr(TestResponse) reject = NULL;
  g_autofree char *qr_id = NULL;
  g_autofree char *push_id = NULL;
  const char *statuses[] = { "confirmed", "rejected", "expired" };

  /* Pending: both, marked as such for the script; the way back hidden. */
  test_assert_status (qr, SOUP_STATUS_OK);
  qr_id = extract (qr->body, "data-request-id=\"", "\"");
  g_assert_nonnull (qr_id);
  assert_contains (qr->body, "id=\"open-in-app\"");
  assert_contains (qr->body, "id=\"open-in-app\" data-while-pending href=");
  assert_contains (qr->body, "<p class=\"back\" id=\"cancel\" data-while-pending>");
  assert_contains (qr->body, "Cancelar y volver al inicio");
  assert_contains (qr->body, "<p class=\"back\" id=\"back\" data-when-answered hidden>");

  /* The page open in the browser, updated by its script. */
  for (gsize i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autofree char *left = run_page_script (qr->body, statuses[i]);

      if (left == NULL)
        {
          g_test_message ("Node not found: the page script is not run");
          break;
        }
      g_test_message ("%s:\n%s", statuses[i], left);
      assert_contains (left, "open-in-app removed\n");
      assert_contains (left, "cancel removed\n");
      assert_contains (left, "back shown\n");
      assert_contains (left, "status-title ");
    }
  {
    g_autofree char *left = run_page_script (qr->body, "pending");

    if (left != NULL)
      {
        assert_contains (left, "open-in-app shown\n");
        assert_contains (left, "cancel shown\n");
        assert_contains (left, "back hidden\n");
      }
  }

  /* The server's own view of the answered request (a QR request is
   * claimed by the device that scanned it first). */
  claim = device_answer (qr_id, CLAVE_DEVICE_REQUEST_SUFFIX_CLAIM);
  test_assert_status (claim, SOUP_STATUS_OK);
  confirm = device_answer (qr_id, CLAVE_DEVICE_REQUEST_SUFFIX_CONFIRM);
  test_assert_status (confirm, SOUP_STATUS_OK);
  assert_answered_page (browser, qr_id, "Autenticación completada");

  push = browser_post (browser, "/demo/push", TRUE, "document", LUCIA_DOC, "kind",
                       "validity_date", "contrast", LUCIA_VALIDITY, NULL);
  test_assert_status (push, SOUP_STATUS_OK);
  push_id = extract (push->body, "data-request-id=\"", "\"");
  g_assert_nonnull (push_id);
  assert_contains (push->body, "Cancelar y volver al inicio");
  reject = device_answer (push_id, CLAVE_DEVICE_REQUEST_SUFFIX_REJECT);
  test_assert_status (reject, SOUP_STATUS_OK);
  assert_answered_page (browser, push_id, "Solicitud rechazada");
}

/* The Cl@ve Permanente activation pages (/demo/permanente/, issue 12):
 * the code from the device, then document, e-mail and code; the SMS code;
 * the password; each refusal says what to do, and the form keeps what
 * the person typed but the secrets. */
static void
test_permanente_activation (void)
{
  g_autoptr(Browser) browser = browser_new ();
  g_autoptr(TestResponse) issued = NULL;
  g_autoptr(TestResponse) start_page = NULL;
  g_autoptr(TestResponse) wrong = NULL;
  g_autoptr(TestResponse) sms_page = NULL;
  g_autoptr(TestResponse) wrong_sms = NULL;
  g_autoptr(TestResponse) password_page = NULL;
  g_autoptr(TestResponse) mismatch = NULL;
  g_autoptr(TestResponse) weak = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_autoptr(TestResponse) again = NULL;
  g_autoptr(TestResponse) no_csrf = NULL;
  g_autoptr(TestResponse) me = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *sms = NULL;
  g_autofree char *wrong_code = NULL;
  const char *code;

  issued = test_device_request (session, BASE, device, "POST", CLAVE_PATH_ME_PERMANENTE_CODE,
                                "{\"contrast\": {\"kind\": \"validity_date\", \"value\": \""
                                LUCIA_VALIDITY "\"}}", NULL);
  test_assert_status (issued, SOUP_STATUS_CREATED);
  code = test_response_string (issued, "code");

  start_page = browser_get (browser, "/demo/permanente/");
  test_assert_status (start_page, SOUP_STATUS_OK);
  assert_security_headers (start_page);
  assert_contains (start_page->body, "action=\"/demo/permanente/activar\"");

  /* A wrong code: one answer, the document and e-mail kept, not the code. */
  wrong = browser_post (browser, "/demo/permanente/activar", TRUE, "document", LUCIA_DOC,
                        "email", "lucia@example.org", "code", "AAAA-BBBB-CCCC", NULL);
  test_assert_status (wrong, SOUP_STATUS_UNAUTHORIZED);
  assert_contains (wrong->body, "no son correctos");
  assert_contains (wrong->body, "value=\"" LUCIA_DOC "\"");
  assert_contains (wrong->body, "value=\"lucia@example.org\"");
  g_assert_null (strstr (wrong->body, "AAAA-BBBB-CCCC"));
  no_csrf = browser_post (browser, "/demo/permanente/activar", FALSE, "document", LUCIA_DOC,
                          "email", "lucia@example.org", "code", code, NULL);
  test_assert_status (no_csrf, SOUP_STATUS_FORBIDDEN);

  sms_page = browser_post (browser, "/demo/permanente/activar", TRUE, "document", LUCIA_DOC,
                           "email", " lucia@example.org ", "code", code, NULL);
  test_assert_status (sms_page, SOUP_STATUS_OK);
  assert_contains (sms_page->body, "terminado en 789");
  id = extract (sms_page->body, "name=\"id\" value=\"", "\"");
  token = extract (sms_page->body, "name=\"token\" value=\"", "\"");
  g_assert_true (g_str_has_prefix (id, "pma_"));
  g_assert_nonnull (token);
  sms = clave_test_server_last_sms_code (server, LUCIA_PHONE, &error);
  g_assert_no_error (error);
  wrong_code = g_strdup_printf ("%06u", (guint) (g_ascii_strtoull (sms, NULL, 10) + 1) % 1000000);

  wrong_sms = browser_post (browser, "/demo/permanente/sms", TRUE, "id", id, "token", token,
                            "code", wrong_code, NULL);
  test_assert_status (wrong_sms, SOUP_STATUS_UNAUTHORIZED);
  assert_contains (wrong_sms->body, "El código del SMS no es correcto. Le quedan 2 intentos.");
  password_page = browser_post (browser, "/demo/permanente/sms", TRUE, "id", id, "token", token,
                                "code", sms, NULL);
  test_assert_status (password_page, SOUP_STATUS_OK);
  assert_contains (password_page->body, "name=\"repeat\"");

  mismatch = browser_post (browser, "/demo/permanente/clave", TRUE, "id", id, "token", token,
                           "password", "Tq7!vbnm#x", "repeat", "Tq7!vbnm#y", NULL);
  test_assert_status (mismatch, SOUP_STATUS_BAD_REQUEST);
  assert_contains (mismatch->body, "Las dos contraseñas no son iguales.");
  weak = browser_post (browser, "/demo/permanente/clave", TRUE, "id", id, "token", token,
                       "password", "Garcia2031!", "repeat", "Garcia2031!", NULL);
  test_assert_status (weak, SOUP_STATUS_BAD_REQUEST);
  assert_contains (weak->body, "La contraseña no cumple las reglas");
  me = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, NULL);
  g_assert_cmpstr (test_response_string (me, "permanente"), ==, CLAVE_PERMANENTE_CODE_PENDING);
  g_clear_pointer (&me, test_response_free);

  done = browser_post (browser, "/demo/permanente/clave", TRUE, "id", id, "token", token,
                       "password", "Tq7!vbnm#x", "repeat", "Tq7!vbnm#x", NULL);
  test_assert_status (done, SOUP_STATUS_OK);
  assert_contains (done->body, "Cl@ve Permanente activada");
  me = test_device_request (session, BASE, device, "GET", CLAVE_PATH_ME, NULL, NULL);
  g_assert_cmpstr (test_response_string (me, "permanente"), ==, CLAVE_PERMANENTE_ACTIVE);

  /* Used: the form opens nothing again. */
  again = browser_post (browser, "/demo/permanente/clave", TRUE, "id", id, "token", token,
                        "password", "Tq7!vbnm#z", "repeat", "Tq7!vbnm#z", NULL);
  test_assert_status (again, SOUP_STATUS_UNAUTHORIZED);
  assert_contains (again->body, "Esta activación ya no es válida.");
}

int
main (int    argc,
      char **argv)
{
  int result;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/demo-site/landing", test_landing);
  g_test_add_func ("/demo-site/qr-flow", test_qr_flow);
  g_test_add_func ("/demo-site/push-flow", test_push_flow);
  g_test_add_func ("/demo-site/push-errors", test_push_errors);
  g_test_add_func ("/demo-site/sms-flow", test_sms_flow);
  g_test_add_func ("/demo-site/csrf", test_csrf);
  g_test_add_func ("/demo-site/bad-input", test_bad_input);
  g_test_add_func ("/demo-site/answered-buttons", test_answered_buttons);
  g_test_add_func ("/demo-site/permanente-activation", test_permanente_activation);

  server = test_server_start (NULL);
  session = test_session_new (server);
  device = test_device_new ();
  test_activate_device (server, session, device, LUCIA_DOC, "validity_date", LUCIA_VALIDITY,
                        LUCIA_PHONE);

  result = g_test_run ();

  g_clear_pointer (&device, test_device_free);
  g_clear_object (&session);
  clave_test_server_stop (server);
  return result;
}
