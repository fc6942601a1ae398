/*
 * judge_flux.c: what a Flux Kustomization adds on top of the folder it
 * names: its own fields (targetNamespace, prefixes, images, patches) as an
 * extra kustomization layer, and its postBuild.substitute variables (applied
 * by judge_subst.c).
 */
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/render.h"
#include "gate/util.h"
#include "judge_int.h"

/* spec.postBuild.substitute as "name=value\n" lines; NULL without postBuild. */
char *gate_judge__flux_postbuild(const struct gate_node *spec)
{
	const struct gate_node *pb = gate_node_get(spec, "postBuild"), *sub;
	struct gate_buf b = GATE_BUF_INIT;
	size_t i;

	if (!pb || pb->type != GATE_NODE_OBJECT)
		return NULL;
	gate_buf_adds(&b, "");
	sub = gate_node_get(pb, "substitute");
	for (i = 0; sub && sub->type == GATE_NODE_OBJECT && i < sub->len; i++) {
		const struct gate_member *m = &sub->u.members[i];
		if (m->value.type != GATE_NODE_STRING || strchr(m->key, '\n') || strchr(m->value.u.str, '\n'))
			continue;
		gate_buf_addf(&b, "%s=%s\n", m->key, m->value.u.str);
	}
	return b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
}

/* Does the object opt out (label kustomize.toolkit.fluxcd.io/substitute: disabled)? */
int gate_judge__subst_disabled(const struct gate_rnode *obj)
{
	const struct gate_rnode *m = NULL, *l = NULL;
	size_t i;

	for (i = 0; obj->type == GATE_RNODE_MAP && i < obj->len; i++)
		if (!strcmp(obj->u.members[i].key, "metadata"))
			m = obj->u.members[i].value;
	for (i = 0; m && m->type == GATE_RNODE_MAP && i < m->len; i++)
		if (!strcmp(m->u.members[i].key, "labels"))
			l = m->u.members[i].value;
	for (i = 0; l && l->type == GATE_RNODE_MAP && i < l->len; i++)
		if (!strcmp(l->u.members[i].key, "kustomize.toolkit.fluxcd.io/substitute") &&
		    l->u.members[i].value->str && !strcmp(l->u.members[i].value->str, "disabled"))
			return 1;
	return 0;
}

static const char *const flux_fields[] = {
	"targetNamespace", "namePrefix", "nameSuffix", "images", "patches"
};

static int is_flux_field(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(flux_fields) / sizeof(flux_fields[0]); i++)
		if (!strcmp(key, flux_fields[i]))
			return 1;
	return 0;
}

/*
 * The overlay of a Flux Kustomization (part: its document, from line
 * first): its fields of flux_fields, line for line where they stand, less
 * the spec's indent; "resources" on the spec: line.  NULL when it has none.
 */
char *gate_judge__flux_overlay(const char *part, size_t len, uint32_t first, const struct gate_node *root,
	const struct gate_node *spec, uint32_t *indent)
{
	struct gate_buf b = GATE_BUF_INIT;
	uint32_t spec_line = 0, spec_end = UINT32_MAX, line, *from, *to;
	size_t i, nm = 0;
	const char *p = part, *end = part + len;
	int any = 0;

	for (i = 0; i < root->len; i++)
		if (!strcmp(root->u.members[i].key, "spec"))
			spec_line = root->u.members[i].line;
		else if (spec_line && root->u.members[i].line > spec_line && spec_end == UINT32_MAX)
			spec_end = root->u.members[i].line;
	if (!spec->len || spec->u.members[0].line <= spec_line)
		return NULL; /* a flow mapping */
	*indent = spec->u.members[0].col - 1;
	from = gate_xcalloc(spec->len, sizeof(*from));
	to = gate_xcalloc(spec->len, sizeof(*to));
	for (i = 0; i < spec->len; i++) {
		if (!is_flux_field(spec->u.members[i].key))
			continue;
		from[nm] = spec->u.members[i].line;
		to[nm] = i + 1 < spec->len ? spec->u.members[i + 1].line : spec_end;
		nm++;
	}
	for (line = 1; line < first; line++)
		gate_buf_addc(&b, '\n');
	for (line = first; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p), k;
		int copy = 0;
		for (k = 0; k < nm; k++)
			if (line >= from[k] && line < to[k])
				copy = 1;
		if (line == spec_line) {
			gate_buf_adds(&b, "resources: [\"..\"]");
		} else if (copy && ll > *indent && strspn(p, " ") >= *indent) {
			const char *q = p + *indent;
			size_t ql = ll - *indent;
			if (!strncmp(q, "targetNamespace:", 16)) {
				gate_buf_adds(&b, "namespace:      ");
				q += 16;
				ql -= 16;
			}
			gate_buf_add(&b, q, ql);
			any = 1;
		}
		gate_buf_addc(&b, '\n');
		p = nl ? nl + 1 : end;
	}
	free(from);
	free(to);
	if (!any) {
		gate_buf_release(&b);
		return NULL;
	}
	return gate_buf_detach(&b);
}
