/*
 * libFuzzer target: the admission step on arbitrary documents: the API
 * server's metadata rules (kind and group picked by the first byte), the SOPS
 * view and error filter against a small strict schema, the CRD conversion of
 * every version found, and both duration syntaxes on every string value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate/admit.h"
#include "gate/crd.h"
#include "gate/doc.h"
#include "gate/duration.h"
#include "gate/k8s_meta.h"
#include "gate/schema.h"
#include "gate/sops.h"

static const char *const kinds[][2] = {
	{ "", "ConfigMap" }, { "", "Namespace" }, { "", "Service" }, { "apps", "Deployment" },
	{ "batch", "CronJob" }, { "rbac.authorization.k8s.io", "ClusterRole" },
	{ "apiextensions.k8s.io", "CustomResourceDefinition" }, { "example.com", "WidgetList" },
};

struct ctx {
	unsigned pick;
	const struct gate_schema *schema;
};

static void strings(const struct gate_node *n, int depth)
{
	uint32_t i;

	if (!n || depth > 64)
		return;
	if (n->type == GATE_NODE_STRING) {
		int64_t ns;
		gate_duration_parse_go(n->u.str, n->len, &ns);
		gate_duration_valid_k8s(n->u.str, n->len);
	} else if (n->type == GATE_NODE_ARRAY) {
		for (i = 0; i < n->len; i++)
			strings(&n->u.items[i], depth + 1);
	} else if (n->type == GATE_NODE_OBJECT) {
		for (i = 0; i < n->len; i++)
			strings(&n->u.members[i].value, depth + 1);
	}
}

static int on_version(const struct gate_crd_version *v, void *payload)
{
	json_t *in = v->schema ? gate_node_to_jansson(v->schema) : NULL, *out;

	(void)payload;
	out = gate_crd_schema_convert(in, GATE_CRD_CLOSED | GATE_CRD_NO_DESCRIPTIONS);
	json_decref(out);
	out = gate_crd_schema_convert(in, GATE_CRD_CLOSED | GATE_CRD_CLOSED_ROOT);
	json_decref(out);
	json_decref(in);
	return 0;
}

static int on_part(const char *part, size_t len, uint32_t line, void *payload)
{
	struct ctx *c = payload;
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;
	const char *const *k = kinds[c->pick % (sizeof(kinds) / sizeof(*kinds))];

	lim.max_nodes = 100000;
	lim.max_alias_nodes = 10000;
	if (gate_doc_parse(&doc, part, len, line, &lim, 0, &err) < 0)
		return 0;
	if (doc->root) {
		gate_k8s_meta_check(doc->root, k[0], k[1], &errs);
		gate_schema_errors_release(&errs);
		if (c->schema)
			gate_admit_validate(c->schema, doc->root, k[0], k[1], &errs, 50);
		gate_schema_errors_release(&errs);
		gate_crd_each_version(doc->root, on_version, NULL);
		strings(doc->root, 0);
	}
	gate_doc_free(doc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gate_schema *schema;
	static int compiled;
	struct ctx c;

	if (!compiled) {
		json_error_t e;
		json_t *j = json_loads("{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
			"\"apiVersion\":{\"type\":\"string\"},\"kind\":{\"type\":\"string\"},"
			"\"metadata\":{\"type\":\"object\"},\"spec\":{\"type\":\"object\",\"additionalProperties\":"
			"{\"type\":\"integer\"}}}}", 0, &e);
		char msg[256];
		compiled = 1;
		if (j && gate_schema_compile(&schema, j, NULL, 0, msg, sizeof(msg)) < 0)
			schema = NULL;
		json_decref(j);
	}
	c.pick = size ? data[0] : 0;
	c.schema = schema;
	gate_doc_split((const char *)data, size, on_part, &c);
	return 0;
}
