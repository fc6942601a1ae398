/*
 * roots_test: what a Flux or Argo CD object adds to a deployment root, as
 * text an index can keep (hooks/judge_flux.c root_in_dump/load: a round
 * trip gives the same root, a cut or foreign text is refused), and the
 * path joining of components (".." resolved, leaving the repository is
 * refused), and an Argo CD source's kustomize options made into an overlay
 * and rendered by the native kustomize: kustomize edit's image syntax, Argo
 * CD's build environment, labels without selectors, a patch path.
 */
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/render.h"
#include "gate/util.h"
#include "../../hooks/judge_int.h"
#include "../tap.h"

static int streq0(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static const char *const files[][2] = {
	{ "app/kustomization.yaml", "resources: [deploy.yaml]\n" },
	{ "app/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
		"  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
		"    spec: {containers: [{name: web, image: nginx:1.0}, {name: side, image: sidecar}]}\n" },
	{ "comp/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
		"labels: [{pairs: {tier: comp}}]\n" },
	{ "app/replicas.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 4}\n" },
};
static char *overlay_text, *labels_text, *annots_text;

static int mem_read(void *payload, const char *path, char **buf, size_t *len)
{
	size_t i;

	(void)payload;
	if (!strcmp(path, "app/.ov/kustomization.yaml")) {
		*buf = gate_xstrdup(overlay_text);
		*len = strlen(*buf);
		return 0;
	}
	if (labels_text && !strcmp(path, "app/.ov/" FLUX_LABELS_FILE)) {
		*buf = gate_xstrdup(labels_text);
		*len = strlen(*buf);
		return 0;
	}
	if (annots_text && !strcmp(path, "app/.ov/" FLUX_ANNOTATIONS_FILE)) {
		*buf = gate_xstrdup(annots_text);
		*len = strlen(*buf);
		return 0;
	}
	if (!strcmp(path, "app") || !strcmp(path, "app/.ov") || !strcmp(path, "comp"))
		return GATE_RENDER_EISDIR;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(path, files[i][0])) {
			*buf = gate_xstrdup(files[i][1]);
			*len = strlen(*buf);
			return 0;
		}
	return GATE_RENDER_ENOENT;
}

/* A Flux Kustomization's overlay: commonMetadata on metadata only, a component, targetNamespace. */
static void flux_case(void)
{
	static const char ks[] =
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
		"kind: Kustomization\n"
		"metadata: {name: web, namespace: flux-system}\n"
		"spec:\n"
		"  path: ./app\n"
		"  targetNamespace: prod\n"
		"  components:\n"
		"    - ../comp\n"
		"  commonMetadata:\n"
		"    labels:\n"
		"      team: web\n"
		"    annotations: {owner: platform}\n"
		"  prune: true\n";
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct gate_doc *doc = NULL;
	struct flux_overlay_in in;
	struct flux_overlay ov;
	struct gate_render_options ro = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_loader ldr = { mem_read, NULL };
	struct gate_render_error err;
	struct gate_render *r = NULL;
	struct gate_buf out = GATE_BUF_INIT;
	int rc;

	if (gate_doc_parse(&doc, ks, strlen(ks), 1, &lim, 0, &derr) < 0) {
		ok(0, "the Kustomization parses: %s", derr.message);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.part = ks;
	in.len = strlen(ks);
	in.first = 1;
	in.root = doc->root;
	in.spec = gate_node_get(doc->root, "spec");
	rc = gate_judge__flux_overlay(&in, &ov);
	ok(rc == 1 && ov.labels && ov.annotations, "a Flux overlay with commonMetadata's transformers");
	overlay_text = ov.text;
	labels_text = ov.labels;
	annots_text = ov.annotations;
	rc = overlay_text ? gate_render_build(&r, "app/.ov", &ldr, &ro, &err) : -1;
	ok(rc == 0, "it renders (%s)", rc ? err.message : "ok");
	if (!rc)
		gate_render_emit(r, &out);
	ok(out.ptr && strstr(out.ptr, "annotations:\n    owner: platform\n  labels:\n    team: web\n    tier: comp\n  name: web\n  namespace: prod\n") &&
		strstr(out.ptr, "matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec"),
		"commonMetadata on each object's metadata, not the selector nor the template; the component applied");
	if (out.ptr && !strstr(out.ptr, "team: web\n    tier"))
		diag("%s", out.ptr);
	gate_buf_release(&out);
	gate_render_free(r);
	free(overlay_text);
	free(labels_text);
	free(annots_text);
	overlay_text = labels_text = annots_text = NULL;
	gate_doc_free(doc);
}

static void argo_case(void)
{
	static const char app[] =
		"apiVersion: argoproj.io/v1alpha1\n"
		"kind: Application\n"
		"metadata: {name: web, namespace: argocd}\n"
		"spec:\n"
		"  project: default\n"
		"  destination: {namespace: prod}\n"
		"  source:\n"
		"    path: app\n"
		"    kustomize:\n"
		"      images: [\"nginx:1.25\", \"sidecar=reg.example.com/side:${ARGOCD_APP_REVISION_SHORT}\"]\n"
		"      commonLabels: {team: \"$ARGOCD_APP_NAME\"}\n"
		"      labelWithoutSelector: true\n"
		"      namePrefix: prod-\n"
		"      patches:\n"
		"        - path: replicas.yaml\n"
		"  syncPolicy: {}\n";
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct gate_doc *doc = NULL;
	struct argo_overlay_in in;
	struct flux_overlay ov;
	struct gate_render_options ro = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_loader ldr = { mem_read, NULL };
	struct gate_render_error err;
	struct gate_render *r = NULL;
	struct gate_buf out = GATE_BUF_INIT;
	const struct gate_node *spec, *src;
	git_oid commit;
	int rc;

	git_oid_fromstr(&commit, "abc1234def5678900000000000000000000000ff");
	if (gate_doc_parse(&doc, app, strlen(app), 1, &lim, 0, &derr) < 0) {
		ok(0, "the Application parses: %s", derr.message);
		return;
	}
	spec = gate_node_get(doc->root, "spec");
	src = gate_node_get(spec, "source");
	gate_judge__argo_source_in(&in, app, strlen(app), 1, doc->root, spec, src, &commit);
	ok(in.kline == 9 && in.end_line == 16, "the kustomize block: lines %u to %u", in.kline, in.end_line);
	rc = gate_judge__argo_overlay(&in, &ov);
	ok(rc == 1 && ov.text, "an overlay");
	overlay_text = ov.text ? ov.text : gate_xstrdup("");
	ok(strstr(overlay_text, "{name: \"sidecar\", newName: \"reg.example.com/side\", newTag: \"abc1234\"}") != NULL,
		"kustomize edit set image syntax, $ARGOCD_APP_REVISION_SHORT substituted");
	ok(strstr(overlay_text, "path: \"../replicas.yaml\"") != NULL, "a patch path relative to the source's folder");
	rc = gate_render_build(&r, "app/.ov", &ldr, &ro, &err);
	ok(rc == 0, "the overlay renders (%s)", rc ? err.message : "ok");
	if (!rc)
		gate_render_emit(r, &out);
	ok(out.ptr && strstr(out.ptr, "name: prod-web") && strstr(out.ptr, "image: nginx:1.25") &&
		strstr(out.ptr, "image: reg.example.com/side:abc1234") && strstr(out.ptr, "replicas: 4"),
		"prefix, images and patch applied");
	ok(out.ptr && strstr(out.ptr, "  labels:\n    team: web\n  name: prod-web") &&
		strstr(out.ptr, "matchLabels:\n      app: web\n  template") &&
		strstr(out.ptr, "labels:\n        app: web\n    spec"),
		"labelWithoutSelector: the object's labels only, not the selector nor the template");
	if (out.ptr && !strstr(out.ptr, "team: web"))
		diag("%s", out.ptr);
	gate_buf_release(&out);
	gate_render_free(r);
	free(overlay_text);
	overlay_text = NULL;
	gate_doc_free(doc);
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
	flux_case();
	argo_case();
	return tap_done();
}
