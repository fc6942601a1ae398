/*
 * podspec: find pod specs by their shape, plus a table for shapes that hold
 * no containers (see include/gate/podspec.h).
 */
#include "gate/podspec.h"

#include <stdio.h>
#include <string.h>

struct walk {
	const struct gate_k8s_id *id;
	const struct gate_node *skip; /* a list's items: judged as objects of their own */
	gate_podspec_fn fn;
	void *payload;
	/* the path to the node being walked, as tokens: written out only for a pod found */
	const char *tok[GATE_PODSPEC_MAX_DEPTH + 1]; /* key, or NULL for an index */
	size_t idx[GATE_PODSPEC_MAX_DEPTH + 1];
	int depth;
	const char *prefix;           /* a pointer given whole (the table's), or NULL */
	char ptr[2048];
	int found, truncated, long_running;
};

static const char *const list_keys[] = {
	"containers", "initContainers", "ephemeralContainers", "sidecars", "steps",
};
static const char *const single_keys[] = { "container", "script", "stepTemplate" };

static int is_obj(const struct gate_node *n)
{
	return n && n->type == GATE_NODE_OBJECT;
}

static int is_container(const struct gate_node *n)
{
	return is_obj(n) && gate_node_get_str(n, "image") != NULL;
}

static int container_list(const struct gate_node *n)
{
	uint32_t i;

	if (!n || n->type != GATE_NODE_ARRAY)
		return 0;
	for (i = 0; i < n->len; i++)
		if (is_container(&n->u.items[i]))
			return 1;
	return 0;
}

/* Write the JSON pointer of the current path into w->ptr, tokens escaped (RFC 6901). */
static void write_ptr(struct walk *w)
{
	size_t len = 0;
	int d;

	w->ptr[0] = '\0';
	if (w->prefix) {
		snprintf(w->ptr, sizeof(w->ptr), "%s", w->prefix);
		return;
	}
	for (d = 0; d < w->depth; d++) {
		char num[32];
		const char *s = w->tok[d];

		if (!s) {
			snprintf(num, sizeof(num), "%zu", w->idx[d]);
			s = num;
		}
		if (len + 1 < sizeof(w->ptr))
			w->ptr[len++] = '/';
		for (; *s && len + 2 < sizeof(w->ptr); s++) {
			if (*s == '~' || *s == '/') {
				w->ptr[len++] = '~';
				w->ptr[len++] = *s == '~' ? '0' : '1';
			} else {
				w->ptr[len++] = *s;
			}
		}
		w->ptr[len] = '\0';
	}
}

static void emit(struct walk *w, struct gate_podspec *ps)
{
	if (w->found >= GATE_PODSPEC_MAX_PODS) {
		w->truncated = 1;
		return;
	}
	w->found++;
	write_ptr(w);
	ps->ptr = w->ptr;
	w->fn(ps, w->payload);
}

#define NLIST (sizeof(list_keys) / sizeof(list_keys[0]))
#define NKEYS (NLIST + sizeof(single_keys) / sizeof(single_keys[0]))

/* Index of key among list_keys then single_keys, or -1 (one pass per object: most keys fail the first byte). */
static int group_key(const char *key)
{
	size_t k;

	if (key[0] != 'c' && key[0] != 'i' && key[0] != 'e' && key[0] != 's')
		return -1;
	for (k = 0; k < NKEYS; k++) {
		const char *w = k < NLIST ? list_keys[k] : single_keys[k - NLIST];

		/* the first two bytes first: most keys that pass above match no word */
		if (w[0] == key[0] && w[1] == key[1] && !strcmp(key, w))
			return (int)k;
	}
	return -1;
}

/* The container groups of obj, in the order of list_keys then single_keys; returns how many. */
static size_t groups_of(const struct gate_node *obj, struct gate_podspec *ps)
{
	const struct gate_node *found[NKEYS];
	uint32_t i;
	size_t k;

	memset(ps, 0, sizeof(*ps));
	ps->spec = obj;
	memset(found, 0, sizeof(found));
	for (i = 0; i < obj->len; i++) {
		const struct gate_member *m = &obj->u.members[i];
		int g = group_key(m->key);

		if (g >= 0)
			found[g] = &m->value; /* a duplicate key: the last wins, as in the parser */
	}
	for (k = 0; k < NKEYS; k++) {
		if (!found[k] || (k < NLIST ? !container_list(found[k]) : !is_container(found[k])))
			continue;
		ps->groups[ps->ngroups].node = found[k];
		ps->groups[ps->ngroups].key = k < NLIST ? list_keys[k] : single_keys[k - NLIST];
		ps->groups[ps->ngroups++].single = k >= NLIST;
	}
	return ps->ngroups;
}

static int is_group(const struct gate_podspec *ps, const struct gate_node *n)
{
	size_t g;

	for (g = 0; g < ps->ngroups; g++)
		if (ps->groups[g].node == n)
			return 1;
	return 0;
}

static void walk(struct walk *w, const struct gate_node *n, int depth)
{
	struct gate_podspec ps, pt;
	uint32_t i;

	if (!n || (n->type != GATE_NODE_OBJECT && n->type != GATE_NODE_ARRAY))
		return;
	if (depth >= GATE_PODSPEC_MAX_DEPTH) {
		w->truncated = 1;
		return;
	}
	if (n->type == GATE_NODE_ARRAY) {
		for (i = 0; i < n->len; i++) {
			w->tok[w->depth] = NULL;
			w->idx[w->depth++] = i;
			walk(w, &n->u.items[i], depth + 1);
			w->depth--;
		}
		return;
	}
	if (groups_of(n, &ps)) {
		ps.long_running = w->long_running && gate_node_get(n, "containers") == ps.groups[0].node;
		emit(w, &ps);
	}
	for (i = 0; i < n->len; i++) {
		const struct gate_member *m = &n->u.members[i];

		if (is_group(&ps, &m->value) || &m->value == w->skip)
			continue; /* containers hold no pods; list items are objects of their own */
		if (m->value.type != GATE_NODE_OBJECT && m->value.type != GATE_NODE_ARRAY)
			continue;
		w->tok[w->depth++] = m->key;
		if (!strcmp(m->key, "podTemplate") && is_obj(&m->value) && !groups_of(&m->value, &pt))
			emit(w, &pt); /* Tekton: a pod template without containers */
		walk(w, &m->value, depth + 1);
		w->depth--;
	}
}

static int kind_is(const struct gate_k8s_id *id, const char *group, const char *kind)
{
	return !strcmp(id->group, group) && !strcmp(id->kind, kind);
}

/* Kinds known to run until stopped: their containers should have probes. */
static int long_running(const struct gate_k8s_id *id)
{
	static const char *const kinds[][2] = {
		{ "", "Pod" }, { "", "ReplicationController" }, { "", "PodTemplate" },
		{ "apps", "Deployment" }, { "apps", "StatefulSet" }, { "apps", "DaemonSet" },
		{ "apps", "ReplicaSet" }, { "extensions", "Deployment" }, { "extensions", "DaemonSet" },
		{ "extensions", "ReplicaSet" }, { "argoproj.io", "Rollout" },
		{ "serving.knative.dev", "Service" }, { "serving.knative.dev", "Configuration" },
		{ "serving.knative.dev", "Revision" }, { "apps.kruise.io", "CloneSet" },
		{ "apps.kruise.io", "StatefulSet" }, { "apps.kruise.io", "DaemonSet" },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kind_is(id, kinds[i][0], kinds[i][1]))
			return 1;
	return 0;
}

int gate_podspec_find(const struct gate_k8s_id *id, const struct gate_node *root,
	gate_podspec_fn fn, void *payload)
{
	struct walk w;

	if (!id || !id->kind || !is_obj(root) || !fn)
		return 0;
	memset(&w, 0, sizeof(w));
	w.id = id;
	w.fn = fn;
	w.payload = payload;
	w.long_running = long_running(id);
	if (gate_k8s_list_kind(root) != GATE_K8S_NOT_LIST)
		w.skip = gate_node_get(root, "items");
	if (!strcmp(id->group, "argoproj.io") && (!strcmp(id->kind, "Workflow") ||
	    !strcmp(id->kind, "CronWorkflow") || !strcmp(id->kind, "WorkflowTemplate") ||
	    !strcmp(id->kind, "ClusterWorkflowTemplate"))) {
		/* the workflow-wide pod fields: hostNetwork, volumes, securityContext */
		const struct gate_node *spec = gate_node_get(root, "spec");
		const char *ptr = "/spec";
		struct gate_podspec ps;

		if (!strcmp(id->kind, "CronWorkflow") && is_obj(spec)) {
			spec = gate_node_get(spec, "workflowSpec");
			ptr = "/spec/workflowSpec";
		}
		if (is_obj(spec) && !groups_of(spec, &ps)) {
			w.prefix = ptr;
			emit(&w, &ps);
			w.prefix = NULL;
		}
	}
	walk(&w, root, 0);
	return w.truncated ? -1 : w.found;
}
