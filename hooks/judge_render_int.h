/*
 * judge_render_int.h: what judge_render.c (building and judging roots) and
 * judge_roots.c (finding roots, their postBuild variables) share.  Internal.
 */
#ifndef GATE_JUDGE_RENDER_INT_H
#define GATE_JUDGE_RENDER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "judge_int.h"

/* Blobs of one push known to name no root (no Flux or Argo CD apiVersion in them). */
struct noroot {
	git_oid *ids;
	size_t n, nslots; /* nslots: a power of two, 0 before the first add */
};

struct rtree {
	struct gate_judge *j;
	git_oid commit;   /* the commit whose tree this is */
	struct noroot *nr;
	struct noroot *novars; /* blobs of the push without ConfigMap or Secret text */
	struct rfile *v;
	size_t n, alloc;
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
	struct gate_buf states;
	int io_error;
	int unindexable; /* a path the index cannot hold (a newline in it) */
};

extern const char *const gate_judge__kust_names[3];

/* The tree's blob at path, NULL: none (t->v sorted by path). */
const struct rfile *gate_judge__rtree_find(const struct rtree *t, const char *path);
/* Is dir ("" the root) a folder of the tree? */
int gate_judge__rtree_is_dir(const struct rtree *t, const char *dir);
int gate_judge__has_kustomization(const struct rtree *t, const char *dir);
/* The render loader over the tree (payload: struct reads). */
int gate_judge__loader_read(void *payload, const char *path, char **buf, size_t *len);
void gate_judge__reads_release(struct reads *r);

/* The roots named by the manifests of the tree, and those of render.roots. */
int gate_judge__find_roots(struct rtree *t, struct roots *rs);
void gate_judge__roots_release(struct roots *rs);
/* Each Flux root's postBuild variables, resolved in the tree. */
int gate_judge__resolve_vars(struct rtree *t, struct roots *rs);

#endif
