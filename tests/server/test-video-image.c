/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pictures of a video identification (issue 13): real JPEG and PNG
 * files, made here by gdk-pixbuf's encoders, are accepted with their type
 * and size; what is not an image, too small, too large, cut short or
 * damaged is refused with its reason, and never read out of bounds. They
 * wait for review sealed, 0600, in a 0700 folder, and go with it. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "clave-crypto.h"
#include "clave-test-files.h"
#include "clave-video-files.h"
#include "clave-video-image.h"
#include "server-test-util.h"

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

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

static void
test_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *state = g_dir_make_tmp ("clave-video-XXXXXX", &error);
  g_autofree char *video = g_build_filename (state, "video", NULL);
  g_autofree char *folder = g_build_filename (video, "vid_abc", NULL);
  g_autofree char *front_path = g_build_filename (folder, "front", NULL);
  g_autofree char *key_path = g_build_filename (video, "keys.key", NULL);
  g_autoptr(ClaveVideoFiles) files = clave_video_files_open (state, &error);
  g_autoptr(GBytes) front = make_image (640, 480, "jpeg");
  g_autoptr(GBytes) face = make_image (480, 640, "png");
  g_autoptr(GBytes) opened = NULL;
  g_auto(GStrv) kinds = NULL;
  g_autofree char *on_disk = NULL;
  gsize on_disk_len = 0;
  const char *bad_kinds[] = { "face-0", "face-9", "face-10", "Front", "../front", "", NULL };

  g_assert_no_error (error);
  g_assert_nonnull (files);
  g_assert_cmpuint (file_mode (video), ==, 0700);
  g_assert_cmpuint (file_mode (key_path), ==, 0600);

  g_assert_true (clave_video_files_put (files, "vid_abc", "front", front, &error));
  g_assert_true (clave_video_files_put (files, "vid_abc", "face-1", face, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (folder), ==, 0700);
  g_assert_cmpuint (file_mode (front_path), ==, 0600);

  /* Sealed on disk: not the picture, nor any of its bytes in a row. */
  g_assert_true (g_file_get_contents (front_path, &on_disk, &on_disk_len, &error));
  g_assert_cmpuint (on_disk_len, ==, g_bytes_get_size (front) + 12 + 16);
  {
    const guint8 *run = (const guint8 *) g_bytes_get_data (front, NULL) + 20;

    for (gsize i = 0; i + 16 <= on_disk_len; i++)
      g_assert_true (memcmp (on_disk + i, run, 16) != 0);
  }

  opened = clave_video_files_get (files, "vid_abc", "front", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (opened, front));
  g_clear_pointer (&opened, g_bytes_unref);

  kinds = clave_video_files_list (files, "vid_abc");
  g_assert_cmpstrv (kinds, ((const char * const []) { "face-1", "front", NULL }));

  /* A picture moved to another kind does not open. */
  {
    g_autofree char *back_path = g_build_filename (folder, "back", NULL);

    g_assert_true (g_file_set_contents (back_path, on_disk, (gssize) on_disk_len, &error));
    opened = clave_video_files_get (files, "vid_abc", "back", &error);
    g_assert_null (opened);
    g_assert_error (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN);
    g_clear_error (&error);
  }

  /* Names that are not a registration's pictures are refused. */
  for (guint i = 0; bad_kinds[i] != NULL; i++)
    {
      g_assert_false (clave_video_files_is_kind (bad_kinds[i]));
      g_assert_false (clave_video_files_put (files, "vid_abc", bad_kinds[i], front, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  g_assert_false (clave_video_files_put (files, "..", "front", front, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  opened = clave_video_files_get (files, "vid_abc", "face-2", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The review's end: the folder goes; twice is fine. */
  g_assert_true (clave_video_files_delete (files, "vid_abc", &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  g_assert_true (clave_video_files_delete (files, "vid_abc", &error));
  g_clear_pointer (&kinds, g_strfreev);
  kinds = clave_video_files_list (files, "vid_abc");
  g_assert_cmpuint (g_strv_length (kinds), ==, 0);

  clave_test_remove_tree (state);
}

/* The PNG the other tests send (clave_test_png_new()) is a real one: a
 * decoder reads it, with its size and pixels. */
static void
test_made_png (void)
{
  g_autoptr(GBytes) png = clave_test_png_new (321, 400, 0x7f);
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new_with_type ("png", NULL);
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf;

  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, png, &error));
  g_assert_true (gdk_pixbuf_loader_close (loader, &error));
  g_assert_no_error (error);
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 321);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 400);
  g_assert_cmpuint (gdk_pixbuf_read_pixels (pixbuf)[0], ==, 0x7f);
  g_assert_true (clave_video_image_check (g_bytes_get_data (png, NULL), g_bytes_get_size (png),
                                          NULL, NULL, NULL, &error));
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
  g_test_add_func ("/video-image/files", test_files);
  g_test_add_func ("/video-image/made-png", test_made_png);

  return g_test_run ();
}
