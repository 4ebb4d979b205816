/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The demo website's QR codes, drawn as inline SVG (clave-demo-site.h). */
#define G_LOG_DOMAIN "clave-demo-site"

#include "config.h"

#include <string.h>

#include <qrencode.h>

#include "clave-demo-site.h"

#define QR_QUIET_ZONE 4

char *
clave_demo_site_qr_svg (const char  *text,
                        GError     **error)
{
  QRcode *code;
  GString *svg;
  int size;

  g_return_val_if_fail (text != NULL, NULL);

  code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot encode a QR code of %zu bytes",
                   strlen (text));
      return NULL;
    }

  size = code->width + 2 * QR_QUIET_ZONE;
  svg = g_string_new (NULL);
  g_string_append_printf (svg,
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" id=\"qr\" "
                          "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\" role=\"img\" "
                          "aria-label=\"Código QR de la solicitud\">"
                          "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>"
                          "<path fill=\"#000000\" d=\"",
                          size, size, size, size);

  /* One subpath per horizontal run of dark modules keeps the path short. */
  for (int y = 0; y < code->width; y++)
    {
      int x = 0;

      while (x < code->width)
        {
          int start;

          if ((code->data[y * code->width + x] & 1) == 0)
            {
              x++;
              continue;
            }
          start = x;
          while (x < code->width && (code->data[y * code->width + x] & 1) != 0)
            x++;
          g_string_append_printf (svg, "M%d %dh%dv1h-%dz", start + QR_QUIET_ZONE,
                                  y + QR_QUIET_ZONE, x - start, x - start);
        }
    }
  g_string_append (svg, "\"/></svg>");

  QRcode_free (code);
  return g_string_free (svg, FALSE);
}
