/*
 * repo_checks: duplicate objects and dangling references within a unit of a
 * tree, and custom resource schemas from committed CRDs.  See
 * include/gate/repo_checks.h.
 */
#define _GNU_SOURCE /* memmem */
#include "gate/repo_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/k8s.h"
#include "gate/util.h"

#define MAX_FACTS 100000  /* objects or references of one file */
#define MAX_PROBLEMS 1000 /* reported by one run */

/* ---- facts of one file ---- */

struct fobj {
	char *group, *kind, *ns, *name;
	uint32_t line;
	int generated; /* made by a generator or a sealed/external secret: not a duplicate */
};

struct fref {
	char *kind, *ns, *name;     /* what is referred to */
	char *from_kind, *from_name, *from_api;
	char *pointer;
	uint32_t line, col, res_line;
};

/* A CustomResourceDefinition a file holds: its spec.group and spec.names.kind. */
struct fcrd {
	char *group, *kind;
};

struct gate_tree_facts {
	struct fobj *objs;
	size_t nobjs, aobjs;
	struct fcrd *crds;
	size_t ncrds, acrds;
	struct fref *refs;
	size_t nrefs, arefs;
	char **patches;  /* paths a kustomization names as patches, as written */
	size_t npatches, apatches;
	int kustomization;
};

static char *dup_or_empty(const char *s)
{
	return gate_xstrdup(s ? s : "");
}

static void add_obj(struct gate_tree_facts *f, const char *group, const char *kind,
	const char *ns, const char *name, uint32_t line, int generated)
{
	struct fobj *o;

	if (!kind || !name || !*name || f->nobjs >= MAX_FACTS)
		return;
	GATE_ALLOC_GROW(f->objs, f->nobjs + 1, f->aobjs);
	o = &f->objs[f->nobjs++];
	o->group = dup_or_empty(group);
	o->kind = gate_xstrdup(kind);
	o->ns = dup_or_empty(ns);
	o->name = gate_xstrdup(name);
	o->line = line;
	o->generated = generated;
}

static const struct gate_node *obj_get(const struct gate_node *n, const char *key)
{
	return n && n->type == GATE_NODE_OBJECT ? gate_node_get(n, key) : NULL;
}

static const char *obj_str(const struct gate_node *n, const char *key)
{
	return n && n->type == GATE_NODE_OBJECT ? gate_node_get_str(n, key) : NULL;
}

static int is_true(const struct gate_node *n)
{
	return n && n->type == GATE_NODE_BOOL && n->u.boolean;
}

/* Where a reference is being read: the referring resource and a pointer buffer. */
struct refctx {
	struct gate_tree_facts *f;
	const struct gate_k8s_id *id;
	const char *ns;
	uint32_t res_line;
	char ptr[512];
	size_t plen;
};

static void ptr_push(struct refctx *c, const char *tok, size_t *saved)
{
	*saved = c->plen;
	if (c->plen + strlen(tok) + 2 < sizeof(c->ptr)) {
		c->ptr[c->plen++] = '/';
		strcpy(c->ptr + c->plen, tok);
		c->plen += strlen(tok);
	}
}

static void ptr_pop(struct refctx *c, size_t saved)
{
	c->plen = saved;
	c->ptr[saved] = '\0';
}

/* Record a reference to kind/name at node at (the name's node), pointer + key. */
static void add_ref(struct refctx *c, const char *kind, const struct gate_node *holder,
	const char *key)
{
	const struct gate_node *at = obj_get(holder, key);
	struct fref *r;
	size_t saved;

	if (!at || at->type != GATE_NODE_STRING || !at->len || c->f->nrefs >= MAX_FACTS)
		return;
	/* objects every namespace has */
	if ((!strcmp(kind, "ServiceAccount") && !strcmp(at->u.str, "default")) ||
	    (!strcmp(kind, "ConfigMap") && !strcmp(at->u.str, "kube-root-ca.crt")))
		return;
	GATE_ALLOC_GROW(c->f->refs, c->f->nrefs + 1, c->f->arefs);
	r = &c->f->refs[c->f->nrefs++];
	r->kind = gate_xstrdup(kind);
	r->ns = dup_or_empty(c->ns);
	r->name = gate_xstrdup(at->u.str);
	r->from_kind = gate_xstrdup(c->id->kind);
	r->from_name = dup_or_empty(c->id->name);
	r->from_api = gate_xstrdup(c->id->api_version);
	ptr_push(c, key, &saved);
	r->pointer = gate_xstrdup(c->ptr);
	ptr_pop(c, saved);
	r->line = at->line;
	r->col = at->col;
	r->res_line = c->res_line;
}

static void each_item(struct refctx *c, const struct gate_node *parent, const char *key,
	void (*fn)(struct refctx *, const struct gate_node *))
{
	const struct gate_node *arr = obj_get(parent, key);
	size_t saved, s2, i;
	char num[24];

	if (!arr || arr->type != GATE_NODE_ARRAY)
		return;
	ptr_push(c, key, &saved);
	for (i = 0; i < arr->len; i++) {
		snprintf(num, sizeof(num), "%zu", i);
		ptr_push(c, num, &s2);
		fn(c, &arr->u.items[i]);
		ptr_pop(c, s2);
	}
	ptr_pop(c, saved);
}

/* Step into key of parent and call fn there. */
static void in_key(struct refctx *c, const struct gate_node *parent, const char *key,
	void (*fn)(struct refctx *, const struct gate_node *))
{
	const struct gate_node *n = obj_get(parent, key);
	size_t saved;

	if (!n || n->type != GATE_NODE_OBJECT)
		return;
	ptr_push(c, key, &saved);
	fn(c, n);
	ptr_pop(c, saved);
}

static void ref_configmap(struct refctx *c, const struct gate_node *n)
{
	if (!is_true(obj_get(n, "optional")))
		add_ref(c, "ConfigMap", n, "name");
}

static void ref_secret_name(struct refctx *c, const struct gate_node *n)
{
	if (!is_true(obj_get(n, "optional")))
		add_ref(c, "Secret", n, "name");
}

static void ref_secret_volume(struct refctx *c, const struct gate_node *n)
{
	if (!is_true(obj_get(n, "optional")))
		add_ref(c, "Secret", n, "secretName");
}

static void ref_pvc(struct refctx *c, const struct gate_node *n)
{
	add_ref(c, "PersistentVolumeClaim", n, "claimName");
}

static void projected_source(struct refctx *c, const struct gate_node *n)
{
	in_key(c, n, "configMap", ref_configmap);
	in_key(c, n, "secret", ref_secret_name);
}

static void projected(struct refctx *c, const struct gate_node *n)
{
	each_item(c, n, "sources", projected_source);
}

static void volume(struct refctx *c, const struct gate_node *n)
{
	in_key(c, n, "configMap", ref_configmap);
	in_key(c, n, "secret", ref_secret_volume);
	in_key(c, n, "persistentVolumeClaim", ref_pvc);
	in_key(c, n, "projected", projected);
}

static void value_from(struct refctx *c, const struct gate_node *n)
{
	in_key(c, n, "configMapKeyRef", ref_configmap);
	in_key(c, n, "secretKeyRef", ref_secret_name);
}

static void env(struct refctx *c, const struct gate_node *n)
{
	in_key(c, n, "valueFrom", value_from);
}

static void env_from(struct refctx *c, const struct gate_node *n)
{
	in_key(c, n, "configMapRef", ref_configmap);
	in_key(c, n, "secretRef", ref_secret_name);
}

static void container(struct refctx *c, const struct gate_node *n)
{
	each_item(c, n, "env", env);
	each_item(c, n, "envFrom", env_from);
}

static void pull_secret(struct refctx *c, const struct gate_node *n)
{
	add_ref(c, "Secret", n, "name");
}

static void pod_spec(struct refctx *c, const struct gate_node *spec)
{
	if (obj_str(spec, "serviceAccountName"))
		add_ref(c, "ServiceAccount", spec, "serviceAccountName");
	else
		add_ref(c, "ServiceAccount", spec, "serviceAccount");
	each_item(c, spec, "imagePullSecrets", pull_secret);
	each_item(c, spec, "volumes", volume);
	each_item(c, spec, "containers", container);
	each_item(c, spec, "initContainers", container);
	each_item(c, spec, "ephemeralContainers", container);
}

static void template_spec(struct refctx *c, const struct gate_node *tmpl)
{
	in_key(c, tmpl, "spec", pod_spec);
}

static void workload_spec(struct refctx *c, const struct gate_node *spec)
{
	in_key(c, spec, "template", template_spec);
}

static void cronjob_spec(struct refctx *c, const struct gate_node *spec)
{
	in_key(c, spec, "jobTemplate", workload_spec);
}

static void read_refs(struct gate_tree_facts *f, const struct gate_k8s_id *id,
	const struct gate_node *root)
{
	static const char *const workloads[] = { "Deployment", "StatefulSet", "DaemonSet",
		"ReplicaSet", "Job", "ReplicationController", NULL };
	struct refctx c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.f = f;
	c.id = id;
	c.ns = id->namespace_;
	c.res_line = root->line;
	if (!strcmp(id->kind, "Pod") && !id->group[0]) {
		in_key(&c, root, "spec", pod_spec);
		return;
	}
	if (!strcmp(id->kind, "CronJob") && !strcmp(id->group, "batch")) {
		in_key(&c, root, "spec", cronjob_spec);
		return;
	}
	for (i = 0; workloads[i]; i++)
		if (!strcmp(id->kind, workloads[i]) && (!strcmp(id->group, "apps") ||
		    !strcmp(id->group, "batch") || !id->group[0])) {
			in_key(&c, root, "spec", workload_spec);
			return;
		}
}

static void add_patch(struct gate_tree_facts *f, const char *path)
{
	if (!path || !*path || f->npatches >= MAX_FACTS)
		return;
	GATE_ALLOC_GROW(f->patches, f->npatches + 1, f->apatches);
	f->patches[f->npatches++] = gate_xstrdup(path);
}

static void read_kustomization(struct gate_tree_facts *f, const struct gate_node *root,
	const char *ns)
{
	static const char *const gens[][2] = { { "configMapGenerator", "ConfigMap" },
		{ "secretGenerator", "Secret" } };
	const struct gate_node *a;
	size_t g, i;

	f->kustomization = 1;
	if (obj_str(root, "namespace"))
		ns = obj_str(root, "namespace");
	for (g = 0; g < 2; g++) {
		a = obj_get(root, gens[g][0]);
		for (i = 0; a && a->type == GATE_NODE_ARRAY && i < a->len; i++)
			add_obj(f, "", gens[g][1], obj_str(&a->u.items[i], "namespace") ?
				obj_str(&a->u.items[i], "namespace") : ns,
				obj_str(&a->u.items[i], "name"), a->u.items[i].line, 1);
	}
	a = obj_get(root, "patchesStrategicMerge");
	for (i = 0; a && a->type == GATE_NODE_ARRAY && i < a->len; i++)
		if (a->u.items[i].type == GATE_NODE_STRING)
			add_patch(f, a->u.items[i].u.str);
	a = obj_get(root, "patches");
	for (i = 0; a && a->type == GATE_NODE_ARRAY && i < a->len; i++)
		add_patch(f, obj_str(&a->u.items[i], "path"));
	a = obj_get(root, "patchesJson6902");
	for (i = 0; a && a->type == GATE_NODE_ARRAY && i < a->len; i++)
		add_patch(f, obj_str(&a->u.items[i], "path"));
}

/*
 * Note a CRD as read_crd() would see it (before any identity check), so
 * that the CRDs a file may define are known without reading it again.
 */
static void note_crd(struct gate_tree_facts *f, const struct gate_node *root)
{
	const struct gate_node *spec;
	const char *av, *kind, *group, *ckind;
	struct fcrd *c;

	if (!root || root->type != GATE_NODE_OBJECT || f->ncrds >= MAX_FACTS)
		return;
	av = obj_str(root, "apiVersion");
	kind = obj_str(root, "kind");
	if (!av || strncmp(av, "apiextensions.k8s.io/", 21) || !kind ||
	    strcmp(kind, "CustomResourceDefinition"))
		return;
	spec = obj_get(root, "spec");
	group = obj_str(spec, "group");
	ckind = obj_str(obj_get(spec, "names"), "kind");
	if (!group || !ckind)
		return;
	GATE_ALLOC_GROW(f->crds, f->ncrds + 1, f->acrds);
	c = &f->crds[f->ncrds++];
	c->group = gate_xstrdup(group);
	c->kind = gate_xstrdup(ckind);
}

static void read_resource(struct gate_tree_facts *f, const struct gate_node *root)
{
	struct gate_k8s_id id;
	char msg[128];
	const struct gate_node *meta, *spec;

	note_crd(f, root);
	if (!root || root->type != GATE_NODE_OBJECT ||
	    gate_k8s_id_read(&id, root, msg, sizeof(msg)) < 0)
		return;
	if (!strncmp(id.api_version, "kustomize.config.k8s.io/", 24)) {
		read_kustomization(f, root, NULL);
		return;
	}
	meta = obj_get(root, "metadata");
	add_obj(f, id.group, id.kind, id.namespace_, id.name, root->line, 0);
	spec = obj_get(root, "spec");
	if (!strcmp(id.kind, "SealedSecret") && !strcmp(id.group, "bitnami.com")) {
		const struct gate_node *tm = obj_get(obj_get(spec, "template"), "metadata");
		add_obj(f, "", "Secret", obj_str(tm, "namespace") ? obj_str(tm, "namespace") : id.namespace_,
			obj_str(tm, "name") ? obj_str(tm, "name") : id.name, root->line, 1);
	} else if (!strcmp(id.kind, "ExternalSecret")) {
		const struct gate_node *t = obj_get(spec, "target");
		add_obj(f, "", "Secret", id.namespace_, obj_str(t, "name") ? obj_str(t, "name") : id.name,
			root->line, 1);
	}
	(void)meta;
	read_refs(f, &id, root);
}

struct parse_ctx {
	struct gate_tree_facts *f;
	const struct gate_doc_limits *lim;
};

/*
 * Lists are expanded as kustomize expands them: every kind ending in "List"
 * (gate_k8s_list_items()), to a bounded depth; a typed list is read as a
 * resource too.  A lowercase "list", which only kubeconform expands, stays
 * one object here.
 */
static void add_document(struct gate_tree_facts *f, const struct gate_node *root, int depth)
{
	const char *kind = obj_str(root, "kind");
	size_t n = kind ? strlen(kind) : 0;
	const struct gate_node *items = n >= 4 && !strcmp(kind + n - 4, "List") ?
		gate_k8s_list_items(root) : NULL;
	uint32_t i;

	if (!items) {
		read_resource(f, root);
		return;
	}
	if (strcmp(kind, "List"))
		read_resource(f, root);
	for (i = 0; i < items->len && depth < 8; i++)
		add_document(f, &items->u.items[i], depth + 1);
}

void gate_tree_facts_add_document(struct gate_tree_facts *f, const struct gate_node *root)
{
	add_document(f, root, 0);
}

static int on_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct parse_ctx *pc = payload;
	struct gate_doc *doc = NULL;
	struct gate_doc_error err;

	if (!len || gate_doc_parse(&doc, part, len, line, pc->lim, 0, &err) < 0)
		return 0;
	gate_tree_facts_add_document(pc->f, doc->root);
	gate_doc_free(doc);
	return 0;
}

void gate_tree_facts_new(struct gate_tree_facts **out)
{
	*out = gate_xcalloc(1, sizeof(**out));
}

int gate_tree_facts_defines_crd(const struct gate_tree_facts *f, const char *group,
	const char *kind)
{
	size_t i;

	for (i = 0; f && i < f->ncrds; i++)
		if (!strcmp(f->crds[i].group, group) && !strcmp(f->crds[i].kind, kind))
			return 1;
	return 0;
}

void gate_tree_facts_parse(struct gate_tree_facts **out, const char *buf, size_t len,
	const struct gate_doc_limits *lim)
{
	struct gate_doc_limits def = GATE_DOC_LIMITS_INIT;
	struct parse_ctx pc;

	gate_tree_facts_new(&pc.f);
	pc.lim = lim ? lim : &def;
	gate_doc_split(buf ? buf : "", buf ? len : 0, on_part, &pc);
	*out = pc.f;
}

void gate_tree_facts_free(struct gate_tree_facts *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nobjs; i++) {
		free(f->objs[i].group);
		free(f->objs[i].kind);
		free(f->objs[i].ns);
		free(f->objs[i].name);
	}
	for (i = 0; i < f->nrefs; i++) {
		struct fref *r = &f->refs[i];
		free(r->kind);
		free(r->ns);
		free(r->name);
		free(r->from_kind);
		free(r->from_name);
		free(r->from_api);
		free(r->pointer);
	}
	for (i = 0; i < f->npatches; i++)
		free(f->patches[i]);
	for (i = 0; i < f->ncrds; i++) {
		free(f->crds[i].group);
		free(f->crds[i].kind);
	}
	free(f->crds);
	free(f->objs);
	free(f->refs);
	free(f->patches);
	free(f);
}

/*
 * The text of facts, for caches: "gf1;" then counts and fields, numbers as
 * "<decimal>;" and strings as "<length>:<bytes>", ending with ".".
 */
static void put_num(struct gate_buf *b, unsigned long v)
{
	gate_buf_addf(b, "%lu;", v);
}

static void put_str(struct gate_buf *b, const char *s)
{
	size_t l = strlen(s);

	gate_buf_addf(b, "%zu:", l);
	gate_buf_add(b, s, l);
}

void gate_tree_facts_serialize(const struct gate_tree_facts *f, struct gate_buf *out)
{
	size_t i;

	gate_buf_adds(out, "gf1;");
	put_num(out, (unsigned long)f->kustomization);
	put_num(out, f->nobjs);
	put_num(out, f->nrefs);
	put_num(out, f->npatches);
	put_num(out, f->ncrds);
	for (i = 0; i < f->nobjs; i++) {
		const struct fobj *o = &f->objs[i];
		put_str(out, o->group);
		put_str(out, o->kind);
		put_str(out, o->ns);
		put_str(out, o->name);
		put_num(out, o->line);
		put_num(out, (unsigned long)o->generated);
	}
	for (i = 0; i < f->nrefs; i++) {
		const struct fref *r = &f->refs[i];
		put_str(out, r->kind);
		put_str(out, r->ns);
		put_str(out, r->name);
		put_str(out, r->from_kind);
		put_str(out, r->from_name);
		put_str(out, r->from_api);
		put_str(out, r->pointer);
		put_num(out, r->line);
		put_num(out, r->col);
		put_num(out, r->res_line);
	}
	for (i = 0; i < f->npatches; i++)
		put_str(out, f->patches[i]);
	for (i = 0; i < f->ncrds; i++) {
		put_str(out, f->crds[i].group);
		put_str(out, f->crds[i].kind);
	}
	gate_buf_addc(out, '.');
}

struct rd {
	const char *p, *end;
	int bad;
};

static unsigned long get_num(struct rd *r, unsigned long max)
{
	unsigned long v = 0;
	int digits = 0;

	const char *start = r->p;

	while (!r->bad && r->p < r->end && *r->p >= '0' && *r->p <= '9' && digits < 12) {
		v = v * 10 + (unsigned long)(*r->p++ - '0');
		digits++;
	}
	/* one way to write each number: no leading zero */
	if (r->bad || !digits || (digits > 1 && *start == '0') || r->p >= r->end || *r->p != ';' ||
	    v > max) {
		r->bad = 1;
		return 0;
	}
	r->p++;
	return v;
}

static char *get_str(struct rd *r)
{
	const char *start = r->p;
	size_t l = 0;
	int digits = 0;
	char *s;

	while (!r->bad && r->p < r->end && *r->p >= '0' && *r->p <= '9' && digits < 10) {
		l = l * 10 + (size_t)(*r->p++ - '0');
		digits++;
	}
	if (r->bad || !digits || (digits > 1 && *start == '0') || r->p >= r->end || *r->p != ':' ||
	    l > (size_t)(r->end - r->p - 1) || memchr(r->p + 1, '\0', l)) {
		r->bad = 1;
		return gate_xstrdup("");
	}
	s = gate_xstrndup(r->p + 1, l);
	r->p += 1 + l;
	return s;
}

int gate_tree_facts_deserialize(struct gate_tree_facts **out, const char *text, size_t len)
{
	struct gate_tree_facts *f;
	struct rd r;
	size_t i;

	*out = NULL;
	if (!text || len < 4 || memcmp(text, "gf1;", 4))
		return -1;
	r.p = text + 4;
	r.end = text + len;
	r.bad = 0;
	gate_tree_facts_new(&f);
	f->kustomization = (int)get_num(&r, 1);
	f->nobjs = f->aobjs = get_num(&r, MAX_FACTS);
	f->nrefs = f->arefs = get_num(&r, MAX_FACTS);
	f->npatches = f->apatches = get_num(&r, MAX_FACTS);
	f->ncrds = f->acrds = get_num(&r, MAX_FACTS);
	if (r.bad) {
		f->nobjs = f->nrefs = f->npatches = f->ncrds = 0;
		goto done;
	}
	/* zeroed, so that a text cut short leaves strings to free and no garbage */
	f->objs = gate_xcalloc(f->nobjs ? f->nobjs : 1, sizeof(*f->objs));
	f->refs = gate_xcalloc(f->nrefs ? f->nrefs : 1, sizeof(*f->refs));
	f->patches = gate_xcalloc(f->npatches ? f->npatches : 1, sizeof(*f->patches));
	f->crds = gate_xcalloc(f->ncrds ? f->ncrds : 1, sizeof(*f->crds));
	for (i = 0; i < f->nobjs; i++) {
		struct fobj *o = &f->objs[i];
		o->group = get_str(&r);
		o->kind = get_str(&r);
		o->ns = get_str(&r);
		o->name = get_str(&r);
		o->line = (uint32_t)get_num(&r, UINT32_MAX);
		o->generated = (int)get_num(&r, 1);
	}
	for (i = 0; i < f->nrefs; i++) {
		struct fref *x = &f->refs[i];
		x->kind = get_str(&r);
		x->ns = get_str(&r);
		x->name = get_str(&r);
		x->from_kind = get_str(&r);
		x->from_name = get_str(&r);
		x->from_api = get_str(&r);
		x->pointer = get_str(&r);
		x->line = (uint32_t)get_num(&r, UINT32_MAX);
		x->col = (uint32_t)get_num(&r, UINT32_MAX);
		x->res_line = (uint32_t)get_num(&r, UINT32_MAX);
	}
	for (i = 0; i < f->npatches; i++)
		f->patches[i] = get_str(&r);
	for (i = 0; i < f->ncrds; i++) {
		f->crds[i].group = get_str(&r);
		f->crds[i].kind = get_str(&r);
	}
	if (r.p >= r.end || *r.p != '.' || r.p + 1 != r.end)
		r.bad = 1;
done:
	if (r.bad) {
		gate_tree_facts_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

/* ---- one tree ---- */

struct tfile {
	char *path;
	char *dir;        /* folder, "" at the root */
	int changed;
	int kustomization;
	long unit;        /* index of the unit's folder among units, -1 not set */
	int needed;
	int is_patch;
	const struct gate_tree_facts *facts;
};

struct gate_tree_check {
	struct tfile *v;
	size_t n, alloc;
};

void gate_tree_check_new(struct gate_tree_check **out)
{
	*out = gate_xcalloc(1, sizeof(**out));
}

void gate_tree_check_free(struct gate_tree_check *tc)
{
	size_t i;

	if (!tc)
		return;
	for (i = 0; i < tc->n; i++) {
		free(tc->v[i].path);
		free(tc->v[i].dir);
	}
	free(tc->v);
	free(tc);
}

static int is_kustomization_name(const char *base)
{
	return !strcmp(base, "kustomization.yaml") || !strcmp(base, "kustomization.yml") ||
		!strcmp(base, "Kustomization");
}

size_t gate_tree_check_add(struct gate_tree_check *tc, const char *path, int changed)
{
	struct tfile *t;
	const char *slash = strrchr(path, '/');

	GATE_ALLOC_GROW(tc->v, tc->n + 1, tc->alloc);
	t = &tc->v[tc->n];
	memset(t, 0, sizeof(*t));
	t->path = gate_xstrdup(path);
	t->dir = slash ? gate_xstrndup(path, (size_t)(slash - path)) : gate_xstrdup("");
	t->changed = changed;
	t->kustomization = is_kustomization_name(slash ? slash + 1 : path);
	t->unit = -1;
	return tc->n++;
}

/* A small string set/map: sorted array + bsearch is enough at these sizes. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_tfile_path(const void *a, const void *b)
{
	return strcmp((*(const struct tfile *const *)a)->path, (*(const struct tfile *const *)b)->path);
}

/* FNV-1a */
static size_t str_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

/* Is dir (or an ancestor of it) in the sorted list kdirs?  Returns the nearest, or NULL. */
static const char *nearest_kdir(char **kdirs, size_t nk, const char *dir)
{
	char *d = gate_xstrdup(dir);
	const char *found = NULL;

	for (;;) {
		char **hit = nk ? bsearch(&d, kdirs, nk, sizeof(*kdirs), cmp_str) : NULL;
		char *slash;

		if (hit) {
			found = *hit;
			break;
		}
		if (!*d)
			break;
		slash = strrchr(d, '/');
		if (slash)
			*slash = '\0';
		else
			d[0] = '\0';
	}
	free(d);
	return found;
}

/* Join a kustomization folder and a relative path, resolving "." and "..". */
static char *join_path(const char *dir, const char *rel)
{
	struct gate_buf b = GATE_BUF_INIT;
	char *tmp = *dir ? gate_xasprintf("%s/%s", dir, rel) : gate_xstrdup(rel);
	char *save = NULL, *tok, *out;
	char **parts = NULL;
	size_t n = 0, alloc = 0, i;

	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (n)
				n--;
			continue;
		}
		GATE_ALLOC_GROW(parts, n + 1, alloc);
		parts[n++] = tok;
	}
	for (i = 0; i < n; i++) {
		if (i)
			gate_buf_addc(&b, '/');
		gate_buf_adds(&b, parts[i]);
	}
	out = b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
	free(parts);
	free(tmp);
	return out;
}

static int same_ns(const char *a, const char *b)
{
	return !*a || !*b || !strcmp(a, b);
}

struct seen {
	const struct fobj *o;
	size_t file;
};

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c;

	if ((c = strcmp(x->o->kind, y->o->kind)) || (c = strcmp(x->o->name, y->o->name)) ||
	    (c = strcmp(x->o->group, y->o->group)) || (c = strcmp(x->o->ns, y->o->ns)))
		return c;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->o->line < y->o->line ? -1 : x->o->line > y->o->line;
}

/* A core-group object some file of a unit defines. */
struct def {
	const struct fobj *o;
	long unit;
};

static int cmp_def3(long unit, const char *kind, const char *name, const struct def *d)
{
	int c;

	if (unit != d->unit)
		return unit < d->unit ? -1 : 1;
	if ((c = strcmp(kind, d->o->kind)))
		return c;
	return strcmp(name, d->o->name);
}

static int cmp_def(const void *a, const void *b)
{
	const struct def *y = b;
	const struct def *x = a;

	return cmp_def3(x->unit, x->o->kind, x->o->name, y);
}

/* Does unit define r (same kind and name, a compatible namespace)? */
static int defined(const struct def *defs, size_t n, long unit, const struct fref *r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_def3(unit, r->kind, r->name, &defs[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && !cmp_def3(unit, r->kind, r->name, &defs[lo]); lo++)
		if (same_ns(defs[lo].o->ns, r->ns))
			return 1;
	return 0;
}

static void obj_result(struct gate_results *out, const struct tfile *t, const struct fobj *o,
	const char *api, enum gate_severity sev, const char *rule, const char *pointer,
	uint32_t line, uint32_t col, const char *msg)
{
	struct gate_result *r = gate_results_add(out);

	r->filename = gate_xstrdup(t->path);
	r->line = o ? o->line : line;
	r->api_version = gate_xstrdup(api);
	r->kind = gate_xstrdup(o ? o->kind : NULL);
	r->name = gate_xstrdup(o ? o->name : NULL);
	r->namespace_ = o && *o->ns ? gate_xstrdup(o->ns) : NULL;
	r->status = sev == GATE_SEV_DENY ? GATE_STATUS_INVALID : GATE_STATUS_VALID;
	gate_result_add_problem(r, pointer, line, col, rule, sev, msg);
	if (sev == GATE_SEV_DENY)
		r->msg = gate_xstrdup(msg);
}

int gate_tree_check_run(struct gate_tree_check *tc, gate_tree_load_fn load, void *payload,
	struct gate_results *out)
{
	char **kdirs = NULL, **units = NULL;
	struct tfile **byname = NULL;
	size_t nk = 0, ak = 0, nunits = 0, aunits = 0, i, k, nprob = 0, nbyname = 0, abyname = 0;
	size_t *uslots = NULL, nuslots = 16;
	struct seen *seen = NULL;
	struct def *defs = NULL;
	size_t nseen = 0, aseen = 0, ndefs = 0, adefs = 0;
	int error = 0;

	/* units: kustomization folders, else each file's folder */
	while (nuslots < 2 * tc->n + 2)
		nuslots *= 2;
	for (i = 0; i < tc->n; i++)
		if (tc->v[i].kustomization) {
			GATE_ALLOC_GROW(kdirs, nk + 1, ak);
			kdirs[nk++] = tc->v[i].dir;
		}
	if (nk)
		qsort(kdirs, nk, sizeof(*kdirs), cmp_str);
	/* the same unit key, the same index: a hash of the keys keeps this linear */
	uslots = gate_xcalloc(nuslots, sizeof(*uslots));
	for (i = 0; i < tc->n; i++) {
		const char *u = nearest_kdir(kdirs, nk, tc->v[i].dir);
		char *key = gate_xasprintf("%c%s", u ? 'k' : 'd', u ? u : tc->v[i].dir);
		size_t s = str_hash(key) & (nuslots - 1);

		while (uslots[s] && strcmp(units[uslots[s] - 1], key))
			s = (s + 1) & (nuslots - 1);
		if (!uslots[s]) {
			GATE_ALLOC_GROW(units, nunits + 1, aunits);
			units[nunits++] = key;
			uslots[s] = nunits;
		} else {
			free(key);
		}
		tc->v[i].unit = (long)(uslots[s] - 1);
	}
	/* the files sharing a unit with a changed file */
	{
		char *changed_unit = gate_xcalloc(nunits ? nunits : 1, 1);
		for (i = 0; i < tc->n; i++)
			if (tc->v[i].changed)
				changed_unit[tc->v[i].unit] = 1;
		for (i = 0; i < tc->n; i++)
			tc->v[i].needed = changed_unit[tc->v[i].unit];
		free(changed_unit);
	}
	for (i = 0; i < tc->n; i++) {
		if (!tc->v[i].needed)
			continue;
		tc->v[i].facts = NULL;
		if ((error = load(payload, i, tc->v[i].path, &tc->v[i].facts)) < 0)
			goto done;
	}
	/* patch files named by kustomizations define nothing (needed files by path: a binary search) */
	for (i = 0; i < tc->n; i++)
		if (tc->v[i].needed) {
			GATE_ALLOC_GROW(byname, nbyname + 1, abyname);
			byname[nbyname++] = &tc->v[i];
		}
	if (nbyname)
		qsort(byname, nbyname, sizeof(*byname), cmp_tfile_path);
	for (i = 0; i < tc->n; i++) {
		const struct gate_tree_facts *f = tc->v[i].facts;
		for (k = 0; f && k < f->npatches; k++) {
			char *p = join_path(tc->v[i].dir, f->patches[k]);
			size_t lo = 0, hi = nbyname;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (strcmp(byname[mid]->path, p) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < nbyname && !strcmp(byname[lo]->path, p); lo++)
				byname[lo]->is_patch = 1;
			free(p);
		}
	}

	/* duplicates: sort every object of the needed files by identity and unit */
	for (i = 0; i < tc->n; i++) {
		const struct gate_tree_facts *f = tc->v[i].facts;
		if (!f || tc->v[i].is_patch)
			continue;
		for (k = 0; k < f->nobjs; k++) {
			if (f->objs[k].generated)
				continue;
			GATE_ALLOC_GROW(seen, nseen + 1, aseen);
			seen[nseen].o = &f->objs[k];
			seen[nseen].file = i;
			nseen++;
		}
	}
	if (nseen)
		qsort(seen, nseen, sizeof(*seen), cmp_seen);
	for (i = 0; i < nseen && nprob < MAX_PROBLEMS; ) {
		size_t e = i + 1, a, b;
		while (e < nseen && !strcmp(seen[e].o->kind, seen[i].o->kind) &&
		       !strcmp(seen[e].o->name, seen[i].o->name) &&
		       !strcmp(seen[e].o->group, seen[i].o->group) &&
		       !strcmp(seen[e].o->ns, seen[i].o->ns))
			e++;
		/* within [i, e): pairs in one unit; report each changed later one against the first */
		for (b = i; b < e && nprob < MAX_PROBLEMS; b++) {
			const struct tfile *tb = &tc->v[seen[b].file];
			for (a = i; a < b; a++) {
				const struct tfile *ta = &tc->v[seen[a].file];
				char *m;
				if (ta->unit != tb->unit)
					continue;
				if (!tb->changed && !ta->changed)
					break;
				/* report on a changed file, naming the other place */
				if (tb->changed)
					m = gate_xasprintf("%s \"%s\"%s%s%s is defined twice: also at %s:%u",
						seen[b].o->kind, seen[b].o->name, *seen[b].o->ns ? " in namespace \"" : "",
						seen[b].o->ns, *seen[b].o->ns ? "\"" : "", ta->path, seen[a].o->line);
				else
					m = gate_xasprintf("%s \"%s\"%s%s%s is defined twice: also at %s:%u",
						seen[a].o->kind, seen[a].o->name, *seen[a].o->ns ? " in namespace \"" : "",
						seen[a].o->ns, *seen[a].o->ns ? "\"" : "", tb->path, seen[b].o->line);
				if (tb->changed)
					obj_result(out, tb, seen[b].o, NULL, GATE_SEV_DENY,
						GATE_RULE_DUPLICATE_OBJECT, NULL, seen[b].o->line, 1, m);
				else
					obj_result(out, ta, seen[a].o, NULL, GATE_SEV_DENY,
						GATE_RULE_DUPLICATE_OBJECT, NULL, seen[a].o->line, 1, m);
				free(m);
				nprob++;
				break;
			}
		}
		i = e;
	}

	/* references of changed files to objects their unit does not define */
	for (i = 0; i < tc->n; i++) {
		const struct gate_tree_facts *f = tc->v[i].facts;
		if (!f)
			continue;
		for (k = 0; k < f->nobjs; k++) {
			if (f->objs[k].group[0])
				continue;
			GATE_ALLOC_GROW(defs, ndefs + 1, adefs);
			defs[ndefs].o = &f->objs[k];
			defs[ndefs].unit = tc->v[i].unit;
			ndefs++;
		}
	}
	if (ndefs)
		qsort(defs, ndefs, sizeof(*defs), cmp_def);
	for (i = 0; i < tc->n && nprob < MAX_PROBLEMS; i++) {
		const struct tfile *t = &tc->v[i];
		const struct gate_tree_facts *f = t->facts;
		if (!f || !t->changed || t->is_patch)
			continue;
		for (k = 0; k < f->nrefs && nprob < MAX_PROBLEMS; k++) {
			const struct fref *r = &f->refs[k];
			if (!defined(defs, ndefs, t->unit, r)) {
				struct fobj from;
				char *msg = gate_xasprintf("refers to %s \"%s\", which no manifest of %s defines",
					r->kind, r->name, t->dir[0] ? "this folder or kustomization" :
					"the top folder");
				memset(&from, 0, sizeof(from));
				from.kind = r->from_kind;
				from.name = r->from_name;
				from.ns = r->ns;
				from.line = r->res_line;
				obj_result(out, t, &from, r->from_api, GATE_SEV_WARN,
					GATE_RULE_MISSING_REFERENCE, r->pointer, r->line, r->col, msg);
				free(msg);
				nprob++;
			}
		}
	}
done:
	for (i = 0; i < nunits; i++)
		free(units[i]);
	free(units);
	free(uslots);
	free(byname);
	free(kdirs);
	free(seen);
	free(defs);
	return error;
}

/* ---- custom resource schemas from CRDs ---- */

struct crd_entry {
	char *group, *version, *kind;
	char *where; /* "CustomResourceDefinition <name> (<file>)" */
	struct gate_schema *schema;
};

struct crd_want {
	char *group, *kind;
};

struct gate_crd_set {
	int strict;
	struct crd_entry *v;
	size_t n, alloc;
	struct crd_want *wants; /* none: every CRD */
	size_t nwants, awants;
};

void gate_crd_set_new(struct gate_crd_set **out, int strict)
{
	*out = gate_xcalloc(1, sizeof(**out));
	(*out)->strict = strict;
}

void gate_crd_set_free(struct gate_crd_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->v[i].group);
		free(set->v[i].version);
		free(set->v[i].kind);
		free(set->v[i].where);
		gate_schema_free(set->v[i].schema);
	}
	for (i = 0; i < set->nwants; i++) {
		free(set->wants[i].group);
		free(set->wants[i].kind);
	}
	free(set->wants);
	free(set->v);
	free(set);
}

size_t gate_crd_set_count(const struct gate_crd_set *set)
{
	return set ? set->n : 0;
}

int gate_crd_maybe(const char *buf, size_t len)
{
	static const char needle[] = "CustomResourceDefinition";

	return buf && memmem(buf, len, needle, sizeof(needle) - 1) != NULL;
}

/*
 * Cheap tests for "may this text hold a scalar equal to s" that never miss
 * one, for names made of letters, digits, '.', '_' and '-' (API groups and
 * kinds; other names always may).  Such a scalar stands in the text as a
 * whole run of those characters (plain, single-quoted, block and JSON
 * scalars cannot hold it otherwise without a blank, a line break or a
 * quote, and what comes before or after a scalar is none of them), or is a
 * double-quoted scalar whose escapes (\x, \u, \U, escaped line breaks)
 * spell it.  A file's words are every such run and every double-quoted
 * scalar that decodes to one, kept as hashes: a collision only makes a
 * "may" that is not.
 */
#define WORD_MAX 512

struct gate_crd_words {
	uint64_t *slots;  /* hashes, 0 empty */
	size_t nslots, n;
};

static const unsigned char word_chars[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static uint64_t word_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h ? h : 1;
}

/* 1 when s is a name the words can answer for, else 0 (always "may"). */
static int word_like(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!word_chars[(unsigned char)*s])
			return 0;
	return n > 0 && n <= WORD_MAX;
}

static void words_add(struct gate_crd_words *w, uint64_t h)
{
	size_t i;

	if ((w->n + 1) * 2 > w->nslots) {
		uint64_t *old = w->slots;
		size_t on = w->nslots;
		w->nslots = on ? on * 2 : 1024;
		w->slots = gate_xcalloc(w->nslots, sizeof(*w->slots));
		w->n = 0;
		for (i = 0; i < on; i++)
			if (old[i])
				words_add(w, old[i]);
		free(old);
	}
	for (i = (size_t)h & (w->nslots - 1); w->slots[i]; i = (i + 1) & (w->nslots - 1))
		if (w->slots[i] == h)
			return;
	w->slots[i] = h;
	w->n++;
}

static int words_has(const struct gate_crd_words *w, const char *s)
{
	uint64_t h;
	size_t i;

	if (!word_like(s))
		return 1;
	if (!w->nslots)
		return 0;
	h = word_hash(s, strlen(s));
	for (i = (size_t)h & (w->nslots - 1); w->slots[i]; i = (i + 1) & (w->nslots - 1))
		if (w->slots[i] == h)
			return 1;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The value of the double-quoted scalar whose content starts at p, into
 * out, when it is one word; else 0.  Only \x, \u and \U escapes can give a
 * word character; an escaped line break and the blanks after it give none.
 */
static size_t dq_word(const char *p, const char *end, char *out)
{
	size_t n = 0;

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return n;
		if (c == '\\') {
			int digits, d;
			unsigned long cp = 0;
			if (++p >= end)
				return 0;
			if (*p == '\r' || *p == '\n') {
				while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
					p++;
				continue;
			}
			digits = *p == 'x' ? 2 : *p == 'u' ? 4 : *p == 'U' ? 8 : 0;
			if (!digits || end - p <= digits)
				return 0;
			for (d = 1; d <= digits; d++) {
				int v = hexval((unsigned char)p[d]);
				if (v < 0)
					return 0;
				cp = cp * 16 + (unsigned long)v;
			}
			p += digits + 1;
			if (cp > 0x7f || !word_chars[cp])
				return 0;
			c = (unsigned char)cp;
		} else if (word_chars[c]) {
			p++;
		} else {
			return 0;
		}
		if (n >= WORD_MAX)
			return 0;
		out[n++] = (char)c;
	}
	return 0;
}

void gate_crd_words_new(struct gate_crd_words **out, const char *buf, size_t len)
{
	struct gate_crd_words *w = gate_xcalloc(1, sizeof(*w));
	const char *p = buf, *end = buf + len;
	char word[WORD_MAX];

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (word_chars[c]) {
			const char *s = p;
			while (p < end && word_chars[(unsigned char)*p])
				p++;
			if ((size_t)(p - s) <= WORD_MAX)
				words_add(w, word_hash(s, (size_t)(p - s)));
			continue;
		}
		if (c == '"') {
			size_t n = dq_word(p + 1, end, word);
			if (n)
				words_add(w, word_hash(word, n));
		}
		p++;
	}
	*out = w;
}

void gate_crd_words_free(struct gate_crd_words *w)
{
	if (!w)
		return;
	free(w->slots);
	free(w);
}

int gate_crd_words_may_define(const struct gate_crd_words *w, const char *group, const char *kind)
{
	return words_has(w, group) && words_has(w, kind);
}

int gate_crd_may_define(const char *buf, size_t len, const char *group, const char *kind)
{
	struct gate_crd_words *w;
	int yes;

	if (!gate_crd_maybe(buf, len))
		return 0;
	gate_crd_words_new(&w, buf, len);
	yes = gate_crd_words_may_define(w, group, kind);
	gate_crd_words_free(w);
	return yes;
}

void gate_crd_set_want(struct gate_crd_set *set, const char *group, const char *kind)
{
	size_t i;

	for (i = 0; i < set->nwants; i++)
		if (!strcmp(set->wants[i].group, group) && !strcmp(set->wants[i].kind, kind))
			return;
	GATE_ALLOC_GROW(set->wants, set->nwants + 1, set->awants);
	set->wants[set->nwants].group = gate_xstrdup(group);
	set->wants[set->nwants].kind = gate_xstrdup(kind);
	set->nwants++;
}

static int wanted(const struct gate_crd_set *set, const char *group, const char *kind)
{
	size_t i;

	if (!set->nwants)
		return 1;
	for (i = 0; i < set->nwants; i++)
		if (!strcmp(set->wants[i].group, group) && !strcmp(set->wants[i].kind, kind))
			return 1;
	return 0;
}

/* May the document part define a wanted CRD (without parsing it)? */
static int part_may_define(const struct gate_crd_set *set, const char *part, size_t len)
{
	struct gate_crd_words *w;
	size_t i;
	int yes = 0;

	if (!set->nwants)
		return 1;
	gate_crd_words_new(&w, part, len);
	for (i = 0; i < set->nwants && !yes; i++)
		yes = gate_crd_words_may_define(w, set->wants[i].group, set->wants[i].kind);
	gate_crd_words_free(w);
	return yes;
}

/* kubeconform's -strict: close objects that declare properties, recursively. */
static void close_objects(json_t *s, int depth)
{
	const char *key;
	json_t *v, *props;
	size_t i;

	if (depth > 64 || !json_is_object(s))
		return;
	props = json_object_get(s, "properties");
	if (json_is_object(props) && !json_object_get(s, "additionalProperties") &&
	    !json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields")))
		json_object_set_new(s, "additionalProperties", json_false());
	json_object_foreach(props, key, v)
		close_objects(v, depth + 1);
	close_objects(json_object_get(s, "items"), depth + 1);
	if (json_is_object(json_object_get(s, "additionalProperties")))
		close_objects(json_object_get(s, "additionalProperties"), depth + 1);
	{
		static const char *const lists[] = { "allOf", "anyOf", "oneOf", NULL };
		size_t l;
		for (l = 0; lists[l]; l++) {
			json_t *a = json_object_get(s, lists[l]);
			json_array_foreach(a, i, v)
				close_objects(v, depth + 1);
		}
	}
}

static int add_schema(struct gate_crd_set *set, const char *where, const char *group,
	const char *version, const char *kind, const struct gate_node *schema_node,
	char *msg, size_t msgsize, int *failed)
{
	struct gate_schema *schema = NULL;
	struct crd_entry *e;
	json_t *root, *props;
	char cmsg[512];
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].group, group) && !strcmp(set->v[i].version, version) &&
		    !strcmp(set->v[i].kind, kind))
			return 0; /* the first definition wins */
	root = schema_node ? gate_node_to_jansson(schema_node) : json_object();
	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	props = json_object_get(root, "properties");
	if (set->strict) {
		close_objects(root, 0);
		if (json_is_object(props) && json_is_false(json_object_get(root, "additionalProperties"))) {
			/* every object carries these, whether the CRD says so or not */
			if (!json_object_get(props, "apiVersion"))
				json_object_set_new(props, "apiVersion", json_pack("{s:s}", "type", "string"));
			if (!json_object_get(props, "kind"))
				json_object_set_new(props, "kind", json_pack("{s:s}", "type", "string"));
			if (!json_object_get(props, "metadata"))
				json_object_set_new(props, "metadata", json_pack("{s:s}", "type", "object"));
		}
	}
	if (gate_schema_compile(&schema, root, NULL, 0, cmsg, sizeof(cmsg)) < 0) {
		if (!*failed)
			snprintf(msg, msgsize, "%s: the schema of %s/%s %s does not compile: %s",
				where, group, version, kind, cmsg);
		*failed = 1;
		json_decref(root);
		return 0;
	}
	json_decref(root);
	GATE_ALLOC_GROW(set->v, set->n + 1, set->alloc);
	e = &set->v[set->n++];
	e->group = gate_xstrdup(group);
	e->version = gate_xstrdup(version);
	e->kind = gate_xstrdup(kind);
	e->where = gate_xstrdup(where);
	e->schema = schema;
	return 0;
}

struct crd_ctx {
	struct gate_crd_set *set;
	const char *filename;
	const struct gate_doc_limits *lim;
	char *msg;
	size_t msgsize;
	int failed;
};

static void read_crd(struct crd_ctx *c, const struct gate_node *root)
{
	const struct gate_node *spec, *versions, *names;
	const char *av, *group, *kind, *name;
	char *where;
	size_t i;

	if (!root || root->type != GATE_NODE_OBJECT)
		return;
	av = obj_str(root, "apiVersion");
	if (!av || strncmp(av, "apiextensions.k8s.io/", 21) ||
	    !obj_str(root, "kind") || strcmp(obj_str(root, "kind"), "CustomResourceDefinition"))
		return;
	spec = obj_get(root, "spec");
	names = obj_get(spec, "names");
	group = obj_str(spec, "group");
	kind = obj_str(names, "kind");
	if (!group || !kind || !wanted(c->set, group, kind))
		return;
	name = obj_str(obj_get(root, "metadata"), "name");
	where = gate_xasprintf("CustomResourceDefinition %s (%s:%u)", name ? name : kind,
		c->filename, root->line);
	versions = obj_get(spec, "versions");
	for (i = 0; versions && versions->type == GATE_NODE_ARRAY && i < versions->len; i++) {
		const struct gate_node *v = &versions->u.items[i];
		const char *vn = obj_str(v, "name");
		const struct gate_node *sch = obj_get(obj_get(v, "schema"), "openAPIV3Schema");
		if (!vn)
			continue;
		if (!sch) /* v1beta1: one schema for all versions */
			sch = obj_get(obj_get(spec, "validation"), "openAPIV3Schema");
		add_schema(c->set, where, group, vn, kind, sch, c->msg, c->msgsize, &c->failed);
	}
	if (obj_str(spec, "version") && (!versions || versions->type != GATE_NODE_ARRAY))
		add_schema(c->set, where, group, obj_str(spec, "version"), kind,
			obj_get(obj_get(spec, "validation"), "openAPIV3Schema"), c->msg, c->msgsize, &c->failed);
	free(where);
}

static int crd_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct crd_ctx *c = payload;
	struct gate_doc *doc = NULL;
	struct gate_doc_error err;
	const struct gate_node *items;
	uint32_t i;

	if (!len || !gate_crd_maybe(part, len) || !part_may_define(c->set, part, len) ||
	    gate_doc_parse(&doc, part, len, line, c->lim, 0, &err) < 0)
		return 0;
	if ((items = gate_k8s_list_items(doc->root))) {
		for (i = 0; i < items->len; i++)
			read_crd(c, &items->u.items[i]);
	} else {
		read_crd(c, doc->root);
	}
	gate_doc_free(doc);
	return 0;
}

int gate_crd_set_add_buffer(struct gate_crd_set *set, const char *filename, const char *buf,
	size_t len, const struct gate_doc_limits *lim, char *msg, size_t msgsize)
{
	struct gate_doc_limits def = GATE_DOC_LIMITS_INIT;
	struct crd_ctx c;

	if (!gate_crd_maybe(buf, len))
		return 0;
	memset(&c, 0, sizeof(c));
	c.set = set;
	c.filename = filename ? filename : "";
	c.lim = lim ? lim : &def;
	c.msg = msg;
	c.msgsize = msgsize;
	gate_doc_split(buf, len, crd_part, &c);
	return c.failed ? 1 : 0;
}

static const struct crd_entry *find(const struct gate_crd_set *set, const char *group,
	const char *version, const char *kind)
{
	size_t i;

	for (i = 0; set && i < set->n; i++)
		if (!strcmp(set->v[i].group, group) && !strcmp(set->v[i].version, version) &&
		    !strcmp(set->v[i].kind, kind))
			return &set->v[i];
	return NULL;
}

const struct gate_schema *gate_crd_set_lookup(const struct gate_crd_set *set, const char *group,
	const char *version, const char *kind)
{
	const struct crd_entry *e = find(set, group, version, kind);

	return e ? e->schema : NULL;
}

static int crd_check(void *ctx, const char *filename, const struct gate_k8s_id *id,
	const struct gate_node *root, struct gate_result *res)
{
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	const struct crd_entry *e;
	struct gate_buf msg = GATE_BUF_INIT;
	size_t i;
	int rc;

	(void)filename;
	/* only where the store found nothing: "could not find schema", or skipped */
	if (!(res->status == GATE_STATUS_ERROR && res->msg &&
	      !strncmp(res->msg, "could not find schema for ", 26)) &&
	    !(res->status == GATE_STATUS_SKIPPED && !res->msg))
		return 0;
	if (!(e = find(ctx, id->group, id->version, id->kind)))
		return 0;
	rc = gate_schema_validate(e->schema, root, &errs, 100);
	if (rc < 0) {
		gate_schema_errors_release(&errs);
		return -1;
	}
	free(res->msg);
	res->msg = NULL;
	if (rc == 1) {
		res->status = GATE_STATUS_VALID;
	} else {
		res->status = GATE_STATUS_INVALID;
		gate_buf_adds(&msg, "problem validating schema. Check JSON formatting: ");
		for (i = 0; i < errs.n; i++) {
			const struct gate_schema_error *x = &errs.v[i];
			gate_result_add_problem(res, x->pointer ? x->pointer : "", x->line, x->col,
				"schema", GATE_SEV_DENY, x->message ? x->message : "does not validate");
			if (i)
				gate_buf_adds(&msg, " - ");
			gate_buf_addf(&msg, "jsonschema: '%s' does not validate with %s: %s",
				x->pointer ? x->pointer : "", e->where, x->message ? x->message : "does not validate");
		}
		res->msg = gate_buf_detach(&msg);
	}
	/* policy problems found before the schema was known keep their say */
	for (i = 0; i < res->nproblems; i++)
		if (res->problems[i].severity == GATE_SEV_DENY && !res->problems[i].suppressed &&
		    res->status == GATE_STATUS_VALID)
			res->status = GATE_STATUS_INVALID;
	gate_schema_errors_release(&errs);
	return 0;
}

void gate_crd_set_checker(struct gate_crd_set *set, struct gate_checker *out)
{
	out->check = crd_check;
	out->ctx = set;
}
