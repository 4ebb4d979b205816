/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"


#include <string.h>
#include "clave-demo-pages.h"
#include "clave-demo-template.h"

/* The demo website's templates (issue 10): what a person typed is always
 * escaped, fragments the site made are not, and every page renders with
 * each placeholder filled (a mismatch is a g_critical, fatal here). The
 * pages themselves are tested through the server in test-demo-site. */

static void
test_escaping (void)
{
  g_autofree char *html = clave_demo_template_render ("alert.html",
                                                      "id", "x\" onclick=\"evil()",
                                                      "text", "<script>alert(1)</script> & más",
                                                      NULL);

  g_assert_cmpstr (html, ==,
                   "<div class=\"alert error\" role=\"alert\" id=\"x&quot; onclick=&quot;evil()\">"
                   "&lt;script&gt;alert(1)&lt;/script&gt; &amp; más</div>");
}

static void
test_raw_and_null (void)
{
  g_autofree char *fragment = clave_demo_template_render ("alert.html", "id", "a", "text", "b",
                                                          NULL);
  g_autofree char *empty = clave_demo_template_render ("contrast-option.html",
                                                       "kind", "issue_date",
                                                       "selected", NULL,
                                                       "label", "Fecha",
                                                       NULL);
  g_autofree char *page = NULL;

  g_assert_cmpstr (empty, ==, "<option value=\"issue_date\">Fecha</option>");
  page = clave_demo_template_render ("message.html", "title", "T", "text", "<b>", NULL);
  g_assert_nonnull (strstr (page, "id=\"error\">&lt;b&gt;</div>"));
  /* A rendered fragment goes in as it is. */
  g_clear_pointer (&page, g_free);
  page = clave_demo_template_render ("page.html", "title", "T", "crumb", "C",
                                     "content", fragment, NULL);
  g_assert_nonnull (strstr (page, fragment));
}

static void
test_pages (void)
{
  ClaveDemoFormState state = { "sms", "12345678Z", "issue_date", "01/02/2020", "<mal>" };
  ClaveAuthRequest request = { .id = (char *) "req_1", .type = (char *) "sms",
                               .status = (char *) "pending", .verification_code = (char *) "123",
                               .expires_at = g_get_real_time () / G_USEC_PER_SEC + 90 };
  g_autofree char *landing = clave_demo_page_landing ("token", &state);
  g_autofree char *sms = clave_demo_page_request (&request, "token", "PIN <incorrecto>");

  /* The SMS form is refilled, with its error, and the issue date chosen. */
  g_assert_nonnull (strstr (landing, "id=\"sms-document\" name=\"document\" value=\"12345678Z\""));
  g_assert_nonnull (strstr (landing, "<option value=\"issue_date\" selected>"));
  g_assert_nonnull (strstr (landing, "id=\"sms-error\">&lt;mal&gt;</div>"));
  g_assert_null (strstr (landing, "id=\"push-error\""));
  g_assert_nonnull (strstr (sms, "id=\"pin-error\">PIN &lt;incorrecto&gt;</div>"));
  g_assert_true (strstr (sms, "countdown-value\">1:30</strong>") != NULL ||
                 strstr (sms, "countdown-value\">1:29</strong>") != NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/demo-template/escaping", test_escaping);
  g_test_add_func ("/demo-template/raw-and-null", test_raw_and_null);
  g_test_add_func ("/demo-template/pages", test_pages);

  return g_test_run ();
}
