/*
 * report: render verdicts as text, pretty, json, junit, tap, sarif or remote
 * lines.  See include/gate/report.h.
 */
#include "gate/report.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define TOOL_URI "https://github.com/gitops-gate/gitops-gate"

/* A small string -> index map (open addressing, FNV-1a). */
struct strmap {
	char **keys;
	size_t *vals;
	size_t n, cap;
};

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

/* Find key; when absent insert it with value val.  Returns 1 if found (*val set). */
static int strmap_get_or_put(struct strmap *m, const char *key, size_t *val)
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

static void strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

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
	strmap_release(&rep->files);
	strmap_release(&rep->rule_ids);
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

static const char *nz(const char *s)
{
	return s ? s : "";
}

static void add_esc(struct gate_buf *b, const char *s)
{
	if (s)
		gate_buf_add_escaped(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
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

/* A new JSON string; bytes that are not UTF-8 become the text \xNN. */
static json_t *jstr(const char *s)
{
	struct gate_buf b = GATE_BUF_INIT;
	const unsigned char *p = (const unsigned char *)nz(s);
	size_t n = strlen((const char *)p), i = 0;
	json_t *j;

	if ((j = json_stringn((const char *)p, n)))
		return j;
	while (i < n) {
		size_t l = utf8_seq(p + i, n - i);
		if (l) {
			gate_buf_add(&b, p + i, l);
			i += l;
		} else {
			gate_buf_addf(&b, "\\x%02x", p[i]);
			i++;
		}
	}
	j = json_stringn(b.ptr ? b.ptr : "", b.len);
	gate_buf_release(&b);
	return j;
}

/* Append text for XML (attribute values and character data alike). */
static void add_xml(struct gate_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)nz(s);
	size_t n = strlen((const char *)p), i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t l;
		switch (c) {
		case '&': gate_buf_adds(b, "&amp;"); i++; continue;
		case '<': gate_buf_adds(b, "&lt;"); i++; continue;
		case '>': gate_buf_adds(b, "&gt;"); i++; continue;
		case '"': gate_buf_adds(b, "&#34;"); i++; continue;
		case '\'': gate_buf_adds(b, "&#39;"); i++; continue;
		case '\t': gate_buf_adds(b, "&#x9;"); i++; continue;
		case '\n': gate_buf_adds(b, "&#xA;"); i++; continue;
		case '\r': gate_buf_adds(b, "&#xD;"); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f || !(l = utf8_seq(p + i, n - i))) {
			gate_buf_addf(b, "\\x%02x", c);
			i++;
			continue;
		}
		gate_buf_add(b, p + i, l);
		i += l;
	}
}

/* "Kind/name", "Kind" or nothing; returns 1 when something was added. */
static int add_label(struct gate_buf *b, const struct gate_result *r)
{
	if (!r->kind || !*r->kind)
		return 0;
	add_esc(b, r->kind);
	if (r->name && *r->name) {
		gate_buf_addc(b, '/');
		add_esc(b, r->name);
	}
	return 1;
}

static void add_place(struct gate_buf *b, const struct gate_result *r, const struct gate_problem *p)
{
	add_esc(b, nz(r->filename));
	if (p && p->line)
		gate_buf_addf(b, ":%lu:%lu", (unsigned long)p->line, (unsigned long)(p->col ? p->col : 1));
	else if (r->line)
		gate_buf_addf(b, ":%lu:1", (unsigned long)r->line);
	gate_buf_adds(b, ": ");
}

/* Is rule a policy check whose id is worth showing (not the engine's or the hooks' own)? */
static int shows_rule(const char *rule)
{
	static const char *const own[] = { "schema", "yaml", "size", "binary", "symlink",
		"submodule", "no-schema-settings", NULL };
	size_t i;

	if (!rule || !*rule)
		return 0;
	for (i = 0; own[i]; i++)
		if (!strcmp(rule, own[i]))
			return 0;
	return 1;
}

/* word: say "warning: " before a warning's message (not when the prefix already does) */
static void problem_line(struct gate_buf *out, const struct gate_result *r,
	const struct gate_problem *p, int word)
{
	add_place(out, r, p);
	if (add_label(out, r))
		gate_buf_adds(out, ": ");
	if (!p) {
		gate_buf_adds(out, "error: ");
		add_esc(out, r->msg ? r->msg : "could not evaluate");
		return;
	}
	if (p->pointer && *p->pointer) {
		add_esc(out, p->pointer);
		gate_buf_adds(out, ": ");
	}
	if (p->suppressed)
		gate_buf_adds(out, "suppressed: ");
	else if (r->status == GATE_STATUS_ERROR && p->severity == GATE_SEV_DENY)
		gate_buf_adds(out, "error: ");
	else if (p->severity == GATE_SEV_WARN && word)
		gate_buf_adds(out, "warning: ");
	add_esc(out, nz(p->message));
	if (p->suppressed) {
		gate_buf_adds(out, " (");
		add_esc(out, p->suppressed);
		gate_buf_addc(out, ')');
	}
	if (shows_rule(p->rule)) {
		gate_buf_adds(out, " [");
		add_esc(out, p->rule);
		gate_buf_addc(out, ']');
	}
}

void gate_report_problem_line(struct gate_buf *out, const struct gate_result *r,
	const struct gate_problem *p)
{
	problem_line(out, r, p, 1);
}

/* The one-line message of a result, raw (not escaped). */
static void result_msg(struct gate_buf *b, const struct gate_result *r)
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

/* First problem with a place, for the resource's line/column in json. */
static void result_place(const struct gate_result *r, uint32_t *line, uint32_t *col)
{
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		if (r->problems[i].line && !r->problems[i].suppressed) {
			*line = r->problems[i].line;
			*col = r->problems[i].col ? r->problems[i].col : 1;
			return;
		}
	*line = r->line;
	*col = r->line ? 1 : 0;
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
	if (!strmap_get_or_put(&rep->files, nz(r->filename), &v))
		rep->c.files++;
}

/* ---- text, pretty, remote ---- */

#define C_RED "\033[91m"
#define C_GREEN "\033[92m"
#define C_YELLOW "\033[33m"
#define C_RESET "\033[0m"

static void kind_name(struct gate_buf *b, const struct gate_result *r)
{
	add_esc(b, nz(r->kind));
	if (r->name && *r->name) {
		gate_buf_addc(b, ' ');
		add_esc(b, r->name);
	}
}

static void text_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out)
{
	int pretty = rep->o.format == GATE_REPORT_PRETTY;
	size_t i, n = 0;

	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *p = &r->problems[i];
		if (pretty)
			gate_buf_adds(out, p->suppressed ? C_YELLOW "~" C_RESET " " :
				p->severity == GATE_SEV_WARN ? C_YELLOW "!" C_RESET " " : C_RED "\u2716" C_RESET " ");
		gate_report_problem_line(out, r, p);
		gate_buf_addc(out, '\n');
		if (p->suppressed) {
			rep->c.suppressed++;
			continue;
		}
		rep->c.problems++;
		n++;
	}
	switch (r->status) {
	case GATE_STATUS_INVALID:
	case GATE_STATUS_ERROR:
		if (!n) {
			if (pretty)
				gate_buf_adds(out, C_RED "\u2716" C_RESET " ");
			gate_report_problem_line(out, r, NULL);
			gate_buf_addc(out, '\n');
			rep->c.problems++;
		}
		break;
	case GATE_STATUS_VALID:
		if (rep->o.verbose) {
			if (pretty) {
				gate_buf_adds(out, C_GREEN "\u2714" C_RESET " ");
				add_esc(out, nz(r->filename));
				gate_buf_adds(out, ": ");
			} else {
				add_esc(out, nz(r->filename));
				gate_buf_adds(out, " - ");
			}
			kind_name(out, r);
			gate_buf_adds(out, " is valid\n");
		}
		break;
	case GATE_STATUS_SKIPPED:
		if (rep->o.verbose) {
			if (pretty) {
				gate_buf_adds(out, C_YELLOW "-" C_RESET " ");
				add_esc(out, nz(r->filename));
				gate_buf_adds(out, ": ");
			} else {
				add_esc(out, nz(r->filename));
				gate_buf_adds(out, " - ");
			}
			kind_name(out, r);
			gate_buf_adds(out, r->kind && *r->kind ? " skipped\n" : "skipped\n");
		}
		break;
	case GATE_STATUS_EMPTY:
		break;
	}
}

static void summary_line(const struct gate_report *rep, struct gate_buf *out)
{
	size_t nres = rep->c.valid + rep->c.invalid + rep->c.errors + rep->c.skipped;

	if (rep->o.is_stdin)
		gate_buf_addf(out, "Summary: %zu resource%s found parsing stdin", nres, nres > 1 ? "s" : "");
	else
		gate_buf_addf(out, "Summary: %zu resource%s found in %zu file%s", nres, nres > 1 ? "s" : "",
			rep->c.files, rep->c.files > 1 ? "s" : "");
	gate_buf_addf(out, " - Valid: %zu, Invalid: %zu, Errors: %zu, Skipped: %zu\n",
		rep->c.valid, rep->c.invalid, rep->c.errors, rep->c.skipped);
}

/* Append one remote line: prefix + line, cut to max_line_len bytes. */
static void remote_line(struct gate_report *rep, struct gate_buf *out, const char *prefix,
	const struct gate_result *r, const struct gate_problem *p, int word)
{
	struct gate_buf line = GATE_BUF_INIT;
	size_t len;

	if (p && p->suppressed)
		rep->c.suppressed++;
	else
		rep->c.problems++;
	if (rep->o.max_lines && rep->c.problems + rep->c.suppressed > rep->o.max_lines) {
		rep->c.lines_dropped++;
		if (p && p->suppressed)
			rep->c.dropped_suppressed++;
		else if (!p || p->severity == GATE_SEV_DENY)
			rep->c.dropped_deny++;
		return;
	}
	problem_line(&line, r, p, word);
	len = line.len;
	if (len > rep->o.max_line_len) {
		len = rep->o.max_line_len > 3 ? rep->o.max_line_len - 3 : 0;
		while (len && ((unsigned char)line.ptr[len] & 0xc0) == 0x80)
			len--;
	}
	gate_buf_adds(out, nz(prefix));
	gate_buf_add(out, line.ptr, len);
	if (len < line.len)
		gate_buf_adds(out, "...");
	gate_buf_addc(out, '\n');
	gate_buf_release(&line);
}

static void remote_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out)
{
	const char *wp = rep->o.warn_prefix ? rep->o.warn_prefix : rep->o.prefix;
	const char *hp = rep->o.hint_prefix ? rep->o.hint_prefix : wp;
	/* a separate warning prefix says "warning:" already */
	int word = rep->o.warn_prefix == NULL;
	size_t i, n = 0;

	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *p = &r->problems[i];
		if (p->suppressed)
			remote_line(rep, out, hp, r, p, 0);
		else
			remote_line(rep, out, p->severity == GATE_SEV_WARN ? wp : rep->o.prefix, r, p, word);
		if (p->severity == GATE_SEV_DENY && !p->suppressed)
			n++;
	}
	if ((r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR) && !n)
		remote_line(rep, out, rep->o.prefix, r, NULL, word);
}

/* ---- tap ---- */

static void tap_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out)
{
	struct gate_buf msg = GATE_BUF_INIT;
	size_t i;

	/* kubeconform 0.6's lines: "ok N - path (version/kind/namespace/name)" */
	if (!rep->index++)
		gate_buf_adds(out, "TAP version 13\n");
	gate_buf_addf(out, "%s %zu - ", r->status == GATE_STATUS_INVALID ||
		r->status == GATE_STATUS_ERROR ? "not ok" : "ok", rep->index);
	add_esc(out, nz(r->filename));
	switch (r->status) {
	case GATE_STATUS_VALID:
	case GATE_STATUS_INVALID:
	case GATE_STATUS_SKIPPED:
		gate_buf_adds(out, " (");
		add_esc(out, nz(r->api_version));
		gate_buf_addc(out, '/');
		add_esc(out, nz(r->kind));
		gate_buf_addc(out, '/');
		add_esc(out, nz(r->namespace_));
		gate_buf_addc(out, '/');
		add_esc(out, nz(r->name));
		gate_buf_adds(out, r->status == GATE_STATUS_INVALID ? "): " :
			r->status == GATE_STATUS_SKIPPED ? ") # skip" : ")");
		break;
	case GATE_STATUS_EMPTY:
		gate_buf_adds(out, " (empty)");
		break;
	case GATE_STATUS_ERROR:
		gate_buf_adds(out, ": ");
		break;
	}
	if (r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR) {
		result_msg(&msg, r);
		if (msg.len)
			gate_buf_add_escaped(out, msg.ptr, msg.len);
	}
	gate_buf_addc(out, '\n');
	/* places of the problems as TAP comments */
	for (i = 0; i < r->nproblems; i++) {
		gate_buf_adds(out, "# ");
		gate_report_problem_line(out, r, &r->problems[i]);
		gate_buf_addc(out, '\n');
		if (r->problems[i].suppressed)
			rep->c.suppressed++;
		else
			rep->c.problems++;
	}
	gate_buf_release(&msg);
}

/* ---- json ---- */

static int json_add(struct gate_report *rep, const struct gate_result *r)
{
	struct gate_buf msg = GATE_BUF_INIT;
	json_t *o, *errs = NULL, *sup = NULL;
	uint32_t line, col;
	size_t i, nsup = 0;

	for (i = 0; i < r->nproblems; i++)
		if (r->problems[i].suppressed)
			nsup++;
	/* a resource with suppressions is listed, so every suppression shows */
	if (!rep->o.verbose && !nsup && (r->status == GATE_STATUS_VALID ||
	    r->status == GATE_STATUS_SKIPPED || r->status == GATE_STATUS_EMPTY))
		return 0;
	if (r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR)
		result_msg(&msg, r);
	result_place(r, &line, &col);
	o = json_object();
	if (!o)
		goto oom;
	json_object_set_new(o, "filename", jstr(r->filename));
	json_object_set_new(o, "kind", jstr(r->kind));
	json_object_set_new(o, "name", jstr(r->name));
	json_object_set_new(o, "version", jstr(r->api_version));
	/* kubeconform lists an empty resource with an empty status */
	json_object_set_new(o, "status", json_string(r->status == GATE_STATUS_EMPTY ? "" :
		gate_status_name(r->status)));
	json_object_set_new(o, "msg", jstr(msg.ptr));
	json_object_set_new(o, "line", json_integer(line));
	json_object_set_new(o, "column", json_integer(col));
	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *p = &r->problems[i];
		json_t *e, **into = p->suppressed ? &sup : &errs;
		if (!*into && !(*into = json_array()))
			goto oom;
		if (!(e = json_object()))
			goto oom;
		json_object_set_new(e, "path", jstr(p->pointer));
		json_object_set_new(e, "msg", jstr(p->message));
		json_object_set_new(e, "line", json_integer(p->line ? p->line : r->line));
		json_object_set_new(e, "column", json_integer(p->line ? (p->col ? p->col : 1) : (r->line ? 1 : 0)));
		if (p->rule)
			json_object_set_new(e, "rule", jstr(p->rule));
		if (p->severity == GATE_SEV_WARN)
			json_object_set_new(e, "severity", json_string("warning"));
		if (p->suppressed) {
			json_object_set_new(e, "reason", jstr(p->suppressed));
			rep->c.suppressed++;
		}
		json_array_append_new(*into, e);
	}
	if (errs)
		json_object_set_new(o, "validationErrors", errs);
	if (sup)
		json_object_set_new(o, "suppressions", sup);
	errs = sup = NULL;
	if (json_array_append_new(rep->resources, o) < 0)
		goto oom;
	gate_buf_release(&msg);
	return 0;
oom:
	json_decref(errs);
	json_decref(sup);
	json_decref(o);
	gate_buf_release(&msg);
	return -1;
}

static int dump_json(json_t *root, struct gate_buf *out)
{
	char *s = json_dumps(root, JSON_INDENT(2));

	if (!s)
		return -1;
	gate_buf_adds(out, s);
	gate_buf_addc(out, '\n');
	free(s);
	return 0;
}

static int json_finish(struct gate_report *rep, struct gate_buf *out)
{
	json_t *root = json_object();
	int error;

	if (!root)
		return -1;
	json_object_set(root, "resources", rep->resources);
	if (rep->o.summary)
		json_object_set_new(root, "summary", json_pack("{s:I,s:I,s:I,s:I}",
			"valid", (json_int_t)rep->c.valid, "invalid", (json_int_t)rep->c.invalid,
			"errors", (json_int_t)rep->c.errors, "skipped", (json_int_t)rep->c.skipped));
	error = dump_json(root, out);
	json_decref(root);
	return error;
}

/* ---- sarif ---- */

static const char *rule_text(const char *id)
{
	if (!strcmp(id, "schema"))
		return "Resource is invalid against its schema";
	if (!strcmp(id, "yaml"))
		return "Document could not be parsed";
	if (!strcmp(id, "error"))
		return "Error processing resource";
	if (!strcmp(id, "valid"))
		return "Resource is valid";
	if (!strcmp(id, "skipped"))
		return "Resource validation was skipped";
	return "Policy check";
}

static void sarif_rule(struct gate_report *rep, const char *id, const char *level)
{
	size_t v = json_array_size(rep->rules);

	if (strmap_get_or_put(&rep->rule_ids, id, &v))
		return;
	json_array_append_new(rep->rules, json_pack("{s:o,s:{s:s},s:{s:s}}",
		"id", jstr(id), "shortDescription", "text", rule_text(id),
		"defaultConfiguration", "level", level));
}

static int sarif_result(struct gate_report *rep, const struct gate_result *r,
	const struct gate_problem *p, const char *rule, const char *level)
{
	struct gate_buf msg = GATE_BUF_INIT, uri = GATE_BUF_INIT;
	const unsigned char *s;
	json_t *res, *phys, *loc;
	uint32_t line = 0, col = 0;

	sarif_rule(rep, rule, level);
	/* message: "Kind/name: pointer: message" (places live in the location) */
	if (r->kind && *r->kind) {
		gate_buf_adds(&msg, r->kind);
		if (r->name && *r->name)
			gate_buf_addf(&msg, "/%s", r->name);
		gate_buf_adds(&msg, ": ");
	}
	if (p) {
		if (p->pointer && *p->pointer)
			gate_buf_addf(&msg, "%s: ", p->pointer);
		gate_buf_adds(&msg, nz(p->message));
		line = p->line;
		col = p->col;
	} else if (r->status == GATE_STATUS_VALID) {
		gate_buf_adds(&msg, "is valid");
	} else if (r->status == GATE_STATUS_SKIPPED) {
		gate_buf_adds(&msg, "skipped");
	} else {
		result_msg(&msg, r);
	}
	if (!line) {
		line = r->line;
		col = line ? 1 : 0;
	}
	/* artifact URI: a relative reference, unsafe bytes percent-encoded */
	for (s = (const unsigned char *)nz(r->filename); *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    strchr("-._~/", *s))
			gate_buf_addc(&uri, (char)*s);
		else
			gate_buf_addf(&uri, "%%%02X", *s);
	}
	phys = json_pack("{s:{s:s#}}", "artifactLocation", "uri", uri.ptr ? uri.ptr : "", uri.len);
	if (phys && line)
		json_object_set_new(phys, "region", json_pack("{s:I,s:I}", "startLine", (json_int_t)line,
			"startColumn", (json_int_t)(col ? col : 1)));
	loc = json_pack("{s:o}", "physicalLocation", phys);
	if (loc && p && p->pointer && *p->pointer)
		json_object_set_new(loc, "logicalLocations", json_pack("[{s:o}]", "name", jstr(p->pointer)));
	res = json_pack("{s:o,s:s,s:{s:o},s:[o]}", "ruleId", jstr(rule), "level", level,
		"message", "text", jstr(msg.ptr), "locations", loc);
	gate_buf_release(&msg);
	gate_buf_release(&uri);
	if (!res)
		return -1;
	if (p && p->suppressed)
		json_object_set_new(res, "suppressions", json_pack("[{s:s,s:o}]", "kind",
			!strncmp(p->suppressed, "annotation:", 11) ? "inSource" : "external",
			"justification", jstr(p->suppressed)));
	return json_array_append_new(rep->resources, res);
}

static int sarif_add(struct gate_report *rep, const struct gate_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *p = &r->problems[i];
		const char *level = p->severity == GATE_SEV_WARN ? "warning" : "error";
		if (sarif_result(rep, r, p, p->rule ? p->rule : "schema", level) < 0)
			return -1;
		if (p->severity == GATE_SEV_DENY)
			n++;
	}
	switch (r->status) {
	case GATE_STATUS_INVALID:
	case GATE_STATUS_ERROR:
		if (!n)
			return sarif_result(rep, r, NULL, "error", "error");
		break;
	case GATE_STATUS_VALID:
		if (rep->o.verbose)
			return sarif_result(rep, r, NULL, "valid", "note");
		break;
	case GATE_STATUS_SKIPPED:
		if (rep->o.verbose)
			return sarif_result(rep, r, NULL, "skipped", "note");
		break;
	case GATE_STATUS_EMPTY:
		break;
	}
	return 0;
}

static int sarif_finish(struct gate_report *rep, struct gate_buf *out)
{
	json_t *driver, *root;
	int error;

	driver = json_pack("{s:s,s:s,s:O}", "name", "gitops-gate", "informationUri", TOOL_URI,
		"rules", rep->rules);
	if (!driver)
		return -1;
	if (rep->o.tool_version)
		json_object_set_new(driver, "version", jstr(rep->o.tool_version));
	root = json_pack("{s:s,s:s,s:[{s:{s:o},s:O}]}", "$schema", SARIF_SCHEMA, "version", "2.1.0",
		"runs", "tool", "driver", driver, "results", rep->resources);
	if (!root)
		return -1;
	error = dump_json(root, out);
	json_decref(root);
	return error;
}

/* ---- junit ---- */

static void junit_add(struct gate_report *rep, const struct gate_result *r)
{
	struct junit_suite *s;
	struct gate_buf msg = GATE_BUF_INIT;
	size_t idx = rep->nsuites, i, n;

	/* the suite of this file: the last one, or a lookup */
	if (rep->nsuites && !strcmp(rep->suites[rep->nsuites - 1].name, nz(r->filename))) {
		idx = rep->nsuites - 1;
	} else if (!strmap_get_or_put(&rep->files, nz(r->filename), &idx) || idx >= rep->nsuites) {
		GATE_ALLOC_GROW(rep->suites, rep->nsuites + 1, rep->asuites);
		idx = rep->nsuites++;
		s = &rep->suites[idx];
		memset(s, 0, sizeof(*s));
		s->name = gate_xstrdup(nz(r->filename));
		s->id = idx + 1;
	}
	s = &rep->suites[idx];
	if (r->status == GATE_STATUS_EMPTY)
		return;
	s->tests++;
	gate_buf_adds(&s->cases, "    <testcase name=\"");
	if (r->namespace_ && *r->namespace_) {
		add_xml(&s->cases, r->namespace_);
		gate_buf_addc(&s->cases, '/');
	}
	add_xml(&s->cases, nz(r->name));
	gate_buf_adds(&s->cases, "\" classname=\"");
	add_xml(&s->cases, nz(r->kind));
	gate_buf_addc(&s->cases, '@');
	add_xml(&s->cases, nz(r->api_version));
	gate_buf_adds(&s->cases, "\">");
	switch (r->status) {
	case GATE_STATUS_VALID:
	case GATE_STATUS_EMPTY:
		break;
	case GATE_STATUS_SKIPPED:
		s->skipped++;
		gate_buf_adds(&s->cases, "\n      <skipped message=\"\"></skipped>\n    ");
		break;
	case GATE_STATUS_INVALID:
	case GATE_STATUS_ERROR:
		if (r->status == GATE_STATUS_INVALID)
			s->failures++;
		else
			s->errors++;
		result_msg(&msg, r);
		gate_buf_addf(&s->cases, "\n      <%s message=\"", r->status == GATE_STATUS_INVALID ? "failure" : "error");
		add_xml(&s->cases, nz(msg.ptr));
		gate_buf_adds(&s->cases, "\" type=\"\">");
		for (i = 0; i < r->nproblems; i++) {
			struct gate_buf line = GATE_BUF_INIT;
			if (r->problems[i].suppressed)
				continue;
			gate_report_problem_line(&line, r, &r->problems[i]);
			gate_buf_addc(&line, '\n');
			add_xml(&s->cases, line.ptr);
			gate_buf_release(&line);
		}
		gate_buf_addf(&s->cases, "</%s>\n    ", r->status == GATE_STATUS_INVALID ? "failure" : "error");
		break;
	}
	/* suppressions, so that they are listed here too */
	for (i = 0, n = 0; i < r->nproblems; i++) {
		struct gate_buf line = GATE_BUF_INIT;
		if (!r->problems[i].suppressed)
			continue;
		if (!n++)
			gate_buf_adds(&s->cases, "\n      <system-out>");
		gate_report_problem_line(&line, r, &r->problems[i]);
		gate_buf_addc(&line, '\n');
		add_xml(&s->cases, line.ptr);
		gate_buf_release(&line);
		rep->c.suppressed++;
	}
	if (n)
		gate_buf_adds(&s->cases, "</system-out>\n    ");
	gate_buf_adds(&s->cases, "</testcase>\n");
	gate_buf_release(&msg);
}

static void junit_finish(struct gate_report *rep, struct gate_buf *out)
{
	size_t i;

	gate_buf_addf(out, "<testsuites name=\"gitops-gate\" time=\"%g\" tests=\"%zu\" failures=\"%zu\" "
		"disabled=\"%zu\" errors=\"%zu\">\n", rep->o.elapsed,
		rep->c.valid + rep->c.invalid + rep->c.errors + rep->c.skipped,
		rep->c.invalid, rep->c.skipped, rep->c.errors);
	for (i = 0; i < rep->nsuites; i++) {
		struct junit_suite *s = &rep->suites[i];
		gate_buf_adds(out, "  <testsuite name=\"");
		add_xml(out, s->name);
		gate_buf_addf(out, "\" id=\"%zu\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" disabled=\"0\" "
			"skipped=\"%zu\">", s->id, s->tests, s->failures, s->errors, s->skipped);
		if (s->cases.len) {
			gate_buf_addc(out, '\n');
			gate_buf_add(out, s->cases.ptr, s->cases.len);
			gate_buf_adds(out, "  ");
		}
		gate_buf_adds(out, "</testsuite>\n");
	}
	gate_buf_adds(out, "</testsuites>\n");
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
		text_add(rep, r, out);
		return 0;
	case GATE_REPORT_REMOTE:
		remote_add(rep, r, out);
		return 0;
	case GATE_REPORT_TAP:
		tap_add(rep, r, out);
		return 0;
	case GATE_REPORT_JSON:
		return json_add(rep, r);
	case GATE_REPORT_SARIF:
		return sarif_add(rep, r);
	case GATE_REPORT_JUNIT:
		junit_add(rep, r);
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
			summary_line(rep, out);
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
		return json_finish(rep, out);
	case GATE_REPORT_SARIF:
		return sarif_finish(rep, out);
	case GATE_REPORT_JUNIT:
		junit_finish(rep, out);
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
