/*
 * render_res.c: the public entry points of render, paths and file loading,
 * resource identities, the resource map and kustomize's legacy order.
 *
 * Failures inside a build unwind with longjmp to gate_render_build(): every
 * allocation of a build lives in its arena, so nothing leaks on the way.
 */
#define _GNU_SOURCE
#include "render_int.h"
#include "gate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rarena *rarena_new(void);
void rarena_free(struct rarena *a);

struct gate_render {
	struct rctx ctx;
	struct gate_render_options opts;
	struct rmap map;
};

/* ------------------------------------------------------------------ paths */

/* Clean a '/'-separated path lexically, like Go's path.Clean ("" -> "."). */
static char *clean_path(struct rctx *c, const char *p)
{
	size_t n = strlen(p), i = 0, nseg = 0, j;
	const char **segs = ra_alloc(c, (n / 2 + 2) * sizeof(*segs));
	size_t *lens = ra_alloc(c, (n / 2 + 2) * sizeof(*lens));
	int abs = p[0] == '/';
	struct gate_buf b = GATE_BUF_INIT;
	char *out;

	while (i < n) {
		size_t s = i;

		while (i < n && p[i] != '/')
			i++;
		if (i - s == 0 || (i - s == 1 && p[s] == '.')) {
			/* skip */
		} else if (i - s == 2 && p[s] == '.' && p[s + 1] == '.') {
			if (nseg && !(lens[nseg - 1] == 2 && !memcmp(segs[nseg - 1], "..", 2)))
				nseg--;
			else if (!abs) {
				segs[nseg] = p + s;
				lens[nseg++] = 2;
			}
		} else {
			segs[nseg] = p + s;
			lens[nseg++] = i - s;
		}
		i++;
	}
	if (abs)
		gate_buf_addc(&b, '/');
	for (j = 0; j < nseg; j++) {
		if (j)
			gate_buf_addc(&b, '/');
		gate_buf_add(&b, segs[j], lens[j]);
	}
	if (!b.len)
		gate_buf_addc(&b, '.');
	out = ra_strndup(c, b.ptr, b.len);
	gate_buf_release(&b);
	return out;
}

char *rpath_join(struct rctx *c, const char *dir, const char *rel)
{
	if (rel[0] == '/' || !dir[0] || !strcmp(dir, "."))
		return clean_path(c, rel);
	return clean_path(c, ra_printf(c, "%s/%s", dir, rel));
}

char *rpath_dir(struct rctx *c, const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return ra_strdup(c, ".");
	if (s == path)
		return ra_strdup(c, "/");
	return ra_strndup(c, path, (size_t)(s - path));
}

const char *rpath_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int rload(struct rctx *c, const char *path, char **buf, size_t *len)
{
	char *b = NULL;
	size_t l = 0;
	int rc;

	if (++c->files > c->opts->max_files)
		rfail(c, NULL, "the build reads more than %zu files", c->opts->max_files);
	rc = c->ldr->read(c->ldr->payload, path, &b, &l);
	if (rc == GATE_RENDER_ENOENT || rc == GATE_RENDER_EISDIR)
		return rc;
	if (rc < 0) {
		c->fail_code = rc;
		rfail_at(c, path, 0, 0, "cannot read '%s'", path);
	}
	c->bytes += l;
	if (c->bytes > c->opts->max_bytes) {
		free(b);
		rfail_at(c, path, 0, 0, "the build reads more than %zu bytes", c->opts->max_bytes);
	}
	*buf = ra_strndup(c, b ? b : "", l);
	*len = l;
	free(b);
	return 0;
}

/* ------------------------------------------------------------------ identity */

const char *rres_kind(const struct rres *r)
{
	const char *k = rn_get_str(r->root, "kind");

	return k ? k : "";
}

const char *rres_apiversion(const struct rres *r)
{
	const char *v = rn_get_str(r->root, "apiVersion");

	return v ? v : "";
}

const char *rres_name(const struct rres *r)
{
	const char *n = rn_path_str(r->root, "metadata/name");

	return n ? n : "";
}

const char *rres_ns(const struct rres *r)
{
	const char *n = rn_path_str(r->root, "metadata/namespace");

	return n ? n : "";
}

void rres_group_version(const struct rres *r, char *group, size_t gs, char *version, size_t vs)
{
	const char *av = rres_apiversion(r), *slash = strchr(av, '/');

	if (slash) {
		snprintf(group, gs, "%.*s", (int)(slash - av), av);
		snprintf(version, vs, "%s", slash + 1);
	} else {
		snprintf(group, gs, "%s", "");
		snprintf(version, vs, "%s", av);
	}
}

void rres_set_name(struct rctx *c, struct rres *r, const char *name, const struct gate_rnode *origin)
{
	struct gate_rnode *meta = rn_lookup_create(c, r->root, "metadata", GATE_RNODE_MAP, origin);
	const char **v;

	rn_set(c, meta, "name", rn_str(c, name, origin));
	v = ra_alloc(c, (r->nnames + 1) * sizeof(*v));
	memcpy(v, r->names, r->nnames * sizeof(*v));
	v[r->nnames++] = ra_strdup(c, name);
	r->names = v;
}

struct rres *rres_new(struct rctx *c, struct gate_rnode *root)
{
	struct rres *r = ra_alloc(c, sizeof(*r));

	r->root = root;
	r->orig_name = ra_strdup(c, rres_name(r));
	r->orig_ns = ra_strdup(c, rres_ns(r));
	r->names = ra_alloc(c, sizeof(*r->names));
	r->names[0] = r->orig_name;
	r->nnames = 1;
	return r;
}

int rkind_cluster_scoped(const char *kind)
{
	static const char *const kinds[] = {
		"APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding",
		"ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "FlowSchema",
		"IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node",
		"PersistentVolume", "PodSecurityPolicy", "PriorityClass", "PriorityLevelConfiguration",
		"RuntimeClass", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "StorageClass",
		"SubjectAccessReview", "TokenReview", "ValidatingWebhookConfiguration",
		"VolumeAttachment", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
		"StorageVersion", "SelfSubjectReview", "ClusterTrustBundle", "VolumeAttributesClass",
		"DeviceClass", "IPAddress", "ServiceCIDR", NULL };
	int i;

	for (i = 0; kinds[i]; i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

static const char *effective_ns(const char *kind, const char *ns)
{
	if (rkind_cluster_scoped(kind))
		return "_non_namespaceable_";
	return ns[0] ? ns : "default";
}

static int same_gvk(const struct rres *a, const struct rres *b)
{
	return !strcmp(rres_kind(a), rres_kind(b)) && !strcmp(rres_apiversion(a), rres_apiversion(b));
}

int rres_same_id(const struct rres *a, const struct rres *b)
{
	return same_gvk(a, b) && !strcmp(rres_name(a), rres_name(b)) &&
		!strcmp(effective_ns(rres_kind(a), rres_ns(a)), effective_ns(rres_kind(b), rres_ns(b)));
}

/* does any id r had (current or earlier name) equal the patch's id? */
int rres_any_id_matches(const struct rres *r, const struct rres *patch)
{
	const char *pn = rres_name(patch);
	const char *pns = effective_ns(rres_kind(patch), rres_ns(patch));
	size_t i;

	if (!same_gvk(r, patch))
		return 0;
	if (!strcmp(rres_name(r), pn) && !strcmp(effective_ns(rres_kind(r), rres_ns(r)), pns))
		return 1;
	for (i = 0; i < r->nnames; i++)
		if (!strcmp(r->names[i], pn) &&
			(!strcmp(effective_ns(rres_kind(r), r->orig_ns), pns) ||
			 !strcmp(effective_ns(rres_kind(r), rres_ns(r)), pns)))
			return 1;
	return 0;
}

static const char *id_string(struct rctx *c, const struct rres *r)
{
	char g[256], v[256];

	rres_group_version(r, g, sizeof(g), v, sizeof(v));
	return ra_printf(c, "%s%s%s.%s %s/%s", g, g[0] ? "/" : "", v, rres_kind(r),
		rres_ns(r)[0] ? rres_ns(r) : "[noNs]", rres_name(r));
}

/* rres_same_id(m->v[i], r) for each i, with r's id read once */
void rmap_append(struct rctx *c, struct rmap *m, struct rres *r, const struct gate_rnode *where)
{
	const char *kind = rres_kind(r), *av = rres_apiversion(r), *name = rres_name(r), *ns = NULL;
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct rres *o = m->v[i];

		if (strcmp(rres_kind(o), kind) || strcmp(rres_apiversion(o), av) ||
			strcmp(rres_name(o), name))
			continue;
		if (!ns)
			ns = effective_ns(kind, rres_ns(r));
		if (!strcmp(effective_ns(kind, rres_ns(o)), ns))
			rfail(c, where ? where : r->root,
				"may not add resource with an already registered id: %s", id_string(c, r));
	}
	rmap_push(c, m, r);
}

void rmap_push(struct rctx *c, struct rmap *m, struct rres *r)
{
	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 16;
		struct rres **v = ra_alloc(c, na * sizeof(*v));

		if (m->n)
			memcpy(v, m->v, m->n * sizeof(*v));
		m->v = v;
		m->alloc = na;
	}
	m->v[m->n++] = r;
}

/* ------------------------------------------------------------------ order */

static int kind_rank(const char *kind)
{
	static const char *const first[] = { "Namespace", "ResourceQuota", "StorageClass",
		"CustomResourceDefinition", "ServiceAccount", "PodSecurityPolicy", "Role",
		"ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret",
		"Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume",
		"PersistentVolumeClaim", "Deployment", "StatefulSet", "CronJob",
		"PodDisruptionBudget", NULL };
	static const char *const last[] = { "MutatingWebhookConfiguration",
		"ValidatingWebhookConfiguration", NULL };
	int i;

	for (i = 0; first[i]; i++)
		if (!strcmp(kind, first[i]))
			return i - 22;
	for (i = 0; last[i]; i++)
		if (!strcmp(kind, last[i]))
			return i + 1;
	return 0;
}

static int seq_rank(const struct gate_rnode *list, const char *kind, int first)
{
	uint32_t i;

	for (i = 0; list && list->type == GATE_RNODE_SEQ && i < list->len; i++) {
		const char *s = rn_scalar(list->u.items[i]);

		if (s && !strcmp(s, kind))
			return first ? (int)i - (int)list->len : (int)i + 1;
	}
	return 0;
}

struct sortkey {
	struct rres *r;
	int rank;
	char *gvk;  /* group_version_kind with ~G ~V ~K */
	char *id;   /* kind.version.group|ns|name */
	int ns_kind, empty_group;
};

static int sortkey_cmp(const void *x, const void *y)
{
	const struct sortkey *a = x, *b = y;
	int d;

	if (strcmp(a->gvk, b->gvk)) {
		if (a->rank != b->rank)
			return a->rank < b->rank ? -1 : 1;
		d = strcmp(a->gvk, b->gvk);
		if (a->ns_kind && b->ns_kind && (a->empty_group || b->empty_group))
			return -d;
		return d;
	}
	return strcmp(a->id, b->id);
}

void rsort_legacy(struct rctx *c, struct rmap *m)
{
	struct sortkey *k = gate_xcalloc(m->n ? m->n : 1, sizeof(*k));
	size_t i;

	for (i = 0; i < m->n; i++) {
		char g[256], v[256];
		const char *kind = rres_kind(m->v[i]), *ns = rres_ns(m->v[i]), *nm = rres_name(m->v[i]);

		rres_group_version(m->v[i], g, sizeof(g), v, sizeof(v));
		k[i].r = m->v[i];
		if (c->sort_first || c->sort_last)
			k[i].rank = seq_rank(c->sort_first, kind, 1) + seq_rank(c->sort_last, kind, 0);
		else
			k[i].rank = kind_rank(kind);
		k[i].gvk = ra_printf(c, "%s_%s_%s", g[0] ? g : "~G", v[0] ? v : "~V", kind[0] ? kind : "~K");
		k[i].id = ra_printf(c, "%s.%s.%s|%s|%s", kind[0] ? kind : "[noKind]", v[0] ? v : "[noVer]",
			g[0] ? g : "[noGrp]", ns[0] ? ns : "~X", nm[0] ? nm : "~N");
		k[i].ns_kind = !strcmp(kind, "Namespace");
		k[i].empty_group = !g[0];
	}
	qsort(k, m->n, sizeof(*k), sortkey_cmp);
	for (i = 0; i < m->n; i++)
		m->v[i] = k[i].r;
	free(k);
}

/* ------------------------------------------------------------------ API */

static void strip_internal(struct rctx *c, struct rres *r)
{
	struct gate_rnode *meta = rn_get(r->root, "metadata");
	struct gate_rnode *ann = rn_get(meta, "annotations");
	uint32_t i;

	(void)c;
	if (!ann || ann->type != GATE_RNODE_MAP)
		return;
	for (i = 0; i < ann->len;) {
		const char *k = ann->u.members[i].key;

		if (!strncmp(k, "internal.config.kubernetes.io/", 30) ||
			!strcmp(k, "config.kubernetes.io/index") ||
			!strcmp(k, "kustomize.config.k8s.io/id") ||
			!strcmp(k, "config.k8s.io/id") ||
			!strncmp(k, "kustomize.config.k8s.io/needs-hash", 34) ||
			!strcmp(k, "kustomize.config.k8s.io/behavior"))
			rn_del(ann, k);
		else
			i++;
	}
	if (!ann->len)
		rn_del(meta, "annotations");
}

int gate_render_build(struct gate_render **out, const char *dir,
	const struct gate_render_loader *ldr, const struct gate_render_options *opts,
	struct gate_render_error *err)
{
	struct gate_render *r = gate_xcalloc(1, sizeof(*r));
	struct gate_render_options defaults = GATE_RENDER_OPTIONS_INIT;
	struct rctx *c = &r->ctx;
	size_t i;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	r->opts = opts ? *opts : defaults;
	c->ldr = ldr;
	c->opts = &r->opts;
	c->err = err;
	c->arena = rarena_new();
	c->sort_mode = -1;
	if (setjmp(c->fail)) {
		int code = c->fail_code ? c->fail_code : -1;

		rarena_free(c->arena);
		free(r);
		return code;
	}
	rtarget_accumulate(c, clean_path(c, dir && dir[0] ? dir : "."), &r->map, 0, NULL);
	rgen_hash_names(c, &r->map);
	rx_name_references(c, &r->map);
	rvars_resolve(c, &r->map);
	for (i = 0; i < r->map.n; i++)
		strip_internal(c, r->map.v[i]);
	if (c->sort_mode == 0 || (c->sort_mode < 0 && r->opts.order == GATE_RENDER_ORDER_LEGACY))
		rsort_legacy(c, &r->map);
	rmeta_finish(c, &r->map);
	*out = r;
	return 0;
}

size_t gate_render_count(const struct gate_render *r)
{
	return r ? r->map.n : 0;
}

const struct gate_rnode *gate_render_object(const struct gate_render *r, size_t i)
{
	return r && i < r->map.n ? r->map.v[i]->root : NULL;
}

size_t gate_render_warning_count(const struct gate_render *r)
{
	return r ? r->ctx.nwarns : 0;
}

const struct gate_render_error *gate_render_warning(const struct gate_render *r, size_t i)
{
	return r && i < r->ctx.nwarns ? &r->ctx.warns[i] : NULL;
}

void gate_render_emit(const struct gate_render *r, struct gate_buf *out)
{
	size_t i;

	for (i = 0; r && i < r->map.n; i++) {
		if (i)
			gate_buf_adds(out, "---\n");
		gate_render_emit_node(r->map.v[i]->root, out);
	}
}

void gate_render_free(struct gate_render *r)
{
	if (!r)
		return;
	rarena_free(r->ctx.arena);
	free(r);
}
