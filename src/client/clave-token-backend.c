/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-token-manager"

#include "config.h"

#include "clave-token-manager-private.h"

/*
 * The PKCS#11 modules of a token manager, loaded in a thread of their own.
 *
 * Loading OpenSC is C_Initialize, and OpenSC's C_Initialize looks at every
 * card in every reader: with a card that another program is using it
 * waits for that program, for seconds or for ever. So nothing here runs on
 * the main thread, and nothing waits for a thread that is inside a module:
 * every thread that calls into the modules holds a reference, and the
 * modules are finalised when the last one lets go. A thread stuck in a
 * driver keeps them alive until it returns or the process ends, instead of
 * keeping the application from quitting.
 */

struct _ClaveTokenBackend
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  GCond            cond;
  gboolean         loading;
  gboolean         loaded;

  /* Written by the loader before @loaded, read-only after. */
  char           **paths;
  gboolean         opensc_found;
  gboolean         use_registry;
  char           **extra;
  GPtrArray       *modules;      /* ClavePkcs11Module */
  gboolean         gnutls_acquired;
};

static gpointer
load_thread (gpointer user_data)
{
  ClaveTokenBackend *self = user_data;
  g_auto(GStrv) paths = NULL;
  gboolean opensc = FALSE;
  GPtrArray *modules;
  gint64 started = g_get_monotonic_time ();

  paths = _clave_pkcs11_resolve_modules ((const char * const *) self->extra, self->use_registry,
                                         &opensc);
  _clave_pkcs11_gnutls_acquire ((const char * const *) paths);
  modules = _clave_pkcs11_modules_load ((const char * const *) paths);

  g_debug ("%u PKCS#11 module(s) loaded in %" G_GINT64_FORMAT " ms", modules->len,
           (g_get_monotonic_time () - started) / G_TIME_SPAN_MILLISECOND);

  g_mutex_lock (&self->lock);
  self->paths = g_steal_pointer (&paths);
  self->opensc_found = opensc;
  self->modules = modules;
  self->gnutls_acquired = TRUE;
  self->loaded = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  _clave_token_backend_unref (self);
  return NULL;
}

ClaveTokenBackend *
_clave_token_backend_new (const char * const *extra,
                          gboolean            use_registry)
{
  ClaveTokenBackend *self = g_new0 (ClaveTokenBackend, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->extra = g_strdupv ((char **) extra);
  self->use_registry = use_registry;

  return self;
}

void
_clave_token_backend_load (ClaveTokenBackend *self)
{
  g_autoptr(GError) error = NULL;
  GThread *thread;

  g_mutex_lock (&self->lock);
  if (self->loading)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->loading = TRUE;
  g_mutex_unlock (&self->lock);

  thread = g_thread_try_new ("clave-token-load", load_thread, _clave_token_backend_ref (self),
                             &error);
  if (thread == NULL)
    {
      /* No thread to spare: load here rather than never. */
      g_warning ("Cannot start the card thread: %s", error->message);
      load_thread (self);
    }
  else
    g_thread_unref (thread);
}

ClaveTokenBackend *
_clave_token_backend_ref (ClaveTokenBackend *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
_clave_token_backend_unref (ClaveTokenBackend *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;

  /* Nobody is inside a module any more. Our module handles first, then
   * GnuTLS's: the last release finalises the modules for good. */
  g_clear_pointer (&self->modules, g_ptr_array_unref);
  if (self->gnutls_acquired)
    _clave_pkcs11_gnutls_release ();
  g_strfreev (self->paths);
  g_strfreev (self->extra);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

gboolean
_clave_token_backend_wait (ClaveTokenBackend *self,
                           GCancellable      *cancellable)
{
  gboolean loaded;

  /* Whoever needs the modules first loads them. */
  _clave_token_backend_load (self);

  g_mutex_lock (&self->lock);
  while (!self->loaded && !g_cancellable_is_cancelled (cancellable))
    {
      /* Short slices: a GCancellable cannot wake a GCond. */
      gint64 deadline = g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND;

      g_cond_wait_until (&self->cond, &self->lock, deadline);
    }
  loaded = self->loaded;
  g_mutex_unlock (&self->lock);

  return loaded;
}

gboolean
_clave_token_backend_is_loaded (ClaveTokenBackend *self)
{
  gboolean loaded;

  g_mutex_lock (&self->lock);
  loaded = self->loaded;
  g_mutex_unlock (&self->lock);

  return loaded;
}

GPtrArray *
_clave_token_backend_get_modules (ClaveTokenBackend *self)
{
  g_return_val_if_fail (_clave_token_backend_is_loaded (self), NULL);

  return self->modules;
}

gboolean
_clave_token_backend_get_opensc_found (ClaveTokenBackend *self)
{
  g_return_val_if_fail (_clave_token_backend_is_loaded (self), FALSE);

  return self->opensc_found;
}

gboolean
_clave_token_backend_get_use_registry (ClaveTokenBackend *self)
{
  return self->use_registry;
}
