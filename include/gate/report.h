/*
 * report: render verdicts (struct gate_result) for people and machines.
 *
 * Formats: text (kubeconform-compatible lines with places), pretty (text with
 * colours and marks), json (kubeconform's shape plus lines and columns),
 * junit and tap (kubeconform's shapes), sarif (SARIF 2.1.0), and remote: the
 * one-problem-per-line style the hooks print to the pusher, each line behind
 * a caller-given prefix.
 *
 * A report is fed results one at a time with gate_report_add() and closed
 * with gate_report_finish().  Line formats (text, pretty, tap, remote) write
 * each result at once; document formats (json, junit, sarif) keep what they
 * need and write everything at the end.  All output goes into a struct
 * gate_buf owned by the caller, who writes it out (and may reset it) between
 * calls.  Every string that comes from input (paths, names, messages) is
 * escaped: control bytes as \xNN in line formats, JSON escaping for json and
 * sarif, XML escaping for junit.
 *
 * Policy problems carry their check id at the end of the line ("... [privileged]")
 * so the reader can name it in a gitops-gate.io/ignore annotation; the rules of
 * the engine and the hooks ("schema", "yaml", "size", "binary", "symlink",
 * "submodule", "no-schema-settings") are not shown.  Every suppressed problem is
 * listed in every format: text and pretty as a "suppressed:" line, remote behind
 * hint_prefix, tap as a comment, json in a "suppressions" array of its resource,
 * sarif as a result with "suppressions", junit in its test case's system-out.  A report holds no global state; one report
 * must not be used by two threads at once.
 */
#ifndef GATE_REPORT_H
#define GATE_REPORT_H

#include <stddef.h>
#include <stdio.h>
#include "gate/result.h"
#include "gate/util.h"

enum gate_report_format {
	GATE_REPORT_TEXT = 0,
	GATE_REPORT_PRETTY,
	GATE_REPORT_JSON,
	GATE_REPORT_JUNIT,
	GATE_REPORT_TAP,
	GATE_REPORT_SARIF,
	GATE_REPORT_REMOTE
};

struct gate_report_opts {
	enum gate_report_format format;
	int verbose;          /* also list valid and skipped resources */
	int summary;          /* text/pretty: a closing Summary line; json: "summary" */
	int is_stdin;         /* the summary says "parsing stdin" instead of files */
	double elapsed;       /* junit: seconds for the time attribute (caller measures) */
	const char *prefix;       /* remote: put before every deny/error line ("error: refs/heads/main 3f2a1c9: ") */
	const char *warn_prefix;  /* remote: before warning lines; NULL: prefix */
	size_t max_lines;     /* remote: at most this many lines (problems and suppressions); 0: no cap */
	size_t max_line_len;  /* remote: a line longer than this (prefix not counted) is cut to end in "..."; 0: 4096 */
	const char *tool_version; /* sarif: driver version; NULL: none */
	const char *hint_prefix;  /* remote: before suppression lines; NULL: warn_prefix */
	/*
	 * text: kubeconform 0.6's lines, one per resource ("FILE - KIND NAME is
	 * invalid: MSG", "... failed validation: MSG", with verbose "... is
	 * valid" and "FILE - NAME KIND skipped"), no per-problem lines
	 */
	int kc_compat;
};
#define GATE_REPORT_OPTS_INIT { GATE_REPORT_TEXT, 0, 0, 0, 0.0, NULL, NULL, 0, 0, NULL, NULL, 0 }

/* Counts of what was added, by status, and the number of distinct files. */
struct gate_report_counts {
	size_t valid, invalid, errors, skipped, empty;
	size_t files;
	size_t problems;      /* problem lines (deny and warn, unsuppressed) */
	size_t lines_dropped; /* remote: lines (problems and suppressions) not shown because of max_lines */
	size_t suppressed;    /* suppressed problems listed (line formats) */
	size_t dropped_deny;  /* remote: of lines_dropped, rejecting lines (deny, or an invalid result's message) */
	size_t dropped_suppressed; /* remote: of lines_dropped, suppression lines */
};

struct gate_report;

/* "text", "json", ... to a format; returns 0, or -1 for an unknown name. */
int gate_report_format_parse(const char *name, enum gate_report_format *out);
const char *gate_report_format_name(enum gate_report_format f);

/*
 * Start a report.  opts is copied (the prefix strings are borrowed and must
 * outlive the report).  *out is new: release with gate_report_free().
 * Returns 0, or -1 when opts are invalid (unknown format).
 */
int gate_report_new(struct gate_report **out, const struct gate_report_opts *opts);
void gate_report_free(struct gate_report *rep);

/*
 * Add one verdict.  Line formats append its lines to out now; document
 * formats keep a copy of what they need (r stays the caller's).
 * Returns 0, or -1 after gate_report_finish().
 */
int gate_report_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out);
/* Add every result of rs in order. */
int gate_report_add_all(struct gate_report *rep, const struct gate_results *rs, struct gate_buf *out);

/*
 * Close the report: the summary line, the "1..N" plan, or the whole
 * document goes into out.  Only the first call writes; returns 0 or -1.
 */
int gate_report_finish(struct gate_report *rep, struct gate_buf *out);

/* What was added so far (borrowed, valid while rep lives). */
const struct gate_report_counts *gate_report_counts(const struct gate_report *rep);

/*
 * One problem as a plain line without newline, escaped for a terminal:
 * "apps/web.yaml:12:5: Deployment/web: /spec/replicas: expected integer, got string".
 * The place falls back to the resource's line when the problem has none; the
 * pointer is left out when NULL or empty.  p may be NULL for a result that
 * has only a message (statusError): then "...: error: <msg>".  A warning says
 * "warning: " before its message, a suppressed problem "suppressed: " and its
 * reason in parentheses after it; a policy check id ends the line: " [id]".
 */
void gate_report_problem_line(struct gate_buf *out, const struct gate_result *r,
	const struct gate_problem *p);

/*
 * Convenience for the hooks and tools: render rs completely in one format and
 * write it to f.  Returns 0, or -1 when writing failed (errno set).
 */
int gate_report_fwrite(FILE *f, const struct gate_report_opts *opts, const struct gate_results *rs);

#endif
