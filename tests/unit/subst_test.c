/*
 * subst_test: Flux's post-build substitution (hooks/judge_subst.c) against
 * the behaviour of fluxcd/pkg/envsubst as kustomize-controller runs it:
 * default operators (all of them "the value, else the word"), strict mode
 * (and the gate's own mode for unknown variables: kept as written)
 * (an undefined variable read without a default operator fails, nested
 * ones included), $$ escapes, the string functions, and the malformed forms
 * that fail the build in the cluster.
 */
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"
#include "../../hooks/judge_int.h"
#include "../tap.h"

struct scase {
	const char *vars, *in;
	int strict;        /* SUBST_EMPTY, SUBST_ERROR, SUBST_KEEP */
	const char *want;  /* NULL: an error */
	const char *err;   /* part of the error message */
};

static const struct scase cases[] = {
	{ "FOO=bar\n", "x: ${FOO}", 1, "x: bar", NULL },
	{ "FOO=\n", "${FOO:=x}", 1, "x", NULL },
	{ "FOO=\n", "${FOO=x}", 1, "x", NULL },
	{ "", "${FOO=x}", 1, "x", NULL },
	{ "", "${FOO:-x y}", 1, "x y", NULL },
	{ "BAR=b\n", "${FOO:-${BAR}}", 1, "b", NULL },
	{ "BAR=b\n", "${FOO:-a${BAR}c}", 1, "abc", NULL },
	{ "FOO=set\n", "${FOO:+x}", 1, "set", NULL },
	{ "", "${FOO:?x}", 1, "x", NULL },
	{ "FOO=bar\n", "$${FOO}", 1, "${FOO}", NULL },
	{ "FOO=bar\n", "a$$b $FOO $", 1, "a$b $FOO $", NULL },
	{ "FOO=bar\n", "${FOO^}/${FOO^^}", 1, "Bar/BAR", NULL },
	{ "FOO=BAR\n", "${FOO,}/${FOO,,}", 1, "bAR/bar", NULL },
	{ "FOO=bar\n", "${#FOO}", 1, "3", NULL },
	{ "FOO=bar\n", "${FOO:1}|${FOO:0:2}|${FOO:5}", 1, "ar|ba|", NULL },
	{ "FOO=bar\n", "${FOO#b*}|${FOO##*a}|${FOO%r}", 1, "ar|r|ba", NULL },
	{ "FOO=banana\n", "${FOO/a/o}|${FOO//a/o}|${FOO/#b/c}|${FOO/%a/z}", 1, "bonana|bonono|canana|bananz", NULL },
	{ "FOO=bar\n", "${FOO", 1, NULL, "missing closing brace" },
	{ "FOO=bar\n", "${}", 1, NULL, "unable to parse variable name" },
	{ "FOO=bar\n", "${ FOO}", 1, NULL, "unable to parse variable name" },
	{ "FOO=bar\n", "${FOO-x}", 1, NULL, "missing closing brace" },
	{ "FOO=bar\n", "${FOO/a}", 1, NULL, "bad substitution" },
	{ "", "${BAR}", 1, NULL, "variable not set (strict mode): \"BAR\"" },
	{ "", "${#BAR}", 1, NULL, "variable not set" },
	{ "FOO=x\n", "${FOO:=${BAR}}", 1, NULL, "variable not set (strict mode): \"BAR\"" },
	{ "", "a${BAR}b", 0, "ab", NULL },
	{ "", "${BAR:=${BAZ:-deep}}", 1, "deep", NULL },
	{ "A=1\n", "x:${BAR}:${A}:${BAR:=d}:${#BAR}", 2, "x:${BAR}:1:d:${#BAR}", NULL },
};

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scase *c = &cases[i];
		struct gate_buf in = GATE_BUF_INIT, out = GATE_BUF_INIT;
		char err[256], var[64];
		int rc;
		gate_buf_adds(&in, c->in);
		rc = gate_judge__flux_substitute(c->vars, c->strict, &in, &out, err, sizeof(err), var, sizeof(var));
		if (c->want)
			ok(rc == 0 && out.ptr && !strcmp(out.ptr, c->want), "%s -> %s (got %s, %s)", c->in, c->want,
				out.ptr ? out.ptr : "", rc ? err : "ok");
		else
			ok(rc < 0 && strstr(err, c->err), "%s fails: %s (got %s)", c->in, c->err, rc ? err : "success");
		gate_buf_release(&in);
		gate_buf_release(&out);
	}
	ok(gate_judge__subst_name_ok("cluster_name", 12), "a var name");
	ok(gate_judge__subst_name_ok("_X1", 3), "a leading underscore");
	ok(!gate_judge__subst_name_ok("app.name", 8), "a dot is refused");
	ok(!gate_judge__subst_name_ok("1X", 2), "a leading digit is refused");
	ok(!gate_judge__subst_name_ok("", 0), "an empty name is refused");
	return tap_done();
}
