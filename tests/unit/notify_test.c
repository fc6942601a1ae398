/* Unit tests of receivers, journal, outbox and notify (no network). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gate/check.h"
#include "gate/doc.h"
#include "gate/journal.h"
#include "gate/notify.h"
#include "gate/outbox.h"
#include "gate/receivers.h"
#include "gate/util.h"
#include "../tap.h"

static char tmp[256];

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		diag("bad test json: %s", e.text);
	return v;
}

static void test_receivers(void)
{
	struct gate_receivers r = GATE_RECEIVERS_INIT;
	char err[256];
	json_t *root;
	const char *paths[] = { "apps/web.yaml", "clusters/prod/web/deploy.yaml" };
	const char *other[] = { "clusters/staging/x.yaml" };

	root = load("{\"clusters\":[{\"name\":\"prod\",\"refs\":[\"refs/heads/main\"],"
		"\"paths\":[\"clusters/prod/**\"],\"receivers\":[{\"url\":\"https://flux/hook/1\","
		"\"format\":\"flux-generic-hmac\",\"token_file\":\"/t\"},{\"url\":\"http://argo/api/webhook\","
		"\"format\":\"github\",\"token_file\":\"/t2\",\"ca_bundle\":\"/ca.pem\"}]},"
		"{\"name\":\"all\",\"receivers\":[{\"url\":\"http://x/\",\"format\":\"generic\"}]}],"
		"\"notify\":{\"budget_ms\":500,\"max_attempts\":3,\"repository\":{\"name\":\"fleet\",\"html_url\":\"https://git.example/org/fleet\"}}}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) == 0, "valid config parses (%s)", err);
	ok(r.nclusters == 2 && r.clusters[0].nreceivers == 2, "two clusters, two receivers");
	ok(r.clusters[0].receivers[1].format == GATE_FORMAT_GITHUB &&
	   !strcmp(r.clusters[0].receivers[1].ca_bundle, "/ca.pem"), "format and ca_bundle");
	ok(r.notify.budget_ms == 500 && r.notify.max_attempts == 3 && r.notify.timeout_ms == 10000,
		"notify settings and defaults");
	ok(!strcmp(r.notify.repo_name, "fleet"), "repository name");
	ok(gate_cluster_wants_ref(&r.clusters[0], "refs/heads/main", "refs/heads/gitops/accepted/main"),
		"ref glob matches source ref");
	ok(!gate_cluster_wants_ref(&r.clusters[0], "refs/heads/dev", "refs/heads/gitops/accepted/dev"),
		"ref glob rejects other ref");
	ok(gate_cluster_wants_paths(&r.clusters[0], paths, 2, 0), "path glob matches");
	ok(!gate_cluster_wants_paths(&r.clusters[0], other, 1, 0), "path glob rejects other cluster's path");
	ok(gate_cluster_wants_paths(&r.clusters[0], other, 1, 1), "all_changed matches every cluster");
	ok(gate_cluster_wants_paths(&r.clusters[1], other, 1, 0), "no path globs: every path");
	gate_receivers_release(&r);
	json_decref(root);

	root = load("{\"clusters\":[{\"name\":\"p\",\"receivers\":[{\"url\":\"http://x\",\"format\":\"bogus\",\"token_file\":\"/t\"}]}]}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 && strstr(err, "clusters[0].receivers[0].format"),
		"unknown format refused: %s", err);
	json_decref(root);
	root = load("{\"clusters\":[{\"name\":\"p\",\"receivers\":[{\"url\":\"http://x\",\"format\":\"github\"}]}]}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 && strstr(err, "token_file is required"),
		"signed format without token refused: %s", err);
	json_decref(root);
	root = load("{\"clusters\":[{\"name\":\"p\",\"receivers\":[{\"url\":\"ftp://x\",\"format\":\"generic\"}]}]}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 && strstr(err, "http"),
		"non-http URL refused: %s", err);
	json_decref(root);
	root = load("{\"clusters\":[{\"name\":\"p\",\"receivers\":[{\"url\":\"http://x\",\"format\":\"generic\"}]},"
		"{\"name\":\"p\",\"receivers\":[{\"url\":\"http://y\",\"format\":\"generic\"}]}]}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 && strstr(err, "duplicate"),
		"duplicate cluster refused: %s", err);
	json_decref(root);
	root = load("{\"notify\":{\"budget_ms\":-1}}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 && strstr(err, "notify.budget_ms"),
		"negative budget refused: %s", err);
	json_decref(root);
	ok(gate_receivers_parse(&r, NULL, err, sizeof(err)) == 0 && r.nclusters == 0 &&
	   r.notify.budget_ms == 2000, "no config: defaults");
	gate_receivers_release(&r);
}

static void test_journal(void)
{
	char *path = gate_xasprintf("%s/journal", tmp);
	json_t *e1 = load("{\"event\":\"accepted\",\"n\":1}"), *e2 = load("{\"event\":\"rollback\",\"n\":2}");
	json_t *all = NULL;
	size_t skipped;
	int trunc, fd, i, status;

	ok(gate_journal_read(path, 1 << 20, &all, &skipped, &trunc) == 0 && json_array_size(all) == 0,
		"missing journal reads empty");
	json_decref(all);
	ok(gate_journal_append(path, e1) == 0, "append 1");
	/* a torn line, as a crash in the middle of a write leaves it */
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, "{\"event\":\"acc", 13) == 13, "torn write");
	close(fd);
	ok(gate_journal_append(path, e2) == 0, "append after torn line");
	ok(gate_journal_read(path, 1 << 20, &all, &skipped, &trunc) == 0 && json_array_size(all) == 2 &&
	   skipped == 1 && !trunc, "two entries, torn line skipped");
	ok(json_integer_value(json_object_get(json_array_get(all, 1), "n")) == 2, "order kept");
	json_decref(all);

	/* concurrent appenders: every line whole */
	for (i = 0; i < 4; i++) {
		if (fork() == 0) {
			int k;
			for (k = 0; k < 50; k++) {
				json_t *e = json_pack("{s:i,s:i,s:s}", "w", i, "k", k, "pad",
					"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
				if (gate_journal_append(path, e) < 0)
					_exit(1);
				json_decref(e);
			}
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++) {
		wait(&status);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "appender %d", i);
	}
	all = NULL;
	i = gate_journal_read(path, 1 << 20, &all, &skipped, &trunc);
	ok(i == 0 && json_array_size(all) == 202 && skipped == 1,
		"202 whole entries after concurrent appends (%zu)", json_array_size(all));
	json_decref(all);
	ok(gate_journal_read(path, 300, &all, &skipped, &trunc) == 0 && trunc &&
	   json_array_size(all) >= 1 && json_array_size(all) <= 3 && skipped == 0,
		"bounded read keeps whole tail lines only");
	json_decref(all);
	json_decref(e1);
	json_decref(e2);
	free(path);
}

static void test_outbox(void)
{
	char *dir = gate_xasprintf("%s/outbox", tmp);
	struct gate_delivery d = GATE_DELIVERY_INIT, l = GATE_DELIVERY_INIT, l2 = GATE_DELIVERY_INIT;
	struct gate_outbox_claim c = GATE_OUTBOX_CLAIM_INIT, c2 = GATE_OUTBOX_CLAIM_INIT;
	char id2[GATE_OUTBOX_ID_LEN + 1], err[256], **ids = NULL;
	size_t n = 0;
	int dead = 0, pid, status;
	json_t *st = NULL;

	ok(gate_outbox_new_id(d.id) == 0 && gate_outbox_valid_id(d.id), "random id %s", d.id);
	ok(gate_outbox_new_id(id2) == 0 && strcmp(d.id, id2), "ids differ");
	ok(!gate_outbox_valid_id("../../etc/passwd") && !gate_outbox_valid_id("ABC"), "bad ids refused");
	d.cluster = gate_xstrdup("prod");
	d.url = gate_xstrdup("http://127.0.0.1:1/");
	d.format = gate_xstrdup("generic");
	d.accepted_ref = gate_xstrdup("refs/heads/gitops/accepted/main");
	d.body = gate_xstrdup("{\"a\":\"\\u00e9\\n\"}");
	d.body_len = strlen(d.body);
	ok(gate_outbox_put(dir, &d) == 0, "put");
	ok(gate_outbox_list(dir, 100, &ids, &n) == 0 && n == 1 && !strcmp(ids[0], d.id), "list");
	free(ids[0]);
	free(ids);
	ok(gate_outbox_claim(dir, d.id, &c, &l, err, sizeof(err)) == 1, "claim");
	ok(l.body_len == d.body_len && !memcmp(l.body, d.body, d.body_len), "body bytes kept");
	/* another process cannot claim it meanwhile */
	pid = fork();
	if (pid == 0) {
		struct gate_outbox_claim cc = GATE_OUTBOX_CLAIM_INIT;
		struct gate_delivery dd = GATE_DELIVERY_INIT;
		char e[256];
		_exit(gate_outbox_claim(dir, d.id, &cc, &dd, e, sizeof(e)) == 0 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "concurrent claim is refused");
	ok(gate_outbox_failed(dir, &c, &l, "HTTP 500", 1000, 5000, 3, &dead) == 0 && !dead, "failed once");
	gate_outbox_unclaim(&c);
	gate_delivery_release(&l);
	ok(gate_outbox_load(dir, d.id, &l) == 0 && l.attempts == 1 && l.next_attempt_time == 1005 &&
	   !strcmp(l.last_error, "HTTP 500"), "attempt recorded with backoff");
	gate_delivery_release(&l);
	ok(gate_outbox_claim(dir, d.id, &c, &l, err, sizeof(err)) == 1, "claim again");
	ok(gate_outbox_claim(dir, d.id, &c2, &l2, err, sizeof(err)) == 0, "own second claim refused too");
	ok(gate_outbox_failed(dir, &c, &l, "x", 1000, 0, 2, &dead) == 0 && dead, "dead after max attempts");
	gate_outbox_unclaim(&c);
	gate_delivery_release(&l);
	ok(gate_outbox_list(dir, 100, &ids, &n) == 0 && n == 0, "dead one not listed as pending");
	free(ids);
	ok(gate_outbox_stats(dir, &st) == 0 &&
	   json_integer_value(json_object_get(json_object_get(st, "prod"), "dead")) == 1 &&
	   json_integer_value(json_object_get(json_object_get(st, "prod"), "pending")) == 0, "stats");
	json_decref(st);
	ok(gate_outbox_claim(dir, d.id, &c, &l, err, sizeof(err)) == 0, "gone: not claimable");
	gate_delivery_release(&d);
	free(dir);
}

static int has_real(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_real(v))
		return 1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (has_real(x))
				return 1;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
			if (has_real(x))
				return 1;
	}
	return 0;
}

static void test_notify(void)
{
	char hex[65], err[256], *tok = NULL, *body, *path;
	size_t len, toklen = 0;
	long b;
	int fd, i, okj = 1;
	const char *added[] = { "clusters/prod/a.yaml" };
	struct gate_push_commit c = { "0123456789012345678901234567890123456789", "msg \xff", "2023-11-14T22:13:20Z",
		"A", "a@x", "C", "c@x", added, NULL, NULL, 1, 0, 0, 0 };
	struct gate_push_event ev = { "accepted", "refs/heads/main", "refs/heads/gitops/accepted/main",
		NULL, "0123456789012345678901234567890123456789", 0, "alice", &c, 1, &c, "main", NULL,
		0, NULL, NULL, NULL, 0, 0, 0, 0, 0 };
	struct gate_send s = { "id1", "http://127.0.0.1:1/", "accepted", GATE_FORMAT_GENERIC, "{}", 2,
		NULL, NULL, 0, 0, "", 0, GATE_SIGNATURE_SHA256, "" };
	json_t *v;
	json_error_t je;

	ok(gate_notify_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, hex) == 0 &&
	   !strcmp(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
		"HMAC-SHA256 RFC 4231 case 2");
	path = gate_xasprintf("%s/token", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(fd >= 0 && write(fd, "s3cret\n", 7) == 7, "token file written");
	close(fd);
	chmod(path, 0644);
	ok(gate_notify_read_token(path, &tok, &toklen, err, sizeof(err)) < 0 && strstr(err, "accessible to others") &&
	   !strstr(err, "s3cret"), "world-readable token refused without showing it: %s", err);
	chmod(path, 0600);
	ok(gate_notify_read_token(path, &tok, &toklen, err, sizeof(err)) == 0 && toklen == 7 &&
	   !memcmp(tok, "s3cret\n", 7), "token read as it is, final newline kept");
	free(tok);
	free(path);

	for (i = 1; i < 12; i++) {
		long lo = 1000L << (i - 1), hi;
		if (lo > 60000)
			lo = 60000;
		hi = lo;
		lo /= 2;
		b = gate_notify_backoff_ms((unsigned)i, 1000, 60000, 0);
		if (b != lo)
			okj = 0;
		b = gate_notify_backoff_ms((unsigned)i, 1000, 60000, 0xffffffffu);
		if (b < lo || b > hi)
			okj = 0;
	}
	ok(okj, "backoff doubles, caps, jitters within the upper half");

	body = gate_notify_body(&ev, GATE_FORMAT_GITHUB, "prod", "id1", 0, &len, NULL);
	v = json_loadb(body, len, 0, &je);
	ok(v && !strcmp(json_string_value(json_object_get(v, "ref")), "refs/heads/gitops/accepted/main"),
		"body ref is the accepted ref");
	ok(json_is_true(json_object_get(v, "created")) &&
	   !strcmp(json_string_value(json_object_get(v, "before")), "0000000000000000000000000000000000000000"),
		"new accepted ref: created, zero before");
	ok(!strcmp(json_string_value(json_object_get(json_array_get(json_object_get(v, "commits"), 0), "message")),
		"msg ?"), "invalid UTF-8 in a commit message replaced");
	ok(!strcmp(json_string_value(json_array_get(json_object_get(json_object_get(v, "head_commit"), "added"), 0)),
		"clusters/prod/a.yaml"), "head_commit added paths");
	ok(!has_real(v), "no non-integer numbers in the body");
	json_decref(v);
	free(body);

	/* nothing listens on port 1 of loopback: a quick, clean failure */
	ok(gate_notify_send(&s, 1, 2000, 2000) == 0 && !s.delivered && s.error[0], "refused connection: %s", s.error);
}

/* Issue 14: change lists never partial, size limit, gitlab body, token bytes, html_url. */
static void test_changes(void)
{
	static const char *const many[] = { "apps/a.yaml", "apps/b.yaml", "clusters/prod/x.yaml" };
	static const char *const one[] = { "apps/a.yaml" };
	struct gate_push_commit cs[3];
	struct gate_notify_config rc;
	struct gate_push_event ev;
	struct gate_receivers r = GATE_RECEIVERS_INIT;
	enum gate_notify_changes how = GATE_CHANGES_COMMITS;
	const char *warn, *why;
	char *body, err[256];
	size_t len, i;
	json_t *v, *root;
	int fatal;

	memset(cs, 0, sizeof(cs));
	for (i = 0; i < 3; i++) {
		cs[i].id = "1111111111111111111111111111111111111111";
		cs[i].message = "m";
		cs[i].timestamp = "2023-11-14T22:13:20Z";
		cs[i].added = one;
		cs[i].nadded = 1;
	}
	memset(&rc, 0, sizeof(rc));
	rc.repo_html_url = (char *)"https://git.example/org/fleet";
	rc.repo_clone_url = (char *)"https://git.example/org/fleet.git";
	rc.repo_ssh_url = (char *)"git@git.example:org/fleet.git";
	memset(&ev, 0, sizeof(ev));
	ev.event = "accepted";
	ev.accepted_ref = "refs/heads/gitops/accepted/main";
	ev.before = "2222222222222222222222222222222222222222";
	ev.after = "3333333333333333333333333333333333333333";
	ev.commits = cs;
	ev.ncommits = 3;
	ev.head = &cs[2];
	ev.repo = &rc;
	ev.diff_added = many;
	ev.ndiff_added = 3;
	ev.diff_complete = 1;

	how = GATE_CHANGES_COMMITS;
	body = gate_notify_body(&ev, GATE_FORMAT_GITHUB, "prod", "id", 0, &len, &how);
	ok(body && how == GATE_CHANGES_COMMITS, "complete list: every commit sent");
	free(body);
	how = GATE_CHANGES_SUMMARY;
	body = gate_notify_body(&ev, GATE_FORMAT_GITHUB, "prod", "id", 0, &len, &how);
	ok(body && how == GATE_CHANGES_SUMMARY, "a form given on entry is where the forms start");
	free(body);
	cs[1].truncated = 1;
	how = GATE_CHANGES_COMMITS;
	body = gate_notify_body(&ev, GATE_FORMAT_GITHUB, "prod", "id", 0, &len, &how);
	v = body ? json_loadb(body, len, 0, NULL) : NULL;
	ok(v && how == GATE_CHANGES_SUMMARY && json_array_size(json_object_get(v, "commits")) == 1 &&
	   json_array_size(json_object_get(json_array_get(json_object_get(v, "commits"), 0), "added")) == 3,
		"a commit with cut paths: one summary entry with the full diff");
	json_decref(v);
	free(body);
	cs[1].truncated = 0;
	ev.more_commits = 1;
	ev.diff_complete = 0;
	how = GATE_CHANGES_COMMITS;
	body = gate_notify_body(&ev, GATE_FORMAT_GITHUB, "prod", "id", 0, &len, &how);
	v = body ? json_loadb(body, len, 0, NULL) : NULL;
	ok(v && how == GATE_CHANGES_NONE && json_array_size(json_object_get(v, "commits")) == 0,
		"more commits and a diff too large to list: no commits at all");
	json_decref(v);
	free(body);
	ev.more_commits = 0;
	ev.diff_complete = 1;
	how = GATE_CHANGES_COMMITS;
	body = gate_notify_body(&ev, GATE_FORMAT_GITHUB, "prod", "id", 1000, &len, &how);
	ok(body && len <= 1000 && how != GATE_CHANGES_COMMITS, "size limit: a smaller form (%zu bytes, %s)",
		len, gate_notify_changes_name(how));
	free(body);
	how = GATE_CHANGES_COMMITS;
	ok(gate_notify_body(&ev, GATE_FORMAT_GITHUB, "prod", "id", 100, &len, &how) == NULL,
		"nothing fits in 100 bytes: NULL");

	how = GATE_CHANGES_COMMITS;
	body = gate_notify_body(&ev, GATE_FORMAT_GITLAB, "prod", "id", 0, &len, &how);
	v = body ? json_loadb(body, len, 0, NULL) : NULL;
	ok(v && !strcmp(json_string_value(json_object_get(v, "object_kind")), "push") &&
	   !strcmp(json_string_value(json_object_get(json_object_get(v, "project"), "web_url")),
		"https://git.example/org/fleet") &&
	   json_integer_value(json_object_get(v, "total_commits_count")) == 3 && !has_real(v),
		"gitlab body: a push event with project.web_url");
	json_decref(v);
	free(body);

	ok(gate_notify_token_problem("abc\n", 4, GATE_FORMAT_FLUX_GENERIC_HMAC, &fatal) && !fatal,
		"a token ending in a newline: warned, still usable for HMAC");
	ok(!gate_notify_token_problem("abc", 3, GATE_FORMAT_GITHUB, &fatal), "a clean token: no problem");
	why = gate_notify_token_problem("abc\n", 4, GATE_FORMAT_GITLAB, &fatal);
	ok(why && fatal, "gitlab: a token ending in a newline cannot travel in a header");

	ok(gate_notify_check_html_url("https://git.example/org/fleet", &warn, err, sizeof(err)) == 0 && !warn,
		"html_url with host and path");
	ok(gate_notify_check_html_url("https://git.example", &warn, err, sizeof(err)) < 0, "html_url without path refused: %s", err);
	ok(gate_notify_check_html_url("file:///srv/git/fleet.git", &warn, err, sizeof(err)) < 0, "file:// html_url refused");
	ok(gate_notify_check_html_url("https://git.example/org/fleet.git", &warn, err, sizeof(err)) == 0 && warn,
		"html_url ending in .git: warned");

	root = load("{\"clusters\":[{\"name\":\"a\",\"receivers\":[{\"url\":\"http://argo/api/webhook\","
		"\"format\":\"github\",\"token_file\":\"/t\",\"signature\":\"both\"}]}]}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 &&
	   !strncmp(err, "notify.repository.html_url: required", 36), "github receiver without html_url: %s", err);
	json_decref(root);
	root = load("{\"clusters\":[{\"name\":\"a\",\"receivers\":[{\"url\":\"http://argo/api/webhook\","
		"\"format\":\"github\",\"token_file\":\"/t\",\"signature\":\"both\"},{\"url\":\"http://g/\","
		"\"format\":\"gitlab\",\"token_file\":\"/t\"}]}],\"notify\":{\"max_body_bytes\":100000,"
		"\"repository\":{\"html_url\":\"https://git.example/org/fleet\"}}}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) == 0 &&
	   r.clusters[0].receivers[0].signature == GATE_SIGNATURE_BOTH &&
	   r.clusters[0].receivers[1].format == GATE_FORMAT_GITLAB && r.notify.max_body_bytes == 100000,
		"signature, gitlab format and max_body_bytes parse (%s)", err);
	gate_receivers_release(&r);
	json_decref(root);
	root = load("{\"clusters\":[{\"name\":\"a\",\"receivers\":[{\"url\":\"http://f/hook/1\","
		"\"token_file\":\"/t\",\"signature\":\"sha1\"}]}]}");
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 && strstr(err, "only a github receiver"),
		"signature on a flux receiver refused");
	json_decref(root);
}

/* check-config's framework: findings land on the line of their key, in the file that sets it. */
static void test_check(void)
{
	static const char repo_text[] = "version: 1\nclusters:\n  - name: prod\n    receivers:\n"
		"      - url: https://f/hook/1\n        token_file: /nonexistent/token\n";
	static const char sys_text[] = "notify:\n  budget_ms: 100\n";
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct gate_doc *rd = NULL, *sd = NULL;
	struct gate_check_report rep = GATE_CHECK_REPORT_INIT;
	struct gate_check_input in;
	json_t *cfg;
	size_t i;
	int found_token = 0;

	ok(gate_doc_parse(&rd, repo_text, sizeof(repo_text) - 1, 1, &lim, 0, &derr) == 0 &&
	   gate_doc_parse(&sd, sys_text, sizeof(sys_text) - 1, 1, &lim, 0, &derr) == 0, "documents parse");
	memset(&in, 0, sizeof(in));
	in.repo_path = "repo.yaml";
	in.system_path = "system.yaml";
	in.repo_doc = rd;
	in.system_doc = sd;
	gate_check_add(&rep, &in, "warning", "notify.budget_ms", "x");
	ok(rep.n == 1 && !strcmp(rep.v[0].file, "system.yaml") && rep.v[0].line == 2,
		"a key only the system file sets: system.yaml:2");
	gate_check_add(&rep, &in, "ok", "clusters[0].receivers[0].token_file", "y");
	ok(rep.n == 2 && !strcmp(rep.v[1].file, "repo.yaml") && rep.v[1].line == 6,
		"a receiver key: repo.yaml:6");
	gate_check_add(&rep, &in, "error", "clusters[0].receivers[3].url", "z");
	ok(rep.n == 3 && rep.v[2].line == 4 && rep.errors == 1 && rep.warnings == 1,
		"a missing item: the deepest line found (receivers, line 4); counts");
	gate_check_report_release(&rep);

	cfg = load("{\"clusters\":[{\"name\":\"prod\",\"receivers\":[{\"url\":\"https://f/hook/1\","
		"\"token_file\":\"/nonexistent/token\"}]}]}");
	in.config = cfg;
	ok(gate_check_run(&in, &rep) == 1, "the notify check finds one error");
	for (i = 0; i < rep.n; i++)
		if (rep.v[i].key && !strcmp(rep.v[i].key, "clusters[0].receivers[0].token_file") &&
		    !strcmp(rep.v[i].level, "error") && rep.v[i].line == 6 &&
		    strstr(rep.v[i].message, "cannot open token file"))
			found_token = 1;
	ok(found_token, "an unreadable token file, at its line");
	gate_check_report_release(&rep);
	json_decref(cfg);
	gate_doc_free(rd);
	gate_doc_free(sd);
}

/* Many deliveries written together: all on disk, no temp file left, signature kept. */
static void test_put_many(void)
{
	char *dir = gate_xasprintf("%s/outbox-many", tmp);
	struct gate_delivery d[3];
	struct gate_delivery init = GATE_DELIVERY_INIT, l = GATE_DELIVERY_INIT;
	char **ids = NULL, *cmd;
	size_t i, n = 0;
	int leftover;

	for (i = 0; i < 3; i++) {
		d[i] = init;
		gate_outbox_new_id(d[i].id);
		d[i].cluster = (char *)"prod";
		d[i].url = (char *)"http://127.0.0.1:1/api/webhook";
		d[i].format = (char *)"github";
		d[i].signature = (char *)"both";
		d[i].body = (char *)"{}";
		d[i].body_len = 2;
	}
	ok(gate_outbox_put_many(dir, d, 3) == 0, "put_many of 3");
	ok(gate_outbox_list(dir, 100, &ids, &n) == 0 && n == 3, "3 deliveries listed");
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	cmd = gate_xasprintf("ls -a '%s' | grep -q tmp", dir);
	leftover = system(cmd) == 0;
	free(cmd);
	ok(!leftover, "no temp file left");
	ok(gate_outbox_load(dir, d[1].id, &l) == 0 && l.signature && !strcmp(l.signature, "both"),
		"the signature choice is kept in the delivery");
	gate_delivery_release(&l);
	d[0].id[0] = 'X';
	ok(gate_outbox_put_many(dir, d, 1) < 0, "a bad id refused");
	free(dir);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "%s/notify-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 1;
	test_receivers();
	test_journal();
	test_outbox();
	test_notify();
	test_changes();
	test_check();
	test_put_many();
	{
		char *cmd = gate_xasprintf("rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			diag("could not remove %s", tmp);
		free(cmd);
	}
	return tap_done();
}
