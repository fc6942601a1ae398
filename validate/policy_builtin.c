/*
 * policy_builtin: the built-in checks.  Each resource is looked at once: the
 * pod spec is resolved from the kind, then only the paths the enabled checks
 * need are read.  Nothing is allocated unless a problem is reported.
 */
#include "policy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate/podspec.h"

const struct gate_policy_check_info policy_builtin_info[NBUILTIN] = {
	[CHECK_PRIVILEGED] = { "privileged", GATE_SEV_DENY,
		"container runs privileged" },
	[CHECK_PRIVILEGE_ESCALATION] = { "privilege-escalation", GATE_SEV_DENY,
		"container allows privilege escalation" },
	[CHECK_RUN_AS_NON_ROOT] = { "run-as-non-root", GATE_SEV_WARN,
		"container may run as root" },
	[CHECK_READONLY_ROOT_FS] = { "readonly-root-filesystem", GATE_SEV_WARN,
		"container root filesystem is writable" },
	[CHECK_DANGEROUS_CAPS] = { "dangerous-capabilities", GATE_SEV_DENY,
		"container adds a dangerous capability" },
	[CHECK_HOST_NETWORK] = { "host-network", GATE_SEV_DENY,
		"pod uses the host network" },
	[CHECK_HOST_PID] = { "host-pid", GATE_SEV_DENY,
		"pod shares the host process namespace" },
	[CHECK_HOST_IPC] = { "host-ipc", GATE_SEV_DENY,
		"pod shares the host ipc namespace" },
	[CHECK_HOST_PATH] = { "host-path", GATE_SEV_WARN,
		"pod mounts a host path" },
	[CHECK_DOCKER_SOCKET] = { "docker-socket", GATE_SEV_DENY,
		"pod mounts the container runtime socket" },
	[CHECK_HOST_ROOT] = { "host-root", GATE_SEV_DENY,
		"pod mounts the host's root filesystem" },
	[CHECK_IMAGE_TAG_LATEST] = { "image-tag-latest", GATE_SEV_DENY,
		"image has no tag or is tagged latest" },
	[CHECK_IMAGE_REGISTRY] = { "image-registry", GATE_SEV_DENY,
		"image is not from an allowed registry" },
	[CHECK_RESOURCES_REQUESTS] = { "resources-requests", GATE_SEV_WARN,
		"container has no cpu or memory request" },
	[CHECK_RESOURCES_LIMITS] = { "resources-limits", GATE_SEV_WARN,
		"container has no cpu or memory limit" },
	[CHECK_LIVENESS_PROBE] = { "liveness-probe", GATE_SEV_WARN,
		"container has no liveness probe" },
	[CHECK_READINESS_PROBE] = { "readiness-probe", GATE_SEV_WARN,
		"container has no readiness probe" },
	[CHECK_SERVICE_TYPE] = { "service-type", GATE_SEV_WARN,
		"service of type NodePort or LoadBalancer" },
	[CHECK_DEFAULT_NAMESPACE] = { "default-namespace", GATE_SEV_WARN,
		"object in the default namespace" },
	[CHECK_REMOVED_API] = { "removed-api", GATE_SEV_DENY,
		"api version removed in the target kubernetes version" },
	[CHECK_SELECTOR_MISMATCH] = { "selector-mismatch", GATE_SEV_DENY,
		"selector does not match the pod template labels" },
	[CHECK_DUPLICATE_ENV] = { "duplicate-env", GATE_SEV_WARN,
		"container sets an environment variable twice" },
	[CHECK_SECRET_PLAINTEXT] = { "secret-plaintext", GATE_SEV_DENY,
		"secret holds data that is not sops-encrypted" },
};

const struct gate_policy_check_info *gate_policy_builtin_checks(size_t *n)
{
	*n = NBUILTIN;
	return policy_builtin_info;
}

#define ON(c, check) ((c)->p->level[check] != LEVEL_OFF)
#define SEV(c, check) ((enum gate_severity)(c)->p->level[check])
#define ID(check) (policy_check_ids[check])

static int is_obj(const struct gate_node *n)
{
	return n && n->type == GATE_NODE_OBJECT;
}

static const struct gate_node *obj_get(const struct gate_node *n, const char *key)
{
	return is_obj(n) ? gate_node_get(n, key) : NULL;
}

static int is_true(const struct gate_node *n)
{
	return n && n->type == GATE_NODE_BOOL && n->u.boolean;
}

/* One container being checked. */
struct ctr {
	const struct gate_node *node;
	char base[384];    /* its JSON pointer (pointers are capped: see ptr[512] below) */
	const char *name;
	const struct gate_node *sc; /* securityContext */
};

static void ctr_ptr(char *buf, size_t size, const struct gate_podspec *ps, const struct ctr *ct,
	const char *rest)
{
	(void)ps;
	snprintf(buf, size, "%s%s", ct->base, rest);
}

#define NAMEFMT "%.100s"

static void check_security(struct pctx *c, const struct gate_podspec *ps, const struct ctr *ct)
{
	char ptr[512];
	const struct gate_node *sc = ct->sc, *psc = obj_get(ps->spec, "securityContext");
	const struct gate_node *n;

	if (ON(c, CHECK_PRIVILEGED) && is_true(n = obj_get(sc, "privileged"))) {
		ctr_ptr(ptr, sizeof(ptr), ps, ct, "/securityContext/privileged");
		policy_report(c, ID(CHECK_PRIVILEGED), SEV(c, CHECK_PRIVILEGED), n, ptr,
			"container \"" NAMEFMT "\" is privileged", ct->name);
	}
	if (ON(c, CHECK_PRIVILEGE_ESCALATION) &&
	    is_true(n = obj_get(sc, "allowPrivilegeEscalation"))) {
		ctr_ptr(ptr, sizeof(ptr), ps, ct, "/securityContext/allowPrivilegeEscalation");
		policy_report(c, ID(CHECK_PRIVILEGE_ESCALATION), SEV(c, CHECK_PRIVILEGE_ESCALATION),
			n, ptr, "container \"" NAMEFMT "\" allows privilege escalation", ct->name);
	}
	if (ON(c, CHECK_RUN_AS_NON_ROOT)) {
		const struct gate_node *nonroot = obj_get(sc, "runAsNonRoot");
		const struct gate_node *user = obj_get(sc, "runAsUser");
		const char *where = "/securityContext/runAsUser";

		if (!nonroot || nonroot->type != GATE_NODE_BOOL)
			nonroot = obj_get(psc, "runAsNonRoot");
		if (!user || user->type != GATE_NODE_NUMBER) {
			user = obj_get(psc, "runAsUser");
			where = NULL;
		}
		if (user && user->type == GATE_NODE_NUMBER && user->u.number == 0) {
			char pp[256];
			if (where)
				ctr_ptr(ptr, sizeof(ptr), ps, ct, where);
			else
				snprintf(pp, sizeof(pp), "%s/securityContext/runAsUser", ps->ptr);
			policy_report(c, ID(CHECK_RUN_AS_NON_ROOT), SEV(c, CHECK_RUN_AS_NON_ROOT),
				user, where ? ptr : pp,
				"container \"" NAMEFMT "\" runs as root (runAsUser: 0)", ct->name);
		} else if (!is_true(nonroot) &&
			   !(user && user->type == GATE_NODE_NUMBER && user->u.number > 0)) {
			ctr_ptr(ptr, sizeof(ptr), ps, ct, "");
			policy_report(c, ID(CHECK_RUN_AS_NON_ROOT), SEV(c, CHECK_RUN_AS_NON_ROOT),
				ct->node, ptr, "container \"" NAMEFMT "\" may run as root: set "
				"securityContext.runAsNonRoot: true or a non-zero runAsUser", ct->name);
		}
	}
	if (ON(c, CHECK_READONLY_ROOT_FS) && !is_true(obj_get(sc, "readOnlyRootFilesystem"))) {
		n = obj_get(sc, "readOnlyRootFilesystem");
		ctr_ptr(ptr, sizeof(ptr), ps, ct,
			n ? "/securityContext/readOnlyRootFilesystem" : "");
		policy_report(c, ID(CHECK_READONLY_ROOT_FS), SEV(c, CHECK_READONLY_ROOT_FS),
			n ? n : ct->node, ptr, "container \"" NAMEFMT "\" has a writable root "
			"filesystem: set securityContext.readOnlyRootFilesystem: true", ct->name);
	}
	if (ON(c, CHECK_DANGEROUS_CAPS)) {
		static const char *const bad[] = {
			"ALL", "SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_MODULE",
			"SYS_RAWIO", "SYS_BOOT", "SYS_TIME", "DAC_READ_SEARCH", "BPF", "PERFMON",
		};
		const struct gate_node *add = obj_get(obj_get(sc, "capabilities"), "add");
		size_t i, j;

		if (add && add->type == GATE_NODE_ARRAY) {
			for (i = 0; i < add->len; i++) {
				const struct gate_node *cap = &add->u.items[i];
				const char *s;

				if (cap->type != GATE_NODE_STRING)
					continue;
				s = cap->u.str;
				if (!strncasecmp(s, "CAP_", 4))
					s += 4;
				for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++)
					if (!strcasecmp(s, bad[j]))
						break;
				if (j == sizeof(bad) / sizeof(bad[0]))
					continue;
				snprintf(ptr, sizeof(ptr), "%s/securityContext/capabilities/add/%zu",
					ct->base, i);
				policy_report(c, ID(CHECK_DANGEROUS_CAPS), SEV(c, CHECK_DANGEROUS_CAPS),
					cap, ptr, "container \"" NAMEFMT "\" adds dangerous capability "
					"\"%.40s\"", ct->name, cap->u.str);
			}
		}
	}
}

/* Write the image reference with its registry made explicit into buf. */
static void image_normalize(char *buf, size_t size, const char *image)
{
	const char *slash = strchr(image, '/');
	int explicit_registry = 0;

	if (slash) {
		const char *q;
		for (q = image; q < slash; q++)
			if (*q == '.' || *q == ':')
				explicit_registry = 1;
		if (slash - image == 9 && !strncmp(image, "localhost", 9))
			explicit_registry = 1;
	}
	if (explicit_registry)
		snprintf(buf, size, "%s", image);
	else if (slash)
		snprintf(buf, size, "docker.io/%s", image);
	else
		snprintf(buf, size, "docker.io/library/%s", image);
}

static void check_image(struct pctx *c, const struct gate_podspec *ps, const struct ctr *ct)
{
	const struct gate_node *img = obj_get(ct->node, "image");
	const char *s, *slash, *colon;
	char ptr[512];

	if (!img || img->type != GATE_NODE_STRING)
		return;
	s = img->u.str;
	if (ON(c, CHECK_IMAGE_TAG_LATEST) && !strchr(s, '@')) {
		slash = strrchr(s, '/');
		colon = strchr(slash ? slash : s, ':');
		if (!colon || !colon[1] || !strcmp(colon + 1, "latest")) {
			ctr_ptr(ptr, sizeof(ptr), ps, ct, "/image");
			policy_report(c, ID(CHECK_IMAGE_TAG_LATEST), SEV(c, CHECK_IMAGE_TAG_LATEST),
				img, ptr, colon && colon[1] ?
				"container \"" NAMEFMT "\" image \"%.200s\" uses the latest tag: pin a version or digest" :
				"container \"" NAMEFMT "\" image \"%.200s\" has no tag: pin a version or digest",
				ct->name, s);
		}
	}
	if (ON(c, CHECK_IMAGE_REGISTRY) && c->p->nregistries) {
		char norm[1024];
		size_t i;

		image_normalize(norm, sizeof(norm), s);
		for (i = 0; i < c->p->nregistries; i++)
			if (policy_re_match(c->p->registries[i], norm, strlen(norm)) > 0)
				break;
		if (i == c->p->nregistries) {
			ctr_ptr(ptr, sizeof(ptr), ps, ct, "/image");
			policy_report(c, ID(CHECK_IMAGE_REGISTRY), SEV(c, CHECK_IMAGE_REGISTRY), img, ptr,
				"container \"" NAMEFMT "\" image \"%.200s\" is not from an allowed registry",
				ct->name, s);
		}
	}
}

static void check_resources(struct pctx *c, const struct gate_podspec *ps, const struct ctr *ct)
{
	const struct gate_node *res = obj_get(ct->node, "resources");
	static const int checks[2] = { CHECK_RESOURCES_REQUESTS, CHECK_RESOURCES_LIMITS };
	static const char *const keys[2] = { "requests", "limits" };
	int i;

	for (i = 0; i < 2; i++) {
		const struct gate_node *r;
		int cpu, mem;
		char ptr[512];

		if (!ON(c, checks[i]))
			continue;
		r = obj_get(res, keys[i]);
		cpu = obj_get(r, "cpu") != NULL;
		mem = obj_get(r, "memory") != NULL;
		if (cpu && mem)
			continue;
		ctr_ptr(ptr, sizeof(ptr), ps, ct, r ? (i ? "/resources/limits" : "/resources/requests") : "");
		policy_report(c, ID(checks[i]), SEV(c, checks[i]), r ? r : ct->node, ptr,
			"container \"" NAMEFMT "\" has no %s %s", ct->name,
			!cpu && !mem ? "cpu and memory" : !cpu ? "cpu" : "memory",
			i ? (!cpu && !mem ? "limits" : "limit") : (!cpu && !mem ? "requests" : "request"));
	}
}

static void check_probes(struct pctx *c, const struct gate_podspec *ps, const struct ctr *ct)
{
	char ptr[512];

	if (ON(c, CHECK_LIVENESS_PROBE) && !obj_get(ct->node, "livenessProbe")) {
		ctr_ptr(ptr, sizeof(ptr), ps, ct, "");
		policy_report(c, ID(CHECK_LIVENESS_PROBE), SEV(c, CHECK_LIVENESS_PROBE), ct->node, ptr,
			"container \"" NAMEFMT "\" has no liveness probe", ct->name);
	}
	if (ON(c, CHECK_READINESS_PROBE) && !obj_get(ct->node, "readinessProbe")) {
		ctr_ptr(ptr, sizeof(ptr), ps, ct, "");
		policy_report(c, ID(CHECK_READINESS_PROBE), SEV(c, CHECK_READINESS_PROBE), ct->node, ptr,
			"container \"" NAMEFMT "\" has no readiness probe", ct->name);
	}
}

static void check_env(struct pctx *c, const struct gate_podspec *ps, const struct ctr *ct)
{
	const struct gate_node *env = obj_get(ct->node, "env");
	size_t i, j;

	if (!env || env->type != GATE_NODE_ARRAY || env->len < 2)
		return;
	/* quadratic, but env lists are short; bounded to keep hostile input cheap */
	for (i = 1; i < env->len && i < 1024; i++) {
		const char *name = gate_node_get_str(&env->u.items[i], "name");

		if (!is_obj(&env->u.items[i]) || !name)
			continue;
		for (j = 0; j < i; j++) {
			const char *prev;
			char ptr[512];

			if (!is_obj(&env->u.items[j]) || !(prev = gate_node_get_str(&env->u.items[j], "name")))
				continue;
			if (strcmp(prev, name))
				continue;
			snprintf(ptr, sizeof(ptr), "%s/env/%zu", ct->base, i);
			policy_report(c, ID(CHECK_DUPLICATE_ENV), SEV(c, CHECK_DUPLICATE_ENV),
				&env->u.items[i], ptr, "container \"" NAMEFMT "\" sets env \"%.100s\" "
				"twice (first on line %u)", ct->name, name, env->u.items[j].line);
			break;
		}
	}
}

static void check_container(struct pctx *c, const struct gate_podspec *ps,
	const struct gate_podspec_group *g, const struct gate_node *node, size_t index)
{
	struct ctr ct;
	char fallback[32];

	if (!is_obj(node))
		return;
	ct.node = node;
	if (g->single)
		snprintf(ct.base, sizeof(ct.base), "%s/%s", ps->ptr, g->key);
	else
		snprintf(ct.base, sizeof(ct.base), "%s/%s/%zu", ps->ptr, g->key, index);
	ct.name = gate_node_get_str(ct.node, "name");
	if (!ct.name) {
		snprintf(fallback, sizeof(fallback), "#%zu", index);
		ct.name = g->single ? g->key : fallback;
	}
	ct.sc = obj_get(ct.node, "securityContext");
	check_security(c, ps, &ct);
	check_image(c, ps, &ct);
	if (strcmp(g->key, "ephemeralContainers"))
		check_resources(c, ps, &ct);
	if (!strcmp(g->key, "containers") && ps->long_running)
		check_probes(c, ps, &ct);
	if (ON(c, CHECK_DUPLICATE_ENV))
		check_env(c, ps, &ct);
}

static void check_containers(struct pctx *c, const struct gate_podspec *ps)
{
	size_t g, i;

	for (g = 0; g < ps->ngroups; g++) {
		const struct gate_podspec_group *gr = &ps->groups[g];

		if (gr->single) {
			check_container(c, ps, gr, gr->node, 0);
			continue;
		}
		for (i = 0; i < gr->node->len; i++)
			check_container(c, ps, gr, &gr->node->u.items[i], i);
	}
}

static int path_is_runtime_socket(const char *path)
{
	static const char *const socks[] = {
		"/docker.sock", "/containerd.sock", "/crio.sock", "/cri-dockerd.sock",
	};
	static const char *const dirs[] = { "/var/run", "/run", "/var/run/docker", "/run/containerd",
		"/var/run/containerd", "/var/run/crio", "/run/crio" };
	size_t i, len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		size_t sl = strlen(socks[i]);
		if (len >= sl && !strncmp(path + len - sl, socks[i], sl))
			return 1;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strlen(dirs[i]) == len && !strncmp(path, dirs[i], len))
			return 2;
	return 0;
}

/*
 * A host path as the kernel resolves it, lexically: repeated slashes and "."
 * components dropped, ".." taking back one component ("/var/run/../run//x"
 * is "/var/run/x").  Writes at most size - 1 bytes.
 */
static void path_clean(char *out, size_t size, const char *path)
{
	size_t o = 0;
	const char *p = path;

	if (size < 2)
		return;
	out[o++] = '/';
	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = p;
		while (*e && *e != '/')
			e++;
		n = (size_t)(e - p);
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
		} else if (n) {
			if (o > 1 && o < size - 1)
				out[o++] = '/';
			if (n > size - 1 - o)
				n = size - 1 - o;
			memcpy(out + o, p, n);
			o += n;
		}
		p = e;
	}
	out[o] = '\0';
}

static void check_pod(struct pctx *c, const struct gate_podspec *ps)
{
	static const struct { int check; const char *key; const char *msg; } host[3] = {
		{ CHECK_HOST_NETWORK, "hostNetwork", "pod uses the host network (hostNetwork: true)" },
		{ CHECK_HOST_PID, "hostPID", "pod shares the host process namespace (hostPID: true)" },
		{ CHECK_HOST_IPC, "hostIPC", "pod shares the host ipc namespace (hostIPC: true)" },
	};
	const struct gate_node *n, *vols;
	char ptr[512];
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!ON(c, host[i].check) || !is_true(n = obj_get(ps->spec, host[i].key)))
			continue;
		snprintf(ptr, sizeof(ptr), "%s/%s", ps->ptr, host[i].key);
		policy_report(c, ID(host[i].check), SEV(c, host[i].check), n, ptr, "%s", host[i].msg);
	}
	if (!ON(c, CHECK_HOST_PATH) && !ON(c, CHECK_DOCKER_SOCKET) && !ON(c, CHECK_HOST_ROOT))
		return;
	vols = obj_get(ps->spec, "volumes");
	if (!vols || vols->type != GATE_NODE_ARRAY)
		return;
	for (i = 0; i < vols->len; i++) {
		const struct gate_node *hp = obj_get(&vols->u.items[i], "hostPath");
		const char *name = gate_node_get_str(&vols->u.items[i], "name");
		const char *path;
		char clean[512];
		int sock;

		if (!is_obj(hp))
			continue;
		path = gate_node_get_str(hp, "path");
		if (!path)
			path = "";
		if (!name)
			name = "";
		snprintf(ptr, sizeof(ptr), "%s/volumes/%zu/hostPath", ps->ptr, i);
		if (ON(c, CHECK_HOST_PATH))
			policy_report(c, ID(CHECK_HOST_PATH), SEV(c, CHECK_HOST_PATH), hp, ptr,
				"volume \"" NAMEFMT "\" mounts host path \"%.200s\"", name, path);
		path_clean(clean, sizeof(clean), path);
		if (ON(c, CHECK_HOST_ROOT) && !strcmp(clean, "/"))
			policy_report(c, ID(CHECK_HOST_ROOT), SEV(c, CHECK_HOST_ROOT), hp, ptr,
				"volume \"" NAMEFMT "\" mounts the host's root filesystem \"%.200s\"",
				name, path);
		if (ON(c, CHECK_DOCKER_SOCKET) && (sock = path_is_runtime_socket(clean)))
			policy_report(c, ID(CHECK_DOCKER_SOCKET), SEV(c, CHECK_DOCKER_SOCKET), hp, ptr,
				sock == 1 ? "volume \"" NAMEFMT "\" mounts the container runtime socket \"%.200s\"" :
				"volume \"" NAMEFMT "\" mounts \"%.200s\", which holds the container runtime socket",
				name, path);
	}
}

/* Does the label selector sel select labels?  On mismatch writes why into why. */
static int selector_matches(const struct gate_node *sel, int plain_map,
	const struct gate_node *labels, char *why, size_t whysize)
{
	const struct gate_node *ml = plain_map ? sel : obj_get(sel, "matchLabels");
	const struct gate_node *me = plain_map ? NULL : obj_get(sel, "matchExpressions");
	size_t i, j;

	if (is_obj(ml)) {
		for (i = 0; i < ml->len; i++) {
			const struct gate_member *m = &ml->u.members[i];
			const char *have;

			if (m->value.type != GATE_NODE_STRING)
				continue;
			have = gate_node_get_str(labels, m->key);
			if (!is_obj(labels) || !have) {
				snprintf(why, whysize, "label \"%.100s\" is not in the template",
					m->key);
				return 0;
			}
			if (strcmp(have, m->value.u.str)) {
				snprintf(why, whysize, "label \"%.100s\" is \"%.100s\" in the selector, "
					"\"%.100s\" in the template", m->key, m->value.u.str, have);
				return 0;
			}
		}
	}
	if (me && me->type == GATE_NODE_ARRAY) {
		for (i = 0; i < me->len; i++) {
			const struct gate_node *e = &me->u.items[i];
			const char *key = gate_node_get_str(e, "key");
			const char *op = gate_node_get_str(e, "operator");
			const struct gate_node *vals = obj_get(e, "values");
			const char *have;
			int in = 0, ok;

			if (!is_obj(e) || !key || !op)
				continue;
			have = is_obj(labels) ? gate_node_get_str(labels, key) : NULL;
			if (have && vals && vals->type == GATE_NODE_ARRAY)
				for (j = 0; j < vals->len; j++)
					if (vals->u.items[j].type == GATE_NODE_STRING &&
					    !strcmp(vals->u.items[j].u.str, have))
						in = 1;
			if (!strcmp(op, "In"))
				ok = in;
			else if (!strcmp(op, "NotIn"))
				ok = !in;
			else if (!strcmp(op, "Exists"))
				ok = have != NULL;
			else if (!strcmp(op, "DoesNotExist"))
				ok = have == NULL;
			else
				continue; /* the schema reports unknown operators */
			if (!ok) {
				snprintf(why, whysize, "expression %s on label \"%.100s\" does not hold "
					"for the template", op, key);
				return 0;
			}
		}
	}
	return 1;
}

static void check_selector(struct pctx *c)
{
	const char *k = c->id->kind, *g = c->id->group;
	const struct gate_node *spec = obj_get(c->root, "spec"), *sel, *labels;
	int plain = 0;
	char why[400], ptr[64];

	if (!k)
		return;
	if (!g[0] && !strcmp(k, "ReplicationController"))
		plain = 1;
	else if (!((!strcmp(g, "apps") || !strcmp(g, "extensions")) &&
		   (!strcmp(k, "Deployment") || !strcmp(k, "StatefulSet") ||
		    !strcmp(k, "DaemonSet") || !strcmp(k, "ReplicaSet"))) &&
		 !(!strcmp(g, "batch") && !strcmp(k, "Job")) &&
		 !(!strcmp(g, "argoproj.io") && !strcmp(k, "Rollout")))
		return;
	sel = obj_get(spec, "selector");
	if (!is_obj(sel) || !sel->len)
		return;
	labels = obj_get(obj_get(obj_get(spec, "template"), "metadata"), "labels");
	if (selector_matches(sel, plain, labels, why, sizeof(why)))
		return;
	snprintf(ptr, sizeof(ptr), "/spec/selector");
	policy_report(c, ID(CHECK_SELECTOR_MISMATCH), SEV(c, CHECK_SELECTOR_MISMATCH), sel, ptr,
		"selector does not match the pod template labels: %s", why);
}

/* API versions removed from Kubernetes: group, version, kind ("*": any), release 1.<minor>. */
static const struct removed_api {
	const char *group, *version, *kind;
	int minor;
	const char *use;
} removed_apis[] = {
	{ "extensions", "v1beta1", "Ingress", 22, "networking.k8s.io/v1" },
	{ "extensions", "v1beta1", "Deployment", 16, "apps/v1" },
	{ "extensions", "v1beta1", "DaemonSet", 16, "apps/v1" },
	{ "extensions", "v1beta1", "ReplicaSet", 16, "apps/v1" },
	{ "extensions", "v1beta1", "NetworkPolicy", 16, "networking.k8s.io/v1" },
	{ "extensions", "v1beta1", "PodSecurityPolicy", 16, "pod security admission" },
	{ "extensions", "v1beta1", "*", 22, NULL },
	{ "apps", "v1beta1", "*", 16, "apps/v1" },
	{ "apps", "v1beta2", "*", 16, "apps/v1" },
	{ "policy", "v1beta1", "PodSecurityPolicy", 25, "pod security admission" },
	{ "policy", "v1beta1", "PodDisruptionBudget", 25, "policy/v1" },
	{ "batch", "v1beta1", "CronJob", 25, "batch/v1" },
	{ "batch", "v2alpha1", "CronJob", 21, "batch/v1" },
	{ "networking.k8s.io", "v1beta1", "Ingress", 22, "networking.k8s.io/v1" },
	{ "networking.k8s.io", "v1beta1", "IngressClass", 22, "networking.k8s.io/v1" },
	{ "rbac.authorization.k8s.io", "v1beta1", "*", 22, "rbac.authorization.k8s.io/v1" },
	{ "rbac.authorization.k8s.io", "v1alpha1", "*", 22, "rbac.authorization.k8s.io/v1" },
	{ "storage.k8s.io", "v1beta1", "CSIStorageCapacity", 27, "storage.k8s.io/v1" },
	{ "storage.k8s.io", "v1beta1", "CSIDriver", 22, "storage.k8s.io/v1" },
	{ "storage.k8s.io", "v1beta1", "CSINode", 22, "storage.k8s.io/v1" },
	{ "storage.k8s.io", "v1beta1", "StorageClass", 22, "storage.k8s.io/v1" },
	{ "storage.k8s.io", "v1beta1", "VolumeAttachment", 22, "storage.k8s.io/v1" },
	{ "apiextensions.k8s.io", "v1beta1", "CustomResourceDefinition", 22, "apiextensions.k8s.io/v1" },
	{ "apiregistration.k8s.io", "v1beta1", "APIService", 22, "apiregistration.k8s.io/v1" },
	{ "admissionregistration.k8s.io", "v1beta1", "MutatingWebhookConfiguration", 22,
		"admissionregistration.k8s.io/v1" },
	{ "admissionregistration.k8s.io", "v1beta1", "ValidatingWebhookConfiguration", 22,
		"admissionregistration.k8s.io/v1" },
	{ "authentication.k8s.io", "v1beta1", "TokenReview", 22, "authentication.k8s.io/v1" },
	{ "authorization.k8s.io", "v1beta1", "*", 22, "authorization.k8s.io/v1" },
	{ "certificates.k8s.io", "v1beta1", "CertificateSigningRequest", 22, "certificates.k8s.io/v1" },
	{ "coordination.k8s.io", "v1beta1", "Lease", 22, "coordination.k8s.io/v1" },
	{ "scheduling.k8s.io", "v1beta1", "PriorityClass", 22, "scheduling.k8s.io/v1" },
	{ "discovery.k8s.io", "v1beta1", "EndpointSlice", 25, "discovery.k8s.io/v1" },
	{ "events.k8s.io", "v1beta1", "Event", 25, "events.k8s.io/v1" },
	{ "autoscaling", "v2beta1", "HorizontalPodAutoscaler", 25, "autoscaling/v2" },
	{ "autoscaling", "v2beta2", "HorizontalPodAutoscaler", 26, "autoscaling/v2" },
	{ "node.k8s.io", "v1beta1", "RuntimeClass", 25, "node.k8s.io/v1" },
	{ "flowcontrol.apiserver.k8s.io", "v1beta1", "*", 26, "flowcontrol.apiserver.k8s.io/v1" },
	{ "flowcontrol.apiserver.k8s.io", "v1beta2", "*", 29, "flowcontrol.apiserver.k8s.io/v1" },
	{ "flowcontrol.apiserver.k8s.io", "v1beta3", "*", 32, "flowcontrol.apiserver.k8s.io/v1" },
};

int policy_parse_k8s_minor(const char *version, int *minor)
{
	const char *s = version;
	char *end;
	long major, mi;

	if (!s || !*s || !strcmp(s, "master") || !strcmp(s, "latest")) {
		*minor = 1 << 20;
		return 0;
	}
	if (*s == 'v')
		s++;
	major = strtol(s, &end, 10);
	if (end == s || major != 1 || *end != '.')
		return -1;
	s = end + 1;
	mi = strtol(s, &end, 10);
	if (end == s || mi < 0 || mi > 1000 || (*end && *end != '.'))
		return -1;
	*minor = (int)mi;
	return 0;
}

static void check_removed_api(struct pctx *c)
{
	const struct gate_k8s_id *id = c->id;
	size_t i;
	const struct removed_api *r;
	char buf[128];

	if (!id->group[0] || !id->kind)
		return;
	for (i = 0; i < sizeof(removed_apis) / sizeof(removed_apis[0]); i++) {
		r = &removed_apis[i];
		if (r->group[0] != id->group[0] || strcmp(r->group, id->group) ||
		    strcmp(r->version, id->version) ||
		    (strcmp(r->kind, "*") && strcmp(r->kind, id->kind)))
			continue;
		if (r->minor > c->p->target_minor)
			return;
		if (r->use)
			snprintf(buf, sizeof(buf), ": use %s", r->use);
		else
			buf[0] = '\0';
		policy_report(c, ID(CHECK_REMOVED_API), SEV(c, CHECK_REMOVED_API),
			gate_node_get(c->root, "apiVersion"), "/apiVersion",
			"%s/%s %.100s was removed in kubernetes 1.%d%s", id->group, id->version,
			id->kind, r->minor, buf);
		return;
	}
}

static void on_pod(const struct gate_podspec *ps, void *payload)
{
	struct pctx *c = payload;

	check_pod(c, ps);
	check_containers(c, ps);
}

void policy_builtin_run(struct pctx *c)
{
	const char *ns;

	if (gate_podspec_find(c->id, c->root, on_pod, c) < 0) {
		gate_result_add_problem(c->res, "", c->root->line, c->root->col, "pod-search",
			GATE_SEV_DENY, "pod specs nested too deep or too many to check");
		if (c->res->status == GATE_STATUS_VALID)
			c->res->status = GATE_STATUS_INVALID;
	}
	if (ON(c, CHECK_SELECTOR_MISMATCH))
		check_selector(c);
	if (ON(c, CHECK_SERVICE_TYPE) && !c->id->group[0] && c->id->kind &&
	    !strcmp(c->id->kind, "Service")) {
		const struct gate_node *t = obj_get(obj_get(c->root, "spec"), "type");

		if (t && t->type == GATE_NODE_STRING &&
		    (!strcmp(t->u.str, "NodePort") || !strcmp(t->u.str, "LoadBalancer")))
			policy_report(c, ID(CHECK_SERVICE_TYPE), SEV(c, CHECK_SERVICE_TYPE), t,
				"/spec/type", "service type %s exposes the service outside the cluster",
				t->u.str);
	}
	ns = c->id->namespace_;
	if (ON(c, CHECK_DEFAULT_NAMESPACE) && ns && !strcmp(ns, "default"))
		policy_report(c, ID(CHECK_DEFAULT_NAMESPACE), SEV(c, CHECK_DEFAULT_NAMESPACE),
			gate_node_get(obj_get(c->root, "metadata"), "namespace"), "/metadata/namespace",
			"object is in the default namespace");
	if (ON(c, CHECK_REMOVED_API))
		check_removed_api(c);
}
