/*
 * k8s_test: location templates, resource identity and the schema store on
 * local folders (lookups, fallbacks, negative cache, concurrency).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate/k8s.h"
#include "gate/util.h"
#include "../tap.h"

static char tmpdir[256];

static void write_file(const char *rel, const char *content)
{
	char path[512], *dir, *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	dir = gate_xstrdup(path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	gate_mkdir_p(dir, 0755);
	free(dir);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(content, f);
	fclose(f);
}

static void rm_rf(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

static int expands_to(const char *tmpl, const char *kind, const char *group,
	const char *version, const char *k8s, int strict, const char *want)
{
	char buf[1024];

	if (gate_k8s_expand_location(buf, sizeof(buf), tmpl, kind, group, version, k8s, strict) < 0) {
		diag("expansion of '%s' failed", tmpl);
		return 0;
	}
	if (strcmp(buf, want)) {
		diag("got  '%s'", buf);
		diag("want '%s'", want);
		return 0;
	}
	return 1;
}

static void test_templates(void)
{
	const char *std = "{{ .ResourceKind }}{{ .KindSuffix }}.json";
	char buf[1024];

	ok(expands_to(std, "Deployment", "apps", "v1", "master", 0, "deployment-apps-v1.json"),
		"kind suffix with a group");
	ok(expands_to(std, "ConfigMap", "", "v1", "master", 0, "configmap-v1.json"),
		"kind suffix of the core group");
	ok(expands_to(std, "Ingress", "networking.k8s.io", "v1", "master", 0,
		"ingress-networking-v1.json"), "kind suffix takes the group's first label");
	ok(expands_to("{{.ResourceKind}}{{.KindSuffix}}.json", "HorizontalPodAutoscaler",
		"autoscaling", "v2", "master", 0, "horizontalpodautoscaler-autoscaling-v2.json"),
		"spacing without blanks");
	ok(expands_to("{{  .ResourceKind\t}}.json", "Pod", "", "v1", "master", 0, "pod.json"),
		"spacing with several blanks");
	ok(expands_to("s/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
		"ServiceMonitor", "monitoring.coreos.com", "v1", "master", 0,
		"s/monitoring.coreos.com/servicemonitor_v1.json"), "Group and ResourceAPIVersion");
	ok(expands_to("{{ .Group }}.json", "Pod", "", "v1", "master", 0, "v1.json"),
		"Group of the core group is the apiVersion's first part, as kubeconform");
	ok(expands_to("{{ .NormalizedKubernetesVersion }}.json", "Pod", "", "v1", "1.32.2", 0,
		"v1.32.2.json"), "version gets a v");
	ok(expands_to("{{ .NormalizedKubernetesVersion }}.json", "Pod", "", "v1", "master", 0,
		"master.json"), "master stays master");
	ok(expands_to("{{ .NormalizedKubernetesVersion }}.json", "Pod", "", "v1", NULL, 0,
		"master.json"), "no version means master");
	ok(expands_to("x{{ .StrictSuffix }}.json", "Pod", "", "v1", NULL, 1, "x-strict.json"),
		"strict suffix");
	ok(expands_to("x{{ .StrictSuffix }}.json", "Pod", "", "v1", NULL, 0, "x.json"),
		"no strict suffix");
	ok(expands_to("default", "Deployment", "apps", "v1", "1.32.2", 1,
		"https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/"
		"v1.32.2-standalone-strict/deployment-apps-v1.json"), "default location");
	ok(expands_to("/srv/schemas", "Service", "", "v1", "1.30.0", 0,
		"/srv/schemas/v1.30.0-standalone/service-v1.json"), "folder-only location");
	ok(expands_to("https://example.com/s/", "Service", "", "v1", "master", 1,
		"https://example.com/s//master-standalone-strict/service-v1.json"),
		"folder-only URL (kubeconform appends after the slash)");
	ok(gate_k8s_expand_location(buf, sizeof(buf), "{{ .Kind }}.json", "Pod", "", "v1", NULL, 0) < 0,
		"unknown variable refused");
	ok(gate_k8s_expand_location(buf, sizeof(buf), "{{ .ResourceKind .json", "Pod", "", "v1",
		NULL, 0) < 0, "unclosed action refused");
	ok(gate_k8s_expand_location(buf, sizeof(buf), "{{ ResourceKind }}.json", "Pod", "", "v1",
		NULL, 0) < 0, "action without a dot refused");
	ok(gate_k8s_expand_location(buf, 8, std, "Deployment", "apps", "v1", NULL, 0) < 0 &&
		strlen(buf) < 8, "too small a buffer is an error, output stays bounded");
}

static int parse(struct gate_doc **doc, const char *yaml)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err;

	if (gate_doc_parse(doc, yaml, strlen(yaml), 1, &lim, 0, &err) < 0) {
		diag("parse error: %s", err.message);
		return -1;
	}
	return 0;
}

static void test_identity(void)
{
	struct gate_k8s_id id;
	struct gate_doc *doc;
	char msg[256];

	if (parse(&doc, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
		"  namespace: prod\n") == 0) {
		ok(gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) == 0, "identity of a Deployment");
		ok(!strcmp(id.kind, "Deployment") && !strcmp(id.api_version, "apps/v1"), "kind, apiVersion");
		ok(!strcmp(id.group, "apps") && !strcmp(id.version, "v1"), "group apps, version v1");
		ok(id.name && !strcmp(id.name, "web") && id.namespace_ && !strcmp(id.namespace_, "prod"),
			"name and namespace");
		gate_doc_free(doc);
	}
	if (parse(&doc, "apiVersion: v1\nkind: ConfigMap\n") == 0) {
		ok(gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) == 0 && !strcmp(id.group, "") &&
			!strcmp(id.version, "v1") && !id.name && !id.namespace_,
			"core group, no metadata");
		gate_doc_free(doc);
	}
	if (parse(&doc, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: [x]\n") == 0) {
		ok(gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) == 0 &&
			!strcmp(id.group, "networking.k8s.io") && !id.name,
			"dotted group; metadata that is not a mapping gives no name");
		gate_doc_free(doc);
	}
	if (parse(&doc, "apiVersion: v1\nmetadata:\n  name: x\n") == 0) {
		ok(gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) < 0 &&
			!strcmp(msg, "missing 'kind' key"), "missing kind: %s", msg);
		gate_doc_free(doc);
	}
	if (parse(&doc, "kind: Pod\n") == 0) {
		ok(gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) < 0 &&
			!strcmp(msg, "missing 'apiVersion' key"), "missing apiVersion: %s", msg);
		gate_doc_free(doc);
	}
	if (parse(&doc, "metadata: {}\n") == 0) {
		ok(gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) < 0 &&
			!strcmp(msg, "missing 'kind' key"), "both missing: kind reported first");
		gate_doc_free(doc);
	}
	if (parse(&doc, "apiVersion: v1\nkind: 12\n") == 0) {
		ok(gate_k8s_id_read(&id, doc->root, msg, sizeof(msg)) < 0 &&
			!strcmp(msg, "missing 'kind' key"), "a kind that is not a string is missing");
		gate_doc_free(doc);
	}
}

static const char *small_schema =
	"{\"type\": \"object\", \"properties\": {\"kind\": {\"type\": \"string\"}}}";

static struct gate_store *new_store(const char **locs, size_t n, int strict, char *msg, size_t msgsize)
{
	struct gate_store_opts o;
	struct gate_store *st = NULL;

	memset(&o, 0, sizeof(o));
	o.locations = locs;
	o.nlocations = n;
	o.kubernetes_version = "1.32.2";
	o.strict = strict;
	o.offline = 1;
	if (gate_store_new(&st, &o, msg, msgsize) < 0)
		return NULL;
	return st;
}

static void id_of(struct gate_k8s_id *id, const char *kind, const char *group, const char *version)
{
	memset(id, 0, sizeof(*id));
	id->kind = kind;
	id->api_version = "unused";
	snprintf(id->group, sizeof(id->group), "%s", group);
	snprintf(id->version, sizeof(id->version), "%s", version);
}

static void test_store(void)
{
	char l1[512], l2[512], l3[512], msg[1024], fp1[65], fp2[65], fp3[65];
	const char *locs[3] = { l1, l2, l3 };
	const struct gate_schema *s, *s2;
	struct gate_store_stats stats;
	struct gate_store *st;
	struct gate_k8s_id id;
	const char *where;

	snprintf(l1, sizeof(l1), "%s/one/{{ .ResourceKind }}{{ .KindSuffix }}.json", tmpdir);
	snprintf(l2, sizeof(l2), "%s/two/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json", tmpdir);
	snprintf(l3, sizeof(l3), "%s/three", tmpdir);
	write_file("one/deployment-apps-v1.json", small_schema);
	write_file("one/broken-v1.json", "{\"type\": \"object\",");
	write_file("two/v1/broken_v1.json", small_schema);
	write_file("one/onlybroken-v1.json", "not json at all");
	write_file("one/notschema-v1.json", "{\"type\": 12}");
	write_file("three/v1.32.2-standalone-strict/service-v1.json", small_schema);
	write_file("two/example.com/widget_v1beta1.json", small_schema);

	msg[0] = '\0';
	st = new_store(locs, 3, 1, msg, sizeof(msg));
	ok(st != NULL, "store over three local locations %s", msg);
	if (!st)
		return;

	id_of(&id, "Deployment", "apps", "v1");
	ok(gate_store_lookup_ex(st, &id, &s, &where, msg, sizeof(msg)) == 0 && s != NULL,
		"schema found in the first location");
	ok(where && strstr(where, "/one/deployment-apps-v1.json"), "location reported: %s",
		where ? where : "(null)");
	ok(gate_store_lookup(st, &id, &s2, msg, sizeof(msg)) == 0 && s2 == s,
		"second lookup gives the same compiled schema");

	id_of(&id, "Broken", "", "v1");
	ok(gate_store_lookup_ex(st, &id, &s, &where, msg, sizeof(msg)) == 0 && s != NULL &&
		where && strstr(where, "/two/v1/broken_v1.json"),
		"invalid JSON in the first location: the next location serves");

	id_of(&id, "Widget", "example.com", "v1beta1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s != NULL,
		"CRD-style template with the full group");

	id_of(&id, "Service", "", "v1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s != NULL,
		"folder-only location with the default file pattern (strict)");

	id_of(&id, "OnlyBroken", "", "v1");
	msg[0] = '\0';
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) < 0 && !s &&
		strstr(msg, "could not parse schema at") && strstr(msg, "onlybroken-v1.json"),
		"unparsable schema and nothing else: an error: %s", msg);
	msg[0] = '\0';
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) < 0 && strstr(msg, "could not parse"),
		"the failure is remembered");

	id_of(&id, "NotSchema", "", "v1");
	msg[0] = '\0';
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) < 0 && strstr(msg, "could not compile schema"),
		"a JSON file that is no schema is an error: %s", msg);

	id_of(&id, "Missing", "", "v1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s == NULL,
		"no schema anywhere: NULL, not an error");
	gate_store_stats(st, &stats);
	write_file("one/missing-v1.json", small_schema);
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s == NULL,
		"negative result cached (file created later is not seen)");
	{
		struct gate_store_stats after;
		gate_store_stats(st, &after);
		ok(after.resolves == stats.resolves && after.lookups == stats.lookups + 1,
			"cached negative lookup does not resolve again (%lu resolves)", after.resolves);
	}

	id_of(&id, "../../etc", "", "v1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s == NULL,
		"a kind with a path in it finds nothing");
	id_of(&id, "Deployment", "apps/../..", "v1");
	ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) == 0 && s == NULL,
		"a group with a path in it finds nothing");

	if (geteuid() != 0) {
		char p[512];
		write_file("one/secret-v1.json", small_schema);
		snprintf(p, sizeof(p), "%s/one/secret-v1.json", tmpdir);
		chmod(p, 0);
		id_of(&id, "Secret", "", "v1");
		msg[0] = '\0';
		ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) < 0 &&
			strstr(msg, "failed to open schema at"), "unreadable schema file: %s", msg);
		chmod(p, 0644);
	} else {
		ok(1, "# SKIP unreadable files are readable for root");
	}

	{
		char p[512];
		snprintf(p, sizeof(p), "%s/one/folder-v1.json", tmpdir);
		gate_mkdir_p(p, 0755);
		id_of(&id, "Folder", "", "v1");
		msg[0] = '\0';
		ok(gate_store_lookup(st, &id, &s, msg, sizeof(msg)) < 0 &&
			strstr(msg, "failed to open schema at") && strstr(msg, "folder-v1.json"),
			"a folder where the schema should be is an error: %s", msg);
	}

	gate_store_stats(st, &stats);
	ok(stats.compiles == 4, "four schemas compiled (%lu)", stats.compiles);

	/* fingerprints */
	gate_store_fingerprint(st, fp1, sizeof(fp1));
	ok(strlen(fp1) == 64, "fingerprint is 64 hex digits");
	gate_store_free(st);

	st = new_store(locs, 3, 1, msg, sizeof(msg));
	gate_store_fingerprint(st, fp2, sizeof(fp2));
	ok(strcmp(fp1, fp2) != 0, "fingerprint covers the schemas loaded so far");
	id_of(&id, "Deployment", "apps", "v1");
	gate_store_lookup(st, &id, &s, msg, sizeof(msg));
	gate_store_fingerprint(st, fp2, sizeof(fp2));
	gate_store_free(st);

	st = new_store(locs, 3, 1, msg, sizeof(msg));
	gate_store_lookup(st, &id, &s, msg, sizeof(msg));
	gate_store_fingerprint(st, fp3, sizeof(fp3));
	ok(!strcmp(fp2, fp3), "same answers, same fingerprint");
	gate_store_free(st);

	write_file("one/deployment-apps-v1.json",
		"{\"type\": \"object\", \"required\": [\"spec\"]}");
	st = new_store(locs, 3, 1, msg, sizeof(msg));
	gate_store_lookup(st, &id, &s, msg, sizeof(msg));
	gate_store_fingerprint(st, fp3, sizeof(fp3));
	ok(strcmp(fp2, fp3) != 0, "changed schema content, changed fingerprint");
	gate_store_free(st);

	st = new_store(locs, 3, 0, msg, sizeof(msg));
	gate_store_lookup(st, &id, &s, msg, sizeof(msg));
	gate_store_fingerprint(st, fp2, sizeof(fp2));
	ok(strcmp(fp2, fp3) != 0, "strictness is part of the fingerprint");
	gate_store_free(st);

	{
		const char *bad[1] = { "/x/{{ .Kind }}.json" };
		msg[0] = '\0';
		ok(new_store(bad, 1, 0, msg, sizeof(msg)) == NULL &&
			strstr(msg, "failed initialising schema location registry"),
			"a bad template fails at start: %s", msg);
	}
}

/* concurrency: many threads ask for one big schema at the same moment */
struct race {
	struct gate_store *st;
	pthread_barrier_t *bar;
	const struct gate_schema *got;
	int rc;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	struct gate_k8s_id id;
	char msg[256];

	id_of(&id, "Big", "race.example.com", "v1");
	pthread_barrier_wait(r->bar);
	r->rc = gate_store_lookup(r->st, &id, &r->got, msg, sizeof(msg));
	return NULL;
}

static void test_concurrency(void)
{
	enum { N = 8 };
	struct gate_buf b = GATE_BUF_INIT;
	struct gate_store_stats stats;
	pthread_barrier_t bar;
	struct race r[N];
	pthread_t t[N];
	char loc[512], msg[256];
	const char *locs[1] = { loc };
	struct gate_store *st;
	int i, same = 1, okc = 1;

	/* big enough that compiling takes a while */
	gate_buf_adds(&b, "{\"type\": \"object\", \"properties\": {");
	for (i = 0; i < 20000; i++)
		gate_buf_addf(&b, "%s\"p%d\": {\"type\": \"string\", \"pattern\": \"^[a-z]+%d$\"}",
			i ? ", " : "", i, i);
	gate_buf_adds(&b, "}}");
	write_file("race/race.example.com/big_v1.json", b.ptr);
	gate_buf_release(&b);

	snprintf(loc, sizeof(loc), "%s/race/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
		tmpdir);
	st = new_store(locs, 1, 0, msg, sizeof(msg));
	if (!st) {
		ok(0, "store for the race: %s", msg);
		return;
	}
	pthread_barrier_init(&bar, NULL, N);
	for (i = 0; i < N; i++) {
		r[i].st = st;
		r[i].bar = &bar;
		pthread_create(&t[i], NULL, racer, &r[i]);
	}
	for (i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&bar);
	for (i = 0; i < N; i++) {
		if (r[i].rc != 0 || !r[i].got)
			okc = 0;
		if (r[i].got != r[0].got)
			same = 0;
	}
	ok(okc, "%d concurrent lookups all found the schema", N);
	ok(same, "all got the same compiled schema");
	gate_store_stats(st, &stats);
	ok(stats.compiles == 1 && stats.resolves == 1 && stats.lookups == N,
		"compiled once (compiles %lu, resolves %lu, lookups %lu)", stats.compiles,
		stats.resolves, stats.lookups);
	gate_store_free(st);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/k8s_test.XXXXXX",
		getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_templates();
	test_identity();
	test_store();
	test_concurrency();
	rm_rf(tmpdir);
	return tap_done();
}
