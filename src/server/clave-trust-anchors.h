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

/* Loads the intermediate certificates of @dir (read as above; @label names
 * the folder in messages): CA certificates that complete the paths of
 * certificate proofs and are never trusted by themselves. A self-signed
 * certificate (it would pass for a root) is an error, and so is a folder
 * without a CA certificate; a certificate that is not a CA is skipped with
 * a warning, one that does not chain to @anchors is kept with a warning.
 * Returns the certificates (gnutls_x509_crt_t, freed with the array). */
GPtrArray               *clave_intermediates_load (const char                *dir,
                                                   const char                *label,
                                                   gnutls_x509_trust_list_t   anchors,
                                                   GError                   **error);

G_END_DECLS
