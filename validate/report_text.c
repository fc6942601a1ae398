/*
 * report_text: the line formats: text (kubeconform's, with places), pretty
 * (the same, coloured) and remote (the hooks' lines, with prefixes and caps).
 */
#include "report_int.h"

#include <stdint.h>
#include <string.h>

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

/*
 * kubeconform 0.6's text line of a result (pkg/output/text.go): its wording,
 * our message (every problem, "pointer: message - ...").  kubeconform names
 * a skipped resource "NAME KIND", the other way round: so do we.
 */
static void kc_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out)
{
	struct gate_buf msg = GATE_BUF_INIT;
	size_t i, n = 0;

	/* counted as text counts its lines: a failure without problems is one */
	for (i = 0; i < r->nproblems; i++)
		if (r->problems[i].suppressed)
			rep->c.suppressed++;
		else
			n++;
	if (!n && (r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR))
		n = 1;
	rep->c.problems += n;
	switch (r->status) {
	case GATE_STATUS_VALID:
	case GATE_STATUS_SKIPPED:
		if (!rep->o.verbose)
			return;
		add_esc(out, nz(r->filename));
		gate_buf_adds(out, " - ");
		add_esc(out, nz(r->status == GATE_STATUS_VALID ? r->kind : r->name));
		gate_buf_addc(out, ' ');
		add_esc(out, nz(r->status == GATE_STATUS_VALID ? r->name : r->kind));
		gate_buf_adds(out, r->status == GATE_STATUS_VALID ? " is valid\n" : " skipped\n");
		return;
	case GATE_STATUS_INVALID:
	case GATE_STATUS_ERROR:
		add_esc(out, nz(r->filename));
		gate_buf_adds(out, " - ");
		if (r->status == GATE_STATUS_INVALID || (r->kind && *r->kind && r->name && *r->name)) {
			add_esc(out, nz(r->kind));
			gate_buf_addc(out, ' ');
			add_esc(out, nz(r->name));
			gate_buf_addc(out, ' ');
		}
		gate_buf_adds(out, r->status == GATE_STATUS_INVALID ? "is invalid: " : "failed validation: ");
		gate_report_result_msg(&msg, r);
		if (msg.len)
			gate_buf_add_escaped(out, msg.ptr, msg.len);
		gate_buf_addc(out, '\n');
		gate_buf_release(&msg);
		return;
	case GATE_STATUS_EMPTY:
		return;
	}
}

void gate_report_text_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out)
{
	int pretty = rep->o.format == GATE_REPORT_PRETTY;
	size_t i, n = 0;

	if (rep->o.kc_compat && !pretty) {
		kc_add(rep, r, out);
		return;
	}

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

void gate_report_summary_line(const struct gate_report *rep, struct gate_buf *out)
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

void gate_report_remote_add(struct gate_report *rep, const struct gate_result *r, struct gate_buf *out)
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
