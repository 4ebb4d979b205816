/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-device-key"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <json-glib/json-glib.h>

#include "clave-crypto.h"
#include "clave-protocol.h"
#include "clave-device-key.h"
#include "clave-device-key-private.h"
#include "clave-device-pin.h"

#define KEY_FILE_VERSION      1
#define KEY_FILE_KDF          "pbkdf2-sha256"
#define KEY_FILE_MAX_SIZE     (64 * 1024)
#define SALT_LEN              16
#define IV_LEN                12
/* From this many consecutive wrong PINs on, each try waits longer. */
#define DELAY_FROM_FAILURE    3
#define DELAY_BASE_SECS       5
#define DELAY_MAX_SECS        (15 * 60)

/*
 * The device key: an ECDSA P-256 key sealed under the device PIN
 * (ClaveSealedBox), kept in a JSON key file:
 *
 *   {"version":1,"kdf":"pbkdf2-sha256","iterations":N,"salt":b64url,
 *    "iv":b64url,"ciphertext":b64url,"public_key":b64url SPKI,
 *    "failures":n,"last_failure":unix}
 *
 * Unlocking runs PBKDF2 in a GTask thread. Two locks: attempt_lock makes
 * PIN tries strictly one after another (so parallel tries cannot dodge
 * the counter), state_lock guards the fields for short reads from the
 * main thread while a try is running.
 */
struct _ClaveDeviceKey
{
  GObject           parent_instance;

  GMutex            attempt_lock;
  GMutex            state_lock;

  char             *path;
  ClaveSealedBox   *box;          /* NULL once wiped */
  GBytes           *public_key;
  guint             failures;
  gint64            last_failure;
  gnutls_privkey_t  privkey;      /* non-NULL while unlocked; never written anywhere */
};

G_DEFINE_FINAL_TYPE (ClaveDeviceKey, clave_device_key, G_TYPE_OBJECT)

static void
clave_device_key_finalize (GObject *object)
{
  ClaveDeviceKey *self = CLAVE_DEVICE_KEY (object);

  g_clear_pointer (&self->privkey, gnutls_privkey_deinit);
  g_clear_pointer (&self->box, clave_sealed_box_free);
  g_clear_pointer (&self->public_key, g_bytes_unref);
  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->attempt_lock);
  g_mutex_clear (&self->state_lock);

  G_OBJECT_CLASS (clave_device_key_parent_class)->finalize (object);
}

static void
clave_device_key_class_init (ClaveDeviceKeyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = clave_device_key_finalize;
}

static void
clave_device_key_init (ClaveDeviceKey *self)
{
  g_mutex_init (&self->attempt_lock);
  g_mutex_init (&self->state_lock);
}

/* Zeroes the bytes of a secret before they go back to the allocator.
 * g_bytes_unref_to_data() hands over the buffer when we hold the only
 * reference, which is the case for the fresh buffers GnuTLS exports. */
static void
secret_bytes_free (GBytes *bytes)
{
  gsize len = 0;
  guint8 *data;

  if (bytes == NULL)
    return;

  data = g_bytes_unref_to_data (bytes, &len);
  if (data != NULL)
    gnutls_memset (data, 0, len);
  g_free (data);
}

static gint64
now_unix (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

guint
_clave_device_key_delay_for_failures (guint failures)
{
  guint shift;

  if (failures < DELAY_FROM_FAILURE)
    return 0;

  shift = failures - DELAY_FROM_FAILURE;
  if (shift >= 16)
    return DELAY_MAX_SECS;

  return MIN ((guint) DELAY_BASE_SECS << shift, (guint) DELAY_MAX_SECS);
}

static guint
retry_delay_locked (ClaveDeviceKey *self)
{
  guint delay = _clave_device_key_delay_for_failures (self->failures);
  gint64 now, end;

  if (delay == 0)
    return 0;

  now = now_unix ();
  end = self->last_failure + delay;
  if (now >= end)
    return 0;

  /* A clock set back must not turn the delay into hours. */
  return (guint) MIN (end - now, (gint64) delay);
}

static GError *
try_later_error (guint seconds)
{
  if (seconds >= 60)
    {
      guint minutes = (seconds + 59) / 60;

      return g_error_new (CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_TRY_LATER,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "The PIN was wrong too many times. Wait %u minute and try again.",
                                       "The PIN was wrong too many times. Wait %u minutes and try again.",
                                       minutes),
                          minutes);
    }

  return g_error_new (CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_TRY_LATER,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "The PIN was wrong too many times. Wait %u second and try again.",
                                   "The PIN was wrong too many times. Wait %u seconds and try again.",
                                   seconds),
                      seconds);
}

static GError *
wrong_pin_error (guint tries_left)
{
  if (tries_left > 3)
    return g_error_new (CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WRONG_PIN,
                        g_dngettext (GETTEXT_PACKAGE,
                                     "The PIN is not correct. %u try left.",
                                     "The PIN is not correct. %u tries left.",
                                     tries_left),
                        tries_left);

  return g_error_new (CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WRONG_PIN,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "The PIN is not correct. %u try left: if it is wrong again, the key of this device is erased and you must activate this device again.",
                                   "The PIN is not correct. %u tries left: after that, the key of this device is erased and you must activate this device again.",
                                   tries_left),
                      tries_left);
}

static GError *
wiped_error (void)
{
  return g_error_new_literal (CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WIPED,
                              _("The PIN was wrong too many times, so the key of this device was erased. Activate this device again."));
}

static GError *
corrupt_error (void)
{
  return g_error_new_literal (CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_CORRUPT,
                              _("The key of this device cannot be read. Activate this device again."));
}

static GError *
weak_pin_error (void)
{
  return g_error_new (CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WEAK_PIN,
                      g_dngettext (GETTEXT_PACKAGE,
                                   "The PIN must have at least %d digit, and only digits.",
                                   "The PIN must have at least %d digits, and only digits.",
                                   CLAVE_DEVICE_PIN_MIN_DIGITS),
                      CLAVE_DEVICE_PIN_MIN_DIGITS);
}

char *
clave_device_key_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "clave-desktop", "device-key.json", NULL);
}

gboolean
clave_device_key_pin_is_acceptable (const char *pin)
{
  gsize len = 0;

  if (pin == NULL)
    return FALSE;

  for (const char *p = pin; *p != '\0'; p++, len++)
    if (!g_ascii_isdigit (*p))
      return FALSE;

  return len >= CLAVE_DEVICE_PIN_MIN_DIGITS;
}

/* Key file (de)serialisation */

static void
add_b64 (JsonBuilder *builder,
         const char  *name,
         GBytes      *bytes)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree char *text = clave_base64url_encode (data, len);

  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, text);
}

static char *
serialize_locked (ClaveDeviceKey *self,
                  gsize          *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, KEY_FILE_VERSION);
  json_builder_set_member_name (builder, "kdf");
  json_builder_add_string_value (builder, KEY_FILE_KDF);
  json_builder_set_member_name (builder, "iterations");
  json_builder_add_int_value (builder, self->box->iterations);
  add_b64 (builder, "salt", self->box->salt);
  add_b64 (builder, "iv", self->box->iv);
  add_b64 (builder, "ciphertext", self->box->ciphertext);
  add_b64 (builder, "public_key", self->public_key);
  json_builder_set_member_name (builder, "failures");
  json_builder_add_int_value (builder, self->failures);
  json_builder_set_member_name (builder, "last_failure");
  json_builder_add_int_value (builder, self->last_failure);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, length);
}

static gboolean
write_locked (ClaveDeviceKey  *self,
              const char      *path,
              GError         **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (self->box == NULL)
    {
      g_propagate_error (error, wiped_error ());
      return FALSE;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the folder “%s” for the key of this device: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* g_mkdir_with_parents() sets the mode only on folders it creates: an
   * existing folder keeps whatever mode it had, so tighten it here. */
  if (g_chmod (dir, 0700) != 0)
    g_warning ("Cannot restrict the permissions of %s: %s", dir, g_strerror (errno));

  contents = serialize_locked (self, &length);
  return g_file_set_contents_full (path, contents, (gssize) length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static gboolean
member_int (JsonObject *object,
            const char *name,
            gint64     *out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  *out = json_node_get_int (node);
  return TRUE;
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static GBytes *
member_b64 (JsonObject *object,
            const char *name,
            gsize       required_len)
{
  const char *text = member_string (object, name);
  g_autoptr(GBytes) bytes = NULL;

  if (text == NULL)
    return NULL;

  bytes = clave_base64url_decode (text, NULL);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    return NULL;
  if (required_len != 0 && g_bytes_get_size (bytes) != required_len)
    return NULL;

  return g_steal_pointer (&bytes);
}

static ClaveDeviceKey *
parse_key_file (const char *contents,
                gsize       length,
                const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(ClaveDeviceKey) self = NULL;
  gnutls_pubkey_t pubkey;
  JsonNode *root;
  JsonObject *object;
  const char *kdf;
  gint64 version, iterations, failures, last_failure;

  if (!json_parser_load_from_data (parser, contents, (gssize) length, &local_error))
    {
      g_debug ("Key file %s is not JSON: %s", path, local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);

  kdf = member_string (object, "kdf");
  if (!member_int (object, "version", &version) || version != KEY_FILE_VERSION ||
      kdf == NULL || !g_str_equal (kdf, KEY_FILE_KDF) ||
      !member_int (object, "iterations", &iterations) ||
      iterations < 1 || iterations > CLAVE_SEALED_BOX_MAX_ITERATIONS ||
      !member_int (object, "failures", &failures) ||
      failures < 0 || failures >= CLAVE_DEVICE_KEY_MAX_FAILURES ||
      !member_int (object, "last_failure", &last_failure) || last_failure < 0)
    {
      g_debug ("Key file %s has missing or malformed members", path);
      return NULL;
    }

  box = g_new0 (ClaveSealedBox, 1);
  box->iterations = (guint) iterations;
  box->salt = member_b64 (object, "salt", SALT_LEN);
  box->iv = member_b64 (object, "iv", IV_LEN);
  box->ciphertext = member_b64 (object, "ciphertext", 0);
  public_key = member_b64 (object, "public_key", 0);
  if (box->salt == NULL || box->iv == NULL || box->ciphertext == NULL || public_key == NULL)
    {
      g_debug ("Key file %s has malformed base64url members", path);
      return NULL;
    }

  pubkey = clave_pubkey_import_spki (public_key, &local_error);
  if (pubkey == NULL)
    {
      g_debug ("Key file %s has a bad public key: %s", path, local_error->message);
      return NULL;
    }
  gnutls_pubkey_deinit (pubkey);

  self = g_object_new (CLAVE_TYPE_DEVICE_KEY, NULL);
  self->path = g_strdup (path);
  self->box = g_steal_pointer (&box);
  self->public_key = g_steal_pointer (&public_key);
  self->failures = (guint) failures;
  self->last_failure = last_failure;

  return g_steal_pointer (&self);
}

/* Generating */

typedef struct {
  char  *pin;
  guint  iterations;
} GenerateData;

static void
generate_data_free (GenerateData *data)
{
  clave_secret_free (data->pin);
  g_free (data);
}

static void
generate_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GenerateData *data = task_data;
  g_autoptr(GError) error = NULL;
  g_auto(gnutls_privkey_t) privkey = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(ClaveDeviceKey) self = NULL;
  GBytes *pkcs8;

  if (g_task_return_error_if_cancelled (task))
    return;

  privkey = clave_ec_key_generate (&error);
  if (privkey == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  public_key = clave_privkey_export_spki (privkey, &error);
  if (public_key == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  pkcs8 = clave_privkey_export_pkcs8 (privkey, &error);
  if (pkcs8 == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  box = clave_sealed_box_seal (data->pin, data->iterations, pkcs8, &error);
  secret_bytes_free (pkcs8);
  if (box == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self = g_object_new (CLAVE_TYPE_DEVICE_KEY, NULL);
  self->box = g_steal_pointer (&box);
  self->public_key = g_steal_pointer (&public_key);
  self->privkey = g_steal_pointer (&privkey);

  g_task_return_pointer (task, g_steal_pointer (&self), g_object_unref);
}

void
_clave_device_key_generate_with_iterations_async (const char          *pin,
                                                  guint                iterations,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ClaveDevicePinStrength strength;
  GenerateData *data;

  g_return_if_fail (iterations > 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_device_key_generate_async);

  if (!clave_device_key_pin_is_acceptable (pin))
    {
      g_task_return_error (task, weak_pin_error ());
      return;
    }

  /* A new PIN must also be hard to guess; unlocking takes any old one. */
  strength = clave_device_pin_check_strength (pin);
  if (strength != CLAVE_DEVICE_PIN_STRENGTH_OK)
    {
      g_autofree char *reason = clave_device_pin_strength_describe (strength);

      g_task_return_new_error (task, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_WEAK_PIN,
                               "%s", reason);
      return;
    }

  data = g_new0 (GenerateData, 1);
  data->pin = g_strdup (pin);
  data->iterations = iterations;
  g_task_set_task_data (task, data, (GDestroyNotify) generate_data_free);
  g_task_run_in_thread (task, generate_thread);
}

void
clave_device_key_generate_async (const char          *pin,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  _clave_device_key_generate_with_iterations_async (pin, CLAVE_PIN_KDF_ITERATIONS,
                                                    cancellable, callback, user_data);
}

ClaveDeviceKey *
clave_device_key_generate_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == clave_device_key_generate_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Files */

gboolean
clave_device_key_save (ClaveDeviceKey  *self,
                       const char      *path,
                       GError         **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = g_mutex_locker_new (&self->state_lock);

  if (!write_locked (self, path, error))
    return FALSE;

  if (g_strcmp0 (self->path, path) != 0)
    {
      g_free (self->path);
      self->path = g_strdup (path);
    }

  return TRUE;
}

ClaveDeviceKey *
clave_device_key_load (const char  *path,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  ClaveDeviceKey *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_set_error_literal (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_NOT_FOUND,
                               _("This device is not activated: it has no device key."));
          return NULL;
        }

      g_debug ("Cannot read key file %s: %s", path, local_error->message);
      g_propagate_error (error, corrupt_error ());
      return NULL;
    }

  if (length > KEY_FILE_MAX_SIZE)
    {
      g_debug ("Key file %s is too large", path);
      g_propagate_error (error, corrupt_error ());
      return NULL;
    }

  self = parse_key_file (contents, length, path);
  if (self == NULL)
    g_propagate_error (error, corrupt_error ());

  return self;
}

gboolean
clave_device_key_wipe (const char  *path,
                       GError     **error)
{
  static const guint8 zeros[4096] = { 0 };
  struct stat st;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  fd = g_open (path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        return TRUE;
      /* A symlink is not ours to overwrite through; removing the link is
       * all we can do. */
      if (saved_errno != ELOOP)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Cannot erase the key of this device (%s): %s"),
                       path, g_strerror (saved_errno));
          return FALSE;
        }
    }
  else
    {
      if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
        {
          off_t left = st.st_size;

          while (left > 0)
            {
              ssize_t n = write (fd, zeros, (size_t) MIN (left, (off_t) sizeof zeros));

              if (n < 0 && errno == EINTR)
                continue;
              if (n <= 0)
                break;
              left -= n;
            }
          if (left > 0)
            g_warning ("Could not overwrite the whole key file before removing it");
          fsync (fd);
        }
      close (fd);
    }

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot erase the key of this device (%s): %s"),
                   path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

/* Unlocking */

static void
unlock_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ClaveDeviceKey *self = source_object;
  const char *pin = task_data;
  g_autoptr(GMutexLocker) attempt = g_mutex_locker_new (&self->attempt_lock);
  g_autoptr(ClaveSealedBox) box = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_auto(gnutls_privkey_t) privkey = NULL;
  g_autoptr(GBytes) spki = NULL;
  GBytes *plain;
  guint delay;

  if (g_task_return_error_if_cancelled (task))
    return;

  /* Take what the try needs and let go of state_lock: PBKDF2 takes long
   * and the main thread must still be able to read the key's state. */
  g_mutex_lock (&self->state_lock);
  if (self->box == NULL)
    {
      g_mutex_unlock (&self->state_lock);
      g_task_return_error (task, wiped_error ());
      return;
    }
  delay = retry_delay_locked (self);
  if (delay == 0)
    {
      box = g_new0 (ClaveSealedBox, 1);
      box->iterations = self->box->iterations;
      box->salt = g_bytes_ref (self->box->salt);
      box->iv = g_bytes_ref (self->box->iv);
      box->ciphertext = g_bytes_ref (self->box->ciphertext);
      public_key = g_bytes_ref (self->public_key);
    }
  g_mutex_unlock (&self->state_lock);

  if (delay > 0)
    {
      g_task_return_error (task, try_later_error (delay));
      return;
    }

  plain = clave_sealed_box_open (box, pin, &error);

  if (plain == NULL)
    {
      g_autoptr(GMutexLocker) state = NULL;
      g_autoptr(GError) write_error = NULL;
      guint failures;

      if (!g_error_matches (error, CLAVE_CRYPTO_ERROR, CLAVE_CRYPTO_ERROR_WRONG_PIN))
        {
          g_debug ("Cannot open the sealed key: %s", error->message);
          g_task_return_error (task, corrupt_error ());
          return;
        }

      state = g_mutex_locker_new (&self->state_lock);
      failures = ++self->failures;
      self->last_failure = now_unix ();
      g_debug ("Wrong device PIN, %u consecutive failures", failures);

      if (failures >= CLAVE_DEVICE_KEY_MAX_FAILURES)
        {
          g_clear_pointer (&self->privkey, gnutls_privkey_deinit);
          g_clear_pointer (&self->box, clave_sealed_box_free);
          if (self->path != NULL && !clave_device_key_wipe (self->path, &write_error))
            g_warning ("Could not erase the device key: %s", write_error->message);
          g_task_return_error (task, wiped_error ());
          return;
        }

      /* The count must be on disk before the person learns the PIN was
       * wrong, or quitting the app would reset it. */
      if (self->path != NULL && !write_locked (self, self->path, &write_error))
        g_warning ("Could not record the wrong PIN in the key file: %s", write_error->message);

      g_task_return_error (task, wrong_pin_error (CLAVE_DEVICE_KEY_MAX_FAILURES - failures));
      return;
    }

  privkey = clave_privkey_import_pkcs8 (plain, &error);
  secret_bytes_free (plain);
  if (privkey == NULL)
    {
      g_debug ("Sealed key is not a PKCS#8 key: %s", error->message);
      g_task_return_error (task, corrupt_error ());
      return;
    }

  /* A key file whose public key is not the sealed key's would register
   * or sign with a key the service does not know. */
  spki = clave_privkey_export_spki (privkey, &error);
  if (spki == NULL || !g_bytes_equal (spki, public_key))
    {
      g_debug ("Sealed key does not match the public key of the key file");
      g_task_return_error (task, corrupt_error ());
      return;
    }

  g_mutex_lock (&self->state_lock);
  if (self->box == NULL)
    {
      /* Wiped by someone else while the PIN was being checked. */
      g_mutex_unlock (&self->state_lock);
      g_task_return_error (task, wiped_error ());
      return;
    }
  if (self->failures != 0 || self->last_failure != 0)
    {
      g_autoptr(GError) write_error = NULL;

      self->failures = 0;
      self->last_failure = 0;
      if (self->path != NULL && !write_locked (self, self->path, &write_error))
        g_warning ("Could not reset the wrong PIN count in the key file: %s",
                   write_error->message);
    }
  g_clear_pointer (&self->privkey, gnutls_privkey_deinit);
  self->privkey = g_steal_pointer (&privkey);
  g_mutex_unlock (&self->state_lock);

  g_task_return_boolean (task, TRUE);
}

void
clave_device_key_unlock_async (ClaveDeviceKey      *self,
                               const char          *pin,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CLAVE_IS_DEVICE_KEY (self));
  g_return_if_fail (pin != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_device_key_unlock_async);
  g_task_set_task_data (task, g_strdup (pin), (GDestroyNotify) clave_secret_free);
  g_task_run_in_thread (task, unlock_thread);
}

gboolean
clave_device_key_unlock_finish (ClaveDeviceKey  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
clave_device_key_lock (ClaveDeviceKey *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (CLAVE_IS_DEVICE_KEY (self));

  locker = g_mutex_locker_new (&self->state_lock);
  g_clear_pointer (&self->privkey, gnutls_privkey_deinit);
}

gboolean
clave_device_key_is_unlocked (ClaveDeviceKey *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), FALSE);

  locker = g_mutex_locker_new (&self->state_lock);
  return self->privkey != NULL;
}

guint
clave_device_key_get_failures (ClaveDeviceKey *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), 0);

  locker = g_mutex_locker_new (&self->state_lock);
  return self->failures;
}

guint
clave_device_key_get_retry_delay (ClaveDeviceKey *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), 0);

  locker = g_mutex_locker_new (&self->state_lock);
  return retry_delay_locked (self);
}

/* The path is set by load() and save() on the main thread only, so the
 * pointer stays valid while the caller holds the key. */
const char *
clave_device_key_get_path (ClaveDeviceKey *self)
{
  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), NULL);

  return self->path;
}

/**
 * clave_device_key_get_public_key:
 *
 * Returns: (transfer none): the SubjectPublicKeyInfo DER, owned by @self
 */
GBytes *
clave_device_key_get_public_key (ClaveDeviceKey *self)
{
  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), NULL);

  return self->public_key;
}

GBytes *
clave_device_key_sign (ClaveDeviceKey  *self,
                       GBytes          *data,
                       GError         **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  locker = g_mutex_locker_new (&self->state_lock);

  if (self->privkey == NULL)
    {
      g_set_error_literal (error, CLAVE_DEVICE_KEY_ERROR, CLAVE_DEVICE_KEY_ERROR_LOCKED,
                           _("Unlock this device with its PIN first."));
      return NULL;
    }

  return clave_ecdsa_sign (self->privkey, data, error);
}

/* Test hooks */

gboolean
_clave_device_key_set_last_failure (ClaveDeviceKey  *self,
                                    gint64           unix_time,
                                    GError         **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), FALSE);

  locker = g_mutex_locker_new (&self->state_lock);
  self->last_failure = unix_time;
  if (self->path != NULL)
    return write_locked (self, self->path, error);

  return TRUE;
}

gint64
_clave_device_key_get_last_failure (ClaveDeviceKey *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), 0);

  locker = g_mutex_locker_new (&self->state_lock);
  return self->last_failure;
}

guint
_clave_device_key_get_iterations (ClaveDeviceKey *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (CLAVE_IS_DEVICE_KEY (self), 0);

  locker = g_mutex_locker_new (&self->state_lock);
  return self->box != NULL ? self->box->iterations : 0;
}
