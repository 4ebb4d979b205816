/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-push-key"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>

#include "clave-crypto.h"
#include "clave-device-key.h"
#include "clave-push-key.h"

#define PEM_LABEL "PRIVATE KEY"
/* A P-256 PKCS#8 PEM is about 240 bytes; anything far bigger is not ours. */
#define PEM_MAX_SIZE (16 * 1024)

struct _ClavePushKey
{
  GObject           parent_instance;

  gnutls_privkey_t  privkey;
  GBytes           *public_key;   /* SPKI DER */
  char             *path;
};

G_DEFINE_FINAL_TYPE (ClavePushKey, clave_push_key, G_TYPE_OBJECT)

static void
clave_push_key_finalize (GObject *object)
{
  ClavePushKey *self = CLAVE_PUSH_KEY (object);

  g_clear_pointer (&self->privkey, gnutls_privkey_deinit);
  g_clear_pointer (&self->public_key, g_bytes_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (clave_push_key_parent_class)->finalize (object);
}

static void
clave_push_key_class_init (ClavePushKeyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = clave_push_key_finalize;
}

static void
clave_push_key_init (ClavePushKey *self)
{
}

char *
clave_push_key_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "clave-desktop", "push-key.pem", NULL);
}

static ClavePushKey *
push_key_new_take (gnutls_privkey_t   privkey,
                   GError           **error)
{
  g_autoptr(ClavePushKey) self = NULL;
  unsigned int bits = 0;

  /* Only P-256 signs what the service verifies (ecdsa-p256-sha256). */
  if (gnutls_privkey_get_pk_algorithm (privkey, &bits) != GNUTLS_PK_ECDSA || bits != 256)
    {
      gnutls_privkey_deinit (privkey);
      g_set_error_literal (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_CORRUPT,
                           _("The notification key of this device cannot be read. Activate this device again."));
      return NULL;
    }

  self = g_object_new (CLAVE_TYPE_PUSH_KEY, NULL);
  self->privkey = privkey;
  self->public_key = clave_privkey_export_spki (privkey, error);
  if (self->public_key == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

ClavePushKey *
clave_push_key_generate (GError **error)
{
  gnutls_privkey_t privkey;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  privkey = clave_ec_key_generate (error);
  if (privkey == NULL)
    return NULL;

  return push_key_new_take (privkey, error);
}

static GError *
corrupt_error (void)
{
  return g_error_new_literal (CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_CORRUPT,
                              _("The notification key of this device cannot be read. Activate this device again."));
}

ClavePushKey *
clave_push_key_load (const char  *path,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(ClavePushKey) self = NULL;
  gnutls_datum_t pem;
  gnutls_datum_t raw = { NULL, 0 };
  gnutls_privkey_t privkey;
  char *contents = NULL;
  gsize length = 0;
  int ret;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error_literal (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_NOT_FOUND,
                             _("This device has no notification key. Activate this device again."));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (length == 0 || length > PEM_MAX_SIZE)
    {
      clave_secret_free (contents);
      g_propagate_error (error, corrupt_error ());
      return NULL;
    }

  pem.data = (unsigned char *) contents;
  pem.size = (unsigned int) length;
  ret = gnutls_pem_base64_decode2 (PEM_LABEL, &pem, &raw);
  clave_secret_free (contents);
  if (ret < 0)
    {
      g_debug ("Push key is not PEM: %s", gnutls_strerror (ret));
      g_propagate_error (error, corrupt_error ());
      return NULL;
    }

  der = g_bytes_new (raw.data, raw.size);
  memset (raw.data, 0, raw.size);
  gnutls_free (raw.data);

  privkey = clave_privkey_import_pkcs8 (der, &local_error);
  if (privkey == NULL)
    {
      g_debug ("Push key is not PKCS#8: %s", local_error->message);
      g_propagate_error (error, corrupt_error ());
      return NULL;
    }

  self = push_key_new_take (privkey, error);
  if (self == NULL)
    return NULL;

  self->path = g_strdup (path);
  return g_steal_pointer (&self);
}

gboolean
clave_push_key_save (ClavePushKey  *self,
                     const char    *path,
                     GError       **error)
{
  g_autofree char *dir = NULL;
  g_autoptr(GBytes) der = NULL;
  gnutls_datum_t datum;
  gnutls_datum_t pem = { NULL, 0 };
  gboolean ok;
  int ret;

  g_return_val_if_fail (CLAVE_IS_PUSH_KEY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the folder “%s” for the key of this device: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* g_mkdir_with_parents() leaves an existing folder's mode alone. */
  if (g_chmod (dir, 0700) != 0)
    g_warning ("Cannot restrict the permissions of %s: %s", dir, g_strerror (errno));

  der = clave_privkey_export_pkcs8 (self->privkey, error);
  if (der == NULL)
    return FALSE;

  datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
  datum.size = (unsigned int) g_bytes_get_size (der);
  ret = gnutls_pem_base64_encode2 (PEM_LABEL, &datum, &pem);
  if (ret < 0)
    {
      g_set_error (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_CORRUPT,
                   _("Cannot encode the notification key of this device: %s"),
                   gnutls_strerror (ret));
      return FALSE;
    }

  /* The temporary file g_file_set_contents_full() renames into place is
   * created with 0600 too, so the key is never readable by others. */
  ok = g_file_set_contents_full (path, (const char *) pem.data, pem.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  memset (pem.data, 0, pem.size);
  gnutls_free (pem.data);

  if (ok)
    {
      g_free (self->path);
      self->path = g_strdup (path);
    }

  return ok;
}

gboolean
clave_push_key_wipe (const char  *path,
                     GError     **error)
{
  g_return_val_if_fail (path != NULL, FALSE);

  /* Same overwrite-then-unlink as the device key file. */
  return clave_device_key_wipe (path, error);
}

const char *
clave_push_key_get_path (ClavePushKey *self)
{
  g_return_val_if_fail (CLAVE_IS_PUSH_KEY (self), NULL);

  return self->path;
}

GBytes *
clave_push_key_get_public_key (ClavePushKey *self)
{
  g_return_val_if_fail (CLAVE_IS_PUSH_KEY (self), NULL);

  return self->public_key;
}

GBytes *
clave_push_key_sign (ClavePushKey  *self,
                     GBytes        *data,
                     GError       **error)
{
  g_return_val_if_fail (CLAVE_IS_PUSH_KEY (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);

  return clave_ecdsa_sign (self->privkey, data, error);
}
