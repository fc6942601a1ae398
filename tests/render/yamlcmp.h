/*
 * yamlcmp.h: compare two YAML streams as lists of documents, strictly on
 * everything a YAML reader sees: document order, key order, every value and
 * its type (a quoted "true" is not the boolean true).  Layout (indentation,
 * quoting style, line folding) is ignored.  Used by tests/render/yamlcmp.c
 * and tests/render/golden_run.c.
 */
#ifndef GATE_TEST_YAMLCMP_H
#define GATE_TEST_YAMLCMP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/util.h"

struct docs {
	struct gate_doc **v;
	size_t n, alloc;
	const char *name;
	int failed;
};

static int part(const char *p, size_t len, uint32_t line, void *payload)
{
	struct docs *d = payload;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err;
	struct gate_doc *doc;

	if (gate_doc_parse(&doc, p, len, line, &lim, GATE_DOC_DUPKEYS_ERROR, &err) < 0) {
		printf("%s:%u:%u: %s\n", d->name, err.line, err.col, err.message);
		d->failed = 1;
		return 0;
	}
	if (!doc->root || doc->root->type == GATE_NODE_NULL) {
		gate_doc_free(doc);
		return 0;
	}
	GATE_ALLOC_GROW(d->v, d->n + 1, d->alloc);
	d->v[d->n++] = doc;
	return 0;
}

static int diff(const struct gate_node *a, const struct gate_node *b, struct gate_buf *path)
{
	size_t keep = path->len;
	uint32_t i;

	if (a->type != b->type || ((a->type == GATE_NODE_NUMBER) && ((a->flags ^ b->flags) & GATE_NODE_INTEGRAL))) {
		gate_buf_addf(path, ": %s vs %s", gate_node_type_name(a), gate_node_type_name(b));
		return 1;
	}
	switch (a->type) {
	case GATE_NODE_BOOL:
		if (a->u.boolean != b->u.boolean) {
			gate_buf_adds(path, ": boolean differs");
			return 1;
		}
		return 0;
	case GATE_NODE_NUMBER:
		if (a->u.number != b->u.number) {
			gate_buf_addf(path, ": %.17g vs %.17g", a->u.number, b->u.number);
			return 1;
		}
		return 0;
	case GATE_NODE_STRING:
		if (a->len != b->len || memcmp(a->u.str, b->u.str, a->len)) {
			gate_buf_adds(path, ": \"");
			gate_buf_add_escaped(path, a->u.str, a->len > 200 ? 200 : a->len);
			gate_buf_adds(path, "\" vs \"");
			gate_buf_add_escaped(path, b->u.str, b->len > 200 ? 200 : b->len);
			gate_buf_adds(path, "\"");
			return 1;
		}
		return 0;
	case GATE_NODE_ARRAY:
		for (i = 0; i < a->len && i < b->len; i++) {
			gate_buf_addf(path, "/%u", i);
			if (diff(&a->u.items[i], &b->u.items[i], path))
				return 1;
			path->len = keep;
			path->ptr[keep] = 0;
		}
		if (a->len != b->len) {
			gate_buf_addf(path, ": %u items vs %u", a->len, b->len);
			return 1;
		}
		return 0;
	case GATE_NODE_OBJECT:
		for (i = 0; i < a->len && i < b->len; i++) {
			if (strcmp(a->u.members[i].key, b->u.members[i].key)) {
				gate_buf_addf(path, ": key #%u is \"%s\" vs \"%s\"", i, a->u.members[i].key,
					b->u.members[i].key);
				return 1;
			}
			gate_buf_addf(path, "/%s", a->u.members[i].key);
			if (diff(&a->u.members[i].value, &b->u.members[i].value, path))
				return 1;
			path->len = keep;
			path->ptr[keep] = 0;
		}
		if (a->len != b->len) {
			gate_buf_addf(path, ": %u keys vs %u", a->len, b->len);
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

static void docs_release(struct docs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		gate_doc_free(d->v[i]);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static int load_buf(const char *name, const char *buf, size_t len, struct docs *d)
{
	d->name = name;
	gate_doc_split(buf, len, part, d);
	return d->failed ? -1 : 0;
}

/*
 * Compare two loaded streams; 0 when equal, else 1 with the first
 * difference in msg.
 */
static int docs_diff(const struct docs *a, const struct docs *b, struct gate_buf *msg)
{
	size_t i;

	for (i = 0; i < a->n && i < b->n; i++) {
		gate_buf_reset(msg);
		gate_buf_addf(msg, "document %zu (line %u vs %u) ", i + 1, a->v[i]->line, b->v[i]->line);
		if (diff(a->v[i]->root, b->v[i]->root, msg))
			return 1;
	}
	gate_buf_reset(msg);
	if (a->n != b->n) {
		gate_buf_addf(msg, "%zu documents vs %zu", a->n, b->n);
		return 1;
	}
	return 0;
}

#endif
