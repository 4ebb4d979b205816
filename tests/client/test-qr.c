/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-qr"

#include "config.h"

#include <string.h>

#include <qrencode.h>

#include "clave-qr.h"

#define MODULE_PX 6
#define QUIET_MODULES 4

/* Renders @text as a QR code the way a website shows it: black modules on
 * white with a quiet zone; @channels 1 (gray), 3 or 4 (RGBA). */
static guint8 *
render (const char *text,
        int         channels,
        int        *size_out,
        int        *stride_out)
{
  QRcode *code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  int size, stride;
  guint8 *pixels;

  g_assert_nonnull (code);
  size = (code->width + 2 * QUIET_MODULES) * MODULE_PX;
  /* A row padding that is not a multiple of the width checks @stride. */
  stride = size * channels + 7;
  pixels = g_malloc (stride * size);
  memset (pixels, 0xff, stride * size);

  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      if (code->data[y * code->width + x] & 1)
        for (int dy = 0; dy < MODULE_PX; dy++)
          for (int dx = 0; dx < MODULE_PX; dx++)
            {
              int px = (x + QUIET_MODULES) * MODULE_PX + dx;
              int py = (y + QUIET_MODULES) * MODULE_PX + dy;
              guint8 *p = pixels + py * stride + px * channels;

              for (int c = 0; c < MIN (channels, 3); c++)
                p[c] = 0;
            }

  QRcode_free (code);
  *size_out = size;
  *stride_out = stride;
  return pixels;
}

static void
test_gray (void)
{
  const char *uri = "clave:request?id=req_Qr0123456789abcdef&code=583";
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  g_autofree char *found = NULL;
  int size, stride;

  pixels = render (uri, 1, &size, &stride);
  found = clave_qr_decode_gray (pixels, size, size, stride, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, uri);
}

static void
test_rgb (void)
{
  const char *uri = "clave:request?id=req_RgbaRgbaRgba&code=001";

  for (int channels = 3; channels <= 4; channels++)
    for (int bgr = 0; bgr <= 1; bgr++)
      {
        g_autoptr(GError) error = NULL;
        g_autofree guint8 *pixels = NULL;
        g_autofree char *found = NULL;
        int size, stride;

        pixels = render (uri, channels, &size, &stride);
        found = clave_qr_decode_rgb (pixels, size, size, stride, channels, bgr, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (found, ==, uri);
      }
}

static void
test_not_clave (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pixels = NULL;
  g_autofree char *found = NULL;
  int size, stride;

  pixels = render ("https://sede.example.org/login?id=req_abcdefgh&code=123", 1, &size, &stride);
  found = clave_qr_decode_gray (pixels, size, size, stride, &error);
  g_assert_null (found);
  g_assert_error (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_NOT_CLAVE);
}

static void
test_no_code (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *blank = g_malloc (200 * 200);
  g_autofree char *found = NULL;
  guint8 tiny = 0;

  memset (blank, 0xff, 200 * 200);
  found = clave_qr_decode_gray (blank, 200, 200, 200, &error);
  g_assert_null (found);
  g_assert_error (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_NO_CODE);
  g_clear_error (&error);

  g_assert_null (clave_qr_decode_gray (&tiny, 1, 1, 0, &error));
  g_assert_error (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_INVALID_IMAGE);
  g_clear_error (&error);

  g_assert_null (clave_qr_decode_gray (&tiny, 0, 1, 1, &error));
  g_assert_error (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_INVALID_IMAGE);
  g_clear_error (&error);

  g_assert_null (clave_qr_decode_rgb (&tiny, 1, 1, 4, 2, FALSE, &error));
  g_assert_error (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_INVALID_IMAGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/qr/gray", test_gray);
  g_test_add_func ("/qr/rgb", test_rgb);
  g_test_add_func ("/qr/not-clave", test_not_clave);
  g_test_add_func ("/qr/no-code", test_no_code);

  return g_test_run ();
}
