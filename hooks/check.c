#include "gate/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/config.h"
#include "gate/util.h"

static void check_config_loads(const struct gate_check_input *in, struct gate_check_report *out);
static void check_globs(const struct gate_check_input *in, struct gate_check_report *out);

const struct gate_check gate_checks[] = {
	{ "config", check_config_loads },
	{ "globs", check_globs },
	{ "notify", gate_check_notify },
	{ NULL, NULL }
};

void gate_check_report_release(struct gate_check_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].file);
		free(r->v[i].key);
		free(r->v[i].message);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The node of doc at key ("a.b[2].c"): the deepest part found; its line, or 0. */
static unsigned line_of(const struct gate_doc *doc, const char *key, int *whole)
{
	const struct gate_node *n = doc ? doc->root : NULL;
	unsigned line = 0;
	const char *p = key;

	*whole = 0;
	if (!n)
		return 0;
	while (*p) {
		size_t len = strcspn(p, ".[");
		if (len) {
			char *name = gate_xstrndup(p, len);
			const struct gate_node *next = NULL;
			uint32_t i;
			if (n->type == GATE_NODE_OBJECT)
				for (i = 0; i < n->len; i++)
					if (!strcmp(n->u.members[i].key, name)) {
						line = n->u.members[i].line;
						next = &n->u.members[i].value;
						break;
					}
			free(name);
			if (!next)
				return line;
			n = next;
			p += len;
		} else if (*p == '[') {
			char *end;
			unsigned long i = strtoul(p + 1, &end, 10);
			if (*end != ']' || n->type != GATE_NODE_ARRAY || i >= n->len)
				return line;
			n = &n->u.items[i];
			line = n->line;
			p = end + 1;
		}
		if (*p == '.')
			p++;
	}
	*whole = 1;
	return line;
}

void gate_check_add(struct gate_check_report *r, const struct gate_check_input *in,
	const char *level, const char *key, const char *fmt, ...)
{
	struct gate_check_finding *f;
	struct gate_buf b = GATE_BUF_INIT;
	va_list ap;

	GATE_ALLOC_GROW(r->v, r->n + 1, r->alloc);
	f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->level = !strcmp(level, "error") ? "error" : !strcmp(level, "warning") ? "warning" : "ok";
	r->errors += f->level[0] == 'e';
	r->warnings += f->level[0] == 'w';
	va_start(ap, fmt);
	gate_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	f->message = gate_buf_detach(&b);
	if (key) {
		int whole_repo = 0, whole_sys = 0;
		unsigned lr = line_of(in->repo_doc, key, &whole_repo);
		unsigned ls = line_of(in->system_doc, key, &whole_sys);
		f->key = gate_xstrdup(key);
		if (lr && (whole_repo || !whole_sys || !ls)) {
			f->file = in->repo_path ? gate_xstrdup(in->repo_path) : NULL;
			f->line = lr;
		} else if (ls) {
			f->file = in->system_path ? gate_xstrdup(in->system_path) : NULL;
			f->line = ls;
		} else if (in->repo_path) {
			f->file = gate_xstrdup(in->repo_path);
		}
	}
}

size_t gate_check_run(const struct gate_check_input *in, struct gate_check_report *out)
{
	const struct gate_check *c;

	for (c = gate_checks; c->name; c++)
		c->fn(in, out);
	return out->errors;
}

/* The configuration loads (schema, types): its message names file:line:col already. */
static void check_config_loads(const struct gate_check_input *in, struct gate_check_report *out)
{
	if (in->load_error) {
		gate_check_add(out, in, "error", NULL, "%s", in->load_error);
		return;
	}
	gate_check_add(out, in, "ok", NULL, "the configuration loads%s%s%s%s",
		in->repo_path ? " from " : "", in->repo_path ? in->repo_path : "",
		in->system_path ? " and " : "", in->system_path ? in->system_path : "");
}

struct glob_ctx {
	struct gate_check_report *out;
	const char *file;
	const char *load_error;
};

static void glob_finding(void *payload, unsigned line, unsigned col, const char *key,
	const char *message)
{
	struct glob_ctx *g = payload;
	struct gate_check_finding *f;
	char *same = gate_xasprintf("%s:%u:%u: invalid config: %s:", g->file, line, col, key);
	int dup = g->load_error && strstr(g->load_error, same);

	free(same);
	if (dup)
		return; /* the load check said it already */
	GATE_ALLOC_GROW(g->out->v, g->out->n + 1, g->out->alloc);
	f = &g->out->v[g->out->n++];
	memset(f, 0, sizeof(*f));
	f->level = "error";
	f->file = gate_xstrdup(g->file);
	f->line = line;
	f->key = gate_xstrdup(key);
	f->message = gate_xstrdup(message);
	g->out->errors++;
}

/* Every malformed glob of both files, and gated_refs that match no branch and no tag. */
static void check_globs(const struct gate_check_input *in, struct gate_check_report *out)
{
	struct glob_ctx g;

	g.out = out;
	g.load_error = in->load_error;
	if (in->system_doc && in->system_path) {
		g.file = in->system_path;
		gate_config_check_globs(in->system_doc->root, glob_finding, &g);
	}
	if (in->repo_doc && in->repo_path) {
		g.file = in->repo_path;
		gate_config_check_globs(in->repo_doc->root, glob_finding, &g);
	}
}

/* Parse path for line numbers (NULL when absent or unparsable: the load check says why). */
static struct gate_doc *parse_for_lines(const char *path)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct gate_doc *doc = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (!path || gate_read_file(path, GATE_CONFIG_MAX_BYTES, &buf, &len) < 0)
		return NULL;
	if (gate_doc_parse(&doc, buf, len, 1, &lim, 0, &derr) < 0)
		doc = NULL;
	free(buf);
	return doc;
}

size_t gate_check_files(const char *repo_path, const char *system_path, const json_t *config,
	const char *load_error, struct gate_check_report *out)
{
	struct gate_check_input in;
	struct gate_doc *rdoc, *sdoc;
	size_t n;

	memset(&in, 0, sizeof(in));
	in.repo_path = repo_path;
	in.system_path = system_path;
	in.repo_doc = rdoc = parse_for_lines(repo_path);
	in.system_doc = sdoc = parse_for_lines(system_path);
	in.config = config;
	in.load_error = load_error;
	n = gate_check_run(&in, out);
	gate_doc_free(rdoc);
	gate_doc_free(sdoc);
	return n;
}
