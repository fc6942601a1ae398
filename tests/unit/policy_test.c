/*
 * policy_test: loading and compiling policy files, custom rule conditions,
 * suppressions and their governance, secret scanning, ownership, threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gate/doc.h"
#include "gate/k8s.h"
#include "gate/policy.h"
#include "gate/result.h"
#include "gate/util.h"
#include "../tap.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

static struct gate_policy *make_policy(const struct gate_policy_opts *extra, const char *yaml)
{
	struct gate_policy_opts o;
	struct gate_policy *p = NULL;
	char msg[1024];

	if (extra)
		o = *extra;
	else
		memset(&o, 0, sizeof(o));
	if (!o.now)
		o.now = NOW;
	if (gate_policy_new(&p, &o, msg, sizeof(msg)) < 0) {
		diag("gate_policy_new: %s", msg);
		return NULL;
	}
	if (yaml && gate_policy_load_buffer(p, "policy.yaml", yaml, strlen(yaml), msg, sizeof(msg)) < 0) {
		diag("load: %s", msg);
		gate_policy_free(p);
		return NULL;
	}
	return p;
}

/* Load yaml into p; returns the message on failure ("" on success). */
static const char *load_msg(struct gate_policy *p, const char *yaml)
{
	static char msg[1024];

	msg[0] = '\0';
	if (gate_policy_load_buffer(p, "policy.yaml", yaml, strlen(yaml), msg, sizeof(msg)) == 0)
		return "";
	return msg;
}

/* Check one YAML document; fills res (release it). */
static int check_doc(const struct gate_policy *p, const char *filename, const char *yaml,
	struct gate_result *res)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;
	struct gate_k8s_id id;
	char msg[256];
	int rc;

	memset(res, 0, sizeof(*res));
	res->status = GATE_STATUS_VALID;
	if (gate_doc_parse(&doc, yaml, strlen(yaml), 1, &lim, 0, &err) < 0) {
		diag("parse: %s", err.message);
		return -1;
	}
	if (gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) < 0) {
		diag("id: %s", msg);
		gate_doc_free(doc);
		return -1;
	}
	rc = gate_policy_check(p, filename, &id, doc->root, res);
	gate_doc_free(doc);
	return rc;
}

/* The problems of rule in res, as "pointer|suppressed?" joined by spaces. */
static const char *problems_of(const struct gate_result *res, const char *rule)
{
	static _Thread_local char out[2048]; /* test_threads calls it from four threads */
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < res->nproblems; i++) {
		const struct gate_problem *pb = &res->problems[i];
		if (strcmp(pb->rule, rule))
			continue;
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s%s", len ? " " : "",
			pb->pointer ? pb->pointer : "-", pb->suppressed ? "(s)" : "");
		if (len >= sizeof(out))
			break;
	}
	return out;
}

static const char *pod =
	"apiVersion: v1\n"
	"kind: Pod\n"
	"metadata:\n"
	"  name: p\n"
	"  namespace: team-a\n"
	"  labels: {app: web, tier: front}\n"
	"spec:\n"
	"  replicas: 3\n"
	"  containers:\n"
	"  - name: a\n"
	"    image: registry.example.com/a:1.0\n"
	"    resources: {limits: {memory: 512Mi, cpu: 500m}}\n"
	"  - name: b\n"
	"    image: nginx:latest\n"
	"    resources: {limits: {memory: 4Gi}}\n";

static void test_paths_and_rules(void)
{
	struct gate_policy *p;
	struct gate_result res;

	p = make_policy(NULL,
		"checks: {liveness-probe: off}\n"
		"rules:\n"
		"- id: images-pinned\n"
		"  message: images come from the company registry\n"
		"  field: spec.containers[*].image\n"
		"  regex: '^registry\\.example\\.com/'\n"
		"- id: team-label\n"
		"  message: objects carry a team label\n"
		"  field: metadata.labels.team\n"
		"  exists: true\n"
		"- id: no-tier\n"
		"  message: no tier label\n"
		"  severity: warn\n"
		"  field: metadata.labels[\"tier\"]\n"
		"  absent: true\n"
		"- id: memory-cap\n"
		"  message: at most 1Gi of memory\n"
		"  field: spec.containers[*].resources.limits.memory\n"
		"  range: {max: 1Gi}\n"
		"- id: cpu-limit\n"
		"  message: every container has a cpu limit\n"
		"  field: spec.containers[*].resources.limits.cpu\n"
		"  exists: true\n"
		"- id: replicas\n"
		"  message: three replicas\n"
		"  field: spec.replicas\n"
		"  equals: 3\n"
		"- id: ns\n"
		"  message: known namespaces\n"
		"  match: {kinds: [Pod], namespaces: ['team-*']}\n"
		"  field: metadata.namespace\n"
		"  in: [team-b, team-c]\n"
		"- id: other-kind\n"
		"  message: never fires on pods\n"
		"  match: {kinds: [Deployment]}\n"
		"  field: metadata.name\n"
		"  absent: true\n"
		"- id: label-match\n"
		"  message: fires on app=web\n"
		"  match: {labels: {app: web}, paths: ['apps/**']}\n"
		"  field: metadata.name\n"
		"  absent: true\n"
		"- id: first-container\n"
		"  message: first container is a\n"
		"  field: spec.containers[0].name\n"
		"  equals: a\n"
		"- id: any-label\n"
		"  message: label values are short\n"
		"  field: metadata.labels.*\n"
		"  regex: '^.{1,3}$'\n");
	ok(p != NULL, "a policy with every condition kind loads");
	if (!p)
		return;
	ok(gate_policy_path_sensitive(p), "a rule matching paths makes the policy path-sensitive");
	ok(check_doc(p, "apps/pod.yaml", pod, &res) == 0, "check runs");
	ok(!strcmp(problems_of(&res, "images-pinned"), "/spec/containers/1/image"),
		"regex on a wildcard path fires on the one bad image: %s", problems_of(&res, "images-pinned"));
	ok(!strcmp(problems_of(&res, "team-label"), "/metadata/labels"),
		"exists fires at the nearest existing parent: %s", problems_of(&res, "team-label"));
	ok(!strcmp(problems_of(&res, "no-tier"), "/metadata/labels/tier"), "absent fires on a present key");
	ok(!strcmp(problems_of(&res, "memory-cap"), "/spec/containers/1/resources/limits/memory"),
		"range compares quantities (4Gi > 1Gi, 512Mi passes)");
	ok(!strcmp(problems_of(&res, "cpu-limit"), "/spec/containers/1/resources/limits"),
		"exists with a wildcard reports each container missing the field");
	ok(!strcmp(problems_of(&res, "replicas"), ""), "equals passes on an equal number");
	ok(!strcmp(problems_of(&res, "ns"), "/metadata/namespace"), "in fires on a value not listed");
	ok(!strcmp(problems_of(&res, "other-kind"), ""), "match.kinds limits a rule");
	ok(!strcmp(problems_of(&res, "label-match"), "/metadata/name"), "match.labels and paths select");
	ok(!strcmp(problems_of(&res, "first-container"), ""), "an index step");
	ok(!strcmp(problems_of(&res, "any-label"), "/metadata/labels/tier"),
		"a * step on an object walks its members: %s", problems_of(&res, "any-label"));
	ok(!strcmp(problems_of(&res, "liveness-probe"), ""), "checks: off turns a built-in check off");
	ok(res.status == GATE_STATUS_INVALID, "deny rules make the resource invalid");
	gate_result_release(&res);

	ok(check_doc(p, "other/pod.yaml", pod, &res) == 0 &&
		!strcmp(problems_of(&res, "label-match"), ""), "match.paths excludes other folders");
	gate_result_release(&res);
	gate_policy_free(p);
}

static void test_load_errors(void)
{
	struct gate_policy *p = make_policy(NULL, NULL);
	struct gate_result res;
	const char *m;
	char fp1[80], fp2[80];

	if (!p)
		return;
	gate_policy_fingerprint(p, fp1, sizeof(fp1));
	ok(!gate_policy_path_sensitive(p), "the default policy is not path-sensitive");
	m = load_msg(p, "rulez: []\n");
	ok(strstr(m, "policy.yaml:1:1:") != NULL, "an unknown key is a schema error with a place: %s", m);
	m = load_msg(p, "rules:\n- id: x\n  message: m\n  field: a.b\n  regex: '(('\n");
	ok(strstr(m, "policy.yaml:5:10:") && strstr(m, "invalid regular expression"),
		"a bad regex names its line: %s", m);
	m = load_msg(p, "rules:\n- id: x\n  message: m\n  field: a..b\n  exists: true\n");
	ok(strstr(m, "field \"a..b\"") != NULL, "a bad field path is refused: %s", m);
	m = load_msg(p, "rules:\n- id: x\n  message: m\n  field: a[x]\n  exists: true\n");
	ok(strstr(m, "expected [*]") != NULL, "a bad bracket is refused: %s", m);
	m = load_msg(p, "rules:\n- id: x\n  message: m\n  field: a\n  exists: true\n  absent: true\n");
	ok(m[0] != '\0', "two conditions are refused: %s", m);
	m = load_msg(p, "rules:\n- id: privileged\n  message: m\n  field: a\n  exists: true\n");
	ok(strstr(m, "already used") != NULL, "a rule cannot reuse a built-in id: %s", m);
	m = load_msg(p, "checks: {no-such-check: deny}\n");
	ok(strstr(m, "no-such-check") != NULL, "unknown check ids are refused: %s", m);
	m = load_msg(p, "exceptions:\n- checks: [nope]\n  reason: r\n");
	ok(strstr(m, "unknown check \"nope\"") != NULL, "exceptions name known checks: %s", m);
	m = load_msg(p, "exceptions:\n- checks: [privileged]\n  reason: r\n  expires: 2026-02-30x\n");
	ok(m[0] != '\0', "a bad expiry date is refused: %s", m);
	m = load_msg(p, "exceptions:\n- checks: [privileged]\n");
	ok(m[0] != '\0', "an exception needs a reason: %s", m);
	m = load_msg(p, "allowed_registries: ['[']\n");
	ok(strstr(m, "allowed registry") != NULL, "a bad registry pattern is refused: %s", m);
	m = load_msg(p, "rules:\n- id: x\n  message: m\n  field: a\n  range: {min: 5, max: 1}\n");
	ok(strstr(m, "min is above max") != NULL, "an empty range is refused: %s", m);
	m = load_msg(p, "rules:\n- id: x\n  message: m\n  field: a\n  range: {min: lots}\n");
	ok(strstr(m, "quantity") != NULL, "a range bound must be a quantity: %s", m);
	m = load_msg(p, "checks: {privileged: off}\nrules:\n- id: ok-rule\n  message: m\n  field: a\n"
		"  exists: true\n- id: ok-rule\n  message: m\n  field: a\n  exists: true\n");
	ok(strstr(m, "already used") != NULL, "duplicate rule ids are refused: %s", m);
	m = load_msg(p, "key: [unclosed\n");
	ok(strstr(m, "policy.yaml:") != NULL, "a YAML error is reported: %s", m);
	m = load_msg(p, "");
	ok(strstr(m, "empty") != NULL, "an empty policy file is refused: %s", m);

	/* the failed loads left nothing behind: privileged is still on, no rule */
	gate_policy_fingerprint(p, fp2, sizeof(fp2));
	ok(!strcmp(fp1, fp2) && strlen(fp1) == 64, "failed loads leave the policy unchanged");
	ok(check_doc(p, "x.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
		"  containers: [{name: c, image: 'a:1', securityContext: {privileged: true}}]\n", &res) == 0 &&
		!strcmp(problems_of(&res, "privileged"), "/spec/containers/0/securityContext/privileged") &&
		!strcmp(problems_of(&res, "ok-rule"), ""),
		"the check severity of a failed load was rolled back");
	gate_result_release(&res);
	ok(!strcmp(load_msg(p, "checks: {privileged: warn}\n"), ""), "a good file loads after failures");
	gate_policy_fingerprint(p, fp2, sizeof(fp2));
	ok(strcmp(fp1, fp2) != 0, "loading a file changes the fingerprint");
	gate_policy_free(p);

	{
		struct gate_policy_opts o;
		char msg[256];
		memset(&o, 0, sizeof(o));
		o.kubernetes_version = "2.0";
		ok(gate_policy_new(&p, &o, msg, sizeof(msg)) < 0 && p == NULL,
			"a bad kubernetes version is refused: %s", msg);
	}
}

static const char *deploy_ann =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: d\n"
	"  annotations:\n"
	"    gitops-gate.io/ignore: privileged,secret-plaintext\n"
	"%s"
	"spec:\n"
	"  selector: {matchLabels: {app: d}}\n"
	"  template:\n"
	"    metadata: {labels: {app: d}}\n"
	"    spec:\n"
	"      containers:\n"
	"      - {name: c, image: 'x:1', securityContext: {privileged: true}}\n";

static const char *privileged_problem(const struct gate_policy *p, const char *file,
	const char *reason_line, int *status)
{
	static char out[600];
	char yaml[2048];
	struct gate_result res;
	size_t i;

	snprintf(yaml, sizeof(yaml), deploy_ann, reason_line);
	out[0] = '\0';
	if (check_doc(p, file, yaml, &res) < 0)
		return "error";
	for (i = 0; i < res.nproblems; i++)
		if (!strcmp(res.problems[i].rule, "privileged"))
			snprintf(out, sizeof(out), "%s%s%s", res.problems[i].message,
				res.problems[i].suppressed ? " | suppressed: " : "",
				res.problems[i].suppressed ? res.problems[i].suppressed : "");
	*status = res.status;
	gate_result_release(&res);
	return out;
}

static void test_suppressions(void)
{
	struct gate_policy_opts o;
	struct gate_policy *p;
	const char *globs[] = { "apps/**" };
	const char *m;
	int st;

	const char *checks[] = { "privileged" }, *star[] = { "*" };
	struct gate_policy_grant grant[2];
#define R "    gitops-gate.io/ignore-reason: needs raw devices\n"
#define E(d) "    gitops-gate.io/ignore-expires: \"" d "\"\n"

	/* the default: no grant, no waiver */
	p = make_policy(NULL, NULL);
	if (!p)
		return;
	m = privileged_problem(p, "x.yaml", R E("2026-06-30"), &st);
	ok(strstr(m, "annotation suppressions are off on this server") && !strstr(m, "suppressed:") &&
		st == GATE_STATUS_INVALID, "by default an annotation waives nothing: %s", m);
	gate_policy_free(p);

	memset(&o, 0, sizeof(o));
	memset(grant, 0, sizeof(grant));
	grant[0].checks = checks;
	grant[0].nchecks = 1;
	grant[0].paths = globs;
	grant[0].npaths = 1;
	grant[0].max_days = 365;
	o.annotation_grants = grant;
	o.nannotation_grants = 1;
	p = make_policy(&o, NULL);
	m = privileged_problem(p, "apps/x.yaml", R E("2026-06-30"), &st);
	ok(strstr(m, "suppressed: annotation until 2026-06-30: needs raw devices") &&
		st == GATE_STATUS_VALID, "granted check and path, reason, expiry: suppressed: %s", m);
	m = privileged_problem(p, "clusters/x.yaml", R E("2026-06-30"), &st);
	ok(strstr(m, "does not let an annotation suppress \"privileged\" in this path") &&
		st == GATE_STATUS_INVALID, "another path: not honoured: %s", m);
	m = privileged_problem(p, "apps/x.yaml", E("2026-06-30"), &st);
	ok(strstr(m, "it needs a gitops-gate.io/ignore-reason annotation") && !strstr(m, "suppressed:") &&
		st == GATE_STATUS_INVALID, "without a reason the annotation is not honoured: %s", m);
	m = privileged_problem(p, "apps/x.yaml", "    gitops-gate.io/ignore-reason: '  '\n" E("2026-06-30"), &st);
	ok(!strstr(m, "suppressed:"), "a blank reason is no reason");
	m = privileged_problem(p, "apps/x.yaml", R, &st);
	ok(strstr(m, "it needs a gitops-gate.io/ignore-expires annotation") && st == GATE_STATUS_INVALID,
		"without an expiry: not honoured: %s", m);
	m = privileged_problem(p, "apps/x.yaml", R E("next week"), &st);
	ok(strstr(m, "\"next week\" is not a date") && st == GATE_STATUS_INVALID,
		"a bad date: not honoured: %s", m);
	m = privileged_problem(p, "apps/x.yaml", R E("2025-12-31"), &st);
	ok(strstr(m, "(suppression expired on 2025-12-31)") && st == GATE_STATUS_INVALID,
		"expired: not honoured, and says so: %s", m);
	m = privileged_problem(p, "apps/x.yaml", R E("2028-01-01"), &st);
	ok(strstr(m, "more than 365 days ahead") && st == GATE_STATUS_INVALID,
		"beyond max_days: not honoured: %s", m);
	gate_policy_free(p);

	/* "*" grants every check, still never the secret ones */
	grant[0].checks = star;
	grant[0].max_days = 0;
	p = make_policy(&o, NULL);
	m = privileged_problem(p, "apps/x.yaml", R E("2099-01-01"), &st);
	ok(strstr(m, "suppressed: annotation until 2099-01-01") != NULL, "\"*\" grants privileged: %s", m);
	gate_policy_free(p);

	o.no_annotation_suppressions = 1;
	p = make_policy(&o, NULL);
	m = privileged_problem(p, "apps/x.yaml", R E("2026-06-30"), &st);
	ok(strstr(m, "off on this server") && st == GATE_STATUS_INVALID,
		"no_annotation_suppressions wins over grants: %s", m);
	gate_policy_free(p);
#undef R
#undef E

	p = make_policy(NULL,
		"exceptions:\n"
		"- checks: [privileged]\n"
		"  match: {kinds: [Deployment], names: [d]}\n"
		"  reason: storage driver\n"
		"  expires: 2026-01-01\n"
		"- checks: ['*']\n"
		"  match: {names: [old]}\n"
		"  reason: old one\n"
		"  expires: 2025-12-31\n");
	m = privileged_problem(p, "x.yaml", "", &st);
	ok(strstr(m, "suppressed: policy exception: storage driver") != NULL,
		"an exception holds through its expiry day: %s", m);
	gate_policy_free(p);
	memset(&o, 0, sizeof(o));
	o.now = NOW + 86400;
	p = make_policy(&o,
		"exceptions:\n"
		"- checks: [privileged]\n"
		"  match: {kinds: [Deployment]}\n"
		"  reason: storage driver\n"
		"  expires: 2026-01-01\n");
	m = privileged_problem(p, "x.yaml", "", &st);
	ok(strstr(m, "(exception expired on 2026-01-01)") && st == GATE_STATUS_INVALID,
		"the day after, it no longer applies: %s", m);
	gate_policy_free(p);
}

static void test_secret_objects(void)
{
	struct gate_policy *p = make_policy(NULL, NULL);
	struct gate_result res;

	if (!p)
		return;
	check_doc(p, "s.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
		"  annotations: {gitops-gate.io/ignore: secret-plaintext, gitops-gate.io/ignore-reason: r}\n"
		"stringData: {password: hunter2}\n", &res);
	ok(!strcmp(problems_of(&res, "secret-plaintext"), "/stringData") &&
		res.status == GATE_STATUS_INVALID,
		"a plaintext Secret is denied and annotations cannot suppress it");
	ok(res.nproblems && strstr(res.problems[0].message, "cannot be suppressed by annotation") &&
		!strstr(res.problems[0].message, "hunter2"), "the message says why, not the value");
	gate_result_release(&res);
	check_doc(p, "s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
		"data: {a: 'ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]', b: 'ENC[AES256_GCM,data:x,type:str]'}\n"
		"sops: {mac: 'ENC[AES256_GCM,data:m,type:str]', version: 3.8.1}\n", &res);
	ok(res.nproblems == 0 && res.status == GATE_STATUS_VALID, "a SOPS-encrypted Secret passes");
	gate_result_release(&res);
	check_doc(p, "s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
		"data: {a: 'ENC[AES256_GCM,data:abc,type:str]', b: cGxhaW4=}\n"
		"sops: {mac: 'ENC[AES256_GCM,data:m,type:str]'}\n", &res);
	ok(!strcmp(problems_of(&res, "secret-plaintext"), "/data/b"), "a partly encrypted Secret is denied");
	gate_result_release(&res);
	check_doc(p, "s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
		"data: {a: 'ENC[AES256_GCM,data:abc,type:str]'}\nsops: {mac: ''}\n", &res);
	ok(!strcmp(problems_of(&res, "secret-plaintext"), "/data"), "an empty sops mac is not encryption");
	gate_result_release(&res);
	check_doc(p, "s.yaml", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: s}\n"
		"spec: {encryptedData: {password: AgBy3i4OJSWK}}\n", &res);
	ok(res.nproblems == 0, "a SealedSecret passes");
	gate_result_release(&res);
	check_doc(p, "s.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/service-account-token\n", &res);
	ok(res.nproblems == 0, "a Secret without data passes");
	gate_result_release(&res);
	gate_policy_free(p);
}

struct scan_case {
	const char *name, *text, *rule;
	unsigned line, col;
	const char *secret; /* must not appear in the message */
};

static void test_secret_scan(void)
{
	static const struct scan_case cases[] = {
		{ "private key", "a: 1\nkey: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEow\n",
			"secret-private-key", 3, 3, "MIIEow" },
		{ "openssh key", "-----BEGIN OPENSSH PRIVATE KEY-----\n", "secret-private-key", 1, 1, NULL },
		{ "aws", "env:\n  AWS: AKIAIOSFODNN7EXAMPLE\n", "secret-aws-access-key", 2, 8,
			"AKIAIOSFODNN7EXAMPLE" },
		{ "github", "t: ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n", "secret-github-token", 1, 4,
			"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789" },
		{ "gitlab", "x glpat-AbCdEfGhIjKlMnOpQrSt\n", "secret-gitlab-token", 1, 3, "glpat-AbCd" },
		{ "slack", "url: xoxb-1234567890-abcdefghij\n", "secret-slack-token", 1, 6, "xoxb-1234" },
		{ "jwt", "bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N\n",
			"secret-jwt", 1, 8, "eyJhbGci" },
		{ "generic", "config:\n  db_password: \"Zx8#kQ2!mW9vL4pR\"\n", "secret-generic", 2, 17,
			"Zx8#kQ2!mW9vL4pR" },
		{ "generic env", "API_TOKEN=f3a9c1e07b2d4c58a6e1\n", "secret-generic", 1, 11, "f3a9c1e07b2d" },
	};
	static const char *const clean[] = {
		"password: changeme\n",                       /* low entropy */
		"secretName: my-app-secret-credentials-x\n",  /* a reference, not a value */
		"password: ${DB_PASSWORD}\n",
		"token: '{{ .Values.token }}'\n",
		"valueFrom: {secretKeyRef: {name: db, key: password}}\n",
		"-----BEGIN CERTIFICATE-----\nMIIB\n",
		"AKIA is a prefix, AKIAshort\n",
		"password: ENC[AES256_GCM,data:Zm9vYmFy,iv:abc,tag:def,type:str]\n",
		"token=os.environ[\"HF_TOKEN\"]\n",
	};
	struct gate_policy *p = make_policy(NULL,
		"secrets:\n  allowlist: ['^AKIA[A-Z0-9]{12}ALLOW$']\n  paths: ['docs/**']\n");
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scan_case *c = &cases[i];
		struct gate_result res;
		int found = 0, leak = 0;

		memset(&res, 0, sizeof(res));
		gate_policy_scan_secrets(p, "f.txt", c->text, strlen(c->text), &res);
		for (j = 0; j < res.nproblems; j++) {
			if (!strcmp(res.problems[j].rule, c->rule) && res.problems[j].line == c->line &&
			    res.problems[j].col == c->col && res.problems[j].severity == GATE_SEV_DENY)
				found = 1;
			if (c->secret && strstr(res.problems[j].message, c->secret))
				leak = 1;
		}
		ok(found && !leak && res.status == GATE_STATUS_INVALID, "secret scan finds %s at %u:%u%s",
			c->name, c->line, c->col, res.nproblems ? "" : " (nothing found)");
		if (!found)
			for (j = 0; j < res.nproblems; j++)
				diag("got %s %u:%u %s", res.problems[j].rule, res.problems[j].line,
					res.problems[j].col, res.problems[j].message);
		gate_result_release(&res);
	}
	for (i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
		struct gate_result res;

		memset(&res, 0, sizeof(res));
		gate_policy_scan_secrets(p, "f.txt", clean[i], strlen(clean[i]), &res);
		ok(res.nproblems == 0, "no finding in clean text %zu%s%s", i,
			res.nproblems ? ": " : "", res.nproblems ? res.problems[0].rule : "");
		gate_result_release(&res);
	}
	{
		struct gate_result res;
		const char *t = "k: AKIAABCDEFGHIJKLALLOW\n";

		memset(&res, 0, sizeof(res));
		gate_policy_scan_secrets(p, "f.txt", t, strlen(t), &res);
		ok(res.nproblems == 0, "an allowlisted finding is not reported");
		gate_result_release(&res);
		t = "k: AKIAIOSFODNN7EXAMPLE\n";
		gate_policy_scan_secrets(p, "docs/aws.md", t, strlen(t), &res);
		ok(res.nproblems == 0, "files under secret paths are not scanned");
		gate_result_release(&res);
	}
	gate_policy_free(p);

	p = make_policy(NULL, "checks: {secret-generic: off}\n"
		"exceptions:\n- checks: [secret-aws-access-key]\n  match: {paths: ['test/**']}\n  reason: fixture\n");
	if (p) {
		struct gate_result res;
		const char *t = "password: Zx8#kQ2!mW9vL4pR\nk: AKIAIOSFODNN7EXAMPLE\n";

		memset(&res, 0, sizeof(res));
		gate_policy_scan_secrets(p, "test/x.yaml", t, strlen(t), &res);
		ok(res.nproblems == 1 && res.problems[0].suppressed && res.status != GATE_STATUS_INVALID,
			"a path exception suppresses a finding; off turns a rule off");
		gate_result_release(&res);
	}
	gate_policy_free(p);
}

static void test_owners(void)
{
	struct gate_policy *p = make_policy(NULL,
		"owners:\n"
		"- paths: ['clusters/**']\n  groups: [platform]\n"
		"- paths: ['clusters/prod/**']\n  users: [alice]\n  groups: [sre]\n");
	const char *paths[] = { "apps/web.yaml", "clusters/dev/a.yaml", "clusters/prod/b.yaml" };
	const char *platform[] = { "platform" }, *sre[] = { "dev", "sre" };
	struct gate_results out = GATE_RESULTS_INIT;

	if (!p)
		return;
	ok(gate_policy_owner_check(p, "bob", NULL, 0, paths, 3, &out) == 2 && out.n == 2 &&
		!strcmp(out.v[0].filename, "clusters/dev/a.yaml") &&
		!strcmp(out.v[1].problems[0].rule, "ownership") &&
		strstr(out.v[1].problems[0].message, "user \"alice\", group \"sre\""),
		"an outsider may change only unowned paths");
	gate_results_release(&out);
	ok(gate_policy_owner_check(p, "carol", platform, 1, paths, 3, &out) == 1 &&
		!strcmp(out.v[0].filename, "clusters/prod/b.yaml"),
		"the last matching entry decides: platform may not change prod");
	gate_results_release(&out);
	ok(gate_policy_owner_check(p, "dave", sre, 2, paths + 2, 1, &out) == 0, "a group member may");
	ok(gate_policy_owner_check(p, "alice", NULL, 0, paths + 2, 1, &out) == 0, "a listed user may");
	ok(gate_policy_owner_check(p, NULL, NULL, 0, paths + 1, 1, &out) == 1 &&
		strstr(out.v[0].problems[0].message, "unidentified"), "an unknown pusher may not");
	gate_results_release(&out);
	gate_policy_free(p);
}

static void test_config(void)
{
	json_error_t jerr;
	json_t *cfg = json_loads("{\"builtin_checks\": false, \"kubernetes_version\": \"1.21\","
		"\"allowed_registries\": [\"^ghcr\\\\.io/\"], \"repository_policy\": [\".gate/*.yaml\"],"
		"\"suppressions\": {\"annotations\": false}}", 0, &jerr);
	struct gate_policy *p = NULL;
	struct gate_result res;
	char msg[512];

	ok(cfg && gate_policy_from_config(&p, cfg, NULL, NULL, msg, sizeof(msg)) == 0,
		"a policy section builds a policy");
	if (!p) {
		json_decref(cfg);
		return;
	}
	ok(gate_policy_repository_path_allowed(p, ".gate/policy.yaml") &&
		!gate_policy_repository_path_allowed(p, "apps/policy.yaml"), "repository policy paths");
	check_doc(p, "x.yaml", "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n"
		"spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: nginx}]}}}}}\n", &res);
	ok(res.nproblems == 0, "builtin_checks: false turns the built-in checks off");
	gate_result_release(&res);
	gate_policy_free(p);
	json_object_set_new(cfg, "builtin_checks", json_true());
	ok(gate_policy_from_config(&p, cfg, NULL, NULL, msg, sizeof(msg)) == 0, "again with checks on");
	check_doc(p, "x.yaml", "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n"
		"spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: 'ghcr.io/a/b:1'}]}}}}}\n", &res);
	ok(!strcmp(problems_of(&res, "removed-api"), ""), "batch/v1beta1 CronJob still served in 1.21");
	ok(!strcmp(problems_of(&res, "image-registry"), "") &&
		!strcmp(problems_of(&res, "liveness-probe"), ""),
		"an allowed registry passes; jobs need no probes");
	gate_result_release(&res);
	gate_policy_free(p);
	json_object_set_new(cfg, "files", json_pack("[s]", "/nonexistent/policy.yaml"));
	ok(gate_policy_from_config(&p, cfg, NULL, NULL, msg, sizeof(msg)) < 0 && !p &&
		strstr(msg, "/nonexistent/policy.yaml"), "a missing policy file is an error: %s", msg);
	json_decref(cfg);

	/* grants of in-content waivers: ids are checked, secret rules refused */
	cfg = json_loads("{\"suppressions\": {\"annotations\": [{\"checks\": [\"host-path\"],"
		"\"paths\": [\"legacy/**\"], \"max_days\": 30}]}}", 0, &jerr);
	ok(cfg && gate_policy_from_config(&p, cfg, NULL, NULL, msg, sizeof(msg)) == 0 &&
		gate_policy_path_sensitive(p), "a grant builds, and verdicts depend on paths");
	gate_policy_free(p);
	json_decref(cfg);
	cfg = json_loads("{\"suppressions\": {\"annotations\": [{\"checks\": [\"no-such\"],"
		"\"paths\": [\"**\"]}]}}", 0, &jerr);
	ok(cfg && gate_policy_from_config(&p, cfg, NULL, NULL, msg, sizeof(msg)) < 0 &&
		strstr(msg, "unknown check \"no-such\""), "a grant of an unknown check: %s", msg);
	json_decref(cfg);
	cfg = json_loads("{\"suppressions\": {\"annotations\": [{\"checks\": [\"secret-jwt\"],"
		"\"paths\": [\"**\"]}]}}", 0, &jerr);
	ok(cfg && gate_policy_from_config(&p, cfg, NULL, NULL, msg, sizeof(msg)) < 0 &&
		strstr(msg, "secret checks cannot be suppressed"), "a grant of a secret check: %s", msg);
	json_decref(cfg);
}

struct thread_arg {
	const struct gate_policy *p;
	int bad;
};

static void *thread_main(void *arg)
{
	struct thread_arg *ta = arg;
	struct gate_result res;
	int i;

	for (i = 0; i < 200; i++) {
		if (check_doc(ta->p, "apps/pod.yaml", pod, &res) < 0 ||
		    strcmp(problems_of(&res, "images-pinned"), "/spec/containers/1/image"))
			ta->bad++;
		gate_result_release(&res);
	}
	return NULL;
}

static void test_threads(void)
{
	struct gate_policy *p = make_policy(NULL,
		"rules:\n- id: images-pinned\n  message: m\n  field: spec.containers[*].image\n"
		"  regex: '^registry\\.example\\.com/'\n");
	struct thread_arg ta[4];
	pthread_t t[4];
	int i, bad = 0;

	if (!p)
		return;
	for (i = 0; i < 4; i++) {
		ta[i].p = p;
		ta[i].bad = 0;
		pthread_create(&t[i], NULL, thread_main, &ta[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		bad += ta[i].bad;
	}
	ok(bad == 0, "four threads check with one policy and agree");
	gate_policy_free(p);
}

static void test_builtin_table(void)
{
	size_t n, i;
	const struct gate_policy_check_info *c = gate_policy_builtin_checks(&n);
	int all = 1;

	for (i = 0; i < n; i++)
		if (!c[i].id || !c[i].summary)
			all = 0;
	ok(n == 23 && all && !strcmp(c[0].id, "privileged"), "the built-in table is complete");
}

int main(void)
{
	test_builtin_table();
	test_paths_and_rules();
	test_load_errors();
	test_suppressions();
	test_secret_objects();
	test_secret_scan();
	test_owners();
	test_config();
	test_threads();
	return tap_done();
}
