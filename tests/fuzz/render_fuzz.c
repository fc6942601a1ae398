/*
 * libFuzzer target: the kustomize renderer on an in-memory tree.  The input
 * is a set of files: "=== PATH" lines start each one (text before the first
 * such line is kustomization.yaml); folders are implied by the paths.  The
 * tree's root is built in both orders (the second skipping what the gate
 * cannot reach, with warnings), emitted, and every object hashed.  Each
 * build is done again twice with one parse cache (gate_render_cache_new())
 * shared by both orders: the YAML or the error must be the same, else the
 * target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/render.h"
#include "gate/util.h"

struct file {
	char *path;
	const char *text;
	size_t len;
};

struct tree {
	struct file *f;
	size_t n, alloc;
};

static int tree_read(void *payload, const char *path, char **buf, size_t *len)
{
	const struct tree *t = payload;
	size_t i, pl = strlen(path);

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->f[i].path, path)) {
			*buf = gate_xstrndup(t->f[i].text, t->f[i].len);
			*len = t->f[i].len;
			return 0;
		}
	if (!strcmp(path, "."))
		return GATE_RENDER_EISDIR;
	for (i = 0; i < t->n; i++)
		if (!strncmp(t->f[i].path, path, pl) && t->f[i].path[pl] == '/')
			return GATE_RENDER_EISDIR;
	return GATE_RENDER_ENOENT;
}

static void add(struct tree *t, const char *path, size_t plen, const char *text, size_t len)
{
	GATE_ALLOC_GROW(t->f, t->n + 1, t->alloc);
	t->f[t->n].path = gate_xstrndup(path, plen);
	t->f[t->n].text = text;
	t->f[t->n].len = len;
	t->n++;
}

static void split(struct tree *t, const char *data, size_t size)
{
	const char *p = data, *end = data + size, *path = "kustomization.yaml", *body = data;
	size_t plen = strlen(path);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;

		if (end - p > 4 && !memcmp(p, "=== ", 4)) {
			if (p > body || t->n == 0)
				add(t, path, plen, body, (size_t)(p - body));
			path = p + 4;
			plen = (size_t)((nl ? nl : end) - path);
			body = next;
		}
		p = next;
	}
	add(t, path, plen, body, (size_t)(end - body));
}

/* The YAML or the error of one build, as text (to compare with and without the cache). */
static void outcome(const struct gate_render_loader *ldr, const struct gate_render_options *opts,
	struct gate_buf *out)
{
	struct gate_render_error err;
	struct gate_render *r = NULL;

	if (gate_render_build(&r, ".", ldr, opts, &err) == 0)
		gate_render_emit(r, out);
	else
		gate_buf_addf(out, "error %s:%u:%u: %s", err.file, err.line, err.col, err.message);
	gate_render_free(r);
}

static int same(const struct gate_buf *a, const struct gate_buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->ptr, b->ptr, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tree t = { NULL, 0, 0 };
	struct gate_render_loader ldr = { tree_read, &t };
	struct gate_render_options opts = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_error err;
	struct gate_render_cache *cache;
	int order;
	size_t i;

	if (size > (256u << 10))
		return 0;
	gate_render_cache_new(&cache);
	split(&t, (const char *)data, size);
	opts.max_files = 200;
	opts.max_bytes = 4u << 20;
	opts.max_nodes = 200000;
	opts.max_depth = 16;
	for (order = 0; order < 2; order++) {
		struct gate_render *r = NULL;
		struct gate_buf out = GATE_BUF_INIT;

		opts.order = order;
		opts.flags = order ? GATE_RENDER_SKIP_UNREACHABLE : 0;
		if (gate_render_build(&r, ".", &ldr, &opts, &err) == 0) {
			for (i = 0; i < gate_render_warning_count(r); i++)
				(void)gate_render_warning(r, i)->message[0];
			gate_render_emit(r, &out);
			for (i = 0; i < gate_render_count(r); i++) {
				char h[11];

				gate_render_hash(gate_render_object(r, i), h);
			}
		}
		gate_render_free(r);
		gate_buf_release(&out);
		{
			struct gate_render_options copts = opts;
			struct gate_buf plain = GATE_BUF_INIT, first = GATE_BUF_INIT, again = GATE_BUF_INIT;

			outcome(&ldr, &opts, &plain);
			copts.cache = cache;
			outcome(&ldr, &copts, &first);
			outcome(&ldr, &copts, &again);
			if (!same(&plain, &first) || !same(&plain, &again))
				abort(); /* the parse cache changed a render */
			gate_buf_release(&plain);
			gate_buf_release(&first);
			gate_buf_release(&again);
		}
	}
	gate_render_cache_free(cache);
	for (i = 0; i < t.n; i++)
		free(t.f[i].path);
	free(t.f);
	return 0;
}
