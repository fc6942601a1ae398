/*
 * report_junit: kubeconform's JUnit XML, one testsuite per file.
 */
#include "report_int.h"

#include <string.h>

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
		if (c < 0x20 || c == 0x7f || !(l = gate_report_utf8_seq(p + i, n - i))) {
			gate_buf_addf(b, "\\x%02x", c);
			i++;
			continue;
		}
		gate_buf_add(b, p + i, l);
		i += l;
	}
}

void gate_report_junit_add(struct gate_report *rep, const struct gate_result *r)
{
	struct junit_suite *s;
	struct gate_buf msg = GATE_BUF_INIT;
	size_t idx = rep->nsuites, i, n;

	/* the suite of this file: the last one, or a lookup */
	if (rep->nsuites && !strcmp(rep->suites[rep->nsuites - 1].name, nz(r->filename))) {
		idx = rep->nsuites - 1;
	} else if (!gate_report_strmap_get_or_put(&rep->files, nz(r->filename), &idx) || idx >= rep->nsuites) {
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
		gate_report_result_msg(&msg, r);
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

void gate_report_junit_finish(struct gate_report *rep, struct gate_buf *out)
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
