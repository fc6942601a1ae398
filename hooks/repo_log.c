/*
 * repo_log.c: the repo module's history for notifications (include/gate/
 * repo.h): the commits between two revisions, what each says about itself,
 * the paths two commits' trees differ in.  libgit2's error stays set after
 * a failure, for the caller's message.
 */
#include "gate/repo.h"

#include <stdlib.h>
#include <string.h>

#include "gate/util.h"

int gate_repo_diff_commits(struct gate_repo *r, const git_oid *from, const git_oid *to,
	gate_repo_change_fn fn, void *payload)
{
	git_repository *repo = gate_repo_git(r);
	git_commit *fc = NULL, *tc = NULL;
	git_tree *a = NULL, *b = NULL;
	git_diff_options opts;
	git_diff *diff = NULL;
	size_t i, n;
	int err;

	if ((from && ((err = git_commit_lookup(&fc, repo, from)) < 0 ||
		      (err = git_commit_tree(&a, fc)) < 0)) ||
	    (err = git_commit_lookup(&tc, repo, to)) < 0 ||
	    (err = git_commit_tree(&b, tc)) < 0)
		goto done;
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags |= GIT_DIFF_IGNORE_SUBMODULES;
	if ((err = git_diff_tree_to_tree(&diff, repo, a, b, &opts)) < 0)
		goto done;
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n && !err; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		struct gate_repo_change ch;

		memset(&ch, 0, sizeof(ch));
		ch.status = d->status == GIT_DELTA_ADDED ? GATE_CHANGE_ADDED :
			d->status == GIT_DELTA_DELETED ? GATE_CHANGE_DELETED : GATE_CHANGE_MODIFIED;
		ch.path = ch.status == GATE_CHANGE_DELETED ? d->old_file.path : d->new_file.path;
		if (ch.status != GATE_CHANGE_DELETED) {
			git_oid_cpy(&ch.id, &d->new_file.id);
			ch.mode = d->new_file.mode;
		}
		err = fn(&ch, payload);
	}
done:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	git_commit_free(fc);
	git_commit_free(tc);
	return err;
}

int gate_repo_log(struct gate_repo *r, const git_oid *prev, const git_oid *target, size_t max,
	git_oid **out, size_t *n)
{
	git_revwalk *walk = NULL;
	git_oid id;
	size_t alloc = 0;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = git_revwalk_new(&walk, gate_repo_git(r))) < 0)
		return err;
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if ((err = git_revwalk_push(walk, target)) < 0 || (prev && (err = git_revwalk_hide(walk, prev)) < 0))
		goto done;
	while (*n < max && (err = git_revwalk_next(&id, walk)) == 0) {
		GATE_ALLOC_GROW(*out, *n + 1, alloc);
		git_oid_cpy(&(*out)[(*n)++], &id);
	}
	if (err == GIT_ITEROVER)
		err = 0;
done:
	git_revwalk_free(walk);
	if (err < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

int gate_repo_commit_info(struct gate_repo *r, const git_oid *id, struct gate_repo_commit_info *out)
{
	git_commit *commit = NULL;
	const git_signature *a, *m;
	const char *msg;
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = git_commit_lookup(&commit, gate_repo_git(r), id)) < 0)
		return err;
	a = git_commit_author(commit);
	m = git_commit_committer(commit);
	msg = git_commit_message(commit);
	git_oid_cpy(&out->id, git_commit_id(commit));
	out->time = (long long)git_commit_time(commit);
	out->message = gate_xstrndup(msg ? msg : "", msg ? strnlen(msg, GATE_REPO_MESSAGE_MAX) : 0);
	out->author_name = gate_xstrdup(a && a->name ? a->name : "");
	out->author_email = gate_xstrdup(a && a->email ? a->email : "");
	out->committer_name = gate_xstrdup(m && m->name ? m->name : "");
	out->committer_email = gate_xstrdup(m && m->email ? m->email : "");
	git_commit_free(commit);
	return 0;
}

void gate_repo_commit_info_release(struct gate_repo_commit_info *c)
{
	free(c->message);
	free(c->author_name);
	free(c->author_email);
	free(c->committer_name);
	free(c->committer_email);
	memset(c, 0, sizeof(*c));
}
