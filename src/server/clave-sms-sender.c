/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-sms-sender.h"

/* A gateway command that hangs must not keep a message "queued" forever. */
#define COMMAND_TIMEOUT_SECS 30

struct _ClaveSmsSender
{
  GObject       parent_instance;

  ClaveStore   *store;
  char        **argv;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (ClaveSmsSender, clave_sms_sender, G_TYPE_OBJECT)

typedef struct {
  ClaveSmsSender *sender;
  GSubprocess    *process;
  gint64          outbox_id;
  guint           timeout_id;
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

static gboolean
on_timeout (gpointer user_data)
{
  Delivery *delivery = user_data;

  g_warning ("SMS command for message %" G_GINT64_FORMAT " took more than %d s; stopping it",
             delivery->outbox_id, COMMAND_TIMEOUT_SECS);
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
      g_warning ("SMS command for message %" G_GINT64_FORMAT " failed: %s",
                 delivery->outbox_id, error->message);
    }
  else if (g_subprocess_get_if_exited (delivery->process) &&
           g_subprocess_get_exit_status (delivery->process) == 0)
    {
      status = CLAVE_OUTBOX_DELIVERED;
    }
  else
    {
      g_warning ("SMS command for message %" G_GINT64_FORMAT " did not succeed",
                 delivery->outbox_id);
    }

  if (g_cancellable_is_cancelled (delivery->sender->cancellable))
    return;

  if (!clave_store_set_outbox_status (delivery->sender->store, delivery->outbox_id, status,
                                      &store_error))
    g_warning ("Cannot record the SMS status: %s", store_error->message);
  else
    g_debug ("SMS message %" G_GINT64_FORMAT " %s", delivery->outbox_id, status);
}

void
clave_sms_sender_dispatch (ClaveSmsSender *self,
                           gint64          outbox_id,
                           const char     *phone,
                           const char     *body)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) store_error = NULL;
  Delivery *delivery;

  g_return_if_fail (CLAVE_IS_SMS_SENDER (self));

  if (self->argv == NULL)
    return;

  /* stdout stays away from ours: clave-server's stdout carries only the
   * "listening on" line that supervisors and tests read. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "CLAVE_SMS_TO", phone, TRUE);

  delivery = g_new0 (Delivery, 1);
  delivery->sender = g_object_ref (self);
  delivery->outbox_id = outbox_id;
  delivery->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) self->argv,
                                                    &error);
  if (delivery->process == NULL)
    {
      g_warning ("Cannot run the SMS command: %s", error->message);
      if (!clave_store_set_outbox_status (self->store, outbox_id, CLAVE_OUTBOX_FAILED,
                                          &store_error))
        g_warning ("Cannot record the SMS status: %s", store_error->message);
      delivery_free (delivery);
      return;
    }

  delivery->timeout_id = g_timeout_add_seconds (COMMAND_TIMEOUT_SECS, on_timeout, delivery);
  g_subprocess_communicate_utf8_async (delivery->process, body, self->cancellable,
                                       on_communicated, delivery);
}

void
clave_sms_sender_cancel (ClaveSmsSender *self)
{
  g_return_if_fail (CLAVE_IS_SMS_SENDER (self));
  g_cancellable_cancel (self->cancellable);
}

ClaveSmsSender *
clave_sms_sender_new (ClaveStore  *store,
                      const char  *command,
                      GError     **error)
{
  g_autoptr(ClaveSmsSender) self = g_object_new (CLAVE_TYPE_SMS_SENDER, NULL);

  self->store = g_object_ref (store);
  if (command != NULL && *command != '\0' &&
      !g_shell_parse_argv (command, NULL, &self->argv, error))
    return NULL;

  return g_steal_pointer (&self);
}

static void
clave_sms_sender_dispose (GObject *object)
{
  ClaveSmsSender *self = CLAVE_SMS_SENDER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (clave_sms_sender_parent_class)->dispose (object);
}

static void
clave_sms_sender_finalize (GObject *object)
{
  ClaveSmsSender *self = CLAVE_SMS_SENDER (object);

  g_clear_pointer (&self->argv, g_strfreev);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (clave_sms_sender_parent_class)->finalize (object);
}

static void
clave_sms_sender_class_init (ClaveSmsSenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clave_sms_sender_dispose;
  object_class->finalize = clave_sms_sender_finalize;
}

static void
clave_sms_sender_init (ClaveSmsSender *self)
{
  self->cancellable = g_cancellable_new ();
}
