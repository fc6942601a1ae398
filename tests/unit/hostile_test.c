/*
 * hostile_test: the document loader against hostile input.  Every case runs
 * in a child process so that its peak memory (ru_maxrss of the child, from
 * wait4) is its own; each must give the expected result with a clear message
 * within 200 MiB.  Inputs are generated in memory.
 *
 * The work a case may cost is bounded by what it checks, not by a clock: the
 * loader's limits (nodes, alias nodes, depth, bytes) must stop it with the
 * message naming the bound, and accepted inputs must give exactly the node
 * counts expected.  The CPU time of each case is printed as a diagnostic
 * only (timings belong in `make bench`); a CPU rlimit far above any honest
 * run (GUARD_SECONDS) turns a hang into a failure instead of a stuck suite.
 *
 * Under valgrind (GATE_VALGRIND set by --enable-valgrind, or valgrind's
 * preload seen in LD_PRELOAD) or AddressSanitizer the memory bound is not
 * checked: the instrument would be measured.
 */
#include "gate/doc.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"

#define GUARD_SECONDS 60 /* not a performance bound: kills a hung case */
#define MAX_KIB (200L * 1024)

static const struct gate_doc_limits limits = GATE_DOC_LIMITS_INIT;

/* ---- a growable input buffer */

struct in {
	char *p;
	size_t len, alloc;
};

static void in_grow(struct in *b, size_t n)
{
	if (b->len + n + 1 > b->alloc) {
		size_t a = b->alloc ? b->alloc : 4096;
		while (a < b->len + n + 1)
			a *= 2;
		b->p = realloc(b->p, a);
		if (!b->p) {
			perror("realloc");
			_exit(3);
		}
		b->alloc = a;
	}
}

static void in_add(struct in *b, const char *s, size_t n)
{
	in_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void in_adds(struct in *b, const char *s)
{
	in_add(b, s, strlen(s));
}

static void in_addf(struct in *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void in_addf(struct in *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	in_add(b, tmp, (size_t)n);
}

/* Append s times times, doubling the copied block. */
static void in_repeat(struct in *b, const char *s, size_t times)
{
	size_t n = strlen(s), start = b->len, done = 1, step;

	if (!times)
		return;
	in_add(b, s, n);
	while (done < times) {
		step = done <= times - done ? done : times - done;
		in_grow(b, step * n);
		memcpy(b->p + b->len, b->p + start, step * n);
		b->len += step * n;
		b->p[b->len] = '\0';
		done += step;
	}
}

/* ---- what a case reports (written by the child into a pipe) */

static char report[512];

static int result(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int result(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(report, sizeof(report), fmt, ap);
	va_end(ap);
	return pass ? 0 : 1;
}

/* Parse b; expect failure with a message containing want at line (0: any). */
static int expect_error(struct in *b, int flags, const char *want, uint32_t line)
{
	struct gate_doc *doc;
	struct gate_doc_error err;
	int r = gate_doc_parse(&doc, b->p, b->len, 1, &limits, flags, &err);

	free(b->p);
	if (r == 0) {
		gate_doc_free(doc);
		return result(0, "parsed, expected \"%s\"", want);
	}
	return result(doc == NULL && strstr(err.message, want) && (!line || err.line == line),
		"%u:%u: %s", err.line, err.col, err.message);
}

/* ---- the cases */

static int billion_laughs(void)
{
	struct in b = { 0 };
	char name;
	int i;

	in_adds(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (name = 'b'; name <= 'i'; name++) {
		in_addf(&b, "%c: &%c [", name, name);
		for (i = 0; i < 9; i++)
			in_addf(&b, "%s*%c", i ? "," : "", name - 1);
		in_adds(&b, "]\n");
	}
	return expect_error(&b, 0, "too many alias expansions", 0);
}

static int billion_laughs_mappings(void)
{
	struct in b = { 0 };
	char name;
	int i;

	in_adds(&b, "a: &a {k0: lol, k1: lol, k2: lol, k3: lol, k4: lol, k5: lol, k6: lol, k7: lol, k8: lol}\n");
	for (name = 'b'; name <= 'i'; name++) {
		in_addf(&b, "%c: &%c {", name, name);
		for (i = 0; i < 9; i++)
			in_addf(&b, "%sk%d: *%c", i ? ", " : "", i, name - 1);
		in_adds(&b, "}\n");
	}
	return expect_error(&b, 0, "too many alias expansions", 0);
}

static int merge_bomb(void)
{
	/* one mapping of 10,000 keys merged into 10,000 mappings: 10^8 members */
	struct in b = { 0 };
	int i;

	in_adds(&b, "big: &big {");
	for (i = 0; i < 10000; i++)
		in_addf(&b, "%sk%d: %d", i ? ", " : "", i, i);
	in_adds(&b, "}\nlist:\n");
	in_repeat(&b, "- {<<: *big}\n", 10000);
	return expect_error(&b, 0, "too many alias expansions", 0);
}

static int deep_flow_sequences(void)
{
	struct in b = { 0 };

	in_repeat(&b, "[", 100000);
	return expect_error(&b, 0, "nesting deeper than 512 levels", 1);
}

static int deep_flow_mappings(void)
{
	struct in b = { 0 };

	in_repeat(&b, "{a: ", 100000);
	return expect_error(&b, 0, "nesting deeper than 512 levels", 1);
}

static int deep_block_sequences(void)
{
	struct in b = { 0 };

	in_repeat(&b, "- ", 100000);
	in_adds(&b, "x\n");
	return expect_error(&b, 0, "nesting deeper than 512 levels", 1);
}

static int deep_block_mappings(void)
{
	/*
	 * "a:\n  a:\n    a:" grows quadratically: 5,000 levels are 25 MB, about
	 * the most that stays well inside the 64 MiB input limit.
	 */
	struct in b = { 0 };
	size_t level;

	for (level = 0; level < 5000; level++) {
		size_t k;
		for (k = 0; k < level; k++)
			in_add(&b, "  ", 2);
		in_add(&b, "a:\n", 3);
	}
	return expect_error(&b, 0, "nesting deeper than 512 levels", 513);
}

static int nul_byte(void)
{
	struct in b = { 0 };

	in_add(&b, "a: 1\nb: x\0y\n", 12);
	return expect_error(&b, 0, "NUL byte in input", 2);
}

static int invalid_utf8(void)
{
	struct in b = { 0 };

	in_adds(&b, "a: 1\nb: caf\xc3\n");
	return expect_error(&b, 0, "invalid UTF-8", 2);
}

static int invalid_utf8_deep_in_big_input(void)
{
	struct in b = { 0 };

	in_repeat(&b, "key: value with some text in it\n", 200000);
	in_adds(&b, "bad: \xf8\x88\x80\x80\x80\n");
	return expect_error(&b, 0, "invalid UTF-8", 200001);
}

static int tab_indentation(void)
{
	struct in b = { 0 };

	in_adds(&b, "spec:\n\treplicas: 1\n");
	return expect_error(&b, 0, "tabs cannot be used for indentation", 2);
}

static int unterminated_quote(void)
{
	struct in b = { 0 };

	in_adds(&b, "a: 1\nb: \"never closed\nc: 2\n");
	return expect_error(&b, 0, "while scanning a quoted scalar started at line 2", 0);
}

static int unterminated_flow(void)
{
	struct in b = { 0 };

	in_adds(&b, "a: [1, 2\nb: 3\n");
	return expect_error(&b, 0, "flow sequence", 0);
}

static int big_scalar(void)
{
	struct in b = { 0 };
	struct gate_doc *doc;
	struct gate_doc_error err;
	const struct gate_node *v;
	size_t n = (size_t)8 << 20;
	int r;

	in_adds(&b, "a: ");
	b.p = realloc(b.p, 3 + n + 2);
	memset(b.p + 3, 'x', n);
	memcpy(b.p + 3 + n, "\n", 2);
	b.len = 3 + n + 1;
	r = gate_doc_parse(&doc, b.p, b.len, 1, &limits, 0, &err);
	free(b.p);
	if (r < 0)
		return result(0, "%s", err.message);
	v = gate_node_get(doc->root, "a");
	r = v && v->type == GATE_NODE_STRING && v->len == n && strlen(v->u.str) == n;
	gate_doc_free(doc);
	return result(r, "an 8 MiB plain scalar is accepted");
}

static int oversized_input(void)
{
	struct in b = { 0 };
	size_t n = (size_t)70 << 20;

	b.p = malloc(n + 1);
	memset(b.p, 'x', n);
	b.p[n] = '\0';
	b.len = n;
	return expect_error(&b, 0, "input of 73400320 bytes is larger than the limit of 67108864 bytes", 0);
}

static int duplicate_keys(void)
{
	struct in b = { 0 };
	struct gate_doc *doc;
	struct gate_doc_error err;
	int r;

	in_repeat(&b, "replicas: 1\n", 10000);
	r = gate_doc_parse(&doc, b.p, b.len, 1, &limits, 0, &err);
	if (r < 0) {
		free(b.p);
		return result(0, "non-strict: %s", err.message);
	}
	r = doc->root->len == 1;
	gate_doc_free(doc);
	if (!r) {
		free(b.p);
		return result(0, "non-strict: not one key");
	}
	return expect_error(&b, GATE_DOC_DUPKEYS_ERROR, "mapping key \"replicas\" already defined at line 1", 2);
}

static int distinct_then_duplicate_keys(void)
{
	/* 10,000 distinct keys then the same 10,000 again: the hash path must stay linear */
	struct in b = { 0 };
	struct gate_doc *doc;
	struct gate_doc_error err;
	int i, r, round;

	for (round = 0; round < 2; round++)
		for (i = 0; i < 10000; i++)
			in_addf(&b, "key%d: %d\n", i, round);
	r = gate_doc_parse(&doc, b.p, b.len, 1, &limits, 0, &err);
	if (r < 0) {
		free(b.p);
		return result(0, "non-strict: %s", err.message);
	}
	r = doc->root->len == 10000 && doc->root->u.members[9999].value.u.number == 1;
	gate_doc_free(doc);
	if (!r) {
		free(b.p);
		return result(0, "non-strict: wrong members");
	}
	return expect_error(&b, GATE_DOC_DUPKEYS_ERROR, "mapping key \"key0\" already defined at line 1", 10001);
}

static int scalar_document(void)
{
	struct gate_doc *doc;
	struct gate_doc_error err;
	static const char src[] = "just a string\n";
	int r = gate_doc_parse(&doc, src, sizeof(src) - 1, 1, &limits, 0, &err);

	if (r < 0)
		return result(0, "%s", err.message);
	r = doc->root && doc->root->type == GATE_NODE_STRING && !strcmp(doc->root->u.str, "just a string");
	gate_doc_free(doc);
	return result(r, "a scalar document is returned as a string root");
}

static int huge_flow_sequence(void)
{
	struct in b = { 0 };
	struct gate_doc *doc;
	struct gate_doc_error err;
	int r;

	in_adds(&b, "[");
	in_repeat(&b, "1,", 999999);
	in_adds(&b, "1]");
	r = gate_doc_parse(&doc, b.p, b.len, 1, &limits, 0, &err);
	free(b.p);
	if (r < 0)
		return result(0, "%s", err.message);
	r = doc->root && doc->root->type == GATE_NODE_ARRAY && doc->root->len == 1000000;
	gate_doc_free(doc);
	return result(r, "a flow sequence of 1,000,000 items is accepted");
}

static int too_many_nodes(void)
{
	struct in b = { 0 };

	in_adds(&b, "[");
	in_repeat(&b, "1,", 4200000);
	in_adds(&b, "1]");
	return expect_error(&b, 0, "too many nodes (more than 4194304)", 1);
}

static int many_anchors(void)
{
	/* 200,000 anchors, each used once: the anchor table must stay linear */
	struct in b = { 0 };
	struct gate_doc *doc;
	struct gate_doc_error err;
	int i, r;

	for (i = 0; i < 200000; i++)
		in_addf(&b, "- &a%d x\n- *a%d\n", i, i);
	r = gate_doc_parse(&doc, b.p, b.len, 1, &limits, 0, &err);
	free(b.p);
	if (r < 0)
		return result(0, "%s", err.message);
	r = doc->root->len == 400000;
	gate_doc_free(doc);
	return result(r, "200,000 anchors and aliases");
}

/* ---- the driver */

struct hcase {
	const char *name;
	int (*run)(void);
};

static const struct hcase cases[] = {
	{ "billion laughs (9 levels of 9 sequences)", billion_laughs },
	{ "billion laughs with mappings", billion_laughs_mappings },
	{ "merge key bomb (10,000 x 10,000 members)", merge_bomb },
	{ "100,000 nested [", deep_flow_sequences },
	{ "100,000 nested {a:", deep_flow_mappings },
	{ "100,000 nested block sequences", deep_block_sequences },
	{ "5,000 nested block mappings (25 MB)", deep_block_mappings },
	{ "NUL byte", nul_byte },
	{ "invalid UTF-8", invalid_utf8 },
	{ "invalid UTF-8 after 6 MB", invalid_utf8_deep_in_big_input },
	{ "tab as indentation", tab_indentation },
	{ "unterminated quote", unterminated_quote },
	{ "unterminated flow sequence", unterminated_flow },
	{ "8 MiB scalar", big_scalar },
	{ "70 MiB input", oversized_input },
	{ "10,000 duplicate keys", duplicate_keys },
	{ "10,000 keys twice", distinct_then_duplicate_keys },
	{ "scalar document", scalar_document },
	{ "flow sequence of 1,000,000 items", huge_flow_sequence },
	{ "4,200,001 nodes", too_many_nodes },
	{ "200,000 anchors", many_anchors },
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#if defined(__SANITIZE_ADDRESS__)
#define GATE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GATE_SANITIZED 1
#endif
#endif

/* Instrumented runs (valgrind, AddressSanitizer) measure the instrument too. */
static int under_valgrind(void)
{
	const char *v = getenv("GATE_VALGRIND"), *p = getenv("LD_PRELOAD");

#ifdef GATE_SANITIZED
	return 1;
#endif
	return (v && *v) || (p && strstr(p, "vgpreload"));
}

int main(void)
{
	size_t i;
	int vg = under_valgrind();
	rlim_t guard = vg ? 20 * GUARD_SECONDS : GUARD_SECONDS;

	if (vg)
		diag("instrumented (valgrind or sanitizer): memory not checked");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fds[2], status = 0, rc;
		struct rusage ru;
		double t0, secs;
		pid_t pid;
		char msg[sizeof(report)];
		ssize_t n;
		size_t got = 0;

		fflush(stdout);
		if (pipe(fds) < 0) {
			perror("pipe");
			return 2;
		}
		t0 = now();
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			struct rlimit cpu = { guard, guard + 1 };

			close(fds[0]);
			if (setrlimit(RLIMIT_CPU, &cpu) < 0)
				_exit(3);
			rc = cases[i].run();
			if (write(fds[1], report, strlen(report)) < 0)
				_exit(3);
			_exit(rc);
		}
		close(fds[1]);
		while (got < sizeof(msg) - 1 && (n = read(fds[0], msg + got, sizeof(msg) - 1 - got)) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			got += (size_t)n;
		}
		msg[got] = '\0';
		close(fds[0]);
		while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
			;
		/* reported, not asserted: a loaded machine must not fail the suite */
		secs = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
		if (WIFSIGNALED(status))
			snprintf(msg, sizeof(msg), "killed by signal %d", WTERMSIG(status));
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: %s", cases[i].name, msg);
		diag("%s: %.3f s of CPU (%.3f s wall)", cases[i].name, secs, now() - t0);
		if (vg)
			printf("ok %d - %s: peak memory # SKIP not measurable when instrumented\n", ++tap_n,
				cases[i].name);
		else
			ok(ru.ru_maxrss < MAX_KIB, "%s: %ld MiB peak", cases[i].name, ru.ru_maxrss / 1024);
	}
	return tap_done();
}
