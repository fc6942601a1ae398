/*
 * cel_eval.c: evaluation of a parsed CEL expression.
 *
 * Dynamic: values carry their types and operators pick their overload at run
 * time.  Errors are values: they propagate through strict operators and
 * functions and are absorbed by && and || (and the all/exists macros) where
 * the other side decides the outcome, in either order, as cel-spec says.
 * Every evaluated node costs one unit, every macro iteration one more, string
 * work its length / 10: over the budget the evaluation stops with an error.
 */
#include "cel_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int cel_charge(struct cel_ctx *c, uint64_t n)
{
	c->cost += n;
	if (c->cost > c->limit) {
		c->over = 1;
		return -1;
	}
	return 0;
}

static struct cel_value over_budget(struct cel_ctx *c)
{
	return cel_err(c, "operation cancelled: actual cost limit exceeded");
}

size_t gate_cel_unescape_field(const char *s, size_t len, char *out)
{
	static const char *const kw[] = {
		"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
		"if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while", NULL
	};
	static const struct {
		const char *esc;
		char ch;
	} seq[] = { { "__underscores__", 0 }, { "__dot__", '.' }, { "__dash__", '-' }, { "__slash__", '/' } };
	size_t i = 0, o = 0, k;

	if (len > 4 && s[0] == '_' && s[1] == '_' && s[len - 1] == '_' && s[len - 2] == '_') {
		for (k = 0; kw[k]; k++)
			if (strlen(kw[k]) == len - 4 && !memcmp(kw[k], s + 2, len - 4)) {
				memcpy(out, s + 2, len - 4);
				out[len - 4] = 0;
				return len - 4;
			}
	}
	while (i < len) {
		int done = 0;
		if (s[i] == '_' && i + 1 < len && s[i + 1] == '_') {
			for (k = 0; k < 4; k++) {
				size_t el = strlen(seq[k].esc);
				if (i + el <= len && !memcmp(s + i, seq[k].esc, el)) {
					if (seq[k].ch) {
						out[o++] = seq[k].ch;
					} else {
						out[o++] = '_';
						out[o++] = '_';
					}
					i += el;
					done = 1;
					break;
				}
			}
		}
		if (!done)
			out[o++] = s[i++];
	}
	out[o] = 0;
	return o;
}

/* ---- variables ------------------------------------------------------------- */

static const char *const type_names[] = {
	"int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "optional_type", NULL
};

static struct cel_value ident(struct cel_ctx *c, const struct cel_ast *a)
{
	const struct cel_scope *s;
	size_t i;

	for (s = c->scope; s; s = s->up)
		if (s->len == a->name_len && !memcmp(s->name, a->name, a->name_len))
			return s->v;
	for (i = 0; i < c->env->nvars; i++) {
		const struct gate_cel_var *v = &c->env->vars[i];
		if (strlen(v->name) != a->name_len || memcmp(v->name, a->name, a->name_len))
			continue;
		if (v->none)
			return cel_optional(c, NULL);
		return v->node ? cel_from_node(c, v->node, v->type) : cel_null();
	}
	for (i = 0; type_names[i]; i++)
		if (!strcmp(type_names[i], a->name))
			return cel_type(type_names[i]);
	return cel_err(c, "undeclared reference to '%s'", a->name);
}

/* ---- field selection and indexing ----------------------------------------- */

static int select_field(struct cel_ctx *c, const struct cel_value *m, const char *name, size_t len,
	struct cel_value *out)
{
	char stack[128], *buf = len < sizeof(stack) ? stack : cel_alloc(c->mem, len + 1);
	size_t n = memchr(name, '_', len) ? gate_cel_unescape_field(name, len, buf) : 0;

	if (!n && !memchr(name, '_', len))
		return cel_map_find_field(c, m, name, len, out);
	return cel_map_find_field(c, m, buf, n, out);
}

static struct cel_value eval_select(struct cel_ctx *c, const struct cel_ast *a, struct cel_value x)
{
	struct cel_value out;
	int r;

	if (CEL_IS_ERR(x))
		return x;
	if (x.kind == CK_OPTIONAL) {
		if (!x.u.opt)
			return x;
		x = *x.u.opt;
		if (x.kind != CK_MAP)
			return cel_err(c, "type '%s' does not support field selection", cel_type_name(&x));
		r = select_field(c, &x, a->name, a->name_len, &out);
		if (r < 0)
			return out;
		return cel_optional(c, r ? &out : NULL);
	}
	if (x.kind != CK_MAP)
		return cel_err(c, "type '%s' does not support field selection", cel_type_name(&x));
	r = select_field(c, &x, a->name, a->name_len, &out);
	if (r < 0)
		return out;
	if (!r) {
		if (a->op == CO_OPT_SELECT)
			return cel_optional(c, NULL);
		return cel_err(c, "no such key: %s", a->name);
	}
	return a->op == CO_OPT_SELECT ? cel_optional(c, &out) : out;
}

static struct cel_value eval_has(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value x = cel_eval(c, a->a[0]), out;
	int r;

	if (CEL_IS_ERR(x))
		return x;
	if (x.kind == CK_OPTIONAL) {
		if (!x.u.opt)
			return cel_bool(0);
		x = *x.u.opt;
	}
	if (x.kind != CK_MAP)
		return cel_err(c, "invalid type for field selection: %s", cel_type_name(&x));
	r = select_field(c, &x, a->name, a->name_len, &out);
	if (r < 0)
		return out;
	return cel_bool(r);
}

static struct cel_value eval_index(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value x = cel_eval(c, a->a[0]), k, out;
	int opt = a->op == CO_OPT_INDEX, r;

	if (CEL_IS_ERR(x))
		return x;
	k = cel_eval(c, a->a[1]);
	if (CEL_IS_ERR(k))
		return k;
	if (x.kind == CK_OPTIONAL) {
		if (!x.u.opt)
			return x;
		x = *x.u.opt;
		opt = 1;
	}
	if (x.kind == CK_LIST) {
		int64_t i;
		if (k.kind == CK_INT)
			i = k.u.i;
		else if (k.kind == CK_UINT)
			i = k.u.u > INT64_MAX ? -1 : (int64_t)k.u.u;
		else if (k.kind == CK_DOUBLE && k.u.d == floor(k.u.d) && fabs(k.u.d) < 9e18)
			i = (int64_t)k.u.d;
		else
			return cel_err(c, "unsupported index type '%s' in list", cel_type_name(&k));
		if (i < 0 || (uint64_t)i >= x.len) {
			if (opt)
				return cel_optional(c, NULL);
			return cel_err(c, "index out of bounds: %lld", (long long)i);
		}
		out = cel_list_get(c, &x, (size_t)i);
		return opt ? cel_optional(c, &out) : out;
	}
	if (x.kind == CK_MAP) {
		r = cel_map_find(c, &x, &k, &out);
		if (r < 0)
			return out;
		if (!r) {
			struct gate_buf b = GATE_BUF_INIT;
			if (opt)
				return cel_optional(c, NULL);
			cel_render(&b, &k, 0);
			out = k.kind == CK_STRING ? cel_err(c, "no such key: %.*s", (int)k.len, k.u.s) :
				cel_err(c, "no such key: %s", b.ptr ? b.ptr : "");
			gate_buf_release(&b);
			return out;
		}
		return opt ? cel_optional(c, &out) : out;
	}
	{
		struct cel_value args[2] = { x, k };
		return cel_no_overload(c, "_[_]", args, 2);
	}
}

/* ---- operators ------------------------------------------------------------- */

static struct cel_value overflow(struct cel_ctx *c)
{
	return cel_err(c, "integer overflow");
}

static int dur_norm(int64_t *sec, int64_t nsec, int32_t *out)
{
	int64_t s = *sec + nsec / 1000000000;

	nsec %= 1000000000;
	if (s > 0 && nsec < 0) {
		s--;
		nsec += 1000000000;
	} else if (s < 0 && nsec > 0) {
		s++;
		nsec -= 1000000000;
	}
	*sec = s;
	*out = (int32_t)nsec;
	return 0;
}

#define MIN_TS_SEC -62135596800LL  /* 0001-01-01T00:00:00Z */
#define MAX_TS_SEC 253402300799LL  /* 9999-12-31T23:59:59Z */

static struct cel_value time_add(struct cel_ctx *c, int kind, int64_t s1, int32_t n1, int64_t s2,
	int32_t n2, int neg)
{
	struct cel_value v = { (uint8_t)kind, 0, 0, { .i = 0 } };
	int64_t s, ns;

	if (neg) {
		s2 = -s2;
		n2 = -n2;
	}
	if (__builtin_add_overflow(s1, s2, &s))
		return overflow(c);
	ns = (int64_t)n1 + n2;
	if (kind == CK_TIMESTAMP) {
		s += ns / 1000000000;
		ns %= 1000000000;
		if (ns < 0) {
			s--;
			ns += 1000000000;
		}
		if (s < MIN_TS_SEC || s > MAX_TS_SEC)
			return cel_err(c, "timestamp out of range");
		v.u.t.sec = s;
		v.u.t.nsec = (int32_t)ns;
		return v;
	}
	dur_norm(&s, ns, &v.u.t.nsec);
	if ((__int128)s * 1000000000 + v.u.t.nsec > INT64_MAX || (__int128)s * 1000000000 + v.u.t.nsec < INT64_MIN)
		return cel_err(c, "duration out of range");
	v.u.t.sec = s;
	return v;
}

static struct cel_value concat(struct cel_ctx *c, const struct cel_value *x, const struct cel_value *y)
{
	struct cel_value v;
	size_t i;

	if (x->kind == CK_LIST) {
		if ((size_t)x->len + y->len > UINT32_MAX)
			return cel_err(c, "list too long");
		if (cel_charge(c, ((size_t)x->len + y->len) / 10) < 0)
			return over_budget(c);
		v = cel_list_new(c, (size_t)x->len + y->len);
		for (i = 0; i < x->len; i++)
			v.u.items[i] = cel_list_get(c, x, i);
		for (i = 0; i < y->len; i++)
			v.u.items[x->len + i] = cel_list_get(c, y, i);
		return v;
	}
	if ((size_t)x->len + y->len > UINT32_MAX)
		return cel_err(c, "string too long");
	if (cel_charge(c, ((size_t)x->len + y->len) / 10) < 0)
		return over_budget(c);
	{
		char *s = cel_alloc(c->mem, (size_t)x->len + y->len + 1);
		memcpy(s, x->u.s, x->len);
		memcpy(s + x->len, y->u.s, y->len);
		s[x->len + y->len] = 0;
		v = cel_string_ref(s, (size_t)x->len + y->len);
		v.kind = x->kind;
		return v;
	}
}

static struct cel_value arith(struct cel_ctx *c, int op, struct cel_value x, struct cel_value y)
{
	static const char *const names[] = { "_+_", "_-_", "_*_", "_/_", "_%_" };
	struct cel_value args[2] = { x, y };
	int64_t r;
	uint64_t u;

	if (x.kind == CK_INT && y.kind == CK_INT) {
		switch (op) {
		case CO_ADD: return __builtin_add_overflow(x.u.i, y.u.i, &r) ? overflow(c) : cel_int(r);
		case CO_SUB: return __builtin_sub_overflow(x.u.i, y.u.i, &r) ? overflow(c) : cel_int(r);
		case CO_MUL: return __builtin_mul_overflow(x.u.i, y.u.i, &r) ? overflow(c) : cel_int(r);
		case CO_DIV:
			if (!y.u.i)
				return cel_err(c, "division by zero");
			if (x.u.i == INT64_MIN && y.u.i == -1)
				return overflow(c);
			return cel_int(x.u.i / y.u.i);
		default:
			if (!y.u.i)
				return cel_err(c, "modulus by zero");
			if (x.u.i == INT64_MIN && y.u.i == -1)
				return overflow(c);
			return cel_int(x.u.i % y.u.i);
		}
	}
	if (x.kind == CK_UINT && y.kind == CK_UINT) {
		switch (op) {
		case CO_ADD: return __builtin_add_overflow(x.u.u, y.u.u, &u) ? cel_err(c, "unsigned integer overflow") : cel_uint(u);
		case CO_SUB: return __builtin_sub_overflow(x.u.u, y.u.u, &u) ? cel_err(c, "unsigned integer overflow") : cel_uint(u);
		case CO_MUL: return __builtin_mul_overflow(x.u.u, y.u.u, &u) ? cel_err(c, "unsigned integer overflow") : cel_uint(u);
		case CO_DIV: return y.u.u ? cel_uint(x.u.u / y.u.u) : cel_err(c, "division by zero");
		default: return y.u.u ? cel_uint(x.u.u % y.u.u) : cel_err(c, "modulus by zero");
		}
	}
	if (x.kind == CK_DOUBLE && y.kind == CK_DOUBLE) {
		switch (op) {
		case CO_ADD: return cel_double(x.u.d + y.u.d);
		case CO_SUB: return cel_double(x.u.d - y.u.d);
		case CO_MUL: return cel_double(x.u.d * y.u.d);
		case CO_DIV: return cel_double(x.u.d / y.u.d);
		default: break;
		}
	}
	if (op == CO_ADD && x.kind == y.kind && (x.kind == CK_STRING || x.kind == CK_BYTES || x.kind == CK_LIST))
		return concat(c, &x, &y);
	if ((op == CO_ADD || op == CO_SUB) && y.kind == CK_DURATION &&
			(x.kind == CK_DURATION || x.kind == CK_TIMESTAMP))
		return time_add(c, x.kind, x.u.t.sec, x.u.t.nsec, y.u.t.sec, y.u.t.nsec, op == CO_SUB);
	if (op == CO_ADD && x.kind == CK_DURATION && y.kind == CK_TIMESTAMP)
		return time_add(c, CK_TIMESTAMP, y.u.t.sec, y.u.t.nsec, x.u.t.sec, x.u.t.nsec, 0);
	if (op == CO_SUB && x.kind == CK_TIMESTAMP && y.kind == CK_TIMESTAMP)
		return time_add(c, CK_DURATION, x.u.t.sec, x.u.t.nsec, y.u.t.sec, y.u.t.nsec, 1);
	return cel_no_overload(c, names[op - CO_ADD], args, 2);
}

static struct cel_value relation(struct cel_ctx *c, int op, struct cel_value x, struct cel_value y)
{
	static const char *const names[] = { "_<_", "_<=_", "_>_", "_>=_" };
	struct cel_value args[2] = { x, y };
	int cmp, r;

	if (op == CO_EQ || op == CO_NE) {
		r = cel_equal(c, &x, &y);
		return cel_bool(op == CO_EQ ? r : !r);
	}
	if (op == CO_IN) {
		size_t i, n;
		struct cel_value out;
		if (y.kind == CK_LIST) {
			if (cel_charge(c, y.len) < 0)
				return over_budget(c);
			for (i = 0; i < y.len; i++) {
				struct cel_value e = cel_list_get(c, &y, i);
				if (cel_equal(c, &x, &e))
					return cel_bool(1);
			}
			return cel_bool(0);
		}
		if (y.kind == CK_MAP) {
			(void)n;
			r = cel_map_find(c, &y, &x, &out);
			if (r < 0)
				return out;
			return cel_bool(r);
		}
		return cel_no_overload(c, "@in", args, 2);
	}
	r = cel_compare(&x, &y, &cmp);
	if (r < 0)
		return cel_no_overload(c, names[op - CO_LT], args, 2);
	if (r > 0)
		return cel_bool(0); /* NaN */
	switch (op) {
	case CO_LT: return cel_bool(cmp < 0);
	case CO_LE: return cel_bool(cmp <= 0);
	case CO_GT: return cel_bool(cmp > 0);
	default: return cel_bool(cmp >= 0);
	}
}

/* && and ||: errors absorbed when the other side decides, in either order */
static struct cel_value logic(struct cel_ctx *c, const struct cel_ast *a)
{
	int decide = a->op == CO_OR; /* the value that decides */
	struct cel_value x = cel_eval(c, a->a[0]), y;

	if (c->over)
		return x;
	if (x.kind == CK_BOOL && x.u.b == decide)
		return x;
	y = cel_eval(c, a->a[1]);
	if (c->over)
		return y;
	if (y.kind == CK_BOOL && y.u.b == decide)
		return y;
	if (CEL_IS_ERR(x))
		return x;
	if (CEL_IS_ERR(y))
		return y;
	if (x.kind != CK_BOOL || y.kind != CK_BOOL) {
		struct cel_value args[2] = { x, y };
		return cel_no_overload(c, decide ? "_||_" : "_&&_", args, 2);
	}
	return cel_bool(!decide);
}

/* ---- macros ---------------------------------------------------------------- */

static struct cel_value macro(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value range = cel_eval(c, a->a[0]), res, err = { CK_NULL, 0, 0, { .i = 0 } };
	struct cel_value *keys = NULL, *outv = NULL;
	struct cel_scope sc, sc2;
	size_t n, i, nout = 0, count = 0;
	int have_err = 0;

	if (CEL_IS_ERR(range))
		return range;
	if (range.kind == CK_MAP) {
		keys = cel_map_entries(c, &range, &n);
	} else if (range.kind == CK_LIST) {
		n = range.len;
	} else {
		return cel_err(c, "expression of type '%s' cannot be range of a comprehension", cel_type_name(&range));
	}
	if (a->op == CO_MAP_MACRO || a->op == CO_FILTER)
		outv = cel_alloc(c->mem, (n ? n : 1) * sizeof(*outv));
	sc.name = a->name;
	sc.len = a->name_len;
	sc.up = c->scope;
	c->scope = &sc;
	if (a->name2) {
		sc2.name = a->name2;
		sc2.len = a->name2_len;
		sc2.up = &sc;
		c->scope = &sc2;
	}
	for (i = 0; i < n; i++) {
		struct cel_value p;
		if (cel_charge(c, 1) < 0) {
			c->scope = sc.up;
			return over_budget(c);
		}
		sc.v = keys ? keys[2 * i] : cel_list_get(c, &range, i);
		if (a->name2) {
			/* two variables: the index or key, then the value */
			sc2.v = keys ? keys[2 * i + 1] : sc.v;
			if (!keys)
				sc.v = cel_int((int64_t)i);
		}
		if (a->op == CO_MAP_MACRO && a->nargs == 2) {
			p = cel_eval(c, a->a[1]);
			if (CEL_IS_ERR(p)) {
				c->scope = sc.up;
				return p;
			}
			outv[nout++] = p;
			continue;
		}
		p = cel_eval(c, a->a[1]);
		if (c->over) {
			c->scope = sc.up;
			return p;
		}
		if (!CEL_IS_ERR(p) && p.kind != CK_BOOL)
			p = cel_no_overload(c, "predicate", &p, 1);
		if (CEL_IS_ERR(p)) {
			if (a->op == CO_ALL || a->op == CO_EXISTS) {
				if (!have_err)
					err = p;
				have_err = 1;
				continue;
			}
			c->scope = sc.up;
			return p;
		}
		switch (a->op) {
		case CO_ALL:
			if (!p.u.b) {
				c->scope = sc.up;
				return cel_bool(0);
			}
			break;
		case CO_EXISTS:
			if (p.u.b) {
				c->scope = sc.up;
				return cel_bool(1);
			}
			break;
		case CO_EXISTS_ONE:
			count += p.u.b;
			break;
		case CO_FILTER:
			if (p.u.b)
				outv[nout++] = sc.v;
			break;
		default: /* map with a filter */
			if (p.u.b) {
				struct cel_value t = cel_eval(c, a->a[2]);
				if (CEL_IS_ERR(t)) {
					c->scope = sc.up;
					return t;
				}
				outv[nout++] = t;
			}
			break;
		}
	}
	c->scope = sc.up;
	switch (a->op) {
	case CO_ALL: return have_err ? err : cel_bool(1);
	case CO_EXISTS: return have_err ? err : cel_bool(0);
	case CO_EXISTS_ONE: return cel_bool(count == 1);
	default:
		res = cel_list_new(c, 0);
		res.u.items = outv;
		res.len = (uint32_t)nout;
		return res;
	}
}

/* ---- literals -------------------------------------------------------------- */

/* ?x in a literal: the value inside the optional, or optional.none() to leave the entry out */
static struct cel_value opt_entry(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value x = cel_eval(c, a->a[0]);

	if (CEL_IS_ERR(x))
		return x;
	if (x.kind != CK_OPTIONAL)
		return cel_err(c, "cannot initialize an optional entry from a non-optional value (%s)", cel_type_name(&x));
	return x.u.opt ? *x.u.opt : x;
}

/* opt.optMap(v, expr) and opt.optFlatMap(v, expr) */
static struct cel_value opt_map(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value x = cel_eval(c, a->a[0]), r;
	struct cel_scope sc;

	if (CEL_IS_ERR(x))
		return x;
	if (x.kind != CK_OPTIONAL)
		return cel_no_overload(c, a->op == CO_OPT_MAP ? "optMap" : "optFlatMap", &x, 1);
	if (!x.u.opt)
		return x;
	sc.name = a->name;
	sc.len = a->name_len;
	sc.v = *x.u.opt;
	sc.up = c->scope;
	c->scope = &sc;
	r = cel_eval(c, a->a[1]);
	c->scope = sc.up;
	if (CEL_IS_ERR(r))
		return r;
	if (a->op == CO_OPT_MAP)
		return cel_optional(c, &r);
	if (r.kind != CK_OPTIONAL)
		return cel_no_overload(c, "optFlatMap", &r, 1);
	return r;
}

static struct cel_value list_lit(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value v = cel_list_new(c, a->nargs);
	size_t i;

	v.len = 0;
	for (i = 0; i < a->nargs; i++) {
		struct cel_value x;
		if (a->a[i]->op == CO_OPT_ENTRY) {
			x = opt_entry(c, a->a[i]);
			if (x.kind == CK_OPTIONAL && !x.u.opt)
				continue;
		} else {
			x = cel_eval(c, a->a[i]);
		}
		if (CEL_IS_ERR(x))
			return x;
		v.u.items[v.len++] = x;
	}
	return v;
}

static struct cel_value map_lit(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value v = { CK_MAP, 0, 0, { .items = NULL } }, dummy;
	size_t i, n = a->nargs / 2;

	v.u.items = cel_alloc(c->mem, (n ? 2 * n : 1) * sizeof(struct cel_value));
	for (i = 0; i < n; i++) {
		struct cel_value k = cel_eval(c, a->a[2 * i]), x;
		if (CEL_IS_ERR(k))
			return k;
		if (a->a[2 * i + 1]->op == CO_OPT_ENTRY) {
			x = opt_entry(c, a->a[2 * i + 1]);
			if (x.kind == CK_OPTIONAL && !x.u.opt)
				continue;
		} else {
			x = cel_eval(c, a->a[2 * i + 1]);
		}
		if (CEL_IS_ERR(x))
			return x;
		if (k.kind != CK_STRING && k.kind != CK_INT && k.kind != CK_UINT && k.kind != CK_BOOL)
			return cel_err(c, "unsupported key type: %s", cel_type_name(&k));
		if (cel_map_find(c, &v, &k, &dummy) == 1)
			return cel_err(c, "Failed with repeated key");
		v.u.items[2 * v.len] = k;
		v.u.items[2 * v.len + 1] = x;
		v.len++;
	}
	return v;
}

static struct cel_value call(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value stack[8], *args = a->nargs <= 8 ? stack : cel_alloc(c->mem, a->nargs * sizeof(*args));
	size_t i;

	for (i = 0; i < a->nargs; i++) {
		args[i] = cel_eval(c, a->a[i]);
		if (CEL_IS_ERR(args[i]))
			return args[i];
	}
	return cel_call(c, a, args, a->nargs);
}

struct cel_value cel_eval(struct cel_ctx *c, const struct cel_ast *a)
{
	struct cel_value x, y;

	if (cel_charge(c, 1) < 0)
		return over_budget(c);
	switch (a->op) {
	case CO_LIT:
		return a->lit;
	case CO_IDENT:
		return ident(c, a);
	case CO_SELECT:
	case CO_OPT_SELECT:
		return eval_select(c, a, cel_eval(c, a->a[0]));
	case CO_HAS:
		return eval_has(c, a);
	case CO_INDEX:
	case CO_OPT_INDEX:
		return eval_index(c, a);
	case CO_CALL:
		return call(c, a);
	case CO_LIST:
		return list_lit(c, a);
	case CO_MAP:
		return map_lit(c, a);
	case CO_COND:
		x = cel_eval(c, a->a[0]);
		if (CEL_IS_ERR(x))
			return x;
		if (x.kind != CK_BOOL)
			return cel_no_overload(c, "_?_:_", &x, 1);
		return cel_eval(c, a->a[x.u.b ? 1 : 2]);
	case CO_AND:
	case CO_OR:
		return logic(c, a);
	case CO_NOT:
		x = cel_eval(c, a->a[0]);
		if (CEL_IS_ERR(x))
			return x;
		return x.kind == CK_BOOL ? cel_bool(!x.u.b) : cel_no_overload(c, "!_", &x, 1);
	case CO_NEG:
		x = cel_eval(c, a->a[0]);
		if (CEL_IS_ERR(x))
			return x;
		if (x.kind == CK_INT)
			return x.u.i == INT64_MIN ? overflow(c) : cel_int(-x.u.i);
		if (x.kind == CK_DOUBLE)
			return cel_double(-x.u.d);
		if (x.kind == CK_DURATION) {
			x.u.t.sec = -x.u.t.sec;
			x.u.t.nsec = -x.u.t.nsec;
			return x;
		}
		return cel_no_overload(c, "-_", &x, 1);
	case CO_ALL: case CO_EXISTS: case CO_EXISTS_ONE: case CO_MAP_MACRO: case CO_FILTER:
		return macro(c, a);
	case CO_OPT_MAP: case CO_OPT_FLATMAP:
		return opt_map(c, a);
	case CO_OPT_ENTRY:
		return cel_err(c, "an optional entry outside a list or map literal");
	default:
		x = cel_eval(c, a->a[0]);
		if (CEL_IS_ERR(x))
			return x;
		y = cel_eval(c, a->a[1]);
		if (CEL_IS_ERR(y))
			return y;
		if (a->op >= CO_ADD && a->op <= CO_MOD)
			return arith(c, a->op, x, y);
		return relation(c, a->op, x, y);
	}
}

/* ---- entry point ----------------------------------------------------------- */

void gate_cel_result_release(struct gate_cel_result *r)
{
	if (!r)
		return;
	free(r->text);
	r->text = NULL;
}

int gate_cel_eval(const struct gate_cel_program *p, const struct gate_cel_env *env,
	struct gate_cel_result *res)
{
	struct cel_arena mem = { NULL, NULL, 0, 0 };
	struct cel_ctx c;
	struct cel_value v;
	struct gate_buf b = GATE_BUF_INIT;

	if (!p || !env || !res)
		return -1;
	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.mem = &mem;
	c.env = env;
	c.typer = env->typer;
	c.limit = env->cost_limit ? env->cost_limit : GATE_CEL_DEFAULT_COST_LIMIT;
	v = cel_eval(&c, p->root);
	res->cost = c.cost;
	if (c.over) {
		res->status = GATE_CEL_COST;
		res->text = gate_xstrdup("operation cancelled: actual cost limit exceeded");
	} else if (CEL_IS_ERR(v)) {
		res->status = GATE_CEL_ERROR;
		res->text = gate_xstrdup(v.u.s);
	} else {
		res->status = GATE_CEL_OK;
		if (v.kind == CK_BOOL) {
			res->is_bool = 1;
			res->boolean = v.u.b;
		}
		if (v.kind == CK_STRING) {
			res->is_string = 1;
			res->text = gate_xstrndup(v.u.s, v.len);
		} else {
			cel_render(&b, &v, 0);
			res->text = b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
		}
	}
	pcre2_match_data_free(c.md);
	pcre2_match_context_free(c.mctx);
	cel_arena_release(&mem);
	return 0;
}
