/*
 * yaml_scan.c: a native YAML event scanner for the block YAML that
 * Kubernetes manifests are written in, feeding doc.c's document builder with
 * the same events, values, styles and marks (0-based line and column in
 * characters) that libyaml 0.2.5 produces for that input.  This file: the
 * structure; yaml_scan_scalar.c: the scalars.
 *
 * The subset: block mappings and sequences (indentless and compact "- k: v"
 * nesting included), plain scalars (multi-line folding), single- and
 * double-quoted scalars (every escape, multi-line folding), literal and
 * folded block scalars (chomping and indentation indicators), comments, one
 * leading "---", empty values, flow collections on one line (over several
 * lines when the document is one: JSON), anchors on values and aliases as
 * values.
 *
 * Everything else, and anything in doubt, makes the scanner give up (return
 * 1): tabs outside scalar text and JSON whitespace, "?" keys, tags,
 * directives, "...", a second "---", anchored keys and empty nodes, aliases
 * as keys, a carriage return without a line feed, NEL, LS, PS and BOM
 * characters, keys longer than 1,000 bytes, and every syntax error.  doc.c
 * then parses the buffer again with libyaml, which stays the reference: the
 * scanner may only ever produce what libyaml would, never anything else.
 * Comments name the libyaml behaviour each rule mirrors.
 */
#include "yaml_scan_int.h"

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
		if (gate_yaml__scan_quoted(s, *s->p == '\'', &sc))
			return BAIL;
		break;
	default:
		if (!plain_start(s, s->p, 1) || gate_yaml__scan_plain(s, 0, 1, &sc))
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
		if (gate_yaml__scan_quoted(s, *s->p == '\'', k))
			return BAIL;
		skip_spaces(s);
		k->colon = s->p < s->end && *s->p == ':' && blankz(s, s->p + 1);
	} else if (!plain_start(s, s->p, 0) || gate_yaml__scan_plain(s, indent, 0, k)) {
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
		if (gate_yaml__scan_quoted(s, *s->p == '\'', &sc))
			return BAIL;
		skip_spaces(s);
		sc.colon = s->p < s->end && *s->p == ':' && blankz(s, s->p + 1);
		break;
	case '|': case '>':
		if (gate_yaml__scan_block(s, indent, &sc) || ev_scalar(s, sc.style, sc.line, sc.col) ||
		    skip_to_token(s))
			return BAIL;
		s->depth--;
		return 0;
	default:
	plain:
		if (!plain_start(s, s->p, 0) || gate_yaml__scan_plain(s, indent, 0, &sc))
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
