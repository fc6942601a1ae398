/*
 * cel_test: the CEL module, case by case.
 *
 * Cases come from tests/cel/cases.txt (under $GATE_SRCDIR), one per line:
 *     EXPRESSION <TAB> BINDINGS <TAB> EXPECTED
 * BINDINGS is "-" or a JSON object whose members become variables (read
 * through the real document loader).  EXPECTED is the value as the module
 * renders it (1, 2u, 1.5, "s", b"x", [1, 2], {"a": 1}, null, true,
 * duration("1s"), optional.none(), int ...), or "error: TEXT" (an evaluation
 * error whose message contains TEXT), "parse error: TEXT", or "cost".
 * Lines starting with '#' and empty lines are skipped.  A few cases that
 * need a schema typer or a cost limit are written in C below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/cel.h"
#include "gate/doc.h"
#include "gate/util.h"
#include "../tap.h"

static void quote(struct gate_buf *b, const char *s)
{
	gate_buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			gate_buf_addf(b, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			gate_buf_addf(b, "\\x%02x", ch);
		else
			gate_buf_addc(b, (char)ch);
	}
	gate_buf_addc(b, '"');
}

/* evaluate expr with the variables of the JSON object text; the outcome as text */
static char *run(const char *expr, const char *bindings, uint64_t limit)
{
	struct gate_cel_program *p = NULL;
	struct gate_doc *doc = NULL;
	struct gate_doc_error derr;
	struct gate_cel_var vars[16];
	struct gate_cel_env env;
	struct gate_cel_result res = GATE_CEL_RESULT_INIT;
	struct gate_buf out = GATE_BUF_INIT;
	char msg[256];
	size_t nvars = 0;
	uint32_t i;

	if (gate_cel_compile(&p, expr, strlen(expr), msg, sizeof(msg)) < 0)
		return gate_xasprintf("parse error: %s", msg);
	if (bindings && strcmp(bindings, "-")) {
		if (gate_doc_parse(&doc, bindings, strlen(bindings), 1, NULL, 0, &derr) < 0 || !doc->root ||
				doc->root->type != GATE_NODE_OBJECT) {
			gate_cel_program_free(p);
			return gate_xstrdup("bad bindings");
		}
		for (i = 0; i < doc->root->len && nvars < 16; i++) {
			vars[nvars].name = doc->root->u.members[i].key;
			vars[nvars].node = &doc->root->u.members[i].value;
			vars[nvars].type = NULL;
			vars[nvars].none = 0;
			nvars++;
		}
	}
	memset(&env, 0, sizeof(env));
	env.vars = vars;
	env.nvars = nvars;
	env.cost_limit = limit;
	if (gate_cel_eval(p, &env, &res) < 0) {
		gate_buf_adds(&out, "internal failure");
	} else if (res.status == GATE_CEL_COST) {
		gate_buf_adds(&out, "cost");
	} else if (res.status == GATE_CEL_ERROR) {
		gate_buf_addf(&out, "error: %s", res.text);
	} else if (res.is_string) {
		quote(&out, res.text);
	} else {
		gate_buf_adds(&out, res.text);
	}
	gate_cel_result_release(&res);
	gate_cel_program_free(p);
	gate_doc_free(doc);
	return gate_buf_detach(&out);
}

static int matches(const char *got, const char *want)
{
	if (!strncmp(want, "error: ", 7))
		return !strncmp(got, "error: ", 7) && strstr(got + 7, want + 7);
	if (!strncmp(want, "parse error: ", 13))
		return !strncmp(got, "parse error: ", 13) && strstr(got + 13, want + 13);
	return !strcmp(got, want);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, cases = 0;

	if (!f) {
		ok(0, "cannot open %s", path);
		return 0;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *expr = line, *bind, *want, *got;
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len || line[0] == '#')
			continue;
		bind = strchr(expr, '\t');
		want = bind ? strchr(bind + 1, '\t') : NULL;
		if (!bind || !want) {
			ok(0, "cases.txt:%d: expected three tab-separated fields", lineno);
			continue;
		}
		*bind++ = 0;
		*want++ = 0;
		got = run(expr, bind, 0);
		if (!ok(matches(got, want), "cases.txt:%d: %s", lineno, expr))
			diag("got  %s\n# want %s", got, want);
		free(got);
		cases++;
	}
	free(line);
	fclose(f);
	return cases;
}

/* schema types for the typer test: a tiny fixed tree */
struct ttype {
	const char *name;
	enum gate_cel_scalar scalar;
	const struct ttype *fields; /* terminated by name NULL */
	const json_t *def;
};

static const void *t_field(const void *t, const char *key, size_t len)
{
	const struct ttype *f;

	for (f = ((const struct ttype *)t)->fields; f && f->name; f++)
		if (strlen(f->name) == len && !memcmp(f->name, key, len))
			return f;
	return NULL;
}

static enum gate_cel_scalar t_scalar(const void *t)
{
	return ((const struct ttype *)t)->scalar;
}

static int t_default(const void *t, size_t i, const char **key, size_t *len, const json_t **value)
{
	const struct ttype *f;
	size_t k = 0;

	for (f = ((const struct ttype *)t)->fields; f && f->name; f++) {
		if (!f->def)
			continue;
		if (k++ == i) {
			*key = f->name;
			*len = strlen(f->name);
			*value = f->def;
			return 1;
		}
	}
	return 0;
}

static void typer_cases(void)
{
	json_t *def_mode = json_string("Auto"), *def_n = json_integer(3);
	struct ttype fields[] = {
		{ "timeout", GATE_CEL_SCALAR_DURATION, NULL, NULL },
		{ "at", GATE_CEL_SCALAR_TIMESTAMP, NULL, NULL },
		{ "ratio", GATE_CEL_SCALAR_DOUBLE, NULL, NULL },
		{ "data", GATE_CEL_SCALAR_BYTES, NULL, NULL },
		{ "mode", GATE_CEL_SCALAR_ANY, NULL, def_mode },
		{ "n", GATE_CEL_SCALAR_INT, NULL, def_n },
		{ NULL, 0, NULL, NULL }
	};
	struct ttype root = { "root", GATE_CEL_SCALAR_ANY, fields, NULL };
	static const struct gate_cel_typer typer = { t_field, NULL, t_scalar, t_default };
	static const char doc_text[] =
		"{\"timeout\": \"90s\", \"at\": \"2024-01-02T03:04:05Z\", \"ratio\": 2, \"data\": \"aGk=\"}";
	static const struct {
		const char *expr, *want;
	} cases[] = {
		{ "self.timeout > duration('1m')", "true" },
		{ "self.at.getFullYear()", "2024" },
		{ "type(self.ratio)", "double" },
		{ "self.data == b'hi'", "true" },
		{ "self.mode", "\"Auto\"" },
		{ "has(self.mode) && self.n == 3", "true" },
		{ "self.size()", "6" },
		{ "'mode' in self", "true" },
	};
	struct gate_doc *doc = NULL;
	struct gate_doc_error derr;
	size_t i;

	if (gate_doc_parse(&doc, doc_text, strlen(doc_text), 1, NULL, 0, &derr) < 0) {
		ok(0, "typer document parses");
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gate_cel_program *p = NULL;
		struct gate_cel_var var = { "self", doc->root, &root, 0 };
		struct gate_cel_env env = { &var, 1, &typer, 0 };
		struct gate_cel_result res = GATE_CEL_RESULT_INIT;
		struct gate_buf b = GATE_BUF_INIT;
		char msg[200];
		if (gate_cel_compile(&p, cases[i].expr, strlen(cases[i].expr), msg, sizeof(msg)) < 0) {
			ok(0, "typer: %s compiles: %s", cases[i].expr, msg);
			continue;
		}
		gate_cel_eval(p, &env, &res);
		if (res.is_string)
			quote(&b, res.text);
		else
			gate_buf_adds(&b, res.text ? res.text : "");
		if (!ok(res.status == GATE_CEL_OK && !strcmp(b.ptr, cases[i].want), "typer: %s", cases[i].expr))
			diag("got %s (status %d)", b.ptr, res.status);
		gate_buf_release(&b);
		gate_cel_result_release(&res);
		gate_cel_program_free(p);
	}
	gate_doc_free(doc);
	json_decref(def_mode);
	json_decref(def_n);
}

static void bound_cases(void)
{
	char *got;
	struct gate_buf deep = GATE_BUF_INIT;
	int i;

	/* the budget: a quadratic rule over a big list runs out, never hangs */
	got = run("self.all(x, self.all(y, x + y >= 0))", "{\"self\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
		"17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32]}", 2000);
	ok(!strcmp(got, "cost"), "cost limit reached: %s", got);
	free(got);
	got = run("[1,2,3].map(x, [x, x, x, x]).map(l, l.map(y, [y, y, y, y, y]))", "-", 50);
	ok(!strcmp(got, "cost"), "nested macros charged: %s", got);
	free(got);
	/* nesting beyond the parser's bound is a parse error, not a crash */
	for (i = 0; i < 5000; i++)
		gate_buf_addc(&deep, '(');
	gate_buf_addc(&deep, '1');
	for (i = 0; i < 5000; i++)
		gate_buf_addc(&deep, ')');
	got = run(deep.ptr, "-", 0);
	ok(!strncmp(got, "parse error: ", 13) && strstr(got, "nested too deeply"), "deep nesting refused: %.60s", got);
	free(got);
	/* long operator chains nest without parentheses: bounded as well (found by cel_fuzz) */
	{
		static const char *const chains[] = { "-", "!", "1 + ", "a.", "true || " };
		size_t k;
		for (k = 0; k < sizeof(chains) / sizeof(chains[0]); k++) {
			gate_buf_reset(&deep);
			for (i = 0; i < 20000; i++)
				gate_buf_adds(&deep, chains[k]);
			gate_buf_adds(&deep, k == 3 ? "b" : "1");
			got = run(deep.ptr, "-", 0);
			ok(!strncmp(got, "parse error: ", 13) && strstr(got, "nested too deeply"),
				"a chain of 20000 '%s' refused: %.60s", chains[k], got);
			free(got);
		}
		gate_buf_reset(&deep);
		for (i = 0; i < 300; i++)
			gate_buf_adds(&deep, "1 + ");
		gate_buf_adds(&deep, "1");
		got = run(deep.ptr, "-", 0);
		ok(!strcmp(got, "301"), "a chain of 300 additions evaluates: %s", got);
		free(got);
	}
	gate_buf_release(&deep);
	/* oldSelf is detected so the schema engine skips transition rules */
	{
		struct gate_cel_program *p = NULL;
		char msg[100];
		gate_cel_compile(&p, "self == oldSelf", 15, msg, sizeof(msg));
		ok(p && gate_cel_program_uses(p, "oldSelf") && gate_cel_program_uses(p, "self") &&
			!gate_cel_program_uses(p, "other"), "program_uses finds oldSelf");
		gate_cel_program_free(p);
	}
	{
		char out[64];
		size_t n = gate_cel_unescape_field("__namespace__", 13, out);
		ok(n == 9 && !strcmp(out, "namespace"), "unescape reserved word");
		n = gate_cel_unescape_field("a__dash__b__dot__c__slash__d__underscores__e", 44, out);
		ok(!strcmp(out, "a-b.c/d__e") && n == 10, "unescape sequences: %s", out);
	}
}

int main(int argc, char **argv)
{
	const char *src = getenv("GATE_SRCDIR");
	char path[4096];
	int n;

	snprintf(path, sizeof(path), "%s/tests/cel/cases.txt", argc > 1 ? argv[1] : src ? src : ".");
	n = run_file(path);
	ok(n >= 300, "at least 300 data-driven cases ran (%d)", n);
	typer_cases();
	bound_cases();
	return tap_done();
}
