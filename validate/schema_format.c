/*
 * schema_format.c: the "format" checks, written to accept what
 * santhosh-tekuri/jsonschema v5 (kubeconform's validator) accepts, plus the
 * OpenAPI formats Kubernetes checks for CRDs: byte, int32, int64.
 * Unknown formats are never looked up (format is then a no-op).
 */
#include "schema_int.h"

#include "gate/duration.h"

#include <arpa/inet.h>
#include <math.h>
#include <string.h>

static const struct {
	const char *name;
	enum sformat f;
} formats[] = {
	{ "date-time", SF_DATE_TIME },
	{ "date", SF_DATE },
	{ "time", SF_TIME },
	{ "email", SF_EMAIL },
	{ "hostname", SF_HOSTNAME },
	{ "ipv4", SF_IPV4 },
	{ "ip-address", SF_IPV4 },
	{ "ipv6", SF_IPV6 },
	{ "uri", SF_URI },
	{ "iri", SF_URI },
	{ "uri-reference", SF_URI_REF },
	{ "uriref", SF_URI_REF },
	{ "iri-reference", SF_URI_REF },
	{ "uuid", SF_UUID },
	{ "regex", SF_REGEX },
	{ "byte", SF_BYTE },
	{ "int32", SF_INT32 },
	{ "int64", SF_INT64 },
	/* the API server's (Go durations, "2 days"), not ISO 8601's: gate/duration.h */
	{ "duration", SF_DURATION },
};

enum sformat gate_schema_format_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(*formats); i++)
		if (!strcmp(formats[i].name, name))
			return formats[i].f;
	return SF_NONE;
}

const char *gate_schema_format_name(enum sformat f)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(*formats); i++)
		if (formats[i].f == f)
			return formats[i].name;
	return "value";
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(int c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int is_alpha(int c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* two decimal digits at s within [lo, hi]; -1 when not */
static int num2(const char *s, int lo, int hi)
{
	int v;

	if (!is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v < lo || v > hi ? -1 : v;
}

/* RFC 3339 full-date, as Go's time.Parse("2006-01-02") checks it */
static int check_date(const char *s, size_t len)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, max;
	size_t i;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 4; i++)
		if (!is_digit(s[i]))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if ((m = num2(s + 5, 1, 12)) < 0 || (d = num2(s + 8, 1, 31)) < 0)
		return 0;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

/* RFC 3339 full-time, with the leap-second rule (23:59:60 UTC only) */
static int check_time(const char *s, size_t len)
{
	int h, m, sec, zh, zm, sign, hm;
	size_t i = 8;

	if (len < 9 || s[2] != ':' || s[5] != ':')
		return 0;
	if ((h = num2(s, 0, 23)) < 0 || (m = num2(s + 3, 0, 59)) < 0 || (sec = num2(s + 6, 0, 60)) < 0)
		return 0;
	if (s[i] == '.') {
		size_t start = ++i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == start)
			return 0;
	}
	if (i >= len)
		return 0;
	if (s[i] == 'z' || s[i] == 'Z') {
		if (i + 1 != len)
			return 0;
	} else {
		if (len - i != 6 || s[i + 3] != ':')
			return 0;
		if (s[i] == '+')
			sign = -1;
		else if (s[i] == '-')
			sign = 1;
		else
			return 0;
		if ((zh = num2(s + i + 1, 0, 23)) < 0 || (zm = num2(s + i + 4, 0, 59)) < 0)
			return 0;
		hm = h * 60 + m + sign * (zh * 60 + zm);
		if (hm < 0)
			hm += 24 * 60;
		h = hm / 60 % 24;
		m = hm % 60;
	}
	if (sec == 60 && (h != 23 || m != 59))
		return 0;
	return 1;
}

static int check_date_time(const char *s, size_t len)
{
	if (len < 20 || (s[10] != 'T' && s[10] != 't'))
		return 0;
	return check_date(s, 10) && check_time(s + 11, len - 11);
}

static int check_hostname(const char *s, size_t len)
{
	size_t i, start = 0;

	if (len && s[len - 1] == '.')
		len--;
	if (len > 253 || !len)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		if (i == start || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

static int check_ipv4(const char *s, size_t len)
{
	size_t i = 0;
	int groups;

	for (groups = 0; groups < 4; groups++) {
		size_t start = i;
		int v = 0;
		if (groups) {
			if (i >= len || s[i] != '.')
				return 0;
			start = ++i;
		}
		while (i < len && is_digit(s[i]) && i - start < 4)
			v = v * 10 + (s[i++] - '0');
		if (i == start || i - start > 3 || v > 255)
			return 0;
		if (s[start] == '0' && i - start > 1)
			return 0; /* leading zeros read as octal elsewhere */
	}
	return i == len;
}

static int check_ipv6(const char *s, size_t len)
{
	char buf[64];
	unsigned char out[16];

	if (len >= sizeof(buf) || !memchr(s, ':', len))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1;
}

static int check_uuid(const char *s, size_t len)
{
	size_t i;

	if (len != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex(s[i])) {
			return 0;
		}
	}
	return 1;
}

/* percent escapes in s[0..len) are well formed */
static int escapes_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '%' && (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2])))
			return 0;
	return 1;
}

/*
 * URI or URI reference, as Go's net/url.Parse accepts it (plus the check of
 * bracketed IPv6 hosts santhosh-tekuri/jsonschema adds).
 */
static int check_uri(const char *s, size_t len, int reference)
{
	size_t i, scheme = 0, end, hstart, hend;
	const char *frag, *q, *auth;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	if (reference && memchr(s, '\\', len))
		return 0;
	/* scheme */
	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (is_alpha(ch))
			continue;
		if (i && (is_digit(ch) || ch == '+' || ch == '-' || ch == '.'))
			continue;
		if (ch == ':') {
			if (!i)
				return 0; /* missing protocol scheme */
			scheme = i + 1;
		}
		break;
	}
	if (!scheme && !reference)
		return 0;
	frag = memchr(s, '#', len);
	if (frag) {
		if (!escapes_ok(frag + 1, (size_t)(s + len - frag - 1)))
			return 0;
		len = (size_t)(frag - s);
	}
	q = memchr(s, '?', len);
	end = q ? (size_t)(q - s) : len;
	i = scheme;
	if (!scheme) {
		/* a relative reference: no colon in the first path segment */
		size_t k;
		for (k = 0; k < end && s[k] != '/'; k++)
			if (s[k] == ':')
				return 0;
	}
	if (end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		const char *at = NULL;
		size_t k;
		auth = s + i + 2;
		for (k = i + 2; k < end && s[k] != '/'; k++)
			if (s[k] == '@')
				at = s + k;
		hstart = at ? (size_t)(at - s) + 1 : i + 2;
		hend = k;
		if (at) {
			const char *u;
			for (u = auth; u < at; u++)
				if (!(is_alpha(*u) || is_digit(*u) || strchr("-._:~!$&'()*+,;=%@", *u)))
					return 0;
		}
		if (hstart < hend && s[hstart] == '[') {
			const char *rb = memchr(s + hstart, ']', hend - hstart);
			size_t p;
			if (!rb || !check_ipv6(s + hstart + 1, (size_t)(rb - s) - hstart - 1))
				return 0;
			p = (size_t)(rb - s) + 1;
			if (p < hend) {
				if (s[p] != ':')
					return 0;
				for (p++; p < hend; p++)
					if (!is_digit(s[p]))
						return 0;
			}
		} else {
			const char *colon = NULL;
			size_t p;
			for (p = hstart; p < hend; p++)
				if (s[p] == ':')
					colon = s + p;
			if (colon) {
				for (p = (size_t)(colon - s) + 1; p < hend; p++)
					if (!is_digit(s[p]))
						return 0;
				hend = (size_t)(colon - s);
			}
			for (p = hstart; p < hend; p++) {
				unsigned char ch = (unsigned char)s[p];
				if (ch >= 0x80 || is_alpha(ch) || is_digit(ch) || strchr("-._~!$&'()*+,;=%", ch))
					continue;
				return 0;
			}
			if (!escapes_ok(s + hstart, hend - hstart))
				return 0;
		}
		i = k;
	}
	return escapes_ok(s + i, end - i);
}

static int b64val(int c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

/* base64 standard encoding as Go decodes it: CR and LF ignored */
static int check_byte(const char *s, size_t len)
{
	size_t i, n = 0, pad = 0;

	for (i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '\r' || ch == '\n')
			continue;
		if (ch == '=') {
			pad++;
		} else {
			if (pad || !b64val(ch))
				return 0;
		}
		n++;
	}
	if (n % 4 || pad > 2)
		return 0;
	return 1;
}

/* an RE2-compatible regular expression (Go's regexp, which v5 uses) */
static int check_regex(const char *s, size_t len)
{
	pcre2_code *re;
	int errcode;
	PCRE2_SIZE erroff;
	size_t i;
	int inclass = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			char nx = s[++i];
			if (nx == 'Z' || nx == 'k' || nx == 'g')
				return 0;
			if (nx >= '1' && nx <= '9' && !inclass && !(i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '7'))
				return 0; /* a back-reference */
			continue;
		}
		if (inclass) {
			if (s[i] == ']')
				inclass = 0;
			continue;
		}
		if (s[i] == '[') {
			inclass = 1;
			if (i + 1 < len && s[i + 1] == '^')
				i++;
			if (i + 1 < len && s[i + 1] == ']')
				i++;
			continue;
		}
		if (s[i] == '(' && i + 2 < len && s[i + 1] == '?' &&
				(s[i + 2] == '=' || s[i + 2] == '!' || s[i + 2] == '>' ||
				(s[i + 2] == '<' && i + 3 < len && (s[i + 3] == '=' || s[i + 3] == '!'))))
			return 0; /* lookaround and atomic groups */
	}
	re = pcre2_compile((PCRE2_SPTR)s, len, PCRE2_UTF, &errcode, &erroff, NULL);
	if (!re)
		return 0;
	pcre2_code_free(re);
	return 1;
}

static int check_email(const char *s, size_t len)
{
	const char *at = NULL;
	size_t i, local;

	if (len > 254)
		return 0;
	for (i = len; i > 0; i--)
		if (s[i - 1] == '@') {
			at = s + i - 1;
			break;
		}
	if (!at)
		return 0;
	local = (size_t)(at - s);
	if (!local || local > 64)
		return 0;
	if (s[0] == '"') {
		/* quoted-string local part */
		if (local < 2 || s[local - 1] != '"')
			return 0;
		for (i = 1; i + 1 < local; i++) {
			if (s[i] == '\\') {
				if (++i >= local - 1)
					return 0;
				continue;
			}
			if (s[i] == '"' || (unsigned char)s[i] < 0x20)
				return 0;
		}
	} else {
		if (s[0] == '.' || s[local - 1] == '.')
			return 0;
		for (i = 0; i < local; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (ch == '.' && s[i + 1] == '.')
				return 0;
			if (ch >= 0x80 || is_alpha(ch) || is_digit(ch) || strchr(".!#$%&'*+-/=?^_`{|}~", ch))
				continue;
			return 0;
		}
	}
	s = at + 1;
	len -= local + 1;
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		if (len > 7 && !memcmp(s + 1, "IPv6:", 5))
			return check_ipv6(s + 6, len - 7);
		return check_ipv4(s + 1, len - 2);
	}
	return check_hostname(s, len);
}

int gate_schema_format_check_string(enum sformat f, const char *s, size_t len)
{
	switch (f) {
	case SF_DATE_TIME: return check_date_time(s, len);
	case SF_DATE: return check_date(s, len);
	case SF_TIME: return check_time(s, len);
	case SF_EMAIL: return check_email(s, len);
	case SF_HOSTNAME: return check_hostname(s, len);
	case SF_IPV4: return check_ipv4(s, len);
	case SF_IPV6: return check_ipv6(s, len);
	case SF_URI: return check_uri(s, len, 0);
	case SF_URI_REF: return check_uri(s, len, 1);
	case SF_UUID: return check_uuid(s, len);
	case SF_REGEX: return check_regex(s, len);
	case SF_BYTE: return check_byte(s, len);
	case SF_DURATION: return gate_duration_valid_k8s(s, len);
	default: return 1; /* int32/int64 apply to numbers */
	}
}

int gate_schema_format_check_number(enum sformat f, double v, int integral)
{
	switch (f) {
	case SF_INT32:
		return integral && v >= -2147483648.0 && v <= 2147483647.0;
	case SF_INT64:
		return integral && v >= -9223372036854775808.0 && v < 9223372036854775808.0;
	default:
		return 1;
	}
}
