/*
 * yaml_scan_scalar.c: the scalars of the native YAML scanner (see
 * yaml_scan.c): plain scalars with libyaml's folding, single- and
 * double-quoted scalars with every escape, literal and folded block scalars
 * with their chomping and indentation indicators, exactly as libyaml 0.2.5
 * scans them, or BAIL.
 */
#include "yaml_scan_int.h"

/* bytes that stop a run of plain scalar text */
enum { S_BLANK = 1, S_COLON = 2, S_FLOW = 4, S_HIGH = 8 };
static const unsigned char cls[256] = {
	['\t'] = S_BLANK, ['\r'] = S_BLANK, ['\n'] = S_BLANK, [' '] = S_BLANK,
	[':'] = S_COLON,
	[','] = S_FLOW, ['['] = S_FLOW, [']'] = S_FLOW, ['{'] = S_FLOW, ['}'] = S_FLOW,
	[0x80 ... 0xff] = S_HIGH,
};




/*
 * libyaml's scan_plain_scalar.  indent is libyaml's parser->indent at this
 * point; flow: inside a flow collection (single line only).
 */
int gate_yaml__scan_plain(struct ys *s, int indent, int flow, struct sc *out)
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
int gate_yaml__scan_quoted(struct ys *s, int single, struct sc *out)
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
int gate_yaml__scan_block(struct ys *s, int parent, struct sc *out)
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
