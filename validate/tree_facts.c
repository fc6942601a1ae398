/*
 * tree_facts: what one manifest file defines and refers to, for the tree
 * checks (include/gate/repo_checks.h), and its compact text for caches.
 */
#include "gate/repo_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/k8s.h"
#include "gate/unit.h"
#include "gate/util.h"
#include "repo_checks_int.h"

#define MAX_FACTS 100000  /* objects or references of one file */

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
 * The versions read_crd() takes a schema for, each followed by '\n': the
 * names of spec.versions[], or spec.version when versions is no list.  A
 * name holding a line break makes the list "\n" (no version can match it,
 * so the file is never taken as adding nothing).
 */
static char *crd_versions(const struct gate_node *spec)
{
	const struct gate_node *versions = obj_get(spec, "versions");
	struct gate_buf b = GATE_BUF_INIT;
	const char *vn;
	size_t i;
	int odd = 0;

	for (i = 0; versions && versions->type == GATE_NODE_ARRAY && i < versions->len; i++)
		if ((vn = obj_str(&versions->u.items[i], "name"))) {
			odd |= strchr(vn, '\n') != NULL;
			gate_buf_addf(&b, "%s\n", vn);
		}
	if ((vn = obj_str(spec, "version")) && (!versions || versions->type != GATE_NODE_ARRAY)) {
		odd |= strchr(vn, '\n') != NULL;
		gate_buf_addf(&b, "%s\n", vn);
	}
	if (odd) {
		gate_buf_release(&b);
		return gate_xstrdup("\n");
	}
	return b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
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
	c->versions = crd_versions(spec);
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

size_t gate_tree_facts_crd_count(const struct gate_tree_facts *f)
{
	return f ? f->ncrds : 0;
}

int gate_tree_facts_crd_adds(const struct gate_tree_facts *f, const char *group, const char *kind,
	int (*have)(void *payload, const char *version), void *payload)
{
	size_t i;

	for (i = 0; f && i < f->ncrds; i++) {
		const char *v = f->crds[i].versions, *nl;
		if (strcmp(f->crds[i].group, group) || strcmp(f->crds[i].kind, kind))
			continue;
		if (!strcmp(v, "\n"))
			return 1;
		for (; (nl = strchr(v, '\n')); v = nl + 1) {
			char *name = gate_xstrndup(v, (size_t)(nl - v));
			int had = have(payload, name);
			free(name);
			if (!had)
				return 1;
		}
	}
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
		free(f->crds[i].versions);
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
/* v in decimal then end (as "%lu" and end would print it, without the cost of a format) */
static void put_dec(struct gate_buf *b, unsigned long v, char end)
{
	char tmp[24];
	size_t n = sizeof(tmp);

	tmp[--n] = end;
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	gate_buf_add(b, tmp + n, sizeof(tmp) - n);
}

static void put_num(struct gate_buf *b, unsigned long v)
{
	put_dec(b, v, ';');
}

static void put_str(struct gate_buf *b, const char *s)
{
	size_t l = strlen(s);

	put_dec(b, l, ':');
	gate_buf_add(b, s, l);
}

void gate_tree_facts_serialize(const struct gate_tree_facts *f, struct gate_buf *out)
{
	size_t i;

	gate_buf_adds(out, "gf2;");
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
		put_str(out, f->crds[i].versions);
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
	if (!text || len < 4 || memcmp(text, "gf2;", 4))
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
		f->crds[i].versions = get_str(&r);
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
