/*
 * render_xform.c: kustomize's built-in transformers on a resource map:
 * namespace, namePrefix/nameSuffix, labels (metadata, selectors, templates),
 * annotations, images, replicas, the name-reference fix-up after names
 * changed, and `transformers:` files naming built-in transformer configs.
 *
 * Field specs are our own compact tables of kustomize's defaults: one
 * "kind|group|version|path|create" string per entry, paths '/'-separated,
 * lists traversed implicitly.
 */
#include "render_int.h"
#include "gate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ field specs */

int fspec_matches(const struct fspec *f, const struct rres *r)
{
	char g[256], v[256];

	if (f->kind && f->kind[0] && strcmp(f->kind, rres_kind(r)))
		return 0;
	if (!(f->group && f->group[0]) && !(f->version && f->version[0]))
		return 1; /* no need for the apiVersion's parts */
	rres_group_version(r, g, sizeof(g), v, sizeof(v));
	if (f->group && f->group[0] && strcmp(f->group, g))
		return 0;
	if (f->version && f->version[0] && strcmp(f->version, v))
		return 0;
	return 1;
}

void fs_walk(struct rctx *c, struct gate_rnode *n, const char *path, int create,
	const struct gate_rnode *origin, fs_fn fn, void *payload)
{
	char seg[256];
	const char *slash = strchr(path, '/');
	size_t l = slash ? (size_t)(slash - path) : strlen(path);
	struct gate_rnode *next;
	uint32_t i;

	if (!n)
		return;
	if (n->type == GATE_RNODE_SEQ) {
		for (i = 0; i < n->len; i++)
			fs_walk(c, n->u.items[i], path, create, origin, fn, payload);
		return;
	}
	if (n->type != GATE_RNODE_MAP || l >= sizeof(seg))
		return;
	memcpy(seg, path, l);
	seg[l] = 0;
	if (l > 2 && !strcmp(seg + l - 2, "[]"))
		seg[l - 2] = 0;
	if (!slash) {
		fn(c, n, seg, payload);
		return;
	}
	next = rn_get(n, seg);
	if (rn_is_null(next)) {
		if (!create)
			return;
		next = rn_new(c, GATE_RNODE_MAP, origin);
		rn_set(c, n, seg, next);
	}
	fs_walk(c, next, slash + 1, create, origin, fn, payload);
}

static void fs_apply(struct rctx *c, const struct fspec *specs, struct rres *r,
	const struct gate_rnode *origin, fs_fn fn, void *payload)
{
	size_t i;

	for (i = 0; specs[i].path; i++)
		if (fspec_matches(&specs[i], r))
			fs_walk(c, r->root, specs[i].path, specs[i].create, origin, fn, payload);
}

/* the specs of a configurations: list, applied like fs_apply */
static void fs_apply_list(struct rctx *c, const struct fspecs *l, struct rres *r,
	const struct gate_rnode *origin, fs_fn fn, void *payload)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (fspec_matches(&l->v[i], r))
			fs_walk(c, r->root, l->v[i].path, l->v[i].create, origin, fn, payload);
}

/* ------------------------------------------------------------------ namespace */

static void set_ns(struct rctx *c, struct gate_rnode *parent, const char *key, void *payload)
{
	const struct gate_rnode *ns = payload;
	struct gate_rnode *cur = rn_get(parent, key);

	if (cur && cur->type == GATE_RNODE_MAP)
		return;
	rn_set(c, parent, key, rn_str(c, rn_scalar(ns), ns));
}

void rx_namespace(struct rctx *c, const struct gate_rnode *nsnode, struct rmap *m)
{
	static const struct fspec extra[] = {
		{ "APIService", "apiregistration.k8s.io", NULL, "spec/service/namespace", 1, NULL },
		{ "CustomResourceDefinition", "apiextensions.k8s.io", NULL,
			"spec/conversion/webhook/clientConfig/service/namespace", 0, NULL },
		{ NULL, NULL, NULL, NULL, 0, NULL } };
	const char *ns = rn_scalar(nsnode);
	size_t i;
	uint32_t j;

	for (i = 0; i < m->n; i++) {
		struct rres *r = m->v[i];
		const char *kind = rres_kind(r);

		if (!rkind_cluster_scoped(kind)) {
			struct gate_rnode *meta = rn_lookup_create(c, r->root, "metadata", GATE_RNODE_MAP, nsnode);

			rn_set(c, meta, "namespace", rn_str(c, ns, nsnode));
		}
		if (!strcmp(kind, "Namespace") && !strcmp(rres_apiversion(r), "v1")) {
			/* kustomize renames a v1 Namespace object to the namespace */
			rres_set_name(c, r, ns, nsnode);
		}
		fs_apply(c, extra, r, nsnode, set_ns, (void *)nsnode);
		fs_apply_list(c, &m->cfg.namespace, r, nsnode, set_ns, (void *)nsnode);
		if (!strcmp(kind, "RoleBinding") || !strcmp(kind, "ClusterRoleBinding")) {
			struct gate_rnode *subjects = rn_get(r->root, "subjects");

			for (j = 0; subjects && subjects->type == GATE_RNODE_SEQ && j < subjects->len; j++) {
				struct gate_rnode *s = subjects->u.items[j];
				const char *name = rn_get_str(s, "name");

				if (name && !strcmp(name, "default"))
					rn_set(c, s, "namespace", rn_str(c, ns, nsnode));
			}
		}
	}
}

/* ------------------------------------------------------------------ prefix / suffix */

struct affix {
	const char *prefix, *suffix, *path;
	const struct gate_rnode *origin;
	const struct rres *r;
};

static void affix_value(struct rctx *c, struct gate_rnode *parent, const char *key, void *payload)
{
	const struct affix *a = payload;
	struct gate_rnode *v = rn_get(parent, key);
	char g[256], ver[256];

	if (rn_is_null(v))
		return;
	if (v->type != GATE_RNODE_SEQ && v->type != GATE_RNODE_MAP) {
		rn_set(c, parent, key, rn_str(c, ra_printf(c, "%s%s%s", a->prefix, rn_scalar(v),
			a->suffix), a->origin));
		return;
	}
	rres_group_version(a->r, g, sizeof(g), ver, sizeof(ver));
	rfail(c, v, "considering field '%s' of object %s.%s.%s/%s.%s: wrong node kind: expected "
		"ScalarNode but got %s", a->path, rres_kind(a->r), ver[0] ? ver : "[noVer]",
		g[0] ? g : "[noGrp]", rres_name(a->r), rres_ns(a->r)[0] ? rres_ns(a->r) : "[noNs]",
		v->type == GATE_RNODE_SEQ ? "SequenceNode" : "MappingNode");
}

/* one of kustomize's PrefixTransformer and SuffixTransformer */
static void affix_all(struct rctx *c, const char *prefix, const char *suffix,
	const struct gate_rnode *origin, const struct fspecs *specs, struct rmap *m)
{
	static const struct fspec name = { NULL, NULL, NULL, "metadata/name", 0, NULL };
	struct affix a = { prefix, suffix, NULL, origin, NULL };
	size_t i, j, n = specs && specs->n ? specs->n : 1;

	for (i = 0; i < m->n; i++) {
		struct rres *r = m->v[i];
		const char *kind = rres_kind(r);

		/* kustomize leaves these names alone */
		if (!strcmp(kind, "CustomResourceDefinition") || !strcmp(kind, "Namespace") ||
			!strcmp(kind, "APIService"))
			continue;
		for (j = 0; j < n; j++) {
			const struct fspec *f = specs && specs->n ? &specs->v[j] : &name;

			if (!f->path || !fspec_matches(f, r))
				continue;
			if (!strcmp(f->path, "metadata/name"))
				rres_set_name(c, r, ra_printf(c, "%s%s%s", prefix, rres_name(r), suffix), origin);
			else {
				a.path = f->path;
				a.r = r;
				fs_walk(c, r->root, f->path, f->create, origin, affix_value, &a);
			}
		}
	}
}

/* metadata/name of every kind, then the specs of `configurations:` */
static const struct fspecs *with_default_name(struct rctx *c, const struct fspecs *cfg,
	struct fspecs *out)
{
	static const struct fspec name = { NULL, NULL, NULL, "metadata/name", 0, NULL };
	size_t i;

	memset(out, 0, sizeof(*out));
	fspecs_push(c, out, &name);
	for (i = 0; cfg && i < cfg->n; i++)
		fspecs_push(c, out, &cfg->v[i]); /* skips a second plain metadata/name */
	return out;
}

void rx_prefix_suffix(struct rctx *c, const struct gate_rnode *pre, const struct gate_rnode *suf,
	const struct fspecs *prefix_specs, const struct fspecs *suffix_specs, struct rmap *m)
{
	const char *p = rn_scalar(pre), *s = rn_scalar(suf);
	struct fspecs ps, ss;

	if (p && p[0])
		affix_all(c, p, "", pre, with_default_name(c, prefix_specs, &ps), m);
	if (s && s[0])
		affix_all(c, "", s, suf, with_default_name(c, suffix_specs, &ss), m);
}

/* ------------------------------------------------------------------ labels, annotations */

static const struct fspec meta_labels[] = {
	{ NULL, NULL, NULL, "metadata/labels", 1, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL } };

static const struct fspec template_labels[] = {
	{ "ReplicationController", NULL, "v1", "spec/template/metadata/labels", 1, NULL },
	{ "Deployment", NULL, NULL, "spec/template/metadata/labels", 1, NULL },
	{ "ReplicaSet", NULL, NULL, "spec/template/metadata/labels", 1, NULL },
	{ "DaemonSet", NULL, NULL, "spec/template/metadata/labels", 1, NULL },
	{ "StatefulSet", "apps", NULL, "spec/template/metadata/labels", 1, NULL },
	{ "Job", "batch", NULL, "spec/template/metadata/labels", 1, NULL },
	{ "CronJob", "batch", NULL, "spec/jobTemplate/metadata/labels", 1, NULL },
	{ "CronJob", "batch", NULL, "spec/jobTemplate/spec/template/metadata/labels", 1, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL } };

#define AFF "spec/template/spec/affinity/"
static const struct fspec selector_labels[] = {
	{ "Service", NULL, "v1", "spec/selector", 1, NULL },
	{ "ReplicationController", NULL, "v1", "spec/selector", 1, NULL },
	{ "Deployment", NULL, NULL, "spec/selector/matchLabels", 1, NULL },
	{ "Deployment", "apps", NULL, AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", 0, NULL },
	{ "Deployment", "apps", NULL, AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", 0, NULL },
	{ "Deployment", "apps", NULL, AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", 0, NULL },
	{ "Deployment", "apps", NULL, AFF "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", 0, NULL },
	{ "Deployment", "apps", NULL, "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", 0, NULL },
	{ "ReplicaSet", NULL, NULL, "spec/selector/matchLabels", 1, NULL },
	{ "DaemonSet", NULL, NULL, "spec/selector/matchLabels", 1, NULL },
	{ "StatefulSet", "apps", NULL, "spec/selector/matchLabels", 1, NULL },
	{ "StatefulSet", "apps", NULL, AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", 0, NULL },
	{ "StatefulSet", "apps", NULL, AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", 0, NULL },
	{ "StatefulSet", "apps", NULL, AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels", 0, NULL },
	{ "StatefulSet", "apps", NULL, AFF "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels", 0, NULL },
	{ "StatefulSet", "apps", NULL, "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", 0, NULL },
	{ "StatefulSet", "apps", NULL, "spec/volumeClaimTemplates[]/metadata/labels", 1, NULL },
	{ "Job", "batch", NULL, "spec/selector/matchLabels", 0, NULL },
	{ "CronJob", "batch", NULL, "spec/jobTemplate/spec/selector/matchLabels", 0, NULL },
	{ "PodDisruptionBudget", "policy", NULL, "spec/selector/matchLabels", 0, NULL },
	{ "NetworkPolicy", "networking.k8s.io", NULL, "spec/podSelector/matchLabels", 0, NULL },
	{ "NetworkPolicy", "networking.k8s.io", NULL, "spec/ingress/from/podSelector/matchLabels", 0, NULL },
	{ "NetworkPolicy", "networking.k8s.io", NULL, "spec/egress/to/podSelector/matchLabels", 0, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL } };

static const struct fspec annotation_specs[] = {
	{ NULL, NULL, NULL, "metadata/annotations", 1, NULL },
	{ "ReplicationController", NULL, "v1", "spec/template/metadata/annotations", 1, NULL },
	{ "Deployment", NULL, NULL, "spec/template/metadata/annotations", 1, NULL },
	{ "ReplicaSet", NULL, NULL, "spec/template/metadata/annotations", 1, NULL },
	{ "DaemonSet", NULL, NULL, "spec/template/metadata/annotations", 1, NULL },
	{ "StatefulSet", NULL, NULL, "spec/template/metadata/annotations", 1, NULL },
	{ "Job", "batch", NULL, "spec/template/metadata/annotations", 1, NULL },
	{ "CronJob", "batch", NULL, "spec/jobTemplate/metadata/annotations", 1, NULL },
	{ "CronJob", "batch", NULL, "spec/jobTemplate/spec/template/metadata/annotations", 1, NULL },
	{ NULL, NULL, NULL, NULL, 0, NULL } };

static void set_pairs(struct rctx *c, struct gate_rnode *parent, const char *key, void *payload)
{
	const struct gate_rnode *pairs = payload;
	struct gate_rnode *map = rn_get(parent, key);
	uint32_t i;

	if (rn_is_null(map)) {
		map = rn_new(c, GATE_RNODE_MAP, pairs);
		rn_set(c, parent, key, map);
	}
	if (map->type != GATE_RNODE_MAP)
		return;
	for (i = 0; i < pairs->len; i++) {
		const struct gate_rnode *v = pairs->u.members[i].value;
		const char *s = rn_scalar(v);
		struct gate_rnode *sv = rn_str(c, s ? s : "", v);

		rn_set(c, map, pairs->u.members[i].key, sv);
	}
}

void rx_labels(struct rctx *c, const struct gate_rnode *pairs, int selectors, int templates,
	const struct fspecs *fields, struct rmap *m)
{
	size_t i;

	if (rn_is_null(pairs) || pairs->type != GATE_RNODE_MAP || !pairs->len)
		return;
	for (i = 0; i < m->n; i++) {
		fs_apply(c, meta_labels, m->v[i], pairs, set_pairs, (void *)pairs);
		if (templates) {
			fs_apply(c, template_labels, m->v[i], pairs, set_pairs, (void *)pairs);
			fs_apply_list(c, &m->cfg.template_labels, m->v[i], pairs, set_pairs, (void *)pairs);
		}
		if (selectors) {
			fs_apply(c, selector_labels, m->v[i], pairs, set_pairs, (void *)pairs);
			fs_apply_list(c, &m->cfg.labels, m->v[i], pairs, set_pairs, (void *)pairs);
		}
		if (fields)
			fs_apply_list(c, fields, m->v[i], pairs, set_pairs, (void *)pairs);
	}
}

void rx_annotations(struct rctx *c, const struct gate_rnode *pairs, struct rmap *m)
{
	size_t i;

	if (pairs->type != GATE_RNODE_MAP || !pairs->len)
		return;
	for (i = 0; i < m->n; i++) {
		fs_apply(c, annotation_specs, m->v[i], pairs, set_pairs, (void *)pairs);
		fs_apply_list(c, &m->cfg.annotations, m->v[i], pairs, set_pairs, (void *)pairs);
	}
}

/* ------------------------------------------------------------------ images */

static void update_image(struct rctx *c, struct gate_rnode *parent, const char *key,
	const struct gate_rnode *img)
{
	struct gate_rnode *v = rn_get(parent, key);
	const char *image = rn_scalar(v), *name = rn_get_str(img, "name");
	const char *nn = rn_get_str(img, "newName"), *nt = rn_scalar(rn_get(img, "newTag"));
	const char *dg = rn_get_str(img, "digest");
	const char *at, *colon, *slash, *tag = NULL, *digest = NULL;
	size_t nl;
	char *base;

	if (!v || v->type != GATE_RNODE_STR || !image || !name)
		return;
	nl = strlen(name);
	if (strncmp(image, name, nl) || (image[nl] && image[nl] != ':' && image[nl] != '@'))
		return;
	at = strchr(image, '@');
	slash = strrchr(image, '/');
	colon = strrchr(image, ':');
	if (colon && slash && colon < slash)
		colon = NULL;
	if (colon && at && colon > at)
		colon = NULL;
	if (at)
		digest = at + 1;
	if (colon)
		tag = ra_strndup(c, colon + 1, at ? (size_t)(at - colon - 1) : strlen(colon + 1));
	base = ra_strndup(c, image, colon ? (size_t)(colon - image) : at ? (size_t)(at - image) : strlen(image));
	if (nn && nn[0])
		base = ra_strdup(c, nn);
	if (nt && nt[0]) {
		tag = nt;
		digest = NULL;
	}
	if (dg && dg[0]) {
		digest = dg;
		tag = NULL;
	}
	rn_set(c, parent, key, rn_str(c, ra_printf(c, "%s%s%s%s%s", base, tag ? ":" : "", tag ? tag : "",
		digest ? "@" : "", digest ? digest : ""), img));
}

static void images_walk(struct rctx *c, struct gate_rnode *n, const struct gate_rnode *img)
{
	uint32_t i;

	if (!n)
		return;
	if (n->type == GATE_RNODE_SEQ) {
		for (i = 0; i < n->len; i++)
			images_walk(c, n->u.items[i], img);
		return;
	}
	if (n->type != GATE_RNODE_MAP)
		return;
	for (i = 0; i < n->len; i++) {
		const char *k = n->u.members[i].key;
		struct gate_rnode *v = n->u.members[i].value;

		if ((!strcmp(k, "containers") || !strcmp(k, "initContainers")) && v->type == GATE_RNODE_SEQ) {
			uint32_t j;

			for (j = 0; j < v->len; j++)
				if (v->u.items[j]->type == GATE_RNODE_MAP)
					update_image(c, v->u.items[j], "image", img);
		}
		images_walk(c, v, img);
	}
}

static void image_at(struct rctx *c, struct gate_rnode *parent, const char *key, void *payload)
{
	update_image(c, parent, key, payload);
}

void rx_images(struct rctx *c, const struct gate_rnode *images, struct rmap *m)
{
	uint32_t j;
	size_t i;

	if (images->type != GATE_RNODE_SEQ)
		rfail(c, images, "'images' must be a list");
	for (j = 0; j < images->len; j++)
		for (i = 0; i < m->n; i++) {
			images_walk(c, m->v[i]->root, images->u.items[j]);
			fs_apply_list(c, &m->cfg.images, m->v[i], NULL, image_at,
				(void *)images->u.items[j]);
		}
}

/* ------------------------------------------------------------------ replicas */

static void set_count(struct rctx *c, struct gate_rnode *parent, const char *key, void *payload)
{
	rn_set(c, parent, key, rn_copy(c, payload));
}

void rx_replicas(struct rctx *c, const struct gate_rnode *replicas, struct rmap *m)
{
	static const char *const kinds[] = { "Deployment", "ReplicationController", "ReplicaSet",
		"StatefulSet", NULL };
	uint32_t j;
	size_t i;
	int k;

	if (replicas->type != GATE_RNODE_SEQ)
		rfail(c, replicas, "'replicas' must be a list");
	for (j = 0; j < replicas->len; j++) {
		const struct gate_rnode *e = replicas->u.items[j];
		const char *name = rn_get_str(e, "name");
		const struct gate_rnode *count = rn_get(e, "count");

		if (!name || !count || count->type != GATE_RNODE_INT)
			rfail(c, e, "replicas entries need a name and an integer count");
		int found = 0;

		for (i = 0; i < m->n; i++) {
			struct rres *r = m->v[i];
			size_t s;

			if (strcmp(r->orig_name, name) && strcmp(rres_name(r), name))
				continue;
			for (k = 0; kinds[k]; k++)
				if (!strcmp(rres_kind(r), kinds[k])) {
					rn_set(c, rn_lookup_create(c, r->root, "spec", GATE_RNODE_MAP, e),
						"replicas", rn_copy(c, count));
					found = 1;
				}
			for (s = 0; s < m->cfg.replicas.n; s++)
				if (fspec_matches(&m->cfg.replicas.v[s], r)) {
					fs_walk(c, r->root, m->cfg.replicas.v[s].path, m->cfg.replicas.v[s].create,
						e, set_count, (void *)count);
					found = 1;
				}
		}
		if (!found)
			rfail(c, e, "resource with name %s does not match a config with the following GVK "
				"[Deployment ReplicationController ReplicaSet StatefulSet]", name);
	}
}

/* ------------------------------------------------------------------ name references */

struct nref {
	const char *referral;  /* kind referred to */
	const char *kinds;     /* referrer kinds, '|' separated; "POD" = every pod template kind */
	const char *path;
};

static const struct nref nrefs[] = {
	{ "ConfigMap", "POD", "volumes/configMap/name" },
	{ "ConfigMap", "POD", "containers/env/valueFrom/configMapKeyRef/name" },
	{ "ConfigMap", "POD", "initContainers/env/valueFrom/configMapKeyRef/name" },
	{ "ConfigMap", "POD", "containers/envFrom/configMapRef/name" },
	{ "ConfigMap", "POD", "initContainers/envFrom/configMapRef/name" },
	{ "ConfigMap", "POD", "volumes/projected/sources/configMap/name" },
	{ "Secret", "POD", "volumes/secret/secretName" },
	{ "Secret", "POD", "containers/env/valueFrom/secretKeyRef/name" },
	{ "Secret", "POD", "initContainers/env/valueFrom/secretKeyRef/name" },
	{ "Secret", "POD", "containers/envFrom/secretRef/name" },
	{ "Secret", "POD", "initContainers/envFrom/secretRef/name" },
	{ "Secret", "POD", "imagePullSecrets/name" },
	{ "Secret", "POD", "volumes/projected/sources/secret/name" },
	{ "Secret", "Ingress", "spec/tls/secretName" },
	{ "Secret", "ServiceAccount", "imagePullSecrets/name" },
	{ "ServiceAccount", "POD", "serviceAccountName" },
	{ "PersistentVolumeClaim", "POD", "volumes/persistentVolumeClaim/claimName" },
	{ "PriorityClass", "POD", "priorityClassName" },
	{ "Service", "Ingress", "spec/rules/http/paths/backend/service/name" },
	{ "Service", "Ingress", "spec/defaultBackend/service/name" },
	{ "Service", "StatefulSet", "spec/serviceName" },
	{ "Service", "APIService", "spec/service/name" },
	{ "Role", "RoleBinding", "roleRef/name" },
	{ "ClusterRole", "RoleBinding|ClusterRoleBinding", "roleRef/name" },
	{ "Deployment", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name" },
	{ "StatefulSet", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name" },
	{ "ReplicaSet", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name" },
	{ "StorageClass", "PersistentVolumeClaim|PersistentVolume", "spec/storageClassName" },
	{ "StorageClass", "StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName" },
	{ "IngressClass", "Ingress", "spec/ingressClassName" },
	{ NULL, NULL, NULL } };

static const char *pod_prefix(const char *kind)
{
	if (!strcmp(kind, "Pod"))
		return "spec/";
	if (!strcmp(kind, "PodTemplate"))
		return "template/spec/";
	if (!strcmp(kind, "CronJob"))
		return "spec/jobTemplate/spec/template/spec/";
	if (!strcmp(kind, "Deployment") || !strcmp(kind, "ReplicaSet") || !strcmp(kind, "DaemonSet") ||
		!strcmp(kind, "StatefulSet") || !strcmp(kind, "Job") || !strcmp(kind, "ReplicationController"))
		return "spec/template/spec/";
	return NULL;
}

static int kind_in(const char *kind, const char *list)
{
	size_t l = strlen(kind);
	const char *p = list;

	if (!l)
		return 0;
	while ((p = strstr(p, kind))) {
		if ((p == list || p[-1] == '|') && (p[l] == 0 || p[l] == '|'))
			return 1;
		p += l;
	}
	return 0;
}

struct fixup {
	struct rmap *m;
	const struct rres *referrer;
	const char *referral;
};

static const struct rres *find_referral(const struct fixup *f, const char *value, const char *ns)
{
	const struct rres *hit = NULL;
	size_t i, k;

	for (i = 0; i < f->m->n; i++) {
		const struct rres *r = f->m->v[i];

		if (strcmp(rres_kind(r), f->referral) || r->nnames < 2)
			continue;
		if (!rkind_cluster_scoped(f->referral)) {
			const char *rns = rres_ns(r)[0] ? rres_ns(r) : "default";

			if (strcmp(rns, ns[0] ? ns : "default"))
				continue;
		}
		for (k = 0; k + 1 < r->nnames; k++)
			if (!strcmp(r->names[k], value))
				break;
		if (k + 1 < r->nnames) {
			if (hit && hit != r)
				return NULL;
			hit = r;
		}
	}
	return hit;
}

static void fix_name(struct rctx *c, struct gate_rnode *parent, const char *key, void *payload)
{
	struct fixup *f = payload;
	struct gate_rnode *v = rn_get(parent, key);
	const struct rres *hit;

	if (!v || v->type != GATE_RNODE_STR)
		return;
	hit = find_referral(f, v->str, rres_ns(f->referrer));
	if (hit && strcmp(rres_name(hit), v->str)) {
		struct gate_rnode *nv = rn_str(c, rres_name(hit), v);

		rn_set(c, parent, key, nv);
	}
}

void rx_name_references(struct rctx *c, struct rmap *m)
{
	size_t i, j;
	int changed = 0;

	for (i = 0; i < m->n; i++)
		if (m->v[i]->nnames > 1)
			changed = 1;
	if (!changed)
		return;
	for (i = 0; i < m->n; i++) {
		struct rres *r = m->v[i];
		const char *kind = rres_kind(r);

		for (j = 0; nrefs[j].referral; j++) {
			struct fixup f = { m, r, nrefs[j].referral };
			const char *path = nrefs[j].path;

			if (!strcmp(nrefs[j].kinds, "POD")) {
				const char *pre = pod_prefix(kind);

				if (!pre)
					continue;
				path = ra_printf(c, "%s%s", pre, path);
			} else if (!kind_in(kind, nrefs[j].kinds)) {
				continue;
			}
			if (!strcmp(path, "roleRef/name")) {
				const char *rk = rn_path_str(r->root, "roleRef/kind");

				if (!rk || strcmp(rk, nrefs[j].referral))
					continue;
			}
			fs_walk(c, r->root, path, 0, NULL, fix_name, &f);
		}
		for (j = 0; j < m->cfg.name_refs.n; j++) {
			const struct fspec *f = &m->cfg.name_refs.v[j];
			struct fixup fx = { m, r, f->referral };

			if (fspec_matches(f, r))
				fs_walk(c, r->root, f->path, 0, NULL, fix_name, &fx);
		}
		if (!strcmp(kind, "RoleBinding") || !strcmp(kind, "ClusterRoleBinding")) {
			struct gate_rnode *subjects = rn_get(r->root, "subjects");
			uint32_t k;

			for (k = 0; subjects && subjects->type == GATE_RNODE_SEQ && k < subjects->len; k++) {
				struct gate_rnode *s = subjects->u.items[k];
				const char *sk = rn_get_str(s, "kind"), *sn = rn_get_str(s, "name");
				struct fixup f = { m, r, "ServiceAccount" };
				const struct rres *hit;

				if (!sk || strcmp(sk, "ServiceAccount") || !sn)
					continue;
				hit = find_referral(&f, sn, rn_get_str(s, "namespace") ? rn_get_str(s, "namespace") : "");
				if (hit)
					rn_set(c, s, "name", rn_str(c, rres_name(hit), rn_get(s, "name")));
			}
		}
	}
}

/* ------------------------------------------------------------------ transformers: */

/*
 * A built-in ReplicaCountTransformer config: the count at each field spec of
 * the objects named replica.name (any name they had), kustomize's error when
 * none matches.
 */
static void replica_count(struct rctx *c, const struct gate_rnode *cfg, struct rmap *m)
{
	const struct gate_rnode *rep = rn_get(cfg, "replica"), *count = rn_get(rep, "count");
	const char *name = rn_get_str(rep, "name");
	struct fspecs specs;
	struct gate_buf gvks = GATE_BUF_INIT;
	size_t i, j, k;
	int found = 0;

	if (!name || !count || count->type != GATE_RNODE_INT)
		rfail(c, rep ? rep : cfg, "ReplicaCountTransformer: replica needs a name and an integer count");
	memset(&specs, 0, sizeof(specs));
	rconfig_read_specs(c, rn_get(cfg, "fieldSpecs"), &specs);
	for (j = 0; j < specs.n; j++)
		for (i = 0; i < m->n; i++) {
			struct rres *r = m->v[i];
			int named = 0;

			for (k = 0; k < r->nnames && !named; k++)
				named = !strcmp(r->names[k], name);
			if (!(named || !strcmp(r->orig_name, name) || !strcmp(rres_name(r), name)) ||
			    !fspec_matches(&specs.v[j], r))
				continue;
			fs_walk(c, r->root, specs.v[j].path, specs.v[j].create, count, set_count,
				(void *)count);
			found = 1;
		}
	if (found)
		return;
	for (j = 0; j < specs.n; j++) {
		const struct fspec *f = &specs.v[j];

		/* resid.Gvk.String() */
		gate_buf_addf(&gvks, "%s%s.%s.%s", j ? " " : "", f->kind && f->kind[0] ? f->kind : "[noKind]",
			f->version && f->version[0] ? f->version : "[noVer]",
			f->group && f->group[0] ? f->group : "[noGrp]");
	}
	gate_buf_addc(&gvks, 0);
	{
		const char *text = ra_strdup(c, gvks.ptr);

		gate_buf_release(&gvks);
		rfail(c, cfg, "resource with name %s does not match a config with the following GVK [%s]",
			name, text);
	}
}

static void apply_config(struct rctx *c, const char *dir, struct gate_rnode *cfg, struct rmap *m);

/* one config, then (buildMetadata) its origin as a transformation of every object */
static void one_config(struct rctx *c, const char *dir, struct gate_rnode *cfg,
	const char *origin, struct rmap *m)
{
	const char *kind = rn_get_str(cfg, "kind"), *av = rn_get_str(cfg, "apiVersion");
	const struct gate_rnode *meta = rn_get(cfg, "metadata");

	apply_config(c, dir, cfg, m);
	if (origin && kind && av && !strcmp(av, "builtin"))
		rmeta_transformed(c, m, origin, av, kind, rn_get_str(meta, "name"),
			rn_get_str(meta, "namespace"), 1, cfg);
}

static void apply_config(struct rctx *c, const char *dir, struct gate_rnode *cfg, struct rmap *m)
{
	const char *kind = rn_get_str(cfg, "kind"), *av = rn_get_str(cfg, "apiVersion");

	if (!kind || !av || strcmp(av, "builtin")) {
		runreachable(c, cfg->file, cfg->line, cfg->col, "transformers: %s is a plugin: only "
			"built-in transformer configs (apiVersion: builtin) are run by the gate",
			kind ? kind : "(no kind)");
		return;
	}
	if (!strcmp(kind, "LabelTransformer") || !strcmp(kind, "AnnotationsTransformer")) {
		const struct gate_rnode *fs = rn_get(cfg, "fieldSpecs");
		uint32_t i;
		size_t j;

		for (j = 0; j < m->n; j++)
			for (i = 0; fs && fs->type == GATE_RNODE_SEQ && i < fs->len; i++) {
				const struct gate_rnode *f = fs->u.items[i];
				const struct gate_rnode *cr = rn_get(f, "create");
				struct fspec spec[2] = { { rn_get_str(f, "kind"), rn_get_str(f, "group"),
					rn_get_str(f, "version"), rn_get_str(f, "path"),
					cr && cr->type == GATE_RNODE_BOOL && !strcmp(cr->str, "true"), NULL },
					{ NULL, NULL, NULL, NULL, 0, NULL } };
				const struct gate_rnode *pairs = rn_get(cfg, !strcmp(kind, "LabelTransformer") ?
					"labels" : "annotations");

				if (!spec[0].path || rn_is_null(pairs) || pairs->type != GATE_RNODE_MAP)
					continue;
				fs_apply(c, spec, m->v[j], pairs, set_pairs, (void *)pairs);
			}
		return;
	}
	if (!strcmp(kind, "NamespaceTransformer")) {
		const struct gate_rnode *ns = rn_get(rn_get(cfg, "metadata"), "namespace");

		if (ns && rn_scalar(ns) && rn_scalar(ns)[0])
			rx_namespace(c, ns, m);
		return;
	}
	if (!strcmp(kind, "PrefixSuffixTransformer") || !strcmp(kind, "PrefixTransformer") ||
		!strcmp(kind, "SuffixTransformer")) {
		const struct gate_rnode *pre = rn_get(cfg, "prefix"), *suf = rn_get(cfg, "suffix");
		const char *p = rn_scalar(pre), *s = rn_scalar(suf);
		struct fspecs specs;

		memset(&specs, 0, sizeof(specs));
		rconfig_read_specs(c, rn_get(cfg, "fieldSpecs"), &specs);
		if (p && p[0])
			affix_all(c, p, "", pre, &specs, m);
		if (s && s[0])
			affix_all(c, "", s, suf, &specs, m);
		return;
	}
	if (!strcmp(kind, "ImageTagTransformer")) {
		struct gate_rnode *seq = rn_new(c, GATE_RNODE_SEQ, cfg);

		rn_append(c, seq, rn_get(cfg, "imageTag"));
		rx_images(c, seq, m);
		return;
	}
	if (!strcmp(kind, "PatchTransformer") || !strcmp(kind, "PatchStrategicMergeTransformer") ||
		!strcmp(kind, "PatchJson6902Transformer")) {
		struct gate_rnode *k = rn_new(c, GATE_RNODE_MAP, cfg), *list = rn_new(c, GATE_RNODE_SEQ, cfg);

		rn_append(c, list, cfg);
		rn_set(c, k, "patches", list);
		rpatch_run(c, dir, k, m, RPATCH_PATCHES);
		return;
	}
	if (!strcmp(kind, "ReplicaCountTransformer")) {
		replica_count(c, cfg, m);
		return;
	}
	if (!strcmp(kind, "ReplacementTransformer")) {
		const struct gate_rnode *r = rn_get(cfg, "replacements");

		if (!rn_is_null(r))
			rrepl_run(c, dir, r, m);
		return;
	}
	rfail(c, cfg, "transformers: built-in %s is not supported yet", kind);
}

/* `transformers:` entries: built-in transformer configs */
void rx_builtin_config(struct rctx *c, const char *dir, const char *kfile,
	const struct gate_rnode *list, struct rmap *m)
{
	rtarget_configs(c, dir, kfile, list, 0, one_config, m);
}
