/*
 * policy_int: what the policy*.c files share.  Not a public header.
 */
#ifndef GATE_POLICY_INT_H
#define GATE_POLICY_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "gate/doc.h"
#include "gate/policy.h"
#include "gate/util.h"

/* Every check id the policy knows: built-in checks first, then secret rules. */
enum policy_check {
	CHECK_PRIVILEGED = 0,
	CHECK_PRIVILEGE_ESCALATION,
	CHECK_RUN_AS_NON_ROOT,
	CHECK_READONLY_ROOT_FS,
	CHECK_DANGEROUS_CAPS,
	CHECK_HOST_NETWORK,
	CHECK_HOST_PID,
	CHECK_HOST_IPC,
	CHECK_HOST_PATH,
	CHECK_DOCKER_SOCKET,
	CHECK_HOST_ROOT,
	CHECK_IMAGE_TAG_LATEST,
	CHECK_IMAGE_REGISTRY,
	CHECK_RESOURCES_REQUESTS,
	CHECK_RESOURCES_LIMITS,
	CHECK_LIVENESS_PROBE,
	CHECK_READINESS_PROBE,
	CHECK_SERVICE_TYPE,
	CHECK_DEFAULT_NAMESPACE,
	CHECK_REMOVED_API,
	CHECK_SELECTOR_MISMATCH,
	CHECK_DUPLICATE_ENV,
	CHECK_SECRET_PLAINTEXT,
	NBUILTIN,
	/* raw-bytes secret rules */
	CHECK_SECRET_PRIVATE_KEY = NBUILTIN,
	CHECK_SECRET_AWS,
	CHECK_SECRET_GITHUB,
	CHECK_SECRET_GITLAB,
	CHECK_SECRET_SLACK,
	CHECK_SECRET_JWT,
	CHECK_SECRET_GENERIC,
	NCHECKS
};
#define NSECRET_RULES (NCHECKS - NBUILTIN)

#define LEVEL_OFF (-1)

/* A list of strings borrowed from a policy document or owned by the pool. */
struct strlist {
	const char **v;
	size_t n;
};

/* Which objects a rule or exception applies to; empty lists match all. */
struct match {
	struct strlist kinds, groups, namespaces, names, paths;
	const struct gate_node *labels; /* object: key -> string (or null: present) */
	int only_paths;                 /* no criterion other than paths */
};

enum step_kind { STEP_KEY, STEP_INDEX, STEP_ANY };

struct step {
	int kind;
	const char *key; /* STEP_KEY, NUL-terminated (pool) */
	size_t index;    /* STEP_INDEX */
};

enum cond_kind { COND_EXISTS, COND_ABSENT, COND_EQUALS, COND_IN, COND_REGEX, COND_RANGE };

struct rule {
	const char *id;
	const char *message;
	const char *field;
	enum gate_severity sev;
	struct match m;
	struct step *steps;
	size_t nsteps;
	int cond;
	const struct gate_node *value; /* equals: the value; in: the array */
	pcre2_code *re;
	double min, max;
	int has_min, has_max;
};

struct exception {
	struct strlist checks; /* ids, or "*" for all */
	struct match m;
	const char *reason;
	const char *expires;   /* YYYY-MM-DD or NULL */
	int expired;
	const char *source;    /* policy file name */
};

struct owner {
	struct strlist paths, users, groups;
};

struct gate_policy {
	struct gate_policy_opts opts; /* strings copied into the pool */
	int level[NCHECKS];          /* LEVEL_OFF or enum gate_severity */
	time_t now;
	int target_minor;            /* removed-api target: 1.<minor>; large for master */

	pcre2_code **registries;
	size_t nregistries, aregistries;
	struct rule *rules;
	size_t nrules, arules;
	struct exception *exceptions;
	size_t nexceptions, aexceptions;
	struct owner *owners;
	size_t nowners, aowners;
	pcre2_code **secret_allow;
	size_t nsecret_allow, asecret_allow;
	const char **secret_skip;
	size_t nsecret_skip, asecret_skip;
	pcre2_code *secret_re[NSECRET_RULES];
	int secret_scan_ref;         /* tests: the secret scan's plain per-byte passes */
	int any_expiry;

	/* everything to free: policy documents, allocations, compiled patterns */
	struct gate_doc **docs;
	size_t ndocs, adocs;
	void **pool;
	size_t npool, apool;
	pcre2_code **codes;
	size_t ncodes, acodes;
	struct gate_buf fpdata;      /* what the fingerprint hashes */
};

/* One check run: the resource being judged. */
struct pctx {
	const struct gate_policy *p;
	const char *filename;
	const struct gate_k8s_id *id;
	const struct gate_node *root;
	const struct gate_node *labels;      /* metadata.labels or NULL */
	const struct gate_node *annotations; /* metadata.annotations or NULL */
	struct gate_result *res;
};

/* policy.c */
extern const char *const policy_check_ids[NCHECKS];
int policy_check_index(const char *id);
void *policy_pool_add(struct gate_policy *p, void *mem);
/* policy.c: s copied into p's pool (valid while p lives), or NULL for NULL */
const char *gate_policy__pool_strdup(struct gate_policy *p, const char *s);
/* policy.c: member key of obj when obj is an object, else NULL (borrowed) */
const struct gate_node *gate_policy__member(const struct gate_node *obj, const char *key);
pcre2_code *policy_compile_re(struct gate_policy *p, const char *pattern, int flags,
	char *err, size_t errsize);
pcre2_match_data *policy_match_data(void);
int policy_re_match(const pcre2_code *re, const char *s, size_t len);
/* policy_waivers.c: report a problem of check id rule at node at (pointer may be NULL), applying suppressions. */
void policy_report(struct pctx *c, const char *rule, enum gate_severity sev,
	const struct gate_node *at, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Append a JSON-pointer token (escaped) to buf[*len] of size cap; truncates silently. */
void policy_ptr_add(char *buf, size_t *len, size_t cap, const char *token);
void policy_ptr_addi(char *buf, size_t *len, size_t cap, size_t index);

/* policy_builtin.c */
extern const struct gate_policy_check_info policy_builtin_info[NBUILTIN];
void policy_builtin_run(struct pctx *c);
int policy_parse_k8s_minor(const char *version, int *minor);

/* policy_rules.c */
int policy_match(const struct match *m, const struct pctx *c);
int policy_match_path(const struct strlist *globs, const char *filename);
int policy_path_parse(struct gate_policy *p, const char *text, struct step **steps,
	size_t *nsteps, char *err, size_t errsize);
int policy_quantity(const char *s, double *out);
void policy_rules_run(struct pctx *c);

/* policy_waivers.c */
int policy_strlist_has(const struct strlist *l, const char *s);
/* Parse YYYY-MM-DD (a date that exists); *end is the start of the next day, UTC. Returns 0 or -1. */
int policy_parse_date(const char *s, time_t *end);

/* policy_secrets.c */
int policy_secrets_compile(struct gate_policy *p, char *msg, size_t msgsize);
void policy_secret_object(struct pctx *c);
/*
 * Where each secret rule's prefilter literals first occur in buf (len: none):
 * the fast pass, and the plain one it must always agree with (tests).
 */
void policy_secrets_first_hits(const char *buf, size_t len, size_t start[NSECRET_RULES]);
void policy_secrets_first_hits_ref(const char *buf, size_t len, size_t start[NSECRET_RULES]);

#endif
