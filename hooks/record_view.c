/*
 * record_view: what the record derives from the gate log (gate_log.h), and
 * the journal of repositories recorded before the log existed.
 *
 * - The accepted refs follow the log: gate_record_forward_ref moves one to the
 *   log's target, forward only (or to finish a rollback/rollforward whose
 *   ref move a crash cut off), never backwards.
 * - The journal and the notes are views: the journal line and the note of
 *   log entry N are written from the entry itself, in seq order, the
 *   journal's last seq being the cursor; a missing one is filled by the next
 *   record or reconcile.  The note comes before the journal line, so a
 *   journal line for N means N's views are complete.
 * - Migration: the first record or reconcile on a repository without a log
 *   seeds it from the journal (state and index of every accepted revision),
 *   once.  Until then status, rollback and rollforward read the journal.
 */
#include "gate/record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gate/journal.h"
#include "gate/util.h"
#include "record_int.h"

#define jstr gate_record_jstr

void gate_record_report(json_t *report, const char *action, const char *aref, const char *target,
	const char *detail)
{
	json_t *o;

	if (!report)
		return;
	o = json_object();
	json_object_set_new(o, "action", json_string(action));
	json_object_set_new(o, "accepted_ref", aref ? json_string(aref) : json_null());
	json_object_set_new(o, "target", target ? json_string(target) : json_null());
	json_object_set_new(o, "detail", detail ? json_string(detail) : json_null());
	json_array_append_new(report, o);
}

/* ---- the journal of earlier versions ---- */

typedef void (*line_fn)(const json_t *e, void *payload);

/* fn for each JSON object line of the journal, however long.  0 or -1 (errno). */
static int journal_scan(const char *path, const char *needle, line_fn fn, void *payload)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t je;
		json_t *e;

		if (needle && !strstr(line, needle))
			continue;
		e = json_loadb(line, (size_t)len, 0, &je);
		if (json_is_object(e))
			fn(e, payload);
		json_decref(e);
	}
	free(line);
	fclose(f);
	return 0;
}

static const char *aref_of(const json_t *e)
{
	return jstr(e, "accepted_ref");
}

struct seed {
	json_t *state, *index; /* {aref: state}, {hex: {aref: record}} */
	size_t lines;
};

static void seed_line(const json_t *e, void *payload)
{
	struct seed *s = payload;
	const char *aref = aref_of(e), *t = jstr(e, "target"), *ev = jstr(e, "event");
	static const char *const copied[] = { "event", "time", "pusher", "bypass", "previous", "intent" };
	size_t i;

	s->lines++;
	if (!aref || !t || !ev || strlen(t) != GIT_OID_HEXSZ)
		return;
	if (json_is_true(json_object_get(e, "moved"))) {
		json_t *st = json_object_get(s->state, aref);
		if (!st) {
			st = json_object();
			json_object_set_new(s->state, aref, st);
		}
		json_object_set(st, "ref", json_object_get(e, "ref") ? json_object_get(e, "ref") : json_null());
		json_object_set_new(st, "target", json_string(t));
		json_object_set_new(st, "seq", json_integer(0));
		for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
			json_object_set(st, copied[i], json_object_get(e, copied[i]) ?
				json_object_get(e, copied[i]) : json_null());
		if (!strcmp(ev, "accepted"))
			json_object_set_new(st, "newest", json_string(t));
	}
	if (!strcmp(ev, "accepted")) {
		json_t *per = json_object_get(s->index, t);
		if (!per) {
			per = json_object();
			json_object_set_new(s->index, t, per);
		}
		json_object_set_new(per, aref, json_pack("{s:i,s:O?,s:O?,s:O?,s:O?}", "seq", 0,
			"intent", json_object_get(e, "intent"), "time", json_object_get(e, "time"),
			"pusher", json_object_get(e, "pusher"), "ref", json_object_get(e, "ref")));
	}
}

int gate_record_journal(struct gate_record *r, json_t **entries, char *msg, size_t msgsize)
{
	size_t skipped;
	int truncated;

	if (gate_journal_read(r->journal, GATE_RECORD_MAX_JOURNAL, entries, &skipped, &truncated) < 0)
		return gate_record_fail(msg, msgsize, "cannot read the journal %s: %s", r->journal,
			strerror(errno));
	return 0;
}

struct found {
	const char *aref, *hex;
	int found;
};

static void found_line(const json_t *e, void *payload)
{
	struct found *f = payload;
	const char *ev = jstr(e, "event"), *t = jstr(e, "target");
	const char *a = aref_of(e), *src = jstr(e, "ref");

	if (ev && !strcmp(ev, "accepted") && t && !strcmp(t, f->hex) &&
	    ((a && !strcmp(a, f->aref)) || (src && !strcmp(src, f->aref))))
		f->found = 1;
}

int gate_record_accepted_in_journal(struct gate_record *r, const char *accepted_ref,
	const char *target_hex)
{
	struct found f = { accepted_ref, target_hex, 0 };

	if (journal_scan(r->journal, target_hex, found_line, &f) < 0)
		return -1;
	return f.found;
}

/* ---- the log ---- */

int gate_record_log_open(struct gate_record *r, struct gate_log_head *h, char *msg, size_t msgsize)
{
	struct seed s;
	json_t *entry, *seed;
	long long cursor = 0;
	char now[32];
	int err;

	if (gate_log_head_read(r->grepo, h, msg, msgsize) < 0)
		return -1;
	if (h->exists)
		return 0;
	/* first use: the log starts from what the journal of earlier versions says */
	s.state = json_object();
	s.index = json_object();
	s.lines = 0;
	if (journal_scan(r->journal, NULL, seed_line, &s) < 0 ||
	    gate_journal_last_seq(r->journal, &cursor) < 0) {
		json_decref(s.state);
		json_decref(s.index);
		return gate_record_fail(msg, msgsize, "cannot read the journal %s: %s", r->journal,
			strerror(errno));
	}
	gate_journal_time(now, sizeof(now), (long long)time(NULL));
	entry = json_pack("{s:s,s:s,s:I,s:I}", "event", "seed", "time", now,
		"journal_lines", (json_int_t)s.lines, "revisions", (json_int_t)json_object_size(s.index));
	seed = json_pack("{s:o,s:o}", "state", s.state, "index", s.index);
	h->seq = cursor; /* a journal that has seq lines (a log lost and started again) goes on */
	err = gate_log_append(r->grepo, h, entry, seed, msg, msgsize);
	json_decref(entry);
	json_decref(seed);
	if (err == GATE_LOG_EMOVED) /* another writer seeded it first */
		return gate_log_head_read(r->grepo, h, msg, msgsize);
	return err < 0 ? -1 : 0;
}

int gate_record_forward_ref(struct gate_record *r, const struct gate_log_head *h, const char *aref,
	json_t *report, char *msg, size_t msgsize)
{
	const json_t *st = gate_log_ref_state(h, aref);
	const char *xhex = jstr(st, "target"), *ev = jstr(st, "event"), *prev = jstr(st, "previous");
	git_oid x, y;
	char yhex[GIT_OID_HEXSZ + 1] = "";
	int have_y, d = 0, forced, err;

	if (!xhex || git_oid_fromstr(&x, xhex) < 0)
		return 0;
	if (gate_repo_ref_read(r->grepo, aref, &y, &have_y) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot read the accepted ref");
	if (have_y && git_oid_equal(&x, &y))
		return 0;
	if (have_y)
		git_oid_tostr(yhex, sizeof(yhex), &y);
	forced = ev && (!strcmp(ev, "rollback") || !strcmp(ev, "rollforward")) && prev &&
		!strcmp(prev, yhex);
	if (have_y && !forced && (d = gate_repo_descends(r->grepo, &x, &y, NULL, 0)) < 0)
		return gate_record_git_fail(msg, msgsize, "cannot compare commits");
	if (have_y && !forced && !d) {
		/* the ref holds what the log never put there: left alone, said */
		gate_record_report(report, "diverged", aref, yhex, "the accepted ref holds a commit the "
			"gate log does not lead to (moved outside the gate?): left as it is");
		return 0;
	}
	if (have_y)
		err = gate_repo_ref_replace(r->grepo, aref, &x, &y, "gitops-gate: reconcile (from the gate log)");
	else {
		git_reference *nr = NULL;
		err = git_reference_create(&nr, gate_repo_git(r->grepo), aref, &x, 0,
			"gitops-gate: reconcile (from the gate log)");
		git_reference_free(nr);
	}
	if (err < 0)
		return gate_record_git_fail(msg, msgsize, "cannot move the accepted ref");
	gate_record_report(report, "moved-forward", aref, xhex, forced ?
		"finished the log's rollback/rollforward" : "the gate log records it: the ref moved forward");
	return 0;
}

static char *note_text(const json_t *e)
{
	json_t *n = json_object();
	const json_t *verdict = json_object_get(e, "verdict");
	char *text, *t;

	json_object_set_new(n, "gitops-gate", json_string("accepted"));
	json_object_set(n, "ref", json_object_get(e, "ref"));
	json_object_set(n, "accepted_ref", json_object_get(e, "accepted_ref"));
	json_object_set(n, "time", json_object_get(e, "time"));
	json_object_set(n, "pusher", json_object_get(e, "pusher"));
	json_object_set(n, "bypass", json_object_get(e, "bypass"));
	json_object_set(n, "seq", json_object_get(e, "seq"));
	if (json_is_object(verdict))
		json_object_update_missing(n, (json_t *)verdict);
	text = json_dumps(n, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(n);
	t = gate_xasprintf("%s\n", text ? text : "{}");
	free(text);
	return t;
}

int gate_record_sync_views(struct gate_record *r, const struct gate_log_head *h, char *warning,
	size_t wsize)
{
	long long cursor;
	json_t *todo = NULL, *e;
	char msg[512];
	size_t i;
	int ret = 0;

	if (gate_journal_last_seq(r->journal, &cursor) < 0) {
		snprintf(warning, wsize, "cannot read the journal %s: %s (reconcile retries)", r->journal,
			strerror(errno));
		return -1;
	}
	if (cursor >= h->seq)
		return 0;
	if (gate_log_entries_since(r->grepo, h, cursor, &todo, msg, sizeof(msg)) < 0) {
		snprintf(warning, wsize, "%s (reconcile retries)", msg);
		return -1;
	}
	json_array_foreach(todo, i, e) {
		const char *ev = jstr(e, "event"), *t = jstr(e, "target");
		git_oid id;

		/*
		 * a seed restates the journal it came from: no note; a line only when
		 * there was a journal (it marks where the log took over, and its seq
		 * is the cursor from then on)
		 */
		if (ev && !strcmp(ev, "seed") &&
		    json_integer_value(json_object_get(e, "journal_lines")) == 0)
			continue;
		if (ev && !strcmp(ev, "accepted") && t && git_oid_fromstr(&id, t) == 0) {
			char *text = note_text(e);
			int err = gate_log_note_write(r->grepo, GATE_RECORD_NOTES_REF, &id, text);
			free(text);
			if (err < 0) {
				const git_error *ge = git_error_last();
				snprintf(warning, wsize, "cannot write the note on %.12s: %s (reconcile retries)",
					t, ge && ge->message ? ge->message : "libgit2 error");
				ret = -1;
				break;
			}
		}
		gate_record_step(r, "after-note");
		if (gate_journal_append(r->journal, e) < 0) {
			snprintf(warning, wsize, "cannot append to the journal %s: %s (reconcile retries)",
				r->journal, strerror(errno));
			ret = -1;
			break;
		}
		gate_record_step(r, "after-journal");
	}
	json_decref(todo);
	return ret;
}

/* ---- reading for status, rollback, rollforward, reconcile ---- */

int gate_record_state(struct gate_record *r, json_t **refs, int *from_log, char *msg, size_t msgsize)
{
	struct gate_log_head h = GATE_LOG_HEAD_INIT;
	struct seed s;

	*refs = NULL;
	*from_log = 0;
	if (gate_log_head_read(r->grepo, &h, msg, msgsize) < 0)
		return -1;
	if (h.exists) {
		*refs = json_deep_copy(json_object_get(h.state, "refs"));
		*from_log = 1;
		gate_log_head_release(&h);
		return 0;
	}
	gate_log_head_release(&h);
	s.state = json_object();
	s.index = NULL;
	s.lines = 0;
	{
		/* the journal of an earlier version, state only */
		json_t *idx = json_object();
		s.index = idx;
		if (journal_scan(r->journal, NULL, seed_line, &s) < 0) {
			json_decref(s.state);
			json_decref(idx);
			return gate_record_fail(msg, msgsize, "cannot read the journal %s: %s", r->journal,
				strerror(errno));
		}
		json_decref(idx);
	}
	*refs = s.state;
	return 0;
}

int gate_record_is_accepted(struct gate_record *r, const char *accepted_ref, const char *hex,
	char *msg, size_t msgsize)
{
	struct gate_log_head h = GATE_LOG_HEAD_INIT;
	json_t *rec = NULL;
	int ret;

	if (gate_log_head_read(r->grepo, &h, msg, msgsize) < 0)
		return -1;
	if (!h.exists) {
		gate_log_head_release(&h);
		ret = gate_record_accepted_in_journal(r, accepted_ref, hex);
		if (ret < 0)
			gate_record_fail(msg, msgsize, "cannot read the journal %s: %s", r->journal,
				strerror(errno));
		return ret;
	}
	ret = gate_log_accepted(r->grepo, &h, accepted_ref, hex, &rec, msg, msgsize);
	gate_log_head_release(&h);
	if (ret < 0)
		return -1;
	ret = rec != NULL;
	json_decref(rec);
	return ret;
}

int gate_record_push_recorded(struct gate_record *r, const char *ref, const char *old_hex,
	const char *new_hex, char *msg, size_t msgsize)
{
	struct gate_log_head h = GATE_LOG_HEAD_INIT;
	struct gate_record_event ev;
	char id[GATE_OUTBOX_ID_LEN + 1], *aref;
	json_t *rec = NULL;
	int ret;

	memset(&ev, 0, sizeof(ev));
	ev.event = "accepted";
	ev.ref = ref;
	ev.old_hex = old_hex;
	ev.new_hex = new_hex;
	ev.target_hex = new_hex;
	gate_record_intent_id(&ev, id);
	if (gate_log_head_read(r->grepo, &h, msg, msgsize) < 0)
		return -1;
	aref = gate_record_accepted_ref(r->prefix, ref);
	ret = gate_log_accepted(r->grepo, &h, aref, new_hex, &rec, msg, msgsize);
	if (ret == 0)
		ret = rec && jstr(rec, "intent") && !strcmp(jstr(rec, "intent"), id);
	json_decref(rec);
	free(aref);
	gate_log_head_release(&h);
	return ret;
}
