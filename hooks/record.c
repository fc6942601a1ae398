#include "gate/record.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate/journal.h"
#include "gate/notify.h"
#include "gate/outbox.h"
#include "gate/util.h"
#include "record_int.h"

#define MAX_INTENTS 10000

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

static void step(struct gate_record *r, const char *name)
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
}

/* ---- what changed ---- */

/* ---- journal helpers ---- */

int gate_record_journal(struct gate_record *r, json_t **entries, char *msg, size_t msgsize)
{
	size_t skipped;
	int truncated;

	if (gate_journal_read(r->journal, GATE_RECORD_MAX_JOURNAL, entries, &skipped, &truncated) < 0)
		return gate_record_fail(msg, msgsize, "cannot read the journal %s: %s", r->journal, strerror(errno));
	return 0;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int same_ref(const json_t *e, const char *accepted_ref)
{
	const char *a = jstr(e, "accepted_ref"), *s = jstr(e, "ref");

	return (a && !strcmp(a, accepted_ref)) || (s && !strcmp(s, accepted_ref));
}

int gate_record_was_accepted(const json_t *entries, const char *accepted_ref, const char *target_hex)
{
	size_t i;
	const json_t *e;

	json_array_foreach(entries, i, e) {
		const char *ev = jstr(e, "event"), *t = jstr(e, "target");
		if (ev && !strcmp(ev, "accepted") && t && !strcmp(t, target_hex) &&
		    same_ref(e, accepted_ref))
			return 1;
	}
	return 0;
}

const char *gate_record_newest_accepted(const json_t *entries, const char *accepted_ref)
{
	size_t i = json_array_size(entries);

	while (i-- > 0) {
		const json_t *e = json_array_get(entries, i);
		const char *ev = jstr(e, "event");
		if (ev && !strcmp(ev, "accepted") && json_is_true(json_object_get(e, "moved")) &&
		    same_ref(e, accepted_ref))
			return jstr(e, "target");
	}
	return NULL;
}

const json_t *gate_record_last_entry(const json_t *entries, const char *accepted_ref)
{
	size_t i = json_array_size(entries);

	while (i-- > 0) {
		const json_t *e = json_array_get(entries, i);
		if (same_ref(e, accepted_ref))
			return e;
	}
	return NULL;
}

static const json_t *last_moved(const json_t *entries, const char *accepted_ref)
{
	size_t i = json_array_size(entries);

	while (i-- > 0) {
		const json_t *e = json_array_get(entries, i);
		if (json_is_true(json_object_get(e, "moved")) && same_ref(e, accepted_ref))
			return e;
	}
	return NULL;
}

static int journal_has_intent(const json_t *entries, const char *intent)
{
	size_t i;
	const json_t *e;

	json_array_foreach(entries, i, e) {
		const char *v = jstr(e, "intent");
		if (v && !strcmp(v, intent))
			return 1;
	}
	return 0;
}

/* ---- refs and notes ---- */

/* ---- one event ---- */

static json_t *str_or_null(const char *s)
{
	json_t *v;

	if (!s)
		return json_null();
	v = json_string(s);
	return v ? v : json_string("(invalid UTF-8)");
}

static char *note_text(const json_t *intent)
{
	json_t *n = json_object();
	const json_t *verdict = json_object_get(intent, "verdict");
	char *text;

	json_object_set_new(n, "gitops-gate", json_string("accepted"));
	json_object_set(n, "ref", json_object_get(intent, "ref"));
	json_object_set(n, "accepted_ref", json_object_get(intent, "accepted_ref"));
	json_object_set(n, "time", json_object_get(intent, "time"));
	json_object_set(n, "pusher", json_object_get(intent, "pusher"));
	json_object_set(n, "bypass", json_object_get(intent, "bypass"));
	if (json_is_object(verdict))
		json_object_update_missing(n, (json_t *)verdict);
	text = json_dumps(n, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(n);
	if (!text)
		return gate_xstrdup("{}\n");
	{
		char *t = gate_xasprintf("%s\n", text);
		free(text);
		return t;
	}
}

static char *intent_path(const struct gate_record *r, const char *id)
{
	return gate_xasprintf("%s/%s.json", r->pending, id);
}

static int write_intent(const struct gate_record *r, const char *id, const json_t *intent)
{
	char *text = json_dumps(intent, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	char *path = intent_path(r, id);
	int ret = text ? gate_write_file_atomic(path, text, strlen(text), 0644) : -1;

	free(text);
	free(path);
	return ret;
}

/* The journal line of an intent, after the ref step. */
static json_t *journal_line(const json_t *intent, int moved, const char *reason, int reconciled)
{
	json_t *e = json_deep_copy(intent);
	char now[32];

	json_object_del(e, "expected");
	gate_journal_time(now, sizeof(now), (long long)time(NULL));
	json_object_set_new(e, "time", json_string(now));
	json_object_set_new(e, "moved", json_boolean(moved));
	if (!moved && reason)
		json_object_set_new(e, "reason", json_string(reason));
	if (reconciled)
		json_object_set_new(e, "reconciled", json_true());
	return e;
}

/* Steps 2-5 for an intent (shared by apply and reconcile). */
static int complete_intent(struct gate_record *r, const char *id, const json_t *intent,
	const json_t *journal, int reconciling, int *moved, const char **reason,
	char *warning, size_t wsize, char *msg, size_t msgsize)
{
	const char *aref = jstr(intent, "accepted_ref"), *t = jstr(intent, "target");
	const char *expected = jstr(intent, "expected"), *ev = jstr(intent, "event");
	int force = json_is_true(json_object_get(intent, "force"));
	git_oid target, cur, exp;
	int have_cur, err;
	char *logmsg, *text, *path;
	json_t *line;

	*moved = 0;
	*reason = NULL;
	if (!aref || !t || !ev || git_oid_fromstr(&target, t) < 0)
		return gate_record_fail(msg, msgsize, "intent %s is malformed", id);
	if ((err = gate_repo_ref_read(r->grepo, aref, &cur, &have_cur)) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot read the accepted ref");
	if (reconciling && force && expected) {
		/* a rollback applies only if nobody moved the ref since */
		int exp_zero = !strcmp(expected, ZERO_HEX);
		if (git_oid_fromstr(&exp, expected) < 0)
			return gate_record_fail(msg, msgsize, "intent %s is malformed", id);
		if (have_cur && git_oid_equal(&cur, &target)) {
			*moved = 1;
		} else if ((exp_zero && have_cur) || (!exp_zero && (!have_cur || !git_oid_equal(&cur, &exp)))) {
			*reason = "superseded";
			goto journal;
		}
	}
	if (reconciling && have_cur && git_oid_equal(&cur, &target)) {
		/* crashed after moving the ref: it is this event's doing */
		*moved = 1;
	} else if (!*moved) {
		logmsg = gate_xasprintf("gitops-gate: %s", ev);
		err = gate_repo_ref_move(r->grepo, aref, &cur, &have_cur, &target, force, logmsg, moved, reason);
		free(logmsg);
		if (err < 0)
			return gate_record_git_fail(msg, msgsize, "cannot move the accepted ref");
	}
	step(r, "after-ref");
journal:
	if (!journal || !journal_has_intent(journal, id)) {
		line = journal_line(intent, *moved, *reason, reconciling);
		err = gate_journal_append(r->journal, line);
		json_decref(line);
		if (err < 0)
			return gate_record_fail(msg, msgsize, "cannot append to the journal %s: %s", r->journal,
				strerror(errno));
	}
	step(r, "after-journal");
	if (!strcmp(ev, "accepted")) {
		text = note_text(intent);
		err = gate_repo_note_write(r->grepo, GATE_RECORD_NOTES_REF, &target, text);
		free(text);
		if (err < 0) {
			const git_error *e = git_error_last();
			snprintf(warning, wsize, "cannot write the note on %.12s: %s (reconcile retries)",
				t, e && e->message ? e->message : "libgit2 error");
			return 0; /* keep the intent: reconcile writes the note */
		}
	}
	step(r, "after-note");
	path = intent_path(r, id);
	if (unlink(path) < 0 && errno != ENOENT)
		snprintf(warning, wsize, "cannot remove %s: %s", path, strerror(errno));
	free(path);
	return 0;
}

int gate_record_apply(struct gate_record *r, const struct gate_record_event *ev,
	struct gate_record_outcome *out, char *msg, size_t msgsize)
{
	git_oid target, cur;
	char intent_id[GATE_OUTBOX_ID_LEN + 1], now[32], hex[GIT_OID_HEXSZ + 1];
	char *aref;
	json_t *intent = NULL, *ids;
	int have_cur, err = -1, d;
	size_t i;

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
	if (gate_repo_ref_read(r->grepo, aref, &cur, &have_cur) < 0) {
		gate_record_git_fail(msg, msgsize, "cannot read the accepted ref");
		goto done;
	}
	if (have_cur)
		git_oid_tostr(out->previous, sizeof(out->previous), &cur);
	/* notify only when the ref will move (I4) */
	if (!(have_cur && git_oid_equal(&cur, &target))) {
		d = have_cur && !ev->force ? gate_repo_descends(r->grepo, &cur, &target, NULL, 0) : 0;
		if (d < 0) {
			gate_record_git_fail(msg, msgsize, "cannot compare commits");
			goto done;
		}
		if (!d && gate_record_queue_deliveries(r, ev, aref, have_cur ? &cur : NULL, &target, out, msg,
			msgsize) < 0)
			goto done;
	}
	if (gate_outbox_new_id(intent_id) < 0) {
		gate_record_fail(msg, msgsize, "cannot draw a random id: %s", strerror(errno));
		goto done;
	}
	gate_journal_time(now, sizeof(now), (long long)time(NULL));
	git_oid_tostr(hex, sizeof(hex), &target);
	ids = json_array();
	for (i = 0; i < out->ndeliveries; i++)
		json_array_append_new(ids, json_string(out->deliveries[i]));
	intent = json_object();
	json_object_set_new(intent, "time", json_string(now));
	json_object_set_new(intent, "event", json_string(ev->event));
	json_object_set_new(intent, "ref", str_or_null(ev->ref));
	json_object_set_new(intent, "old", str_or_null(ev->old_hex));
	json_object_set_new(intent, "new", str_or_null(ev->new_hex));
	json_object_set_new(intent, "target", json_string(hex));
	json_object_set_new(intent, "accepted_ref", str_or_null(aref));
	json_object_set_new(intent, "previous", have_cur ? json_string(out->previous) : json_null());
	json_object_set_new(intent, "expected", json_string(have_cur ? out->previous : ZERO_HEX));
	json_object_set_new(intent, "pusher", str_or_null(ev->pusher));
	json_object_set_new(intent, "bypass", str_or_null(ev->bypass));
	json_object_set_new(intent, "verdict", ev->verdict ? json_deep_copy(ev->verdict) : json_null());
	json_object_set_new(intent, "deliveries", ids);
	json_object_set_new(intent, "intent", json_string(intent_id));
	if (ev->force)
		json_object_set_new(intent, "force", json_true());
	if (write_intent(r, intent_id, intent) < 0) {
		gate_record_fail(msg, msgsize, "cannot write the intent file in %s: %s", r->pending, strerror(errno));
		goto done;
	}
	step(r, "after-outbox");
	err = complete_intent(r, intent_id, intent, NULL, 0, &out->moved, &out->reason,
		out->warning, sizeof(out->warning), msg, msgsize);
done:
	json_decref(intent);
	free(aref);
	return err;
}

/* ---- reconcile ---- */

static void report_add(json_t *report, const char *action, const char *aref, const char *target,
	const char *detail)
{
	json_t *o = json_object();

	json_object_set_new(o, "action", json_string(action));
	json_object_set_new(o, "accepted_ref", str_or_null(aref));
	json_object_set_new(o, "target", str_or_null(target));
	json_object_set_new(o, "detail", str_or_null(detail));
	json_array_append_new(report, o);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int reconcile_intents(struct gate_record *r, json_t *report, char *msg, size_t msgsize)
{
	char **ids = NULL, warning[512];
	size_t n = 0, i;
	json_t *journal = NULL, *items = json_array();
	int ret = 0;

	if (gate_outbox_list(r->pending, MAX_INTENTS, &ids, &n) < 0) {
		json_decref(items);
		return gate_record_fail(msg, msgsize, "cannot list %s: %s", r->pending, strerror(errno));
	}
	if (n && gate_record_journal(r, &journal, msg, msgsize) < 0) {
		ret = -1;
		goto done;
	}
	/* oldest intent first: by its time, then id */
	for (i = 0; i < n; i++) {
		char *path = intent_path(r, ids[i]), *text = NULL;
		size_t len;
		json_error_t je;
		json_t *intent;

		if (gate_read_file(path, 1u << 20, &text, &len) < 0) {
			free(path);
			continue;
		}
		intent = json_loadb(text, len, 0, &je);
		free(text);
		if (!json_is_object(intent)) {
			report_add(report, "skip", NULL, NULL, "malformed intent file left in place");
			json_decref(intent);
			free(path);
			continue;
		}
		free(path);
		json_object_set_new(intent, "_id", json_string(ids[i]));
		json_array_append_new(items, intent);
	}
	{
		/* sort by time string (RFC 3339 sorts as text), stable by id */
		size_t m = json_array_size(items), a, b;
		for (a = 1; a < m; a++)
			for (b = a; b > 0; b--) {
				json_t *x = json_array_get(items, b - 1), *y = json_array_get(items, b);
				const char *tx = jstr(x, "time"), *ty = jstr(y, "time");
				if (strcmp(tx ? tx : "", ty ? ty : "") <= 0)
					break;
				json_incref(x);
				json_array_set(items, b - 1, y);
				json_array_set_new(items, b, x);
			}
	}
	for (i = 0; i < json_array_size(items); i++) {
		json_t *intent = json_array_get(items, i);
		const char *id = jstr(intent, "_id");
		int moved;
		const char *reason;

		warning[0] = '\0';
		{
			json_t *clean = json_deep_copy(intent);
			json_object_del(clean, "_id");
			if (complete_intent(r, id, clean, journal, 1, &moved, &reason, warning,
				sizeof(warning), msg, msgsize) < 0) {
				json_decref(clean);
				ret = -1;
				goto done;
			}
			json_decref(clean);
		}
		report_add(report, moved ? "completed" : "completed-unmoved", jstr(intent, "accepted_ref"),
			jstr(intent, "target"), warning[0] ? warning : (reason ? reason : "moved"));
		/* later intents see this one's journal line */
		json_decref(journal);
		journal = NULL;
		if (gate_record_journal(r, &journal, msg, msgsize) < 0) {
			ret = -1;
			goto done;
		}
	}
done:
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	json_decref(journal);
	json_decref(items);
	return ret;
}

static int reconcile_refs(struct gate_record *r, json_t *report, char *msg, size_t msgsize)
{
	struct strv names = STRV_INIT;
	json_t *journal = NULL;
	size_t i;
	int ret = 0;

	if (gate_repo_ref_names(r->grepo, r->prefix, &names.v, &names.n) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot list refs");
	names.alloc = names.n;
	if (gate_record_journal(r, &journal, msg, msgsize) < 0) {
		gate_record_strv_clear(&names);
		return -1;
	}
	if (names.n) /* qsort(NULL, 0, ...) is undefined */
		qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (i = 0; i < names.n; i++) {
		const char *aref = names.v[i];
		const json_t *truth = last_moved(journal, aref);
		const json_t *any = gate_record_last_entry(journal, aref);
		git_oid y, x;
		int have_y, d;
		char yhex[GIT_OID_HEXSZ + 1], now[32];
		json_t *line;
		const char *xhex = truth ? jstr(truth, "target") : NULL;

		if (gate_repo_ref_read(r->grepo, aref, &y, &have_y) < 0 || !have_y)
			continue;
		git_oid_tostr(yhex, sizeof(yhex), &y);
		if (xhex && !strcmp(xhex, yhex))
			continue;
		gate_journal_time(now, sizeof(now), (long long)time(NULL));
		line = json_object();
		json_object_set_new(line, "time", json_string(now));
		json_object_set_new(line, "event", json_string("reconcile"));
		json_object_set(line, "ref", any ? json_object_get(any, "ref") : json_null());
		json_object_set_new(line, "accepted_ref", json_string(aref));
		json_object_set_new(line, "previous", json_string(yhex));
		json_object_set_new(line, "reconciled", json_true());
		if (!xhex || git_oid_fromstr(&x, xhex) < 0) {
			/* no journal line ever moved it: record what it is */
			json_object_set_new(line, "target", json_string(yhex));
			json_object_set_new(line, "moved", json_true());
			json_object_set_new(line, "reason", json_string("adopted: no journal line for this accepted ref"));
			report_add(report, "adopted", aref, yhex, "accepted ref had no journal line");
		} else if (gate_record_was_accepted(journal, aref, yhex) &&
			   (d = gate_repo_descends(r->grepo, &y, &x, NULL, 0)) > 0) {
			json_object_set_new(line, "target", json_string(yhex));
			json_object_set_new(line, "moved", json_true());
			json_object_set_new(line, "reason", json_string("recorded: the ref holds a newer accepted commit"));
			report_add(report, "recorded", aref, yhex, "the ref holds a newer accepted commit");
		} else {
			int err = gate_repo_ref_replace(r->grepo, aref, &x, &y, "gitops-gate: reconcile");
			if (err < 0) {
				json_decref(line);
				report_add(report, "error", aref, xhex, "cannot move the accepted ref back");
				ret = gate_record_git_fail(msg, msgsize, "cannot move the accepted ref back");
				continue;
			}
			json_object_set_new(line, "target", json_string(xhex));
			json_object_set_new(line, "moved", json_true());
			json_object_set_new(line, "reason", json_string("restored: the ref held a commit the journal does not record as newest"));
			report_add(report, "restored", aref, xhex, yhex);
		}
		if (gate_journal_append(r->journal, line) < 0)
			ret = gate_record_fail(msg, msgsize, "cannot append to the journal: %s", strerror(errno));
		json_decref(line);
	}
	gate_record_strv_clear(&names);
	json_decref(journal);
	return ret;
}

int gate_record_reconcile(struct gate_record *r, json_t **report, char *msg, size_t msgsize)
{
	*report = json_array();
	if (reconcile_intents(r, *report, msg, msgsize) < 0)
		return -1;
	return reconcile_refs(r, *report, msg, msgsize);
}
