/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* QR codes of clave: request URIs (zbar). The app turns an image file,
 * a pasted texture or a dropped file into pixels (GdkPixbuf/GdkTexture
 * live on the GTK side) and hands them here.
 *
 * API for the app:
 *   clave_qr_decode_gray ()  8-bit luminance (Y800)
 *   clave_qr_decode_rgb ()   GdkPixbuf (RGB/RGBA, n_channels 3/4) or
 *                            gdk_texture_download() (B,G,R,A bytes: bgr TRUE, 4)
 *   each returns the first QR text that parses as a clave: request URI
 *   (clave_request_uri_parse), NULL with CLAVE_QR_ERROR otherwise.
 */

#include <glib.h>

G_BEGIN_DECLS

/**
 * ClaveQrError:
 * @CLAVE_QR_ERROR_NO_CODE: no QR code found in the image
 * @CLAVE_QR_ERROR_NOT_CLAVE: QR codes found, none is a Cl@ve request
 * @CLAVE_QR_ERROR_INVALID_IMAGE: bad size, stride or pixel layout
 *
 * Messages are translated and say what to do.
 */
typedef enum {
  CLAVE_QR_ERROR_NO_CODE,
  CLAVE_QR_ERROR_NOT_CLAVE,
  CLAVE_QR_ERROR_INVALID_IMAGE,
} ClaveQrError;

#define CLAVE_QR_ERROR (clave_qr_error_quark ())
GQuark clave_qr_error_quark (void);

char *clave_qr_decode_gray (const guint8  *pixels,
                            int            width,
                            int            height,
                            int            stride,
                            GError       **error);

/* @n_channels 3 or 4 (the 4th, alpha, is composed over white); @bgr: the
 * bytes are B,G,R(,A) rather than R,G,B(,A). */
char *clave_qr_decode_rgb  (const guint8  *pixels,
                            int            width,
                            int            height,
                            int            stride,
                            int            n_channels,
                            gboolean       bgr,
                            GError       **error);

G_END_DECLS
