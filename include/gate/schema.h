/*
 * schema: JSON Schema (draft-04 plus the Kubernetes OpenAPI extensions found
 * in CRD schemas) compiled once, then used to validate many documents.
 *
 * Compilation resolves every $ref (local pointers and relative files) once and
 * compiles every pattern once (PCRE2 with JIT) and every CEL rule
 * (x-kubernetes-validations, gate/cel.h) once.  A compiled schema is
 * immutable and may be used by several threads at once.
 *
 * Validation applies the API server's admission semantics of CRD schemas:
 * CEL rules with self bound to the node (defaults applied first, transition
 * rules skipped, a cost budget per rule and per document), list topology
 * (x-kubernetes-list-type map and set), embedded resources and
 * int-or-string; their errors are worded as the API server words them.
 */
#ifndef GATE_SCHEMA_H
#define GATE_SCHEMA_H

#include <stddef.h>
#include <jansson.h>
#include "gate/doc.h"

struct gate_schema;

/* One violation: where and what.  Strings are owned by the error list. */
struct gate_schema_error {
	char *pointer;  /* JSON pointer of the offending value, "" for the root */
	uint32_t line;  /* of the offending value, 0 when unknown */
	uint32_t col;
	char *keyword;  /* the failing keyword: "type", "required", ... */
	char *message;  /* plain, lowercase: "expected integer, got string" */
};

struct gate_schema_errors {
	struct gate_schema_error *v;
	size_t n, alloc;
};
#define GATE_SCHEMA_ERRORS_INIT { NULL, 0, 0 }
void gate_schema_errors_release(struct gate_schema_errors *errs);

/* compile options */
#define GATE_SCHEMA_ASSERT_FORMAT 0x01 /* always assert known formats */

/*
 * Compile a schema.  root is borrowed (the compiled schema keeps its own
 * references).  base is the schema's file path or URL, used to resolve
 * relative $refs (files next to it); may be NULL, and then no file is read
 * (refs resolve inside root and to the draft-04 meta-schema only).  Formats
 * are asserted as kubeconform's validator does: for schemas without
 * "$schema" or declaring draft-04 to draft-07, and never for
 * "http://json-schema.org/schema#".
 * On success *out is a new schema (release with gate_schema_free()); on failure
 * returns -1 and writes a message into msg.
 */
int gate_schema_compile(struct gate_schema **out, json_t *root, const char *base,
	int flags, char *msg, size_t msgsize);

/* Load a schema file (JSON, or YAML through gate_doc) and compile it. */
int gate_schema_load_file(struct gate_schema **out, const char *path, int flags,
	char *msg, size_t msgsize);

void gate_schema_free(struct gate_schema *schema);

/*
 * Validate node against schema.  Appends every violation found to errs (a
 * violation is data: the return is still 0).  Returns 1 when the value is
 * valid, 0 when invalid, negative on internal failure (out of memory).
 * max_errors bounds how many errors are appended (0: no bound).
 */
int gate_schema_validate(const struct gate_schema *schema, const struct gate_node *node,
	struct gate_schema_errors *errs, size_t max_errors);

/*
 * How many CEL rules (x-kubernetes-validations) have been evaluated by
 * gate_schema_validate() in this process, all threads and schemas together
 * (a statistic for -stats and benchmarks; transition rules skipped on create
 * are not counted).
 */
uint64_t gate_schema_cel_evaluations(void);

/* Convert a document node into a new jansson value (new reference). */
json_t *gate_node_to_jansson(const struct gate_node *n);

#endif
