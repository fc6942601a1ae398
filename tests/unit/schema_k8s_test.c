/*
 * schema_k8s_test: the Kubernetes admission semantics of the schema engine,
 * case by case: x-kubernetes-list-type map and set, embedded resources,
 * int-or-string, defaults applied before CEL, and x-kubernetes-validations
 * with message, messageExpression, fieldPath, reason, transition rules,
 * evaluation errors, the cost bound and rules that do not compile.
 *
 * Each case is a schema (JSON), a document (YAML) and the exact errors
 * expected, one "POINTER LINE:COL: MESSAGE" per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/doc.h"
#include "gate/schema.h"
#include "gate/util.h"
#include "../tap.h"

struct tcase {
	const char *name, *schema, *doc, *want;
};

#define LIST_MAP "{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\",\"x-kubernetes-list-map-keys\":[\"name\"]," \
	"\"items\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"port\":{\"type\":\"integer\"}}}}"
#define PORTS "{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\"," \
	"\"x-kubernetes-list-map-keys\":[\"containerPort\",\"protocol\"],\"items\":{\"type\":\"object\"," \
	"\"required\":[\"containerPort\"],\"properties\":{\"containerPort\":{\"type\":\"integer\"}," \
	"\"protocol\":{\"type\":\"string\",\"default\":\"TCP\"}}}}"
#define SET "{\"type\":\"array\",\"x-kubernetes-list-type\":\"set\"}"
#define EMBEDDED "{\"type\":\"object\",\"x-kubernetes-embedded-resource\":true," \
	"\"x-kubernetes-preserve-unknown-fields\":true}"
#define RULE(r, extra) "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}," \
	"\"spec\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}}}}," \
	"\"x-kubernetes-validations\":[{\"rule\":\"" r "\"" extra "}]}"

static const struct tcase cases[] = {
	/* list topology */
	{ "list-map: a duplicate key", LIST_MAP, "- name: a\n  port: 1\n- name: b\n- name: a\n  port: 2\n",
		"/2 4:3: Duplicate value: {\"name\":\"a\"}\n" },
	{ "list-map: unique keys", LIST_MAP, "- name: a\n- name: b\n", "" },
	{ "list-map: two keys, the default fills the missing one",
		PORTS, "- containerPort: 80\n- containerPort: 80\n  protocol: TCP\n",
		"/1 2:3: Duplicate value: {\"containerPort\":80,\"protocol\":\"TCP\"}\n" },
	{ "list-map: two keys that differ", PORTS, "- containerPort: 80\n- containerPort: 80\n  protocol: UDP\n", "" },
	{ "list-map: every duplicate reported", LIST_MAP, "- name: a\n- name: a\n- name: a\n",
		"/1 2:3: Duplicate value: {\"name\":\"a\"}\n/2 3:3: Duplicate value: {\"name\":\"a\"}\n" },
	{ "set: a duplicate string", SET, "[a, b, a]", "/2 1:8: Duplicate value: \"a\"\n" },
	{ "set: objects equal whatever the member order", SET, "- {a: 1, b: 2}\n- {b: 2, a: 1}\n",
		"/1 2:3: Duplicate value: {\"a\":1,\"b\":2}\n" },
	{ "set: 1 and 1.0 are one number", SET, "[1, 1.0]", "/1 1:5: Duplicate value: 1\n" },
	{ "set: unique", SET, "[a, b, c]", "" },
	{ "atomic: duplicates allowed", "{\"type\":\"array\",\"x-kubernetes-list-type\":\"atomic\"}", "[a, a]", "" },
	/* embedded resources */
	{ "embedded: apiVersion and kind required", EMBEDDED, "{}",
		"/apiVersion 1:1: Required value: must not be empty\n/kind 1:1: Required value: must not be empty\n" },
	{ "embedded: a well formed object", EMBEDDED, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n", "" },
	{ "embedded: a bad group/version", EMBEDDED, "apiVersion: a/b/c\nkind: Pod\n",
		"/apiVersion 1:13: Invalid value: \"a/b/c\": unexpected GroupVersion string\n" },
	{ "embedded: a kind that is no DNS-1035 label", EMBEDDED, "apiVersion: v1\nkind: Bad_Kind\n",
		"/kind 2:7: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a lowercase "
		"RFC 1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
		"character, and end with an alphanumeric character\n" },
	{ "embedded: metadata must be an object", EMBEDDED, "apiVersion: v1\nkind: Pod\nmetadata: 3\n",
		"/metadata 3:11: Invalid value: must be an object\n" },
	/* int-or-string */
	{ "int-or-string: integer", "{\"x-kubernetes-int-or-string\":true}", "80", "" },
	{ "int-or-string: string", "{\"x-kubernetes-int-or-string\":true}", "80%", "" },
	{ "int-or-string: float refused", "{\"x-kubernetes-int-or-string\":true}", "1.5",
		" 1:1: expected string or integer, got number\n" },
	{ "int-or-string: in CEL", "{\"type\":\"object\",\"properties\":{\"p\":{\"x-kubernetes-int-or-string\":true}},"
		"\"x-kubernetes-validations\":[{\"rule\":\"type(self.p) == int ? self.p > 0 : self.p.endsWith('%')\","
		"\"message\":\"bad p\"}]}", "p: \"50\"\n", " 1:1: Invalid value: \"object\": bad p\n" },
	/* defaults applied before CEL */
	{ "default: read by a rule", "{\"type\":\"object\",\"properties\":{\"mode\":{\"type\":\"string\",\"default\":\"Auto\"}},"
		"\"x-kubernetes-validations\":[{\"rule\":\"self.mode == 'Auto'\"}]}", "{}", "" },
	{ "default: an explicit value wins", "{\"type\":\"object\",\"properties\":{\"mode\":{\"type\":\"string\",\"default\":\"Auto\"}},"
		"\"x-kubernetes-validations\":[{\"rule\":\"self.mode == 'Auto'\"}]}", "mode: Manual\n",
		" 1:1: Invalid value: \"object\": failed rule: self.mode == 'Auto'\n" },
	{ "default: nested defaults inside a defaulted object",
		"{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\",\"default\":{},\"properties\":"
		"{\"replicas\":{\"type\":\"integer\",\"default\":1}}}},"
		"\"x-kubernetes-validations\":[{\"rule\":\"has(self.spec) && self.spec.replicas == 1\"}]}", "{}", "" },
	{ "default: a default fills a required property",
		"{\"type\":\"object\",\"required\":[\"mode\",\"name\"],\"properties\":{\"mode\":{\"type\":\"string\","
		"\"default\":\"Auto\"},\"name\":{\"type\":\"string\"}}}", "{}", " 1:1: missing required property \"name\"\n" },
	{ "default: an annotation only under a declared JSON Schema draft",
		"{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\",\"required\":[\"mode\"],"
		"\"properties\":{\"mode\":{\"type\":\"string\",\"default\":\"Auto\"}}}", "{}",
		" 1:1: missing required property \"mode\"\n" },
	/* rules */
	{ "rule: holds", RULE("self.x < 5", ""), "x: 3\n", "" },
	{ "rule: no message", RULE("self.x < 5", ""), "x: 7\n", " 1:1: Invalid value: \"object\": failed rule: self.x < 5\n" },
	{ "rule: message", RULE("self.x < 5", ",\"message\":\" x too big \""), "x: 7\n",
		" 1:1: Invalid value: \"object\": x too big\n" },
	{ "rule: messageExpression", RULE("self.x < 5", ",\"message\":\"m\",\"messageExpression\":\"'x is ' + string(self.x)\""),
		"x: 7\n", " 1:1: Invalid value: \"object\": x is 7\n" },
	{ "rule: messageExpression failing falls back to message",
		RULE("self.x < 5", ",\"message\":\"m\",\"messageExpression\":\"'x is ' + self.x\""), "x: 7\n",
		" 1:1: Invalid value: \"object\": m\n" },
	{ "rule: fieldPath", RULE("self.spec.x < 5", ",\"message\":\"m\",\"fieldPath\":\".spec.x\""), "spec:\n  x: 9\n",
		"/spec/x 2:6: Invalid value: \"object\": m\n" },
	{ "rule: fieldPath with a quoted key", RULE("self.spec.x < 5", ",\"message\":\"m\",\"fieldPath\":\".spec['x']\""),
		"spec:\n  x: 9\n", "/spec/x 2:6: Invalid value: \"object\": m\n" },
	{ "rule: reason Forbidden", RULE("!has(self.x)", ",\"message\":\"x is forbidden\",\"reason\":\"FieldValueForbidden\""),
		"x: 1\n", " 1:1: Forbidden: x is forbidden\n" },
	{ "rule: reason Required", RULE("has(self.x)", ",\"message\":\"x is required\",\"reason\":\"FieldValueRequired\""),
		"{}", " 1:1: Required value: x is required\n" },
	{ "rule: transition rules are skipped on create", RULE("self == oldSelf", ",\"message\":\"immutable\""), "x: 1\n", "" },
	{ "rule: optionalOldSelf is evaluated on create",
		RULE("oldSelf.hasValue() || self.x == 1", ",\"message\":\"x must start at 1\",\"optionalOldSelf\":true"),
		"x: 2\n", " 1:1: Invalid value: \"object\": x must start at 1\n" },
	{ "rule: an evaluation error", RULE("self.spec.x == 1", ",\"message\":\"m\""), "x: 1\n",
		" 1:1: Invalid value: \"object\": no such key: spec evaluating rule: m\n" },
	{ "rule: an error absorbed by ||", RULE("self.spec.x == 1 || self.x == 1", ""), "x: 1\n", "" },
	{ "rule: the cost bound", "{\"type\":\"array\",\"x-kubernetes-validations\":[{\"rule\":"
		"\"self.all(a, self.all(b, self.all(c, a + b + c >= 0)))\"}]}",
		"[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,"
		"39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70]",
		" 1:1: Invalid value: \"array\": call cost exceeds limit for rule: "
		"self.all(a, self.all(b, self.all(c, a + b + c >= 0)))\n" },
	{ "rule: a rule that does not compile", RULE("self.x +", ""), "x: 1\n",
		" 1:1: Invalid value: \"object\": rule compile error: 1:9: unexpected end of expression\n" },
	{ "rule: on every item", "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"x-kubernetes-validations\":"
		"[{\"rule\":\"self.startsWith('a')\",\"message\":\"must start with a\"}]}}", "[ab, b, ac, c]",
		"/1 1:6: Invalid value: \"string\": must start with a\n/3 1:13: Invalid value: \"string\": must start with a\n" },
	{ "rule: numbers typed by the schema", "{\"type\":\"object\",\"properties\":{\"r\":{\"type\":\"number\"}},"
		"\"x-kubernetes-validations\":[{\"rule\":\"type(self.r) == double && self.r == 2\"}]}", "r: 2\n", "" },
	{ "rule: null on a nullable field skips its rules", "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\","
		"\"nullable\":true,\"x-kubernetes-validations\":[{\"rule\":\"self.size() > 1\"}]}}}", "s: null\n", "" },
};

static char *outcome(const char *schema_text, const char *doc_text, char *msg, size_t msgsize)
{
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	struct gate_schema *schema = NULL;
	struct gate_doc *doc = NULL;
	struct gate_doc_error derr;
	struct gate_buf b = GATE_BUF_INIT;
	json_error_t jerr;
	json_t *root = json_loads(schema_text, 0, &jerr);
	size_t i;

	if (!root) {
		snprintf(msg, msgsize, "schema JSON: %s", jerr.text);
		return NULL;
	}
	if (gate_schema_compile(&schema, root, NULL, 0, msg, msgsize) < 0 ||
			gate_doc_parse(&doc, doc_text, strlen(doc_text), 1, NULL, 0, &derr) < 0) {
		json_decref(root);
		gate_schema_free(schema);
		return NULL;
	}
	gate_schema_validate(schema, doc->root, &errs, 0);
	for (i = 0; i < errs.n; i++)
		gate_buf_addf(&b, "%s %u:%u: %s\n", errs.v[i].pointer, errs.v[i].line, errs.v[i].col, errs.v[i].message);
	gate_schema_errors_release(&errs);
	gate_doc_free(doc);
	gate_schema_free(schema);
	json_decref(root);
	return b.ptr ? gate_buf_detach(&b) : gate_xstrdup("");
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[300] = "";
		char *got = outcome(cases[i].schema, cases[i].doc, msg, sizeof(msg));
		if (!ok(got && !strcmp(got, cases[i].want), "%s", cases[i].name))
			diag("got:\n%s# want:\n%s# %s", got ? got : "(no outcome)", cases[i].want, msg);
		free(got);
	}
	/* the document's total budget (the API server's per-request budget): one error, then no more rules */
	{
		struct gate_buf doc = GATE_BUF_INIT;
		char msg[300];
		char *got;
		int j, k, nerr = 0;
		for (j = 0; j < 80; j++) {
			gate_buf_adds(&doc, "- nums: [");
			for (k = 0; k < 150; k++)
				gate_buf_addf(&doc, "%s%d", k ? "," : "", k);
			gate_buf_adds(&doc, "]\n");
		}
		got = outcome("{\"type\":\"array\",\"items\":{\"type\":\"object\",\"x-kubernetes-validations\":"
			"[{\"rule\":\"self.nums.all(a, self.nums.all(b, a + b >= 0))\"}]}}", doc.ptr, msg, sizeof(msg));
		for (j = 0; got && got[j]; j++)
			nerr += got[j] == '\n';
		ok(got && nerr == 1 && strstr(got, ": Forbidden: validation failed due to running out of cost budget, "
			"no further validation rules will be run\n"), "the per-document CEL budget runs out once");
		if (got && nerr != 1)
			diag("%s", got);
		free(got);
		gate_buf_release(&doc);
	}
	/* a malformed extension is a schema error */
	{
		char msg[300];
		char *got = outcome("{\"type\":\"array\",\"x-kubernetes-list-type\":\"bag\"}", "[]", msg, sizeof(msg));
		ok(!got && strstr(msg, "x-kubernetes-list-type"), "an unknown list type refuses the schema: %s", msg);
		free(got);
		got = outcome("{\"type\":\"array\",\"x-kubernetes-list-type\":\"map\"}", "[]", msg, sizeof(msg));
		ok(!got && strstr(msg, "list-map-keys"), "a list-map without keys refuses the schema: %s", msg);
		free(got);
	}
	return tap_done();
}
