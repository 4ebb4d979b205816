/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-receipt"

#include "config.h"

#include <cairo-pdf.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "clave-receipt.h"
#include "clave-window.h"

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

typedef struct {
  GtkFileChooserNative  *chooser;
  ClaveReceiptWriteFunc  write;
  ClaveReceiptFailFunc   fail;
} Saving;

static void
saving_free (Saving *saving)
{
  if (saving->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (saving->chooser));
  g_clear_object (&saving->chooser);
  g_free (saving);
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     ClavePage       *page)
{
  Saving *saving = g_object_get_data (G_OBJECT (page), "clave-receipt-saving");
  ClaveReceiptWriteFunc write;
  ClaveReceiptFailFunc fail;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  ClaveWindow *window;

  if (saving == NULL || saving->chooser != GTK_FILE_CHOOSER_NATIVE (chooser))
    return;
  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  write = saving->write;
  fail = saving->fail;
  g_object_set_data (G_OBJECT (page), "clave-receipt-saving", NULL);
  if (file == NULL)
    return;
  window = clave_page_get_window (page);
  if (!write (page, file, &error))
    fail (page, error->message);
  else if (window != NULL)
    clave_window_add_toast (window, _("Receipt saved"));
}

void
clave_receipt_save (ClavePage             *page,
                    const char            *file_name,
                    ClaveReceiptWriteFunc  write,
                    ClaveReceiptFailFunc   fail)
{
  ClaveWindow *window = clave_page_get_window (page);
  g_autoptr(GtkFileFilter) filter = NULL;
  Saving *saving;

  if (window == NULL || g_object_get_data (G_OBJECT (page), "clave-receipt-saving") != NULL)
    return;

  saving = g_new0 (Saving, 1);
  saving->write = write;
  saving->fail = fail;
  saving->chooser = gtk_file_chooser_native_new (_("Save Receipt"), GTK_WINDOW (window),
                                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"),
                                                 _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (saving->chooser), file_name);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("PDF documents"));
  gtk_file_filter_add_mime_type (filter, "application/pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (saving->chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (saving->chooser), TRUE);
  g_signal_connect_object (saving->chooser, "response", G_CALLBACK (on_chooser_response), page,
                           0);
  g_object_set_data_full (G_OBJECT (page), "clave-receipt-saving", saving,
                          (GDestroyNotify) saving_free);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (saving->chooser));
}

void
clave_receipt_cancel (ClavePage *page)
{
  g_object_set_data (G_OBJECT (page), "clave-receipt-saving", NULL);
}
