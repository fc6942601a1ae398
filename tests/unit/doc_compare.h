/*
 * doc_compare.h: the two parsers of gate_doc_parse() side by side, for the
 * differential tests (yaml_diff, yaml_scan_test) and the libFuzzer target
 * yaml_scan_fuzz.  A document is dumped in full (every node's type, flags,
 * line, column, length and value; every member's key, key length, line and
 * column; the document's line; or the error's line, column and message) and
 * the dumps compared byte for byte:
 *
 *   - libyaml alone (GATE_DOC__LIBYAML_ONLY), the reference;
 *   - the native scanner alone (GATE_DOC__NATIVE_ONLY): declined, or equal;
 *   - the default path (native, then libyaml): always equal.
 *
 * Header-only, static functions; links against libgate.
 */
#ifndef GATE_DOC_COMPARE_H
#define GATE_DOC_COMPARE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/util.h"
#include "../../validate/doc_int.h"

static void dc_node(struct gate_buf *b, const struct gate_node *n, unsigned depth);

static void dc_str(struct gate_buf *b, const char *s, size_t len)
{
	gate_buf_addf(b, "%zu:", len);
	gate_buf_add(b, s, len);
}

static void dc_node(struct gate_buf *b, const struct gate_node *n, unsigned depth)
{
	uint32_t i;
	uint64_t bits;

	gate_buf_addf(b, "\n%*s<%u f%u %u:%u n%u> ", (int)(depth % 64), "", n->type, n->flags,
		n->line, n->col, n->len);
	switch (n->type) {
	case GATE_NODE_BOOL:
		gate_buf_addf(b, "%d", n->u.boolean);
		break;
	case GATE_NODE_NUMBER:
		memcpy(&bits, &n->u.number, sizeof(bits));
		gate_buf_addf(b, "%016" PRIx64, bits);
		break;
	case GATE_NODE_STRING:
		dc_str(b, n->u.str, n->len);
		break;
	case GATE_NODE_ARRAY:
		for (i = 0; i < n->len; i++)
			dc_node(b, &n->u.items[i], depth + 1);
		break;
	case GATE_NODE_OBJECT:
		for (i = 0; i < n->len; i++) {
			const struct gate_member *m = &n->u.members[i];
			gate_buf_addf(b, "\n%*skey %u:%u ", (int)(depth % 64), "", m->line, m->col);
			dc_str(b, m->key, m->key_len);
			dc_node(b, &m->value, depth + 1);
		}
		break;
	default:
		break;
	}
}

/*
 * Parse buf with flags and dump the outcome into b (reset first).  Returns
 * gate_doc_parse()'s value.
 */
static int dc_dump(struct gate_buf *b, const char *buf, size_t len, uint32_t line,
	const struct gate_doc_limits *lim, int flags)
{
	struct gate_doc *doc = NULL;
	struct gate_doc_error err;
	int r = gate_doc_parse(&doc, buf, len, line, lim, flags, &err);

	gate_buf_reset(b);
	if (r < 0) {
		gate_buf_addf(b, "error %d %u:%u %s", r, err.line, err.col, err.message);
		return r;
	}
	gate_buf_addf(b, "doc line %u", doc->line);
	if (doc->root)
		dc_node(b, doc->root, 0);
	else
		gate_buf_adds(b, " (no root)");
	gate_doc_free(doc);
	return r;
}

struct dc_stats {
	size_t docs;     /* parts compared (each in both duplicate-key modes) */
	size_t native;   /* of those, taken by the native scanner (the rest: declined,
			    or refused before parsing, as an input error) */
	size_t declined; /* given up by the native scanner, parsed by libyaml */
	size_t errors;   /* libyaml refused them (the same error both ways) */
	size_t differ;   /* the two paths gave different results: a bug */
	char first[512]; /* the first difference, for the report */
	FILE *declined_to; /* when set, where each declined part is named */
};

/*
 * Compare one part both ways (both duplicate-key modes).  where names the
 * part in a report.  Returns 0 when the paths agree, -1 when they differ.
 */
static int dc_compare(struct dc_stats *st, const char *buf, size_t len, uint32_t line,
	const struct gate_doc_limits *lim, const char *where)
{
	struct gate_buf ref = GATE_BUF_INIT, nat = GATE_BUF_INIT, def = GATE_BUF_INIT;
	int mode, bad = 0;

	for (mode = 0; mode < 2 && !bad; mode++) {
		int flags = mode ? GATE_DOC_DUPKEYS_ERROR : 0, rr, rn;
		const char *what = NULL;

		st->docs++;
		rr = dc_dump(&ref, buf, len, line, lim, flags | GATE_DOC__LIBYAML_ONLY);
		rn = dc_dump(&nat, buf, len, line, lim, flags | GATE_DOC__NATIVE_ONLY);
		dc_dump(&def, buf, len, line, lim, flags);
		if (rr < 0)
			st->errors++;
		if (rn == GATE_DOC__DECLINED) {
			st->declined++;
			if (st->declined_to && !mode)
				fprintf(st->declined_to, "declined: %s\n", where);
		}
		else if (ref.len != nat.len || memcmp(ref.ptr, nat.ptr, ref.len) != 0)
			what = "native scanner";
		else if (rn == 0)
			st->native++;
		/* else: refused before either parser ran (encoding, size): the same error */
		if (!what && (ref.len != def.len || memcmp(ref.ptr, def.ptr, ref.len) != 0))
			what = "default path";
		if (what) {
			size_t i = 0;
			const char *n = what[0] == 'n' ? nat.ptr : def.ptr;
			size_t nl = what[0] == 'n' ? nat.len : def.len;
			while (i < ref.len && i < nl && ref.ptr[i] == n[i])
				i++;
			bad = 1;
			st->differ++;
			if (!st->first[0])
				snprintf(st->first, sizeof(st->first),
					"%s (%s): %s differs from libyaml at dump byte %zu: libyaml \"%.80s\" vs \"%.80s\"",
					where, mode ? "dupkeys error" : "last wins", what, i,
					ref.ptr ? ref.ptr + (i > 20 ? i - 20 : 0) : "",
					n ? n + (i > 20 ? i - 20 : 0) : "");
		}
	}
	gate_buf_release(&ref);
	gate_buf_release(&nat);
	gate_buf_release(&def);
	return bad ? -1 : 0;
}

struct dc_split {
	struct dc_stats *st;
	const struct gate_doc_limits *lim;
	const char *name;
	int bad;
};

static inline int dc_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct dc_split *s = payload;
	char where[300];

	snprintf(where, sizeof(where), "%s:%u", s->name, line);
	if (dc_compare(s->st, part, len, line, s->lim, where) < 0)
		s->bad = 1;
	return 0;
}

/* Compare every part of a file, split as gitops-gate validate splits it. */
static inline int dc_compare_file(struct dc_stats *st, const char *buf, size_t len, const char *name,
	const struct gate_doc_limits *lim)
{
	struct dc_split s;

	s.st = st;
	s.lim = lim;
	s.name = name;
	s.bad = 0;
	gate_doc_split(buf, len, dc_part, &s);
	return s.bad ? -1 : 0;
}

#endif
