/*
 * yaml_scan_test: the native YAML scanner (validate/yaml_scan.c), construct
 * by construct.  Every case is parsed by libyaml alone and by the native
 * scanner alone and the full dumps compared (doc_compare.h); a case marked
 * N must be taken by the native scanner, one marked L must be declined (it
 * is outside the subset: libyaml parses it), one marked A may go either way.
 */
#include "doc_compare.h"
#include "../tap.h"

enum { N, L, A };

static const struct {
	int want;
	const char *name, *yaml;
} cases[] = {
	/* block structure */
	{ N, "a mapping", "a: 1\nb: two\n" },
	{ N, "nested mappings", "a:\n  b:\n    c: d\n  e: f\ng: h\n" },
	{ N, "a sequence", "- a\n- b\n" },
	{ N, "an indentless sequence", "a:\n- x\n- y\nb: z\n" },
	{ N, "an indented sequence", "a:\n  - x\n  - y\nb: z\n" },
	{ N, "compact nesting - key: v", "- a: 1\n  b: 2\n- c: 3\n" },
	{ N, "- - x", "- - x\n  - y\n- z\n" },
	{ N, "- alone", "-\n- a\n-\n" },
	{ N, "- alone at the end", "a:\n-\n" },
	{ N, "- then a deeper node", "-\n  a: 1\n" },
	{ N, "empty values", "a:\nb:\nc:\n  d:\n" },
	{ N, "an empty value at the end", "a: 1\nb:" },
	{ N, "a mapping at column 3", "   a: 1\n   b: 2\n" },
	{ N, "spaces before the colon", "a   : 1\n'b' : 2\n" },
	{ N, "sequence of sequences of mappings", "- - a: 1\n    b: 2\n  - c: 3\n" },
	{ N, "deep indentless", "a:\n  b:\n  - c: 1\n    d:\n    - e\n  f: 2\n" },
	{ N, "empty lines and comments between", "a: 1\n\n# c\n   # d\n\nb: 2\n" },
	/* plain scalars */
	{ N, "key: value # comment", "a: value # comment\nb: x\n" },
	{ N, "# without a space is text", "a: value#x\nb: http://x/#y\n" },
	{ N, "colons inside plain scalars", "a: b:c\nurl: http://x:80/p\nt: 12:30:00\n" },
	{ N, "trailing spaces", "a: b   \nc: d \n  \n" },
	{ A, "a trailing tab", "a: b\t\nc: d\n" },
	{ N, "multi-line plain folding", "a: one\n  two\n\n  three\n\n\n  four\nb: x\n" },
	{ N, "multi-line plain ended by a comment", "a: one\n  two\n  # c\nb: x\n" },
	{ N, "plain scalar on its own line", "a:\n  some text\n  more text\nb: 1\n" },
	{ N, "plain starting with - ? :", "a: -1\nb: ?x\nc: :y\nd: -x-\n" },
	{ N, "keys like on yes y n <<", "on: 1\nno: 2\n" },
	{ N, "keys Y and OFF", "Y: 3\nOFF: 4\n" },
	{ N, "a << key", "<<: {a: 1}\nb: 2\n" },
	{ N, "a << key with a sequence", "<<: [{a: 1}, {c: 3}]\nb: 2\n" },
	{ N, "null forms", "a: ~\nb: null\nc:\nd: Null\ne: NULL\n" },
	{ N, "numbers", "a: 010\nb: 0x1F\nc: 1.10\nd: .inf\ne: -.5\nf: 1e3\n" },
	{ N, "a root scalar", "just text\n" },
	{ N, "a multi-line root scalar", "just\n text\nmore\n" },
	{ N, "non-ASCII keys and values: columns in characters", "é: ü\nkey: 日本語 text\nx: [é, ü]\n" },
	{ N, "a long line", NULL },
	{ N, "a 1000-byte key", NULL },
	/* quoted scalars */
	{ N, ": and # inside quotes", "a: \"x: y # z\"\nb: 'p: q # r'\n" },
	{ N, "single quote escape", "a: 'it''s'\nb: ''''\nc: ''\n" },
	{ N, "double-quoted escapes", "a: \"\\a\\b\\t\\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\"\n" },
	{ N, "\\x \\u \\U escapes", "a: \"\\x41\\u00e9\\U0001F600\\u2028\"\n" },
	{ N, "\\N \\_ \\L \\P escapes", "a: \"\\N\\_\\L\\P\"\n" },
	{ N, "multi-line double-quoted folding", "a: \"one\n  two\n\n  three \n   four\"\nb: 1\n" },
	{ N, "multi-line single-quoted folding", "a: 'one\n  two\n\n\n  three'\n" },
	{ N, "escaped line break", "a: \"one\\\n   two\\\n\n  three\"\n" },
	{ N, "tabs inside quotes", "a: \"x\ty\t\"\nb: 'p\tq'\n" },
	{ N, "quoted keys", "\"a b\": 1\n'c': 2\n\"\": 3\n" },
	{ N, "quoted value then comment", "a: \"x\" # c\nb: 'y'   # d\n" },
	{ A, "surrogate escape", "a: \"\\ud800\"\n" },
	{ A, "unknown escape", "a: \"\\q\"\n" },
	{ A, "NUL escape", "a: \"\\0\"\n" },
	{ A, "short hex escape", "a: \"\\x4\"\n" },
	{ A, "escape above U+10FFFF", "a: \"\\U00110000\"\n" },
	/* block scalars */
	{ N, "| literal", "a: |\n  one\n  two\nb: x\n" },
	{ N, "> folded", "a: >\n  one\n  two\n\n  three\n    indented\n  four\nb: x\n" },
	{ N, "|- >- |+ >+", "a: |-\n  x\n\nb: >-\n  y\n\nc: |+\n  z\n\nd: >+\n  w\n\ne: 1\n" },
	{ N, "|+ at the end", "a: |+\n  x\n\n\n" },
	{ N, "|+ at the end without a break", "a: |+\n  x" },
	{ N, "| at the end", "a: |\n  x" },
	{ N, "|2 indentation indicator", "a: |2\n    x\n   y\n  z\nb: 1\n" },
	{ N, "|-2 and |2-", "a: |-2\n   x\nb: |2-\n   y\n" },
	{ N, "an indented comment inside a block scalar", "a: |\n  x\n  # not a comment\n    # nor this\nb: 1\n" },
	{ N, "a block scalar header comment", "a: | # c\n  x\nb: >-   # d\n  y\n" },
	{ N, "empty block scalars", "a: |\nb: >\nc: |-\n\nd: |+\n\ne: 1\n" },
	{ N, "leading empty lines in a block scalar", "a: |\n\n\n  x\n" },
	{ N, "whitespace-only lines in a block scalar", "a: |\n  x\n     \n  y\n   \nb: 1\n" },
	{ N, "folded with more-indented lines", "a: >\n  a\n   b\n  c\n\n   d\n  e\n" },
	{ N, "block scalar in a sequence", "- |\n  x\n- >-\n  y\n" },
	{ N, "block scalar root", "|\n x\n y\n" },
	{ N, "block scalar with tabs in its text", "a: |\n  x\ty\n  \tz\n" },
	{ A, "|0 is an error", "a: |0\n  x\n" },
	{ A, "a deeper empty line before the text", "a: |\n      \n  x\n" },
	/* flow collections on one line */
	{ N, "[] and {}", "a: []\nb: {}\n" },
	{ N, "[a, b] and {a: b}", "a: [x, \"y\", 'z', 1]\nb: {c: d, 'e': \"f\"}\n" },
	{ N, "nested flow", "a: [[1, 2], {b: [c]}, []]\n" },
	{ N, "flow then comment", "a: [x, y] # c\n" },
	{ N, "flow in a sequence", "- [a]\n- {b: c}\n" },
	{ N, "a flow root", "[a, b, c]\n" },
	{ N, "a one-line JSON object", "{\"a\": 1, \"b\": [true, null]}\n" },
	{ A, "flow across lines", "a: [x,\n  y]\n" },
	{ A, "flow {a:b}", "a: {b:c}\n" },
	{ A, "JSON without spaces", "{\"a\":1,\"b\":[2]}\n" },
	{ A, "a flow sequence as key", "[a]: b\n" },
	/* documents, line ends */
	{ N, "--- first", "---\na: 1\n" },
	{ N, "--- and a comment", "--- # c\na: 1\n" },
	{ N, "--- alone", "---\n" },
	{ N, "only comments", "# a\n# b\n" },
	{ N, "empty", "" },
	{ N, "CRLF", "a: 1\r\nb:\r\n  - x\r\n  - \"y\r\n  z\"\r\nc: |\r\n  p\r\n  q\r\n" },
	{ N, "CRLF folding in plain scalars", "a: x\r\n  y\r\n\r\n  z\r\n" },
	{ A, "a lone CR", "a: 1\rb: 2\n" },
	{ A, "... at the end", "a: 1\n...\n" },
	{ A, "a second document", "a: 1\n---\nb: 2\n" },
	{ A, "--- with content", "--- a\n" },
	{ A, "%YAML", "%YAML 1.1\n---\na: 1\n" },
	/* outside the subset: libyaml */
	{ L, "a tag on a key", "!!str a: 1\n" },
	/* anchors and aliases in value positions */
	{ N, "an anchored scalar and its alias", "a: &x 1\nb: *x\n" },
	{ N, "an anchored mapping below, merged", "a: &m\n  k: v\n  j: w\nb:\n  <<: *m\n  k: z\n" },
	{ N, "an anchored sequence item and alias item", "- &s\n  - 1\n- *s\n- &t x\n- *t # c\n" },
	{ A, "anchored flow and block scalars, an alias in flow", "a: &f [1, 2]\nb: &b |\n  x\nc: [*f]\n" },
	{ A, "merge of a sequence of aliases", "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n" },
	{ A, "an unknown alias", "a: *nope\n" },
	{ A, "an alias that contains itself", "a: &x\n  b: *x\n" },
	{ A, "an anchored empty value", "a: &x\nb: 1\n" },
	{ A, "an anchored key", "&a key: v\n" },
	{ A, "an alias as a key", "a: &k x\n*k : v\n" },
	{ N, "an anchored indentless sequence", "a: &x\n- 1\n- k: v\nb: *x\n" },
	{ A, "an anchor then a sibling entry", "- &x\n- 1\n" },
	{ N, "flow over lines at the root (JSON)", "{\n  \"a\": [\n    1,\n    \"x\"\n  ],\n\t\"b\":{\"c\":null}\n}\n" },
	{ N, "JSON with CRLF, tabs and a comment", "[\r\n\t1, # one\r\n\ttrue\r\n]\r\n" },
	{ N, "a trailing comma", "a: [x, y, ]\nb: {c: d,}\n" },
	{ A, "a key over two lines in flow", "{\"a\"\n: 1}\n" },
	{ A, "a plain scalar folded in flow", "[a\n b]\n" },
	{ A, "a document marker inside flow", "[a,\n---\n]\n" },
	{ A, "flow over lines as a value", "a: [1,\n  2]\n" },
	{ A, "an anchor before a key below", "- &a\n  k: v\n" },
	{ L, "a tag", "a: !!str 1\n" },
	{ L, "a ? key", "? a\n: b\n" },
	{ L, "a tab in indentation", "a:\n\tb: 1\n" },
	{ L, "a tab after the colon", "a:\tb\n" },
	{ L, "NEL", "a: x\xc2\x85y\n" },
	{ L, "LS in a comment", "a: x # \xe2\x80\xa8 b: y\n" },
	{ L, "a BOM inside", "a: x\n\xef\xbb\xbf" "b: y\n" },
	/* errors: the scanner must give up, libyaml's message stands */
	{ L, "a: b: c", "a: b: c\n" },
	{ L, "a key without a value on the next line", "a: 1\nb\n" },
	{ L, "a multi-line key", "a\nb: 1\n" },
	{ L, "bad indentation", "a:\n  b: 1\n c: 2\n" },
	{ L, "a sequence after a mapping", "a: 1\n- b\n" },
	{ L, "an unterminated quote", "a: \"x\nb: 1\n" },
	{ L, "text after a quote", "a: \"x\" y\n" },
	{ L, "a block entry inline", "a: - b\n" },
	{ L, "more-indented text after a quoted value", "a: 'x'\n  b\n" },
	{ L, "a 1100-byte key", NULL },
	{ A, "a 1100-byte flow key", NULL },
	{ A, "a 1100-byte quoted key", NULL },
	/* builder errors: the scanner gives up, the message is libyaml-path's */
	{ A, "a duplicate key", "a: 1\na: 2\n" },
	{ A, "a null key", "~: 1\n" },
	{ A, "a uint64 key", "18446744073709551615: 1\n" },
};

static char *generated(const char *name)
{
	struct gate_buf b = GATE_BUF_INIT;
	int i;

	if (!strcmp(name, "a long line")) {
		gate_buf_adds(&b, "a: ");
		for (i = 0; i < 20000; i++)
			gate_buf_adds(&b, "wörd ");
		gate_buf_adds(&b, "\nb: [");
		for (i = 0; i < 5000; i++)
			gate_buf_addf(&b, "%sé%d", i ? ", " : "", i);
		gate_buf_adds(&b, "]\n");
	} else {
		int n = !strcmp(name, "a 1000-byte key") ? 1000 : 1100;
		if (strstr(name, "flow"))
			gate_buf_adds(&b, "{");
		if (strstr(name, "quoted"))
			gate_buf_adds(&b, "\"");
		for (i = 0; i < n; i++)
			gate_buf_adds(&b, "k");
		if (strstr(name, "quoted"))
			gate_buf_adds(&b, "\"");
		gate_buf_adds(&b, strstr(name, "flow") ? ": v}\n" : ": v\n");
	}
	return gate_buf_detach(&b);
}

int main(void)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dc_stats st;
		char *gen = cases[i].yaml ? NULL : generated(cases[i].name);
		const char *y = gen ? gen : cases[i].yaml;
		int same;

		memset(&st, 0, sizeof(st));
		same = dc_compare(&st, y, strlen(y), 1, &lim, cases[i].name) == 0;
		if (cases[i].want == N)
			ok(same && st.native == 2, "%s: native, same as libyaml", cases[i].name);
		else if (cases[i].want == L)
			ok(same && st.declined == 2, "%s: declined, libyaml parses it", cases[i].name);
		else
			ok(same, "%s: same as libyaml (%s)", cases[i].name,
				st.native ? "native" : "declined");
		if (st.first[0])
			diag("%s", st.first);
		free(gen);
	}
	return tap_done();
}
