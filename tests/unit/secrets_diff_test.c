/*
 * secrets_diff_test: the secret scan's fast passes (validate/policy_secrets.c:
 * the 16-byte prefilter pass and the early refusal of keys in the
 * `key: value` scanner) against the plain per-byte passes they replaced,
 * kept in the library behind gate_policy.secret_scan_ref.  Both must agree
 * exactly: where each rule's literals first occur, and the whole scan's
 * problems (rule, place, message, order), on random inputs made of the
 * literals, secrets, keys and random bytes, on large inputs across the
 * scan's windows, fed whole and in pieces, and on every file under the
 * folders given as arguments (tests/unit/secrets_diff.sh: both corpora, the
 * goldens, a benchmark fleet, our tests; NAME=DIR[,DIR...]).  Any difference fails.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/policy.h"
#include "gate/result.h"
#include "gate/util.h"
#include "../../validate/policy_int.h"
#include "../tap.h"

static struct gate_policy *pol;
static size_t nfiles, nbytes, nfindings, ndiffs;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* the problems of one scan as text */
static char *dump(const struct gate_result *r)
{
	struct gate_buf b = GATE_BUF_INIT;
	size_t i;
	char *s;

	gate_buf_addf(&b, "status %d\n", (int)r->status);
	for (i = 0; i < r->nproblems; i++) {
		const struct gate_problem *x = &r->problems[i];

		gate_buf_addf(&b, "%u:%u %s %d %s\n", x->line, x->col, x->rule ? x->rule : "",
			(int)x->severity, x->message ? x->message : "");
	}
	s = gate_xstrndup(b.ptr ? b.ptr : "", b.len);
	gate_buf_release(&b);
	return s;
}

/* scan buf whole (piece == 0) or fed in pieces of up to piece bytes; ref: the plain passes */
static char *scan(const char *buf, size_t len, size_t piece, int ref, size_t *nprob)
{
	struct gate_result res;
	char *s;

	memset(&res, 0, sizeof(res));
	pol->secret_scan_ref = ref;
	if (!piece) {
		gate_policy_scan_secrets(pol, "f.yaml", buf, len, &res);
	} else {
		struct gate_policy_scan *sc = gate_policy_scan_start(pol, "f.yaml", &res);
		size_t off = 0;

		while (off < len) {
			size_t n = 1 + rnd((uint32_t)piece);

			if (n > len - off)
				n = len - off;
			gate_policy_scan_feed(sc, buf + off, n);
			off += n;
		}
		gate_policy_scan_finish(sc);
	}
	pol->secret_scan_ref = 0;
	*nprob = res.nproblems;
	s = dump(&res);
	gate_result_release(&res);
	return s;
}

/* 1 when both passes agree on buf; counts what they found */
static int same(const char *what, const char *buf, size_t len, size_t piece)
{
	size_t a[NSECRET_RULES], b[NSECRET_RULES], na, nb, r;
	char *x, *y;
	int eq;

	policy_secrets_first_hits(buf, len, a);
	policy_secrets_first_hits_ref(buf, len, b);
	for (r = 0; r < NSECRET_RULES; r++)
		if (a[r] != b[r]) {
			diag("%s: rule %zu first hit %zu, plain pass %zu", what, r, a[r], b[r]);
			ndiffs++;
			return 0;
		}
	x = scan(buf, len, piece, 0, &na);
	y = scan(buf, len, piece, 1, &nb);
	eq = !strcmp(x, y);
	if (!eq) {
		diag("%s: the scans differ:\n--- fast\n%s--- plain\n%s", what, x, y);
		ndiffs++;
	}
	nfindings += na;
	free(x);
	free(y);
	return eq;
}

static const char *const tokens[] = {
	"-----BEGIN", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "---",
	"AKIA", "AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A", "A3TZ", "ABIA", "ACCA",
	"ghp_", "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "github_pat_", "gho_", "gh",
	"glpat-", "glpat-AbCdEfGhIjKlMnOpQrSt", "gl", "gldt-", "xox", "xoxb-1234567890-abcdefghij",
	"https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", "hooks.slack.com",
	"eyJ", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
	"ho", "ey", "key", "password", "db_password: ", "API_TOKEN=", "token: \"", "secret: '",
	"apiKey: ", "credentials=", "passwd=", "PWD: ", "credential: ", "access-key=", "AccessKey: ",
	"secretkey: ", "private-key: ", "Secret_Key=", "api-key: ", "labels: ", "Keys: ", "PRIVATE_KEY: ", "Zx8#kQ2!mW9vL4pR", "f3a9c1e07b2d4c58a6e1",
	"${VAR}", "my-app-token", ":", "=", "::", "\"", "'", " ", "  ", "\t", "\n", "\n", "\n", "- ",
	"name: x\n", "kind: Secret\n", "apiVersion: v1\n",
};

/* random text of about n bytes */
static char *random_text(size_t n, size_t *len)
{
	struct gate_buf b = GATE_BUF_INIT;
	char *s;

	while (b.len < n) {
		uint32_t k = rnd(10);

		if (k < 6) {
			gate_buf_adds(&b, tokens[rnd(sizeof(tokens) / sizeof(tokens[0]))]);
		} else if (k < 8) {
			uint32_t m = 1 + rnd(30);

			while (m--)
				gate_buf_addc(&b, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."[rnd(65)]);
		} else {
			gate_buf_addc(&b, (char)rnd(256));
		}
	}
	*len = b.len;
	s = gate_xmalloc(b.len + 1);
	if (b.len)
		memcpy(s, b.ptr, b.len);
	s[b.len] = '\0';
	gate_buf_release(&b);
	return s;
}

static void test_random(void)
{
	size_t i, len, bad = 0, found0 = nfindings;
	char what[64];

	for (i = 0; i < 20000; i++) {
		char *t = random_text(rnd(i < 2000 ? 40 : 3000), &len);

		snprintf(what, sizeof(what), "random input %zu", i);
		if (!same(what, t, len, i % 3 ? 0 : 1 + rnd(100)))
			bad++;
		free(t);
	}
	ok(!bad, "20000 random inputs: the fast and the plain passes agree (%zu differ)", bad);
	ok(nfindings - found0 > 20000, "the random inputs hold secrets (%zu found)", nfindings - found0);
}

/* inputs larger than the scan's window (1 MiB): secrets across the window's edges */
static void test_large(void)
{
	size_t i, len, bad = 0;
	char what[64];

	for (i = 0; i < 6; i++) {
		char *t = random_text((size_t)(1u << 20) * (1 + i % 3) + rnd(9000), &len);

		snprintf(what, sizeof(what), "large input %zu", i);
		if (!same(what, t, len, i % 2 ? 0 : 70000))
			bad++;
		free(t);
	}
	ok(!bad, "6 inputs of 1-3 MiB, whole and in pieces: the passes agree (%zu differ)", bad);
}

static int on_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	FILE *f;
	char *buf;
	size_t len;

	(void)ftw;
	if (flag != FTW_F || st->st_size > 8 * 1024 * 1024)
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return 0;
	len = (size_t)st->st_size;
	buf = gate_xmalloc(len + 1);
	if (fread(buf, 1, len, f) == len) {
		buf[len] = '\0';
		same(path, buf, len, 0);
		nfiles++;
		nbytes += len;
	}
	fclose(f);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct gate_policy_opts o;
	char msg[512];
	int i;

	memset(&o, 0, sizeof(o));
	o.now = 1767225600;
	if (gate_policy_new(&pol, &o, msg, sizeof(msg)) < 0) {
		diag("gate_policy_new: %s", msg);
		return 1;
	}
	test_random();
	test_large();
	for (i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char *dirs = gate_xstrdup(eq ? eq + 1 : argv[i]), *save = NULL, *d;
		size_t f0 = nfiles, d0 = ndiffs, n0 = nfindings;

		for (d = strtok_r(dirs, ",", &save); d; d = strtok_r(NULL, ",", &save))
			nftw(d, on_file, 32, FTW_PHYS);
		free(dirs);
		ok(nfiles > f0 && ndiffs == d0, "%s: %zu files, the passes agree (%zu differ; %zu findings)",
			argv[i], nfiles - f0, ndiffs - d0, nfindings - n0);
	}
	diag("%zu files, %zu bytes", nfiles, nbytes);
	gate_policy_free(pol);
	return tap_done();
}
