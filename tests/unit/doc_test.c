/*
 * doc_test: the document loader against the behaviour of sigs.k8s.io/yaml
 * over go-yaml v2 (what kubeconform sees): scalars, keys, merges, anchors,
 * duplicates, splitting, line/column, limits and JSON output.
 */
#include "gate/doc.h"
#include "gate/schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"

static const struct gate_doc_limits limits = GATE_DOC_LIMITS_INIT;

static struct gate_doc *parse_at(const char *src, uint32_t line, int flags, struct gate_doc_error *err)
{
	struct gate_doc *doc = NULL;

	if (gate_doc_parse(&doc, src, strlen(src), line, &limits, flags, err) < 0)
		return NULL;
	return doc;
}

/* The JSON of src's root, "<empty>" for no root, or "error: MESSAGE". */
static char *to_json(const char *src, int flags)
{
	struct gate_doc_error err;
	struct gate_doc *doc = parse_at(src, 1, flags, &err);
	char *out, *j;
	size_t n;

	if (!doc) {
		n = strlen(err.message) + 16;
		out = malloc(n);
		snprintf(out, n, "error: %s", err.message);
		return out;
	}
	if (!doc->root) {
		gate_doc_free(doc);
		return strdup("<empty>");
	}
	j = gate_node_to_json(doc->root);
	gate_doc_free(doc);
	return j;
}

#define is_json(src, want, ...) is_json_(src, 0, want, __FILE__, __LINE__, __VA_ARGS__)
#define is_json_strict(src, want, ...) is_json_(src, GATE_DOC_DUPKEYS_ERROR, want, __FILE__, __LINE__, __VA_ARGS__)

static void is_json_(const char *src, int flags, const char *want, const char *file, int line,
	const char *name)
{
	char *got = to_json(src, flags);

	if (!tap_ok(strcmp(got, want) == 0, file, line, "%s", name)) {
		diag("want: %s", want);
		diag(" got: %s", got);
	}
	free(got);
}

/* Parse "v: SCALAR" and return a copy of the value node (strings stay valid in *keep). */
static int value_of(const char *scalar, struct gate_node *out, struct gate_doc **keep)
{
	char src[256];
	struct gate_doc_error err;
	const struct gate_node *v;

	snprintf(src, sizeof(src), "v: %s\n", scalar);
	*keep = parse_at(src, 1, 0, &err);
	if (!*keep) {
		diag("parse of %s failed: %s", src, err.message);
		return -1;
	}
	v = gate_node_get((*keep)->root, "v");
	if (!v)
		return -1;
	*out = *v;
	return 0;
}

static void scalar_null(const char *s)
{
	struct gate_node n;
	struct gate_doc *d;

	ok(value_of(s, &n, &d) == 0 && n.type == GATE_NODE_NULL, "'%s' is null", s);
	gate_doc_free(d);
}

static void scalar_bool(const char *s, int want)
{
	struct gate_node n;
	struct gate_doc *d;

	ok(value_of(s, &n, &d) == 0 && n.type == GATE_NODE_BOOL && n.u.boolean == want,
		"'%s' is %s", s, want ? "true" : "false");
	gate_doc_free(d);
}

static void scalar_num(const char *s, double want, int integral)
{
	struct gate_node n;
	struct gate_doc *d;
	int r = value_of(s, &n, &d) == 0 && n.type == GATE_NODE_NUMBER &&
		(isnan(want) ? isnan(n.u.number) : n.u.number == want) &&
		!!(n.flags & GATE_NODE_INTEGRAL) == integral;

	if (!ok(r, "'%s' is the number %.17g%s", s, want, integral ? " (integral)" : ""))
		diag("got type %s value %.17g flags %d", gate_node_type_name(&n), n.u.number, n.flags);
	gate_doc_free(d);
}

static void scalar_str(const char *s, const char *want)
{
	struct gate_node n;
	struct gate_doc *d;
	int r = value_of(s, &n, &d) == 0 && n.type == GATE_NODE_STRING && !strcmp(n.u.str, want) &&
		n.len == strlen(want);

	if (!ok(r, "'%s' is the string \"%s\"", s, want) && n.type == GATE_NODE_STRING)
		diag("got \"%s\"", n.u.str);
	gate_doc_free(d);
}

/* src fails to parse with a message containing want at line:col (0: any) */
static void is_error(const char *src, int flags, const char *want, uint32_t line, uint32_t col,
	const char *name)
{
	struct gate_doc_error err;
	struct gate_doc *doc = parse_at(src, 1, flags, &err);
	int r = !doc && strstr(err.message, want) && (!line || err.line == line) && (!col || err.col == col);

	if (!ok(r, "%s", name)) {
		diag("want: %s at %u:%u", want, line, col);
		if (doc)
			diag(" got: success");
		else
			diag(" got: %s at %u:%u", err.message, err.line, err.col);
	}
	gate_doc_free(doc);
}

static void test_scalars(void)
{
	/* null */
	scalar_null("");
	scalar_null("~");
	scalar_null("null");
	scalar_null("Null");
	scalar_null("NULL");
	/* YAML 1.1 booleans */
	{
		static const char *t[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON" };
		static const char *f[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF" };
		size_t i;
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			scalar_bool(t[i], 1);
		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			scalar_bool(f[i], 0);
	}
	scalar_str("yES", "yES");
	scalar_str("nul", "nul");
	/* integers: Go ParseInt base 0, underscores removed */
	scalar_num("42", 42, 1);
	scalar_num("0x1F", 31, 1);
	scalar_num("010", 8, 1);
	scalar_num("0o17", 15, 1);
	scalar_num("0b101", 5, 1);
	scalar_num("+5", 5, 1);
	scalar_num("-0x10", -16, 1);
	scalar_num("-0b101", -5, 1);
	scalar_num("1_000", 1000, 1);
	scalar_num("0", 0, 1);
	scalar_num("-9223372036854775808", -9223372036854775808.0, 1);
	scalar_num("18446744073709551615", 18446744073709551615.0, 1); /* ParseUint */
	scalar_num("09", 9, 1);      /* bad octal: the float regex takes it */
	scalar_num("0b+1", 1, 1);    /* go-yaml's "0b" fallback: ParseInt("+1", 2) */
	scalar_num("99999999999999999999", 1e20, 1); /* beyond uint64: float */
	scalar_str("0x", "0x");
	scalar_str("0xFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFF"); /* beyond uint64, not a float */
	scalar_str("0b2", "0b2");
	scalar_str("+", "+");
	scalar_str("1.2.3", "1.2.3");
	scalar_str("2001-12-14", "2001-12-14"); /* timestamps stay strings */
	scalar_str("2001-12-14T21:59:43.10Z", "2001-12-14T21:59:43.10Z");
	scalar_str("12:30", "12:30"); /* no base-60 */
	/* floats */
	scalar_num("1.10", 1.1, 0);
	scalar_num("1e5", 100000, 1);
	scalar_num("1.", 1, 1);
	scalar_num(".5", 0.5, 0);
	scalar_num("-.5", -0.5, 0);
	scalar_num("+1.5e-3", 0.0015, 0);
	scalar_num("1_0.5", 10.5, 0);
	scalar_num(".inf", INFINITY, 0);
	scalar_num(".Inf", INFINITY, 0);
	scalar_num(".INF", INFINITY, 0);
	scalar_num("+.inf", INFINITY, 0);
	scalar_num("-.inf", -INFINITY, 0);
	scalar_num("-.Inf", -INFINITY, 0);
	scalar_num(".nan", NAN, 0);
	scalar_num(".NaN", NAN, 0);
	scalar_num(".NAN", NAN, 0);
	scalar_str("1e999", "1e999"); /* out of range: ParseFloat fails */
	scalar_str(".e5", ".e5");
	scalar_str(".inF", ".inF");
	scalar_str("1e", "1e");
	/* quoted and block scalars are strings; explicit tags are honoured */
	scalar_str("'123'", "123");
	scalar_str("\"true\"", "true");
	scalar_str("\"a\\tb\\u00e9\"", "a\tb\xc3\xa9");
	scalar_str("'it''s'", "it's");
	scalar_str("!!str 12", "12");
	scalar_str("!!str yes", "yes");
	scalar_num("!!int \"7\"", 7, 1);
	scalar_num("!!float 1", 1, 1);
	scalar_num("!!float '2.5'", 2.5, 0);
	scalar_bool("!!bool yes", 1);
	scalar_null("!!null ~");
	scalar_str("!custom 12", "12");
	scalar_str("! 12", "12");
	scalar_str("<<", "<<");
	is_error("v: !!int abc\n", 0, "cannot decode !!str \"abc\" as a !!int", 1, 4, "!!int on a string is an error");
	is_error("v: !!int 1.5\n", 0, "cannot decode !!float \"1.5\" as a !!int", 1, 4, "!!int on a float is an error");
	is_error("v: !!bool 1\n", 0, "as a !!bool", 1, 4, "!!bool on an int is an error");
	is_error("v: !!null x\n", 0, "as a !!null", 1, 4, "!!null on a string is an error");
	is_json("a: |\n  line1\n  line2\nb: >\n  folded\n  text\nc: |-\n  strip\nd: >+\n  keep\n\n",
		"{\"a\":\"line1\\nline2\\n\",\"b\":\"folded text\\n\",\"c\":\"strip\",\"d\":\"keep\\n\\n\"}",
		"block scalars: literal, folded, strip and keep");
	{
		struct gate_node n;
		struct gate_doc *d;
		ok(value_of("\"x\"", &n, &d) == 0 && (n.flags & GATE_NODE_QUOTED), "a quoted scalar has GATE_NODE_QUOTED");
		gate_doc_free(d);
		ok(value_of("x", &n, &d) == 0 && !(n.flags & GATE_NODE_QUOTED), "a plain scalar has no GATE_NODE_QUOTED");
		gate_doc_free(d);
		ok(value_of("|\n  12\n", &n, &d) == 0 && n.type == GATE_NODE_STRING && (n.flags & GATE_NODE_QUOTED),
			"a block scalar is a quoted string");
		gate_doc_free(d);
	}
	is_error("v: \"a\\0b\"\n", 0, "NUL character", 1, 4, "a \\0 escape is refused");
}

static void test_keys(void)
{
	is_json("1: a\n0x10: b\n-3: c\n", "{\"1\":\"a\",\"16\":\"b\",\"-3\":\"c\"}", "int keys in decimal");
	is_json("yes: a\noff: b\ntrue: c\n", "{\"true\":\"c\",\"false\":\"b\"}", "bool keys become true/false (yes then true: last wins)");
	is_json("1.5: a\n1e6: b\n0.1: c\n3.14159265358979: d\n1.0: e\n",
		"{\"1.5\":\"a\",\"1e+06\":\"b\",\"0.1\":\"c\",\"3.1415927\":\"d\",\"1\":\"e\"}",
		"float keys as strconv.FormatFloat(f, 'g', -1, 32)");
	is_json(".inf: a\n-.inf: b\n.nan: c\n", "{\".inf\":\"a\",\"-.inf\":\"b\",\".nan\":\"c\"}", "infinite and NaN keys");
	is_json("'1': a\n\"true\": b\n", "{\"1\":\"a\",\"true\":\"b\"}", "quoted keys stay strings");
	is_json("!!str 010: a\n", "{\"010\":\"a\"}", "a !!str key is the text");
	is_error("~: a\n", 0, "unsupported mapping key of type null", 1, 1, "a null key is refused as sigs.k8s.io/yaml does");
	is_error("18446744073709551615: a\n", 0, "unsupported mapping key of type uint64", 1, 1, "a uint64 key is refused");
	is_error("? [a]\n: b\n", 0, "a sequence cannot be a mapping key", 1, 3, "a sequence key is refused");
	is_error("? {a: 1}\n: b\n", 0, "a mapping cannot be a mapping key", 1, 3, "a mapping key is refused");
	is_json("k: &k 7\n*k : seven\n", "{\"k\":7,\"7\":\"seven\"}", "an alias as a key");
	is_error("k: &k [1]\n*k : x\n", 0, "a sequence cannot be a mapping key", 2, 1, "an alias of a sequence as a key is refused");
}

static void test_merge(void)
{
	static const char base[] =
		"base: &b {a: 1, b: 2}\n"
		"other: &o {b: 20, c: 30}\n";
	char src[512];

	snprintf(src, sizeof(src), "%sm:\n  <<: *b\n  b: 3\n", base);
	is_json(src, "{\"base\":{\"a\":1,\"b\":2},\"other\":{\"b\":20,\"c\":30},\"m\":{\"a\":1,\"b\":3}}",
		"merge: explicit key after << wins");
	snprintf(src, sizeof(src), "%sm:\n  b: 3\n  <<: *b\n", base);
	is_json(src, "{\"base\":{\"a\":1,\"b\":2},\"other\":{\"b\":20,\"c\":30},\"m\":{\"b\":3,\"a\":1}}",
		"merge: explicit key before << wins too");
	snprintf(src, sizeof(src), "%sm: {<<: [*b, *o], d: 4}\n", base);
	is_json(src, "{\"base\":{\"a\":1,\"b\":2},\"other\":{\"b\":20,\"c\":30},\"m\":{\"a\":1,\"b\":2,\"c\":30,\"d\":4}}",
		"merge of a sequence: earlier mappings win");
	is_json("m:\n  <<: {p: 1, q: 2}\n  q: 3\n", "{\"m\":{\"p\":1,\"q\":3}}", "merge of an inline mapping");
	is_json("m: {<<: {x: 1}, y: 2}\n", "{\"m\":{\"x\":1,\"true\":2}}", "y is a boolean key in YAML 1.1");
	is_json("m:\n  \"<<\": 1\n", "{\"m\":{\"<<\":1}}", "a quoted << is an ordinary key");
	is_json("m:\n  !!merge <<: {a: 1}\n", "{\"m\":{\"a\":1}}", "a !!merge key merges");
	is_error("l: &l [{a: 1}]\nm:\n  <<: *l\n", 0, "map merge requires map or sequence of maps", 3, 3,
		"merge of an alias of a sequence is refused (go-yaml v2)");
	is_error("m:\n  <<: 1\n", 0, "map merge requires map or sequence of maps", 2, 3, "merge of a scalar is refused");
	is_error("a: &a [1]\nm:\n  <<: [*a]\n", 0, "map merge requires map or sequence of maps", 3, 3,
		"merge of a sequence of sequences is refused");
	{
		/* a merge into a big mapping (hash path), with an explicit key overriding */
		char big[2048];
		size_t o = 0;
		int i;
		o += (size_t)snprintf(big + o, sizeof(big) - o, "b: &b {k5: merged, extra: 1}\nm:\n");
		for (i = 0; i < 40; i++)
			o += (size_t)snprintf(big + o, sizeof(big) - o, "  k%d: %d\n", i, i);
		o += (size_t)snprintf(big + o, sizeof(big) - o, "  <<: *b\n");
		{
			struct gate_doc_error err;
			struct gate_doc *d = parse_at(big, 1, GATE_DOC_DUPKEYS_ERROR, &err);
			const struct gate_node *m = d ? gate_node_get(d->root, "m") : NULL;
			const struct gate_node *k5 = gate_node_get(m, "k5");
			ok(m && m->len == 41 && k5 && k5->type == GATE_NODE_NUMBER && k5->u.number == 5 &&
				gate_node_get(m, "extra") && !strcmp(m->u.members[40].key, "extra"),
				"merge into a 40-key mapping: explicit wins, new key added at the << position");
			gate_doc_free(d);
		}
	}
}

static void test_anchors(void)
{
	struct gate_doc_error err;
	struct gate_doc *d;
	const struct gate_node *a, *b;

	is_json("a: &x hello\nb: *x\n", "{\"a\":\"hello\",\"b\":\"hello\"}", "alias of a scalar");
	is_json("a: &x [1, {c: d}]\nb: *x\n", "{\"a\":[1,{\"c\":\"d\"}],\"b\":[1,{\"c\":\"d\"}]}", "alias of a sequence");
	is_json("&k a: 1\nb: *k\n", "{\"a\":1,\"b\":\"a\"}", "an anchored key");
	is_json("a: &x 1\nb: &x 2\nc: *x\n", "{\"a\":1,\"b\":2,\"c\":2}", "a redefined anchor: the later one wins");
	is_error("a: *nope\n", 0, "unknown anchor \"nope\" referenced", 1, 4, "an unknown alias is an error");
	is_error("a: &x [*x]\n", 0, "anchor \"x\" value contains itself", 1, 8, "a recursive alias is an error");
	d = parse_at("a: &x {k: v}\nb:\n  *x\n", 1, 0, &err);
	a = d ? gate_node_get(d->root, "a") : NULL;
	b = d ? gate_node_get(d->root, "b") : NULL;
	ok(a && b && b->type == GATE_NODE_OBJECT && b->u.members == a->u.members,
		"an alias shares the anchored node's children");
	ok(b && b->line == 3 && b->col == 3, "an alias node has the alias's line and column");
	gate_doc_free(d);
}

static void test_duplicates(void)
{
	char big[4096];
	size_t o = 0;
	int i;

	is_json("a: 1\nb: 2\na: 3\n", "{\"a\":3,\"b\":2}", "duplicate key: last value wins, first position kept");
	is_error("a: 1\nb: 2\na: 3\n", GATE_DOC_DUPKEYS_ERROR, "mapping key \"a\" already defined at line 1", 3, 1,
		"duplicate key with GATE_DOC_DUPKEYS_ERROR");
	is_error("spec:\n  replicas: 1\n  x: 2\n  replicas: 3\n", GATE_DOC_DUPKEYS_ERROR,
		"mapping key \"replicas\" already defined at line 2", 4, 3, "duplicate nested key names both lines");
	is_error("1: a\n0x1: b\n", GATE_DOC_DUPKEYS_ERROR, "mapping key \"1\" already defined", 2, 1,
		"keys that resolve to the same string are duplicates");
	is_json_strict("a: {x: 1}\nb: {x: 2}\n", "{\"a\":{\"x\":1},\"b\":{\"x\":2}}", "same key in two mappings is fine");
	for (i = 0; i < 30; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "k%d: %d\n", i, i);
	o += (size_t)snprintf(big + o, sizeof(big) - o, "k7: again\n");
	is_error(big, GATE_DOC_DUPKEYS_ERROR, "mapping key \"k7\" already defined at line 8", 31, 1,
		"duplicate in a big mapping (hash path)");
	{
		struct gate_doc_error err;
		struct gate_doc *d = parse_at(big, 1, 0, &err);
		const struct gate_node *k7 = d ? gate_node_get(d->root, "k7") : NULL;
		ok(d && d->root->len == 30 && k7 && k7->type == GATE_NODE_STRING &&
			!strcmp(d->root->u.members[7].key, "k7"), "big mapping: last wins at the first position");
		gate_doc_free(d);
	}
	is_error("a: 1\na: 2\n", GATE_DOC_DUPKEYS_ERROR, "at line 1", 2, 1, "error position is the second key");
}

struct part {
	char text[64];
	uint32_t line;
};

struct parts {
	struct part v[16];
	int n, stop_at;
};

static int collect(const char *p, size_t len, uint32_t line, void *payload)
{
	struct parts *ps = payload;

	if (ps->n >= 16)
		return -1;
	snprintf(ps->v[ps->n].text, sizeof(ps->v[ps->n].text), "%.*s", (int)len, p);
	ps->v[ps->n].line = line;
	ps->n++;
	return ps->n == ps->stop_at ? 7 : 0;
}

static void test_split(void)
{
	static const char stream[] = "a: 1\n---\nb: 2\n--- # c\nc: 3\n---foo\nd: 4\n";
	struct parts ps;
	struct gate_doc_error err;
	struct gate_doc *d;
	int r;

	memset(&ps, 0, sizeof(ps));
	r = gate_doc_split(stream, strlen(stream), collect, &ps);
	ok(r == 0 && ps.n == 4, "split: four parts (\"---\", \"--- # c\", \"---foo\")");
	ok(!strcmp(ps.v[0].text, "a: 1") && ps.v[0].line == 1, "split: part 1 at line 1");
	ok(!strcmp(ps.v[1].text, "b: 2") && ps.v[1].line == 3, "split: part 2 at line 3");
	ok(!strcmp(ps.v[2].text, "c: 3") && ps.v[2].line == 5, "split: part 3 at line 5");
	ok(!strcmp(ps.v[3].text, "d: 4\n") && ps.v[3].line == 7, "split: part 4 at line 7");
	d = parse_at(ps.v[2].text, ps.v[2].line, 0, &err);
	ok(d && d->line == 5 && d->root->u.members[0].line == 5 && d->root->u.members[0].value.line == 5,
		"lines of a part are lines of the file");
	gate_doc_free(d);

	memset(&ps, 0, sizeof(ps));
	gate_doc_split("---\na: 1\n---\nb: 2\n", 18, collect, &ps);
	ok(ps.n == 2 && !strcmp(ps.v[0].text, "---\na: 1") && ps.v[0].line == 1 && ps.v[1].line == 4,
		"split: a --- on the first line stays in the first part");
	d = parse_at(ps.v[0].text, 1, 0, &err);
	ok(d && d->root->u.members[0].line == 2, "a leading --- line parses, lines count from the part's start");
	gate_doc_free(d);

	memset(&ps, 0, sizeof(ps));
	gate_doc_split("a: 1\r\n---\r\nb: 2\r\n", 18, collect, &ps);
	ok(ps.n == 2 && !strcmp(ps.v[0].text, "a: 1") && !strcmp(ps.v[1].text, "b: 2\r\n") && ps.v[1].line == 3,
		"split: CRLF separators, trailing \\r dropped");

	memset(&ps, 0, sizeof(ps));
	gate_doc_split("a: 1\n---\n---\nb: 2\n---\n", 22, collect, &ps);
	ok(ps.n == 2 && !strcmp(ps.v[1].text, "---\nb: 2") && ps.v[1].line == 3,
		"split: a --- right after a separator starts the next part (as in kubeconform), none after a final one");

	memset(&ps, 0, sizeof(ps));
	gate_doc_split("a: 1\n---\n\n---\nb: 2\n", 18, collect, &ps);
	ok(ps.n == 3 && ps.v[1].text[0] == '\0' && ps.v[1].line == 3 && ps.v[2].line == 5,
		"split: an empty part between separators");

	memset(&ps, 0, sizeof(ps));
	gate_doc_split("a: 1\n---", 8, collect, &ps);
	ok(ps.n == 1 && !strcmp(ps.v[0].text, "a: 1"), "split: a separator at the end without newline");

	memset(&ps, 0, sizeof(ps));
	gate_doc_split("a: |\n  ---\n  x\n", 15, collect, &ps);
	ok(ps.n == 1, "split: an indented --- is no separator");

	memset(&ps, 0, sizeof(ps));
	ps.stop_at = 2;
	r = gate_doc_split(stream, strlen(stream), collect, &ps);
	ok(r == 7 && ps.n == 2, "split: stops and returns the callback's value");

	memset(&ps, 0, sizeof(ps));
	ok(gate_doc_split("", 0, collect, &ps) == 0 && ps.n == 0, "split: nothing for empty input");

	is_error("a: 1\n---\nb: 2\n", 0, "more than one document", 2, 1, "a second document in one part is an error");
	is_error("a: 1\n...\n---\nb: 2\n", 0, "more than one document", 3, 1, "a document after ... is a second document");
	is_json("---\na: 1\n", "{\"a\":1}", "a leading --- is fine in a part");
	is_json("%YAML 1.1\n---\na: 1\n", "{\"a\":1}", "a %YAML directive is fine");
}

static void test_input_forms(void)
{
	struct gate_doc_error err;
	struct gate_doc *d;

	is_json("a: 1\r\nb:\r\n  - x\r\n  - \"y\"\r\n", "{\"a\":1,\"b\":[\"x\",\"y\"]}", "CRLF line ends");
	d = parse_at("a: 1\r\nb: 2\r\n", 1, 0, &err);
	ok(d && d->root->u.members[1].line == 2 && d->root->u.members[1].col == 1, "CRLF: lines count once");
	gate_doc_free(d);
	is_json("\xef\xbb\xbf" "a: 1\n", "{\"a\":1}", "a UTF-8 BOM is skipped");
	d = parse_at("\xef\xbb\xbf" "a: 1\n", 1, 0, &err);
	ok(d && d->root->u.members[0].col == 1, "BOM: columns do not count it");
	gate_doc_free(d);
	is_json("{a: [1, 2, {b: c}], d: e, 'f': \"g\"}", "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"e\",\"f\":\"g\"}", "flow style");
	is_json("[a, [b, [c]], {}]", "[\"a\",[\"b\",[\"c\"]],{}]", "a flow sequence root");
	is_json("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"n\": 1.5, \"a\": [true, null, -2e3]}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"n\":1.5,\"a\":[true,null,-2000]}", "JSON input");
	is_json("{\"a\":1,\"b\":\"x\",\"c\":{\"d\":[]}}", "{\"a\":1,\"b\":\"x\",\"c\":{\"d\":[]}}", "compact JSON input");
	is_json("{\n\t\"a\": {\n\t\t\"b\": 1\n\t}\n}\n", "{\"a\":{\"b\":1}}", "JSON indented with tabs");
	is_json("{\"a\": \"\\ud83d\\udca9\"}", "{\"a\":\"\xf0\x9f\x92\xa9\"}", "JSON surrogate pair escapes join into one character");
	is_json("\"\\uD83D\\uDCA9x\"", "\"\xf0\x9f\x92\xa9x\"", "a JSON string document with a surrogate pair");
	is_json("{\"a\": \"\\\\ud83d\"}", "{\"a\":\"\\\\ud83d\"}", "an escaped backslash before u is no escape");
	is_json("a: b\\ud83d\\udca9\n", "{\"a\":\"b\\\\ud83d\\\\udca9\"}", "YAML plain scalars keep backslashes");
	is_json("- a\n- b:\n    c\n-\n", "[\"a\",{\"b\":\"c\"},null]", "block sequence root");
	is_json("hello\n", "\"hello\"", "a scalar root is returned");
	is_json("~\n", "null", "an explicit null root is a null node");
	is_json("", "<empty>", "empty input: no root");
	is_json("# only a comment\n\n", "<empty>", "only comments: no root");
	is_json("---\n# comment\n", "<empty>", "--- and a comment: no root");
	is_error("a:\n\tb: 1\n", 0, "tabs cannot be used for indentation", 2, 1, "a tab as indentation");
	is_error("a: \"unterminated\nb: 2\n", 0, "found unexpected end of stream while scanning a quoted scalar started at line 1",
		3, 1, "an unterminated quote names where it started");
	is_error("a: b: c\n", 0, "mapping values are not allowed in this context", 1, 5, "a: b: c");
	is_error("a: 1\n\xff\n", 0, "invalid UTF-8", 2, 1, "invalid UTF-8 with line and column");
	is_error("a: \xc3\xa9\xc3(\n", 0, "invalid UTF-8 (byte 0xc3)", 1, 5, "columns count characters");
	is_error("a: 1\nb: \x01\n", 0, "control character 0x01", 2, 4, "a control character");
	is_error("a: \xed\xa0\x80\n", 0, "invalid UTF-8", 1, 4, "an encoded surrogate is invalid UTF-8");
	is_error("a: \xc0\xaf\n", 0, "invalid UTF-8", 1, 4, "an overlong sequence is invalid UTF-8");
	is_error("a: \xc2\x80\n", 0, "control character U+0080", 1, 4, "a C1 control character");
	is_error("a: \x7f\n", 0, "control character 0x7f", 1, 4, "DEL");
	{
		/* every refused byte at every offset of the word-at-a-time scan */
		static const unsigned char bad[] = { 0x00, 0x01, 0x08, 0x0b, 0x0c, 0x0e, 0x1f, 0x7f };
		char src[40];
		size_t b, pos, wrong = 0;
		for (b = 0; b < sizeof(bad); b++) {
			for (pos = 3; pos < 27; pos++) {
				memcpy(src, "a: xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 34);
				src[pos] = (char)bad[b];
				if (gate_doc_parse(&d, src, 34, 1, &limits, 0, &err) == 0) {
					gate_doc_free(d);
					wrong++;
				} else if (err.line != 1 || err.col != pos + 1) {
					wrong++;
				}
			}
		}
		ok(wrong == 0, "each refused byte is found at each offset (%zu misses)", wrong);
		memcpy(src, "a: \"x\tx\rx\r\nx~ x\xc2\x85x\xc2\xa0x\xef\xbb\xbfx\"\n", 28);
		d = parse_at(src, 1, 0, &err);
		ok(d != NULL, "tab, CR, NEL, NBSP and a BOM inside a string are accepted");
		gate_doc_free(d);
	}
	is_json("a: \"\xe2\x82\xac \xf0\x9f\x98\x80\"\n", "{\"a\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}", "multi-byte UTF-8 passes");
	d = parse_at("a: 1\nb: \x01\n", 10, 0, &err);
	ok(!d && err.line == 11, "input errors are offset by first_line");
	d = parse_at("a: 1\nb: [\n", 10, 0, &err);
	ok(!d && err.line == 12, "syntax errors are offset by first_line");
}

static void test_positions(void)
{
	static const char src[] =
		"apiVersion: v1\n"
		"kind: Pod\n"
		"spec:\n"
		"  containers:\n"
		"    - name: x\n"
		"      image: \"y\"\n"
		"      ports: [{containerPort: 80}]\n";
	struct gate_doc_error err;
	struct gate_doc *d = parse_at(src, 1, 0, &err);
	const struct gate_node *spec, *cs, *c0, *ports;
	const struct gate_member *m;

	spec = d ? gate_node_get(d->root, "spec") : NULL;
	cs = gate_node_get(spec, "containers");
	c0 = cs && cs->len ? &cs->u.items[0] : NULL;
	ports = gate_node_get(c0, "ports");
	ok(d && d->root->line == 1 && d->root->col == 1, "root mapping at 1:1");
	m = d ? &d->root->u.members[2] : NULL;
	ok(m && !strcmp(m->key, "spec") && m->line == 3 && m->col == 1 && m->key_len == 4, "key spec at 3:1");
	ok(cs && cs->type == GATE_NODE_ARRAY && cs->line == 5 && cs->col == 5, "block sequence at 5:5");
	ok(c0 && c0->line == 5 && c0->col == 7, "its first item at 5:7");
	ok(c0 && c0->u.members[1].line == 6 && c0->u.members[1].col == 7, "key image at 6:7");
	ok(c0 && c0->u.members[1].value.line == 6 && c0->u.members[1].value.col == 14, "value \"y\" at 6:14");
	ok(ports && ports->line == 7 && ports->col == 14 && ports->u.items[0].col == 15, "flow collections at 7:14 and 7:15");
	gate_doc_free(d);
	d = parse_at(src, 41, 0, &err);
	ok(d && d->line == 41 && d->root->u.members[2].line == 43, "first_line offsets node lines");
	gate_doc_free(d);
}

static void test_helpers(void)
{
	struct gate_doc_error err;
	struct gate_doc *d = parse_at("a: x\nb: 1\nc: 1.5\nd: true\ne: ~\nf: []\ng: {}\nh: '9'\n", 1, 0, &err);
	const struct gate_node *r = d ? d->root : NULL;

	ok(r && gate_node_get(r, "b") && !gate_node_get(r, "z") && !gate_node_get(r, "") &&
		!gate_node_get(NULL, "a"), "gate_node_get finds present keys only");
	ok(r && gate_node_get_str(r, "a") && !strcmp(gate_node_get_str(r, "a"), "x") &&
		!gate_node_get_str(r, "b") && !gate_node_get_str(r, "zz"), "gate_node_get_str: strings only");
	ok(r && !strcmp(gate_node_type_name(gate_node_get(r, "a")), "string") &&
		!strcmp(gate_node_type_name(gate_node_get(r, "b")), "integer") &&
		!strcmp(gate_node_type_name(gate_node_get(r, "c")), "number") &&
		!strcmp(gate_node_type_name(gate_node_get(r, "d")), "boolean") &&
		!strcmp(gate_node_type_name(gate_node_get(r, "e")), "null") &&
		!strcmp(gate_node_type_name(gate_node_get(r, "f")), "array") &&
		!strcmp(gate_node_type_name(gate_node_get(r, "g")), "object") &&
		!strcmp(gate_node_type_name(gate_node_get(r, "h")), "string"), "gate_node_type_name");
	gate_doc_free(d);
	gate_doc_free(NULL);
}

static void test_limits(void)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err = { 0, 0, "" };
	struct gate_doc *d;
	static const char deep[] = "a: {b: {c: {d: 1}}}\n";

	lim.max_depth = 3;
	ok(gate_doc_parse(&d, deep, strlen(deep), 1, &lim, 0, &err) < 0 && !d &&
		!strcmp(err.message, "nesting deeper than 3 levels") && err.line == 1 && err.col == 12,
		"max_depth: %s at %u:%u", err.message, err.line, err.col);
	lim.max_depth = 4;
	ok(gate_doc_parse(&d, deep, strlen(deep), 1, &lim, 0, &err) == 0 && d, "max_depth: exactly 4 levels pass");
	gate_doc_free(d);

	lim = (struct gate_doc_limits)GATE_DOC_LIMITS_INIT;
	lim.max_bytes = 10;
	ok(gate_doc_parse(&d, deep, strlen(deep), 1, &lim, 0, &err) < 0 && strstr(err.message, "larger than the limit"),
		"max_bytes: %s", err.message);

	lim = (struct gate_doc_limits)GATE_DOC_LIMITS_INIT;
	lim.max_nodes = 5;
	ok(gate_doc_parse(&d, "[1, 2, 3, 4, 5]", 15, 1, &lim, 0, &err) < 0 && strstr(err.message, "too many nodes"),
		"max_nodes: %s", err.message);

	lim = (struct gate_doc_limits)GATE_DOC_LIMITS_INIT;
	lim.max_alias_nodes = 10;
	ok(gate_doc_parse(&d, "a: &a [1, 2, 3]\nb: [*a, *a]\n", 27, 1, &lim, 0, &err) == 0, "max_alias_nodes: 8 expanded nodes pass");
	gate_doc_free(d);
	ok(gate_doc_parse(&d, "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n", 31, 1, &lim, 0, &err) < 0 &&
		strstr(err.message, "too many alias expansions") && err.line == 2 && err.col == 13,
		"max_alias_nodes: 12 expanded nodes fail at the third alias");

	ok(gate_doc_parse(&d, "a: [", 4, 1, NULL, 0, NULL) < 0 && !d, "NULL limits and error are allowed");
}

static void test_to_json(void)
{
	is_json("[1e21, 1e20, 1.5, 0.000001, 1e-7, 123456789012, -0.0, 0.1, 1e100, 12345678.9, 2.5e-10, 9007199254740993]",
		"[1e+21,100000000000000000000,1.5,0.000001,1e-7,123456789012,-0,0.1,1e+100,12345678.9,2.5e-10,9007199254740992]",
		"numbers as Go's encoding/json prints float64");
	is_json("[.inf, .nan]", "[null,null]", "infinities and NaN print as null");
	is_json("a: \"q\\\"b\\\\s\\nn\\x01\\t/\"\n", "{\"a\":\"q\\\"b\\\\s\\nn\\u0001\\t/\"}", "strings escaped per JSON");
	is_json("\"k\\\"ey\": 1\n", "{\"k\\\"ey\":1}", "keys escaped per JSON");
	{
		char *s = gate_node_to_json(NULL);
		ok(s && !strcmp(s, "null"), "to_json(NULL) is null");
		free(s);
	}
}

static void test_jansson(void)
{
	struct gate_doc_error err;
	struct gate_doc *d = parse_at("a: [1, 1.5, x, true, ~]\nb: {c: d}\n", 1, 0, &err);
	json_t *j = d ? gate_node_to_jansson(d->root) : NULL;
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	ok(s && !strcmp(s, "{\"a\":[1,1.5,\"x\",true,null],\"b\":{\"c\":\"d\"}}") &&
		json_is_integer(json_array_get(json_object_get(j, "a"), 0)),
		"gate_node_to_jansson: %s", s ? s : "(null)");
	free(s);
	json_decref(j);
	gate_doc_free(d);
}

int main(void)
{
	test_scalars();
	test_keys();
	test_merge();
	test_anchors();
	test_duplicates();
	test_split();
	test_input_forms();
	test_positions();
	test_helpers();
	test_limits();
	test_to_json();
	test_jansson();
	return tap_done();
}
