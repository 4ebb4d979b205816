/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include <string.h>

#include "clave-outbox-sender.h"

/* A gateway command that hangs must not keep a message "queued" forever. */
#define COMMAND_TIMEOUT_SECS 30

struct _ClaveOutboxSender
{
  GObject             parent_instance;

  ClaveStore         *store;
  ClaveOutboxChannel  channel;
  char              **argv;
  GCancellable       *cancellable;
};

G_DEFINE_FINAL_TYPE (ClaveOutboxSender, clave_outbox_sender, G_TYPE_OBJECT)

typedef struct {
  ClaveOutboxSender *sender;
  GSubprocess       *process;
  gint64             outbox_id;
  guint              timeout_id;
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_clear_handle_id (&delivery->timeout_id, g_source_remove);
  g_clear_object (&delivery->process);
  g_clear_object (&delivery->sender);
  g_free (delivery);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Delivery, delivery_free)

static const char *
channel_name (ClaveOutboxSender *self)
{
  return self->channel == CLAVE_OUTBOX_EMAIL ? "E-mail" : "SMS";
}

/* A header value as RFC 2047 "B" encoded words when it is not plain
 * ASCII: each word holds whole UTF-8 characters, at most 45 bytes of them
 * (60 of base64, 72 with its markers, under the 75 allowed), and words
 * after the first go on folded lines. */
static char *
encode_header_value (const char *text)
{
  g_autoptr(GString) out = NULL;
  const char *start = text;
  gboolean ascii = TRUE;

  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p >= 0x80)
      ascii = FALSE;
  if (ascii)
    return g_strdup (text);

  out = g_string_new (NULL);
  while (*start != '\0')
    {
      const char *end = start;
      g_autofree char *base64 = NULL;

      while (*end != '\0')
        {
          const char *next = g_utf8_next_char (end);

          if (next - start > 45)
            break;
          end = next;
        }
      base64 = g_base64_encode ((const guchar *) start, (gsize) (end - start));
      g_string_append_printf (out, "%s=?UTF-8?B?%s?=", out->len > 0 ? "\n " : "", base64);
      start = end;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
clave_outbox_compose_mail (const char *to,
                           const char *subject,
                           const char *body)
{
  g_autofree char *encoded = encode_header_value (subject);

  return g_strdup_printf ("To: %s\n"
                          "Subject: %s\n"
                          "MIME-Version: 1.0\n"
                          "Content-Type: text/plain; charset=UTF-8\n"
                          "Content-Transfer-Encoding: 8bit\n"
                          "\n"
                          "%s\n",
                          to, encoded, body);
}

static gboolean
on_timeout (gpointer user_data)
{
  Delivery *delivery = user_data;

  g_warning ("%s command for message %" G_GINT64_FORMAT " took more than %d s; stopping it",
             channel_name (delivery->sender), delivery->outbox_id, COMMAND_TIMEOUT_SECS);
  delivery->timeout_id = 0;
  g_subprocess_force_exit (delivery->process);
  return G_SOURCE_REMOVE;
}

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Delivery) delivery = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) store_error = NULL;
  const char *status = CLAVE_OUTBOX_FAILED;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, NULL, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("%s command for message %" G_GINT64_FORMAT " failed: %s",
                 channel_name (delivery->sender), delivery->outbox_id, error->message);
    }
  else if (g_subprocess_get_if_exited (delivery->process) &&
           g_subprocess_get_exit_status (delivery->process) == 0)
    {
      status = CLAVE_OUTBOX_DELIVERED;
    }
  else
    {
      g_warning ("%s command for message %" G_GINT64_FORMAT " did not succeed",
                 channel_name (delivery->sender), delivery->outbox_id);
    }

  if (g_cancellable_is_cancelled (delivery->sender->cancellable))
    return;

  if (!clave_store_set_outbox_status (delivery->sender->store, delivery->outbox_id, status,
                                      &store_error))
    g_warning ("Cannot record the %s status: %s", channel_name (delivery->sender),
               store_error->message);
  else
    g_debug ("%s message %" G_GINT64_FORMAT " %s", channel_name (delivery->sender),
             delivery->outbox_id, status);
}

void
clave_outbox_sender_dispatch (ClaveOutboxSender *self,
                              gint64             outbox_id,
                              const char        *to,
                              const char        *subject,
                              const char        *body)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) store_error = NULL;
  g_autofree char *input = NULL;
  Delivery *delivery;

  g_return_if_fail (CLAVE_IS_OUTBOX_SENDER (self));
  g_return_if_fail (self->channel == CLAVE_OUTBOX_SMS || subject != NULL);

  if (self->argv == NULL)
    return;

  /* stdout stays away from ours: clave-server's stdout carries only the
   * "listening on" line that supervisors and tests read. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  if (self->channel == CLAVE_OUTBOX_EMAIL)
    {
      /* The service checked the address; a line break in a header would
       * still let one message smuggle others. */
      if (strpbrk (to, "\r\n") != NULL || strpbrk (subject, "\r\n") != NULL)
        {
          g_warning ("E-mail message %" G_GINT64_FORMAT " has a line break in a header",
                     outbox_id);
          if (!clave_store_set_outbox_status (self->store, outbox_id, CLAVE_OUTBOX_FAILED,
                                              &store_error))
            g_warning ("Cannot record the e-mail status: %s", store_error->message);
          return;
        }
      g_subprocess_launcher_setenv (launcher, "CLAVE_MAIL_TO", to, TRUE);
      g_subprocess_launcher_setenv (launcher, "CLAVE_MAIL_SUBJECT", subject, TRUE);
      input = clave_outbox_compose_mail (to, subject, body);
    }
  else
    {
      g_subprocess_launcher_setenv (launcher, "CLAVE_SMS_TO", to, TRUE);
      input = g_strdup (body);
    }

  delivery = g_new0 (Delivery, 1);
  delivery->sender = g_object_ref (self);
  delivery->outbox_id = outbox_id;
  delivery->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) self->argv,
                                                    &error);
  if (delivery->process == NULL)
    {
      g_warning ("Cannot run the %s command: %s", channel_name (self), error->message);
      if (!clave_store_set_outbox_status (self->store, outbox_id, CLAVE_OUTBOX_FAILED,
                                          &store_error))
        g_warning ("Cannot record the %s status: %s", channel_name (self), store_error->message);
      delivery_free (delivery);
      explicit_bzero (input, strlen (input));
      return;
    }

  delivery->timeout_id = g_timeout_add_seconds (COMMAND_TIMEOUT_SECS, on_timeout, delivery);
  g_subprocess_communicate_utf8_async (delivery->process, input, self->cancellable,
                                       on_communicated, delivery);
  /* The message holds a code: it leaves memory as soon as it is handed on
   * (communicate copies it). */
  explicit_bzero (input, strlen (input));
}

void
clave_outbox_sender_cancel (ClaveOutboxSender *self)
{
  g_return_if_fail (CLAVE_IS_OUTBOX_SENDER (self));
  g_cancellable_cancel (self->cancellable);
}

ClaveOutboxSender *
clave_outbox_sender_new (ClaveStore          *store,
                         ClaveOutboxChannel   channel,
                         const char          *command,
                         GError             **error)
{
  g_autoptr(ClaveOutboxSender) self = g_object_new (CLAVE_TYPE_OUTBOX_SENDER, NULL);

  self->store = g_object_ref (store);
  self->channel = channel;
  if (command != NULL && *command != '\0' &&
      !g_shell_parse_argv (command, NULL, &self->argv, error))
    return NULL;

  return g_steal_pointer (&self);
}

static void
clave_outbox_sender_dispose (GObject *object)
{
  ClaveOutboxSender *self = CLAVE_OUTBOX_SENDER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (clave_outbox_sender_parent_class)->dispose (object);
}

static void
clave_outbox_sender_finalize (GObject *object)
{
  ClaveOutboxSender *self = CLAVE_OUTBOX_SENDER (object);

  g_clear_pointer (&self->argv, g_strfreev);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (clave_outbox_sender_parent_class)->finalize (object);
}

static void
clave_outbox_sender_class_init (ClaveOutboxSenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clave_outbox_sender_dispose;
  object_class->finalize = clave_outbox_sender_finalize;
}

static void
clave_outbox_sender_init (ClaveOutboxSender *self)
{
  self->cancellable = g_cancellable_new ();
}
