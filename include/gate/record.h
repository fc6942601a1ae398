/*
 * record: the record of accepted desired revisions.
 *
 * For a gated ref R (refs/heads/main) the gate keeps
 *   - the accepted ref A = accepted prefix + branch (refs/heads/gitops/accepted/main,
 *     for refs outside refs/heads/: prefix + the ref without "refs/"),
 *     so refs/heads/Y and refs/Y would share one; pre-receive keeps the
 *     mapping injective by refusing a gated branch refs/heads/Y while refs/Y
 *     is gated (refs/heads/tags/v1 with refs.gate_tags),
 *     a branch so that Flux and Argo CD can track it;
 *   - a note in refs/notes/gitops-gate on each accepted commit: a small JSON
 *     verdict summary (problems, warnings, suppressions, fingerprint, bypass,
 *     pusher, time);
 *   - the journal $GIT_DIR/gitops-gate/journal (journal.h), one JSON line per
 *     event: {"time": RFC 3339 UTC, "event": "accepted"|"rollback"|
 *     "rollforward"|"reconcile", "ref": R, "old", "new": the source update
 *     (hex), "target": the commit A was asked to point to, "accepted_ref": A,
 *     "previous": A's value before (hex or null), "moved": whether A now
 *     points to target because of this event, "reason" (when not moved:
 *     "already" or "superseded"), "pusher", "bypass", "verdict": summary,
 *     "deliveries": [ids], "intent": id, "reconciled": true when written by
 *     reconcile}.
 *
 * Order of one event (gate_record_apply), for crash safety:
 *   1. intent file $GIT_DIR/gitops-gate/pending/<intent>.json (the whole
 *      event, expected previous value, delivery ids) and the outbox entries
 *      (outbox.h), each written atomically and fsynced;
 *   2. A moved by compare-and-swap (git_reference_create_matching on the
 *      value read in 1), retried on a lost race;
 *   3. the journal line appended (flock + fsync);
 *   4. the note written;
 *   5. the intent file removed.
 * Sending (notify.h) comes after, by the caller.
 *
 * Invariants, whatever step a crash interrupts:
 *   I1. A only ever points to a commit that is the target of an event in the
 *       journal or of an intent file (1 precedes 2).
 *   I2. Every event whose intent file exists is either complete or can be
 *       completed by gate_record_reconcile(), which redoes steps 2-5
 *       idempotently: the ref only if it still holds the expected value (or,
 *       for a non-forced event, if target does not lie behind it), the journal
 *       line only if no line carries the intent id, the note always.
 *   I3. Every delivery of a completed or pending event is in the outbox until
 *       a receiver answered 2xx (at least once; receivers de-duplicate by id).
 *   I4. A never moves backwards by an "accepted" event: when target is an
 *       ancestor of (or equal to) A's value (concurrent post-receives finishing
 *       out of order), A stays and the line says moved:false.  Only rollback
 *       and rollforward move A to an arbitrary earlier accepted commit.
 *   I5. After reconcile, A equals the target of the last journal line for A
 *       with moved:true; when A was moved outside the gate it is put back, or,
 *       when A's value was accepted for R and descends from that target, a
 *       "reconcile" line records it.
 */
#ifndef GATE_RECORD_H
#define GATE_RECORD_H

#include <stddef.h>
#include <git2.h>

#include "gate/repo.h"
#include <jansson.h>

#include "gate/receivers.h"

#define GATE_RECORD_NOTES_REF "refs/notes/gitops-gate"
#define GATE_RECORD_DEFAULT_PREFIX "refs/heads/gitops/accepted/"
#define GATE_RECORD_MAX_JOURNAL (64u << 20) /* bytes of journal read back */
#define GATE_RECORD_MAX_PATHS 100000        /* changed paths kept; more: "all changed" */

struct gate_record;

/* Called after each step ("after-outbox", "after-ref", "after-journal", "after-note"). */
typedef void (*gate_record_step_fn)(void *payload, const char *step);

struct gate_record_opts {
	struct gate_repo *repo;          /* required, borrowed */
	const char *git_dir;             /* required */
	const char *prefix;              /* accepted prefix; NULL: the default */
	const struct gate_receivers *rcv; /* borrowed; NULL: no clusters */
	gate_record_step_fn step;        /* may be NULL */
	void *step_payload;
};

/* *out is new (release with gate_record_free()).  Returns 0 or -1 with msg. */
int gate_record_new(struct gate_record **out, const struct gate_record_opts *o,
	char *msg, size_t msgsize);
void gate_record_free(struct gate_record *r);

/* Paths of the state (borrowed). */
const char *gate_record_outbox_dir(const struct gate_record *r);
/* The repository as receivers see it, defaults filled in (borrowed). */
const struct gate_notify_config *gate_record_repo_config(const struct gate_record *r);
/* The default branch (notify.repository.default_branch, else HEAD's) (borrowed). */
const char *gate_record_default_branch(const struct gate_record *r);
const char *gate_record_journal_path(const struct gate_record *r);

/* The accepted ref of ref under prefix: a new string. */
char *gate_record_accepted_ref(const char *prefix, const char *ref);

struct gate_record_event {
	const char *event;   /* "accepted", "rollback", "rollforward" */
	const char *ref;     /* source ref (refs/heads/main) */
	const char *old_hex, *new_hex; /* the source update (NULL: not a push) */
	const char *target_hex; /* commit for the accepted ref */
	const char *pusher;  /* may be NULL */
	const char *bypass;  /* reason, or NULL */
	const json_t *verdict; /* summary object, borrowed; may be NULL */
	int force;           /* rollback/rollforward: may move backwards */
};

struct gate_record_outcome {
	char accepted_ref[1100];
	char previous[GIT_OID_HEXSZ + 1]; /* "" when A did not exist */
	int moved;
	const char *reason;  /* when not moved: "already" or "superseded" (static) */
	char **deliveries;   /* new ids queued in the outbox */
	size_t ndeliveries;
	size_t nclusters;    /* clusters notified */
	char warning[512];   /* a step that failed but was recorded for reconcile */
};
#define GATE_RECORD_OUTCOME_INIT { "", "", 0, NULL, NULL, 0, 0, "" }
void gate_record_outcome_release(struct gate_record_outcome *o);

/*
 * Record one event (the steps above).  Returns 0 when the event is recorded
 * (out->warning may still name a later step that failed: note or intent
 * removal; reconcile finishes it), or -1 with msg when the event could not be
 * recorded (then A did not move by it; a pending intent, if written, is
 * completed by reconcile).
 */
int gate_record_apply(struct gate_record *r, const struct gate_record_event *ev,
	struct gate_record_outcome *out, char *msg, size_t msgsize);

/*
 * Repair after a crash (I2, I5).  *report is a new JSON array of the actions
 * taken ({"action","accepted_ref","target","detail"}).  Returns 0 or -1 with msg.
 */
int gate_record_reconcile(struct gate_record *r, json_t **report, char *msg, size_t msgsize);

/*
 * The journal entries (new array, in order; release with json_decref()),
 * read with the GATE_RECORD_MAX_JOURNAL bound.
 */
int gate_record_journal(struct gate_record *r, json_t **entries, char *msg, size_t msgsize);

/*
 * Does the journal record target_hex as accepted for ref (source or accepted
 * ref name)?  1 yes, 0 no.  entries from gate_record_journal().
 */
int gate_record_was_accepted(const json_t *entries, const char *accepted_ref,
	const char *target_hex);

/*
 * The newest accepted commit for accepted_ref in the journal: the target of
 * its last "accepted" line that moved the ref.  NULL when none (borrowed from
 * entries).
 */
const char *gate_record_newest_accepted(const json_t *entries, const char *accepted_ref);

/* The last journal line for accepted_ref (borrowed), or NULL. */
const json_t *gate_record_last_entry(const json_t *entries, const char *accepted_ref);

#endif
