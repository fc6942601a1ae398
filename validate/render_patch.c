/*
 * render_patch.c: patches (strategic merge and JSON 6902, inline or by
 * path, with target selectors), patchesStrategicMerge and patchesJson6902.
 *
 * Strategic merge follows kyaml's merge2: maps merge key by key (null
 * deletes), `$patch: delete|replace` directives, lists of maps merge by
 * their merge key, other lists are replaced.  Merge keys come from a compact
 * built-in table of the Kubernetes core kinds (the lists of pod templates,
 * Service ports, webhooks, owner references, conditions); for any other
 * kind kustomize infers the key "name" when every element has one, and so
 * do we.  NEEDSWORK: multi-key list maps (containerPort+protocol) match on
 * the first key only; primitive lists with a merge strategy (finalizers) are
 * replaced; openapi: and crds: schemas are not read.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "render_int.h"
#include "gate/util.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ schema */

static int known_kind(const char *kind)
{
	static const char *const kinds[] = { "Pod", "PodTemplate", "Deployment", "StatefulSet",
		"DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Service",
		"ConfigMap", "Secret", "ServiceAccount", "Namespace", "Role", "ClusterRole",
		"RoleBinding", "ClusterRoleBinding", "Ingress", "IngressClass", "NetworkPolicy",
		"PersistentVolumeClaim", "PersistentVolume", "HorizontalPodAutoscaler",
		"PodDisruptionBudget", "StorageClass", "PriorityClass", "LimitRange", "ResourceQuota",
		"Endpoints", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
		"CustomResourceDefinition", "APIService", NULL };
	int i;

	for (i = 0; kinds[i]; i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

/* merge key of list field `field` under parent field `parent` of a known kind, or NULL */
static const char *merge_key(const char *kind, const char *parent, const char *field)
{
	static const char *const table[][2] = {
		{ "containers", "name" }, { "initContainers", "name" }, { "ephemeralContainers", "name" },
		{ "volumes", "name" }, { "env", "name" }, { "volumeMounts", "mountPath" },
		{ "volumeDevices", "devicePath" }, { "imagePullSecrets", "name" },
		{ "hostAliases", "ip" }, { "topologySpreadConstraints", "topologyKey" },
		{ "ownerReferences", "uid" }, { "conditions", "type" }, { "resourceClaims", "name" },
		{ "schedulingGates", "name" }, { "webhooks", "name" }, { NULL, NULL } };
	int i;

	if (!strcmp(field, "ports"))
		return !strcmp(kind, "Service") && !strcmp(parent, "spec") ? "port" :
			!strcmp(parent, "spec") ? NULL : "containerPort";
	for (i = 0; table[i][0]; i++)
		if (!strcmp(field, table[i][0]))
			return table[i][1];
	return NULL;
}

/* ------------------------------------------------------------------ strategic merge */

struct smp {
	struct rctx *c;
	const char *kind;
	int known;
};

static int all_have(const struct gate_rnode *seq, const char *key)
{
	uint32_t i;

	for (i = 0; seq && i < seq->len; i++)
		if (seq->u.items[i]->type != GATE_RNODE_MAP || !rn_get(seq->u.items[i], key))
			return 0;
	return 1;
}

static const char *directive(const struct gate_rnode *n)
{
	return n && n->type == GATE_RNODE_MAP ? rn_get_str(n, "$patch") : NULL;
}

/* a copy of patch content without merge directives */
static struct gate_rnode *clean_copy(struct rctx *c, const struct gate_rnode *n)
{
	struct gate_rnode *m = rn_copy(c, n);
	uint32_t i;

	if (!m)
		return NULL;
	if (m->type == GATE_RNODE_MAP) {
		for (i = 0; i < m->len;) {
			const char *k = m->u.members[i].key;

			if (k[0] == '$' || !strncmp(k, "$setElementOrder/", 17)) {
				rn_del(m, k);
				continue;
			}
			m->u.members[i].value = clean_copy(c, m->u.members[i].value);
			i++;
		}
	} else if (m->type == GATE_RNODE_SEQ) {
		uint32_t j = 0;

		for (i = 0; i < m->len; i++) {
			const char *d = directive(m->u.items[i]);

			if (d && !strcmp(d, "delete"))
				continue;
			m->u.items[j++] = clean_copy(c, m->u.items[i]);
		}
		m->len = j;
	}
	return m;
}

static struct gate_rnode *merge_node(struct smp *s, struct gate_rnode *dst,
	const struct gate_rnode *patch, const char *parent, const char *field);

static int key_equal(const struct gate_rnode *a, const struct gate_rnode *b)
{
	const char *x = rn_scalar(a), *y = rn_scalar(b);

	return x && y && !strcmp(x, y);
}

static struct gate_rnode *merge_list(struct smp *s, struct gate_rnode *dst,
	const struct gate_rnode *patch, const char *parent, const char *field)
{
	struct rctx *c = s->c;
	const char *key = NULL;
	struct gate_rnode *out;
	uint32_t i, j;
	char *used;

	for (i = 0; i < patch->len; i++) {
		const char *d = directive(patch->u.items[i]);

		if (d && !strcmp(d, "replace"))
			return clean_copy(c, patch);
	}
	if (s->known)
		key = merge_key(s->kind, parent, field);
	else if (patch->len && all_have(patch, "name") && all_have(dst, "name"))
		key = "name";
	if (!key || !all_have(patch, key) || !all_have(dst, key)) {
		if (key && s->known && all_have(dst, key)) {
			/* a patch element without the key: kyaml skips it */
		} else {
			return clean_copy(c, patch);
		}
	}
	/*
	 * kustomize merges with "prepend": the patch's elements first, in patch
	 * order (merged into the element they match), then the elements of dst
	 * the patch does not name, in their order.
	 */
	out = rn_new(c, GATE_RNODE_SEQ, dst);
	used = ra_alloc(c, dst->len ? dst->len : 1);
	for (j = 0; j < patch->len; j++) {
		const struct gate_rnode *p = patch->u.items[j];
		const struct gate_rnode *pk = rn_get(p, key);
		const char *d = directive(p);
		struct gate_rnode *e = NULL;

		if (p->type != GATE_RNODE_MAP || !pk)
			continue;
		for (i = 0; i < dst->len; i++)
			if (!used[i] && key_equal(rn_get(dst->u.items[i], key), pk)) {
				used[i] = 1;
				e = dst->u.items[i];
				break;
			}
		if (d && !strcmp(d, "delete"))
			continue;
		e = e ? merge_node(s, e, p, field, NULL) : clean_copy(c, p);
		if (rn_is_null(e) || (e->type == GATE_RNODE_MAP && !e->len))
			continue;
		rn_append(c, out, e);
	}
	for (i = 0; i < dst->len; i++)
		if (!used[i])
			rn_append(c, out, dst->u.items[i]);
	return out;
}

static struct gate_rnode *merge_map(struct smp *s, struct gate_rnode *dst,
	const struct gate_rnode *patch, const char *field)
{
	struct rctx *c = s->c;
	const char *d = directive(patch);
	uint32_t i;

	if (d && !strcmp(d, "replace"))
		return clean_copy(c, patch);
	if (d && !strcmp(d, "delete"))
		return NULL;
	for (i = 0; i < patch->len; i++) {
		const char *k = patch->u.members[i].key;
		const struct gate_rnode *pv = patch->u.members[i].value;
		struct gate_rnode *dv;

		if (k[0] == '$')
			continue;
		if (rn_is_null(pv)) {
			rn_del(dst, k);
			continue;
		}
		dv = rn_get(dst, k);
		if (!dv || rn_is_null(dv)) {
			struct gate_rnode *v = clean_copy(c, pv);
			const char *pd = directive(pv);

			if (pd && !strcmp(pd, "delete"))
				continue;
			rn_set(c, dst, k, v);
			continue;
		}
		dv = merge_node(s, dv, pv, field ? field : "", k);
		if (!dv)
			rn_del(dst, k);
		else
			rn_set(c, dst, k, dv);
	}
	return dst;
}

static struct gate_rnode *merge_node(struct smp *s, struct gate_rnode *dst,
	const struct gate_rnode *patch, const char *parent, const char *field)
{
	if (patch->type == GATE_RNODE_MAP && dst->type == GATE_RNODE_MAP)
		return merge_map(s, dst, patch, field);
	if (patch->type == GATE_RNODE_SEQ && dst->type == GATE_RNODE_SEQ && field)
		return merge_list(s, dst, patch, parent, field);
	return clean_copy(s->c, patch);
}

void rpatch_smp(struct rctx *c, struct gate_rnode *dst, const struct gate_rnode *patch,
	const char *kind)
{
	struct smp s = { c, kind ? kind : "", kind ? known_kind(kind) : 0 };

	merge_map(&s, dst, patch, NULL);
}

/* ------------------------------------------------------------------ JSON 6902 */

static char *pointer_token(struct rctx *c, const char **p)
{
	const char *s = *p, *e = strchr(s, '/');
	size_t n = e ? (size_t)(e - s) : strlen(s), i, j = 0;
	char *out = ra_alloc(c, n + 1);

	for (i = 0; i < n; i++) {
		if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
			out[j++] = s[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = 0;
	*p = e ? e + 1 : s + n;
	return out;
}

static int array_index(const char *tok, uint32_t len, int allow_end, long *out)
{
	char *end;
	long v;

	if (allow_end && !strcmp(tok, "-")) {
		*out = len;
		return 1;
	}
	if (!tok[0] || (tok[0] == '0' && tok[1]))
		return 0;
	v = strtol(tok, &end, 10);
	if (*end || v < 0 || v > (long)len - (allow_end ? 0 : 1))
		return 0;
	*out = v;
	return 1;
}

/* the parent container of path and its last token; NULL when the parent is missing */
static struct gate_rnode *resolve_parent(struct rctx *c, struct gate_rnode *root, const char *path,
	char **last)
{
	const char *p = path + 1;
	struct gate_rnode *n = root;

	if (*path != '/')
		return NULL;
	for (;;) {
		int more = strchr(p, '/') != NULL;
		char *tok = pointer_token(c, &p);

		if (!more) {
			*last = tok;
			return n;
		}
		if (n->type == GATE_RNODE_MAP) {
			n = rn_get(n, tok);
		} else if (n->type == GATE_RNODE_SEQ) {
			long idx;

			if (!array_index(tok, n->len, 0, &idx))
				return NULL;
			n = n->u.items[idx];
		} else {
			return NULL;
		}
		if (!n)
			return NULL;
	}
}

static struct gate_rnode *get_at(struct rctx *c, struct gate_rnode *root, const char *path)
{
	char *last;
	struct gate_rnode *parent;
	long idx;

	if (!path[0])
		return root;
	parent = resolve_parent(c, root, path, &last);
	if (!parent)
		return NULL;
	if (parent->type == GATE_RNODE_MAP)
		return rn_get(parent, last);
	if (parent->type == GATE_RNODE_SEQ && array_index(last, parent->len, 0, &idx))
		return parent->u.items[idx];
	return NULL;
}

static void seq_insert(struct rctx *c, struct gate_rnode *seq, long idx, struct gate_rnode *v)
{
	rn_append(c, seq, v);
	memmove(&seq->u.items[idx + 1], &seq->u.items[idx], (seq->len - 1 - (uint32_t)idx) * sizeof(v));
	seq->u.items[idx] = v;
}

static struct gate_rnode *remove_at(struct rctx *c, const struct gate_rnode *op,
	struct gate_rnode *root, const char *path, const char *opname)
{
	char *last;
	struct gate_rnode *parent = resolve_parent(c, root, path, &last), *v;
	long idx;

	if (!parent)
		rfail(c, op, "%s operation does not apply: doc is missing path: \"%s\"", opname, path);
	if (parent->type == GATE_RNODE_MAP) {
		v = rn_get(parent, last);
		if (!v)
			rfail(c, op, "%s operation does not apply: doc is missing key: \"%s\"", opname, path);
		rn_del(parent, last);
		return v;
	}
	if (parent->type != GATE_RNODE_SEQ || !array_index(last, parent->len, 0, &idx))
		rfail(c, op, "%s operation does not apply: doc is missing path: \"%s\"", opname, path);
	v = parent->u.items[idx];
	memmove(&parent->u.items[idx], &parent->u.items[idx + 1],
		(parent->len - (uint32_t)idx - 1) * sizeof(v));
	parent->len--;
	return v;
}

static void add_at(struct rctx *c, const struct gate_rnode *op, struct gate_rnode *root,
	const char *path, struct gate_rnode *v, int replace)
{
	char *last;
	struct gate_rnode *parent = resolve_parent(c, root, path, &last);
	const char *name = replace ? "replace" : "add";
	long idx;

	if (!parent)
		rfail(c, op, "%s operation does not apply: doc is missing path: \"%s\"", name, path);
	if (parent->type == GATE_RNODE_MAP) {
		if (replace && !rn_get(parent, last))
			rfail(c, op, "replace operation does not apply: doc is missing key: %s", path);
		rn_set(c, parent, last, v);
		return;
	}
	if (parent->type != GATE_RNODE_SEQ || !array_index(last, parent->len, !replace, &idx))
		rfail(c, op, "%s operation does not apply: doc is missing path: \"%s\"", name, path);
	if (replace)
		parent->u.items[idx] = v;
	else
		seq_insert(c, parent, idx, v);
}

void rpatch_json6902(struct rctx *c, struct gate_rnode *root, const struct gate_rnode *ops)
{
	uint32_t i;

	for (i = 0; i < ops->len; i++) {
		const struct gate_rnode *op = ops->u.items[i];
		const char *kind = rn_get_str(op, "op"), *path = rn_get_str(op, "path");
		const char *from = rn_get_str(op, "from");
		const struct gate_rnode *value = rn_get(op, "value");

		if (op->type != GATE_RNODE_MAP || !kind)
			rfail(c, op, "json patch: each operation needs an op");
		if (!path)
			rfail(c, op, "json patch: operation %s needs a path", kind);
		if (!strcmp(kind, "add") || !strcmp(kind, "replace")) {
			struct gate_rnode *v = value ? rn_copy(c, value) : rn_new(c, GATE_RNODE_NULL, op);

			if (!value)
				rfail(c, op, "json patch: %s operation needs a value", kind);
			if (!path[0])
				rfail(c, op, "json patch: cannot %s the whole document", kind);
			add_at(c, op, root, path, v, !strcmp(kind, "replace"));
		} else if (!strcmp(kind, "remove")) {
			remove_at(c, op, root, path, "remove");
		} else if (!strcmp(kind, "move") || !strcmp(kind, "copy")) {
			struct gate_rnode *v;

			if (!from)
				rfail(c, op, "json patch: %s operation needs from", kind);
			if (!strcmp(kind, "move")) {
				v = remove_at(c, op, root, from, "move");
			} else {
				v = get_at(c, root, from);
				if (!v)
					rfail(c, op, "copy operation does not apply: doc is missing from path: %s", from);
				v = rn_copy(c, v);
			}
			add_at(c, op, root, path, v, 0);
		} else if (!strcmp(kind, "test")) {
			struct gate_rnode *v = get_at(c, root, path);

			if (!v || !value || !rn_equal(v, value))
				rfail(c, op, "testing value %s failed: test failed", path);
		} else {
			rfail(c, op, "json patch: unexpected op '%s'", kind);
		}
	}
}

/* ------------------------------------------------------------------ selectors */

static int regex_full_match(struct rctx *c, const struct gate_rnode *where, const char *re,
	const char *s)
{
	char *pat = ra_printf(c, "^(?:%s)$", re);
	int errcode, rc;
	PCRE2_SIZE erroff;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF,
		&errcode, &erroff, NULL);
	pcre2_match_data *md;

	if (!code)
		rfail(c, where, "invalid regular expression '%s' in a selector", re);
	md = pcre2_match_data_create_from_pattern(code, NULL);
	rc = pcre2_match(code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return rc >= 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = 0;
	return s;
}

/* a Kubernetes label selector string against a string map */
static int label_selector_match(struct rctx *c, const struct gate_rnode *where, const char *sel,
	const struct gate_rnode *labels)
{
	char *s = ra_strdup(c, sel), *req;
	size_t depth = 0, i, start = 0, n = strlen(s);

	for (i = 0; i <= n; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')')
			depth--;
		if ((s[i] == ',' && !depth) || !s[i]) {
			char *op;
			const char *have;

			s[i] = 0;
			req = trim(s + start);
			start = i + 1;
			if (!*req)
				continue;
			if (req[0] == '!') {
				if (rn_get(labels, trim(req + 1)))
					return 0;
				continue;
			}
			if ((op = strstr(req, " notin ")) || (op = strstr(req, " in "))) {
				int notin = op[1] == 'n';
				char *vals = strchr(op, '('), *end = strrchr(op, ')'), *v, *save = NULL;
				int found = 0;

				*op = 0;
				if (!vals || !end)
					rfail(c, where, "unable to parse requirement: %s", sel);
				*end = 0;
				have = rn_scalar(rn_get(labels, trim(req)));
				for (v = strtok_r(vals + 1, ",", &save); v; v = strtok_r(NULL, ",", &save))
					if (have && !strcmp(have, trim(v)))
						found = 1;
				if (notin ? found : !found)
					return 0;
				continue;
			}
			if ((op = strstr(req, "!="))) {
				*op = 0;
				have = rn_scalar(rn_get(labels, trim(req)));
				if (have && !strcmp(have, trim(op + 2)))
					return 0;
				continue;
			}
			if ((op = strchr(req, '='))) {
				char *val = op + 1 + (op[1] == '=');

				*op = 0;
				have = rn_scalar(rn_get(labels, trim(req)));
				if (!have || strcmp(have, trim(val)))
					return 0;
				continue;
			}
			if (!rn_get(labels, req))
				return 0;
		}
	}
	return 1;
}

int rselect_match(struct rctx *c, const struct gate_rnode *sel, const struct rres *r)
{
	const char *g = rn_get_str(sel, "group"), *v = rn_get_str(sel, "version");
	const char *k = rn_get_str(sel, "kind"), *name = rn_get_str(sel, "name");
	const char *ns = rn_get_str(sel, "namespace");
	const char *ls = rn_get_str(sel, "labelSelector"), *as = rn_get_str(sel, "annotationSelector");
	char group[256], version[256];

	rres_group_version(r, group, sizeof(group), version, sizeof(version));
	if (g && g[0] && strcmp(g, group))
		return 0;
	if (v && v[0] && strcmp(v, version))
		return 0;
	if (k && k[0] && strcmp(k, rres_kind(r)))
		return 0;
	if (ns && ns[0]) {
		const char *cur = rkind_cluster_scoped(rres_kind(r)) ? "" : rres_ns(r)[0] ? rres_ns(r) : "default";
		const char *org = rkind_cluster_scoped(rres_kind(r)) ? "" : r->orig_ns[0] ? r->orig_ns : "default";

		if (!regex_full_match(c, sel, ns, org) && !regex_full_match(c, sel, ns, cur))
			return 0;
	}
	if (name && name[0] && !regex_full_match(c, sel, name, r->orig_name) &&
		!regex_full_match(c, sel, name, rres_name(r)))
		return 0;
	if (ls && ls[0] && !label_selector_match(c, sel, ls,
		rn_get(rn_get(r->root, "metadata"), "labels")))
		return 0;
	if (as && as[0] && !label_selector_match(c, sel, as,
		rn_get(rn_get(r->root, "metadata"), "annotations")))
		return 0;
	return 1;
}

/* ------------------------------------------------------------------ patch runner */

static void shift(struct gate_rnode *n, uint32_t dline, uint32_t dcol, const char *file)
{
	uint32_t i;

	if (!n)
		return;
	n->file = file;
	if (n->line == 1)
		n->col += dcol;
	n->line += dline;
	if (n->type == GATE_RNODE_SEQ)
		for (i = 0; i < n->len; i++)
			shift(n->u.items[i], dline, dcol, file);
	else if (n->type == GATE_RNODE_MAP)
		for (i = 0; i < n->len; i++) {
			n->u.members[i].line += dline;
			shift(n->u.members[i].value, dline, dcol, file);
		}
}

struct pdocs {
	struct gate_rnode **v;
	size_t n, alloc;
};

static void collect_doc(struct rctx *c, struct gate_rnode *root, void *payload)
{
	struct pdocs *d = payload;

	if (d->n == d->alloc) {
		size_t na = d->alloc ? d->alloc * 2 : 4;
		struct gate_rnode **v = ra_alloc(c, na * sizeof(*v));

		if (d->n)
			memcpy(v, d->v, d->n * sizeof(*v));
		d->v = v;
		d->alloc = na;
	}
	d->v[d->n++] = root;
}

/* parse patch text: from a file (path) or inline (a string node of the kustomization) */
static void patch_docs(struct rctx *c, const char *dir, const struct gate_rnode *pathn,
	const struct gate_rnode *inl, struct pdocs *out)
{
	if (pathn && rn_scalar(pathn) && rn_scalar(pathn)[0]) {
		const char *p = rpath_join(c, dir, rn_scalar(pathn));
		char *buf;
		size_t len;

		if (rload(c, p, &buf, &len))
			rfail(c, pathn, "trouble configuring builtin PatchTransformer with config: "
				"open %s: no such file or directory", p);
		rn_parse_stream(c, p, buf, len, collect_doc, out);
		return;
	}
	if (inl && rn_scalar(inl)) {
		size_t i, before = out->n;

		rn_parse_stream(c, inl->file, inl->str, inl->len, collect_doc, out);
		for (i = before; i < out->n; i++)
			shift(out->v[i], inl->block ? inl->line : inl->line - 1,
				inl->block ? 0 : inl->col, inl->file);
		return;
	}
	rfail(c, inl ? inl : pathn, "must specify one of patch and path");
}

static void delete_res(struct rmap *m, size_t i)
{
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
	m->n--;
}

static void apply_smp(struct rctx *c, struct rmap *m, size_t i, const struct gate_rnode *patch)
{
	const char *d = directive(patch);

	if (d && !strcmp(d, "delete")) {
		delete_res(m, i);
		return;
	}
	rpatch_smp(c, m->v[i]->root, patch, rres_kind(m->v[i]));
}

/*
 * A patch applied through a target selector takes the target's name,
 * namespace and type, so it never renames what it patches (kustomize does
 * the same).
 */
static const struct gate_rnode *retarget(struct rctx *c, const struct gate_rnode *patch,
	const struct rres *r)
{
	struct gate_rnode *p, *meta;
	const struct gate_rnode *rmeta = rn_get(r->root, "metadata");

	if (patch->type != GATE_RNODE_MAP)
		rfail(c, patch, "a strategic merge patch must be a mapping");
	p = rn_copy(c, patch);
	if (rn_get(p, "kind"))
		rn_set(c, p, "kind", rn_copy(c, rn_get(r->root, "kind")));
	if (rn_get(p, "apiVersion"))
		rn_set(c, p, "apiVersion", rn_copy(c, rn_get(r->root, "apiVersion")));
	meta = rn_get(p, "metadata");
	if (meta && meta->type == GATE_RNODE_MAP) {
		if (rn_get(rmeta, "name"))
			rn_set(c, meta, "name", rn_copy(c, rn_get(rmeta, "name")));
		else
			rn_del(meta, "name");
		if (rn_get(rmeta, "namespace"))
			rn_set(c, meta, "namespace", rn_copy(c, rn_get(rmeta, "namespace")));
		else
			rn_del(meta, "namespace");
	}
	return p;
}

static void smp_by_id(struct rctx *c, struct rmap *m, const struct gate_rnode *patch)
{
	struct rres *pid;
	size_t i, hits = 0;

	if (patch->type != GATE_RNODE_MAP)
		rfail(c, patch, "a strategic merge patch must be a mapping");
	pid = rres_new(c, (struct gate_rnode *)patch);
	for (i = 0; i < m->n; i++)
		if (rres_any_id_matches(m->v[i], pid))
			hits++;
	if (!hits)
		rfail(c, patch, "no resource matches strategic merge patch \"%s.%s %s/%s\"",
			rn_get_str(patch, "apiVersion") ? rn_get_str(patch, "apiVersion") : "",
			rres_kind(pid), rres_ns(pid)[0] ? rres_ns(pid) : "[noNs]", rres_name(pid));
	if (hits > 1)
		rfail(c, patch, "multiple resources match strategic merge patch %s %s",
			rres_kind(pid), rres_name(pid));
	for (i = 0; i < m->n; i++)
		if (rres_any_id_matches(m->v[i], pid)) {
			apply_smp(c, m, i, patch);
			break;
		}
}

static void one_patch(struct rctx *c, const char *dir, const struct gate_rnode *e,
	struct rmap *m, int json_only)
{
	struct pdocs docs = { NULL, 0, 0 };
	const struct gate_rnode *target = rn_get(e, "target");
	size_t d, i;

	patch_docs(c, dir, rn_get(e, "path"), rn_get(e, "patch"), &docs);
	if (!docs.n)
		return;
	if (docs.v[0]->type == GATE_RNODE_SEQ) {
		if (docs.n > 1)
			rfail(c, docs.v[1], "a JSON 6902 patch must be one document");
		if (rn_is_null(target))
			rfail(c, e, "must specify a target for patch %s", rn_scalar(rn_get(e, "path")) ?
				rn_scalar(rn_get(e, "path")) : "(inline)");
		for (i = 0; i < m->n; i++)
			if (rselect_match(c, target, m->v[i]))
				rpatch_json6902(c, m->v[i]->root, docs.v[0]);
		return;
	}
	if (json_only)
		rfail(c, docs.v[0], "a patchesJson6902 patch must be a list of operations");
	for (d = 0; d < docs.n; d++) {
		if (rn_is_null(target)) {
			smp_by_id(c, m, docs.v[d]);
			continue;
		}
		for (i = 0; i < m->n; i++)
			if (rselect_match(c, target, m->v[i])) {
				size_t before = m->n;

				apply_smp(c, m, i, retarget(c, docs.v[d], m->v[i]));
				if (m->n < before)
					i--;
			}
	}
}

void rpatch_run(struct rctx *c, const char *dir, const struct gate_rnode *k, struct rmap *m,
	int which)
{
	const char *field = which == RPATCH_SMP_LIST ? "patchesStrategicMerge" :
		which == RPATCH_PATCHES ? "patches" : "patchesJson6902";
	const struct gate_rnode *list = rn_get(k, field);
	uint32_t i;

	if (rn_is_null(list))
		return;
	if (list->type != GATE_RNODE_SEQ)
		rfail(c, list, "'%s' must be a list", field);
	for (i = 0; i < list->len; i++) {
		const struct gate_rnode *e = list->u.items[i];

		if (which == RPATCH_SMP_LIST) {
			const char *s = rn_scalar(e);
			struct pdocs docs = { NULL, 0, 0 };
			size_t d;

			if (!s || e->type != GATE_RNODE_STR)
				rfail(c, e, "patchesStrategicMerge entries must be strings");
			/* a file when one exists at that path, else the patch itself (kustomize) */
			{
				char *buf;
				size_t len;

				if (!strchr(s, '\n') && rload(c, rpath_join(c, dir, s), &buf, &len) == 0)
					patch_docs(c, dir, e, NULL, &docs);
				else
					patch_docs(c, dir, NULL, e, &docs);
			}
			for (d = 0; d < docs.n; d++)
				smp_by_id(c, m, docs.v[d]);
			continue;
		}
		if (e->type != GATE_RNODE_MAP)
			rfail(c, e, "%s entries must be mappings", field);
		one_patch(c, dir, e, m, which == RPATCH_JSON6902);
	}
}
