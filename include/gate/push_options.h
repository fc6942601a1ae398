/*
 * push_options: what the gate reads from `git push -o` options.  git hands
 * them to the hooks as GIT_PUSH_OPTION_COUNT and GIT_PUSH_OPTION_<n>; the
 * program reads the environment and passes the strings here.
 */
#ifndef GATE_PUSH_OPTIONS_H
#define GATE_PUSH_OPTIONS_H

#include <stddef.h>

#define GATE_PUSH_OPTION_BYPASS "gitops-gate.bypass="
#define GATE_PUSH_OPTIONS_MAX 1000   /* more options than this are ignored */
#define GATE_BYPASS_REASON_MAX 512   /* bytes of a bypass reason */

/*
 * Parse GIT_PUSH_OPTION_COUNT: a decimal count from 0 to GATE_PUSH_OPTIONS_MAX.
 * Returns 0 with *n set, or -1 for anything else (NULL, empty, signs, junk).
 */
int gate_push_option_count(const char *s, size_t *n);

/*
 * The reason given with -o gitops-gate.bypass=<reason>: the last such option
 * wins.  Returns a pointer into opts (borrowed), or NULL when none asks for a
 * bypass.  NULL entries of opts are skipped.
 */
const char *gate_push_option_bypass(const char *const *opts, size_t n);

/* Is reason acceptable: 1 to GATE_BYPASS_REASON_MAX bytes? */
int gate_push_option_reason_ok(const char *reason);

#endif
