/*
 * duration: Go and Kubernetes duration syntaxes; see include/gate/duration.h.
 */
#include "gate/duration.h"

#include <string.h>
#include <strings.h>

#define MAX_NS ((uint64_t)1 << 63)

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* the Go unit u[0..n) in nanoseconds, 0 when unknown */
static uint64_t go_unit(const char *u, size_t n)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000ull }, { "m", 60000000000ull },
		{ "h", 3600000000000ull },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (strlen(units[i].name) == n && !memcmp(units[i].name, u, n))
			return units[i].ns;
	return 0;
}

int gate_duration_parse_go(const char *s, size_t len, int64_t *ns)
{
	const char *end = s + len;
	uint64_t d = 0;
	int neg = 0;

	if (s < end && (*s == '-' || *s == '+')) {
		neg = *s == '-';
		s++;
	}
	if (end - s == 1 && *s == '0') {
		if (ns)
			*ns = 0;
		return 0;
	}
	if (s == end)
		return -1;
	while (s < end) {
		uint64_t v = 0, f = 0, unit;
		double scale = 1;
		int pre = 0, post = 0, overflow = 0;
		const char *u;

		if (*s != '.' && !is_digit(*s))
			return -1;
		for (; s < end && is_digit(*s); s++, pre = 1) {
			if (v > (MAX_NS - 1) / 10)
				return -1; /* leadingInt overflow */
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > MAX_NS - 1)
				return -1;
		}
		if (s < end && *s == '.') {
			for (s++; s < end && is_digit(*s); s++, post = 1) {
				if (overflow)
					continue;
				if (f > (MAX_NS - 1) / 10) {
					overflow = 1;
					continue;
				}
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			return -1;
		for (u = s; s < end && *s != '.' && !is_digit(*s); s++)
			;
		if (s == u || !(unit = go_unit(u, (size_t)(s - u))))
			return -1;
		if (v > MAX_NS / unit)
			return -1;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > MAX_NS)
				return -1;
		}
		d += v;
		if (d > MAX_NS)
			return -1;
	}
	if (!neg && d > MAX_NS - 1)
		return -1;
	if (ns)
		*ns = neg ? (int64_t)(0 - d) : (int64_t)d;
	return 0;
}

/* RE2's \s */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* [A-Za-zµ]: one letter at s, its length in bytes, 0 when none */
static size_t letter(const char *s, const char *end)
{
	if (s < end && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return 1;
	if (end - s >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xb5)
		return 2;
	return 0;
}

/* strfmt's unit groups: a unit equal to a variant, or starting with a group's last one */
static int k8s_unit(const char *u, size_t n)
{
	static const char *const groups[][4] = {
		{ "ns", "nano", NULL }, { "us", "\xc2\xb5s", "micro", NULL }, { "ms", "milli", NULL },
		{ "s", "sec", NULL }, { "m", "min", NULL }, { "h", "hr", "hour", NULL },
		{ "d", "day", NULL }, { "w", "wk", "week", NULL },
	};
	char low[8]; /* longer than any variant: only its start is compared */
	size_t g, i, k, m = n < sizeof(low) ? n : sizeof(low);

	for (i = 0; i < m; i++)
		low[i] = (char)((u[i] >= 'A' && u[i] <= 'Z') ? u[i] - 'A' + 'a' : u[i]);
	for (g = 0; g < sizeof(groups) / sizeof(*groups); g++) {
		for (k = 0; groups[g][k]; k++) {
			size_t vl = strlen(groups[g][k]);
			int last = !groups[g][k + 1];
			if ((vl == n && !memcmp(low, groups[g][k], vl)) ||
			    (last && n >= vl && !memcmp(low, groups[g][k], vl)))
				return 1;
		}
	}
	return 0;
}

int gate_duration_valid_k8s(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int matched = 0, groups = 0;

	if (gate_duration_parse_go(s, len, NULL) == 0)
		return 1;
	/* ^\s*(?:\d+\s*[A-Za-zµ]+\s*)+$, each group's number within int64 */
	while (p < end && is_space(*p))
		p++;
	while (p < end) {
		const char *u;
		uint64_t v = 0;
		size_t l;

		if (!is_digit(*p))
			return 0;
		for (; p < end && is_digit(*p); p++) {
			if (v > (MAX_NS - 1 - (uint64_t)(*p - '0')) / 10)
				return 0; /* strconv.Atoi out of range */
			v = v * 10 + (uint64_t)(*p - '0');
		}
		while (p < end && is_space(*p))
			p++;
		for (u = p; (l = letter(p, end)); p += l)
			;
		if (p == u)
			return 0;
		matched |= k8s_unit(u, (size_t)(p - u));
		groups++;
		while (p < end && is_space(*p))
			p++;
	}
	return groups > 0 && matched;
}
