/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-demo-site"

#include "config.h"

#include <string.h>

#include "clave-auth-requests.h"
#include "clave-crypto.h"
#include "clave-demo-pages.h"
#include "clave-demo-resources.h"
#include "clave-demo-session.h"
#include "clave-demo-site.h"
#include "clave-demo-site-private.h"
#include "clave-document.h"
#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-routes.h"

/* The site is a web page in Spanish, as a sede electrónica would show it:
 * its text is written here, not translated through gettext (the service
 * has no locale of its own). Log messages stay in English. */

#define SITE_DATA_KEY      "clave-demo-site"
#define RESOURCE_DIR       "/io/github/clavedesktop/ClaveServer/demo/"
#define MAX_ID_LENGTH      64
#define MAX_FIELD_LENGTH   64

#define PATH_ROOT          "/demo/"
#define PATH_QR            "/demo/qr"
#define PATH_PUSH          "/demo/push"
#define PATH_SMS           "/demo/sms"
#define PATH_SMS_PIN       "/demo/sms-pin"
#define PATH_REQUEST       "/demo/requests/"
#define PATH_API_REQUEST   "/demo/api/requests/"

#define CSP "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " \
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

struct _ClaveDemoSite
{
  GObject      parent_instance;

  ClaveServer       *server;    /* unowned: the site lives on it */
  ClaveDemoSessions *sessions;  /* browsers' cookies, CSRF tokens, their requests */
};

G_DEFINE_FINAL_TYPE (ClaveDemoSite, clave_demo_site, G_TYPE_OBJECT)

/* What a person typed in the push or SMS form, shown again with the
 * error when it is refused. */
static void
clave_demo_site_finalize (GObject *object)
{
  ClaveDemoSite *self = CLAVE_DEMO_SITE (object);

  g_clear_pointer (&self->sessions, clave_demo_sessions_free);

  G_OBJECT_CLASS (clave_demo_site_parent_class)->finalize (object);
}

static void
clave_demo_site_class_init (ClaveDemoSiteClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = clave_demo_site_finalize;
}

static void
clave_demo_site_init (ClaveDemoSite *self)
{
  self->sessions = clave_demo_sessions_new ();
}

static ClaveDemoSite *
demo_site_for (ClaveServer *server)
{
  ClaveDemoSite *site = g_object_get_data (G_OBJECT (server), SITE_DATA_KEY);

  if (site == NULL)
    {
      site = g_object_new (CLAVE_TYPE_DEMO_SITE, NULL);
      site->server = server;
      g_object_set_data_full (G_OBJECT (server), SITE_DATA_KEY, site, g_object_unref);
    }
  return site;
}

ClaveDemoSessions *
_clave_demo_site_get_sessions (ClaveDemoSite *self)
{
  return self->sessions;
}

/* Replies */

static void
set_security_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Content-Security-Policy", CSP);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
}

static void
reply_bytes (SoupServerMessage *msg,
             guint              status,
             const char        *content_type,
             const char        *cache_control,
             const void        *data,
             gsize              len)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, data, len);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", cache_control);
  set_security_headers (msg);
}

void
_clave_demo_reply_html (SoupServerMessage *msg,
                        guint              status,
                        const char        *page)
{
  reply_bytes (msg, status, "text/html; charset=utf-8", "no-store", page, strlen (page));
}

static void
reply_json_error (SoupServerMessage *msg,
                  guint              status,
                  const char        *code,
                  const char        *message)
{
  clave_http_reply_error (msg, status, code, message);
  set_security_headers (msg);
}

/* The page of @request for the browser holding session @cookie. */
static char *
request_page (ClaveDemoSite          *self,
              const char             *cookie,
              const ClaveAuthRequest *request,
              const char             *error_text)
{
  g_autofree char *csrf = clave_demo_sessions_csrf_token (self->sessions, cookie);

  return clave_demo_page_request (request, csrf, error_text);
}

void
_clave_demo_reply_message_page (SoupServerMessage *msg,
                                guint              status,
                                const char        *title,
                                const char        *text)
{
  g_autofree char *page = clave_demo_page_message (title, text);

  _clave_demo_reply_html (msg, status, page);
}

/* What the person reads for an error of the internal API. */
static const char *
error_text (const GError *error)
{
  const char *code = clave_protocol_error_get_name (error);

  if (g_strcmp0 (code, CLAVE_ERR_IDENTIFICATION_FAILED) == 0)
    return "Los datos no son correctos. Compruebe el DNI o NIE y el dato de contraste.";
  if (g_strcmp0 (code, CLAVE_ERR_NO_ACTIVE_DEVICE) == 0)
    return "No hay ningún equipo con Cl@ve Móvil activada para este documento. Active Clave "
           "Desktop o elija otra forma de acceso.";
  if (g_strcmp0 (code, CLAVE_ERR_TOO_MANY_ATTEMPTS) == 0)
    return "Ha hecho demasiados intentos. Espere unos minutos antes de volver a intentarlo.";
  if (g_strcmp0 (code, CLAVE_ERR_INVALID_DOCUMENT) == 0)
    return "El DNI o NIE no es válido.";
  if (g_strcmp0 (code, CLAVE_ERR_INVALID_CONTRAST) == 0)
    return "El dato de contraste no es válido.";
  if (g_strcmp0 (code, CLAVE_ERR_REQUEST_EXPIRED) == 0)
    return "La solicitud ha caducado. Vuelva a empezar desde la página de inicio.";
  if (g_strcmp0 (code, CLAVE_ERR_ALREADY_ANSWERED) == 0)
    return "Esta solicitud ya se ha respondido.";
  if (g_strcmp0 (code, CLAVE_ERR_NOT_FOUND) == 0)
    return "La solicitud no existe o se hizo desde otro navegador.";
  if (g_strcmp0 (code, CLAVE_ERR_INVALID_CODE) == 0)
    return "El PIN no es correcto.";
  if (g_strcmp0 (code, CLAVE_ERR_INVALID_REQUEST) == 0)
    return "Los datos enviados no son válidos.";
  return "El servicio no ha podido atender la solicitud. Inténtelo más tarde.";
}

static guint
error_status (const GError *error)
{
  guint status = clave_protocol_error_get_status (error);

  if (status >= 500)
    g_warning ("Demo site: %s", error->message);
  return status;
}

/* Requests */

gboolean
_clave_demo_method_is_get (SoupServerMessage *msg)
{
  return clave_http_method_is (msg, SOUP_METHOD_GET) ||
         clave_http_method_is (msg, SOUP_METHOD_HEAD);
}

void
_clave_demo_reply_method_not_allowed (SoupServerMessage *msg,
                                      const char        *allow)
{
  _clave_demo_reply_message_page (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Operación no permitida",
                                  "Esta dirección no admite esta operación.");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
}

/* The form fields of a POST, or NULL after answering with an error
 * page. */
static GHashTable *
read_form (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  GHashTable *form;
  GHashTableIter iter;
  gpointer key, value;
  gsize len = 0;
  const char *data;

  if (!clave_http_get_body (msg, &body))
    {
      set_security_headers (msg);
      return NULL;
    }
  data = g_bytes_get_data (body, &len);

  if (type == NULL || g_ascii_strcasecmp (type, "application/x-www-form-urlencoded") != 0)
    {
      _clave_demo_reply_message_page (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                                      "Formulario no válido",
                                      "El formulario no se ha enviado de la forma esperada.");
      return NULL;
    }
  if (memchr (data, '\0', len) != NULL)
    {
      _clave_demo_reply_message_page (msg, SOUP_STATUS_BAD_REQUEST, "Formulario no válido",
                                      "El formulario contiene datos no válidos.");
      return NULL;
    }

  text = g_strndup (data, len);
  form = soup_form_decode (text);
  g_hash_table_iter_init (&iter, form);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_utf8_validate (key, -1, NULL) || !g_utf8_validate (value, -1, NULL) ||
        strlen (value) > 256)
      {
        g_hash_table_unref (form);
        _clave_demo_reply_message_page (msg, SOUP_STATUS_BAD_REQUEST, "Formulario no válido",
                                        "El formulario contiene datos no válidos.");
        return NULL;
      }
  return form;
}

/* Reads a POSTed form and checks its CSRF token against the browser's
 * cookie; NULL after answering. */
GHashTable *
_clave_demo_read_checked_form (ClaveDemoSite      *self,
                               SoupServerMessage  *msg,
                               char              **cookie)
{
  g_autoptr(GHashTable) form = read_form (msg);

  if (form == NULL)
    return NULL;

  *cookie = clave_demo_sessions_request_cookie (msg);
  if (!clave_demo_sessions_csrf_ok (self->sessions, *cookie, form))
    {
      g_clear_pointer (cookie, g_free);
      _clave_demo_reply_message_page (msg, SOUP_STATUS_FORBIDDEN, "Sesión no válida",
                                      "La sesión de esta página no es válida o ha terminado. "
                                      "Vuelva a la página de inicio e inténtelo de nuevo.");
      return NULL;
    }
  return g_steal_pointer (&form);
}

static const char *
demo_rp_or_reply (ClaveDemoSite     *self,
                  SoupServerMessage *msg)
{
  const char *rp_id = clave_server_get_demo_rp_id (self->server);

  if (rp_id == NULL)
    _clave_demo_reply_message_page (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "Sede no disponible",
                                    "La sede de demostración no está configurada en este "
                                    "servicio: ejecute «clave-admin seed-demo».");
  return rp_id;
}

static void
reply_landing_error (ClaveDemoSite     *self,
                     SoupServerMessage *msg,
                     const char        *cookie,
                     guint              status,
                     const ClaveDemoFormState   *state)
{
  g_autofree char *csrf = clave_demo_sessions_csrf_token (self->sessions, cookie);
  g_autofree char *page = clave_demo_page_landing (csrf, state);

  _clave_demo_reply_html (msg, status, page);
}

static const char *
document_error_text (const GError *error)
{
  if (g_error_matches (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_EMPTY))
    return "Escriba su DNI o NIE.";
  if (g_error_matches (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_LETTER))
    return "La letra del DNI o NIE no corresponde al número.";
  return "El DNI tiene 8 cifras y una letra; el NIE, una X, Y o Z, 7 cifras y una letra.";
}

static const char *
contrast_error_text (ClaveContrastKind kind)
{
  if (kind == CLAVE_CONTRAST_SUPPORT_NUMBER)
    return "El número de soporte es una letra (E o C) seguida de 8 cifras.";
  return "Escriba la fecha como dd/mm/aaaa.";
}

static void
handle_create (ClaveDemoSite     *self,
               SoupServerMessage *msg,
               const char        *type)
{
  g_autofree char *cookie = NULL;
  g_autoptr(GHashTable) form = _clave_demo_read_checked_form (self, msg, &cookie);
  g_autoptr(ClaveAuthRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *document = NULL;
  g_autofree char *contrast = NULL;
  const char *kind_name = NULL;
  const char *rp_id;
  g_autofree char *page = NULL;

  if (form == NULL)
    return;
  rp_id = demo_rp_or_reply (self, msg);
  if (rp_id == NULL)
    return;

  if (!g_str_equal (type, CLAVE_REQUEST_TYPE_QR))
    {
      ClaveDemoFormState state = {
        .form = type,
        .document = g_hash_table_lookup (form, "document"),
        .kind = g_hash_table_lookup (form, "kind"),
        .contrast = g_hash_table_lookup (form, "contrast"),
      };
      int kind = state.kind != NULL ? clave_contrast_kind_from_string (state.kind) : -1;

      if (clave_document_validate (state.document != NULL ? state.document : "", &document,
                                   &error) == CLAVE_DOCUMENT_TYPE_UNKNOWN)
        {
          state.error = document_error_text (error);
          reply_landing_error (self, msg, cookie, SOUP_STATUS_BAD_REQUEST, &state);
          return;
        }
      if (kind < 0)
        {
          state.error = "Elija el tipo de dato de contraste.";
          reply_landing_error (self, msg, cookie, SOUP_STATUS_BAD_REQUEST, &state);
          return;
        }
      contrast = clave_contrast_normalize ((ClaveContrastKind) kind,
                                           state.contrast != NULL ? state.contrast : "", NULL);
      if (contrast == NULL)
        {
          state.error = contrast_error_text ((ClaveContrastKind) kind);
          reply_landing_error (self, msg, cookie, SOUP_STATUS_BAD_REQUEST, &state);
          return;
        }
      kind_name = clave_contrast_kind_to_string ((ClaveContrastKind) kind);

      request = clave_auth_requests_create (self->server, rp_id, type, document, kind_name,
                                            contrast, soup_server_message_get_remote_host (msg),
                                            &error);
      if (request == NULL)
        {
          state.error = error_text (error);
          reply_landing_error (self, msg, cookie, error_status (error), &state);
          return;
        }
    }
  else
    {
      request = clave_auth_requests_create (self->server, rp_id, type, NULL, NULL, NULL,
                                            soup_server_message_get_remote_host (msg), &error);
      if (request == NULL)
        {
          _clave_demo_reply_message_page (msg, error_status (error), "No se ha podido continuar",
                                          error_text (error));
          return;
        }
    }

  clave_demo_sessions_bind_request (self->sessions, request->id, cookie);
  page = request_page (self, cookie, request, NULL);
  _clave_demo_reply_html (msg, SOUP_STATUS_OK, page);
}

static void
remove_spaces (char *text)
{
  char *out = text;

  for (const char *p = text; *p != '\0'; p++)
    if (*p != ' ')
      *out++ = *p;
  *out = '\0';
}

static void
handle_sms_pin (ClaveDemoSite     *self,
                SoupServerMessage *msg)
{
  g_autofree char *cookie = NULL;
  g_autoptr(GHashTable) form = _clave_demo_read_checked_form (self, msg, &cookie);
  g_autoptr(ClaveAuthRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *page = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *message = NULL;
  const char *id;
  const char *typed;
  const char *rp_id;
  guint attempts_left = 0;
  guint status = SOUP_STATUS_OK;

  if (form == NULL)
    return;
  rp_id = demo_rp_or_reply (self, msg);
  if (rp_id == NULL)
    return;

  id = g_hash_table_lookup (form, "id");
  if (id == NULL || !clave_demo_is_token (id, MAX_ID_LENGTH) ||
      !clave_demo_sessions_owns (self->sessions, id, cookie))
    {
      _clave_demo_reply_message_page (msg, SOUP_STATUS_NOT_FOUND, "Solicitud no encontrada",
                                      "La solicitud no existe o se hizo desde otro navegador.");
      return;
    }

  /* People copy PINs with spaces from the message. */
  typed = g_hash_table_lookup (form, "pin");
  pin = g_strdup (typed != NULL ? typed : "");
  remove_spaces (pin);

  if (strlen (pin) != 8 || strspn (pin, "0123456789") != 8)
    {
      message = g_strdup ("El PIN tiene 8 cifras.");
      status = SOUP_STATUS_BAD_REQUEST;
    }
  else if (!clave_auth_requests_submit_sms_pin (self->server, rp_id, id, pin, &error))
    {
      attempts_left = (guint) MAX (0, clave_protocol_error_get_attempts_left (error));
      status = error_status (error);
      if (g_error_matches (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CODE) &&
          attempts_left > 0)
        message = g_strdup_printf ("El PIN no es correcto. %s %u %s.",
                                   attempts_left == 1 ? "Le queda" : "Le quedan", attempts_left,
                                   attempts_left == 1 ? "intento" : "intentos");
      else
        message = g_strdup (error_text (error));
    }

  g_clear_error (&error);
  request = clave_auth_requests_get (self->server, rp_id, id, &error);
  if (request == NULL)
    {
      _clave_demo_reply_message_page (msg, error_status (error), "No se ha podido continuar",
                                      error_text (error));
      return;
    }

  page = request_page (self, cookie, request, message);
  _clave_demo_reply_html (msg, status, page);
}

/* GET /demo/requests/{id} (HTML) and /demo/api/requests/{id} (JSON):
 * only for the browser that made the request. */
static ClaveAuthRequest *
lookup_bound_request (ClaveDemoSite      *self,
                      SoupServerMessage  *msg,
                      const char         *id,
                      char              **cookie,
                      GError            **error)
{
  const char *rp_id = clave_server_get_demo_rp_id (self->server);

  *cookie = clave_demo_sessions_request_cookie (msg);
  if (rp_id == NULL || !clave_demo_is_token (id, MAX_ID_LENGTH) ||
      !clave_demo_sessions_owns (self->sessions, id, *cookie))
    {
      g_set_error (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_NOT_FOUND,
                   "No request of this browser has this id");
      return NULL;
    }
  return clave_auth_requests_get (self->server, rp_id, id, error);
}

static void
handle_request_page (ClaveDemoSite     *self,
                     SoupServerMessage *msg,
                     const char        *id)
{
  g_autofree char *cookie = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveAuthRequest) request = lookup_bound_request (self, msg, id, &cookie, &error);
  g_autofree char *page = NULL;

  if (request == NULL)
    {
      _clave_demo_reply_message_page (msg, error_status (error), "Solicitud no encontrada",
                                      error_text (error));
      return;
    }
  page = request_page (self, cookie, request, NULL);
  _clave_demo_reply_html (msg, SOUP_STATUS_OK, page);
}

static void
handle_api_request (ClaveDemoSite     *self,
                    SoupServerMessage *msg,
                    const char        *id)
{
  g_autofree char *cookie = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveAuthRequest) request = lookup_bound_request (self, msg, id, &cookie, &error);

  if (request == NULL)
    {
      reply_json_error (msg, error_status (error), clave_protocol_error_get_name (error),
                        error->message);
      return;
    }

  clave_auth_request_reply (msg, SOUP_STATUS_OK, request);
  set_security_headers (msg);
}

static void
handle_asset (SoupServerMessage *msg,
              const char        *name,
              const char        *content_type)
{
  g_autofree char *path = g_strconcat (RESOURCE_DIR, name, NULL);
  g_autoptr(GBytes) data = g_resource_lookup_data (clave_demo_get_resource (), path,
                                                   G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  gsize len = 0;
  const void *bytes;

  g_assert (data != NULL);
  bytes = g_bytes_get_data (data, &len);
  reply_bytes (msg, SOUP_STATUS_OK, content_type, "no-cache", bytes, len);
}

static void
handle_landing (ClaveDemoSite     *self,
                SoupServerMessage *msg)
{
  g_autofree char *cookie = clave_demo_sessions_ensure_cookie (msg);
  g_autofree char *csrf = clave_demo_sessions_csrf_token (self->sessions, cookie);
  g_autofree char *page = clave_demo_page_landing (csrf, NULL);

  _clave_demo_reply_html (msg, SOUP_STATUS_OK, page);
}

gboolean
clave_demo_site_handle (ClaveServer       *server,
                        SoupServerMessage *msg,
                        const char        *path)
{
  static const struct {
    const char *name;
    const char *content_type;
  } assets[] = {
    { "style.css", "text/css; charset=utf-8" },
    { "app.js", "text/javascript; charset=utf-8" },
    { "emblem.svg", "image/svg+xml" },
  };
  ClaveDemoSite *self;

  g_return_val_if_fail (CLAVE_IS_SERVER (server), FALSE);

  if (!g_str_equal (path, CLAVE_DEMO_SITE_PATH) && !g_str_has_prefix (path, PATH_ROOT))
    return FALSE;

  self = demo_site_for (server);

  if (g_str_equal (path, CLAVE_DEMO_SITE_PATH))
    {
      soup_server_message_set_redirect (msg, SOUP_STATUS_PERMANENT_REDIRECT, PATH_ROOT);
      set_security_headers (msg);
      return TRUE;
    }

  if (g_str_equal (path, PATH_ROOT))
    {
      if (!_clave_demo_method_is_get (msg))
        _clave_demo_reply_method_not_allowed (msg, "GET, HEAD");
      else
        handle_landing (self, msg);
      return TRUE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (assets); i++)
    if (g_str_equal (path + strlen (PATH_ROOT), assets[i].name))
      {
        if (!_clave_demo_method_is_get (msg))
          _clave_demo_reply_method_not_allowed (msg, "GET, HEAD");
        else
          handle_asset (msg, assets[i].name, assets[i].content_type);
        return TRUE;
      }

  if (g_str_equal (path, PATH_QR) || g_str_equal (path, PATH_PUSH) ||
      g_str_equal (path, PATH_SMS) || g_str_equal (path, PATH_SMS_PIN))
    {
      if (!clave_http_method_is (msg, SOUP_METHOD_POST))
        _clave_demo_reply_method_not_allowed (msg, "POST");
      else if (g_str_equal (path, PATH_QR))
        handle_create (self, msg, CLAVE_REQUEST_TYPE_QR);
      else if (g_str_equal (path, PATH_PUSH))
        handle_create (self, msg, CLAVE_REQUEST_TYPE_PUSH);
      else if (g_str_equal (path, PATH_SMS))
        handle_create (self, msg, CLAVE_REQUEST_TYPE_SMS);
      else
        handle_sms_pin (self, msg);
      return TRUE;
    }

  if (g_str_has_prefix (path, PATH_REQUEST))
    {
      if (!_clave_demo_method_is_get (msg))
        _clave_demo_reply_method_not_allowed (msg, "GET, HEAD");
      else
        handle_request_page (self, msg, path + strlen (PATH_REQUEST));
      return TRUE;
    }

  if (_clave_demo_permanente_handle (self, server, msg, path))
    return TRUE;

  if (g_str_has_prefix (path, PATH_API_REQUEST))
    {
      if (!_clave_demo_method_is_get (msg))
        {
          reply_json_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED,
                            "This method is not allowed on this path.");
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Allow", "GET, HEAD");
        }
      else
        handle_api_request (self, msg, path + strlen (PATH_API_REQUEST));
      return TRUE;
    }

  _clave_demo_reply_message_page (msg, SOUP_STATUS_NOT_FOUND, "Página no encontrada",
                                  "La página que busca no existe en esta sede.");
  return TRUE;
}
