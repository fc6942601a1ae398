/*
 * render_cache_test: the parse cache shared by the builds of one push gives
 * the same renders and the same errors as parsing each time: a text read at
 * another path takes that path as its origin, a text whose handling failed
 * is not replayed, a build's node limit fails at the same point, a YAML
 * error and a document error are reported alike.  Every build is compared
 * with the same build without a cache (tests/render/cache_same.sh does the
 * same over the kustomize goldens).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gate/render.h"
#include "gate/util.h"
#include "../tap.h"
#include "render_memfs.h"

static void dump(const struct gate_rnode *n, struct gate_buf *out)
{
	uint32_t i;

	if (!n)
		return;
	gate_buf_addf(out, "%s:%u:%u:%d ", n->file ? n->file : "-", n->line, n->col, n->type);
	if (n->type == GATE_RNODE_SEQ)
		for (i = 0; i < n->len; i++)
			dump(n->u.items[i], out);
	else if (n->type == GATE_RNODE_MAP)
		for (i = 0; i < n->len; i++) {
			gate_buf_addf(out, "%s@%u:%u ", n->u.members[i].key, n->u.members[i].line,
				n->u.members[i].col);
			dump(n->u.members[i].value, out);
		}
}

/* Everything a build gives (YAML and origins, or the error), as text (caller frees). */
static char *build(const struct mfile *files, size_t n, const char *dir, size_t max_nodes,
	struct gate_render_cache *cache)
{
	struct mfs fs = { files, n };
	struct gate_render_loader ldr = { mem_read, &fs };
	struct gate_render_options opts = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_error err;
	struct gate_buf out = GATE_BUF_INIT;
	struct gate_render *r;
	size_t i;

	opts.cache = cache;
	if (max_nodes)
		opts.max_nodes = max_nodes;
	if (gate_render_build(&r, dir, &ldr, &opts, &err) < 0) {
		gate_buf_addf(&out, "error %s:%u:%u: %s", err.file, err.line, err.col, err.message);
		return gate_buf_detach(&out);
	}
	gate_render_emit(r, &out);
	for (i = 0; i < gate_render_count(r); i++)
		dump(gate_render_object(r, i), &out);
	gate_render_free(r);
	return gate_buf_detach(&out);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* dir built without a cache, then with cache: the same text; returns the text (caller frees) */
static char *same(const char *name, const struct mfile *files, size_t n, const char *dir,
	size_t max_nodes, struct gate_render_cache *cache)
{
	char *plain = build(files, n, dir, max_nodes, NULL);
	char *cached = build(files, n, dir, max_nodes, cache);

	if (!ok(!strcmp(plain, cached), "%s", name))
		diag("without the cache:\n%s\nwith it:\n%s", plain, cached);
	free(cached);
	return plain;
}

static const char deploy[] =
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
	"    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n";
static const char service[] =
	"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n";

static void test_overlays(void)
{
	/* one text at two paths, two overlays of one base, one file read as a patch elsewhere */
	static const struct mfile files[] = {
		{ "base/kustomization.yaml", "resources: [deploy.yaml, service.yaml]\n" },
		{ "base/deploy.yaml", deploy },
		{ "base/service.yaml", service },
		{ "copy/kustomization.yaml", "resources: [deploy.yaml]\n" },
		{ "copy/deploy.yaml", deploy },
		{ "o1/kustomization.yaml", "resources: [../base]\nnamePrefix: o1-\nnamespace: team-o1\n" },
		{ "o2/kustomization.yaml", "resources: [../base]\nnamePrefix: o2-\nimages: [{name: nginx, newTag: '2'}]\n" },
		{ "p/kustomization.yaml", "resources: [../base]\npatches: [{path: ../copy/deploy.yaml}]\n" },
	};
	struct gate_render_cache *cache;
	char *a, *b;

	gate_render_cache_new(&cache);
	free(same("the first overlay", files, N(files), "o1", 0, cache));
	free(same("the second overlay, its base from the cache", files, N(files), "o2", 0, cache));
	ok(gate_render_cache_hits(cache) >= 3, "the base's three files were not parsed again (%zu)",
		gate_render_cache_hits(cache));
	a = same("a copy of a base file read at another path", files, N(files), "copy", 0, cache);
	ok(strstr(a, "copy/deploy.yaml:") && !strstr(a, "base/deploy.yaml:"),
		"it names the path it was read at");
	free(a);
	b = same("the same text read as a patch", files, N(files), "p", 0, cache);
	ok(strstr(b, "copy/deploy.yaml:10:"), "the patch's values name the patch file");
	free(b);
	gate_render_cache_free(cache);
}

static void test_errors(void)
{
	/* the second document has no name: parsed whole, then refused while handled */
	static const char two[] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n";
	static const struct mfile files[] = {
		{ "a/kustomization.yaml", "resources: [two.yaml]\n" },
		{ "a/two.yaml", two },
		{ "b/kustomization.yaml", "resources: [bad.yaml]\n" },
		{ "b/bad.yaml", "apiVersion: v1\nkind: [\n" },
		{ "c/kustomization.yaml", "resources: [dup.yaml]\n" },
		{ "c/dup.yaml", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n" },
		{ "d/kustomization.yaml", "resources: [many.yaml, ../base2]\n" },
		{ "d/many.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m1}\ndata: {a: '1', b: '2'}\n---\n"
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m2}\ndata: {a: '1', b: '2'}\n---\n"
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m3}\ndata: {a: '1', b: '2'}\n" },
		{ "base2/kustomization.yaml", "resources: [../d/many.yaml]\nnamePrefix: x-\n" },
	};
	struct gate_render_cache *cache;
	char *plain;
	size_t limit;

	gate_render_cache_new(&cache);
	free(same("a document refused while handled", files, N(files), "a", 0, cache));
	free(same("and again (nothing replayed from a failed handling)", files, N(files), "a", 0, cache));
	free(same("a YAML error", files, N(files), "b", 0, cache));
	free(same("and again", files, N(files), "b", 0, cache));
	free(same("a duplicate key", files, N(files), "c", 0, cache));
	free(same("and again", files, N(files), "c", 0, cache));
	plain = same("a file read twice in one build", files, N(files), "d", 0, cache);
	ok(!strncmp(plain, "apiVersion", 10), "it renders");
	free(plain);
	/* every node limit around the build's size fails (or not) where parsing fails */
	for (limit = 60; limit < 120; limit++) {
		char name[64];
		snprintf(name, sizeof(name), "the node limit at %zu", limit);
		plain = same(name, files, N(files), "d", limit, cache);
		free(plain);
	}
	gate_render_cache_free(cache);
}

int main(void)
{
	test_overlays();
	test_errors();
	return tap_done();
}
