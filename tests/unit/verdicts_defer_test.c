/*
 * verdicts_defer_test: deferred verdict records.  gate_verdicts_put() with
 * defer keeps a copy of the results (the caller may free or change its own
 * at once), nothing is on disk before gate_verdicts_flush(), and the
 * flushed records give back exactly what was put, byte for byte the same
 * record as an immediate put writes.  A record over the size limit is
 * counted as a failure at flush.  Notes kept with a record come back with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate/util.h"
#include "gate/verdicts.h"
#include "../tap.h"

static void make_results(struct gate_results *rs, const char *msg)
{
	struct gate_result *r = gate_results_add(rs);
	struct gate_problem *p;

	r->filename = gate_xstrdup("apps/web.yaml");
	r->line = 3;
	r->api_version = gate_xstrdup("apps/v1");
	r->kind = gate_xstrdup("Deployment");
	r->name = gate_xstrdup("web");
	r->namespace_ = gate_xstrdup("prod");
	r->status = GATE_STATUS_INVALID;
	r->msg = gate_xstrdup(msg);
	gate_result_add_problem(r, "/spec/replicas", 12, 5, "schema", GATE_SEV_DENY,
		"expected integer, got string");
	p = gate_result_add_problem(r, NULL, 0, 0, "liveness-probe", GATE_SEV_WARN, "no probe \"\x01\"");
	p->suppressed = gate_xstrdup("known");
	r = gate_results_add(rs);
	r->filename = gate_xstrdup("apps/web.yaml");
	r->status = GATE_STATUS_EMPTY;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_results(const struct gate_results *a, const struct gate_results *b)
{
	size_t i, k;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct gate_result *x = &a->v[i], *y = &b->v[i];
		if (x->line != y->line || !same_str(x->api_version, y->api_version) ||
		    !same_str(x->kind, y->kind) || !same_str(x->name, y->name) ||
		    !same_str(x->namespace_, y->namespace_) || x->status != y->status ||
		    !same_str(x->msg, y->msg) || x->nproblems != y->nproblems)
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

static char *record_of(const char *dir, const char *key, size_t *len)
{
	char *path = gate_xasprintf("%s/%.2s/%s", dir, key, key + 2), *buf = NULL;

	if (gate_read_file(path, 1u << 20, &buf, len) < 0)
		buf = NULL;
	free(path);
	return buf;
}

int main(void)
{
	char t1[] = "/tmp/verdicts_defer_test.XXXXXX", t2[] = "/tmp/verdicts_defer_now.XXXXXX";
	char *dnow = mkdtemp(t2), *ddef = mkdtemp(t1), *cmd, *a, *b, *huge;
	char k1[GATE_SHA256_HEX], k2[GATE_SHA256_HEX], k3[GATE_SHA256_HEX];
	struct gate_results rs = GATE_RESULTS_INIT, want = GATE_RESULTS_INIT, got = GATE_RESULTS_INIT;
	struct gate_verdicts *now = NULL, *def = NULL;
	struct gate_verdicts_stats st;
	size_t la = 0, lb = 0, good, bad, tmp;

	if (!ddef || !dnow) {
		printf("Bail out! no temp dir\n");
		return 1;
	}
	gate_verdicts_key(k1, "1111111111111111111111111111111111111111", "fp", 0);
	gate_verdicts_key(k2, "2222222222222222222222222222222222222222", "fp", 0);
	gate_verdicts_key(k3, "3333333333333333333333333333333333333333", "fp", 0);
	gate_verdicts_open(&now, dnow);
	gate_verdicts_open(&def, ddef);
	gate_verdicts_defer(def, 1);

	make_results(&rs, "problem validating schema");
	make_results(&want, "problem validating schema");
	ok(gate_verdicts_put(now, k1, rs.v, rs.n) == 0, "an immediate put writes");
	ok(gate_verdicts_put(def, k1, rs.v, rs.n) == 0 && gate_verdicts_pending(def) == 1,
		"a deferred put waits: 1 pending");
	/* the caller's results may go at once */
	gate_results_release(&rs);
	make_results(&rs, "something else entirely");
	ok(gate_verdicts_get(def, k1, "x.yaml", &got) == 0 && !got.n, "nothing to read before the flush");
	ok(gate_verdicts_put(def, k2, rs.v, 0) == 0, "an empty verdict is deferred too");

	/* a record over the limit: counted at flush */
	huge = gate_xmalloc(GATE_VERDICT_MAX_BYTES + 2);
	memset(huge, 'x', GATE_VERDICT_MAX_BYTES + 1);
	huge[GATE_VERDICT_MAX_BYTES + 1] = '\0';
	free(rs.v[0].msg);
	rs.v[0].msg = huge;
	ok(gate_verdicts_put(def, k3, rs.v, rs.n) == 0 && gate_verdicts_pending(def) == 3,
		"a huge one is accepted for later");
	ok(gate_verdicts_flush(def) == 1 && gate_verdicts_pending(def) == 0, "flush: one failure, none left");
	gate_verdicts_get_stats(def, &st);
	ok(st.written == 2 && st.write_failures == 1, "stats: 2 written, 1 failure");

	ok(gate_verdicts_get(def, k1, "x.yaml", &got) == 1 && same_results(&want, &got) &&
		!strcmp(got.v[0].filename, "x.yaml"), "the flushed record gives back what was put");
	gate_results_release(&got);
	ok(gate_verdicts_get(def, k2, "x.yaml", &got) == 1 && got.n == 0, "the empty one too");
	ok(gate_verdicts_get(def, k3, "x.yaml", &got) == 0, "the huge one was not written");
	a = record_of(dnow, k1, &la);
	b = record_of(ddef, k1, &lb);
	ok(a && b && la == lb && !memcmp(a, b, la), "the same bytes as an immediate put");
	ok(gate_verdicts_check(ddef, &good, &bad, &tmp) == 0 && good == 2 && bad == 0 && tmp == 0,
		"cache-check: 2 good records");

	/* notes: kept with the record, deferred or not */
	{
		char k4[GATE_SHA256_HEX], k5[GATE_SHA256_HEX], *note = NULL;
		gate_verdicts_key(k4, "4444444444444444444444444444444444444444", "fp", 0);
		gate_verdicts_key(k5, "5555555555555555555555555555555555555555", "fp", 0);
		gate_results_release(&got);
		ok(gate_verdicts_put_note(def, k4, want.v, want.n, "gf1;0;0;0;0;0;. caf\xc3\xa9") == 0 &&
			gate_verdicts_put_note(def, k5, want.v, want.n, "bad \xff utf-8") == 0 &&
			gate_verdicts_flush(def) == 0, "two records with notes, flushed");
		ok(gate_verdicts_get_note(def, k4, "y.yaml", &got, &note) == 1 && same_results(&want, &got) &&
			note && !strcmp(note, "gf1;0;0;0;0;0;. caf\xc3\xa9"), "the note comes back with the results");
		free(note);
		note = NULL;
		gate_results_release(&got);
		ok(gate_verdicts_get(def, k4, "y.yaml", &got) == 1 && same_results(&want, &got),
			"a plain get reads a record with a note");
		gate_results_release(&got);
		ok(gate_verdicts_get_note(def, k5, "y.yaml", &got, &note) == 1 && !note &&
			same_results(&want, &got), "a note that is no UTF-8 is left out, the record kept");
		gate_results_release(&got);
		ok(gate_verdicts_get_note(def, k1, "y.yaml", &got, &note) == 1 && !note,
			"a record without a note: NULL");
		ok(gate_verdicts_put_note(now, k4, want.v, want.n, "gf1;0;0;0;0;0;. caf\xc3\xa9") == 0,
			"an immediate put with a note");
		free(a);
		free(b);
		a = record_of(dnow, k4, &la);
		b = record_of(ddef, k4, &lb);
		ok(a && b && la == lb && !memcmp(a, b, la), "the same bytes deferred or not");
		ok(gate_verdicts_check(ddef, &good, &bad, &tmp) == 0 && good == 4 && bad == 0,
			"cache-check: records with notes are good");
	}

	free(a);
	free(b);
	gate_results_release(&rs);
	gate_results_release(&want);
	gate_results_release(&got);
	gate_verdicts_free(now);
	gate_verdicts_free(def);
	cmd = gate_xasprintf("rm -rf '%s' '%s'", ddef, dnow);
	if (system(cmd) != 0)
		diag("could not remove the temp dirs");
	free(cmd);
	return tap_done();
}
