/*
 * render_config.c: `configurations:` (transformer configuration files that
 * add field specs: commonLabels, templateLabels, commonAnnotations,
 * namespace, images, replicas, nameReference, varReference) and `vars:`
 * (the legacy $(VAR) substitution, resolved once the whole build is
 * transformed and its names fixed, in kustomize's varReference fields).
 *
 * Both travel with a resource map: a base's configurations and vars reach
 * the kustomizations that include it, as in kustomize's accumulator.
 */
#include "render_int.h"
#include "gate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fspecs_push(struct rctx *c, struct fspecs *l, const struct fspec *f)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, f->path) &&
			!strcmp(l->v[i].kind ? l->v[i].kind : "", f->kind ? f->kind : "") &&
			!strcmp(l->v[i].group ? l->v[i].group : "", f->group ? f->group : "") &&
			!strcmp(l->v[i].version ? l->v[i].version : "", f->version ? f->version : "") &&
			!strcmp(l->v[i].referral ? l->v[i].referral : "", f->referral ? f->referral : ""))
			return;
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 8;
		struct fspec *v = ra_alloc(c, na * sizeof(*v));

		if (l->n)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->alloc = na;
	}
	l->v[l->n++] = *f;
}

static struct fspec read_spec(struct rctx *c, const struct gate_rnode *n)
{
	struct fspec f;
	const struct gate_rnode *cr = rn_get(n, "create");

	memset(&f, 0, sizeof(f));
	if (!n || n->type != GATE_RNODE_MAP || !rn_get_str(n, "path"))
		rfail(c, n, "a field spec needs a path");
	f.path = rn_get_str(n, "path");
	f.kind = rn_get_str(n, "kind");
	f.group = rn_get_str(n, "group");
	f.version = rn_get_str(n, "version");
	f.create = cr && cr->type == GATE_RNODE_BOOL && !strcmp(cr->str, "true");
	return f;
}

static void read_specs(struct rctx *c, const struct gate_rnode *list, struct fspecs *out)
{
	uint32_t i;

	if (rn_is_null(list))
		return;
	if (list->type != GATE_RNODE_SEQ)
		rfail(c, list, "field specs must be a list");
	for (i = 0; i < list->len; i++) {
		struct fspec f = read_spec(c, list->u.items[i]);

		fspecs_push(c, out, &f);
	}
}

void rconfig_read_specs(struct rctx *c, const struct gate_rnode *list, struct fspecs *out)
{
	read_specs(c, list, out);
}

static void config_doc(struct rctx *c, struct gate_rnode *root, void *payload)
{
	struct rconfig *cfg = payload;
	uint32_t i, j;

	if (root->type != GATE_RNODE_MAP)
		rfail(c, root, "a transformer configuration must be a mapping");
	for (i = 0; i < root->len; i++) {
		const char *k = root->u.members[i].key;
		const struct gate_rnode *v = root->u.members[i].value;

		if (!strcmp(k, "commonLabels"))
			read_specs(c, v, &cfg->labels);
		else if (!strcmp(k, "templateLabels"))
			read_specs(c, v, &cfg->template_labels);
		else if (!strcmp(k, "commonAnnotations"))
			read_specs(c, v, &cfg->annotations);
		else if (!strcmp(k, "namespace"))
			read_specs(c, v, &cfg->namespace);
		else if (!strcmp(k, "images"))
			read_specs(c, v, &cfg->images);
		else if (!strcmp(k, "replicas"))
			read_specs(c, v, &cfg->replicas);
		else if (!strcmp(k, "varReference"))
			read_specs(c, v, &cfg->var_refs);
		else if (!strcmp(k, "namePrefix"))
			read_specs(c, v, &cfg->name_prefix);
		else if (!strcmp(k, "nameSuffix"))
			read_specs(c, v, &cfg->name_suffix);
		else if (!strcmp(k, "nameReference")) {
			if (rn_is_null(v))
				continue;
			if (v->type != GATE_RNODE_SEQ)
				rfail(c, v, "nameReference must be a list");
			for (j = 0; j < v->len; j++) {
				const struct gate_rnode *e = v->u.items[j], *fs = rn_get(e, "fieldSpecs");
				const char *kind = rn_get_str(e, "kind");
				uint32_t f;

				if (!kind || rn_is_null(fs) || fs->type != GATE_RNODE_SEQ)
					rfail(c, e, "a nameReference entry needs a kind and fieldSpecs");
				for (f = 0; f < fs->len; f++) {
					struct fspec s = read_spec(c, fs->u.items[f]);

					s.referral = kind;
					fspecs_push(c, &cfg->name_refs, &s);
				}
			}
		} else {
			rfail_at(c, root->file, root->u.members[i].line, root->u.members[i].col,
				"unknown field '%s' in a transformer configuration", k);
		}
	}
}

void rconfig_load(struct rctx *c, const char *dir, const struct gate_rnode *list, struct rmap *m)
{
	uint32_t i;

	for (i = 0; i < list->len; i++) {
		const struct gate_rnode *e = list->u.items[i];
		const char *s = rn_scalar(e), *p;
		char *buf;
		size_t len;

		if (!s || e->type != GATE_RNODE_STR)
			rfail(c, e, "configurations entries must be strings");
		p = rpath_join(c, dir, s);
		if (rload(c, p, &buf, &len))
			rfail(c, e, "open %s: no such file or directory", p);
		rn_parse_stream(c, p, buf, len, config_doc, &m->cfg);
	}
}

static void merge_list(struct rctx *c, struct fspecs *dst, const struct fspecs *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		fspecs_push(c, dst, &src->v[i]);
}

static void push_var(struct rctx *c, struct rmap *m, const struct gate_rnode *v)
{
	if (m->nvars == m->avars) {
		size_t na = m->avars ? m->avars * 2 : 8;
		const struct gate_rnode **nv = ra_alloc(c, na * sizeof(*nv));

		if (m->nvars)
			memcpy(nv, m->vars, m->nvars * sizeof(*nv));
		m->vars = nv;
		m->avars = na;
	}
	m->vars[m->nvars++] = v;
}

void rvars_add(struct rctx *c, const struct gate_rnode *list, struct rmap *m)
{
	uint32_t i;
	size_t j;

	if (list->type != GATE_RNODE_SEQ)
		rfail(c, list, "'vars' must be a list");
	for (i = 0; i < list->len; i++) {
		const struct gate_rnode *v = list->u.items[i];
		const char *name = rn_get_str(v, "name");

		if (!name || !name[0] || rn_is_null(rn_get(v, "objref")))
			rfail(c, v, "a var needs a name and an objref");
		for (j = 0; j < m->nvars; j++)
			if (!strcmp(rn_get_str(m->vars[j], "name"), name)) {
				if (rn_equal(m->vars[j], v))
					break;
				rfail(c, v, "var '%s' already encountered", name);
			}
		if (j == m->nvars)
			push_var(c, m, v);
	}
}

void rconfig_merge(struct rctx *c, struct rmap *dst, const struct rmap *src)
{
	size_t i;

	merge_list(c, &dst->cfg.labels, &src->cfg.labels);
	merge_list(c, &dst->cfg.template_labels, &src->cfg.template_labels);
	merge_list(c, &dst->cfg.annotations, &src->cfg.annotations);
	merge_list(c, &dst->cfg.namespace, &src->cfg.namespace);
	merge_list(c, &dst->cfg.images, &src->cfg.images);
	merge_list(c, &dst->cfg.replicas, &src->cfg.replicas);
	merge_list(c, &dst->cfg.name_refs, &src->cfg.name_refs);
	merge_list(c, &dst->cfg.var_refs, &src->cfg.var_refs);
	merge_list(c, &dst->cfg.name_prefix, &src->cfg.name_prefix);
	merge_list(c, &dst->cfg.name_suffix, &src->cfg.name_suffix);
	for (i = 0; i < src->nvars; i++) {
		struct gate_rnode *one = rn_new(c, GATE_RNODE_SEQ, src->vars[i]);

		rn_append(c, one, (struct gate_rnode *)src->vars[i]);
		rvars_add(c, one, dst);
	}
}

/* ------------------------------------------------------------------ vars */

#define POD "spec/template/spec/"
static const struct fspec var_refs[] = {
	{ NULL, NULL, NULL, "metadata/labels", 0, NULL },
	{ NULL, NULL, NULL, "metadata/annotations", 0, NULL },
	{ "Pod", NULL, NULL, "spec/containers/args", 0, NULL },
	{ "Pod", NULL, NULL, "spec/containers/command", 0, NULL },
	{ "Pod", NULL, NULL, "spec/containers/env/value", 0, NULL },
	{ "Pod", NULL, NULL, "spec/containers/volumeMounts/mountPath", 0, NULL },
	{ "Pod", NULL, NULL, "spec/initContainers/args", 0, NULL },
	{ "Pod", NULL, NULL, "spec/initContainers/command", 0, NULL },
	{ "Pod", NULL, NULL, "spec/initContainers/env/value", 0, NULL },
	{ "Pod", NULL, NULL, "spec/initContainers/volumeMounts/mountPath", 0, NULL },
	{ "Pod", NULL, NULL, "spec/volumes/nfs/server", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/spec/containers/args", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/spec/containers/command", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/spec/containers/env/value", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/spec/initContainers/args", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/spec/initContainers/command", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/spec/initContainers/env/value", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath", 0, NULL },
	{ "CronJob", NULL, NULL, "spec/jobTemplate/spec/template/volumes/nfs/server", 0, NULL },
	{ "Deployment", NULL, NULL, "spec/template/metadata/annotations", 0, NULL },
	{ "Ingress", NULL, NULL, "spec/rules/host", 0, NULL },
	{ "Ingress", NULL, NULL, "spec/tls/hosts", 0, NULL },
	{ "Ingress", NULL, NULL, "spec/tls/secretName", 0, NULL },
	{ "Service", NULL, NULL, "spec/ports/port", 0, NULL },
	{ "Service", NULL, NULL, "spec/ports/targetPort", 0, NULL },
	{ "PersistentVolume", NULL, NULL, "spec/nfs/server", 0, NULL },
	{ "StatefulSet", NULL, NULL, "spec/volumeClaimTemplates/spec/nfs/server", 0, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL } };

static const char *const pod_kinds[] = { "Deployment", "DaemonSet", "ReplicaSet", "StatefulSet",
	"Job", NULL };
static const char *const pod_paths[] = { "containers/args", "containers/command",
	"containers/env/value", "containers/volumeMounts/mountPath", "initContainers/args",
	"initContainers/command", "initContainers/env/value", "initContainers/volumeMounts/mountPath",
	"volumes/nfs/server", NULL };

struct varval {
	const char *name;
	const struct gate_rnode *value;
	int used;
};

struct expand {
	struct varval *v;
	size_t n;
};

/* Kubernetes' $(VAR) expansion of one string; NULL when nothing changed */
static struct gate_rnode *expand_str(struct rctx *c, struct expand *x, const struct gate_rnode *node)
{
	struct gate_buf b = GATE_BUF_INIT;
	const struct gate_rnode *whole = NULL;
	struct gate_rnode *nv = NULL;
	const char *s = node->str;
	int changed = 0;

	if (node->type != GATE_RNODE_STR || !strchr(s, '$'))
		return NULL;
	while (*s) {
		const char *end;
		size_t k;

		if (s[0] == '$' && s[1] == '$') {
			gate_buf_addc(&b, '$');
			s += 2;
			changed = 1;
			continue;
		}
		if (s[0] == '$' && s[1] == '(' && (end = strchr(s + 2, ')'))) {
			for (k = 0; k < x->n; k++)
				if (strlen(x->v[k].name) == (size_t)(end - s - 2) &&
					!strncmp(x->v[k].name, s + 2, (size_t)(end - s - 2)))
					break;
			if (k < x->n) {
				const char *val = rn_scalar(x->v[k].value);

				x->v[k].used = 1;
				if (s == node->str && !end[1])
					whole = x->v[k].value;
				gate_buf_adds(&b, val ? val : "");
				s = end + 1;
				changed = 1;
				continue;
			}
		}
		gate_buf_addc(&b, *s++);
	}
	if (changed)
		nv = whole ? rn_copy(c, whole) : rn_str(c, b.ptr ? b.ptr : "", node);
	gate_buf_release(&b);
	return nv;
}

/* expand the string, or the strings of the list or map, at parent/key */
static void expand_at(struct rctx *c, struct gate_rnode *parent, const char *key, void *payload)
{
	struct expand *x = payload;
	struct gate_rnode *node = rn_get(parent, key), *nv;
	uint32_t i;

	if (!node)
		return;
	if (node->type == GATE_RNODE_SEQ) {
		for (i = 0; i < node->len; i++)
			if ((nv = expand_str(c, x, node->u.items[i])))
				node->u.items[i] = nv;
	} else if (node->type == GATE_RNODE_MAP) {
		for (i = 0; i < node->len; i++)
			if ((nv = expand_str(c, x, node->u.members[i].value)))
				node->u.members[i].value = nv;
	} else if ((nv = expand_str(c, x, node))) {
		rn_set(c, parent, key, nv);
	}
}

static const struct gate_rnode *var_value(struct rctx *c, const struct gate_rnode *var,
	struct rmap *m)
{
	const struct gate_rnode *ref = rn_get(var, "objref");
	const char *kind = rn_get_str(ref, "kind"), *name = rn_get_str(ref, "name");
	const char *av = rn_get_str(ref, "apiVersion"), *ns = rn_get_str(ref, "namespace");
	const char *fp = rn_path_str(var, "fieldref/fieldPath") ? rn_path_str(var, "fieldref/fieldPath") :
		rn_path_str(var, "fieldref/fieldpath");
	const struct gate_rnode *n;
	struct rres *hit = NULL;
	size_t i, k, hits = 0;

	for (i = 0; i < m->n; i++) {
		struct rres *r = m->v[i];
		int named = 0;

		if (kind && strcmp(kind, rres_kind(r)))
			continue;
		if (av && av[0] && strcmp(av, rres_apiversion(r)))
			continue;
		{
			const char *g = rn_get_str(ref, "group"), *v = rn_get_str(ref, "version");
			char group[256], version[256];

			rres_group_version(r, group, sizeof(group), version, sizeof(version));
			if ((g && g[0] && strcmp(g, group)) || (v && v[0] && strcmp(v, version)))
				continue;
		}
		if (ns && ns[0] && strcmp(ns, rres_ns(r)[0] ? rres_ns(r) : "default"))
			continue;
		for (k = 0; k < r->nnames; k++)
			if (name && !strcmp(name, r->names[k]))
				named = 1;
		if (!named)
			continue;
		hit = r;
		hits++;
	}
	if (!hits)
		rfail(c, var, "var '%s' cannot be mapped to a field in the set of known resources",
			rn_get_str(var, "name"));
	if (hits > 1)
		rfail(c, var, "found %zu resId matches for var '%s' (unable to disambiguate)", hits,
			rn_get_str(var, "name"));
	n = hit->root;
	for (fp = fp && fp[0] ? fp : "metadata.name"; n && *fp;) {
		const char *dot = strchr(fp, '.');
		size_t l = dot ? (size_t)(dot - fp) : strlen(fp);
		char *seg = ra_strndup(c, fp, l);

		if (seg[0] == '[' && l > 2) {
			long idx = strtol(seg + 1, NULL, 10);

			n = n->type == GATE_RNODE_SEQ && idx >= 0 && idx < (long)n->len ? n->u.items[idx] : NULL;
		} else {
			n = rn_get(n, seg);
		}
		fp += l + (dot ? 1 : 0);
	}
	if (!n || n->type == GATE_RNODE_MAP || n->type == GATE_RNODE_SEQ)
		rfail(c, var, "field specified in var '%s' not found in corresponding resource",
			rn_get_str(var, "name"));
	return n;
}

void rvars_resolve(struct rctx *c, struct rmap *m)
{
	struct expand x;
	size_t i, j, k;

	if (!m->nvars)
		return;
	x.n = m->nvars;
	x.v = ra_alloc(c, x.n * sizeof(*x.v));
	for (i = 0; i < m->nvars; i++) {
		x.v[i].name = rn_get_str(m->vars[i], "name");
		x.v[i].value = var_value(c, m->vars[i], m);
	}
	for (i = 0; i < m->n; i++) {
		struct rres *r = m->v[i];

		for (j = 0; var_refs[j].path; j++)
			if (fspec_matches(&var_refs[j], r))
				fs_walk(c, r->root, var_refs[j].path, 0, NULL, expand_at, &x);
		for (j = 0; pod_kinds[j]; j++)
			if (!strcmp(rres_kind(r), pod_kinds[j]))
				for (k = 0; pod_paths[k]; k++)
					fs_walk(c, r->root, ra_printf(c, POD "%s", pod_paths[k]), 0, NULL,
						expand_at, &x);
		for (j = 0; j < m->cfg.var_refs.n; j++)
			if (fspec_matches(&m->cfg.var_refs.v[j], r))
				fs_walk(c, r->root, m->cfg.var_refs.v[j].path, 0, NULL, expand_at, &x);
	}
}
