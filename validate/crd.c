/*
 * crd: CustomResourceDefinitions to JSON schemas; see include/gate/crd.h.
 */
#include "gate/crd.h"

#include <stdio.h>
#include <string.h>

#include "gate/schema.h"

#define MAX_DEPTH 256

static void convert(json_t *s, int flags, int depth, int root);

/* the schemas a schema holds, each converted in turn */
static void convert_children(json_t *s, int flags, int depth)
{
	static const char *const lists[] = { "allOf", "anyOf", "oneOf", NULL };
	const char *key;
	json_t *v, *props = json_object_get(s, "properties");
	size_t i, l;

	json_object_foreach(props, key, v)
		convert(v, flags, depth + 1, 0);
	v = json_object_get(s, "items");
	if (json_is_array(v)) {
		json_t *it;
		json_array_foreach(v, i, it)
			convert(it, flags, depth + 1, 0);
	} else {
		convert(v, flags, depth + 1, 0);
	}
	if (json_is_object(json_object_get(s, "additionalProperties")))
		convert(json_object_get(s, "additionalProperties"), flags, depth + 1, 0);
	/* branches: descriptions dropped, closing only inside their own properties */
	for (l = 0; lists[l]; l++)
		json_array_foreach(json_object_get(s, lists[l]), i, v)
			convert(v, flags & ~GATE_CRD_CLOSED_ROOT, depth + 1, 1);
	if (json_is_object(json_object_get(s, "not")))
		convert(json_object_get(s, "not"), flags & ~GATE_CRD_CLOSED_ROOT, depth + 1, 1);
}

/* root: this schema is not closed itself (the document's root, or a branch) */
static void convert(json_t *s, int flags, int depth, int root)
{
	json_t *props;

	if (!json_is_object(s) || depth > MAX_DEPTH)
		return;
	if (flags & GATE_CRD_NO_DESCRIPTIONS)
		json_object_del(s, "description");
	props = json_object_get(s, "properties");
	if (json_is_object(props) && !json_object_get(s, "additionalProperties") &&
	    !json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields")) &&
	    ((!root && (flags & GATE_CRD_CLOSED)) || (root && depth == 0 && (flags & GATE_CRD_CLOSED_ROOT))))
		json_object_set_new(s, "additionalProperties", json_false());
	convert_children(s, flags, depth);
}

json_t *gate_crd_schema_convert(const json_t *openapi, int flags)
{
	json_t *root = json_is_object(openapi) ? json_deep_copy(openapi) : json_object(), *props;

	if (!root)
		return NULL;
	convert(root, flags, 0, 1);
	props = json_object_get(root, "properties");
	if ((flags & GATE_CRD_CLOSED_ROOT) && json_is_object(props) &&
	    json_is_false(json_object_get(root, "additionalProperties"))) {
		/* every object carries these, whether the CRD says so or not */
		if (!json_object_get(props, "apiVersion"))
			json_object_set_new(props, "apiVersion", json_pack("{s:s}", "type", "string"));
		if (!json_object_get(props, "kind"))
			json_object_set_new(props, "kind", json_pack("{s:s}", "type", "string"));
		if (!json_object_get(props, "metadata"))
			json_object_set_new(props, "metadata", json_pack("{s:s}", "type", "object"));
	}
	return root;
}

static const struct gate_node *get(const struct gate_node *o, const char *k)
{
	return o && o->type == GATE_NODE_OBJECT ? gate_node_get(o, k) : NULL;
}

static const char *get_str(const struct gate_node *o, const char *k)
{
	return o && o->type == GATE_NODE_OBJECT ? gate_node_get_str(o, k) : NULL;
}

static int one_crd(const struct gate_node *root, gate_crd_version_fn fn, void *payload)
{
	const struct gate_node *spec, *versions, *legacy;
	const char *av = get_str(root, "apiVersion"), *k = get_str(root, "kind");
	struct gate_crd_version v;
	uint32_t i;
	int rc;

	if (!av || strncmp(av, "apiextensions.k8s.io/", 21) || !k || strcmp(k, "CustomResourceDefinition"))
		return 0;
	spec = get(root, "spec");
	memset(&v, 0, sizeof(v));
	v.name = get_str(get(root, "metadata"), "name");
	v.group = get_str(spec, "group");
	v.kind = get_str(get(spec, "names"), "kind");
	if (!v.group || !v.kind)
		return 0;
	legacy = get(get(spec, "validation"), "openAPIV3Schema");
	versions = get(spec, "versions");
	if (versions && versions->type == GATE_NODE_ARRAY) {
		for (i = 0; i < versions->len; i++) {
			const struct gate_node *it = &versions->u.items[i], *served;
			if (!(v.version = get_str(it, "name")))
				continue;
			served = get(it, "served");
			v.served = !served || served->type != GATE_NODE_BOOL || served->u.boolean;
			v.schema = get(get(it, "schema"), "openAPIV3Schema");
			if (!v.schema) /* v1beta1: one schema for all versions */
				v.schema = legacy;
			if ((rc = fn(&v, payload)) != 0)
				return rc;
		}
		return 0;
	}
	if ((v.version = get_str(spec, "version"))) {
		v.served = 1;
		v.schema = legacy;
		return fn(&v, payload);
	}
	return 0;
}

int gate_crd_each_version(const struct gate_node *root, gate_crd_version_fn fn, void *payload)
{
	const struct gate_node *items = get(root, "items");
	const char *k = get_str(root, "kind");
	uint32_t i;
	int rc;

	if (items && items->type == GATE_NODE_ARRAY && k && !strcmp(k, "List")) {
		for (i = 0; i < items->len; i++)
			if ((rc = one_crd(&items->u.items[i], fn, payload)) != 0)
				return rc;
		return 0;
	}
	return root ? one_crd(root, fn, payload) : 0;
}

static int safe_part(const char *s)
{
	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (*s == '/' || *s == '\\' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int gate_crd_catalog_path(char *buf, size_t bufsize, const char *group, const char *kind,
	const char *version)
{
	size_t n, i;
	int w;

	if (!safe_part(group) || !safe_part(kind) || !safe_part(version) || !bufsize)
		return -1;
	w = snprintf(buf, bufsize, "%s/%s_%s.json", group, kind, version);
	if (w < 0 || (size_t)w >= bufsize)
		return -1;
	n = strlen(group) + 1;
	for (i = n; i < n + strlen(kind); i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	return 0;
}
