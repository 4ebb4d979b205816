/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the fuzz targets of tests/fuzz share (docs/fuzzing.md). Each target
 * is one fuzz-<name>.c with LLVMFuzzerTestOneInput() (and, when it needs
 * set-up done once, LLVMFuzzerInitialize()); it links libFuzzer in a
 * -Dfuzzing=true build and standalone-main.c, which replays the seed
 * corpus, in every other build. */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

int  LLVMFuzzerTestOneInput (const guint8 *data,
                             size_t        size);
int  LLVMFuzzerInitialize   (int          *argc,
                             char       ***argv);

/* Log messages of @fatal_levels (and criticals and errors, always: a
 * g_return_if_fail() that fires is a bug the input found) abort with the
 * message; others are dropped unless CLAVE_FUZZ_VERBOSE is set, so that a
 * million inputs do not print a million warnings. Also points the XDG
 * directories, $HOME and $TMPDIR at a private temporary directory (removed
 * at exit), so that a target never touches the files of whoever runs it. */
void         fuzz_setup             (GLogLevelFlags  fatal_levels);
/* The private temporary directory of fuzz_setup(). */
const char  *fuzz_tmp_dir           (void);

/* A property of the code under test that the input broke: prints where,
 * what and why, then aborts, so that libFuzzer keeps the input as a crash
 * and the standalone replay fails. */
void         fuzz_fail              (const char     *where,
                                     const char     *condition,
                                     const char     *format,
                                     ...) G_GNUC_PRINTF (3, 4) G_GNUC_NORETURN;

#define FUZZ_CHECK(condition, ...)                                            \
  G_STMT_START {                                                              \
    if (G_UNLIKELY (!(condition)))                                            \
      fuzz_fail (G_STRLOC, #condition, __VA_ARGS__);                          \
  } G_STMT_END

/* A property that a reported finding breaks, until src/ is fixed
 * (docs/fuzzing.md "Findings"): checked like FUZZ_CHECK, unless @finding is
 * listed in $CLAVE_FUZZ_KNOWN (comma-separated), in which case the target
 * stops looking at this input and returns, so that a long run can go on
 * looking for other bugs. Evaluates to TRUE when the target should return. */
gboolean     fuzz_known_violation   (const char     *finding,
                                     const char     *where,
                                     const char     *condition);

/* Whether $CLAVE_FUZZ_KNOWN lists @finding. */
gboolean     fuzz_is_known          (const char     *finding);

#define FUZZ_CHECK_KNOWN(finding, condition)                                  \
  (G_LIKELY (condition) ? FALSE                                               \
                        : fuzz_known_violation (finding, G_STRLOC, #condition))

/* Reading an input: fields one after another. */
typedef struct {
  const guint8 *data;
  gsize         size;
  gsize         pos;
} FuzzInput;

void         fuzz_input_init        (FuzzInput      *input,
                                     const guint8   *data,
                                     gsize           size);
/* The bytes up to the next @separator (which is skipped) or to the end, as
 * a NUL-terminated string (cut at an embedded NUL, as C callers would);
 * "" once the input is used up. */
char        *fuzz_input_field       (FuzzInput      *input,
                                     char            separator);
/* The next byte, 0 once the input is used up. */
guint8       fuzz_input_byte        (FuzzInput      *input);
/* What is left, as it is (may hold NULs). */
GBytes      *fuzz_input_rest        (FuzzInput      *input);

/* @data as a NUL-terminated string, cut at an embedded NUL. */
char        *fuzz_strndup           (const guint8   *data,
                                     gsize           size);
/* Every string in @node (values and member names) is valid UTF-8. */
gboolean     fuzz_json_is_valid_utf8 (JsonNode      *node);

G_END_DECLS
