/*
 * judge_roots.c: which deployment roots a commit's tree has (Flux
 * Kustomizations, Argo CD Applications, render.roots), and the variables of
 * each Flux root's postBuild from the ConfigMaps and Secrets of the tree.
 * Rendering and judging them is judge_render.c's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/config.h"
#include "gate/render.h"
#include "gate/util.h"
#include "judge_int.h"
#include "judge_render_int.h"

/* A repository path ("./apps/x/", "apps//x") cleaned to "apps/x"; NULL when it leaves the tree. */
static char *clean_path(const char *p)
{
	struct gate_buf b = GATE_BUF_INIT;
	const char *s = p;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 2 && !strncmp(s, "..", 2)) {
			gate_buf_release(&b);
			return NULL;
		}
		if (len && !(len == 1 && *s == '.')) {
			if (b.len)
				gate_buf_addc(&b, '/');
			gate_buf_add(&b, s, len);
		}
		s += len;
		if (*s == '/')
			s++;
	}
	return b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
}

static int streq0(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * Add a root; one already there with the same folder, overlay and
 * postBuild is kept.  Takes the strings and post of in over.
 */
static void roots_add(struct roots *rs, const char *dir, const char *from, struct root_in *in)
{
	char *pk = gate_judge__flux_post_key(in->post);
	struct root *r;
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].dir, dir) && streq0(rs->v[i].overlay, in->overlay) &&
		    streq0(rs->v[i].labels, in->labels) && streq0(rs->v[i].annots, in->annots) &&
		    streq0(rs->v[i].bad, in->bad) && streq0(rs->v[i].postkey, pk) &&
		    (!(in->overlay || in->post || in->bad) || !strcmp(rs->v[i].from, from))) {
			gate_judge__root_in_release(in);
			free(pk);
			return;
		}
	GATE_ALLOC_GROW(rs->v, rs->n + 1, rs->alloc);
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	r->dir = gate_xstrdup(dir);
	r->from = gate_xstrdup(from);
	r->flux = in->flux;
	r->overlay = in->overlay;
	r->indent = in->indent;
	r->labels = in->labels;
	r->annots = in->annots;
	r->bad = in->bad;
	r->bad_line = in->bad_line;
	r->bad_col = in->bad_col;
	r->post = in->post;
	r->postkey = pk;
	memset(in, 0, sizeof(*in));
	if (r->overlay) {
		r->vdir = *dir ? gate_xasprintf("%s/" OVERLAY_DIR, dir) : gate_xstrdup(OVERLAY_DIR);
		r->vpath = gate_xasprintf("%s/kustomization.yaml", r->vdir);
		if (r->labels)
			r->lpath = gate_xasprintf("%s/" FLUX_LABELS_FILE, r->vdir);
		if (r->annots)
			r->apath = gate_xasprintf("%s/" FLUX_ANNOTATIONS_FILE, r->vdir);
	}
}

void gate_judge__roots_release(struct roots *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		struct root *r = &rs->v[i];
		free(r->dir);
		free(r->from);
		free(r->overlay);
		free(r->vdir);
		free(r->vpath);
		free(r->labels);
		free(r->annots);
		free(r->lpath);
		free(r->apath);
		free(r->bad);
		free(r->postkey);
		gate_judge__flux_post_free(r->post);
		gate_judge__flux_vars_release(&r->fv);
	}
	free(rs->v);
}

/* A path of an object: taken when it names a folder of this tree.  Takes in over. */
static void consider_path(const struct rtree *t, struct roots *rs, const char *path,
	const char *from, struct root_in *in)
{
	char *dir;

	if (!path || !(dir = clean_path(path))) {
		gate_judge__root_in_release(in);
		return;
	}
	if (gate_judge__rtree_is_dir(t, dir) && (gate_judge__has_kustomization(t, dir) || in->flux))
		roots_add(rs, dir, from, in);
	else
		gate_judge__root_in_release(in);
	free(dir);
}

/* Does the folder of a Flux root hold a component path (relative to it)? */
struct comp_probe {
	const struct rtree *t;
	const char *dir;
};

static int component_exists(void *payload, const char *rel)
{
	const struct comp_probe *cp = payload;
	char *p = gate_judge__join_path(cp->dir, rel);
	int found = p && (gate_judge__rtree_find(cp->t, p) || gate_judge__rtree_is_dir(cp->t, p));

	free(p);
	return found;
}

static int starts_with(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

struct scan {
	const struct rtree *t;
	struct roots *rs;
	const char *path;
	const char *buf;
};

/* One source of an Argo CD Application: its path, with its kustomize options as an overlay. */
static void argo_source(struct scan *s, const char *part, size_t len, uint32_t line,
	const struct gate_node *root, const struct gate_node *spec, const struct gate_node *src)
{
	const char *path = gate_node_get_str(src, "path");
	struct argo_overlay_in ain;
	struct flux_overlay ov;
	struct comp_probe cp;
	struct root_in in;

	memset(&in, 0, sizeof(in));
	gate_judge__argo_source_in(&ain, part, len, line, root, spec, src, &s->t->commit);
	cp.t = s->t;
	cp.dir = NULL;
	if (ain.kustomize && path && (cp.dir = clean_path(path))) {
		ain.exists = component_exists;
		ain.payload = &cp;
		if (gate_judge__argo_overlay(&ain, &ov) < 0) {
			in.bad = ov.bad;
			in.bad_line = ov.bad_line;
			in.bad_col = ov.bad_col;
		} else {
			in.overlay = ov.text;
		}
		in.indent = ov.indent;
	}
	free((char *)cp.dir);
	consider_path(s->t, s->rs, path, s->path, &in);
}

static int scan_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct scan *s = payload;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error derr;
	struct gate_doc *doc = NULL;
	const struct gate_node *spec, *src;
	const char *api, *kind;
	size_t i;

	if (gate_doc_parse(&doc, part, len, line, &lim, 0, &derr) < 0 || !doc->root ||
	    doc->root->type != GATE_NODE_OBJECT)
		goto done;
	api = gate_node_get_str(doc->root, "apiVersion");
	kind = gate_node_get_str(doc->root, "kind");
	spec = gate_node_get(doc->root, "spec");
	if (!kind || !spec || spec->type != GATE_NODE_OBJECT)
		goto done;
	if (starts_with(api, "kustomize.toolkit.fluxcd.io/") && !strcmp(kind, "Kustomization")) {
		const struct gate_node *sref = gate_node_get(spec, "sourceRef");
		const char *skind = sref && sref->type == GATE_NODE_OBJECT ? gate_node_get_str(sref, "kind") : NULL;
		const char *path = gate_node_get_str(spec, "path");
		struct flux_overlay_in oin;
		struct flux_overlay ov;
		struct comp_probe cp;
		struct root_in in;
		char *dir;
		/* an OCIRepository or a Bucket is not this repository */
		if (skind && strcmp(skind, "GitRepository"))
			goto done;
		memset(&in, 0, sizeof(in));
		cp.t = s->t;
		cp.dir = dir = clean_path(path ? path : "");
		oin.part = part;
		oin.len = len;
		oin.first = line;
		oin.root = doc->root;
		oin.spec = spec;
		oin.exists = dir ? component_exists : NULL;
		oin.payload = &cp;
		if (gate_judge__flux_overlay(&oin, &ov) < 0) {
			in.bad = ov.bad;
			in.bad_line = ov.bad_line;
			in.bad_col = ov.bad_col;
			free(ov.labels);
			free(ov.annotations);
		} else {
			in.overlay = ov.text;
			in.labels = ov.labels;
			in.annots = ov.annotations;
		}
		free(dir);
		in.flux = 1;
		in.indent = ov.indent;
		in.post = gate_judge__flux_postbuild(doc->root, spec);
		consider_path(s->t, s->rs, path, s->path, &in);
	} else if (starts_with(api, "argoproj.io/") && !strcmp(kind, "Application")) {
		/* a Helm chart source (spec.source.chart) is no folder of this repository */
		if ((src = gate_node_get(spec, "source")) && src->type == GATE_NODE_OBJECT &&
		    !gate_node_get(src, "chart"))
			argo_source(s, part, len, line, doc->root, spec, src);
		if ((src = gate_node_get(spec, "sources")) && src->type == GATE_NODE_ARRAY)
			for (i = 0; i < src->len; i++)
				if (src->u.items[i].type == GATE_NODE_OBJECT && !gate_node_get(&src->u.items[i], "chart"))
					argo_source(s, part, len, line, doc->root, spec, &src->u.items[i]);
	}
done:
	gate_doc_free(doc);
	return 0;
}

/* Folders holding a kustomization that match render.roots. */
static void config_roots(const struct rtree *t, struct roots *rs)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		const char *p = t->v[i].path, *slash = strrchr(p, '/');
		const char *base = slash ? slash + 1 : p;
		char *dir;
		for (k = 0; k < 3; k++)
			if (!strcmp(base, gate_judge__kust_names[k]))
				break;
		if (k == 3)
			continue;
		dir = gate_xstrndup(p, slash ? (size_t)(slash - p) : 0);
		if (gate_config_is_render_root(t->j->cfg, dir)) {
			struct root_in in;
			memset(&in, 0, sizeof(in));
			roots_add(rs, dir, p, &in);
		}
		free(dir);
	}
}

static size_t noroot_slot(const struct noroot *nr, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	h &= nr->nslots - 1;
	while (!git_oid_is_zero(&nr->ids[h]) && !git_oid_equal(&nr->ids[h], id))
		h = (h + 1) & (nr->nslots - 1);
	return h;
}

static int noroot_has(const struct noroot *nr, const git_oid *id)
{
	return nr->nslots && git_oid_equal(&nr->ids[noroot_slot(nr, id)], id);
}

static void noroot_add(struct noroot *nr, const git_oid *id)
{
	if (2 * (nr->n + 1) > nr->nslots) {
		struct noroot old = *nr;
		size_t i;
		nr->nslots = old.nslots ? 2 * old.nslots : 256;
		nr->ids = gate_xcalloc(nr->nslots, sizeof(*nr->ids));
		nr->n = 0;
		for (i = 0; i < old.nslots; i++)
			if (!git_oid_is_zero(&old.ids[i])) {
				git_oid_cpy(&nr->ids[noroot_slot(nr, &old.ids[i])], &old.ids[i]);
				nr->n++;
			}
		free(old.ids);
	}
	if (!git_oid_is_zero(id) && !noroot_has(nr, id)) {
		git_oid_cpy(&nr->ids[noroot_slot(nr, id)], id);
		nr->n++;
	}
}

/* The roots named by the manifests of the tree, and those of render.roots. */
int gate_judge__find_roots(struct rtree *t, struct roots *rs)
{
	size_t i;

	config_roots(t, rs);

	for (i = 0; i < t->n; i++) {
		struct scan s;
		char *buf = NULL;
		size_t len;
		if (noroot_has(t->nr, &t->v[i].id) || gate_judge__names_roots(t->j, &t->v[i].id) == 0 ||
		    !gate_config_path_is_manifest(t->j->cfg, t->v[i].path))
			continue;
		memset(&s, 0, sizeof(s));
		s.t = t;
		s.rs = rs;
		s.path = t->v[i].path;
		if (gate_judge__read_tree_blob(t->j, &t->v[i].id, &buf, &len, t->msg, t->msgsize) < 0)
			return -1;
		/*
		 * whether the blob may name a root is kept in the facts index: one
		 * that does not is not read again by later pushes (one that does is
		 * scanned each time: what it names depends on the tree, e.g. the
		 * components a Flux overlay finds)
		 */
		gate_judge__index_roots(t->j, &t->v[i].id, buf && (strstr(buf, "kustomize.toolkit.fluxcd.io/") ||
			strstr(buf, "argoproj.io/")));
		if (!buf)
			continue;
		if (strstr(buf, "kustomize.toolkit.fluxcd.io/") || strstr(buf, "argoproj.io/")) {
			s.buf = buf;
			gate_doc_split(buf, len, scan_part, &s);
		} else {
			/* consecutive commits share nearly every blob: read each once per push */
			noroot_add(t->nr, &t->v[i].id);
		}
		free(buf);
	}
	return 0;
}


/* The variables of each Flux root's postBuild, from the ConfigMaps and Secrets of the tree. */
static int novars_known(void *payload, const git_oid *id)
{
	return noroot_has(payload, id);
}

static void novars_add(void *payload, const git_oid *id)
{
	noroot_add(payload, id);
}

/* Is obj the kind and name ref names? */
static int gen_named(const struct gate_rnode *obj, const struct flux_ref *ref)
{
	const struct gate_rnode *kind = NULL, *md = NULL, *name = NULL;
	size_t i;

	for (i = 0; obj->type == GATE_RNODE_MAP && i < obj->len; i++)
		if (!strcmp(obj->u.members[i].key, "kind"))
			kind = obj->u.members[i].value;
		else if (!strcmp(obj->u.members[i].key, "metadata"))
			md = obj->u.members[i].value;
	for (i = 0; md && md->type == GATE_RNODE_MAP && i < md->len; i++)
		if (!strcmp(md->u.members[i].key, "name"))
			name = md->u.members[i].value;
	return kind && kind->str && name && name->str && !strcmp(kind->str, ref->kind) && !strcmp(name->str, ref->name);
}

/* Build folder dir (its kustomization at kpath) and add the ConfigMaps and Secrets a reference names. */
static int build_generators(struct rtree *t, struct roots *rs, struct varcat *cat, const char *dir,
	const char *kpath)
{
	struct gate_render_options ro = GATE_RENDER_OPTIONS_INIT;
	struct gate_render_loader ldr;
	struct gate_render_error err;
	struct gate_render *r = NULL;
	struct root none;
	struct reads rd;
	size_t i, k, q;

	memset(&none, 0, sizeof(none));
	none.dir = (char *)dir;
	memset(&rd, 0, sizeof(rd));
	rd.t = t;
	rd.root = &none;
	ldr.read = gate_judge__loader_read;
	ldr.payload = &rd;
	if (gate_render_build(&r, *dir ? dir : ".", &ldr, &ro, &err) == 0)
		for (i = 0; i < gate_render_count(r); i++) {
			const struct gate_rnode *obj = gate_render_object(r, i);
			for (k = 0; k < rs->n; k++)
				for (q = 0; rs->v[k].post && q < rs->v[k].post->nrefs; q++)
					if (gen_named(obj, &rs->v[k].post->refs[q]) &&
					    !gate_judge__varcat_has(cat, rs->v[k].post->refs[q].kind,
						rs->v[k].post->refs[q].name)) {
						gate_judge__varcat_add_rendered(cat, obj, kpath);
						k = rs->n;
						break;
					}
		}
	gate_render_free(r);
	gate_judge__reads_release(&rd);
	return rd.io_error ? -1 : 0;
}

/*
 * substituteFrom objects no manifest holds: made by a configMapGenerator or
 * secretGenerator of a kustomization of the tree that names them?  Each
 * such folder is built (legacy order, no overlay) and the ConfigMaps and
 * Secrets of its render that a reference names are added to cat.
 */
static int generated_vars(struct rtree *t, struct roots *rs, struct varcat *cat)
{
	size_t i, k, q;
	int error = 0, missing = 0;

	for (k = 0; k < rs->n; k++)
		for (q = 0; rs->v[k].post && q < rs->v[k].post->nrefs; q++)
			missing |= !gate_judge__varcat_has(cat, rs->v[k].post->refs[q].kind, rs->v[k].post->refs[q].name);
	for (i = 0; missing && i < t->n && !error; i++) {
		const char *p = t->v[i].path, *slash = strrchr(p, '/'), *base = slash ? slash + 1 : p;
		char *buf = NULL, *dir;
		size_t len;
		int want = 0;
		for (k = 0; k < 3 && strcmp(base, gate_judge__kust_names[k]); k++)
			;
		if (k == 3)
			continue;
		if (gate_judge__read_tree_blob(t->j, &t->v[i].id, &buf, &len, t->msg, t->msgsize) < 0)
			return -1;
		for (k = 0; buf && k < rs->n && !want; k++)
			for (q = 0; rs->v[k].post && q < rs->v[k].post->nrefs && !want; q++)
				want = !gate_judge__varcat_has(cat, rs->v[k].post->refs[q].kind, rs->v[k].post->refs[q].name) &&
					strstr(buf, "Generator") && strstr(buf, rs->v[k].post->refs[q].name);
		free(buf);
		if (!want)
			continue;
		dir = gate_xstrndup(p, slash ? (size_t)(slash - p) : 0);
		error = build_generators(t, rs, cat, dir, p);
		free(dir);
	}
	return error;
}

int gate_judge__resolve_vars(struct rtree *t, struct roots *rs)
{
	struct varcat_skip skip;
	const struct flux_post **posts;
	struct varcat *cat = NULL;
	size_t i, n = 0;
	int error, inherited = 0;

	posts = gate_xcalloc(rs->n + 1, sizeof(*posts));
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].post)
			posts[n++] = rs->v[i].post;
	skip.known = novars_known;
	skip.add = novars_add;
	skip.payload = t->novars;
	error = n ? gate_judge__varcat_build(t->j, t->v, t->n, posts, n, &skip, &cat, t->msg, t->msgsize) : 0;
	if (!error && n)
		error = generated_vars(t, rs, cat);
	/*
	 * A Flux Kustomization whose patches speak of postBuild may give other
	 * Kustomizations (its children) variables the gate does not see: every
	 * Flux root's variables are then unknown, and one without postBuild is
	 * substituted too (defaults applied, an undefined variable empty).
	 */
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].flux && rs->v[i].overlay && strstr(rs->v[i].overlay, "postBuild"))
			inherited = 1;
	for (i = 0; !error && i < rs->n; i++) {
		if (rs->v[i].post) {
			gate_judge__flux_vars(t->j, cat, rs->v[i].post, rs->v[i].from, inherited, &rs->v[i].fv);
		} else if (rs->v[i].flux && inherited) {
			struct flux_post none;
			char empty[1] = "";
			memset(&none, 0, sizeof(none));
			none.vars = empty;
			gate_judge__flux_vars(t->j, cat, &none, rs->v[i].from, 1, &rs->v[i].fv);
		}
	}
	gate_judge__varcat_free(cat);
	free(posts);
	return error;
}
