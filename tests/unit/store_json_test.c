/*
 * store_json_test: the schema store's fast JSON reader gives the very value
 * jansson's json_loadb() gives (same types, numbers, strings, key order),
 * or gives up and leaves the answer to json_loadb().  On hand-written edge
 * cases, the repository's schemas, JSON-Schema-Test-Suite files, a sample
 * of the Kubernetes and CRD schemas unpacked from ../shared/data, and a few
 * hundred mutations of the smaller inputs generated here.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"
#include "../../validate/store_int.h"
#include "../tap.h"

#define SUITE_DIR "/usr/share/json-schema-test-suite/tests/draft4"

static size_t n_inputs, n_fast, n_differ;

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* 1 when the fast reader agrees with json_loadb() on buf (or gives up). */
static int agrees(const char *what, const char *buf, size_t len)
{
	json_error_t je;
	json_t *f = gate_store_json_fast(buf, len);
	json_t *j = json_loadb(buf, len, 0, &je);
	int same = 1;

	n_inputs++;
	if (f) {
		char *a = dump(f), *b = j ? dump(j) : NULL;
		n_fast++;
		same = j && json_equal(f, j) && a && b && !strcmp(a, b);
		if (!same) {
			n_differ++;
			if (n_differ <= 5)
				diag("%s: fast %.200s, json_loadb %.200s", what, a ? a : "?",
					b ? b : je.text);
		}
		free(a);
		free(b);
	}
	json_decref(f);
	json_decref(j);
	return same;
}

/* The fast reader takes buf (does not give up) and agrees. */
static int fast_and_same(const char *what, const char *buf, size_t len)
{
	json_t *f = gate_store_json_fast(buf, len);
	int took = f != NULL;

	json_decref(f);
	if (!took)
		diag("%s: the fast reader gave up", what);
	return took && agrees(what, buf, len);
}

static unsigned long rnd_state = 4242;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((rnd_state >> 33) % n);
}

/* One random edit of buf into a new buffer (*len updated). */
static char *mutate(const char *buf, size_t *len)
{
	static const char pick[] = "{}[]\",:\\/0123456789-+.eEutfnlrsaxX \t\n\r";
	static const char *const chunks[] = { "\\u0000", "\\ud83d\\ude00", "\\ud83d", "\\ude00",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc0\xaf", "\xed\xa0\x80", "\xff",
		"1e400", "-0", "0.1e-5", "9223372036854775807", "9223372036854775808", "1.7976931348623157e308",
		"4.9e-324", "00", "01", "1.", ".5", "-", "true", "nul", "\"a\":1,\"a\":2", "[]", "{}",
		"\\x41", "\\u00e9", "\\/", "\\b\\f\\n\\r\\t", "\x7f", "\x01" };
	size_t n = *len, at = n ? rnd((unsigned)n) : 0;
	char *out = gate_xmalloc(n + 64);
	const char *ins;
	size_t il;

	switch (rnd(5)) {
	case 0: /* change a byte */
		memcpy(out, buf, n);
		if (n)
			out[at] = pick[rnd(sizeof(pick) - 1)];
		break;
	case 1: /* delete a byte */
		memcpy(out, buf, at);
		if (n) {
			memcpy(out + at, buf + at + 1, n - at - 1);
			n--;
		}
		break;
	case 2: /* cut the end */
		memcpy(out, buf, at);
		n = at;
		break;
	default: /* insert a chunk */
		ins = chunks[rnd(sizeof(chunks) / sizeof(*chunks))];
		il = strlen(ins);
		memcpy(out, buf, at);
		memcpy(out + at, ins, il);
		memcpy(out + at + il, buf + at, n - at);
		n += il;
		break;
	}
	*len = n;
	return out;
}

struct input {
	char *name;
	char *buf;
	size_t len;
};

static struct input *inputs;
static size_t ninputs, ainputs;

static void add_input(const char *name, const char *buf, size_t len)
{
	GATE_ALLOC_GROW(inputs, ninputs + 1, ainputs);
	inputs[ninputs].name = gate_xstrdup(name);
	inputs[ninputs].buf = gate_xmalloc(len + 1);
	memcpy(inputs[ninputs].buf, buf, len);
	inputs[ninputs].buf[len] = '\0';
	inputs[ninputs].len = len;
	ninputs++;
}

/* Every *.json file under dir (recursively), at most max. */
static size_t add_dir(const char *dir, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		char *p, *buf = NULL;
		size_t len = 0, l = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		p = gate_xasprintf("%s/%s", dir, de->d_name);
		if (l > 5 && !strcmp(de->d_name + l - 5, ".json")) {
			if (gate_read_file(p, 16u << 20, &buf, &len) == 0) {
				add_input(p, buf, len);
				n++;
			}
			free(buf);
		} else if (de->d_type == DT_DIR) {
			n += add_dir(p, max - n);
		}
		free(p);
	}
	closedir(d);
	return n;
}

static const char *const cases[] = {
	"{}", "[]", " \n\t{ } \r\n", "[1, 2.5, -3, -0, 0.0, 1e3, 1E-3, 2.5e+10, 123456789012]",
	"{\"a\": \"\\u00e9\\u20ac\\ud83d\\ude00 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
	"{\"esc\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"k\\u0041y\": 1}",
	"{\"dup\": 1, \"x\": [true, false, null], \"dup\": {\"nested\": [[], {}]}}",
	"{\"big\": 9223372036854775807, \"neg\": -9223372036854775808}",
	"{\"over\": 9223372036854775808}", "{\"huge\": 1e999}", "{\"tiny\": 1e-400}",
	"{\"nul\": \"a\\u0000b\"}", "{\"lone\": \"\\ud800\"}", "{\"low\": \"\\udc00x\"}",
	"{\"bad utf8\": \"\xc3\x28\"}", "{\"overlong\": \"\xc0\xaf\"}", "{\"surrogate utf8\": \"\xed\xa0\x80\"}",
	"{\"ctl\": \"a\x01\"}", "{\"tab\": \"a\tb\"}", "[01]", "[1.]", "[.5]", "[+1]", "[-]", "[1e]",
	"{\"a\" 1}", "{\"a\":}", "{,}", "[1,]", "[1 2]", "{\"a\":1,}", "\"top string\"", "42", "true",
	"{} {}", "{}x", "[\"unterminated]", "{\"a\":tru}", "{\"a\":nulll}", "{\"\": \"empty key\"}",
	"{\"deep\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	"{\"type\": \"object\", \"properties\": {\"replicas\": {\"type\": [\"integer\", \"null\"], "
		"\"format\": \"int32\", \"description\": \"Number of desired pods.\"}}, "
		"\"x-kubernetes-group-version-kind\": [{\"group\": \"apps\", \"kind\": \"Deployment\"}]}",
};

int main(void)
{
	const char *src = getenv("GATE_SRCDIR"), *shared = getenv("GATE_SHARED_DIR");
	char tmpl[] = "/tmp/gate-store-json-test.XXXXXX";
	char *dir = mkdtemp(tmpl), *p, *cmd;
	size_t i, k, nbase, nreal = 0, nsmall = 0, mutations = 0, nsuite, suite_fast = 0;
	int ok_cases = 1, ok_real = 1, ok_mut = 1, ok_suite = 1;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		add_input("case", cases[i], strlen(cases[i]));
	nbase = ninputs;
	for (i = 0; i < nbase; i++)
		ok_cases &= agrees(cases[i], inputs[i].buf, inputs[i].len);
	ok(ok_cases, "%zu hand-written cases: the fast reader agrees or gives up", nbase);
	ok(n_fast >= 8 && n_fast < nbase, "it takes the plain ones (%zu of %zu) and leaves the rest",
		n_fast, nbase);

	/* real inputs: the test suite (some beyond what the fast reader takes: bignum) */
	nsuite = add_dir(SUITE_DIR, 1000);
	for (i = nbase; i < ninputs; i++) {
		json_t *f = gate_store_json_fast(inputs[i].buf, inputs[i].len);
		suite_fast += f != NULL;
		json_decref(f);
		ok_suite &= agrees(inputs[i].name, inputs[i].buf, inputs[i].len);
	}
	ok(nsuite >= 30 && ok_suite && suite_fast + 2 >= nsuite,
		"%zu JSON-Schema-Test-Suite files: %zu taken by the fast reader, all agree", nsuite,
		suite_fast);
	nbase = ninputs;

	/* what the store reads: the repository's schemas and the schema sets */
	p = gate_xasprintf("%s/schemas", src ? src : ".");
	nreal += add_dir(p, 100);
	free(p);
	if (dir) {
		char *sh = shared && *shared ? gate_xasprintf("%s/data", shared) :
			gate_xasprintf("%s/../shared/data", src ? src : ".");
		cmd = gate_xasprintf("tar xJf '%s/crd-schemas.tar.xz' -C '%s' 2>/dev/null && "
			"tar xJf '%s/kubernetes-schemas-v1.32.2.tar.xz' -C '%s' --wildcards "
			"'*-standalone-strict/*-apps-v1.json' '*-standalone-strict/pod-v1.json' "
			"'*-standalone-strict/customresourcedefinition-apiextensions-v1.json' "
			"'*-standalone-strict/_definitions.json' 2>/dev/null", sh, dir, sh, dir);
		if (system(cmd) != 0)
			diag("could not unpack the schema sets from %s", sh);
		nreal += add_dir(dir, 10000);
		free(cmd);
		free(sh);
	}
	for (i = nbase; i < ninputs; i++)
		ok_real &= fast_and_same(inputs[i].name, inputs[i].buf, inputs[i].len);
	ok(nreal >= 50, "schema files found: %zu", nreal);
	ok(ok_real, "each of them is read by the fast reader, to the same value");

	/* mutations of the small inputs */
	for (i = 0; i < ninputs; i++) {
		if (inputs[i].len > 8192)
			continue;
		nsmall++;
		for (k = 0; k < (i < sizeof(cases) / sizeof(*cases) ? 6 : 3); k++) {
			size_t len = inputs[i].len;
			char *m = mutate(inputs[i].buf, &len);
			char *n2, what[64];
			size_t len2 = len;
			snprintf(what, sizeof(what), "mutation %zu.%zu", i, k);
			ok_mut &= agrees(what, m, len);
			/* and a mutation of the mutation */
			n2 = mutate(m, &len2);
			ok_mut &= agrees(what, n2, len2);
			mutations += 2;
			free(m);
			free(n2);
		}
	}
	ok(mutations >= 300, "%zu mutations of %zu small inputs", mutations, nsmall);
	ok(ok_mut, "on every mutation the fast reader agrees with json_loadb or gives up");
	diag("%zu inputs, %zu taken by the fast reader, %zu differ", n_inputs, n_fast, n_differ);

	for (i = 0; i < ninputs; i++) {
		free(inputs[i].name);
		free(inputs[i].buf);
	}
	free(inputs);
	if (dir) {
		cmd = gate_xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
		free(cmd);
	}
	return tap_done();
}
