/*
 * render_test: the tricky parts of the native kustomize renderer through an
 * in-memory loader: kustomize's name hash (expected values from kustomize's
 * own test suite, api/krusty), strategic merge of lists, JSON 6902,
 * name references, legacy order, scalar typing and quoting, origins, and
 * the errors kustomize reports.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gate/render.h"
#include "gate/util.h"
#include "../tap.h"
#include "render_memfs.h"

/* render dir from files; returns the YAML (caller frees) or NULL with err filled */
static char *render(const struct mfile *files, size_t n, const char *dir, int order,
	struct gate_render_error *err)
{
	struct mfs fs = { files, n };
	struct gate_render_loader ldr = { mem_read, &fs };
	struct gate_render_options opts = GATE_RENDER_OPTIONS_INIT;
	struct gate_buf out = GATE_BUF_INIT;
	struct gate_render *r;

	opts.order = order;
	if (gate_render_build(&r, dir, &ldr, &opts, err) < 0)
		return NULL;
	gate_render_emit(r, &out);
	gate_render_free(r);
	return out.ptr ? gate_buf_detach(&out) : gate_xstrdup("");
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_output(const char *name, const struct mfile *files, size_t n, const char *dir,
	int order, const char *want)
{
	struct gate_render_error err;
	char *got = render(files, n, dir, order, &err);

	if (!ok(got && !strcmp(got, want), "%s", name)) {
		if (got)
			diag("got:\n%s\nwant:\n%s", got, want);
		else
			diag("error: %s:%u:%u: %s", err.file, err.line, err.col, err.message);
	}
	free(got);
}

static void check_error(const char *name, const struct mfile *files, size_t n, const char *dir,
	const char *file, unsigned line, const char *needle)
{
	struct gate_render_error err;
	char *got = render(files, n, dir, 0, &err);

	if (!ok(!got && !strcmp(err.file, file) && err.line == line && strstr(err.message, needle),
		"%s", name)) {
		if (got)
			diag("rendered instead:\n%s", got);
		else
			diag("error: %s:%u:%u: %s", err.file, err.line, err.col, err.message);
	}
	free(got);
}

static void test_hashes(void)
{
	static const struct mfile secret[] = {
		{ "kustomization.yaml", "secretGenerator:\n- name: bob\n  literals:\n  - FRUIT=apple\n"
			"  - VEGETABLE=carrot\n  files:\n  - foo.env\n  - passphrase=phrase.dat\n"
			"  envs:\n  - foo.env\n" },
		{ "foo.env", "\nMOUNTAIN=everest\nOCEAN=pacific\n" },
		{ "phrase.dat", "dat phrase" } };
	static const struct mfile cm[] = {
		{ "kustomization.yaml", "configMapGenerator:\n- name: bob\n  literals:\n"
			"  - fruit=Indian Gooseberry\n  - year=2020\n  - crisis=true\n" } };
	static const struct mfile merge[] = {
		{ "base/kustomization.yaml", "configMapGenerator:\n- name: bob\n  literals:\n"
			"  - fruit=Indian Gooseberry\n  - year=2020\n  - crisis=true\n" },
		{ "overlay/kustomization.yaml", "resources:\n- ../base\nconfigMapGenerator:\n"
			"- name: bob\n  behavior: merge\n  literals:\n  - month=12\n" } };
	static const struct mfile envs[] = {
		{ "base/kustomization.yaml", "configMapGenerator:\n  - name: test-configmap\n"
			"    behavior: create\n    envs:\n    - properties\n" },
		{ "base/properties", "\nVAR1=100\n" },
		{ "overlay/kustomization.yaml", "resources:\n- ../base\nconfigMapGenerator:\n"
			"- name: test-configmap\n  behavior: \"merge\"\n  envs:\n  - properties\n" },
		{ "overlay/properties", "\nVAR2=200\n" } };

	/* expected outputs as in kustomize's api/krusty tests */
	check_output("secretGenerator: literals, files, envs; base64; hash bh645k7tmg", secret,
		N(secret), ".", 0,
		"apiVersion: v1\ndata:\n  FRUIT: YXBwbGU=\n  MOUNTAIN: ZXZlcmVzdA==\n  OCEAN: cGFjaWZpYw==\n"
		"  VEGETABLE: Y2Fycm90\n  foo.env: Ck1PVU5UQUlOPWV2ZXJlc3QKT0NFQU49cGFjaWZpYwo=\n"
		"  passphrase: ZGF0IHBocmFzZQ==\nkind: Secret\nmetadata:\n  name: bob-bh645k7tmg\n"
		"type: Opaque\n");
	check_output("configMapGenerator literals stay strings; hash 79t79mt227", cm, N(cm), ".", 0,
		"apiVersion: v1\ndata:\n  crisis: \"true\"\n  fruit: Indian Gooseberry\n  year: \"2020\"\n"
		"kind: ConfigMap\nmetadata:\n  name: bob-79t79mt227\n");
	check_output("behavior merge over a base's generator; hash bk46gm59c6", merge, N(merge),
		"overlay", 0,
		"apiVersion: v1\ndata:\n  crisis: \"true\"\n  fruit: Indian Gooseberry\n  month: \"12\"\n"
		"  year: \"2020\"\nkind: ConfigMap\nmetadata:\n  name: bob-bk46gm59c6\n");
	check_output("merge of env files; hash hdghb5ddkg", envs, N(envs), "overlay", 0,
		"apiVersion: v1\ndata:\n  VAR1: \"100\"\n  VAR2: \"200\"\nkind: ConfigMap\nmetadata:\n"
		"  name: test-configmap-hdghb5ddkg\n");
}

static void test_name_references(void)
{
	static const struct mfile f[] = {
		{ "kustomization.yaml", "namePrefix: p-\nresources:\n- deploy.yaml\n"
			"configMapGenerator:\n- name: cfg\n  literals:\n  - a=b\n" },
		{ "deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
			"  template:\n    spec:\n      containers:\n      - name: c\n        envFrom:\n"
			"        - configMapRef:\n            name: cfg\n      volumes:\n      - name: v\n"
			"        configMap:\n          name: cfg\n      - name: other\n        configMap:\n"
			"          name: not-generated\n" } };
	struct gate_render_error err;
	char *got = render(f, N(f), ".", 0, &err);
	char h[11];

	ok(got != NULL, "prefix and generator render");
	if (!got)
		return;
	ok(strstr(got, "  name: p-cfg-") && strstr(got, "  name: p-web\n"), "names get the prefix and the hash");
	{
		const char *cm = strstr(got, "name: p-cfg-");
		char name[64];

		snprintf(name, sizeof(name), "%.16s", cm + 6);
		ok(strstr(strstr(got, "kind: Deployment"), name) != NULL,
			"the Deployment refers to the renamed ConfigMap (%s)", name);
	}
	ok(strstr(got, "name: not-generated") != NULL, "a reference to an unknown object is left alone");
	(void)h;
	free(got);
}

static const struct mfile smp_files[] = {
	{ "kustomization.yaml", "resources:\n- deploy.yaml\n- crd.yaml\npatches:\n- path: patch.yaml\n"
		"- target:\n    kind: Widget\n  patch: |\n    kind: Widget\n    metadata:\n      name: any\n"
		"    spec:\n      items:\n      - name: b\n        size: 9\n      - name: c\n" },
	{ "deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
		"    drop: me\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n"
		"        image: a:1\n        args: [x, y]\n      - name: b\n        image: b:1\n"
		"      - name: gone\n        image: g:1\n" },
	{ "crd.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n"
		"  items:\n  - name: a\n    size: 1\n  - name: b\n    size: 2\n" },
	{ "patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
		"    drop: null\nspec:\n  template:\n    spec:\n      containers:\n      - name: new\n"
		"        image: n:1\n      - name: a\n        args: [z]\n      - name: gone\n"
		"        $patch: delete\n" } };

static void test_strategic_merge(void)
{
	check_output("strategic merge: merge keys, prepend order, $patch delete, null, list replace; "
		"unknown kinds merge lists by name", smp_files, N(smp_files), ".", 1,
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: {}\n  name: web\nspec:\n"
		"  template:\n    spec:\n      containers:\n      - image: n:1\n        name: new\n"
		"      - args:\n        - z\n        image: a:1\n        name: a\n      - image: b:1\n"
		"        name: b\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
		"spec:\n  items:\n  - name: b\n    size: 9\n  - name: c\n  - name: a\n    size: 1\n");
}

static void test_json6902(void)
{
	static const struct mfile ok_files[] = {
		{ "kustomization.yaml", "resources:\n- cm.yaml\npatches:\n- target:\n    name: c.*\n"
			"  patch: |-\n    - op: add\n      path: /data/list/-\n      value: end\n"
			"    - op: add\n      path: /data/list/0\n      value: start\n"
			"    - op: replace\n      path: /data/a~1b\n      value: 2\n"
			"    - op: remove\n      path: /data/gone\n"
			"    - op: copy\n      from: /data/a~1b\n      path: /data/copied\n"
			"    - op: move\n      from: /data/moved\n      path: /data/here\n"
			"    - op: test\n      path: /data/here\n      value: m\n" },
		{ "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n"
			"  list: [mid]\n  a/b: \"1\"\n  gone: x\n  moved: m\n" } };
	static const struct mfile bad[] = {
		{ "kustomization.yaml", "resources:\n- cm.yaml\npatches:\n- target:\n    kind: ConfigMap\n"
			"  patch: |-\n    - op: replace\n      path: /data/missing\n      value: x\n" },
		{ "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n" } };

	check_output("json 6902: add (index and -), replace, remove, copy, move, test; ~1 escapes",
		ok_files, N(ok_files), ".", 0,
		"apiVersion: v1\ndata:\n  a/b: 2\n  copied: 2\n  here: m\n  list:\n  - start\n  - mid\n"
		"  - end\nkind: ConfigMap\nmetadata:\n  name: cm\n");
	check_error("json 6902 on a missing path fails at the operation's line", bad, N(bad), ".",
		"kustomization.yaml", 7, "replace operation does not apply");
}

static void test_order(void)
{
	static const struct mfile f[] = {
		{ "kustomization.yaml", "resources:\n- all.yaml\n" },
		{ "all.yaml", "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
			"metadata:\n  name: v\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
			"---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n---\n"
			"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n  namespace: z\n---\n"
			"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  namespace: z\n---\n"
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n"
			"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: z\n---\n"
			"apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n" } };
	struct gate_render_error err;
	char *legacy = render(f, N(f), ".", GATE_RENDER_ORDER_LEGACY, &err);
	char *none = render(f, N(f), ".", GATE_RENDER_ORDER_NONE, &err);
	const char *want[] = { "kind: Namespace", "kind: ConfigMap", "kind: Service", "name: a\n",
		"name: b\n", "kind: Gadget", "kind: Widget", "kind: ValidatingWebhookConfiguration" };
	const char *p;
	size_t i;
	int in_order = legacy != NULL;

	for (i = 0, p = legacy; in_order && i < N(want); i++) {
		const char *q = strstr(p, want[i]);

		if (!q)
			in_order = 0;
		else
			p = q;
	}
	ok(in_order, "legacy order: ranked kinds, then other kinds by group_version_kind, webhooks last");
	ok(none && strstr(none, "kind: ValidatingWebhookConfiguration") < strstr(none, "kind: Service"),
		"--reorder none keeps the input order");
	free(legacy);
	free(none);
}

static void test_scalars(void)
{
	static const struct mfile f[] = {
		{ "kustomization.yaml", "resources:\n- cm.yaml\n" },
		{ "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n  annotations:\n"
			"    on: yes\n    \"10\": 010\n    o: 0o17\n    f: 1.50\n    big: 1e3\n    d: 2024-01-02\n"
			"    t: True\n    n: ~\n    q: \"1.0\"\n    colon: \"a: b\"\n    lead: \"-x\"\n"
			"    ml: |\n      two\n      lines\n" } };

	/* go-yaml v2 (kustomize's printer) reads y, n, on, off as booleans: such keys are quoted */
	check_output("v3 typing (yes stays a string, 010 and 0o17 octal, True a bool) and v2 quoting",
		f, N(f), ".", 0,
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    \"10\": 8\n"
		"    big: 1000\n    colon: 'a: b'\n    d: \"2024-01-02\"\n    f: 1.5\n    lead: -x\n"
		"    ml: |\n      two\n      lines\n    \"n\": null\n    o: 15\n    \"on\": \"yes\"\n"
		"    q: \"1.0\"\n    t: true\n  name: s\n");
}

static void test_origins(void)
{
	static const struct mfile f[] = {
		{ "app/kustomization.yaml", "namespace: prod\nresources:\n- ../base\npatches:\n"
			"- path: patch.yaml\n" },
		{ "app/patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
			"  replicas: 3\n" },
		{ "base/kustomization.yaml", "resources:\n- deploy.yaml\n" },
		{ "base/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
			"spec:\n  replicas: 1\n  paused: false\n" } };
	struct mfs fs = { f, N(f) };
	struct gate_render_loader ldr = { mem_read, &fs };
	struct gate_render_error err;
	struct gate_render *r;
	const struct gate_rnode *o, *spec = NULL, *meta = NULL, *v;
	uint32_t i;

	if (!ok(gate_render_build(&r, "app", &ldr, NULL, &err) == 0, "overlay renders"))
		return;
	o = gate_render_object(r, 0);
	for (i = 0; i < o->len; i++) {
		if (!strcmp(o->u.members[i].key, "spec"))
			spec = o->u.members[i].value;
		if (!strcmp(o->u.members[i].key, "metadata"))
			meta = o->u.members[i].value;
	}
	for (i = 0, v = NULL; spec && i < spec->len; i++)
		if (!strcmp(spec->u.members[i].key, "replicas"))
			v = spec->u.members[i].value;
	ok(v && v->file && !strcmp(v->file, "app/patch.yaml") && v->line == 6 && v->col == 13,
		"a patched value names the patch's file and line");
	for (i = 0, v = NULL; spec && i < spec->len; i++)
		if (!strcmp(spec->u.members[i].key, "paused"))
			v = spec->u.members[i].value;
	ok(v && v->file && !strcmp(v->file, "base/deploy.yaml") && v->line == 7,
		"an untouched value names the base file and line");
	for (i = 0, v = NULL; meta && i < meta->len; i++)
		if (!strcmp(meta->u.members[i].key, "namespace"))
			v = meta->u.members[i].value;
	ok(v && v->file && !strcmp(v->file, "app/kustomization.yaml") && v->line == 1,
		"the namespace names the kustomization line that set it");
	gate_render_free(r);
}

static void test_replacements(void)
{
	static const struct mfile f[] = {
		{ "kustomization.yaml", "resources:\n- r.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n"
			"    name: src\n    fieldPath: data.image\n    options:\n      delimiter: ':'\n"
			"      index: 1\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n"
			"    - spec.template.spec.containers.[name=app].image\n    options:\n      delimiter: ':'\n"
			"      index: 1\n  - select:\n      kind: Deployment\n    fieldPaths:\n"
			"    - metadata.annotations.[tag.example.com/v]\n    options:\n      create: true\n" },
		{ "r.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: src\ndata:\n  image: x:2.0\n"
			"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n"
			"    spec:\n      containers:\n      - name: app\n        image: app:1.0\n" } };

	/*
	 * A created target is a plain scalar taking the source's text: "2.0"
	 * is read back as a number, as kyaml's PathMatcher leaves it untagged.
	 */
	check_output("replacements: delimiter and index on both ends, [name=...] and created keys",
		f, N(f), ".", 1,
		"apiVersion: v1\ndata:\n  image: x:2.0\nkind: ConfigMap\nmetadata:\n  name: src\n---\n"
		"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n"
		"    tag.example.com/v: 2\n  name: d\nspec:\n  template:\n    spec:\n"
		"      containers:\n      - image: app:2.0\n        name: app\n");
}

/* vars and configurations: expected outputs from kustomize's api/krusty tests */
static void test_vars_and_configurations(void)
{
	static const struct mfile vars[] = {
		{ "kustomization.yaml", "namePrefix: base-\nresources:\n- pod.yaml\nvars:\n- name: POD_NAME\n"
			"  objref:\n    apiVersion: v1\n    kind: Pod\n    name: clown\n  fieldref:\n"
			"    fieldpath: metadata.name\n" },
		{ "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: clown\nspec:\n  containers:\n"
			"  - name: frown\n    image: frown\n    command:\n    - echo\n    - \"$(POD_NAME)\"\n"
			"    env:\n      - name: FOO\n        value: \"$(POD_NAME)\"\n" } };
	static const struct mfile collide[] = {
		{ "b1/kustomization.yaml", "resources:\n- pod.yaml\nvars:\n- name: P\n  objref:\n"
			"    kind: Pod\n    name: a\n" },
		{ "b1/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n" },
		{ "b2/kustomization.yaml", "resources:\n- pod.yaml\nvars:\n- name: P\n  objref:\n"
			"    kind: Pod\n    name: b\n" },
		{ "b2/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n" },
		{ "o/kustomization.yaml", "resources:\n- ../b1\n- ../b2\n" } };
	static const struct mfile custom[] = {
		{ "base/kustomization.yaml", "namePrefix: x-\ncommonLabels:\n  app: myApp\nvars:\n"
			"- name: APRIL_DIET\n  objref:\n    group: foo\n    version: v1\n    kind: Giraffe\n"
			"    name: april\n  fieldref:\n    fieldpath: spec.diet\n- name: KOKO_DIET\n  objref:\n"
			"    group: foo\n    version: v1\n    kind: Gorilla\n    name: koko\n  fieldref:\n"
			"    fieldpath: spec.diet\nresources:\n- animalPark.yaml\n- giraffes.yaml\n- gorilla.yaml\n"
			"configurations:\n- config/custom.yaml\n" },
		{ "base/giraffes.yaml", "apiVersion: foo/v1\nkind: Giraffe\nmetadata:\n  name: april\nspec:\n"
			"  diet: mimosa\n  location: NE\n---\napiVersion: foo/v1\nkind: Giraffe\nmetadata:\n"
			"  name: may\nspec:\n  diet: acacia\n  location: SE\n" },
		{ "base/gorilla.yaml", "apiVersion: foo/v1\nkind: Gorilla\nmetadata:\n  name: koko\nspec:\n"
			"  diet: bambooshoots\n  location: SW\n" },
		{ "base/animalPark.yaml", "apiVersion: foo/v1\nkind: AnimalPark\nmetadata:\n  name: sandiego\n"
			"spec:\n  gorillaRef:\n    name: koko\n  giraffeRef:\n    name: april\n  food:\n"
			"  - \"$(APRIL_DIET)\"\n  - \"$(KOKO_DIET)\"\n" },
		{ "base/config/custom.yaml", "nameReference:\n- kind: Gorilla\n  fieldSpecs:\n"
			"  - kind: AnimalPark\n    path: spec/gorillaRef/name\n- kind: Giraffe\n  fieldSpecs:\n"
			"  - kind: AnimalPark\n    path: spec/giraffeRef/name\nvarReference:\n- path: spec/food\n"
			"  kind: AnimalPark\n" } };

	check_output("vars: $(POD_NAME) after the prefix, in command and env", vars, N(vars), ".", 0,
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: base-clown\nspec:\n  containers:\n"
		"  - command:\n    - echo\n    - base-clown\n    env:\n    - name: FOO\n"
		"      value: base-clown\n    image: frown\n    name: frown\n");
	check_error("two bases defining one var differently", collide, N(collide), "o",
		"b2/kustomization.yaml", 4, "var 'P' already encountered");
	check_output("configurations: nameReference and varReference of custom kinds", custom,
		N(custom), "base", 0,
		"apiVersion: foo/v1\nkind: AnimalPark\nmetadata:\n  labels:\n    app: myApp\n"
		"  name: x-sandiego\nspec:\n  food:\n  - mimosa\n  - bambooshoots\n  giraffeRef:\n"
		"    name: x-april\n  gorillaRef:\n    name: x-koko\n---\napiVersion: foo/v1\n"
		"kind: Giraffe\nmetadata:\n  labels:\n    app: myApp\n  name: x-april\nspec:\n"
		"  diet: mimosa\n  location: NE\n---\napiVersion: foo/v1\nkind: Giraffe\nmetadata:\n"
		"  labels:\n    app: myApp\n  name: x-may\nspec:\n  diet: acacia\n  location: SE\n---\n"
		"apiVersion: foo/v1\nkind: Gorilla\nmetadata:\n  labels:\n    app: myApp\n"
		"  name: x-koko\nspec:\n  diet: bambooshoots\n  location: SW\n");
}

static void test_more_fields(void)
{
	static const struct mfile f[] = {
		{ "kustomization.yaml", "resources:\n- w.yaml\nlabels:\n- pairs:\n    team: a\n  fields:\n"
			"  - path: spec/owner/labels\n    kind: Widget\n    create: true\n"
			"imageTags:\n- name: nginx\n  newTag: \"1.25\"\n"
			"patchesStrategicMerge:\n- |-\n  apiVersion: example.com/v1\n  kind: Widget\n"
			"  metadata:\n    name: w\n  spec:\n    size: 2\n"
			"transformers:\n- tx\n" },
		{ "w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n"
			"  size: 1\n  template:\n    spec:\n      containers:\n      - name: c\n"
			"        image: nginx:1.0\n" },
		{ "tx/kustomization.yaml", "resources:\n- ann.yaml\n" },
		{ "tx/ann.yaml", "apiVersion: builtin\nkind: AnnotationsTransformer\nmetadata:\n  name: a\n"
			"annotations:\n  from: folder\nfieldSpecs:\n- path: metadata/annotations\n  create: true\n" } };

	check_output("labels fields, imageTags, an inline patchesStrategicMerge, a folder of transformer configs",
		f, N(f), ".", 0,
		"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  annotations:\n    from: folder\n"
		"  labels:\n    team: a\n  name: w\nspec:\n  owner:\n    labels:\n      team: a\n  size: 2\n"
		"  template:\n    spec:\n      containers:\n      - image: nginx:1.25\n        name: c\n");
}

/* duplicate keys in mappings large enough for the parser's key index, with merges */
static void test_large_maps(void)
{
	static const struct mfile dup[] = {
		{ "kustomization.yaml", "resources:\n- a.yaml\n" },
		{ "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n"
			"  k1: a\n  k2: a\n  k3: a\n  k4: a\n  k5: a\n  k6: a\n  k7: a\n  k8: a\n"
			"  k9: a\n  k10: a\n  k11: a\n  k12: a\n  k13: a\n  k14: a\n  k15: a\n"
			"  k16: a\n  k17: a\n  k18: a\n  k19: a\n  k20: a\n  k7: again\n" } };
	static const struct mfile merged_dup[] = {
		{ "kustomization.yaml", "resources:\n- a.yaml\n" },
		{ "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
			"base: &b {m1: a, m2: a, m3: a, m4: a, m5: a, m6: a, m7: a, m8: a, m9: a, m10: a}\n"
			"data:\n  <<: *b\n  k1: a\n  k2: a\n  m9: again\n" } };
	static const struct mfile merged_late[] = {
		{ "kustomization.yaml", "resources:\n- a.yaml\n" },
		{ "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
			"base: &b {m1: a, k9: b}\n"
			"data:\n  k1: a\n  k2: a\n  k3: a\n  k4: a\n  k5: a\n  k6: a\n  k7: a\n  k8: a\n"
			"  k9: a\n  <<: *b\n  z: a\n" } };

	check_error("a duplicate key late in a large mapping is refused at the key", dup, N(dup), ".",
		"a.yaml", 26, "mapping key \"k7\" already defined");
	check_error("a key already brought by a merge into a large mapping is refused", merged_dup,
		N(merged_dup), ".", "a.yaml", 10, "mapping key \"m9\" already defined");
	check_output("a merge after the keys of a large mapping adds only the missing ones", merged_late,
		N(merged_late), ".", GATE_RENDER_ORDER_LEGACY,
		"apiVersion: v1\nbase:\n  k9: b\n  m1: a\ndata:\n  k1: a\n  k2: a\n  k3: a\n  k4: a\n"
		"  k5: a\n  k6: a\n  k7: a\n  k8: a\n  k9: a\n  m1: a\n  z: a\nkind: ConfigMap\n"
		"metadata:\n  name: a\n");
}

static void test_errors(void)
{
	static const struct mfile missing[] = {
		{ "kustomization.yaml", "resources:\n- a.yaml\n- missing.yaml\n" },
		{ "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" } };
	static const struct mfile nomatch[] = {
		{ "kustomization.yaml", "resources:\n- a.yaml\npatches:\n- path: p.yaml\n" },
		{ "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" },
		{ "p.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  x: y\n" } };
	static const struct mfile remote[] = {
		{ "kustomization.yaml", "resources:\n- https://github.com/x/y//base?ref=v1\n" } };
	static const struct mfile helm[] = {
		{ "kustomization.yaml", "resources: []\nhelmCharts:\n- name: x\n" } };
	static const struct mfile dup[] = {
		{ "kustomization.yaml", "resources:\n- a.yaml\n- b.yaml\n" },
		{ "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" },
		{ "b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" } };
	static const struct mfile cycle[] = {
		{ "a/kustomization.yaml", "resources:\n- ../b\n" },
		{ "b/kustomization.yaml", "resources:\n- ../a\n" } };
	static const struct mfile comp[] = {
		{ "kustomization.yaml", "resources:\n- c\n" },
		{ "c/kustomization.yaml", "kind: Component\n" } };
	static const struct mfile bomb[] = {
		{ "kustomization.yaml", "resources:\n- a.yaml\n" },
		{ "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n"
			"  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			"  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			"  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			"  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n" } };

	check_error("a missing resource fails at its entry", missing, N(missing), ".",
		"kustomization.yaml", 3, "missing.yaml");
	check_error("a strategic merge patch that matches nothing fails at the patch", nomatch,
		N(nomatch), ".", "p.yaml", 1, "no resource matches strategic merge patch");
	check_error("a remote resource is an error at its entry", remote, N(remote), ".",
		"kustomization.yaml", 2, "remote resource");
	check_error("helmCharts is an error at its key", helm, N(helm), ".", "kustomization.yaml", 2,
		"helm");
	check_error("two objects with one id fail like kustomize", dup, N(dup), ".", "kustomization.yaml",
		3, "already registered id");
	check_error("a cycle of kustomizations is bounded", cycle, N(cycle), "a", "b/kustomization.yaml",
		2, "nest deeper");
	check_error("a Component listed in resources is refused", comp, N(comp), ".",
		"kustomization.yaml", 2, "expected kind != 'Component'");
	check_error("alias expansion is bounded by the node limit", bomb, N(bomb), ".", "", 0,
		"more than");
}

int main(void)
{
	test_hashes();
	test_name_references();
	test_strategic_merge();
	test_json6902();
	test_order();
	test_scalars();
	test_origins();
	test_replacements();
	test_vars_and_configurations();
	test_more_fields();
	test_errors();
	test_large_maps();
	return tap_done();
}
