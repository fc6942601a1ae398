/*
 * render_target.c: one kustomization (or Component) and what it gathers, in
 * kustomize's order: resources (files, folders, nested kustomizations),
 * generators, components, then the built-in transformers (patches,
 * namespace, prefix/suffix, labels, annotations, JSON 6902 patches,
 * replicas, images, replacements) and the `transformers:` configs.
 */
#define _GNU_SOURCE
#include "render_int.h"
#include "gate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kfile_names[] = { "kustomization.yaml", "kustomization.yml",
	"Kustomization", NULL };

int rremote(const char *s)
{
	return strstr(s, "://") || !strncmp(s, "git@", 4) || !strncmp(s, "github.com/", 11) ||
		!strncmp(s, "gitlab.com/", 11) || !strncmp(s, "bitbucket.org/", 14) ||
		strstr(s, "?ref=") || strstr(s, ".git//");
}

struct file_docs {
	struct rmap *acc;
	const struct gate_rnode *where;
	const char *path;
	const char *origin; /* buildMetadata: the file's origin path, or NULL */
};

static void add_resource(struct rctx *c, struct gate_rnode *root, const struct file_docs *fd)
{
	struct rres *r;

	if (root->type != GATE_RNODE_MAP)
		rfail(c, root, "missing Resource metadata");
	if (fd->origin)
		rmeta_origin_file(c, root, fd->origin, fd->where);
	r = rres_new(c, root);
	r->origin_path = fd->origin;
	rmap_append(c, fd->acc, r, fd->where);
}

static void file_doc(struct rctx *c, struct gate_rnode *root, void *payload)
{
	struct file_docs *fd = payload;
	const char *kind = rn_get_str(root, "kind");
	const struct gate_rnode *items = rn_get(root, "items");
	size_t kl = kind ? strlen(kind) : 0;
	uint32_t i;

	if (root->type != GATE_RNODE_MAP)
		rfail(c, root, "accumulating resources from '%s': missing Resource metadata", fd->path);
	if (!kind || !kind[0])
		rfail(c, root, "accumulating resources from '%s': missing kind in object", fd->path);
	if (kl >= 4 && !strcmp(kind + kl - 4, "List") && items && items->type == GATE_RNODE_SEQ) {
		for (i = 0; i < items->len; i++) {
			const struct gate_rnode *it = items->u.items[i];
			const char *ik = rn_get_str(it, "kind");

			if (it->type != GATE_RNODE_MAP || !ik || !ik[0])
				rfail(c, it, "accumulating resources from '%s': missing kind in a List item",
					fd->path);
			add_resource(c, items->u.items[i], fd);
		}
		return;
	}
	if (!rn_path_str(root, "metadata/name") && !rn_path_str(root, "metadata/generateName"))
		rfail(c, root, "accumulating resources from '%s': missing metadata.name in object %s",
			fd->path, kind);
	add_resource(c, root, fd);
}

/* Load a file of resources into acc; returns 0 or the loader's ENOENT/EISDIR. */
static int load_file(struct rctx *c, const char *path, const char *origin, struct rmap *acc,
	const struct gate_rnode *where)
{
	struct file_docs fd = { acc, where, path, origin };
	char *buf;
	size_t len;
	int rc = rload(c, path, &buf, &len);

	if (rc)
		return rc;
	rn_parse_stream(c, path, buf, len, file_doc, &fd);
	return 0;
}

static const struct gate_rnode *str_list(struct rctx *c, const struct gate_rnode *k,
	const char *field)
{
	const struct gate_rnode *v = rn_get(k, field);

	if (rn_is_null(v))
		return NULL;
	if (v->type != GATE_RNODE_SEQ)
		rfail(c, v, "'%s' must be a list", field);
	return v;
}

static void accumulate_resources(struct rctx *c, const char *dir, const struct gate_rnode *list,
	struct rmap *acc)
{
	uint32_t i;

	for (i = 0; list && i < list->len; i++) {
		const struct gate_rnode *e = list->u.items[i];
		const char *s = rn_scalar(e), *p, *origin;
		int rc;

		if (!s || e->type != GATE_RNODE_STR)
			rfail(c, e, "resources entries must be strings");
		if (rremote(s)) {
			runreachable(c, e->file, e->line, e->col,
				"remote resource '%s' is not rendered (the gate does not reach the network)", s);
			continue;
		}
		p = rpath_join(c, dir, s);
		origin = c->origin ? rpath_join(c, c->origin, s) : NULL;
		rc = load_file(c, p, origin, acc, e);
		if (rc == GATE_RENDER_EISDIR) {
			const char *saved = c->origin;

			c->origin = origin;
			rtarget_accumulate(c, p, acc, 0, e);
			c->origin = saved;
		} else if (rc == GATE_RENDER_ENOENT) {
			rfail(c, e, "accumulating resources: accumulation err='accumulating resources "
				"from '%s': open %s: no such file or directory': must build at directory: "
				"not a valid directory: '%s' does not exist", s, p, p);
		}
	}
}

/* kustomize reads a kustomization strictly: an unknown field is an error */
static void check_fields(struct rctx *c, const struct gate_rnode *k, const char *path)
{
	static const char *const known[] = { "apiVersion", "kind", "metadata", "openapi",
		"namePrefix", "nameSuffix", "namespace", "commonLabels", "labels", "commonAnnotations",
		"patchesStrategicMerge", "patchesJson6902", "patches", "images", "imageTags",
		"replacements", "replicas", "vars", "sortOptions", "resources", "components", "crds",
		"bases", "configMapGenerator", "secretGenerator", "helmGlobals", "helmCharts",
		"helmChartInflationGenerator", "generatorOptions", "configurations", "generators",
		"transformers", "validators", "buildMetadata", NULL };
	uint32_t i;
	int j;

	for (i = 0; i < k->len; i++) {
		const char *key = k->u.members[i].key;

		for (j = 0; known[j] && strcmp(known[j], key); j++)
			;
		if (!known[j])
			rfail_at(c, path, k->u.members[i].line, k->u.members[i].col,
				"invalid Kustomization: json: unknown field \"%s\"", key);
	}
}

/* a field the gate does not render: an error at its key (or, when unreachable, maybe a warning) */
static void unsupported(struct rctx *c, const struct gate_rnode *k, const char *field,
	const char *why, int unreachable)
{
	const struct gate_rnode *v = rn_get(k, field);
	uint32_t i, line = v ? v->line : 0, col = v ? v->col : 0;

	if (rn_is_null(v) || ((v->type == GATE_RNODE_SEQ || v->type == GATE_RNODE_MAP) && !v->len))
		return;
	for (i = 0; i < k->len; i++)
		if (k->u.members[i].value == v) {
			line = k->u.members[i].line;
			col = k->u.members[i].col;
		}
	if (unreachable)
		runreachable(c, v->file, line, col, "%s: %s", field, why);
	else
		rfail_at(c, v->file, line, col, "%s: %s", field, why);
}

static void run_labels(struct rctx *c, const struct gate_rnode *k, struct rmap *acc)
{
	const struct gate_rnode *labels = rn_get(k, "labels"), *common = rn_get(k, "commonLabels");
	uint32_t i;

	if (!rn_is_null(labels)) {
		if (labels->type != GATE_RNODE_SEQ)
			rfail(c, labels, "'labels' must be a list");
		for (i = 0; i < labels->len; i++) {
			const struct gate_rnode *l = labels->u.items[i];
			const struct gate_rnode *sel = rn_get(l, "includeSelectors");
			const struct gate_rnode *tpl = rn_get(l, "includeTemplates");
			int s = sel && sel->type == GATE_RNODE_BOOL && !strcmp(sel->str, "true");
			int t = tpl && tpl->type == GATE_RNODE_BOOL && !strcmp(tpl->str, "true");

			const struct gate_rnode *fields = rn_get(l, "fields");
			struct fspecs extra;
			uint32_t f;

			memset(&extra, 0, sizeof(extra));
			if (!rn_is_null(fields) && fields->type != GATE_RNODE_SEQ)
				rfail(c, fields, "labels: fields must be a list");
			for (f = 0; !rn_is_null(fields) && f < fields->len; f++) {
				const struct gate_rnode *fs = fields->u.items[f];
				const struct gate_rnode *cr = rn_get(fs, "create");
				struct fspec spec;

				memset(&spec, 0, sizeof(spec));
				spec.path = rn_get_str(fs, "path");
				spec.kind = rn_get_str(fs, "kind");
				spec.group = rn_get_str(fs, "group");
				spec.version = rn_get_str(fs, "version");
				spec.create = cr && cr->type == GATE_RNODE_BOOL && !strcmp(cr->str, "true");
				if (!spec.path)
					rfail(c, fs, "labels: a field needs a path");
				fspecs_push(c, &extra, &spec);
			}
			rx_labels(c, rn_get(l, "pairs"), s, t || s, extra.n ? &extra : NULL, acc);
		}
	}
	if (!rn_is_null(common))
		rx_labels(c, common, 1, 1, NULL, acc);
}

static size_t entries(const struct gate_rnode *v)
{
	return v && (v->type == GATE_RNODE_SEQ || v->type == GATE_RNODE_MAP) ? v->len : 0;
}

/* buildMetadata: the built-in transformers of kustomization kfile ran `times` times */
static void ran(struct rctx *c, struct rmap *acc, const char *kfile, const char *kind, size_t times)
{
	if (c->origin && times)
		rmeta_transformed(c, acc, rpath_join(c, c->origin, kfile), "builtin", kind, NULL, NULL,
			times, NULL);
}

/* kustomize's built-in transformers in its order (one instance per patch, image, ...) */
static void run_transformers(struct rctx *c, const char *dir, const char *kfile,
	const struct gate_rnode *k, struct rmap *acc)
{
	const struct gate_rnode *v, *labels = rn_get(k, "labels"), *common = rn_get(k, "commonLabels");

	rpatch_run(c, dir, k, acc, RPATCH_SMP_LIST);
	ran(c, acc, kfile, "PatchStrategicMergeTransformer", entries(rn_get(k, "patchesStrategicMerge")) ? 1 : 0);
	rpatch_run(c, dir, k, acc, RPATCH_PATCHES);
	ran(c, acc, kfile, "PatchTransformer", entries(rn_get(k, "patches")));
	if ((v = rn_get(k, "namespace")) && rn_scalar(v) && rn_scalar(v)[0]) {
		rx_namespace(c, v, acc);
		ran(c, acc, kfile, "NamespaceTransformer", 1);
	}
	rx_prefix_suffix(c, rn_get(k, "namePrefix"), rn_get(k, "nameSuffix"), &acc->cfg.name_prefix,
		&acc->cfg.name_suffix, acc);
	if ((v = rn_get(k, "namePrefix")) && rn_scalar(v) && rn_scalar(v)[0])
		ran(c, acc, kfile, "PrefixTransformer", 1);
	if ((v = rn_get(k, "nameSuffix")) && rn_scalar(v) && rn_scalar(v)[0])
		ran(c, acc, kfile, "SuffixTransformer", 1);
	run_labels(c, k, acc);
	/* one per `labels` entry, and one for commonLabels (even when empty) */
	if (entries(labels) || entries(common))
		ran(c, acc, kfile, "LabelTransformer", entries(labels) + 1);
	if ((v = rn_get(k, "commonAnnotations")) && !rn_is_null(v)) {
		rx_annotations(c, v, acc);
		ran(c, acc, kfile, "AnnotationsTransformer", entries(v) ? 1 : 0);
	}
	rpatch_run(c, dir, k, acc, RPATCH_JSON6902);
	ran(c, acc, kfile, "PatchJson6902Transformer", entries(rn_get(k, "patchesJson6902")));
	if ((v = rn_get(k, "replicas")) && !rn_is_null(v)) {
		rx_replicas(c, v, acc);
		ran(c, acc, kfile, "ReplicaCountTransformer", entries(v));
	}
	if ((v = rn_get(k, "images")) && !rn_is_null(v))
		rx_images(c, v, acc);
	if ((v = rn_get(k, "imageTags")) && !rn_is_null(v))
		rx_images(c, v, acc); /* deprecated spelling of images, applied after them */
	ran(c, acc, kfile, "ImageTagTransformer", entries(rn_get(k, "images")) + entries(rn_get(k, "imageTags")));
	if ((v = rn_get(k, "replacements")) && !rn_is_null(v)) {
		rrepl_run(c, dir, v, acc);
		ran(c, acc, kfile, "ReplacementTransformer", entries(v) ? 1 : 0);
	}
	if ((v = str_list(c, k, "transformers")))
		rx_builtin_config(c, dir, kfile, v, acc);
}

static void read_sort_options(struct rctx *c, const struct gate_rnode *k)
{
	const struct gate_rnode *so = rn_get(k, "sortOptions"), *legacy;
	const char *order;

	if (rn_is_null(so))
		return;
	order = rn_get_str(so, "order");
	if (!order || (strcmp(order, "legacy") && strcmp(order, "fifo")))
		rfail(c, so, "the field 'sortOptions.order' must be one of [fifo, legacy]");
	legacy = rn_get(so, "legacySortOptions");
	if (!strcmp(order, "fifo") && !rn_is_null(legacy))
		rfail(c, legacy, "the field 'sortOptions.legacySortOptions' is set but the selected "
			"sort order is 'fifo', not 'legacy'");
	c->sort_mode = !strcmp(order, "fifo");
	if (!rn_is_null(legacy)) {
		c->sort_first = rn_get(legacy, "orderFirst");
		c->sort_last = rn_get(legacy, "orderLast");
	}
}

static const struct gate_rnode *load_kustomization(struct rctx *c, const char *dir,
	const char **kpath, const struct gate_rnode *where)
{
	const char *found = NULL;
	char *buf = NULL, *fbuf = NULL;
	size_t len = 0, flen = 0;
	struct gate_rnode *k;
	int i;

	for (i = 0; kfile_names[i]; i++) {
		const char *p = rpath_join(c, dir, kfile_names[i]);

		if (rload(c, p, &buf, &len) == 0) {
			if (found)
				rfail(c, where, "Found multiple kustomization files under: %s", dir);
			found = p;
			fbuf = buf;
			flen = len;
		}
	}
	if (!found)
		rfail(c, where, "unable to find one of 'kustomization.yaml', 'kustomization.yml' or "
			"'Kustomization' in directory '%s'", dir);
	*kpath = found;
	k = rn_parse_one(c, found, fbuf, flen);
	if (!k)
		k = rn_new(c, GATE_RNODE_MAP, NULL);
	if (k->type != GATE_RNODE_MAP)
		rfail(c, k, "invalid Kustomization: expected a mapping");
	return k;
}

static void accumulate_components(struct rctx *c, const char *dir, const struct gate_rnode *list,
	struct rmap *acc)
{
	uint32_t i;

	for (i = 0; list && i < list->len; i++) {
		const struct gate_rnode *e = list->u.items[i];
		const char *s = rn_scalar(e);

		if (!s || e->type != GATE_RNODE_STR)
			rfail(c, e, "components entries must be strings");
		if (rremote(s)) {
			runreachable(c, e->file, e->line, e->col,
				"remote component '%s' is not rendered (the gate does not reach the network)", s);
			continue;
		}
		{
			const char *saved = c->origin;

			if (c->origin)
				c->origin = rpath_join(c, c->origin, s);
			rtarget_accumulate(c, rpath_join(c, dir, s), acc, 1, e);
			c->origin = saved;
		}
	}
}

void rtarget_accumulate(struct rctx *c, const char *dir, struct rmap *m, int component,
	const struct gate_rnode *where)
{
	const char *kpath, *kind;
	const struct gate_rnode *k;
	struct rmap sub, *acc;
	size_t i;

	if (++c->depth > c->opts->max_depth)
		rfail(c, where, "kustomizations nest deeper than %zu (a cycle?)", c->opts->max_depth);
	memset(&sub, 0, sizeof(sub));
	k = load_kustomization(c, dir, &kpath, where);
	kind = rn_get_str(k, "kind");
	if (!kind || !kind[0])
		kind = "Kustomization";
	if (component && strcmp(kind, "Component"))
		rfail(c, where, "accumulating components: accumulateDirectory: \"expected kind "
			"'Component' for path '%s' but got '%s'\"", dir, kind);
	if (!component && !strcmp(kind, "Component"))
		rfail(c, where, "expected kind != 'Component' for path '%s'", dir);
	check_fields(c, k, kpath);
	{
		static const char *const strings[] = { "namespace", "namePrefix", "nameSuffix", NULL };
		int j;

		for (j = 0; strings[j]; j++) {
			const struct gate_rnode *v = rn_get(k, strings[j]);

			if (v && (v->type == GATE_RNODE_SEQ || v->type == GATE_RNODE_MAP))
				rfail(c, v, "invalid Kustomization: json: cannot unmarshal %s into Go struct "
					"field Kustomization.%s of type string",
					v->type == GATE_RNODE_MAP ? "object" : "array", strings[j]);
		}
	}
	if (strcmp(kind, "Component") && strcmp(kind, "Kustomization"))
		rfail(c, rn_get(k, "kind"), "invalid Kustomization: kind '%s' is neither Kustomization "
			"nor Component", kind);
	unsupported(c, k, "helmCharts", "helm charts are not rendered by the gate (kustomize needs --enable-helm)", 1);
	unsupported(c, k, "helmChartInflationGenerator", "helm charts are not rendered by the gate", 1);
	unsupported(c, k, "helmGlobals", "helm charts are not rendered by the gate", 1);
	unsupported(c, k, "validators", "validator plugins are not run by the gate", 1);
	unsupported(c, k, "openapi", "not supported yet (strategic merge of custom kinds merges lists by name)", 0);
	if (c->depth == 1) {
		read_sort_options(c, k);
		rmeta_read(c, k);
	}

	acc = component ? m : &sub;
	accumulate_resources(c, dir, str_list(c, k, "resources"), acc);
	accumulate_resources(c, dir, str_list(c, k, "bases"), acc);
	{
		const struct gate_rnode *cfgs = str_list(c, k, "configurations");

		if (cfgs)
			rconfig_load(c, dir, cfgs, acc);
		if ((cfgs = str_list(c, k, "crds")))
			rconfig_load_crds(c, dir, cfgs, acc);
	}
	rgen_run(c, dir, rpath_base(kpath), k, acc);
	{
		const struct gate_rnode *gens = str_list(c, k, "generators");

		if (gens)
			rgen_configs(c, dir, rpath_base(kpath), gens, acc);
	}
	accumulate_components(c, dir, str_list(c, k, "components"), acc);
	run_transformers(c, dir, rpath_base(kpath), k, acc);
	if (!rn_is_null(rn_get(k, "vars")))
		rvars_add(c, rn_get(k, "vars"), acc);
	if (!component) {
		for (i = 0; i < sub.n; i++)
			rmap_append(c, m, sub.v[i], where);
		rconfig_merge(c, m, &sub);
	}
	c->depth--;
}

struct config_docs {
	rconfig_fn one;
	const char *dir, *origin;
	struct rmap *m;
};

static void config_doc(struct rctx *c, struct gate_rnode *root, void *payload)
{
	struct config_docs *cd = payload;

	cd->one(c, cd->dir, root, cd->origin, cd->m);
}

/* An entry naming a folder: a kustomization whose build is the configs. */
static void configs_of_folder(struct rctx *c, const char *dir, const char *s, const struct gate_rnode *e,
	rconfig_fn one, struct rmap *m)
{
	const char *saved = c->origin;
	struct rmap cfgs;
	size_t k;

	memset(&cfgs, 0, sizeof(cfgs));
	if (c->origin)
		c->origin = rpath_join(c, c->origin, s);
	rtarget_accumulate(c, rpath_join(c, dir, s), &cfgs, 0, e);
	c->origin = saved;
	for (k = 0; k < cfgs.n; k++)
		one(c, dir, cfgs.v[k]->root, cfgs.v[k]->origin_path, m);
}

/* kustomize runs the inline configs first, then those of files and folders, each in list order */
void rtarget_configs(struct rctx *c, const char *dir, const char *kfile, const struct gate_rnode *list,
	int generators, rconfig_fn one, struct rmap *m)
{
	const char *field = generators ? "generators" : "transformers";
	uint32_t i;
	int pass;

	for (pass = 0; pass < 2; pass++)
	for (i = 0; i < list->len; i++) {
		const struct gate_rnode *e = list->u.items[i];
		const char *s = rn_scalar(e), *p;
		struct config_docs cd = { one, dir, NULL, m };
		char *buf;
		size_t len;
		int rc;

		if (!s || e->type != GATE_RNODE_STR)
			rfail(c, e, "%s entries must be strings", field);
		if ((strchr(s, '\n') != NULL) != (pass == 0))
			continue; /* inline configs in pass 0, the others in pass 1 */
		if (strchr(s, '\n')) {
			/* an inline config: its origin is the kustomization */
			cd.origin = c->origin ? rpath_join(c, c->origin, kfile) : NULL;
			rn_parse_stream(c, e->file, s, strlen(s), config_doc, &cd);
			continue;
		}
		if (generators && rremote(s)) {
			runreachable(c, e->file, e->line, e->col,
				"remote generator '%s' is not rendered (the gate does not reach the network)", s);
			continue;
		}
		p = rpath_join(c, dir, s);
		rc = rload(c, p, &buf, &len);
		if (rc == GATE_RENDER_EISDIR) {
			configs_of_folder(c, dir, s, e, one, m);
			continue;
		}
		if (rc && generators)
			rfail(c, e, "loading generator plugins: accumulation err='accumulating resources "
				"from '%s': open %s: no such file or directory'", s, p);
		if (rc)
			rfail(c, e, "transformers: open %s: no such file or directory", p);
		cd.origin = c->origin ? rpath_join(c, c->origin, s) : NULL;
		rn_parse_stream(c, p, buf, len, config_doc, &cd);
	}
}
