/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-video-image.h"

G_DEFINE_QUARK (clave-video-image-error-quark, clave_video_image_error)

static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

const char *
clave_video_image_type_to_mime (ClaveVideoImageType type)
{
  return type == CLAVE_VIDEO_IMAGE_PNG ? "image/png" : "image/jpeg";
}

static guint32
read_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint
read_be16 (const guint8 *p)
{
  return (guint) p[0] << 8 | p[1];
}

/* CRC-32 of PNG chunks (ISO 3309, the polynomial 0xEDB88320 reflected). */
static guint32
png_crc (const guint8 *data,
         gsize         len)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int bit = 0; bit < 8; bit++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
  return crc ^ 0xffffffffu;
}

static gboolean
malformed (GError    **error,
           const char *what)
{
  g_set_error (error, CLAVE_VIDEO_IMAGE_ERROR, CLAVE_VIDEO_IMAGE_ERROR_MALFORMED,
               "The image is damaged: %s.", what);
  return FALSE;
}

/* The signature, then IHDR first: length 13, width, height, bit depth,
 * colour type, compression, filter, interlace, then its CRC. */
static gboolean
check_png (const guint8  *data,
           gsize          len,
           guint         *width,
           guint         *height,
           GError       **error)
{
  const guint8 *chunk = data + sizeof png_signature;
  guint32 w, h;
  guint depth, colour;

  if (len < sizeof png_signature + 8 + 13 + 4)
    return malformed (error, "the PNG ends in its header");
  if (read_be32 (chunk) != 13 || memcmp (chunk + 4, "IHDR", 4) != 0)
    return malformed (error, "the PNG does not start with its header chunk");
  if (png_crc (chunk + 4, 4 + 13) != read_be32 (chunk + 8 + 13))
    return malformed (error, "the PNG header's checksum is wrong");

  w = read_be32 (chunk + 8);
  h = read_be32 (chunk + 12);
  depth = chunk[16];
  colour = chunk[17];
  /* The colour types and depths of the PNG specification. */
  if (!((colour == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
        (colour == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
        ((colour == 2 || colour == 4 || colour == 6) && (depth == 8 || depth == 16))) ||
      chunk[18] != 0 || chunk[19] != 0 || chunk[20] > 1)
    return malformed (error, "the PNG header has values PNG does not define");

  *width = w > G_MAXINT ? G_MAXUINT : (guint) w;
  *height = h > G_MAXINT ? G_MAXUINT : (guint) h;
  return TRUE;
}

/* Markers from SOI on until the first frame header (SOF0–SOF15 but DHT,
 * JPG and DAC): its height and width. A scan before any frame, a marker
 * running past the end or a length under 2 is malformed. */
static gboolean
check_jpeg (const guint8  *data,
            gsize          len,
            guint         *width,
            guint         *height,
            GError       **error)
{
  gsize pos = 2;

  while (pos < len)
    {
      guint marker, segment;

      if (data[pos] != 0xff)
        return malformed (error, "the JPEG has bytes where a marker should be");
      /* Fill bytes. */
      while (pos < len && data[pos] == 0xff)
        pos++;
      if (pos >= len)
        break;
      marker = data[pos++];

      /* Markers without a length. */
      if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
        continue;
      if (marker == 0xd8 || marker == 0xd9 || marker == 0xda || marker == 0x00)
        return malformed (error, "the JPEG has no frame header before its image data");

      if (pos + 2 > len)
        break;
      segment = read_be16 (data + pos);
      if (segment < 2 || pos + segment > len)
        return malformed (error, "a JPEG segment runs past the end");

      if (marker >= 0xc0 && marker <= 0xcf &&
          marker != 0xc4 && marker != 0xc8 && marker != 0xcc)
        {
          if (segment < 8)
            return malformed (error, "the JPEG frame header is too short");
          *height = read_be16 (data + pos + 3);
          *width = read_be16 (data + pos + 5);
          if (data[pos + 7] == 0 || segment < 8 + 3 * (gsize) data[pos + 7])
            return malformed (error, "the JPEG frame header lists no components");
          return TRUE;
        }
      pos += segment;
    }
  return malformed (error, "the JPEG ends before its frame header");
}

gboolean
clave_video_image_check (const guint8         *data,
                         gsize                 len,
                         ClaveVideoImageType  *type,
                         guint                *width,
                         guint                *height,
                         GError              **error)
{
  ClaveVideoImageType found;
  guint w = 0, h = 0;
  gboolean ok;

  if (len == 0 || data == NULL)
    {
      g_set_error_literal (error, CLAVE_VIDEO_IMAGE_ERROR, CLAVE_VIDEO_IMAGE_ERROR_EMPTY,
                           "The image is empty.");
      return FALSE;
    }
  if (len > CLAVE_VIDEO_IMAGE_MAX_BYTES)
    {
      g_set_error (error, CLAVE_VIDEO_IMAGE_ERROR, CLAVE_VIDEO_IMAGE_ERROR_TOO_LARGE,
                   "The image is larger than %" G_GSIZE_FORMAT " MiB.",
                   CLAVE_VIDEO_IMAGE_MAX_BYTES / (1024 * 1024));
      return FALSE;
    }

  if (len >= sizeof png_signature && memcmp (data, png_signature, sizeof png_signature) == 0)
    {
      found = CLAVE_VIDEO_IMAGE_PNG;
      ok = check_png (data, len, &w, &h, error);
    }
  else if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    {
      found = CLAVE_VIDEO_IMAGE_JPEG;
      ok = check_jpeg (data, len, &w, &h, error);
    }
  else
    {
      g_set_error_literal (error, CLAVE_VIDEO_IMAGE_ERROR, CLAVE_VIDEO_IMAGE_ERROR_NOT_IMAGE,
                           "The file is not a JPEG or PNG image.");
      return FALSE;
    }
  if (!ok)
    return FALSE;

  if (w < CLAVE_VIDEO_IMAGE_MIN_SIDE || h < CLAVE_VIDEO_IMAGE_MIN_SIDE ||
      w > CLAVE_VIDEO_IMAGE_MAX_SIDE || h > CLAVE_VIDEO_IMAGE_MAX_SIDE)
    {
      g_set_error (error, CLAVE_VIDEO_IMAGE_ERROR, CLAVE_VIDEO_IMAGE_ERROR_DIMENSIONS,
                   "The image is %u × %u pixels; each side must be from %d to %d.",
                   w, h, CLAVE_VIDEO_IMAGE_MIN_SIDE, CLAVE_VIDEO_IMAGE_MAX_SIDE);
      return FALSE;
    }

  if (type != NULL)
    *type = found;
  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
  return TRUE;
}
