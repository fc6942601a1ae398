/*
 * doc_node.c: splitting a stream into documents at "---" lines, and queries
 * on the loaded tree (member lookup, equality, type names).
 */
#include "gate/doc.h"
#include "gate/util.h"
#include "gate/utf16.h"
#include "doc_int.h"

#include <stdint.h>
#include <string.h>

static int split(const char *buf, size_t len, gate_doc_part_fn fn, void *payload);

int gate_doc_split(const char *buf, size_t len, gate_doc_part_fn fn, void *payload)
{
	struct gate_buf dec = GATE_BUF_INIT;
	enum gate_utf16 enc;
	size_t bom;
	int r;

	/* UTF-16 with a byte order mark, as YAML allows: split the UTF-8 text */
	if ((enc = gate_utf16_detect(buf, len, 0, &bom)) == GATE_UTF16_NONE)
		return split(buf, len, fn, payload);
	gate_utf16_decode(&dec, buf + bom, len - bom, enc, 1);
	r = split(dec.ptr ? dec.ptr : "", dec.len, fn, payload);
	gate_buf_release(&dec);
	return r;
}

static int split(const char *buf, size_t len, gate_doc_part_fn fn, void *payload)
{
	size_t start = 0, i = 0, part_end;
	uint32_t line = 1, start_line = 1;
	int r;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - buf);
		line++; /* the line after this newline */
		if (i + 3 < len && buf[i + 1] == '-' && buf[i + 2] == '-' && buf[i + 3] == '-') {
			/* "\n---": a separator; the rest of its line is dropped */
			part_end = i;
			if (part_end > start && buf[part_end - 1] == '\r')
				part_end--;
			if ((r = fn(buf + start, part_end - start, start_line, payload)) != 0)
				return r;
			nl = memchr(buf + i + 1, '\n', len - i - 1);
			if (!nl)
				return 0;
			i = (size_t)(nl - buf) + 1;
			line++;
			start = i;
			start_line = line;
			continue;
		}
		i++;
	}
	if (start < len)
		return fn(buf + start, len - start, start_line, payload);
	return 0;
}

const struct gate_node *gate_node_get(const struct gate_node *obj, const char *key)
{
	size_t klen;
	uint32_t i;

	if (!obj || obj->type != GATE_NODE_OBJECT || !key)
		return NULL;
	klen = strlen(key);
	for (i = 0; i < obj->len; i++) {
		const struct gate_member *m = &obj->u.members[i];
		if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
			return &m->value;
	}
	return NULL;
}

const char *gate_node_get_str(const struct gate_node *obj, const char *key)
{
	const struct gate_node *n = gate_node_get(obj, key);

	return n && n->type == GATE_NODE_STRING ? n->u.str : NULL;
}

int gate_node_equal(const struct gate_node *a, const struct gate_node *b)
{
	uint32_t i, k;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case GATE_NODE_NULL:
		return 1;
	case GATE_NODE_BOOL:
		return !!a->u.boolean == !!b->u.boolean;
	case GATE_NODE_NUMBER:
		return a->u.number == b->u.number;
	case GATE_NODE_STRING:
		return a->len == b->len && !memcmp(a->u.str, b->u.str, a->len);
	case GATE_NODE_ARRAY:
		if (a->len != b->len)
			return 0;
		for (i = 0; i < a->len; i++)
			if (!gate_node_equal(&a->u.items[i], &b->u.items[i]))
				return 0;
		return 1;
	default:
		if (a->len != b->len)
			return 0;
		for (i = 0; i < a->len; i++) {
			const struct gate_member *m = &a->u.members[i];
			for (k = 0; k < b->len; k++) {
				const struct gate_member *o = &b->u.members[(i + k) % b->len];
				if (o->key_len == m->key_len && !memcmp(o->key, m->key, m->key_len)) {
					if (!gate_node_equal(&m->value, &o->value))
						return 0;
					break;
				}
			}
			if (k == b->len)
				return 0;
		}
		return 1;
	}
}

const char *gate_node_type_name(const struct gate_node *n)
{
	if (!n)
		return "null";
	switch (n->type) {
	case GATE_NODE_NULL: return "null";
	case GATE_NODE_BOOL: return "boolean";
	case GATE_NODE_NUMBER: return (n->flags & GATE_NODE_INTEGRAL) ? "integer" : "number";
	case GATE_NODE_STRING: return "string";
	case GATE_NODE_ARRAY: return "array";
	case GATE_NODE_OBJECT: return "object";
	default: return "unknown";
	}
}
