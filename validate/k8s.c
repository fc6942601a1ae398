/*
 * k8s: resource identity and kubeconform-compatible schema location
 * templates.  The schema store itself lives in store.c.
 */
#include "gate/k8s.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gate/result.h"
#include "gate/util.h"

/* kubeconform's default file-name pattern, appended to folder-only locations */
#define FOLDER_SUFFIX "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/" \
	"{{ .ResourceKind }}{{ .KindSuffix }}.json"

/*
 * kubeconform's Resource.SignatureFromMap: kind and apiVersion must be
 * strings (a missing or non-string kind is "missing 'kind' key", checked
 * first); metadata.name and metadata.namespace are optional strings.
 */
/* apiVersion, name and namespace into id (kind is set by the caller) */
static int id_fill(struct gate_k8s_id *id, const char *av, const struct gate_node *root,
	char *msg, size_t msgsize)
{
	const struct gate_node *meta;
	const char *slash, *last;
	size_t glen, vlen;

	id->api_version = av;
	meta = gate_node_get(root, "metadata");
	if (meta && meta->type == GATE_NODE_OBJECT) {
		id->name = gate_node_get_str(meta, "name");
		id->namespace_ = gate_node_get_str(meta, "namespace");
	}

	/*
	 * kubeconform splits apiVersion at '/': the group is the first part,
	 * the version the last ("apps/v1" -> apps, v1; "v1" -> "", v1).
	 */
	slash = strchr(av, '/');
	last = strrchr(av, '/');
	glen = slash ? (size_t)(slash - av) : 0;
	vlen = strlen(last ? last + 1 : av);
	if (glen >= sizeof(id->group) || vlen >= sizeof(id->version)) {
		snprintf(msg, msgsize, "apiVersion too long (%zu bytes)", strlen(av));
		memset(id, 0, sizeof(*id));
		return -1;
	}
	memcpy(id->group, av, glen);
	id->group[glen] = '\0';
	memcpy(id->version, last ? last + 1 : av, vlen + 1);
	return 0;
}

/* The identity of a result that could not be judged (see k8s.h). */
void gate_k8s_identity_lenient(struct gate_result *r, const struct gate_node *root)
{
	const struct gate_node *meta;
	const char *gen;

	if (!root || root->type != GATE_NODE_OBJECT)
		return;
	if (!r->api_version)
		r->api_version = gate_xstrdup(gate_node_get_str(root, "apiVersion"));
	if (!r->kind)
		r->kind = gate_xstrdup(gate_node_get_str(root, "kind"));
	meta = gate_node_get(root, "metadata");
	if (!meta || meta->type != GATE_NODE_OBJECT)
		return;
	gen = gate_node_get_str(meta, "generateName");
	if (!r->name)
		r->name = gen && *gen ? gate_xasprintf("%s{{ generateName }}", gen) :
			gate_xstrdup(gate_node_get_str(meta, "name"));
	if (!r->namespace_)
		r->namespace_ = gate_xstrdup(gate_node_get_str(meta, "namespace"));
}

/*
 * kubeconform's Resource.SignatureFromMap: kind and apiVersion must be
 * strings (a missing or non-string kind is "missing 'kind' key", checked
 * first); metadata.name and metadata.namespace are optional strings.
 */
int gate_k8s_id_read(struct gate_k8s_id *id, const struct gate_node *root,
	char *msg, size_t msgsize)
{
	const char *av;

	memset(id, 0, sizeof(*id));
	if (!root || root->type != GATE_NODE_OBJECT) {
		snprintf(msg, msgsize, "resource is not a mapping");
		return -1;
	}
	if (!(id->kind = gate_node_get_str(root, "kind"))) {
		snprintf(msg, msgsize, "missing 'kind' key");
		return -1;
	}
	if (!(av = gate_node_get_str(root, "apiVersion"))) {
		id->kind = NULL;
		snprintf(msg, msgsize, "missing 'apiVersion' key");
		return -1;
	}
	return id_fill(id, av, root, msg, msgsize);
}

static int ends_with_list(const char *kind)
{
	size_t n = kind ? strlen(kind) : 0;

	return n >= 4 && (!strcmp(kind + n - 4, "List") || !strcasecmp(kind, "list"));
}

enum gate_k8s_list gate_k8s_list_kind(const struct gate_node *root)
{
	const struct gate_node *items;

	if (!root || root->type != GATE_NODE_OBJECT)
		return GATE_K8S_NOT_LIST;
	if (ends_with_list(gate_node_get_str(root, "kind")))
		return GATE_K8S_LIST;
	items = gate_node_get(root, "items");
	return items && items->type == GATE_NODE_ARRAY ? GATE_K8S_ITEMS_ON_OBJECT : GATE_K8S_NOT_LIST;
}

const struct gate_node *gate_k8s_list_items(const struct gate_node *root)
{
	const struct gate_node *items;

	if (gate_k8s_list_kind(root) != GATE_K8S_LIST)
		return NULL;
	items = gate_node_get(root, "items");
	return items && items->type == GATE_NODE_ARRAY ? items : NULL;
}

int gate_k8s_item_id_read(struct gate_k8s_id *id, const struct gate_node *item,
	const struct gate_node *list, char *kindbuf, size_t kindsize, int *inherited,
	char *msg, size_t msgsize)
{
	const char *lk, *lav;
	size_t n;

	*inherited = 0;
	if (!item || item->type != GATE_NODE_OBJECT || !list || gate_node_get(item, "kind") ||
	    gate_node_get(item, "apiVersion"))
		return gate_k8s_id_read(id, item, msg, msgsize);
	memset(id, 0, sizeof(*id));
	lk = gate_node_get_str(list, "kind");
	lav = gate_node_get_str(list, "apiVersion");
	n = lk ? strlen(lk) : 0;
	/* `List` itself gives an empty kind: kubectl refuses such an item */
	if (n <= 4 || !lav || strcmp(lk + n - 4, "List") || n - 4 >= kindsize)
		return gate_k8s_id_read(id, item, msg, msgsize);
	memcpy(kindbuf, lk, n - 4);
	kindbuf[n - 4] = '\0';
	id->kind = kindbuf;
	*inherited = 1;
	return id_fill(id, lav, item, msg, msgsize);
}

struct out {
	char *p;
	size_t left;
	int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n >= o->left) {
		o->overflow = 1;
		n = o->left ? o->left - 1 : 0;
	}
	memcpy(o->p, s, n);
	o->p += n;
	o->left -= n;
	if (o->left)
		*o->p = '\0';
}

static void put_lower(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		put(o, &c, 1);
	}
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && !memcmp(name, want, len);
}

/*
 * Expand one template.  Supports Go text/template actions of the form
 * "{{ .Field }}" with any spacing; an unknown field or any other action is a
 * bad template (kubeconform refuses such a location when it starts).
 *
 * The fields follow kubeconform's registry.schemaPath, which works on the
 * apiVersion string: Group is the part before the first '/', which for the
 * core group ("v1") is the version itself; KindSuffix is "-" plus the first
 * dot-separated label of that part, plus "-" and the version when there is
 * a group ("-apps-v1", "-networking-v1", core "-v1").
 */
int gate_k8s_expand_location(char *buf, size_t bufsize, const char *tmpl,
	const char *kind, const char *group, const char *version,
	const char *k8s_version, int strict)
{
	struct out o = { buf, bufsize, 0 };
	const char *p, *folder_suffix = NULL;
	const char *grp;
	size_t tlen;

	if (!bufsize)
		return -1;
	buf[0] = '\0';
	if (!tmpl || !kind || !version)
		return -1;
	if (!group)
		group = "";
	if (!k8s_version || !*k8s_version)
		k8s_version = "master";
	if (!strcmp(tmpl, "default"))
		tmpl = GATE_K8S_DEFAULT_LOCATION;
	tlen = strlen(tmpl);
	if (tlen < 4 || strcmp(tmpl + tlen - 4, "json"))
		folder_suffix = FOLDER_SUFFIX;
	grp = *group ? group : version;

	p = tmpl;
	for (;;) {
		const char *open = strstr(p, "{{"), *name, *close;
		size_t nlen;

		if (!open) {
			put(&o, p, strlen(p));
			if (folder_suffix) {
				p = folder_suffix;
				folder_suffix = NULL;
				continue;
			}
			break;
		}
		put(&o, p, (size_t)(open - p));
		name = open + 2;
		while (is_space(*name))
			name++;
		if (*name != '.')
			return -1;
		name++;
		for (nlen = 0; (name[nlen] >= 'A' && name[nlen] <= 'Z') ||
			(name[nlen] >= 'a' && name[nlen] <= 'z') ||
			(name[nlen] >= '0' && name[nlen] <= '9') || name[nlen] == '_'; nlen++)
			;
		close = name + nlen;
		while (is_space(*close))
			close++;
		if (close[0] != '}' || close[1] != '}')
			return -1;

		if (name_is(name, nlen, "ResourceKind")) {
			put_lower(&o, kind, strlen(kind));
		} else if (name_is(name, nlen, "ResourceAPIVersion")) {
			put(&o, version, strlen(version));
		} else if (name_is(name, nlen, "Group")) {
			put(&o, grp, strlen(grp));
		} else if (name_is(name, nlen, "GroupOrCore")) {
			/* the catalog's layout: "core" for the core group (gate extension) */
			put(&o, *group ? group : "core", strlen(*group ? group : "core"));
		} else if (name_is(name, nlen, "KindSuffix")) {
			put(&o, "-", 1);
			put_lower(&o, grp, strcspn(grp, "."));
			if (*group) {
				put(&o, "-", 1);
				put_lower(&o, version, strlen(version));
			}
		} else if (name_is(name, nlen, "NormalizedKubernetesVersion")) {
			/* "master" stays; "1.32.2" becomes "v1.32.2" (a leading v is kept once) */
			if (strcmp(k8s_version, "master") && k8s_version[0] != 'v')
				put(&o, "v", 1);
			put(&o, k8s_version, strlen(k8s_version));
		} else if (name_is(name, nlen, "StrictSuffix")) {
			if (strict)
				put(&o, "-strict", 7);
		} else {
			return -1;
		}
		p = close + 2;
	}
	return o.overflow ? -1 : 0;
}

int gate_k8s_location_template(char *buf, size_t bufsize, const char *location,
	const char *catalog_dir)
{
	int n;

	if (!bufsize || !location)
		return -1;
	if (!strcmp(location, "default"))
		n = snprintf(buf, bufsize, "%s", GATE_K8S_DEFAULT_LOCATION);
	else if (!strcmp(location, GATE_K8S_CATALOG) && catalog_dir && *catalog_dir)
		n = snprintf(buf, bufsize, "%s/%s", catalog_dir, GATE_K8S_CATALOG_LAYOUT);
	else if (!strcmp(location, GATE_K8S_CATALOG))
		return -1;
	else
		n = snprintf(buf, bufsize, "%s", location);
	return n < 0 || (size_t)n >= bufsize ? -1 : 0;
}
