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
#include "gate/facts_index.h"
#include "gate/hash.h"
#include "gate/kust_refs.h"
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
static void roots_add_as(struct roots *rs, const char *dir, const char *from, struct root_in *in, int check)
{
	char *pk = gate_judge__flux_post_key(in->post);
	struct root *r;
	size_t i;

	for (i = 0; check && i < rs->n; i++)
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

static void roots_add(struct roots *rs, const char *dir, const char *from, struct root_in *in)
{
	roots_add_as(rs, dir, from, in, 1);
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
static void consider_path(struct rtree *t, struct roots *rs, const char *path,
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
	struct rtree *t;
	const char *dir;
	int *probed;   /* set when asked: what the object names depends on the tree */
};

static int component_exists(void *payload, const char *rel)
{
	const struct comp_probe *cp = payload;
	char *p = gate_judge__join_path(cp->dir, rel);
	int found = p && (gate_judge__rtree_find(cp->t, p) || gate_judge__rtree_is_dir(cp->t, p));

	*cp->probed = 1;
	free(p);
	return found;
}

static int starts_with(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

struct scan {
	struct rtree *t;
	struct roots *rs;
	const char *path;
	const char *buf;
	struct gate_buf rec;  /* what it named: "p<path>\n" and the root_in, per candidate */
	int dynamic;          /* it depends on the tree or the commit: not kept */
};

/* A folder the object names, with what it adds: recorded, then considered.  Takes in over. */
static void named(struct scan *s, const char *path, struct root_in *in)
{
	if (path && strchr(path, '\n'))
		s->dynamic = 1;
	else if (path) {
		gate_buf_addc(&s->rec, 'p');
		gate_buf_adds(&s->rec, path);
		gate_buf_addc(&s->rec, '\n');
		gate_judge__root_in_dump(in, &s->rec);
		gate_buf_addc(&s->rec, '\n');
	}
	consider_path(s->t, s->rs, path, s->path, in);
}

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
	cp.probed = &s->dynamic;
	/* its overlay may hold the commit's id ($ARGOCD_APP_REVISION) */
	if (ain.kustomize)
		s->dynamic = 1;
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
	named(s, path, &in);
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
		cp.probed = &s->dynamic;
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
		named(s, path, &in);
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
static void config_roots(struct rtree *t, struct roots *rs)
{
	size_t i;

	for (i = 0; i < t->nkf; i++) {
		const char *p = t->kf[i].path, *slash = strrchr(p, '/');
		char *dir;
		dir = gate_xstrndup(p, slash ? (size_t)(slash - p) : 0);
		if (gate_config_is_render_root(t->j->cfg, dir)) {
			struct root_in in;
			memset(&in, 0, sizeof(in));
			roots_add(rs, dir, p, &in);
		}
		free(dir);
	}
}

/*
 * What a file that may name a root names, kept in the facts index under a
 * key derived from its blob id: "ok\n" then, per folder an object names in
 * file order, "p<path>\n" and what the object adds (root_in_dump()); or
 * "x\n" when that depends on the tree or the commit (a Flux component
 * probed, an Argo CD kustomize block): such a file is read and scanned on
 * each push.
 */
static void named_key(const git_oid *id, git_oid *key)
{
	struct gate_sha256 h;
	char hex[GATE_SHA256_HEX], bh[GIT_OID_HEXSZ + 1];

	git_oid_tostr(bh, sizeof(bh), id);
	gate_sha256_init(&h);
	gate_sha256_update_str(&h, "gitops-gate roots named 1");
	gate_sha256_update_str(&h, bh);
	gate_sha256_final(&h, hex);
	git_oid_fromstrn(key, hex, GIT_OID_HEXSZ);
}

struct named_one {
	char *path;
	struct root_in in;
};

/* Replay a kept "ok" text: 0, or -1 when it is not one (nothing considered then). */
static int named_replay(struct rtree *t, struct roots *rs, const char *from, const char *text, size_t len)
{
	const char *p = text + 3, *end = text + len;
	struct named_one *v = NULL;
	size_t n = 0, alloc = 0, i;
	int error = 0;

	while (p < end && !error) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct named_one *o;
		if (*p != 'p' || !nl) {
			error = -1;
			break;
		}
		GATE_ALLOC_GROW(v, n + 1, alloc);
		o = &v[n++];
		o->path = gate_xstrndup(p + 1, (size_t)(nl - p - 1));
		p = nl + 1;
		if (gate_judge__root_in_load(&p, end, &o->in) < 0 || p >= end || *p != '\n')
			error = -1;
		else
			p++;
		if (error)
			memset(&o->in, 0, sizeof(o->in));
	}
	for (i = 0; i < n; i++) {
		if (!error)
			consider_path(t, rs, v[i].path, from, &v[i].in);
		else
			gate_judge__root_in_release(&v[i].in);
		free(v[i].path);
	}
	free(v);
	return error;
}

/* The roots file f (that may name one) names, into rs. */
static int named_by(struct rtree *t, struct roots *rs, const struct rfile *f)
{
	struct gate_facts_index *idx = gate_judge__facts_index(t->j);
	const char *text;
	char *buf = NULL;
	size_t len;
	unsigned flags;
	git_oid key;
	struct scan s;

	named_key(&f->id, &key);
	if (idx && gate_facts_index_get(idx, key.id, &flags, &text, &len) == 1 && (flags & GATE_FACTS_HAS_TEXT)) {
		if (len >= 3 && !memcmp(text, "ok\n", 3) && named_replay(t, rs, f->path, text, len) == 0)
			return 0;
		if (len == 2 && !memcmp(text, "x\n", 2))
			idx = NULL; /* known to depend on the tree: scanned, nothing to keep */
	}
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.rs = rs;
	s.path = f->path;
	if (gate_judge__read_tree_blob(t->j, &f->id, &buf, &len, t->msg, t->msgsize) < 0)
		return -1;
	gate_buf_adds(&s.rec, "ok\n");
	/* a file that may name a root: what it names is scanned, and kept when the tree has no say */
	if (buf && (strstr(buf, "kustomize.toolkit.fluxcd.io/") || strstr(buf, "argoproj.io/"))) {
		s.buf = buf;
		gate_doc_split(buf, len, scan_part, &s);
	}
	if (idx && buf)
		gate_facts_index_put(idx, key.id, GATE_FACTS_HAS_TEXT, s.dynamic ? "x\n" : s.rec.ptr,
			s.dynamic ? 2 : s.rec.len);
	gate_buf_release(&s.rec);
	free(buf);
	return 0;
}

/* The roots named by the manifests of the tree, and those of render.roots. */
int gate_judge__find_roots(struct rtree *t, struct roots *rs)
{
	size_t i;

	config_roots(t, rs);

	for (i = 0; i < t->nrf; i++)
		if (named_by(t, rs, &t->rf[i]) < 0)
			return -1;
	return gate_judge__orphan_roots(t, rs);
}


/* The variables of each Flux root's postBuild, from the ConfigMaps and Secrets of the tree. */
static int novars_known(void *payload, const git_oid *id)
{
	return gate_judge__noroot_has(payload, id);
}

static void novars_add(void *payload, const git_oid *id)
{
	gate_judge__noroot_add(payload, id);
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
	for (i = 0; missing && i < t->nkf && !error; i++) {
		const char *p = t->kf[i].path, *slash = strrchr(p, '/');
		char *buf = NULL, *dir;
		size_t len;
		int want = 0;
		if (gate_judge__read_tree_blob(t->j, &t->kf[i].id, &buf, &len, t->msg, t->msgsize) < 0)
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
	int error, inherited = 0, any = 0;

	posts = gate_xcalloc(rs->n + 1, sizeof(*posts));
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].post)
			posts[n++] = rs->v[i].post;
	skip.known = novars_known;
	skip.add = novars_add;
	skip.payload = t->novars;
	for (i = 0; i < n && !any; i++)
		any = posts[i]->nrefs > 0;
	/* the ConfigMaps and Secrets of the whole tree: listed only when a root reads some */
	error = any ? gate_judge__rtree_list(t) : 0;
	if (!error && n)
		error = gate_judge__varcat_build(t->j, t->v, t->n, posts, n, &skip, &cat, t->msg, t->msgsize);
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

/* The folders holding a kustomization, sorted, each once, with what is known of each. */
struct kdir {
	char *dir;
	unsigned reached : 1; /* another kustomization or a root takes it in */
	unsigned comp : 1;    /* it holds a Component */
	unsigned added : 1;   /* added as a root here */
};

struct kdirs {
	struct kdir *v;
	size_t n;
};

static int cmp_kdir(const void *a, const void *b)
{
	return strcmp(((const struct kdir *)a)->dir, ((const struct kdir *)b)->dir);
}

/* Folder dir among them, or NULL. */
static struct kdir *kdir_find(const struct kdirs *kd, const char *dir)
{
	struct kdir key;

	if (!kd->n)
		return NULL;
	key.dir = (char *)dir;
	return bsearch(&key, kd->v, kd->n, sizeof(*kd->v), cmp_kdir);
}

/* The folders of the n files dirs (taken over), sorted and each once. */
static void kdirs_make(struct kdirs *kd, char **dirs, size_t n)
{
	size_t i, k = 0;

	kd->v = gate_xcalloc(n + 1, sizeof(*kd->v));
	for (i = 0; i < n; i++)
		kd->v[i].dir = dirs[i];
	if (n)
		qsort(kd->v, n, sizeof(*kd->v), cmp_kdir);
	for (i = 0; i < n; i++)
		if (k && !strcmp(kd->v[k - 1].dir, kd->v[i].dir))
			free(kd->v[i].dir);
		else
			kd->v[k++] = kd->v[i];
	kd->n = k;
}

static void kdirs_release(struct kdirs *kd)
{
	size_t i;

	for (i = 0; i < kd->n; i++)
		free(kd->v[i].dir);
	free(kd->v);
}

/*
 * Does a Flux root without a kustomization (its dir among the n of gen) take
 * folder dir in through its generated kustomization: dir below it, and no
 * folder holding a kustomization (kd) on the way between?
 */
static int flux_generated_reach(char *const *gen, size_t n, const struct kdirs *kd, const char *dir)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *f = gen[i], *s;
		size_t fl = strlen(f);
		int between = 0;
		if (*f && (strncmp(dir, f, fl) || dir[fl] != '/'))
			continue;
		if (!strcmp(dir, f))
			continue;
		for (s = strchr(dir + (fl ? fl + 1 : 0), '/'); s && !between; s = strchr(s + 1, '/')) {
			char *mid = gate_xstrndup(dir, (size_t)(s - dir));
			between = kdir_find(kd, mid) != NULL;
			free(mid);
		}
		if (!between)
			return 1;
	}
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return gate_xstrndup(path, slash ? (size_t)(slash - path) : 0);
}

/* Mark the folders the kustomizations name, and those holding Components. */
static void kdirs_mark(struct rtree *t, struct kdirs *kd, char *const *fdirs)
{
	size_t i, k, need, alloc = 0;
	struct kdir *hit;
	char *p = NULL;

	for (i = 0; i < t->nkf; i++) {
		const struct gate_kust_refs *kr = &t->kr[i];
		for (k = 0; k < kr->n; k++) {
			need = strlen(fdirs[i]) + strlen(kr->names[k]) + 2;
			if (need > alloc)
				p = gate_xrealloc(p, alloc = 2 * need);
			if (gate_judge__join_path_to(p, fdirs[i], kr->names[k]) == 0 && strcmp(p, fdirs[i]) &&
			    (hit = kdir_find(kd, p)))
				hit->reached = 1;
		}
		if (kr->component && (hit = kdir_find(kd, fdirs[i])))
			hit->comp = 1;
	}
	free(p);
}

int gate_judge__orphan_roots(struct rtree *t, struct roots *rs)
{
	struct kdirs kd;
	struct kdir *hit;
	char **fdirs, **sorted, **gen;
	size_t i, ngen = 0;

	if (!gate_config_orphan_roots(t->j->cfg) || !t->nkf)
		return 0;
	/* each kustomization file's folder, in file order; and the folders, sorted, each once */
	fdirs = gate_xcalloc(t->nkf, sizeof(*fdirs));
	sorted = gate_xcalloc(t->nkf, sizeof(*sorted));
	for (i = 0; i < t->nkf; i++) {
		fdirs[i] = dir_of(t->kf[i].path);
		sorted[i] = gate_xstrdup(fdirs[i]);
	}
	kdirs_make(&kd, sorted, t->nkf);
	free(sorted);
	/* every folder another kustomization names, and the folders of Components */
	kdirs_mark(t, &kd, fdirs);
	/* the roots already there, and what Flux's generated kustomizations take in */
	gen = gate_xcalloc(rs->n + 1, sizeof(*gen));
	for (i = 0; i < rs->n; i++) {
		if ((hit = kdir_find(&kd, rs->v[i].dir)))
			hit->reached = 1;
		if (rs->v[i].flux && !gate_judge__has_kustomization(t, rs->v[i].dir))
			gen[ngen++] = rs->v[i].dir;
	}
	/* the others, in the order of their kustomization files' paths */
	for (i = 0; i < t->nkf; i++) {
		const char *dir = fdirs[i];
		char *kp;
		struct root_in in;
		hit = kdir_find(&kd, dir);
		/* a second kustomization file of a folder: the same root, kept once */
		if (hit->reached || hit->comp || hit->added || flux_generated_reach(gen, ngen, &kd, dir))
			continue;
		kp = *dir ? gate_xasprintf("%s/kustomization.yaml", dir) : gate_xstrdup("kustomization.yaml");
		if (gate_config_path_is_manifest(t->j->cfg, kp)) {
			memset(&in, 0, sizeof(in));
			/* not among the roots already there (reached): no need to compare with each */
			roots_add_as(rs, dir, t->kf[i].path, &in, 0);
			hit->added = 1;
		}
		free(kp);
	}
	free(gen);
	for (i = 0; i < t->nkf; i++)
		free(fdirs[i]);
	free(fdirs);
	kdirs_release(&kd);
	return 0;
}
