/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "clave-page.h"

G_BEGIN_DECLS

#define CLAVE_TYPE_DIAGNOSTICS_PAGE (clave_diagnostics_page_get_type ())
G_DECLARE_FINAL_TYPE (ClaveDiagnosticsPage, clave_diagnostics_page, CLAVE, DIAGNOSTICS_PAGE, ClavePage)

G_END_DECLS
