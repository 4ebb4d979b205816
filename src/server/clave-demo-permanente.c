/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-demo-site"

#include "config.h"

#include <string.h>

#include "clave-crypto.h"
#include "clave-demo-site-private.h"
#include "clave-demo-template.h"
#include "clave-http.h"
#include "clave-identify.h"
#include "clave-permanente.h"
#include "clave-protocol.h"
#include "clave-routes.h"

/* The Cl@ve Permanente activation website of the reference service
 * (docs/protocol.md "Cl@ve Permanente"): document, e-mail and activation
 * code; the SMS code; the password. Each step's form carries the
 * activation's id and bearer token (hidden fields, over TLS, under the
 * browser's CSRF token); the service keeps only the token's hash. The
 * text is Spanish, as the rest of the site. */

#define PATH_START    "/demo/permanente/"
#define PATH_ACTIVATE "/demo/permanente/activar"
#define PATH_SMS      "/demo/permanente/sms"
#define PATH_PASSWORD "/demo/permanente/clave"
#define TITLE         "Activar Cl@ve Permanente"

static char *
alert (const char *text)
{
  if (text == NULL)
    return NULL;
  return clave_demo_template_render ("alert.html", "id", "pm-error", "text", text, NULL);
}

static void
reply_page (SoupServerMessage *msg,
            guint              status,
            const char        *title,
            const char        *content)
{
  g_autofree char *page = clave_demo_template_render ("page.html",
                                                      "title", title,
                                                      "crumb", title,
                                                      "content", content,
                                                      NULL);

  _clave_demo_reply_html (msg, status, page);
}

static void
reply_start (ClaveDemoSite     *self,
             SoupServerMessage *msg,
             const char        *cookie,
             guint              status,
             const char        *document,
             const char        *email,
             const char        *error_text)
{
  g_autofree char *csrf = clave_demo_sessions_csrf_token (_clave_demo_site_get_sessions (self),
                                                          cookie);
  g_autofree char *error = alert (error_text);
  g_autofree char *content = clave_demo_template_render ("permanente-start.html",
                                                         "csrf", csrf,
                                                         "document", document,
                                                         "email", email,
                                                         "error", error,
                                                         NULL);

  reply_page (msg, status, TITLE, content);
}

/* The SMS step of activation @id (@token): what was sent (NULL: not
 * said again) and @error_text (or NULL) above the form. */
static void
reply_sms (ClaveDemoSite       *self,
           SoupServerMessage   *msg,
           const char          *cookie,
           guint                status,
           const char          *id,
           const char          *token,
           const ClaveCodeSent *sent,
           const char          *error_text)
{
  g_autofree char *csrf = clave_demo_sessions_csrf_token (_clave_demo_site_get_sessions (self),
                                                          cookie);
  g_autofree char *error = alert (error_text);
  g_autofree char *said = NULL;
  g_autofree char *content = NULL;

  if (sent != NULL)
    {
      const char *hint = sent->phone_hint != NULL ? sent->phone_hint : "";
      g_autofree char *phone = g_strdup (hint + strlen (hint) - MIN (strlen (hint), 3));
      g_autofree char *minutes = g_strdup_printf ("%u", MAX (1u, sent->code_expires_in / 60));

      said = clave_demo_template_render ("permanente-sent.html", "phone", phone,
                                         "minutes", minutes, NULL);
    }
  content = clave_demo_template_render ("permanente-sms.html", "sent", said, "csrf", csrf,
                                        "id", id, "token", token, "error", error, NULL);
  reply_page (msg, status, TITLE, content);
}

/* The password step of activation @id (@token). */
static void
reply_password (ClaveDemoSite     *self,
                SoupServerMessage *msg,
                const char        *cookie,
                guint              status,
                const char        *id,
                const char        *token,
                const char        *error_text)
{
  g_autofree char *csrf = clave_demo_sessions_csrf_token (_clave_demo_site_get_sessions (self),
                                                          cookie);
  g_autofree char *error = alert (error_text);
  g_autofree char *content = clave_demo_template_render ("permanente-password.html",
                                                         "csrf", csrf, "id", id,
                                                         "token", token, "error", error,
                                                         NULL);

  reply_page (msg, status, TITLE, content);
}

/* What the person reads for a refusal. */
static const char *
error_text (const GError *error)
{
  const char *code = clave_protocol_error_get_name (error);

  if (g_strcmp0 (code, CLAVE_ERR_INVALID_ACTIVATION_CODE) == 0 ||
      g_strcmp0 (code, CLAVE_ERR_INVALID_DOCUMENT) == 0)
    return "El documento, el correo electrónico o el código de activación no son correctos.";
  if (g_strcmp0 (code, CLAVE_ERR_ACTIVATION_CODE_BLOCKED) == 0)
    return "El código de activación se ha bloqueado tras 5 intentos fallidos. Pida uno nuevo "
           "en Clave Desktop (Mis datos › Cl@ve Permanente) o en una oficina de registro.";
  if (g_strcmp0 (code, CLAVE_ERR_ACTIVATION_CODE_EXPIRED) == 0)
    return "El código de activación ha caducado. Pida uno nuevo en Clave Desktop.";
  if (g_strcmp0 (code, CLAVE_ERR_INVALID_CODE) == 0)
    return "El código del SMS no es correcto.";
  if (g_strcmp0 (code, CLAVE_ERR_CODE_EXPIRED) == 0)
    return "El código del SMS ha caducado. Vuelva a empezar.";
  if (g_strcmp0 (code, CLAVE_ERR_WEAK_PASSWORD) == 0)
    return "La contraseña no cumple las reglas: al menos 8 caracteres con tres tipos (o 16 "
           "caracteres), sin su nombre, apellidos ni número de documento.";
  if (g_strcmp0 (code, CLAVE_ERR_TOO_MANY_ATTEMPTS) == 0 ||
      g_strcmp0 (code, CLAVE_ERR_RESEND_TOO_SOON) == 0)
    return "Ha hecho demasiados intentos. Espere unos minutos antes de volver a intentarlo.";
  if (g_strcmp0 (code, CLAVE_ERR_INVALID_ACTIVATION) == 0 ||
      g_strcmp0 (code, CLAVE_ERR_ACTIVATION_LOCKED) == 0 ||
      g_strcmp0 (code, CLAVE_ERR_ACTIVATION_EXPIRED) == 0 ||
      g_strcmp0 (code, CLAVE_ERR_ACTIVATION_NOT_VERIFIED) == 0)
    return "Esta activación ya no es válida. Vuelva a empezar.";
  return "El servicio no ha podido atender la solicitud. Inténtelo más tarde.";
}

static guint
error_status (const GError *error)
{
  guint status = clave_protocol_error_get_status (error);

  if (status >= 500)
    g_warning ("Cl@ve Permanente site: %s", error->message);
  return status;
}

/* A field of @form, "" when missing. */
static const char *
field (GHashTable *form,
       const char *name)
{
  const char *value = g_hash_table_lookup (form, name);

  return value != NULL ? value : "";
}

static void
handle_activate (ClaveDemoSite     *self,
                 ClaveServer       *server,
                 SoupServerMessage *msg)
{
  g_autofree char *cookie = NULL;
  g_autoptr(GHashTable) form = _clave_demo_read_checked_form (self, msg, &cookie);
  g_autoptr(ClavePermanenteStart) start = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *email = NULL;
  g_autofree char *source = NULL;

  if (form == NULL)
    return;
  email = g_strstrip (g_strdup (field (form, "email")));
  source = _clave_identify_source_for_address (soup_server_message_get_remote_host (msg));
  start = clave_permanente_start_activation (server, field (form, "document"), email,
                                             field (form, "code"), source, _clave_server_now (),
                                             &error);
  if (start == NULL)
    {
      /* The person's document and e-mail stay; the code does not. */
      reply_start (self, msg, cookie, error_status (error), field (form, "document"), email,
                   error_text (error));
      return;
    }
  reply_sms (self, msg, cookie, SOUP_STATUS_OK, start->id, start->token, &start->sent, NULL);
}

static void
handle_sms (ClaveDemoSite     *self,
            ClaveServer       *server,
            SoupServerMessage *msg)
{
  g_autofree char *cookie = NULL;
  g_autoptr(GHashTable) form = _clave_demo_read_checked_form (self, msg, &cookie);
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  const char *id, *token;

  if (form == NULL)
    return;
  id = field (form, "id");
  token = field (form, "token");
  code = g_strstrip (g_strdup (field (form, "code")));
  if (clave_permanente_verify_sms (server, id, token, code, _clave_server_now (), &error))
    {
      reply_password (self, msg, cookie, SOUP_STATUS_OK, id, token, NULL);
      return;
    }
  if (g_error_matches (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_INVALID_CODE) ||
      g_error_matches (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_TOO_MANY_ATTEMPTS))
    {
      g_autofree char *text = NULL;
      gint64 left = clave_protocol_error_get_attempts_left (error);

      text = left > 0 ? g_strdup_printf ("%s Le quedan %" G_GINT64_FORMAT " %s.",
                                         error_text (error), left,
                                         left == 1 ? "intento" : "intentos")
                      : g_strdup (error_text (error));
      reply_sms (self, msg, cookie, error_status (error), id, token, NULL, text);
      return;
    }
  _clave_demo_reply_message_page (msg, error_status (error), TITLE, error_text (error));
}

static void
handle_password (ClaveDemoSite     *self,
                 ClaveServer       *server,
                 SoupServerMessage *msg)
{
  g_autofree char *cookie = NULL;
  g_autoptr(GHashTable) form = _clave_demo_read_checked_form (self, msg, &cookie);
  g_autoptr(GError) error = NULL;
  g_autofree char *content = NULL;
  const char *id, *token;

  if (form == NULL)
    return;
  id = field (form, "id");
  token = field (form, "token");
  if (!g_str_equal (field (form, "password"), field (form, "repeat")))
    {
      reply_password (self, msg, cookie, SOUP_STATUS_BAD_REQUEST, id, token,
                      "Las dos contraseñas no son iguales.");
      return;
    }
  /* Hashing takes about 90 ms on the main loop: this page is reached only
   * with a verified activation (an SMS code), once per activation. */
  if (!clave_permanente_set_password (server, id, token, field (form, "password"),
                                      _clave_server_now (), &error))
    {
      if (g_error_matches (error, CLAVE_PROTOCOL_ERROR, CLAVE_PROTOCOL_ERROR_WEAK_PASSWORD))
        reply_password (self, msg, cookie, error_status (error), id, token, error_text (error));
      else
        _clave_demo_reply_message_page (msg, error_status (error), TITLE, error_text (error));
      return;
    }
  content = clave_demo_template_render ("permanente-done.html", NULL);
  reply_page (msg, SOUP_STATUS_OK, "Cl@ve Permanente activada", content);
}

gboolean
_clave_demo_permanente_handle (ClaveDemoSite     *self,
                               ClaveServer       *server,
                               SoupServerMessage *msg,
                               const char        *path)
{
  g_autofree char *cookie = NULL;

  if (g_str_equal (path, PATH_START))
    {
      if (!_clave_demo_method_is_get (msg))
        _clave_demo_reply_method_not_allowed (msg, "GET, HEAD");
      else
        {
          cookie = clave_demo_sessions_ensure_cookie (msg);
          reply_start (self, msg, cookie, SOUP_STATUS_OK, NULL, NULL, NULL);
        }
      return TRUE;
    }
  if (!g_str_equal (path, PATH_ACTIVATE) && !g_str_equal (path, PATH_SMS) &&
      !g_str_equal (path, PATH_PASSWORD))
    return FALSE;

  if (!clave_http_method_is (msg, SOUP_METHOD_POST))
    _clave_demo_reply_method_not_allowed (msg, "POST");
  else if (g_str_equal (path, PATH_ACTIVATE))
    handle_activate (self, server, msg);
  else if (g_str_equal (path, PATH_SMS))
    handle_sms (self, server, msg);
  else
    handle_password (self, server, msg);
  return TRUE;
}
