/*
 * cel_value.c: CEL values: the evaluation arena, values read from document
 * nodes (lazily, with the schema's types and defaults), equality and
 * ordering as cel-spec defines them (numbers compare by value across int,
 * uint and double), and rendering for messages and tests.
 */
#include "cel_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ----------------------------------------------------------------- */

struct cel_chunk {
	struct cel_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *cel_alloc(struct cel_arena *a, size_t size)
{
	struct cel_chunk *c = a->head;
	void *p;

	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!size)
		size = sizeof(max_align_t);
	if (!c || c->size - c->used < size) {
		size_t want = size > 8192 ? size : 8192;
		c = gate_xmalloc(sizeof(*c) + want);
		c->size = want;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

char *cel_strndup(struct cel_arena *a, const char *s, size_t len)
{
	char *p = cel_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

void cel_arena_release(struct cel_arena *a)
{
	struct cel_chunk *c = a->head, *n;
	size_t i;

	while (c) {
		n = c->next;
		free(c);
		c = n;
	}
	for (i = 0; i < a->ncodes; i++)
		pcre2_code_free(a->codes[i]);
	free(a->codes);
	a->head = NULL;
	a->codes = NULL;
	a->ncodes = a->acodes = 0;
}

/* ---- constructors ---------------------------------------------------------- */

struct cel_value cel_err(struct cel_ctx *c, const char *fmt, ...)
{
	struct cel_value v = { CK_ERROR, 0, 0, { .s = NULL } };
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v.u.s = cel_strndup(c->mem, buf, strlen(buf));
	return v;
}

struct cel_value cel_no_overload(struct cel_ctx *c, const char *fn, const struct cel_value *args, size_t n)
{
	char buf[200];
	size_t i, off = 0;

	buf[0] = 0;
	for (i = 0; i < n && off < sizeof(buf) - 40; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? ", " : "", cel_type_name(&args[i]));
	return cel_err(c, "no such overload: %s(%s)", fn, buf);
}

struct cel_value cel_string(struct cel_ctx *c, const char *s, size_t len)
{
	return cel_string_ref(cel_strndup(c->mem, s, len), len);
}

struct cel_value cel_list_new(struct cel_ctx *c, size_t n)
{
	struct cel_value v = { CK_LIST, 0, (uint32_t)n, { .items = NULL } };

	v.u.items = cel_alloc(c->mem, (n ? n : 1) * sizeof(struct cel_value));
	return v;
}

struct cel_value cel_optional(struct cel_ctx *c, const struct cel_value *inner)
{
	struct cel_value v = { CK_OPTIONAL, 0, 0, { .opt = NULL } };

	if (inner) {
		v.u.opt = cel_alloc(c->mem, sizeof(*inner));
		*v.u.opt = *inner;
	}
	return v;
}

const char *cel_type_name(const struct cel_value *v)
{
	switch (v->kind) {
	case CK_ERROR: return "error";
	case CK_NULL: return "null_type";
	case CK_BOOL: return "bool";
	case CK_INT: return "int";
	case CK_UINT: return "uint";
	case CK_DOUBLE: return "double";
	case CK_STRING: return "string";
	case CK_BYTES: return "bytes";
	case CK_LIST: return "list";
	case CK_MAP: return "map";
	case CK_TYPE: return "type";
	case CK_DURATION: return "google.protobuf.Duration";
	case CK_TIMESTAMP: return "google.protobuf.Timestamp";
	case CK_OPTIONAL: return "optional_type";
	case CK_QUANTITY: return "kubernetes.Quantity";
	case CK_URL: return "kubernetes.URL";
	case CK_IP: return "net.IP";
	case CK_CIDR: return "net.CIDR";
	default: return "unknown";
	}
}

/* ---- UTF-8 ----------------------------------------------------------------- */

int cel_utf8_count(const char *s, size_t len)
{
	size_t i = 0, k, need;
	int n = 0;

	while (i < len) {
		unsigned char ch = (unsigned char)s[i];
		uint32_t cp;
		if (ch < 0x80) {
			i++;
			n++;
			continue;
		}
		if (ch >= 0xc2 && ch <= 0xdf)
			need = 1, cp = ch & 0x1fu;
		else if ((ch & 0xf0) == 0xe0)
			need = 2, cp = ch & 0x0fu;
		else if (ch >= 0xf0 && ch <= 0xf4)
			need = 3, cp = ch & 0x07u;
		else
			return -1;
		if (len - i <= need)
			return -1;
		for (k = 1; k <= need; k++) {
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3fu);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
				(need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return -1;
		i += need + 1;
		n++;
	}
	return n;
}

long cel_find(const char *s, size_t len, const char *t, size_t tlen, size_t from)
{
	size_t i;

	if (tlen > len)
		return -1;
	for (i = from; i + tlen <= len; i++)
		if (s[i] == (tlen ? t[0] : s[i]) && !memcmp(s + i, t, tlen))
			return (long)i;
	return -1;
}

size_t cel_utf8_offset(const char *s, size_t len, int64_t idx)
{
	size_t i = 0;

	while (idx > 0) {
		if (i >= len)
			return (size_t)-1;
		i++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		idx--;
	}
	return i;
}

/* ---- values from documents ---------------------------------------------------- */

static enum gate_cel_scalar scalar_of(struct cel_ctx *c, const void *type)
{
	if (!type || !c->typer || !c->typer->scalar)
		return GATE_CEL_SCALAR_ANY;
	return c->typer->scalar(type);
}

static struct cel_value from_string(struct cel_ctx *c, const char *s, size_t len, const void *type)
{
	struct cel_value v = cel_string_ref(s, len);

	switch (scalar_of(c, type)) {
	case GATE_CEL_SCALAR_BYTES: {
		/* base64 in the document, bytes in CEL */
		static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		char *out = cel_alloc(c->mem, len + 1);
		size_t i, o = 0;
		uint32_t acc = 0;
		int bits = 0;
		for (i = 0; i < len && s[i] != '='; i++) {
			const char *p = memchr(al, s[i], 64);
			if (!p)
				return v;
			acc = (acc << 6) | (uint32_t)(p - al);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[o++] = (char)((acc >> bits) & 0xff);
			}
		}
		v.kind = CK_BYTES;
		v.u.s = out;
		v.len = (uint32_t)o;
		return v;
	}
	case GATE_CEL_SCALAR_DURATION: {
		struct cel_value d = { CK_DURATION, 0, 0, { .i = 0 } };
		if (cel_parse_duration(s, len, &d.u.t.sec, &d.u.t.nsec) == 0)
			return d;
		return v;
	}
	case GATE_CEL_SCALAR_TIMESTAMP: {
		struct cel_value t = { CK_TIMESTAMP, 0, 0, { .i = 0 } };
		if (cel_parse_timestamp(s, len, &t.u.t.sec, &t.u.t.nsec) == 0)
			return t;
		if (len == 10) { /* format: date */
			char buf[32];
			memcpy(buf, s, 10);
			memcpy(buf + 10, "T00:00:00Z", 11);
			if (cel_parse_timestamp(buf, 20, &t.u.t.sec, &t.u.t.nsec) == 0)
				return t;
		}
		return v;
	}
	default:
		return v;
	}
}

static struct cel_value from_number(struct cel_ctx *c, double d, int integral, const void *type)
{
	enum gate_cel_scalar k = scalar_of(c, type);

	if (k == GATE_CEL_SCALAR_DOUBLE)
		return cel_double(d);
	if ((integral || k == GATE_CEL_SCALAR_INT) && d == floor(d) && d >= -9223372036854775808.0 &&
			d < 9223372036854775808.0)
		return cel_int((int64_t)d);
	return cel_double(d);
}

struct cel_value cel_from_node(struct cel_ctx *c, const struct gate_node *n, const void *type)
{
	struct cel_value v = { CK_NULL, 0, 0, { .i = 0 } };

	switch (n->type) {
	case GATE_NODE_BOOL:
		return cel_bool(n->u.boolean);
	case GATE_NODE_NUMBER:
		return from_number(c, n->u.number, !!(n->flags & GATE_NODE_INTEGRAL), type);
	case GATE_NODE_STRING:
		return from_string(c, n->u.str, n->len, type);
	case GATE_NODE_ARRAY:
	case GATE_NODE_OBJECT:
		v.kind = n->type == GATE_NODE_ARRAY ? CK_LIST : CK_MAP;
		v.flags = CV_NODE;
		v.len = n->len;
		v.u.n.node = n;
		v.u.n.type = type;
		return v;
	default:
		return v;
	}
}

static const void *field_type(struct cel_ctx *c, const void *type, const char *key, size_t len)
{
	if (!type || !c->typer || !c->typer->field)
		return NULL;
	return c->typer->field(type, key, len);
}

static const void *item_type(struct cel_ctx *c, const void *type)
{
	if (!type || !c->typer || !c->typer->item)
		return NULL;
	return c->typer->item(type);
}

static int has_defaults(struct cel_ctx *c, const void *type)
{
	const char *k;
	size_t l;
	const json_t *j;

	return type && c->typer && c->typer->default_at && c->typer->default_at(type, 0, &k, &l, &j);
}

/* a default value, itself defaulted where its schema says so */
struct cel_value cel_from_json(struct cel_ctx *c, const json_t *j, const void *type)
{
	struct cel_value v;
	size_t i, n;

	switch (json_typeof(j)) {
	case JSON_TRUE: return cel_bool(1);
	case JSON_FALSE: return cel_bool(0);
	case JSON_INTEGER: return from_number(c, (double)json_integer_value(j), 1, type);
	case JSON_REAL: return from_number(c, json_real_value(j), 0, type);
	case JSON_STRING:
		return from_string(c, json_string_value(j), json_string_length(j), type);
	case JSON_ARRAY:
		n = json_array_size(j);
		v = cel_list_new(c, n);
		for (i = 0; i < n; i++)
			v.u.items[i] = cel_from_json(c, json_array_get(j, i), item_type(c, type));
		return v;
	case JSON_OBJECT: {
		const char *key, *dk;
		const json_t *x;
		size_t dl, extra = 0, k = 0;
		for (i = 0; type && c->typer && c->typer->default_at &&
				c->typer->default_at(type, i, &dk, &dl, &x); i++)
			extra++;
		n = json_object_size(j);
		v.kind = CK_MAP;
		v.flags = 0;
		v.u.items = cel_alloc(c->mem, 2 * (n + extra + 1) * sizeof(struct cel_value));
		json_object_foreach((json_t *)j, key, x) {
			size_t kl = strlen(key);
			v.u.items[2 * k] = cel_string_ref(key, kl);
			v.u.items[2 * k + 1] = cel_from_json(c, x, field_type(c, type, key, kl));
			k++;
		}
		for (i = 0; i < extra; i++) {
			c->typer->default_at(type, i, &dk, &dl, &x);
			if (json_object_getn(j, dk, dl))
				continue;
			v.u.items[2 * k] = cel_string_ref(dk, dl);
			v.u.items[2 * k + 1] = cel_from_json(c, x, field_type(c, type, dk, dl));
			k++;
		}
		v.len = (uint32_t)k;
		return v;
	}
	default:
		return cel_null();
	}
}

size_t cel_size(struct cel_ctx *c, const struct cel_value *v)
{
	size_t n;

	if (v->kind == CK_MAP && (v->flags & CV_NODE) && has_defaults(c, v->u.n.type)) {
		(void)cel_map_entries(c, v, &n);
		return n;
	}
	return v->len;
}

struct cel_value cel_list_get(struct cel_ctx *c, const struct cel_value *l, size_t i)
{
	if (l->flags & CV_NODE)
		return cel_from_node(c, &l->u.n.node->u.items[i], item_type(c, l->u.n.type));
	return l->u.items[i];
}

struct cel_value *cel_map_entries(struct cel_ctx *c, const struct cel_value *m, size_t *n)
{
	const struct gate_node *node;
	struct cel_value *e;
	size_t i, k = 0, extra = 0;
	const char *dk;
	size_t dl;
	const json_t *dj;

	if (!(m->flags & CV_NODE)) {
		*n = m->len;
		return m->u.items;
	}
	node = m->u.n.node;
	if (has_defaults(c, m->u.n.type))
		for (i = 0; c->typer->default_at(m->u.n.type, i, &dk, &dl, &dj); i++)
			extra++;
	e = cel_alloc(c->mem, 2 * (node->len + extra + 1) * sizeof(*e));
	for (i = 0; i < node->len; i++) {
		const struct gate_member *mb = &node->u.members[i];
		e[2 * k] = cel_string_ref(mb->key, mb->key_len);
		e[2 * k + 1] = cel_from_node(c, &mb->value, field_type(c, m->u.n.type, mb->key, mb->key_len));
		k++;
	}
	for (i = 0; i < extra; i++) {
		c->typer->default_at(m->u.n.type, i, &dk, &dl, &dj);
		if (gate_node_get(node, dk) && strlen(dk) == dl)
			continue;
		e[2 * k] = cel_string_ref(dk, dl);
		e[2 * k + 1] = cel_from_json(c, dj, field_type(c, m->u.n.type, dk, dl));
		k++;
	}
	*n = k;
	return e;
}

int cel_map_find_field(struct cel_ctx *c, const struct cel_value *m, const char *name, size_t len,
	struct cel_value *out)
{
	struct cel_value key = cel_string_ref(name, len);

	return cel_map_find(c, m, &key, out);
}

int cel_map_find(struct cel_ctx *c, const struct cel_value *m, const struct cel_value *key,
	struct cel_value *out)
{
	size_t i, n;
	struct cel_value *e;

	if (key->kind != CK_STRING && key->kind != CK_INT && key->kind != CK_UINT && key->kind != CK_BOOL &&
			key->kind != CK_DOUBLE) {
		*out = cel_err(c, "unsupported key type: %s", cel_type_name(key));
		return -1;
	}
	if (m->flags & CV_NODE) {
		const struct gate_node *node = m->u.n.node;
		const char *dk;
		size_t dl;
		const json_t *dj;
		if (key->kind != CK_STRING)
			return 0;
		for (i = 0; i < node->len; i++) {
			const struct gate_member *mb = &node->u.members[i];
			if (mb->key_len == key->len && !memcmp(mb->key, key->u.s, key->len)) {
				*out = cel_from_node(c, &mb->value, field_type(c, m->u.n.type, mb->key, mb->key_len));
				return 1;
			}
		}
		if (has_defaults(c, m->u.n.type))
			for (i = 0; c->typer->default_at(m->u.n.type, i, &dk, &dl, &dj); i++)
				if (dl == key->len && !memcmp(dk, key->u.s, dl)) {
					*out = cel_from_json(c, dj, field_type(c, m->u.n.type, dk, dl));
					return 1;
				}
		return 0;
	}
	e = cel_map_entries(c, m, &n);
	for (i = 0; i < n; i++)
		if (cel_equal(c, &e[2 * i], key) == 1) {
			*out = e[2 * i + 1];
			return 1;
		}
	return 0;
}

/* ---- equality and ordering ------------------------------------------------- */

static int is_num(const struct cel_value *v)
{
	return v->kind == CK_INT || v->kind == CK_UINT || v->kind == CK_DOUBLE;
}

/* numbers of any kinds: -1, 0, 1, or 2 when unordered (NaN) */
static int num_cmp(const struct cel_value *a, const struct cel_value *b)
{
	if (a->kind == b->kind) {
		switch (a->kind) {
		case CK_INT: return (a->u.i > b->u.i) - (a->u.i < b->u.i);
		case CK_UINT: return (a->u.u > b->u.u) - (a->u.u < b->u.u);
		default:
			if (isnan(a->u.d) || isnan(b->u.d))
				return 2;
			return (a->u.d > b->u.d) - (a->u.d < b->u.d);
		}
	}
	if (a->kind == CK_INT && b->kind == CK_UINT) {
		if (a->u.i < 0)
			return -1;
		return ((uint64_t)a->u.i > b->u.u) - ((uint64_t)a->u.i < b->u.u);
	}
	if (a->kind == CK_UINT && b->kind == CK_INT)
		return -num_cmp(b, a);
	if (a->kind == CK_DOUBLE) {
		int r = num_cmp(b, a);
		return r == 2 ? 2 : -r;
	}
	/* integer a, double b: as cel-go, the integer converted to double */
	{
		double x = a->kind == CK_INT ? (double)a->u.i : (double)a->u.u;
		if (isnan(b->u.d))
			return 2;
		return (x > b->u.d) - (x < b->u.d);
	}
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);

	if (r)
		return r < 0 ? -1 : 1;
	return (al > bl) - (al < bl);
}

int cel_compare(const struct cel_value *a, const struct cel_value *b, int *cmp)
{
	if (is_num(a) && is_num(b)) {
		int r = num_cmp(a, b);
		if (r == 2)
			return 1; /* NaN: ordered, compares false */
		*cmp = r;
		return 0;
	}
	if (a->kind != b->kind)
		return -1;
	switch (a->kind) {
	case CK_STRING:
	case CK_BYTES:
		*cmp = bytes_cmp(a->u.s, a->len, b->u.s, b->len);
		return 0;
	case CK_BOOL:
		*cmp = (a->u.b > b->u.b) - (a->u.b < b->u.b);
		return 0;
	case CK_DURATION:
	case CK_TIMESTAMP:
		if (a->u.t.sec != b->u.t.sec)
			*cmp = a->u.t.sec < b->u.t.sec ? -1 : 1;
		else
			*cmp = (a->u.t.nsec > b->u.t.nsec) - (a->u.t.nsec < b->u.t.nsec);
		return 0;
	case CK_QUANTITY:
		*cmp = cel_quantity_cmp(a, b);
		return 0;
	default:
		return -1;
	}
}

int cel_equal(struct cel_ctx *c, const struct cel_value *a, const struct cel_value *b)
{
	size_t i, n;
	int cmp;

	if (is_num(a) && is_num(b))
		return num_cmp(a, b) == 0;
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case CK_NULL:
		return 1;
	case CK_TYPE:
		return !strcmp(a->u.s, b->u.s);
	case CK_LIST:
		if (a->len != b->len)
			return 0;
		for (i = 0; i < a->len; i++) {
			struct cel_value x = cel_list_get(c, a, i), y = cel_list_get(c, b, i);
			if (!cel_equal(c, &x, &y))
				return 0;
		}
		return 1;
	case CK_MAP: {
		struct cel_value *ea = cel_map_entries(c, a, &n), *eb;
		size_t nb;
		eb = cel_map_entries(c, b, &nb);
		if (n != nb)
			return 0;
		for (i = 0; i < n; i++) {
			struct cel_value other, bm = { CK_MAP, 0, (uint32_t)nb, { .items = eb } };
			if (cel_map_find(c, &bm, &ea[2 * i], &other) != 1 || !cel_equal(c, &ea[2 * i + 1], &other))
				return 0;
		}
		return 1;
	}
	case CK_OPTIONAL:
		if (!a->u.opt || !b->u.opt)
			return !a->u.opt && !b->u.opt;
		return cel_equal(c, a->u.opt, b->u.opt);
	case CK_URL:
		return !strcmp(a->u.url->scheme, b->u.url->scheme) && !strcmp(a->u.url->host, b->u.url->host) &&
			!strcmp(a->u.url->path, b->u.url->path) && !strcmp(a->u.url->query, b->u.url->query);
	case CK_IP:
	case CK_CIDR:
		return cel_net_equal(a, b);
	default:
		return cel_compare(a, b, &cmp) == 0 && cmp == 0;
	}
}

/* ---- rendering ------------------------------------------------------------- */

void cel_format_double(char *buf, size_t size, double d)
{
	char tmp[40], *e;
	int prec, exp;

	if (isnan(d)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, size, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	e = strchr(tmp, 'e');
	exp = e ? (int)strtol(e + 1, NULL, 10) : 0;
	if (exp < -4 || exp >= 21) {
		/* Go: mantissa without trailing zeros, exponent of at least two digits */
		*e = 0;
		snprintf(buf, size, "%se%c%02d", tmp, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
		return;
	}
	snprintf(buf, size, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
}

static void render_double(struct gate_buf *b, double d)
{
	char buf[400];

	cel_format_double(buf, sizeof(buf), d);
	gate_buf_adds(b, buf);
}

void cel_render(struct gate_buf *b, const struct cel_value *v, int depth)
{
	size_t i;

	if (depth > 32) {
		gate_buf_adds(b, "...");
		return;
	}
	switch (v->kind) {
	case CK_ERROR: gate_buf_addf(b, "error(%s)", v->u.s); break;
	case CK_NULL: gate_buf_adds(b, "null"); break;
	case CK_BOOL: gate_buf_adds(b, v->u.b ? "true" : "false"); break;
	case CK_INT: gate_buf_addf(b, "%lld", (long long)v->u.i); break;
	case CK_UINT: gate_buf_addf(b, "%lluu", (unsigned long long)v->u.u); break;
	case CK_DOUBLE: render_double(b, v->u.d); break;
	case CK_STRING:
	case CK_BYTES:
		if (v->kind == CK_BYTES)
			gate_buf_addc(b, 'b');
		gate_buf_addc(b, '"');
		for (i = 0; i < v->len; i++) {
			unsigned char ch = (unsigned char)v->u.s[i];
			if (ch == '"' || ch == '\\')
				gate_buf_addf(b, "\\%c", ch);
			else if (ch < 0x20 || ch == 0x7f || (v->kind == CK_BYTES && ch >= 0x80))
				gate_buf_addf(b, "\\x%02x", ch);
			else
				gate_buf_addc(b, (char)ch);
		}
		gate_buf_addc(b, '"');
		break;
	case CK_LIST:
		gate_buf_addc(b, '[');
		for (i = 0; i < v->len; i++) {
			struct cel_value x;
			struct cel_ctx c;
			struct cel_arena tmp = { NULL, NULL, 0, 0 };
			memset(&c, 0, sizeof(c));
			c.mem = &tmp;
			x = cel_list_get(&c, v, i);
			if (i)
				gate_buf_adds(b, ", ");
			cel_render(b, &x, depth + 1);
			cel_arena_release(&tmp);
		}
		gate_buf_addc(b, ']');
		break;
	case CK_MAP: {
		struct cel_ctx c;
		struct cel_arena tmp = { NULL, NULL, 0, 0 };
		struct cel_value *e;
		size_t n;
		memset(&c, 0, sizeof(c));
		c.mem = &tmp;
		e = cel_map_entries(&c, v, &n);
		gate_buf_addc(b, '{');
		for (i = 0; i < n; i++) {
			if (i)
				gate_buf_adds(b, ", ");
			cel_render(b, &e[2 * i], depth + 1);
			gate_buf_adds(b, ": ");
			cel_render(b, &e[2 * i + 1], depth + 1);
		}
		gate_buf_addc(b, '}');
		cel_arena_release(&tmp);
		break;
	}
	case CK_TYPE: gate_buf_adds(b, v->u.s); break;
	case CK_DURATION:
		gate_buf_adds(b, "duration(\"");
		cel_format_duration(b, v->u.t.sec, v->u.t.nsec);
		gate_buf_adds(b, "\")");
		break;
	case CK_TIMESTAMP:
		gate_buf_adds(b, "timestamp(\"");
		cel_format_timestamp(b, v->u.t.sec, v->u.t.nsec);
		gate_buf_adds(b, "\")");
		break;
	case CK_OPTIONAL:
		if (!v->u.opt) {
			gate_buf_adds(b, "optional.none()");
		} else {
			gate_buf_adds(b, "optional.of(");
			cel_render(b, v->u.opt, depth + 1);
			gate_buf_addc(b, ')');
		}
		break;
	default: {
		gate_buf_adds(b, cel_type_name(v));
		break;
	}
	}
}
