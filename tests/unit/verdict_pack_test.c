/*
 * verdict_pack_test: verdict packs (hooks/verdict_pack.h).  A deferred flush
 * of 256 records or more writes one pack and no record file; each record
 * comes back as put (notes too), its bytes those of an immediate put's
 * record file; cache-check counts them.  A record whose bytes are damaged is
 * a miss (counted corrupt), the others still hit; a pack cut short is
 * ignored (all misses) and counted bad.  Fewer records are files as before.
 * The 9th pack takes in the 8 before it, which are removed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/util.h"
#include "gate/verdicts.h"
#include "../../hooks/verdict_pack.h"
#include "../tap.h"

#define N 300

static void make_results(struct gate_results *rs, int i)
{
	struct gate_result *r = gate_results_add(rs);

	r->filename = gate_xstrdup("apps/web.yaml");
	r->line = (uint32_t)i;
	r->kind = gate_xstrdup("Deployment");
	r->name = gate_xasprintf("web-%d", i);
	r->status = i % 3 ? GATE_STATUS_VALID : GATE_STATUS_INVALID;
	if (i % 3 == 0) {
		r->msg = gate_xasprintf("problem %d", i);
		gate_result_add_problem(r, "/spec/replicas", 12, 5, "schema", GATE_SEV_DENY, "expected integer");
	}
}

static int same_results(const struct gate_results *a, const struct gate_results *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		const struct gate_result *x = &a->v[i], *y = &b->v[i];
		if (x->line != y->line || x->status != y->status || strcmp(x->name, y->name) ||
		    (!x->msg) != (!y->msg) || (x->msg && strcmp(x->msg, y->msg)) || x->nproblems != y->nproblems)
			return 0;
	}
	return 1;
}

static void key_of(char key[GATE_SHA256_HEX], int i, const char *fp)
{
	char blob[41];

	snprintf(blob, sizeof(blob), "%040d", i);
	gate_verdicts_key(key, blob, fp, 0);
}

/* Files under dir/packs ending in .pack, and record files under dir/xx/. */
static void count_files(const char *dir, size_t *packs, size_t *records)
{
	char *pd = gate_xasprintf("%s/packs", dir);
	DIR *d;
	struct dirent *e;
	int i;

	*packs = *records = 0;
	if ((d = opendir(pd))) {
		while ((e = readdir(d)))
			if (strstr(e->d_name, ".pack"))
				(*packs)++;
		closedir(d);
	}
	free(pd);
	for (i = 0; i < 256; i++) {
		char *sub = gate_xasprintf("%s/%02x", dir, i);
		if ((d = opendir(sub))) {
			while ((e = readdir(d)))
				if (e->d_name[0] != '.')
					(*records)++;
			closedir(d);
		}
		free(sub);
	}
}

/* Put n deferred records (keys from first, fingerprint fp) into dir and flush; the flush's failures. */
static size_t put_flush(const char *dir, int first, int n, const char *fp)
{
	struct gate_verdicts *vc = NULL;
	size_t failed;
	int i;

	gate_verdicts_open(&vc, dir);
	gate_verdicts_defer(vc, 1);
	for (i = first; i < first + n; i++) {
		struct gate_results rs = GATE_RESULTS_INIT;
		char key[GATE_SHA256_HEX];
		key_of(key, i, fp);
		make_results(&rs, i);
		gate_verdicts_put_note(vc, key, rs.v, rs.n, i % 2 ? "facts note" : NULL);
		gate_results_release(&rs);
	}
	failed = gate_verdicts_flush(vc);
	gate_verdicts_free(vc);
	return failed;
}

/* How many of keys first..first+n (fingerprint fp) come back as put (and their notes). */
static int hits(const char *dir, int first, int n, const char *fp, struct gate_verdicts_stats *st)
{
	struct gate_verdicts *vc = NULL;
	int i, good = 0;

	gate_verdicts_open(&vc, dir);
	for (i = first; i < first + n; i++) {
		struct gate_results want = GATE_RESULTS_INIT, got = GATE_RESULTS_INIT;
		char key[GATE_SHA256_HEX], *note = NULL;
		key_of(key, i, fp);
		make_results(&want, i);
		if (gate_verdicts_get_note(vc, key, "x.yaml", &got, &note) == 1 && same_results(&want, &got) &&
		    (i % 2 ? note && !strcmp(note, "facts note") : !note))
			good++;
		free(note);
		gate_results_release(&want);
		gate_results_release(&got);
	}
	gate_verdicts_get_stats(vc, st);
	gate_verdicts_free(vc);
	return good;
}

/* The pack's one file name under dir/packs (caller frees), or NULL. */
static char *the_pack(const char *dir)
{
	char *pd = gate_xasprintf("%s/packs", dir), *path = NULL;
	DIR *d = opendir(pd);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".pack") && !path)
			path = gate_xasprintf("%s/%s", pd, e->d_name);
	if (d)
		closedir(d);
	free(pd);
	return path;
}

int main(void)
{
	char t1[] = "/tmp/verdict_pack_test.XXXXXX", t2[] = "/tmp/verdict_pack_now.XXXXXX";
	char t3[] = "/tmp/verdict_pack_merge.XXXXXX";
	char *dir = mkdtemp(t1), *dnow = mkdtemp(t2), *dmerge = mkdtemp(t3), *cmd, *pack, *buf = NULL, *file = NULL;
	struct gate_verdicts_stats st;
	size_t packs, records, good, bad, tmp, len = 0, flen = 0;
	struct gate_vpacks ps;
	const char *rec;
	size_t rlen;
	char key[GATE_SHA256_HEX];
	int i;

	if (!dir || !dnow || !dmerge) {
		printf("Bail out! no temp dir\n");
		return 1;
	}
	ok(put_flush(dir, 0, N, "fp") == 0, "a flush of %d records", N);
	count_files(dir, &packs, &records);
	ok(packs == 1 && records == 0, "one pack, no record file (%zu, %zu)", packs, records);
	ok(hits(dir, 0, N, "fp", &st) == N && st.hits == N && st.corrupt == 0,
		"every record comes back as put, notes too");
	ok(gate_verdicts_check(dir, &good, &bad, &tmp) == 0 && good == N && bad == 0 && tmp == 0,
		"cache-check: %d good", N);

	/* the bytes of a record in the pack are those of a record file */
	{
		struct gate_verdicts *now = NULL;
		struct gate_results rs = GATE_RESULTS_INIT;
		char *rpath;
		key_of(key, 7, "fp");
		make_results(&rs, 7);
		gate_verdicts_open(&now, dnow);
		gate_verdicts_put_note(now, key, rs.v, rs.n, "facts note");
		gate_verdicts_free(now);
		gate_results_release(&rs);
		rpath = gate_xasprintf("%s/%.2s/%s", dnow, key, key + 2);
		memset(&ps, 0, sizeof(ps));
		gate_vpacks_load(&ps, dir);
		ok(gate_read_file(rpath, 1u << 20, &file, &flen) == 0 && gate_vpacks_find(&ps, key, &rec, &rlen) &&
			rlen == flen && !memcmp(rec, file, flen), "a packed record: the bytes of a record file");
		ok(gate_vpacks_count(&ps) == N, "the pack lists %d keys", N);
		gate_vpacks_release(&ps);
		free(rpath);
	}

	/* one record damaged: a miss, the others hit */
	pack = the_pack(dir);
	key_of(key, 11, "fp");
	memset(&ps, 0, sizeof(ps));
	gate_vpacks_load(&ps, dir);
	if (gate_read_file(pack, 64u << 20, &buf, &len) == 0 && gate_vpacks_find(&ps, key, &rec, &rlen)) {
		/* the record holds its key: found once in the file */
		char *at = memmem(buf, len, rec, rlen);
		if (at) {
			at[rlen - 3] = at[rlen - 3] == 'x' ? 'y' : 'x';
			gate_write_file_replace(pack, buf, len, 0666, 0);
		}
	}
	gate_vpacks_release(&ps);
	ok(hits(dir, 0, N, "fp", &st) == N - 1 && st.corrupt == 1, "a damaged record is a miss, counted corrupt");
	ok(hits(dir, 11, 1, "fp", &st) == 0, "...that one");
	ok(gate_verdicts_check(dir, &good, &bad, &tmp) == 0 && good == N - 1 && bad == 1,
		"cache-check: %d good, 1 bad", N - 1);

	/* cut short: ignored */
	gate_write_file_replace(pack, buf, len / 2, 0666, 0);
	ok(hits(dir, 0, N, "fp", &st) == 0, "a pack cut short is ignored: all misses");
	ok(gate_verdicts_check(dir, &good, &bad, &tmp) == 0 && good == 0 && bad == 1,
		"cache-check: the pack is bad");
	free(pack);

	/* a small flush: record files */
	ok(put_flush(dir, 1000, 10, "fp") == 0, "a flush of 10 records");
	count_files(dir, &packs, &records);
	ok(packs == 1 && records == 10, "are 10 record files");
	ok(hits(dir, 1000, 10, "fp", &st) == 10, "which come back");

	/* merging: 8 packs, then the 9th takes them in */
	for (i = 0; i < 8; i++)
		put_flush(dmerge, i * 256, 256, "m");
	count_files(dmerge, &packs, &records);
	ok(packs == 8 && records == 0, "8 packs of 256");
	ok(put_flush(dmerge, 8 * 256, 256, "m") == 0, "a 9th flush");
	count_files(dmerge, &packs, &records);
	ok(packs == 1, "one pack is left (%zu)", packs);
	ok(hits(dmerge, 0, 9 * 256, "m", &st) == 9 * 256, "with every record of the 9");
	ok(gate_verdicts_check(dmerge, &good, &bad, &tmp) == 0 && good == 9 * 256 && bad == 0,
		"cache-check: %d good", 9 * 256);

	free(buf);
	free(file);
	cmd = gate_xasprintf("rm -rf '%s' '%s' '%s'", dir, dnow, dmerge);
	if (system(cmd) != 0)
		diag("could not remove the temp dirs");
	free(cmd);
	return tap_done();
}
