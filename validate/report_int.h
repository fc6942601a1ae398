/*
 * report_int.h: internals shared by the files of the report module
 * (report.c: the report object, dispatch and helpers; report_text.c: text,
 * pretty and remote lines; report_tap.c; report_json.c: json and sarif;
 * report_junit.c).  Not a public API.
 */
#ifndef GATE_REPORT_INT_H
#define GATE_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "gate/report.h"

/* A small string -> index map (open addressing, FNV-1a). */
struct strmap {
	char **keys;
	size_t *vals;
	size_t n, cap;
};

/*
 * Find key; when absent insert a copy of it with value *val.  Returns 1 if
 * found (*val set), 0 when inserted.
 */
int gate_report_strmap_get_or_put(struct strmap *m, const char *key, size_t *val);
void gate_report_strmap_release(struct strmap *m);

struct junit_suite {
	char *name;
	size_t id, tests, failures, errors, skipped;
	struct gate_buf cases;
};

struct gate_report {
	struct gate_report_opts o;
	struct gate_report_counts c;
	int finished;
	size_t index;        /* tap: results written */
	struct strmap files; /* distinct filenames (value: junit suite index) */
	json_t *resources;   /* json: array; sarif: results */
	json_t *rules;       /* sarif: rule objects, in first-use order */
	struct strmap rule_ids;
	struct junit_suite *suites;
	size_t nsuites, asuites;
};

static inline const char *nz(const char *s)
{
	return s ? s : "";
}

static inline void add_esc(struct gate_buf *b, const char *s)
{
	if (s)
		gate_buf_add_escaped(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
size_t gate_report_utf8_seq(const unsigned char *s, size_t n);
/* The one-line message of a result, raw (not escaped): "pointer: message - ...". */
void gate_report_result_msg(struct gate_buf *b, const struct gate_result *r);

/* text, pretty: a result's lines; the closing Summary line (report_text.c) */
void gate_report_text_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out);
void gate_report_summary_line(const struct gate_report *rep, struct gate_buf *out);
/* remote: a result's lines, each with its prefix, within the caps (report_text.c) */
void gate_report_remote_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out);
/* tap (report_tap.c) */
void gate_report_tap_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out);
/* json and sarif: collect, then the whole document (report_json.c) */
int gate_report_json_add(struct gate_report *rep, const struct gate_result *r);
int gate_report_json_finish(struct gate_report *rep, struct gate_buf *out);
int gate_report_sarif_add(struct gate_report *rep, const struct gate_result *r);
int gate_report_sarif_finish(struct gate_report *rep, struct gate_buf *out);
/* junit: one suite per file, then the document (report_junit.c) */
void gate_report_junit_add(struct gate_report *rep, const struct gate_result *r);
void gate_report_junit_finish(struct gate_report *rep, struct gate_buf *out);

#endif
