/*
 * judge_int.h: what the files of the judge share, private to them (and to
 * their unit tests).  The judge is one module (include/gate/judge.h) in
 * files of one concern each:
 *
 *   judge.c          setup, the verdict fingerprint, verdict bookkeeping,
 *                    gate_judge_push() (the order of the steps)
 *   judge_commits.c  ref rules, the new commits of each update and the files
 *                    each changes (with ownership)
 *   judge_batch.c    the distinct (blob, group) of a push, judged in batches
 *                    through the engine or taken from the verdict cache, and
 *                    their verdicts given back to every file
 *   judge_units.c    the facts of blobs, a commit's manifests as the tree
 *                    checks need them (kustomization units), the tree checks
 *   judge_crd.c      CRD schema sets built from the tree, the re-judge of
 *                    custom resources against them
 *   judge_policy.c   policy over commits: the ratchet, tree checks per commit
 *   judge_roots.c    the deployment roots of a tree (Flux, Argo CD, render.roots,
 *                    kustomizations nobody includes) and their postBuild variables
 *   judge_rtree.c    the tree as the root search sees it: path lookups, per-tree summaries
 *   judge_render.c   deployment roots: render, judge the renders, hand over reached files
 *   judge_rindex.c   the render index (root -> inputs), in the verdict cache and the facts index
 *   judge_flux.c     a Flux Kustomization's own fields: its overlay, its postBuild
 *   judge_vars.c     the variables of postBuild.substituteFrom found in the tree
 *   judge_subst.c    Flux's post-build substitution (envsubst)
 *   judge_argo.c     an Argo CD Application's kustomize options: its overlay
 *
 * Every git object is read through hooks/repo.c.  Helpers shared between the
 * files are named gate_judge__<name> (libgit2's convention for private ones).
 */
#ifndef GATE_JUDGE_INT_H
#define GATE_JUDGE_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "gate/engine.h"
#include "gate/hash.h"
#include "gate/judge.h"
#include "gate/policy.h"
#include "gate/repo.h"
#include "gate/repo_checks.h"

#define BATCH_BYTES (8u << 20)
#define BATCH_FILES 512
#define BINARY_PROBE 8000
/* judge_batch.c: a NUL byte in the first BINARY_PROBE bytes, and no UTF-16 byte order mark */
int gate_judge__is_binary(const char *buf, size_t len);
#define GROUP_SCAN (-2) /* a file that is no manifest, only scanned for secrets */

/* One distinct (blob, group) of the push. */
struct uniq {
	git_oid blob;
	int group;
	char *path;               /* first path seen (engine filename) */
	char key[GATE_SHA256_HEX];
	struct gate_results results;
	int done, from_cache;
};

struct utable {
	struct uniq *v;
	size_t n, alloc;
	size_t *slots;            /* index + 1, 0 empty */
	size_t nslots;
};

struct gate_judge {
	const struct gate_config *cfg;
	struct gate_repo *repo;
	struct gate_verdicts *cache;
	struct gate_store **stores;
	struct gate_engine_opts *eopts;
	size_t ngroups;
	int path_sensitive;
	int threads;
	int64_t deadline;
	const struct gate_policy *policy; /* NULL: none */
	const char *pusher;
	const char *const *pgroups;
	size_t npgroups;
	int scan, ratchet, tree_checks, owners;
	char fingerprint[GATE_SHA256_HEX];
	int use_index;       /* the blob-facts index of the cache's folder (judge_facts.c) */
	int serial_roots;    /* the roots' builds one after the other (judge_proots.c) */
	char *facts_stamp;   /* what its entries must have been made by */
	void (*phase)(void *payload, const char *step);
	void *phase_payload;
	size_t stop_after;   /* tests: past the deadline after this many files started; 0: never */
	atomic_size_t nstarted;
	size_t stop_after_roots; /* tests: past the deadline from this root on (push order); 0: never */
	size_t roots_seen;       /* roots of the commits whose renders are done (set between commits) */
};

/* Facts of each blob read during one push (blob id -> facts). */
struct fmemo {
	git_oid *ids;
	struct gate_tree_facts **facts;
	size_t n, alloc;
	size_t *slots;  /* index + 1, 0 empty */
	size_t nslots;
};

struct tree_entry {
	char *path;
	git_oid id;
	int changed;
};

struct tree_walk {
	struct gate_judge *j;
	struct tree_entry *v;
	size_t n, alloc;
	char **changed;  /* sorted paths the commit changed; NULL: every path counts as changed */
	size_t nchanged;
	struct fmemo *memo;
	char *msg;
	size_t msgsize;
};

/* A (group, kind) some custom resource of a commit has no schema for. */
struct crdneed {
	char *group, *kind;
};

/* The CRD set of one need: what it was built from, and the schemas. */
struct needset {
	struct crdneed need;
	int strict;
	struct tree_entry *cands;  /* the files it was built from (path, id), in tree order */
	size_t ncands, acands;
	struct gate_crd_set *set;
};

/*
 * The CRDs of the trees of one push, built lazily: only CRDs of a (group,
 * kind) a changed custom resource lacks a schema for are compiled, from the
 * files that may define one.  Which files those are comes from the facts of
 * blobs the push already read (gate_tree_facts_defines_crd()), else from the
 * words of the blob (gate_crd_words_may_define()), and when the words may,
 * from the facts kept with the blob's verdict by an earlier push; each blob
 * without facts is read once per push to learn whether it holds CRD text at
 * all, and a blob that does once more for its words.  The set of each (group, kind) is
 * kept while its candidate files and strictness stay the same (consecutive
 * commits share nearly every blob).
 */
struct crdcache {
	git_oid *ids;            /* blobs byte-tested */
	unsigned char *maybe;    /* 1: holds "CustomResourceDefinition" */
	struct gate_crd_words **words; /* of a blob that may, once needed */
	unsigned char *asked;    /* the verdict cache was asked for the blob's facts */
	size_t n, alloc;
	size_t *slots;           /* index + 1, 0 empty */
	size_t nslots;
	struct needset *sets;
	size_t nsets, asets;
};

/* judge.c */
int gate_judge__past_deadline(const struct gate_judge *j);
/* Past the deadline, or (tests) past stop_after files started: counts one file started. */
int gate_judge__start_file(struct gate_judge *j);
/*
 * Past the deadline before building the push's nth deployment root (0 the
 * first, in root order), or (tests) nth >= stop_after_roots: by the root's
 * place, not the order threads start builds, so parallel and serial builds
 * stop at the same root.
 */
int gate_judge__past_root(const struct gate_judge *j, size_t nth);
void gate_judge__phase(const struct gate_judge *j, const char *step);
void gate_judge__count_file(struct gate_judged_file *f);
void gate_judge__copy_results(struct gate_results *dst, const struct gate_results *src,
	const char *filename);
/* A verdict made here, not by the engine: one result with msg, or a warning. */
void gate_judge__own_result(struct gate_results *rs, const char *filename, enum gate_status st,
	const char *rule, enum gate_severity sev, const char *message);

/* judge_batch.c */
/* The verdict cache key of blob judged under group at path (the path counts when path-sensitive). */
void gate_judge__verdict_key(const struct gate_judge *j, const git_oid *blob, int group,
	const char *path, char key[GATE_SHA256_HEX]);
/* Find (blob, group, path when path-sensitive); add when absent.  Returns the index. */
size_t gate_judge__utable_get(struct gate_judge *j, struct utable *t, const git_oid *blob,
	int group, const char *path);
void gate_judge__utable_release(struct utable *t);
/* Files that are no manifests: only their secrets.  Too large or binary ones are not read. */
int gate_judge__scan_only(struct gate_judge *j, struct utable *t, struct gate_verdict *out,
	char *msg, size_t msgsize);
/* Judge every (blob, group) not in the cache; with memo, keep the facts the engine's pass gives. */
int gate_judge__uniq(struct gate_judge *j, struct utable *t, struct fmemo *memo,
	struct gate_verdict *out, char *msg, size_t msgsize);
/* Give every file of every commit its verdict and count. */
void gate_judge__distribute(struct gate_judge *j, struct utable *t, struct gate_verdict *out);

/* judge_units.c */
/* The facts of blob id, or NULL when not known yet. */
const struct gate_tree_facts *gate_judge__fmemo_get(struct fmemo *m, const git_oid *id);
/* Keep facts f (taken over) as those of blob id; returns what is kept. */
const struct gate_tree_facts *gate_judge__fmemo_put(struct fmemo *m, const git_oid *id,
	struct gate_tree_facts *f);
void gate_judge__fmemo_release(struct fmemo *m);
int gate_judge__cmp_path(const void *a, const void *b);
int gate_judge__tree_entry_fn(const struct gate_repo_change *ch, void *payload);
void gate_judge__tree_walk_release(struct tree_walk *tw);
/* Read a blob of the tree, or NULL when too large or binary (the file's own verdict says so). */
int gate_judge__read_tree_blob(struct gate_judge *j, const git_oid *id, char **buf, size_t *len,
	char *msg, size_t msgsize);
/* Run the tree checks of commit (its tree, or its parent's) into out. */
int gate_judge__tree_check_commit(struct gate_judge *j, struct tree_walk *tw, const git_oid *commit,
	struct gate_results *out, char *msg, size_t msgsize);

/* judge_facts.c: the persistent blob-facts index (borrowed from the cache; NULL: none) */
struct gate_facts_index *gate_judge__facts_index(struct gate_judge *j);
/*
 * The index key of a per-tree summary: SHA-256 of kind (the summary's name
 * and version, e.g. "gitops-gate crd tree 1"), the judge's fingerprint, the
 * tree's path prefix and its id, cut to an oid.
 */
void gate_judge__tree_summary_key(const struct gate_judge *j, const char *kind, const git_oid *tree,
	const char *prefix, git_oid *key);
/* The facts of blob id known without reading it (memo, then the index), or NULL. */
const struct gate_tree_facts *gate_judge__indexed_facts(struct gate_judge *j, struct fmemo *memo,
	const git_oid *id);
/* The facts of blob id: known, else read and parsed (and kept in memo and the index). */
int gate_judge__blob_facts(struct gate_judge *j, struct fmemo *memo, const git_oid *id,
	const struct gate_tree_facts **out, char *msg, size_t msgsize);
/* Keep the facts of memo (the engine's pass, the verdict notes) in the index. */
void gate_judge__index_memo(struct gate_judge *j, struct fmemo *memo);
/* May blob id name a deployment root (Flux or Argo CD text)?  1, 0, or -1 unknown. */
int gate_judge__names_roots(struct gate_judge *j, const git_oid *id);
void gate_judge__index_roots(struct gate_judge *j, const git_oid *id, int names);

/* judge_commits.c */
struct gate_judged_file *gate_judge__add_file(struct gate_judged_commit *c, const char *path,
	const git_oid *blob, int group);
int gate_judge__collect_ref(struct gate_judge *j, struct utable *t, const struct gate_ref_update *u,
	const char *const *keep, size_t nkeep, struct gate_judged_ref *r, char *msg, size_t msgsize);

/* judge_crd.c */
void gate_judge__crdcache_release(struct crdcache *cc);
/*
 * Judge again the changed files holding custom resources the schema store
 * had no schema for, against the CRDs of the tree that describe them.
 */
int gate_judge__crd_rejudge(struct gate_judge *j, struct gate_judged_commit *cm, struct crdcache *cc,
	struct fmemo *memo, char *msg, size_t msgsize);

/* judge_render.c */
/*
 * The deployment roots of each judged commit (Flux Kustomizations, Argo CD
 * Applications): built, every rendered object judged, problems added to the
 * commit at their source files; changed manifests a root reads are handed
 * over (group -1: not judged as whole objects).
 */
int gate_judge__render_roots(struct gate_judge *j, struct gate_verdict *out, char *msg, size_t msgsize);

/* judge_render.c: one blob of a commit's tree */
struct rfile {
	char *path;
	git_oid id;
};

/* judge_subst.c */
/*
 * Flux's post-build substitution (fluxcd/pkg/envsubst) of in into out: vars
 * holds "name=value\n" lines; ${var}, the default operators (:= :- :? :+ =),
 * ${#var}, casing (^ ^^ , ,,), ${var:off:len}, trims (# ## % %%) and
 * replacements (/ // /# /%); $$ is a $.  undefined: what an undefined
 * variable read without a default operator gives: SUBST_ERROR an error
 * (Flux's strict mode), SUBST_EMPTY "", SUBST_KEEP its ${...} text as
 * written (its value is unknown to the gate).  Returns 0, or -1 with err (a
 * message) and var (the undefined variable, "" for a malformed ${...}).
 */
enum { SUBST_EMPTY = 0, SUBST_ERROR = 1, SUBST_KEEP = 2 };
int gate_judge__flux_substitute(const char *vars, int undefined, const struct gate_buf *in, struct gate_buf *out,
	char *err, size_t errsize, char *var, size_t varsize);
/* Is name[0..len) a variable name kustomize-controller accepts? */
int gate_judge__subst_name_ok(const char *name, size_t len);
/* Where a substitution of obj failed: the text holding "${var" (any "${" when var is ""). */
struct gate_subst_where {
	const char *file, *kind, *name; /* borrowed from obj; NULL: unknown */
	uint32_t line, col;
};
struct gate_rnode;
void gate_judge__subst_where(const struct gate_rnode *obj, const char *var, struct gate_subst_where *w);

/* judge_flux.c: a Flux Kustomization's own fields */
struct gate_node;
struct flux_ref {
	char *kind, *name; /* ConfigMap or Secret */
	int optional;
	uint32_t line, col;
};

/* spec.postBuild of a Flux Kustomization */
struct flux_post {
	char *vars;           /* substitute as "name=value\n" lines, newlines of values removed */
	struct flux_ref *refs; /* substituteFrom, in order */
	size_t nrefs;
	int always;           /* substituteStrategy: Always */
	char *ns;             /* the Kustomization's metadata.namespace, NULL: none */
	uint32_t line;        /* of postBuild: */
	char *bad;            /* a substitute name Flux refuses, NULL: none */
	uint32_t bad_line, bad_col;
};

#define FLUX_LABELS_FILE "flux-common-labels.yaml"
#define FLUX_ANNOTATIONS_FILE "flux-common-annotations.yaml"

struct flux_overlay_in {
	const char *part;     /* the object's document */
	size_t len;
	uint32_t first;       /* its first line */
	const struct gate_node *root, *spec;
	/* does the root's folder hold path (a component)?  NULL: assume so */
	int (*exists)(void *payload, const char *path);
	void *payload;
};

struct flux_overlay {
	char *text;           /* the overlay kustomization, NULL: none */
	uint32_t indent;      /* of the spec's fields */
	char *labels, *annotations; /* commonMetadata's transformer configs, NULL: none */
	char *bad;            /* the object is refused by Flux (a remote component), NULL: not */
	uint32_t bad_line, bad_col;
};

/*
 * postbuild: spec.postBuild (new, release with gate_judge__flux_post_free()),
 * NULL without postBuild.  subst_disabled: 1 when obj opts out of
 * substitution by label or annotation.  flux_overlay: a kustomization
 * layering the object's fields (targetNamespace, prefixes, images, patches,
 * components, commonMetadata) over its folder: 1 with out->text, 0 when it
 * sets none, -1 when Flux refuses it (out->bad); the strings of out are new.
 */
struct gate_rnode;
struct flux_post *gate_judge__flux_postbuild(const struct gate_node *root, const struct gate_node *spec);
void gate_judge__flux_post_free(struct flux_post *p);
int gate_judge__subst_disabled(const struct gate_rnode *obj);
int gate_judge__flux_overlay(const struct flux_overlay_in *in, struct flux_overlay *out);
void gate_judge__add_quoted(struct gate_buf *b, const char *s);
/* dir/rel with "." and ".." resolved (new string), NULL when it leaves the repository. */
char *gate_judge__join_path(const char *dir, const char *rel);
/* The same into out (at least strlen(dir) + strlen(rel) + 2 bytes): 0, or -1 (leaves the top). */
int gate_judge__join_path_to(char *out, const char *dir, const char *rel);
/* post as text (new string; NULL for NULL): two roots with the same text have the same postBuild. */
char *gate_judge__flux_post_key(const struct flux_post *p);

/*
 * What a Flux or Argo CD object adds to the root it names (judge_render.c
 * roots_add() takes the strings and post over).  root_in_dump() appends it
 * to b as text a later push can keep (in an index of the roots a blob
 * names); root_in_load() reads one back from *p (advanced past it) into a
 * zeroed in: 0, or -1 when the text is not one.  Note: an Argo CD overlay
 * may hold the judged commit's id ($ARGOCD_APP_REVISION): keep it per
 * commit, not per blob.
 */
struct root_in {
	int flux;
	char *overlay;
	uint32_t indent;
	char *labels, *annots;
	char *bad;
	uint32_t bad_line, bad_col;
	struct flux_post *post;
};
void gate_judge__root_in_dump(const struct root_in *in, struct gate_buf *b);
int gate_judge__root_in_load(const char **p, const char *end, struct root_in *in);
void gate_judge__root_in_release(struct root_in *in);

/* judge_argo.c: an Argo CD Application source's kustomize options */
#define ARGO_NENV 9
struct argo_overlay_in {
	const char *part;     /* the Application's document */
	size_t len;
	uint32_t first;       /* its first line */
	uint32_t kline;       /* the line of the source's kustomize: key */
	uint32_t end_line;    /* the first line after the kustomize: block (UINT32_MAX: the document's end) */
	const struct gate_node *kustomize;
	const char *env[ARGO_NENV][2]; /* Argo CD's build environment: name, value (borrowed) */
	size_t nenv;
	char hex[GIT_OID_HEXSZ + 1], short7[8], short8[9]; /* the revision's spellings */
	int (*exists)(void *payload, const char *path); /* a component below the source's path */
	void *payload;
};
/*
 * The overlay of spec.source.kustomize: a kustomization (out->text, new)
 * layering namePrefix, nameSuffix, namespace, images, replicas,
 * commonLabels (labelWithoutSelector, labelIncludeTemplates),
 * commonAnnotations, components and patches over the source's folder, each
 * at its line.  Returns 1 with an overlay, 0 without, -1 when Argo CD would
 * fail (out->bad).
 */
int gate_judge__argo_overlay(const struct argo_overlay_in *in, struct flux_overlay *out);
/*
 * Fill in for source src of the Application (root, its spec) in the
 * document part from line first of commit: the kustomize options, their
 * lines, Argo CD's build environment.  exists and payload are left NULL.
 */
void gate_judge__argo_source_in(struct argo_overlay_in *in, const char *part, size_t len, uint32_t first,
	const struct gate_node *root, const struct gate_node *spec, const struct gate_node *src,
	const git_oid *commit);

/* judge_vars.c: the variables of a Flux root's substitution */
/* A problem found while resolving them, reported under the root at file:line:col. */
struct root_note {
	char *file, *msg;
	uint32_t line, col;
	int warn;
};

struct flux_vars {
	char *vars;           /* "name=value\n" lines; NULL: no substitution runs */
	int undefined;        /* SUBST_ERROR (strict), SUBST_EMPTY, or SUBST_KEEP (a source is unknown) */
	int failed;           /* a note is an error: Flux fails before applying anything */
	struct root_note *notes;
	size_t nnotes, anotes;
	char **srcs;          /* files the variables came from */
	size_t nsrcs, asrcs;
	char *digest;         /* what the render index keys on: vars, strictness, notes */
};

/* The ConfigMaps and Secrets of one commit's tree that substituteFrom names. */
struct varcat;

/*
 * Find, in files (the commit's tree, sorted by path), the ConfigMaps and
 * Secrets named by the substituteFrom of posts (skip: blobs not to read,
 * NULL: none); *out is new (release with
 * gate_judge__varcat_free()).  Returns 0, or -1 with msg (a blob unreadable).
 */
/*
 * Blobs known (during one push) to hold no ConfigMap or Secret text: never
 * read again.  known: is id one of them; add: id is one.
 */
struct varcat_skip {
	int (*known)(void *payload, const git_oid *id);
	void (*add)(void *payload, const git_oid *id);
	void *payload;
};
int gate_judge__varcat_build(struct gate_judge *j, const struct rfile *files, size_t nfiles,
	const struct flux_post *const *posts, size_t nposts, const struct varcat_skip *skip,
	struct varcat **out, char *msg, size_t msgsize);
void gate_judge__varcat_free(struct varcat *c);
/* Does c hold a kind (ConfigMap, Secret) named name? */
int gate_judge__varcat_has(const struct varcat *c, const char *kind, const char *name);
/*
 * Add a rendered ConfigMap or Secret (one a configMapGenerator or
 * secretGenerator makes) to c; path: the kustomization that made it.
 */
void gate_judge__varcat_add_rendered(struct varcat *c, const struct gate_rnode *obj, const char *path);
/*
 * The variables of post (of the object in file from) as kustomize-controller
 * loads them.  inherited: another Kustomization's patches may set this
 * one's postBuild, so its variables are unknown too.
 */
void gate_judge__flux_vars(const struct gate_judge *j, const struct varcat *c, const struct flux_post *post,
	const char *from, int inherited, struct flux_vars *out);
void gate_judge__flux_vars_release(struct flux_vars *v);

/* judge_policy.c */
/*
 * After judging the files: give each changed manifest its results, apply the
 * ratchet to them, and run the repository-wide checks on each commit's tree.
 */
int gate_judge__push_policy(struct gate_judge *j, struct utable *t, struct fmemo *memo,
	struct gate_verdict *out, char *msg, size_t msgsize);

#endif
