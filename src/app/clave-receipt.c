/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-receipt"

#include "config.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "clave-receipt.h"

/* A4 in points, with 2 cm margins. */
#define PAGE_WIDTH  595.0
#define PAGE_HEIGHT 842.0
#define MARGIN      57.0

typedef struct {
  GOutputStream *stream;
  GError        *error;
} Sink;

static cairo_status_t
write_cb (void                *closure,
          const unsigned char *data,
          unsigned int         length)
{
  Sink *sink = closure;

  if (sink->error != NULL)
    return CAIRO_STATUS_WRITE_ERROR;
  if (!g_output_stream_write_all (sink->stream, data, length, NULL, NULL, &sink->error))
    return CAIRO_STATUS_WRITE_ERROR;
  return CAIRO_STATUS_SUCCESS;
}

/* Draws @text at @y in @font; returns the y below it. */
static double
draw_text (cairo_t    *cr,
           const char *font,
           const char *text,
           double      y)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) description = pango_font_description_from_string (font);
  int height = 0;

  /* Sizes in points: a PDF unit is a point. */
  pango_cairo_context_set_resolution (pango_layout_get_context (layout), 72);
  pango_layout_context_changed (layout);
  pango_layout_set_font_description (layout, description);
  pango_layout_set_width (layout, (int) ((PAGE_WIDTH - 2 * MARGIN) * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, MARGIN, y);
  pango_cairo_show_layout (cr, layout);
  pango_layout_get_size (layout, NULL, &height);
  return y + (double) height / PANGO_SCALE;
}

gboolean
clave_receipt_write_pdf (GFile              *file,
                         const char         *title,
                         const char * const *fields,
                         const char         *note,
                         GError            **error)
{
  g_autoptr(GFileOutputStream) stream = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  Sink sink = { NULL, NULL };
  cairo_status_t status;
  double y = MARGIN;

  g_return_val_if_fail (G_IS_FILE (file), FALSE);
  g_return_val_if_fail (title != NULL && fields != NULL, FALSE);

  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, error);
  if (stream == NULL)
    return FALSE;
  sink.stream = G_OUTPUT_STREAM (stream);

  surface = cairo_pdf_surface_create_for_stream (write_cb, &sink, PAGE_WIDTH, PAGE_HEIGHT);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 0, 0, 0);

  y = draw_text (cr, "Sans Bold 18", title, y) + 24;
  for (guint i = 0; fields[i] != NULL && fields[i + 1] != NULL; i += 2)
    {
      y = draw_text (cr, "Sans 10", fields[i], y) + 2;
      y = draw_text (cr, "Sans Bold 14", fields[i + 1], y) + 14;
    }
  if (note != NULL)
    draw_text (cr, "Sans 9", note, y + 10);

  cairo_show_page (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (sink.error != NULL || status != CAIRO_STATUS_SUCCESS)
    {
      g_autoptr(GCancellable) cancelled = g_cancellable_new ();

      /* Closed cancelled, a replaced file keeps what it had: no half
       * receipt. */
      g_cancellable_cancel (cancelled);
      g_output_stream_close (G_OUTPUT_STREAM (stream), cancelled, NULL);
      if (sink.error != NULL)
        g_propagate_error (error, sink.error);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                     cairo_status_to_string (status));
      return FALSE;
    }
  return g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, error);
}
