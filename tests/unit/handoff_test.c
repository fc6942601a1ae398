/*
 * handoff_test: a hand-over reads back as written, is plain JSON for other
 * readers, and a torn, altered or unsigned file is never taken for a
 * verdict (gate_handoff_read() says unreadable, post-receive judges again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/handoff.h"
#include "gate/util.h"
#include "../tap.h"

static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;

	if (gate_read_file(path, 1u << 20, &buf, len) < 0)
		return NULL;
	return buf;
}

static int spit(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(buf, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int main(void)
{
	char tmpl[] = "/tmp/gate-handoff-test.XXXXXX";
	char *dir = mkdtemp(tmpl), *path, *buf, *cmd, msg[512];
	struct gate_judged_ref r;
	struct gate_judged_commit cm;
	struct gate_handoff_meta m;
	const char *oldh = "1111111111111111111111111111111111111111";
	const char *newh = "2222222222222222222222222222222222222222";
	json_t *h = NULL, *plain;
	json_error_t je;
	size_t len, cut;
	int rc;

	if (!dir) {
		printf("Bail out! no temp dir\n");
		return 1;
	}
	memset(&r, 0, sizeof(r));
	memset(&cm, 0, sizeof(cm));
	r.update.ref = gate_xstrdup("refs/heads/main");
	git_oid_fromstr(&r.update.old_id, oldh);
	git_oid_fromstr(&r.update.new_id, newh);
	snprintf(r.update.old_hex, sizeof(r.update.old_hex), "%s", oldh);
	snprintf(r.update.new_hex, sizeof(r.update.new_hex), "%s", newh);
	r.gated = 1;
	r.nproblems = 1;
	r.nwarnings = 2;
	git_oid_fromstr(&cm.id, newh);
	snprintf(cm.hex, sizeof(cm.hex), "%s", newh);
	cm.nproblems = 1;
	cm.nwarnings = 2;
	r.commits = &cm;
	r.ncommits = 1;
	memset(&m, 0, sizeof(m));
	m.pusher = "alice \"the admin\"";
	m.bypass = "incident 42";
	m.fingerprint = "fp";
	m.time = 1700000000;

	ok(gate_handoff_read(&h, dir, r.update.ref, oldh, newh, msg, sizeof(msg)) == 0 && !h,
		"no hand-over yet: 0");
	ok(gate_handoff_write(dir, &r, &m, msg, sizeof(msg)) == 0, "written");
	rc = gate_handoff_read(&h, dir, r.update.ref, oldh, newh, msg, sizeof(msg));
	ok(rc == 1 && h, "read back: 1");
	ok(h && json_is_true(json_object_get(h, "accepted")) &&
		!strcmp(json_string_value(json_object_get(h, "pusher")), "alice \"the admin\"") &&
		!strcmp(json_string_value(json_object_get(h, "bypass")), "incident 42") &&
		json_integer_value(json_object_get(h, "problems")) == 1 &&
		json_array_size(json_object_get(h, "commits")) == 1,
		"with what was written");
	json_decref(h);
	h = NULL;

	path = gate_handoff_path(dir, r.update.ref, oldh, newh);
	buf = slurp(path, &len);
	ok(buf && !strncmp(buf, "{\"sum\":\"", 8), "the sum comes first");
	plain = buf ? json_loadb(buf, len, 0, &je) : NULL;
	ok(json_is_object(plain) && json_is_string(json_object_get(plain, "sum")) &&
		!strcmp(json_string_value(json_object_get(plain, "ref")), "refs/heads/main"),
		"plain JSON for other readers (reconcile)");
	json_decref(plain);

	/* one byte changed, anywhere after the sum */
	if (buf) {
		char *bad = gate_xstrdup(buf);
		char *at = strstr(bad, "\"problems\":1");
		if (at)
			at[11] = '7';
		ok(at && spit(path, bad, len) == 0 &&
			gate_handoff_read(&h, dir, r.update.ref, oldh, newh, msg, sizeof(msg)) == -1 && !h,
			"an altered count is refused: -1");
		ok(strstr(msg, "sum does not match") != NULL, "saying so: %s", msg);
		free(bad);
	}
	/* torn: every shorter prefix, as a crash may leave it */
	for (cut = 0, rc = 0; buf && cut < len; cut += 7) {
		if (spit(path, buf, cut) < 0 ||
		    gate_handoff_read(&h, dir, r.update.ref, oldh, newh, msg, sizeof(msg)) != -1 || h)
			rc++;
		json_decref(h);
		h = NULL;
	}
	ok(buf && rc == 0, "every torn prefix is refused");
	/* the object without its sum: not trusted either */
	if (buf) {
		const char *rest = strchr(buf + 8, ',');
		char *unsigned_text = rest ? gate_xasprintf("{%s", rest + 1) : NULL;
		json_t *j2 = unsigned_text ? json_loadb(unsigned_text, strlen(unsigned_text), 0, &je) : NULL;
		ok(j2 && spit(path, unsigned_text, strlen(unsigned_text)) == 0 &&
			gate_handoff_read(&h, dir, r.update.ref, oldh, newh, msg, sizeof(msg)) == -1,
			"a hand-over without its sum is refused");
		json_decref(j2);
		free(unsigned_text);
	}
	/* intact again, then removed */
	ok(buf && spit(path, buf, len) == 0 &&
		gate_handoff_read(&h, dir, r.update.ref, oldh, newh, msg, sizeof(msg)) == 1,
		"the intact text reads again");
	json_decref(h);
	h = NULL;
	ok(gate_handoff_read(&h, dir, "refs/heads/other", oldh, newh, msg, sizeof(msg)) == 0,
		"another ref has none");
	ok(gate_handoff_remove(dir, r.update.ref, oldh, newh) == 0 && access(path, F_OK) != 0,
		"removed");
	ok(gate_handoff_remove(dir, r.update.ref, oldh, newh) == 0, "removing again is fine");

	free(buf);
	free(path);
	free(r.update.ref);
	cmd = gate_xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	return tap_done();
}
