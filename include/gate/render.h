/*
 * render: a native kustomize (v5.5.0, `kubectl kustomize
 * --load-restrictor=LoadRestrictionsNone`) for the kustomizations found in
 * GitOps repositories.
 *
 * Nothing here reads git or files: every file comes through a loader
 * callback, so the CLI reads disk and the hook reads git objects through the
 * same code.  Paths given to the loader are cleaned, '/'-separated and
 * relative to the caller's base (they may start with "../").
 *
 * Every node of a rendered object keeps its origin: the file, line and
 * column of the text that set it (a patch, a kustomization's namespace: line,
 * a generator's literal), so an error about a rendered value can name its
 * source.  Output follows kustomize: keys sorted as go-yaml v2 sorts them,
 * scalars typed as go-yaml v3 reads them, documents in legacy or input order.
 *
 * Supported: see README.md, section "render".  Remote resources, helmCharts
 * and exec/KRM plugins are errors naming the file and line.
 */
#ifndef GATE_RENDER_H
#define GATE_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include "gate/util.h"

/* node types */
enum gate_rnode_type {
	GATE_RNODE_NULL = 0,
	GATE_RNODE_BOOL,
	GATE_RNODE_INT,
	GATE_RNODE_FLOAT,
	GATE_RNODE_STR,
	GATE_RNODE_SEQ,
	GATE_RNODE_MAP
};

struct gate_rmember;

/*
 * One node of a rendered object.  Scalars keep their text (str, len): a
 * string its value, a number or bool its source spelling.  Origin: file
 * (borrowed from the render, NULL for text kustomize makes up) and the
 * 1-based line and column where the text starts.
 */
struct gate_rnode {
	uint8_t type;  /* enum gate_rnode_type */
	uint8_t block; /* string: was a block or quoted scalar */
	uint32_t line, col;
	const char *file;
	const char *str; /* scalar text, NUL-terminated */
	uint32_t len;    /* scalar: bytes; seq: items; map: members */
	uint32_t alloc;
	union {
		struct gate_rnode **items;
		struct gate_rmember *members;
	} u;
};

struct gate_rmember {
	const char *key;
	uint32_t line, col; /* of the key */
	struct gate_rnode *value;
};

/*
 * The loader: read the whole file at path into a new malloc'd,
 * NUL-terminated buffer (*buf, caller frees) and return 0; or return
 * GATE_RENDER_ENOENT (no such file), GATE_RENDER_EISDIR (a directory), or
 * another negative value for an I/O error (the render fails with it).
 */
#define GATE_RENDER_ENOENT (-2)
#define GATE_RENDER_EISDIR (-3)
struct gate_render_loader {
	int (*read)(void *payload, const char *path, char **buf, size_t *len);
	void *payload;
};

enum gate_render_order {
	GATE_RENDER_ORDER_LEGACY = 0, /* kustomize's default (`--reorder legacy`) */
	GATE_RENDER_ORDER_NONE        /* input order (`--reorder none`, Flux) */
};

/* options flags */
#define GATE_RENDER_SKIP_UNREACHABLE 0x01 /* remote resources, helm charts, plugins: warn and skip */

struct gate_render_options {
	int order;          /* enum gate_render_order; a kustomization's sortOptions wins */
	size_t max_files;   /* files read by one build */
	size_t max_bytes;   /* bytes read by one build */
	size_t max_nodes;   /* nodes made by one build (copies and alias expansion count) */
	size_t max_depth;   /* nesting of kustomizations */
	unsigned flags;     /* GATE_RENDER_* */
	struct gate_render_cache *cache; /* parsed files shared by builds, or NULL; must outlive their renders */
};
#define GATE_RENDER_OPTIONS_INIT { GATE_RENDER_ORDER_LEGACY, 20000, 256u << 20, 16u << 20, 64, 0, NULL }

/*
 * Parsed files shared by several builds (the renders of one push, where 50
 * overlays read one base): a text parsed by an earlier build with the same
 * cache is copied from it instead of parsed again.  Keyed by the text alone
 * (a copy takes the path it is read at), so a render is the same with or
 * without it, errors and limits included.  Renders built with a cache
 * borrow strings from it: free them first.  Bounded (texts that do not fit
 * are parsed each time); not thread-safe.
 */
struct gate_render_cache;
void gate_render_cache_new(struct gate_render_cache **out);
void gate_render_cache_free(struct gate_render_cache *k);
/* How many parses the cache spared (for tests and timing). */
size_t gate_render_cache_hits(const struct gate_render_cache *k);

/*
 * A build that failed.  message is kustomize-like and lowercase; file, line
 * and col name the text at fault when known (empty file, 0 line otherwise).
 */
struct gate_render_error {
	char file[512];
	uint32_t line, col;
	char message[1024];
};

struct gate_render;

/*
 * Build the kustomization in dir (a folder path for the loader; "" or "."
 * for the base itself).  On success returns 0 and *out is new (release with
 * gate_render_free()).  Returns -1 with err filled when the build fails as
 * kustomize would fail (bad input, missing file, remote resource, ...); a
 * loader's own I/O error is passed up unchanged with err filled too.
 */
int gate_render_build(struct gate_render **out, const char *dir,
	const struct gate_render_loader *ldr, const struct gate_render_options *opts,
	struct gate_render_error *err);

/* The rendered objects in output order; pointers valid while r lives. */
size_t gate_render_count(const struct gate_render *r);
const struct gate_rnode *gate_render_object(const struct gate_render *r, size_t i);

/*
 * What a build skipped under GATE_RENDER_SKIP_UNREACHABLE (a remote
 * resource, a helm chart, a plugin), each with its file and line; borrowed
 * from r.
 */
size_t gate_render_warning_count(const struct gate_render *r);
const struct gate_render_error *gate_render_warning(const struct gate_render *r, size_t i);

/* Append the YAML stream kustomize prints ("---\n" between documents). */
void gate_render_emit(const struct gate_render *r, struct gate_buf *out);

/* Append one node as YAML the way kustomize prints it (keys sorted). */
void gate_render_emit_node(const struct gate_rnode *n, struct gate_buf *out);

void gate_render_free(struct gate_render *r);

/* kustomize's name hash of a ConfigMap or Secret object (10 characters + NUL). */
void gate_render_hash(const struct gate_rnode *obj, char out[11]);

#endif
