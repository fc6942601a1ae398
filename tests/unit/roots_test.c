/*
 * roots_test: what a Flux or Argo CD object adds to a deployment root, as
 * text an index can keep (hooks/judge_flux.c root_in_dump/load: a round
 * trip gives the same root, a cut or foreign text is refused), and the
 * path joining of components (".." resolved, leaving the repository is
 * refused).
 */
#include <stdlib.h>
#include <string.h>

#include "gate/util.h"
#include "../../hooks/judge_int.h"
#include "../tap.h"

static int streq0(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int main(void)
{
	struct root_in in, back;
	struct gate_buf b = GATE_BUF_INIT;
	const char *p;
	char *k1, *k2, *j;
	size_t cut;

	memset(&in, 0, sizeof(in));
	in.flux = 1;
	in.indent = 2;
	in.overlay = gate_xstrdup("\n\nresources: [\"..\"]\nimages:\n  - {name: nginx, newTag: \"1:2\"}\n");
	in.labels = gate_xstrdup("labels: {\"a\": \"b\"}\n");
	in.post = gate_xcalloc(1, sizeof(*in.post));
	in.post->vars = gate_xstrdup("TAG=1.25\nX=\n");
	in.post->ns = gate_xstrdup("flux-system");
	in.post->line = 13;
	in.post->nrefs = 2;
	in.post->refs = gate_xcalloc(2, sizeof(*in.post->refs));
	in.post->refs[0].kind = gate_xstrdup("ConfigMap");
	in.post->refs[0].name = gate_xstrdup("vars");
	in.post->refs[0].line = 16;
	in.post->refs[0].col = 9;
	in.post->refs[1].kind = gate_xstrdup("Secret");
	in.post->refs[1].name = gate_xstrdup("secret 9:x");
	in.post->refs[1].optional = 1;
	gate_judge__root_in_dump(&in, &b);
	p = b.ptr;
	ok(gate_judge__root_in_load(&p, b.ptr + b.len, &back) == 0 && p == b.ptr + b.len, "a root reads back whole");
	ok(back.flux == 1 && back.indent == 2 && streq0(back.overlay, in.overlay) && streq0(back.labels, in.labels) &&
		!back.annots && !back.bad, "its overlay and transformers");
	k1 = gate_judge__flux_post_key(in.post);
	k2 = gate_judge__flux_post_key(back.post);
	ok(back.post && back.post->nrefs == 2 && streq0(k1, k2) && back.post->refs[1].optional &&
		back.post->refs[0].col == 9 && streq0(back.post->ns, "flux-system"), "its postBuild");
	free(k1);
	free(k2);
	gate_judge__root_in_release(&back);
	for (cut = 0; cut < b.len; cut++) {
		p = b.ptr;
		if (gate_judge__root_in_load(&p, b.ptr + cut, &back) == 0)
			break;
	}
	ok(cut == b.len, "every cut of it is refused (first accepted at %zu of %zu)", cut, b.len);
	p = "R1 x";
	ok(gate_judge__root_in_load(&p, p + 4, &back) < 0, "a foreign text is refused");
	p = "R0 0 0 0 ----P0 0 0 0 999999999 5:A=1\n--";
	ok(gate_judge__root_in_load(&p, p + strlen(p), &back) < 0, "a reference count past the text is refused");
	gate_judge__root_in_release(&in);
	memset(&in, 0, sizeof(in));
	gate_buf_reset(&b);
	gate_judge__root_in_dump(&in, &b);
	p = b.ptr;
	ok(gate_judge__root_in_load(&p, b.ptr + b.len, &back) == 0 && !back.overlay && !back.post, "an empty root");
	gate_judge__root_in_release(&back);
	gate_buf_release(&b);

	j = gate_judge__join_path("apps/web", "../../components/team");
	ok(j && !strcmp(j, "components/team"), "'..' resolved (%s)", j ? j : "NULL");
	free(j);
	j = gate_judge__join_path("apps", "./x/../y");
	ok(j && !strcmp(j, "apps/y"), "'.' and '..' inside");
	free(j);
	j = gate_judge__join_path("apps/web", "../../../etc");
	ok(!j, "leaving the repository is refused");
	free(j);
	j = gate_judge__join_path("", "c");
	ok(j && !strcmp(j, "c"), "from the top of the repository");
	free(j);
	return tap_done();
}
