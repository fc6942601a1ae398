/*
 * accept_test: the one accept path (include/gate/accept.h) on a real bare
 * repository built with libgit2 in a temp dir, a real configuration loaded
 * through the config schemas of the source tree and a small local schema.
 * Path ownership decides with the pusher's groups; the same setup gives the
 * same fingerprint; a missing policy file fails at the "policy" stage;
 * gate_accept_update() re-judges an update whose hand-over is missing with
 * the pusher's groups and records it on the accepted ref.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "gate/accept.h"
#include "gate/config.h"
#include "gate/receivers.h"
#include "gate/record.h"
#include "gate/repo.h"
#include "gate/util.h"
#include "../tap.h"

static char tmp[512];

static void put(const char *rel, const char *text)
{
	char *p = gate_xasprintf("%s/%s", tmp, rel);

	if (gate_write_file_atomic(p, text, strlen(text), 0644) < 0) {
		perror(p);
		exit(99);
	}
	free(p);
}

/* A commit on top of parent (NULL: a root) adding files (path, text, ..., NULL). */
static void commit(git_repository *g, git_oid *out, const git_oid *parent, const char *const *files)
{
	git_tree *tree = NULL;
	git_commit *pc = NULL;
	git_signature *sig = NULL;
	git_index *idx = NULL;
	git_oid tid;
	size_t i;

	git_repository_index(&idx, g);
	git_index_clear(idx);
	if (parent) {
		git_commit_lookup(&pc, g, parent);
		git_commit_tree(&tree, pc);
		git_index_read_tree(idx, tree);
		git_tree_free(tree);
	}
	for (i = 0; files[i]; i += 2) {
		git_index_entry e;
		git_oid bid;
		memset(&e, 0, sizeof(e));
		git_blob_create_from_buffer(&bid, g, files[i + 1], strlen(files[i + 1]));
		e.mode = GIT_FILEMODE_BLOB;
		e.id = bid;
		e.path = files[i];
		git_index_add(idx, &e);
	}
	git_index_write_tree_to(&tid, idx, g);
	git_tree_lookup(&tree, g, &tid);
	git_signature_new(&sig, "t", "t@example.org", 1700000000, 0);
	if (git_commit_create(out, g, NULL, sig, sig, NULL, "c", tree, pc ? 1 : 0,
			(const git_commit **)&pc) < 0) {
		fprintf(stderr, "commit: %s\n", git_error_last() ? git_error_last()->message : "?");
		exit(99);
	}
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(pc);
	git_index_free(idx);
}

static const char *cm(const char *name)
{
	static char b[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(b[k], sizeof(b[k]), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  a: b\n", name);
	return b[k];
}

int main(void)
{
	const char *src = getenv("GATE_SRCDIR");
	struct gate_config_load_opts lo;
	struct gate_config *cfg = NULL, *bad_cfg = NULL;
	struct gate_repo *repo = NULL;
	struct gate_receivers rcv = GATE_RECEIVERS_INIT;
	struct gate_record_opts ro;
	struct gate_record *rec = NULL;
	git_repository *g = NULL;
	git_reference *ref = NULL;
	git_oid c0, c1, got;
	char msg[1024], line[256], h0[GIT_OID_HEXSZ + 1], h1[GIT_OID_HEXSZ + 1], fp[128];
	struct gate_ref_update *u = NULL;
	size_t n = 0;
	static const char *const platform[] = { "dev", "platform" };
	struct gate_pusher alice_platform = { "alice", platform, 2 }, alice = { "alice", NULL, 0 };
	struct gate_accept_setup s;
	char *cfgpath, *text, *gitdir, *schema_dir, *badpath;

	if (!src) {
		printf("1..0 # SKIP GATE_SRCDIR not set (run through make check)\n");
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s/accept-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 99;
	git_libgit2_init();
	gitdir = gate_xasprintf("%s/server.git", tmp);
	if (git_repository_init(&g, gitdir, 1) < 0)
		return 99;
	/* a schema for ConfigMap, found by a local location template */
	text = gate_xasprintf("%s/s", tmp);
	gate_mkdir_p(text, 0755);
	free(text);
	put("s/configmap.json", "{\"type\": \"object\", \"required\": [\"data\"]}");
	text = gate_xasprintf("version: 1\nschemas:\n  - paths: [\"**\"]\n    locations:\n"
		"      - \"%s/s/{{ .ResourceKind }}.json\"\npolicy:\n  files: [owners.yaml]\n", tmp);
	put("server.git/gitops-gate.yaml", text);
	free(text);
	put("server.git/owners.yaml", "owners:\n- paths: ['clusters/prod/**']\n  groups: [platform]\n"
		"  users: [root-admin]\n");
	{
		const char *f0[] = { "apps/svc.yaml", cm("svc"), NULL };
		const char *f1[] = { "clusters/prod/web.yaml", cm("web"), NULL };
		commit(g, &c0, NULL, f0);
		commit(g, &c1, &c0, f1);
	}
	git_reference_create(&ref, g, "refs/heads/main", &c0, 1, "base");
	git_reference_free(ref);
	git_oid_tostr(h0, sizeof(h0), &c0);
	git_oid_tostr(h1, sizeof(h1), &c1);

	ok(gate_repo_open(&repo, gitdir, msg, sizeof(msg)) == 0, "open the repository: %s", msg);
	memset(&lo, 0, sizeof(lo));
	cfgpath = gate_xasprintf("%s/gitops-gate.yaml", gitdir);
	lo.repo_path = cfgpath;
	lo.schema_dir = schema_dir = gate_xasprintf("%s/schemas", src);
	lo.git_dir = gitdir;
	ok(gate_config_load(&cfg, &lo, msg, sizeof(msg)) == 0, "load the configuration: %s", msg);
	snprintf(line, sizeof(line), "%s %s refs/heads/main\n", h0, h1);
	ok(gate_ref_updates_parse(repo, line, strlen(line), &u, &n, msg, sizeof(msg)) == 0 && n == 1,
		"parse the update: %s", msg);
	ok(!strcmp(u[0].old_hex, h0) && !strcmp(u[0].new_hex, h1), "the update keeps its ids as hex");

	memset(&s, 0, sizeof(s));
	s.repo = repo;
	s.cfg = cfg;
	s.engine_id = "accept_test";
	{
		struct gate_accept a = GATE_ACCEPT_INIT, b = GATE_ACCEPT_INIT;
		int ra, rb;

		s.pusher = alice_platform;
		ra = gate_accept_judge(&a, &s, u, n, msg, sizeof(msg));
		ok(ra == 0 && gate_accept_ok(&a), "alice in group platform may change clusters/prod (%d: %s)",
			ra, ra ? msg : "");
		snprintf(fp, sizeof(fp), "%s", gate_accept_fingerprint(&a));
		s.pusher = alice;
		rb = gate_accept_judge(&b, &s, u, n, msg, sizeof(msg));
		ok(rb == 0 && !gate_accept_ok(&b) && b.verdict.nproblems == 1,
			"alice without the group may not (%zu problems)", b.verdict.nproblems);
		ok(strlen(fp) == 64 && !strcmp(fp, gate_accept_fingerprint(&b)),
			"one setup, one fingerprint: %.12s", fp);
		gate_accept_release(&a);
		gate_accept_release(&b);
	}
	{
		struct gate_accept a = GATE_ACCEPT_INIT;
		int r;

		put("server.git/bad.yaml", "version: 1\npolicy:\n  files: [no-such-file.yaml]\n");
		lo.repo_path = badpath = gate_xasprintf("%s/bad.yaml", gitdir);
		ok(gate_config_load(&bad_cfg, &lo, msg, sizeof(msg)) == 0, "load a config naming a missing policy file");
		s.cfg = bad_cfg;
		r = gate_accept_judge(&a, &s, u, n, msg, sizeof(msg));
		ok(r < 0 && a.failed && !strcmp(a.failed, "policy"), "a missing policy file fails at the policy stage: %s",
			msg);
		gate_accept_release(&a);
		s.cfg = cfg;
	}

	/* post-receive: main moved, no hand-over: re-judged with the groups, recorded */
	git_reference_create(&ref, g, "refs/heads/main", &c1, 1, "push");
	git_reference_free(ref);
	ok(gate_receivers_parse(&rcv, gate_config_json(cfg), msg, sizeof(msg)) == 0, "receivers: %s", msg);
	memset(&ro, 0, sizeof(ro));
	ro.repo = repo;
	ro.git_dir = gate_repo_git_dir(repo);
	ro.prefix = gate_config_accepted_prefix(cfg);
	ro.rcv = &rcv;
	ok(gate_record_new(&rec, &ro, msg, sizeof(msg)) == 0, "record: %s", msg);
	{
		struct gate_accept_outcome out;
		struct gate_buf b = GATE_BUF_INIT;
		int r;

		s.pusher = alice_platform;
		r = gate_accept_update(&s, rec, &u[0], &b, &out);
		ok(r == 0 && out.recorded, "the update is recorded");
		ok(b.ptr && strstr(b.ptr, "no pre-receive verdict (were the hooks bypassed?): judging again"),
			"after judging again: %s", b.ptr ? b.ptr : "");
		ok(b.ptr && strstr(b.ptr, "success: refs/heads/main: accepted revision"), "and says so");
		ok(git_reference_name_to_id(&got, g, "refs/heads/gitops/accepted/main") == 0 &&
			git_oid_equal(&got, &c1), "the accepted ref is the new commit");
		gate_buf_release(&b);
		free(out.ids);
	}
	{
		/* issue 13: recording the same push again changes nothing (reconcile after post-receive) */
		struct gate_record_outcome out = GATE_RECORD_OUTCOME_INIT;
		struct gate_record_event ev;
		char *jtext = NULL, *p;
		size_t jlen = 0, lines = 0;
		int r;

		memset(&ev, 0, sizeof(ev));
		ev.event = "accepted";
		ev.ref = "refs/heads/main";
		ev.old_hex = u[0].old_hex;
		ev.new_hex = u[0].new_hex;
		ev.target_hex = u[0].new_hex;
		r = gate_record_apply(rec, &ev, &out, msg, sizeof(msg));
		ok(r == 0 && !out.moved && out.ndeliveries == 0 && out.reason && !strcmp(out.reason, "already"),
			"the same push recorded again: nothing done (%s)", r == 0 && out.reason ? out.reason : msg);
		gate_record_outcome_release(&out);
		if (gate_read_file(gate_record_journal_path(rec), 1u << 20, &jtext, &jlen) == 0)
			for (p = jtext; p && (p = memchr(p, '\n', jlen - (size_t)(p - jtext))); p++)
				lines++;
		ok(lines == 1, "one journal line for it (%zu)", lines);
		free(jtext);
	}
	{
		/* issue 13: the gate lock; lock files of the gate's refs left by a killed process */
		char *ref_lock = gate_xasprintf("%s/refs/heads/gitops/accepted/main.lock", gitdir);
		char *notes_lock = gate_xasprintf("%s/refs/notes/gitops-gate.lock", gitdir);
		char *lock = gate_xasprintf("%s/gitops-gate/lock", gitdir);
		int fd, r;

		put("server.git/refs/heads/gitops/accepted/main.lock", "");
		put("server.git/refs/notes/gitops-gate.lock", "");
		r = gate_record_lock(rec, msg, sizeof(msg));
		ok(r == 0, "gate lock taken%s%s", r ? ": " : "", r ? msg : "");
		ok(access(ref_lock, F_OK) < 0 && access(notes_lock, F_OK) < 0,
			"stale accepted-ref and notes lock files removed under it");
		ok(gate_record_lock(rec, msg, sizeof(msg)) == 0, "taken again by its holder (recursive)");
		gate_record_unlock(rec);
		fd = open(lock, O_RDWR | O_CLOEXEC);
		ok(fd >= 0 && gate_flock_wait(fd, 30) < 0 && errno == EWOULDBLOCK,
			"another open file waits, then gives up while it is held");
		gate_record_unlock(rec);
		ok(fd >= 0 && gate_flock_wait(fd, 30) == 0, "and gets it once released");
		if (fd >= 0)
			close(fd);
		free(ref_lock);
		free(notes_lock);
		free(lock);
	}
	gate_record_free(rec);
	gate_receivers_release(&rcv);
	gate_ref_updates_free(u, n);
	gate_config_free(cfg);
	gate_config_free(bad_cfg);
	gate_repo_free(repo);
	git_repository_free(g);
	free(cfgpath);
	free(badpath);
	free(schema_dir);
	free(gitdir);
	{
		char *cmd = gate_xasprintf("rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			diag("cannot remove %s", tmp);
		free(cmd);
	}
	return tap_done();
}
