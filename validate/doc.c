/*
 * doc.c: YAML (or JSON) text to an arena-allocated document tree.  Two
 * event sources drive the same builder (the handlers below): the native
 * scanner of yaml_scan.c first, for the block YAML manifests are written in,
 * and libyaml's event parser, the reference, whenever the scanner gives up
 * (outside its subset, any doubt, any error, any event the builder refuses):
 * then the builder starts over and libyaml parses the whole buffer, so every
 * message is libyaml's.  Semantics follow sigs.k8s.io/yaml over go-yaml v2
 * (see doc_scalar.c for scalar resolution); every input-driven quantity is
 * bounded by struct gate_doc_limits.
 *
 * Per document: one arena (doc_arena.c) holds the nodes, strings and child
 * arrays.  Children of an open collection are gathered on scratch stacks and
 * copied into the arena when the collection ends, so that items and members
 * are contiguous arrays.
 */
#define _GNU_SOURCE
#include "gate/doc.h"
#include "gate/util.h"
#include "gate/utf16.h"
#include "doc_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ------------------------------------------------------------- parser */

/* A collection being built. */
struct frame {
	uint32_t line, col;
	uint8_t is_map, has_key, has_merge;
	uint32_t anchor; /* index + 1 into anchors, 0 for none */
	size_t base;     /* first child in items or members */
	size_t nodes0, bytes0;
};

struct anchor {
	const char *name;
	struct gate_node node;
	const char *raw; /* scalar anchors: source text, for use as a key */
	uint32_t raw_len;
	int raw_tag;
	uint8_t ready, has_raw;
	size_t nodes, bytes; /* what one expansion adds */
};

#define TAG_MERGE 100    /* tag:yaml.org,2002:merge (local to this file) */
#define SMALL_MAP 16     /* linear duplicate search up to this many keys */
#define BYTES_PER_NODE 64 /* alias expansion: string bytes that weigh one node */

struct gate_doc_ctx {
	const struct gate_doc_limits *lim;
	int flags;
	uint32_t line0; /* first_line - 1 */
	const char *buf;
	size_t len;
	struct gate_arena *arena;
	struct gate_doc_error *err;
	int failed;

	struct frame *frames;
	size_t nframes, aframes;
	struct gate_node *items;
	size_t nitems, aitems;
	struct gate_member *members;
	size_t nmembers, amembers;

	struct anchor *anchors;
	size_t nanchors, aanchors;
	uint32_t *atab; /* anchor names: index + 1 */
	size_t acap;

	struct keyset ks;
	struct gate_member *mtmp, *mfin;
	size_t amtmp, amfin, nfin;

	size_t nodes, bytes, alias_weight;
	struct gate_node root;
	int have_root, root_empty;
};

static int fail(struct gate_doc_ctx *c, uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct gate_doc_ctx *c, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return -1;
	c->failed = 1;
	c->err->line = line;
	c->err->col = col;
	va_start(ap, fmt);
	vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
	va_end(ap);
	return -1;
}

static inline uint32_t mark_line(const struct gate_doc_ctx *c, yaml_mark_t m)
{
	size_t l = m.line + 1 + c->line0;
	return l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
}

static inline uint32_t mark_col(yaml_mark_t m)
{
	return m.column + 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(m.column + 1);
}

/*
 * Write s as a double-quoted string for a message: control bytes as \xNN,
 * quotes and backslashes escaped, cut after max bytes with "...".
 */
static void quote(char *dst, size_t size, const char *s, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

#define Q_PUT(ch) do { if (o + 1 < size) dst[o++] = (ch); } while (0)
	Q_PUT('"');
	for (i = 0; i < len && i < max && o + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f) {
			Q_PUT('\\');
			Q_PUT('x');
			Q_PUT(hex[ch >> 4]);
			Q_PUT(hex[ch & 15]);
		} else {
			if (ch == '"' || ch == '\\')
				Q_PUT('\\');
			Q_PUT((char)ch);
		}
	}
	if (i < len) {
		/* do not cut a UTF-8 sequence in half */
		while (o > 1 && ((unsigned char)dst[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 1 && ((unsigned char)dst[o - 1] & 0xc0) == 0xc0)
			o--;
		Q_PUT('.');
		Q_PUT('.');
		Q_PUT('.');
	}
	Q_PUT('"');
	dst[o < size ? o : size - 1] = '\0';
#undef Q_PUT
}

static int count(struct gate_doc_ctx *c, size_t nodes, size_t bytes, uint32_t line, uint32_t col)
{
	c->nodes += nodes;
	c->bytes += bytes;
	if (c->nodes > c->lim->max_nodes)
		return fail(c, line, col, "too many nodes (more than %zu)", c->lim->max_nodes);
	return 0;
}

static inline struct frame *top(struct gate_doc_ctx *c)
{
	return c->nframes ? &c->frames[c->nframes - 1] : NULL;
}

static int tag_of(const char *tag, int style)
{
	const char *t;

	if (!tag)
		return style == YAML_PLAIN_SCALAR_STYLE ? GATE_DOC_TAG_NONE : GATE_DOC_TAG_STR;
	if (strncmp(tag, "tag:yaml.org,2002:", 18) != 0)
		return GATE_DOC_TAG_STR; /* "!" and local tags: the text as a string */
	t = tag + 18;
	if (!strcmp(t, "int"))
		return GATE_DOC_TAG_INT;
	if (!strcmp(t, "float"))
		return GATE_DOC_TAG_FLOAT;
	if (!strcmp(t, "bool"))
		return GATE_DOC_TAG_BOOL;
	if (!strcmp(t, "null"))
		return GATE_DOC_TAG_NULL;
	if (!strcmp(t, "merge"))
		return TAG_MERGE;
	return GATE_DOC_TAG_STR; /* str, binary, timestamp, ... */
}

static int resolve(struct gate_doc_ctx *c, const char *v, size_t len, int tag,
	struct gate_doc_scalar *sv, uint32_t line, uint32_t col)
{
	char q[96];

	if (tag == TAG_MERGE)
		tag = GATE_DOC_TAG_STR;
	if (gate_doc_resolve(v, len, tag, sv) == 0)
		return 0;
	quote(q, sizeof(q), v, len, 64);
	return fail(c, line, col, "cannot decode %s %s as a %s", gate_doc_kind_tag(sv->kind), q,
		gate_doc_tag_name(tag));
}

/* Fast test for the common case: a plain scalar that can only be a string. */
static inline int plain_is_string(const char *v, size_t len)
{
	switch ((unsigned char)v[0]) {
	case '+': case '-': case '.': case '~':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
	case 'y': case 'Y': case 'n': case 'N': case 't': case 'T':
	case 'f': case 'F': case 'o': case 'O':
		return 0;
	default:
		return len > 0;
	}
}

static int make_scalar(struct gate_doc_ctx *c, const char *v, size_t len, int tag, int style,
	uint32_t line, uint32_t col, struct gate_node *node)
{
	struct gate_doc_scalar sv;

	memset(node, 0, sizeof(*node));
	node->line = line;
	node->col = col;
	if (style != YAML_PLAIN_SCALAR_STYLE)
		node->flags = GATE_NODE_QUOTED;
	if (tag == GATE_DOC_TAG_STR || tag == TAG_MERGE ||
	    (tag == GATE_DOC_TAG_NONE && plain_is_string(v, len))) {
		sv.kind = GATE_DOC_KIND_STR;
	} else if (resolve(c, v, len, tag, &sv, line, col) < 0) {
		return -1;
	}
	switch (sv.kind) {
	case GATE_DOC_KIND_STR:
		node->type = GATE_NODE_STRING;
		node->len = (uint32_t)len;
		node->u.str = arena_str(c->arena, v, len);
		break;
	case GATE_DOC_KIND_NULL:
		node->type = GATE_NODE_NULL;
		break;
	case GATE_DOC_KIND_BOOL:
		node->type = GATE_NODE_BOOL;
		node->u.boolean = sv.boolean;
		break;
	default:
		node->type = GATE_NODE_NUMBER;
		node->u.number = gate_doc_scalar_number(&sv);
		if (isfinite(node->u.number) && node->u.number == floor(node->u.number))
			node->flags |= GATE_NODE_INTEGRAL;
		break;
	}
	return 0;
}

/* A mapping key as sigs.k8s.io/yaml turns it into a JSON object key. */
static int key_string(struct gate_doc_ctx *c, const char *v, size_t len, int tag,
	uint32_t line, uint32_t col, const char **key, uint32_t *klen)
{
	struct gate_doc_scalar sv;
	char num[64];
	size_t n;

	if (tag == GATE_DOC_TAG_STR || tag == TAG_MERGE ||
	    (tag == GATE_DOC_TAG_NONE && plain_is_string(v, len))) {
		*key = arena_str(c->arena, v, len);
		*klen = (uint32_t)len;
		return 0;
	}
	if (resolve(c, v, len, tag, &sv, line, col) < 0)
		return -1;
	switch (sv.kind) {
	case GATE_DOC_KIND_STR:
		*key = arena_str(c->arena, v, len);
		*klen = (uint32_t)len;
		return 0;
	case GATE_DOC_KIND_BOOL:
		*key = sv.boolean ? "true" : "false";
		*klen = sv.boolean ? 4 : 5;
		return 0;
	case GATE_DOC_KIND_INT:
		n = (size_t)snprintf(num, sizeof(num), "%lld", (long long)sv.i);
		break;
	case GATE_DOC_KIND_FLOAT:
		n = gate_doc_format_key_float(num, sizeof(num), sv.d);
		break;
	case GATE_DOC_KIND_UINT:
		return fail(c, line, col, "unsupported mapping key of type uint64: %llu",
			(unsigned long long)sv.u);
	default:
		return fail(c, line, col, "unsupported mapping key of type null");
	}
	*key = arena_str(c->arena, num, n);
	*klen = (uint32_t)n;
	return 0;
}

/* ------------------------------------------------------------- anchors */

static struct anchor *anchor_find(struct gate_doc_ctx *c, const char *name)
{
	size_t mask, i;
	uint32_t h;

	if (!c->acap)
		return NULL;
	h = key_hash(name, strlen(name));
	mask = c->acap - 1;
	for (i = h & mask; c->atab[i]; i = (i + 1) & mask) {
		struct anchor *a = &c->anchors[c->atab[i] - 1];
		if (!strcmp(a->name, name))
			return a;
	}
	return NULL;
}

static void anchor_slot(struct gate_doc_ctx *c, size_t idx)
{
	const char *name = c->anchors[idx].name;
	size_t mask = c->acap - 1, i = key_hash(name, strlen(name)) & mask;

	for (; c->atab[i]; i = (i + 1) & mask) {
		if (!strcmp(c->anchors[c->atab[i] - 1].name, name))
			break; /* redefinition: the later one wins */
	}
	c->atab[i] = (uint32_t)idx + 1;
}

/* Define a new anchor (pending until its node is complete); returns index + 1. */
static uint32_t anchor_define(struct gate_doc_ctx *c, const char *name)
{
	struct anchor *a;
	size_t i;

	if ((c->nanchors + 1) * 2 > c->acap) {
		free(c->atab);
		c->acap = c->acap ? c->acap * 2 : 64;
		c->atab = gate_xcalloc(c->acap, sizeof(*c->atab));
		for (i = 0; i < c->nanchors; i++)
			anchor_slot(c, i);
	}
	GATE_ALLOC_GROW(c->anchors, c->nanchors + 1, c->aanchors);
	a = &c->anchors[c->nanchors];
	memset(a, 0, sizeof(*a));
	a->name = arena_str(c->arena, name, strlen(name));
	anchor_slot(c, c->nanchors);
	return (uint32_t)++c->nanchors;
}

/* ------------------------------------------------------------- events */

static int deliver(struct gate_doc_ctx *c, const struct gate_node *node)
{
	struct frame *f = top(c);

	if (!f) {
		c->root = *node;
		c->have_root = 1;
		return 0;
	}
	if (f->is_map) {
		c->members[c->nmembers - 1].value = *node;
		f->has_key = 0;
		return 0;
	}
	if (c->nitems - f->base >= UINT32_MAX)
		return fail(c, node->line, node->col, "sequence too long");
	GATE_ALLOC_GROW(c->items, c->nitems + 1, c->aitems);
	c->items[c->nitems++] = *node;
	return 0;
}

/*
 * Open a member for the next value.  key NULL marks a merge ("<<"); its
 * key_len is set to 1 when the value comes from an alias.
 */
static void push_key(struct gate_doc_ctx *c, struct frame *f, const char *key, uint32_t klen,
	uint32_t line, uint32_t col)
{
	struct gate_member *m;

	GATE_ALLOC_GROW(c->members, c->nmembers + 1, c->amembers);
	m = &c->members[c->nmembers++];
	m->key = key;
	m->key_len = klen;
	m->line = line;
	m->col = col;
	memset(&m->value, 0, sizeof(m->value));
	f->has_key = 1;
	if (!key)
		f->has_merge = 1;
}

static void scalar_anchor(struct gate_doc_ctx *c, const char *name, const struct gate_node *node,
	const char *v, size_t len, int tag)
{
	uint32_t idx = anchor_define(c, name); /* may move c->anchors */
	struct anchor *a = &c->anchors[idx - 1];

	a->node = *node;
	a->raw = node->type == GATE_NODE_STRING ? node->u.str : arena_str(c->arena, v, len);
	a->raw_len = (uint32_t)len;
	a->raw_tag = tag;
	a->has_raw = 1;
	a->ready = 1;
	a->nodes = 1;
	a->bytes = len;
}

/* A scalar event (v[len] is NUL); line and col as nodes carry them. */
static int on_scalar(struct gate_doc_ctx *c, const char *v, size_t len, int style, int tag,
	const char *anchor, uint32_t line, uint32_t col)
{
	struct frame *f = top(c);
	struct gate_node node;

	if (count(c, 1, len, line, col) < 0)
		return -1;
	if (len >= UINT32_MAX)
		return fail(c, line, col, "scalar too long");
	if (style == YAML_DOUBLE_QUOTED_SCALAR_STYLE && memchr(v, 0, len))
		return fail(c, line, col, "string contains a NUL character");

	if (f && f->is_map && !f->has_key) {
		if (tag == TAG_MERGE || (tag == GATE_DOC_TAG_NONE && len == 2 && v[0] == '<' && v[1] == '<')) {
			push_key(c, f, NULL, 0, line, col); /* a merge: resolved at the mapping's end */
		} else {
			const char *key = NULL;
			uint32_t klen = 0;
			if (key_string(c, v, len, tag, line, col, &key, &klen) < 0)
				return -1;
			push_key(c, f, key, klen, line, col);
		}
		if (!anchor)
			return 0;
		if (make_scalar(c, v, len, tag, style, line, col, &node) < 0)
			return -1;
		scalar_anchor(c, anchor, &node, v, len, tag);
		return 0;
	}

	if (make_scalar(c, v, len, tag, style, line, col, &node) < 0)
		return -1;
	if (anchor)
		scalar_anchor(c, anchor, &node, v, len, tag);
	else if (!f && len == 0 && tag == GATE_DOC_TAG_NONE)
		c->root_empty = 1; /* "---" alone: an empty document */
	return deliver(c, &node);
}

static int on_alias(struct gate_doc_ctx *c, const char *name, uint32_t line, uint32_t col)
{
	struct anchor *a = anchor_find(c, name);
	struct frame *f = top(c);
	struct gate_node node;
	char q[96];

	if (!a || !a->ready) {
		quote(q, sizeof(q), name, strlen(name), 64);
		return fail(c, line, col, a ? "anchor %s value contains itself" :
			"unknown anchor %s referenced", q);
	}
	c->alias_weight += a->nodes + a->bytes / BYTES_PER_NODE;
	if (c->alias_weight > c->lim->max_alias_nodes)
		return fail(c, line, col, "too many alias expansions (more than %zu nodes)",
			c->lim->max_alias_nodes);
	if (count(c, a->nodes, a->bytes, line, col) < 0)
		return -1;
	if (f && f->is_map && !f->has_key) {
		const char *key;
		uint32_t klen;
		if (!a->has_raw)
			return fail(c, line, col, "a %s cannot be a mapping key",
				a->node.type == GATE_NODE_ARRAY ? "sequence" : "mapping");
		if (key_string(c, a->raw, a->raw_len, a->raw_tag, line, col, &key, &klen) < 0)
			return -1;
		push_key(c, f, key, klen, line, col);
		return 0;
	}
	node = a->node;
	node.line = line;
	node.col = col;
	if (deliver(c, &node) < 0)
		return -1;
	if (f && f->is_map && !c->members[c->nmembers - 1].key)
		c->members[c->nmembers - 1].key_len = 1; /* "<<: *alias": must be a mapping */
	return 0;
}

static int on_start(struct gate_doc_ctx *c, int is_map, const char *anchor,
	uint32_t line, uint32_t col)
{
	struct frame *f = top(c);
	size_t nodes0 = c->nodes, bytes0 = c->bytes;

	if (f && f->is_map && !f->has_key)
		return fail(c, line, col, "a %s cannot be a mapping key", is_map ? "mapping" : "sequence");
	if (c->nframes >= c->lim->max_depth)
		return fail(c, line, col, "nesting deeper than %zu levels", c->lim->max_depth);
	if (count(c, 1, 0, line, col) < 0)
		return -1;
	GATE_ALLOC_GROW(c->frames, c->nframes + 1, c->aframes);
	f = &c->frames[c->nframes++];
	f->line = line;
	f->col = col;
	f->is_map = (uint8_t)is_map;
	f->has_key = 0;
	f->has_merge = 0;
	f->base = is_map ? c->nmembers : c->nitems;
	f->nodes0 = nodes0;
	f->bytes0 = bytes0;
	f->anchor = anchor ? anchor_define(c, anchor) : 0;
	return 0;
}

static int dup_key(struct gate_doc_ctx *c, struct gate_member *first, const struct gate_member *again)
{
	char q[96];

	if (c->flags & GATE_DOC_DUPKEYS_ERROR) {
		quote(q, sizeof(q), again->key, again->key_len, 64);
		return fail(c, again->line, again->col, "mapping key %s already defined at line %u",
			q, first->line);
	}
	first->value = again->value; /* last wins, first position kept */
	return 0;
}

static void fin_push(struct gate_doc_ctx *c, const struct gate_member *m)
{
	GATE_ALLOC_GROW(c->mfin, c->nfin + 1, c->amfin);
	c->mfin[c->nfin++] = *m;
}

static void merge_from(struct gate_doc_ctx *c, const struct gate_node *src)
{
	uint32_t i;

	for (i = 0; i < src->len; i++) {
		const struct gate_member *sm = &src->u.members[i];
		uint32_t h = key_hash(sm->key, sm->key_len);
		if (gate_doc__ks_find(&c->ks, sm->key, sm->key_len, h))
			continue; /* explicit keys and earlier merges win */
		gate_doc__ks_add(&c->ks, sm->key, sm->key_len, h, c->nfin);
		fin_push(c, sm);
	}
}

/* Duplicates and merges of a mapping with many keys or with "<<". */
static int finish_big_map(struct gate_doc_ctx *c, struct gate_member *m, size_t n,
	const struct gate_member **res, size_t *nres)
{
	size_t i, out = 0;
	uint32_t j;

	gate_doc__ks_reset(&c->ks, n);
	GATE_ALLOC_GROW(c->mtmp, n, c->amtmp);
	for (i = 0; i < n; i++) {
		uint32_t h;
		struct kent *e;
		if (!m[i].key) {
			c->mtmp[out++] = m[i];
			continue;
		}
		h = key_hash(m[i].key, m[i].key_len);
		e = gate_doc__ks_find(&c->ks, m[i].key, m[i].key_len, h);
		if (e) {
			if (dup_key(c, &c->mtmp[e->idx], &m[i]) < 0)
				return -1;
			continue;
		}
		gate_doc__ks_add(&c->ks, m[i].key, m[i].key_len, h, out);
		c->mtmp[out++] = m[i];
	}
	c->nfin = 0;
	for (i = 0; i < out; i++) {
		const struct gate_member *mm = &c->mtmp[i];
		const struct gate_node *v = &mm->value;
		if (mm->key) {
			fin_push(c, mm);
			continue;
		}
		if (v->type == GATE_NODE_ARRAY) {
			for (j = 0; j < v->len; j++)
				if (v->u.items[j].type != GATE_NODE_OBJECT)
					break;
		}
		/* go-yaml v2: an alias must be a mapping; a sequence holds mappings */
		if (v->type != GATE_NODE_OBJECT && (v->type != GATE_NODE_ARRAY || j < v->len || mm->key_len))
			return fail(c, mm->line, mm->col,
				"map merge requires map or sequence of maps as the value");
		if (v->type == GATE_NODE_OBJECT) {
			merge_from(c, v);
		} else {
			for (j = 0; j < v->len; j++)
				merge_from(c, &v->u.items[j]);
		}
	}
	*res = c->mfin;
	*nres = c->nfin;
	return 0;
}

static int finish_map(struct gate_doc_ctx *c, const struct frame *f, struct gate_node *node)
{
	/* no member pushed yet ("{}" first): members is NULL, and NULL + 0 is undefined */
	struct gate_member *m = c->members ? c->members + f->base : NULL;
	const struct gate_member *res = m;
	size_t n = c->nmembers - f->base, out = 0, i, j;

	if (f->has_merge || n > SMALL_MAP) {
		if (finish_big_map(c, m, n, &res, &out) < 0)
			return -1;
	} else {
		for (i = 0; i < n; i++) {
			for (j = 0; j < out; j++)
				if (m[j].key_len == m[i].key_len &&
				    memcmp(m[j].key, m[i].key, m[i].key_len) == 0)
					break;
			if (j < out) {
				if (dup_key(c, &m[j], &m[i]) < 0)
					return -1;
				continue;
			}
			if (out != i)
				m[out] = m[i];
			out++;
		}
	}
	if (out >= UINT32_MAX)
		return fail(c, f->line, f->col, "mapping too large");
	node->type = GATE_NODE_OBJECT;
	node->len = (uint32_t)out;
	if (out) {
		struct gate_member *dst = arena_alloc(c->arena, out * sizeof(*dst));
		memcpy(dst, res, out * sizeof(*dst));
		node->u.members = dst;
	}
	return 0;
}

static int on_end(struct gate_doc_ctx *c)
{
	struct frame f = c->frames[c->nframes - 1];
	struct gate_node node;

	memset(&node, 0, sizeof(node));
	node.line = f.line;
	node.col = f.col;
	if (f.is_map) {
		if (finish_map(c, &f, &node) < 0)
			return -1;
		c->nmembers = f.base;
	} else {
		size_t n = c->nitems - f.base;
		node.type = GATE_NODE_ARRAY;
		node.len = (uint32_t)n;
		if (n) {
			node.u.items = arena_alloc(c->arena, n * sizeof(struct gate_node));
			memcpy(node.u.items, c->items + f.base, n * sizeof(struct gate_node));
		}
		c->nitems = f.base;
	}
	c->nframes--;
	if (f.anchor) {
		struct anchor *a = &c->anchors[f.anchor - 1];
		a->node = node;
		a->ready = 1;
		a->nodes = c->nodes - f.nodes0;
		a->bytes = c->bytes - f.bytes0;
	}
	return deliver(c, &node);
}

/* ---------------------------------------------------- the two event sources */

static inline uint32_t line_of(const struct gate_doc_ctx *c, size_t line)
{
	size_t l = line + 1 + c->line0;
	return l > UINT32_MAX ? UINT32_MAX : (uint32_t)l;
}

int gate_doc__ev_scalar(struct gate_doc_ctx *c, const char *v, size_t len, int style,
	const char *anchor, uint32_t line, uint32_t col)
{
	return on_scalar(c, v, len, style, tag_of(NULL, style), anchor, line_of(c, line),
		col == UINT32_MAX ? col : col + 1);
}

int gate_doc__ev_start(struct gate_doc_ctx *c, int is_map, const char *anchor,
	uint32_t line, uint32_t col)
{
	return on_start(c, is_map, anchor, line_of(c, line), col == UINT32_MAX ? col : col + 1);
}

int gate_doc__ev_alias(struct gate_doc_ctx *c, const char *name, uint32_t line, uint32_t col)
{
	return on_alias(c, name, line_of(c, line), col == UINT32_MAX ? col : col + 1);
}

int gate_doc__ev_end(struct gate_doc_ctx *c)
{
	return on_end(c);
}

/* One libyaml event into the builder; sets *done at the stream's end. */
static int libyaml_event(struct gate_doc_ctx *c, const yaml_event_t *ev, int *ndocs, int *done)
{
	uint32_t line = mark_line(c, ev->start_mark), col = mark_col(ev->start_mark);

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++*ndocs > 1)
			return fail(c, line, col, "more than one document");
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(c, (const char *)ev->data.scalar.value, ev->data.scalar.length,
			ev->data.scalar.style,
			tag_of((const char *)ev->data.scalar.tag, ev->data.scalar.style),
			(const char *)ev->data.scalar.anchor, line, col);
	case YAML_ALIAS_EVENT:
		return on_alias(c, (const char *)ev->data.alias.anchor, line, col);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(c, 0, (const char *)ev->data.sequence_start.anchor, line, col);
	case YAML_MAPPING_START_EVENT:
		return on_start(c, 1, (const char *)ev->data.mapping_start.anchor, line, col);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(c);
	case YAML_STREAM_END_EVENT:
		*done = 1;
		return 0;
	default:
		return 0;
	}
}

static int check_input(struct gate_doc_ctx *c, const char *s, size_t n)
{
	size_t off = 0;
	uint32_t cp = 0, line, col;
	int r = gate_doc__prescan((const unsigned char *)s, n, &off, &cp);

	if (r == SCAN_OK)
		return 0;
	gate_doc__offset_linecol(s, off, &line, &col);
	line = line + c->line0 < line ? UINT32_MAX : line + c->line0;
	switch (r) {
	case SCAN_CTRL:
		if (cp == 0)
			return fail(c, line, col, "NUL byte in input");
		if (cp < 0x80)
			return fail(c, line, col, "control character 0x%02x in input", cp);
		return fail(c, line, col, "control character U+%04X in input", cp);
	case SCAN_NONCHAR:
		return fail(c, line, col, "invalid character U+%04X in input", cp);
	default:
		return fail(c, line, col, "invalid UTF-8 (byte 0x%02x)", cp);
	}
}

/* libyaml's problem and context as one lowercase sentence. */
static int yaml_fail(struct gate_doc_ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	uint32_t line = 0, col = 0;
	char where[64] = "";
	const char *tab = "";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return fail(c, 0, 0, "out of memory while parsing YAML");
	case YAML_READER_ERROR:
		if (p->problem_offset <= c->len) {
			gate_doc__offset_linecol(c->buf, p->problem_offset, &line, &col);
			line += c->line0;
		}
		return fail(c, line, col, "%s", problem);
	default:
		break;
	}
	line = mark_line(c, p->problem_mark);
	col = mark_col(p->problem_mark);
	if (p->context && p->context_mark.line != p->problem_mark.line)
		snprintf(where, sizeof(where), " started at line %u", mark_line(c, p->context_mark));
	{
		/* a tab where indentation is expected is the usual cause: say so */
		size_t i = 0, l = 0, k;
		while (i < c->len && l < p->problem_mark.line) {
			const char *nl = memchr(c->buf + i, '\n', c->len - i);
			if (!nl) {
				i = c->len;
				break;
			}
			i = (size_t)(nl - c->buf) + 1;
			l++;
		}
		for (k = 0; i < c->len && k < p->problem_mark.column; k++) {
			i++;
			while (i < c->len && ((unsigned char)c->buf[i] & 0xc0) == 0x80)
				i++;
		}
		if (i < c->len && c->buf[i] == '\t')
			tab = " (tabs cannot be used for indentation)";
	}
	if (p->context)
		return fail(c, line, col, "%s %s%s%s", problem, p->context, where, tab);
	return fail(c, line, col, "%s%s", problem, tab);
}

/* ------------------------------------------------------------- API */

static const struct gate_doc_limits default_limits = GATE_DOC_LIMITS_INIT;

static void ctx_release(struct gate_doc_ctx *c)
{
	free(c->frames);
	free(c->items);
	free(c->members);
	free(c->anchors);
	free(c->atab);
	free(c->mtmp);
	free(c->mfin);
	gate_doc__ks_release(&c->ks);
}


/* The builder as it was before any event: the same input, limits and flags. */
static void ctx_reset(struct gate_doc_ctx *c)
{
	struct gate_doc_ctx keep = *c;

	ctx_release(c);
	gate_doc__arena_free(c->arena);
	memset(c, 0, sizeof(*c));
	c->lim = keep.lim;
	c->flags = keep.flags;
	c->line0 = keep.line0;
	c->buf = keep.buf;
	c->len = keep.len;
	c->err = keep.err;
	memset(c->err, 0, sizeof(*c->err));
}

/* A new arena for c, sized for len bytes of input, holding the document. */
static struct gate_doc *doc_begin(struct gate_doc_ctx *c, size_t len)
{
	size_t first = len * 2 + 1024;
	struct gate_doc *doc;

	if (first < 4096)
		first = 4096;
	if (first > ((size_t)4 << 20))
		first = (size_t)4 << 20;
	c->arena = gate_doc__arena_new(first);
	doc = arena_alloc(c->arena, sizeof(*doc));
	memset(doc, 0, sizeof(*doc));
	doc->arena = c->arena;
	doc->line = c->line0 + 1;
	return doc;
}

/* All of c->buf through libyaml's event parser: 0, or -1 with c->err set. */
static int parse_libyaml(struct gate_doc_ctx *c)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int ndocs = 0, done = 0, r = 0;

	if (!yaml_parser_initialize(&parser))
		return fail(c, 0, 0, "out of memory while parsing YAML");
	yaml_parser_set_input_string(&parser, (const unsigned char *)c->buf, c->len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && r == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			r = yaml_fail(c, &parser);
			break;
		}
		r = libyaml_event(c, &ev, &ndocs, &done);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return r < 0 ? -1 : 0;
}

int gate_doc_parse(struct gate_doc **out, const char *buf, size_t len,
	uint32_t first_line, const struct gate_doc_limits *lim, int flags,
	struct gate_doc_error *err)
{
	struct gate_doc_error local_err;
	struct gate_doc_ctx c;
	struct gate_doc *doc;
	size_t fixed_len = 0, bom;
	char *fixed = NULL;
	struct gate_buf dec = GATE_BUF_INIT;
	enum gate_utf16 enc;
	int rc = -1;

	*out = NULL;
	if (!buf)
		buf = "", len = 0;
	if (!err)
		err = &local_err;
	memset(err, 0, sizeof(*err));
	memset(&c, 0, sizeof(c));
	c.lim = lim ? lim : &default_limits;
	c.flags = flags;
	c.line0 = first_line ? first_line - 1 : 0;
	c.err = err;

	if (len > c.lim->max_bytes) {
		fail(&c, 0, 0, "input of %zu bytes is larger than the limit of %zu bytes",
			len, c.lim->max_bytes);
		return -1;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	} else if ((enc = gate_utf16_detect(buf, len, 0, &bom)) != GATE_UTF16_NONE) {
		/* UTF-16 with a byte order mark, as YAML allows and go-yaml reads */
		gate_utf16_decode(&dec, buf + bom, len - bom, enc, 1);
		buf = dec.ptr ? dec.ptr : "";
		len = dec.len;
	}
	c.buf = buf;
	c.len = len;
	if (check_input(&c, buf, len) < 0) {
		gate_buf_release(&dec);
		return -1;
	}
	if (gate_doc__json_looking(buf, len) && memmem(buf, len, "\\u", 2) &&
	    (fixed = gate_doc__json_join_surrogates(buf, len, &fixed_len))) {
		buf = c.buf = fixed;
		len = c.len = fixed_len;
	}

	/*
	 * The native scanner first; when it gives up (outside its subset, any
	 * doubt, any error) libyaml parses the whole buffer again, so every
	 * message and every document is libyaml's.
	 */
	doc = doc_begin(&c, len);
	if (!(flags & GATE_DOC__LIBYAML_ONLY)) {
		if (gate_yaml__scan(&c, buf, len) == 0)
			goto built;
		ctx_reset(&c);
		if (flags & GATE_DOC__NATIVE_ONLY) {
			snprintf(err->message, sizeof(err->message), "native scanner declined");
			rc = GATE_DOC__DECLINED;
			goto done;
		}
		doc = doc_begin(&c, len);
	}
	if (parse_libyaml(&c) < 0)
		goto done;
built:
	if (c.have_root && !c.root_empty) {
		doc->root = arena_alloc(c.arena, sizeof(*doc->root));
		*doc->root = c.root;
	}
	*out = doc;
	c.arena = NULL;
	rc = 0;
done:
	ctx_release(&c);
	gate_doc__arena_free(c.arena);
	free(fixed);
	gate_buf_release(&dec);
	return rc;
}

void gate_doc_free(struct gate_doc *doc)
{
	if (doc)
		gate_doc__arena_free(doc->arena);
}
