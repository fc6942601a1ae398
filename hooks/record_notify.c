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

struct changes_max {
	struct changes *c;
	size_t max;
};

/* gate_repo_change_fn: one changed path into its list, at most max (then stop). */
static int add_change(const struct gate_repo_change *ch, void *payload)
{
	struct changes_max *cm = payload;
	struct changes *c = cm->c;

	if (c->total >= cm->max) {
		c->all = 1;
		return 1;
	}
	if (ch->status == GATE_CHANGE_ADDED)
		gate_record_strv_add(&c->added, ch->path);
	else if (ch->status == GATE_CHANGE_DELETED)
		gate_record_strv_add(&c->removed, ch->path);
	else
		gate_record_strv_add(&c->modified, ch->path);
	c->total++;
	return 0;
}

/* Changes between the trees of commits from (NULL: everything added) and to, at most max paths. */
static int diff_commits(struct gate_repo *repo, const git_oid *from, const git_oid *to, size_t max,
	struct changes *c)
{
	struct changes_max cm = { c, max };
	int err = gate_repo_diff_commits(repo, from, to, add_change, &cm);

	return err < 0 ? err : 0;
}

struct cdata {
	char id[GIT_OID_HEXSZ + 1];
	char ts[32];
	struct gate_repo_commit_info info;
	struct changes ch;
};

static void cdata_clear(struct cdata *c)
{
	gate_repo_commit_info_release(&c->info);
	changes_clear(&c->ch);
}

static int cdata_fill(struct gate_repo *repo, struct cdata *c, const git_oid *id)
{
	int err = gate_repo_commit_info(repo, id, &c->info);

	if (err < 0)
		return err;
	git_oid_tostr(c->id, sizeof(c->id), &c->info.id);
	gate_journal_time(c->ts, sizeof(c->ts), c->info.time);
	return 0;
}

static void cdata_view(const struct cdata *c, struct gate_push_commit *v)
{
	v->id = c->id;
	v->message = c->info.message;
	v->timestamp = c->ts;
	v->author_name = c->info.author_name;
	v->author_email = c->info.author_email;
	v->committer_name = c->info.committer_name;
	v->committer_email = c->info.committer_email;
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
static int collect_commits(struct gate_repo *repo, const git_oid *prev, const git_oid *target,
	struct cdata **out, size_t *n, int *more)
{
	git_oid *ids = NULL, parent;
	struct cdata *v = NULL;
	size_t nids = 0, i;
	int err, hp;

	*out = NULL;
	*n = 0;
	/* one more than listed, to know whether the list is cut */
	if ((err = gate_repo_log(repo, prev, target, GATE_NOTIFY_MAX_COMMITS + 1, &ids, &nids)) < 0)
		return err;
	*more = nids > GATE_NOTIFY_MAX_COMMITS;
	if (*more)
		nids = GATE_NOTIFY_MAX_COMMITS; /* the newest ones: gate_repo_log lists newest first */
	v = gate_xcalloc(nids ? nids : 1, sizeof(*v));
	/* oldest first */
	for (i = 0; i < nids; i++) {
		const git_oid *id = &ids[nids - 1 - i];
		if ((err = cdata_fill(repo, &v[i], id)) < 0)
			goto done;
		*n = i + 1;
		if ((hp = gate_repo_first_parent(repo, id, &parent)) < 0) {
			err = -1;
			goto done;
		}
		if ((err = diff_commits(repo, hp ? &parent : NULL, id, GATE_NOTIFY_MAX_FILES,
				&v[i].ch)) < 0)
			goto done;
	}
	if (*n == 0) {
		if ((err = cdata_fill(repo, &v[0], target)) < 0)
			goto done;
		*n = 1;
		err = diff_commits(repo, prev, target, GATE_NOTIFY_MAX_FILES, &v[0].ch);
	}
done:
	free(ids);
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
 * (new, in d->body); every other string borrowed.  how: the body form to
 * start from per kind of body (GitHub-like, GitLab), updated.  0 or -1 with msg.
 */
static int make_delivery(struct gate_delivery *d, const struct gate_record *r,
	const struct gate_push_event *pe, const struct gate_record_event *ev, const char *intent_id,
	const struct gate_cluster *c, const struct gate_receiver *rv, long long now,
	enum gate_notify_changes how[2], char *msg, size_t msgsize)
{
	struct gate_delivery init = GATE_DELIVERY_INIT;

	*d = init;
	delivery_id(d->id, intent_id, c, rv);
	d->cluster = c->name;
	d->receiver_name = rv->name; /* the receiver is looked up by it when sent */
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
		&d->body_len, &how[rv->format == GATE_FORMAT_GITLAB]);
	if (!d->body)
		return gate_record_fail(msg, msgsize, "cannot fit the notification for cluster \"%s\" in "
			"notify.max_body_bytes (%zu)", c->name, r->repo_cfg.max_body_bytes);
	/* the outbox stores the part every receiver shares once per push */
	d->body_shared = gate_notify_body_shared(d->body, d->body_len);
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
	struct gate_push_event pe;
	char before[GIT_OID_HEXSZ + 1], after[GIT_OID_HEXSZ + 1];
	struct gate_delivery *pend = NULL;
	size_t ncommits = 0, i, j, k, npend = 0, apend = 0;
	long long now = (long long)time(NULL);
	int err = 0, forced = 0, more = 0;
	enum gate_notify_changes how[2] = { GATE_CHANGES_COMMITS, GATE_CHANGES_COMMITS }; /* github-like, gitlab */

	if (!r->rcv || r->rcv->nclusters == 0)
		return 0;
	/* the paths that changed for the clusters: previous accepted tree -> target tree */
	if ((err = diff_commits(r->grepo, prev, target, GATE_RECORD_MAX_PATHS, &all)) < 0) {
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
	if ((err = collect_commits(r->grepo, prev, target, &commits, &ncommits, &more)) < 0) {
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
		if (!out->clusters)
			out->clusters = json_array();
		json_array_append_new(out->clusters, json_string(c->name));
		for (j = 0; j < c->nreceivers; j++) {
			GATE_ALLOC_GROW(pend, npend + 1, apend);
			if ((err = make_delivery(&pend[npend], r, &pe, ev, intent_id, c, &c->receivers[j],
				now, how, msg, msgsize)) < 0)
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
	return err < 0 ? -1 : 0;
}
