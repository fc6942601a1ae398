/*
 * cel_lex.c: the CEL lexer (tokens of cel-spec's langdef.md: literals with
 * their escapes, identifiers, reserved words, operators).  Private to the
 * parser (cel_parse_int.h).
 */
#include "cel_int.h"
#include "cel_parse_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
			gate_cel__perr(p, p->tpos, "unterminated string literal");
			return -1;
		}
		if (triple ? (i + 2 < p->len && s[i] == q && s[i + 1] == q && s[i + 2] == q) : s[i] == q)
			break;
		if (!triple && (s[i] == '\n' || s[i] == '\r')) {
			gate_buf_release(&b);
			gate_cel__perr(p, i, "newline in a quoted string");
			return -1;
		}
		if (s[i] == '\\' && !raw) {
			i++;
			if (i >= p->len || lex_escape(p, &i, bytes, &b) < 0) {
				gate_buf_release(&b);
				gate_cel__perr(p, i, "invalid escape sequence");
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
			gate_cel__perr(p, start, "invalid hex literal");
			return -1;
		}
		while (i < p->len && hexval(s[i]) >= 0) {
			if (v >> 60) {
				gate_cel__perr(p, start, "integer literal out of range");
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
		gate_cel__perr(p, start, "number literal too long");
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
		gate_cel__perr(p, start, "integer literal out of range");
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

int gate_cel__next(struct parser *p)
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
			gate_cel__perr(p, i, "unterminated quoted identifier");
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
	gate_cel__perr(p, i, "unexpected character '%s%c'", ch < 0x20 || ch >= 0x7f ? "\\x" : "",
		ch < 0x20 || ch >= 0x7f ? '?' : ch);
	return -1;
}
