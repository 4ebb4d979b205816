/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A real PC/SC stack for card tests: a private pcscd with vsmartcard's
 * vpcd reader driver, and a virtual CAC card (tests/fixtures/clave-test-vicc,
 * libcacard) that is put in and pulled out of the reader on demand. OpenSC,
 * loaded in the test process, reads the card through pcscd as it reads a
 * real one.
 *
 * pcscd 1.9.9 (like every release up to 2.x) has its socket and pid file
 * at the compiled-in /run/pcscd; only the client library reads
 * PCSCLITE_CSOCK_NAME. So pcscd runs in a private mount namespace
 * ("unshare --mount", with "--map-root-user" when the test is not root)
 * where a folder of the fixture is mounted on /run: the socket is
 * FOLDER/run/pcscd/pcscd.comm, and neither the system's pcscd nor the
 * pcscd of a test running in parallel is disturbed. The namespace also
 * hides the USB reader drivers (an empty tmpfs on /usr/lib/pcsc/drivers),
 * so that the test's pcscd sees its virtual reader only and never takes a
 * real reader away from the system's pcscd.
 *
 * The first clave_test_pcsc_start() of a process sets PCSCLITE_CSOCK_NAME
 * and OPENSC_CONF in its environment, for good (libpcsclite reads the
 * socket name once, on first use: start the fixture before anything in the
 * process talks to PC/SC). The runtime folder, hence the socket path, is
 * the same for the whole process, so a test may start and stop the
 * fixture in each test case, but only one fixture may run at a time in a
 * process. The runtime folder holds an
 * opensc.conf that turns OpenSC's file cache off: with the cache on (a
 * developer's /etc/opensc/opensc.conf may turn it on) OpenSC reads
 * certificates from ~/.cache instead of the card, the APDU counts change,
 * and the two cards, which have the same serial number, would share
 * cached files.
 *
 * The programs and fixtures come from environment variables that
 * tests/fixtures/meson.build sets on test_env: CLAVE_TEST_PCSCD,
 * CLAVE_TEST_VPCD_DRIVER, CLAVE_TEST_VICC, CLAVE_TEST_VICC_CARDS,
 * CLAVE_TEST_CARD_HOLDER (and CLAVE_TEST_OPENSC_MODULE for the tests).
 * When one is missing, or the system cannot make a mount namespace,
 * clave_test_pcsc_start() fails with CLAVE_TEST_PCSC_ERROR_UNAVAILABLE,
 * which tests turn into g_test_skip().
 *
 * Every child process gets PR_SET_PDEATHSIG: a test that dies leaves no
 * pcscd or card behind. CLAVE_TEST_PCSC_DEBUG=1 makes pcscd, the card and
 * OpenSC log to the test's stderr.
 *
 * Every call blocks (with a timeout); none needs a main loop.
 */
typedef struct _ClaveTestPcsc ClaveTestPcsc;

#define CLAVE_TEST_PCSC_ERROR (clave_test_pcsc_error_quark ())

typedef enum {
  /* A program, the card fixture or mount namespaces are missing: skip. */
  CLAVE_TEST_PCSC_ERROR_UNAVAILABLE,
  CLAVE_TEST_PCSC_ERROR_FAILED,
  CLAVE_TEST_PCSC_ERROR_TIMED_OUT,
} ClaveTestPcscError;

/* The cards (tests/fixtures/make-vicc-card.sh): Lucía's DNIe-style
 * authentication and signing certificates and keys, with or without the
 * "AC DNIE 004" intermediate, on a CAC card (OpenSC labels them "CAC ID
 * Certificate", "CAC Email Signature Certificate", ...). */
#define CLAVE_TEST_PCSC_CARD_LUCIA        "lucia-dnie"
#define CLAVE_TEST_PCSC_CARD_LUCIA_NOINT  "lucia-dnie-noint"
#define CLAVE_TEST_PCSC_PIN               "123456"
#define CLAVE_TEST_PCSC_MAX_TRIES         3

typedef enum {
  CLAVE_TEST_PCSC_CARD_DEFAULT         = 0,
  /* Answer as libcacard itself does: no PIN tries counter, 69 85 to a
   * wrong PIN (OpenSC's C_Login then returns CKR_GENERAL_ERROR) and to a
   * signature without login (C_Sign: CKR_FUNCTION_FAILED). By default the
   * card answers as a real one: 63 Cx to a wrong PIN, 69 83 once blocked,
   * 69 82 to a signature without login. */
  CLAVE_TEST_PCSC_CARD_RAW_LIBCACARD   = 1 << 0,
} ClaveTestPcscCardFlags;

GQuark         clave_test_pcsc_error_quark             (void);

/* Starts pcscd with an empty reader and waits (up to 20 s) until it lists
 * the reader. */
ClaveTestPcsc *clave_test_pcsc_start                   (GError                **error);
/* Puts @card (CLAVE_TEST_PCSC_CARD_*) in the reader and returns once pcscd
 * reports it present (up to 20 s). A card that was pulled out with
 * clave_test_pcsc_remove_card() goes back with its state (PIN tries);
 * another card replaces it with a fresh one. */
gboolean       clave_test_pcsc_insert_card             (ClaveTestPcsc          *self,
                                                        const char             *card,
                                                        GError                **error);
gboolean       clave_test_pcsc_insert_card_with_flags  (ClaveTestPcsc          *self,
                                                        const char             *card,
                                                        ClaveTestPcscCardFlags  flags,
                                                        GError                **error);
/* Pulls the card out and returns once pcscd reports the reader empty
 * (up to 20 s). */
gboolean       clave_test_pcsc_remove_card             (ClaveTestPcsc          *self,
                                                        GError                **error);
/* Command APDUs the cards received since the fixture started (control
 * messages such as power on or the ATR are not counted). The count is
 * up to date as soon as the APDU's answer reaches pcscd. */
guint64        clave_test_pcsc_get_apdu_count          (ClaveTestPcsc          *self);
/* The card's PIN tries left (CLAVE_TEST_PCSC_MAX_TRIES when fresh, 0 when
 * blocked; always CLAVE_TEST_PCSC_MAX_TRIES on a RAW_LIBCACARD card), or -1
 * when no card was inserted. set_pin_tries sets them, to block or unblock
 * the PIN without wrong PINs. */
int            clave_test_pcsc_get_pin_tries           (ClaveTestPcsc          *self);
gboolean       clave_test_pcsc_set_pin_tries           (ClaveTestPcsc          *self,
                                                        int                     tries,
                                                        GError                **error);
/* Starts clave-test-card-holder on the reader and returns once it holds a
 * PC/SC transaction on the card: another program keeping the card busy
 * (one holder at a time: a second one waits for the first's transaction,
 * and this fails after 20 s).
 * g_subprocess_send_signal (holder, SIGTERM) ends the transaction (the
 * holder then exits with status 0); clave_test_pcsc_stop() ends any holder
 * still running. */
GSubprocess   *clave_test_pcsc_hold_card               (ClaveTestPcsc          *self,
                                                        GError                **error);
/* With @exclusive, the holder connects with SCARD_SHARE_EXCLUSIVE instead
 * of a shared connection and a transaction: then nobody else can even
 * connect to the card (OpenSC's calls fail instead of waiting). */
GSubprocess   *clave_test_pcsc_hold_card_with_mode     (ClaveTestPcsc          *self,
                                                        gboolean                exclusive,
                                                        GError                **error);
/* PCSCLITE_CSOCK_NAME. */
const char    *clave_test_pcsc_get_socket              (ClaveTestPcsc          *self);
/* The PC/SC name of the reader the card goes into. vpcd also adds a second
 * reader, always empty ("... 01"). */
const char    *clave_test_pcsc_get_reader_name         (ClaveTestPcsc          *self);
/* $CLAVE_TEST_OPENSC_MODULE, or NULL. */
const char    *clave_test_pcsc_get_opensc_module       (void);
/* Ends the card holders, the card and pcscd, removes the runtime folder
 * and frees @self. Safe on NULL. */
void           clave_test_pcsc_stop                    (ClaveTestPcsc          *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClaveTestPcsc, clave_test_pcsc_stop)

G_END_DECLS
