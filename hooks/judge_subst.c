/*
 * judge_subst.c: Flux's post-build variable substitution (kustomize-controller
 * runs it on each rendered object's YAML), for the deployment roots of
 * judge_render.c.
 */
#include <string.h>

#include "gate/util.h"
#include "judge_int.h"

/* The value of name in subst ("name=value\n" lines), or NULL. */
static const char *subst_get(const char *subst, const char *name, size_t nlen, size_t *vlen)
{
	const char *p = subst;

	while (*p) {
		const char *nl = strchr(p, '\n');
		if (!strncmp(p, name, nlen) && p[nlen] == '=') {
			*vlen = (size_t)(nl - p) - nlen - 1;
			return p + nlen + 1;
		}
		p = nl + 1;
	}
	return NULL;
}

static int is_var_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * Flux's post-build substitution on an object's YAML text: ${var},
 * ${var:=default}, ${var:-default} (and = / - without the colon); an
 * undefined variable without default becomes empty; $${var} stays ${var}.
 */
void gate_judge__flux_substitute(const char *subst, const struct gate_buf *in, struct gate_buf *out)
{
	const char *p = in->ptr ? in->ptr : "", *end = p + in->len;

	while (p < end) {
		const char *name, *close;
		size_t nlen, vlen;
		const char *v;
		if (p[0] == '$' && p + 2 < end && p[1] == '$' && p[2] == '{') {
			gate_buf_adds(out, "${");
			p += 3;
			continue;
		}
		if (!(p[0] == '$' && p + 1 < end && p[1] == '{')) {
			gate_buf_addc(out, *p++);
			continue;
		}
		name = p + 2;
		for (nlen = 0; name + nlen < end && is_var_char(name[nlen]); nlen++)
			;
		close = memchr(name + nlen, '}', (size_t)(end - name - nlen));
		if (!nlen || !close || memchr(name, '\n', (size_t)(close - name))) {
			gate_buf_addc(out, *p++);
			continue;
		}
		v = subst_get(subst, name, nlen, &vlen);
		if (name[nlen] == '}') {
			if (v)
				gate_buf_add(out, v, vlen);
		} else {
			const char *op = name + nlen;
			size_t skip = op[0] == ':' ? 2 : 1;
			if ((op[0] == ':' && (op[1] == '=' || op[1] == '-')) || op[0] == '=' || op[0] == '-') {
				if (v && (vlen || op[0] != ':'))
					gate_buf_add(out, v, vlen);
				else
					gate_buf_add(out, op + skip, (size_t)(close - op - skip));
			} else {
				gate_buf_add(out, p, (size_t)(close - p + 1));
			}
		}
		p = close + 1;
	}
}
