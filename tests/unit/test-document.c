/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-document"

#include "config.h"

#include <glib.h>
#include <string.h>

#include "clave-document.h"

typedef struct {
  const char        *input;
  ClaveDocumentType  type;
  const char        *normalized;
} GoodDocument;

typedef struct {
  const char *input;
  int         code;
} BadInput;

/* TAP output must stay valid UTF-8 whatever the input under test. */
static void
test_message_escaped (const char *what,
                      const char *value)
{
  g_autofree char *escaped = value != NULL ? g_strescape (value, NULL) : g_strdup ("(null)");

  g_test_message ("%s'%s'", what, escaped);
}

static void
test_validate_good (void)
{
  static const GoodDocument cases[] = {
    /* demo data */
    { "12345678Z", CLAVE_DOCUMENT_TYPE_DNI, "12345678Z" },
    { "00000023T", CLAVE_DOCUMENT_TYPE_DNI, "00000023T" },
    { "X1234567L", CLAVE_DOCUMENT_TYPE_NIE, "X1234567L" },
    { "87654321X", CLAVE_DOCUMENT_TYPE_DNI, "87654321X" },
    /* more DNIs */
    { "00000000T", CLAVE_DOCUMENT_TYPE_DNI, "00000000T" },
    { "00000001R", CLAVE_DOCUMENT_TYPE_DNI, "00000001R" },
    { "00000004G", CLAVE_DOCUMENT_TYPE_DNI, "00000004G" },
    { "99999999R", CLAVE_DOCUMENT_TYPE_DNI, "99999999R" },
    { "11111111H", CLAVE_DOCUMENT_TYPE_DNI, "11111111H" },
    { "50505050V", CLAVE_DOCUMENT_TYPE_DNI, "50505050V" },
    { "73839201R", CLAVE_DOCUMENT_TYPE_DNI, "73839201R" },
    /* as people type them */
    { "12345678z", CLAVE_DOCUMENT_TYPE_DNI, "12345678Z" },
    { " 12345678Z ", CLAVE_DOCUMENT_TYPE_DNI, "12345678Z" },
    { "12345678-Z", CLAVE_DOCUMENT_TYPE_DNI, "12345678Z" },
    { "12.345.678-Z", CLAVE_DOCUMENT_TYPE_DNI, "12345678Z" },
    { "1234 5678 z", CLAVE_DOCUMENT_TYPE_DNI, "12345678Z" },
    { "\t12345678Z\n", CLAVE_DOCUMENT_TYPE_DNI, "12345678Z" },
    /* NIEs */
    { "Y1234567X", CLAVE_DOCUMENT_TYPE_NIE, "Y1234567X" },
    { "Z1234567R", CLAVE_DOCUMENT_TYPE_NIE, "Z1234567R" },
    { "X0000000T", CLAVE_DOCUMENT_TYPE_NIE, "X0000000T" },
    { "Y7654321G", CLAVE_DOCUMENT_TYPE_NIE, "Y7654321G" },
    { "Z9999999H", CLAVE_DOCUMENT_TYPE_NIE, "Z9999999H" },
    { "x1234567l", CLAVE_DOCUMENT_TYPE_NIE, "X1234567L" },
    { "X-1234567-L", CLAVE_DOCUMENT_TYPE_NIE, "X1234567L" },
    { "x 1234567 l", CLAVE_DOCUMENT_TYPE_NIE, "X1234567L" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *normalized = NULL;
      ClaveDocumentType type;

      test_message_escaped ("document ", cases[i].input);
      type = clave_document_validate (cases[i].input, &normalized, &error);
      g_assert_no_error (error);
      g_assert_cmpint (type, ==, cases[i].type);
      g_assert_cmpstr (normalized, ==, cases[i].normalized);
      g_assert_true (clave_document_is_prefix (cases[i].input));
    }
}

static void
test_validate_bad (void)
{
  static const BadInput cases[] = {
    { NULL, CLAVE_DOCUMENT_ERROR_EMPTY },
    { "", CLAVE_DOCUMENT_ERROR_EMPTY },
    { "   ", CLAVE_DOCUMENT_ERROR_EMPTY },
    { " - . ", CLAVE_DOCUMENT_ERROR_EMPTY },
    /* wrong letter */
    { "12345678A", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "12345678T", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "00000023Z", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "87654321Y", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "X1234567X", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "Y1234567L", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "Z1234567L", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    /* letters that never appear */
    { "12345678I", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "12345678O", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "12345678U", CLAVE_DOCUMENT_ERROR_BAD_LETTER },
    { "12345678Ñ", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "12345678ñ", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    /* shape */
    { "1234567Z", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "123456789Z", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "12345678", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "123456789", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "Z", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "ABCDEFGHI", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "1234A678Z", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "12345678ZZ", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "X123456L", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "X12345678L", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "W1234567L", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "XX234567L", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "12345678_Z", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "12345678/Z", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "１2345678Z", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },   /* full-width digit */
    { "12345678Z\xff", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    /* other NIF forms: not DNI or NIE */
    { "K1234567L", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "L1234567L", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "M1234567L", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
    { "B12345678", CLAVE_DOCUMENT_ERROR_BAD_FORMAT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      char *normalized = (char *) "untouched";
      ClaveDocumentType type;

      test_message_escaped ("document ", cases[i].input);
      type = clave_document_validate (cases[i].input, &normalized, &error);
      g_assert_cmpint (type, ==, CLAVE_DOCUMENT_TYPE_UNKNOWN);
      g_assert_null (normalized);
      g_assert_error (error, CLAVE_DOCUMENT_ERROR, cases[i].code);
      g_assert_nonnull (error->message);
      g_assert_cmpstr (error->message, !=, "");
    }
}

static void
test_validate_messages (void)
{
  g_autoptr(GError) letter = NULL;
  g_autoptr(GError) nif = NULL;

  /* The app shows these inline; they must say what to do. */
  clave_document_validate ("12345678A", NULL, &letter);
  g_assert_error (letter, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_LETTER);
  g_assert_cmpstr (letter->message, ==, "The letter does not match the number. Check the DNI or NIE.");

  clave_document_validate ("K1234567L", NULL, &nif);
  g_assert_error (nif, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT);
  g_assert_nonnull (strstr (nif->message, "DNI or NIE"));
}

static void
test_validate_huge (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *huge = g_strnfill (100000, '1');

  g_assert_cmpint (clave_document_validate (huge, NULL, &error), ==, CLAVE_DOCUMENT_TYPE_UNKNOWN);
  g_assert_error (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT);
  g_assert_false (clave_document_is_prefix (huge));
}

static void
test_control_letter (void)
{
  g_assert_cmpint (clave_document_control_letter (12345678), ==, 'Z');
  g_assert_cmpint (clave_document_control_letter (0), ==, 'T');
  g_assert_cmpint (clave_document_control_letter (22), ==, 'E');
  g_assert_cmpint (clave_document_control_letter (23), ==, 'T');
  g_assert_cmpint (clave_document_control_letter (1234567), ==, 'L');   /* X1234567 */
}

static void
test_normalize (void)
{
  static const char * const cases[][2] = {
    { "12345678z", "12345678Z" },
    { " 12.345.678-z ", "12345678Z" },
    { "x-1234567-l", "X1234567L" },
    { "", "" },
    { "abc", "ABC" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = clave_document_normalize (cases[i][0]);
      g_assert_cmpstr (out, ==, cases[i][1]);
    }

  {
    g_autofree char *out = clave_document_normalize (NULL);
    g_assert_cmpstr (out, ==, "");
  }
}

static void
test_is_prefix (void)
{
  static const struct {
    const char *input;
    gboolean    prefix;
  } cases[] = {
    { NULL, TRUE },
    { "", TRUE },
    { "1", TRUE },
    { "1234", TRUE },
    { "12345678", TRUE },
    { "12345678Z", TRUE },
    { "12345678z", TRUE },
    { "1234-56", TRUE },
    { "X", TRUE },
    { "x", TRUE },
    { "Y12", TRUE },
    { "Z1234567", TRUE },
    { "X1234567L", TRUE },
    { "12345678A", FALSE },   /* complete, wrong letter */
    { "X1234567X", FALSE },
    { "123456789", FALSE },
    { "1234567890", FALSE },
    { "1234567A", FALSE },
    { "12A", FALSE },
    { "A", FALSE },
    { "K", FALSE },
    { "K123", FALSE },
    { "XY", FALSE },
    { "X12345678", FALSE },
    { "12345678ZZ", FALSE },
    { "Ñ", FALSE },
    { "12/", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      test_message_escaped ("prefix ", cases[i].input);
      g_assert_cmpint (clave_document_is_prefix (cases[i].input), ==, cases[i].prefix);
    }
}

static void
test_mask (void)
{
  static const char * const cases[][2] = {
    { "12345678Z", "*****678Z" },
    { "00000023T", "*****023T" },
    { "X1234567L", "X****567L" },
    { "Y7654321G", "Y****321G" },
    { "678Z", "678Z" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = clave_document_mask (cases[i][0]);
      g_assert_cmpstr (out, ==, cases[i][1]);
    }

  {
    g_autofree char *out = clave_document_mask (NULL);
    g_assert_cmpstr (out, ==, "");
  }
}

static void
test_phone_hint (void)
{
  static const char * const cases[][2] = {
    { "+34600111789", "******789" },
    { "+34600222333", "******333" },
    { "+4915112345678", "******678" },
    { "600 111 789", "******789" },
    { "+34 600-111-789 ", "******789" },
    { "12", "******" },
    { "", "******" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = clave_phone_hint (cases[i][0]);
      g_assert_cmpstr (out, ==, cases[i][1]);
    }

  {
    g_autofree char *out = clave_phone_hint (NULL);
    g_assert_cmpstr (out, ==, "******");
  }
}

static void
test_support_number (void)
{
  static const char * const good[][2] = {
    { "E01234567", "E01234567" },
    { "E1234567", "E01234567" },
    { "e1234567", "E01234567" },
    { "e 0123 4567", "E01234567" },
    { "C01234567", "C01234567" },
    { "C1234567", "C01234567" },
    { "c-1234567", "C01234567" },
    { " E12345678 ", "E12345678" },
    { "E.0123.4567", "E01234567" },
  };
  static const char * const bad[] = {
    NULL, "", "E", "E123456", "E123456789", "01234567", "X1234567",
    "EE1234567", "E1234567X", "E12345\xc3\xa9" "67", "1234567E", "E-", "Ｅ1234567",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = clave_support_number_normalize (good[i][0], &error);

      test_message_escaped ("support number ", good[i][0]);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, good[i][1]);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = clave_support_number_normalize (bad[i], &error);

      test_message_escaped ("support number ", bad[i]);
      g_assert_null (out);
      g_assert_error (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_SUPPORT_NUMBER);
    }
}

static void
test_dates (void)
{
  static const char * const good[][2] = {
    { "04/05/2031", "2031-05-04" },
    { "4/5/2031", "2031-05-04" },
    { "04-05-2031", "2031-05-04" },
    { "04.05.2031", "2031-05-04" },
    { "2031-05-04", "2031-05-04" },
    { " 30/11/2029 ", "2029-11-30" },
    { "01/01/9999", "9999-01-01" },
    { "10/03/2015", "2015-03-10" },
    { "29/02/2024", "2024-02-29" },   /* leap year */
    { "29/02/2000", "2000-02-29" },   /* divisible by 400 */
    { "31/12/1900", "1900-12-31" },
    { "1/1/1900", "1900-01-01" },
    { "31/01/2030", "2030-01-31" },
  };
  static const char * const bad[] = {
    NULL, "", "31/02/2031", "30/02/2024", "29/02/2023", "29/02/1900", "32/01/2030",
    "00/01/2030", "01/00/2030", "01/13/2030", "31/04/2030", "01/01/1899", "01/01/10000",
    "01/01/30", "1/1/230", "2031/05/04", "2031-5-4", "04/05-2031", "04 05 2031",
    "04/05/2031x", "x04/05/2031", "2031-05-04T00:00", "today", "123/05/2031",
    "04/005/2031", "-1/05/2031", "04/05/", "//", "٠٤/٠٥/٢٠٣١",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = clave_date_normalize (good[i][0], &error);

      test_message_escaped ("date ", good[i][0]);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, good[i][1]);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = clave_date_normalize (bad[i], &error);

      test_message_escaped ("date ", bad[i]);
      g_assert_null (out);
      g_assert_error (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_DATE);
      g_assert_cmpstr (error->message, !=, "");
    }
}

static void
test_date_display (void)
{
  g_autofree char *a = clave_date_format_display ("2031-05-04");
  g_autofree char *b = clave_date_format_display ("9999-01-01");
  g_autofree char *c = clave_date_format_display ("not a date");

  g_assert_cmpstr (a, ==, "04/05/2031");
  g_assert_cmpstr (b, ==, "01/01/9999");
  g_assert_cmpstr (c, ==, "not a date");
  g_assert_null (clave_date_format_display (NULL));
}

static void
test_contrast (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *validity = NULL;
  g_autofree char *issue = NULL;
  g_autofree char *support = NULL;
  g_autofree char *bad = NULL;

  validity = clave_contrast_normalize (CLAVE_CONTRAST_VALIDITY_DATE, "04/05/2031", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (validity, ==, "2031-05-04");

  issue = clave_contrast_normalize (CLAVE_CONTRAST_ISSUE_DATE, "10-03-2015", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (issue, ==, "2015-03-10");

  support = clave_contrast_normalize (CLAVE_CONTRAST_SUPPORT_NUMBER, "e1234567", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (support, ==, "E01234567");

  bad = clave_contrast_normalize (CLAVE_CONTRAST_SUPPORT_NUMBER, "04/05/2031", &error);
  g_assert_null (bad);
  g_assert_error (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_SUPPORT_NUMBER);
  g_clear_error (&error);

  g_assert_null (clave_contrast_normalize (CLAVE_CONTRAST_VALIDITY_DATE, "E01234567", &error));
  g_assert_error (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_DATE);
  g_clear_error (&error);

  g_assert_null (clave_contrast_normalize ((ClaveContrastKind) 42, "x", &error));
  g_assert_error (error, CLAVE_DOCUMENT_ERROR, CLAVE_DOCUMENT_ERROR_BAD_FORMAT);
}

static void
test_strings (void)
{
  g_assert_cmpstr (clave_contrast_kind_to_string (CLAVE_CONTRAST_VALIDITY_DATE), ==, "validity_date");
  g_assert_cmpstr (clave_contrast_kind_to_string (CLAVE_CONTRAST_ISSUE_DATE), ==, "issue_date");
  g_assert_cmpstr (clave_contrast_kind_to_string (CLAVE_CONTRAST_SUPPORT_NUMBER), ==, "support_number");
  g_assert_null (clave_contrast_kind_to_string ((ClaveContrastKind) 7));

  g_assert_cmpint (clave_contrast_kind_from_string ("validity_date"), ==, CLAVE_CONTRAST_VALIDITY_DATE);
  g_assert_cmpint (clave_contrast_kind_from_string ("issue_date"), ==, CLAVE_CONTRAST_ISSUE_DATE);
  g_assert_cmpint (clave_contrast_kind_from_string ("support_number"), ==, CLAVE_CONTRAST_SUPPORT_NUMBER);
  g_assert_cmpint (clave_contrast_kind_from_string ("Validity_Date"), ==, -1);
  g_assert_cmpint (clave_contrast_kind_from_string (""), ==, -1);
  g_assert_cmpint (clave_contrast_kind_from_string (NULL), ==, -1);

  g_assert_cmpstr (clave_document_type_to_string (CLAVE_DOCUMENT_TYPE_DNI), ==, "dni");
  g_assert_cmpstr (clave_document_type_to_string (CLAVE_DOCUMENT_TYPE_NIE), ==, "nie");
  g_assert_cmpstr (clave_document_type_to_string (CLAVE_DOCUMENT_TYPE_UNKNOWN), ==, "unknown");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/document/validate/good", test_validate_good);
  g_test_add_func ("/document/validate/bad", test_validate_bad);
  g_test_add_func ("/document/validate/messages", test_validate_messages);
  g_test_add_func ("/document/validate/huge", test_validate_huge);
  g_test_add_func ("/document/control-letter", test_control_letter);
  g_test_add_func ("/document/normalize", test_normalize);
  g_test_add_func ("/document/is-prefix", test_is_prefix);
  g_test_add_func ("/document/mask", test_mask);
  g_test_add_func ("/document/phone-hint", test_phone_hint);
  g_test_add_func ("/document/support-number", test_support_number);
  g_test_add_func ("/document/dates", test_dates);
  g_test_add_func ("/document/date-display", test_date_display);
  g_test_add_func ("/document/contrast", test_contrast);
  g_test_add_func ("/document/strings", test_strings);

  return g_test_run ();
}
