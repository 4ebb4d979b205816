/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pictures of a video identification (issue 13): real JPEG and PNG
 * files, made here by gdk-pixbuf's encoders, are accepted with their type
 * and size; what is not an image, too small, too large, cut short or
 * damaged is refused with its reason, and never read out of bounds. */
#include "config.h"

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "clave-video-image.h"

/* A @width × @height picture in @format ("jpeg" or "png"). */
static GBytes *
make_image (int         width,
            int         height,
            const char *format)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize size = 0;

  g_assert_nonnull (pixbuf);
  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, format, &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

static void
check_refused (const guint8         *data,
               gsize                 len,
               ClaveVideoImageError  code)
{
  g_autoptr(GError) error = NULL;
  guint width = 0, height = 0;

  g_assert_false (clave_video_image_check (data, len, NULL, &width, &height, &error));
  g_assert_error (error, CLAVE_VIDEO_IMAGE_ERROR, (gint) code);
  g_assert_nonnull (error->message);
}

static void
test_accepted (void)
{
  static const struct {
    const char          *format;
    int                  width, height;
    ClaveVideoImageType  type;
  } cases[] = {
    { "jpeg", 640, 480, CLAVE_VIDEO_IMAGE_JPEG },
    { "png", 640, 480, CLAVE_VIDEO_IMAGE_PNG },
    { "jpeg", 320, 8192, CLAVE_VIDEO_IMAGE_JPEG },
    { "png", 1280, 320, CLAVE_VIDEO_IMAGE_PNG },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) image = make_image (cases[i].width, cases[i].height, cases[i].format);
      g_autoptr(GError) error = NULL;
      ClaveVideoImageType type;
      guint width = 0, height = 0;
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (image, &len);

      g_assert_true (clave_video_image_check (data, len, &type, &width, &height, &error));
      g_assert_no_error (error);
      g_assert_cmpint (type, ==, cases[i].type);
      g_assert_cmpuint (width, ==, (guint) cases[i].width);
      g_assert_cmpuint (height, ==, (guint) cases[i].height);
    }
  g_assert_cmpstr (clave_video_image_type_to_mime (CLAVE_VIDEO_IMAGE_JPEG), ==, "image/jpeg");
  g_assert_cmpstr (clave_video_image_type_to_mime (CLAVE_VIDEO_IMAGE_PNG), ==, "image/png");
}

static void
test_dimensions (void)
{
  const char *formats[] = { "jpeg", "png" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GBytes) small = make_image (319, 480, formats[i]);
      g_autoptr(GBytes) low = make_image (640, 200, formats[i]);
      g_autoptr(GBytes) wide = make_image (8193, 320, formats[i]);

      check_refused (g_bytes_get_data (small, NULL), g_bytes_get_size (small),
                     CLAVE_VIDEO_IMAGE_ERROR_DIMENSIONS);
      check_refused (g_bytes_get_data (low, NULL), g_bytes_get_size (low),
                     CLAVE_VIDEO_IMAGE_ERROR_DIMENSIONS);
      check_refused (g_bytes_get_data (wide, NULL), g_bytes_get_size (wide),
                     CLAVE_VIDEO_IMAGE_ERROR_DIMENSIONS);
    }
}

static void
test_not_images (void)
{
  static const char gif[] = "GIF89a\x80\x02\xe0\x01";
  static const char text[] = "<html>not a picture</html>";
  g_autofree guint8 *huge = g_malloc0 (CLAVE_VIDEO_IMAGE_MAX_BYTES + 1);
  g_autoptr(GBytes) jpeg = make_image (640, 480, "jpeg");

  check_refused ((const guint8 *) "", 0, CLAVE_VIDEO_IMAGE_ERROR_EMPTY);
  check_refused ((const guint8 *) gif, sizeof gif - 1, CLAVE_VIDEO_IMAGE_ERROR_NOT_IMAGE);
  check_refused ((const guint8 *) text, sizeof text - 1, CLAVE_VIDEO_IMAGE_ERROR_NOT_IMAGE);
  /* Too large is said before anything is read, a real picture or not. */
  memcpy (huge, g_bytes_get_data (jpeg, NULL), g_bytes_get_size (jpeg));
  check_refused (huge, CLAVE_VIDEO_IMAGE_MAX_BYTES + 1, CLAVE_VIDEO_IMAGE_ERROR_TOO_LARGE);
}

/* Every prefix that stops before the size is known, in a buffer of its
 * own size (ASan sees a read past it), is damaged; so is a changed PNG
 * header or checksum, and a JPEG scan before any frame. */
static void
test_damaged (void)
{
  const char *formats[] = { "jpeg", "png" };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    {
      g_autoptr(GBytes) image = make_image (640, 480, formats[f]);
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (image, &len);
      gsize known = 0;

      /* The shortest prefix that is accepted. */
      for (gsize n = 1; n <= len && known == 0; n++)
        {
          g_autofree guint8 *copy = g_memdup2 (data, n);
          g_autoptr(GError) error = NULL;

          if (clave_video_image_check (copy, n, NULL, NULL, NULL, &error))
            known = n;
          else if (n >= 8)
            g_assert_error (error, CLAVE_VIDEO_IMAGE_ERROR, CLAVE_VIDEO_IMAGE_ERROR_MALFORMED);
          else  /* shorter than PNG's signature */
            g_assert_true (g_error_matches (error, CLAVE_VIDEO_IMAGE_ERROR,
                                            CLAVE_VIDEO_IMAGE_ERROR_MALFORMED) ||
                           g_error_matches (error, CLAVE_VIDEO_IMAGE_ERROR,
                                            CLAVE_VIDEO_IMAGE_ERROR_NOT_IMAGE));
        }
      g_assert_cmpuint (known, >, 8);
    }

  {
    g_autoptr(GBytes) png = make_image (640, 480, "png");
    gsize len = 0;
    g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (png, &len), g_bytes_get_size (png));

    /* The width's first byte (IHDR data starts at 16), then the CRC. */
    copy[16] ^= 0x01;
    check_refused (copy, len, CLAVE_VIDEO_IMAGE_ERROR_MALFORMED);
    copy[16] ^= 0x01;
    copy[29] ^= 0x80;
    check_refused (copy, len, CLAVE_VIDEO_IMAGE_ERROR_MALFORMED);
  }
  {
    static const guint8 scan_first[] = { 0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6 };
    static const guint8 zero_length[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0xff, 0xc0 };
    static const guint8 past_end[] = { 0xff, 0xd8, 0xff, 0xe0, 0xff, 0xf0, 0x00 };
    static const guint8 no_components[] = { 0xff, 0xd8, 0xff, 0xc0, 0x00, 0x08, 8,
                                            0x01, 0xe0, 0x02, 0x80, 0 };

    check_refused (scan_first, sizeof scan_first, CLAVE_VIDEO_IMAGE_ERROR_MALFORMED);
    check_refused (zero_length, sizeof zero_length, CLAVE_VIDEO_IMAGE_ERROR_MALFORMED);
    check_refused (past_end, sizeof past_end, CLAVE_VIDEO_IMAGE_ERROR_MALFORMED);
    check_refused (no_components, sizeof no_components, CLAVE_VIDEO_IMAGE_ERROR_MALFORMED);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/video-image/accepted", test_accepted);
  g_test_add_func ("/video-image/dimensions", test_dimensions);
  g_test_add_func ("/video-image/not-images", test_not_images);
  g_test_add_func ("/video-image/damaged", test_damaged);

  return g_test_run ();
}
