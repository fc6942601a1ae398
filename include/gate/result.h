/*
 * result: the verdict on one resource and the problems found in it.  Every
 * validator (schema, policy) appends problems here; report renders them.
 */
#ifndef GATE_RESULT_H
#define GATE_RESULT_H

#include <stddef.h>
#include <stdint.h>

/* kubeconform's statuses, same order of precedence for exit codes */
enum gate_status {
	GATE_STATUS_VALID = 0,
	GATE_STATUS_INVALID,
	GATE_STATUS_ERROR,
	GATE_STATUS_SKIPPED,
	GATE_STATUS_EMPTY
};

enum gate_severity {
	GATE_SEV_DENY = 0, /* rejects: a schema violation or a deny rule */
	GATE_SEV_WARN      /* printed, never rejects */
};

struct gate_problem {
	char *pointer;      /* JSON pointer in the resource ("" root), NULL if none */
	uint32_t line, col; /* in the file; 0 when unknown */
	char *rule;         /* "schema", "yaml", or a policy check id */
	enum gate_severity severity;
	char *message;      /* plain, lowercase, no trailing full stop */
	char *suppressed;   /* reason when suppressed (then it never rejects), else NULL */
};

struct gate_result {
	char *filename;
	uint32_t line;       /* where the resource starts in the file, 0 unknown */
	char *api_version;   /* NULL when unknown */
	char *kind;
	char *name;
	char *namespace_;
	enum gate_status status;
	char *msg;           /* kubeconform-style one-line message, NULL when valid */
	struct gate_problem *problems;
	size_t nproblems, aproblems;
};

struct gate_results {
	struct gate_result *v;
	size_t n, alloc;
};
#define GATE_RESULTS_INIT { NULL, 0, 0 }

/* Append a zeroed result; returns it (borrowed from rs, valid until the next append). */
struct gate_result *gate_results_add(struct gate_results *rs);
/* Append a problem to r; strings are copied.  Returns the problem (borrowed). */
struct gate_problem *gate_result_add_problem(struct gate_result *r, const char *pointer,
	uint32_t line, uint32_t col, const char *rule, enum gate_severity sev,
	const char *message);
/* Move all results of src to the end of dst, leaving src empty. */
void gate_results_move(struct gate_results *dst, struct gate_results *src);
void gate_result_release(struct gate_result *r);
void gate_results_release(struct gate_results *rs);

const char *gate_status_name(enum gate_status s); /* "statusValid", ... */

#endif
