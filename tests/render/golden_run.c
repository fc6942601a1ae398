/*
 * golden_run: the driver of tests/render/goldens.sh.  For every case under
 * ROOT (<repo>/cases/<case>/{DIR,expected.yaml,expected-reorder-none.yaml})
 * and both orders, render DIR of <repo>/tree with the renderer library
 * (gate_render_build() reading the disk, as `gitops-gate render` does; the
 * command itself is driven by tests/render/render_cli.sh) and compare with
 * kustomize's output as lists of YAML documents (yamlcmp.h).  Prints TAP;
 * cases listed in KNOWN ("case order reason") are TODO.  In one process, so
 * the 976 renders take about a second.
 *
 *   golden_run ROOT KNOWN   exit 0 unless an unlisted case fails
 *
 * With --cache ROOT (tests/render/cache_same.sh): every case and order
 * rendered without a parse cache, then twice with one cache shared by all
 * the cases of a repository (the second time every file comes from it);
 * the YAML, every node's origin (file, line, column) and any error must be
 * byte for byte the same.  One TAP line per repository.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/render.h"
#include "yamlcmp.h"

struct known {
	char **name, **order, **reason;
	size_t n, alloc;
};

static void read_known(const char *file, struct known *k)
{
	char *buf, *line, *save = NULL;
	size_t len;

	if (gate_read_file(file, 1u << 20, &buf, &len) < 0) {
		printf("Bail out! cannot read %s\n", file);
		exit(1);
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name, *order, *rest = NULL;

		if (line[0] == '#' || !line[0])
			continue;
		name = strtok_r(line, " ", &rest);
		order = strtok_r(NULL, " ", &rest);
		if (!name || !order || !rest || !*rest) {
			printf("Bail out! %s: a line needs a case, an order and a reason\n", file);
			exit(1);
		}
		GATE_ALLOC_GROW(k->name, k->n + 1, k->alloc);
		k->order = gate_xreallocarray(k->order, k->alloc, sizeof(char *));
		k->reason = gate_xreallocarray(k->reason, k->alloc, sizeof(char *));
		k->name[k->n] = gate_xstrdup(name);
		k->order[k->n] = gate_xstrdup(order);
		k->reason[k->n] = gate_xstrdup(rest);
		k->n++;
	}
	free(buf);
}

static const char *known_reason(const struct known *k, const char *name, const char *order)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->name[i], name) && !strcmp(k->order[i], order))
			return k->reason[i];
	return NULL;
}

/* the disk, below a base folder (the case's tree) */
static int tree_read(void *payload, const char *path, char **buf, size_t *len)
{
	char *full = gate_xasprintf("%s/%s", (const char *)payload, path);
	struct stat st;
	int rc = 0;

	if (stat(full, &st) < 0)
		rc = GATE_RENDER_ENOENT;
	else if (S_ISDIR(st.st_mode))
		rc = GATE_RENDER_EISDIR;
	else if (gate_read_file(full, 64u << 20, buf, len) < 0)
		rc = -1;
	free(full);
	return rc;
}

/* render DIR of tree in ORDER with the library; the YAML into out, an error into err */
static int run_render(const char *tree, int order, const char *dir, struct gate_buf *out,
	struct gate_buf *err)
{
	struct gate_render_loader ldr = { tree_read, (void *)tree };
	struct gate_render_options opts = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_error e;
	struct gate_render *r;

	opts.order = order;
	if (gate_render_build(&r, dir, &ldr, &opts, &e) < 0) {
		gate_buf_addf(err, "%s:%u:%u: %s", e.file, e.line, e.col, e.message);
		return 1;
	}
	gate_render_emit(r, out);
	gate_render_free(r);
	return 0;
}

/* every node's origin and type, in document order */
static void dump_origins(const struct gate_rnode *n, struct gate_buf *out)
{
	uint32_t i;

	if (!n)
		return;
	gate_buf_addf(out, "%s:%u:%u:%d:%d\n", n->file ? n->file : "-", n->line, n->col, n->type, n->block);
	if (n->type == GATE_RNODE_SEQ)
		for (i = 0; i < n->len; i++)
			dump_origins(n->u.items[i], out);
	else if (n->type == GATE_RNODE_MAP)
		for (i = 0; i < n->len; i++) {
			gate_buf_addf(out, "key %s %u:%u\n", n->u.members[i].key, n->u.members[i].line,
				n->u.members[i].col);
			dump_origins(n->u.members[i].value, out);
		}
}

/* What a render gives, all of it: YAML, origins, warnings, or the error. */
static void render_all(const char *tree, int order, const char *dir, struct gate_render_cache *cache,
	struct gate_buf *out)
{
	struct gate_render_loader ldr = { tree_read, (void *)tree };
	struct gate_render_options opts = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_error e;
	struct gate_render *r;
	size_t i;

	opts.order = order;
	opts.cache = cache;
	if (gate_render_build(&r, dir, &ldr, &opts, &e) < 0) {
		gate_buf_addf(out, "error %s:%u:%u: %s", e.file, e.line, e.col, e.message);
		return;
	}
	gate_render_emit(r, out);
	for (i = 0; i < gate_render_count(r); i++)
		dump_origins(gate_render_object(r, i), out);
	for (i = 0; i < gate_render_warning_count(r); i++) {
		const struct gate_render_error *w = gate_render_warning(r, i);
		gate_buf_addf(out, "warning %s:%u:%u: %s\n", w->file, w->line, w->col, w->message);
	}
	gate_render_free(r);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_dir(const char *path, size_t *n)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **v = NULL;
	size_t alloc = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		GATE_ALLOC_GROW(v, *n + 1, alloc);
		v[(*n)++] = gate_xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_name);
	return v;
}

static void print_comment(const char *s, size_t max)
{
	size_t i;

	fputs("#   ", stdout);
	for (i = 0; s[i] && i < max; i++) {
		putchar(s[i]);
		if (s[i] == '\n' && s[i + 1])
			fputs("#   ", stdout);
	}
	if (i && s[i - 1] != '\n')
		putchar('\n');
}

static int same_buf(const struct gate_buf *a, const struct gate_buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->ptr, b->ptr, a->len));
}

/* --cache ROOT: the renders are the same with a shared parse cache */
static int cache_mode(const char *root)
{
	char **repos;
	size_t nrepos, r, failed = 0, hits = 0, cases = 0, tap = 0;

	repos = list_dir(root, &nrepos);
	for (r = 0; r < nrepos; r++) {
		char *cdir = gate_xasprintf("%s/%s/cases", root, repos[r]);
		char *tree = gate_xasprintf("%s/%s/tree", root, repos[r]);
		struct gate_render_cache *cache;
		size_t ncases, i, differ = 0, renders = 0;
		char **cs = list_dir(cdir, &ncases);

		gate_render_cache_new(&cache);
		for (i = 0; i < ncases; i++) {
			char *dfile = gate_xasprintf("%s/%s/DIR", cdir, cs[i]), *dir;
			size_t dlen;
			int o;

			if (gate_read_file(dfile, 4096, &dir, &dlen) == 0) {
				while (dlen && (dir[dlen - 1] == '\n' || dir[dlen - 1] == '\r'))
					dir[--dlen] = 0;
				cases++;
				for (o = 0; o < 2; o++) {
					struct gate_buf plain = GATE_BUF_INIT, first = GATE_BUF_INIT, again = GATE_BUF_INIT;
					int order = o ? GATE_RENDER_ORDER_NONE : GATE_RENDER_ORDER_LEGACY;

					render_all(tree, order, dir, NULL, &plain);
					render_all(tree, order, dir, cache, &first);
					render_all(tree, order, dir, cache, &again);
					renders++;
					if (!same_buf(&plain, &first) || !same_buf(&plain, &again)) {
						if (!differ++)
							printf("#   %s %s differs with the cache\n", cs[i], o ? "none" : "legacy");
					}
					gate_buf_release(&plain);
					gate_buf_release(&first);
					gate_buf_release(&again);
				}
				free(dir);
			}
			free(dfile);
			free(cs[i]);
		}
		hits += gate_render_cache_hits(cache);
		if (renders) /* README.md and the like are no repositories */
			printf("%s %zu - %s: %zu renders the same with the parse cache (%zu parses spared)\n",
				differ ? "not ok" : "ok", ++tap, repos[r], renders, gate_render_cache_hits(cache));
		failed += differ != 0;
		gate_render_cache_free(cache);
		free(cs);
		free(cdir);
		free(tree);
		free(repos[r]);
	}
	free(repos);
	if (!cases) {
		printf("Bail out! no cases under %s\n", root);
		return 1;
	}
	printf("%s %zu - the cache was used (%zu parses spared)\n", hits ? "ok" : "not ok", ++tap, hits);
	printf("1..%zu\n", tap);
	return failed || !hits ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct known known = { 0 };
	char **repos;
	size_t nrepos, r, tap = 0, failed = 0, cases = 0, bytes = 0;

	if (argc == 3 && !strcmp(argv[1], "--cache"))
		return cache_mode(argv[2]);
	if (argc != 3) {
		fputs("usage: golden_run ROOT KNOWN\n       golden_run --cache ROOT\n", stderr);
		return 2;
	}
	read_known(argv[2], &known);
	repos = list_dir(argv[1], &nrepos);
	for (r = 0; r < nrepos; r++) {
		char *cdir = gate_xasprintf("%s/%s/cases", argv[1], repos[r]);
		char *tree = gate_xasprintf("%s/%s/tree", argv[1], repos[r]);
		size_t ncases, i;
		char **cs = list_dir(cdir, &ncases);

		for (i = 0; i < ncases; i++) {
			const char *orders[] = { "legacy", "none" };
			char *base = gate_xasprintf("%s/%s", cdir, cs[i]);
			char *dfile = gate_xasprintf("%s/DIR", base), *dir;
			char *name = gate_xasprintf("%s/%s", repos[r], cs[i]);
			size_t dlen;
			int o;

			if (gate_read_file(dfile, 4096, &dir, &dlen) < 0) {
				free(dfile);
				free(base);
				free(name);
				continue;
			}
			while (dlen && (dir[dlen - 1] == '\n' || dir[dlen - 1] == '\r'))
				dir[--dlen] = 0;
			cases++;
			for (o = 0; o < 2; o++) {
				struct gate_buf out = GATE_BUF_INIT, err = GATE_BUF_INIT, msg = GATE_BUF_INIT;
				struct docs want = { 0 }, got = { 0 };
				char *wfile = gate_xasprintf("%s/expected-reorder-none.yaml", base);
				const char *reason = known_reason(&known, name, orders[o]);
				char *wbuf = NULL;
				size_t wlen = 0;
				int rc, same;

				if (o == 0 || access(wfile, F_OK) < 0) {
					free(wfile);
					wfile = gate_xasprintf("%s/expected.yaml", base);
				}
				rc = run_render(tree, o ? GATE_RENDER_ORDER_NONE : GATE_RENDER_ORDER_LEGACY, dir, &out, &err);
				if (gate_read_file(wfile, 256u << 20, &wbuf, &wlen) < 0) {
					gate_buf_adds(&msg, "cannot read the expected output");
					same = 0;
				} else if (rc) {
					gate_buf_adds(&msg, "the build failed");
					same = 0;
				} else if (load_buf("expected", wbuf, wlen, &want) < 0 ||
					load_buf("rendered", out.ptr ? out.ptr : "", out.len, &got) < 0) {
					gate_buf_adds(&msg, "output does not parse");
					same = 0;
				} else {
					same = !docs_diff(&want, &got, &msg);
				}
				if (same && out.len == wlen && (wlen == 0 || !memcmp(out.ptr, wbuf, wlen)))
					bytes++;
				printf("%s %zu - %s %s%s%s\n", same ? "ok" : "not ok", ++tap, name, orders[o],
					reason ? " # TODO " : "", reason ? reason : "");
				if (!same) {
					if (msg.len)
						print_comment(msg.ptr, 600);
					if (err.len)
						print_comment(err.ptr, 600);
					if (!reason)
						failed++;
				}
				docs_release(&want);
				docs_release(&got);
				gate_buf_release(&out);
				gate_buf_release(&err);
				gate_buf_release(&msg);
				free(wbuf);
				free(wfile);
			}
			free(dir);
			free(dfile);
			free(base);
			free(name);
			free(cs[i]);
		}
		free(cs);
		free(cdir);
		free(tree);
		free(repos[r]);
	}
	free(repos);
	if (!cases) {
		printf("Bail out! no cases under %s\n", argv[1]);
		return 1;
	}
	printf("# %zu cases; %zu of %zu renders byte for byte kustomize's output\n", cases, bytes, tap);
	printf("1..%zu\n", tap);
	return failed ? 1 : 0;
}
