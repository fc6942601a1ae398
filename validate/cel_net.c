/*
 * cel_net.c: the Kubernetes CEL libraries for URLs (url, isURL and the
 * getters), IP addresses (ip, isIP, ip.isCanonical, family and the
 * is* tests) and CIDR ranges (cidr, isCIDR, containsIP, containsCIDR, ip,
 * masked, prefixLength).  Addresses follow Go's netip: no zones, no
 * IPv4-mapped IPv6, no leading zeros.
 */
#include "cel_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define IS(name, lit) (!strcmp((name), (lit)))

/* ---- IP addresses ---------------------------------------------------------- */

static int parse_ip(const char *s, size_t len, struct cel_value *v)
{
	char buf[64];

	if (!len || len >= sizeof(buf) || memchr(s, '%', len))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	memset(v, 0, sizeof(*v));
	v->kind = CK_IP;
	if (inet_pton(AF_INET, buf, v->u.ip.addr) == 1) {
		v->u.ip.family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, v->u.ip.addr) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (!memcmp(v->u.ip.addr, mapped, 12))
			return -1; /* IPv4-mapped IPv6 is refused by the Kubernetes library */
		v->u.ip.family = 6;
		return 0;
	}
	return -1;
}

static int parse_cidr(const char *s, size_t len, struct cel_value *v)
{
	const char *slash = memchr(s, '/', len);
	size_t i, plen;
	int prefix = 0;

	if (!slash)
		return -1;
	if (parse_ip(s, (size_t)(slash - s), v) < 0)
		return -1;
	plen = len - (size_t)(slash - s) - 1;
	if (!plen || plen > 3 || (plen > 1 && slash[1] == '0'))
		return -1;
	for (i = 0; i < plen; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			return -1;
		prefix = prefix * 10 + (slash[1 + i] - '0');
	}
	if (prefix > (v->u.ip.family == 4 ? 32 : 128))
		return -1;
	v->kind = CK_CIDR;
	v->u.ip.prefix = (uint8_t)prefix;
	return 0;
}

static size_t ip_bytes(const struct cel_value *v)
{
	return v->u.ip.family == 4 ? 4 : 16;
}

/* IPv6 as Go's netip writes it (RFC 5952): no embedded dotted IPv4, unlike inet_ntop */
static void ipv6_text(const uint8_t *a, char *buf, size_t size)
{
	int best = -1, best_len = 0, i, run, n = 0;

	for (i = 0; i < 8; i++) {
		if (a[2 * i] || a[2 * i + 1])
			continue;
		for (run = 0; i + run < 8 && !a[2 * (i + run)] && !a[2 * (i + run) + 1]; run++)
			;
		if (run > best_len) {
			best = i;
			best_len = run;
		}
		i += run - 1;
	}
	if (best_len < 2)
		best = -1;
	buf[0] = 0;
	for (i = 0; i < 8 && (size_t)n < size; i++) {
		if (i == best) {
			n += snprintf(buf + n, size - (size_t)n, "::");
			i += best_len - 1;
			continue;
		}
		n += snprintf(buf + n, size - (size_t)n, "%s%x", n && buf[n - 1] != ':' ? ":" : "",
			(unsigned)(a[2 * i] << 8 | a[2 * i + 1]));
	}
}

static void ip_text(const struct cel_value *v, char *buf, size_t size)
{
	if (v->u.ip.family == 4)
		inet_ntop(AF_INET, v->u.ip.addr, buf, (socklen_t)size);
	else
		ipv6_text(v->u.ip.addr, buf, size);
	if (v->kind == CK_CIDR) {
		size_t l = strlen(buf);
		snprintf(buf + l, size - l, "/%u", v->u.ip.prefix);
	}
}

int cel_net_equal(const struct cel_value *a, const struct cel_value *b)
{
	return a->u.ip.family == b->u.ip.family && !memcmp(a->u.ip.addr, b->u.ip.addr, ip_bytes(a)) &&
		(a->kind != CK_CIDR || a->u.ip.prefix == b->u.ip.prefix);
}

static int in_prefix(const uint8_t *addr, const uint8_t *net, int bits)
{
	int i;

	for (i = 0; i < bits; i++)
		if (((addr[i / 8] >> (7 - i % 8)) & 1) != ((net[i / 8] >> (7 - i % 8)) & 1))
			return 0;
	return 1;
}

static struct cel_value masked(struct cel_value v)
{
	int i, total = (int)ip_bytes(&v) * 8;

	for (i = v.u.ip.prefix; i < total; i++)
		v.u.ip.addr[i / 8] &= (uint8_t)~(1u << (7 - i % 8));
	return v;
}

static int ip_test(const char *name, const struct cel_value *v, int *out)
{
	const uint8_t *a = v->u.ip.addr;
	static const uint8_t zero[16];
	static const uint8_t one[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	int v4 = v->u.ip.family == 4;
	int unspec = !memcmp(a, zero, v4 ? 4 : 16);
	int loop = v4 ? a[0] == 127 : !memcmp(a, one, 16);
	int mcast = v4 ? (a[0] & 0xf0) == 0xe0 : a[0] == 0xff;
	int llmc = v4 ? (a[0] == 224 && a[1] == 0 && a[2] == 0) : (a[0] == 0xff && (a[1] & 0x0f) == 0x02);
	int llu = v4 ? (a[0] == 169 && a[1] == 254) : (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);

	if (IS(name, "isUnspecified"))
		*out = unspec;
	else if (IS(name, "isLoopback"))
		*out = loop;
	else if (IS(name, "isLinkLocalMulticast"))
		*out = llmc;
	else if (IS(name, "isLinkLocalUnicast"))
		*out = llu;
	else if (IS(name, "isGlobalUnicast"))
		*out = !unspec && !loop && !mcast && !llu &&
			!(v4 && a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
	else
		return 0;
	return 1;
}

static int ip_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *a, size_t n,
	struct cel_value *out)
{
	struct cel_value v;
	char buf[80];
	int b;

	if (!recv && n == 1 && a[0].kind == CK_STRING) {
		if (IS(name, "ip") || IS(name, "isIP") || IS(name, "ip.isCanonical")) {
			int ok = parse_ip(a[0].u.s, a[0].len, &v) == 0;
			if (IS(name, "isIP"))
				*out = cel_bool(ok);
			else if (!ok)
				*out = cel_err(c, "IP Address '%.*s' parse error during conversion from string",
					(int)(a[0].len > 64 ? 64 : a[0].len), a[0].u.s);
			else if (IS(name, "ip"))
				*out = v;
			else {
				ip_text(&v, buf, sizeof(buf));
				*out = cel_bool(strlen(buf) == a[0].len && !memcmp(buf, a[0].u.s, a[0].len));
			}
			return 1;
		}
		if (IS(name, "cidr") || IS(name, "isCIDR")) {
			int ok = parse_cidr(a[0].u.s, a[0].len, &v) == 0;
			if (IS(name, "isCIDR"))
				*out = cel_bool(ok);
			else
				*out = ok ? v : cel_err(c, "network address parse error during conversion from string");
			return 1;
		}
	}
	if (!recv && n == 1 && IS(name, "string") && (a[0].kind == CK_IP || a[0].kind == CK_CIDR)) {
		ip_text(&a[0], buf, sizeof(buf));
		*out = cel_string(c, buf, strlen(buf));
		return 1;
	}
	if (!recv || (a[0].kind != CK_IP && a[0].kind != CK_CIDR))
		return 0;
	if (a[0].kind == CK_IP && n == 1) {
		if (IS(name, "family")) {
			*out = cel_int(a[0].u.ip.family);
			return 1;
		}
		if (ip_test(name, &a[0], &b)) {
			*out = cel_bool(b);
			return 1;
		}
		return 0;
	}
	if (a[0].kind != CK_CIDR)
		return 0;
	if (n == 1) {
		if (IS(name, "prefixLength")) {
			*out = cel_int(a[0].u.ip.prefix);
		} else if (IS(name, "ip")) {
			*out = a[0];
			out->kind = CK_IP;
			out->u.ip.prefix = 0;
		} else if (IS(name, "masked")) {
			*out = masked(a[0]);
		} else {
			return 0;
		}
		return 1;
	}
	if (n == 2 && (IS(name, "containsIP") || IS(name, "containsCIDR"))) {
		int want_cidr = IS(name, "containsCIDR");
		if (a[1].kind == CK_STRING) {
			if ((want_cidr ? parse_cidr(a[1].u.s, a[1].len, &v) : parse_ip(a[1].u.s, a[1].len, &v)) < 0) {
				*out = cel_err(c, "%s parse error", want_cidr ? "network address" : "IP Address");
				return 1;
			}
		} else if (a[1].kind == (want_cidr ? CK_CIDR : CK_IP)) {
			v = a[1];
		} else {
			return 0;
		}
		if (v.u.ip.family != a[0].u.ip.family || (want_cidr && v.u.ip.prefix < a[0].u.ip.prefix))
			*out = cel_bool(0);
		else
			*out = cel_bool(in_prefix(v.u.ip.addr, a[0].u.ip.addr, a[0].u.ip.prefix));
		return 1;
	}
	return 0;
}

/* ---- URLs ------------------------------------------------------------------ */

/* Go's url parser refuses control characters; a space is allowed (escaped in the path) */
static int url_char_ok(unsigned char ch)
{
	return ch >= 0x20 && ch != 0x7f;
}

/* the path as Go's URL.EscapedPath writes it: characters a path may not hold percent-encoded */
static char *escape_path(struct cel_ctx *c, const char *s, size_t len)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/%";
	char *o = cel_alloc(c->mem, 3 * len + 1);
	size_t i, k = 0;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
				(ch && strchr(keep, ch))) {
			o[k++] = (char)ch;
		} else {
			snprintf(o + k, 4, "%%%02X", ch);
			k += 3;
		}
	}
	o[k] = 0;
	return o;
}

static int is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

static char *dupn(struct cel_ctx *c, const char *s, size_t len)
{
	return cel_strndup(c->mem, s, len);
}

/* as Go's url.ParseRequestURI: an absolute URL or an absolute path */
static int parse_url(struct cel_ctx *c, const char *s, size_t len, struct cel_url *u)
{
	size_t i = 0, hs, he, ps, q;

	for (i = 0; i < len; i++)
		if (!url_char_ok((unsigned char)s[i]))
			return -1;
	for (i = 0; i < len; i++)
		if (s[i] == '%' && (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2])))
			return -1;
	memset(u, 0, sizeof(*u));
	u->scheme = u->host = u->port = u->path = u->query = u->hostname = "";
	i = 0;
	if (len && s[0] != '/') {
		if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
			return -1;
		while (i < len && s[i] != ':') {
			char ch = s[i];
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
					ch == '+' || ch == '-' || ch == '.'))
				return -1;
			i++;
		}
		if (i >= len)
			return -1;
		u->scheme = dupn(c, s, i);
		i++;
		if (i >= len || s[i] != '/')
			return -1;
	} else if (!len) {
		return -1;
	}
	if (i + 1 < len && s[i] == '/' && s[i + 1] == '/' && *u->scheme) {
		const char *at;
		i += 2;
		hs = i;
		while (i < len && s[i] != '/' && s[i] != '?')
			i++;
		he = i;
		if (memchr(s + hs, ' ', he - hs))
			return -1; /* no space in the authority */
		at = memchr(s + hs, '@', he - hs);
		if (at)
			hs = (size_t)(at - s) + 1;
		u->host = dupn(c, s + hs, he - hs);
		if (he > hs && s[hs] == '[') {
			const char *rb = memchr(s + hs, ']', he - hs);
			if (!rb)
				return -1;
			u->hostname = dupn(c, s + hs + 1, (size_t)(rb - s) - hs - 1);
			if (rb + 1 < s + he) {
				if (rb[1] != ':')
					return -1;
				u->port = dupn(c, rb + 2, (size_t)(s + he - rb - 2));
			}
		} else {
			const char *colon = memchr(s + hs, ':', he - hs);
			u->hostname = dupn(c, s + hs, colon ? (size_t)(colon - s) - hs : he - hs);
			if (colon)
				u->port = dupn(c, colon + 1, (size_t)(s + he - colon - 1));
		}
		for (q = 0; u->port[q]; q++)
			if (u->port[q] < '0' || u->port[q] > '9')
				return -1;
	}
	ps = i;
	while (i < len && s[i] != '?')
		i++;
	u->path = escape_path(c, s + ps, i - ps);
	if (i < len)
		u->query = dupn(c, s + i + 1, len - i - 1);
	return 0;
}

static int hex(char ch)
{
	return ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

static struct cel_value unescape(struct cel_ctx *c, const char *s, size_t len)
{
	char *o = cel_alloc(c->mem, len + 1);
	size_t i, k = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			o[k++] = ' ';
		} else if (s[i] == '%' && i + 2 < len) {
			o[k++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
			i += 2;
		} else {
			o[k++] = s[i];
		}
	}
	o[k] = 0;
	return cel_string_ref(o, k);
}

/* the query as a map of string to list of strings, keys in first-seen order */
static struct cel_value query_map(struct cel_ctx *c, const char *q)
{
	size_t len = strlen(q), i = 0, n = 0, cap = 1, k;
	struct cel_value m = { CK_MAP, 0, 0, { .items = NULL } };

	for (k = 0; k < len; k++)
		cap += q[k] == '&' || q[k] == ';';
	m.u.items = cel_alloc(c->mem, 2 * cap * sizeof(struct cel_value));
	while (i < len) {
		size_t e = i, eq;
		struct cel_value key, val;
		while (e < len && q[e] != '&' && q[e] != ';')
			e++;
		if (e == i) {
			i = e + 1;
			continue;
		}
		for (eq = i; eq < e && q[eq] != '='; eq++)
			;
		key = unescape(c, q + i, eq - i);
		val = unescape(c, eq < e ? q + eq + 1 : "", eq < e ? e - eq - 1 : 0);
		for (k = 0; k < n; k++)
			if (m.u.items[2 * k].len == key.len && !memcmp(m.u.items[2 * k].u.s, key.u.s, key.len))
				break;
		if (k == n) {
			m.u.items[2 * n] = key;
			m.u.items[2 * n + 1] = cel_list_new(c, cap);
			m.u.items[2 * n + 1].len = 0;
			n++;
		}
		m.u.items[2 * k + 1].u.items[m.u.items[2 * k + 1].len++] = val;
		i = e + 1;
	}
	m.len = (uint32_t)n;
	return m;
}

static int url_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *a, size_t n,
	struct cel_value *out)
{
	struct cel_url u, *pu;

	if (!recv && n == 1 && a[0].kind == CK_STRING && (IS(name, "url") || IS(name, "isURL"))) {
		int ok = parse_url(c, a[0].u.s, a[0].len, &u) == 0;
		if (IS(name, "isURL")) {
			*out = cel_bool(ok);
		} else if (!ok) {
			*out = cel_err(c, "URL parse error during conversion from string");
		} else {
			pu = cel_alloc(c->mem, sizeof(*pu));
			*pu = u;
			out->kind = CK_URL;
			out->flags = 0;
			out->len = 0;
			out->u.url = pu;
		}
		return 1;
	}
	if (!recv || n != 1 || a[0].kind != CK_URL)
		return 0;
	pu = a[0].u.url;
	if (IS(name, "getScheme"))
		*out = cel_string_ref(pu->scheme, strlen(pu->scheme));
	else if (IS(name, "getHost"))
		*out = cel_string_ref(pu->host, strlen(pu->host));
	else if (IS(name, "getHostname"))
		*out = cel_string_ref(pu->hostname, strlen(pu->hostname));
	else if (IS(name, "getPort"))
		*out = cel_string_ref(pu->port, strlen(pu->port));
	else if (IS(name, "getEscapedPath"))
		*out = cel_string_ref(pu->path, strlen(pu->path));
	else if (IS(name, "getQuery"))
		*out = query_map(c, pu->query);
	else
		return 0;
	return 1;
}

int cel_net_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *args, size_t n,
	struct cel_value *out)
{
	return ip_call(c, name, recv, args, n, out) || url_call(c, name, recv, args, n, out);
}
