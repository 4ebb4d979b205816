/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The pictures of a video identification (src/server/clave-video-image.c):
 * the bytes a person's upload carries, read by the service before it
 * keeps anything. The input is those bytes.
 *
 * Properties:
 * - it never reads outside the input (the input is copied to a buffer of
 *   its exact size, where ASan sees a read past the end);
 * - an accepted input starts with the JPEG or PNG signature of the type
 *   it is said to be, is at most the size limit, and has both sides within
 *   the limits; a refusal has a CLAVE_VIDEO_IMAGE_ERROR with a message;
 * - the result does not depend on bytes after the size limit: an input
 *   over it is refused as TOO_LARGE, whatever it holds. */

#include "config.h"

#include <string.h>

#include "clave-video-image.h"
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_setup (0);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree guint8 *copy = g_memdup2 (data, size);
  g_autoptr(GError) error = NULL;
  ClaveVideoImageType type = CLAVE_VIDEO_IMAGE_JPEG;
  guint width = 0, height = 0;
  gboolean ok;

  ok = clave_video_image_check (copy, size, &type, &width, &height, &error);
  if (!ok)
    {
      FUZZ_CHECK (error != NULL && error->domain == CLAVE_VIDEO_IMAGE_ERROR &&
                  error->message != NULL && *error->message != '\0',
                  "a refusal without its error");
      FUZZ_CHECK (size <= CLAVE_VIDEO_IMAGE_MAX_BYTES ||
                  error->code == CLAVE_VIDEO_IMAGE_ERROR_TOO_LARGE,
                  "an input over the limit refused as %d", error->code);
      return 0;
    }

  FUZZ_CHECK (error == NULL, "accepted with an error");
  FUZZ_CHECK (size <= CLAVE_VIDEO_IMAGE_MAX_BYTES, "accepted %zu bytes", size);
  FUZZ_CHECK (width >= CLAVE_VIDEO_IMAGE_MIN_SIDE && width <= CLAVE_VIDEO_IMAGE_MAX_SIDE &&
              height >= CLAVE_VIDEO_IMAGE_MIN_SIDE && height <= CLAVE_VIDEO_IMAGE_MAX_SIDE,
              "accepted %u x %u", width, height);
  if (type == CLAVE_VIDEO_IMAGE_PNG)
    FUZZ_CHECK (size >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0, "a PNG without PNG's signature");
  else
    FUZZ_CHECK (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff,
                "a JPEG without JPEG's start");
  return 0;
}
