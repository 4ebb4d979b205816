/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The pictures of a registration by video identification (the front and
 * back of the document, frames of the face): what the service accepts,
 * read from the bytes' own headers, never from what the client says. */

#define CLAVE_VIDEO_IMAGE_MAX_BYTES ((gsize) 4 * 1024 * 1024)
#define CLAVE_VIDEO_IMAGE_MIN_SIDE  320
#define CLAVE_VIDEO_IMAGE_MAX_SIDE  8192

typedef enum {
  CLAVE_VIDEO_IMAGE_JPEG,
  CLAVE_VIDEO_IMAGE_PNG,
} ClaveVideoImageType;

typedef enum {
  CLAVE_VIDEO_IMAGE_ERROR_EMPTY,       /* no bytes */
  CLAVE_VIDEO_IMAGE_ERROR_TOO_LARGE,   /* over CLAVE_VIDEO_IMAGE_MAX_BYTES */
  CLAVE_VIDEO_IMAGE_ERROR_NOT_IMAGE,   /* neither a JPEG nor a PNG */
  CLAVE_VIDEO_IMAGE_ERROR_MALFORMED,   /* a JPEG or PNG whose headers do not hold */
  CLAVE_VIDEO_IMAGE_ERROR_DIMENSIONS,  /* a side under the minimum or over the maximum */
} ClaveVideoImageError;

#define CLAVE_VIDEO_IMAGE_ERROR (clave_video_image_error_quark ())
GQuark      clave_video_image_error_quark (void);

/* The type and size of the image in @data (@len bytes): a baseline or
 * progressive JPEG (its first frame header) or a PNG (its IHDR, with a
 * valid CRC), each side between CLAVE_VIDEO_IMAGE_MIN_SIDE and
 * CLAVE_VIDEO_IMAGE_MAX_SIDE pixels. FALSE with a
 * CLAVE_VIDEO_IMAGE_ERROR saying what is wrong otherwise. */
gboolean    clave_video_image_check     (const guint8          *data,
                                         gsize                  len,
                                         ClaveVideoImageType   *type,
                                         guint                 *width,
                                         guint                 *height,
                                         GError               **error);
/* "image/jpeg" or "image/png". */
const char *clave_video_image_type_to_mime (ClaveVideoImageType type);

G_END_DECLS
