/*
 * accept: the one path from parsed ref updates to a verdict, and from a
 * verdict to the record, for pre-receive, post-receive (re-judging when
 * pre-receive's hand-over is missing) and reconcile.
 *
 * gate_accept_judge() sets up judging exactly one way (verdict cache, the
 * configuration's policy and its fingerprint, the pusher with its groups (the
 * setup's, from the forge or the account, and those of the config's
 * `groups:` that list the pusher),
 * the engine identity, the time budget) and judges the updates, so that a
 * re-judge reaches the verdict, fingerprint and cache keys of the first.
 *
 * gate_accept_update() is post-receive's step for one update of a gated ref:
 * take pre-receive's verdict from the hand-over (handoff.h), or judge again
 * with gate_accept_judge(), then record the accepted revision (record.h).
 * What the pusher should read is appended to a buffer as "warning:" and
 * "success:" lines; the caller prints it.
 */
#ifndef GATE_ACCEPT_H
#define GATE_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

#include "gate/config.h"
#include "gate/judge.h"
#include "gate/record.h"
#include "gate/ref_update.h"
#include "gate/repo.h"
#include "gate/util.h"
#include "gate/verdicts.h"

struct gate_accept_setup {
	struct gate_repo *repo;          /* required, borrowed */
	const struct gate_config *cfg;   /* required, borrowed */
	struct gate_pusher pusher;       /* name and groups, borrowed */
	const char *engine_id;           /* the build's identity, part of the fingerprint */
	const char *catalog_dir;         /* the built-in schema catalog (location "catalog"); borrowed */
	int64_t deadline_ms;             /* gate_judge_now_ms() clock; 0: now + limits.time_budget_ms */
	int defer_cache;                 /* keep new verdict records in memory (see verdicts.h) */
	int no_facts_index;              /* judge without the blob-facts index (see judge.h) */
	int serial_roots;                /* render the roots one after the other (see judge.h) */
	/* Called after each stage ("policy", "setup", "judge"), for timings; may be NULL. */
	void (*phase)(void *payload, const char *stage);
	void *phase_payload;
	size_t stop_after_files;         /* tests: the budget runs out after this many files (see judge.h) */
	size_t stop_after_roots;         /* tests: ... after this many deployment roots (see judge.h) */
};

struct gate_accept {
	struct gate_verdict verdict;     /* what gate_accept_judge() decided */
	const char *failed;              /* on failure: "policy", "setup" or "judge" (static) */
	/* private */
	struct gate_verdicts *cache;
	struct gate_policy *policy;
	struct gate_judge *judge;
	const char **groups;             /* the pusher's groups: setup's, then the config's */
	size_t ngroups;
};
#define GATE_ACCEPT_INIT { GATE_VERDICT_INIT, NULL, NULL, NULL, NULL, NULL, 0 }

/*
 * Judge the updates u[0..n) into a (initialised with GATE_ACCEPT_INIT).
 * Returns 0 after a complete evaluation (gate_accept_ok() tells the
 * outcome), GATE_JUDGE_ETIMEOUT (a->verdict.files_done of files_total), or
 * -1 with a message and a->failed naming the stage.  Release a with
 * gate_accept_release() in every case.
 */
int gate_accept_judge(struct gate_accept *a, const struct gate_accept_setup *s,
	const struct gate_ref_update *u, size_t n, char *msg, size_t msgsize);

/* 1 when the verdict refuses nothing (no ref rule denial, no problem), else 0. */
int gate_accept_ok(const struct gate_accept *a);

/* The verdict fingerprint (hex, borrowed from a), "" before judging. */
const char *gate_accept_fingerprint(const struct gate_accept *a);

/* The verdict cache a judged with (borrowed, NULL before judging). */
struct gate_verdicts *gate_accept_cache(struct gate_accept *a);

void gate_accept_release(struct gate_accept *a);

/* What gate_accept_update() did. */
struct gate_accept_outcome {
	char **ids;      /* deliveries queued (new strings, caller frees each and the array) */
	size_t nids;
	int recorded;    /* the event reached the journal */
};

/*
 * post-receive's step for update u (a gated ref, not a deletion; others are
 * left alone): pre-receive's hand-over, else a re-judge with s, then
 * gate_record_apply() on rec.  The pusher recorded is the hand-over's, else
 * s->pusher.name.  Lines for the pusher go to say.  Returns 0 (also when
 * the update is not accepted), or -1 when recording failed (said in say).
 */
int gate_accept_update(const struct gate_accept_setup *s, struct gate_record *rec,
	const struct gate_ref_update *u, struct gate_buf *say, struct gate_accept_outcome *out);

#endif
