/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "clave-auth-requests.h"

G_BEGIN_DECLS

/* The demo website's pages, whole HTML documents made from its templates
 * (clave-demo-template.h). The text is Spanish, in the templates and
 * here, as a sede electrónica would show it (the service has no locale of
 * its own). */

/* What a person typed in one of the landing page's forms, shown again
 * with what was wrong with it. */
typedef struct {
  const char *form;         /* "push" or "sms" */
  const char *document;
  const char *kind;
  const char *contrast;
  const char *error;
} ClaveDemoFormState;

/* A page that only says @text (an error) under @title. */
char *clave_demo_page_message (const char               *title,
                               const char               *text);
/* The three ways to sign in; @state (or NULL) refills one form. */
char *clave_demo_page_landing (const char               *csrf,
                               const ClaveDemoFormState *state);
/* A request: its QR code, PIN form or verification code while pending
 * (@error_text, or NULL, under the PIN), its outcome once answered. */
char *clave_demo_page_request (const ClaveAuthRequest   *request,
                               const char               *csrf,
                               const char               *error_text);

G_END_DECLS
