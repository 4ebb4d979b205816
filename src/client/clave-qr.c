/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-qr"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <zbar.h>

#include "clave-qr.h"
#include "clave-request-uri.h"

/* Photos of a screen are large; anything beyond this is not a sensible
 * image to scan and would only cost memory. */
#define MAX_PIXELS (8192 * 8192)

G_DEFINE_QUARK (clave-qr-error-quark, clave_qr_error)

static gboolean
check_size (int       width,
            int       height,
            int       stride,
            int       bytes_per_pixel,
            GError  **error)
{
  if (width <= 0 || height <= 0 || (gint64) width * height > MAX_PIXELS ||
      stride < width * bytes_per_pixel)
    {
      g_set_error_literal (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_INVALID_IMAGE,
                           _("This image cannot be read. Try another image of the code."));
      return FALSE;
    }

  return TRUE;
}

static char *
scan_y800 (guint8  *gray,
           int      width,
           int      height,
           GError **error)
{
  zbar_image_scanner_t *scanner = zbar_image_scanner_create ();
  zbar_image_t *image = zbar_image_create ();
  const zbar_symbol_t *symbol;
  char *found = NULL;
  gboolean any = FALSE;
  int n;

  /* Only QR codes: a bar code elsewhere in a screenshot is noise. */
  zbar_image_scanner_set_config (scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);

  zbar_image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
  zbar_image_set_size (image, (unsigned) width, (unsigned) height);
  zbar_image_set_data (image, gray, (unsigned long) width * (unsigned long) height, NULL);

  n = zbar_scan_image (scanner, image);
  for (symbol = n > 0 ? zbar_image_first_symbol (image) : NULL;
       symbol != NULL && found == NULL;
       symbol = zbar_symbol_next (symbol))
    {
      const char *data = zbar_symbol_get_data (symbol);

      any = TRUE;
      if (zbar_symbol_get_type (symbol) == ZBAR_QRCODE && data != NULL &&
          clave_request_uri_parse (data, NULL, NULL, NULL))
        found = g_strstrip (g_strdup (data));
    }

  zbar_image_destroy (image);
  zbar_image_scanner_destroy (scanner);

  if (found == NULL)
    {
      if (any)
        g_set_error_literal (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_NOT_CLAVE,
                             _("This QR code is not a Cl@ve request. Scan the code the website shows for Cl@ve Móvil."));
      else
        g_set_error_literal (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_NO_CODE,
                             _("No QR code was found in this image. Try a sharper image that shows the whole code."));
    }

  return found;
}

char *
clave_qr_decode_gray (const guint8  *pixels,
                      int            width,
                      int            height,
                      int            stride,
                      GError       **error)
{
  g_autofree guint8 *gray = NULL;

  g_return_val_if_fail (pixels != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_size (width, height, stride, 1, error))
    return NULL;

  /* zbar wants tightly packed rows it may keep while scanning. */
  gray = g_malloc ((gsize) width * (gsize) height);
  for (int y = 0; y < height; y++)
    memcpy (gray + (gsize) y * width, pixels + (gsize) y * stride, (gsize) width);

  return scan_y800 (gray, width, height, error);
}

char *
clave_qr_decode_rgb (const guint8  *pixels,
                     int            width,
                     int            height,
                     int            stride,
                     int            n_channels,
                     gboolean       bgr,
                     GError       **error)
{
  g_autofree guint8 *gray = NULL;
  int r_off = bgr ? 2 : 0;
  int b_off = bgr ? 0 : 2;

  g_return_val_if_fail (pixels != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n_channels != 3 && n_channels != 4)
    {
      g_set_error_literal (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_INVALID_IMAGE,
                           _("This image cannot be read. Try another image of the code."));
      return NULL;
    }

  if (!check_size (width, height, stride, n_channels, error))
    return NULL;

  gray = g_malloc ((gsize) width * (gsize) height);
  for (int y = 0; y < height; y++)
    {
      const guint8 *row = pixels + (gsize) y * stride;

      for (int x = 0; x < width; x++)
        {
          const guint8 *p = row + (gsize) x * n_channels;
          /* BT.601 luma in fixed point. */
          guint luma = (77u * p[r_off] + 150u * p[1] + 29u * p[b_off]) >> 8;

          /* Transparent pixels (a QR code on a transparent PNG) read as
           * the white paper they are printed on. */
          if (n_channels == 4)
            luma = (luma * p[3] + 255u * (255u - p[3])) / 255u;

          gray[(gsize) y * width + x] = (guint8) MIN (luma, 255u);
        }
    }

  return scan_y800 (gray, width, height, error);
}
