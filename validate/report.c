/*
 * report: render verdicts as text, pretty, json, junit, tap, sarif or remote
 * lines.  See include/gate/report.h.  This file holds the report object, the
 * dispatch to the formats and what they share; each format has its file
 * (report_text.c, report_tap.c, report_json.c, report_junit.c).
 */
#include "report_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void strmap_grow(struct strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64, i;
	char **keys = gate_xcalloc(ncap, sizeof(*keys));
	size_t *vals = gate_xcalloc(ncap, sizeof(*vals));

	for (i = 0; i < m->cap; i++) {
		size_t j;
		if (!m->keys[i])
			continue;
		j = fnv1a(m->keys[i]) & (ncap - 1);
		while (keys[j])
			j = (j + 1) & (ncap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = ncap;
}

int gate_report_strmap_get_or_put(struct strmap *m, const char *key, size_t *val)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap)
		strmap_grow(m);
	j = fnv1a(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key)) {
			*val = m->vals[j];
			return 1;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = gate_xstrdup(key);
	m->vals[j] = *val;
	m->n++;
	return 0;
}

void gate_report_strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static const char *const format_names[] = {
	[GATE_REPORT_TEXT] = "text",
	[GATE_REPORT_PRETTY] = "pretty",
	[GATE_REPORT_JSON] = "json",
	[GATE_REPORT_JUNIT] = "junit",
	[GATE_REPORT_TAP] = "tap",
	[GATE_REPORT_SARIF] = "sarif",
	[GATE_REPORT_REMOTE] = "remote",
};

int gate_report_format_parse(const char *name, enum gate_report_format *out)
{
	size_t i;

	for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (name && !strcmp(name, format_names[i])) {
			*out = (enum gate_report_format)i;
			return 0;
		}
	return -1;
}

const char *gate_report_format_name(enum gate_report_format f)
{
	if ((size_t)f < sizeof(format_names) / sizeof(format_names[0]))
		return format_names[f];
	return "unknown";
}

int gate_report_new(struct gate_report **out, const struct gate_report_opts *opts)
{
	struct gate_report *rep;

	*out = NULL;
	if ((size_t)opts->format >= sizeof(format_names) / sizeof(format_names[0]))
		return -1;
	rep = gate_xcalloc(1, sizeof(*rep));
	rep->o = *opts;
	if (!rep->o.max_line_len)
		rep->o.max_line_len = 4096;
	if (rep->o.format == GATE_REPORT_JSON || rep->o.format == GATE_REPORT_SARIF) {
		rep->resources = json_array();
		rep->rules = json_array();
		if (!rep->resources || !rep->rules) {
			gate_report_free(rep);
			return -1;
		}
	}
	*out = rep;
	return 0;
}

void gate_report_free(struct gate_report *rep)
{
	size_t i;

	if (!rep)
		return;
	gate_report_strmap_release(&rep->files);
	gate_report_strmap_release(&rep->rule_ids);
	json_decref(rep->resources);
	json_decref(rep->rules);
	for (i = 0; i < rep->nsuites; i++) {
		free(rep->suites[i].name);
		gate_buf_release(&rep->suites[i].cases);
	}
	free(rep->suites);
	free(rep);
}

const struct gate_report_counts *gate_report_counts(const struct gate_report *rep)
{
	return &rep->c;
}

/* ---- helpers shared by the formats ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
size_t gate_report_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* The one-line message of a result, raw (not escaped). */
void gate_report_result_msg(struct gate_buf *b, const struct gate_result *r)
{
	size_t i;
	int first = 1;

	if (r->msg) {
		gate_buf_adds(b, r->msg);
		return;
	}
	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *p = &r->problems[i];
		if (p->suppressed || (r->status != GATE_STATUS_VALID && p->severity == GATE_SEV_WARN))
			continue;
		if (!first)
			gate_buf_adds(b, " - ");
		first = 0;
		if (p->pointer && *p->pointer)
			gate_buf_addf(b, "%s: ", p->pointer);
		gate_buf_adds(b, nz(p->message));
	}
}

static void count(struct gate_report *rep, const struct gate_result *r)
{
	size_t v = rep->nsuites;

	switch (r->status) {
	case GATE_STATUS_VALID: rep->c.valid++; break;
	case GATE_STATUS_INVALID: rep->c.invalid++; break;
	case GATE_STATUS_ERROR: rep->c.errors++; break;
	case GATE_STATUS_SKIPPED: rep->c.skipped++; break;
	case GATE_STATUS_EMPTY: rep->c.empty++; break;
	}
	if (!gate_report_strmap_get_or_put(&rep->files, nz(r->filename), &v))
		rep->c.files++;
}

/* ---- dispatch ---- */

int gate_report_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out)
{
	if (rep->finished)
		return -1;
	if (rep->o.format != GATE_REPORT_JUNIT)
		count(rep, r);
	else
		switch (r->status) {
		case GATE_STATUS_VALID: rep->c.valid++; break;
		case GATE_STATUS_INVALID: rep->c.invalid++; break;
		case GATE_STATUS_ERROR: rep->c.errors++; break;
		case GATE_STATUS_SKIPPED: rep->c.skipped++; break;
		case GATE_STATUS_EMPTY: rep->c.empty++; break;
		}
	switch (rep->o.format) {
	case GATE_REPORT_TEXT:
	case GATE_REPORT_PRETTY:
		gate_report_text_add(rep, r, out);
		return 0;
	case GATE_REPORT_REMOTE:
		gate_report_remote_add(rep, r, out);
		return 0;
	case GATE_REPORT_TAP:
		gate_report_tap_add(rep, r, out);
		return 0;
	case GATE_REPORT_JSON:
		return gate_report_json_add(rep, r);
	case GATE_REPORT_SARIF:
		return gate_report_sarif_add(rep, r);
	case GATE_REPORT_JUNIT:
		gate_report_junit_add(rep, r);
		rep->c.files = rep->nsuites;
		return 0;
	}
	return -1;
}

int gate_report_add_all(struct gate_report *rep, const struct gate_results *rs, struct gate_buf *out)
{
	size_t i;
	int error;

	for (i = 0; i < rs->n; i++)
		if ((error = gate_report_add(rep, &rs->v[i], out)) < 0)
			return error;
	return 0;
}

int gate_report_finish(struct gate_report *rep, struct gate_buf *out)
{
	if (rep->finished)
		return 0;
	rep->finished = 1;
	switch (rep->o.format) {
	case GATE_REPORT_TEXT:
	case GATE_REPORT_PRETTY:
		if (rep->o.summary)
			gate_report_summary_line(rep, out);
		return 0;
	case GATE_REPORT_REMOTE:
		if (rep->c.lines_dropped) {
			gate_buf_adds(out, nz(rep->o.prefix));
			gate_buf_addf(out, "%zu more problem%s not shown\n", rep->c.lines_dropped,
				rep->c.lines_dropped > 1 ? "s" : "");
		}
		return 0;
	case GATE_REPORT_TAP:
		gate_buf_addf(out, "1..%zu\n", rep->index);
		return 0;
	case GATE_REPORT_JSON:
		return gate_report_json_finish(rep, out);
	case GATE_REPORT_SARIF:
		return gate_report_sarif_finish(rep, out);
	case GATE_REPORT_JUNIT:
		gate_report_junit_finish(rep, out);
		return 0;
	}
	return -1;
}

int gate_report_fwrite(FILE *f, const struct gate_report_opts *opts, const struct gate_results *rs)
{
	struct gate_report *rep = NULL;
	struct gate_buf out = GATE_BUF_INIT;
	int error;

	if ((error = gate_report_new(&rep, opts)) < 0)
		goto done;
	if ((error = gate_report_add_all(rep, rs, &out)) < 0 ||
	    (error = gate_report_finish(rep, &out)) < 0)
		goto done;
	if (out.len && fwrite(out.ptr, 1, out.len, f) != out.len) {
		error = -1;
		goto done;
	}
	if (fflush(f) != 0)
		error = -1;
done:
	gate_buf_release(&out);
	gate_report_free(rep);
	return error;
}

