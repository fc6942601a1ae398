/*
 * render_json.c: Go-compatible JSON of rendered nodes (encoding/json's
 * escaping, keys sorted), as kustomize hashes generated ConfigMaps and
 * Secrets and compares patch values.
 */
#include "render_int.h"
#include "gate/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rn_json_str(const char *s, size_t len, struct gate_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	gate_buf_addc(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"': gate_buf_adds(out, "\\\""); break;
		case '\\': gate_buf_adds(out, "\\\\"); break;
		case '\n': gate_buf_adds(out, "\\n"); break;
		case '\r': gate_buf_adds(out, "\\r"); break;
		case '\t': gate_buf_adds(out, "\\t"); break;
		case '<': case '>': case '&':
			gate_buf_adds(out, "\\u00");
			gate_buf_addc(out, hex[ch >> 4]);
			gate_buf_addc(out, hex[ch & 15]);
			break;
		default:
			if (ch < 0x20) {
				gate_buf_adds(out, "\\u00");
				gate_buf_addc(out, hex[ch >> 4]);
				gate_buf_addc(out, hex[ch & 15]);
			} else if (ch == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
				((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
				gate_buf_adds(out, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
				i += 2;
			} else {
				gate_buf_addc(out, (char)ch);
			}
		}
	}
	gate_buf_addc(out, '"');
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gate_rmember *)a)->key, ((const struct gate_rmember *)b)->key);
}

void rn_json(const struct gate_rnode *n, struct gate_buf *out)
{
	uint32_t i;

	if (!n) {
		gate_buf_adds(out, "null");
		return;
	}
	switch (n->type) {
	case GATE_RNODE_NULL:
		gate_buf_adds(out, "null");
		break;
	case GATE_RNODE_BOOL:
		gate_buf_adds(out, n->str);
		break;
	case GATE_RNODE_INT: {
		long long v;

		if (rn_int_value(n, &v))
			gate_buf_addf(out, "%lld", v);
		else
			gate_buf_adds(out, n->str);
		break;
	}
	case GATE_RNODE_FLOAT: {
		double d = rn_float_value(n);

		if (d == floor(d) && fabs(d) < 1e21)
			gate_buf_addf(out, "%.0f", d);
		else
			gate_buf_addf(out, "%.17g", d);
		break;
	}
	case GATE_RNODE_STR:
		rn_json_str(n->str, n->len, out);
		break;
	case GATE_RNODE_SEQ:
		gate_buf_addc(out, '[');
		for (i = 0; i < n->len; i++) {
			if (i)
				gate_buf_addc(out, ',');
			rn_json(n->u.items[i], out);
		}
		gate_buf_addc(out, ']');
		break;
	default: {
		struct gate_rmember *m = gate_xreallocarray(NULL, n->len ? n->len : 1, sizeof(*m));

		if (n->len)
			memcpy(m, n->u.members, n->len * sizeof(*m));
		qsort(m, n->len, sizeof(*m), member_cmp);
		gate_buf_addc(out, '{');
		for (i = 0; i < n->len; i++) {
			if (i)
				gate_buf_addc(out, ',');
			rn_json_str(m[i].key, strlen(m[i].key), out);
			gate_buf_addc(out, ':');
			rn_json(m[i].value, out);
		}
		gate_buf_addc(out, '}');
		free(m);
	}
	}
}
