/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Cl@ve Permanente password rules (clave-facts.md): 8 characters with
 * three of the four groups, or 16 and more without group rule; never the
 * person's name, surnames or document number. */
#include "config.h"

#include "clave-password.h"

#define NAME     "Lucía"
#define SURNAMES "García Pérez"
#define DOCUMENT "12345678Z"

static ClavePasswordProblems
check (const char *password)
{
  return clave_password_check (password, NAME, SURNAMES, DOCUMENT);
}

static void
test_groups (void)
{
  g_assert_cmpuint (clave_password_count_groups ("abc"), ==, 1);
  g_assert_cmpuint (clave_password_count_groups ("aB3"), ==, 3);
  g_assert_cmpuint (clave_password_count_groups ("aB3!"), ==, 4);
  /* Letters of any alphabet count by their case; a space is "other". */
  g_assert_cmpuint (clave_password_count_groups ("ñÑ 7"), ==, 4);
}

static void
test_length_and_groups (void)
{
  g_assert_cmpuint (check ("Tq7!vbn"), ==, CLAVE_PASSWORD_TOO_SHORT);
  g_assert_cmpuint (check ("Tq7!vbnm"), ==, CLAVE_PASSWORD_OK);
  /* Eight characters, two groups. */
  g_assert_cmpuint (check ("tq7xvbnm"), ==, CLAVE_PASSWORD_FEW_GROUPS);
  g_assert_cmpuint (check ("tqwx"), ==, CLAVE_PASSWORD_TOO_SHORT | CLAVE_PASSWORD_FEW_GROUPS);
  /* Three groups are enough, any three. */
  g_assert_cmpuint (check ("tqwxvb7!"), ==, CLAVE_PASSWORD_OK);
  g_assert_cmpuint (check ("TQWXVB7!"), ==, CLAVE_PASSWORD_OK);
  /* From 16 characters on, any. */
  g_assert_cmpuint (check ("correcto caballo"), ==, CLAVE_PASSWORD_OK);
  g_assert_cmpuint (check ("correctocaballoz"), ==, CLAVE_PASSWORD_OK);
  g_assert_cmpuint (check ("correctocaballo"), ==, CLAVE_PASSWORD_FEW_GROUPS);
  /* Characters, not bytes: "ñ" is one. */
  g_assert_cmpuint (check ("Ññ7!ñññ"), ==, CLAVE_PASSWORD_TOO_SHORT);
}

static void
test_person (void)
{
  /* The given name or a surname, whatever the case and accents. */
  g_assert_cmpuint (check ("Lucia2031!"), ==, CLAVE_PASSWORD_HAS_NAME);
  g_assert_cmpuint (check ("xxGARCIA7!"), ==, CLAVE_PASSWORD_HAS_NAME);
  g_assert_cmpuint (check ("pérez es 7 Q"), ==, CLAVE_PASSWORD_HAS_NAME);
  /* Even in a long password. */
  g_assert_cmpuint (check ("mi apellido es garcia y ya"), ==, CLAVE_PASSWORD_HAS_NAME);
  /* The document, whole or its number. */
  g_assert_cmpuint (check ("Q!12345678z"), ==, CLAVE_PASSWORD_HAS_DOCUMENT);
  g_assert_cmpuint (check ("Q!x12345678"), ==, CLAVE_PASSWORD_HAS_DOCUMENT);
  g_assert_cmpuint (check ("Q!x1234567"), ==, CLAVE_PASSWORD_OK);
  g_assert_cmpuint (clave_password_check ("Ab!1234567x", "Anna", "Müller", "X1234567L"), ==,
                    CLAVE_PASSWORD_HAS_DOCUMENT);
  g_assert_cmpuint (clave_password_check ("Ab!muller77", "Anna", "Müller", "X1234567L"), ==,
                    CLAVE_PASSWORD_HAS_NAME);
  /* Short words of a name mean nothing. */
  g_assert_cmpuint (clave_password_check ("de la Q7!zz", "Ana", "de la Fuente", NULL), ==,
                    CLAVE_PASSWORD_OK);
  g_assert_cmpuint (clave_password_check ("Q7!anazz", "Ana", "de la Fuente", NULL), ==,
                    CLAVE_PASSWORD_HAS_NAME);
  /* Without a person, only the form is checked. */
  g_assert_cmpuint (clave_password_check ("Lucia2031!", NULL, NULL, NULL), ==, CLAVE_PASSWORD_OK);
}

static void
test_unusable (void)
{
  g_autofree char *long_one = g_strnfill (129, 'a');

  g_assert_cmpuint (check ("Tq7!vb\nnm"), ==, CLAVE_PASSWORD_UNUSABLE);
  g_assert_cmpuint (check ("Tq7!vb\xff" "nm"), ==, CLAVE_PASSWORD_UNUSABLE);
  g_assert_cmpuint (check (NULL), ==, CLAVE_PASSWORD_UNUSABLE);
  g_assert_cmpuint (check (long_one), ==, CLAVE_PASSWORD_TOO_LONG);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/password/groups", test_groups);
  g_test_add_func ("/password/length-and-groups", test_length_and_groups);
  g_test_add_func ("/password/person", test_person);
  g_test_add_func ("/password/unusable", test_unusable);
  return g_test_run ();
}
