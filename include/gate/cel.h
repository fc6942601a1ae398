/*
 * cel: the Common Expression Language as the Kubernetes API server evaluates
 * it in CRD validation rules (x-kubernetes-validations).
 *
 * A pure module: nothing here reads files, the environment or prints.  An
 * expression is parsed once into a program (gate_cel_compile) and then
 * evaluated many times with variables bound to document nodes
 * (gate_cel_eval).  Evaluation is dynamic (no type checker): a type mismatch
 * is an evaluation error ("no such overload"), as cel-go reports it at run
 * time.  Each evaluation has a cost budget: going over it is an error, never
 * a hang.  Programs are immutable after compilation and may be evaluated by
 * several threads at once; each evaluation allocates its values in its own
 * arena, released before gate_cel_eval returns.
 *
 * Supported: literals (int, uint, double, string with raw and triple-quoted
 * forms, bytes, bool, null), arithmetic with overflow errors, comparisons
 * (numbers of different types compare by value), ternary, in, field
 * selection (reserved words and `quoted` names too), has(), indexing, list
 * and map literals (with optional entries), the macros all, exists,
 * exists_one/existsOne (with one or two variables), map (2 and 3 arguments),
 * filter, optMap and optFlatMap, the standard functions,
 * duration and timestamp, matches (RE2 syntax over PCRE2), and the
 * Kubernetes libraries: strings, lists, quantity, url, ip/cidr, regex,
 * optional values.  Not supported: message construction (protobuf types).
 */
#ifndef GATE_CEL_H
#define GATE_CEL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "gate/doc.h"

struct gate_cel_program;

/* the Kubernetes per-call cost limit for a validation rule */
#define GATE_CEL_DEFAULT_COST_LIMIT 1000000u

/*
 * Compile expr[0..len).  On success *out is a new program (release with
 * gate_cel_program_free()) and 0 is returned; on a syntax error returns -1
 * and writes "line:col: message" into msg.
 */
int gate_cel_compile(struct gate_cel_program **out, const char *expr, size_t len,
	char *msg, size_t msgsize);
void gate_cel_program_free(struct gate_cel_program *p);

/* 1 when the program refers to the variable name (e.g. "oldSelf"), else 0 */
int gate_cel_program_uses(const struct gate_cel_program *p, const char *name);

/*
 * What the schema says about a value, so that numbers, byte strings,
 * durations and timestamps get their Kubernetes CEL types and absent fields
 * with a default read as the default (defaulting before validation).  Types
 * are opaque pointers; every callback may be NULL and a NULL type means
 * "nothing known" (values take their type from the document).
 */
enum gate_cel_scalar {
	GATE_CEL_SCALAR_ANY = 0,
	GATE_CEL_SCALAR_INT,       /* type: integer */
	GATE_CEL_SCALAR_DOUBLE,    /* type: number */
	GATE_CEL_SCALAR_BYTES,     /* format: byte */
	GATE_CEL_SCALAR_DURATION,  /* format: duration */
	GATE_CEL_SCALAR_TIMESTAMP  /* format: date-time or date */
};

struct gate_cel_typer {
	/* the type of property key of an object of type t, or NULL */
	const void *(*field)(const void *t, const char *key, size_t len);
	/* the type of the items of an array of type t, or NULL */
	const void *(*item)(const void *t);
	enum gate_cel_scalar (*scalar)(const void *t);
	/*
	 * The i-th property of t that has a default (i from 0): sets its name and
	 * default (borrowed) and returns 1; returns 0 past the last one.
	 */
	int (*default_at)(const void *t, size_t i, const char **key, size_t *len,
		const json_t **value);
};

/* one variable: a document node (borrowed) and its schema type */
struct gate_cel_var {
	const char *name;
	const struct gate_node *node; /* NULL: null */
	const void *type;
	int none;                     /* the variable is optional.none() (oldSelf on create) */
};

struct gate_cel_env {
	const struct gate_cel_var *vars;
	size_t nvars;
	const struct gate_cel_typer *typer; /* may be NULL */
	uint64_t cost_limit;                /* 0: GATE_CEL_DEFAULT_COST_LIMIT */
};

enum gate_cel_status {
	GATE_CEL_OK = 0,   /* evaluated: see kind and value */
	GATE_CEL_ERROR,    /* evaluation error: message */
	GATE_CEL_COST      /* the cost budget ran out */
};

struct gate_cel_result {
	enum gate_cel_status status;
	int is_bool;    /* the value is a bool: see boolean */
	int boolean;
	int is_string;  /* the value is a string: see text */
	char *text;     /* the value rendered (a string's own text when is_string), or the error; owned */
	uint64_t cost;  /* cost spent */
};
#define GATE_CEL_RESULT_INIT { GATE_CEL_OK, 0, 0, 0, NULL, 0 }
void gate_cel_result_release(struct gate_cel_result *r);

/*
 * Evaluate p in env.  Fills res (release with gate_cel_result_release()).
 * Returns 0 when res holds an outcome (a value, an evaluation error or the
 * cost overrun: a rule's failure is data), negative on internal failure.
 */
int gate_cel_eval(const struct gate_cel_program *p, const struct gate_cel_env *env,
	struct gate_cel_result *res);

/*
 * Kubernetes field-path escaping of a property name in CEL: "__namespace__"
 * for the reserved word, "__dash__", "__dot__", "__slash__", "__underscores__".
 * Writes the property name that the CEL identifier s[0..len) stands for into
 * out (at least len + 1 bytes) and returns its length.
 */
size_t gate_cel_unescape_field(const char *s, size_t len, char *out);

#endif
