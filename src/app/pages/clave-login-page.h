/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_LOGIN_PAGE (clave_login_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveLoginPage, clave_login_page, CLAVE, LOGIN_PAGE, ClavePage)

/* A message above the form saying why the person is here again. */
/* Empties the form: document, contrast data, "permanent". */
void clave_login_page_clear      (ClaveLoginPage *self);
void clave_login_page_set_notice (ClaveLoginPage *self,
                                  const char     *notice);

G_END_DECLS
