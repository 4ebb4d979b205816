/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The rules of a Cl@ve Permanente password (clave-facts.md), one
 * implementation for the service, which enforces them, and the app, which
 * checks them as the person types. */

#define CLAVE_PASSWORD_MIN_LENGTH       8    /* characters */
#define CLAVE_PASSWORD_FREE_LENGTH      16   /* from here on, no group rule */
#define CLAVE_PASSWORD_MAX_LENGTH       128  /* characters */
#define CLAVE_PASSWORD_GROUPS_NEEDED    3    /* of lower, upper, digits, other */
/* Name and surname words shorter than this are not searched for ("de",
 * "la", "y" are in too many passwords to mean anything). */
#define CLAVE_PASSWORD_NAME_MIN_WORD    3

/* What is wrong with a password: 0 when nothing. */
typedef enum {
  CLAVE_PASSWORD_OK            = 0,
  CLAVE_PASSWORD_TOO_SHORT     = 1 << 0,  /* under 8 characters */
  CLAVE_PASSWORD_FEW_GROUPS    = 1 << 1,  /* under 16 characters and under 3 groups */
  CLAVE_PASSWORD_HAS_NAME      = 1 << 2,  /* holds the given name or a surname */
  CLAVE_PASSWORD_HAS_DOCUMENT  = 1 << 3,  /* holds the document number */
  CLAVE_PASSWORD_TOO_LONG      = 1 << 4,  /* over 128 characters */
  CLAVE_PASSWORD_UNUSABLE      = 1 << 5,  /* not UTF-8, or a control character */
} ClavePasswordProblems;

/* Checks @password against the rules for the person named @given_name
 * @surnames with document @document (each may be NULL: not checked).
 * Names are compared without case or accents ("garcia" is in "García"). */
ClavePasswordProblems clave_password_check        (const char *password,
                                                   const char *given_name,
                                                   const char *surnames,
                                                   const char *document);
/* How many of the four groups (lower case, upper case, digits, other)
 * @password uses. */
guint                 clave_password_count_groups (const char *password);

G_END_DECLS
