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
 *   - the gate log ref refs/gitops-gate/log (gate_log.h): one commit per
 *     event, the source of truth: the entry, the state (what each accepted
 *     ref must hold) and an index of every revision accepted;
 *   - views derived from the log, rewritten from it when missing: the
 *     journal $GIT_DIR/gitops-gate/journal (journal.h), one JSON line per
 *     log entry: {"seq": the entry's number, "time": RFC 3339 UTC, "event":
 *     "accepted"|"rollback"|"rollforward"|"reconcile"|"seed", "ref": R,
 *     "old", "new": the source update (hex), "target": the commit A was
 *     asked to point to, "accepted_ref": A, "previous": A's value before
 *     (hex or null), "moved": whether A points to target because of this
 *     event, "reason" (when not moved: "already" or "superseded"),
 *     "pusher", "bypass", "verdict": summary, "deliveries": [ids],
 *     "clusters": [names], "intent": id, "reconciled": true when written by
 *     reconcile}; and the notes (gate_log_note_write, fan-out 2/2/36).
 *
 * Order of one event (gate_record_apply), all under the gate lock
 * (gate_record_lock):
 *   0. the push looked up in the log's index (its intent id, derived from
 *      event, ref, old, new, target, on its target): found means recorded:
 *      nothing new is written (the ref is brought to the log if behind);
 *   1. the outbox entries (outbox.h), each written atomically and fsynced,
 *      with ids derived from the intent id and the receiver;
 *   2. the log entry (compare-and-swap of the log ref): the commit point;
 *   3. A moved by compare-and-swap;
 *   4. the note, then the journal line (gate_record_sync_views).
 * Sending (notify.h) comes after, by the caller.
 *
 * Invariants, whatever step a crash interrupts:
 *   I1. A only ever points to a commit the log names as its target (2
 *       precedes 3), or to where an earlier version put it.
 *   I2. A log entry whose later steps did not run is completed by the next
 *       record or by gate_record_reconcile(): A moved forward to the log's
 *       target (never backwards; a rollback's move finished only from the
 *       value it left), the note and journal line written from the entry.
 *   I3. Every delivery of a logged event is in the outbox until a receiver
 *       answered 2xx (at least once; receivers de-duplicate by id).  A
 *       crash between 1 and 2 leaves deliveries of an unlogged event: the
 *       push is recorded again from its hand-over with the same ids.
 *   I4. A never moves backwards by an "accepted" event: when target is an
 *       ancestor of (or equal to) A's value, the entry says moved:false.
 *       Only rollback and rollforward move A to an earlier accepted commit.
 *   I5. After reconcile, A equals the log's target for A, or reconcile
 *       reported why not ("diverged": moved outside the gate).
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

/*
 * The gate lock (flock on $GIT_DIR/gitops-gate/lock, released by the kernel
 * when the process dies), taken by every writer of gate state; recursive
 * within one gate_record.  Taking it removes the ".lock" files of the gate's
 * refs (accepted refs, notes ref): under it they can only be leftovers of a
 * killed process.  Waits GATE_RECORD_LOCK_WAIT_MS; 0, or -1 with msg.
 * gate_record_apply and gate_record_reconcile take it themselves.
 */
#define GATE_RECORD_LOCK_WAIT_MS 10000
int gate_record_lock(struct gate_record *r, char *msg, size_t msgsize);
void gate_record_unlock(struct gate_record *r);

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
	const char *intent_id; /* NULL: derived (a push) or random; else this id (a recovered intent) */
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
	json_t *clusters;    /* names of the clusters notified (new array or NULL) */
};
#define GATE_RECORD_OUTCOME_INIT { "", "", 0, NULL, NULL, 0, 0, "", NULL }
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
 * gate_record_was_accepted over the whole journal file of an earlier
 * version, however long (read line by line): 1, 0, or -1 with errno.
 */
int gate_record_accepted_in_journal(struct gate_record *r, const char *accepted_ref,
	const char *target_hex);

/*
 * The current state per accepted ref: *refs a new object {accepted ref:
 * {"ref", "target", "event", "time", "pusher", "bypass", "newest", ...}}
 * (gate_log.h), read from the gate log's head (*from_log 1), or from the
 * journal of an earlier version when the repository has no log yet
 * (*from_log 0).  0, or -1 with msg.
 */
int gate_record_state(struct gate_record *r, json_t **refs, int *from_log, char *msg, size_t msgsize);

/*
 * Was hex ever accepted by a push for accepted_ref?  One lookup in the log's
 * index (the whole journal when there is no log yet).  1, 0, or -1 with msg.
 */
int gate_record_is_accepted(struct gate_record *r, const char *accepted_ref, const char *hex,
	char *msg, size_t msgsize);

/* Is the push (ref, old -> new) in the log?  1, 0, or -1 with msg. */
int gate_record_push_recorded(struct gate_record *r, const char *ref, const char *old_hex,
	const char *new_hex, char *msg, size_t msgsize);

#endif
