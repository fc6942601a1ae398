/*
 * outbox: durable deliveries.  Each notification to send is one file
 * <dir>/<id>.json (dir is normally $GIT_DIR/gitops-gate/outbox), written with
 * gate_write_file_atomic() (temp file, fsync, rename, fsync of the folder)
 * before anything is sent, so a delivery is either fully on disk or absent.
 *
 * File contents (one JSON object):
 *   id                 32 lowercase hex digits (128 random bits); also the
 *                      X-Gitops-Gate-Delivery header value
 *   cluster            the cluster's name
 *   receiver           which receiver of the cluster: {"name": N} for a
 *                      receiver with a name, else {"format": F, "url": U};
 *                      absent in files of versions before it (then the
 *                      format and url below name it)
 *   url, format ("flux-generic-hmac" | "github" | "gitlab" | "generic"),
 *   token_file, ca_bundle  (strings or null; never the token itself),
 *   signature          (github only, optional: "sha1" | "sha256" | "both"):
 *                      the receiver as it was when the delivery was written
 *                      or last tried.  The sender does not use them: it
 *                      looks the receiver up in the configuration as it is
 *                      when it sends (gate_receivers_find), so a corrected
 *                      URL, token file or CA bundle applies to deliveries
 *                      already queued.  The format also says what the body
 *                      is (GitHub-like or GitLab).
 *   event, ref, accepted_ref, old, new   what the delivery announces
 *   body               the exact bytes to POST (a JSON text, kept as a string);
 *                      or, for a body shared by the deliveries of a push:
 *   body_shared        the SHA-256 (hex) of the body's shared start, stored
 *                      once in <dir>/bodies/<that digest> (outbox_body.c)
 *   body_tail          the rest of this delivery's body: the bytes to POST
 *                      are the shared start, then the tail
 *   attempts           failed attempts so far
 *   next_attempt_time  unix seconds; drain skips the delivery before then
 *   created            unix seconds
 *   last_error         string or null
 *
 * Life: sent and answered 2xx -> unlinked; failed -> rewritten atomically
 * with attempts+1 and a later next_attempt_time; attempts reaching the
 * configured maximum -> renamed into <dir>/dead/ (kept for `status` and
 * manual replay: move it back into <dir> to retry).
 *
 * Claims: whoever sends a delivery first takes flock(LOCK_EX|LOCK_NB) on its
 * file and then checks that the path still names the locked inode, so two
 * concurrent senders never both send the same version of a delivery (a
 * retry after a crash may still resend it: delivery is at least once, and
 * receivers de-duplicate by delivery id).
 */
#ifndef GATE_OUTBOX_H
#define GATE_OUTBOX_H

#include <limits.h>
#include <stddef.h>
#include <jansson.h>

#define GATE_OUTBOX_ID_LEN 32
#define GATE_OUTBOX_MAX_FILE (8u << 20) /* a delivery file larger than this is refused */

struct gate_delivery {
	char id[GATE_OUTBOX_ID_LEN + 1];
	char *cluster, *url, *format, *token_file, *ca_bundle;
	char *event, *ref, *accepted_ref, *old, *new_;
	char *body;
	size_t body_len;
	unsigned attempts;
	long long next_attempt_time, created;
	char *last_error;
	char *signature; /* NULL: sha256 */
	char *receiver_name; /* NULL: the receiver is the cluster's one of this format and url */
	/*
	 * A body shared by a push's deliveries: body_sha names <dir>/bodies/<it>
	 * ("" when the body is all in the delivery file).  body_shared is how
	 * many bytes at the start of body are that shared part: set by the
	 * writer of new deliveries (record_notify: 0 when nothing is shared), and
	 * when a body is read whole (gate_outbox_body_load); 0 with body_sha set
	 * means body holds only the tail, not read whole yet.
	 */
	size_t body_shared;
	char body_sha[65];
};
#define GATE_DELIVERY_INIT { { 0 }, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
	NULL, 0, 0, 0, 0, NULL, NULL, NULL, 0, { 0 } }

void gate_delivery_release(struct gate_delivery *d);

/* Fill id with a fresh random delivery id (getrandom).  Returns 0 or -1. */
int gate_outbox_new_id(char id[GATE_OUTBOX_ID_LEN + 1]);

/* 1 when s is a well-formed delivery id. */
int gate_outbox_valid_id(const char *s);

/*
 * Write d to <dir>/<id>.json atomically, creating dir.  For a delivery
 * already in the outbox (its failed attempt) or for dead/: the due-time
 * index is not touched.  Returns 0 or -1 (errno).
 */
int gate_outbox_put(const char *dir, const struct gate_delivery *d);

/*
 * Queue new deliveries d[0..n): lower the due-time index to the earliest of
 * their next_attempt_time first (gate_outbox_due_lower), then write them as
 * gate_outbox_put() does, but all at once: every temp file written, then
 * each fsynced, renamed, and the folder fsynced once (one push to 100
 * receivers pays 101 fsyncs, not 200 in a row).  On failure no temp file is
 * left; deliveries already renamed stay.  Returns 0 or -1 (errno).
 */
int gate_outbox_put_many(const char *dir, const struct gate_delivery *d, size_t n);

/* gate_outbox_put_many() for deliveries already queued (failed attempts): no index change. */
int gate_outbox_rewrite_many(const char *dir, const struct gate_delivery *d, size_t n);

/*
 * The due-time index <dir>/next-due (hooks/outbox_due.c): the earliest time
 * a queued delivery is due, so that a drain with nothing due costs one small
 * read.  Lowered before new deliveries are written (a crash leaves it too
 * early: one scan more, never a missed retry), set by a drain after it has
 * seen every delivery, under flock on <dir>/next-due.flock.  A missing,
 * torn or implausible index, or one whose last scan is older than
 * GATE_OUTBOX_DUE_MAX_AGE seconds (a file moved in by hand), means a scan.
 */
#define GATE_OUTBOX_DUE_MAX_AGE 600
#define GATE_OUTBOX_NONE LLONG_MAX /* "nothing queued" as a due time */

/* Lower the index to t (new deliveries due at t follow).  0 or -1 (errno). */
int gate_outbox_due_lower(const char *dir, long long t);

struct gate_outbox_scan {
	unsigned long long gen; /* the index's change count the scan set */
	int mine;               /* the scan marked the index and may set it */
};

/*
 * Before a drain: 0 when the index says nothing is due at now (*next_due:
 * when something is, or GATE_OUTBOX_NONE), else 1: the drain must list and
 * look at every delivery (force: always), and the index is marked "scan in
 * progress".  A due time beyond now + max_wait_s (longer than any backoff:
 * the clock went back) means a scan, as it makes the delivery due.
 */
int gate_outbox_scan_begin(const char *dir, long long now, long long max_wait_s, int force,
	struct gate_outbox_scan *s, long long *next_due);

/*
 * After that drain has looked at every delivery: set the index to next_due
 * (the earliest next_attempt_time left, now for one it could not read,
 * GATE_OUTBOX_NONE for an empty outbox), unless a delivery was queued since
 * scan_begin (then the index stays "scan").  1 when it was set, 0 when not,
 * -1 on an error.
 */
int gate_outbox_scan_end(const char *dir, const struct gate_outbox_scan *s, long long next_due,
	long long now);

/* Parse a delivery from JSON text; returns 0, or -1 with a message in err. */
int gate_delivery_from_json(struct gate_delivery *d, const char *text, size_t len,
	char *err, size_t errlen);

/*
 * The ids of the deliveries in dir (not in dead/), sorted by name; *ids is a
 * new array of new strings (free each and the array).  A missing dir gives 0
 * ids.  At most max ids are returned.  Returns 0 or -1 (errno).
 */
int gate_outbox_list(const char *dir, size_t max, char ***ids, size_t *n);

/* Load delivery id from dir without claiming it (for reports), its body whole.  0 or -1 (errno). */
int gate_outbox_load(const char *dir, const char *id, struct gate_delivery *d);

/* A claimed delivery: the open, locked file. */
struct gate_outbox_claim {
	int fd;
	char *path;
};
#define GATE_OUTBOX_CLAIM_INIT { -1, NULL }

/*
 * Try to claim delivery id in dir and load it into d (a shared body not yet
 * read: gate_outbox_claim_body once it is to be sent).  Returns 1 when
 * claimed (release with gate_outbox_unclaim() after finishing it), 0 when
 * another process holds it or it is gone, -1 on error (message in err).
 */
int gate_outbox_claim(const char *dir, const char *id, struct gate_outbox_claim *c,
	struct gate_delivery *d, char *err, size_t errlen);
void gate_outbox_unclaim(struct gate_outbox_claim *c);

/*
 * Read the shared body of claimed delivery d whole; when it is missing or
 * does not match its digest, the delivery can never be sent: it moves to
 * <dir>/dead/<id>.corrupt (as a torn file does) and -1 is returned with err.
 */
int gate_outbox_claim_body(const char *dir, struct gate_outbox_claim *c, struct gate_delivery *d,
	char *err, size_t errlen);

/* ---- shared bodies (hooks/outbox_body.c) ---- */

#define GATE_OUTBOX_BODY_GRACE 3600 /* seconds an unnamed body is kept */

/* 1 when s is 64 lowercase hex digits. */
int gate_outbox_body_valid_sha(const char *s);

/*
 * Write data to <dir>/bodies/<its SHA-256> (durably, folder fsynced), even
 * when present; sha gets the digest.  0 or -1 (errno).
 */
int gate_outbox_body_write(const char *dir, const char *data, size_t len, char sha[65]);

/* Read d's shared body whole (nothing to do for an inline one).  0 or -1 with err. */
int gate_outbox_body_load(const char *dir, struct gate_delivery *d, char *err, size_t errlen);

/* Make d's body inline (read whole), for a record that leaves the outbox (dead/).  0 or -1. */
int gate_outbox_body_inline(const char *dir, struct gate_delivery *d);

/*
 * Remove the bodies of <dir>/bodies/ not in keep[0..nkeep) (digests; the
 * array is sorted) whose file is at least grace_s old at now, and leftover
 * temp files as old.  Only for a caller that has seen every queued delivery
 * (a drain's full look, with no delivery queued meanwhile).  Returns the count.
 */
size_t gate_outbox_bodies_gc(const char *dir, char **keep, size_t nkeep, long long now,
	long long grace_s);

/* Finish a claimed delivery: delivered (unlink).  Returns 0 or -1 (errno). */
int gate_outbox_done(const struct gate_outbox_claim *c);

/*
 * Record a failed attempt of a claimed delivery: attempts+1, last_error,
 * next_attempt_time = now + delay_ms; when attempts reaches max_attempts the
 * file moves to <dir>/dead/ instead (*dead set to 1).  Returns 0 or -1.
 */
int gate_outbox_failed(const char *dir, const struct gate_outbox_claim *c,
	struct gate_delivery *d, const char *error, long long now, long delay_ms,
	unsigned max_attempts, int *dead);

/*
 * Move a claimed delivery that can never be sent as it is (its receiver is
 * no longer in the configuration) to <dir>/dead/ with reason as its
 * last_error, attempts unchanged.  Returns 0 or -1 (errno).
 */
int gate_outbox_bury(const char *dir, const struct gate_outbox_claim *c,
	struct gate_delivery *d, const char *reason);

/*
 * Count deliveries per cluster in dir (pending) and dir/dead (dead): *out is
 * a new JSON object {cluster: {"pending": n, "dead": n, "accepted_refs": {ref:
 * {"pending": n, "dead": n}}}}.  Unreadable files are counted under "?".
 */
int gate_outbox_stats(const char *dir, json_t **out);

#endif
