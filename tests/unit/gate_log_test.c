/*
 * gate_log_test: the gate log ref written by compare-and-swap.  Two processes
 * that share no lock (two servers on one repository) write to one log at
 * once: the same events from both end up once each; different events from
 * both all end up, in one unbroken chain.  Also: index lookup, state, entries
 * since a seq, notes with fan-out read back by libgit2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gate/gate_log.h"
#include "gate/util.h"
#include "../tap.h"

#define N 40
#define AREF "refs/heads/gitops/accepted/main"

static char hexes[N][GIT_OID_HEXSZ + 1];

/* N commits in a chain, their ids in hexes */
static int make_commits(git_repository *repo)
{
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, id;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	int i, err;

	if ((err = git_treebuilder_new(&tb, repo, NULL)) < 0 || (err = git_treebuilder_write(&tree_id, tb)) < 0 ||
	    (err = git_tree_lookup(&tree, repo, &tree_id)) < 0 ||
	    (err = git_signature_new(&sig, "t", "t@example.com", 1700000000, 0)) < 0)
		goto done;
	for (i = 0; i < N && err == 0; i++) {
		char m[32];
		snprintf(m, sizeof(m), "c%d", i);
		err = git_commit_create(&id, repo, NULL, sig, sig, NULL, m, tree, parent ? 1 : 0,
			(const git_commit **)&parent);
		git_commit_free(parent);
		parent = NULL;
		if (err == 0)
			err = git_commit_lookup(&parent, repo, &id);
		git_oid_tostr(hexes[i], sizeof(hexes[i]), &id);
	}
done:
	git_commit_free(parent);
	git_tree_free(tree);
	git_signature_free(sig);
	git_treebuilder_free(tb);
	return err;
}

/* Record event "<tag>-<i>" on aref for every i, as a writer without the gate lock would. */
static int writer(const char *dir, const char *tag, const char *aref)
{
	struct gate_repo *r = NULL;
	struct gate_log_head h = GATE_LOG_HEAD_INIT;
	char msg[512], intent[64];
	int i, err = 0, rounds = 0;

	if (gate_repo_open(&r, dir, msg, sizeof(msg)) < 0)
		return 1;
	for (i = 0; i < N && err == 0; i++) {
		snprintf(intent, sizeof(intent), "%s-%d", tag, i);
		for (;;) {
			json_t *rec = NULL, *e;
			if (gate_log_head_read(r, &h, msg, sizeof(msg)) < 0 ||
			    gate_log_accepted(r, &h, aref, hexes[i], &rec, msg, sizeof(msg)) < 0) {
				err = -1;
				break;
			}
			if (rec && !strcmp(json_string_value(json_object_get(rec, "intent")), intent)) {
				json_decref(rec); /* the other writer recorded this very event: nothing to do */
				break;
			}
			json_decref(rec);
			e = h.exists ? json_pack("{s:s,s:s,s:s,s:b,s:s}", "event", "accepted", "accepted_ref", aref,
				"target", hexes[i], "moved", 1, "intent", intent) :
				json_pack("{s:s}", "event", "seed");
			err = gate_log_append(r, &h, e, NULL, msg, sizeof(msg));
			json_decref(e);
			if (err == GATE_LOG_EMOVED) {
				rounds++;
				err = 0;
				continue;
			}
			if (err < 0 || h.seq > 1) /* a seed written: the event is still to do */
				break;
		}
	}
	gate_log_head_release(&h);
	gate_repo_free(r);
	printf("# writer %s: %d compare-and-swap rounds lost to the other writer\n", tag, rounds);
	fflush(stdout);
	if (err < 0)
		fprintf(stderr, "writer %s: %s\n", tag, msg);
	return err < 0 ? 1 : 0;
}

static int run_two(const char *dir, const char *tag1, const char *aref1, const char *tag2,
	const char *aref2)
{
	pid_t a, b;
	int sa = 1, sb = 1;

	if ((a = fork()) == 0)
		_exit(writer(dir, tag1, aref1));
	if ((b = fork()) == 0)
		_exit(writer(dir, tag2, aref2));
	waitpid(a, &sa, 0);
	waitpid(b, &sb, 0);
	return WIFEXITED(sa) && WEXITSTATUS(sa) == 0 && WIFEXITED(sb) && WEXITSTATUS(sb) == 0 ? 0 : -1;
}

/* entries of the log, oldest first (new array) */
static json_t *all_entries(const char *dir)
{
	struct gate_repo *r = NULL;
	struct gate_log_head h = GATE_LOG_HEAD_INIT;
	json_t *out = NULL;
	char msg[512];

	if (gate_repo_open(&r, dir, msg, sizeof(msg)) == 0 && gate_log_head_read(r, &h, msg, sizeof(msg)) == 0)
		gate_log_entries_since(r, &h, 0, &out, msg, sizeof(msg));
	gate_log_head_release(&h);
	gate_repo_free(r);
	return out ? out : json_array();
}

static int count_intents(const json_t *entries, const char *tag, int *contiguous)
{
	size_t i;
	const json_t *e;
	int n = 0;

	*contiguous = 1;
	json_array_foreach(entries, i, e) {
		const char *in = json_string_value(json_object_get(e, "intent"));
		if ((long long)json_integer_value(json_object_get(e, "seq")) != (long long)i + 1)
			*contiguous = 0;
		if (in && !strncmp(in, tag, strlen(tag)) && in[strlen(tag)] == '-')
			n++;
	}
	return n;
}

int main(void)
{
	char tmpl[] = "/tmp/gate-log-test.XXXXXX";
	char *dir = mkdtemp(tmpl), msg[512], *cmd;
	git_repository *repo = NULL;
	struct gate_repo *r = NULL;
	struct gate_log_head h = GATE_LOG_HEAD_INIT;
	json_t *entries, *rec = NULL;
	git_oid id;
	git_note *note = NULL;
	int contiguous, i, seen[N];

	if (!dir) {
		printf("Bail out! no temp dir\n");
		return 1;
	}
	git_libgit2_init();
	ok(git_repository_init(&repo, dir, 1) == 0 && make_commits(repo) == 0, "a bare repository with %d commits", N);
	git_repository_free(repo);

	/* the same events from two writers at once: each once */
	ok(run_two(dir, "same", AREF, "same", AREF) == 0, "two writers, same events, no shared lock");
	entries = all_entries(dir);
	ok(count_intents(entries, "same", &contiguous) == N, "each event once in the log (%d of %d)",
		count_intents(entries, "same", &contiguous), N);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < (int)json_array_size(entries); i++) {
		const char *in = json_string_value(json_object_get(json_array_get(entries, (size_t)i), "intent"));
		if (in && !strncmp(in, "same-", 5) && atoi(in + 5) >= 0 && atoi(in + 5) < N)
			seen[atoi(in + 5)]++;
	}
	for (i = 0; i < N && seen[i] == 1; i++)
		;
	ok(i == N, "no event twice, none missing (first bad: %d)", i);
	ok(contiguous && json_array_size(entries) == N + 1, "one seed, seqs 1..%d without a gap", N + 1);
	json_decref(entries);

	/* different events from two writers at once: none lost */
	ok(run_two(dir, "a", "refs/heads/gitops/accepted/a", "b", "refs/heads/gitops/accepted/b") == 0,
		"two writers, different events");
	entries = all_entries(dir);
	ok(count_intents(entries, "a", &contiguous) == N && count_intents(entries, "b", &contiguous) == N,
		"every event of both writers in the log");
	ok(contiguous && json_array_size(entries) == 3 * N + 1, "one chain: %zu entries, seqs without a gap",
		json_array_size(entries));
	json_decref(entries);

	/* reading: state, index, entries since */
	ok(gate_repo_open(&r, dir, msg, sizeof(msg)) == 0 && gate_log_head_read(r, &h, msg, sizeof(msg)) == 0 &&
		h.exists && h.seq == 3 * N + 1, "head read: seq %d", 3 * N + 1);
	ok(!strcmp(json_string_value(json_object_get(gate_log_ref_state(&h, AREF), "target")), hexes[N - 1]),
		"state: the last target of main");
	ok(gate_log_accepted(r, &h, "refs/heads/gitops/accepted/a", hexes[0], &rec, msg, sizeof(msg)) == 0 &&
		rec && !strcmp(json_string_value(json_object_get(rec, "intent")), "a-0"),
		"index: the oldest revision found in one lookup");
	json_decref(rec);
	rec = NULL;
	ok(gate_log_accepted(r, &h, "refs/heads/gitops/accepted/none", hexes[0], &rec, msg, sizeof(msg)) == 0 &&
		!rec, "index: not accepted on another ref");
	ok(gate_log_entries_since(r, &h, h.seq - 2, &entries, msg, sizeof(msg)) == 0 &&
		json_array_size(entries) == 2, "entries since seq: only the last two are read");
	json_decref(entries);

	/* notes with fan-out, read back by libgit2; rewriting the same text writes nothing */
	git_oid_fromstr(&id, hexes[3]);
	ok(gate_log_note_write(r, "refs/notes/test", &id, "{\"a\": 1}\n") == 0, "note written");
	ok(git_note_read(&note, gate_repo_git(r), "refs/notes/test", &id) == 0 &&
		!strcmp(git_note_message(note), "{\"a\": 1}\n"), "libgit2 reads the fanned-out note");
	git_note_free(note);
	{
		git_oid before, after;
		git_reference_name_to_id(&before, gate_repo_git(r), "refs/notes/test");
		gate_log_note_write(r, "refs/notes/test", &id, "{\"a\": 1}\n");
		git_reference_name_to_id(&after, gate_repo_git(r), "refs/notes/test");
		ok(git_oid_equal(&before, &after), "the same note again: no new commit");
	}
	gate_log_head_release(&h);
	gate_repo_free(r);
	cmd = gate_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	return tap_done();
}
