/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-demo-site"

#include "config.h"

#include <string.h>

#include "clave-auth-requests.h"
#include "clave-crypto.h"
#include "clave-demo-resources.h"
#include "clave-demo-session.h"
#include "clave-demo-site.h"
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
typedef struct {
  const char *form;         /* "push" or "sms" */
  const char *document;
  const char *kind;
  const char *contrast;
  const char *error;
} FormState;

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

static void
reply_html (SoupServerMessage *msg,
            guint              status,
            GString           *page)
{
  reply_bytes (msg, status, "text/html; charset=utf-8", "no-store", page->str, page->len);
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

/* Appends @format with every %s argument escaped for HTML text and
 * attributes. */
static void G_GNUC_PRINTF (2, 3)
html_append (GString    *page,
             const char *format,
             ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_markup_vprintf_escaped (format, args);
  va_end (args);
  g_string_append (page, text);
}

static void
page_begin (GString    *page,
            const char *title,
            const char *crumb)
{
  html_append (page,
               "<!DOCTYPE html>\n"
               "<html lang=\"es\">\n"
               "<head>\n"
               "<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<meta name=\"referrer\" content=\"no-referrer\">\n"
               "<title>%s · Sede electrónica de demostración</title>\n"
               "<link rel=\"stylesheet\" href=\"/demo/style.css\">\n"
               "<link rel=\"icon\" href=\"/demo/emblem.svg\" type=\"image/svg+xml\">\n"
               "<script src=\"/demo/app.js\" defer></script>\n"
               "</head>\n"
               "<body>\n"
               "<div class=\"stripe\"></div>\n"
               "<header class=\"site-header\"><div class=\"wrap\">"
               "<a class=\"brand\" href=\"/demo/\">"
               "<img src=\"/demo/emblem.svg\" alt=\"\" width=\"44\" height=\"44\">"
               "<span class=\"brand-text\"><span class=\"brand-name\">Sede electrónica de demostración</span>"
               "<span class=\"brand-sub\">Entorno de pruebas de Clave Desktop · no es un servicio oficial</span>"
               "</span></a>"
               "<span class=\"header-note\">Castellano</span>"
               "</div></header>\n"
               "<nav class=\"topnav\" aria-label=\"Secciones\"><div class=\"wrap\">"
               "<a href=\"/demo/\">Inicio</a><span class=\"current\">Identificación</span>"
               "</div></nav>\n"
               "<nav class=\"breadcrumb wrap\" aria-label=\"Ruta\">"
               "<a href=\"/demo/\">Inicio</a> › %s</nav>\n"
               "<main class=\"wrap\">\n",
               title, crumb);
}

static void
page_end (GString *page)
{
  g_string_append (page,
                   "</main>\n"
                   "<footer class=\"site-footer\"><div class=\"wrap\">"
                   "Sede electrónica de demostración del servicio de referencia de Clave Desktop. "
                   "Los datos son ficticios. Accesibilidad · Aviso legal · Protección de datos"
                   "</div></footer>\n"
                   "</body>\n</html>\n");
}

static void
reply_message_page (SoupServerMessage *msg,
                    guint              status,
                    const char        *title,
                    const char        *text)
{
  g_autoptr(GString) page = g_string_new (NULL);

  page_begin (page, title, title);
  html_append (page,
               "<h1>%s</h1>\n"
               "<div class=\"alert error\" role=\"alert\" id=\"error\">%s</div>\n"
               "<p class=\"back\"><a class=\"button secondary\" href=\"/demo/\">Volver al inicio</a></p>\n",
               title, text);
  page_end (page);
  reply_html (msg, status, page);
}

/* Pages */

static const char *
level_label (const char *level)
{
  if (g_strcmp0 (level, CLAVE_LEVEL_ADVANCED) == 0)
    return "avanzado";
  if (g_strcmp0 (level, CLAVE_LEVEL_BASIC) == 0)
    return "básico";
  return level != NULL ? level : "";
}

static const char *
type_title (const char *type)
{
  if (g_strcmp0 (type, CLAVE_REQUEST_TYPE_QR) == 0)
    return "Con código QR";
  if (g_strcmp0 (type, CLAVE_REQUEST_TYPE_SMS) == 0)
    return "Por SMS";
  return "Sin código QR";
}

static void
append_contrast_fields (GString         *page,
                        const char      *form,
                        const FormState *state)
{
  static const struct {
    const char *kind;
    const char *label;
  } kinds[] = {
    { "validity_date", "Fecha de validez" },
    { "issue_date", "Fecha de expedición (DNI permanente)" },
    { "support_number", "Número de soporte (NIE)" },
  };
  gboolean ours = state != NULL && g_strcmp0 (state->form, form) == 0;
  const char *document = ours && state->document != NULL ? state->document : "";
  const char *contrast = ours && state->contrast != NULL ? state->contrast : "";

  html_append (page,
               "<label for=\"%s-document\">DNI / NIE</label>"
               "<input type=\"text\" id=\"%s-document\" name=\"document\" value=\"%s\" "
               "autocomplete=\"off\" spellcheck=\"false\" maxlength=\"20\" placeholder=\"12345678Z\" required>"
               "<label for=\"%s-kind\">Dato de contraste</label>"
               "<select id=\"%s-kind\" name=\"kind\">",
               form, form, document, form, form);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    html_append (page, "<option value=\"%s\"%s>%s</option>", kinds[i].kind,
                 ours && g_strcmp0 (state->kind, kinds[i].kind) == 0 ? " selected" : "",
                 kinds[i].label);
  html_append (page,
               "</select>"
               "<label for=\"%s-contrast\">Valor</label>"
               "<input type=\"text\" id=\"%s-contrast\" name=\"contrast\" value=\"%s\" "
               "autocomplete=\"off\" spellcheck=\"false\" maxlength=\"20\" "
               "placeholder=\"dd/mm/aaaa o E01234567\" required>"
               "<p class=\"hint\">Fechas como dd/mm/aaaa; el número de soporte, tal como figura "
               "en la tarjeta (E01234567).</p>",
               form, form, contrast);
  if (ours && state->error != NULL)
    html_append (page, "<div class=\"alert error\" role=\"alert\" id=\"%s-error\">%s</div>",
                 form, state->error);
}

static GString *
render_landing (ClaveDemoSite   *self,
                const char      *cookie,
                const FormState *state)
{
  GString *page = g_string_new (NULL);
  g_autofree char *csrf = clave_demo_sessions_csrf_token (self->sessions, cookie);

  page_begin (page, "Acceder con Cl@ve Móvil", "Identificación");
  html_append (page,
               "<h1>Acceder con Cl@ve Móvil</h1>\n"
               "<p class=\"lead\">Para continuar con su trámite, identifíquese con Cl@ve Móvil en "
               "Clave Desktop. Elija cómo quiere hacerlo.</p>\n"
               "<div class=\"options\">\n"
               "<section class=\"card\" id=\"option-qr\" aria-labelledby=\"qr-title\">"
               "<svg class=\"icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path fill=\"currentColor\" "
               "d=\"M3 3h8v8H3zm2 2v4h4V5zm8-2h8v8h-8zm2 2v4h4V5zM3 13h8v8H3zm2 2v4h4v-4zm8-2h2v2h-2zm2 2h2v2h-2zm2-2h2v2h-2zm2 2h2v2h-2zm-4 2h2v2h-2zm2 2h2v2h-2zm2-2h2v2h-2z\"/></svg>"
               "<h2 id=\"qr-title\">Con código QR</h2>"
               "<p>Se mostrará un código QR. Escanéelo con Clave Desktop o ábralo directamente "
               "en este equipo y compare el código de verificación.</p>"
               "<p>Útil cuando Clave Desktop está en otro equipo o no quiere escribir sus "
               "datos en esta página.</p>"
               "<form method=\"post\" action=\"/demo/qr\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
               "<button class=\"button\" type=\"submit\" id=\"qr-submit\">Generar código QR</button>"
               "</form></section>\n"
               "<section class=\"card\" id=\"option-push\" aria-labelledby=\"push-title\">"
               "<svg class=\"icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path fill=\"currentColor\" "
               "d=\"M3 4h18v12H3zm2 2v8h14V6zM8 18h8v2H8z\"/></svg>"
               "<h2 id=\"push-title\">Sin código QR</h2>"
               "<p>Escriba su DNI o NIE y un dato de contraste. La solicitud llegará a Clave "
               "Desktop en el equipo donde tenga activada Cl@ve Móvil.</p>"
               "<form method=\"post\" action=\"/demo/push\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
               csrf, csrf);
  append_contrast_fields (page, "push", state);
  html_append (page,
               "<button class=\"button\" type=\"submit\" id=\"push-submit\">Enviar solicitud</button>"
               "</form></section>\n"
               "<section class=\"card\" id=\"option-sms\" aria-labelledby=\"sms-title\">"
               "<svg class=\"icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\"><path fill=\"currentColor\" "
               "d=\"M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h10V5zm4 14h2v1h-2z\"/></svg>"
               "<h2 id=\"sms-title\">Por SMS</h2>"
               "<p>Recibirá un PIN de 8 cifras por SMS en el teléfono que registró en Cl@ve. "
               "Escríbalo en la página siguiente.</p>"
               "<form method=\"post\" action=\"/demo/sms\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
               csrf);
  append_contrast_fields (page, "sms", state);
  g_string_append (page,
                   "<button class=\"button\" type=\"submit\" id=\"sms-submit\">Enviar SMS</button>"
                   "</form></section>\n"
                   "</div>\n");
  page_end (page);
  return page;
}

static gint64
seconds_left (const ClaveAuthRequest *request)
{
  return MAX (0, request->expires_at - g_get_real_time () / G_USEC_PER_SEC);
}

static void
append_countdown (GString                *page,
                  const ClaveAuthRequest *request)
{
  gint64 left = seconds_left (request);

  g_string_append_printf (page,
                          "<p class=\"countdown\">Tiempo restante: <strong id=\"countdown-value\">"
                          "%" G_GINT64_FORMAT ":%02d</strong></p>",
                          left / 60, (int) (left % 60));
}

static void
append_status (GString                *page,
               const ClaveAuthRequest *request,
               const char             *waiting)
{
  g_autofree char *path = g_strconcat (PATH_REQUEST, request->id, NULL);

  html_append (page,
               "<div class=\"status\" id=\"status\" role=\"status\" aria-live=\"polite\" "
               "data-request-id=\"%s\" data-expires-in=\"%" G_GINT64_FORMAT "\">"
               "<p class=\"status-title\">%s</p>"
               "<p class=\"status-detail\"><a href=\"%s\">Comprobar el estado</a></p></div>\n",
               request->id, seconds_left (request), waiting, path);
}

static void
append_outcome (GString                *page,
                const ClaveAuthRequest *request)
{
  if (g_strcmp0 (request->status, CLAVE_REQUEST_STATUS_CONFIRMED) == 0)
    html_append (page,
                 "<div class=\"status ok result\" id=\"status\" role=\"status\">"
                 "<p class=\"status-title\">Autenticación completada</p>"
                 "<p class=\"status-detail\">Se ha identificado con Cl@ve Móvil.</p>"
                 "<dl><dt>Documento</dt><dd id=\"result-document\">%s</dd>"
                 "<dt>Nivel</dt><dd id=\"result-level\">%s</dd>"
                 "<dt>Forma de acceso</dt><dd>%s</dd></dl></div>\n",
                 request->document != NULL ? request->document : "",
                 level_label (request->level), type_title (request->type));
  else if (g_strcmp0 (request->status, CLAVE_REQUEST_STATUS_REJECTED) == 0)
    g_string_append (page,
                     "<div class=\"status bad\" id=\"status\" role=\"status\">"
                     "<p class=\"status-title\">Solicitud rechazada</p>"
                     "<p class=\"status-detail\">La solicitud se ha rechazado. Puede volver a "
                     "intentarlo desde la página de inicio.</p></div>\n");
  else
    g_string_append (page,
                     "<div class=\"status bad\" id=\"status\" role=\"status\">"
                     "<p class=\"status-title\">Solicitud caducada</p>"
                     "<p class=\"status-detail\">El tiempo para confirmar la solicitud ha "
                     "terminado. Vuelva a intentarlo.</p></div>\n");
}

static GString *
render_request (ClaveDemoSite          *self,
                const char             *cookie,
                const ClaveAuthRequest *request,
                const char             *error_text)
{
  GString *page = g_string_new (NULL);
  const char *title = type_title (request->type);
  gboolean pending = g_strcmp0 (request->status, CLAVE_REQUEST_STATUS_PENDING) == 0;
  gboolean is_qr = g_strcmp0 (request->type, CLAVE_REQUEST_TYPE_QR) == 0;
  gboolean is_sms = g_strcmp0 (request->type, CLAVE_REQUEST_TYPE_SMS) == 0;

  page_begin (page, "Acceder con Cl@ve Móvil", title);
  html_append (page, "<h1>Acceder con Cl@ve Móvil</h1>\n<p class=\"lead\">%s.</p>\n", title);

  if (!pending)
    {
      append_outcome (page, request);
      g_string_append (page, "<p class=\"back\" id=\"back\"><a class=\"button secondary\" "
                             "href=\"/demo/\">Volver al inicio</a></p>\n");
      page_end (page);
      return page;
    }

  if (is_qr && request->uri != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *svg = clave_demo_site_qr_svg (request->uri, &error);

      html_append (page,
                   "<div class=\"request\" id=\"request\">"
                   "<div class=\"qr-box\" id=\"qr-box\" data-uri=\"%s\">",
                   request->uri);
      if (svg != NULL)
        g_string_append (page, svg);
      else
        g_warning ("QR code of request %s: %s", request->id, error->message);
      html_append (page,
                   "<p class=\"qr-caption\">Escanee este código con Clave Desktop.</p></div>"
                   "<div class=\"request-info\">"
                   "<p class=\"code-label\">Código de verificación</p>"
                   "<p class=\"code\" id=\"verification-code\">%s</p>"
                   "<p>Compruebe que Clave Desktop muestra este mismo código antes de confirmar.</p>",
                   request->verification_code);
      append_countdown (page, request);
      html_append (page,
                   "<a class=\"button\" id=\"open-in-app\" data-while-pending "
                   "href=\"%s\">Abrir en Clave Desktop</a>"
                   "<ol class=\"steps\"><li>Abra Clave Desktop y elija «Escanear código QR», o "
                   "pulse «Abrir en Clave Desktop» si la aplicación está en este equipo.</li>"
                   "<li>Compruebe la dirección de esta sede y el código de verificación.</li>"
                   "<li>Confirme con el PIN de su dispositivo.</li></ol>"
                   "</div></div>\n",
                   request->uri);
      append_status (page, request, "Esperando la confirmación en Clave Desktop…");
    }
  else if (is_sms)
    {
      g_autofree char *csrf = clave_demo_sessions_csrf_token (self->sessions, cookie);

      html_append (page,
                   "<div class=\"request single\" id=\"request\"><div>"
                   "<p>Hemos enviado un SMS con un PIN de 8 cifras al teléfono que registró en "
                   "Cl@ve. Escríbalo para continuar.</p>"
                   "<form class=\"pin-form\" method=\"post\" action=\"/demo/sms-pin\">"
                   "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
                   "<input type=\"hidden\" name=\"id\" value=\"%s\">"
                   "<label for=\"sms-pin\">PIN recibido por SMS</label>"
                   "<input class=\"pin\" type=\"text\" id=\"sms-pin\" name=\"pin\" inputmode=\"numeric\" "
                   "autocomplete=\"one-time-code\" maxlength=\"8\" pattern=\"[0-9]{8}\" required>",
                   csrf, request->id);
      if (error_text != NULL)
        html_append (page, "<div class=\"alert error\" role=\"alert\" id=\"pin-error\">%s</div>",
                     error_text);
      g_string_append (page, "<button class=\"button\" type=\"submit\" id=\"pin-submit\">"
                             "Confirmar</button></form>");
      append_countdown (page, request);
      g_string_append (page, "</div></div>\n");
      append_status (page, request, "Esperando el PIN recibido por SMS…");
    }
  else
    {
      html_append (page,
                   "<div class=\"request single\" id=\"request\"><div>"
                   "<p>Hemos enviado la solicitud a Clave Desktop, en el equipo donde tiene "
                   "activada Cl@ve Móvil.</p>"
                   "<p class=\"code-label\">Código de verificación</p>"
                   "<p class=\"code\" id=\"verification-code\">%s</p>"
                   "<p>Compruebe que Clave Desktop muestra este mismo código antes de confirmar.</p>",
                   request->verification_code);
      append_countdown (page, request);
      g_string_append (page, "</div></div>\n");
      append_status (page, request, "Esperando la confirmación en Clave Desktop…");
    }

  /* Once the request is answered, app.js drops what only a pending
   * request can use (data-while-pending) and shows the way back
   * (data-when-answered), as the server's own view of an answered request
   * does. */
  g_string_append (page, "<p class=\"back\" id=\"cancel\" data-while-pending>"
                         "<a class=\"button secondary\" href=\"/demo/\">"
                         "Cancelar y volver al inicio</a></p>\n"
                         "<p class=\"back\" id=\"back\" data-when-answered hidden>"
                         "<a class=\"button secondary\" href=\"/demo/\">"
                         "Volver al inicio</a></p>\n");
  page_end (page);
  return page;
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

static gboolean
method_is (SoupServerMessage *msg,
           const char        *method)
{
  return g_strcmp0 (soup_server_message_get_method (msg), method) == 0;
}

static gboolean
method_is_get (SoupServerMessage *msg)
{
  return method_is (msg, SOUP_METHOD_GET) || method_is (msg, SOUP_METHOD_HEAD);
}

static void
reply_method_not_allowed (SoupServerMessage *msg,
                          const char        *allow)
{
  reply_message_page (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Operación no permitida",
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
      reply_message_page (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "Formulario no válido",
                          "El formulario no se ha enviado de la forma esperada.");
      return NULL;
    }
  if (memchr (data, '\0', len) != NULL)
    {
      reply_message_page (msg, SOUP_STATUS_BAD_REQUEST, "Formulario no válido",
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
        reply_message_page (msg, SOUP_STATUS_BAD_REQUEST, "Formulario no válido",
                            "El formulario contiene datos no válidos.");
        return NULL;
      }
  return form;
}

/* Reads a POSTed form and checks its CSRF token against the browser's
 * cookie; NULL after answering. */
static GHashTable *
read_checked_form (ClaveDemoSite      *self,
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
      reply_message_page (msg, SOUP_STATUS_FORBIDDEN, "Sesión no válida",
                          "La sesión de esta página no es válida o ha terminado. Vuelva a la "
                          "página de inicio e inténtelo de nuevo.");
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
    reply_message_page (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "Sede no disponible",
                        "La sede de demostración no está configurada en este servicio: "
                        "ejecute «clave-admin seed-demo».");
  return rp_id;
}

static void
reply_landing_error (ClaveDemoSite     *self,
                     SoupServerMessage *msg,
                     const char        *cookie,
                     guint              status,
                     const FormState   *state)
{
  g_autoptr(GString) page = render_landing (self, cookie, state);

  reply_html (msg, status, page);
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
  g_autoptr(GHashTable) form = read_checked_form (self, msg, &cookie);
  g_autoptr(ClaveAuthRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *document = NULL;
  g_autofree char *contrast = NULL;
  const char *kind_name = NULL;
  const char *rp_id;
  g_autoptr(GString) page = NULL;

  if (form == NULL)
    return;
  rp_id = demo_rp_or_reply (self, msg);
  if (rp_id == NULL)
    return;

  if (!g_str_equal (type, CLAVE_REQUEST_TYPE_QR))
    {
      FormState state = {
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
          reply_message_page (msg, error_status (error), "No se ha podido continuar",
                              error_text (error));
          return;
        }
    }

  clave_demo_sessions_bind_request (self->sessions, request->id, cookie);
  page = render_request (self, cookie, request, NULL);
  reply_html (msg, SOUP_STATUS_OK, page);
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
  g_autoptr(GHashTable) form = read_checked_form (self, msg, &cookie);
  g_autoptr(ClaveAuthRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) page = NULL;
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
      reply_message_page (msg, SOUP_STATUS_NOT_FOUND, "Solicitud no encontrada",
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
      reply_message_page (msg, error_status (error), "No se ha podido continuar",
                          error_text (error));
      return;
    }

  page = render_request (self, cookie, request, message);
  reply_html (msg, status, page);
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
  g_autoptr(GString) page = NULL;

  if (request == NULL)
    {
      reply_message_page (msg, error_status (error), "Solicitud no encontrada",
                          error_text (error));
      return;
    }
  page = render_request (self, cookie, request, NULL);
  reply_html (msg, SOUP_STATUS_OK, page);
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
  g_autoptr(GString) page = render_landing (self, cookie, NULL);

  reply_html (msg, SOUP_STATUS_OK, page);
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
      if (!method_is_get (msg))
        reply_method_not_allowed (msg, "GET, HEAD");
      else
        handle_landing (self, msg);
      return TRUE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (assets); i++)
    if (g_str_equal (path + strlen (PATH_ROOT), assets[i].name))
      {
        if (!method_is_get (msg))
          reply_method_not_allowed (msg, "GET, HEAD");
        else
          handle_asset (msg, assets[i].name, assets[i].content_type);
        return TRUE;
      }

  if (g_str_equal (path, PATH_QR) || g_str_equal (path, PATH_PUSH) ||
      g_str_equal (path, PATH_SMS) || g_str_equal (path, PATH_SMS_PIN))
    {
      if (!method_is (msg, SOUP_METHOD_POST))
        reply_method_not_allowed (msg, "POST");
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
      if (!method_is_get (msg))
        reply_method_not_allowed (msg, "GET, HEAD");
      else
        handle_request_page (self, msg, path + strlen (PATH_REQUEST));
      return TRUE;
    }

  if (g_str_has_prefix (path, PATH_API_REQUEST))
    {
      if (!method_is_get (msg))
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

  reply_message_page (msg, SOUP_STATUS_NOT_FOUND, "Página no encontrada",
                      "La página que busca no existe en esta sede.");
  return TRUE;
}
