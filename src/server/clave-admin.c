/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-admin"

#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "clave-admin.h"
#include "clave-admin-private.h"
#include "clave-crypto.h"
#include "clave-document.h"
#include "clave-protocol.h"
#include "clave-sqlite-store.h"
#include "clave-state.h"

#define PERMANENT_VALIDITY "9999-01-01"

typedef struct {
  const char *document;
  const char *given_name;
  const char *surnames;
  const char *validity_date;
  const char *issue_date;
  gboolean    permanent;
  const char *support_number;
  const char *phone;
  const char *email;
} DemoPerson;

/* The demo data of README and the tests (the brief's table). */
static const DemoPerson demo_people[] = {
  { "12345678Z", "Lucía", "García Pérez", "2031-05-04", NULL, FALSE, NULL,
    "+34600111789", "lucia@example.org" },
  { "00000023T", "Antonio", "Ruiz Gómez", PERMANENT_VALIDITY, "2015-03-10", TRUE, NULL,
    "+34600222333", "antonio@example.org" },
  { "X1234567L", "Anna", "Müller", NULL, NULL, FALSE, "E01234567",
    "+4915112345678", "anna@example.org" },
  { "87654321X", "Marta", "Vidal Soler", "2029-11-30", NULL, FALSE, NULL, NULL, NULL },
};

gint64
_clave_admin_now_secs (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

char *
_clave_admin_format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (unix_time);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("-");
}

ClaveStore *
_clave_admin_open_store (const char  *state_dir,
            GError     **error)
{
  g_autofree char *db_path = NULL;

  if (!clave_state_dir_prepare (state_dir, error))
    return NULL;
  db_path = clave_state_db_path (state_dir);
  return clave_sqlite_store_new (db_path, error);
}

gboolean
_clave_admin_usage_error (GError    **error,
             const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
  return FALSE;
}

/* Identity options shared by register and add-identity. */
typedef struct {
  char     *document;
  char     *given_name;
  char     *surnames;
  char     *validity_date;
  char     *issue_date;
  gboolean  permanent;
  char     *support_number;
  char     *phone;
  char     *email;
  char     *level;
  char     *channel;
} PersonOptions;

static void
person_options_clear (PersonOptions *options)
{
  g_free (options->document);
  g_free (options->given_name);
  g_free (options->surnames);
  g_free (options->validity_date);
  g_free (options->issue_date);
  g_free (options->support_number);
  g_free (options->phone);
  g_free (options->email);
  g_free (options->level);
  g_free (options->channel);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PersonOptions, person_options_clear)

static ClaveIdentity *
identity_from_options (const PersonOptions  *options,
                       GError              **error)
{
  g_autoptr(ClaveIdentity) identity = g_new0 (ClaveIdentity, 1);
  g_autoptr(GError) local_error = NULL;

  if (options->document == NULL)
    {
      _clave_admin_usage_error (error, "--document is required");
      return NULL;
    }
  identity->type = clave_document_validate (options->document, &identity->document,
                                            &local_error);
  if (identity->type == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    {
      _clave_admin_usage_error (error, "--document %s: %s", options->document, local_error->message);
      return NULL;
    }

  if (options->given_name == NULL || *g_strstrip (options->given_name) == '\0' ||
      options->surnames == NULL || *g_strstrip (options->surnames) == '\0')
    {
      _clave_admin_usage_error (error, "--given-name and --surnames are required");
      return NULL;
    }
  identity->given_name = g_strdup (options->given_name);
  identity->surnames = g_strdup (options->surnames);

  if (options->validity_date != NULL)
    {
      identity->validity_date = clave_date_normalize (options->validity_date, &local_error);
      if (identity->validity_date == NULL)
        {
          _clave_admin_usage_error (error, "--validity-date %s: %s", options->validity_date,
                       local_error->message);
          return NULL;
        }
    }
  if (options->issue_date != NULL)
    {
      identity->issue_date = clave_date_normalize (options->issue_date, &local_error);
      if (identity->issue_date == NULL)
        {
          _clave_admin_usage_error (error, "--issue-date %s: %s", options->issue_date, local_error->message);
          return NULL;
        }
    }
  if (options->support_number != NULL)
    {
      identity->support_number = clave_support_number_normalize (options->support_number,
                                                                 &local_error);
      if (identity->support_number == NULL)
        {
          _clave_admin_usage_error (error, "--support-number %s: %s", options->support_number,
                       local_error->message);
          return NULL;
        }
    }

  if (identity->type == CLAVE_DOCUMENT_TYPE_NIE)
    {
      if (identity->support_number == NULL)
        {
          _clave_admin_usage_error (error, "A NIE needs --support-number");
          return NULL;
        }
      if (identity->validity_date != NULL || identity->issue_date != NULL || options->permanent)
        {
          _clave_admin_usage_error (error, "A NIE is identified by its support number only");
          return NULL;
        }
      return g_steal_pointer (&identity);
    }

  if (identity->support_number != NULL)
    {
      _clave_admin_usage_error (error, "A DNI has no support number");
      return NULL;
    }

  if (options->permanent)
    {
      if (identity->issue_date == NULL)
        {
          _clave_admin_usage_error (error, "A permanent DNI needs --issue-date");
          return NULL;
        }
      if (identity->validity_date != NULL &&
          !g_str_equal (identity->validity_date, PERMANENT_VALIDITY))
        {
          _clave_admin_usage_error (error, "A permanent DNI is valid until 01/01/9999");
          return NULL;
        }
      g_free (identity->validity_date);
      identity->validity_date = g_strdup (PERMANENT_VALIDITY);
      identity->permanent = TRUE;
    }
  else if (identity->validity_date == NULL)
    {
      _clave_admin_usage_error (error, "A DNI needs --validity-date, or --issue-date with --permanent");
      return NULL;
    }
  else if (g_str_equal (identity->validity_date, PERMANENT_VALIDITY))
    {
      _clave_admin_usage_error (error, "A DNI valid until 01/01/9999 is permanent: give --permanent "
                          "and --issue-date");
      return NULL;
    }

  return g_steal_pointer (&identity);
}

static gboolean
identities_equal (const ClaveIdentity *a,
                  const ClaveIdentity *b)
{
  return g_strcmp0 (a->document, b->document) == 0 &&
         a->type == b->type &&
         g_strcmp0 (a->given_name, b->given_name) == 0 &&
         g_strcmp0 (a->surnames, b->surnames) == 0 &&
         g_strcmp0 (a->validity_date, b->validity_date) == 0 &&
         g_strcmp0 (a->issue_date, b->issue_date) == 0 &&
         a->permanent == b->permanent &&
         g_strcmp0 (a->support_number, b->support_number) == 0;
}

static char *
normalize_phone (const char  *input,
                 GError     **error)
{
  g_autoptr(GString) phone = g_string_new (NULL);
  guint digits = 0;

  for (const char *p = input != NULL ? input : ""; *p != '\0'; p++)
    {
      if (*p == ' ' || *p == '-' || *p == '.')
        continue;
      if (*p == '+' && phone->len == 0)
        g_string_append_c (phone, '+');
      else if (g_ascii_isdigit (*p))
        {
          g_string_append_c (phone, *p);
          digits++;
        }
      else
        {
          phone->len = 0;
          break;
        }
    }

  /* E.164: country prefix and at most 15 digits. */
  if (phone->len == 0 || phone->str[0] != '+' || digits < 8 || digits > 15)
    {
      _clave_admin_usage_error (error, "--phone must be an international number like +34600111789");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&phone), FALSE);
}

static gboolean
email_is_plausible (const char *email)
{
  const char *at = email != NULL ? strchr (email, '@') : NULL;

  return at != NULL && at != email && at[1] != '\0' && strchr (at + 1, '@') == NULL &&
         strchr (at + 1, '.') != NULL && strpbrk (email, " \t\r\n") == NULL;
}

static gboolean
one_of (const char *value,
        const char *const *allowed)
{
  for (guint i = 0; allowed[i] != NULL; i++)
    if (g_strcmp0 (value, allowed[i]) == 0)
      return TRUE;
  return FALSE;
}

static ClaveCitizen *
citizen_from_options (const PersonOptions  *options,
                      const char           *document,
                      GError              **error)
{
  static const char * const levels[] = { CLAVE_LEVEL_BASIC, CLAVE_LEVEL_ADVANCED, NULL };
  static const char * const channels[] = { CLAVE_CHANNEL_IN_PERSON, CLAVE_CHANNEL_VIDEO,
                                           CLAVE_CHANNEL_CERTIFICATE, CLAVE_CHANNEL_DNIE,
                                           NULL };
  g_autoptr(ClaveCitizen) citizen = g_new0 (ClaveCitizen, 1);
  const char *level = options->level != NULL ? options->level : CLAVE_LEVEL_ADVANCED;
  const char *channel = options->channel != NULL ? options->channel : CLAVE_CHANNEL_IN_PERSON;

  citizen->document = g_strdup (document);
  citizen->phone = normalize_phone (options->phone, error);
  if (citizen->phone == NULL)
    return NULL;
  if (!email_is_plausible (options->email))
    {
      _clave_admin_usage_error (error, "--email must be an e-mail address");
      return NULL;
    }
  citizen->email = g_strdup (options->email);
  if (!one_of (level, levels))
    {
      _clave_admin_usage_error (error, "--level must be basic or advanced");
      return NULL;
    }
  if (!one_of (channel, channels))
    {
      _clave_admin_usage_error (error, "--channel must be in_person, video, certificate or dnie");
      return NULL;
    }
  citizen->level = g_strdup (level);
  citizen->channel = g_strdup (channel);
  citizen->created_at = _clave_admin_now_secs ();
  return g_steal_pointer (&citizen);
}

/* Puts @identity in the registry unless it is there already; a different
 * record under the same document is an error, not something to overwrite
 * by accident. */
static gboolean
ensure_identity (ClaveStore           *store,
                 const ClaveIdentity  *identity,
                 gboolean             *added,
                 GError              **error)
{
  g_autoptr(ClaveIdentity) existing = NULL;
  g_autoptr(GError) local_error = NULL;

  *added = FALSE;
  existing = clave_store_get_identity (store, identity->document, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (existing != NULL)
    {
      if (!identities_equal (existing, identity))
        {
          g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT,
                       "%s is already in the identity registry with other data "
                       "(see: clave-admin show %s)", identity->document, identity->document);
          return FALSE;
        }
      return TRUE;
    }

  *added = TRUE;
  return clave_store_put_identity (store, identity, error);
}

static GOptionEntry *
person_entries (PersonOptions *options,
                gboolean       with_registration)
{
  const GOptionEntry identity_entries[] = {
    { "document", 0, 0, G_OPTION_ARG_STRING, &options->document, "DNI or NIE", "DOCUMENT" },
    { "given-name", 0, 0, G_OPTION_ARG_STRING, &options->given_name, "Given name", "NAME" },
    { "surnames", 0, 0, G_OPTION_ARG_STRING, &options->surnames, "Surnames", "SURNAMES" },
    { "validity-date", 0, 0, G_OPTION_ARG_STRING, &options->validity_date,
      "DNI validity (expiry) date", "YYYY-MM-DD" },
    { "issue-date", 0, 0, G_OPTION_ARG_STRING, &options->issue_date,
      "DNI issue date (permanent DNI)", "YYYY-MM-DD" },
    { "permanent", 0, 0, G_OPTION_ARG_NONE, &options->permanent,
      "Permanent DNI (valid until 01/01/9999)", NULL },
    { "support-number", 0, 0, G_OPTION_ARG_STRING, &options->support_number,
      "NIE support number", "E01234567" },
  };
  const GOptionEntry registration_entries[] = {
    { "phone", 0, 0, G_OPTION_ARG_STRING, &options->phone, "Mobile phone", "+34..." },
    { "email", 0, 0, G_OPTION_ARG_STRING, &options->email, "E-mail address", "EMAIL" },
    { "level", 0, 0, G_OPTION_ARG_STRING, &options->level,
      "basic or advanced (default advanced)", "LEVEL" },
    { "channel", 0, 0, G_OPTION_ARG_STRING, &options->channel,
      "in_person (default), video, certificate or dnie", "CHANNEL" },
  };
  GArray *entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

  g_array_append_vals (entries, identity_entries, G_N_ELEMENTS (identity_entries));
  if (with_registration)
    g_array_append_vals (entries, registration_entries, G_N_ELEMENTS (registration_entries));
  return (GOptionEntry *) (gpointer) g_array_free (entries, FALSE);
}

gboolean
_clave_admin_parse_command (const char          *name,
               const char          *parameter,
               const GOptionEntry  *entries,
               int           *argc,
               char        ***argv,
               GError       **error)
{
  g_autofree char *summary = g_strdup_printf ("%s %s", name, parameter);
  g_autoptr(GOptionContext) context = g_option_context_new (summary);

  g_option_context_add_main_entries (context, entries, NULL);
  return g_option_context_parse (context, argc, argv, error);
}

gboolean
_clave_admin_read_document (const char  *text,
               char       **document,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (clave_document_validate (text, document, &local_error) == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    return _clave_admin_usage_error (error, "%s: %s", text, local_error->message);
  return TRUE;
}

static gboolean
cmd_register (const char  *state_dir,
              int          argc,
              char       **argv,
              GString     *out,
              GError     **error)
{
  g_auto(PersonOptions) options = { NULL };
  g_autofree GOptionEntry *entries = person_entries (&options, TRUE);
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveStore) store = NULL;
  gboolean added = FALSE;

  if (!_clave_admin_parse_command ("register", "", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return _clave_admin_usage_error (error, "Unexpected argument %s", argv[1]);

  identity = identity_from_options (&options, error);
  if (identity == NULL)
    return FALSE;
  citizen = citizen_from_options (&options, identity->document, error);
  if (citizen == NULL)
    return FALSE;

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;

  if (!ensure_identity (store, identity, &added, error) ||
      !clave_store_put_citizen (store, citizen, error))
    return FALSE;

  if (added)
    g_string_append_printf (out, "Added %s to the identity registry\n", identity->document);
  g_string_append_printf (out, "Registered %s (%s %s) in Cl@ve: level %s, %s, phone %s\n",
                          identity->document, identity->given_name, identity->surnames,
                          citizen->level, citizen->channel, citizen->phone);
  return TRUE;
}

static gboolean
cmd_add_identity (const char  *state_dir,
                  int          argc,
                  char       **argv,
                  GString     *out,
                  GError     **error)
{
  g_auto(PersonOptions) options = { NULL };
  g_autofree GOptionEntry *entries = person_entries (&options, FALSE);
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveStore) store = NULL;
  gboolean added = FALSE;

  if (!_clave_admin_parse_command ("add-identity", "", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return _clave_admin_usage_error (error, "Unexpected argument %s", argv[1]);

  identity = identity_from_options (&options, error);
  if (identity == NULL)
    return FALSE;
  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;
  if (!ensure_identity (store, identity, &added, error))
    return FALSE;

  g_string_append_printf (out, added ? "Added %s to the identity registry\n"
                                     : "%s is already in the identity registry\n",
                          identity->document);
  return TRUE;
}

void
_clave_admin_add_nullable (JsonBuilder *builder,
              const char  *name,
              const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
_clave_admin_append_json (GString   *out,
             JsonNode  *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

static gboolean
cmd_show (const char  *state_dir,
          int          argc,
          char       **argv,
          GString     *out,
          GError     **error)
{
  gboolean as_json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autofree char *document = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(ClaveStore) store = NULL;
  g_autofree char *given_up = NULL;
  gint64 given_up_at = 0;

  if (!_clave_admin_parse_command ("show", "DOCUMENT", entries, &argc, &argv, error))
    return FALSE;
  if (argc != 2)
    return _clave_admin_usage_error (error, "show needs exactly one DOCUMENT");

  if (clave_document_validate (argv[1], &document, &local_error) == CLAVE_DOCUMENT_TYPE_UNKNOWN)
    return _clave_admin_usage_error (error, "%s: %s", argv[1], local_error->message);

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;
  identity = clave_store_get_identity (store, document, error);
  if (identity == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND,
                     "%s is not in the identity registry", document);
      return FALSE;
    }
  citizen = clave_store_get_citizen (store, document, &local_error);
  if (local_error == NULL)
    devices = clave_store_list_devices (store, document, &local_error);
  if (local_error == NULL)
    clave_store_get_given_up (store, document, &given_up_at, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* The last time the person gave up Cl@ve, even when registered again
   * since. */
  if (given_up_at != 0)
    given_up = _clave_admin_format_time (given_up_at);

  if (as_json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      _clave_admin_add_nullable (builder, "document", identity->document);
      _clave_admin_add_nullable (builder, "document_type", clave_document_type_to_string (identity->type));
      _clave_admin_add_nullable (builder, "given_name", identity->given_name);
      _clave_admin_add_nullable (builder, "surnames", identity->surnames);
      _clave_admin_add_nullable (builder, "validity_date", identity->validity_date);
      _clave_admin_add_nullable (builder, "issue_date", identity->issue_date);
      json_builder_set_member_name (builder, "permanent");
      json_builder_add_boolean_value (builder, identity->permanent);
      _clave_admin_add_nullable (builder, "support_number", identity->support_number);
      json_builder_set_member_name (builder, "registered");
      json_builder_add_boolean_value (builder, citizen != NULL);
      if (citizen != NULL)
        {
          g_autofree char *registered_at = _clave_admin_format_time (citizen->created_at);

          _clave_admin_add_nullable (builder, "phone", citizen->phone);
          _clave_admin_add_nullable (builder, "email", citizen->email);
          _clave_admin_add_nullable (builder, "level", citizen->level);
          _clave_admin_add_nullable (builder, "registration_channel", citizen->channel);
          _clave_admin_add_nullable (builder, "registered_at", registered_at);
        }
      _clave_admin_add_nullable (builder, "given_up_at", given_up);
      json_builder_set_member_name (builder, "devices");
      json_builder_begin_array (builder);
      for (guint i = 0; i < devices->len; i++)
        {
          ClaveDeviceRecord *device = g_ptr_array_index (devices, i);
          g_autofree char *created = _clave_admin_format_time (device->created_at);
          g_autofree char *deactivated = device->deactivated_at != 0
                                           ? _clave_admin_format_time (device->deactivated_at) : NULL;

          json_builder_begin_object (builder);
          _clave_admin_add_nullable (builder, "id", device->id);
          _clave_admin_add_nullable (builder, "name", device->name);
          _clave_admin_add_nullable (builder, "created_at", created);
          json_builder_set_member_name (builder, "active");
          json_builder_add_boolean_value (builder, device->deactivated_at == 0);
          _clave_admin_add_nullable (builder, "deactivated_at", deactivated);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      _clave_admin_append_json (out, root);
      return TRUE;
    }

  g_string_append_printf (out, "Document:        %s (%s)\n", identity->document,
                          identity->type == CLAVE_DOCUMENT_TYPE_NIE ? "NIE" : "DNI");
  g_string_append_printf (out, "Name:            %s %s\n", identity->given_name,
                          identity->surnames);
  if (identity->type == CLAVE_DOCUMENT_TYPE_NIE)
    g_string_append_printf (out, "Support number:  %s\n", identity->support_number);
  else
    {
      g_string_append_printf (out, "Validity date:   %s%s\n",
                              identity->validity_date != NULL ? identity->validity_date : "-",
                              identity->permanent ? " (permanent)" : "");
      if (identity->issue_date != NULL)
        g_string_append_printf (out, "Issue date:      %s\n", identity->issue_date);
    }

  if (citizen == NULL)
    {
      g_string_append (out, "Registered:      no (identity registry only)\n");
      if (given_up != NULL)
        g_string_append_printf (out, "Gave up Cl@ve:   %s\n", given_up);
      return TRUE;
    }

  {
    g_autofree char *registered_at = _clave_admin_format_time (citizen->created_at);

    g_string_append_printf (out, "Registered:      yes, %s, %s, since %s\n", citizen->level,
                            citizen->channel, registered_at);
    g_string_append_printf (out, "Phone:           %s\n", citizen->phone);
    g_string_append_printf (out, "E-mail:          %s\n", citizen->email);
    if (given_up != NULL)
      g_string_append_printf (out, "Gave up Cl@ve:   %s (registered again since)\n", given_up);
  }

  if (devices->len == 0)
    g_string_append (out, "Devices:         none\n");
  else
    g_string_append (out, "Devices:\n");
  for (guint i = 0; i < devices->len; i++)
    {
      ClaveDeviceRecord *device = g_ptr_array_index (devices, i);
      g_autofree char *created = _clave_admin_format_time (device->created_at);

      g_string_append_printf (out, "  %s  %s  activated %s%s\n", device->id, device->name,
                              created, device->deactivated_at == 0 ? "  (active)" : "");
    }

  return TRUE;
}

static gboolean
cmd_outbox (const char  *state_dir,
            int          argc,
            char       **argv,
            GString     *out,
            GError     **error)
{
  gboolean as_json = FALSE;
  int limit = 0;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "Print JSON", NULL },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Show at most N messages", "N" },
    { NULL }
  };
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(ClaveStore) store = NULL;

  if (!_clave_admin_parse_command ("outbox", "", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return _clave_admin_usage_error (error, "Unexpected argument %s", argv[1]);
  if (limit < 0)
    return _clave_admin_usage_error (error, "--limit must not be negative");

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;
  messages = clave_store_list_outbox (store, (guint) limit, error);
  if (messages == NULL)
    return FALSE;

  if (as_json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < messages->len; i++)
        {
          ClaveOutboxMessage *message = g_ptr_array_index (messages, i);
          g_autofree char *created = _clave_admin_format_time (message->created_at);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_int_value (builder, message->id);
          _clave_admin_add_nullable (builder, "channel", clave_outbox_channel_to_string (message->channel));
          _clave_admin_add_nullable (builder, "to", message->to);
          /* The recipient under its own name too, as readers look for it. */
          _clave_admin_add_nullable (builder, message->channel == CLAVE_OUTBOX_EMAIL ? "email" : "phone",
                        message->to);
          _clave_admin_add_nullable (builder, "body", message->body);
          _clave_admin_add_nullable (builder, "created_at", created);
          _clave_admin_add_nullable (builder, "status", message->status);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      _clave_admin_append_json (out, root);
      return TRUE;
    }

  if (messages->len == 0)
    g_string_append (out, "The outbox is empty\n");
  for (guint i = 0; i < messages->len; i++)
    {
      ClaveOutboxMessage *message = g_ptr_array_index (messages, i);
      g_autofree char *created = _clave_admin_format_time (message->created_at);

      g_autofree char *body = g_strdelimit (g_strdup (message->body), "\n", ' ');

      g_string_append_printf (out, "%" G_GINT64_FORMAT "  %s  %-9s  %-5s  %s  %s\n",
                              message->id, created, message->status,
                              message->channel == CLAVE_OUTBOX_EMAIL ? "email" : "sms",
                              message->to, body);
    }
  return TRUE;
}

static gboolean ensure_demo_rp (ClaveStore *store, GError **error);

static gboolean
cmd_seed_demo (const char  *state_dir,
               int          argc,
               char       **argv,
               GString     *out,
               GError     **error)
{
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr(ClaveStore) store = NULL;
  guint registered = 0;

  if (!_clave_admin_parse_command ("seed-demo", "", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return _clave_admin_usage_error (error, "Unexpected argument %s", argv[1]);

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;

  /* Replaces the demo records wholesale, so running it again is harmless
   * and also repairs edited demo data. */
  for (guint i = 0; i < G_N_ELEMENTS (demo_people); i++)
    {
      const DemoPerson *person = &demo_people[i];
      ClaveIdentity identity = {
        .document = (char *) person->document,
        .type = person->support_number != NULL ? CLAVE_DOCUMENT_TYPE_NIE
                                               : CLAVE_DOCUMENT_TYPE_DNI,
        .given_name = (char *) person->given_name,
        .surnames = (char *) person->surnames,
        .validity_date = (char *) person->validity_date,
        .issue_date = (char *) person->issue_date,
        .permanent = person->permanent,
        .support_number = (char *) person->support_number,
      };
      g_autoptr(ClaveCitizen) existing = NULL;
      g_autoptr(GError) local_error = NULL;

      if (!clave_store_put_identity (store, &identity, error))
        return FALSE;
      if (person->phone == NULL)
        continue;

      existing = clave_store_get_citizen (store, person->document, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      {
        ClaveCitizen citizen = {
          .document = (char *) person->document,
          .phone = (char *) person->phone,
          .email = (char *) person->email,
          .level = (char *) CLAVE_LEVEL_ADVANCED,
          .channel = (char *) CLAVE_CHANNEL_IN_PERSON,
          .created_at = existing != NULL ? existing->created_at : _clave_admin_now_secs (),
        };

        if (!clave_store_put_citizen (store, &citizen, error))
          return FALSE;
      }
      registered++;
    }

  if (!ensure_demo_rp (store, error))
    return FALSE;

  g_string_append_printf (out, "Demo data ready: %u identities, %u registered in Cl@ve\n",
                          (guint) G_N_ELEMENTS (demo_people), registered);
  return TRUE;
}

#define DEMO_RP_ID     "rp_demo"
#define DEMO_RP_NAME   "Sede electrónica de demostración"
/* Relative: the demo website is served by clave-server itself, whose
 * origin is only known once it listens (see ClaveRelyingParty). */
#define DEMO_RP_ORIGIN "/demo/"

/* An https origin: scheme, host, optional port; nothing else. */
static gboolean
origin_is_valid (const char *origin)
{
  g_autoptr(GUri) uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL ||
      (*g_uri_get_path (uri) != '\0' && g_strcmp0 (g_uri_get_path (uri), "/") != 0))
    return FALSE;
  return TRUE;
}

static gboolean
cmd_add_rp (const char  *state_dir,
            int          argc,
            char       **argv,
            GString     *out,
            GError     **error)
{
  g_autofree char *name = NULL;
  g_autofree char *origin = NULL;
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Organisation shown to people", "NAME" },
    { "origin", 0, 0, G_OPTION_ARG_STRING, &origin, "https origin of the website", "URL" },
    { NULL }
  };
  g_autoptr(ClaveStore) store = NULL;
  g_autofree char *random_id = NULL;
  g_autofree char *key = NULL;
  g_autofree char *key_hash = NULL;
  g_autofree char *random_key = NULL;
  ClaveRelyingParty rp = { 0 };

  if (!_clave_admin_parse_command ("add-rp", "", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return _clave_admin_usage_error (error, "Unexpected argument %s", argv[1]);
  if (name == NULL || *g_strstrip (name) == '\0' || g_utf8_strlen (name, -1) > 200 ||
      !g_utf8_validate (name, -1, NULL))
    return _clave_admin_usage_error (error, "--name is required (1 to 200 characters)");
  if (origin == NULL || !origin_is_valid (origin))
    return _clave_admin_usage_error (error, "--origin must be an https origin, e.g. https://sede.example.es");
  if (g_str_has_suffix (origin, "/"))
    origin[strlen (origin) - 1] = '\0';

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;

  random_id = clave_random_token (12);
  random_key = clave_random_token (32);
  key = g_strconcat (CLAVE_RP_KEY_PREFIX, random_key, NULL);
  key_hash = clave_sha256_hex (key, strlen (key));
  rp.id = g_strconcat (CLAVE_RP_ID_PREFIX, random_id, NULL);
  rp.name = name;
  rp.origin = origin;
  rp.key_hash = key_hash;
  rp.created_at = _clave_admin_now_secs ();
  if (!clave_store_add_relying_party (store, &rp, error))
    {
      g_free (rp.id);
      return FALSE;
    }

  /* The only time the key exists outside the relying party. */
  g_string_append_printf (out, "rp_id: %s\napi_key: %s\n"
                          "Keep the API key: it is shown only once.\n", rp.id, key);
  g_free (rp.id);
  explicit_bzero (key, strlen (key));
  explicit_bzero (random_key, strlen (random_key));
  return TRUE;
}

static gboolean
cmd_list_rps (const char  *state_dir,
              int          argc,
              char       **argv,
              GString     *out,
              GError     **error)
{
  gboolean as_json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &as_json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(ClaveStore) store = NULL;
  g_autoptr(GPtrArray) rps = NULL;

  if (!_clave_admin_parse_command ("list-rps", "", entries, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    return _clave_admin_usage_error (error, "Unexpected argument %s", argv[1]);

  store = _clave_admin_open_store (state_dir, error);
  if (store == NULL)
    return FALSE;
  rps = clave_store_list_relying_parties (store, error);
  if (rps == NULL)
    return FALSE;

  if (as_json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < rps->len; i++)
        {
          ClaveRelyingParty *rp = g_ptr_array_index (rps, i);
          g_autofree char *created = _clave_admin_format_time (rp->created_at);

          json_builder_begin_object (builder);
          _clave_admin_add_nullable (builder, "id", rp->id);
          _clave_admin_add_nullable (builder, "name", rp->name);
          _clave_admin_add_nullable (builder, "origin", rp->origin);
          _clave_admin_add_nullable (builder, "created_at", created);
          json_builder_set_member_name (builder, "demo");
          json_builder_add_boolean_value (builder, rp->demo);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      _clave_admin_append_json (out, root);
      return TRUE;
    }

  if (rps->len == 0)
    g_string_append (out, "No relying parties\n");
  for (guint i = 0; i < rps->len; i++)
    {
      ClaveRelyingParty *rp = g_ptr_array_index (rps, i);
      g_autofree char *created = _clave_admin_format_time (rp->created_at);

      g_string_append_printf (out, "%s  %s  %s  %s%s\n", rp->id, created, rp->origin, rp->name,
                              rp->demo ? "  (demo)" : "");
    }
  return TRUE;
}

/* The demo website's relying party, once: its key is random and never
 * shown (the website calls the service in-process). */
static gboolean
ensure_demo_rp (ClaveStore  *store,
                GError     **error)
{
  g_autoptr(GPtrArray) rps = clave_store_list_relying_parties (store, error);
  g_autofree char *random_key = NULL;
  g_autofree char *key_hash = NULL;
  ClaveRelyingParty rp = { 0 };

  if (rps == NULL)
    return FALSE;
  for (guint i = 0; i < rps->len; i++)
    if (((ClaveRelyingParty *) g_ptr_array_index (rps, i))->demo)
      return TRUE;

  random_key = clave_random_token (32);
  key_hash = clave_sha256_hex (random_key, strlen (random_key));
  explicit_bzero (random_key, strlen (random_key));
  rp.id = (char *) DEMO_RP_ID;
  rp.name = (char *) DEMO_RP_NAME;
  rp.origin = (char *) DEMO_RP_ORIGIN;
  rp.key_hash = key_hash;
  rp.created_at = _clave_admin_now_secs ();
  rp.demo = TRUE;
  return clave_store_add_relying_party (store, &rp, error);
}

static const struct {
  const char  *name;
  ClaveAdminCommand  func;
  const char  *help;
} commands[] = {
  { "register", cmd_register,
    "register --document D --given-name G --surnames S (--validity-date D | --issue-date D "
    "--permanent | --support-number N) --phone P --email E [--level L] [--channel C]" },
  { "add-identity", cmd_add_identity,
    "add-identity --document D --given-name G --surnames S (--validity-date D | --issue-date D "
    "--permanent | --support-number N)" },
  { "show", cmd_show, "show DOCUMENT [--json]" },
  { "outbox", cmd_outbox, "outbox [--json] [--limit N]" },
  { "seed-demo", cmd_seed_demo, "seed-demo" },
  { "add-rp", cmd_add_rp, "add-rp --name NAME --origin https://..." },
  { "list-rps", cmd_list_rps, "list-rps [--json]" },
  { "issue-firma", _clave_admin_cmd_issue_firma, "issue-firma DOCUMENT [--json]" },
  { "list-firma", _clave_admin_cmd_list_firma, "list-firma [DOCUMENT] [--json]" },
  { "video", _clave_admin_cmd_video,
    "video list [--state STATE] [--json] | show ID [--export DIR] [--json] | approve ID | "
    "reject ID --reason TEXT  [--operator NAME]" },
};

static char *
commands_summary (void)
{
  GString *text = g_string_new ("Commands:\n");

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (text, "  %s\n", commands[i].help);
  return g_string_free (text, FALSE);
}

/* Index of the command in @argv: the first word that is not a global
 * option or its value. */
static int
command_index (int    argc,
               char **argv)
{
  int i = 1;

  while (i < argc && argv[i][0] == '-')
    i += g_str_equal (argv[i], "--state-dir") ? 2 : 1;
  return i;
}

int
clave_admin_run (int    argc,
                 char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *state_dir = NULL;
  g_autofree char *summary = commands_summary ();
  ClaveAdminCommand func = NULL;
  gboolean ok;
  const GOptionEntry entries[] = {
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      "clave-server's state directory (required)", "DIR" },
    { NULL }
  };

  context = g_option_context_new ("COMMAND [OPTIONS…] - registry office tool for clave-server");
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  /* The command's own options are parsed by the command. */
  g_option_context_set_ignore_unknown_options (context, TRUE);
  /* --help before the command is ours; after it, the command's. */
  g_option_context_set_help_enabled (context, command_index (argc, argv) >= argc);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("clave-admin: %s\n", error->message);
      return 2;
    }

  if (argc < 2)
    {
      g_printerr ("clave-admin: no command given\n%s", summary);
      return 2;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      func = commands[i].func;
  if (func == NULL)
    {
      g_printerr ("clave-admin: unknown command %s\n%s", argv[1], summary);
      return 2;
    }

  if (state_dir == NULL)
    {
      g_printerr ("clave-admin: --state-dir is required\n");
      return 2;
    }

  ok = func (state_dir, argc - 1, argv + 1, out, &error);
  if (!ok)
    {
      g_printerr ("clave-admin: %s\n", error->message);
      return g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE) ||
             g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION) ||
             g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED) ? 2 : 1;
    }

  fputs (out->str, stdout);
  fflush (stdout);
  return 0;
}
