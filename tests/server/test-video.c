/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Registering by video identification over HTTP (issue 13): Marta (in
 * the registry, not registered) starts with her DNI's validity date, her
 * phone is confirmed by the code in the outbox, her pictures are uploaded
 * as real PNGs, and clave-admin reviews them: rejected with a reason the
 * registration then shows, then approved, which registers her at level
 * basic. Each refusal has its documented status and code; the pictures
 * wait sealed and go with the review. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "clave-protocol.h"
#include "clave-test-files.h"
#include "server-test-util.h"

static ClaveTestServer *server;
static SoupSession *session;

#define BASE  (clave_test_server_get_base_url (server))
#define MARTA CLAVE_TEST_MARTA_DOCUMENT
#define PHONE "+34600777999"

typedef struct {
  char *id;
  char *token;
} Video;

static void
video_clear (Video *video)
{
  g_clear_pointer (&video->id, g_free);
  g_clear_pointer (&video->token, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Video, video_clear)

static char *
path_of (const Video *video,
         const char  *step)
{
  return g_strconcat (CLAVE_PATH_VIDEO_REGISTRATION_PREFIX, video->id, step, NULL);
}

/* A request of @video's holder: its bearer token, @body as @type. */
static TestResponse *
call (const Video  *video,
      const char   *method,
      const char   *step,
      const char   *type,
      const void   *body,
      gssize        len)
{
  g_autofree char *path = path_of (video, step);
  g_autofree char *bearer = g_strconcat ("Bearer ", video->token, NULL);
  const char *headers[] = { "Authorization", bearer, NULL };

  return test_request (session, BASE, method, path, type, body, len, FALSE, headers);
}

static TestResponse *
put_png (const Video *video,
         const char  *kind,
         GBytes      *png)
{
  g_autofree char *step = g_strconcat ("/images/", kind, NULL);

  return call (video, "PUT", step, "image/png", g_bytes_get_data (png, NULL),
               (gssize) g_bytes_get_size (png));
}

static void
start (Video *video)
{
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *body = g_strdup_printf ("{\"document\": \"%s\", \"contrast\": {\"kind\": "
                                           "\"validity_date\", \"value\": \"%s\"}, "
                                           "\"phone\": \"%s\", \"email\": \"marta@example.org\"}",
                                           MARTA, CLAVE_TEST_MARTA_VALIDITY, PHONE);

  response = test_post_json (session, BASE, CLAVE_PATH_VIDEO_REGISTRATIONS, body, NULL);
  test_assert_status (response, SOUP_STATUS_CREATED);
  video->id = g_strdup (test_response_string (response, "id"));
  video->token = g_strdup (test_response_string (response, "token"));
  g_assert_true (g_str_has_prefix (video->id, "vid_"));
  g_assert_cmpstr (test_response_string (response, "phone_hint"), ==, "******999");
}

static void
confirm_phone (Video *video)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *code = clave_test_server_last_sms_code (server, PHONE, &error);
  g_autofree char *body = NULL;

  g_assert_no_error (error);
  body = g_strdup_printf ("{\"code\": \"%s\"}", code);
  response = call (video, "POST", "/verify", "application/json", body, -1);
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (response, "state"), ==, CLAVE_VIDEO_STATE_CAPTURING);
}

/* The front, the back and three frames of the face, then submit. */
static GPtrArray *
send_pictures (Video *video)
{
  const char *kinds[] = { "front", "back", "face-1", "face-2", "face-3" };
  GPtrArray *pictures = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(TestResponse) submitted = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(GBytes) png = clave_test_png_new (400 + i, 400, (guint8) (30 * i));
      g_autoptr(TestResponse) response = put_png (video, kinds[i], png);

      test_assert_status (response, SOUP_STATUS_OK);
      g_ptr_array_add (pictures, g_steal_pointer (&png));
    }
  submitted = call (video, "POST", "/submit", "application/json", "{}", -1);
  test_assert_status (submitted, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (submitted, "state"), ==, CLAVE_VIDEO_STATE_PENDING);
  return pictures;
}

static void
test_flow (void)
{
  g_auto(Video) video = { NULL, };
  g_auto(Video) second = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(GPtrArray) pictures = NULL;
  g_autoptr(GBytes) small = clave_test_png_new (200, 200, 0);
  g_autoptr(GBytes) large = clave_test_png_new (320, 320, 9);
  g_autofree char *state_dir = g_strdup (clave_test_server_get_state_dir (server));
  g_autofree char *folder = NULL;
  g_autofree char *front_path = NULL;
  g_autofree char *export_dir = NULL;
  g_autofree char *out = NULL;
  GStatBuf st;

  /* Bad input gets its code; wrong contrast data are a failed
   * identification. */
  response = test_post_json (session, BASE, CLAVE_PATH_VIDEO_REGISTRATIONS,
                             "{\"document\": \"87654321X\", \"contrast\": {\"kind\": "
                             "\"validity_date\", \"value\": \"2029-11-30\"}, \"phone\": \"600\", "
                             "\"email\": \"marta@example.org\"}", NULL);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_PHONE);
  g_clear_pointer (&response, test_response_free);
  response = test_post_json (session, BASE, CLAVE_PATH_VIDEO_REGISTRATIONS,
                             "{\"document\": \"87654321X\", \"contrast\": {\"kind\": "
                             "\"validity_date\", \"value\": \"2029-11-29\"}, \"phone\": "
                             "\"+34600777999\", \"email\": \"marta@example.org\"}", NULL);
  test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_IDENTIFICATION_FAILED);
  g_clear_pointer (&response, test_response_free);

  start (&video);
  folder = g_build_filename (state_dir, "video", video.id, NULL);
  front_path = g_build_filename (folder, "front", NULL);

  /* Only with its token; no pictures before the phone is confirmed. */
  {
    g_autofree char *path = path_of (&video, "");

    response = test_request (session, BASE, "GET", path, NULL, NULL, 0, FALSE, NULL);
    test_assert_error (response, SOUP_STATUS_UNAUTHORIZED, CLAVE_ERR_INVALID_VIDEO);
    g_clear_pointer (&response, test_response_free);
  }
  response = put_png (&video, "front", large);
  test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_VIDEO_WRONG_STATE);
  g_clear_pointer (&response, test_response_free);
  response = call (&video, "POST", "/sms", "application/json", "{}", -1);
  test_assert_error (response, 429, CLAVE_ERR_RESEND_TOO_SOON);
  g_clear_pointer (&response, test_response_free);
  response = call (&video, "POST", "/verify", "application/json", "{\"code\": \"12345\"}", -1);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  g_clear_pointer (&response, test_response_free);
  confirm_phone (&video);
  response = call (&video, "POST", "/sms", "application/json", "{}", -1);
  test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_VIDEO_WRONG_STATE);
  g_clear_pointer (&response, test_response_free);

  /* Pictures: the type, the content, the size, the kind, the method. */
  response = call (&video, "PUT", "/images/front", "text/plain", "hello", -1);
  test_assert_error (response, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                     CLAVE_ERR_UNSUPPORTED_MEDIA_TYPE);
  g_clear_pointer (&response, test_response_free);
  response = call (&video, "PUT", "/images/front", "image/png", "hello", -1);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_IMAGE);
  g_clear_pointer (&response, test_response_free);
  response = put_png (&video, "front", small);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_IMAGE);
  g_assert_nonnull (strstr (test_response_string (response, "message"), "200 × 200"));
  g_clear_pointer (&response, test_response_free);
  {
    g_autofree char *authority = test_server_authority (server);
    g_autofree char *path = path_of (&video, "/images/front");
    g_autofree char *request = g_strdup_printf ("PUT %s HTTP/1.1\r\nHost: %s\r\n"
                                                "Authorization: Bearer %s\r\n"
                                                "Content-Type: image/png\r\n"
                                                "Content-Length: %d\r\n"
                                                "Connection: close\r\n\r\n",
                                                path, authority, video.token,
                                                CLAVE_VIDEO_MAX_IMAGE_BYTES + 1);

    /* Refused on the header, before the body is sent. */
    response = test_raw_request (server, request);
    test_assert_error (response, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, CLAVE_ERR_BODY_TOO_LARGE);
    g_clear_pointer (&response, test_response_free);
  }
  response = put_png (&video, "selfie", large);
  test_assert_error (response, SOUP_STATUS_BAD_REQUEST, CLAVE_ERR_INVALID_REQUEST);
  g_clear_pointer (&response, test_response_free);
  response = call (&video, "POST", "/images/front", "image/png", "x", -1);
  test_assert_error (response, SOUP_STATUS_METHOD_NOT_ALLOWED, CLAVE_ERR_METHOD_NOT_ALLOWED);
  g_clear_pointer (&response, test_response_free);
  response = call (&video, "POST", "/submit", "application/json", "{}", -1);
  test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_MISSING_IMAGES);
  g_clear_pointer (&response, test_response_free);

  /* A picture larger than other bodies' 64 KiB (320 × 320: 100 KiB). */
  g_assert_cmpuint (g_bytes_get_size (large), >, CLAVE_MAX_BODY);
  response = put_png (&video, "front", large);
  test_assert_status (response, SOUP_STATUS_OK);
  g_clear_pointer (&response, test_response_free);

  pictures = send_pictures (&video);

  /* On disk: sealed, 0600, in a 0700 folder. */
  g_assert_cmpint (g_stat (folder, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (front_path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  {
    g_autofree char *sealed = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (front_path, &sealed, &len, NULL));
    for (gsize i = 0; i + 4 <= len; i++)
      g_assert_true (memcmp (sealed + i, "IHDR", 4) != 0);
  }

  response = call (&video, "GET", "", NULL, NULL, 0);
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (response, "state"), ==, CLAVE_VIDEO_STATE_PENDING);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (
                     test_response_object (response), "images")), ==, 5);
  g_clear_pointer (&response, test_response_free);

  /* One waiting for review a person. */
  {
    g_autofree char *body = g_strdup_printf ("{\"document\": \"%s\", \"contrast\": {\"kind\": "
                                             "\"validity_date\", \"value\": \"%s\"}, \"phone\": "
                                             "\"%s\", \"email\": \"marta@example.org\"}",
                                             MARTA, CLAVE_TEST_MARTA_VALIDITY, PHONE);

    response = test_post_json (session, BASE, CLAVE_PATH_VIDEO_REGISTRATIONS, body, NULL);
    test_assert_error (response, SOUP_STATUS_CONFLICT, CLAVE_ERR_VIDEO_PENDING);
    g_clear_pointer (&response, test_response_free);
  }

  /* The office: the queue, the pictures exported as they were sent. */
  out = clave_test_server_admin (server, &error, "video", "list", "--state", "pending", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, video.id));
  g_clear_pointer (&out, g_free);
  export_dir = g_dir_make_tmp ("clave-video-export-XXXXXX", &error);
  out = clave_test_server_admin (server, &error, "video", "show", video.id, "--export", export_dir, NULL);
  g_assert_no_error (error);
  {
    const char *kinds[] = { "front", "back", "face-1", "face-2", "face-3" };

    for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
      {
        g_autofree char *name = g_strconcat (kinds[i], ".png", NULL);
        g_autofree char *path = g_build_filename (export_dir, name, NULL);
        g_autofree char *contents = NULL;
        gsize len = 0;
        g_autoptr(GBytes) exported = NULL;

        g_assert_true (g_file_get_contents (path, &contents, &len, &error));
        exported = g_bytes_new_take (g_steal_pointer (&contents), len);
        g_assert_true (g_bytes_equal (exported, g_ptr_array_index (pictures, i)));
        g_assert_cmpint (g_stat (path, &st), ==, 0);
        g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
      }
  }
  g_clear_pointer (&out, g_free);

  /* Rejected: the reason reaches the holder, the pictures are gone. */
  out = clave_test_server_admin (server, &error, "video", "reject", video.id, NULL);
  g_assert_null (out);
  g_assert_nonnull (error);
  g_clear_error (&error);
  out = clave_test_server_admin (server, &error, "video", "reject", video.id, "--reason",
               "La foto del DNI no se lee: repítala con más luz.", "--operator", "oficina-7",
               NULL);
  g_assert_no_error (error);
  g_clear_pointer (&out, g_free);
  response = call (&video, "GET", "", NULL, NULL, 0);
  test_assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (test_response_string (response, "state"), ==, CLAVE_VIDEO_STATE_REJECTED);
  g_assert_cmpstr (test_response_string (response, "reason"), ==,
                   "La foto del DNI no se lee: repítala con más luz.");
  g_assert_cmpint (test_response_int (response, "decided_at"), >, 0);
  g_clear_pointer (&response, test_response_free);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));

  /* Again, approved: Marta is registered at level basic by video. */
  start (&second);
  confirm_phone (&second);
  g_clear_pointer (&pictures, g_ptr_array_unref);
  pictures = send_pictures (&second);
  out = clave_test_server_admin (server, &error, "video", "approve", second.id, NULL);
  g_assert_no_error (error);
  g_clear_pointer (&out, g_free);
  response = call (&second, "GET", "", NULL, NULL, 0);
  g_assert_cmpstr (test_response_string (response, "state"), ==, CLAVE_VIDEO_STATE_APPROVED);
  g_clear_pointer (&response, test_response_free);
  out = clave_test_server_admin (server, &error, "show", MARTA, "--json", NULL);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "\"level\" : \"basic\""));
  g_assert_nonnull (strstr (out, "\"registration_channel\" : \"video\""));
  g_clear_pointer (&out, g_free);
  out = clave_test_server_admin (server, &error, "video", "approve", second.id, NULL);
  g_assert_null (out);
  g_assert_nonnull (error);
  g_clear_error (&error);

  clave_test_remove_tree (export_dir);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/video/flow", test_flow);

  server = test_server_start (NULL);
  session = test_session_new (server);

  status = g_test_run ();

  g_clear_object (&session);
  clave_test_server_stop (server);
  return status;
}
