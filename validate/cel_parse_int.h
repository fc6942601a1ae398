/*
 * cel_parse_int.h: the lexer's tokens and the parser state, shared by the
 * CEL lexer (cel_lex.c) and parser (cel_parse.c).  Private to them.
 */
#ifndef GATE_CEL_PARSE_INT_H
#define GATE_CEL_PARSE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cel_int.h"

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

/* cel_parse.c: record the first error, at byte pos of the source, in p->msg */
void gate_cel__perr(struct parser *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* cel_lex.c: read the next token into p (p->tok, p->tstr ...); 0, or -1 after gate_cel__perr() */
int gate_cel__next(struct parser *p);

#endif
