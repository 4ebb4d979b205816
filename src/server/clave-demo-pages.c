/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-demo-site"

#include "config.h"

#include "clave-demo-pages.h"
#include "clave-demo-site.h"
#include "clave-demo-template.h"
#include "clave-protocol.h"

#define PATH_REQUEST "/demo/requests/"

static char *
page (const char *title,
      const char *crumb,
      const char *content)
{
  return clave_demo_template_render ("page.html",
                                     "title", title,
                                     "crumb", crumb,
                                     "content", content,
                                     NULL);
}

char *
clave_demo_page_message (const char *title,
                         const char *text)
{
  g_autofree char *content = clave_demo_template_render ("message.html",
                                                         "title", title,
                                                         "text", text,
                                                         NULL);

  return page (title, title, content);
}

static char *
alert (const char *id,
       const char *text)
{
  if (text == NULL)
    return NULL;
  return clave_demo_template_render ("alert.html", "id", id, "text", text, NULL);
}

static char *
contrast_fields (const char               *form,
                 const ClaveDemoFormState *state)
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
  g_autoptr(GString) options = g_string_new (NULL);
  g_autofree char *error_id = g_strconcat (form, "-error", NULL);
  g_autofree char *error = alert (error_id, ours ? state->error : NULL);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      gboolean selected = ours && g_strcmp0 (state->kind, kinds[i].kind) == 0;
      g_autofree char *option = clave_demo_template_render ("contrast-option.html",
                                                            "kind", kinds[i].kind,
                                                            "selected", selected ? " selected" : NULL,
                                                            "label", kinds[i].label,
                                                            NULL);

      g_string_append (options, option);
    }

  return clave_demo_template_render ("contrast-fields.html",
                                     "form", form,
                                     "document", ours ? state->document : NULL,
                                     "options", options->str,
                                     "contrast", ours ? state->contrast : NULL,
                                     "error", error,
                                     NULL);
}

char *
clave_demo_page_landing (const char               *csrf,
                         const ClaveDemoFormState *state)
{
  g_autofree char *push_fields = contrast_fields ("push", state);
  g_autofree char *sms_fields = contrast_fields ("sms", state);
  g_autofree char *content = clave_demo_template_render ("landing.html",
                                                         "csrf", csrf,
                                                         "push_fields", push_fields,
                                                         "sms_fields", sms_fields,
                                                         NULL);

  return page ("Acceder con Cl@ve Móvil", "Identificación", content);
}

static const char *
level_label (const char *level)
{
  if (g_strcmp0 (level, CLAVE_LEVEL_ADVANCED) == 0)
    return "avanzado";
  if (g_strcmp0 (level, CLAVE_LEVEL_BASIC) == 0)
    return "básico";
  return level;
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

static gint64
seconds_left (const ClaveAuthRequest *request)
{
  return MAX (0, request->expires_at - g_get_real_time () / G_USEC_PER_SEC);
}

static char *
countdown (const ClaveAuthRequest *request)
{
  gint64 left = seconds_left (request);
  g_autofree char *minutes = g_strdup_printf ("%" G_GINT64_FORMAT, left / 60);
  g_autofree char *seconds = g_strdup_printf ("%02d", (int) (left % 60));

  return clave_demo_template_render ("countdown.html",
                                     "minutes", minutes,
                                     "seconds", seconds,
                                     NULL);
}

static char *
status (const ClaveAuthRequest *request,
        const char             *waiting)
{
  g_autofree char *path = g_strconcat (PATH_REQUEST, request->id, NULL);
  g_autofree char *expires_in = g_strdup_printf ("%" G_GINT64_FORMAT, seconds_left (request));

  return clave_demo_template_render ("status.html",
                                     "id", request->id,
                                     "expires_in", expires_in,
                                     "waiting", waiting,
                                     "path", path,
                                     NULL);
}

static char *
outcome (const ClaveAuthRequest *request)
{
  if (g_strcmp0 (request->status, CLAVE_REQUEST_STATUS_CONFIRMED) == 0)
    return clave_demo_template_render ("outcome-confirmed.html",
                                       "document", request->document,
                                       "level", level_label (request->level),
                                       "access", type_title (request->type),
                                       NULL);
  if (g_strcmp0 (request->status, CLAVE_REQUEST_STATUS_REJECTED) == 0)
    return clave_demo_template_render ("outcome-rejected.html", NULL);
  return clave_demo_template_render ("outcome-expired.html", NULL);
}

/* What a pending request shows: how to answer it, and its state. */
static char *
pending_body (const ClaveAuthRequest *request,
              const char             *csrf,
              const char             *error_text)
{
  g_autofree char *left = countdown (request);
  g_autofree char *waiting = NULL;
  g_autofree char *svg = NULL;
  g_autofree char *error = NULL;
  g_autoptr(GError) local_error = NULL;

  if (g_strcmp0 (request->type, CLAVE_REQUEST_TYPE_SMS) == 0)
    {
      error = alert ("pin-error", error_text);
      waiting = status (request, "Esperando el PIN recibido por SMS…");
      return clave_demo_template_render ("request-sms.html",
                                         "csrf", csrf,
                                         "id", request->id,
                                         "error", error,
                                         "countdown", left,
                                         "status", waiting,
                                         NULL);
    }

  waiting = status (request, "Esperando la confirmación en Clave Desktop…");
  if (g_strcmp0 (request->type, CLAVE_REQUEST_TYPE_QR) != 0 || request->uri == NULL)
    return clave_demo_template_render ("request-push.html",
                                       "code", request->verification_code,
                                       "countdown", left,
                                       "status", waiting,
                                       NULL);

  svg = clave_demo_site_qr_svg (request->uri, &local_error);
  if (svg == NULL)
    g_warning ("QR code of request %s: %s", request->id, local_error->message);
  return clave_demo_template_render ("request-qr.html",
                                     "uri", request->uri,
                                     "svg", svg,
                                     "code", request->verification_code,
                                     "countdown", left,
                                     "status", waiting,
                                     NULL);
}

char *
clave_demo_page_request (const ClaveAuthRequest *request,
                         const char             *csrf,
                         const char             *error_text)
{
  const char *title = type_title (request->type);
  g_autofree char *content = NULL;

  /* Once the request is answered, app.js drops what only a pending
   * request can use (data-while-pending) and shows the way back
   * (data-when-answered), as the server's own view of an answered request
   * (request-answered.html) does. */
  if (g_strcmp0 (request->status, CLAVE_REQUEST_STATUS_PENDING) == 0)
    {
      g_autofree char *body = pending_body (request, csrf, error_text);

      content = clave_demo_template_render ("request.html",
                                            "title", title,
                                            "body", body,
                                            NULL);
    }
  else
    {
      g_autofree char *result = outcome (request);

      content = clave_demo_template_render ("request-answered.html",
                                            "title", title,
                                            "outcome", result,
                                            NULL);
    }
  return page ("Acceder con Cl@ve Móvil", title, content);
}
