/*
 * render_int.h: what the render_*.c files share.  Everything made during one
 * build (nodes, strings, file names) lives in the build's arena and goes
 * away with gate_render_free().
 */
#ifndef GATE_RENDER_INT_H
#define GATE_RENDER_INT_H

#include <setjmp.h>
#include "gate/render.h"

struct rarena;

/* One resource of a resource map. */
struct rres {
	struct gate_rnode *root;
	const char *orig_name;  /* name when first loaded or generated */
	const char **names;     /* every name it had, oldest first */
	size_t nnames;
	const char *orig_ns;
	int generated;          /* made by a generator */
	int needs_hash;         /* generator asked for the name hash suffix */
	int behavior;           /* generators: 0 create, 1 merge, 2 replace */
	const char *origin_path; /* buildMetadata: the file it was read from, as kustomize's origin path */
	const char **xforms;    /* buildMetadata: transformations recorded (YAML list items), oldest first */
	size_t nxforms, axforms;
};

/* A field spec: where a transformer writes, in kinds matching kind/group/version. */
struct fspec {
	const char *kind, *group, *version, *path;
	int create;
	const char *referral; /* nameReference: the kind referred to */
};

struct fspecs {
	struct fspec *v;
	size_t n, alloc;
};

/* Transformer configuration added by `configurations:` files. */
struct rconfig {
	struct fspecs labels, template_labels, annotations, namespace, images, replicas,
		name_refs, var_refs, name_prefix, name_suffix;
};

struct rmap {
	struct rres **v;
	size_t n, alloc;
	struct rconfig cfg;              /* from this map's kustomizations and their bases */
	const struct gate_rnode **vars;  /* `vars:` entries, resolved at the end */
	size_t nvars, avars;
};

struct rctx {
	const struct gate_render_loader *ldr;
	const struct gate_render_options *opts;
	struct gate_render_error *err;
	struct rarena *arena;
	size_t files, bytes, nodes, depth;
	int sort_mode;          /* -1 unset; 0 legacy; 1 fifo (sortOptions) */
	struct gate_rnode *sort_first, *sort_last; /* legacy sortOptions */
	struct gate_render_error *warns; /* skipped under GATE_RENDER_SKIP_UNREACHABLE (arena) */
	size_t nwarns, awarns;
	int build_meta;         /* RMETA_* of the top kustomization's buildMetadata */
	const char *origin;     /* origin path of the folder being read ("" at the top); NULL: not tracked */
	jmp_buf fail;           /* rfail() jumps here */
	int fail_code;
};

/* arena */
void *ra_alloc(struct rctx *c, size_t n);
char *ra_strdup(struct rctx *c, const char *s);
char *ra_strndup(struct rctx *c, const char *s, size_t n);
char *ra_printf(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fail the build: fill the error (origin from n when not NULL) and unwind. */
void rfail(struct rctx *c, const struct gate_rnode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void rfail_at(struct rctx *c, const char *file, uint32_t line, uint32_t col,
	const char *fmt, ...) __attribute__((format(printf, 5, 6), noreturn));

/*
 * Something the gate cannot render (network, helm, plugins): fails the
 * build, or with GATE_RENDER_SKIP_UNREACHABLE records a warning and
 * returns so the caller skips it.
 */
void runreachable(struct rctx *c, const char *file, uint32_t line, uint32_t col,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* nodes (render_node.c) */
struct gate_rnode *rn_new(struct rctx *c, int type, const struct gate_rnode *origin);
struct gate_rnode *rn_str(struct rctx *c, const char *s, const struct gate_rnode *origin);
struct gate_rnode *rn_copy(struct rctx *c, const struct gate_rnode *n);
void rn_append(struct rctx *c, struct gate_rnode *seq, struct gate_rnode *item);
struct gate_rnode *rn_get(const struct gate_rnode *map, const char *key);
const char *rn_get_str(const struct gate_rnode *map, const char *key);
const char *rn_path_str(const struct gate_rnode *n, const char *path); /* "a/b/c" */
void rn_set(struct rctx *c, struct gate_rnode *map, const char *key, struct gate_rnode *v);
int rn_del(struct gate_rnode *map, const char *key);
struct gate_rnode *rn_lookup_create(struct rctx *c, struct gate_rnode *map, const char *key,
	int type, const struct gate_rnode *origin);
int rn_equal(const struct gate_rnode *a, const struct gate_rnode *b);
int rn_is_null(const struct gate_rnode *n);
/* scalar text as kustomize's v3 decoder reads it into a string (bool/number spelled) */
const char *rn_scalar(const struct gate_rnode *n);

/* Parse a YAML stream of file into nodes: fn is called per non-empty document. */
typedef void (*rn_doc_fn)(struct rctx *c, struct gate_rnode *root, void *payload);
void rn_parse_stream(struct rctx *c, const char *file, const char *buf, size_t len,
	rn_doc_fn fn, void *payload);
/* Add n nodes to the build's count (fails the build past its limit). */
void rn_count_nodes(struct rctx *c, size_t n);

/*
 * The parse cache (render_cache.c).  rcache_replay: when opts->cache holds
 * a parse of buf, hand its documents to fn as a parse would and return 1;
 * else 0.  Recording a parse: rcache_record_start (NULL: not recorded), a
 * rcache_record_doc before each document is handed over (nodes: counted
 * since the previous one was), rcache_record_done when all went well.
 */
struct rcache_entry;
int rcache_replay(struct rctx *c, const char *file, const char *buf, size_t len, rn_doc_fn fn,
	void *payload);
struct rcache_entry *rcache_record_start(struct rctx *c, const char *buf, size_t len);
void rcache_record_doc(struct rctx *c, struct rcache_entry *e, const struct gate_rnode *root,
	const char *file, size_t nodes);
void rcache_record_done(struct rcache_entry *e, size_t tail);

/* Parse one document (or fail) */
struct gate_rnode *rn_parse_one(struct rctx *c, const char *file, const char *buf, size_t len);

/* s as a one-line YAML scalar the way kustomize writes a string (quoted when it must be) */
const char *rn_yaml_string(struct rctx *c, const char *s);

/* Go encoding/json of a node (keys sorted by bytes), for hashes. */
void rn_json(const struct gate_rnode *n, struct gate_buf *out);
void rn_json_str(const char *s, size_t len, struct gate_buf *out);
/* A scalar's value as an integer (1, else 0) and as a number, typed as go-yaml v3 does (render_node.c). */
int rn_int_value(const struct gate_rnode *n, long long *out);
double rn_float_value(const struct gate_rnode *n);

/* Path helpers */
char *rpath_join(struct rctx *c, const char *dir, const char *rel);
char *rpath_dir(struct rctx *c, const char *path);
const char *rpath_base(const char *path);

/* Loading: read a file (fails the build on I/O errors); returns 0, ENOENT or EISDIR. */
int rload(struct rctx *c, const char *path, char **buf, size_t *len);

/* resource maps (render_res.c) */
const char *rres_kind(const struct rres *r);
const char *rres_name(const struct rres *r);
const char *rres_ns(const struct rres *r);
const char *rres_apiversion(const struct rres *r);
void rres_group_version(const struct rres *r, char *group, size_t gs, char *version, size_t vs);
void rres_set_name(struct rctx *c, struct rres *r, const char *name, const struct gate_rnode *origin);
struct rres *rres_new(struct rctx *c, struct gate_rnode *root);
int rres_same_id(const struct rres *a, const struct rres *b);
int rres_any_id_matches(const struct rres *r, const struct rres *patch);
void rmap_push(struct rctx *c, struct rmap *m, struct rres *r); /* no id check */
void rmap_append(struct rctx *c, struct rmap *m, struct rres *r, const struct gate_rnode *where);
void rmap_absorb(struct rctx *c, struct rmap *m, struct rres *r, const struct gate_rnode *where);
int rkind_cluster_scoped(const char *kind);

/* configurations and vars (render_config.c) */
void rconfig_load(struct rctx *c, const char *dir, const struct gate_rnode *list, struct rmap *m);
void rconfig_merge(struct rctx *c, struct rmap *dst, const struct rmap *src);
/* `crds:` files of OpenAPI definitions (render_crds.c) */
void rconfig_load_crds(struct rctx *c, const char *dir, const struct gate_rnode *list,
	struct rmap *m);
void rvars_add(struct rctx *c, const struct gate_rnode *list, struct rmap *m);
void rvars_resolve(struct rctx *c, struct rmap *m);
void fspecs_push(struct rctx *c, struct fspecs *l, const struct fspec *f);
/* a list of field specs ({path, kind, group, version, create}) appended to out */
void rconfig_read_specs(struct rctx *c, const struct gate_rnode *list, struct fspecs *out);
typedef void (*fs_fn)(struct rctx *c, struct gate_rnode *parent, const char *key, void *payload);
int fspec_matches(const struct fspec *f, const struct rres *r);
void fs_walk(struct rctx *c, struct gate_rnode *n, const char *path, int create,
	const struct gate_rnode *origin, fs_fn fn, void *payload);

/* kustomization targets (render_target.c) */
int rremote(const char *s); /* a remote resource (URL, git repository) */
void rtarget_accumulate(struct rctx *c, const char *dir, struct rmap *m, int component,
	const struct gate_rnode *where);
/* One config document of a generators: or transformers: list. */
typedef void (*rconfig_fn)(struct rctx *c, const char *dir, struct gate_rnode *cfg, const char *origin,
	struct rmap *m);
/*
 * The entries of a generators: (generators 1) or transformers: list: inline
 * configs, files, folders (kustomizations whose build is the configs), in
 * kustomize's order, each document to one; a missing file fails with
 * kustomize's message for the field.
 */
void rtarget_configs(struct rctx *c, const char *dir, const char *kfile, const struct gate_rnode *list,
	int generators, rconfig_fn one, struct rmap *m);

/* generators (render_gen.c) */
void rgen_run(struct rctx *c, const char *dir, const char *kfile, const struct gate_rnode *k,
	struct rmap *m);
/* `generators:` entries: built-in ConfigMapGenerator / SecretGenerator configs */
void rgen_configs(struct rctx *c, const char *dir, const char *kfile,
	const struct gate_rnode *list, struct rmap *m);
void rgen_hash_names(struct rctx *c, struct rmap *m);

/* patches (render_patch.c) */
void rpatch_smp(struct rctx *c, struct gate_rnode *dst, const struct gate_rnode *patch,
	const char *kind);
void rpatch_json6902(struct rctx *c, struct gate_rnode *root, const struct gate_rnode *ops);
void rpatch_run(struct rctx *c, const char *dir, const struct gate_rnode *k, struct rmap *m,
	int which);
int rselect_match(struct rctx *c, const struct gate_rnode *sel, const struct rres *r);
#define RPATCH_SMP_LIST 0   /* patchesStrategicMerge */
#define RPATCH_PATCHES 1    /* patches */
#define RPATCH_JSON6902 2   /* patchesJson6902 */

/* transformers (render_xform.c) */
void rx_namespace(struct rctx *c, const struct gate_rnode *nsnode, struct rmap *m);
/*
 * namePrefix / nameSuffix: at metadata/name (the name kustomize tracks for
 * references) and at the further field specs of prefix_specs / suffix_specs
 * (NULL or empty: metadata/name of every kind only).
 */
void rx_prefix_suffix(struct rctx *c, const struct gate_rnode *pre, const struct gate_rnode *suf,
	const struct fspecs *prefix_specs, const struct fspecs *suffix_specs, struct rmap *m);
void rx_labels(struct rctx *c, const struct gate_rnode *pairs, int selectors, int templates,
	const struct fspecs *fields, struct rmap *m);
void rx_annotations(struct rctx *c, const struct gate_rnode *pairs, struct rmap *m);
void rx_images(struct rctx *c, const struct gate_rnode *images, struct rmap *m);
void rx_replicas(struct rctx *c, const struct gate_rnode *replicas, struct rmap *m);
void rx_name_references(struct rctx *c, struct rmap *m);
void rx_builtin_config(struct rctx *c, const char *dir, const char *kfile,
	const struct gate_rnode *list, struct rmap *m);

/* replacements (render_repl.c) */
void rrepl_run(struct rctx *c, const char *dir, const struct gate_rnode *list, struct rmap *m);

/* buildMetadata (render_meta.c) */
#define RMETA_ORIGIN 1      /* originAnnotations */
#define RMETA_MANAGED_BY 2  /* managedByLabel */
#define RMETA_TRANSFORMS 4  /* transformerAnnotations */
void rmeta_read(struct rctx *c, const struct gate_rnode *k);
void rmeta_origin_file(struct rctx *c, struct gate_rnode *root, const char *path,
	const struct gate_rnode *where);
void rmeta_origin_generated(struct rctx *c, struct rres *r, const char *configured_in,
	const char *av, const char *kind, const char *name, const char *ns,
	const struct gate_rnode *where);
/*
 * A transformer configured in configured_in ran `times` times over m: each
 * object records it for alpha.config.kubernetes.io/transformations (or takes
 * it as its origin when it has none), as kustomize's AddTransformerAnnotation.
 * The list is written by rmeta_finish(); each entry counts as a node of the
 * build (max_nodes).
 */
void rmeta_transformed(struct rctx *c, struct rmap *m, const char *configured_in,
	const char *av, const char *kind, const char *name, const char *ns, size_t times,
	const struct gate_rnode *where);
void rmeta_keep_origin(struct rctx *c, struct rres *r, const struct rres *old);
void rmeta_finish(struct rctx *c, struct rmap *m);

/* ordering (render_sort.c) */
void rsort_legacy(struct rctx *c, struct rmap *m);

#endif
