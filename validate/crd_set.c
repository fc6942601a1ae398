/*
 * crd_set: custom resource schemas from committed CRDs.  See
 * include/gate/crd_set.h.
 */
#define _GNU_SOURCE /* memmem */
#include "gate/crd_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/crd.h"
#include "gate/k8s.h"
#include "gate/unit.h"
#include "gate/util.h"
#include "repo_checks_int.h"

/* ---- custom resource schemas from CRDs ---- */

struct crd_entry {
	char *group, *version, *kind;
	char *where; /* "CustomResourceDefinition <name> (<file>)" */
	struct gate_schema *schema;
};

struct crd_want {
	char *group, *kind;
};

struct gate_crd_set {
	int strict;
	struct crd_entry *v;
	size_t n, alloc;
	struct crd_want *wants; /* none: every CRD */
	size_t nwants, awants;
};

void gate_crd_set_new(struct gate_crd_set **out, int strict)
{
	*out = gate_xcalloc(1, sizeof(**out));
	(*out)->strict = strict;
}

void gate_crd_set_free(struct gate_crd_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->v[i].group);
		free(set->v[i].version);
		free(set->v[i].kind);
		free(set->v[i].where);
		gate_schema_free(set->v[i].schema);
	}
	for (i = 0; i < set->nwants; i++) {
		free(set->wants[i].group);
		free(set->wants[i].kind);
	}
	free(set->wants);
	free(set->v);
	free(set);
}

size_t gate_crd_set_count(const struct gate_crd_set *set)
{
	return set ? set->n : 0;
}

int gate_crd_maybe(const char *buf, size_t len)
{
	static const char needle[] = "CustomResourceDefinition";

	return buf && memmem(buf, len, needle, sizeof(needle) - 1) != NULL;
}

/*
 * Cheap tests for "may this text hold a scalar equal to s" that never miss
 * one, for names made of letters, digits, '.', '_' and '-' (API groups and
 * kinds; other names always may).  Such a scalar stands in the text as a
 * whole run of those characters (plain, single-quoted, block and JSON
 * scalars cannot hold it otherwise without a blank, a line break or a
 * quote, and what comes before or after a scalar is none of them), or is a
 * double-quoted scalar whose escapes (\x, \u, \U, escaped line breaks)
 * spell it.  A file's words are every such run and every double-quoted
 * scalar that decodes to one, kept as hashes: a collision only makes a
 * "may" that is not.
 */
#define WORD_MAX 512

struct gate_crd_words {
	uint64_t *slots;  /* hashes, 0 empty */
	size_t nslots, n;
};

static const unsigned char word_chars[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static uint64_t word_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h ? h : 1;
}

/* 1 when s is a name the words can answer for, else 0 (always "may"). */
static int word_like(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!word_chars[(unsigned char)*s])
			return 0;
	return n > 0 && n <= WORD_MAX;
}

static void words_add(struct gate_crd_words *w, uint64_t h)
{
	size_t i;

	if ((w->n + 1) * 2 > w->nslots) {
		uint64_t *old = w->slots;
		size_t on = w->nslots;
		w->nslots = on ? on * 2 : 1024;
		w->slots = gate_xcalloc(w->nslots, sizeof(*w->slots));
		w->n = 0;
		for (i = 0; i < on; i++)
			if (old[i])
				words_add(w, old[i]);
		free(old);
	}
	for (i = (size_t)h & (w->nslots - 1); w->slots[i]; i = (i + 1) & (w->nslots - 1))
		if (w->slots[i] == h)
			return;
	w->slots[i] = h;
	w->n++;
}

static int words_has(const struct gate_crd_words *w, const char *s)
{
	uint64_t h;
	size_t i;

	if (!word_like(s))
		return 1;
	if (!w->nslots)
		return 0;
	h = word_hash(s, strlen(s));
	for (i = (size_t)h & (w->nslots - 1); w->slots[i]; i = (i + 1) & (w->nslots - 1))
		if (w->slots[i] == h)
			return 1;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The value of the double-quoted scalar whose content starts at p, into
 * out, when it is one word; else 0.  Only \x, \u and \U escapes can give a
 * word character; an escaped line break and the blanks after it give none.
 */
static size_t dq_word(const char *p, const char *end, char *out)
{
	size_t n = 0;

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return n;
		if (c == '\\') {
			int digits, d;
			unsigned long cp = 0;
			if (++p >= end)
				return 0;
			if (*p == '\r' || *p == '\n') {
				while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
					p++;
				continue;
			}
			digits = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
			if (!digits || end - p <= digits)
				return 0;
			for (d = 1; d <= digits; d++) {
				int v = hexval((unsigned char)p[d]);
				if (v < 0)
					return 0;
				cp = cp * 16 + (unsigned long)v;
			}
			p += digits + 1;
			if (cp > 0x7f || !word_chars[cp])
				return 0;
			c = (unsigned char)cp;
		} else if (word_chars[c]) {
			p++;
		} else {
			return 0;
		}
		if (n >= WORD_MAX)
			return 0;
		out[n++] = (char)c;
	}
	return 0;
}

void gate_crd_words_new(struct gate_crd_words **out, const char *buf, size_t len)
{
	struct gate_crd_words *w = gate_xcalloc(1, sizeof(*w));
	const char *p = buf, *end = buf + len;
	char word[WORD_MAX];

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (word_chars[c]) {
			const char *s = p;
			while (p < end && word_chars[(unsigned char)*p])
				p++;
			if ((size_t)(p - s) <= WORD_MAX)
				words_add(w, word_hash(s, (size_t)(p - s)));
			continue;
		}
		if (c == '"') {
			size_t n = dq_word(p + 1, end, word);
			if (n)
				words_add(w, word_hash(word, n));
		}
		p++;
	}
	*out = w;
}

void gate_crd_words_free(struct gate_crd_words *w)
{
	if (!w)
		return;
	free(w->slots);
	free(w);
}

int gate_crd_words_may_define(const struct gate_crd_words *w, const char *group, const char *kind)
{
	return words_has(w, group) && words_has(w, kind);
}

int gate_crd_may_define(const char *buf, size_t len, const char *group, const char *kind)
{
	struct gate_crd_words *w;
	int yes;

	if (!gate_crd_maybe(buf, len))
		return 0;
	gate_crd_words_new(&w, buf, len);
	yes = gate_crd_words_may_define(w, group, kind);
	gate_crd_words_free(w);
	return yes;
}

void gate_crd_set_want(struct gate_crd_set *set, const char *group, const char *kind)
{
	size_t i;

	for (i = 0; i < set->nwants; i++)
		if (!strcmp(set->wants[i].group, group) && !strcmp(set->wants[i].kind, kind))
			return;
	GATE_ALLOC_GROW(set->wants, set->nwants + 1, set->awants);
	set->wants[set->nwants].group = gate_xstrdup(group);
	set->wants[set->nwants].kind = gate_xstrdup(kind);
	set->nwants++;
}

static int wanted(const struct gate_crd_set *set, const char *group, const char *kind)
{
	size_t i;

	if (!set->nwants)
		return 1;
	for (i = 0; i < set->nwants; i++)
		if (!strcmp(set->wants[i].group, group) && !strcmp(set->wants[i].kind, kind))
			return 1;
	return 0;
}

/* May the document part define a wanted CRD (without parsing it)? */
static int part_may_define(const struct gate_crd_set *set, const char *part, size_t len)
{
	struct gate_crd_words *w;
	size_t i;
	int yes = 0;

	if (!set->nwants)
		return 1;
	gate_crd_words_new(&w, part, len);
	for (i = 0; i < set->nwants && !yes; i++)
		yes = gate_crd_words_may_define(w, set->wants[i].group, set->wants[i].kind);
	gate_crd_words_free(w);
	return yes;
}

static int add_schema(struct gate_crd_set *set, const char *where, const char *group,
	const char *version, const char *kind, const struct gate_node *schema_node,
	char *msg, size_t msgsize, int *failed)
{
	struct gate_schema *schema = NULL;
	struct crd_entry *e;
	json_t *root, *node;
	char cmsg[512];
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].group, group) && !strcmp(set->v[i].version, version) &&
		    !strcmp(set->v[i].kind, kind))
			return 0; /* the first definition wins */
	/* the conversion of `extract crd`; kubeconform's -strict closes the root too */
	node = schema_node ? gate_node_to_jansson(schema_node) : NULL;
	root = gate_crd_schema_convert(node, set->strict ? GATE_CRD_CLOSED | GATE_CRD_CLOSED_ROOT : 0);
	json_decref(node);
	if (!root)
		return -1;
	if (gate_schema_compile(&schema, root, NULL, 0, cmsg, sizeof(cmsg)) < 0) {
		if (!*failed)
			snprintf(msg, msgsize, "%s: the schema of %s/%s %s does not compile: %s",
				where, group, version, kind, cmsg);
		*failed = 1;
		json_decref(root);
		return 0;
	}
	json_decref(root);
	GATE_ALLOC_GROW(set->v, set->n + 1, set->alloc);
	e = &set->v[set->n++];
	e->group = gate_xstrdup(group);
	e->version = gate_xstrdup(version);
	e->kind = gate_xstrdup(kind);
	e->where = gate_xstrdup(where);
	e->schema = schema;
	return 0;
}

struct crd_ctx {
	struct gate_crd_set *set;
	const char *filename;
	const struct gate_doc_limits *lim;
	char *msg;
	size_t msgsize;
	int failed;
};

static void read_crd(struct crd_ctx *c, const struct gate_node *root)
{
	const struct gate_node *spec, *versions, *names;
	const char *av, *group, *kind, *name;
	char *where;
	size_t i;

	if (!root || root->type != GATE_NODE_OBJECT)
		return;
	av = obj_str(root, "apiVersion");
	if (!av || strncmp(av, "apiextensions.k8s.io/", 21) ||
	    !obj_str(root, "kind") || strcmp(obj_str(root, "kind"), "CustomResourceDefinition"))
		return;
	spec = obj_get(root, "spec");
	names = obj_get(spec, "names");
	group = obj_str(spec, "group");
	kind = obj_str(names, "kind");
	if (!group || !kind || !wanted(c->set, group, kind))
		return;
	name = obj_str(obj_get(root, "metadata"), "name");
	where = gate_xasprintf("CustomResourceDefinition %s (%s:%u)", name ? name : kind,
		c->filename, root->line);
	versions = obj_get(spec, "versions");
	for (i = 0; versions && versions->type == GATE_NODE_ARRAY && i < versions->len; i++) {
		const struct gate_node *v = &versions->u.items[i];
		const char *vn = obj_str(v, "name");
		const struct gate_node *sch = obj_get(obj_get(v, "schema"), "openAPIV3Schema");
		if (!vn)
			continue;
		if (!sch) /* v1beta1: one schema for all versions */
			sch = obj_get(obj_get(spec, "validation"), "openAPIV3Schema");
		add_schema(c->set, where, group, vn, kind, sch, c->msg, c->msgsize, &c->failed);
	}
	if (obj_str(spec, "version") && (!versions || versions->type != GATE_NODE_ARRAY))
		add_schema(c->set, where, group, obj_str(spec, "version"), kind,
			obj_get(obj_get(spec, "validation"), "openAPIV3Schema"), c->msg, c->msgsize, &c->failed);
	free(where);
}

static int crd_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct crd_ctx *c = payload;
	struct gate_doc *doc = NULL;
	struct gate_doc_error err;
	const struct gate_node *items;
	uint32_t i;

	if (!len || !gate_crd_maybe(part, len) || !part_may_define(c->set, part, len) ||
	    gate_doc_parse(&doc, part, len, line, c->lim, 0, &err) < 0)
		return 0;
	if ((items = gate_k8s_list_items(doc->root))) {
		for (i = 0; i < items->len; i++)
			read_crd(c, &items->u.items[i]);
	} else {
		read_crd(c, doc->root);
	}
	gate_doc_free(doc);
	return 0;
}

int gate_crd_set_add_buffer(struct gate_crd_set *set, const char *filename, const char *buf,
	size_t len, const struct gate_doc_limits *lim, char *msg, size_t msgsize)
{
	struct gate_doc_limits def = GATE_DOC_LIMITS_INIT;
	struct crd_ctx c;

	if (!gate_crd_maybe(buf, len))
		return 0;
	memset(&c, 0, sizeof(c));
	c.set = set;
	c.filename = filename ? filename : "";
	c.lim = lim ? lim : &def;
	c.msg = msg;
	c.msgsize = msgsize;
	gate_doc_split(buf, len, crd_part, &c);
	return c.failed ? 1 : 0;
}

static const struct crd_entry *find(const struct gate_crd_set *set, const char *group,
	const char *version, const char *kind)
{
	size_t i;

	for (i = 0; set && i < set->n; i++)
		if (!strcmp(set->v[i].group, group) && !strcmp(set->v[i].version, version) &&
		    !strcmp(set->v[i].kind, kind))
			return &set->v[i];
	return NULL;
}

const struct gate_schema *gate_crd_set_lookup(const struct gate_crd_set *set, const char *group,
	const char *version, const char *kind)
{
	const struct crd_entry *e = find(set, group, version, kind);

	return e ? e->schema : NULL;
}

static int crd_check(void *ctx, const char *filename, const struct gate_k8s_id *id,
	const struct gate_node *root, struct gate_result *res)
{
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	const struct crd_entry *e;
	struct gate_buf msg = GATE_BUF_INIT;
	size_t i;
	int rc;

	(void)filename;
	/* only where the store found nothing: "could not find schema", or skipped */
	if (!(res->status == GATE_STATUS_ERROR && res->msg &&
	      !strncmp(res->msg, "could not find schema for ", 26)) &&
	    !(res->status == GATE_STATUS_SKIPPED && !res->msg))
		return 0;
	if (!(e = find(ctx, id->group, id->version, id->kind)))
		return 0;
	rc = gate_schema_validate(e->schema, root, &errs, 100);
	if (rc < 0) {
		gate_schema_errors_release(&errs);
		return -1;
	}
	free(res->msg);
	res->msg = NULL;
	if (rc == 1) {
		res->status = GATE_STATUS_VALID;
	} else {
		res->status = GATE_STATUS_INVALID;
		gate_buf_adds(&msg, "problem validating schema. Check JSON formatting: ");
		for (i = 0; i < errs.n; i++) {
			const struct gate_schema_error *x = &errs.v[i];
			gate_result_add_problem(res, x->pointer ? x->pointer : "", x->line, x->col,
				"schema", GATE_SEV_DENY, x->message ? x->message : "does not validate");
			if (i)
				gate_buf_adds(&msg, " - ");
			gate_buf_addf(&msg, "jsonschema: '%s' does not validate with %s: %s",
				x->pointer ? x->pointer : "", e->where, x->message ? x->message : "does not validate");
		}
		res->msg = gate_buf_detach(&msg);
	}
	/* policy problems found before the schema was known keep their say */
	for (i = 0; i < res->nproblems; i++)
		if (res->problems[i].severity == GATE_SEV_DENY && !res->problems[i].suppressed &&
		    res->status == GATE_STATUS_VALID)
			res->status = GATE_STATUS_INVALID;
	gate_schema_errors_release(&errs);
	return 0;
}

void gate_crd_set_checker(struct gate_crd_set *set, struct gate_checker *out)
{
	out->check = crd_check;
	out->ctx = set;
}
