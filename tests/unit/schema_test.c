/*
 * schema_test: the schema engine beyond the official suite: Kubernetes
 * extensions, error pointers, positions and messages, the format rules,
 * relative file references, compile errors, and use from two threads.
 *
 * With arguments, "schema_test --compile DIR..." compiles every *.json under
 * each folder and prints one TAP line per folder (used by
 * tests/schema/compile-data.sh on the shared Kubernetes and CRD schemas).
 */
#define _GNU_SOURCE /* nftw */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gate/doc.h"
#include "gate/schema.h"
#include "gate/util.h"
#include "../tap.h"

static struct gate_doc *parse(const char *yaml)
{
	struct gate_doc_limits lim = GATE_DOC_LIMITS_INIT;
	struct gate_doc_error err;
	struct gate_doc *doc = NULL;

	if (gate_doc_parse(&doc, yaml, strlen(yaml), 1, &lim, 0, &err) < 0) {
		diag("test document does not parse: %u:%u %s", err.line, err.col, err.message);
		return NULL;
	}
	return doc;
}

static struct gate_schema *compile_flags(const char *json, int flags)
{
	json_error_t jerr;
	json_t *root = json_loads(json, 0, &jerr);
	struct gate_schema *s = NULL;
	char msg[512];

	if (!root) {
		diag("test schema is not JSON: %s", jerr.text);
		return NULL;
	}
	if (gate_schema_compile(&s, root, NULL, flags, msg, sizeof(msg)) < 0)
		diag("compile: %s", msg);
	json_decref(root);
	return s;
}

static struct gate_schema *compile(const char *json)
{
	return compile_flags(json, 0);
}

/* validate yaml; returns 1 valid, 0 invalid, -1 could not run; errors into errs */
static int check(const struct gate_schema *s, const char *yaml, struct gate_schema_errors *errs,
	size_t max)
{
	struct gate_doc *doc;
	int r;

	if (!s || !(doc = parse(yaml)))
		return -1;
	r = gate_schema_validate(s, doc->root, errs, max);
	gate_doc_free(doc);
	return r;
}

/* validity only, and no error recorded when valid */
static int valid(const struct gate_schema *s, const char *yaml)
{
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	int r = check(s, yaml, &errs, 0);

	if (r == 1 && errs.n)
		r = -2;
	if (r == 0 && !errs.n)
		r = -3;
	gate_schema_errors_release(&errs);
	return r;
}

static void dump(const struct gate_schema_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		diag("  %s %u:%u [%s] %s", errs->v[i].pointer, errs->v[i].line, errs->v[i].col,
			errs->v[i].keyword, errs->v[i].message);
}

/* errs->v[i] is exactly this */
static int is_error(const struct gate_schema_errors *errs, size_t i, const char *pointer,
	uint32_t line, uint32_t col, const char *keyword, const char *message)
{
	const struct gate_schema_error *e;

	if (i >= errs->n)
		return 0;
	e = &errs->v[i];
	return !strcmp(e->pointer, pointer) && e->line == line && e->col == col &&
		!strcmp(e->keyword, keyword) && !strcmp(e->message, message);
}

static void test_kubernetes_extensions(void)
{
	struct gate_schema *s;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;

	s = compile("{\"type\":\"integer\",\"nullable\":true,\"minimum\":1}");
	ok(valid(s, "null") == 1, "nullable: null accepted whatever the type");
	ok(valid(s, "3") == 1, "nullable: the type still applies to values");
	ok(valid(s, "x") == 0, "nullable: a string is still rejected");
	gate_schema_free(s);

	s = compile("{\"type\":\"integer\"}");
	ok(valid(s, "null") == 0, "without nullable, null is not an integer");
	gate_schema_free(s);

	s = compile("{\"x-kubernetes-int-or-string\":true,"
		"\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}");
	ok(valid(s, "8080") == 1, "int-or-string: integer");
	ok(valid(s, "http") == 1, "int-or-string: string");
	ok(valid(s, "1.5") == 0, "int-or-string: a fraction is neither");
	ok(check(s, "true", &errs, 0) == 0 && errs.n == 1 &&
		is_error(&errs, 0, "", 1, 1, "type", "expected string or integer, got boolean"),
		"int-or-string: one type error for a boolean");
	dump(&errs);
	gate_schema_errors_release(&errs);
	gate_schema_free(s);

	s = compile("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
		"\"additionalProperties\":false,\"x-kubernetes-preserve-unknown-fields\":true}");
	ok(valid(s, "a: x\nb: 1\nc: {d: [1, 2]}\n") == 1,
		"preserve-unknown-fields: unknown fields pass although additionalProperties is false");
	ok(valid(s, "a: 1\nb: 1\n") == 0, "preserve-unknown-fields: known fields are still checked");
	gate_schema_free(s);

	s = compile("{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}");
	ok(valid(s, "anything: {goes: [1, {x: y}]}\nhere: true\n") == 1,
		"preserve-unknown-fields without properties accepts any object");
	ok(valid(s, "[1]") == 0, "preserve-unknown-fields does not lift the type");
	gate_schema_free(s);

	s = compile("{\"type\":\"object\",\"properties\":{\"template\":{\"type\":\"object\","
		"\"x-kubernetes-embedded-resource\":true,\"x-kubernetes-preserve-unknown-fields\":true}}}");
	ok(valid(s, "template:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n") == 1,
		"embedded-resource: a resource passes");
	ok(check(s, "template:\n  metadata: {name: x}\n  kind: 3\n", &errs, 0) == 0 && errs.n == 2 &&
		is_error(&errs, 0, "/template/apiVersion", 2, 3, "x-kubernetes-embedded-resource",
			"Required value: must not be empty") &&
		is_error(&errs, 1, "/template/kind", 3, 9, "x-kubernetes-embedded-resource",
			"Invalid value: must be a string"),
		"embedded-resource: apiVersion and kind are required strings");
	dump(&errs);
	gate_schema_errors_release(&errs);
	gate_schema_free(s);

	s = compile("{\"type\":\"object\",\"x-kubernetes-list-type\":\"map\",\"description\":\"d\","
		"\"default\":{},\"example\":1,\"x-kubernetes-map-type\":\"atomic\"}");
	ok(valid(s, "a: 1") == 1, "other x- keys, description, default and example are ignored");
	gate_schema_free(s);
	s = compile("{\"type\":\"object\",\"x-kubernetes-validations\":[{\"rule\":\"false\"}]}");
	ok(valid(s, "a: 1") == 0, "x-kubernetes-validations are evaluated");
	gate_schema_free(s);
}

static const char deployment_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	" \"spec\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
	"  \"replicas\":{\"type\":\"integer\",\"minimum\":1},"
	"  \"strategy\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"},"
	"  \"template\":{\"type\":\"object\",\"properties\":{"
	"   \"containers\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"name\"],"
	"    \"properties\":{\"name\":{\"type\":\"string\"},\"imagePullPolicy\":{\"type\":\"string\","
	"     \"enum\":[\"Always\",\"Never\",\"IfNotPresent\"]}}}}}}}}}}";

static void test_errors(void)
{
	struct gate_schema *s = compile(deployment_schema);
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	const char *doc =
		"spec:\n"
		"  replicas: \"3\"\n"
		"  replica: 2\n"
		"  strategy: Roll-ing\n"
		"  template:\n"
		"    containers:\n"
		"      - name: web\n"
		"        imagePullPolicy: Sometimes\n"
		"      - image: nginx\n";

	ok(s != NULL, "a Deployment-like schema compiles");
	ok(check(s, doc, &errs, 0) == 0, "the document is invalid");
	ok(errs.n == 5, "five violations (got %zu)", errs.n);
	ok(is_error(&errs, 0, "/spec/replicas", 2, 13, "type", "expected integer, got string"),
		"type error: pointer, line, column, message");
	ok(is_error(&errs, 1, "/spec/replica", 3, 3, "additionalProperties",
		"additional property \"replica\" is not allowed"),
		"unknown property: at its key");
	ok(is_error(&errs, 2, "/spec/strategy", 4, 13, "pattern",
		"string \"Roll-ing\" does not match pattern \"^[a-z]+$\""),
		"pattern error");
	ok(is_error(&errs, 3, "/spec/template/containers/0/imagePullPolicy", 8, 26, "enum",
		"value must be one of \"Always\", \"Never\", \"IfNotPresent\""),
		"enum error lists the values");
	ok(is_error(&errs, 4, "/spec/template/containers/1", 9, 9, "required",
		"missing required property \"name\""),
		"missing required property: at the object");
	dump(&errs);
	gate_schema_errors_release(&errs);

	ok(check(s, doc, &errs, 2) == 0 && errs.n == 2, "max_errors bounds the errors appended");
	gate_schema_errors_release(&errs);
	ok(check(s, "spec:\n  replicas: 0\n", &errs, 0) == 0 &&
		is_error(&errs, 0, "/spec/replicas", 2, 13, "minimum", "must be at least 1"),
		"minimum message");
	gate_schema_errors_release(&errs);
	ok(valid(s, "spec:\n  replicas: 2\n  template: {containers: [{name: a}]}\n") == 1,
		"a valid document has no errors");
	gate_schema_free(s);

	/* RFC 6901 escaping of keys in pointers */
	s = compile("{\"additionalProperties\":{\"type\":\"string\"}}");
	ok(check(s, "\"a/b~c\": 1\n", &errs, 0) == 0 &&
		is_error(&errs, 0, "/a~1b~0c", 1, 10, "type", "expected string, got integer"),
		"pointer tokens escape / and ~");
	dump(&errs);
	gate_schema_errors_release(&errs);
	gate_schema_free(s);

	/* untrusted strings in messages are quoted and escaped */
	s = compile("{\"pattern\":\"^a$\"}");
	ok(check(s, "\"b\\\"\\t\\\\\"", &errs, 0) == 0 && errs.n == 1 &&
		!strcmp(errs.v[0].message, "string \"b\\\"\\x09\\\\\" does not match pattern \"^a$\""),
		"control characters and quotes are escaped in messages");
	dump(&errs);
	gate_schema_errors_release(&errs);
	gate_schema_free(s);

	/* branches not taken do not leak errors */
	s = compile("{\"anyOf\":[{\"type\":\"string\",\"minLength\":5},{\"type\":\"integer\"}]}");
	ok(valid(s, "3") == 1, "anyOf: second branch matches, no errors");
	ok(check(s, "abc", &errs, 0) == 0 && errs.n == 1 &&
		is_error(&errs, 0, "", 1, 1, "minLength", "must be at least 5 characters long"),
		"anyOf: the only branch of the right type explains the failure");
	dump(&errs);
	gate_schema_errors_release(&errs);
	ok(check(s, "[1]", &errs, 0) == 0 && errs.n == 1 &&
		is_error(&errs, 0, "", 1, 1, "anyOf", "expected string or integer, got array"),
		"anyOf: no branch of the right type gives one type error");
	gate_schema_errors_release(&errs);
	gate_schema_free(s);

	s = compile("{\"oneOf\":[{\"type\":\"object\",\"required\":[\"a\"]},"
		"{\"type\":\"object\",\"required\":[\"b\"]}]}");
	ok(check(s, "c: 1", &errs, 0) == 0 && errs.n == 1 &&
		is_error(&errs, 0, "", 1, 1, "oneOf", "does not match any of the allowed schemas"),
		"oneOf: a summary when several branches could apply");
	gate_schema_errors_release(&errs);
	ok(check(s, "{a: 1, b: 2}", &errs, 0) == 0 && errs.n == 1 &&
		is_error(&errs, 0, "", 1, 1, "oneOf",
			"must match exactly one of the allowed schemas, but matches 0 and 1"),
		"oneOf: more than one match");
	gate_schema_errors_release(&errs);
	gate_schema_free(s);

	s = compile("{\"not\":{\"type\":\"string\"},\"properties\":{\"a\":{\"not\":{\"minimum\":3}}}}");
	ok(valid(s, "a: 1") == 1, "not: valid and no errors from the inner schema");
	ok(check(s, "a: 4", &errs, 0) == 0 && errs.n == 1 &&
		is_error(&errs, 0, "/a", 1, 4, "not", "must not match the schema in \"not\""),
		"not: one error");
	gate_schema_errors_release(&errs);
	gate_schema_free(s);

	s = compile("{\"maxLength\":3,\"minLength\":2}");
	ok(valid(s, "\"\xc3\xa9t\xc3\xa9\"") == 1, "lengths count code points, not bytes");
	ok(valid(s, "\"\xc3\xa9t\xc3\xa9s\"") == 0, "four code points are too many");
	gate_schema_free(s);

	s = compile("{\"multipleOf\":0.01}");
	ok(valid(s, "19.99") == 1, "multipleOf with a decimal step");
	ok(valid(s, "19.995") == 0, "multipleOf rejects a finer value");
	gate_schema_free(s);

	s = compile("{\"uniqueItems\":true}");
	ok(valid(s, "[{a: 1, b: 2}, {b: 2, a: 1.0}]") == 0, "uniqueItems: key order and 1 vs 1.0 ignored");
	ok(valid(s, "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,10]") == 0,
		"uniqueItems on a longer array");
	ok(valid(s, "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25]") == 1,
		"uniqueItems: distinct items");
	gate_schema_free(s);
}

static void test_formats(void)
{
	struct gate_schema *s;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;

	/* kubeconform: no "$schema" means draft-04, where format is asserted */
	s = compile("{\"type\":\"string\",\"format\":\"date-time\"}");
	ok(valid(s, "\"2024-02-29T10:00:00Z\"") == 1, "date-time: a valid timestamp");
	ok(check(s, "not-a-date", &errs, 0) == 0 &&
		is_error(&errs, 0, "", 1, 1, "format", "must be a valid date-time"),
		"date-time asserted without $schema (as for CRD schemas)");
	gate_schema_errors_release(&errs);
	ok(valid(s, "\"2023-02-29T10:00:00Z\"") == 0, "date-time: no 29 February in 2023");
	ok(valid(s, "\"2024-01-01T12:59:60Z\"") == 0, "date-time: a leap second only at 23:59 UTC");
	ok(valid(s, "\"2024-01-01T15:59:60-08:00\"") == 1, "date-time: leap second at 23:59 UTC, given with an offset");
	ok(valid(s, "\"2024-01-01T23:59:60.5+00:00\"") == 1, "date-time: leap second at 23:59 UTC");
	ok(valid(s, "\"2024-01-01t10:00:00.123+05:30\"") == 1, "date-time: lowercase t and an offset");
	gate_schema_free(s);

	/* the Kubernetes JSON schemas declare the unversioned meta-schema */
	s = compile("{\"$schema\":\"http://json-schema.org/schema#\",\"type\":\"string\",\"format\":\"date-time\"}");
	ok(valid(s, "not-a-date") == 1, "date-time not asserted under http://json-schema.org/schema#");
	gate_schema_free(s);
	s = compile_flags("{\"$schema\":\"http://json-schema.org/schema#\",\"type\":\"string\","
		"\"format\":\"date-time\"}", GATE_SCHEMA_ASSERT_FORMAT);
	ok(valid(s, "not-a-date") == 0, "GATE_SCHEMA_ASSERT_FORMAT always asserts");
	gate_schema_free(s);
	s = compile("{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"format\":\"ipv4\"}");
	ok(valid(s, "\"1.2.3.256\"") == 0, "draft-07 $schema asserts formats");
	gate_schema_free(s);

	s = compile("{\"properties\":{\"i\":{\"type\":\"integer\",\"format\":\"int32\"},"
		"\"l\":{\"type\":\"integer\",\"format\":\"int64\"},\"b\":{\"type\":\"string\",\"format\":\"byte\"},"
		"\"u\":{\"format\":\"uuid\"},\"h\":{\"format\":\"hostname\"},\"e\":{\"format\":\"email\"},"
		"\"r\":{\"format\":\"uri\"},\"x\":{\"format\":\"regex\"},\"d\":{\"format\":\"date\"},"
		"\"t\":{\"format\":\"time\"},\"6\":{\"format\":\"ipv6\"},\"q\":{\"format\":\"uri-reference\"},"
		"\"z\":{\"format\":\"no-such-format\"}}}");
	ok(valid(s, "i: 2147483647\nl: 9007199254740993\nb: aGVsbG8=\nu: 123e4567-e89b-12d3-a456-426614174000\n"
		"h: api.example.com\ne: ops@example.com\nr: https://example.com/a?b#c\nx: \"^[a-z]+$\"\n"
		"d: 2024-12-31\nt: \"10:00:00Z\"\n\"6\": \"fe80::1\"\nq: ../a/b\nz: anything\n") == 1,
		"valid values of every format");
	ok(valid(s, "i: 2147483648") == 0, "int32 range");
	ok(valid(s, "b: \"aGVsbG8\"") == 0, "byte: base64 needs padding");
	ok(valid(s, "b: \"aGVs\\nbG8=\"") == 1, "byte: line breaks are ignored, as by Go");
	ok(valid(s, "u: 123e4567-e89b-12d3-a456-42661417400") == 0, "uuid");
	ok(valid(s, "h: -bad.example.com") == 0, "hostname label starting with -");
	ok(valid(s, "e: \"no at sign\"") == 0, "email");
	ok(valid(s, "r: relative/path") == 0, "uri must be absolute");
	ok(valid(s, "x: \"(a\"") == 0, "regex");
	ok(valid(s, "x: \"(?=a)\"") == 0, "regex: lookahead is not RE2");
	ok(valid(s, "d: 2024-13-01") == 0, "date month");
	ok(valid(s, "t: \"24:00:00Z\"") == 0, "time hour");
	ok(valid(s, "\"6\": \"1:2:3\"") == 0, "ipv6");
	ok(valid(s, "q: \"a\\\\b\"") == 0, "uri-reference: no backslash");
	ok(valid(s, "u: 12\nh: [1]\nd: true\n") == 1, "formats ignore values of other types");
	gate_schema_free(s);
}

static int write_file(const char *path, const char *text)
{
	return gate_write_file_atomic(path, text, strlen(text), 0644);
}

static void test_files(void)
{
	char dir[] = "/tmp/schema-test.XXXXXX", p[512], msg[512];
	struct gate_schema *s = NULL;
	struct gate_doc *doc;
	struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
	int r;

	if (!ok(mkdtemp(dir) != NULL, "temporary folder"))
		return;
	snprintf(p, sizeof(p), "%s/defs", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/defs/common.json", dir);
	write_file(p, "{\"definitions\":{"
		"\"port\":{\"type\":\"integer\",\"maximum\":65535},"
		"\"svc\":{\"type\":\"object\",\"properties\":{\"port\":{\"$ref\":\"#/definitions/port\"},"
		"\"next\":{\"$ref\":\"../main.json\"}}}}}");
	snprintf(p, sizeof(p), "%s/main.json", dir);
	write_file(p, "{\"type\":\"object\",\"properties\":{"
		"\"service\":{\"$ref\":\"defs/common.json#/definitions/svc\"},"
		"\"again\":{\"$ref\":\"./defs/../defs/common.json#/definitions/port\"}}}");
	r = gate_schema_load_file(&s, p, 0, msg, sizeof(msg));
	ok(r == 0, "relative file $ref compiles");
	if (r < 0)
		diag("%s", msg);
	if (s && (doc = parse("service:\n  port: 80\n  next:\n    service:\n      port: 70000\nagain: 1\n"))) {
		ok(gate_schema_validate(s, doc->root, &errs, 0) == 0 && errs.n == 1 &&
			is_error(&errs, 0, "/service/next/service/port", 5, 13, "maximum", "must be at most 65535"),
			"the referenced file's schema applies, recursively back to the first file");
		dump(&errs);
		gate_schema_errors_release(&errs);
		gate_doc_free(doc);
	}
	gate_schema_free(s);
	s = NULL;

	snprintf(p, sizeof(p), "%s/missing.json", dir);
	write_file(p, "{\"$ref\":\"nowhere.json\"}");
	ok(gate_schema_load_file(&s, p, 0, msg, sizeof(msg)) < 0 && !s && strstr(msg, "nowhere.json"),
		"a $ref to a missing file is a compile error naming it");
	diag("%s", msg);

	snprintf(p, sizeof(p), "%s/schema.yaml", dir);
	write_file(p, "type: object\nrequired: [name]\nproperties:\n  name: {type: string, minLength: 1}\n");
	r = gate_schema_load_file(&s, p, 0, msg, sizeof(msg));
	ok(r == 0, "a YAML schema file loads");
	if (r == 0) {
		ok(valid(s, "name: x") == 1 && valid(s, "other: x") == 0, "the YAML schema validates");
		gate_schema_free(s);
		s = NULL;
	} else {
		diag("%s", msg);
	}

	snprintf(p, sizeof(p), "%s/broken.json", dir);
	write_file(p, "{\"type\": ");
	ok(gate_schema_load_file(&s, p, 0, msg, sizeof(msg)) < 0 && strstr(msg, "broken.json"),
		"an unparsable schema file is an error");
	diag("%s", msg);

	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	if (system(p) != 0)
		diag("could not remove %s", dir);
}

static void test_compile_errors(void)
{
	static const struct {
		const char *schema, *want, *name;
	} bad[] = {
		{ "{\"pattern\":\"([a-z\"}", "invalid pattern", "an invalid pattern" },
		{ "{\"patternProperties\":{\"(\":{}}}", "invalid patternProperties", "an invalid patternProperties key" },
		{ "{\"properties\":{\"a\":{\"$ref\":\"#/definitions/nowhere\"}}}", "not found", "a $ref to nowhere" },
		{ "{\"$ref\":\"#\"}", "loop", "a $ref to itself" },
		{ "{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},\"b\":{\"allOf\":[{\"$ref\":\"#/definitions/a\"}]}},"
			"\"$ref\":\"#/definitions/a\"}", "loop", "a $ref loop through allOf" },
		{ "{\"type\":\"integr\"}", "unknown type", "an unknown type" },
		{ "{\"minLength\":-1}", "minLength", "a negative minLength" },
		{ "{\"multipleOf\":0}", "multipleOf", "multipleOf 0" },
		{ "{\"properties\":{\"a\":3}}", "schema must be an object", "a number as a schema" },
		{ "{\"$ref\":\"https://example.com/s.json\"}", "remote", "a remote $ref (no network)" },
		{ "{\"$ref\":\"/etc/hostname\"}", "no base path", "a file $ref without a base path" },
	};
	size_t i;
	char msg[512];

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		json_t *root = json_loads(bad[i].schema, 0, NULL);
		struct gate_schema *s = NULL;
		int r = gate_schema_compile(&s, root, NULL, 0, msg, sizeof(msg));
		ok(r < 0 && !s && strstr(msg, bad[i].want), "compile error: %s", bad[i].name);
		diag("%s", msg);
		gate_schema_free(s);
		json_decref(root);
	}

	/* a recursive schema that consumes input is fine */
	{
		struct gate_schema *s = compile("{\"type\":\"object\",\"properties\":{\"child\":{\"$ref\":\"#\"},"
			"\"num\":{\"type\":\"integer\"}},\"additionalProperties\":false}");
		ok(s != NULL, "a recursive schema compiles");
		ok(valid(s, "child: {child: {child: {num: 1}}}") == 1, "recursive schema: valid");
		ok(valid(s, "child: {child: {child: {num: x}}}") == 0, "recursive schema: invalid deep down");
		gate_schema_free(s);
	}
}

struct thread_arg {
	const struct gate_schema *s;
	struct gate_doc *good, *bad;
	int mismatches;
};

static void *worker(void *p)
{
	struct thread_arg *a = p;
	int i;

	for (i = 0; i < 3000; i++) {
		struct gate_schema_errors errs = GATE_SCHEMA_ERRORS_INIT;
		if (gate_schema_validate(a->s, a->good->root, &errs, 0) != 1 || errs.n)
			a->mismatches++;
		if (gate_schema_validate(a->s, a->bad->root, &errs, 0) != 0 || errs.n != 3 ||
				strcmp(errs.v[0].pointer, "/name"))
			a->mismatches++;
		gate_schema_errors_release(&errs);
	}
	return NULL;
}

static void test_threads(void)
{
	struct gate_schema *s = compile("{\"type\":\"object\",\"properties\":{"
		"\"name\":{\"type\":\"string\",\"pattern\":\"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\"},"
		"\"labels\":{\"type\":\"object\",\"patternProperties\":{\"^app\":{\"type\":\"string\"}},"
		"\"additionalProperties\":{\"type\":\"string\",\"maxLength\":63}},"
		"\"ports\":{\"type\":\"array\",\"items\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}}}}");
	struct thread_arg a[2];
	pthread_t t[2];
	int i;

	if (!ok(s != NULL, "schema for the thread test"))
		return;
	for (i = 0; i < 2; i++) {
		a[i].s = s;
		a[i].mismatches = 0;
		a[i].good = parse("name: web-1\nlabels: {app: web, tier: front}\nports: [80, http]\n");
		a[i].bad = parse("name: Web_1\nlabels: {app: 1, tier: front}\nports: [80, true]\n");
	}
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, &a[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok(a[0].mismatches == 0 && a[1].mismatches == 0,
		"two threads validating with one schema agree with the expected results (%d, %d mismatches)",
		a[0].mismatches, a[1].mismatches);
	for (i = 0; i < 2; i++) {
		gate_doc_free(a[i].good);
		gate_doc_free(a[i].bad);
	}
	gate_schema_free(s);
}

/* ---- --compile mode: every *.json under folders ------------------------- */

static int ncompiled, nfailed;
static double compile_seconds;

static int compile_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t len = strlen(path);
	struct gate_schema *s = NULL;
	struct timespec a, b;
	char msg[512];

	(void)st;
	(void)ftw;
	if (type != FTW_F || len < 5 || strcmp(path + len - 5, ".json"))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (gate_schema_load_file(&s, path, 0, msg, sizeof(msg)) < 0) {
		diag("%s: %s", path, msg);
		nfailed++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	compile_seconds += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	gate_schema_free(s);
	ncompiled++;
	return 0;
}

static int compile_dirs(int argc, char **argv)
{
	int i;
	double total = 0;

	for (i = 0; i < argc; i++) {
		ncompiled = nfailed = 0;
		compile_seconds = 0;
		if (nftw(argv[i], compile_one, 16, FTW_PHYS) < 0) {
			ok(0, "walk %s", argv[i]);
			continue;
		}
		total += compile_seconds;
		ok(ncompiled > 0 && nfailed == 0, "%d schemas under %s compile (%d failed) in %.2f s",
			ncompiled, argv[i], nfailed, compile_seconds);
	}
	diag("total load and compile time: %.2f s", total);
	return tap_done();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--compile"))
		return compile_dirs(argc - 2, argv + 2);
	test_kubernetes_extensions();
	test_errors();
	test_formats();
	test_files();
	test_compile_errors();
	test_threads();
	return tap_done();
}
