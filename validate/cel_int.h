/*
 * cel_int.h: the CEL module's private shapes, shared by the parser
 * (cel_parse.c), the values (cel_value.c), the evaluator (cel_eval.c), the
 * standard library (cel_std.c) and the Kubernetes libraries (cel_k8s.c,
 * cel_net.c).
 */
#ifndef GATE_CEL_INT_H
#define GATE_CEL_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/cel.h"
#include "gate/util.h"

#define CEL_MAX_DEPTH 200       /* nesting of the parsed expression (parentheses, calls) */
#define CEL_MAX_TREE_DEPTH 400  /* depth of the tree (operator chains included): evaluation recurses per level */
#define CEL_MAX_SOURCE (1u << 20)

/* ---- values ---------------------------------------------------------------- */

enum cel_kind {
	CK_ERROR = 0,
	CK_NULL,
	CK_BOOL,
	CK_INT,
	CK_UINT,
	CK_DOUBLE,
	CK_STRING,
	CK_BYTES,
	CK_LIST,
	CK_MAP,
	CK_TYPE,
	CK_DURATION,
	CK_TIMESTAMP,
	CK_OPTIONAL,
	CK_QUANTITY,
	CK_URL,
	CK_IP,
	CK_CIDR
};

#define CV_NODE 0x01 /* list/map backed by a document node (u.n) */

struct cel_value;

struct cel_quantity {
	__int128 m; /* the quantity is m * 10^e */
	int32_t e;
};

struct cel_url {
	const char *scheme, *host, *port, *path, *query, *hostname;
};

struct cel_value {
	uint8_t kind;
	uint8_t flags;
	uint32_t len; /* string/bytes: bytes; arena list: items; arena map: entries */
	union {
		int b;
		int64_t i;
		uint64_t u;
		double d;
		const char *s; /* string, bytes, error message, type name */
		struct {
			const struct gate_node *node;
			const void *type;
		} n;
		struct cel_value *items; /* list: len values; map: 2*len (key, value) */
		struct cel_value *opt;   /* optional: NULL is none */
		struct {
			int64_t sec;
			int32_t nsec;
		} t;                     /* duration, timestamp (seconds since the epoch) */
		const struct cel_quantity *qp; /* quantity, in the arena */
		struct cel_url *url;
		struct {
			uint8_t addr[16];
			uint8_t family; /* 4 or 6 */
			uint8_t prefix; /* cidr */
		} ip;
	} u;
};

/* ---- arena ----------------------------------------------------------------- */

struct cel_chunk;
struct cel_arena {
	struct cel_chunk *head;
	pcre2_code **codes; /* regexes compiled at run time, freed with the arena */
	size_t ncodes, acodes;
};

void *cel_alloc(struct cel_arena *a, size_t size);
char *cel_strndup(struct cel_arena *a, const char *s, size_t len);
void cel_arena_release(struct cel_arena *a);

/* ---- the parsed expression ------------------------------------------------- */

enum cel_op {
	CO_LIT = 1,
	CO_IDENT,
	CO_SELECT,      /* a[0].name */
	CO_OPT_SELECT,  /* a[0].?name */
	CO_HAS,         /* has(a[0].name) */
	CO_INDEX,       /* a[0][a[1]] */
	CO_OPT_INDEX,   /* a[0][?a[1]] */
	CO_CALL,        /* name(a...) or, with recv, a[0].name(a[1]...) */
	CO_LIST,
	CO_MAP,         /* a[2i] : a[2i+1] */
	CO_COND,
	CO_AND,
	CO_OR,
	CO_NOT,
	CO_NEG,
	CO_ADD, CO_SUB, CO_MUL, CO_DIV, CO_MOD,
	CO_EQ, CO_NE, CO_LT, CO_LE, CO_GT, CO_GE, CO_IN,
	CO_ALL, CO_EXISTS, CO_EXISTS_ONE, CO_MAP_MACRO, CO_FILTER, /* a[0] range, a[1] (filter) a[last] body */
	CO_OPT_MAP, CO_OPT_FLATMAP, /* a[0].optMap(name, a[1]) */
	CO_OPT_ENTRY                /* {?k: a[0]} and [?a[0]]: an optional element of a literal */
};

struct cel_ast {
	uint8_t op;
	uint8_t recv;    /* CO_CALL: a[0] is the receiver */
	uint16_t nargs;
	uint32_t pos;    /* byte offset in the source */
	const char *name; /* ident, field, function, macro variable; owned by the program */
	uint32_t name_len;
	const char *name2;  /* two-variable comprehensions: the value's variable (name is the index or key) */
	uint32_t name2_len;
	struct cel_ast **a;
	struct cel_value lit;  /* CO_LIT (strings owned by the program) */
	pcre2_code *re;        /* CO_CALL with a literal regex: compiled once */
	const char *re_error;  /* its compile error, if any */
};

struct gate_cel_program {
	struct cel_ast *root;
	struct cel_arena mem; /* every node and string of the program */
	pcre2_code **codes;
	size_t ncodes, acodes;
	char *source;
};

/* ---- evaluation ------------------------------------------------------------ */

struct cel_scope {
	const char *name;
	uint32_t len;
	struct cel_value v;
	struct cel_scope *up;
};

struct cel_ctx {
	struct cel_arena *mem;
	const struct gate_cel_env *env;
	const struct gate_cel_typer *typer;
	uint64_t cost, limit;
	int over;
	struct cel_scope *scope;
	pcre2_match_context *mctx; /* made on first use, freed after the evaluation */
	pcre2_match_data *md;
};

struct cel_value cel_err(struct cel_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct cel_value cel_no_overload(struct cel_ctx *c, const char *fn, const struct cel_value *args, size_t n);
#define CEL_IS_ERR(v) ((v).kind == CK_ERROR)

static inline struct cel_value cel_bool(int b)
{
	struct cel_value v = { CK_BOOL, 0, 0, { .b = !!b } };
	return v;
}
static inline struct cel_value cel_int(int64_t i)
{
	struct cel_value v = { CK_INT, 0, 0, { .i = i } };
	return v;
}
static inline struct cel_value cel_uint(uint64_t u)
{
	struct cel_value v = { CK_UINT, 0, 0, { .u = u } };
	return v;
}
static inline struct cel_value cel_double(double d)
{
	struct cel_value v = { CK_DOUBLE, 0, 0, { .d = d } };
	return v;
}
static inline struct cel_value cel_null(void)
{
	struct cel_value v = { CK_NULL, 0, 0, { .i = 0 } };
	return v;
}
struct cel_value cel_string(struct cel_ctx *c, const char *s, size_t len); /* copies */
static inline struct cel_value cel_string_ref(const char *s, size_t len)
{
	struct cel_value v = { CK_STRING, 0, (uint32_t)len, { .s = s } };
	return v;
}
static inline struct cel_value cel_type(const char *name)
{
	struct cel_value v = { CK_TYPE, 0, 0, { .s = name } };
	return v;
}
struct cel_value cel_list_new(struct cel_ctx *c, size_t n);
struct cel_value cel_optional(struct cel_ctx *c, const struct cel_value *inner); /* NULL: none */

/* cel_value.c */
const char *cel_type_name(const struct cel_value *v);
struct cel_value cel_from_node(struct cel_ctx *c, const struct gate_node *n, const void *type);
struct cel_value cel_from_json(struct cel_ctx *c, const json_t *j, const void *type);
size_t cel_size(struct cel_ctx *c, const struct cel_value *v); /* lists and maps */
struct cel_value cel_list_get(struct cel_ctx *c, const struct cel_value *l, size_t i);
/* map entries as an arena array of 2*n values (materialised for node maps) */
struct cel_value *cel_map_entries(struct cel_ctx *c, const struct cel_value *m, size_t *n);
/* 1 found (*out set), 0 absent, -1 error (*out the error) */
int cel_map_find(struct cel_ctx *c, const struct cel_value *m, const struct cel_value *key,
	struct cel_value *out);
int cel_map_find_field(struct cel_ctx *c, const struct cel_value *m, const char *name, size_t len,
	struct cel_value *out);
/* equality: 1, 0; -1 and *err set when not comparable */
int cel_equal(struct cel_ctx *c, const struct cel_value *a, const struct cel_value *b);
/* ordering: <0, 0, >0 into *cmp and 0 returned; -1 when not ordered */
int cel_compare(const struct cel_value *a, const struct cel_value *b, int *cmp);
void cel_render(struct gate_buf *b, const struct cel_value *v, int depth);
/* a double as Go's strconv.FormatFloat(d, 'g', -1, 64) writes it */
void cel_format_double(char *buf, size_t size, double d);
int cel_utf8_count(const char *s, size_t len);
/* byte offset of the first t in s at or after from, or -1 */
long cel_find(const char *s, size_t len, const char *t, size_t tlen, size_t from);
/* byte offset of the code point index i, or (size_t)-1 past the end */
size_t cel_utf8_offset(const char *s, size_t len, int64_t i);

/* cel_eval.c */
struct cel_value cel_eval(struct cel_ctx *c, const struct cel_ast *a);
int cel_charge(struct cel_ctx *c, uint64_t n); /* 0, or -1 when over the budget */

/* cel_std.c: call a function (receiver style when recv); args are evaluated */
struct cel_value cel_call(struct cel_ctx *c, const struct cel_ast *call, struct cel_value *args,
	size_t n);
int cel_parse_duration(const char *s, size_t len, int64_t *sec, int32_t *nsec);
int cel_parse_timestamp(const char *s, size_t len, int64_t *sec, int32_t *nsec);
void cel_format_duration(struct gate_buf *b, int64_t sec, int32_t nsec);
void cel_format_timestamp(struct gate_buf *b, int64_t sec, int32_t nsec);
/* regex under RE2 rules: NULL and *err on failure */
pcre2_code *cel_regex_compile(const char *src, size_t len, const char **err);
struct cel_value cel_regex_get(struct cel_ctx *c, const struct cel_ast *call, const struct cel_value *pat,
	pcre2_code **out);

/* cel_k8s.c, cel_net.c: Kubernetes libraries; 1 when handled (*out set), 0 when not theirs */
int cel_k8s_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *args, size_t n,
	struct cel_value *out);
int cel_net_call(struct cel_ctx *c, const char *name, int recv, struct cel_value *args, size_t n,
	struct cel_value *out);
int cel_quantity_parse(const char *s, size_t len, struct cel_quantity *q);
int cel_quantity_cmp(const struct cel_value *a, const struct cel_value *b);
int cel_net_equal(const struct cel_value *a, const struct cel_value *b);

#endif
