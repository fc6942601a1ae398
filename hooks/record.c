#include "gate/record.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate/gate_log.h"
#include "gate/hash.h"
#include "gate/journal.h"
#include "gate/notify.h"
#include "gate/outbox.h"
#include "gate/util.h"
#include "record_int.h"

#define CAS_ROUNDS 20 /* log appends lost to another writer before giving up */

void gate_record_strv_add(struct strv *s, const char *p)
{
	GATE_ALLOC_GROW(s->v, s->n + 1, s->alloc);
	s->v[s->n++] = gate_xstrdup(p);
}

void gate_record_strv_clear(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

int gate_record_fail(char *msg, size_t msgsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gate_set_vmsg(msg, msgsize, fmt, ap);
	va_end(ap);
	return -1;
}

int gate_record_git_fail(char *msg, size_t msgsize, const char *what)
{
	const git_error *e = git_error_last();

	return gate_record_fail(msg, msgsize, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

void gate_record_step(struct gate_record *r, const char *name)
{
	if (r->step)
		r->step(r->step_payload, name);
}

char *gate_record_accepted_ref(const char *prefix, const char *ref)
{
	if (!prefix)
		prefix = GATE_RECORD_DEFAULT_PREFIX;
	if (!strncmp(ref, "refs/heads/", 11))
		return gate_xasprintf("%s%s", prefix, ref + 11);
	if (!strncmp(ref, "refs/", 5))
		return gate_xasprintf("%s%s", prefix, ref + 5);
	return gate_xasprintf("%s%s", prefix, ref);
}

int gate_record_new(struct gate_record **out, const struct gate_record_opts *o,
	char *msg, size_t msgsize)
{
	struct gate_record *r;
	const char *base;
	size_t len;

	*out = NULL;
	if (!o->repo || !o->git_dir)
		return gate_record_fail(msg, msgsize, "record: repository and git directory are required");
	r = gate_xcalloc(1, sizeof(*r));
	r->grepo = o->repo;
	r->git_dir = gate_xstrdup(o->git_dir);
	len = strlen(r->git_dir);
	while (len > 1 && r->git_dir[len - 1] == '/')
		r->git_dir[--len] = '\0';
	r->prefix = gate_xstrdup(o->prefix ? o->prefix : GATE_RECORD_DEFAULT_PREFIX);
	r->state_dir = gate_xasprintf("%s/gitops-gate", r->git_dir);
	r->journal = gate_xasprintf("%s/journal", r->state_dir);
	r->outbox = gate_xasprintf("%s/outbox", r->state_dir);
	r->pending = gate_xasprintf("%s/pending", r->state_dir);
	r->rcv = o->rcv;
	r->step = o->step;
	r->step_payload = o->step_payload;
	r->lock_fd = -1;
	if (o->rcv)
		r->repo_cfg = o->rcv->notify;
	else {
		struct gate_receivers init = GATE_RECEIVERS_INIT;
		r->repo_cfg = init.notify;
	}
	/* defaults: the folder name without .git, a file:// URL, HEAD's branch */
	base = strrchr(r->git_dir, '/');
	base = base ? base + 1 : r->git_dir;
	len = strlen(base);
	if (len > 4 && !strcmp(base + len - 4, ".git"))
		len -= 4;
	r->own_name = gate_xstrndup(base, len);
	r->own_url = gate_xasprintf("file://%s", r->git_dir);
	if (!r->repo_cfg.repo_name)
		r->repo_cfg.repo_name = r->own_name;
	if (!r->repo_cfg.repo_html_url)
		r->repo_cfg.repo_html_url = r->own_url;
	if (!r->repo_cfg.repo_clone_url && r->repo_cfg.repo_html_url != r->own_url) {
		r->own_clone_url = gate_xasprintf("%s.git", r->repo_cfg.repo_html_url);
		r->repo_cfg.repo_clone_url = r->own_clone_url;
	}
	if (!r->repo_cfg.repo_clone_url)
		r->repo_cfg.repo_clone_url = r->own_url;
	if (r->repo_cfg.repo_default_branch)
		r->default_branch = gate_xstrdup(r->repo_cfg.repo_default_branch);
	else if (!(r->default_branch = gate_repo_head_branch(r->grepo)))
		r->default_branch = gate_xstrdup("main");
	if (gate_mkdir_p(r->outbox, 0755) < 0 || gate_mkdir_p(r->pending, 0755) < 0) {
		gate_record_fail(msg, msgsize, "cannot create %s: %s", r->state_dir, strerror(errno));
		gate_record_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void gate_record_free(struct gate_record *r)
{
	if (!r)
		return;
	if (r->lock_depth > 0) {
		r->lock_depth = 1;
		gate_record_unlock(r);
	}
	free(r->git_dir);
	free(r->prefix);
	free(r->state_dir);
	free(r->journal);
	free(r->outbox);
	free(r->pending);
	free(r->own_name);
	free(r->own_url);
	free(r->own_clone_url);
	free(r->default_branch);
	free(r);
}

const char *gate_record_outbox_dir(const struct gate_record *r)
{
	return r->outbox;
}

const struct gate_notify_config *gate_record_repo_config(const struct gate_record *r)
{
	return &r->repo_cfg;
}

const char *gate_record_default_branch(const struct gate_record *r)
{
	return r->default_branch;
}

const char *gate_record_journal_path(const struct gate_record *r)
{
	return r->journal;
}

void gate_record_outcome_release(struct gate_record_outcome *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->ndeliveries; i++)
		free(o->deliveries[i]);
	free(o->deliveries);
	o->deliveries = NULL;
	o->ndeliveries = 0;
	json_decref(o->clusters);
	o->clusters = NULL;
}

/* ---- one event ---- */

const char *gate_record_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}
#define jstr gate_record_jstr

/*
 * The intent id of ev: for a push, derived from the update, so that every
 * retry and every recovery of one push (post-receive, reconcile, two
 * servers) names the same intent and the same deliveries; else random.
 */
int gate_record_intent_id(const struct gate_record_event *ev, char id[GATE_OUTBOX_ID_LEN + 1])
{
	struct gate_sha256 h;
	char hex[GATE_SHA256_HEX];

	if (!ev->old_hex || !ev->new_hex)
		return gate_outbox_new_id(id);
	gate_sha256_init(&h);
	gate_sha256_update(&h, "gitops-gate intent", 19);
	gate_sha256_update(&h, ev->event, strlen(ev->event) + 1);
	gate_sha256_update(&h, ev->ref, strlen(ev->ref) + 1);
	gate_sha256_update(&h, ev->old_hex, strlen(ev->old_hex) + 1);
	gate_sha256_update(&h, ev->new_hex, strlen(ev->new_hex) + 1);
	gate_sha256_update(&h, ev->target_hex, strlen(ev->target_hex) + 1);
	gate_sha256_final(&h, hex);
	memcpy(id, hex, GATE_OUTBOX_ID_LEN);
	id[GATE_OUTBOX_ID_LEN] = '\0';
	return 0;
}

static json_t *str_or_null(const char *s)
{
	json_t *v;

	if (!s)
		return json_null();
	v = json_string(s);
	return v ? v : json_string("(invalid UTF-8)");
}

/* The log entry of ev (new reference). */
static json_t *new_entry(const struct gate_record_event *ev, const char *intent_id, const char *aref,
	const char *hex, const char *previous, int moved, const char *reason,
	const struct gate_record_outcome *out)
{
	char now[32];
	json_t *e = json_object(), *ids = json_array();
	size_t i;

	gate_journal_time(now, sizeof(now), (long long)time(NULL));
	for (i = 0; i < out->ndeliveries; i++)
		json_array_append_new(ids, json_string(out->deliveries[i]));
	json_object_set_new(e, "time", json_string(now));
	json_object_set_new(e, "event", json_string(ev->event));
	json_object_set_new(e, "ref", str_or_null(ev->ref));
	json_object_set_new(e, "old", str_or_null(ev->old_hex));
	json_object_set_new(e, "new", str_or_null(ev->new_hex));
	json_object_set_new(e, "target", json_string(hex));
	json_object_set_new(e, "accepted_ref", str_or_null(aref));
	json_object_set_new(e, "previous", previous && previous[0] ? json_string(previous) : json_null());
	json_object_set_new(e, "moved", json_boolean(moved));
	if (!moved && reason)
		json_object_set_new(e, "reason", json_string(reason));
	json_object_set_new(e, "pusher", str_or_null(ev->pusher));
	json_object_set_new(e, "bypass", str_or_null(ev->bypass));
	json_object_set_new(e, "verdict", ev->verdict ? json_deep_copy(ev->verdict) : json_null());
	json_object_set_new(e, "deliveries", ids);
	json_object_set_new(e, "clusters", out->clusters ? json_deep_copy(out->clusters) : json_array());
	json_object_set_new(e, "intent", json_string(intent_id));
	if (ev->force)
		json_object_set_new(e, "force", json_true());
	return e;
}

/*
 * Does the log hold this push already (its intent id in the index record of
 * its target on aref)?  1, 0, or -1 with msg.
 */
static int log_has_push(struct gate_record *r, const struct gate_log_head *h, const char *aref,
	const char *hex, const char *intent_id, char *msg, size_t msgsize)
{
	json_t *rec = NULL;
	int found;

	if (gate_log_accepted(r->grepo, h, aref, hex, &rec, msg, msgsize) < 0)
		return -1;
	found = rec && jstr(rec, "intent") && !strcmp(jstr(rec, "intent"), intent_id);
	json_decref(rec);
	return found;
}

/* Will the accepted ref move from cur to target?  1, 0 with *reason, -1. */
static int decide(struct gate_record *r, const struct gate_record_event *ev, const git_oid *cur,
	int have_cur, const git_oid *target, const char **reason)
{
	int d;

	*reason = NULL;
	if (have_cur && git_oid_equal(cur, target)) {
		*reason = "already";
		return 0;
	}
	if (!have_cur || ev->force)
		return 1;
	if ((d = gate_repo_descends(r->grepo, cur, target, NULL, 0)) < 0)
		return -1;
	if (d) {
		*reason = "superseded";
		return 0;
	}
	return 1;
}

/*
 * One round of gate_record_apply under the gate lock: 0 recorded (or found
 * recorded), GATE_LOG_EMOVED when another writer moved the log meanwhile
 * (read again, decide again), -1 with msg.
 */
static int apply_round(struct gate_record *r, const struct gate_record_event *ev, const char *aref,
	const git_oid *target, const char *hex, const char *intent_id, struct gate_log_head *h,
	int *queued, struct gate_record_outcome *out, char *msg, size_t msgsize)
{
	git_oid cur;
	int have_cur, moves, err;
	const char *reason;
	json_t *entry;
	char *logmsg;

	if (gate_record_log_open(r, h, msg, msgsize) < 0)
		return -1;
	if (ev->old_hex && ev->new_hex) {
		if ((err = log_has_push(r, h, aref, hex, intent_id, msg, msgsize)) < 0)
			return -1;
		if (err) {
			/* the same push recorded before (reconcile, another server, a retry) */
			out->reason = "already";
			return gate_record_forward_ref(r, h, aref, NULL, msg, msgsize);
		}
	}
	/* a crash between a log entry and its ref move: finish it before deciding */
	if (gate_record_forward_ref(r, h, aref, NULL, msg, msgsize) < 0)
		return -1;
	if (gate_repo_ref_read(r->grepo, aref, &cur, &have_cur) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot read the accepted ref");
	out->previous[0] = '\0';
	if (have_cur)
		git_oid_tostr(out->previous, sizeof(out->previous), &cur);
	if ((moves = decide(r, ev, &cur, have_cur, target, &reason)) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot compare commits");
	if (moves && !*queued) {
		/* notify only when the ref will move; the ids are derived: a second round writes the same */
		if (gate_record_queue_deliveries(r, ev, intent_id, aref, have_cur ? &cur : NULL, target,
			out, msg, msgsize) < 0)
			return -1;
		*queued = 1;
	}
	gate_record_step(r, "after-outbox");
	entry = new_entry(ev, intent_id, aref, hex, out->previous, moves, reason, out);
	err = gate_log_append(r->grepo, h, entry, NULL, msg, msgsize);
	json_decref(entry);
	if (err < 0)
		return err;
	gate_record_step(r, "after-log");
	out->moved = moves;
	out->reason = reason;
	if (!moves)
		return 0;
	logmsg = gate_xasprintf("gitops-gate: %s", ev->event);
	err = gate_repo_ref_move(r->grepo, aref, &cur, &have_cur, target, ev->force, logmsg, &moves,
		&reason);
	free(logmsg);
	if (err < 0 || !moves)
		snprintf(out->warning, sizeof(out->warning), "the gate log records %.12s for %s but the "
			"ref could not be moved (%s): gitops-gate reconcile finishes it", hex, aref,
			err < 0 ? "libgit2 error" : "it moved outside the gate");
	return 0;
}

int gate_record_apply_locked(struct gate_record *r, const struct gate_record_event *ev,
	const char *aref, const git_oid *target, struct gate_record_outcome *out, char *msg,
	size_t msgsize)
{
	struct gate_log_head h = GATE_LOG_HEAD_INIT;
	char intent_id[GATE_OUTBOX_ID_LEN + 1], hex[GIT_OID_HEXSZ + 1];
	int queued = 0, round, err = GATE_LOG_EMOVED;
	char *path;

	git_oid_tostr(hex, sizeof(hex), target);
	if (ev->intent_id)
		snprintf(intent_id, sizeof(intent_id), "%s", ev->intent_id);
	else if (gate_record_intent_id(ev, intent_id) < 0)
		return gate_record_fail(msg, msgsize, "cannot draw a random id: %s", strerror(errno));
	for (round = 0; round < CAS_ROUNDS && err == GATE_LOG_EMOVED; round++)
		err = apply_round(r, ev, aref, target, hex, intent_id, &h, &queued, out, msg, msgsize);
	if (err == GATE_LOG_EMOVED)
		gate_record_fail(msg, msgsize, "the gate log kept moving under this writer (%d rounds)",
			CAS_ROUNDS);
	if (err < 0) {
		gate_log_head_release(&h);
		return -1;
	}
	gate_record_step(r, "after-ref");
	/* the views: note and journal line, from the log */
	gate_record_sync_views(r, &h, out->warning, sizeof(out->warning));
	gate_log_head_release(&h);
	/* an intent file of an earlier version of the gate, now in the log */
	path = gate_xasprintf("%s/%s.json", r->pending, intent_id);
	unlink(path);
	free(path);
	return 0;
}

int gate_record_apply(struct gate_record *r, const struct gate_record_event *ev,
	struct gate_record_outcome *out, char *msg, size_t msgsize)
{
	git_oid target;
	char *aref;
	int err = -1;

	if (!ev->ref || !ev->target_hex || !ev->event)
		return gate_record_fail(msg, msgsize, "record: event, ref and target are required");
	aref = gate_record_accepted_ref(r->prefix, ev->ref);
	snprintf(out->accepted_ref, sizeof(out->accepted_ref), "%s", aref);
	if (strlen(aref) >= sizeof(out->accepted_ref) || !gate_repo_ref_name_valid(aref)) {
		gate_record_fail(msg, msgsize, "\"%.200s\" is not a valid accepted ref name", aref);
		goto done;
	}
	if (git_oid_fromstr(&target, ev->target_hex) < 0 || gate_repo_is_commit(r->grepo, &target) != 1) {
		gate_record_fail(msg, msgsize, "%.64s is not a commit of this repository", ev->target_hex);
		goto done;
	}
	if (gate_record_lock(r, msg, msgsize) < 0)
		goto done;
	err = gate_record_apply_locked(r, ev, aref, &target, out, msg, msgsize);
	gate_record_unlock(r);
done:
	free(aref);
	return err;
}
