/*
 * yaml_scan.c: a native YAML event scanner for the block YAML that
 * Kubernetes manifests are written in, feeding doc.c's document builder with
 * the same events, values, styles and marks (0-based line and column in
 * characters) that libyaml 0.2.5 produces for that input.
 *
 * The subset: block mappings and sequences (indentless and compact "- k: v"
 * nesting included), plain scalars (multi-line folding), single- and
 * double-quoted scalars (every escape, multi-line folding), literal and
 * folded block scalars (chomping and indentation indicators), comments, one
 * leading "---", empty values, and flow collections that open and close on
 * one line with scalars and flow collections inside.
 *
 * Everything else, and anything in doubt, makes the scanner give up (return
 * 1): tabs outside scalar text, "?" keys, anchors, aliases, tags,
 * directives, "...", a second "---", a carriage return without a line feed,
 * NEL, LS, PS and BOM characters, flow collections across lines, keys longer
 * than 1,000 bytes, and every syntax error.  doc.c then parses the buffer
 * again with libyaml, which stays the reference: the scanner may only ever
 * produce what libyaml would, never anything else.  Comments in this file
 * name the libyaml 0.2.5 behaviour each rule mirrors.
 */
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
enum { S_BLANK = 1, S_COLON = 2, S_FLOW = 4, S_HIGH = 8 };
static unsigned char cls[256];

static void cls_init(void)
{
	int i;

	if (cls[' '])
		return;
	for (i = 0x80; i < 0x100; i++)
		cls[i] = S_HIGH;
	cls['\t'] = cls['\r'] = cls['\n'] = S_BLANK;
	cls[':'] = S_COLON;
	cls[','] = cls['['] = cls[']'] = cls['{'] = cls['}'] = S_FLOW;
	cls[' '] = S_BLANK; /* last: the guard above */
}

/* Column (characters) of q, a position on the current line. */
static uint32_t col_at(struct ys *s, const char *q)
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

static void sb_put(struct ys *s, const char *v, size_t n)
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

static void sb_breaks(struct ys *s, unsigned n)
{
	while (n--)
		sb_ch(s, '\n');
}

/* Consume a line break at s->p (LF or CRLF); BAIL on a lone CR. */
static int eat_break(struct ys *s)
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
static int skip_comment(struct ys *s)
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

/*
 * libyaml's scan_to_next_token in the block context: skip spaces, comments
 * and line breaks.  Tabs: give up (libyaml allows some, refuses others).
 */
static int skip_to_token(struct ys *s)
{
	for (;;) {
		while (s->p < s->end && *s->p == ' ')
			s->p++;
		if (s->p >= s->end)
			return 0;
		if (*s->p == '\t')
			return BAIL;
		if (*s->p == '#' && skip_comment(s))
			return BAIL;
		if (s->p < s->end && (*s->p == '\n' || *s->p == '\r')) {
			if (eat_break(s))
				return BAIL;
			continue;
		}
		if (s->p < s->end && s->p == s->ls && special(s, s->p))
			return BAIL; /* a BOM at the start of a line */
		return 0;
	}
}

/*
 * After a quoted scalar or a flow collection: only spaces and a comment
 * (after a space) may follow on this line.  Leaves s->p at the next token.
 */
static int end_of_line(struct ys *s)
{
	const char *q = s->p;

	while (q < s->end && *q == ' ')
		q++;
	if (q < s->end && *q == '#' && q > s->ls && q[-1] != ' ')
		return BAIL;
	if (q < s->end && *q != '#' && *q != '\n' && *q != '\r')
		return BAIL;
	s->p = q;
	return skip_to_token(s);
}

/* ---------------------------------------------------------------- events */

static int ev_scalar(struct ys *s, int style, uint32_t line, uint32_t col)
{
	if (!s->sb)
		sb_put(s, "", 0);
	s->sb[s->sn] = '\0';
	if (s->has_anchor) {
		s->has_anchor = 0;
		return gate_doc__ev_scalar(s->c, s->sb, s->sn, style, s->anchor, s->aline,
			s->acol) < 0 ? BAIL : 0;
	}
	return gate_doc__ev_scalar(s->c, s->sb, s->sn, style, NULL, line, col) < 0 ? BAIL : 0;
}

/* A collection starts at line, col (or at its anchor). */
static int ev_start(struct ys *s, int is_map, uint32_t line, uint32_t col)
{
	if (s->has_anchor) {
		s->has_anchor = 0;
		return gate_doc__ev_start(s->c, is_map, s->anchor, s->aline, s->acol) < 0 ? BAIL : 0;
	}
	return gate_doc__ev_start(s->c, is_map, NULL, line, col) < 0 ? BAIL : 0;
}

/*
 * libyaml's scan_anchor: s->p at '&' or '*'; the name into s->anchor.  Only
 * names followed by a space, a line break or the end.
 */
static int scan_anchor_name(struct ys *s)
{
	const char *q = s->p + 1;
	size_t n;

	while (q < s->end && ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
		(*q >= 'A' && *q <= 'Z') || *q == '_' || *q == '-'))
		q++;
	n = (size_t)(q - s->p - 1);
	if (!n || n >= sizeof(s->anchor) || (q < s->end && *q != ' ' && *q != '\n' && *q != '\r'))
		return BAIL;
	memcpy(s->anchor, s->p + 1, n);
	s->anchor[n] = '\0';
	s->p = q;
	return 0;
}

static int ev_empty(struct ys *s, uint32_t line, uint32_t col)
{
	if (s->has_anchor)
		return BAIL; /* an anchored empty node: leave it to libyaml */
	s->sn = 0;
	return ev_scalar(s, YAML_PLAIN_SCALAR_STYLE, line, col);
}

/* ---------------------------------------------------------------- scalars */

/* A scanned scalar: its text is in s->sb. */
struct sc {
	int style;
	uint32_t line, col; /* start mark */
	int crossed;        /* its text went over a line break */
	int folded;         /* plain: text continued after a line break */
	int colon;          /* plain: stopped at ':' followed by a blank */
};

/*
 * libyaml's scan_plain_scalar.  indent is libyaml's parser->indent at this
 * point; flow: inside a flow collection (single line only).
 */
static int scan_plain(struct ys *s, int indent, int flow, struct sc *out)
{
	const char *q = s->p, *ws = NULL, *wse = NULL;
	int leading_blanks = 0;
	unsigned trailing = 0;

	out->style = YAML_PLAIN_SCALAR_STYLE;
	out->line = s->line;
	out->col = col_at(s, q);
	out->crossed = 0;
	out->folded = 0;
	out->colon = 0;
	s->sn = 0;
	for (;;) {
		const char *r = q;
		if (doc_marker(s, q) || (q < s->end && *q == '#'))
			break;
		for (;;) {
			unsigned char ch, k;
			while (q < s->end && !cls[(unsigned char)*q])
				q++;
			if (q >= s->end)
				break;
			ch = (unsigned char)*q;
			k = cls[ch];
			if (k == S_BLANK)
				break;
			if (k == S_COLON) {
				if (blankz(s, q + 1))
					break;
				if (flow && strchr(",?[]{}", q[1]))
					return BAIL; /* libyaml: "found unexpected ':'" */
				q++;
				continue;
			}
			if (k == S_FLOW) {
				if (flow)
					break;
				q++;
				continue;
			}
			if (special(s, q))
				return BAIL;
			q++;
		}
		if (q > r) {
			if (leading_blanks) {
				if (!trailing)
					sb_ch(s, ' ');
				else
					sb_breaks(s, trailing);
				trailing = 0;
				leading_blanks = 0;
				out->folded = 1;
			} else if (ws) {
				sb_put(s, ws, (size_t)(wse - ws));
			}
			ws = NULL;
			sb_put(s, r, (size_t)(q - r));
		}
		if (q >= s->end || (*q != ' ' && *q != '\t' && *q != '\n' && *q != '\r'))
			break;
		while (q < s->end) {
			if (*q == ' ' || (*q == '\t' && flow && s->flow_ml)) {
				if (!leading_blanks) {
					if (!ws)
						ws = q;
					wse = q + 1;
				}
				q++;
			} else if (*q == '\n' || *q == '\r') {
				if (flow && !s->flow_ml)
					return BAIL;
				s->p = q;
				if (eat_break(s))
					return BAIL;
				q = s->p;
				if (!leading_blanks) {
					ws = NULL;
					leading_blanks = 1;
					out->crossed = 1;
				} else {
					trailing++;
				}
			} else if (*q == '\t') {
				return BAIL;
			} else {
				break;
			}
		}
		/* after a break, q is past the line's leading spaces: all ASCII */
		if (!flow && leading_blanks && (int)(q - s->ls) < indent + 1)
			break;
	}
	s->p = q;
	if (q < s->end && *q == ':' && blankz(s, q + 1))
		out->colon = 1;
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* One escape at q ('\\' at q[0], not before a break); returns bytes used or 0 to give up. */
static size_t escape(struct ys *s, const char *q)
{
	static const char simple_from[] = "0abt\tnvfre \"/\\";
	static const char simple_to[] = "\0\a\b\t\t\n\v\f\r\x1b \"/\\";
	unsigned long v = 0;
	size_t n, k;
	const char *f;
	char u[4];

	if (q + 1 >= s->end)
		return 0;
	if ((f = memchr(simple_from, q[1], sizeof(simple_from) - 1)) != NULL) {
		sb_ch(s, simple_to[f - simple_from]);
		return 2;
	}
	switch (q[1]) {
	case 'N':
		sb_put(s, "\xc2\x85", 2);
		return 2;
	case '_':
		sb_put(s, "\xc2\xa0", 2);
		return 2;
	case 'L':
		sb_put(s, "\xe2\x80\xa8", 3);
		return 2;
	case 'P':
		sb_put(s, "\xe2\x80\xa9", 3);
		return 2;
	case 'x':
		n = 2;
		break;
	case 'u':
		n = 4;
		break;
	case 'U':
		n = 8;
		break;
	default:
		return 0;
	}
	if ((size_t)(s->end - q) < 2 + n)
		return 0;
	for (k = 0; k < n; k++) {
		int h = hexval(q[2 + k]);
		if (h < 0)
			return 0;
		v = (v << 4) | (unsigned long)h;
	}
	if ((v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	if (v <= 0x7f) {
		u[0] = (char)v;
		k = 1;
	} else if (v <= 0x7ff) {
		u[0] = (char)(0xc0 + (v >> 6));
		u[1] = (char)(0x80 + (v & 0x3f));
		k = 2;
	} else if (v <= 0xffff) {
		u[0] = (char)(0xe0 + (v >> 12));
		u[1] = (char)(0x80 + ((v >> 6) & 0x3f));
		u[2] = (char)(0x80 + (v & 0x3f));
		k = 3;
	} else {
		u[0] = (char)(0xf0 + (v >> 18));
		u[1] = (char)(0x80 + ((v >> 12) & 0x3f));
		u[2] = (char)(0x80 + ((v >> 6) & 0x3f));
		u[3] = (char)(0x80 + (v & 0x3f));
		k = 4;
	}
	sb_put(s, u, k);
	return 2 + n;
}

/* libyaml's scan_flow_scalar: s->p at the opening quote. */
static int scan_quoted(struct ys *s, int single, struct sc *out)
{
	const char quote = single ? '\'' : '"';
	const char *q = s->p + 1, *ws = NULL, *wse = NULL;
	unsigned trailing = 0;

	out->style = single ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	out->line = s->line;
	out->col = col_at(s, s->p);
	out->crossed = 0;
	out->colon = 0;
	s->sn = 0;
	for (;;) {
		int leading_blanks = 0, lb_newline = 0;
		const char *r;
		if (doc_marker(s, q) || q >= s->end)
			return BAIL;
		r = q;
		while (q < s->end && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') {
			unsigned char ch = (unsigned char)*q;
			if (ch == (unsigned char)quote) {
				if (single && q + 1 < s->end && q[1] == '\'') {
					sb_put(s, r, (size_t)(q - r));
					sb_ch(s, '\'');
					q += 2;
					r = q;
					continue;
				}
				break;
			}
			if (ch == '\\' && !single) {
				size_t used;
				sb_put(s, r, (size_t)(q - r));
				if (q + 1 < s->end && (q[1] == '\n' || q[1] == '\r')) {
					s->p = q + 1;
					if (eat_break(s))
						return BAIL;
					q = r = s->p;
					leading_blanks = 1;
					out->crossed = 1;
					break;
				}
				if (!(used = escape(s, q)))
					return BAIL;
				q += used;
				r = q;
				continue;
			}
			if (ch >= 0x80 && special(s, q))
				return BAIL;
			q++;
		}
		sb_put(s, r, (size_t)(q - r));
		if (q < s->end && *q == quote)
			break;
		while (q < s->end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) {
			if (*q == ' ' || *q == '\t') {
				if (!leading_blanks) {
					if (!ws)
						ws = q;
					wse = q + 1;
				}
				q++;
				continue;
			}
			s->p = q;
			if (eat_break(s))
				return BAIL;
			q = s->p;
			out->crossed = 1;
			if (!leading_blanks) {
				ws = NULL;
				leading_blanks = 1;
				lb_newline = 1;
			} else {
				trailing++;
			}
		}
		if (leading_blanks) {
			if (lb_newline && !trailing)
				sb_ch(s, ' ');
			else
				sb_breaks(s, trailing);
			trailing = 0;
		} else if (ws) {
			sb_put(s, ws, (size_t)(wse - ws));
		}
		ws = NULL;
	}
	s->p = q + 1;
	return 0;
}

/*
 * libyaml's scan_block_scalar_breaks: eat indentation and empty lines,
 * collecting the breaks; set *indent when it is still 0.
 */
static int block_breaks(struct ys *s, int *indent, int parent, unsigned *breaks)
{
	int max_indent = 0;

	for (;;) {
		int col;
		while ((!*indent || (int)(s->p - s->ls) < *indent) && s->p < s->end && *s->p == ' ')
			s->p++;
		col = (int)(s->p - s->ls);
		if (col > max_indent)
			max_indent = col;
		if (s->p < s->end && *s->p == '\t' && (!*indent || col < *indent))
			return BAIL;
		if (s->p >= s->end || (*s->p != '\n' && *s->p != '\r'))
			break;
		if (eat_break(s))
			return BAIL;
		(*breaks)++;
	}
	if (!*indent) {
		int first = (int)(s->p - s->ls);
		*indent = max_indent;
		if (*indent < parent + 1)
			*indent = parent + 1;
		if (*indent < 1)
			*indent = 1;
		/* an empty line indented deeper than the first text: odd, leave it to libyaml */
		if (s->p < s->end && first < *indent && max_indent > first)
			return BAIL;
	}
	return 0;
}

/* libyaml's scan_block_scalar: s->p at '|' or '>'; parent is parser->indent. */
static int scan_block(struct ys *s, int parent, struct sc *out)
{
	int literal = *s->p == '|', chomp = 0, incr = 0, indent = 0;
	int leading_blank = 0, lb_newline = 0;
	unsigned trailing = 0;

	out->style = literal ? YAML_LITERAL_SCALAR_STYLE : YAML_FOLDED_SCALAR_STYLE;
	out->line = s->line;
	out->col = col_at(s, s->p);
	out->crossed = 1;
	out->colon = 0;
	s->sn = 0;
	s->p++;
	if (s->p < s->end && (*s->p == '+' || *s->p == '-')) {
		chomp = *s->p == '+' ? 1 : -1;
		s->p++;
		if (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			if (*s->p == '0')
				return BAIL;
			incr = *s->p++ - '0';
		}
	} else if (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (*s->p == '0')
			return BAIL;
		incr = *s->p++ - '0';
		if (s->p < s->end && (*s->p == '+' || *s->p == '-')) {
			chomp = *s->p == '+' ? 1 : -1;
			s->p++;
		}
	}
	while (s->p < s->end && *s->p == ' ')
		s->p++;
	if (s->p < s->end && *s->p == '#' && skip_comment(s))
		return BAIL;
	if (s->p < s->end) {
		if (*s->p != '\n' && *s->p != '\r')
			return BAIL;
		if (eat_break(s))
			return BAIL;
	}
	if (incr)
		indent = parent >= 0 ? parent + incr : incr;
	if (block_breaks(s, &indent, parent, &trailing))
		return BAIL;
	while ((int)(s->p - s->ls) == indent && s->p < s->end) {
		int trailing_blank = *s->p == ' ' || *s->p == '\t';
		const char *r;
		if (!literal && lb_newline && !leading_blank && !trailing_blank) {
			if (!trailing)
				sb_ch(s, ' ');
		} else if (lb_newline) {
			sb_ch(s, '\n');
		}
		lb_newline = 0;
		sb_breaks(s, trailing);
		trailing = 0;
		leading_blank = *s->p == ' ' || *s->p == '\t';
		r = s->p;
		while (s->p < s->end && *s->p != '\n' && *s->p != '\r') {
			if ((unsigned char)*s->p >= 0x80 && special(s, s->p))
				return BAIL;
			s->p++;
		}
		sb_put(s, r, (size_t)(s->p - r));
		if (s->p < s->end) {
			if (eat_break(s))
				return BAIL;
			lb_newline = 1;
		}
		if (block_breaks(s, &indent, parent, &trailing))
			return BAIL;
	}
	if (chomp != -1 && lb_newline)
		sb_ch(s, '\n');
	if (chomp == 1)
		sb_breaks(s, trailing);
	/* the mark of the next token is where the scan stopped: libyaml is there too */
	return 0;
}

/* ------------------------------------------------------------ collections */

static int block_node(struct ys *s, int indent, int inline_value);
static int block_seq(struct ys *s, int sc, int indentless);

/* The first character of a plain scalar (libyaml's fetch_next_token). */
static int plain_start(const struct ys *s, const char *q, int flow)
{
	switch (*q) {
	case '-':
		return !blankz(s, q + 1);
	case '?': case ':':
		return !flow && !blankz(s, q + 1);
	case ',': case '[': case ']': case '{': case '}': case '#': case '&': case '*':
	case '!': case '|': case '>': case '\'': case '"': case '%': case '@': case '`':
	case ' ': case '\t': case '\r': case '\n':
		return 0;
	default:
		return !special(s, q);
	}
}

static int flow_node(struct ys *s, int key);

static void skip_spaces(struct ys *s)
{
	while (s->p < s->end && *s->p == ' ')
		s->p++;
}

/*
 * Whitespace inside a flow collection: spaces; when it may span lines (a
 * root collection: JSON) also tabs, line breaks and comments after a blank,
 * never a document marker.
 */
static int flow_ws(struct ys *s)
{
	for (;;) {
		while (s->p < s->end && (*s->p == ' ' || (s->flow_ml && *s->p == '\t')))
			s->p++;
		if (!s->flow_ml || s->p >= s->end)
			return 0;
		if (*s->p == '#') {
			if (s->p > s->ls && s->p[-1] != ' ' && s->p[-1] != '\t')
				return BAIL;
			if (skip_comment(s))
				return BAIL;
			continue;
		}
		if (*s->p != '\n' && *s->p != '\r')
			return 0;
		if (eat_break(s) || doc_marker(s, s->p) || (s->p < s->end && special(s, s->p)))
			return BAIL;
	}
}

/*
 * A flow collection: s->p at '[' or '{'.  On one line, or over several
 * when s->flow_ml; no empty entries, no "? ", no single
 * pair mappings in sequences; a key on the line of its ':'.
 */
static int flow_collection(struct ys *s)
{
	int is_map = *s->p == '{';
	char close = is_map ? '}' : ']';
	if (++s->depth > MAX_DEPTH)
		return BAIL;
	if (ev_start(s, is_map, s->line, col_at(s, s->p)))
		return BAIL;
	s->p++;
	for (;;) {
		const char *key;
		uint32_t kline;
		int quoted;
		if (flow_ws(s) || s->p >= s->end)
			return BAIL;
		if (*s->p == close)
			break;
		key = s->p;
		kline = s->line;
		quoted = *s->p == '"' || *s->p == '\'';
		if (flow_node(s, is_map) || flow_ws(s) || s->p >= s->end)
			return BAIL;
		if (is_map) {
			/* libyaml: a simple key is one line of at most 1024 characters */
			if (s->line != kline || s->p - key > 1000 || *s->p != ':')
				return BAIL;
			if (!quoted && s->p + 1 < s->end && s->p[1] != ' ')
				return BAIL;
			s->p++;
			if (flow_ws(s) || s->p >= s->end || *s->p == ',' || *s->p == close)
				return BAIL;
			if (flow_node(s, 0) || flow_ws(s) || s->p >= s->end)
				return BAIL;
		}
		if (*s->p == close)
			break;
		if (*s->p != ',')
			return BAIL;
		s->p++;
		/* a trailing comma is fine: libyaml closes the collection */
	}
	s->p++;
	s->depth--;
	return gate_doc__ev_end(s->c) < 0 ? BAIL : 0;
}

/* One node inside a flow collection; key: a flow mapping's key (':' follows). */
static int flow_node(struct ys *s, int key)
{
	struct sc sc;
	uint32_t line = s->line;

	switch (*s->p) {
	case '[': case '{':
		return flow_collection(s);
	case '"': case '\'':
		if (scan_quoted(s, *s->p == '\'', &sc))
			return BAIL;
		break;
	default:
		if (!plain_start(s, s->p, 1) || scan_plain(s, 0, 1, &sc))
			return BAIL;
		if ((sc.colon && !key) || sc.folded || (s->p < s->end && *s->p == '#'))
			return BAIL;
		/* a break after the text (JSON's last item of a line) is only whitespace */
		return ev_scalar(s, sc.style, sc.line, sc.col);
	}
	if (s->line != line || sc.crossed)
		return BAIL;
	return ev_scalar(s, sc.style, sc.line, sc.col);
}

/*
 * After "key:" (s->p past the ':'), the value; mc is the mapping's column.
 * Returns with s->p at the next token.
 */
static int map_value(struct ys *s, int mc, uint32_t vline, uint32_t vcol)
{
	int col;

	skip_spaces(s);
	if (s->p < s->end && *s->p == '\t')
		return BAIL;
	if (s->p < s->end && *s->p != '#' && *s->p != '\n' && *s->p != '\r')
		return block_node(s, mc, 1);
	if (skip_to_token(s))
		return BAIL;
	if (s->p >= s->end)
		return ev_empty(s, vline, vcol);
	col = (int)(s->p - s->ls);
	if (col > mc && !doc_marker(s, s->p))
		return block_node(s, mc, 0);
	if (col == mc && *s->p == '-' && blankz(s, s->p + 1))
		return block_seq(s, mc, 1); /* an indentless sequence */
	return ev_empty(s, vline, vcol);
}

/* Scan a mapping key at s->p into *k: a one-line scalar followed by ':'. */
static int scan_key(struct ys *s, int indent, struct sc *k)
{
	const char *start = s->p;

	if (*s->p == '"' || *s->p == '\'') {
		if (scan_quoted(s, *s->p == '\'', k))
			return BAIL;
		skip_spaces(s);
		k->colon = s->p < s->end && *s->p == ':' && blankz(s, s->p + 1);
	} else if (!plain_start(s, s->p, 0) || scan_plain(s, indent, 0, k)) {
		return BAIL;
	}
	if (!k->colon || k->crossed || s->p - start > 1000)
		return BAIL;
	return 0;
}

/* A block mapping at column mc whose first key k is scanned (s->p at ':'). */
static int block_map(struct ys *s, int mc, struct sc *k)
{
	if (ev_start(s, 1, k->line, k->col))
		return BAIL;
	for (;;) {
		uint32_t vline, vcol;
		int col;
		if (ev_scalar(s, k->style, k->line, k->col))
			return BAIL;
		vline = s->line;
		vcol = col_at(s, s->p) + 1;
		s->p++;
		if (map_value(s, mc, vline, vcol))
			return BAIL;
		if (s->p >= s->end || doc_marker(s, s->p))
			break;
		col = (int)(s->p - s->ls);
		if (col < mc)
			break;
		if (col > mc || (*s->p == '-' && blankz(s, s->p + 1)))
			return BAIL;
		if (scan_key(s, mc, k))
			return BAIL;
	}
	return gate_doc__ev_end(s->c) < 0 ? BAIL : 0;
}

/*
 * A block sequence whose first '-' is at s->p, column sc.  indentless: the
 * sequence sits at its parent mapping's column and ends at a key there.
 */
static int block_seq(struct ys *s, int sc, int indentless)
{
	if (ev_start(s, 0, s->line, (uint32_t)sc))
		return BAIL;
	for (;;) {
		uint32_t eline = s->line, ecol = (uint32_t)sc + 1;
		int col;
		s->p++;
		skip_spaces(s);
		if (s->p < s->end && *s->p == '\t')
			return BAIL;
		if (s->p < s->end && *s->p != '#' && *s->p != '\n' && *s->p != '\r') {
			if (block_node(s, sc, 0))
				return BAIL;
		} else {
			if (skip_to_token(s))
				return BAIL;
			if (s->p < s->end && (int)(s->p - s->ls) > sc && !doc_marker(s, s->p)) {
				if (block_node(s, sc, 0))
					return BAIL;
			} else if (ev_empty(s, eline, ecol)) {
				return BAIL;
			}
		}
		if (s->p >= s->end || doc_marker(s, s->p))
			break;
		col = (int)(s->p - s->ls);
		if (col < sc)
			break;
		if (col > sc)
			return BAIL;
		if (*s->p != '-' || !blankz(s, s->p + 1)) {
			if (indentless)
				break;
			return BAIL;
		}
	}
	return gate_doc__ev_end(s->c) < 0 ? BAIL : 0;
}

/*
 * One block node at s->p (a token).  indent is libyaml's parser->indent;
 * inline_value: right after "key: " on the same line, where libyaml allows
 * no simple key and no block sequence.  Returns with s->p at the next token.
 */
static int block_node(struct ys *s, int indent, int inline_value)
{
	struct sc sc;
	const char *start = s->p;
	int col, r;

	if (++s->depth > MAX_DEPTH)
		return BAIL;
	col = (int)col_at(s, s->p);
	switch (*s->p) {
	case '-':
		if (!blankz(s, s->p + 1))
			goto plain;
		if (inline_value)
			return BAIL;
		r = block_seq(s, col, 0);
		s->depth--;
		return r;
	case '[': case '{':
		s->flow_ml = indent < 0; /* the root: JSON */
		if (flow_collection(s) || end_of_line(s))
			return BAIL;
		s->flow_ml = 0;
		s->depth--;
		return 0;
	case '&':
		/* an anchor on the node after it, on this line (no key) or below */
		if (s->has_anchor)
			return BAIL;
		s->aline = s->line;
		s->acol = (uint32_t)col;
		if (scan_anchor_name(s))
			return BAIL;
		s->has_anchor = 1;
		skip_spaces(s);
		if (s->p < s->end && *s->p != '#' && *s->p != '\n' && *s->p != '\r') {
			if (*s->p == '&' || *s->p == '*' || *s->p == '!')
				return BAIL;
			r = block_node(s, indent, 1);
		} else {
			int below;
			if (skip_to_token(s) || s->p >= s->end || doc_marker(s, s->p) ||
			    *s->p == '&' || *s->p == '*' || *s->p == '!')
				return BAIL;
			below = (int)(s->p - s->ls);
			if (inline_value && below == indent && *s->p == '-' && blankz(s, s->p + 1))
				r = block_seq(s, indent, 1); /* "key: &a" over an indentless sequence */
			else if (below > indent)
				r = block_node(s, indent, 0);
			else
				return BAIL; /* an anchored empty node */
		}
		s->depth--;
		return r;
	case '*':
		/* an alias as a value; as a key (followed by ':') leave it to libyaml */
		sc.line = s->line;
		if (scan_anchor_name(s))
			return BAIL;
		skip_spaces(s);
		if (s->p < s->end && *s->p == ':')
			return BAIL;
		if (gate_doc__ev_alias(s->c, s->anchor, sc.line, (uint32_t)col) < 0 || end_of_line(s))
			return BAIL;
		s->depth--;
		return 0;
	case '"': case '\'':
		if (scan_quoted(s, *s->p == '\'', &sc))
			return BAIL;
		skip_spaces(s);
		sc.colon = s->p < s->end && *s->p == ':' && blankz(s, s->p + 1);
		break;
	case '|': case '>':
		if (scan_block(s, indent, &sc) || ev_scalar(s, sc.style, sc.line, sc.col) ||
		    skip_to_token(s))
			return BAIL;
		s->depth--;
		return 0;
	default:
	plain:
		if (!plain_start(s, s->p, 0) || scan_plain(s, indent, 0, &sc))
			return BAIL;
		break;
	}
	if (sc.colon) {
		/* a key: the node is a block mapping at col */
		if (inline_value || sc.crossed || col <= indent || s->p - start > 1000)
			return BAIL; /* libyaml: a simple key is one line of at most 1024 characters */
		if (block_map(s, col, &sc))
			return BAIL;
	} else if (sc.style == YAML_PLAIN_SCALAR_STYLE) {
		/* a plain scalar stops at a comment, the end, or the next line's token */
		if (ev_scalar(s, sc.style, sc.line, sc.col) || skip_to_token(s))
			return BAIL;
	} else if (ev_scalar(s, sc.style, sc.line, sc.col) || end_of_line(s)) {
		return BAIL;
	}
	s->depth--;
	return 0;
}

/* ------------------------------------------------------------------- API */

int gate_yaml__scan(struct gate_doc_ctx *c, const char *buf, size_t len)
{
	struct ys s;
	int r = BAIL;

	cls_init();
	memset(&s, 0, sizeof(s));
	s.c = c;
	s.p = s.ls = buf;
	s.end = buf + len;
	if (skip_to_token(&s))
		goto done;
	if (s.p < s.end && doc_marker(&s, s.p)) {
		if (*s.p != '-')
			goto done;
		s.p += 3;
		if (s.p < s.end && *s.p != ' ' && *s.p != '\n' && *s.p != '\r')
			goto done;
		if (end_of_line(&s))
			goto done;
		if (s.p >= s.end) {
			r = ev_empty(&s, s.line, 0);
			goto done;
		}
	}
	if (s.p >= s.end) {
		r = 0; /* no document */
		goto done;
	}
	if (doc_marker(&s, s.p) || block_node(&s, -1, 0))
		goto done;
	r = s.p < s.end ? BAIL : 0;
done:
	free(s.sb);
	return r;
}
