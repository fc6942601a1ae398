/*
 * facts_test: the text of a file's facts (gate_tree_facts_serialize(),
 * kept in verdict records) gives back facts equal to the parsed ones: the
 * same text again, and the same problems from the repository checks.  A
 * text cut short or altered is refused or read as another valid text,
 * never misread.  Also the byte test for CRD candidates
 * (gate_crd_may_define()) never misses a file the CRD set takes a schema
 * from, escapes included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/repo_checks.h"
#include "gate/util.h"
#include "../tap.h"

static const char *const files[][2] = {
	{ "app/kustomization.yaml",
	  "apiVersion: kustomize.config.k8s.io/v1beta1\n"
	  "kind: Kustomization\n"
	  "namespace: shop\n"
	  "resources: [web.yaml, svc.yaml]\n"
	  "patches:\n  - path: patch.yaml\n"
	  "configMapGenerator:\n  - name: settings\n    literals: [a=b]\n"
	  "secretGenerator:\n  - name: creds\n    namespace: other\n" },
	{ "app/web.yaml",
	  "# a comment\n---\n"
	  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
	  "spec:\n  template:\n    spec:\n      serviceAccountName: robot\n"
	  "      imagePullSecrets: [{name: pull}]\n"
	  "      volumes:\n        - name: a\n          configMap: {name: settings}\n"
	  "        - name: b\n          secret: {secretName: \"cr\\u00e9ds \\\"q\\\"\"}\n"
	  "        - name: c\n          persistentVolumeClaim: {claimName: data}\n"
	  "      containers:\n        - name: x\n"
	  "          envFrom: [{configMapRef: {name: env}}, {secretRef: {name: opt, optional: true}}]\n"
	  "          env: [{name: E, valueFrom: {secretKeyRef: {name: key, key: k}}}]\n" },
	{ "app/svc.yaml",
	  "apiVersion: v1\nkind: List\nitems:\n"
	  "  - {apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}}\n"
	  "  - {apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}}\n" },
	{ "app/patch.yaml",
	  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n" },
	{ "app/sealed.yaml",
	  "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: key}\n"
	  "spec: {template: {metadata: {name: key2}}}\n---\n"
	  "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: ext}\n"
	  "spec: {target: {name: pull}}\n" },
	{ "crds/widgets.yaml",
	  "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
	  "metadata: {name: widgets.example.com}\n"
	  "spec:\n  group: \"ex\\x61mple.com\"\n  names: {kind: Widget, plural: widgets}\n"
	  "  versions:\n    - name: v1\n      served: true\n      storage: true\n"
	  "      schema: {openAPIV3Schema: {type: object}}\n" },
	{ "bad/broken.yaml", "kind: [unclosed\n" },
	{ "bad/empty.yaml", "" },
};
#define NFILES (sizeof(files) / sizeof(*files))

struct loader {
	struct gate_tree_facts **facts;
};

static int load(void *payload, size_t index, const char *path, const struct gate_tree_facts **out)
{
	struct loader *l = payload;

	(void)path;
	*out = l->facts[index];
	return 0;
}

/* The problems of the checks over facts[], every file changed, as one text. */
static char *check_text(struct gate_tree_facts **facts)
{
	struct gate_tree_check *tc = NULL;
	struct gate_results rs = GATE_RESULTS_INIT;
	struct gate_buf b = GATE_BUF_INIT;
	struct loader l;
	size_t i, k;

	l.facts = facts;
	gate_tree_check_new(&tc);
	for (i = 0; i < NFILES; i++)
		gate_tree_check_add(tc, files[i][0], 1);
	if (gate_tree_check_run(tc, load, &l, &rs) < 0)
		gate_buf_adds(&b, "run failed");
	for (i = 0; i < rs.n; i++)
		for (k = 0; k < rs.v[i].nproblems; k++)
			gate_buf_addf(&b, "%s:%u %s %s %s\n", rs.v[i].filename, rs.v[i].problems[k].line,
				rs.v[i].problems[k].rule, rs.v[i].problems[k].pointer ? rs.v[i].problems[k].pointer : "",
				rs.v[i].problems[k].message);
	gate_results_release(&rs);
	gate_tree_check_free(tc);
	return b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
}

int main(void)
{
	struct gate_tree_facts *parsed[NFILES], *read_back[NFILES];
	struct gate_buf text[NFILES];
	char *p1, *p2;
	size_t i, cut, bad_prefix = 0, misread = 0, refused = 0, flips = 0;
	int same = 1;
	unsigned long rnd = 7;

	for (i = 0; i < NFILES; i++) {
		struct gate_buf again = GATE_BUF_INIT;
		gate_tree_facts_parse(&parsed[i], files[i][1], strlen(files[i][1]), NULL);
		text[i] = (struct gate_buf)GATE_BUF_INIT;
		gate_tree_facts_serialize(parsed[i], &text[i]);
		read_back[i] = NULL;
		if (gate_tree_facts_deserialize(&read_back[i], text[i].ptr, text[i].len) < 0) {
			same = 0;
			gate_tree_facts_new(&read_back[i]);
			continue;
		}
		gate_tree_facts_serialize(read_back[i], &again);
		same &= again.len == text[i].len && !memcmp(again.ptr, text[i].ptr, again.len);
		gate_buf_release(&again);
	}
	ok(same, "every file's facts read back to the same text");
	ok(gate_tree_facts_defines_crd(read_back[5], "example.com", "Widget") &&
		!gate_tree_facts_defines_crd(read_back[5], "example.com", "Gadget"),
		"the CRD a file defines survives (its escaped group decoded)");

	p1 = check_text(parsed);
	p2 = check_text(read_back);
	ok(!strcmp(p1, p2) && strstr(p1, "duplicate-object") && strstr(p1, "missing-reference"),
		"the checks find the same problems in both");
	if (strcmp(p1, p2))
		diag("parsed:\n%s\nread back:\n%s", p1, p2);
	free(p1);
	free(p2);

	/* every prefix of every text is refused */
	for (i = 0; i < NFILES; i++)
		for (cut = 0; cut < text[i].len; cut++) {
			struct gate_tree_facts *f = NULL;
			if (gate_tree_facts_deserialize(&f, text[i].ptr, cut) == 0) {
				bad_prefix++;
				gate_tree_facts_free(f);
			}
		}
	ok(bad_prefix == 0, "no text cut short is taken (%zu taken)", bad_prefix);

	/* a changed byte: refused, or a valid text that serialises back to itself */
	for (i = 0; i < NFILES; i++)
		for (cut = 0; cut < text[i].len; cut++) {
			char *m = gate_xstrndup(text[i].ptr, text[i].len);
			struct gate_tree_facts *f = NULL;
			rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
			m[cut] = "0123456789:;.gfx\x01"[(rnd >> 33) % 17];
			flips++;
			if (gate_tree_facts_deserialize(&f, m, text[i].len) < 0) {
				refused++;
			} else {
				struct gate_buf again = GATE_BUF_INIT;
				gate_tree_facts_serialize(f, &again);
				if (again.len != text[i].len || memcmp(again.ptr, m, again.len))
					misread++;
				gate_buf_release(&again);
				gate_tree_facts_free(f);
			}
			free(m);
		}
	ok(misread == 0 && refused > 0, "%zu altered texts: %zu refused, the rest read as written (%zu misread)",
		flips, refused, misread);
	{
		struct gate_tree_facts *f = NULL;
		ok(gate_tree_facts_deserialize(&f, "gf3;0;0;0;0;0;.", 15) < 0 &&
			gate_tree_facts_deserialize(&f, "gf2;0;0;0;0;0;.x", 16) < 0 &&
			gate_tree_facts_deserialize(&f, "gf2;0;999999999;0;0;0;.", 24) < 0 &&
			gate_tree_facts_deserialize(&f, NULL, 0) < 0 && !f,
			"another version, trailing bytes, absurd counts: refused");
	}

	/* CRD candidates by their words */
	{
		static const char crd[] = "kind: CustomResourceDefinition\nspec:\n  group: \"ex\\x61mple.com\"\n"
			"  names: {kind: \"Wid\\u0067et\"}\n";
		static const char crd2[] = "kind: CustomResourceDefinition\nspec:\n  group: \"example\\\n    .com\"\n"
			"  names: {kind: 'Widget'}\n";
		static const char plain[] = "kind: CustomResourceDefinition\nspec: {group: example.com, names: {kind: Widget}}\n";
		static const char other[] = "kind: CustomResourceDefinition\n# Widget example.com.x\n"
			"spec: {group: examples.com, names: {kind: Widgets}}\n";
		ok(gate_crd_may_define(crd, strlen(crd), "example.com", "Widget"), "names spelled by \\x and \\u escapes");
		ok(gate_crd_may_define(crd2, strlen(crd2), "example.com", "Widget"), "a group across an escaped line break");
		ok(gate_crd_may_define(plain, strlen(plain), "example.com", "Widget"), "plain names");
		ok(!gate_crd_may_define(other, strlen(other), "example.com", "Widget"),
			"longer words holding the names are not them");
		ok(!gate_crd_may_define("kind: Widget\ngroup: example.com\n", 32, "example.com", "Widget"),
			"no CRD text, no candidate");
		ok(gate_crd_may_define(other, strlen(other), "ex ample.com", "Widgets") &&
			gate_crd_may_define(other, strlen(other), "examples.com", "Wid'get"),
			"names with blanks or quotes always may");
	}

	for (i = 0; i < NFILES; i++) {
		gate_tree_facts_free(parsed[i]);
		gate_tree_facts_free(read_back[i]);
		gate_buf_release(&text[i]);
	}
	return tap_done();
}
