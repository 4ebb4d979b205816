/* SPDX-License-Identifier: GPL-3.0-or-later */

/* QR payloads (src/client/clave-qr.c): an image file, a pasted texture or a
 * dropped file the person gives the app, as pixels, decoded with zbar; the
 * payload goes through clave_request_uri_parse(). The input is a text
 * header "WIDTH HEIGHT STRIDE-PADDING CHANNELS BGR\n" (CHANNELS 1: gray,
 * 3 or 4: RGB(A), anything else too) and then the pixels (cycled, or white
 * when there are none, to fill the image).
 *
 * Properties:
 * - the size and layout checks refuse exactly what clave-qr.h calls an
 *   invalid image (INVALID_IMAGE), and read nothing of the pixels then
 *   (they get a one-byte buffer: ASan would see a read past it); valid
 *   images are read within height * stride bytes (the buffer is exactly
 *   that long, last row unpadded);
 * - a decoded payload is a clave: request URI, without blanks around;
 *   otherwise the error is NO_CODE or NOT_CLAVE;
 * - a gray image given as RGB, BGR or opaque RGBA (every channel the
 *   gray value) decodes to the same result as the gray image. */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "clave-qr.h"
#include "clave-request-uri.h"
#include "fuzz-common.h"

#define MAX_PIXELS (8192 * 8192)   /* clave-qr.c */
/* What the fuzzer decodes: a code needs a few thousand pixels, and zbar's
 * time grows with the image. */
#define MAX_FUZZ_PIXELS (320 * 320)

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_setup (0);
  return 0;
}

static void
check_result (char        *text,
              GError      *error,
              const char  *what)
{
  if (text != NULL)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (text));

      FUZZ_CHECK (error == NULL, "%s: text and error", what);
      FUZZ_CHECK (clave_request_uri_parse (text, NULL, NULL, NULL), "%s: \"%s\" is no request",
                  what, text);
      FUZZ_CHECK (g_str_equal (stripped, text), "%s: \"%s\" has blanks around", what, text);
    }
  else
    FUZZ_CHECK (g_error_matches (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_NO_CODE) ||
                g_error_matches (error, CLAVE_QR_ERROR, CLAVE_QR_ERROR_NOT_CLAVE),
                "%s: unexpected error %s", what, error != NULL ? error->message : "(none)");
}

/* The @index-th byte of the image from the input's pixels. */
static guint8
pixel_byte (GBytes *pixels,
            gsize   index)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (pixels, &size);

  return size > 0 ? data[index % size] : 0xff;
}

static char *
decode (const guint8  *buffer,
        int            width,
        int            height,
        int            stride,
        int            channels,
        gboolean       bgr,
        GError       **error)
{
  if (channels == 1)
    return clave_qr_decode_gray (buffer, width, height, stride, error);
  return clave_qr_decode_rgb (buffer, width, height, stride, channels, bgr, error);
}

/* The gray image as @channels bytes per pixel, every channel the gray
 * value, alpha opaque. */
static guint8 *
widen (const guint8 *gray,
       int           width,
       int           height,
       int           stride,
       int           channels,
       int          *wide_stride)
{
  guint8 *wide;

  *wide_stride = width * channels;
  wide = g_malloc ((gsize) *wide_stride * (gsize) height);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < channels; c++)
        wide[(gsize) y * *wide_stride + (gsize) x * channels + c] =
          channels == 4 && c == 3 ? 0xff : gray[(gsize) y * stride + x];
  return wide;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  FuzzInput input;
  g_autofree char *header = NULL;
  g_autoptr(GBytes) pixels = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree guint8 *buffer = NULL;
  gint64 width, height, padding, channels, bgr, stride, bpp;
  gboolean valid;
  gsize buffer_size;

  fuzz_input_init (&input, data, size);
  header = fuzz_input_field (&input, '\n');
  pixels = fuzz_input_rest (&input);
  if (sscanf (header, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
              " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
              &width, &height, &padding, &channels, &bgr) != 5)
    return 0;
  if (width < G_MININT || width > G_MAXINT || height < G_MININT || height > G_MAXINT ||
      padding < -(gint64) G_MAXINT || padding > G_MAXINT || channels < G_MININT ||
      channels > G_MAXINT)
    return 0;

  bpp = channels == 1 ? 1 : channels;
  stride = width * bpp + padding;
  if (stride < G_MININT || stride > G_MAXINT)
    return 0;

  /* clave-qr.h: positive sizes, not too many pixels, rows at least as wide
   * as the pixels, 3 or 4 channels for RGB. */
  valid = width > 0 && height > 0 && width * height <= MAX_PIXELS && stride >= width * bpp &&
          (channels == 1 || channels == 3 || channels == 4);

  if (!valid)
    {
      guint8 one = 0xff;

      text = decode (&one, (int) width, (int) height, (int) stride, (int) channels, bgr != 0,
                     &error);
      FUZZ_CHECK (text == NULL && g_error_matches (error, CLAVE_QR_ERROR,
                                                    CLAVE_QR_ERROR_INVALID_IMAGE),
                  "%s: not refused as invalid", header);
      return 0;
    }

  if (width * height > MAX_FUZZ_PIXELS || padding > 64)
    return 0;

  buffer_size = (gsize) ((height - 1) * stride + width * bpp);
  buffer = g_malloc (buffer_size);
  for (gsize i = 0; i < buffer_size; i++)
    buffer[i] = pixel_byte (pixels, i);

  text = decode (buffer, (int) width, (int) height, (int) stride, (int) channels, bgr != 0, &error);
  g_debug ("%s: %s", header, text != NULL ? text : error->message);
  check_result (text, error, header);

  if (channels == 1 && width * height <= 160 * 160)
    {
      for (int wide_channels = 3; wide_channels <= 4; wide_channels++)
        for (int swap = 0; swap <= 1; swap++)
          {
            int wide_stride;
            g_autofree guint8 *wide = widen (buffer, (int) width, (int) height, (int) stride,
                                             wide_channels, &wide_stride);
            g_autoptr(GError) wide_error = NULL;
            g_autofree char *wide_text = clave_qr_decode_rgb (wide, (int) width, (int) height,
                                                              wide_stride, wide_channels, swap,
                                                              &wide_error);

            FUZZ_CHECK (g_strcmp0 (wide_text, text) == 0 &&
                        (wide_error == NULL) == (error == NULL) &&
                        (error == NULL || wide_error->code == error->code),
                        "%s: as %d channels (bgr %d) decodes to %s, gray to %s", header,
                        wide_channels, swap, wide_text, text);
          }
    }

  return 0;
}
