/*
 * report_test: every format rendered from hand-built verdicts.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gate/report.h"
#include "../tap.h"

static void fill(struct gate_results *rs)
{
	struct gate_result *r;

	r = gate_results_add(rs);
	r->filename = gate_xstrdup("apps/web.yaml");
	r->line = 1;
	r->api_version = gate_xstrdup("apps/v1");
	r->kind = gate_xstrdup("Deployment");
	r->name = gate_xstrdup("web");
	r->status = GATE_STATUS_VALID;

	r = gate_results_add(rs);
	r->filename = gate_xstrdup("apps/web.yaml");
	r->line = 20;
	r->api_version = gate_xstrdup("apps/v1");
	r->kind = gate_xstrdup("Deployment");
	r->name = gate_xstrdup("bad\x1b[31m");
	r->namespace_ = gate_xstrdup("prod");
	r->status = GATE_STATUS_INVALID;
	gate_result_add_problem(r, "/spec/replicas", 25, 13, "schema", GATE_SEV_DENY,
		"expected integer, got string");
	gate_result_add_problem(r, "", 20, 1, "schema", GATE_SEV_DENY, "missing property \"spec\"");

	r = gate_results_add(rs);
	r->filename = gate_xstrdup("x & <y>.yaml");
	r->line = 3;
	r->api_version = gate_xstrdup("example.com/v1");
	r->kind = gate_xstrdup("Widget");
	r->name = gate_xstrdup("w");
	r->status = GATE_STATUS_ERROR;
	r->msg = gate_xstrdup("could not find schema for Widget");

	r = gate_results_add(rs);
	r->filename = gate_xstrdup("x & <y>.yaml");
	r->line = 9;
	r->status = GATE_STATUS_EMPTY;

	r = gate_results_add(rs);
	r->filename = gate_xstrdup("k.yaml");
	r->line = 1;
	r->api_version = gate_xstrdup("kustomize.config.k8s.io/v1beta1");
	r->kind = gate_xstrdup("Kustomization");
	r->status = GATE_STATUS_SKIPPED;
}

static char *render(const struct gate_results *rs, enum gate_report_format f, int verbose, int summary)
{
	struct gate_report_opts o = GATE_REPORT_OPTS_INIT;
	struct gate_report *rep;
	struct gate_buf out = GATE_BUF_INIT;

	o.format = f;
	o.verbose = verbose;
	o.summary = summary;
	o.prefix = "error: refs/heads/main 3f2a1c9: ";
	if (gate_report_new(&rep, &o) < 0)
		return NULL;
	if (gate_report_add_all(rep, rs, &out) < 0 || gate_report_finish(rep, &out) < 0) {
		gate_report_free(rep);
		gate_buf_release(&out);
		return NULL;
	}
	gate_report_free(rep);
	if (!out.ptr)
		return gate_xstrdup("");
	return gate_buf_detach(&out);
}

int main(void)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	enum gate_report_format f;
	json_t *j, *v;
	json_error_t je;
	char *s;

	fill(&rs);

	ok(gate_report_format_parse("sarif", &f) == 0 && f == GATE_REPORT_SARIF, "parse format name");
	ok(gate_report_format_parse("yaml", &f) < 0, "unknown format refused");

	s = render(&rs, GATE_REPORT_TEXT, 0, 1);
	ok(s && !strcmp(s,
		"apps/web.yaml:25:13: Deployment/bad\\x1b[31m: /spec/replicas: expected integer, got string\n"
		"apps/web.yaml:20:1: Deployment/bad\\x1b[31m: missing property \"spec\"\n"
		"x & <y>.yaml:3:1: Widget/w: error: could not find schema for Widget\n"
		"Summary: 4 resources found in 3 files - Valid: 1, Invalid: 1, Errors: 1, Skipped: 1\n"),
		"text lines with places, escaping and summary");
	free(s);

	s = render(&rs, GATE_REPORT_TEXT, 1, 0);
	ok(s && strstr(s, "apps/web.yaml - Deployment web is valid\n") &&
		strstr(s, "k.yaml - Kustomization skipped\n"), "text verbose lists valid and skipped");
	free(s);

	s = render(&rs, GATE_REPORT_JSON, 0, 1);
	j = s ? json_loads(s, 0, &je) : NULL;
	ok(j != NULL, "json output parses");
	v = json_object_get(j, "resources");
	ok(json_array_size(v) == 2, "json lists only invalid and error without -verbose");
	ok(!strcmp(json_string_value(json_object_get(json_array_get(v, 0), "status")), "statusInvalid") &&
		json_integer_value(json_object_get(json_array_get(v, 0), "line")) == 25 &&
		json_integer_value(json_object_get(json_array_get(v, 0), "column")) == 13,
		"json resource with status, line and column of the first problem");
	ok(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(json_array_get(v, 0),
		"validationErrors"), 0), "path")), "/spec/replicas"), "json validationErrors path");
	ok(!strcmp(json_string_value(json_object_get(json_array_get(v, 0), "name")), "bad\x1b[31m"),
		"json keeps the raw name (escaped by JSON itself)");
	ok(json_integer_value(json_object_get(json_object_get(j, "summary"), "skipped")) == 1, "json summary");
	json_decref(j);
	free(s);

	s = render(&rs, GATE_REPORT_JSON, 1, 0);
	j = s ? json_loads(s, 0, &je) : NULL;
	ok(json_array_size(json_object_get(j, "resources")) == 5 && !json_object_get(j, "summary"),
		"json -verbose lists all, no summary without -summary");
	json_decref(j);
	free(s);

	s = render(&rs, GATE_REPORT_TAP, 0, 0);
	ok(s && !strncmp(s, "TAP version 13\nok 1 - apps/web.yaml (apps/v1/Deployment//web)\n", 61) &&
		strstr(s, "not ok 2 - apps/web.yaml (apps/v1/Deployment/prod/bad\\x1b[31m): /spec/replicas: expected integer, got string") &&
		strstr(s, "not ok 3 - x & <y>.yaml: could not find schema for Widget\n") &&
		strstr(s, "ok 4 - x & <y>.yaml (empty)\n") &&
		strstr(s, "ok 5 - k.yaml (kustomize.config.k8s.io/v1beta1/Kustomization//) # skip\n") &&
		strstr(s, "\n1..5\n"), "tap shape: kubeconform's header and lines");
	free(s);

	s = render(&rs, GATE_REPORT_JUNIT, 0, 0);
	ok(s && strstr(s, "<testsuites name=\"gitops-gate\"") && strstr(s, "tests=\"4\" failures=\"1\" disabled=\"1\" errors=\"1\"") &&
		strstr(s, "<testsuite name=\"x &amp; &lt;y&gt;.yaml\" id=\"2\" tests=\"1\" failures=\"0\" errors=\"1\"") &&
		strstr(s, "<testcase name=\"prod/bad\\x1b[31m\" classname=\"Deployment@apps/v1\">") &&
		strstr(s, "<skipped message=\"\"></skipped>"), "junit shape and XML escaping");
	free(s);

	s = render(&rs, GATE_REPORT_SARIF, 0, 0);
	j = s ? json_loads(s, 0, &je) : NULL;
	v = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "results");
	ok(j && !strcmp(json_string_value(json_object_get(j, "version")), "2.1.0") && json_array_size(v) == 3,
		"sarif 2.1.0 with one result per problem and error");
	ok(json_integer_value(json_object_get(json_object_get(json_object_get(json_array_get(
		json_object_get(json_array_get(v, 0), "locations"), 0), "physicalLocation"), "region"),
		"startLine")) == 25, "sarif region startLine");
	ok(!strcmp(json_string_value(json_object_get(json_object_get(json_object_get(json_array_get(
		json_object_get(json_array_get(v, 2), "locations"), 0), "physicalLocation"), "artifactLocation"),
		"uri")), "x%20%26%20%3Cy%3E.yaml"), "sarif artifact uri percent-encoded");
	ok(!strcmp(json_string_value(json_object_get(json_object_get(json_object_get(json_array_get(json_object_get(
		j, "runs"), 0), "tool"), "driver"), "name")), "gitops-gate"), "sarif driver name");
	json_decref(j);
	free(s);

	s = render(&rs, GATE_REPORT_REMOTE, 0, 0);
	ok(s && !strcmp(s,
		"error: refs/heads/main 3f2a1c9: apps/web.yaml:25:13: Deployment/bad\\x1b[31m: /spec/replicas: expected integer, got string\n"
		"error: refs/heads/main 3f2a1c9: apps/web.yaml:20:1: Deployment/bad\\x1b[31m: missing property \"spec\"\n"
		"error: refs/heads/main 3f2a1c9: x & <y>.yaml:3:1: Widget/w: error: could not find schema for Widget\n"),
		"remote lines behind the prefix");
	free(s);

	{
		struct gate_report_opts o = GATE_REPORT_OPTS_INIT;
		struct gate_report *rep;
		struct gate_buf out = GATE_BUF_INIT;

		o.format = GATE_REPORT_REMOTE;
		o.prefix = "error: ";
		o.max_lines = 1;
		o.max_line_len = 30;
		gate_report_new(&rep, &o);
		gate_report_add_all(rep, &rs, &out);
		gate_report_finish(rep, &out);
		ok(out.ptr && !strcmp(out.ptr, "error: apps/web.yaml:25:13: Deploy...\nerror: 2 more problems not shown\n"),
			"remote caps lines and line length");
		gate_buf_release(&out);
		gate_report_free(rep);
	}

	gate_results_release(&rs);

	/* policy problems: check ids, warnings, suppressions listed in every format */
	{
		struct gate_results ps = GATE_RESULTS_INIT;
		struct gate_result *r = gate_results_add(&ps);
		struct gate_report_opts o = GATE_REPORT_OPTS_INIT;
		struct gate_report *rep;
		struct gate_buf out = GATE_BUF_INIT;
		struct gate_problem *pb;

		r->filename = gate_xstrdup("apps/web.yaml");
		r->line = 1;
		r->api_version = gate_xstrdup("apps/v1");
		r->kind = gate_xstrdup("Deployment");
		r->name = gate_xstrdup("web");
		r->status = GATE_STATUS_VALID;
		gate_result_add_problem(r, "/spec/x", 7, 3, "liveness-probe", GATE_SEV_WARN, "no probe");
		pb = gate_result_add_problem(r, "/spec/y", 9, 5, "privileged", GATE_SEV_DENY, "is privileged");
		pb->suppressed = gate_xstrdup("annotation: needs devices");

		s = render(&ps, GATE_REPORT_TEXT, 0, 0);
		ok(s && !strcmp(s,
			"apps/web.yaml:7:3: Deployment/web: /spec/x: warning: no probe [liveness-probe]\n"
			"apps/web.yaml:9:5: Deployment/web: /spec/y: suppressed: is privileged (annotation: needs devices) [privileged]\n"),
			"text: check ids, and the suppression listed without -verbose");
		free(s);

		o.format = GATE_REPORT_REMOTE;
		o.prefix = "error: r c: ";
		o.warn_prefix = "warning: r c: ";
		o.hint_prefix = "hint: r c: ";
		gate_report_new(&rep, &o);
		gate_report_add_all(rep, &ps, &out);
		gate_report_finish(rep, &out);
		ok(out.ptr && !strcmp(out.ptr,
			"warning: r c: apps/web.yaml:7:3: Deployment/web: /spec/x: no probe [liveness-probe]\n"
			"hint: r c: apps/web.yaml:9:5: Deployment/web: /spec/y: suppressed: is privileged (annotation: needs devices) [privileged]\n"),
			"remote: one warning word, suppressions behind the hint prefix");
		ok(gate_report_counts(rep)->problems == 1 && gate_report_counts(rep)->suppressed == 1,
			"remote counts problems and suppressions apart");
		gate_buf_release(&out);
		gate_report_free(rep);

		s = render(&ps, GATE_REPORT_JSON, 0, 0);
		j = s ? json_loads(s, 0, NULL) : NULL;
		v = json_object_get(json_array_get(json_object_get(j, "resources"), 0), "suppressions");
		ok(json_array_size(v) == 1 &&
			!strcmp(json_string_value(json_object_get(json_array_get(v, 0), "reason")),
				"annotation: needs devices"),
			"json lists a valid resource's suppression with its reason");
		json_decref(j);
		free(s);

		s = render(&ps, GATE_REPORT_JUNIT, 0, 0);
		ok(s && strstr(s, "<system-out>apps/web.yaml:9:5: Deployment/web: /spec/y: suppressed: is privileged"),
			"junit lists the suppression in system-out");
		free(s);

		s = render(&ps, GATE_REPORT_TAP, 0, 0);
		ok(s && strstr(s, "# apps/web.yaml:9:5: Deployment/web: /spec/y: suppressed: "),
			"tap lists the suppression as a comment");
		free(s);
		gate_results_release(&ps);
	}
	return tap_done();
}
