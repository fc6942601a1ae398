/*
 * render_node.c: the build arena, the node tree of rendered objects (parse
 * from YAML with origins, copy, lookup, edit); Go-compatible JSON for
 * kustomize's hashes is in render_json.c.
 *
 * Scalars are typed as go-yaml v3 (kyaml) types them: only true/false
 * spellings are booleans, yes/no/on/off stay strings, 0777 and 0o777 are
 * octal integers, dates stay strings.
 */
#define _GNU_SOURCE
#include "render_int.h"
#include "gate/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ------------------------------------------------------------------ arena */

struct rblock {
	struct rblock *next;
	size_t pad;
};

struct rarena {
	struct rblock *blocks;
	char *cur, *end;
};

void *ra_alloc(struct rctx *c, size_t n)
{
	struct rarena *a = c->arena;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if ((size_t)(a->end - a->cur) < n) {
		size_t sz = n > (64u << 10) ? n : (64u << 10);
		struct rblock *b = gate_xmalloc(sizeof(*b) + sz);

		b->next = a->blocks;
		a->blocks = b;
		a->cur = (char *)(b + 1);
		a->end = a->cur + sz;
	}
	p = a->cur;
	a->cur += n;
	memset(p, 0, n);
	return p;
}

struct rarena *rarena_new(void);
void rarena_free(struct rarena *a);

struct rarena *rarena_new(void)
{
	return gate_xcalloc(1, sizeof(struct rarena));
}

void rarena_free(struct rarena *a)
{
	struct rblock *b, *next;

	if (!a)
		return;
	for (b = a->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

char *ra_strndup(struct rctx *c, const char *s, size_t n)
{
	char *p = ra_alloc(c, n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *ra_strdup(struct rctx *c, const char *s)
{
	return s ? ra_strndup(c, s, strlen(s)) : NULL;
}

char *ra_printf(struct rctx *c, const char *fmt, ...)
{
	va_list ap;
	char *tmp, *out;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		gate_xmalloc((size_t)-1); /* out of memory is fatal */
	out = ra_strndup(c, tmp, (size_t)n);
	free(tmp);
	return out;
}

/* ------------------------------------------------------------------ errors */

static void vfail(struct rctx *c, const char *file, uint32_t line, uint32_t col,
	const char *fmt, va_list ap)
{
	struct gate_render_error *e = c->err;

	if (e) {
		snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
		e->line = line;
		e->col = col;
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
	}
	if (!c->fail_code)
		c->fail_code = -1;
	longjmp(c->fail, 1);
}

void rfail(struct rctx *c, const struct gate_rnode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c, n ? n->file : NULL, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	abort(); /* not reached */
}

void rfail_at(struct rctx *c, const char *file, uint32_t line, uint32_t col,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c, file, line, col, fmt, ap);
	va_end(ap);
	abort();
}

void runreachable(struct rctx *c, const char *file, uint32_t line, uint32_t col,
	const char *fmt, ...)
{
	struct gate_render_error *w;
	va_list ap;

	va_start(ap, fmt);
	if (!(c->opts->flags & GATE_RENDER_SKIP_UNREACHABLE)) {
		vfail(c, file, line, col, fmt, ap);
		abort();
	}
	if (c->nwarns == c->awarns) {
		size_t na = c->awarns ? c->awarns * 2 : 4;
		struct gate_render_error *v = ra_alloc(c, na * sizeof(*v));

		if (c->nwarns)
			memcpy(v, c->warns, c->nwarns * sizeof(*v));
		c->warns = v;
		c->awarns = na;
	}
	w = &c->warns[c->nwarns++];
	snprintf(w->file, sizeof(w->file), "%s", file ? file : "");
	w->line = line;
	w->col = col;
	vsnprintf(w->message, sizeof(w->message), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ nodes */

static void count_node(struct rctx *c)
{
	if (++c->nodes > c->opts->max_nodes)
		rfail(c, NULL, "the build makes more than %zu nodes", c->opts->max_nodes);
}

void rn_count_nodes(struct rctx *c, size_t n)
{
	c->nodes += n;
	if (c->nodes > c->opts->max_nodes)
		rfail(c, NULL, "the build makes more than %zu nodes", c->opts->max_nodes);
}

struct gate_rnode *rn_new(struct rctx *c, int type, const struct gate_rnode *origin)
{
	struct gate_rnode *n = ra_alloc(c, sizeof(*n));

	count_node(c);
	n->type = (uint8_t)type;
	if (origin) {
		n->file = origin->file;
		n->line = origin->line;
		n->col = origin->col;
	}
	return n;
}

struct gate_rnode *rn_str(struct rctx *c, const char *s, const struct gate_rnode *origin)
{
	struct gate_rnode *n = rn_new(c, GATE_RNODE_STR, origin);

	n->str = ra_strdup(c, s);
	n->len = (uint32_t)strlen(s);
	return n;
}

struct gate_rnode *rn_copy(struct rctx *c, const struct gate_rnode *n)
{
	struct gate_rnode *m;
	uint32_t i;

	if (!n)
		return NULL;
	m = ra_alloc(c, sizeof(*m));
	count_node(c);
	*m = *n;
	m->alloc = n->len;
	if (n->type == GATE_RNODE_SEQ && n->len) {
		m->u.items = ra_alloc(c, n->len * sizeof(*m->u.items));
		for (i = 0; i < n->len; i++)
			m->u.items[i] = rn_copy(c, n->u.items[i]);
	} else if (n->type == GATE_RNODE_MAP && n->len) {
		m->u.members = ra_alloc(c, n->len * sizeof(*m->u.members));
		for (i = 0; i < n->len; i++) {
			m->u.members[i] = n->u.members[i];
			m->u.members[i].value = rn_copy(c, n->u.members[i].value);
		}
	}
	return m;
}

void rn_append(struct rctx *c, struct gate_rnode *seq, struct gate_rnode *item)
{
	if (seq->len == seq->alloc) {
		uint32_t na = seq->alloc ? seq->alloc * 2 : 4;
		struct gate_rnode **v = ra_alloc(c, na * sizeof(*v));

		if (seq->len)
			memcpy(v, seq->u.items, seq->len * sizeof(*v));
		seq->u.items = v;
		seq->alloc = na;
	}
	seq->u.items[seq->len++] = item;
}

struct gate_rnode *rn_get(const struct gate_rnode *map, const char *key)
{
	uint32_t i;

	if (!map || map->type != GATE_RNODE_MAP)
		return NULL;
	for (i = 0; i < map->len; i++)
		if (!strcmp(map->u.members[i].key, key))
			return map->u.members[i].value;
	return NULL;
}

const char *rn_scalar(const struct gate_rnode *n)
{
	if (!n || n->type == GATE_RNODE_SEQ || n->type == GATE_RNODE_MAP)
		return NULL;
	if (n->type == GATE_RNODE_NULL)
		return "";
	return n->str;
}

const char *rn_get_str(const struct gate_rnode *map, const char *key)
{
	const struct gate_rnode *v = rn_get(map, key);

	return v && v->type == GATE_RNODE_STR ? v->str : NULL;
}

const char *rn_path_str(const struct gate_rnode *n, const char *path)
{
	char seg[128];
	const char *p = path, *slash;

	while (n && *p) {
		size_t l;

		slash = strchr(p, '/');
		l = slash ? (size_t)(slash - p) : strlen(p);
		if (l >= sizeof(seg))
			return NULL;
		memcpy(seg, p, l);
		seg[l] = 0;
		n = rn_get(n, seg);
		p += l + (slash ? 1 : 0);
	}
	return n && n->type == GATE_RNODE_STR ? n->str : NULL;
}

/* add key: v at the end of map, which has no key key */
static void add_member(struct rctx *c, struct gate_rnode *map, const char *key, struct gate_rnode *v)
{
	if (map->len == map->alloc) {
		uint32_t na = map->alloc ? map->alloc * 2 : 4;
		struct gate_rmember *m = ra_alloc(c, na * sizeof(*m));

		if (map->len)
			memcpy(m, map->u.members, map->len * sizeof(*m));
		map->u.members = m;
		map->alloc = na;
	}
	map->u.members[map->len].key = ra_strdup(c, key);
	map->u.members[map->len].line = v ? v->line : 0;
	map->u.members[map->len].col = v ? v->col : 0;
	map->u.members[map->len].value = v;
	map->len++;
}

void rn_set(struct rctx *c, struct gate_rnode *map, const char *key, struct gate_rnode *v)
{
	uint32_t i;

	if (map->type != GATE_RNODE_MAP)
		rfail(c, map, "cannot set '%s': the value here is a %s, not a mapping", key,
			map->type == GATE_RNODE_SEQ ? "list" : "scalar");
	for (i = 0; i < map->len; i++)
		if (!strcmp(map->u.members[i].key, key)) {
			map->u.members[i].value = v;
			return;
		}
	add_member(c, map, key, v);
}

int rn_del(struct gate_rnode *map, const char *key)
{
	uint32_t i;

	if (!map || map->type != GATE_RNODE_MAP)
		return 0;
	for (i = 0; i < map->len; i++)
		if (!strcmp(map->u.members[i].key, key)) {
			memmove(&map->u.members[i], &map->u.members[i + 1],
				(map->len - i - 1) * sizeof(map->u.members[0]));
			map->len--;
			return 1;
		}
	return 0;
}

struct gate_rnode *rn_lookup_create(struct rctx *c, struct gate_rnode *map, const char *key,
	int type, const struct gate_rnode *origin)
{
	struct gate_rnode *v = rn_get(map, key);

	if (v && v->type != GATE_RNODE_NULL) {
		if (v->type != type && (type == GATE_RNODE_MAP || type == GATE_RNODE_SEQ ||
			v->type == GATE_RNODE_MAP || v->type == GATE_RNODE_SEQ))
			rfail(c, v, "'%s' must be a %s", key, type == GATE_RNODE_MAP ? "mapping" :
				type == GATE_RNODE_SEQ ? "list" : "scalar");
		return v;
	}
	v = rn_new(c, type, origin);
	if (type == GATE_RNODE_STR) {
		v->str = "";
	}
	rn_set(c, map, key, v);
	return v;
}

int rn_is_null(const struct gate_rnode *n)
{
	return !n || n->type == GATE_RNODE_NULL;
}

static double num_value(const struct gate_rnode *n);

int rn_equal(const struct gate_rnode *a, const struct gate_rnode *b)
{
	uint32_t i;

	if (!a || !b)
		return a == b;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case GATE_RNODE_NULL:
		return 1;
	case GATE_RNODE_INT:
	case GATE_RNODE_FLOAT:
		return num_value(a) == num_value(b);
	case GATE_RNODE_BOOL:
	case GATE_RNODE_STR:
		return a->len == b->len && !memcmp(a->str, b->str, a->len);
	case GATE_RNODE_SEQ:
		if (a->len != b->len)
			return 0;
		for (i = 0; i < a->len; i++)
			if (!rn_equal(a->u.items[i], b->u.items[i]))
				return 0;
		return 1;
	default:
		if (a->len != b->len)
			return 0;
		for (i = 0; i < a->len; i++)
			if (!rn_equal(a->u.members[i].value, rn_get(b, a->u.members[i].key)))
				return 0;
		return 1;
	}
}

/* ------------------------------------------------------------------ scalars */

static int all_digits(const char *s, int base)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		int ok = base == 16 ? isxdigit((unsigned char)*s) :
			base == 8 ? (*s >= '0' && *s <= '7') :
			base == 2 ? (*s == '0' || *s == '1') : isdigit((unsigned char)*s);
		if (!ok)
			return 0;
	}
	return 1;
}

/* an integer as Go's strconv.ParseInt(s, 0, 64) reads it, '_' removed */
static int parse_int(const char *in, long long *out)
{
	char buf[80];
	const char *s;
	size_t j = 0;
	int neg = 0, base = 10;
	unsigned long long v;
	char *end;

	for (s = in; *s && j < sizeof(buf) - 1; s++)
		if (*s != '_')
			buf[j++] = *s;
	if (*s)
		return 0;
	buf[j] = 0;
	s = buf;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	if (!all_digits(s, base))
		return 0;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return 0;
	if (neg ? v > 9223372036854775808ull : v > 9223372036854775807ull)
		return 0;
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 1;
}

static int is_yaml_float(const char *s)
{
	/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
	const char *p = s;
	int digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++, digits++;
		if (!digits)
			return 0;
	} else {
		while (isdigit((unsigned char)*p))
			p++, digits++;
		if (!digits)
			return 0;
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		digits = 0;
		while (isdigit((unsigned char)*p))
			p++, digits++;
		if (!digits)
			return 0;
	}
	return *p == 0;
}

/* the v3 type of a plain scalar */
static int resolve_v3(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE", NULL };
	static const char *const floats[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
		"-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL };
	long long iv;
	/* the words' first bytes (or ""), and at most 5 bytes */
	int i, look = strchr("~nNtTfF.+-", s[0]) && strnlen(s, 6) <= 5;

	for (i = 0; look && nulls[i]; i++)
		if (!strcmp(s, nulls[i]))
			return GATE_RNODE_NULL;
	for (i = 0; look && bools[i]; i++)
		if (!strcmp(s, bools[i]))
			return GATE_RNODE_BOOL;
	for (i = 0; look && floats[i]; i++)
		if (!strcmp(s, floats[i]))
			return GATE_RNODE_FLOAT;
	if (!strchr("+-.0123456789", s[0]))
		return GATE_RNODE_STR;
	if (parse_int(s, &iv))
		return GATE_RNODE_INT;
	if (is_yaml_float(s))
		return GATE_RNODE_FLOAT;
	return GATE_RNODE_STR;
}

static double num_value(const struct gate_rnode *n)
{
	long long iv;

	if (n->type == GATE_RNODE_INT && parse_int(n->str, &iv))
		return (double)iv;
	if (!strcasecmp(n->str, ".nan"))
		return NAN;
	if (strstr(n->str, "inf") || strstr(n->str, "Inf") || strstr(n->str, "INF"))
		return n->str[0] == '-' ? -INFINITY : INFINITY;
	return strtod(n->str, NULL);
}

/* ------------------------------------------------------------------ parse */

/*
 * The keys of a large mapping being parsed, by hash (the duplicate-key check
 * would otherwise compare each key with all before it): slot holds member
 * index + 1, 0 empty; members [0, n) are in.  Members are only ever added at
 * the end while the mapping is parsed (keys, and merges), so catching up
 * from n keeps it exact.  In the build's arena.
 */
struct pkeys {
	uint32_t *slot;
	uint32_t cap, n;
};

struct pframe {
	struct gate_rnode *node;
	char *key;          /* pending key of a map (NULL: next scalar is a key) */
	uint32_t kline, kcol;
	int have_key;
	struct pkeys *keys; /* a mapping of PKEYS_MIN members or more, else NULL */
};

#define PKEYS_MIN 8

static uint32_t pkeys_hash(const char *k)
{
	uint32_t h = 2166136261u;

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

static void pkeys_put(struct pkeys *ks, const struct gate_rnode *map, uint32_t i)
{
	uint32_t j = pkeys_hash(map->u.members[i].key) & (ks->cap - 1);

	while (ks->slot[j])
		j = (j + 1) & (ks->cap - 1);
	ks->slot[j] = i + 1;
}

/* rn_get(f->node, key) for the mapping being parsed */
static struct gate_rnode *frame_get(struct rctx *c, struct pframe *f, const char *key)
{
	const struct gate_rnode *map = f->node;
	struct pkeys *ks = f->keys;
	uint32_t j;

	if (map->len < PKEYS_MIN)
		return rn_get(map, key);
	if (!ks || (size_t)map->len * 2 > ks->cap) {
		uint32_t cap = 64;

		while (cap < map->len * 4)
			cap *= 2;
		if (!ks)
			ks = f->keys = ra_alloc(c, sizeof(*ks));
		ks->slot = ra_alloc(c, cap * sizeof(*ks->slot));
		memset(ks->slot, 0, cap * sizeof(*ks->slot));
		ks->cap = cap;
		ks->n = 0;
	}
	for (; ks->n < map->len; ks->n++)
		pkeys_put(ks, map, ks->n);
	for (j = pkeys_hash(key) & (ks->cap - 1); ks->slot[j]; j = (j + 1) & (ks->cap - 1))
		if (!strcmp(map->u.members[ks->slot[j] - 1].key, key))
			return map->u.members[ks->slot[j] - 1].value;
	return NULL;
}

struct anchor {
	char *name;
	struct gate_rnode *node;
};

struct parser {
	struct rctx *c;
	const char *file;
	struct pframe *st;
	size_t n, alloc;
	struct anchor *anchors;
	size_t nanchors, aalloc;
	struct gate_rnode *root;
	yaml_event_t ev;  /* the event being handled; deleted on failure too */
	int ev_live;
	struct rcache_entry *rec; /* the parse cache's record of this parse, or NULL */
	size_t mark;      /* the build's node count when the last document was handed over */
};

static void merge_into(struct rctx *c, struct gate_rnode *map, const struct gate_rnode *src)
{
	uint32_t i;

	if (src->type == GATE_RNODE_SEQ) {
		for (i = 0; i < src->len; i++)
			merge_into(c, map, src->u.items[i]);
		return;
	}
	if (src->type != GATE_RNODE_MAP)
		rfail(c, src, "map merge requires map or sequence of maps as the value");
	for (i = 0; i < src->len; i++)
		if (!rn_get(map, src->u.members[i].key))
			rn_set(c, map, src->u.members[i].key, rn_copy(c, src->u.members[i].value));
}

static void add_value(struct parser *p, struct gate_rnode *v, const yaml_mark_t *m)
{
	struct pframe *f;

	if (!p->n) {
		p->root = v;
		return;
	}
	f = &p->st[p->n - 1];
	if (f->node->type == GATE_RNODE_SEQ) {
		rn_append(p->c, f->node, v);
		return;
	}
	if (!f->have_key) {
		if (v->type == GATE_RNODE_SEQ || v->type == GATE_RNODE_MAP)
			rfail_at(p->c, p->file, (uint32_t)m->line + 1, (uint32_t)m->column + 1,
				"collections are not allowed as mapping keys");
		f->key = (char *)(v->type == GATE_RNODE_NULL ? "null" : v->str);
		f->kline = v->line;
		f->kcol = v->col;
		f->have_key = 1;
		return;
	}
	f->have_key = 0;
	if (!strcmp(f->key, "<<") && (v->type == GATE_RNODE_MAP || v->type == GATE_RNODE_SEQ)) {
		merge_into(p->c, f->node, v);
		return;
	}
	if (frame_get(p->c, f, f->key))
		rfail_at(p->c, p->file, f->kline, f->kcol, "mapping key \"%s\" already defined", f->key);
	add_member(p->c, f->node, f->key, v); /* a mapping (the frame's node), without the key */
	f->node->u.members[f->node->len - 1].line = f->kline;
	f->node->u.members[f->node->len - 1].col = f->kcol;
}

static void set_anchor(struct parser *p, const yaml_char_t *name, struct gate_rnode *n)
{
	if (!name)
		return;
	GATE_ALLOC_GROW(p->anchors, p->nanchors + 1, p->aalloc);
	p->anchors[p->nanchors].name = ra_strdup(p->c, (const char *)name);
	p->anchors[p->nanchors].node = n;
	p->nanchors++;
}

static int blank_or_end(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == 0;
}

/*
 * kustomize prints every object through go-yaml v3, which writes a folded
 * scalar back as folded and reads it again.  v3's folded writer looks at
 * the start of the string where it means the next line, so when the string
 * does not start with a blank, a line followed by a more-indented line gets
 * an extra line break: "[\n  {" comes back as "[\n\n  {".  Do the same.
 */
static const char *v3_folded_quirk(struct rctx *c, const char *v, uint32_t *len)
{
	struct gate_buf b = GATE_BUF_INIT;
	const char *first = v, *out;
	size_t i, n = *len;
	int breaks = 1, leading = 1, changed = 0;

	while (*first == '\n' || *first == '\r')
		first++;
	if (blank_or_end(*first))
		return v;
	for (i = 0; i < n; i++) {
		if (v[i] == '\n') {
			if (!breaks && !leading) {
				size_t k = i;

				while (k < n && v[k] == '\n')
					k++;
				if (k < n && (v[k] == ' ' || v[k] == '\t')) {
					gate_buf_addc(&b, '\n');
					changed = 1;
				}
			}
			breaks = 1;
		} else {
			if (breaks)
				leading = v[i] == ' ' || v[i] == '\t';
			breaks = 0;
		}
		gate_buf_addc(&b, v[i]);
	}
	if (!changed) {
		gate_buf_release(&b);
		return v;
	}
	out = ra_strndup(c, b.ptr, b.len);
	*len = (uint32_t)b.len;
	gate_buf_release(&b);
	return out;
}

static struct gate_rnode *scalar_node(struct parser *p, const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *val = (const char *)ev->data.scalar.value;
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	struct gate_rnode *n = rn_new(p->c, GATE_RNODE_STR, NULL);

	n->file = p->file;
	n->line = (uint32_t)ev->start_mark.line + 1;
	n->col = (uint32_t)ev->start_mark.column + 1;
	n->str = ra_strndup(p->c, val, ev->data.scalar.length);
	n->len = (uint32_t)ev->data.scalar.length;
	if (memchr(val, 0, ev->data.scalar.length))
		rfail(p->c, n, "NUL byte in a scalar");
	if (tag && strcmp(tag, "!")) {
		if (!strcmp(tag, "tag:yaml.org,2002:str") || !strcmp(tag, "tag:yaml.org,2002:binary"))
			n->type = GATE_RNODE_STR;
		else if (!strcmp(tag, "tag:yaml.org,2002:int"))
			n->type = GATE_RNODE_INT;
		else if (!strcmp(tag, "tag:yaml.org,2002:float"))
			n->type = GATE_RNODE_FLOAT;
		else if (!strcmp(tag, "tag:yaml.org,2002:bool"))
			n->type = GATE_RNODE_BOOL;
		else if (!strcmp(tag, "tag:yaml.org,2002:null"))
			n->type = GATE_RNODE_NULL;
		else
			n->type = (uint8_t)resolve_v3(n->str);
		if (n->type != GATE_RNODE_STR && resolve_v3(n->str) != n->type)
			n->type = GATE_RNODE_STR; /* a tag we cannot honour: keep the text */
	} else if (plain) {
		n->type = (uint8_t)resolve_v3(n->str);
	} else {
		n->block = 1;
	}
	if (n->type == GATE_RNODE_BOOL)
		n->str = (n->str[0] == 't' || n->str[0] == 'T') ? "true" : "false";
	if (ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE && n->type == GATE_RNODE_STR)
		n->str = v3_folded_quirk(p->c, n->str, &n->len);
	return n;
}

static void parse_events(struct parser *p, yaml_parser_t *yp, rn_doc_fn fn, void *payload)
{
	struct rctx *c = p->c;
	int done = 0;

	while (!done) {
		struct gate_rnode *n;

		if (!yaml_parser_parse(yp, &p->ev)) {
			rfail_at(c, p->file, (uint32_t)yp->problem_mark.line + 1,
				(uint32_t)yp->problem_mark.column + 1, "yaml: %s%s%s",
				yp->problem ? yp->problem : "syntax error",
				yp->context ? " " : "", yp->context ? yp->context : "");
		}
		p->ev_live = 1;
		switch (p->ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			p->root = NULL;
			p->nanchors = 0;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (p->root && p->root->type != GATE_RNODE_NULL) {
				rcache_record_doc(c, p->rec, p->root, p->file, c->nodes - p->mark);
				fn(c, p->root, payload);
				p->mark = c->nodes;
			}
			p->root = NULL;
			break;
		case YAML_SCALAR_EVENT:
			n = scalar_node(p, &p->ev);
			set_anchor(p, p->ev.data.scalar.anchor, n);
			add_value(p, n, &p->ev.start_mark);
			break;
		case YAML_ALIAS_EVENT: {
			size_t i;

			n = NULL;
			for (i = p->nanchors; i-- > 0;)
				if (!strcmp(p->anchors[i].name, (const char *)p->ev.data.alias.anchor)) {
					n = p->anchors[i].node;
					break;
				}
			if (!n)
				rfail_at(c, p->file, (uint32_t)p->ev.start_mark.line + 1,
					(uint32_t)p->ev.start_mark.column + 1, "unknown anchor '%s' referenced",
					(const char *)p->ev.data.alias.anchor);
			add_value(p, rn_copy(c, n), &p->ev.start_mark);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (p->n >= 256)
				rfail_at(c, p->file, (uint32_t)p->ev.start_mark.line + 1,
					(uint32_t)p->ev.start_mark.column + 1, "yaml: nesting too deep");
			n = rn_new(c, p->ev.type == YAML_SEQUENCE_START_EVENT ? GATE_RNODE_SEQ : GATE_RNODE_MAP, NULL);
			n->file = p->file;
			n->line = (uint32_t)p->ev.start_mark.line + 1;
			n->col = (uint32_t)p->ev.start_mark.column + 1;
			set_anchor(p, p->ev.type == YAML_SEQUENCE_START_EVENT ? p->ev.data.sequence_start.anchor :
				p->ev.data.mapping_start.anchor, n);
			GATE_ALLOC_GROW(p->st, p->n + 1, p->alloc);
			memset(&p->st[p->n], 0, sizeof(p->st[0]));
			p->st[p->n++].node = n;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			yaml_mark_t m = p->ev.start_mark;

			n = p->st[--p->n].node;
			add_value(p, n, &m);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&p->ev);
		p->ev_live = 0;
	}
}

struct parse_cleanup {
	yaml_parser_t yp;
	struct parser p;
};

void rn_parse_stream(struct rctx *c, const char *file, const char *buf, size_t len,
	rn_doc_fn fn, void *payload)
{
	/* parser state lives in the arena so a failure (longjmp) leaks nothing but the libyaml parser */
	struct parse_cleanup *pc;
	jmp_buf saved;
	int failed;

	if (rcache_replay(c, file, buf, len, fn, payload))
		return;
	pc = ra_alloc(c, sizeof(*pc));
	pc->p.rec = rcache_record_start(c, buf, len);
	pc->p.mark = c->nodes;
	memcpy(saved, c->fail, sizeof(saved));
	yaml_parser_initialize(&pc->yp);
	yaml_parser_set_input_string(&pc->yp, (const unsigned char *)buf, len);
	pc->p.c = c;
	pc->p.file = file;
	if (!(failed = setjmp(c->fail)))
		parse_events(&pc->p, &pc->yp, fn, payload);
	if (pc->p.ev_live)
		yaml_event_delete(&pc->p.ev);
	yaml_parser_delete(&pc->yp);
	free(pc->p.st);
	free(pc->p.anchors);
	memcpy(c->fail, saved, sizeof(saved));
	if (failed)
		longjmp(c->fail, 1);
	rcache_record_done(pc->p.rec, c->nodes - pc->p.mark);
}

static void keep_one(struct rctx *c, struct gate_rnode *root, void *payload)
{
	struct gate_rnode **out = payload;

	if (*out)
		rfail(c, root, "expected one YAML document");
	*out = root;
}

struct gate_rnode *rn_parse_one(struct rctx *c, const char *file, const char *buf, size_t len)
{
	struct gate_rnode *root = NULL;

	rn_parse_stream(c, file, buf, len, keep_one, &root);
	return root;
}

/* typed scalar values (render_emit.c, render_json.c) */

int rn_int_value(const struct gate_rnode *n, long long *out)
{
	return parse_int(n->str, out);
}

double rn_float_value(const struct gate_rnode *n)
{
	return num_value(n);
}

/* the type go-yaml v3 gives the plain scalar s (for render_repl.c) */
int rn_resolve(const char *s);
int rn_resolve(const char *s)
{
	return resolve_v3(s);
}
