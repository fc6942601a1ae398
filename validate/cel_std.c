/*
 * cel_std.c: CEL's standard functions: size, type conversions (int, uint,
 * double, string, bytes, bool, dyn, type), duration and timestamp with their
 * accessors, string tests (startsWith, endsWith, contains), regular
 * expressions (matches, find, findAll) compiled under RE2's rules; then the
 * dispatch to the Kubernetes libraries.
 */
#include "cel_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_IS(a, lit) ((a)->name_len == sizeof(lit) - 1 && !memcmp((a)->name, lit, sizeof(lit) - 1))

/* ---- regular expressions --------------------------------------------------- */

/* RE2 has no backreferences, lookaround, atomic groups, possessive quantifiers, recursion, \Z */
static const char *re2_unsupported(const char *s, size_t len)
{
	size_t i;
	int in_class = 0;

	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '\\' && i + 1 < len) {
			char n = s[++i];
			if (!in_class && ((n >= '1' && n <= '9') || n == 'g' || n == 'k'))
				return "backreferences are not supported";
			if (n == 'Z' || n == 'C' || n == 'K' || n == 'R' || n == 'X' || n == 'G')
				return "invalid escape sequence";
			continue;
		}
		if (in_class) {
			if (ch == ']')
				in_class = 0;
			continue;
		}
		if (ch == '[') {
			in_class = 1;
			if (i + 1 < len && s[i + 1] == '^')
				i++;
			if (i + 1 < len && s[i + 1] == ']')
				i++;
			continue;
		}
		if (ch == '(' && i + 1 < len && s[i + 1] == '?') {
			const char *t = s + i + 2;
			size_t rest = len - i - 2;
			if (rest && (t[0] == '=' || t[0] == '!' || t[0] == '>' || t[0] == '(' || t[0] == 'R' ||
					t[0] == '|' || t[0] == '&' || (t[0] >= '0' && t[0] <= '9') || t[0] == '+'))
				return "lookaround, atomic groups, conditionals and recursion are not supported";
			if (rest >= 2 && t[0] == '<' && (t[1] == '=' || t[1] == '!'))
				return "lookbehind is not supported";
			if (rest >= 2 && t[0] == 'P' && (t[1] == '=' || t[1] == '>'))
				return "backreferences are not supported";
		}
		if ((ch == '*' || ch == '+' || ch == '?' || ch == '}') && i + 1 < len && s[i + 1] == '+')
			return "bad repetition operator";
	}
	return NULL;
}

pcre2_code *cel_regex_compile(const char *src, size_t len, const char **err)
{
	const char *bad = re2_unsupported(src, len);
	pcre2_code *re;
	int ec;
	PCRE2_SIZE off;

	if (bad) {
		*err = bad;
		return NULL;
	}
	re = pcre2_compile((PCRE2_SPTR)src, len, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NO_UTF_CHECK,
		&ec, &off, NULL);
	if (!re) {
		*err = "invalid regular expression";
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* the compiled regex of a call: the one compiled with the program, or a new one */
struct cel_value cel_regex_get(struct cel_ctx *c, const struct cel_ast *call, const struct cel_value *pat,
	pcre2_code **out)
{
	const char *err = NULL;

	if (call && call->re) {
		*out = call->re;
		return cel_null();
	}
	if (call && call->re_error)
		return cel_err(c, "invalid regular expression: %s", call->re_error);
	if (cel_charge(c, pat->len / 10 + 1) < 0)
		return cel_err(c, "operation cancelled: actual cost limit exceeded");
	*out = cel_regex_compile(pat->u.s, pat->len, &err);
	if (!*out)
		return cel_err(c, "invalid regular expression: %s", err ? err : "?");
	GATE_ALLOC_GROW(c->mem->codes, c->mem->ncodes + 1, c->mem->acodes);
	c->mem->codes[c->mem->ncodes++] = *out;
	return cel_null();
}

/* first match at or after start: 1 and [*b, *e), 0 none, error value in *err */
static int re_search(struct cel_ctx *c, pcre2_code *re, const char *s, size_t len, size_t start,
	size_t *b, size_t *e, struct cel_value *err)
{
	PCRE2_SIZE *ov;
	int rc;

	if (!c->mctx) {
		c->mctx = pcre2_match_context_create(NULL);
		if (c->mctx)
			pcre2_set_match_limit(c->mctx, 1000000);
	}
	if (!c->md)
		c->md = pcre2_match_data_create(1, NULL);
	if (!c->mctx || !c->md) {
		*err = cel_err(c, "out of memory");
		return -1;
	}
	if (cel_charge(c, (len - start) / 10 + 1) < 0) {
		*err = cel_err(c, "operation cancelled: actual cost limit exceeded");
		return -1;
	}
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, start, PCRE2_NO_UTF_CHECK, c->md, c->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		*err = cel_err(c, "regular expression could not be matched (limit)");
		return -1;
	}
	ov = pcre2_get_ovector_pointer(c->md);
	*b = ov[0];
	*e = ov[1];
	return 1;
}

static struct cel_value fn_regex(struct cel_ctx *c, const struct cel_ast *call, struct cel_value *args,
	size_t n)
{
	pcre2_code *re = NULL;
	struct cel_value r, list;
	size_t b, e, pos = 0, cnt = 0, alloc = 0;
	int64_t limit = -1;
	struct cel_value *items = NULL;

	if (n < 2 || args[0].kind != CK_STRING || args[1].kind != CK_STRING ||
			(n == 3 && (args[2].kind != CK_INT || !NAME_IS(call, "findAll"))) || n > 3)
		return cel_no_overload(c, call->name, args, n);
	r = cel_regex_get(c, call, &args[1], &re);
	if (CEL_IS_ERR(r))
		return r;
	if (NAME_IS(call, "matches") || NAME_IS(call, "find")) {
		int m = re_search(c, re, args[0].u.s, args[0].len, 0, &b, &e, &r);
		if (m < 0)
			return r;
		if (NAME_IS(call, "matches"))
			return cel_bool(m);
		return m ? cel_string(c, args[0].u.s + b, e - b) : cel_string_ref("", 0);
	}
	if (n == 3)
		limit = args[2].u.i;
	while (limit < 0 || (int64_t)cnt < limit) {
		int m;
		if (pos > args[0].len)
			break;
		m = re_search(c, re, args[0].u.s, args[0].len, pos, &b, &e, &r);
		if (m < 0)
			return r;
		if (!m)
			break;
		if (cnt == alloc) {
			size_t na = alloc ? alloc * 2 : 8;
			struct cel_value *ni = cel_alloc(c->mem, na * sizeof(*ni));
			if (cnt)
				memcpy(ni, items, cnt * sizeof(*ni));
			items = ni;
			alloc = na;
		}
		items[cnt++] = cel_string(c, args[0].u.s + b, e - b);
		if (e == b) {
			/* empty match: step one code point */
			pos = e + 1;
			while (pos < args[0].len && ((unsigned char)args[0].u.s[pos] & 0xc0) == 0x80)
				pos++;
		} else {
			pos = e;
		}
	}
	list = cel_list_new(c, 0);
	list.u.items = items;
	list.len = (uint32_t)cnt;
	return list;
}

/* ---- durations and timestamps ---------------------------------------------- */

int cel_parse_duration(const char *s, size_t len, int64_t *sec, int32_t *nsec)
{
	static const struct {
		const char *u;
		int64_t ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 }, { "ms", 1000000 },
		{ "s", 1000000000LL }, { "m", 60000000000LL }, { "h", 3600000000000LL }
	};
	__int128 total = 0;
	size_t i = 0;
	int neg = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i + 1 == len && s[i] == '0') {
		*sec = 0;
		*nsec = 0;
		return 0;
	}
	if (i >= len)
		return -1;
	while (i < len) {
		__int128 whole = 0, frac = 0, scale = 1;
		size_t start = i, k, best = 0;
		int found = -1, digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			whole = whole * 10 + (s[i++] - '0');
			if (whole > ((__int128)1 << 63))
				return -1;
			digits = 1;
		}
		if (i < len && s[i] == '.') {
			i++;
			while (i < len && s[i] >= '0' && s[i] <= '9') {
				if (scale < 1000000000000000000LL) {
					frac = frac * 10 + (s[i] - '0');
					scale *= 10;
				}
				i++;
				digits = 1;
			}
		}
		if (!digits || i == start)
			return -1;
		for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
			size_t ul = strlen(units[k].u);
			if (i + ul <= len && !memcmp(s + i, units[k].u, ul) && ul > best &&
					(i + ul == len || !((s[i + ul] >= 'a' && s[i + ul] <= 'z') || (unsigned char)s[i + ul] >= 0x80))) {
				best = ul;
				found = (int)k;
			}
		}
		if (found < 0)
			return -1;
		i += best;
		total += whole * units[found].ns + frac * units[found].ns / scale;
		if (total > ((__int128)1 << 63))
			return -1;
	}
	if (neg)
		total = -total;
	if (total > INT64_MAX || total < INT64_MIN)
		return -1;
	*sec = (int64_t)(total / 1000000000);
	*nsec = (int32_t)(total % 1000000000);
	return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int digits(const char *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int cel_parse_timestamp(const char *s, size_t len, int64_t *sec, int32_t *nsec)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se, oh = 0, om = 0;
	size_t i = 19;
	int32_t ns = 0;
	int64_t off = 0;

	if (len < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
			digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
			s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	if (s[i] == '.') {
		int nd = 0;
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (nd < 9) {
				ns = ns * 10 + (s[i] - '0');
				nd++;
			}
			i++;
		}
		if (!nd)
			return -1;
		while (nd++ < 9)
			ns *= 10;
	}
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && !digits(s + i + 1, 2, &oh) &&
			s[i + 3] == ':' && !digits(s + i + 4, 2, &om) && oh < 24 && om < 60) {
		off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	*sec = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
	*nsec = ns;
	if (*sec < -62135596800LL || *sec > 253402300799LL)
		return -1;
	return 0;
}

void cel_format_duration(struct gate_buf *b, int64_t sec, int32_t nsec)
{
	if (!nsec) {
		gate_buf_addf(b, "%llds", (long long)sec);
		return;
	}
	{
		char frac[16];
		int n;
		int neg = sec < 0 || nsec < 0;
		unsigned long long as = (unsigned long long)(sec < 0 ? -sec : sec);
		snprintf(frac, sizeof(frac), "%09d", nsec < 0 ? -nsec : nsec);
		for (n = 8; n > 0 && frac[n] == '0'; n--)
			frac[n] = 0;
		gate_buf_addf(b, "%s%llu.%ss", neg ? "-" : "", as, frac);
	}
}

void cel_format_timestamp(struct gate_buf *b, int64_t sec, int32_t nsec)
{
	int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400), y;
	int64_t rem = sec - days * 86400;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	gate_buf_addf(b, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d, (int)(rem / 3600),
		(int)(rem / 60 % 60), (int)(rem % 60));
	if (nsec) {
		char frac[16];
		int n;
		snprintf(frac, sizeof(frac), "%09d", nsec);
		for (n = 8; n > 0 && frac[n] == '0'; n--)
			frac[n] = 0;
		gate_buf_addf(b, ".%s", frac);
	}
	gate_buf_addc(b, 'Z');
}

static int tz_offset(const struct cel_value *tz, int64_t *off)
{
	const char *s = tz->u.s;
	size_t len = tz->len, i = 0;
	int h, m, sign = 1;

	if ((len == 3 && !memcmp(s, "UTC", 3)) || (len == 1 && s[0] == 'Z')) {
		*off = 0;
		return 0;
	}
	if (len && (s[0] == '+' || s[0] == '-')) {
		sign = s[0] == '-' ? -1 : 1;
		i = 1;
	}
	if (len - i != 5 || digits(s + i, 2, &h) || s[i + 2] != ':' || digits(s + i + 3, 2, &m))
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

static struct cel_value time_getter(struct cel_ctx *c, const struct cel_ast *call, struct cel_value *args,
	size_t n)
{
	const struct cel_value *t = &args[0];
	int64_t sec, off = 0, days, y, rem;
	unsigned m, d;

	if (t->kind == CK_DURATION && n == 1) {
		int64_t total_ms = t->u.t.sec * 1000 + t->u.t.nsec / 1000000;
		if (NAME_IS(call, "getHours"))
			return cel_int(t->u.t.sec / 3600);
		if (NAME_IS(call, "getMinutes"))
			return cel_int(t->u.t.sec / 60);
		if (NAME_IS(call, "getSeconds"))
			return cel_int(t->u.t.sec);
		if (NAME_IS(call, "getMilliseconds"))
			return cel_int(total_ms);
		return cel_no_overload(c, call->name, args, n);
	}
	if (t->kind != CK_TIMESTAMP || n > 2 || (n == 2 && args[1].kind != CK_STRING))
		return cel_no_overload(c, call->name, args, n);
	if (n == 2 && tz_offset(&args[1], &off) < 0)
		return cel_err(c, "unsupported time zone '%.*s'", (int)args[1].len, args[1].u.s);
	sec = t->u.t.sec + off;
	days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	rem = sec - days * 86400;
	civil_from_days(days, &y, &m, &d);
	if (NAME_IS(call, "getFullYear"))
		return cel_int(y);
	if (NAME_IS(call, "getMonth"))
		return cel_int(m - 1);
	if (NAME_IS(call, "getDate"))
		return cel_int(d);
	if (NAME_IS(call, "getDayOfMonth"))
		return cel_int(d - 1);
	if (NAME_IS(call, "getDayOfYear"))
		return cel_int(days - days_from_civil(y, 1, 1));
	if (NAME_IS(call, "getDayOfWeek"))
		return cel_int(((days % 7) + 11) % 7);
	if (NAME_IS(call, "getHours"))
		return cel_int(rem / 3600);
	if (NAME_IS(call, "getMinutes"))
		return cel_int(rem / 60 % 60);
	if (NAME_IS(call, "getSeconds"))
		return cel_int(rem % 60);
	if (NAME_IS(call, "getMilliseconds"))
		return cel_int(t->u.t.nsec / 1000000);
	return cel_no_overload(c, call->name, args, n);
}

/* ---- conversions ----------------------------------------------------------- */

static int parse_int(const char *s, size_t len, int64_t *out)
{
	char buf[32], *end;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*out = strtoll(buf, &end, 10);
	return errno || *end || buf[0] == ' ' || buf[0] == '+' ? -1 : 0;
}

/* int(), uint() and double() */
static struct cel_value conv_number(struct cel_ctx *c, const char *name, struct cel_value *args)
{
	struct cel_value *x = &args[0];

	if (!strcmp(name, "int")) {
		int64_t i;
		switch (x->kind) {
		case CK_INT: return *x;
		case CK_UINT: return x->u.u > INT64_MAX ? cel_err(c, "range error converting %llu to int",
			(unsigned long long)x->u.u) : cel_int((int64_t)x->u.u);
		case CK_DOUBLE:
			if (!(x->u.d > -9223372036854775808.0 && x->u.d < 9223372036854775808.0))
				return cel_err(c, "range error converting %g to int", x->u.d);
			return cel_int((int64_t)x->u.d);
		case CK_STRING:
			if (parse_int(x->u.s, x->len, &i) < 0)
				return cel_err(c, "cannot convert '%.*s' to int", (int)(x->len > 64 ? 64 : x->len), x->u.s);
			return cel_int(i);
		case CK_TIMESTAMP: return cel_int(x->u.t.sec);
		case CK_DURATION: return cel_int(x->u.t.sec * 1000000000 + x->u.t.nsec);
		default: break;
		}
	} else if (!strcmp(name, "uint")) {
		int64_t i;
		switch (x->kind) {
		case CK_UINT: return *x;
		case CK_INT: return x->u.i < 0 ? cel_err(c, "range error converting %lld to uint",
			(long long)x->u.i) : cel_uint((uint64_t)x->u.i);
		case CK_DOUBLE:
			if (!(x->u.d > -1.0 && x->u.d < 18446744073709551616.0))
				return cel_err(c, "range error converting %g to uint", x->u.d);
			return cel_uint((uint64_t)x->u.d);
		case CK_STRING: {
			char buf[32], *end;
			uint64_t u;
			if (!x->len || x->len >= sizeof(buf) || x->u.s[0] == '-' || x->u.s[0] == '+' || x->u.s[0] == ' ')
				return cel_err(c, "cannot convert string to uint");
			memcpy(buf, x->u.s, x->len);
			buf[x->len] = 0;
			errno = 0;
			u = strtoull(buf, &end, 10);
			if (errno || *end)
				return cel_err(c, "cannot convert string to uint");
			(void)i;
			return cel_uint(u);
		}
		default: break;
		}
	} else if (!strcmp(name, "double")) {
		switch (x->kind) {
		case CK_DOUBLE: return *x;
		case CK_INT: return cel_double((double)x->u.i);
		case CK_UINT: return cel_double((double)x->u.u);
		case CK_STRING: {
			char buf[128], *end;
			double d;
			if (!x->len || x->len >= sizeof(buf))
				return cel_err(c, "cannot convert string to double");
			memcpy(buf, x->u.s, x->len);
			buf[x->len] = 0;
			d = strtod(buf, &end);
			if (*end || buf[0] == ' ')
				return cel_err(c, "cannot convert string to double");
			return cel_double(d);
		}
		default: break;
		}
	}
	return cel_no_overload(c, name, args, 1);
}

/* string() */
static struct cel_value conv_string(struct cel_ctx *c, struct cel_value *args)
{
	struct cel_value *x = &args[0], v;

	{
		struct gate_buf b = GATE_BUF_INIT;
		char buf[400];
		switch (x->kind) {
		case CK_STRING: return *x;
		case CK_INT: snprintf(buf, sizeof(buf), "%lld", (long long)x->u.i); return cel_string(c, buf, strlen(buf));
		case CK_UINT: snprintf(buf, sizeof(buf), "%llu", (unsigned long long)x->u.u); return cel_string(c, buf, strlen(buf));
		case CK_DOUBLE: cel_format_double(buf, sizeof(buf), x->u.d); return cel_string(c, buf, strlen(buf));
		case CK_BOOL: return cel_string_ref(x->u.b ? "true" : "false", x->u.b ? 4 : 5);
		case CK_BYTES:
			if (cel_utf8_count(x->u.s, x->len) < 0)
				return cel_err(c, "invalid UTF-8 in bytes, cannot convert to string");
			v = *x;
			v.kind = CK_STRING;
			return v;
		case CK_DURATION:
		case CK_TIMESTAMP:
			if (x->kind == CK_DURATION)
				cel_format_duration(&b, x->u.t.sec, x->u.t.nsec);
			else
				cel_format_timestamp(&b, x->u.t.sec, x->u.t.nsec);
			v = cel_string(c, b.ptr, b.len);
			gate_buf_release(&b);
			return v;
		default: {
			struct cel_value out;
			if (cel_net_call(c, "string", 0, args, 1, &out))
				return out;
			break;
		}
		}
	}
	return cel_no_overload(c, "string", args, 1);
}

static struct cel_value conv(struct cel_ctx *c, const struct cel_ast *call, struct cel_value *args)
{
	struct cel_value *x = &args[0], v;
	const char *name = call->name;

	if (!strcmp(name, "int") || !strcmp(name, "uint") || !strcmp(name, "double"))
		return conv_number(c, name, args);
	if (!strcmp(name, "string"))
		return conv_string(c, args);
	if (!strcmp(name, "bytes")) {
		if (x->kind == CK_BYTES)
			return *x;
		if (x->kind == CK_STRING) {
			v = *x;
			v.kind = CK_BYTES;
			return v;
		}
	} else if (!strcmp(name, "bool")) {
		static const char *const t[] = { "1", "t", "true", "TRUE", "True", NULL };
		static const char *const f[] = { "0", "f", "false", "FALSE", "False", NULL };
		size_t i;
		if (x->kind == CK_BOOL)
			return *x;
		if (x->kind == CK_STRING) {
			for (i = 0; t[i]; i++) {
				if (strlen(t[i]) == x->len && !memcmp(t[i], x->u.s, x->len))
					return cel_bool(1);
				if (strlen(f[i]) == x->len && !memcmp(f[i], x->u.s, x->len))
					return cel_bool(0);
			}
			return cel_err(c, "type conversion error from 'string' to 'bool'");
		}
	} else if (!strcmp(name, "dyn")) {
		return *x;
	} else if (!strcmp(name, "type")) {
		return cel_type(cel_type_name(x));
	} else if (!strcmp(name, "duration") || !strcmp(name, "timestamp")) {
		int dur = name[0] == 'd';
		v.kind = dur ? CK_DURATION : CK_TIMESTAMP;
		v.flags = 0;
		v.len = 0;
		if (x->kind == v.kind)
			return *x;
		if (!dur && x->kind == CK_INT) {
			if (x->u.i < -62135596800LL || x->u.i > 253402300799LL)
				return cel_err(c, "timestamp out of range");
			v.u.t.sec = x->u.i;
			v.u.t.nsec = 0;
			return v;
		}
		if (x->kind == CK_STRING) {
			int r = dur ? cel_parse_duration(x->u.s, x->len, &v.u.t.sec, &v.u.t.nsec) :
				cel_parse_timestamp(x->u.s, x->len, &v.u.t.sec, &v.u.t.nsec);
			if (r < 0)
				return cel_err(c, "%s conversion error: '%.*s'", dur ? "duration" : "timestamp",
					(int)(x->len > 64 ? 64 : x->len), x->u.s);
			return v;
		}
	}
	return cel_no_overload(c, name, args, 1);
}

static int is_conv(const char *name)
{
	static const char *const names[] = {
		"int", "uint", "double", "string", "bytes", "bool", "dyn", "type", "duration", "timestamp", NULL
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* ---- dispatch -------------------------------------------------------------- */

static struct cel_value str_test(struct cel_ctx *c, const struct cel_ast *call, struct cel_value *args)
{
	const struct cel_value *s = &args[0], *t = &args[1];

	if (cel_charge(c, s->len / 10) < 0)
		return cel_err(c, "operation cancelled: actual cost limit exceeded");
	if (NAME_IS(call, "startsWith"))
		return cel_bool(t->len <= s->len && !memcmp(s->u.s, t->u.s, t->len));
	if (NAME_IS(call, "endsWith"))
		return cel_bool(t->len <= s->len && !memcmp(s->u.s + s->len - t->len, t->u.s, t->len));
	if (!t->len)
		return cel_bool(1);
	return cel_bool(t->len <= s->len && cel_find(s->u.s, s->len, t->u.s, t->len, 0) >= 0);
}

struct cel_value cel_call(struct cel_ctx *c, const struct cel_ast *call, struct cel_value *args, size_t n)
{
	struct cel_value out;
	int recv = call->recv;

	if (NAME_IS(call, "size") && n == 1) {
		switch (args[0].kind) {
		case CK_STRING: return cel_int(cel_utf8_count(args[0].u.s, args[0].len));
		case CK_BYTES: return cel_int(args[0].len);
		case CK_LIST:
		case CK_MAP: return cel_int((int64_t)cel_size(c, &args[0]));
		default: return cel_no_overload(c, "size", args, n);
		}
	}
	if (!recv && n == 1 && is_conv(call->name))
		return conv(c, call, args);
	if (NAME_IS(call, "matches") || (recv && (NAME_IS(call, "find") || NAME_IS(call, "findAll"))))
		return fn_regex(c, call, args, n);
	if (recv && n == 2 && args[0].kind == CK_STRING && args[1].kind == CK_STRING &&
			(NAME_IS(call, "startsWith") || NAME_IS(call, "endsWith") || NAME_IS(call, "contains")))
		return str_test(c, call, args);
	if (recv && (args[0].kind == CK_DURATION || args[0].kind == CK_TIMESTAMP) &&
			call->name_len > 3 && !memcmp(call->name, "get", 3))
		return time_getter(c, call, args, n);
	if (cel_k8s_call(c, call->name, recv, args, n, &out))
		return out;
	if (cel_net_call(c, call->name, recv, args, n, &out))
		return out;
	return cel_no_overload(c, call->name, args, n);
}
