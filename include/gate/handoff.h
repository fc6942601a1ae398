/*
 * handoff: pre-receive hands its verdict on each accepted ref update to
 * post-receive through a file in the git directory.
 *
 * Path: $GIT_DIR/gitops-gate/handoff/<sha256(ref NUL old NUL new) hex>.json,
 * old and new as hex object ids (zeros for creation/deletion).  Written for
 * every accepted update of a push, after the whole push was judged
 * accepted.  post-receive reads it with gate_handoff_read() and removes it
 * with gate_handoff_remove(); a missing file means the verdict must be made
 * again (gate_judge_push()).
 *
 * Durability: a temp file renamed into place, so a reader never sees a
 * partial file while the writer lives, but no fsync.  The file lives for the
 * moment between pre-receive and post-receive; if the machine crashes in
 * between, the file may be missing, empty or torn.  A missing file already
 * makes post-receive judge again, so the file carries the sha256 of its
 * text instead of paying two fsyncs per ref on every push (15-20 ms under
 * I/O load): a torn or altered file fails the sum, gate_handoff_read()
 * calls it unreadable, and post-receive judges again, as for a missing one.
 * It can never pass for another verdict.  The verdict cache (verdicts.h)
 * guards its records the same way.
 *
 * Format (one JSON object, compact, its members in this order):
 *   "sum":         sha256 hex of the object's text without this member
 *                  (the text is "{" followed by what comes after this member)
 *   then, sorted by key:
 *   "ref":         "refs/heads/main"
 *   "old", "new":  hex object ids
 *   "accepted":    true
 *   "gated":       whether the ref was judged
 *   "commits":     [{"id": hex, "problems": n, "warnings": n}], oldest first
 *   "problems":    rejecting problems (non-zero only with a bypass)
 *   "warnings":    warnings shown
 *   "suppressions":[{"commit", "path", "line", "rule", "reason"}]
 *   "fingerprint": the verdict fingerprint (config, schemas, engine)
 *   "bypass":      null, or the reason given with -o gitops-gate.bypass=
 *   "pusher":      the pusher's identity
 *   "time":        "2024-01-31T12:00:00Z", when pre-receive decided
 */
#ifndef GATE_HANDOFF_H
#define GATE_HANDOFF_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "gate/judge.h"

#define GATE_HANDOFF_DIR "gitops-gate/handoff"

/* The hand-over file of (ref, old, new) into a new string (caller frees). */
char *gate_handoff_path(const char *git_dir, const char *ref, const char *old_hex,
	const char *new_hex);

struct gate_handoff_meta {
	const char *pusher;
	const char *bypass;      /* NULL: none */
	const char *fingerprint;
	time_t time;
};

/* Build the JSON of one judged ref (new reference). */
json_t *gate_handoff_json(const struct gate_judged_ref *r, const struct gate_handoff_meta *m);

/* Write the hand-over of r (temp file, rename; no fsync).  Returns 0, or -1 with a message. */
int gate_handoff_write(const char *git_dir, const struct gate_judged_ref *r,
	const struct gate_handoff_meta *m, char *msg, size_t msgsize);

/*
 * Read the hand-over of (ref, old, new): 1 with *out set (new reference),
 * 0 when there is none, -1 when it exists but is unreadable, malformed, or
 * its sum does not match (torn by a crash, or changed).
 */
int gate_handoff_read(json_t **out, const char *git_dir, const char *ref,
	const char *old_hex, const char *new_hex, char *msg, size_t msgsize);

/* Remove it (a missing file is fine).  Returns 0 or -1. */
int gate_handoff_remove(const char *git_dir, const char *ref, const char *old_hex,
	const char *new_hex);

/*
 * Asked of each old hand-over before it goes: 1 when the push it speaks for
 * may still need recording (its ref holds new_hex, or cannot be read), 0 when
 * the ref never took it (a push whose ref update lost a race).
 */
typedef int (*gate_handoff_needed_fn)(const char *ref, const char *new_hex, void *payload);

/*
 * Remove the hand-over files (and leftover temp files) of git_dir whose mtime
 * is more than max_age seconds before now and that needed() says no push
 * needs any more: those of pushes whose ref update lost a race, which no
 * post-receive will consume.  A hand-over of an accepted push is never removed
 * here, however old (a clock jump or a post-receive that died an hour ago
 * must not lose the push: reconcile records it).  An unreadable hand-over
 * counts as not needed (its push is judged again when recorded).  Returns how
 * many were removed, or -1 when the folder cannot be read (a missing one is
 * empty).
 */
int gate_handoff_prune(const char *git_dir, time_t now, long max_age,
	gate_handoff_needed_fn needed, void *payload);

/*
 * A gate_handoff_needed_fn over a repository (payload: struct gate_repo *):
 * 1 when ref holds new_hex (its tip is new_hex or descends from it) or the
 * ref cannot be read, 0 when the ref does not hold it.
 */
int gate_handoff_needed_in_repo(const char *ref, const char *new_hex, void *payload);

#endif
