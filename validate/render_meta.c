/*
 * render_meta.c: kustomize's buildMetadata (the top kustomization's list
 * decides, for the whole build, as in kustomize's Kustomizer):
 *
 *   originAnnotations  each object gets config.kubernetes.io/origin: the
 *                      path of the file it came from, from the built folder
 *                      ("path: ../base/deploy.yaml"), or for generated
 *                      objects the kustomization (or generator config) that
 *                      made it ("configuredIn: ...", "configuredBy: ...");
 *   managedByLabel     each object gets app.kubernetes.io/managed-by:
 *                      kustomize-(devel), the value kubectl kustomize and
 *                      Flux's kustomize-controller write (kustomize's
 *                      library reports its version as "(devel)" unless its
 *                      own binary was built with one);
 *   transformerAnnotations  each object gets
 *                      alpha.config.kubernetes.io/transformations: the list
 *                      of the transformers that ran over the map it was in
 *                      (every configured instance: one per patch, per image,
 *                      per `labels` entry, ...), in order, as kustomize's
 *                      AddTransformerAnnotation records them;
 *   anything else      ignored, as kustomize does.
 *
 * Origins are tracked as kustomize does (resource.Origin.Append: the path of
 * each `resources:`/`components:` entry joined to the including folder's),
 * whenever buildMetadata is not empty, and dropped at the end unless
 * originAnnotations asked for them.
 */
#define _GNU_SOURCE
#include "render_int.h"
#include "gate/util.h"

#include <string.h>

#define ORIGIN_KEY "config.kubernetes.io/origin"
#define TRANSFORMATIONS_KEY "alpha.config.kubernetes.io/transformations"
#define MANAGED_BY_KEY "app.kubernetes.io/managed-by"
#define MANAGED_BY_VALUE "kustomize-(devel)"

void rmeta_read(struct rctx *c, const struct gate_rnode *k)
{
	const struct gate_rnode *bm = rn_get(k, "buildMetadata");
	uint32_t i;

	if (rn_is_null(bm))
		return;
	if (bm->type != GATE_RNODE_SEQ)
		rfail(c, bm, "invalid Kustomization: buildMetadata must be a list");
	for (i = 0; i < bm->len; i++) {
		const struct gate_rnode *e = bm->u.items[i];
		const char *s = rn_scalar(e);

		if (s && !strcmp(s, "originAnnotations"))
			c->build_meta |= RMETA_ORIGIN;
		else if (s && !strcmp(s, "managedByLabel"))
			c->build_meta |= RMETA_MANAGED_BY;
		else if (s && !strcmp(s, "transformerAnnotations"))
			c->build_meta |= RMETA_TRANSFORMS;
		/* kustomize ignores any other value (but still tracks origins) */
	}
	if (bm->len)
		c->origin = "";
}

/* metadata.annotations of root, made when missing */
static struct gate_rnode *annotations(struct rctx *c, struct gate_rnode *root,
	const struct gate_rnode *where)
{
	struct gate_rnode *meta = rn_lookup_create(c, root, "metadata", GATE_RNODE_MAP, where);

	if (meta->type != GATE_RNODE_MAP)
		rfail(c, meta, "metadata must be a mapping");
	return rn_lookup_create(c, meta, "annotations", GATE_RNODE_MAP, where);
}

void rmeta_origin_file(struct rctx *c, struct gate_rnode *root, const char *path,
	const struct gate_rnode *where)
{
	struct gate_rnode *ann;

	if (!c->origin || root->type != GATE_RNODE_MAP)
		return;
	ann = annotations(c, root, where);
	if (ann->type != GATE_RNODE_MAP)
		rfail(c, ann, "metadata.annotations must be a mapping");
	rn_set(c, ann, ORIGIN_KEY, rn_str(c, ra_printf(c, "path: %s\n", rn_yaml_string(c, path)),
		where));
}

/* kustomize's YAML of an Origin with configuredIn/configuredBy, each line after indent */
static void configured_text(struct rctx *c, struct gate_buf *b, const char *indent,
	const char *configured_in, const char *av, const char *kind, const char *name, const char *ns)
{
	gate_buf_addf(b, "configuredIn: %s\n%sconfiguredBy:\n", rn_yaml_string(c, configured_in),
		indent);
	if (av && av[0])
		gate_buf_addf(b, "%s  apiVersion: %s\n", indent, rn_yaml_string(c, av));
	if (kind && kind[0])
		gate_buf_addf(b, "%s  kind: %s\n", indent, rn_yaml_string(c, kind));
	if (name && name[0])
		gate_buf_addf(b, "%s  name: %s\n", indent, rn_yaml_string(c, name));
	if (ns && ns[0])
		gate_buf_addf(b, "%s  namespace: %s\n", indent, rn_yaml_string(c, ns));
}

void rmeta_origin_generated(struct rctx *c, struct rres *r, const char *configured_in,
	const char *av, const char *kind, const char *name, const char *ns,
	const struct gate_rnode *where)
{
	struct gate_buf b = GATE_BUF_INIT;
	struct gate_rnode *ann;

	if (!c->origin || r->root->type != GATE_RNODE_MAP)
		return;
	ann = annotations(c, r->root, where);
	if (ann->type != GATE_RNODE_MAP || rn_get(ann, ORIGIN_KEY))
		return; /* kustomize keeps an origin the object already has */
	configured_text(c, &b, "", configured_in, av, kind, name, ns);
	rn_set(c, ann, ORIGIN_KEY, rn_str(c, ra_strndup(c, b.ptr, b.len), where));
	gate_buf_release(&b);
}

void rmeta_transformed(struct rctx *c, struct rmap *m, const char *configured_in,
	const char *av, const char *kind, const char *name, const char *ns, size_t times,
	const struct gate_rnode *where)
{
	struct gate_buf b = GATE_BUF_INIT;
	const char *item;
	size_t i, t;

	if (!c->origin || !times)
		return;
	gate_buf_adds(&b, "- ");
	configured_text(c, &b, "  ", configured_in, av, kind, name, ns);
	item = ra_strndup(c, b.ptr, b.len);
	gate_buf_release(&b);
	for (i = 0; i < m->n; i++) {
		struct rres *r = m->v[i];

		if (r->root->type != GATE_RNODE_MAP)
			continue;
		for (t = 0; t < times; t++) {
			struct gate_rnode *ann = annotations(c, r->root, where);

			if (ann->type != GATE_RNODE_MAP)
				break;
			if (!rn_get(ann, ORIGIN_KEY)) {
				rmeta_origin_generated(c, r, configured_in, av, kind, name, ns, where);
				continue;
			}
			if (++c->nodes > c->opts->max_nodes)
				rfail(c, where, "the build makes more than %zu nodes (transformations "
					"recorded for buildMetadata count)", c->opts->max_nodes);
			if (r->nxforms == r->axforms) {
				size_t na = r->axforms ? r->axforms * 2 : 8;
				const char **v = ra_alloc(c, na * sizeof(*v));

				if (r->nxforms)
					memcpy(v, r->xforms, r->nxforms * sizeof(*v));
				r->xforms = v;
				r->axforms = na;
			}
			r->xforms[r->nxforms++] = item;
		}
	}
}

/* the recorded transformations into the annotation, after any the object came with */
static void write_transformations(struct rctx *c, struct rres *r)
{
	struct gate_buf b = GATE_BUF_INIT;
	struct gate_rnode *ann = annotations(c, r->root, NULL);
	const char *old = rn_get_str(ann, TRANSFORMATIONS_KEY);
	size_t i;

	if (old)
		gate_buf_adds(&b, old);
	for (i = 0; i < r->nxforms; i++)
		gate_buf_adds(&b, r->xforms[i]);
	rn_set(c, ann, TRANSFORMATIONS_KEY, rn_str(c, ra_strndup(c, b.ptr, b.len), NULL));
	gate_buf_release(&b);
}

void rmeta_keep_origin(struct rctx *c, struct rres *r, const struct rres *old)
{
	const struct gate_rnode *o = rn_get(rn_get(rn_get(old->root, "metadata"), "annotations"),
		ORIGIN_KEY);

	if (c->origin && o && r->root->type == GATE_RNODE_MAP)
		rn_set(c, annotations(c, r->root, o), ORIGIN_KEY, rn_copy(c, o));
}

void rmeta_finish(struct rctx *c, struct rmap *m)
{
	size_t i;

	for (i = 0; c->origin && i < m->n; i++) {
		struct gate_rnode *root = m->v[i]->root, *meta, *ann;

		if ((c->build_meta & RMETA_TRANSFORMS) && m->v[i]->nxforms && root->type == GATE_RNODE_MAP)
			write_transformations(c, m->v[i]);
		meta = rn_get(root, "metadata");
		ann = rn_get(meta, "annotations");

		if (c->build_meta & RMETA_MANAGED_BY) {
			struct gate_rnode *labels = rn_lookup_create(c, meta, "labels", GATE_RNODE_MAP, meta);

			if (labels->type != GATE_RNODE_MAP)
				rfail(c, labels, "metadata.labels must be a mapping");
			rn_set(c, labels, MANAGED_BY_KEY, rn_str(c, MANAGED_BY_VALUE, meta));
		}
		if (ann && ann->type == GATE_RNODE_MAP &&
		    ((!(c->build_meta & RMETA_ORIGIN) && rn_del(ann, ORIGIN_KEY)) |
		     (!(c->build_meta & RMETA_TRANSFORMS) && rn_del(ann, TRANSFORMATIONS_KEY))) &&
		    !ann->len)
			rn_del(meta, "annotations");
	}
}
