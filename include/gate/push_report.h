/*
 * push_report: what pre-receive tells the pusher about a judged push, as
 * "remote:" lines (see STYLE.md): each commit's problems through the remote
 * report format (validate/report.c), capped in all; the summary counts; the
 * hint naming the local command; the success lines.  Everything goes into a
 * caller's buffer; strings from the push are escaped.
 *
 * error_mark is put before every line, "error:", "warning:" and "hint:"
 * alike (GitLab's "GL-HOOK-ERR: ": its UI shows only lines that start with
 * it; else "").
 */
#ifndef GATE_PUSH_REPORT_H
#define GATE_PUSH_REPORT_H

#include <stddef.h>

#include "gate/config.h"
#include "gate/judge.h"
#include "gate/util.h"

/* One line "LEVEL: TEXT\n", after the error mark. */
void gate_push_report_say(struct gate_buf *out, const char *error_mark, const char *level,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* how much of a string from the push a line shows (gate_escape_dup()) */
#define GATE_PUSH_REPORT_ESC_MAX 1024

/*
 * The problem lines of every commit of v, at most max in all.  deny_level is
 * "error", or "warning" when a bypass accepts the push anyway.  The closing
 * line counting what was left out is a warning when no rejecting line was.
 */
void gate_push_report_problems(struct gate_buf *out, const char *error_mark,
	const struct gate_verdict *v, size_t max, const char *deny_level);

/* "N ref updates refused, N problems in N files of N commits" (no newline). */
void gate_push_report_counts(struct gate_buf *out, const struct gate_verdict *v);

/*
 * The hint line naming the `gitops-gate validate` command that reproduces
 * the refusal: the first group's settings and, when v (may be NULL) was
 * refused for a policy problem, -policy with the server's policy file names
 * or "builtin".  error_mark prefixes the line (GitLab's "GL-HOOK-ERR: ", or "").
 */
void gate_push_report_hint(struct gate_buf *out, const char *error_mark,
	const struct gate_config *cfg, const struct gate_verdict *v);

/* A success line per gated ref update that was judged. */
void gate_push_report_success(struct gate_buf *out, const struct gate_verdict *v);

#endif
