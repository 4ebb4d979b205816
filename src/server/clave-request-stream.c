/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-request-stream.h"

/* What one read of the base asks for: a TLS record's worth. */
#define BASE_READ_SIZE 16384

/* Two types in one file: ClaveRequestInput is the input half of
 * ClaveRequestStream and means nothing without it, so it stays private
 * here rather than in a file of its own. */
#define CLAVE_TYPE_REQUEST_INPUT (clave_request_input_get_type ())
G_DECLARE_FINAL_TYPE (ClaveRequestInput, clave_request_input, CLAVE, REQUEST_INPUT, GInputStream)

struct _ClaveRequestStream
{
  GTlsConnection      parent_instance;

  GTlsConnection     *base;
  GPollableInputStream *base_input;
  ClaveRequestInput  *input;
  /* Read from the base, not yet by the reader: data[offset..len). */
  GByteArray         *pending;
  gsize               offset;
  gboolean            line_reads;
  gboolean            data_seen;
  gboolean            base_ended;
  gboolean            released;
  GError             *failure;
  /* Cancelled by clave_request_stream_fail(): wakes the reader's source. */
  GCancellable       *wake;
};

struct _ClaveRequestInput
{
  GInputStream        parent_instance;
  ClaveRequestStream *owner;   /* not a reference: the owner holds us */
};

enum {
  SIGNAL_FIRST_DATA,
  SIGNAL_RELEASED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_BASE_IO_STREAM,
  /* Then every other property of GTlsConnection, read from the base. */
};

G_DEFINE_FINAL_TYPE (ClaveRequestStream, clave_request_stream, G_TYPE_TLS_CONNECTION)

static void clave_request_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ClaveRequestInput, clave_request_input, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      clave_request_input_pollable_init))

static gsize
pending_length (ClaveRequestStream *self)
{
  return self->pending->len - self->offset;
}

static gssize
request_read (ClaveRequestStream  *self,
              void                *buffer,
              gsize                count,
              gboolean             blocking,
              GCancellable        *cancellable,
              GError             **error)
{
  const guint8 *start;
  gsize n;

  if (self->failure != NULL)
    {
      g_propagate_error (error, g_error_copy (self->failure));
      return -1;
    }
  if (count == 0)
    return 0;

  if (pending_length (self) == 0)
    {
      g_autoptr(GError) local_error = NULL;
      gssize got;

      g_byte_array_set_size (self->pending, BASE_READ_SIZE);
      self->offset = 0;
      got = g_pollable_stream_read (G_INPUT_STREAM (self->base_input), self->pending->data,
                                    BASE_READ_SIZE, blocking, cancellable, &local_error);
      g_byte_array_set_size (self->pending, got > 0 ? (guint) got : 0);
      if (got <= 0)
        {
          if (got == 0 || !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            self->base_ended = TRUE;
          if (local_error != NULL)
            g_propagate_error (error, g_steal_pointer (&local_error));
          return got;
        }
    }

  start = self->pending->data + self->offset;
  n = MIN (count, pending_length (self));
  if (self->line_reads)
    {
      const guint8 *newline = memchr (start, '\n', n);

      if (newline != NULL)
        n = (gsize) (newline - start) + 1;
    }

  memcpy (buffer, start, n);
  self->offset += n;

  if (!self->data_seen)
    {
      self->data_seen = TRUE;
      g_signal_emit (self, signals[SIGNAL_FIRST_DATA], 0);
    }
  return (gssize) n;
}

static gssize
clave_request_input_read (GInputStream  *stream,
                          void          *buffer,
                          gsize          count,
                          GCancellable  *cancellable,
                          GError       **error)
{
  ClaveRequestInput *self = CLAVE_REQUEST_INPUT (stream);

  return request_read (self->owner, buffer, count, TRUE, cancellable, error);
}

static gboolean
clave_request_input_close (GInputStream  *stream,
                           GCancellable  *cancellable,
                           GError       **error)
{
  /* The base belongs to the connection, not to this request. */
  return TRUE;
}

static gboolean
clave_request_input_is_readable (GPollableInputStream *stream)
{
  ClaveRequestStream *owner = CLAVE_REQUEST_INPUT (stream)->owner;

  return owner->failure != NULL || pending_length (owner) > 0 ||
         g_pollable_input_stream_is_readable (owner->base_input);
}

static gssize
clave_request_input_read_nonblocking (GPollableInputStream  *stream,
                                      void                  *buffer,
                                      gsize                  count,
                                      GError               **error)
{
  return request_read (CLAVE_REQUEST_INPUT (stream)->owner, buffer, count, FALSE, NULL, error);
}

static GSource *
clave_request_input_create_source (GPollableInputStream *stream,
                                   GCancellable         *cancellable)
{
  ClaveRequestStream *owner = CLAVE_REQUEST_INPUT (stream)->owner;
  g_autoptr(GSource) child = NULL;
  GSource *source;

  if (owner->failure != NULL || pending_length (owner) > 0)
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (owner->base_input, cancellable);

  source = g_pollable_source_new_full (stream, child, owner->wake);
  return source;
}

static gboolean
clave_request_input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static void
clave_request_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = clave_request_input_can_poll;
  iface->is_readable = clave_request_input_is_readable;
  iface->create_source = clave_request_input_create_source;
  iface->read_nonblocking = clave_request_input_read_nonblocking;
}

static void
clave_request_input_class_init (ClaveRequestInputClass *klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  input_class->read_fn = clave_request_input_read;
  input_class->close_fn = clave_request_input_close;
}

static void
clave_request_input_init (ClaveRequestInput *self)
{
}

/* ClaveRequestStream ----------------------------------------------------- */

static void
release (ClaveRequestStream *self)
{
  if (self->released)
    return;
  self->released = TRUE;
  g_signal_emit (self, signals[SIGNAL_RELEASED], 0);
}

static GInputStream *
clave_request_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (CLAVE_REQUEST_STREAM (stream)->input);
}

static GOutputStream *
clave_request_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (G_IO_STREAM (CLAVE_REQUEST_STREAM (stream)->base));
}

/* The handshake was the base's, and is done. */
static gboolean
clave_request_stream_handshake (GTlsConnection  *connection,
                                GCancellable    *cancellable,
                                GError         **error)
{
  return TRUE;
}

static void
clave_request_stream_handshake_async (GTlsConnection      *connection,
                                      int                  io_priority,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (connection, cancellable, callback, user_data);

  g_task_set_source_tag (task, clave_request_stream_handshake_async);
  g_task_return_boolean (task, TRUE);
}

static gboolean
clave_request_stream_handshake_finish (GTlsConnection  *connection,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static gboolean
clave_request_stream_get_binding_data (GTlsConnection          *connection,
                                       GTlsChannelBindingType   type,
                                       GByteArray              *data,
                                       GError                 **error)
{
  return g_tls_connection_get_channel_binding_data (CLAVE_REQUEST_STREAM (connection)->base,
                                                    type, data, error);
}
G_GNUC_END_IGNORE_DEPRECATIONS

static const char *
clave_request_stream_get_negotiated_protocol (GTlsConnection *connection)
{
  return g_tls_connection_get_negotiated_protocol (CLAVE_REQUEST_STREAM (connection)->base);
}

static void
clave_request_stream_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ClaveRequestStream *self = CLAVE_REQUEST_STREAM (object);

  if (prop_id == PROP_BASE_IO_STREAM)
    g_value_set_object (value, self->base);
  else if (self->base != NULL)
    g_object_get_property (G_OBJECT (self->base), pspec->name, value);
}

static void
clave_request_stream_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ClaveRequestStream *self = CLAVE_REQUEST_STREAM (object);

  /* The other properties are the base's, set when it was made; their
   * defaults come here at construction and are dropped. */
  if (prop_id == PROP_BASE_IO_STREAM)
    self->base = g_value_dup_object (value);
}

static gboolean
clave_request_stream_close (GIOStream     *stream,
                            GCancellable  *cancellable,
                            GError       **error)
{
  release (CLAVE_REQUEST_STREAM (stream));
  return TRUE;
}

/* GIOStream closes asynchronously in a thread by default; "released" must
 * come in the main thread, and there is nothing to wait for. */
static void
clave_request_stream_close_async (GIOStream           *stream,
                                  int                  io_priority,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, clave_request_stream_close_async);
  release (CLAVE_REQUEST_STREAM (stream));
  g_task_return_boolean (task, TRUE);
}

static gboolean
clave_request_stream_close_finish (GIOStream     *stream,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
clave_request_stream_finalize (GObject *object)
{
  ClaveRequestStream *self = CLAVE_REQUEST_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->base);
  g_clear_pointer (&self->pending, g_byte_array_unref);
  g_clear_error (&self->failure);
  g_clear_object (&self->wake);

  G_OBJECT_CLASS (clave_request_stream_parent_class)->finalize (object);
}

static void
clave_request_stream_class_init (ClaveRequestStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);
  GTlsConnectionClass *tls_class = G_TLS_CONNECTION_CLASS (klass);
  g_autofree GParamSpec **specs = NULL;
  guint n_specs = 0;
  guint prop_id = PROP_BASE_IO_STREAM;

  object_class->get_property = clave_request_stream_get_property;
  object_class->set_property = clave_request_stream_set_property;
  object_class->finalize = clave_request_stream_finalize;
  tls_class->handshake = clave_request_stream_handshake;
  tls_class->handshake_async = clave_request_stream_handshake_async;
  tls_class->handshake_finish = clave_request_stream_handshake_finish;
  tls_class->get_binding_data = clave_request_stream_get_binding_data;
  tls_class->get_negotiated_protocol = clave_request_stream_get_negotiated_protocol;

  /* GTlsConnection leaves its properties to its subclasses. */
  g_object_class_override_property (object_class, PROP_BASE_IO_STREAM, "base-io-stream");
  specs = g_object_class_list_properties (G_OBJECT_CLASS (clave_request_stream_parent_class),
                                          &n_specs);
  for (guint i = 0; i < n_specs; i++)
    if (specs[i]->owner_type == G_TYPE_TLS_CONNECTION &&
        strcmp (specs[i]->name, "base-io-stream") != 0)
      g_object_class_override_property (object_class, ++prop_id, specs[i]->name);

  stream_class->get_input_stream = clave_request_stream_get_input_stream;
  stream_class->get_output_stream = clave_request_stream_get_output_stream;
  stream_class->close_fn = clave_request_stream_close;
  stream_class->close_async = clave_request_stream_close_async;
  stream_class->close_finish = clave_request_stream_close_finish;

  signals[SIGNAL_FIRST_DATA] =
    g_signal_new ("first-data", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_RELEASED] =
    g_signal_new ("released", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
clave_request_stream_init (ClaveRequestStream *self)
{
  self->pending = g_byte_array_new ();
  self->wake = g_cancellable_new ();
}

ClaveRequestStream *
clave_request_stream_new (GTlsConnection *base,
                          GBytes         *pending)
{
  ClaveRequestStream *self;
  GInputStream *base_input;

  g_return_val_if_fail (G_IS_TLS_CONNECTION (base), NULL);
  base_input = g_io_stream_get_input_stream (G_IO_STREAM (base));
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (base_input), NULL);

  self = g_object_new (CLAVE_TYPE_REQUEST_STREAM, "base-io-stream", base, NULL);
  self->base_input = G_POLLABLE_INPUT_STREAM (base_input);
  self->input = g_object_new (CLAVE_TYPE_REQUEST_INPUT, NULL);
  self->input->owner = self;
  if (pending != NULL)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (pending, &len);

      g_byte_array_append (self->pending, data, (guint) len);
    }
  return self;
}

void
clave_request_stream_set_line_reads (ClaveRequestStream *self,
                                     gboolean            line_reads)
{
  g_return_if_fail (CLAVE_IS_REQUEST_STREAM (self));
  self->line_reads = line_reads;
}

void
clave_request_stream_fail (ClaveRequestStream *self,
                           const GError       *error)
{
  g_return_if_fail (CLAVE_IS_REQUEST_STREAM (self));
  g_return_if_fail (error != NULL);

  if (self->failure == NULL)
    self->failure = g_error_copy (error);
  g_cancellable_cancel (self->wake);
}

GBytes *
clave_request_stream_steal_pending (ClaveRequestStream *self)
{
  GBytes *bytes;

  g_return_val_if_fail (CLAVE_IS_REQUEST_STREAM (self), NULL);

  if (pending_length (self) == 0)
    return NULL;
  bytes = g_bytes_new (self->pending->data + self->offset, pending_length (self));
  g_byte_array_set_size (self->pending, 0);
  self->offset = 0;
  return bytes;
}

gboolean
clave_request_stream_base_ended (ClaveRequestStream *self)
{
  g_return_val_if_fail (CLAVE_IS_REQUEST_STREAM (self), TRUE);
  return self->base_ended;
}
