/*
 * record_reconcile: gate_record_reconcile (record.h), recovery that reads
 * refs.  Under the gate lock:
 *   1. intent files left by an earlier version of the gate (pending/) are
 *      recorded through the log like any event, then removed;
 *   2. the log (seeded from the journal on first use) is compared with the
 *      accepted refs: a ref behind the log's target moves forward to it; a
 *      ref the log does not know, or ahead of the log on a revision accepted
 *      for it, is recorded in the log ("reconcile" entry); anything else is
 *      reported and left alone (never backwards);
 *   3. the views (notes, journal) are brought up to the log's head.
 * A second run finds nothing to do and writes nothing.
 */
#include "gate/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate/journal.h"
#include "gate/outbox.h"
#include "gate/util.h"
#include "record_int.h"

#define jstr gate_record_jstr
#define MAX_INTENTS 10000

/* One intent file of an earlier version: recorded through the log, removed. */
static int legacy_intent(struct gate_record *r, const char *id, json_t *report, char *msg,
	size_t msgsize)
{
	char *path = gate_xasprintf("%s/%s.json", r->pending, id), *text = NULL;
	struct gate_record_outcome out = GATE_RECORD_OUTCOME_INIT;
	struct gate_record_event ev;
	const char *aref, *expected;
	json_error_t je;
	json_t *in = NULL;
	git_oid target, cur, exp;
	size_t len;
	int have_cur, err = 0;

	if (gate_read_file(path, 1u << 20, &text, &len) < 0)
		goto done;
	in = json_loadb(text, len, 0, &je);
	aref = jstr(in, "accepted_ref");
	memset(&ev, 0, sizeof(ev));
	ev.event = jstr(in, "event");
	ev.ref = jstr(in, "ref");
	ev.old_hex = jstr(in, "old");
	ev.new_hex = jstr(in, "new");
	ev.target_hex = jstr(in, "target");
	ev.pusher = jstr(in, "pusher");
	ev.bypass = jstr(in, "bypass");
	ev.verdict = json_object_get(in, "verdict");
	ev.force = json_is_true(json_object_get(in, "force"));
	ev.intent_id = id;
	if (!aref || !ev.event || !ev.ref || !ev.target_hex || git_oid_fromstr(&target, ev.target_hex) < 0 ||
	    gate_repo_is_commit(r->grepo, &target) != 1) {
		gate_record_report(report, "skip", aref, NULL, "malformed intent file left in place");
		goto done;
	}
	expected = jstr(in, "expected");
	if (ev.force && expected && git_oid_fromstr(&exp, expected) == 0 &&
	    gate_repo_ref_read(r->grepo, aref, &cur, &have_cur) == 0 &&
	    !(have_cur && (git_oid_equal(&cur, &exp) || git_oid_equal(&cur, &target)))) {
		/* a rollback that someone else's move superseded */
		gate_record_report(report, "completed-unmoved", aref, ev.target_hex, "superseded");
		unlink(path);
		goto done;
	}
	if ((err = gate_record_apply_locked(r, &ev, aref, &target, &out, msg, msgsize)) == 0) {
		gate_record_report(report, out.moved ? "completed" : "completed-unmoved", aref, ev.target_hex,
			out.warning[0] ? out.warning : (out.reason ? out.reason : "moved"));
		unlink(path);
	}
done:
	gate_record_outcome_release(&out);
	json_decref(in);
	free(text);
	free(path);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A "reconcile" entry in the log: the accepted ref holds target, now recorded. */
static int record_adopted(struct gate_record *r, struct gate_log_head *h, const char *aref,
	const char *src, const char *hex, const char *reason, char *msg, size_t msgsize)
{
	char now[32];
	json_t *e;
	int err;

	gate_journal_time(now, sizeof(now), (long long)time(NULL));
	e = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s,s:b,s:s,s:b,s:[]}", "time", now, "event", "reconcile",
		"ref", src, "accepted_ref", aref, "target", hex, "previous", hex,
		"moved", 1, "reason", reason, "reconciled", 1, "deliveries");
	err = gate_log_append(r->grepo, h, e, NULL, msg, msgsize);
	json_decref(e);
	return err;
}

/* Step 2 for one accepted ref. */
static int reconcile_ref(struct gate_record *r, struct gate_log_head *h, const char *aref,
	json_t *report, char *msg, size_t msgsize)
{
	const json_t *st = gate_log_ref_state(h, aref);
	const char *xhex = jstr(st, "target");
	git_oid x, y;
	char yhex[GIT_OID_HEXSZ + 1];
	json_t *rec = NULL;
	int have_y, d, err;

	if (gate_repo_ref_read(r->grepo, aref, &y, &have_y) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot read the accepted ref");
	if (!have_y)
		return xhex ? gate_record_forward_ref(r, h, aref, report, msg, msgsize) : 0;
	git_oid_tostr(yhex, sizeof(yhex), &y);
	if (xhex && !strcmp(xhex, yhex))
		return 0;
	if (!xhex) {
		if ((err = record_adopted(r, h, aref, NULL, yhex, "adopted: the gate log had no entry for this "
			"accepted ref", msg, msgsize)) < 0)
			return err;
		gate_record_report(report, "adopted", aref, yhex, "accepted ref had no entry in the gate log");
		return 0;
	}
	if (git_oid_fromstr(&x, xhex) < 0)
		return gate_record_fail(msg, msgsize, "the gate log's state for %s is malformed", aref);
	if ((d = gate_repo_descends(r->grepo, &x, &y, NULL, 0)) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot compare commits");
	if (d)
		return gate_record_forward_ref(r, h, aref, report, msg, msgsize);
	/* the ref is elsewhere: ahead on a revision accepted for it is recorded, else reported */
	if (gate_log_accepted(r->grepo, h, aref, yhex, &rec, msg, msgsize) < 0)
		return -1;
	d = rec ? gate_repo_descends(r->grepo, &y, &x, NULL, 0) : 0;
	json_decref(rec);
	if (d > 0) {
		if ((err = record_adopted(r, h, aref, jstr(st, "ref"), yhex, "recorded: the ref holds a newer "
			"accepted commit", msg, msgsize)) < 0)
			return err;
		gate_record_report(report, "recorded", aref, yhex, "the ref holds a newer accepted commit");
		return 0;
	}
	return gate_record_forward_ref(r, h, aref, report, msg, msgsize);
}

static int reconcile_refs(struct gate_record *r, struct gate_log_head *h, json_t *report, char *msg,
	size_t msgsize)
{
	struct strv names = STRV_INIT;
	const char *aref;
	json_t *v;
	size_t i;
	int err = 0;

	if (gate_repo_ref_names(r->grepo, r->prefix, &names.v, &names.n) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot list refs");
	names.alloc = names.n;
	json_object_foreach(json_object_get(h->state, "refs"), aref, v) {
		for (i = 0; i < names.n && strcmp(names.v[i], aref); i++)
			;
		if (i == names.n)
			gate_record_strv_add(&names, aref);
	}
	if (names.n) /* qsort(NULL, 0, ...) is undefined */
		qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (i = 0; i < names.n && err == 0; i++) {
		int round = 0;
		do
			err = reconcile_ref(r, h, names.v[i], report, msg, msgsize);
		while (err == GATE_LOG_EMOVED && round++ < 5 && gate_log_head_read(r->grepo, h, msg, msgsize) == 0);
	}
	gate_record_strv_clear(&names);
	return err < 0 ? -1 : 0;
}

int gate_record_reconcile(struct gate_record *r, json_t **report, char *msg, size_t msgsize)
{
	struct gate_log_head h = GATE_LOG_HEAD_INIT;
	char **ids = NULL, warning[512] = "";
	size_t n = 0, i;
	int ret = 0;

	*report = json_array();
	if (gate_record_lock(r, msg, msgsize) < 0)
		return -1;
	if (gate_outbox_list(r->pending, MAX_INTENTS, &ids, &n) < 0) {
		ret = gate_record_fail(msg, msgsize, "cannot list %s: %s", r->pending, strerror(errno));
		goto done;
	}
	/* ids are sorted; intents of one ref are few and their order is the refs' own */
	for (i = 0; i < n && ret == 0; i++)
		ret = legacy_intent(r, ids[i], *report, msg, msgsize);
	if (ret == 0 && (ret = gate_record_log_open(r, &h, msg, msgsize)) == 0)
		ret = reconcile_refs(r, &h, *report, msg, msgsize);
	if (ret == 0 && gate_record_sync_views(r, &h, warning, sizeof(warning)) < 0)
		ret = gate_record_fail(msg, msgsize, "%s", warning);
done:
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	gate_log_head_release(&h);
	gate_record_unlock(r);
	return ret;
}
