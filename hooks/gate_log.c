/*
 * gate_log.c: the gate log ref (include/gate/gate_log.h) and the notes with
 * fan-out.
 *
 * Design.
 * - Data flow: record.c, under the gate lock, reads the head
 *   (gate_log_head_read: commit, tree, state.json), decides the event from
 *   the state and the accepted ref, builds the entry (a JSON object it owns)
 *   and calls gate_log_append, which writes the entry, state and index
 *   blobs, one tree update (git_tree_create_updated: only the trees on the
 *   changed paths are written) and the commit, then moves the ref by
 *   compare-and-swap.  Only after that does record.c move the accepted ref,
 *   write the note and append the journal line (views, rewritten from the
 *   entry when missing).
 * - Memory: struct gate_log_head owns its tree and state (released by
 *   gate_log_head_release); every json_t handed out is a new reference unless
 *   a function says "borrowed".  Objects written are read back raw at once
 *   and kept until the ref moved (struct objs), then written again.
 * - Errors: a libgit2 failure returns its code with git_error_last() set and
 *   a message in msg; a lost compare-and-swap returns GATE_LOG_EMOVED, the
 *   head left stale for the caller to read again.  Nothing is half-visible:
 *   the ref either names a complete new commit or the old one.
 * - Persistent: the ref and its objects.  No files of our own.
 */
#include "gate/gate_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/util.h"

#define MAX_UPDATES 8
#define CAS_TRIES 50

/* ---- objects written, kept to be written again after the ref moved ---- */

struct objs {
	git_odb_object **v;
	size_t n, alloc;
};

static int keep(git_odb *odb, struct objs *o, const git_oid *id)
{
	git_odb_object *obj = NULL;
	int err = git_odb_read(&obj, odb, id);

	if (err < 0)
		return err;
	GATE_ALLOC_GROW(o->v, o->n + 1, o->alloc);
	o->v[o->n++] = obj;
	return 0;
}

/* The trees on path (its folders) in root, and root. */
static int keep_path(git_repository *repo, git_odb *odb, struct objs *o, const git_oid *root,
	const char *path)
{
	git_tree *t = NULL;
	const char *p;
	int err;

	if ((err = keep(odb, o, root)) < 0 || (err = git_tree_lookup(&t, repo, root)) < 0)
		return err;
	for (p = strchr(path, '/'); p && !err; p = strchr(p + 1, '/')) {
		char *dir = gate_xstrndup(path, (size_t)(p - path));
		git_tree_entry *e = NULL;
		if ((err = git_tree_entry_bypath(&e, t, dir)) == 0)
			err = keep(odb, o, git_tree_entry_id(e));
		git_tree_entry_free(e);
		free(dir);
	}
	git_tree_free(t);
	return err;
}

/* Write every kept object again: a no-op freshen, or a rewrite of one gc pruned. */
static void rewrite(git_odb *odb, struct objs *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		git_oid id;
		git_odb_write(&id, odb, git_odb_object_data(o->v[i]), git_odb_object_size(o->v[i]),
			git_odb_object_type(o->v[i]));
	}
}

static void objs_release(struct objs *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		git_odb_object_free(o->v[i]);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

static int blob_of(git_repository *repo, git_odb *odb, struct objs *o, const char *text, git_oid *id)
{
	int err = git_blob_create_from_buffer(id, repo, text, strlen(text));

	return err < 0 ? err : keep(odb, o, id);
}

/*
 * A commit of base (NULL: empty) with ups applied, with the given parents,
 * moved to refname by compare-and-swap from old (NULL: the ref must not
 * exist).  The new commit in *out.  GATE_LOG_EMOVED when the ref moved.
 */
static int commit_update(git_repository *repo, const char *refname, const git_oid *old,
	git_tree *base, const git_tree_update *ups, size_t n, const git_oid *parents, size_t nparents,
	const char *message, struct objs *o, git_oid *out)
{
	git_odb *odb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_commit *pc[2] = { NULL, NULL };
	git_reference *ref = NULL;
	git_oid tree_id;
	size_t i;
	int err, tries;

	if ((err = git_repository_odb(&odb, repo)) < 0 ||
	    (err = git_signature_now(&sig, "gitops-gate", "gitops-gate@localhost")) < 0 ||
	    (err = git_tree_create_updated(&tree_id, repo, base, n, ups)) < 0)
		goto done;
	for (i = 0; i < n && !err; i++)
		if (ups[i].action == GIT_TREE_UPDATE_UPSERT)
			err = keep_path(repo, odb, o, &tree_id, ups[i].path);
	for (i = 0; i < nparents && i < 2 && !err; i++)
		err = git_commit_lookup(&pc[i], repo, &parents[i]);
	if (err < 0 || (err = git_tree_lookup(&tree, repo, &tree_id)) < 0 ||
	    (err = git_commit_create(out, repo, NULL, sig, sig, NULL, message, tree, nparents,
		(const git_commit **)pc)) < 0 || (err = keep(odb, o, out)) < 0)
		goto done;
	for (tries = 0; tries < CAS_TRIES; tries++) {
		if (old)
			err = git_reference_create_matching(&ref, repo, refname, out, 1, old, message);
		else
			err = git_reference_create(&ref, repo, refname, out, 0, message);
		git_reference_free(ref);
		ref = NULL;
		if (err != GIT_ELOCKED)
			break;
		usleep(5000 + (unsigned)(tries * 2000));
	}
	if (err == GIT_EMODIFIED || err == GIT_EEXISTS)
		err = GATE_LOG_EMOVED;
	if (err == 0)
		rewrite(odb, o);
done:
	git_commit_free(pc[0]);
	git_commit_free(pc[1]);
	git_tree_free(tree);
	git_signature_free(sig);
	git_odb_free(odb);
	return err;
}

/* ---- reading ---- */

/* The JSON blob at path in t: *out new, NULL when missing.  0 or an error. */
static int read_json(git_repository *repo, git_tree *t, const char *path, json_t **out)
{
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	json_error_t je;
	int err;

	*out = NULL;
	if (!t)
		return 0;
	err = git_tree_entry_bypath(&e, t, path);
	if (err == GIT_ENOTFOUND)
		return 0;
	if (err < 0)
		return err;
	if ((err = git_blob_lookup(&b, repo, git_tree_entry_id(e))) == 0) {
		if (git_blob_rawsize(b) <= GATE_LOG_MAX_BLOB)
			*out = json_loadb(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b), 0, &je);
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			git_error_set_str(GIT_ERROR_INVALID, "a gate log blob is not a JSON object");
			err = -1;
		}
	}
	git_blob_free(b);
	git_tree_entry_free(e);
	return err;
}

void gate_log_head_release(struct gate_log_head *h)
{
	if (!h)
		return;
	git_tree_free(h->tree);
	json_decref(h->state);
	memset(h, 0, sizeof(*h));
}

int gate_log_head_read(struct gate_repo *r, struct gate_log_head *h, char *msg, size_t msgsize)
{
	git_repository *repo = gate_repo_git(r);
	git_commit *c = NULL;
	int err;

	gate_log_head_release(h);
	err = git_reference_name_to_id(&h->commit, repo, GATE_LOG_REF);
	if (err == GIT_ENOTFOUND) {
		h->state = json_pack("{s:i,s:{}}", "seq", 0, "refs");
		return 0;
	}
	if (err < 0 || (err = git_commit_lookup(&c, repo, &h->commit)) < 0 ||
	    (err = git_commit_tree(&h->tree, c)) < 0 ||
	    (err = read_json(repo, h->tree, "state.json", &h->state)) < 0 || !h->state) {
		git_commit_free(c);
		gate_repo_error(msg, msgsize, "cannot read the gate log " GATE_LOG_REF);
		gate_log_head_release(h);
		return -1;
	}
	git_commit_free(c);
	h->exists = 1;
	h->seq = json_integer_value(json_object_get(h->state, "seq"));
	if (!json_is_object(json_object_get(h->state, "refs")))
		json_object_set_new(h->state, "refs", json_object());
	return 0;
}

const json_t *gate_log_ref_state(const struct gate_log_head *h, const char *accepted_ref)
{
	return json_object_get(json_object_get(h->state, "refs"), accepted_ref);
}

static char *index_path(const char *hex)
{
	return gate_xasprintf("accepted/%.2s/%.2s/%s", hex, hex + 2, hex + 4);
}

int gate_log_accepted(struct gate_repo *r, const struct gate_log_head *h, const char *accepted_ref,
	const char *hex, json_t **out, char *msg, size_t msgsize)
{
	json_t *rec = NULL;
	char *path;
	int err;

	*out = NULL;
	if (!h->exists || strlen(hex) != GIT_OID_HEXSZ)
		return 0;
	path = index_path(hex);
	err = read_json(gate_repo_git(r), h->tree, path, &rec);
	free(path);
	if (err < 0) {
		gate_repo_error(msg, msgsize, "cannot read the gate log's index");
		return -1;
	}
	if (rec) {
		*out = json_incref(json_object_get(rec, accepted_ref));
		json_decref(rec);
	}
	return 0;
}

int gate_log_entries_since(struct gate_repo *r, const struct gate_log_head *h, long long since,
	json_t **out, char *msg, size_t msgsize)
{
	git_repository *repo = gate_repo_git(r);
	git_commit *c = NULL, *parent;
	git_tree *t = NULL;
	json_t *all = json_array(), *e;
	size_t n;
	int err = 0;

	*out = NULL;
	if (h->exists)
		err = git_commit_lookup(&c, repo, &h->commit);
	while (c && err == 0) {
		if ((err = git_commit_tree(&t, c)) < 0 || (err = read_json(repo, t, "entry.json", &e)) < 0)
			break;
		git_tree_free(t);
		t = NULL;
		if (!e || json_integer_value(json_object_get(e, "seq")) <= since) {
			json_decref(e);
			break;
		}
		json_array_append_new(all, e);
		parent = NULL;
		if (git_commit_parentcount(c) > 0 && (err = git_commit_parent(&parent, c, 0)) < 0)
			break;
		git_commit_free(c);
		c = parent;
	}
	git_tree_free(t);
	git_commit_free(c);
	if (err < 0) {
		json_decref(all);
		gate_repo_error(msg, msgsize, "cannot walk the gate log");
		return -1;
	}
	/* newest first -> oldest first */
	*out = json_array();
	for (n = json_array_size(all); n-- > 0;)
		json_array_append(*out, json_array_get(all, n));
	json_decref(all);
	return 0;
}

/* ---- writing ---- */

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static char *dump(const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);

	return text ? text : gate_xstrdup("{}");
}

/* state after entry (a new reference) */
static json_t *next_state(const json_t *state, const json_t *entry, long long seq)
{
	json_t *s = json_deep_copy(state), *refs = json_object_get(s, "refs"), *st;
	const char *aref = jstr(entry, "accepted_ref"), *ev = jstr(entry, "event");
	static const char *const copied[] = { "event", "time", "pusher", "bypass", "previous", "intent" };
	size_t i;

	json_object_set_new(s, "seq", json_integer(seq));
	if (!aref)
		return s;
	st = json_object_get(refs, aref);
	if (!st) {
		st = json_object();
		json_object_set_new(refs, aref, st);
	}
	if (json_object_get(entry, "ref"))
		json_object_set(st, "ref", json_object_get(entry, "ref"));
	json_object_set_new(st, "last_seq", json_integer(seq));
	if (!json_is_true(json_object_get(entry, "moved")) || !jstr(entry, "target"))
		return s;
	json_object_set(st, "target", json_object_get(entry, "target"));
	json_object_set_new(st, "seq", json_integer(seq));
	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
		json_object_set(st, copied[i], json_object_get(entry, copied[i]) ?
			json_object_get(entry, copied[i]) : json_null());
	if (ev && !strcmp(ev, "accepted"))
		json_object_set(st, "newest", json_object_get(entry, "target"));
	return s;
}

static json_t *index_record(const json_t *entry, long long seq)
{
	return json_pack("{s:I,s:O?,s:O?,s:O?,s:O?}", "seq", (json_int_t)seq,
		"intent", json_object_get(entry, "intent"), "time", json_object_get(entry, "time"),
		"pusher", json_object_get(entry, "pusher"), "ref", json_object_get(entry, "ref"));
}

/* The index blob of hex after entry (and seed records): new text, or NULL when unchanged. */
static int index_text(git_repository *repo, git_tree *base, const char *hex, const json_t *add,
	char **out)
{
	json_t *cur = NULL;
	char *path = index_path(hex);
	int err = read_json(repo, base, path, &cur);

	free(path);
	*out = NULL;
	if (err < 0)
		return err;
	if (!cur)
		cur = json_object();
	json_object_update(cur, (json_t *)add);
	*out = dump(cur);
	json_decref(cur);
	return 0;
}

struct update_set {
	git_tree_update u[MAX_UPDATES];
	char *paths[MAX_UPDATES];
	size_t n;
};

static int upsert_text(git_repository *repo, git_odb *odb, struct objs *o, struct update_set *s,
	char *path, const char *text)
{
	int err;

	s->paths[s->n] = path;
	s->u[s->n].action = GIT_TREE_UPDATE_UPSERT;
	s->u[s->n].filemode = GIT_FILEMODE_BLOB;
	s->u[s->n].path = path;
	if ((err = blob_of(repo, odb, o, text, &s->u[s->n].id)) < 0)
		return err;
	s->n++;
	return 0;
}

/* The seed's index: one update per revision (first commit only, written once). */
static int seed_updates(git_repository *repo, const json_t *seed, git_tree_update **ups, char ***paths,
	size_t *n)
{
	const char *hex;
	json_t *recs;
	int err = 0;

	*n = 0;
	*ups = gate_xcalloc(json_object_size(seed) + 1, sizeof(**ups));
	*paths = gate_xcalloc(json_object_size(seed) + 1, sizeof(**paths));
	json_object_foreach((json_t *)seed, hex, recs) {
		char *text;
		if (strlen(hex) != GIT_OID_HEXSZ)
			continue;
		text = dump(recs);
		err = git_blob_create_from_buffer(&(*ups)[*n].id, repo, text, strlen(text));
		free(text);
		if (err < 0)
			return err;
		(*paths)[*n] = index_path(hex);
		(*ups)[*n].action = GIT_TREE_UPDATE_UPSERT;
		(*ups)[*n].filemode = GIT_FILEMODE_BLOB;
		(*ups)[*n].path = (*paths)[*n];
		(*n)++;
	}
	return 0;
}

int gate_log_append(struct gate_repo *r, struct gate_log_head *h, json_t *entry,
	const json_t *seed, char *msg, size_t msgsize)
{
	git_repository *repo = gate_repo_git(r);
	git_odb *odb = NULL;
	struct objs o = { NULL, 0, 0 };
	struct update_set s;
	git_tree_update *all = NULL, *sups = NULL;
	char **spaths = NULL, *text, *message;
	const char *target = jstr(entry, "target"), *ev = jstr(entry, "event");
	long long seq = h->seq + 1;
	git_oid parents[2], commit;
	size_t np = 0, ns = 0, i;
	json_t *state;
	int err;

	memset(&s, 0, sizeof(s));
	json_object_set_new(entry, "seq", json_integer(seq));
	if ((err = git_repository_odb(&odb, repo)) < 0)
		goto done;
	text = dump(entry);
	err = upsert_text(repo, odb, &o, &s, gate_xstrdup("entry.json"), text);
	free(text);
	if (seed && !h->exists && json_is_object(json_object_get(seed, "state"))) {
		json_t *base = json_pack("{s:I,s:O}", "seq", (json_int_t)h->seq, "refs",
			json_object_get(seed, "state"));
		state = next_state(base, entry, seq);
		json_decref(base);
	} else {
		state = next_state(h->state, entry, seq);
	}
	text = dump(state);
	json_decref(state);
	if (err == 0)
		err = upsert_text(repo, odb, &o, &s, gate_xstrdup("state.json"), text);
	free(text);
	if (err == 0 && ev && !strcmp(ev, "accepted") && target && jstr(entry, "accepted_ref")) {
		json_t *add = json_object();
		json_object_set_new(add, jstr(entry, "accepted_ref"), index_record(entry, seq));
		err = index_text(repo, h->tree, target, add, &text);
		json_decref(add);
		if (err == 0)
			err = upsert_text(repo, odb, &o, &s, index_path(target), text);
		free(text);
	}
	if (err == 0 && seed && !h->exists && json_is_object(json_object_get(seed, "index")))
		err = seed_updates(repo, json_object_get(seed, "index"), &sups, &spaths, &ns);
	if (err < 0)
		goto done;
	all = gate_xcalloc(s.n + ns + 1, sizeof(*all));
	memcpy(all, s.u, s.n * sizeof(*all));
	if (ns)
		memcpy(all + s.n, sups, ns * sizeof(*all));
	if (h->exists) {
		git_oid t;
		git_odb *db = odb;
		parents[np++] = h->commit;
		if (target && git_oid_fromstr(&t, target) == 0 && git_odb_exists(db, &t) &&
		    !git_oid_equal(&t, &h->commit))
			parents[np++] = t;
	}
	message = gate_xasprintf("gitops-gate: %s %s %.12s (seq %lld)\n", ev ? ev : "event",
		jstr(entry, "accepted_ref") ? jstr(entry, "accepted_ref") : "-", target ? target : "-", seq);
	err = commit_update(repo, GATE_LOG_REF, h->exists ? &h->commit : NULL, h->tree, all, s.n + ns,
		parents, np, message, &o, &commit);
	free(message);
done:
	if (err < 0 && err != GATE_LOG_EMOVED)
		gate_repo_error(msg, msgsize, "cannot write the gate log " GATE_LOG_REF);
	for (i = 0; i < s.n; i++)
		free(s.paths[i]);
	for (i = 0; i < ns; i++)
		free(spaths[i]);
	free(spaths);
	free(sups);
	free(all);
	objs_release(&o);
	git_odb_free(odb);
	if (err == 0 && gate_log_head_read(r, h, msg, msgsize) < 0)
		return -1;
	return err == GATE_LOG_EMOVED ? err : (err < 0 ? -1 : 0);
}

/* ---- notes with fan-out ---- */

int gate_log_note_write(struct gate_repo *r, const char *notes_ref, const git_oid *commit,
	const char *text)
{
	git_repository *repo = gate_repo_git(r);
	char hex[GIT_OID_HEXSZ + 1], *path, *flat2;
	int err = 0, tries;

	git_oid_tostr(hex, sizeof(hex), commit);
	path = gate_xasprintf("%.2s/%.2s/%s", hex, hex + 2, hex + 4);
	flat2 = gate_xasprintf("%.2s/%s", hex, hex + 2);
	for (tries = 0; tries < CAS_TRIES; tries++) {
		git_note *note = NULL;
		git_commit *head = NULL;
		git_tree *tree = NULL;
		git_tree_entry *e = NULL;
		git_odb *odb = NULL;
		struct objs o = { NULL, 0, 0 };
		struct update_set s;
		git_oid old, out;
		int have_old;
		size_t i;

		if ((err = gate_repo_notes_repair(r, notes_ref)) < 0)
			break;
		if (git_note_read(&note, repo, notes_ref, commit) == 0) {
			int same = git_note_message(note) && !strcmp(git_note_message(note), text);
			git_note_free(note);
			if (same)
				break;
		}
		memset(&s, 0, sizeof(s));
		have_old = git_reference_name_to_id(&old, repo, notes_ref) == 0;
		if (have_old && ((err = git_commit_lookup(&head, repo, &old)) < 0 ||
		    (err = git_commit_tree(&tree, head)) < 0))
			goto next;
		if ((err = git_repository_odb(&odb, repo)) < 0 ||
		    (err = upsert_text(repo, odb, &o, &s, gate_xstrdup(path), text)) < 0)
			goto next;
		/* the same note at another fan-out goes */
		if (tree && git_tree_entry_bypath(&e, tree, hex) == 0) {
			s.paths[s.n] = gate_xstrdup(hex);
			s.u[s.n].action = GIT_TREE_UPDATE_REMOVE;
			s.u[s.n].path = s.paths[s.n];
			s.n++;
		}
		git_tree_entry_free(e);
		e = NULL;
		if (tree && git_tree_entry_bypath(&e, tree, flat2) == 0) {
			s.paths[s.n] = gate_xstrdup(flat2);
			s.u[s.n].action = GIT_TREE_UPDATE_REMOVE;
			s.u[s.n].path = s.paths[s.n];
			s.n++;
		}
		err = commit_update(repo, notes_ref, have_old ? &old : NULL, tree, s.u, s.n,
			&old, have_old ? 1 : 0, "Notes added by 'gitops-gate'\n", &o, &out);
next:
		git_tree_entry_free(e);
		for (i = 0; i < s.n; i++)
			free(s.paths[i]);
		objs_release(&o);
		git_odb_free(odb);
		git_tree_free(tree);
		git_commit_free(head);
		if (err != GATE_LOG_EMOVED)
			break;
	}
	free(path);
	free(flat2);
	return err == GATE_LOG_EMOVED ? GIT_EMODIFIED : err;
}
