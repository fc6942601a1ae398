/*
 * cel_k8s.c: the Kubernetes CEL libraries for strings (charAt, indexOf,
 * lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim, join,
 * reverse, strings.quote), lists (isSorted, sum, min, max, indexOf,
 * lastIndexOf), quantities and optional values.  Indexes into strings count
 * code points, as cel-go's ext.Strings does.
 */
#include "cel_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define IS(name, lit) (!strcmp((name), (lit)))

static struct cel_value over(struct cel_ctx *c)
{
	return cel_err(c, "operation cancelled: actual cost limit exceeded");
}

/* ---- strings --------------------------------------------------------------- */

static size_t cp_len(const char *s, size_t len)
{
	int n = cel_utf8_count(s, len);
	return n < 0 ? len : (size_t)n;
}

static struct cel_value str_index(struct cel_ctx *c, const char *name, struct cel_value *a, size_t n)
{
	const struct cel_value *s = &a[0], *t = &a[1];
	size_t slen = cp_len(s->u.s, s->len), off;
	int64_t start = IS(name, "indexOf") ? 0 : (int64_t)slen, i, best = -1;

	if (n == 3) {
		if (a[2].kind != CK_INT)
			return cel_no_overload(c, name, a, n);
		start = a[2].u.i;
		if (start < 0 || (uint64_t)start > slen)
			return cel_err(c, "index out of range: %lld", (long long)start);
	}
	if (cel_charge(c, s->len / 10) < 0)
		return over(c);
	if (IS(name, "indexOf")) {
		long at;
		off = cel_utf8_offset(s->u.s, s->len, start);
		at = cel_find(s->u.s, s->len, t->u.s, t->len, off);
		if (at < 0)
			return cel_int(-1);
		return cel_int(cel_utf8_count(s->u.s, (size_t)at));
	}
	for (i = 0; i <= start; i++) {
		off = cel_utf8_offset(s->u.s, s->len, i);
		if (off == (size_t)-1 || off + t->len > s->len)
			break;
		if (!memcmp(s->u.s + off, t->u.s, t->len))
			best = i;
	}
	return cel_int(best);
}

static int is_space_at(const char *s, size_t len, size_t i, size_t *w)
{
	static const char *const uni[] = {
		"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
		"\xe2\x81\x9f", "\xe3\x80\x80", NULL
	};
	size_t k;

	if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		*w = 1;
		return 1;
	}
	if (i + 3 <= len && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
			(unsigned char)s[i + 2] >= 0x80 && (unsigned char)s[i + 2] <= 0x8a) {
		*w = 3;
		return 1;
	}
	for (k = 0; uni[k]; k++) {
		size_t l = strlen(uni[k]);
		if (i + l <= len && !memcmp(s + i, uni[k], l)) {
			*w = l;
			return 1;
		}
	}
	return 0;
}

static struct cel_value str_trim(struct cel_ctx *c, const struct cel_value *s)
{
	size_t b = 0, e = s->len, w;

	while (b < e && is_space_at(s->u.s, e, b, &w))
		b += w;
	while (e > b) {
		size_t k = e - 1;
		while (k > b && ((unsigned char)s->u.s[k] & 0xc0) == 0x80)
			k--;
		if (!is_space_at(s->u.s, e, k, &w) || k + w != e)
			break;
		e = k;
	}
	return cel_string(c, s->u.s + b, e - b);
}

static struct cel_value str_split(struct cel_ctx *c, struct cel_value *a, size_t n)
{
	const struct cel_value *s = &a[0], *sep = &a[1];
	int64_t limit = n == 3 ? a[2].u.i : -1;
	struct cel_value out = cel_list_new(c, s->len + 1);
	size_t pos = 0, k = 0;

	if (n == 3 && a[2].kind != CK_INT)
		return cel_no_overload(c, "split", a, n);
	if (cel_charge(c, s->len / 10) < 0)
		return over(c);
	if (limit == 0) {
		out.len = 0;
		return out;
	}
	while ((limit < 0 || (int64_t)k < limit - 1) && pos <= s->len) {
		size_t next;
		if (!sep->len) {
			if (pos >= s->len)
				break;
			next = pos + 1;
			while (next < s->len && ((unsigned char)s->u.s[next] & 0xc0) == 0x80)
				next++;
			out.u.items[k++] = cel_string(c, s->u.s + pos, next - pos);
			pos = next;
			continue;
		}
		{
			long at = cel_find(s->u.s, s->len, sep->u.s, sep->len, pos);
			if (at < 0)
				break;
			out.u.items[k++] = cel_string(c, s->u.s + pos, (size_t)at - pos);
			pos = (size_t)at + sep->len;
		}
	}
	if (sep->len || pos < s->len)
		out.u.items[k++] = cel_string(c, s->u.s + pos, s->len - pos);
	out.len = (uint32_t)k;
	return out;
}

static struct cel_value str_replace(struct cel_ctx *c, struct cel_value *a, size_t n)
{
	const struct cel_value *s = &a[0], *from = &a[1], *to = &a[2];
	int64_t limit = n == 4 ? a[3].u.i : -1, done = 0;
	struct gate_buf b = GATE_BUF_INIT;
	struct cel_value out;
	size_t pos = 0;

	if (a[2].kind != CK_STRING || (n == 4 && a[3].kind != CK_INT))
		return cel_no_overload(c, "replace", a, n);
	if (cel_charge(c, s->len / 10) < 0)
		return over(c);
	while (limit < 0 || done < limit) {
		long at;
		if (!from->len) {
			/* Go: an empty old string matches before every code point and at the end */
			if (pos > s->len)
				break;
			gate_buf_add(&b, to->u.s, to->len);
			if (pos < s->len) {
				size_t nx = pos + 1;
				while (nx < s->len && ((unsigned char)s->u.s[nx] & 0xc0) == 0x80)
					nx++;
				gate_buf_add(&b, s->u.s + pos, nx - pos);
				pos = nx;
			} else {
				pos++;
			}
			done++;
			continue;
		}
		at = cel_find(s->u.s, s->len, from->u.s, from->len, pos);
		if (at < 0)
			break;
		gate_buf_add(&b, s->u.s + pos, (size_t)at - pos);
		gate_buf_add(&b, to->u.s, to->len);
		pos = (size_t)at + from->len;
		done++;
		if (b.len > (64u << 20)) {
			gate_buf_release(&b);
			return cel_err(c, "string too long");
		}
	}
	if (pos < s->len)
		gate_buf_add(&b, s->u.s + pos, s->len - pos);
	out = cel_string(c, b.ptr ? b.ptr : "", b.len);
	gate_buf_release(&b);
	return out;
}

static struct cel_value str_case(struct cel_ctx *c, const struct cel_value *s, int upper)
{
	struct cel_value v = cel_string(c, s->u.s, s->len);
	char *p = (char *)v.u.s;
	size_t i;

	for (i = 0; i < s->len; i++) {
		if (upper && p[i] >= 'a' && p[i] <= 'z')
			p[i] = (char)(p[i] - 32);
		else if (!upper && p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (char)(p[i] + 32);
	}
	return v;
}

static struct cel_value str_quote(struct cel_ctx *c, const struct cel_value *s)
{
	struct gate_buf b = GATE_BUF_INIT;
	struct cel_value v;
	size_t i;

	gate_buf_addc(&b, '"');
	for (i = 0; i < s->len; i++) {
		unsigned char ch = (unsigned char)s->u.s[i];
		switch (ch) {
		case '\a': gate_buf_adds(&b, "\\a"); break;
		case '\b': gate_buf_adds(&b, "\\b"); break;
		case '\f': gate_buf_adds(&b, "\\f"); break;
		case '\n': gate_buf_adds(&b, "\\n"); break;
		case '\r': gate_buf_adds(&b, "\\r"); break;
		case '\t': gate_buf_adds(&b, "\\t"); break;
		case '\v': gate_buf_adds(&b, "\\v"); break;
		case '\\': gate_buf_adds(&b, "\\\\"); break;
		case '"': gate_buf_adds(&b, "\\\""); break;
		default: gate_buf_addc(&b, (char)ch); break;
		}
	}
	gate_buf_addc(&b, '"');
	v = cel_string(c, b.ptr, b.len);
	gate_buf_release(&b);
	return v;
}

static int strings_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *a, size_t n,
	struct cel_value *out)
{
	size_t slen, b, e;

	if (!recv) {
		if (IS(name, "strings.quote") && n == 1 && a[0].kind == CK_STRING) {
			*out = str_quote(c, &a[0]);
			return 1;
		}
		return 0;
	}
	if (a[0].kind == CK_LIST && IS(name, "join") && n <= 2) {
		struct gate_buf buf = GATE_BUF_INIT;
		size_t i;
		if (n == 2 && a[1].kind != CK_STRING) {
			*out = cel_no_overload(c, name, a, n);
			return 1;
		}
		for (i = 0; i < a[0].len; i++) {
			struct cel_value x = cel_list_get(c, &a[0], i);
			if (x.kind != CK_STRING) {
				gate_buf_release(&buf);
				*out = cel_no_overload(c, name, a, n);
				return 1;
			}
			if (i && n == 2)
				gate_buf_add(&buf, a[1].u.s, a[1].len);
			gate_buf_add(&buf, x.u.s, x.len);
		}
		*out = cel_string(c, buf.ptr ? buf.ptr : "", buf.len);
		gate_buf_release(&buf);
		return 1;
	}
	if (a[0].kind != CK_STRING)
		return 0;
	slen = cp_len(a[0].u.s, a[0].len);
	if (IS(name, "charAt") && n == 2 && a[1].kind == CK_INT) {
		if (a[1].u.i < 0 || (uint64_t)a[1].u.i > slen) {
			*out = cel_err(c, "index out of range: %lld", (long long)a[1].u.i);
			return 1;
		}
		b = cel_utf8_offset(a[0].u.s, a[0].len, a[1].u.i);
		e = cel_utf8_offset(a[0].u.s, a[0].len, a[1].u.i + ((uint64_t)a[1].u.i < slen));
		*out = cel_string(c, a[0].u.s + b, e - b);
		return 1;
	}
	if ((IS(name, "indexOf") || IS(name, "lastIndexOf")) && (n == 2 || n == 3) && a[1].kind == CK_STRING) {
		*out = str_index(c, name, a, n);
		return 1;
	}
	if ((IS(name, "lowerAscii") || IS(name, "upperAscii")) && n == 1) {
		*out = str_case(c, &a[0], name[0] == 'u');
		return 1;
	}
	if (IS(name, "replace") && (n == 3 || n == 4) && a[1].kind == CK_STRING) {
		*out = str_replace(c, a, n);
		return 1;
	}
	if (IS(name, "split") && (n == 2 || n == 3) && a[1].kind == CK_STRING) {
		*out = str_split(c, a, n);
		return 1;
	}
	if (IS(name, "substring") && (n == 2 || n == 3) && a[1].kind == CK_INT &&
			(n == 2 || a[2].kind == CK_INT)) {
		int64_t s0 = a[1].u.i, s1 = n == 3 ? a[2].u.i : (int64_t)slen;
		if (s0 < 0 || (uint64_t)s0 > slen || s1 < 0 || (uint64_t)s1 > slen) {
			*out = cel_err(c, "index out of range: %lld", (long long)((s0 < 0 || (uint64_t)s0 > slen) ? s0 : s1));
			return 1;
		}
		if (s1 < s0) {
			*out = cel_err(c, "invalid substring range. start: %lld, end: %lld", (long long)s0, (long long)s1);
			return 1;
		}
		b = cel_utf8_offset(a[0].u.s, a[0].len, s0);
		e = cel_utf8_offset(a[0].u.s, a[0].len, s1);
		*out = cel_string(c, a[0].u.s + b, e - b);
		return 1;
	}
	if (IS(name, "trim") && n == 1) {
		*out = str_trim(c, &a[0]);
		return 1;
	}
	if (IS(name, "reverse") && n == 1) {
		char *r = cel_alloc(c->mem, a[0].len + 1);
		size_t i = 0, o = a[0].len;
		while (i < a[0].len) {
			size_t k = i + 1;
			while (k < a[0].len && ((unsigned char)a[0].u.s[k] & 0xc0) == 0x80)
				k++;
			o -= k - i;
			memcpy(r + o, a[0].u.s + i, k - i);
			i = k;
		}
		r[a[0].len] = 0;
		*out = cel_string_ref(r, a[0].len);
		return 1;
	}
	return 0;
}

/* ---- lists ----------------------------------------------------------------- */

static struct cel_value list_sum(struct cel_ctx *c, const struct cel_value *l)
{
	struct cel_value acc = cel_int(0);
	size_t i;

	for (i = 0; i < l->len; i++) {
		struct cel_value x = cel_list_get(c, l, i);
		if (i == 0 && (x.kind == CK_UINT || x.kind == CK_DOUBLE || x.kind == CK_DURATION)) {
			acc = x;
			continue;
		}
		if (x.kind != acc.kind)
			return cel_err(c, "no such overload: sum of mixed types");
		switch (x.kind) {
		case CK_INT:
			if (__builtin_add_overflow(acc.u.i, x.u.i, &acc.u.i))
				return cel_err(c, "integer overflow");
			break;
		case CK_UINT:
			if (__builtin_add_overflow(acc.u.u, x.u.u, &acc.u.u))
				return cel_err(c, "unsigned integer overflow");
			break;
		case CK_DOUBLE:
			acc.u.d += x.u.d;
			break;
		case CK_DURATION: {
			int64_t ns = (int64_t)acc.u.t.nsec + x.u.t.nsec;
			if (__builtin_add_overflow(acc.u.t.sec, x.u.t.sec + ns / 1000000000, &acc.u.t.sec))
				return cel_err(c, "integer overflow");
			acc.u.t.nsec = (int32_t)(ns % 1000000000);
			break;
		}
		default:
			return cel_err(c, "no such overload: sum(list(%s))", cel_type_name(&x));
		}
	}
	return acc;
}

static int lists_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *a, size_t n,
	struct cel_value *out)
{
	size_t i;
	int cmp;

	if (!recv || a[0].kind != CK_LIST)
		return 0;
	if (cel_charge(c, a[0].len) < 0) {
		*out = over(c);
		return 1;
	}
	if (IS(name, "sum") && n == 1) {
		*out = list_sum(c, &a[0]);
		return 1;
	}
	if ((IS(name, "min") || IS(name, "max") || IS(name, "isSorted")) && n == 1) {
		struct cel_value best, x;
		int want_max = IS(name, "max"), sorted = IS(name, "isSorted");
		if (!a[0].len) {
			*out = sorted ? cel_bool(1) : cel_err(c, "%s called on empty list", name);
			return 1;
		}
		best = cel_list_get(c, &a[0], 0);
		for (i = 1; i < a[0].len; i++) {
			x = cel_list_get(c, &a[0], i);
			if (cel_compare(&x, &best, &cmp) != 0) {
				struct cel_value args[2] = { x, best };
				*out = cel_no_overload(c, name, args, 2);
				return 1;
			}
			if (sorted) {
				if (cmp < 0) {
					*out = cel_bool(0);
					return 1;
				}
				best = x;
			} else if (want_max ? cmp > 0 : cmp < 0) {
				best = x;
			}
		}
		*out = sorted ? cel_bool(1) : best;
		return 1;
	}
	if ((IS(name, "indexOf") || IS(name, "lastIndexOf")) && n == 2) {
		int64_t found = -1;
		for (i = 0; i < a[0].len; i++) {
			struct cel_value x = cel_list_get(c, &a[0], i);
			if (cel_equal(c, &x, &a[1])) {
				found = (int64_t)i;
				if (name[0] == 'i')
					break;
			}
		}
		*out = cel_int(found);
		return 1;
	}
	return 0;
}

/* ---- quantities ------------------------------------------------------------ */

/*
 * A quantity is m * 10^e (m at most about 10^37), parsed as Kubernetes'
 * resource.ParseQuantity reads it and rounded up to the nano, the finest
 * precision Kubernetes keeps.
 */
#define QMAX ((__int128)1 << 125)

static __int128 abs128(__int128 x)
{
	return x < 0 ? -x : x;
}

static int ndigits(__int128 m)
{
	int n = 1;

	m = abs128(m);
	while (m >= 10) {
		m /= 10;
		n++;
	}
	return n;
}

/* m * 10^k into *out; -1 on overflow */
static int scale_up(__int128 m, int k, __int128 *out)
{
	while (k-- > 0) {
		if (abs128(m) > QMAX / 10)
			return -1;
		m *= 10;
	}
	*out = m;
	return 0;
}

static void q_normalize(struct cel_quantity *q)
{
	/* at least nano precision, rounded away from zero as Kubernetes rounds up */
	while (q->e < -9) {
		__int128 r = q->m % 10;
		q->m /= 10;
		if (r)
			q->m += q->m < 0 || r < 0 ? -1 : 1;
		q->e++;
	}
	while (q->m && q->m % 10 == 0 && q->e < 1000) {
		q->m /= 10;
		q->e++;
	}
	if (!q->m)
		q->e = 0;
}

int cel_quantity_parse(const char *s, size_t len, struct cel_quantity *q)
{
	static const struct {
		const char *suf;
		int pow10;  /* decimal exponent, or */
		int pow2;   /* binary exponent when > 0 */
	} sufs[] = {
		{ "Ki", 0, 10 }, { "Mi", 0, 20 }, { "Gi", 0, 30 }, { "Ti", 0, 40 }, { "Pi", 0, 50 }, { "Ei", 0, 60 },
		{ "n", -9, 0 }, { "u", -6, 0 }, { "m", -3, 0 }, { "", 0, 0 }, { "k", 3, 0 }, { "M", 6, 0 },
		{ "G", 9, 0 }, { "T", 12, 0 }, { "P", 15, 0 }, { "E", 18, 0 }
	};
	__int128 mant = 0;
	size_t i = 0, k;
	int neg = 0, dot = 0, digits = 0, exp10 = 0, pow2 = 0, dropped = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
		if (s[i] == '.') {
			if (dot++)
				return -1;
			continue;
		}
		digits++;
		if (mant <= QMAX / 10) {
			mant = mant * 10 + (s[i] - '0');
			if (dot)
				exp10--;
		} else {
			/* digits past the precision kept are dropped, and the value rounded up */
			if (!dot)
				exp10++;
			dropped |= s[i] != '0';
		}
	}
	if (!digits)
		return -1;
	mant += dropped;
	if (i < len && (s[i] == 'e' || s[i] == 'E') && i + 1 < len &&
			(s[i + 1] == '-' || s[i + 1] == '+' || (s[i + 1] >= '0' && s[i + 1] <= '9'))) {
		size_t j = i + 1;
		int sign = 1, e = 0;
		if (s[j] == '-' || s[j] == '+')
			sign = s[j++] == '-' ? -1 : 1;
		if (j >= len)
			return -1;
		for (; j < len; j++) {
			if (s[j] < '0' || s[j] > '9' || e > 1000)
				return -1;
			e = e * 10 + (s[j] - '0');
		}
		exp10 += sign * e;
	} else {
		for (k = 0; k < sizeof(sufs) / sizeof(sufs[0]); k++)
			if (strlen(sufs[k].suf) == len - i && !memcmp(sufs[k].suf, s + i, len - i))
				break;
		if (k == sizeof(sufs) / sizeof(sufs[0]))
			return -1;
		exp10 += sufs[k].pow10;
		pow2 = sufs[k].pow2;
	}
	while (pow2-- > 0) {
		if (mant > QMAX / 2) {
			/* keep the precision bounded: trade a digit for a power of ten (rounded up) */
			__int128 r = mant % 10;
			mant = mant / 10 + (r != 0);
			exp10++;
		}
		mant *= 2;
	}
	q->m = neg ? -mant : mant;
	q->e = exp10;
	q_normalize(q);
	return 0;
}

static int q_cmp(const struct cel_quantity *a, const struct cel_quantity *b)
{
	int sa = (a->m > 0) - (a->m < 0), sb = (b->m > 0) - (b->m < 0), da, db;
	__int128 x, y;

	if (sa != sb || !sa)
		return (sa > sb) - (sa < sb);
	da = ndigits(a->m) + a->e;
	db = ndigits(b->m) + b->e;
	if (da != db)
		return sa * ((da > db) - (da < db));
	/* the same magnitude: scaling the one with the larger exponent cannot overflow */
	x = a->m;
	y = b->m;
	if (a->e > b->e)
		scale_up(x, a->e - b->e, &x);
	else
		scale_up(y, b->e - a->e, &y);
	return (x > y) - (x < y);
}

int cel_quantity_cmp(const struct cel_value *a, const struct cel_value *b)
{
	return q_cmp(a->u.qp, b->u.qp);
}

static struct cel_value quantity_value(struct cel_ctx *c, const struct cel_quantity *q)
{
	struct cel_value v = { CK_QUANTITY, 0, 0, { .qp = NULL } };
	struct cel_quantity *p = cel_alloc(c->mem, sizeof(*p));

	*p = *q;
	v.u.qp = p;
	return v;
}

/* the integer value, when it is one and fits int64 */
static int q_int64(const struct cel_quantity *q, int64_t *out)
{
	__int128 m = q->m;
	int e = q->e;

	if (e < 0)
		return -1; /* normalized: a negative exponent means a fraction */
	if (scale_up(m, e, &m) < 0 || m > INT64_MAX || m < INT64_MIN)
		return -1;
	*out = (int64_t)m;
	return 0;
}

static int quantity_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *a, size_t n,
	struct cel_value *out)
{
	struct cel_quantity q, o;
	int64_t i;

	if (!recv && (IS(name, "quantity") || IS(name, "isQuantity")) && n == 1 && a[0].kind == CK_STRING) {
		int ok = cel_quantity_parse(a[0].u.s, a[0].len, &q) == 0;
		if (IS(name, "isQuantity"))
			*out = cel_bool(ok);
		else
			*out = ok ? quantity_value(c, &q) : cel_err(c, "quantities must match the regular expression "
				"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
		return 1;
	}
	if (!recv || a[0].kind != CK_QUANTITY)
		return 0;
	q = *a[0].u.qp;
	if (n == 1) {
		if (IS(name, "isInteger")) {
			*out = cel_bool(q_int64(&q, &i) == 0);
		} else if (IS(name, "asInteger")) {
			*out = q_int64(&q, &i) == 0 ? cel_int(i) : cel_err(c, "cannot convert value to integer");
		} else if (IS(name, "asApproximateFloat")) {
			*out = cel_double((double)q.m * pow(10.0, q.e));
		} else if (IS(name, "sign")) {
			*out = cel_int(q.m > 0 ? 1 : q.m < 0 ? -1 : 0);
		} else {
			return 0;
		}
		return 1;
	}
	if (n != 2)
		return 0;
	if (IS(name, "add") || IS(name, "sub")) {
		__int128 x, y;
		int e;
		if (a[1].kind == CK_QUANTITY) {
			o = *a[1].u.qp;
		} else if (a[1].kind == CK_INT) {
			o.m = a[1].u.i;
			o.e = 0;
		} else {
			return 0;
		}
		if (name[0] == 's')
			o.m = -o.m;
		e = q.e < o.e ? q.e : o.e;
		if (scale_up(q.m, q.e - e, &x) < 0 || scale_up(o.m, o.e - e, &y) < 0 || abs128(x + y) > QMAX) {
			*out = cel_err(c, "quantity out of range");
			return 1;
		}
		q.m = x + y;
		q.e = e;
		q_normalize(&q);
		*out = quantity_value(c, &q);
		return 1;
	}
	if (a[1].kind != CK_QUANTITY)
		return 0;
	i = q_cmp(&q, a[1].u.qp);
	if (IS(name, "isGreaterThan"))
		*out = cel_bool(i > 0);
	else if (IS(name, "isLessThan"))
		*out = cel_bool(i < 0);
	else if (IS(name, "compareTo"))
		*out = cel_int(i);
	else
		return 0;
	return 1;
}

/* ---- optional values ------------------------------------------------------- */

static int is_zero(struct cel_ctx *c, const struct cel_value *v)
{
	switch (v->kind) {
	case CK_NULL: return 1;
	case CK_BOOL: return !v->u.b;
	case CK_INT: return !v->u.i;
	case CK_UINT: return !v->u.u;
	case CK_DOUBLE: return v->u.d == 0;
	case CK_STRING: case CK_BYTES: case CK_LIST: case CK_MAP: return !v->len;
	case CK_DURATION: case CK_TIMESTAMP: return !v->u.t.sec && !v->u.t.nsec;
	default: (void)c; return 0;
	}
}

static int optional_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *a, size_t n,
	struct cel_value *out)
{
	if (!recv) {
		if (IS(name, "optional.of") && n == 1)
			*out = cel_optional(c, &a[0]);
		else if (IS(name, "optional.none") && n == 0)
			*out = cel_optional(c, NULL);
		else if (IS(name, "optional.ofNonZeroValue") && n == 1)
			*out = cel_optional(c, is_zero(c, &a[0]) ? NULL : &a[0]);
		else
			return 0;
		return 1;
	}
	if (a[0].kind != CK_OPTIONAL)
		return 0;
	if (IS(name, "hasValue") && n == 1)
		*out = cel_bool(a[0].u.opt != NULL);
	else if (IS(name, "value") && n == 1)
		*out = a[0].u.opt ? *a[0].u.opt : cel_err(c, "optional.none() dereference");
	else if (IS(name, "orValue") && n == 2)
		*out = a[0].u.opt ? *a[0].u.opt : a[1];
	else if (IS(name, "or") && n == 2 && a[1].kind == CK_OPTIONAL)
		*out = a[0].u.opt ? a[0] : a[1];
	else
		return 0;
	return 1;
}

int cel_k8s_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *args, size_t n,
	struct cel_value *out)
{
	if (n && recv && args[0].kind == CK_LIST && lists_call(c, name, recv, args, n, out))
		return 1;
	return strings_call(c, name, recv, args, n, out) || quantity_call(c, name, recv, args, n, out) ||
		optional_call(c, name, recv, args, n, out);
}
