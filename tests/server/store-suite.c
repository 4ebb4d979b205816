/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "clave-protocol.h"
#include "server-test-util.h"
#include "store-suite.h"

#define NOW     1750000000
#define LUCIA   "12345678Z"
#define MARTA   "87654321X"
#define PHONE_L "+34600111789"
#define PHONE_M "+34600222333"

typedef struct {
  StoreSuiteNewFunc  new_store;
  char              *dir;
  ClaveStore        *store;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->new_store = (StoreSuiteNewFunc) data;
  fixture->dir = g_dir_make_tmp ("clave-store-suite-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->store = fixture->new_store (fixture->dir, &error);
  g_assert_no_error (error);
  g_assert_true (CLAVE_IS_STORE (fixture->store));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  clave_store_close (fixture->store);
  g_clear_object (&fixture->store);
  clave_test_remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static void
add_person (ClaveStore *store,
            const char *document,
            const char *phone)
{
  g_autoptr(GError) error = NULL;
  ClaveIdentity identity = { .document = (char *) document, .type = CLAVE_DOCUMENT_TYPE_DNI,
                             .given_name = (char *) "Lucía", .surnames = (char *) "García",
                             .validity_date = (char *) "2031-05-04" };
  ClaveCitizen citizen = { .document = (char *) document, .phone = (char *) phone,
                           .email = (char *) "person@example.org", .level = (char *) "advanced",
                           .channel = (char *) "in_person", .created_at = NOW };

  g_assert_true (clave_store_put_identity (store, &identity, &error));
  g_assert_no_error (error);
  g_assert_true (clave_store_put_citizen (store, &citizen, &error));
  g_assert_no_error (error);
}

static void
add_activation (ClaveStore           *store,
                const char           *id,
                const char           *document,
                ClaveActivationState  state)
{
  g_autoptr(GError) error = NULL;
  ClaveActivationRecord record = { .id = (char *) id, .token_hash = (char *) "th",
                                   .document = (char *) document, .created_at = NOW,
                                   .expires_at = NOW + 900, .state = CLAVE_ACTIVATION_PENDING };

  g_assert_true (clave_store_create_activation (store, &record, &error));
  g_assert_no_error (error);
  if (state != CLAVE_ACTIVATION_PENDING)
    g_assert_true (clave_store_set_activation_state (store, id, state, &error));
  g_assert_no_error (error);
}

static void
add_device (ClaveStore *store,
            const char *activation_id,
            const char *id,
            const char *document)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = g_bytes_new_static ("spki", 4);
  ClaveDeviceRecord device = { .id = (char *) id, .document = (char *) document,
                               .public_key = key, .name = (char *) "laptop",
                               .created_at = NOW };

  g_assert_true (clave_store_register_device (store, activation_id, &device, &error));
  g_assert_no_error (error);
}

/* Identities and citizens: put, get, by phone; a phone is one person's. */
static void
test_people (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveCitizen) by_phone = NULL;
  ClaveIdentity marta = { .document = (char *) MARTA, .type = CLAVE_DOCUMENT_TYPE_DNI,
                          .given_name = (char *) "Marta", .surnames = (char *) "Ruiz",
                          .permanent = TRUE };
  ClaveCitizen thief = { .document = (char *) MARTA, .phone = (char *) PHONE_L,
                         .email = (char *) "m@example.org", .level = (char *) "basic",
                         .channel = (char *) "in_person", .created_at = NOW };

  g_assert_null (clave_store_get_identity (fixture->store, LUCIA, &error));
  g_assert_no_error (error);
  add_person (fixture->store, LUCIA, PHONE_L);

  identity = clave_store_get_identity (fixture->store, LUCIA, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (identity->surnames, ==, "García");
  g_assert_cmpstr (identity->validity_date, ==, "2031-05-04");
  citizen = clave_store_get_citizen (fixture->store, LUCIA, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (citizen->phone, ==, PHONE_L);
  g_assert_cmpstr (citizen->level, ==, "advanced");
  by_phone = clave_store_get_citizen_by_phone (fixture->store, PHONE_L, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_phone->document, ==, LUCIA);

  g_assert_true (clave_store_put_identity (fixture->store, &marta, &error));
  g_assert_false (clave_store_put_citizen (fixture->store, &thief, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
}

/* An activation, its device; a newer device deactivates the older. */
static void
test_activations_devices (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveActivationRecord) first = NULL;
  g_autoptr(ClaveDeviceRecord) old = NULL;
  g_autoptr(ClaveDeviceRecord) gone = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GBytes) key = g_bytes_new_static ("spki", 4);
  ClaveDeviceRecord early = { .id = (char *) "dev_early", .document = (char *) LUCIA,
                              .public_key = key, .name = (char *) "x", .created_at = NOW };

  add_person (fixture->store, LUCIA, PHONE_L);
  add_activation (fixture->store, "act_1", LUCIA, CLAVE_ACTIVATION_PENDING);

  /* Not verified yet: no device. */
  g_assert_false (clave_store_register_device (fixture->store, "act_1", &early, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
  g_clear_error (&error);

  g_assert_true (clave_store_set_activation_state (fixture->store, "act_1",
                                                   CLAVE_ACTIVATION_VERIFIED, &error));
  add_device (fixture->store, "act_1", "dev_1", LUCIA);
  first = clave_store_get_activation (fixture->store, "act_1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (first->state, ==, CLAVE_ACTIVATION_USED);

  /* A newer activation replaces a pending one. */
  add_activation (fixture->store, "act_2", LUCIA, CLAVE_ACTIVATION_PENDING);
  add_activation (fixture->store, "act_3", LUCIA, CLAVE_ACTIVATION_VERIFIED);
  {
    g_autoptr(ClaveActivationRecord) replaced = clave_store_get_activation (fixture->store,
                                                                            "act_2", &error);

    g_assert_cmpint (replaced->state, ==, CLAVE_ACTIVATION_REPLACED);
  }
  add_device (fixture->store, "act_3", "dev_2", LUCIA);
  old = clave_store_get_device (fixture->store, "dev_1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (old->deactivated_at, !=, 0);
  devices = clave_store_list_devices (fixture->store, LUCIA, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, 2);
  g_assert_cmpstr (((ClaveDeviceRecord *) g_ptr_array_index (devices, 0))->id, ==, "dev_2");

  g_assert_true (clave_store_deactivate_device (fixture->store, "dev_2", NOW + 5, &error));
  gone = clave_store_get_device (fixture->store, "dev_2", &error);
  g_assert_no_error (error);
  g_assert_cmpint (gone->deactivated_at, ==, NOW + 5);
  g_assert_null (gone->public_key);
  g_assert_null (clave_store_get_device (fixture->store, "dev_none", &error));
  g_assert_no_error (error);
}

/* A nonce is fresh once within its window. */
static void
test_nonces (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gboolean fresh = FALSE;

  add_person (fixture->store, LUCIA, PHONE_L);
  add_activation (fixture->store, "act_1", LUCIA, CLAVE_ACTIVATION_VERIFIED);
  add_device (fixture->store, "act_1", "dev_1", LUCIA);

  g_assert_true (clave_store_use_nonce (fixture->store, "dev_1", "n1", NOW, 600, &fresh, &error));
  g_assert_true (fresh);
  g_assert_true (clave_store_use_nonce (fixture->store, "dev_1", "n1", NOW + 10, 600, &fresh,
                                        &error));
  g_assert_false (fresh);
  g_assert_true (clave_store_use_nonce (fixture->store, "dev_1", "n2", NOW + 10, 600, &fresh,
                                        &error));
  g_assert_true (fresh);
  g_assert_no_error (error);
}

/* Codes: sent, counted, wrong ones lock; the outbox loses a code once it
 * cannot be used. */
static void
test_codes_outbox (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) sends = NULL;
  g_autoptr(GArray) wrong = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(ClaveActivationRecord) locked = NULL;
  gint64 outbox_id = 0;
  guint attempts = 0;

  add_person (fixture->store, LUCIA, PHONE_L);
  add_activation (fixture->store, "act_1", LUCIA, CLAVE_ACTIVATION_PENDING);
  g_assert_true (clave_store_store_code (fixture->store, CLAVE_CODE_FLOW_ACTIVATION, "act_1",
                                         "hmac1", NOW + 300, NOW, PHONE_L,
                                         "Su código Cl@ve es 123456.",
                                         "Su código Cl@ve es ••••••.", &outbox_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (outbox_id, >, 0);
  sends = clave_store_list_code_sends (fixture->store, LUCIA, CLAVE_OUTBOX_SMS, NOW - 1, &error);
  g_assert_cmpuint (sends->len, ==, 1);
  g_clear_pointer (&sends, g_array_unref);
  /* SMS codes count for the phone's caps, not the e-mail's. */
  sends = clave_store_list_code_sends (fixture->store, LUCIA, CLAVE_OUTBOX_EMAIL, NOW - 1,
                                       &error);
  g_assert_cmpuint (sends->len, ==, 0);
  outbox = clave_store_list_outbox (fixture->store, 0, &error);
  g_assert_cmpuint (outbox->len, ==, 1);
  g_assert_cmpstr (((ClaveOutboxMessage *) g_ptr_array_index (outbox, 0))->body, ==,
                   "Su código Cl@ve es 123456.");
  g_clear_pointer (&outbox, g_ptr_array_unref);

  for (guint i = 0; i < 3; i++)
    g_assert_true (clave_store_record_wrong_code (fixture->store, CLAVE_CODE_FLOW_ACTIVATION,
                                                  "act_1", 3, NOW + i, &attempts, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (attempts, ==, 3);
  wrong = clave_store_list_wrong_codes (fixture->store, LUCIA, NOW - 1, &error);
  g_assert_cmpuint (wrong->len, ==, 3);
  locked = clave_store_get_activation (fixture->store, "act_1", &error);
  g_assert_cmpint (locked->state, ==, CLAVE_ACTIVATION_LOCKED);
  outbox = clave_store_list_outbox (fixture->store, 0, &error);
  g_assert_cmpstr (((ClaveOutboxMessage *) g_ptr_array_index (outbox, 0))->body, ==,
                   "Su código Cl@ve es ••••••.");
  g_assert_true (clave_store_set_outbox_status (fixture->store, outbox_id,
                                                CLAVE_OUTBOX_DELIVERED, &error));
  g_assert_no_error (error);
}

/* Identification failures by document and by source; known sources. */
static void
test_failures_sources (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) by_document = NULL;
  g_autoptr(GArray) by_source = NULL;
  g_autoptr(GArray) both = NULL;
  gint64 seen = -1;

  g_assert_true (clave_store_add_identify_failure (fixture->store, LUCIA, "192.0.2.1", NOW,
                                                   &error));
  g_assert_true (clave_store_add_identify_failure (fixture->store, LUCIA, "192.0.2.2", NOW + 1,
                                                   &error));
  g_assert_true (clave_store_add_identify_failure (fixture->store, MARTA, "192.0.2.1", NOW + 2,
                                                   &error));
  by_document = clave_store_list_identify_failures (fixture->store, LUCIA, NULL, NOW, &error);
  by_source = clave_store_list_identify_failures (fixture->store, NULL, "192.0.2.1", NOW,
                                                  &error);
  both = clave_store_list_identify_failures (fixture->store, LUCIA, "192.0.2.2", NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (by_document->len, ==, 2);
  g_assert_cmpint (g_array_index (by_document, gint64, 0), ==, NOW);
  g_assert_cmpuint (by_source->len, ==, 2);
  g_assert_cmpuint (both->len, ==, 1);

  g_assert_true (clave_store_get_known_source (fixture->store, "k1", &seen, &error));
  g_assert_cmpint (seen, ==, 0);
  g_assert_true (clave_store_touch_known_source (fixture->store, "k1", NOW, &error));
  g_assert_true (clave_store_get_known_source (fixture->store, "k1", &seen, &error));
  g_assert_cmpint (seen, ==, NOW);
  g_assert_no_error (error);
}

/* A challenge is used once. */
static void
test_challenges (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) handed = NULL;
  g_autofree char *value = NULL;
  g_autofree char *again = NULL;
  gint64 expires_at = 0;

  g_assert_true (clave_store_create_challenge (fixture->store, "chl_1", "c0ffee", "192.0.2.1",
                                               NOW, NOW + 300, &error));
  handed = clave_store_list_challenges (fixture->store, "192.0.2.1", NOW, &error);
  g_assert_cmpuint (handed->len, ==, 1);
  g_assert_true (clave_store_use_challenge (fixture->store, "chl_1", &value, &expires_at,
                                            &error));
  g_assert_cmpstr (value, ==, "c0ffee");
  g_assert_cmpint (expires_at, ==, NOW + 300);
  g_assert_true (clave_store_use_challenge (fixture->store, "chl_1", &again, &expires_at,
                                            &error));
  g_assert_null (again);
  g_assert_no_error (error);
}

/* Relying parties and requests: created, listed, answered once, the
 * nonce spent with the answer. */
static void
test_requests (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveRelyingParty) by_id = NULL;
  g_autoptr(ClaveRelyingParty) by_hash = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(ClaveAuthRequestRecord) answered = NULL;
  ClaveRelyingParty rp = { .id = (char *) "rp_1", .name = (char *) "Agencia Tributaria",
                           .origin = (char *) "https://sede.agenciatributaria.gob.es",
                           .key_hash = (char *) "aa11", .created_at = NOW };
  ClaveAuthRequestRecord request = { .id = (char *) "req_1", .rp = (char *) "rp_1",
                                     .type = (char *) CLAVE_REQUEST_TYPE_PUSH,
                                     .status = (char *) CLAVE_REQUEST_STATUS_PENDING,
                                     .citizen = (char *) LUCIA,
                                     .verification_code = (char *) "123",
                                     .created_at = NOW, .expires_at = NOW + 300 };
  ClaveAuthAnswer answers[2] = {
    { .request_id = "req_1", .status = CLAVE_REQUEST_STATUS_CONFIRMED, .citizen = LUCIA,
      .device_id = "dev_1", .nonce = "n1", .now = NOW + 10 },
    { .request_id = "req_1", .status = CLAVE_REQUEST_STATUS_REJECTED, .citizen = LUCIA,
      .device_id = "dev_1", .nonce = "n2", .now = NOW + 11 },
  };
  ClaveAuthAnswer replay = { .request_id = "req_1", .status = CLAVE_REQUEST_STATUS_REJECTED,
                             .citizen = LUCIA, .device_id = "dev_1", .nonce = "n1",
                             .now = NOW + 12 };
  guint purged = 0;

  add_person (fixture->store, LUCIA, PHONE_L);
  add_activation (fixture->store, "act_1", LUCIA, CLAVE_ACTIVATION_VERIFIED);
  add_device (fixture->store, "act_1", "dev_1", LUCIA);
  g_assert_true (clave_store_add_relying_party (fixture->store, &rp, &error));
  by_id = clave_store_get_relying_party (fixture->store, "rp_1", &error);
  by_hash = clave_store_get_relying_party_by_key_hash (fixture->store, "aa11", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_id->name, ==, "Agencia Tributaria");
  g_assert_cmpstr (by_hash->id, ==, "rp_1");

  g_assert_true (clave_store_create_auth_request (fixture->store, &request, NULL, NULL, NULL,
                                                  NULL, &error));
  g_assert_no_error (error);
  pending = clave_store_list_pending_auth_requests (fixture->store, LUCIA, NOW + 1, &error);
  g_assert_cmpuint (pending->len, ==, 1);

  /* The first answer wins; the second spends its nonce only. */
  g_assert_true (clave_store_answer_auth_requests (fixture->store, answers, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (answers[0].result, ==, CLAVE_AUTH_ANSWER_DONE);
  g_assert_cmpint (answers[1].result, ==, CLAVE_AUTH_ANSWER_NOT_PENDING);
  g_assert_true (clave_store_answer_auth_requests (fixture->store, &replay, 1, &error));
  g_assert_cmpint (replay.result, ==, CLAVE_AUTH_ANSWER_REPLAYED);
  answered = clave_store_get_auth_request (fixture->store, "req_1", &error);
  g_assert_cmpstr (answered->status, ==, CLAVE_REQUEST_STATUS_CONFIRMED);
  g_assert_cmpint (answered->answered_at, ==, NOW + 10);
  g_assert_cmpstr (answered->rp_name, ==, "Agencia Tributaria");
  history = clave_store_list_history (fixture->store, LUCIA, 0, 10, &error);
  g_assert_cmpuint (history->len, ==, 1);

  g_assert_true (clave_store_purge_auth_requests (fixture->store, NOW + 1, 100, &purged, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (purged, ==, 1);
  g_assert_null (clave_store_get_auth_request (fixture->store, "req_1", &error));
  g_assert_no_error (error);
}

/* A level changes alone, and only from the level the caller expects. */
static void
test_level (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;

  add_person (fixture->store, LUCIA, PHONE_L);
  g_assert_false (clave_store_change_level (fixture->store, LUCIA, "basic", "advanced", &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (clave_store_change_level (fixture->store, LUCIA, "advanced", "basic", &error));
  g_assert_true (clave_store_change_level (fixture->store, LUCIA, "basic", "advanced", &error));
  g_assert_no_error (error);
  citizen = clave_store_get_citizen (fixture->store, LUCIA, &error);
  g_assert_cmpstr (citizen->level, ==, "advanced");
  g_assert_cmpstr (citizen->phone, ==, PHONE_L);
  g_assert_false (clave_store_change_level (fixture->store, MARTA, "basic", "advanced", &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND);
}

/* Giving up Cl@ve: the registration ends with its devices, the phone is
 * free again, the person may register again, and when they gave up is
 * kept. */
static void
test_give_up (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(ClaveCitizen) by_phone = NULL;
  g_autoptr(ClaveDeviceRecord) device = NULL;
  g_autoptr(ClaveIdentity) identity = NULL;
  gint64 given_up_at = -1;

  add_person (fixture->store, LUCIA, PHONE_L);
  add_activation (fixture->store, "act_1", LUCIA, CLAVE_ACTIVATION_VERIFIED);
  add_device (fixture->store, "act_1", "dev_1", LUCIA);
  g_assert_true (clave_store_get_given_up (fixture->store, LUCIA, &given_up_at, &error));
  g_assert_cmpint (given_up_at, ==, 0);

  g_assert_true (clave_store_give_up (fixture->store, LUCIA, NOW + 60, &error));
  g_assert_no_error (error);
  citizen = clave_store_get_citizen (fixture->store, LUCIA, &error);
  g_assert_no_error (error);
  g_assert_null (citizen);
  by_phone = clave_store_get_citizen_by_phone (fixture->store, PHONE_L, &error);
  g_assert_null (by_phone);
  device = clave_store_get_device (fixture->store, "dev_1", &error);
  g_assert_no_error (error);
  g_assert_null (device);
  g_assert_null (clave_store_get_activation (fixture->store, "act_1", &error));
  g_assert_no_error (error);
  /* The registry's record of the person stays. */
  identity = clave_store_get_identity (fixture->store, LUCIA, &error);
  g_assert_nonnull (identity);
  g_assert_true (clave_store_get_given_up (fixture->store, LUCIA, &given_up_at, &error));
  g_assert_cmpint (given_up_at, ==, NOW + 60);

  /* Not registered any more: nothing to give up. */
  g_assert_false (clave_store_give_up (fixture->store, LUCIA, NOW + 61, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Registered again, given up again: the latest time counts. */
  add_person (fixture->store, LUCIA, PHONE_L);
  g_assert_true (clave_store_give_up (fixture->store, LUCIA, NOW + 120, &error));
  g_assert_true (clave_store_get_given_up (fixture->store, LUCIA, &given_up_at, &error));
  g_assert_cmpint (given_up_at, ==, NOW + 120);
  g_assert_true (clave_store_get_given_up (fixture->store, MARTA, &given_up_at, &error));
  g_assert_cmpint (given_up_at, ==, 0);
}

/* Changing the phone: the code goes to the new number, the change gives
 * the citizen the new phone and queues a notice to the old one, once; a
 * number another citizen has is refused. */
static void
test_phone_change (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(ClaveContactChangeRecord) first = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  ClaveContactChangeRecord record = { .id = (char *) "chg_1", .document = (char *) LUCIA,
                                    .value = (char *) "+34611000111", .created_at = NOW,
                                    .expires_at = NOW + 900,
                                    .state = CLAVE_REGISTRATION_PENDING };
  ClaveContactChangeRecord taken = { .id = (char *) "chg_2", .document = (char *) LUCIA,
                                   .value = (char *) PHONE_M, .created_at = NOW,
                                   .expires_at = NOW + 900,
                                   .state = CLAVE_REGISTRATION_PENDING };
  gint64 outbox_id = 0, notice_id = 0;

  add_person (fixture->store, LUCIA, PHONE_L);
  add_person (fixture->store, MARTA, PHONE_M);
  g_assert_true (clave_store_create_contact_change (fixture->store, &record, &error));
  g_assert_no_error (error);
  g_assert_true (clave_store_store_code (fixture->store, CLAVE_CODE_FLOW_PHONE_CHANGE, "chg_1",
                                         "hmac", NOW + 300, NOW, "+34611000111",
                                         "code 123456", "code ••••••", &outbox_id, &error));
  g_assert_no_error (error);
  change = clave_store_get_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "chg_1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (change->value, ==, "+34611000111");
  g_assert_cmpstr (change->code.hmac, ==, "hmac");
  g_assert_cmpuint (change->code.sends, ==, 1);

  /* An activation in progress sent its code to the old number. */
  add_activation (fixture->store, "act_old_phone", LUCIA, CLAVE_ACTIVATION_PENDING);
  g_assert_true (clave_store_complete_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "chg_1", PHONE_L, "notice",
                                                    NOW + 10, &notice_id, &error));
  g_assert_no_error (error);
  {
    g_autoptr(ClaveActivationRecord) ended = clave_store_get_activation (fixture->store,
                                                                         "act_old_phone", &error);

    g_assert_cmpint (ended->state, ==, CLAVE_ACTIVATION_REPLACED);
  }
  g_assert_cmpint (notice_id, >, outbox_id);
  citizen = clave_store_get_citizen (fixture->store, LUCIA, &error);
  g_assert_cmpstr (citizen->phone, ==, "+34611000111");
  outbox = clave_store_list_outbox (fixture->store, 0, &error);
  g_assert_cmpstr (((ClaveOutboxMessage *) g_ptr_array_index (outbox, 0))->to, ==, PHONE_L);
  g_assert_cmpstr (((ClaveOutboxMessage *) g_ptr_array_index (outbox, 0))->body, ==, "notice");
  /* The code of a used change is no use: redacted. */
  g_assert_cmpstr (((ClaveOutboxMessage *) g_ptr_array_index (outbox, 1))->body, ==,
                   "code ••••••");
  g_assert_false (clave_store_complete_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "chg_1", PHONE_L, "notice",
                                                     NOW + 11, NULL, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Marta's number is Marta's. */
  g_assert_true (clave_store_create_contact_change (fixture->store, &taken, &error));
  g_assert_false (clave_store_complete_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "chg_2", "+34611000111",
                                                     "notice", NOW + 12, NULL, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  first = clave_store_get_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "chg_2", &error);
  g_assert_cmpint (first->state, ==, CLAVE_REGISTRATION_PENDING);

  /* A newer change replaces it; giving up takes both away. */
  record.id = (char *) "chg_3";
  g_assert_true (clave_store_create_contact_change (fixture->store, &record, &error));
  g_clear_pointer (&first, clave_contact_change_record_free);
  first = clave_store_get_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "chg_2", &error);
  g_assert_cmpint (first->state, ==, CLAVE_REGISTRATION_REPLACED);
  /* Old changes leave with the purge. */
  g_assert_true (clave_store_purge (fixture->store, NOW + 30 * 24 * 3600, &error));
  g_assert_no_error (error);
  g_assert_null (clave_store_get_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "chg_2", &error));
  g_assert_no_error (error);
  record.id = (char *) "chg_4";
  record.created_at = NOW + 30 * 24 * 3600;
  record.expires_at = record.created_at + 900;
  g_assert_true (clave_store_create_contact_change (fixture->store, &record, &error));
  g_assert_true (clave_store_give_up (fixture->store, LUCIA, record.created_at + 20, &error));
  g_assert_null (clave_store_get_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "chg_4", &error));
  g_assert_no_error (error);
}

/* Changing the e-mail: no address until a code is sent, the address goes
 * with its code, and a change without one cannot be completed; the code
 * and the notice are e-mails, counted apart from SMS. */
static void
test_email_change (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveContactChangeRecord) change = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(GArray) sends = NULL;
  ClaveContactChangeRecord record = { .kind = CLAVE_CONTACT_EMAIL, .id = (char *) "eml_1",
                                      .document = (char *) LUCIA, .created_at = NOW,
                                      .expires_at = NOW + 900,
                                      .state = CLAVE_REGISTRATION_PENDING };
  ClaveOutboxMessage *message;
  gint64 outbox_id = 0, notice_id = 0;

  add_person (fixture->store, LUCIA, PHONE_L);
  g_assert_true (clave_store_create_contact_change (fixture->store, &record, &error));
  g_assert_no_error (error);
  change = clave_store_get_contact_change (fixture->store, CLAVE_CONTACT_EMAIL, "eml_1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (change->kind, ==, CLAVE_CONTACT_EMAIL);
  g_assert_null (change->value);
  g_clear_pointer (&change, clave_contact_change_record_free);
  /* Each kind has its own changes. */
  g_assert_null (clave_store_get_contact_change (fixture->store, CLAVE_CONTACT_PHONE, "eml_1",
                                                 &error));
  g_assert_no_error (error);
  g_assert_false (clave_store_complete_contact_change (fixture->store, CLAVE_CONTACT_EMAIL,
                                                       "eml_1", "old@example.org", "notice",
                                                       NOW + 1, NULL, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (clave_store_store_code (fixture->store, CLAVE_CODE_FLOW_EMAIL_CHANGE, "eml_1",
                                         "hmac1", NOW + 300, NOW, "first@example.org",
                                         "code 111111", "code ••••••", &outbox_id, &error));
  g_assert_true (clave_store_store_code (fixture->store, CLAVE_CODE_FLOW_EMAIL_CHANGE, "eml_1",
                                         "hmac2", NOW + 330, NOW + 30, "lucia@example.org",
                                         "code 222222", "code ••••••", &outbox_id, &error));
  g_assert_no_error (error);
  change = clave_store_get_contact_change (fixture->store, CLAVE_CONTACT_EMAIL, "eml_1", &error);
  g_assert_cmpstr (change->value, ==, "lucia@example.org");
  g_assert_cmpstr (change->code.hmac, ==, "hmac2");
  g_assert_cmpuint (change->code.sends, ==, 2);
  sends = clave_store_list_code_sends (fixture->store, LUCIA, CLAVE_OUTBOX_EMAIL, NOW - 1,
                                       &error);
  g_assert_cmpuint (sends->len, ==, 2);
  g_clear_pointer (&sends, g_array_unref);
  sends = clave_store_list_code_sends (fixture->store, LUCIA, CLAVE_OUTBOX_SMS, NOW - 1, &error);
  g_assert_cmpuint (sends->len, ==, 0);

  g_assert_true (clave_store_complete_contact_change (fixture->store, CLAVE_CONTACT_EMAIL,
                                                      "eml_1", "old@example.org", "notice",
                                                      NOW + 40, &notice_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (notice_id, >, outbox_id);
  citizen = clave_store_get_citizen (fixture->store, LUCIA, &error);
  g_assert_cmpstr (citizen->email, ==, "lucia@example.org");
  g_assert_cmpstr (citizen->phone, ==, PHONE_L);
  outbox = clave_store_list_outbox (fixture->store, 0, &error);
  message = g_ptr_array_index (outbox, 0);
  g_assert_cmpint (message->channel, ==, CLAVE_OUTBOX_EMAIL);
  g_assert_cmpstr (message->to, ==, "old@example.org");
  g_assert_cmpstr (message->body, ==, "notice");
  /* Both codes are redacted: the first by the second, the second by use. */
  for (guint i = 1; i <= 2; i++)
    {
      message = g_ptr_array_index (outbox, i);
      g_assert_cmpint (message->channel, ==, CLAVE_OUTBOX_EMAIL);
      g_assert_cmpstr (message->body, ==, "code ••••••");
    }

  /* Without an old address there is nobody to tell. */
  record.id = (char *) "eml_2";
  g_assert_true (clave_store_create_contact_change (fixture->store, &record, &error));
  g_assert_true (clave_store_store_code (fixture->store, CLAVE_CODE_FLOW_EMAIL_CHANGE, "eml_2",
                                         "hmac3", NOW + 400, NOW + 100, "new@example.org",
                                         "code 333333", "code ••••••", NULL, &error));
  g_assert_true (clave_store_complete_contact_change (fixture->store, CLAVE_CONTACT_EMAIL,
                                                      "eml_2", NULL, "notice", NOW + 110,
                                                      &notice_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (notice_id, ==, 0);
}

/* Cl@ve Permanente's activation code: only for a registered citizen; a
 * new code replaces the old one; it goes with the registration. */
static void
test_permanente_code (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClavePermanenteRecord) record = NULL;

  add_person (fixture->store, LUCIA, PHONE_L);
  g_assert_null (clave_store_get_permanente (fixture->store, LUCIA, &error));
  g_assert_no_error (error);

  g_assert_false (clave_store_put_permanente_code (fixture->store, MARTA, "hmac", NOW + 60, NOW,
                                                   &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (clave_store_get_permanente (fixture->store, MARTA, &error));

  g_assert_true (clave_store_put_permanente_code (fixture->store, LUCIA, "hmac1", NOW + 60, NOW,
                                                  &error));
  g_assert_true (clave_store_put_permanente_code (fixture->store, LUCIA, "hmac2", NOW + 90,
                                                  NOW + 30, &error));
  g_assert_no_error (error);
  record = clave_store_get_permanente (fixture->store, LUCIA, &error);
  g_assert_cmpstr (record->document, ==, LUCIA);
  g_assert_cmpstr (record->code_hmac, ==, "hmac2");
  g_assert_cmpint (record->code_created_at, ==, NOW + 30);
  g_assert_cmpint (record->code_expires_at, ==, NOW + 90);
  g_assert_cmpuint (record->code_attempts, ==, 0);
  g_assert_null (record->password_hash);
  /* Created with the first code. */
  g_assert_cmpint (record->created_at, ==, NOW);

  g_assert_true (clave_store_give_up (fixture->store, LUCIA, NOW + 100, &error));
  g_assert_null (clave_store_get_permanente (fixture->store, LUCIA, &error));
  g_assert_no_error (error);
}

static ClaveFirmaRecord
firma_record (const char *serial,
              const char *document,
              gint64      not_after)
{
  ClaveFirmaRecord record = { .serial = (char *) serial, .document = (char *) document,
                              .holder = (char *) "GARCÍA, LUCÍA (FIRMA)",
                              .issuer = (char *) "CN=AC Cl@ve Firma de pruebas",
                              .cert_pem = (char *) "-----BEGIN CERTIFICATE-----",
                              .not_before = NOW, .not_after = not_after, .issued_at = NOW };

  return record;
}

/* Cl@ve Firma: one usable certificate a person (an expired or revoked one
 * does not count), revocation once and only by the holder's document,
 * the key gone with it; give-up revokes and keeps the rows. */
static void
test_firma (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) box = g_bytes_new_static ("sealed", 6);
  g_autoptr(GPtrArray) records = NULL;
  ClaveFirmaRecord first = firma_record ("01aa", LUCIA, NOW + 1000);
  ClaveFirmaRecord second = firma_record ("02bb", LUCIA, NOW + 5000);
  ClaveFirmaRecord third = firma_record ("03cc", LUCIA, NOW + 9000);

  add_person (fixture->store, LUCIA, PHONE_L);
  first.key_box = box;
  second.issued_at = NOW + 1000;
  third.issued_at = NOW + 1300;
  g_assert_true (clave_store_put_firma (fixture->store, &first, NOW, &error));
  g_assert_no_error (error);
  g_assert_false (clave_store_put_firma (fixture->store, &second, NOW + 10, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  /* Once the first expired, another may be issued. */
  g_assert_true (clave_store_put_firma (fixture->store, &second, NOW + 1000, &error));
  g_assert_no_error (error);

  records = clave_store_list_firma (fixture->store, LUCIA, FALSE, &error);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_true (g_bytes_equal (((ClaveFirmaRecord *) records->pdata[1])->key_box, box));
  g_clear_pointer (&records, g_ptr_array_unref);

  g_assert_false (clave_store_revoke_firma (fixture->store, MARTA, "02bb",
                                            CLAVE_FIRMA_REVOKED_BY_CITIZEN, NOW + 1100, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (clave_store_revoke_firma (fixture->store, LUCIA, "02bb",
                                           CLAVE_FIRMA_REVOKED_BY_CITIZEN, NOW + 1100, &error));
  g_assert_false (clave_store_revoke_firma (fixture->store, LUCIA, "02bb",
                                            CLAVE_FIRMA_REVOKED_BY_CITIZEN, NOW + 1200, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  records = clave_store_list_firma (fixture->store, NULL, TRUE, &error);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpstr (((ClaveFirmaRecord *) records->pdata[0])->serial, ==, "02bb");
  g_assert_cmpint (((ClaveFirmaRecord *) records->pdata[0])->revoked_at, ==, NOW + 1100);
  g_assert_null (((ClaveFirmaRecord *) records->pdata[0])->key_box);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* Revoked, it no longer counts: a third; then giving up revokes every
   * one not revoked yet (the expired first too: its key goes). */
  g_assert_true (clave_store_put_firma (fixture->store, &third, NOW + 1300, &error));
  g_assert_true (clave_store_give_up (fixture->store, LUCIA, NOW + 1400, &error));
  g_assert_no_error (error);
  records = clave_store_list_firma (fixture->store, NULL, TRUE, &error);
  g_assert_cmpuint (records->len, ==, 3);
  g_assert_null (((ClaveFirmaRecord *) records->pdata[2])->key_box);
  g_assert_cmpstr (((ClaveFirmaRecord *) records->pdata[0])->serial, ==, "03cc");
  g_assert_cmpstr (((ClaveFirmaRecord *) records->pdata[0])->revoked_by, ==,
                   CLAVE_FIRMA_REVOKED_BY_GIVEN_UP);
  g_clear_pointer (&records, g_ptr_array_unref);
  records = clave_store_list_firma (fixture->store, LUCIA, FALSE, &error);
  g_assert_cmpuint (records->len, ==, 3);
}

static void
add_video (ClaveStore *store,
           const char *id,
           const char *document,
           const char *phone)
{
  g_autoptr(GError) error = NULL;
  ClaveVideoRecord record = { .id = (char *) id, .token_hash = (char *) "th",
                              .document = (char *) document, .phone = (char *) phone,
                              .email = (char *) "m@example.org", .created_at = NOW,
                              .expires_at = NOW + 3600, .state = CLAVE_VIDEO_PHONE };

  g_assert_true (clave_store_create_video (store, &record, &error));
  g_assert_no_error (error);
}

/* Video identification: a new one replaces the person's unfinished one,
 * one pending a person, states move only from where they are, a decision
 * once (approval adding the citizen, refused when the phone is taken). */
static void
test_video (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ClaveVideoRecord) record = NULL;
  g_autoptr(ClaveCitizen) citizen = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  ClaveIdentity marta = { .document = (char *) MARTA, .type = CLAVE_DOCUMENT_TYPE_DNI,
                          .given_name = (char *) "Marta", .surnames = (char *) "Ruiz",
                          .validity_date = (char *) "2029-11-30" };
  ClaveCitizen new_citizen = { .document = (char *) MARTA, .phone = (char *) PHONE_M,
                               .email = (char *) "m@example.org", .level = (char *) "basic",
                               .channel = (char *) "video", .created_at = NOW + 50 };

  g_assert_true (clave_store_put_identity (fixture->store, &marta, &error));
  add_video (fixture->store, "vid_1", MARTA, PHONE_M);
  add_video (fixture->store, "vid_2", MARTA, PHONE_M);
  record = clave_store_get_video (fixture->store, "vid_1", &error);
  g_assert_cmpint (record->state, ==, CLAVE_VIDEO_REPLACED);
  g_clear_pointer (&record, clave_video_record_free);
  g_assert_null (clave_store_get_video (fixture->store, "vid_none", &error));
  g_assert_no_error (error);

  /* Only from the state it is in. */
  g_assert_false (clave_store_set_video_state (fixture->store, "vid_2", CLAVE_VIDEO_CAPTURING,
                                               CLAVE_VIDEO_PENDING, NOW + 10, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (clave_store_set_video_state (fixture->store, "vid_2", CLAVE_VIDEO_PHONE,
                                              CLAVE_VIDEO_CAPTURING, NOW + 10, &error));
  g_assert_true (clave_store_set_video_state (fixture->store, "vid_2", CLAVE_VIDEO_CAPTURING,
                                              CLAVE_VIDEO_PENDING, NOW + 20, &error));
  g_assert_no_error (error);
  record = clave_store_get_video (fixture->store, "vid_2", &error);
  g_assert_cmpint (record->state, ==, CLAVE_VIDEO_PENDING);
  g_assert_cmpint (record->submitted_at, ==, NOW + 20);
  g_clear_pointer (&record, clave_video_record_free);

  /* One pending a person: a new one is refused, the pending one stays. */
  {
    ClaveVideoRecord third = { .id = (char *) "vid_3", .token_hash = (char *) "th",
                               .document = (char *) MARTA, .phone = (char *) PHONE_M,
                               .email = (char *) "m@example.org", .created_at = NOW + 30,
                               .expires_at = NOW + 3630, .state = CLAVE_VIDEO_PHONE };

    g_assert_false (clave_store_create_video (fixture->store, &third, &error));
    g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
    g_clear_error (&error);
  }
  pending = clave_store_list_videos (fixture->store, CLAVE_VIDEO_PENDING, &error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((ClaveVideoRecord *) pending->pdata[0])->id, ==, "vid_2");

  /* The phone taken meanwhile: the approval fails whole. */
  add_person (fixture->store, LUCIA, PHONE_M);
  g_assert_false (clave_store_decide_video (fixture->store, "vid_2", &new_citizen, "op", NULL,
                                            NOW + 50, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  record = clave_store_get_video (fixture->store, "vid_2", &error);
  g_assert_cmpint (record->state, ==, CLAVE_VIDEO_PENDING);
  g_clear_pointer (&record, clave_video_record_free);
  g_assert_null (clave_store_get_citizen (fixture->store, MARTA, &error));

  new_citizen.phone = (char *) "+34600333444";
  g_assert_true (clave_store_decide_video (fixture->store, "vid_2", &new_citizen, "op", NULL,
                                           NOW + 60, &error));
  g_assert_no_error (error);
  citizen = clave_store_get_citizen (fixture->store, MARTA, &error);
  g_assert_cmpstr (citizen->channel, ==, "video");
  record = clave_store_get_video (fixture->store, "vid_2", &error);
  g_assert_cmpint (record->state, ==, CLAVE_VIDEO_APPROVED);
  g_assert_cmpstr (record->operator, ==, "op");
  g_assert_cmpint (record->decided_at, ==, NOW + 60);
  g_assert_false (clave_store_decide_video (fixture->store, "vid_2", NULL, "op", "again",
                                            NOW + 70, &error));
  g_assert_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_CONFLICT);
}

void
store_suite_add (const char        *prefix,
                 StoreSuiteNewFunc  new_store)
{
  static const struct {
    const char *name;
    void (*func) (Fixture *, gconstpointer);
  } tests[] = {
    { "people", test_people },
    { "activations-devices", test_activations_devices },
    { "nonces", test_nonces },
    { "codes-outbox", test_codes_outbox },
    { "failures-sources", test_failures_sources },
    { "challenges", test_challenges },
    { "requests", test_requests },
    { "level", test_level },
    { "give-up", test_give_up },
    { "phone-change", test_phone_change },
    { "email-change", test_email_change },
    { "permanente-code", test_permanente_code },
    { "firma", test_firma },
    { "video", test_video },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s", prefix, tests[i].name);

      g_test_add (path, Fixture, (gconstpointer) new_store, fixture_set_up, tests[i].func,
                  fixture_tear_down);
    }
}
