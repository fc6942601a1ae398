#include "gate/push_report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gate/report.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void gate_push_report_say(struct gate_buf *out, const char *error_mark, const char *level,
	const char *fmt, ...)
{
	va_list ap;

	gate_buf_adds(out, error_mark); /* GitLab shows only marked lines: every one, hint: too */
	gate_buf_adds(out, level);
	gate_buf_adds(out, ": ");
	va_start(ap, fmt);
	gate_buf_vaddf(out, fmt, ap);
	va_end(ap);
	gate_buf_addc(out, '\n');
}

struct shown {
	size_t shown, dropped, dropped_deny, dropped_supp;
};

/* The lines of one commit, within what is left of max. */
static void commit_problems(struct gate_buf *out, const char *error_mark, const char *ref,
	const struct gate_judged_commit *cm, size_t max, const char *deny_level, struct shown *s)
{
	struct gate_report_opts ro = GATE_REPORT_OPTS_INIT;
	struct gate_report *rep = NULL;
	struct gate_buf scratch = GATE_BUF_INIT;
	char *prefix, *wprefix, *hprefix, *what;
	size_t f, nsupp = 0;

	for (f = 0; f < cm->nfiles; f++)
		nsupp += cm->files[f].nsuppressed;
	if (!cm->nproblems && !cm->nwarnings && !nsupp)
		return;
	if (cm->tip_check && cm->has_base)
		what = gate_xasprintf("%.7s (tree since accepted %.7s)", cm->hex, cm->base_hex);
	else if (cm->tip_check)
		what = gate_xasprintf("%.7s (whole tree, nothing accepted yet)", cm->hex);
	else
		what = gate_xasprintf("%.7s", cm->hex);
	prefix = gate_xasprintf("%s%s: %s %s: ", error_mark, deny_level, ref, what);
	wprefix = gate_xasprintf("%swarning: %s %s: ", error_mark, ref, what);
	hprefix = gate_xasprintf("%shint: %s %s: ", error_mark, ref, what);
	free(what);
	ro.format = GATE_REPORT_REMOTE;
	ro.prefix = prefix;
	ro.warn_prefix = wprefix;
	ro.hint_prefix = hprefix;
	ro.max_lines = max > s->shown ? max - s->shown : 0;
	if (ro.max_lines && gate_report_new(&rep, &ro) == 0) {
		const struct gate_report_counts *rc = gate_report_counts(rep);
		for (f = 0; f < cm->nfiles; f++)
			gate_report_add_all(rep, &cm->files[f].results, out);
		s->shown += rc->problems + rc->suppressed - rc->lines_dropped;
		s->dropped += rc->lines_dropped;
		s->dropped_deny += rc->dropped_deny;
		s->dropped_supp += rc->dropped_suppressed;
		gate_report_finish(rep, &scratch);
		gate_report_free(rep);
	} else {
		s->dropped += cm->nproblems + cm->nwarnings + nsupp;
		s->dropped_deny += cm->nproblems;
		s->dropped_supp += nsupp;
	}
	gate_buf_release(&scratch);
	free(prefix);
	free(wprefix);
	free(hprefix);
}

void gate_push_report_problems(struct gate_buf *out, const char *error_mark,
	const struct gate_verdict *v, size_t max, const char *deny_level)
{
	struct shown s = { 0, 0, 0, 0 };
	size_t i, c;

	for (i = 0; i < v->nrefs; i++) {
		const struct gate_judged_ref *r = &v->refs[i];
		char *ref = gate_escape_dup(r->update.ref, GATE_PUSH_REPORT_ESC_MAX);

		if (r->denial)
			gate_push_report_say(out, error_mark, deny_level, "%s: %s", ref, r->denial);
		for (c = 0; c < r->ncommits; c++)
			commit_problems(out, error_mark, ref, &r->commits[c], max, deny_level, &s);
		free(ref);
	}
	if (s.dropped_deny)
		gate_push_report_say(out, error_mark, deny_level,
			"... and %zu more %s not shown (limits.max_problems_shown is %zu)",
			s.dropped, plural(s.dropped, "problem", "problems"), max);
	else if (s.dropped)
		gate_push_report_say(out, error_mark, "warning",
			"... and %zu more %s not shown (limits.max_problems_shown is %zu)",
			s.dropped, !s.dropped_supp ? plural(s.dropped, "warning", "warnings") :
			s.dropped_supp == s.dropped ? plural(s.dropped, "suppression", "suppressions") :
			"warnings and suppressions", max);
}

void gate_push_report_counts(struct gate_buf *b, const struct gate_verdict *v)
{
	if (v->ndenials)
		gate_buf_addf(b, "%zu ref %s refused", v->ndenials,
			plural(v->ndenials, "update", "updates"));
	if (v->ndenials && v->nproblems)
		gate_buf_adds(b, ", ");
	if (v->nproblems)
		gate_buf_addf(b, "%zu %s in %zu %s of %zu %s", v->nproblems,
			plural(v->nproblems, "problem", "problems"), v->nbad_files,
			plural(v->nbad_files, "file", "files"), v->nbad_commits,
			plural(v->nbad_commits, "commit", "commits"));
}

/* Was a ref refused for a policy problem (anything beyond schema and YAML)? */
static int policy_refusal(const struct gate_verdict *v)
{
	size_t r, c, f, i, k;

	for (r = 0; r < v->nrefs; r++)
		for (c = 0; c < v->refs[r].ncommits; c++) {
			const struct gate_judged_commit *cm = &v->refs[r].commits[c];
			for (f = 0; f < cm->nfiles; f++)
				for (i = 0; i < cm->files[f].results.n; i++) {
					const struct gate_result *res = &cm->files[f].results.v[i];
					for (k = 0; k < res->nproblems; k++) {
						const struct gate_problem *p = &res->problems[k];
						if (p->severity == GATE_SEV_DENY && !p->suppressed && p->rule &&
						    strcmp(p->rule, "schema") && strcmp(p->rule, "yaml"))
							return 1;
					}
				}
		}
	return 0;
}

void gate_push_report_hint(struct gate_buf *out, const char *error_mark,
	const struct gate_config *cfg, const struct gate_verdict *v)
{
	size_t ng, i;
	const struct gate_config_group *g = gate_config_groups(cfg, &ng);
	const json_t *files = json_object_get(json_object_get(gate_config_json(cfg), "policy"), "files");
	struct gate_buf b = GATE_BUF_INIT;

	gate_buf_adds(&b, "check the files before pushing with: gitops-gate validate");
	if (ng && g[0].strict)
		gate_buf_adds(&b, " -strict");
	if (ng && strcmp(g[0].kubernetes_version, "master"))
		gate_buf_addf(&b, " -kubernetes-version %s", g[0].kubernetes_version);
	if (v && policy_refusal(v)) {
		/* the server's policy files by name (the pusher needs copies), else the built-in checks */
		for (i = 0; i < json_array_size(files); i++) {
			const char *f = json_string_value(json_array_get(files, i));
			const char *base = f ? strrchr(f, '/') : NULL;
			if (f)
				gate_buf_addf(&b, " -policy %s", base ? base + 1 : f);
		}
		if (!json_array_size(files))
			gate_buf_adds(&b, " -policy builtin");
	}
	gate_buf_adds(&b, " FILE...");
	gate_push_report_say(out, error_mark, "hint", "%s", b.ptr);
	gate_buf_release(&b);
}

void gate_push_report_success(struct gate_buf *out, const struct gate_verdict *v)
{
	struct gate_buf tip = GATE_BUF_INIT;
	size_t i, ncommits;

	for (i = 0; i < v->nrefs; i++) {
		const struct gate_judged_ref *r = &v->refs[i];
		char *ref;

		if (!r->gated || r->update.new_zero)
			continue;
		ref = gate_escape_dup(r->update.ref, GATE_PUSH_REPORT_ESC_MAX);
		ncommits = gate_judged_ref_commits(r);
		gate_buf_addf(&tip, "%s", "");
		if (r->ntip_files) {
			const struct gate_judged_commit *t = &r->commits[r->ncommits - 1];
			if (t->has_base)
				gate_buf_addf(&tip, "; %zu more %s of the tree since accepted %.7s (%zu from cache)",
					r->ntip_files, plural(r->ntip_files, "file", "files"), t->base_hex,
					r->ntip_cached);
			else
				gate_buf_addf(&tip, "; %zu more %s of the tree, nothing accepted yet (%zu from cache)",
					r->ntip_files, plural(r->ntip_files, "file", "files"), r->ntip_cached);
		}
		if (r->nwarnings)
			gate_push_report_say(out, "", "success",
				"%s: %zu %s, %zu %s judged (%zu from cache), 0 problems, %zu %s%s",
				ref, ncommits, plural(ncommits, "commit", "commits"), r->nfiles,
				plural(r->nfiles, "file", "files"), r->ncached, r->nwarnings,
				plural(r->nwarnings, "warning", "warnings"), tip.ptr);
		else
			gate_push_report_say(out, "", "success",
				"%s: %zu %s, %zu %s judged (%zu from cache), 0 problems%s",
				ref, ncommits, plural(ncommits, "commit", "commits"), r->nfiles,
				plural(r->nfiles, "file", "files"), r->ncached, tip.ptr);
		gate_buf_release(&tip);
		free(ref);
	}
}
