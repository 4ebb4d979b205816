/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-token-manager"

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gunixsocketaddress.h>
#include <gnutls/gnutls.h>

#include "clave-crypto.h"
#include "clave-token-manager-private.h"

G_DEFINE_QUARK (clave-token-error-quark, clave_token_error)

const char *
clave_token_error_describe (const GError *error,
                            gboolean     *card_problem)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (card_problem != NULL)
    *card_problem = TRUE;

  if (error->domain == CLAVE_TOKEN_ERROR)
    switch ((ClaveTokenError) error->code)
      {
      case CLAVE_TOKEN_ERROR_TOKEN_REMOVED:
        return _("The card was removed from the reader. Insert it and choose the certificate "
                 "again.");
      case CLAVE_TOKEN_ERROR_PIN_LOCKED:
        return _("The card is locked: its PIN was typed wrong too many times.");
      case CLAVE_TOKEN_ERROR_NO_CERTIFICATES:
        return _("This card holds no certificate with its key that Cl@ve can use.");
      case CLAVE_TOKEN_ERROR_INVALID_FILE:
        if (card_problem != NULL)
          *card_problem = FALSE;
        return _("The certificate file cannot be read: it is not a certificate file (.p12 or "
                 ".pfx), or it is damaged.");
      case CLAVE_TOKEN_ERROR_MODULE:
      case CLAVE_TOKEN_ERROR_WRONG_PIN:
      case CLAVE_TOKEN_ERROR_WRONG_PASSWORD:
      case CLAVE_TOKEN_ERROR_FAILED:
      default:
        break;
      }

  return error->message;
}

struct _ClaveTokenManager
{
  GObject             parent_instance;

  char              **extra_modules;
  gboolean            use_registry;
  char               *soft_cert_dir;

  ClaveTokenBackend  *backend;      /* the modules, shared with threads */
  ClaveTokenWatch    *watch;
  gboolean            ready;
  GStrv               readers;
  GStrv               cards;

  GListStore         *store;        /* cards first, then files */
  guint               n_token_items;
};

G_DEFINE_FINAL_TYPE (ClaveTokenManager, clave_token_manager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MODULES,
  PROP_USE_REGISTRY,
  PROP_SOFT_CERT_DIR,
  PROP_READY,
  PROP_READERS,
  PROP_CARDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void set_file_certificates (ClaveTokenManager *self,
                                   GPtrArray         *certificates);

/* Replaces a section of the store with @certificates, touching only the
 * range that changed (one items-changed, none if equal). */
static void
splice_section (GListStore *store,
                guint       offset,
                guint       n_old,
                GPtrArray  *certificates)
{
  guint n_new = certificates->len;
  guint prefix = 0, suffix = 0;

  while (prefix < n_old && prefix < n_new)
    {
      g_autoptr(ClaveCertificate) old = g_list_model_get_item (G_LIST_MODEL (store),
                                                               offset + prefix);

      if (!g_str_equal (clave_certificate_get_id (old),
                        clave_certificate_get_id (g_ptr_array_index (certificates, prefix))))
        break;
      prefix++;
    }

  while (suffix < n_old - prefix && suffix < n_new - prefix)
    {
      g_autoptr(ClaveCertificate) old = g_list_model_get_item (G_LIST_MODEL (store),
                                                               offset + n_old - 1 - suffix);
      ClaveCertificate *new = g_ptr_array_index (certificates, n_new - 1 - suffix);

      if (!g_str_equal (clave_certificate_get_id (old), clave_certificate_get_id (new)))
        break;
      suffix++;
    }

  if (prefix + suffix == n_old && prefix + suffix == n_new)
    return;

  g_list_store_splice (store, offset + prefix, n_old - prefix - suffix,
                       certificates->pdata + prefix, n_new - prefix - suffix);
}

static void
set_strv (ClaveTokenManager  *self,
          GStrv              *field,
          GStrv               value,
          guint               prop)
{
  if (*field != NULL && g_strv_equal ((const char * const *) *field,
                                      (const char * const *) value))
    return;

  g_strfreev (*field);
  *field = g_strdupv (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
on_watch_update (const ClaveTokenSnapshot *snapshot,
                 gpointer                  user_data)
{
  ClaveTokenManager *self = user_data;
  guint n_old = self->n_token_items;

  g_object_freeze_notify (G_OBJECT (self));

  self->n_token_items = snapshot->certificates->len;
  splice_section (self->store, 0, n_old, snapshot->certificates);
  set_strv (self, &self->readers, snapshot->readers, PROP_READERS);
  set_strv (self, &self->cards, snapshot->cards, PROP_CARDS);
  if (!self->ready)
    {
      self->ready = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/* GObject */

static void
clave_token_manager_constructed (GObject *object)
{
  ClaveTokenManager *self = CLAVE_TOKEN_MANAGER (object);
  g_autoptr(GPtrArray) files = NULL;

  G_OBJECT_CLASS (clave_token_manager_parent_class)->constructed (object);

  if (self->soft_cert_dir == NULL)
    self->soft_cert_dir = g_build_filename (g_get_user_data_dir (), "clave-desktop",
                                            "certificates", NULL);

  /* Loaded in a thread, when first needed (start, or a card
   * operation): OpenSC's C_Initialize can wait for a card for as long as
   * another program holds it, and loading the modules competes with
   * drawing the first window for the processor. */
  self->backend = _clave_token_backend_new ((const char * const *) self->extra_modules,
                                            self->use_registry);

  files = _clave_pkcs12_list (self->soft_cert_dir);
  set_file_certificates (self, files);
}

static void
clave_token_manager_dispose (GObject *object)
{
  ClaveTokenManager *self = CLAVE_TOKEN_MANAGER (object);

  clave_token_manager_stop (self);

  G_OBJECT_CLASS (clave_token_manager_parent_class)->dispose (object);
}

static void
clave_token_manager_finalize (GObject *object)
{
  ClaveTokenManager *self = CLAVE_TOKEN_MANAGER (object);

  g_clear_object (&self->store);
  /* Finalises the modules, unless a thread is still inside one: then
   * the last thread to leave does. */
  g_clear_pointer (&self->backend, _clave_token_backend_unref);
  g_clear_pointer (&self->extra_modules, g_strfreev);
  g_clear_pointer (&self->readers, g_strfreev);
  g_clear_pointer (&self->cards, g_strfreev);
  g_clear_pointer (&self->soft_cert_dir, g_free);

  G_OBJECT_CLASS (clave_token_manager_parent_class)->finalize (object);
}

static void
clave_token_manager_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ClaveTokenManager *self = CLAVE_TOKEN_MANAGER (object);

  switch (prop_id)
    {
    case PROP_MODULES:
      g_value_set_boxed (value, self->extra_modules);
      break;
    case PROP_USE_REGISTRY:
      g_value_set_boolean (value, self->use_registry);
      break;
    case PROP_SOFT_CERT_DIR:
      g_value_set_string (value, self->soft_cert_dir);
      break;
    case PROP_READY:
      g_value_set_boolean (value, self->ready);
      break;
    case PROP_READERS:
      g_value_set_boxed (value, self->readers);
      break;
    case PROP_CARDS:
      g_value_set_boxed (value, self->cards);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_token_manager_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ClaveTokenManager *self = CLAVE_TOKEN_MANAGER (object);

  switch (prop_id)
    {
    case PROP_MODULES:
      self->extra_modules = g_value_dup_boxed (value);
      break;
    case PROP_USE_REGISTRY:
      self->use_registry = g_value_get_boolean (value);
      break;
    case PROP_SOFT_CERT_DIR:
      self->soft_cert_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clave_token_manager_class_init (ClaveTokenManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = clave_token_manager_constructed;
  object_class->dispose = clave_token_manager_dispose;
  object_class->finalize = clave_token_manager_finalize;
  object_class->get_property = clave_token_manager_get_property;
  object_class->set_property = clave_token_manager_set_property;

  properties[PROP_MODULES] =
    g_param_spec_boxed ("modules", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USE_REGISTRY] =
    g_param_spec_boolean ("use-registry", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SOFT_CERT_DIR] =
    g_param_spec_string ("soft-cert-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_READY] =
    g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_READERS] =
    g_param_spec_boxed ("readers", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CARDS] =
    g_param_spec_boxed ("cards", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clave_token_manager_init (ClaveTokenManager *self)
{
  self->store = g_list_store_new (CLAVE_TYPE_CERTIFICATE);
}

ClaveTokenManager *
clave_token_manager_new (const char * const *modules,
                         gboolean            use_registry,
                         const char         *soft_cert_dir)
{
  return g_object_new (CLAVE_TYPE_TOKEN_MANAGER,
                       "modules", modules,
                       "use-registry", use_registry,
                       "soft-cert-dir", soft_cert_dir,
                       NULL);
}

void
clave_token_manager_start (ClaveTokenManager *self)
{
  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (self));

  if (self->watch == NULL)
    self->watch = _clave_token_watch_start (self->backend, on_watch_update, self);
}

void
clave_token_manager_stop (ClaveTokenManager *self)
{
  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (self));

  g_clear_pointer (&self->watch, _clave_token_watch_stop);
}

gboolean
clave_token_manager_get_ready (ClaveTokenManager *self)
{
  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), FALSE);

  return self->ready;
}

const char * const *
clave_token_manager_get_readers (ClaveTokenManager *self)
{
  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), NULL);

  return (const char * const *) self->readers;
}

const char * const *
clave_token_manager_get_cards (ClaveTokenManager *self)
{
  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), NULL);

  return (const char * const *) self->cards;
}

GListModel *
clave_token_manager_get_certificates (ClaveTokenManager *self)
{
  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), NULL);

  return G_LIST_MODEL (self->store);
}

static void
set_file_certificates (ClaveTokenManager *self,
                       GPtrArray         *certificates)
{
  guint n_files = g_list_model_get_n_items (G_LIST_MODEL (self->store)) - self->n_token_items;

  splice_section (self->store, self->n_token_items, n_files, certificates);
}

static ClaveCertificate *
find_file_certificate (ClaveTokenManager *self,
                       const char        *id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = self->n_token_items; i < n; i++)
    {
      g_autoptr(ClaveCertificate) certificate = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (g_str_equal (clave_certificate_get_id (certificate), id))
        return g_steal_pointer (&certificate);
    }

  return NULL;
}

/* PIN flags */

static void
pin_flags_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  ClaveTokenManager *self = source_object;
  GError *error = NULL;
  ClavePinFlags flags;

  if (!_clave_token_backend_wait (self->backend, cancellable))
    {
      g_task_return_error_if_cancelled (task);
      return;
    }

  if (!_clave_pkcs11_get_pin_flags (_clave_token_backend_get_modules (self->backend), task_data,
                                    &flags, &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, flags);
}

void
clave_token_manager_get_pin_flags_async (ClaveTokenManager   *self,
                                         ClaveCertificate    *certificate,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (self));
  g_return_if_fail (CLAVE_IS_CERTIFICATE (certificate));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_token_manager_get_pin_flags_async);
  g_task_set_task_data (task, g_object_ref (certificate), g_object_unref);

  if (clave_certificate_get_source (certificate) == CLAVE_CERTIFICATE_SOURCE_FILE)
    {
      g_task_return_int (task, CLAVE_PIN_FLAGS_NONE);
      return;
    }

  g_task_run_in_thread (task, pin_flags_thread);
}

ClavePinFlags
clave_token_manager_get_pin_flags_finish (ClaveTokenManager  *self,
                                          GAsyncResult       *result,
                                          GError            **error)
{
  gssize flags;

  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), CLAVE_PIN_FLAGS_NONE);
  g_return_val_if_fail (g_task_is_valid (result, self), CLAVE_PIN_FLAGS_NONE);

  flags = g_task_propagate_int (G_TASK (result), error);
  return flags < 0 ? CLAVE_PIN_FLAGS_NONE : (ClavePinFlags) flags;
}

/* Signing */

typedef struct {
  ClaveCertificate *certificate;
  char             *secret;
  GBytes           *data;
  char             *algorithm;
  ClavePinFlags     pin_flags;
} SignData;

static void
sign_data_free (SignData *data)
{
  g_clear_object (&data->certificate);
  clave_secret_free (data->secret);
  g_clear_pointer (&data->data, g_bytes_unref);
  g_free (data->algorithm);
  g_free (data);
}

static void
sign_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ClaveTokenManager *self = source_object;
  SignData *data = task_data;
  GError *error = NULL;
  GBytes *signature;
  const char *algorithm_name = NULL;
  int algorithm;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!_clave_token_signature_algorithm (data->certificate, &algorithm, &algorithm_name, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (clave_certificate_get_source (data->certificate) == CLAVE_CERTIFICATE_SOURCE_FILE)
    signature = _clave_pkcs12_sign (data->certificate, data->secret, data->data, &error);
  else if (_clave_token_backend_wait (self->backend, cancellable))
    signature = _clave_pkcs11_sign (_clave_token_backend_get_modules (self->backend),
                                    data->certificate, data->secret, data->data,
                                    &data->pin_flags, cancellable, &error);
  else
    signature = NULL, g_cancellable_set_error_if_cancelled (cancellable, &error);

  /* The PIN or password is not needed any more. */
  g_clear_pointer (&data->secret, clave_secret_free);

  if (signature == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data->algorithm = g_strdup (algorithm_name);
  g_task_return_pointer (task, signature, (GDestroyNotify) g_bytes_unref);
}

void
clave_token_manager_sign_async (ClaveTokenManager   *self,
                                ClaveCertificate    *certificate,
                                const char          *secret,
                                GBytes              *data,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SignData *sign_data;

  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (self));
  g_return_if_fail (CLAVE_IS_CERTIFICATE (certificate));
  g_return_if_fail (data != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_token_manager_sign_async);

  sign_data = g_new0 (SignData, 1);
  sign_data->certificate = g_object_ref (certificate);
  sign_data->secret = g_strdup (secret);
  sign_data->data = g_bytes_ref (data);
  g_task_set_task_data (task, sign_data, (GDestroyNotify) sign_data_free);

  g_task_run_in_thread (task, sign_thread);
}

/**
 * clave_token_manager_sign_finish:
 * @algorithm: (out) (optional) (transfer full): the proof algorithm name
 * @pin_flags: (out) (optional): the card's PIN flags after the operation
 */
GBytes *
clave_token_manager_sign_finish (ClaveTokenManager  *self,
                                 GAsyncResult       *result,
                                 char              **algorithm,
                                 ClavePinFlags      *pin_flags,
                                 GError            **error)
{
  SignData *data;
  GBytes *signature;

  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  data = g_task_get_task_data (G_TASK (result));
  if (pin_flags != NULL)
    *pin_flags = data->pin_flags;
  if (algorithm != NULL)
    *algorithm = NULL;

  signature = g_task_propagate_pointer (G_TASK (result), error);
  if (signature != NULL && algorithm != NULL)
    *algorithm = g_strdup (data->algorithm);

  return signature;
}

/* PKCS#12 import and removal */

typedef struct {
  char             *dir;
  char             *path;
  char             *password;
  ClaveCertificate *imported;
  GPtrArray        *files;
} ImportData;

static void
import_data_free (ImportData *data)
{
  g_free (data->dir);
  g_free (data->path);
  clave_secret_free (data->password);
  g_clear_object (&data->imported);
  g_clear_pointer (&data->files, g_ptr_array_unref);
  g_free (data);
}

static void
import_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ImportData *data = task_data;
  GError *error = NULL;

  data->imported = _clave_pkcs12_import (data->dir, data->path, data->password, &error);
  g_clear_pointer (&data->password, clave_secret_free);
  if (data->imported == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data->files = _clave_pkcs12_list (data->dir);
  g_task_return_boolean (task, TRUE);
}

static void
on_import_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ClaveTokenManager *self = CLAVE_TOKEN_MANAGER (source);
  g_autoptr(GTask) task = user_data;
  ImportData *data = g_task_get_task_data (G_TASK (result));
  ClaveCertificate *certificate;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  set_file_certificates (self, data->files);
  /* Hand out the very object the list holds. */
  certificate = find_file_certificate (self, clave_certificate_get_id (data->imported));
  if (certificate == NULL)
    certificate = g_object_ref (data->imported);

  g_task_return_pointer (task, certificate, g_object_unref);
}

void
clave_token_manager_import_pkcs12_async (ClaveTokenManager   *self,
                                         const char          *path,
                                         const char          *password,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  ImportData *data;

  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_token_manager_import_pkcs12_async);

  data = g_new0 (ImportData, 1);
  data->dir = g_strdup (self->soft_cert_dir);
  data->path = g_strdup (path);
  data->password = g_strdup (password);

  /* The list changes on this thread, before the caller hears of it. */
  worker = g_task_new (self, cancellable, on_import_done, g_steal_pointer (&task));
  g_task_set_task_data (worker, data, (GDestroyNotify) import_data_free);
  g_task_run_in_thread (worker, import_thread);
}

ClaveCertificate *
clave_token_manager_import_pkcs12_finish (ClaveTokenManager  *self,
                                          GAsyncResult       *result,
                                          GError            **error)
{
  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
clave_token_manager_remove (ClaveTokenManager  *self,
                            ClaveCertificate   *certificate,
                            GError            **error)
{
  g_autoptr(GPtrArray) files = NULL;

  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), FALSE);
  g_return_val_if_fail (CLAVE_IS_CERTIFICATE (certificate), FALSE);

  if (clave_certificate_get_source (certificate) != CLAVE_CERTIFICATE_SOURCE_FILE)
    {
      g_set_error_literal (error, CLAVE_TOKEN_ERROR, CLAVE_TOKEN_ERROR_FAILED,
                           _("A certificate on a card cannot be removed here; take the card out instead."));
      return FALSE;
    }

  if (!_clave_pkcs12_remove (certificate, error))
    return FALSE;

  files = _clave_pkcs12_list (self->soft_cert_dir);
  set_file_certificates (self, files);
  return TRUE;
}

/* Diagnostics */

void
clave_diagnostics_free (ClaveDiagnostics *diagnostics)
{
  if (diagnostics == NULL)
    return;

  g_free (diagnostics->pcscd_detail);
  g_clear_pointer (&diagnostics->modules, g_ptr_array_unref);
  g_clear_pointer (&diagnostics->readers, g_ptr_array_unref);
  g_clear_pointer (&diagnostics->cards, g_ptr_array_unref);
  g_clear_pointer (&diagnostics->certificates, g_ptr_array_unref);
  g_clear_pointer (&diagnostics->problems, g_ptr_array_unref);
  g_clear_pointer (&diagnostics->reader_entries, g_ptr_array_unref);
  g_clear_pointer (&diagnostics->card_entries, g_ptr_array_unref);
  g_clear_pointer (&diagnostics->certificate_objects, g_ptr_array_unref);
  g_free (diagnostics);
}

static void
diagnostics_entry_free (ClaveDiagnosticsEntry *entry)
{
  g_free (entry->title);
  g_free (entry->subtitle);
  g_free (entry);
}

void
_clave_diagnostics_add_entry (GPtrArray  *entries,
                              const char *title,
                              const char *subtitle)
{
  ClaveDiagnosticsEntry *entry = g_new0 (ClaveDiagnosticsEntry, 1);

  entry->title = g_strdup (title);
  entry->subtitle = g_strdup (subtitle);
  g_ptr_array_add (entries, entry);
}

static void
append_section (GString         *text,
                const char      *title,
                const GPtrArray *lines)
{
  g_string_append_printf (text, "\n%s\n", title);
  if (lines == NULL || lines->len == 0)
    {
      /* Translators: an empty section of the diagnostics report */
      g_string_append_printf (text, "  %s\n", _("(none)"));
      return;
    }

  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (text, "  - %s\n", (const char *) g_ptr_array_index (lines, i));
}

char *
clave_diagnostics_to_text (const ClaveDiagnostics *diagnostics)
{
  GString *text;

  g_return_val_if_fail (diagnostics != NULL, NULL);

  text = g_string_new (NULL);
  /* Translators: first line of the diagnostics report; %s: version */
  g_string_append_printf (text, _("Clave Desktop %s: smart card and certificate report"),
                          PACKAGE_VERSION);
  g_string_append_c (text, '\n');
  g_string_append_printf (text, "GnuTLS %s, p11-kit %s, GLib %u.%u.%u\n",
                          gnutls_check_version (NULL), CLAVE_P11_KIT_VERSION,
                          glib_major_version, glib_minor_version, glib_micro_version);
  g_string_append_printf (text, "%s %s (%s)\n",
                          _("Smart card service (pcscd):"),
                          diagnostics->pcscd_reachable ? _("running") : _("not reachable"),
                          diagnostics->pcscd_detail ? diagnostics->pcscd_detail : "");

  append_section (text, _("Problems:"), diagnostics->problems);
  append_section (text, _("Smart card modules (PKCS#11):"), diagnostics->modules);
  append_section (text, _("Card readers:"), diagnostics->readers);
  append_section (text, _("Cards:"), diagnostics->cards);
  append_section (text, _("Certificates:"), diagnostics->certificates);

  return g_string_free (text, FALSE);
}

static gboolean
check_pcscd (char **detail)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  const char *path = g_getenv ("PCSCLITE_CSOCK_NAME");

  /* pcsc-lite's default; Flatpak's pcsc socket shows up there too. */
  if (path == NULL || path[0] == '\0')
    path = "/run/pcscd/pcscd.comm";

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_DEFAULT, &error);
  if (socket != NULL)
    {
      address = g_unix_socket_address_new (path);
      if (g_socket_connect (socket, address, NULL, &error))
        {
          g_socket_close (socket, NULL);
          *detail = g_strdup (path);
          return TRUE;
        }
    }

  *detail = g_strdup_printf ("%s: %s", path, error->message);
  return FALSE;
}

static GPtrArray *
string_array (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

static void
diagnose_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  ClaveTokenManager *self = source_object;
  GPtrArray *files = task_data;
  ClaveDiagnostics *diagnostics;
  gboolean any_slot = FALSE, any_token = FALSE, any_module = FALSE;
  gboolean use_registry = _clave_token_backend_get_use_registry (self->backend);
  GPtrArray *modules;

  if (!_clave_token_backend_wait (self->backend, cancellable))
    {
      g_task_return_error_if_cancelled (task);
      return;
    }
  modules = _clave_token_backend_get_modules (self->backend);

  diagnostics = g_new0 (ClaveDiagnostics, 1);

  diagnostics->modules = string_array ();
  diagnostics->readers = string_array ();
  diagnostics->cards = string_array ();
  diagnostics->certificates = string_array ();
  diagnostics->problems = string_array ();
  diagnostics->reader_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) diagnostics_entry_free);
  diagnostics->card_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) diagnostics_entry_free);
  diagnostics->certificate_objects = g_ptr_array_new_with_free_func (g_object_unref);

  diagnostics->pcscd_reachable = check_pcscd (&diagnostics->pcscd_detail);
  if (!diagnostics->pcscd_reachable)
    g_ptr_array_add (diagnostics->problems,
                     g_strdup (_("The smart card service (pcscd) is not running, so no card reader can be used. Start the smart card service: sudo systemctl start pcscd")));

  if (use_registry && !_clave_token_backend_get_opensc_found (self->backend))
    g_ptr_array_add (diagnostics->problems,
                     g_strdup (_("No smart card driver was found. Install OpenSC (package opensc-pkcs11), then restart Clave Desktop.")));

  _clave_pkcs11_diagnose (modules, diagnostics, &any_slot, &any_token);

  for (guint i = 0; i < modules->len; i++)
    any_module = any_module || _clave_pkcs11_module_is_loaded (g_ptr_array_index (modules, i));

  if (!use_registry && modules->len == 0)
    g_ptr_array_add (diagnostics->problems,
                     g_strdup (_("No smart card module is set up. Install OpenSC (package opensc-pkcs11), then restart Clave Desktop.")));
  else if (any_module && !any_slot && diagnostics->pcscd_reachable)
    g_ptr_array_add (diagnostics->problems,
                     g_strdup (_("No card reader was found. Connect the reader; if it is connected, check that the smart card service sees it (pcsc_scan).")));
  else if (any_slot && !any_token)
    g_ptr_array_add (diagnostics->problems,
                     g_strdup (_("A card reader was found, but there is no card in it. Insert your DNIe or card, chip first.")));

  for (guint i = 0; i < files->len; i++)
    {
      ClaveCertificate *certificate = g_ptr_array_index (files, i);

      g_ptr_array_add (diagnostics->certificates, clave_certificate_describe (certificate));
      g_ptr_array_add (diagnostics->certificate_objects, g_object_ref (certificate));
      if (clave_certificate_is_valid_now (certificate))
        diagnostics->n_usable++;
    }

  g_task_return_pointer (task, diagnostics, (GDestroyNotify) clave_diagnostics_free);
}

void
clave_token_manager_diagnose_async (ClaveTokenManager   *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GPtrArray *files;
  guint n;

  g_return_if_fail (CLAVE_IS_TOKEN_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clave_token_manager_diagnose_async);

  /* Certificates are immutable, so the thread may read these. */
  files = g_ptr_array_new_with_free_func (g_object_unref);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = self->n_token_items; i < n; i++)
    g_ptr_array_add (files, g_list_model_get_item (G_LIST_MODEL (self->store), i));
  g_task_set_task_data (task, files, (GDestroyNotify) g_ptr_array_unref);

  g_task_run_in_thread (task, diagnose_thread);
}

ClaveDiagnostics *
clave_token_manager_diagnose_finish (ClaveTokenManager  *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  g_return_val_if_fail (CLAVE_IS_TOKEN_MANAGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
