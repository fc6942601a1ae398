/*
 * doc: YAML or JSON text to an in-memory document tree.
 *
 * A document is one arena: every node, string and child array of a document
 * lives in memory owned by its struct gate_doc, released at once by
 * gate_doc_free().  Nodes keep the line and column (1-based) where they start.
 *
 * Scalars are resolved as Kubernetes tooling does (sigs.k8s.io/yaml over
 * go-yaml v2, YAML 1.1): yes/no/on/off/y/n/true/false booleans, 010 octal,
 * 0x hex, .inf/.nan, ~/null/empty as null, 1.10 a float.  Merge keys (<<)
 * merge with explicit keys winning.  Mapping keys become strings (1 -> "1",
 * yes -> "true", 1e6 -> "1e+06"); null and uint64 keys are refused, as
 * sigs.k8s.io/yaml refuses them.
 */
#ifndef GATE_DOC_H
#define GATE_DOC_H

#include <stddef.h>
#include <stdint.h>

enum gate_node_type {
	GATE_NODE_NULL = 0,
	GATE_NODE_BOOL,
	GATE_NODE_NUMBER,
	GATE_NODE_STRING,
	GATE_NODE_ARRAY,
	GATE_NODE_OBJECT
};

/* flags of a node */
#define GATE_NODE_INTEGRAL 0x01 /* number: finite with no fractional part */
#define GATE_NODE_QUOTED   0x02 /* scalar was quoted (or block) in the source */

struct gate_member;

struct gate_node {
	uint8_t type;  /* enum gate_node_type */
	uint8_t flags; /* GATE_NODE_* */
	uint32_t line; /* 1-based line of the node's first character */
	uint32_t col;  /* 1-based column */
	uint32_t len;  /* string: bytes; array: items; object: members */
	union {
		int boolean;
		double number;
		const char *str;             /* NUL-terminated, may contain no NUL */
		struct gate_node *items;     /* array of len nodes */
		struct gate_member *members; /* array of len members, source order */
	} u;
};

struct gate_member {
	const char *key; /* NUL-terminated */
	uint32_t key_len;
	uint32_t line, col; /* where the key starts */
	struct gate_node value;
};

/* Bounds for hostile input: going over one is a parse error, never a crash. */
struct gate_doc_limits {
	size_t max_bytes;       /* of one input buffer */
	size_t max_depth;       /* nesting of collections */
	size_t max_nodes;       /* nodes of one document, aliases expanded */
	size_t max_alias_nodes; /* nodes made by alias expansion (64 string bytes weigh 1) */
};
#define GATE_DOC_LIMITS_INIT { 64u << 20, 512, 4u << 20, 1u << 20 }

/* parse flags */
#define GATE_DOC_DUPKEYS_ERROR 0x01 /* duplicate mapping keys are errors (else last wins) */

struct gate_doc {
	struct gate_node *root; /* NULL for an empty document (only comments, or "---" alone) */
	uint32_t line;          /* line where the document starts in the input */
	struct gate_arena *arena; /* private */
};

/* A parse problem: message is a plain lowercase sentence without location. */
struct gate_doc_error {
	uint32_t line, col; /* 0 when unknown */
	char message[256];
};

/*
 * Parse one YAML (or JSON) document from buf[0..len).  A stream holding more
 * than one document is an error here: use gate_doc_split() first.
 * On success *out is a new document (release with gate_doc_free()); on
 * failure returns -1, fills err and sets *out to NULL.  Lines in err and in
 * nodes are offset by first_line - 1, so a split part reports lines of the
 * whole file.  Rejects NUL, control characters and invalid UTF-8 with a clear
 * message; accepts a BOM and CRLF line ends.
 */
int gate_doc_parse(struct gate_doc **out, const char *buf, size_t len,
	uint32_t first_line, const struct gate_doc_limits *lim, int flags,
	struct gate_doc_error *err);

void gate_doc_free(struct gate_doc *doc);

/*
 * Split a multi-document stream the way kubeconform does: at every line that
 * starts with "---" (the rest of that line is dropped).  Calls fn once per
 * part, in order, with the part's bytes (borrowed from buf) and the 1-based
 * line where the part starts.  Stops and returns fn's value when it is not 0.
 */
typedef int (*gate_doc_part_fn)(const char *part, size_t len, uint32_t line,
	void *payload);
int gate_doc_split(const char *buf, size_t len, gate_doc_part_fn fn, void *payload);

/* Lookup helpers; returned pointers are borrowed from the document. */
const struct gate_node *gate_node_get(const struct gate_node *obj, const char *key);
/* the string value of key in obj, or NULL when absent or not a string */
const char *gate_node_get_str(const struct gate_node *obj, const char *key);
const char *gate_node_type_name(const struct gate_node *n); /* "string", "integer", ... */

/*
 * Deep equality as JSON sees it: numbers by value, objects regardless of
 * member order.  Returns 1 when equal, else 0.
 */
int gate_node_equal(const struct gate_node *a, const struct gate_node *b);

/* Serialise a node as compact JSON into a new malloc'd string (caller frees). */
char *gate_node_to_json(const struct gate_node *n);

#endif
