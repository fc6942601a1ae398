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
#include "gate/record.h"
#include "gate/repo_checks.h"
#include "gate/unit.h"
#include "gate/util.h"
#include "gate/gate_log.h"
#include "judge_int.h"

/* ---- collecting the files of each commit ---- */

struct collect {
	struct gate_judge *j;
	struct utable *t;
	struct gate_judged_commit *c;
	git_tree *parent_tree;      /* ratchet: the first parent's tree, else NULL */
};

struct gate_judged_file *gate_judge__add_file(struct gate_judged_commit *c, const char *path,
	const git_oid *blob, int group)
{
	struct gate_judged_file *f;

	GATE_ALLOC_GROW(c->files, c->nfiles + 1, c->afiles);
	f = &c->files[c->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = gate_xstrdup(path);
	git_oid_tostr(f->blob, sizeof(f->blob), blob);
	f->group = group;
	return f;
}

static int collect_change(const struct gate_repo_change *ch, void *payload)
{
	struct collect *cl = payload;
	const struct gate_config *cfg = cl->j->cfg;
	struct gate_judged_file *f;
	int group;

	if (ch->status == GATE_CHANGE_DELETED) {
		/*
		 * no file to judge, but a root whose build read it (a resource,
		 * a patch, a generator's file: any name) is touched
		 */
		struct gate_judged_commit *c = cl->c;
		GATE_ALLOC_GROW(c->deleted, c->ndeleted + 1, c->adeleted);
		c->deleted[c->ndeleted++] = gate_xstrdup(ch->path);
		return 0;
	}
	if (ch->mode == GIT_FILEMODE_COMMIT && !gate_config_allow_submodules(cfg) &&
	    (gate_config_path_is_manifest(cfg, ch->path) ||
	     gate_config_dir_may_hold_manifests(cfg, ch->path))) {
		/* Argo CD (and kustomize's remote bases) fetch what the gate never sees */
		f = gate_judge__add_file(cl->c, ch->path, &ch->id, gate_config_group_for(cfg, ch->path));
		gate_judge__own_result(&f->results, ch->path, GATE_STATUS_ERROR, "submodule", GATE_SEV_DENY,
			"submodule (gitlink) where manifests may lie: Argo CD fetches submodules and "
			"the gate cannot judge them; commit the files, or set allow_submodules: true "
			"in the server config");
		return 0;
	}
	if (!gate_config_path_is_manifest(cfg, ch->path)) {
		/* any other file: scanned for credentials */
		if (cl->j->scan && (ch->mode == GIT_FILEMODE_BLOB ||
		    ch->mode == GIT_FILEMODE_BLOB_EXECUTABLE)) {
			gate_judge__add_file(cl->c, ch->path, &ch->id, GROUP_SCAN);
			gate_judge__utable_get(cl->j, cl->t, &ch->id, GROUP_SCAN, ch->path);
		}
		return 0;
	}
	group = gate_config_group_for(cfg, ch->path);
	if (ch->mode == GIT_FILEMODE_LINK) {
		f = gate_judge__add_file(cl->c, ch->path, &ch->id, group);
		/*
		 * kustomize, kubectl and Argo CD follow in-repo links, and the
		 * target may lie outside the manifest globs: deny, never skip
		 */
		gate_judge__own_result(&f->results, ch->path, GATE_STATUS_ERROR, "symlink", GATE_SEV_DENY,
			"symbolic link at a manifest path: commit the file itself");
		return 0;
	}
	if (ch->mode == GIT_FILEMODE_COMMIT) {
		f = gate_judge__add_file(cl->c, ch->path, &ch->id, group);
		gate_judge__own_result(&f->results, ch->path, GATE_STATUS_SKIPPED, "submodule", GATE_SEV_WARN,
			"submodule not judged");
		return 0;
	}
	if (ch->mode != GIT_FILEMODE_BLOB && ch->mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	f = gate_judge__add_file(cl->c, ch->path, &ch->id, group);
	if (group < 0) {
		gate_judge__own_result(&f->results, ch->path, GATE_STATUS_SKIPPED, "no-schema-settings",
			GATE_SEV_WARN, "no entry of schemas: matches this path: not judged");
		return 0;
	}
	gate_judge__utable_get(cl->j, cl->t, &ch->id, group, ch->path);
	if (cl->parent_tree) {
		git_oid pid;
		if (gate_repo_tree_blob(cl->parent_tree, ch->path, &pid) && !git_oid_equal(&pid, &ch->id)) {
			/* the parent's version is judged too, to tell old problems from new */
			f->has_parent = 1;
			git_oid_cpy(&f->parent_blob, &pid);
			gate_judge__utable_get(cl->j, cl->t, &f->parent_blob, group, ch->path);
		}
	}
	return 0;
}


static struct gate_judged_commit *add_commit(struct gate_judged_ref *r, const git_oid *id,
	int whole)
{
	struct gate_judged_commit *c;

	GATE_ALLOC_GROW(r->commits, r->ncommits + 1, r->acommits);
	c = &r->commits[r->ncommits++];
	memset(c, 0, sizeof(*c));
	git_oid_cpy(&c->id, id);
	git_oid_tostr(c->hex, sizeof(c->hex), id);
	c->whole_tree = whole;
	return c;
}

/*
 * Is ref inside the namespace ns (which ends in '/') or equal to one of its
 * leading components ("refs/heads/gitops" for "refs/heads/gitops/accepted/")?
 * A branch of such a name would block, by a directory/file conflict, every
 * ref the gate writes under ns.
 */
static int in_namespace(const char *ref, const char *ns)
{
	size_t n = strlen(ref), nn = strlen(ns), k;

	if (!strncmp(ref, ns, nn))
		return 1;
	if (n >= nn)
		return 0;
	for (k = n; ns[k]; k++)
		if (ns[k] == '/')
			return !strncmp(ref, ns, n) && k == n;
	return 0;
}

static int judge_ref_rules(struct gate_judge *j, const struct gate_ref_update *u,
	struct gate_judged_ref *r, git_oid *new_commit, char *msg, size_t msgsize)
{
	const struct gate_config_refs *rules = gate_config_refs(j->cfg);
	const char *acc = gate_config_accepted_prefix(j->cfg);
	git_oid old_commit;
	int rc;

	if (!strncmp(u->ref, acc, strlen(acc))) {
		r->denial = gate_xasprintf("refs under %s are written by the gate only", acc);
		return 0;
	}
	if (in_namespace(u->ref, acc)) {
		r->denial = gate_xasprintf("a leading part of %s, where the gate writes "
			"accepted refs: written by the gate only", acc);
		return 0;
	}
	if (in_namespace(u->ref, GATE_RECORD_NOTES_REF "/")) {
		r->denial = gate_xstrdup("the gate's verdict notes (" GATE_RECORD_NOTES_REF
			"): written by the gate only");
		return 0;
	}
	if (in_namespace(u->ref, GATE_LOG_NAMESPACE)) {
		r->denial = gate_xstrdup("the gate's log (" GATE_LOG_NAMESPACE "): written by the gate only");
		return 0;
	}
	r->gated = gate_config_ref_is_gated(j->cfg, u->ref);
	if (!r->gated)
		return 0;
	if (!strncmp(u->ref, "refs/heads/", 11) && !u->new_zero) {
		/*
		 * refs/heads/Y and refs/Y share an accepted ref (record.h): the
		 * branch gives way when refs/Y is a gated ref too
		 */
		char *other = gate_xasprintf("refs/%s", u->ref + 11);
		int clash = strncmp(other, "refs/heads/", 11) &&
			gate_config_ref_is_gated(j->cfg, other);
		if (clash)
			r->denial = gate_xasprintf("this branch would share its accepted ref "
				"%s%s with the gated ref %s: use another branch name",
				acc, u->ref + 11, other);
		free(other);
		if (clash)
			return 0;
	}
	if (u->new_zero) {
		if (!rules->allow_delete)
			r->denial = gate_xstrdup("deleting a gated ref is not allowed");
		return 0;
	}
	rc = gate_repo_peel_commit(j->repo, &u->new_id, new_commit);
	if (rc < 0) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), &u->new_id);
		gate_set_msg(msg, msgsize, "cannot read object %s", hex);
		return -1;
	}
	if (rc == 0) {
		r->denial = gate_xstrdup("a gated ref must point to a commit");
		return 0;
	}
	if (!u->old_zero && !rules->allow_non_fast_forward) {
		rc = gate_repo_peel_commit(j->repo, &u->old_id, &old_commit);
		if (rc > 0)
			rc = gate_repo_descends(j->repo, new_commit, &old_commit, msg, msgsize);
		if (rc < 0)
			return -1;
		if (rc == 0)
			r->denial = gate_xstrdup("non-fast-forward update of a gated ref is not allowed "
				"(the new commit does not contain the old one)");
	}
	return 0;
}

struct paths {
	char **v;
	size_t n, alloc;
};

static int collect_path(const struct gate_repo_change *ch, void *payload)
{
	struct paths *ps = payload;

	GATE_ALLOC_GROW(ps->v, ps->n + 1, ps->alloc);
	ps->v[ps->n++] = gate_xstrdup(ch->path);
	return 0;
}

/*
 * Ownership: every path the commit changes, deletions included (the judge's
 * own walk leaves them out, so libgit2's diff lists them here).  Refused
 * paths become files of the commit with one ownership problem each.
 */
static int check_owners(struct gate_judge *j, struct gate_judged_commit *c, int whole,
	char *msg, size_t msgsize)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct paths ps;
	size_t i;
	int error;

	memset(&ps, 0, sizeof(ps));
	error = gate_repo_commit_changes(j->repo, &c->id, whole, collect_path, &ps, msg, msgsize);
	if (error >= 0 && gate_policy_owner_check(j->policy, j->pusher, j->pgroups, j->npgroups,
			(const char *const *)ps.v, ps.n, &rs) < 0) {
		gate_set_msg(msg, msgsize, "cannot evaluate path ownership");
		error = -1;
	}
	for (i = 0; error >= 0 && i < rs.n; i++) {
		git_oid zero;
		struct gate_judged_file *f;
		struct gate_results one = GATE_RESULTS_INIT;

		memset(&zero, 0, sizeof(zero));
		f = gate_judge__add_file(c, rs.v[i].filename, &zero, -1);
		*gate_results_add(&one) = rs.v[i];
		memset(&rs.v[i], 0, sizeof(rs.v[i]));
		gate_results_move(&f->results, &one);
		gate_results_release(&one);
	}
	for (i = 0; i < ps.n; i++)
		free(ps.v[i]);
	free(ps.v);
	gate_results_release(&rs);
	return error < 0 ? error : 0;
}

/*
 * Is the tip of an existing ref judged history?  Gated refs and the accepted
 * namespace only: an ungated branch, a tag (with refs.gate_tags false) or a
 * note may point at commits no gate ever judged, so they hide nothing.
 */
static int ref_was_judged(const char *name, void *payload)
{
	const struct gate_config *cfg = payload;
	const char *acc = gate_config_accepted_prefix(cfg);

	if (!strncmp(name, acc, strlen(acc)))
		return 1;
	return gate_config_ref_is_gated(cfg, name) ? 1 : 0;
}

/* ---- the tree the ref moves to ---- */

/* "path\nblob" keys of what the new commits of r judged, sorted */
struct judged_set {
	char **v;
	size_t n, alloc;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *file_key(const char *path, const char *hex)
{
	return gate_xasprintf("%s\n%s", path, hex);
}

static int set_has(const struct judged_set *s, const char *key)
{
	return s->n && bsearch(&key, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

/*
 * What the new commits judged for good: a file judged whole, or (with the
 * ratchet) against the same version the accepted tree holds.  A file
 * ratcheted against an unjudged parent is judged again against the base.
 */
static void judged_set_fill(struct judged_set *s, struct gate_judge *j,
	const struct gate_judged_ref *r, git_tree *base_tree)
{
	size_t c, f;

	for (c = 0; c < r->ncommits; c++)
		for (f = 0; f < r->commits[c].nfiles; f++) {
			const struct gate_judged_file *fl = &r->commits[c].files[f];
			git_oid bid;
			if (j->ratchet && fl->has_parent && (!base_tree ||
			    !gate_repo_tree_blob(base_tree, fl->path, &bid) ||
			    !git_oid_equal(&bid, &fl->parent_blob)))
				continue;
			GATE_ALLOC_GROW(s->v, s->n + 1, s->alloc);
			s->v[s->n++] = file_key(fl->path, fl->blob);
		}
	if (s->n) /* no qsort of an empty (NULL) array */
		qsort(s->v, s->n, sizeof(*s->v), cmp_str);
}

static void judged_set_release(struct judged_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

struct tip_walk {
	struct collect cl;
	const struct judged_set *seen;
};

static int tip_change(const struct gate_repo_change *ch, void *payload)
{
	struct tip_walk *tw = payload;
	char hex[GIT_OID_HEXSZ + 1], *key;
	int seen;

	git_oid_tostr(hex, sizeof(hex), &ch->id);
	key = file_key(ch->path, hex);
	seen = set_has(tw->seen, key);
	free(key);
	return seen ? 0 : collect_change(ch, &tw->cl);
}

/* Paths of r's new commits that already carry an ownership refusal. */
static int owner_refused(const struct gate_judged_ref *r, size_t upto, const char *path)
{
	size_t c, f, i, k;

	for (c = 0; c < upto; c++)
		for (f = 0; f < r->commits[c].nfiles; f++) {
			const struct gate_judged_file *fl = &r->commits[c].files[f];
			if (strcmp(fl->path, path))
				continue;
			for (i = 0; i < fl->results.n; i++)
				for (k = 0; k < fl->results.v[i].nproblems; k++)
					if (!strcmp(fl->results.v[i].problems[k].rule ?
					    fl->results.v[i].problems[k].rule : "", "ownership"))
						return 1;
		}
	return 0;
}

/*
 * Ownership of the ref's move old->new for the pusher who makes it (a
 * non-owner fast-forwarding to an owner's commit changes the owner's paths
 * as much as committing there), on paths no new commit was refused for.
 */
static int check_move_owners(struct gate_judge *j, struct gate_judged_ref *r,
	struct gate_judged_commit *tip, const git_oid *old_commit, char *msg, size_t msgsize)
{
	struct gate_results rs = GATE_RESULTS_INIT;
	struct paths ps;
	size_t i;
	int error;

	memset(&ps, 0, sizeof(ps));
	error = gate_repo_commits_diff(j->repo, old_commit, &tip->id, collect_path, &ps, msg, msgsize);
	if (error >= 0 && gate_policy_owner_check(j->policy, j->pusher, j->pgroups, j->npgroups,
			(const char *const *)ps.v, ps.n, &rs) < 0) {
		gate_set_msg(msg, msgsize, "cannot evaluate path ownership");
		error = -1;
	}
	for (i = 0; error >= 0 && i < rs.n; i++) {
		git_oid zero;
		struct gate_judged_file *f;
		struct gate_results one = GATE_RESULTS_INIT;

		if (owner_refused(r, r->nnew, rs.v[i].filename))
			continue;
		memset(&zero, 0, sizeof(zero));
		f = gate_judge__add_file(tip, rs.v[i].filename, &zero, -1);
		*gate_results_add(&one) = rs.v[i];
		memset(&rs.v[i], 0, sizeof(rs.v[i]));
		gate_results_move(&f->results, &one);
		gate_results_release(&one);
	}
	for (i = 0; i < ps.n; i++)
		free(ps.v[i]);
	free(ps.v);
	gate_results_release(&rs);
	return error < 0 ? error : 0;
}

/* Was new_commit one of r's new commits, judged on its whole tree? */
static int tip_judged_whole(const struct gate_judged_ref *r, const git_oid *new_commit)
{
	size_t c;

	for (c = 0; c < r->ncommits; c++)
		if (r->commits[c].whole_tree && git_oid_equal(&r->commits[c].id, new_commit))
			return 1;
	return 0;
}

/*
 * The tip check of r (judge.h, tip_check): the files of the tree at
 * new_commit that differ from the ref's last accepted revision (the whole
 * tree when there is none) and that no new commit judged, and the
 * ownership of the move.  Dropped again when it holds nothing.
 */
static int collect_tip(struct gate_judge *j, struct utable *t, const struct gate_ref_update *u,
	struct gate_judged_ref *r, const git_oid *new_commit, char *msg, size_t msgsize)
{
	char *aref = gate_record_accepted_ref(gate_config_accepted_prefix(j->cfg), u->ref);
	struct judged_set seen;
	struct tip_walk tw;
	struct gate_judged_commit *tip;
	git_oid base, old_commit;
	git_tree *base_tree = NULL;
	int exists = 0, error;

	memset(&seen, 0, sizeof(seen));
	error = gate_repo_ref_read(j->repo, aref, &base, &exists);
	free(aref);
	if (error < 0) {
		gate_repo_error(msg, msgsize, "cannot read the accepted ref");
		return -1;
	}
	if (exists && gate_repo_peel_commit(j->repo, &base, &base) != 1)
		exists = 0;
	if (exists && (error = gate_repo_commit_tree(j->repo, &base, &base_tree, msg, msgsize)) < 0)
		return error;
	r->nnew = r->ncommits;
	if (!exists && tip_judged_whole(r, new_commit)) {
		/*
		 * nothing accepted yet and the tip itself judged on its whole tree:
		 * every file of the tree was judged (no ratchet without a parent),
		 * so the tip check would find nothing; and a ref that had no old
		 * tip has no move to check ownership of
		 */
		if (u->old_zero)
			return 0;
	}
	judged_set_fill(&seen, j, r, base_tree);
	tip = add_commit(r, new_commit, !exists);
	tip->tip_check = 1;
	tip->has_base = exists;
	if (exists) {
		git_oid_cpy(&tip->base, &base);
		git_oid_tostr(tip->base_hex, sizeof(tip->base_hex), &base);
	}
	memset(&tw, 0, sizeof(tw));
	tw.cl.j = j;
	tw.cl.t = t;
	tw.cl.c = tip;
	tw.cl.parent_tree = j->ratchet ? base_tree : NULL;
	tw.seen = &seen;
	error = gate_repo_diff_changes(j->repo, exists ? &base : NULL, new_commit, tip_change, &tw,
		msg, msgsize);
	if (error >= 0 && j->owners && !u->old_zero &&
	    gate_repo_peel_commit(j->repo, &u->old_id, &old_commit) == 1)
		error = check_move_owners(j, r, tip, &old_commit, msg, msgsize);
	gate_repo_tree_free(base_tree);
	judged_set_release(&seen);
	if (error < 0)
		return error;
	if (!tip->nfiles) {
		size_t d;
		free(tip->files);
		for (d = 0; d < tip->ndeleted; d++)
			free(tip->deleted[d]);
		free(tip->deleted);
		r->ncommits--;
	}
	return 0;
}

int gate_judge__collect_ref(struct gate_judge *j, struct utable *t, const struct gate_ref_update *u,
	const char *const *keep, size_t nkeep, struct gate_judged_ref *r, char *msg, size_t msgsize)
{
	const struct gate_config_limits *lim = gate_config_limits(j->cfg);
	git_oid new_commit, *ids = NULL;
	size_t i, nids = 0;
	int error;

	if ((error = judge_ref_rules(j, u, r, &new_commit, msg, msgsize)) < 0)
		return error;
	if (!r->gated || r->denial || u->new_zero)
		return 0;
	error = gate_repo_new_commits(j->repo, &new_commit, u->old_zero ? NULL : &u->old_id,
		u->old_zero ? 0 : 1, ref_was_judged, (void *)j->cfg, keep, nkeep, lim->max_commits, &ids, &nids, msg, msgsize);
	if (error == GATE_REPO_ETOOMANY) {
		r->denial = gate_xasprintf("the update adds more than %zu commits "
			"(limits.max_commits); push in smaller steps", lim->max_commits);
		return 0;
	}
	if (error < 0)
		return error;
	/* a new gated ref must be a valid state as a whole, even without new commits */
	if (u->old_zero && nids == 0) {
		ids = gate_xmalloc(sizeof(*ids));
		git_oid_cpy(&ids[0], &new_commit);
		nids = 1;
	}
	for (i = 0; i < nids; i++) {
		struct collect cl;
		int whole = u->old_zero && i == 0;

		if (gate_judge__past_deadline(j)) {
			free(ids);
			return GATE_JUDGE_ETIMEOUT;
		}
		cl.j = j;
		cl.t = t;
		cl.c = add_commit(r, &ids[i], whole);
		cl.parent_tree = NULL;
		if (j->ratchet && !whole && (error = gate_repo_parent_tree(j->repo, &ids[i], &cl.parent_tree,
				msg, msgsize)) < 0) {
			free(ids);
			return error;
		}
		error = gate_repo_tree_changes(j->repo, &ids[i], whole, collect_change, &cl, msg, msgsize);
		gate_repo_tree_free(cl.parent_tree);
		if (error >= 0 && j->owners)
			error = check_owners(j, cl.c, whole, msg, msgsize);
		if (error < 0) {
			free(ids);
			return error;
		}
	}
	free(ids);
	if (gate_judge__past_deadline(j))
		return GATE_JUDGE_ETIMEOUT;
	return collect_tip(j, t, u, r, &new_commit, msg, msgsize);
}
