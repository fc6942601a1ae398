/*
 * cel_parse.c: CEL source text to a syntax tree (lexer and recursive-descent
 * parser following the grammar of cel-spec's langdef.md), macro expansion
 * (has, all, exists, exists_one, map, filter) and compilation of literal
 * regular expressions.  Nesting is bounded by CEL_MAX_DEPTH.
 */
#include "cel_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok {
	T_EOF = 0, T_INT, T_UINT, T_DOUBLE, T_STRING, T_BYTES, T_IDENT,
	T_TRUE, T_FALSE, T_NULL, T_IN, T_RESERVED, T_QIDENT,
	T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_LBRACE, T_RBRACE,
	T_DOT, T_COMMA, T_COLON, T_QUESTION,
	T_OR, T_AND, T_NOT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT
};

struct parser {
	const char *src;
	size_t len, pos;
	struct gate_cel_program *prog;
	/* current token */
	int tok;
	size_t tpos;
	const char *tstr; /* identifier or decoded string (program arena) */
	size_t tlen;
	uint64_t tint;
	double tdouble;
	int depth;
	int failed;
	char *msg;
	size_t msgsize;
};

static void perr(struct parser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	char text[200];
	size_t i, line = 1, col = 1;
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	for (i = 0; i < pos && i < p->len; i++) {
		if (p->src[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)p->src[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	gate_set_msg(p->msg, p->msgsize, "%zu:%zu: %s", line, col, text);
}

static const char *const reserved[] = {
	"as", "break", "const", "continue", "else", "for", "function", "if", "import",
	"let", "loop", "package", "namespace", "return", "var", "void", "while", NULL
};

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static void put_utf8(struct gate_buf *b, uint32_t cp)
{
	if (cp < 0x80) {
		gate_buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		gate_buf_addc(b, (char)(0xc0 | (cp >> 6)));
		gate_buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		gate_buf_addc(b, (char)(0xe0 | (cp >> 12)));
		gate_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		gate_buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		gate_buf_addc(b, (char)(0xf0 | (cp >> 18)));
		gate_buf_addc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		gate_buf_addc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		gate_buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* one escape sequence after the backslash at s[*i]; 0 or -1 */
static int lex_escape(struct parser *p, size_t *i, int bytes, struct gate_buf *b)
{
	const char *s = p->src;
	int ch = s[*i], k, n, v;
	uint32_t cp = 0;

	(*i)++;
	switch (ch) {
	case 'a': gate_buf_addc(b, '\a'); return 0;
	case 'b': gate_buf_addc(b, '\b'); return 0;
	case 'f': gate_buf_addc(b, '\f'); return 0;
	case 'n': gate_buf_addc(b, '\n'); return 0;
	case 'r': gate_buf_addc(b, '\r'); return 0;
	case 't': gate_buf_addc(b, '\t'); return 0;
	case 'v': gate_buf_addc(b, '\v'); return 0;
	case '\\': case '\'': case '"': case '`': case '?':
		gate_buf_addc(b, (char)ch);
		return 0;
	case 'x': case 'X': case 'u': case 'U':
		n = (ch == 'x' || ch == 'X') ? 2 : ch == 'u' ? 4 : 8;
		if (!bytes || n == 2) {
			for (k = 0; k < n; k++) {
				if (*i >= p->len || (v = hexval(s[*i])) < 0)
					return -1;
				cp = cp * 16 + (uint32_t)v;
				(*i)++;
			}
			if (n > 2 && bytes)
				return -1;
			if (bytes)
				gate_buf_addc(b, (char)cp);
			else if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				return -1;
			else
				put_utf8(b, cp);
			return 0;
		}
		return -1;
	default:
		if (ch >= '0' && ch <= '3') {
			cp = (uint32_t)(ch - '0');
			for (k = 0; k < 2; k++) {
				if (*i >= p->len || s[*i] < '0' || s[*i] > '7')
					return -1;
				cp = cp * 8 + (uint32_t)(s[*i] - '0');
				(*i)++;
			}
			if (bytes)
				gate_buf_addc(b, (char)cp);
			else
				put_utf8(b, cp);
			return 0;
		}
		return -1;
	}
}

static int lex_string(struct parser *p, size_t i, int raw, int bytes)
{
	const char *s = p->src;
	char q = s[i];
	int triple = i + 2 < p->len && s[i + 1] == q && s[i + 2] == q;
	struct gate_buf b = GATE_BUF_INIT;

	i += triple ? 3 : 1;
	for (;;) {
		if (i >= p->len) {
			gate_buf_release(&b);
			perr(p, p->tpos, "unterminated string literal");
			return -1;
		}
		if (triple ? (i + 2 < p->len && s[i] == q && s[i + 1] == q && s[i + 2] == q) : s[i] == q)
			break;
		if (!triple && (s[i] == '\n' || s[i] == '\r')) {
			gate_buf_release(&b);
			perr(p, i, "newline in a quoted string");
			return -1;
		}
		if (s[i] == '\\' && !raw) {
			i++;
			if (i >= p->len || lex_escape(p, &i, bytes, &b) < 0) {
				gate_buf_release(&b);
				perr(p, i, "invalid escape sequence");
				return -1;
			}
			continue;
		}
		gate_buf_addc(&b, s[i]);
		i++;
	}
	p->pos = i + (triple ? 3 : 1);
	p->tok = bytes ? T_BYTES : T_STRING;
	p->tlen = b.len;
	p->tstr = cel_strndup(&p->prog->mem, b.ptr ? b.ptr : "", b.len);
	gate_buf_release(&b);
	return 0;
}

static int lex_number(struct parser *p, size_t i)
{
	const char *s = p->src;
	size_t start = i;
	int is_double = 0;
	char buf[128];

	if (s[i] == '0' && i + 1 < p->len && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		uint64_t v = 0;
		i += 2;
		if (i >= p->len || hexval(s[i]) < 0) {
			perr(p, start, "invalid hex literal");
			return -1;
		}
		while (i < p->len && hexval(s[i]) >= 0) {
			if (v >> 60) {
				perr(p, start, "integer literal out of range");
				return -1;
			}
			v = v * 16 + (uint64_t)hexval(s[i++]);
		}
		p->tint = v;
		goto suffix;
	}
	while (i < p->len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i + 1 < p->len && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
		is_double = 1;
		i++;
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		size_t k = i + 1;
		if (k < p->len && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k < p->len && s[k] >= '0' && s[k] <= '9') {
			is_double = 1;
			i = k;
			while (i < p->len && s[i] >= '0' && s[i] <= '9')
				i++;
		}
	}
	if (i - start >= sizeof(buf)) {
		perr(p, start, "number literal too long");
		return -1;
	}
	memcpy(buf, s + start, i - start);
	buf[i - start] = 0;
	if (is_double) {
		p->tdouble = strtod(buf, NULL);
		p->tok = T_DOUBLE;
		p->pos = i;
		return 0;
	}
	errno = 0;
	p->tint = strtoull(buf, NULL, 10);
	if (errno) {
		perr(p, start, "integer literal out of range");
		return -1;
	}
suffix:
	if (i < p->len && (s[i] == 'u' || s[i] == 'U')) {
		p->tok = T_UINT;
		i++;
	} else {
		p->tok = T_INT;
	}
	p->pos = i;
	return 0;
}

static int is_ident_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static int is_ident_char(int ch)
{
	return is_ident_start(ch) || (ch >= '0' && ch <= '9');
}

/* an identifier, a keyword, or a string with an r/b prefix, starting at s[i] */
static int lex_word(struct parser *p, size_t i)
{
	const char *s = p->src;
	size_t k = i;
	int raw = 0, bytes = 0;
	/* string prefixes: r, b, rb, br in any case */
	while (k < p->len && k - i < 2 && s[k] && strchr("rRbB", s[k])) {
		if (s[k] == 'r' || s[k] == 'R')
			raw++;
		else
			bytes++;
		k++;
	}
	if (k > i && k < p->len && (s[k] == '"' || s[k] == '\'') && raw <= 1 && bytes <= 1)
		return lex_string(p, k, raw, bytes);
	k = i;
	while (k < p->len && is_ident_char((unsigned char)s[k]))
		k++;
	p->pos = k;
	p->tstr = s + i;
	p->tlen = k - i;
	p->tok = T_IDENT;
	if (p->tlen == 4 && !memcmp(s + i, "true", 4))
		p->tok = T_TRUE;
	else if (p->tlen == 5 && !memcmp(s + i, "false", 5))
		p->tok = T_FALSE;
	else if (p->tlen == 4 && !memcmp(s + i, "null", 4))
		p->tok = T_NULL;
	else if (p->tlen == 2 && !memcmp(s + i, "in", 2))
		p->tok = T_IN;
	else {
		const char *const *r;
		/* a reserved word: a field or function name after '.', nothing else */
		for (r = reserved; *r; r++)
			if (strlen(*r) == p->tlen && !memcmp(*r, s + i, p->tlen))
				p->tok = T_RESERVED;
	}
	return 0;
}

static int next(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->pos;
	int ch;

	for (;;) {
		while (i < p->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f'))
			i++;
		if (i + 1 < p->len && s[i] == '/' && s[i + 1] == '/') {
			while (i < p->len && s[i] != '\n')
				i++;
			continue;
		}
		break;
	}
	p->tpos = i;
	if (i >= p->len) {
		p->tok = T_EOF;
		p->pos = i;
		return 0;
	}
	ch = (unsigned char)s[i];
	if (ch >= '0' && ch <= '9')
		return lex_number(p, i);
	if (ch == '.' && i + 1 < p->len && s[i + 1] >= '0' && s[i + 1] <= '9')
		return lex_number(p, i);
	if (ch == '"' || ch == '\'')
		return lex_string(p, i, 0, 0);
	if (is_ident_start(ch))
		return lex_word(p, i);
	if (ch == '`') {
		/* a quoted field name: `content-type` */
		size_t k = i + 1;
		while (k < p->len && p->src[k] != '`' && p->src[k] != '\n')
			k++;
		if (k >= p->len || p->src[k] != '`' || k == i + 1) {
			perr(p, i, "unterminated quoted identifier");
			return -1;
		}
		p->tok = T_QIDENT;
		p->tstr = s + i + 1;
		p->tlen = k - i - 1;
		p->pos = k + 1;
		return 0;
	}
	p->pos = i + 1;
#define TWO(c2, t2, t1) \
	if (i + 1 < p->len && s[i + 1] == (c2)) { p->pos = i + 2; p->tok = (t2); } else { p->tok = (t1); } \
	return 0
	switch (ch) {
	case '(': p->tok = T_LPAREN; return 0;
	case ')': p->tok = T_RPAREN; return 0;
	case '[': p->tok = T_LBRACK; return 0;
	case ']': p->tok = T_RBRACK; return 0;
	case '{': p->tok = T_LBRACE; return 0;
	case '}': p->tok = T_RBRACE; return 0;
	case '.': p->tok = T_DOT; return 0;
	case ',': p->tok = T_COMMA; return 0;
	case ':': p->tok = T_COLON; return 0;
	case '?': p->tok = T_QUESTION; return 0;
	case '+': p->tok = T_PLUS; return 0;
	case '-': p->tok = T_MINUS; return 0;
	case '*': p->tok = T_STAR; return 0;
	case '/': p->tok = T_SLASH; return 0;
	case '%': p->tok = T_PERCENT; return 0;
	case '<': TWO('=', T_LE, T_LT);
	case '>': TWO('=', T_GE, T_GT);
	case '!': TWO('=', T_NE, T_NOT);
	case '=':
		if (i + 1 < p->len && s[i + 1] == '=') {
			p->pos = i + 2;
			p->tok = T_EQ;
			return 0;
		}
		break;
	case '&':
		if (i + 1 < p->len && s[i + 1] == '&') {
			p->pos = i + 2;
			p->tok = T_AND;
			return 0;
		}
		break;
	case '|':
		if (i + 1 < p->len && s[i + 1] == '|') {
			p->pos = i + 2;
			p->tok = T_OR;
			return 0;
		}
		break;
	default:
		break;
	}
#undef TWO
	perr(p, i, "unexpected character '%s%c'", ch < 0x20 || ch >= 0x7f ? "\\x" : "",
		ch < 0x20 || ch >= 0x7f ? '?' : ch);
	return -1;
}

/* ---- tree ------------------------------------------------------------------ */

static struct cel_ast *node(struct parser *p, int op, size_t pos, size_t nargs)
{
	struct cel_ast *a = cel_alloc(&p->prog->mem, sizeof(*a));

	memset(a, 0, sizeof(*a));
	a->op = (uint8_t)op;
	a->pos = (uint32_t)pos;
	a->nargs = (uint16_t)nargs;
	if (nargs)
		a->a = cel_alloc(&p->prog->mem, nargs * sizeof(*a->a));
	return a;
}

static struct cel_ast *unary_node(struct parser *p, int op, size_t pos, struct cel_ast *x)
{
	struct cel_ast *a = node(p, op, pos, 1);
	a->a[0] = x;
	return a;
}

static struct cel_ast *binary(struct parser *p, int op, size_t pos, struct cel_ast *x, struct cel_ast *y)
{
	struct cel_ast *a = node(p, op, pos, 2);
	a->a[0] = x;
	a->a[1] = y;
	return a;
}

static int expect(struct parser *p, int tok, const char *what)
{
	if (p->failed)
		return -1;
	if (p->tok != tok) {
		perr(p, p->tpos, "expected %s", what);
		return -1;
	}
	return next(p);
}

static struct cel_ast *expr(struct parser *p);

static struct cel_ast *unary_node(struct parser *p, int op, size_t pos, struct cel_ast *x);

/*
 * comma-separated expressions up to close; a trailing comma is allowed;
 * with opt, an element may be "?expr" (an optional element of a list literal)
 */
static int expr_list(struct parser *p, int close, int opt, struct cel_ast ***out, size_t *n)
{
	struct cel_ast **v = NULL;
	size_t cnt = 0, alloc = 0;

	while (p->tok != close && !p->failed) {
		struct cel_ast *e;
		size_t pos = p->tpos;
		int optional = 0;
		if (opt && p->tok == T_QUESTION) {
			optional = 1;
			if (next(p) < 0)
				break;
		}
		if (!(e = expr(p)))
			break;
		if (optional)
			e = unary_node(p, CO_OPT_ENTRY, pos, e);
		GATE_ALLOC_GROW(v, cnt + 1, alloc);
		v[cnt++] = e;
		if (p->tok != T_COMMA)
			break;
		if (next(p) < 0)
			break;
	}
	if (p->failed || cnt > 0xffff) {
		free(v);
		if (!p->failed)
			perr(p, p->tpos, "too many arguments");
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static struct cel_ast *finish_call(struct parser *p, struct cel_ast *recv, const char *name,
	size_t nlen, size_t pos)
{
	struct cel_ast **args = NULL, *a;
	size_t n = 0, off = recv ? 1 : 0, i;
	static const struct {
		const char *name;
		int op;
		size_t nargs;
	} macros[] = {
		{ "all", CO_ALL, 2 }, { "exists", CO_EXISTS, 2 }, { "exists_one", CO_EXISTS_ONE, 2 },
		{ "map", CO_MAP_MACRO, 2 }, { "map", CO_MAP_MACRO, 3 }, { "filter", CO_FILTER, 2 },
		{ "existsOne", CO_EXISTS_ONE, 2 }, { "optMap", CO_OPT_MAP, 2 }, { "optFlatMap", CO_OPT_FLATMAP, 2 },
	};

	if (next(p) < 0 || expr_list(p, T_RPAREN, 0, &args, &n) < 0 || expect(p, T_RPAREN, "')'") < 0) {
		free(args);
		return NULL;
	}
	if (!recv && nlen == 3 && !memcmp(name, "has", 3)) {
		a = n == 1 && args[0]->op == CO_SELECT ? args[0] : NULL;
		free(args);
		if (!a) {
			perr(p, pos, "invalid argument to has() macro");
			return NULL;
		}
		a->op = CO_HAS;
		return a;
	}
	if (recv && n == 3 && args[0]->op == CO_IDENT && args[1]->op == CO_IDENT &&
			((nlen == 3 && !memcmp(name, "all", 3)) || (nlen == 6 && !memcmp(name, "exists", 6)) ||
			 (nlen == 10 && !memcmp(name, "exists_one", 10)) || (nlen == 9 && !memcmp(name, "existsOne", 9)))) {
		/* two variables: index (or key) and value */
		a = node(p, name[0] == 'a' ? CO_ALL : nlen == 6 ? CO_EXISTS : CO_EXISTS_ONE, pos, 2);
		a->a[0] = recv;
		a->a[1] = args[2];
		a->name = args[0]->name;
		a->name_len = args[0]->name_len;
		a->name2 = args[1]->name;
		a->name2_len = args[1]->name_len;
		free(args);
		return a;
	}
	if (recv) {
		for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
			if (strlen(macros[i].name) != nlen || memcmp(macros[i].name, name, nlen) || n != macros[i].nargs)
				continue;
			if (args[0]->op != CO_IDENT) {
				free(args);
				perr(p, pos, "argument is not an identifier");
				return NULL;
			}
			a = node(p, macros[i].op, pos, 1 + n - 1);
			a->a[0] = recv;
			a->name = args[0]->name;
			a->name_len = args[0]->name_len;
			memcpy(a->a + 1, args + 1, (n - 1) * sizeof(*args));
			free(args);
			return a;
		}
		/* namespaced functions: optional.of(x), strings.quote(x), ... */
		if (recv->op == CO_IDENT && ((recv->name_len == 8 && !memcmp(recv->name, "optional", 8)) ||
				(recv->name_len == 7 && !memcmp(recv->name, "strings", 7)) ||
				(recv->name_len == 4 && !memcmp(recv->name, "math", 4)) ||
				(recv->name_len == 2 && !memcmp(recv->name, "ip", 2) && nlen == 11 &&
				 !memcmp(name, "isCanonical", 11)))) {
			char *full = cel_alloc(&p->prog->mem, recv->name_len + 1 + nlen + 1);
			memcpy(full, recv->name, recv->name_len);
			full[recv->name_len] = '.';
			memcpy(full + recv->name_len + 1, name, nlen);
			full[recv->name_len + 1 + nlen] = 0;
			name = full;
			nlen = recv->name_len + 1 + nlen;
			recv = NULL;
			off = 0;
		}
	}
	a = node(p, CO_CALL, pos, n + off);
	a->recv = recv ? 1 : 0;
	a->name = cel_strndup(&p->prog->mem, name, nlen);
	a->name_len = (uint32_t)nlen;
	if (recv)
		a->a[0] = recv;
	if (n)
		memcpy(a->a + off, args, n * sizeof(*args));
	free(args);
	return a;
}

static struct cel_ast *map_literal(struct parser *p, size_t pos)
{
	struct cel_ast **v = NULL, *a;
	size_t cnt = 0, alloc = 0;

	if (next(p) < 0)
		return NULL;
	while (p->tok != T_RBRACE && !p->failed) {
		struct cel_ast *k, *val;
		size_t epos = p->tpos;
		int optional = 0;
		if (p->tok == T_QUESTION) {
			optional = 1;
			if (next(p) < 0)
				break;
		}
		if (!(k = expr(p)) || expect(p, T_COLON, "':'") < 0 || !(val = expr(p)))
			break;
		if (optional)
			val = unary_node(p, CO_OPT_ENTRY, epos, val);
		GATE_ALLOC_GROW(v, cnt + 2, alloc);
		v[cnt++] = k;
		v[cnt++] = val;
		if (p->tok != T_COMMA)
			break;
		if (next(p) < 0)
			break;
	}
	if (p->failed || expect(p, T_RBRACE, "'}'") < 0 || cnt > 0xffff) {
		free(v);
		if (!p->failed)
			perr(p, pos, "map literal too large");
		return NULL;
	}
	a = node(p, CO_MAP, pos, cnt);
	if (cnt)
		memcpy(a->a, v, cnt * sizeof(*v));
	free(v);
	return a;
}

static struct cel_ast *primary(struct parser *p)
{
	struct cel_ast *a, **v = NULL;
	size_t pos = p->tpos, n = 0;

	switch (p->tok) {
	case T_INT:
		if (p->tint > INT64_MAX) {
			perr(p, pos, "integer literal out of range");
			return NULL;
		}
		a = node(p, CO_LIT, pos, 0);
		a->lit = cel_int((int64_t)p->tint);
		break;
	case T_UINT:
		a = node(p, CO_LIT, pos, 0);
		a->lit = cel_uint(p->tint);
		break;
	case T_DOUBLE:
		a = node(p, CO_LIT, pos, 0);
		a->lit = cel_double(p->tdouble);
		break;
	case T_STRING:
	case T_BYTES:
		a = node(p, CO_LIT, pos, 0);
		a->lit = cel_string_ref(p->tstr, p->tlen);
		if (p->tok == T_BYTES)
			a->lit.kind = CK_BYTES;
		else if (cel_utf8_count(p->tstr, p->tlen) < 0) {
			perr(p, pos, "invalid UTF-8 in string literal");
			return NULL;
		}
		break;
	case T_TRUE:
	case T_FALSE:
		a = node(p, CO_LIT, pos, 0);
		a->lit = cel_bool(p->tok == T_TRUE);
		break;
	case T_NULL:
		a = node(p, CO_LIT, pos, 0);
		a->lit = cel_null();
		break;
	case T_DOT:
		if (next(p) < 0)
			return NULL;
		if (p->tok != T_IDENT) {
			perr(p, p->tpos, "expected identifier");
			return NULL;
		}
		/* a leading dot names the root scope */
		__attribute__((fallthrough));
	case T_IDENT: {
		const char *name = p->tstr;
		size_t nlen = p->tlen;
		if (next(p) < 0)
			return NULL;
		if (p->tok == T_LPAREN)
			return finish_call(p, NULL, name, nlen, pos);
		a = node(p, CO_IDENT, pos, 0);
		a->name = cel_strndup(&p->prog->mem, name, nlen);
		a->name_len = (uint32_t)nlen;
		return a;
	}
	case T_RESERVED:
		perr(p, pos, "reserved identifier '%.*s'", (int)p->tlen, p->tstr);
		return NULL;
	case T_LPAREN:
		if (next(p) < 0 || !(a = expr(p)) || expect(p, T_RPAREN, "')'") < 0)
			return NULL;
		return a;
	case T_LBRACK:
		if (next(p) < 0 || expr_list(p, T_RBRACK, 1, &v, &n) < 0)
			return NULL;
		if (expect(p, T_RBRACK, "']'") < 0) {
			free(v);
			return NULL;
		}
		a = node(p, CO_LIST, pos, n);
		if (n)
			memcpy(a->a, v, n * sizeof(*v));
		free(v);
		return a;
	case T_LBRACE:
		return map_literal(p, pos);
	default:
		perr(p, pos, p->tok == T_EOF ? "unexpected end of expression" : "unexpected token");
		return NULL;
	}
	if (next(p) < 0)
		return NULL;
	return a;
}

static struct cel_ast *member(struct parser *p)
{
	struct cel_ast *a = primary(p), *b;

	while (a && !p->failed) {
		size_t pos = p->tpos;
		if (p->tok == T_DOT) {
			int opt = 0;
			if (next(p) < 0)
				return NULL;
			if (p->tok == T_QUESTION) {
				opt = 1;
				if (next(p) < 0)
					return NULL;
			}
			if (p->tok != T_IDENT && p->tok != T_RESERVED && p->tok != T_QIDENT) {
				perr(p, p->tpos, "expected field name");
				return NULL;
			}
			{
				const char *name = p->tstr;
				size_t nlen = p->tlen;
				int quoted = p->tok == T_QIDENT;
				if (next(p) < 0)
					return NULL;
				if (p->tok == T_LPAREN && !opt && !quoted) {
					a = finish_call(p, a, name, nlen, pos);
					continue;
				}
				b = unary_node(p, opt ? CO_OPT_SELECT : CO_SELECT, pos, a);
				b->name = cel_strndup(&p->prog->mem, name, nlen);
				b->name_len = (uint32_t)nlen;
				a = b;
			}
		} else if (p->tok == T_LBRACK) {
			int opt = 0;
			struct cel_ast *idx;
			if (next(p) < 0)
				return NULL;
			if (p->tok == T_QUESTION) {
				opt = 1;
				if (next(p) < 0)
					return NULL;
			}
			if (!(idx = expr(p)) || expect(p, T_RBRACK, "']'") < 0)
				return NULL;
			a = binary(p, opt ? CO_OPT_INDEX : CO_INDEX, pos, a, idx);
		} else {
			break;
		}
	}
	return p->failed ? NULL : a;
}

static struct cel_ast *unary(struct parser *p)
{
	size_t pos = p->tpos, count = 0;
	int tok = p->tok;
	struct cel_ast *a;

	if (tok != T_NOT && tok != T_MINUS)
		return member(p);
	while (p->tok == tok) {
		count++;
		if (next(p) < 0)
			return NULL;
	}
	/* -9223372036854775808 is a literal, not the negation of an overflow */
	if (tok == T_MINUS && count % 2 == 1 && p->tok == T_INT && p->tint == (uint64_t)INT64_MAX + 1) {
		size_t save_pos = p->tpos;
		a = node(p, CO_LIT, save_pos, 0);
		a->lit = cel_int(INT64_MIN);
		if (next(p) < 0)
			return NULL;
		count--;
	} else if (!(a = member(p))) {
		return NULL;
	}
	while (count--)
		a = unary_node(p, tok == T_NOT ? CO_NOT : CO_NEG, pos, a);
	return a;
}

static int binop_of(int tok, int level)
{
	switch (level) {
	case 0:
		return tok == T_STAR ? CO_MUL : tok == T_SLASH ? CO_DIV : tok == T_PERCENT ? CO_MOD : 0;
	case 1:
		return tok == T_PLUS ? CO_ADD : tok == T_MINUS ? CO_SUB : 0;
	default:
		switch (tok) {
		case T_EQ: return CO_EQ;
		case T_NE: return CO_NE;
		case T_LT: return CO_LT;
		case T_LE: return CO_LE;
		case T_GT: return CO_GT;
		case T_GE: return CO_GE;
		case T_IN: return CO_IN;
		default: return 0;
		}
	}
}

static struct cel_ast *binary_level(struct parser *p, int level)
{
	struct cel_ast *a = level == 0 ? unary(p) : binary_level(p, level - 1);
	int op;

	while (a && !p->failed && (op = binop_of(p->tok, level))) {
		size_t pos = p->tpos;
		struct cel_ast *b;
		if (next(p) < 0 || !(b = level == 0 ? unary(p) : binary_level(p, level - 1)))
			return NULL;
		a = binary(p, op, pos, a, b);
	}
	return p->failed ? NULL : a;
}

static struct cel_ast *logical(struct parser *p, int tok)
{
	struct cel_ast *a = tok == T_OR ? logical(p, T_AND) : binary_level(p, 2);

	while (a && !p->failed && p->tok == tok) {
		size_t pos = p->tpos;
		struct cel_ast *b;
		if (next(p) < 0 || !(b = tok == T_OR ? logical(p, T_AND) : binary_level(p, 2)))
			return NULL;
		a = binary(p, tok == T_OR ? CO_OR : CO_AND, pos, a, b);
	}
	return p->failed ? NULL : a;
}

static struct cel_ast *expr(struct parser *p)
{
	struct cel_ast *c, *t, *f, *a;
	size_t pos;

	if (++p->depth > CEL_MAX_DEPTH) {
		perr(p, p->tpos, "expression nested too deeply (more than %d levels)", CEL_MAX_DEPTH);
		return NULL;
	}
	c = logical(p, T_OR);
	if (c && p->tok == T_QUESTION) {
		pos = p->tpos;
		if (next(p) < 0 || !(t = logical(p, T_OR)) || expect(p, T_COLON, "':'") < 0 || !(f = expr(p))) {
			p->depth--;
			return NULL;
		}
		a = node(p, CO_COND, pos, 3);
		a->a[0] = c;
		a->a[1] = t;
		a->a[2] = f;
		c = a;
	}
	p->depth--;
	return p->failed ? NULL : c;
}

/* ---- literal regexes, variable use ------------------------------------------ */

static int is_regex_fn(const struct cel_ast *a)
{
	if (a->op != CO_CALL)
		return 0;
	return (a->name_len == 7 && !memcmp(a->name, "matches", 7)) ||
		(a->name_len == 4 && !memcmp(a->name, "find", 4)) ||
		(a->name_len == 7 && !memcmp(a->name, "findAll", 7));
}

static void precompile(struct gate_cel_program *prog, struct cel_ast *a, int depth)
{
	size_t i;

	if (depth > CEL_MAX_DEPTH * 4)
		return;
	if (is_regex_fn(a) && a->nargs >= 2 && a->a[1]->op == CO_LIT && a->a[1]->lit.kind == CK_STRING) {
		a->re = cel_regex_compile(a->a[1]->lit.u.s, a->a[1]->lit.len, &a->re_error);
		if (a->re) {
			GATE_ALLOC_GROW(prog->codes, prog->ncodes + 1, prog->acodes);
			prog->codes[prog->ncodes++] = a->re;
		}
	}
	for (i = 0; i < a->nargs; i++)
		precompile(prog, a->a[i], depth + 1);
}

static int uses(const struct cel_ast *a, const char *name, size_t len, int depth)
{
	size_t i;

	if (depth > CEL_MAX_DEPTH * 4)
		return 1;
	if (a->op == CO_IDENT && a->name_len == len && !memcmp(a->name, name, len))
		return 1;
	for (i = 0; i < a->nargs; i++)
		if (uses(a->a[i], name, len, depth + 1))
			return 1;
	return 0;
}

int gate_cel_program_uses(const struct gate_cel_program *p, const char *name)
{
	return p && p->root && uses(p->root, name, strlen(name), 0);
}

/*
 * The depth of the tree, without recursion: long operator chains ("1+1+...",
 * "!!!...", "a.b.c...") nest without parentheses, and evaluation recurses
 * once per level, so the tree's depth is bounded, not only the parser's.
 */
static size_t tree_depth(const struct cel_ast *root)
{
	struct item {
		const struct cel_ast *a;
		size_t depth;
	} *stack = NULL;
	size_t n = 0, alloc = 0, max = 0, i;

	GATE_ALLOC_GROW(stack, 1, alloc);
	stack[n].a = root;
	stack[n++].depth = 1;
	while (n) {
		struct item it = stack[--n];
		if (it.depth > max)
			max = it.depth;
		if (max > CEL_MAX_TREE_DEPTH)
			break;
		for (i = 0; i < it.a->nargs; i++) {
			GATE_ALLOC_GROW(stack, n + 1, alloc);
			stack[n].a = it.a->a[i];
			stack[n++].depth = it.depth + 1;
		}
	}
	free(stack);
	return max;
}

int gate_cel_compile(struct gate_cel_program **out, const char *src, size_t len,
	char *msg, size_t msgsize)
{
	struct gate_cel_program *prog;
	struct parser p;

	*out = NULL;
	if (len > CEL_MAX_SOURCE) {
		gate_set_msg(msg, msgsize, "expression longer than %u bytes", CEL_MAX_SOURCE);
		return -1;
	}
	if (cel_utf8_count(src, len) < 0) {
		gate_set_msg(msg, msgsize, "expression is not valid UTF-8");
		return -1;
	}
	prog = gate_xcalloc(1, sizeof(*prog));
	prog->source = gate_xstrndup(src, len);
	memset(&p, 0, sizeof(p));
	p.src = prog->source;
	p.len = len;
	p.prog = prog;
	p.msg = msg;
	p.msgsize = msgsize;
	if (next(&p) == 0)
		prog->root = expr(&p);
	if (!p.failed && p.tok != T_EOF)
		perr(&p, p.tpos, "unexpected token after the expression");
	if (p.failed || !prog->root) {
		if (!p.failed)
			gate_set_msg(msg, msgsize, "could not parse the expression");
		gate_cel_program_free(prog);
		return -1;
	}
	if (tree_depth(prog->root) > CEL_MAX_TREE_DEPTH) {
		gate_set_msg(msg, msgsize, "expression nested too deeply (more than %d levels of operators)",
			CEL_MAX_TREE_DEPTH);
		gate_cel_program_free(prog);
		return -1;
	}
	precompile(prog, prog->root, 0);
	*out = prog;
	return 0;
}

void gate_cel_program_free(struct gate_cel_program *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->ncodes; i++)
		pcre2_code_free(p->codes[i]);
	free(p->codes);
	cel_arena_release(&p->mem);
	free(p->source);
	free(p);
}
