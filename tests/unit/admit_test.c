/*
 * admit_test: the API server's metadata rules (k8s_meta), SOPS documents
 * (sops) and the step that joins them to a schema (admit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/admit.h"
#include "gate/doc.h"
#include "gate/k8s_meta.h"
#include "gate/sops.h"
#include "gate/util.h"
#include "../tap.h"

static struct gate_doc *parse(const char *yaml)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;

	if (gate_doc_parse(&doc, yaml, strlen(yaml), 1, &lim, 0, &err) < 0) {
		fprintf(stderr, "parse: %s\n", err.message);
		exit(2);
	}
	return doc;
}

/* The metadata errors of a document as "pointer|message" lines. */
static char *meta(const char *group, const char *kind, const char *yaml)
{
	struct gate_doc *doc = parse(yaml);
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	struct gate_buf b = GATE_BUF_INIT;
	size_t i;

	gate_k8s_meta_check(doc->root, group, kind, &errs);
	for (i = 0; i < errs.n; i++)
		gate_buf_addf(&b, "%s%s|%s", i ? "\n" : "", errs.v[i].pointer, errs.v[i].message);
	gate_schema_errors_release(&errs);
	gate_doc_free(doc);
	return gate_buf_detach(&b);
}

/* every line of got starts with the same line of want (messages are long) */
static int lines_start_with(const char *got, const char *want)
{
	for (;;) {
		size_t gl = strcspn(got, "\n"), wl = strcspn(want, "\n");
		if (wl > gl || strncmp(got, want, wl))
			return 0;
		got += gl;
		want += wl;
		if (!*got || !*want)
			return !*got && !*want;
		got++;
		want++;
	}
}

static void is_meta(const char *group, const char *kind, const char *yaml, const char *want,
	const char *name)
{
	char *got = meta(group, kind, yaml);

	if (!ok(lines_start_with(got, want), "%s", name))
		diag("got:  %s\n# want: %s", got, want);
	free(got);
}

#define SUB "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '"

static void test_names(void)
{
	is_meta("apps", "Deployment", "metadata: {name: web-1.prod}", "", "subdomain name with dots is fine");
	is_meta("apps", "Deployment", "metadata: {name: Web_1}",
		"/metadata/name|metadata.name: Invalid value: \"Web_1\": " SUB "",
		"Deployment name Web_1: the API server's message");
	is_meta("", "ConfigMap", "metadata: {name: -cfg}",
		"/metadata/name|metadata.name: Invalid value: \"-cfg\": " SUB "",
		"name starting with a dash");
	is_meta("", "Namespace", "metadata: {name: team.a}",
		"/metadata/name|metadata.name: Invalid value: \"team.a\": must not contain dots",
		"Namespace: a DNS-1123 label (no dots)");
	is_meta("", "Namespace", "metadata: {name: Team}",
		"/metadata/name|metadata.name: Invalid value: \"Team\": a lowercase RFC 1123 label must consist of lower case alphan",
		"Namespace: uppercase refused");
	is_meta("", "Service", "metadata: {name: 1web}",
		"/metadata/name|metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric c",
		"Service: a DNS-1035 label (no leading digit)");
	is_meta("", "Service", "metadata: {name: web-1}", "", "Service web-1 is fine");
	is_meta("", "Pod", "metadata: {name: 1web}", "", "Pod may start with a digit");
	is_meta("rbac.authorization.k8s.io", "ClusterRole", "metadata: {name: \"system:Auth_Reader\"}", "",
		"RBAC names are path segments: colons, capitals, underscores are fine");
	is_meta("rbac.authorization.k8s.io", "Role", "metadata: {name: a/b}",
		"/metadata/name|metadata.name: Invalid value: \"a/b\": may not contain '/'",
		"RBAC names may not contain a slash");
	is_meta("batch", "CronJob", "metadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
		"/metadata/name|metadata.name: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": must be no",
		"CronJob names of 53 characters refused");
	is_meta("apiextensions.k8s.io", "CustomResourceDefinition",
		"metadata: {name: widgets.example.com}\nspec: {group: example.com, names: {plural: widgets}}",
		"", "CRD named <plural>.<group>");
	is_meta("apiextensions.k8s.io", "CustomResourceDefinition",
		"metadata: {name: widget.example.com}\nspec: {group: example.com, names: {plural: widgets}}",
		"/metadata/name|metadata.name: Invalid value: \"widget.example.com\": must be spec.names.plural+\".\"+spec.group",
		"CRD named otherwise refused");
	{
		char *y = gate_xasprintf("metadata: {name: \"%0254d\"}", 0);
		char *got = meta("", "Secret", y);
		ok(strstr(got, "must be no more than 253 bytes") != NULL, "names over 253 bytes refused");
		free(got);
		free(y);
	}
}

static void test_required(void)
{
	is_meta("", "ConfigMap", "metadata: {labels: {a: b}}",
		"/metadata|metadata.name: Required value: name or generateName is required", "name required");
	is_meta("", "ConfigMap", "kind: ConfigMap", "|metadata.name: Required value: name or generateName is required",
		"no metadata at all: name required");
	is_meta("", "ConfigMap", "metadata: {generateName: cfg-}", "", "generateName with a trailing dash");
	is_meta("", "ConfigMap", "metadata: {generateName: Cfg-}",
		"/metadata/generateName|metadata.generateName: Invalid value: \"Cfg-\": " SUB "",
		"generateName checked as a name prefix");
	is_meta("", "ConfigMapList", "items: []", "", "lists are not stored: no check");
}

static void test_namespace_labels_annotations(void)
{
	is_meta("apps", "Deployment", "metadata: {name: web, namespace: Team.A}",
		"/metadata/namespace|metadata.namespace: Invalid value: \"Team.A\": a lowercase RFC 1123 label must consist of lo",
		"namespace: a DNS-1123 label");
	is_meta("rbac.authorization.k8s.io", "ClusterRoleBinding", "metadata: {name: x, namespace: Team.A}", "",
		"namespace of a cluster-scoped kind is not judged (kubectl drops it)");
	is_meta("", "ConfigMap", "metadata: {name: c, labels: {app.kubernetes.io/name: web, tier: \"\"}}", "",
		"prefixed label key, empty label value");
	is_meta("", "ConfigMap", "metadata: {name: c, labels: {app: \"bad value\"}}",
		"/metadata/labels/app|metadata.labels: Invalid value: \"bad value\": a valid label must be an empty string or co",
		"label value with a space");
	is_meta("", "ConfigMap", "metadata: {name: c, labels: {Example.com/x: y}}",
		"/metadata/labels/Example.com~1x|metadata.labels: Invalid value: \"Example.com/x\": prefix part a lowercase RFC 1123 subd",
		"label key prefix must be lowercase");
	is_meta("", "ConfigMap", "metadata: {name: c, labels: {/x: y}}",
		"/metadata/labels/~1x|metadata.labels: Invalid value: \"/x\": prefix part must be non-empty",
		"label key with an empty prefix");
	is_meta("", "ConfigMap", "metadata: {name: c, labels: {a: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}",
		"/metadata/labels/a|metadata.labels: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": must ",
		"label value of 64 bytes");
	is_meta("", "ConfigMap", "metadata: {name: c, annotations: {Example.com/Note: \"any value at all!\"}}", "",
		"annotation keys are case-insensitive, values free");
	is_meta("", "ConfigMap", "metadata: {name: c, annotations: {a/b/c: x}}",
		"/metadata/annotations/a~1b~1c|metadata.annotations: Invalid value: \"a/b/c\": a valid label key must consist of alph",
		"annotation key with two slashes");
	{
		/* 256 KiB of annotations is the limit: one byte more is refused */
		size_t n = GATE_K8S_META_ANNOTATIONS_MAX - 1;
		char *v = gate_xmalloc(n + 2), *y, *got;

		memset(v, 'x', n + 1);
		v[n] = '\0';
		y = gate_xasprintf("metadata: {name: c, annotations: {a: %s}}", v);
		got = meta("", "ConfigMap", y);
		ok(!strcmp(got, ""), "annotations of exactly 256 KiB accepted");
		free(got);
		free(y);
		v[n] = 'x';
		v[n + 1] = '\0';
		y = gate_xasprintf("metadata: {name: c, annotations: {a: %s}}", v);
		got = meta("", "ConfigMap", y);
		ok(!strcmp(got, "/metadata/annotations|metadata.annotations: Too long: may not be more than 262144 bytes"),
			"annotations over 256 KiB refused: %s", got);
		free(got);
		free(y);
		free(v);
	}
	{
		/* a long value is cut in the message: lines stay bounded */
		char *v = gate_xmalloc(5001), *y, *got;
		memset(v, 'x', 5000);
		v[5000] = '\0';
		v[0] = '-';
		y = gate_xasprintf("metadata: {name: c, labels: {a: \"%s\"}}", v);
		got = meta("", "ConfigMap", y);
		ok(strlen(got) < 2000 && strstr(got, "xxx\"...: must be no more than 63 bytes"),
			"a 5,000-byte label value is shown cut to 256 bytes (%zu)", strlen(got));
		free(got);
		free(y);
		free(v);
	}
	is_meta("", "ConfigMap", "metadata: {name: \"${app}-config\", namespace: \"${ns}\", labels: {app: \"${app}\"}}", "",
		"values holding ${VAR} (Flux post-build substitution) are not judged");
	is_meta("", "ConfigMap", "metadata: {name: \"ENC[AES256_GCM,data:eA==,type:str]\"}", "",
		"SOPS-encrypted values are not judged");
}

static void test_sops(void)
{
	struct gate_doc *doc = parse(
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
		"spec: {replicas: \"ENC[AES256_GCM,data:Mw==,iv:aXY=,tag:dGFn,type:int]\", paused: maybe}\n"
		"sops: {mac: \"ENC[AES256_GCM,data:bWFj,type:str]\", version: 3.9.1}\n");
	struct gate_schema *schema = NULL;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	struct gate_node view;
	json_error_t jerr;
	json_t *js;
	char msg[256];
	int rc;

	ok(gate_sops_encrypted(doc->root), "a top-level sops mapping marks an encrypted document");
	ok(gate_sops_enc_value(gate_node_get(gate_node_get(doc->root, "spec"), "replicas")), "ENC[...] is an encrypted value");
	ok(!gate_sops_enc_value(gate_node_get(doc->root, "kind")), "a plain string is not");
	gate_sops_view(&view, doc->root);
	ok(view.len == doc->root->len - 1 && !gate_node_get(&view, "sops") && gate_node_get(&view, "spec"),
		"the view drops sops and keeps the rest");
	gate_sops_view_release(&view);

	js = json_loads("{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
		"\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},"
		"\"metadata\":{\"type\":\"object\"},\"spec\":{\"type\":\"object\",\"additionalProperties\":false,"
		"\"properties\":{\"replicas\":{\"type\":\"integer\"},\"paused\":{\"type\":\"boolean\"}}}}}", 0, &jerr);
	if (!js || gate_schema_compile(&schema, js, NULL, 0, msg, sizeof(msg)) < 0) {
		ok(0, "compile the test schema");
		return;
	}
	rc = gate_admit_validate(schema, doc->root, "apps", "Deployment", &errs, 10);
	ok(rc == 0 && errs.n == 1 && !strcmp(errs.v[0].pointer, "/spec/paused"),
		"strict schema: sops key and the encrypted integer pass, a plain wrong value still fails (%d, %zu)",
		rc, errs.n);
	gate_schema_errors_release(&errs);
	gate_doc_free(doc);

	doc = parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
		"spec: {replicas: \"ENC[AES256_GCM,data:Mw==,type:int]\"}\n");
	rc = gate_admit_validate(schema, doc->root, "apps", "Deployment", &errs, 10);
	ok(rc == 0 && errs.n == 1, "without a sops key an ENC[...] string is just a string");
	gate_schema_errors_release(&errs);
	gate_doc_free(doc);

	doc = parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Web}\nspec: {replicas: 1}\n");
	rc = gate_admit_validate(schema, doc->root, "apps", "Deployment", &errs, 10);
	ok(rc == 0 && errs.n == 1 && !strcmp(errs.v[0].keyword, "metadata"),
		"a schema-valid object with a bad name is invalid (keyword metadata)");
	gate_schema_errors_release(&errs);
	rc = gate_admit_validate(schema, doc->root, NULL, NULL, &errs, 10);
	ok(rc == 1 && errs.n == 0, "no kind given: no metadata rules");
	gate_schema_errors_release(&errs);
	gate_doc_free(doc);
	gate_schema_free(schema);
	json_decref(js);
}

int main(void)
{
	test_names();
	test_required();
	test_namespace_labels_annotations();
	test_sops();
	return tap_done();
}
