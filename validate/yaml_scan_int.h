/*
 * yaml_scan_int.h: what the two files of the native YAML scanner share
 * (yaml_scan.c, the structure; yaml_scan_scalar.c, the scalars): the
 * scanner's state, positions and line breaks as libyaml 0.2.5 counts them,
 * the scalar text buffer.  Private to the doc module.
 */
#ifndef GATE_YAML_SCAN_INT_H
#define GATE_YAML_SCAN_INT_H

#include "doc_int.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "gate/util.h"

#define BAIL 1
#define MAX_DEPTH 200

struct ys {
	struct gate_doc_ctx *c;
	const char *p, *end;
	const char *ls;   /* first byte of the current line */
	uint32_t line;    /* 0-based, as libyaml's marks */
	const char *cpos; /* column cache: cpos (on the current line) is at column ccol */
	uint32_t ccol;
	char *sb;         /* the scalar being built, NUL-terminated */
	size_t sn, sa;
	unsigned depth;
	int flow_ml;      /* flow collections may span lines (a root one: JSON) */
	/* an anchor waiting for its node, and the node's mark (the '&') */
	char anchor[128];
	int has_anchor;
	uint32_t aline, acol;
};

/* bytes that stop a run of plain scalar text */
/* Column (characters) of q, a position on the current line. */
static inline uint32_t col_at(struct ys *s, const char *q)
{
	const char *from = s->ls;
	uint32_t col = 0;

	if (s->cpos >= s->ls && s->cpos <= q) {
		from = s->cpos;
		col = s->ccol;
	}
	for (; from < q; from++)
		if (((unsigned char)*from & 0xc0) != 0x80)
			col++;
	s->cpos = q;
	s->ccol = col;
	return col;
}

static inline void newline(struct ys *s, const char *next)
{
	s->line++;
	s->ls = next;
}

/*
 * A non-ASCII character libyaml treats specially: NEL, LS and PS are line
 * breaks to it, a BOM is skipped at the start of a line.  We give up on all.
 */
static inline int special(const struct ys *s, const char *q)
{
	unsigned char c = (unsigned char)q[0];
	size_t left = (size_t)(s->end - q);

	if (c == 0xc2)
		return left >= 2 && (unsigned char)q[1] == 0x85;
	if (c == 0xe2)
		return left >= 3 && (unsigned char)q[1] == 0x80 &&
			((unsigned char)q[2] == 0xa8 || (unsigned char)q[2] == 0xa9);
	if (c == 0xef)
		return left >= 3 && (unsigned char)q[1] == 0xbb && (unsigned char)q[2] == 0xbf;
	return 0;
}

/* libyaml's IS_BLANKZ at q: space, tab, a line break or the end */
static inline int blankz(const struct ys *s, const char *q)
{
	return q >= s->end || *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r';
}

/* "---" or "..." at column 0 followed by a blank, a break or the end */
static inline int doc_marker(const struct ys *s, const char *q)
{
	if (q != s->ls || s->end - q < 3)
		return 0;
	if (!((q[0] == '-' && q[1] == '-' && q[2] == '-') || (q[0] == '.' && q[1] == '.' && q[2] == '.')))
		return 0;
	return blankz(s, q + 3);
}

static inline void sb_put(struct ys *s, const char *v, size_t n)
{
	if (s->sn + n + 1 > s->sa) {
		size_t want = s->sa ? s->sa : 256;
		while (want < s->sn + n + 1)
			want *= 2;
		s->sb = gate_xrealloc(s->sb, want);
		s->sa = want;
	}
	memcpy(s->sb + s->sn, v, n);
	s->sn += n;
}

static inline void sb_ch(struct ys *s, char ch)
{
	sb_put(s, &ch, 1);
}

static inline void sb_breaks(struct ys *s, unsigned n)
{
	while (n--)
		sb_ch(s, '\n');
}

/* Consume a line break at s->p (LF or CRLF); BAIL on a lone CR. */
static inline int eat_break(struct ys *s)
{
	const char *q = s->p;

	if (*q == '\r') {
		if (q + 1 >= s->end || q[1] != '\n')
			return BAIL;
		q++;
	}
	s->p = q + 1;
	newline(s, s->p);
	return 0;
}

/*
 * Skip a comment at s->p up to (not past) its line break.  A lone CR or a
 * NEL, LS or PS would end the comment for libyaml: give up on those.
 */
static inline int skip_comment(struct ys *s)
{
	const char *q = s->p, *nl = memchr(q, '\n', (size_t)(s->end - q));
	const char *stop = nl ? nl : s->end;

	for (; q < stop; q++) {
		unsigned char c = (unsigned char)*q;
		if (c == '\r' && q + 1 != nl)
			return BAIL;
		if ((c == 0xc2 || c == 0xe2 || c == 0xef) && special(s, q))
			return BAIL;
	}
	s->p = (nl && nl > s->p && nl[-1] == '\r') ? nl - 1 : stop;
	return 0;
}

/* A scanned scalar: its text is in s->sb. */
struct sc {
	int style;
	uint32_t line, col; /* start mark */
	int crossed;        /* its text went over a line break */
	int folded;         /* plain: text continued after a line break */
	int colon;          /* plain: stopped at ':' followed by a blank */
};

/*
 * The scalar scanners, libyaml's scan_plain_scalar, scan_flow_scalar and
 * scan_block_scalar: s->p at the scalar's first character (the quote, the
 * '|' or '>'); the text into s->sb, the rest into *out; s->p after it.
 * indent and parent are libyaml's parser->indent; flow: inside a flow
 * collection.  Return 0, or BAIL when the scanner gives up.
 */
int gate_yaml__scan_plain(struct ys *s, int indent, int flow, struct sc *out);
int gate_yaml__scan_quoted(struct ys *s, int single, struct sc *out);
int gate_yaml__scan_block(struct ys *s, int parent, struct sc *out);

#endif
