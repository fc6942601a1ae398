#include "gate/accept.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gate/handoff.h"
#include "gate/policy.h"

#define ESC_MAX 512 /* bytes of a string from the push in one line */

static void phase(const struct gate_accept_setup *s, const char *stage)
{
	if (s->phase)
		s->phase(s->phase_payload, stage);
}

int gate_accept_judge(struct gate_accept *a, const struct gate_accept_setup *s,
	const struct gate_ref_update *u, size_t n, char *msg, size_t msgsize)
{
	const char *git_dir = gate_repo_git_dir(s->repo);
	struct gate_judge_setup js;
	struct gate_checker checker;
	char pfp[128], *cache_dir;
	int rc;

	cache_dir = gate_xasprintf("%s/gitops-gate/cache", git_dir);
	gate_verdicts_open(&a->cache, cache_dir);
	free(cache_dir);
	if (s->defer_cache)
		gate_verdicts_defer(a->cache, 1);
	/* the policy of the configuration, its fingerprint part of the verdicts' */
	if (gate_policy_from_config(&a->policy, json_object_get(gate_config_json(s->cfg), "policy"),
			git_dir, NULL, msg, msgsize) < 0 ||
	    gate_policy_checker(a->policy, &checker) < 0) {
		a->failed = "policy";
		return -1;
	}
	gate_policy_fingerprint(a->policy, pfp, sizeof(pfp));
	phase(s, "policy");
	memset(&js, 0, sizeof(js));
	js.checkers = &checker;
	js.ncheckers = 1;
	js.extra_fingerprint = pfp;
	/* a policy section may make verdicts depend on paths (suppression paths, exceptions) */
	js.path_sensitive = gate_policy_path_sensitive(a->policy);
	js.policy = a->policy;
	js.pusher = s->pusher.name;
	{
		/* the groups the forge or the account gives, then those of `groups:` */
		size_t nc = 0, i;
		const char **cg = gate_config_groups_of(s->cfg, s->pusher.name, &nc);
		a->groups = gate_xcalloc(s->pusher.ngroups + nc + 1, sizeof(*a->groups));
		for (i = 0; i < s->pusher.ngroups; i++)
			a->groups[a->ngroups++] = s->pusher.groups[i];
		for (i = 0; i < nc; i++)
			a->groups[a->ngroups++] = cg[i];
		free(cg);
	}
	js.pusher_groups = a->groups;
	js.npusher_groups = a->ngroups;
	js.cfg = s->cfg;
	js.repo = s->repo;
	js.cache = a->cache;
	js.engine_id = s->engine_id;
	js.catalog_dir = s->catalog_dir;
	js.threads = 2;
	js.no_facts_index = s->no_facts_index;
	js.serial_roots = s->serial_roots;
	js.phase = s->phase;
	js.phase_payload = s->phase_payload;
	js.stop_after_files = s->stop_after_files;
	js.stop_after_roots = s->stop_after_roots;
	if (gate_judge_new(&a->judge, &js, msg, msgsize) < 0) {
		a->failed = "setup";
		return -1;
	}
	gate_judge_set_deadline(a->judge, s->deadline_ms ? s->deadline_ms :
		gate_judge_now_ms() + gate_config_limits(s->cfg)->time_budget_ms);
	phase(s, "setup");
	rc = gate_judge_push(a->judge, u, n, &a->verdict, msg, msgsize);
	phase(s, "judge");
	if (rc < 0 && rc != GATE_JUDGE_ETIMEOUT)
		a->failed = "judge";
	return rc < 0 ? rc : 0;
}

int gate_accept_ok(const struct gate_accept *a)
{
	return !a->verdict.ndenials && !a->verdict.nproblems;
}

const char *gate_accept_fingerprint(const struct gate_accept *a)
{
	return a->judge ? gate_judge_fingerprint(a->judge) : "";
}

struct gate_verdicts *gate_accept_cache(struct gate_accept *a)
{
	return a->cache;
}

void gate_accept_release(struct gate_accept *a)
{
	gate_verdict_release(&a->verdict);
	gate_judge_free(a->judge);
	gate_policy_free(a->policy);
	gate_verdicts_free(a->cache);
	free(a->groups);
	a->groups = NULL;
	a->ngroups = 0;
	a->judge = NULL;
	a->policy = NULL;
	a->cache = NULL;
}

/* ---- post-receive: the hand-over or a re-judge, then the record ---- */

static void say(struct gate_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct gate_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gate_buf_vaddf(b, fmt, ap);
	va_end(ap);
	gate_buf_addc(b, '\n');
}

/* The verdict summary the journal keeps, from pre-receive's hand-over. */
static json_t *handoff_summary(const json_t *h)
{
	json_t *s = json_object();

	json_object_set_new(s, "problems", json_integer(json_integer_value(json_object_get(h, "problems"))));
	json_object_set_new(s, "warnings", json_integer(json_integer_value(json_object_get(h, "warnings"))));
	json_object_set_new(s, "suppressions",
		json_integer((json_int_t)json_array_size(json_object_get(h, "suppressions"))));
	json_object_set_new(s, "commits",
		json_integer((json_int_t)json_array_size(json_object_get(h, "commits"))));
	if (json_is_string(json_object_get(h, "fingerprint")))
		json_object_set(s, "fingerprint", json_object_get(h, "fingerprint"));
	json_object_set_new(s, "judged_by", json_string("pre-receive"));
	return s;
}

/* Judge u again (its hand-over is missing).  1 accepted, 0 not, -1 error (said). */
static int rejudge(const struct gate_accept_setup *s, const struct gate_ref_update *u,
	json_t **summary, struct gate_buf *b)
{
	struct gate_accept a = GATE_ACCEPT_INIT;
	const struct gate_verdict *v = &a.verdict;
	char msg[1024], *e;
	int rc, ret = -1;

	rc = gate_accept_judge(&a, s, u, 1, msg, sizeof(msg));
	if (rc == GATE_JUDGE_ETIMEOUT)
		gate_set_msg(msg, sizeof(msg), "ran out of its time budget");
	if (rc < 0)
		goto done;
	*summary = json_object();
	json_object_set_new(*summary, "problems", json_integer((json_int_t)v->nproblems));
	json_object_set_new(*summary, "warnings", json_integer((json_int_t)v->nwarnings));
	json_object_set_new(*summary, "suppressions",
		json_integer(v->nrefs ? (json_int_t)v->refs[0].nsuppressed : 0));
	json_object_set_new(*summary, "commits", json_integer(v->nrefs ? (json_int_t)gate_judged_ref_commits(&v->refs[0]) : 0));
	json_object_set_new(*summary, "fingerprint", json_string(gate_accept_fingerprint(&a)));
	json_object_set_new(*summary, "judged_by", json_string("post-receive"));
	ret = gate_accept_ok(&a);
	if (!ret) {
		e = gate_escape_dup(u->ref, ESC_MAX);
		say(b, "warning: %s %.12s: not accepted on re-judging (%zu problems%s): the accepted ref stays",
			e, u->new_hex, v->nproblems, v->ndenials ? ", refused by a ref rule" : "");
		free(e);
	}
done:
	if (ret < 0) {
		e = gate_escape_dup(msg, ESC_MAX);
		say(b, "warning: cannot re-judge %s: %s: the accepted ref stays (fix it, then run gitops-gate reconcile)",
			u->ref, e);
		free(e);
	}
	gate_accept_release(&a);
	return ret;
}

/* Record the accepted revision; -1 when that failed (said). */
static int record(const struct gate_accept_setup *s, struct gate_record *rec,
	const struct gate_ref_update *u, const json_t *h, const json_t *summary, const char *eref,
	struct gate_buf *b, struct gate_accept_outcome *acc)
{
	struct gate_record_outcome out = GATE_RECORD_OUTCOME_INIT;
	struct gate_record_event ev;
	char msg[1024];

	memset(&ev, 0, sizeof(ev));
	ev.event = "accepted";
	ev.ref = u->ref;
	ev.old_hex = u->old_hex;
	ev.new_hex = u->new_hex;
	ev.target_hex = u->new_hex;
	ev.pusher = h && json_is_string(json_object_get(h, "pusher")) ?
		json_string_value(json_object_get(h, "pusher")) : s->pusher.name;
	ev.bypass = h ? json_string_value(json_object_get(h, "bypass")) : NULL;
	ev.verdict = summary;
	if (gate_record_apply(rec, &ev, &out, msg, sizeof(msg)) < 0) {
		char *e = gate_escape_dup(msg, ESC_MAX);
		say(b, "warning: %s %.12s: cannot record the accepted revision: %s (run gitops-gate reconcile)",
			eref, u->new_hex, e);
		free(e);
		gate_record_outcome_release(&out);
		return -1;
	}
	acc->recorded = 1;
	if (out.warning[0]) {
		char *e = gate_escape_dup(out.warning, ESC_MAX);
		say(b, "warning: %s: %s", eref, e);
		free(e);
	}
	if (out.moved)
		say(b, "success: %s: accepted revision %.12s is now %s (%zu %s to %zu %s queued)",
			eref, u->new_hex, out.accepted_ref, out.ndeliveries,
			out.ndeliveries == 1 ? "notification" : "notifications", out.nclusters,
			out.nclusters == 1 ? "cluster" : "clusters");
	else
		say(b, "warning: %s %.12s: %s stays at %.12s (%s)", eref, u->new_hex, out.accepted_ref,
			out.previous, out.reason && !strcmp(out.reason, "already") ? "already there" :
			"a newer accepted commit is already recorded");
	acc->ids = out.deliveries;
	acc->nids = out.ndeliveries;
	out.deliveries = NULL;
	out.ndeliveries = 0;
	gate_record_outcome_release(&out);
	return 0;
}

int gate_accept_update(const struct gate_accept_setup *s, struct gate_record *rec,
	const struct gate_ref_update *u, struct gate_buf *b, struct gate_accept_outcome *acc)
{
	const char *git_dir = gate_repo_git_dir(s->repo);
	json_t *h = NULL, *summary = NULL;
	char msg[1024];
	char *eref = gate_escape_dup(u->ref, ESC_MAX);
	int r, ret = 0;

	memset(acc, 0, sizeof(*acc));
	if (u->new_zero || !gate_config_ref_is_gated(s->cfg, u->ref))
		goto done;
	r = gate_handoff_read(&h, git_dir, u->ref, u->old_hex, u->new_hex, msg, sizeof(msg));
	if (r < 0) {
		char *e = gate_escape_dup(msg, ESC_MAX);
		say(b, "warning: %s: the pre-receive verdict is unreadable (%s): judging again", eref, e);
		free(e);
	}
	if (r == 1 && !json_is_true(json_object_get(h, "accepted"))) {
		say(b, "warning: %s %.12s: pre-receive did not accept it: the accepted ref stays",
			eref, u->new_hex);
		goto done;
	}
	if (r == 1) {
		summary = handoff_summary(h);
	} else {
		if (r == 0)
			say(b, "warning: %s %.12s: no pre-receive verdict (were the hooks bypassed?): judging again",
				eref, u->new_hex);
		if (rejudge(s, u, &summary, b) != 1)
			goto done;
	}
	if (record(s, rec, u, r == 1 ? h : NULL, summary, eref, b, acc) < 0) {
		ret = -1;
		goto done;
	}
	if (r != 0)
		gate_handoff_remove(git_dir, u->ref, u->old_hex, u->new_hex);
done:
	json_decref(h);
	json_decref(summary);
	free(eref);
	return ret;
}
