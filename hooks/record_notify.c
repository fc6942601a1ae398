/*
 * record_notify: what an accepted update tells the clusters.  The changed
 * paths (previous accepted tree -> new tree) pick the clusters; the commits
 * between them, each with its paths, or the diff alone when the list would
 * be cut, make the push event (notify.h); one delivery per receiver is
 * written to the outbox before anything is sent.
 */
#include "gate/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate/hash.h"
#include "gate/journal.h"
#include "gate/notify.h"
#include "gate/outbox.h"
#include "gate/util.h"
#include "record_int.h"

struct changes {
	struct strv added, modified, removed;
	size_t total;
	int all; /* too many to list */
};

static void changes_clear(struct changes *c)
{
	gate_record_strv_clear(&c->added);
	gate_record_strv_clear(&c->modified);
	gate_record_strv_clear(&c->removed);
	c->total = 0;
	c->all = 0;
}

/* Changes between two trees (a may be NULL: everything added), at most max paths. */
static int diff_trees(git_repository *repo, git_tree *a, git_tree *b, size_t max,
	struct changes *c)
{
	git_diff_options opts;
	git_diff *diff = NULL;
	size_t i, n;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags |= GIT_DIFF_IGNORE_SUBMODULES;
	if (git_diff_tree_to_tree(&diff, repo, a, b, &opts) < 0)
		return -1;
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if (c->total >= max) {
			c->all = 1;
			break;
		}
		switch (d->status) {
		case GIT_DELTA_ADDED:
			gate_record_strv_add(&c->added, d->new_file.path);
			break;
		case GIT_DELTA_DELETED:
			gate_record_strv_add(&c->removed, d->old_file.path);
			break;
		default:
			gate_record_strv_add(&c->modified, d->new_file.path);
			break;
		}
		c->total++;
	}
	git_diff_free(diff);
	return 0;
}

static int commit_changes(git_repository *repo, git_commit *commit, size_t max, struct changes *c)
{
	git_commit *parent = NULL;
	git_tree *a = NULL, *b = NULL;
	int err;

	if (git_commit_parentcount(commit) > 0 && (err = git_commit_parent(&parent, commit, 0)) < 0)
		return err;
	if ((parent && (err = git_commit_tree(&a, parent)) < 0) ||
	    (err = git_commit_tree(&b, commit)) < 0)
		goto done;
	err = diff_trees(repo, a, b, max, c);
done:
	git_tree_free(a);
	git_tree_free(b);
	git_commit_free(parent);
	return err;
}

struct cdata {
	char id[GIT_OID_HEXSZ + 1];
	char ts[32];
	char *message, *an, *ae, *cn, *ce;
	struct changes ch;
};

static void cdata_clear(struct cdata *c)
{
	free(c->message);
	free(c->an);
	free(c->ae);
	free(c->cn);
	free(c->ce);
	changes_clear(&c->ch);
}

static void cdata_fill(struct cdata *c, git_commit *commit)
{
	const git_signature *a = git_commit_author(commit), *m = git_commit_committer(commit);
	const char *msg = git_commit_message(commit);

	git_oid_tostr(c->id, sizeof(c->id), git_commit_id(commit));
	gate_journal_time(c->ts, sizeof(c->ts), (long long)git_commit_time(commit));
	c->message = gate_xstrndup(msg ? msg : "", msg ? strnlen(msg, 4096) : 0);
	c->an = gate_xstrdup(a && a->name ? a->name : "");
	c->ae = gate_xstrdup(a && a->email ? a->email : "");
	c->cn = gate_xstrdup(m && m->name ? m->name : "");
	c->ce = gate_xstrdup(m && m->email ? m->email : "");
}

static void cdata_view(const struct cdata *c, struct gate_push_commit *v)
{
	v->id = c->id;
	v->message = c->message;
	v->timestamp = c->ts;
	v->author_name = c->an;
	v->author_email = c->ae;
	v->committer_name = c->cn;
	v->committer_email = c->ce;
	v->added = (const char *const *)c->ch.added.v;
	v->nadded = c->ch.added.n;
	v->modified = (const char *const *)c->ch.modified.v;
	v->nmodified = c->ch.modified.n;
	v->removed = (const char *const *)c->ch.removed.v;
	v->nremoved = c->ch.removed.n;
	v->truncated = c->ch.all;
}

/*
 * The commits from prev (exclusive, may be NULL) to target, newest
 * GATE_NOTIFY_MAX_COMMITS of them, oldest first, each with its own changes.
 * When none (target behind prev: a rollback), one entry for target with the
 * changes prev -> target, so that receivers see every changed path.  *more
 * is set when older commits were left out.
 */
static int collect_commits(git_repository *repo, const git_oid *prev, const git_oid *target,
	struct cdata **out, size_t *n, int *more)
{
	git_revwalk *walk = NULL;
	git_commit *commit = NULL, *pc = NULL;
	git_tree *a = NULL, *b = NULL;
	git_oid id;
	struct cdata *v = NULL;
	size_t alloc = 0, i;
	int err;

	*out = NULL;
	*n = 0;
	if ((err = git_revwalk_new(&walk, repo)) < 0)
		return err;
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if ((err = git_revwalk_push(walk, target)) < 0 || (prev && (err = git_revwalk_hide(walk, prev)) < 0))
		goto done;
	while (*n < GATE_NOTIFY_MAX_COMMITS && (err = git_revwalk_next(&id, walk)) == 0) {
		if ((err = git_commit_lookup(&commit, repo, &id)) < 0)
			goto done;
		GATE_ALLOC_GROW(v, *n + 1, alloc);
		memset(&v[*n], 0, sizeof(v[*n]));
		cdata_fill(&v[*n], commit);
		(*n)++;
		if ((err = commit_changes(repo, commit, GATE_NOTIFY_MAX_FILES, &v[*n - 1].ch)) < 0)
			goto done;
		git_commit_free(commit);
		commit = NULL;
	}
	*more = 0;
	if (err == 0 && *n == GATE_NOTIFY_MAX_COMMITS) {
		err = git_revwalk_next(&id, walk);
		*more = err == 0;
	}
	if (err == GIT_ITEROVER)
		err = 0;
	if (err < 0)
		goto done;
	/* oldest first */
	for (i = 0; i < *n / 2; i++) {
		struct cdata t = v[i];
		v[i] = v[*n - 1 - i];
		v[*n - 1 - i] = t;
	}
	if (*n == 0) {
		if ((err = git_commit_lookup(&commit, repo, target)) < 0)
			goto done;
		GATE_ALLOC_GROW(v, 1, alloc);
		memset(&v[0], 0, sizeof(v[0]));
		cdata_fill(&v[0], commit);
		*n = 1;
		if (prev && ((err = git_commit_lookup(&pc, repo, prev)) < 0 ||
			     (err = git_commit_tree(&a, pc)) < 0))
			goto done;
		if ((err = git_commit_tree(&b, commit)) < 0 ||
		    (err = diff_trees(repo, a, b, GATE_NOTIFY_MAX_FILES, &v[0].ch)) < 0)
			goto done;
	}
done:
	git_tree_free(a);
	git_tree_free(b);
	git_commit_free(pc);
	git_commit_free(commit);
	git_revwalk_free(walk);
	if (err < 0) {
		for (i = 0; i < *n; i++)
			cdata_clear(&v[i]);
		free(v);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return err;
}

/*
 * The id of the delivery of intent_id to receiver rv of cluster c: derived,
 * so that a retry or a recovery of the event rewrites the same outbox file
 * and receivers see one id for it.
 */
static void delivery_id(char id[GATE_OUTBOX_ID_LEN + 1], const char *intent_id,
	const struct gate_cluster *c, const struct gate_receiver *rv)
{
	struct gate_sha256 h;
	char hex[GATE_SHA256_HEX];
	const char *fmt = gate_notify_format_name(rv->format);

	gate_sha256_init(&h);
	gate_sha256_update(&h, "gitops-gate delivery", 21);
	gate_sha256_update(&h, intent_id, strlen(intent_id) + 1);
	gate_sha256_update(&h, c->name, strlen(c->name) + 1);
	gate_sha256_update(&h, rv->url ? rv->url : "", strlen(rv->url ? rv->url : "") + 1);
	gate_sha256_update(&h, fmt ? fmt : "", strlen(fmt ? fmt : "") + 1);
	gate_sha256_final(&h, hex);
	memcpy(id, hex, GATE_OUTBOX_ID_LEN);
	id[GATE_OUTBOX_ID_LEN] = '\0';
}

/*
 * The delivery of pe to receiver rv of cluster c: its derived id and its body
 * (new, in d->body); every other string borrowed.  0 or -1 with msg.
 */
static int make_delivery(struct gate_delivery *d, const struct gate_record *r,
	const struct gate_push_event *pe, const struct gate_record_event *ev, const char *intent_id,
	const struct gate_cluster *c, const struct gate_receiver *rv, long long now,
	char *msg, size_t msgsize)
{
	struct gate_delivery init = GATE_DELIVERY_INIT;

	*d = init;
	delivery_id(d->id, intent_id, c, rv);
	d->cluster = c->name;
	d->url = rv->url;
	d->format = (char *)gate_notify_format_name(rv->format);
	d->signature = rv->format == GATE_FORMAT_GITHUB ?
		(char *)gate_notify_signature_name(rv->signature) : NULL;
	d->token_file = rv->token_file;
	d->ca_bundle = rv->ca_bundle;
	d->event = (char *)ev->event;
	d->ref = (char *)ev->ref;
	d->accepted_ref = (char *)pe->accepted_ref;
	d->old = (char *)pe->before;
	d->new_ = (char *)pe->after;
	d->body = gate_notify_body(pe, rv->format, c->name, d->id, r->repo_cfg.max_body_bytes,
		&d->body_len, NULL);
	if (!d->body)
		return gate_record_fail(msg, msgsize, "cannot fit the notification for cluster \"%s\" in "
			"notify.max_body_bytes (%zu)", c->name, r->repo_cfg.max_body_bytes);
	d->created = now;
	d->next_attempt_time = now;
	return 0;
}

int gate_record_queue_deliveries(struct gate_record *r, const struct gate_record_event *ev,
	const char *intent_id, const char *aref, const git_oid *prev, const git_oid *target,
	struct gate_record_outcome *out, char *msg, size_t msgsize)
{
	struct cdata *commits = NULL;
	struct gate_push_commit *views = NULL;
	struct changes all = { STRV_INIT, STRV_INIT, STRV_INIT, 0, 0 };
	struct strv paths = STRV_INIT;
	git_commit *pc = NULL, *tc = NULL;
	git_tree *a = NULL, *b = NULL;
	struct gate_push_event pe;
	char before[GIT_OID_HEXSZ + 1], after[GIT_OID_HEXSZ + 1];
	struct gate_delivery *pend = NULL;
	size_t ncommits = 0, i, j, k, npend = 0, apend = 0;
	long long now = (long long)time(NULL);
	int err = 0, forced = 0, more = 0;

	if (!r->rcv || r->rcv->nclusters == 0)
		return 0;
	/* the paths that changed for the clusters: previous accepted tree -> target tree */
	if ((prev && ((err = git_commit_lookup(&pc, r->repo, prev)) < 0 ||
		      (err = git_commit_tree(&a, pc)) < 0)) ||
	    (err = git_commit_lookup(&tc, r->repo, target)) < 0 ||
	    (err = git_commit_tree(&b, tc)) < 0 ||
	    (err = diff_trees(r->repo, a, b, GATE_RECORD_MAX_PATHS, &all)) < 0) {
		gate_record_git_fail(msg, msgsize, "cannot compute the changed paths");
		goto done;
	}
	for (k = 0; k < all.added.n; k++)
		gate_record_strv_add(&paths, all.added.v[k]);
	for (k = 0; k < all.modified.n; k++)
		gate_record_strv_add(&paths, all.modified.v[k]);
	for (k = 0; k < all.removed.n; k++)
		gate_record_strv_add(&paths, all.removed.v[k]);
	if (prev) {
		int d = gate_repo_descends(r->grepo, target, prev, NULL, 0);
		forced = d == 0;
	}
	if ((err = collect_commits(r->repo, prev, target, &commits, &ncommits, &more)) < 0) {
		gate_record_git_fail(msg, msgsize, "cannot list the commits");
		goto done;
	}
	views = gate_xcalloc(ncommits + 1, sizeof(*views));
	for (i = 0; i < ncommits; i++)
		cdata_view(&commits[i], &views[i]);
	if (prev)
		git_oid_tostr(before, sizeof(before), prev);
	else
		snprintf(before, sizeof(before), "%s", ZERO_HEX);
	git_oid_tostr(after, sizeof(after), target);
	memset(&pe, 0, sizeof(pe));
	pe.event = ev->event;
	pe.source_ref = ev->ref;
	pe.accepted_ref = aref;
	pe.before = before;
	pe.after = after;
	pe.forced = forced;
	pe.pusher = ev->pusher;
	pe.commits = views;
	pe.ncommits = ncommits;
	pe.head = ncommits ? &views[ncommits - 1] : NULL;
	pe.default_branch = r->default_branch;
	pe.repo = &r->repo_cfg;
	pe.more_commits = more;
	pe.diff_added = (const char *const *)all.added.v;
	pe.ndiff_added = all.added.n;
	pe.diff_modified = (const char *const *)all.modified.v;
	pe.ndiff_modified = all.modified.n;
	pe.diff_removed = (const char *const *)all.removed.v;
	pe.ndiff_removed = all.removed.n;
	pe.diff_complete = !all.all;
	for (i = 0; i < r->rcv->nclusters; i++) {
		const struct gate_cluster *c = &r->rcv->clusters[i];
		if (!gate_cluster_wants_ref(c, ev->ref, aref) ||
		    !gate_cluster_wants_paths(c, (const char *const *)paths.v, paths.n, all.all))
			continue;
		out->nclusters++;
		for (j = 0; j < c->nreceivers; j++) {
			GATE_ALLOC_GROW(pend, npend + 1, apend);
			if ((err = make_delivery(&pend[npend], r, &pe, ev, intent_id, c, &c->receivers[j], now,
				msg, msgsize)) < 0)
				goto done;
			npend++;
		}
	}
	/* every delivery on disk, durably, before anything is sent or the ref moves */
	if (gate_outbox_put_many(r->outbox, pend, npend) < 0) {
		err = gate_record_fail(msg, msgsize, "cannot write the outbox entries: %s", strerror(errno));
		goto done;
	}
	for (i = 0; i < npend; i++) {
		out->deliveries = gate_xreallocarray(out->deliveries, out->ndeliveries + 1,
			sizeof(char *));
		out->deliveries[out->ndeliveries++] = gate_xstrdup(pend[i].id);
	}
done:
	for (i = 0; i < npend; i++)
		free(pend[i].body);
	free(pend);
	for (i = 0; i < ncommits; i++)
		cdata_clear(&commits[i]);
	free(commits);
	free(views);
	changes_clear(&all);
	gate_record_strv_clear(&paths);
	git_tree_free(a);
	git_tree_free(b);
	git_commit_free(pc);
	git_commit_free(tc);
	return err < 0 ? -1 : 0;
}
