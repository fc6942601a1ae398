/*
 * doc_json.c: a document node as compact JSON text, or as a jansson value
 * (gate_node_to_jansson, declared in gate/schema.h).
 *
 * Numbers print as Go's encoding/json prints a float64 (what kubeconform's
 * YAML-to-JSON conversion produces).  JSON has no infinities or NaN
 * (.inf/.nan in YAML): they become null in both forms.
 */
#include "gate/doc.h"
#include "gate/schema.h"
#include "gate/util.h"
#include "doc_int.h"

#include <math.h>
#include <string.h>

static void add_json_string(struct gate_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	gate_buf_addc(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		gate_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
			break;
		}
		gate_buf_adds(b, esc);
	}
	gate_buf_add(b, s + run, len - run);
	gate_buf_addc(b, '"');
}

static void add_json(struct gate_buf *b, const struct gate_node *n)
{
	char num[64];
	uint32_t i;

	switch (n->type) {
	case GATE_NODE_BOOL:
		gate_buf_adds(b, n->u.boolean ? "true" : "false");
		break;
	case GATE_NODE_NUMBER:
		gate_buf_add(b, num, gate_doc_format_json_number(num, sizeof(num), n->u.number));
		break;
	case GATE_NODE_STRING:
		add_json_string(b, n->u.str, n->len);
		break;
	case GATE_NODE_ARRAY:
		gate_buf_addc(b, '[');
		for (i = 0; i < n->len; i++) {
			if (i)
				gate_buf_addc(b, ',');
			add_json(b, &n->u.items[i]);
		}
		gate_buf_addc(b, ']');
		break;
	case GATE_NODE_OBJECT:
		gate_buf_addc(b, '{');
		for (i = 0; i < n->len; i++) {
			if (i)
				gate_buf_addc(b, ',');
			add_json_string(b, n->u.members[i].key, n->u.members[i].key_len);
			gate_buf_addc(b, ':');
			add_json(b, &n->u.members[i].value);
		}
		gate_buf_addc(b, '}');
		break;
	default:
		gate_buf_adds(b, "null");
		break;
	}
}

char *gate_node_to_json(const struct gate_node *n)
{
	struct gate_buf b = GATE_BUF_INIT;

	if (!n)
		gate_buf_adds(&b, "null");
	else
		add_json(&b, n);
	return gate_buf_detach(&b);
}

json_t *gate_node_to_jansson(const struct gate_node *n)
{
	json_t *v;
	uint32_t i;

	if (!n)
		return json_null();
	switch (n->type) {
	case GATE_NODE_BOOL:
		return json_boolean(n->u.boolean);
	case GATE_NODE_NUMBER:
		if (!isfinite(n->u.number))
			return json_null();
		if ((n->flags & GATE_NODE_INTEGRAL) && fabs(n->u.number) < 9223372036854775808.0)
			return json_integer((json_int_t)n->u.number);
		return json_real(n->u.number);
	case GATE_NODE_STRING:
		/* UTF-8 was checked on input and NUL is refused in strings */
		return json_stringn_nocheck(n->u.str, n->len);
	case GATE_NODE_ARRAY:
		if (!(v = json_array()))
			return NULL;
		for (i = 0; i < n->len; i++) {
			if (json_array_append_new(v, gate_node_to_jansson(&n->u.items[i])) < 0) {
				json_decref(v);
				return NULL;
			}
		}
		return v;
	case GATE_NODE_OBJECT:
		if (!(v = json_object()))
			return NULL;
		for (i = 0; i < n->len; i++) {
			const struct gate_member *m = &n->u.members[i];
			if (json_object_setn_new_nocheck(v, m->key, m->key_len,
					gate_node_to_jansson(&m->value)) < 0) {
				json_decref(v);
				return NULL;
			}
		}
		return v;
	default:
		return json_null();
	}
}
