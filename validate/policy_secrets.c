/*
 * policy_secrets: credentials in pushed files.  Raw bytes of any file are
 * scanned with PCRE2 rules behind cheap literal prefilters (memmem), plus a
 * hand-written scanner for `password: value` style assignments whose value
 * has high entropy.  Secret objects must be SOPS-encrypted throughout.
 * Messages name the rule and the place, never the secret.
 */
#define _GNU_SOURCE /* memmem */
#include "policy_int.h"
#include "gate/utf16.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FINDINGS 100   /* per file */
#define GENERIC_MIN_LEN 10
#define GENERIC_MAX_LEN 200
#define GENERIC_MIN_ENTROPY 3.0

struct secret_rule {
	int check;
	const char *what;          /* in messages */
	const char *pattern;       /* NULL: hand-written scanner */
	const char *prefilter[7];  /* literals, one of which must occur */
};

static const struct secret_rule secret_rules[NSECRET_RULES] = {
	{ CHECK_SECRET_PRIVATE_KEY, "private key block",
		"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----",
		{ "-----BEGIN", NULL } },
	{ CHECK_SECRET_AWS, "aws access key id",
		"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])",
		{ "AKIA", "ASIA", "ABIA", "ACCA", "A3T", NULL } },
	{ CHECK_SECRET_GITHUB, "github token",
		"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})",
		{ "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", NULL } },
	{ CHECK_SECRET_GITLAB, "gitlab token",
		"(?<![A-Za-z0-9_])gl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}",
		{ "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", NULL } },
	{ CHECK_SECRET_SLACK, "slack token",
		"(?<![A-Za-z0-9])xox[abposr]-[0-9A-Za-z-]{10,}|"
		"https://hooks\\.slack\\.com/(?:services|workflows)/[A-Za-z0-9_/]{20,}",
		{ "xox", "hooks.slack.com", NULL } },
	{ CHECK_SECRET_JWT, "json web token",
		"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}",
		{ "eyJ", NULL } },
	{ CHECK_SECRET_GENERIC, "credential assignment with a high-entropy value", NULL,
		{ NULL } },
};

int policy_secrets_compile(struct gate_policy *p, char *msg, size_t msgsize)
{
	size_t i;
	char err[300];

	for (i = 0; i < NSECRET_RULES; i++) {
		if (!secret_rules[i].pattern)
			continue;
		p->secret_re[i] = policy_compile_re(p, secret_rules[i].pattern, 0, err, sizeof(err));
		if (!p->secret_re[i]) {
			snprintf(msg, msgsize, "internal error: secret rule %s: %s",
				policy_check_ids[secret_rules[i].check], err);
			return -1;
		}
	}
	return 0;
}

struct finding {
	size_t off, len;
	int rule;        /* index in secret_rules */
	size_t key_off, key_len; /* generic: the key name */
};

struct findings {
	struct finding v[MAX_FINDINGS];
	size_t n;
	int truncated;
};

static void add_finding(struct findings *f, size_t off, size_t len, int rule,
	size_t key_off, size_t key_len)
{
	if (f->n == MAX_FINDINGS) {
		f->truncated = 1;
		return;
	}
	f->v[f->n].off = off;
	f->v[f->n].len = len;
	f->v[f->n].rule = rule;
	f->v[f->n].key_off = key_off;
	f->v[f->n].key_len = key_len;
	f->n++;
}

/*
 * The first place of each rule's prefilter literals, in one pass over buf:
 * only where the literals' first two bytes occur (a table of those bigrams)
 * are the literals compared.  start[rule] is len for a rule none of whose
 * literals occurs.  One pass instead of one memmem per literal matters:
 * every pushed byte goes through here.
 *
 * The pass looks at 16 bytes at a time (GCC/clang vector extensions: SSE2 on
 * x86-64) with pf_lanes(), a cheap test that passes at least every literal's
 * first bigram (checked once for each literal at start-up: if one is missed,
 * only the byte-by-byte pass runs); the bigram table then confirms each place
 * it passes.  The tail, and builds without vectors, go byte by byte
 * (first_hits_ref, which the tests compare the fast pass with).  The tables
 * are filled once and only read after.
 */
static struct {
	uint8_t bigram[65536 / 8];
	size_t lit_len[NSECRET_RULES][7];
	int vec_ok; /* pf_lanes() passes every literal's first bigram */
} pf;
static pthread_once_t pf_once = PTHREAD_ONCE_INIT;

static int pf_is_bigram(const unsigned char *u)
{
	unsigned b = ((unsigned)u[0] << 8) | u[1];

	return (pf.bigram[b >> 3] >> (b & 7)) & 1;
}

#if defined(__GNUC__) || defined(__clang__)
#define PF_VEC 1
typedef unsigned char pf_u16 __attribute__((vector_size(16)));
typedef signed char pf_v16 __attribute__((vector_size(16)));

/*
 * Lanes i where p[i], p[i + 1] may start a literal (reads p[0..16]): the
 * literals begin "--", "AK", "AS", "AB", "AC", "A3", "gh", "gi", "gl", "xo",
 * "ho", "ey"; A followed by B..S and g followed by h..l pass more than they
 * must, the table sorts those out.
 */
static inline __attribute__((always_inline)) pf_v16 pf_lanes(const unsigned char *p)
{
	pf_u16 a, b;

	memcpy(&a, p, sizeof(a));
	memcpy(&b, p + 1, sizeof(b));
	return ((a == '-') & (b == '-')) | ((a == 'A') & (((pf_u16)(b - 'B') <= 'S' - 'B') | (b == '3'))) |
		((a == 'g') & ((pf_u16)(b - 'h') <= 'l' - 'h')) |
		(((a == 'x') | (a == 'h')) & (b == 'o')) | ((a == 'e') & (b == 'y'));
}

static int pf_lanes_pass(const char *lit)
{
	unsigned char t[17] = { 0 };

	t[0] = (unsigned char)lit[0];
	t[1] = (unsigned char)lit[1];
	return pf_lanes(t)[0] != 0;
}
#endif

static void pf_init(void)
{
	size_t r, i;

	pf.vec_ok = 1;
	for (r = 0; r < NSECRET_RULES; r++)
		for (i = 0; secret_rules[r].prefilter[i]; i++) {
			const unsigned char *l = (const unsigned char *)secret_rules[r].prefilter[i];
			unsigned b = ((unsigned)l[0] << 8) | l[1];

			pf.bigram[b >> 3] |= (uint8_t)(1u << (b & 7));
			pf.lit_len[r][i] = strlen(secret_rules[r].prefilter[i]);
#ifdef PF_VEC
			if (!pf_lanes_pass(secret_rules[r].prefilter[i]))
				pf.vec_ok = 0;
#else
			pf.vec_ok = 0;
#endif
		}
}

/* a literal of an unfound rule at pos (pos + 1 < len)? */
static void pf_check_at(const char *buf, size_t len, size_t pos, size_t start[NSECRET_RULES],
	size_t *todo)
{
	size_t r, i;

	if (!pf_is_bigram((const unsigned char *)buf + pos))
		return;
	for (r = 0; r < NSECRET_RULES; r++) {
		if (start[r] != len)
			continue;
		for (i = 0; secret_rules[r].prefilter[i]; i++) {
			const char *l = secret_rules[r].prefilter[i];
			size_t ll = pf.lit_len[r][i];

			if (l[0] == buf[pos] && l[1] == buf[pos + 1] && ll <= len - pos &&
			    !memcmp(buf + pos, l, ll)) {
				start[r] = pos;
				(*todo)--;
				break;
			}
		}
	}
}

static size_t pf_start(size_t len, size_t start[NSECRET_RULES])
{
	size_t r, todo = 0;

	pthread_once(&pf_once, pf_init);
	for (r = 0; r < NSECRET_RULES; r++) {
		start[r] = len;
		if (secret_rules[r].prefilter[0])
			todo++;
	}
	return todo;
}

/* byte by byte from pos */
static void pf_tail(const char *buf, size_t len, size_t pos, size_t start[NSECRET_RULES],
	size_t todo)
{
	const unsigned char *u = (const unsigned char *)buf;

	for (; todo && pos + 1 < len; pos++)
		if (pf_is_bigram(u + pos))
			pf_check_at(buf, len, pos, start, &todo);
}

void policy_secrets_first_hits_ref(const char *buf, size_t len, size_t start[NSECRET_RULES])
{
	pf_tail(buf, len, 0, start, pf_start(len, start));
}

void policy_secrets_first_hits(const char *buf, size_t len, size_t start[NSECRET_RULES])
{
	size_t todo = pf_start(len, start), pos = 0;
#ifdef PF_VEC
	const unsigned char *u = (const unsigned char *)buf;
	size_t i;

	for (; pf.vec_ok && todo && len > 16 && pos < len - 16; pos += 16) {
		pf_v16 m = pf_lanes(u + pos);
		uint64_t w[2];

		memcpy(w, &m, sizeof(w));
		if (!(w[0] | w[1]))
			continue;
		for (i = 0; i < 16 && todo; i++)
			if (m[i] && pf_is_bigram(u + pos + i))
				pf_check_at(buf, len, pos + i, start, &todo);
	}
#endif
	pf_tail(buf, len, pos, start, todo);
}

static void scan_regex(const struct gate_policy *p, int rule, size_t start, const char *buf,
	size_t len, struct findings *f)
{
	const pcre2_code *re = p->secret_re[rule];
	pcre2_match_data *md;

	if (start == len)
		return;
	/* a literal may sit inside the match ("https://hooks..."): start at its line */
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	md = policy_match_data();
	while (start < len && !f->truncated) {
		int rc = pcre2_match(re, (PCRE2_SPTR)buf, len, start, 0, md, NULL);
		PCRE2_SIZE *ov;

		if (rc < 0)
			break; /* no match, or a match limit: nothing more here */
		ov = pcre2_get_ovector_pointer(md);
		add_finding(f, ov[0], ov[1] - ov[0], rule, 0, 0);
		start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
}

static double entropy(const char *s, size_t len)
{
	unsigned counts[256] = { 0 };
	double h = 0;
	size_t i;

	for (i = 0; i < len; i++)
		counts[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++) {
		if (counts[i]) {
			double q = (double)counts[i] / (double)len;
			h -= q * log2(q);
		}
	}
	return h;
}

static int is_value_char(unsigned char c)
{
	return c > ' ' && c != '"' && c != '\'' && c != '`' && c != ',' && c != ';' &&
		c != '#' && c != '}' && c != ']' && c != ')' && c != 0x7f;
}

/* Values that name or refer to a secret rather than hold one. */
static int is_placeholder(const char *v, size_t len)
{
	static const char *const prefixes[] = {
		"${", "{{", "$(", "ENC[", "<", "%", "*", "/", "./", "~/", "vault:", "ref+",
		"secretref", "file:", "http://", "https://",
	};
	size_t i;
	int kebab = 1, dash = 0;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);
		if (len >= pl && !strncasecmp(v, prefixes[i], pl))
			return 1;
	}
	/* kebab-case or dotted lowercase names: "my-app-token", "db.password" */
	for (i = 0; i < len; i++) {
		char c = v[i];
		if (c == '-' || c == '.' || c == '_')
			dash = 1;
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			kebab = 0;
	}
	return kebab && dash;
}

/* Values that are code or references: os.environ["X"], getenv(X), $X. */
static int code_like(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (v[i] == '(' || v[i] == '[' || v[i] == '{' || v[i] == '$')
			return 1;
	return 0;
}

/* a credential keyword's last letter (lowercase) */
static int kw_last_letter(char c)
{
	return c == 'd' || c == 't' || c == 'n' || c == 'y' || c == 'l' || c == 's';
}

/* a credential keyword's last two letters (lowercase): see the words below */
static inline int kw_last_pair(char a, char b)
{
	switch (b) {
	case 'd':
		return a == 'r' || a == 'w';
	case 't':
	case 'n':
	case 'y':
		return a == 'e';
	case 'l':
		return a == 'a';
	case 's':
		return a == 'l';
	default:
		return 0;
	}
}

static int ends_with_keyword(const char *key, size_t klen, int ref)
{
	/* each word with its length; all lowercase */
#define W(s) { s, sizeof(s) - 1 }
	static const struct { const char *w; size_t n; } words[] = {
		W("password"), W("passwd"), W("pwd"), W("secret"), W("token"), W("apikey"), W("api_key"),
		W("api-key"), W("accesskey"), W("access_key"), W("access-key"), W("secretkey"),
		W("secret_key"), W("secret-key"), W("privatekey"), W("private_key"), W("private-key"),
		W("credential"), W("credentials"),
	};
#undef W
	size_t i;
	char last;

	/* most keys end in no keyword's last letter: decide those at once */
	if (klen < 3)
		return 0;
	last = key[klen - 1] | 0x20;
	if (!kw_last_letter(last) || (!ref && !kw_last_pair(key[klen - 2] | 0x20, last)))
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = words[i].n;
		/* a word whose last letter differs cannot match: no call for it */
		if (words[i].w[wl - 1] == last && klen >= wl &&
		    !strncasecmp(key + klen - wl, words[i].w, wl))
			return 1;
	}
	return 0;
}

/* `key: value` and `key=value` where key ends with a credential word. */
static void scan_generic(const char *buf, size_t len, struct findings *f, int ref)
{
	static const char seps[2] = { ':', '=' };
	int s;

	for (s = 0; s < 2; s++) {
		const char *q = buf, *end = buf + len;

		while (q < end && !f->truncated) {
			const char *sep = memchr(q, seps[s], (size_t)(end - q));
			const char *k, *ke, *v, *ve;
			char quote = 0;

			if (!sep)
				break;
			q = sep + 1;
			/* the key: back over a closing quote and blanks, then name characters */
			ke = sep;
			while (ke > buf && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			if (ke > buf && (ke[-1] == '"' || ke[-1] == '\''))
				ke--;
			if (s == 0 && ke > buf && ke[-1] == ':')
				continue;
			/* the key's last two bytes end no keyword: ends_with_keyword() would say no
			 * after the walk back over the key (only letters |0x20 to a letter; a key of
			 * one byte matches nothing) */
			if (!ref && (ke - buf < 2 || !kw_last_pair(ke[-2] | 0x20, ke[-1] | 0x20)))
				continue;
			k = ke;
			while (k > buf && ke - k < 100 &&
			       ((k[-1] >= 'a' && k[-1] <= 'z') || (k[-1] >= 'A' && k[-1] <= 'Z') ||
				(k[-1] >= '0' && k[-1] <= '9') || k[-1] == '_' || k[-1] == '-' ||
				k[-1] == '.'))
				k--;
			if (k == ke || !ends_with_keyword(k, (size_t)(ke - k), ref))
				continue;
			/* the value */
			v = sep + 1;
			if (s == 0 && v < end && *v == '=')
				v++;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if (v < end && (*v == '"' || *v == '\''))
				quote = *v++;
			ve = v;
			if (quote)
				while (ve < end && ve - v <= GENERIC_MAX_LEN && *ve != quote &&
				       *ve != '\n' && *ve != ' ')
					ve++;
			else
				while (ve < end && ve - v <= GENERIC_MAX_LEN &&
				       is_value_char((unsigned char)*ve))
					ve++;
			if (ve - v < GENERIC_MIN_LEN || ve - v > GENERIC_MAX_LEN)
				continue;
			if (quote && (ve >= end || *ve != quote))
				continue;
			if (is_placeholder(v, (size_t)(ve - v)) || code_like(v, (size_t)(ve - v)))
				continue;
			if (entropy(v, (size_t)(ve - v)) < GENERIC_MIN_ENTROPY)
				continue;
			add_finding(f, (size_t)(v - buf), (size_t)(ve - v),
				CHECK_SECRET_GENERIC - NBUILTIN, (size_t)(k - buf), (size_t)(ke - k));
		}
	}
}

static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->rule - y->rule;
}

static int allowlisted(const struct gate_policy *p, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < p->nsecret_allow; i++)
		if (policy_re_match(p->secret_allow[i], s, len) == 1)
			return 1;
	return 0;
}

/*
 * Streaming: the decoded text goes through a window of WINDOW bytes; each
 * full window is scanned, findings that start in its last DEFER bytes are
 * left for the next window, which begins OVERLAP bytes before the end of
 * this one, so that a secret across the boundary is seen whole with at least
 * OVERLAP - DEFER bytes of context (a key name) before it.  Memory stays
 * below WINDOW + OVERLAP plus one piece fed, whatever the file's size.
 */
#define WINDOW ((size_t)1 << 20)
#define OVERLAP ((size_t)4096)
#define DEFER ((size_t)2048)

struct gate_policy_scan {
	const struct gate_policy *p;
	struct pctx c;
	int skip;
	int enc;                  /* enum gate_utf16, -1 while undecided */
	struct gate_buf head;     /* bytes held until the encoding is decided */
	struct gate_buf carry;    /* UTF-16 bytes not decoded yet */
	struct gate_buf win;      /* decoded text */
	size_t win_abs;           /* offset of the window's first byte in the decoded text */
	const char *direct;       /* a whole UTF-8 buffer scanned in place (borrowed), or NULL */
	size_t direct_len;
	size_t reported_upto;     /* findings before this offset were handled */
	size_t last_end;          /* end of the last reported finding */
	size_t cur_abs, cur_line, line_start_abs; /* line counting, up to cur_abs */
	size_t nfound;
	int truncated;
	struct findings *f;
};

/* Count lines up to the absolute offset abs (which must be in the window or before). */
static void advance(struct gate_policy_scan *s, size_t abs)
{
	for (; s->cur_abs < abs; s->cur_abs++)
		if ((s->direct ? s->direct[s->cur_abs] : s->win.ptr[s->cur_abs - s->win_abs]) == '\n') {
			s->cur_line++;
			s->line_start_abs = s->cur_abs + 1;
		}
}

static void scan_window(struct gate_policy_scan *s, int final)
{
	const struct gate_policy *p = s->p;
	const char *buf = s->direct ? s->direct + s->win_abs : s->win.ptr;
	size_t len = s->win.len, limit, i, start[NSECRET_RULES], drop;
	struct findings *f = s->f;
	int rule;

	if (s->direct)
		len = s->direct_len - s->win_abs < WINDOW + OVERLAP ? s->direct_len - s->win_abs :
			WINDOW + OVERLAP;
	limit = final || len <= DEFER ? len : len - DEFER;
	f->n = 0;
	f->truncated = 0;
	if (len) {
		if (p->secret_scan_ref)
			policy_secrets_first_hits_ref(buf, len, start);
		else
			policy_secrets_first_hits(buf, len, start);
		for (rule = 0; rule < NSECRET_RULES; rule++) {
			if (p->level[NBUILTIN + rule] == LEVEL_OFF)
				continue;
			if (secret_rules[rule].pattern)
				scan_regex(p, rule, start[rule], buf, len, f);
			else
				scan_generic(buf, len, f, p->secret_scan_ref);
		}
		qsort(f->v, f->n, sizeof(f->v[0]), cmp_finding);
	}
	for (i = 0; i < f->n && !s->truncated; i++) {
		const struct finding *x = &f->v[i];
		size_t abs = s->win_abs + x->off;
		int check = secret_rules[x->rule].check;
		struct gate_node at;

		if (x->off >= limit)
			break; /* seen again, whole, in the next window */
		if (abs < s->reported_upto || (s->nfound && abs < s->last_end))
			continue; /* handled in the last window, or overlaps a finding */
		if (allowlisted(p, buf + x->off, x->len))
			continue;
		if (s->nfound == MAX_FINDINGS) {
			s->truncated = 1;
			break;
		}
		s->nfound++;
		s->last_end = abs + x->len;
		advance(s, abs);
		memset(&at, 0, sizeof(at));
		at.line = (uint32_t)s->cur_line;
		at.col = (uint32_t)(abs - s->line_start_abs + 1);
		if (x->key_len)
			policy_report(&s->c, policy_check_ids[check],
				(enum gate_severity)p->level[check], &at, NULL,
				"%s for \"%.*s\"", secret_rules[x->rule].what,
				(int)(x->key_len > 60 ? 60 : x->key_len), buf + x->key_off);
		else
			policy_report(&s->c, policy_check_ids[check],
				(enum gate_severity)p->level[check], &at, NULL, "%s",
				secret_rules[x->rule].what);
	}
	if (f->truncated)
		s->truncated = 1;
	s->reported_upto = s->win_abs + limit;
	if (final || len <= OVERLAP)
		return;
	/* keep the last OVERLAP bytes */
	drop = len - OVERLAP;
	advance(s, s->win_abs + drop);
	if (s->direct) {
		s->win_abs += drop;
		return;
	}
	memmove(s->win.ptr, s->win.ptr + drop, OVERLAP);
	s->win.len = OVERLAP;
	s->win.ptr[OVERLAP] = '\0';
	s->win_abs += drop;
}

/* Add bytes to the window, a slice at a time, so that one large piece costs no copy of it. */
static void take(struct gate_policy_scan *s, const char *buf, size_t len, int final)
{
	do {
		size_t n = len < WINDOW / 2 ? len : WINDOW / 2, used;

		if (s->enc == GATE_UTF16_NONE) {
			gate_buf_add(&s->win, buf, n);
		} else {
			gate_buf_add(&s->carry, buf, n);
			used = gate_utf16_decode(&s->win, s->carry.ptr ? s->carry.ptr : "", s->carry.len,
				(enum gate_utf16)s->enc, final && n == len);
			memmove(s->carry.ptr, s->carry.ptr + used, s->carry.len - used);
			s->carry.len -= used;
		}
		buf += n;
		len -= n;
		while (s->win.len >= WINDOW + OVERLAP && !s->truncated)
			scan_window(s, 0);
		if (s->truncated) {
			s->win.len = 0; /* nothing more will be reported */
			return;
		}
	} while (len);
}

/* Decide the encoding from the bytes held, then feed them. */
static void decide(struct gate_policy_scan *s, int final)
{
	size_t bom;

	s->enc = (int)gate_utf16_detect(s->head.ptr ? s->head.ptr : "", s->head.len, 1, &bom);
	take(s, s->head.ptr ? s->head.ptr + bom : "", s->head.len - bom, final);
	gate_buf_release(&s->head);
}

struct gate_policy_scan *gate_policy_scan_start(const struct gate_policy *p, const char *filename,
	struct gate_result *res)
{
	struct gate_policy_scan *s = gate_xcalloc(1, sizeof(*s));
	size_t i;

	s->p = p;
	s->c.p = p;
	s->c.filename = filename ? filename : "";
	s->c.res = res;
	s->enc = -1;
	s->cur_line = 1;
	s->skip = p->opts.no_secret_scanning;
	for (i = 0; i < p->nsecret_skip && !s->skip; i++)
		if (gate_glob_match(p->secret_skip[i], s->c.filename))
			s->skip = 1;
	if (!s->skip)
		s->f = gate_xmalloc(sizeof(*s->f));
	return s;
}

int gate_policy_scan_feed(struct gate_policy_scan *s, const char *buf, size_t len)
{
	if (s->skip || !len || s->truncated)
		return 0;
	if (s->enc < 0) {
		gate_buf_add(&s->head, buf, len);
		if (s->head.len >= GATE_UTF16_PROBE)
			decide(s, 0);
		return 0;
	}
	take(s, buf, len, 0);
	return 0;
}

int gate_policy_scan_finish(struct gate_policy_scan *s)
{
	struct gate_result *res;

	if (!s)
		return 0;
	res = s->c.res;
	if (!s->skip) {
		if (s->enc < 0)
			decide(s, 1);
		else if (s->carry.len)
			take(s, "", 0, 1);
		if (!s->truncated)
			scan_window(s, 1);
		if (s->truncated) {
			gate_result_add_problem(res, NULL, 0, 0, "secret-scan", GATE_SEV_DENY,
				"more than 100 possible secrets: scanning stopped");
			if (res->status == GATE_STATUS_VALID)
				res->status = GATE_STATUS_INVALID;
		}
	}
	gate_buf_release(&s->head);
	gate_buf_release(&s->carry);
	gate_buf_release(&s->win);
	free(s->f);
	free(s);
	return 0;
}

int gate_policy_scan_secrets(const struct gate_policy *p, const char *filename,
	const char *buf, size_t len, struct gate_result *res)
{
	struct gate_policy_scan *s;
	size_t bom;

	if (p->opts.no_secret_scanning || !len)
		return 0;
	if (len > gate_policy_scan_max_bytes(p)) {
		gate_policy_scan_too_large(p, filename, len, res);
		return 0;
	}
	s = gate_policy_scan_start(p, filename, res);
	if (!s->skip && gate_utf16_detect(buf, len, 1, &bom) == GATE_UTF16_NONE) {
		/* in memory already: the same windows, over the caller's bytes, without a copy */
		s->enc = GATE_UTF16_NONE;
		s->direct = buf;
		s->direct_len = len;
		while (!s->truncated) {
			int final = len - s->win_abs <= WINDOW + OVERLAP;
			scan_window(s, final);
			if (final)
				break;
		}
		s->direct = NULL;
		s->win_abs = len;
		s->cur_abs = len; /* nothing is left to count lines in */
		return gate_policy_scan_finish(s);
	}
	gate_policy_scan_feed(s, buf, len);
	return gate_policy_scan_finish(s);
}

size_t gate_policy_scan_max_bytes(const struct gate_policy *p)
{
	return p->opts.secret_scan_max_bytes ? p->opts.secret_scan_max_bytes : GATE_POLICY_SCAN_MAX_BYTES;
}

void gate_policy_scan_too_large(const struct gate_policy *p, const char *filename, size_t size,
	struct gate_result *res)
{
	struct pctx c;
	struct gate_node at;
	enum gate_severity sev = p->opts.secret_scan_too_large_warn ? GATE_SEV_WARN : GATE_SEV_DENY;

	if (p->opts.no_secret_scanning)
		return;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.filename = filename ? filename : "";
	c.res = res;
	memset(&at, 0, sizeof(at));
	policy_report(&c, "secret-scan", sev, &at, NULL, "file of %zu bytes is larger than the "
		"%zu bytes the secret scanner reads: not scanned", size, gate_policy_scan_max_bytes(p));
}

static int is_enc(const struct gate_node *v)
{
	return v->type == GATE_NODE_STRING && v->len >= 5 && !strncmp(v->u.str, "ENC[", 4) &&
		v->u.str[v->len - 1] == ']';
}

void policy_secret_object(struct pctx *c)
{
	static const char *const fields[2] = { "data", "stringData" };
	const struct gate_node *sops, *mac;
	const char *name = c->id->name ? c->id->name : "";
	enum gate_severity sev = (enum gate_severity)c->p->level[CHECK_SECRET_PLAINTEXT];
	const char *id = policy_check_ids[CHECK_SECRET_PLAINTEXT];
	int encrypted, f;
	size_t reported = 0;

	if (c->id->group[0] || !c->id->kind || strcmp(c->id->kind, "Secret"))
		return;
	sops = gate_node_get(c->root, "sops");
	mac = sops && sops->type == GATE_NODE_OBJECT ? gate_node_get(sops, "mac") : NULL;
	encrypted = mac && mac->type == GATE_NODE_STRING && mac->len > 0;
	for (f = 0; f < 2; f++) {
		const struct gate_node *d = gate_node_get(c->root, fields[f]);
		size_t i;

		if (!d || d->type != GATE_NODE_OBJECT || !d->len)
			continue;
		if (!encrypted) {
			policy_report(c, id, sev, d, f ? "/stringData" : "/data",
				"secret \"%.100s\" holds plaintext values in %s: encrypt it with sops "
				"or use a SealedSecret or ExternalSecret", name, fields[f]);
			continue;
		}
		for (i = 0; i < d->len && reported < 20; i++) {
			char ptr[300];
			size_t plen = 0;

			if (is_enc(&d->u.members[i].value))
				continue;
			ptr[0] = '\0';
			policy_ptr_add(ptr, &plen, sizeof(ptr), fields[f]);
			policy_ptr_add(ptr, &plen, sizeof(ptr), d->u.members[i].key);
			policy_report(c, id, sev, &d->u.members[i].value, ptr,
				"secret \"%.100s\" is only partly encrypted: key \"%.100s\" in %s is "
				"not sops-encrypted", name, d->u.members[i].key, fields[f]);
			reported++;
		}
	}
}
