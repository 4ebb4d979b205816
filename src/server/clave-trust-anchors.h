/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* Loads every certificate in the files of @dir (PEM, several per file
 * allowed, or DER; hidden files are skipped, files that hold no
 * certificate are skipped with a warning) into a new trust list.
 * @n_loaded receives how many. An unreadable directory, or one without a
 * single certificate, is an error: the option was given on purpose. */
gnutls_x509_trust_list_t clave_trust_anchors_load (const char  *dir,
                                                   guint       *n_loaded,
                                                   GError     **error);

G_END_DECLS
