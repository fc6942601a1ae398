/*
 * render_crds.c: a kustomization's `crds:` files, kustomize's
 * LoadConfigFromCRDs.  Each file is a map of OpenAPI definitions (JSON or
 * YAML: type name -> {Schema: {properties: ...}}); every definition whose
 * properties include kind, apiVersion and metadata is a kind (its name after
 * the last '.'), and the extensions on its properties, followed through
 * $ref into other definitions of the file, become transformer configuration:
 *
 *   x-kubernetes-annotation          commonAnnotations field spec
 *   x-kubernetes-label-selector      commonLabels field spec
 *   x-kubernetes-identity            namePrefix field spec
 *   x-kubernetes-object-ref-kind     nameReference to that kind, at the
 *   (with -object-ref-api-version)   property's x-kubernetes-object-ref-name-key
 *                                    (default "name")
 */
#define _GNU_SOURCE
#include "render_int.h"
#include "gate/util.h"

#include <string.h>

#define MAX_REF_DEPTH 32
#define MAX_VISITS 100000 /* properties visited per file: $ref fan-out grows exponentially */
#define MAX_SPECS 1000    /* field specs one file adds */

static const struct gate_rnode *schema_of(const struct gate_rnode *def)
{
	const struct gate_rnode *s = rn_get(def, "Schema");

	return s ? s : rn_get(def, "schema"); /* Go's JSON decoder matches either */
}

struct crd_walk {
	size_t visits, specs;
	struct rconfig *cfg;
};

static void count_spec(struct rctx *c, const struct gate_rnode *at, struct crd_walk *w)
{
	if (++w->specs > MAX_SPECS)
		rfail(c, at, "crds: more than %d field specs in one file", MAX_SPECS);
}

static void add_spec(struct rctx *c, struct fspecs *l, const char *kind, const char *path)
{
	struct fspec f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.path = path;
	fspecs_push(c, l, &f);
}

static void load_type(struct rctx *c, const struct gate_rnode *defs, const char *kind,
	const char *type, const char *path, int depth, struct crd_walk *w)
{
	const struct gate_rnode *props = rn_get(schema_of(rn_get(defs, type)), "properties");
	struct rconfig *cfg = w->cfg;
	uint32_t i;

	if (!props || props->type != GATE_RNODE_MAP)
		return;
	if (depth > MAX_REF_DEPTH)
		rfail(c, props, "crds: $ref nesting deeper than %d at %s (a cycle?)", MAX_REF_DEPTH, path);
	if ((w->visits += props->len) > MAX_VISITS)
		rfail(c, props, "crds: more than %d properties reached through $ref", MAX_VISITS);
	for (i = 0; i < props->len; i++) {
		const struct gate_rnode *p = props->u.members[i].value;
		const char *name = props->u.members[i].key, *ref_kind, *ref, *key;
		const char *at = path[0] ? ra_printf(c, "%s/%s", path, name) : name;

		if (p->type != GATE_RNODE_MAP)
			continue;
		if (rn_get(p, "x-kubernetes-annotation")) {
			count_spec(c, p, w);
			add_spec(c, &cfg->annotations, kind, at);
		}
		if (rn_get(p, "x-kubernetes-label-selector")) {
			count_spec(c, p, w);
			add_spec(c, &cfg->labels, kind, at);
		}
		if (rn_get(p, "x-kubernetes-identity")) {
			count_spec(c, p, w);
			add_spec(c, &cfg->name_prefix, kind, at);
		}
		if (rn_get_str(p, "x-kubernetes-object-ref-api-version") &&
		    (ref_kind = rn_get_str(p, "x-kubernetes-object-ref-kind"))) {
			struct fspec f;

			count_spec(c, p, w);
			key = rn_get_str(p, "x-kubernetes-object-ref-name-key");
			memset(&f, 0, sizeof(f));
			f.kind = kind;
			f.path = ra_printf(c, "%s/%s", at, key ? key : "name");
			f.referral = ref_kind;
			fspecs_push(c, &cfg->name_refs, &f);
		}
		if ((ref = rn_get_str(p, "$ref")) && ref[0])
			load_type(c, defs, kind, ref, at, depth + 1, w);
	}
}

static void crd_doc(struct rctx *c, struct gate_rnode *defs, void *payload)
{
	struct crd_walk w = { 0, 0, payload };
	uint32_t i;

	if (defs->type != GATE_RNODE_MAP)
		rfail(c, defs, "unable to parse open API definition: expected a map of definitions");
	for (i = 0; i < defs->len; i++) {
		const char *type = defs->u.members[i].key, *dot = strrchr(type, '.');
		const struct gate_rnode *props = rn_get(schema_of(defs->u.members[i].value), "properties");

		if (!rn_get(props, "kind") || !rn_get(props, "apiVersion") || !rn_get(props, "metadata"))
			continue;
		load_type(c, defs, dot ? dot + 1 : type, type, "", 0, &w);
	}
}

void rconfig_load_crds(struct rctx *c, const char *dir, const struct gate_rnode *list,
	struct rmap *m)
{
	uint32_t i;

	for (i = 0; i < list->len; i++) {
		const struct gate_rnode *e = list->u.items[i];
		const char *s = rn_scalar(e), *p;
		char *buf;
		size_t len;

		if (!s || e->type != GATE_RNODE_STR)
			rfail(c, e, "crds entries must be strings");
		p = rpath_join(c, dir, s);
		if (rload(c, p, &buf, &len))
			rfail(c, e, "loading CRDs [%s]: open %s: no such file or directory", s, p);
		rn_parse_stream(c, p, buf, len, crd_doc, &m->cfg);
	}
}
