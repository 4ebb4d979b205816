/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveWindow: Cl@ve Móvil requests, shown one at a time, queued while
 * one is answered, opened from links, files and images. */
#define G_LOG_DOMAIN "clave-window"

#include "config.h"

#include <glib/gi18n.h>

#include "clave-window-private.h"
#include "clave-page.h"
#include "clave-qr.h"
#include "clave-request-uri.h"
#include "clave-unlock-dialog.h"
#include "clave-accessible-names.h"
#include "pages/clave-activate-method-page.h"
#include "pages/clave-certificate-page.h"
#include "pages/clave-contact-page.h"
#include "pages/clave-diagnostics-page.h"
#include "pages/clave-done-page.h"
#include "pages/clave-home-page.h"
#include "pages/clave-login-page.h"
#include "pages/clave-my-requests-page.h"
#include "pages/clave-my-data-page.h"
#include "pages/clave-not-registered-page.h"
#include "pages/clave-request-page.h"
#include "pages/clave-set-pin-page.h"
#include "pages/clave-sms-code-page.h"

gboolean
_clave_window_show_next_request (gpointer user_data)
{
  ClaveWindow *self = user_data;
  g_autoptr(ClaveAuthRequestInfo) next = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  self->next_request_id = 0;
  /* Those that expired while they waited are in My requests. */
  while ((next = g_queue_pop_head (&self->queued_requests)) != NULL && next->expires_at <= now)
    g_clear_pointer (&next, clave_auth_request_info_free);
  if (next != NULL && !self->closed)
    clave_window_show_request (self, next);
  return G_SOURCE_REMOVE;
}


/* Cl@ve Mobile */

void
clave_window_show_request (ClaveWindow                *self,
                           const ClaveAuthRequestInfo *request)
{
  ClaveRequestPage *page;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (request != NULL);

  page = CLAVE_REQUEST_PAGE (_clave_window_ensure_page (self, "request"));
  /* The channel repeats pending requests on every reconnection. */
  if (g_strcmp0 (clave_window_get_page_name (self), "request") == 0
      && g_strcmp0 (clave_request_page_get_request_id (page), request->id) == 0)
    return;

  /* Another request is on screen, being read or answered (its answer
   * on its way): this one waits its turn, so that nothing the person is
   * doing is taken from them, above all not an answer being sent. One
   * whose outcome shows makes way. */
  if (g_strcmp0 (clave_window_get_page_name (self), "request") == 0 &&
      clave_request_page_is_open (page))
    {
      for (GList *l = self->queued_requests.head; l != NULL; l = l->next)
        if (g_strcmp0 (((ClaveAuthRequestInfo *) l->data)->id, request->id) == 0)
          return;
      g_queue_push_tail (&self->queued_requests, clave_auth_request_info_copy (request));
      return;
    }

  clave_request_page_set_request (page, request);
  if (g_strcmp0 (clave_window_get_page_name (self), "request") == 0)
    {
      /* It replaces an outcome on screen. */
      clave_page_hidden (CLAVE_PAGE (page));
      clave_page_shown (CLAVE_PAGE (page));
      return;
    }
  clave_window_show_page_after (self, "request", "home");
}

void
clave_window_update_request_status (ClaveWindow *self,
                                    const char  *id,
                                    const char  *status)
{
  GtkWidget *page;

  g_return_if_fail (CLAVE_IS_WINDOW (self));

  /* A waiting request answered elsewhere, or expired, no longer waits. */
  if (g_strcmp0 (status, CLAVE_AUTH_REQUEST_PENDING) != 0)
    for (GList *l = self->queued_requests.head; l != NULL; l = l->next)
      if (g_strcmp0 (((ClaveAuthRequestInfo *) l->data)->id, id) == 0)
        {
          clave_auth_request_info_free (l->data);
          g_queue_delete_link (&self->queued_requests, l);
          break;
        }

  /* No page yet: no request was shown. */
  page = gtk_stack_get_child_by_name (self->page_stack, "request");
  if (page != NULL)
    clave_request_page_update_status (CLAVE_REQUEST_PAGE (page), id, status);
}

typedef struct
{
  ClaveWindow *window;
  char        *code;
} ClaimData;

static void
claim_data_free (ClaimData *data)
{
  g_object_unref (data->window);
  g_free (data->code);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaimData, claim_data_free)

static void
claim_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(ClaimData) data = user_data;
  ClaveWindow *self = data->window;
  g_autoptr(ClaveAuthRequestInfo) request = NULL;
  g_autoptr(GError) error = NULL;
  ClaveApplication *app;

  request = clave_service_client_claim_request_finish (CLAVE_SERVICE_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->closed)
    return;
  _clave_window_set_busy (self, FALSE);

  if (request == NULL)
    {
      if (g_error_matches (error, CLAVE_SERVICE_ERROR, CLAVE_SERVICE_ERROR_DEVICE_DEACTIVATED))
        {
          clave_window_device_lost (self, NULL);
          return;
        }
      clave_window_show_error (self, error, NULL, NULL, NULL);
      return;
    }

  /* The code in the link must be the request's: a link that says
   * otherwise was not made by the website for this request. */
  if (data->code != NULL && g_strcmp0 (data->code, request->verification_code) != 0)
    {
      clave_window_add_toast (self, _("This link does not match its request. Scan the QR code "
                                      "the website shows."));
      return;
    }

  app = clave_window_get_clave_application (self);
  if (app != NULL)
    clave_application_remember_request (app, request);
  clave_window_show_request (self, request);
}

void
clave_window_open_request_uri (ClaveWindow *self,
                               const char  *uri)
{
  ClaveApplication *app;
  ClaveServiceClient *client;
  ClavePushKey *push_key;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *code = NULL;
  g_autofree char *device_id = NULL;
  ClaimData *data;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (uri != NULL);

  if (!clave_request_uri_parse (uri, &id, &code, &error))
    {
      clave_window_add_toast (self, error->message);
      return;
    }

  app = clave_window_get_clave_application (self);
  if (app == NULL || !clave_application_get_activated (app))
    {
      clave_window_add_toast (self, _("Log in first: this computer is not your Cl@ve device yet"));
      return;
    }

  push_key = clave_application_get_push_key (app);
  if (push_key == NULL)
    {
      clave_window_add_toast (self, _("This computer was activated before Cl@ve Mobile existed. "
                                      "Deactivate it and activate it again to use Cl@ve Mobile."));
      return;
    }

  client = clave_application_get_client (app, &error);
  if (client == NULL)
    {
      clave_window_show_error (self, error, NULL, NULL, NULL);
      return;
    }

  data = g_new0 (ClaimData, 1);
  data->window = g_object_ref (self);
  data->code = g_steal_pointer (&code);
  device_id = clave_profile_dup_device_id (clave_application_get_profile (app));
  _clave_window_set_busy (self, TRUE);
  clave_service_client_claim_request_async (client, push_key, device_id, id, self->cancellable,
                                            claim_cb, data);
}

void
clave_window_open_request_texture (ClaveWindow *self,
                                   GdkTexture  *texture)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  g_autofree guint8 *gray = NULL;
  g_autofree char *uri = NULL;
  int width, height;
  gsize stride;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (GDK_IS_TEXTURE (texture));

  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  stride = (gsize) width * 4;
  /* Premultiplied ARGB in native-endian 32-bit words (cairo's layout). */
  pixels = g_malloc ((gsize) height * stride);
  gdk_texture_download (texture, pixels, stride);
  gray = g_malloc ((gsize) width * height);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint32 argb;
        guint a, r, g, b;

        memcpy (&argb, pixels + y * stride + (gsize) x * 4, sizeof argb);
        a = argb >> 24;
        /* Over white: transparent parts of a screenshot are paper. */
        r = ((argb >> 16) & 0xff) + 255 - a;
        g = ((argb >> 8) & 0xff) + 255 - a;
        b = (argb & 0xff) + 255 - a;
        gray[(gsize) y * width + x] = (guint8) MIN (255, (77 * r + 150 * g + 29 * b) >> 8);
      }

  uri = clave_qr_decode_gray (gray, width, height, width, &error);
  if (uri == NULL)
    {
      clave_window_add_toast (self, error->message);
      return;
    }

  clave_window_open_request_uri (self, uri);
}

void
clave_window_open_request_file (ClaveWindow *self,
                                GFile       *file)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  g_return_if_fail (CLAVE_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  texture = gdk_texture_new_from_file (file, &error);
  if (texture == NULL)
    {
      clave_window_add_toast (self, _("This file is not an image Clave Desktop can read. Choose "
                                      "an image of the QR code (PNG or JPEG)."));
      return;
    }

  clave_window_open_request_texture (self, texture);
}
