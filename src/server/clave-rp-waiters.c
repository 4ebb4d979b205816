/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-server"

#include "config.h"

#include "clave-http.h"
#include "clave-protocol.h"
#include "clave-server-private.h"

/* Relying parties long-polling a request (GET /v1/rp/requests/{id}?wait=N):
 * each paused message waits here until the request changes
 * (_clave_auth_requests_changed()), its wait ends or the client leaves. */

/* Paused long-polls at most; more are answered at once (the relying
 * party polls again). */
#define MAX_WAITERS 1024

struct _ClaveRpWaiter
{
  SoupServerMessage *msg;
  char              *rp_id;
  char              *id;
  guint              timeout_id;
  gulong             finished_id;
};

static void
rp_reply_current (ClaveServer       *self,
                  SoupServerMessage *msg,
                  const char        *rp_id,
                  const char        *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveAuthRequest) request = NULL;

  request = clave_auth_requests_get (self, rp_id, id, &error);
  if (request == NULL)
    clave_http_reply_gerror (msg, error);
  else
    clave_auth_request_reply (msg, SOUP_STATUS_OK, request);
}

static void
waiter_free (ClaveRpWaiter *waiter)
{
  g_free (waiter->rp_id);
  g_free (waiter->id);
  g_free (waiter);
}

static void
waiter_detach (ClaveServer   *self,
               ClaveRpWaiter *waiter)
{
  g_clear_handle_id (&waiter->timeout_id, g_source_remove);
  g_clear_signal_handler (&waiter->finished_id, waiter->msg);
  self->n_waiters--;
}

/* Takes @waiter out of self->waiters. */
static void
waiter_unlink (ClaveServer   *self,
               ClaveRpWaiter *waiter)
{
  GPtrArray *waiters = g_hash_table_lookup (self->waiters, waiter->id);

  if (waiters == NULL)
    return;
  g_ptr_array_remove_fast (waiters, waiter);
  if (waiters->len == 0)
    g_hash_table_remove (self->waiters, waiter->id);
}

static void
waiter_wake (ClaveServer   *self,
             ClaveRpWaiter *waiter)
{
  waiter_detach (self, waiter);
  rp_reply_current (self, waiter->msg, waiter->rp_id, waiter->id);
  soup_server_message_unpause (waiter->msg);
  g_object_unref (waiter->msg);
  waiter_free (waiter);
}

typedef struct {
  ClaveServer   *server;
  ClaveRpWaiter *waiter;
} WaiterRef;

static gboolean
waiter_timeout_cb (gpointer user_data)
{
  WaiterRef *ref = user_data;

  ref->waiter->timeout_id = 0;
  waiter_unlink (ref->server, ref->waiter);
  waiter_wake (ref->server, ref->waiter);
  return G_SOURCE_REMOVE;
}

static void
waiter_finished_cb (SoupServerMessage *msg,
                    gpointer           user_data)
{
  WaiterRef *ref = user_data;
  ClaveRpWaiter *waiter = ref->waiter;
  ClaveServer *self = ref->server;

  /* The client went away while we waited. */
  waiter_unlink (self, waiter);
  waiter_detach (self, waiter);
  g_object_unref (waiter->msg);
  waiter_free (waiter);
}

gboolean
_clave_rp_waiters_add (ClaveServer            *self,
                       SoupServerMessage      *msg,
                       const char             *rp_id,
                       const ClaveAuthRequest *request,
                       guint                   wait)
{
  ClaveRpWaiter *waiter;
  GPtrArray *waiters;
  WaiterRef *ref;

  if (self->n_waiters >= MAX_WAITERS)
    return FALSE;

  /* Never past the expiry: the sweep wakes it then anyway. */
  wait = (guint) MIN ((gint64) wait, MAX (1, request->expires_at - _clave_server_now () + 1));

  waiter = g_new0 (ClaveRpWaiter, 1);
  waiter->msg = g_object_ref (msg);
  waiter->rp_id = g_strdup (rp_id);
  waiter->id = g_strdup (request->id);
  ref = g_new0 (WaiterRef, 1);
  ref->server = self;
  ref->waiter = waiter;
  /* One WaiterRef shared by both callbacks, freed with the signal
   * handler's closure (always disconnected before the waiter is freed). */
  waiter->timeout_id = g_timeout_add_seconds (wait, waiter_timeout_cb, ref);
  waiter->finished_id = g_signal_connect_data (msg, "finished", G_CALLBACK (waiter_finished_cb),
                                               ref, (GClosureNotify) (void (*) (void)) g_free, 0);
  self->n_waiters++;

  waiters = g_hash_table_lookup (self->waiters, waiter->id);
  if (waiters == NULL)
    {
      waiters = g_ptr_array_new ();
      g_hash_table_insert (self->waiters, g_strdup (waiter->id), waiters);
    }
  g_ptr_array_add (waiters, waiter);
  soup_server_message_pause (msg);
  return TRUE;
}

void
_clave_rp_waiters_wake (ClaveServer *self,
                        const char  *id)
{
  g_autoptr(GPtrArray) waiters = NULL;
  g_autofree char *key = NULL;

  if (g_hash_table_steal_extended (self->waiters, id, (gpointer *) &key, (gpointer *) &waiters))
    for (guint i = 0; i < waiters->len; i++)
      waiter_wake (self, g_ptr_array_index (waiters, i));
}

void
_clave_rp_waiters_wake_gone (ClaveServer *self)
{
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->waiters);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autoptr(ClaveAuthRequestRecord) record = NULL;
      g_autoptr(GError) error = NULL;

      record = clave_store_get_auth_request (self->store, key, &error);
      if (record == NULL && error == NULL)
        g_ptr_array_add (gone, g_strdup (key));
    }
  /* Each is answered 404 not_found, as a new poll would be. */
  for (guint i = 0; i < gone->len; i++)
    _clave_rp_waiters_wake (self, g_ptr_array_index (gone, i));
}

void
_clave_rp_waiters_init (ClaveServer *self)
{
  self->waiters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
}

void
_clave_rp_waiters_shutdown (ClaveServer *self)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  if (self->waiters == NULL)
    return;
  /* Out of the table first: answering one may change its request (past
   * its expiry), which wakes that request's waiters again. */
  g_hash_table_iter_init (&iter, self->waiters);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GPtrArray *waiters = value;

      for (guint i = 0; i < waiters->len; i++)
        g_ptr_array_add (all, g_ptr_array_index (waiters, i));
    }
  g_hash_table_remove_all (self->waiters);
  for (guint i = 0; i < all->len; i++)
    waiter_wake (self, g_ptr_array_index (all, i));
}
