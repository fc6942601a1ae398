/*
 * doc_scalar.c: scalar resolution as go-yaml v2 does it (YAML 1.1 booleans,
 * Go ParseInt base 0 integers, the YAML float regex), and the Go number
 * formats that sigs.k8s.io/yaml and encoding/json produce.
 */
#define _GNU_SOURCE
#include "doc_int.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numbers are read and printed in the C locale whatever the program set. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static locale_t get_c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_init);
	return c_locale;
}

static double c_strtod(const char *s, char **end)
{
	locale_t loc = get_c_locale();
	return loc ? strtod_l(s, end, loc) : strtod(s, end);
}

static float c_strtof(const char *s, char **end)
{
	locale_t loc = get_c_locale();
	return loc ? strtof_l(s, end, loc) : strtof(s, end);
}

/* First-byte hints of go-yaml's resolveTable. */
enum { H_NONE = 0, H_MAP, H_DOT, H_DIGIT, H_SIGN };

static unsigned char hint_of(unsigned char c)
{
	switch (c) {
	case '+': case '-':
		return H_SIGN;
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return H_DIGIT;
	case 'y': case 'Y': case 'n': case 'N': case 't': case 'T':
	case 'f': case 'F': case 'o': case 'O': case '~':
		return H_MAP;
	case '.':
		return H_DOT;
	default:
		return H_NONE;
	}
}

/* go-yaml's resolveMap */
enum { V_NULL, V_TRUE, V_FALSE, V_NAN, V_PINF, V_NINF };
static const struct {
	const char *s;
	unsigned char len, v;
} resolve_map[] = {
	{ "~", 1, V_NULL }, { "null", 4, V_NULL }, { "Null", 4, V_NULL }, { "NULL", 4, V_NULL },
	{ "y", 1, V_TRUE }, { "Y", 1, V_TRUE }, { "yes", 3, V_TRUE }, { "Yes", 3, V_TRUE },
	{ "YES", 3, V_TRUE }, { "true", 4, V_TRUE }, { "True", 4, V_TRUE }, { "TRUE", 4, V_TRUE },
	{ "on", 2, V_TRUE }, { "On", 2, V_TRUE }, { "ON", 2, V_TRUE },
	{ "n", 1, V_FALSE }, { "N", 1, V_FALSE }, { "no", 2, V_FALSE }, { "No", 2, V_FALSE },
	{ "NO", 2, V_FALSE }, { "false", 5, V_FALSE }, { "False", 5, V_FALSE },
	{ "FALSE", 5, V_FALSE }, { "off", 3, V_FALSE }, { "Off", 3, V_FALSE }, { "OFF", 3, V_FALSE },
	{ ".nan", 4, V_NAN }, { ".NaN", 4, V_NAN }, { ".NAN", 4, V_NAN },
	{ ".inf", 4, V_PINF }, { ".Inf", 4, V_PINF }, { ".INF", 4, V_PINF },
	{ "+.inf", 5, V_PINF }, { "+.Inf", 5, V_PINF }, { "+.INF", 5, V_PINF },
	{ "-.inf", 5, V_NINF }, { "-.Inf", 5, V_NINF }, { "-.INF", 5, V_NINF },
};

static int map_lookup(const char *s, size_t len, struct gate_doc_scalar *out)
{
	size_t i;

	if (len > 5)
		return 0;
	for (i = 0; i < sizeof(resolve_map) / sizeof(resolve_map[0]); i++) {
		if (resolve_map[i].len != len || resolve_map[i].s[0] != s[0] ||
		    memcmp(resolve_map[i].s, s, len) != 0)
			continue;
		switch (resolve_map[i].v) {
		case V_NULL:
			out->kind = GATE_DOC_KIND_NULL;
			break;
		case V_TRUE:
		case V_FALSE:
			out->kind = GATE_DOC_KIND_BOOL;
			out->boolean = resolve_map[i].v == V_TRUE;
			break;
		case V_NAN:
			out->kind = GATE_DOC_KIND_FLOAT;
			out->d = NAN;
			break;
		case V_PINF:
			out->kind = GATE_DOC_KIND_FLOAT;
			out->d = INFINITY;
			break;
		default:
			out->kind = GATE_DOC_KIND_FLOAT;
			out->d = -INFINITY;
			break;
		}
		return 1;
	}
	return 0;
}

static int digit_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Go strconv.ParseUint(s, base, 64), base 0 (prefixes), 2, 8, 10 or 16. */
static int go_parse_uint(const char *s, size_t n, int base, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	if (base == 0) {
		base = 10;
		if (s[0] == '0') {
			char c1 = n >= 3 ? (char)(s[1] | 0x20) : 0;
			if (c1 == 'b') {
				base = 2;
				s += 2, n -= 2;
			} else if (c1 == 'o') {
				base = 8;
				s += 2, n -= 2;
			} else if (c1 == 'x') {
				base = 16;
				s += 2, n -= 2;
			} else {
				base = 8;
				s += 1, n -= 1;
			}
		}
	}
	for (i = 0; i < n; i++) {
		int d = digit_value((unsigned char)s[i]);
		if (d >= base)
			return -1;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1; /* out of range */
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

/* Go strconv.ParseInt(s, base, 64) */
static int go_parse_int(const char *s, size_t n, int base, int64_t *out)
{
	int neg = 0;
	uint64_t u;

	if (n == 0)
		return -1;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++, n--;
	}
	if (go_parse_uint(s, n, base, &u) < 0)
		return -1;
	if (!neg && u > (uint64_t)INT64_MAX)
		return -1;
	if (neg && u > (uint64_t)INT64_MAX + 1)
		return -1;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.') {
		i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	} else {
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
		if (i < n && s[i] == '.')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* Go's underscoreOK for a decimal number: every '_' between two digits. */
static int underscores_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '_')
			continue;
		if (i == 0 || i + 1 >= n || s[i - 1] < '0' || s[i - 1] > '9' ||
		    s[i + 1] < '0' || s[i + 1] > '9')
			return 0;
	}
	return 1;
}

/* strconv.ParseFloat of a decimal string already checked for its form */
static int parse_float(const char *s, struct gate_doc_scalar *out)
{
	char *end;
	double d = c_strtod(s, &end);

	if (isinf(d)) /* Go: ErrRange, so the value stays a string */
		return 0;
	out->kind = GATE_DOC_KIND_FLOAT;
	out->d = d;
	return 1;
}

/* go-yaml v2 resolve() without a tag check; s is NUL-terminated */
static void resolve_implicit(const char *s, size_t len, struct gate_doc_scalar *out)
{
	unsigned char hint;
	char stackbuf[128], *plain = NULL, *heap = NULL;
	size_t n, i;
	int64_t iv;
	uint64_t uv;

	out->kind = GATE_DOC_KIND_STR;
	if (len == 0) {
		out->kind = GATE_DOC_KIND_NULL;
		return;
	}
	hint = hint_of((unsigned char)s[0]);
	if (hint == H_NONE)
		return;
	if (hint != H_DIGIT && map_lookup(s, len, out))
		return;
	if (hint == H_MAP)
		return;

	/* remove underscores (go-yaml strips them all for ints) */
	if (!memchr(s, '_', len)) {
		plain = (char *)s;
		n = len;
	} else {
		if (hint == H_DOT && !underscores_ok(s, len))
			return;
		plain = len < sizeof(stackbuf) ? stackbuf : (heap = malloc(len + 1));
		if (!plain)
			return; /* cannot happen in practice; stays a string */
		for (i = n = 0; i < len; i++)
			if (s[i] != '_')
				plain[n++] = s[i];
		plain[n] = '\0';
	}

	if (hint == H_DOT) {
		/* strconv.ParseFloat(in): a leading dot admits only \.[0-9]+(e...)? */
		if (yaml_style_float(plain, n))
			parse_float(plain, out);
		goto done;
	}

	/* hint digit or sign; timestamps stay strings when decoded into interface{} */
	if (go_parse_int(plain, n, 0, &iv) == 0) {
		out->kind = GATE_DOC_KIND_INT;
		out->i = iv;
		goto done;
	}
	if (go_parse_uint(plain, n, 0, &uv) == 0) {
		if (uv <= (uint64_t)INT64_MAX) {
			out->kind = GATE_DOC_KIND_INT;
			out->i = (int64_t)uv;
		} else {
			out->kind = GATE_DOC_KIND_UINT;
			out->u = uv;
		}
		goto done;
	}
	if (yaml_style_float(plain, n) && parse_float(plain, out))
		goto done;
	if (n >= 2 && plain[0] == '0' && plain[1] == 'b') {
		if (go_parse_int(plain + 2, n - 2, 2, &iv) == 0) {
			out->kind = GATE_DOC_KIND_INT;
			out->i = iv;
		} else if (go_parse_uint(plain + 2, n - 2, 2, &uv) == 0) {
			out->kind = GATE_DOC_KIND_UINT;
			out->u = uv;
		}
	} else if (n >= 3 && plain[0] == '-' && plain[1] == '0' && plain[2] == 'b') {
		/* ParseInt("-" + plain[3:], 2, 64) */
		uint64_t mag;
		const char *p = plain + 3;
		size_t pn = n - 3;
		if (pn > 0 && (p[0] == '+' || p[0] == '-'))
			goto done; /* "--..." or "-+..." */
		if (go_parse_uint(p, pn, 2, &mag) == 0 && mag <= (uint64_t)INT64_MAX + 1) {
			out->kind = GATE_DOC_KIND_INT;
			out->i = (int64_t)(0 - mag);
		}
	}
done:
	free(heap);
}

int gate_doc_resolve(const char *s, size_t len, int tag, struct gate_doc_scalar *out)
{
	memset(out, 0, sizeof(*out));
	if (tag == GATE_DOC_TAG_STR) {
		out->kind = GATE_DOC_KIND_STR;
		return 0;
	}
	resolve_implicit(s, len, out);
	switch (tag) {
	case GATE_DOC_TAG_NONE:
		return 0;
	case GATE_DOC_TAG_INT:
		return out->kind == GATE_DOC_KIND_INT || out->kind == GATE_DOC_KIND_UINT ? 0 : -1;
	case GATE_DOC_TAG_FLOAT:
		if (out->kind == GATE_DOC_KIND_INT || out->kind == GATE_DOC_KIND_UINT) {
			out->d = gate_doc_scalar_number(out);
			out->kind = GATE_DOC_KIND_FLOAT;
		}
		return out->kind == GATE_DOC_KIND_FLOAT ? 0 : -1;
	case GATE_DOC_TAG_BOOL:
		return out->kind == GATE_DOC_KIND_BOOL ? 0 : -1;
	case GATE_DOC_TAG_NULL:
		return out->kind == GATE_DOC_KIND_NULL ? 0 : -1;
	default:
		return -1;
	}
}

const char *gate_doc_kind_tag(int kind)
{
	switch (kind) {
	case GATE_DOC_KIND_NULL: return "!!null";
	case GATE_DOC_KIND_BOOL: return "!!bool";
	case GATE_DOC_KIND_INT:
	case GATE_DOC_KIND_UINT: return "!!int";
	case GATE_DOC_KIND_FLOAT: return "!!float";
	default: return "!!str";
	}
}

const char *gate_doc_tag_name(int tag)
{
	switch (tag) {
	case GATE_DOC_TAG_INT: return "!!int";
	case GATE_DOC_TAG_FLOAT: return "!!float";
	case GATE_DOC_TAG_BOOL: return "!!bool";
	case GATE_DOC_TAG_NULL: return "!!null";
	default: return "!!str";
	}
}

double gate_doc_scalar_number(const struct gate_doc_scalar *v)
{
	switch (v->kind) {
	case GATE_DOC_KIND_INT: return (double)v->i;
	case GATE_DOC_KIND_UINT: return (double)v->u;
	default: return v->d;
	}
}

/*
 * The shortest decimal digits that read back as v (v > 0, finite), as Go's
 * shortest formatting: v = 0.d1d2...dn * 10^dp.  bits32: digits of float32.
 */
static int shortest_digits(double v, int bits32, char *dig, int *dp)
{
	char buf[64];
	const char *q;
	int p, nd = 0;
	locale_t loc = get_c_locale(), old = (locale_t)0;

	if (loc)
		old = uselocale(loc);
	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (bits32 ? c_strtof(buf, NULL) == (float)v : c_strtod(buf, NULL) == v)
			break;
	}
	if (loc)
		uselocale(old);
	q = buf;
	dig[nd++] = *q++;
	if (*q == '.')
		for (q++; *q >= '0' && *q <= '9'; q++)
			dig[nd++] = *q;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	*dp = (*q == 'e' ? atoi(q + 1) : 0) + 1;
	return nd;
}

struct out {
	char *p;
	size_t n, size;
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->size)
		o->p[o->n++] = c;
}

static void puts_(struct out *o, const char *s)
{
	while (*s)
		put(o, *s++);
}

/* Go fmtE with prec decimals; exponent with at least two digits */
static void fmt_e(struct out *o, const char *dig, int nd, int dp, int prec)
{
	int i, exp = nd ? dp - 1 : 0;
	char eb[8];
	int en = 0;

	put(o, nd ? dig[0] : '0');
	if (prec > 0) {
		put(o, '.');
		for (i = 1; i <= prec; i++)
			put(o, i < nd ? dig[i] : '0');
	}
	put(o, 'e');
	put(o, exp < 0 ? '-' : '+');
	if (exp < 0)
		exp = -exp;
	do {
		eb[en++] = (char)('0' + exp % 10);
		exp /= 10;
	} while (exp);
	if (en < 2)
		eb[en++] = '0';
	while (en)
		put(o, eb[--en]);
}

/* Go fmtF with prec decimals */
static void fmt_f(struct out *o, const char *dig, int nd, int dp, int prec)
{
	int i;

	if (dp > 0) {
		for (i = 0; i < dp; i++)
			put(o, i < nd ? dig[i] : '0');
	} else {
		put(o, '0');
	}
	if (prec > 0) {
		put(o, '.');
		for (i = 1; i <= prec; i++) {
			int j = dp + i - 1;
			put(o, j >= 0 && j < nd ? dig[j] : '0');
		}
	}
}

size_t gate_doc_format_key_float(char *buf, size_t size, double d)
{
	struct out o = { buf, 0, size };
	char dig[40];
	int nd = 0, dp = 0, exp;
	float f = (float)d;

	if (isnan(f)) {
		puts_(&o, ".nan");
	} else if (isinf(f)) {
		puts_(&o, f > 0 ? ".inf" : "-.inf");
	} else {
		if (signbit(f))
			put(&o, '-');
		if (f != 0)
			nd = shortest_digits(fabs((double)f), 1, dig, &dp);
		/* 'g' with the shortest digits: %e when exp < -4 || exp >= 6 */
		exp = dp - 1;
		if (nd && (exp < -4 || exp >= 6))
			fmt_e(&o, dig, nd, dp, nd - 1);
		else
			fmt_f(&o, dig, nd, dp, nd > dp ? nd - dp : 0);
	}
	if (size)
		buf[o.n] = '\0';
	return o.n;
}

size_t gate_doc_format_json_number(char *buf, size_t size, double d)
{
	struct out o = { buf, 0, size };
	char dig[40];
	int nd = 0, dp = 0;
	double a = fabs(d);

	if (a < 1e15 && d == (double)(int64_t)d && !(d == 0 && signbit(d))) {
		int64_t v = (int64_t)d;
		char tmp[24];
		int n = 0;
		uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		do {
			tmp[n++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (v < 0)
			put(&o, '-');
		while (n)
			put(&o, tmp[--n]);
	} else if (!isfinite(d)) {
		puts_(&o, "null");
	} else {
		if (signbit(d))
			put(&o, '-');
		if (a != 0)
			nd = shortest_digits(a, 0, dig, &dp);
		if (a != 0 && (a < 1e-6 || a >= 1e21)) {
			size_t at;
			fmt_e(&o, dig, nd, dp, nd - 1);
			/* encoding/json: e-09 becomes e-9 */
			at = o.n;
			if (at >= 4 && buf[at - 4] == 'e' && buf[at - 3] == '-' && buf[at - 2] == '0') {
				buf[at - 2] = buf[at - 1];
				o.n--;
			}
		} else {
			fmt_f(&o, dig, nd, dp, nd > dp ? nd - dp : 0);
		}
	}
	if (size)
		buf[o.n] = '\0';
	return o.n;
}
