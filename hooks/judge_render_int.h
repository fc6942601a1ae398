/*
 * judge_render_int.h: what judge_render.c (building and judging roots) and
 * judge_roots.c (finding roots, their postBuild variables) share.  Internal.
 */
#ifndef GATE_JUDGE_RENDER_INT_H
#define GATE_JUDGE_RENDER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "gate/kust_refs.h"
#include "judge_int.h"

/* Blobs of one push known to name no root (no Flux or Argo CD apiVersion in them). */
struct noroot {
	git_oid *ids;
	size_t n, nslots; /* nslots: a power of two, 0 before the first add */
};

/*
 * The tree of one judged commit as the root search and the renders see it
 * (hooks/judge_rtree.c): paths are looked up in the git tree when asked
 * (remembered in look), never listed whole unless gate_judge__rtree_list()
 * is called.  The files that may name a root and the kustomization files
 * come from per-tree summaries kept in the blob-facts index, so a push that
 * changes one file reads only the trees on its path.
 */
struct rlook;
/*
 * A commit's judged files by path (hooks/judge_fpaths.c): the files present
 * at init, sorted; files added later are looked at one by one.  v owned.
 */
struct fpath {
	const char *path; /* borrowed from the commit's file */
	size_t i;         /* its index in cm->files */
};
struct fpaths {
	const struct gate_judged_commit *cm;
	struct fpath *v;
	size_t n;
};
void gate_judge__fpaths_init(struct fpaths *p, const struct gate_judged_commit *cm);
void gate_judge__fpaths_release(struct fpaths *p);
/* The commit's files at path in turn (*it = 0 to start): a file index, SIZE_MAX when no more. */
size_t gate_judge__fpaths_next(const struct fpaths *p, const char *path, size_t *it);
int gate_judge__fpaths_has(const struct fpaths *p, const char *path);

struct rtree {
	struct gate_judge *j;
	struct fpaths fp; /* the commit's files by path, for the renders (owned, released by the renders) */
	git_oid commit;   /* the commit whose tree this is */
	struct noroot *nr;
	struct noroot *novars; /* blobs of the push without ConfigMap or Secret text */
	struct rfile *v;  /* every blob of the tree, by path: only after gate_judge__rtree_list() */
	size_t n, alloc;
	int listed;
	git_tree *tree;   /* the commit's root tree */
	struct rfile *rf; /* manifests that may name a root (Flux or Argo CD API text), by path */
	size_t nrf, arf;
	struct rfile *kf; /* kustomization files (any of the three names), by path */
	size_t nkf, akf;
	struct gate_kust_refs *kr; /* what each of kf names (nkf of them) */
	struct rlook **look; /* paths looked up: open addressing, nlook slots (a power of two) */
	size_t nlooked, nlook;
	struct settled *settled; /* the folders known unchanged (judge_settled.c; owned) */
	char *msg;
	size_t msgsize;
};

/*
 * A deployment root: a folder and the object that names it.  A Flux
 * Kustomization's own fields (targetNamespace, namePrefix, nameSuffix,
 * images, patches) become an overlay kustomization in a virtual folder
 * beside the root (OVERLAY_DIR), whose text keeps the lines of the Flux
 * object's file and its columns less indent, so what it sets is reported at
 * the Flux object's line.
 */
struct root {
	char *dir;
	char *from;     /* the file of the Flux or Argo CD object */
	int flux;       /* Flux: a folder without kustomization gets a generated one */
	char *overlay;  /* the overlay's text, NULL: none */
	uint32_t indent;
	char *vdir, *vpath; /* the overlay's folder and file, NULL: none */
	/* Flux commonMetadata: transformer configs in the overlay's folder (at the object's lines) */
	char *labels, *annots, *lpath, *apath;
	char *bad;      /* the object is refused (Flux, Argo CD) at from:bad_line:bad_col, NULL: not */
	uint32_t bad_line, bad_col;
	struct flux_post *post; /* spec.postBuild, NULL: none */
	char *postkey;  /* post as text (roots are the same when it is) */
	struct flux_vars fv;    /* post's variables, resolved in the commit's tree */
};

#define OVERLAY_DIR ".gitops-gate-flux"

struct roots {
	struct root *v;
	size_t n, alloc;
};

/*
 * What one build read: paths read (paths), and every probe with what it
 * found (states: "state path\n" lines; a blob id, "-" absent, "d" a folder,
 * "g<sha256>" the generated kustomization of a folder), the root's inputs
 * as the render index keeps them.
 */
struct reads {
	struct rtree *t;
	const struct root *root;
	char *gen_path;  /* the generated kustomization's path, NULL: none */
	char **paths;
	size_t n, alloc;
	char **gone;     /* paths it asked for that were not in the tree (owned) */
	size_t ngone, agone;
	struct gate_buf states;
	int io_error;
	int unindexable; /* a path the index cannot hold (a newline in it) */
	pthread_mutex_t *mu; /* held around the uses of t (and t->msg), NULL: one thread */
	char *msg;       /* where the build's errors go (t->msg, or its job's own) */
	size_t msgsize;
};

/*
 * One root's build and judgement (hooks/judge_render.c), apart from what it
 * does to the commit: gate_judge__root_build() changes nothing but the
 * job (and the render cache, the blob memo, and, for a root the verdict cache
 * spares, the facts index), so builds may run on several threads;
 * gate_judge__root_merge() then hands the files it read over, adds its
 * results to the commit and keeps its inputs in the render index, as the
 * build used to do itself.  Merged in root order, the verdict is that of
 * the builds one after the other.
 */
struct gate_render_cache;
enum { RJOB_NONE = 0, RJOB_CLEAN, RJOB_BUILT };
struct rjob {
	int kind;      /* RJOB_NONE: nothing to merge, but error */
	int error;
	struct reads rd;
	int touched;   /* the commit touched what it read */
	int has_fl;    /* the root's results make a file of the commit (own, maybe empty) */
	struct gate_results own;
	int put;       /* its inputs go to the render index (a build judged without error) */
	int clean;     /* a clean render, warnings included: keep key too */
	char key[GATE_SHA256_HEX], ikey[GATE_SHA256_HEX];
	char *msg;     /* the job's error message (size t->msgsize), NULL: t->msg itself */
};
void gate_judge__root_build(struct gate_judge *j, struct rtree *t, const struct gate_judged_commit *cm,
	const struct root *root, struct gate_render_cache *rcache, pthread_mutex_t *mu, struct rjob *job);
int gate_judge__root_merge(struct gate_judge *j, struct rtree *t, struct gate_judged_commit *cm,
	const struct root *root, struct rjob *job);
void gate_judge__rjob_release(struct rjob *job);
/*
 * The roots of one commit built on the judge's threads, merged in order
 * (hooks/judge_proots.c).  Returns 1 when it did (*error: the first root's
 * error, t->msg), 0 when they must be built one after the other.
 */
int gate_judge__render_parallel(struct gate_judge *j, struct rtree *t, struct gate_judged_commit *cm,
	const struct roots *rs, struct gate_render_cache *rcache, int *error);

extern const char *const gate_judge__kust_names[3];

/*
 * Open the tree of commit (t zeroed; nr, novars: the push's sets): its root
 * tree and the summaries.  Returns 0, or negative with msg (release t
 * either way with gate_judge__rtree_release()).
 */
int gate_judge__rtree_open(struct rtree *t, struct gate_judge *j, const git_oid *commit,
	struct noroot *nr, struct noroot *novars, char *msg, size_t msgsize);
void gate_judge__rtree_release(struct rtree *t);

/*
 * The render index's "T" texts known to hold (judge_settled.c): open loads
 * the set of the tree of the commit's nearest first-parent ancestor that has
 * one and what differs between that tree and the commit's; holds() says 1 when the text (its "T" lines, len bytes) held there and
 * no changed path meets its folders, so it holds here (0: look it up); add()
 * notes a text seen to hold in this tree (thread-safe); close writes this
 * tree's set to the facts index and frees.  Without the index, holds() is 0.
 */
void gate_judge__settled_open(struct rtree *t);
int gate_judge__settled_holds(struct rtree *t, const char *text, size_t len);
void gate_judge__settled_add(struct rtree *t, const char *text, size_t len);
void gate_judge__settled_close(struct rtree *t);
/* Every blob of the tree into t->v, sorted by path (once).  Returns 0 or -1 with t->msg. */
int gate_judge__rtree_list(struct rtree *t);
/* The tree's blob at path, NULL: none (borrowed from t). */
const struct rfile *gate_judge__rtree_find(struct rtree *t, const char *path);
/* Is dir ("" the root) a folder of the tree (holding a file somewhere below)? */
int gate_judge__rtree_is_dir(struct rtree *t, const char *dir);
int gate_judge__has_kustomization(struct rtree *t, const char *dir);
/* The id of folder dir's tree ("" the root's): 1, or 0 when dir is no tree there. */
int gate_judge__rtree_tree_id(struct rtree *t, const char *dir, git_oid *id);
/*
 * Flux's generated kustomization of folder dir (new string), NULL when a
 * tree cannot be read (t->msg says why).
 */
char *gate_judge__generate_kustomization(struct rtree *t, const char *dir);
/* Blobs of one push known to name no root, or to hold no ConfigMap or Secret text. */
int gate_judge__noroot_has(const struct noroot *nr, const git_oid *id);
void gate_judge__noroot_add(struct noroot *nr, const git_oid *id);
/* May the blob id (a manifest) name a root?  1, 0, or -1 with t->msg. */
int gate_judge__may_name_roots(struct rtree *t, const git_oid *id);
void gate_judge__reads_add(struct reads *r, const char *path);
/* Was one of the paths read by this build (r), root's object or its variables' sources changed by the commit? */
int gate_judge__root_touches(const struct rtree *t, const struct gate_judged_commit *cm, const struct reads *r,
	const struct root *root);

/*
 * The render index (hooks/judge_rindex.c).  lookup: RINDEX_UNTOUCHED when
 * the inputs of root's last build (clean or not, kept in the facts index)
 * have their states in t and the commit changed none of them (nothing to
 * say, nothing to hand over); RINDEX_CLEAN when its last clean render (kept
 * in the verdict cache) had inputs in the same states (r->paths are then
 * the paths it read); else RINDEX_MISS (r left empty).  key and ikey are
 * set for put: put remembers what build r read under ikey, and under key
 * too when key is not NULL (a clean render).
 */
enum { RINDEX_MISS = 0, RINDEX_CLEAN, RINDEX_UNTOUCHED };
/* The render index's key of root's inputs (two roots with the same key share its entries). */
void gate_judge__rindex_root_key(const struct gate_judge *j, const struct root *root, char key[GATE_SHA256_HEX]);
int gate_judge__rindex_lookup(struct gate_judge *j, struct rtree *t, const struct gate_judged_commit *cm,
	const struct root *root, struct reads *r, char key[GATE_SHA256_HEX], char ikey[GATE_SHA256_HEX]);
void gate_judge__rindex_put(struct gate_judge *j, struct rtree *t, const struct reads *r, const char *key,
	const char *ikey);

/* The render loader over the tree (payload: struct reads). */
int gate_judge__loader_read(void *payload, const char *path, char **buf, size_t *len);
void gate_judge__reads_release(struct reads *r);

/* The roots named by the manifests of the tree, and those of render.roots. */
int gate_judge__find_roots(struct rtree *t, struct roots *rs);
void gate_judge__roots_release(struct roots *rs);
/*
 * The folders holding a kustomization (not a Component) that no other
 * kustomization names and no root has taken in, as roots (render.orphan_roots).
 */
int gate_judge__orphan_roots(struct rtree *t, struct roots *rs);
/* Each Flux root's postBuild variables, resolved in the tree. */
int gate_judge__resolve_vars(struct rtree *t, struct roots *rs);

#endif
