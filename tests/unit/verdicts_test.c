/*
 * verdicts_test: the verdict cache gives back exactly what was stored, never
 * a torn or foreign record, and keys separate blobs, fingerprints and groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/util.h"
#include "gate/verdicts.h"
#include "../tap.h"

static void make_results(struct gate_results *rs)
{
	struct gate_result *r = gate_results_add(rs);
	struct gate_problem *p;

	r->filename = gate_xstrdup("apps/web.yaml");
	r->line = 3;
	r->api_version = gate_xstrdup("apps/v1");
	r->kind = gate_xstrdup("Deployment");
	r->name = gate_xstrdup("web");
	r->status = GATE_STATUS_INVALID;
	r->msg = gate_xstrdup("problem validating schema");
	gate_result_add_problem(r, "/spec/replicas", 12, 5, "schema", GATE_SEV_DENY,
		"expected integer, got string");
	p = gate_result_add_problem(r, NULL, 0, 0, "image-tag-latest", GATE_SEV_WARN,
		"image \"nginx\" has no tag \x01");
	p->suppressed = gate_xstrdup("approved by ops");
	r = gate_results_add(rs);
	r->filename = gate_xstrdup("apps/web.yaml");
	r->line = 20;
	r->kind = gate_xstrdup("Service");
	r->status = GATE_STATUS_VALID;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_results(const struct gate_results *a, const struct gate_results *b,
	const char *filename)
{
	size_t i, k;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct gate_result *x = &a->v[i], *y = &b->v[i];
		if (!same_str(y->filename, filename) || x->line != y->line ||
		    !same_str(x->api_version, y->api_version) || !same_str(x->kind, y->kind) ||
		    !same_str(x->name, y->name) || !same_str(x->namespace_, y->namespace_) ||
		    x->status != y->status || !same_str(x->msg, y->msg) ||
		    x->nproblems != y->nproblems)
			return 0;
		for (k = 0; k < x->nproblems; k++) {
			const struct gate_problem *p = &x->problems[k], *q = &y->problems[k];
			if (!same_str(p->pointer, q->pointer) || p->line != q->line || p->col != q->col ||
			    !same_str(p->rule, q->rule) || p->severity != q->severity ||
			    !same_str(p->message, q->message) || !same_str(p->suppressed, q->suppressed))
				return 0;
		}
	}
	return 1;
}

int main(void)
{
	char tmpl[] = "/tmp/verdicts_test.XXXXXX";
	char *dir, *path, *buf = NULL;
	char k1[GATE_SHA256_HEX], k2[GATE_SHA256_HEX], k3[GATE_SHA256_HEX], k4[GATE_SHA256_HEX];
	struct gate_results rs = GATE_RESULTS_INIT, got = GATE_RESULTS_INIT;
	struct gate_verdicts *vc = NULL;
	struct gate_verdicts_stats st;
	size_t good, bad, tmp, len;
	FILE *f;

	if (!mkdtemp(tmpl))
		return 99;
	dir = gate_xasprintf("%s/cache", tmpl);
	make_results(&rs);
	gate_verdicts_key(k1, "1111111111111111111111111111111111111111", "fp", 0);
	gate_verdicts_key(k2, "1111111111111111111111111111111111111111", "fp", 1);
	gate_verdicts_key(k3, "1111111111111111111111111111111111111111", "fp2", 0);
	gate_verdicts_key(k4, "2111111111111111111111111111111111111111", "fp", 0);
	ok(strlen(k1) == 64, "a key is 64 hex digits");
	ok(strcmp(k1, k2) && strcmp(k1, k3) && strcmp(k1, k4) && strcmp(k2, k3),
		"group, fingerprint and blob each change the key");
	gate_verdicts_key(k2, "1111111111111111111111111111111111111111", "fp", 0);
	ok(!strcmp(k1, k2), "the same inputs give the same key");

	gate_verdicts_open(&vc, dir);
	ok(gate_verdicts_get(vc, k1, "x.yaml", &got) == 0 && got.n == 0, "empty cache: miss");
	ok(gate_verdicts_put(vc, k1, rs.v, rs.n) == 0, "put writes a record");
	ok(gate_verdicts_get(vc, k1, "renamed/web.yaml", &got) == 1, "then get hits");
	ok(same_results(&rs, &got, "renamed/web.yaml"),
		"every field comes back identical, with the caller's file name");
	gate_results_release(&got);
	ok(gate_verdicts_get(vc, k3, "x.yaml", &got) == 0, "another key misses");

	/* a record copied under another key's name is not that key's verdict */
	path = gate_xasprintf("%s/%.2s/%s", dir, k1, k1 + 2);
	ok(gate_read_file(path, 1 << 20, &buf, &len) == 0, "record readable");
	{
		char *other = gate_xasprintf("%s/%.2s", dir, k3);
		char *opath = gate_xasprintf("%s/%.2s/%s", dir, k3, k3 + 2);
		gate_mkdir_p(other, 0777);
		gate_write_file_atomic(opath, buf, len, 0644);
		ok(gate_verdicts_get(vc, k3, "x.yaml", &got) == 0 && got.n == 0,
			"a record under the wrong name is a miss");
		unlink(opath);
		free(other);
		free(opath);
	}
	/* torn record: cut in the middle of the body */
	f = fopen(path, "w");
	fwrite(buf, 1, len / 2, f);
	fclose(f);
	ok(gate_verdicts_get(vc, k1, "x.yaml", &got) == 0 && got.n == 0, "a torn record is a miss");
	ok(gate_verdicts_check(dir, &good, &bad, &tmp) == 0 && good == 0 && bad == 1,
		"check counts the torn record as bad");
	/* one flipped byte in the body keeps the length but breaks the sum */
	buf[len - 3] ^= 0x20;
	f = fopen(path, "w");
	fwrite(buf, 1, len, f);
	fclose(f);
	ok(gate_verdicts_get(vc, k1, "x.yaml", &got) == 0 && got.n == 0, "a changed byte is a miss");
	gate_verdicts_get_stats(vc, &st);
	ok(st.corrupt == 3 && st.hits == 1 && st.written == 1, "stats count hits, corrupt and writes");
	ok(gate_verdicts_put(vc, k1, rs.v, rs.n) == 0 &&
	   gate_verdicts_get(vc, k1, "y.yaml", &got) == 1 && same_results(&rs, &got, "y.yaml"),
		"rewriting repairs the record");
	ok(gate_verdicts_check(dir, &good, &bad, &tmp) == 0 && good == 1 && bad == 0 && tmp == 0,
		"check: one good record, nothing else");

	gate_results_release(&got);
	gate_results_release(&rs);
	gate_verdicts_free(vc);
	free(buf);
	free(path);
	{
		char *cmd = gate_xasprintf("rm -rf '%s'", tmpl);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpl);
		free(cmd);
	}
	free(dir);
	return tap_done();
}
