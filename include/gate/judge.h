/*
 * judge: decide on the ref updates of a push.
 *
 * For each gated ref update: the ref rules (deletion, non-fast-forward, the
 * accepted namespace), then every commit the update adds (reachable from the
 * new tip and from no existing ref, oldest first), each judged on the
 * manifest blobs it changes against its first parent; the first new commit
 * of a new gated ref (and a root commit) on its whole tree.  Then the tree
 * the ref moves to, so that the accepted ref only ever points at a tree
 * wholly judged: every file of it that differs from the last accepted
 * revision of the ref (the whole tree when there is none) and that no new
 * commit judged at that path, and path ownership on the ref's old->new diff
 * for the pusher who moves it.  Each distinct
 * (blob, settings group) is judged once per push and at most once per
 * fingerprint thanks to the verdict cache.  Used by pre-receive, and by
 * post-receive to re-judge when a hand-over is missing.
 *
 * Violations are data (counted and listed in the verdict); a negative return
 * means the push could not be evaluated and must be rejected.
 */
#ifndef GATE_JUDGE_H
#define GATE_JUDGE_H

#include <stddef.h>
#include <stdint.h>
#include <git2.h>

#include "gate/config.h"
#include "gate/engine.h"
#include "gate/ref_update.h"
#include "gate/repo.h"
#include "gate/result.h"
#include "gate/verdicts.h"

struct gate_policy;

#define GATE_JUDGE_ETIMEOUT (-30)  /* the time budget ran out */

/* Who pushes: for path ownership (policy) and the record.  All borrowed. */
struct gate_pusher {
	const char *name;
	const char *const *groups;
	size_t ngroups;
};

/* What was decided for one file of one commit. */
struct gate_judged_file {
	char *path;
	char blob[GIT_OID_HEXSZ + 1];
	int group;                  /* settings group index, -1 when none */
	int from_cache;             /* the verdict came from the verdict cache */
	struct gate_results results; /* filename = path */
	size_t nproblems;           /* rejecting problems */
	size_t nwarnings;           /* warnings (never reject) */
	size_t nsuppressed;
	int has_parent;             /* ratchet: parent_blob is the path's blob in the parent commit */
	git_oid parent_blob;
};

struct gate_judged_commit {
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int whole_tree;
	/*
	 * Not a commit of the push but the tree the ref moves to (id is its
	 * tip): the files of that tree no new commit judged, since the last
	 * accepted revision base (has_base) or the whole tree when there is
	 * none, and the ownership of the ref's whole move.  Always last of
	 * its ref, present only when it holds files.
	 */
	int tip_check;
	int has_base;
	git_oid base;
	char base_hex[GIT_OID_HEXSZ + 1];
	struct gate_judged_file *files;
	size_t nfiles, afiles;
	/* manifest paths the commit deletes (owned): a root that read one is touched */
	char **deleted;
	size_t ndeleted, adeleted;
	size_t nproblems, nwarnings, nbad_files;
};

struct gate_judged_ref {
	struct gate_ref_update update; /* the update judged, as parsed (a copy; update.ref owned) */
	int gated;
	char *denial;               /* a ref rule refused the update, else NULL */
	struct gate_judged_commit *commits; /* the new commits, then the tip check (tip_check) */
	size_t ncommits, acommits;
	size_t nnew;                /* of commits, those the push adds (the rest: the tip check) */
	size_t nproblems, nwarnings, nsuppressed, nfiles, ncached, nbad_files, nbad_commits;
	size_t ntip_files, ntip_cached; /* files of the tip check (not in nfiles, ncached) */
};

struct gate_verdict {
	struct gate_judged_ref *refs; /* one per update, in input order */
	size_t nrefs;
	size_t ndenials;             /* refs refused by a rule */
	size_t nproblems, nwarnings, nbad_files, nbad_commits;
	size_t files_total;          /* distinct (blob, group) to judge */
	size_t files_done;           /* of them, judged or taken from cache */
	size_t files_cached;
};
#define GATE_VERDICT_INIT { NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
void gate_verdict_release(struct gate_verdict *v);

struct gate_judge_setup {
	const struct gate_config *cfg;     /* required, borrowed */
	struct gate_repo *repo;            /* required, borrowed */
	struct gate_verdicts *cache;       /* NULL: no verdict cache; borrowed */
	const char *engine_id;             /* build identity, part of the fingerprint */
	const char *extra_fingerprint;     /* e.g. the policy's; NULL: none */
	const struct gate_checker *checkers; /* policy; borrowed */
	size_t ncheckers;
	int path_sensitive;                /* checkers depend on the path: key the cache by path too */
	int threads;                       /* 0: 2 */
	const char *catalog_dir;           /* the built-in catalog (location "catalog"); borrowed */
	int no_facts_index;                /* judge without the blob-facts index (gate/facts_index.h) */
	int serial_roots;                  /* build the roots one after the other, not in threads (tests) */
	/*
	 * The policy (borrowed, NULL: none) for what goes beyond one resource:
	 * every changed file scanned for secrets, ownership of the changed paths
	 * (pusher and its groups), repository-wide checks on each commit's tree,
	 * the ratchet.  Its per-resource checks run through checkers.
	 */
	const struct gate_policy *policy;
	const char *pusher;
	const char *const *pusher_groups;
	size_t npusher_groups;
	/* Called after each step of judging a push (for timings); may be NULL. */
	void (*phase)(void *payload, const char *step);
	void *phase_payload;
	/*
	 * For tests of the time budget: after this many files were started,
	 * judging stops as past the deadline (what a slow push meets, at a
	 * count instead of a time); 0: never.
	 */
	size_t stop_after_files;
	/* the same after this many deployment roots were started (their builds); 0: never */
	size_t stop_after_roots;
};

struct gate_judge;

/*
 * Prepare judging: one schema store per settings group of the configuration,
 * and the fingerprint.  *out is new (release with gate_judge_free()).
 * Returns 0, or -1 with a message (a schema store that cannot be set up).
 */
int gate_judge_new(struct gate_judge **out, const struct gate_judge_setup *s,
	char *msg, size_t msgsize);
void gate_judge_free(struct gate_judge *j);

/* The fingerprint of config, schemas and engine (hex, borrowed). */
const char *gate_judge_fingerprint(const struct gate_judge *j);

/* Milliseconds on a monotonic clock, for deadlines. */
int64_t gate_judge_now_ms(void);
/* Stop judging (GATE_JUDGE_ETIMEOUT) once gate_judge_now_ms() passes deadline; 0: none. */
void gate_judge_set_deadline(struct gate_judge *j, int64_t deadline_ms);

/*
 * Judge the updates u[0..n) of one push into out (initialised with
 * GATE_VERDICT_INIT).  The refs being updated are not taken as "existing"
 * (their old tips are), so the same call works before and after the refs
 * move.  Returns 0 after a complete evaluation (look at out->ndenials and
 * out->nproblems), GATE_JUDGE_ETIMEOUT (out->files_done of
 * out->files_total), or negative with a message when something could not be
 * evaluated (unreadable object, schema store failure).
 */
int gate_judge_push(struct gate_judge *j, const struct gate_ref_update *u, size_t n,
	struct gate_verdict *out, char *msg, size_t msgsize);

/* The commits of r the push adds (r->commits without the tip check). */
size_t gate_judged_ref_commits(const struct gate_judged_ref *r);

/*
 * Counting rule shared with renderers: the rejecting problems of a result
 * (unsuppressed deny problems, or 1 when it is invalid/error without any).
 */
size_t gate_judge_result_problems(const struct gate_result *r);

#endif
