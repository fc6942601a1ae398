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
 *   transformerAnnotations  not rendered: an error at its line;
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
			rfail(c, e, "buildMetadata: transformerAnnotations is not supported yet "
				"(originAnnotations and managedByLabel are)");
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
	rn_set(c, ann, ORIGIN_KEY, rn_str(c, ra_printf(c, "path: %s\n", path), where));
}

const char *rmeta_origin_path(struct rctx *c, const struct gate_rnode *root)
{
	const char *s = rn_get_str(rn_get(rn_get(root, "metadata"), "annotations"), ORIGIN_KEY);

	if (!s || strncmp(s, "path: ", 6))
		return NULL;
	return ra_strndup(c, s + 6, strcspn(s + 6, "\n"));
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
	gate_buf_adds(&b, "configuredIn: ");
	gate_buf_adds(&b, configured_in);
	gate_buf_adds(&b, "\nconfiguredBy:\n");
	if (av && av[0])
		gate_buf_addf(&b, "  apiVersion: %s\n", av);
	if (kind && kind[0])
		gate_buf_addf(&b, "  kind: %s\n", kind);
	if (name && name[0])
		gate_buf_addf(&b, "  name: %s\n", name);
	if (ns && ns[0])
		gate_buf_addf(&b, "  namespace: %s\n", ns);
	rn_set(c, ann, ORIGIN_KEY, rn_str(c, ra_strndup(c, b.ptr, b.len), where));
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
		struct gate_rnode *root = m->v[i]->root;
		struct gate_rnode *meta = rn_get(root, "metadata");
		struct gate_rnode *ann = rn_get(meta, "annotations");

		if (c->build_meta & RMETA_MANAGED_BY) {
			struct gate_rnode *labels = rn_lookup_create(c, meta, "labels", GATE_RNODE_MAP, meta);

			if (labels->type != GATE_RNODE_MAP)
				rfail(c, labels, "metadata.labels must be a mapping");
			rn_set(c, labels, MANAGED_BY_KEY, rn_str(c, MANAGED_BY_VALUE, meta));
		}
		if (!(c->build_meta & RMETA_ORIGIN) && ann && ann->type == GATE_RNODE_MAP &&
		    rn_del(ann, ORIGIN_KEY) && !ann->len)
			rn_del(meta, "annotations");
	}
}
