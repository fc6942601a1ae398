#include "gate/judge.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "gate/hash.h"
#include "gate/k8s.h"
#include "gate/policy.h"
#include "gate/ratchet.h"
#include "gate/record.h"
#include "gate/repo_checks.h"
#include "gate/unit.h"
#include "gate/util.h"
#include "judge_int.h"

/* ---- policy over commits: repository-wide checks and the ratchet ---- */

static int streq0(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static int same_object(const struct gate_result *a, const struct gate_result *b)
{
	return streq0(a->kind, b->kind) && streq0(a->name, b->name) &&
		streq0(a->namespace_, b->namespace_);
}

/* Did the same object in parent have a rejecting problem like p (rule and place)? */
static int had_before(const struct gate_results *parent, const struct gate_result *r,
	const struct gate_problem *p, int by_pointer)
{
	size_t i, k;

	for (i = 0; i < parent->n; i++) {
		const struct gate_result *pr = &parent->v[i];
		if (!same_object(pr, r))
			continue;
		for (k = 0; k < pr->nproblems; k++) {
			const struct gate_problem *q = &pr->problems[k];
			if (q->severity == GATE_SEV_DENY && !q->suppressed && streq0(q->rule, p->rule) &&
			    (!by_pointer || streq0(q->pointer, p->pointer)))
				return 1;
		}
	}
	return 0;
}

/* A result whose rejecting problems all went away is valid again. */
static void settle_status(struct gate_result *r)
{
	size_t k;

	if (r->status != GATE_STATUS_INVALID)
		return;
	for (k = 0; k < r->nproblems; k++)
		if (r->problems[k].severity == GATE_SEV_DENY && !r->problems[k].suppressed)
			return;
	r->status = GATE_STATUS_VALID;
	free(r->msg);
	r->msg = NULL;
}

/* Both versions of one file, read when a problem may be grandfathered. */
struct versions {
	struct gate_judge *j;
	git_oid old_id, new_id;
	char *old_buf, *new_buf;
	size_t old_len, new_len;
	int read;        /* 1 read, -1 unreadable (nothing grandfathered) */
};

/* Is the part of r's object that p is about unchanged between the versions? */
static int part_unchanged(struct versions *vs, const struct gate_result *r,
	const struct gate_problem *p)
{
	size_t max = gate_config_limits(vs->j->cfg)->max_blob_bytes;
	char msg[256];

	if (!vs->read)
		vs->read = gate_repo_read_blob(vs->j->repo, &vs->old_id, max, &vs->old_buf,
				&vs->old_len, msg, sizeof(msg)) == 0 &&
			gate_repo_read_blob(vs->j->repo, &vs->new_id, max, &vs->new_buf,
				&vs->new_len, msg, sizeof(msg)) == 0 ? 1 : -1;
	return vs->read > 0 && gate_ratchet_same_part(vs->old_buf, vs->old_len, vs->new_buf,
		vs->new_len, r->kind, r->name, r->namespace_, p->pointer);
}

/*
 * The ratchet: rejecting problems the parent already had on the same object
 * become warnings marked grandfathered, while the part of the object they
 * are about is otherwise unchanged (vs: the two versions of the file; NULL
 * for the repository-wide checks, whose problems span files).  Secrets are
 * never grandfathered.
 */
static void ratchet_results(struct gate_results *rs, const struct gate_results *parent,
	const char *parent_hex, int by_pointer, struct versions *vs)
{
	size_t i, k;

	for (i = 0; i < rs->n; i++) {
		struct gate_result *r = &rs->v[i];
		for (k = 0; k < r->nproblems; k++) {
			struct gate_problem *p = &r->problems[k];
			char *m;
			if (p->severity != GATE_SEV_DENY || p->suppressed ||
			    (p->rule && !strncmp(p->rule, "secret-", 7)) ||
			    !had_before(parent, r, p, by_pointer))
				continue;
			if (vs && !part_unchanged(vs, r, p)) {
				char *part = gate_ratchet_part(p->pointer);
				m = gate_xasprintf("%s (not grandfathered: %s changed since %.7s)", p->message,
					*part ? part : "the object", parent_hex);
				free(part);
				free(p->message);
				p->message = m;
				continue;
			}
			m = gate_xasprintf("%s (grandfathered: already in %.7s)", p->message, parent_hex);
			free(p->message);
			p->message = m;
			p->severity = GATE_SEV_WARN;
		}
		settle_status(r);
	}
}

/* The judged files of a commit by path (those judged as files, group >= 0), in file order. */
struct pathidx {
	const char *path;
	size_t f;
};

static int cmp_pathidx(const void *a, const void *b)
{
	const struct pathidx *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : x->f < y->f ? -1 : x->f > y->f;
}

/* The files of cm by path, sorted (caller frees); *n set.  NULL when none. */
static struct pathidx *path_index(const struct gate_judged_commit *cm, size_t *n)
{
	struct pathidx *v = NULL;
	size_t f;

	*n = 0;
	for (f = 0; f < cm->nfiles; f++) {
		if (cm->files[f].group < 0)
			continue;
		if (!v)
			v = gate_xcalloc(cm->nfiles, sizeof(*v));
		v[*n].path = cm->files[f].path;
		v[(*n)++].f = f;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_pathidx);
	return v;
}

/*
 * Attach a tree check result to the judged file of its path, the first of
 * that path in file order (or a new one).  pi: path_index(cm), made before
 * any result was attached (files added here are not judged files).
 */
static void attach_result(struct gate_judged_commit *cm, const struct pathidx *pi, size_t npi,
	struct gate_result *r)
{
	struct gate_results one = GATE_RESULTS_INIT;
	struct gate_judged_file *fl = NULL;
	size_t lo = 0, hi = npi;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(pi[mid].path, r->filename) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < npi && !strcmp(pi[lo].path, r->filename))
		fl = &cm->files[pi[lo].f];
	if (!fl) {
		git_oid zero;
		memset(&zero, 0, sizeof(zero));
		fl = gate_judge__add_file(cm, r->filename, &zero, -1);
	}
	*gate_results_add(&one) = *r;
	memset(r, 0, sizeof(*r));
	gate_results_move(&fl->results, &one);
	gate_results_release(&one);
}

/*
 * After judging the files: give each changed manifest its results, apply the
 * ratchet to them, and run the repository-wide checks on each commit's tree.
 */
int gate_judge__push_policy(struct gate_judge *j, struct utable *t, struct fmemo *memo,
	struct gate_verdict *out, char *msg, size_t msgsize)
{
	struct crdcache crd;
	size_t i, c, f;
	int error = 0;

	if (!j->policy || (!j->ratchet && !j->tree_checks))
		return 0;
	memset(&crd, 0, sizeof(crd));
	for (i = 0; i < out->nrefs && !error; i++) {
		struct gate_judged_ref *r = &out->refs[i];
		for (c = 0; c < r->ncommits && !error; c++) {
			struct gate_judged_commit *cm = &r->commits[c];
			struct tree_walk tw;
			struct gate_results found = GATE_RESULTS_INIT, before = GATE_RESULTS_INIT;
			git_oid pid;
			char phex[GIT_OID_HEXSZ + 1] = "";
			size_t nmanifests = 0;
			int has_parent;

			if (gate_judge__past_deadline(j)) {
				error = GATE_JUDGE_ETIMEOUT;
				break;
			}
			/* the tip check compares with the accepted revision, not with a parent */
			if (cm->tip_check) {
				has_parent = cm->has_base;
				git_oid_cpy(&pid, &cm->base);
			} else {
				has_parent = gate_repo_first_parent(j->repo, &cm->id, &pid);
			}
			if (has_parent < 0) {
				gate_set_msg(msg, msgsize, "cannot read commit %s", cm->hex);
				error = -1;
				break;
			}
			if (has_parent)
				git_oid_tostr(phex, sizeof(phex), &pid);
			for (f = 0; f < cm->nfiles; f++) {
				struct gate_judged_file *fl = &cm->files[f];
				git_oid id;
				size_t k;
				if (fl->group < 0 || fl->results.n)
					continue;
				nmanifests++;
				git_oid_fromstr(&id, fl->blob);
				k = gate_judge__utable_get(j, t, &id, fl->group, fl->path);
				gate_judge__copy_results(&fl->results, &t->v[k].results, fl->path);
				fl->from_cache = t->v[k].from_cache;
				if (j->ratchet && fl->has_parent) {
					struct versions vs;
					memset(&vs, 0, sizeof(vs));
					vs.j = j;
					git_oid_cpy(&vs.old_id, &fl->parent_blob);
					git_oid_cpy(&vs.new_id, &id);
					k = gate_judge__utable_get(j, t, &fl->parent_blob, fl->group, fl->path);
					ratchet_results(&fl->results, &t->v[k].results, phex, 1, &vs);
					free(vs.old_buf);
					free(vs.new_buf);
				}
			}
			if (!j->tree_checks || !nmanifests)
				continue;
			memset(&tw, 0, sizeof(tw));
			tw.j = j;
			tw.memo = memo;
			tw.msg = msg;
			tw.msgsize = msgsize;
			if (!cm->whole_tree) {
				tw.changed = gate_xcalloc(cm->nfiles, sizeof(*tw.changed));
				for (f = 0; f < cm->nfiles; f++)
					if (cm->files[f].group >= 0)
						tw.changed[tw.nchanged++] = cm->files[f].path;
				if (tw.nchanged)
					qsort(tw.changed, tw.nchanged, sizeof(*tw.changed),
						gate_judge__cmp_path);
			}
			error = gate_judge__tree_check_commit(j, &tw, &cm->id, &found, msg, msgsize);
			if (!error)
				error = gate_judge__crd_rejudge(j, cm, &crd, memo, msg, msgsize);
			if (!error && j->ratchet && has_parent && found.n) {
				error = gate_judge__tree_check_commit(j, &tw, &pid, &before, msg, msgsize);
				if (!error)
					ratchet_results(&found, &before, phex, 0, NULL);
			}
			if (!error && found.n) {
				size_t npi;
				struct pathidx *pi = path_index(cm, &npi);
				for (f = 0; f < found.n; f++)
					attach_result(cm, pi, npi, &found.v[f]);
				free(pi);
			}
			gate_results_release(&found);
			gate_results_release(&before);
			gate_judge__tree_walk_release(&tw);
			free(tw.changed);
		}
	}
	gate_judge__crdcache_release(&crd);
	return error;
}
