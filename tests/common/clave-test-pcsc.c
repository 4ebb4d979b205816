/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clave-test-pcsc"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <winscard.h>

#include "clave-test-files.h"
#include "clave-test-pcsc.h"

#define TIMEOUT_MS            (20 * 1000)
#define STOP_TIMEOUT_MS       (10 * 1000)
#define READER_FRIENDLY_NAME  "Clave Test vpcd"
/* vpcd makes two readers (slots) of one reader.conf entry, on PORT and
 * PORT + 1; the card goes into the first. */
#define READER_NAME           READER_FRIENDLY_NAME " 00 00"
#define PORT_ATTEMPTS         5

struct _ClaveTestPcsc
{
  char                   *folder;
  char                   *socket_path;
  guint16                 port;
  SCARDCONTEXT            context;
  gboolean                has_context;
  GSubprocess            *pcscd;

  /* The card: one clave-test-vicc process, which stays while the card is
   * out of the reader so that it keeps its state. */
  GSubprocess            *vicc;
  char                   *vicc_card;
  ClaveTestPcscCardFlags  vicc_flags;
  char                   *card_dir;
  guint                   card_serial;
  gboolean                inserted;
  guint64                 apdu_base;

  GPtrArray              *holders;
};

/* libpcsclite reads PCSCLITE_CSOCK_NAME once per process: every fixture
 * of the process uses the same folder (made again at each start). */
static char *process_folder;
static gboolean fixture_running;

G_DEFINE_QUARK (clave-test-pcsc-error-quark, clave_test_pcsc_error)

/* Helpers */

static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  /* If the test dies without stopping the fixture, its pcscd, card and
   * holders must not outlive it. The death signal goes with the thread
   * that forked: fixtures are started from the test's main thread. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () != parent)
    _exit (1);
}

static GSubprocessLauncher *
launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, child_setup,
                                         GINT_TO_POINTER (getpid ()), NULL);
  return launcher;
}

static gboolean
debugging (void)
{
  return g_strcmp0 (g_getenv ("CLAVE_TEST_PCSC_DEBUG"), "1") == 0;
}

static const char *
path_from_env (const char  *variable,
               GFileTest    test,
               GError     **error)
{
  const char *path = g_getenv (variable);

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE,
                   "%s is not set (tests/fixtures/meson.build sets it when pcscd, "
                   "vsmartcard-vpcd, libcacard, libpcsclite and the NSS tools are there)",
                   variable);
      return NULL;
    }
  if (!g_file_test (path, test))
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE,
                   "%s=%s does not exist", variable, path);
      return NULL;
    }
  return path;
}

static gboolean
is_running (GSubprocess *process)
{
  /* GSubprocess reaps the child from GLib's worker thread, so this turns
   * NULL without anyone iterating a main loop. */
  return process != NULL && g_subprocess_get_identifier (process) != NULL;
}

/* SIGTERM, then SIGKILL after STOP_TIMEOUT_MS. */
static void
terminate (GSubprocess *process)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) STOP_TIMEOUT_MS * 1000;

  if (process == NULL)
    return;

  if (is_running (process))
    g_subprocess_send_signal (process, SIGTERM);
  while (is_running (process) && g_get_monotonic_time () < deadline)
    g_usleep (5 * 1000);
  if (is_running (process))
    {
      g_warning ("%s did not end on SIGTERM, killing it", g_subprocess_get_identifier (process));
      g_subprocess_force_exit (process);
    }
  g_subprocess_wait (process, NULL, NULL);
}

static char *
describe_exit (GSubprocess *process)
{
  if (g_subprocess_get_if_exited (process))
    return g_strdup_printf ("exited with status %d", g_subprocess_get_exit_status (process));
  if (g_subprocess_get_if_signaled (process))
    return g_strdup_printf ("was killed by signal %d", g_subprocess_get_term_sig (process));
  return g_strdup ("ended");
}

/* One line of @process's stdout, waiting until @deadline (monotonic
 * microseconds). */
static char *
read_line (GSubprocess  *process,
           const char   *name,
           gint64        deadline,
           GError      **error)
{
  GInputStream *out = g_subprocess_get_stdout_pipe (process);
  int fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (out));
  g_autoptr(GString) line = g_string_new (NULL);

  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 remaining = (deadline - g_get_monotonic_time ()) / 1000;
      char c;
      ssize_t n;
      int ready;

      if (remaining <= 0)
        {
          g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_TIMED_OUT,
                       "%s said nothing within %d s", name, TIMEOUT_MS / 1000);
          return NULL;
        }

      ready = poll (&pfd, 1, (int) MIN (remaining, G_MAXINT));
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready < 0)
        {
          g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                       "poll: %s", g_strerror (errno));
          return NULL;
        }
      if (ready == 0)
        continue;

      n = read (fd, &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_autofree char *how = NULL;

          g_subprocess_wait (process, NULL, NULL);
          how = describe_exit (process);
          g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                       "%s %s (its stderr is above)", name, how);
          return NULL;
        }
      if (c == '\n')
        return g_string_free (g_steal_pointer (&line), FALSE);
      g_string_append_c (line, c);
    }
}

static gboolean
pcsc_failed (LONG         rv,
             const char  *what,
             GError     **error)
{
  g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
               "%s: %s (0x%08lX)", what, pcsc_stringify_error (rv), (unsigned long) rv);
  return FALSE;
}

/* pcscd */

/* Two consecutive free TCP ports (vpcd listens on both, on every address).
 * Another process may take them before pcscd does; start() then tries
 * again with other ports. */
static gboolean
find_ports (guint16  *port,
            GError  **error)
{
  for (guint attempt = 0; attempt < 50; attempt++)
    {
      struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_ANY) };
      socklen_t len = sizeof addr;
      int first = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int second = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      gboolean found = FALSE;

      if (first >= 0 && second >= 0 &&
          bind (first, (struct sockaddr *) &addr, sizeof addr) == 0 &&
          getsockname (first, (struct sockaddr *) &addr, &len) == 0 &&
          ntohs (addr.sin_port) < 65535)
        {
          *port = ntohs (addr.sin_port);
          addr.sin_port = htons ((guint16) (*port + 1));
          found = bind (second, (struct sockaddr *) &addr, sizeof addr) == 0;
        }
      if (first >= 0)
        close (first);
      if (second >= 0)
        close (second);
      if (found)
        return TRUE;
    }

  g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
               "No two consecutive free TCP ports for vpcd");
  return FALSE;
}

/* unshare's arguments for a private mount namespace: "--map-root-user"
 * (a user namespace) when the test does not run as root, since mounting
 * needs CAP_SYS_ADMIN in the namespace that owns the mounts. */
static GPtrArray *
unshare_argv (const char *unshare)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) unshare);
  if (geteuid () != 0)
    g_ptr_array_add (argv, (gpointer) "--map-root-user");
  g_ptr_array_add (argv, (gpointer) "--mount");
  g_ptr_array_add (argv, (gpointer) "--propagation");
  g_ptr_array_add (argv, (gpointer) "private");
  g_ptr_array_add (argv, (gpointer) "--");
  return argv;
}

/* Mounting inside a new mount namespace fails in some containers
 * (seccomp, no user namespaces for unprivileged users): find out before
 * starting pcscd, so that the tests skip instead of failing. */
static gboolean
check_namespaces (const char  *unshare,
                  const char  *folder,
                  GError     **error)
{
  g_autoptr(GPtrArray) argv = unshare_argv (unshare);
  g_autoptr(GSubprocess) probe = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, (gpointer) "/bin/sh");
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) "mount -n --bind \"$1\" \"$1\"");
  g_ptr_array_add (argv, (gpointer) "sh");
  g_ptr_array_add (argv, (gpointer) folder);
  g_ptr_array_add (argv, NULL);

  probe = g_subprocess_newv ((const char * const *) argv->pdata,
                             G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             error);
  if (probe == NULL || !g_subprocess_communicate_utf8 (probe, NULL, NULL, NULL, &err, error))
    return FALSE;

  if (!g_subprocess_get_if_exited (probe) || g_subprocess_get_exit_status (probe) != 0)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE,
                   "Cannot mount in a private mount namespace, which the test pcscd needs "
                   "(its socket is always /run/pcscd/pcscd.comm): %s",
                   err != NULL ? g_strstrip (err) : "");
      return FALSE;
    }
  return TRUE;
}

/* In the namespace: the fixture's run/ on /run (pcscd makes /run/pcscd),
 * the vpcd driver on a file of the folder, and an empty tmpfs on the USB
 * drivers' folders (pcscd then disables USB; see the header). $1 folder,
 * $2 vpcd driver, $3 pcscd, then pcscd's extra arguments. */
static const char pcscd_script[] =
  "set -e\n"
  "mount -n --bind \"$2\" \"$1/libifdvpcd.so\"\n"
  "mount -n --bind \"$1/run\" /run\n"
  "for drivers in /usr/lib/pcsc/drivers /usr/lib64/pcsc/drivers /usr/local/lib/pcsc/drivers; do\n"
  "  if [ -d \"$drivers\" ]; then\n"
  "    mount -n -t tmpfs -o mode=0755,size=64k clave-test-pcsc \"$drivers\"\n"
  "  fi\n"
  "done\n"
  "folder=$1 pcscd=$3\n"
  "shift 3\n"
  "exec \"$pcscd\" --foreground --config \"$folder/reader.conf.d\" \"$@\"\n";

static gboolean
write_reader_conf (ClaveTestPcsc  *self,
                   GError        **error)
{
  g_autofree char *path = g_build_filename (self->folder, "reader.conf.d", "clave-test-vpcd", NULL);
  g_autofree char *driver = g_build_filename (self->folder, "libifdvpcd.so", NULL);
  g_autofree char *conf = g_strdup_printf ("FRIENDLYNAME \"%s\"\n"
                                           "DEVICENAME   /dev/null:%u\n"
                                           "LIBPATH      %s\n",
                                           READER_FRIENDLY_NAME, self->port, driver);

  return g_file_set_contents (path, conf, -1, error);
}

static GSubprocess *
spawn_pcscd (ClaveTestPcsc  *self,
             const char     *unshare,
             const char     *pcscd,
             const char     *driver,
             GError        **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = unshare_argv (unshare);

  g_ptr_array_add (argv, (gpointer) "/bin/sh");
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) pcscd_script);
  g_ptr_array_add (argv, (gpointer) "sh");
  g_ptr_array_add (argv, self->folder);
  g_ptr_array_add (argv, (gpointer) driver);
  g_ptr_array_add (argv, (gpointer) pcscd);
  if (debugging ())
    {
      g_ptr_array_add (argv, (gpointer) "--debug");
      g_ptr_array_add (argv, (gpointer) "--apdu");
    }
  else
    {
      /* At its default level pcscd reports OpenSC's SCardControl() probes
       * that vpcd does not support ("Card not transacted"). */
      g_ptr_array_add (argv, (gpointer) "--critical");
    }
  g_ptr_array_add (argv, NULL);

  launcher = launcher_new (G_SUBPROCESS_FLAGS_NONE);
  /* pcscd logs to stdout in the foreground: keep the test's stdout for
   * TAP. */
  g_subprocess_launcher_take_stdout_fd (launcher, dup (STDERR_FILENO));
  /* Not socket-activated, whatever the test's environment says. */
  g_subprocess_launcher_unsetenv (launcher, "LISTEN_FDS");
  g_subprocess_launcher_unsetenv (launcher, "LISTEN_PID");
  return g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
}

typedef enum {
  READER_READY,
  READER_MISSING,
  READER_ERROR,
} ReaderState;

/* pcscd adds the readers of reader.conf.d before it creates its socket, so
 * once a context can be made the reader is either there or missing for
 * good (vpcd could not listen on its port). */
static ReaderState
wait_for_reader (ClaveTestPcsc  *self,
                 GError        **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) TIMEOUT_MS * 1000;
  g_autofree char *readers = NULL;
  DWORD len = 0;
  LONG rv;

  while (!self->has_context)
    {
      if (!is_running (self->pcscd))
        {
          g_autofree char *how = NULL;

          g_subprocess_wait (self->pcscd, NULL, NULL);
          how = describe_exit (self->pcscd);
          g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                       "pcscd %s before it was ready (its output is above)", how);
          return READER_ERROR;
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_TIMED_OUT,
                       "pcscd did not open %s within %d s", self->socket_path, TIMEOUT_MS / 1000);
          return READER_ERROR;
        }

      if (!g_file_test (self->socket_path, G_FILE_TEST_EXISTS))
        {
          g_usleep (5 * 1000);
          continue;
        }
      rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &self->context);
      if (rv == SCARD_S_SUCCESS)
        self->has_context = TRUE;
      else if (rv == SCARD_E_NO_SERVICE)
        g_usleep (5 * 1000);
      else
        {
          pcsc_failed (rv, "SCardEstablishContext", error);
          return READER_ERROR;
        }
    }

  rv = SCardListReaders (self->context, NULL, NULL, &len);
  if (rv == SCARD_E_NO_READERS_AVAILABLE)
    return READER_MISSING;
  if (rv != SCARD_S_SUCCESS)
    {
      pcsc_failed (rv, "SCardListReaders", error);
      return READER_ERROR;
    }

  readers = g_malloc0 (len + 1);
  rv = SCardListReaders (self->context, NULL, readers, &len);
  if (rv != SCARD_S_SUCCESS)
    {
      pcsc_failed (rv, "SCardListReaders", error);
      return READER_ERROR;
    }

  for (const char *name = readers; *name != '\0'; name += strlen (name) + 1)
    if (g_str_equal (name, READER_NAME))
      return READER_READY;
  return READER_MISSING;
}

static void
stop_pcscd (ClaveTestPcsc *self)
{
  if (self->has_context)
    {
      SCardReleaseContext (self->context);
      self->has_context = FALSE;
    }
  terminate (self->pcscd);
  g_clear_object (&self->pcscd);
}

static gboolean
wait_for_card (ClaveTestPcsc  *self,
               gboolean        present,
               GError        **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) TIMEOUT_MS * 1000;
  SCARD_READERSTATE state = { .szReader = READER_NAME, .dwCurrentState = SCARD_STATE_UNAWARE };

  for (;;)
    {
      gint64 remaining = (deadline - g_get_monotonic_time ()) / 1000;
      LONG rv;

      if (remaining <= 0)
        {
          g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_TIMED_OUT,
                       "pcscd did not see the card %s within %d s",
                       present ? "inserted" : "removed", TIMEOUT_MS / 1000);
          return FALSE;
        }

      rv = SCardGetStatusChange (self->context, (DWORD) remaining, &state, 1);
      if (rv == SCARD_E_TIMEOUT)
        continue;
      if (rv != SCARD_S_SUCCESS)
        return pcsc_failed (rv, "SCardGetStatusChange", error);

      if (present && (state.dwEventState & SCARD_STATE_MUTE))
        {
          g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                       "pcscd finds the card mute (no ATR)");
          return FALSE;
        }
      if (present && (state.dwEventState & SCARD_STATE_PRESENT))
        return TRUE;
      if (!present && (state.dwEventState & SCARD_STATE_EMPTY))
        return TRUE;

      state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
    }
}

/* The card */

/* One command on the card's control socket (see clave-test-vicc.c). */
static gboolean
control_card (ClaveTestPcsc  *self,
              const char     *command,
              GError        **error)
{
  g_autofree char *path = g_build_filename (self->card_dir, "control", NULL);
  g_autofree char *line = g_strconcat (command, "\n", NULL);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  gint64 deadline = g_get_monotonic_time () + (gint64) TIMEOUT_MS * 1000;
  char answer[512];
  gsize len = 0;
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "%s is too long for a UNIX socket", path);
      return FALSE;
    }
  strcpy (addr.sun_path, path);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      write (fd, line, strlen (line)) != (ssize_t) strlen (line))
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "Cannot send \"%s\" to the card: %s", command, g_strerror (saved));
      return FALSE;
    }

  while (len < sizeof answer - 1)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 remaining = (deadline - g_get_monotonic_time ()) / 1000;
      ssize_t n;

      if (remaining <= 0 || poll (&pfd, 1, (int) remaining) <= 0)
        break;
      n = read (fd, answer + len, 1);
      if (n <= 0 || answer[len] == '\n')
        break;
      len++;
    }
  answer[len] = '\0';
  close (fd);

  if (!g_str_equal (answer, "ok"))
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "The card answered \"%s\" to \"%s\"", answer, command);
      return FALSE;
    }
  return TRUE;
}

static guint64
read_card_number (ClaveTestPcsc *self,
                  const char    *name,
                  guint64        fallback)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  guint64 value;

  if (self->card_dir == NULL)
    return fallback;
  path = g_build_filename (self->card_dir, name, NULL);
  if (!g_file_get_contents (path, &text, NULL, NULL) ||
      !g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, G_MAXUINT64, &value, NULL))
    return fallback;
  return value;
}

static void
stop_card (ClaveTestPcsc *self)
{
  if (self->vicc == NULL)
    return;
  terminate (self->vicc);
  g_clear_object (&self->vicc);
  /* The count stays in the card's folder after it ends. */
  self->apdu_base += read_card_number (self, "apdus", 0);
  g_clear_pointer (&self->card_dir, g_free);
  g_clear_pointer (&self->vicc_card, g_free);
  self->inserted = FALSE;
}

static gboolean
copy_card_files (const char  *from,
                 const char  *to,
                 GError     **error)
{
  static const char * const files[] = { "cert9.db", "key4.db", "pkcs11.txt", "nicknames" };

  if (g_mkdir_with_parents (to, 0700) != 0)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "Cannot make %s: %s", to, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *src_path = g_build_filename (from, files[i], NULL);
      g_autofree char *dst_path = g_build_filename (to, files[i], NULL);
      g_autoptr(GFile) src = g_file_new_for_path (src_path);
      g_autoptr(GFile) dst = g_file_new_for_path (dst_path);

      if (!g_file_copy (src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
start_card (ClaveTestPcsc           *self,
            const char              *card,
            ClaveTestPcscCardFlags   flags,
            GError                 **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *source = NULL;
  g_autofree char *db = NULL;
  g_autofree char *nicknames_path = NULL;
  g_autofree char *nicknames = NULL;
  g_autofree char *line = NULL;
  g_auto(GStrv) lines = NULL;
  const char *vicc, *cards;

  vicc = path_from_env ("CLAVE_TEST_VICC", G_FILE_TEST_IS_EXECUTABLE, error);
  if (vicc == NULL)
    return FALSE;
  cards = path_from_env ("CLAVE_TEST_VICC_CARDS", G_FILE_TEST_IS_DIR, error);
  if (cards == NULL)
    return FALSE;
  source = g_build_filename (cards, card, NULL);
  if (!g_file_test (source, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE,
                   "No card \"%s\" in %s (tests/fixtures/make-vicc-card.sh)", card, cards);
      return FALSE;
    }

  /* A folder per card, so that nothing of the previous card (its control
   * socket, its counters) is mistaken for the new one's. */
  self->card_dir = g_strdup_printf ("%s/card-%u", self->folder, ++self->card_serial);
  db = g_build_filename (self->card_dir, "db", NULL);
  if (!copy_card_files (source, db, error))
    return FALSE;
  nicknames_path = g_build_filename (db, "nicknames", NULL);
  if (!g_file_get_contents (nicknames_path, &nicknames, NULL, error))
    return FALSE;

  g_ptr_array_add (argv, g_strdup (vicc));
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (db));
  lines = g_strsplit (nicknames, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*g_strstrip (lines[i]) != '\0')
      g_ptr_array_add (argv, g_strdup_printf ("--cert=%s", lines[i]));
  g_ptr_array_add (argv, g_strdup_printf ("--port=%u", self->port));
  g_ptr_array_add (argv, g_strdup ("--state-dir"));
  g_ptr_array_add (argv, g_strdup (self->card_dir));
  if (flags & CLAVE_TEST_PCSC_CARD_RAW_LIBCACARD)
    g_ptr_array_add (argv, g_strdup ("--raw-libcacard"));
  g_ptr_array_add (argv, NULL);

  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  if (debugging ())
    g_subprocess_launcher_setenv (launcher, "CLAVE_TEST_VICC_DEBUG", "1", TRUE);
  self->vicc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
  if (self->vicc == NULL)
    return FALSE;
  self->vicc_card = g_strdup (card);
  self->vicc_flags = flags;

  line = read_line (self->vicc, "clave-test-vicc",
                    g_get_monotonic_time () + (gint64) TIMEOUT_MS * 1000, error);
  if (line == NULL)
    return FALSE;
  if (!g_str_equal (line, "ready"))
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "Unexpected first line from clave-test-vicc: %s", line);
      return FALSE;
    }
  self->inserted = TRUE;
  return TRUE;
}

/* The fixture's folder, in the temporary folder unless that is under
 * /run, which the namespace covers (pcscd would not find the folder). */
static char *
make_process_folder (GError **error)
{
  g_autofree char *tmp = realpath (g_get_tmp_dir (), NULL);
  g_autofree char *folder = NULL;

  if (tmp == NULL || g_str_equal (tmp, "/run") || g_str_has_prefix (tmp, "/run/"))
    {
      g_free (tmp);
      tmp = g_strdup ("/tmp");
    }
  folder = g_build_filename (tmp, "clave-test-pcsc-XXXXXX", NULL);
  if (g_mkdtemp_full (folder, 0700) == NULL)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "Cannot make %s: %s", folder, g_strerror (errno));
      return NULL;
    }
  return g_steal_pointer (&folder);
}

/* Public API */

ClaveTestPcsc *
clave_test_pcsc_start (GError **error)
{
  g_autoptr(ClaveTestPcsc) self = NULL;
  g_autofree char *unshare = NULL;
  g_autofree char *run_dir = NULL;
  g_autofree char *conf_dir = NULL;
  g_autofree char *driver_mount = NULL;
  g_autofree char *opensc_conf = NULL;
  g_autofree char *opensc_conf_text = NULL;
  const char *pcscd, *driver;
  ReaderState state = READER_MISSING;

  if (fixture_running)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "A PC/SC fixture is already running in this process");
      return NULL;
    }

  pcscd = path_from_env ("CLAVE_TEST_PCSCD", G_FILE_TEST_IS_EXECUTABLE, error);
  if (pcscd == NULL)
    return NULL;
  driver = path_from_env ("CLAVE_TEST_VPCD_DRIVER", G_FILE_TEST_IS_REGULAR, error);
  if (driver == NULL)
    return NULL;
  /* Checked now so that a test skips before it starts anything. */
  if (path_from_env ("CLAVE_TEST_VICC", G_FILE_TEST_IS_EXECUTABLE, error) == NULL ||
      path_from_env ("CLAVE_TEST_VICC_CARDS", G_FILE_TEST_IS_DIR, error) == NULL ||
      path_from_env ("CLAVE_TEST_CARD_HOLDER", G_FILE_TEST_IS_EXECUTABLE, error) == NULL)
    return NULL;
  unshare = g_find_program_in_path ("unshare");
  if (unshare == NULL)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_UNAVAILABLE,
                   "unshare (util-linux) not found: the test pcscd needs a mount namespace");
      return NULL;
    }

  if (process_folder == NULL)
    {
      g_autofree char *socket_path = NULL;
      g_autofree char *conf_path = NULL;

      process_folder = make_process_folder (error);
      if (process_folder == NULL)
        return NULL;

      /* Set once, while the process is likely to have no other threads
       * (setenv is not thread-safe), and never unset: the paths are the
       * same for every fixture of the process. */
      socket_path = g_build_filename (process_folder, "run", "pcscd", "pcscd.comm", NULL);
      conf_path = g_build_filename (process_folder, "opensc.conf", NULL);
      g_setenv ("PCSCLITE_CSOCK_NAME", socket_path, TRUE);
      g_setenv ("OPENSC_CONF", conf_path, TRUE);
    }
  else if (g_mkdir (process_folder, 0700) != 0)
    {
      /* Never reuse a folder someone else made in its place. */
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "Cannot make %s again: %s", process_folder, g_strerror (errno));
      return NULL;
    }

  self = g_new0 (ClaveTestPcsc, 1);
  self->folder = g_strdup (process_folder);
  self->holders = g_ptr_array_new_with_free_func (g_object_unref);
  fixture_running = TRUE;

  self->socket_path = g_build_filename (self->folder, "run", "pcscd", "pcscd.comm", NULL);
  if (strlen (self->socket_path) >= sizeof ((struct sockaddr_un *) NULL)->sun_path)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "%s is too long for a UNIX socket (set a shorter TMPDIR)", self->socket_path);
      return NULL;
    }

  run_dir = g_build_filename (self->folder, "run", NULL);
  conf_dir = g_build_filename (self->folder, "reader.conf.d", NULL);
  driver_mount = g_build_filename (self->folder, "libifdvpcd.so", NULL);
  opensc_conf = g_build_filename (self->folder, "opensc.conf", NULL);
  opensc_conf_text = g_strdup_printf (
    "# tests/common/clave-test-pcsc.c: OpenSC's defaults but for the file cache.\n"
    "app default {\n"
    "  debug = %d;\n"
    "  debug_file = stderr;\n"
    "  framework pkcs15 {\n"
    "    use_file_caching = no;\n"
    "  }\n"
    "}\n",
    debugging () ? 3 : 0);
  if (g_mkdir (run_dir, 0755) != 0 || g_mkdir (conf_dir, 0700) != 0)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "Cannot fill %s: %s", self->folder, g_strerror (errno));
      return NULL;
    }
  if (!g_file_set_contents (driver_mount, "", 0, error) ||
      !g_file_set_contents (opensc_conf, opensc_conf_text, -1, error))
    return NULL;

  if (!check_namespaces (unshare, self->folder, error))
    return NULL;

  for (guint attempt = 0; attempt < PORT_ATTEMPTS && state == READER_MISSING; attempt++)
    {
      if (attempt > 0)
        {
          g_test_message ("vpcd could not listen on port %u, trying other ports", self->port);
          stop_pcscd (self);
          /* pcscd removes its socket when it ends; make sure a stale one
           * is not taken for the next pcscd's. */
          g_unlink (self->socket_path);
        }
      if (!find_ports (&self->port, error) || !write_reader_conf (self, error))
        return NULL;
      self->pcscd = spawn_pcscd (self, unshare, pcscd, driver, error);
      if (self->pcscd == NULL)
        return NULL;
      state = wait_for_reader (self, error);
    }

  if (state == READER_MISSING)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "pcscd did not list the reader \"%s\" (vpcd could not listen?)", READER_NAME);
      return NULL;
    }
  if (state == READER_ERROR)
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
clave_test_pcsc_insert_card (ClaveTestPcsc  *self,
                             const char     *card,
                             GError        **error)
{
  return clave_test_pcsc_insert_card_with_flags (self, card, CLAVE_TEST_PCSC_CARD_DEFAULT, error);
}

gboolean
clave_test_pcsc_insert_card_with_flags (ClaveTestPcsc           *self,
                                        const char              *card,
                                        ClaveTestPcscCardFlags   flags,
                                        GError                 **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (card != NULL, FALSE);

  if (self->vicc != NULL && is_running (self->vicc) &&
      g_str_equal (self->vicc_card, card) && self->vicc_flags == flags)
    {
      /* The same card goes back in. */
      if (!self->inserted)
        {
          if (!control_card (self, "insert", error))
            return FALSE;
          self->inserted = TRUE;
        }
    }
  else
    {
      /* Another card: pcscd must see the reader empty first, or the old
       * card's "present" would be taken for the new one's. */
      if (self->vicc != NULL)
        {
          if (is_running (self->vicc))
            {
              if (!clave_test_pcsc_remove_card (self, error))
                return FALSE;
            }
          else if (self->inserted && !wait_for_card (self, FALSE, error))
            {
              /* The card program died: pcscd sees the card go. */
              return FALSE;
            }
          stop_card (self);
        }
      if (!start_card (self, card, flags, error))
        return FALSE;
    }

  return wait_for_card (self, TRUE, error);
}

gboolean
clave_test_pcsc_remove_card (ClaveTestPcsc  *self,
                             GError        **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->inserted)
    return TRUE;
  if (!control_card (self, "remove", error))
    return FALSE;
  self->inserted = FALSE;
  return wait_for_card (self, FALSE, error);
}

guint64
clave_test_pcsc_get_apdu_count (ClaveTestPcsc *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->apdu_base + read_card_number (self, "apdus", 0);
}

int
clave_test_pcsc_get_pin_tries (ClaveTestPcsc *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return (int) read_card_number (self, "tries", G_MAXUINT64);
}

gboolean
clave_test_pcsc_set_pin_tries (ClaveTestPcsc  *self,
                               int             tries,
                               GError        **error)
{
  g_autofree char *command = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (tries >= 0 && tries <= 15, FALSE);

  if (self->vicc == NULL)
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "No card was inserted");
      return FALSE;
    }
  command = g_strdup_printf ("set-tries %d", tries);
  return control_card (self, command, error);
}

GSubprocess *
clave_test_pcsc_hold_card (ClaveTestPcsc  *self,
                           GError        **error)
{
  return clave_test_pcsc_hold_card_with_mode (self, FALSE, error);
}

GSubprocess *
clave_test_pcsc_hold_card_with_mode (ClaveTestPcsc  *self,
                                     gboolean        exclusive,
                                     GError        **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) holder = NULL;
  g_autofree char *line = NULL;
  const char *path;

  g_return_val_if_fail (self != NULL, NULL);

  path = path_from_env ("CLAVE_TEST_CARD_HOLDER", G_FILE_TEST_IS_EXECUTABLE, error);
  if (path == NULL)
    return NULL;

  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  if (exclusive)
    holder = g_subprocess_launcher_spawn (launcher, error, path, "--exclusive", READER_NAME, NULL);
  else
    holder = g_subprocess_launcher_spawn (launcher, error, path, READER_NAME, NULL);
  if (holder == NULL)
    return NULL;

  line = read_line (holder, "clave-test-card-holder",
                    g_get_monotonic_time () + (gint64) TIMEOUT_MS * 1000, error);
  if (line == NULL)
    {
      /* Still waiting for the transaction (another holder has it?). */
      terminate (holder);
      return NULL;
    }
  if (!g_str_equal (line, "holding"))
    {
      g_set_error (error, CLAVE_TEST_PCSC_ERROR, CLAVE_TEST_PCSC_ERROR_FAILED,
                   "Unexpected first line from clave-test-card-holder: %s", line);
      return NULL;
    }

  g_ptr_array_add (self->holders, g_object_ref (holder));
  return g_steal_pointer (&holder);
}

const char *
clave_test_pcsc_get_socket (ClaveTestPcsc *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->socket_path;
}

const char *
clave_test_pcsc_get_reader_name (ClaveTestPcsc *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return READER_NAME;
}

const char *
clave_test_pcsc_get_opensc_module (void)
{
  const char *path = g_getenv ("CLAVE_TEST_OPENSC_MODULE");

  if (path == NULL || *path == '\0' || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return path;
}

void
clave_test_pcsc_stop (ClaveTestPcsc *self)
{
  if (self == NULL)
    return;

  for (guint i = 0; self->holders != NULL && i < self->holders->len; i++)
    terminate (g_ptr_array_index (self->holders, i));
  g_clear_pointer (&self->holders, g_ptr_array_unref);
  stop_card (self);
  stop_pcscd (self);

  clave_test_remove_tree (self->folder);
  fixture_running = FALSE;
  g_free (self->folder);
  g_free (self->socket_path);
  g_free (self);
}
