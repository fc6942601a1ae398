/*
 * policy-run: the driver of the data-driven policy cases (tests/policy/run.sh).
 * Judges one file with a policy and prints every problem on one stable line:
 *
 *   NAME:LINE:COL: Kind/name: SEVERITY RULE POINTER: MESSAGE [suppressed: REASON]
 *
 * then "verdict: rejected" or "verdict: accepted".  The raw bytes are scanned
 * for secrets first (Kind/name "-"), then every document is parsed,
 * identified and checked.
 *
 *   policy-run [--policy FILE]... [--now YYYY-MM-DD] [--registry RE]...
 *              [--no-annotations] [--grant CHECKS@GLOB[@DAYS]]... [--k8s VERSION]
 *              [--no-builtin] [--only CHECK] [--name NAME] FILE
 *
 * --only turns every built-in check and secret rule off but CHECK.  --grant
 * lets annotations waive CHECKS (comma-separated) in files matching GLOB,
 * expiring at most DAYS ahead (as policy.suppressions.annotations does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate/doc.h"
#include "gate/k8s.h"
#include "gate/policy.h"
#include "gate/result.h"
#include "gate/util.h"

struct run {
	const struct gate_policy *p;
	const char *name;
	struct gate_results results;
};

static int part(const char *buf, size_t len, uint32_t line, void *payload)
{
	struct run *run = payload;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;
	struct gate_k8s_id id;
	struct gate_result *r;
	char msg[256];

	if (gate_doc_parse(&doc, buf, len, line, &lim, 0, &err) < 0) {
		r = gate_results_add(&run->results);
		r->filename = gate_xstrdup(run->name);
		r->status = GATE_STATUS_ERROR;
		gate_result_add_problem(r, NULL, err.line, err.col, "yaml", GATE_SEV_DENY, err.message);
		return 0;
	}
	if (doc->root && gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) == 0) {
		r = gate_results_add(&run->results);
		r->filename = gate_xstrdup(run->name);
		r->line = line;
		r->kind = gate_xstrdup(id.kind);
		r->name = gate_xstrdup(id.name);
		r->status = GATE_STATUS_VALID;
		if (gate_policy_check(run->p, run->name, &id, doc->root, r) < 0)
			r->status = GATE_STATUS_ERROR;
	}
	gate_doc_free(doc);
	return 0;
}

static void print_results(const struct gate_results *rs, int *rejected)
{
	size_t i, j;

	for (i = 0; i < rs->n; i++) {
		const struct gate_result *r = &rs->v[i];

		if (r->status == GATE_STATUS_INVALID || r->status == GATE_STATUS_ERROR)
			*rejected = 1;
		for (j = 0; j < r->nproblems; j++) {
			const struct gate_problem *pb = &r->problems[j];

			printf("%s:%u:%u: %s%s%s: %s %s %s: %s", r->filename, pb->line, pb->col,
				r->kind ? r->kind : "-", r->kind ? "/" : "",
				r->kind ? (r->name ? r->name : "") : "",
				pb->severity == GATE_SEV_DENY ? "deny" : "warn", pb->rule,
				pb->pointer ? (pb->pointer[0] ? pb->pointer : "/") : "-", pb->message);
			if (pb->suppressed)
				printf(" [suppressed: %s]", pb->suppressed);
			printf("\n");
		}
	}
}

int main(int argc, char **argv)
{
	struct gate_policy_opts o;
	const char *policies[16], *registries[16], *file = NULL, *name = NULL;
	const char *only = NULL;
	size_t npolicies = 0, nreg = 0, ngrants = 0, i;
	struct gate_policy_grant grants[16];
	const char *gchecks[16][8], *gpaths[16];
	char *gstr[16];
	struct gate_policy *p = NULL;
	struct gate_result raw;
	struct run run;
	char msg[1024], *buf = NULL;
	size_t len;
	int rejected = 0, ret = 2;

	memset(&o, 0, sizeof(o));
	memset(&raw, 0, sizeof(raw));
	memset(&run, 0, sizeof(run));
	memset(grants, 0, sizeof(grants));
	o.now = 1767225600; /* 2026-01-01T00:00:00Z */
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-annotations")) {
			o.no_annotation_suppressions = 1;
			continue;
		}
		if (!strcmp(a, "--no-builtin")) {
			o.no_builtin_checks = 1;
			continue;
		}
		if (a[0] != '-') {
			file = a;
			continue;
		}
		if (!v) {
			fprintf(stderr, "policy-run: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--policy") && npolicies < 16) {
			policies[npolicies++] = v;
		} else if (!strcmp(a, "--registry") && nreg < 16) {
			registries[nreg++] = v;
		} else if (!strcmp(a, "--grant") && ngrants < 16) {
			char *at, *at2, *c;
			struct gate_policy_grant *g = &grants[ngrants];

			gstr[ngrants] = gate_xstrdup(v);
			if (!(at = strchr(gstr[ngrants], '@'))) {
				fprintf(stderr, "policy-run: --grant CHECKS@GLOB[@DAYS]\n");
				return 2;
			}
			*at++ = '\0';
			if ((at2 = strchr(at, '@'))) {
				*at2++ = '\0';
				g->max_days = atoi(at2);
			}
			g->checks = (const char *const *)gchecks[ngrants];
			for (c = gstr[ngrants]; c && g->nchecks < 8; ) {
				char *comma = strchr(c, ',');
				if (comma)
					*comma++ = '\0';
				gchecks[ngrants][g->nchecks++] = c;
				c = comma;
			}
			gpaths[ngrants] = at;
			g->paths = &gpaths[ngrants];
			g->npaths = 1;
			ngrants++;
		} else if (!strcmp(a, "--k8s")) {
			o.kubernetes_version = v;
		} else if (!strcmp(a, "--only")) {
			only = v;
		} else if (!strcmp(a, "--name")) {
			name = v;
		} else if (!strcmp(a, "--now")) {
			struct tm tm;
			memset(&tm, 0, sizeof(tm));
			if (sscanf(v, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
				fprintf(stderr, "policy-run: bad date %s\n", v);
				return 2;
			}
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			o.now = timegm(&tm);
		} else {
			fprintf(stderr, "policy-run: unknown option %s\n", a);
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "usage: policy-run [options] FILE\n");
		return 2;
	}
	o.allowed_registries = registries;
	o.nallowed_registries = nreg;
	o.annotation_grants = grants;
	o.nannotation_grants = ngrants;
	if (gate_policy_new(&p, &o, msg, sizeof(msg)) < 0) {
		printf("error: %s\n", msg);
		goto done;
	}
	if (only) {
		/* every check but one off: a case looks at one check alone */
		static const char *const secret_ids[] = {
			"secret-private-key", "secret-aws-access-key", "secret-github-token",
			"secret-gitlab-token", "secret-slack-token", "secret-jwt", "secret-generic",
		};
		struct gate_buf b = GATE_BUF_INIT;
		size_t n;
		const struct gate_policy_check_info *ci = gate_policy_builtin_checks(&n);

		gate_buf_adds(&b, "checks:\n");
		for (i = 0; i < n; i++)
			if (strcmp(ci[i].id, only))
				gate_buf_addf(&b, "  %s: 'off'\n", ci[i].id);
		for (i = 0; i < sizeof(secret_ids) / sizeof(secret_ids[0]); i++)
			if (strcmp(secret_ids[i], only))
				gate_buf_addf(&b, "  %s: 'off'\n", secret_ids[i]);
		if (gate_policy_load_buffer(p, "--only", b.ptr, b.len, msg, sizeof(msg)) < 0) {
			printf("error: %s\n", msg);
			gate_buf_release(&b);
			goto done;
		}
		gate_buf_release(&b);
	}
	for (i = 0; i < npolicies; i++)
		if (gate_policy_load_file(p, policies[i], msg, sizeof(msg)) < 0) {
			const char *slash = strrchr(msg, '/');
			/* the case folder differs between machines: print from the file name */
			printf("error: %s\n", slash && strchr(msg, ':') > slash ? slash + 1 : msg);
			ret = 1;
			goto done;
		}
	if (gate_read_file(file, 64u << 20, &buf, &len) < 0) {
		perror(file);
		goto done;
	}
	run.p = p;
	run.name = name ? name : file;
	raw.filename = gate_xstrdup(run.name);
	raw.status = GATE_STATUS_VALID;
	gate_policy_scan_secrets(p, run.name, buf, len, &raw);
	gate_doc_split(buf, len, part, &run);
	print_results(&(struct gate_results){ &raw, 1, 1 }, &rejected);
	print_results(&run.results, &rejected);
	printf("verdict: %s\n", rejected ? "rejected" : "accepted");
	ret = 0;
done:
	gate_result_release(&raw);
	gate_results_release(&run.results);
	gate_policy_free(p);
	free(buf);
	for (i = 0; i < ngrants; i++)
		free(gstr[i]);
	return ret;
}
