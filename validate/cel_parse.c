/*
 * cel_parse.c: CEL source text to a syntax tree (recursive-descent parser
 * following the grammar of cel-spec's langdef.md, over the tokens of
 * cel_lex.c), macro expansion (has, all, exists, exists_one, map, filter)
 * and compilation of literal regular expressions.  Nesting is bounded by
 * CEL_MAX_DEPTH.
 */
#include "cel_int.h"
#include "cel_parse_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gate_cel__perr(struct parser *p, size_t pos, const char *fmt, ...)
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
		gate_cel__perr(p, p->tpos, "expected %s", what);
		return -1;
	}
	return gate_cel__next(p);
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
			if (gate_cel__next(p) < 0)
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
		if (gate_cel__next(p) < 0)
			break;
	}
	if (p->failed || cnt > 0xffff) {
		free(v);
		if (!p->failed)
			gate_cel__perr(p, p->tpos, "too many arguments");
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

	if (gate_cel__next(p) < 0 || expr_list(p, T_RPAREN, 0, &args, &n) < 0 || expect(p, T_RPAREN, "')'") < 0) {
		free(args);
		return NULL;
	}
	if (!recv && nlen == 3 && !memcmp(name, "has", 3)) {
		a = n == 1 && args[0]->op == CO_SELECT ? args[0] : NULL;
		free(args);
		if (!a) {
			gate_cel__perr(p, pos, "invalid argument to has() macro");
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
				gate_cel__perr(p, pos, "argument is not an identifier");
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

	if (gate_cel__next(p) < 0)
		return NULL;
	while (p->tok != T_RBRACE && !p->failed) {
		struct cel_ast *k, *val;
		size_t epos = p->tpos;
		int optional = 0;
		if (p->tok == T_QUESTION) {
			optional = 1;
			if (gate_cel__next(p) < 0)
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
		if (gate_cel__next(p) < 0)
			break;
	}
	if (p->failed || expect(p, T_RBRACE, "'}'") < 0 || cnt > 0xffff) {
		free(v);
		if (!p->failed)
			gate_cel__perr(p, pos, "map literal too large");
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
			gate_cel__perr(p, pos, "integer literal out of range");
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
			gate_cel__perr(p, pos, "invalid UTF-8 in string literal");
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
		if (gate_cel__next(p) < 0)
			return NULL;
		if (p->tok != T_IDENT) {
			gate_cel__perr(p, p->tpos, "expected identifier");
			return NULL;
		}
		/* a leading dot names the root scope */
		__attribute__((fallthrough));
	case T_IDENT: {
		const char *name = p->tstr;
		size_t nlen = p->tlen;
		if (gate_cel__next(p) < 0)
			return NULL;
		if (p->tok == T_LPAREN)
			return finish_call(p, NULL, name, nlen, pos);
		a = node(p, CO_IDENT, pos, 0);
		a->name = cel_strndup(&p->prog->mem, name, nlen);
		a->name_len = (uint32_t)nlen;
		return a;
	}
	case T_RESERVED:
		gate_cel__perr(p, pos, "reserved identifier '%.*s'", (int)p->tlen, p->tstr);
		return NULL;
	case T_LPAREN:
		if (gate_cel__next(p) < 0 || !(a = expr(p)) || expect(p, T_RPAREN, "')'") < 0)
			return NULL;
		return a;
	case T_LBRACK:
		if (gate_cel__next(p) < 0 || expr_list(p, T_RBRACK, 1, &v, &n) < 0)
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
		gate_cel__perr(p, pos, p->tok == T_EOF ? "unexpected end of expression" : "unexpected token");
		return NULL;
	}
	if (gate_cel__next(p) < 0)
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
			if (gate_cel__next(p) < 0)
				return NULL;
			if (p->tok == T_QUESTION) {
				opt = 1;
				if (gate_cel__next(p) < 0)
					return NULL;
			}
			if (p->tok != T_IDENT && p->tok != T_RESERVED && p->tok != T_QIDENT) {
				gate_cel__perr(p, p->tpos, "expected field name");
				return NULL;
			}
			{
				const char *name = p->tstr;
				size_t nlen = p->tlen;
				int quoted = p->tok == T_QIDENT;
				if (gate_cel__next(p) < 0)
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
			if (gate_cel__next(p) < 0)
				return NULL;
			if (p->tok == T_QUESTION) {
				opt = 1;
				if (gate_cel__next(p) < 0)
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
		if (gate_cel__next(p) < 0)
			return NULL;
	}
	/* -9223372036854775808 is a literal, not the negation of an overflow */
	if (tok == T_MINUS && count % 2 == 1 && p->tok == T_INT && p->tint == (uint64_t)INT64_MAX + 1) {
		size_t save_pos = p->tpos;
		a = node(p, CO_LIT, save_pos, 0);
		a->lit = cel_int(INT64_MIN);
		if (gate_cel__next(p) < 0)
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
		if (gate_cel__next(p) < 0 || !(b = level == 0 ? unary(p) : binary_level(p, level - 1)))
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
		if (gate_cel__next(p) < 0 || !(b = tok == T_OR ? logical(p, T_AND) : binary_level(p, 2)))
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
		gate_cel__perr(p, p->tpos, "expression nested too deeply (more than %d levels)", CEL_MAX_DEPTH);
		return NULL;
	}
	c = logical(p, T_OR);
	if (c && p->tok == T_QUESTION) {
		pos = p->tpos;
		if (gate_cel__next(p) < 0 || !(t = logical(p, T_OR)) || expect(p, T_COLON, "':'") < 0 || !(f = expr(p))) {
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
	if (gate_cel__next(&p) == 0)
		prog->root = expr(&p);
	if (!p.failed && p.tok != T_EOF)
		gate_cel__perr(&p, p.tpos, "unexpected token after the expression");
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
