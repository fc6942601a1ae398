/*
 * Unit tests of the outbox's due-time index (hooks/outbox_due.c), of the
 * receiver a queued delivery names (gate_receivers_find, receiver names)
 * and of delivery files with and without the receiver's identity.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/notify.h"
#include "gate/outbox.h"
#include "gate/receivers.h"
#include "gate/util.h"
#include "../tap.h"

static char tmp[256];

static char *index_text(const char *dir)
{
	char *path = gate_xasprintf("%s/next-due", dir), *text = NULL;
	size_t len;

	if (gate_read_file(path, 4096, &text, &len) < 0)
		text = NULL;
	else if (len && text[len - 1] == '\n')
		text[len - 1] = '\0'; /* for the test names */
	free(path);
	return text;
}

static void write_index(const char *dir, const char *text)
{
	char *path = gate_xasprintf("%s/next-due", dir);

	if (gate_write_file_replace(path, text, strlen(text), 0644, 0) < 0)
		diag("cannot write %s: %s", path, strerror(errno));
	free(path);
}

static void test_index(void)
{
	char *dir = gate_xasprintf("%s/outbox", tmp), *t;
	struct gate_outbox_scan s, s2;
	long long next = 0, now = 1000000;
	const long long wait = 3601;

	gate_mkdir_p(dir, 0755);
	ok(gate_outbox_scan_begin(dir, now, wait, 0, &s, &next) == 1 && s.mine,
		"no index: scan, and the index is marked");
	t = index_text(dir);
	ok(t && !strncmp(t, "0 1 ", 4), "marked as scanning: %s", t ? t : "(none)");
	free(t);
	ok(gate_outbox_scan_end(dir, &s, now + 60, now) == 1, "scan end");
	ok(gate_outbox_scan_begin(dir, now + 10, wait, 0, &s, &next) == 0 && next == now + 60,
		"nothing due before the earliest time: no scan");
	ok(gate_outbox_scan_begin(dir, now + 60, wait, 0, &s, &next) == 1,
		"scan once the earliest time has come");
	ok(gate_outbox_scan_end(dir, &s, GATE_OUTBOX_NONE, now + 60) == 1, "empty outbox");
	t = index_text(dir);
	ok(t && t[0] == '-', "nothing queued: %s", t ? t : "(none)");
	free(t);
	ok(gate_outbox_scan_begin(dir, now + 100, wait, 0, &s, &next) == 0 && next == GATE_OUTBOX_NONE,
		"nothing queued: no scan");
	ok(gate_outbox_scan_begin(dir, now + 100, wait, 1, &s, &next) == 1, "force (--all): scan");
	ok(gate_outbox_scan_end(dir, &s, GATE_OUTBOX_NONE, now + 100) == 1, "forced scan end");
	ok(gate_outbox_scan_begin(dir, now + 60 + GATE_OUTBOX_DUE_MAX_AGE + 100, wait, 0, &s, &next) == 1,
		"a scan older than the maximum age: scan again");
	ok(gate_outbox_scan_end(dir, &s, GATE_OUTBOX_NONE, now + 2000) == 1, "scan end");

	/* new deliveries lower it, before their files are written */
	ok(gate_outbox_due_lower(dir, now + 2500) == 0, "lower");
	ok(gate_outbox_scan_begin(dir, now + 2100, wait, 0, &s, &next) == 0 && next == now + 2500,
		"lowered to the new delivery's time");
	ok(gate_outbox_due_lower(dir, now + 9999) == 0, "a later time does not raise it");
	ok(gate_outbox_scan_begin(dir, now + 2100, wait, 0, &s, &next) == 0 && next == now + 2500,
		"still the earliest");

	/* a delivery queued while a drain scans: the drain must not set the index */
	ok(gate_outbox_scan_begin(dir, now + 2500, wait, 0, &s, &next) == 1, "scan begins");
	ok(gate_outbox_due_lower(dir, now + 2600) == 0, "a delivery queued meanwhile");
	ok(gate_outbox_scan_end(dir, &s, now + 3000, now + 2500) == 0, "scan ends, not setting it");
	ok(gate_outbox_scan_begin(dir, now + 2510, wait, 0, &s, &next) == 1,
		"the scan that may have missed it leaves the index at scan");
	/* two drains at once: only the last one to begin sets it */
	ok(gate_outbox_scan_begin(dir, now + 2510, wait, 0, &s2, &next) == 1, "a second drain scans");
	ok(gate_outbox_scan_end(dir, &s, now + 4000, now + 2510) == 0, "the first ends, not setting it");
	t = index_text(dir);
	ok(t && t[0] == '0', "the first one did not set it: %s", t ? t : "(none)");
	free(t);
	ok(gate_outbox_scan_end(dir, &s2, now + 4000, now + 2510) == 1, "the second ends");
	ok(gate_outbox_scan_begin(dir, now + 2520, wait, 0, &s, &next) == 0 && next == now + 4000,
		"the second one set it");

	/* what is not trusted: a scan only */
	write_index(dir, "garbage\n");
	ok(gate_outbox_scan_begin(dir, now + 2520, wait, 0, &s, &next) == 1, "torn index: scan");
	ok(gate_outbox_scan_end(dir, &s, now + 4000, now + 2520) == 1, "and it is rewritten");
	ok(gate_outbox_scan_begin(dir, now + 2530, wait, 0, &s, &next) == 0, "whole again");
	write_index(dir, "1004000 7 1002520");
	ok(gate_outbox_scan_begin(dir, now + 2530, wait, 0, &s, &next) == 1,
		"a line without its newline: scan");
	ok(gate_outbox_scan_end(dir, &s, now + 4000, now + 2530) == 1, "rewritten");
	ok(gate_outbox_scan_begin(dir, now - 86400, wait, 0, &s, &next) == 1,
		"the clock went back a day: the index is from the future: scan");
	ok(gate_outbox_scan_end(dir, &s, now - 86000, now - 86400) == 1, "rewritten");
	write_index(dir, "9999999999 3 1000000\n");
	ok(gate_outbox_scan_begin(dir, now + 10, wait, 0, &s, &next) == 1,
		"due further away than any backoff (written while the clock was ahead): scan");
	gate_outbox_scan_end(dir, &s, now + 20, now + 10);
	t = gate_xasprintf("%s/next-due", dir);
	unlink(t);
	free(t);
	ok(gate_outbox_due_lower(dir, now) == 0, "lowering a missing index does nothing");
	t = index_text(dir);
	ok(!t, "still missing (a missing index means a scan)");
	free(t);
	free(dir);
}

static void test_find(void)
{
	struct gate_receivers r = GATE_RECEIVERS_INIT;
	const struct gate_receiver *rv;
	json_error_t je;
	char err[512];
	json_t *root;

	root = json_loads("{\"clusters\":[{\"name\":\"prod\",\"receivers\":["
		"{\"name\":\"flux\",\"url\":\"https://flux/hook/2\",\"token_file\":\"/t\"},"
		"{\"url\":\"https://argo/api/webhook\",\"format\":\"generic\"}]}]}", 0, &je);
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) == 0, "receiver names parse (%s)", err);
	rv = gate_receivers_find(&r, "prod", "flux", "flux-generic-hmac", "https://flux/hook/1", err,
		sizeof(err));
	ok(rv && !strcmp(rv->url, "https://flux/hook/2"), "by name, whatever URL the delivery kept");
	rv = gate_receivers_find(&r, "prod", NULL, "generic", "https://argo/api/webhook", err,
		sizeof(err));
	ok(rv && !rv->name, "without a name: by format and URL");
	rv = gate_receivers_find(&r, "prod", NULL, "flux-generic-hmac", "https://flux/hook/2", err,
		sizeof(err));
	ok(rv && rv->name && !strcmp(rv->name, "flux"),
		"a delivery from before the name: by format and URL too");
	ok(!gate_receivers_find(&r, "prod", NULL, "github", "https://argo/api/webhook", err, sizeof(err)) &&
	   strstr(err, "has no github receiver at https://argo/api/webhook any more"),
		"another format is another receiver: %s", err);
	ok(!gate_receivers_find(&r, "prod", "argo", NULL, NULL, err, sizeof(err)) &&
	   strstr(err, "no receiver named \"argo\""), "an unknown name: %s", err);
	ok(!gate_receivers_find(&r, "staging", "flux", NULL, NULL, err, sizeof(err)) &&
	   strstr(err, "cluster \"staging\" is no longer in the configuration"), "an unknown cluster: %s", err);
	gate_receivers_release(&r);
	json_decref(root);

	root = json_loads("{\"clusters\":[{\"name\":\"prod\",\"receivers\":["
		"{\"name\":\"a\",\"url\":\"https://x/1\",\"format\":\"generic\"},"
		"{\"name\":\"a\",\"url\":\"https://x/2\",\"format\":\"generic\"}]}]}", 0, &je);
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 &&
	   strstr(err, "clusters[0].receivers[1].name: duplicate receiver name \"a\""),
		"a name twice in a cluster refused: %s", err);
	json_decref(root);
	root = json_loads("{\"clusters\":[{\"name\":\"prod\",\"receivers\":["
		"{\"url\":\"https://x/1\",\"format\":\"generic\"},"
		"{\"name\":\"b\",\"url\":\"https://x/1\",\"format\":\"generic\"}]}]}", 0, &je);
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) == 0,
		"the same format and URL twice still parses (check-config warns)");
	rv = gate_receivers_find(&r, "prod", NULL, "generic", "https://x/1", err, sizeof(err));
	ok(rv && !rv->name, "by format and URL: the first of them");
	gate_receivers_release(&r);
	json_decref(root);
	root = json_loads("{\"clusters\":[{\"name\":\"p\",\"receivers\":[{\"name\":\"a\",\"url\":\"https://x/1\","
		"\"format\":\"generic\"}]},{\"name\":\"q\",\"receivers\":[{\"name\":\"a\","
		"\"url\":\"https://x/1\",\"format\":\"generic\"}]}]}", 0, &je);
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) == 0, "one name in two clusters is fine");
	gate_receivers_release(&r);
	json_decref(root);
	root = json_loads("{\"clusters\":[{\"name\":\"p\",\"receivers\":[{\"name\":\"a/b\","
		"\"url\":\"https://x/1\",\"format\":\"generic\"}]}]}", 0, &je);
	ok(gate_receivers_parse(&r, root, err, sizeof(err)) < 0 && strstr(err, "not a valid receiver name"),
		"a name with a slash refused: %s", err);
	json_decref(root);
}

static void test_identity(void)
{
	char *dir = gate_xasprintf("%s/ids", tmp);
	struct gate_delivery d = GATE_DELIVERY_INIT, l = GATE_DELIVERY_INIT;
	const char *old = "{\"id\":\"00112233445566778899aabbccddeeff\",\"cluster\":\"prod\","
		"\"url\":\"https://flux/hook/1\",\"format\":\"flux-generic-hmac\",\"token_file\":\"/t\","
		"\"ca_bundle\":null,\"body\":\"{}\",\"attempts\":2,\"next_attempt_time\":5,\"created\":1}";
	char err[256];

	ok(gate_delivery_from_json(&l, old, strlen(old), err, sizeof(err)) == 0 && !l.receiver_name &&
	   !strcmp(l.url, "https://flux/hook/1") && l.attempts == 2,
		"a file of an older version (no receiver) still reads");
	gate_delivery_release(&l);
	gate_outbox_new_id(d.id);
	d.cluster = gate_xstrdup("prod");
	d.receiver_name = gate_xstrdup("flux");
	d.url = gate_xstrdup("https://flux/hook/1");
	d.format = gate_xstrdup("flux-generic-hmac");
	d.body = gate_xstrdup("{}");
	d.body_len = 2;
	ok(gate_outbox_put(dir, &d) == 0 && gate_outbox_load(dir, d.id, &l) == 0 &&
	   l.receiver_name && !strcmp(l.receiver_name, "flux"), "the receiver's name is kept");
	gate_delivery_release(&l);
	free(d.receiver_name);
	d.receiver_name = NULL;
	ok(gate_outbox_put(dir, &d) == 0 && gate_outbox_load(dir, d.id, &l) == 0 && !l.receiver_name &&
	   !strcmp(l.format, "flux-generic-hmac"), "without a name: format and URL");
	gate_delivery_release(&l);
	gate_delivery_release(&d);
	free(dir);
}

static void test_split(void)
{
	const char *added[] = { "clusters/prod/a.yaml" };
	/* a message holding the very text the split looks for */
	struct gate_push_commit c = { "0123456789012345678901234567890123456789",
		"x\",\"gitops_gate\":{\"cluster\":\"evil\"}", "2023-11-14T22:13:20Z",
		"A", "a@x", "C", "c@x", added, NULL, NULL, 1, 0, 0, 0 };
	struct gate_push_event ev = { "accepted", "refs/heads/main", "refs/heads/gitops/accepted/main",
		NULL, "0123456789012345678901234567890123456789", 0, "alice", &c, 1, &c, "main", NULL,
		0, NULL, NULL, NULL, 0, 0, 0, 0, 0 };
	char *a, *b, *g;
	size_t la, lb, lg, sa, sb, sg;

	a = gate_notify_body(&ev, GATE_FORMAT_GITHUB, "prod", "00000000000000000000000000000001", 0, &la, NULL);
	b = gate_notify_body(&ev, GATE_FORMAT_FLUX_GENERIC_HMAC, "staging-east",
		"00000000000000000000000000000002", 0, &lb, NULL);
	g = gate_notify_body(&ev, GATE_FORMAT_GITLAB, "prod", "00000000000000000000000000000003", 0, &lg, NULL);
	sa = gate_notify_body_shared(a, la);
	sb = gate_notify_body_shared(b, lb);
	sg = gate_notify_body_shared(g, lg);
	ok(sa > 0 && sa == sb && !memcmp(a, b, sa), "two receivers of the GitHub-like formats share all but the tail");
	ok(!strncmp(a + sa, ",\"gitops_gate\":{\"event\"", 23) && strstr(a + sa, "\"prod\"") &&
	   strstr(a + sa, "00000000000000000000000000000001"), "the tail names the cluster and the delivery");
	ok(!strstr(a + sa, "evil"), "a message quoting the member does not move the split");
	ok(sg > 0 && (sg != sa || memcmp(a, g, sa)), "a GitLab body is another shared part");
	ok(gate_notify_body_shared("{\"a\":1}", 7) == 0, "no member: nothing shared");
	free(a);
	free(b);
	free(g);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "%s/outbox-due-test.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		return 1;
	test_index();
	test_find();
	test_identity();
	test_split();
	{
		char *cmd = gate_xasprintf("rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			diag("could not remove %s", tmp);
		free(cmd);
	}
	return tap_done();
}
