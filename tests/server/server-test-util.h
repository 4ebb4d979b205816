/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gnutls/abstract.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "clave-http-sig.h"
#include "clave-test-files.h"
#include "clave-test-server.h"

G_BEGIN_DECLS

/* Demo data (clave-admin seed-demo), short names. */
#define LUCIA_DOC       CLAVE_TEST_LUCIA_DOCUMENT
#define LUCIA_VALIDITY  CLAVE_TEST_LUCIA_VALIDITY
#define LUCIA_PHONE     CLAVE_TEST_LUCIA_PHONE
#define ANTONIO_DOC     CLAVE_TEST_ANTONIO_DOCUMENT
#define ANTONIO_ISSUE   CLAVE_TEST_ANTONIO_ISSUE
#define ANTONIO_PHONE   CLAVE_TEST_ANTONIO_PHONE
#define ANNA_DOC        CLAVE_TEST_ANNA_DOCUMENT
#define ANNA_SUPPORT    CLAVE_TEST_ANNA_SUPPORT
#define ANNA_PHONE      CLAVE_TEST_ANNA_PHONE
#define MARTA_DOC       CLAVE_TEST_MARTA_DOCUMENT
#define MARTA_VALIDITY  CLAVE_TEST_MARTA_VALIDITY

/* An answer as a client sees it. */
typedef struct {
  guint       status;
  char       *body;
  gsize       body_len;
  JsonNode   *json;      /* NULL when the body is not JSON */
  SoupMessage *msg;      /* for the response headers */
  SoupMessageHeaders *headers;  /* those of an answer read off the wire */
} TestResponse;

void          test_response_free    (TestResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestResponse, test_response_free)

JsonObject   *test_response_object  (TestResponse *response);
const char   *test_response_string  (TestResponse *response,
                                     const char   *member);
gint64        test_response_int     (TestResponse *response,
                                     const char   *member);
gboolean      test_response_bool    (TestResponse *response,
                                     const char   *member);
const char   *test_response_header  (TestResponse *response,
                                     const char   *name);

/* Asserts the status and the "error" code of a protocol error. */
#define test_assert_error(response, status_, code_)                           \
  G_STMT_START {                                                              \
    TestResponse *r__ = (response);                                           \
    g_assert_nonnull (r__);                                                   \
    if (r__->status != (status_))                                             \
      g_test_message ("unexpected answer: %u %s", r__->status, r__->body);    \
    g_assert_cmpuint (r__->status, ==, (status_));                            \
    g_assert_cmpstr (test_response_string (r__, "error"), ==, (code_));       \
    g_assert_nonnull (test_response_string (r__, "message"));                 \
  } G_STMT_END

#define test_assert_status(response, status_)                                 \
  G_STMT_START {                                                              \
    TestResponse *r__ = (response);                                           \
    g_assert_nonnull (r__);                                                   \
    if (r__->status != (status_))                                             \
      g_test_message ("unexpected answer: %u %s", r__->status, r__->body);    \
    g_assert_cmpuint (r__->status, ==, (status_));                            \
  } G_STMT_END

/* A connection to the test server made with GnuTLS directly, so that a
 * test sends exactly the bytes it means (libsoup would fix the Host
 * header and the URI, and never stops half-way). */
typedef struct _TestTls TestTls;

typedef struct {
  const char *priority;       /* GnuTLS priority string; NULL: "NORMAL" */
  const char *bind_address;   /* the client's IPv4 address; NULL: any */
  gboolean    tcp_only;       /* connect, no TLS at all */
  gboolean    hello_only;     /* send the ClientHello and stop there */
  gboolean    no_verify;      /* trust the server's certificate unchecked
                               * (thousands of connections) */
  int         rcvbuf;         /* the client socket's SO_RCVBUF; 0: the system's */
} TestTlsOptions;

/* Connects (@options may be NULL) and shakes hands: @ret is 0 or the
 * GnuTLS error (GNUTLS_E_AGAIN with hello_only). Unless no_verify,
 * asserts that the chain verifies when the handshake succeeds. */
TestTls      *test_tls_open         (ClaveTestServer      *server,
                                     const TestTlsOptions *options,
                                     int                  *ret);
void          test_tls_free         (TestTls              *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestTls, test_tls_free)
/* FALSE when the connection fails. */
gboolean      test_tls_send         (TestTls              *tls,
                                     const char           *data,
                                     gsize                 len);
/* Sends @data again and again, without reading, until the server has
 * taken nothing for @stall_ms; returns how many whole copies went out.
 * The socket stays non-blocking: only close or free it afterwards. */
guint         test_tls_send_until_stalled (TestTls          *tls,
                                           const char       *data,
                                           gsize             len,
                                           guint             stall_ms);
/* The next answer (its Content-Length body included), or NULL when the
 * server closes the connection or @timeout_ms pass first. Answers that
 * came together are read one by one. Its msg is NULL; its headers are
 * in headers. */
TestResponse *test_tls_read_response (TestTls             *tls,
                                      guint                timeout_ms);
/* TRUE when the server closes (or resets) the connection within
 * @timeout_ms; what it sends meanwhile is kept for
 * test_tls_read_response(). */
gboolean      test_tls_wait_closed  (TestTls              *tls,
                                     guint                 timeout_ms);
/* TRUE once @text, and the end of the head ("\r\n\r\n") that holds it,
 * are among the bytes received (and not yet read as an answer) within
 * @timeout_ms; what came up to the end of that head is dropped. For an
 * informational answer such as "HTTP/1.1 100 Continue", which
 * test_tls_read_response() does not take. FALSE when the server closes
 * the connection or the time runs out. */
gboolean      test_tls_wait_for     (TestTls              *tls,
                                     const char           *text,
                                     guint                 timeout_ms);
/* Closes the socket, after a TLS close_notify when @bye. */
void          test_tls_close        (TestTls              *tls,
                                     gboolean              bye);

/* A client's first flight alone, the ClientHello under the GnuTLS
 * @priority string (NULL: "NORMAL"), made without a connection: sent on a
 * tcp_only connection, it is a client that stalls right after its
 * ClientHello whatever the server answers (hello_only, which goes on
 * when the server's answer is already there, may not). */
GBytes       *test_tls_client_hello (const char           *priority);
/* A TLS handshake under the GnuTLS @priority string; returns 0 or the
 * GnuTLS error, and the negotiated @version when it succeeded. */
int           test_tls_handshake    (ClaveTestServer   *server,
                                     const char        *priority,
                                     gnutls_protocol_t *version);
/* Sends @request (a whole HTTP/1.1 request, which should ask for
 * "Connection: close") over TLS, as written, and reads the answer up to
 * the end of the connection. */
TestResponse *test_raw_request      (ClaveTestServer   *server,
                                     const char        *request);
/* "127.0.0.1:PORT" of the test server. */
char         *test_server_authority (ClaveTestServer   *server);

/* A session that trusts the test server's CA. */
SoupSession  *test_session_new      (ClaveTestServer *server);
/* The same, its connections made from @local_address, another loopback
 * address such as "127.0.0.2" (all of 127/8 is loopback on Linux): the
 * server sees another client address. */
SoupSession  *test_session_new_from (ClaveTestServer *server,
                                     const char      *local_address);

/* A raw request. @headers: NULL-terminated name, value pairs. A @body
 * with @len -1 is a C string; @chunked sends it without Content-Length. */
TestResponse *test_request          (SoupSession      *session,
                                     const char       *base_url,
                                     const char       *method,
                                     const char       *path,
                                     const char       *content_type,
                                     const char       *body,
                                     gssize            len,
                                     gboolean          chunked,
                                     const char *const *headers);
/* POST @json as application/json, with a bearer token if not NULL. */
TestResponse *test_post_json        (SoupSession      *session,
                                     const char       *base_url,
                                     const char       *path,
                                     const char       *json,
                                     const char       *bearer);

/* A device key as the client keeps it. */
typedef struct {
  gnutls_privkey_t key;
  char            *device_id;
} TestDevice;

TestDevice   *test_device_new       (void);
void          test_device_free      (TestDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestDevice, test_device_free)
char         *test_device_public_key (TestDevice *device);
/* base64url signature of the registration proof for @activation_id. */
char         *test_device_proof      (TestDevice *device,
                                      const char *activation_id);

/* Signature headers of @device for a request to @target_uri. */
ClaveHttpSigHeaders *test_device_sign (TestDevice  *device,
                                       const char  *method,
                                       const char  *target_uri,
                                       const char  *body);

/* How to (mis)sign a device request. */
typedef struct {
  const char *keyid;          /* default: device->device_id */
  gint64      created_offset; /* seconds added to now */
  const char *nonce;          /* default: fresh random */
  const char *signed_path;    /* default: the requested path */
  const char *signed_base;    /* default: base_url */
  const char *signed_body;    /* default: the body sent */
  TestDevice *signer;         /* default: device */
  gboolean    no_digest;      /* leave out Content-Digest */
  gboolean    no_signature;   /* leave out Signature and Signature-Input */
  gboolean    has_expires;    /* add ;expires=now+expires_offset */
  gint64      expires_offset;
} TestSignOptions;

TestResponse *test_device_request   (SoupSession           *session,
                                     const char            *base_url,
                                     TestDevice            *device,
                                     const char            *method,
                                     const char            *path,
                                     const char            *body,
                                     const TestSignOptions *options);

/* Activation steps. */
typedef struct {
  char *id;
  char *token;
} TestActivation;

void            test_activation_free (TestActivation *activation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestActivation, test_activation_free)

TestResponse   *test_identify        (SoupSession    *session,
                                      const char     *base_url,
                                      const char     *document,
                                      const char     *kind,
                                      const char     *value);
/* Identifies a registered person and asserts the activation answer. */
TestActivation *test_start_activation (SoupSession   *session,
                                       const char    *base_url,
                                       const char    *document,
                                       const char    *kind,
                                       const char    *value);
TestResponse   *test_send_sms        (SoupSession    *session,
                                      const char     *base_url,
                                      TestActivation *activation);
TestResponse   *test_verify_code     (SoupSession    *session,
                                      const char     *base_url,
                                      TestActivation *activation,
                                      const char     *code);
TestResponse   *test_register_device (SoupSession    *session,
                                      const char     *base_url,
                                      TestActivation *activation,
                                      const char     *public_key,
                                      const char     *proof,
                                      const char     *name);
/* The whole flow; sets device->device_id. */
void            test_activate_device (ClaveTestServer *server,
                                      SoupSession     *session,
                                      TestDevice      *device,
                                      const char      *document,
                                      const char      *kind,
                                      const char      *value,
                                      const char      *phone);

/* Runs "clave-server --state-dir @state_dir --port 0 @args" (@args may be
 * NULL) through @launcher (NULL: one that pipes stdout and stderr, as a
 * given one must). With @expect_listening, asserts that it listens, stops
 * it with SIGTERM and asserts exit status 0; otherwise asserts that it
 * exits with status 1 without listening. Returns its stderr. */
char         *test_server_run_once  (GSubprocessLauncher *launcher,
                                     const char          *state_dir,
                                     const char *const   *args,
                                     gboolean             expect_listening);

/* Starts a server, failing the test when it cannot. */
ClaveTestServer *test_server_start   (const char *const *extra_args);

/* The database of a service (STATE_DIR/clave.db), for tests that age or
 * add rows behind its back: opened read-write, waiting up to 10 s for
 * the service's locks; any failure fails the test. */
char         *test_server_db_path   (ClaveTestServer  *server);
sqlite3      *test_db_open          (const char       *path);
void          test_db_exec          (const char       *path,
                                     const char       *sql);

/* Cl@ve Móvil. add-rp: the relying party's id; @key its API key. */
char         *test_add_rp           (ClaveTestServer  *server,
                                     const char       *name,
                                     const char       *origin,
                                     char            **key);

/* A device with its push key (device_id "<device>#push"). */
typedef struct {
  TestDevice *device;
  TestDevice *push;
} TestMobileDevice;

void              test_mobile_device_free     (TestMobileDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestMobileDevice, test_mobile_device_free)
/* The whole activation, registering a push key too. */
TestMobileDevice *test_mobile_device_activate (ClaveTestServer *server,
                                               SoupSession     *session,
                                               const char      *document,
                                               const char      *kind,
                                               const char      *value,
                                               const char      *phone);

/* One iteration of the thread-default main context (sleeping briefly
 * when idle). */
void          test_iterate_once     (void);
gboolean      test_iterate_until    (gboolean *flag,
                                     guint     timeout_ms);

/* The device's push channel (WebSocket /v1/device/push). */
typedef struct {
  SoupWebsocketConnection *conn;    /* NULL when the upgrade failed */
  GQueue                   events;  /* JsonNode* not read yet */
  JsonNode                *last;
  gboolean                 closed;
  gboolean                 done;
  GError                  *error;
} TestPushChannel;

/* Opens the channel signed by @signer; @status: the upgrade's HTTP status. */
TestPushChannel *test_push_channel_open (ClaveTestServer *server,
                                         SoupSession     *session,
                                         TestDevice      *signer,
                                         guint           *status);
void             test_push_channel_free (TestPushChannel *channel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestPushChannel, test_push_channel_free)
/* The next event (owned by the channel until the next call), or NULL
 * after @timeout_ms. */
JsonObject      *test_push_channel_next (TestPushChannel *channel,
                                         guint            timeout_ms);

G_END_DECLS
