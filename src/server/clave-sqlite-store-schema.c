/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ClaveSqliteStore: the schema and its migrations. */
#define G_LOG_DOMAIN "clave-store"

#include "config.h"

#include <sqlite3.h>

#include "clave-limits.h"
#include "clave-sqlite-store-private.h"

/* Each entry is one migration, applied in its own transaction together
 * with the bump of PRAGMA user_version. Never edit an entry once shipped:
 * add a new one. */
static const char * const migrations[] = {
  /* 1: the initial schema. */
  "CREATE TABLE identities ("
  "  document       TEXT PRIMARY KEY,"
  "  type           TEXT NOT NULL CHECK (type IN ('dni', 'nie')),"
  "  given_name     TEXT NOT NULL,"
  "  surnames       TEXT NOT NULL,"
  "  validity_date  TEXT,"
  "  issue_date     TEXT,"
  "  permanent      INTEGER NOT NULL DEFAULT 0,"
  "  support_number TEXT"
  ");"
  "CREATE TABLE citizens ("
  "  document   TEXT PRIMARY KEY REFERENCES identities (document) ON DELETE CASCADE,"
  "  phone      TEXT NOT NULL UNIQUE,"
  "  email      TEXT NOT NULL,"
  "  level      TEXT NOT NULL,"
  "  channel    TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE activations ("
  "  id              TEXT PRIMARY KEY,"
  "  token_hash      TEXT NOT NULL,"
  "  citizen         TEXT NOT NULL REFERENCES citizens (document) ON DELETE CASCADE,"
  "  created_at      INTEGER NOT NULL,"
  "  expires_at      INTEGER NOT NULL,"
  "  state           TEXT NOT NULL,"
  "  code_hmac       TEXT,"
  "  code_expires_at INTEGER NOT NULL DEFAULT 0,"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  sends           INTEGER NOT NULL DEFAULT 0,"
  "  last_sent_at    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX activations_expires_at ON activations (expires_at);"
  "CREATE TABLE devices ("
  "  id             TEXT PRIMARY KEY,"
  "  citizen        TEXT NOT NULL REFERENCES citizens (document) ON DELETE CASCADE,"
  "  public_key     BLOB,"
  "  name           TEXT NOT NULL,"
  "  created_at     INTEGER NOT NULL,"
  "  deactivated_at INTEGER"
  ");"
  "CREATE INDEX devices_citizen ON devices (citizen);"
  "CREATE TABLE nonces ("
  "  device     TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,"
  "  nonce      TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  PRIMARY KEY (device, nonce)"
  ") WITHOUT ROWID;"
  "CREATE INDEX nonces_created_at ON nonces (created_at);"
  "CREATE TABLE sms_outbox ("
  "  id         INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  phone      TEXT NOT NULL,"
  "  body       TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  status     TEXT NOT NULL DEFAULT 'queued'"
  ");"
  "CREATE TABLE identify_failures ("
  "  id         INTEGER PRIMARY KEY,"
  "  document   TEXT NOT NULL,"
  "  address    TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX identify_failures_document ON identify_failures (document, created_at);"
  "CREATE INDEX identify_failures_address ON identify_failures (address, created_at);",

  /* 2: per-citizen limits over all activations, and outbox bodies that
   * lose their code once it cannot be used. A message keeps its code in
   * body while redacted_body is not NULL. Messages written before this
   * migration are redacted at once (their code sits after " es "). */
  "ALTER TABLE sms_outbox ADD COLUMN citizen TEXT;"
  "ALTER TABLE sms_outbox ADD COLUMN activation TEXT;"
  "ALTER TABLE sms_outbox ADD COLUMN code_expires_at INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE sms_outbox ADD COLUMN redacted_body TEXT;"
  "UPDATE sms_outbox SET body = substr (body, 1, instr (body, ' es ') + 3) || '••••••'"
  "                             || substr (body, instr (body, ' es ') + 10)"
  " WHERE instr (body, ' es ') > 0;"
  "CREATE INDEX sms_outbox_citizen ON sms_outbox (citizen, created_at);"
  "CREATE INDEX sms_outbox_unredacted_activation ON sms_outbox (activation)"
  " WHERE redacted_body IS NOT NULL;"
  "CREATE INDEX sms_outbox_unredacted_expiry ON sms_outbox (code_expires_at)"
  " WHERE redacted_body IS NOT NULL;"
  "CREATE TABLE wrong_codes ("
  "  id         INTEGER PRIMARY KEY,"
  "  citizen    TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX wrong_codes_citizen ON wrong_codes (citizen, created_at);"
  "CREATE INDEX wrong_codes_created_at ON wrong_codes (created_at);",

  /* 3: certificate proofs and registrations with a certificate. A
   * registration's SMS codes go through the same outbox and limits as an
   * activation's: sms_outbox.activation holds the registration id
   * ("reg_…") and sms_outbox.citizen / wrong_codes.citizen its document
   * (the person, registered or about to be). */
  "CREATE TABLE challenges ("
  "  id         TEXT PRIMARY KEY,"
  "  challenge  TEXT NOT NULL,"
  "  address    TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  used       INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX challenges_address ON challenges (address, created_at);"
  "CREATE INDEX challenges_expires_at ON challenges (expires_at);"
  "CREATE TABLE registrations ("
  "  id              TEXT PRIMARY KEY,"
  "  token_hash      TEXT NOT NULL,"
  "  document        TEXT NOT NULL REFERENCES identities (document) ON DELETE CASCADE,"
  "  phone           TEXT NOT NULL,"
  "  email           TEXT NOT NULL,"
  "  channel         TEXT NOT NULL,"
  "  created_at      INTEGER NOT NULL,"
  "  expires_at      INTEGER NOT NULL,"
  "  state           TEXT NOT NULL,"
  "  code_hmac       TEXT,"
  "  code_expires_at INTEGER NOT NULL DEFAULT 0,"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  sends           INTEGER NOT NULL DEFAULT 0,"
  "  last_sent_at    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX registrations_document ON registrations (document, state);"
  "CREATE INDEX registrations_expires_at ON registrations (expires_at);",

  /* 4: Cl@ve Móvil. seq orders a citizen's history: every change of a
   * request takes the next value of the counter, so incremental sync sees
   * status changes too. */
  "CREATE TABLE relying_parties ("
  "  id         TEXT PRIMARY KEY,"
  "  name       TEXT NOT NULL,"
  "  origin     TEXT NOT NULL,"
  "  key_hash   TEXT NOT NULL UNIQUE,"
  "  created_at INTEGER NOT NULL,"
  "  demo       INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE TABLE auth_requests ("
  "  id                TEXT PRIMARY KEY,"
  "  rp                TEXT NOT NULL REFERENCES relying_parties (id) ON DELETE CASCADE,"
  "  type              TEXT NOT NULL,"
  "  status            TEXT NOT NULL,"
  "  citizen           TEXT REFERENCES citizens (document) ON DELETE CASCADE,"
  "  device            TEXT,"
  "  verification_code TEXT NOT NULL,"
  "  pin_hmac          TEXT,"
  "  pin_attempts      INTEGER NOT NULL DEFAULT 0,"
  "  created_at        INTEGER NOT NULL,"
  "  expires_at        INTEGER NOT NULL,"
  "  answered_at       INTEGER,"
  "  seq               INTEGER NOT NULL"
  ");"
  "CREATE INDEX auth_requests_citizen_seq ON auth_requests (citizen, seq);"
  "CREATE INDEX auth_requests_pending ON auth_requests (expires_at) WHERE status = 'pending';"
  "CREATE TABLE counters ("
  "  name  TEXT PRIMARY KEY,"
  "  value INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "INSERT INTO counters (name, value) VALUES ('auth_request_seq', 0);"
  "ALTER TABLE devices ADD COLUMN push_key BLOB;",

  /* 5: identification limits per source (docs/security.md
   * "Identification limits"). A failure's source is a client address (an
   * IPv6 one by its /64) or "rp:<id>" for a relying party; failures stay
   * a day, for the per-document backstop (the index on the renamed
   * column keeps its old name). known_sources: where a person identified
   * with the right contrast data or connected their device from, keyed by
   * an HMAC of document and source under the service's secret, so that
   * no address is kept in clear for the 30 days a row lives. */
  "ALTER TABLE identify_failures RENAME COLUMN address TO source;"
  "CREATE TABLE known_sources ("
  "  key       TEXT PRIMARY KEY,"
  "  last_seen INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE INDEX known_sources_last_seen ON known_sources (last_seen);",

  /* 6: speed at scale (issue 8). A citizen's pending requests are read
   * without going through their past ones (a partial index holds only
   * pending rows, in the order of the list); past requests leave by
   * their creation time after the retention (--request-retention-days);
   * the demo website's relying party is found without reading the
   * others. Relying parties by id and by key hash already have the
   * unique indexes of their constraints. */
  "CREATE INDEX auth_requests_citizen_pending ON auth_requests (citizen, created_at, seq)"
  " WHERE status = 'pending';"
  "CREATE INDEX auth_requests_created_at ON auth_requests (created_at);"
  "CREATE INDEX relying_parties_demo ON relying_parties (created_at, id) WHERE demo = 1;",

  /* 7: giving up Cl@ve (issue 11). The registration leaves citizens
   * (with its devices, activations and requests, by their foreign keys),
   * so that the person is simply not registered any more and may
   * register again; what is kept is that, and when, they gave it up. */
  "CREATE TABLE given_up ("
  "  document      TEXT NOT NULL REFERENCES identities (document) ON DELETE CASCADE,"
  "  given_up_at   INTEGER NOT NULL,"
  "  level         TEXT NOT NULL,"
  "  channel       TEXT NOT NULL,"
  "  registered_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX given_up_document ON given_up (document, given_up_at);",

  /* 8: changing the phone (issue 11). A change waits for the code sent
   * to the new number; it goes with the registration. */
  "CREATE TABLE phone_changes ("
  "  id              TEXT PRIMARY KEY,"
  "  document        TEXT NOT NULL REFERENCES citizens (document) ON DELETE CASCADE,"
  "  phone           TEXT NOT NULL,"
  "  created_at      INTEGER NOT NULL,"
  "  expires_at      INTEGER NOT NULL,"
  "  state           TEXT NOT NULL DEFAULT 'pending',"
  "  code_hmac       TEXT,"
  "  code_expires_at INTEGER NOT NULL DEFAULT 0,"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  sends           INTEGER NOT NULL DEFAULT 0,"
  "  last_sent_at    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX phone_changes_document ON phone_changes (document);",

  /* 9: changing the e-mail (issue 11). The outbox carries e-mails too
   * (channel 'email': phone holds the address); an e-mail change has no
   * address until its first code is sent, and the address changes only
   * with a new code. */
  "ALTER TABLE sms_outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';"
  "CREATE TABLE email_changes ("
  "  id              TEXT PRIMARY KEY,"
  "  document        TEXT NOT NULL REFERENCES citizens (document) ON DELETE CASCADE,"
  "  email           TEXT,"
  "  created_at      INTEGER NOT NULL,"
  "  expires_at      INTEGER NOT NULL,"
  "  state           TEXT NOT NULL DEFAULT 'pending',"
  "  code_hmac       TEXT,"
  "  code_expires_at INTEGER NOT NULL DEFAULT 0,"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  sends           INTEGER NOT NULL DEFAULT 0,"
  "  last_sent_at    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX email_changes_document ON email_changes (document);",

  /* 10: Cl@ve Permanente (issue 12). One row per citizen who has it, gone
   * with the registration; the activation code and the password only as
   * an HMAC and a slow salted hash. */
  "CREATE TABLE permanente ("
  "  document          TEXT PRIMARY KEY REFERENCES citizens (document) ON DELETE CASCADE,"
  "  code_hmac         TEXT,"
  "  code_created_at   INTEGER NOT NULL DEFAULT 0,"
  "  code_expires_at   INTEGER NOT NULL DEFAULT 0,"
  "  code_attempts     INTEGER NOT NULL DEFAULT 0,"
  "  password_hash     TEXT,"
  "  password_set_at   INTEGER NOT NULL DEFAULT 0,"
  "  password_attempts INTEGER NOT NULL DEFAULT 0,"
  "  created_at        INTEGER NOT NULL"
  ") WITHOUT ROWID;",

  /* 11: activating Cl@ve Permanente on the activation website (issue
   * 12): an activation's shape (bearer token, SMS code through the
   * outbox, wrong codes counted for the person), in its own table. */
  "CREATE TABLE permanente_activations ("
  "  id              TEXT PRIMARY KEY,"
  "  token_hash      TEXT NOT NULL,"
  "  document        TEXT NOT NULL REFERENCES citizens (document) ON DELETE CASCADE,"
  "  created_at      INTEGER NOT NULL,"
  "  expires_at      INTEGER NOT NULL,"
  "  state           TEXT NOT NULL DEFAULT 'pending',"
  "  code_hmac       TEXT,"
  "  code_expires_at INTEGER NOT NULL DEFAULT 0,"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  sends           INTEGER NOT NULL DEFAULT 0,"
  "  last_sent_at    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX permanente_activations_document ON permanente_activations (document);",

  /* 12: Cl@ve Firma certificates (issue 12). No foreign key to citizens:
   * a revoked certificate stays on the CRL after its holder gave up Cl@ve.
   * The private key only sealed, and gone once revoked. */
  "CREATE TABLE firma_certificates ("
  "  serial      TEXT PRIMARY KEY,"
  "  document    TEXT NOT NULL,"
  "  holder      TEXT NOT NULL,"
  "  issuer      TEXT NOT NULL,"
  "  cert_pem    TEXT NOT NULL,"
  "  key_box     BLOB,"
  "  not_before  INTEGER NOT NULL,"
  "  not_after   INTEGER NOT NULL,"
  "  issued_at   INTEGER NOT NULL,"
  "  revoked_at  INTEGER NOT NULL DEFAULT 0,"
  "  revoked_by  TEXT"
  ") WITHOUT ROWID;"
  "CREATE INDEX firma_certificates_document ON firma_certificates (document);"
  "CREATE INDEX firma_certificates_revoked ON firma_certificates (revoked_at)"
  " WHERE revoked_at > 0;",

  /* 13: registrations by video identification (issue 13). The pictures
   * are files (STATE_DIR/video/), not rows; a review keeps the decision,
   * its time and its operator. One pending a document. */
  "CREATE TABLE video_registrations ("
  "  id              TEXT PRIMARY KEY,"
  "  token_hash      TEXT NOT NULL,"
  "  document        TEXT NOT NULL REFERENCES identities (document) ON DELETE CASCADE,"
  "  phone           TEXT NOT NULL,"
  "  email           TEXT NOT NULL,"
  "  created_at      INTEGER NOT NULL,"
  "  expires_at      INTEGER NOT NULL,"
  "  state           TEXT NOT NULL,"
  "  code_hmac       TEXT,"
  "  code_expires_at INTEGER NOT NULL DEFAULT 0,"
  "  attempts        INTEGER NOT NULL DEFAULT 0,"
  "  sends           INTEGER NOT NULL DEFAULT 0,"
  "  last_sent_at    INTEGER NOT NULL DEFAULT 0,"
  "  submitted_at    INTEGER NOT NULL DEFAULT 0,"
  "  decided_at      INTEGER NOT NULL DEFAULT 0,"
  "  operator        TEXT,"
  "  reason          TEXT"
  ");"
  "CREATE INDEX video_registrations_document ON video_registrations (document, state);"
  "CREATE UNIQUE INDEX video_registrations_pending ON video_registrations (document)"
  " WHERE state = 'pending';",
};

/* Brings the schema to @target (the newest: G_N_ELEMENTS (migrations)). */
gboolean
_clave_sqlite_migrate (ClaveSqliteStore  *self,
                       guint              target,
                       GError           **error)
{
  int current = _clave_sqlite_read_user_version (self, error);

  if (current < 0)
    return FALSE;
  if (current == (int) G_N_ELEMENTS (migrations))
    {
      self->schema_version = current;
      return TRUE;
    }

  for (guint i = 0; i < target; i++)
    {
      g_autofree char *bump = NULL;
      int version;

      if (!_clave_sqlite_begin (self, error))
        return FALSE;

      /* Read inside the write transaction: another process may have
       * migrated while we waited for the lock. */
      version = _clave_sqlite_read_user_version (self, error);
      if (version < 0)
        return _clave_sqlite_rollback (self);
      if (version > (int) G_N_ELEMENTS (migrations))
        {
          g_set_error (error, CLAVE_STORE_ERROR, CLAVE_STORE_ERROR_FAILED,
                       "The database %s has schema version %d, newer than this program knows (%u)",
                       self->path, version, (guint) G_N_ELEMENTS (migrations));
          return _clave_sqlite_rollback (self);
        }
      if (version > (int) i)
        {
          _clave_sqlite_exec (self, "COMMIT", NULL);
          continue;
        }

      g_debug ("Migrating %s to schema version %u", self->path, i + 1);
      bump = g_strdup_printf ("PRAGMA user_version = %u", i + 1);
      if (!_clave_sqlite_exec (self, migrations[i], error) || !_clave_sqlite_exec (self, bump,
                                                                                   error))
        return _clave_sqlite_rollback (self);
      if (!_clave_sqlite_commit (self, error))
        return FALSE;
    }

  self->schema_version = _clave_sqlite_read_user_version (self, error);
  return self->schema_version >= 0;
}

guint
_clave_sqlite_store_get_latest_version (void)
{
  return G_N_ELEMENTS (migrations);
}
