/*
 * policy: the policy's shared helpers (pool, patterns, JSON pointers), its
 * queries, running the checks on a resource, ownership.  Building a policy
 * (files, options, the config section) is in policy_load.c; suppressions and
 * reporting are in policy_waivers.c.  See include/gate/policy.h.
 */
#include "policy_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/hash.h"
#include "gate/schema.h"

const char *const policy_check_ids[NCHECKS] = {
	[CHECK_PRIVILEGED] = "privileged",
	[CHECK_PRIVILEGE_ESCALATION] = "privilege-escalation",
	[CHECK_RUN_AS_NON_ROOT] = "run-as-non-root",
	[CHECK_READONLY_ROOT_FS] = "readonly-root-filesystem",
	[CHECK_DANGEROUS_CAPS] = "dangerous-capabilities",
	[CHECK_HOST_NETWORK] = "host-network",
	[CHECK_HOST_PID] = "host-pid",
	[CHECK_HOST_IPC] = "host-ipc",
	[CHECK_HOST_PATH] = "host-path",
	[CHECK_DOCKER_SOCKET] = "docker-socket",
	[CHECK_HOST_ROOT] = "host-root",
	[CHECK_IMAGE_TAG_LATEST] = "image-tag-latest",
	[CHECK_IMAGE_REGISTRY] = "image-registry",
	[CHECK_RESOURCES_REQUESTS] = "resources-requests",
	[CHECK_RESOURCES_LIMITS] = "resources-limits",
	[CHECK_LIVENESS_PROBE] = "liveness-probe",
	[CHECK_READINESS_PROBE] = "readiness-probe",
	[CHECK_SERVICE_TYPE] = "service-type",
	[CHECK_DEFAULT_NAMESPACE] = "default-namespace",
	[CHECK_REMOVED_API] = "removed-api",
	[CHECK_SELECTOR_MISMATCH] = "selector-mismatch",
	[CHECK_DUPLICATE_ENV] = "duplicate-env",
	[CHECK_SECRET_PLAINTEXT] = "secret-plaintext",
	[CHECK_SECRET_PRIVATE_KEY] = "secret-private-key",
	[CHECK_SECRET_AWS] = "secret-aws-access-key",
	[CHECK_SECRET_GITHUB] = "secret-github-token",
	[CHECK_SECRET_GITLAB] = "secret-gitlab-token",
	[CHECK_SECRET_SLACK] = "secret-slack-token",
	[CHECK_SECRET_JWT] = "secret-jwt",
	[CHECK_SECRET_GENERIC] = "secret-generic",
};

int policy_check_index(const char *id)
{
	int i;

	for (i = 0; i < NCHECKS; i++)
		if (!strcmp(policy_check_ids[i], id))
			return i;
	return -1;
}

void *policy_pool_add(struct gate_policy *p, void *mem)
{
	GATE_ALLOC_GROW(p->pool, p->npool + 1, p->apool);
	p->pool[p->npool++] = mem;
	return mem;
}

const char *gate_policy__pool_strdup(struct gate_policy *p, const char *s)
{
	return s ? policy_pool_add(p, gate_xstrdup(s)) : NULL;
}

/* PCRE2 allocations go through gate_xmalloc: out of memory is fatal everywhere. */
static void *px_malloc(PCRE2_SIZE n, void *data)
{
	(void)data;
	return gate_xmalloc(n ? n : 1);
}

static void px_free(void *ptr, void *data)
{
	(void)data;
	free(ptr);
}

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t md_key;
static pcre2_general_context *md_gctx;

static void md_destroy(void *md)
{
	pcre2_match_data_free(md);
}

static void md_init(void)
{
	md_gctx = pcre2_general_context_create(px_malloc, px_free, NULL);
	pthread_key_create(&md_key, md_destroy);
}

pcre2_match_data *policy_match_data(void)
{
	pcre2_match_data *md;

	pthread_once(&md_once, md_init);
	md = pthread_getspecific(md_key);
	if (!md) {
		md = pcre2_match_data_create(16, md_gctx);
		if (!md)
			md = gate_xmalloc(SIZE_MAX); /* dies with the usual message */
		pthread_setspecific(md_key, md);
	}
	return md;
}

int policy_re_match(const pcre2_code *re, const char *s, size_t len)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, policy_match_data(), NULL);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	return -1;
}

pcre2_code *policy_compile_re(struct gate_policy *p, const char *pattern, int flags,
	char *err, size_t errsize)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re;

	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
		(uint32_t)flags | PCRE2_UTF, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR buf[200];
		pcre2_get_error_message(code, buf, sizeof(buf));
		snprintf(err, errsize, "invalid regular expression at offset %zu: %s",
			(size_t)off, (const char *)buf);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	GATE_ALLOC_GROW(p->codes, p->ncodes + 1, p->acodes);
	p->codes[p->ncodes++] = re;
	return re;
}

void policy_ptr_add(char *buf, size_t *len, size_t cap, const char *token)
{
	size_t l = *len;

	if (l + 1 >= cap)
		return;
	buf[l++] = '/';
	for (; *token && l + 2 < cap; token++) {
		if (*token == '~' || *token == '/') {
			buf[l++] = '~';
			buf[l++] = *token == '~' ? '0' : '1';
		} else {
			buf[l++] = *token;
		}
	}
	buf[l] = '\0';
	*len = l;
}

void policy_ptr_addi(char *buf, size_t *len, size_t cap, size_t index)
{
	char num[32];

	snprintf(num, sizeof(num), "%zu", index);
	policy_ptr_add(buf, len, cap, num);
}

int gate_policy_repository_path_allowed(const struct gate_policy *p, const char *path)
{
	struct strlist l = { (const char **)p->opts.repository_policy_paths,
		p->opts.nrepository_policy_paths };

	return l.n && policy_match_path(&l, path);
}

int gate_policy_secret_scanning(const struct gate_policy *p)
{
	return p && !p->opts.no_secret_scanning;
}

int gate_policy_repository_checks(const struct gate_policy *p)
{
	return p && !p->opts.no_repository_checks;
}

int gate_policy_ratchet(const struct gate_policy *p)
{
	return p && p->opts.ratchet;
}

int gate_policy_has_owners(const struct gate_policy *p)
{
	return p && p->nowners > 0;
}

int gate_policy_path_sensitive(const struct gate_policy *p)
{
	size_t i;

	if (p->opts.nannotation_grants || p->nsecret_skip)
		return 1;
	for (i = 0; i < p->nrules; i++)
		if (p->rules[i].m.paths.n)
			return 1;
	for (i = 0; i < p->nexceptions; i++)
		if (p->exceptions[i].m.paths.n)
			return 1;
	return 0;
}

void gate_policy_fingerprint(const struct gate_policy *p, char *buf, size_t bufsize)
{
	struct gate_sha256 h;
	char hex[GATE_SHA256_HEX];

	if (!bufsize)
		return;
	gate_sha256_init(&h);
	gate_sha256_update(&h, p->fpdata.ptr, p->fpdata.len);
	if (p->any_expiry) {
		char day[32];
		time_t now = p->now;
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(day, sizeof(day), "day %Y-%m-%d\n", &tm);
		gate_sha256_update(&h, day, strlen(day));
	}
	gate_sha256_final(&h, hex);
	gate_sha256_copy_hex(buf, bufsize, hex);
}

/* ---- checking ---- */

int gate_policy_check(const struct gate_policy *p, const char *filename,
	const struct gate_k8s_id *id, const struct gate_node *root, struct gate_result *res)
{
	struct pctx c;
	const struct gate_node *meta;

	if (!root || root->type != GATE_NODE_OBJECT || !id)
		return 0;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.filename = filename ? filename : "";
	c.id = id;
	c.root = root;
	c.res = res;
	meta = gate_policy__member(root, "metadata");
	c.labels = gate_policy__member(meta, "labels");
	c.annotations = gate_policy__member(meta, "annotations");
	if (!p->opts.no_builtin_checks)
		policy_builtin_run(&c);
	if (!p->opts.no_secret_scanning && p->level[CHECK_SECRET_PLAINTEXT] != LEVEL_OFF)
		policy_secret_object(&c);
	if (p->nrules)
		policy_rules_run(&c);
	return 0;
}

static int checker_fn(void *ctx, const char *filename, const struct gate_k8s_id *id,
	const struct gate_node *root, struct gate_result *res)
{
	return gate_policy_check(ctx, filename, id, root, res);
}

int gate_policy_checker(struct gate_policy *p, struct gate_checker *out)
{
	if (!p || !out)
		return -1;
	out->check = checker_fn;
	out->ctx = p;
	return 0;
}

/* ---- ownership ---- */

static void add_names(struct gate_buf *b, const char *what, const struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n && i < 10; i++) {
		if (b->len)
			gate_buf_adds(b, ", ");
		gate_buf_addf(b, "%s \"%.100s\"", what, l->v[i]);
	}
	if (l->n > 10)
		gate_buf_adds(b, ", ...");
}

int gate_policy_owner_check(const struct gate_policy *p, const char *pusher,
	const char *const *groups, size_t ngroups, const char *const *paths, size_t npaths,
	struct gate_results *out)
{
	size_t i, j, k;
	int refused = 0;

	for (i = 0; i < npaths; i++) {
		const struct owner *o = NULL;
		struct gate_result *r;
		struct gate_buf who = GATE_BUF_INIT;
		char *m;
		int allowed = 0;

		for (j = p->nowners; j-- > 0;)
			if (policy_match_path(&p->owners[j].paths, paths[i])) {
				o = &p->owners[j];
				break;
			}
		if (!o)
			continue;
		if (pusher && *pusher && policy_strlist_has(&o->users, pusher))
			allowed = 1;
		for (k = 0; !allowed && k < ngroups; k++)
			if (groups[k] && policy_strlist_has(&o->groups, groups[k]))
				allowed = 1;
		if (allowed)
			continue;
		add_names(&who, "user", &o->users);
		add_names(&who, "group", &o->groups);
		r = gate_results_add(out);
		r->filename = gate_xstrdup(paths[i]);
		r->status = GATE_STATUS_INVALID;
		if (pusher && *pusher)
			m = gate_xasprintf("user \"%.100s\" may not change this path: it is owned by %s",
				pusher, who.len ? who.ptr : "nobody");
		else
			m = gate_xasprintf("an unidentified pusher may not change this path: it is "
				"owned by %s", who.len ? who.ptr : "nobody");
		gate_result_add_problem(r, NULL, 0, 0, "ownership", GATE_SEV_DENY, m);
		r->msg = m;
		gate_buf_release(&who);
		refused++;
	}
	return refused;
}
