/*
 * judge_flux.c: what a Flux Kustomization adds on top of the folder it
 * names: its own fields (targetNamespace, prefixes, images, patches,
 * components, commonMetadata) as an extra kustomization layer, and its
 * postBuild (substitute, substituteFrom, substituteStrategy), resolved by
 * judge_vars.c and applied by judge_subst.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/render.h"
#include "gate/util.h"
#include "judge_int.h"

/* Append s as a double-quoted YAML (JSON) string. */
void gate_judge__add_quoted(struct gate_buf *b, const char *s)
{
	gate_buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			gate_buf_addf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			gate_buf_addf(b, "\\u%04x", c);
		else
			gate_buf_addc(b, (char)c);
	}
	gate_buf_addc(b, '"');
}

void gate_judge__flux_post_free(struct flux_post *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nrefs; i++) {
		free(p->refs[i].kind);
		free(p->refs[i].name);
	}
	free(p->refs);
	free(p->vars);
	free(p->ns);
	free(p->bad);
	free(p);
}

/*
 * spec.postBuild of a Flux Kustomization (root: the object), NULL without
 * postBuild.  substitute values lose their newlines, as kustomize-controller
 * does; a name that is not a variable name is kept in bad (Flux fails).
 */
struct flux_post *gate_judge__flux_postbuild(const struct gate_node *root, const struct gate_node *spec)
{
	const struct gate_node *pb = gate_node_get(spec, "postBuild"), *sub, *from, *md;
	struct gate_buf b = GATE_BUF_INIT;
	struct flux_post *p;
	const char *st, *ns;
	size_t i;

	if (!pb || pb->type != GATE_NODE_OBJECT)
		return NULL;
	p = gate_xcalloc(1, sizeof(*p));
	p->line = pb->line;
	md = gate_node_get(root, "metadata");
	if (md && md->type == GATE_NODE_OBJECT && (ns = gate_node_get_str(md, "namespace")))
		p->ns = gate_xstrdup(ns);
	st = gate_node_get_str(pb, "substituteStrategy");
	p->always = st && !strcmp(st, "Always");
	gate_buf_adds(&b, "");
	sub = gate_node_get(pb, "substitute");
	for (i = 0; sub && sub->type == GATE_NODE_OBJECT && i < sub->len; i++) {
		const struct gate_member *m = &sub->u.members[i];
		const char *v;
		if (m->value.type != GATE_NODE_STRING)
			continue; /* not a map of strings: the object's own schema says so */
		if (!gate_judge__subst_name_ok(m->key, m->key_len)) {
			if (!p->bad) {
				p->bad = gate_xasprintf("'%s' var name is invalid, must match "
					"'^[_[:alpha:]][_[:alpha:][:digit:]]*$'", m->key);
				p->bad_line = m->line;
				p->bad_col = m->col;
			}
			continue;
		}
		gate_buf_addf(&b, "%s=", m->key);
		for (v = m->value.u.str; *v; v++)
			if (*v != '\n')
				gate_buf_addc(&b, *v);
		gate_buf_addc(&b, '\n');
	}
	p->vars = gate_buf_detach(&b);
	from = gate_node_get(pb, "substituteFrom");
	for (i = 0; from && from->type == GATE_NODE_ARRAY && i < from->len; i++) {
		const struct gate_node *it = &from->u.items[i], *opt;
		const char *kind, *name;
		struct flux_ref *r;
		if (it->type != GATE_NODE_OBJECT || !(kind = gate_node_get_str(it, "kind")) ||
		    !(name = gate_node_get_str(it, "name")) ||
		    (strcmp(kind, "ConfigMap") && strcmp(kind, "Secret")))
			continue; /* the CRD allows only these */
		p->refs = gate_xrealloc(p->refs, (p->nrefs + 1) * sizeof(*p->refs));
		r = &p->refs[p->nrefs++];
		r->kind = gate_xstrdup(kind);
		r->name = gate_xstrdup(name);
		opt = gate_node_get(it, "optional");
		r->optional = opt && opt->type == GATE_NODE_BOOL && opt->u.boolean;
		r->line = it->line;
		r->col = it->col;
	}
	return p;
}

/* Does obj opt out (label or annotation kustomize.toolkit.fluxcd.io/substitute: disabled)? */
int gate_judge__subst_disabled(const struct gate_rnode *obj)
{
	static const char *const where[] = { "labels", "annotations" };
	const struct gate_rnode *m = NULL, *l;
	size_t i, k;

	for (i = 0; obj->type == GATE_RNODE_MAP && i < obj->len; i++)
		if (!strcmp(obj->u.members[i].key, "metadata"))
			m = obj->u.members[i].value;
	for (k = 0; k < 2; k++) {
		l = NULL;
		for (i = 0; m && m->type == GATE_RNODE_MAP && i < m->len; i++)
			if (!strcmp(m->u.members[i].key, where[k]))
				l = m->u.members[i].value;
		for (i = 0; l && l->type == GATE_RNODE_MAP && i < l->len; i++)
			if (!strcmp(l->u.members[i].key, "kustomize.toolkit.fluxcd.io/substitute") &&
			    l->u.members[i].value->str && !strcmp(l->u.members[i].value->str, "disabled"))
				return 1;
	}
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

/* kustomize-controller's IsLocalRelativePath: no URL, not absolute */
static int local_relative(const char *p)
{
	static const char *const remote[] = { "git::", "gh:", "ssh://", "https://", "http://", "git@",
		"github.com:", "github.com/" };
	size_t i;

	for (i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		if (strlen(remote[i]) < strlen(p) && !strncasecmp(p, remote[i], strlen(remote[i])))
			return 0;
	if (p[0] == '/' || !strncasecmp(p, "file:///", 8))
		return 0;
	return 1;
}

/*
 * spec.components on one line: the paths made relative to the overlay's
 * folder (one below the root); those missing from the tree dropped when
 * ignoreMissingComponents is true (exists says).  Returns -1 with *bad set
 * for a path Flux refuses.
 */
static int components_line(const struct gate_node *spec, const struct gate_node *comps,
	const struct flux_overlay_in *in, struct gate_buf *b, char **bad)
{
	const struct gate_node *ign = gate_node_get(spec, "ignoreMissingComponents");
	int ignore = ign && ign->type == GATE_NODE_BOOL && ign->u.boolean;
	size_t i;

	gate_buf_adds(b, "components: [");
	for (i = 0; i < comps->len; i++) {
		const struct gate_node *c = &comps->u.items[i];
		char *rel;
		if (c->type != GATE_NODE_STRING)
			continue;
		if (!local_relative(c->u.str)) {
			*bad = gate_xasprintf("component path '%s' must be local and relative", c->u.str);
			return -1;
		}
		if (ignore && in->exists && !in->exists(in->payload, c->u.str))
			continue;
		rel = gate_xasprintf("../%s", c->u.str);
		gate_judge__add_quoted(b, rel);
		gate_buf_adds(b, ", ");
		free(rel);
	}
	gate_buf_adds(b, "]");
	return 0;
}

/* A transformer config of commonMetadata's map at key (labels, annotations), on its line. */
static char *metadata_transformer(const struct gate_node *cm, const char *key, const char *kind,
	uint32_t *line)
{
	const struct gate_node *m = gate_node_get(cm, key);
	struct gate_buf b = GATE_BUF_INIT;
	uint32_t l, kline = 0;
	size_t i;

	if (!m || m->type != GATE_NODE_OBJECT || !m->len)
		return NULL;
	for (i = 0; i < cm->len; i++)
		if (!strcmp(cm->u.members[i].key, key)) {
			kline = cm->u.members[i].line;
		}
	for (l = 1; l < kline; l++)
		gate_buf_addc(&b, '\n');
	gate_buf_addf(&b, "%s: {", key);
	for (i = 0; i < m->len; i++) {
		if (m->u.members[i].value.type != GATE_NODE_STRING)
			continue;
		gate_judge__add_quoted(&b, m->u.members[i].key);
		gate_buf_adds(&b, ": ");
		gate_judge__add_quoted(&b, m->u.members[i].value.u.str);
		gate_buf_adds(&b, ", ");
	}
	/* Flux sets them on each object's metadata only, never on selectors or templates */
	gate_buf_addf(&b, "}\napiVersion: builtin\nkind: %s\nmetadata: {name: flux-common-%s}\n"
		"fieldSpecs: [{path: metadata/%s, create: true}]\n", kind, key, key);
	*line = kline;
	return gate_buf_detach(&b);
}

/*
 * The overlay of a Flux Kustomization (in->part: its document, from line
 * in->first): its fields of flux_fields, line for line where they stand,
 * less the spec's indent; "resources" on the spec: line; components and
 * commonMetadata's transformers on their own lines.  Fills out; returns 1
 * with an overlay, 0 without, -1 with out->bad set (Flux refuses the object).
 */
int gate_judge__flux_overlay(const struct flux_overlay_in *in, struct flux_overlay *out)
{
	const struct gate_node *root = in->root, *spec = in->spec, *comps, *cm;
	struct gate_buf b = GATE_BUF_INIT;
	uint32_t spec_line = 0, spec_end = UINT32_MAX, line, *from, *to, comp_line = 0, cm_line = 0, dummy;
	size_t i, nm = 0;
	const char *p = in->part, *end = in->part + in->len;
	int any = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < root->len; i++)
		if (!strcmp(root->u.members[i].key, "spec"))
			spec_line = root->u.members[i].line;
		else if (spec_line && root->u.members[i].line > spec_line && spec_end == UINT32_MAX)
			spec_end = root->u.members[i].line;
	if (!spec->len || spec->u.members[0].line <= spec_line)
		return 0; /* a flow mapping */
	out->indent = spec->u.members[0].col - 1;
	comps = gate_node_get(spec, "components");
	cm = gate_node_get(spec, "commonMetadata");
	if (cm && cm->type == GATE_NODE_OBJECT) {
		out->labels = metadata_transformer(cm, "labels", "LabelTransformer", &dummy);
		out->annotations = metadata_transformer(cm, "annotations", "AnnotationsTransformer", &dummy);
	}
	from = gate_xcalloc(spec->len, sizeof(*from));
	to = gate_xcalloc(spec->len, sizeof(*to));
	for (i = 0; i < spec->len; i++) {
		const char *key = spec->u.members[i].key;
		if (!strcmp(key, "components") && comps && comps->type == GATE_NODE_ARRAY && comps->len)
			comp_line = spec->u.members[i].line;
		if (!strcmp(key, "commonMetadata") && (out->labels || out->annotations))
			cm_line = spec->u.members[i].line;
		if (!is_flux_field(key))
			continue;
		from[nm] = spec->u.members[i].line;
		to[nm] = i + 1 < spec->len ? spec->u.members[i + 1].line : spec_end;
		nm++;
	}
	for (line = 1; line < in->first; line++)
		gate_buf_addc(&b, '\n');
	for (line = in->first; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p), k;
		int copy = 0;
		for (k = 0; k < nm; k++)
			if (line >= from[k] && line < to[k])
				copy = 1;
		if (line == spec_line) {
			gate_buf_adds(&b, "resources: [\"..\"]");
		} else if (line == comp_line) {
			if (components_line(spec, comps, in, &b, &out->bad) < 0) {
				out->bad_line = line;
				out->bad_col = out->indent + 1;
				break;
			}
			any = 1;
		} else if (line == cm_line) {
			gate_buf_adds(&b, "transformers: [");
			if (out->labels)
				gate_buf_adds(&b, "\"" FLUX_LABELS_FILE "\", ");
			if (out->annotations)
				gate_buf_adds(&b, "\"" FLUX_ANNOTATIONS_FILE "\"");
			gate_buf_adds(&b, "]");
			any = 1;
		} else if (copy && ll > out->indent && strspn(p, " ") >= out->indent) {
			const char *q = p + out->indent;
			size_t ql = ll - out->indent;
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
	if (out->bad) {
		gate_buf_release(&b);
		return -1;
	}
	if (!any) {
		gate_buf_release(&b);
		return 0;
	}
	out->text = gate_buf_detach(&b);
	return 1;
}

/* One part (s, len) of a path onto o (olen long): 0, or -1 when ".." leaves the top. */
static int join_part(char *o, size_t *olen, const char *s, size_t len)
{
	if (len == 2 && s[0] == '.' && s[1] == '.') {
		char *up;
		if (!*olen)
			return -1;
		o[*olen] = '\0';
		up = strrchr(o, '/');
		*olen = up ? (size_t)(up - o) : 0;
	} else if (len && !(len == 1 && *s == '.')) {
		if (*olen)
			o[(*olen)++] = '/';
		memcpy(o + *olen, s, len);
		*olen += len;
	}
	return 0;
}

/* The parts of path s onto o: 0, or -1 when it leaves the top. */
static int join_parts(char *o, size_t *olen, const char *s)
{
	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (join_part(o, olen, s, len) < 0)
			return -1;
		s += len;
		if (*s == '/')
			s++;
	}
	return 0;
}

int gate_judge__join_path_to(char *o, const char *dir, const char *rel)
{
	size_t olen = 0;

	/* "dir/rel" cleaned: the parts of dir, then those of rel */
	if (join_parts(o, &olen, dir) < 0 || join_parts(o, &olen, rel) < 0)
		return -1;
	o[olen] = '\0';
	return 0;
}

char *gate_judge__join_path(const char *dir, const char *rel)
{
	char *o = gate_xmalloc(strlen(dir) + strlen(rel) + 2);

	if (gate_judge__join_path_to(o, dir, rel) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

/* post as text: the same text, the same postBuild */
char *gate_judge__flux_post_key(const struct flux_post *p)
{
	struct gate_buf b = GATE_BUF_INIT;
	size_t i;

	if (!p)
		return NULL;
	gate_buf_addf(&b, "%s\n%d %s %s\n", p->vars, p->always, p->ns ? p->ns : "-", p->bad ? p->bad : "-");
	for (i = 0; i < p->nrefs; i++)
		gate_buf_addf(&b, "%s/%s %d %u\n", p->refs[i].kind, p->refs[i].name, p->refs[i].optional,
			p->refs[i].line);
	return gate_buf_detach(&b);
}

void gate_judge__root_in_release(struct root_in *in)
{
	free(in->overlay);
	free(in->labels);
	free(in->annots);
	free(in->bad);
	gate_judge__flux_post_free(in->post);
	memset(in, 0, sizeof(*in));
}

/* A field: "<length>:<bytes>" ("-" for NULL). */
static void dump_str(struct gate_buf *b, const char *s)
{
	if (!s)
		gate_buf_adds(b, "-");
	else
		gate_buf_addf(b, "%zu:%s", strlen(s), s);
}

void gate_judge__root_in_dump(const struct root_in *in, struct gate_buf *b)
{
	size_t i;

	gate_buf_addf(b, "R%d %u %u %u ", in->flux, in->indent, in->bad_line, in->bad_col);
	dump_str(b, in->overlay);
	dump_str(b, in->labels);
	dump_str(b, in->annots);
	dump_str(b, in->bad);
	if (!in->post) {
		gate_buf_adds(b, "-");
		return;
	}
	gate_buf_addf(b, "P%d %u %u %u %zu ", in->post->always, in->post->line, in->post->bad_line,
		in->post->bad_col, in->post->nrefs);
	dump_str(b, in->post->vars);
	dump_str(b, in->post->ns);
	dump_str(b, in->post->bad);
	for (i = 0; i < in->post->nrefs; i++) {
		const struct flux_ref *r = &in->post->refs[i];
		gate_buf_addf(b, "%d %u %u ", r->optional, r->line, r->col);
		dump_str(b, r->kind);
		dump_str(b, r->name);
	}
}

static int load_uint(const char **p, const char *end, unsigned long *v)
{
	char *e;

	if (*p >= end || **p < '0' || **p > '9')
		return -1;
	*v = strtoul(*p, &e, 10);
	if (e >= end || (*e != ' ' && *e != ':'))
		return -1;
	*p = *e == ' ' ? e + 1 : e;
	return 0;
}

static int load_str(const char **p, const char *end, char **out)
{
	unsigned long n;

	*out = NULL;
	if (*p < end && **p == '-') {
		(*p)++;
		return 0;
	}
	if (load_uint(p, end, &n) < 0 || **p != ':' || (size_t)(end - *p - 1) < n)
		return -1;
	*out = gate_xstrndup(*p + 1, n);
	*p += 1 + n;
	return 0;
}

int gate_judge__root_in_load(const char **p, const char *end, struct root_in *in)
{
	unsigned long v[5];
	size_t i;

	memset(in, 0, sizeof(*in));
	if (*p >= end || **p != 'R')
		return -1;
	(*p)++;
	for (i = 0; i < 4; i++)
		if (load_uint(p, end, &v[i]) < 0)
			goto bad;
	in->flux = (int)v[0];
	in->indent = (uint32_t)v[1];
	in->bad_line = (uint32_t)v[2];
	in->bad_col = (uint32_t)v[3];
	if (load_str(p, end, &in->overlay) < 0 || load_str(p, end, &in->labels) < 0 ||
	    load_str(p, end, &in->annots) < 0 || load_str(p, end, &in->bad) < 0 || *p >= end)
		goto bad;
	if (**p == '-') {
		(*p)++;
		return 0;
	}
	if (**p != 'P')
		goto bad;
	(*p)++;
	for (i = 0; i < 5; i++)
		if (load_uint(p, end, &v[i]) < 0)
			goto bad;
	in->post = gate_xcalloc(1, sizeof(*in->post));
	in->post->always = (int)v[0];
	in->post->line = (uint32_t)v[1];
	in->post->bad_line = (uint32_t)v[2];
	in->post->bad_col = (uint32_t)v[3];
	if (v[4] > (size_t)(end - *p))
		goto bad;
	if (load_str(p, end, &in->post->vars) < 0 || !in->post->vars || load_str(p, end, &in->post->ns) < 0 ||
	    load_str(p, end, &in->post->bad) < 0)
		goto bad;
	in->post->refs = v[4] ? gate_xcalloc(v[4], sizeof(*in->post->refs)) : NULL;
	for (i = 0; i < v[4]; i++) {
		struct flux_ref *r = &in->post->refs[i];
		unsigned long o[3];
		size_t k;
		in->post->nrefs = i + 1;
		for (k = 0; k < 3; k++)
			if (load_uint(p, end, &o[k]) < 0)
				goto bad;
		r->optional = (int)o[0];
		r->line = (uint32_t)o[1];
		r->col = (uint32_t)o[2];
		if (load_str(p, end, &r->kind) < 0 || load_str(p, end, &r->name) < 0 || !r->kind || !r->name)
			goto bad;
	}
	return 0;
bad:
	gate_judge__root_in_release(in);
	return -1;
}
