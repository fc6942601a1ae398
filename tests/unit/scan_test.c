/*
 * scan_test: the streaming secret scanner.  A secret is found once, at the
 * right line and column, wherever the pieces fed and the 1 MiB windows cut
 * the text; UTF-16 without a mark is decoded; a file over the size limit is
 * a problem (deny, or warn when configured), never passed unread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/policy.h"
#include "gate/result.h"
#include "gate/util.h"
#include "../tap.h"

#define KEY "AKIAQWERTYUIOPASDFGH"

/* Scan buf in pieces of `piece` bytes; "rule@line:col" of each problem into out. */
static void scan(const struct gate_policy *p, const char *buf, size_t len, size_t piece,
	char *out, size_t outsize)
{
	struct gate_result res;
	struct gate_policy_scan *s;
	size_t off, i, o = 0;

	memset(&res, 0, sizeof(res));
	res.status = GATE_STATUS_VALID;
	if (!piece) {
		/* the whole buffer at once: scanned in place */
		gate_policy_scan_secrets(p, "f.log", buf, len, &res);
	} else {
		s = gate_policy_scan_start(p, "f.log", &res);
		for (off = 0; off < len; off += piece)
			gate_policy_scan_feed(s, buf + off, len - off < piece ? len - off : piece);
		gate_policy_scan_finish(s);
	}
	out[0] = '\0';
	for (i = 0; i < res.nproblems && o < outsize; i++)
		o += (size_t)snprintf(out + o, outsize - o, "%s%s@%u:%u", i ? " " : "",
			res.problems[i].rule, res.problems[i].line, res.problems[i].col);
	gate_result_release(&res);
}

int main(void)
{
	struct gate_policy *p = NULL;
	struct gate_policy_opts o;
	char msg[256], got[4096], want[128];
	struct gate_buf b = GATE_BUF_INIT;
	size_t piece, pos, i, lines;
	static const size_t pieces[] = { 1, 3, 7, 4096, 65536, 1 << 20 };
	static const long around[] = { -4200, -4096, -2100, -2048, -2040, -30, -10, -1, 0, 5, 30 };

	memset(&o, 0, sizeof(o));
	if (gate_policy_new(&p, &o, msg, sizeof(msg)) < 0)
		return 1;

	/* small: every piece size */
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]) && pieces[i] < 64; i++) {
		scan(p, "x\nid=" KEY "\n", strlen("x\nid=" KEY "\n"), pieces[i], got, sizeof(got));
		ok(!strcmp(got, "secret-aws-access-key@2:4"), "pieces of %zu bytes: %s", pieces[i], got);
	}

	/* the key across the first window's end, at many offsets */
	for (i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
		size_t w = (size_t)1 << 20, target = w + 4096 + (size_t)(long)around[i];
		size_t k;

		gate_buf_reset(&b);
		lines = 1;
		while (b.len + 64 < target) {
			gate_buf_adds(&b, "2026-01-01 INFO a line of an ordinary log file, nothing here\n");
			lines++;
		}
		while (b.len < target)
			gate_buf_addc(&b, '.');
		pos = b.len;
		gate_buf_adds(&b, " " KEY " and after it ");
		for (k = 0; k < 40000; k++)
			gate_buf_adds(&b, "more\n");
		/* the column: bytes since the last newline before the key, plus the space, plus 1 */
		{
			size_t ls = pos;
			while (ls > 0 && b.ptr[ls - 1] != '\n')
				ls--;
			snprintf(want, sizeof(want), "secret-aws-access-key@%zu:%zu", lines, pos - ls + 2);
		}
		scan(p, b.ptr, b.len, 65536, got, sizeof(got));
		ok(!strcmp(got, want), "key %ld bytes around the window's end: found once, %s (%s)",
			around[i], got, want);
		scan(p, b.ptr, b.len, b.len, got, sizeof(got));
		ok(!strcmp(got, want), "the same fed in one piece: %s", got);
		scan(p, b.ptr, b.len, 0, got, sizeof(got));
		ok(!strcmp(got, want), "the same scanned in place: %s", got);
	}

	/* a credential assignment with its key and value on either side of the deferred part */
	for (i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
		size_t target = ((size_t)1 << 20) + 4096 + (size_t)(long)around[i] - 13, k;

		gate_buf_reset(&b);
		while (b.len < target)
			gate_buf_addc(&b, b.len % 64 == 63 ? '\n' : 'x');
		gate_buf_adds(&b, "\ndb_password=\"Zq8kL2vN9xW4pR7tY3\"\n");
		for (k = 0; k < 30000; k++)
			gate_buf_adds(&b, "tail\n");
		scan(p, b.ptr, b.len, 4096, got, sizeof(got));
		ok(strstr(got, "secret-generic@") && !strchr(got, ' ') && strstr(got, ":14"),
			"an assignment %ld bytes around the window's end: found once, %s", around[i], got);
		scan(p, b.ptr, b.len, 0, want, sizeof(want));
		ok(!strcmp(got, want), "the same scanned in place: %s", want);
	}

	/* UTF-16LE without a mark, fed a byte at a time */
	{
		const char *t = "REGION=eu\nAWS=" KEY "\n";
		char u16[128];
		size_t n = 0;
		for (i = 0; t[i]; i++) {
			u16[n++] = t[i];
			u16[n++] = 0;
		}
		scan(p, u16, n, 1, got, sizeof(got));
		ok(!strcmp(got, "secret-aws-access-key@2:5"), "UTF-16LE without a mark, byte by byte: %s", got);
	}

	/* more than 100 findings: scanning stops, and says so */
	gate_buf_reset(&b);
	for (i = 0; i < 150; i++)
		gate_buf_adds(&b, KEY "\n");
	scan(p, b.ptr, b.len, 4096, got, sizeof(got));
	ok(strstr(got, "secret-scan@0:0") != NULL, "more than 100 findings: secret-scan problem");
	gate_policy_free(p);

	/* the size limit: deny by default, warn when configured */
	{
		struct gate_result res;

		o.secret_scan_max_bytes = 100;
		gate_policy_new(&p, &o, msg, sizeof(msg));
		memset(&res, 0, sizeof(res));
		res.status = GATE_STATUS_VALID;
		gate_policy_scan_secrets(p, "big.log", b.ptr, b.len, &res);
		ok(res.nproblems == 1 && res.problems[0].severity == GATE_SEV_DENY &&
			res.status == GATE_STATUS_INVALID && strstr(res.problems[0].message, "not scanned"),
			"over max_bytes: denied, %s", res.nproblems ? res.problems[0].message : "nothing");
		gate_result_release(&res);
		gate_policy_free(p);
		o.secret_scan_too_large_warn = 1;
		gate_policy_new(&p, &o, msg, sizeof(msg));
		memset(&res, 0, sizeof(res));
		res.status = GATE_STATUS_VALID;
		gate_policy_scan_secrets(p, "big.log", b.ptr, b.len, &res);
		ok(res.nproblems == 1 && res.problems[0].severity == GATE_SEV_WARN &&
			res.status == GATE_STATUS_VALID, "too_large: warn: a warning");
		gate_result_release(&res);
		gate_policy_free(p);
	}
	gate_buf_release(&b);
	(void)piece;
	return tap_done();
}
