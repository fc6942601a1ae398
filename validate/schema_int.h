/*
 * schema_int.h: the compiled form of a schema, shared by the compiler
 * (schema.c, schema_keywords.c, schema_uri.c), the validator (schema_validate.c) and the format checks
 * (schema_format.c).  Private to the schema module.
 */
#ifndef GATE_SCHEMA_INT_H
#define GATE_SCHEMA_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "gate/cel.h"
#include "gate/schema.h"
#include "gate/util.h"

/* instance types as bits; "number" is NUM|INT, an integral number is INT */
#define ST_NULL   0x01
#define ST_BOOL   0x02
#define ST_NUM    0x04
#define ST_INT    0x08
#define ST_STRING 0x10
#define ST_ARRAY  0x20
#define ST_OBJECT 0x40
#define ST_ALL    0x7f

enum sformat {
	SF_NONE = 0,
	SF_DATE_TIME,
	SF_DATE,
	SF_TIME,
	SF_EMAIL,
	SF_HOSTNAME,
	SF_IPV4,
	SF_IPV6,
	SF_URI,
	SF_URI_REF,
	SF_UUID,
	SF_REGEX,
	SF_BYTE,
	SF_INT32,
	SF_INT64,
	SF_DURATION  /* Kubernetes semantics: gate/duration.h */
};

/* flags of a compiled node */
#define SN_MIN          0x00000001u
#define SN_MAX          0x00000002u
#define SN_EXCL_MIN     0x00000004u
#define SN_EXCL_MAX     0x00000008u
#define SN_MULTIPLE     0x00000010u
#define SN_UNIQUE       0x00000020u
#define SN_NULLABLE     0x00000040u /* nullable: true */
#define SN_PRESERVE     0x00000080u /* x-kubernetes-preserve-unknown-fields */
#define SN_EMBEDDED     0x00000100u /* x-kubernetes-embedded-resource */
#define SN_ADDPROPS_NO  0x00000200u /* additionalProperties: false */
#define SN_ADDITEMS_NO  0x00000400u /* additionalItems: false */
#define SN_ITEMS_ARRAY  0x00000800u /* items is an array of schemas */
#define SN_FALSE        0x00001000u /* the boolean schema false */
#define SN_PURE_REF     0x00002000u /* only $ref applies (draft-04 semantics) */
#define SN_STRLIM       0x00004000u /* minLength/maxLength present */
#define SN_ITEMLIM      0x00008000u /* minItems/maxItems present */
#define SN_PROPLIM      0x00010000u /* minProperties/maxProperties present */
#define SN_OBJECT_KW    0x00020000u /* any keyword about objects */
#define SN_ARRAY_KW     0x00040000u /* any keyword about arrays */
#define SN_LIST_MAP     0x00080000u /* x-kubernetes-list-type: map */
#define SN_LIST_SET     0x00100000u /* x-kubernetes-list-type: set */

/* one x-kubernetes-validations rule, compiled once with the schema */
struct sfseg {
	char *key;    /* NULL: an array index in len */
	uint32_t len;
};

struct srule {
	const char *rule;       /* borrowed from the schema document */
	const char *message;    /* NULL when absent */
	const char *reason;     /* NULL when absent */
	struct gate_cel_program *prog;     /* NULL: compile_error says why */
	struct gate_cel_program *msg_prog; /* messageExpression, or NULL */
	char *compile_error;
	struct sfseg *field_path; /* fieldPath as pointer segments */
	size_t nfield_path;
	int transition;           /* uses oldSelf: skipped on create */
	int optional_old_self;    /* transition rule evaluated on create with oldSelf = none */
};

struct snode;

struct sprop {
	const char *key; /* borrowed from the schema's jansson value */
	uint32_t len;
	uint32_t hash;
	struct snode *schema; /* NULL: listed only in "required" */
	uint32_t required;    /* 1 when listed in "required" */
};

struct spattern {
	const char *src;
	pcre2_code *re;
	struct snode *schema;
};

struct sdep {
	const char *key;
	uint32_t len;
	const char **req;  /* property names (array form) */
	uint32_t *req_len;
	size_t nreq;
	struct snode *schema; /* schema form */
};

struct snode {
	uint32_t flags;
	uint8_t types;  /* allowed ST_* bits, ST_ALL when unconstrained */
	uint8_t format; /* enum sformat, SF_NONE when not asserted */
	struct snode *ref;

	double minimum, maximum, multiple_of;
	uint64_t min_len, max_len;
	uint64_t min_items, max_items;
	uint64_t min_props, max_props;

	const char *pattern_src;
	pcre2_code *pattern;

	struct sprop *props; /* properties and required keys */
	size_t nprops;
	uint32_t *slots;     /* hash index into props, index + 1, 0 empty */
	uint32_t slot_mask;
	const char **required; /* in schema order, for messages */
	uint32_t *required_len;
	size_t nrequired;

	struct spattern *pprops;
	size_t npprops;
	struct snode *additional; /* additionalProperties as a schema */

	struct snode *items;        /* items as one schema */
	struct snode **items_arr;   /* items as an array */
	size_t nitems_arr;
	struct snode *additional_items;

	json_t **enum_vals; /* borrowed from the schema documents */
	size_t nenum;

	struct sdep *deps;
	size_t ndeps;

	struct snode **all_of, **any_of, **one_of;
	size_t nall_of, nany_of, none_of;
	struct snode *not_;

	/* Kubernetes admission semantics (schema_k8s.c) */
	struct srule *rules;     /* x-kubernetes-validations */
	size_t nrules;
	const char **map_keys;   /* x-kubernetes-list-map-keys */
	size_t nmap_keys;
	const json_t *def;       /* default, borrowed */
	uint32_t *dprops;        /* indexes into props of properties with a default */
	size_t ndprops;
	uint8_t cel_scalar;      /* enum gate_cel_scalar */

	/* DFS state of the loop check at compile time */
	uint8_t mark;
};

struct gate_schema {
	struct snode *root;
	struct snode **nodes; /* every node, for gate_schema_free() */
	size_t nnodes, anodes;
	json_t **docs;        /* references held on every schema document */
	size_t ndocs, adocs;
	pcre2_code **codes;   /* every compiled regex, owned */
	size_t ncodes, acodes;
	pcre2_match_context *mctx;
};

uint32_t gate_schema_hash(const char *s, size_t len);

/* schema_format.c */
enum sformat gate_schema_format_lookup(const char *name);
const char *gate_schema_format_name(enum sformat f);
/* 1 when the string s[0..len) is of format f (string formats only) */
int gate_schema_format_check_string(enum sformat f, const char *s, size_t len);
/* 1 when the number is of format f (int32/int64; other formats accept numbers) */
int gate_schema_format_check_number(enum sformat f, double v, int integral);

static inline const struct sprop *gate_schema_prop_get(const struct snode *s, const char *key, uint32_t len)
{
	uint32_t h, i;

	if (!s->nprops)
		return NULL;
	h = gate_schema_hash(key, len);
	for (i = h & s->slot_mask; s->slots[i]; i = (i + 1) & s->slot_mask) {
		const struct sprop *p = &s->props[s->slots[i] - 1];
		if (p->hash == h && p->len == len && !memcmp(p->key, key, len))
			return p;
	}
	return NULL;
}

/*
 * schema_k8s.c: the Kubernetes extensions.  Compile reads
 * x-kubernetes-validations, x-kubernetes-list-type, x-kubernetes-list-map-keys,
 * default and the CEL type of n from j; -1 and msg on a malformed extension.
 * Finish runs once every node is compiled (defaults of properties).
 */
int gate_schema_k8s_compile(struct snode *n, json_t *j, char *msg, size_t msgsize);
void gate_schema_k8s_finish(struct snode *n);
void gate_schema_k8s_release(struct snode *n);

/* a violation: where (segments under the node, may be 0), the keyword and the message */
typedef void (*gate_schema_report_fn)(void *payload, const struct sfseg *segs, size_t nsegs,
	const struct gate_node *at, const char *keyword, const char *message);
/*
 * Evaluate the rules of s on n; returns the number of failed rules.  budget
 * is what is left of the document's cost budget (the API server's
 * per-request budget, GATE_SCHEMA_CEL_BUDGET): each rule spends from it and,
 * when it runs out, the rest are not run and one error says so.
 */
#define GATE_SCHEMA_CEL_BUDGET 10000000u
size_t gate_schema_rules_eval(const struct snode *s, const struct gate_node *n,
	gate_schema_report_fn fn, void *payload, uint64_t *budget, uint64_t *evaluated);
/* Add one document's count of rule evaluations to the process-wide statistics. */
void gate_schema_cel_count(uint64_t evaluated);
/*
 * x-kubernetes-embedded-resource and x-kubernetes-list-type map/set: 1 when
 * n passes, else 0 (violations reported through fn when record is set).
 */
int gate_schema_embedded_check(const struct gate_node *n, gate_schema_report_fn fn, void *payload, int record);
int gate_schema_list_check(const struct snode *s, const struct gate_node *n, gate_schema_report_fn fn,
	void *payload, int record);
/* the Kubernetes type name of s for messages ("object", "string", ...) */
const char *gate_schema_k8s_type(const struct snode *s, const struct gate_node *n);

/* schema_validate.c: shared with schema_k8s.c */
void gate_schema_add_quoted(struct gate_buf *b, const char *s, size_t len, size_t max);
int gate_schema_node_eq_json(const struct gate_node *n, const json_t *j);
uint64_t gate_schema_node_hash(const struct gate_node *n); /* consistent with gate_node_equal */

/* schema_validate.c: thread-local match data for patterns */
pcre2_match_data *gate_schema_match_data(void);

/* ---- the compiler: schema.c, schema_keywords.c, schema_uri.c ---------- */

/* a URI reference split into its parts */
struct uri {
	char *scheme, *auth, *path, *query, *frag; /* NULL when absent */
};

struct sdoc {
	char *uri;     /* without fragment */
	json_t *root;  /* reference held by the schema */
	int assert_format;
	int modern;    /* 2019-09 and later: $ref siblings apply */
	int openapi;   /* no "$schema" (CRD and OpenAPI schemas): "default" is applied as the API server applies it */
};

struct sid {
	char *uri;     /* absolute id, fragment kept only when not empty */
	json_t *node;
	struct sdoc *doc;
};

struct memo {
	const json_t *key;
	struct snode *node;
};

struct spat {
	char *src;
	pcre2_code *re;
};

struct compiler {
	struct gate_schema *s;
	int flags;
	struct sdoc **docs;
	size_t ndocs, adocs;
	struct sid *ids;
	size_t nids, aids;
	struct memo *memo; /* open addressing on the pointer */
	size_t nmemo, memo_cap;
	struct spat *pats;
	size_t npats, apats;
	pcre2_code **codes;
	size_t ncodes, acodes;
	int files;            /* may load files: the schema was given a base */
	struct gate_buf path; /* where we are, for messages */
	int depth;
	char *msg;
	size_t msgsize;
};

/* schema.c: set c->msg (with the current path) and return -1 */
int gate_schema__fail(struct compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* schema.c: compile j (memoised) found in scope; *out is owned by c->s */
int gate_schema__compile_schema(struct compiler *c, json_t *j, const char *scope, struct sdoc *doc,
	struct snode **out);
/* schema.c: the "id" of schema object j, or NULL (borrowed from j) */
const char *gate_schema__id(const json_t *j);
/* schema_keywords.c: compile the keywords of schema object j into n */
int gate_schema__compile_keywords(struct compiler *c, struct snode *n, json_t *j, const char *scope,
	struct sdoc *doc);
/* schema_uri.c: parse s into u (release with gate_schema__uri_release) */
void gate_schema__uri_parse(struct uri *u, const char *s);
void gate_schema__uri_release(struct uri *u);
/* schema_uri.c: ref resolved against base (new string, caller frees) */
char *gate_schema__uri_resolve(const char *base, const char *ref);
/* schema_uri.c: split "uri#frag": returns the part before '#' (new), *frag points into s */
char *gate_schema__uri_split(const char *s, const char **frag);

#endif
