/*
 * doc_int.h: internals shared by the files of the doc module (doc.c,
 * doc_arena.c, doc_input.c, doc_keyset.c, doc_node.c, doc_scalar.c,
 * doc_json.c, yaml_scan.c).  Not a public API.
 */
#ifndef GATE_DOC_INT_H
#define GATE_DOC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The tag of a scalar as far as resolution is concerned. */
enum gate_doc_tag {
	GATE_DOC_TAG_NONE = 0, /* plain and untagged: resolve implicitly */
	GATE_DOC_TAG_STR,      /* !!str, quoted or block without a tag, unknown tags */
	GATE_DOC_TAG_INT,
	GATE_DOC_TAG_FLOAT,
	GATE_DOC_TAG_BOOL,
	GATE_DOC_TAG_NULL
};

/* What a scalar resolves to (the Go type go-yaml v2 would produce). */
enum gate_doc_kind {
	GATE_DOC_KIND_NULL = 0,
	GATE_DOC_KIND_BOOL,
	GATE_DOC_KIND_INT,   /* int64 */
	GATE_DOC_KIND_UINT,  /* uint64 above INT64_MAX */
	GATE_DOC_KIND_FLOAT,
	GATE_DOC_KIND_STR
};

struct gate_doc_scalar {
	int kind;   /* enum gate_doc_kind */
	int boolean;
	int64_t i;
	uint64_t u;
	double d;
};

/*
 * Resolve the scalar s[0..len) (NUL-terminated at s[len]) under tag as
 * go-yaml v2 resolve() does.  Returns 0, or -1 when an explicit tag does not
 * match the value; then out->kind is what the value resolves to without the
 * tag (for the message "cannot decode !!str `x` as a !!int").
 */
int gate_doc_resolve(const char *s, size_t len, int tag, struct gate_doc_scalar *out);

/* "!!str", "!!int", ... for a kind or a tag, for messages */
const char *gate_doc_kind_tag(int kind);
const char *gate_doc_tag_name(int tag);

/* The value of a resolved number kind as a double. */
double gate_doc_scalar_number(const struct gate_doc_scalar *v);

/*
 * Format d as Go's strconv.FormatFloat(d, 'g', -1, 32) with sigs.k8s.io/yaml's
 * renaming of infinities and NaN (".inf", "-.inf", ".nan"): how a float
 * mapping key becomes a string.  Returns the length written (buf >= 32 bytes).
 */
size_t gate_doc_format_key_float(char *buf, size_t size, double d);

/*
 * Format a finite d as Go's encoding/json encodes a float64 (shortest
 * round-trip digits, exponent form below 1e-6 and from 1e21 on).  Returns the
 * length written (buf >= 32 bytes).
 */
size_t gate_doc_format_json_number(char *buf, size_t size, double d);

/* doc_input.c: what prescan found */
enum { SCAN_OK = 0, SCAN_UTF8, SCAN_CTRL, SCAN_NONCHAR };

/* doc_input.c: line and column (characters) of byte offset off in s */
void gate_doc__offset_linecol(const char *s, size_t off, uint32_t *line, uint32_t *col);
/*
 * doc_input.c: SCAN_OK when s[0..n) holds only characters libyaml accepts;
 * else the kind of problem, its byte offset in *off and the code point (or
 * byte) in *cp.
 */
int gate_doc__prescan(const unsigned char *s, size_t n, size_t *off, uint32_t *cp);
/*
 * doc_input.c: JSON-looking input with its \u surrogate pairs rewritten as
 * YAML \U escapes: a new buffer of *outlen bytes (caller frees), or NULL when
 * nothing needs rewriting.
 */
char *gate_doc__json_join_surrogates(const char *buf, size_t len, size_t *outlen);
/* doc_input.c: whether gate_doc__json_join_surrogates() may rewrite buf at all */
int gate_doc__json_looking(const char *buf, size_t len);

/* ---- doc_keyset.c: the key set of a big mapping (doc.c's parser) ---- */

struct kent {
	const char *key;
	uint32_t len, hash;
	size_t idx; /* the caller's index of the member holding the key */
};

/* Open addressing over indices (+1) into ents. */
struct keyset {
	uint32_t *tab;
	size_t cap, tab_alloc;
	struct kent *ents;
	size_t n, alloc;
};

static inline uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

/* empty ks, sized for about expect keys */
void gate_doc__ks_reset(struct keyset *ks, size_t expect);
/* the entry of key k (hash h), or NULL */
struct kent *gate_doc__ks_find(struct keyset *ks, const char *k, uint32_t len, uint32_t h);
/* add key k (borrowed), known to be absent, for the caller's index idx */
void gate_doc__ks_add(struct keyset *ks, const char *k, uint32_t len, uint32_t h, size_t idx);
void gate_doc__ks_release(struct keyset *ks);

/* ---- doc_arena.c: the arena of one document ---- */

struct ablock;
struct gate_arena {
	struct ablock *blocks;
	char *cur, *end;
	size_t next_size;
};

/* a new arena whose first block holds first bytes; release with gate_doc__arena_free() */
struct gate_arena *gate_doc__arena_new(size_t first);
void gate_doc__arena_free(struct gate_arena *a); /* accepts NULL */
void *gate_doc__arena_slow(struct gate_arena *a, size_t n);

/* n bytes, 8-aligned, valid while the arena lives */
static inline void *arena_alloc(struct gate_arena *a, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if ((size_t)(a->end - a->cur) < n)
		return gate_doc__arena_slow(a, n);
	p = a->cur;
	a->cur += n;
	return p;
}

/* a NUL-terminated copy of s[0..len) in the arena */
static inline char *arena_str(struct gate_arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* ---- doc.c's builder, driven by libyaml's events or by yaml_scan.c ---- */

/* private flags of gate_doc_parse(), for the differential tests */
#define GATE_DOC__LIBYAML_ONLY 0x100 /* never try the native scanner */
#define GATE_DOC__NATIVE_ONLY  0x200 /* return GATE_DOC__DECLINED when the scanner gives up */
#define GATE_DOC__DECLINED     (-2)

struct gate_doc_ctx;

/*
 * The events of yaml_scan.c: marks are libyaml's (0-based line and column in
 * characters); v[len] is NUL; style is a yaml_scalar_style_t; never a tag;
 * anchor and name NUL-terminated, anchor NULL for none.  Each returns 0, or
 * -1 when the builder refused the event (a limit, a duplicate key, a value
 * that does not resolve, an unknown alias): the caller then stops.
 */
int gate_doc__ev_scalar(struct gate_doc_ctx *c, const char *v, size_t len, int style,
	const char *anchor, uint32_t line, uint32_t col);
int gate_doc__ev_start(struct gate_doc_ctx *c, int is_map, const char *anchor,
	uint32_t line, uint32_t col);
int gate_doc__ev_end(struct gate_doc_ctx *c);
int gate_doc__ev_alias(struct gate_doc_ctx *c, const char *name, uint32_t line, uint32_t col);

/*
 * yaml_scan.c: feed c the events of buf[0..len) when the whole buffer is in
 * the native scanner's subset and every event was taken: returns 0.  Returns
 * 1 when the scanner gave up or the builder refused an event; c is then in
 * an undefined state and the caller parses again with libyaml.
 */
int gate_yaml__scan(struct gate_doc_ctx *c, const char *buf, size_t len);

#endif
