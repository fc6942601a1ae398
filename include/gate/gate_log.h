/*
 * gate_log: the gate log ref, the record's one source of truth, kept in git.
 *
 * GATE_LOG_REF is a chain of commits, one per event ("accepted", "rollback",
 * "rollforward", "reconcile", "seed").  Log commit N has
 *   - parents: log commit N-1 (none for the first), then the event's target
 *     revision (when it exists), so every revision ever accepted stays
 *     reachable from the log ref: `git gc` keeps every rollback target, and a
 *     replica that copies refs and what they reach carries the whole record;
 *   - a tree:
 *       entry.json           the event: the journal line of seq N (record.h
 *                            lists its fields; plus "seq", "clusters")
 *       state.json           {"seq": N, "refs": {accepted ref: {"ref",
 *                            "target" (what the accepted ref must hold),
 *                            "seq", "event", "time", "pusher", "bypass",
 *                            "previous", "intent" (of the entry that set
 *                            target), "newest" (the
 *                            newest revision accepted by a push), "last_seq"}}}
 *       accepted/ab/cd/<36>  per revision ever accepted by a push (hex split
 *                            2/2/36): {accepted ref: {"seq", "intent", "time",
 *                            "pusher", "ref"}}: "was X accepted on A" is one
 *                            tree lookup.
 *   Each event writes a fixed number of objects whatever the history's
 *   length: entry, state and at most one index blob, the trees on one path
 *   (root, accepted, ab, cd), the commit: 8 at most.  The two-level fan-out
 *   keeps every index tree under 256 entries up to millions of revisions.
 *
 * Writing (gate_log_append): the caller builds the entry under the gate lock
 * from a head it read; the log ref moves by compare-and-swap from that head,
 * so two writers that do not share the lock (two servers on one repository
 * without a shared flock) cannot lose an entry: the loser gets
 * GATE_LOG_EMOVED, re-reads the head and decides again (the same event
 * found there is then a no-op for it).  A `gc --prune=now` between writing
 * the objects and moving the ref could prune them: every object written is
 * written again after the ref moved (an existing loose object is only
 * freshened), so the ref ends naming whole objects.
 *
 * Persistent: only the ref and its objects.  Nothing here takes the gate
 * lock, prints, or reads the environment.  Errors: negative (a libgit2 code,
 * its message in git_error_last(), or -1 with msg); 0 success.
 */
#ifndef GATE_GATE_LOG_H
#define GATE_GATE_LOG_H

#include <stddef.h>
#include <git2.h>
#include <jansson.h>

#include "gate/repo.h"

#define GATE_LOG_REF "refs/gitops-gate/log"
#define GATE_LOG_NAMESPACE "refs/gitops-gate/"  /* written by the gate only */
#define GATE_LOG_EMOVED (-1000)                 /* the log ref moved under the writer */
#define GATE_LOG_MAX_BLOB (4u << 20)            /* entry/state/index blobs read back */

/* A read view of the log's head.  Release with gate_log_head_release(). */
struct gate_log_head {
	int exists;          /* 0: no log yet (then the rest is empty) */
	git_oid commit;      /* the head commit */
	git_tree *tree;      /* its tree (owned) */
	json_t *state;       /* state.json (owned; {"seq":0,"refs":{}} when none) */
	long long seq;       /* state's seq */
};
#define GATE_LOG_HEAD_INIT { 0, {{0}}, NULL, NULL, 0 }

/* Read the head of GATE_LOG_REF into h (released first). 0, or -1 with msg. */
int gate_log_head_read(struct gate_repo *r, struct gate_log_head *h, char *msg, size_t msgsize);
void gate_log_head_release(struct gate_log_head *h);

/* The state of accepted_ref (borrowed from h), or NULL. */
const json_t *gate_log_ref_state(const struct gate_log_head *h, const char *accepted_ref);

/*
 * The index record of revision hex on accepted_ref: *out a new reference to
 * {"seq","intent",...} or NULL when hex was never accepted there.  0, or -1
 * with msg.
 */
int gate_log_accepted(struct gate_repo *r, const struct gate_log_head *h, const char *accepted_ref,
	const char *hex, json_t **out, char *msg, size_t msgsize);

/*
 * Append entry (borrowed; "seq" is set in it to h->seq + 1) on top of h:
 * state and index updated from it ("accepted_ref", "target", "moved",
 * "event", ...), the commit's second parent the target when the object
 * exists.  seed (borrowed, or NULL) gives, for the first commit only, the
 * state and index it starts from: {"state": {accepted ref: state},
 * "index": {hex: {accepted ref: record}}}.  On success h is the
 * new head.  GATE_LOG_EMOVED when the ref no longer was h (h is then stale:
 * read it again), else 0 or -1 with msg.
 */
int gate_log_append(struct gate_repo *r, struct gate_log_head *h, json_t *entry,
	const json_t *seed, char *msg, size_t msgsize);

/*
 * The entries after seq `since` up to h, oldest first: *out a new array
 * (walking first parents back from the head: cost proportional to the
 * number returned).  0, or -1 with msg.
 */
int gate_log_entries_since(struct gate_repo *r, const struct gate_log_head *h, long long since,
	json_t **out, char *msg, size_t msgsize);

/*
 * Write text as the note of commit under notes_ref with a 2/2/36 fan-out
 * (ab/cd/<36>: git and libgit2 read it), replacing a note of the same commit
 * at another fan-out; nothing is written when the note already says text.
 * A notes ref left on a pruned commit is put back first.  Objects per note:
 * one blob, the trees on its path, one commit.  0 or a libgit2 error.
 */
int gate_log_note_write(struct gate_repo *r, const char *notes_ref, const git_oid *commit,
	const char *text);

#endif
